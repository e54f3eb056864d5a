"""Technology-node and supply-voltage scaling of energy, delay and area.

Node scaling (180 nm to 7 nm) uses the fitted polynomials and the area table of
Stillmaker & Baas, "Scaling equations for the accurate prediction of CMOS device
performance from 180 nm to 7 nm", Integration, the VLSI Journal 58 (2017) 74-81,
doi:10.1016/j.vlsi.2017.02.002 (their fits to HSPICE runs on PTM and ITRS models):

- energy factor of node n at supply V: ``a2 V^2 + a1 V + a0`` (their energy table);
- delay factor: ``b3 V^3 + b2 V^2 + b1 V + b0`` (their delay table);
- area: a node-to-node factor table (multiply an area at node X by ``AREA[X][Y]`` to get it at Y).

The coefficients are transcribed (T) from two independent open transcriptions that agree
digit for digit where they overlap (UCLA NanoCAD's ``nodeScale``, MIT, and the Accelergy
``hwcomponents`` library); the erratum on the authors' page (vcl.ece.ucdavis.edu/pubs/
2017.02.VLSIintegration.TechScale) restates the HP 32 nm and 65 nm energy coefficients,
which match. Nodes at and below 45 nm come in an HP and an LP flavour; 180-65 nm have one.

Voltage: energy goes as ``C V^2`` (``voltage_energy_factor``); delay follows the
Sakurai-Newton alpha-power law ``t ∝ C V / (V - V_th)^alpha`` (T. Sakurai and
A. R. Newton, IEEE JSSC 25(2), 1990, 584-594) with ``alpha = 1.3`` (the short-channel value
of that paper's fits, which range 1-2) and one ``V_th`` per node, (D): least-squares fits of
the alpha-power law, alpha fixed, to Stillmaker & Baas's HP delay polynomial between 0.8 and
1.1 x the node's nominal supply (fit error at most 8 % except HP 45 nm, 14 %, and HP 32 nm,
32 %: their cubic bends sharply there).

Nominal supplies per node: the PTM nominal VDD (bulk PTM to 32 nm, PTM-MG HP below), as
used by Stillmaker & Baas; the 45/14/10/7 nm values are corroborated by a third
transcription of the paper (T); the rest are the PTM model cards' nominal values.

Absolute delay: ``fo4_delay`` anchors the node/voltage factors at FO4 = 360 ps per um of
drawn gate length at 180 nm (the rule of thumb of Ho, Mai and Horowitz, "The future of
wires", Proc. IEEE 89(4), 2001) (T), i.e. 64.8 ps at 180 nm, 1.8 V.

Every function accepts NumPy arrays for voltages (and broadcasts); nodes are plain numbers
(one design point's node), in nanometres. A node between two tabulated ones is interpolated
log-linearly in the node; a node outside 7-180 nm is an error.
"""

from __future__ import annotations

import contextlib
import contextvars
import math

import numpy as np

SOURCE = ("Stillmaker & Baas, Integration 58 (2017) 74-81 (node scaling); CV^2 (voltage, "
          "energy); Sakurai & Newton, JSSC 25(2) 1990 (alpha-power delay)")

#: tabulated nodes (nm), largest first
NODES_NM = (180, 130, 90, 65, 45, 32, 20, 16, 14, 10, 7)

#: area factor table: AREA_FACTOR[i][j] multiplies an area at NODES_NM[i] to give it at NODES_NM[j]
AREA_FACTOR = (
    (1, 0.34, 0.15, 0.08, 0.053, 0.025, 0.011, 0.01, 0.0093, 0.0055, 0.0032),
    (2.9, 1, 0.44, 0.23, 0.16, 0.072, 0.033, 0.03, 0.027, 0.016, 0.0092),
    (6.6, 2.3, 1, 0.53, 0.35, 0.16, 0.075, 0.067, 0.061, 0.036, 0.021),
    (12, 4.3, 1.9, 1, 0.66, 0.31, 0.14, 0.13, 0.12, 0.068, 0.039),
    (19, 6.4, 2.8, 1.5, 1, 0.46, 0.21, 0.19, 0.17, 0.1, 0.059),
    (40, 14, 6.1, 3.3, 2.2, 1, 0.46, 0.41, 0.38, 0.22, 0.13),
    (88, 30, 13, 7.1, 4.7, 2.2, 1, 0.89, 0.82, 0.48, 0.28),
    (99, 34, 15, 7.9, 5.3, 2.4, 1.1, 1, 0.91, 0.54, 0.31),
    (110, 37, 16, 8.7, 5.8, 2.7, 1.2, 1.1, 1, 0.59, 0.34),
    (180, 63, 28, 15, 9.8, 4.5, 2.1, 1.9, 1.7, 1, 0.58),
    (320, 110, 48, 25, 17, 7.8, 3.6, 3.2, 2.9, 1.7, 1),
)

