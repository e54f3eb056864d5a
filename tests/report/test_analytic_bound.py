"""An analytic run whose latency the busiest unit or a link sets, past the dependency path:
its bound, path parts, path table, note and outputs describe that, not the dependency path.

Before, the bound and the ``path_<part>_s`` columns came from the dependency path alone:
tpu-like on hier-attn-stream took 61.98 ms (the systolic array's 6,400 ops back to back) but was
"overhead"-bound from a 124.5 µs path (the DES: memory (weights)), its path parts summed to
0.2 % of the latency, and its trace drew one unit on 1,220 lanes at once."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from cimsim import load_architecture, load_workload, simulate
from cimsim.cli import main


def _parts(r) -> float:
    return sum(r.path_time_s.values())


def test_a_unit_bound_run_is_its_busiest_units_ops_back_to_back():
    arch, wl = load_architecture("tpu-like"), load_workload("hier-attn-stream")
    ana, des = simulate(arch, wl, engine="analytic"), simulate(arch, wl)
    assert ana.latency_s > 100 * ana.critical_path_s
    assert (ana.bound, ana.bound_part) == (des.bound, des.bound_part) == ("memory", "weights")
    assert _parts(ana) == pytest.approx(ana.latency_s, rel=1e-12, abs=0)
    tpu = ana.op_table["unit"] == "tpu"
    assert ana.realized_path_ops == int(tpu.sum()) == 6400
    pt = ana.path_table
    assert pt["start_s"].iloc[0] == 0.0 and pt["end_s"].iloc[-1] == pytest.approx(ana.latency_s, rel=1e-12, abs=0)
    assert np.all(pt["start_s"].to_numpy()[1:] == pt["end_s"].to_numpy()[:-1])  # back to back
    assert any(n.startswith("analytic: the latency (61.98 ms) is the busiest unit's (tpu: its 6,400 "
                            "ops back to back), past the dependency critical path (124.5 µs)")
               for n in ana.notes), ana.notes


def test_a_link_bound_run_is_that_links_bytes_at_its_rate():
    """sram-cim on hier-attn: the host link's bytes / its rate (3.395 ms) exceed the dependency
    path (2.929 ms): every second of the path parts is the link's."""
    arch, wl = load_architecture("sram-cim"), load_workload("hier-attn")
    ana = simulate(arch, wl, engine="analytic")
    link = ana.traffic_bytes["interconnect"] / arch.hardware.resource("interconnect").bytes_per_s()
    assert ana.latency_s == pytest.approx(link, rel=1e-12, abs=0) and ana.latency_s > ana.critical_path_s
    assert (ana.bound, ana.bound_part) == ("interconnect", "interconnect")
    assert ana.path_time_s["interconnect"] == pytest.approx(ana.latency_s, rel=1e-12, abs=0)
    assert sum(v for k, v in ana.path_time_s.items() if k != "interconnect") == 0.0
    pt = ana.path_table
    assert pt["interconnect_s"].sum() == pytest.approx(ana.latency_s, rel=1e-12, abs=0)
    assert pt["end_s"].iloc[-1] == pytest.approx(ana.latency_s, rel=1e-12, abs=0)


def test_an_analytic_run_writes_no_timeline(tmp_path):
    res = CliRunner().invoke(main, ["run", "cpu-ddr5", "gru", "--engine", "analytic", "--trace",
                                    str(tmp_path / "t.json")])
    assert res.exit_code != 0 and len(res.output.strip().splitlines()) == 1, res.output
    assert "--trace needs --engine des: the analytic engine computes bounds, not a schedule" in res.output
    assert not (tmp_path / "t.json").exists()
    res = CliRunner().invoke(main, ["report", "cpu-ddr5", "-w", "gru", "--engine", "analytic", "-o",
                                    str(tmp_path / "rep")])
    assert res.exit_code == 0, res.output
    assert "no timelines: the analytic engine computes bounds, not a schedule" in res.output
    assert not list((tmp_path / "rep").glob("timeline-*.json"))
