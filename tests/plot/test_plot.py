"""Plot functions return Figures with the expected axes; ``cimsim plot`` writes PNG and SVG."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from cimsim.bundled import resolve_config, resolve_workload
from cimsim.commands.plot import plot_command
from cimsim.config import load_architecture
from cimsim.plot import (
    efficiency_vs_param,
    energy_breakdown,
    energy_vs_param,
    latency_vs_param,
    roofline,
    utilization_vs_bandwidth,
)
from cimsim.plot.crossover import CHANGE_LABEL
from cimsim.report.columns import energy_column
from cimsim.studies import op_tables
from cimsim.sweep import sweep
from cimsim.workload import load_workload

ARCHS = ["cpu-ddr5", "gpu-hbm3"]


@pytest.fixture(scope="module")
def bw_sweep(tmp_path_factory):
    out = tmp_path_factory.mktemp("plot") / "bw.parquet"
    df = sweep(ARCHS, "tcn", ["memory.dram.bandwidth=25GB/s..3.2TB/s:log:5"],
               engine="analytic", workers=1, output=out)
    return out, df


def _lines(ax):
    return [l for l in ax.get_lines() if len(l.get_xdata()) > 1]


def test_latency_and_energy_vs_param_log_axes_one_line_per_arch(bw_sweep):
    _, df = bw_sweep
    for fn, metric in ((latency_vs_param, "latency_s"), (energy_vs_param, "energy_j")):
        fig = fn(df)
        [ax] = fig.axes
        assert ax.get_xscale() == "log"  # 25 GB/s .. 3.2 TB/s spans two decades
        # (the latency figure's rings where bound_part changes have an entry of their own)
        assert sorted(t.get_text() for t in fig.legends[0].get_texts() if t.get_text() != CHANGE_LABEL) == ARCHS
        assert len(_lines(ax)) == 2
        assert "B/s" in ax.get_xlabel()
        for line, arch in zip(_lines(ax), ARCHS):
            g = df[df["architecture"] == arch].sort_values("memory.dram.bandwidth")
            np.testing.assert_allclose(line.get_ydata(), g[metric].to_numpy(float))


def test_linear_axis_within_a_decade():
    df = sweep(ARCHS, "tcn", ["memory.dram.bandwidth=100GB/s..400GB/s:lin:3"], engine="analytic", workers=1)
    ax = latency_vs_param(df).axes[0]
    assert ax.get_xscale() == "linear"


def test_energy_breakdown_bars_stack_to_total(bw_sweep):
    _, df = bw_sweep
    fig = energy_breakdown(df, most=2)
    [ax] = fig.axes  # tcn: cpu-ddr5 and gpu-hbm3 within a decade of each other, one stacked panel
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    parts = [c[len("energy_"):-2] for c in df.columns if c.startswith("energy_") and c.endswith("_j") and c != "energy_j"]
    assert set(labels) <= set(parts) and "dram" in labels
    n_bars = len(ARCHS) * 2  # lowest and highest bandwidth per architecture
    tops = np.zeros(n_bars)
    for container in ax.containers:
        assert len(container.patches) == n_bars
        tops = np.maximum(tops, [p.get_y() + p.get_height() for p in container.patches])
    picked = []
    for arch in ARCHS:
        g = df[df["architecture"] == arch].sort_values("memory.dram.bandwidth")
        picked += [g.iloc[0], g.iloc[-1]]
    totals = [sum(0.0 if np.isnan(r[energy_column(c)]) else r[energy_column(c)] for c in parts) for r in picked]
    np.testing.assert_allclose(tops, totals, rtol=1e-9)
    np.testing.assert_allclose(totals, [r["energy_j"] for r in picked], rtol=1e-9)
    # 2 of the 5 bandwidths are drawn: the axis says so (they were left out in silence)
    # (wrapped to the panel's width: its lines joined back)
    assert ax.get_xlabel().replace("\n", " ").endswith(
        "(2 of the 5 values of memory.dram.bandwidth: 25 GB/s, 3.2 TB/s, the first, the last and "
        "evenly between)"), ax.get_xlabel()
    assert "of the" not in energy_breakdown(df, most=5).axes[0].get_xlabel()


def test_utilization_vs_bandwidth_panel_per_arch(bw_sweep):
    _, df = bw_sweep
    fig = utilization_vs_bandwidth(df)
    assert [ax.get_title() for ax in fig.axes] == [f"tcn: {a}" for a in ARCHS]
    assert "dram_bw" in [t.get_text() for t in fig.legends[0].get_texts()]
    for ax in fig.axes:
        assert ax.get_xscale() == "log" and ax.get_ylim() == (0, 1.05)
        assert "dram_bw" in ax.get_legend_handles_labels()[1]
        for line in _lines(ax):
            assert np.all((line.get_ydata() >= 0) & (line.get_ydata() <= 1))


def test_efficiency_panels_are_the_result_columns_in_ops_and_mm2():
    """ops_per_j is OPS/W and ops_per_s_per_m2 x 1e-6 (m^2 per mm^2) OPS/mm^2, each axis in the
    SI prefix of its largest value (find-C 9: fixed at TOPS/W, a CPU read 0.0004); area mm^2 =
    area_m2 x 1e6. cpu-ddr5 declares no area (area_m2 blank): a line in the OPS/W panel only."""
    from cimsim.units import SI_PREFIXES

    def prefix(values):
        return next((s, p) for s, p in SI_PREFIXES if values.max() / s >= 1)

    df = sweep(["sram-cim", "cpu-ddr5"], "tcn", ["memory.dram.bandwidth=25GB/s..3.2TB/s:log:3"],
               engine="analytic", workers=1)
    fig = efficiency_vs_param(df)
    ops_w, ops_mm2, area = fig.axes
    (s_w, p_w), (s_mm2, p_mm2) = prefix(df["ops_per_j"]), prefix(df["ops_per_s_per_m2"].dropna() * 1e-6)
    assert ops_w.get_ylabel() == f"energy efficiency [{p_w}OPS/W]"
    assert ops_mm2.get_ylabel() == f"area efficiency [{p_mm2}OPS/mm²]"
    assert area.get_ylabel() == "area [mm²]"
    assert [l.get_label() for l in _lines(ops_w)] == ["sram-cim", "cpu-ddr5"]
    assert [l.get_label() for l in _lines(ops_mm2)] == [l.get_label() for l in _lines(area)] == ["sram-cim"]
    cim = df[df["architecture"] == "sram-cim"].sort_values("memory.dram.bandwidth")
    np.testing.assert_allclose(_lines(ops_w)[0].get_ydata(), cim["ops_per_j"] / s_w)
    np.testing.assert_allclose(_lines(ops_mm2)[0].get_ydata(), cim["ops_per_s_per_m2"] * 1e-6 / s_mm2)
    np.testing.assert_allclose(_lines(area)[0].get_ydata(), cim["area_m2"] * 1e6)
    cpu = df[df["architecture"] == "cpu-ddr5"]
    assert cpu["area_m2"].isna().all() and cpu["ops_per_s_per_m2"].isna().all()


def test_roofline_places_ops_under_the_roofs():
    archs = [load_architecture(resolve_config(a)) for a in ARCHS]
    wl = load_workload(resolve_workload("tcn"))
    ax = roofline(op_tables(archs, wl), wl).axes[0]
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    points = ax.collections
    assert len(points) == 2
    for a, pts in zip(ARCHS, points):
        # a hierarchical roofline: one roof per level the processor reads (an L3 in front of DRAM)
        roofs = [l for l in ax.get_lines() if l.get_label().startswith(f"{a}: processor roof (fp32) over ")]
        assert len(roofs) >= 2, [l.get_label() for l in ax.get_lines()]
        xy = pts.get_offsets()
        assert len(xy) > 0
        limit = np.max([np.interp(np.log(xy[:, 0]), np.log(r.get_xdata()), r.get_ydata())
                        for r in roofs], axis=0)
        assert np.all(xy[:, 1] <= limit * (1 + 1e-6))  # nothing beats its roofline


def test_many_op_markers_are_one_image_in_an_svg(tmp_path):
    """A serving sweep's roofline SVG held 415k op markers, 70 MB (a new user, 2026-12-05):
    past 2,000 ops a component's markers are rasterized (a few are still vector marks)."""
    from cimsim.workload.generators import lstm

    archs = [load_architecture(resolve_config("gpu-hbm3"))]
    big, small = lstm(16, 16, 1, steps=3000), load_workload(resolve_workload("tcn"))
    assert len(big.ops) > 2000 > len(small.ops)
    fig = roofline(op_tables(archs, big), big)
    # the ops placed (every one reads W_hh from DRAM or the L2): a component's markers
    assert [c.get_rasterized() for c in fig.axes[0].collections] == [True]
    fig.savefig(tmp_path / "r.svg")
    assert (tmp_path / "r.svg").stat().st_size < 2_000_000
    assert [c.get_rasterized() for c in roofline(op_tables(archs, small), small).axes[0].collections] == [False]


