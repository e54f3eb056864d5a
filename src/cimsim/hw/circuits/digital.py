"""Digital and mixed-signal periphery: input drivers / DACs, adders, shift-and-add, registers,
sample-and-hold.

Energies (derived):

- full adder: 3.75 fJ per bit at 45 nm, 0.9 V -- Horowitz, "Computing's energy problem",
  ISSCC 2014 (8-bit integer add 0.03 pJ) (T) -- moved to the node and supply by
  :func:`.scaling.energy_factor`;
- register (flip-flop) bit: 9 fJ per access and 5.98 um^2 at 40 nm -- the register of
  Aladdin's 40 nm standard-cell characterisation (Shao, Reagen, Wei & Brooks, ISCA 2014), as
  Accelergy-Project/hwcomponents-library ``library/aladdin.py`` @ 27728db transcribes it
  (T); the source states no supply, so the figure is taken at the node's nominal supply
  (hwcomponents-library moves it by node alone) and moved by :func:`.scaling.energy_factor`
  (energy) and :func:`.scaling.area_factor` (area). One definition,
  :func:`register_bit_energy` / :func:`register_bit_area`, serves every register of the
  package: shift-and-add, SAR logic, the near-memory datapath, a digital CIM cell's pipeline
  register, register-file buffers. Each takes a ``register`` design
  (:class:`.flipflop.RegisterDesign`; None: this standard cell); a ``structural`` one is the
  flip-flop's own switched capacitance, :func:`.flipflop.bit_energy` (energy only: area and
  delay stay the standard cell's);
- input driver / DAC: charging the row's capacitance to the input level ``V_k = k V / (2^D - 1)``
  from the ``V`` rail draws ``C V_k`` of charge at ``V``: ``C V V_k``, so ``C V^2`` times the
  mean level of a ``D``-bit voltage DAC over uniformly distributed codes, 0.5 at every ``D``
  (0.5 for 1 bit: half the inputs are ones), or a given activity (find-G 2: the mean *squared*
  level, ``(2^(D+1) - 1) / (6 (2^D - 1))``, counted only the ``C V_k^2`` a capacitor at ``V_k``
  holds, not what its output stage burns between the rail and ``V_k``; the DAC's core, area
  and settling: :mod:`.dac`) -- the row's capacitance counted with the driver chain's own: a buffer chain
  tapered at fanout ``f = 4`` switches ``(1 + p_inv) / (f - 1) = 2/3`` of its load besides it
  (gate capacitance ``C_L / (f - 1)`` and as much drain capacitance, ``p_inv = 1``;
  Sutherland, Sproull & Harris, Logical Effort, 1999; Weste & Harris 4th ed. sec. 4.5) (T),
  :data:`DRIVER_OVERHEAD`, the figure :mod:`.charge` uses for its row broadcast;
- sample-and-hold: the smallest capacitor whose ``kT/C`` noise stays within the quantization
  noise of ``b`` bits over a full scale ``V_fs`` (``kT/C <= (V_fs / 2^b)^2 / 12``), charged
  once: ``E = C V_fs^2 = 12 kT 4^b`` (physics, exact).

Delays and areas of these parts rest on placeholders (U), marked so in each record:
ripple carry of 2 FO4 per bit; register clock-to-output of 2 FO4; full-adder area of 4.3 um^2
at 45 nm scaled by the Stillmaker & Baas area table; a 1 kOhm row driver; an S/H switch of
1 kOhm; the driver chain's area.

In-array adders (:func:`in_array_adder`, e.g. the bit-serial cells of Colonnade, JSSC 2021):
the delay of one hop of a ripple chain of minimum-size full adders placed one per cell, by the
method of logical effort (Sutherland, Sproull & Harris, "Logical Effort", 1999; Weste & Harris,
CMOS VLSI Design, 4th ed., ch. 4) (T): ``d = sum(g_i h_i + p_i)`` in units of ``tau = FO4 / 5``
(FO4 = 5 tau when the inverter's parasitic delay is 1). A hop is the adder's sum, two 2-input
XOR stages (g = 4, p = 4 each), and the cell's 2:1 configuration multiplexer (g = 2, p = 4)
that drives the wire of one cell pitch (0.2 fF/um, as :mod:`.array`) and the next cell's adder
inputs (an XOR2, g = 4, and the carry majority gate, g = 2). Gates are minimum size: the unit
inverter has 6 F of gate width (nMOS 2 F, pMOS 4 F; Weste & Harris's 4:8 lambda inverter) at
1 fF/um of gate width (Weste & Harris, section 2.3.2) (T). FO4 and its supply dependence come
from :func:`.scaling.fo4_delay` (Ho-Mai-Horowitz anchor, Stillmaker & Baas node factors,
alpha-power supply law).
"""

