"""Extrapolated sweep points are marked where they are drawn (a known gap of 2026-12-06: only
``--where extrapolated==false`` could keep them out of a figure, and a figure drew them like any
other point). A real analytic sweep of rram-cim-derived's supply at 0.5 / 0.72 / 0.9 V (0.5 V is
0.56 x the 22 nm nominal, outside the 0.8-1.1 x the voltage laws were fitted on)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cimsim.plot import latency_vs_param
from cimsim.plot.accuracy import accuracy_energy
from cimsim.plot.flags import EXTRAPOLATED_LABEL, extrapolated_mask
from cimsim.report import columns as C
from cimsim.sweep import sweep


@pytest.fixture(scope="module")
def volts(tmp_path_factory):
    out = tmp_path_factory.mktemp("v") / "v.parquet"
    sweep("rram-cim-derived", "tcn", ["technology.voltage=0.5V,0.72V,0.9V"], engine="analytic",
          output=out, quiet=True, workers=1)
    return pd.read_parquet(out)


def _crosses(fig):
    return [ln for ax in fig.axes for ln in ax.get_lines() if ln.get_label() == EXTRAPOLATED_LABEL]


def test_the_extrapolated_point_is_crossed_and_only_it(volts):
    fig = latency_vs_param(volts, "technology.voltage")
    (cross,) = _crosses(fig)
    row = volts[volts["technology.voltage"] == 0.5].iloc[0]
    assert cross.get_xdata().tolist() == [0.5]
    assert cross.get_ydata().tolist() == [row[C.LATENCY]]
    assert cross.get_marker() == "x"
    # the figure's legend says what the cross means
    (legend,) = fig.legends  # its entry last, after the architectures
    assert [t.get_text() for t in legend.get_texts()][-1] == EXTRAPOLATED_LABEL


def test_nothing_crossed_without_extrapolated_rows(volts):
    inside = volts[volts["technology.voltage"] > 0.6]
    fig = latency_vs_param(inside, "technology.voltage")
    assert _crosses(fig) == []
    assert EXTRAPOLATED_LABEL not in [t.get_text() for t in fig.legends[0].get_texts()]


def test_a_csv_read_back_as_text_still_marks():
    rows = pd.DataFrame({C.EXTRAPOLATED: ["True", "false", None, 1, np.bool_(True), 0.0]})
    assert extrapolated_mask(rows).tolist() == [True, False, False, True, True, False]
    assert extrapolated_mask(pd.DataFrame({"x": [1, 2]})).tolist() == [False, False]


def test_accuracy_figure_crosses_extrapolated_points():
    df = pd.DataFrame({
        C.ARCHITECTURE: ["a"] * 3, C.WORKLOAD: ["w"] * 3, "error": [None] * 3,
        "cim.adc_bits": [2, 4, 6], C.ENERGY: [1.0, 2.0, 4.0], C.ACCURACY_TOP1: [0.5, 0.8, 0.9],
        C.EXTRAPOLATED: [False, True, False]})
    df.attrs["cimsim_params"] = ["cim.adc_bits"]
    (cross,) = _crosses(accuracy_energy(df))
    assert cross.get_xdata().tolist() == [2.0] and cross.get_ydata().tolist() == [80.0]
