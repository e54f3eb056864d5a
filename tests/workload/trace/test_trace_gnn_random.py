"""Only a row gather's rows are random accesses (review 15-3, finding 1): a GNN's
``index_select`` of node features and its ``index_add_`` into destination rows charged *every*
byte at a ``type: dram`` level's random-row rate, the streamed ids and the E x d source or
output included (+41 % on a d = 16 GCN of 1e5 nodes and 2e6 edges on DDR5). The tracer now
states the random bytes (tags ``random_read_bytes`` / ``random_write_bytes``: the distinct rows
read, the destination rows written back) and the run charges only those at the random rate.

Real torch models, a real SimPy run. Goldens are DDR5-4800 closed forms (the preset's timings,
as tests/hw/test_patterns.py spells them): 16 sub-channels of 32 bits x 4800 MT/s, refresh
1 - (tRTP 18 + tRP 34 + tRFC 710 + tRCD 34) / tREFI 9375, a stream at the whole bus, 64 B random
reads at 8/12 of it (one 8-tCK burst per 12-tCK activation slot, tFAW 48 / 4)."""

from __future__ import annotations

import copy

import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

from torch import nn  # noqa: E402

from cimsim import bundled, simulate  # noqa: E402
from cimsim.config import apply_overrides, architecture_from_dict, read_yaml  # noqa: E402
from cimsim.pipeline import place_and_cost  # noqa: E402
from cimsim.workload.trace import trace  # noqa: E402

N, E = 500, 200  # 500 nodes, 200 edges
# 40 and 30 distinct rows, 8 apart: rows of 16-64 B in lines no two adjacent (rows sharing a
# line or in adjacent lines are one access), a few of the table's lines (most: streamed)
SRC, DST = torch.arange(E) % 40 * 8, torch.arange(E) % 30 * 8
IDS = E * 8  # int64 ids: 1,600 B, streamed
E_REF = 1 - (18 + 34 + 710 + 34) / 9375
STREAM = 16 * 19.2e9 * E_REF  # B/s
RANDOM64 = STREAM * 8 / 12  # 64 B random reads, B/s
PJ_BIT = 3.9e-12


@pytest.fixture(scope="module")
def arch():
    d = copy.deepcopy(read_yaml(bundled.resolve_config("gpu-hbm3")))
    d["memory"]["dram"] = {"type": "dram", "standard": "DDR5", "channels": 16, "capacity": "80 GB",
                           "latency": "500 ns", "energy_per_bit": "3.9 pJ/bit"}
    # on-chip SRAM far faster than the DRAM: the op's time is its DRAM transfer (reads only:
    # the model inputs start in DRAM, the op's output lands in SRAM)
    return architecture_from_dict(apply_overrides(d, {"memory.sram.bandwidth": "1000 TB/s"}))


class Gather(nn.Module):
    def forward(self, x, src):
        return x.index_select(0, src)


class Embed(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.emb = nn.Embedding(N, d)

    def forward(self, src):
        return self.emb(src)


class Aggregate(nn.Module):
    def forward(self, out, dst, h):
        out.index_add_(0, dst, h)
        return out


def _dram(arch, w):
    """(DRAM time less the op's fixed latency, DRAM bytes, DRAM energy) of a one-op trace."""
    (op,) = w.ops
    _, table = place_and_cost(arch, w)
    r = simulate(arch, w)
    return op, r.latency_s - table.latency_s[0], table.bytes_of("dram")[0], r.energy_breakdown_j["dram"]


@pytest.mark.parametrize("make", [lambda d: (Gather(), (torch.randn(N, d), SRC)),
                                  lambda d: (Embed(d).eval(), (SRC,))], ids=["index_select", "embedding"])
def test_a_row_gather_charges_its_rows_random_and_its_ids_streamed(arch, make):
    op, t, moved, _ = _dram(arch, trace(*make(16)))
    rows = 40 * 64  # 40 distinct 64 B rows (16 fp32)
    assert op.tags["random_read_bytes"] == rows and moved == rows + IDS
    # 2,560 B at the random rate + 1,600 B at the streaming rate (all 4,160 B random: 2.5 % more)
    assert t == pytest.approx(rows / RANDOM64 + IDS / STREAM, rel=1e-9, abs=0)


def test_an_index_add_charges_its_destination_rows_random_and_its_source_streamed(arch):
    op, t, moved, _ = _dram(arch, trace(Aggregate(), (torch.zeros(N, 16), DST, torch.randn(E, 16))))
    rows, src = 30 * 64, E * 64  # 30 distinct destination rows read; the 200 x 64 B source
    assert (op.tags["random_read_bytes"], op.tags["random_write_bytes"]) == (rows, rows)
    # DRAM carries the reads (the rows written back land in SRAM): 1,920 B random + 14,400 streamed
    assert moved == rows + IDS + src
    assert t == pytest.approx(rows / RANDOM64 + (IDS + src) / STREAM, rel=1e-9, abs=0)


def test_only_the_rows_pay_a_random_access_s_burst_over_fetch(arch):
    # 4 fp32 features: 16 B rows 128 B apart, each its own 64 B line fetched whole (4x the
    # bytes used); the ids stream at 3.9 pJ/bit
    _, _, moved, joules = _dram(arch, trace(Gather(), (torch.randn(N, 4), SRC)))
    assert moved == 40 * 64 + IDS
    assert joules == pytest.approx(8 * PJ_BIT * (40 * 64 + IDS), rel=1e-12, abs=0)


def test_rows_under_a_burst_pay_one_access_per_line_they_touch(arch):
    """find-H 1 / find-E 1: 8 B rows (2 fp32) of a 500-row table (4,000 B). Rows 0-3 share
    line 0, rows 64-65 line 8, row 200 line 25, row 480 line 60: 4 random 64 B lines, not 8
    (one a row, as before); 4 x 64 B fetched and moved, and 8 int64 ids streamed."""
    ids = torch.tensor([0, 1, 2, 3, 64, 65, 200, 480])
    op, t, moved, joules = _dram(arch, trace(Gather(), (torch.randn(N, 2), ids)))
    assert op.tags["access_bytes"] == 64 and moved == 4 * 64 + 8 * 8
    # each access one DDR5 burst in its 12-tCK activation slot: a 64 B random read's time
    assert t == pytest.approx(4 * 64 / RANDOM64 + 64 / STREAM, rel=1e-9, abs=0)  # was 8 x 64 / RANDOM64
    assert joules == pytest.approx(8 * PJ_BIT * (4 * 64 + 64), rel=1e-12, abs=0)
