"""Figures of sweep results: DataFrame in, :class:`matplotlib.figure.Figure` out. Nothing here
simulates: what a figure needs beyond a sweep (per-op tables for the roofline) comes from
:mod:`cimsim.studies`.

Figures are built without pyplot (no global state, no display needed) on an Agg canvas,
whatever backend the session uses; save them with :func:`save_figure`. They are
:class:`CimFigure` objects, which Jupyter shows as a PNG (``_repr_png_``) with or without
pyplot.

Every sweep figure has one panel per workload (a sweep of several workloads is never
shown by its first alone), each architecture in its own colour and marker
(:mod:`cimsim.plot.style`, the same in every figure, the report and the notebooks), one
legend outside the panels, and swept values printed with their units. A random or Latin-hypercube sweep draws the second swept
number as colour with a colourbar (:mod:`cimsim.plot.colour`), not a legend entry per point.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogFormatter, NullFormatter

from ..report.columns import (
    ARCHITECTURE,
    AREA_M2,
    ENERGY,
    LATENCY,
    OPS_PER_J,
    OPS_PER_S_PER_M2,
    SYSTEM_AREA_M2,
    SYSTEM_OPS_PER_J,
    SYSTEM_OPS_PER_S_PER_M2,
    TPOT_S,
    energy_column,
)
from ..report.format import si
from ..sweep.columns import ATTR_UNITS, ERROR, param_columns
from .colour import add_colourbar, colour_param, draw_coloured
from .style import (LINESTYLES, NUMBER_FONT, TEXT_COLOR, arch_style, bar_style, part_colors, part_hatches,
                    value_styles)
from .ticks import si_scale, step_axis
from .canvas import EM_PER_CHAR, CimFigure, fill, new_figure  # noqa: F401  (re-exported)
from .flags import EXTRAPOLATED_LABEL, MISMATCH_MARK, mark_extrapolated
from .overlap import BAND, band_label, covers
from .select import several_devices
from .crossover import CHANGE_LABEL, mark_bound_changes
from .family import other_params, same_as_x, panels as _panels

#: A range wider than this ratio (max / min) gets a log axis.
LOG_RATIO = 10.0
#: panels per row of a faceted figure
MAX_COLS = 3

_LABELS = {
    LATENCY: "latency [s]",
    ENERGY: "energy [J]",
}
#: units of the metrics whose linear-axis ticks are printed with SI prefixes
_UNITS = {LATENCY: "s", ENERGY: "J", TPOT_S: "s"}


_figure = new_figure


def _ok(df: pd.DataFrame) -> pd.DataFrame:
    """Rows without an error."""
    if ERROR in df.columns:
        df = df[df[ERROR].isna()]
    return df


def _spans_decades(values) -> bool:
    v = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float)
    v = v[np.isfinite(v) & (v > 0)]
    return len(v) > 1 and v.max() / v.min() > LOG_RATIO


def _unit(df: pd.DataFrame, param: str) -> str:
    return (df.attrs.get(ATTR_UNITS) or {}).get(param, "")


def _param_label(df: pd.DataFrame, param: str) -> str:
    unit = _unit(df, param)
    return f"{param} [{unit}]" if unit else param


def _short(param: str) -> str:
    """``memory.dram.bandwidth`` -> ``dram.bandwidth``: the last two parts of a config path."""
    return ".".join(param.split(".")[-2:])


def value_text(df: pd.DataFrame, param: str, value) -> str:
    """A swept value as shown in legends and ticks: with its unit and an SI prefix
    (``135.7 GB/s``, never ``1.35721e+11``); areas in mm² or cm²; a unitless integer (or a
    whole tick of an integer field) with thousands separators (``16,384``, never ``1.638e+04``)."""
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_)):
        unit = _unit(df, param)
        if unit:
            return si(float(value), unit, digits=4)
        if isinstance(value, (int, np.integer)) or (
                float(value).is_integer() and param in df.columns
                and pd.api.types.is_integer_dtype(df[param]) and not pd.api.types.is_bool_dtype(df[param])):
            return f"{int(value):,}"
        return f"{float(value):.4g}"
    return str(value)


def _pick_param(df: pd.DataFrame, param: str | None) -> str:
    params = param_columns(df)
    if param is not None:
        if param not in df.columns:
            raise ValueError(f"no column {param!r}; swept parameters: {', '.join(params) or 'none'}")
        return param
    if not params:
        raise ValueError("the DataFrame has no swept-parameter column (dotted config path)")
    return params[0]


def _grid(fig: Figure, rows: int, cols: int) -> np.ndarray:
    return fig.subplots(max(1, rows), max(1, cols), squeeze=False)


def _facet_shape(n: int) -> tuple[int, int]:
    cols = min(max(1, n), MAX_COLS)
    return math.ceil(max(1, n) / cols), cols


#: a legend of labels longer than this goes below the panels, not beside them
LEGEND_RIGHT_CHARS = 48
#: the legend's font size, "small" at matplotlib's default 10 pt, in points
LEGEND_PT = 8.33


def _outside_legend(fig: Figure, axes: Iterable, title: str | None = None) -> None:
    """One legend for the whole figure, right of the panels (never over the data), or below them
    when its labels are long: each label once, in first-drawn order."""
    seen: dict[str, object] = {}
    for ax in axes:
        for h, label in zip(*ax.get_legend_handles_labels()):
            if not label.startswith("_"):
                seen.setdefault(label, h)
    # a band keeps its entry beside its series' line (the line in one panel, a band in another:
    # the band's entry says what it covers there); the cross of extrapolated points comes last
    for last in (CHANGE_LABEL, EXTRAPOLATED_LABEL):  # the rings of a bound_part change too
        if last in seen:
            seen[last] = seen.pop(last)
    if not seen:
        return
    longest = max(len(label) for label in seen)
    if longest <= LEGEND_RIGHT_CHARS:
        fig.legend(list(seen.values()), list(seen), loc="outside right upper", fontsize="small",
                   title=title, title_fontsize="small")
        return
    # long labels (a grid's values, what a band covers) beside the panels squeezed them to
    # slivers: below them, the figure taller by the legend's rows
    cols = 2 if 2 * longest * 0.6 * 9 / 72 < fig.get_figwidth() else 1
    # a label wider than its column (a band's "(= ...)" runs to 150 characters) wrapped to it,
    # less the handle (0.6 in): it ran off both edges of a one-panel figure
    labels = [fill(label, int((fig.get_figwidth() / cols - 0.6) * 72 / (EM_PER_CHAR * LEGEND_PT)))
              for label in seen]
    lines = sum(label.count("\n") + 1 for label in labels)
    rows = -(-lines // cols) + (1 if title else 0)
    w, h = fig.get_size_inches()
    fig.set_size_inches(w, h + rows * 0.22 + 0.2)
    fig.legend(list(seen.values()), labels, loc="outside lower center", fontsize="small",
               ncols=cols, title=title, title_fontsize="small")


def _categories(df: pd.DataFrame, param: str) -> list | None:
    """The values of a swept parameter that is not a number (a string such as
    ``cim.adc.range_policy``, or a boolean), in order of first appearance; None for a number."""
    col = df[param]
    if pd.api.types.is_bool_dtype(col) or not pd.api.types.is_numeric_dtype(col):
        return list(dict.fromkeys(col.dropna().tolist()))
    return None


def _x(df: pd.DataFrame, param: str, values: pd.Series) -> pd.Series:
    """x positions of swept values: the values, or a category's place (0, 1, ...)."""
    cats = _categories(df, param)
    if cats is None:
        return values.astype(float)
    return values.map({c: float(i) for i, c in enumerate(cats)}).astype(float)


