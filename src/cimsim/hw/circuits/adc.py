"""ADC energy per conversion, conversion time and area from type, bits, sample rate and node.

Energy: the state-of-the-art envelope of B. Murmann's ADC Performance Survey
(github.com/bmurmann/ADC-survey, ``xls/ADCsurvey_rev20250609.xlsx``, sheet "Jitter and FOM
lines", (P)). The survey draws two envelopes, each the mean of the five best designs with a
first-order roll-off above a corner frequency:

- Walden FOM (low resolution): ``FOM_W(fs) = 0.66936 fJ/step * sqrt(1 + (fs / 1.2211 GHz)^2)``
  and ``E_W = FOM_W * 2^bits``;
- Schreier FOM (thermal-noise limited): ``FOM_S(fs) = 186.723 dB - 10 log10(sqrt(1 + (fs /
  51.441 MHz)^2))``; with ``FOM_S = SNDR + 10 log10(fs / (2 P))``, the energy
  ``E_S = P / fs = 0.5 * 10^((SNDR - FOM_S)/10)`` with the ideal
  ``SNDR = 20 log10(2) bits + 10 log10(1.5)`` dB, so ``E_S ∝ 4^bits``.

The best achievable energy is ``max(E_W, E_S)``: ``2^bits`` at low resolution, ``4^bits``
above the corner where the two meet (about 12 bits at low rates, 8 bits at 1 GS/s). ``bits``
is taken as the effective number of bits. The envelope does not depend on the node (it is the
best reported at any node); ``envelope_factor`` (default 1, the envelope itself) states how far
a design sits above it.

By type (``ADC_TYPES``; each an :class:`ADCModel` registered in
:mod:`cimsim.hw.parts.registry`, as a plug-in's is):

- ``sar``: energy = the envelope; conversion time ``(bits + overhead) * t_cycle`` with one
  overhead cycle and ``t_cycle = 1 ns`` at 22 nm, scaled by :func:`.scaling.delay_factor`
  (NeuroSim V1.4 ``SarADC.cpp``: latency ``(bits + 1)`` ns at 22 nm, (P));
- ``flash``: ``2^bits - 1`` clocked comparators in parallel, one cycle, and a
  thermometer-to-binary encoder (see "Flash" below); energy scales with the node and ``V^2``;
- ``ramp`` (single-slope / counting): ``2^bits`` counting steps of ``t_cycle``; energy
  ``2^bits * 144.63 fJ``, the mean Walden FOM of the five survey designs whose architecture
  names single-slope (thin data: five designs, three of them hybrids), (D);
- ``current_sense`` (current-mode multi-level sense amplifiers, as in NeuroSim's multilevel
  sense amplifier): ``2^bits - 1`` current comparators in parallel, one cycle; energy and
  area as ``flash`` -- an assumption (no survey data for this circuit), marked placeholder.

Flash (comparator level): ``E = (2^b - 1) E_cmp + G(b) E_gate a_enc``, every term a switched
capacitance times ``V^2`` moved to the node by :func:`.scaling.energy_factor` (Stillmaker &
Baas at nominal supplies, ``C V^2`` in the supply):

- ``E_cmp``, one comparator decision with its share of the converter's reference ladder, bias
  and clock: the survey's own flash designs (``FLASH_SURVEY_ROWS``: every CMOS design of
  architecture "Flash" or "Flash, TI" at 32-180 nm whose title states its nominal bits ``N``,
  receivers/AFEs and non-binary (stochastic, residue-number) designs left out; 18 designs,
  ISSCC and VLSI 2002-2014), each ``P / fs_nyq / (2^N - 1)`` moved from its node and supply
  (the survey's ``VSUP1``, else the node's nominal) to 7 nm at 0.7 V; ``E_cmp`` at 7 nm, 0.7 V
  is their geometric mean, 4.822 fJ (a 9.84 fF switched capacitance; the least-squares
  intercept of ``ln E`` with the Stillmaker & Baas node and ``V^2`` slope held fixed), (D). The
  designs scatter by a geometric standard deviation of 3.5x around it (their mean of the best 5
  is 2.4x lower, the worst 6x higher); a free log-log fit of their switched capacitance gives
  ``C ∝ node^0.87`` against Stillmaker & Baas's ~``node^1.4`` (18 points, 3.5x scatter).
  A clocked (StrongARM-type) comparator draws the same energy per decision whichever way it
  decides (one output node falls each time), so ``E_cmp`` is data-independent. The ladder is
  not a separate term: the survey designs' measured power includes theirs;
- the encoder: ``2^b - 1`` three-input edge-detect gates on the thermometer code (counted as
  two 2-input gates each, bubble-tolerant) and a one-hot-to-binary OR tree of ``b (2^(b-1) - 1)``
  2-input gates, ``G(b) = 2 (2^b - 1) + b (2^(b-1) - 1)`` gate equivalents; one 2-input gate =
  4/28 of a mirror full-adder bit (transistor count) of :mod:`.digital` (Horowitz ISSCC 2014,
  3.75 fJ at 45 nm, 0.9 V), (D); activity ``a_enc = 0.5`` (half the gates toggle, stated).

SAR and ramp energies stay node- and supply-independent. The SAR envelope is the survey's bound
at any node; a SAR's energy is set largely by its capacitive DAC, sized for kT/C noise and
matching, which does not shrink with the node as logic does, so moving the envelope by the
logic scaling would put scaled designs below every measured one (in-array SARs above it state
``envelope_factor``). The ramp figure rests on five designs, three of them hybrids: too thin
to split into a node trend. Flash converters are comparators and logic, which do follow it.

Area: the regression of Accelergy's ADC plug-in (github.com/Accelergy-Project/
accelergy-adc-plug-in, ``adc_data/model.yaml``, (P)), fitted to the survey's SAR,
single-slope and flash designs, lower 10 % quantile: ``ln(A/um^2) = 4.8506 + 0.066659
ln(fs/Hz) + 0.79732 ln(node/nm) - 0.13437 bits + 0.42366 ln(E/pJ)``. For ``flash`` and
``current_sense``, area grows with the comparator count: the regression at 4 bits divided
by 15 comparators, times ``2^bits - 1`` (an assumption anchoring the comparator count
scaling on the regression at 4 bits, where flash designs are common). The fit is a stand-alone
converter's: at each of the survey's 18 flash designs' own bits, node and rate the flash model is
below the area the survey states for 14 of them (``FLASH_SURVEY_AREA_UM2``; find-G1 1).

Every function broadcasts over NumPy arrays of ``bits`` and ``sample_rate``.
"""