#: energy polynomial (a2, a1, a0) per (flavour, node): factor = a2 V^2 + a1 V + a0
ENERGY_POLY = {
    180: (0.0, 24.64, -17.98),
    130: (7.171, -6.709, 2.904),
    90: (4.762, -4.781, 2.092),
    65: (3.755, -4.398, 1.975),
    ("HP", 45): (1.018, -0.3107, 0.1539),
    ("HP", 32): (0.8367, -0.4341, 0.1701),
    ("HP", 20): (0.373, -0.1582, 0.04104),
    ("HP", 16): (0.2958, -0.1241, 0.03024),
    ("HP", 14): (0.2363, -0.09675, 0.02239),
    ("HP", 10): (0.2068, -0.09311, 0.02375),
    ("HP", 7): (0.1776, -0.09097, 0.02447),
    ("LP", 45): (1.103, -0.362, 0.2767),
    ("LP", 32): (0.9559, -0.7823, 0.471),
    ("LP", 20): (0.2632, -0.14, 0.06841),
    ("LP", 16): (0.2139, -0.1187, 0.05639),
    ("LP", 14): (0.1556, -0.06472, 0.03066),
    ("LP", 10): (0.1261, -0.0518, 0.02769),
    ("LP", 7): (0.09365, -0.03409, 0.02043),
}

#: delay polynomial (b3, b2, b1, b0) per (flavour, node): factor = b3 V^3 + b2 V^2 + b1 V + b0
DELAY_POLY = {
    180: (0.0, 97.09, -356.7, 406.5),
    130: (-76.65, 334.9, -493.4, 275.8),
    90: (-60.34, 262.5, -384.2, 210.9),
    65: (-53.3, 230.4, -333.9, 178.6),
    ("HP", 45): (-501.6, 1567, -1619, 566.1),
    ("HP", 32): (-1047, 2982, -2797, 873.5),
    ("HP", 20): (0.0, 34.63, -66.37, 41.15),
    ("HP", 16): (0.0, 24.8, -47.52, 28.87),
    ("HP", 14): (-40.66, 109.2, -100.6, 35.92),
    ("HP", 10): (-34.95, 93.65, -85.99, 30.4),
    ("HP", 7): (-28.58, 76.6, -70.26, 24.69),
    ("LP", 45): (-285.7, 1239, -1795, 898.8),
    ("LP", 32): (-325.9, 1374, -1922, 913.2),
    ("LP", 20): (-160.5, 514.1, -558.6, 217.5),
    ("LP", 16): (-114.6, 366.7, -397.4, 153.6),
    ("LP", 14): (-85.37, 271.6, -292.2, 111.4),
    ("LP", 10): (-71.76, 228.6, -246.3, 93.91),
    ("LP", 7): (-61.79, 196.1, -210.3, 79.55),
}

#: nominal supply (V) per node (PTM model cards; see the module docstring)
NOMINAL_VDD = {180: 1.8, 130: 1.3, 90: 1.2, 65: 1.1, 45: 1.0, 32: 0.9, 20: 0.9, 16: 0.85,
               14: 0.8, 10: 0.75, 7: 0.7}

#: alpha of the alpha-power law (Sakurai & Newton 1990)
ALPHA = 1.3
#: threshold voltage (V) per node: fitted to the HP delay polynomial with ALPHA fixed, (D)
VTH = {180: 0.324, 130: 0.303, 90: 0.405, 65: 0.470, 45: 0.230, 32: 0.327, 20: 0.190,
       16: 0.257, 14: 0.232, 10: 0.259, 7: 0.273}

#: FO4 inverter delay at 180 nm and 1.8 V (s): 360 ps/um x 0.18 um (Ho, Mai & Horowitz 2001) (T)
FO4_180NM_S = 64.8e-12

