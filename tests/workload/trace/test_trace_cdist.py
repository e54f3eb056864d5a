"""Pairwise distances and squares (find-P 1, 4): ``torch.cdist`` was unmapped on both of torch's
paths (``_euclidean_dist``, ``_cdist_forward``: a one-line refusal; with ``--allow-unknown`` 0 MACs
and one op an output element), and ``x ** 2`` was charged ``pow``'s 4 vector ops an element.

Goldens are closed forms written beside each assertion (``trace/distances.py``'s docstring):
the matmul path is B·D·(N·M + N + M) MACs (the cross term ``x1 @ x2ᵀ`` and the two row norms)
and 7 vector ops an output (``‖x‖² + ‖y‖² − 2 x·y``: 2, the clamp 1, the square root 4); the
direct path is 3 vector ops a pair and coordinate (7 for a general p: ``pow`` is 4) plus the root
(4 for p = 2 and a general p, none for p = 1, ∞)."""

from __future__ import annotations

from pathlib import Path

import pytest

import cimsim
from cimsim.workload.trace.fuse import vector_ops
from test_trace_linalg import _trace  # one function of the inputs as a module, traced

pytestmark = pytest.mark.torch

torch = pytest.importorskip("torch")

CONFIGS = Path(__file__).resolve().parents[3] / "src" / "cimsim" / "data" / "configs"
B, M, N, D = 2, 32, 40, 3  # queries M, points N > 25: torch takes the matmul path
F32 = 4  # bytes an fp32 element


def _by_part(w):
    return {op.tags["cdist"]: op for op in w.ops if "cdist" in op.tags}


def _bytes(w, names):
    return sum(w.tensors[t].numel for t in names) * F32


def test_the_matmul_path_is_a_weightless_batched_matmul_and_the_norms():
    w = _trace(torch.cdist, torch.rand(B, M, D), torch.rand(B, N, D))
    ops = _by_part(w)
    assert set(ops) == {"norms", "cross", "root"}
    cross, norms, root = ops["cross"], ops["norms"], ops["root"]
    assert cross.tags["aten"] == "_euclidean_dist"
    # the cross term: batch 2 of 32 x 3 by 3 x 40, no stationary weight
    assert (cross.kind, cross.batch, cross.m, cross.k, cross.n) == ("matmul", B, M, D, N)
    assert cross.weight is None
    assert cross.macs == B * M * N * D == 7_680
    # the squared norms of both inputs: one multiply-add an input element, 2 x (32 + 40) x 3 = 432
    assert norms.generic_macs == B * (M + N) * D == 432
    assert w.macs == B * D * (M * N + M + N) == 8_112
    # 7 vector ops an output element: 2 x 32 x 40 x 7 = 17,920
    assert vector_ops(root, w.tensors) == 7 * B * M * N == 17_920
    # bytes: the cross term and the norms each read both inputs ((64 + 80) x 3 x 4 B = 1,728 B);
    # the matmul writes the 2,560 products, the root writes the 2,560 distances
    assert _bytes(w, cross.inputs) == _bytes(w, norms.inputs) == B * (M + N) * D * F32 == 1_728
    assert _bytes(w, cross.outputs) == _bytes(w, root.outputs) == B * M * N * F32 == 10_240
    assert _bytes(w, norms.outputs) == B * (M + N) * F32 == 576
    assert w.metadata["mapped_mac_share"] == 1.0


def test_a_broadcast_query_counts_the_broadcast_batch():
    # (1, 32, 3) against (2, 40, 3): torch expands the queries, 2 batches of distances
    w = _trace(torch.cdist, torch.rand(1, M, D), torch.rand(B, N, D))
    assert w.macs == B * D * (M * N + M + N) == 8_112


@pytest.mark.parametrize("p, per_pair, root", [
    (2.0, 3, 4),  # sub, square (1 multiply), add; a square root
    (1.0, 3, 0),  # sub, abs, add
    (float("inf"), 3, 0),  # sub, abs, max
    (0.0, 3, 0),  # sub, compare, add (a count)
    (3.0, 7, 4),  # sub, abs, pow (4), add; the power 1/p (4)
])
def test_the_direct_path_is_elementwise_work(p, per_pair, root):
    b, m, n = 2, 5, 7  # at most 25 rows: _cdist_forward computes every pair directly
    w = _trace(lambda a, x: torch.cdist(a, x, p=p), torch.rand(b, m, D), torch.rand(b, n, D))
    (op,) = w.ops
    assert op.tags["aten"] == "_cdist_forward" and op.tags["cdist"] == "direct"
    assert op.kind == "elementwise" and w.macs == 0
    assert vector_ops(op, w.tensors) == b * m * n * (per_pair * D + root)
    assert _bytes(w, op.inputs) == b * (m + n) * D * F32 and _bytes(w, op.outputs) == b * m * n * F32


