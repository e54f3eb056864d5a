"""A split-point study's figure (:func:`cimsim.split.split_study`): total latency and the edge's
energy (its run, its radio and its wait) against the cut, one line per link, each link's best cut
ringed, the cuts that did not run marked."""

from __future__ import annotations

import math

from ..report import columns as C
from .canvas import new_figure
from .style import LINESTYLES


def _spans(cuts: list[int]) -> str:
    """``1-13, 20``: the cut indices as runs."""
    out: list[tuple[int, int]] = []
    for c in sorted(set(cuts)):
        if out and out[-1][1] == c - 1:
            out[-1] = (out[-1][0], c)
        else:
            out.append((c, c))
    return ", ".join(f"{a}" if a == b else f"{a}-{b}" for a, b in out)


def split_figure(study):
    """Two panels over the cut (the ops on the edge, whole numbers from the first cut to the
    last): ``total_latency_s`` and ``edge_total_energy_j``, log scale where every value drawn is
    above 0, one line per link, the best cut of each ringed; a cut that did not run (``n/a``)
    is an ``x`` on the axis and listed under the figure."""
    from matplotlib.ticker import MaxNLocator

    fig = new_figure(9.0, 6.5)
    top, bottom = fig.subplots(2, 1, sharex=True)
    drawn: dict[str, list[float]] = {C.TOTAL_LATENCY_S: [], C.EDGE_TOTAL_ENERGY_J: []}
    for i, link in enumerate(study.links):
        rows = [r for r in study.rows if r[C.SPLIT_LINK] == link.name]
        ran = [r for r in rows if not r[C.ERROR]]
        style = LINESTYLES[i % len(LINESTYLES)]
        for ax, key, flag in ((top, C.TOTAL_LATENCY_S, C.BEST_LATENCY),
                              (bottom, C.EDGE_TOTAL_ENERGY_J, C.BEST_EDGE_ENERGY)):
            line, = ax.plot([r[C.SPLIT_CUT] for r in ran], [r[key] for r in ran], linestyle=style,
                            marker=".", label=link.name)
            drawn[key] += [r[key] for r in ran]
            best = next((r for r in ran if r[flag]), None)
            if best is not None:
                ax.plot([best[C.SPLIT_CUT]], [best[key]], "o", mfc="none", ms=10, color=line.get_color())
    failed = sorted({r[C.SPLIT_CUT] for r in study.rows if r[C.ERROR]})
    for ax, key in ((top, C.TOTAL_LATENCY_S), (bottom, C.EDGE_TOTAL_ENERGY_J)):
        values = [v for v in drawn[key] if math.isfinite(v)]
        if values and all(v > 0 for v in values):
            ax.set_yscale("log")
        if failed:
            ax.plot(failed, [0.02] * len(failed), "x", color="tab:red", transform=ax.get_xaxis_transform(),
                    label="n/a (not run)" if ax is top else None, clip_on=False)
        ax.grid(True, alpha=0.3)
    cuts = [c.index for c in study.cuts] or [0]
    bottom.set_xlim(min(cuts) - 0.5, max(cuts) + 0.5)
    bottom.xaxis.set_major_locator(MaxNLocator(integer=True))
    top.set_ylabel("total latency (s)")
    bottom.set_ylabel("edge energy, run + radio + wait (J)")
    na = (f"\nn/a (x): {len(failed)} of {len(cuts)} cut(s) did not run on both configs (the error "
          f"column says why): {_spans(failed)}") if failed else ""
    bottom.set_xlabel(f"cut: ops on the edge; the rest on the server{na}")
    if any(line.get_label() and not line.get_label().startswith("_") for line in top.get_lines()):
        top.legend(title="link", fontsize="small")
    top.set_title(f"{study.workload}: edge {study.edge_config},\nserver {study.server_config}")
    return fig
