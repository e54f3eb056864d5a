"""`cimsim split`: the table, -o CSV / Parquet with unit-named columns, --bandwidth, --figure, and
one-line errors."""

import sys
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from cimsim.cli import main
from cimsim.report import columns as C
from cimsim.report.column_docs import column_unit
from cimsim.workload import save_workload
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "split"))
from split_cases import tiny  # noqa: E402  (tests/split/split_cases.py)


def invoke(*args, width="200"):
    return CliRunner(env={"COLUMNS": width}).invoke(main, [str(a) for a in args])


def test_table_csv_parquet_and_figure(tmp_path):
    wl = tmp_path / "tiny.json"
    save_workload(tiny(), wl)
    res = invoke("split", "cpu-ddr5", "gpu-hbm3", "-w", wl, "--link",
                 "name=lte,uplink=8kb/s,latency=100ms,tx_energy=1nJ/bit", "--bandwidth", "8kb/s,80kb/s",
                 "-o", tmp_path / "s.csv", "--figure", tmp_path / "s.png")
    assert res.exit_code == 0, res.output
    assert "lte@8 kb/s" in res.output and "lte@80 kb/s" in res.output
    assert "best for latency: cut" in res.output and "400 B" in res.output
    df = pd.read_csv(tmp_path / "s.csv")
    assert list(df.columns) == [*C.SPLIT_COLUMNS, C.ERROR]
    assert len(df) == 2 * 5  # two rates x the cuts 0..4
    slow = df[(df[C.SPLIT_LINK] == "lte@8 kb/s") & (df[C.SPLIT_CUT] == 2)].iloc[0]
    assert slow[C.UPLINK_S] == pytest.approx(400 / 1000 + 0.1, rel=1e-12, abs=0)  # 400 B at 1000 B/s + 100 ms
    assert column_unit(C.UPLINK_BANDWIDTH) == "B/s" and column_unit(C.EDGE_RADIO_J) == "J"
    assert (tmp_path / "s.png").stat().st_size > 0
    res = invoke("split", "cpu-ddr5", "gpu-hbm3", "-w", wl, "--link", "uplink=1Mb/s",
                 "--cut-dtype", "int8", "-o", tmp_path / "s.parquet")
    assert res.exit_code == 0, res.output
    assert pd.read_parquet(tmp_path / "s.parquet")[C.UPLINK_BYTES].tolist() == [100, 50, 100, 50, 0]


def test_narrow_terminal_keeps_the_totals(tmp_path):
    wl = tmp_path / "tiny.json"
    save_workload(tiny(), wl)
    res = invoke("split", "cpu-ddr5", "gpu-hbm3", "-w", wl, "--link", "uplink=1Mb/s", width="90")
    assert res.exit_code == 0, res.output
    assert all(len(line) <= 90 for line in res.output.splitlines())
    assert "edge+radio+wait E" in res.output and "edge radio" not in res.output


def test_bad_input_is_one_line(tmp_path):
    wl = tmp_path / "tiny.json"
    save_workload(tiny(), wl)
    for args, message in [
        (["--link", "uplink=1Mbps"], "did you mean 'Mb/s'"),
        (["--link", "uplink=1Mb/s", "--after", "zz*"], "--after 'zz*': no op of workload 'tiny'"),
        (["--link", "uplink=1Mb/s", "-o", tmp_path / "x.xlsx"], "must end in .csv or .parquet"),
        (["--link", "uplink=1Mb/s", "--bandwidth", "fast"], "--bandwidth fast"),
        (["--link", "uplink=1Mb/s", "--link", "uplink=2Mb/s,name=uplink=1Mb/s"], "two links are named"),
    ]:
        res = invoke("split", "cpu-ddr5", "gpu-hbm3", "-w", wl, *args)
        assert res.exit_code != 0
        assert message in res.output and "Traceback" not in res.output
        assert len(res.output.strip().splitlines()) == 1, res.output
