"""Energy of CIM matrix-vector products, per part (J per op).

- ``adc``: conversions = rows x read groups x physical columns x slices, each
  ``adc.energy_per_conversion``; read groups = row tiles when all rows are read at once, else
  the sum over row tiles of ``ceil(k_tile / rows_per_read)``, k_tile the weight rows the tile
  holds (:func:`.tiling.read_groups`; the accuracy emulator's ``Emulator.conversions`` counts
  the same); with an integrate-and-count readout (``adc.counting``), rows x row tiles x
  physical columns column-vectors, each the neuron's energy of :mod:`.counting` (input bits
  sampled, integration steps, counting steps; ``rows_per_read`` is not applied to it);
- ``dac``: rows x k x column tiles x slices row drives, each ``dac_energy``;
- ``array``: rows x k x physical columns x slices cell reads, each ``cell_read_energy``; a
  finite on/off ratio r (:func:`.tiling.on_off_ratio`: ``nonideal.on_off_ratio``, else a
  stated resistive cell's ``on_off`` or its preset's, with or without a ``nonideal`` block:
  the hardware is the same whether its accuracy is emulated or not) adds one reference column
  of off cells per array (per column tile), read with every row: + rows x k x column tiles x slices reads, each an off
  cell's, ``cell_read_energy x G_off / G_mean`` = ``cell_read_energy x (1/r) / (w + (1 - w)/r)``
  (:func:`off_cell_share`; w the weight activity the op's cell energy used, ``cell.weight_ones``
  or the op's own: the mean cell conducts ``G_off + w (G_on - G_off)``), not an average cell's
  (before 2026-12-06: 1 / 0.111 = 9x that at r = 17, w = 0.5; the bitline share of a derived
  cell energy is scaled with it, a small overstatement of the saving). Where
  ``cell_read_energy`` is a derived current-sense column read (``adc.type: current_sense``),
  an off column's node charges nearly as far as a mean column's within the sensing time, so
  its share is the design's ``reference_share``, ``(1 - e^(-t n G_off / C)) / (1 - e^(-t n
  G_mean / C))`` (:mod:`.sensing`; 0.77 of a column on rram-cim-derived, 1.00 at on/off 2.5:
  0.111 and 0.571 before review18-4). Its current is
  subtracted from each column's before the ADC (as the emulator computes it), so it adds no
  conversion. A digital bit-serial array (``cell.type: sram_digital``) reads every column
  of each array it uses, column tiles x ``cols``: the input bit is broadcast along the row
  and each cell's multiplier and adder evaluate whether or not a weight is mapped there
  (nothing gates a column);
- ``digital``: conversions x ``shift_add_energy`` (integrate-and-count: column-vectors
  x counting steps x ``shift_add_energy``) + buffer bytes x buffer energy per byte;
- ``switch`` (when the design has it): rows x k x column tiles x slices input-switch rows,
  each ``switch_energy``; ``mux``: conversions x ``mux_energy`` (the column multiplexer's
  share of one conversion); ``counter`` (a pulse-count DAC): rows x k x column tiles x slices
  row-counter loads and counts, each ``counter_energy``; ``adder_tree`` (an adder-tree
  column, ``sram_dcim``): rows x row tiles x column tiles x ``cols`` x slices column sums,
  each ``adder_tree_energy`` (every column of an array used: its tree adds whatever is mapped);
- ``write``: when the op re-programs, every cell of the matrix once (k x physical
  columns x ``write_energy`` x ``write_verify_pulses``: :func:`.programming.write_energy`),
  whatever the number of rounds.

``array``, ``dac``, ``switch`` and ``counter`` depend on the data: a derived
``cell_read_energy``, ``dac_energy``, ``switch_energy`` or ``counter_energy`` is evaluated, per
op, at the op's own traced activity where it has one (:mod:`.activity`).
"""

from __future__ import annotations

import numpy as np

from . import counting
from .programming import write_energy
from .tiling import on_off_ratio, read_groups


def _digital(c) -> bool:
    """Whether the array's cells are digital (bit-serial adders or an adder tree's products:
    every column evaluates)."""
    from ..circuits.array import preset

    return c.cell is not None and preset(c.cell.type).kind == "digital"


