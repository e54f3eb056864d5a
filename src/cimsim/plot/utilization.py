"""Utilization of every busy resource against a swept parameter (``cimsim plot``'s
``utilization`` figure), apart from :mod:`cimsim.plot.figures` for its length."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from ..report.columns import ARCHITECTURE
from ..sweep.columns import param_columns
from .colour import colour_param
from .figures import (_by_x, _figure, _format_x, _grid, _ok, _outside_legend, _pick_param, _short,
                      _x, value_text)
from .family import other_params, panels as _panels
from .style import TEXT_COLOR, part_colors, part_markers, value_styles


def utilization_vs_param(df: pd.DataFrame, param: str | None = None) -> Figure:
    """Utilization of every busy resource against the swept parameter: one row per workload,
    one panel per architecture; a resource keeps its colour in every panel. The x parameter is
    the other figures' (``_pick_param``); in a grid, each value of the other swept parameters is
    a line style, as in the latency figure (one line through all of them zig-zagged)."""
    param = _pick_param(df, param)
    data = _ok(df)
    archs = list(dict.fromkeys(data[ARCHITECTURE]))
    wls = _panels(df, data, param)
    # points of a random / LHS sweep differ in other parameters too: markers, no line joining them
    sampled = colour_param(df, param) is not None
    others = [] if sampled else other_params(df, data, param)
    combos = value_styles(list(data[others].itertuples(index=False, name=None))) if others else {}
    fig = _figure(4.4 * max(1, len(archs)) + 2.6, 3.6 * max(1, len(wls)) + 0.5)
    grid = _grid(fig, len(wls), len(archs))
    utils = [c[len("util_"):] for c in data.columns if c.startswith("util_")]
    # a marker per resource too: two crossing lines read as one blue under protanopia (find-A 1)
    colors, markers = part_colors(utils), part_markers(utils)
    for row, (wl, rows_wl) in zip(grid, wls):
        for ax, arch in zip(row, archs):
            panel = rows_wl[rows_wl[ARCHITECTURE] == arch]
            groups = panel.groupby(others, sort=False, dropna=False) if others else [((), panel)]
            shown: list[str] = []
            top = 0.0  # the panel's largest utilization: above 1 where a level is oversubscribed
            for rest, part in groups:
                rest = rest if isinstance(rest, tuple) else (rest,)
                g = _by_x(df, param, part)
                for col in [c for c in g.columns if c.startswith("util_")]:
                    u = col[len("util_"):]
                    peak = float(g[col].fillna(0).astype(float).max())
                    top = max(top, peak)
                    if peak > 0:
                        ax.plot(_x(df, param, g[param]), g[col].astype(float), marker=markers[u],
                                markersize=5, linestyle="none" if sampled else combos.get(rest, "-"),
                                color=colors[u], label="_nolegend_")
                        shown += [u] if u not in shown else []
            for u in shown:  # a resource's key: its colour (the line style is the other values')
                ax.plot([], [], color=colors[u], marker=markers[u], markersize=5,
                        linestyle="none" if sampled else "-", label=u)
            for rest, style in combos.items():  # the styles' key, once per panel
                ax.plot([], [], color="0.3", linestyle=style, label=", ".join(
                    f"{_short(p)} = {value_text(df, p, v)}" for p, v in zip(others, rest)))
            _format_x(ax, df, param, panel[param])
            # up to 1.05, or past a value above 1 (a CIM chip's per-op level, unclamped)
            ax.set_ylim(0, 1.05 if top <= 1 else 1.1 * top)
            ax.set_ylabel("utilization [fraction of peak]")
            ax.set_title(f"{wl}: {arch}", fontsize="medium", color=TEXT_COLOR)
            ax.grid(True, which="both", alpha=0.3)
    _outside_legend(fig, grid.ravel(), title="resource")
    fig.suptitle("utilization")
    return fig


def utilization_vs_bandwidth(df: pd.DataFrame) -> Figure:
    """Utilization against a swept ``memory.LEVEL.bandwidth`` (the last one the sweep varies)."""
    bw = [p for p in param_columns(df) if p.startswith("memory.") and p.endswith(".bandwidth")]
    return utilization_vs_param(df, bw[-1] if bw else None)
