"""Path length in dependent ops (find-B findings 2 and 3).

- A fused op counts its chain from the input a path enters by to the output it leaves by (tags
  ``chain_in`` / ``chain_out``): a recurrence whose step coefficients are computed in the loop,
  ``h = exp(-softplus(dt[t])) * h + x[t]``, is a mul + add a step through ``h``, not the 5 ops from
  ``dt[t]``.
- ``graph_depth_serial_steps`` / ``graph_depth_ops``: the graph's longest chain whatever config
  runs it; ``critical_path_serial_steps`` follows the time-critical path, which in a parallel scan
  is the cheaper ``a = a * a_prev`` chain.

Golden values are closed forms written here."""

from __future__ import annotations

import json
import math

import pytest
from click.testing import CliRunner

from cimsim import simulate
from cimsim.cli import main
from cimsim.report import columns as C
from cimsim.workload import Op, Tensor, Workload
from cimsim.workload.io import save_workload
from conftest import make_arch


def _fused_step_chain(n: int) -> Workload:
    """n ops in a chain through h; each a fused op reading a model input c_i (5 ops deep from it)
    and h (2 ops deep), as a traced in-loop coefficient step states it."""
    ts = [Tensor("h0", (16,), "fp32", "input")]
    ts += [Tensor(f"c{i}", (16,), "fp32", "input") for i in range(n)]
    ts += [Tensor(f"h{i + 1}", (16,), "fp32", "activation") for i in range(n)]
    ops = [Op(f"step{i}", "elementwise", (f"c{i}", f"h{i}"), (f"h{i + 1}",), fn="add",
              tags={"chain_ops": 5, "chain_in": [5, 2], "chain_out": [5]}) for i in range(n)]
    return Workload("steps", ts, ops)


@pytest.mark.parametrize("engine", ["des", "analytic"])
def test_a_path_through_the_state_pays_the_state_chain(engine):
    """n = 10 steps: the first is entered from its inputs (5 deep), each later one through h
    (2): 5 + 2 (n - 1) = 23 steps on the path and in the graph, not 5 n = 50."""
    r = simulate(make_arch(), _fused_step_chain(10), engine=engine)
    assert r.critical_path_ops == 10 and r.graph_depth_ops == 10
    assert r.critical_path_serial_steps == 5 + 2 * 9
    assert r.graph_depth_serial_steps == 5 + 2 * 9
    js = r.to_json()
    assert js[C.GRAPH_DEPTH_SERIAL_STEPS] == 23 and r.record()[C.GRAPH_DEPTH_OPS] == 10


def test_graph_depth_is_the_longest_chain_not_the_time_critical_one():
    """Two branches from x: one slow op (a 1 GMAC matmul), and a chain of 3 cheap adds; both end
    in one add. The time-critical path runs through the matmul: 2 ops, 2 steps; the graph's
    longest chain is the adds', 4 ops = 4 steps, whatever config runs it."""
    ts = [Tensor("x", (1024, 1024), "fp32", "input"), Tensor("w", (1024, 1024), "fp32", "weight"),
          Tensor("m", (1024, 1024), "fp32", "activation")]
    ts += [Tensor(f"a{i}", (1, 1), "fp32", "activation") for i in range(3)]
    ts += [Tensor("s", (1, 1), "fp32", "input"), Tensor("y", (1024, 1024), "fp32", "activation")]
    ops = [Op("mm", "matmul", ("x", "w"), ("m",), m=1024, k=1024, n=1024, weight="w"),
           Op("add0", "elementwise", ("s",), ("a0",), fn="add")]
    ops += [Op(f"add{i}", "elementwise", (f"a{i - 1}",), (f"a{i}",), fn="add") for i in (1, 2)]
    ops += [Op("join", "elementwise", ("m", "a2"), ("y",), fn="add")]
    r = simulate(make_arch(), Workload("branches", ts, ops), engine="analytic")
    assert (r.critical_path_ops, r.critical_path_serial_steps) == (2, 2)
    assert (r.graph_depth_ops, r.graph_depth_serial_steps) == (4, 4)


def test_a_bad_chain_in_tag_is_one_line_naming_the_file_the_op_and_the_tag(tmp_path):
    w = _fused_step_chain(2)
    path = tmp_path / "w.json"
    save_workload(w, path)
    raw = json.loads(path.read_text())
    raw["ops"][1]["tags"]["chain_in"] = [5]  # the op has 2 inputs
    path.write_text(json.dumps(raw))
    res = CliRunner().invoke(main, ["run", "cpu-ddr5", str(path)])
    assert res.exit_code != 0 and "Traceback" not in res.output
    line = res.output.strip().splitlines()[-1]
    assert "op 'step1'" in line and "chain_in = [5]" in line and "list of 2 numbers >= 0" in line


