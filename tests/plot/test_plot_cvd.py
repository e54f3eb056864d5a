"""Figures tell parts apart for readers with colour-vision deficiency (find-A 1, 2, 7)."""

from __future__ import annotations

import itertools

import pytest

from pathlib import Path

from cimsim.plot.style import (MIN_CVD_DELTA_E, MIN_DELTA_E, TEXT_COLOR, _key, bar_style, delta_e,
                               part_colors, part_hatches, part_markers, result_parts, simulate_cvd)

CONFIGS = sorted(p.stem for p in (Path(__file__).parents[2] / "configs").glob("*.yaml"))
README_REPORT = ("cpu-ddr5", "sram-cim", "hbm-pim")  # the README's `cimsim report`


@pytest.fixture(scope="module")
def bundled_runs():
    """Every configs/ design on gru (the workload whose runs draw the most parts: 32), analytic."""
    from cimsim import bundled
    from cimsim.config import load_architecture
    from cimsim.pipeline import simulate
    from cimsim.workload import load_workload

    wl = load_workload(bundled.resolve_workload("gru"))
    return [simulate(load_architecture(bundled.resolve_config(a)), wl, engine="analytic")
            for a in CONFIGS]


def _figures(results):
    """The groups of parts one figure draws together: the energy breakdown (every run's parts
    in one legend), the utilization panels (one legend), each run's critical-path strip."""
    yield "energy", [p for r in results for p, v in r.energy_breakdown_j.items() if v > 0]
    yield "utilization", [p for r in results for p in r.utilization]
    for r in results:
        yield f"path {r.architecture}", list(r.path_time_s)


def test_machado_matrices_map_white_to_white_and_lose_the_red_green_axis():
    """Each severity-1.0 matrix's rows sum to 1 (white stays white); a protanope or deuteranope
    sees no red-green axis: pure red (a* = +80) and green (a* = -86) come out with |a*| under 10,
    a yellow and a darker yellow (b* > 40)."""
    from cimsim.plot.style import lab

    for kind in ("protan", "deutan", "tritan"):
        assert simulate_cvd("#ffffff", kind) == "#ffffff"
    assert lab("#ff0000")[1] > 79 and lab("#00ff00")[1] < -85
    for kind in ("protan", "deutan"):
        for c in ("#ff0000", "#00ff00"):
            _, a, b = lab(simulate_cvd(c, kind))
            assert abs(a) < 10 and b > 40, (kind, c, a, b)


@pytest.mark.parametrize("which", ["all configs", "README report"])
def test_parts_drawn_together_stay_apart_under_simulated_cvd(bundled_runs, which):
    """dram #1f77b4 and interconnect #9467bd were 5.3 dE apart for a protanope, 7.8 for a
    deuteranope; cim_array and cim_adc 4.8 (protan); then, on configs/ the tester had not run,
    tpu-like's weights #17becf and pcie #c5b0d5 3.3 (protan), processor_compute #ff9896 and
    tpu_buffer #c49c94 3.9, cim_array and cim_mux 6.0 (deutan) (review19-E 1). Every figure of
    a report of every configs/ design (and of the README's report), coloured and hatched as
    `build_report` does (universe = every part of the report)."""
    runs = [r for r in bundled_runs if which == "all configs" or r.architecture in README_REPORT]
    universe = result_parts(runs)
    for fig, group in _figures(runs):
        group = list(dict.fromkeys(group))
        keys = {_key(n) for n in group}
        colors, hatches = part_colors(group, universe), part_hatches(group, universe)
        for a, b in itertools.combinations(group, 2):
            if _key(a) == _key(b):
                continue
            assert delta_e(colors[a], colors[b]) >= MIN_DELTA_E, (fig, a, b)
            for kind in ("protan", "deutan", "tritan"):
                d = delta_e(simulate_cvd(colors[a], kind), simulate_cvd(colors[b], kind))
                assert d >= MIN_CVD_DELTA_E, (fig, kind, a, colors[a], b, colors[b], round(d, 1))
        # never by colour alone: each part its own hatch and marker (cim_arrays and pim_mac
        # shared `...`, processor_compute and cim_adc both had none: review19-E 1)
        assert len({hatches[n] for n in group}) == len(keys), fig
        if fig == "utilization":  # `cimsim plot`'s utilization lines are marked too
            assert len(set(part_markers(group).values())) == len(keys), fig


def test_no_two_parts_share_a_hatch_however_many_a_figure_draws():
    """Hatches were picked by rank modulo 12, so a 13-part figure repeated one and "" (none)
    went to every 12th part (review19-E 1); and a part's hatch changed with the figure it was
    in (processor_compute `|||`, `---` and `\\\\\\` in three figures: review19-E 7.2)."""
    made_up = [f"my_part_{i}" for i in range(70)]
    group = ["processor_compute", "cim_adc", "sram", "compute", *made_up]
    hatches = part_hatches(group, universe=group)
    assert len(set(hatches.values())) == len(group)
    assert list(hatches.values()).count("") == 1  # only compute is unhatched
    # a fixed part's hatch does not depend on the figure or report around it
    assert part_hatches(["processor_compute"]) == {"processor_compute": hatches["processor_compute"]}
    assert part_hatches(["processor_compute", "cim_adc"], universe=["zz", "aa"])["processor_compute"] \
        == hatches["processor_compute"]


