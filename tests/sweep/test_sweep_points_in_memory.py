"""``sweep(points=...)`` from an ask-tell optimizer (find-E 1, 2).

1. ``points=`` took only a CSV path: a DataFrame failed with Python's raw ``TypeError: expected
   str, bytes or os.PathLike object, not DataFrame``. It now also takes a DataFrame or a list of
   dicts (cells as a file's), and anything else is one ``PointsError`` line.
2. One repeated point (row 4 = row 1, written ``307.2GB/s,0.756V`` against ``307.2 GB/s,0.756 V``)
   refused the whole batch; ``params={'cim.adc.bits': [4, 4, 5]}`` was refused too. A repeated
   point now runs once, with a warning.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cimsim import CimsimWarning
from cimsim.sweep import POINT_ID, sweep
from cimsim.sweep.points import PointsError, parse_params, read_points


def test_a_dataframe_and_a_list_of_dicts_are_points_in_si_units():
    # 307.2 GB/s = 307.2e9 B/s; 756 mV = 0.756 V; an int64 cell is the count 1024
    frame = pd.DataFrame({"cim.arrays": np.array([1024], dtype=np.int64),
                          "memory.dram.bandwidth [GB/s]": [307.2], "technology.voltage": ["756mV"]})
    _, points = read_points(frame)
    assert points == [{"cim.arrays": 1024, "memory.dram.bandwidth": 307.2e9,
                       "technology.voltage": 0.756}]
    _, same = read_points([{"cim.arrays": 1024, "memory.dram.bandwidth": "307.2 GB/s",
                            "technology.voltage": np.str_("0.756 V")}])
    assert same == points


@pytest.mark.parametrize("bad, said", [
    (42, "points=<int>: points takes a CSV file's path, a pandas DataFrame or a list of dicts"),
    ([{"cim.adc.bits": 4}, {"cim.rows": 64}], "points=<list of 2 dicts>: row 1 has no 'cim.rows'"),
    ([{"cim.adc.bits": object()}], "row 1, column cim.adc.bits: a value of type object is not a cell"),
    (pd.DataFrame({"memory.dram.bandwidth": [3.072e11]}),
     "points=<DataFrame of 1 row>: row 1, column memory.dram.bandwidth: memory.dram.bandwidth is "
     "a quantity in B/s: '307200000000.0' has no unit"),
    (pd.DataFrame({"cim.adc.bits": [4.0, np.nan]}), "row 2, column cim.adc.bits: empty value"),
])
def test_anything_else_is_one_line(bad, said):
    with pytest.raises(PointsError) as info:
        read_points(bad)
    assert said in str(info.value) and "\n" not in str(info.value)


def test_a_repeated_row_is_one_point_however_its_units_are_written(tmp_path):
    path = tmp_path / "pts.csv"
    path.write_text("cim.adc.bits,memory.dram.bandwidth,technology.voltage\n"
                    "6,307.2 GB/s,0.756 V\n7,307.2 GB/s,0.756 V\n6,307.2GB/s,756mV\n")
    with pytest.warns(CimsimWarning, match=r"row 3 repeats row 1: the same point, run once; 2 "
                                           "distinct of 3 rows"):
        specs, points = read_points(path)
    assert [p["cim.adc.bits"] for p in points] == [6, 7]
    assert specs[0].values == (6, 7)


def test_a_list_repeating_a_value_runs_it_once():
    with pytest.warns(CimsimWarning, match=r"the list repeats 4 .*2 distinct of 3"):
        (spec,) = parse_params({"cim.adc.bits": [4, 4, 5]})
    assert spec.values == (4, 5)
    with pytest.warns(CimsimWarning, match="the list repeats 300GB/s, 0.3TB/s"):  # one value
        (spec,) = parse_params({"memory.dram.bandwidth": "300GB/s,0.3TB/s"})
    assert spec.values == (300e9,)


def test_a_repeat_warning_names_a_python_list_as_given():
    # review E 7: the warning showed [4, 4, 5] as the spec text '4,4,5'
    with pytest.warns(CimsimWarning) as got:
        parse_params({"cim.adc.bits": [4, 4, 5]})
    (w,) = got
    assert str(w.message).startswith("params={'cim.adc.bits': [4, 4, 5]}: the list repeats 4 ")
    with pytest.warns(CimsimWarning) as got:  # a string stays the string it was
        parse_params({"cim.adc.bits": "4,4,5"})
    assert str(got[0].message).startswith("params={'cim.adc.bits': '4,4,5'}: the list repeats 4 ")


def test_a_dataframe_sweep_runs_each_point_once_with_a_files_point_ids(tmp_path):
    path = tmp_path / "pts.csv"
    path.write_text("cim.adc.bits\n4\n5\n")
    from_file = sweep("sram-cim-derived", "lstm", points=path, engine="analytic", workers=1)
    with pytest.warns(CimsimWarning, match="row 3 repeats row 1"):
        got = sweep("sram-cim-derived", "lstm", points=pd.DataFrame({"cim.adc.bits": [4, 5, 4]}),
                    engine="analytic", workers=1)
    assert got["cim.adc.bits"].tolist() == [4, 5]
    assert got[POINT_ID].tolist() == from_file[POINT_ID].tolist()
    assert got["latency_s"].tolist() == from_file["latency_s"].tolist()
    assert got.attrs["cimsim_sampling"]["points"] == {"path": None, "sha256": None}


def test_a_value_whose_unit_scaling_is_inexact_in_binary_is_still_one_point():
    # review E 1: 700 mV = 700 x 1e-3 V = 0.7 V, but 700 * 1e-3 is 0.7000000000000001 as floats
    with pytest.warns(CimsimWarning, match=r"row 2 repeats row 1: .* 1 distinct of 2 rows"):
        _, points = read_points([{"technology.voltage": "0.7 V"}, {"technology.voltage": "700 mV"}])
    assert points == [{"technology.voltage": 0.7}]
    with pytest.warns(CimsimWarning, match=r"the list repeats 0.7V, 700mV .*1 distinct of 2"):
        (spec,) = parse_params({"technology.voltage": "0.7V,700mV"})
    assert spec.values == (0.7,)


def test_a_float32_column_is_the_decimal_it_prints_as():
    # review E 6: np.float32(0.8) is 0.800000011920929 as a float64; the proposal meant 0.8 V
    _, points = read_points(pd.DataFrame({"technology.voltage [V]": np.array([0.8], np.float32),
                                          "cim.adc.bits": np.array([4], np.int32)}))
    assert points == [{"technology.voltage": 0.8, "cim.adc.bits": 4}]


def test_an_si_float_in_the_fields_unit_is_kept_whole():
    # review E 1's rounding is for unit scaling only: a float in the SI unit (an optimizer's,
    # 17 significant digits) is that float, so a batch joins its results on exact values
    v = 0.12345678901234568
    _, points = read_points(pd.DataFrame({"technology.voltage [V]": [v]}))
    assert points[0]["technology.voltage"] == v


def test_a_repeat_warning_is_reported_at_the_callers_line():
    # review E 7: at a fixed depth it named cimsim's own lines (runner.py), which a caller's
    # warnings.filterwarnings(module=...) does not match
    with pytest.warns(CimsimWarning) as got:
        read_points([{"cim.adc.bits": 4}, {"cim.adc.bits": 4}])
        parse_params({"cim.adc.bits": [4, 4]})
    assert [w.filename for w in got] == [__file__, __file__]
