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

By type (``ADC_TYPES``):

- ``sar``: energy = the envelope; conversion time ``(bits + overhead) * t_cycle`` with one
  overhead cycle and ``t_cycle = 1 ns`` at 22 nm, scaled by :func:`.scaling.delay_factor`
  (NeuroSim V1.4 ``SarADC.cpp``: latency ``(bits + 1)`` ns at 22 nm, (P));
- ``flash``: ``2^bits - 1`` comparators, one cycle; energy ``(2^bits - 1) * E_cmp`` with
  ``E_cmp = 105.79 fJ``, the mean Walden FOM of the five best flash designs in the survey
  (ARCHITECTURE "flash" or "flash, ti"), (D);
- ``ramp`` (single-slope / counting): ``2^bits`` counting steps of ``t_cycle``; energy
  ``2^bits * 144.63 fJ``, the mean Walden FOM of the five survey designs whose architecture
  names single-slope (thin data: five designs, three of them hybrids), (D);
- ``current_sense`` (current-mode multi-level sense amplifiers, as in NeuroSim's multilevel
  sense amplifier): ``2^bits - 1`` current comparators in parallel, one cycle; energy and
  area as ``flash`` -- an assumption (no survey data for this circuit), marked placeholder.

Area: the regression of Accelergy's ADC plug-in (github.com/Accelergy-Project/
accelergy-adc-plug-in, ``adc_data/model.yaml``, (P)), fitted to the survey's SAR,
single-slope and flash designs, lower 10 % quantile: ``ln(A/um^2) = 4.8506 + 0.066659
ln(fs/Hz) + 0.79732 ln(node/nm) - 0.13437 bits + 0.42366 ln(E/pJ)``. For ``flash`` and
``current_sense``, area grows with the comparator count: the regression at 4 bits divided
by 15 comparators, times ``2^bits - 1`` (an assumption anchoring the comparator count
scaling on the regression at 4 bits, where flash designs are common).

Every function broadcasts over NumPy arrays of ``bits`` and ``sample_rate``.
"""

from __future__ import annotations

import math
import numpy as np

from . import scaling
from .record import PartEstimate, provenance

ADC_TYPES = ("sar", "flash", "ramp", "current_sense")

SURVEY = "Murmann, ADC Performance Survey 1997-2025 (rev 2025-06-09), envelope sheet"

#: Walden FOM envelope at low rate (J per conversion step) and its corner (Hz), (P)
FOMW_ENVELOPE_J = 0.66936434251522825e-15
FOMW_CORNER_HZ = 1221112976.4039075
#: Schreier FOM envelope at low rate (dB) and its corner (Hz), (P)
FOMS_ENVELOPE_DB = 186.72331722916886
FOMS_CORNER_HZ = 51440927.000128388

#: energy per comparator decision of a flash ADC (J): mean FOM_W of the 5 best flash designs, (D)
FLASH_COMPARATOR_J = 105.7945e-15
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


def _bits(bits):
    b = np.asarray(bits, dtype=float)
    if np.any(b < 1) or np.any(b > 16) or not np.all(np.isfinite(b)):
        raise ValueError(f"ADC bits {bits} must be within 1..16")
    return b


def _rate(fs):
    f = np.asarray(fs, dtype=float)
    if np.any(f <= 0) or not np.all(np.isfinite(f)):
        raise ValueError(f"ADC sample rate {fs} Hz must be finite and > 0")
    return f


def sndr_db(bits):
    """Ideal SNDR (dB) of a ``bits``-bit quantizer: ``20 log10(2) bits + 10 log10(1.5)``."""
    return 20 * math.log10(2) * _bits(bits) + 10 * math.log10(1.5)


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
    return walden_fom(sample_rate) * 2.0 ** _bits(bits)


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
            * math.log(node_nm) + AREA_BITS * _bits(bits) + AREA_LN_ENERGY_PJ * np.log(e * 1e12))
    return np.exp(ln_a) * 1e-12


def cycle_time(node_nm: float, vdd=None):
    """One SAR bit-cycle / flash decision / counting step (s) at a node and supply."""
    return SAR_CYCLE_22NM_S * scaling.delay_factor(22, node_nm, None, vdd)


def conversion_time(adc_type: str, bits, node_nm: float, vdd=None):
    """Time of one conversion (s): SAR ``(bits+1)`` cycles, ramp ``2^bits``, flash/sense 1."""
    b = _bits(bits)
    t = cycle_time(node_nm, vdd)
    if adc_type == "sar":
        return (b + SAR_OVERHEAD_CYCLES) * t
    if adc_type == "ramp":
        return 2.0 ** b * t
    if adc_type in ("flash", "current_sense"):
        return np.broadcast_to(t, np.shape(b)) * 1.0
    raise ValueError(f"ADC type {adc_type!r} is not allowed; allowed: {', '.join(ADC_TYPES)}")


def adc(adc_type: str, bits, node_nm: float, sample_rate=None, vdd=None,
        envelope_factor: float = 1.0) -> PartEstimate:
    """Energy per conversion, conversion time and area of one ADC.

    ``sample_rate`` defaults to one conversion per conversion time; a rate the converter
    cannot reach (faster than ``1 / conversion_time``) is an error, not a clamp.
    ``envelope_factor`` (>= 1) multiplies the energy: how far the design sits above the
    survey's best."""
    if adc_type not in ADC_TYPES:
        raise ValueError(f"ADC type {adc_type!r} is not allowed; allowed: {', '.join(ADC_TYPES)}")
    if not (envelope_factor >= 1.0 and math.isfinite(envelope_factor)):
        raise ValueError(f"envelope_factor {envelope_factor} must be >= 1 (1 = the survey's best)")
    b = _bits(bits)
    t_conv = conversion_time(adc_type, b, node_nm, vdd)
    if sample_rate is None:
        fs = 1.0 / t_conv
    else:
        fs = _rate(sample_rate)
        if np.any(fs * t_conv > 1 + 1e-12):
            raise ValueError(f"sample rate {sample_rate} Hz is faster than one conversion per "
                             f"conversion time ({adc_type}, {bits} bits at {node_nm} nm: "
                             f"{np.max(t_conv):.3g} s); lower the rate or use more ADCs")
        fs = np.broadcast_to(fs, np.broadcast_shapes(np.shape(fs), np.shape(t_conv))) * 1.0

    if adc_type == "sar":
        e = envelope_energy(b, fs)
        area = regression_area(b, fs, node_nm, e)
        src = f"{SURVEY} (energy); Accelergy ADC plug-in regression (area); NeuroSim V1.4 (time)"
    elif adc_type == "ramp":
        e = 2.0 ** b * RAMP_STEP_J
        area = regression_area(b, fs, node_nm, e)
        src = f"{SURVEY}, single-slope designs (energy); Accelergy ADC plug-in (area)"
    else:
        comparators = 2.0 ** b - 1
        e = comparators * FLASH_COMPARATOR_J
        b0 = FLASH_AREA_ANCHOR_BITS
        e0 = (2.0 ** b0 - 1) * FLASH_COMPARATOR_J
        area = regression_area(b0, fs, node_nm, e0) / (2 ** b0 - 1) * comparators
        src = (f"{SURVEY}, flash designs (energy); Accelergy ADC plug-in at 4 bits x "
               "comparators (area)")
    sense = adc_type == "current_sense"
    return PartEstimate(
        energy_j=e * envelope_factor,
        delay_s=t_conv,
        area_m2=area,
        source=src + ("; current-mode sense modelled as flash (assumption)" if sense else ""),
        field_provenance=provenance(energy_j=sense, area_m2=sense),
    )