def test_roofline_draws_each_components_own_roof():
    # on a CIM architecture the CIM ops sit under the CIM arrays' roof, the rest under the host's
    arch = load_architecture(resolve_config("sram-cim"))
    wl = load_workload(resolve_workload("tcn"))
    ax = roofline(op_tables([arch], wl), wl).axes[0]
    roofs = {l.get_label(): l for l in ax.get_lines() if " roof (" in l.get_label()}
    cim = arch.component("cim")
    # the CIM arrays are labelled by their own precision (inputs x weights), not the workload's
    # fp32; the TCN's only MAC ops are its 8 convolutions, their weights on the arrays: they read
    # only the host link (32 GB/s, cimsim's sram-cim.yaml), its roof; the processor ran no MAC
    # op: its roof over the backing store (DRAM 307.2 GB/s x 0.7 = 215 GB/s)
    bits = f"{cim.config.input_bits}b x {cim.config.weight_bits}b"
    cim_roof = f"sram-cim: cim roof ({bits}) over interconnect 32 GB/s"
    assert set(roofs) == {"sram-cim: processor roof (fp32) over dram 215 GB/s", cim_roof}
    assert roofs[cim_roof].get_ydata().max() == pytest.approx(2 * cim.peak_macs_per_s("fp32"), rel=1e-6, abs=0)
    labels = [c.get_label() for c in ax.collections]
    assert labels == [f"sram-cim: cim ops ({bits})"]
    xy = ax.collections[0].get_offsets()
    assert len(xy) == 8 and np.all(xy[:, 1] <= 2 * cim.peak_macs_per_s("fp32") * (1 + 1e-9))


def test_roofline_ops_moving_no_bytes_at_any_level_sit_apart_at_the_right_edge():
    """The sweep's roofline drew them at a made-up intensity (half its right edge, ~5e3 op/B),
    with no note; the run report's put them at the right edge, named. The same here. (The
    recurrent GEMVs that read W_hh from the L2 here are placed on its roof now; the table's L2
    bytes of the ops without DRAM bytes are taken away to make ops that move nothing.)"""
    from cimsim.workload.generators import lstm

    arch = load_architecture(resolve_config("gpu-hbm3"))
    wl = lstm(16, 16, 1, steps=3)
    ops = op_tables([arch], wl)[0][1]
    ops.loc[ops["dram_bytes"] == 0, "sram_bytes"] = 0.0
    macs = ops[(ops["macs"] > 0) & (ops["duration_s"] > 0)]
    none = int((macs["dram_bytes"] == 0).sum())
    assert 0 < none < len(macs)  # both kinds
    ax = roofline([(arch, ops)], wl).axes[0]
    *kinds, edge = ax.collections  # placed: on their roof, or below it by a 16 x 16 GEMV's launch
    assert {c.get_label().split(" (")[0] for c in kinds} <= {
        "gpu-hbm3: processor ops", "gpu-hbm3: processor ops bound by overhead"}
    placed = np.concatenate([c.get_offsets() for c in kinds])
    assert edge.get_label() == (f"gpu-hbm3: processor ops moving no bytes over sram, dram ({none}): "
                                "at the right edge, intensity unbounded")
    right = max(l.get_xdata().max() for l in ax.get_lines())  # where the roofs end
    assert len(edge.get_offsets()) == none and np.all(edge.get_offsets()[:, 0] == right)
    assert len(placed) == len(macs) - none and np.all(placed[:, 0] < right / 10)


def test_a_second_components_op_markers_are_hollow_and_large_enough_to_show_it():
    # sram-cim: processor first (filled), cim second: hollow. At 14 pt^2 a hollow marker's edge
    # filled it, so PIM and processor ops looked the same
    arch = load_architecture(resolve_config("sram-cim"))
    wl = load_workload(resolve_workload("tcn"))
    (cim_ops,) = roofline(op_tables([arch], wl), wl).axes[0].collections
    assert len(cim_ops.get_facecolors()) == 0  # facecolors "none"
    assert cim_ops.get_sizes()[0] >= 36 and cim_ops.get_linewidths()[0] >= 1.2


