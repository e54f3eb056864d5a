"""A derived design's multi-bit level DAC core (:mod:`~cimsim.hw.circuits.dac`): one
resistor-string DAC per row, for ``dac_bits >= 2`` with ``input_drive: level`` on an analog
array (moved out of :mod:`.derive`, which uses it for the read time, ``dac_energy`` and
``area.dac``).

- read time: a derived ``read_latency`` grows by the DAC's settling ``(D+1) ln2 R_out C_row``
  (a given ``read_latency`` is the design's whole read: left as given);
- ``dac_energy`` (derived): the row drive's ``C V V_k`` plus the string's static draw over the
  read time (the level is held for the whole read);
- ``area.dac`` (left out of ``area``): ``arrays x rows`` DACs of the model's area.

``C_row`` is the row's load (:func:`row_load`): a charge-domain cell's IA/IAb broadcast
(review L3 4), else the wordline; and the derived ``read_latency`` becomes a placeholder (review
L3 3). On a resistive row (a DC load ``sum G``, review L3 1), where the bare string cannot hold
half an LSB (``R_out sum G > 2^-(D+1)``), the DAC gets a unity-gain output buffer
(:func:`~cimsim.hw.circuits.dac.buffered_string_dac`): its settling, standing draw and area.

A 1-bit input (the bundled configs') is a plain driver: no DAC core, nothing changes."""

from __future__ import annotations

from typing import Optional

from ..circuits import array as array_model
from ..circuits import charge as charge_model
from ..circuits import dac as dac_model
from ..circuits.record import PartEstimate
from .rowparts import activity


def row_conductance(c, cell, weight_ones=None) -> float:
    """A resistive row's DC conductance (S): its ``cols`` cells at ``weight_ones`` on (default
    the config's ``cell.weight_ones``), ``cols (w / R_on + (1 - w) / (R_on on_off))``; 0 for a
    capacitive (SRAM) row."""
    if cell.kind != "resistive":
        return 0.0
    w = activity(c)[1] if weight_ones is None else float(weight_ones)
    g_on = 1.0 / cell.r_on_ohm
    return c.cols * (w * g_on + (1.0 - w) * g_on / cell.on_off)


def row_load(c, cell, node_nm: float) -> float:
    """The capacitance (F) a row's input driver or DAC charges: a charge-domain cell's IA/IAb
    broadcast (:func:`~cimsim.hw.circuits.charge.row_broadcast_capacitance`, review L3 4), else
    the wordline (:func:`~cimsim.hw.circuits.array.row_capacitance`)."""
    if cell.kind == "capacitive":
        spec = c.cell
        kw = {"fold": spec.folded_columns}
        if spec.switch_width_f is not None:
            kw["switch_width_f"] = spec.switch_width_f
        return float(charge_model.row_broadcast_capacitance(c.cols, cell.width_f, node_nm, **kw))
    return float(array_model.row_capacitance(cell, c.cols, node_nm))


def level_dac(c, tech, cell, read_latency: float, weight_ones=None) -> Optional[PartEstimate]:
    """One row's DAC for one read of ``read_latency`` (the read as it stands before the
    settling is added; a derived one gets the settling added to its hold time) at the row's
    ``weight_ones`` (default the config's), or None when the design has no multi-bit level DAC
    (or no technology block to derive it from)."""
    if tech is None or not dac_model.level_dac_applies(c.dac_bits, c.input_drive, cell.kind):
        return None
    node, vdd = tech.node_nm, tech.voltage
    v = cell.read_voltage_v if cell.kind == "resistive" else (
        vdd if vdd is not None else array_model.scaling.nominal_vdd(node))
    load = row_load(c, cell, node)
    g = row_conductance(c, cell, weight_ones)
    if g > 0 and not dac_model.string_drives(c.dac_bits, dac_model.output_resistance(c.dac_bits, node, vdd), g):
        def part(hold):
            return dac_model.buffered_string_dac(c.dac_bits, v, load, g, node, hold, vdd)
    else:
        def part(hold):
            return dac_model.resistor_string_dac(c.dac_bits, v, load, node, hold, vdd)
    settle = part(0.0).delay_s
    return part(read_latency + (settle if c.read_latency is None else 0.0))


def buffered(est) -> bool:
    """Whether a :func:`level_dac` estimate has the output buffer."""
    return est is not None and "output buffer" in est.source
