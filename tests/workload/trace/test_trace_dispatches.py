"""One dispatch per torch call (find-T, finding 5): a Linear's bias add, and a host-run
convolution's im2col copy, ride on the matmul's dispatch (tag ``launch``) where torch runs one
``addmm`` / one convolution call.

Golden values: the count of torch calls (``linear`` x3 + ``relu`` x2 = 5; ``conv`` + ``relu`` +
``conv`` + ``linear`` = 4) times a 1 s per-op overhead, which dwarfs every other term of these
tiny models (a few hundred MACs at 32 GMAC/s, 100 ns DRAM latency)."""

from __future__ import annotations

import pytest

from cimsim import simulate
from conftest import ROUND_ARCH, make_arch

pytestmark = pytest.mark.torch

torch = pytest.importorskip("torch")
nn = torch.nn


def _trace(model, *inputs):
    from cimsim.workload.trace import trace

    return trace(model.eval(), inputs)


def _slow_dispatch():
    return make_arch(processor={**ROUND_ARCH["processor"], "op_overhead": "1 s"})


def test_mlp_pays_one_dispatch_per_torch_call():
    torch.manual_seed(0)
    m = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 4))
    w = _trace(m, torch.randn(1, 8))
    # the last Linear's bias add is an op of its own, in the addmm's launch
    last = [op for op in w.ops if op.tags.get("module") == "4"]
    assert [op.kind for op in last] == ["matmul", "elementwise"]
    assert last[0].tags["launch"] == last[1].tags["launch"]
    # a bias add fused into the following ReLU keeps no lone launch tag
    assert sum("launch" in op.tags for op in w.ops) == 2
    r = simulate(_slow_dispatch(), w)
    assert r.latency_s == pytest.approx(5 * 1.0, rel=1e-5, abs=0)  # 3 linear + 2 relu calls


def test_conv_im2col_rides_on_the_convolution():
    torch.manual_seed(0)
    m = nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 4, 3, padding=1, bias=False),
                      nn.Flatten(), nn.Linear(4 * 4 * 4, 2, bias=False))
    w = _trace(m, torch.randn(1, 2, 4, 4))
    assert sum(op.tags.get("part") == "im2col" for op in w.ops) == 2
    r = simulate(_slow_dispatch(), w)
    # conv(+bias), relu, conv, linear: 4 torch calls, not 4 + 2 im2col copies
    assert r.latency_s == pytest.approx(4 * 1.0, rel=1e-5, abs=0)
