"""Figures of a sweep over two generators' files where one group varies a key the other does not
(a tester, find-H 1, 4, 6): LSTM files at T = 10, 20, 40 and H = 128 beside GRU files at
T = 10, 20, 40, so `workload.hidden` is empty (<NA>) on the GRU rows.

- `plot --param workload.steps` crashed sorting line-style values that held <NA>;
- the grid's (hidden, steps) combinations are 4 (LSTM) and 3 (GRU): no more than the six line
  styles, yet <NA> counted as values of their own (7) and the figure went into the colour mode,
  the GRU lines black and marker-less;
- the note blamed the GRU files for recording no hidden size, which they do (H64).
Real sweeps of real workload files, analytic engine."""

from __future__ import annotations

import matplotlib.colors as mcolors
import pandas as pd
import pytest
from click.testing import CliRunner

from cimsim.cli import main
from cimsim.plot import latency_vs_param
from cimsim.plot.colour import colour_param
from cimsim.plot.style import LINESTYLES, arch_style, value_styles
from cimsim.sweep import sweep

ARCHS = ("cpu-ddr5", "gpu-hbm3")


@pytest.fixture(scope="module")
def shape_sweep(tmp_path_factory):
    d = tmp_path_factory.mktemp("groups")
    files = []
    for gen, hidden, steps in [("lstm", 64, 10), ("lstm", 64, 20), ("lstm", 64, 40), ("lstm", 128, 20),
                               ("gru", 64, 10), ("gru", 64, 20), ("gru", 64, 40)]:
        path = d / f"{gen}{hidden}-{steps}.json"
        res = CliRunner().invoke(main, ["workload", gen, "--input-size", "64", "--hidden", str(hidden),
                                        "--steps", str(steps), "-o", str(path)])
        assert res.exit_code == 0, res.output
        files.append(str(path))
    out = d / "shape.parquet"
    sweep(list(ARCHS), files, ["memory.dram.bandwidth=100GB/s,1TB/s"], engine="analytic", workers=1,
          output=out)
    return out


def test_value_styles_sorts_combinations_with_empty_cells():
    combos = [(64, 10), (pd.NA, 20), (128, 20), (pd.NA, 10), (64, 20)]
    styles = value_styles(combos)
    assert list(styles) == [(64, 10), (64, 20), (128, 20), (pd.NA, 10), (pd.NA, 20)]
    assert list(styles.values()) == list(LINESTYLES[:5])


def test_plot_against_steps_draws_every_figure(shape_sweep, tmp_path):
    res = CliRunner().invoke(main, ["plot", str(shape_sweep), "-o", str(tmp_path / "f"), "--format",
                                    "png", "--no-roofline", "--param", "workload.steps"])
    assert res.exit_code == 0, res.output
    assert "Traceback" not in res.output
    for fig in ("latency", "energy", "utilization", "efficiency"):
        assert (tmp_path / "f" / f"shape-{fig}.png").is_file(), fig


def test_a_grid_with_empty_cells_keeps_one_colour_and_marker_per_architecture(shape_sweep):
    df = pd.read_parquet(shape_sweep)
    assert df["workload.hidden"].isna().sum() == 3 * 2 * 2  # 3 GRU files x 2 configs x 2 bandwidths
    assert colour_param(df, "memory.dram.bandwidth") is None  # 4 and 3 combinations <= 6 styles
    fig = latency_vs_param(df, "memory.dram.bandwidth")
    lines = [ln for ax in fig.axes for ln in ax.get_lines() if not ln.get_label().startswith("_")]
    assert len(lines) == 7 * len(ARCHS)  # one per panel (workload file) and architecture
    want = {mcolors.to_hex(arch_style(a).color): arch_style(a).marker for a in ARCHS}
    assert {(mcolors.to_hex(ln.get_color()), ln.get_marker()) for ln in lines} == set(want.items())
    assert not [ax for ax in fig.axes if ax.get_label() == "<colorbar>"]


def test_the_note_says_the_gru_group_does_not_vary_hidden(shape_sweep, tmp_path):
    res = CliRunner().invoke(main, ["plot", str(shape_sweep), "-o", str(tmp_path / "f"), "--format",
                                    "png", "--no-roofline", "--param", "workload.hidden"])
    assert res.exit_code == 0, res.output
    gru = ", ".join(f"gru-L1-I64-H64-T{t}-B1-fp32-layer" for t in (10, 20, 40))
    assert (f"note: 12 of 28 rows have no workload.hidden (generator gru does not vary it: {gru}): "
            "not in the figures against it") in res.stderr
    assert "records none" not in res.stderr
