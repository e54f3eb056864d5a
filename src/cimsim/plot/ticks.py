"""Tick labels of a linear value axis: one SI prefix for the whole axis and as many decimals as
the step between its ticks needs, the same for every tick (``5.7466 ms``, ``5.7468 ms``, ...),
so a narrow range never repeats one label (4 significant digits read ``5.747 ms`` five times).
A unitless axis (tokens/J, TOPS/W: its label carries the unit) prints plain numbers the same
way, with thousands separators (``12,128.5``)."""

from __future__ import annotations

import math

import numpy as np
from matplotlib.ticker import Formatter

from ..report.format import si
from ..units import SI_PREFIXES

def si_scale(values: np.ndarray, unit: str) -> tuple[float, str]:
    """The SI prefix of the axis (that of its largest tick), or none for a unitless axis."""
    top = float(np.max(np.abs(values))) if len(values) else 0.0
    if not unit or top == 0:
        return 1.0, ""
    for scale, prefix in SI_PREFIXES:
        if top / scale >= 1:
            return scale, prefix
    return SI_PREFIXES[-1]


def _decimals(scaled: np.ndarray) -> int:
    """The fewest decimals that write every tick exactly (a step of 0.25 needs 2) and every two
    ticks apart; past a float's ~15 significant digits ticks differ by rounding noise, so there
    the fewest that keep them apart."""
    ticks = np.unique(scaled[np.isfinite(scaled)])
    top = float(np.max(np.abs(ticks))) if len(ticks) else 0.0
    if top == 0:
        return 0
    most = max(0, 14 - math.floor(math.log10(top)))
    if len(ticks) < 2:  # one tick: its 4 significant digits
        return min(most, max(0, 3 - math.floor(math.log10(top))))
    step = float(np.median(np.diff(ticks)))  # 0.0999999999999996 between 4.6 and 4.7 is 0.1
    start = min(most, max(0, -math.floor(math.log10(step) + 1e-9)))
    apart = None
    for d in range(start, most + 1):
        if len({f"{v:.{d}f}" for v in ticks}) == len(ticks):
            if np.all(np.abs(np.round(ticks, d) - ticks) <= 1e-3 * step):
                return d
            apart = d if apart is None else apart
    return most if apart is None else apart


def tick_labels(values, unit: str = "") -> list[str]:
    """Labels of the ticks at ``values`` on a linear axis in ``unit`` (``""``: unitless)."""
    v = np.asarray(values, dtype=float)
    finite = v[np.isfinite(v)]
    scale, prefix = si_scale(finite, unit)
    d = _decimals(finite / scale)
    suffix = f" {prefix}{unit}" if unit else ""
    # + 0.0 after rounding: a tick at -2.8e-20 (float noise about 0) read "-0 ms"
    return [f"{round(x / scale, d) + 0.0:,.{d}f}{suffix}" if math.isfinite(x) else f"{x:g}{suffix}"
            for x in v]


class StepFormatter(Formatter):
    """:func:`tick_labels` as a matplotlib formatter; one value alone (the cursor's readout)
    as :func:`~cimsim.units.si` writes it."""

    def __init__(self, unit: str = ""):
        self.unit = unit

    def format_ticks(self, values):
        return tick_labels(values, self.unit)

    def __call__(self, x, pos=None):
        return si(x, self.unit) if self.unit else f"{x:,.4g}"


#: values this close, relative to their size, differ by a float's rounding alone: drawn flat
FLAT = 1e-9


def step_axis(axis, unit: str = "", values=None) -> None:
    """Label a linear value ``axis``'s major ticks with :class:`StepFormatter`. Given the
    ``values`` drawn, an axis whose values differ by no more than :data:`FLAT` of their size
    (two sweep points 1e-17 s apart) is drawn flat, ±5 % about them: matplotlib stretched
    the rounding noise over the whole axis, a steep line labelled to 12 digits."""
    axis.set_major_formatter(StepFormatter(unit))
    if values is None:
        return
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if len(v) < 2:
        return
    top, lo, hi = float(np.max(np.abs(v))), float(v.min()), float(v.max())
    if top > 0 and hi - lo <= FLAT * top and hi > lo:
        mid = (lo + hi) / 2
        set_lim = axis.axes.set_ylim if axis is axis.axes.yaxis else axis.axes.set_xlim
        set_lim(mid - 0.05 * abs(mid), mid + 0.05 * abs(mid))


class ScaledFormatter(StepFormatter):
    """Ticks of a linear axis whose label carries the prefixed unit (``time [ms]``): each tick
    divided by ``scale`` and written as :func:`tick_labels` writes a unitless axis."""

    def __init__(self, scale: float):
        super().__init__("")
        self.scale = scale

    def format_ticks(self, values):
        return tick_labels(np.asarray(values, dtype=float) / self.scale)

    def __call__(self, x, pos=None):
        return f"{x / self.scale:,.4g}"
