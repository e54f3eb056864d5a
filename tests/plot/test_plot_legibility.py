"""Sweep figures read at a glance (a tester of sweeps at scale, 2026-12-05): what each case
drew before, and what a reader needs from it."""

from __future__ import annotations

import pytest

from cimsim.plot import efficiency_vs_param, energy_breakdown, latency_vs_param
from cimsim.plot.crossover import CHANGE_LABEL
from cimsim.plot.ticks import tick_labels
from cimsim.sweep import sweep


def test_a_log_axis_of_many_values_labels_its_ends(tmp_path):
    # 10 values over 1.2 decades: matplotlib's decade ticks labelled one value, 1 TB/s
    df = sweep(["gpu-hbm3"], "gru", ["memory.dram.bandwidth=400GB/s..6.4TB/s:log:10"],
               engine="analytic", workers=1, output=tmp_path / "s.parquet")
    ax = latency_vs_param(df).axes[0]
    ax.figure.canvas.draw()
    labels = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert labels[0] == "400 GB/s" and labels[-1] == "6.4 TB/s" and len(labels) == 6, labels


def test_a_log_colourbar_of_a_count_labels_powers_of_two(tmp_path):
    # processor.cores 4..64 drawn at random: the bar had linear ticks 15, 30, 45, 60 over log
    # minor labels 2x10^1 (one overprinting another)
    df = sweep(["cpu-ddr5"], "gru", ["memory.dram.bandwidth=25GB/s..400GB/s:log",
                                     "processor.cores=2..128:log"],
               sample="lhs", samples=12, seed=3, engine="analytic", workers=1,
               output=tmp_path / "s.parquet")
    fig = latency_vs_param(df, "memory.dram.bandwidth")
    fig.canvas.draw()
    bar = fig.axes[-1]
    labels = [t.get_text() for t in bar.get_xticklabels() if t.get_text()]
    lo, hi = df["processor.cores"].min(), df["processor.cores"].max()
    want = [str(2 ** e) for e in range(1, 8) if lo <= 2 ** e <= hi]
    assert hi / lo > 10  # a log bar
    assert labels == want and not [t for t in bar.xaxis.get_minorticklabels() if t.get_text()]


def test_lines_of_one_architecture_that_hide_each_other_are_bands(tmp_path):
    # cim.adc.range_policy costs nothing: its two lines are one; the second is a band named so
    df = sweep(["sram-cim"], "gru", ["links.interconnect.bandwidth=8GB/s..128GB/s:log:3",
                                     "cim.adc.range_policy=max,unit"],
               engine="analytic", workers=1, output=tmp_path / "s.parquet")
    fig = latency_vs_param(df, "links.interconnect.bandwidth")
    labels = [t.get_text() for t in fig.legends[0].get_texts() if t.get_text() != CHANGE_LABEL]
    assert labels == ["sram-cim, adc.range_policy = max",
                      "sram-cim, adc.range_policy = unit (= sram-cim, adc.range_policy = max)"]


def test_a_long_legend_goes_below_the_panels_and_the_figure_grows(tmp_path):
    df = sweep(["sram-cim", "rram-cim"], "gru", ["links.interconnect.bandwidth=8GB/s..128GB/s:log:3",
                                                 "cim.adc.range_policy=max,unit"],
               engine="analytic", workers=1, output=tmp_path / "s.parquet")
    fig = latency_vs_param(df, "links.interconnect.bandwidth")
    fig.canvas.draw()
    legend, ax = fig.legends[0], fig.axes[0]
    assert legend.get_window_extent().y1 <= ax.get_window_extent().y0  # below the panel
    assert fig.get_figheight() > 3.8 + 0.5


def test_the_tallest_stacked_bar_stays_below_the_frame(tmp_path):
    # a zero part (pim_compute on gpu-hbm3) stacked on top made the bar top a sticky edge
    df = sweep(["gpu-hbm3", "hbm-pim"], "gru", ["memory.dram.bandwidth=100GB/s,200GB/s"],
               engine="analytic", workers=1, output=tmp_path / "s.parquet")
    ax = energy_breakdown(df).axes[0]
    assert ax.get_yscale() == "linear"
    top = max(p.get_y() + p.get_height() for p in ax.patches)
    assert ax.get_ylim()[1] == pytest.approx(1.05 * top, rel=1e-9, abs=0)