def test_compute_mode_picks_the_path_as_torch_does():
    small = (torch.rand(B, 5, D), torch.rand(B, 7, D))
    w = _trace(lambda a, x: torch.cdist(a, x, compute_mode="use_mm_for_euclid_dist"), *small)
    assert w.macs == B * D * (5 * 7 + 5 + 7) == 282
    large = (torch.rand(B, M, D), torch.rand(B, N, D))
    w = _trace(lambda a, x: torch.cdist(a, x, compute_mode="donot_use_mm_for_euclid_dist"), *large)
    (op,) = w.ops
    assert w.macs == 0 and vector_ops(op, w.tensors) == B * M * N * (3 * D + 4)


class _Knn(torch.nn.Module):
    """A PointNet++ / DGCNN kNN: the k nearest of N points to each of M queries."""

    def forward(self, q, x):
        return torch.cdist(q, x).topk(8, dim=-1, largest=False)[1]


def test_a_knn_of_unmarked_points_runs_on_the_host_not_on_cim_or_pim_arrays():
    from cimsim.workload.trace import trace

    w = trace(_Knn().eval(), (torch.rand(B, M, D), torch.rand(B, N, D)))
    cross = _by_part(w)["cross"]
    for cfg, unit in (("cpu-ddr5", "processor"), ("sram-cim", "processor"), ("rram-cim", "processor"),
                      ("hbm-pim", "processor"), ("tpu-like", "tpu")):
        r = cimsim.simulate(cimsim.load_architecture(str(CONFIGS / f"{cfg}.yaml")), w, keep_ops=True)
        table = r.op_table.set_index("op")
        # an activation-by-activation product: no array holds either operand, and x is no
        # resident state (hbm-pim claims no kv_cache); a systolic array takes it as any
        # weightless batched matmul
        assert table.loc[cross.name, "unit"] == unit, cfg
        assert table.loc[cross.name, "macs"] == B * M * N * D
        assert r.macs == B * D * (M * N + M + N)


@pytest.mark.parametrize("queries, resident, unit", [
    (4, None, "processor"),  # x unmarked: an activation sent every run, no KV cache
    (4, ["x"], "pim"),  # x resident, 4 queries <= max_rows 8: read in the banks as a KV cache
    (9, ["x"], "processor"),  # 9 queries > max_rows 8: the host (the run notes and weighs max_rows)
])
def test_a_knn_against_resident_points_runs_in_pim_banks_claiming_kv_cache(queries, resident, unit):
    # review18-2 item 2: gpu-hbm-pim-attn (pim.claims [kv_cache], max_rows 8) takes the cross
    # term where x is marked resident and the queries are at most max_rows, as a KV cache's GEMV
    from cimsim.workload.trace import trace

    w = trace(_Knn().eval(), (torch.rand(1, queries, D), torch.rand(1, 4096, D)), resident=resident)
    cross = _by_part(w)["cross"]
    r = cimsim.simulate(cimsim.load_architecture(str(CONFIGS / "gpu-hbm-pim-attn.yaml")), w,
                        keep_ops=True)
    row = r.op_table.set_index("op").loc[cross.name]
    assert row["unit"] == unit
    assert row["macs"] == queries * 4096 * D
    weighed = [n for n in r.notes if n.startswith("pim.max_rows (8): ")]
    assert bool(weighed) == (queries > 8 and resident is not None)


@pytest.mark.parametrize("fn, per_element", [
    (lambda x: x ** 2, 1),  # x * x: one multiply
    (torch.square, 1),  # torch.square is pow(x, 2)
    (lambda x: x.pow(2.0), 1),
    (lambda x: x ** 0.5, 4),  # a square root, as sqrt is counted
    (lambda x: x ** 3, 4),  # any other constant exponent: pow's general cost
    (lambda x: x ** x, 4),  # a tensor exponent
    (lambda x: 2 ** x, 4),  # a scalar base
])
def test_a_square_is_one_multiply(fn, per_element):
    w = _trace(fn, torch.rand(4, 64))
    (op,) = w.ops
    assert op.fn == "pow" and vector_ops(op, w.tensors) == per_element * 4 * 64


def test_a_squared_distance_chain_counts_the_square_once():
    # farthest-point sampling's ((xyz - c) ** 2).sum(-1): the fused sub + square is 2 an element
    w = _trace(lambda x, c: ((x - c) ** 2).sum(-1), torch.rand(1, 1024, 3), torch.rand(1, 1, 3))
    (fused,) = [op for op in w.ops if op.kind == "elementwise"]
    assert vector_ops(fused, w.tensors) == 2 * 1024 * 3 == 6_144
