"""Numbers as printed: areas are never SI-prefixed (issue 21, item 5)."""

from __future__ import annotations

import pytest

from cimsim.report.format import area, keep_units, pct, rate, si


@pytest.mark.parametrize("m2, text", [
    (1.707304e-3, "1707 mm²"),  # sram-cim: 1,707 mm², not "1.707 kmm²"
    (8.14e-4, "814 mm²"),
    (0.5e-6, "0.5 mm²"),
    (9.999e-3, "9999 mm²"),
    (1e-2, "100 cm²"),  # 10^4 mm² = 100 cm²
    (2.5e-2, "250 cm²"),
    (3e-12, "3 µm²"),  # 3e-6 mm²
    (0.0, "0 mm²"),
])
def test_area_is_printed_in_mm2_or_cm2(m2, text):
    assert area(m2) == text


def test_si_never_prefixes_an_area_unit():
    assert si(1707.304, "mm²") == "1707 mm²"
    assert si(1.707304e-3, "m^2") == "1707 mm²"
    assert si(12345.0, "mm^2") == "123.5 cm²"
    assert si(1707.0, "B") == "1.707 kB"  # other units keep their prefixes


@pytest.mark.parametrize("x, text", [
    (8038.2, "8,038"), (14701.3, "14,701"), (1234567.0, "1,234,567"), (316.84, "316.8"),
    (0.67672, "0.6767"), (float("nan"), "n/a"),
])
def test_rates_never_print_in_exponent_form(x, text):
    # tokens/s and tokens/J in `cimsim run` and the compare serving table (was "1.47e+04")
    assert rate(x) == text


@pytest.mark.parametrize("x, digits, text", [
    (999_999_999.99, 3, "1 GHz"),  # was '1e+03 MHz': the prefix chosen before rounding
    (9999.6, 4, "10 kHz"),
    (999e6, 3, "999 MHz"),
    (1e9, 4, "1 GHz"),
])
def test_si_picks_the_prefix_after_rounding(x, digits, text):
    assert si(x, "Hz", digits) == text


def test_components_print_with_the_same_si():
    # cimsim.units holds si (components may import it, not the report); the report re-exports it
    from cimsim import units
    assert si is units.si


@pytest.mark.parametrize("fraction, text", [
    (0.875, "87.5 %"),
    (0.0, "0.0 %"), (-0.0, "0.0 %"), (1.0, "100.0 %"),  # exactly none, exactly all
    (0.00025, "<0.1 %"),  # a 0.025 % energy share read "0.0 %"
    (3.2e-6, "<0.1 %"),  # a utilization of 3.2e-6 (0.00032 %) too
    (0.00049, "<0.1 %"), (0.0005, "0.1 %"),  # 0.049 % rounds to 0.0, 0.05 % to 0.1
    (-0.0002, ">-0.1 %"),  # a relative error of -0.02 %
    (0.9996, ">99.9 %"),  # 99.96 % would round to 100.0 %: not all of it
    (1.0002, ">100.0 %"),
])
def test_pct_never_reads_a_nonzero_value_as_none_or_a_partial_one_as_all(fraction, text):
    assert pct(fraction) == text


@pytest.mark.parametrize("text, kept", [
    ("processor_busy 87.5 %, dram_bw 10.8 %", "processor_busy 87.5\xa0%, dram_bw 10.8\xa0%"),
    ("2.087 GB (dram)", "2.087\xa0GB (dram)"),  # the unit joined; the level's name may wrap
    ("953 ops", "953\xa0ops"), ("<0.1 %", "<0.1\xa0%"), ("329.8 µs", "329.8\xa0µs"),
    ("dependency (overhead)", "dependency (overhead)"),  # no number: as it is
])
def test_keep_units_joins_each_number_to_its_unit(text, kept):
    assert keep_units(text) == kept
