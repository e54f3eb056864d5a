"""Every row gather follows one rule (find-H 1, find-E 1; review 19 D 1-4): it reads the whole
64 B lines its rows touch, each run of adjacent lines one random access (tag ``access_bytes``:
their mean), and states its table (``table_bytes``: a level where streaming it is cheaper
charges that, tests/workload/trace/test_trace_gather_cost.py), whatever op wrote it:
``nn.Embedding``, ``W[idx]``, ``index_select``, ``x[src]`` of an input, ``torch.gather``,
``torch.take``. 8 B and 12 B rows were one random access each through the row-gather ops and
a stream through ``gather``/``take``. Real torch models; goldens written here in bytes."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

from torch import nn  # noqa: E402

from cimsim.workload.trace import trace  # noqa: E402

SPELLINGS = ("embedding", "index", "index_select", "input", "gather", "take",
             "index_select1", "take_input")
#: the spellings that gather elements, not rows: they state no lookups / rows (review 21 D 3:
#: ``index_select`` along dim 1 and ``torch.take`` of a model input read whole tables before)
ELEMENTS = ("gather", "take", "index_select1", "take_input")


class Rows(nn.Module):
    """A gather of the rows ``idx`` of a ``rows`` x ``width`` fp32 table, spelled ``how``."""

    def __init__(self, how, rows, width):
        super().__init__()
        self.how, self.W = how, nn.Parameter(torch.randn(rows, width))

    def forward(self, idx, pos):
        W, w = self.W, self.W.shape[1]
        if self.how == "embedding":
            return nn.functional.embedding(idx, W)
        if self.how == "index":
            return W[idx]
        if self.how == "index_select":
            return W.index_select(0, idx)
        if self.how == "input":  # the edge vectors' pos[src] of a model input
            return pos[idx]
        if self.how == "gather":
            return torch.gather(W, 0, idx[:, None].expand(-1, w))
        if self.how == "index_select1":  # W's rows are the columns of W.t(): the same lines
            return W.t().index_select(1, idx)
        if self.how == "take_input":  # torch.take of a model input
            return torch.take(pos, idx[:, None] * w + torch.arange(w))
        return torch.take(W, idx[:, None] * w + torch.arange(w))


def _gather(how, rows, width, idx):
    w = trace(Rows(how, rows, width), (idx, torch.randn(rows, width)))
    (op,) = [op for op in w.ops if op.tags.get("part") == "gather"]
    table = sum(w.tensors[t].nbytes for t in op.inputs if w.tensors[t].dtype != "int64")
    return op.tags, table


@pytest.mark.parametrize("how", SPELLINGS)
def test_rows_under_a_line_sharing_lines_are_one_access_each_run_of_lines(how):
    # 4,096 rows of 2 fp32 (8 B, 32,768 B: 512 lines). Rows 0-3: bytes 0-31, line 0; rows 64,
    # 65: bytes 512-527, line 8; row 200: line 25; row 1,000: byte 8,000, line 125. 8 rows of
    # 8 B in 4 lines, none adjacent: 4 accesses of a whole 64 B line each, 256 B fetched (was 8
    # accesses of 8 B, one a row; then 4 accesses charged 16 B each, the bytes used)
    idx = torch.tensor([3, 0, 1, 2, 65, 64, 200, 1000, 0])
    tags, table = _gather(how, 4096, 2, idx)
    assert tags["access_bytes"] == 64 and tags["random_read_bytes"] == 4 * 64
    assert tags["table_bytes"] == 4096 * 8
    assert table == 4 * 64  # the lines' bytes (the untouched rest of the table is not moved)


@pytest.mark.parametrize("how", SPELLINGS)
def test_rows_under_a_line_touching_every_line_are_one_run_and_keep_their_tags(how):
    # 1,000 points of 3 fp32 (12 B: 12,000 B, 187.5 lines); ids 0, 3, 6, .., 2,997 mod 1,000
    # touch every line: one run of all of them, 12,000 B (the storage ends mid-line), with its
    # lookups, rows and table (review 19 D 4: a streamed gather dropped them, and the
    # repeat-hit note with them)
    idx = torch.arange(0, 3000, 3) % 1000
    tags, table = _gather(how, 1000, 3, idx)
    assert tags["access_bytes"] == 12000 and tags["random_read_bytes"] == 12000
    assert tags["table_bytes"] == 12000 and table == 1000 * 3 * 4
    if how not in ELEMENTS:  # the element gathers state no rows
        assert (tags["lookups"], tags["rows_read"], tags["table_rows"]) == (1000, 1000, 1000)


@pytest.mark.parametrize("how", SPELLINGS)
def test_adjacent_rows_of_a_line_or_more_are_one_access(how):
    # 1,000 rows of 16 fp32 (64 B, one line each): rows 10-13 one run of 4 lines (256 B), rows
    # 100 and 500 one line each: 3 accesses of 6 x 64 / 3 = 128 B (was 6 accesses of 64 B)
    idx = torch.tensor([10, 11, 12, 13, 100, 500])
    tags, table = _gather(how, 1000, 16, idx)
    assert tags["access_bytes"] == 128 and tags["random_read_bytes"] == 6 * 64
    assert table == 6 * 64


@pytest.mark.parametrize("how", SPELLINGS)
@pytest.mark.parametrize("ids, accesses", [([0, 1, 2, 3], 1), ([3, 2, 1, 0], 1), ([2, 0, 3, 1], 4),
                                           ([0, 1, 3, 2, 0, 1], 2), ([0, 2, 1, 3], 3)])
def test_adjacent_lines_are_one_access_only_where_the_ids_read_them_in_turn(how, ids, accesses):
    # find-N 1: 64 B rows (16 fp32), one line each. Rows 0-3 read in turn, up or down: one
    # access of the 4 lines, 256 B. The same rows read 2, 0, 3, 1: no line comes next to the one
    # read before it, so four 64 B accesses (the runs of the set of lines gave one 256 B access
    # whatever the order). 0, 1 | 3, 2 and repeats: two accesses (3 -> 2 is the line next to the
    # one before; a repeat fetches nothing). 0 | 2, 1 | 3: three accesses of 256 B in all
    tags, _ = _gather(how, 4096, 16, torch.tensor(ids))
    assert tags["random_read_bytes"] == 4 * 64
    assert tags["access_bytes"] == 4 * 64 / accesses


def test_a_dense_random_gather_is_a_line_an_access_and_its_sorted_ids_one_per_run():
    # 4,096 ids, a random permutation of rows 0-4,095 of 64 B: every line once. Sorted: one run
    # of 262,144 B; in random order a line joins the access before only where it is the line
    # next to the one read just before it, so accesses = 1 + the steps whose rows differ by
    # more than 1 (counted here from the ids)
    g = torch.Generator().manual_seed(0)
    perm = torch.randperm(4096, generator=g)
    steps = int(((perm[1:] - perm[:-1]).abs() != 1).sum())
    tags, _ = _gather("index_select", 4096, 16, perm)
    assert tags["access_bytes"] == 4096 * 64 / (1 + steps)
    assert 1 + steps > 4000  # nearly a line an access
    tags, _ = _gather("index_select", 4096, 16, perm.sort().values)
    assert tags["access_bytes"] == 4096 * 64


#: the spellings that read a row's elements in turn (``W.t().index_select(1, ids)`` reads the
#: rows' first elements first, a column of the view at a time: see the test of it below)
IN_TURN = tuple(h for h in SPELLINGS if h != "index_select1")


@pytest.mark.parametrize("how", IN_TURN)
@pytest.mark.parametrize("width, ids", [(32, range(1000, 1064)), (32, range(1063, 999, -1)),
                                        (24, range(1000, 1064)), (24, range(1063, 999, -1))])
def test_a_run_of_rows_of_several_lines_is_one_access_up_or_down(how, width, ids):
    # review 21 D 2: rows 1,000-1,063 of 128 B (32 fp32, 2 lines) start at byte 128,000 (line
    # 2,000) and end at byte 136,191: 128 whole lines, 8,192 B; of 96 B (24 fp32) bytes
    # 96,000-102,143, lines 1,500-1,595: 6,144 B. Read in either order the rows' lines are one
    # run of adjacent lines: one access of all of them (descending was one access a row, 128 B
    # and 96 B, as a one-line row's descending run was one)
    tags, table = _gather(how, 4096, width, torch.tensor(list(ids)))
    fetched = 64 * width * 4
    assert tags["random_read_bytes"] == fetched and table == fetched
    assert tags["access_bytes"] == fetched


@pytest.mark.parametrize("how", IN_TURN)
def test_rows_of_several_lines_read_out_of_turn_are_an_access_each(how):
    # 128 B rows 0, 2, 4, 6 read 6, 0, 4, 2: no row's lines touch the lines read just before
    # (rows apart by 2 leave 2 lines between), so 4 accesses of 128 B, 512 B
    tags, _ = _gather(how, 4096, 32, torch.tensor([6, 0, 4, 2]))
    assert tags["random_read_bytes"] == 4 * 128 and tags["access_bytes"] == 128


class _Cols(nn.Module):
    def __init__(self):
        super().__init__()
        self.W = nn.Parameter(torch.randn(16, 4096))

    def forward(self, idx):
        return self.W.index_select(1, idx)


def test_index_select_along_dim_1_reads_the_lines_of_the_elements_it_names():
    # review 21 D 3: W (16, 4,096) fp32, columns 1,000-1,063: each row's bytes 4,000-4,255 of its
    # 16,384, lines 62-66 of it (4,000 // 64, 4,255 // 64): 5 lines, 320 B, a run; 16 rows, 16
    # runs, 5,120 B (was a copy of all 262,144 B, no tags)
    w = trace(_Cols(), (torch.arange(1000, 1064),))
    (op,) = [op for op in w.ops if op.tags.get("part") == "gather"]
    assert op.tags["random_read_bytes"] == 16 * 5 * 64 and op.tags["access_bytes"] == 5 * 64
    assert op.tags["table_bytes"] == 16 * 4096 * 4
