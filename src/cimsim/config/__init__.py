"""Hardware configuration: validated pydantic models, YAML loading, overrides."""

from .loader import apply_overrides, architecture_from_dict, load_architecture, read_yaml
from .models import (
    ADC,
    CIM,
    DTYPE_BYTES,
    PIM,
    Architecture,
    Interconnect,
    Memory,
    OnChipMemory,
    Processor,
)

__all__ = [
    "ADC",
    "CIM",
    "DTYPE_BYTES",
    "PIM",
    "Architecture",
    "Interconnect",
    "Memory",
    "OnChipMemory",
    "Processor",
    "apply_overrides",
    "architecture_from_dict",
    "load_architecture",
    "read_yaml",
]
