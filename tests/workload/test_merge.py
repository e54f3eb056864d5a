"""Several models on one system with data edges between them (find-B 2, 3): ``cimsim workload
merge``, :func:`cimsim.workload.merge.merge_workloads`, the per-model figures of a run and a
deadline per model, and the note on a deadline past the period. Real SimPy runs on the round
machine (tests/conftest.py); the goldens are sums of the models' runs alone."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from cimsim import simulate
from cimsim.cli import main
from cimsim.errors import CimsimError, WorkloadError
from cimsim.report.models import with_deadlines
from cimsim.workload.io import save_workload
from cimsim.workload.merge import merge_workloads
from conftest import gemv_workload, make_arch

K = 1024  # fp32 GEMVs of 1 x 1024 by 1024 x 1024: a 4 MiB weight each


@pytest.fixture(scope="module")
def arch():
    return make_arch()


def _models():
    return {"perc": gemv_workload(K, K, name="perc"), "plan": gemv_workload(K, K, name="plan")}


def test_an_edge_makes_the_model_wait_for_the_one_it_reads(arch):
    alone = {n: simulate(arch, w).latency_s for n, w in _models().items()}
    w = merge_workloads(_models(), after=["plan.x=perc.y"])
    # plan reads perc's output: its input is that tensor, not one of its own
    assert [op.inputs for op in w.ops] == [("perc.x", "perc.W"), ("perc.y", "plan.W")]
    assert "plan.x" not in w.tensors
    r = simulate(arch, w)
    perc, plan = r.models["perc"], r.models["plan"]
    assert perc["start_s"] == 0.0 and perc["latency_s"] == pytest.approx(alone["perc"], rel=1e-12, abs=0)
    # plan starts when perc's output is written and is done one run of its own later, less its
    # input's read from dram: x is perc's output, written to sram, not a model input in dram
    # (4,096 B at the round dram's 10 GB/s: 409.6 ns)
    assert plan["start_s"] == pytest.approx(alone["perc"], rel=1e-12, abs=0)
    assert plan["latency_s"] == pytest.approx(alone["perc"] + alone["plan"] - 4096 / 10e9, rel=1e-12, abs=0)
    assert r.latency_s == pytest.approx(plan["latency_s"], rel=1e-12, abs=0)
    assert plan["after"] == ["perc"] and perc["after"] == []
    # dynamic energy: the models' ops' energy sums to the run's, static apart
    dyn = r.energy_j - r.energy_breakdown_j["static"]
    assert perc["dynamic_energy_j"] + plan["dynamic_energy_j"] == pytest.approx(dyn, rel=1e-12, abs=0)
    assert r.to_json()["models"]["plan"]["latency_s"] == plan["latency_s"]


def test_a_model_comes_after_the_one_it_reads_whatever_the_order_given(arch):
    w = merge_workloads([("plan", gemv_workload(K, K)), ("perc", gemv_workload(K, K))],
                        after=["plan.x=perc.y"])
    assert [m["name"] for m in w.metadata["models"]] == ["perc", "plan"]
    assert [op.name for op in w.ops] == ["perc.mm", "plan.mm"]


def test_chain_and_independent_models():
    chained = merge_workloads(_models(), chain=True)
    assert chained.metadata["edges"] == ["plan.x=perc.y"]
    free = merge_workloads(_models())
    assert free.metadata["edges"] == [] and "plan.x" in free.tensors


@pytest.mark.parametrize("edge, words", [
    ("plan.x=perc.W", "not a tensor model perc's ops write"),
    ("plan.W=perc.y", "'W' is not an input of model plan (its inputs: x)"),
    ("plan.x=nope.y", "no model 'nope' (the models: perc, plan)"),
    ("plan.x", "write MODEL.INPUT=MODEL.OUTPUT"),
    ("plan.x=plan.y", "a model cannot feed itself"),
])
def test_bad_edges_are_one_line(edge, words):
    with pytest.raises(WorkloadError, match=words.replace("(", r"\(").replace(")", r"\)")):
        merge_workloads(_models(), after=[edge])


def test_an_edge_needs_the_same_dtype_and_elements():
    models = {"perc": gemv_workload(K, 512), "plan": gemv_workload(K, K)}
    with pytest.raises(WorkloadError, match=r"plan.x is \[1, 1024\] fp32 \(4,096 B\) and perc.y "
                                            r"\[1, 512\] fp32 \(2,048 B\)"):
        merge_workloads(models, after=["plan.x=perc.y"])
    with pytest.raises(WorkloadError, match="read from each other in a cycle"):
        merge_workloads(_models(), after=["plan.x=perc.y", "perc.x=plan.y"])


def test_deadline_per_model_and_past_the_period(arch):
    r = simulate(arch, merge_workloads(_models(), after=["plan.x=perc.y"]))
    plan = r.models["plan"]["latency_s"]
    d = with_deadlines(r, [("plan", 2 * plan), ("perc", plan / 4)])
    assert d.models["plan"]["meets_deadline"] and d.models["plan"]["deadline_slack_s"] == pytest.approx(plan, rel=1e-12, abs=0)
    assert not d.models["perc"]["meets_deadline"]
    with pytest.raises(CimsimError, match="no model 'x'"):
        with_deadlines(r, [("x", 1.0)])
    # find-B 3: a deadline longer than the period says overlapping runs are not modelled
    late = r.at_load(period_s=1e-2, deadline_s=2e-2)
    assert any("is longer than the period 10 ms" in n for n in late.notes)
    assert not any("longer than the period" in n for n in r.at_load(period_s=1e-2, deadline_s=5e-3).notes)


def test_cli_merge_run_and_errors(tmp_path):
    for n, w in _models().items():
        save_workload(w, tmp_path / f"{n}.json")
    cli = CliRunner()
    out = tmp_path / "frame.json"
    res = cli.invoke(main, ["workload", "merge", str(tmp_path / "perc.json"), str(tmp_path / "plan.json"),
                            "--chain", "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert json.loads(out.read_text())["metadata"]["edges"] == ["plan.x=perc.y"]
    res = cli.invoke(main, ["run", "cpu-ddr5", str(out), "--deadline", "1s,plan=1s", "--period", "2s"])
    assert res.exit_code == 0, res.output
    assert "model plan" in res.output and "after perc; deadline 1 s:" in res.output
    res = cli.invoke(main, ["run", "cpu-ddr5", str(out), "--deadline", "plan=1s", "--json"])
    plan = json.loads(res.output)["models"]["plan"]
    assert plan["deadline_s"] == 1.0 and plan["meets_deadline"] is True
    res = cli.invoke(main, ["run", "cpu-ddr5", str(out), "--deadline", "nope=1ms"])
    assert res.exit_code != 0 and res.output.count("\n") == 1 and "no model 'nope'" in res.output
    res = cli.invoke(main, ["workload", "merge", str(tmp_path / "perc.json"), str(tmp_path / "plan.json"),
                            "--after", "plan.x=perc.W", "-o", str(out)])
    assert res.exit_code != 0 and res.output.count("\n") == 1


def test_a_later_at_load_restates_the_past_period_notes(arch):
    # review 22 I 5: the note of a deadline past the period was kept by a later at_load (stale
    # at a 5 ms deadline) and repeated (20 ms and 30 ms both noted)
    r = simulate(arch, merge_workloads(_models(), after=["plan.x=perc.y"]))
    a = r.at_load(period_s=1e-2, deadline_s=2e-2)
    assert not any("longer than the period" in n for n in a.at_load(1e-2, 5e-3).notes)
    again = [n for n in a.at_load(1e-2, 3e-2).notes if "longer than the period" in n]
    assert len(again) == 1 and again[0].startswith("deadline 30 ms")
    d = with_deadlines(a, [("plan", 2e-2)], 1e-2)
    d = with_deadlines(d, [("plan", 3e-2)], 1e-2)  # restated: one note, the new deadline's
    mine = [n for n in d.notes if n.startswith("model plan's deadline")]
    assert len(mine) == 1 and "30 ms" in mine[0]
    # a later at_load keeps the model's deadline noted against its own period, once
    kept = [n for n in d.at_load(1e-2, 5e-3).notes if "longer than the period" in n]
    assert len(kept) == 1 and kept[0].startswith("model plan's deadline 30 ms")
    assert not any("longer than the period" in n for n in d.at_load(1.0, 5e-3).notes)
    with pytest.raises(CimsimError, match="two deadlines for model 'plan'"):
        with_deadlines(r, [("plan", 1.0), ("plan", 2.0)])


def test_deadline_per_model_is_parsed_alike_by_every_command(tmp_path):
    # review 22 I 6: sweep said "cannot read 'planner=20ms' as a number with a unit", and run
    # kept the last of two deadlines for one model without a word
    for n, w in _models().items():
        save_workload(w, tmp_path / f"{n}.json")
    out = tmp_path / "frame.json"
    cli = CliRunner()
    assert cli.invoke(main, ["workload", "merge", str(tmp_path / "perc.json"), str(tmp_path / "plan.json"),
                             "--chain", "-o", str(out)]).exit_code == 0
    res = cli.invoke(main, ["sweep", "cpu-ddr5", "-w", str(out), "--deadline", "plan=20ms",
                            "--param", "processor.cores=4,8", "-o", str(tmp_path / "sw")])
    assert res.exit_code != 0 and res.output.count("\n") == 1
    assert "a deadline per model (MODEL=TIME) goes with cimsim run of a merged workload" in res.output
    res = cli.invoke(main, ["run", "cpu-ddr5", str(out), "--deadline", "plan=1us,plan=1s"])
    assert res.exit_code != 0 and res.output.count("\n") == 1
    assert "two deadlines for model 'plan'" in res.output
    from cimsim.sweep import sweep

    with pytest.raises(CimsimError, match="a deadline per model"):
        sweep(["cpu-ddr5"], [str(out)], ["processor.cores=4"], deadline_s="plan=20ms",
              output=str(tmp_path / "api"), quiet=True)


def test_analytic_per_model_times_are_said_to_be_lower_bounds(arch, tmp_path):
    # review 22 I 8: under --engine analytic a model's completion time takes each op alone (a
    # lower bound: the DES can be later), and only the general note on op times said so
    w = merge_workloads(_models())  # two independent models: the DES shares the dram between them
    des, ana = simulate(arch, w), simulate(arch, w, engine="analytic")
    assert "bound" not in des.models["plan"]
    assert ana.models["plan"]["bound"] == "lower (analytic: each op alone)"
    assert ana.models["plan"]["latency_s"] <= des.models["plan"]["latency_s"]
    assert any(n.startswith("analytic engine: each model's completion time") for n in ana.notes)
    save_workload(w, tmp_path / "w.json")
    res = CliRunner().invoke(main, ["run", "cpu-ddr5", str(tmp_path / "w.json"), "--engine", "analytic",
                                    "--deadline", "plan=1s"])
    assert res.exit_code == 0, res.output
    assert "done at ≥ " in res.output and "met by the lower bound, slack ≤ " in res.output
