"""A student's config slips, from the command line (find-F 3, 4, 5): each is one line, exit
status 1, naming the file, where and what to write instead.

The configs are the bundled cpu-ddr5.yaml with one line edited, as a student would: its
dram block starts at line 17 (``technology: DDR5-4800``, column 5), ``latency`` is line 21 and
``capacity`` line 23.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from cimsim import bundled
from cimsim.cli import main
from cimsim.workload import save_workload
from cimsim.workload.generators import lstm


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("wl") / "tiny.json"
    save_workload(lstm(16, 16, 1, steps=2), path)
    return str(path)


def _edited(tmp_path: Path, old: str, new: str) -> Path:
    text = bundled.resolve_config("cpu-ddr5").read_text()
    lines = text.splitlines(keepends=True)
    hits = [i for i, ln in enumerate(lines) if ln.startswith(old)]
    assert len(hits) == 1, old
    lines[hits[0]] = new + "\n"
    out = tmp_path / "m.yaml"
    out.write_text("".join(lines))
    return out


def _one_line(*args) -> str:
    res = CliRunner(env={"COLUMNS": "200"}).invoke(main, [str(a) for a in args])
    assert res.exit_code == 1, res.output
    assert "Traceback" not in res.output
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert len(lines) == 1, res.output
    return lines[0]


def test_the_dram_block_is_where_the_docstring_says():
    lines = bundled.resolve_config("cpu-ddr5").read_text().splitlines()
    assert lines[16] == "    technology: DDR5-4800"
    assert lines[20].startswith("    latency: 110 ns")
    assert lines[22].startswith("    capacity: 256 GiB")


@pytest.mark.parametrize("written, meant", [("10GBps", "GB/s"), ("10 Gbps", "Gb/s"),
                                            ("400 MBps", "MB/s")])
def test_a_datasheet_rate_spelling_gets_did_you_mean(tmp_path, tiny, written, meant):
    m = _edited(tmp_path, "    bandwidth: 307.2 GB/s", f"    bandwidth: {written}")
    unit = written.split()[-1].lstrip("0123456789")
    assert _one_line("run", m, tiny) == (
        f"Error: {m}: memory.dram.bandwidth: unknown unit '{unit}' (did you mean '{meant}'? a rate "
        f"is written with '/s') (got '{written}')")
    line = _one_line("run", "cpu-ddr5", tiny, "--set", f"memory.dram.bandwidth={written}")
    assert f"unknown unit '{unit}' (did you mean '{meant}'?" in line


def test_a_bare_number_is_said_once_as_written(tmp_path, tiny):
    m = _edited(tmp_path, "    bandwidth: 307.2 GB/s", "    bandwidth: 1e10")
    # 1e10 B/s = 10 GB/s
    assert _one_line("run", m, tiny) == (
        f"Error: {m}: memory.dram.bandwidth: expected a quantity with a unit like '25.6 GB/s' "
        "(got 1e10): a bare number is ambiguous; write its unit, e.g. '10 GB/s' if it is in B/s")


def test_a_key_indented_too_deep_names_line_column_and_key(tmp_path, tiny):
    m = _edited(tmp_path, "    capacity: 256 GiB", "      capacity: 256 GB")
    assert _one_line("run", m, tiny) == (
        f"Error: {m}: not valid YAML: line 23, column 7: 'capacity' is indented deeper than the "
        "keys above it (the block at line 17, column 5), or a key above it too little; keys of "
        "one mapping start in the same column")


def test_a_tab_says_yaml_indents_with_spaces(tmp_path, tiny):
    m = _edited(tmp_path, "    latency: 110 ns", "\tlatency: 110 ns")
    assert _one_line("run", m, tiny) == (
        f"Error: {m}: not valid YAML: line 21: a tab character; YAML indents with spaces")


@pytest.mark.parametrize("new, said", [
    ("    latency 110 ns", "line 22, column 5: the key started at line 21, column 5 has no ':'"),
    # the second colon: 4 spaces + "latency: 110 ns" (15) = 19 characters before it
    ("    latency: 110 ns: x", "line 21, column 20: a ':' where no key can start"),
])
def test_other_yaml_slips_say_line_and_column_plainly(tmp_path, tiny, new, said):
    m = _edited(tmp_path, "    latency: 110 ns", new)
    line = _one_line("run", m, tiny)
    assert line.startswith(f"Error: {m}: not valid YAML: {said}"), line
    assert "<unicode string>" not in line and "^" not in line
