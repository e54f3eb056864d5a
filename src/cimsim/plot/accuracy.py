"""The accuracy-against-energy figure of a ``cimsim sweep --accuracy``: every design point as a
marker (its architecture's colour and marker; in a sweep of two design parameters or more,
the second's value gives the marker where it has 2 to 6 values, a legend entry per value), with
an error bar of one standard deviation over its Monte-Carlo chips when it has several (``accuracy_top1_std``, ``accuracy_repeats`` > 1); the
Pareto front (no other point of the panel has both less energy and at least its accuracy, or as
little energy and more accuracy) drawn through its points, one front per value of a swept
device condition (``cim.nonideal.*``: the device, not a design choice), each front point
labelled with its swept values (and its architecture when the panel has several); the fp32
reference as a dotted line; one panel per workload. The x axis is ``energy_j`` or any numeric
result column (``x=``: the CIM ADCs' own ``energy_cim_adc_j``, ``latency_s``, ``area_m2``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from ..report.columns import (
    ACCURACY_REPEATS,
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
from .flags import mark_extrapolated
from .select import column_unit, numeric_column, pareto_front
from .style import VALUE_MARKERS, arch_style, value_styles

FRONT_COLOR = "#222222"
#: the colour of the markers' legend entries (a value's marker, not an architecture's colour)
MARKER_KEY_COLOR = "#555555"
#: the fronts of the values of a device condition, in order (the first as before: one front)
FRONT_COLORS = (FRONT_COLOR, "#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#8c564b")
FRONT_STYLES = ("--", "-.", ":", (0, (5, 1)), (0, (3, 1, 1, 1, 1, 1)), "-")
#: the last part of a ``cim.nonideal.*`` path that is a design choice or a Monte-Carlo setting,
#: not a condition of the device
NOT_CONDITIONS = ("encoding", "compensation", "seed", "repeats")
#: axis labels of the usual x columns (any other: its name and unit)
X_LABELS = {ENERGY: "energy per inference [J]"}


def device_conditions(df: pd.DataFrame, params) -> list[str]:
    """The swept parameters that describe the device, not the design: ``*.nonideal.*`` but its
    encoding, drift compensation, seed and repeats."""
    return [p for p in params if ".nonideal." in f".{p}"
            and p.split(".")[-1] not in NOT_CONDITIONS]


def front_conditions(data: pd.DataFrame, df: pd.DataFrame | None = None) -> list[str]:
    """The device conditions (:func:`device_conditions`) with more than one value in ``data``
    (of the sweep ``df``, by default ``data``): one Pareto front per value of them, in the
    figure and in ``cimsim plot --pareto``'s CSV alike."""
    df = data if df is None else df
    return device_conditions(df, [p for p in param_columns(df) if p in data.columns
                                  and data[p].nunique() > 1])


def _metric(data: pd.DataFrame) -> tuple[str, str]:
    """Top-1 when the model has labels, else agreement with fp32."""
    if ACCURACY_TOP1 in data.columns and data[ACCURACY_TOP1].notna().any():
        return ACCURACY_TOP1, "top-1 accuracy [%]"
    if AGREEMENT in data.columns and data[AGREEMENT].notna().any():
        return AGREEMENT, "agreement with fp32 [%]"
    raise ValueError("no accuracy columns: sweep with --accuracy (cimsim sweep ... --accuracy)")


def marker_param(data: pd.DataFrame, shown: list[str]) -> str | None:
    """The swept parameter whose values are the points' markers (a legend entry each) when
    two or more are shown: the second of ``shown`` (``cim.rows_per_read`` beside
    ``cim.adc.bits``: the points off the front carry no label, and all looked alike, find-C 7),
    else a later one, with 2 to ``len(VALUE_MARKERS)`` values; None when none fits (one swept
    parameter: the front's labels and the x order say its values)."""
    for p in shown[1:]:
        if 2 <= data[p].nunique(dropna=False) <= len(VALUE_MARKERS):
            return p
    return None


