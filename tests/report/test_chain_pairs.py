"""Serial steps through fused ops that keep two states (find-X 1): a fused op states its chain
per input and output pair (tag ``chain_io``, ``None`` where the output does not depend on the
input), so an xLSTM-like step whose stabiliser m reaches the memory c (6 ops) while c never
reaches m counts 2 a step along the m chain, not the 6 from m plus the 6 into c. The dependency
path never exceeds the graph depth. Golden values are closed forms written in each test."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from cimsim import simulate
from cimsim.cli import main
from cimsim.workload.io import save_workload
from conftest import make_arch

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch


def _steps(model, args, configs=("cpu-ddr5", "sram-cim")):
    """``(dependency path steps per config, graph depth steps)``, checking the invariant."""
    from cimsim.config import load_architecture
    from cimsim.workload.trace import trace

    w = trace(model, args)
    paths, depth = [], None
    for c in configs:
        r = simulate(load_architecture(c) if c else make_arch(), w, engine="analytic")
        assert r.critical_path_serial_steps <= r.graph_depth_serial_steps, c
        paths.append(r.critical_path_serial_steps)
        depth = r.graph_depth_serial_steps
    return paths, depth


class OneState(torch.nn.Module):
    """h = h * a[t] + x[t] (mul, add), y[t] = W h (a matmul splitting the loop per step)."""

    def __init__(self, H=8, readout=True):
        super().__init__()
        self.W, self.readout = torch.nn.Linear(H, H, bias=False), readout

    def forward(self, x, a, b):
        h, ys = x.new_zeros(x.shape[1]), []
        for t in range(x.shape[0]):
            h = h * a[t] + x[t]
            if self.readout:
                ys.append(self.W(h))
        return torch.stack(ys) if self.readout else h


class TwoState(OneState):
    """The tester's model: m = max(m + a[t], b[t]) (2 ops from m), c = c * exp(m - 1) + x[t]
    (2 from c; 6 from the previous m: add, max, sub, exp, mul, add); y[t] = W (c * c)."""

    def forward(self, x, a, b):
        m, c, ys = x.new_zeros(x.shape[1]), x.new_zeros(x.shape[1]), []
        for t in range(x.shape[0]):
            m = torch.maximum(m + a[t], b[t])
            c = c * torch.exp(m - 1.0) + x[t]
            if self.readout:
                ys.append(self.W(c * c))
        return torch.stack(ys) if self.readout else c


def _args(T, H=8):
    return tuple(torch.randn(T, H) for _ in range(3))


@pytest.mark.parametrize("T", [8, 16])
def test_a_one_state_recurrence_is_two_steps_a_token(T):
    """T x (mul, add), then the last step's readout matmul and the stack: 2 T + 2."""
    paths, depth = _steps(OneState(), _args(T))
    assert paths == [2 * T + 2] * 2 and depth == 2 * T + 2


@pytest.mark.parametrize("T", [16, 32])
def test_a_two_state_recurrence_with_a_readout_is_two_steps_a_token(T):
    """The m chain over the first T - 1 steps (2 each), the last step from m to c * c (add, max,
    sub, exp, mul, add, mul: 7), the readout matmul and the stack (2): 2 T + 7 = 39 at T = 16, 71
    at T = 32 (before: 99 / 195 on the path, 68 / 132 in the graph depth)."""
    paths, depth = _steps(TwoState(), _args(T))
    assert paths == [2 * T + 7] * 2 and depth == 2 * T + 7


def test_a_two_state_loop_fused_whole_is_two_steps_a_token():
    """No per-step readout: the loop is one fused op; 2 (T - 1) along m, 6 from m to the last c:
    2 T + 4."""
    T = 16
    paths, depth = _steps(TwoState(readout=False), _args(T))
    assert paths == [2 * T + 4] * 2 and depth == 2 * T + 4


class MLSTMLike(torch.nn.Module):
    """A stabilised mLSTM cell: lf = logf[t] + m; m' = max(lf, logi[t]); f = exp(lf - m');
    i = exp(logi[t] - m'); C = f * C + i * (k v^T); h[t] = C q[t] (a bmm readout splitting the
    loop). From m to m' 2 ops; from m to C add, max, sub, exp, mul, add = 6; from C to C 2."""

    def forward(self, logf, logi, k, v, q):
        T, H = k.shape
        m, C, hs = logf.new_zeros(1), k.new_zeros(H, H), []
        for t in range(T):
            lf = logf[t] + m
            m_new = torch.maximum(lf, logi[t])
            f, i = torch.exp(lf - m_new), torch.exp(logi[t] - m_new)
            C = f * C + i * (k[t].unsqueeze(1) * v[t].unsqueeze(0))
            m = m_new
            hs.append(C @ q[t])
        return torch.stack(hs)


@pytest.mark.parametrize("T", [8, 16])
def test_an_mlstm_like_cell_is_two_steps_a_token(T):
    """2 (T - 1) along m, 6 from the last m to C, the readout matvec and the stack: 2 T + 6."""
    H = 8
    args = (torch.randn(T, 1), torch.randn(T, 1), torch.randn(T, H), torch.randn(T, H), torch.randn(T, H))
    paths, depth = _steps(MLSTMLike(), args)
    assert paths == [2 * T + 6] * 2 and depth == 2 * T + 6


def test_nn_lstm_keeps_its_closed_form():
    """A bias-free nn.LSTM, L layers over T steps: per layer the input projection, then T x
    (recurrent matmul + the cell's 6 dependent ops): L (1 + 7 T) = 72 at L = 2, T = 5."""
    L, T = 2, 5
    model = torch.nn.LSTM(8, 8, num_layers=L, bias=False)
    paths, depth = _steps(model, (torch.randn(T, 1, 8),))
    assert paths == [L * (1 + 7 * T)] * 2 and depth == L * (1 + 7 * T)


def test_the_fused_step_states_which_outputs_each_input_reaches():
    """The two-state step's chain_io: c never reaches m (None); m reaches m in 2, c in 6."""
    from cimsim.workload.trace import trace

    w = trace(TwoState(), _args(2))
    op = next(o for o in w.ops if "chain_io" in o.tags)
    io = {(a, b): x for a, row in zip(op.inputs, op.tags["chain_io"]) for b, x in zip(op.outputs, row)}
    m_in, c_in = op.inputs[0], op.inputs[3]  # const m0, const c0 of the first step
    m_out, c_out = op.outputs[0], op.outputs[1]
    assert (io[m_in, m_out], io[m_in, c_out], io[c_in, c_out], io[c_in, m_out]) == (2, 6, 2, None)


def test_a_bad_chain_io_is_one_line_naming_the_op_and_the_tag(tmp_path):
    from cimsim.workload.trace import trace

    w = trace(TwoState(), _args(2))
    path = tmp_path / "w.json"
    save_workload(w, path)
    raw = json.loads(path.read_text())
    op = next(o for o in raw["ops"] if "chain_io" in o["tags"])
    op["tags"]["chain_io"] = [[1, -2]]
    path.write_text(json.dumps(raw))
    res = CliRunner().invoke(main, ["run", "cpu-ddr5", str(path)])
    assert res.exit_code != 0 and "Traceback" not in res.output
    line = res.output.strip().splitlines()[-1]
    assert f"op '{op['name']}'" in line and "chain_io = [[1, -2]]" in line and "null" in line