from __future__ import annotations

import math
from typing import Union

import numpy as np
from numpy.typing import ArrayLike

from . import digital, scaling
from ...errors import ComponentError, did_you_mean, one_line
from ...units import si
from ..guard import is_plugin
from .record import PartEstimate, provenance

#: what an ADC model returns: a float, or an array where an argument was one (broadcast)
FloatOrArray = Union[float, np.ndarray]

#: the built-in ADC types (every registered one: :func:`cimsim.hw.parts.registry.adcs`)
ADC_TYPES = ("sar", "flash", "ramp", "current_sense")

SURVEY = "Murmann, ADC Performance Survey 1997-2025 (rev 2025-06-09), envelope sheet"

#: Walden FOM envelope at low rate (J per conversion step) and its corner (Hz), (P)
FOMW_ENVELOPE_J = 0.66936434251522825e-15
FOMW_CORNER_HZ = 1221112976.4039075
#: Schreier FOM envelope at low rate (dB) and its corner (Hz), (P)
FOMS_ENVELOPE_DB = 186.72331722916886
FOMS_CORNER_HZ = 51440927.000128388

#: the survey's flash designs behind ``E_cmp`` (rev 2025-06-09, sheets ISSCC and VLSI), (P):
#: (venue year paper, node nm, nominal bits from the title, VSUP1 V or None, P W, fs_nyq Hz)
FLASH_SURVEY_ROWS = (
    ("ISSCC 2002 10.2", 180, 6, None, 0.34, 1.32e9),
    ("ISSCC 2002 18.2", 130, 6, None, 0.00046, 2.2e7),
    ("ISSCC 2003 18.3", 180, 6, None, 0.31, 2.0e9),
    ("ISSCC 2006 31.1", 90, 4, None, 0.00252, 1.25e9),
    ("ISSCC 2006 31.3", 180, 4, None, 0.089, 4.0e9),
    ("ISSCC 2008 30.8", 180, 6, None, 1.66e-06, 4.0e5),
    ("ISSCC 2013 26.1", 40, 6, None, 0.24, 1.0e10),
    ("ISSCC 2014 22.2", 32, 6, None, 0.0695, 2.0e10),
    ("VLSI 2002 23.1", 180, 6, 2.4, 0.07, 4.0e8),
    ("VLSI 2004 25.1", 130, 6, 1.5, 0.99, 4.0e9),
    ("VLSI 2007 7.2", 90, 6, 0.9, 0.098, 3.5e9),
    ("VLSI 2008 2.1", 65, 6, 1.2, 0.012, 8.0e8),
    ("VLSI 2008 2.2", 90, 5, 1.0, 0.0076, 1.75e9),
    ("VLSI 2008 2.3", 65, 6, None, 0.32, 5.0e9),
    ("VLSI 2010 15.4", 65, 5, 1.1, 0.081, 1.2e10),
    ("VLSI 2010 15.5", 65, 6, None, 0.435, 1.6e10),
    ("VLSI 2012 4.1", 40, 6, 1.1, 0.011, 3.0e9),
    ("VLSI 2013 21.3", 32, 6, None, 0.0085, 5.0e9),
)
#: each ``FLASH_SURVEY_ROWS`` design's area (um^2) as the survey states it (its AREA column,
#: through the Accelergy ADC plug-in's ``adc_data/adc_list.csv``, the fit's own data), (P):
#: the check of the flash area (find-G1 1): the model is below 14 of the 18 (README, ADC area)
FLASH_SURVEY_AREA_UM2 = {
    "ISSCC 2002 10.2": 120000, "ISSCC 2002 18.2": 300000, "ISSCC 2003 18.3": 500000,
    "ISSCC 2006 31.1": 33000, "ISSCC 2006 31.3": 880000, "ISSCC 2008 30.8": 2000000,
    "ISSCC 2013 26.1": 270000, "ISSCC 2014 22.2": 250000, "VLSI 2002 23.1": 268800,
    "VLSI 2004 25.1": 500000, "VLSI 2007 7.2": 148500, "VLSI 2008 2.1": 130000,
    "VLSI 2008 2.2": 30800, "VLSI 2008 2.3": 300000, "VLSI 2010 15.4": 440000,
    "VLSI 2010 15.5": 1469400, "VLSI 2012 4.1": 21000, "VLSI 2013 21.3": 20000,
}
#: one flash comparator decision (J) at ``FLASH_REF_NODE_NM`` and its nominal 0.7 V: the
#: geometric mean of ``FLASH_SURVEY_ROWS`` moved there (see the module text), (D)
FLASH_COMPARATOR_7NM_J = 4.8221e-15
FLASH_REF_NODE_NM = 7
#: encoder: one 2-input gate = 4/28 of a mirror full-adder bit (transistor count), (D)
GATE_PER_FULL_ADDER = 4 / 28
#: encoder activity: fraction of its gates that toggle per conversion (stated default)
ENCODER_ACTIVITY = 0.5
#: energy per counting step of a single-slope ADC (J): mean FOM_W of 5 single-slope designs, (D)
RAMP_STEP_J = 144.6327e-15

