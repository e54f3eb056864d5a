"""A traced training step with an optimizer (tester D's report find-D, 2026-12): state written
in place, the optimizer's state, the statistics of the weights the forward read, and what a
run says about a step.

Goldens are hand arithmetic written beside each assertion, never the tracer's output."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest
from test_trace_training import _trace as trace_factory

pytestmark = pytest.mark.torch

torch = pytest.importorskip("torch")
README = (Path(__file__).resolve().parents[3] / "README.md").read_text(encoding="utf-8")

I, H, O, B = 64, 128, 10, 8  # the MLP of the report: 64 -> 128 -> 10, a minibatch of 8

FACTORIES = dedent(f'''
    import torch
    from torch import nn

    class Step(nn.Module):
        """One training step: MSE written out, backward, then the optimizer's update."""
        def __init__(s, opt, steps=1, hidden={H}):
            super().__init__()
            s.net = nn.Sequential(nn.Linear({I}, hidden), nn.ReLU(), nn.Linear(hidden, {O}))
            s.o = opt(s.net.parameters()) if opt else None
            s.steps = steps
        def forward(s, x, y):
            with torch.enable_grad():
                for _ in range(s.steps):
                    loss = ((s.net(x) - y) ** 2).mean()
                    loss.backward()
                    if s.o is not None:
                        s.o.step(); s.o.zero_grad()
            return loss.detach()

    def mk(opt=None, warm=False, steps=1, hidden={H}):
        torch.manual_seed(0)
        m, a = Step(opt, steps, hidden).eval(), (torch.randn({B}, {I}), torch.randn({B}, {O}))
        if warm:
            m(*a)  # a step outside the tracer: the optimizer's state exists, as at any later step
        return m, a

    def adam(): return mk(lambda p: torch.optim.Adam(p, lr=1e-3, foreach=False), warm=True)
    def adam_cold(): return mk(lambda p: torch.optim.Adam(p, lr=1e-3, foreach=False))
    def sgdm(): return mk(lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, foreach=False), warm=True)
    def sgd(): return mk(lambda p: torch.optim.SGD(p, lr=0.1, foreach=False))
    def sgd2(): return mk(lambda p: torch.optim.SGD(p, lr=0.1, foreach=False), steps=2)
    def bwd(): return mk()
    def bwd8(): return mk(hidden=8)  # dW1 of 8 rows: within an attention PIM's max_rows

    class EMA(nn.Module):
        """A buffer updated in place, then read: m <- 0.9 m + 0.1 x; y = x - m."""
        def __init__(s):
            super().__init__(); s.register_buffer("m", torch.zeros(4096))
        def forward(s, x):
            s.m.mul_(0.9).add_(x, alpha=0.1)
            return x - s.m

    def ema(): return EMA(), (torch.randn(4096),)

    class AttrEMA(nn.Module):
        """The same state as a plain tensor attribute, not a registered buffer."""
        def __init__(s):
            super().__init__(); s.m = torch.zeros(4096)
        def forward(s, x):
            s.m.mul_(0.9).add_(x, alpha=0.1)
            return x - s.m

    def attr_ema(): return AttrEMA(), (torch.randn(4096),)
