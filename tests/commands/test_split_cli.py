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


def test_every_cut_refused_with_a_figure_is_not_a_traceback(tmp_path):
    wl = tmp_path / "tiny.json"
    save_workload(tiny(), wl)
    small = ["memory.dram.capacity=1KiB", "memory.sram.capacity=512B"]
    res = invoke("split", "cpu-ddr5", "cpu-ddr5", "-w", wl, "--link", "uplink=1Mb/s",
                 *[a for s in small for a in ("--edge-set", s)], *[a for s in small for a in ("--server-set", s)],
                 "--figure", tmp_path / "bad.png", "-o", tmp_path / "bad.csv")
    assert res.exit_code == 0 and "Traceback" not in res.output, res.output
    assert "5 cut(s) not run (n/a: 5 do not fit)" in res.output
    assert (tmp_path / "bad.png").stat().st_size > 0
    df = pd.read_csv(tmp_path / "bad.csv")
    assert df[C.ERROR].str.contains(": does not fit: ").all()


def test_the_table_names_what_it_was_run_on(tmp_path):
    wl = tmp_path / "tiny.json"
    save_workload(tiny(), wl)
    res = invoke("split", "cpu-ddr5", "gpu-hbm3", "-w", wl, "--edge-set", "processor.cores=2", "--link",
                 "name=r,uplink=8kb/s,downlink=16kb/s,latency=100ms,tx_energy=1nJ/bit,rx_energy=0.5nJ/bit",
                 "--cut-dtype", "fp16", "-o", tmp_path / "t.csv")
    assert res.exit_code == 0, res.output
    row = pd.read_csv(tmp_path / "t.csv").set_index(C.SPLIT_CUT).loc[2]
    assert row[C.WORKLOAD] == "tiny" and row[C.SPLIT_SERVER_CONFIG] == "gpu-hbm3"
    assert row[C.SPLIT_EDGE_CONFIG] == "cpu-ddr5 [processor.cores=2]"
    assert row[C.UPLINK_BANDWIDTH] == pytest.approx(1000, rel=1e-12, abs=0)    # 8 kb/s = 1000 B/s
    assert row[C.DOWNLINK_BANDWIDTH] == pytest.approx(2000, rel=1e-12, abs=0)
    assert row[C.LINK_LATENCY_S] == pytest.approx(0.1, rel=1e-12, abs=0)
    assert row[C.TX_ENERGY_J_PER_BIT] == pytest.approx(1e-9, rel=1e-12, abs=0)
    assert row[C.RX_ENERGY_J_PER_BIT] == pytest.approx(0.5e-9, rel=1e-12, abs=0)
    assert row[C.CUT_DTYPE] == "fp16" and row[C.SPLIT_TENSOR_NAMES] == "h1; h2"
    # h1 and h2 at fp16: 2 x 50 x 2 B; recomputed from the row alone: bytes / rate + latency
    assert row[C.UPLINK_BYTES] == 200
    assert row[C.UPLINK_S] == pytest.approx(row[C.UPLINK_BYTES] / row[C.UPLINK_BANDWIDTH]
                                            + row[C.LINK_LATENCY_S], rel=1e-12, abs=0)
    assert column_unit(C.TX_ENERGY_J_PER_BIT) == "J/bit" and column_unit(C.EDGE_WAIT_J) == "J"


def test_bandwidth_rates_that_round_alike_get_names_of_their_own(tmp_path):
    wl = tmp_path / "tiny.json"
    save_workload(tiny(), wl)
    res = invoke("split", "cpu-ddr5", "gpu-hbm3", "-w", wl, "--link", "name=w,uplink=1Mb/s",
                 "--bandwidth", "1Mb/s,1.0004Mb/s")
    assert res.exit_code == 0, res.output
    assert "link w@1 Mb/s" in res.output and "link w@1.0004 Mb/s" in res.output


def test_a_refused_edge_override_names_edge_set_and_bandwidth_stands_for_uplink(tmp_path):
    # (find-C 6) split has --edge-set / --server-set, no --set: the refusal names the option typed
    wl = tmp_path / "tiny.json"
    save_workload(tiny(), wl)
    res = invoke("split", "cpu-ddr5", "gpu-hbm3", "-w", wl, "--link", "uplink=1Mb/s",
                 "--edge-set", "memory.nosuch.capacity=1MiB")
    assert res.exit_code != 0 and "--edge-set memory.nosuch" in res.output, res.output
    assert "--set memory" not in res.output.replace("--edge-set", "").replace("--server-set", "")
    res = invoke("split", "cpu-ddr5", "gpu-hbm3", "-w", wl, "--link", "uplink=1Mb/s",
                 "--server-set", "bogus")
    assert res.exit_code != 0 and "--server-set 'bogus': expected PATH=VALUE" in res.output, res.output
    # --bandwidth gives the uplink rate: a link without uplink= runs at each
    res = invoke("split", "cpu-ddr5", "gpu-hbm3", "-w", wl, "--link", "name=mipi,latency=1ms",
                 "--bandwidth", "8kb/s", "-o", tmp_path / "b.csv")
    assert res.exit_code == 0, res.output
    df = pd.read_csv(tmp_path / "b.csv")
    assert set(df[C.SPLIT_LINK]) == {"mipi@8 kb/s"} and (df[C.UPLINK_BANDWIDTH] == 1000).all()
    res = invoke("split", "cpu-ddr5", "gpu-hbm3", "-w", wl, "--link", "name=mipi,latency=1ms")
    assert res.exit_code != 0 and "no uplink rate" in res.output  # without --bandwidth: still needed


def test_period_adds_a_frames_energy_and_says_which_cuts_are_too_slow(tmp_path):
    # (find-C 1) cut 0 sends x (400 B) at 1000 B/s + 100 ms: 0.5 s, longer than a 4 Hz frame
    wl = tmp_path / "tiny.json"
    save_workload(tiny(), wl)
    res = invoke("split", "cpu-ddr5", "gpu-hbm3", "-w", wl, "--link", "name=lte,uplink=8kb/s,latency=100ms",
                 "--period", "4Hz", "-o", tmp_path / "p.csv", width="250")
    assert res.exit_code == 0, res.output
    assert "edge E/period" in res.output and "too slow" in res.output and "(4 Hz)" in res.output
    df = pd.read_csv(tmp_path / "p.csv")
    assert not df[df[C.SPLIT_CUT] == 0].iloc[0][C.SUSTAINS_PERIOD] and (df[C.PERIOD_S] == 0.25).all()
    res = invoke("split", "cpu-ddr5", "gpu-hbm3", "-w", wl, "--link", "uplink=8kb/s", "--period", "fast")
    assert res.exit_code != 0 and "--period 'fast'" in res.output and "Traceback" not in res.output, res.output
