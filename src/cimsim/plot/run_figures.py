"""Figures of single runs (a :class:`~cimsim.report.result.Result` with its op table), for
``cimsim report``: an architecture's own roofline, the critical path as a Gantt strip,
utilization of every resource, and critical path against sequence length (the table of
:func:`cimsim.studies.critical_path_table`). Nothing here simulates.

Every figure has labelled axes with units, a title and a legend; the plotted
values are the results' values (the tests read them back from the artists).
"""

from __future__ import annotations

import textwrap

from typing import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from ..report import columns as C
from ..report.format import pct, si
from .figures import _facet_shape, _figure, _grid, _outside_legend, _si_log_axis
from .roofline import (OVERHEAD_BOUND, compute_bound, mac_precision, overhead_bound, place_ops, ridge_labels,
                       roof_levels, workload_dtype)
from .overlap import BAND, band_label, covers
from .style import NUMBER_FONT, TEXT_COLOR, arch_style, bar_style, part_colors, part_hatches
from .ticks import ScaledFormatter, si_scale


def roofline_panels(arch, result, workload) -> list[tuple[object, float, list, pd.DataFrame]]:
    """``(component, peak MAC/s, the levels its ops read, its MAC ops)`` for each component of
    ``arch`` that has a peak for the workload's dtype and ran MAC ops in ``result``; the levels
    are :func:`~cimsim.plot.roofline.roof_levels`' ``(level, B/s, bytes column)``."""
    dtype = workload_dtype(workload)
    ops = result.op_table
    ops = ops[(ops["macs"] > 0) & (ops["duration_s"] > 0)]
    out = []
    for comp in arch.instances:
        peak = comp.peak_macs_per_s(dtype)
        mine = ops[ops["unit"] == comp.name]
        if peak is None or not len(mine):
            continue
        out.append((comp, float(peak), roof_levels(arch, comp, mine), mine))
    return out


