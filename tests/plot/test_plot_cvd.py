"""Figures tell parts apart for readers with colour-vision deficiency (find-A 1, 2, 7)."""

from __future__ import annotations

import itertools

import pytest

from cimsim.plot.style import (MIN_CVD_DELTA_E, MIN_DELTA_E, TEXT_COLOR, delta_e, part_colors,
                               part_hatches, part_markers, simulate_cvd)

# the parts the bundled designs draw together (find-A 1's lists: one report of cpu-ddr5,
# sram-cim and hbm-pim on lstm and hier-attn, plus the other bundled CIM parts)
ENERGY = ["processor_compute", "pim_compute", "cim_array", "cim_adc", "cim_dac", "cim_digital",
          "cim_write", "sram", "dram", "interconnect", "static"]
UTIL = ["processor_mac", "processor_busy", "pim_mac", "pim_banks", "pim_busy", "cim_arrays",
        "sram_bw", "dram_bw", "interconnect_bw"]
PATH = ["sram", "dram", "interconnect", "compute", "overhead", "pim_banks", "cim_buffer"]


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


@pytest.mark.parametrize("group", [ENERGY, UTIL, PATH], ids=["energy", "utilization", "path"])
def test_parts_drawn_together_stay_apart_under_simulated_cvd(group):
    """dram #1f77b4 and interconnect #9467bd were 5.3 dE apart for a protanope, 7.8 for a
    deuteranope; cim_array and cim_adc 4.8 (protan)."""
    colors = part_colors(group, universe=ENERGY + UTIL + PATH)
    for a, b in itertools.combinations(group, 2):
        assert delta_e(colors[a], colors[b]) >= MIN_DELTA_E, (a, b)
        for kind in ("protan", "deutan", "tritan"):
            d = delta_e(simulate_cvd(colors[a], kind), simulate_cvd(colors[b], kind))
            assert d >= MIN_CVD_DELTA_E, (kind, a, colors[a], b, colors[b], round(d, 1))
    # and never by colour alone: a hatch and a marker each (up to their cycles' lengths)
    assert len(set(part_hatches(group).values())) == len({n.removesuffix("_bw") for n in group})
    assert len(set(part_markers(group).values())) == len({n.removesuffix("_bw") for n in group})


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
