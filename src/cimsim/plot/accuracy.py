"""The accuracy-against-energy figure of a ``cimsim sweep --accuracy``: every design point as a
marker (its architecture's colour and marker), the Pareto front (no other point of the panel
has both less energy and at least its accuracy, or as little energy and more accuracy) drawn
through its points and each front point labelled with its swept values, the fp32 reference as
a dotted line; one panel per workload."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from ..report.columns import (
    ACCURACY_TOP1,
    ACCURACY_TOP1_REFERENCE,
    AGREEMENT,
    ARCHITECTURE,
    ENERGY,
    WORKLOAD,
)
from ..report.format import si
from ..sweep.columns import param_columns
from .figures import _facet_shape, _grid, _ok, _outside_legend, _short, _spans_decades, new_figure, value_text
from .style import arch_style

FRONT_COLOR = "#222222"


def pareto_front(energy: np.ndarray, accuracy: np.ndarray) -> np.ndarray:
    """Indices of the Pareto-optimal points (less energy better, more accuracy better), in
    increasing energy: a point is on the front when every point of less or equal energy has
    less accuracy (ties in energy: the most accurate one)."""
    order = np.lexsort((-accuracy, energy))
    front, best = [], -np.inf
    for i in order:
        if accuracy[i] > best:
            front.append(i)
            best = accuracy[i]
    return np.asarray(front, dtype=int)


def _metric(data: pd.DataFrame) -> tuple[str, str]:
    """Top-1 when the model has labels, else agreement with fp32."""
    if ACCURACY_TOP1 in data.columns and data[ACCURACY_TOP1].notna().any():
        return ACCURACY_TOP1, "top-1 accuracy [%]"
    if AGREEMENT in data.columns and data[AGREEMENT].notna().any():
        return AGREEMENT, "agreement with fp32 [%]"
    raise ValueError("no accuracy columns: sweep with --accuracy (cimsim sweep ... --accuracy)")


def accuracy_energy(df: pd.DataFrame, label_front: bool = True) -> Figure:
    """Accuracy against energy per point, the Pareto front marked; one panel per workload."""
    data = _ok(df)
    col, ylabel = _metric(data)
    data = data[data[col].notna()]
    if data.empty:
        raise ValueError("no point has an accuracy (every row failed or has none)")
    params = [p for p in param_columns(df) if p in data.columns and data[p].nunique() > 1]
    workloads = list(dict.fromkeys(data[WORKLOAD]))
    rows, cols = _facet_shape(len(workloads))
    fig = new_figure(5.2 * cols + 1.8, 4.2 * rows)
    axes = _grid(fig, rows, cols)
    for ax in axes.flat[len(workloads):]:
        ax.set_visible(False)
    for ax, wl in zip(axes.flat, workloads):
        g = data[data[WORKLOAD] == wl]
        e = g[ENERGY].to_numpy(dtype=float)
        a = g[col].to_numpy(dtype=float) * 100
        for arch, h in g.groupby(ARCHITECTURE, sort=False):
            st = arch_style(str(arch))
            ax.scatter(h[ENERGY].astype(float), h[col].astype(float) * 100, color=st.color,
                       marker=st.marker, s=22, alpha=0.75, label=str(arch), zorder=2)
        front = pareto_front(e, a)
        ax.plot(e[front], a[front], color=FRONT_COLOR, linestyle="--", linewidth=1, marker="o",
                markersize=8, markerfacecolor="none", label="Pareto front", zorder=3)
        labels = []
        if label_front and params:
            names = {p: p.split(".")[-1] for p in params}
            if len(set(names.values())) < len(names):
                names = {p: _short(p) for p in params}
            for i in front:
                row = g.iloc[i]
                labels.append((e[i], a[i], ", ".join(f"{names[p]}={value_text(df, p, row[p])}"
                                                      for p in params)))
        if ACCURACY_TOP1_REFERENCE in g.columns and col == ACCURACY_TOP1 \
                and g[ACCURACY_TOP1_REFERENCE].notna().any():
            ref = float(g[ACCURACY_TOP1_REFERENCE].dropna().iloc[0]) * 100
            ax.axhline(ref, color="#888888", linestyle=":", linewidth=1, label="fp32 reference")
        if _spans_decades(e):
            ax.set_xscale("log")
        else:
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: si(v, "J")))
        ax.tick_params(axis="x", labelrotation=30, labelsize="small")
        ax.set_xlabel("energy per inference [J]")
        ax.set_ylabel(ylabel)
        ax.set_title(str(wl), fontsize="medium")
        ax.grid(True, which="both", alpha=0.3)
        _place_labels(fig, ax, labels)
    _outside_legend(fig, axes.flat)
    return fig


#: vertical offsets (points) a front label tries, nearest first, to the right of its point
LABEL_OFFSETS = (-14, 6, -26, 18, -38, 30, -50, 42)


def _place_labels(fig, ax, labels) -> None:
    """Each ``(x, y, text)`` beside its point, at the first of :data:`LABEL_OFFSETS` where its
    box stays inside the axes and overlaps no label placed before and no front marker (close
    points at the bottom of a front had their labels drawn over each other and the axis)."""
    if not labels:
        return
    r = fig.canvas.get_renderer()
    pad = 6.0 * fig.dpi / 72  # the front markers' radius (markersize 8), in pixels
    marks = [ax.transData.transform((x, y)) for x, y, _ in labels]
    taken = []
    for x, y, text in labels:
        ann = ax.annotate(text, (x, y), textcoords="offset points", xytext=(8, LABEL_OFFSETS[0]),
                          fontsize="x-small", color=FRONT_COLOR)
        for dy in LABEL_OFFSETS:
            ann.xyann = (8, dy)
            bb = ann.get_window_extent(r)
            box = ax.bbox
            clear = (box.x0 <= bb.x0 and bb.x1 <= box.x1 and box.y0 <= bb.y0 and bb.y1 <= box.y1
                     and not any(bb.overlaps(t) for t in taken) and not any(
                         bb.x0 - pad < mx < bb.x1 + pad and bb.y0 - pad < my < bb.y1 + pad
                         for mx, my in marks))
            if clear:
                break
        taken.append(ann.get_window_extent(r))
