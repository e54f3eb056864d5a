"""Near-memory compute (NMC) datapath after a CIM array's ADCs: per-output scaling, accumulation
across bit-serial slices, bias and activation (cimsim.hw.circuits.datapath). Enabling it replaces
the plain shift-and-add of a derived ``shift_add_energy``; a given ``shift_add_energy`` still
wins."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ...quantity import Flag, PositiveInt
from ..base import Strict


class NMC(Strict):
    """A digital datapath per column output, sized by its bit widths."""

    scale_bits: int = Field(default=8, ge=0, le=32, description="Width of the per-output scale "
                            "factor multiplying each ADC code (0: no scaling multiplier).")
    accumulator_bits: PositiveInt = Field(default=32, le=64, description="Width of the "
                                          "accumulator summing the bit-serial slices (and of the "
                                          "bias adder and activation).")
    bias: Flag = Field(default=True, description="A bias adder per output (once per output).")
    activation: Literal["relu", "none"] = Field(default="relu", description="Activation per "
                                                "output (once per output).")
    output_bits: PositiveInt = Field(default=8, le=64, description="Width of the output register.")
