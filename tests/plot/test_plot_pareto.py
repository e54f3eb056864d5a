"""Pareto fronts over any objectives, constraints on a sweep's rows, and the accuracy-energy
figure's x axis, error bars and per-condition fronts (find-J, findings 2 and 3)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from cimsim.cli import main
from cimsim.plot import accuracy_energy, pareto_front, where
from cimsim.report import columns as C
from cimsim.sweep.columns import ATTR_PARAMS, ATTR_UNITS


def _objectives() -> pd.DataFrame:
    # (energy, area, accuracy) of six designs; by hand: b dominates c (less energy, same area,
    # more accuracy), e equals a in every objective (both kept), f has no energy (left out),
    # d is the only one with area 1; a, b, d, e are the front
    return pd.DataFrame({"name": list("abcdef"),
                         "energy_j": [1.0, 2.0, 3.0, 4.0, 1.0, np.nan],
                         "area_m2": [3.0, 2.0, 2.0, 1.0, 3.0, 1.0],
                         "accuracy_top1": [0.5, 0.8, 0.7, 0.6, 0.5, 0.9]})


def test_three_objectives_by_hand():
    front = pareto_front(_objectives(), minimise=["energy_j", "area_m2"], maximise=["accuracy_top1"])
    assert front["name"].tolist() == ["a", "e", "b", "d"]  # increasing energy


def test_one_objective_is_the_best_rows_and_two_the_staircase():
    df = _objectives()
    # area alone: d and f (area 1; f's missing energy is no objective here)
    assert sorted(pareto_front(df, minimise=["area_m2"])["name"]) == ["d", "f"]
    # less energy, more accuracy: a and e (1 J, 50 %), b (2 J, 80 %)
    assert pareto_front(df, minimise=["energy_j"], maximise=["accuracy_top1"])["name"].tolist() == ["a", "e", "b"]


def test_the_two_array_call_still_works():
    assert pareto_front(np.array([1.0, 2.0, 3.0]), np.array([0.5, 0.4, 0.9])).tolist() == [0, 2]


def test_an_objective_that_is_no_column_suggests_one():
    with pytest.raises(ValueError, match="no column 'energy' in the sweep \\(did you mean 'energy_j'"):
        pareto_front(_objectives(), minimise=["energy"])


def test_where_keeps_the_rows_of_every_clause():
    df = _objectives()
    assert where(df, "area_m2<=2 and accuracy_top1 >= 0.7")["name"].tolist() == ["b", "c", "f"]
    assert where(df, "energy_j<2")["name"].tolist() == ["a", "e"]  # NaN satisfies nothing
    assert where(df, "energy_j != 1 and energy_j>2.5")["name"].tolist() == ["c", "d"]


@pytest.mark.parametrize("expr, said", [
    ("area_mm2<=1e-4", "no column 'area_mm2' in the sweep (did you mean 'area_m2'"),
    ("area_m2<=1mm2", "'1mm2' is not a number; write it in the column's SI unit (m²)"),
    ("__import__('os').system('true')", "is not COLUMN OP NUMBER"),
    ("area_m2<=1 or energy_j<1", "is not COLUMN OP NUMBER"),
    ("energy_j<=abc", "'abc' is not a number; write it in the column's SI unit (J)"),
    ("name<=1", "'name' is text; compare it with == or != (e.g. name==a), not <="),
    ("name==1", "'1' is not a value of 'name' (its values: a, b, c, d, e, f)"),
    ("", "empty"),
])
def test_where_refuses_anything_but_column_op_number(expr, said):
    with pytest.raises(ValueError) as info:
        where(_objectives(), expr)
    assert said in str(info.value) and "\n" not in str(info.value)


def _acc_frame(sigmas=(0.0,), repeats=1, archs=("rram-cim",)) -> pd.DataFrame:
    rows = []
    for arch in archs:
        for s in sigmas:
            for bits in (4, 6, 8):
                rows.append({C.WORKLOAD: "digits-cnn", C.ARCHITECTURE: arch, "cim.adc.bits": bits,
                             "cim.nonideal.programming_sigma": s,
                             C.ENERGY: 1e-3 + bits * 1e-6 * (2 if arch != archs[0] else 1),
                             "energy_cim_adc_j": 2.0 ** bits * 1e-9,
                             C.ACCURACY_TOP1: 0.5 + bits / 20 - s, C.ACCURACY_TOP1_STD: 0.02 * bits,
                             C.ACCURACY_REPEATS: repeats, C.ACCURACY_TOP1_REFERENCE: 0.95,
                             C.AGREEMENT: 0.9, C.ERROR: None})
    df = pd.DataFrame(rows)
    df.attrs[ATTR_PARAMS] = ["cim.adc.bits", "cim.nonideal.programming_sigma"]
    df.attrs[ATTR_UNITS] = {"cim.adc.bits": "", "cim.nonideal.programming_sigma": ""}
    return df


def _fronts(fig):
    (ax,) = [a for a in fig.axes if a.get_visible()]
    return ax, {ln.get_label(): ln for ln in ax.get_lines() if ln.get_label().startswith("Pareto front")}


def test_x_is_any_result_column():
    ax, fronts = _fronts(accuracy_energy(_acc_frame(), x="energy_cim_adc_j"))
    assert np.allclose(fronts["Pareto front"].get_xdata(), [16e-9, 64e-9, 256e-9], rtol=1e-12, atol=0)
    assert ax.get_xlabel() == "energy_cim_adc_j [J]"
    with pytest.raises(ValueError, match="did you mean 'energy_cim_adc_j'"):
        accuracy_energy(_acc_frame(), x="energy_cim_adcj")


def test_error_bars_only_with_several_chips():
    ax, _ = _fronts(accuracy_energy(_acc_frame(repeats=3)))
    (bars,) = ax.collections[1:2]  # the scatter, then the error bars' line collection
    segs = bars.get_segments()
    # one std (0.02 x bits, in %) either side of each mean (50 + 5 x bits %)
    assert [y for s in segs for y in (s[0][1], s[1][1])] == pytest.approx(
        [70 - 8, 70 + 8, 80 - 12, 80 + 12, 90 - 16, 90 + 16], abs=1e-9)
    ax1, _ = _fronts(accuracy_energy(_acc_frame(repeats=1)))
    assert len(ax1.collections) == 1  # the markers alone


def test_a_device_condition_gets_a_front_per_value():
    ax, fronts = _fronts(accuracy_energy(_acc_frame(sigmas=(0.0, 0.1))))
    assert sorted(fronts) == ["Pareto front: programming_sigma=0", "Pareto front: programming_sigma=0.1"]
    assert np.allclose(fronts["Pareto front: programming_sigma=0.1"].get_ydata(), [60.0, 70.0, 80.0],
                       rtol=0, atol=1e-9)  # its own three points, not through the sigma=0 ones
    assert [t.get_text() for t in ax.texts].count("bits=4") == 2  # the condition not in the label


def test_labels_name_the_architecture_when_the_panel_has_several():
    ax, _ = _fronts(accuracy_energy(_acc_frame(archs=("rram-cim", "sram-cim"))))
    assert [t.get_text() for t in ax.texts] == [f"rram-cim, bits={b}" for b in (4, 6, 8)]


@pytest.fixture(scope="module")
def small_sweep(tmp_path_factory, chain_json):
    from cimsim.sweep import sweep

    out = tmp_path_factory.mktemp("pareto") / "s.parquet"
    sweep("rram-cim", str(chain_json), ["cim.adc.bits=4,6,8", "cim.rows_per_read=16,64",
                                        "memory.dram.bandwidth=10GB/s,100GB/s"],
          engine="analytic", workers=1, output=out)
    return out


def test_the_front_of_a_real_sweep_is_the_definition(small_sweep, tmp_path):
    df = pd.read_parquet(small_sweep)
    front = pareto_front(df, minimise=["energy_j", "latency_s"])
    v = df[["energy_j", "latency_s"]].to_numpy()
    # the definition, pair by pair: no other row at least as good in both and better in one
    want = {i for i in range(len(v)) if not any((v[j] <= v[i]).all() and (v[j] < v[i]).any()
                                                 for j in range(len(v)))}
    assert set(df.index.get_indexer(front.index)) == want and 0 < len(want) < len(v)
    res = CliRunner().invoke(main, ["plot", str(small_sweep), "--no-roofline", "--format", "png",
                                    "-o", str(tmp_path), "--where", "energy_j<=1",
                                    "--pareto", str(tmp_path / "front.csv"),
                                    "--minimise", "energy_j", "--minimise", "latency_s"])
    assert res.exit_code == 0, res.output
    written = pd.read_csv(tmp_path / "front.csv")
    assert sorted(written[C.POINT_ID]) == sorted(front[C.POINT_ID])
    assert "memory.dram.bandwidth [B/s]" in written.columns  # the unit in the header, as --csv


def test_a_bad_where_or_objective_is_one_line(small_sweep, tmp_path):
    for args, said in ((["--where", "energy<=1"], "did you mean 'energy_j'"),
                       (["--where", "energy_j<=0"], "none of the 12 rows"),
                       (["--pareto", str(tmp_path / "f.csv"), "--maximise", "acc"], "no column 'acc'"),
                       (["--minimise", "energy_j"], "give it too"),
                       (["--x", "latency_s"], "a sweep with --accuracy has")):
        res = CliRunner().invoke(main, ["plot", str(small_sweep), "--no-roofline", "-o", str(tmp_path),
                                        *args])
        assert res.exit_code == 1 and said in res.output and res.output.count("\n") == 1, res.output


@pytest.mark.parametrize("column", ["energy_j", "system_energy_j"])
def test_the_default_x_spelled_out_still_plots_a_plain_sweep(small_sweep, tmp_path, column):
    """review14-5 #2: `--x energy_j`, the documented default a script may spell out, was refused
    on a sweep without --accuracy once the option's default became None; the default x columns
    select nothing new there, so the other figures are drawn as before."""
    res = CliRunner().invoke(main, ["plot", str(small_sweep), "--no-roofline", "--format", "png",
                                    "-o", str(tmp_path), "--x", column])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "s-latency.png").is_file() and not (tmp_path / "s-accuracy-energy.png").exists()


def _acc_sweep(tmp_path, **kw) -> Path:
    df = _acc_frame(**kw)
    df[C.POINT_ID] = [f"p{i}" for i in range(len(df))]
    df[C.POWER_DENSITY_W_PER_M2] = 2e7 + df["cim.adc.bits"] * 1e6  # 24-28 MW/m²: not log
    df[C.LATENCY] = 1e-3
    df[C.AREA_M2] = 1e-4
    path = tmp_path / "acc.parquet"
    df.to_parquet(path)
    return path


def _plot(path, tmp_path, *args):
    return CliRunner().invoke(main, ["plot", str(path), "--no-roofline", "--format", "png",
                                     "-o", str(tmp_path / "figs"), *args])


def test_the_pareto_csv_has_a_front_per_device_condition(tmp_path):
    """review-3 #1: the CSV had one front through both sigmas, so every sigma=0.1 design (as
    much energy as its sigma=0 twin, 10 points less accuracy) was left out; by hand, more bits
    cost more energy (1 µJ a bit) and give more accuracy (5 points a bit): on one device every
    design is on the front, 3 per sigma."""
    res = _plot(_acc_sweep(tmp_path, sigmas=(0.0, 0.1)), tmp_path, "--pareto", str(tmp_path / "f.csv"))
    assert res.exit_code == 0, res.output
    assert "one front per workload and value of cim.nonideal.programming_sigma" in res.output
    front = pd.read_csv(tmp_path / "f.csv")
    got = sorted(zip(front["cim.nonideal.programming_sigma"], front["cim.adc.bits"], front[C.ACCURACY_TOP1]))
    want = sorted((s, b, 0.5 + b / 20 - s) for s in (0.0, 0.1) for b in (4, 6, 8))
    assert [g[:2] for g in got] == [w[:2] for w in want]
    assert [g[2] for g in got] == pytest.approx([w[2] for w in want], abs=1e-12)
    assert set(front[C.PARETO_OBJECTIVES]) == {"min energy_j, max accuracy_top1"}


def test_a_rate_column_on_x_is_in_its_own_unit():
    """review-3 #2: power_density_w_per_m2 was labelled m² (its denominator) and ticked in cm²."""
    df = _acc_frame()
    df[C.POWER_DENSITY_W_PER_M2] = 2e7 + df["cim.adc.bits"] * 1e6
    fig = accuracy_energy(df, x=C.POWER_DENSITY_W_PER_M2)
    ax, _ = _fronts(fig)
    assert ax.get_xlabel() == "power_density_w_per_m2 [W/m²]"
    fig.canvas.draw()
    ticks = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert ticks and all(t.endswith(" MW/m²") for t in ticks), ticks  # 24-28e6 W/m²


