"""Array periphery of a parallel-read array: the input switch matrix (resistive arrays), the
column multiplexer that shares an ADC between columns, and the decoder that drives its select lines
(the parts NeuroSim V1.4's manual lists beside the ADC: section 6.2, items 2, 5 and 6 -- the
switch matrix of transmission gates whose control bits sit in registers, and the Mux with its
Mux decoder) (P: what is present, not how it is sized); and the row pulse counter of a
pulse-count temporal DAC (below).

Energy is switched gate and wire capacitance, ``C V^2`` at the supply; nothing here is taken
from NeuroSim's code.

**Transmission gate** (:func:`transmission_gate`). An nMOS of width ``W_n`` beside a pMOS of
``2 W_n`` (the pMOS's resistance per width is twice the nMOS's: the 1:2 sizing of a unit
inverter, Weste & Harris, CMOS VLSI Design 4th ed.) (T): on-resistance ``R W_unit / (2 W_n)``
with ``R W_unit`` the nMOS's on-resistance times width from the FO4 delay
(:func:`.sense.unit_resistance_ohm_m`). One on-off cycle of its complementary control pair
charges the nMOS gate once (select rising) and the pMOS gate once (its complement rising at
turn-off): ``3 W_n C_g' V^2``, ``C_g'`` = 1 fF/um (Weste & Harris) (T).

**Sizing by the IR-drop rule.** A switch in series with ``n`` cells conducting in parallel
(a row's input line feeds ``cols`` cells), whose drop lowers the voltage across every one of
them, is sized so that its on-resistance is ``fraction x R_on / n`` -- the tolerance NeuroSim
documents for the 1T1R access device, ``0.25 R_on`` for one cell (P), applied to the lowest
resistance the switch sees (all ``n`` cells on): :func:`ir_drop_width_f`.

**Input switch matrix** (:func:`switch_matrix_row`), one row for one input slice: the row's
register (a flip-flop holding the input bit, clocked every slice: one register bit of
:mod:`.digital`) and, when the bit is a one (``input_ones``), one on-off cycle of the row's
transmission gate, its control driven through a buffer chain tapered at fan-out 4 that
switches ``(1 + p_inv) / (f - 1) = 2/3`` of its load besides it (``p_inv = 1``; Sutherland,
Sproull & Harris, Logical Effort, 1999) (T). The input line and the wordline it connects are
the row drive's (:func:`.sense.row_drive`), not counted here.

**Column multiplexer** (:func:`column_mux`), ``m`` columns per ADC and ``a`` ADCs per array:
one select line (with its complement) reaches the ``a`` transmission gates of the same column
position, so a selection switches ``a`` gates, the select wire across the array (``cols``
cells of ``cell_width_f`` at 0.2 fF/um, :mod:`.array`) and the line's driver chain; one
selection serves ``a`` conversions, so the energy per conversion is a ``1 / a`` share. The
select switch sits in the sensed path -- in a current-sense readout its reference columns pass
an identical switch, so its resistance shifts column and reference alike; a sampling ADC
(SRAM, SAR) takes the column's voltage, which no steady current drops -- so the IR-drop rule
does not size it; it only has to let the sensed node settle: ``R C ln(2^(b + 1)) <= t`` (half an LSB of ``b``
bits within the sensing or conversion time ``t``), at least the minimum width
(:func:`settle_width_f`). When the design states the final driver of its select lines
(``driver_size`` unit inverters; NeuroSim V1.4's Param.cpp: ``sizingfactor_MUX`` 110 at
22 nm) (P), the gate load is what that driver drives at a stage effort of 4 (``4 x
driver_size x C_inv``, FO4 sizing, Logical Effort) (T). Plus the decoder that selects the
line (:func:`decoder`).

**Decoder** (:func:`decoder`), ``k`` address bits to ``2^k`` outputs, each output a ``k``-input
NAND (logical effort ``(k + 2) / 3``, Weste & Harris Table 4.2) (T) and an inverter driving
the output load through the chain above. Each address bit's true and complement lines load one
NAND input of each of ``2^(k-1)`` gates; stepping a counter through the columns toggles
``2 (1 - 2^-k)`` address bits per step on average (a binary counter), each toggle charging one
of the pair; one output rises (the one that falls returns its charge to ground): ``E = (toggles
x 2^(k-1) x g C_inv + C_inv (1 + k) + C_out (1 + 2/3)) V^2`` with ``C_inv`` the unit inverter's
input (6 F of gate, :func:`.digital.unit_inverter_capacitance`) and ``k`` the NAND's parasitic
delay in units of ``C_inv`` (Logical Effort) (T).

**Row pulse counter** (:func:`pulse_counter_row`), one row of a temporal DAC that applies a
``D``-bit input as a number of unit pulses (``input_drive: pulse_count``; Sinangil et al.,
JSSC 2021: "the 4-bit input is represented by the number of RWL pulses", abstract (P); one
counter per row turns the digital input into the pulse count, CiMLoop's model of that macro,
mit-emze/cimloop @ d6e1390 ``1_macro/sinangil_jssc_2021/arch.yaml`` and ``_guide.ipynb``
(T)). One row for one input slice:

- the slice's ``D`` bits loaded into the counter's register -- every slice, whatever the
  value (data-independent): ``D`` register bits of :mod:`.digital` (the package's register
  design);
- one count per unit pulse, ``(2^D - 1) x input_ones`` counts on average (the value over
  full scale is the activity, as :func:`.digital.input_drive`), each clocking the ``D``
  register bits and evaluating the incrementer's ``D`` half adders; the counter stops with
  its count (CiMLoop's counter energy follows the input value, (T)), so its flip-flops are
  clocked only while counting (stated). A half adder (XOR2, 12 transistors, + AND2, 6, Weste &
  Harris static CMOS) is 18/28 of a mirror full-adder bit (transistor count) of
  :mod:`.digital` (D), the counting done-detect gate is not counted (a floor);
- the row's share of the pulse clock, which toggles at each of the ``2^D - 1`` pulse slots of
  every slice whatever the data (data-independent): one row pitch of its line (``height_f``
  of wire at 0.2 fF/um) and the row's gating input (one unit inverter, 6 F at 1 fF/um), with
  the line driver's FO4 chain (x 5/3, Logical Effort), ``C V^2`` per slot.

Delays: not modelled here (0); areas: the transmission gates' and registers' (gate width x 2F
pitch per transistor: an estimate, placeholder).
"""

