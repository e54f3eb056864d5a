"""The dependency critical path in serial steps, one unit: dependent ops (find-C finding 4,
review 13-2 findings 1 and 2). A fused chain counts the member ops on its longest chain (tag
``chain_ops``), not its vector ops per element (``serial_ops``, the processor's cycle bound), so
a traced model and its generated twin agree; every result carries the figure."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from cimsim import simulate
from cimsim.cli import main
from cimsim.report import columns as C
from cimsim.workload import Op, Tensor, Workload
from cimsim.workload.io import save_workload
from conftest import make_arch


def _chain(tags: list[dict]) -> Workload:
    """A chain of elementwise adds x0 -> x1 -> ...; op i tagged tags[i]."""
    ts = [Tensor(f"x{i}", (16,), "fp32", "input" if i == 0 else "activation") for i in range(len(tags) + 1)]
    ops = [Op(f"op{i}", "elementwise", (f"x{i}",), (f"x{i + 1}",), fn="add", tags=t) for i, t in enumerate(tags)]
    return Workload("chain", ts, ops)


@pytest.mark.parametrize("engine", ["des", "analytic"])
def test_a_fused_chain_counts_its_dependent_ops_on_the_path(engine):
    """Three ops in a chain: a fused 10-op loop (chain_ops 10), an untagged op (1) and one of 2.5
    (rounded up: 3): 3 ops, 10 + 1 + 3 = 14 serial steps, in the run's row and its --json."""
    r = simulate(make_arch(), _chain([{"chain_ops": 10.0}, {}, {"chain_ops": 2.5}]), engine=engine)
    assert r.critical_path_ops == 3
    assert r.critical_path_serial_steps == 14
    assert r.to_json()[C.CRITICAL_PATH_SERIAL_STEPS] == 14 and r.record()[C.CRITICAL_PATH_SERIAL_STEPS] == 14


def test_vector_ops_per_element_are_not_serial_steps():
    """A fused LSTM cell of 13 vector ops per element on its longest chain (serial_ops 13) that is
    6 ops deep (chain_ops 6), then a plain op: 6 + 1 = 7 steps, not 13 + 1 = 14 (before, the path
    summed serial_ops: a traced LSTM counted 2,804 steps where its generated twin had 402 ops)."""
    r = simulate(make_arch(), _chain([{"serial_ops": 13.0, "chain_ops": 6}, {}]), engine="analytic")
    assert r.critical_path_serial_steps == 7


def test_without_a_stated_depth_the_steps_are_the_ops_in_every_result():
    """No op states a depth: the steps are the 2 ops, a fixed column of every result (row and
    --json), so a sweep's schema does not depend on the workload."""
    r = simulate(make_arch(), _chain([{}, {"serial_ops": 4.0}]))
    assert C.CRITICAL_PATH_SERIAL_STEPS in C.FIXED_COLUMNS
    assert r.critical_path_serial_steps == 2
    assert r.to_json()[C.CRITICAL_PATH_SERIAL_STEPS] == 2 and r.record()[C.CRITICAL_PATH_SERIAL_STEPS] == 2


def test_the_run_shows_the_serial_steps_on_the_path_line(tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    arch = "cpu-ddr5"
    wl = tmp_path / "w.json"
    save_workload(_chain([{"chain_ops": 36}, {}]), wl)
    out = CliRunner().invoke(main, ["run", arch, str(wl)]).output
    assert "over 2 ops = 37 serial steps (dependent ops) (ops alone, no contention)" in out
    js = json.loads(CliRunner().invoke(main, ["run", arch, str(wl), "--json"]).output)
    assert js["critical_path_ops"] == 2 and js["critical_path_serial_steps"] == 37


def test_a_sweep_stores_the_steps_as_a_count():
    from cimsim.sweep.columns import COUNT_COLUMNS

    assert C.CRITICAL_PATH_SERIAL_STEPS in COUNT_COLUMNS  # Int64, even in an all-error sweep


@pytest.mark.torch
def test_a_traced_lstm_and_the_generated_one_give_equal_serial_steps():
    """A 2-layer nn.LSTM (H = I = 16, T = 5, no biases, so both graphs have the same ops) traced,
    and the generated lstm of that size: per layer the input projection, then T x (the
    recurrent matmul + the cell's add -> sigmoid -> mul -> add -> tanh -> mul) = 1 + 5 x 7 = 36,
    72 for 2 layers, on the 22-op path of either."""
    torch = pytest.importorskip("torch")
    from cimsim.workload.generators import lstm
    from cimsim.workload.trace import trace

    T, H, L = 5, 16, 2
    traced = trace(torch.nn.LSTM(H, H, L, bias=False), (torch.randn(T, 1, H),))
    for w in (traced, lstm(H, H, L, steps=T)):
        r = simulate(make_arch(), w, engine="analytic")
        assert (r.critical_path_ops, r.critical_path_serial_steps) == (L * (1 + 2 * T), L * (1 + 7 * T))


@pytest.mark.torch
@pytest.mark.parametrize("T", [5, 50])
def test_a_fused_pointwise_recurrence_counts_each_steps_ops(T):
    """RWKV-like: h_t = gelu(a * h_{t-1} + x_t) over T - 1 steps fuses into one op whose longest
    chain is a mul, an add and a GELU per step, 3 (T - 1) dependent ops; with the stack of the
    outputs after it the path is 2 ops and 3 (T - 1) + 1 steps (its serial_ops, which counts the
    GELU's several vector ops per element, is more)."""
    torch = pytest.importorskip("torch")
    from cimsim.workload.trace import trace

    class Scan(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.a = torch.nn.Parameter(torch.rand(16))

        def forward(self, x):
            h, outs = x[0], []
            for t in range(1, T):
                h = torch.nn.functional.gelu(self.a * h + x[t])
                outs.append(h)
            return torch.stack(outs)

    w = trace(Scan(), (torch.randn(T, 16),))
    [fused] = [op for op in w.ops if op.kind == "elementwise"]
    assert fused.tags["chain_ops"] == 3 * (T - 1) < fused.tags["serial_ops"]
    r = simulate(make_arch(), w, engine="analytic")
    assert (r.critical_path_ops, r.critical_path_serial_steps) == (2, 3 * (T - 1) + 1)


def test_a_path_without_stated_chains_builds_no_per_op_list():
    """review 23 A 4: where no op states ``chain_in`` / ``chain_out`` / ``chain_io`` the steps
    are one NumPy sum: peak memory 8 B an op for the per-op steps (float64) plus 8 B a path op
    for their gather, where the per-op Python lists it also built took 72 B an op (a float
    object and a pointer per op, two lists of small ints)."""
    import tracemalloc

    import numpy as np

    from cimsim.workload.depth import path_serial_steps
    from cimsim.workload.generators import lstm

    wl = lstm(64, 64, 1, steps=10000)  # 20,002 ops, 7 steps a time step (chain_ops)
    n = wl.columns.n_ops
    path = np.arange(n)  # the sum takes any indices: every op once
    path_serial_steps(wl, path)  # the workload's own columns, built once on first use
    tracemalloc.start()
    try:
        steps = path_serial_steps(wl, path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert steps == int(np.maximum(1.0, np.ceil(wl.arrays.chain_ops)).sum())
    assert peak <= 24 * n  # 16 B an op, and room; the lists: 72 B an op
