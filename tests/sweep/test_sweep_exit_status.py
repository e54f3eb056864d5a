"""A sweep's exit status when its points fail at simulation time (a tester, 2026-12-05): a sweep of error
rows only exited 0, so a CI job could not fail on it. Now every row an error exits 3 (the file
still written), and `--strict` exits 3 when any row is. Real CLI runs in a subprocess.

The failing point is closed-form: the bundled lstm (2 layers, input and hidden 2048, 4 gates, fp32)
has weights 2 x (2 x 8192 x 2048 + 2 x 8192) x 4 B = 268,566,528 B, which a 40 or 41 MB DRAM cannot
hold and a 1 TB one can (cpu-ddr5's SRAM is 37.5 MiB = 39.32 MB: a smaller DRAM is refused before the run)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd

SRC = str(Path(__file__).resolve().parents[2] / "src")
LSTM_WEIGHT_BYTES = 2 * (2 * 8192 * 2048 + 2 * 8192) * 4
ENV = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}


def sweep(tmp_path: Path, capacities: str, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cimsim", "sweep", "cpu-ddr5", "-w", "lstm", "--engine", "analytic",
         "--param", f"memory.dram.capacity={capacities}", "--workers", "1", "-q",
         "-o", str(tmp_path / "s.parquet"), *extra],
        env=ENV, capture_output=True, text=True, timeout=300)


def test_every_row_an_error_exits_3_and_writes_the_file(tmp_path):
    p = sweep(tmp_path, "40MB,41MB")
    assert p.returncode == 3, p.stderr
    last = p.stderr.strip().splitlines()[-1]
    assert last.startswith(f"Error: every row of {tmp_path / 's.parquet'} has an error, e.g. "
                           "at memory.dram.capacity=40 MB: ")
    assert "Traceback" not in p.stderr
    df = pd.read_parquet(tmp_path / "s.parquet")
    assert len(df) == 2 and df["error"].notna().all()
    assert 41e6 < LSTM_WEIGHT_BYTES < 1e12


def test_some_rows_errors_exit_0_or_3_with_strict(tmp_path):
    p = sweep(tmp_path, "40MB,1TB")
    assert p.returncode == 0, p.stderr
    assert "1 with errors" in p.stdout
    p = sweep(tmp_path, "40MB,1TB", "--strict")  # the same file: both rows already done
    assert p.returncode == 3, p.stderr
    assert p.stderr.strip().splitlines()[-1].startswith(
        f"Error: 1 of 2 rows of {tmp_path / 's.parquet'} have an error (--strict), e.g. ")


def test_strict_without_errors_exits_0(tmp_path):
    p = sweep(tmp_path, "1TB,2TB", "--strict")
    assert p.returncode == 0, p.stderr
    assert "0 with errors" in p.stdout