@pytest.mark.slow
def test_cli_plot_writes_png_and_svg(bw_sweep, tmp_path):
    path, _ = bw_sweep
    res = CliRunner().invoke(plot_command, [str(path), "-o", str(tmp_path / "figs")])
    assert res.exit_code == 0, res.output
    for name in ("latency", "energy", "energy_breakdown", "utilization", "efficiency", "roofline"):
        png = tmp_path / "figs" / f"bw-{name}.png"
        svg = tmp_path / "figs" / f"bw-{name}.svg"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert b"<svg" in svg.read_bytes()[:2000]
    assert not (tmp_path / "figs" / "bw-serving.png").exists()  # no serving run, no serving figure
    res = CliRunner().invoke(plot_command, [str(path), "-o", str(tmp_path / "svg"), "--format", "svg",
                                            "--no-roofline"])
    assert res.exit_code == 0 and not list((tmp_path / "svg").glob("*.png"))


def test_cli_plot_rejects_non_sweep(tmp_path):
    other = tmp_path / "x.parquet"
    pd.DataFrame({"a": [1]}).to_parquet(other)
    res = CliRunner().invoke(plot_command, [str(other)])
    assert res.exit_code == 1 and "not a cimsim sweep" in res.output


def test_cli_plot_of_a_csv_says_to_give_the_parquet_file(tmp_path):
    """A sweep's --csv copy (or compare's CSV) is refused saying which file plot reads, not
    with pyarrow's 'Parquet magic bytes not found in footer'."""
    csv = tmp_path / "bw.csv"
    csv.write_text("point_id,workload\n1,tcn\n")
    res = CliRunner().invoke(plot_command, [str(csv)])
    assert res.exit_code == 1 and isinstance(res.exception, SystemExit)
    assert "reads a sweep's Parquet file (cimsim sweep ... -o OUT.parquet)" in res.output
    assert "magic bytes" not in res.output and len(res.output.strip().splitlines()) == 1


# ------------------------------------------------------------------ issue 21, item 14: faceting, styles
FACET_ARCHS = ["cpu-ddr5", "gpu-hbm3", "sram-cim"]
FACET_WLS = ["tcn", "gru"]


@pytest.fixture(scope="module")
def two_wl_sweep():
    return sweep(FACET_ARCHS, FACET_WLS, ["memory.dram.bandwidth=50GB/s..800GB/s:log:3"],
                 engine="analytic", workers=1)


def _arch_lines(ax):
    """{architecture: (colour, marker)} of the lines on ``ax`` (label = architecture[, ...])."""
    from matplotlib.colors import to_hex

    return {l.get_label().split(",")[0]: (to_hex(l.get_color()), l.get_marker()) for l in _lines(ax)}


def test_sweep_figures_have_one_panel_per_workload(two_wl_sweep):
    """Each workload gets its own panel (the first is never shown alone); the legend is the
    figure's, outside every panel."""
    df = two_wl_sweep
    for fn in (latency_vs_param, energy_vs_param):
        fig = fn(df)
        assert [ax.get_title() for ax in fig.axes] == FACET_WLS
        assert fig.legends and all(ax.get_legend() is None for ax in fig.axes)
        for ax, wl in zip(fig.axes, FACET_WLS):
            assert sorted(_arch_lines(ax)) == sorted(FACET_ARCHS)
            col = "latency_s" if fn is latency_vs_param else "energy_j"
            for line in _lines(ax):
                g = df[(df["workload"] == wl) & (df["architecture"] == line.get_label())]
                np.testing.assert_allclose(line.get_ydata(), g.sort_values("memory.dram.bandwidth")[col])
    eff = efficiency_vs_param(df)
    assert len(eff.axes) == 3 * len(FACET_WLS)
    assert [ax.get_title().split(":")[0] for ax in eff.axes] == [w for w in FACET_WLS for _ in range(3)]
    util = utilization_vs_bandwidth(df)
    assert [ax.get_title() for ax in util.axes] == [f"{w}: {a}" for w in FACET_WLS for a in FACET_ARCHS]


def test_an_architecture_has_one_colour_and_marker_in_every_figure(two_wl_sweep):
    from cimsim.plot.style import ARCH_STYLES, arch_style

    df = two_wl_sweep
    seen: dict[str, set] = {}
    for fig in (latency_vs_param(df), energy_vs_param(df), efficiency_vs_param(df)):
        for ax in fig.axes:
            for arch, style in _arch_lines(ax).items():
                seen.setdefault(arch, set()).add(style)
    assert set(seen) == set(FACET_ARCHS)
    for arch, styles in seen.items():
        assert styles == {tuple(arch_style(arch))}, arch
    # the bundled architectures are told apart by colour (test_plot_style: and not by shades)
    assert len({s.color for s in ARCH_STYLES.values()}) == len(ARCH_STYLES)


def test_unknown_architectures_keep_their_style_across_sessions():
    """Python's hash() is salted per process: the style must not depend on it."""
    import subprocess
    import sys

    from cimsim.plot.style import EXTRA_COLORS, arch_style

    code = "from cimsim.plot.style import arch_style; print(tuple(arch_style('my-accelerator')))"
    outs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           env={**__import__("os").environ, "PYTHONHASHSEED": seed}).stdout
            for seed in ("1", "2")}
    assert outs == {f"{tuple(arch_style('my-accelerator'))}\n"}
    assert arch_style("my-accelerator").color in EXTRA_COLORS


def test_two_parameter_legends_print_values_with_units():
    """A second swept parameter is a line style, its legend values in engineering units
    (never 1.35721e+11); x ticks are the swept values with units."""
    df = sweep(["sram-cim"], "tcn", ["memory.dram.bandwidth=50GB/s..800GB/s:log:3",
                                     "memory.sram.bandwidth=1TB/s,2TB/s"], engine="analytic", workers=1)
    fig = latency_vs_param(df, "memory.dram.bandwidth")
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    # the two are within 5 % of each other: the second is a band that says so (lines of one
    # architecture hid each other unmarked until a tester, 2026-12-05)
    assert labels == ["sram-cim, sram.bandwidth = 1 TB/s", "sram-cim, sram.bandwidth = 2 TB/s "
                      "(within 5 % of sram-cim, sram.bandwidth = 1 TB/s)"]
    [ax] = fig.axes
    assert len({l.get_linestyle() for l in _lines(ax)}) == 2
    fig.canvas.draw()
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert ticks == ["50 GB/s", "200 GB/s", "800 GB/s"]


