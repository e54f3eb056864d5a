"""The dram suite's Ramulator 2.1 cases (item 4 of cimsim.validate.dram): built from the shipped
runs (data/validation/ramulator_runs.csv) without Ramulator itself."""

import re
from pathlib import Path

import pytest

from cimsim.hw.base import Pattern
from cimsim.hw.memory.jedec import PRESETS
from cimsim.validate import FIT, PREDICTED
from cimsim.validate import dram as suite


@pytest.mark.slow  # the window model of 32 random runs (~15 s on a loaded 2-core machine)
def test_every_run_is_a_case_of_the_dram_suite_its_role_from_seen_by():
    """Every Ramulator run is a case, fit where its ``seen_by`` says the model was built with
    it in view, predicted otherwise."""
    rows = suite.ramulator_rows()
    cases = [c for c in suite.dram_suite() if "vs a Ramulator 2.1 run" in c.case]
    assert len(rows) >= 73 and len(cases) == len(rows)
    for r, c in zip(rows, cases):
        assert c.unit == "B/s"
        assert c.measured == float(r["bandwidth_GBps"]) * 1e9
        assert r["standard"] in c.case and r["ramulator_commit"] in c.source
        assert c.role == (FIT if r["seen_by"] else PREDICTED), c.case


def test_seen_by_records_the_history_and_drives_the_role():
    """The README's history: the first 28 runs (per standard: two streams, random one burst,
    64 B, 128 B reads; DDR4 / DDR5's burst is 64 B) came before the command-bus term; branch
    dramcmd's 16 (256 B reads, one-burst and 64 B at 50 % reads) were seen when the window
    model was built; the LPDDR5 128 B run with 128 read entries led to the ACT-1 / ACT-2 rules.
    The role is the column's, not a predicate on the run: the same row with ``seen_by`` empty
    is predicted."""
    rows = suite.ramulator_rows()
    first = {("stream", 1.0, 64), ("stream", 0.5, 64), ("random", 1.0, 32), ("random", 1.0, 64),
             ("random", 1.0, 128)}
    dramcmd = {("random", 1.0, 256), ("random", 0.5, 32), ("random", 0.5, 64)}
    test_case_buffers = {"HBM2": (64, 64), "HBM3": (128, 64)}
    counts = {}
    for r in rows:
        key = (r["pattern"], float(r["read_fraction"]), int(r["access_bytes"]))
        buf = suite.ramulator_buffers(r)
        own = (buf["read_buffer"], buf["write_buffer"]) == test_case_buffers.get(r["standard"], (32, 32))
        expect = ("act-rule" if r["standard"] == "LPDDR5" and key == ("random", 1.0, 128) and buf["read_buffer"] == 128
                  else "command-bus" if key in first and own
                  else "window" if key in dramcmd and own else "")
        assert r["seen_by"] == expect, (r["standard"], key, buf)
        counts[expect] = counts.get(expect, 0) + 1
    assert counts == {"command-bus": 28, "window": 16, "act-rule": 1, "": len(rows) - 45}
    seen = next(r for r in rows if r["seen_by"] == "act-rule")
    assert suite.ramulator_role(seen) == FIT
    assert suite.ramulator_role({**seen, "seen_by": ""}) == PREDICTED
    with pytest.raises(ValueError, match="seen_by 'tuned' is not one of command-bus, window, act-rule"):
        suite.ramulator_role({**seen, "seen_by": "tuned"})


def test_the_runs_cover_the_traffic_the_issue_names():
    rows = suite.ramulator_rows()
    assert {r["standard"] for r in rows} >= {"DDR4", "DDR5", "HBM2", "HBM3"}
    for std in ("DDR4", "DDR5", "HBM2", "HBM3"):
        mine = [(r["pattern"], float(r["read_fraction"]), int(r["access_bytes"]))
                for r in rows if r["standard"] == std]
        burst = 32 if std.startswith("HBM") else 64  # one burst: HBM 32 B, DDR4/DDR5 64 B
        assert {("stream", 1.0, 64), ("stream", 0.5, 64), ("random", 1.0, burst),
                ("random", 1.0, 64)} <= set(mine)
    for r in rows:
        assert r["standard"] in PRESETS
        # one Ramulator HBM channel is two pseudo-channels, cimsim's data buses
        assert int(r["data_buses"]) == (2 if r["standard"].startswith("HBM") else 1)
        assert r["channels"] == "1"