#: SAR bit-cycle at 22 nm and its overhead cycles (NeuroSim V1.4 SarADC.cpp: (bits+1) ns), (P)
SAR_CYCLE_22NM_S = 1e-9
SAR_OVERHEAD_CYCLES = 1

#: area regression coefficients (Accelergy ADC plug-in model.yaml), natural logs, (P)
AREA_INTERCEPT = 4.850567073004403
AREA_LN_FS = 0.06665851895885958
AREA_LN_NODE = 0.797323960429599
AREA_BITS = -0.13437278622014803
AREA_LN_ENERGY_PJ = 0.4236571760437834
#: flash/current-sense area anchor: the regression at this many bits, per comparator
FLASH_AREA_ANCHOR_BITS = 4
#: the fewest bits the area regression is fitted for: the plug-in itself refuses fewer
#: (accelergy-adc-plug-in ``optimizer.py``, ``ADCRequest``: "Resolution must be >= 4 bits"), (P)
AREA_FIT_MIN_BITS = 4


def _bits(bits):
    """A converter's resolution: whole bits within 1..16 (the models' comparators, cycles)."""
    return scaling.whole_bits(bits, 16)


def _effective_bits(bits):
    """The survey fits' bits: effective bits (ENOB, real) within 1..16."""
    b = np.asarray(bits, dtype=float)
    if np.any(b < 1) or np.any(b > 16) or not np.all(np.isfinite(b)):
        raise ValueError(f"ADC effective bits {bits} must be within 1..16")
    return b


