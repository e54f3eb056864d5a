"""Which data activity each CIM op's energy uses: the op's own, measured on a traced model
(``cimsim trace --stats``, tags of :mod:`cimsim.workload.activity`), or the config's
``cell.input_ones`` / ``cell.weight_ones`` (stated default 0.5).

An op's measured figure is used where it describes what the arrays hold:

- ``input_ones`` when it was counted at the config's ``input_bits`` and the inputs are not
  ``signed_inputs`` (sign as pulse polarity: ``input_bits - 1`` magnitude planes, which the
  tracer does not count); or, whatever the bits, when the op's input is binary (tag
  ``input_value_bits: 1``, 0/1 only: every bit-plane at any precision, sign bit or not, is the
  input itself, so its fraction of ones is the figure), or -1/+1 or -1/0/+1 (tag
  ``input_value_signed: 1``: the tracer measured the planes applied offset-binary; with
  ``signed_inputs`` the one magnitude plane ``|x|``, whose density is ``1 - input_zeros``);
- ``weight_ones`` when it was counted at the config's ``weight_bits``, the weights are stored
  offset-binary (not ``nonideal.encoding: differential``) and a cell holds one bit (the
  fraction of ones of a bit-plane is then the fraction of cells on; a multi-bit cell's mean
  conductance weights its bits 2^j, which one plane-mean figure does not give).

Otherwise the config's value, and the op counts in ``<cim>_input_ones_default_ops`` /
``<cim>_weight_ones_default_ops``. The energies that depend on them, the derived
``cell_read_energy``, ``dac_energy``, ``switch_energy`` and ``counter_energy``, are evaluated
for all such ops at once (:func:`activity_energies`, the circuit models broadcast over
the ops); an op with
neither figure keeps the design's number bit for bit. A given energy does not depend on the
data.
"""

from __future__ import annotations

import numpy as np

from . import dacpart
from .derive import (_activity, _cell, _cell_energy, _counter_row, _current_sense, _dac_energy,
                     _switch_row, design)

#: the facts a CIM reports (``Plan.summary`` keys): its weight matmuls (a chip's im2col copies
#: and vector ops read no array) whose energy used the config's activity
FACTS = {"input_ones_default_ops": 0, "weight_ones_default_ops": 0}


def select(c, ops, idx) -> dict:
    """Per op of ``idx``: the input and weight activity used (``x``, ``w``) and whether each is
    the op's own (``own_x``, ``own_w``)."""
    x0, w0 = _activity(c)
    n = len(idx)
    act = ops.activity
    mm = ops.stationary[idx] >= 0
    if act is None:
        own_x = own_w = np.zeros(n, dtype=bool)
        return {"x": np.full(n, x0), "w": np.full(n, w0), "own_x": own_x, "own_w": own_w, "mm": mm}
    xi, wi = act.input_ones[idx], act.weight_ones[idx]
    signed = (act.input_value_bits[idx] == 1) & (act.input_value_signed[idx] == 1)
    binary = (act.input_value_bits[idx] == 1) & ~signed  # 0/1 only: the same at any bits
    if c.signed_inputs:  # ±1, -1/0/+1 as pulse polarity: one plane |x|, its density 1 - zeros
        xi = np.where(signed, 1.0 - act.input_zeros[idx], xi)
    own_x = ~np.isnan(xi) & (((act.input_stats_bits[idx] == c.input_bits) & (not c.signed_inputs))
                             | binary | signed)
    own_w = (~np.isnan(wi) & (act.weight_stats_bits[idx] == c.weight_bits) & (not c.differential)
             & (c.bits_per_cell == 1))
    return {"x": np.where(own_x, xi, x0), "w": np.where(own_w, wi, w0), "own_x": own_x,
            "own_w": own_w, "mm": mm, "x_bits": np.where(~np.isnan(xi) & ~own_x & mm,
                                                         act.input_stats_bits[idx], np.nan)}


def summary(sel: dict) -> dict:
    """The facts of one plan (:data:`FACTS`)."""
    return {"input_ones_default_ops": int((~sel["own_x"] & sel["mm"]).sum()),
            "weight_ones_default_ops": int((~sel["own_w"] & sel["mm"]).sum())}


def op_columns(ops, sel: dict) -> dict:
    """Per-op columns of the op table (the activity used), only for a workload that states
    activities (a workload without them keeps its op table as before)."""
    if ops.activity is None:
        return {}
    return {"input_ones": sel["x"], "weight_ones": sel["w"]}


def energies(c, tech, d, sel: dict) -> dict:
    """``{design field: per-op values}`` of the data-dependent energies (cell reads, row drives,
    the input switch matrix, a pulse-count DAC's row counters), or ``{}`` when every op uses
    the design's (no op has its own activity, or no such energy is derived)."""
    own = sel["own_x"] | sel["own_w"]
    if not own.any() or tech is None or not activity_dependent(c, tech):
        return {}
    out = {}
    for name, values in activity_energies(c, tech, sel["x"][own], sel["w"][own]).items():
        col = np.full(len(own), getattr(d, name))
        col[own] = values
        out[name] = col
    return out


