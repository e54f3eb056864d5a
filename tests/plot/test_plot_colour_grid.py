"""A grid drawn with a colourbar: powers of two get a log bar, a grid's bar is ticked at its
swept values, and the energy breakdown's long caption wraps inside the figure (find-J,
finding 4: rows_per_read 16/32/64/128 had a linear bar ticked 30/60/90/120, 16 and 32 nearly
one colour; a 5-knob caption was clipped to 'ure, cim.adc.bits, ...')."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import LogNorm

from cimsim.plot import energy_breakdown, latency_vs_param
from cimsim.report import columns as C
from cimsim.sweep.columns import ATTR_PARAMS, ATTR_UNITS

PARAMS = ["cim.adc.bits", "cim.rows_per_read", "cim.rows"]


def _grid(rpr=(16, 32, 64, 128), rows=(64, 128, 256)) -> pd.DataFrame:
    out = []
    for bits, p, r in itertools.product((2, 4, 6, 8), rpr, rows):
        out.append({C.WORKLOAD: "tcn", C.ARCHITECTURE: "rram-cim-derived", "cim.adc.bits": bits,
                    "cim.rows_per_read": p, "cim.rows": r, C.LATENCY: 1e-4 * bits + 1e-6 * p,
                    C.ENERGY: 1e-3 * bits, "energy_cim_adc_j": 1e-3 * bits, C.ERROR: None})
    df = pd.DataFrame(out)
    df.attrs[ATTR_PARAMS] = PARAMS
    df.attrs[ATTR_UNITS] = dict.fromkeys(PARAMS, "")
    return df


def _bar(fig):
    [cb] = [ax for ax in fig.axes if ax.get_label() == "<colorbar>"]
    return cb


def _ticks(cb):
    lo, hi = cb.get_xlim()
    return [float(t) for t in cb.get_xticks() if lo * (1 - 1e-9) <= t <= hi * (1 + 1e-9)]


def test_powers_of_two_over_a_factor_of_8_get_a_log_bar_ticked_at_the_values():
    cb = _bar(latency_vs_param(_grid(), "cim.adc.bits"))
    assert cb.get_xscale() == "log"
    assert _ticks(cb) == [16.0, 32.0, 64.0, 128.0]
    assert [t.get_text() for t in cb.get_xticklabels() if t.get_text()] == ["16", "32", "64", "128"]
    # log: 16 -> 32 is as far along the bar as 64 -> 128
    x = cb.transData.transform([(v, 0.5) for v in (16, 32, 64, 128)])[:, 0]
    assert x[1] - x[0] == pytest.approx(x[3] - x[2], rel=1e-9, abs=0)


def test_a_linear_grid_is_ticked_at_its_values_too():
    cb = _bar(latency_vs_param(_grid(rpr=(10, 20, 30, 40)), "cim.adc.bits"))
    assert cb.get_xscale() == "linear"  # not powers of two, a ratio of 4: linear
    assert _ticks(cb) == [10.0, 20.0, 30.0, 40.0]


def test_powers_of_two_over_a_factor_of_2_stay_linear():
    cb = _bar(latency_vs_param(_grid(rpr=(32, 64), rows=(64, 128, 256, 512)), "cim.adc.bits"))
    assert cb.get_xscale() == "linear" and _ticks(cb) == [32.0, 64.0]


def test_the_breakdown_caption_of_five_knobs_stays_inside_the_figure():
    df = _grid()
    more = ["technology.voltage", "links.interconnect.bandwidth"]
    rng = np.random.default_rng(0)
    for p in more:  # a random sweep's values: each bar one run, every knob in the caption
        df[p] = rng.uniform(1, 2, len(df))
    df.attrs[ATTR_PARAMS] = [*PARAMS, *more]
    df.attrs[ATTR_UNITS] = {**dict.fromkeys(PARAMS, ""), "technology.voltage": "V",
                            "links.interconnect.bandwidth": "B/s"}
    fig = energy_breakdown(df, "cim.adc.bits")
    r = fig.canvas.get_renderer()
    def axes(f):
        return [*f.axes, *(a for sf in f.subfigs for a in axes(sf))]
    [label] = {id(a): a.xaxis.label for a in axes(fig) if a.get_xlabel()}.values()
    assert label.get_text().startswith("architecture, cim.adc.bits")
    assert "\n" in label.get_text()  # wrapped, not one line wider than the figure
    box = label.get_window_extent(r)
    assert 0 <= box.x0 and box.x1 <= fig.bbox.x1
