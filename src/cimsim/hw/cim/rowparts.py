"""A derived design's register design and its per-row periphery parts for one input slice
and the config's data activity and read keywords (moved out of :mod:`.derive`, which imports
them under their old names)."""

from __future__ import annotations

from typing import Optional

from ..circuits import flipflop, periphery


def register_design(r) -> Optional[flipflop.RegisterDesign]:
    """The circuit models' register design of a config's ``registers`` block (None: none)."""
    if r is None:
        return None
    return flipflop.RegisterDesign(r.design, r.kind, float(r.data_activity))


def switch_row(c, tech, cell, input_ones):
    """The input switch matrix, one row for one slice (:func:`~cimsim.hw.circuits.periphery.
    switch_matrix_row`), at the input activity (arrays broadcast)."""
    reg = register_design(getattr(tech, "registers", None))
    return periphery.switch_matrix_row(c.cols, cell.r_on_ohm, tech.node_nm, tech.voltage,
                                       input_ones, register_design=reg)


def counter_row(c, tech, cell, input_ones):
    """A pulse-count DAC's row counter for one slice (:func:`~cimsim.hw.circuits.periphery.
    pulse_counter_row`) at the input activity (arrays broadcast)."""
    reg = register_design(getattr(tech, "registers", None))
    return periphery.pulse_counter_row(c.dac_bits, cell.height_f, tech.node_nm, tech.voltage,
                                       input_ones, reg)


def activity(c) -> tuple:
    """The config's data activity: ``(cell.input_ones, cell.weight_ones)``, stated default 0.5."""
    return (c.cell.input_ones, c.cell.weight_ones) if c.cell is not None else (0.5, 0.5)


def read_kw(c, tech, input_ones, weight_ones) -> dict:
    """Keywords of one array read (:func:`~cimsim.hw.circuits.array.read_energy_parts`)."""
    return dict(rows_active=c.rows_per_read or c.rows, vdd=tech.voltage, input_ones=input_ones,
                weight_ones=weight_ones, weight_columns=-(-c.weight_bits // c.bits_per_cell),
                register_design=register_design(getattr(tech, "registers", None)))
