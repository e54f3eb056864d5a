"""The report page to a reader who does not see the figures (find-A 3) and the warnings
`cimsim run` prints (find-A 6)."""

from __future__ import annotations

import re
from html import unescape

import pytest

from cimsim.bundled import resolve_config, resolve_workload
from cimsim.config import load_architecture
from cimsim.report.format import pct, si
from cimsim.report.provenance import placeholder_warning
from cimsim.report.html import build_report, render_html
from cimsim.studies import report_runs
from cimsim.workload import load_workload


pytestmark = pytest.mark.slow  # a report's figures drawn: ~20 s on a shared core


@pytest.fixture(scope="module")
def page():
    archs = [load_architecture(resolve_config("sram-cim"))]
    rep = build_report(report_runs(archs, [load_workload(resolve_workload("tcn"))]))
    return rep, render_html(rep)


def test_each_figure_has_its_numbers_as_a_table_and_an_alt_that_is_not_its_caption(page):
    rep, html = page
    for fid, (title, _) in rep.figures.items():
        fig = re.search(rf'<figure class="cimsim-figure" id="{re.escape(fid)}">(.*?)</figure>', html, re.S).group(1)
        alt = unescape(re.search(r'alt="([^"]*)"', fig).group(1))
        assert alt != title, fid  # a screen reader read the caption twice
        if fid.startswith(("energy-", "utilization-", "critical-path-")) and fid != "critical-path-vs-length":
            assert f'aria-describedby="{fid}-data"' in fig and f'<table id="{fid}-data">' in fig
    # sram-cim's energy by part, every part with its joules and share, as the terminal prints it
    r = next(r for _, _, r in rep.results if r.architecture == "sram-cim")
    data = unescape(re.search(r'<table id="energy-breakdown-data">(.*?)</table>', html, re.S).group(1))
    for part, j in r.energy_breakdown_j.items():
        if j:
            cells = f"<td class=l>{r.workload}</td><td class=l>sram-cim</td><td class=l>{part}</td>" \
                    f"<td class=l>{si(j, 'J')}</td><td class=l>{pct(j / r.energy_j)}</td>"
            assert cells.replace(" ", "\u00a0") in data.replace(" ", "\u00a0"), part
    big = max(r.energy_breakdown_j, key=r.energy_breakdown_j.get)
    assert f"sram-cim on {r.workload}: {big} {pct(r.energy_breakdown_j[big] / r.energy_j)}" in \
        unescape(html).replace("\u00a0", " ")
    assert '<th scope="col">' in html and 'name="viewport"' in html


def test_the_page_shows_the_placeholder_warnings_run_prints(page):
    rep, html = page
    text = unescape(html)
    warned = [r for _, _, r in rep.results if placeholder_warning(r)]
    assert warned  # the bundled cpu-ddr5 rests on (U) clock and overheads
    assert "<h2>Warnings</h2>" in text and text.index("<h2>Warnings</h2>") < text.index("<h2>Figures</h2>")
    for r in warned:
        assert placeholder_warning(r)[len("warning: "):] in text
    assert "<summary>Notes</summary>" in text and "Placement notes" not in text
