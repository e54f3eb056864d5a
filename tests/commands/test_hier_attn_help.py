"""``cimsim workload hier-attn``: its help states the level count, levels = ceil(log_w N), and
that the README's path-length table uses --window 16 (the CLI's default is 100); the README
gives the table's CLI flags, and those flags build the table's level counts (find-F 6).

Closed forms: ceil(log_16 1024) = ceil(2.5) = 3 levels; ceil(log_100 1024) = ceil(1.505) = 2;
ceil(log_16 16) = 1; ceil(log_16 64) = ceil(1.5) = 2.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from cimsim.cli import main

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def test_help_states_the_level_formula_and_the_readme_window():
    res = CliRunner(env={"COLUMNS": "200"}).invoke(main, ["workload", "hier-attn", "--help"])
    assert res.exit_code == 0
    text = " ".join(res.output.split())
    assert "levels = ceil(log_w N)" in text
    assert "The README's path-length table (examples/path_length.py) uses --window 16" in text


def _table_command() -> list[str]:
    """The hier-attn command the README's path-length paragraph gives, as argv."""
    para = README.split("Path length, from `python examples/path_length.py`", 1)[1].split("| N = T", 1)[0]
    cmd = re.search(r"`(cimsim workload hier-attn [^`]+)`", " ".join(para.split())).group(1)
    return shlex.split(cmd)[1:]


@pytest.mark.parametrize("n, levels", [(16, 1), (64, 2), (1024, 3)])
def test_the_readme_flags_build_the_tables_levels(tmp_path, n, levels):
    args = _table_command()
    assert "--window" in args and args[args.index("--window") + 1] == "16"
    args[args.index("N")] = str(n)
    out = tmp_path / "h.json"
    res = CliRunner().invoke(main, [*args, "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert json.loads(out.read_text())["metadata"]["levels"] == levels
    # the README table's row says the same
    row = next(r for r in README.splitlines() if r.startswith(f"| {n} | "))
    assert row.split("|")[4].strip() == str(levels)


def test_the_default_window_builds_fewer_levels(tmp_path):
    out = tmp_path / "h.json"
    res = CliRunner().invoke(main, ["workload", "hier-attn", "--steps", "1024", "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert json.loads(out.read_text())["metadata"]["levels"] == 2
