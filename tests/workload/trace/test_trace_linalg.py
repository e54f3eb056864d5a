"""Dense linear algebra (find-B 4): ``torch.linalg`` ops were unmapped (one-line refusals) and,
with ``--allow-unknown``, ``matrix_exp`` cost 0 MACs. Each is now one host op carrying its
multiply-adds (``trace/linalg.py``).

Goldens are closed forms written beside each assertion (Golub & Van Loan, Matrix Computations,
4th ed.: LU §3.2, triangular solves §3.1, Cholesky §4.2; torch's matrix exponential: Bader,
Blanes & Casas 2019, degree 1/2/4/8/12/18 costing 0/1/2/3/4/5 products), never the tracer's
output. n = 16, a batch of 2 matrices, k = 3 right-hand sides."""

from __future__ import annotations

from pathlib import Path

import pytest

import cimsim
from cimsim.workload.trace.fuse import vector_ops

pytestmark = pytest.mark.torch

torch = pytest.importorskip("torch")

CONFIGS = Path(__file__).resolve().parents[3] / "src" / "cimsim" / "data" / "configs"
N, BATCH, K = 16, 2, 3
LU = (N - 1) * N * (2 * N - 1) // 6  # Σ_{j<n} (n - j)²: 15 * 16 * 31 / 6 = 1,240 MACs
TRSM = N * (N - 1) // 2  # one triangular solve, one right-hand side: 120 MACs


class _Fn(torch.nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, *x):
        return self.fn(*x)


def _trace(fn, *inputs):
    from cimsim.workload.trace import trace

    return trace(_Fn(fn).eval(), inputs)


def _linalg(w):
    (op,) = [op for op in w.ops if "linalg" in op.tags]
    return op


def _spd():
    a = torch.randn(BATCH, N, N)
    return a @ a.mT + N * torch.eye(N)


def test_lu_solve_of_a_batch():
    w = _trace(torch.linalg.solve, torch.randn(BATCH, N, N), torch.randn(BATCH, N, K))
    op = _linalg(w)
    assert op.tags["aten"] == "_linalg_solve_ex" and op.kind == "elementwise"
    # LU 1,240 + a unit-lower and an upper solve of 3 columns (2 x 3 x 120 = 720) = 1,960 a matrix
    assert op.generic_macs == w.macs == BATCH * (LU + 2 * K * TRSM) == 3_920
    # per column j: 16 - j divisions, 17 - j pivot comparisons (2 x 120 + 16 = 256); U's
    # diagonal: 3 x 16 divisions; 304 a matrix
    assert vector_ops(op, w.tensors) == BATCH * (2 * 120 + 16 + K * N) == 608
    assert w.metadata["mapped_mac_share"] == 1.0 and w.metadata["unknown_ops"] == []
    # bytes: reads A and B, writes X, LU, pivots and info
    assert set(op.inputs) == {"x", "input1"} and len(op.outputs) == 4


def test_inverse_is_a_solve_with_the_identity():
    # torch: linalg_inv_ex = linalg_solve_ex(A, I): LU + 16 columns of two solves
    w = _trace(torch.linalg.inv, torch.randn(BATCH, N, N))
    assert _linalg(w).tags["aten"] == "linalg_inv_ex"
    assert w.macs == BATCH * (LU + 2 * N * TRSM) == BATCH * (1_240 + 3_840) == 10_160


@pytest.mark.parametrize("fn", [lambda a: torch.linalg.lu_factor(a), lambda a: torch.linalg.lu(a)])
def test_lu_factorisation(fn):
    w = _trace(fn, torch.randn(BATCH, N, N))
    assert w.macs == BATCH * LU == 2_480  # ~ n³/3 each: 16³ / 3 = 1,365


@pytest.mark.filterwarnings("ignore:torch.cholesky is deprecated")
@pytest.mark.parametrize("fn", [torch.linalg.cholesky, torch.cholesky])
def test_cholesky(fn):
    w = _trace(fn, _spd())
    op = _linalg(w)
    # Σ_j (n - j + 1)(j - 1) = (n³ - n)/6 = 4,080 / 6 = 680 a matrix (~ n³/6)
    assert w.macs == BATCH * (N ** 3 - N) // 6 == 1_360
    # 16 square roots (4 ops each) and 16 x 15 / 2 = 120 divisions
    assert vector_ops(op, w.tensors) == BATCH * (4 * N + 120) == 368


@pytest.mark.parametrize("fn", [
    lambda a, b: torch.linalg.solve_triangular(a, b, upper=True),
    lambda a, b: torch.triangular_solve(b, a).solution,
])
@pytest.mark.filterwarnings("ignore:torch.triangular_solve is deprecated")
def test_triangular_solve(fn):
    w = _trace(fn, torch.randn(BATCH, N, N).triu() + N * torch.eye(N), torch.randn(BATCH, N, K))
    op = _linalg(w)
    assert w.macs == BATCH * K * TRSM == 720  # n(n - 1)/2 per right-hand side
    assert vector_ops(op, w.tensors) == BATCH * K * N == 96  # a division by the diagonal each


def test_unit_triangular_solve_divides_by_nothing():
    w = _trace(lambda a, b: torch.linalg.solve_triangular(a, b, upper=False, unitriangular=True),
               torch.randn(BATCH, N, N).tril(), torch.randn(BATCH, N, K))
    assert w.macs == 720 and vector_ops(_linalg(w), w.tensors) == 0


