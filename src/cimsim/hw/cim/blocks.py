"""The CIM config's area and local-buffer blocks (``cim.area``, ``cim.buffer``): the parts of
:class:`cimsim.hw.cim.CIMConfig` that hold no placement or cost rule."""

from __future__ import annotations

from typing import Literal, Optional

from pydantic import Field, model_validator

from ...quantity import JoulesPerByte, PositiveInt, PositiveSquareMeters, SquareMeters
from ...units import si
from ..base import Strict
from ..parts import Buffer


class CIMArea(Strict):
    """Silicon area of the CIM block, per repeated part (each cited in the config)."""

    array: Optional[PositiveSquareMeters] = Field(default=None, description="One crossbar array (the "
                                          "cells). Default: derived (cell area x rows x cols); a given "
                                          "value stays as rows, cols or the cell change.")
    adc: Optional[SquareMeters] = Field(default=None, description="One ADC (or adder tree of a "
                                        "digital macro). Default: derived from adc.type and bits.")
    dac: SquareMeters = Field(default="0 mm^2", description="One row driver (DAC); an array has `rows`.")
    digital: SquareMeters = Field(default="0 mm^2", description="Per array: shift-and-add, sample-"
                                  "and-hold, input/output registers. Left out: derived with a "
                                  "technology block, else 0 (a placeholder).")
    buffer: SquareMeters = Field(default="0 mm^2", description="The local buffer, all of it. Left "
                                 "out: derived with a technology block, else 0 (a placeholder).")
    other: SquareMeters = Field(default="0 mm^2", description="Everything else, all of it "
                                "(routers, pooling, chip I/O).")


class CIMBuffer(Buffer):
    """The CIM block's local buffer: its energy per byte may be derived from its kind, capacity
    and access width (:mod:`cimsim.hw.circuits.buffer`)."""

    energy_per_byte: Optional[JoulesPerByte] = Field(
        default=None, description="Energy per byte read or written. Default: derived from "
        "kind, capacity and width on the architecture's technology (Horowitz 2014 fit).")
    kind: Literal["sram", "register_file", "edram"] = Field(
        default="sram", description="Buffer circuit, for the derived energy and area.")
    width: PositiveInt = Field(default=64, le=4096, description="Access width in bits, for the "
                               "derived energy per byte (one access moves width/8 bytes).")
    banks: PositiveInt = Field(default=1, description="Equal banks the capacity is split into "
                               "(ISAAC: 168 tiles' 64 KB eDRAMs): an access reads one bank, so the "
                               "derived energy per byte is a capacity/banks buffer's, the derived "
                               "area all the banks'.")

    @model_validator(mode="after")
    def _one_access_per_bank(self) -> "CIMBuffer":
        if self.capacity / self.banks < self.width / 8:
            raise ValueError(f"banks: {self.banks} banks of a {si(self.capacity, 'B')} buffer hold "
                             f"{si(self.capacity / self.banks, 'B')} each, less than one "
                             f"{self.width}-bit access ({si(self.width / 8, 'B')}); use fewer banks, a "
                             "narrower width or more capacity")
        return self
