"""Hardware components: one class per device type, found through :mod:`.registry`.

See :mod:`cimsim.hw.base` for the protocol every component follows.
"""

from .base import Component, ComponentConfig, Hardware, Link, MemoryLevel, OpCost, Plan
from .registry import register, types

__all__ = ["Component", "ComponentConfig", "Hardware", "Link", "MemoryLevel", "OpCost", "Plan",
           "register", "types"]
