"""Fuzzing the sweep spec parser (``--param PATH=SPEC``), directly and through the CLI.

Every string is either a valid spec, whose values obey the spec's stated
contract, or a one-line :class:`~cimsim.errors.CimsimError`; through the CLI,
exit 0 with the run count, or exit 1/2 with one line and no traceback.
Example counts are bounded so the suite stays fast (100 per test; set
``CIMSIM_FUZZ_EXAMPLES=3000`` for a longer local run).
"""

from __future__ import annotations

import math
import os

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cimsim.commands.sweep import sweep_command
from cimsim.errors import CimsimError
from cimsim.sweep import count_points, field_kind, parse_param, sample_points

MAX_POINTS = 1000
FUZZ = settings(max_examples=int(os.environ.get("CIMSIM_FUZZ_EXAMPLES", 100)), deadline=None, suppress_health_check=[HealthCheck.too_slow])

PATHS = [
    "memory.dram.bandwidth", "memory.dram.latency", "memory.dram.sustained_fraction", "processor.cores",
    "cim.arrays", "cim.technology", "processor.energy_per_mac.fp16", "processor.energy_per_mac.fp64",
    "memory", "nope.field", "", "memory.dram.bandwidth.x",
]
UNITS = ["", "GB/s", "TB/s", "B/s", " GB/s", "GHz", "ns", " s", "pJ", "W", "%", "GiB", "furlong"]
NUMBERS = st.one_of(
    st.integers(-10**30, 10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["0", "-0", "1e999", "-1e999", "nan", "inf", "1e-320", "1.5", "2", "64", "0x10", ""]),
)
QUANTITY = st.builds(lambda n, u: n + u, NUMBERS, st.sampled_from(UNITS))
COUNT = st.one_of(
    st.integers(-3, 10**12).map(str),
    st.sampled_from(["", "x", "1e3", "2.5", "9" * 30, "1" + "0" * 5000]),
)
RANGE = st.builds(
    lambda lo, hi, scale, count: f"{lo}..{hi}" + scale + count,
    QUANTITY, QUANTITY,
    st.sampled_from([":lin", ":log", ":cube", "", ":lin:", ":log:lin"]),
    st.one_of(st.just(""), COUNT.map(lambda c: ":" + c)),
)
LIST = st.lists(st.one_of(QUANTITY, st.sampled_from(["sram", "rram", "dram", "true"])), min_size=1,
                max_size=5).map(",".join)
# text that a shell could pass (argv is never a lone surrogate once it is text)
GARBAGE = st.text(st.characters(blacklist_categories=("Cs",)), max_size=60)
SPEC = st.one_of(RANGE, LIST, GARBAGE)
PARAM = st.one_of(
    st.builds(lambda path, spec: f"{path}={spec}", st.sampled_from(PATHS), SPEC),
    GARBAGE,
)


def _check_valid(p) -> None:
    """What a parsed spec promises: its field, finite ordered ends, a bounded grid of distinct values."""
    assert field_kind(p.path) == p.field
    if p.is_range:
        assert math.isfinite(p.low) and math.isfinite(p.high) and p.low < p.high
        assert p.scale in ("lin", "log") and (p.scale == "lin" or p.low > 0)
    if p.values is None:
        assert p.is_range  # a range without a count: for random / LHS sampling only
        return
    assert 1 <= len(p.values) <= MAX_POINTS and len(set(p.values)) == len(p.values)
    for v in p.values:
        if p.field.kind in ("quantity", "float"):
            assert isinstance(v, float) and math.isfinite(v)
        elif p.field.kind == "int":
            assert isinstance(v, int) and not isinstance(v, bool)
        if p.is_range:
            assert p.low <= v <= p.high
    if p.is_range:
        assert (min(p.values), max(p.values)) == (p.low, p.high)
    # the arithmetic count is what sampling builds
    assert count_points([p]) == len(sample_points([p])) == len(p.values)


@FUZZ
@given(PARAM)
def test_spec_parser_gives_a_valid_spec_or_one_line_error(text):
    try:
        p = parse_param(text, max_points=MAX_POINTS)
    except CimsimError as exc:
        msg = str(exc)
        assert msg.startswith("--param ") and "\n" not in msg and len(msg) < 10_000
        return
    _check_valid(p)


@FUZZ
@given(PARAM)
def test_cli_spec_exits_cleanly_with_one_line(text):
    res = CliRunner().invoke(
        sweep_command,
        ["gpu-hbm3", "-w", "lstm", "--param", text, "--dry-run", "--max-points", str(MAX_POINTS)],
    )
    assert res.exit_code in (0, 1, 2), (res.exit_code, res.output)
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    assert "Traceback" not in res.output and res.stdout == ""
    # a list repeating a value runs it once, said in one warning line first (find-E 2)
    lines = [ln for ln in res.stderr.splitlines() if " the list repeats " not in ln
             or not ln.startswith("warning: --param ")]
    assert len(lines) == 1, res.stderr
    if res.exit_code == 0:
        assert lines[0].startswith("sweep: ") and lines[0].endswith(" runs") or lines[0].endswith(" run")
    else:
        assert lines[0].startswith("Error: ")


@pytest.mark.parametrize("text", ["memory.dram.bandwidth=1e308TB/s..2e308TB/s:lin:3",
                                  "memory.dram.bandwidth=-1e308B/s..1e308B/s:lin:3",
                                  "memory.dram.sustained_fraction=0.5..0.5000000000000001:lin:3"])
def test_ranges_that_overflow_or_collapse_are_refused(text):
    with pytest.raises(CimsimError, match=r"overflows a float|not a finite|repeat values"):
        parse_param(text)


def test_a_huge_value_in_a_spec_is_clipped_in_its_error():
    """A point count of 10,000 digits (found by the fuzz test above) was echoed whole, twice:
    a 10,237-character line; the error shows its start and its length."""
    from cimsim.sweep.params import SweepSpecError

    with pytest.raises(SweepSpecError) as e:
        parse_param("memory.dram.sustained_fraction=0..1:lin:1" + "0" * 10_000)
    msg = str(e.value)
    assert len(msg) < 600 and "(10,010 characters)" in msg and "\n" not in msg  # the spec: 0..1:lin:1 + 10,000 zeros
