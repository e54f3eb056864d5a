"""Current-sense reading of a resistive column: the pulse-limited cell read and the multi-level
current-sense ADC (a flash of latch-type sense amplifiers against reference columns, NeuroSim's
"MLSA" in current mode).

**What decides the sensing time.** A latch-type sense amplifier (SA) is enabled for one
decision: its two inputs -- the column node and a reference column node -- charge through
their resistances, and the latch regenerates on the difference. The decision time at 22 nm is
~1 ns for a 4-5 bit flash (NeuroSim V1.4 manual, section 6.2.7: the read voltage of its
default design is chosen so that a 5-bit flash conversion takes ~1 ns at 22 nm) (P); the
manual's Fig. 19 shows the CSA's worst-case delay rising linearly with the reference
resistance (an RC charge of the input node), ~0.8 ns at low resistance. Here
``t_sense = t_22 x (FO4 at the node / FO4 at 22 nm) + R_ref x C_node`` with ``R_ref`` the
highest reference resistance -- one LSB of the column's signal, ``1 / dG`` -- and ``C_node``
the column node's capacitance (:func:`node_capacitance`).

**The off-state current** (find-N 1). Off cells conduct ``g_off = 1 / (on_off R_on + R_access
+ R_wire)``, not nothing: ``n`` driven rows put a pedestal ``n g_off`` under the column's
current, which depends on the inputs (``n``) and not on the weights. The readout subtracts it:
one reference column of off cells per array, driven by the same inputs (charged in the
array's energy, :mod:`cimsim.hw.cim.energy`, at :func:`off_column_share` of a column: its node
charges within the sensing as a column's does), sets the zero of every level, so the flash
resolves only the weights' signal, ``0 .. rows_active (g_on - g_off)``, in ``2^b`` steps of
``dG = rows_active (g_on - g_off) / 2^b`` (:func:`lsb_conductance`), ``g_on = 1 / (R_on +
R_access + R_wire)``. The decision margin of each SA is ``dG`` on top of the pedestal, so
``R_ref = 1 / dG = (R_on + R_access + R_wire) x 2^b / rows_active / (1 - g_off / g_on)``:
``1 / (1 - g_off / g_on)`` times the ideal-off figure (x1.078 at on/off 17 with the 0.25 R_on
access, x1.83 at on/off 2.5, x126 at 1.01), and at on/off 1 no margin at all (refused: the
column carries no weight). The largest current an SA sees over its LSB is
``2^b g_on / (g_on - g_off)`` (:func:`dynamic_range`), the dynamic range the readout must
resolve (the SA's offset against ``dG`` is not modelled, README). Before 2026-12-06 off cells
were open circuits here, and sensing time, ADC energy and levels did not move with on/off. The cells conduct
only while the SA is enabled, never for the whole read pulse of the cell's data sheet
(``readPulseWidth`` 10 ns in NeuroSim's Param.cpp is the pulse the cell tolerates, not how
long a sensing draws current).

**Pulse-limited column read** (:func:`column_read`). ``n = rows_active x input_ones`` driven
rows; each driven cell is the cell in series with its access transistor and wire,
``g = 1 / (R + R_access + R_wire)`` (R = R_on or R_off = on_off x R_on, in the proportion
``weight_ones``); the column conducts ``G = n x g_mean``. Two inputs:

- ``capacitive`` (the column node drives the latch's input gates, as in NeuroSim's CSA,
  manual Fig. 16-17): the node charges toward the read voltage with ``tau = C_node / G``;
  the energy drawn from the read supply over ``t`` is ``C_node V^2 (1 - exp(-t / tau))`` --
  ``V^2 G t`` when ``t << tau``, the node's ``C V^2`` once it settles;
- ``virtual_ground`` (a current-input SA holding the column at ground): the cells conduct
  for the whole ``t``, ``E = V^2 G t``; the voltage across a cell is ``V R / (R + R_access +
  R_wire)``, its own share ``V_cell^2 t / R``.

**Current-sense ADC** (:func:`current_sense_adc`), one conversion of one column, ``b`` bits:

- ``parallel`` (flash): ``2^b - 1`` SAs decide at once, one sensing time;
  ``sequential``: one SA, ``b`` decisions against switched references (binary search),
  ``b`` sensing times;
- each decision switches one SA: ``C_SA V_dd^2``, ``C_SA = 11 transistors`` (the StrongARM
  latch core, Razavi, IEEE Solid-State Circuits Magazine 7(2), 2015) (T) ``x`` minimum width
  ``2F`` (4 lambda, Weste & Harris, CMOS VLSI Design, 4th ed.) (T) ``x 1 fF/um`` of gate
  (Weste & Harris) (T) ``x 2`` for the drain junctions and local wiring (U);
- each SA input is one minimum gate on the column node (:func:`node_capacitance`);
- references: each of the ``2^b - 1`` levels is a dummy column of the array's cells, charged
  like a column, shared by ``reference_share`` SAs (NeuroSim's ``dumcolshared`` 32, Param.cpp)
  (P): ``(2^b - 1) / reference_share x C_node V_read^2``;
- the thermometer-to-binary encoder: ``2^b - 1`` gates of 4 minimum transistors switching
  with activity 0.5;
- a static bias per enabled SA (``static_power_w``, default 0: a latch draws no current once
  decided); give a simulated or measured figure for a biased (current-mirror) CSA.

The access transistor of a 1T1R cell is sized so that its on-resistance is a fixed fraction of
``R_on`` (NeuroSim's IR-drop tolerance 0.25, so ``R_access = 1.5 kOhm`` for 6 kOhm cells) (P):
:func:`access_width_f` from the FO4-derived on-resistance per width. Its gate loads the
wordline (:func:`row_drive`) and its drain the column node (:func:`node_capacitance`).

Area: per SA one register bit of :mod:`.digital` (U); the dummy columns are array area.
"""

