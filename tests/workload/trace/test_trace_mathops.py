"""Norms, variances, log-sum-exps, cross products, special functions, det and segment_reduce cost
their kernels' arithmetic (find-H 2, find-E 2 and 3), not one op per element.

Goldens are closed form in the unit of kinds.ELEMENTWISE_OPS_PER_ELEMENT: add, multiply, compare,
abs 1; exp, log, sqrt, pow, sin 4. Each model is traced with real tensors and run on cpu-ddr5.
"""

from __future__ import annotations

import math

import pytest

pytestmark = pytest.mark.torch


def _vector_ops(fn, *args) -> dict[str, float]:
    """Op name -> vector ops of ``fn(*args)`` traced and simulated on cpu-ddr5."""
    torch = pytest.importorskip("torch")
    import cimsim

    class M(torch.nn.Module):
        def forward(self, *xs):
            return fn(*xs)

    r = cimsim.simulate(cimsim.load_architecture("cpu-ddr5"), cimsim.trace(M(), args))
    return dict(zip(r.op_table.op, r.op_table.vector_ops))


# (function, per input element, per output element), vectors of 3 reduced along the last dim
NORM_CASES = {
    "linalg.norm": (lambda v: __import__("torch").linalg.norm(v, dim=-1), 2, 4),  # x², +; sqrt
    "Tensor.norm": (lambda v: v.norm(dim=-1), 2, 4),
    "ord=1": (lambda v: __import__("torch").linalg.vector_norm(v, ord=1, dim=-1), 2, 0),  # |x|, +
    "ord=inf": (lambda v: __import__("torch").linalg.vector_norm(v, ord=math.inf, dim=-1), 2, 0),
    "ord=-inf": (lambda v: __import__("torch").linalg.vector_norm(v, ord=-math.inf, dim=-1), 2, 0),
    "ord=0": (lambda v: __import__("torch").linalg.vector_norm(v, ord=0, dim=-1), 2, 0),
    "ord=3": (lambda v: __import__("torch").linalg.vector_norm(v, ord=3, dim=-1), 1 + 4 + 1, 4),  # |x|, pow, +; pow 1/p
    "var": (lambda v: v.var(-1), 4, 2),  # +, -, x², +; two divides
    "std": (lambda v: v.std(-1), 4, 2 + 4),  # and a sqrt
    "logsumexp": (lambda v: __import__("torch").logsumexp(v, -1), 1 + 1 + 4 + 1, 4 + 1),  # max, -, exp, +; log, + max
}


@pytest.mark.parametrize("case", list(NORM_CASES))
def test_a_reduction_costs_its_arithmetic(case):
    """1,000 vectors of 3: per input element and per output element as the module docstring states
    (the 2-norm: 3 x 2 + 4 = 10 a vector, 10,000). Before, every one was 3,000 (1 an input element)."""
    torch = pytest.importorskip("torch")
    fn, per_in, per_out = NORM_CASES[case]
    ops = _vector_ops(fn, torch.randn(1000, 3))
    assert sum(ops.values()) == per_in * 3000 + per_out * 1000


def test_a_norm_costs_the_same_as_written_out():
    """``linalg.norm(v, dim=-1)`` and ``(v * v).sum(-1).sqrt()`` are the same 10 ops a 3-vector."""
    torch = pytest.importorskip("torch")
    v = torch.randn(1000, 3)
    assert sum(_vector_ops(lambda x: torch.linalg.norm(x, dim=-1), v).values()) == \
        sum(_vector_ops(lambda x: (x * x).sum(-1).sqrt(), v).values()) == 10_000


def test_logsumexp_costs_the_same_as_written_out():
    """4,096 rows of 64: 7 x 262,144 + 5 x 4,096 = 1,855,488, as ``amax``, subtract, ``exp``,
    ``sum``, ``log`` and the max added back trace to (find-H 2: 262,144 before)."""
    torch = pytest.importorskip("torch")
    x = torch.rand(4096, 64)
    lse = _vector_ops(lambda v: torch.logsumexp(v, -1), x)
    hand = _vector_ops(lambda v: (v - v.amax(-1, keepdim=True)).exp().sum(-1).log()
                       + v.amax(-1), x)
    assert sum(lse.values()) == 7 * 262_144 + 5 * 4_096 == 1_855_488
    assert sum(hand.values()) == 7 * 262_144 + 5 * 4_096 + 262_144  # its second amax: 1 an element


