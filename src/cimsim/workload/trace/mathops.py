"""Math ops whose work is not one op per element: norms, variances, log-sum-exps, cross products,
special functions, determinants, orthogonal polynomials, segment reductions.

Each is costed by the arithmetic its torch kernel runs, in the unit of
:data:`~cimsim.workload.kinds.ELEMENTWISE_OPS_PER_ELEMENT` (an add, a multiply, a compare 1;
``exp``, ``log``, ``sqrt``, ``pow``, ``sin`` / ``cos`` 4). Reductions (kind ``reduction``) count
per input element and per output element:

* **vector norms** (``linalg_vector_norm``, ``norm``, ``frobenius_norm``: ``torch.linalg.norm``,
  ``vector_norm``, ``Tensor.norm``, ``F.normalize``'s norm): the ``cdist`` direct path's rule
  less its subtract (:func:`.distances.direct_ops`). Per input element p = 2 a square and an add,
  p = 1 an absolute value and an add, p = ±∞ an absolute value and a max, p = 0 a compare and an
  add, 2; any other p an absolute value, a power (4) and an add, 6. Per output element p = 2 a
  square root (4), another p (not 0, 1, ±∞) a power 1/p (4). The 2-norm of a 3-vector: 3·2 + 4 = 10.
* **var / std** (``var``, ``std``, ``var_mean``, ``std_mean``): per input element an add (the
  mean's sum), a subtract, a square and an add, 4; per output element the mean's and the sum of
  squares' divisions, 2, and for ``std`` a square root (4): 6.
* **logsumexp**: per input element a max, a subtract, an ``exp`` (4) and an add, 7 (softmax's
  7 counts its divide in place of the add); per output element a ``log`` (4) and the max added
  back, 5. The written-out ``(x - m).exp().sum(-1).log() + m`` traces to the same.
* **logcumsumexp**: a scan whose combine is torch's ``log_add_exp``: a max, a min, a subtract,
  an ``exp`` (4), a ``log1p`` (4) and an add, 12 per input element.

Pointwise (kind ``elementwise``, per output element):

* **cross product** (``linalg_cross``: ``torch.cross``, ``torch.linalg.cross``): 6 multiplies
  and 3 subtracts per 3-vector, 3 per output element.
* **sinc**: a compare with 0, a multiply by π, ``sin`` (4) and a divide, 7;
  **spherical_bessel_j0**: its branch for |x| ≥ 0.5, ``sin(x) / x`` (5) after the ``isinf``,
  absolute value and compare (3), 8.
* **bessel_j0 / bessel_j1** (Cephes, torch's ``Math.h``): the large-argument branch (|x| > 5,
  the costlier, which a SIMD lane group pays whenever its lanes diverge): 2 for the branch
  (an absolute value, a compare), 2 for the argument 25/x², four Horner polynomials of 7, 7, 8
  and 7 coefficients (a multiply and an add each, 58), then two ratios, the phase (a subtract),
  ``sin`` and ``cos`` (8), 5/x, four multiplies, a subtract, ``sqrt`` (4) and a divide (22): 84.
* **i0** (the modified Bessel function of order 0 that ``torch.signal.windows.kaiser`` runs;
  torch's ``calc_i0``, Cephes): the branch |x| <= 8, the costlier: an absolute value and a
  compare (2), the argument x/2 - 2 (2), a Chebyshev series of 30 coefficients by Clenshaw's
  ``b0 = y b1 - b2 + a`` (a multiply, a subtract, an add: 3 x 29) and ``0.5 (b0 - b2)`` (2),
  ``exp`` (4) and a multiply: 98 (the |x| > 8 branch: 25 coefficients, 32/x - 2, ``exp``,
  ``sqrt`` and a divide, 88). Its siblings, from the same source (torch's Math.h) and counted
  the same way: ``special_i0e`` the series alone, 93; ``special_i1`` (x times the series times
  ``exp``, the sign restored) 62 at fp32 (torch's float table, 17 coefficients; half and bf16 are
  computed in float) and 98 at fp64 (29); ``special_i1e`` 57 and 93; ``special_modified_bessel_i0``
  98 and ``_i1`` 98 (double tables at any dtype); ``_k0`` 139 and ``_k1`` 143 (their x <= 2
  branch, the costlier: three tests, x² - 2, a series of 10 / 11 coefficients, ``log(x/2)`` (5)
  times i0 / i1 (98), a subtract, or a divide and an add).
* **orthogonal polynomials of degree n** (``special_legendre_polynomial_p``,
  ``special_chebyshev_polynomial_t``, ``special_hermite_polynomial_h`` / ``_he``,
  ``special_laguerre_polynomial_l``): torch's three-term recurrence, n − 1 steps of
  :data:`POLY_STEP_OPS` (Legendre ``((2k+1) x q − k p) / (k+1)``: 5; Chebyshev T
  ``(x + x) q − p``: 3; Hermite H ``(x + x) q − k p``: 4, He ``x q − k p``: 3; Laguerre
  ``((2k + (1 − x)) q − k p) / (k+1)``: 6). Chebyshev T past degree 6 is ``cos(n acos x)``
  (9) only where |x| < 1 (torch's ``chebyshev_polynomial_t_forward``); for |x| > 1 it runs the
  recurrence, so a call with any |x| > 1 (or a fake x, which has no values) costs the
  recurrence's 3(n − 1) an element, the longest a lane group runs. A tensor n costs its
  largest value (the longest recurrence a lane group runs); a fake tensor n, which has no
  values, is refused.

**Complex inputs** cost the real arithmetic that runs them, by the rules of :mod:`.complexes`
(a complex multiply 6, an add 2, ``abs`` 7, ``exp`` 14, ``log`` 15): a norm's kernel takes each
element's ``abs`` first (``abs_if_complex`` in ``SharedReduceOps.h``), 6 more than a real
absolute value, 7 more at p = 2 (which has none: |z| then its square, 9 an element), and p = 0
compares both parts (+1); ``var`` / ``std`` are the variance of the real parts plus that of the
imaginary parts, twice the real count per element (8) and 2·2 + 1 per output (5; ``std`` 9);
``logsumexp`` a max of the real parts (1), a complex subtract (2), ``exp`` (14) and add (2), 19,
then ``log`` (15) and the add back (2), 17; a cross product's 6 complex multiplies and 3
complex subtracts, 42 a 3-vector, 14 an output element; anything else here (``logcumsumexp``,
``sinc``) twice its real count, the floor :mod:`.complexes` states.

Others: **det** (``_linalg_det``, as torch computes it: LU with partial pivoting,
:func:`.linalg.lu_macs` MACs, then the product of the n diagonal entries and the pivots' sign,
n vector ops) and ``_linalg_slogdet`` (per diagonal entry an absolute value, a ``log`` (4) and an
add, and the sign's multiply: 7n); **segment_reduce** (a reduction over the CSR segments of
``lengths`` / ``offsets``: one combine per input element, plus a divide per output element for
``mean``).
"""

