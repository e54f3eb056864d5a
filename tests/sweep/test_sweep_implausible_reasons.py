"""The sweep's summary line names why rows are not physically plausible, counted from the rows'
notes, not a fixed "above a wafer or a TDP" (find-E 5)."""

from __future__ import annotations

import warnings

import cimsim
from cimsim.sweep.columns import describe_run
from cimsim.workload.generators import lstm, matmul


def _sweep(config, wl, param, tmp_path):
    path = tmp_path / "w.npz"
    cimsim.workload.save_workload(wl, str(path))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cimsim.CimsimWarning)
        return cimsim.sweep(config, str(path), param, engine="analytic", workers=1)


def test_a_supply_below_the_cells_vmin_is_named_as_the_reason(tmp_path):
    """sram-cim-derived is 22 nm (nominal 0.9 V); its sram_6t cell's Vmin is 0.75 x 0.9 V =
    0.675 V: 0.5 V is below it, 0.9 V is not. No TDP is stated for it and its die is far below
    a wafer, so the one implausible row is the Vmin one."""
    wl = lstm(64, 64, 1, steps=2, dtype="int8")
    df = _sweep("sram-cim-derived", wl, {"technology.voltage": ["0.5 V", "0.9 V"]}, tmp_path)
    assert df["error"].isna().all(), df["error"].tolist()
    assert df[cimsim.report.columns.PHYSICALLY_PLAUSIBLE].tolist() == [False, True]
    line = describe_run(df)
    assert line.endswith(", 1 not physically plausible (1 the supply below a cell's minimum "
                         "operating voltage: see the rows' notes)"), line
    assert "TDP" not in line and "wafer" not in line


def test_a_tdp_exceeded_is_named_as_the_reason(tmp_path):
    """cpu-ddr5 at 4 GHz: 16 cores x 4e9 x 1024 int8 MAC x 3.54 pJ = 232 W of MACs alone at
    peak, above its 185 W TDP; at 1 GHz (58 W + 40 W static) it is under it."""
    wl = matmul(1024, 2048, 2048, dtype="int8")
    df = _sweep("cpu-ddr5", wl, {"processor.clock": ["1 GHz", "4 GHz"]}, tmp_path)
    assert df[cimsim.report.columns.PHYSICALLY_PLAUSIBLE].tolist() == [True, False]
    assert describe_run(df).endswith(", 1 not physically plausible (1 above a TDP: see the "
                                     "rows' notes)"), describe_run(df)
