"""Outputs that are not regular files. Every output went through a temporary file renamed onto
the path, which replaced a symlink, a device node or a FIFO by a regular file: as root,
`cimsim run ... --trace /dev/stdout` replaced the container's `/dev/stdout` (find-A #1). Now a
symlink's target is replaced and the link stays; a device or FIFO is written into directly.

Nothing here touches the real `/dev`: the links and nodes are made in `tmp_path` (a device node
needs root: skipped otherwise), and a link to `/proc/self/fd/1` is the CLI subprocess's own
stdout, a pipe this test reads."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

SRC = str(Path(__file__).resolve().parents[2] / "src")
ENV = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
COMPARE = ("compare", "cpu-ddr5", "-w", "tcn", "--engine", "analytic")


def cimsim(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cimsim", *args], cwd=cwd, env=ENV,
                          capture_output=True, text=True, timeout=300)


def test_symlinked_output_replaces_its_target_and_the_link_stays(tmp_path):
    (tmp_path / "target.csv").write_text("keep\n")
    (tmp_path / "link.csv").symlink_to("target.csv")
    p = cimsim(*COMPARE, "-o", "link.csv", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert (tmp_path / "link.csv").is_symlink()
    assert os.readlink(tmp_path / "link.csv") == "target.csv"
    lines = (tmp_path / "target.csv").read_text().splitlines()
    assert len(lines) == 2 and lines[0].startswith("workload,architecture,")  # 1 config x 1 workload
    assert sorted(f.name for f in tmp_path.iterdir()) == ["link.csv", "target.csv"]  # no temporary


def test_dangling_symlink_creates_its_target(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "link.csv").symlink_to("out/new.csv")
    p = cimsim(*COMPARE, "-o", "link.csv", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert (tmp_path / "link.csv").is_symlink()
    assert (tmp_path / "out/new.csv").read_text().startswith("workload,architecture,")


def test_fifo_output_is_written_into(tmp_path):
    fifo = tmp_path / "ff.csv"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text()), daemon=True)
    reader.start()
    p = cimsim(*COMPARE, "-o", "ff.csv", cwd=tmp_path)
    reader.join(timeout=60)
    assert p.returncode == 0, p.stderr
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert got and got[0].startswith("workload,architecture,") and got[0].count("\n") == 2


def test_trace_into_a_link_to_stdout_reaches_stdout(tmp_path):
    """`--trace so.json` with `so.json -> /proc/self/fd/1`: what `--trace /dev/stdout` is."""
    (tmp_path / "so.json").symlink_to("/proc/self/fd/1")
    p = cimsim("run", "cpu-ddr5", "tcn", "--trace", "so.json", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert os.readlink(tmp_path / "so.json") == "/proc/self/fd/1"
    start = p.stdout.index('{"traceEvents"')
    trace, _ = json.JSONDecoder().raw_decode(p.stdout[start:])
    assert trace["traceEvents"]


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="mknod needs root")
@pytest.mark.parametrize("name, args", [
    ("nul.json", ("run", "cpu-ddr5", "tcn", "--trace", "nul.json")),
    ("nul.csv", (*COMPARE, "-o", "nul.csv")),
    ("nul.parquet", ("sweep", "cpu-ddr5", "-w", "tcn", "--param", "processor.cores=8,16",
                     "--engine", "analytic", "--workers", "1", "-q", "-o", "nul.parquet")),
])
def test_device_node_output_stays_a_device(tmp_path, name, args):
    """A private copy of /dev/null (char 1:3) stays a character device."""
    os.mknod(tmp_path / name, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    p = cimsim(*args, cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert stat.S_ISCHR(os.lstat(tmp_path / name).st_mode)
