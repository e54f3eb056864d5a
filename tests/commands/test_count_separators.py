"""Counts the CLI prints carry thousands separators, as `trace`'s MACs and the README's figures do
(issue: `wrote ...: 274093 ops`, `realised critical path 274093 ops`, `(1009 in decode)` and
`20000 rows: 20000 computed` right after a plan line `= 20,000 runs`)."""

from __future__ import annotations

import json

import pandas as pd
from click.testing import CliRunner

from cimsim.cli import main
from cimsim.report.format import rate
from cimsim.sweep.runner import describe_run


def test_sweep_summary_separates_thousands():
    df = pd.DataFrame({"x": range(20_000)})
    df.attrs.update(computed=18_500, reused=1_500)
    assert describe_run(df) == "20,000 rows: 18,500 computed, 1,500 already done, 0 with errors"


def test_a_four_digit_rate_separates_thousands():
    assert rate(1009.4) == "1,009"  # 4 significant digits
    assert rate(358.34) == "358.3"
    # 9,999.6 to 4 significant digits is 10,000: the whole number, not 1e+04
    assert rate(9999.6) == "10,000"
    assert rate(14_700.2) == "14,700"


def test_workload_and_run_counts_separate_thousands(tmp_path):
    # an LSTM of 1 layer over 600 steps: per step a recurrent matmul and a cell op, plus the input
    # projection and the concatenation of the outputs: 2 x 600 + 2 = 1,202 ops
    path = tmp_path / "l.npz"
    r = CliRunner().invoke(main, ["workload", "lstm", "--input-size", "8", "--hidden", "8", "--layers", "1",
                                  "--steps", "600", "-o", str(path)])
    assert r.exit_code == 0, r.output
    assert ": 1,202 ops," in r.output
    res = CliRunner(env={"COLUMNS": "200"}).invoke(main, ["run", "gpu-hbm3", str(path), "--engine", "analytic"])
    assert res.exit_code == 0, res.output
    d = json.loads(CliRunner().invoke(main, ["run", "gpu-hbm3", str(path), "--engine", "analytic",
                                             "--json"]).stdout)
    assert d["ops"] == 1_202 and d["critical_path_ops"] >= 1_000
    assert f"over {d['critical_path_ops']:,} ops" in res.output and "," in f"{d['critical_path_ops']:,}"
    assert "1,202 ops, throughput" in res.output