from __future__ import annotations

import numpy as np

from . import flipflop, scaling
from .record import PartEstimate, provenance

BOLTZMANN_J_PER_K = 1.380649e-23

#: full-adder energy per bit at 45 nm, 0.9 V (Horowitz ISSCC 2014: 8-bit add 0.03 pJ), (T)
FULL_ADDER_45NM_J = 0.03e-12 / 8
FULL_ADDER_45NM_VDD = 0.9
#: register (flip-flop) bit at 40 nm: energy per access and area -- Aladdin's 40 nm standard-cell
#: register (Shao et al., ISCA 2014) via hwcomponents-library library/aladdin.py @ 27728db (T),
#: at the node's nominal supply (the source states none)
REGISTER_BIT_40NM_J = 9e-15
REGISTER_BIT_40NM_M2 = 5.98e-12
REGISTER_NODE_NM = 40
ALADDIN = ("Aladdin 40 nm standard-cell register, 9 fJ and 5.98 um^2 per bit (Shao et al., ISCA "
           "2014, via hwcomponents-library aladdin.py) (T), scaled by Stillmaker & Baas")
#: capacitance a FO4-tapered driver chain switches besides its load: (1 + p_inv) / (f - 1) with
#: f = 4 and p_inv = 1 (Logical Effort; Weste & Harris) (T)
DRIVER_FANOUT = 4.0
DRIVER_PARASITIC = 1.0
DRIVER_OVERHEAD = (1 + DRIVER_PARASITIC) / (DRIVER_FANOUT - 1)
#: (U) placeholders
CARRY_FO4_PER_BIT = 2.0
CELL_AREA_45NM_M2 = 4.3e-12
DRIVER_RESISTANCE_OHM = 1e3
SH_SWITCH_RESISTANCE_OHM = 1e3

#: logical effort g and parasitic delay p (units of tau) of the gates of an in-array adder hop
#: (Sutherland, Sproull & Harris 1999, Table 1.1 / Weste & Harris 4th ed. Tables 4.2-4.3) (T)
LE_XOR2 = (4.0, 4.0)
LE_MUX2 = (2.0, 4.0)
LE_MAJORITY_G = 2.0
#: a minimum unit inverter's gate width in feature sizes (nMOS 2 F + pMOS 4 F) (T)
UNIT_INVERTER_WIDTH_F = 6.0
#: gate capacitance per metre of gate width: 1 fF/um (Weste & Harris 4th ed. 2.3.2) (T)
GATE_CAP_F_PER_M = 1e-15 / 1e-6
#: wire capacitance per metre (0.2 fF/um; Weste & Harris), the figure :mod:`.array` uses (T)
WIRE_CAP_F_PER_M = 0.2e-15 / 1e-6

HOROWITZ = "Horowitz, ISSCC 2014 (45 nm add energy), scaled by Stillmaker & Baas 2017"


def _width(name, bits):
    b = np.asarray(bits, dtype=float)
    if np.any(b < 1) or np.any(b > 64) or np.any(np.mod(b, 1) != 0):
        raise ValueError(f"{name} {bits} must be a whole number of bits within 1..64")
    return b


def full_adder_energy(node_nm: float, vdd=None):
    """Energy of one full-adder bit (J) at a node and supply (default nominal)."""
    return FULL_ADDER_45NM_J * scaling.energy_factor(45, node_nm, FULL_ADDER_45NM_VDD, vdd)