def arch_roofline(arch, result, workload) -> Figure:
    """The hierarchical roofline of one architecture: one panel per component that ran MAC ops.

    Each panel's roofs are that component's own peak (2 x peak MAC/s for the workload's dtype)
    and one diagonal per level its ops read (each memory level and link they move bytes over,
    and each bandwidth inside the component, a PIM's banks: ``pim_banks``), at that level's
    effective bandwidth: attainable = min(2 x peak, bandwidth x intensity). Each op is placed
    by the level that bounds it (the one whose bytes / bandwidth is the largest for it), at
    2 x MACs / its bytes there, and rate 2 x MACs / (the op's duration alone), in that level's
    colour and legend entry ("bound by dram") only when its time there is its largest part; an
    op whose compute time is at least its time there is bound by compute
    (:func:`~cimsim.plot.roofline.compute_bound`), in compute's colour; an op whose fixed latency exceeds both its time at that level and its compute time
    is bound by overhead (:func:`~cimsim.plot.roofline.overhead_bound`): hollow, below the
    roof, its own legend entry; an op that moves no bytes at any level is a ``>`` at the right
    edge.
    """
    panels = roofline_panels(arch, result, workload)
    fig = _figure(5.2 * max(1, len(panels)), 4.4)
    axes = fig.subplots(1, max(1, len(panels)), squeeze=False)[0]
    dtype = workload_dtype(workload)
    if not panels:
        ax = axes[0]
        ax.plot([], [], label="no component with a MAC peak ran ops")
        ax.set_xlabel("arithmetic intensity [op/B]")
        ax.set_ylabel("performance [op/s]")
        ax.set_title(f"roofline: {arch.name}")
        ax.legend(fontsize="small")
        return fig
    st = arch_style(arch.name)
    colors = part_colors([lv for *_, levels, _ in panels for lv, _, _ in levels] + ["compute"])
    for ax, (comp, peak, levels, mine) in zip(axes, panels):
        name, prec = comp.name, mac_precision(comp, dtype)
        ai, k = place_ops(mine, levels)
        over = overhead_bound(mine, levels, k)
        busy = compute_bound(mine, levels, k)  # at their level's bytes, its time not their largest
        known = ai[np.isfinite(ai)]
        ridges = [2.0 * peak / bw for _, bw, _ in levels] or [1.0]
        lo = min([min(ridges) / 100] + list(known / 10))
        hi = max([max(ridges) * 100] + list(known * 10))
        xs = np.geomspace(lo, hi, 200)
        flat = xs[xs >= min(ridges)]  # the peak, from where the first diagonal meets it
        ax.plot(flat, np.full_like(flat, 2.0 * peak), color="k",
                label=f"roof: {name} {si(2 * peak, 'OPS')} ({prec})")
        for level, bw, _ in levels:
            roof = np.minimum(2.0 * peak, bw * xs)
            ax.plot(xs, roof, color=colors[level], linestyle="--",
                    label=f"roof over {level}: {si(bw, 'B/s')}")
            x0 = xs[0] * 2  # the level and its bandwidth on its diagonal, too
            ax.annotate(f"{level} {si(bw, 'B/s')}", (x0, min(2.0 * peak, bw * x0)), fontsize=NUMBER_FONT,
                        color=TEXT_COLOR, xytext=(6, -6), textcoords="offset points", va="top")
        perf = 2.0 * mine["macs"].to_numpy(float) / mine["duration_s"].to_numpy(float)
        for i, (level, _, _) in enumerate(levels):
            on = (k == i) & ~over & ~busy
            if on.any():
                ax.scatter(ai[on], perf[on], s=14, alpha=0.6, color=colors[level], marker=st.marker,
                           label=f"{name} ops bound by {level} ({int(on.sum())})")
            slow = (k == i) & over  # at their bytes on the level, below its roof: hollow
            if slow.any():
                ax.scatter(ai[slow], perf[slow], s=36, linewidths=1.2, facecolors="none",
                           edgecolors=colors[level], marker=st.marker,
                           label=f"{name} ops {OVERHEAD_BOUND}, at their {level} bytes ({int(slow.sum())})")
        if busy.any():  # compute time >= the level's: on (or under) the flat roof
            ax.scatter(ai[busy], perf[busy], s=14, alpha=0.6, color=colors["compute"], marker=st.marker,
                       label=f"{name} ops bound by compute ({int(busy.sum())})")
        if (k < 0).any():  # no bytes at any level: no intensity to place them at
            ax.scatter(np.full(int((k < 0).sum()), hi), perf[k < 0], s=30, marker=">",
                       facecolors="none", edgecolors=st.color, clip_on=False,
                       label=f"{name} ops moving no bytes over "
                             f"{', '.join(lv for lv, _, _ in levels) or 'any level'} "
                             f"({int((k < 0).sum())}): at the right edge, intensity unbounded")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ridge_labels(ax, [(peak, bw, colors[level]) for level, bw, _ in levels])
        ax.set_xlabel("arithmetic intensity [op/B] (2 x MACs / bytes at the level that bounds the op)",
                      fontsize="small")
        ax.set_ylabel(f"performance [op/s] ({prec})")
        ax.set_title(f"{arch.name}: {name}" + (f" reading {', '.join(lv for lv, _, _ in levels)}"
                                                if levels else ""))
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize="x-small", loc="upper center", bbox_to_anchor=(0.5, -0.18))  # below the data
    fig.suptitle(f"roofline of {workload.name} on {arch.name}")
    return fig


def path_parts(result) -> list[str]:
    """The parts of the critical path's time: each memory level and link, compute, overhead."""
    return list(result.path_time_s)


