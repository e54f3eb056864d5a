"""``cimsim sweep --points FILE.csv``: explicit design points, one per row (find-J, finding 5).

A grid over ``cim.rows`` x ``cim.rows_per_read`` spends points on pairs that cannot exist
(rows_per_read above rows); a points file names just the designs wanted. Each row is one
point with the identity a grid gives the same values, so a resumed sweep reuses it, and a bad
file is one line naming the file, the row and the column.
"""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from cimsim.cli import main
from cimsim.sweep import ERROR, POINT_ID, sweep
from cimsim.sweep.params import SweepSpecError
from cimsim.sweep.points import PointsError, read_points
from cimsim.sweep.runner import plan_sweep

ROWS = [(64, 16), (128, 32), (256, 64)]


@pytest.fixture
def points_csv(tmp_path):
    path = tmp_path / "points.csv"
    path.write_text("cim.rows,cim.rows_per_read\n" + "".join(f"{r},{p}\n" for r, p in ROWS))
    return path


def _sweep(points_csv, out, chain_json, *extra):
    return CliRunner().invoke(main, ["sweep", "rram-cim", "-w", str(chain_json), "--points",
                                     str(points_csv), *map(str, extra), "--engine", "analytic",
                                     "--workers", "1", "-q", "-o", str(out)])


def test_three_rows_are_three_points_and_a_rerun_reuses_them(tmp_path, points_csv, chain_json):
    out = tmp_path / "p.parquet"
    res = _sweep(points_csv, out, chain_json)
    assert res.exit_code == 0, res.output
    assert "3 rows: 3 computed, 0 already done, 0 with errors" in res.output
    import pandas as pd

    df = pd.read_parquet(out)
    assert list(zip(df["cim.rows"], df["cim.rows_per_read"])) == ROWS  # the rows, in order
    assert df[ERROR].isna().all()
    again = _sweep(points_csv, out, chain_json)
    assert again.exit_code == 0, again.output
    assert "3 rows: 0 computed, 3 already done" in again.output


def test_a_point_has_the_identity_of_the_same_values_in_a_grid(tmp_path, points_csv, chain_json):
    grid = sweep("rram-cim", str(chain_json), ["cim.rows=128", "cim.rows_per_read=32"],
                 engine="analytic", workers=1)
    pts = sweep("rram-cim", str(chain_json), points=points_csv, engine="analytic", workers=1)
    assert grid[POINT_ID].iloc[0] == pts[POINT_ID].iloc[1]
    assert grid["latency_s"].iloc[0] == pts["latency_s"].iloc[1]


def test_a_param_grid_is_crossed_with_every_row(points_csv, chain_json):
    plan = plan_sweep("rram-cim", str(chain_json), ["cim.adc.bits=4,6"], points=points_csv)
    assert plan.points == 3 * 2
    assert [(p["cim.rows"], p["cim.adc.bits"]) for p in plan.sampled][:2] == [(64, 4), (64, 6)]


def test_units_in_cells_are_read_as_param_values(tmp_path):
    path = tmp_path / "v.csv"
    path.write_text("technology.voltage,memory.dram.bandwidth\n0.8V,300GB/s\n900mV,1TB/s\n")
    specs, points = read_points(path)
    assert points == [{"technology.voltage": 0.8, "memory.dram.bandwidth": 300e9},
                      {"technology.voltage": 0.9, "memory.dram.bandwidth": 1e12}]
    assert [s.unit for s in specs] == ["V", "B/s"]


@pytest.mark.parametrize("text, said", [
    ("cim.rows,cim.rows_per_reed\n64,16\n", "column cim.rows_per_reed: 'cim.rows_per_reed' is not a "
     "field"),
    ("cim.rows,technology.voltage\n64,0.9V\n128,0.9\n", "row 2 (line 3), column technology.voltage: "
     "technology.voltage is a quantity in V"),
    ("cim.rows,cim.rows_per_read\n64,16\n6x4,16\n", "row 2 (line 3), column cim.rows: '6x4' is not a whole number"),
    ("cim.rows,cim.rows_per_read\n64,16\n128\n", "row 2 (line 3) has 1 cells; the header has 2"),
    ("cim.rows,cim.rows\n64,64\n", "column cim.rows appears twice"),
    ("cim.rows\n", "a header and no rows"),
])
def test_a_bad_file_is_one_line_naming_file_row_and_column(tmp_path, chain_json, text, said):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(PointsError) as info:
        read_points(path)
    assert said in str(info.value) and str(info.value).startswith(f"points={str(path)!r}")  # Python's name
    res = _sweep(path, tmp_path / "x.parquet", chain_json)
    assert res.exit_code == 1
    assert res.output.count("\n") == 1 and said in res.output, res.output
    assert not (tmp_path / "x.parquet").exists()


def test_a_misspelt_column_suggests_the_field(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("cim.rows_per_reed\n16\n")
    with pytest.raises(PointsError, match="did you mean 'cim.rows_per_read'"):
        read_points(path)


def test_points_and_a_sampler_or_the_same_column_twice_are_refused(points_csv, chain_json):
    with pytest.raises(SweepSpecError, match="^points= is a list of design points; sample='lhs' draws points"):
        plan_sweep("rram-cim", str(chain_json), ["cim.adc.bits=4..8:lin"], sample="lhs", samples=4,
                   points=points_csv)
    with pytest.raises(SweepSpecError, match="cim.rows is both a column of points="):
        plan_sweep("rram-cim", str(chain_json), ["cim.rows=64,128"], points=points_csv)


def test_a_column_no_config_has_is_worded_for_the_file(tmp_path, chain_json):
    path = tmp_path / "p.csv"
    path.write_text("cim.rows\n64\n")
    with pytest.raises(SweepSpecError, match=re.escape(f"points={str(path)!r}: column cim.rows: not a field of config cpu-ddr5")):
        plan_sweep("cpu-ddr5", str(chain_json), points=path)