def _rate(fs):
    f = np.asarray(fs, dtype=float)
    if np.any(f <= 0) or not np.all(np.isfinite(f)):
        raise ValueError(f"ADC sample rate {fs} Hz must be finite and > 0")
    return f


def sndr_db(bits):
    """Ideal SNDR (dB) of a ``bits``-bit quantizer: ``20 log10(2) bits + 10 log10(1.5)``."""
    return 20 * math.log10(2) * _effective_bits(bits) + 10 * math.log10(1.5)


def walden_fom(sample_rate):
    """Survey envelope of the Walden FOM (J/conversion-step) at ``sample_rate`` (Hz)."""
    f = _rate(sample_rate)
    return FOMW_ENVELOPE_J * np.sqrt(1 + (f / FOMW_CORNER_HZ) ** 2)


def schreier_fom_db(sample_rate):
    """Survey envelope of the Schreier FOM (dB) at ``sample_rate`` (Hz)."""
    f = _rate(sample_rate)
    return FOMS_ENVELOPE_DB - 10 * np.log10(np.sqrt(1 + (f / FOMS_CORNER_HZ) ** 2))


def walden_energy(bits, sample_rate):
    """``FOM_W(fs) * 2^bits`` (J per conversion)."""
    return walden_fom(sample_rate) * 2.0 ** _effective_bits(bits)


def schreier_energy(bits, sample_rate):
    """``0.5 * 10^((SNDR - FOM_S(fs)) / 10)`` (J per conversion); grows as ``4^bits``."""
    return 0.5 * 10 ** ((sndr_db(bits) - schreier_fom_db(sample_rate)) / 10)


def envelope_energy(bits, sample_rate):
    """Best reported energy per conversion (J): ``max(E_Walden, E_Schreier)``."""
    return np.maximum(walden_energy(bits, sample_rate), schreier_energy(bits, sample_rate))


def regression_area(bits, sample_rate, node_nm: float, energy_j):
    """Survey-regression area (m^2) of an ADC with this energy per conversion (Accelergy
    plug-in)."""
    scaling._check_node(node_nm)
    e = np.asarray(energy_j, dtype=float)
    ln_a = (AREA_INTERCEPT + AREA_LN_FS * np.log(_rate(sample_rate)) + AREA_LN_NODE
            * math.log(node_nm) + AREA_BITS * _effective_bits(bits) + AREA_LN_ENERGY_PJ * np.log(e * 1e12))
    return np.exp(ln_a) * 1e-12