def _swatch_colour(**bar) -> str:
    """The mean colour of a part's legend-sized swatch (0.3 x 0.15 in at 330 dpi) as drawn."""
    import io

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.colors import to_hex

    fig = plt.figure(figsize=(0.3, 0.15), dpi=110)
    ax = fig.add_axes([0, 0, 1, 1])
    ax.set_axis_off()
    ax.bar([0], [1], width=1, **bar)
    ax.set_xlim(-0.5, 0.5)
    ax.set_ylim(0, 1)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=330)
    plt.close(fig)
    im = plt.imread(io.BytesIO(buf.getvalue()))[..., :3]
    h, w = im.shape[:2]  # inside the outline (the same near-black edge on every part)
    return to_hex(im[h // 6:-h // 6, w // 6:-w // 6].reshape(-1, 3).mean(0))


def test_hatched_swatches_keep_the_colours_the_cvd_check_measured(bundled_runs):
    """White `***` on interconnect #882255 came out #c796ae, 43 dE from its fill, and
    interconnect/overhead 5.9 dE apart as drawn (review19-E 3): the swatches, rasterised, stay
    within 6 dE of their fills inside the outline and MIN_CVD_DELTA_E apart under each simulation."""
    universe = result_parts(bundled_runs)
    for fig, group in list(_figures(bundled_runs))[:2]:  # energy, utilization: the hatched ones
        group = list(dict.fromkeys(_key(n) for n in group))
        colors, hatches = part_colors(group, universe), part_hatches(group, universe)
        seen = {n: _swatch_colour(**bar_style(colors[n], hatches[n])) for n in group}
        for n in group:
            assert delta_e(seen[n], colors[n]) < 6.0, (n, colors[n], hatches[n], seen[n])
        for a, b in itertools.combinations(group, 2):
            for kind in ("protan", "deutan", "tritan"):
                d = delta_e(simulate_cvd(seen[a], kind), simulate_cvd(seen[b], kind))
                assert d >= MIN_CVD_DELTA_E, (fig, kind, a, seen[a], b, seen[b], round(d, 1))


def _contrast(c1, c2) -> float:
    """WCAG 2 contrast ratio: (L1 + 0.05) / (L2 + 0.05) of relative luminances."""
    from matplotlib.colors import to_rgb

    def lum(c):
        r, g, b = (x / 12.92 if x <= 0.04045 else ((x + 0.055) / 1.055) ** 2.4 for x in to_rgb(c))
        return 0.2126 * r + 0.7152 * g + 0.0722 * b
    hi, lo = sorted((lum(c1), lum(c2)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_figure_text_is_dark_and_readable_in_the_report_figures():
    """Tick labels carrying each run's total energy were in the architecture's colour at
    x-small (sram-cim #ff7f0e: 2.53:1; WCAG AA asks 4.5:1)."""
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib.font_manager import FontProperties

    from cimsim.config import load_architecture
    from cimsim import bundled
    from cimsim.pipeline import simulate
    from cimsim.plot.run_figures import energy_shares, utilization_bars
    from cimsim.workload import load_workload

    assert _contrast(TEXT_COLOR, "#ffffff") >= 4.5
    wl = load_workload(bundled.resolve_workload("lstm"))
    results = [simulate(load_architecture(bundled.resolve_config(a)), wl, engine="analytic")
               for a in ("sram-cim", "cpu-ddr5")]
    for fig in (energy_shares(results), utilization_bars(results)):
        for ax in fig.axes:
            for t in [*ax.get_xticklabels(), *ax.get_yticklabels(), *ax.texts, ax.title]:
                if t.get_text():
                    assert _contrast(t.get_color(), "#ffffff") >= 4.5, t.get_text()
                    assert FontProperties(size=t.get_fontsize()).get_size_in_points() >= 8.3 - 1e-9 \
                        or not any(ch.isdigit() for ch in t.get_text()), t.get_text()


def test_energy_shares_stack_in_the_breakdowns_order():
    """The shares figure stacked processor_compute, sram, dram, static, ... while the breakdown
    above it on the page stacked processor_compute, pim_compute, ... (find-A 7)."""
    import matplotlib
    matplotlib.use("Agg")

    from cimsim import bundled
    from cimsim.config import load_architecture
    from cimsim.pipeline import simulate
    from cimsim.plot.run_figures import energy_shares
    from cimsim.workload import load_workload

    wl = load_workload(bundled.resolve_workload("lstm"))
    results = [simulate(load_architecture(bundled.resolve_config(a)), wl, engine="analytic")
               for a in ("cpu-ddr5", "hbm-pim")]
    order = ["pim_compute", "processor_compute", "dram", "sram", "static", "interconnect"]
    fig = energy_shares(results, order=order)
    labels = list(dict.fromkeys(lab for lab in fig.axes[0].get_legend_handles_labels()[1]))
    labels = labels or [c.get_label() for c in fig.axes[0].containers]
    drawn = [lab for lab in order if lab in labels]
    assert labels[:len(drawn)] == drawn


def test_bars_have_a_dark_outline_and_the_gantt_strip_saves_fast(bundled_runs):
    """pim_busy's yellow #f0e442 bar had no outline: 1.3:1 on white, WCAG 1.4.11 asks 3:1
    (review19-E 6); hatching the critical-path strip's hundreds of segments made it 3.2 s to
    save instead of 0.27 s, and `cimsim report` twice as slow (review19-E 2)."""
    import io
    import time

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from cimsim.plot.run_figures import critical_path_gantt, utilization_bars

    runs = [r for r in bundled_runs if r.architecture in README_REPORT]
    fig = utilization_bars(runs)
    bars = [p for ax in fig.axes for c in ax.containers for p in c]
    assert bars
    for p in bars:
        assert p.get_linewidth() > 0 and _contrast(p.get_edgecolor(), "#ffffff") >= 3.0
    plt.close(fig)
    fig = critical_path_gantt(next(r for r in runs if r.architecture == "sram-cim"))
    t = time.process_time()
    fig.savefig(io.BytesIO(), format="png")
    assert time.process_time() - t < 1.0
    plt.close(fig)
