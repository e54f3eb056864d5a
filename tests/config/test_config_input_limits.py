"""Bad config input found by a third round of new users: each gets one line naming the file or
--set and the field, never a traceback, a warning line or an unnamed impossible number."""

from __future__ import annotations

from click.testing import CliRunner

from cimsim.bundled import resolve_config
from cimsim.cli import main


def _one_line_error(args):
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 1, r.output
    assert r.exception is None or isinstance(r.exception, SystemExit), r.exception
    lines = [ln for ln in r.output.splitlines() if ln.strip()]
    assert len(lines) == 1, r.output
    assert lines[0].startswith("Error: ")
    return lines[0]


def _variant(tmp_path, name, edit):
    """A copy of a bundled config with one text edit, as a user's own file."""
    text = resolve_config(name).read_text()
    path = tmp_path / "mine.yaml"
    new = edit(text)
    assert new != text
    path.write_text(new)
    return path


def test_cim_rows_beyond_the_partial_sum_range_is_a_field_error():
    line = _one_line_error(["run", "sram-cim", "lstm", "--set", "cim.rows=16777217"])
    assert "--set cim.rows=16777217" in line and "cim.rows" in line and "16777216" in line


def test_fields_shows_the_rows_bound_in_full():
    r = CliRunner().invoke(main, ["fields", "cim.rows"])
    assert r.exit_code == 0
    assert "in [1, 16777216]" in r.output
