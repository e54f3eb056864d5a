"""A sweep over generated workloads of several shapes (one `-w` file per T) has a column per
`metadata.params` key that differs between the files (`workload.steps`), and `cimsim plot`
draws against it as against a swept config field (find-K finding 6: `--param` took config
fields only and no figure could be drawn against T, H, B or N)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import cimsim
from cimsim.cli import main
from cimsim.commands.plot import plot_command
from cimsim.config import load_architecture
from cimsim.plot import latency_vs_param
from cimsim.sweep import sweep
from cimsim.sweep.columns import param_columns
from cimsim.workload import load_workload

STEPS = (10, 20, 40)


def _lstm(tmp_path, t: int, schedule: str = "layer") -> str:
    path = tmp_path / f"{schedule[0]}{t}.json"
    res = CliRunner().invoke(main, ["workload", "lstm", "--input-size", "64", "--hidden", "64",
                                    "--steps", str(t), "--schedule", schedule, "-o", str(path)])
    assert res.exit_code == 0, res.output
    return str(path)


def _latency(df: pd.DataFrame, schedule: str | None = None) -> dict[int, float]:
    rows = df if schedule is None else df[df["workload.schedule"] == schedule]
    return {int(t): float(l) for t, l in zip(rows["workload.steps"], rows["latency_s"])}


def _xproj_s(path: str) -> float:
    """The one input-projection op's time (all T rows of x times W_ih at once)."""
    ot = cimsim.simulate(load_architecture("cpu-ddr5"), load_workload(path), engine="analytic").op_table
    return float(ot.loc[ot["op"] == "l0.xproj", "duration_s"].iloc[0])


@pytest.mark.slow
def test_an_lstm_steps_sweep_has_workload_steps_and_latency_linear_in_t(tmp_path):
    files = [_lstm(tmp_path, t) for t in STEPS]
    out = tmp_path / "st.parquet"
    df = sweep("cpu-ddr5", files, [], engine="analytic", workers=1, output=out)
    assert df["workload.steps"].tolist() == list(STEPS)
    # only the key that differs: input_size, hidden, layers, schedule ... are the same in all
    assert [c for c in df.columns if c.startswith("workload.")] == ["workload.steps"]
    assert df.attrs["cimsim_workload_params"] == ["workload.steps"]
    assert df.attrs["cimsim_units"]["workload.steps"] == ""  # a count: bare
    assert param_columns(df) == ["workload.steps"]
    stored = pd.read_parquet(out)
    assert stored["workload.steps"].tolist() == list(STEPS)
    assert stored.attrs["cimsim_workload_params"] == ["workload.steps"]
    # the recurrent chain is 2T ops of the same time each, and the output concat reads T
    # vectors: both linear in T. The one input projection (T rows x W_ih in one matmul) is the
    # only op whose time is not a line in T (the few-row matmul model), so the second
    # difference of the latency is exactly that op's
    L, X = _latency(df), {t: _xproj_s(f) for t, f in zip(STEPS, files)}
    assert (L[40] - L[20]) - 2 * (L[20] - L[10]) == pytest.approx(
        (X[40] - X[20]) - 2 * (X[20] - X[10]), rel=1e-9, abs=0)
    # the wavefront schedule has an input projection per step: the latency is a line in T
    wf = sweep("cpu-ddr5", [_lstm(tmp_path, t, "wavefront") for t in STEPS], [], engine="analytic",
               workers=1)
    W = _latency(wf)
    assert W[40] - W[20] == pytest.approx(2 * (W[20] - W[10]), rel=1e-12, abs=0)


def test_plot_draws_latency_against_workload_steps_a_line_per_family(tmp_path):
    """Two schedules x three T: one panel, a line per architecture and schedule (the family of
    workloads that differ only in steps), x = 10, 20, 40; each line's y the rows' latency."""
    files = [_lstm(tmp_path, t, s) for s in ("layer", "wavefront") for t in STEPS]
    out = tmp_path / "fam.parquet"
    df = sweep("cpu-ddr5", files, [], engine="analytic", workers=1, output=out)
    assert df.attrs["cimsim_workload_params"] == ["workload.steps", "workload.schedule"]
    figs = tmp_path / "figs"
    res = CliRunner().invoke(plot_command, [str(out), "-o", str(figs), "--format", "png", "--no-roofline"])
    assert res.exit_code == 0, res.output
    assert (figs / "fam-latency.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    fig = latency_vs_param(pd.read_parquet(out), "workload.steps")
    (ax,) = fig.axes
    assert ax.get_xlabel() == "workload.steps"
    assert ax.get_title() == "lstm-L1-I64-H64-B1-fp32"  # what the six names share
    lines = {l.get_label(): l for l in ax.get_lines() if not l.get_label().startswith("_")}
    assert set(lines) == {"cpu-ddr5, workload.schedule = layer", "cpu-ddr5, workload.schedule = wavefront"}
    for s in ("layer", "wavefront"):
        line = lines[f"cpu-ddr5, workload.schedule = {s}"]
        np.testing.assert_array_equal(line.get_xdata(), list(STEPS))
        np.testing.assert_allclose(line.get_ydata(), [_latency(df, s)[t] for t in STEPS], rtol=1e-12)


def test_a_sweep_file_without_workload_columns_resumes_and_gets_them(tmp_path):
    """A sweep file written before the columns existed (no workload.steps, no attr): its rows
    are reused (the same points) and the rewritten table has the column from the files."""
    files = [_lstm(tmp_path, t) for t in STEPS]
    out = tmp_path / "old.parquet"
    sweep("cpu-ddr5", files, [], engine="analytic", workers=1, output=out)
    old = pd.read_parquet(out).drop(columns=["workload.steps"])
    old.attrs.pop("cimsim_workload_params")
    old.attrs["cimsim_units"].pop("workload.steps")
    old.to_parquet(out, index=False)
    df = sweep("cpu-ddr5", files, [], engine="analytic", workers=1, output=out)
    assert (df.attrs["computed"], df.attrs["reused"]) == (0, 3)
    assert df["workload.steps"].tolist() == list(STEPS)
    assert pd.read_parquet(out)["workload.steps"].tolist() == list(STEPS)


@pytest.mark.slow
def test_one_workload_or_unparametrised_ones_add_no_column_and_a_missing_value_is_said(tmp_path):
    """One file: nothing differs, no column. A bundled workload beside generated ones has other
    params: each differing key is a column, and plot names the rows without a value."""
    one = sweep("cpu-ddr5", [_lstm(tmp_path, 10)], [], engine="analytic", workers=1)
    assert not [c for c in one.columns if c.startswith("workload.")]
    assert one.attrs["cimsim_workload_params"] == []
    out = tmp_path / "mix.parquet"
    df = sweep("cpu-ddr5", [_lstm(tmp_path, 10), _lstm(tmp_path, 20), "tcn"], [], engine="analytic",
               workers=1, output=out)
    assert df["workload.generator"].tolist() == ["lstm", "lstm", "tcn"]
    assert df["workload.hidden"].isna().tolist() == [False, False, True]
    res = CliRunner().invoke(plot_command, [str(out), "-o", str(tmp_path / "f"), "--format", "png",
                                            "--no-roofline", "--param", "workload.hidden"])
    assert res.exit_code == 0, res.output
    assert "note: 1 of 3 rows have no workload.hidden (their workload records none: tcn)" in res.output