def _cell_area(node_nm: float):
    return CELL_AREA_45NM_M2 * scaling.area_factor(45, node_nm)


def adder(bits, node_nm: float, vdd=None) -> PartEstimate:
    """A ``bits``-wide ripple-carry adder: one addition."""
    b = _width("adder width", bits)
    return PartEstimate(
        energy_j=b * full_adder_energy(node_nm, vdd),
        delay_s=b * CARRY_FO4_PER_BIT * scaling.fo4_delay(node_nm, vdd),
        area_m2=b * _cell_area(node_nm),
        source=HOROWITZ + "; delay and area (U)",
        field_provenance=provenance(delay_s=True, area_m2=True),
    )


def unit_inverter_capacitance(node_nm: float) -> float:
    """Input capacitance (F) of a minimum unit inverter: ``6 F x 1 fF/um``."""
    scaling._check_node(node_nm)
    return UNIT_INVERTER_WIDTH_F * node_nm * 1e-9 * GATE_CAP_F_PER_M


def in_array_hop_effort(node_nm: float, pitch_m) -> float:
    """Delay of one in-array adder hop in units of tau (see the module docstring):
    ``(4 h1 + 4) + (4 h2 + 4) + (2 h3 + 4)`` with ``h1 = 4/4`` (XOR2 into XOR2), ``h2 = 2/4``
    (XOR2 into the multiplexer) and ``h3 = (C_wire / C_unit + 4 + 2) / 2`` (the multiplexer
    into one pitch of wire and the next cell's XOR2 and majority inputs)."""
    pitch = np.asarray(pitch_m, dtype=float)
    if np.any(pitch < 0):
        raise ValueError(f"cell pitch {pitch_m} m must be >= 0")
    g_x, p_x = LE_XOR2
    g_m, p_m = LE_MUX2
    wire_units = pitch * WIRE_CAP_F_PER_M / unit_inverter_capacitance(node_nm)
    h1, h2 = g_x / g_x, g_m / g_x
    h3 = (wire_units + g_x + LE_MAJORITY_G) / g_m
    return (g_x * h1 + p_x) + (g_x * h2 + p_x) + (g_m * h3 + p_m)


def in_array_adder(node_nm: float, vdd=None, pitch_m=0.0) -> PartEstimate:
    """One full adder of a bit-serial CIM cell: energy as :func:`full_adder_energy`, delay of
    one ripple hop (sum or carry to the neighbouring cell ``pitch_m`` away) by logical effort,
    ``in_array_hop_effort x FO4 / 5``."""
    d = in_array_hop_effort(node_nm, pitch_m) * scaling.fo4_delay(node_nm, vdd) / 5.0
    return PartEstimate(
        energy_j=full_adder_energy(node_nm, vdd) * np.ones_like(d),
        delay_s=d,
        area_m2=_cell_area(node_nm) * np.ones_like(d),
        source=HOROWITZ + "; delay by logical effort (Sutherland, Sproull & Harris 1999) of "
               "minimum gates and one cell pitch of wire (Weste & Harris); area (U)",
        field_provenance=provenance(area_m2=True),
    )


def in_array_cell_logic_energy(node_nm: float, vdd=None, pitch_m=0.0, input_ones=0.5):
    """Switching energy (J) per read of the logic a bit-serial CIM cell has besides its full
    adder: the 1-bit multiplier (an XNOR2 driving the adder's input, XOR2 g = 4 + majority
    g = 2) and the configuration multiplexer (driving one cell pitch of wire and the next
    cell's adder inputs), each node charging its parasitic (``p`` unit loads) and load
    capacitance -- the capacitances of :func:`in_array_hop_effort` -- from the supply on a
    0 -> 1 transition: ``P(0->1) C V^2``. The multiplier's output toggles with the input bit
    (weight stationary): ``P(0->1) = x (1 - x)`` for a fraction ``x`` of ones; the
    multiplexer carries a sum bit, taken as random, ``1/4``."""
    x = np.asarray(input_ones, dtype=float)
    if np.any(x < 0) or np.any(x > 1):
        raise ValueError(f"input_ones {input_ones} must be within 0..1")
    pitch = np.asarray(pitch_m, dtype=float)
    if np.any(pitch < 0):
        raise ValueError(f"cell pitch {pitch_m} m must be >= 0")
    v = scaling.supply(node_nm, vdd)
    if np.any(v <= 0):
        raise ValueError(f"supply {vdd} V must be > 0")
    cu = unit_inverter_capacitance(node_nm)
    fan_in = LE_XOR2[0] + LE_MAJORITY_G  # the next adder input: XOR2 + majority
    c_mult = (LE_XOR2[1] + fan_in) * cu
    c_mux = (LE_MUX2[1] + fan_in) * cu + pitch * WIRE_CAP_F_PER_M
    return (x * (1 - x) * c_mult + 0.25 * c_mux) * v * v