from __future__ import annotations

import math

from ...errors import WorkloadError
from ..kinds import ELEMENTWISE_OPS_PER_ELEMENT as OPS
from . import complexes as C
from .linalg import _batch, _emit, _square, lu_macs, lu_vec
from .registry import Call, bound_args, lowers

#: reductions costed here rather than at one op per input element
VAR = {"var", "var_mean"}
STD = {"std", "std_mean"}
NORMS = {"linalg_vector_norm", "norm", "frobenius_norm"}
MATH_REDUCTIONS = VAR | STD | NORMS | {"logsumexp", "logcumsumexp"}
#: (per input element, per output element) of the fixed-formula reductions
VAR_OPS = (4.0, 2.0)
STD_OPS = (4.0, 2.0 + OPS["sqrt"])
LOGSUMEXP_OPS = (OPS["max"] + OPS["sub"] + OPS["exp"] + OPS["add"], OPS["log"] + OPS["add"])
LOG_ADD_EXP_OPS = OPS["max"] + OPS["min"] + OPS["sub"] + OPS["exp"] + OPS["log"] + OPS["add"]
CROSS_OPS = 3.0  # (6 multiplies + 3 subtracts) / 3 output elements
SINC_OPS = OPS["where"] + OPS["mul"] + OPS["tanh"] + OPS["div"]  # sin counted as tanh's 4
SPHERICAL_J0_OPS = 3 * OPS["where"] + OPS["tanh"] + OPS["div"]
#: Cephes' Chebyshev series of n coefficients by Clenshaw (torch's ``chbevl``): a multiply, a
#: subtract and an add a term past the first, then ``0.5 (b0 - b2)``
def chbevl_ops(n: int) -> int:
    return 3 * (n - 1) + 2


