"""Validation suites: cimsim's predictions held against measurements with their sources.

A *suite* is a function returning :class:`Case` rows (one measured figure, the
figure cimsim predicts for it, and where the measurement comes from) and :class:`Skipped`
rows (a published figure it cannot reproduce here, with the reason); suites
register with :func:`suite`. ``cimsim validate [--suite NAME]`` runs them and
prints each case's relative error and each suite's median and worst.

Every case has a *role* (:data:`ROLES`): ``predicted`` (no parameter it uses was fitted to it
or chosen after seeing it), ``consistency`` (the published figure, or the parts it is the sum
of, is an input: the case checks arithmetic, e.g. a cycle time given at the reference supply)
or ``fit`` (a parameter was fitted on it, read off it, or chosen after computing it). A suite's
error is reported over its ``predicted`` cases, with the all-cases figure beside it.

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

PREDICTED, CONSISTENCY, FIT = "predicted", "consistency", "fit"
#: a case's role -> what it means; a suite's error is reported over its ``predicted`` cases
ROLES = {
    PREDICTED: "no parameter it uses was fitted to it or chosen after seeing it",
    CONSISTENCY: "the published figure (or the parts it sums) is an input: it checks arithmetic",
    FIT: "a parameter was fitted on it, read off it, or chosen after computing it",
}


@dataclass(frozen=True)
class Case:
    """One measured figure and cimsim's prediction of it."""

    suite: str
    case: str  # what was measured, e.g. "LSTM H=1024 B=1 T=100 latency"
    unit: str  # SI unit of measured and predicted, e.g. "s", "W", "TOPS/W"
    measured: float
    predicted: float
    source: str  # paper + table/figure, repository + file, or "timed on <host> <date>"
    role: str = PREDICTED  # one of ROLES; a suite that fits or is given a figure says so
    #: "" (the figure is a value), "lower" (the source states at least it: "over 60 %") or
    #: "upper" (at most it); a prediction that meets a bound has no error
    bound: str = ""
    #: the source a suite pools cases from (e.g. one macro's paper), "" where it has one: the
    #: summary gives each group's median beside the suite's (:func:`group_summary`)
    group: str = ""

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"case {self.case!r}: role {self.role!r} is not one of {list(ROLES)}")
        if self.bound not in ("", "lower", "upper"):
            raise ValueError(f"case {self.case!r}: bound {self.bound!r} is not one of '', lower, upper")

    @property
    def rel_error(self) -> float:
        """(predicted - measured) / measured; 0 when the figure is a bound the prediction meets."""
        if not self.measured:
            return math.nan
        if (self.bound == "lower" and self.predicted >= self.measured) or \
                (self.bound == "upper" and self.predicted <= self.measured):
            return 0.0
        return (self.predicted - self.measured) / self.measured


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


def check_names(names) -> list[str]:
    """The named suites, each once, in order; an unknown name is one :class:`CimsimError`
    naming the known ones (the CLI checks before its progress feedback starts)."""
    from ..errors import CimsimError

    _load_builtin()
    names = list(dict.fromkeys(names))
    unknown = [n for n in names if n not in _SUITES]
    if unknown:
        raise CimsimError(f"unknown validation suite(s) {unknown}; known: {', '.join(_SUITES)}")
    return names


def run(names=None, progress=None):
    """Run the named suites (default: all) -> DataFrame of cases with ``rel_error``.
    ``progress``: a :class:`cimsim.progress.Feedback` told each suite as it starts."""
    import pandas as pd

    from ..errors import CimsimError, one_line

    every = not names  # all suites: one that cannot run here is skipped, the others kept
    names = check_names(names) if names else list(suites())
    rows, skipped = [], []
    for i, n in enumerate(names):
        if progress is not None:
            progress.update(n, i, len(names))
        try:
            cases = list(_SUITES[n][0]())
        except CimsimError as exc:  # e.g. the host suites' calibration refused on a busy machine
            if not every:
                raise
            cases = [Skipped(n, "the whole suite", one_line(str(exc)))]
        for c in cases:
            if isinstance(c, Skipped):
                skipped.append(asdict(c))
                continue
            rows.append({**asdict(c), "rel_error": c.rel_error})
    df = pd.DataFrame(rows, columns=["suite", "case", "unit", "measured", "predicted", "source",
                                     "rel_error", "role", "group", "bound"])
    df.attrs["skipped"] = skipped  # [{suite, case, reason}]: figures named but not reproduced
    return df


def _point_errors(g):
    """|error| of the cases of ``g`` that are values: a bound (met: error 0, or missed) is not a
    point error and is counted apart (:func:`summary`'s ``bounds_met`` / ``bounds_missed``)."""
    return g.loc[g["bound"].fillna("") == "", "rel_error"].abs()


def _stats(g) -> dict:
    pred = _point_errors(g[g["role"] == PREDICTED])
    every = _point_errors(g)
    return {"median_abs_error_predicted": pred.median() if len(pred) else math.nan,
            "worst_abs_error_predicted": pred.max() if len(pred) else math.nan,
            "median_abs_error": every.median() if len(every) else math.nan,
            "worst_abs_error": every.max() if len(every) else math.nan}


def summary(df):
    """Per suite: cases, how many of each role, median and worst |error| (fractions) over its
    ``predicted`` cases (NaN when it has none) and over all its cases. Only cases whose figure
    is a value enter the medians and worsts: a published bound is counted in ``bounds_met`` and
    ``bounds_missed`` instead (a met bound is not a 0 % error)."""
    import pandas as pd

    rows = []
    for name, g in df.groupby("suite", sort=False):
        bound = g[g["bound"].fillna("") != ""]
        met = int((bound["rel_error"] == 0).sum())
        rows.append({"suite": name, "cases": len(g),
                     **{role: int((g["role"] == role).sum()) for role in ROLES},
                     **_stats(g), "bounds_met": met, "bounds_missed": len(bound) - met})
    return pd.DataFrame(rows, columns=["suite", "cases", *ROLES, "median_abs_error_predicted",
                                       "worst_abs_error_predicted", "median_abs_error",
                                       "worst_abs_error", "bounds_met", "bounds_missed"])


def group_summary(df):
    """Per suite and ``group`` (the suites that pool several sources, e.g. cim-macros' three
    macros): cases, predicted cases, and the :func:`summary` statistics of each group, so a
    pooled median that one source dominates is seen as such. Empty when no case has a group."""
    import pandas as pd

    cols = ["suite", "group", "cases", PREDICTED, "median_abs_error_predicted",
            "worst_abs_error_predicted", "median_abs_error", "worst_abs_error"]
    grouped = df[df["group"].fillna("") != ""] if "group" in df else df.iloc[0:0]
    rows = [{"suite": s, "group": grp, "cases": len(g), PREDICTED: int((g["role"] == PREDICTED).sum()),
             **_stats(g)} for (s, grp), g in grouped.groupby(["suite", "group"], sort=False)]
    return pd.DataFrame(rows, columns=cols)


def _load_builtin() -> None:
    from . import builtin  # noqa: F401  (registers the built-in suites)
