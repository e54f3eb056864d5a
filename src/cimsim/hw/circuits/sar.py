"""A SAR ADC from its structure: capacitive DAC, comparator and SAR logic, scaled with node and
supply (the alternative to the survey envelope of :mod:`.adc`, whose best-ever designs an
in-array SAR at an older node sits well above).

Energy of one ``b``-bit conversion:

- capacitive DAC: a binary-weighted array of ``2^b`` unit capacitors ``C_u`` switched by the
  conventional (charge-redistribution) algorithm, mean energy over uniform inputs
  ``E_DAC = sum_{i=1..b} 2^(b+1-2i) (2^i - 1) C_u V_ref^2`` (Ginsburg & Chandrakasan, ISCAS
  2005; closed form in Saberi et al., IEEE TCAS-I 58(8) 2011, eq. for the conventional
  switching: 1363.3 C_u V_ref^2 at 10 bits) (T); ``V_ref`` = the supply;
- comparator: ``b`` decisions, each one latch evaluation, counted as one register bit of
  :mod:`.digital` (a StrongARM latch switches about a flip-flop's capacitance) -- (U);
- SAR logic: per decision the ``b``-bit result register and the ``b``-bit one-hot sequencer
  are clocked, ``2 b`` register bits, so ``2 b^2`` per conversion (register bit energy of
  :mod:`.digital`: Aladdin's 40 nm standard-cell flip-flop (T); the count (U)).

Every term is ``C V^2``: the digital ones move with node and supply by
:func:`.scaling.energy_factor`, the DAC by ``V^2`` and its unit capacitor. Conversion time and
area: as :func:`.adc.adc`'s SAR (``(b + 1)`` cycles; survey-regression area at this energy).
"""

from __future__ import annotations

import math

import numpy as np

from . import adc as adc_model
from . import digital, scaling
from .record import PartEstimate, provenance

SOURCE = ("structural SAR: conventional C-DAC switching energy (Ginsburg & Chandrakasan 2005; "
          "Saberi et al. TCAS-I 2011) (T); register bit Aladdin 40 nm (T); comparator and SAR "
          "logic counted as register bits (U)")


def dac_switching_factor(bits):
    """``sum_{i=1..b} 2^(b+1-2i) (2^i - 1)``: mean DAC energy of a conversion in ``C_u V^2``."""
    b = scaling.whole_bits(bits, 16)
    out = np.zeros_like(b)
    for i in range(1, int(np.max(b)) + 1):
        out = out + np.where(i <= b, 2.0 ** (b + 1 - 2 * i) * (2.0 ** i - 1), 0.0)
    return out


def _unit_capacitance(dac_unit_capacitance_f):
    """The C-DAC's unit capacitor as an array, or ValueError naming ``dac_unit_capacitance_f``
    unless it is finite and > 0 (find-G 6: ``np.asarray(None, float)`` is NaN, not an error)."""
    if dac_unit_capacitance_f is None:
        raise ValueError("dac_unit_capacitance_f (the C-DAC's unit capacitor, F) is required "
                         "for a structural SAR; got None")
    cu = np.asarray(dac_unit_capacitance_f, dtype=float)
    if not np.all(np.isfinite(cu)) or np.any(cu <= 0):
        raise ValueError(f"dac_unit_capacitance_f {dac_unit_capacitance_f} F must be finite and > 0")
    return cu


def energy_parts(bits, node_nm: float, vdd, dac_unit_capacitance_f,
                 register_design=None) -> dict:
    """Energy (J) of one conversion by part: ``dac``, ``comparator``, ``logic`` (register bits
    of ``register_design``; None: the standard cell)."""
    b = scaling.whole_bits(bits, 16)
    v = scaling.supply(node_nm, vdd)
    cu = _unit_capacitance(dac_unit_capacitance_f)
    reg = digital.register(1, node_nm, v, register_design).energy_j
    return {"dac": dac_switching_factor(b) * cu * v * v,
            "comparator": b * reg,
            "logic": 2 * b * b * reg}


def _structural_note(register_design) -> str:
    if register_design is None or not register_design.structural:
        return ""
    return "; register bits instead: " + digital.register_source(register_design)


def sar_adc(bits, node_nm: float, dac_unit_capacitance_f, sample_rate=None, vdd=None,
            register_design=None, given_time=None) -> PartEstimate:
    """Energy per conversion, conversion time (``given_time``, a published design's, else the
    model's) and area of a structural SAR ADC."""
    b = scaling.whole_bits(bits, 16)
    t_conv, fs = adc_model.timing("sar", bits, node_nm, sample_rate, vdd, given_time)
    parts = energy_parts(b, node_nm, vdd, dac_unit_capacitance_f, register_design)
    e = parts["dac"] + parts["comparator"] + parts["logic"]
    return PartEstimate(
        energy_j=e,
        delay_s=t_conv,
        area_m2=adc_model.regression_area(b, fs, node_nm, e),
        source=SOURCE + ("; time given" if given_time is not None else
                         "; time NeuroSim V1.4 (bits+1 cycles)") + "; area Accelergy ADC plug-in"
               + _structural_note(register_design),
        field_provenance={**provenance(energy_j=True),
                          **({"delay_s": "given"} if given_time is not None else {})},
    )


def kt_c_noise_lsb(bits, node_nm: float, vdd, dac_unit_capacitance_f,
                   temperature_k: float = 300.0):
    """The C-DAC's sampled thermal noise in LSB rms: ``sqrt(kT / (2^b C_u)) / (V_ref / 2^b)``,
    ``V_ref`` the supply (find-G 5: a 12-bit C-DAC of 1 aF units, 4.1 fF, holds 1.0 mV rms
    against a 0.22 mV LSB at 0.9 V: 4.6 LSB)."""
    b = scaling.whole_bits(bits, 16)
    v = scaling.supply(node_nm, vdd)
    c_total = 2.0 ** b * _unit_capacitance(dac_unit_capacitance_f)  # review G 3
    return np.sqrt(digital.BOLTZMANN_J_PER_K * temperature_k / c_total) / (v / 2.0 ** b)


def kt_c_effective_bits(bits, noise_lsb):
    """Effective bits of a ``bits``-bit quantizer with ``noise_lsb`` rms thermal noise added to
    its quantization noise (``1/12 LSB^2``): ``b - 0.5 log2(1 + 12 noise^2)``."""
    n = np.asarray(noise_lsb, dtype=float)
    if not np.all(np.isfinite(n)) or np.any(n < 0):  # review G 3
        raise ValueError(f"noise_lsb {noise_lsb} (LSB rms) must be finite and >= 0")
    return scaling.whole_bits(bits, 16) - 0.5 * np.log2(1 + 12 * n ** 2)


#: thermal noise (LSB rms) above which the derived note says the C-DAC is kT/C-limited: the
#: sample-and-hold rule of :mod:`.digital` (``kT/C <= LSB^2 / 12``)
KT_C_NOTED_LSB = 1 / math.sqrt(12)
