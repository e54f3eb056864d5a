"""A sweep at a stated load (left 21 1): ``cimsim sweep --period T --deadline D`` and
``sweep(period_s=, deadline_s=)`` give every row ``run --period``'s columns; a point too slow
for the period keeps its row with NaN period figures and a note; a resume at another period
never mixes its rows with the stored ones; ``cimsim plot`` draws the load figure.

Closed forms, on the round config with every memory energy 0: one 1 x 16 x 16 fp32 GEMV is
256 MACs x 4 pJ = 1.024 nJ of dynamic energy; the only static power is the processor's
``static_power`` (1 W or 2 W, swept). At one run every T = 500 µs the energy of a period is
P x T + 1.024 nJ (500.001024 µJ at 1 W, 1000.001024 µJ at 2 W), its average power
P + 1.024 nJ / 500 µs = P + 2.048 µW. ``processor.op_overhead`` 1 ms adds 1 ms to the latency
of the run's one op: longer than 500 µs, so those points are too slow for the period, and
their latency misses a 1 ms deadline by the 0-overhead latency.
"""

from __future__ import annotations

import copy
import math
import warnings

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from cimsim.cli import main
from cimsim.errors import CimsimError
from cimsim.report import columns as C
from cimsim.sweep import sweep
from cimsim.workload import save_workload
from conftest import ROUND_ARCH, gemv_workload

GRID = ["processor.static_power=1W,2W", "processor.op_overhead=0s,1ms"]
DYN_J = 256 * 4e-12  # 256 MACs x 4 pJ


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("load")
    d = copy.deepcopy(ROUND_ARCH)
    d["memory"]["sram"]["energy_per_byte"] = "0 pJ/B"
    d["memory"]["dram"]["energy_per_bit"] = "0 pJ/bit"
    cfg = folder / "round.yaml"
    cfg.write_text(yaml.safe_dump(d, sort_keys=False))  # levels in order
    wl = folder / "gemv.json"
    save_workload(gemv_workload(16, 16), wl)
    return cfg, wl


@pytest.fixture(scope="module")
def swept(files, tmp_path_factory):
    """The CLI sweep at 2 kHz (500 µs) against a 1 ms deadline: its output line and table."""
    cfg, wl = files
    out = tmp_path_factory.mktemp("s") / "s.parquet"
    res = CliRunner().invoke(main, ["sweep", str(cfg), "-w", str(wl), *sum((["--param", p] for p in GRID), []),
                                    "--period", "2kHz", "--deadline", "1ms", "--workers", "1", "-q",
                                    "-o", str(out), "--csv", str(out.with_suffix(".csv"))])
    assert res.exit_code == 0, res.output
    return res.output, out


def test_every_row_at_the_period_in_closed_form(swept):
    output, out = swept
    df = pd.read_parquet(out)
    fast = df[df["processor.op_overhead"] == 0].sort_values("processor.static_power")
    assert fast["processor.static_power"].tolist() == [1.0, 2.0]
    assert fast[C.PERIOD_S].tolist() == pytest.approx([500e-6] * 2, rel=1e-12, abs=0)
    assert fast[C.PERIOD_ENERGY_J].tolist() == pytest.approx([1.0 * 500e-6 + DYN_J, 2.0 * 500e-6 + DYN_J],
                                                             rel=1e-9, abs=0)
    assert fast[C.PERIOD_J_PER_SAMPLE].tolist() == pytest.approx(fast[C.PERIOD_ENERGY_J].tolist(), rel=1e-12, abs=0)
    assert fast[C.PERIOD_AVERAGE_POWER_W].tolist() == pytest.approx([1.0 + DYN_J / 500e-6, 2.0 + DYN_J / 500e-6],
                                                                    rel=1e-9, abs=0)
    # the same closed form from the row's own load-free columns (any row, any config)
    assert (fast[C.STATIC_POWER_W] * 500e-6 + fast[C.DYNAMIC_J_PER_SAMPLE]).tolist() == pytest.approx(
        fast[C.PERIOD_ENERGY_J].tolist(), rel=1e-9, abs=0)
    assert (fast[C.PERIOD_UTILIZATION] * 500e-6).tolist() == pytest.approx(fast[C.LATENCY].tolist(), rel=1e-9, abs=0)
    assert fast[C.MEETS_DEADLINE].tolist() == [True, True]
    assert (1e-3 - fast[C.LATENCY]).tolist() == pytest.approx(fast[C.DEADLINE_SLACK_S].tolist(), rel=1e-9, abs=0)
    # the CSV copy has the columns too
    csv = pd.read_csv(out.with_suffix(".csv"))
    assert csv[C.PERIOD_AVERAGE_POWER_W].notna().sum() == 2
    assert df.attrs["cimsim_sampling"]["period_s"] == pytest.approx(500e-6, rel=1e-12, abs=0)