from __future__ import annotations

import numpy as np

from . import digital, scaling, sense
from .record import PartEstimate, provenance

#: the series-switch IR-drop tolerance: on-resistance as a fraction of the cells' lowest
#: resistance (NeuroSim V1.4's 0.25 for the 1T1R access device) (P)
IR_FRACTION = sense.ACCESS_FRACTION
#: pMOS width per nMOS width in a transmission gate (equal resistance: Weste & Harris) (T)
PMOS_RATIO = 2.0
#: capacitance a FO4-tapered driver chain switches besides its load, (1 + p_inv) / (f - 1) with
#: f = 4, p_inv = 1 (Logical Effort, 1999; Weste & Harris sec. 4.5) (T)
DRIVER_FANOUT = 4.0
DRIVER_OVERHEAD = (1.0 + 1.0) / (DRIVER_FANOUT - 1.0)
#: wire capacitance per metre (0.2 fF/um, Weste & Harris; as :mod:`.array`) (T)
WIRE_CAP_F_PER_M = digital.WIRE_CAP_F_PER_M
GATE_CAP_F_PER_M = sense.GATE_CAP_F_PER_M
SOURCE = ("transmission gates sized by an IR-drop rule (NeuroSim V1.4's 0.25 tolerance), "
          "C V^2 of gates (1 fF/um) and wires (0.2 fF/um), FO4 driver chains and NAND decoders "
          "by Logical Effort (Sutherland, Sproull & Harris 1999; Weste & Harris 4th ed.)")


def ir_drop_width_f(r_on_ohm: float, cells, node_nm: float, vdd=None,
                    fraction: float = IR_FRACTION):
    """nMOS width (feature sizes) of a transmission gate in series with ``cells`` cells in
    parallel, on-resistance ``fraction x R_on / cells``: ``W_n = R W_unit / (2 R_max)``."""
    n = np.asarray(cells, dtype=float)
    if not (r_on_ohm > 0 and fraction > 0) or np.any(n < 1):
        raise ValueError("r_on_ohm > 0, fraction > 0 and cells >= 1 required")
    r_max = fraction * r_on_ohm / n
    # nMOS R W_unit / W_n beside a pMOS of the same resistance: R W_unit / (2 W_n)
    return sense.unit_resistance_ohm_m(node_nm, vdd) / (2.0 * r_max) / (node_nm * 1e-9)


