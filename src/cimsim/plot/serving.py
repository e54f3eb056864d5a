"""Figures of LLM serving sweeps: decode tokens/s, time per output token and tokens/J against a
swept config field (:func:`serving_vs_param`) or against the batch of the serving runs swept as
workloads (:func:`serving_vs_batch`: ``cimsim sweep ... -w b1.npz -w b2.npz ...``, one workload
file per batch size). One line per architecture, its colour and marker from
:mod:`cimsim.plot.style`."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from ..report.columns import ARCHITECTURE, DECODE_TOKENS_PER_S, LLM_BATCH, TOKENS_PER_J, TPOT_S, WORKLOAD
from .figures import (LOG_RATIO, _figure, _grid, _ok, _outside_legend, _pick_param, _si_log_axis,
                      _spans_decades, metric_grid)
from .overlap import BAND, band_label, covers
from .style import arch_style
from .ticks import step_axis

#: the serving panels: (column, axis label, unit of its ticks or None)
SERVING_PANELS = (
    (DECODE_TOKENS_PER_S, "decode throughput [tokens/s]", None),
    (TPOT_S, "time per output token [s]", "s"),
    (TOKENS_PER_J, "tokens/J", None),
)


def has_serving(df: pd.DataFrame) -> bool:
    """Whether a sweep has LLM serving runs (their serving columns hold numbers)."""
    return all(c in df.columns for c, _, _ in SERVING_PANELS) and df[DECODE_TOKENS_PER_S].notna().any()


def _serving_rows(df: pd.DataFrame) -> pd.DataFrame:
    data = _ok(df)
    return data[data[DECODE_TOKENS_PER_S].notna()] if DECODE_TOKENS_PER_S in data.columns else data.iloc[:0]


def serving_vs_param(df: pd.DataFrame, param: str | None = None) -> Figure:
    """Decode tokens/s, time per output token and tokens/J against the swept parameter: one row
    of three panels per serving workload, one line per architecture
    (:func:`~cimsim.plot.figures.metric_grid`)."""
    param = _pick_param(df, param)
    return metric_grid(df, param, _serving_rows(df), [(col, label, 1.0) for col, label, _ in SERVING_PANELS],
                       "LLM serving")


def batch_family(name: str) -> str:
    """A serving run's default name without its batch (``llm-L32-...-B8-P1024-D128-fp16`` ->
    ``llm-L32-...-P1024-D128-fp16``): the runs that differ only in batch share one panel."""
    return re.sub(r"-B\d+(?=-|$)", "", str(name))


def batch_varies(df: pd.DataFrame) -> bool:
    """Whether the sweep's serving runs differ in batch within a family (:func:`batch_family`)."""
    data = _serving_rows(df)
    if LLM_BATCH not in data.columns or data.empty:
        return False
    fam = data[WORKLOAD].map(batch_family)
    return bool((data.groupby(fam)[LLM_BATCH].nunique() > 1).any())


def serving_vs_batch(df: pd.DataFrame) -> Figure:
    """Decode tokens/s, time per output token and tokens/J against the batch (requests served at
    once, ``llm_batch``): one row of three panels per family of runs that differ only in batch,
    one line per architecture."""
    data = _serving_rows(df)
    fams = list(dict.fromkeys(data[WORKLOAD].map(batch_family))) or [""]
    fig = _figure(4.6 * len(SERVING_PANELS) + 3.0, 3.6 * len(fams) + 0.5)
    grid = _grid(fig, len(fams), len(SERVING_PANELS))
    for row, fam in zip(grid, fams):
        sub = data[data[WORKLOAD].map(batch_family) == fam]
        for ax, (col, label, unit) in zip(row, SERVING_PANELS):
            ys, seen = [], []
            for arch, g in sub.groupby(ARCHITECTURE, sort=False):
                g = g.sort_values(LLM_BATCH)
                st = arch_style(str(arch))
                x, y = g[LLM_BATCH].to_numpy(float), g[col].to_numpy(float)
                # a line within 5 % of one drawn (a GPU + PIM whose units take little of the
                # step) is a wide pale band under it, its label saying which
                under = covers(seen, x, y)
                ax.plot(x, y, marker=st.marker, markersize=4, color=st.color,
                        label=band_label(str(arch), under), **({} if under is None else BAND))
                seen.append((arch, str(arch), x, y))
                ys.append(g[col])
            b = sub[LLM_BATCH].to_numpy(float)
            if len(b) and np.nanmax(b) / max(np.nanmin(b), 1) > LOG_RATIO / 2:
                ax.set_xscale("log", base=2)
            ax.set_xticks(sorted(set(b)))
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
            ax.xaxis.set_minor_formatter(FuncFormatter(lambda v, _: ""))
            if ys and _spans_decades(pd.concat(ys)):
                ax.set_yscale("log")
                if unit:
                    _si_log_axis(ax.yaxis, unit)
            else:  # decimals for the tick step, as every sweep panel: no label repeated
                step_axis(ax.yaxis, unit or "", pd.concat(ys) if ys else None)
            ax.set_xlabel("batch (requests served at once)")
            ax.set_ylabel(label)
            ax.grid(True, which="both", alpha=0.3)
            ax.set_title(f"{fam}: {label.split(' [')[0]}", fontsize="medium")
    _outside_legend(fig, grid.ravel())
    fig.suptitle("LLM serving against batch size")
    return fig
