"""``cimsim compare --weights``: the expected and worst rows over workloads that are the paths of
one model, one trace per exit (find-L4 1, the part of find-F 2 that sweep alone had)."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

from cimsim.cli import main

MIB = 1024 * 1024  # one 1024 x 1024 GEMV's MACs


@pytest.fixture
def exits(tmp_path, monkeypatch):
    """exit1, exit2, exit4: chains of 1, 2 and 4 GEMVs of 1024 x 1024 (k x 2^20 MACs)."""
    monkeypatch.chdir(tmp_path)
    for k in (1, 2, 4):
        r = CliRunner().invoke(main, ["workload", "gemv", "--k", "1024", "--n", "1024", "--count", str(k),
                                      "--chain", "-o", f"exit{k}.json", "--name", f"exit{k}"])
        assert r.exit_code == 0, r.output
    return ["-w", "exit1.json", "-w", "exit2.json", "-w", "exit4.json"]


def test_compare_prints_and_writes_the_expected_and_worst_rows(exits):
    r = CliRunner().invoke(main, ["compare", "cpu-ddr5", *exits, "--engine", "analytic", "-o", "all.csv",
                                  "--weights", "workload=exit1.json:0.5,exit2:0.25,exit4.json:0.25",
                                  "--expected-csv", "out/e.csv"])
    assert r.exit_code == 0, r.output
    t = pd.read_csv("out/e.csv").set_index("case")
    # E[MACs] = (0.5 x 1 + 0.25 x 2 + 0.25 x 4) x 2^20 = 2 x 2^20; the worst path is the longest chain
    assert t.loc["expected", "macs"] == 2 * MIB and t.loc["worst", "macs"] == 4 * MIB
    rows = pd.read_csv("all.csv").set_index("workload")
    lat = rows["latency_s"]
    want = 0.5 * lat["exit1"] + 0.25 * lat["exit2"] + 0.25 * lat["exit4"]
    assert t.loc["expected", "latency_s"] == pytest.approx(want, rel=1e-12, abs=0)
    assert t.loc["expected", "samples_per_s"] == pytest.approx(1 / want, rel=1e-12, abs=0)
    assert t.loc["worst", "of"] == "workload=exit4"
    assert "expected architecture=cpu-ddr5: latency_s" in r.output


@pytest.mark.parametrize("spec, words", [
    ("workload=exit1.json:0.5,exit2.json:0.5", "workload exit4 has no probability"),
    ("workload=exit1.json:0.5,exit2:0.25,nope:0.25", "nope is no workload of this compare"),
    ("cim.adc.bits=4:1", "compare weights its workloads"),
    ("workload=exit1.json:0.5", "sum to 0.5"),
])
def test_a_spec_compare_cannot_take_is_refused_before_any_run(exits, spec, words):
    r = CliRunner().invoke(main, ["compare", "cpu-ddr5", *exits, "--engine", "analytic", "-o", "all.csv",
                                  "--weights", spec])
    assert r.exit_code == 2 and words in r.output and "Traceback" not in r.output, r.output
    assert "\n" not in r.output.strip() and not pd.io.common.file_exists("all.csv")


def test_one_workload_named_twice_is_refused(exits):
    """review L45 1: exit2 and exit2.json are one workload; the last one won (P summed to 0.5)."""
    r = CliRunner().invoke(main, ["compare", "cpu-ddr5", "-w", "exit1.json", "-w", "exit2.json", "--engine",
                                  "analytic", "--weights", "workload=exit1.json:0.5,exit2:0.5,exit2.json:0"])
    assert r.exit_code == 2 and "workload exit2 given twice (exit2 and exit2.json)" in r.output, r.output
    assert "\n" not in r.output.strip() and "expected" not in r.output


@pytest.mark.parametrize("how", ["./exit1.json", "abs"])
def test_the_same_file_written_another_way_is_that_workload(exits, tmp_path, how):
    """review L45 4: -w ./exit1.json (or its absolute path) is weighted as exit1.json."""
    w = str(tmp_path / "exit1.json") if how == "abs" else how
    r = CliRunner().invoke(main, ["compare", "cpu-ddr5", "-w", w, "-w", "exit2.json", "--engine", "analytic",
                                  "-o", "all.csv", "--weights", "workload=exit1.json:0.5,exit2.json:0.5"])
    assert r.exit_code == 0, r.output
    lat = pd.read_csv("all.csv").set_index("workload")["latency_s"]
    # E[latency] = 0.5 x lat(exit1) + 0.5 x lat(exit2)
    want = 0.5 * lat["exit1"] + 0.5 * lat["exit2"]
    assert f"latency_s {want:.6g}" in r.output, r.output