def _by_x(df: pd.DataFrame, param: str, g: pd.DataFrame) -> pd.DataFrame:
    """``g``'s rows in the order of their x positions (a line joins them left to right)."""
    return g.iloc[np.argsort(_x(df, param, g[param]).to_numpy(), kind="stable")]


def _format_x(ax, df: pd.DataFrame, param: str, values) -> None:
    """x axis of a swept parameter: log over decades, ticks at the swept values when there
    are few of them, every tick with its unit (no overlapping minor labels); a parameter that
    is not a number has one tick per value, named."""
    cats = _categories(df, param)
    if cats is not None:
        ax.set_xticks(range(len(cats)), [str(c) for c in cats])
        ax.set_xlim(-0.5, len(cats) - 0.5)
        ax.tick_params(axis="x", labelsize="small")
        ax.set_xlabel(_param_label(df, param))
        return
    vals = sorted(set(pd.to_numeric(pd.Series(values), errors="coerce").dropna().tolist()))
    if _spans_decades(vals):
        ax.set_xscale("log")
    if 0 < len(vals) <= 6:
        ax.set_xticks(vals)
    elif ax.get_xscale() == "log":  # decades alone left one label over a short span: 6 values
        ax.set_xticks([vals[i] for i in sorted(set(np.linspace(0, len(vals) - 1, 6).round().astype(int)))])
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: value_text(df, param, v)))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.tick_params(axis="x", labelrotation=30, labelsize="small")
    ax.set_xlabel(_param_label(df, param))


