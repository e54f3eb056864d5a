"""``cim.adc.range_percentile`` is a percentile on 0-100 while the schema's other unitless
shares (sustained_fraction, data_activity, ...) are fractions on 0-1; 0.999, meant as 99.9 %,
was read as the 0.999th percentile and collapsed accuracy to chance with no note (review
find-F #2). A value <= 1 is refused in one line that says what was likely meant."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from cimsim import bundled
from cimsim.cli import main
from cimsim.config import load_architecture
from cimsim.errors import ConfigError


def _cli(value: str):
    return CliRunner(env={"COLUMNS": "250"}).invoke(
        main, ["fields", "-c", "rram-cim", "--set", f"cim.adc.range_percentile={value}",
               "cim.adc.range_percentile"])


@pytest.mark.parametrize("value, meant", [("0.999", "99.9"), ("0.5", "50"), ("1", "100")])
def test_a_fraction_is_refused_saying_it_is_a_percentile(value, meant):
    res = _cli(value)
    assert res.exit_code != 0 and "Traceback" not in res.output
    line = res.output.strip().splitlines()[-1]
    assert line == (f"Error: --set cim.adc.range_percentile={value}: cim.adc.range_percentile: a "
                    f"percentile on 0-100, not a fraction (got {value}; did you mean {meant}?); "
                    "values <= 1 are refused")


def test_a_fraction_in_a_file_names_the_file_and_field(tmp_path):
    text = bundled.resolve_config("rram-cim").read_text()
    text, n = re.subn(r"(?m)^(\s+)bits: (\d+)(.*)$", r"\1bits: \2\3\n\1range_percentile: 0.999",
                      text, count=1)
    assert n == 1
    path = tmp_path / "adc.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as e:
        load_architecture(path)
    assert str(e.value).startswith(f"{path}: cim.adc.range_percentile: a percentile on 0-100, "
                                   "not a fraction (got 0.999; did you mean 99.9?)")


@pytest.mark.parametrize("value", ["1.5", "99.9", "100"])
def test_a_percentile_above_one_is_taken(value):
    res = _cli(value)
    assert res.exit_code == 0, res.output
    assert re.search(rf"│ cim\.adc\.range_percentile\s+│ float, in \(1, 100\]\s+│ {re.escape(value)}\s", res.output)


def test_a_percent_sign_gets_the_number_fields_wording():
    line = _cli("99.9%").output.strip().splitlines()[-1]
    assert line == ("Error: --set cim.adc.range_percentile=99.9%: cim.adc.range_percentile: "
                    "expected a number (got the text '99.9%')")


@pytest.mark.parametrize("value, shown", [(".nan", "nan"), (".inf", "inf"), (".NaN", "nan")])
def test_nan_and_inf_are_refused_as_not_finite(value, shown, tmp_path):
    """Review 18-5 #3: a non-finite value is refused as such (it read 'less than or equal to 100
    (got nan)' once the bound moved), from --set and from a file alike."""
    line = _cli(value).output.strip().splitlines()[-1]
    assert line == (f"Error: --set cim.adc.range_percentile={value}: cim.adc.range_percentile: "
                    f"Input should be a finite number (got {shown})")
    text = bundled.resolve_config("rram-cim").read_text()
    text, n = re.subn(r"(?m)^(\s+)bits: (\d+)(.*)$", rf"\1bits: \2\3\n\1range_percentile: {value}",
                      text, count=1)
    path = tmp_path / "adc.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as e:
        load_architecture(path)
    assert n == 1 and str(e.value) == (f"{path}: cim.adc.range_percentile: Input should be a "
                                       f"finite number (got {shown})")


@pytest.mark.parametrize("value", ["1e-3", "0.01"])
def test_no_did_you_mean_a_value_the_field_refuses(value):
    """x 100 is still <= 1 (1e-3 -> 0.1): suggesting it would name a value refused too."""
    line = _cli(value).output.strip().splitlines()[-1]
    assert line == (f"Error: --set cim.adc.range_percentile={value}: cim.adc.range_percentile: a "
                    f"percentile on 0-100, not a fraction (got {float(value):g}); values <= 1 are refused")
