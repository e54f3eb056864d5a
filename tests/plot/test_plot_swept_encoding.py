"""How the sweep figures tell swept fields apart (find-E 4, find-C 7, find-F 7).

- a swept column equal to the x column point for point (``tpu.cols`` beside ``tpu.rows`` from a
  ``--points`` CSV of square arrays) takes no colour: the colour went to it, and the 2-valued
  ``tpu.dataflow`` was "not told apart"; it is now a line style, and the x label names the twin;
- ``--where`` takes ``==`` / ``!=`` on a text column (``tpu.dataflow==os``);
- the accuracy-energy figure gives each value of its second swept parameter a marker;
- the latency figure rings the point where ``bound_part`` changes (``dram → sram``).
"""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner
from matplotlib.markers import MarkerStyle

from cimsim.cli import main
from cimsim.plot import accuracy_energy, energy_vs_param, latency_vs_param, where
from cimsim.plot.crossover import CHANGE_LABEL
from cimsim.report import columns as C
from cimsim.sweep.columns import ATTR_PARAMS, ATTR_UNITS

SIDES = (8, 16, 32, 64)


@pytest.fixture(scope="module")
def square_sweep(tmp_path_factory, chain_json):
    """tpu-like, square arrays from a points file (rows = cols) x dataflow ws/os: 8 real runs."""
    d = tmp_path_factory.mktemp("square")
    pts = d / "pts.csv"
    pts.write_text("tpu.rows,tpu.cols\n" + "".join(f"{s},{s}\n" for s in SIDES))
    out = d / "sq.parquet"
    res = CliRunner().invoke(main, ["sweep", "tpu-like", "-w", str(chain_json), "--points", str(pts),
                                    "--param", "tpu.dataflow=ws,os", "--engine", "analytic",
                                    "--workers", "1", "-q", "-o", str(out)])
    assert res.exit_code == 0, res.output
    return out


def test_a_column_equal_to_x_takes_no_colour_and_the_dataflow_is_a_line_style(square_sweep):
    df = pd.read_parquet(square_sweep)
    assert len(df) == 2 * len(SIDES)  # 8 (cols, dataflow) combinations: more than 6 styles
    fig = energy_vs_param(df, "tpu.rows")
    ax = fig.axes[0]
    assert len(fig.axes) == 1  # no colourbar (it was tpu.cols, the x axis told twice)
    assert ax.get_xlabel() == "tpu.rows (= tpu.cols)"
    # the two dataflows cost within 5 % on this tiny workload: os is drawn as a band under ws
    lines = {ln.get_label().split(" (within")[0]: ln for ln in ax.get_lines()
             if not ln.get_label().startswith("_")}
    assert set(lines) == {"tpu-like, tpu.dataflow = ws", "tpu-like, tpu.dataflow = os"}
    assert lines["tpu-like, tpu.dataflow = ws"].get_linestyle() != \
        lines["tpu-like, tpu.dataflow = os"].get_linestyle()
    for flow in ("ws", "os"):  # each line is its dataflow's four runs, in x order
        rows = df[df["tpu.dataflow"] == flow].sort_values("tpu.rows")
        ln = lines[f"tpu-like, tpu.dataflow = {flow}"]
        assert list(ln.get_xdata()) == list(SIDES)
        assert list(ln.get_ydata()) == rows[C.ENERGY].tolist()


def test_where_selects_a_text_column(square_sweep, tmp_path):
    res = CliRunner().invoke(main, ["plot", str(square_sweep), "--no-roofline", "--format", "png",
                                    "-o", str(tmp_path), "--where", "tpu.dataflow==os"])
    assert res.exit_code == 0, res.output
    assert "keeps 4 of the 8 rows" in res.output
    df = pd.read_parquet(square_sweep)
    assert where(df, "tpu.dataflow != 'os' and tpu.rows<=16")["tpu.rows"].tolist() == [8, 16]
    assert set(where(df, "tpu.dataflow==ws")["tpu.dataflow"]) == {"ws"}
    for expr, said in (("tpu.dataflow==OS", "'OS' is not a value of 'tpu.dataflow' (its values: ws, os)"),
                       ("tpu.dataflow<os", "'tpu.dataflow' is text; compare it with == or !=")):
        res = CliRunner().invoke(main, ["plot", str(square_sweep), "--no-roofline", "-o", str(tmp_path),
                                        "--where", expr])
        assert res.exit_code == 1 and said in res.output and res.output.count("\n") == 1, res.output


