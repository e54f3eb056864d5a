"""Circuit parts shared by components: config models of an ADC (column readout), its
integrate-and-count variant, a memory cell, and a private on-chip buffer.

A component's config holds these as sections (``cim.adc``, ``cim.cell``, ``cim.buffer``,
``systolic.buffer``); a part knows its own fields, not which component holds it.
"""

from .adc import ADC, Counting
from .buffer import Buffer
from .cell import Cell

__all__ = ["ADC", "Buffer", "Cell", "Counting"]
