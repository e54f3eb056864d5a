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
    """``cos(n acos x)``: acos 4 + multiply 1 + cos 4 = 9 an element, at degree 10, where every
    |x| < 1."""
    torch = pytest.importorskip("torch")
    assert sum(_vector_ops(lambda v: torch.special.chebyshev_polynomial_t(v, 10),
                           torch.rand(90) * 0.99).values()) == 9 * 90


def test_chebyshev_past_degree_6_runs_the_recurrence_outside_the_unit_interval():
    """torch's kernel takes the cosine only for |x| < 1: with one |x| > 1 the lane group runs the
    recurrence, n − 1 = 9 steps of 3, 27 an element (review19 C 6: 9 before)."""
    torch = pytest.importorskip("torch")
    x = torch.rand(90) * 0.5
    x[7] = 3.0
    assert sum(_vector_ops(lambda v: torch.special.chebyshev_polynomial_t(v, 10), x).values()) == 27 * 90


# complex64 inputs (review19 C 3): (function, per input element, per output element), 1,000 x 3
COMPLEX_CASES = {
    "2-norm": (lambda v: __import__("torch").linalg.vector_norm(v, dim=-1), 7 + 1 + 1, 4),  # |z|, ², +; sqrt
    "ord=1": (lambda v: __import__("torch").linalg.vector_norm(v, ord=1, dim=-1), 7 + 1, 0),  # |z|, +
    "ord=0": (lambda v: __import__("torch").linalg.vector_norm(v, ord=0, dim=-1), 2 + 1, 0),  # 2 compares, +
    "var": (lambda v: v.var(-1), 2 * 4, 2 * 2 + 1),  # var(re) + var(im)
    "std": (lambda v: v.std(-1), 2 * 4, 2 * 2 + 1 + 4),  # and a sqrt
    "logsumexp": (lambda v: __import__("torch").logsumexp(v, -1), 1 + 2 + 14 + 2, 15 + 2),  # complex exp, log
}


@pytest.mark.parametrize("case", list(COMPLEX_CASES))
def test_a_complex_reduction_costs_complex_arithmetic(case):
    """Complex elements cost the complexes module's rules (abs 7, exp 14, log 15, add 2); the
    2-norm as torch's kernel runs it, |z| then its square: 9 x 3,000 + 4 x 1,000 = 31,000, what
    ``(z.abs() ** 2).sum(-1).sqrt()`` traces to. Before, each was its real count (10,000)."""
    torch = pytest.importorskip("torch")
    fn, per_in, per_out = COMPLEX_CASES[case]
    z = torch.randn(1000, 3, dtype=torch.complex64)
    assert sum(_vector_ops(fn, z).values()) == per_in * 3000 + per_out * 1000
    if case == "2-norm":
        assert sum(_vector_ops(lambda v: (v.abs() ** 2).sum(-1).sqrt(), z).values()) == 31_000


def test_a_complex_cross_product_is_six_complex_multiplies():
    """6 complex multiplies (6 each) + 3 complex subtracts (2 each) = 42 a product, 42,000 for
    1,000 (9,000 before); complex sinc twice its real 7 (the complexes module's floor)."""
    torch = pytest.importorskip("torch")
    a, b = torch.randn(1000, 3, dtype=torch.complex64), torch.randn(1000, 3, dtype=torch.complex64)
    assert _vector_ops(lambda x, y: torch.linalg.cross(x, y), a, b) == {"linalg_cross": 42_000}
    assert _vector_ops(torch.sinc, a) == {"sinc": 2 * 7 * 3000}


def _svd_macs(fn, a) -> int:
    torch = pytest.importorskip("torch")
    import cimsim

    class M(torch.nn.Module):
        def forward(self, x):
            return fn(x)

    t = cimsim.simulate(cimsim.load_architecture("cpu-ddr5"), cimsim.trace(M(), (a,))).op_table
    return int(t.macs.sum())


def test_spectral_and_nuclear_norms_cost_the_singular_values():
    """Golub & Van Loan's Golub-Reinsch count, singular values only: 4mn² − 4n³/3 flops, half
    as MACs. 10 matrices of 4 x 4: 10 x (256 − 85.33) / 2 = 853.3 → 853 (review19 C 7: refused
    before); ``svdvals`` of 4 x 6 (m = 6, n = 4): (384 − 85.33) / 2 = 149.3 → 149."""
    torch = pytest.importorskip("torch")
    a = torch.rand(10, 4, 4)
    for fn in (lambda x: torch.linalg.norm(x, ord="nuc", dim=(-2, -1)),
               lambda x: torch.linalg.matrix_norm(x, ord=2), lambda x: torch.linalg.matrix_norm(x, ord=-2)):
        assert _svd_macs(fn, a) == 853
    assert _svd_macs(lambda x: x.norm(p="nuc"), a[0]) == 85  # 170.67 / 2
    assert _svd_macs(torch.linalg.svdvals, torch.rand(4, 6)) == 149


def test_an_svd_with_u_and_v_costs_more():
    """6 x 4, thin U and V: 14mn² + 8n³ = 1,344 + 512 = 1,856 flops, 928 MACs; full U and V:
    4m²n + 8mn² + 9n³ = 576 + 768 + 576 = 1,920 flops, 960 MACs."""
    torch = pytest.importorskip("torch")
    a = torch.rand(6, 4)
    assert _svd_macs(lambda x: torch.linalg.svd(x, full_matrices=False)[0], a) == 928
    assert _svd_macs(lambda x: torch.linalg.svd(x)[0], a) == 960


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