#: a pipeline register's setup and clock-to-output, in adder hops (CiMLoop's composition of
#: Colonnade's critical path, mit-emze/cimloop colonnade_jssc_2021/variables_free.yaml) (T)
REGISTER_HOPS = 2


def bit_serial_cycle(column_bits, rows_per_register, node_nm: float, vdd=None, pitch_m=0.0):
    """The clock period (s) of a bit-serial in-array adder array: the carry ripples across a
    weight's ``column_bits`` columns and the sum down ``rows_per_register`` rows to the next
    pipeline register, whose timing counts :data:`REGISTER_HOPS` hops:
    ``(column_bits + rows_per_register + 2) x`` :func:`in_array_adder` delay."""
    cb = np.asarray(column_bits, dtype=float)
    r = np.asarray(rows_per_register, dtype=float)
    if np.any(cb < 1) or np.any(r < 1):
        raise ValueError(f"column_bits {column_bits} and rows_per_register {rows_per_register} "
                         "must be >= 1")
    hop = in_array_adder(node_nm, vdd, pitch_m).delay_s
    return (cb + r + REGISTER_HOPS) * hop


def register_bit_energy(node_nm: float, vdd=None, register_design=None):
    """Energy (J) of one register (flip-flop) bit access at a node and supply (default
    nominal): for the ``standard_cell`` design (``register_design`` None), Aladdin's 9 fJ at
    40 nm moved by :func:`.scaling.energy_factor`; for a ``structural`` one,
    :func:`.flipflop.bit_energy` of its kind and data activity."""
    if register_design is not None and register_design.structural:
        d = register_design
        return flipflop.bit_energy(node_nm, vdd, d.kind, d.data_activity)
    return REGISTER_BIT_40NM_J * scaling.energy_factor(REGISTER_NODE_NM, node_nm, None, vdd)


def register_source(register_design=None) -> str:
    """The source line of a register design's energy."""
    if register_design is not None and register_design.structural:
        d = register_design
        return (flipflop.SOURCE[d.kind] + f", data activity {d.data_activity:g}; area "
                + ALADDIN)
    return ALADDIN


def register_bit_area(node_nm: float) -> float:
    """Area (m^2) of one register bit: Aladdin's 5.98 um^2 at 40 nm, moved by
    :func:`.scaling.area_factor`."""
    return REGISTER_BIT_40NM_M2 * scaling.area_factor(REGISTER_NODE_NM, node_nm)


def register(bits, node_nm: float, vdd=None, register_design=None) -> PartEstimate:
    """A ``bits``-wide register: one write (every bit clocked), of ``register_design``
    (:class:`.flipflop.RegisterDesign`; None: the standard cell)."""
    b = _width("register width", bits)
    return PartEstimate(
        energy_j=b * register_bit_energy(node_nm, vdd, register_design),
        delay_s=np.broadcast_to(2 * scaling.fo4_delay(node_nm, vdd), np.shape(b)) * 1.0,
        area_m2=b * register_bit_area(node_nm),
        source=register_source(register_design) + "; clock-to-output 2 FO4 (U)",
        field_provenance=provenance(delay_s=True),
    )


