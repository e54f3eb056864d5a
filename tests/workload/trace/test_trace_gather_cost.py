"""What a traced row gather costs (review 19 D 1, 2, 3, 7): it moves the whole 64 B lines its
rows touch, each run of adjacent lines one random access of its own bursts (not the mean run
rounded up to whole bursts), and a ``type: dram`` level where streaming the whole table takes
less time than those accesses charges the table streamed, so the charge has no cliff. A
``type: fixed`` level moves the lines (never more than the table). A trace made before the rule
(no metadata ``gather_rule``) is told to re-trace.

Real torch models, real SimPy runs. Goldens: DDR5-4800 closed forms as in
test_trace_gnn_random (16 sub-channels x 32 bits x 4800 MT/s, refresh 1 - (18 + 34 + 710 + 34)
/ 9375; 64 B random reads at 8/12 of the stream, 128 B and more at all of it; 3.9 pJ/bit a
byte on the bus); the GDDR6 level's rates from its own resource."""

from __future__ import annotations

import copy

import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

from torch import nn  # noqa: E402

from cimsim import bundled, load_architecture, simulate  # noqa: E402
from cimsim.config import apply_overrides, architecture_from_dict, read_yaml  # noqa: E402
from cimsim.hw.base import STREAM, Pattern  # noqa: E402
from cimsim.pipeline import place_and_cost  # noqa: E402
from cimsim.workload.trace import trace  # noqa: E402

E_REF = 1 - (18 + 34 + 710 + 34) / 9375
DDR5_STREAM = 16 * 19.2e9 * E_REF  # B/s
DDR5_RANDOM64 = DDR5_STREAM * 8 / 12
PJ_BIT = 3.9e-12


def _arch(standard):
    d = copy.deepcopy(read_yaml(bundled.resolve_config("gpu-hbm3")))
    d["memory"]["dram"] = {"type": "dram", "standard": standard, "channels": 16, "capacity": "80 GB",
                           "latency": "500 ns", "energy_per_bit": "3.9 pJ/bit"}
    return architecture_from_dict(apply_overrides(d, {"memory.sram.bandwidth": "1000 TB/s"}))


class Embed(nn.Module):
    def __init__(self, rows, d):
        super().__init__()
        self.emb = nn.Embedding(rows, d)

    def forward(self, ids):
        return self.emb(ids)


def _dram(arch, w):
    """(the gather's tags, DRAM time less its fixed latency, DRAM bytes, DRAM energy)."""
    (op,) = w.ops
    _, table = place_and_cost(arch, w)
    r = simulate(arch, w)
    return op.tags, r.latency_s - table.latency_s[0], table.bytes_of("dram")[0], r.energy_breakdown_j["dram"]


def test_runs_of_unequal_lines_pay_their_own_bursts_not_the_mean_rounded_up():
    """D 2: 64 B rows 10, 11, 100, 500, 700: a run of 2 lines and 3 single lines, 5 bursts
    (the mean, 80 B, rounded up to 2 bursts charged 8). Time: 3 x 64 B at the random rate,
    128 B at the streaming rate (DDR5 streams 128 B accesses), 40 B of ids streamed."""
    tags, t, moved, joules = _dram(_arch("DDR5"), trace(Embed(1000, 16).eval(), (torch.tensor([10, 11, 100, 500, 700]),)))
    assert tags["access_bytes"] == 80 and tags["random_read_bytes"] == 5 * 64 and moved == 5 * 64 + 40
    assert joules == pytest.approx(8 * PJ_BIT * (5 * 64 + 40), rel=1e-12, abs=0)  # was x 8/5 on the rows
    assert t == pytest.approx(3 * 64 / DDR5_RANDOM64 + (128 + 40) / DDR5_STREAM, rel=1e-9, abs=0)


def test_adjacent_lines_of_one_row_each_move_every_line():
    """D 3: 8 B rows 0, 8, 16, 24, one in each of lines 0-3: one access of 4 lines, 256 B on the
    bus (was one 32 B access, one burst, where the bus moves four)."""
    tags, t, moved, joules = _dram(_arch("DDR5"), trace(Embed(1000, 2).eval(), (torch.tensor([0, 8, 16, 24]),)))
    assert tags["access_bytes"] == 256 and moved == 256 + 32
    assert joules == pytest.approx(8 * PJ_BIT * (256 + 32), rel=1e-12, abs=0)
    assert t == pytest.approx((256 + 32) / DDR5_STREAM, rel=1e-9, abs=0)


def test_a_fixed_level_moves_the_lines_touched_however_many_never_the_whole_table():
    """D 1: 4,096 rows of 8 B (32,768 B, 512 lines) on the bundled gpu-hbm3 (type: fixed): the
    first row of lines 0-383 is 3/4 of the lines, one run, 24,576 B (it streamed the table,
    32,768 B, above half the lines: 6.5x the bytes of the ids just under it); lines 0-255, half,
    16,384 B. Both plus 8 B an id."""
    arch = load_architecture("gpu-hbm3")
    for lines in (256, 384):
        w = trace(Embed(4096, 2).eval(), (torch.arange(lines) * 8,))
        _, table = place_and_cost(arch, w)
        assert table.bytes_of("dram")[0] == lines * 64 + lines * 8


