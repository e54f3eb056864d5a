"""Ctrl-C on `cimsim sweep`: one line saying where the finished rows are and how to go on."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child process")
def _sweep_with_a_part_file(tmp_path, *extra):
    """A long sweep in a child process, once it has written a part file: (process, -o, parts)."""
    out = tmp_path / "bw.parquet"
    args = [sys.executable, "-m", "cimsim", "sweep", "cpu-ddr5", "sram-cim", "-w", "lstm", "-w", "gru",
            "--param", "memory.dram.bandwidth=1GB/s..10TB/s:log:20000", "--max-points", "1000000",
            *extra, "-o", str(out), "-q"]
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    # Ctrl-C's default action in the child even where this test runs in the background (a
    # shell's background job, and so its children, ignores SIGINT)
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env, cwd=tmp_path,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.default_int_handler))
    parts = Path(f"{out}.parts")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not list(parts.glob("part-*.parquet")):
        time.sleep(0.1)
    return proc, out, parts


def test_ctrl_c_says_the_rows_are_kept_and_a_rerun_resumes(tmp_path):
    proc, out, parts = _sweep_with_a_part_file(tmp_path, "--workers", "1")
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    last = err.strip().splitlines()[-1]
    assert last == (f"interrupted: the rows finished so far are saved in {out}.parts/; rerun the "
                    "same command to compute only the missing points"), err
    assert "Traceback" not in err and "Aborted!" not in err
    assert list(parts.glob("part-*.parquet"))


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM to a child process")
def test_sigterm_ends_a_sweep_as_ctrl_c_does(tmp_path):
    """kill, a batch scheduler and docker stop send SIGTERM: it killed the sweep with no word,
    leaked semaphores and left a temporary part file; it now ends as Ctrl-C does (rows kept, one
    line), with the shell's status for SIGTERM, 143, and leaves no temporary file."""
    proc, out, parts = _sweep_with_a_part_file(tmp_path, "--workers", "2", "--flush-every", "1")
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert err.strip().splitlines()[-1] == (
        f"terminated (SIGTERM): the rows finished so far are saved in {out}.parts/; rerun the same "
        "command to compute only the missing points"), err
    assert "Traceback" not in err and "leaked semaphore" not in err
    assert list(parts.glob("part-*.parquet")) and not list(parts.glob("*.tmp"))
