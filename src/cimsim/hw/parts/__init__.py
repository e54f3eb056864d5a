"""Circuit parts shared by components: config models of an ADC (column readout), its
integrate-and-count variant, a memory cell, a private on-chip buffer, and the CIM's
non-idealities for the accuracy emulator.

A component's config holds these as sections (``cim.adc``, ``cim.cell``, ``cim.buffer``,
``systolic.buffer``); a part knows its own fields, not which component holds it.
"""

from .adc import ADC, Counting
from .buffer import Buffer
from .cell import Cell
from .nmc import NMC
from .nonideal import NonIdeal

__all__ = ["ADC", "Buffer", "Cell", "Counting", "NMC", "NonIdeal"]
