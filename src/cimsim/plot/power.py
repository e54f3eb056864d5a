"""Average power against a swept parameter (``cimsim plot``'s power figure): W, and W/mm² where
an architecture declares its area, with each thermal design power a config states drawn as a
horizontal line in its architecture's colour.

The TDP line is the stated limit of one component (and what its ``tdp_includes`` covers), the
power curve the whole architecture's (every component, level and link, static included): a
curve above the line is over the part's TDP only where the part's own share is (the run's
note on the TDP says so); a curve below it is below it.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..report.columns import (ARCHITECTURE, AVERAGE_POWER_W, PERIOD_AVERAGE_POWER_W,
                              PERIOD_J_PER_SAMPLE, PERIOD_S, PERIOD_UTILIZATION,
                              POWER_DENSITY_W_PER_M2)
from ..report.format import si
from .figures import _ok, _pick_param, metric_grid
from .flags import MISMATCH_MARK
from .style import arch_style

#: the power panels: (column, axis label, factor from the column's SI unit to the label's)
POWER_PANELS = (
    (AVERAGE_POWER_W, "average power [W]", 1.0),
    (POWER_DENSITY_W_PER_M2, "power density [W/mm²]", 1e-6),  # W/m^2 -> W/mm^2
)

#: a TDP more than this many times the highest curve's power is not drawn as a line (its linear
#: range flattened a 1.8-2.8 W curve under a 185 W line at the bottom of the panel): it is
#: named at the panel's top edge, after an arrow up ("↑ TDP ... 185 W, above the axis")
TDP_FAR = 10.0

#: ``{architecture: [(what the TDP is of, W)]}``: the TDPs the configs state
Tdps = Mapping[str, Sequence[tuple[str, float]]]


def _plain(name: str) -> str:
    return name[:-len(MISMATCH_MARK)] if name.endswith(MISMATCH_MARK) else name


def power_vs_param(df: pd.DataFrame, param: str | None = None, tdps: Tdps | None = None) -> Figure:
    """Average power (W) and power density (W/mm²) against the swept parameter: one row of two
    panels per workload, one line per architecture; in the power panel a dashed horizontal line
    per TDP of ``tdps`` whose architecture has a line (labelled with the component and its W),
    or, for a TDP more than :data:`TDP_FAR` times the panel's highest power, its name and W at
    the top edge after an arrow up, the y range the curves'.
    An architecture that declares no area has no line in the density panel."""
    param = _pick_param(df, param)
    data = _ok(df)
    fig = metric_grid(df, param, data, POWER_PANELS, "average power (energy / latency)",
                      lambda col: "no architecture declares its area"
                      if col == POWER_DENSITY_W_PER_M2 else "no data")
    shown = {_plain(str(a)): str(a) for a in data[ARCHITECTURE].unique()} if len(data) else {}
    power_axes = [ax for ax in fig.axes if ax.get_ylabel() == POWER_PANELS[0][1]]
    # one line and one label per TDP value: the CIM and systolic configs share one host (a
    # 185 W Xeon), whose labels, one per architecture, were drawn over each other
    lines: dict[float, list[tuple[str, str, str]]] = {}
    for arch, marked in shown.items():
        for what, watts in (tdps or {}).get(arch, ()):
            lines.setdefault(float(watts), []).append((arch, marked, what))
    for ax in power_axes:
        drawn = [y for line in ax.get_lines() for y in np.asarray(line.get_ydata(), dtype=float)]
        drawn = [y for y in drawn if np.isfinite(y) and y > 0]
        top = max(drawn, default=0.0)
        above = []  # far above the curves: named at the top edge, not drawn
        for watts, who in lines.items():
            colour = arch_style(who[0][1]).color if len(who) == 1 else "0.3"
            names = ", ".join(f"{arch}: {what}" for arch, _, what in who)
            if top > 0 and watts > TDP_FAR * top:
                above.append((f"TDP {names} {si(watts, 'W')}", colour))
                continue
            ax.axhline(watts, color=colour, linestyle="--", linewidth=1.2)
            ax.annotate(f"TDP {names} {si(watts, 'W')}", (0.01, watts),
                        xycoords=("axes fraction", "data"), xytext=(0, 3),
                        textcoords="offset points", fontsize="x-small", color=colour)
        if len(above) < len(lines):
            ax.relim()
            ax.autoscale_view()
        if above:
            _note_above(ax, above)
    return fig


#: the load figure's panels (a sweep with ``--period``): power and energy per sample at the period
LOAD_PANELS = (
    (PERIOD_AVERAGE_POWER_W, "average power at the period [W]", 1.0),
    (PERIOD_J_PER_SAMPLE, "energy per sample at the period [J]", 1.0),
    (PERIOD_UTILIZATION, "busy share of the period [fraction]", 1.0),
)


def load_vs_param(df: pd.DataFrame, param: str | None = None) -> Figure:
    """A sweep at a stated period (``--period``): the average power, energy per sample and busy
    share at one run every period against the swept parameter (``cimsim plot``'s ``load``
    figure); a point too slow for the period (NaN) is not drawn, and the title counts them."""
    param = _pick_param(df, param)
    data = _ok(df)
    periods = sorted(set(data[PERIOD_S].dropna())) if PERIOD_S in data.columns else []
    slow = int((data[PERIOD_S].notna() & data[PERIOD_UTILIZATION].isna()).sum()) if periods else 0
    modes = sorted(set(data["period_idle"].dropna())) if "period_idle" in data.columns else []
    title = (f"at one run every {', '.join(si(t, 's') for t in periods) or 'period'}"
             + (f", --idle {', '.join(modes)} between runs" if modes else "")  # (review 22 B 1)
             + (f" ({slow:,} point{'s' if slow != 1 else ''} too slow for it, not drawn)"
                if slow else ""))
    return metric_grid(df, param, data, LOAD_PANELS, title,
                       lambda col: "every point is too slow for the period")


def _note_above(ax, above: list[tuple[str, str]]) -> None:
    """Name the TDPs far above the curves at the axes' top edge, each after an arrow up, in a
    band added above the data (the note never covers a curve); the y range stays the data's."""
    lo, hi = ax.get_ylim()
    band = 0.09 * len(above)
    if ax.get_yscale() == "log":
        ax.set_ylim(lo, hi * (hi / lo) ** (band / (1 - band)))
    else:
        ax.set_ylim(lo, hi + (hi - lo) * band / (1 - band))
    for i, (text, colour) in enumerate(above):
        ax.annotate(f"\u2191 {text}, above the axis", (0.01, 1.0 - 0.09 * i), xycoords="axes fraction",
                    xytext=(0, -3), textcoords="offset points", va="top", fontsize="x-small",
                    color=colour)
