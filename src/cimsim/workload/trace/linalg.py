"""Dense linear algebra (``torch.linalg``): MAC work on the host, from closed-form counts.

S4 / LSSL discretise a continuous-time state matrix with ``torch.linalg.matrix_exp`` (zero-order
hold) or ``torch.linalg.solve`` (the bilinear transform); Gaussian-process and control models
factor and solve. Each such aten op is one op carrying its multiply-adds as MACs
(``Op.generic_macs``: an elementwise op of function ``generic``, tag ``linalg`` naming the
algorithm). They are MAC work, not vector work (the n³ term is multiply-adds), but no matmul of a
stationary weight: a factorisation works on a matrix computed in the step, in place, pivoting on
its values, so no CIM array, PIM bank or systolic array claims them and the host processor runs
them at its MAC rate. Their divisions, square roots and pivot comparisons are vector ops. Bytes:
each reads its inputs and writes its outputs (an ``_ex`` op's ``LU``, ``pivots`` and ``info``
too). Leading dimensions are a batch of independent matrices: the counts below are per matrix
and multiply by the batch; a solve's batch is ``A``'s and ``B``'s batch dimensions broadcast, as
torch broadcasts them (``A`` (3, 1, n, n) against ``B`` (1, 4, n, k): 12 systems).

Counts for an n × n matrix ``A`` and k right-hand-side columns (Golub & Van Loan, *Matrix
Computations*, 4th ed.: 2n³/3 flops for LU, §3.2; n² flops per right-hand side for a triangular
solve, §3.1; n³/3 flops for Cholesky, §4.2; here counted exactly, one MAC a multiply-add):

* **LU** (``linalg_lu_factor_ex``, ``linalg_lu``; partial pivoting, of an m × n matrix):
  Σ_{j=1}^{r} (m − j)(n − j) MACs, r = min(m, n), (n − 1)n(2n − 1)/6 for a square one
  (~n³/3); vector ops: the m − j multipliers' divisions and the m − j + 1 pivot comparisons of
  each column j.
* **triangular solve** (``linalg_solve_triangular``, ``triangular_solve``): k·n(n − 1)/2 MACs,
  and k·n divisions by the diagonal (none for a unit triangle).
* **solve** (``_linalg_solve_ex``, ``linalg_solve``, as LAPACK ``gesv``): LU, then a unit-lower
  and an upper triangular solve: LU + k·n(n − 1) MACs; ``linalg_lu_solve``: the two solves only.
* **inverse** (``linalg_inv_ex``, ``inverse``): torch solves ``A X = I`` (``linalg_solve_ex``
  with the identity), so the solve with k = n: (n − 1)n(2n − 1)/6 + n²(n − 1) MACs, ~4n³/3
  (the n³ of Golub & Van Loan exploits the identity's zeros, which ``getrs`` does not).
* **Cholesky** (``linalg_cholesky_ex``, ``cholesky``): Σ_{j=1}^{n} (n − j + 1)(j − 1) =
  (n³ − n)/6 MACs; vector ops: n square roots (4 each, as ``sqrt`` is counted) and n(n − 1)/2
  divisions; ``cholesky_solve``: two triangular solves.
* **matrix exponential** (``linalg_matrix_exp``): torch's scaling and squaring with the Taylor
  approximants of Bader, Blanes & Casas (2019, *Mathematics* 7, 1174): degree 1, 2, 4, 8, 12
  or 18 by the matrix's 1-norm against thresholds θ (one set for fp32, one for fp64), costing
  0, 1, 2, 3, 4 or 5 matrix products; at and above θ₁₂ the degree-18 approximant of A/2^s,
  s = max(0, ⌈log2(‖A‖₁/θ₁₈)⌉), then s squarings: (products + s)·n³ MACs. The degree and s
  depend on the values: a trace with real tensors takes them from each matrix's norm; a trace of
  fake tensors (shapes only) charges the stated case degree 18 with one squaring, 6n³ MACs
  (tag ``mexp_values: assumed``). Vector ops: 2n² for the 1-norm and 29n² for the degree-18
  polynomial's sums (25 for the combination of I, A, A², A³, A⁶ by its 5 × 5 coefficients, 3
  adds, 1 the 2^-s scaling), at every degree (an upper bound for the lower degrees). A 1 × 1
  matrix is ``exp`` of its element (torch's shortcut).
* **SVD** (``_linalg_svd``: ``linalg.svd``, ``svdvals``, and the spectral and nuclear matrix
  norms, ``linalg.norm`` / ``matrix_norm`` with ``ord=2, -2, 'nuc'``, ``Tensor.norm(p='nuc')``,
  which are ``svdvals`` then a max, min or sum), of an m × n matrix, m ≥ n (else its transpose):
  the Golub-Reinsch counts of Golub & Van Loan (4th ed., §8.6.3, Figure 8.6.1; 3rd ed. §5.4.5),
  which take about two implicit QR sweeps per singular value: singular values only
  (``compute_uv=False``, as the norms and ``svdvals`` call it) 4mn² − 4n³/3 flops, with the thin
  U and V (``full_matrices=False``) 14mn² + 8n³, with the full U and V 4m²n + 8mn² + 9n³;
  MACs are half the flops (one multiply-add two flops), vector ops none (the rotations' square
  roots are within the flop count). The iteration count depends on the values and LAPACK's
  ``gesdd`` / cuSOLVER's Jacobi are other algorithms: an estimate within small factors, not a
  kernel's exact count (tag ``linalg: svd``).
"""

