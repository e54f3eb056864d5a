"""Scans and fused recurrences keep their serial depth (find-C findings 2 and 4).

Goldens are closed form: a parallel scan of n elements is ceil(log2 n) levels deep; the round
processor (tests/conftest.py) runs one dependent operation a cycle at 1 GHz on 4 x 8 lanes.
"""

from __future__ import annotations

import math

import pytest


def _torch():
    return pytest.importorskip("torch")


@pytest.mark.torch
@pytest.mark.parametrize("fn", ["cumsum", "cumprod", "logcumsumexp", "cummax", "cummin"])
def test_a_scan_carries_a_parallel_scan_depth(fn):
    """Every output of an inclusive scan depends on all earlier elements: along a dim of 100 it is
    ceil(log2 100) = 7 levels deep (tag serial_ops), whatever the other dims hold. Before, the
    scans were plain reductions with no depth."""
    torch = _torch()
    from cimsim.workload.trace import trace

    class Scan(torch.nn.Module):
        def forward(self, x):
            out = getattr(torch, fn)(x, dim=-1)
            return out[0] if isinstance(out, tuple) else out

    w = trace(Scan(), (torch.randn(3, 100),))
    [op] = [op for op in w.ops if op.name.startswith(fn)]
    assert op.tags["scan_length"] == 100
    # a level: one combine; logcumsumexp's log_add_exp is max -> sub -> exp -> log1p -> add, 5
    # dependent ops and 1 + 1 + 4 + 4 + 1 = 11 serial ops (find-X 4)
    chain, serial = (5, 11) if fn == "logcumsumexp" else (1, 1)
    assert op.tags["serial_ops"] == serial * math.ceil(math.log2(100)) == serial * 7
    assert op.tags["chain_ops"] == chain * 7


@pytest.mark.torch
def test_a_cumsum_takes_its_log_depth_on_the_processor():
    """torch.cumsum over 64 elements: 64 adds are 2 cycles of the 32 lanes, but the scan is
    log2 64 = 6 levels, so 6 ns at 1 GHz. Before, 2 ns: the 63 dependent adds ran as if
    independent (a cumsum recurrence was 512 x faster than the same loop at T = 2048)."""
    torch = _torch()
    from cimsim import simulate
    from cimsim.workload.trace import trace
    from conftest import make_arch

    class CS(torch.nn.Module):
        def forward(self, x):
            return torch.cumsum(x, 0)

    w = trace(CS(), (torch.randn(64),))
    row = simulate(make_arch(), w, engine="analytic").op_table.set_index("op").loc["cumsum"]
    assert row["vector_ops"] == 64
    assert row["compute_s"] == pytest.approx(6 / 1e9, rel=1e-12, abs=0)
