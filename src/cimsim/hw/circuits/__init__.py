"""Circuit models: energy per event, delay and area of CIM parts from design knobs,
technology node and supply voltage, each with its source.

Pure functions of plain numbers (NumPy arrays broadcast, so a sweep is one call); nothing here
reads a config or knows a component. Each part returns a :class:`~.record.PartEstimate`
(``energy_j``, ``delay_s``, ``area_m2``, ``provenance``, ``source``).

- :mod:`.scaling` -- node (Stillmaker & Baas 2017) and voltage (C V^2, alpha-power) scaling;
- :mod:`.adc` -- SAR, flash, ramp and current-sense ADCs on the Murmann survey (SAR envelope;
  flash comparators from its flash designs, scaled by node and supply);
- :mod:`.array` -- cell types, wire capacitance, read energy by rows active and cell state;
- :mod:`.adder_tree` -- a digital CIM column's adder tree (TSMC-style DCIM): NOR2 products,
  full-adder bits per level, cycle by logical effort;
- :mod:`.digital` -- input drivers/DACs, adders (in-array adders' delay and cycle by logical
  effort), shift-and-add, registers, sample-and-hold;
- :mod:`.dac` -- a multi-bit voltage DAC's core (resistor string, switch tree): energy per
  conversion, settling, area;
- :mod:`.flipflop` -- a register bit by its transistor structure (TG master-slave flip-flop)
  or Aladdin's standard cell (:class:`~.flipflop.RegisterDesign`);
- :mod:`.buffer` -- SRAM, register file and eDRAM buffers;
- :mod:`.resolution` -- lossless partial-sum bits and bits lost per conversion;
- :mod:`.charge` -- charge-domain (M-BC) column: compute-line capacitance, capacitor and
  input-broadcast energy;
- :mod:`.sar` -- SAR ADC from its structure (capacitive DAC, comparator, SAR logic);
- :mod:`.datapath` -- near-memory datapath (scaling, accumulation, bias, activation);
- :mod:`.sense` -- current-sense ADC, pulse-limited column read, 1T1R access sizing, row drive;
- :mod:`.periphery` -- input switch matrix, column multiplexer, decoder (transmission gates,
  IR-drop and settling sizing);
- :mod:`.leakage` -- static power: off current per transistor width (PTM), SRAM bits, non-volatile
  cells, periphery by area.
"""

from . import (adc, adder_tree, array, buffer, charge, dac, datapath, digital, flipflop, leakage, periphery,
               resolution, sar, scaling, sense)
from .record import PartEstimate

__all__ = ["PartEstimate", "adc", "adder_tree", "array", "buffer", "charge", "dac", "datapath", "digital", "flipflop",
           "leakage", "periphery", "resolution", "sar", "scaling", "sense"]