def test_energy_bars_spanning_decades_are_split_total_on_log_and_shares():
    """lstm: cpu-ddr5 spends over 10x the energy of sram-cim: the panel shows totals on a
    log axis (bar heights = energy_j) and each bar's parts as shares stacked to 1."""
    df = sweep(["cpu-ddr5", "sram-cim"], "lstm", ["memory.dram.bandwidth=100GB/s,200GB/s"],
               engine="analytic", workers=1)
    totals = df.sort_values(["architecture", "memory.dram.bandwidth"])
    assert totals["energy_j"].max() / totals["energy_j"].min() > 10
    top, shares = energy_breakdown(df).axes
    assert top.get_yscale() == "log"
    heights = [p.get_height() for p in top.containers[0].patches]
    want = [df[(df["architecture"] == a) & (df["memory.dram.bandwidth"] == b)]["energy_j"].iloc[0]
            for a in ("cpu-ddr5", "sram-cim") for b in (100e9, 200e9)]
    np.testing.assert_allclose(heights, want, rtol=1e-12)
    stack = np.zeros(4)
    for c in shares.containers:
        stack += [p.get_height() for p in c.patches]
    np.testing.assert_allclose(stack, 1.0, rtol=1e-9)


def test_rooflines_have_one_panel_per_workload(two_wl_sweep):
    from cimsim.plot import rooflines
    from cimsim.studies import sweep_op_tables

    fig = rooflines(sweep_op_tables(two_wl_sweep))
    assert [ax.get_title() for ax in fig.axes] == [f"roofline: {w}" for w in FACET_WLS]


def test_log_axes_label_every_tick_in_si_units():
    """A log energy or latency axis labels its ticks, minor ones included when matplotlib
    labels them (a span of under two decades), as ``20 J`` / ``100 ms``, never ``2 x 10^1``."""
    df = sweep(["cpu-ddr5", "gpu-hbm3"], "lstm", ["memory.dram.bandwidth=25GB/s..3.2TB/s:log:4"],
               engine="analytic", workers=1)
    top = energy_breakdown(df).axes[0]
    lat = latency_vs_param(df).axes[0]
    for ax, unit in ((top, "J"), (lat, "s")):
        assert ax.get_yscale() == "log"
        ax.figure.canvas.draw()
        labels = [t.get_text() for t in ax.get_yticklabels(which="both") if t.get_text()]
        assert len(labels) >= 2
        for text in labels:
            assert text.endswith(unit) and "times" not in text and "^" not in text, text


@pytest.fixture(scope="module")
def _text_sweeps():
    """A sweep over a string field (cim.adc.range_policy) and one over a boolean
    (cim.weight_replication), each in a non-alphabetical order; swept once for the module."""
    return (sweep(["rram-cim"], "tcn", ["cim.adc.range_policy=unit,max,calibrated"],
                  engine="analytic", workers=1),
            sweep(["sram-cim"], "tcn", ["cim.weight_replication=true,false"], engine="analytic",
                  workers=1))


@pytest.fixture
def text_sweeps(_text_sweeps):
    """Copies of the module's two sweeps (a figure that changed its frame would not leak)."""
    return tuple(df.copy() for df in _text_sweeps)


def test_a_parameter_that_is_not_a_number_is_a_named_category_axis(text_sweeps):
    """A sweep over a string field (cim.adc.range_policy) or a boolean plots (it was 'could not
    convert string to float'): one tick per value, named, in the order swept, each line joining
    its points left to right at that value's latency."""
    df, replication = text_sweeps
    fig = latency_vs_param(df, "cim.adc.range_policy")
    [ax] = fig.axes
    fig.canvas.draw()
    assert [t.get_text() for t in ax.get_xticklabels()] == ["unit", "max", "calibrated"]
    [line] = _lines(ax)
    np.testing.assert_array_equal(line.get_xdata(), [0.0, 1.0, 2.0])
    want = [df[df["cim.adc.range_policy"] == v]["latency_s"].iloc[0] for v in ("unit", "max", "calibrated")]
    np.testing.assert_allclose(line.get_ydata(), want, rtol=0)
    ax = latency_vs_param(replication).axes[0]
    ax.figure.canvas.draw()
    assert [t.get_text() for t in ax.get_xticklabels()] == ["True", "False"]
    utilization_vs_bandwidth(replication)  # draws, too


def test_the_energy_bars_keep_the_swept_order_of_text_values(text_sweeps):
    """energy_breakdown sorted a text or boolean swept value alphabetically (calibrated, max,
    unit; False, True) where the other figures keep the order swept; numbers stay ascending."""
    from cimsim.plot.figures import _pick_values

    df, replication = text_sweeps
    ax = energy_breakdown(df, "cim.adc.range_policy").subfigs[0].axes[-1]
    assert [t.get_text().split("\n")[1] for t in ax.get_xticklabels()] == ["unit", "max", "calibrated"]
    ax = energy_breakdown(replication).subfigs[0].axes[-1]
    assert [t.get_text().split("\n")[1] for t in ax.get_xticklabels()] == ["True", "False"]
    assert _pick_values([16384, 2048, 4096], 4) == [2048, 4096, 16384]
    # thinned to 3 of 5: the first, the middle and the last as swept
    assert _pick_values(["e", "d", "c", "b", "a"], 3) == ["e", "c", "a"]