from __future__ import annotations

import numpy as np

from . import digital, scaling
from .record import PartEstimate, provenance

#: gate capacitance per width, ~1 fF/um (Weste & Harris, 4th ed.) (T)
GATE_CAP_F_PER_M = 1e-15 / 1e-6
#: minimum transistor width in feature sizes (4 lambda) (T)
MIN_WIDTH_F = 2.0
#: transistors of a StrongARM latch comparator core (Razavi 2015) (T)
SA_TRANSISTORS = 11
#: junction and local wiring as a multiple of the gate capacitance (U)
SA_PARASITIC_FACTOR = 2.0
#: encoder gate: transistors per gate, activity
ENCODER_TRANSISTORS = 4
ENCODER_ACTIVITY = 0.5
#: SA decision time at 22 nm, nominal supply (NeuroSim V1.4 manual 6.2.7) (P)
SENSE_TIME_22NM_S = 1e-9
#: dummy (reference) columns shared by this many SAs (NeuroSim V1.4 Param.cpp dumcolshared) (P)
REFERENCE_SHARE = 32
#: access transistor resistance as a fraction of R_on (NeuroSim V1.4: an IR-drop tolerance of
#: 0.25, its resCellAccess = 0.25 R_on) (P)
ACCESS_FRACTION = 0.25

MODES = ("parallel", "sequential")
INPUTS = ("capacitive", "virtual_ground")
SOURCE = ("latch-type current-sense flash (Razavi 2015 StrongARM core; Weste & Harris gate "
          "capacitance); sensing time and reference sharing from NeuroSim V1.4 manual/Param.cpp")


def _bits(bits):
    return scaling.whole_bits(bits, 8, "current-sense ADC bits (2^b - 1 sense amplifiers)")


def _gate_cap(node_nm: float) -> float:
    scaling._check_node(node_nm)
    return MIN_WIDTH_F * node_nm * 1e-9 * GATE_CAP_F_PER_M


def sense_amplifiers(bits, mode: str = "parallel"):
    """Sense amplifiers per converter: ``2^b - 1`` (parallel) or 1 (sequential)."""
    if mode not in MODES:
        raise ValueError(f"current-sense mode {mode!r} is not allowed; allowed: "
                         f"{', '.join(MODES)}")
    b = _bits(bits)
    return 2.0 ** b - 1.0 if mode == "parallel" else np.ones_like(b)


