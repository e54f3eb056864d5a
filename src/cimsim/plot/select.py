"""Choosing among a sweep's rows: constraints (``cimsim plot --where``) and Pareto fronts over any
number of objectives (:func:`pareto_front`, ``cimsim plot --pareto``).

A constraint is ``COLUMN OP NUMBER`` clauses joined by ``and`` (``area_m2<=1e-4 and
accuracy_top1>=0.97``; OP one of ``<= >= < > == !=``; numbers in the column's SI unit: m²,
J, s, W/m², and fractions for accuracies; a true/false column such as ``extrapolated`` compared
with ``true``, ``false``, 1 or 0; a text column such as ``tpu.dataflow`` or ``bound_part`` with
``==`` or ``!=`` one of its values, ``tpu.dataflow==os``). It is parsed, never evaluated as code. A row is on the
Pareto front when no other row is at least as good in every objective and better in one.
"""

from __future__ import annotations

import difflib
import operator
import re
from typing import Sequence

import numpy as np
import pandas as pd

from ..report.column_docs import column_unit as _table_unit
from ..report.columns import SYSTEM_DEVICES
from ..sweep.columns import ATTR_UNITS

#: the comparisons a constraint clause may use
OPERATORS = {"<=": operator.le, ">=": operator.ge, "==": operator.eq, "!=": operator.ne,
             "<": operator.lt, ">": operator.gt}
_CLAUSE = re.compile(r"^\s*([A-Za-z_][\w.]*)\s*(<=|>=|==|!=|<|>)\s*(\S+)\s*$")
_AND = re.compile(r"\s+and\s+|\s*&&?\s*", re.IGNORECASE)
#: the words a clause on a true/false column (``extrapolated``) may compare with, besides 1 and 0
BOOL_WORDS = {"true": 1.0, "false": 0.0}


def several_devices(df: pd.DataFrame) -> bool:
    """Whether a row of ``df`` is a tensor- or pipeline-parallel run (``system_devices`` > 1), whose
    ``ops_per_j``, ``area_m2`` and ``energy_j`` are one simulated device's: its figures then use
    the ``system_*`` columns, every device's (the same values on one device)."""
    n = pd.to_numeric(df[SYSTEM_DEVICES], errors="coerce") if SYSTEM_DEVICES in df else None
    return bool(n is not None and (n > 1).any())


def column_unit(column: str, df: pd.DataFrame | None = None) -> str:
    """The SI unit of a result column (the Result columns table's, :mod:`cimsim.report.column_docs`:
    ``energy_j`` J, ``power_density_w_per_m2`` W/m²) or of a swept parameter of ``df`` (its
    recorded unit), or ``""`` (a fraction, count, label)."""
    units = (df.attrs.get(ATTR_UNITS) or {}) if df is not None else {}
    return units.get(column) or _table_unit(column)


def _is_bool(col: pd.Series) -> bool:
    """A true/false column, also one with no value in some rows (object dtype then)."""
    if pd.api.types.is_bool_dtype(col):
        return True
    vals = col.dropna()
    return col.dtype == object and len(vals) > 0 and all(isinstance(v, (bool, np.bool_)) for v in vals)


def _is_text(col: pd.Series) -> bool:
    """A text column (a categorical swept field, ``tpu.dataflow``; ``bound_part``): every value
    a string."""
    vals = col.dropna()
    return not pd.api.types.is_numeric_dtype(col) and len(vals) > 0 and all(isinstance(v, str) for v in vals)


def numeric_column(df: pd.DataFrame, column: str, what: str, boolean: bool = False,
                   text: bool = False) -> None:
    """Refuse (ValueError, one line) a ``column`` that ``df`` lacks, suggesting the nearest
    names, or one that is not a number (nor, with ``boolean``, true/false, nor, with ``text``,
    text); ``what`` names the option that gave it."""
    if column not in df.columns:
        near = difflib.get_close_matches(column, [str(c) for c in df.columns], n=3, cutoff=0.6)
        hint = f" (did you mean {' or '.join(repr(n) for n in near)}?)" if near else \
            " (the table's columns: cimsim.sweep.sweep_columns; e.g. energy_j, latency_s, area_m2)"
        raise ValueError(f"{what}: no column {column!r} in the sweep{hint}")
    col = df[column]
    if (boolean and _is_bool(col)) or (text and _is_text(col)):
        return
    if pd.api.types.is_bool_dtype(col) or not pd.api.types.is_numeric_dtype(col):
        raise ValueError(f"{what}: column {column!r} is not a number ({col.dtype}); a constraint "
                         "or objective needs a numeric column")


def _text_clause(clause: str, column: str, op: str, word: str, col: pd.Series) -> tuple[str, str, str]:
    """``(column, op, value)`` of a clause on a text column: ``==`` or ``!=`` one of its values
    (quotes around it dropped); ValueError (one line) for any other operator or value (a typo
    would keep no row under ``==`` and every row under ``!=``)."""
    value = word[1:-1] if len(word) > 1 and word[0] == word[-1] and word[0] in "'\"" else word
    values = list(dict.fromkeys(str(v) for v in col.dropna()))
    if op not in ("==", "!="):
        raise ValueError(f"--where {clause!r}: {column!r} is text; compare it with == or != "
                         f"(e.g. {column}=={values[0]}), not {op}")
    if value not in values:
        raise ValueError(f"--where {clause!r}: {value!r} is not a value of {column!r} "
                         f"(its values: {', '.join(values)})")
    return column, op, value