from __future__ import annotations

import math

from ...errors import WorkloadError
from .registry import Call, bound_args, lowers

#: matrix products of torch's Taylor approximant of each degree (Bader, Blanes & Casas 2019)
MEXP_PRODUCTS = {1: 0, 2: 1, 4: 2, 8: 3, 12: 4, 18: 5}
#: torch's 1-norm thresholds of degrees 1, 2, 4, 8, 12, 18 (aten/src/ATen/native/LinearAlgebra.cpp)
MEXP_THETAS = {
    "single": (1.192092800768788e-07, 5.978858893805233e-04, 5.116619363445086e-02,
               5.800524627688768e-01, 1.461661507209034e+00, 3.010066362817634e+00),
    "double": (2.220446049250313e-16, 2.580956802971767e-08, 3.397168839976962e-04,
               4.991228871115323e-02, 2.996158913811580e-01, 1.090863719290036e+00),
}
#: the fake-tensor case: degree 18 and one squaring
MEXP_ASSUMED = (18, 1)
MEXP_VEC_PER_ELEMENT = 31  # 2 (1-norm) + 25 + 3 + 1 (the degree-18 polynomial's sums)
SQRT_OPS = EXP_OPS = 4  # as ``sqrt`` and ``exp`` are counted (kinds.ELEMENTWISE_OPS_PER_ELEMENT)


def lu_macs(m: int, n: int) -> int:
    """Σ_{j=1}^{r} (m − j)(n − j), r = min(m, n): the trailing updates of Gaussian elimination."""
    return sum((m - j) * (n - j) for j in range(1, min(m, n) + 1))


def lu_vec(m: int, n: int) -> int:
    """Per column j: m − j divisions (the multipliers) and m − j + 1 pivot comparisons."""
    return sum(2 * (m - j) + 1 for j in range(1, min(m, n) + 1))


def trsm(n: int, k: int, unit: bool = False) -> tuple[int, int]:
    """(MACs, vector ops) of a triangular solve of order n with k right-hand sides."""
    return k * n * (n - 1) // 2, 0 if unit else k * n


def lu_solves(n: int, k: int) -> tuple[int, int]:
    """(MACs, vector ops) of the two solves with LU's factors: unit-lower, then upper."""
    lower, upper = trsm(n, k, unit=True), trsm(n, k)
    return lower[0] + upper[0], lower[1] + upper[1]


def solve(n: int, k: int) -> tuple[int, int]:
    """(MACs, vector ops) of an LU solve: LU, a unit-lower and an upper triangular solve."""
    macs, vec = lu_solves(n, k)
    return lu_macs(n, n) + macs, lu_vec(n, n) + vec


