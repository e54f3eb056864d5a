"""Hardware configuration: validated models, YAML loading, overrides, field paths."""

from ..hw.base import Link, MemoryLevel
from .loader import apply_overrides, architecture_from_dict, load_architecture, read_yaml
from .models import DTYPE_BYTES, Architecture
from .paths import FieldRef, PathError, resolve
from .schema import FieldDoc, config_fields
from .value import architecture_to_dict, save_architecture

__all__ = [
    "DTYPE_BYTES",
    "Architecture",
    "FieldDoc",
    "FieldRef",
    "Link",
    "MemoryLevel",
    "PathError",
    "apply_overrides",
    "architecture_from_dict",
    "architecture_to_dict",
    "config_fields",
    "load_architecture",
    "read_yaml",
    "resolve",
    "save_architecture",
]
