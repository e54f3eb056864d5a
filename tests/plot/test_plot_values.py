"""What the sweep figures say about their values: integers as integers; and that a sweep file
with no rows has none (not that every row has an error)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from cimsim.commands.plot import plot_command
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
    assert [t.get_text() for t in legend.get_texts()] == [
        "sram-cim, cim.arrays = 2,048", "sram-cim, cim.arrays = 16,384"]
    bars = energy_breakdown(df, "cim.arrays").subfigs[0].axes[-1]
    assert [t.get_text().split("\n")[1] for t in bars.get_xticklabels()] == ["2,048", "16,384"]


def test_plot_of_a_sweep_file_with_no_rows_says_so(grid, tmp_path):
    path, df = grid
    zero = tmp_path / "zero.parquet"
    pd.read_parquet(path).iloc[0:0].to_parquet(zero)
    res = CliRunner().invoke(plot_command, [str(zero), "-o", str(tmp_path / "f")])
    assert res.exit_code == 1
    assert f"{zero}: the sweep file has no rows; nothing to plot" in res.output
    assert "every row has an error" not in res.output