def _spread(g: pd.DataFrame, col: str) -> np.ndarray | None:
    """The ``col_std`` of the rows of ``g`` that ran several Monte-Carlo chips (in %), NaN for the
    others; None when none did."""
    std = f"{col}_std"
    if std not in g.columns or ACCURACY_REPEATS not in g.columns:
        return None
    several = pd.to_numeric(g[ACCURACY_REPEATS], errors="coerce").fillna(1).to_numpy() > 1
    s = np.where(several, pd.to_numeric(g[std], errors="coerce").to_numpy(dtype=float) * 100, np.nan)
    return s if np.isfinite(s).any() else None


def accuracy_energy(df: pd.DataFrame, label_front: bool = True, x: str = ENERGY,
                    conditions=None) -> Figure:
    """Accuracy against energy (or the result column ``x``) per point, the Pareto front marked
    (one per value of the ``conditions``, by default the swept ``cim.nonideal.*`` device
    conditions); one panel per workload."""
    data = _ok(df)
    numeric_column(data, x, "x")
    col, ylabel = _metric(data)
    data = data[data[col].notna() & data[x].notna()]
    if data.empty:
        raise ValueError(f"no point has an accuracy and a {x} (every row failed or has none)")
    params = [p for p in param_columns(df) if p in data.columns and data[p].nunique() > 1]
    conds = front_conditions(data, df) if conditions is None else [c for c in conditions if c in params]
    shown = [p for p in params if p not in conds]  # a front's conditions are in the legend
    workloads = list(dict.fromkeys(data[WORKLOAD]))
    rows, cols = _facet_shape(len(workloads))
    fig = new_figure(5.2 * cols + 1.8, 4.2 * rows)
    axes = _grid(fig, rows, cols)
    for ax in axes.flat[len(workloads):]:
        ax.set_visible(False)
    names = {p: p.split(".")[-1] for p in params}
    if len(set(names.values())) < len(names):
        names = {p: _short(p) for p in params}
    marked = marker_param(data, shown)
    markers = value_styles(data[marked].tolist(), VALUE_MARKERS) if marked is not None else {}
    for ax, wl in zip(axes.flat, workloads):
        g = data[data[WORKLOAD] == wl]
        e = g[x].to_numpy(dtype=float)
        a = g[col].to_numpy(dtype=float) * 100
        for arch, h in g.groupby(ARCHITECTURE, sort=False):
            st = arch_style(str(arch))
            if marked is None:
                ax.scatter(h[x].astype(float), h[col].astype(float) * 100, color=st.color,
                           marker=st.marker, s=22, alpha=0.75, label=str(arch), zorder=2)
            else:  # the architecture its colour, a value of ``marked`` its marker
                for v, hv in h.groupby(marked, sort=False, dropna=False):
                    ax.scatter(hv[x].astype(float), hv[col].astype(float) * 100, color=st.color,
                               marker=markers[v], s=26, alpha=0.8, label="_point", zorder=2)
                ax.plot([], [], color=st.color, linewidth=5, solid_capstyle="butt", label=str(arch))
            mark_extrapolated(ax, h, h[x].astype(float), h[col].astype(float) * 100)
            err = _spread(h, col)
            if err is not None:
                ax.errorbar(h[x].astype(float), h[col].astype(float) * 100, yerr=err, fmt="none",
                            ecolor=st.color, elinewidth=0.8, capsize=2, alpha=0.6, zorder=2,
                            label="± 1 std over the chips (accuracy_repeats > 1)")
        if marked is not None:  # the legend of the markers, in value order
            for v, m in markers.items():
                ax.plot([], [], linestyle="none", marker=m, markersize=5, color=MARKER_KEY_COLOR,
                        label=f"{names[marked]} = {value_text(df, marked, v)}")
        several = g[ARCHITECTURE].nunique() > 1
        labels = []
        groups = g.groupby(conds, sort=True, dropna=False) if conds else [((), g)]
        for k, (cond, h) in enumerate(groups):
            cond = cond if isinstance(cond, tuple) else (cond,)
            idx = np.flatnonzero(g.index.isin(h.index))
            front = idx[pareto_front(e[idx], a[idx])]
            name = "Pareto front" + ("" if not conds else ": " + ", ".join(
                f"{names[c]}={value_text(df, c, v)}" for c, v in zip(conds, cond)))
            ax.plot(e[front], a[front], color=FRONT_COLORS[k % len(FRONT_COLORS)],
                    linestyle=FRONT_STYLES[k % len(FRONT_STYLES)], linewidth=1, marker="o",
                    markersize=8, markerfacecolor="none", label=name, zorder=3)
            if label_front and (shown or several):
                for i in front:
                    row = g.iloc[i]
                    text = ", ".join(([str(row[ARCHITECTURE])] if several else [])
                                     + [f"{names[p]}={value_text(df, p, row[p])}" for p in shown])
                    labels.append((e[i], a[i], text))
        if ACCURACY_TOP1_REFERENCE in g.columns and col == ACCURACY_TOP1 \
                and g[ACCURACY_TOP1_REFERENCE].notna().any():
            ref = float(g[ACCURACY_TOP1_REFERENCE].dropna().iloc[0]) * 100
            ax.axhline(ref, color="#888888", linestyle=":", linewidth=1, label="fp32 reference")
        unit = column_unit(x, df)
        if _spans_decades(e):
            ax.set_xscale("log")
        elif unit:  # SI prefixes on the unit (20 MW/m²); a 1/s unit takes none (5 k, not 5 k1/s)
            u = "" if unit.startswith("1/") else unit
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _, u=u: si(v, u)))
        ax.tick_params(axis="x", labelrotation=30, labelsize="small")
        ax.set_xlabel(X_LABELS.get(x, f"{x} [{unit}]" if unit else x))
        ax.set_ylabel(ylabel)
        ax.set_title(str(wl), fontsize="medium")
        ax.grid(True, which="both", alpha=0.3)
        _place_labels(fig, ax, labels)
    _outside_legend(fig, axes.flat)
    return fig


