"""Expected and worst cases of a sweep over alternative paths (``cimsim sweep --weights``).

An early-exit network, a cascade or any data-dependent model traces one path per file (a
factory argument such as ``exit_at``: ``workload.exit_at`` in the sweep's rows). Given the
probability of each value of that column, :func:`expected_table` gives, per group of rows that
differ only in it (a config and the other swept fields), the ``expected`` row (Σ p·value of
``latency_s``, ``energy_j``, ``macs`` and ``ops``; ``samples_per_s`` is the samples per run over
the expected latency, ``j_per_sample`` the expected energy over them: a mean of rates would not
be the rate of the mean) and the ``worst`` row (the path of the longest latency). The weighted
sum is the expectation of one sample's cost at batch 1, where each run takes one path; at a
batch B > 1 the samples exit unevenly and each stage runs on the samples still in it, which a
shrinking-batch trace (stage k on B·P(reach k) rows) models, not this sum (README,
"Data-dependent control flow"; find-F 2).
"""

from __future__ import annotations

import math

from ..errors import CimsimError

#: the columns summed with the weights (linear in the path taken)
SUMMED = ("latency_s", "energy_j", "macs", "ops")
#: the columns of the table, in order
COLUMNS = ("case", "of", "latency_s", "energy_j", "macs", "ops", "samples_per_s", "j_per_sample")
#: the rows' columns that are no swept field (the group keys are the config and the fields)
_KEYS = ("config_file", "architecture")


class WeightsError(CimsimError, ValueError):
    """A ``--weights`` spec that cannot be applied (one line)."""


def parse_weights(spec: str) -> tuple[str, dict[str, float]]:
    """``'workload.exit_at=1:0.6,2:0.3,3:0.1'`` -> (column, {value: probability}); each
    probability in [0, 1], their sum 1 (within 1e-9), no value twice."""
    head = "--weights"
    column, eq, rest = spec.partition("=")
    column = column.strip()
    if not eq or not column or not rest.strip():
        raise WeightsError(f"{head} {spec!r}: expected COLUMN=VALUE:P,VALUE:P,... "
                           "(e.g. workload.exit_at=1:0.6,2:0.3,3:0.1)")
    weights: dict[str, float] = {}
    for item in rest.split(","):
        value, colon, p = item.strip().rpartition(":")
        if not colon or not value:
            raise WeightsError(f"{head} {spec!r}: {item.strip()!r} is not VALUE:P "
                               "(a value of the column, a colon, its probability)")
        try:
            prob = float(p)
        except ValueError:
            raise WeightsError(f"{head} {spec!r}: probability {p!r} of {value!r} is not a number") from None
        if not (0.0 <= prob <= 1.0) or math.isnan(prob):
            raise WeightsError(f"{head} {spec!r}: probability {p} of {value!r} must be within 0..1")
        value = canonical(value)  # 1.0 and 1 are one value, as the rows' 1.0 (review F 2)
        if value in weights:
            raise WeightsError(f"{head} {spec!r}: value {value!r} is given twice")
        weights[value] = prob
    total = sum(weights.values())
    if abs(total - 1.0) > 1e-9:
        raise WeightsError(f"{head} {spec!r}: the probabilities sum to {total:g}; they must sum to 1")
    return column, weights


def _value(v) -> str:
    """A row's value as the spec writes it: 2.0 -> '2', 'x' -> 'x'."""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def canonical(v) -> str:
    """A value as the spec and the rows compare it: 1, 1.0, '1.0' and '1e0' -> '1'; 2.5e-07 and
    '2.5e-7' -> '2.5e-07'; a name ('lstm') as written (review F 2)."""
    if isinstance(v, str):
        try:
            f = float(v)
        except ValueError:
            return v.strip()
        return _value(f) if math.isfinite(f) else v.strip()
    return _value(v)


def check_planned(column: str, weights: dict[str, float], tasks, shape) -> None:
    """Refuse, before any point runs, a ``--weights`` spec the planned rows cannot take: a
    column they lack, a value with no row or a row with no probability, a value twice in a
    group (review F 3, review X 2). ``tasks``: the sweep's points (:class:`.worker.Task`);
    ``shape``: each workload's ``workload.<key>`` values."""
    import pandas as pd

    rows = [{"config_file": t.config_file, "architecture": t.architecture, "workload": t.workload,
             "workload_file": t.workload_file,
             **t.params, **shape.get(t.workload_key, {}), "latency_s": 1.0, "energy_j": 1.0}
            for t in tasks]
    if rows:
        expected_table(pd.DataFrame(rows), column, weights)