#: torch's modified Bessel functions (Math.h, Cephes), the costlier branch each (module
#: docstring): |x| and the branch test 2, the argument x/2 - 2 2, the series, then the tail
I0_OPS = 2 + 2 + chbevl_ops(30) + OPS["exp"] + 1  # exp(x) times the series: 98
I0E_OPS = 2 + 2 + chbevl_ops(30)  # the series alone: 93
#: i1 / i1e: x times the series (and exp(x) for i1), the sign of x restored (a test, a negate);
#: torch's float tables (fp32, half and bf16 computed in float) hold 17 coefficients, double's 29
I1_OPS = {n: 2 + 2 + chbevl_ops(n) + OPS["exp"] + 2 + 2 for n in (17, 29)}  # 62, 98
I1E_OPS = {n: 2 + 2 + chbevl_ops(n) + 1 + 2 for n in (17, 29)}  # 57, 93
#: special_modified_bessel_*: double tables at any dtype; i1 the series times |x| and exp(|x|)
#: and a sign (98); k0 / k1 (x <= 2, the costlier): tests x == 0, x < 0, x <= 2 (3), x² - 2 (2),
#: a series of 10 / 11, log(x / 2) (5), times i0 / i1 (98), then a subtract (k0) or a divide
#: by x and an add (k1)
MOD_I1_OPS = 2 + 2 + chbevl_ops(29) + 1 + OPS["exp"] + 1 + 2
MOD_K0_OPS = 3 + 2 + chbevl_ops(10) + 1 + OPS["log"] + I0_OPS + 1 + 1  # 139
MOD_K1_OPS = 3 + 2 + chbevl_ops(11) + 1 + OPS["log"] + MOD_I1_OPS + 1 + 1 + 1  # 143
#: branch 2, argument 2, Horner 2 x (7 + 7 + 8 + 7), tail: 2 ratios, phase, sin, cos, 5/x,
#: 4 multiplies, a subtract, sqrt, a divide
BESSEL_J_OPS = 2 + 2 + 2 * (7 + 7 + 8 + 7) + (2 + 1 + 2 * OPS["tanh"] + 1 + 4 + 1 + OPS["sqrt"] + 1)
#: vector ops of one recurrence step, by polynomial family
POLY_STEP_OPS = {"special_legendre_polynomial_p": 5, "special_chebyshev_polynomial_t": 3,
                 "special_hermite_polynomial_h": 4, "special_hermite_polynomial_he": 3,
                 "special_laguerre_polynomial_l": 6}
#: Chebyshev T past this degree: ``cos(n acos x)``, acos (4) + multiply + cos (4)
CHEBYSHEV_DIRECT = (6, 9)
#: a complex input: (per input element, per output element) added to / replacing the real counts
#: (module docstring)
COMPLEX_ABS_EXTRA = C.COMPLEX_OPS_PER_ELEMENT["abs"] - OPS["abs"]  # |z| (7) for |x| (1): +6
COMPLEX_VAR_OPS = (2 * VAR_OPS[0], 2 * VAR_OPS[1] + OPS["add"])
COMPLEX_STD_OPS = (COMPLEX_VAR_OPS[0], COMPLEX_VAR_OPS[1] + OPS["sqrt"])
COMPLEX_LOGSUMEXP_OPS = (OPS["max"] + 2 * OPS["sub"] + C.COMPLEX_OPS_PER_ELEMENT["exp"] + 2 * OPS["add"],
                         C.COMPLEX_OPS_PER_ELEMENT["log"] + 2 * OPS["add"])
COMPLEX_CROSS_OPS = (6 * C.COMPLEX_OPS_PER_ELEMENT["mul"] + 3 * 2 * OPS["sub"]) / 3  # 14


def norm_ops(p: float) -> tuple[float, float]:
    """(per input element, per output element) of a vector p-norm: the ``cdist`` direct path's
    per-coordinate rule less its subtract, and its root."""
    from .distances import direct_ops  # distances imports the lowerer: here only once tracing

    pair, root = direct_ops(math.inf if math.isinf(p) else p)
    return pair - OPS["sub"], root


def _norm_p(c: Call, arg: dict) -> float:
    if c.base == "frobenius_norm":
        return 2.0
    p = arg.get("ord" if c.base == "linalg_vector_norm" else "p", 2)
    if p is None:
        return 2.0
    if isinstance(p, str):  # 'fro'
        return 2.0
    return float(p)


def complex_norm_ops(p: float) -> tuple[float, float]:
    """(per input element, per output element) of a vector p-norm of complex elements: torch's
    kernel takes each element's ``abs`` (7) first."""
    per_in, per_out = norm_ops(p)
    extra = COMPLEX_ABS_EXTRA + OPS["abs"] if p == 2 else OPS["where"] if p == 0 else COMPLEX_ABS_EXTRA
    return per_in + extra, per_out


def reduction_ops(low, c: Call) -> float:
    """Vector ops of one of :data:`MATH_REDUCTIONS` (a complex input: the module docstring)."""
    arg = bound_args(low.ev, c.args, low.ev.kwargs)
    cplx = c.args[0].is_complex()
    if c.base in NORMS:
        per_in, per_out = (complex_norm_ops if cplx else norm_ops)(_norm_p(c, arg))
    elif c.base in VAR:
        per_in, per_out = COMPLEX_VAR_OPS if cplx else VAR_OPS
    elif c.base in STD:
        per_in, per_out = COMPLEX_STD_OPS if cplx else STD_OPS
    elif c.base == "logsumexp":
        per_in, per_out = COMPLEX_LOGSUMEXP_OPS if cplx else LOGSUMEXP_OPS
    else:  # logcumsumexp
        per_in, per_out = (2 if cplx else 1) * LOG_ADD_EXP_OPS, 0.0
    return float(per_in * c.args[0].numel() + per_out * c.targets[0].numel())


