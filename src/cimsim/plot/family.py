"""Which rows a sweep figure puts in one panel, and which other parameters split its lines.

Against a swept config field, each workload is a panel of its own. Against a workload parameter
(``workload.steps``: :mod:`cimsim.sweep.shape`), each workload is one x value, so the workloads
share a panel and a *family* (the workloads that differ only in that parameter) is a line: one
line per architecture and per value of the other parameters that vary, as for a grid of config
fields. A parameter that varies one-to-one with the x one (an LLM run's ``requests`` with its
``batch``) is the same axis told twice, and splits no line. The panel is named by what its
workloads' names share (:func:`family_title`), as :func:`cimsim.plot.serving.batch_family` names
a family of serving runs by its name without the batch.
"""

from __future__ import annotations

import pandas as pd

from ..report.columns import WORKLOAD
from ..sweep.columns import ATTR_UNITS, ATTR_WORKLOAD_GROUPS, param_columns, workload_param_columns


def is_workload_param(df: pd.DataFrame, param: str | None) -> bool:
    """Whether ``param`` is one of the sweep's ``workload.<key>`` columns."""
    return param is not None and param in workload_param_columns(df)


def _tied(data: pd.DataFrame, a: str, b: str) -> bool:
    """Whether columns ``a`` and ``b`` of ``data`` determine each other (one value of one for
    each value of the other)."""
    pair = data[[a, b]].astype(str)
    return bool(pair.groupby(a)[b].nunique().max() <= 1 and pair.groupby(b)[a].nunique().max() <= 1)


def same_as_x(df: pd.DataFrame, data: pd.DataFrame, param: str) -> list[str]:
    """The swept parameters other than ``param`` whose values in ``data`` equal ``param``'s in
    every row, in the same unit (``tpu.cols`` beside ``tpu.rows`` from a ``--points`` CSV of
    square arrays): the x axis told twice, so they split no line and take no colour (the
    colour went to ``tpu.cols`` and hid ``tpu.dataflow``, find-E 4); the x label names them."""
    if param is None or param not in data.columns or not len(data):
        return []
    units = df.attrs.get(ATTR_UNITS) or {}
    x = data[param]
    return [p for p in param_columns(df) if p != param and p in data.columns
            and units.get(p, "") == units.get(param, "") and data[p].nunique() > 1
            and bool(((data[p] == x) | (data[p].isna() & x.isna())).fillna(False).all())]


def other_params(df: pd.DataFrame, data: pd.DataFrame, param: str) -> list[str]:
    """The swept parameters besides ``param`` that vary in ``data`` (a line per value of them),
    less those equal to it point for point (:func:`same_as_x`); against a workload parameter,
    less those that vary one-to-one with it."""
    twins = same_as_x(df, data, param)
    out = [p for p in param_columns(df) if p != param and p in data.columns and data[p].nunique() > 1
           and p not in twins]
    if is_workload_param(df, param) and len(data):
        out = [p for p in out if not _tied(data, param, p)]
    elif WORKLOAD in data.columns and len(data):  # each workload its own panel: a workload
        # parameter constant within each workload (gru's and tcn's shapes) splits nothing
        out = [p for p in out if not (is_workload_param(df, p) and bool(
            (data.astype({p: str}).groupby(WORKLOAD)[p].nunique() <= 1).all()))]
    return out


def family_title(names) -> str:
    """What the names share: the ``-``-separated parts of the first that every name has, in its
    order (``lstm-L1-I64-H64-T10-B1-fp32-layer`` and ``...-T20-...``: ``lstm-L1-I64-H64-B1-fp32-layer``;
    the general case of :func:`~cimsim.plot.serving.batch_family`); names with nothing in
    common are listed."""
    names = list(dict.fromkeys(str(n) for n in names))
    if len(names) <= 1:
        return names[0] if names else ""
    sets = [set(n.split("-")) for n in names[1:]]
    shared = [t for t in names[0].split("-") if all(t in s for s in sets)]
    return "-".join(shared) if shared else ", ".join(names)


def panels(df: pd.DataFrame, data: pd.DataFrame, param: str | None) -> list[tuple[str, pd.DataFrame]]:
    """``(title, rows)`` of each panel: one per workload; against a workload parameter one for
    all the rows that have a value of it (a workload without one is in none: the CLI says so)."""
    if is_workload_param(df, param):  # a panel per generator (an LSTM and a GRU: two families)
        rows = data[data[param].notna()]
        groups = df.attrs.get(ATTR_WORKLOAD_GROUPS) or {}
        group = rows[WORKLOAD].map(lambda w: groups.get(str(w), "")) if len(rows) else rows[WORKLOAD]
        return [(family_title(rows.loc[group == g, WORKLOAD]), rows[group == g])
                for g in dict.fromkeys(group)]
    wls = list(dict.fromkeys(data[WORKLOAD])) if len(data) else []
    return [(str(wl), data[data[WORKLOAD] == wl]) for wl in wls]
