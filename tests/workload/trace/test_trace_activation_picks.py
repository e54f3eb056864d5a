"""Gathers of an activation by several index tensors (``points[batch_idx, idx]``, CLIP's
``h[arange(B), ids.argmax(-1)]``, a slice before the index) and by ``torch.gather`` read the
rows they pick, tagged as ``index_select`` of the same rows is (find-P 2 and 3, find-C 1,
round 18): they were copies of the whole input. Real torch models, real and meta ids; the
goldens are rows x row bytes (fp32) + ids x 8 B (int64), written here."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

from torch import nn  # noqa: E402

from cimsim import load_architecture, simulate  # noqa: E402
from cimsim.report.columns import bytes_column  # noqa: E402
from cimsim.workload.trace import trace  # noqa: E402

B, N, C, M, K = 2, 64, 16, 8, 4  # 2 clouds of 64 points of 16 fp32 features (64 B rows)
ROW = C * 4
# 20 distinct points a cloud, no two adjacent (adjacent rows would be one access)
IDX = (torch.arange(M * K) % 20 * 3).view(1, M, K).repeat(B, 1, 1)


def _op(w, name):
    return next(op for op in w.ops if op.name == name)


def _tags(op):
    return tuple(op.tags.get(k) for k in ("access_bytes", "lookups", "rows_read", "table_rows",
                                          "random_read_bytes"))


def _read_bytes(w, op):
    return sum(w.tensors[t].nbytes for t in op.inputs)


class Group(nn.Module):
    """PointNet++'s grouping written three ways: ``index_points`` (pointnet2's
    ``points[batch_indices, idx, :]``), ``torch.gather`` of the expanded ids, ``index_select``
    of the flattened points."""

    def __init__(self, how):
        super().__init__()
        self.how = how

    def forward(self, x, idx):
        if self.how == "index":
            return x[torch.arange(B).view(B, 1, 1), idx, :]
        if self.how == "gather":
            return torch.gather(x, 1, idx.reshape(B, M * K, 1).expand(-1, -1, C))
        flat = (idx + (torch.arange(B) * N).view(B, 1, 1)).reshape(-1)
        return x.reshape(B * N, C).index_select(0, flat)


@pytest.mark.parametrize("how, name, ids", [
    ("index", "index", B * M * K * 8 + B * 8),  # idx and the arange(B)
    ("gather", "gather", B * M * K * 8),  # the expanded ids' storage, once
    ("index_select", "index_select", B * M * K * 8),
])
def test_pointnet_grouping_reads_the_rows_it_picks_however_written(how, name, ids):
    w = trace(Group(how), (torch.randn(B, N, C), IDX))
    op = _op(w, name)
    # 64 picks of 40 distinct 64 B rows of the 128 (was a copy of all 8,192 B, no tags)
    assert op.kind == "copy" and op.tags["part"] == "gather"
    assert _tags(op) == (ROW, B * M * K, 2 * 20, B * N, 2 * 20 * ROW)
    assert _read_bytes(w, op) == 2 * 20 * ROW + ids


@pytest.mark.parametrize("how, name", [("index", "index"), ("gather", "gather")])
def test_without_index_values_the_picks_are_taken_as_distinct_rows(how, name):
    x = torch.empty(B, N, C, device="meta")
    w = trace(Group(how), (x, torch.empty(B, M, K, dtype=torch.long, device="meta")))
    assert _tags(_op(w, name)) == (ROW, B * M * K, B * M * K, B * N, B * M * K * ROW)


class Pick(nn.Module):
    """Farthest-point sampling's centroid pick, ``S`` iterations: ``xyz[bi, far, :]`` (or
    ``xyz[:, i]`` of a 1-element id tensor), one 12 B point of each cloud."""

    def __init__(self, how, steps=3):
        super().__init__()
        self.how, self.steps = how, steps

    def forward(self, xyz):
        b, n, _ = xyz.shape
        far, bi, dist, out = torch.zeros(b, dtype=torch.long), torch.arange(b), torch.full((b, n), 1e10), []
        for _ in range(self.steps):
            c = xyz[bi, far, :] if self.how == "index" else xyz[:, far[:1]]
            dist = torch.minimum(dist, ((xyz - c.view(b, 1, 3)) ** 2).sum(-1))
            far = dist.argmax(-1)
            out.append(c)
        return torch.stack(out, 1)


@pytest.mark.parametrize("how, ids", [("index", 2 * 8 + 2 * 8), ("slice", 8)])
def test_a_farthest_point_pick_reads_one_point_a_cloud_not_the_cloud(how, ids):
    w = trace(Pick(how), (torch.rand(2, 1024, 3),))
    picks = [op for op in w.ops if op.name.startswith("index")]
    assert len(picks) == 3
    for op in picks:
        # 2 points of 12 B (was the whole 24,576 B cloud each iteration), 24,576 B apart: each
        # its own access of the one or two 64 B lines it lies in (where argmax put it)
        fetched = op.tags["random_read_bytes"]
        assert fetched in (2 * 64, 3 * 64, 4 * 64) and _read_bytes(w, op) == fetched + ids
        assert _tags(op)[1:4] == (2, 2, 2048) and op.tags["access_bytes"] == fetched / 2


class EosPool(nn.Module):
    """CLIP's text pooling: the LayerNorm'd [B, L, d] states at each sequence's EOS id."""

    def __init__(self, d):
        super().__init__()
        self.ln = nn.LayerNorm(d)

    def forward(self, x, ids):
        h = self.ln(x)
        return h[torch.arange(h.shape[0]), ids.argmax(dim=-1)]


