"""The dependency critical path in serial steps, not only ops (find-C finding 4): a fused T-step
recurrence is one op but T steps deep; ``critical_path_ops`` alone made an RWKV loop look O(1)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from cimsim import simulate
from cimsim.cli import main
from cimsim.workload import Op, Tensor, Workload
from cimsim.workload.io import save_workload
from conftest import make_arch


def _chain(serial: list[float | None]) -> Workload:
    """A chain of elementwise adds x0 -> x1 -> ...; op i tagged serial_ops serial[i] (None: untagged)."""
    ts = [Tensor(f"x{i}", (16,), "fp32", "input" if i == 0 else "activation") for i in range(len(serial) + 1)]
    ops = [Op(f"op{i}", "elementwise", (f"x{i}",), (f"x{i + 1}",), fn="add",
              tags={} if s is None else {"serial_ops": s}) for i, s in enumerate(serial)]
    return Workload("chain", ts, ops)


@pytest.mark.parametrize("engine", ["des", "analytic"])
def test_a_fused_recurrence_counts_its_serial_ops_on_the_path(engine):
    """Three ops in a chain: a fused 10-step loop (serial_ops 10), an untagged op (1) and a chain
    of 2.5 operations (rounded up: 3): 3 ops, 10 + 1 + 3 = 14 serial steps."""
    r = simulate(make_arch(), _chain([10.0, None, 2.5]), engine=engine)
    assert r.critical_path_ops == 3
    assert r.critical_path_serial_steps == 14
    assert r.to_json()["critical_path_serial_steps"] == 14


def test_without_serial_depth_the_steps_are_the_ops():
    """No op states a depth past 1: the steps are the 2 ops, and --json leaves the key out (the
    bundled results' JSON is unchanged)."""
    r = simulate(make_arch(), _chain([None, 1.0]))
    assert r.critical_path_serial_steps is None and "critical_path_serial_steps" not in r.to_json()


def test_the_run_shows_the_serial_steps_on_the_path_line(tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    arch = "cpu-ddr5"
    wl = tmp_path / "w.json"
    save_workload(_chain([36.0, None]), wl)
    out = CliRunner().invoke(main, ["run", arch, str(wl)]).output
    assert "over 2 ops = 37 serial steps (ops alone, no contention)" in out
    js = json.loads(CliRunner().invoke(main, ["run", arch, str(wl), "--json"]).output)
    assert js["critical_path_ops"] == 2 and js["critical_path_serial_steps"] == 37
