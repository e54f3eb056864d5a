"""A split-point study's figure (:func:`cimsim.split.split_study`): total latency and the edge's
energy (its run and its radio) against the cut, one line per link, each link's best cut ringed."""

from __future__ import annotations

from ..report import columns as C
from .canvas import new_figure
from .style import LINESTYLES


def split_figure(study):
    """Two panels over the cut (the ops on the edge): ``total_latency_s`` and
    ``edge_total_energy_j``, log scale, one line per link, the best cut of each ringed."""
    fig = new_figure(9.0, 6.5)
    top, bottom = fig.subplots(2, 1, sharex=True)
    for i, link in enumerate(study.links):
        rows = [r for r in study.rows if r[C.SPLIT_LINK] == link.name]
        x = [r[C.SPLIT_CUT] for r in rows]
        style = LINESTYLES[i % len(LINESTYLES)]
        for ax, key, flag in ((top, C.TOTAL_LATENCY_S, C.BEST_LATENCY),
                              (bottom, C.EDGE_TOTAL_ENERGY_J, C.BEST_EDGE_ENERGY)):
            line, = ax.plot(x, [r[key] for r in rows], linestyle=style, marker=".", label=link.name)
            best = next(r for r in rows if r[flag])
            ax.plot([best[C.SPLIT_CUT]], [best[key]], "o", mfc="none", ms=10, color=line.get_color())
    top.set_ylabel("total latency (s)")
    bottom.set_ylabel("edge energy, run + radio (J)")
    bottom.set_xlabel(f"cut: ops on the edge ({study.edge_config}); the rest on {study.server_config}")
    for ax in (top, bottom):
        if all(r[C.TOTAL_LATENCY_S] > 0 and r[C.EDGE_TOTAL_ENERGY_J] > 0 for r in study.rows):
            ax.set_yscale("log")
        ax.grid(True, alpha=0.3)
    top.legend(title="link", fontsize="small")
    top.set_title(f"{study.workload}: split between {study.edge_config} and {study.server_config}")
    return fig
