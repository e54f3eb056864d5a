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


def _workloads(d, inputs: int, shapes) -> list[str]:
    """Workload files written by `cimsim workload GEN` for each (generator, hidden, steps)."""
    files = []
    for gen, hidden, steps in shapes:
        path = d / f"{gen}{hidden}-{steps}.json"
        res = CliRunner().invoke(main, ["workload", gen, "--input-size", str(inputs), "--hidden", str(hidden),
                                        "--steps", str(steps), "-o", str(path)])
        assert res.exit_code == 0, res.output
        files.append(str(path))
    return files


@pytest.fixture(scope="module")
def shape_sweep(tmp_path_factory):
    d = tmp_path_factory.mktemp("groups")
    files = _workloads(d, 64, [("lstm", 64, 10), ("lstm", 64, 20), ("lstm", 64, 40), ("lstm", 128, 20),
                               ("gru", 64, 10), ("gru", 64, 20), ("gru", 64, 40)])
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


@pytest.fixture(scope="module")
def random_sweep(tmp_path_factory):
    """A random sweep whose colour parameter has empty cells: LSTM files at 7 hidden sizes (more
    than the 6 line styles: colour mode, workload.hidden the colour) beside GRU files at 2 T,
    where workload.hidden is empty."""
    d = tmp_path_factory.mktemp("rnd")
    files = _workloads(d, 16, [*(("lstm", h, 4) for h in (16, 32, 48, 64, 80, 96, 112)),
                               ("gru", 32, 4), ("gru", 32, 8)])
    out = d / "rnd.parquet"
    sweep(list(ARCHS), files, ["memory.dram.bandwidth=10GB/s..1TB/s:log"], sample="random", samples=3,
          seed=1, engine="analytic", workers=1, output=out)
    return out


def test_rows_with_an_empty_colour_value_are_drawn_grey_with_their_marker(random_sweep):
    from cimsim.plot.colour import NO_VALUE

    df = pd.read_parquet(random_sweep)
    by = colour_param(df, "memory.dram.bandwidth")
    assert by is not None and by.param == "workload.hidden"
    fig = latency_vs_param(df, "memory.dram.bandwidth")
    gru = [ax for ax in fig.axes if ax.get_title().startswith("gru-")]
    assert len(gru) == 2
    grey = mcolors.to_rgba(NO_VALUE)
    for ax in gru:
        points = [c for c in ax.collections if c.get_label() == "_point"]
        assert len(points) == len(ARCHS)  # one set of markers per architecture, none invisible
        for pc in points:
            faces = pc.get_facecolors()
            assert len(faces) == 3 and all(tuple(f) == grey for f in faces)  # 3 points, all grey
        # each architecture keeps its marker's edge colour
        edges = {mcolors.to_hex(pc.get_edgecolors()[0]) for pc in points}
        assert edges == {mcolors.to_hex(arch_style(a).color) for a in ARCHS}
        joined = [ln for ln in ax.get_lines() if ln.get_label() == "_column"]
        assert joined and all(mcolors.to_rgba(ln.get_color()) == grey for ln in joined)
    labels = [t.get_text() for leg in fig.legends for t in leg.get_texts()] + \
        [t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().get_texts()]
    assert "grey: workload.hidden empty (<NA>)" in labels
    # an LSTM panel's points take their hidden size's colour, none grey
    lstm = next(ax for ax in fig.axes if ax.get_title().startswith("lstm-L1-I16-H16-"))
    for pc in (c for c in lstm.collections if c.get_label() == "_point"):
        assert all(tuple(f) != grey for f in pc.get_facecolors())