def note(name: str, c, tech, sel: dict) -> str:
    """One placement note: how many ops use their own activity (empty when none states one),
    and why a measured input figure was not used."""
    own = sel["own_x"] | sel["own_w"]
    dropped = _dropped(c, sel)
    if not own.any() and not dropped:
        return ""
    x0, w0 = _activity(c)
    what = ("" if tech is not None and activity_dependent(c, tech) else
            " (the data-dependent energies are given: no energy depends on it)")
    mm = sel["mm"]
    mean = f" (mean {float(sel['x'][sel['own_x']].mean()):.3g})" if sel["own_x"].any() else ""
    return (f"{name}: data activity measured on the traced model for {int(own.sum())} of "
            f"{int(mm.sum())} weight matmuls{what}; input ones: {int(sel['own_x'].sum())} "
            f"measured{mean}, {int((~sel['own_x'] & mm).sum())} at the config's {x0:g}{dropped}; "
            f"weight ones: {int(sel['own_w'].sum())} measured, {int((~sel['own_w'] & mm).sum())} at {w0:g}")


def _dropped(c, sel: dict) -> str:
    """Why measured input figures went unused ('' when none did): counted at other bits than
    ``input_bits``, or for ``signed_inputs``."""
    bits = sel.get("x_bits")
    if bits is None or np.isnan(bits).all():
        return ""
    have = bits[~np.isnan(bits)]
    at = ", ".join(f"{b:g}" for b in np.unique(have))
    if c.signed_inputs:
        why = f"signed_inputs, whose {c.input_bits - 1} magnitude planes the tracer does not count"
    else:
        why = (f"counted at {at} bits, not the config's input_bits {c.input_bits}; trace with --stats-bits "
               f"{c.input_bits},{c.weight_bits} for them")
    return f" ({have.size} measured figure(s) unused: {why})"


def activity_energies(c, tech, input_ones, weight_ones) -> dict:
    """The data-dependent per-event energies of CIM config ``c`` on ``tech`` at the activities
    ``input_ones``, ``weight_ones`` (arrays, broadcast: one value per op) in place of the
    config's ``cell.input_ones`` / ``cell.weight_ones``: ``{design field: values}`` for each of
    ``cell_read_energy``, ``dac_energy``, ``switch_energy`` and ``counter_energy`` that
    :func:`design` derives, by the same functions (a number the config gives does not depend on
    the data: left out). Only call with a design that derives (``design(c, tech)`` succeeded)."""
    d = design(c, tech)
    out = {}
    if not activity_dependent(c, tech):
        return out
    rpr = c.rows_per_read or c.rows
    cs = None
    if c.adc.type == "current_sense":
        cs = _current_sense(c, tech, tech.voltage, rpr, input_ones, weight_ones)
    cell = _cell(c, tech)
    if c.cell_read_energy is None:
        out["cell_read_energy"] = _cell_energy(c, tech, cell, cs, input_ones, weight_ones)[0]
        if cs is not None:  # the reference column's share of a column read (module sensing)
            out["reference_share"] = cs["ref_share"]
    if c.dac_energy is None:
        # plus a multi-bit level DAC's core: its string draws the same at any code (dacpart),
        # held for this path's read (review L3 5) and, buffered, at its row's weight_ones
        core = _dac_core(c, tech, cell, cs, d, input_ones, weight_ones) if d.dac_core else 0.0
        out["dac_energy"] = _dac_energy(c, tech, cell, cs, input_ones)[0] + core
    if c.switch_energy is None and "switch" in d.periphery_parts:
        out["switch_energy"] = _switch_row(c, tech, cell, input_ones).energy_j
    if c.counter_energy is None and "counter" in d.periphery_parts:
        out["counter_energy"] = _counter_row(c, tech, cell, input_ones).energy_j
    return out


def _dac_core(c, tech, cell, cs, d, input_ones, weight_ones) -> np.ndarray:
    """A multi-bit level DAC's energy per conversion (:func:`.dacpart.level_dac`) at each
    activity: held for the read before its settling (a given ``read_latency``; with
    ``adc.type: current_sense`` that activity's sensing time; else the design's), a buffered
    string's standing current at each ``weight_ones`` (review L3 5)."""
    x, w = np.broadcast_arrays(np.asarray(input_ones, dtype=float), np.asarray(weight_ones, dtype=float))
    if c.read_latency is not None:
        read = np.full(x.shape, c.read_latency)
    elif cs is not None:
        read = np.broadcast_to(np.asarray(cs["t_sense"], dtype=float), x.shape)
    else:
        read = np.full(x.shape, d.read_latency - float(dacpart.level_dac(c, tech, cell, 0.0).delay_s))
    return np.array([float(dacpart.level_dac(c, tech, cell, float(r), float(wi)).energy_j)
                     for r, wi in zip(read.ravel(), w.ravel())]).reshape(x.shape)


def activity_dependent(c, tech) -> bool:
    """Whether the config derives an energy that depends on the data (cell reads, row drives,
    the input switch matrix)."""
    if c.cell_read_energy is None or c.dac_energy is None:
        return True
    return tech is not None and any(
        getattr(c, f"{p}_energy") is None and p in design(c, tech).periphery_parts
        for p in ("switch", "counter"))
