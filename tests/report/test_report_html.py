"""`cimsim report`: the figures plot the results' values (read back from the artists), the page
has every figure and a unit on every number, and it loads in a real headless browser."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from cimsim import simulate
from cimsim.bundled import resolve_config, resolve_workload
from cimsim.cli import main
from cimsim.config import load_architecture
from cimsim.plot.run_figures import (
    arch_roofline,
    critical_path_gantt,
    critical_path_vs_length,
    utilization_bars,
)
from cimsim.report.format import pct
from cimsim.report.html import build_report, render_html
from cimsim.studies import critical_path_table, report_runs
from cimsim.workload import load_workload
from cimsim.workload.generators import hier_attn, lstm

LENGTHS = (4, 16, 64)


@pytest.fixture(scope="module")
def archs():
    return {n: load_architecture(resolve_config(n)) for n in ("cpu-ddr5", "sram-cim", "hbm-pim")}


@pytest.fixture(scope="module")
def gru():
    return load_workload(resolve_workload("gru"))


@pytest.fixture(scope="module")
def runs(archs, gru):
    return {n: simulate(a, gru) for n, a in archs.items()}


# ------------------------------------------------------------------ roofline
def test_roofline_cpu_plateau_is_the_processors_closed_form_peak(archs, gru, runs):
    # cpu-ddr5.yaml: 16 cores x 2.5 GHz x 32 fp32 MAC/cycle = 1.28e12 MAC/s = 2.56e12 FLOP/s
    fig = arch_roofline(archs["cpu-ddr5"], runs["cpu-ddr5"], gru)
    [ax] = fig.axes
    [roof] = [l for l in ax.get_lines() if l.get_label().startswith("roof:")]
    assert set(roof.get_ydata()) == {2 * 16 * 2.5e9 * 32}
    # one diagonal per level the processor reads (a hierarchical roofline): the 1 TB/s L3 and
    # 307.2 GB/s x 0.7 DRAM, each op placed at its bytes on the level whose bytes / bandwidth
    # is the largest for it (found here by hand)
    arch, ops = archs["cpu-ddr5"], runs["cpu-ddr5"].op_table
    ops = ops[ops["macs"] > 0]
    bw = {"sram": 1e12, "dram": 307.2e9 * 0.7}
    for lv, label in (("sram", "roof over sram: 1 TB/s"), ("dram", "roof over dram: 215 GB/s")):
        [diag] = [l for l in ax.get_lines() if l.get_label() == label]
        np.testing.assert_allclose(diag.get_ydata(), np.minimum(2 * 16 * 2.5e9 * 32, bw[lv] * diag.get_xdata()),
                                   rtol=1e-12)
    level = np.where(ops["sram_bytes"] / bw["sram"] > ops["dram_bytes"] / bw["dram"], "sram", "dram")
    level_s = np.maximum(ops["sram_bytes"] / bw["sram"], ops["dram_bytes"] / bw["dram"])
    # bound by the level only where its time is the op's largest part (find-C 1): the input
    # projection, 100 steps x 3072 x 1024 MACs (246 us at 1.28 TMAC/s) at 48 op/B, is bound by
    # compute, placed at its DRAM bytes (60 us at 215 GB/s)
    bound = np.where(ops["compute_s"] >= level_s, "compute", level)
    assert (bound == "compute").sum() == 1
    assert "[op/B]" in ax.get_xlabel() and "level that bounds the op" in ax.get_xlabel()
    for pts in ax.collections:
        lv = pts.get_label().split(" bound by ")[1].split(" ")[0]
        mine, at = ops[bound == lv], level[bound == lv]
        want = 2 * mine["macs"] / np.where(at == "sram", mine["sram_bytes"], mine["dram_bytes"])
        np.testing.assert_allclose(pts.get_offsets()[:, 0], want, rtol=1e-12)
    assert sum(len(p.get_offsets()) for p in ax.collections) == len(ops)
    assert ax.get_ylabel() == "performance [op/s] (fp32)" and ax.get_title() and ax.get_legend()


def test_roofline_places_each_components_ops_under_its_own_roof(archs, gru, runs):
    for name in ("sram-cim", "hbm-pim"):
        arch, r = archs[name], runs[name]
        fig = arch_roofline(arch, r, gru)
        ops = r.op_table[r.op_table["macs"] > 0]
        units = [u for u in dict.fromkeys(ops["unit"])]
        assert len(fig.axes) == len(units)
        for ax in fig.axes:
            unit = ax.get_title().split(": ")[1].split(" reading ")[0]
            comp = arch.component(unit)
            [roof] = [l for l in ax.get_lines() if l.get_label().startswith("roof:")]
            assert roof.get_ydata().max() == pytest.approx(2 * comp.peak_macs_per_s("fp32"), rel=1e-12, abs=0)
            got = np.concatenate([pts.get_offsets()[:, 1] for pts in ax.collections])
            mine = ops[ops["unit"] == unit]
            np.testing.assert_allclose(np.sort(got),
                                       np.sort(2 * mine["macs"].to_numpy(float) / mine["duration_s"].to_numpy(float)),
                                       rtol=1e-12)
    # the CIM roof is not the host's (the old roofline drew the processor's for every arch)
    cim_fig = arch_roofline(archs["sram-cim"], runs["sram-cim"], gru)
    tops = {ax.get_title(): max(l.get_ydata().max() for l in ax.get_lines()) for ax in cim_fig.axes}
    cpu_top = 2 * 16 * 2.5e9 * 32
    assert any(abs(v - cpu_top) > 1e-6 * cpu_top for v in tops.values())


def test_run_roofline_puts_the_pim_at_one_op_per_byte_on_its_banks_bound_by_overhead():
    """find-K 1: the panel read 'pim fed by dram', its roof the host's 2.345 TB/s, and the PIM's
    GEMVs sat at 2 x MACs / 20 kB of vector I/O (1,638 op/B), in the compute-bound region.
    hbm-pim's banks: 1280 units x 9.6 GB/s = 12.288 TB/s; W_hh (8192 x 2048) in FP16, 33.55 MB,
    16.78 M MACs: 1.0 op/B, the ridge of 2 x 6.144 TMAC/s over 12.288 TB/s. find-Y 1: they were
    labelled 'bound by pim_banks' at a third of that roof; their 5.5 us fixed latency exceeds
    their 2.73 us in the banks, so they are bound by overhead (the run's bound says so)."""
    arch = load_architecture(resolve_config("hbm-pim"))
    wl = lstm(2048, 2048, steps=4)
    fig = arch_roofline(arch, simulate(arch, wl), wl)
    [ax] = [a for a in fig.axes if a.get_title().startswith("hbm-pim: pim reading ")]
    assert "pim_banks" in ax.get_title()
    [diag] = [l for l in ax.get_lines() if l.get_label() == "roof over pim_banks: 12.29 TB/s"]
    np.testing.assert_allclose(diag.get_ydata(), np.minimum(2 * 6.144e12, 12.288e12 * diag.get_xdata()), rtol=1e-12)
    assert not [c for c in ax.collections if c.get_label().startswith("pim ops bound by pim_banks")]
    [pts] = [c for c in ax.collections
             if c.get_label() == "pim ops bound by overhead (fixed latency), at their pim_banks bytes (4)"]
    np.testing.assert_allclose(pts.get_offsets()[:, 0], 2 * 8192 * 2048 / (8192 * 2048 * 2), rtol=1e-12)
    # 33.55 MB / 12.288 TB/s = 2.73 us of banks + 5 us op_overhead + 500 ns DRAM latency + 20,480 B
    # of vector I/O over 2.345 TB/s = 8.239 us: 2 x 16,777,216 / 8.239 us = 4.07 TOPS, under 12.29
    dur = 8192 * 2048 * 2 / 12.288e12 + 5e-6 + 500e-9 + (2048 + 8192) * 2 / (3.35e12 * 0.7)
    np.testing.assert_allclose(pts.get_offsets()[:, 1], 2 * 8192 * 2048 / dur, rtol=1e-9)
    assert len(pts.get_facecolors()) == 0  # hollow: not on the roof
    assert ax.texts and any(t.get_text() == "pim_banks 12.29 TB/s" for t in ax.texts)


# ------------------------------------------------------------------ critical path
def test_path_table_splits_each_op_and_sums_to_path_time(runs):
    for r in runs.values():
        pt = r.path_table
        assert len(pt) == r.critical_path_ops or r.engine == "des"
        parts = [f"{p}_s" for p in r.path_time_s]
        np.testing.assert_allclose(pt[parts].sum(axis=1), pt["end_s"] - pt["start_s"], rtol=1e-9,
                                   atol=1e-18)
        for p, v in r.path_time_s.items():
            assert pt[f"{p}_s"].sum() == pytest.approx(v, rel=1e-9, abs=1e-18)


def test_gantt_bars_are_the_path_parts(runs):
    for r in runs.values():
        ax = critical_path_gantt(r).axes[0]
        widths = {}
        for coll in ax.collections:
            part = coll.get_label().split(":")[0]
            paths = coll.get_paths()
            w = [p.vertices[:, 0].max() - p.vertices[:, 0].min() for p in paths]
            x0 = [p.vertices[:, 0].min() for p in paths]
            assert min(x0) >= 0 and max(np.add(x0, w)) <= r.latency_s * (1 + 1e-9)
            widths[part] = sum(w)
        for part, v in r.path_time_s.items():
            assert widths.get(part, 0.0) == pytest.approx(v, rel=1e-6, abs=1e-15)
        assert r.bound in ax.get_title() and r.bound_part in ax.get_title()
        assert ax.get_legend()


def test_gantt_time_axis_label_has_the_ticks_unit(runs):
    """find-C 9: the strip's axis said "time [s]" under ticks "10 ms, 20 ms". The label now
    carries the prefix of the run's span and the ticks are plain numbers in it."""
    from cimsim.units import SI_PREFIXES

    for r in runs.values():
        ax = critical_path_gantt(r).axes[0]
        ax.figure.canvas.draw()
        span = ax.get_xlim()[1]
        scale, prefix = next((s, p) for s, p in SI_PREFIXES if span / s >= 1)
        assert ax.get_xlabel() == f"time [{prefix}s]"
        ticks = [t for t in ax.get_xticklabels() if t.get_text()]
        assert ticks and all(not any(c.isalpha() for c in t.get_text()) for t in ticks)
        for t in ticks:  # each tick its position in the label's unit
            assert float(t.get_text().replace(",", "")) == pytest.approx(t.get_position()[0] / scale, abs=1e-6)


# ------------------------------------------------------------------ utilization, energy
def test_utilization_bars_are_the_results_values(runs):
    rs = list(runs.values())
    fig = utilization_bars(rs)
    for ax, r in zip(fig.axes, rs):
        bars = [p for c in ax.containers for p in c.patches]
        got = {ax.get_yticklabels()[round(p.get_y() + p.get_height() / 2)].get_text(): p.get_width()
               for p in bars}
        assert got == pytest.approx(r.utilization, rel=1e-12, abs=0)
        assert "fraction of peak" in ax.get_xlabel()
        # find-C 8: each bar's value at its end, as the report's table prints it: a unit used
        # 0.2 % drew no visible bar, the same as one never used
        values = {round(t.get_position()[1]): t.get_text().strip() for t in ax.texts}
        names = [t.get_text() for t in ax.get_yticklabels()]
        assert {names[i]: v for i, v in values.items()} == {n: pct(u) for n, u in r.utilization.items()}
        for t in ax.texts:
            assert t.get_position()[0] == pytest.approx(r.utilization[names[round(t.get_position()[1])]], abs=0)
    assert fig.legends  # outside the panels


def test_utilization_bars_of_many_runs_wrap_into_rows_of_three(runs):
    """Nine runs made one 12:1 strip of nine panels (a notebook's figure nobody could read):
    at most three panels a row, so the figure stays near its panels' own shape."""
    rs = (list(runs.values()) * 9)[:7]
    fig = utilization_bars(rs)
    assert len(fig.axes) == 7
    rows = sorted({round(ax.get_position().y0, 3) for ax in fig.axes})
    assert len(rows) == 3  # 3 + 3 + 1
    w, h = fig.get_size_inches()
    assert w / h < 4, (w, h)


def test_report_energy_bars_stack_to_each_runs_energy(archs, gru):
    rep = build_report(report_runs([archs["cpu-ddr5"], archs["sram-cim"]], [gru], seq_lengths=(4, 16)))
    energies = [r.energy_j for _, _, r in rep.results]
    assert max(energies) / min(energies) > 10  # so the bars are split: totals on a log axis, shares
    top, ax = rep.figures["energy-breakdown"][1].axes
    np.testing.assert_allclose([p.get_height() for p in top.containers[0].patches], energies, rtol=1e-12)
    assert top.get_ylabel() == "energy [J] (log)" and top.get_yscale() == "log"
    for c in ax.containers:
        part = c.get_label()
        np.testing.assert_allclose([p.get_height() for p in c.patches],
                                   [r.energy_breakdown_j.get(part, 0.0) / r.energy_j for _, _, r in rep.results],
                                   rtol=1e-9)
    fig = rep.figures["energy-shares"][1]  # a panel per workload, a bar per architecture
    panels = {ax.get_title(): ax for ax in fig.axes if ax.get_visible()}
    for wl, ax in panels.items():
        runs = [r for _, _, r in rep.results if r.workload == wl]
        for c in ax.containers:
            part = c.get_label()
            np.testing.assert_allclose([p.get_height() for p in c.patches],
                                       [r.energy_breakdown_j.get(part, 0.0) / r.energy_j for r in runs],
                                       rtol=1e-9)  # the plotted shares are summed in another order
    assert sorted(panels) == sorted({r.workload for _, _, r in rep.results})
    assert "[fraction]" in fig.axes[0].get_ylabel() and fig.legends


# ------------------------------------------------------------------ critical path vs length
def test_critical_path_vs_length_title_fits_in_the_figure(archs):
    """The title is drawn whole: no part of it left of or right of the figure (its one-line
    form started off the left edge, 'al path vs sequence length')."""
    table = critical_path_table([archs["sram-cim"], archs["cpu-ddr5"]], (4, 16), width=32, window=4)
    fig = critical_path_vs_length(table, 4)
    fig.canvas.draw()
    title = fig.axes[0].title
    box = title.get_window_extent(fig.canvas.get_renderer())
    assert title.get_text().startswith("critical path vs sequence length")
    assert 0 <= box.x0 and box.x1 <= fig.bbox.x1, (box, fig.bbox)


def test_critical_path_vs_length_title_fits_beside_a_wide_legend_and_hidden_lines_are_bands(tmp_path):
    """With nine architectures the outside legend narrows the axes and the title's second line
    started off the figure ('TM ~N steps'); gpu-hbm-pim-attn's lines sat exactly on gpu-hbm3's
    with no word (a tester, 2026-12-05)."""
    names = ("gpu-hbm3", "gpu-hbm-pim-attn", "cpu-ddr5", "sram-cim", "rram-cim", "hbm-pim",
             "sram-cim-derived", "rram-cim-derived", "tpu-like")
    table = critical_path_table([load_architecture(resolve_config(n)) for n in names], (4, 16),
                                width=32, window=4)
    fig = critical_path_vs_length(table, 4)
    fig.savefig(tmp_path / "cp.png")
    title = fig.axes[0].title
    box = title.get_window_extent(fig.canvas.get_renderer())
    assert title.get_text().replace("\n", " ").startswith(
        "critical path vs sequence length of generated models, not your workload")
    assert 0 <= box.x0 and box.x1 <= fig.bbox.x1, (box, fig.bbox)
    labels = [l.get_label() for l in fig.axes[0].get_lines()]
    lstm32 = "1-layer LSTM H = I = 32"
    assert f"gpu-hbm-pim-attn: {lstm32} (= gpu-hbm3: {lstm32})" in labels


def test_critical_path_vs_length_plots_independent_runs(archs):
    arch = archs["sram-cim"]
    table = critical_path_table([arch], LENGTHS, width=64, window=4)
    ax = critical_path_vs_length(table, 4).axes[0]
    lines = {l.get_label(): l for l in ax.get_lines()}
    # the legend names the generated models, not "lstm" (read as the user's workload: find-K 3)
    for model, make in (("1-layer LSTM H = I = 64", lambda n: lstm(64, 64, steps=n)),
                        ("encoder d = 64, 4 heads, window 4",
                         lambda n: hier_attn(n, d_model=64, heads=4, window=4))):
        line = lines[f"sram-cim: {model}"]
        np.testing.assert_array_equal(line.get_xdata(), LENGTHS)
        want = [simulate(arch, make(n), engine="analytic", keep_ops=False).critical_path_s
                for n in LENGTHS]
        np.testing.assert_allclose(line.get_ydata(), want, rtol=1e-12)
    ops = {f: table[table["family"] == f].sort_values("seq_len")["critical_path_ops"].to_numpy()
           for f in ("lstm", "hier-attn")}
    # an LSTM adds the same ops per step: 48 more steps add 4x what 12 more steps add (~N) ...
    assert ops["lstm"][2] - ops["lstm"][1] == 4 * (ops["lstm"][1] - ops["lstm"][0])
    # ... the encoder the same ops per level (window 4: 1, 2, 3 levels at N = 4, 16, 64: ~log N)
    assert ops["hier-attn"][2] - ops["hier-attn"][1] == ops["hier-attn"][1] - ops["hier-attn"][0] > 0
    assert "[s]" in ax.get_ylabel() and "N" in ax.get_xlabel() and ax.get_legend()


# ------------------------------------------------------------------ the page
UNIT_RE = re.compile(r"^-?[\d.]+(e[+-]?\d+)?[ \xa0]?\S*[A-Za-z²%)×]")  # \xa0: no-break space


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    res = CliRunner().invoke(main, ["report", "cpu-ddr5", "sram-cim", "-w", "gru", "-w", "tcn",
                                    "-o", str(out)])
    assert res.exit_code == 0, res.output
    return out / "report.html"


def test_cli_report_writes_page_csv_and_timelines(page):
    html = page.read_text()
    d = page.parent
    assert (d / "results.csv").is_file()
    for wl in ("gru", "tcn"):
        for a in ("cpu-ddr5", "sram-cim"):
            assert (d / f"timeline-{wl}-{a}.json").is_file()
            assert f'href="timeline-{wl}-{a}.json"' in html
    # energy and energy shares, utilization x 2 workloads, roofline and critical path x 4 runs, cp vs length (gru)
    ids = re.findall(r'<figure class="cimsim-figure" id="([^"]+)"', html)
    assert len(ids) == 2 + 2 + 4 + 4 + 1 and "critical-path-vs-length" in ids
    assert html.count("data:image/png;base64,") == len(ids)


def test_every_number_in_the_table_has_a_unit(page):
    table = page.read_text().split('<table id="comparison">')[1].split("</table>")[0]
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", table)
    numeric = [c for c in cells if re.match(r"^-?\d", c)]
    assert numeric
    for c in numeric:
        assert UNIT_RE.match(c), f"table cell without a unit: {c!r}"


@pytest.mark.slow
def test_report_says_the_timelines_size_and_can_leave_them_out(tmp_path):
    """`cimsim report` of the README's Llama-2-7B serving run wrote 302 MB of timeline JSON
    beside a 434 kB page and said only "(2 runs, 7 figures)". It now says their size, and
    --no-timelines writes none."""
    res = CliRunner().invoke(main, ["report", "cpu-ddr5", "-w", "tcn", "-o", str(tmp_path / "a")])
    assert res.exit_code == 0, res.output
    [tl] = list((tmp_path / "a").glob("timeline-*.json"))
    from cimsim.report.format import si
    assert f"1 timelines beside it, {si(tl.stat().st_size, 'B')})" in res.output
    res = CliRunner().invoke(main, ["report", "cpu-ddr5", "-w", "tcn", "-o", str(tmp_path / "b"),
                                    "--no-timelines"])
    assert res.exit_code == 0, res.output
    assert not list((tmp_path / "b").glob("timeline-*.json")) and "timelines beside" not in res.output
    html = (tmp_path / "b" / "report.html").read_text()
    assert "timeline-" not in html and (tmp_path / "b" / "results.csv").is_file()


def test_report_errors_are_one_line(tmp_path):
    res = CliRunner().invoke(main, ["report", "no-such-config", "-o", str(tmp_path)])
    assert res.exit_code == 1 and "no-such-config" in res.output and "Traceback" not in res.output
    res = CliRunner().invoke(main, ["report", "cpu-ddr5"])
    assert res.exit_code == 2 and len(res.output.strip().splitlines()) == 1


def test_non_sequence_workloads_get_no_length_figure(archs):
    rep = build_report(report_runs([archs["cpu-ddr5"]], [load_workload(resolve_workload("tcn"))]))
    assert "critical-path-vs-length" not in rep.figures
    assert "<table" in render_html(rep)


# ------------------------------------------------------------------ real browser
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
BROWSER_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync"]


def open_page(url: str, check):
    """Load ``url`` in headless Chromium (Playwright) and call ``check(page, console_errors)``."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        try:
            pg = browser.new_page(viewport={"width": 1400, "height": 900})
            errors = []
            pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            pg.on("pageerror", lambda e: errors.append(str(e)))
            pg.goto(url, wait_until="load")
            return check(pg, errors)
        finally:
            browser.close()


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")
def test_page_loads_in_headless_chromium_with_every_figure(page):
    n_figs = page.read_text().count('class="cimsim-figure"')

    def check(pg, errors):
        figs = pg.evaluate("""() => Array.from(document.querySelectorAll('figure.cimsim-figure')).map(f => {
            const img = f.querySelector('img'); const r = img.getBoundingClientRect();
            return {id: f.id, complete: img.complete, natural: img.naturalWidth, w: r.width, h: r.height};
        })""")
        assert errors == []
        assert len(figs) == n_figs > 0
        for f in figs:
            assert f["complete"] and f["natural"] > 0 and f["w"] > 0 and f["h"] > 0, f
        rows = pg.evaluate("document.querySelectorAll('#comparison tbody tr').length")
        assert rows == 4

    open_page(Path(page).resolve().as_uri(), check)


# ------------------------------------------------------------------ issue 21: areas, path names
def test_table_prints_area_in_mm2_never_prefixed(archs, gru):
    """sram-cim declares 1,707 mm² (its parts' areas): the table says "1707 mm²", not "1.707 kmm²"."""
    from cimsim.report.html import _table_rows

    rep = report_runs([archs["sram-cim"]], [gru], seq_lengths=(4,))
    heads, rows = _table_rows(rep)
    cell = rows[0][heads.index("area")]
    r = rep.results[0][2]
    assert cell == f"{r.area_m2 * 1e6:.4g} mm²" and "k" not in cell


def test_each_path_count_is_shown_under_its_own_name(runs):
    """The dependency critical path (ops alone) and the realised path of the DES are two paths;
    the table, the Gantt strip and the CLI name which one each count belongs to, and the
    Gantt strip's count is the realised path's."""
    from cimsim.report.columns import DEPENDENCY_PATH, REALIZED_PATH
    from cimsim.report.html import Report, _table_rows

    r = runs["cpu-ddr5"]
    assert r.realized_path_ops == len(r.path_table)
    ax = critical_path_gantt(r).axes[0]
    assert REALIZED_PATH in ax.get_title() and f"({r.realized_path_ops} ops)" in ax.get_title()
    assert ax.get_ylabel() == f"{r.realized_path_ops} ops"
    arch = load_architecture(resolve_config("cpu-ddr5"))
    rep = Report([arch], [], [(arch, None, r)])
    heads, rows = _table_rows(rep)
    assert rows[0][heads.index(DEPENDENCY_PATH)].endswith("s")
    assert rows[0][heads.index("dependency-path ops")] == f"{r.critical_path_ops:,} ops"
    assert rows[0][heads.index("realised-path ops")] == f"{r.realized_path_ops:,} ops"
    res = CliRunner().invoke(main, ["run", "cpu-ddr5", "gru"])  # without the per-op tables too
    assert res.exit_code == 0, res.output
    lines = {ln.split("  ")[1].strip(): ln for ln in res.output.splitlines() if ln.startswith("  ")}
    assert f"over {r.critical_path_ops:,} ops" in lines[DEPENDENCY_PATH]
    assert f"{r.realized_path_ops:,} ops; time:" in lines[REALIZED_PATH]


def test_des_and_analytic_paths_differ_only_in_the_realised_one():
    """On lstm the DES's realised path is longer than the dependency path (it waits on a
    busy server); the analytic engine's is the dependency path where that sets its latency
    (tcn on cpu-ddr5), else the busiest unit's ops back to back: on cpu-ddr5 every op runs on
    the one processor, so all 404 of lstm's."""
    arch = load_architecture(resolve_config("cpu-ddr5"))
    wl = load_workload(resolve_workload("lstm"))
    des, ana = simulate(arch, wl), simulate(arch, wl, engine="analytic")
    assert des.critical_path_ops == ana.critical_path_ops == 402
    assert des.realized_path_ops != des.critical_path_ops
    assert ana.latency_s > ana.critical_path_s and ana.realized_path_ops == ana.ops == 404
    tcn = simulate(arch, load_workload(resolve_workload("tcn")), engine="analytic")
    assert tcn.latency_s == tcn.critical_path_s and tcn.realized_path_ops == tcn.critical_path_ops


# ------------------------------------------------------------------ issue 21, item 15: one palette per part
def _bar_colors(ax) -> dict[str, str]:
    from matplotlib.colors import to_hex

    return {c.get_label(): to_hex(c.patches[0].get_facecolor()) for c in ax.containers
            if c.patches and not c.get_label().startswith("total")}


def test_a_part_has_one_colour_in_every_report_figure(archs, gru):
    """An energy part is the same colour in "Energy breakdown" and "shares"; a critical-path
    part (compute, overhead, each memory level) the same colour in every Gantt strip, and a
    memory level the same colour as its energy part: all from plot.style.part_color."""
    from matplotlib.colors import to_hex

    from cimsim.plot.style import part_color

    rep = build_report(report_runs(list(archs.values()), [gru], seq_lengths=(4,)))
    breakdown = {}
    for ax in rep.figures["energy-breakdown"][1].axes:
        breakdown.update(_bar_colors(ax))
    shares = _bar_colors(rep.figures["energy-shares"][1].axes[0])
    assert breakdown and set(breakdown) == set(shares)
    for part in breakdown:
        assert breakdown[part] == shares[part] == to_hex(part_color(part)), part
    gantt = {}
    for fid, (_, fig) in rep.figures.items():
        if fid.startswith("critical-path-") and fid != "critical-path-vs-length":
            for coll in fig.axes[0].collections:
                gantt.setdefault(coll.get_label().split(":")[0], set()).add(to_hex(coll.get_facecolor()[0]))
    assert {"compute", "overhead", "dram"} <= set(gantt)
    for part, colors in gantt.items():
        assert colors == {to_hex(part_color(part))}, part
    assert to_hex(part_color("dram")) == breakdown["dram"]
    assert len({part_color(p) for p in ("compute", "overhead", "dram", "sram", "static")}) == 5


@pytest.mark.slow
def test_a_serving_run_has_its_serving_table_with_units(tmp_path):
    """`cimsim report` of an LLM serving run shows time to first token, time per output token,
    tokens/s and tokens/J (as `cimsim compare` does; the page had none of them)."""
    import json

    from cimsim.report.format import keep_units, rate, si

    wf = tmp_path / "s.npz"
    res = CliRunner().invoke(main, ["workload", "llm", "--layers", "1", "--hidden", "64", "--heads", "4",
                                    "--vocab", "100", "--prompt", "8", "--decode", "3", "--batch", "2",
                                    "-o", str(wf)])
    assert res.exit_code == 0, res.output
    res = CliRunner().invoke(main, ["report", "gpu-hbm3", "-w", str(wf), "-o", str(tmp_path / "r")])
    assert res.exit_code == 0, res.output
    html = (tmp_path / "r" / "report.html").read_text()
    assert '<table id="serving">' in html
    table = html.split('<table id="serving">')[1].split("</table>")[0]
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", table)
    res = CliRunner().invoke(main, ["run", "gpu-hbm3", str(wf), "--json"])
    run = json.loads(res.output)
    # 2 requests x (1 + 3) tokens = 8 over the latency
    assert run["tokens_per_s"] == pytest.approx(8 / run["latency_s"], rel=1e-12, abs=0)
    assert cells[2:] == [keep_units(c) for c in (si(run["ttft_s"], "s"), si(run["ttft_p99_s"], "s"),
                                                  si(run["tpot_s"], "s"), si(run["tpot_p99_s"], "s"),
                                                  f"{rate(run['tokens_per_s'])} tokens/s",
                                                  f"{rate(run['decode_tokens_per_s'])} tokens/s",
                                                  f"{rate(run['tokens_per_j'])} tokens/J")]
    for c in cells[2:]:  # a no-break space between each number and its unit
        assert re.match(r"^[\d.,]+\xa0(µs|ms|s|tokens/s|tokens/J)$", c), f"serving cell without a unit: {c!r}"


def test_a_long_roofline_title_stays_inside_its_one_panel_figure():
    """`cimsim workload matmul`'s default name on one panel: the suptitle is wrapped to the
    figure's width (it ran off both edges: 'oofline of matmul-...-fp32 on cpu-ddr')."""
    from cimsim import load_architecture, simulate
    from cimsim.workload.generators import matmul

    wl = matmul(64, 1024, 1024)
    assert len(f"roofline of {wl.name} on cpu-ddr5") > 55
    arch = load_architecture("cpu-ddr5")
    fig = arch_roofline(arch, simulate(arch, wl), wl)
    fig.canvas.draw()
    box = fig._suptitle.get_window_extent(fig.canvas.get_renderer())
    assert 0 <= box.x0 and box.x1 <= fig.bbox.width
    assert fig._suptitle.get_text().replace("\n", " ") == f"roofline of {wl.name} on cpu-ddr5"


def test_a_table_cell_never_splits_a_number_from_its_unit(archs, gru):
    """'processor_busy 87.5' / '%' in the busiest-resources cell: in the HTML tables a no-break
    space joins each number to its unit; the rows (and so CSV / JSON) keep plain spaces."""
    from cimsim.report.html import Report, _table_rows

    r = simulate(archs["cpu-ddr5"], gru)
    rep = Report([archs["cpu-ddr5"]], [gru], [(archs["cpu-ddr5"], gru, r)])
    heads, rows = _table_rows(rep)
    busiest = rows[0][heads.index("busiest resources")]
    assert "\xa0" not in busiest and re.search(r"\d %", busiest)
    table = render_html(rep).split('<table id="comparison">')[1].split("</table>")[0]
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", table)
    cell = cells[heads.index("busiest resources")]
    assert cell == busiest.replace(" %", "\xa0%")
    assert not re.search(r"\d [A-Za-zµ%]", table)  # no number and unit left breakable


def test_a_pipelined_chips_steady_state_is_a_table_of_the_report():
    """A layer-pipelined CIM chip's headline numbers (interval per sample, samples/s, OPS, J per
    sample) were in `cimsim run`, the JSON and the CSV but nowhere in the HTML report. The tiny
    chip of tests/hw/test_cim_chip.py: two layers, each its own stage; the table's numbers are
    the result's pipeline facts, and a run without a chip has no such table."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "hw"))
    from test_cim_chip import arch as chip_arch, two_layers

    from cimsim.report import columns as C
    from cimsim.report.html import build_report, render_html
    from cimsim.studies import report_runs
    from cimsim.units import si

    rep = build_report(report_runs([chip_arch()], [two_layers()]))
    r = rep.results[0][2]
    page = render_html(rep)
    assert '<table id="pipeline">' in page
    table = page.split('<table id="pipeline">')[1].split("</table>")[0]
    for v, unit in ((r.facts[C.PIPELINE_INTERVAL_S], "s"), (r.facts[C.PIPELINED_SAMPLES_PER_S], "samples/s"),
                    (r.facts[C.PIPELINED_J_PER_SAMPLE], "J")):
        assert si(v, unit).replace(" ", "\u00a0") in table
    from cimsim.config import load_architecture

    plain = build_report(report_runs([load_architecture("cpu-ddr5")], [two_layers()]))
    assert '<table id="pipeline">' not in render_html(plain)


def test_a_level_named_by_the_user_has_one_colour_in_every_figure(gru):
    """cpu-ddr5 with its levels renamed `llc` and `ddr` (outside the fixed palette): `llc` was
    purple in the energy shares, pink in a Gantt strip and, as `llc_bw`, yellow in the
    utilization bars (a tester). A report colours every part from one palette of all its parts,
    and a `<level>_bw` utilization takes its level's colour."""
    from matplotlib.colors import to_hex

    from cimsim.config import architecture_from_dict
    from cimsim.config.loader import read_yaml

    d = read_yaml(resolve_config("cpu-ddr5"))
    d["memory"] = {("llc" if k == "sram" else "ddr" if k == "dram" else k): v for k, v in d["memory"].items()}
    d["processor"]["levels"] = ["llc", "ddr"]
    d["processor"]["tdp_includes"] = ["llc"]  # the package TDP covers the renamed L3
    renamed = architecture_from_dict(d)
    rep = build_report(report_runs([renamed, load_architecture(resolve_config("sram-cim"))], [gru]))
    seen: dict[str, set] = {}
    for c, col in _bar_colors(rep.figures["energy-shares"][1].axes[0]).items():
        seen.setdefault(c, set()).add(col)
    for fid, (_, fig) in rep.figures.items():
        if fid.startswith("critical-path-") and fid != "critical-path-vs-length":
            for coll in fig.axes[0].collections:
                seen.setdefault(coll.get_label().split(":")[0], set()).add(to_hex(coll.get_facecolor()[0]))
        if fid.startswith("utilization-"):
            for ax in fig.axes:
                for c in ax.containers:  # each bar's label: "llc_bw (bandwidth)", "processor_mac"
                    name = c.get_label().removesuffix(" (bandwidth)").removesuffix("_bw")
                    seen.setdefault(name, set()).add(to_hex(c.patches[0].get_facecolor()))
    assert {"llc", "ddr"} <= set(seen)
    for part in ("llc", "ddr"):
        assert len(seen[part]) == 1, (part, seen[part])
