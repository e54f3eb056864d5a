"""Speed-up and energy ratio against a chosen baseline (issue 21, item 16): closed-form ratios
of two results, in `cimsim compare --baseline` and in the report's table."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from cimsim import simulate
from cimsim.bundled import resolve_config, resolve_workload
from cimsim.cli import main
from cimsim.config import load_architecture
from cimsim.errors import CimsimError
from cimsim.report.baseline import baseline_ratios
from cimsim.report.result import Result
from cimsim.workload import load_workload


def _result(arch: str, workload: str, latency_s: float, energy: dict[str, float]) -> Result:
    return Result(workload=workload, architecture=arch, engine="des", latency_s=latency_s,
                  energy_breakdown_j=energy, utilization={}, bound="compute", bound_part="compute",
                  path_time_s={}, critical_path_s=latency_s, critical_path_ops=1, parallelism=1.0,
                  bound_memory_s=0.0, bound_compute_s=latency_s, macs=1, ops=1, samples=1,
                  traffic_bytes={}, weight_bytes=0, activation_bytes=0, ops_per_unit={}, facts={})


def test_ratios_are_baseline_latency_over_latency_and_energy_over_baseline_energy():
    """base: 8 s, 1 J + 0.5 J; fast: 2 s, 3 J -> speed-up 8 / 2 = 4, energy 3 / 1.5 = 2.
    Another workload is compared with the baseline's run of that workload only."""
    rs = [_result("base", "w", 8.0, {"dram": 1.0, "static": 0.5}),
          _result("fast", "w", 2.0, {"dram": 3.0}),
          _result("base", "v", 1.0, {"dram": 4.0}),
          _result("fast", "v", 4.0, {"dram": 1.0})]
    got = baseline_ratios(rs, "base")
    assert got[("w", "fast")] == (4.0, 2.0)
    assert got[("w", "base")] == (1.0, 1.0)
    assert got[("v", "fast")] == (0.25, 0.25)
    with pytest.raises(CimsimError, match="--baseline nope: no such architecture"):
        baseline_ratios(rs, "nope")


@pytest.fixture(scope="module")
def two():
    wl = load_workload(resolve_workload("gru"))
    return {n: simulate(load_architecture(resolve_config(n)), wl, keep_ops=False)
            for n in ("gpu-hbm3", "cpu-ddr5")}


def _num(cell: str) -> float:
    return float(re.match(r"^([\d.e+-]+)×", cell).group(1))


def test_cli_compare_baseline_columns(two):
    res = CliRunner().invoke(main, ["compare", "gpu-hbm3", "cpu-ddr5", "-w", "gru",
                                    "--baseline", "gpu-hbm3"])
    assert res.exit_code == 0, res.output
    assert "speed-up ×" in res.output and "energy ratio" in res.output
    assert "against gpu-hbm3" in res.output
    rows = {}
    for line in res.output.splitlines():
        cells = [c.strip() for c in line.strip("│ ").split("│")]
        if cells[0] == "gru":
            rows[cells[1]] = cells
    g, c = two["gpu-hbm3"], two["cpu-ddr5"]
    # workload, architecture, latency, energy, then the two ratios (kept first: find-A 4)
    assert [_num(x) for x in rows["gpu-hbm3"][4:6]] == [1.0, 1.0]
    assert _num(rows["cpu-ddr5"][4]) == pytest.approx(g.latency_s / c.latency_s, rel=5e-3, abs=0)
    assert _num(rows["cpu-ddr5"][5]) == pytest.approx(c.energy_j / g.energy_j, rel=5e-3, abs=0)


def test_cli_compare_unknown_baseline_is_one_line():
    res = CliRunner().invoke(main, ["compare", "gpu-hbm3", "-w", "gru", "--baseline", "tpu"])
    assert res.exit_code != 0 and "--baseline tpu" in res.output
    assert len(res.output.strip().splitlines()) == 1 and "Traceback" not in res.output


