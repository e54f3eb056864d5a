"""A CIM config's current-sense readout (``adc.type: current_sense`` on a resistive cell): the
circuit models of :mod:`cimsim.hw.circuits.sense` wired to the config -- the converter, one
column's read, one row drive, and the share of a column the reference column of off cells
draws (review18-4 item 3: its node charges through the off cells as a column's does through
the mean cell, ``(1 - e^(-t n G_off / C)) / (1 - e^(-t n G_mean / C))``, not ``G_off /
G_mean``). :mod:`.derive` and :mod:`.activity` call :func:`current_sense`."""

from __future__ import annotations

from ..circuits import array as array_model
from ..circuits import sense
from .finite import DeriveError


def current_sense(c, cell, tech, vdd, rpr, ones, wones) -> dict:
    """``adc.type: current_sense`` on the resistive ``cell`` of config ``c``, at the input and
    weight activities ``ones``, ``wones`` (arrays broadcast). The 1T1R access transistor is
    sized by the IR-drop rule at the supply as gate drive; the column node carries the column
    wire, the access drains of every row and the sense-amplifier inputs; the sensing time is
    the 22 nm figure moved to the node plus the RC of one LSB above the off cells' pedestal
    (``on_off``). The converter is a parallel flash with no static bias. ``ref_share``: the
    reference column's read (every cell off) over a mean column's at the same sensing."""
    if cell.kind != "resistive":
        raise DeriveError("adc.type", f"current_sense reads a resistive cell; {cell.name} is "
                          f"{cell.kind} (use sar, flash or ramp)")
    node = tech.node_nm
    try:  # r_ref: one LSB above the off cells' pedestal (on_off > 1: the cell's own check)
        r_ref = sense.highest_reference_ohm(cell.r_on_ohm, c.adc.bits, rpr, on_off=cell.on_off)
        w = sense.access_width_f(cell.r_on_ohm, node, vdd)
        wire = array_model.column_capacitance(cell, c.rows, node)
        junctions = c.rows * w * node * 1e-9 * sense.GATE_CAP_F_PER_M
        c_node = sense.node_capacitance(wire, c.adc.bits, node, rows=c.rows, access_width_f=w)
        t = sense.sense_time(node, vdd, r_ref, c_node)
        conv = sense.current_sense_adc(c.adc.bits, node, cell.read_voltage_v, wire + junctions,
                                       t, vdd)
        read = dict(r_on_ohm=cell.r_on_ohm, on_off=cell.on_off, v_read=cell.read_voltage_v,
                    rows_active=rpr, t_sense_s=t, c_node_f=c_node, input_ones=ones)
        col = sense.column_read(**read, weight_ones=wones)
        share = sense.off_column_share(**read, weight_ones=wones, mean_j=col.energy_j)
        v_gate = vdd if vdd is not None else array_model.scaling.nominal_vdd(node)
        row = sense.row_drive(c.cols, node, cell.read_voltage_v, v_gate, cell.width_f, w)
    except ValueError as exc:
        raise DeriveError("adc.bits", str(exc)) from None
    return {"adc": conv, "column": col, "row": row, "c_node": float(c_node), "t_sense": float(t),
            "ref_share": share}
