"""``merge --after B=A``: a control edge, model B starts when model A ends (a cascade's big model
waits for the small model's confidence test; find-F 3: only tensor edges existed, so the small
model ran beside the big one)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from cimsim import load_architecture, simulate
from cimsim.bundled import resolve_config
from cimsim.cli import main
from cimsim.errors import WorkloadError
from cimsim.workload import Op, Tensor, Workload
from cimsim.workload.io import save_workload, load_workload
from cimsim.workload.merge import merge_workloads


def _mlp(name, k, n):
    """x (1 x k) @ W (k x n): one matmul reading the model input x."""
    t = [Tensor("x", (1, k), "fp32", "input"), Tensor("w", (k, n), "fp32", "weight"),
         Tensor("y", (1, n), "fp32", "activation")]
    return Workload(name, t, [Op("mm", "matmul", ("x", "w"), ("y",), m=1, k=k, n=n, weight="w")])


def test_big_waits_for_small_and_reads_the_same_input():
    small, big = _mlp("small", 64, 10), _mlp("big", 64, 256)
    w = merge_workloads([("small", small), ("big", big)], after=["big=small"])
    assert w.metadata["edges"] == ["big=small"]
    assert w.macs == 64 * 10 + 64 * 256  # no work added
    (wait,) = [op for op in w.ops if op.tags.get("part") == "wait"]
    assert wait.inputs == ("big.x", "small.y") and wait.tags["on_chip"] == 1
    (mm,) = [op for op in w.ops if op.name == "big.mm"]
    assert mm.inputs[0] == wait.outputs[0] and mm.tags["launch"] == wait.tags["launch"]
    assert w.tensors[wait.outputs[0]].numel == 64  # big's own input, passed on
    r = simulate(load_architecture(resolve_config("sram-cim")), w)
    t = r.op_table.set_index("op")
    assert t.loc["big.mm", "start_s"] >= t.loc["small.mm", "end_s"]
    # without the edge they start together
    r0 = simulate(load_architecture(resolve_config("sram-cim")),
                  merge_workloads([("small", small), ("big", big)]))
    t0 = r0.op_table.set_index("op")
    assert t0.loc["big.mm", "start_s"] < t0.loc["small.mm", "end_s"]


def test_bad_wait_edges_are_refused_in_one_line():
    small, big = _mlp("small", 64, 10), _mlp("big", 64, 256)
    with pytest.raises(WorkloadError, match="no model 'huge'"):
        merge_workloads([("small", small), ("big", big)], after=["huge=small"])
    with pytest.raises(WorkloadError, match="cannot wait for itself"):
        merge_workloads([("small", small), ("big", big)], after=["big=big"])


def test_cli_merge_after_model(tmp_path):
    save_workload(_mlp("small", 64, 10), tmp_path / "small.json")
    save_workload(_mlp("big", 64, 256), tmp_path / "big.json")
    out = tmp_path / "c.json"
    r = CliRunner().invoke(main, ["workload", "merge", str(tmp_path / "small.json"), str(tmp_path / "big.json"),
                                  "--after", "big=small", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert "edges: big=small" in r.output and len(load_workload(out).ops) == 3
