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
from cimsim.report.html import PAGE_SEE, build_report, render_html
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
            table = "energy-breakdown" if fid == "energy-shares" else fid  # one table for both
            assert f'aria-describedby="data-{table}"' in fig, fid
            assert (f'<table id="data-{fid}">' in fig) is (fid != "energy-shares"), fid
    # sram-cim's energy by part, every part with its joules and share, as the terminal prints it
    r = next(r for _, _, r in rep.results if r.architecture == "sram-cim")
    data = unescape(re.search(r'<table id="data-energy-breakdown">(.*?)</table>', html, re.S).group(1))
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
        assert placeholder_warning(r, PAGE_SEE)[len("warning: "):] in text
    assert "<summary>Notes</summary>" in text and "Placement notes" not in text


def test_ids_are_unique_and_the_two_energy_figures_say_different_things(tmp_path):
    """Workloads "a" and "a-data" gave workload a-data's figure and workload a's data table
    one id, "utilization-a-data"; the breakdown and shares figures had the same 330-character
    alt and the same 36-row table twice; the Warnings pointed to `--json`, a flag a reader of the
    page did not use (review19-E 4, 7.1). Three configs, two workloads."""
    from click.testing import CliRunner

    from cimsim.cli import main

    wls = []
    for name in ("a", "a-data"):
        out = tmp_path / f"{name}.json"
        res = CliRunner().invoke(main, ["workload", "lstm", "--input-size", "8", "--hidden", "8",
                                        "--layers", "1", "--steps", "1", "--name", name, "-o", str(out)])
        assert res.exit_code == 0, res.output
        wls.append(load_workload(out))
    archs = [load_architecture(resolve_config(a)) for a in ("cpu-ddr5", "sram-cim", "hbm-pim")]
    html = render_html(build_report(report_runs(archs, wls)))
    ids = re.findall(r'\bid="([^"]*)"', html)
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    for ref in re.findall(r'aria-describedby="([^"]*)"', html):
        assert ref in ids, ref
    alts = dict(re.findall(r'<figure class="cimsim-figure" id="([^"]*)">.*?alt="([^"]*)"', html, re.S))
    assert alts["energy-breakdown"] != alts["energy-shares"]
    assert html.count("<caption>Energy breakdown") == 1  # one table, which both figures point to
    assert "--json" not in html.split("<h2>Warnings</h2>")[1].split("</ul>")[0]
    assert "latency_placeholder_share" in html
