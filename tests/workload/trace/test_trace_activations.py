"""Every activation of torch.nn.functional traces (find-A 2): ``F.softshrink`` (FourCastNet's
AFNO sparsity step), ``F.hardshrink`` and ``F.rrelu`` (aten ``rrelu_with_noise``) were refused as
unmapped, and a traced training step of ``F.glu`` / ``F.prelu`` stopped at their backwards.

Goldens are closed form in the unit of kinds.ELEMENTWISE_OPS_PER_ELEMENT (a compare, an add, a
select, a multiply 1; sigmoid 4; a random draw 20), per the counts trace/activations.py states.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.torch

torch = pytest.importorskip("torch")
F = torch.nn.functional

N = 4 * 8  # elements of the (4, 8) input


class Fn(torch.nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return self.fn(x)


def _ops(fn, x=None):
    import cimsim
    wl = cimsim.trace(Fn(fn), (torch.randn(4, 8) if x is None else x,), batch=1)
    return wl, [op for op in wl.ops if op.kind != "matmul"]


def _vec(wl, op) -> float:
    from cimsim.workload.kinds import ELEMENTWISE_OPS_PER_ELEMENT
    per = ELEMENTWISE_OPS_PER_ELEMENT[op.fn] if op.ops_per_element is None else op.ops_per_element
    return per * sum(wl.tensors[t].numel for t in op.outputs)


@pytest.mark.parametrize("fn, per", [
    (lambda x: F.softshrink(x, 0.01), 5),  # x - λ, max 0, x + λ, min 0, their sum
    (lambda x: F.hardshrink(x, 0.5), 3),  # |x|, a compare, a select
    (lambda x: F.rrelu(x, training=False), 1),  # eval: leaky_relu(x, (l + u) / 2), as F.leaky_relu
    (lambda x: F.leaky_relu(x, 0.2), 1),
])
def test_an_activation_is_one_op_of_its_arithmetic(fn, per):
    wl, (op,) = _ops(fn)
    assert op.kind == "elementwise" and op.inputs == ("x",)
    assert _vec(wl, op) == per * N


def test_eval_rrelu_neither_reads_nor_writes_its_noise():
    """In eval torch runs leaky_relu and leaves the ``noise`` tensor alone: no read, no write."""
    wl, (op,) = _ops(lambda x: F.rrelu(x, training=False))
    assert len(op.outputs) == 1 and sum(wl.tensors[t].nbytes for t in op.outputs) == N * 4


def test_training_rrelu_draws_a_slope_per_element_and_writes_it():
    """A draw (20), its scaling into [lower, upper] (2), a compare, a multiply, a select (3): 25
    an element; it writes the output and the slopes its backward reads, 2 x 32 fp32 = 256 B."""
    wl, (op,) = _ops(lambda x: F.rrelu(x, training=True))
    assert _vec(wl, op) == 25 * N
    assert sum(wl.tensors[t].nbytes for t in op.outputs) == 2 * N * 4


class TrainStep(torch.nn.Module):  # one Linear, the activation, loss.backward()
    def __init__(self, fn):
        super().__init__()
        self.lin, self.fn = torch.nn.Linear(8, 8), fn

    def forward(self, x):
        with torch.enable_grad():
            y = self.fn(self.lin(x))
            y.sum().backward()
        return y.detach()


@pytest.mark.parametrize("fn, aten, per_grad", [
    (lambda x: F.softshrink(x, 0.01), "softshrink_backward", 3),  # |x|, a compare, a select
    (lambda x: F.hardshrink(x, 0.5), "hardshrink_backward", 3),
    (lambda x: F.glu(x, -1), "glu_backward", 9),  # sigmoid 4, g·s 1, g·a·s·(1 - s) 4
])
def test_a_backward_of_an_activation_costs_its_arithmetic(fn, aten, per_grad):
    """Per element of the gradient it is given (glu: the (4, 4) output's 16; the shrinks 32)."""
    import cimsim
    wl = cimsim.trace(TrainStep(fn), (torch.randn(4, 8),), batch=1)
    (op,) = [op for op in wl.ops if op.tags.get("aten") == aten]
    grad = N // 2 if aten == "glu_backward" else N
    assert _vec(wl, op) == per_grad * grad


def test_prelu_backward_writes_both_gradients_at_five_an_element():
    """dx = x > 0 ? g : w·g and dw = x > 0 ? 0 : x·g: a compare, 2 multiplies, 2 selects."""
    import cimsim
    prelu = torch.nn.PReLU()
    wl = cimsim.trace(TrainStep(prelu), (torch.randn(4, 8),), batch=1)
    (op,) = [op for op in wl.ops if op.tags.get("aten") == "_prelu_kernel_backward"]
    assert _vec(wl, op) == 5 * N


def test_every_activation_module_traces_in_eval_and_training():
    """torch.nn.modules.activation's classes (less MultiheadAttention) all have a mapping:
    a new one torch adds fails here, not in a user's trace."""
    import cimsim
    from torch.nn.modules import activation
    x = torch.randn(2, 4, 8)  # 3-D: Softmax2d's least
    for name in activation.__all__:
        if name == "MultiheadAttention":
            continue
        cls = getattr(activation, name)
        module = cls(0.1, 0.0) if name == "Threshold" else cls()
        for train in (False, True):
            wl = cimsim.trace(module.train(train), (x,), batch=1)  # raises on an unmapped aten op
            assert wl.ops, name
