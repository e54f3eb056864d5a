"""An in-place index accumulation traced with real ids finds the destination elements it touches
from the distinct ids, not from one offset per source element (find-F 3: a GCN of 1e5 nodes,
2e6 edges and 128 features traced in 406 s, its meta-device trace in 4.2 s; ``np.unique`` over
the 2.56e8 offsets of ``index_add_`` took most of it).

The touched elements are checked in closed form (the distinct ids times the slice each names),
and a real-id GCN whose ids touch every node traces op for op and tensor for tensor as its
meta-device trace. Timings: ``benchmarks/trace_gnn_ids.py`` (not a test)."""

from __future__ import annotations

import dataclasses

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from cimsim.workload.trace import scatter as SC

pytestmark = pytest.mark.torch

torch = pytest.importorskip("torch")

from test_trace_op_costs import _Fn, _trace  # noqa: E402


def _benchmark():
    """``benchmarks/trace_gnn_ids.py``, whose GCN aggregations (``_Agg``) it times: the same
    models are checked here."""
    path = Path(__file__).resolve().parents[3] / "benchmarks" / "trace_gnn_ids.py"
    spec = importlib.util.spec_from_file_location("trace_gnn_ids", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


_Agg = _benchmark()._Agg


def _written(w, name):
    """Bytes op ``name`` writes."""
    op = next(op for op in w.ops if op.name == name)
    return sum(w.tensors[t].nbytes for t in op.outputs)


def _random_graph(N, E, d, seed):
    """Features of ``N`` nodes and ``E`` edges of random ends."""
    g = torch.Generator().manual_seed(seed)
    return torch.randn(N, d, generator=g), torch.randint(0, N, (E,), generator=g), \
        torch.randint(0, N, (E,), generator=g)


DST = torch.tensor([3, 0, 3, 7, 7, 7])  # rows 0, 3 and 7: 3 distinct rows


@pytest.mark.parametrize("case, touched", [
    # 3 distinct rows x 8 features
    ("index_add", 3 * 8),
    ("index_put", 3 * 8),
    # an index expanded over 5 of the 8 features: 3 rows x 5 columns
    ("scatter_add_expanded", 3 * 5),
    # a destination that is a column slice of a wider storage: 3 rows x its 4 columns
    ("index_add_view", 3 * 4),
    # along dim 1 of a transposed destination: columns 0, 3, 7 x its 10 rows
    ("index_add_dim1_transposed", 3 * 10),
    # negative ids count from the end: -1 and 9 are one row (9), with 0: 2 rows x 8
    ("index_put_negative", 2 * 8),
    # an index of its own per element (not expanded): (row, column) pairs (3, 0), (0, 1),
    # (3, 0) again, (7, 1): 3 distinct elements
    ("scatter_add_elements", 3),
])
def test_an_accumulation_writes_the_elements_its_ids_touch(case, touched):
    d = 8

    def f(out, v):
        if case == "index_add":
            out.index_add_(0, DST, v)
        elif case == "index_put":
            out.index_put_((DST,), v, accumulate=True)
        elif case == "scatter_add_expanded":
            out.scatter_add_(0, DST[:, None].expand(-1, 5), v[:, :5])
        elif case == "index_add_view":
            out[:, 2:6].index_add_(0, DST, v[:, :4])
        elif case == "index_add_dim1_transposed":
            out.t().index_add_(1, DST, torch.ones(d + 2, len(DST)))
        elif case == "index_put_negative":
            out.index_put_((torch.tensor([-1, 0, 9]),), v[:3], accumulate=True)
        else:
            idx = torch.tensor([[3, 0], [3, 7]])
            out.scatter_add_(0, idx, v[:2, :2])
        return out

    # out.t() is (d + 2, 10): its dim 1 names the 10 rows of out, each d + 2 = 10 elements
    out = torch.zeros(10, d + 2 if case == "index_add_dim1_transposed" else d)
    w = _trace(_Fn(f), out, torch.randn(len(DST), d))
    name = next(op.name for op in w.ops if op.kind == "reduction")
    assert _written(w, name) == touched * 4  # fp32: 4 B an element


@pytest.mark.parametrize("how", ["index_add", "scatter_add", "index_put"])
def test_the_touched_rows_come_from_the_distinct_ids(how, monkeypatch):
    # E = 1,000 edges into N = 50 nodes of d = 8 features: nothing of E x d = 8,000 offsets
    # is deduplicated, only the E ids (their order of first touch: the accesses' runs) and the
    # distinct rows' N x d = 400 at most
    N, E, d = 50, 1000, 8
    x, src, dst = _random_graph(N, E, d, 0)
    sizes = []
    unique, distinct = np.unique, getattr(SC, "_sorted_distinct", None)

    def rec_unique(a, *args, **kw):
        sizes.append(np.asarray(a).size)
        return unique(a, *args, **kw)

    def rec_distinct(a):
        sizes.append(len(a))
        return distinct(a)

    monkeypatch.setattr(np, "unique", rec_unique)
    monkeypatch.setattr(SC, "_sorted_distinct", rec_distinct, raising=False)
    _trace(_Agg(how, d), x, src, dst)
    assert sizes and max(sizes) <= max(E, N * d) < E * d


def test_an_element_wise_scatter_marks_its_offsets_without_sorting(monkeypatch):
    # an index of its own per element: one offset each, deduplicated by marks, not np.unique
    def f(out, idx, v):
        out.scatter_add_(0, idx, v)
        return out

    g = torch.Generator().manual_seed(1)
    idx = torch.randint(0, 20, (200, 8), generator=g)
    expected = len({(int(idx[i, j]), j) for i in range(200) for j in range(8)})
    unique = np.unique

    def no_unique(a, *args, **kw):
        if np.asarray(a).size == 200 * 8:
            raise AssertionError("np.unique sorted one offset per index element")
        return unique(a, *args, **kw)

    monkeypatch.setattr(np, "unique", no_unique)
    w = _trace(_Fn(f), torch.zeros(20, 8), idx, torch.randn(200, 8))
    assert _written(w, "scatter_add") == expected * 4


def _gcn_inputs(N, deg, d, seed):
    """Every node sends and receives ``deg`` edges: real ids that read every row of the features
    (the row gather's distinct rows) and touch the whole destination, as the meta trace (no
    values) takes them to."""
    g = torch.Generator().manual_seed(seed)
    src = torch.arange(N).repeat(deg)[torch.randperm(N * deg, generator=g)]
    dst = torch.arange(N).repeat(deg)[torch.randperm(N * deg, generator=g)]
    return torch.randn(N, d, generator=g), src, dst


@pytest.mark.parametrize("how", ["index_add", "scatter_add", "index_put"])
def test_a_real_id_gcn_traces_as_its_meta_trace(how):
    N, deg, d = 40, 4, 16
    a = _trace(_Agg(how, d), *_gcn_inputs(N, deg, d, 2))
    b = _trace(_Agg(how, d).to("meta"), torch.empty(N, d, device="meta"),
               *(torch.empty(N * deg, dtype=torch.long, device="meta") for _ in range(2)))
    # the same ops, but for their accesses: the meta trace takes the gather's 40 rows (2,560 B,
    # 40 lines) as one run and the accumulation's as one 64 B access each; the real ids touch
    # them in random order, each run of lines read in turn one access (find-N 1, N 6; rows
    # adjacent by chance join one), so between 64 B and the whole 2,560 B
    gather = next(op for op in b.ops if op.tags.get("part") == "gather")
    assert gather.tags["access_bytes"] == 2560
    assert next(op for op in b.ops if op.kind == "reduction").tags["access_bytes"] == 64
    assert all(64 <= op.tags["access_bytes"] < 2560 for op in a.ops if "access_bytes" in op.tags)
    strip = [[dataclasses.replace(op, tags={k: v for k, v in op.tags.items() if k != "access_bytes"})
              for op in w.ops] for w in (a, b)]
    assert strip[0] == strip[1]
    # the same tensors, element for element (a part written in place is flat: (640,), where
    # the meta trace keeps the (40, 16) it takes as written whole)
    assert {n: (t.numel, t.nbytes, t.dtype, t.role) for n, t in a.tensors.items()} == \
        {n: (t.numel, t.nbytes, t.dtype, t.role) for n, t in b.tensors.items()}
    agg = next(op for op in a.ops if op.kind == "reduction")
    assert _written(a, agg.name) == N * d * 4  # every node's d features, fp32


def _old_touched(torch, c, dest, dim, index):
    """The bookkeeping the fix replaced: one offset per index element, ``np.unique`` of them."""
    from cimsim.workload.trace.stats import has_data
    from cimsim.workload.trace.storage import tensor_offsets

    idx = index if isinstance(index, (list, tuple)) else [index]
    if not has_data(torch, *[i for i in idx if i is not None]):
        return None
    pos = torch.from_numpy(tensor_offsets(dest).reshape(tuple(dest.shape)))
    if c.base.startswith("index_put") or c.base == "_index_put_impl":
        hit = pos[tuple(slice(None) if i is None else i.cpu() for i in idx)]
    elif c.base.startswith("index_"):
        hit = pos.index_select(dim, index.cpu())
    else:
        hit = pos.gather(dim, index.cpu())
    return np.unique(hit.reshape(-1).numpy())


@pytest.mark.parametrize("how", ["index_add", "scatter_add", "index_put"])
def test_a_gcn_whose_ids_miss_nodes_traces_as_before(how, monkeypatch):
    # 30 edges into 40 nodes: some nodes untouched, so the destination is cut into parts
    N, E, d = 40, 30, 16
    x, src, dst = _random_graph(N, E, d, 3)
    new = _trace(_Agg(how, d), x, src, dst)
    monkeypatch.setattr(SC, "_touched", _old_touched)
    old = _trace(_Agg(how, d), x, src, dst)
    assert list(new.ops) == list(old.ops)
    assert dict(new.tensors) == dict(old.tensors)
    agg = next(op for op in new.ops if op.kind == "reduction")
    assert _written(new, agg.name) == len(set(dst.tolist())) * d * 4  # the distinct nodes' rows


@pytest.mark.parametrize("ids, accesses", [
    # CSR SpMV's y.index_add_(0, row, p): 4,096 fp32 rows (16,384 B, 256 lines), each row id 8
    # times in order: one run of every line, 16,384 B (was 4,096 random 4 B accesses)
    (torch.arange(4096).repeat_interleave(8), 1),
    # rows 0, 32, 16, 48 of 4 B: lines 0 | 2, 1 | 3, three accesses of the 16 B touched
    (torch.tensor([0, 32, 16, 48]), 3),
    # rows 0, 64, 128 of 4 B, lines 0, 4, 8: a line an access, as before
    (torch.tensor([128, 0, 64]), 3),
])
def test_an_accumulation_takes_its_runs_of_lines_in_the_order_its_ids_touch_them(ids, accesses):
    # find-N 6: the read-modify-write of the destination rows is random only where the ids
    # jump; rows read in turn are one access (the gather's rule, find-N 1)
    def f(y, i, p):
        return y.index_add_(0, i, p)

    w = _trace(_Fn(f), torch.zeros(4096), ids, torch.randn(ids.numel()))
    (op,) = [op for op in w.ops if op.kind == "reduction"]
    touched = 4 * len(torch.unique(ids))
    assert op.tags["random_read_bytes"] == op.tags["random_write_bytes"] == touched
    assert op.tags["access_bytes"] == pytest.approx(touched / accesses, rel=1e-12, abs=0)


@pytest.mark.parametrize("width", [8, 32])
@pytest.mark.parametrize("flip", [False, True])
def test_a_scatter_add_into_rows_of_one_line_or_more_is_one_run_up_or_down(width, flip):
    # review 21 D 2: index_add into 1,024 rows of 32 B (8 fp32; two rows a line) or 128 B (32
    # fp32, two lines a row), each id 4 times, sorted up or down: every row once, all of the
    # destination's 32,768 B or 131,072 B as one run of adjacent lines, read and written back
    # (descending 128 B rows were an access a row, 128 B, where 32 B rows were one run)
    ids = torch.arange(1024).repeat_interleave(4)
    ids = ids.flip(0) if flip else ids
    w = _trace(_Fn(lambda y, i, s: y.index_add(0, i, s)), torch.zeros(1024, width), ids,
               torch.randn(len(ids), width), batch=1)
    (op,) = [op for op in w.ops if "lookups" in op.tags]
    dest = 1024 * width * 4
    assert op.tags["random_read_bytes"] == op.tags["random_write_bytes"] == dest
    assert op.tags["access_bytes"] == dest