def parse_where(expr: str, df: pd.DataFrame) -> list[tuple[str, str, float | str]]:
    """The clauses ``(column, op, number)`` of a constraint over ``df``'s columns (on a text
    column ``(column, op, text)``, op ``==`` or ``!=``); ValueError (one line, naming the
    clause) for anything else: there is no code in a constraint."""
    text = str(expr).strip()
    if not text:
        raise ValueError("--where: empty; give COLUMN OP NUMBER clauses joined by 'and', e.g. "
                         "'area_m2<=1e-4 and accuracy_top1>=0.97'")
    out = []
    for clause in _AND.split(text):
        m = _CLAUSE.match(clause)
        if m is None:
            raise ValueError(f"--where {text!r}: {clause.strip()!r} is not COLUMN OP NUMBER (OP one "
                             f"of {' '.join(OPERATORS)}; clauses joined by 'and'), e.g. area_m2<=1e-4")
        column, op, number = m.groups()
        numeric_column(df, column, f"--where {clause.strip()!r}", boolean=True, text=True)
        if _is_text(df[column]):
            out.append(_text_clause(clause.strip(), column, op, number, df[column]))
            continue
        flag = _is_bool(df[column])
        if flag and number.lower() in BOOL_WORDS:
            value = BOOL_WORDS[number.lower()]
        else:
            try:
                value = float(number)
            except ValueError:
                value = None
        if flag and value not in (0.0, 1.0):
            raise ValueError(f"--where {clause.strip()!r}: {column!r} is true or false; compare it "
                             f"with true, false, 1 or 0 (e.g. {column}==false), not {number!r}")
        if value is None:
            unit = column_unit(column, df)
            raise ValueError(f"--where {clause.strip()!r}: {number!r} is not a number; write it in the "
                             f"column's SI unit{f' ({unit})' if unit else ''}, e.g. 1e-4")
        if not np.isfinite(value):
            raise ValueError(f"--where {clause.strip()!r}: {number!r} is not a finite number")
        out.append((column, op, value))
    return out


def where(df: pd.DataFrame, expr: str) -> pd.DataFrame:
    """The rows of ``df`` that satisfy every clause of ``expr`` (a row with no value in a
    clause's column, an error row, satisfies none)."""
    keep = np.ones(len(df), dtype=bool)
    for column, op, value in parse_where(expr, df):
        if isinstance(value, str):  # a text column: == or != one of its values
            cells = df[column]
            keep &= cells.notna().to_numpy() & OPERATORS[op](cells.astype(str).to_numpy(), value)
            continue
        v = df[column].astype(float).to_numpy()  # true/false as 1/0
        keep &= np.isfinite(v) & OPERATORS[op](np.nan_to_num(v), value)
    return df[keep]


def _front_of(values: np.ndarray) -> np.ndarray:
    """Indices of the rows of ``values`` (every objective minimised) that no other row
    dominates (at least as good in every column, better in one), in lexicographic order. A row
    can be dominated only by one before it in that order, and only by a front row if by any."""
    order = np.lexsort(values.T[::-1])
    front: list[int] = []
    for i in order:
        if front:
            f = values[front]
            if np.any(np.all(f <= values[i], axis=1) & np.any(f < values[i], axis=1)):
                continue
        front.append(int(i))
    return np.asarray(front, dtype=int)


def pareto_front(data, accuracy=None, *, minimise: Sequence[str] = (), maximise: Sequence[str] = ()):
    """The Pareto front.

    ``pareto_front(df, minimise=["energy_j", "area_m2"], maximise=["accuracy_top1"])``: the rows
    of ``df`` that no other row dominates (as small or smaller in every ``minimise`` column, as
    large or larger in every ``maximise`` column, strictly better in one), in increasing order
    of the first objective; rows missing any objective's value (error rows) are left out. Rows
    with the same values in every objective are all kept.

    ``pareto_front(energy, accuracy)`` (two arrays, as before): the indices of the points with
    less energy and more accuracy, in increasing energy; of points of equal energy only the most
    accurate, of equal points the first.
    """
    if not isinstance(data, pd.DataFrame):
        if minimise or maximise or accuracy is None:
            raise TypeError("pareto_front(energy, accuracy) takes two arrays; pareto_front(df, "
                            "minimise=[...], maximise=[...]) a DataFrame and column names")
        energy, acc = np.asarray(data, dtype=float), np.asarray(accuracy, dtype=float)
        order = np.lexsort((-acc, energy))
        front, best = [], -np.inf
        for i in order:
            if acc[i] > best:
                front.append(i)
                best = acc[i]
        return np.asarray(front, dtype=int)
    if accuracy is not None:
        raise TypeError("pareto_front(df, ...): name the objectives as minimise=[...], maximise=[...]")
    objectives = [*minimise, *maximise]
    if not objectives:
        raise ValueError("pareto_front: give at least one objective (minimise=[...] or maximise=[...])")
    for c in objectives:
        numeric_column(data, c, "pareto_front")
    twice = [c for c in objectives if objectives.count(c) > 1]
    if twice:
        raise ValueError(f"pareto_front: column {twice[0]!r} is given twice")
    values = np.column_stack([data[c].astype(float).to_numpy() * (1.0 if c in minimise else -1.0)
                              for c in objectives])
    ok = np.flatnonzero(np.all(np.isfinite(values), axis=1))
    front = ok[_front_of(values[ok])]
    return data.iloc[front]