def test_a_point_too_slow_for_the_period_keeps_its_row_with_nan_and_a_note(swept):
    output, out = swept
    df = pd.read_parquet(out)
    slow = df[df["processor.op_overhead"] > 0]  # 1 ms
    fast_latency = df.loc[df["processor.op_overhead"] == 0, C.LATENCY].iloc[0]
    assert len(slow) == 2 and slow[C.ERROR].isna().all()
    assert slow[C.PERIOD_S].tolist() == pytest.approx([500e-6] * 2, rel=1e-12, abs=0)  # the period stated
    for col in C.PERIOD_NAN_COLUMNS:
        assert slow[col].isna().all(), col
    assert slow[C.PERIOD_IDLE].tolist() == ["on", "on"]  # what the parts do: stated, not a figure
    assert slow[C.LATENCY].tolist() == pytest.approx([1e-3 + fast_latency] * 2, rel=1e-9, abs=0)
    assert slow[C.MEETS_DEADLINE].tolist() == [False, False]
    # find-Q 1: a 1 ms run every 500 µs queues without bound: no slack (was one run's, -fast_latency)
    assert slow[C.DEADLINE_SLACK_S].isna().all()
    for note in slow[C.NOTES]:
        assert "period 500 µs (2 kHz) is shorter than one run of gemv on round: " in note
        assert "its period columns are NaN" in note
    assert "4 rows: 4 computed, 0 already done, 0 with errors, 2 too slow for the period (NaN " \
           "period columns: see the rows' notes)" in output


