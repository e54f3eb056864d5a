"""Scans over broadcasts and complex values, the log-space combine (find-X 2 to 5).

Golden values are closed forms in the units of kinds.ELEMENTWISE_OPS_PER_ELEMENT (an add,
multiply, max, abs 1; exp, log, sin, cos 4) and the complex rules of trace/complexes.py (a
complex multiply 6, a complex add 2)."""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch


def _traced(fn, *args):
    """(the workload traced from ``fn(*args)``, op name -> vector ops on cpu-ddr5)."""
    import cimsim

    class M(torch.nn.Module):
        def forward(self, *xs):
            return fn(*xs)

    w = cimsim.trace(M(), args)
    r = cimsim.simulate(cimsim.load_architecture("cpu-ddr5"), w)
    return w, dict(zip(r.op_table.op, r.op_table.vector_ops))


@pytest.mark.parametrize("scan", ["cumsum", "cumprod", "cummax", "logcumsumexp"])
def test_a_scan_over_a_broadcast_computes_every_output(scan):
    """torch.<scan>(a.expand(64, 256), 0): 64 x 256 = 16,384 combines (logcumsumexp's 12 each),
    as over a.repeat(64, 1); it reads the 256 stored elements (before: 256 combines)."""
    per = 12 if scan == "logcumsumexp" else 1

    def f(how):
        def g(a):
            out = getattr(torch, scan)(a.expand(64, 256) if how == "expand" else a.repeat(64, 1), 0)
            return out[0] if isinstance(out, tuple) else out
        return g

    w, ops = _traced(f("expand"), torch.rand(256))
    assert ops[scan] == per * 64 * 256
    [op] = [o for o in w.ops if o.name == scan]
    assert [tuple(w.tensors[i].shape) for i in op.inputs] == [(256,)]  # the bytes read: 256 stored
    assert _traced(f("repeat"), torch.rand(256))[1][scan] == per * 64 * 256


def test_a_sum_over_a_broadcast_adds_every_logical_element():
    """a.expand(64, 256).sum(0): torch's kernel walks the stride 0, 16,384 adds (before 256)."""
    assert _traced(lambda a: a.expand(64, 256).sum(0), torch.rand(256))[1]["sum"] == 64 * 256


def test_complex_scans_cost_the_complex_rules():
    """4 x 256 complex elements: cumprod a complex multiply each, 6 x 1,024 = 6,144; cumsum a
    complex add, 2 x 1,024 = 2,048 (before: 1,024 each); a level of cumprod is 6 serial ops:
    ceil(log2 256) = 8 levels, 48 (chain 8)."""
    z = torch.complex(torch.randn(4, 256), torch.randn(4, 256))
    w, ops = _traced(lambda z: torch.view_as_real(torch.cumprod(z, 1)), z)
    assert ops["cumprod"] == 6 * 1024
    [op] = [o for o in w.ops if o.name == "cumprod"]
    assert (op.tags["serial_ops"], op.tags["chain_ops"]) == (6 * 8, 8)
    assert _traced(lambda z: torch.view_as_real(torch.cumsum(z, 1)), z)[1]["cumsum"] == 2 * 1024


def test_polar_costs_cos_sin_and_two_multiplies_and_views_stay_free():
    """torch.polar(r, theta): r cos(theta) + i r sin(theta), 4 + 4 + 1 + 1 = 10 an element, 1,024
    elements: 10,240 (before: a copy, 0); view_as_complex / view_as_real add no op."""
    r, th = torch.rand(4, 256), torch.rand(4, 256)
    _, ops = _traced(lambda r, th: torch.view_as_real(torch.polar(r, th)), r, th)
    assert ops == {"polar": 10 * 1024}
    _, ops = _traced(lambda x: torch.view_as_real(torch.view_as_complex(x) * 2.0), torch.rand(4, 256, 2))
    assert ops == {"mul": 2 * 1024}  # a complex times a real: 2 an element, the views free


def test_logcumsumexp_levels_cost_the_combines_dependent_ops():
    """A level is max -> sub -> exp -> log1p -> add: 5 dependent ops, 1 + 1 + 4 + 4 + 1 = 11 serial
    ops; T = 16: 4 levels, chain 20 and serial 44 (before: 4 and 4)."""
    w, _ = _traced(lambda x: torch.logcumsumexp(x, 1), torch.randn(4, 16))
    [op] = [o for o in w.ops if o.name == "logcumsumexp"]
    assert (op.tags["chain_ops"], op.tags["serial_ops"]) == (5 * 4, 11 * 4)


@pytest.mark.parametrize("fn, per, chain, serial", [
    ("logaddexp", 12, 5, 11),   # max, sub, abs, exp 4, log1p 4, add; sub -> abs -> exp -> log1p -> add
    ("logaddexp2", 13, 6, 12),  # the same and a multiply by 1 / ln 2 before the add
])
def test_logaddexp_costs_its_kernels_arithmetic(fn, per, chain, serial):
    """1,024 elements (before: refused, no mapping)."""
    w, ops = _traced(getattr(torch, fn), torch.randn(4, 256), torch.randn(4, 256))
    assert ops == {fn: per * 1024}
    [op] = w.ops
    assert (op.tags["chain_ops"], op.tags["serial_ops"]) == (chain, serial)


def test_a_log_space_scan_is_deeper_than_its_levels():
    """minGRU's log-space form through logcumsumexp over T = 16: its scan alone is 5 x log2 16 =
    20 steps on the path, so the whole graph is more than 20 deep."""
    import cimsim

    class Heinsen(torch.nn.Module):
        def forward(self, log_a, log_b):
            a_star = torch.cumsum(log_a, 1)
            return torch.exp(a_star + torch.logcumsumexp(log_b - a_star, 1))

    w = cimsim.trace(Heinsen(), (torch.randn(2, 16, 8), torch.randn(2, 16, 8)))
    r = cimsim.simulate(cimsim.load_architecture("cpu-ddr5"), w, engine="analytic")
    levels = int(math.log2(16))
    # cumsum (4 levels), sub (1), logcumsumexp (20), add -> exp (2)
    assert r.graph_depth_serial_steps == levels + 1 + 5 * levels + 2
