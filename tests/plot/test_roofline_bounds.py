"""Rooflines say what bounds each op, and their legends' line styles mean one roof each.

find-C 1: the report's roofline filed every op under "bound by <the level whose bytes /
bandwidth is the largest>", compute-bound GEMMs included (cpu-ddr5's hier-attn: 16 of 16 MAC
ops had compute time above their DRAM time, and none was counted under compute).
find-C 2: the sweep roofline gave each level of an architecture a line style per panel, in the
order met, under one figure legend: sram-cim's DRAM roof was solid in one panel and dashed in
the next, and hbm-pim's processor and PIM roofs over DRAM were the same purple dashes."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import make_arch

from cimsim import simulate
from cimsim.bundled import resolve_config
from cimsim.config import load_architecture
from cimsim.plot.overlap import band_of
from cimsim.plot.roofline import rooflines
from cimsim.plot.run_figures import arch_roofline
from cimsim.plot.style import part_color
from cimsim.studies import op_tables
from cimsim.workload import Op, Tensor, Workload
from cimsim.workload.generators import gru, hier_attn


def test_an_op_whose_compute_time_exceeds_its_memory_time_is_counted_under_compute():
    # ROUND_ARCH: 4 cores x 1 GHz x 8 fp32 MAC = 32 GMAC/s, DRAM 10 GB/s, a 1 MiB SRAM
    # gemm: 256 x 256 x 256 = 16,777,216 MACs, 524.3 us of compute; x and W from DRAM,
    #   2 x 256 x 256 x 4 B = 524,288 B, 52.4 us: bound by compute, at 64 op/B
    # gemv: 1 x 256 x 256 = 65,536 MACs, 2.05 us of compute; W and v from DRAM, 263,168 B,
    #   26.3 us: bound by DRAM, at 2 x 65,536 / 263,168 = 0.498 op/B
    wl = Workload("gemm-and-gemv", [
        Tensor("x", (256, 256), "fp32", "input"), Tensor("W", (256, 256), "fp32", "weight"),
        Tensor("y", (256, 256), "fp32", "activation"),
        Tensor("v", (1, 256), "fp32", "input"), Tensor("U", (256, 256), "fp32", "weight"),
        Tensor("u", (1, 256), "fp32", "activation"),
    ], [Op("gemm", "matmul", ("x", "W"), ("y",), m=256, k=256, n=256, weight="W"),
        Op("gemv", "matmul", ("v", "U"), ("u",), m=1, k=256, n=256, weight="U")])
    arch = make_arch()
    r = simulate(arch, wl)
    ops = r.op_table.set_index("op")
    assert ops.loc["gemm", "compute_s"] == pytest.approx(256 ** 3 / 32e9, rel=1e-12, abs=0)
    assert ops.loc["gemm", "dram_bytes"] == 2 * 256 * 256 * 4
    assert ops.loc["gemv", "dram_bytes"] == 256 * 256 * 4 + 256 * 4
    [ax] = arch_roofline(arch, r, wl).axes
    pts = {c.get_label(): c for c in ax.collections}
    assert set(pts) == {"processor ops bound by compute (1)", "processor ops bound by dram (1)"}
    np.testing.assert_allclose(pts["processor ops bound by compute (1)"].get_offsets()[:, 0], [64.0], rtol=1e-12)
    np.testing.assert_allclose(pts["processor ops bound by dram (1)"].get_offsets()[:, 0],
                               [2 * 65536 / 263168], rtol=1e-12)
    # in compute's colour, the one the Gantt strip and the energy figures give it
    np.testing.assert_allclose(pts["processor ops bound by compute (1)"].get_facecolors()[0][:3],
                               np.array([0xd6, 0x27, 0x28]) / 255, rtol=1e-6)
    assert part_color("compute") == "#d62728"


def _style(line):
    # get_linestyle() says "--" for every dash pattern: the pattern itself tells them apart
    return line.get_color(), line.get_linestyle(), line._unscaled_dash_pattern


def test_a_roof_keeps_one_line_style_in_every_panel_and_no_two_roofs_of_an_architecture_look_alike():
    archs = [load_architecture(resolve_config(n)) for n in ("cpu-ddr5", "hbm-pim", "sram-cim")]
    # sram-cim's CIM reads DRAM and the interconnect in both; its processor reads DRAM in the
    # GRU and the L3 in the encoder: the levels are met in another order in each panel
    wls = [gru(256, 256, steps=2), hier_attn(64, d_model=64, heads=2, window=8)]
    fig = rooflines([(w, op_tables(archs, w)) for w in wls])
    assert len(fig.axes) == 2
    style_of, roof_of = {}, {}
    for ax in fig.axes:
        for line in ax.get_lines():
            roof = band_of(line.get_label())  # a band is its roof, drawn wide under an equal one
            if " roof (" not in roof:
                continue
            style_of.setdefault(roof, set()).add(_style(line))
            roof_of.setdefault(_style(line), set()).add(roof)
    assert {r for r in style_of if r.startswith("hbm-pim:")} >= {
        "hbm-pim: processor roof (fp32) over dram 2.345 TB/s", "hbm-pim: pim roof (fp16) over dram 2.345 TB/s"}
    assert {r for r in style_of if r.startswith("sram-cim: cim")} == {
        "sram-cim: cim roof (8b x 8b) over dram 215 GB/s", "sram-cim: cim roof (8b x 8b) over interconnect 32 GB/s"}
    # label -> style one to one across the panels: the figure's one legend holds for each
    assert all(len(s) == 1 for s in style_of.values()), style_of
    assert all(len(r) == 1 for r in roof_of.values()), roof_of
