"""Hardware components: one class per device type, found through :mod:`.registry`.

See :mod:`cimsim.hw.base` for the protocol every component follows.
"""

from .base import (STREAM, Component, ComponentConfig, Hardware, Link, LinkResource, MemoryLevel,
                   MemoryResource, OpCost, Pattern, Plan)
from .links.fixed import FixedLink
from .memory.fixed import FixedLevel
from .circuits.adc import ADCModel
from .circuits.array import Cell as CellPreset
from .registry import link_types, memory_types, register, types

__all__ = ["ADCModel", "CellPreset", "STREAM", "Component", "ComponentConfig", "FixedLevel", "FixedLink", "Hardware", "Link",
           "LinkResource", "MemoryLevel", "MemoryResource", "OpCost", "Pattern", "Plan", "link_types",
           "memory_types", "register", "types"]