def test_the_run_shows_the_graph_depth_next_to_the_dependency_path(tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    path = tmp_path / "w.json"
    save_workload(_fused_step_chain(4), path)
    out = CliRunner().invoke(main, ["run", "cpu-ddr5", str(path)]).output
    assert "over 4 ops = 11 serial steps (dependent ops)" in out  # 5 + 2 x 3
    assert "graph depth" in out and "11 serial steps (dependent ops), 4 ops" in out


def test_a_generated_lstm_is_t_deep_in_both_columns():
    """The README's path-length argument: an LSTM's path grows with T. Per layer the input
    projection, then T x (recurrent matmul + the cell's 6 dependent ops): L (1 + 7 T) steps and
    L (1 + 2 T) ops, the dependency path and the graph depth alike."""
    from cimsim.workload.generators import lstm

    T, H, L = 6, 16, 2
    r = simulate(make_arch(), lstm(H, H, L, steps=T), engine="analytic")
    assert (r.critical_path_ops, r.critical_path_serial_steps) == (L * (1 + 2 * T), L * (1 + 7 * T))
    assert (r.graph_depth_ops, r.graph_depth_serial_steps) == (L * (1 + 2 * T), L * (1 + 7 * T))


@pytest.mark.torch
@pytest.mark.parametrize("T", [8, 32])
def test_coefficients_computed_in_the_loop_cost_nothing_on_the_path(T):
    """h = exp(-softplus(dt[t])) * h + x[t], y[t] = h @ C, traced with the coefficient computed
    in the loop and hoisted out of it: both are softplus -> neg -> exp once (3), a mul and an add
    a step (2 T), the last readout matvec and the stack (2): 2 T + 5 serial steps, on the
    dependency path and in the graph (before, the in-loop step counted its 5-op chain from dt[t]
    at every step: 5 T + 2)."""
    torch = pytest.importorskip("torch")
    from cimsim.workload.trace import trace

    class InLoop(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.C = torch.nn.Parameter(torch.randn(4))

        def coeff(self, dt, t):
            return torch.exp(-torch.nn.functional.softplus(dt[t]))

        def forward(self, dt, x):
            h, ys = torch.zeros(8, 4), []
            for t in range(dt.shape[0]):
                h = self.coeff(dt, t) * h + x[t]
                ys.append(h @ self.C)
            return torch.stack(ys)

    class Hoisted(InLoop):
        def forward(self, dt, x):
            a = torch.exp(-torch.nn.functional.softplus(dt))
            h, ys = torch.zeros(8, 4), []
            for t in range(dt.shape[0]):
                h = a[t] * h + x[t]
                ys.append(h @ self.C)
            return torch.stack(ys)

    args = (torch.randn(T, 8, 4), torch.randn(T, 8, 4))
    for model in (InLoop(), Hoisted()):
        r = simulate(make_arch(), trace(model, args), engine="analytic")
        assert r.critical_path_serial_steps == 2 * T + 5, type(model).__name__
        assert r.graph_depth_serial_steps == 2 * T + 5, type(model).__name__


@pytest.mark.torch
@pytest.mark.parametrize("T", [16, 64])
def test_a_hillis_steele_scan_is_its_levels_deep_in_the_graph(T):
    """h_t = a_t h_{t-1} + b_t by log2 T doubling levels: the projection (1), then each level a
    cat (copy) and the fused b = a * b_prev + b (mul, add): 1 + 3 log2 T (13 at T = 16, 19 at 64).
    The time-critical path runs through the cheaper a = a * a_prev chain (fewer steps), so
    critical_path_serial_steps is less; graph_depth_serial_steps is the same on every config."""
    torch = pytest.importorskip("torch")
    from cimsim.config import load_architecture
    from cimsim.workload.trace import trace

    class ParScan(torch.nn.Module):
        def __init__(self, d=8):
            super().__init__()
            self.proj = torch.nn.Linear(d, 2 * d, bias=False)

        def forward(self, x):
            T, d = x.shape
            ab = self.proj(x)
            a, b = torch.sigmoid(ab[:, :d]), ab[:, d:]
            s = 1
            while s < T:
                a_prev = torch.cat([torch.ones(s, d), a[:-s]], 0)
                b_prev = torch.cat([torch.zeros(s, d), b[:-s]], 0)
                b = a * b_prev + b
                a = a * a_prev
                s *= 2
            return b

    w = trace(ParScan(), (torch.randn(T, 8),))
    levels = int(math.log2(T))
    for config in ("cpu-ddr5", "gpu-hbm3"):
        r = simulate(load_architecture(config), w, engine="analytic")
        assert r.graph_depth_serial_steps == 1 + 3 * levels
        assert r.critical_path_serial_steps < r.graph_depth_serial_steps