#: the highest supply a ``technology`` block takes, as a multiple of the node's nominal: the
#: alpha-power fits hold between 0.8 and 1.1 x nominal; foundries rate core devices for about
#: +10 % over nominal (a design margin, not a source-stated limit), and 1.5 x leaves room for
#: overdrive studies while refusing supplies that are no operating point of the node (5 V at 22 nm)
MAX_SUPPLY_FACTOR = 1.5
#: the supplies (x the node's nominal) the alpha-power and V^2 laws were fitted on (D)
FITTED_SUPPLY = (0.8, 1.1)


def supply_in_fit(node_nm: float, volts: float | None) -> bool:
    """Whether a supply lies inside :data:`FITTED_SUPPLY` x the node's nominal (None, the
    nominal supply, does): outside it the voltage laws extrapolate."""
    if volts is None:
        return True
    f = volts / nominal_vdd(node_nm)
    lo, hi = FITTED_SUPPLY
    return lo * (1 - 1e-9) <= f <= hi * (1 + 1e-9)  # the ends inside (0.72 V / 0.9 V is 0.7999...)


def supply_outside_fit(node_nm: float, volts: float | None) -> str:
    """Words for a supply outside :data:`FITTED_SUPPLY` x nominal (the laws extrapolate there:
    :func:`supply_in_fit`), else an empty string (a given supply inside, or the nominal one)."""
    if supply_in_fit(node_nm, volts):
        return ""
    f = volts / nominal_vdd(node_nm)
    lo, hi = FITTED_SUPPLY
    below = (f" (below it no subthreshold tail: the delay diverges at the fitted V_th "
             f"{vth(node_nm):.3g} V and leakage is I_off V without DIBL, so an energy minimum "
             "found down here is placed by the V_th fit, not by device physics)"
             if f < lo * (1 - 1e-9) else "")
    return (f"the supply {volts:g} V is {f:.2f} x the {node_nm:g} nm nominal "
            f"({nominal_vdd(node_nm):.3g} V), outside the {lo:g}-{hi:g} x the circuit models' "
            "voltage laws were fitted on: extrapolated" + below)


def max_supply(node_nm: float) -> float:
    """The highest voltage the node drives (V): :data:`MAX_SUPPLY_FACTOR` x its nominal supply,
    the one bound of ``technology.voltage`` and a resistive cell's read voltage."""
    return MAX_SUPPLY_FACTOR * nominal_vdd(node_nm)


def above_max_supply(node_nm: float, volts: float) -> bool:
    """Whether ``volts`` is above :func:`max_supply` (a relative 1e-9 of slack: the bound typed,
    1.35 V at 22 nm, is at it)."""
    return volts > max_supply(node_nm) * (1 + 1e-9)


def check_supply(node_nm: float, volts: float) -> None:
    """Refuse a supply above :func:`max_supply` (ValueError)."""
    vmax = max_supply(node_nm)
    if above_max_supply(node_nm, volts):
        raise ValueError(f"voltage {volts:g} V is above {MAX_SUPPLY_FACTOR:g} x the nominal supply "
                         f"of {node_nm:g} nm ({nominal_vdd(node_nm):.3g} V): at most {vmax:.3g} V "
                         "(the circuit models' voltage laws are fitted between 0.8 and 1.1 x nominal)")

FLAVOURS = ("HP", "LP")


def _check_node(node_nm: float) -> float:
    n = float(node_nm)
    if not (NODES_NM[-1] <= n <= NODES_NM[0]):
        raise ValueError(f"technology node {node_nm} nm is outside the scaling tables "
                         f"({NODES_NM[-1]}-{NODES_NM[0]} nm, Stillmaker & Baas 2017)")
    return n


def supply(node_nm: float, vdd=None) -> np.ndarray:
    """The supply (V) a circuit model runs at, checked: ``vdd`` (a number or array), or the
    node's nominal when None; the node must lie in the scaling tables and every supply be a
    finite number > 0 (ValueError otherwise: a power cannot be negative)."""
    _check_node(node_nm)
    v = np.asarray(nominal_vdd(node_nm) if vdd is None else vdd, dtype=float)
    if np.any(v <= 0) or not np.all(np.isfinite(v)):
        raise ValueError(f"supply {vdd} V must be a finite number > 0")
    return v