def test_a_grids_energy_panels_are_a_row_per_workload(tmp_path):
    # 2 workloads x 2 values of the other parameter: 4 panels in a 3-wide grid put one
    # workload's panels on two rows (a tester, 2026-12-05); a row per workload now
    df = sweep(["sram-cim"], ["gru", "tcn"], ["cim.arrays=4096,8192", "cim.adc.range_policy=max,unit"],
               engine="analytic", workers=1, output=tmp_path / "s.parquet")
    fig = energy_breakdown(df, "cim.arrays")
    geo = [sf._subplotspec.get_geometry()[:2] for sf in fig.subfigs]
    assert geo == [(2, 2)] * 4
    titles = [sf._suptitle.get_text() for sf in fig.subfigs]
    assert [t.split(":")[0] for t in titles] == ["gru", "gru", "tcn", "tcn"]


def test_tick_labels_have_the_decimals_of_their_step():
    # 5.7466 .. 5.7470 ms, 0.2 us apart: 0.0002 ms needs 4 decimals (4 significant digits read
    # '5.747 ms' three times); a step of 0.25 ms needs 2; one prefix for the whole
    # axis, that of its largest tick (1 ms: ms)
    assert tick_labels([5.7466e-3, 5.7468e-3, 5.7470e-3], "s") == ["5.7466 ms", "5.7468 ms", "5.7470 ms"]
    assert tick_labels([0.0, 5e-4, 7.5e-4, 1e-3], "s") == ["0.00 ms", "0.50 ms", "0.75 ms", "1.00 ms"]
    assert tick_labels([8e-4, 1e-3, 1.2e-3], "s") == ["0.8 ms", "1.0 ms", "1.2 ms"]
    # unitless (the axis label has the unit): plain, thousands separated, 0.5 apart -> 1 decimal
    assert tick_labels([12128.5, 12129.0, 12129.5]) == ["12,128.5", "12,129.0", "12,129.5"]
    # 4.6 + float noise is 4.6 (step 0.1 -> 1 decimal, not 0.0999999999999996 -> 2)
    assert tick_labels([4.5, 4.6000000000000005, 4.7]) == ["4.5", "4.6", "4.7"]


def test_a_narrow_range_never_repeats_a_tick_label(tmp_path):
    # a PIM latency axis read '5.747 ms' x5 and '5.748 ms' x5; TOPS/W beside it printed
    # matplotlib's own '85.800'. Every linear panel: distinct labels, one style
    df = sweep(["gpu-hbm3"], "gru", ["memory.dram.bandwidth=400GB/s,800GB/s"],
               engine="analytic", workers=1, output=tmp_path / "s.parquet")
    df["latency_s"] = [5.7482e-3, 5.7468e-3]  # 1.4 us apart
    df["ops_per_j"] = [85.8002e12, 85.8155e12]  # 85.8002 .. 85.8155 TOPS/W (x 1e-12)
    for fig, unit in ((latency_vs_param(df), " ms"), (efficiency_vs_param(df), "")):
        fig.canvas.draw()
        ax = fig.axes[0]
        labels = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
        assert len(labels) >= 3 and len(set(labels)) == len(labels), labels
        assert all(t.endswith(unit) for t in labels), labels
        # one number of decimals on the axis
        assert len({len(t.removesuffix(unit).split(".")[-1]) for t in labels}) == 1, labels


