"""find-S 3: ``--timing`` on run / compare / report says where a command's time went (wall and
CPU seconds per phase, the engine path), on stderr, leaving stdout (``--json``) as it was; the
pipeline's phase marks cost nothing where no command is timing (the API, sweeps)."""

from __future__ import annotations

import io
import json
import re

import pytest

from click.testing import CliRunner

import cimsim
from cimsim import progress, timing
from cimsim.cli import main

PHASES = ["loading", "placing and costing", "simulating (des)", "building the report", "output"]
ROW = re.compile(r"^  (.+?)\s+(\d+\.\d{3}) s wall\s+(\d+\.\d{3}) s CPU")


def _rows(stderr: str) -> dict[str, tuple[float, float]]:
    return {m[1]: (float(m[2]), float(m[3])) for m in map(ROW.match, stderr.splitlines()) if m}


def test_run_timing_lists_each_phase_with_units_and_leaves_the_json_alone():
    out = CliRunner().invoke(main, ["run", "cpu-ddr5", "gru", "--json", "--timing"])
    assert out.exit_code == 0, out.output
    plain = CliRunner().invoke(main, ["run", "cpu-ddr5", "gru", "--json"])
    assert out.stdout == plain.stdout  # stdout byte for byte, the timing on stderr alone (review 23 A 5)
    assert "timing" not in plain.stderr  # off a terminal, without --timing: nothing
    rows = _rows(out.stderr)
    assert list(rows) == PHASES + ["total"]
    # the total is the sum of the phases (each shown to 1 ms: 5 roundings of <= 0.5 ms)
    assert abs(sum(rows[p][0] for p in PHASES) - rows["total"][0]) <= 5 * 0.0005 + 1e-9
    assert "engine path: uncontended (1 run)" in out.stderr  # a 202-op GRU: no contention


def test_compare_sums_its_runs_and_names_the_analytic_path():
    out = CliRunner().invoke(main, ["compare", "cpu-ddr5", "gpu-hbm3", "-w", "gru", "--engine", "analytic",
                                    "--timing"])
    assert out.exit_code == 0, out.output
    assert "2 runs summed" in out.stderr
    assert "simulating (analytic)" in _rows(out.stderr)
    assert "engine path: analytic (2 runs)" in out.stderr


def test_phases_are_marked_only_inside_a_timed_command():
    arch, wl = cimsim.load_architecture("cpu-ddr5"), cimsim.load_workload("gru")
    assert timing._CURRENT.get() is None
    cimsim.simulate(arch, wl, keep_ops=False)  # nothing is timing: the marks do nothing
    t = timing.Timing(status=False, stream=io.StringIO())
    token = timing._CURRENT.set(t)
    try:
        cimsim.simulate(arch, wl, keep_ops=False)
        cimsim.simulate(arch, wl, engine="analytic", keep_ops=False)
    finally:
        timing._CURRENT.reset(token)
    t.stop()
    assert t.runs == 2 and t.paths == {"uncontended": 1, "analytic": 1}
    assert set(t.wall) == {"placing and costing", "simulating (des)", "simulating (analytic)",
                           "building the report", "output"}
    assert all(s >= 0 for s in t.wall.values()) and all(s >= 0 for s in t.cpu.values())


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_simulation_shows_a_status_line_on_a_terminal_without_timing():
    """The status line opens with each simulation where stderr is a terminal (off one, only with
    --timing) and closes at its output phase."""
    quiet = timing.Timing(status=False, stream=io.StringIO())
    quiet.mark("placing and costing", "gru on cpu-ddr5")
    assert quiet._feedback._thread is None  # a log: no status line without --timing
    tty = timing.Timing(status=False, stream=_Terminal())
    tty.mark("placing and costing", "gru on cpu-ddr5")
    fb = tty._feedback
    assert fb._thread is not None and fb.status().startswith("cimsim: simulating gru on cpu-ddr5: placing and costing, ")
    tty.mark(timing.OUTPUT)
    assert tty._feedback is None and fb._thread is None  # closed with the run
    quiet.stop()
    tty.stop()


def test_an_error_keeps_its_one_line_last_after_the_timing():
    """review 23 A 3: scripts read the error with ``tail -1``; the timing says it stopped there."""
    out = CliRunner().invoke(main, ["run", "cpu-ddr5", "nonexistent", "--timing"])
    assert out.exit_code != 0
    lines = out.stderr.strip().splitlines()
    assert lines[-1].startswith("Error: no workload file 'nonexistent'")
    assert lines[0] == "cimsim: timing (wall clock s, CPU s of this process, up to the error below):"
    assert list(_rows(out.stderr)) == ["loading", "total"]


