"""The memory cell of a CIM array: a preset type of :mod:`cimsim.hw.circuits.array` and any of
its parameters overridden, plus the data activity the read energy depends on."""

from __future__ import annotations

from typing import Annotated, Literal, Optional

from pydantic import Field, field_validator

from ...quantity import (Amperes, Choices, Farads, NonNegativeFloat, Ohms, PositiveFloat,
                         PositiveInt, PositiveSeconds, Volts)
from ..base import Strict

#: the built-in presets (a config may name any registered one: :mod:`.registry`)
CELL_TYPES = ("rram_1t1r", "sram_6t", "sram_8t", "sram_charge", "sram_digital", "sram_dcim",
              "fefet", "pcm", "stt_mram")
#: the preset cell of each ``cim.technology`` when ``cim.cell`` is left out
DEFAULT_CELL = {"rram": "rram_1t1r", "sram": "sram_6t"}
#: the built-in cell types each ``cim.technology`` accepts: ``rram`` stands for the resistive
#: (non-volatile, read by cell current) cells, FeFET and PCM included; ``sram`` for the SRAM ones
#: (every registered cell by its kind: :func:`.registry.technology_cells`)
TECHNOLOGY_CELLS = {"rram": ("rram_1t1r", "fefet", "pcm", "stt_mram"),
                    "sram": ("sram_6t", "sram_8t", "sram_charge", "sram_digital", "sram_dcim")}


class Cell(Strict):
    """A CIM cell: a preset type and overrides. Presets (sources in :mod:`cimsim.hw.circuits.array`):
    rram_1t1r NeuroSim V1.4 (R_on 100 kohm, on/off 17, 0.5 V, 10 ns, 4 x 12 F^2); sram_6t
    NeuroSim's 10 x 28 F^2 with a 20 uA read current (U); sram_charge (charge-domain capacitor
    MAC, 2 fF, 426 F^2: CiMLoop's Jia et al. model (T)); sram_digital (Colonnade's 2754 F^2
    bitcell with a full adder -- Horowitz 2014 adder energy -- an XNOR2 multiplier and a
    configuration multiplexer, their logical-effort capacitances); sram_dcim (a TSMC-style
    adder-tree DCIM, Chih et al. ISSCC 2021: a 6T bitcell and a NOR2 1-bit multiplier, an adder
    tree per column, reported as the part adder_tree; area (U)); stt_mram (a binary MTJ cell,
    bits_per_cell 1, read by current summation -- Jung et al. Nature 2022's MRAM crossbar reads
    by resistance summation, not modelled; values (U)); sram_8t, fefet, pcm (U). A preset's
    (U) values stop counting as placeholders once every one of them is overridden here."""

    type: Annotated[str, Choices(lambda: tuple(_cells().types()))] = Field(
        description=f"Cell type (preset): {', '.join(CELL_TYPES)}, or a plug-in's "
        "(cimsim.hw.register, entry-point group cimsim.cells).")

    @field_validator("type")
    @classmethod
    def _registered(cls, v):
        if v not in _cells().types():
            raise ValueError(_cells().unknown(v))
        return v

    r_on: Optional[Ohms] = Field(default=None, description="On (low) resistance of a resistive "
                                 "cell (default: the preset's).")
    on_off: Optional[PositiveFloat] = Field(default=None, gt=1, description="On/off resistance "
                                            "ratio of a resistive cell, > 1 (at 1 the cell holds no "
                                            "bit; default: the preset's).")
    read_voltage: Optional[Volts] = Field(default=None, description="Read voltage of a resistive "
                                          "cell (SRAM reads at the supply; default: the preset's).")
    read_pulse: Optional[PositiveSeconds] = Field(
        default=None, description="Read pulse width (default: the preset's; SRAM: the time one "
        "cell needs for the 0.1 V sense swing; sram_digital: its adder chain's cycle, the carry "
        "across a weight's columns, the sum down rows_per_register rows and the register, by "
        "logical effort; sram_dcim: its adder tree's, depth + carry ripple + register).")
    read_current: Optional[Amperes] = Field(default=None, description="Read current of an SRAM "
                                            "cell (default: the preset's).")
    unit_capacitance: Optional[Farads] = Field(
        default=None, description="Unit capacitor of a charge-domain cell (sram_charge): "
        "C_u V^2 per 1-bit product per read (default: the preset's, 2 fF).")
    rows_per_register: Optional[PositiveInt] = Field(
        default=None, description="Rows between pipeline registers of a digital bit-serial "
        "cell column (sram_digital only; default: the preset's, 8); sets its cycle when no read "
        "pulse is given.")
    height_f: Optional[PositiveFloat] = Field(default=None, description="Cell height in feature "
                                              "sizes F (default: the preset's).")
    width_f: Optional[PositiveFloat] = Field(default=None, description="Cell width in feature "
                                             "sizes F (default: the preset's).")
    input_ones: NonNegativeFloat = Field(default=0.5, le=1, description="Fraction of ones of "
                                         "an input bit-plane (activity; stated default 0.5). An "
                                         "op traced with `cimsim trace --stats` at input_bits "
                                         "uses its own measured value instead.")
    weight_ones: NonNegativeFloat = Field(default=0.5, le=1, description="Fraction of cells in "
                                          "the on state (mean normalised conductance; stated "
                                          "default 0.5). An op traced with `--stats` at "
                                          "weight_bits uses its own (1-bit cells, offset "
                                          "encoding).")
    compute: Literal["and", "xnor"] = Field(
        default="and", description="Charge-domain cell (sram_charge) 1-bit product: and (a zero "
        "input does not toggle its row; products of 1 = input_ones x weight_ones) or xnor (one "
        "line of the row's differential pair toggles every cycle; products of 1 = x w + "
        "(1-x)(1-w)). Used by the derived array and row-drive energies (cimsim.hw.circuits.charge).")
    folded_columns: PositiveInt = Field(
        default=1, description="Charge-domain cell: physical columns shorted into one logical "
        "column (Jia et al. JSSC 2020: 3); a row's input line crosses folded_columns x cols "
        "cells.")
    row_gate_width_f: Optional[NonNegativeFloat] = Field(
        default=None, description="Transistor gate width each cell puts on its row (input or "
        "word) line, in feature sizes F, at 1 fF/um (default: the preset's -- sram_6t 2 F, its "
        "two pass gates; sram_8t 1 F, the read-access gate on the read wordline; both 1 F wide, "
        "NeuroSim V1.4's widthAccessCMOS; sram_digital 24 F, an XNOR2 input; others 0). A cell "
        "that stands for several physical cells (e.g. a 4-cell CIM unit) gives their sum.")
    switch_width_f: Optional[PositiveFloat] = Field(
        default=None, description="Charge-domain cell: width of its switch transistors in "
        "feature sizes F (default 4 F, CiMLoop's Jia et al. cell): their gates load the input "
        "lines, their drains the capacitor and compute-line nodes.")


def _cells():
    """The cell preset registry (imported when first asked: it imports this package)."""
    from .registry import cells

    return cells
