"""Unit-string parsing: goldens from the SI / IEC prefix definitions, and each rejection."""

import math

import pytest

from cimsim.units import UnitError, format_quantity, parse_quantity, parse_unit, si


@pytest.mark.parametrize(
    ("text", "unit", "expected"),
    [
        ("25.6 GB/s", "B/s", 25.6e9),  # G = 1e9, decimal
        ("2 MiB", "B", 2 * 2**20),  # Mi = 2**20 -> 2,097,152 B
        ("2 MB", "B", 2e6),  # M = 1e6: MB is not MiB
        ("3.9 pJ/bit", "J/bit", 3.9e-12),
        ("1 pJ/B", "J/bit", 0.125e-12),  # 1 B = 8 bit
        ("1.2 GHz", "Hz", 1.2e9),
        ("100 ns", "s", 100e-9),
        ("2 mW", "W", 2e-3),
        ("3.2TB/s", "B/s", 3.2e12),  # no space between number and unit
        ("8 Gb/s", "B/s", 1e9),  # lower-case b is bit: 8e9 bit/s = 1e9 B/s
        ("8 Gbit/s", "B/s", 1e9),
        ("64 KiB", "B", 65536),
        ("1 GiB", "B", 2**30),
        ("1.67 pJ", "J", 1.67e-12),
        ("1e3 MHz", "Hz", 1e9),  # exponent in the number
        ("0.5 us", "s", 0.5e-6),
        ("700 W", "W", 700.0),
        ("26 pJ/B", "J/B", 26e-12),
        ("1 J/bit", "J/B", 8.0),  # 1 J per bit is 8 J per byte
    ],
)
def test_parse_quantity_goldens(text, unit, expected):
    # abs=0: pytest.approx's default abs=1e-12 would accept any picojoule value
    assert parse_quantity(text, unit) == pytest.approx(expected, rel=1e-12, abs=0)


@pytest.mark.parametrize("prefix, power", [("Ki", 10), ("Mi", 20), ("Gi", 30), ("Ti", 40),
                                           ("Pi", 50)])
def test_every_binary_prefix_is_its_power_of_two(prefix, power):
    # IEC 80000-13: Ki = 2^10 ... Pi = 2^50 (1 PiB = 1,125,899,906,842,624 B, not 1e15)
    assert parse_quantity(f"1 {prefix}B", "B") == 2**power
    assert parse_quantity(f"1 {prefix}bit", "B") == 2**power / 8


def test_binary_and_decimal_prefixes_differ():
    assert parse_quantity("1 MiB", "B") - parse_quantity("1 MB", "B") == 48576


def test_format_round_trips():
    for value, unit in [(25.6e9, "B/s"), (3.9e-12, "J/bit"), (2097152.0, "B"), (1e-7, "s")]:
        assert parse_quantity(format_quantity(value, unit), unit) == value


def test_parse_unit_dims():
    # (time, information, energy, length, charge, temperature)
    assert parse_unit("GB/s").dims == (-1, 1, 0, 0, 0, 0)
    assert parse_unit("GHz").dims == (-1, 0, 0, 0, 0, 0)
    assert parse_unit("pJ/bit").dims == (0, -1, 1, 0, 0, 0)
    assert parse_unit("mm^2").dims == (0, 0, 0, 2, 0, 0)
    assert parse_unit("V").dims == (0, 0, 1, 0, -1, 0)  # J/C
    assert parse_unit("A").dims == (-1, 0, 0, 0, 1, 0)  # C/s
    assert parse_unit("kohm").dims == (1, 0, 1, 0, -2, 0)  # V/A
    assert parse_unit("K/W").dims == parse_unit("°C/W").dims == (1, 0, -1, 0, 0, 1)  # find-B 5


@pytest.mark.parametrize("text, unit, si", [
    ("22 nm", "m", 22e-9), ("0.8 V", "V", 0.8), ("700 mV", "V", 0.7), ("20 uA", "A", 20e-6),
    ("100 kohm", "ohm", 100e3), ("1.5 MΩ", "ohm", 1.5e6),
])
def test_circuit_quantities(text, unit, si):
    assert parse_quantity(text, unit) == pytest.approx(si, rel=1e-12, abs=0)


def test_a_voltage_is_not_a_current():
    with pytest.raises(UnitError, match="voltage .* but this field needs current"):
        parse_quantity("0.8 V", "A")