def test_critical_path_figure_keeps_its_axes_beside_long_band_labels():
    """Lines that coincide get band labels "(= other: family)"; a figure sized by line count
    alone left the axes 41 px wide beside a legend of such labels (gpu-hbm3 and
    gpu-hbm-pim-attn draw one line on an LSTM and an encoder). The figure now widens for the
    legend: the axes keep most of a 7 in plot and the legend lies right of them."""
    from cimsim import load_architecture
    from cimsim.plot.run_figures import critical_path_vs_length
    from cimsim.studies import critical_path_table

    cp = critical_path_table([load_architecture(n) for n in ("cpu-ddr5", "gpu-hbm-pim-attn", "gpu-hbm3")],
                             [4, 16], width=64, window=4)
    fig = critical_path_vs_length(cp, window=4)
    fig.canvas.draw()
    ax = fig.axes[0].get_window_extent()
    legend = fig.axes[0].get_legend().get_window_extent()
    assert any("(= " in t.get_text() for t in fig.axes[0].get_legend().get_texts())  # the case
    assert ax.width >= 4.0 * fig.dpi  # 41 px before
    assert legend.x0 >= ax.x1 and legend.x1 <= fig.get_size_inches()[0] * fig.dpi + 1


def test_values_apart_by_rounding_alone_draw_a_flat_axis():
    """Two sweep points 1e-17 s apart (657.4 µs: 1.5e-14 of it) drew a steep line over the whole
    axis, labelled to 12 digits: within 1e-9 of their size values are drawn flat, ±5 % about
    them (620-700 µs here, ticks of 10 µs); values really apart keep matplotlib's limits."""
    import numpy as np
    from matplotlib.figure import Figure

    from cimsim.plot.ticks import step_axis

    fig = Figure()
    ax = fig.add_subplot()
    y = np.array([657.4e-6, 657.4e-6 + 1e-17])
    ax.plot([1, 2], y)
    step_axis(ax.yaxis, "s", y)
    lo, hi = ax.get_ylim()
    assert lo == pytest.approx(0.95 * 657.4e-6, rel=1e-9, abs=0) and hi == pytest.approx(1.05 * 657.4e-6, rel=1e-9, abs=0)
    fig2 = Figure()
    ax2 = fig2.add_subplot()
    y2 = np.array([657.4e-6, 657.5e-6])
    ax2.plot([1, 2], y2)
    before = ax2.get_ylim()
    step_axis(ax2.yaxis, "s", y2)
    assert ax2.get_ylim() == before


def test_a_tick_at_float_noise_below_zero_reads_zero():
    from cimsim.plot.ticks import tick_labels

    assert tick_labels([-2.8e-20, 1e-3, 2e-3], "s") == ["0 ms", "1 ms", "2 ms"]  # was "-0 ms"


@pytest.mark.parametrize("draw", [latency_vs_param, efficiency_vs_param])
def test_a_long_legend_below_and_the_caption_are_inside_the_figure_and_apart(tmp_path, draw):
    # find-H 5: labels of ~150 characters (a band's "(= ...)") ran off both edges of a one-panel
    # figure, and the legend below the panels was drawn over the caption (constrained layout
    # gives the bottom margin to the larger of the two, not both): every entry and the caption
    # must lie inside the figure, measured by matplotlib's renderer, and not overlap
    import io

    from cimsim.plot.held import note_held

    df = sweep(["rram-cim-derived"], "tcn", ["cim.weight_replication=true,false",
                                             "cim.adc.range_policy=max,unit",
                                             "technology.voltage=0.5V,0.9V"],
               engine="analytic", workers=1, output=tmp_path / "s.parquet")
    fig = note_held(draw(df, "cim.weight_replication"), df)
    fig.savefig(io.BytesIO(), format="png", dpi=100)  # lays the figure out as a file has it
    renderer = fig.canvas.get_renderer()
    whole = fig.bbox
    (legend,) = fig.legends
    texts = [" ".join(t.get_text().split()) for t in legend.get_texts()]
    assert max(len(t) for t in texts) > 140  # the long labels, whole
    box, cap = legend.get_window_extent(renderer), fig._supxlabel.get_window_extent(renderer)
    for b in (box, cap, *(t.get_window_extent(renderer) for t in legend.get_texts())):
        assert whole.x0 <= b.x0 and b.x1 <= whole.x1 and whole.y0 <= b.y0 and b.y1 <= whole.y1, b
    assert not box.overlaps(cap) and cap.y1 <= box.y0  # the caption below the legend
    panels = [ax.get_window_extent(renderer) for ax in fig.axes]
    assert all(p.y0 > box.y1 for p in panels)  # the legend below every panel