def test_runs_made_for_the_command_are_counted_and_booked_apart():
    """review 23 A 2: runs a command makes beyond those asked for (report's critical path against
    sequence length) are one phase of their own and counted apart; a command's own work after
    its runs (evaluating accuracy, drawing figures) is its own phase, not ``output``."""
    arch, wl = cimsim.load_architecture("cpu-ddr5"), cimsim.load_workload("gru")
    t = timing.Timing(status=False, stream=io.StringIO())
    token = timing._CURRENT.set(t)
    try:
        cimsim.simulate(arch, wl, keep_ops=False)
        with timing.extra("the test's sweep"):
            for _ in range(2):
                cimsim.simulate(arch, wl, engine="analytic", keep_ops=False)
        timing.step("evaluating accuracy", "evaluating accuracy of gru on cpu-ddr5")
        timing.mark(timing.OUTPUT)
    finally:
        timing._CURRENT.reset(token)
    t.stop()
    assert t.runs == 1 and t.paths == {"uncontended": 1}
    assert t.extra == {"the test's sweep": {"analytic": 2}}
    assert list(t.wall) == ["placing and costing", "simulating (des)", "building the report", "output",
                            "runs for the test's sweep", "evaluating accuracy"]
    assert t.lines()[0] == ("cimsim: timing (wall clock s, CPU s of this process, 1 runs summed "
                            "(+2 analytic runs for the test's sweep)):")


@pytest.mark.slow  # 5-20 s: report renders its figures
def test_report_books_its_figures_and_extra_runs_in_their_own_phases(tmp_path):
    out = CliRunner().invoke(main, ["report", "cpu-ddr5", "-w", "gru", "-o", str(tmp_path / "r"),
                                    "--no-timelines", "--timing"])
    assert out.exit_code == 0, out.output
    rows = _rows(out.stderr)
    assert {"runs for the report's critical path against sequence length", "drawing the figures",
            "rendering the figures, writing the files", "output"} <= set(rows)
    # the bundled sequence families (report's SEQ_LENGTHS) on the one config, all analytic
    from cimsim.studies import SEQ_LENGTHS, sequence_families

    n = len(sequence_families(SEQ_LENGTHS, 64)) * len(SEQ_LENGTHS)
    assert (f"1 runs summed (+{n} analytic runs for the report's critical path against sequence "
            "length)") in out.stderr


def test_the_terminal_line_keeps_the_phase_and_fits_80_columns():
    """review 23 A 6: a generated workload's 43-character name on an 80-column terminal; the
    phase (what changes) stays whole, the name is cut with an ellipsis."""
    from rich.console import Console
    from rich.progress import Progress

    fb = progress.Feedback("simulating lstm-L2-I256-H256-T10000-B1-fp32-layer on gpu-hbm3", enabled=False)
    fb.update("placing and costing")
    text = fb.line(80)
    assert text.endswith(": placing and costing") and "…" in text
    # rendered by rich as the status line is: one line of at most 80 columns, the phase in it
    bar = Progress(*progress.columns(), console=Console(file=io.StringIO(), width=80))
    bar.add_task(text, total=None, count="")
    con = Console(file=io.StringIO(), width=80, color_system=None)
    con.print(bar.make_tasks_table(bar.tasks))
    shown = con.file.getvalue().rstrip("\n").splitlines()
    assert len(shown) == 1 and len(shown[0].rstrip()) <= 80 and "placing and costing" in shown[0]
    assert fb.line(200) == fb.what + ": placing and costing"  # room: nothing cut


def test_simulate_runs_no_python_line_per_op():
    """review 23 A 5: the speed regression of 2026-12-07 (a Python loop over the critical path's
    ops in every ``simulate()``) guarded by counting, not timing: the Python lines a
    ``simulate(keep_ops=False)`` executes do not grow with the ops (numba's kernels are not
    traced). The regressed code ran 10 more lines per op (10,000 more for 1,000 more ops)."""
    import sys

    from cimsim.workload.generators import lstm

    def lines(arch, wl, engine) -> int:
        n = 0

        def tracer(frame, event, arg):
            nonlocal n
            n += event == "line"
            return tracer

        cimsim.simulate(arch, wl, engine=engine, keep_ops=False)  # warm: imports, caches
        sys.settrace(tracer)
        try:
            cimsim.simulate(arch, wl, engine=engine, keep_ops=False)
        finally:
            sys.settrace(None)
        return n

    for config in ("cpu-ddr5", "gpu-hbm3"):
        arch = cimsim.load_architecture(config)
        for engine in ("des", "analytic"):
            small, large = lstm(64, 64, 2, steps=250), lstm(64, 64, 2, steps=500)  # 1,004 / 2,004 ops
            assert lines(arch, large, engine) - lines(arch, small, engine) < 100, (config, engine)