def cholesky(n: int) -> tuple[int, int]:
    """(MACs, vector ops): (n³ − n)/6 multiply-adds, n square roots, n(n − 1)/2 divisions."""
    return (n ** 3 - n) // 6, SQRT_OPS * n + n * (n - 1) // 2


def mexp_case(norm: float, precision: str) -> tuple[int, int]:
    """(degree, squarings) torch picks for a matrix of 1-norm ``norm`` (``mexp_impl``)."""
    th = MEXP_THETAS[precision]
    for deg, theta in zip((1, 2, 4, 8, 12), th):
        if norm < theta:
            return deg, 0
    return 18, max(0, math.ceil(math.log2(norm / th[-1]))) if norm > 0 else 0


def _batch(t, core: int) -> int:
    return math.prod(t.shape[:-core]) if t.dim() > core else 1


def _systems(low, a, b, b_core: int = 2) -> int:
    """Systems torch solves: the batch dimensions of ``A`` and ``B`` broadcast, as torch does
    (``A`` (3, 1, n, n) against ``B`` (1, 4, n, k) is 3 × 4 = 12 systems, not the larger batch 4).
    ``b_core``: ``B``'s matrix dimensions (1 for a vector right-hand side)."""
    return math.prod(low.torch.broadcast_shapes(tuple(a.shape[:-2]), tuple(b.shape[:-b_core])))


def _rhs(b, vector: bool) -> int:
    """Right-hand-side columns of ``B`` (a vector: 1)."""
    return 1 if vector else int(b.shape[-1])


def _emit(low, c: Call, algo: str, macs: int, vec: float, tags=None) -> None:
    low.emit("elementwise", c.base, c.reads, c.targets, fn="generic", vec=float(vec), macs=int(macs),
             tags={"aten": c.base, "linalg": algo, **(tags or {})})


def _square(low, c: Call, a) -> int:
    if a.dim() < 2 or a.shape[-1] != a.shape[-2]:
        raise WorkloadError(f"aten op '{low.ev.func}' (module '{low.ev.module}', called from "
                            f"{low.ev.where}): a square matrix (or a batch of them) is expected, "
                            f"got shape {tuple(a.shape)}")
    return int(a.shape[-1])


@lowers("linalg_matrix_exp", "matrix_exp")
def matrix_exp(low, c: Call) -> None:
    a = c.args[0]
    n, batch = _square(low, c, a), _batch(a, 2)
    if n == 1:  # torch: exp of the element
        _emit(low, c, "matrix_exp", 0, EXP_OPS * batch, {"mexp_degree": 0})
        return
    precision = "double" if a.dtype in (low.torch.float64, low.torch.complex128) else "single"
    try:
        norms = a.detach().abs().sum(-2).amax(-1).reshape(-1).tolist()
        cases = [mexp_case(float(v), precision) for v in norms]
        tags = {"mexp_values": "real"}
    except Exception:  # noqa: BLE001  (a fake or meta tensor has no values: torch raises its own kinds)
        cases = [MEXP_ASSUMED] * batch
        tags = {"mexp_values": "assumed"}
    products = sum(MEXP_PRODUCTS[d] + s for d, s in cases)
    tags["mexp_degree"] = max(d for d, _ in cases)
    tags["mexp_squarings"] = max(s for _, s in cases)
    _emit(low, c, "matrix_exp", products * n ** 3, MEXP_VEC_PER_ELEMENT * n * n * batch, tags)


@lowers("_linalg_solve_ex", "linalg_solve")
def linalg_solve(low, c: Call) -> None:
    a, b = c.args[0], c.args[1]
    n = _square(low, c, a)
    left = bound_args(low.ev, c.args, low.ev.kwargs).get("left", True)
    vector = b.dim() == 1 or (b.dim() == a.dim() - 1 and tuple(b.shape) == tuple(a.shape[:-1]))
    k = _rhs(b, vector) if left else int(b.shape[-2])  # X A = B: the rows of B
    batch = _systems(low, a, b, 1 if vector else 2)
    macs, vec = solve(n, k)
    _emit(low, c, "lu_solve", batch * macs, batch * vec)


