"""The numba longest-path kernel against its plain-Python reference, and hand-checked DAGs."""

from __future__ import annotations

import numpy as np
import pytest

from cimsim.workload.generators import hier_attn, lstm, transformer
from cimsim.workload.graph import longest_path, longest_path_reference, path_lengths


def _random_dag(rng, n, p):
    preds = [sorted(set(rng.choice(i, size=rng.integers(0, min(i, p) + 1), replace=False).tolist()))
             if i else [] for i in range(n)]
    indptr = np.zeros(n + 1, dtype=np.int64)
    indptr[1:] = np.cumsum([len(x) for x in preds])
    indices = np.array([j for x in preds for j in x], dtype=np.int64)
    return indptr, indices


@pytest.mark.parametrize("seed", range(20))
def test_kernel_equals_reference_on_random_dags(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 300))
    indptr, indices = _random_dag(rng, n, p=4)
    w = rng.random(n)
    length, path = longest_path(indptr, indices, w)
    ref_length, ref_path = longest_path_reference(indptr, indices, w)
    assert length == pytest.approx(ref_length, rel=1e-12, abs=0)
    assert path.tolist() == ref_path.tolist()
    # the path is a real chain of the DAG and its weights add up to the length
    for a, b in zip(path[:-1], path[1:]):
        assert a in indices[indptr[b]:indptr[b + 1]]
    assert w[path].sum() == pytest.approx(length, rel=1e-12, abs=0)
    assert path_lengths(indptr, indices, w).max() == pytest.approx(length, rel=1e-12, abs=0)


@pytest.mark.parametrize("wl", [lstm(8, 8, 2, steps=5), hier_attn(64, d_model=16, heads=2, window=4),
                                transformer(8, d_model=16, heads=2, ffn=32)], ids=lambda w: w.name)
def test_kernel_equals_reference_on_workloads(wl):
    indptr, indices = wl.predecessors
    w = np.ones(len(wl.ops))
    assert longest_path(indptr, indices, w)[0] == longest_path_reference(indptr, indices, w)[0]


def test_diamond_by_hand():
    # 0 -> 1 (w 5), 0 -> 2 (w 1), {1, 2} -> 3: longest 0, 1, 3 = 1 + 5 + 1
    indptr = np.array([0, 0, 1, 2, 4])
    indices = np.array([0, 0, 1, 2])
    length, path = longest_path(indptr, indices, np.array([1.0, 5.0, 1.0, 1.0]))
    assert (length, path.tolist()) == (7.0, [0, 1, 3])
