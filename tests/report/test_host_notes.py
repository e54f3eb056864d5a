"""Run notes where a host processor's pricing is known to differ from torch (find-C 3, 4):
a traced nn.GRU's cells standing for several ATen calls each, and convolutions priced from a
calibrated x @ W.T table.

Golden values: a 2-step nn.GRU has 2 cells of 10 ATen calls each (RNN.cpp's GRUCell on
precomputed input gates: add_, sigmoid_, add_, sigmoid_, mul_, add, tanh_, sub, mul_, add_),
18 dispatches more than one an op, at a 1 s op_overhead 18 s; a Conv2d + Linear net has one
convolution (its MACs 8 x 3 x 3 x 3 x 6 x 6 = 7,776 of 7,776 + 288 x 10 = 10,656: 73 %)."""

from __future__ import annotations

import pytest

from cimsim import simulate
from conftest import ROUND_ARCH, make_arch

pytestmark = pytest.mark.torch

torch = pytest.importorskip("torch")
nn = torch.nn


def _trace(model, x):
    from cimsim.workload.trace import trace

    torch.manual_seed(0)
    return trace(model.eval(), (x,), batch=1)


class _Gru(nn.Module):
    def __init__(self):
        super().__init__()
        self.g = nn.GRU(8, 16)

    def forward(self, x):
        return self.g(x)[0]


def _proc(**extra):
    return make_arch(processor={**ROUND_ARCH["processor"], "op_overhead": "1 s", **extra})


def test_a_traced_gru_says_its_cells_stand_for_ten_calls():
    r = simulate(_proc(torch_cpu_dispatches=True), _trace(_Gru(), torch.randn(2, 1, 8)))
    line = [n for n in r.notes if "stand for several torch calls" in n]
    assert len(line) == 1
    assert "2 op(s)" in line[0] and "the 10 ATen calls" in line[0]
    assert "18 dispatch(es) more than one an op, 18 s of op time" in line[0]
    assert "views" in line[0] and "not charged" in line[0]
    # a processor that runs one dispatch an op (a GPU's fused cell; the default) says nothing
    r = simulate(_proc(), _trace(_Gru(), torch.randn(2, 1, 8)))
    assert not [n for n in r.notes if "stand for several torch calls" in n]


def test_convolutions_priced_by_the_linear_table_say_so():
    net = nn.Sequential(nn.Conv2d(3, 8, 3), nn.Flatten(), nn.Linear(288, 10))
    w = _trace(net, torch.randn(1, 3, 8, 8))
    table = {"rows": [1, 4096], "fraction": [0.5, 0.5]}
    r = simulate(_proc(mac_efficiency=table), w)
    line = [n for n in r.notes if "convolution(s)" in n]
    assert len(line) == 1
    assert "its 1 convolution(s) (73% of its MACs)" in line[0]
    assert "_slow_conv2d_forward" in line[0]
    # without a measured table the convolution is priced at the declared peak: no such note
    assert not [n for n in simulate(_proc(), w).notes if "convolution(s)" in n]