def _draw_metric(ax, df: pd.DataFrame, data: pd.DataFrame, param: str, col: str, ylabel: str,
                 factor: float = 1.0, declared_only: bool = False) -> bool:
    """``col`` x ``factor`` against ``param`` on ``ax``: one line per architecture (its colour
    and marker) and, when other parameters vary, per value of them (line style; legend values
    with units); log axes over decades. ``declared_only``: values <= 0 or missing are not
    drawn, nor a series with none left. True when a line was drawn."""
    drawn, seen = [], []
    others = other_params(df, data, param)
    by = colour_param(df, param)
    if by is not None:  # a random / LHS sweep: the other parameter as colour, not a line each
        drawn, others = draw_coloured(ax, df, data, param, col, by, factor, declared_only), []
    combos = value_styles(list(data[others].itertuples(index=False, name=None))) if others else {}
    keys = [ARCHITECTURE] + others
    for key, g in data.groupby(keys, sort=False, dropna=False) if by is None else ():
        key = key if isinstance(key, tuple) else (key,)
        arch, rest = str(key[0]), tuple(key[1:])
        g = _by_x(df, param, g)
        y = g[col].astype(float) * factor
        if declared_only:
            y = y.where(y > 0)
            if not y.notna().any():
                continue
        st = arch_style(arch)
        label = ", ".join([arch] + [f"{_short(p)} = {value_text(df, p, v)}" for p, v in zip(others, rest)])
        xs = _x(df, param, g[param])
        # a line on top of one already drawn (gpu-hbm-pim-attn on gpu-hbm3 where its PIM idles)
        # would hide it: drawn as a wide pale band under it, its label saying which it covers
        under = covers(seen, np.asarray(xs, dtype=float), y.to_numpy(float))  # any drawn line
        ax.plot(xs, y, marker=st.marker, markersize=4 if under is None else 7, color=st.color,
                linestyle=combos.get(rest, "-"), label=band_label(label, under),
                **({} if under is None else BAND))
        mark_extrapolated(ax, g, xs, y)
        if col == LATENCY:  # where bound_part changes along the line (dram -> sram)
            mark_bound_changes(ax, g, xs, y)
        # another band names this line's own label, never its band label (no chains)
        seen.append((arch, label, np.asarray(xs, dtype=float), y.to_numpy(float)))
        drawn.append(y)
    _format_x(ax, df, param, data[param])
    if twins := same_as_x(df, data, param):  # tpu.cols = tpu.rows: said on the axis, not a colour
        ax.set_xlabel(f"{_param_label(df, param)} (= {', '.join(twins)})")
    if drawn and _spans_decades(pd.concat(drawn)):
        ax.set_yscale("log")
        if col in _UNITS:
            _si_log_axis(ax.yaxis, _UNITS[col])
    else:  # decimals for the tick step: a narrow range never repeats a label
        step_axis(ax.yaxis, _UNITS.get(col, ""), pd.concat(drawn) if drawn else None)
    ax.set_ylabel(ylabel)
    ax.grid(True, which="both", alpha=0.3)
    return bool(drawn)


class _SILogFormatter(LogFormatter):
    """Matplotlib's choice of which log ticks get a label (minor ones too, over a short span),
    each written with an SI prefix and the unit (``20 J``), never ``2 x 10^1``."""

    def __init__(self, unit: str):
        super().__init__(labelOnlyBase=False)
        self.unit = unit

    def __call__(self, x, pos=None):
        return si(x, self.unit) if super().__call__(x, pos) else ""


