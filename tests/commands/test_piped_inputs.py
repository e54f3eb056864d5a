"""A config or workload given as a pipe (a shell's ``<(...)``, ``/dev/stdin``; find-L 2): a pipe
gives its bytes once, so cimsim reads each such file once and parses, hashes and checks those
bytes. Before, the config was read again for its hash (``run`` / ``compare`` recorded the
SHA-256 of the empty string, e3b0c442...), and ``sweep`` / ``fields -c`` read it again to parse
(``the file is empty``). Real pipes (``/dev/fd/N`` of ``os.pipe()``, as bash's ``<(...)``
gives), real CLI runs; the hashes checked against hashlib over the file's bytes."""

from __future__ import annotations

import hashlib
import json
import os

import pandas as pd
import pytest
from click.testing import CliRunner

from cimsim import bundled
from cimsim.cli import main
from cimsim.config import load_architecture

EMPTY = hashlib.sha256(b"").hexdigest()


@pytest.fixture
def piped():
    """``piped(data)``: a ``/dev/fd/N`` path reading ``data`` from a pipe whose writer closed
    (what ``<(cat FILE)`` hands a command), closed after the test."""
    fds = []

    def make(data: bytes) -> str:
        r, w = os.pipe()
        os.write(w, data)  # under the pipe buffer (64 KiB): the write does not block
        os.close(w)
        fds.append(r)
        return f"/dev/fd/{r}"
    yield make
    for fd in fds:
        os.close(fd)


def small_workload(tmp_path) -> bytes:
    """A workload file under the pipe buffer (64 KiB): a two-step LSTM."""
    path = tmp_path / "w.json"
    invoke("workload", "lstm", "--input-size", 16, "--hidden", 16, "--layers", 1, "--steps", 2,
           "-o", path)
    return path.read_bytes()


def invoke(*args):
    res = CliRunner(env={"COLUMNS": "200"}).invoke(main, [str(a) for a in args])
    assert res.exit_code == 0, res.output
    return res


def test_api_config_from_a_pipe_is_hashed_from_the_bytes_it_parsed(piped):
    raw = bundled.resolve_config("cpu-ddr5").read_bytes()
    arch = load_architecture(piped(raw))
    assert arch.name == "cpu-ddr5"
    assert arch.source.sha256 == hashlib.sha256(raw).hexdigest() != EMPTY


def test_run_and_compare_record_the_piped_files_hashes(piped, tmp_path):
    raw = bundled.resolve_config("cpu-ddr5").read_bytes()
    wl = small_workload(tmp_path)
    out = json.loads(invoke("run", piped(raw), piped(wl), "--engine", "analytic", "--json").output)
    assert out["config_sha256"] == hashlib.sha256(raw).hexdigest()
    assert out["workload_sha256"] == hashlib.sha256(wl).hexdigest()
    csv = tmp_path / "c.csv"
    invoke("compare", piped(raw), "-w", piped(wl), "--engine", "analytic", "-o", csv)
    row = pd.read_csv(csv).iloc[0]
    assert (row.config_sha256, row.workload_sha256) == (hashlib.sha256(raw).hexdigest(),
                                                        hashlib.sha256(wl).hexdigest())


def test_sweep_and_fields_parse_a_piped_config(piped, tmp_path):
    raw = bundled.resolve_config("cpu-ddr5").read_bytes()
    out, wl = tmp_path / "s.parquet", tmp_path / "w.json"
    small_workload(tmp_path)
    invoke("sweep", piped(raw), "-w", wl, "--engine", "analytic", "--workers", 1,
           "--param", "memory.dram.bandwidth=100GB/s,200GB/s", "-o", out)
    assert len(pd.read_parquet(out)) == 2
    res = invoke("fields", "-c", piped(raw), "memory.dram.bandwidth")
    assert "307.2 GB/s" in res.output and "does not load" not in res.output


def test_two_pipes_at_one_path_are_read_each():
    """The bytes are kept by the pipe, not by the path: a later pipe given the same
    /dev/fd number is read anew (a long-lived process, a test suite)."""
    names = []
    for config in ("cpu-ddr5", "gpu-hbm3"):
        r, w = os.pipe()  # the lowest free descriptors: the second pipe reuses the first's
        os.write(w, bundled.resolve_config(config).read_bytes())
        os.close(w)
        try:
            names.append((f"/dev/fd/{r}", load_architecture(f"/dev/fd/{r}").name))
        finally:
            os.close(r)
    assert [n for _, n in names] == ["cpu-ddr5", "gpu-hbm3"]