def test_matrix_exp_of_real_values_takes_the_degree_from_the_norm():
    # fp32 thresholds (torch LinearAlgebra.cpp): θ4 = 0.05117, θ8 = 0.5801, θ12 = 1.4617, θ18 = 3.0101
    # 0.1 I: 1-norm 0.1, in [θ4, θ8): degree 8, 3 products, no squaring
    # 10 I: 1-norm 10 >= θ12: degree 18 (5 products) of A / 2^s, s = ceil(log2(10 / 3.0101)) = 2
    a = torch.stack([0.1 * torch.eye(N), 10 * torch.eye(N)])
    w = _trace(torch.linalg.matrix_exp, a)
    op = _linalg(w)
    assert w.macs == (3 + (5 + 2)) * N ** 3 == 40_960
    assert (op.tags["mexp_values"], op.tags["mexp_degree"], op.tags["mexp_squarings"]) == ("real", 18, 2)
    # 2 n² (the 1-norm) + 29 n² (the degree-18 polynomial's sums) a matrix
    assert vector_ops(op, w.tensors) == BATCH * 31 * N * N


def test_matrix_exp_of_fake_tensors_charges_the_stated_case():
    # no values: degree 18 (5 products) and one squaring, 6 n³ a matrix
    w = _trace(torch.linalg.matrix_exp, torch.empty(BATCH, N, N, device="meta"))
    op = _linalg(w)
    assert w.macs == BATCH * 6 * N ** 3 == 49_152
    assert (op.tags["mexp_values"], op.tags["mexp_degree"], op.tags["mexp_squarings"]) == ("assumed", 18, 1)


class ZOH(torch.nn.Module):
    """S4 / LSSL zero-order hold of a dense state matrix: A_bar = exp(Δ A), then A_bar @ B."""

    def __init__(self, n=N):
        super().__init__()
        self.A = torch.nn.Parameter(-torch.eye(n) + 0.01 * torch.ones(n, n))
        self.B = torch.nn.Parameter(torch.ones(n, 1))

    def forward(self, dt):
        return torch.linalg.matrix_exp(dt * self.A) @ self.B


def test_an_s4_zoh_discretisation_is_costed_end_to_end():
    from cimsim.workload.trace import trace

    w = trace(ZOH().eval(), (torch.tensor(0.1),))
    # Δ A: 1-norm 0.1 x (1 - 0.01 + 15 x 0.01) = 0.114, in [θ4, θ8): degree 8, 3 products of
    # 16 x 16 (3 x 4,096 MACs); then exp(Δ A) @ B: 16 x 16 x 1 = 256 MACs
    assert w.macs == 3 * N ** 3 + N * N == 12_544
    assert w.metadata["mapped_mac_share"] == 1.0
    mexp = _linalg(w)
    for cfg in ("cpu-ddr5", "sram-cim", "tpu-like"):
        r = cimsim.simulate(cimsim.load_architecture(str(CONFIGS / f"{cfg}.yaml")), w, keep_ops=True)
        table = r.op_table.set_index("op")
        # the host runs it, at its MAC rate: no CIM array or systolic array takes a matrix
        # factorised or exponentiated in the step; sram-cim's array takes the @ B (B a weight)
        assert table.loc[mexp.name, "unit"] == "processor"
        assert table.loc[mexp.name, "macs"] == 3 * N ** 3
        assert r.macs == 12_544


# A (3, 1, n, n) against B (1, 4, n, 2): torch broadcasts the batch dimensions to (3, 4) and
# solves 3 x 4 = 12 systems (the output is (3, 4, n, 2)); the larger batch alone would be 4
SYSTEMS, K2 = 3 * 4, 2
A_BATCH, B_BATCH = (3, 1), (1, 4)


def _a():
    return torch.randn(*A_BATCH, N, N).triu() + N * torch.eye(N)


def _b():
    return torch.randn(*B_BATCH, N, K2)


def _lu_solve(a, b):
    lu, piv = torch.linalg.lu_factor(a)
    return torch.linalg.lu_solve(lu, piv, b)


def _cholesky_solve(a, b):
    return torch.cholesky_solve(b, torch.linalg.cholesky(a @ a.mT))


@pytest.mark.filterwarnings("ignore:torch.triangular_solve is deprecated")
@pytest.mark.parametrize("fn, algo, macs", [
    # LU 1,240 + a unit-lower and an upper solve of 2 columns (2 x 2 x 120 = 480): 1,720 a system
    (torch.linalg.solve, "_linalg_solve_ex", LU + 2 * K2 * TRSM),
    # the two solves only (the factorisation is its own op): 2 x 2 x 120 = 480 a system
    (_lu_solve, "linalg_lu_solve", 2 * K2 * TRSM),
    (_cholesky_solve, "cholesky_solve", 2 * K2 * TRSM),
    # one triangular solve of 2 columns: 240 a system
    (lambda a, b: torch.linalg.solve_triangular(a, b, upper=True), "linalg_solve_triangular", K2 * TRSM),
    (lambda a, b: torch.triangular_solve(b, a).solution, "triangular_solve", K2 * TRSM),
])
def test_a_solve_counts_the_broadcast_batch_of_systems(fn, algo, macs):
    w = _trace(fn, _a(), _b())
    (op,) = [op for op in w.ops if op.tags.get("aten") == algo]
    assert op.generic_macs == SYSTEMS * macs  # solve: 12 x 1,720 = 20,640 (the larger batch: 6,880)


def test_a_vector_right_hand_side_broadcasts_over_a_batch_of_matrices():
    # b (n,) against A (3, 1, n, n): one column, 3 systems: 3 x (1,240 + 2 x 120) = 4,440
    w = _trace(torch.linalg.solve, _a(), torch.randn(N))
    assert _linalg(w).generic_macs == 3 * (LU + 2 * TRSM) == 4_440
