"""A second swept number drawn as colour: for random and Latin-hypercube sweeps (and grids
with more values of a second parameter than there are line styles), where a line style and
a legend entry per value of the other parameter would be one legend entry per point.

x is the plotted parameter, y the metric, each point coloured by the first other swept
parameter that is a number (viridis; a log scale when its values span more than a decade, or
are powers of two over a factor of 4 or more) with one colourbar per figure, labelled with its
unit and SI prefixes, ticked at the swept values when there are few (a grid's). The architecture
keeps its marker and, as the marker's edge, its colour (:func:`cimsim.plot.style.arch_style`);
the legend has one entry per architecture. Points of one architecture and one value of the
other parameters (a grid's column) are joined by a thin line in their colour; the swept
parameters beyond the colour's give those lines a line style each (a legend entry per value),
or, where they take more values than there are styles, the colourbar's label names them as
not told apart.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Mapping, NamedTuple

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.colors import LogNorm, Normalize, to_rgba
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator, NullLocator

from ..report.columns import ARCHITECTURE
from ..sweep.columns import ERROR, param_columns
from .family import same_as_x
from .flags import mark_extrapolated
from .overlap import band_label, covers
from .style import LINESTYLES, arch_style, value_styles

#: the colour map of a swept parameter (perceptually uniform, readable in grey)
CMAP = "viridis"
#: the face of a point whose colour parameter is empty (<NA>: a workload parameter its
#: generator does not vary), and of the line joining such points; the legend names it
NO_VALUE = "#a0a0a0"
#: the most ticks on a linear colourbar (matplotlib's default locator put 9 on a 3 inch bar)
TICKS = 4


class ColourBy(NamedTuple):
    """The swept parameter drawn as colour, and its scale."""

    param: str
    norm: Normalize
    #: the other swept parameters beyond ``param``: as line styles (``styles``: value tuple ->
    #: style) when their combinations fit the styles, else not told apart (``styles`` empty)
    rest: tuple = ()
    styles: Mapping = MappingProxyType({})
    #: the values swept, when there are few (a grid's): the colourbar's ticks
    values: tuple = ()


#: a parameter of at most this many values has its colourbar ticked at each of them
TICKED_VALUES = 8
#: values that are powers of two spanning at least this ratio get a log bar (2, 4, 8 ... evenly)
POW2_RATIO = 4.0


def _log_bar(values: np.ndarray) -> bool:
    """A log colour scale: values over more than a decade, or powers of two over a factor of 4 or
    more (16, 32, 64, 128 on a linear bar put 16 and 32 in almost the same colour)."""
    lo, hi = float(values.min()), float(values.max())
    if lo <= 0:
        return False
    e = np.log2(np.unique(values))
    return hi / lo > 10.0 or (hi / lo >= POW2_RATIO and bool(np.all(np.abs(e - np.round(e)) < 1e-9)))


def _combinations(values: pd.DataFrame) -> int:
    """How many line styles the value combinations of ``values`` need: an empty cell (a
    workload parameter its generator group does not vary: GRU files beside LSTM files of
    several hidden sizes) is no value, so its rows are counted among themselves (the rows
    empty in the same columns, one panel's), and the most any such set takes is the count."""
    empty = values.isna().to_numpy()
    return max(len(values[(empty == pattern).all(axis=1)].drop_duplicates())
               for pattern in np.unique(empty, axis=0))


def colour_param(df: pd.DataFrame, param: str) -> ColourBy | None:
    """The parameter to draw as colour when ``param`` is on x, or None when line styles do:
    when the other swept parameters take more value combinations than there are line styles
    (a random or LHS sweep: one per point) and one of them is a number."""
    ok = df[df[ERROR].isna()] if ERROR in df.columns else df
    twins = same_as_x(df, ok, param)  # x told twice takes no colour
    others = [p for p in param_columns(df) if p != param and p in ok.columns and ok[p].nunique() > 1
              and p not in twins]
    if not others or _combinations(ok[others]) <= len(LINESTYLES):
        return None
    numeric = [p for p in others if pd.api.types.is_numeric_dtype(ok[p])
               and not pd.api.types.is_bool_dtype(ok[p])]
    if not numeric:
        return None
    c = numeric[0]
    v = ok[c].astype(float).to_numpy()
    v = v[np.isfinite(v)]
    lo, hi = float(v.min()), float(v.max())
    norm = LogNorm(lo, hi) if _log_bar(v) else Normalize(lo, hi)
    distinct = tuple(float(x) for x in np.unique(v))
    rest = tuple(p for p in others if p != c)
    combos = list(ok[list(rest)].itertuples(index=False, name=None)) if rest else []
    # a style shows only on a joining line: every value of the others needs two points or more
    # (a random sweep's lone points leave the field named as not told apart instead)
    joined = bool(rest) and int(ok.groupby([ARCHITECTURE, *others], dropna=False).size().min()) > 1
    styles = value_styles(combos) if joined and len(set(combos)) <= len(LINESTYLES) else {}
    return ColourBy(c, norm, rest, styles, distinct if len(distinct) <= TICKED_VALUES else ())


def draw_coloured(ax, df: pd.DataFrame, data: pd.DataFrame, param: str, col: str, by: ColourBy,
                  factor: float, declared_only: bool) -> list[pd.Series]:
    """``col`` x ``factor`` against ``param``, each point coloured by ``by.param`` (an empty
    cell grey, :data:`NO_VALUE`, with a legend entry saying so); one legend entry per
    architecture. Returns the y values drawn."""
    from .figures import _by_x, _x, value_text

    cmap = colormaps[CMAP]
    twins = same_as_x(df, data, param)
    others = [p for p in param_columns(df) if p != param and p in data.columns and p not in twins]
    drawn, seen, no_value = [], [], False
    for arch, ga in data.groupby(ARCHITECTURE, sort=False):
        st = arch_style(str(arch))
        shown = False
        # every point of one drawn before (two architectures alike on a workload): its markers
        # as a wide pale halo beneath, its legend entry saying which it equals
        pts = ga.sort_values([param, *others]) if others else ga.sort_values(param)
        px = _x(df, param, pts[param]).to_numpy(dtype=float)
        py = pts[col].astype(float).to_numpy() * factor
        under = covers(seen, px, py)
        seen.append((str(arch), str(arch), px, py))
        for _, g in ga.groupby(others, sort=False, dropna=False) if others else [(None, ga)]:
            g = _by_x(df, param, g)
            y = g[col].astype(float) * factor
            if declared_only:
                y = y.where(y > 0)
            keep = y.notna().to_numpy()
            if not keep.any():
                continue
            x = _x(df, param, g[param]).to_numpy()[keep]
            c = g[by.param].astype(float).to_numpy()[keep]
            empty = np.isnan(c)  # matplotlib draws NaN in the map's "bad" colour: none at all
            face = cmap(by.norm(np.where(empty, by.norm.vmin, c)))
            face[empty] = to_rgba(NO_VALUE)
            no_value = no_value or bool(empty.any())
            if len(x) > 1:  # a grid's column: the points of one value of the others
                rest = tuple(g[p].iloc[0] for p in by.rest)
                ax.plot(x, y.to_numpy()[keep], color=NO_VALUE if empty.all() else
                        cmap(by.norm(float(np.mean(c[~empty])))),
                        linewidth=0.8 if not by.styles else 1.2, alpha=0.7, label="_column",
                        linestyle=by.styles.get(rest, "-"))
            ax.scatter(x, y.to_numpy()[keep], c=face, marker=st.marker,
                       s=30 if under is None else 120, edgecolors=st.color, linewidths=1.2,
                       zorder=3 if under is None else 2, alpha=1.0 if under is None else 0.45,
                       label="_point")
            mark_extrapolated(ax, g[keep], x, y.to_numpy()[keep])
            drawn.append(y[keep])
            shown = True
        if shown:  # the legend's entry: the architecture's marker, edged in its colour
            ax.plot([], [], linestyle="none", marker=st.marker, markersize=6 if under is None else 10,
                    markerfacecolor="white", markeredgecolor=st.color, markeredgewidth=1.5,
                    label=band_label(str(arch), under))
    if no_value:  # the points drawn in NO_VALUE: what that colour means
        ax.plot([], [], linestyle="none", marker="o", markersize=6, markerfacecolor=NO_VALUE,
                markeredgecolor="none", label=f"grey: {by.param} empty (<NA>)")
    for rest, style in by.styles.items():  # the legend of the line styles
        ax.plot([], [], color="grey", linestyle=style, label=", ".join(
            f"{p} = {value_text(df, p, v)}" for p, v in zip(by.rest, rest)))
    return drawn


def add_colourbar(fig, axes, df: pd.DataFrame, by: ColourBy):
    """One colourbar beside ``axes`` for ``by.param``, ticks with its unit and SI prefixes."""
    from matplotlib.cm import ScalarMappable

    from .figures import _param_label, _si_log_axis, _unit, value_text

    cb = fig.colorbar(ScalarMappable(norm=by.norm, cmap=colormaps[CMAP]), ax=list(axes),
                      location="bottom", shrink=0.6, aspect=40, pad=0.02)
    hidden = "" if by.styles or not by.rest else f"; not told apart: {', '.join(by.rest)}"
    cb.set_label(f"colour: {_param_label(df, by.param)}{hidden}", fontsize="small")
    if isinstance(by.norm, LogNorm):  # a log bar: log ticks, labelled in the value's own form
        if _unit(df, by.param):
            _si_log_axis(cb.ax.xaxis, _unit(df, by.param))
        else:  # a count (cores 4..64): 4, 8, 16, 32, 64, never 2x10^1 beside a linear 45
            lo, hi = by.norm.vmin, by.norm.vmax
            if pd.api.types.is_integer_dtype(df[by.param]):
                ticks = [2.0 ** e for e in range(int(np.ceil(np.log2(lo))), int(np.floor(np.log2(hi))) + 1)]
                ticks = ticks[::-(-len(ticks) // 6)]  # at most 6 labels
            else:
                ticks = [m * 10.0 ** e for e in range(int(np.floor(np.log10(lo))), int(np.ceil(np.log10(hi))) + 1)
                         for m in (1, 2, 5) if lo <= m * 10.0 ** e <= hi]
            cb.ax.xaxis.set_major_locator(FixedLocator(ticks))
            cb.ax.xaxis.set_minor_locator(NullLocator())
            cb.ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: value_text(df, by.param, v)))
    else:  # few ticks: the bar is 0.6 of the figure's width, and "2.25 GHz" is wide
        cb.locator = MaxNLocator(TICKS, integer=pd.api.types.is_integer_dtype(df[by.param]))
        cb.formatter = FuncFormatter(lambda v, _: value_text(df, by.param, v))
        cb.update_ticks()
    if by.values:  # a grid's few values: a tick at each, and none between
        cb.ax.xaxis.set_major_locator(FixedLocator(list(by.values)))
        cb.ax.xaxis.set_minor_locator(NullLocator())
        cb.ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: value_text(df, by.param, v)))
    cb.ax.tick_params(which="both", labelsize="small")
    return cb
