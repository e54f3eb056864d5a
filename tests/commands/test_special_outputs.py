"""Outputs that are not regular files. Every output went through a temporary file renamed onto
the path, which replaced a symlink, a device node or a FIFO by a regular file: as root,
`cimsim run ... --trace /dev/stdout` replaced the container's `/dev/stdout` (a tester, 2026-12-05). Now a
symlink's target is replaced and the link stays; a device or FIFO is written into directly.

Nothing here touches the real `/dev`: the links and nodes are made in `tmp_path` (a device node
needs root, CAP_MKNOD and a mount without `nodev`: skipped otherwise), and a link to
`/proc/self/fd/1` is the CLI subprocess's own stdout, a pipe this test reads (skipped without
/proc)."""

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


def test_output_into_a_fifo_whose_reader_leaves_ends_with_141(tmp_path):
    """`-o ff.json` a named pipe whose reader reads 20 bytes and closes it, as `| head -c 20`
    does stdout: status 141 and nothing on stderr, as for a cut stdout (it was `Error: cannot
    write ff.json: Broken pipe`, status 1). The workload file is over twice the 64 KiB pipe
    buffer, so the writer is still writing when the reader leaves (review 2, item 2)."""
    gen = ("workload", "lstm", "--input-size", "64", "--hidden", "64", "--steps", "200", "-o")
    p = cimsim(*gen, "whole.json", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert (tmp_path / "whole.json").stat().st_size > 2 * 65536
    fifo = tmp_path / "ff.json"
    os.mkfifo(fifo)
    got = []

    def head():
        with open(fifo, "rb") as f:
            got.append(f.read(20))

    reader = threading.Thread(target=head, daemon=True)
    reader.start()
    p = cimsim(*gen, "ff.json", cwd=tmp_path)
    reader.join(timeout=60)
    assert got == [b'{"format":"cimsim-wo']
    assert (p.returncode, p.stderr) == (141, "")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="no /proc/self/fd on this host")
def test_trace_into_a_link_to_stdout_reaches_stdout(tmp_path):
    """`--trace so.json` with `so.json -> /proc/self/fd/1`: what `--trace /dev/stdout` is."""
    (tmp_path / "so.json").symlink_to("/proc/self/fd/1")
    p = cimsim("run", "cpu-ddr5", "tcn", "--trace", "so.json", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert os.readlink(tmp_path / "so.json") == "/proc/self/fd/1"
    start = p.stdout.index('{"traceEvents"')
    trace, _ = json.JSONDecoder().raw_decode(p.stdout[start:])
    assert trace["traceEvents"]


@pytest.fixture
def null_nodes(tmp_path):
    """Make private copies of /dev/null (char 1:3) in ``tmp_path``, or skip where this host
    cannot: mknod needs root and CAP_MKNOD (a rootless or ``--cap-drop MKNOD`` container refuses
    it even as uid 0), and a ``nodev`` mount makes the node but refuses to open it (EACCES).
    A probe node is made and opened first (review 2, item 3)."""
    if not hasattr(os, "mknod") or not hasattr(os, "makedev"):
        pytest.skip("no os.mknod on this platform")

    def make(path: Path) -> None:
        os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 3))

    probe = tmp_path / ".probe"
    try:
        make(probe)
        with open(probe, "w") as f:
            f.write("x")
    except OSError as exc:  # PermissionError included
        pytest.skip(f"cannot make and open a device node here: {exc}")
    finally:
        if probe.exists() or probe.is_symlink():
            probe.unlink()
    return make


@pytest.mark.parametrize("name, args", [
    ("nul.json", ("run", "cpu-ddr5", "tcn", "--trace", "nul.json")),
    ("nul.csv", (*COMPARE, "-o", "nul.csv")),
    ("nul.parquet", ("sweep", "cpu-ddr5", "-w", "tcn", "--param", "processor.cores=8,16",
                     "--engine", "analytic", "--workers", "1", "-q", "-o", "nul.parquet")),
])
def test_device_node_output_stays_a_device(tmp_path, null_nodes, name, args):
    """A private copy of /dev/null (char 1:3) stays a character device."""
    null_nodes(tmp_path / name)
    p = cimsim(*args, cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert stat.S_ISCHR(os.lstat(tmp_path / name).st_mode)
