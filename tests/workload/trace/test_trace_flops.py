"""The hardened FLOP counter (``trace/flops.py``) counts the in-place matmuls plain
``FlopCounterMode`` has no formula for (a tester's report: ``b.addmm_(x, W)`` counted 0 MACs
while the trace counted 1,024). Goldens are hand arithmetic."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.torch

torch = pytest.importorskip("torch")

x = torch.randn(4, 16)
x3 = torch.randn(2, 4, 16)
CASES = {
    # (4 x 16) @ (16 x 8): 4 * 16 * 8 = 512
    "addmm_": (lambda w: torch.ones(4, 8).addmm_(x, w), (16, 8), 4 * 16 * 8),
    # 2 x (4 x 16) @ (16 x 8): 2 * 4 * 16 * 8 = 1,024
    "baddbmm_": (lambda w: torch.ones(2, 4, 8).baddbmm_(x3, w), (2, 16, 8), 2 * 4 * 16 * 8),
    # the sum over 2 of (4 x 16) @ (16 x 8): 1,024
    "addbmm_": (lambda w: torch.ones(4, 8).addbmm_(x3, w), (2, 16, 8), 2 * 4 * 16 * 8),
    # (8 x 16) @ (16): 128
    "addmv_": (lambda w: torch.ones(8).addmv_(w, x[0]), (8, 16), 8 * 16),
    # out= forms are overloads of the counted packets: the same products
    "mm out=": (lambda w: torch.mm(x, w, out=torch.empty(4, 8)), (16, 8), 4 * 16 * 8),
    "baddbmm out=": (lambda w: torch.baddbmm(torch.ones(2, 4, 8), x3, w, out=torch.empty(2, 4, 8)),
                     (2, 16, 8), 2 * 4 * 16 * 8),
    "addmv out=": (lambda w: torch.addmv(torch.ones(8), w, x[0], out=torch.empty(8)), (8, 16), 8 * 16),
}


@pytest.mark.parametrize("form", list(CASES))
def test_in_place_and_out_matmuls_are_counted(form):
    from cimsim.workload.trace import trace
    from cimsim.workload.trace.flops import count_macs

    fn, shape, macs = CASES[form]

    class M(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.W = torch.nn.Parameter(torch.randn(*shape))

        def forward(self, z):
            return fn(self.W) + z

    m = M().eval()
    assert count_macs(m, (torch.zeros(()),)) == macs
    assert trace(m, (torch.zeros(()),)).macs == macs