def _si_log_axis(axis, unit: str) -> None:
    """Major and minor tick labels of a log ``axis`` in SI units."""
    axis.set_major_formatter(_SILogFormatter(unit))
    axis.set_minor_formatter(_SILogFormatter(unit))


def metric_vs_param(
    df: pd.DataFrame, metric: str = LATENCY, param: str | None = None, title: str | None = None
) -> Figure:
    """``metric`` against a swept parameter: one panel per workload (against a workload
    parameter, one for the workloads, :mod:`cimsim.plot.family`), one line per architecture;
    log axes over decades."""
    param = _pick_param(df, param)
    data = _ok(df)
    wls = _panels(df, data, param)
    rows, cols = _facet_shape(len(wls))
    fig = _figure(4.8 * cols + 3.0, 3.8 * rows + 0.5)
    axes = _grid(fig, rows, cols).ravel()
    for ax, (wl, sub) in zip(axes, wls):
        _draw_metric(ax, df, sub, param, metric, _LABELS.get(metric, metric))
        ax.set_title(wl, fontsize="medium")
    for ax in axes[len(wls):]:
        ax.remove()
    _outside_legend(fig, axes[:len(wls)])
    by = colour_param(df, param)
    if by is not None:
        add_colourbar(fig, axes[:len(wls)], df, by)
    fig.suptitle(title or f"{metric} vs {param}")
    return fig


def latency_vs_param(df: pd.DataFrame, param: str | None = None) -> Figure:
    """Latency against the swept parameter: one panel per workload, one line per architecture."""
    return metric_vs_param(df, LATENCY, param, "latency")


def energy_vs_param(df: pd.DataFrame, param: str | None = None) -> Figure:
    """Energy against the swept parameter: one panel per workload, one line per architecture."""
    return metric_vs_param(df, ENERGY, param, "energy")


#: the efficiency panels: (column, axis label, factor from the column's SI unit to the label's);
#: ``{}`` in a label is the SI prefix :func:`prefixed_panels` picks from the data (GOPS/W for a
#: CPU, TOPS/W for a CIM macro: a fixed TOPS/W read 0.0004 for a CPU)
EFFICIENCY_PANELS = (
    (OPS_PER_J, "energy efficiency [{}OPS/W]", 1.0),  # ops/J = OPS/W
    (OPS_PER_S_PER_M2, "area efficiency [{}OPS/mm²]", 1e-6),  # ops/s/m^2 -> 1e-6 m^2/mm^2
    (AREA_M2, "area [mm²]", 1e6),
)

#: the same of all the devices, where a run of the sweep stands for several (a tensor- or
#: pipeline-parallel run: ``system_devices`` > 1; the plain columns count one device's energy and
#: area, under pipeline parallelism against every stage's ops)
SYSTEM_EFFICIENCY_PANELS = (
    (SYSTEM_OPS_PER_J, "energy efficiency, all devices [{}OPS/W]", 1.0),
    (SYSTEM_OPS_PER_S_PER_M2, "area efficiency, all devices [{}OPS/mm²]", 1e-6),
    (SYSTEM_AREA_M2, "area, all devices [mm²]", 1e6),
)

def prefixed_panels(data: pd.DataFrame, panels) -> list[tuple[str, str, float]]:
    """``panels`` with each label's ``{}`` filled with the SI prefix of the largest value the
    panel's column x factor takes in ``data`` (every workload's: one unit down a column of
    panels) and the factor scaled by it; a panel with no value is left in the unprefixed unit."""
    out = []
    for col, label, factor in panels:
        if "{}" in label:
            v = pd.to_numeric(data[col], errors="coerce").to_numpy(float) * factor if col in data \
                else np.array([])
            scale, prefix = si_scale(v[np.isfinite(v) & (v > 0)], "OPS")
            label, factor = label.format(prefix), factor / scale
        out.append((col, label, factor))
    return out


