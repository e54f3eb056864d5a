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
def test_one_workload_or_another_generator_adds_no_column_and_a_missing_value_is_said(tmp_path):
    """One file: nothing differs, no column. A TCN beside an LSTM steps sweep: the column is the
    LSTMs' steps (the only key in which files of one generator differ); the TCN, alone of its
    generator, has none there (not its own steps 1,024: that is no point of the LSTM's sweep),
    and plot names its row as left out (find-X 2)."""
    one = sweep("cpu-ddr5", [_lstm(tmp_path, 10)], [], engine="analytic", workers=1)
    assert not [c for c in one.columns if c.startswith("workload.")]
    assert one.attrs["cimsim_workload_params"] == []
    out = tmp_path / "mix.parquet"
    df = sweep("cpu-ddr5", [_lstm(tmp_path, 10), _lstm(tmp_path, 20), "tcn"], [], engine="analytic",
               workers=1, output=out)
    assert df.attrs["cimsim_workload_params"] == ["workload.steps"]
    assert [c for c in df.columns if c.startswith("workload.")] == ["workload.steps"]
    assert df["workload.steps"].tolist()[:2] == [10, 20] and pd.isna(df["workload.steps"].iloc[2])
    res = CliRunner().invoke(plot_command, [str(out), "-o", str(tmp_path / "f"), "--format", "png",
                                            "--no-roofline"])
    assert res.exit_code == 0, res.output
    assert "note: 1 of 3 rows have no workload.steps (generator tcn does not vary it: tcn)" in res.output
    assert (tmp_path / "f" / "mix-latency.png").is_file()


def test_different_generators_are_not_a_swept_parameter(tmp_path):
    """lstm, gru and tcn, one file each: no workload.* column (r12 made nine, workload.generator
    among them, and plot drew latency against lstm / gru / tcn as a line, find-X 2); plot draws
    what it drew before the columns existed: the energy breakdown and the roofline only."""
    out = tmp_path / "sw2.parquet"
    df = sweep("cpu-ddr5", ["lstm", "gru", "tcn"], [], engine="analytic", workers=1, output=out)
    assert not [c for c in df.columns if c.startswith("workload.")]
    assert df.attrs["cimsim_workload_params"] == []
    assert pd.read_parquet(out).attrs["cimsim_workload_params"] == []
    figs = tmp_path / "p2"
    res = CliRunner().invoke(plot_command, [str(out), "-o", str(figs), "--format", "png"])
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in figs.iterdir()) == ["sw2-energy_breakdown.png", "sw2-roofline.png"]


def test_columns_are_keys_in_which_files_of_one_generator_differ():
    """Grouped by generator (a traced zoo model by its zoo name): a key is a column when two
    files of one group differ in it, its cells those of such groups; a key one file of a
    group lacks is not compared; the generator is never a column."""
    from cimsim.sweep.shape import shape_of, varying_columns

    meta = {
        "l10": {"generator": "lstm", "params": {"steps": 10, "hidden": 64}},
        "l20": {"generator": "lstm", "params": {"steps": 20, "hidden": 64}},
        "g1": {"generator": "gru", "params": {"steps": 5, "hidden": 32}},
        "g2": {"generator": "gru", "params": {"steps": 5}},  # no hidden: not a difference
        "z1": {"zoo": {"name": "vgg8"}, "params": {"batch": 1}},
        "z4": {"zoo": {"name": "vgg8"}, "params": {"batch": 4}},
        "t": {"generator": "tcn", "params": {"steps": 1024, "channels": 8}},
    }
    cols = varying_columns({k: shape_of(m) for k, m in meta.items()})
    assert list(cols["l10"]) == ["workload.steps", "workload.batch"]
    assert [cols[k]["workload.steps"] for k in meta] == [10, 20, None, None, None, None, None]
    assert [cols[k]["workload.batch"] for k in meta] == [None, None, None, None, 1, 4, None]
    one_each = {k: shape_of(meta[k]) for k in ("l10", "g1", "t")}
    assert varying_columns(one_each) == {"l10": {}, "g1": {}, "t": {}}


def _gru(tmp_path, t: int) -> str:
    path = tmp_path / f"g{t}.json"
    res = CliRunner().invoke(main, ["workload", "gru", "--input-size", "64", "--hidden", "64",
                                    "--steps", str(t), "-o", str(path)])
    assert res.exit_code == 0, res.output
    return str(path)


def test_two_generators_swept_in_one_key_are_two_panels(tmp_path):
    """LSTM and GRU files at T = 10, 20 share workload.steps (the generator is no column), and
    each generator's files are a panel of their own, one line each: not one line through four
    points with two at each x."""
    files = [_lstm(tmp_path, 10), _lstm(tmp_path, 20), _gru(tmp_path, 10), _gru(tmp_path, 20)]
    out = tmp_path / "lg.parquet"
    df = sweep("cpu-ddr5", files, [], engine="analytic", workers=1, output=out)
    assert df.attrs["cimsim_workload_params"] == ["workload.steps"]
    stored = pd.read_parquet(out)
    assert list(stored.attrs["cimsim_workload_groups"].values()) == ["lstm", "lstm", "gru", "gru"]
    fig = latency_vs_param(stored, "workload.steps")
    assert [ax.get_title() for ax in fig.axes] == ["lstm-L1-I64-H64-B1-fp32-layer", "gru-L1-I64-H64-B1-fp32-layer"]
    for ax, rows in zip(fig.axes, (stored.iloc[:2], stored.iloc[2:])):
        (line,) = [l for l in ax.get_lines() if not l.get_label().startswith("_")]
        np.testing.assert_array_equal(line.get_xdata(), [10, 20])
        np.testing.assert_allclose(line.get_ydata(), rows["latency_s"], rtol=1e-12)
