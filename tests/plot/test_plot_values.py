"""What the sweep figures say about their values: integers as integers, the slice of a grid an
energy-breakdown panel shows, that a sweep's roofline is of the configs as written, and that a
sweep file with no rows has none (not that every row has an error)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from cimsim.commands.plot import _roofline, plot_command
from cimsim.plot import energy_breakdown, latency_vs_param
from cimsim.plot.figures import value_text
from cimsim.sweep import sweep

ARRAYS = [2048, 16384]


@pytest.fixture(scope="module")
def grid(tmp_path_factory):
    """sram-cim, 2 array counts x 2 DRAM bandwidths (cim.arrays is an integer field)."""
    out = tmp_path_factory.mktemp("grid") / "grid.parquet"
    df = sweep(["sram-cim"], "tcn", ["cim.arrays=2048,16384", "memory.dram.bandwidth=100GB/s,200GB/s"],
               engine="analytic", workers=1, output=out)
    return out, df


def test_integers_print_as_integers_with_thousands_separators(grid):
    """16384 arrays is '16,384' on the x ticks, in the legend and on the bars, never '1.638e+04';
    a float of a float field keeps 4 significant digits."""
    _, df = grid
    assert value_text(df, "cim.arrays", 16384) == "16,384"
    assert value_text(df, "cim.arrays", np.int64(8452)) == "8,452"
    assert value_text(df, "cim.arrays", 16384.0) == "16,384"  # a tick of an integer field
    assert value_text(df, "cim.arrays", 2.5) == "2.5"
    floats = pd.DataFrame({"x.y": [16384.0, 2.5]})
    assert value_text(floats, "x.y", 16384.0) == "1.638e+04"
    fig = latency_vs_param(df, "cim.arrays")
    fig.canvas.draw()
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["2,048", "16,384"]
    legend = latency_vs_param(df, "memory.dram.bandwidth").legends[0]
    assert [t.get_text() for t in legend.get_texts()] == [  # equal lines: the second a band
        "sram-cim, cim.arrays = 2,048", "sram-cim, cim.arrays = 16,384 (= sram-cim, cim.arrays = 2,048)"]
    bars = energy_breakdown(df, "cim.arrays").subfigs[0].axes[-1]
    assert [t.get_text().split("\n")[1] for t in bars.get_xticklabels()] == ["2,048", "16,384"]


def test_grid_energy_breakdown_has_a_panel_per_value_of_the_other_parameter(grid):
    """Each DRAM bandwidth has its panel, titled with it; its bars are the runs at that
    bandwidth (the parts stack to each run's energy_j), not the first bandwidth's alone."""
    _, df = grid
    fig = energy_breakdown(df, "cim.arrays")
    titles = [sf._suptitle.get_text() for sf in fig.subfigs]
    assert titles == ["tcn: dram.bandwidth = 100 GB/s", "tcn: dram.bandwidth = 200 GB/s"]
    assert fig._suptitle.get_text() == "energy breakdown"
    for sf, bw in zip(fig.subfigs, (100e9, 200e9)):
        ax = sf.axes[-1]
        assert ax.get_xlabel() == "architecture, cim.arrays"
        stack = np.zeros(len(ARRAYS))
        for c in ax.containers:
            stack += [p.get_height() for p in c.patches]
        want = [df[(df["cim.arrays"] == a) & (df["memory.dram.bandwidth"] == bw)]["energy_j"].iloc[0]
                for a in ARRAYS]
        if sf.axes[0] is not ax:  # split: totals above, shares below
            np.testing.assert_allclose([p.get_height() for p in sf.axes[0].containers[0].patches], want,
                                       rtol=1e-12)
        else:
            np.testing.assert_allclose(stack, want, rtol=1e-12)


def test_a_big_grids_breakdown_says_each_bar_is_the_first_run_at_its_value():
    """Seven values of the other parameter (too many for a panel each): bars are the first run at
    each x value, and the axis label says so."""
    df = sweep(["sram-cim"], "tcn", ["cim.arrays=2048,16384",
                                     "memory.dram.bandwidth=100GB/s..700GB/s:lin:7"],
               engine="analytic", workers=1)
    fig = energy_breakdown(df, "cim.arrays")
    assert len(fig.subfigs) == 1
    ax = fig.subfigs[0].axes[-1]
    assert ax.get_xlabel() == ("architecture, cim.arrays, memory.dram.bandwidth [B/s]\n"
                               "(each bar one run: the first at its cim.arrays)")
    labels = [t.get_text().split("\n") for t in ax.get_xticklabels()]
    assert labels == [["sram-cim", "2,048", "100 GB/s"], ["sram-cim", "16,384", "100 GB/s"]]


def test_sweep_roofline_says_it_is_of_the_configs_as_written(grid):
    _, df = grid
    fig = _roofline(df)
    assert [ax.get_title() for ax in fig.axes] == ["roofline: tcn\n(configs as written, before the sweep)"]


def test_plot_of_a_sweep_file_with_no_rows_says_so(grid, tmp_path):
    path, df = grid
    zero = tmp_path / "zero.parquet"
    pd.read_parquet(path).iloc[0:0].to_parquet(zero)
    res = CliRunner().invoke(plot_command, [str(zero), "-o", str(tmp_path / "f")])
    assert res.exit_code == 1
    assert f"{zero}: the sweep file has no rows; nothing to plot" in res.output
    assert "every row has an error" not in res.output


def test_plot_says_how_many_rows_with_an_error_it_leaves_out(grid, tmp_path):
    """A point with an error was missing from every figure without a word."""
    path, _ = grid
    df = pd.read_parquet(path)
    df.loc[df.index[0], "error"] = "at memory.dram.bandwidth=0.0 B/s: out of its domain"
    bad = tmp_path / "bad.parquet"
    df.to_parquet(bad)
    res = CliRunner().invoke(plot_command, [str(bad), "-o", str(tmp_path / "f"), "--format", "png"])
    assert res.exit_code == 0, res.output
    assert (f"note: 1 of {len(df)} rows have an error and are left out of the figures (the first: "
            "at memory.dram.bandwidth=0.0 B/s: out of its domain)") in res.output


def test_utilization_draws_each_other_value_as_its_own_line_on_the_latency_figures_x(grid):
    """One line per resource ran through both array counts at each x (a zig-zag); the x was a
    memory bandwidth whatever the other figures used. Now the x is the latency figure's, every
    drawn line rises in x, and each array count has its own line style and key entry."""
    from cimsim.plot import latency_vs_param, utilization_vs_param

    _, df = grid
    fig = utilization_vs_param(df)
    [ax] = [a for a in fig.axes if a.lines]
    assert ax.get_xlabel() == latency_vs_param(df).axes[0].get_xlabel()
    data = [ln for ln in ax.lines if len(ln.get_xdata())]
    assert data and all(np.all(np.diff(np.asarray(ln.get_xdata(), float)) > 0) for ln in data)
    styles = {ln.get_linestyle() for ln in data}
    assert len(styles) == 2  # one per value of the other swept parameter
    keys = [ln.get_label() for ln in ax.lines if not len(ln.get_xdata())]
    assert sum(k.endswith(("= 100 GB/s", "= 200 GB/s", "= 2,048", "= 16,384")) for k in keys) == 2
