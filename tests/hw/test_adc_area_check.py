"""The derived ADC area checked against measured converters, and the derived note's ADC area
share (find-G1 1: rram-cim-derived's 540,800 4-bit flash ADCs of 2,278 um^2 take 95.7 % of its
1,288 mm^2, and nothing said so).

Golden values: the survey's stated areas of its 18 flash designs (Murmann, ADC Performance
Survey, AREA column, as the Accelergy ADC plug-in's ``adc_data/adc_list.csv`` lists them) and
the plug-in's area regression written out here:
``ln(A/um^2) = 4.8506 + 0.066659 ln(fs/Hz) + 0.79732 ln(node/nm) - 0.13437 b + 0.42366 ln(E/pJ)``.
"""

from __future__ import annotations

import math

from cimsim import load_architecture, simulate
from cimsim.hw.circuits import adc
from conftest import gemv_workload


def _fit_um2(bits, fs_hz, node_nm, energy_j):
    return math.exp(4.850567073004403 + 0.06665851895885958 * math.log(fs_hz)
                    + 0.797323960429599 * math.log(node_nm) - 0.13437278622014803 * bits
                    + 0.4236571760437834 * math.log(energy_j * 1e12))


def test_flash_area_is_below_most_measured_flash_designs():
    # the flash model (the fit at 4 bits / 15 comparators x (2^N - 1)) at each survey flash
    # design's own bits, node and rate, against its measured area
    assert len(adc.FLASH_SURVEY_AREA_UM2) == len(adc.FLASH_SURVEY_ROWS) == 18
    above = []
    for name, node, n, _, _, fs in adc.FLASH_SURVEY_ROWS:
        model = _fit_um2(4, fs, node, float(adc.flash_energy(4, node))) / 15 * (2 ** n - 1)
        assert math.isclose(float(adc.Flash().area(n, node, fs)) * 1e12, model, rel_tol=1e-12)
        above.append(adc.FLASH_SURVEY_AREA_UM2[name] > model)
    assert sum(above) == 14  # measured above the model for 14 of the 18: it does not overstate


def test_isscc2006_4bit_flash():
    # ISSCC 2006 31.1: 4 bits, 1.25 GS/s, 90 nm, 33,000 um^2 measured; the model ~21,400 um^2
    model = float(adc.Flash().area(4, 90, 1.25e9)) * 1e12
    assert math.isclose(model, _fit_um2(4, 1.25e9, 90, float(adc.flash_energy(4, 90))),
                        rel_tol=1e-12)
    assert 20_000 < model < adc.FLASH_SURVEY_AREA_UM2["ISSCC 2006 31.1"] == 33_000


def _derived(r):
    return next(n for n in r.notes if "derived by the circuit models" in n)


def test_note_says_adc_count_area_and_share():
    arch = load_architecture("rram-cim-derived")
    r = simulate(arch, gemv_workload(64, 64), engine="analytic")
    note = _derived(r)
    n = 33_800 * 128 // 8  # arrays x (cols / columns_per_adc)
    # 4-bit flash at 22 nm: one 1 ns cycle (the 22 nm SAR cycle), so 1 GS/s
    each = _fit_um2(4, 1e9, 22, float(adc.flash_energy(4, 22)))
    assert round(each) == 2278
    brk = r.to_json()["area_breakdown_m2"]
    assert math.isclose(brk["cim_adc"], n * each * 1e-12, rel_tol=1e-12)
    share = 100 * brk["cim_adc"] / sum(brk.values())
    assert f"540,800 ADCs of 2,278 µm² = {n * each * 1e-6:,.4g} mm², {share:.3g} % of the CIM's " \
           "area (the survey area fit at 4 bits per comparator" in note
    assert "95.7 % of the CIM's area" in note


def test_note_is_silent_on_a_given_adc_area():
    arch = load_architecture("rram-cim-derived", overrides={"cim.area.adc": "500 um^2"})
    note = _derived(simulate(arch, gemv_workload(64, 64), engine="analytic"))
    assert "% of the CIM's area" not in note


def test_sar_note_names_its_basis():
    note = _derived(simulate(load_architecture("sram-cim-derived"), gemv_workload(64, 64),
                             engine="analytic"))
    assert "ADCs of" in note and "(the survey area fit: a stand-alone converter's; give " \
           "area.adc for an in-array one)" in note