#: what each built-in type's energy per conversion rests on, for the derived note (find-G 1:
#: the SAR is the survey's best designs, the flash its typical ones, so a 4-bit flash reads
#: 33x a 4-bit SAR where a same-basis comparison gives about 3-5x)
ENERGY_BASIS = {
    "sar": "the survey envelope, its best designs; a typical in-array SAR sits above it: adc.envelope_factor",
    "flash": "the survey's typical flash comparator; its best 5 are 2.4x lower",
    "ramp": "mean of 5 survey single-slope designs",
}


#: the basis with a given ``adc.envelope_factor`` (review G 2: at 4 the note still called the
#: energy "the survey envelope, its best designs" and advised setting the factor)
FACTOR_BASIS = {
    "sar": "the survey envelope, its best designs",
    "flash": "the survey's typical flash comparator",
    "ramp": "the mean of 5 survey single-slope designs",
}


def energy_basis(adc_type: str, structural: bool = False, envelope_factor: float = 1.0) -> str:
    """Words for what a type's energy per conversion rests on (empty for a plug-in); with an
    ``envelope_factor`` other than 1, that factor times the basis."""
    if structural:
        return "structural C-DAC + comparator + logic"
    if envelope_factor != 1.0 and adc_type in FACTOR_BASIS:
        return (f"{envelope_factor:g}x {FACTOR_BASIS[adc_type]}: adc.envelope_factor "
                f"{envelope_factor:g}")
    return ENERGY_BASIS.get(adc_type, "")


#: the rate roll-off (energy at the default rate over the low-rate envelope) above which the
#: derived note says the default rate, the fastest the node allows, raised the SAR's energy
RATE_ROLLOFF_NOTED = 1.05


def rate_rolloff(bits, sample_rate) -> float:
    """The survey envelope's energy at ``sample_rate`` over its low-rate value (>= 1): what
    running a SAR that fast costs (find-G 4: a 12-bit SAR at 7 nm's default 219 MHz is 3.1x
    its 50 MHz energy)."""
    return float(envelope_energy(bits, sample_rate) / envelope_energy(bits, 1.0))


def area_outside_fit(adc_type: str, bits) -> bool:
    """Whether ``adc_type``'s area at ``bits`` comes from :func:`regression_area` below
    :data:`AREA_FIT_MIN_BITS`, outside the range it was fitted on (find-E 4: a 1-bit SAR's
    313 um^2 at 22 nm is the regression extrapolated, not a comparator's ~10 um^2). ``sar``,
    ``ramp``, the structural SAR (``"sar"``) and a plug-in that keeps the default
    :meth:`ADCModel.area` use it; ``flash`` and ``current_sense`` anchor it at 4 bits."""
    b = np.asarray(bits, dtype=float)
    return bool(type(model(adc_type)).area is ADCModel.area and np.any(b < AREA_FIT_MIN_BITS))


def flash_survey_energies(node_nm: float = FLASH_REF_NODE_NM, vdd=None):
    """Energy per comparator decision (J) of each ``FLASH_SURVEY_ROWS`` design, ``P / fs_nyq /
    (2^N - 1)``, moved from its node and supply to ``node_nm`` at ``vdd`` (default nominal)."""
    return np.array([p / fs / (2 ** n - 1) * scaling.energy_factor(node, node_nm, v, vdd)
                     for _, node, n, v, p, fs in FLASH_SURVEY_ROWS])


def comparator_energy(node_nm: float, vdd=None):
    """One flash comparator decision with its ladder/bias/clock share (J) at a node and supply
    (default nominal): ``FLASH_COMPARATOR_7NM_J`` moved by :func:`.scaling.energy_factor`."""
    return FLASH_COMPARATOR_7NM_J * scaling.energy_factor(FLASH_REF_NODE_NM, node_nm, None, vdd)