def transmission_gate(width_f, node_nm: float, vdd=None) -> PartEstimate:
    """One on-off cycle of a transmission gate of nMOS width ``width_f`` (feature sizes) and
    pMOS twice that: ``(1 + 2) W_n C_g' V^2``; delay 0; area: gate width x 2F per transistor
    (placeholder)."""
    v = scaling.supply(node_nm, vdd)
    w = np.asarray(width_f, dtype=float)
    if np.any(w <= 0):
        raise ValueError(f"transmission-gate width {width_f} F must be > 0")
    f = node_nm * 1e-9
    c = (1.0 + PMOS_RATIO) * w * f * GATE_CAP_F_PER_M
    return PartEstimate(energy_j=c * v * v, delay_s=np.zeros_like(c),
                        area_m2=(1.0 + PMOS_RATIO) * w * f * 2 * f,
                        source="transmission gate: (1 + 2) W_n C_g' V^2 (Weste & Harris)",
                        field_provenance=provenance(delay_s=True, area_m2=True))


def gate_capacitance(width_f, node_nm: float) -> np.ndarray:
    """Gate capacitance (F) of a transmission gate's nMOS and pMOS, ``3 W_n C_g'``."""
    return (1.0 + PMOS_RATIO) * np.asarray(width_f, dtype=float) * node_nm * 1e-9 * GATE_CAP_F_PER_M


def decoder(address_bits, load_capacitance_f, node_nm: float, vdd=None) -> PartEstimate:
    """One step of a ``k``-bit decoder counting through its outputs, each output driving
    ``load_capacitance_f`` (module rule). ``k = 0`` (nothing to select): 0 J."""
    v = scaling.supply(node_nm, vdd)
    k = np.asarray(address_bits, dtype=float)
    if np.any(k < 0) or np.any(np.mod(k, 1) != 0):
        raise ValueError(f"decoder address bits {address_bits} must be a whole number >= 0")
    c_load = np.asarray(load_capacitance_f, dtype=float)
    if np.any(c_load < 0):
        raise ValueError("decoder load capacitance must be >= 0")
    c_inv = digital.unit_inverter_capacitance(node_nm)
    g_nand = (k + 2.0) / 3.0
    toggles = 2.0 * (1.0 - 2.0 ** -k)
    c = (toggles * 2.0 ** np.maximum(k - 1.0, 0.0) * g_nand * c_inv + c_inv * (1.0 + k)
         + c_load * (1.0 + DRIVER_OVERHEAD))
    e = np.where(k > 0, c * v * v, 0.0)
    return PartEstimate(energy_j=e, delay_s=np.zeros_like(e), area_m2=np.zeros_like(e),
                        source="NAND decoder, FO4 output chain (Logical Effort)",
                        field_provenance=provenance(delay_s=True, area_m2=True))


def switch_matrix_row(cols: int, r_on_ohm: float, node_nm: float, vdd=None, input_ones=0.5,
                      fraction: float = IR_FRACTION, register_design=None) -> PartEstimate:
    """One row of the input switch matrix for one input slice (J): the row register's bit and,
    for a one, the row's transmission gate (IR-drop sized for ``cols`` cells) switched through
    its driver chain (module rule)."""
    x1 = np.asarray(input_ones, dtype=float)
    if np.any((x1 < 0) | (x1 > 1)):
        raise ValueError("input_ones must be within 0..1")
    v = scaling.supply(node_nm, vdd)
    w = ir_drop_width_f(r_on_ohm, cols, node_nm, vdd, fraction)
    c_tg = gate_capacitance(w, node_nm)
    reg = digital.register(1, node_nm, vdd, register_design)
    e = reg.energy_j + x1 * c_tg * (1.0 + DRIVER_OVERHEAD) * v * v
    return PartEstimate(energy_j=e, delay_s=0.0,
                        area_m2=transmission_gate(w, node_nm, vdd).area_m2 + reg.area_m2,
                        source=SOURCE + "; " + reg.source,
                        field_provenance=provenance(
                            energy_j=reg.field_provenance["energy_j"] == "placeholder",
                            delay_s=True, area_m2=True))


def settle_width_f(t_s, c_f, bits, node_nm: float, vdd=None):
    """nMOS width (feature sizes) of a select switch that lets a node of ``c_f`` settle to half
    an LSB of ``bits`` within ``t_s``: ``R C ln(2^(bits + 1)) <= t``, at least the minimum
    width (2F, :data:`.sense.MIN_WIDTH_F`)."""
    t, c = np.asarray(t_s, dtype=float), np.asarray(c_f, dtype=float)
    if np.any(t <= 0) or np.any(c < 0) or np.any(np.asarray(bits) < 1):
        raise ValueError("t_s > 0, c_f >= 0 and bits >= 1 required")
    r_max = t / np.maximum(c * np.log(2.0 ** (np.asarray(bits, dtype=float) + 1.0)), 1e-300)
    w = sense.unit_resistance_ohm_m(node_nm, vdd) / (2.0 * r_max) / (node_nm * 1e-9)
    return np.maximum(w, sense.MIN_WIDTH_F)