def _accuracy_frame() -> pd.DataFrame:
    rows = [{C.WORKLOAD: "digits-cnn", C.ARCHITECTURE: "rram-cim-derived", "cim.adc.bits": b,
             "cim.rows_per_read": r, C.ENERGY: (600 + b + r / 8) * 1e-6,
             C.ACCURACY_TOP1: min(0.98, b / 8 - r / 1000), C.ERROR: None}
            for b in (3, 5, 8) for r in (16, 64, 128)]
    df = pd.DataFrame(rows)
    df.attrs[ATTR_PARAMS] = ["cim.adc.bits", "cim.rows_per_read"]
    df.attrs[ATTR_UNITS] = {"cim.adc.bits": "", "cim.rows_per_read": ""}
    return df


def _marker_path(marker):
    m = MarkerStyle(marker)
    return m.get_path().transformed(m.get_transform())


def test_accuracy_points_take_a_marker_per_value_of_the_second_parameter():
    fig = accuracy_energy(_accuracy_frame())
    ax = fig.axes[0]
    points = [c for c in ax.collections if c.get_label() == "_point"]
    assert len(points) == 3 and all(len(c.get_offsets()) == 3 for c in points)  # 3 bits each
    shapes = [c.get_paths()[0] for c in points]
    for i, a in enumerate(shapes):  # three different markers
        for b in shapes[i + 1:]:
            assert not (a.vertices.shape == b.vertices.shape and (a.vertices == b.vertices).all())
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert ["rows_per_read = 16", "rows_per_read = 64", "rows_per_read = 128"] == \
        [s for s in labels if s.startswith("rows_per_read")]
    keys = {ln.get_label(): ln for ln in ax.get_lines()}
    for c in points:  # each value's points: the marker its legend entry shows; x = 600 + b + r/8 uJ
        x_uj = sorted(round(v * 1e6, 9) for v in c.get_offsets()[:, 0])
        r = round(8 * (x_uj[0] - 603))
        assert x_uj == [600 + b + r / 8 for b in (3, 5, 8)]
        want = _marker_path(keys[f"rows_per_read = {r}"].get_marker())
        assert (c.get_paths()[0].vertices == want.vertices).all()


def _bandwidth_frame() -> pd.DataFrame:
    bws = [25e9, 50e9, 100e9, 200e9, 400e9, 800e9]
    parts = ["dram", "dram", "dram", "dram", "sram", "sram"]
    df = pd.DataFrame({C.WORKLOAD: "lstm", C.ARCHITECTURE: "cpu-ddr5", "memory.dram.bandwidth": bws,
                       C.BOUND: "memory", C.BOUND_PART: parts,
                       # dram bytes / bandwidth until the 0.3 ms of the SRAM level bind
                       C.LATENCY: [max(1e8 / b, 3e-4) for b in bws], C.ENERGY: 1e-3, C.ERROR: None})
    df.attrs[ATTR_PARAMS] = ["memory.dram.bandwidth"]
    df.attrs[ATTR_UNITS] = {"memory.dram.bandwidth": "B/s"}
    return df


def test_the_latency_figure_rings_where_the_binding_part_changes():
    fig = latency_vs_param(_bandwidth_frame(), "memory.dram.bandwidth")
    ax = fig.axes[0]
    rings = [ln for ln in ax.get_lines() if ln.get_label() == CHANGE_LABEL]
    assert len(rings) == 1  # bound stays memory; only bound_part moves, once
    assert list(rings[0].get_xdata()) == [400e9] and list(rings[0].get_ydata()) == [3e-4]
    assert [t.get_text() for t in ax.texts] == ["dram → sram"]
    assert CHANGE_LABEL in [t.get_text() for t in fig.legends[0].get_texts()]
    # the energy figure of the same sweep has no ring
    assert not [ln for ln in energy_vs_param(_bandwidth_frame()).axes[0].get_lines()
                if ln.get_label() == CHANGE_LABEL]
