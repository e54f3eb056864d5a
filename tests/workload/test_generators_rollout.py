"""`cimsim workload lstm|gru --horizon H` (find-T 3): after the T context steps, an
autoregressive rollout as a DeepAR forecaster runs it, each decode step fed the previous step's
output projection joined to its covariates. The generators had no such mode, so a rollout could
only be traced, with no closed-form twin to check it against."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from cimsim.commands.workload import workload as workload_cmd
from cimsim.workload import load_workload
from cimsim.workload.depth import graph_depth
from cimsim.workload.generators import gru, lstm
from cimsim.workload.graph import longest_path

# DeepAR as find-T ran it: 1 target + 3 covariates, 2 layers of 40, 96 context steps, 24 decoded
I, HID, L, T, HZ = 4, 40, 2, 96, 24


def test_lstm_rollout_closed_form():
    w = lstm(I, HID, L, steps=T, horizon=HZ)
    G = 4 * HID
    enc = T * G * (I + HID) + T * G * (HID + HID)  # 1,904,640
    step = G * (I + HID) + G * (HID + HID)  # one decode step through both layers: 19,840
    assert w.macs == enc + (HZ + 1) * HID + HZ * step == 2_381_800  # find-T's traced DeepAR
    # the LSTM's W, biases and W_out (1 x 40), 4 B each
    assert w.weight_bytes == (G * (I + HID) + G * (HID + HID) + 4 * G + HID) * 4 == 82_080
    # ops: per layer 1 input projection + T x (recurrent matmul + cell) + a concat; then the
    # context's output projection, per decode step the input copy, per layer (input and recurrent
    # matmul, cell, one-step concat) and the output projection; the outputs' concat
    assert len(w) == L * (1 + 2 * T + 1) + 1 + HZ * (1 + 4 * L + 1) + 1 == 630
    # the path: layer 0's input projection, step 0's cell, then T - 1 x (recurrent matmul, cell),
    # its concat; the same for layer 1 up to its last cell (2 + 2 (T - 1)) + 1 + (2 + 2 (T - 1));
    # the output projection; per decode step the input copy, per layer (input projection, cell,
    # concat: the recurrent matmul reads a state ready before) and the output projection; the concat
    assert graph_depth(w)[1] == (2 * T + 1) + 2 * T + 1 + HZ * (1 + 3 * L + 1) + 1 == 579
    # on the longest path in ops (of those, the one with the most of a part: 1e-3 per op of it),
    # the cells of every step of both layers, context and decode, and no decode step's recurrent
    # matmul (it reads a state ready before the fed-back input)
    indptr, indices = w.predecessors
    on_path = [round((longest_path(indptr, indices, np.array([1 + 1e-3 * (op.tags.get("part") == part)
                                                              for op in w.ops]))[0] - 579) * 1e3)
               for part in ("state", "recurrent")]
    assert on_path == [L * T + HZ * L, L * T - (L - 1)]
    assert on_path == [w.metadata["recurrent_steps_on_critical_path"],
                       w.metadata["recurrent_matmuls_on_critical_path"]]
    assert w.metadata["params"]["horizon"] == HZ and w.metadata["macs"] == w.macs
    assert w.metadata["weight_elements"] * 4 == w.weight_bytes


def test_gru_rollout_without_covariates():
    """O = I = 2: the output is the whole next input, so no copy joins covariates to it."""
    w = gru(2, 8, 1, steps=5, horizon=3, out_features=2)
    G = 3 * 8
    assert w.macs == 5 * G * (2 + 8) + 3 * G * (2 + 8) + 4 * 8 * 2
    assert len(w) == (1 + 2 * 5 + 1) + 1 + 3 * (4 + 1) + 1
    assert not [op for op in w.ops if op.tags.get("part") == "feedback"]


def _deepar(torch, cell: str, horizon: int = HZ):
    """DeepAR over a context already joined to its covariates (x: B, T, I), 2 layers (find-T's
    model joins the target to the covariates itself: one ``torch.cat`` more on the path)."""
    nn = torch.nn

    class DeepAR(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = getattr(nn, cell)(I, HID, L, batch_first=True)
            self.mu = nn.Linear(HID, 1)

        def forward(self, x, cov_fut):
            out, st = self.rnn(x)
            prev = self.mu(out[:, -1:])
            outs = []
            for t in range(horizon):
                o, st = self.rnn(torch.cat([prev, cov_fut[:, t:t + 1]], -1), st)
                prev = self.mu(o)
                outs.append(prev)
            return torch.cat(outs, 1)

    torch.manual_seed(0)
    return DeepAR().eval(), (torch.randn(1, T, I), torch.randn(1, horizon, I - 1))


@pytest.mark.torch
@pytest.mark.slow
@pytest.mark.parametrize("cell", ["LSTM", "GRU"])
def test_rollout_matches_a_traced_deepar(cell):
    """The generated rollout against the same model traced: the same MACs and weights but the
    output projection's bias (4 B), and the same path but for what the tracer keeps as ops of
    their own: each input projection's and output projection's bias add (L in the context, 1 for
    its output projection, L + 1 a decode step) and the context's output projection reading the
    last step's h through nn.LSTM's stacked output (1 copy)."""
    torch = pytest.importorskip("torch")
    from cimsim.workload.trace import trace

    make = lstm if cell == "LSTM" else gru
    traced, gen = trace(*_deepar(torch, cell)), make(I, HID, L, steps=T, horizon=HZ)
    assert traced.macs == gen.macs
    assert traced.weight_bytes == gen.weight_bytes + 4
    biases = L + 1 + HZ * (L + 1)
    # 579 + 75 + 1 (find-T's model, joining the target to the covariates, adds that cat: 656)
    assert graph_depth(traced)[1] == graph_depth(gen)[1] + biases + 1 == 655
    # one decode step fewer shortens each path by its decode step (find-T: 11 traced ops a step,
    # 8 generated + L + 1 bias adds), the cell's own generated rollout against its own trace
    step_gen = graph_depth(gen)[1] - graph_depth(make(I, HID, L, steps=T, horizon=HZ - 1))[1]
    step_traced = graph_depth(traced)[1] - graph_depth(trace(*_deepar(torch, cell, HZ - 1)))[1]
    assert (step_gen, step_traced) == (2 + 3 * L, 2 + 3 * L + L + 1) == (8, 11)


@pytest.mark.parametrize("make", [lstm, gru])
def test_a_rollout_is_emitted_in_blocks_whatever_its_horizon(make, monkeypatch):
    """The decode steps are one block of tensors and one of ops, not a builder call per step and
    layer (whose cost grew with the ops built: 20,000 steps took 23.5 s, 30x the same op count
    of context steps): the builder calls do not grow with the horizon."""
    from cimsim.workload import builders

    calls: list[str] = []
    for name in ("tensor", "tensors", "ops", "matmul", "vector"):
        real = getattr(builders.Builder, name)
        def counted_call(self, *a, real=real, name=name, **k):
            calls.append(name)
            return real(self, *a, **k)

        monkeypatch.setattr(builders.Builder, name, counted_call)
    counted = []
    for horizon in (1, 2, 50):
        calls.clear()
        w = make(I, 8, L, steps=3, horizon=horizon)
        counted.append(len(calls))
        gates = 1  # the fused cell: per decode step copy, L x (2 matmuls, cell, concat), output
        assert len(w) == L * (3 * (1 + gates) + 2) + 1 + horizon * (1 + L * (3 + gates) + 1) + 1
    assert counted[0] == counted[1] == counted[2]


def test_cli_horizon_and_refusals(tmp_path):
    run = CliRunner().invoke
    base = ["lstm", "--input-size", "4", "--hidden", "40", "--layers", "2", "--steps", "96"]
    res = run(workload_cmd, [*base, "--horizon", "24", "-o", str(tmp_path / "d.json")])
    assert res.exit_code == 0, res.output
    assert load_workload(tmp_path / "d.json").macs == 2_381_800
    for extra, says in ((["--out-features", "2"], "--out-features goes with --horizon"),
                        (["--horizon", "3", "--out-features", "5"],
                         "--out-features 5 must be at most --input-size 4"),
                        (["--horizon", "3", "--schedule", "wavefront"],
                         "--horizon goes with --schedule layer"),
                        (["--horizon", "3", "--bidirectional"], "--horizon goes with --schedule layer"),
                        (["--horizon", "-1"], "--horizon must be an integer >= 0"),
                        # 2 x (2 x 96 + 2) + 10^9 x (1 + 4 x 2 + 1) + 2 ops: the horizon's
                        (["--horizon", "1000000000"], "--steps 96 x --layers 2 + --horizon "
                         "1000000000 x --layers 2 gives 10,000,000,390 ops")):
        res = run(workload_cmd, [*base, *extra, "-o", str(tmp_path / "x.json")])
        assert res.exit_code != 0 and "Traceback" not in res.output and says in res.output, res.output
        assert len(res.output.strip().splitlines()) == 1
        assert not (tmp_path / "x.json").exists()
