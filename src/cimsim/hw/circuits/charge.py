"""Charge-domain CIM column (multiplying bit-cell, M-BC): compute-line capacitance, the energy of
one compute cycle by its physical parts, and the signal swing an ADC reads.

The circuit (Valavi et al., JSSC 54(6) 2019; Jia et al., JSSC 55(9) 2020, "M-BC"): each bitcell
is a 6T SRAM cell, two switch transistors and a unit capacitor ``C_u`` whose top plate sits on
the column's compute line. An input bit is broadcast along its row on a differential pair
(IA/IAb); in each cell the switches drive the capacitor's bottom plate to the 1-bit product
(AND-compute: ``x AND w``; XNOR-compute: ``x XNOR w``). With the compute line floating, the
charge redistributes: the line settles at ``V_o = k C_u V / C_CL`` for ``k`` products of 1 out
of ``N`` rows. The ADC reads ``V_o``; then bottom plates and compute line are reset to ground.

Compute-line capacitance (per logical column, N rows):
``C_CL = N (C_u + h F c_wire + W_sw F c_diff)`` -- the unit capacitors, the wire (one cell
height ``h`` per row at 0.2 fF/um, :data:`.array.WIRE_CAP_F_PER_M`) and one switch drain per
row on the line (the top-plate node's junction); with ``fold`` physical columns shorted into one
logical column (Jia: 3), the wire and drains are the same per row.

Energy drawn from the supply per logical column per cycle (each a physical event):

- ``capacitors``: ``k`` bottom plates rising from 0 to ``V`` while the line floats: the supply
  delivers ``k C_b (V - V_o)`` at ``V``, i.e. ``E = k C_u V^2 (1 - k C_u / C_CL)`` plus the
  bottom-plate node's own parasitic (two switch drains, ``C_bp = 2 W_sw F c_diff``) charged
  fully, ``k C_bp V^2`` (charge conservation on the floating line; exact for one event, taken at
  the mean ``k = N p`` with ``p`` the fraction of products of 1: ``input_ones x weight_ones``
  for AND-compute, ``x w + (1-x)(1-w)`` for XNOR-compute). The reset to ground returns
  nothing and costs no supply energy: the compute line needs no precharge in this scheme.
- ``input_broadcast``: per row, the toggling line of the IA/IAb pair charged to ``V`` and
  reset: ``fold`` cell widths of wire per column (a logical row crosses all ``fold x cols``
  physical columns) and one switch gate per cell (``W_sw F c_gate``); per cycle a row toggles
  with probability ``input_ones`` (AND-compute with zero-input gating: a zero input does not
  toggle) or 1 (XNOR-compute: one of the pair always toggles).

- ``row driver``: the buffer chain driving each row's line, tapered at fanout ``f = 4``
  (the FO4 rule): its stages' gate capacitance sums to ``C_line / (f - 1)`` and their drain
  (parasitic) capacitance to as much again (parasitic-to-gate ratio ``p_inv = 1`` of an
  inverter), so the chain switches ``(1 + p_inv) / (f - 1) = 2/3`` of the line's capacitance
  besides it (Sutherland, Sproull & Harris, Logical Effort, 1999, ch. 1-3; Weste & Harris
  4th ed. sec. 4.5) (T). Counted inside ``input_broadcast`` and the row-drive event.

Not included (stated): the SRAM cell's storage nodes (static during compute), the compute
line's reset switch gates (one per column), clocking and control, leakage.

Constants: gate and diffusion capacitance 1 fF per um of transistor width (Weste & Harris,
CMOS VLSI Design, 4th ed., sec. 2.3.2: "C_permicron" of 1-2 fF/um for processes of this era;
the low end taken) (T); switch width 4 F (CiMLoop's model of Jia et al.,
``memory_cells/sram_jia_jssc_2020.cell.yaml``, ``AccessCMOSWidth (F): 4`` @ d6e1390) (T).
"""

from __future__ import annotations

import numpy as np

from . import digital, scaling
from .array import WIRE_CAP_F_PER_M

#: gate and diffusion capacitance per metre of transistor width (1 fF/um; Weste & Harris) (T)
GATE_CAP_F_PER_M = 1e-15 / 1e-6
DIFF_CAP_F_PER_M = 1e-15 / 1e-6
#: width of an M-BC switch transistor in feature sizes (CiMLoop's Jia cell: 4 F) (T)
SWITCH_WIDTH_F = 4.0

#: capacitance a FO4-tapered driver chain switches besides its load, 2/3: one definition, the
#: shared input driver's (:data:`.digital.DRIVER_OVERHEAD`; Logical Effort) (T)
DRIVER_OVERHEAD = digital.DRIVER_OVERHEAD

COMPUTE_MODES = ("and", "xnor")

SOURCE = ("charge-domain M-BC column (Valavi JSSC 2019, Jia JSSC 2020): floating-line charge "
          "redistribution, IA/IAb broadcast with a FO4 driver chain (Logical Effort), "
          "C_g = C_d = 1 fF/um (Weste & Harris) (T), "
          "wire 0.2 fF/um, switch 4 F (CiMLoop Jia cell) (T)")


def _positive(name, v):
    a = np.asarray(v, dtype=float)
    if np.any(a <= 0) or not np.all(np.isfinite(a)):
        raise ValueError(f"{name} {v} must be finite and > 0")
    return a


