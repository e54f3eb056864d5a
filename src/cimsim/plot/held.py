"""What a sweep figure assumed: the swept parameters held at one value and the engine, said in a
caption under the panels (``fixed: cim.static_power = 0 W, processor.static_power = 0 W; engine
analytic``), so a figure of a sweep that pinned a field says so (the README's ADC-bits figures
set both static powers to 0 W, which their axes did not show), and what the ``(!p)`` after an
architecture's name means when a row drawn has a precision mismatch."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from ..report.columns import ENGINE, PRECISION_MISMATCH
from ..sweep.columns import param_columns
from .figures import _ok, value_text, wrap_caption
from .flags import PRECISION_NOTE, true_mask


def held_note(df: pd.DataFrame) -> str | None:
    """``fixed: PATH = VALUE, ...; engine E`` of the rows drawn (those without an error): each
    swept parameter with one value, with its unit, and the engine (``engines des, analytic`` when
    rows differ), then :data:`~cimsim.plot.flags.PRECISION_NOTE` when a row has a precision
    mismatch; None when there is none of these."""
    data = _ok(df)
    if not len(data):
        return None
    held = [p for p in param_columns(df) if p in data.columns and data[p].nunique(dropna=False) <= 1]
    parts = []
    if held:
        parts.append("fixed: " + ", ".join(f"{p} = {value_text(df, p, data[p].iloc[0])}" for p in held))
    engines = list(dict.fromkeys(data[ENGINE].dropna())) if ENGINE in data.columns else []
    if engines:
        parts.append(f"engine{'s' if len(engines) > 1 else ''} {', '.join(map(str, engines))}")
    if true_mask(data, PRECISION_MISMATCH).any():
        parts.append(PRECISION_NOTE)
    return "; ".join(parts) or None


def note_held(fig: Figure, df: pd.DataFrame) -> Figure:
    """``fig`` with :func:`held_note` of ``df`` as a small caption under its panels."""
    note = held_note(df)
    if note is not None:
        fig.supxlabel(wrap_caption(note, fig.get_figwidth()), fontsize="small", color="#444444")
    return fig