def node_capacitance(column_capacitance_f, bits, node_nm: float, mode: str = "parallel",
                     rows: int = 0, access_width_f: float = 0.0):
    """Capacitance of the sensed column node (F): the column wire, one minimum gate per SA
    input, and the drain junctions of the ``rows`` access transistors on the column, each
    ``access_width_f`` feature sizes wide at the gate's capacitance per width (a diffusion's
    capacitance per width is about its gate's, Weste & Harris) (T)."""
    scaling._check_node(node_nm)
    junctions = rows * access_width_f * node_nm * 1e-9 * GATE_CAP_F_PER_M
    return (np.asarray(column_capacitance_f, dtype=float)
            + sense_amplifiers(bits, mode) * _gate_cap(node_nm) + junctions)


def unit_resistance_ohm_m(node_nm: float, vdd=None) -> float:
    """On-resistance x width of an nMOS (Ohm m) from the FO4 delay: Weste & Harris's RC model,
    ``FO4 = 5 tau`` with ``tau = R (3 C_g W)`` for a unit inverter (pMOS twice the nMOS), so
    ``R W = FO4 / (15 C_g')`` (T), FO4 from :func:`.scaling.fo4_delay` at the gate drive."""
    return float(scaling.fo4_delay(node_nm, vdd)) / (15.0 * GATE_CAP_F_PER_M)


def access_width_f(r_on_ohm: float, node_nm: float, v_access=None,
                   fraction: float = ACCESS_FRACTION) -> float:
    """Width (in feature sizes) of a 1T1R access transistor whose on-resistance at gate drive
    ``v_access`` is ``fraction x R_on`` (NeuroSim's IR-drop rule: 0.25) (P):
    ``W = R W_unit / (fraction R_on)``."""
    if not (r_on_ohm > 0 and fraction > 0):
        raise ValueError("r_on_ohm and fraction must be > 0")
    return unit_resistance_ohm_m(node_nm, v_access) / (fraction * r_on_ohm) / (node_nm * 1e-9)


def _series_g(r, r_access, r_wire):
    return 1.0 / (r + r_access + r_wire)


def sense_time(node_nm: float, vdd=None, r_ref_ohm=0.0, c_node_f=0.0):
    """SA decision time (s): the 22 nm figure moved by the FO4 delay ratio, plus the reference
    node's RC charge."""
    base = SENSE_TIME_22NM_S * scaling.fo4_delay(node_nm, vdd) / scaling.fo4_delay(22)
    return base + np.asarray(r_ref_ohm, dtype=float) * np.asarray(c_node_f, dtype=float)


def _access(r_on_ohm, r_access_ohm):
    return r_on_ohm * ACCESS_FRACTION if r_access_ohm is None else r_access_ohm


def lsb_conductance(r_on_ohm: float, bits, rows_active, on_off=np.inf, r_access_ohm=None,
                    r_wire_ohm=0.0):
    """One LSB of the column's signal (S): ``rows_active (g_on - g_off) / 2^b``, each cell in
    series with its access transistor and wire (``g_off`` 0 at an infinite ``on_off``). The
    off cells' pedestal ``n g_off`` is subtracted by the reference column, so it takes no
    level; ``on_off`` 1 (``g_off = g_on``) leaves no signal and is refused."""
    on_off = np.asarray(on_off, dtype=float)
    if np.any(~(on_off >= 1)):
        raise ValueError(f"on_off {on_off} must be >= 1")
    if np.any(on_off == 1):
        raise ValueError("on_off 1: an off cell conducts as an on cell, so the column current "
                         "carries no weight and a current-sense readout has no margin to "
                         "sense; give an on_off > 1")
    ra = _access(r_on_ohm, r_access_ohm)
    g_on = _series_g(r_on_ohm, ra, r_wire_ohm)
    with np.errstate(divide="ignore"):
        g_off = np.where(np.isinf(on_off), 0.0, _series_g(r_on_ohm * on_off, ra, r_wire_ohm))
    return np.asarray(rows_active, dtype=float) * (g_on - g_off) / 2.0 ** _bits(bits)


def highest_reference_ohm(r_on_ohm: float, bits, rows_active, r_access_ohm=None, r_wire_ohm=0.0,
                          on_off=np.inf):
    """The highest reference resistance (Ohm), the first level's decision: one LSB of the
    column's signal above the off cells' pedestal, ``1 / lsb_conductance`` =
    ``(R_on + R_access + R_wire) x 2^b / rows_active / (1 - g_off / g_on)`` (at an infinite
    ``on_off``, off cells open, ``(R_on + R_access + R_wire) x 2^b / rows_active``)."""
    return 1.0 / lsb_conductance(r_on_ohm, bits, rows_active, on_off, r_access_ohm, r_wire_ohm)


