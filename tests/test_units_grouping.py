"""A quantity written with digit groups or a decimal comma is refused saying so (it was read
as ``1`` with ``,000`` taken for a unit: "unknown unit ',000'"), and the OHM SIGN U+2126 that
datasheets and word processors type is ohm (it was "unknown unit 'kΩ' (did you mean 'kΩ'?)",
two look-alike code points). Review find-F #3."""

from __future__ import annotations

import pytest

from cimsim.units import UnitError, parse_quantity


@pytest.mark.parametrize("text, digits, plain, comma", [
    ("1,000 GB/s", "1,000", "1000", False),
    ("1 000 GB/s", "1 000", "1000", False),
    ("1_000 GB/s", "1_000", "1000", False),
    ("1\u202f000 GB/s", "1\u202f000", "1000", False),      # narrow no-break space (SI style)
    ("1,000,000 GB/s", "1,000,000", "1000000", False),
    ("1,000.5 GB/s", "1,000.5", "1000.5", False),
    # dot groups and a decimal comma, both said ('1.000,5' was "unknown unit ',5'", review 18-5 #5)
    ("1.000,5 GB/s", "1.000,5", "1000.5", True),
    ("1 000,5 GB/s", "1 000,5", "1000.5", True),
    ("-12.345.678,25 GB/s", "-12.345.678,25", "-12345678.25", True),
])
def test_digit_groups_are_refused_saying_so(text, digits, plain, comma):
    with pytest.raises(UnitError) as e:
        parse_quantity(text, "B/s")
    what = " and a decimal comma are" if comma else " are"
    assert str(e.value) == (f"cannot read {text!r}: digit groups (thousands separators){what} not "
                            f"read; write {digits!r} as {plain}, e.g. '25.6 GB/s'")


def test_a_decimal_comma_is_refused_saying_so():
    with pytest.raises(UnitError) as e:
        parse_quantity("2,5 GB/s", "B/s")
    assert str(e.value) == ("cannot read '2,5 GB/s': a decimal comma is not read; write '2,5' as "
                            "2.5, e.g. '25.6 GB/s'")


def test_dot_digit_groups_are_refused_saying_so():
    """Two dots are no decimal point: '1.000.000 B' was "unknown unit '.000 B'"; '1.000 B' is
    still 1 B (one dot is a decimal point)."""
    with pytest.raises(UnitError) as e:
        parse_quantity("1.000.000 B", "B")
    assert str(e.value) == ("cannot read '1.000.000 B': digit groups (thousands separators) are not "
                            "read; write '1.000.000' as 1000000, e.g. '2 MiB'")
    assert parse_quantity("1.000 B", "B") == 1.0


@pytest.mark.parametrize("text, ohms", [
    ("100 k\u2126", 100e3),   # OHM SIGN
    ("100 k\u03a9", 100e3),   # GREEK CAPITAL OMEGA
    ("2 M\u2126", 2e6),
    ("100 kohm", 100e3),
])
def test_the_ohm_sign_is_ohm(text, ohms):
    assert parse_quantity(text, "ohm") == pytest.approx(ohms, rel=1e-15, abs=0)


@pytest.mark.parametrize("text", ["5 \u00b5m", "5 \u03bcm", "5 um"])  # MICRO SIGN, GREEK MU
def test_micro_is_read_from_either_code_point(text):
    assert parse_quantity(text, "m") == pytest.approx(5e-6, rel=1e-15, abs=0)


def test_plain_numbers_still_read():
    assert parse_quantity("1000 GB/s", "B/s") == 1e12
    assert parse_quantity("25.6 GB/s", "B/s") == pytest.approx(25.6e9, rel=1e-15, abs=0)