def encoder_gates(bits):
    """2-input gate equivalents of a ``bits``-bit thermometer-to-binary encoder:
    ``2 (2^b - 1)`` edge detectors + ``b (2^(b-1) - 1)`` OR-tree gates."""
    b = _bits(bits)
    return 2 * (2.0 ** b - 1) + b * (2.0 ** (b - 1) - 1)


def encoder_energy(bits, node_nm: float, vdd=None):
    """Energy of one encoding (J): gates x one 2-input gate x ``ENCODER_ACTIVITY``."""
    gate = GATE_PER_FULL_ADDER * digital.full_adder_energy(node_nm, vdd)
    return encoder_gates(bits) * gate * ENCODER_ACTIVITY


def flash_energy(bits, node_nm: float, vdd=None):
    """One flash conversion (J): ``(2^b - 1)`` comparator decisions + the encoder."""
    b = _bits(bits)
    return (2.0 ** b - 1) * comparator_energy(node_nm, vdd) + encoder_energy(b, node_nm, vdd)


def cycle_time(node_nm: float, vdd=None):
    """One SAR bit-cycle / flash decision / counting step (s) at a node and supply."""
    return SAR_CYCLE_22NM_S * scaling.delay_factor(22, node_nm, None, vdd)


def model(adc_type: str) -> "ADCModel":
    """The registered ADC model of ``adc_type`` (:mod:`cimsim.hw.parts.registry`); an unknown
    one is a ``ValueError`` naming the registered types."""
    from ..parts.registry import adcs

    if not isinstance(adc_type, str) or adc_type not in adcs.types():
        raise ValueError(f"ADC type {adc_type!r} is not allowed; allowed: "
                         f"{', '.join(adcs.types())}{did_you_mean(str(adc_type), adcs.types())}")
    return adcs.get(adc_type)()


def conversion_time(adc_type: str, bits, node_nm: float, vdd=None):
    """Time of one conversion (s): SAR ``(bits+1)`` cycles, ramp ``2^bits``, flash/sense 1; a
    registered model's own law."""
    b = _bits(bits)
    m = model(adc_type)
    return _result(m, "conversion_time", m.conversion_time(b, node_nm, vdd), b, "s", True)


def timing(adc_type: str, bits, node_nm: float, sample_rate=None, vdd=None, given_time=None):
    """``(conversion time, sample rate)`` of a converter: the given time (a published design's)
    or the model's (:func:`conversion_time`); the rate defaults to one conversion per conversion
    time, and one the converter cannot reach is an error, not a clamp."""
    b = _bits(bits)
    if given_time is not None:
        t_conv = np.broadcast_to(float(given_time), np.shape(b)) * 1.0
        how = "given adc.conversion_time"
    else:
        t_conv = conversion_time(adc_type, b, node_nm, vdd)
        how = f"{adc_type}, {bits} bits at {node_nm:g} nm"
    if sample_rate is None:
        return t_conv, 1.0 / t_conv
    fs = _rate(sample_rate)
    if np.any(fs * t_conv > 1 + 1e-12):
        hint = ("" if given_time is not None else
                ", or give the converter's own adc.conversion_time where its design publishes one")
        raise ValueError(f"sample rate {si(float(np.max(fs)), 'Hz')} is faster than one "
                         f"conversion per conversion time ({how}: "
                         f"{si(float(np.max(t_conv)), 's', 3)}); lower the rate or use more "
                         f"ADCs{hint}")
    return t_conv, np.broadcast_to(fs, np.broadcast_shapes(np.shape(fs), np.shape(t_conv))) * 1.0