@pytest.mark.slow
def test_a_serving_sweep_plots_tokens_per_s_time_per_token_and_tokens_per_j(tmp_path):
    """A sweep of an LLM serving run gets a serving figure: decode tokens/s, time per output
    token and tokens/J against the swept parameter, a line per architecture, the values the
    sweep wrote (`cimsim plot` drew latency and energy only)."""
    from cimsim.plot import serving_vs_param
    from cimsim.workload import save_workload
    from cimsim.workload.llm import LLMModel, llm_serving

    m = LLMModel(layers=1, hidden=64, heads=4, kv_heads=4, ffn=256, vocab=100, head_dim=16, gated=True)
    wf = tmp_path / "s.npz"
    save_workload(llm_serving(m, prompt=8, decode=3, batch=2), wf)
    out = tmp_path / "s.parquet"
    df = sweep(["gpu-hbm3", "gpu-hbm-pim-attn"], str(wf), ["memory.dram.bandwidth=1TB/s,2TB/s,4TB/s"],
               workers=1, output=out)
    fig = serving_vs_param(df)
    assert len(fig.axes) == 3
    for ax, col in zip(fig.axes, ("decode_tokens_per_s", "tpot_s", "tokens_per_j")):
        lines = _lines(ax)
        assert len(lines) == 2
        for line, arch in zip(lines, ["gpu-hbm3", "gpu-hbm-pim-attn"]):
            g = df[df["architecture"] == arch].sort_values("memory.dram.bandwidth")
            np.testing.assert_allclose(line.get_ydata(), g[col].to_numpy(float))
    res = CliRunner().invoke(plot_command, [str(out), "-o", str(tmp_path / "figs"), "--format", "png",
                                            "--no-roofline"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "figs" / "s-serving.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow
def test_serving_runs_of_several_batch_sizes_plot_against_the_batch(tmp_path):
    """`cimsim sweep A B -w b1.npz -w b2.npz -w b4.npz` (one serving run per batch size) then
    `cimsim plot`: decode tokens/s, time per output token and tokens/J against the batch, a line
    per architecture (the sweep had no swept field: only an energy breakdown was drawn, and no
    column said the batch)."""
    from cimsim.plot import serving_vs_batch
    from cimsim.workload import save_workload
    from cimsim.workload.llm import LLMModel, llm_serving

    m = LLMModel(layers=1, hidden=64, heads=4, kv_heads=4, ffn=256, vocab=100, head_dim=16, gated=True)
    files = []
    for b in (1, 2, 4):
        files.append(str(tmp_path / f"b{b}.npz"))
        save_workload(llm_serving(m, prompt=8, decode=3, batch=b), files[-1])
    out = tmp_path / "b.parquet"
    archs = ["gpu-hbm3", "sram-cim"]
    df = sweep(archs, files, [], workers=1, output=out)
    assert sorted(df["llm_batch"].unique()) == [1, 2, 4]
    fig = serving_vs_batch(df)
    assert len(fig.axes) == 3  # one family: the three runs differ only in batch
    for ax, col in zip(fig.axes, ("decode_tokens_per_s", "tpot_s", "tokens_per_j")):
        lines = _lines(ax)
        assert len(lines) == 2
        for line, arch in zip(lines, archs):
            g = df[df["architecture"] == arch].sort_values("llm_batch")
            np.testing.assert_allclose(line.get_xdata(), [1, 2, 4])
            np.testing.assert_allclose(line.get_ydata(), g[col].to_numpy(float))
    res = CliRunner().invoke(plot_command, [str(out), "-o", str(tmp_path / "figs"), "--format", "png",
                                            "--no-roofline"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "figs" / "b-serving-batch.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_serving_lines_that_would_hide_under_another_are_bands():
    """Serving against the batch: gpu-hbm-pim-attn within 5 % of gpu-hbm3 (its PIM takes only
    the decode attention) sat on gpu-hbm3's line, green on teal (found by a tester,
    2026-12-05); it is a band as in the other sweep figures, a line 10 % off stays a line."""
    from cimsim.plot import serving_vs_batch

    rows = []
    for arch, f in (("gpu-hbm3", 1.0), ("gpu-hbm-pim-attn", 1.03), ("cpu-ddr5", 0.9)):
        for b in (1, 2, 4):
            rows.append({"architecture": arch, "workload": f"llm-L2-B{b}-P8-D4-fp16",
                         "llm_batch": float(b), "decode_tokens_per_s": 100.0 * b * f,
                         "tpot_s": 1e-3 / f, "tokens_per_j": 2.0 * b * f, "error": None})
    fig = serving_vs_batch(pd.DataFrame(rows))
    for ax in fig.axes[:3]:
        lines = {l.get_label(): l for l in _lines(ax)}
        assert set(lines) == {"gpu-hbm3", "gpu-hbm-pim-attn (within 5 % of gpu-hbm3)", "cpu-ddr5"}
        assert lines["gpu-hbm-pim-attn (within 5 % of gpu-hbm3)"].get_linewidth() == 6
        assert lines["cpu-ddr5"].get_linewidth() < 6


def test_a_line_that_would_hide_under_another_is_drawn_as_a_band_and_says_so(tmp_path):
    """gpu-hbm-pim-attn on an LSTM is gpu-hbm3 (its PIM idles): its line sat exactly on
    gpu-hbm3's and the legend listed a line nobody could see. It is drawn as a wide pale band
    under it, labelled with the line it equals."""
    df = sweep(["gpu-hbm3", "gpu-hbm-pim-attn", "cpu-ddr5"], "lstm",
               ["memory.dram.bandwidth=100GB/s..10TB/s:log:3"], engine="analytic", workers=1,
               output=tmp_path / "s.parquet")
    ax = latency_vs_param(df).axes[0]
    lines = {l.get_label(): l for l in _lines(ax)}
    band = lines["gpu-hbm-pim-attn (= gpu-hbm3)"]
    assert band.get_linewidth() == 6 and band.get_alpha() == 0.35
    assert lines["gpu-hbm3"].get_linewidth() < 6 and "cpu-ddr5" in lines  # cpu differs: a line
    np.testing.assert_array_equal(band.get_ydata(), lines["gpu-hbm3"].get_ydata())


def test_the_gantt_strip_gives_every_part_its_share_of_the_width():
    """hbm-pim's LSTM path: 200 PIM ops of ~3 us compute each between ~10 us of overhead; one
    bar per op part, drawn in order, left compute 3.3 % of the strip for its 23.2 % (a tester).
    Binned finer than the pixels, each part's bars add up to its path time, and in a window
    of one op's length both parts show."""
    import pandas as pd

    from cimsim.plot.run_figures import GANTT_BINS, _binned_parts

    # a path of 200 ops, each 3 us of compute then 10 us of overhead, back to back
    n, c, o = 200, 3e-6, 10e-6
    pt = pd.DataFrame({"start_s": np.arange(n) * (c + o), "compute_s": np.full(n, c),
                       "overhead_s": np.full(n, o)})
    span = n * (c + o)
    amounts, edges = _binned_parts(pt, ["compute", "overhead"], span)
    np.testing.assert_allclose(amounts.sum(axis=1), [n * c, n * o], rtol=1e-9)
    assert len(edges) == GANTT_BINS + 1 and np.all(amounts.sum(axis=0) <= np.diff(edges) * (1 + 1e-9))
    per_op = int(GANTT_BINS / n)  # 20 bins: an op's 13 us
    window = amounts[:, :per_op].sum(axis=1)
    np.testing.assert_allclose(window, [c, o], rtol=1e-6)


def test_a_band_names_the_line_it_equals_never_another_bands_label_and_is_listed_once():
    """A tester's gpu-hbm3 / gpu-hbm-pim-attn x processor.cores sweep chained labels ("... (within
    5 % of gpu-hbm-pim-attn, processor.cores = 66 (= gpu-hbm3, processor.cores = 66))"). A
    series banded in one panel and a line in another is listed as both: its band's entry says
    what it covers there (listed once, as its line, the band was unexplained: a tester,
    2026-12-05)."""
    from cimsim.plot.figures import _outside_legend
    from cimsim.plot.overlap import band_of

    assert band_of("a, x = 1 (= b, x = 1)") == "a, x = 1" == band_of("a, x = 1 (within 5 % of b)")
    assert band_of("gpu-hbm3") == "gpu-hbm3"
    import matplotlib.pyplot as plt

    fig, (a1, a2) = plt.subplots(1, 2)
    a1.plot([1, 2], [1, 2], label="s")
    a1.plot([1, 2], [1, 2], label="t (= s)")
    a2.plot([1, 2], [1, 3], label="s")
    a2.plot([1, 2], [2, 2], label="t")  # a line here, a band there: both entries
    _outside_legend(fig, [a1, a2])
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["s", "t (= s)", "t"]
    plt.close(fig)


def test_no_band_label_chains(tmp_path):
    """b is within 5 % of a (a band), c within 5 % of b but not of a: c's band named b's whole
    band label, "(within 5 % of b (within 5 % of a))"."""
    import pandas as pd

    df = sweep(["gpu-hbm3"], "lstm", ["memory.dram.bandwidth=1TB/s..4TB/s:log:3"], engine="analytic",
               workers=1, output=tmp_path / "s.parquet")
    rows = []
    for arch, scale in (("a", 1.0), ("b", 1.04), ("c", 1.08)):
        g = df.copy()
        g["architecture"] = arch
        g["latency_s"] = g["latency_s"] * scale
        rows.append(g)
    three = pd.concat(rows, ignore_index=True)
    three.attrs = df.attrs
    labels = [l.get_label() for l in _lines(latency_vs_param(three).axes[0])]
    assert labels == ["a", "b (within 5 % of a)", "c (within 5 % of b)"], labels


def test_a_roof_equal_to_another_architectures_is_a_band_that_says_so():
    """sram-cim's host roof equals cpu-ddr5's (the same Xeon and DRAM): cpu-ddr5's roof was
    listed in the legend but hidden under sram-cim's (a tester)."""
    archs = [load_architecture(resolve_config(a)) for a in ("cpu-ddr5", "sram-cim")]
    wl = load_workload(resolve_workload("tcn"))
    ax = roofline(op_tables(archs, wl), wl).axes[0]
    roofs = {l.get_label(): l for l in ax.get_lines() if " roof (" in l.get_label()}
    dram = "processor roof (fp32) over dram 215 GB/s"
    band = roofs[f"sram-cim: {dram} (= cpu-ddr5: {dram})"]
    assert band.get_linewidth() == 6 and band.get_alpha() == 0.35
    np.testing.assert_array_equal(band.get_ydata(), roofs[f"cpu-ddr5: {dram}"].get_ydata())


def test_a_third_swept_field_gets_line_styles_when_colour_takes_the_second(tmp_path):
    """x = cores; bandwidth x sustained fraction = 8 combinations, past the 6 line styles, so
    colour shows the bandwidth: the sustained fraction was then drawn nowhere (a tester). Its
    values are line styles now, each with a legend entry."""
    from cimsim.plot.colour import colour_param

    df = sweep(["cpu-ddr5"], "tcn", ["memory.dram.bandwidth=50GB/s..400GB/s:log:4", "processor.cores=8,32",
                                     "memory.sram.sustained_fraction=0.5,1"],
               engine="analytic", workers=1, output=tmp_path / "s.parquet")
    by = colour_param(df, "processor.cores")
    assert by.param == "memory.dram.bandwidth" and by.rest == ("memory.sram.sustained_fraction",)
    assert sorted(by.styles.values()) == sorted(set(by.styles.values())) and len(by.styles) == 2
    fig = latency_vs_param(df, "processor.cores")
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "memory.sram.sustained_fraction = 0.5" in labels and "memory.sram.sustained_fraction = 1" in labels


def test_a_series_banded_under_two_lines_says_each():
    """t banded under s in one panel and under u in another: each band's entry says which line
    it covers (a reviewer had it listed once; a tester found the second band unexplained)."""
    import matplotlib.pyplot as plt

    from cimsim.plot.figures import _outside_legend

    fig, (a1, a2) = plt.subplots(1, 2)
    for ax, under in ((a1, "s"), (a2, "u")):
        ax.plot([1, 2], [1, 2], label=under)
        ax.plot([1, 2], [1, 2], label=f"t (= {under})")
    _outside_legend(fig, [a1, a2])
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["s", "t (= s)", "u", "t (= u)"]
    plt.close(fig)


def test_a_random_sweeps_third_field_is_named_as_not_told_apart(tmp_path):
    """In a random sweep no two points share the other fields' values, so no line joins them
    and a line style shows nothing: the colourbar names the third field instead (a tester)."""
    from cimsim.plot.colour import colour_param

    # two architectures: a value of the others met once in each is still joined by no line
    df = sweep(["cpu-ddr5", "tpu-like"], "tcn", ["memory.dram.bandwidth=50GB/s..400GB/s:log", "processor.cores=8..32:lin",
                                     "memory.sram.sustained_fraction=0.5,1"],
               sample="random", samples=12, seed=1, engine="analytic", workers=1,
               output=tmp_path / "s.parquet")
    by = colour_param(df, "processor.cores")
    assert by.rest and by.styles == {}


def test_the_gantt_title_wraps_a_long_workload_name():
    """`cimsim workload gemv` names like gemv-M1-K4096-N4096-... cut the strip's title start off."""
    from cimsim import simulate
    from cimsim.plot.run_figures import critical_path_gantt
    from cimsim.workload import WorkloadBuilder

    b = WorkloadBuilder("gemv-M1-K4096-N4096-x50-fp32-weight-chain-and-a-long-generated-tail")
    b.tensor("x", (1, 64), "fp32", "input")
    b.tensor("W", (64, 64), "fp32", "weight")
    b.tensor("y", (1, 64), "fp32", "activation")
    b.op("mm", "matmul", ["x", "W"], ["y"], m=1, k=64, n=64, weight="W")
    fig = critical_path_gantt(simulate(load_architecture(resolve_config("cpu-ddr5")), b.build(), keep_ops=True))
    title = fig.axes[0].get_title()
    assert "\n" in title and max(len(line) for line in title.splitlines()) <= 90


def test_a_long_panel_title_wraps_to_its_panel(tmp_path):
    """A serving run's name (its lengths and their hashes) ran over the next panel and the
    legend (a new user, 2026-12-05): a panel's title wraps to the panel's width when saved;
    a short one stays one line."""
    from cimsim.plot import new_figure

    name = "llm-L16-d2048-h16-kv16-B4-R8-continuous-P128..1920~7fdc92-D16..128~83dbaa-fp16"
    fig = new_figure(9, 3)
    axes = fig.subplots(1, 3)
    axes[0].set_title(name)
    axes[1].set_title("lstm")
    fig.savefig(tmp_path / "t.png")
    wrapped = axes[0].get_title()
    assert "\n" in wrapped and wrapped.replace("\n", "") == name
    assert axes[1].get_title() == "lstm"


def test_a_panel_title_that_fits_stays_one_line(tmp_path):
    """A reviewer's case: 'latency: neurosim-vgg8 on rram-cim' at 76 % of its panel's width was
    wrapped by a characters-per-inch estimate; titles are measured as drawn now."""
    from cimsim.plot import new_figure

    fig = new_figure(8, 3)
    axes = fig.subplots(1, 2)
    axes[0].set_title("latency: neurosim-vgg8 on rram-cim", fontsize="medium")
    fig.savefig(tmp_path / "t.png")
    assert axes[0].get_title() == "latency: neurosim-vgg8 on rram-cim"


@pytest.mark.parametrize("title", [
    "energy of the run on sram-cim-derived, all parts: HBM-PIM MMMM WWWW DRAM MAC ADC DAC SRAM",
    "WWWWWWWWWWWWWWWWWWWWWWWWWWWWWWW\nillustrative little lines with lots of ill-fitting letters"])
def test_a_wrapped_title_is_measured_again_until_it_fits(tmp_path, title):
    """Wide letters on a wrapped line (a reviewer's cases, 2026-12-05): every line as drawn
    fits its panel."""
    from matplotlib.text import Text

    from cimsim.plot import new_figure

    fig = new_figure(8, 3)
    axes = fig.subplots(1, 2)
    axes[0].set_title(title, fontsize="medium")
    fig.savefig(tmp_path / "t.png")
    r = fig.canvas.get_renderer()
    for line in axes[0].get_title().split("\n"):
        w = Text(text=line, fontsize=axes[0].title.get_fontsize(), figure=fig).get_window_extent(r).width
        assert w <= axes[0].bbox.width + 0.5, line



def test_energy_shares_has_a_panel_per_workload():
    """The report's shares figure drew every run in one panel, each bar labelled with its
    architecture, workload and total: a serving run's long workload name overprinted the
    neighbouring bars' (a tester, 2026-12-05). One panel per workload, its name the title, a bar
    per architecture labelled with its name and total, each share stack summing to 1."""
    from cimsim import simulate
    from cimsim.plot.run_figures import energy_shares
    from cimsim.workload import generators as g

    long = g.matmul(1, 256, 256, name="a-very-long-serving-run-name-L2-d768-h12-kv12-B2-P32-D8-fp16")
    runs = [simulate(load_architecture(resolve_config(c)), wl)
            for wl in (g.matmul(1, 128, 128), long) for c in ("cpu-ddr5", "sram-cim")]
    fig = energy_shares(runs)
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in axes] == [runs[0].workload, long.name]
    for ax, pair in zip(axes, (runs[:2], runs[2:])):
        labels = [t.get_text() for t in ax.get_xticklabels()]
        assert [lab.split("\n")[0] for lab in labels] == ["cpu-ddr5", "sram-cim"]
        assert all(long.name not in lab for lab in labels)
        tops = np.zeros(2)
        for bar in ax.patches:
            tops[round(bar.get_x() + bar.get_width() / 2)] += bar.get_height()
        assert tops == pytest.approx([1.0, 1.0], rel=1e-12, abs=0)


def test_a_param_with_one_value_is_not_swept_the_batch_figure_is_drawn(tmp_path):
    """`cimsim sweep A B -w b1.npz -w b2.npz --param "memory.dram.capacity=1.4GB"` (a field
    pinned, not swept) then `cimsim plot`: a serving run's panels were drawn against the one
    capacity (two dots, a 1 % difference as the whole height) and no serving-batch figure; now
    the pinned field is named in a note, nothing is drawn against it and the batch figure is."""
    from cimsim.workload import save_workload
    from cimsim.workload.llm import LLMModel, llm_serving

    m = LLMModel(layers=1, hidden=64, heads=4, kv_heads=4, ffn=256, vocab=100, head_dim=16, gated=True)
    files = []
    for b in (1, 2):
        files.append(str(tmp_path / f"b{b}.npz"))
        save_workload(llm_serving(m, prompt=8, decode=3, batch=b), files[-1])
    out = tmp_path / "bc.parquet"
    df = sweep(["gpu-hbm3"], files, ["memory.dram.capacity=1.4GB"], workers=1, output=out)
    assert df["memory.dram.capacity"].nunique() == 1 and sorted(df["llm_batch"]) == [1, 2]
    figs = tmp_path / "figs"
    res = CliRunner().invoke(plot_command, [str(out), "-o", str(figs), "--format", "png", "--no-roofline"])
    assert res.exit_code == 0, res.output
    assert "note: memory.dram.capacity has one value (1.4 GB): not swept, no figure drawn against it" \
        in res.output
    made = sorted(p.name for p in figs.iterdir())
    # the runs' batch is a workload parameter (workload.batch, 2026-12-06): latency, energy,
    # utilization and efficiency against it too; the serving panels are the batch figure's
    assert made == ["bc-efficiency.png", "bc-energy.png", "bc-energy_breakdown.png", "bc-latency.png", "bc-power.png",
                    "bc-serving-batch.png", "bc-utilization.png"]
    # named as the x axis, it is still one value: the same note, nothing drawn against it
    res = CliRunner().invoke(plot_command, [str(out), "-o", str(tmp_path / "f2"), "--format", "png",
                                            "--no-roofline", "--param", "memory.dram.capacity"])
    assert res.exit_code == 0, res.output
    assert not (tmp_path / "f2" / "bc-serving.png").exists()
    assert not (tmp_path / "f2" / "bc-latency.png").exists()


def test_roofline_places_pim_gemvs_at_their_bank_bytes_bound_by_overhead_and_l3_resident_gemvs_on_the_l3_roof():
    """A hierarchical roofline (a tester, find-K 1 and 4): hbm-pim's recurrent GEMVs were placed
    at 2 x MACs / their 20 kB of vector I/O (1,638 op/B) under the host's 2.345 TB/s roof, and
    cpu-ddr5's LLC-resident ones at the right edge, 'intensity unbounded'. Each op now sits at
    the bytes of the level that bounds it. find-Y 1: the PIM GEMVs were labelled as plain ops
    though their 5.5 us fixed latency exceeds their 2.73 us of bank time: they are bound by
    overhead, at 4.07 TOPS under the 12.29 TOPS roof, and the legend says so."""
    from cimsim.workload.generators import lstm

    # hbm-pim: 1280 units (8 per channel x 160 channels) x 9.6 GB/s = 12.288 TB/s of banks;
    # peak 1280 x 16 MAC x 300 MHz = 6.144 TMAC/s. W_hh (4H x H) in FP16: 8192 x 2048 x 2 B
    pim = load_architecture(resolve_config("hbm-pim"))
    wl = lstm(2048, 2048, steps=3)
    ax = roofline(op_tables([pim], wl), wl).axes[0]
    roofs = {l.get_label(): l for l in ax.get_lines()}
    banks = roofs["hbm-pim: pim roof (fp16) over pim_banks 12.29 TB/s"]
    np.testing.assert_allclose(banks.get_ydata(), np.minimum(2 * 6.144e12, 12.288e12 * banks.get_xdata()),
                               rtol=1e-12)
    assert not [c for c in ax.collections if c.get_label() == "hbm-pim: pim ops (fp16)"]
    [pts] = [c for c in ax.collections
             if c.get_label() == "hbm-pim: pim ops bound by overhead (fixed latency) (3, fp16)"]
    assert len(pts.get_offsets()) == 3  # the 3 recurrent GEMVs
    np.testing.assert_allclose(pts.get_offsets()[:, 0], 2 * 8192 * 2048 / (8192 * 2048 * 2), rtol=1e-12)  # 1.0
    # each GEMV (hbm-pim.yaml): 33,554,432 B / 12.288 TB/s = 2.7307 us in the banks, + 5.5 us
    # fixed (5 us op_overhead + 500 ns DRAM latency), + 20,480 B of h in and gates out (fp16)
    # over 3.35 TB/s x 0.7 = 2.345 TB/s: 8.2394 us, so 2 x 16,777,216 / 8.239 us = 4.07 TOPS
    dur = 8192 * 2048 * 2 / 12.288e12 + 5e-6 + 500e-9 + (2048 + 8192) * 2 / (3.35e12 * 0.7)
    np.testing.assert_allclose(pts.get_offsets()[:, 1], 2 * 8192 * 2048 / dur, rtol=1e-9)
    assert 4.07e12 < 2 * 8192 * 2048 / dur < 4.08e12 < 2 * 6.144e12 / 3  # the roof there: 12.29 TOPS

    # cpu-ddr5: the 1 TB/s L3 in front of 307.2 GB/s x 0.7 DRAM; W_hh 4096 x 1024 fp32 (16.8 MB)
    # fits the 37.5 MB L3: steps 1..3 read it, h (1024 x 4 B) and write the gates (4096 x 4 B) there
    cpu = load_architecture(resolve_config("cpu-ddr5"))
    wl = lstm(1024, 1024, steps=4)
    ax = roofline(op_tables([cpu], wl), wl).axes[0]
    roofs = {l.get_label(): l for l in ax.get_lines()}
    l3, dram = roofs["cpu-ddr5: processor roof (fp32) over sram 1 TB/s"], roofs[
        "cpu-ddr5: processor roof (fp32) over dram 215 GB/s"]
    np.testing.assert_allclose(l3.get_ydata(), np.minimum(2.56e12, 1e12 * l3.get_xdata()), rtol=1e-12)
    np.testing.assert_allclose(dram.get_ydata(), np.minimum(2.56e12, 215.04e9 * dram.get_xdata()), rtol=1e-12)
    [pts] = ax.collections  # none at the right edge
    x = np.sort(pts.get_offsets()[:, 0])
    on_l3 = 2 * 4096 * 1024 / (4096 * 1024 * 4 + 1024 * 4 + 4096 * 4)  # 0.4994 op/B
    assert len(x) == 5 and (np.isclose(x, on_l3, rtol=1e-12, atol=0).sum() == 3)


def test_an_architecture_with_a_precision_mismatch_is_named_with_its_mark_and_the_caption_says_why(
        tmp_path, monkeypatch):
    """find-Y 4: `cimsim plot` of an fp16 LLM serving sweep drew 8-bit sram-cim against fp16
    gpu-hbm3 as plain `sram-cim` (the precision_mismatch column unread). Every sweep figure's
    legend now names it `sram-cim (!p)`, in sram-cim's own colour, and the caption says what
    (!p) means; gpu-hbm3, computing in fp16, is unmarked."""
    import cimsim.plot as P
    from cimsim.plot.style import arch_style
    from cimsim.workload import save_workload
    from cimsim.workload.llm import LLMModel, llm_serving

    m = LLMModel(layers=1, hidden=64, heads=4, kv_heads=4, ffn=256, vocab=100, head_dim=16, gated=True)
    files = []
    for b in (1, 2):
        files.append(str(tmp_path / f"b{b}.npz"))
        save_workload(llm_serving(m, prompt=8, decode=3, batch=b, requests=b), files[-1])  # fp16
    out = tmp_path / "pm.parquet"
    df = sweep(["gpu-hbm3", "sram-cim"], files, [], workers=1, output=out, engine="analytic")
    assert df.groupby("architecture")["precision_mismatch"].all().to_dict() == {
        "gpu-hbm3": False, "sram-cim": True}
    saved = {}
    real = P.save_figure
    monkeypatch.setattr(P, "save_figure", lambda fig, path, formats: saved.setdefault(
        str(path).rsplit("-", 1)[-1], fig) and real(fig, path, formats))
    res = CliRunner().invoke(plot_command, [str(out), "-o", str(tmp_path / "f"), "--format", "png",
                                            "--no-roofline"])
    assert res.exit_code == 0, res.output
    assert {"latency", "energy", "batch", "efficiency"} <= set(saved)
    for name, fig in saved.items():
        caption = fig._supxlabel.get_text().replace("\n", " ")
        assert ("(!p): computes at its own fixed precision, not the workload's dtype: rows "
                "compare unlike precisions") in caption, name
    for name in ("latency", "batch"):  # the per-architecture lines
        lines = {l.get_label(): l for ax in saved[name].axes for l in ax.get_lines()}
        assert "sram-cim (!p)" in lines and "gpu-hbm3" in lines and "sram-cim" not in lines, name
        assert lines["sram-cim (!p)"].get_color() == arch_style("sram-cim").color


def test_the_thinned_values_note_is_wrapped_to_its_panel():
    """review of find-H 4's caption: '(4 of the 9 values of technology.voltage: 600 mV, ...)' was
    one line wider than a one-panel figure, clipped at both edges; each line of the x label now
    fits the panel (wrap_caption's width)."""
    import pandas as pd

    from cimsim.plot.figures import energy_breakdown

    parts = ["processor_compute", "cim_array", "cim_adc", "cim_dac", "cim_digital", "sram",
             "dram", "interconnect"]  # a CIM run's parts: the legend takes the figure's right
    rows = [{"workload": "w", "architecture": "sram-cim-derived", "engine": "analytic",
             "energy_j": 8.0 + i, "energy_static_j": 0.0, "latency_s": 1.0,
             **{f"energy_{p}_j": 1.0 + i / 8 for p in parts},
             "technology.voltage": 0.6 + 0.05 * i} for i in range(9)]
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = energy_breakdown(pd.DataFrame(rows), most=4)
    ax = fig.axes[0]
    assert "of the 9 values of technology.voltage" in ax.get_xlabel().replace("\n", " ")
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    box = ax.xaxis.label.get_window_extent(canvas.get_renderer())
    assert 0 <= box.x0 and box.x1 <= fig.bbox.width  # inside the figure: nothing clipped
