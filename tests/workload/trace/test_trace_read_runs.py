"""A read of part of a weight is identified by its runs of consecutive offsets, counted rather
than sorted, and a gather keeps its row ids (issue: `cimsim trace --zoo hf:mixtral
--real-weights` of one 26 MB layer took 15 s, most of it ``np.unique`` over every offset of each
expert's slice; a DLRM bag of 1,024 x 80 lookups x 128 took 23 s and 1 GB, ``np.unique`` over
10.5 M offsets).

The answers are NumPy's (``np.unique``) on random offsets, and a traced MoE and embedding bag are
the same, op for op and tensor for tensor, as with the sorting key the fix replaced.
A model of shapes only that routes by value stops in one line that says routing needs values.
"""

from __future__ import annotations

import numpy as np
import pytest

from cimsim.workload.trace import grouped as G
from cimsim.workload.trace import storage as S


def _reference_runs(offs):
    """Maximal runs of consecutive offsets, by a loop over ``np.unique``'s sorted answer."""
    starts, lengths = [], []
    for o in np.unique(offs).tolist():
        if starts and o == starts[-1] + lengths[-1]:
            lengths[-1] += 1
        else:
            starts.append(o)
            lengths.append(1)
    return starts, lengths


@pytest.mark.parametrize("seed", range(6))
def test_distinct_offsets_and_runs_are_numpys(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 5000))
    for span in (n // 3 + 1, n, 3 * n, 1000 * n):  # dense (marked) and sparse (sorted) spans
        offs = rng.integers(0, span, n, dtype=np.int64) + int(rng.integers(0, 100))
        u = S._sorted_distinct(offs)
        ref = np.unique(offs)
        assert u.dtype == ref.dtype and np.array_equal(u, ref)
        starts, lengths = S.runs(offs)
        assert (starts.tolist(), lengths.tolist()) == _reference_runs(offs)
        assert S.read_key(offs)[0] == len(ref)
    assert [a.tolist() for a in S.runs(np.zeros(0, dtype=np.int64))] == [[], []]


@pytest.mark.parametrize("seed", range(4))
def test_a_gathers_rows_give_the_runs_and_key_of_their_offsets(seed):
    rng = np.random.default_rng(seed)
    table_rows, dim = 500, 16
    rows = np.unique(rng.integers(0, table_rows, int(rng.integers(1, 400))))
    for stride, inner in ((dim, np.arange(dim)),          # contiguous rows: runs from the rows
                          (2 * dim, np.arange(dim) + 3),  # rows with gaps between them
                          (dim, np.arange(0, dim, 2))):   # every other column: enumerated
        r = S.RowRead(7, rows, stride, inner)
        offs = (7 + rows[:, None] * stride + inner[None, :]).reshape(-1)
        assert len(r) == len(offs) and np.array_equal(r.offsets(), offs)
        assert [a.tolist() for a in S.runs(r)] == list(_reference_runs(offs))
        # the same set read as shuffled, repeated offsets has the same key (one tensor)
        assert S.read_key(r) == S.read_key(rng.permutation(np.concatenate([offs, offs[:5]])))
    # rows 3, 4, 5 of a dense 16-wide table: one run of 48 offsets, found without the offsets
    r = S.RowRead(0, np.array([3, 4, 5, 9]), dim, np.arange(dim))
    assert [a.tolist() for a in r.runs()] == [[48, 144], [48, 16]]


def test_the_union_of_several_reads_is_numpys():
    rng = np.random.default_rng(7)
    inner = np.arange(16)
    a, b = (S.RowRead(0, np.unique(rng.integers(0, 300, 90)), 16, inner) for _ in range(2))
    union = np.unique(np.concatenate([a.offsets(), b.offsets()]))
    assert S.distinct_size([a, b]) == len(union)  # from the rows
    odd = rng.integers(0, 4800, 700)
    assert S.distinct_size([a, odd, b]) == len(np.unique(np.concatenate([union, odd])))


def test_an_expert_slice_is_keyed_without_sorting(monkeypatch):
    # expert 5 of 8 stacked (8, 256, 64) experts, read transposed as (64, 256): its 16,384
    # offsets are the block 5 * 16,384 .. 6 * 16,384 - 1, one run
    offs = S.offsets(5 * 256 * 64, (64, 256), (1, 64))

    def no_sort(*a, **kw):
        raise AssertionError("np.unique sorted the offsets")

    monkeypatch.setattr(S.np, "unique", no_sort)
    assert S.read_key(offs)[0] == 256 * 64
    assert [a.tolist() for a in S.runs(offs)] == [[5 * 256 * 64], [256 * 64]]


def _old_read_key(r):
    """The key the fix replaced: ``np.unique`` of every offset the read touches."""
    if r is None:
        return ("all",)
    u = np.unique(S.as_offsets(r))
    return (len(u), hash(u.tobytes()))


def _same(a, b):
    assert list(a.ops) == list(b.ops)
    assert dict(a.tensors) == dict(b.tensors)
    assert a.metadata.get("unread_parameters") == b.metadata.get("unread_parameters")


@pytest.mark.torch
def test_a_mixtral_trace_is_the_sorting_keys(monkeypatch):
    pytest.importorskip("transformers")
    from cimsim import zoo

    kw = dict(real_weights=True, batch=4, cache=8, num_hidden_layers=2, hidden_size=64,
              intermediate_size=128, num_attention_heads=4, num_key_value_heads=2, vocab_size=128)
    new = zoo.trace_zoo("hf:mixtral", **kw)
    with monkeypatch.context() as m:
        m.setattr(S, "read_key", _old_read_key)
        m.setattr(G, "read_key", _old_read_key)
        old = zoo.trace_zoo("hf:mixtral", **kw)
    _same(new, old)
    experts = [op for op in new.ops if op.tags.get("aten") == "_grouped_mm"]
    assert experts and all(op.weight.endswith(f"[{op.tags['expert']}]") for op in experts)


@pytest.mark.torch
def test_an_embedding_bag_keeps_row_ids_and_traces_as_before(monkeypatch):
    torch = pytest.importorskip("torch")
    from cimsim import trace

    class Bags(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.bag = torch.nn.EmbeddingBag(100, 16, mode="sum")

        def forward(self, idx, offs):
            # the bag gathers rows 0..4 (repeated), and a slice reads the same rows 0..4
            return self.bag(idx, offs).sum() + self.bag.weight[:5].sum()

    torch.manual_seed(0)
    model = Bags().eval()
    idx, offs = torch.tensor([0, 1, 2, 3, 4, 4, 2, 0]), torch.tensor([0, 3, 6])

    def no_offsets(self):
        raise AssertionError("a gather of same-size rows enumerated its offsets")

    with monkeypatch.context() as m:
        m.setattr(S.RowRead, "offsets", no_offsets)
        new = trace(model, (idx, offs))
    with monkeypatch.context() as m:
        m.setattr(S, "read_key", _old_read_key)
        old = trace(model, (idx, offs))
    _same(new, old)
    # one tensor of the table's 5 rows x 16, which both the bag and the slice read
    part = [t for t in new.tensors.values() if t.name.startswith("bag.weight")]
    assert [(t.name, t.numel) for t in part] == [("bag.weight[part]", 5 * 16)]
    assert sum("bag.weight[part]" in op.inputs for op in new.ops) == 2


@pytest.mark.torch
@pytest.mark.parametrize("device", ["meta", "fake"])
def test_a_plain_torch_moe_of_shapes_only_says_routing_needs_values(device, tmp_path):
    pytest.importorskip("torch")
    from click.testing import CliRunner

    from cimsim.commands.trace import trace_command

    (tmp_path / "moe.py").write_text('''
import torch, torch.nn as nn, torch.nn.functional as F
class MoE(nn.Module):
    def __init__(s, d=16, E=4, k=2):
        super().__init__(); s.gate = nn.Linear(d, E); s.k = k
        s.experts = nn.ModuleList(nn.Linear(d, d) for _ in range(E))
    def forward(s, x):
        w, idx = torch.topk(F.softmax(s.gate(x), -1), s.k, -1)
        out = torch.zeros_like(x)
        for e, ex in enumerate(s.experts):
            tok, slot = torch.where(idx == e)
            out.index_add_(0, tok, ex(x[tok]) * w[tok, slot, None])
        return out
def meta():
    with torch.device("meta"):
        return MoE().eval(), (torch.randn(4, 16),)
def fake():
    from torch._subclasses.fake_tensor import FakeTensorMode
    with FakeTensorMode(allow_non_fake_inputs=True):
        return MoE().eval(), (torch.randn(4, 16),)
''')
    r = CliRunner().invoke(trace_command, [f"{tmp_path / 'moe.py'}:{device}", "-o",
                                           str(tmp_path / "w.json")])
    assert r.exit_code == 1, r.output
    lines = [ln for ln in r.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in r.output, r.output
    line = lines[0]
    assert line.startswith("Error: aten.nonzero (module 'MoE', ") and "moe.py:11)" in line
    assert "needs the tensors' values" in line and "routes each token by value" in line
    assert "real (small) weights" in line and "--real-weights" in line
    assert not (tmp_path / "w.json").exists()
