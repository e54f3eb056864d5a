"""Gathers by index of a parameter read what they name, not the whole table (find-A 1,
2026-12): ``W[idx]`` is a row gather like ``nn.Embedding`` on the same ids; ``torch.gather``,
``torch.take`` and the other index patterns read the elements they name, each run of consecutive
elements one access; a row mask is a row gather. Real torch models (real
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


def test_w_idx_with_a_negative_id_reads_the_rows_it_counts_from_the_end():
    # a negative row id counts from the end: rows 999 and 3 (2 distinct of 3 lookups)
    rows, dim = 1000, 16
    neg = torch.tensor([[-1, 3, 999]])
    w = trace(Plain(rows, dim), (neg,))
    index = _op(w, "index")
    assert _read_bytes(w, index) == 2 * dim * 4 + 3 * 8
    assert index.tags["access_bytes"] == dim * 4
    # the repeated-id note's tags, as a gather of non-negative ids has them (were missing)
    assert (index.tags["lookups"], index.tags["rows_read"], index.tags["table_rows"]) == (3, 2, rows)


class Elements(nn.Module):
    """``torch.gather`` and ``torch.take`` of a 100 x 8 Parameter."""

    def __init__(self):
        super().__init__()
        self.W = nn.Parameter(torch.randn(100, 8))

    def forward(self, g, t):
        return torch.gather(self.W, 1, g).sum() + torch.take(self.W, t).sum()


def test_gather_and_take_of_a_parameter_read_the_elements_they_name():
    g = torch.tensor([[0, 1], [1, 1], [7, 7]])  # (0,0) (0,1) (1,1) (2,7): 4 distinct elements
    t = torch.tensor([0, 9, -1, 0])  # flat 0, 9 and 799 (the last): 3 distinct elements
    w = trace(Elements(), (g, t))
    ops = {op.name: op for op in w.ops if op.tags.get("part") == "gather"}
    assert set(ops) == {"gather", "take"}
    # gather: bytes 0-7, 36-39 (line 0) and 92-95 (line 1): one run of 2 whole lines, one
    # access of 128 B (was the 16 B used, and before that 100 x 8 x 4 B + ids)
    assert _read_bytes(w, ops["gather"]) == 2 * 64 + g.numel() * 8
    assert ops["gather"].tags["access_bytes"] == 128
    # take: flat 0, 9 (bytes 0, 36: line 0) and 799 (byte 3,196: line 49): 2 accesses of a line
    assert _read_bytes(w, ops["take"]) == 2 * 64 + t.numel() * 8
    assert ops["take"].tags["access_bytes"] == 64  # was 6 (the 12 B used over 2 runs)


class Columns(nn.Module):
    """``W[:, c]`` of a ``rows`` x 64 fp32 Parameter (256 B rows; 1000 rows: 256,000 B)."""

    def __init__(self, rows=1000):
        super().__init__()
        self.W = nn.Parameter(torch.empty(rows, 64))

    def forward(self, c):
        return self.W[:, c]


@pytest.mark.parametrize("cols, lines", [
    ([2], 1),  # one element a row, in the row's line 0: 1,000 accesses of a 64 B line
    (list(range(8, 16)), 1),  # 8 consecutive columns (bytes 32-63), line 0: the same
    (list(range(32)), 2),  # half of each row, lines 0-1: 1,000 accesses of 128 B
])
def test_a_column_index_reads_the_whole_lines_of_its_columns_one_access_a_run(cols, lines):
    c = torch.tensor(cols)
    w = trace(Columns(), (c,))
    op = _op(w, "index")
    assert _read_bytes(w, op) == 1000 * lines * 64 + c.numel() * 8
    assert op.tags["access_bytes"] == lines * 64  # was the bytes used (4 B: one element)


def test_a_column_index_touching_every_line_reads_the_table_as_one_run():
    # columns 0, 2, 4, ..., 62: every line of every 256 B row: one run of the table's 4,000
    # lines, 256,000 B, its tags kept (the level charges it at the random or streaming rate,
    # whichever is faster: test_trace_gather_cost)
    c = torch.arange(0, 64, 2)
    w = trace(Columns(), (c,))
    op = _op(w, "index")
    assert _read_bytes(w, op) == 1000 * 64 * 4 + c.numel() * 8
    assert op.tags["access_bytes"] == op.tags["table_bytes"] == 256_000


@pytest.mark.filterwarnings("ignore:indexing with dtype torch.uint8")
@pytest.mark.parametrize("mask, rows, grain", [
    (torch.arange(1000) % 2 == 0, 500, 256),  # every other row: one row an access
    (torch.arange(1000) < 300, 300, 300 * 256),  # rows 0-299: one access of 76,800 B
    ((torch.arange(1000) % 4 != 0).to(torch.uint8), 750, 3 * 256),  # runs of 3 rows, 768 B
])
def test_a_row_mask_is_a_row_gather_of_the_rows_it_marks(mask, rows, grain):
    w = trace(Plain(1000, 64), (mask,))
    op = _op(w, "index")
    # the rows marked (whole lines of 256 B rows), plus the 1,000 one-byte mask
    assert _read_bytes(w, op) == rows * 64 * 4 + 1000
    assert op.tags["access_bytes"] == grain  # was 4 B: 12x slower than the whole table on type: dram
    assert (op.tags["lookups"], op.tags["rows_read"], op.tags["table_rows"]) == (rows, rows, 1000)


def test_an_element_gather_of_a_small_activation_reads_the_lines_of_its_picks():
    """An activation's gather reads what it picks (test_trace_activation_picks): 4 picks of
    4 B elements of a 96 B activation, bytes 0, 28, 56 (line 0) and 84 (line 1, which the
    storage ends in at byte 96): one run of both lines, 96 B."""
    class Act(nn.Module):
        def forward(self, x, i):
            return torch.gather(x * 2, 1, i)

    x, i = torch.randn(4, 6), torch.tensor([[0], [1], [2], [3]])
    w = trace(Act(), (x, i))
    op = next(op for op in w.ops if op.name == "gather")
    assert op.kind == "copy" and op.tags["part"] == "gather"
    assert op.tags["access_bytes"] == op.tags["random_read_bytes"] == op.tags["table_bytes"] == 96
    assert _read_bytes(w, op) == 4 * 6 * 4 + 4 * 8  # the activation's lines and the ids


def _fake(make):
    from torch._subclasses.fake_tensor import FakeTensorMode

    with FakeTensorMode(allow_non_fake_inputs=True):
        return make()


@pytest.mark.parametrize("cols, grain", [
    # columns 0, 2, ..., 62: real ids touch all 4 lines of every row (400,000 lines), fake ids
    # 3,200,000 elements each a line (at most the table's 400,000): one run of the table
    (list(range(0, 64, 2)), None),
    # column 2: 100,000 accesses of a 64 B line, 6,400,000 B
    ([2], 64),
])
def test_a_fake_column_index_is_charged_as_the_same_columns_with_real_ids(cols, grain):
    """Review 14-6 finding 1: fake ids had no whole-table rule (12x slower than real ids)."""
    table = 100_000 * 64 * 4
    assert table == 25_600_000
    ids = len(cols) * 8
    def real():
        return Columns(100_000), torch.tensor(cols)

    for make in (real, lambda: _fake(real)):
        read, tags = _bytes(make)
        if grain is None:  # the whole table (was 12,800,000 B of 4 B accesses with fake ids)
            assert read == table + ids and tags["access_bytes"] == table
        else:
            assert read == 100_000 * 64 + ids and tags["access_bytes"] == grain


class Transposed(nn.Module):
    """``W.t()[i]`` of a 64 x 100,000 fp32 Parameter: each row of ``W.t()`` is 64 elements
    100,000 apart (400 kB), 64 isolated 4 B accesses, not one 256 B access."""

    def __init__(self):
        super().__init__()
        self.W = nn.Parameter(torch.empty(64, 100_000))

    def forward(self, i):
        return self.W.t()[i]


def _bytes(make):
    w = trace(*make())
    op = _op(w, "index")
    return sum(w.tensors[t].nbytes for t in op.inputs), op.tags


@pytest.mark.parametrize("fake", [False, True])
def test_a_row_gather_of_a_transposed_view_takes_its_grain_from_the_strided_elements(fake):
    """Review 14-6 finding 2: tagged 256 B rows, 3.7x faster than the memory can serve them."""
    make = (lambda: (Transposed(), torch.arange(0, 1000, 100)))  # 10 rows
    read, tags = _bytes(lambda: _fake(make) if fake else make())
    # 10 rows x 64 isolated elements: 640 accesses of a 64 B line (40,960 B), plus the 10
    # int64 ids
    assert read == 10 * 64 * 64 + 10 * 8 == 41_040
    assert tags["access_bytes"] == 64  # was 256 (a whole row), then 4 (the bytes used)
    assert (tags["lookups"], tags["rows_read"], tags["table_rows"]) == (10, 10, 100_000)


def test_a_row_gather_of_a_transposed_view_whose_lines_cover_the_table_reads_it_as_one_run():
    # 50,000 rows x 64 elements, every other element of each W row: all of its 6,250 lines x 64
    # (distinct: two elements of one line fetch it once), one run of the 25,600,000 B table,
    # plus the 50,000 int64 ids
    read, tags = _bytes(lambda: (Transposed(), torch.arange(0, 100_000, 2)))
    assert read == 64 * 100_000 * 4 + 50_000 * 8
    assert tags["access_bytes"] == 25_600_000  # was 256 B rows, 6.6 MB at the full rate


def test_a_row_gather_of_a_column_strided_view_takes_its_grain_from_the_elements():
    """``W[:, ::2][idx]``: rows of 32 elements 2 apart over their 256 B row's 4 consecutive
    lines: one access of those 4 lines, 256 B, each; 3 rows of a 1000 x 64 fp32 table: 12
    lines, 768 B."""
    read, tags = _bytes(lambda: (Strided(), torch.tensor([5, 1, 700])))
    assert read == 3 * 4 * 64 + 3 * 8
    assert tags["access_bytes"] == 256  # was 4 (32 accesses a row), then 128 (the bytes used)


class Strided(nn.Module):
    def __init__(self):
        super().__init__()
        self.W = nn.Parameter(torch.empty(1000, 64))

    def forward(self, i):
        return self.W[:, ::2][i]