''')


def _trace(tmp_path, name, *extra):
    return trace_factory(tmp_path, name, *extra, factories=FACTORIES)


def _bytes(w, names) -> int:
    return sum(w.tensors[n].nbytes for n in names)


def _update_of(w, weight):
    """The fused op that reads parameter ``weight`` and writes its new value."""
    return next(op for op in w.ops if op.tags.get("fused") and weight in op.inputs)


@pytest.mark.parametrize("factory, state, per_param", [
    # Adam reads p, g, m, v and writes p, m, v: 7 x 4 B = 28 B per fp32 parameter (not 20: the
    # m and v write-backs were dropped, read again by the update in the same fused op)
    ("adam", ("exp_avg", "exp_avg_sq"), 7 * 4),
    # SGD with momentum reads p, g, buf and writes p, buf: 5 x 4 B = 20 B (not 16)
    ("sgdm", ("momentum_buffer",), 5 * 4),
])
def test_an_optimizer_step_writes_its_state_back(tmp_path, factory, state, per_param):
    from cimsim.workload import load_workload

    r, out = _trace(tmp_path, factory)
    assert r.exit_code == 0, r.output
    w = load_workload(out)
    op = _update_of(w, "net.0.weight")
    assert _bytes(w, (*op.inputs, *op.outputs)) == per_param * H * I
    assert len(op.outputs) == 1 + len(state)  # the parameter and each state tensor
    # the state is named by its parameter and key, not a constant made outside torch
    assert {f"net.0.weight.{k}" for k in state} <= set(op.inputs)
    assert "work done outside torch" not in r.output and "untraced_tensors" not in w.metadata


def test_a_buffer_updated_in_place_then_read_is_written_back(tmp_path):
    """m <- 0.9 m + 0.1 x, then x - m: reads m and x, writes m and y: 4 x 4 B = 16 B an element
    (12 B before: the new m, read by the subtraction in the same fused op, was not written)."""
    from cimsim.workload import load_workload

    r, out = _trace(tmp_path, "ema")
    assert r.exit_code == 0, r.output
    w = load_workload(out)
    (op,) = w.ops
    assert _bytes(w, (*op.inputs, *op.outputs)) == 16 * 4096


def test_state_in_a_plain_tensor_attribute_updated_in_place_is_written_back(tmp_path):
    """The EMA above with m a plain attribute (self.m = torch.zeros(n), no buffer): it
    outlives the step all the same, so m and x read, m and y written: 4 x 4 B = 16 B an element
    (12 B before: the new m was not written, 25 % low)."""
    from cimsim.workload import load_workload

    r, out = _trace(tmp_path, "attr_ema")
    assert r.exit_code == 0, r.output
    w = load_workload(out)
    (op,) = w.ops
    assert len(op.outputs) == 2  # the new m and y
    assert _bytes(w, (*op.inputs, *op.outputs)) == 16 * 4096


def test_a_weight_gradient_reads_no_kv_cache(tmp_path):
    """dW1 = dY^T x reads the model input x as its B operand with no stationary weight: the
    KV-cache rule called the minibatch a KV cache (x = 8 x 64 x 4 B = 2,048 B) and an attention
    PIM (claims: [kv_cache]) took the weight gradient of an 8-wide layer. An MLP has no KV
    cache, and its gradients run where its other matmuls do."""
    import cimsim
    from cimsim.workload import load_workload

    r, out = _trace(tmp_path, "bwd8")
    assert r.exit_code == 0, r.output
    w = load_workload(out)
    dw1 = [op for op in w.ops if op.kind == "matmul" and op.weight is None and "x" in op.inputs]
    assert [(op.m, op.k, op.n) for op in dw1] == [(8, B, I)]  # dW1: 8 x 8 x 64
    assert w.footprint.kv_cache == 0
    t = cimsim.simulate(cimsim.load_architecture("gpu-hbm-pim-attn"), w).op_table
    assert set(t[t.op.isin([op.name for op in dw1])].unit) == {"processor"}


def test_stats_of_a_step_are_of_the_weights_the_forward_read(tmp_path):
    """`cimsim trace --stats` of a step with SGD crashed with a 50-line traceback (torch
    refused a view of the updated weight), and, where it did not, measured the weights after
    the update. The figure is mean |W| of the weights before the step."""
    from cimsim.workload.trace import trace

    ns: dict = {}
    exec(FACTORIES, ns)
    model, args = ns["sgd"]()
    before = model.net[0].weight.detach().clone()
    w = trace(model, args, stats_bits=8)
    assert not torch.equal(before, model.net[0].weight)  # the step did update the weight
    (fwd,) = [op for op in w.ops if op.tags.get("weight_name") == "net.0.weight"]
    assert fwd.tags["weight_abs_mean"] == pytest.approx(float(before.abs().double().mean()), rel=1e-12, abs=0)
    r, _ = _trace(tmp_path, "sgd", "--stats")
    assert r.exit_code == 0 and "3 of 3 weight matmuls" in r.output, r.output


def test_a_run_of_a_training_step_says_what_it_leaves_out(tmp_path):
    """A run of a traced step said nothing about training, and on a CIM presented the weights
    as programmed once. It now says the step is a training step; where the device programs
    weights, that an optimizer step would reprogram them every step (the programming energy,
    per step, not charged) and that endurance bounds the steps; and, for two steps in one
    trace, that the second step's matmuls read the updated weights as activations."""
    import cimsim
    from cimsim.workload import load_workload

    arch = cimsim.load_architecture("sram-cim")
    r, out = _trace(tmp_path, "sgd")
    assert r.exit_code == 0, r.output
    w = load_workload(out)
    assert w.metadata["updated_parameters"] == 4  # 2 weights, 2 biases
    # the trace's own note agrees with the README: the update is traced, training is not modelled
    # (it said "training, optimizer updates included, is not modelled")
    assert "optimizer updates included" not in r.output
    assert "the optimizer's in-place update of 4 parameter(s)" in r.output
    # review 19-A 3: it said per-step reprogramming and endurance are not modelled (a run
    # reports both) and pointed to a README section, 'Not modelled', that does not exist
    said = r.output.replace("\n", " ")
    assert "reprogramming of a weight-holding device" not in said and "'Not modelled'" not in said
    assert "a run on a CIM reports a full rewrite of the updated weights a step and the steps " \
        "the cells last (step_write_energy_j, steps_to_wearout)" in said
    assert "README 'Training on a CIM: what is modelled'" in said
    assert "### Training on a CIM: what is modelled" in README
    res = cimsim.simulate(arch, w)
    said = " ".join(res.notes)
    assert "a traced training step" in said and "training is not modelled" in said
    assert "the step updates 4 parameter(s) in place" in said
    assert "step_write_energy_j" in said and "endurance" in said
    assert "read a weight the traced step had already updated" not in said
    # two steps: step 2 reads W1 and W2 in its forward and W2 in its dX2 = dY W2: 3 matmuls
    r, out = _trace(tmp_path, "sgd2")
    w2 = load_workload(out)
    assert w2.metadata["updated_weight_reads"] == 3
    said = " ".join(cimsim.simulate(arch, w2).notes)
    assert "3 matmul(s) read a weight the traced step had already updated" in said
    # find-O 7: two steps are no "one step with the weights in place"; one rewrite between them
    assert "every step" not in said and "finds the weights in place" not in said
    assert "rewritten in full between steps" in said and "not charged" in said
    # an inference trace: none of it
    r, out = _trace(tmp_path, "bwd")
    said = " ".join(cimsim.simulate(cimsim.load_architecture("gpu-hbm3"), load_workload(out)).notes)
    assert "a traced training step" in said and "in place" not in said
