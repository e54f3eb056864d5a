"""File names whose bytes are not UTF-8 (a tester, 2026-12-06): `caf\\xe9.yaml` in Latin-1 runs
with `cimsim run`, but `sweep`, `compare -o` and `report` ended in a pyarrow
UnicodeEncodeError traceback (Python keeps the byte as a lone surrogate, which Parquet, JSON and
CSV writers refuse), and so did a sweep whose -o name was such a name. Now the recorded paths
spell the byte `\\xe9` and the files are opened by Python, not by pyarrow's path encoder."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from cimsim.bundled import resolve_config
from cimsim.cli import main
from cimsim.inputs import path_text

pytestmark = pytest.mark.skipif(sys.platform == "win32" or os.fsencode("\udce9") != b"\xe9",
                                reason="needs a POSIX file system taking any bytes")


SRC = str(Path(__file__).resolve().parents[2] / "src")


def cimsim(*args) -> subprocess.CompletedProcess:
    """The real CLI: its stdout, not a test capture, decides how a surrogate is printed."""
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run([sys.executable, "-m", "cimsim", *map(str, args)], env=env,
                          capture_output=True, timeout=300)


@pytest.fixture
def latin1_config(tmp_path):
    name = tmp_path / os.fsdecode(b"caf\xe9.yaml")
    shutil.copy(resolve_config("cpu-ddr5"), name)
    return name


def test_path_text_spells_undecodable_bytes_and_keeps_utf8():
    assert path_text(os.fsdecode(b"/x/caf\xe9.yaml")) == "/x/caf\\xe9.yaml"
    assert path_text("/x/café ü.yaml") == "/x/café ü.yaml"


def test_sweep_compare_and_run_record_a_latin1_config_name(latin1_config, tmp_path):
    out = tmp_path / os.fsdecode(b"r\xe9s.parquet")  # the -o name has such a byte too
    p = cimsim("sweep", latin1_config, "-w", "lstm", "--engine", "analytic", "-q",
               "--param", "memory.dram.bandwidth=25GB/s,50GB/s", "-o", out, "--csv", tmp_path / "s.csv")
    assert p.returncode == 0 and b"Traceback" not in p.stderr, p.stderr[-2000:]
    with open(out, "rb") as f:
        df = pd.read_parquet(f)
    assert df["config_file"].tolist() == [path_text(str(latin1_config))] * 2
    assert list(df.attrs["cimsim_configs"]) == [path_text(str(latin1_config))]
    assert df.attrs["cimsim_configs"][path_text(str(latin1_config))]["path"].endswith("caf\\xe9.yaml")
    # a rerun resumes from that file: nothing computed again
    p = cimsim("sweep", latin1_config, "-w", "lstm", "--engine", "analytic",
               "--param", "memory.dram.bandwidth=25GB/s,50GB/s", "-o", out)
    assert p.returncode == 0 and b"0 computed, 2 already done" in p.stdout + p.stderr, p.stderr
    r = CliRunner().invoke(main, ["compare", str(latin1_config), "-w", "lstm", "--engine", "analytic",
                                  "-o", str(tmp_path / "c.csv")])
    assert r.exit_code == 0, r.output
    assert pd.read_csv(tmp_path / "c.csv")["config_path"].iloc[0].endswith("caf\\xe9.yaml")
    r = CliRunner().invoke(main, ["run", str(latin1_config), "lstm", "--engine", "analytic", "--json"])
    assert r.exit_code == 0
    assert json.loads(r.stdout)["config_path"].endswith("caf\\xe9.yaml")
