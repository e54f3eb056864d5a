"""A traced nn.LSTM / nn.GRU step's fused gate arithmetic is charged the ATen calls torch's
native CPU cell makes (find-C 3), not one dispatch.

Golden values, from ``aten/src/ATen/native/RNN.cpp`` (the cells on precomputed input gates):
LSTMCell ``gates = linear(h, w_hh, b_hh).add_(gi)`` (1; the addmm's bias add rides on the
addmm), ``sigmoid_`` x3, ``tanh_`` (4), ``cy = f.mul(cx).add_(i.mul(g))`` (3), ``hy =
o.mul(cy.tanh())`` (2): 10. GRUCell ``r = h_r.add_(x_r).sigmoid_()`` (2), ``z = h_z.add_(x_z)
.sigmoid_()`` (2), ``n = x_n.add(h_n.mul_(r)).tanh_()`` (3), ``(h - n).mul_(z).add_(n)`` (3):
10. With a 1 s op_overhead (dwarfing every other term of these tiny models), each step's cell
op costs 10 s: a T-step single-layer call is T x (recurrent addmm 1 + cell 10) + the input
projection's addmm 1 (its bias add rides on it) seconds."""

from __future__ import annotations

import pytest

from cimsim import simulate
from cimsim.workload.ir import Workload
from conftest import ROUND_ARCH, make_arch

pytestmark = pytest.mark.torch

torch = pytest.importorskip("torch")
nn = torch.nn


class _Seq(nn.Module):
    def __init__(self, rnn):
        super().__init__()
        self.rnn = rnn

    def forward(self, x):
        return self.rnn(x)[0]


def _trace(cls, steps):
    from cimsim.workload.trace import trace

    torch.manual_seed(0)
    return trace(_Seq(cls(8, 16)).eval(), (torch.randn(steps, 1, 8),), batch=1)


@pytest.mark.parametrize("cls", [nn.LSTM, nn.GRU])
def test_each_step_cell_is_ten_aten_calls(cls):
    w = _trace(cls, 3)
    cells = [op for op in w.ops if op.fn in ("lstm_pointwise", "gru_pointwise")]
    assert len(cells) == 3
    assert [op.tags["dispatches"] for op in cells] == [10, 10, 10]
    r = simulate(make_arch(processor={**ROUND_ARCH["processor"], "op_overhead": "1 s", "torch_cpu_dispatches": True}), w)
    # 3 steps x (1 recurrent addmm + 10 cell calls) + 1 input-projection addmm = 34 s
    assert r.latency_s == pytest.approx(3 * (1 + 10) + 1, rel=1e-5, abs=0)
    # a processor without torch_cpu_dispatches (the default: a GPU's fused cell) charges one an
    # op, the tag kept: 3 x (1 + 1) + 1 = 7 s
    r = simulate(make_arch(processor={**ROUND_ARCH["processor"], "op_overhead": "1 s"}), w)
    assert r.latency_s == pytest.approx(3 * 2 + 1, rel=1e-5, abs=0)


def test_an_op_without_the_tag_is_one_dispatch():
    """The same workload with the tag removed: 3 x (1 + 1) + 1 = 7 s (before find-C 3)."""
    w = _trace(nn.GRU, 3)
    from cimsim.workload.trace.fuse import _replace_tags

    bare = Workload(w.name, list(w.tensors.values()), [_replace_tags(op, {k: v for k, v in op.tags.items() if k != "dispatches"})
                                        for op in w.ops], metadata=w.metadata)
    assert not any("dispatches" in op.tags for op in bare.ops)
    r = simulate(make_arch(processor={**ROUND_ARCH["processor"], "op_overhead": "1 s"}), bare)
    assert r.latency_s == pytest.approx(3 * 2 + 1, rel=1e-5, abs=0)
