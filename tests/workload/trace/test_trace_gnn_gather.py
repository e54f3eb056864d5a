"""A GNN's gather of node features (``x[src]``, ``x.index_select(0, src)`` of an activation)
and its aggregation into rows (``index_add_``, ``scatter_add`` along dim 0) are row gathers, as
the same ops on a parameter table are (find-F 2, 2026-12): tags ``access_bytes`` (one row),
``lookups`` (E ids), ``rows_read`` (distinct rows), ``table_rows``; near-bank PIM says it leaves
the aggregation on the host (find-F 4). Real torch models, real and meta ids; goldens are
N x d x 4 B (fp32 rows) and E x 8 B (int64 ids), written here."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

from torch import nn  # noqa: E402

from cimsim import load_architecture, simulate  # noqa: E402
from cimsim.workload.trace import trace  # noqa: E402

from conftest import make_arch  # noqa: E402

N, D, E = 500, 16, 200  # 500 nodes of 16 fp32 features (64 B rows), 200 edges
ROW = D * 4
# 40 and 30 distinct rows, no two adjacent (adjacent rows are one access), a few of the lines
SRC, DST = torch.arange(E) % 40 * 3, torch.arange(E) % 30 * 3


class GCN(nn.Module):
    """Gather x[src], add each row into out[dst], a Linear (the tester's GCNIndexAdd)."""

    def __init__(self, how="index_select"):
        super().__init__()
        self.how, self.lin = how, nn.Linear(D, D, bias=False)

    def forward(self, x, src, dst):
        h = x.index_select(0, src) if self.how == "index_select" else x[src]
        out = torch.zeros_like(x)
        if self.how == "index_select":
            out.index_add_(0, dst, h)
        else:
            out = out.scatter_add(0, dst.unsqueeze(1).expand(-1, D), h)
        return self.lin(out)


def _op(w, name):
    return next(op for op in w.ops if op.name == name)


def _rows(op):
    return tuple(op.tags.get(k) for k in ("access_bytes", "lookups", "rows_read", "table_rows"))


def _meta():
    return (torch.empty(N, D, device="meta"), torch.empty(E, dtype=torch.long, device="meta"),
            torch.empty(E, dtype=torch.long, device="meta"))


@pytest.mark.parametrize("how, gather, scatter", [("index_select", "index_select", "index_add"),
                                                  ("index", "index", "scatter_add")])
def test_a_gather_and_scatter_add_of_node_features_are_row_gathers(how, gather, scatter):
    w = trace(GCN(how), (torch.randn(N, D), SRC, DST))
    g, s = _op(w, gather), _op(w, scatter)
    # was a copy of the whole 3,200 B feature matrix, no tags
    assert g.kind == "copy" and _rows(g) == (ROW, E, 40, N)
    assert sum(w.tensors[t].nbytes for t in g.inputs) == 40 * ROW + E * 8  # its rows + the ids
    assert s.kind == "reduction" and _rows(s) == (ROW, E, 30, N) and s.tags["pool"] == "scatter"


def test_without_index_values_the_ids_are_taken_as_distinct_rows():
    w = trace(GCN().to("meta"), _meta())
    assert _rows(_op(w, "index_select")) == (ROW, E, min(E, N), N)
    assert _rows(_op(w, "index_add")) == (ROW, E, min(E, N), N)


def test_a_scatter_add_whose_index_is_not_whole_rows_is_no_row_gather():
    class Elements(nn.Module):
        def forward(self, x, idx, h):
            return torch.zeros_like(x).scatter_add(0, idx, h)

    idx = torch.stack([torch.arange(E) % 30, torch.arange(E) % 7], 1).repeat(1, D // 2)
    w = trace(Elements(), (torch.randn(N, D), idx, torch.randn(E, D)))
    op = _op(w, "scatter_add")
    assert "access_bytes" not in op.tags and op.tags["pool"] == "scatter"


class Gather(nn.Module):
    def forward(self, x, src):
        return (x * 2).index_select(0, src)  # an activation the model made


def test_a_feature_matrix_past_the_cache_gets_the_repeat_note():
    # 10,000 nodes x 128 B = 1.28 MB > the round fixture's 1 MiB SRAM; ids 0..99 four times
    w = trace(Gather(), (torch.randn(10_000, 32), torch.arange(100).repeat(4)))
    r = simulate(make_arch(), w)
    extra = 300 * (1 - 2**20 / 1.28e6) * 128  # 6,942.72 B
    assert [n for n in r.notes if "repeat" in n] == [
        f"1 gather reads a table larger than memory.sram (1.049 MB), up to 1.28 MB, and repeat "
        f"300 ids: each distinct row is read once, the repeats charged as cache hits; with uniform "
        f"ids about 1 - C/T of them would miss (C the cache, T the table): ~{extra / 1e3:.4g} kB "
        f"more from memory.dram, not charged (an approximation)"]


def test_a_far_tiers_near_tier_is_no_cache_in_front_of_the_table():
    """Review16-4 #3: beside a far tier (memory.cxl.far) the 16 GiB DDR is a home, not the cache
    in front of the table: the note still names the 1 MiB SRAM, and both home tiers."""
    from conftest import ROUND_ARCH
    memory = {**ROUND_ARCH["memory"], "cxl": {"capacity": "64 GiB", "bandwidth": "80 GB/s",
                                              "energy_per_bit": "30 pJ/bit", "far": True}}
    w = trace(Gather(), (torch.randn(10_000, 32), torch.arange(100).repeat(4)))
    note = [n for n in simulate(make_arch(memory=memory), w).notes if "repeat" in n]
    assert len(note) == 1 and "larger than memory.sram (1.049 MB)" in note[0]
    assert note[0].endswith("more from memory.dram + memory.cxl, not charged (an approximation)")

@pytest.mark.parametrize("claims", [["weights", "embedding"], ["weights"]])
def test_pim_says_it_leaves_the_aggregation_on_the_host(claims):
    arch = load_architecture("hbm-pim", overrides={"pim.claims": claims})
    r = simulate(arch, trace(GCN(), (torch.randn(N, D), SRC, DST)))
    assert set(r.op_table["unit"]) == {"processor"}
    note = ("pim took 0 of 1 gather-reduction(s) by index (index_add / scatter_add, a GNN's "
            "aggregation): they stay on the host, as the row gather before them: the table is an "
            "activation and the reduce a scatter into rows, not a bag; pim pools only embedding "
            "bags of a weight table (claim embedding)")
    assert any(n.endswith(note) for n in r.claim_notes), r.claim_notes