def adc(adc_type: str, bits, node_nm: float, sample_rate=None, vdd=None,
        envelope_factor: float = 1.0, given_time=None) -> PartEstimate:
    """Energy per conversion, conversion time and area of one ADC of a registered type.

    ``sample_rate`` defaults to one conversion per conversion time (``given_time``, a
    published design's, else the model's); a rate the converter cannot reach (faster than
    ``1 / conversion_time``) is an error, not a clamp.
    ``envelope_factor`` (>= 1) multiplies the energy: how far the design sits above the
    model (SAR: the survey's best; flash: the survey's typical flash design at the node)."""
    m = model(adc_type)
    if not (envelope_factor >= 1.0 and math.isfinite(envelope_factor)):
        raise ValueError(f"envelope_factor {envelope_factor} must be >= 1 (1 = the survey's best)")
    b = _bits(bits)
    t_conv, fs = timing(adc_type, bits, node_nm, sample_rate, vdd, given_time)

    # the area is the design's, whatever supply it runs at: the regression's rate and energy are
    # taken at the node's nominal supply (the given sample rate, else the nominal conversion time)
    fs_nom = fs if sample_rate is not None else 1.0 / timing(adc_type, b, node_nm, None, None,
                                                             given_time)[0]
    e = _result(m, "energy", m.energy(b, node_nm, fs, vdd), fs, "J", False)
    area = _result(m, "area", m.area(b, node_nm, fs_nom), fs_nom, "m^2", False)
    src = m.source + (f"; {m.time_source}" if m.time_source and given_time is None else "")
    return PartEstimate(
        energy_j=e * envelope_factor,
        delay_s=t_conv,
        area_m2=area,
        source=src + ("; conversion time given" if given_time is not None else ""),
        field_provenance={**provenance(energy_j=m.placeholder, area_m2=m.placeholder),
                          **({"delay_s": "given"} if given_time is not None else {})},
    )


def _result(m: "ADCModel", method: str, value, like, unit: str, positive: bool):
    """A plug-in model's ``value`` as it returned it, refused in one line naming the plug-in
    unless a real number (or array broadcasting to ``like``'s shape), finite and > 0
    (``positive``) or >= 0; a built-in's as it is."""
    if not is_plugin(type(m)):
        return value
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    if isinstance(value, np.ndarray) and value.dtype.kind in "iuf":
        try:
            ok = np.broadcast_shapes(value.shape, np.shape(like)) == np.shape(like)
        except ValueError:
            ok = False
    arr = np.asarray(value, dtype=float) if ok else None
    if ok and np.all(np.isfinite(arr)) and np.all(arr > 0 if positive else arr >= 0):
        return arr * 1.0 if isinstance(value, np.ndarray) else float(value)
    shown = one_line(repr(value))[:80]
    raise ComponentError(f"ADC model '{m.type_name}' ({type(m).__module__}."
                         f"{type(m).__qualname__}): {method}() returned {shown}, not a finite "
                         f"number of {unit} {'> 0' if positive else '>= 0'}")


class ADCModel:
    """An ADC style: its energy per conversion, conversion time and area as functions of the
    converter's ``bits`` (whole bits, 1..16), the technology ``node_nm`` (nm), the
    supply ``vdd`` (None: the node's nominal) and the ``sample_rate`` (Hz) it runs at, each
    given as a float or a NumPy array (a sweep evaluated at once: broadcast them).

    A subclass sets ``type_name`` (the ``cim.adc.type`` it answers to), ``source`` (what its
    numbers rest on, shown in the result's sources), ``placeholder`` (True when they rest on
    an unsourced (U) number: the result says ``placeholder``), and implements
    :meth:`conversion_time` and :meth:`energy`; :meth:`area` defaults to the Accelergy ADC
    plug-in's survey regression. Register it with ``cimsim.hw.register(MyADC)`` or the
    entry-point group ``cimsim.adcs``. The derivation (:func:`adc`) checks the bits, the
    sample rate against the conversion time (a rate it cannot reach is an error), applies
    ``adc.envelope_factor`` and ``adc.conversion_time``; a plug-in's number that is negative,
    not finite or not a number is one line naming it, as is an exception it raises."""

    type_name: str = ""
    source: str = ""
    #: what its conversion time rests on (left out of the sources when the config gives it)
    time_source: str = ""
    placeholder: bool = False

    def conversion_time(self, bits: ArrayLike, node_nm: float,
                        vdd: ArrayLike | None = None) -> FloatOrArray:
        """Time of one conversion (s) at the node and supply; > 0."""
        raise NotImplementedError

    def energy(self, bits: ArrayLike, node_nm: float, sample_rate: ArrayLike,
               vdd: ArrayLike | None = None) -> FloatOrArray:
        """Energy of one conversion (J) at ``sample_rate`` (Hz), the node and supply; >= 0."""
        raise NotImplementedError

    def area(self, bits: ArrayLike, node_nm: float, sample_rate: ArrayLike) -> FloatOrArray:
        """Area of one converter (m^2) designed for ``sample_rate`` at the node's nominal
        supply; >= 0. Default: :func:`regression_area` at this model's energy there."""
        return regression_area(bits, sample_rate, node_nm, self.energy(bits, node_nm, sample_rate))