def test_an_unwritable_pareto_path_is_refused_before_any_figure(tmp_path):
    """review-3 #4: the figures were written first, then the error named atomic_write's temp file."""
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    bad = blocker / "front.csv"  # its folder is a file
    res = _plot(_acc_sweep(tmp_path), tmp_path, "--pareto", str(bad))
    assert res.exit_code == 1 and res.output.count("\n") == 1, res.output
    assert res.output.startswith(f"Error: --pareto {bad}: cannot write there"), res.output
    assert not (tmp_path / "figs").exists()


@pytest.mark.parametrize("expr", ["extrapolated==0", "extrapolated==false", "extrapolated != True",
                                  "extrapolated<1 and energy_j<=4"])
def test_where_takes_a_true_false_column(expr):
    """review-3 #5: --where refused `extrapolated`, so extrapolated points could not be left out
    before a front; a row with no value (an error row) satisfies no clause."""
    df = _objectives().assign(extrapolated=[True, False, False, True, False, None])
    assert where(df, expr)["name"].tolist() == ["b", "c", "e"]
    assert where(df.iloc[:5].astype({"extrapolated": bool}), expr)["name"].tolist() == ["b", "c", "e"]
    with pytest.raises(ValueError, match="'extrapolated' is true or false; compare it with true, "
                                         "false, 1 or 0 \\(e.g. extrapolated==false\\), not '2'"):
        where(df, "extrapolated==2")


