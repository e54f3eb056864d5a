"""find-S 3: ``--timing`` on run / compare / report says where a command's time went (wall and
CPU seconds per phase, the engine path), on stderr, leaving stdout (``--json``) as it was; the
pipeline's phase marks cost nothing where no command is timing (the API, sweeps)."""

from __future__ import annotations

import io
import json
import re

from click.testing import CliRunner

import cimsim
from cimsim import timing
from cimsim.cli import main

PHASES = ["loading", "placing and costing", "simulating (des)", "building the report", "output"]
ROW = re.compile(r"^  (.+?)\s+(\d+\.\d{3}) s wall\s+(\d+\.\d{3}) s CPU")


def _rows(stderr: str) -> dict[str, tuple[float, float]]:
    return {m[1]: (float(m[2]), float(m[3])) for m in map(ROW.match, stderr.splitlines()) if m}


def test_run_timing_lists_each_phase_with_units_and_leaves_the_json_alone():
    out = CliRunner().invoke(main, ["run", "cpu-ddr5", "gru", "--json", "--timing"])
    assert out.exit_code == 0, out.output
    plain = CliRunner().invoke(main, ["run", "cpu-ddr5", "gru", "--json"])
    assert json.loads(out.stdout)["latency_s"] == json.loads(plain.stdout)["latency_s"]
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