def test_the_ddr4_streaming_prediction_is_the_refresh_limited_peak():
    """Closed form, from the DDR4-2400 preset's numbers: 64 bit x 2400 MT/s / 8 = 19.2 GB/s, less
    (nRTP + nRP + nRFC + nRCD) / nREFI = (9 + 16 + 433 + 16) / 9364 for refresh; a stated
    controller window does not touch streaming."""
    row = next(r for r in suite.ramulator_rows() if r["standard"] == "DDR4" and r["pattern"] == "stream"
               and r["read_fraction"] == "1.0")
    d = suite.level("DDR4", 1, **suite.ramulator_buffers(row))
    assert d.config.read_buffer == 32
    assert d.bytes_per_s(suite.ramulator_pattern(row)) == pytest.approx(19.2e9 * (1 - 474 / 9364), rel=1e-12, abs=0)


def test_the_hbm3_random_closed_form_is_activation_limited():
    """HBM3-6400, two 32-bit pseudo-channels, ideal scheduler (no read_buffer): a 64 B access is
    two BL8 bursts (2 x 2 CK) but an activation every max(nRRD_S 4, nFAW 24 / 4, nRC 72 / 32)
    = 6 CK; 64 B per 6 x 625 ps per bus, x 2 buses, less refresh (9 + 26 + 416 + 31) / 6240.
    With Ramulator's read buffer (128) the window model is within 2 % of it (the window
    barely binds) and of the run (30.41 GB/s)."""
    closed = suite.level("HBM3", 2).bytes_per_s(Pattern.random_access(64, 1.0))
    assert closed == pytest.approx(2 * 64 / (6 * 625e-12) * (1 - 482 / 6240), rel=1e-12, abs=0)
    win = suite.level("HBM3", 2, read_buffer=128, write_buffer=64).bytes_per_s(Pattern.random_access(64, 1.0))
    assert win == pytest.approx(closed, rel=0.02, abs=0)
    assert win == pytest.approx(30.41e9, rel=0.02, abs=0)


def test_the_hbm2_random_closed_form_is_command_bus_limited():
    """HBM2-2000 (tCK 1 ns), one channel = two pseudo-channels sharing one row-command bus on
    which ACT takes 2 CK and PRE 1 CK (hbm2.py): one random access per 3 CK per channel, 64 B
    each, less refresh (5 + 14 + 160 + 14) / 3900. Ramulator 2.1 ran 20.09 GB/s; the window
    model (read buffer 64) is command-bound too: within 1 % of the closed form."""
    closed = suite.level("HBM2", 2).bytes_per_s(Pattern.random_access(64, 1.0))
    assert closed == pytest.approx(64 / 3e-9 * (1 - 193 / 3900), rel=1e-12, abs=0)
    win = suite.level("HBM2", 2, read_buffer=64, write_buffer=64).bytes_per_s(Pattern.random_access(64, 1.0))
    assert win == pytest.approx(closed, rel=0.01, abs=0)
    assert abs(closed / 20.09e9 - 1) < 0.10


def test_the_lpddr5_random_closed_form_counts_both_activate_commands():
    """LPDDR5-6400 (tCK 1.25 ns), one command bus: PRE + ACT-1 + ACT-2 + 2 RD = 5 CK per 64 B
    access, less refresh (8 + 15 + 168 + 15) / 3125."""
    closed = suite.level("LPDDR5", 1).bytes_per_s(Pattern.random_access(64, 1.0))
    assert closed == pytest.approx(64 / (5 * 1.25e-9) * (1 - 206 / 3125), rel=1e-12, abs=0)
    assert abs(closed / 8.949e9 - 1) < 0.10  # the run: 8.949 GB/s


def test_the_runs_state_the_test_cases_buffers():
    """Ramulator's HBM2 and HBM3 test cases set 64 / 64 and 128 / 64 read / write entries
    (tests/latency_throughput/testcases/hbm2.py, hbm3.py; recorded in the run's config
    column); the others use the controller's defaults, 32 / 32 (controller_base.cpp)."""
    rows = {}
    for r in suite.ramulator_rows():  # the first run of each traffic: the test case's own
        rows.setdefault((r["standard"], r["pattern"], r["read_fraction"], r["access_bytes"]), r)
    assert suite.ramulator_buffers(rows["HBM2", "random", "1.0", "128"]) == {"read_buffer": 64, "write_buffer": 64}
    assert suite.ramulator_buffers(rows["HBM3", "random", "1.0", "128"]) == {"read_buffer": 128, "write_buffer": 64}
    assert suite.ramulator_buffers(rows["DDR4", "random", "1.0", "128"]) == {"read_buffer": 32, "write_buffer": 32}