def metric_grid(df: pd.DataFrame, param: str, data: pd.DataFrame, panels, title: str,
                empty=lambda col: "no data") -> Figure:
    """One row of panels per workload of ``data``, one panel per ``(column, label, factor)`` of
    ``panels``: each column x factor against ``param``, one line per architecture (values <= 0
    or missing not drawn), a panel with no line saying ``empty(column)``; one legend outside the
    panels and, for a random / LHS sweep, one colourbar for the parameter drawn as colour."""
    wls = _panels(df, data, param) or [("", data)]
    panels = prefixed_panels(data, panels)
    fig = _figure(4.6 * len(panels) + 3.0, 3.6 * len(wls) + 0.5)
    grid = _grid(fig, len(wls), len(panels))
    for row, (wl, sub) in zip(grid, wls):
        for ax, (col, label, factor) in zip(row, panels):
            if not (col in sub.columns and _draw_metric(ax, df, sub, param, col, label, factor,
                                                        declared_only=True)):
                _empty_panel(ax, _param_label(df, param), label, empty(col))
            ax.set_title(f"{wl}: {label.split(' [')[0]}", fontsize="medium")
    _outside_legend(fig, grid.ravel())
    by = colour_param(df, param)
    if by is not None:
        add_colourbar(fig, grid.ravel(), df, by)
    fig.suptitle(title)
    return fig


def _empty_panel(ax, xlabel: str, ylabel: str, text: str) -> None:
    """A panel with no line: its axis labels and ``text`` in its middle, no ticks nor grid (the
    swept values' ticks, set for a log axis, were crammed into the end of a linear 0-1 one)."""
    ax.set_xscale("linear")
    ax.set_yscale("linear")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.minorticks_off()
    ax.grid(False, which="both")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center")


def efficiency_vs_param(df: pd.DataFrame, param: str | None = None) -> Figure:
    """TOPS/W, TOPS/mm² and area against the swept parameter: one row of three panels per
    workload, one line per architecture (operations = 2 x MACs; all the devices' where a run
    stands for several: :data:`SYSTEM_EFFICIENCY_PANELS`). An architecture that declares
    no area has no line in the last two panels (its columns are NaN; an area of 0 m^2 is one no
    part declared); a panel with no line says so."""
    param = _pick_param(df, param)
    panels = SYSTEM_EFFICIENCY_PANELS if several_devices(df) else EFFICIENCY_PANELS
    return metric_grid(df, param, _ok(df), panels, "efficiency", lambda col: "no data" if col in (
        OPS_PER_J, SYSTEM_OPS_PER_J) else "no architecture declares its area")


#: a swept count (integers) of up to this many values draws each one in the energy breakdown
FEW_COUNTS = 8


def _pick_values(values: Sequence, most: int) -> list:
    """Up to ``most`` of ``values``: numbers in ascending order, text and booleans in the order
    swept (as the category axis of the other figures: never alphabetical)."""
    numbers = all(isinstance(v, (int, float, np.number)) and not isinstance(v, (bool, np.bool_))
                  for v in values)
    vals = sorted(set(values)) if numbers else list(dict.fromkeys(values))
    if len(vals) <= most or (len(vals) <= FEW_COUNTS
                             and all(isinstance(v, (int, np.integer)) for v in vals)):
        return vals  # a count of a few values (cim.chips 1..8): each one, no knee left out
    idx = np.unique(np.round(np.linspace(0, len(vals) - 1, most)).astype(int))
    return [vals[i] for i in idx]


def energy_parts(data: pd.DataFrame) -> list[str]:
    """The energy parts (``energy_<part>_j`` columns) with any energy in ``data``."""
    comps = [c[len("energy_"):-len("_j")] for c in data.columns
             if c.startswith("energy_") and c.endswith("_j") and c != ENERGY]
    return [c for c in comps if data[energy_column(c)].fillna(0).astype(float).abs().sum() > 0]


def _part_energy(rows: list, part: str) -> np.ndarray:
    col = energy_column(part)
    return np.array([float(r[col]) if pd.notna(r[col]) else 0.0 for r in rows])


#: the colour of a bar of total energy (an architecture's colour would read as a part's)
TOTAL_COLOR = "#444444"


