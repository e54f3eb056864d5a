"""``F.grid_sample`` reads the lines its taps touch, by the gather rule (find-B 1, 2026-12-07):
it was charged its whole input however few points it sampled (600 bilinear points of a 69.2 MB
map: 69.4 MB). Real traced torch models, real and meta grids; goldens are lines x 64 B, the
lines counted here by hand from the points' indices.

The points are placed with ``align_corners=False``: index i = ((g + 1) * W - 1) / 2, so
g = (2 i + 1) / W - 1, exact in binary for i = k + 0.25 and W a power of two."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

from cimsim import load_architecture, simulate  # noqa: E402
from cimsim.workload.trace import trace  # noqa: E402
from cimsim.workload.trace.fuse import vector_ops  # noqa: E402

C, H, W = 16, 64, 64  # fp32: a row of W is 256 B = 4 lines, a channel plane 16 kB
LINE = 64


def _g(i: float, size: int) -> float:
    return (2 * i + 1) / size - 1


class Sample(nn.Module):
    def __init__(self, points, **kw):  # points: (x index, y index) pairs, one batch
        super().__init__()
        g = torch.tensor([[_g(x, W), _g(y, H)] for x, y in points], dtype=torch.float32)
        self.register_buffer("grid", g.view(1, len(points), 1, 2))
        self.kw = {"align_corners": False, **kw}

    def forward(self, f):
        return F.grid_sample(f, self.grid, **self.kw)


def _op(w):
    (op,) = [op for op in w.ops if op.name.startswith("grid_sampler")]
    return op


def _vec(w):
    return vector_ops(_op(w), w.tensors)


# four points, each tap pair (x0, x0 + 1) inside one line (x0 a multiple of 16 fp32), rows apart
POINTS = [(16.25, 3.25), (32.25, 20.25), (0.25, 40.25), (48.25, 60.25)]


def test_sparse_bilinear_reads_its_taps_lines_not_the_map():
    w = trace(Sample(POINTS).eval(), (torch.randn(1, C, H, W),))
    op = _op(w)
    assert _vec(w) == len(POINTS) * C * 7  # 4 multiplies, 3 adds an output element
    # per point and channel: row y0's two taps (one line) and row y0 + 1's (another, 4 lines on)
    lines = len(POINTS) * C * 2
    assert op.tags["random_read_bytes"] == lines * LINE == 8_192  # was the map's 262,144 B
    assert op.tags["table_bytes"] == C * H * W * 4 == 262_144
    assert op.tags["access_bytes"] == pytest.approx(64.0, abs=1e-9)  # no two lines adjacent in turn
    read = sum(w.tensors[t].nbytes for t in op.inputs)
    assert read == 8_192 + len(POINTS) * 2 * 4  # the lines and the [1, 4, 1, 2] fp32 grid


def test_nearest_and_bicubic_taps():
    # nearest: one tap a channel, one line; bicubic: 4 rows x 4 taps, x0 - 1 .. x0 + 2 = 15..18
    # crosses a line (elements 15 | 16..18): 2 lines a row, rows 4 lines apart
    x = torch.randn(1, C, H, W)
    near = _op(trace(Sample(POINTS, mode="nearest").eval(), (x,)))
    assert near.tags["random_read_bytes"] == len(POINTS) * C * LINE
    w = trace(Sample(POINTS[:2], mode="bicubic").eval(), (x,))
    assert _op(w).tags["random_read_bytes"] == 2 * C * 4 * 2 * LINE
    assert _vec(w) == 2 * C * 31


@pytest.mark.parametrize("pad, lines", [("zeros", 0), ("border", 2), ("reflection", 2)])
def test_padding_decides_the_taps_read(pad, lines):
    # a point far left of the map (index -40.75): zeros reads none of its taps; border clips it to
    # x = 0 (taps 0 and 1, one line) and reflection reflects it inside; rows y0, y0 + 1: 2 lines
    w = trace(Sample([(-40.75, 10.25)], padding_mode=pad).eval(), (torch.randn(1, C, H, W),))
    op = _op(w)
    assert op.tags.get("random_read_bytes", 0) == lines * C * LINE


def test_trilinear_3d():
    # [1, C, 8, 16, 16]: a point at (x, y, z) = (0.25, 3.25, 2.25) reads, per channel, 2 depths x
    # 2 rows of 64 B (16 fp32) with both x taps in one line: 4 lines
    D, h, wd = 8, 16, 16
    g = torch.tensor([_g(0.25, wd), _g(3.25, h), _g(2.25, D)], dtype=torch.float32).view(1, 1, 1, 1, 3)

    class S3(nn.Module):
        def forward(self, f):
            return F.grid_sample(f, g, align_corners=False)

    w = trace(S3().eval(), (torch.randn(1, C, D, h, wd),))
    assert _op(w).tags["random_read_bytes"] == C * 4 * LINE
    assert _vec(w) == C * 15


def test_dense_sampling_costs_the_map():
    # an identity grid over every pixel reads every line: the map, 8 x 32 x 32 x 4 B
    x = torch.randn(1, 8, 32, 32)
    ys, xs = torch.meshgrid(torch.arange(32) + 0.25, torch.arange(32) + 0.25, indexing="ij")
    grid = torch.stack([(2 * xs + 1) / 32 - 1, (2 * ys + 1) / 32 - 1], -1)[None]

    class Dense(nn.Module):
        def forward(self, f):
            return F.grid_sample(f, grid, align_corners=False)

    op = _op(trace(Dense().eval(), (x,)))
    assert op.tags["random_read_bytes"] == op.tags["table_bytes"] == 8 * 32 * 32 * 4


def test_meta_grid_takes_the_closed_form_estimate():
    # no grid values: per point, its 2 rows of taps over 16 channels, each channel's pair one
    # line: 2 x 10 points x 2 x 16 lines; a dense meta grid: capped at the map's lines
    f = torch.empty(2, C, H, W, device="meta")

    class M(nn.Module):
        def forward(self, f, g):
            return F.grid_sample(f, g, align_corners=False)

    sparse = _op(trace(M().eval(), (f, torch.empty(2, 10, 1, 2, device="meta")), batch=1))
    assert sparse.tags["random_read_bytes"] == 2 * 10 * 2 * C * LINE == 40_960
    dense = _op(trace(M().eval(), (f, torch.empty(2, H, W, 2, device="meta")), batch=1))
    assert dense.tags["random_read_bytes"] == 2 * C * H * W * 4 == 524_288
    w = trace(M().eval(), (f, torch.empty(2, 10, 1, 2, device="meta")), batch=1)
    assert w.metadata["grid_sample_estimates"][0]["why"].startswith("no grid values")


def test_the_run_charges_the_lines():
    # cpu-ddr5 (dram type: fixed, 307.2 GB/s): the op moves its lines, the grid and its output
    w = trace(Sample(POINTS).eval(), (torch.randn(1, C, H, W),))
    row = simulate(load_architecture("cpu-ddr5"), w).op_table.iloc[0]
    assert row["sram_bytes"] == 8_192 + 32 + len(POINTS) * C * 4  # lines + grid + output


def test_many_channels_past_the_old_tap_cap_still_use_the_grid(monkeypatch):
    # review 22 I 1: 256 channels x 4,200 points x 4 taps = 4,300,800 reads, past the old cap of
    # 4,194,304 output elements x taps, which took the closed form (here the whole map, 524,288 B).
    # The taps are worked out per point (4,200 x 4 = 16,800), the channels after: every point at
    # (16.25, 3.25) reads, per channel, rows 3 and 4 at x = 16, 17 (one line each): 256 x 2 lines
    from cimsim.workload.trace import gridsample

    monkeypatch.setattr(gridsample, "CHUNK", 1 << 16)  # walked in 66 chunks of points
    c, h, wd = 256, 8, 64
    g = torch.tensor([_g(16.25, wd), _g(3.25, h)], dtype=torch.float32).expand(1, 4200, 1, 2)

    class Same(nn.Module):
        def forward(self, f):
            return F.grid_sample(f, g, align_corners=False)

    w = trace(Same().eval(), (torch.randn(1, c, h, wd),))
    assert _op(w).tags["random_read_bytes"] == c * 2 * LINE == 32_768
    assert "grid_sample_estimates" not in w.metadata


def test_chunked_first_reads_equal_the_whole_listing(monkeypatch):
    # the chunked walk keeps each element at its first read, as one listing of every read does
    from cimsim.workload.trace import gridsample
    from cimsim.workload.trace.bags import first_touch

    gen = torch.Generator().manual_seed(3)
    x = torch.randn(2, 5, 9, 11).to(memory_format=torch.channels_last)
    grid = (torch.rand(2, 7, 3, 2, generator=gen) * 3 - 1.5).double().numpy()
    whole = first_touch(gridsample.tap_offsets(x, grid, 0, 0, False))[1]
    monkeypatch.setattr(gridsample, "CHUNK", 8)
    assert (gridsample.first_reads(x, grid, 0, 0, False) == whole).all()


def test_past_the_caps_the_estimate_is_noted(monkeypatch):
    # over MAX_TAPS spatial taps the closed-form estimate stands in, and the run says so
    from cimsim.workload.trace import gridsample

    monkeypatch.setattr(gridsample, "MAX_TAPS", 8)  # 4 points x 4 taps = 16 > 8
    w = trace(Sample(POINTS).eval(), (torch.randn(1, C, H, W),))
    assert w.metadata["grid_sample_estimates"][0]["why"] == "16 taps over 8"
    # the estimate: 4 points x 2 rows x 16 channels, a line each (here also the real count)
    assert _op(w).tags["random_read_bytes"] == len(POINTS) * 2 * C * LINE
    notes = simulate(load_architecture("cpu-ddr5"), w).notes
    assert any("closed-form estimate" in n and "16 taps over 8" in n for n in notes)
