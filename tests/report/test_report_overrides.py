"""`cimsim report --set` says the overrides on the page (sweep fixes, bug 5): the page and
results.csv showed the plain config name, so a report of a modified machine read as the stock one."""

from __future__ import annotations

import html
import re

from click.testing import CliRunner

from cimsim.cli import main


def _text(page: str) -> str:
    """The page's visible text, tags dropped and entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def test_report_page_names_the_overrides_under_its_title(tmp_path):
    res = CliRunner().invoke(main, ["report", "cpu-ddr5", "-w", "tcn", "--set", "memory.dram.bandwidth=1TB/s",
                                    "--set", "processor.cores=8", "-o", str(tmp_path / "a"), "--no-timelines"])
    assert res.exit_code == 0, res.output
    lines = _text((tmp_path / "a" / "report.html").read_text()).splitlines()
    title = lines.index("cimsim report", lines.index("cimsim report") + 1)  # <title>, then <h1>
    assert lines[title + 1] == "overrides: --set memory.dram.bandwidth=1TB/s --set processor.cores=8"
    # without --set, no such line
    res = CliRunner().invoke(main, ["report", "cpu-ddr5", "-w", "tcn", "-o", str(tmp_path / "b"),
                                    "--no-timelines"])
    assert res.exit_code == 0, res.output
    assert "overrides:" not in _text((tmp_path / "b" / "report.html").read_text())