def energy_breakdown(df: pd.DataFrame, param: str | None = None, most: int = 4,
                     universe=()) -> Figure:
    """The energy of each run by part (``energy_<part>_j``), one panel per workload.

    One bar per architecture at up to ``most`` values of the swept parameter (its first,
    last and evenly spaced ones between, named under the bars), or at each of up to
    :data:`FEW_COUNTS` integer values (a count such as ``cim.chips``: none left out). A grid over other parameters too (up to six
    combinations of their values) has one panel per workload and combination, its title
    naming them; else each bar is one run, its label naming its other swept values (and the
    axis label saying so when a value had several). When a panel's totals span less than a decade
    the parts are stacked in joules on a linear axis; when they span decades (a CIM run
    next to a GPU run) the bars are split in two: the total on a log axis above, the parts as shares of it (stacked to 1) below, so no
    bar is too small to see. Parts have the colours of :func:`cimsim.plot.style.part_colors`.
    """
    data = _ok(df)
    params = param_columns(df)
    param = param if param is not None else (params[0] if params else None)
    comps = energy_parts(data)
    part_colour = part_colors(comps, universe)
    hatch = part_hatches(comps, universe)  # colour is never alone (find-A 1)
    others = other_params(df, data, param) if param is not None else []
    # a grid's few values of the other parameters: a panel each; else (a random / LHS sweep, a
    # run per value) each bar is the first run at its value, the others named in its label
    combos = list(dict.fromkeys(data[others].itertuples(index=False, name=None))) if others else []
    sliced = 0 < len(combos) <= len(LINESTYLES)
    panels, first_only, thinned = [], False, None
    for wl, rows_wl in _panels(df, data, param) or [("", data)]:
        for combo in combos if sliced else [None]:
            sub = rows_wl
            title = wl if wl != "" else "energy"
            if combo is not None:
                sub = sub[np.logical_and.reduce([(sub[p] == v).fillna(False).to_numpy(bool) if pd.notna(v)
                                                 else sub[p].isna().to_numpy() for p, v in zip(others, combo)])]
                title += ": " + ", ".join(f"{_short(p)} = {value_text(df, p, v)}" for p, v in zip(others, combo))
                if sub.empty:
                    continue
            rest_params = others if combo is None else []
            bars: list[tuple[str, str, pd.Series]] = []
            for arch, g in sub.groupby(ARCHITECTURE, sort=False):
                if param is None:
                    bars.append((str(arch), str(arch), g.iloc[0]))
                    continue
                picked = _pick_values(g[param].tolist(), most)
                if len(picked) < g[param].nunique():  # said under the bars, not left out in silence
                    thinned = (len(picked), g[param].nunique(),
                               ", ".join(value_text(df, param, v) for v in picked))
                for v in picked:
                    first_only |= int((g[param] == v).sum()) > 1
                    row = g[g[param] == v].iloc[0]  # the other swept values of the bar's run too
                    rest = [value_text(df, p, row[p]) for p in rest_params]
                    bars.append(("\n".join([str(arch), value_text(df, param, v), *rest]), str(arch), row))
            panels.append((title, bars))
    most_bars = max(len(b) for _, b in panels)
    # many bars: one workload per row, so the figure grows down, not into a strip
    rows, cols = (len(panels), 1) if most_bars > 8 else _facet_shape(len(panels))
    n_wl = len(_panels(df, data, param)) or 1
    if sliced and most_bars <= 8 and len(combos) <= MAX_COLS and len(panels) == n_wl * len(combos):
        rows, cols = n_wl, len(combos)  # a row per workload, a column per value: none split
    split_any = any(_spans_decades([float(r[ENERGY]) for _, _, r in b]) for _, b in panels)
    panel_h = 5.6 if split_any else 3.8
    fig = _figure(max(3.6, 0.55 * most_bars + 1.6) * cols + 2.6, panel_h * rows + 0.4)
    subfigs = np.atleast_1d(fig.subfigures(rows, cols, squeeze=False)).ravel()
    for sf, (title, bars) in zip(subfigs, panels):
        x = np.arange(len(bars))
        rws = [r for _, _, r in bars]
        totals = np.array([float(r[ENERGY]) for r in rws])
        # a (!p) mark on a line of its own: beside the name it ran into the next bar's label
        labels = [b[0].replace(MISMATCH_MARK, "\n" + MISMATCH_MARK.strip()) for b in bars]
        if _spans_decades(totals):
            ax_t, ax = sf.subplots(2, 1, sharex=True, height_ratios=(1, 1.2))
            ax_t.bar(x, totals, color=TOTAL_COLOR, label="total (log axis)")
            ax_t.set_yscale("log")
            _si_log_axis(ax_t.yaxis, "J")
            ax_t.set_ylabel("energy [J] (log)")
            ax_t.set_axisbelow(True)
            ax_t.grid(True, axis="y", which="major", alpha=0.3)
            bottom = np.zeros(len(bars))
            for c in comps:
                h = np.divide(_part_energy(rws, c), totals, out=np.zeros(len(bars)), where=totals > 0)
                ax.bar(x, h, bottom=bottom, label=c, **bar_style(part_colour[c], hatch[c]))
                bottom += h
            ax.set_ylim(0, 1.0)
            ax.set_ylabel("share of the bar's energy [fraction]")
        else:
            ax = sf.subplots()
            bottom = np.zeros(len(bars))
            for c in comps:
                h = _part_energy(rws, c)
                ax.bar(x, h, bottom=bottom, label=c, **bar_style(part_colour[c], hatch[c]))
                bottom += h
            ax.set_ylabel("energy [J]")
            ax.set_ylim(0, 1.05 * float(bottom.max()) if bottom.max() > 0 else 1.0)  # the top off the frame
            step_axis(ax.yaxis, "J")
        # near-black at a readable size: in the architecture's colour at x-small, "sram-cim /
        # 44.72 mJ" was 5.8 pt at 2.53:1 contrast (find-A 2); the bar's label names it
        # slanted where there are many bars or a label is wider than its bar's pitch (at the
        # readable size, four sram-cim-derived labels ran into each other)
        longest = max(len(ln) for lab in labels for ln in lab.split("\n"))
        slant = len(bars) > 4 or (len(bars) > 2 and longest > 10)
        ax.set_xticks(x, labels, fontsize=NUMBER_FONT, color=TEXT_COLOR,
                      rotation=45 if slant else 0, ha="right" if slant else "center")
        if param is not None:
            shown = [param, *([] if sliced else others)]
            note = f"\n(each bar one run: the first at its {param})" if first_only else ""
            if thinned:  # wrapped to the panel, as the label above it
                note += "\n" + wrap_caption(f"({thinned[0]} of the {thinned[1]} values of {param}: "
                                             f"{thinned[2]}, the first, the last and evenly between)",
                                             fig.get_figwidth() / cols)
            ax.set_xlabel(wrap_caption(", ".join(["architecture"] + [_param_label(df, p) for p in shown]),
                                       fig.get_figwidth() / cols) + note, fontsize="small")
        sf.suptitle(title, fontsize="medium")
    _outside_legend(fig, [a for sf in subfigs for a in sf.axes], title="energy part")
    fig.suptitle("energy breakdown")
    return fig


