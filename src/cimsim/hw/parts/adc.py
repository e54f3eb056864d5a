"""Column readout of a compute-in-memory array: an ADC (or a digital macro's adder tree), and
the integrate-and-count readout that replaces one conversion per column per slice."""

from __future__ import annotations

from typing import Optional

from pydantic import Field

from ...quantity import Hertz, Joules, PositiveInt, Seconds
from ..base import Strict


class Counting(Strict):
    """An integrate-and-count readout (NeuRRAM's neuron, Wan et al., Nature 608, 2022): each
    column integrates unit input pulses, then converts by counting one output bit per step.
    With it, ``read_latency`` is one integration step (one unit pulse), ``adc.bits`` the output
    bits, ``adc.sample_rate`` counting steps per second, ``adc.energy_per_conversion`` and
    ``shift_add_energy`` the energies of one counting step (closed form: :mod:`cimsim.hw.cim.counting`)."""

    max_bits_per_phase: PositiveInt = Field(
        le=32, description="Inputs of more magnitude bits than this are split into two phases "
        "(ceil(b/2) and floor(b/2) bits), each integrated and converted; set it >= input_bits "
        "for one-phase operation.")
    phase_latency: Seconds = Field(description="Time per phase besides its integration and "
                                   "counting steps (sampling, reset).")
    integrate_energy: Joules = Field(description="Energy of one integration step of one column.")
    sample_energy: Joules = Field(description="Energy of sampling one input bit on one column.")


class ADC(Strict):
    """Column readout of a CIM array: an ADC for analog arrays, an adder tree for digital macros."""

    bits: PositiveInt = Field(le=16, description="Resolution of one conversion (informational: "
                              "energy_per_conversion and sample_rate already reflect it; with "
                              "`counting`, the output bits, which set the counting steps).")
    sample_rate: Hertz = Field(description="Conversions per second of one ADC (with `counting`: "
                               "counting steps per second).")
    energy_per_conversion: Joules = Field(description="Energy of one conversion (with `counting`: "
                                          "of one counting step).")
    per_array: PositiveInt = Field(description="ADCs per array (columns share them round-robin).")
    counting: Optional[Counting] = Field(default=None, description="Integrate-and-count readout "
                                         "(default: none, one conversion per column per slice).")