def critical_path_gantt(result, universe=()) -> Figure:
    """The realised critical path as one Gantt strip: each op on it is a bar from its start,
    split into the parts its time is attributed to (see ``attribute_path``), coloured by part;
    the legend gives each part's total and share."""
    pt = result.path_table
    fig = _figure(10.0, 2.6)
    ax = fig.add_subplot()
    total = sum(result.path_time_s.values()) or 1.0
    span = max(result.latency_s, float(pt["end_s"].max()) if len(pt) else 0.0) or 1.0
    parts = path_parts(result)
    amounts, edges = _binned_parts(pt, parts, span)
    within = np.cumsum(amounts, axis=0) - amounts  # each part's place inside its bin
    colors = part_colors(parts, universe)
    # colour only: hatching hundreds of narrow segments made this figure 12x slower to save and
    # drew a moire that washed the colours out (review19-E 2, 3); the legend names each part
    # with its time and share, and the report's Data table lists them
    for i, part in enumerate(parts):
        keep = amounts[i] > 0
        if keep.any():
            ax.broken_barh(list(zip(edges[:-1][keep] + within[i][keep], amounts[i][keep])), (0, 1),
                           facecolor=colors[part], linewidth=0,
                           label=f"{part}: {si(result.path_time_s[part], 's')} "
                                 f"({pct(result.path_time_s[part] / total)})")  # never 0.0 % of a part
    ax.set_xlim(0, span)
    ax.set_ylim(0, 1)
    ax.set_yticks([])
    scale, prefix = si_scale(np.array([span]), "s")  # the label's unit is the ticks' (not [s] over ms)
    ax.set_xlabel(f"time [{prefix}s]")
    ax.xaxis.set_major_formatter(ScaledFormatter(scale))
    ax.set_ylabel(f"{len(pt)} ops")
    # wrapped to the axes: a generated workload's long name cut the title's start off
    ax.set_title(textwrap.fill(f"{C.REALIZED_PATH} of {result.workload} on {result.architecture} "
                               f"({len(pt)} ops): {result.bound_label}-bound", 90), fontsize="medium")
    ax.legend(fontsize="x-small", loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return fig


#: time bins of the Gantt strip: finer than its pixels, so every part keeps its share's width
GANTT_BINS = 4000


def _binned_parts(pt, parts, span: float) -> tuple[np.ndarray, np.ndarray]:
    """``(amounts (parts x bins), bin edges)``: each part's time inside each of
    :data:`GANTT_BINS` equal bins of ``[0, span]``. The path's ops follow one another and each
    op's time is its parts in order, so a part's time up to ``t`` is piecewise linear; drawn bin
    by bin, a part of 3 us per op under 2 ms of another no longer vanishes under it (a strip
    showed 23 % compute as 3 %)."""
    edges = np.linspace(0.0, span, GANTT_BINS + 1)
    amounts = np.zeros((len(parts), GANTT_BINS))
    offset = pt["start_s"].to_numpy(float).copy()
    for i, part in enumerate(parts):
        width = pt[f"{part}_s"].to_numpy(float)
        keep = width > 0
        if keep.any():
            order = np.argsort(offset[keep], kind="stable")
            s, w = offset[keep][order], width[keep][order]
            before = np.concatenate(([0.0], np.cumsum(w)[:-1]))
            x = np.ravel(np.column_stack((s, s + w)))  # breakpoints of the part's time so far
            y = np.ravel(np.column_stack((before, before + w)))
            amounts[i] = np.diff(np.interp(edges, x, y, left=0.0, right=float(w.sum())))
        offset += width
    return np.maximum(amounts, 0.0), edges


def resource_util_names(result) -> set[str]:
    """The utilization names that are a memory level's or link's bandwidth."""
    return {C.resource_util(r) for r in result.traffic_bytes}


#: the utilization axis's right end: past 1.0, so a full bar's value fits beside it
UTIL_XMAX = 1.22


def util_axis_top(top: float) -> float:
    """The right end of a utilization axis whose largest value is ``top``: ``UTIL_XMAX``, or
    past a value above 1 (a CIM chip's per-op level, reported unclamped) by the same share,
    so its bar and its value stay inside the axes."""
    return max(UTIL_XMAX, UTIL_XMAX * top)


def utilization_bars(results: Sequence, universe=()) -> Figure:
    """Utilization of every resource of each run (one panel per run): components' units
    and memory levels' and links' bandwidth, as a fraction of peak over the run."""
    # at most three panels a row: nine runs in one row made a 12:1 strip nobody could read
    n = max(1, len(results))
    cols = min(3, n)
    rows = -(-n // cols)
    fig = _figure(4.6 * cols + 2.2, rows * (1.2 + 0.3 * max(len(r.utilization) for r in results)))
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax in axes[len(results):]:
        ax.remove()
    axes = axes[:len(results)]
    colors = part_colors((n for r in results for n in r.utilization), universe)
    hatch = part_hatches([n for r in results for n in r.utilization], universe)
    for ax, r in zip(axes, results):
        names = list(r.utilization)
        vals = [r.utilization[n] for n in names]
        bw = resource_util_names(r)
        y = np.arange(len(names))
        comp = [i for i, n in enumerate(names) if n not in bw]
        res = [i for i, n in enumerate(names) if n in bw]
        for i in comp + res:  # each in its part's colour, the same as in every other figure
            ax.barh(y[i], vals[i], **bar_style(colors[names[i]], hatch[names[i]]),
                    label=f"{names[i]} (bandwidth)" if i in res else names[i])
            # its value at its end, as the table prints it: a unit used 0.2 % ("0.2 %", "<0.1 %")
            # drew no bar, the same as one never used ("0.0 %")
            ax.text(vals[i], y[i], f" {pct(vals[i])}", va="center", ha="left", fontsize=NUMBER_FONT)
        ax.set_yticks(y, names, fontsize=NUMBER_FONT)
        ax.invert_yaxis()
        top = util_axis_top(max(vals, default=0.0))
        ax.set_xlim(0, top)  # room right of the longest bar for its value
        if top > UTIL_XMAX:  # past 100 % of peak (oversubscribed): ticks over the range, 1.0 marked
            ax.xaxis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]))
            ax.axvline(1.0, color="0.5", linestyle="--", linewidth=0.8)
        else:
            ax.set_xticks(np.linspace(0, 1.0, 6))
        ax.set_xlabel("utilization [fraction of peak]")
        ax.set_title(f"{r.architecture}\n{r.workload}", fontsize="small", color=TEXT_COLOR)
    seen = {}
    for ax in axes:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            seen.setdefault(lab, h)
    fig.legend(list(seen.values()), list(seen), loc="outside right upper", fontsize="x-small")
    fig.suptitle("utilization of every resource")
    return fig


