"""Hardware configuration: validated models, YAML loading, overrides, field paths."""

from ..hw.base import Link, MemoryLevel
from .loader import apply_overrides, architecture_from_dict, load_architecture, read_yaml
from .models import DTYPE_BYTES, Architecture
from .paths import FieldRef, PathError, resolve

__all__ = [
    "DTYPE_BYTES",
    "Architecture",
    "FieldRef",
    "Link",
    "MemoryLevel",
    "PathError",
    "apply_overrides",
    "architecture_from_dict",
    "load_architecture",
    "read_yaml",
    "resolve",
]