def test_a_dram_level_charges_the_table_streamed_where_that_is_faster():
    """D 1: GDDR6 serves random 64 B lines at under half its streaming rate. 4,096 rows of 64 B
    (262,144 B): every other row, 2,048 isolated lines, 131,072 B, take longer at random than
    the table streamed: charged the table (time and energy); every eighth row, 512 lines, the
    lines at random. No cliff: the charge is the smaller of the two."""
    arch = _arch("GDDR6")
    res = arch.hardware.resource("dram")
    stream, random64 = res.bytes_per_s(STREAM), res.bytes_per_s(Pattern.random_access(64))
    assert random64 < stream / 2
    table = 4096 * 64
    _, t, _, joules = _dram(arch, trace(Embed(4096, 16).eval(), (torch.arange(0, 4096, 2),)))
    assert t == pytest.approx((table + 2048 * 8) / stream, rel=1e-9, abs=0)
    assert joules == pytest.approx(8 * PJ_BIT * (table + 2048 * 8), rel=1e-12, abs=0)
    _, t, _, joules = _dram(arch, trace(Embed(4096, 16).eval(), (torch.arange(0, 4096, 8),)))
    assert t == pytest.approx(512 * 64 / random64 + 512 * 8 / stream, rel=1e-9, abs=0)
    assert joules == pytest.approx(8 * PJ_BIT * (512 * 64 + 512 * 8), rel=1e-12, abs=0)


def test_a_trace_made_before_the_line_rule_is_told_to_re_trace(tmp_path):
    """D 7: a gather traced before 2026-12-06 has no ``table_bytes`` and its file no metadata
    ``gather_rule``: it keeps its old per-row charge, and the run says to re-trace."""
    import json

    from cimsim import load_workload
    from cimsim.workload.io import save_workload

    w = trace(Embed(1000, 2).eval(), (torch.tensor([0, 8, 16, 24]),))
    arch = load_architecture("gpu-hbm3")
    assert w.metadata["gather_rule"] and not [n for n in simulate(arch, w).notes if "re-trace" in n]
    save_workload(w, tmp_path / "new.json")
    d = json.loads((tmp_path / "new.json").read_text())
    del d["metadata"]["gather_rule"]  # as a trace made before the rule was
    (op,) = [o for o in d["ops"] if "tags" in o and "lookups" in o["tags"]]
    del op["tags"]["table_bytes"]
    op["tags"].update(access_bytes=8, random_read_bytes=32)
    (tmp_path / "old.json").write_text(json.dumps(d))
    notes = [n for n in simulate(arch, load_workload(tmp_path / "old.json")).notes if "re-trace" in n]
    assert len(notes) == 1 and notes[0].startswith("1 gather was traced before 2026-12-06")


class Select(nn.Module):
    def forward(self, x, ids):
        return x.index_select(0, ids)


def test_a_random_order_gather_pays_its_lines_at_the_random_rate_its_sorted_ids_stream():
    """find-N 1: of 65,536 fp32 elements (4,096 lines, 262 kB) the ids 64k and 64k + 16 touch
    lines 4k and 4k + 1, 2,048 lines in 1,024 pairs. Sorted: 1,024 accesses of 128 B, which
    DDR5 serves at the stream rate. Shuffled: a line joins the access before only where it is
    the line next to the one read just before, so nearly every line is a 64 B access at the
    random rate, 8/12 of the stream (the runs of the set of lines gave 128 B either way, the
    shuffled gather 1.5x optimistic). Streaming the 262 kB table (2x the lines) is slower in
    both cases, so the lines are charged."""
    arch = _arch("DDR5")
    g = torch.Generator().manual_seed(1)
    x = torch.randn(65536)
    pairs = torch.stack([torch.arange(0, 65536, 64), torch.arange(16, 65536, 64)], 1).reshape(-1)
    sorted_ids, shuffled = pairs, pairs[torch.randperm(2048, generator=g)]
    tags, t, moved, _ = _dram(arch, trace(Select().eval(), (x, sorted_ids)))
    assert moved == 2048 * 64 + 2048 * 8 and tags["access_bytes"] == 128
    assert t == pytest.approx(moved / DDR5_STREAM, rel=1e-9, abs=0)
    tags, t, moved, _ = _dram(arch, trace(Select().eval(), (x, shuffled)))
    line = shuffled // 16
    joined = int((((line[1:] - line[:-1]).abs() == 1) & (line[1:] // 2 == line[:-1] // 2)).sum())
    accesses = 2048 - joined  # each pair read in turn (either way) joins one access
    assert moved == 2048 * 64 + 2048 * 8 and tags["access_bytes"] == 2048 * 64 / accesses
    assert joined < 10
    # (2048 - 2 joined) lines at the random rate, the joined pairs' 128 B and the ids streamed
    assert t == pytest.approx((2048 - 2 * joined) * 64 / DDR5_RANDOM64
                              + (joined * 128 + 2048 * 8) / DDR5_STREAM, rel=1e-9, abs=0)
