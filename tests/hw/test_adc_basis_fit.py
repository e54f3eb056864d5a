"""ADC periphery: the derived note says which basis an ADC's energy rests on (find-G 1) and when
a default SAR rate was raised with the node (find-G 4); the survey area regression below the
4 bits it is fitted for marks the run ``extrapolated`` (find-E 4); the structural SAR refuses a
missing unit capacitor (find-G 6).

Closed forms: the Murmann survey envelope (Walden 0.66936 fJ/step, corner 1.2211 GHz; Schreier
186.723 dB, corner 51.441 MHz; ideal SNDR = 6.0206 b + 1.7609 dB) and the Accelergy ADC
plug-in's own lower bound ("Resolution must be >= 4 bits", optimizer.py ``ADCRequest``).
"""

from __future__ import annotations

import math

import pytest

from cimsim import load_architecture, simulate
from cimsim.hw.circuits import adc, sar
from conftest import gemv_workload


def test_kt_c_helpers_refuse_bad_inputs():
    # review G 3: None, 0 and negative capacitors gave nan, inf and nan
    for bad in (None, 0.0, -1e-18, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="dac_unit_capacitance_f"):
            sar.kt_c_noise_lsb(12, 22, None, bad)
    for bad in (-1.0, float("nan")):
        with pytest.raises(ValueError, match="noise_lsb"):
            sar.kt_c_effective_bits(12, bad)
    assert float(sar.kt_c_effective_bits(12, 0.0)) == 12.0


def test_envelope_factor_in_basis():
    # review G 2: 6-bit SAR with adc.envelope_factor 4 is 4x the envelope, not "its best designs"
    note = _derived(_run("rram-cim-derived", **{"cim.adc.type": "sar", "cim.adc.bits": 6,
                                                "cim.adc.envelope_factor": 4.0}))
    assert "ADC 173 fJ/conversion (4x the survey envelope, its best designs: " \
           "adc.envelope_factor 4" in note
    assert "a typical in-array SAR sits above it" not in note


def test_structural_sar_refuses_missing_unit_capacitor():
    # before: np.asarray(None, float) is NaN, and energy and area came back NaN
    with pytest.raises(ValueError, match="dac_unit_capacitance_f"):
        sar.sar_adc(8, 22, None)
    with pytest.raises(ValueError, match="dac_unit_capacitance_f"):
        sar.sar_adc(8, 22, float("nan"))


def test_rate_rolloff_closed_form():
    # 12 bits: Walden 0.66936e-15 * 4096 = 2.7417 pJ; Schreier at low rate
    # 0.5 * 10^((6.0206*12 + 1.7609 - 186.7233)/10) = 2.68 pJ: Walden sets the low-rate floor
    sndr = 20 * math.log10(2) * 12 + 10 * math.log10(1.5)
    e_w = 0.66936434251522825e-15 * 4096
    for fs in (50e6, 219e6):
        foms = 186.72331722916886 - 10 * math.log10(math.sqrt(1 + (fs / 51440927.0) ** 2))
        e_s = 0.5 * 10 ** ((sndr - foms) / 10)
        assert adc.rate_rolloff(12, fs) == pytest.approx(max(e_s, e_w) / e_w, rel=1e-9, abs=0)
    assert adc.rate_rolloff(4, 1e6) == pytest.approx(1.0, abs=1e-6)  # Walden, far below corner


def test_area_fit_range():
    assert adc.area_outside_fit("sar", 3) and adc.area_outside_fit("ramp", 1)
    assert not adc.area_outside_fit("sar", 4)
    assert not adc.area_outside_fit("flash", 1)  # anchored at 4 bits x comparators


def _run(config, **over):
    return simulate(load_architecture(config, overrides=over), gemv_workload(64, 64),
                    engine="analytic")


def _derived(r):
    return next(n for n in r.notes if "derived by the circuit models" in n)


def test_low_bit_sar_area_is_extrapolated():
    r2, r4 = _run("sram-cim-derived", **{"cim.adc.bits": 2}), _run("sram-cim-derived",
                                                                   **{"cim.adc.bits": 4})
    assert r2.extrapolated and not r4.extrapolated
    assert "below the 4 bits it is fitted for" in _derived(r2)
    assert "fitted for" not in _derived(r4)


def test_note_names_energy_basis_and_raised_rate():
    sram = _derived(_run("sram-cim-derived"))
    assert "survey envelope, its best designs" in sram
    flash = _derived(_run("rram-cim-derived"))
    assert "survey's typical flash comparator" in flash
    # 12-bit SAR at 7 nm: default rate 1 / (13 cycles) is above the Schreier corner
    over = {"cim.adc.type": "sar", "cim.adc.bits": 12, "technology.node": "7nm"}
    fast = _derived(_run("rram-cim-derived", **over))
    assert "the fastest this node allows" in fast
    # review G 5: the envelope at a named 50 MHz, Schreier-bound: 0.5 * 10^((SNDR - FOM_S)/10)
    sndr = 20 * math.log10(2) * 12 + 10 * math.log10(1.5)
    foms = 186.72331722916886 - 10 * math.log10(math.sqrt(1 + (50e6 / 51440927.0) ** 2))
    e50 = 0.5 * 10 ** ((sndr - foms) / 10)
    assert f"{e50 * 1e12:.3g}" == "3.73"
    assert "rises smoothly with rate (3.73 pJ at 50 MHz)" in fast
    slow = _derived(_run("rram-cim-derived", **over, **{"cim.adc.sample_rate": "1MHz"}))
    assert "the fastest this node allows" not in slow