def critical_path_vs_length(table: pd.DataFrame, window: int = 4) -> Figure:
    """Critical path against sequence length, one line per (architecture, family): an LSTM's
    grows ~N (one recurrent step per item), a hierarchical encoder's ~log_window N (one
    attention module per level). The models are generated ones (``table``'s ``model`` column,
    :func:`cimsim.studies.sequence_models`), not the user's workload: the title and legend
    name them."""
    fig = _figure(7.2, 4.6)  # sized below, from the legend's labels
    ax = fig.add_subplot()
    styles = {"lstm": "-", "hier-attn": "--"}
    seen: dict[str, list] = {}  # per family: the lines drawn
    for (arch, family), g in table.groupby([C.ARCHITECTURE, "family"], sort=False):
        g = g.sort_values("seq_len")
        st = arch_style(str(arch))
        x, y = g["seq_len"].to_numpy(float), g[C.CRITICAL_PATH_S].to_numpy(float)
        label = f"{arch}: {g['model'].iloc[0] if 'model' in g else family}"
        # a line that would hide under another of its family: a wide pale band, saying which
        under = covers(seen.setdefault(family, []), x, y)
        ax.plot(x, y, marker=st.marker, markersize=4, linestyle=styles.get(family, "-"),
                color=st.color, label=band_label(label, under), **({} if under is None else BAND))
        seen[family].append((arch, label, x, y))
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    _si_log_axis(ax.yaxis, "s")
    ax.set_xlabel("sequence length N [items] (LSTM steps, encoder inputs)")
    ax.set_ylabel(f"{C.DEPENDENCY_PATH} [s] (ops alone)")
    # two lines: on one, the title is wider than the axes and its start is cut off the figure
    # the op counts: a path's time also grows with N where its ops do (a systolic array's
    # windows over longer inputs)
    ax.set_title(f"critical path vs sequence length of generated models, not your workload\n"
                 f"LSTM ~N steps, hierarchical attention (window {window}) ~log N modules",
                 fontsize="medium")
    ax.grid(True, which="both", alpha=0.3)
    # the legend beside the axes, the figure widened for it: sized by line count alone, long
    # labels (a band's "(= other: family)") left the axes 41 px wide (a notebook reader)
    labels = ax.get_legend_handles_labels()[1]
    longest = max((len(s) for s in labels), default=0)
    ncols = 2 if len(labels) > 8 and longest <= 32 else 1
    column_in = 0.047 * longest + 0.55  # x-small text (~0.047 in a character) and the handle
    rows = -(-len(labels) // ncols)
    fig.set_size_inches(5.4 + ncols * column_in, max(4.6, 1.0 + 0.17 * rows))
    ax.legend(fontsize="x-small", ncols=ncols, loc="upper left", bbox_to_anchor=(1.01, 1.0),
              handlelength=3.5)  # long enough to tell the dashed encoder lines from the LSTM's
    return fig


def energy_shares(results: Sequence, universe=(), order=()) -> Figure:
    """Each run's energy by part as a share of its total (stacked to 1), one panel per workload
    (its name the panel's title; a long one ran under every bar and overprinted its
    neighbours'), a bar per architecture in its colour: runs whose totals differ by orders of
    magnitude stay readable side by side. ``order``: the parts in the order they stack (the
    energy breakdown's, :func:`~cimsim.plot.figures.energy_parts`, on one report's page: its
    parts stacked in another order there, find-A 7); any other part after them."""
    parts = list(dict.fromkeys(p for r in results for p, v in r.energy_breakdown_j.items() if v > 0))
    rank = {p: i for i, p in enumerate(order)}
    parts.sort(key=lambda p: rank.get(p, len(rank)))
    by_wl: dict[str, list] = {}
    for r in results:
        by_wl.setdefault(r.workload, []).append(r)
    rows, cols = _facet_shape(len(by_wl))
    most = max((len(v) for v in by_wl.values()), default=1)
    fig = _figure(max(6.4, cols * (1.0 * most + 1.2) + 2.5), 3.6 * rows + 1.0)
    axes = _grid(fig, rows, cols).ravel()
    colors = part_colors(parts, universe)
    hatch = part_hatches(parts, universe)
    for ax, (wl, runs) in zip(axes, by_wl.items()):
        x = np.arange(len(runs))
        bottom = np.zeros(len(runs))
        for part in parts:
            h = np.array([r.energy_breakdown_j.get(part, 0.0) / r.energy_j if r.energy_j > 0
                          else 0.0 for r in runs])
            ax.bar(x, h, bottom=bottom, label=part, **bar_style(colors[part], hatch[part]))
            bottom += h
        ax.set_xticks(x, [f"{r.architecture}\n{si(r.energy_j, 'J')}" for r in runs],
                      fontsize=NUMBER_FONT, color=TEXT_COLOR)  # not the architecture's colour: 2.5:1
        ax.set_ylim(0, 1.0)
        ax.set_title(str(wl), fontsize="medium")
    for ax in axes[len(by_wl):]:
        ax.set_visible(False)
    for ax in axes[::cols]:
        ax.set_ylabel("share of the run's energy [fraction]", fontsize="small")
    # the total under each bar; the title at the left: centred, the legend's top ran over it
    fig.suptitle("energy by part, as shares of each run's total", x=0.02, ha="left")
    _outside_legend(fig, axes[:len(by_wl)])
    return fig