@pytest.mark.parametrize("text, si", [
    ("1 mm^2", 1e-6),  # the prefix applies before the power: (1e-3 m)^2
    ("331 mm²", 331e-6),
    ("25 um^2", 25e-12),
    ("0.0001 m^2", 1e-4),
])
def test_areas(text, si):
    assert parse_quantity(text, "m^2") == pytest.approx(si, rel=1e-12, abs=0)


def test_si_prints_an_area_given_in_square_micrometres():
    # 1 um^2 = 1e-12 m^2 (either spelling); si() prints areas through area(): 1e-6 mm^2
    assert si(1.0, "um^2") == si(1.0, "µm²") == si(1e-12, "m^2") == "1 µm²"


def test_a_length_is_not_an_area():
    with pytest.raises(UnitError, match="length quantity, but this field needs area"):
        parse_quantity("3 mm", "m^2")


def _reject(text, unit):
    with pytest.raises(UnitError) as info:
        parse_quantity(text, unit)
    return str(info.value)


def test_rejects_bare_number():
    msg = _reject(25.6, "B/s")
    assert "bare number" in msg and "25.6 GB/s" in msg


def test_rejects_bare_number_string():
    msg = _reject("25.6", "B/s")
    assert "no unit" in msg and "25.6 GB/s" in msg


def test_rejects_bool():
    assert "bare number" in _reject(True, "B/s")


def test_rejects_unknown_unit():
    msg = _reject("3 furlongs", "s")
    assert "unknown unit 'furlongs'" in msg
    assert "known units" in msg


def test_rejects_frequency_for_bandwidth():
    msg = _reject("1.2 GHz", "B/s")
    assert "frequency (time^-1) quantity" in msg
    assert "needs bandwidth (time^-1 * information)" in msg


def test_rejects_capacity_for_bandwidth():
    msg = _reject("25.6 GB", "B/s")
    assert "capacity (information) quantity" in msg
    assert "25.6 GB/s" in msg


def test_rejects_two_slashes():
    assert "more than one '/'" in _reject("1 pJ/bit/s", "J/bit")


def test_rejects_binary_prefix_on_hertz():
    assert "unknown unit 'KiHz'" in _reject("1 KiHz", "Hz")


@pytest.mark.parametrize("text", ["inf GB/s", "nan GB/s", "1e999 GB/s"])
def test_rejects_non_finite(text):
    msg = _reject(text, "B/s")
    assert "finite" in msg or "cannot read" in msg


def test_rejects_overflowing_exponent_as_non_finite():
    # float('1e999') is inf: it must be refused, not silently become an infinite bandwidth
    assert "not a finite number" in _reject("1e999 GB/s", "B/s")


def test_rejects_garbage():
    assert "cannot read" in _reject("fast", "B/s")


def test_result_is_finite_float():
    v = parse_quantity("3.35 TB/s", "B/s")
    assert isinstance(v, float) and math.isfinite(v)


@pytest.mark.parametrize("text, unit, hint", [
    ("307.2 gb/s", "B/s", "unknown unit 'gb' (did you mean 'GB' or 'Gb'?)"),
    ("300 Mhz", "Hz", "unknown unit 'Mhz' (did you mean 'MHz' or 'mHz'?)"),
    ("64 kib", "B", "unknown unit 'kib' (did you mean 'KiB'?)"),
    # a datasheet's rate spelling (find-F 3): the '/s' form, without the list of every unit
    ("10GBps", "B/s", "unknown unit 'GBps' (did you mean 'GB/s'? a rate is written with '/s')"),
    ("10 Gbps", "B/s", "unknown unit 'Gbps' (did you mean 'Gb/s'? a rate is written with '/s')"),
    ("400 MBps", "B/s", "unknown unit 'MBps' (did you mean 'MB/s'? a rate is written with '/s')"),
    ("3 gbps", "B/s", "unknown unit 'gbps' (did you mean 'GB/s' or 'Gb/s'? a rate is written "
                      "with '/s')"),
])
def test_a_unit_in_the_wrong_case_names_the_right_spelling(text, unit, hint):
    with pytest.raises(UnitError) as e:
        parse_quantity(text, unit)
    assert hint in str(e.value)
    assert "known units are" not in str(e.value)  # the spelling meant, not all 250 characters


SUB = "a byte or bit takes no prefix below one"