def whole_bits(bits, most: int, what: str = "ADC bits") -> np.ndarray:
    """``bits`` (a number or array) checked to be whole numbers within ``1..most`` (a
    converter has a whole number of comparators, cycles and levels); ValueError otherwise."""
    b = np.asarray(bits, dtype=float)
    if (np.any(b < 1) or np.any(b > most) or not np.all(np.isfinite(b))
            or np.any(np.mod(b, 1) != 0)):
        raise ValueError(f"{what} {bits} must be a whole number within 1..{most}")
    return b


def _bracket(node_nm: float):
    """(i, j, w): node lies between NODES_NM[i] >= node >= NODES_NM[j]; w its log-position."""
    n = _check_node(node_nm)
    for i in range(len(NODES_NM) - 1):
        hi, lo = NODES_NM[i], NODES_NM[i + 1]
        if n == hi:
            return i, i, 0.0
        if lo <= n < hi:
            if n == lo:
                return i + 1, i + 1, 0.0
            return i, i + 1, math.log(hi / n) / math.log(hi / lo)
    return len(NODES_NM) - 1, len(NODES_NM) - 1, 0.0


#: the device flavour a ``None`` flavour means: ``HP`` unless :func:`device_flavour` set another
_FLAVOUR: contextvars.ContextVar[str] = contextvars.ContextVar("cimsim_device_flavour", default="HP")


@contextlib.contextmanager
def device_flavour(flavour: str | None):
    """Within the block, a ``None`` flavour (every default) is ``flavour`` (``HP`` / ``LP``,
    any case; None leaves it as it is): ``technology.flavour`` of the design being derived."""
    if flavour is None:
        yield
        return
    token = _FLAVOUR.set(flavour.upper())
    try:
        yield
    finally:
        _FLAVOUR.reset(token)


def flavour_of(flavour: str | None) -> str:
    """The flavour a ``None`` stands for here (:func:`device_flavour`), else ``flavour``."""
    return _FLAVOUR.get() if flavour is None else flavour


def _key(node: int, flavour: str | None):
    flavour = flavour_of(flavour)
    if flavour not in FLAVOURS:
        raise ValueError(f"device flavour {flavour!r} is not allowed; allowed: "
                         f"{', '.join(FLAVOURS)}")
    return node if node >= 65 else (flavour, node)


def _log_interp(node_nm: float, value_at) -> float:
    i, j, w = _bracket(node_nm)
    a, b = value_at(NODES_NM[i]), value_at(NODES_NM[j])
    if i == j:
        return a
    return math.exp((1 - w) * math.log(a) + w * math.log(b))


def nominal_vdd(node_nm: float) -> float:
    """Nominal supply (V) of a node (interpolated log-linearly between tabulated nodes)."""
    return _log_interp(node_nm, lambda n: NOMINAL_VDD[n])


def vth(node_nm: float) -> float:
    """Threshold voltage (V) of the alpha-power law at a node (see ``VTH``)."""
    return _log_interp(node_nm, lambda n: VTH[n])


def sb_energy_factor(node_nm: int, vdd, flavour: str | None = None):
    """Stillmaker & Baas's energy polynomial of a *tabulated* node at supply ``vdd`` (V)."""
    if node_nm not in NOMINAL_VDD:
        raise ValueError(f"node {node_nm} nm is not tabulated; tabulated: {NODES_NM}")
    a2, a1, a0 = ENERGY_POLY[_key(node_nm, flavour)]
    v = np.asarray(vdd, dtype=float)
    return a2 * v * v + a1 * v + a0


def sb_delay_factor(node_nm: int, vdd, flavour: str | None = None):
    """Stillmaker & Baas's delay polynomial of a *tabulated* node at supply ``vdd`` (V)."""
    if node_nm not in NOMINAL_VDD:
        raise ValueError(f"node {node_nm} nm is not tabulated; tabulated: {NODES_NM}")
    b3, b2, b1, b0 = DELAY_POLY[_key(node_nm, flavour)]
    v = np.asarray(vdd, dtype=float)
    return ((b3 * v + b2) * v + b1) * v + b0


def _nominal_energy(node_nm: float, flavour: str) -> float:
    return _log_interp(node_nm, lambda n: float(sb_energy_factor(n, NOMINAL_VDD[n], flavour)))


