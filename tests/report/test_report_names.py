"""Runs whose names differ only in punctuation, case or script each keep their figures and
timeline (found by a seventh round of new users: ``mm_a`` and ``mm-a`` shared one file, the
second overwriting the first; names in Cyrillic or Chinese all became ``timeline--cpu-ddr5``)."""

from __future__ import annotations

from click.testing import CliRunner

from cimsim.cli import main
from cimsim.report.html import _unique
from cimsim.workload.io import save_workload

from conftest import gemv_workload


def test_slugs_are_made_distinct_in_order():
    assert _unique(["mm-a", "mm-a", "", "", "mm-a-2"], "run") == ["mm-a", "mm-a-2", "run", "run-2",
                                                                   "mm-a-2-2"]


def test_two_names_of_one_slug_keep_two_timelines_and_their_figures(tmp_path):
    files = []
    for i, name in enumerate(["mm_a", "mm-a", "модель"]):
        f = tmp_path / f"w{i}.json"
        save_workload(gemv_workload(64, 64, name=name), f)
        files += ["-w", str(f)]
    out = tmp_path / "rep"
    r = CliRunner().invoke(main, ["report", "cpu-ddr5", *files, "-o", str(out)])
    assert r.exit_code == 0, r.output
    timelines = sorted(p.name for p in out.glob("timeline-*.json"))
    assert timelines == ["timeline-cpu-ddr5.json", "timeline-mm-a-cpu-ddr5-2.json",
                         "timeline-mm-a-cpu-ddr5.json"], timelines
    html = (out / "report.html").read_text(encoding="utf-8")
    for t in timelines:
        assert f'href="{t}"' in html
    # 2 run-independent figures + per workload a utilization + per run a roofline and a path
    assert html.count('<figure class="cimsim-figure"') == 2 + 3 + 2 * 3
