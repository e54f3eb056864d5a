"""Gathers by index of a parameter read what they name, not the whole table (find-A 1,
2026-12): ``W[idx]`` is a row gather like ``nn.Embedding`` on the same ids; ``torch.gather``,
``torch.take`` and the other index patterns read element by element. Real torch models (real
and fake weights); byte goldens are B x L x dim x 4 B (fp32 rows) + B x L x 8 B (int64 ids),
written here."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

from torch import nn  # noqa: E402

from cimsim.workload.trace import trace  # noqa: E402


class Both(nn.Module):
    """The same lookup written twice: ``W[idx]`` of a Parameter and an ``nn.Embedding``."""

    def __init__(self, rows, dim, device=None):
        super().__init__()
        self.W = nn.Parameter(torch.empty(rows, dim, device=device))
        self.E = nn.Embedding(rows, dim, device=device)

    def forward(self, idx):
        return self.W[idx].sum(1) + self.E(idx).sum(1)


def _read_bytes(w, op):
    return sum(w.tensors[t].nbytes for t in op.inputs)


def _op(w, name):
    return next(op for op in w.ops if op.name == name)


def test_w_idx_on_a_fake_million_row_table_reads_its_rows_as_nn_embedding_does():
    from torch._subclasses.fake_tensor import FakeTensorMode

    B, L, rows, dim = 128, 20, 1_000_000, 64
    with FakeTensorMode(allow_non_fake_inputs=True):
        m, idx = Both(rows, dim), torch.randint(0, rows, (B, L))
    w = trace(m, (idx,))
    index, emb = _op(w, "index"), _op(w, "E.embedding")
    # fake ids are taken to be distinct rows: B x L rows of 64 fp32, plus the int64 ids
    closed = B * L * dim * 4 + B * L * 8
    assert closed == 675_840
    assert _read_bytes(w, index) == _read_bytes(w, emb) == closed  # was 256 MB + ids (391x)
    assert index.tags["access_bytes"] == emb.tags["access_bytes"] == dim * 4
    assert index.tags["part"] == "gather"
    # the weights are the rows read, B x L x dim x 4 B for each table, not the 256 MB table
    assert w.weight_bytes == 2 * B * L * dim * 4


def test_w_idx_with_real_ids_reads_each_distinct_row_once():
    torch.manual_seed(0)
    rows, dim = 1000, 16
    m = Both(rows, dim)
    idx = torch.tensor([[3, 7, 3, 999], [7, 0, 5, 3]])  # 5 distinct rows of 8 lookups
    w = trace(m, (idx,))
    index, emb = _op(w, "index"), _op(w, "E.embedding")
    assert _read_bytes(w, index) == _read_bytes(w, emb) == 5 * dim * 4 + 8 * 8


class Plain(nn.Module):
    def __init__(self, rows, dim):
        super().__init__()
        self.W = nn.Parameter(torch.randn(rows, dim))

    def forward(self, idx):
        return self.W[idx]


def test_w_idx_with_a_negative_id_reads_its_rows_element_by_element():
    # a negative row id counts from the end: rows 999 and 3 (2 distinct of 3 lookups)
    rows, dim = 1000, 16
    neg = torch.tensor([[-1, 3, 999]])
    w = trace(Plain(rows, dim), (neg,))
    index = _op(w, "index")
    assert _read_bytes(w, index) == 2 * dim * 4 + 3 * 8
    assert index.tags["access_bytes"] == dim * 4


class Elements(nn.Module):
    """``torch.gather``, ``torch.take`` and a column index of a 100 x 8 Parameter."""

    def __init__(self):
        super().__init__()
        self.W = nn.Parameter(torch.randn(100, 8))

    def forward(self, g, t, c):
        return (torch.gather(self.W, 1, g).sum() + torch.take(self.W, t).sum()
                + self.W[:, c].sum())


def test_gather_take_and_column_index_of_a_parameter_read_the_elements_they_name():
    g = torch.tensor([[0, 1], [1, 1], [7, 7]])  # (0,0) (0,1) (1,1) (2,7): 4 distinct elements
    t = torch.tensor([0, 9, -1, 0])  # flat 0, 9 and 799 (the last): 3 distinct elements
    c = torch.tensor([2, 5])  # columns 2 and 5 of all 100 rows: 200 elements
    w = trace(Elements(), (g, t, c))
    ops = {op.name: op for op in w.ops if op.tags.get("part") == "gather"}
    assert set(ops) == {"gather", "take", "index"}
    assert _read_bytes(w, ops["gather"]) == 4 * 4 + g.numel() * 8  # was 100 x 8 x 4 B + ids
    assert _read_bytes(w, ops["take"]) == 3 * 4 + t.numel() * 8
    assert _read_bytes(w, ops["index"]) == 200 * 4 + c.numel() * 8
    assert all(op.tags["access_bytes"] == 4 for op in ops.values())  # one fp32 element each


def test_gather_of_an_activation_stays_a_copy():
    class Act(nn.Module):
        def forward(self, x, i):
            return torch.gather(x * 2, 1, i)

    x, i = torch.randn(4, 6), torch.tensor([[0], [1], [2], [3]])
    w = trace(Act(), (x, i))
    op = next(op for op in w.ops if op.name == "gather")
    assert op.kind == "copy" and "access_bytes" not in op.tags
    assert _read_bytes(w, op) == 4 * 6 * 4 + 4 * 8  # the whole activation and the ids