@pytest.mark.parametrize("text, unit, message", [
    ("37.5 mb", "B", f"unit 'mb' is a millibit (0.001 bit): {SUB} (did you mean 'MB' or 'Mb'?)"),
    ("37.5 mB", "B", f"unit 'mB' is a millibyte (0.001 byte): {SUB} (did you mean 'MB' or 'Mb'?)"),
    ("1 mb/s", "B/s", f"unit 'mb' is a millibit (0.001 bit): {SUB} (did you mean 'MB' or 'Mb'?)"),
    ("1 mbit/s", "B/s", f"unit 'mbit' is a millibit (0.001 bit): {SUB} (did you mean 'Mbit'?)"),
    ("2 pJ/mB", "J/B", f"unit 'mB' is a millibyte (0.001 byte): {SUB} (did you mean 'MB' or 'Mb'?)"),
    ("1 J/mbit", "J/bit", f"unit 'mbit' is a millibit (0.001 bit): {SUB} (did you mean 'Mbit'?)"),
    ("1 pb", "B", f"unit 'pb' is a picobit (1e-12 bit): {SUB} (did you mean 'PB' or 'Pb'?)"),
    ("3 nbit", "B", f"unit 'nbit' is a nanobit (1e-09 bit): {SUB}"),
    ("3 uB", "B", f"unit 'uB' is a microbyte (1e-06 byte): {SUB}"),
    ("3 µB/s", "B/s", f"unit 'µB' is a microbyte (1e-06 byte): {SUB}"),
    ("1 fb", "B", f"unit 'fb' is a femtobit (1e-15 bit): {SUB}"),
])
def test_a_prefix_below_one_on_a_byte_or_bit_is_refused(text, unit, message):
    """`37.5 mb` was read as 37.5 millibits (4.7 millibytes of cache) and `1 mb/s` as 1.25e-4
    B/s; a fraction of a byte or bit is never meant. The whole message is one line, and a
    hint names the upper-case spellings only when one exists (M, P; never mb or mB)."""
    with pytest.raises(UnitError) as e:
        parse_quantity(text, unit)
    assert str(e.value) == message


@pytest.mark.parametrize("text, unit, expected", [
    ("3 ms", "s", 3e-3),  # m on the second, the metre and the joule stays milli
    ("2 mW", "W", 2e-3),
    ("5 mJ", "J", 5e-3),
    ("0.5 mm^2", "m^2", 0.5e-6),  # (1e-3 m)^2
    ("3.9 pJ/bit", "J/bit", 3.9e-12),  # p is on the J, not on the bit
    ("1 pJ/b", "J/B", 8e-12),  # 1 pJ per bit is 8 pJ per byte
    ("2 mJ/B", "J/B", 2e-3),
    ("7 fJ", "J", 7e-15),
    ("800 mV", "V", 0.8),
    ("20 uA", "A", 20e-6),
    ("2 fF", "F", 2e-15),
    ("22 nm", "m", 22e-9),
    ("1 mHz", "Hz", 1e-3),
    ("1 kb", "B", 125.0),  # a kilobit: k is not below one
    ("1 Mb/s", "B/s", 125e3),
    ("1 kbit", "B", 125.0),
    ("1 EB", "B", 1e18),  # what si() prints is read back (a tester, 2026-12-05)
    ("2 Pb/s", "B/s", 2e15 / 8),
])
def test_prefixes_below_one_on_other_units_still_parse(text, unit, expected):
    assert parse_quantity(text, unit) == pytest.approx(expected, rel=1e-12, abs=0)


def test_an_unknown_unit_with_no_near_spelling_has_no_hint():
    with pytest.raises(UnitError) as e:
        parse_quantity("3 furlongs", "m")
    assert "unknown unit 'furlongs'; known units" in str(e.value)


def test_wrong_kind_of_value_messages_read_as_english():
    """A list is not called a bare number; an energy is 'an energy quantity', said once."""
    with pytest.raises(UnitError) as e:
        parse_quantity(["1 GB/s"], "B/s")
    assert str(e.value).endswith("(got ['1 GB/s']): a list, not one quantity")
    with pytest.raises(UnitError) as e:
        parse_quantity(25.6, "B/s")
    assert str(e.value).endswith("(got 25.6): a bare number is ambiguous; write its unit, e.g. "
                                 "'25.6 B/s' if it is in B/s")
    with pytest.raises(UnitError) as e:
        parse_quantity("12.5 pJ", "J/B")
    assert str(e.value).startswith("'12.5 pJ' is an energy quantity, but this field needs energy "
                                   "per information (information^-1 * energy)")