@lowers(*MATH_REDUCTIONS)
def math_reduction(low, c: Call) -> None:
    low._reduction(c, vec=reduction_ops(low, c))


def _pointwise(low, c: Call, per: float, complex_per: float | None = None, **tags) -> None:
    """``per`` vector ops an output element; with a complex operand ``complex_per``, else twice
    ``per`` (:mod:`.complexes`' floor for a function with no rule of its own)."""
    if any(isinstance(a, low.torch.Tensor) and a.is_complex() for a in c.args):
        per = 2 * per if complex_per is None else complex_per
    low.emit("elementwise", c.base, c.reads, c.targets, fn="generic",
             vec=float(per * c.targets[0].numel()), tags={"aten": c.base, **tags})


@lowers("linalg_cross", "cross")
def cross(low, c: Call) -> None:
    _pointwise(low, c, CROSS_OPS, COMPLEX_CROSS_OPS)


@lowers("sinc")
def sinc(low, c: Call) -> None:
    _pointwise(low, c, SINC_OPS)


@lowers("special_spherical_bessel_j0")
def spherical_j0(low, c: Call) -> None:
    _pointwise(low, c, SPHERICAL_J0_OPS)


@lowers("special_bessel_j0", "special_bessel_j1")
def bessel_j(low, c: Call) -> None:
    _pointwise(low, c, BESSEL_J_OPS)


@lowers("i0", "special_i0e", "special_i1", "special_i1e", "special_modified_bessel_i0",
        "special_modified_bessel_i1", "special_modified_bessel_k0", "special_modified_bessel_k1")
def modified_bessel(low, c: Call) -> None:
    terms = 29 if c.targets[0].dtype == low.torch.float64 else 17  # torch's i1 / i1e tables
    _pointwise(low, c, {"i0": I0_OPS, "special_i0e": I0E_OPS, "special_i1": I1_OPS[terms],
                        "special_i1e": I1E_OPS[terms], "special_modified_bessel_i0": I0_OPS,
                        "special_modified_bessel_i1": MOD_I1_OPS,
                        "special_modified_bessel_k0": MOD_K0_OPS,
                        "special_modified_bessel_k1": MOD_K1_OPS}[c.base])


def _degree(low, c: Call) -> int:
    n = c.args[1]
    if not isinstance(n, low.torch.Tensor):
        return int(n)
    try:
        return int(n.detach().max().item()) if n.numel() else 0
    except Exception as e:  # noqa: BLE001  (a fake or meta tensor has no values)
        raise WorkloadError(f"aten op '{low.ev.func}' (module '{low.ev.module}', called from "
                            f"{low.ev.where}): the polynomial's degree n is a tensor without values "
                            f"(a fake or meta trace); trace with real tensors or give n as an int") from e


def _all_inside_unit(low, x) -> bool:
    """Whether every |x| < 1 (where torch's Chebyshev T past degree 6 takes the cosine); False
    for a fake x, which has no values (the recurrence, the costlier, is charged)."""
    if not isinstance(x, low.torch.Tensor):
        return abs(float(x)) < 1
    try:
        return bool((x.detach().abs() < 1).all().item())
    except Exception:  # noqa: BLE001  (a fake or meta tensor has no values)
        return False


@lowers(*POLY_STEP_OPS)
def polynomial(low, c: Call) -> None:
    n = _degree(low, c)
    if c.base == "special_chebyshev_polynomial_t" and n > CHEBYSHEV_DIRECT[0] \
            and _all_inside_unit(low, c.args[0]):
        per = float(CHEBYSHEV_DIRECT[1])
    else:
        per = float(POLY_STEP_OPS[c.base] * max(n - 1, 0))
    _pointwise(low, c, per, poly_degree=n)


@lowers("_linalg_det", "_linalg_slogdet")
def det(low, c: Call) -> None:
    a = c.args[0]
    n, batch = _square(low, c, a), _batch(a, 2)
    diag = n if c.base == "_linalg_det" else n * (OPS["abs"] + OPS["log"] + OPS["add"] + OPS["mul"])
    _emit(low, c, c.base.lstrip("_").removeprefix("linalg_"), batch * lu_macs(n, n),
          batch * (lu_vec(n, n) + diag))


@lowers("segment_reduce")
def segment_reduce(low, c: Call) -> None:
    data, out = c.args[0], c.targets[0]
    reduce = bound_args(low.ev, c.args, low.ev.kwargs).get("reduce")
    low._reduction(c, vec=float(data.numel() + (out.numel() if reduce == "mean" else 0)))