def dynamic_range(r_on_ohm: float, bits, on_off, r_access_ohm=None, r_wire_ohm=0.0):
    """The largest column current over one LSB: ``2^b g_on / (g_on - g_off)`` (a column of
    ``rows_active`` on cells against ``lsb_conductance``; ``2^b`` at an infinite ``on_off``),
    what the sense amplifiers resolve; its log2 is the bits of range they need."""
    ra = _access(r_on_ohm, r_access_ohm)
    g_on = _series_g(r_on_ohm, ra, r_wire_ohm)
    return g_on / lsb_conductance(r_on_ohm, bits, 1.0, on_off, r_access_ohm, r_wire_ohm)


def column_read(r_on_ohm: float, on_off: float, v_read: float, rows_active, t_sense_s,
                c_node_f, input_ones=0.5, weight_ones=0.5, r_access_ohm=None,
                r_wire_ohm: float = 0.0, sense_input: str = "capacitive") -> PartEstimate:
    """Energy drawn from the read supply by one column during one sensing (J), module rules.
    ``delay_s`` is the node's settling time constant ``C_node / G`` (``inf`` with no driven
    cell); area 0 (the cells are the array's)."""
    if sense_input not in INPUTS:
        raise ValueError(f"sense input {sense_input!r} is not allowed; allowed: "
                         f"{', '.join(INPUTS)}")
    if not (r_on_ohm > 0 and on_off >= 1 and v_read > 0):
        raise ValueError("r_on_ohm and v_read must be > 0 and on_off >= 1")
    x1 = np.asarray(input_ones, dtype=float)
    w1 = np.asarray(weight_ones, dtype=float)
    if np.any((x1 < 0) | (x1 > 1)) or np.any((w1 < 0) | (w1 > 1)):
        raise ValueError("input_ones and weight_ones must be within 0..1")
    ra = _access(r_on_ohm, r_access_ohm)
    g = (w1 * _series_g(r_on_ohm, ra, r_wire_ohm)
         + (1 - w1) * _series_g(r_on_ohm * on_off, ra, r_wire_ohm))
    G = np.asarray(rows_active, dtype=float) * x1 * g
    t = np.asarray(t_sense_s, dtype=float)
    c = np.asarray(c_node_f, dtype=float)
    if sense_input == "virtual_ground":
        e = v_read * v_read * G * t
    else:
        e = c * v_read * v_read * -np.expm1(-t * G / np.maximum(c, 1e-30))
    with np.errstate(divide="ignore"):
        tau = np.where(G > 0, c / np.where(G > 0, G, 1.0), np.inf)
    return PartEstimate(
        energy_j=e, delay_s=tau, area_m2=np.zeros_like(e),
        source=f"pulse-limited column read ({sense_input} sense input): "
               + ("V^2 G t" if sense_input == "virtual_ground" else "C V^2 (1 - exp(-t G / C))"),
        field_provenance=provenance())


def off_column_share(r_on_ohm: float, on_off: float, v_read: float, rows_active, t_sense_s,
                     c_node_f, input_ones=0.5, weight_ones=0.5, r_access_ohm=None,
                     r_wire_ohm: float = 0.0, sense_input: str = "capacitive", mean_j=None):
    """A column of off cells' read (the reference column) over a column's at ``weight_ones``,
    the same rows driven and the same sensing (:func:`column_read`): with a capacitive input
    ``(1 - e^(-t n g_off / C)) / (1 - e^(-t n g_mean / C))`` -- near 1 once both nodes settle,
    not the ``g_off / g_mean`` of a ``V^2 G t`` read, which a virtual-ground input gives; 0
    where no row is driven (no column draws anything). ``mean_j``: that column's read energy
    (J) where the caller has it already (``column_read(...).energy_j``)."""
    kw = dict(r_on_ohm=r_on_ohm, on_off=on_off, v_read=v_read, rows_active=rows_active,
              t_sense_s=t_sense_s, c_node_f=c_node_f, input_ones=input_ones,
              r_access_ohm=r_access_ohm, r_wire_ohm=r_wire_ohm, sense_input=sense_input)
    off = column_read(**kw, weight_ones=0.0).energy_j
    mean = (column_read(**kw, weight_ones=weight_ones).energy_j if mean_j is None
            else np.asarray(mean_j, dtype=float))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(mean > 0, off / np.where(mean > 0, mean, 1.0), 0.0)