def expected_table(df, column: str, weights: dict[str, float]):
    """The ``expected`` and ``worst`` rows (columns :data:`COLUMNS` after the group's keys) of
    each group of ``df`` (a sweep's rows) that differ only in ``column``. Refused in one line:
    a column the rows lack, a value of the column with no weight or a weight with no row, a row
    with an error, and a group holding a value twice."""
    import pandas as pd

    if column not in df.columns:
        fields = [c for c in df.columns if "." in c] or ["none"]
        raise WeightsError(f"--weights: the sweep's rows have no column {column!r}; its swept "
                           f"columns: {', '.join(fields)} (a factory's --arg k gives workload.k)")
    if "error" in df.columns and df["error"].notna().any():
        raise WeightsError("--weights: some rows have an error; an expected case needs every path "
                           "(see the error column)")
    if column == "workload":
        weights = _workload_names(df, weights)
    # weighing workloads, their shapes (workload.count: 1 vs 2) differ by path: no key (review L45 5)
    keys = [c for c in _KEYS if c in df.columns] + [c for c in df.columns if "." in c and c != column
                                                    and not (column == "workload" and c.startswith("workload."))]
    groups = df.groupby(keys, dropna=False, sort=False) if keys else [((), df)]
    out = []
    for key, g in groups:
        values = [canonical(v) for v in g[column]]
        if len(set(values)) != len(values):
            raise WeightsError(f"--weights: {column} takes one value more than once in a group "
                               f"({', '.join(values)}); sweep each path once per config")
        missing = sorted(set(values) - set(weights))
        extra = sorted(set(weights) - set(values))
        if missing or extra:
            raise WeightsError(f"--weights: {column} values " + (
                f"{', '.join(missing)} have no probability" if missing else
                f"{', '.join(extra)} have a probability but no row") +
                f" (rows: {', '.join(values)}; weights: {', '.join(weights)}" +
                (f"; group {_group_text(keys, key)})" if keys else ")"))
        p = pd.Series([weights[v] for v in values], index=g.index)
        n = float(g["samples_per_run"].iloc[0]) if "samples_per_run" in g else 1.0
        exp = {c: float((p * g[c].astype(float)).sum()) for c in SUMMED if c in g}
        lat = exp.get("latency_s", float("nan"))
        row = dict(zip(keys, key if isinstance(key, tuple) else (key,)))
        out.append({**row, "case": "expected",
                    "of": ", ".join(f"{v}: {weights[v]:g}" for v in values), **exp,
                    "samples_per_s": n / lat if lat > 0 else float("nan"),
                    "j_per_sample": exp.get("energy_j", float("nan")) / n})
        w = g.loc[g["latency_s"].astype(float).idxmax()]
        out.append({**row, "case": "worst", "of": f"{column}={canonical(w[column])}",
                    **{c: float(w[c]) for c in SUMMED if c in g},
                    "samples_per_s": n / float(w["latency_s"]) if float(w["latency_s"]) > 0 else float("nan"),
                    "j_per_sample": float(w["energy_j"]) / n})
    return pd.DataFrame(out, columns=[*keys, *COLUMNS])


def _group_text(keys, key) -> str:
    """A group's keys as ``k=v`` words, for a refusal naming the group (review L45 5)."""
    vals = key if isinstance(key, tuple) else (key,)
    return " ".join(f"{k}={canonical(v) if isinstance(v, (int, float)) else v}" for k, v in zip(keys, vals))


def _workload_names(df, weights: dict[str, float]) -> dict[str, float]:
    """``weights`` over workloads keyed by name: a value may be a ``-w`` as given
    (``workload_file``: ``exit1.json``, as compare takes; review L45 5) or the name; two
    values naming one workload are refused."""
    import os

    if "workload_file" not in df.columns:
        return weights
    alias = {}
    for f, name in zip(df["workload_file"], df["workload"]):
        alias[canonical(str(f))] = name
        if os.path.isfile(str(f)):
            alias[os.path.realpath(str(f))] = name
    names = set(df["workload"].astype(str))
    out: dict[str, float] = {}
    said: dict[str, str] = {}
    for v, p in weights.items():
        real = os.path.realpath(v) if os.path.isfile(v) else None
        name = v if v in names else alias.get(v) or alias.get(real) or v
        if name in said:
            raise WeightsError(f"--weights: workload {name} given twice ({said[name]} and {v}); give "
                               "each workload one probability")
        said[name], out[name] = v, p
    return out


def value_text(v, unit: str = "") -> str:
    """A group key's value as the expected / worst lines print it: a swept quantity with its
    unit (``307.2 GB/s``, six significant digits, from the table's ``cimsim_units``), not bare
    SI (``307200000000.0``; review X 7); a count or a name as :func:`canonical` writes it."""
    from ..units import si

    if unit and isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(float(v)):
        return si(float(v), unit, 6)
    return canonical(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else str(v)


def lines(table, units: dict[str, str] | None = None) -> list[str]:
    """One line per row of :func:`expected_table`'s ``table``: the case, the group's keys
    (``units``: {column: unit}, a sweep's ``attrs["cimsim_units"]``) and the costs."""
    units = units or {}
    keys = [c for c in table.columns if c not in COLUMNS]
    if "config_file" in keys and "architecture" in keys:  # a sweep's config is named by its file; compare's by its name
        keys.remove("architecture")
    out = []
    for _, r in table.iterrows():
        where = " ".join(f"{k}={value_text(r[k], units.get(k, ''))}" for k in keys)
        out.append(f"{r['case']:<8} {where}: latency_s {r['latency_s']:.6g}, energy_j "
                   f"{r['energy_j']:.6g}, macs {r['macs']:.6g}, samples_per_s {r['samples_per_s']:.6g}"
                   f" ({r['of']})")
    return out


def batch_note(df) -> str | None:
    """The note when a row runs more than one sample: the weighted sum is batch 1's."""
    if "samples_per_run" not in df.columns or not (df["samples_per_run"].astype(float) > 1).any():
        return None
    return ("note: --weights weights whole runs: right at batch 1, where each run takes one path; "
            "at batch B the samples exit unevenly and each stage runs on B x P(reach it) rows: "
            "trace that shrinking batch instead (README, Data-dependent control flow)")