# ---- printing past T..f (what printed with an exponent): P..Q and a..q, then an exponent

@pytest.mark.parametrize("value, unit, text", [
    (3.2e17, "MAC", "320 PMAC"),
    (3.2e17, "B", "320 PB"),
    (1e19, "B", "10 EB"),
    (4.2e21, "J", "4.2 ZJ"),
    (1e30, "s", "1 Qs"),
    (1.234e33, "s", "1234 Qs"),
    (1.234e-20, "J", "12.34 zJ"),
    (2e-27, "s", "2 rs"),
    (1e-30, "J", "1 qJ"),
])
def test_si_prefixes_up_to_quetta(value, unit, text):
    from cimsim.units import si

    assert si(value, unit) == text
    assert "e+" not in si(value, unit) and "e-" not in si(value, unit)


@pytest.mark.parametrize("value, unit, text", [
    # beyond Q and q (an absurd input's result): an exponent and the bare unit, never the
    # hundreds of digits "in full with the outermost prefix" gave (4.04e207 s: 178 characters)
    (4.04e207, "s", "4.04e+207 s"),
    (1.234e36, "s", "1.234e+36 s"),
    (-5.5e40, "J", "-5.5e+40 J"),
    (1.234e-35, "J", "1.234e-35 J"),
    (1e-300, "B/s", "1e-300 B/s"),  # a byte unit below 1 is plain down to 1e-30 (0.5 B)
    (1e-31, "B", "1e-31 B"),
])
def test_si_beyond_the_prefixes_has_an_exponent_and_its_unit(value, unit, text):
    from cimsim.units import si

    assert si(value, unit) == text and len(text) <= 12


@pytest.mark.parametrize("value, text", [
    (0.0123, "12.3 ms"), (999.99999e6, "1 Gs"), (2.5e9, "2.5 Gs"), (999.9e12, "999.9 Ts"), (1e15, "1000 Ts"), (9999e12, "9999 Ts"),
    (8.53e-16, "0.853 fs"), (1.234e-18, "0.001234 fs"),
    (1.5e-15, "1.5 fs"), (0, "0 s"), (float("inf"), "inf s"), (-3.3e-9, "-3.3 ns"),
])
def test_si_within_the_former_prefixes_is_unchanged(value, text):
    from cimsim.units import si

    assert si(value, "s") == text


@pytest.mark.parametrize("value, unit, text", [
    (0.5, "B", "0.5 B"), (1e-9, "bit", "0.000000001 bit"), (0.25, "B/s", "0.25 B/s"),
    (1500, "B", "1.5 kB"), (5e-13, "J/B", "500 fJ/B"),
])
def test_si_never_writes_a_byte_or_bit_prefix_the_parser_refuses(value, unit, text):
    """A message printed "500 mB" for half a byte, which the parser refuses as input."""
    from cimsim.units import parse_quantity, si

    assert si(value, unit) == text
    with pytest.raises(ValueError, match="no prefix below one"):
        parse_quantity("500 mB", "B")


