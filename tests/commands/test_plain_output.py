"""What the commands print off a terminal, for a log or a script (tester D, round 15): lines
without trailing spaces, a note on one line, and the units spelled as the other commands spell
them (ASCII only where the stream cannot encode them)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from cimsim.cli import main

SRC = str(Path(__file__).resolve().parents[2] / "src")

# bundled LSTM: 2 layers, each an input and a recurrent matrix of 4 gates x 2048 x 2048, fp32
LSTM_MATRIX_BYTES = 2 * 2 * 4 * 2048 * 2048 * 4  # 268,435,456 B
WEIGHTS_FROM_DRAM = "268.4 MB read from dram at every use"


def _run(env: dict) -> str:
    res = CliRunner(env=env).invoke(main, ["run", "cpu-ddr5", "lstm", "--engine", "analytic"])
    assert res.exit_code == 0, res.output
    return res.stdout


def test_run_off_a_terminal_pads_no_line_and_keeps_a_note_on_one_line():
    """The summary grid padded every line with spaces to 120 columns, and a note wrapped at 120
    with its second line at column 0."""
    assert LSTM_MATRIX_BYTES == 268_435_456  # 268.4 MB
    out = _run({"COLUMNS": None, "FORCE_COLOR": None, "TERM": "dumb"})
    lines = out.splitlines()
    assert [ln for ln in lines if ln != ln.rstrip()] == []
    [note] = [ln for ln in lines if ln.startswith("  note: processor weights")]
    assert note.endswith(WEIGHTS_FROM_DRAM)
    assert all(ln.startswith("  note: ") for ln in lines[lines.index(note):])


def test_run_on_a_terminal_still_wraps_its_notes():
    out = _run({"COLUMNS": "120", "FORCE_COLOR": "1"})  # a terminal 120 columns wide
    out = re.sub(r"\x1b\[[0-9;]*m", "", out)  # its colours
    [note] = [ln for ln in out.splitlines() if ln.startswith("  note: processor weights")]
    assert WEIGHTS_FROM_DRAM not in note and len(note) <= 120


def test_compare_and_validate_pad_no_line_off_a_terminal():
    env = {"COLUMNS": None, "FORCE_COLOR": None}
    for args in (["compare", "cpu-ddr5", "-w", "gru", "--engine", "analytic"],
                 ["validate", "-s", "cim-published"]):
        res = CliRunner(env=env).invoke(main, args)
        assert res.exit_code == 0, res.output
        assert [ln for ln in res.stdout.splitlines() if ln != ln.rstrip()] == [], args


def test_validate_spells_areas_as_run_does_on_utf8():
    """validate wrote `85.4 mm^2` and `1270 um^2` on a UTF-8 pipe where run writes mm² and µs.
    ISAAC's chip is 85.4 mm² (ISCA 2016, corrected); a NeuRRAM neuron 1270 µm² (Fig. 11f)."""
    res = CliRunner(env={"COLUMNS": "300"}).invoke(main, ["validate", "-s", "cim-published"])
    assert res.exit_code == 0, res.output
    assert "85.4 mm²" in res.stdout and "1270 µm²" in res.stdout
    assert "^2" not in res.stdout


def test_validate_spells_areas_in_ascii_where_the_stream_cannot_encode_them():
    p = subprocess.run([sys.executable, "-m", "cimsim", "validate", "-s", "cim-published"],
                       env={**os.environ, "PYTHONPATH": SRC, "PYTHONIOENCODING": "ascii",
                            "COLUMNS": "300"}, capture_output=True, timeout=300)
    assert p.returncode == 0, p.stderr
    assert b"85.4 mm^2" in p.stdout and b"1270 um^2" in p.stdout
    assert not any(b > 127 for b in p.stdout)
