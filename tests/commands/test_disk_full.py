"""A write that fails naming no file (a full disk: ENOSPC; here a file-size limit: EFBIG, the
same kind of error, made for real with RLIMIT_FSIZE) names the file being written, and leaves
no partial file: `cimsim report` said "cannot write there (No space left on device: None)",
`cimsim plot` "No space left on device" and left a 0-byte PNG."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cimsim.cli import main
from cimsim.sweep import sweep

SRC = str(Path(__file__).resolve().parents[2] / "src")
ENV = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
LIMIT = 4096  # bytes a file may grow to: report.html and a PNG are larger

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_FSIZE semantics: Linux")


def _limited():
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails (EFBIG)
    resource.setrlimit(resource.RLIMIT_FSIZE, (LIMIT, LIMIT))


def _cimsim(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cimsim", *map(str, args)], env=ENV,
                          capture_output=True, text=True, timeout=300, preexec_fn=_limited)


def _one_error(p) -> str:
    assert p.returncode == 1, p.stderr
    lines = p.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), p.stderr
    return lines[0]


def test_report_names_the_file_it_could_not_write_and_leaves_none_half(tmp_path):
    # unlimited first: it writes, and numba's compile cache (beside the sources) is written
    # here, not in the limited run (where its own write would be the one that fails)
    ok = CliRunner().invoke(main, ["report", "cpu-ddr5", "-w", "lstm", "-o", str(tmp_path / "ok"),
                                   "--no-timelines"])
    assert ok.exit_code == 0, ok.output
    out = tmp_path / "rep"
    line = _one_error(_cimsim("report", "cpu-ddr5", "-w", "lstm", "-o", out, "--no-timelines"))
    assert line == f"Error: -o {out}: cannot write {out / 'report.html'} (File too large)"
    assert sorted(f.name for f in out.iterdir()) == ["results.csv"]  # whole; no page, no temp


def test_plot_names_the_file_it_could_not_write_and_leaves_none_half(tmp_path):
    data = tmp_path / "bw.parquet"
    sweep("cpu-ddr5", "tcn", ["memory.dram.bandwidth=25GB/s..3.2TB/s:log:3"], engine="analytic",
          workers=1, output=data)
    out = tmp_path / "figs"
    line = _one_error(_cimsim("plot", data, "-o", out, "--no-roofline", "--format", "png"))
    assert line == f"Error: cannot write {out / 'bw-latency.png'} (File too large)"
    assert list(out.iterdir()) == []  # no 0-byte PNG, no temporary file