def shift_add(accumulator_bits, node_nm: float, vdd=None, register_design=None) -> PartEstimate:
    """One shift-and-add step into an ``accumulator_bits`` register: an add (the shift is
    wiring) and a register write (of ``register_design``; None: the standard cell)."""
    a = adder(accumulator_bits, node_nm, vdd)
    r = register(accumulator_bits, node_nm, vdd, register_design)
    return PartEstimate(
        energy_j=a.energy_j + r.energy_j,
        delay_s=a.delay_s + r.delay_s,
        area_m2=a.area_m2 + r.area_m2,
        source=a.source + "; " + r.source,
        field_provenance=provenance(delay_s=True, area_m2=True),
    )


def accumulation_bits(partial_sum_bits, slices, input_slice_bits, weight_slices=1,
                      cell_bits=0):
    """Width of the accumulator that sums ``slices`` input slices (each shifted by
    ``input_slice_bits``) of ``weight_slices`` cell columns (each shifted by ``cell_bits``):
    ``partial_sum_bits + (slices - 1) * input_slice_bits + (weight_slices - 1) * cell_bits``."""
    return (np.asarray(partial_sum_bits) + (np.asarray(slices) - 1) * np.asarray(input_slice_bits)
            + (np.asarray(weight_slices) - 1) * np.asarray(cell_bits))


def dac_mean_level(input_bits):
    """Mean of ``k / (2^D - 1)`` over codes ``k = 0..2^D-1``: 0.5 at every ``D`` (the row's and
    the cells' charge is drawn from the ``V`` rail at the level, ``V V_k``)."""
    d = _width("DAC bits", input_bits)
    return np.full(np.shape(d), 0.5) if np.ndim(d) else 0.5


def dac_mean_square_level(input_bits):
    """Mean of ``(k / (2^D - 1))^2`` over codes ``k = 0..2^D-1``: ``(2^(D+1)-1) / (6 (2^D-1))``."""
    d = _width("DAC bits", input_bits)
    levels = 2.0 ** d - 1
    return (2 * levels + 1) / (6 * levels)


def driven_capacitance(load_capacitance_f):
    """Capacitance (F) a row driver switches for a load ``C_L``: the load and its FO4-tapered
    buffer chain, ``C_L (1 + (1 + p_inv) / (f - 1)) = C_L x 5/3`` (:data:`DRIVER_OVERHEAD`).
    The chain's stages ``C_L / f^k`` sum to ``C_L / (f - 1)`` of gate capacitance and, at a
    parasitic-to-gate ratio ``p_inv = 1``, as much drain capacitance."""
    return np.asarray(load_capacitance_f, dtype=float) * (1 + DRIVER_OVERHEAD)


def input_driver(load_capacitance_f, v_full_scale, input_bits=1, activity=None) -> PartEstimate:
    """One drive of one row by a ``input_bits``-bit voltage DAC (1 bit: a plain driver).

    Energy ``C (1 + 2/3) V^2 x`` the mean level (uniform codes: 0.5, the charge ``C V_k`` drawn
    at the rail ``V``) or ``activity`` (the mean level of the actual data over full scale, e.g.
    the fraction of ones for 1-bit slices): the row's load ``C`` and the FO4 driver chain's own
    capacitance, :func:`driven_capacitance`. The DAC's core, area and settling are
    :mod:`.dac`'s (a derived CIM design adds them, :mod:`cimsim.hw.cim.dacpart`)."""
    c = np.asarray(load_capacitance_f, dtype=float)
    v = np.asarray(v_full_scale, dtype=float)
    if np.any(c < 0) or np.any(v <= 0):
        raise ValueError("load capacitance must be >= 0 F and the full-scale voltage > 0 V")
    if activity is None:
        level = dac_mean_level(input_bits)
    else:
        level = np.asarray(activity, dtype=float)
        if np.any(level < 0) or np.any(level > 1):
            raise ValueError(f"input activity {activity} must be within 0..1")
    d = _width("DAC bits", input_bits)
    return PartEstimate(
        energy_j=driven_capacitance(c) * v * v * level,
        delay_s=2.2 * DRIVER_RESISTANCE_OHM * c * np.ones_like(d),
        area_m2=np.zeros_like(c * d),
        source="C V V_k at the mean DAC level, C with its FO4 driver chain (Logical Effort) (T); "
               "driver resistance (U); a multi-bit DAC's core, area and settling: module dac",
        field_provenance=provenance(delay_s=True, area_m2=True),
    )