def _nominal_delay(node_nm: float, flavour: str) -> float:
    return _log_interp(node_nm, lambda n: float(sb_delay_factor(n, NOMINAL_VDD[n], flavour)))


def area_factor(from_nm: float, to_nm: float) -> float:
    """Multiply an area at ``from_nm`` by this to get it at ``to_nm`` (the published table at
    tabulated nodes; bilinear in log-node and log-factor between them)."""
    i0, i1, wi = _bracket(from_nm)
    j0, j1, wj = _bracket(to_nm)
    lg = lambda i, j: math.log(AREA_FACTOR[i][j])  # noqa: E731
    v = ((1 - wi) * (1 - wj) * lg(i0, j0) + (1 - wi) * wj * lg(i0, j1)
         + wi * (1 - wj) * lg(i1, j0) + wi * wj * lg(i1, j1))
    return math.exp(v)


def node_energy_factor(from_nm: float, to_nm: float, flavour: str | None = None) -> float:
    """Energy ratio between two nodes, each at its nominal supply (Stillmaker & Baas): the
    target at ``flavour`` (None: :func:`device_flavour`'s, HP by default), the source value
    read as HP (every anchored figure is a general-purpose design's; one flavour above 45 nm)."""
    return _nominal_energy(to_nm, flavour) / _nominal_energy(from_nm, "HP")


def node_delay_factor(from_nm: float, to_nm: float, flavour: str | None = None) -> float:
    """Delay ratio between two nodes, each at its nominal supply (Stillmaker & Baas): the
    target at ``flavour``, the source read as HP (:func:`node_energy_factor`)."""
    return _nominal_delay(to_nm, flavour) / _nominal_delay(from_nm, "HP")


def voltage_energy_factor(vdd, vdd_ref):
    """``(V / V_ref)^2``: switched-capacitance energy ``C V^2``."""
    v, r = np.asarray(vdd, dtype=float), np.asarray(vdd_ref, dtype=float)
    if np.any(v <= 0) or np.any(r <= 0):
        raise ValueError("supply voltages must be > 0 V")
    return (v / r) ** 2


def _above_vth(node_nm: float, vdd, vdd_ref):
    """``(V_th, V, V_ref)`` at a node (``V_ref``: nominal); a supply at or below V_th is an error."""
    vt = vth(node_nm)
    v = np.asarray(vdd, dtype=float)
    r = np.asarray(nominal_vdd(node_nm) if vdd_ref is None else vdd_ref, dtype=float)
    if np.any(v <= vt) or np.any(r <= vt):
        raise ValueError(f"supply must exceed the threshold voltage {vt:.3f} V at {node_nm} nm "
                         f"(the alpha-power law does not hold at or below it)")
    return vt, v, r


def voltage_delay_factor(node_nm: float, vdd, vdd_ref=None):
    """Alpha-power-law delay ratio ``t(V) / t(V_ref)`` at a node (``V_ref``: nominal)."""
    vt, v, r = _above_vth(node_nm, vdd, vdd_ref)
    return (v / (v - vt) ** ALPHA) / (r / (r - vt) ** ALPHA)


def drive_current_factor(node_nm: float, vdd, vdd_ref=None):
    """Alpha-power-law saturation current ratio ``I(V) / I(V_ref)`` of a transistor whose gate
    is driven at the supply, ``((V - V_th) / (V_ref - V_th))^alpha`` (``V_ref``: nominal). The
    delay ``C V / I`` of :func:`voltage_delay_factor` is this current over a swing of ``V``; a
    node discharged by a fixed swing (an SRAM bitline's sense swing) takes ``1 /`` this factor."""
    vt, v, r = _above_vth(node_nm, vdd, vdd_ref)
    return ((v - vt) / (r - vt)) ** ALPHA


def energy_factor(from_nm: float, to_nm: float, vdd_from=None, vdd_to=None,
                  flavour: str | None = None):
    """Energy at (``to_nm``, ``vdd_to``) over energy at (``from_nm``, ``vdd_from``).

    Node by Stillmaker & Baas at nominal supplies, voltage by ``C V^2`` (voltages default to
    each node's nominal)."""
    vf = nominal_vdd(from_nm) if vdd_from is None else vdd_from
    vt = nominal_vdd(to_nm) if vdd_to is None else vdd_to
    return (node_energy_factor(from_nm, to_nm, flavour)
            * voltage_energy_factor(vt, nominal_vdd(to_nm))
            / voltage_energy_factor(vf, nominal_vdd(from_nm)))