def current_sense_adc(bits, node_nm: float, v_read: float, column_capacitance_f,
                      t_sense_s=None, vdd=None, mode: str = "parallel",
                      reference_share: float = REFERENCE_SHARE,
                      static_power_w: float = 0.0) -> PartEstimate:
    """One conversion of one column (module rules): energy (J), time (s), area of one converter
    (m^2). ``t_sense_s`` defaults to :func:`sense_time` at the node; ``vdd`` to its nominal
    supply (the latches); ``v_read`` charges the reference columns."""
    if reference_share < 1:
        raise ValueError(f"reference_share {reference_share} must be >= 1")
    if static_power_w < 0:
        raise ValueError(f"static_power_w {static_power_w} must be >= 0")
    b = _bits(bits)
    v = scaling.supply(node_nm, vdd)
    if np.any(v <= 0):
        raise ValueError(f"supply {vdd} V must be > 0")
    n_sa = sense_amplifiers(b, mode)
    decisions = n_sa if mode == "parallel" else b
    cg = _gate_cap(node_nm)
    t = sense_time(node_nm, vdd) if t_sense_s is None else np.asarray(t_sense_s, dtype=float)
    c_node = node_capacitance(column_capacitance_f, b, node_nm, mode)
    levels = 2.0 ** b - 1.0
    e_sa = decisions * SA_TRANSISTORS * cg * SA_PARASITIC_FACTOR * v * v
    e_ref = (levels / reference_share if mode == "parallel" else b / reference_share) * (
        c_node * v_read * v_read)
    e_enc = levels * ENCODER_TRANSISTORS * cg * v * v * ENCODER_ACTIVITY
    steps = 1.0 if mode == "parallel" else b
    e_static = n_sa * static_power_w * t * steps
    sa_area = digital.register(1, node_nm, vdd).area_m2
    return PartEstimate(
        energy_j=e_sa + e_ref + e_enc + e_static,
        delay_s=steps * t,
        area_m2=n_sa * sa_area,
        source=SOURCE,
        field_provenance=provenance(energy_j=True, area_m2=True),
    )


def row_drive(cols: int, node_nm: float, v_read: float, v_access: float, width_f: float,
              access_width_f: float = MIN_WIDTH_F) -> PartEstimate:
    """One input row of a pseudo-crossbar 1T1R array driven for one slice (J): the input line
    to the read voltage, ``C_wire V_read^2``, and the wordline -- the same wire plus ``cols``
    access-transistor gates of ``access_width_f`` feature sizes -- to the access voltage,
    ``(C_wire + cols W C_g) V_access^2`` (NeuroSim's pseudo-crossbar drives both lines from
    one input bit, manual section 6.2 item 5). ``C_wire`` spans ``cols`` cells of ``width_f``
    at 0.2 fF/um (:mod:`.array`). The access width defaults to the minimum, 2F (U: a 1T1R
    access device sized for its on-resistance is wider, which raises this)."""
    from .array import WIRE_CAP_F_PER_M

    if cols < 1 or v_read <= 0 or v_access <= 0 or width_f <= 0 or access_width_f <= 0:
        raise ValueError("cols >= 1 and v_read, v_access, width_f, access_width_f > 0 required")
    scaling._check_node(node_nm)
    f = node_nm * 1e-9
    c_wire = cols * width_f * f * WIRE_CAP_F_PER_M
    c_gates = cols * access_width_f * f * GATE_CAP_F_PER_M
    e = c_wire * v_read ** 2 + (c_wire + c_gates) * v_access ** 2
    return PartEstimate(energy_j=e, delay_s=0.0, area_m2=0.0,
                        source="C V^2 of the input line (V_read) and wordline (V_access) with "
                               "access gates (Weste & Harris 1 fF/um, 0.2 fF/um)",
                        field_provenance=provenance(energy_j=access_width_f == MIN_WIDTH_F))
