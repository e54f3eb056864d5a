"""A random or Latin-hypercube sweep over two continuous parameters: the second one is colour
with a colourbar, not a line style and a legend entry per point (which made one legend entry
per sampled point, unreadable)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from cimsim.commands.plot import plot_command
from cimsim.plot import energy_breakdown, efficiency_vs_param, latency_vs_param, utilization_vs_param
from cimsim.sweep import sweep

ARCHS = ["cpu-ddr5", "gpu-hbm3"]
SAMPLES = 12


@pytest.fixture(scope="module")
def lhs_sweep(tmp_path_factory):
    out = tmp_path_factory.mktemp("lhs") / "lhs.parquet"
    df = sweep(ARCHS, "tcn", ["memory.dram.bandwidth=25GB/s..3.2TB/s:log", "processor.clock=0.5GHz..3GHz:lin"],
               sample="lhs", samples=SAMPLES, seed=3, engine="analytic", workers=1, output=out)
    return out, df


def _colourbars(fig):
    return [ax for ax in fig.axes if ax.get_label() == "<colorbar>"]


@pytest.mark.parametrize("fn", [latency_vs_param, efficiency_vs_param])
def test_lhs_sweep_legend_one_entry_per_architecture_and_a_colourbar(lhs_sweep, fn):
    _, df = lhs_sweep
    fig = fn(df, "memory.dram.bandwidth")
    [legend] = fig.legends
    assert sorted(t.get_text() for t in legend.get_texts()) == ARCHS  # not 2 x 12 entries
    [cb] = _colourbars(fig)
    assert cb.get_xlabel() == "colour: processor.clock [Hz]"
    labels = [t.get_text() for t in cb.get_xticklabels() if t.get_text()]
    assert labels and all(l.endswith("Hz") for l in labels)  # SI-prefixed: "1.5 GHz"
    # every sampled point is drawn, each coloured (face) by its clock, edged in its
    # architecture's colour
    panels = [ax for ax in fig.axes if ax not in _colourbars(fig)]
    points = sum(len(c.get_offsets()) for c in panels[0].collections)
    assert points == SAMPLES * len(ARCHS)


def test_lhs_sweep_utilization_draws_no_line_through_unrelated_points(lhs_sweep):
    _, df = lhs_sweep
    fig = utilization_vs_param(df, "memory.dram.bandwidth")
    lines = [l for ax in fig.axes for l in ax.get_lines() if len(l.get_xdata()) > 1]
    assert lines and all(l.get_linestyle() == "None" for l in lines)


def test_lhs_sweep_energy_bars_name_every_swept_value_of_their_run(lhs_sweep):
    """A bar at one bandwidth of an LHS sweep is one run, at its own clock: the label says both."""
    _, df = lhs_sweep
    fig = energy_breakdown(df, "memory.dram.bandwidth")
    ax = fig.subfigs[0].axes[-1]
    labels = [t.get_text().split("\n") for t in ax.get_xticklabels()]
    assert labels and all(len(l) == 3 and l[1].endswith("B/s") and l[2].endswith("Hz") for l in labels)
    xl = ax.get_xlabel()
    assert xl.startswith("architecture, memory.dram.bandwidth [B/s], processor.clock [Hz]\n"
                         "(4 of the 12 values of memory.dram.bandwidth: ")
    xl = xl.replace("\n", " ")  # the note wrapped to the panel's width
    assert xl.endswith(", the first, the last and evenly between)") and xl.count("B/s, ") == 4


def test_cimsim_plot_of_an_lhs_sweep(lhs_sweep, tmp_path):
    path, _ = lhs_sweep
    res = CliRunner().invoke(plot_command, [str(path), "-o", str(tmp_path), "--format", "png",
                                            "--no-roofline"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "lhs-latency.png").stat().st_size > 0


def test_a_small_grid_keeps_line_styles(tmp_path):
    """A 3 x 2 grid: the second parameter stays a line style with its values in the legend."""
    df = sweep(["cpu-ddr5"], "tcn", ["memory.dram.bandwidth=25GB/s..3.2TB/s:log:3",
                                     "processor.clock=1GHz,2GHz"],
               engine="analytic", workers=1, output=tmp_path / "g.parquet")
    fig = latency_vs_param(df, "memory.dram.bandwidth")
    assert not _colourbars(fig)
    assert sorted(t.get_text() for t in fig.legends[0].get_texts()) == [
        "cpu-ddr5, processor.clock = 1 GHz", "cpu-ddr5, processor.clock = 2 GHz"]


def _overlaps(labels, renderer, pad_px=2.0):
    """Pairs of neighbouring tick labels whose drawn boxes overlap (or come within pad_px)."""
    boxes = sorted((t.get_window_extent(renderer) for t in labels if t.get_visible() and t.get_text()),
                   key=lambda b: b.x0)
    return [(a, b) for a, b in zip(boxes, boxes[1:]) if b.x0 < a.x1 + pad_px]


@pytest.fixture(scope="module")
def clock_1_3_sweep():
    """The user's sweep: clocks 1-3 GHz, where matplotlib's default locator ticks every 0.2 GHz."""
    return sweep(ARCHS, "tcn", ["memory.dram.bandwidth=50GB/s..3.2TB/s:log", "processor.clock=1GHz..3GHz:lin"],
                 sample="lhs", samples=SAMPLES, seed=3, engine="analytic", workers=1)


@pytest.mark.parametrize("fn", [latency_vs_param, efficiency_vs_param])
@pytest.mark.parametrize("x", ["memory.dram.bandwidth", "processor.clock"])
def test_colourbar_tick_labels_do_not_overlap(clock_1_3_sweep, fn, x):
    """The colourbar's labels, drawn, do not run into each other ('1.2 GHz1.4 GHz1.6 GHz' with
    matplotlib's default locator on the shrunk bar); a linear bar has at most 4 ticks; on x =
    the clock the bar is the bandwidth, on a log scale."""
    df = clock_1_3_sweep
    fig = fn(df, x)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    [cb] = _colourbars(fig)
    lo, hi = sorted(cb.get_xlim())
    labels = [t for t in cb.get_xticklabels() + cb.xaxis.get_minorticklabels()
              if t.get_text() and lo * (1 - 1e-9) <= t.get_position()[0] <= hi * (1 + 1e-9)]
    assert len(labels) >= 2
    if x == "memory.dram.bandwidth":  # the clock, linear
        assert len(labels) <= 4
    assert not _overlaps(labels, renderer)