def delay_factor(from_nm: float, to_nm: float, vdd_from=None, vdd_to=None,
                 flavour: str | None = None):
    """Delay at (``to_nm``, ``vdd_to``) over delay at (``from_nm``, ``vdd_from``).

    Node by Stillmaker & Baas at nominal supplies, voltage by the alpha-power law."""
    return (node_delay_factor(from_nm, to_nm, flavour)
            * voltage_delay_factor(to_nm, nominal_vdd(to_nm) if vdd_to is None else vdd_to)
            / voltage_delay_factor(from_nm, nominal_vdd(from_nm) if vdd_from is None else vdd_from))


def fo4_delay(node_nm: float, vdd=None, flavour: str | None = None):
    """FO4 inverter delay (s) at a node and supply (default nominal)."""
    return FO4_180NM_S * delay_factor(180, node_nm, None, vdd, flavour)


def frequency_factor(from_nm: float, to_nm: float, vdd_from=None, vdd_to=None,
                     flavour: str | None = None):
    """Clock-frequency ratio (the inverse of ``delay_factor``): a logic path of fixed depth."""
    return 1.0 / delay_factor(from_nm, to_nm, vdd_from, vdd_to, flavour)


def clock_frequency(f_ref_hz: float, node_ref_nm: float, node_nm: float, vdd_ref=None, vdd=None,
                    flavour: str | None = None):
    """A clock known at (``node_ref_nm``, ``vdd_ref``) moved to (``node_nm``, ``vdd``) (Hz)."""
    if f_ref_hz <= 0:
        raise ValueError(f"reference clock {f_ref_hz} Hz must be > 0")
    return f_ref_hz * frequency_factor(node_ref_nm, node_nm, vdd_ref, vdd, flavour)


def nonmonotonic_spans(flavour: str | None = None) -> list[tuple[float, float]]:
    """``(small, large)`` node spans (nm) where Stillmaker & Baas's nominal-supply FO4 of
    ``flavour`` (None: HP, the delays' default) rises as the node shrinks, from its tabulated
    nodes, adjacent spans merged: HP 20-32 nm (their 20 nm PTM bulk fit is slower than 32 nm),
    LP 32-65 nm (one flavour, HP, at 65 nm and above; LP from 45 nm on, slower again at 32 nm)."""
    f = (flavour or "HP").upper()
    spans: list[tuple[float, float]] = []
    for big, small in zip(NODES_NM, NODES_NM[1:]):
        if fo4_delay(small, None, f) > fo4_delay(big, None, f):
            if spans and spans[-1][0] == big:
                spans[-1] = (small, spans[-1][1])
            else:
                spans.append((small, big))
    return spans


def nonmonotonic_node_note(lo_nm: float, hi_nm: float | None = None,
                           flavour: str | None = None) -> str:
    """Words when a node (or the span ``lo_nm``-``hi_nm``) reaches into one of
    :func:`nonmonotonic_spans` of ``flavour`` (the run's delays: None is HP), strictly within
    its ends: a smaller node there is slower (that flavour's FO4 by node), so a node elasticity
    or a port within it has the sign of that fit; else an empty string."""
    f = (flavour or "HP").upper()
    hi = lo_nm if hi_nm is None else hi_nm
    out = []
    for a, b in nonmonotonic_spans(f):
        if not (hi > a and lo_nm < b):
            continue
        shown = [n for n in NODES_NM if a <= n <= b]
        shown += [n for n in NODES_NM if n < a][:1]  # the next node down, fast again
        fo4 = ", ".join(f"{n} nm {fo4_delay(n, None, f) * 1e12:.2f} ps" for n in shown)
        why = ("their 20 nm PTM bulk fit is slower than 32 nm" if f == "HP" else
               "they tabulate one flavour, HP, at 65 nm and above, LP from 45 nm on, and their "
               "32 nm LP is slower than 45 nm")
        out.append(f"the node lies in {a:g}-{b:g} nm, where Stillmaker & Baas's {f} delay is not "
                   f"monotonic in the node ({f} FO4 {fo4}: {why}): a smaller node there is "
                   "slower, so node elasticities and ports within it carry the sign of that "
                   "fit, not of a process trend")
    return "; ".join(out)
