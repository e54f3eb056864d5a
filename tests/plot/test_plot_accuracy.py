"""The accuracy-energy figure: Pareto front and one panel per workload (no simulation)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cimsim.plot import accuracy_energy, pareto_front
from cimsim.report import columns as C
from cimsim.sweep.columns import ATTR_PARAMS, ATTR_UNITS


def test_pareto_front_by_hand():
    # (energy, accuracy): c is dominated by b (more energy, less accuracy); e ties a in energy
    # with less accuracy; d costs most but is the most accurate
    energy = np.array([1.0, 2.0, 3.0, 4.0, 1.0])
    acc = np.array([50.0, 80.0, 70.0, 90.0, 40.0])
    assert pareto_front(energy, acc).tolist() == [0, 1, 3]


def _frame() -> pd.DataFrame:
    rows = []
    for wl in ("digits-cnn", "mnist1d-gru"):
        for arch in ("rram-cim", "sram-cim"):
            for bits in (3, 5, 8):
                rows.append({C.WORKLOAD: wl, C.ARCHITECTURE: arch, "cim.adc.bits": bits,
                             C.ENERGY: bits * 1e-6 * (2 if arch == "sram-cim" else 1),
                             C.ACCURACY_TOP1: 0.5 + bits / 20, C.ACCURACY_TOP1_REFERENCE: 0.95,
                             C.AGREEMENT: 0.9, C.ERROR: None})
    df = pd.DataFrame(rows)
    df.attrs[ATTR_PARAMS] = ["cim.adc.bits"]
    df.attrs[ATTR_UNITS] = {"cim.adc.bits": ""}
    return df


def test_one_panel_per_workload_with_the_front_marked():
    fig = accuracy_energy(_frame())
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in panels] == ["digits-cnn", "mnist1d-gru"]
    for ax in panels:
        front = [ln for ln in ax.get_lines() if ln.get_label() == "Pareto front"]
        assert len(front) == 1
        # rram-cim dominates: its three points at half sram-cim's energy are the front
        assert np.allclose(front[0].get_xdata(), [3e-6, 5e-6, 8e-6], rtol=1e-12, atol=0)
        assert np.allclose(front[0].get_ydata(), [65.0, 75.0, 90.0], atol=0)
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert {"rram-cim", "sram-cim", "Pareto front", "fp32 reference"} <= set(labels)


def test_without_accuracy_columns_it_says_so():
    with pytest.raises(ValueError, match="--accuracy"):
        accuracy_energy(_frame().drop(columns=[C.ACCURACY_TOP1, C.AGREEMENT]))