def off_cell_share(ratio: float, weight_ones) -> float:
    """An off cell's read energy over the mean cell's, ``G_off / (G_off + w (G_on - G_off))``
    with ``G_off = G_on / ratio`` and ``w`` the fraction of cells on (their mean normalised
    conductance)."""
    return (1.0 / ratio) / (weight_ones + (1.0 - weight_ones) / ratio)


def conversions(c, rows, k, row_tiles, phys_cols, slices=None):
    """ADC conversions of the ops (one per physical column per read group per input slice
    per activation row; the module's rule); ``slices`` per op (:mod:`.inbits`), default the
    config's."""
    groups = row_tiles if c.rows_per_read is None else read_groups(k, c.rows, c.rows_per_read)[0]
    return rows * groups * phys_cols * (c.slices if slices is None else slices)


def op_energy(c, d, rows, k, row_tiles, col_tiles, phys_cols, buffer_bytes, reprogram,
              per_op=None, weight_ones=None, slices=None) -> dict:
    """Energy per part of the ops (arrays), config ``c`` at design point ``d`` (its effective,
    given or derived, per-event numbers; :mod:`.derive`); ``per_op`` maps a design field
    (``cell_read_energy``, ``dac_energy``, ``switch_energy``, ``counter_energy``) to per-op
    values that replace the design's where the ops' data activity is their own
    (:func:`.activity.activity_energies`); ``weight_ones`` the weight activity per op (default
    ``cell.weight_ones``), for the reference column's off cells; ``slices`` the input slices
    per op (:mod:`.inbits`; default the config's)."""
    per_op = per_op or {}
    e_cell = per_op.get("cell_read_energy", d.cell_read_energy)
    e_dac = per_op.get("dac_energy", d.dac_energy)
    e_switch = per_op.get("switch_energy", d.switch_energy)
    e_counter = per_op.get("counter_energy", d.counter_energy)
    slices = c.slices if slices is None else slices
    cnt = c.adc.counting
    if cnt is None:
        conv = conversions(c, rows, k, row_tiles, phys_cols, slices)
        adc, shift_add = conv * d.energy_per_conversion, conv * d.shift_add_energy
    else:
        ph = c.phases
        steps = counting.counting_steps(c.adc.bits, ph)
        column_vectors = rows * row_tiles * phys_cols
        adc = column_vectors * (slices * cnt.sample_energy
                                + counting.integration_steps(ph) * cnt.integrate_energy
                                + steps * d.energy_per_conversion)
        shift_add = column_vectors * steps * d.shift_add_energy
    read_cols = col_tiles * c.cols if _digital(c) else phys_cols
    ratio = on_off_ratio(c)[0]
    share = per_op.get("reference_share", d.reference_share)  # a current-sense column read's
    if ratio is not None and share is None:  # one reference column of off cells per array
        if weight_ones is None:
            weight_ones = c.cell.weight_ones if c.cell is not None else 0.5
        share = off_cell_share(ratio, weight_ones)
    if ratio is not None:
        read_cols = phys_cols + col_tiles * share
    out = {
        "array": rows * k * read_cols * slices * e_cell,
        "adc": adc,
        "dac": rows * k * col_tiles * slices * e_dac,
        "digital": shift_add + buffer_bytes * d.buffer_energy_per_byte,
        "write": np.where(reprogram, write_energy(c, k, phys_cols), 0.0),
    }
    if "switch" in d.periphery_parts:
        out["switch"] = rows * k * col_tiles * slices * e_switch
    if "counter" in d.periphery_parts:
        out["counter"] = rows * k * col_tiles * slices * e_counter
    if "adder_tree" in d.periphery_parts:  # every column's tree, like its cells
        groups = row_tiles if c.rows_per_read is None else read_groups(k, c.rows, c.rows_per_read)[0]
        out["adder_tree"] = rows * groups * read_cols * slices * d.adder_tree_energy
    if "mux" in d.periphery_parts:
        out["mux"] = conversions(c, rows, k, row_tiles, phys_cols, slices) * d.mux_energy
    return out