def test_errors_name_the_option(tmp_path):
    path = _acc_sweep(tmp_path)
    for args, said in ((["--x", "energyj"], "Error: --x: no column 'energyj'"),
                       (["--pareto", str(tmp_path / "f.csv"), "--minimise", "enrgy_j"],
                        "Error: --minimise enrgy_j: no column 'enrgy_j'"),
                       (["--pareto", str(tmp_path / "f.csv"), "--maximise", "acc"],
                        "Error: --maximise acc: no column 'acc'")):
        res = _plot(path, tmp_path, *args)
        assert res.exit_code == 1 and res.output.splitlines()[-1].startswith(said), res.output


def test_front_labels_stay_inside_the_axes():
    """review-3 minor: a label with no clear place right of its point was left where the last
    offset put it, above the frame beside another point; the top-right point of this front (8
    bits, sigma=0) has no room on its right."""
    fig = accuracy_energy(_acc_frame(sigmas=(0.0, 0.1)))
    ax, _ = _fronts(fig)
    r = fig.canvas.get_renderer()
    box = ax.get_window_extent(r)
    assert len(ax.texts) == 6
    for t in ax.texts:
        bb = t.get_window_extent(r)
        assert box.x0 <= bb.x0 and bb.x1 <= box.x1 and box.y0 <= bb.y0 and bb.y1 <= box.y1, t.get_text()
