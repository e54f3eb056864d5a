"""Every bundled architecture has its own colour, none a shade of another's: a new user's three
bundled configs (cpu-ddr5, sram-cim-derived, gpu-hbm-pim-attn) were drawn in three blues, two of
them the same #3182bd."""

from __future__ import annotations

import itertools

import pytest
import yaml

from cimsim.bundled import VALIDATION_DIR, config_paths
from cimsim.plot.style import ARCH_STYLES, EXTRA_COLORS, MIN_DELTA_E, arch_style, delta_e, lab


def _bundled_names() -> list[str]:
    paths = config_paths() + sorted(VALIDATION_DIR.glob("*.yaml"))
    return [yaml.safe_load(p.read_text())["name"] for p in paths]


def test_lab_of_reference_colours():
    """White is L* 100 and black 0 (Y = 1 and 0); a grey has a* = b* = 0 (its XYZ is the white
    point's scaled); sRGB red is (53.24, 80.09, 67.20) (Lindbloom's converter, D65)."""
    assert lab("white") == pytest.approx((100.0, 0.0, 0.0), abs=1e-3)
    assert lab("black") == pytest.approx((0.0, 0.0, 0.0), abs=1e-9)
    assert lab("#808080")[1:] == pytest.approx((0.0, 0.0), abs=1e-3)
    assert lab("#ff0000") == pytest.approx((53.24, 80.09, 67.20), abs=0.01)
    assert delta_e("white", "black") == pytest.approx(100.0, abs=1e-3)


def test_every_bundled_config_has_a_fixed_style():
    names = _bundled_names()
    assert len(names) >= 21 and "gpu-hbm-pim-attn" in names and "isaac-ce" in names
    missing = [n for n in names if n not in ARCH_STYLES]
    assert not missing, missing


def test_bundled_configs_colours_are_pairwise_far_apart():
    """What the figures draw (arch_style) for every pair of bundled configs."""
    close = [(a, b, round(delta_e(arch_style(a).color, arch_style(b).color), 1))
             for a, b in itertools.combinations(_bundled_names(), 2)
             if delta_e(arch_style(a).color, arch_style(b).color) < MIN_DELTA_E]
    assert not close, close
    # the bundled configs/ ones (drawn together most) differ in marker too
    configs = [yaml.safe_load(p.read_text())["name"] for p in config_paths()]
    assert len({arch_style(n).marker for n in configs}) == len(configs)


def test_extra_colours_are_far_from_every_fixed_one_and_each_other():
    fixed = [s.color for s in ARCH_STYLES.values()]
    close = [(e, f, round(delta_e(e, f), 1)) for e in EXTRA_COLORS for f in fixed
             if delta_e(e, f) < MIN_DELTA_E]
    close += [(e, f, round(delta_e(e, f), 1)) for e, f in itertools.combinations(EXTRA_COLORS, 2)
              if delta_e(e, f) < MIN_DELTA_E]
    assert not close, close


def test_the_six_original_colours_are_kept():
    """docs/ figures were drawn with them."""
    assert {n: ARCH_STYLES[n].color for n in ("cpu-ddr5", "gpu-hbm3", "hbm-pim", "rram-cim",
                                               "sram-cim", "tpu-like")} == {
        "cpu-ddr5": "#1f77b4", "gpu-hbm3": "#2ca02c", "hbm-pim": "#9467bd", "rram-cim": "#d62728",
        "sram-cim": "#ff7f0e", "tpu-like": "#8c564b"}


def test_every_bundled_energy_part_has_its_own_colour():
    """A CIM chip's cim_buffer and cim_periphery took one hashed grey (#636363) each, two
    identical swatches in the energy breakdown (a tester). Every energy part a bundled
    component reports has a fixed colour, at least 12 CIEDE2000 units from every other."""
    from cimsim.plot.style import PART_COLORS

    parts = ["processor_compute", "sram", "dram", "interconnect", "static", "cim_array", "cim_adc",
             "cim_dac", "cim_digital", "cim_write", "cim_buffer", "cim_interconnect", "cim_periphery",
             "cim_layout", "cim_chip", "cim_switch", "cim_mux", "cim_counter", "pim_compute",
             "tpu_mac", "tpu_buffer", "weights", "pcie"]
    assert all(p in PART_COLORS for p in parts)
    close = [(a, b) for a, b in itertools.combinations(parts, 2)
             if delta_e(PART_COLORS[a], PART_COLORS[b]) < 12]
    assert close == []


