"""A multi-bit voltage DAC's core: a resistor-string DAC with a binary switch tree.

Architecture (Kester, "Basic DAC Architectures I: String DACs and Thermometer DACs", Analog
Devices tutorial MT-014, 2009, fig. 1 and 3) (T): ``2^D`` equal unit resistors ``R_u`` between
the full-scale rail ``V`` and ground; a binary tree of ``D`` levels of transmission gates
(``2^(D+1) - 2`` in all) connects the tap of code ``k`` to the output, which drives the row.
One DAC per driven row (the row-drive energy ``C V V_k`` of :func:`.digital.input_driver` is
the row's own charge and stays counted there; this module adds what the core costs):

- **energy per conversion**: the string's static current ``V / (2^D R_u)`` drawn at ``V`` for as
  long as the level is held, ``E = V^2 / (2^D R_u) x t_hold`` (Ohm's law, exact), ``t_hold`` the
  read time (the level's settling plus the read pulse). The switch tree's select lines are
  not counted (their gates are a few unit inverters against the string's static draw);
- **output resistance**: the worst tap (mid-string) sees two halves of the string in parallel,
  ``2^D R_u / 4`` (Thevenin, exact), plus ``D`` transmission gates in series, each of
  ``R_on W / (2 W)`` at the minimum width (nMOS and pMOS in parallel,
  :func:`.sense.unit_resistance_ohm_m`) (T);
- **settling** (delay): the output to within half an LSB of ``D`` bits through that resistance
  into the row's capacitance ``C``: ``(D + 1) ln 2 R_out C`` (single-pole RC, exact);
- **area**: ``2^D`` unit resistors of :data:`UNIT_RESISTOR_AREA_M2` and the tree's gates of
  :data:`SWITCH_AREA_F2` feature sizes squared each.

Placeholders (U): the unit resistance (:data:`UNIT_RESISTANCE_OHM`, 1 kOhm: unsilicided poly of
a few squares), the unit resistor's area (:data:`UNIT_RESISTOR_AREA_M2`, 1 um^2, not moved by
node: resistors do not shrink with the gate length) and a transmission gate's area
(:data:`SWITCH_AREA_F2`). A 1-bit input is a plain driver (no string): this model is for
``D >= 2``.

**A resistive row is a DC load** (review L3 1): its cells conduct ``sum G`` to the columns'
virtual ground, so the bare string reaches only ``1 / (1 + R_out sum G)`` of the level (Ohm,
exact). Where ``R_out sum G`` exceeds half an LSB, ``2^-(D+1)``, the string cannot drive the row
and :func:`buffered_string_dac` puts a unity-gain output buffer (an op-amp follower) between
them: the string settles into the buffer's input gate, the buffer into the row through the
closed-loop output resistance that holds the divider error to half an LSB,
``R_o = 2^-(D+1) / sum G`` (its settling ``(D+1) ln2 (R_o || 1/sum G) C``: the op-amp's own
bandwidth is not modelled, an optimistic bound), drawing a class-A standing current of the peak
row current ``V sum G`` at the supply for the hold time (``E = V_dd V sum G t_hold``; the cells'
own current, counted in the cell read, flows out of that standing current: an upper bound), in
:data:`BUFFER_AREA_F2` (U) and with an input pair of :data:`BUFFER_INPUT_WIDTH_F` (U).
"""

from __future__ import annotations

import math

from . import periphery, scaling, sense
from .record import PartEstimate, provenance

#: unit resistor of the string (Ohm) (U)
UNIT_RESISTANCE_OHM = 1e3
#: unit resistor's area (m^2), any node (U)
UNIT_RESISTOR_AREA_M2 = 1e-12
#: one transmission gate of the switch tree (F^2) (U)
SWITCH_AREA_F2 = 30.0

#: the output buffer's area (F^2): a two-stage op-amp's ~10 transistors and its compensation (U)
BUFFER_AREA_F2 = 2000.0
#: the buffer's input transistor width (F): the string's load (U)
BUFFER_INPUT_WIDTH_F = 2.0

SOURCE = ("resistor-string DAC, binary switch tree (Kester, ADI MT-014) (T): static V^2/(2^D R_u) "
          "over the hold time, settling (D+1) ln2 R_out C (exact); unit resistor, its area and "
          "the switch area (U)")


def switches(bits: int) -> int:
    """Transmission gates of a ``bits``-level binary switch tree: ``2^(D+1) - 2``."""
    return 2 ** (bits + 1) - 2