class SAR(ADCModel):
    """Successive approximation: the survey's envelope, ``(bits + 1)`` cycles."""

    type_name = "sar"
    source = f"{SURVEY} (energy); Accelergy ADC plug-in regression (area)"
    time_source = "NeuroSim V1.4 (time)"

    def conversion_time(self, bits: ArrayLike, node_nm: float,
                        vdd: ArrayLike | None = None) -> FloatOrArray:
        return (bits + SAR_OVERHEAD_CYCLES) * cycle_time(node_nm, vdd)

    def energy(self, bits: ArrayLike, node_nm: float, sample_rate: ArrayLike,
               vdd: ArrayLike | None = None) -> FloatOrArray:
        return envelope_energy(bits, sample_rate)


class Ramp(ADCModel):
    """Single-slope: ``2^bits`` counting steps of 144.63 fJ each."""

    type_name = "ramp"
    source = f"{SURVEY}, single-slope designs (energy); Accelergy ADC plug-in (area)"

    def conversion_time(self, bits: ArrayLike, node_nm: float,
                        vdd: ArrayLike | None = None) -> FloatOrArray:
        return 2.0 ** bits * cycle_time(node_nm, vdd)

    def energy(self, bits: ArrayLike, node_nm: float, sample_rate: ArrayLike,
               vdd: ArrayLike | None = None) -> FloatOrArray:
        return 2.0 ** bits * RAMP_STEP_J


class Flash(ADCModel):
    """``2^bits - 1`` comparators in parallel, one cycle, and the encoder."""

    type_name = "flash"
    source = (f"{SURVEY}: its flash designs moved to the node by Stillmaker & Baas 2017, C V^2 "
              "(comparators); Horowitz ISSCC 2014 gates (encoder); Accelergy ADC plug-in at "
              "4 bits x comparators (area)")

    def conversion_time(self, bits: ArrayLike, node_nm: float,
                        vdd: ArrayLike | None = None) -> FloatOrArray:
        t = cycle_time(node_nm, vdd)
        return np.broadcast_to(t, np.broadcast_shapes(np.shape(t), np.shape(bits))) * 1.0

    def energy(self, bits: ArrayLike, node_nm: float, sample_rate: ArrayLike,
               vdd: ArrayLike | None = None) -> FloatOrArray:
        return flash_energy(bits, node_nm, vdd)

    def area(self, bits: ArrayLike, node_nm: float, sample_rate: ArrayLike) -> FloatOrArray:
        b0 = FLASH_AREA_ANCHOR_BITS
        e0 = flash_energy(b0, node_nm, None)
        return regression_area(b0, sample_rate, node_nm, e0) / (2 ** b0 - 1) * (2.0 ** bits - 1)


class CurrentSense(Flash):
    """Current-mode multi-level sense amplifiers, modelled as flash (placeholder)."""

    type_name = "current_sense"
    source = Flash.source + "; current-mode sense modelled as flash (assumption)"
    placeholder = True