def sample_hold(bits, v_full_scale, temperature_k: float = 300.0) -> PartEstimate:
    """A sample-and-hold sized for ``bits`` of thermal-noise-limited resolution: ``C = 12 kT
    4^b / V_fs^2``, energy ``C V_fs^2 = 12 kT 4^b``, settling to 1/2 LSB in ``(b+1) ln 2 R C``."""
    b = _width("S/H bits", bits)
    v = np.asarray(v_full_scale, dtype=float)
    if np.any(v <= 0) or temperature_k <= 0:
        raise ValueError("full-scale voltage and temperature must be > 0")
    kt = BOLTZMANN_J_PER_K * temperature_k
    cap = 12 * kt * 4.0 ** b / (v * v)
    return PartEstimate(
        energy_j=cap * v * v,
        delay_s=(b + 1) * np.log(2) * SH_SWITCH_RESISTANCE_OHM * cap,
        area_m2=np.zeros_like(cap),
        source="kT/C sizing (physics); switch resistance (U); area not modelled (U)",
        field_provenance=provenance(delay_s=True, area_m2=True),
    )


#: how an input slice of D bits drives a row (``input_drive``)
DRIVE_KINDS = ("level", "pulse_width", "pulse_count")


def input_drive(kind: str, load_capacitance_f, v_full_scale, input_bits=1,
                activity=None) -> PartEstimate:
    """One drive of one row by a ``input_bits``-bit input slice, by how the slice is applied:

    - ``level``: a voltage DAC, :func:`input_driver` (``C V^2`` x the mean level);

    ``C`` is the row's load with its driver chain, :func:`driven_capacitance` (every kind);
    - ``pulse_width`` (temporal DAC, one pulse whose width is the value): the row swings once
      when the value is not 0, ``C V^2 x P(value != 0)``; with each bit a one with probability
      ``activity`` (default 0.5), ``P = 1 - (1 - activity)^D``;
    - ``pulse_count`` (temporal DAC, as many unit pulses as the value, e.g. Sinangil et al.,
      JSSC 2021): each pulse swings the row, ``C V^2 x`` the mean value ``(2^D - 1) x
      activity``, ``activity`` the mean value over full scale (= each bit's fraction of ones;
      default 0.5, uniform codes).

    Data dependence: the temporal kinds grow with the inputs' values (``activity``); that is
    the input drive's share of a macro's data-dependent energy."""
    if kind not in DRIVE_KINDS:
        raise ValueError(f"input drive {kind!r} is not allowed; allowed: {', '.join(DRIVE_KINDS)}")
    if kind == "level":
        return input_driver(load_capacitance_f, v_full_scale, input_bits, activity)
    c = np.asarray(load_capacitance_f, dtype=float)
    v = np.asarray(v_full_scale, dtype=float)
    if np.any(c < 0) or np.any(v <= 0):
        raise ValueError("load capacitance must be >= 0 F and the full-scale voltage > 0 V")
    d = _width("DAC bits", input_bits)
    a = np.asarray(0.5 if activity is None else activity, dtype=float)
    if np.any(a < 0) or np.any(a > 1):
        raise ValueError(f"input activity {activity} must be within 0..1")
    swings = 1 - (1 - a) ** d if kind == "pulse_width" else (2.0 ** d - 1) * a
    return PartEstimate(
        energy_j=driven_capacitance(c) * v * v * swings,
        delay_s=2.2 * DRIVER_RESISTANCE_OHM * c * np.ones_like(d),
        area_m2=np.zeros_like(c * d),
        source=f"C V^2 per row swing ({kind}), C with its FO4 driver chain (Logical Effort) (T); "
               "driver resistance (U); area not modelled (U)",
        field_provenance=provenance(delay_s=True, area_m2=True),
    )