#: inches per character of a caption in the "small" font (8.3 pt), a generous average
CAPTION_CHAR_IN = 8.3 * 0.6 / 72


def wrap_caption(text: str, width_in: float) -> str:
    """``text`` broken at its spaces into lines that fit ``width_in`` inches (less a margin): a
    centred caption wider than its panel was clipped at the figure's edges."""
    import textwrap

    return textwrap.fill(text, max(20, int(0.85 * width_in / CAPTION_CHAR_IN)), break_long_words=False)


def save_figure(fig: Figure, path: str | Path, formats: Sequence[str] = ("png", "svg")) -> list[Path]:
    """Write ``fig`` as ``path.<fmt>`` for each format; return the files written. Each file is
    whole or absent (:func:`cimsim.atomic.atomic_write`: an ``OSError``, a full disk's too,
    names it)."""
    from ..atomic import atomic_write

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    out = []
    for fmt in formats:
        target = path.with_suffix(f".{fmt}")
        atomic_write(target, lambda tmp: _save(fig, tmp, fmt))
        out.append(target)
    return out


def _save(fig: Figure, path, fmt: str) -> None:
    """One format of ``fig``, the same bytes for the same figure: an SVG without its date and
    with fixed ids (matplotlib's are random per run), a PNG as it is."""
    import matplotlib

    if fmt != "svg":
        fig.savefig(path, format=fmt, dpi=150)
        return
    with matplotlib.rc_context({"svg.hashsalt": "cimsim"}):
        fig.savefig(path, format=fmt, dpi=150, metadata={"Date": None})