@pytest.mark.slow  # two plots: ~8 s each on a shared 2-core machine
def test_plot_draws_the_load_figure(swept, tmp_path):
    _, out = swept
    res = CliRunner().invoke(main, ["plot", str(out), "--no-roofline", "--format", "png",
                                    "--param", "processor.static_power", "-o", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "s-load.png").is_file()
    # any period column is a column like the others: --where and --pareto take them
    res = CliRunner().invoke(main, ["plot", str(out), "--no-roofline", "--format", "png", "-o", str(tmp_path),
                                    "--where", "meets_deadline==true", "--pareto", str(tmp_path / "f.csv"),
                                    "--minimise", "period_average_power_w", "--minimise", "latency_s"])
    assert res.exit_code == 0, res.output
    front = pd.read_csv(tmp_path / "f.csv")
    assert front[C.PERIOD_AVERAGE_POWER_W].tolist() == pytest.approx([1.0 + DYN_J / 500e-6], rel=1e-9, abs=0)


def test_a_resume_at_another_period_never_mixes_rows(files, tmp_path):
    cfg, wl = files
    out = tmp_path / "r.parquet"
    args, kw = (str(cfg), str(wl), GRID[:1]), dict(output=out, workers=1, quiet=True)
    sweep(*args, period_s="1ms", **kw)
    with pytest.warns(Warning, match=r"2 of its 2 stored rows are points of another sweep "
                                     r"\(--period then 1 ms, now 10 ms\)"):
        at_10ms = sweep(*args, period_s=10e-3, **kw)
    assert (at_10ms.attrs["computed"], at_10ms.attrs["reused"]) == (2, 0)
    stored = pd.read_parquet(out)  # only rows at 10 ms, none at 1 ms
    assert stored[C.PERIOD_S].tolist() == pytest.approx([10e-3] * 2, rel=1e-12, abs=0)
    assert sorted(stored[C.PERIOD_ENERGY_J]) == pytest.approx([1.0 * 10e-3 + DYN_J, 2.0 * 10e-3 + DYN_J],
                                                              rel=1e-9, abs=0)
    assert len(list(tmp_path.glob("r.replaced-*.parquet"))) == 1  # the 1 ms rows kept aside


def test_a_resume_with_a_period_where_the_file_has_none(files, tmp_path):
    cfg, wl = files
    out = tmp_path / "r.parquet"
    args, kw = (str(cfg), str(wl), GRID[:1]), dict(output=out, workers=1, quiet=True)
    assert C.PERIOD_S not in sweep(*args, **kw).columns
    with pytest.warns(Warning, match=r"--period then none, now 10 ms"):
        at_10ms = sweep(*args, period_s=10e-3, **kw)
    assert (at_10ms.attrs["computed"], at_10ms.attrs["reused"]) == (2, 0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the same load (10 ms as a rate): every row reused, nothing said
        again = sweep(*args, period_s="100Hz", **kw)
    assert (again.attrs["computed"], again.attrs["reused"]) == (0, 2)
    assert again[C.PERIOD_S].tolist() == pytest.approx([10e-3] * 2, rel=1e-12, abs=0)


@pytest.mark.parametrize("args, message", [
    (["--period", "1 zz"], "Error: --period '1 zz': "),
    (["--period", "-1ms"], "Error: --period '-1ms': must be a positive, finite time (1ms) or rate (1kHz)"),
    (["--deadline", "1kHz"], "Error: --deadline '1kHz': "),
])
def test_a_bad_load_is_one_line(files, tmp_path, args, message):
    cfg, wl = files
    res = CliRunner().invoke(main, ["sweep", str(cfg), "-w", str(wl), "--param", GRID[0], *args,
                                    "-o", str(tmp_path / "x.parquet"), "-q"])
    assert res.exit_code == 1
    assert res.output.startswith(message) and res.output.count("\n") == 1, res.output
    assert not (tmp_path / "x.parquet").exists()


def test_python_load_arguments_are_checked(files):
    cfg, wl = files
    for bad in (-1.0, math.inf, True, "fast"):
        with pytest.raises(CimsimError, match=r"^period_s"):
            sweep(str(cfg), str(wl), GRID[:1], period_s=bad, dry_run=True)


def test_a_gated_sweep_pays_static_power_only_while_it_runs(files, tmp_path):
    """``sweep(idle="gate")``: the processor is gated between runs at 0 W (no ``idle`` block: the
    default gated power), so a period costs P x latency + 1.024 nJ, not P x T; the idle mode is
    part of each point's id, so the same sweep on at the same period is not reused."""
    cfg, wl = files
    out = tmp_path / "g.parquet"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gated = sweep([str(cfg)], [str(wl)], ["processor.static_power=1W,2W"], period_s="2kHz",
                      idle="gate", workers=1, quiet=True, output=out)
    gated = gated.sort_values("processor.static_power")
    assert gated[C.PERIOD_IDLE].tolist() == ["gate", "gate"]
    assert gated[C.PERIOD_IDLE_POWER_W].tolist() == [0.0, 0.0]
    expect = [p * t + DYN_J for p, t in zip((1.0, 2.0), gated[C.LATENCY])]
    assert gated[C.PERIOD_ENERGY_J].tolist() == pytest.approx(expect, rel=1e-9, abs=0)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        on = sweep([str(cfg)], [str(wl)], ["processor.static_power=1W,2W"], period_s="2kHz",
                   workers=1, quiet=True, output=out)
    msg = " ".join(str(w.message) for w in seen)  # the mode not stated is on (review 22 B 3)
    assert "(--idle then gate, now on)" in msg and "None" not in msg, msg
    assert on.sort_values("processor.static_power")[C.PERIOD_ENERGY_J].tolist() == pytest.approx(
        [1.0 * 500e-6 + DYN_J, 2.0 * 500e-6 + DYN_J], rel=1e-9, abs=0)


def test_idle_without_a_load_is_one_line(files, tmp_path):
    cfg, wl = files
    with pytest.raises(CimsimError, match="idle=gate: says what the parts do between runs"):
        sweep([str(cfg)], [str(wl)], [], idle="gate", workers=1, quiet=True, output=tmp_path / "x.parquet")


def test_a_sweep_with_a_harvested_power_and_a_store(files, tmp_path):
    """``sweep(harvest_w=, storage_j=)``: each row's sustainable rate under ``on``, (P - P_static)
    / E_dyn, never above one run every latency, and the runs one store powers (under ``on`` the
    first call after power-up: the round config programs nothing, so E_dyn + P_static x latency)."""
    cfg, wl = files
    df = sweep([str(cfg)], [str(wl)], ["processor.static_power=1W"], harvest_w="1.5W", storage_j=1e-3,
               workers=1, quiet=True, output=tmp_path / "h.parquet")
    row = df.iloc[0]
    assert row[C.HARVEST_POWER_W] == 1.5
    assert row[C.HARVEST_RUNS_PER_S] == pytest.approx(min(0.5 / DYN_J, 1 / row[C.LATENCY]), rel=1e-9, abs=0)
    e_run = DYN_J + 1.0 * row[C.LATENCY]
    assert row[C.STORAGE_RUN_ENERGY_J] == pytest.approx(e_run, rel=1e-9, abs=0)
    assert row[C.STORAGE_RUNS] == math.floor(1e-3 / e_run)
    assert C.PERIOD_S not in df.columns  # only the stated groups


def test_one_period_written_two_ways_reuses_every_row(files, tmp_path):
    """``100us`` parses to 9.999999999999999e-05 s and ``10kHz`` to 1e-4 s: one period, so the
    second sweep reuses both rows and moves nothing aside (review 22 B 2)."""
    cfg, wl = files
    out = tmp_path / "p.parquet"
    args, kw = (str(cfg), str(wl), GRID[:1]), dict(output=out, workers=1, quiet=True)
    assert 100 * 1e-6 != 1 / 10e3  # 100 x micro: the two spellings differ in the last bit
    sweep(*args, period_s="100us", deadline_s="0.1ms", **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        again = sweep(*args, period_s="10kHz", deadline_s=1e-4, **kw)
    assert (again.attrs["computed"], again.attrs["reused"]) == (0, 2)
    assert not list(tmp_path.glob("p.replaced-*.parquet"))


def test_resume_warnings_name_the_idle_mode_and_units(files, tmp_path):
    """A resume warning says ``on`` for the mode not stated, no idle clause where no load is left
    (only the period was dropped), and a harvest or store with its unit (review 22 B 3, F 6)."""
    cfg, wl = files
    out = tmp_path / "w.parquet"
    args, kw = (str(cfg), str(wl), ["processor.static_power=1W"]), dict(output=out, workers=1, quiet=True)

    def said(**load):
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            sweep(*args, **load, **kw)
        return " ".join(str(w.message) for w in seen)

    said(period_s="10ms")
    assert "(--idle then on, now gate)" in said(period_s="10ms", idle="gate")
    assert "(--idle then gate, now sleep)" in said(period_s="10ms", idle="sleep")
    msg = said()
    assert "(--period then 10 ms, now none)" in msg and "--idle" not in msg, msg
    said(harvest_w="1.5W")
    assert "(--harvest then 1.5 W, now 2 W)" in said(harvest_w=2.0)
