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


def test_front_labels_of_close_points_neither_overlap_nor_leave_the_axes():
    """The figure of docs/accuracy-energy.png: the front's two lowest points (4 % and 13 %
    top-1 at 603 and 604 uJ) had their labels drawn over each other and over the x axis."""
    rows = [{C.WORKLOAD: "digits-cnn", C.ARCHITECTURE: "rram-cim-derived", "cim.adc.bits": b,
             C.ENERGY: e * 1e-6, C.ACCURACY_TOP1: acc, C.ACCURACY_TOP1_REFERENCE: 0.98,
             C.AGREEMENT: 0.9, C.ERROR: None}
            for b, e, acc in ((3, 603.0, 0.04), (4, 603.6, 0.13), (5, 604.9, 0.59), (6, 607.4, 0.86),
                              (7, 612.3, 0.98), (8, 670.0, 0.98))]
    df = pd.DataFrame(rows)
    df.attrs[ATTR_PARAMS] = ["cim.adc.bits"]
    df.attrs[ATTR_UNITS] = {"cim.adc.bits": ""}
    fig = accuracy_energy(df)
    r = fig.canvas.get_renderer()
    (ax,) = [a for a in fig.axes if a.get_visible()]
    boxes = [t.get_window_extent(r) for t in ax.texts]
    assert [t.get_text() for t in ax.texts] == [f"bits={b}" for b in (3, 4, 5, 6, 7)]
    for i, b in enumerate(boxes):
        assert ax.bbox.x0 <= b.x0 and b.x1 <= ax.bbox.x1 and ax.bbox.y0 <= b.y0 and b.y1 <= ax.bbox.y1
        assert not any(b.overlaps(o) for o in boxes[i + 1:])