def test_parts_drawn_together_are_told_apart():
    """A level `ddr5` hashes to a blue 4.6 apart (CIE76) from the DRAM's fixed blue (a config
    author's `ddr_pim_bw` did before a `_bw` utilization took its level's colour): drawn
    together they looked alike. In one figure every part outside the fixed list moves to an
    extra colour at least MIN_DELTA_E from those taken; fixed parts keep theirs."""
    from cimsim.plot.style import EXTRA_PART_COLORS, part_color, part_colors

    assert delta_e(part_color("ddr5_bw"), part_color("dram_bw")) < MIN_DELTA_E  # the case
    got = part_colors(["dram_bw", "ddr5_bw", "pim_mac", "processor_mac"])
    assert got["dram_bw"] == part_color("dram") and got["pim_mac"] == part_color("pim_mac")
    assert delta_e(got["ddr5_bw"], got["dram_bw"]) >= MIN_DELTA_E
    # a utilization `<level>_bw` takes its level's colour, fixed or not
    assert part_color("ddr5_bw") == part_color("ddr5") and part_color("dram_bw") == part_color("dram")
    # many made-up parts: each new one stays distinct while free colours remain
    names = ["dram", "compute"] + [f"level{i}" for i in range(6)]
    got = part_colors(names)
    assert all(delta_e(got[a], got[b]) >= MIN_DELTA_E for a, b in itertools.combinations(names, 2))
    # the same names give the same colours (no state between figures)
    assert part_colors(names) == got
    # a part alone keeps its hashed colour: figures agree unless two parts would clash
    assert part_colors(["ddr5_bw"]) == {"ddr5_bw": part_color("ddr5_bw")}
    assert part_color("ddr5_bw") in EXTRA_PART_COLORS
    # within a report, one palette of all its parts: a part keeps its colour in every figure
    universe = ["dram", "ddr5", "compute"]
    assert part_colors(["ddr5"], universe)["ddr5"] == part_colors(["ddr5_bw", "compute"], universe)["ddr5_bw"]


def test_parts_take_the_same_colours_in_any_order():
    """A reviewer: with six names reversed two parts changed colour; names are taken in order."""
    from cimsim.plot.style import part_colors

    names = ["dram_bw", "ddr_pim_bw", "level1", "level2", "cim_foo", "zz"]
    assert part_colors(names) == part_colors(list(reversed(names)))


def test_bars_draw_on_a_matplotlib_without_hatch_colour_or_width(monkeypatch):
    """``hatchcolor`` came with matplotlib 3.11 and ``hatch_linewidth`` with 3.10 (pyproject
    allows 3.8): where a Patch has neither setter, a part's bar leaves both out and still draws
    (final-read19-2 #1; before, ``ax.bar`` raised "unexpected keyword argument 'hatchcolor'")."""
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    from cimsim.plot.style import bar_style

    full = bar_style("#ff0000", "//")
    with monkeypatch.context() as m:  # (matplotlib itself calls them: only bar_style is asked)
        for name in ("set_hatchcolor", "set_hatch_linewidth"):
            if hasattr(Patch, name):
                m.delattr(Patch, name)
        old = bar_style("#ff0000", "//")
    assert "hatchcolor" not in old and "hatch_linewidth" not in old
    assert old == {k: v for k, v in full.items() if k not in ("hatchcolor", "hatch_linewidth")}
    ax = Figure().add_subplot()
    (bar,) = ax.bar([0], [1.0], **old)  # what an older matplotlib is given, drawn here
    assert bar.get_hatch() == "//" and bar.get_linewidth() == 0.5