def test_report_table_has_the_ratio_columns(two, tmp_path):
    from cimsim.report.html import Report, _table_rows

    archs = [load_architecture(resolve_config(n)) for n in ("cpu-ddr5", "gpu-hbm3")]
    rep = Report(archs, [], [(a, None, two[a.name]) for a in archs], baseline="gpu-hbm3")
    heads, rows = _table_rows(rep)
    i, j = heads.index("speed-up vs gpu-hbm3"), heads.index("energy vs gpu-hbm3")
    g, c = two["gpu-hbm3"], two["cpu-ddr5"]
    assert _num(rows[0][i]) == pytest.approx(g.latency_s / c.latency_s, rel=5e-3, abs=0)
    assert _num(rows[0][j]) == pytest.approx(c.energy_j / g.energy_j, rel=5e-3, abs=0)
    assert rows[1][i] == rows[1][j] == "1×"


def test_the_csv_copies_carry_the_ratio_columns(tmp_path):
    """`compare --baseline X -o f.csv` and the report's results.csv carry the printed ratios (the
    CSVs had none): base 8 s / 1.5 J against 2 s / 3 J -> 4 and 2, by the arithmetic above, here
    on two real runs: speed-up = baseline latency / latency, energy ratio = energy / baseline's."""
    import pandas as pd

    out = tmp_path / "c.csv"
    res = CliRunner().invoke(main, ["compare", "gpu-hbm3", "cpu-ddr5", "-w", "gru", "--engine",
                                    "analytic", "--baseline", "cpu-ddr5", "-o", str(out)])
    assert res.exit_code == 0, res.output
    df = pd.read_csv(out)
    assert list(df.columns[:5]) == ["workload", "architecture", "baseline", "speedup_vs_baseline",
                                    "energy_ratio_vs_baseline"]
    by = df.set_index("architecture")
    assert (by["baseline"] == "cpu-ddr5").all()
    assert by.loc["cpu-ddr5", "speedup_vs_baseline"] == by.loc["cpu-ddr5", "energy_ratio_vs_baseline"] == 1.0
    assert by.loc["gpu-hbm3", "speedup_vs_baseline"] == pytest.approx(
        by.loc["cpu-ddr5", "latency_s"] / by.loc["gpu-hbm3", "latency_s"], rel=1e-12, abs=0)
    assert by.loc["gpu-hbm3", "energy_ratio_vs_baseline"] == pytest.approx(
        by.loc["gpu-hbm3", "energy_j"] / by.loc["cpu-ddr5", "energy_j"], rel=1e-12, abs=0)
    rep = tmp_path / "rep"
    res = CliRunner().invoke(main, ["report", "gpu-hbm3", "cpu-ddr5", "-w", "gru", "--engine",
                                    "analytic", "--no-timelines", "-o", str(rep)])
    assert res.exit_code == 0, res.output
    assert f"wrote {rep / 'results.csv'} (every result column, and the speed-up and energy ratio " \
           "against gpu-hbm3)" in res.output
    page = pd.read_csv(rep / "results.csv").set_index("architecture")
    assert page.loc["cpu-ddr5", "speedup_vs_baseline"] == pytest.approx(
        page.loc["gpu-hbm3", "latency_s"] / page.loc["cpu-ddr5", "latency_s"], rel=1e-12, abs=0)


def test_two_configs_of_one_name_are_refused(tmp_path):
    """A copied config with one field edited keeps its `name:`: the rows could not be told apart,
    every ratio was 1x (the baseline's run was looked up by name) and the report's second
    timeline overwrote the first. Now one line names both files; a file given twice is refused."""
    import shutil

    copy = tmp_path / "cpu-slow.yaml"
    shutil.copy(resolve_config("cpu-ddr5"), copy)
    for cmd in (["compare"], ["report", "-o", str(tmp_path / "r")]):
        res = CliRunner().invoke(main, [*cmd, "cpu-ddr5", str(copy), "-w", "gru", "--baseline", "cpu-ddr5"])
        assert res.exit_code == 1 and len(res.output.strip().splitlines()) == 1, res.output
        assert f"and {copy} are both named 'cpu-ddr5' (their name: field): results are keyed by " \
               "name; give each config its own name" in res.output
    res = CliRunner().invoke(main, ["compare", "cpu-ddr5", "cpu-ddr5", "-w", "gru"])
    assert res.exit_code == 1 and "is given twice" in res.output
    r = _result("a", "w", 1.0, {"dram": 1.0})
    with pytest.raises(CimsimError, match="two runs of workload 'w' on architectures named 'a'"):
        baseline_ratios([r, r], "a")
    with pytest.raises(CimsimError, match=r"takes Results \(simulate\(\)'s\), got a dict"):
        baseline_ratios([r.record()], "a")
