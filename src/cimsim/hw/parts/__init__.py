"""Circuit parts shared by components: config models of an ADC (column readout), its
integrate-and-count variant, and a private on-chip buffer.

A component's config holds these as sections (``cim.adc``, ``cim.buffer``,
``systolic.buffer``); a part knows its own fields, not which component holds it.
"""

from .adc import ADC, Counting
from .buffer import Buffer

__all__ = ["ADC", "Buffer", "Counting"]
