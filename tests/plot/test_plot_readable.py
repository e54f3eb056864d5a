"""Sweep figures whose axes said less than their data (find-C 5, 6, 9): an empty panel with
a log sweep's ticks crammed into a linear 0-1 axis, a TDP line 100x above the curve setting
the power axis, an efficiency axis fixed at TOPS/W that read 0.0004 for a CPU."""

from __future__ import annotations

import numpy as np
import pytest

from cimsim.commands.plot import _tdps
from cimsim.plot import efficiency_vs_param
from cimsim.plot.power import TDP_FAR, power_vs_param
from cimsim.sweep import sweep

BW = "memory.dram.bandwidth"


@pytest.fixture(scope="module")
def cpu(tmp_path_factory):
    """cpu-ddr5 (no area declared) over a log bandwidth sweep, 25 GB/s to 3.2 TB/s."""
    return sweep(["cpu-ddr5"], "gru", [f"{BW}=25GB/s..3.2TB/s:log:3"], engine="analytic",
                 workers=1, output=tmp_path_factory.mktemp("cpu") / "s.parquet")


def _curve(ax):
    return [ln for ln in ax.get_lines() if len(ln.get_xdata()) > 1 and ln.get_linestyle() != "--"]


def test_an_empty_panel_has_no_ticks(cpu):
    fig = efficiency_vs_param(cpu)
    fig.canvas.draw()
    ops_w, ops_mm2, area = fig.axes[:3]
    assert ops_w.get_xscale() == "log" and [t for t in ops_w.get_xticklabels() if t.get_text()]
    for ax in (ops_mm2, area):  # "no architecture declares its area": no ticks, no grid
        assert [t.get_text() for t in ax.texts] == ["no architecture declares its area"]
        assert len(ax.get_xticks()) == 0 and len(ax.get_yticks()) == 0
        assert not [t for t in ax.get_xticklabels(minor=True) if t.get_text()]
        assert not [ln for ln in ax.get_xgridlines() + ax.get_ygridlines() if ln.get_visible()]
        assert ax.get_xlabel() == f"{BW} [B/s]"


def test_the_efficiency_axis_takes_its_prefix_from_the_data(cpu):
    """ops/J is OPS/W: a CPU's 1e8..1e10 ops/J is GOPS/W (x 1e-9), not 0.0004 TOPS/W."""
    ax = efficiency_vs_param(cpu).axes[0]
    top = cpu["ops_per_j"].max()
    assert 1e9 <= top < 1e12  # the precondition: a CPU's efficiency is in GOPS/W
    assert ax.get_ylabel() == "energy efficiency [GOPS/W]"
    [line] = _curve(ax)
    want = cpu.sort_values(BW)["ops_per_j"].to_numpy() / 1e9
    np.testing.assert_allclose(np.asarray(line.get_ydata(), float), want, rtol=1e-12)


def test_a_tdp_far_above_the_curve_is_named_at_the_top_not_drawn(tmp_path):
    """sram-cim, static powers 0 W: a few W under its host's 185 W TDP. The line set a 0-190 W
    axis and flattened the curve; now the axis is the curve's and the TDP is named at the top."""
    df = sweep(["sram-cim"], "gru", [f"{BW}=100GB/s,400GB/s", "cim.static_power=0W",
                                     "processor.static_power=0W"],
               engine="analytic", workers=1, output=tmp_path / "s.parquet")
    watts = power_vs_param(df, BW, _tdps(df, [BW])).axes[0]
    power = (df["energy_j"] / df["latency_s"]).to_numpy()
    assert 185.0 > TDP_FAR * power.max()  # the precondition: the TDP is far above the curve
    assert not [ln for ln in watts.get_lines() if ln.get_linestyle() == "--"]  # no 185 W line
    lo, hi = watts.get_ylim()
    assert hi < 2 * power.max()  # the curve's range, not 0-190 W
    notes = [t for t in watts.texts if "TDP" in t.get_text()]
    assert [t.get_text() for t in notes] == ["\u2191 TDP sram-cim: processor 185 W, above the axis"]
    x, y = notes[0].xy
    assert notes[0].xycoords == "axes fraction" and 0 <= x <= 1 and 0.8 <= y <= 1  # at the top edge
    # the note has a band of its own: above the curve's top
    assert watts.transAxes.inverted().transform(watts.transData.transform((0, power.max())))[1] < 0.9