#: vertical offsets (points) a front label tries, nearest first, to the right of its point, then
#: to its left
LABEL_OFFSETS = (-14, 6, -26, 18, -38, 30, -50, 42)


def _place_labels(fig, ax, labels) -> None:
    """Each ``(x, y, text)`` beside its point, at the first of :data:`LABEL_OFFSETS` (right of
    it, then left of it) where its box stays inside the axes and overlaps no label placed
    before and no front marker (close points at the bottom of a front had their labels drawn
    over each other and the axis); when none is clear, the first inside the axes (a label drawn
    outside the frame read as another point's)."""
    if not labels:
        return
    r = fig.canvas.get_renderer()
    pad = 6.0 * fig.dpi / 72  # the front markers' radius (markersize 8), in pixels
    marks = [ax.transData.transform((x, y)) for x, y, _ in labels]
    places = [(side, dy) for side in (8, -8) for dy in LABEL_OFFSETS]
    taken = []
    for x, y, text in labels:
        ann = ax.annotate(text, (x, y), textcoords="offset points", xytext=(8, LABEL_OFFSETS[0]),
                          fontsize="x-small", color=FRONT_COLOR)
        inside = None
        for side, dy in places:
            ann.xyann = (side, dy)
            ann.set_horizontalalignment("left" if side > 0 else "right")
            bb = ann.get_window_extent(r)
            box = ax.bbox
            if not (box.x0 <= bb.x0 and bb.x1 <= box.x1 and box.y0 <= bb.y0 and bb.y1 <= box.y1):
                continue
            inside = inside or (side, dy)
            if not any(bb.overlaps(t) for t in taken) and not any(
                    bb.x0 - pad < mx < bb.x1 + pad and bb.y0 - pad < my < bb.y1 + pad
                    for mx, my in marks):
                break
        else:
            side, dy = inside or (-8, 0)
            ann.xyann = (side, dy)
            ann.set_horizontalalignment("left" if side > 0 else "right")
        taken.append(ann.get_window_extent(r))