#: the read / write buffers of Ramulator's own test cases (tests/latency_throughput/testcases/)
TEST_CASE_BUFFERS = {"HBM2": (64, 64), "HBM3": (128, 64)}


def _random_cases():
    out = []
    for r, c in zip(suite.ramulator_rows(), suite.ramulator_cases()):
        if r["pattern"] == "random":
            b = suite.ramulator_buffers(r)
            out.append((r, c, (b["read_buffer"], b["write_buffer"])))
    return out


@pytest.mark.slow
def test_every_random_run_at_the_test_cases_buffers_is_within_ten_percent():
    """Issue 20's acceptance: the window model against every Ramulator 2.1 random run made with
    the test case's own buffers (the closed form missed 128 / 256 B reads by up to +39 % and 64 B
    mixes by up to +64 %)."""
    mine = [(r, c) for r, c, buf in _random_cases()
            if buf == TEST_CASE_BUFFERS.get(r["standard"], (32, 32))]
    assert len(mine) >= 50
    worst = max(mine, key=lambda rc: abs(rc[1].predicted / rc[1].measured - 1))[1]
    assert abs(worst.predicted / worst.measured - 1) < 0.10, worst.case


@pytest.mark.slow
def test_the_runs_with_other_buffers():
    """Runs with the test case's buffers changed (branch dramwin): within 10 % (LPDDR5 with 128
    read entries needs ACT-1 / ACT-2 as separate commands, the ACT-2 deferred: -18.9 % before)."""
    other = [(r, c) for r, c, buf in _random_cases()
             if buf != TEST_CASE_BUFFERS.get(r["standard"], (32, 32))]
    assert len(other) == 8
    for r, c in other:
        assert abs(c.predicted / c.measured - 1) < 0.10, c.case


#: a Ramulator table row's mark -> the runs CSV's seen_by (no mark: one of the first 28 runs)
README_MARKS = {"held out": "", "fit: seen by the window model": "window",
                "fit: led to the ACT rule": "act-rule", None: "command-bus"}
_TRAFFIC = re.compile(r"^(stream|random (\d+) B), (\d+) % reads(?:, buffers (\d+) / (\d+))?"
                      r"(?: \(([^;,)]+)[;,)].*)?$")


def test_the_readme_table_marks_each_run_as_the_csv_s_seen_by():
    """README's Ramulator table labelled the 16 `window` runs "(held out, dramcmd)" and the
    LPDDR5 128 B / 128-entry run "(held out, ...)", all `fit` in the CSV and in `cimsim validate`:
    each row's mark must say what the run's seen_by says, and every run has one row."""
    text = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    start = text.index("| standard (Ramulator preset; cimsim data buses) |")
    lines = text[start:].split("\n\n", 1)[0].splitlines()[2:]
    csv_rows = {}
    for r in suite.ramulator_rows():
        b = suite.ramulator_buffers(r)
        key = (r["standard"], r["pattern"], float(r["read_fraction"]), int(r["access_bytes"]),
               (b["read_buffer"], b["write_buffer"]))
        assert key not in csv_rows, key
        csv_rows[key] = r["seen_by"]
    standard, seen = None, {}
    for line in lines:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        standard = cells[0].split(" ")[0] if cells[0] else standard
        m = _TRAFFIC.match(cells[1])
        assert m, f"README Ramulator table: cannot read the traffic cell {cells[1]!r}"
        pattern = m.group(1).split(" ")[0]
        size = int(m.group(2)) if m.group(2) else 64
        buffers = ((int(m.group(4)), int(m.group(5))) if m.group(4)
                   else TEST_CASE_BUFFERS.get(standard, (32, 32)))
        key = (standard, pattern, int(m.group(3)) / 100, size, buffers)
        assert key in csv_rows and key not in seen, (line, key)
        mark = m.group(6)
        assert mark in README_MARKS, f"unknown mark {mark!r} in {line!r}"
        seen[key] = README_MARKS[mark]
        assert seen[key] == csv_rows[key], (line, "CSV seen_by:", csv_rows[key])
    assert seen.keys() == csv_rows.keys()