@lowers("linalg_inv_ex", "inverse")
def linalg_inv(low, c: Call) -> None:
    a = c.args[0]
    n, batch = _square(low, c, a), _batch(a, 2)
    macs, vec = solve(n, n)  # torch: linalg_solve_ex(A, I)
    _emit(low, c, "inverse", batch * macs, batch * vec)


@lowers("linalg_lu_factor_ex", "linalg_lu")
def linalg_lu(low, c: Call) -> None:
    a = c.args[0]
    m, n, batch = int(a.shape[-2]), int(a.shape[-1]), _batch(a, 2)
    _emit(low, c, "lu", batch * lu_macs(m, n), batch * lu_vec(m, n))


@lowers("linalg_lu_solve")
def linalg_lu_solve(low, c: Call) -> None:
    lu, b = c.args[0], c.args[2]
    n = _square(low, c, lu)
    left = bound_args(low.ev, c.args, low.ev.kwargs).get("left", True)
    k = int(b.shape[-1] if left else b.shape[-2])
    batch = _systems(low, lu, b)
    macs, vec = lu_solves(n, k)
    _emit(low, c, "lu_solve", batch * macs, batch * vec)


@lowers("linalg_cholesky_ex", "cholesky")
def linalg_cholesky(low, c: Call) -> None:
    a = c.args[0]
    n, batch = _square(low, c, a), _batch(a, 2)
    macs, vec = cholesky(n)
    _emit(low, c, "cholesky", batch * macs, batch * vec)


@lowers("cholesky_solve")
def cholesky_solve(low, c: Call) -> None:
    b, l_ = c.args[0], c.args[1]
    n = _square(low, c, l_)
    k, batch = int(b.shape[-1]), _systems(low, l_, b)
    one = trsm(n, k)
    _emit(low, c, "cholesky_solve", batch * 2 * one[0], batch * 2 * one[1])


@lowers("linalg_solve_triangular", "triangular_solve")
def triangular(low, c: Call) -> None:
    arg = bound_args(low.ev, c.args, low.ev.kwargs)
    if c.base == "triangular_solve":  # triangular_solve(B, A, upper, transpose, unitriangular)
        b, a, left = c.args[0], c.args[1], True
    else:  # linalg_solve_triangular(A, B, *, upper, left, unitriangular)
        a, b, left = c.args[0], c.args[1], arg.get("left", True)
    n = _square(low, c, a)
    k = int(b.shape[-1] if left else b.shape[-2])
    batch = _systems(low, a, b)
    macs, vec = trsm(n, k, unit=bool(arg.get("unitriangular", False)))
    _emit(low, c, "triangular_solve", batch * macs, batch * vec)


def svd_flops(m: int, n: int, uv: bool, full: bool) -> float:
    """Golub-Reinsch flops of an m × n SVD (module docstring): values only, thin or full U, V."""
    m, n = max(m, n), min(m, n)
    if not uv:
        return 4 * m * n ** 2 - 4 * n ** 3 / 3
    return 4 * m ** 2 * n + 8 * m * n ** 2 + 9 * n ** 3 if full else 14 * m * n ** 2 + 8 * n ** 3


@lowers("_linalg_svd")
def linalg_svd(low, c: Call) -> None:
    a, arg = c.args[0], bound_args(low.ev, c.args, low.ev.kwargs)
    uv, full = bool(arg.get("compute_uv", True)), bool(arg.get("full_matrices", False))  # aten's defaults
    flops = _batch(a, 2) * svd_flops(int(a.shape[-2]), int(a.shape[-1]), uv, full)
    if not uv:  # eager torch writes S alone (U and V are empty)
        c.targets = [t for t in c.targets if t.dim() == a.dim() - 1]
    _emit(low, c, "svd", round(flops / 2), 0.0, {"svd": "uv" if uv else "values"})