def test_logcumsumexp_costs_a_log_add_exp_per_element():
    """Each element is one ``log_add_exp`` combine: max, min, subtract, exp (4), log1p (4), add,
    12; 4,096 x 64 = 262,144 elements: 3,145,728 (find-H 2: 262,144 before)."""
    torch = pytest.importorskip("torch")
    ops = _vector_ops(lambda v: torch.logcumsumexp(v, -1), torch.rand(4096, 64))
    assert ops == {"logcumsumexp": 12 * 262_144}


@pytest.mark.parametrize("which", ["torch.cross", "linalg.cross"])
def test_a_cross_product_is_six_multiplies_and_three_subtracts(which):
    """1,000 cross products of 3-vectors: 9 ops each, 9,000 (find-E 3: refused before)."""
    torch = pytest.importorskip("torch")
    f = torch.cross if which == "torch.cross" else torch.linalg.cross
    ops = _vector_ops(lambda a, b: f(a, b, dim=-1), torch.randn(1000, 3), torch.randn(1000, 3))
    assert ops == {"linalg_cross": 9_000}


def test_special_functions_cost_their_kernels():
    """Per element: sinc 1 (== 0) + 1 (× π) + 4 (sin) + 1 (÷) = 7; spherical j0 3 tests + sin +
    ÷ = 8; Cephes J0 / J1 2 (branch) + 2 (25/x²) + 2 x (7 + 7 + 8 + 7) (Horner) + 22 (two ratios,
    the phase, sin, cos, 5/x, 4 multiplies, a subtract, sqrt, a divide) = 84. 90 elements."""
    torch = pytest.importorskip("torch")
    x = torch.rand(90) * 10
    assert _vector_ops(torch.sinc, x) == {"sinc": 7 * 90}
    assert _vector_ops(torch.special.spherical_bessel_j0, x) == {"special_spherical_bessel_j0": 8 * 90}
    assert _vector_ops(torch.special.bessel_j0, x) == {"special_bessel_j0": 84 * 90}
    assert _vector_ops(torch.special.bessel_j1, x) == {"special_bessel_j1": 84 * 90}


@pytest.mark.parametrize("fn, step", [("legendre_polynomial_p", 5), ("hermite_polynomial_h", 4),
                                      ("hermite_polynomial_he", 3), ("laguerre_polynomial_l", 6),
                                      ("chebyshev_polynomial_t", 3)])
def test_a_polynomial_costs_its_recurrence(fn, step):
    """Degree 4: 3 recurrence steps per element (Legendre ((2k+1) x q − k p)/(k+1): 5 ops);
    a tensor degree costs its largest value; 90 elements."""
    torch = pytest.importorskip("torch")
    f = getattr(torch.special, fn)
    x = torch.rand(90)
    assert sum(_vector_ops(lambda v: f(v, 4), x).values()) == 3 * step * 90
    degree = torch.tensor([1, 2, 4]).repeat(30)
    assert sum(_vector_ops(f, x, degree).values()) == 3 * step * 90


def test_chebyshev_past_degree_6_is_a_cosine():
    """``cos(n acos x)``: acos 4 + multiply 1 + cos 4 = 9 an element, at degree 10."""
    torch = pytest.importorskip("torch")
    assert sum(_vector_ops(lambda v: torch.special.chebyshev_polynomial_t(v, 10),
                           torch.rand(90)).values()) == 9 * 90


def test_det_is_an_lu_and_its_diagonal_product():
    """10 matrices of 3 x 3: LU Σ (3 − j)² = 4 + 1 = 5 MACs, (2·2 + 1) + (2·1 + 1) + 1 = 9
    divisions and pivot compares, and 3 for the diagonal product and the sign: 50 MACs, 120 ops.
    slogdet: 7 a diagonal entry (|u|, log, add, the sign's multiply): 10 x (9 + 21) = 300."""
    torch = pytest.importorskip("torch")
    import cimsim

    a = torch.randn(10, 3, 3)
    for f, vec in [(torch.linalg.det, 120), (torch.linalg.slogdet, 300)]:
        class M(torch.nn.Module):
            def forward(self, x):
                return f(x)

        t = cimsim.simulate(cimsim.load_architecture("cpu-ddr5"), cimsim.trace(M(), (a,))).op_table
        assert (t.macs.sum(), t.vector_ops.sum()) == (50, vec)


def test_segment_reduce_is_one_combine_per_element():
    """10 rows of 4 in segments of 3 and 7: 40 adds, + 8 divides for mean."""
    torch = pytest.importorskip("torch")
    x, lengths = torch.randn(10, 4), torch.tensor([3, 7])
    for reduce, vec in [("sum", 40), ("max", 40), ("mean", 48)]:
        ops = _vector_ops(lambda v, n: torch.segment_reduce(v, reduce, lengths=n), x, lengths)
        assert ops == {"segment_reduce": vec}