def test_clip_eos_pooling_reads_b_rows_not_the_whole_sequence():
    Bc, L, d = 64, 77, 512
    ids = torch.randint(0, 49_000, (Bc, L))
    ids[:, 10] = 49_407  # the EOS id, the largest
    w = trace(EosPool(d).eval(), (torch.randn(Bc, L, d), ids))
    op = _op(w, "index")
    rows, picks = Bc * d * 4, Bc * 8 + Bc * 8  # 131,072 B of rows; the arange and the argmax
    assert _tags(op) == (d * 4, Bc, Bc, Bc * L, rows)
    assert _read_bytes(w, op) == rows + picks  # was 10,092,544 B (the whole [64, 77, 512])
    sram = simulate(load_architecture("cpu-ddr5"), w).op_table.set_index("op").loc["index"]
    assert sram[bytes_column("sram")] == rows + picks + rows == 263_168  # + the rows written


def test_an_element_gather_of_a_few_elements_is_random_elements():
    class Top(nn.Module):
        def forward(self, x, i):
            return torch.gather(x * 2, 1, i)  # one element of each of 256 rows of 1,024

    # (row r's element at byte 4 x (7r mod 512) < 2,048 of its 4,096: no two in adjacent lines)
    i = (torch.arange(256) * 7 % 512).view(256, 1)
    w = trace(Top(), (torch.randn(256, 1024), i))
    op = _op(w, "gather")
    # 256 picks of one 4 B element, of a table of 256 x 1,024 elements: 256 whole 64 B lines
    assert _tags(op) == (64, 256, 256, 256 * 1024, 256 * 64)
    assert _read_bytes(w, op) == 256 * 64 + 256 * 8


def test_a_mask_of_an_activation_stays_a_copy():
    class Masked(nn.Module):
        def forward(self, x, m):
            return (x * 2)[m]

    w = trace(Masked(), (torch.randn(4, 6), torch.tensor([True, False, True, False])))
    assert "access_bytes" not in _op(w, "index").tags


class ExpandedPick(nn.Module):
    """A pick from a stride-0 (``expand``ed) activation: 2 batches over one stored [64, 16]."""

    def forward(self, x, i):
        t = (x[:1] * 1).expand(B, N, C)
        return t[torch.arange(B, device=x.device).view(B, 1), i]


@pytest.mark.parametrize("device", ["meta", "cpu"])
def test_a_pick_of_an_expanded_activation_reads_its_storage_rows_once(device):
    # review18-2 item 3: on meta, 256 picks counted 128 distinct rows of a 128-row table, 8,192 B
    # random, from a storage of 64 rows, 4,096 B; the stored rows are 64 (the batch dim repeats)
    x = torch.empty(B, N, C, device="meta") if device == "meta" else torch.randn(B, N, C)
    i = (torch.empty(B, 128, dtype=torch.long, device="meta") if device == "meta"
         else (torch.arange(B * 128) % N).view(B, 128))  # every stored row, twice a batch
    w = trace(ExpandedPick(), (x, i))
    op = _op(w, "index")
    # the 64 stored rows are all of the storage's lines: one run of them, once (4,096 B)
    assert op.tags["access_bytes"] == op.tags["table_bytes"] == N * ROW
    assert _read_bytes(w, op) == N * ROW + B * 128 * 8 + B * 8  # + the ids and the arange
    # every fourth stored row (16 of 64 lines, none adjacent): 16 random 64 B rows, counted once
    w = trace(ExpandedPick(), (torch.randn(B, N, C), (torch.arange(B * 128) % 16 * 4).view(B, 128)))
    assert _tags(_op(w, "index")) == (ROW, B * 128, 16, N, 16 * ROW)


class BigPick(nn.Module):
    """``h[arange(B), i]`` of a computed activation (review18-2 item 1's case)."""

    def forward(self, x, i):
        return (x * 2)[torch.arange(x.shape[0], device=x.device).view(-1, 1), i]


def test_a_pick_of_a_2_to_the_34_element_activation_is_cut_from_its_rows(monkeypatch):
    # review18-2 item 1: the pick's activation was cut into atoms by a label per element (53 s,
    # 3.85 GB at 64 M elements); its rows are runs (storage.RowRead.runs), so nothing enumerates
    # the elements: 4 x 2**26 rows of 64 fp32 (2**34 elements, 64 GiB; a label each would be
    # 128 GiB) on meta, 4 x 1,000 picks
    from cimsim.workload.trace import storage as S

    def no_offsets(self):
        raise AssertionError("a pick of whole rows enumerated its offsets")

    monkeypatch.setattr(S.RowRead, "offsets", no_offsets)
    rows, width, picks = 1 << 26, 64, 1000
    x = torch.empty(4, rows, width, device="meta")
    w = trace(BigPick(), (x, torch.empty(4, picks, dtype=torch.long, device="meta")))
    op = _op(w, "index")
    assert _tags(op) == (width * 4, 4 * picks, 4 * picks, 4 * rows, 4 * picks * width * 4)
    # the product is cut in two: the rows read (the first 4,000: meta ids are distinct rows) and
    # the rest; the mul writes both, the pick reads the first
    assert sorted(w.tensors[t].numel for t in w.ops[0].outputs) == [4 * picks * width,
                                                                     4 * rows * width - 4 * picks * width]
