"""``cimsim sweep --weights``: the expected and worst rows of a sweep over alternative paths
(find-F 2: an early exit's expected cost was weighted by hand)."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

from cimsim.cli import main
from cimsim.sweep.expected import WeightsError, expected_table, parse_weights


def _rows(n=1):
    # an early exit whose path k costs k x (10 us, 2 mJ, 1,000 MACs) on one config, 3 x that on another
    return pd.DataFrame({
        "config_file": ["a"] * 3 + ["b"] * 3, "architecture": ["a"] * 3 + ["b"] * 3,
        "workload.exit_at": [1, 2, 3] * 2,
        "latency_s": [10e-6, 20e-6, 30e-6, 30e-6, 60e-6, 90e-6],
        "energy_j": [2e-3, 4e-3, 6e-3, 6e-3, 12e-3, 18e-3],
        "macs": [1000, 2000, 3000] * 2, "ops": [3, 6, 9] * 2, "samples_per_run": [n] * 6})


def test_expected_and_worst_rows_are_the_weighted_sums():
    col, w = parse_weights("workload.exit_at=1:0.6,2:0.3,3:0.1")
    t = expected_table(_rows(), col, w).set_index(["config_file", "case"])
    # E[k] = 0.6 + 0.6 + 0.3 = 1.5 paths' worth
    e = t.loc[("a", "expected")]
    assert e["latency_s"] == pytest.approx(15e-6, rel=1e-6, abs=0) and e["energy_j"] == pytest.approx(3e-3, rel=1e-6, abs=0)
    assert e["macs"] == pytest.approx(1500, rel=1e-6, abs=0) and e["ops"] == pytest.approx(4.5, rel=1e-6, abs=0)
    assert e["samples_per_s"] == pytest.approx(1 / 15e-6, rel=1e-6, abs=0)  # the rate of the mean latency
    assert t.loc[("b", "expected")]["latency_s"] == pytest.approx(45e-6, rel=1e-6, abs=0)
    worst = t.loc[("a", "worst")]
    assert worst["latency_s"] == pytest.approx(30e-6, rel=1e-6, abs=0) and worst["of"] == "workload.exit_at=3"


@pytest.mark.parametrize("spec,words", [
    ("workload.exit_at", "COLUMN=VALUE:P"),
    ("workload.exit_at=1:0.6,2:0.3", "sum to 0.9"),
    ("workload.exit_at=1:0.6,1:0.4", "given twice"),
    ("workload.exit_at=1:1.5,2:-0.5", "within 0..1"),
    ("workload.exit_at=1:x", "not a number"),
])
def test_bad_specs_are_refused_in_one_line(spec, words):
    with pytest.raises(WeightsError, match=words):
        parse_weights(spec)


def test_a_path_without_probability_or_a_column_the_rows_lack_is_refused():
    with pytest.raises(WeightsError, match="values 3 have no probability"):
        expected_table(_rows(), "workload.exit_at", {"1": 0.5, "2": 0.5})
    with pytest.raises(WeightsError, match="have a probability but no row"):
        expected_table(_rows(), "workload.exit_at", {"1": 0.5, "2": 0.25, "3": 0.125, "4": 0.125})
    with pytest.raises(WeightsError, match="no column 'workload.k'"):
        expected_table(_rows(), "workload.k", {"1": 1.0})


def test_cli_bad_spec_is_refused_before_the_sweep(tmp_path):
    r = CliRunner().invoke(main, ["sweep", "sram-cim", "-w", "lstm", "-o", str(tmp_path / "s.parquet"),
                                  "--weights", "workload=lstm:0.5"])
    assert r.exit_code == 2 and "sum to 0.5" in r.output and "Traceback" not in r.output
    assert not (tmp_path / "s.parquet").exists()


@pytest.mark.slow
def test_cli_prints_and_writes_the_expected_rows(tmp_path):
    out, csv = tmp_path / "s.parquet", tmp_path / "e.csv"
    r = CliRunner().invoke(main, ["sweep", "sram-cim", "-w", "lstm", "-w", "gru", "-o", str(out), "-q",
                                  "--weights", "workload=lstm:0.25,gru:0.75", "--expected-csv", str(csv)])
    assert r.exit_code == 0, r.output
    rows = pd.read_parquet(out).set_index("workload")
    t = pd.read_csv(csv).set_index("case")
    want = 0.25 * rows.loc["lstm", "latency_s"] + 0.75 * rows.loc["gru", "latency_s"]
    assert t.loc["expected", "latency_s"] == pytest.approx(want, rel=1e-12, abs=0)
    assert t.loc["worst", "latency_s"] == pytest.approx(rows["latency_s"].max(), rel=1e-12, abs=0)
    assert "expected config_file=sram-cim" in r.output


def test_spec_values_match_the_rows_numerically():
    # (review F 2): '1.0' is the rows' 1: E[lat] = 0.6 x 10 us + 0.4 x 20 us = 14 us on config a
    col, w = parse_weights("workload.exit_at=1.0:0.6,2e0:0.4,3.00:0")
    assert w == {"1": 0.6, "2": 0.4, "3": 0.0}
    t = expected_table(_rows(), col, w).set_index(["config_file", "case"])
    assert t.loc[("a", "expected")]["latency_s"] == pytest.approx(14e-6, rel=1e-6, abs=0)
    with pytest.raises(WeightsError, match="given twice"):
        parse_weights("workload.exit_at=1:0.5,1.0:0.5")


@pytest.mark.parametrize("args,words", [
    (["-o", "z.parquet", "--expected-csv", "z.parquet"], "that is -o z.parquet"),
    (["-o", "z.csv", "--expected-csv", "z.csv"], "that is the CSV copy z.csv"),
    (["-o", "q.parquet", "--csv", "y.csv", "--expected-csv", "./y.csv"], "that is the CSV copy y.csv"),
])
def test_expected_csv_that_is_the_sweeps_own_file_is_refused(tmp_path, monkeypatch, args, words):
    # (review A 1, review X 1): it overwrote the resumable table or its CSV copy
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(main, ["sweep", "sram-cim", "-w", "lstm", "--weights", "workload=lstm:1", *args])
    assert r.exit_code == 2 and words in r.output and "Traceback" not in r.output
    assert list(tmp_path.iterdir()) == []


def test_weights_column_or_value_without_rows_is_refused_before_any_run(tmp_path):
    # (review F 3, review X 2): the planned points are checked; nothing is written
    out = tmp_path / "w.parquet"
    for spec, words in (("cim.adc.bits=4:0.5,5:0.5", "values 5 have a probability but no row"),
                        ("cim.adc.bit=4:1", "no column 'cim.adc.bit'")):
        r = CliRunner().invoke(main, ["sweep", "sram-cim-derived", "-w", "lstm", "--set", "cim.adc.bits=4",
                                      "--weights", spec, "-o", str(out)])
        assert r.exit_code == 1 and words in r.output, r.output
        assert not out.exists()


def test_expected_lines_print_swept_quantities_with_their_units(capsys):
    # review X 7: memory.dram.bandwidth=307200000000.0 was printed in bare SI
    from cimsim.commands.sweep import _expected

    df = _rows()
    df["memory.dram.bandwidth"] = 307.2e9  # 307.2 x 1e9 B/s = 307.2 GB/s
    df["cim.adc.bits"] = 4.0  # a count: no unit, written as the spec writes it
    df.attrs["cimsim_units"] = {"memory.dram.bandwidth": "B/s", "cim.adc.bits": ""}
    _expected(df, *parse_weights("workload.exit_at=1:0.6,2:0.3,3:0.1"), None)
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("expected config_file=a memory.dram.bandwidth=307.2 GB/s cim.adc.bits=4: "
                             "latency_s 1.5e-05,")
    assert "307200000000" not in "\n".join(out)


@pytest.mark.parametrize("spec", ["workload=exit1:0.5,exit2:0.5", "workload=exit1.json:0.5,exit2.json:0.5"])
def test_workloads_of_different_shapes_are_weighted_per_swept_point(tmp_path, monkeypatch, spec):
    """review L45 5: two -w chains of 1 and 2 GEMVs (workload.count 1 vs 2) were split into groups
    of one workload each by their shape column and refused; a -w file name was refused too."""
    monkeypatch.chdir(tmp_path)
    for k in (1, 2):
        r = CliRunner().invoke(main, ["workload", "gemv", "--k", "64", "--n", "64", "--count", str(k), "--chain",
                                      "-o", f"exit{k}.json", "--name", f"exit{k}"])
        assert r.exit_code == 0, r.output
    r = CliRunner().invoke(main, ["sweep", "cpu-ddr5", "-w", "exit1.json", "-w", "exit2.json", "--engine",
                                  "analytic", "-q", "--param", "memory.dram.bandwidth=100GB/s,307.2GB/s",
                                  "-o", "s.parquet", "--weights", spec, "--expected-csv", "e.csv"])
    assert r.exit_code == 0, r.output
    rows = pd.read_parquet("s.parquet")
    t = pd.read_csv("e.csv")
    exp = t[t["case"] == "expected"].set_index("memory.dram.bandwidth")
    assert len(exp) == 2  # one expected row per bandwidth, over both workloads
    for bw, g in rows.groupby("memory.dram.bandwidth"):
        lat = g.set_index("workload")["latency_s"]
        # E[latency] = 0.5 x lat(exit1) + 0.5 x lat(exit2); E[MACs] = (0.5 x 1 + 0.5 x 2) x 64 x 64
        assert exp.loc[bw, "latency_s"] == pytest.approx(0.5 * lat["exit1"] + 0.5 * lat["exit2"], rel=1e-12, abs=0)
        assert exp.loc[bw, "macs"] == 1.5 * 64 * 64


def test_one_workload_named_twice_in_sweep_weights_is_refused():
    df = pd.DataFrame({"config_file": ["c", "c"], "architecture": ["a", "a"], "workload": ["exit1", "exit2"],
                       "workload_file": ["exit1.json", "exit2.json"], "latency_s": [1.0, 2.0],
                       "energy_j": [1.0, 1.0], "macs": [1, 2]})
    with pytest.raises(WeightsError, match="workload exit1 given twice"):
        expected_table(df, "workload", {"exit1.json": 0.5, "exit1": 0.5})