def column_mux(columns_per_adc: int, adcs: int, cols: int, cell_width_f: float,
               node_nm: float, vdd=None, width_f=None, driver_size=None) -> PartEstimate:
    """The column multiplexer's share of one conversion (J): one select step (the select line
    of ``adcs`` transmission gates of nMOS width ``width_f``, its wire across ``cols`` cells,
    driver chain and decoder) over the ``adcs`` conversions it serves; or, with
    ``driver_size`` (the select lines' final driver, in unit inverters), the gate load that
    driver drives at a stage effort of 4 (module rule). One column per ADC: 0 J."""
    if columns_per_adc < 1 or adcs < 1 or cols < 1 or cell_width_f <= 0:
        raise ValueError("columns_per_adc, adcs, cols >= 1 and cell_width_f > 0 required")
    scaling.supply(node_nm, vdd)
    if columns_per_adc == 1:
        return PartEstimate(energy_j=0.0, delay_s=0.0, area_m2=0.0, source="no multiplexer",
                            field_provenance=provenance())
    f = node_nm * 1e-9
    c_wire = cols * cell_width_f * f * WIRE_CAP_F_PER_M
    if driver_size is not None:
        if driver_size <= 0:
            raise ValueError(f"driver_size {driver_size} must be > 0")
        c_gates = DRIVER_FANOUT * driver_size * digital.unit_inverter_capacitance(node_nm)
        area = 0.0
    elif width_f is not None:
        c_gates = adcs * gate_capacitance(width_f, node_nm)
        area = cols * transmission_gate(width_f, node_nm, vdd).area_m2
    else:
        raise ValueError("column_mux needs width_f (the gates' nMOS width) or driver_size")
    bits = int(np.ceil(np.log2(columns_per_adc)))
    dec = decoder(bits, c_gates + c_wire, node_nm, vdd)
    return PartEstimate(energy_j=dec.energy_j / adcs, delay_s=0.0, area_m2=area,
                        source=SOURCE, field_provenance=provenance(delay_s=True, area_m2=True))


#: a half adder (XOR2 12 T + AND2 6 T, static CMOS; Weste & Harris) per mirror full adder
#: (28 T), by transistor count (D)
HALF_ADDER_PER_FULL_ADDER = 18 / 28


def pulse_counter_row(input_bits, row_height_f: float, node_nm: float, vdd=None, input_ones=0.5,
                      register_design=None) -> PartEstimate:
    """One row's pulse counter for one ``input_bits``-bit slice (J, module rule): the load of
    ``D`` register bits, ``(2^D - 1) x input_ones`` counts of ``D`` register bits and ``D``
    half adders, and the row's share of the pulse clock (one ``row_height_f`` pitch of wire and
    one unit-inverter gate, with its driver chain) at each of the ``2^D - 1`` slots."""
    d = digital._width("counter bits", input_bits)
    x = np.asarray(input_ones, dtype=float)
    if np.any((x < 0) | (x > 1)):
        raise ValueError("input_ones must be within 0..1")
    if not row_height_f > 0:
        raise ValueError(f"row height {row_height_f} F must be > 0")
    v = scaling.supply(node_nm, vdd)
    slots = 2.0 ** d - 1
    reg = digital.register(d, node_nm, vdd, register_design)
    half = HALF_ADDER_PER_FULL_ADDER * digital.full_adder_energy(node_nm, vdd)
    c_clk = (row_height_f * node_nm * 1e-9 * WIRE_CAP_F_PER_M
             + digital.unit_inverter_capacitance(node_nm))
    e = (reg.energy_j + slots * x * (reg.energy_j + d * half)
         + slots * digital.driven_capacitance(c_clk) * v * v)
    return PartEstimate(energy_j=e, delay_s=0.0, area_m2=reg.area_m2,
                        source=("row pulse counter: register bits (load, one per count), "
                                "half adders (Horowitz 2014 full adder x 18/28), pulse clock "
                                "C V^2 (0.2 fF/um wire, 1 fF/um gate, FO4 chain); " + reg.source),
                        field_provenance=provenance(
                            energy_j=reg.field_provenance["energy_j"] == "placeholder",
                            delay_s=True, area_m2=True))