def _fraction(name, v):
    a = np.asarray(v, dtype=float)
    if np.any(a < 0) or np.any(a > 1) or not np.all(np.isfinite(a)):
        raise ValueError(f"{name} {v} must be within 0..1")
    return a


def _rows(rows):
    r = np.asarray(rows, dtype=float)
    if np.any(r < 1) or np.any(np.mod(r, 1) != 0):
        raise ValueError(f"rows {rows} must be a whole number >= 1")
    return r


def compute_line_capacitance(rows, unit_capacitance_f, height_f, node_nm: float,
                             switch_width_f=SWITCH_WIDTH_F):
    """``C_CL`` (F) of one logical column of ``rows`` cells: unit capacitors + wire + one
    switch drain per row."""
    f = scaling._check_node(node_nm) * 1e-9
    per_row = (_positive("unit capacitance", unit_capacitance_f)
               + _positive("cell height", height_f) * f * WIRE_CAP_F_PER_M
               + _positive("switch width", switch_width_f) * f * DIFF_CAP_F_PER_M)
    return _rows(rows) * per_row


def product_ones(input_ones, weight_ones, compute: str = "and"):
    """Fraction of 1-bit products of 1: ``x w`` (AND) or ``x w + (1-x)(1-w)`` (XNOR)."""
    x, w = _fraction("input_ones", input_ones), _fraction("weight_ones", weight_ones)
    if compute == "and":
        return x * w
    if compute == "xnor":
        return x * w + (1 - x) * (1 - w)
    raise ValueError(f"compute mode {compute!r} is not allowed; allowed: {', '.join(COMPUTE_MODES)}")


def column_energy_parts(rows, unit_capacitance_f, height_f, width_f, node_nm: float, vdd=None,
                        input_ones=0.5, weight_ones=0.5, compute: str = "and", fold=1,
                        switch_width_f=SWITCH_WIDTH_F) -> dict:
    """Supply energy (J) of one compute cycle of one logical column, by part:
    ``capacitors`` (bottom plates and their switch drains) and ``input_broadcast`` (this
    column's share of the rows' IA/IAb lines); see the module docstring."""
    f = scaling._check_node(node_nm) * 1e-9
    v = scaling.supply(node_nm, vdd)
    n = _rows(rows)
    cu = _positive("unit capacitance", unit_capacitance_f)
    w_sw = _positive("switch width", switch_width_f) * f
    fold = _positive("fold", fold)
    p = product_ones(input_ones, weight_ones, compute)
    c_cl = compute_line_capacitance(n, cu, height_f, node_nm, switch_width_f)
    k = n * p
    c_bp = 2 * w_sw * DIFF_CAP_F_PER_M
    caps = k * cu * v * v * (1 - k * cu / c_cl) + k * c_bp * v * v
    toggle = _fraction("input_ones", input_ones) if compute == "and" else 1.0
    line_per_cell = fold * _positive("cell width", width_f) * f * WIRE_CAP_F_PER_M + w_sw * GATE_CAP_F_PER_M
    broadcast = n * toggle * line_per_cell * (1 + DRIVER_OVERHEAD) * v * v
    return {"capacitors": caps, "input_broadcast": broadcast * np.ones_like(caps)}


def row_broadcast_energy(cols, width_f, node_nm: float, vdd=None, input_ones=0.5,
                         compute: str = "and", fold=1, switch_width_f=SWITCH_WIDTH_F):
    """Energy (J) of one row's input broadcast across ``cols`` logical columns for one cycle
    (the row-drive event): ``toggle x cols x (fold w F c_wire + W_sw F c_gate) (1 + 2/3) V^2``
    (the line and its driver chain)."""
    f = scaling._check_node(node_nm) * 1e-9
    v = scaling.supply(node_nm, vdd)
    if compute not in COMPUTE_MODES:
        raise ValueError(f"compute mode {compute!r} is not allowed; allowed: {', '.join(COMPUTE_MODES)}")
    toggle = _fraction("input_ones", input_ones) if compute == "and" else 1.0
    return toggle * row_broadcast_capacitance(cols, width_f, node_nm, fold, switch_width_f) * (
        1 + DRIVER_OVERHEAD) * v * v


def row_broadcast_capacitance(cols, width_f, node_nm: float, fold=1,
                              switch_width_f=SWITCH_WIDTH_F):
    """Capacitance (F) of one row's IA/IAb input broadcast across ``cols`` logical columns:
    ``cols x (fold w F c_wire + W_sw F c_gate)`` (the load a row's input driver or DAC sees)."""
    f = scaling._check_node(node_nm) * 1e-9
    line = (_positive("fold", fold) * _positive("cell width", width_f) * f * WIRE_CAP_F_PER_M
            + _positive("switch width", switch_width_f) * f * GATE_CAP_F_PER_M)
    return _rows(cols) * line


def output_swing(rows, unit_capacitance_f, height_f, node_nm: float, vdd=None,
                 switch_width_f=SWITCH_WIDTH_F):
    """Full-scale compute-line swing (V), all ``rows`` products 1: ``V N C_u / C_CL``."""
    v = scaling.supply(node_nm, vdd)
    n = _rows(rows)
    return v * n * _positive("unit capacitance", unit_capacitance_f) / compute_line_capacitance(
        n, unit_capacitance_f, height_f, node_nm, switch_width_f)
