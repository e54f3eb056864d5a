"""A sweep records each config's absolute path and SHA-256, and ``cimsim plot`` draws the
roofline only from that file, unchanged (sweep fixes, bug 4).

The sweep stored ``config_file`` as given (``my.yaml``); ``cimsim plot`` run from another folder
drew the roofline from whatever ``my.yaml`` was there, or from none.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from cimsim import bundled
from cimsim.commands.plot import plot_command
from cimsim.errors import CimsimError
from cimsim.studies import sweep_config_files
from cimsim.sweep import sweep
from cimsim.sweep.columns import ATTR_CONFIGS
from cimsim.workload import Op, Tensor, Workload, save_workload


@pytest.fixture
def swept(tmp_path, monkeypatch) -> tuple[Path, Path]:
    """A 2-point sweep of a config named relatively (my.yaml, a copy of cpu-ddr5) in tmp/a."""
    here = tmp_path / "a"
    here.mkdir()
    monkeypatch.chdir(here)
    Path("my.yaml").write_bytes(bundled.resolve_config("cpu-ddr5").read_bytes())
    tensors = [Tensor("x", (1, 16), "fp32", "input"), Tensor("w0", (16, 16), "fp32", "weight"),
               Tensor("h0", (1, 16), "fp32", "activation")]
    save_workload(Workload("one", tensors, [Op("mm0", "matmul", ("x", "w0"), ("h0",), m=1, k=16, n=16,
                                               weight="w0")]), here / "one.json")
    out = here / "s.parquet"
    sweep("my.yaml", str(here / "one.json"), ["memory.dram.bandwidth=10GB/s,20GB/s"], engine="analytic",
          workers=1, output=out)
    return here / "my.yaml", out


def test_the_sweep_records_the_config_path_and_hash(swept, tmp_path, monkeypatch):
    config, out = swept
    df = pd.read_parquet(out)
    assert set(df["config_file"]) == {"my.yaml"}  # the column keeps the name as given
    want = {"path": str(config), "sha256": hashlib.sha256(config.read_bytes()).hexdigest()}
    assert df.attrs[ATTR_CONFIGS] == {"my.yaml": want}
    assert os.path.isabs(want["path"])
    # from another folder with another my.yaml, the recorded file is the one used
    other = tmp_path / "b"
    other.mkdir()
    (other / "my.yaml").write_bytes(bundled.resolve_config("gpu-hbm3").read_bytes())
    monkeypatch.chdir(other)
    assert sweep_config_files(df) == ({"my.yaml": config}, None)


def test_a_changed_or_missing_config_skips_the_roofline(swept, tmp_path):
    config, out = swept
    df = pd.read_parquet(out)
    config.write_bytes(config.read_bytes() + b"\n# edited\n")
    with pytest.raises(CimsimError, match=rf"^the config file changed since the sweep \({config}\)$"):
        sweep_config_files(df)
    res = CliRunner().invoke(plot_command, [str(out), "-o", str(tmp_path / "figs"), "--format", "png"])
    assert res.exit_code == 0, res.output
    changed = f"the config file changed since the sweep ({config})"
    assert res.stderr.splitlines() == [f"note: {changed}: no TDP line in the power figure",
                                       f"skipped the roofline: {changed}"]
    assert (tmp_path / "figs" / "s-power.png").exists()  # the power figure is drawn, without a line
    assert not (tmp_path / "figs" / "s-roofline.png").exists()
    assert (tmp_path / "figs" / "s-latency.png").exists()
    config.unlink()
    with pytest.raises(CimsimError, match=rf"^config my.yaml: {config} cannot be read \("):
        sweep_config_files(df)


def test_an_old_sweep_without_a_hash_resolves_the_name_with_a_note(swept, tmp_path):
    config, out = swept
    df = pd.read_parquet(out)
    del df.attrs[ATTR_CONFIGS]  # as a sweep written before the record
    old = tmp_path / "old.parquet"
    df.to_parquet(old, index=False)
    paths, note = sweep_config_files(pd.read_parquet(old))
    assert list(paths) == ["my.yaml"] and paths["my.yaml"].resolve() == config
    assert note.startswith("the sweep records no config hash")


def test_a_changed_workload_skips_the_roofline_too(swept, tmp_path):
    """The workload is recorded as the config is: a workload file rewritten since the sweep would
    put another model's ops on the roofline (it was resolved by name, as found now)."""
    from cimsim.studies import sweep_workload_files
    from cimsim.sweep.columns import ATTR_WORKLOADS

    config, out = swept
    wl = config.parent / "one.json"
    df = pd.read_parquet(out)
    assert df.attrs[ATTR_WORKLOADS] == {str(wl): {"path": str(wl),
                                                  "sha256": hashlib.sha256(wl.read_bytes()).hexdigest()}}
    assert sweep_workload_files(df) == ({str(wl): wl}, None)
    wl.write_bytes(wl.read_bytes() + b"\n")
    res = CliRunner().invoke(plot_command, [str(out), "-o", str(tmp_path / "figs"), "--format", "png"])
    assert res.exit_code == 0, res.output
    assert res.stderr == f"skipped the roofline: the workload file changed since the sweep ({wl})\n"
    assert (tmp_path / "figs" / "s-latency.png").exists()
