"""Activation versions are cut into atoms by runs of offsets, not by a label per element (find-T
2: a 44-op PatchTST over 321 channels took 166 s to trace on the meta device, 35 of 44 s at B=8
in ``np.unique`` over one label per activation element).

The atoms are checked against their definition (the largest sets of elements the same reads
cover, numbered by their first element) on random reads, a virtual activation of 51.5 G
elements is cut from its rows alone, and a 64-channel PatchTST traces to the closed-form MACs
and Q, K, V sizes.
"""

from __future__ import annotations

import numpy as np
import pytest

from cimsim.workload.trace import atoms as A
from cimsim.workload.trace import storage as S


def _reference(numel, domain, reads):
    """(atom sizes, atom ids per read) from the definition, element by element in Python."""
    dom = range(numel) if domain is None else sorted(set(domain.tolist()))
    sets = [None if r is None else set(S.as_offsets(r).tolist()) for r in reads]
    key_of = {e: tuple(i for i, s in enumerate(sets) if s is not None and e in s) for e in dom}
    order = list(dict.fromkeys(key_of[e] for e in sorted(dom)))  # by first element
    atom = {e: order.index(key_of[e]) for e in dom}
    sizes = [sum(1 for e in dom if atom[e] == j) for j in range(len(order))]
    ids = [list(range(len(order))) if s is None else sorted({atom.get(e, -1) for e in s})
           for s in sets]
    return sizes, ids