def output_resistance(bits: int, node_nm: float, vdd=None,
                      unit_resistance_ohm: float = UNIT_RESISTANCE_OHM) -> float:
    """Worst-tap output resistance (Ohm): ``2^D R_u / 4 + D R_tg``."""
    r_tg = sense.unit_resistance_ohm_m(node_nm, vdd) / (2.0 * sense.MIN_WIDTH_F * node_nm * 1e-9)
    return 2 ** bits * unit_resistance_ohm / 4.0 + bits * r_tg


def settling_time(bits: int, r_out_ohm: float, load_f: float) -> float:
    """Time (s) for the output to settle within half an LSB of ``bits``: ``(D+1) ln2 R C``."""
    return (bits + 1) * math.log(2.0) * r_out_ohm * load_f


def resistor_string_dac(bits: int, v_full_scale: float, load_f: float, node_nm: float,
                        hold_s: float, vdd=None,
                        unit_resistance_ohm: float = UNIT_RESISTANCE_OHM) -> PartEstimate:
    """One conversion of one ``bits``-bit resistor-string DAC driving a row of ``load_f``:
    energy = the string's static draw over ``hold_s`` (the level's settling is added by the
    caller to the read it holds), delay = its settling, area = one DAC."""
    if int(bits) != bits or bits < 2:
        raise ValueError(f"a resistor-string DAC has at least 2 bits (got {bits}); a 1-bit "
                         "input is a plain driver")
    if v_full_scale <= 0 or load_f < 0 or hold_s < 0 or unit_resistance_ohm <= 0:
        raise ValueError("full-scale voltage > 0 V, load >= 0 F, hold time >= 0 s and unit "
                         "resistance > 0 Ohm required")
    bits = int(bits)
    r_out = output_resistance(bits, node_nm, vdd, unit_resistance_ohm)
    f = node_nm * 1e-9
    return PartEstimate(
        energy_j=v_full_scale ** 2 / (2 ** bits * unit_resistance_ohm) * hold_s,
        delay_s=settling_time(bits, r_out, load_f),
        area_m2=2 ** bits * UNIT_RESISTOR_AREA_M2 + switches(bits) * SWITCH_AREA_F2 * f * f,
        source=SOURCE,
        field_provenance=provenance(energy_j=True, delay_s=True, area_m2=True),
    )


def string_drives(bits: int, r_out_ohm: float, row_conductance_s: float) -> bool:
    """Whether the bare string holds a row of DC conductance ``sum G`` within half an LSB:
    ``R_out sum G <= 2^-(D+1)``."""
    return r_out_ohm * row_conductance_s <= 2.0 ** -(bits + 1)


def buffered_string_dac(bits: int, v_full_scale: float, load_f: float, row_conductance_s: float,
                        node_nm: float, hold_s: float, vdd=None,
                        unit_resistance_ohm: float = UNIT_RESISTANCE_OHM) -> PartEstimate:
    """A resistor string behind a unity-gain output buffer driving a row of ``load_f`` and DC
    conductance ``row_conductance_s`` (module docstring): delay = the string's settling into
    the buffer's input plus the buffer's into the row, energy = the string's and the buffer's
    standing draws over ``hold_s``, area = string + buffer."""
    if row_conductance_s <= 0:
        raise ValueError(f"a buffered DAC drives a row of conductance > 0 S (got {row_conductance_s})")
    c_in = float(periphery.gate_capacitance(BUFFER_INPUT_WIDTH_F, node_nm))
    string = resistor_string_dac(bits, v_full_scale, c_in, node_nm, hold_s, vdd, unit_resistance_ohm)
    r_o = 2.0 ** -(int(bits) + 1) / row_conductance_s
    r_par = 1.0 / (1.0 / r_o + row_conductance_s)
    v_dd = scaling.supply(node_nm, vdd)
    f = node_nm * 1e-9
    return PartEstimate(
        energy_j=float(string.energy_j) + v_dd * v_full_scale * row_conductance_s * hold_s,
        delay_s=float(string.delay_s) + settling_time(bits, r_par, load_f),
        area_m2=float(string.area_m2) + BUFFER_AREA_F2 * f * f,
        source=SOURCE + "; unity-gain output buffer: class-A standing current V sum G at V_dd, "
               "output resistance 2^-(D+1)/sum G (Ohm), op-amp bandwidth not modelled; its area "
               "and input width (U)",
        field_provenance=provenance(energy_j=True, delay_s=True, area_m2=True),
    )


def level_dac_applies(dac_bits: int, input_drive: str, cell_kind: str) -> bool:
    """A level (voltage) DAC of 2 or more bits on an analog array: the rows this model drives."""
    return dac_bits > 1 and input_drive == "level" and cell_kind != "digital"


__all__ = ["resistor_string_dac", "buffered_string_dac", "string_drives", "output_resistance", "settling_time", "switches",
           "level_dac_applies"]
