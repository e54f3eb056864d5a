"""``cimsim sweep --set`` reads its values as ``cimsim run --set`` does (review B 1, 2; X 3, 4):
a list value is one value, and a refused value is named as the ``--set`` the user typed."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "hw"))

from cimsim.cli import main  # noqa: E402
from cimsim.workload.io import save_workload  # noqa: E402
from test_cim_chips import IO, arch_dict, chain, files  # noqa: E402,F401 (files: a fixture)




def _sweep(files, tmp_path, *args):
    cfg, wl = files
    return CliRunner().invoke(main, ["sweep", str(cfg), "-w", str(wl), "--workers", "1", "-q",
                                     *args, "-o", str(tmp_path / "s.parquet"),
                                     "--csv", str(tmp_path / "s.csv")])


def test_a_list_value_is_one_value_as_run_takes_it(files, tmp_path):
    """Chips of 32 arrays, 16 a matrix: mm0-mm1 on chip 0, mm2-mm3 on chip 1, so op 1's output
    (4 x 256 int8 = 1,024 B) crosses c2c. With mm2 and mm3 (weights B2, B3) kept off the arrays
    (cim.exclude=[B2,B3], a list with a ',') only chip 0 is used: 0 B cross, at both widths."""
    base = _sweep(files, tmp_path, "--set", "cim.chips=2", "--param", "cim.input_bits=8")
    assert base.exit_code == 0, base.output
    assert pd.read_csv(tmp_path / "s.csv")["c2c_bytes"].tolist() == [IO]
    (tmp_path / "s.parquet").unlink()
    ok = _sweep(files, tmp_path, "--set", "cim.chips=2", "--set", "cim.exclude=[B2,B3]",
                "--param", "cim.input_bits=4,8")
    assert ok.exit_code == 0, ok.output
    df = pd.read_csv(tmp_path / "s.csv")
    assert df["cim.exclude"].tolist() == ["[B2,B3]"] * 2
    assert df["c2c_bytes"].tolist() == [0, 0]


@pytest.mark.parametrize("args, says", [
    (["--set", "nope.x=3"], "Error: --set nope.x=3: 'nope' is not a section"),
    (["--set", "cim.chips=abc"], "Error: --set cim.chips=abc: cim.chips: expected a number"),
    (["--set", "cim.chips=1,2"], "Error: --set cim.chips=1,2: cim.chips:"),
    (["--set", "cim.chips=2", "--param", "cim.chips=1,2"], "cim.chips is also swept by --param"),
])
def test_a_refused_set_names_set_not_param(files, tmp_path, args, says):
    bad = _sweep(files, tmp_path, *args, "--dry-run")
    last = bad.output.strip().splitlines()[-1]
    assert bad.exit_code != 0 and "Traceback" not in bad.output
    assert last.startswith(says) or says in last, last
    assert "--param nope" not in last and "a spec is" not in last


def test_a_set_that_is_also_a_points_column_names_both(files, tmp_path):
    pts = tmp_path / "pts.csv"
    pts.write_text("cim.chips,cim.input_bits\n2,4\n")
    bad = _sweep(files, tmp_path, "--set", "cim.chips=2", "--points", str(pts), "--dry-run")
    assert bad.exit_code != 0
    assert bad.output.strip().splitlines()[-1] == (
        f"Error: --set cim.chips=2: cim.chips is also a column of --points {pts}; give it in one "
        "place (--set for every point, the column per point)")