def _random_read(rng, numel):
    pick = int(rng.integers(0, 4))
    if pick == 0:
        return None
    if pick == 1:  # scattered, repeated, unordered offsets
        return rng.integers(0, numel, int(rng.integers(1, numel)), dtype=np.int64)
    if pick == 2:  # a strided slice (a column block of a row-major matrix)
        w = int(rng.integers(1, 8))
        cols = int(rng.integers(w, 3 * w + 1))
        return S.offsets(int(rng.integers(0, cols - w + 1)), (numel // cols, w), (cols, 1))
    w = int(rng.integers(1, 6))  # a gather of rows
    rows = np.unique(rng.integers(0, numel // w, int(rng.integers(1, 10))))
    return S.RowRead(0, rows, w, np.arange(w))


# by runs (segments) whatever the runs' count, by elements, and by the runs' count as traced
@pytest.mark.parametrize("small,dense", [(0, float("inf")), (1 << 20, None), (0, None)])
@pytest.mark.parametrize("seed", range(12))
def test_atoms_are_the_definitions(seed, small, dense, monkeypatch):
    monkeypatch.setattr(A, "SMALL", small)
    if dense is not None:
        monkeypatch.setattr(A, "DENSE_RUNS", dense)
    rng = np.random.default_rng(seed)
    numel = int(rng.integers(20, 200))
    domain = None if seed % 3 else np.unique(rng.integers(0, numel, numel // 2))
    reads = [_random_read(rng, numel) for _ in range(int(rng.integers(1, 6)))]
    if domain is not None:  # reads of a partial version read only what it wrote
        keep = set(domain.tolist())
        reads = [r if r is None else np.array([o for o in S.as_offsets(r).tolist() if o in keep]
                                              or [int(domain[0])], dtype=np.int64) for r in reads]
    if all(r is None for r in reads):
        reads.append(np.array([int(rng.integers(0, numel))], dtype=np.int64))
    v = S.Version(0, "activation", "x", numel, (numel,), domain)
    v.reads, v.read_shapes = reads, [None] * len(reads)
    A.atomize(v)
    sizes, ids = _reference(numel, domain, reads)
    assert [c for _, _, c in v.tensors] == sizes
    assert v.read_atoms == ids


def test_a_qkv_activation_of_51_g_elements_is_cut_from_its_rows(monkeypatch):
    # a fused QKV projection's output, 2**14 rows of 3 x 2**20 (51.5 G elements; a label per
    # element would be 384 GiB), read as Q, K and V: three atoms of 2**34 elements each
    rows, w = 1 << 14, 1 << 20

    def no_offsets(self):
        raise AssertionError("a read of whole runs enumerated its offsets")

    monkeypatch.setattr(S.RowRead, "offsets", no_offsets)
    v = S.Version(0, "activation", "qkv", rows * 3 * w, (rows, 3 * w))
    v.reads = [S.RowRead(j * w, np.arange(rows), 3 * w, np.arange(w)) for j in (2, 0, 1)]
    v.read_shapes = [(rows, w)] * 3
    A.atomize(v)
    assert v.tensors == [(f"qkv[{j}]", (rows, w), rows * w) for j in range(3)]
    assert v.read_atoms == [[2], [0], [1]]


def test_interleaved_halves_are_labelled_by_elements_long_runs_by_runs(monkeypatch):
    # y[..., ::2] and y[..., 1::2] of a (2**12, 64) activation: a run of one offset per element
    # read, 2**18 runs in 2**18 elements (more than DENSE_RUNS = 1/8 an element): the segments
    # would be as many as the elements and their sort cost 3.4x the element labels' pass
    # (26.8 s against 8.0 s at 16.8 M elements); y[:, :32] and y[:, 32:] are 2**13 runs of 32
    rows, d = 1 << 12, 64
    paths = []
    for name in ("_by_elements", "_by_runs"):
        real = getattr(A, name)
        monkeypatch.setattr(A, name, lambda v, real=real, name=name: paths.append(name) or real(v))
    for first, second, want in [((0, 2), (1, 2), ["_by_runs", "_by_elements"]),
                                ((0, 1), (32, 1), ["_by_runs"])]:
        paths.clear()
        v = S.Version(0, "activation", "y", rows * d, (rows, d))
        v.reads = [S.offsets(o, (rows, d // 2), (d, step)) for o, step in (first, second)]
        v.read_shapes = [(rows, d // 2)] * 2
        A.atomize(v)
        assert paths == want
        # two atoms of half the elements each, the first read's first
        assert v.tensors == [(f"y[{j}]", (rows, d // 2), rows * d // 2) for j in (0, 1)]
        assert v.read_atoms == [[0], [1]]


@pytest.mark.torch
def test_a_64_channel_patchtst_traces_to_its_closed_form():
    pytest.importorskip("torch")
    import importlib.util
    from pathlib import Path

    from cimsim.workload.trace import trace

    # ``benchmarks/trace_activation_size.py``, whose PatchTST it times: the same model here
    path = Path(__file__).resolve().parents[3] / "benchmarks" / "trace_activation_size.py"
    spec = importlib.util.spec_from_file_location("trace_activation_size", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    build = bench.build

    B, C, L, P, S_, d, heads, ff, H, layers = 1, 64, 336, 16, 8, 128, 16, 256, 96, 3
    N = (L - P) // S_ + 1  # 41 patches
    T = B * C * N  # 2,624 tokens: the in-projection's output is 1 M elements (> atoms.SMALL)
    model, args = build(B, C, "meta")
    w = trace(model, args, name="patchtst")
    layer = (T * d * 3 * d  # in-projection
             + 2 * (B * C * heads) * N * (d // heads) * N  # Q K^T and A V
             + T * d * d + 2 * T * d * ff)  # out-projection, feed-forward
    assert w.macs == T * P * d + layers * layer + B * C * (N * d) * H
    assert len(w.ops) == 44
    # each layer's QKV output is cut into Q, K, V (T x d each): Q and K are scaled in the fused
    # elementwise op, V (the one atom left a tensor) is the second operand of A V
    for i in range(layers):
        qkv = [t for n, t in w.tensors.items() if n.startswith(f"enc.layers.{i}.self_attn.add[")]
        assert [t.numel for t in qkv] == [T * d]
        bmm = [op for op in w.ops if op.name.startswith(f"enc.layers.{i}.self_attn.bmm")]
        assert [w.tensors[op.inputs[1]].numel for op in bmm] == [T * d, T * d]
