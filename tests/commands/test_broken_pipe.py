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


def test_shell_pipe_into_head():
    """The shell form: `cimsim fields | head -1` (a table of hundreds of lines, over a pipe
    buffer) prints its first line and nothing on stderr."""
    p = subprocess.run(f"{sys.executable} -m cimsim fields | head -1", shell=True, env=ENV,
                       capture_output=True, timeout=120, executable="/bin/bash")
    assert p.stderr == b""
    assert p.stdout.count(b"\n") == 1