def test_structural_sar_kt_c_noise_is_noted():
    # 12 bits, 1 aF units: C = 4096 aF; sqrt(kT/C) = sqrt(1.380649e-23 * 300 / 4.096e-15)
    # = 1.0056 mV rms; LSB 0.9 V / 4096 = 0.21973 mV: 4.577 LSB; ENOB 12 - 0.5 log2(1 + 12 s^2)
    s = math.sqrt(1.380649e-23 * 300 / 4.096e-15) / (0.9 / 4096)
    assert float(sar.kt_c_noise_lsb(12, 22, 0.9, 1e-18)) == pytest.approx(s, rel=1e-12, abs=0)
    assert s == pytest.approx(4.577, rel=1e-3, abs=0)
    enob = 12 - 0.5 * math.log2(1 + 12 * s * s)
    assert float(sar.kt_c_effective_bits(12, s)) == pytest.approx(enob, rel=1e-12, abs=0)
    over = {"cim.adc.type": "sar", "cim.adc.bits": 12, "cim.adc.model": "structural",
            "technology.voltage": "0.9V"}
    tiny = _derived(_run("rram-cim-derived", **over, **{"cim.adc.dac_unit_capacitance": "0.001fF"}))
    assert f"{s:.3g} LSB rms: about {enob:.3g} effective bits, not 12" in tiny
    # review G 1: the emulator adds adc_noise in its LSB, max(1, 16/4095) = 1 unit step, where
    # the converter's LSB is 16/4095 steps (16 rows x 1-bit cells x 1-bit inputs): 4.58 LSB is
    # 4.577 x 16/4095 = 0.01788 unit steps (4.58 dropped digits-cnn to top-1 0.094)
    assert f"cim.nonideal.adc_noise={s * 16 / 4095:.3g} (in the emulator's LSB" in tiny
    assert f"{s * 16 / 4095:.3g}" == "0.0179"
    # unit: one unit step per code, the converter's LSB is the emulator's: sigma as it is
    unit = _derived(_run("rram-cim-derived", **over, **{"cim.adc.range_policy": "unit",
                                                        "cim.adc.dac_unit_capacitance": "0.001fF"}))
    assert f"cim.nonideal.adc_noise={s:.3g}), " in unit
    # 12 s^2 x 1 aF = 0.2514 fF keeps the noise within 1/sqrt(12) LSB: 1 fF is not noted
    big = _derived(_run("rram-cim-derived", **over, **{"cim.adc.dac_unit_capacitance": "1fF"}))
    assert "kT/C" not in big


def _range_notes(r):
    return [n for n in r.notes if "range_policy max puts" in n]


def test_range_policy_max_non_integer_lsb_is_noted():
    # rram-cim-derived: 16 rows per read x (2^1 - 1) x (2^1 - 1) = 16, a 4-bit ADC's top code
    # 15: LSB = 16/15 = 1.067 steps under 'max'
    notes = _range_notes(_run("rram-cim-derived"))
    assert len(notes) == 1 and "16/15 = 1.067 unit steps" in notes[0]
    # review G 4: the figures are an example on rram-cim-derived, rram-cim's own beside them
    assert "e.g. digits-cnn's top-1 0.639 against 0.981 with unit on rram-cim-derived, 0.967 " \
           "on rram-cim" in notes[0] and "check both with --accuracy" in notes[0]
    assert not _range_notes(_run("rram-cim-derived", **{"cim.adc.range_policy": "unit"}))
    assert not _range_notes(_run("rram-cim-derived", **{"cim.adc.bits": 5}))  # lossless
    # 15 rows per read: largest sum 15 fits the 4-bit top code, no bit lost: nothing to say
    assert not _range_notes(_run("rram-cim-derived", **{"cim.rows_per_read": 15}))


def test_level_dac_draws_c_v_vk_from_its_rail():
    # a D-bit level DAC charges C to V_k = k V / (2^D - 1) from the V rail: C V V_k, mean over
    # uniform codes C V^2 / 2 at any D (the mean squared level gave 7/18 at 2 bits, 0.335 at 8)
    from cimsim.hw.circuits import digital

    c, v = 10e-15, 0.5
    for d in (1, 2, 8):
        e = float(digital.input_driver(c, v, input_bits=d).energy_j)
        assert e == pytest.approx(c * (1 + 2 / 3) * v * v * 0.5, rel=1e-12, abs=0)
    note = _derived(_run("rram-cim-derived", **{"cim.dac_bits": 4}))
    assert "a 4-bit level DAC: the row's C·V·V_k charge plus a resistor-string core" in note
    assert "level DAC" not in _derived(_run("rram-cim-derived"))
