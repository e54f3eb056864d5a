"""A reader that closes the pipe early (`cimsim trace -h | head -1`) ends every command quietly:
nothing on stderr, exit status 141 (128 + SIGPIPE, as `seq` or `cat` report). Before the fix,
`cimsim trace -h` into a closed pipe printed "Error: Broken pipe" and exited 1."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SRC = str(Path(__file__).resolve().parents[2] / "src")
ENV = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}


def _into_closed_pipe(*args: str) -> subprocess.CompletedProcess:
    """`cimsim ARGS` writing into a pipe whose reader has already gone."""
    r, w = os.pipe()
    os.close(r)
    try:
        return subprocess.run([sys.executable, "-m", "cimsim", *args], stdout=w,
                              stderr=subprocess.PIPE, env=ENV, timeout=120)
    finally:
        os.close(w)


@pytest.mark.parametrize("args", [("--help",), ("--version",), ("trace", "-h"), ("run", "--help"),
                                  ("fields",)])
def test_closed_stdout_exits_quietly(args):
    p = _into_closed_pipe(*args)
    assert p.stderr == b""
    assert p.returncode == 141


@pytest.mark.parametrize("unbuffered", ["1", None])
def test_shell_pipe_into_head(unbuffered):
    """The shell form: `cimsim fields | head -1` (a table of 207 kB, over a pipe buffer)
    prints its first line, nothing on stderr, and exits 141 as documented. Under
    PYTHONUNBUFFERED=1 (CI runners, containers) it exited 0 (tester D, round 15): the table
    went to one write(2), which returned short when head left, and Python dropped the rest."""
    env = {k: v for k, v in ENV.items() if k != "PYTHONUNBUFFERED"}
    if unbuffered:
        env["PYTHONUNBUFFERED"] = unbuffered
    p = subprocess.run(f"{sys.executable} -m cimsim fields | head -1; exit ${{PIPESTATUS[0]}}",
                       shell=True, env=env, capture_output=True, timeout=120, executable="/bin/bash")
    assert p.stderr == b""
    assert p.stdout.count(b"\n") == 1
    assert p.returncode == 141


def test_json_cut_by_head_is_not_a_success():
    """`run --placement --json | head -c1`: 177 kB of JSON cut after one byte; its reader must
    learn it was cut (141), not read a success (it was 0 under PYTHONUNBUFFERED=1)."""
    env = {**ENV, "PYTHONUNBUFFERED": "1"}
    p = subprocess.run(f"{sys.executable} -m cimsim run cpu-ddr5 lstm --engine analytic --placement "
                       "--json 2>/dev/null | head -c1; exit ${PIPESTATUS[0]}", shell=True, env=env,
                       capture_output=True, timeout=300, executable="/bin/bash")
    assert p.stdout == b"{"
    assert p.returncode == 141


def test_whole_writes_writes_all_of_a_large_text(tmp_path):
    """Where nobody leaves, the replaced stdout loses nothing: 207,495 characters, a µ among
    them, through a pipe read to its end."""
    code = ("import sys; from cimsim.commands import whole_writes; whole_writes(); "
            "sys.stdout.write('µ' + 'x' * 207494)")
    p = subprocess.run([sys.executable, "-c", code], env={**ENV, "PYTHONUNBUFFERED": "1",
                       "PYTHONIOENCODING": "utf-8"}, capture_output=True, timeout=120)
    assert p.returncode == 0 and p.stderr == b""
    assert p.stdout == "µ".encode() + b"x" * 207494


def _with_stdout_closed(*args: str, cwd=None) -> subprocess.CompletedProcess:
    """`cimsim ARGS >&-`: file descriptor 1 closed before cimsim starts (Python then sets
    sys.stdout to None)."""
    return subprocess.run([sys.executable, "-m", "cimsim", *args], stderr=subprocess.PIPE,
                          preexec_fn=lambda: os.close(1), env=ENV, timeout=300, cwd=cwd, text=True)


@pytest.mark.parametrize("args", [("run", "cpu-ddr5", "tcn", "--engine", "analytic", "--json"),
                                  ("run", "cpu-ddr5", "tcn", "--engine", "analytic"),
                                  ("fields",), ("--version",), ("--help",)])
def test_stdout_closed_from_the_start_says_so_and_fails(args):
    """A tester (2026-12-05): `cimsim run ... --json >&-` exited 0 with its JSON gone. Not a reader that
    left (141, quietly) but an output with no place: one line and status 1, as `echo hi >&-`."""
    p = _with_stdout_closed(*args)
    assert p.returncode == 1
    assert p.stderr.startswith("Error: stdout: closed (file descriptor 1 was not open")
    assert p.stderr.count("\n") == 1


def test_sweep_with_stdout_closed_writes_its_file_then_fails(tmp_path):
    """The sweep's rows are in its file; only its `wrote` line had nowhere to go."""
    p = _with_stdout_closed("sweep", "cpu-ddr5", "-w", "tcn", "--engine", "analytic", "--param",
                            "processor.cores=8,16", "--workers", "1", "-q", "-o", "s.parquet",
                            cwd=tmp_path)
    assert p.returncode == 1
    assert p.stderr.splitlines()[-1].startswith("Error: stdout: closed")
    import pandas as pd

    assert len(pd.read_parquet(tmp_path / "s.parquet")) == 2
    assert sorted(f.name for f in tmp_path.iterdir()) == ["s.parquet"]  # no lock, no parts left
