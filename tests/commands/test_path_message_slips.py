"""Small message slips on paths (find-L 7), each one line through the real CLI: an output under a
file, named the same way by every command (``-o X: cannot write there (F is not a folder)``,
before a trace runs, not ``save_workload():``); ``calibrate -o`` under a file says so (not "its
directory does not exist"); a ``FILE.py`` spec without ``:FACTORY`` whose folder holds a ``:``;
a ``;``-separated points file; an unwritable HOME costs plots no matplotlib warning."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from cimsim.cli import main


def fails(*args) -> str:
    res = CliRunner().invoke(main, [str(a) for a in args])
    assert res.exit_code != 0 and "Traceback" not in res.output, res.output
    assert res.output.count("\n") == 1, res.output
    return res.output.strip()


@pytest.fixture
def afile(tmp_path):
    f = tmp_path / "afile"
    f.write_text("")
    return f


def test_workload_output_under_a_file(afile):
    out = afile / "l.json"
    assert fails("workload", "lstm", "--input-size", 8, "--hidden", 8, "--layers", 1, "--steps", 1,
                 "-o", out) == f"Error: -o {out}: cannot write there ({afile} is not a folder)"


def test_calibrate_output_under_a_file(afile):
    assert fails("calibrate", "-o", afile / "h.yaml") == (
        f"Error: cannot write {afile / 'h.yaml'}: {afile} is not a folder")


@pytest.mark.torch
def test_trace_output_under_a_file_is_refused_before_tracing(afile, tmp_path):
    pytest.importorskip("torch")
    model = tmp_path / "m.py"
    model.write_text("import torch\n\ndef f():\n    raise RuntimeError('traced')\n")
    out = afile / "t.json"
    assert fails("trace", f"{model}:f", "-o", out) == (
        f"Error: -o {out}: cannot write there ({afile} is not a folder)")


@pytest.mark.torch
def test_trace_spec_without_factory_in_a_folder_with_a_colon(tmp_path):
    pytest.importorskip("torch")
    folder = tmp_path / "a:b"
    folder.mkdir()
    spec = f"{folder}/net.py"
    assert fails("trace", spec, "-o", tmp_path / "t.json") == (
        f"Error: model spec '{spec}' names a file but no function: add :FACTORY (PATH.py:FACTORY)")


def test_semicolon_separated_points_file(tmp_path):
    pts = tmp_path / "p.csv"
    pts.write_text("memory.dram.bandwidth;processor.cores\n100GB/s;8\n")
    msg = fails("sweep", "cpu-ddr5", "-w", "lstm", "--points", pts, "-o", tmp_path / "s.parquet",
                "--dry-run")
    assert "holding ';': a points file is comma-separated" in msg


def test_plots_with_an_unwritable_home_print_no_matplotlib_warning(afile, tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("MPLCONFIGDIR", "XDG_CONFIG_HOME")}
    env["HOME"] = str(afile)  # a file: ~/.config/matplotlib cannot be made
    code = "import cimsim.plot, matplotlib, os; print(os.path.isdir(matplotlib.get_configdir()))"
    res = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert res.returncode == 0 and res.stdout.strip() == "True"
    assert res.stderr == ""


def test_plots_with_an_unwritable_cache_folder_print_no_warning_and_make_nothing(tmp_path):
    """review19 C 5: matplotlib also needs ~/.cache/matplotlib; a file at ~/.cache made it warn
    twice ("mkdir -p failed ...", "created a temporary cache directory"), and cimsim's check made
    ~/.config/matplotlib in HOME. Now the cache folder is tested too, and nothing is made."""
    home = tmp_path / "home"
    (home / ".config").mkdir(parents=True)
    (home / ".cache").write_text("")
    env = {k: v for k, v in os.environ.items() if k not in ("MPLCONFIGDIR", "XDG_CONFIG_HOME", "XDG_CACHE_HOME")}
    env["HOME"] = str(home)
    code = "import cimsim.plot, matplotlib; print(matplotlib.get_cachedir() == matplotlib.get_configdir())"
    res = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert res.returncode == 0 and res.stdout.strip() == "True"  # both in cimsim's temporary folder
    assert res.stderr == ""
    assert not (home / ".config" / "matplotlib").exists()
