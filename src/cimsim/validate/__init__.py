"""Validation suites: cimsim's predictions held against measurements with their sources.

A *suite* is a function returning :class:`Case` rows (one measured figure, the
figure cimsim predicts for it, and where the measurement comes from) and :class:`Skipped`
rows (a published figure it cannot reproduce here, with the reason); suites
register with :func:`suite`. ``cimsim validate [--suite NAME]`` runs them and
prints each case's relative error and each suite's median and worst.

Published suites are deterministic and their errors are asserted in tests;
the ``host`` suite times this machine now, so its figures are recorded in the
README with the date and machine, and its test only checks that it runs.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Callable

#: name -> (function returning cases, one-line description)
_SUITES: dict[str, tuple[Callable[[], list["Case"]], str]] = {}


@dataclass(frozen=True)
class Case:
    """One measured figure and cimsim's prediction of it."""

    suite: str
    case: str  # what was measured, e.g. "LSTM H=1024 B=1 T=100 latency"
    unit: str  # SI unit of measured and predicted, e.g. "s", "W", "TOPS/W"
    measured: float
    predicted: float
    source: str  # paper + table/figure, repository + file, or "timed on <host> <date>"

    @property
    def rel_error(self) -> float:
        """(predicted - measured) / measured."""
        return (self.predicted - self.measured) / self.measured if self.measured else math.nan


@dataclass(frozen=True)
class Skipped:
    """A published figure a suite names but cannot reproduce here (e.g. its data set is not
    installable), with the reason; ``cimsim validate`` lists it under the table."""

    suite: str
    case: str
    reason: str


def suite(name: str, description: str):
    """Register a suite function under ``name`` (a decorator)."""

    def deco(fn: Callable[[], list[Case]]):
        _SUITES[name] = (fn, description)
        return fn

    return deco


def suites() -> dict[str, str]:
    """Registered suite names and their descriptions."""
    _load_builtin()
    return {k: d for k, (_, d) in _SUITES.items()}


def run(names=None):
    """Run the named suites (default: all) -> DataFrame of cases with ``rel_error``."""
    import pandas as pd

    from ..errors import CimsimError

    _load_builtin()
    names = list(names) if names else list(_SUITES)
    unknown = [n for n in names if n not in _SUITES]
    if unknown:
        raise CimsimError(f"unknown validation suite(s) {unknown}; known: {', '.join(_SUITES)}")
    rows, skipped = [], []
    for n in names:
        for c in _SUITES[n][0]():
            if isinstance(c, Skipped):
                skipped.append(asdict(c))
                continue
            rows.append({**asdict(c), "rel_error": c.rel_error})
    df = pd.DataFrame(rows, columns=["suite", "case", "unit", "measured", "predicted", "source",
                                     "rel_error"])
    df.attrs["skipped"] = skipped  # [{suite, case, reason}]: figures named but not reproduced
    return df


def summary(df):
    """Per suite: cases, median |error| and worst |error| (fractions)."""
    g = df.assign(abs_error=df["rel_error"].abs()).groupby("suite", sort=False)["abs_error"]
    return g.agg(cases="count", median_abs_error="median", worst_abs_error="max").reset_index()


def _load_builtin() -> None:
    from . import builtin  # noqa: F401  (registers the built-in suites)