def test_workload_name_empty_is_refused_and_huge_counts_print_plainly(tmp_path):
    from click.testing import CliRunner

    from cimsim.cli import main

    out = tmp_path / "w.json"
    r = CliRunner().invoke(main, ["workload", "lstm", "--input-size", "64", "--hidden", "64",
                                  "--steps", "4", "-o", str(out), "--name", ""])
    assert r.exit_code == 2 and not out.exists()
    assert "Invalid value for '--name': the name is empty; give a name" in r.output
    r = CliRunner().invoke(main, ["workload", "lstm", "--input-size", "100000000", "--hidden",
                                  "100000000", "--steps", "4", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert "(320 PMAC), weights 320 PB" in r.output


def test_an_empty_name_is_refused_by_trace_and_the_python_generators(tmp_path):
    """`trace --name ""` wrote the file under its stem in silence, and the generators took ""
    for "no name" (as `workload --name ""` did before it was refused)."""
    from click.testing import CliRunner

    from cimsim.cli import main
    from cimsim.errors import WorkloadError
    from cimsim.workload.generators import lstm, tcn, transformer
    from cimsim.workload.llm import LLMModel, llm_serving

    out = tmp_path / "t.json"
    r = CliRunner().invoke(main, ["trace", "--zoo", "lstm", "--name", "", "-o", str(out)])
    assert r.exit_code == 2 and not out.exists()
    assert "Invalid value for '--name': the name is empty; give a name" in r.output
    tiny = LLMModel(layers=1, hidden=8, heads=2, kv_heads=1, ffn=8, vocab=4, head_dim=4, gated=True)
    for make in (lambda: lstm(4, 4, 1, steps=2, name=""), lambda: tcn(4, 8, name=""),
                 lambda: transformer(4, 8, 2, 16, name=""),
                 lambda: llm_serving(tiny, prompt=2, decode=1, batch=1, name="")):
        with pytest.raises(WorkloadError, match="the workload 'name' is empty; give a name"):
            make()


def test_trace_refuses_an_empty_name_before_tracing_and_a_bad_param_in_one_line():
    """`trace(model, x, name="")` said "a tracer bug" after tracing the model; `trace --param`
    with malformed YAML or a key given twice was a traceback."""
    torch = pytest.importorskip("torch")
    from click.testing import CliRunner

    import cimsim
    from cimsim.cli import main
    from cimsim.errors import WorkloadError

    with pytest.raises(WorkloadError, match=r"^trace\(\): name is empty; give a name$"):
        cimsim.trace(torch.nn.Linear(2, 2), torch.randn(1, 2), name="")
    for value, why in (("[1,", "expected the node content"), ("{a: 1, a: 2}", "duplicate key 'a'")):
        r = CliRunner().invoke(main, ["trace", "--zoo", "lstm", "--param", f"hidden={value}",
                                      "-o", "never.json"])
        assert r.exit_code == 2 and "Traceback" not in r.output, r.output
        assert f"--param hidden: '{value}' is not a YAML value" in r.output and why in r.output


@pytest.mark.parametrize("x, text", [(1653, "1,650"), (6.05e11, "605,000,000,000"),
                                     (1e15, "1 × 10^15"), (1.234e16, "1.23 × 10^16"),
                                     (1e300, "1 × 10^300"), (2, "2"),
                                     # rounded first: 9.9996e14 at 3 digits is 1.00e15
                                     (9.9996e14, "1 × 10^15")])
def test_plain_counts_have_no_e_and_no_300_digits(x, text):
    """A CIM note's endurance of 1e300 cycles printed 401 digits (a reviewer, 2026-12-05)."""
    from cimsim.units import plain

    assert plain(x, 3) == text


def test_plain_keeps_every_digit_asked_for():
    from cimsim.units import plain

    assert plain(1.2345678e16, 8) == "1.2345678 × 10^16"



@pytest.mark.parametrize("text, unit, msg", [
    ("1 KB", "B", "K is not a prefix; write kB (1000) or KiB (1024)"),
    ("64 KB", "B", "K is not a prefix"),
    ("1 KHz", "Hz", "K is not a prefix; write kHz (1000)"),
])
def test_a_capital_k_is_refused_not_read_as_1000(text, unit, msg):
    """`64 KB` was read as 64,000 B without a word, where an architect writing a 64 KB SRAM
    means 65,536 (a tester, 2026-12-05)."""
    import re

    with pytest.raises(UnitError, match=re.escape(msg)):
        parse_quantity(text, unit)


@pytest.mark.parametrize("value, unit", [(1e18, "B/s"), (3.2e21, "B"), (4e-18, "s"), (2e30, "J"),
                                         (5e-27, "J")])
def test_what_si_prints_is_read_back(value, unit):
    assert parse_quantity(si(value, unit), unit) == pytest.approx(value, rel=1e-3, abs=0)


@pytest.mark.parametrize("value, written", [
    (1e10, "1e10"), (1.5e6, "1.5e6"), (-2e7, "-2e7"), (1e-9, "1e-9"), (1e300, "1e300"),
    (307.2, "307.2"), (100.0, "100.0"), (12345678.0, "12345678.0"), (16, "16"),
])
def test_a_bare_number_is_shown_once_as_a_config_writes_it(value, written):
    """find-F 5: ``bandwidth: 1e10`` said ``got 10000000000.0`` twice; 1e10 B/s = 10 GB/s."""
    from cimsim.units import number_text

    assert number_text(value) == written
    with pytest.raises(UnitError) as e:
        parse_quantity(value, "B/s")
    assert str(e.value).count("got ") == 1 and f"(got {written}): a bare number" in str(e.value)
