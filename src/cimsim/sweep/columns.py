"""Columns a sweep adds around the result columns (:mod:`cimsim.report.columns`).

A sweep's table is tidy: one row per point x workload x architecture, in the
order ``SWEEP_KEY_COLUMNS``, one column per swept parameter (named by its
dotted config path, values in SI units), the result columns, then ``error``.
Metric columns never contain a dot, so a dotted column is always a parameter. After the
swept config fields come the workload's own parameters that differ between the ``-w`` files
(``workload.steps``: :mod:`cimsim.sweep.shape`), listed in ``cimsim_workload_params``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Mapping, Sequence

from ..report.columns import (  # noqa: F401  (the names live in report.columns)
    ACCURACY_BASIS,
    ACCURACY_REPEATS,
    ACTIVATION_BYTES,
    ARCHITECTURE,
    BOUND,
    BOUND_PART,
    DECODE_BOUND,
    DECODE_BOUND_PART,
    PERIOD_IDLE,
    PREFILL_BOUND,
    PREFILL_BOUND_PART,
    CIMSIM_REVISION,
    CIMSIM_VERSION,
    CONFIG_FILE,
    CRITICAL_PATH_OPS,
    CRITICAL_PATH_SERIAL_STEPS,
    GRAPH_DEPTH_OPS,
    GRAPH_DEPTH_SERIAL_STEPS,
    ENGINE,
    ERROR,
    POINT_ID,
    EXTRAPOLATED,
    PHYSICALLY_PLAUSIBLE,
    FIXED_COLUMNS,
    dies_column,
    fact_column,
    macs_column,
    ops_column,
    LLM_BATCH,
    MACS,
    NOTES,
    OPS,
    OPTIMIZER_STATE_BYTES,
    MEETS_DEADLINE,
    PERIOD_S,
    PERIOD_UTILIZATION,
    PRECISION_MISMATCH,
    SAMPLE,
    SAMPLES_PER_RUN,
    SWEEP_KEY_COLUMNS,
    SYSTEM_DEVICES,
    UNPHASED_OPS,
    WEIGHT_BYTES,
    WORKLOAD,
    WORKLOAD_FILE,
)

if TYPE_CHECKING:
    import pandas as pd

TEXT_COLUMNS: frozenset[str] = frozenset(
    {POINT_ID, CONFIG_FILE, WORKLOAD_FILE, ERROR, WORKLOAD, ARCHITECTURE, ENGINE, BOUND, BOUND_PART,
     ACCURACY_BASIS, CIMSIM_VERSION, CIMSIM_REVISION, NOTES, PERIOD_IDLE, PREFILL_BOUND, DECODE_BOUND,
     PREFILL_BOUND_PART, DECODE_BOUND_PART}  # (review 22 B 7: an all-error part file types them too)
)
#: counts (stored Int64 even when every row is an error row, so two sweep files share a schema);
#: besides these, every ``ops_<component>`` and ``<resource>_bytes`` / ``<resource>_write_bytes``
COUNT_COLUMNS: frozenset[str] = frozenset(
    {SAMPLE, CRITICAL_PATH_OPS, CRITICAL_PATH_SERIAL_STEPS, GRAPH_DEPTH_SERIAL_STEPS, GRAPH_DEPTH_OPS, MACS, OPS, WEIGHT_BYTES, ACTIVATION_BYTES,
     OPTIMIZER_STATE_BYTES, LLM_BATCH, SYSTEM_DEVICES,
     ACCURACY_REPEATS, SAMPLES_PER_RUN, UNPHASED_OPS})
#: true/false columns (stored boolean even when every row is an error row)
FLAG_COLUMNS: frozenset[str] = frozenset({PRECISION_MISMATCH, EXTRAPOLATED, PHYSICALLY_PLAUSIBLE,
                                          MEETS_DEADLINE})


def column_kind(name: str) -> str | None:
    """``"text"``, ``"count"`` or ``"flag"`` for a sweep column whose type its name fixes, None
    for the others (floats, a component's facts, the swept parameters: dotted names)."""
    if name in TEXT_COLUMNS:
        return "text"
    if name in FLAG_COLUMNS:
        return "flag"
    if name in COUNT_COLUMNS or ("." not in name and (
            (name.startswith("ops_") and not name.startswith("ops_per_")) or name.endswith("_bytes"))):
        return "count"
    return None


def _fact_kind(default: object) -> str:
    """A component fact's kind, from the value it declares for a run of no op (its type)."""
    if isinstance(default, str):
        return "text"
    if isinstance(default, bool):
        return "flag"
    return "count" if isinstance(default, int) else "float"


def component_kinds(archs) -> dict[str, str]:
    """``{column: kind}`` for the component columns of ``archs`` whose name does not fix their
    kind: ``ops_<c>``, ``macs_<c>`` and ``dies_<c>`` counts, each ``<c>_<fact>`` of the type its component
    declares in ``facts`` (``processor_weights_on_chip`` a flag), so a sweep whose every row is
    an error row stores them as one without errors does."""
    out: dict[str, str] = {}
    for a in archs:
        for c in a.instances:
            out.update({ops_column(c.name): "count", macs_column(c.name): "count",
                        dies_column(c.name): "count"})
            out.update({fact_column(c.name, f): _fact_kind(v) for f, v in getattr(c, "facts", {}).items()})
    return out


#: ``DataFrame.attrs`` keys (kept in the Parquet file's pandas metadata).
ATTR_PARAMS = "cimsim_params"  # list of swept dotted paths, in order
ATTR_UNITS = "cimsim_units"  # {path: SI unit or ""}
#: ``{column: unit}`` of every result column of the table that has a unit (``energy_j``: J,
#: ``tokens_per_j``: token/J; :func:`cimsim.report.column_docs.column_unit`), so that
#: post-processing need not read units from the name's suffix (find-C 23 C 5)
ATTR_COLUMN_UNITS = "cimsim_column_units"
#: the ``workload.<key>`` columns, in order: the workload files' ``metadata.params`` keys whose
#: values differ between them (:mod:`cimsim.sweep.shape`); their units are in ``cimsim_units``.
#: A sweep file written before 2026-12-06 has neither the attr nor the columns
ATTR_WORKLOAD_PARAMS = "cimsim_workload_params"
#: ``{workload: generator}`` beside workload.<key> columns: each generator's files are a panel
ATTR_WORKLOAD_GROUPS = "cimsim_workload_groups"
#: the prefix of a workload parameter's column (``workload`` is no config section)
WORKLOAD_PARAM_PREFIX = "workload."
#: {config as named (the ``config_file`` column): {"path": absolute path, "sha256": SHA-256 of
#: its bytes}}: which file the sweep ran, so a plot redrawing from it can tell it changed
ATTR_CONFIGS = "cimsim_configs"
#: the same for the workloads (the ``workload_file`` column): ``{name: {"path", "sha256"}}``
ATTR_WORKLOADS = "cimsim_workloads"
#: how the points were chosen: ``{"method": grid|random|lhs|points, "seed", "samples"`` (both
#: None but for random / lhs), ``"params"``: the ``--param`` specs as typed (``PATH=SPEC``),
#: ``"points"``: the ``--points`` file's ``{"path", "sha256"}`` or None, ``"period_s"``,
#: ``"deadline_s"`` (s), ``"harvest_w"`` (W), ``"storage_j"`` (J): the load the rows are at
#: (``--period``, ``--deadline``, ``--harvest``, ``--storage``; each only where given, at 12
#: significant digits), and ``"idle"``: ``--idle`` sleep or gate (only where not on)``}``
ATTR_SAMPLING = "cimsim_sampling"
#: the cimsim that computed the rows: ``__version__`` and :func:`cimsim.model_revision` (also
#: stamped on every part file, so a resumed sweep recomputes the rows of another revision)
ATTR_VERSION = "cimsim_version"
ATTR_REVISION = "cimsim_revision"


def sweep_columns(param_paths: Sequence[str],
                  result_columns: Sequence[str] = FIXED_COLUMNS) -> list[str]:
    """Column order of a sweep table with these swept parameters and result columns
    (the union of the swept architectures' :func:`cimsim.report.columns.result_columns`)."""
    return [*SWEEP_KEY_COLUMNS, *param_paths, *result_columns, ERROR]


def param_columns(df: pd.DataFrame) -> list[str]:
    """The swept-parameter columns of a sweep DataFrame: the swept config fields, then the
    workload parameters that differ between its workload files (:func:`workload_param_columns`)."""
    listed = df.attrs.get(ATTR_PARAMS)
    if listed:
        return [*(c for c in listed if c in df.columns), *workload_param_columns(df)]
    return [c for c in df.columns if "." in c]


def workload_param_columns(df: pd.DataFrame) -> list[str]:
    """The ``workload.<key>`` columns of a sweep DataFrame (the attr's list; without it, the
    columns so named)."""
    listed = df.attrs.get(ATTR_WORKLOAD_PARAMS)
    if listed is not None:
        return [c for c in listed if c in df.columns]
    return [c for c in df.columns if c.startswith(WORKLOAD_PARAM_PREFIX)]


def csv_header(df) -> dict[str, str]:
    """{column: header} for a sweep's CSV copy: each swept parameter with an SI unit is written
    ``path [unit]`` (the Parquet table keeps the bare path and the unit in its metadata)."""
    units = df.attrs.get(ATTR_UNITS) or {}
    return {c: f"{c} [{units[c]}]" for c in param_columns(df) if units.get(c)}


def extrapolated_rows(df) -> int:
    """How many of a sweep table's rows (a DataFrame) are extrapolated (``extrapolated``)."""
    return int(df[EXTRAPOLATED].fillna(False).astype(bool).sum()) if EXTRAPOLATED in df.columns else 0


def implausible_rows(df) -> int:
    """How many of a sweep table's rows are not physically plausible (``physically_plausible``
    false; an error row, which has no value, is not counted)."""
    if PHYSICALLY_PLAUSIBLE not in df.columns:
        return 0
    return int((~df[PHYSICALLY_PLAUSIBLE].fillna(True).astype(bool)).sum())


#: what makes a row not physically plausible, by the words of its note (``report.plausible``:
#: a wafer, a TDP; ``hw.circuits.array``: a cell's Vmin, a cell below the node's published 6T)
IMPLAUSIBLE_REASONS = (("more than a whole 300 mm wafer", "above a wafer"),
                       ("above its TDP of", "above a TDP"),
                       ("above thermal.t_junction_max", "a junction above its maximum temperature"),
                       ("minimum operating voltage", "the supply below a cell's minimum operating "
                        "voltage"),
                       ("published high-density 6T cell", "a cell smaller than the node's "
                        "published 6T cell"))


def implausible_reasons(df) -> str:
    """Why the rows of a sweep table that are not physically plausible are not, counted by
    reason from their notes (a row with two reasons counts under each): ``14 the supply below
    a cell's minimum operating voltage``; without a notes column every reason of
    :data:`IMPLAUSIBLE_REASONS` (review E 6)."""
    bad = ~df[PHYSICALLY_PLAUSIBLE].fillna(True).astype(bool)
    if NOTES not in df.columns:
        return ", ".join(why for _, why in IMPLAUSIBLE_REASONS[:-1]) + " or " + IMPLAUSIBLE_REASONS[-1][1]
    notes = df.loc[bad, NOTES].fillna("").astype(str)
    said = [f"{n:,} {why}" for words, why in IMPLAUSIBLE_REASONS
            if (n := int(notes.str.contains(words, regex=False).sum()))]
    other = int((~notes.apply(lambda t: any(w in t for w, _ in IMPLAUSIBLE_REASONS))).sum())
    return "; ".join(said + ([f"{other:,} for another reason"] if other else []))


def error_rows(df) -> int:
    """How many of a sweep table's rows (a DataFrame) carry an error."""
    return int(df[ERROR].notna().sum()) if ERROR in df.columns else 0


def too_slow_rows(df) -> int:
    """How many of a sweep table's rows were too slow for its period (a period, NaN figures;
    an error row has no period and is not counted)."""
    if PERIOD_S not in df.columns or PERIOD_UTILIZATION not in df.columns:
        return 0
    return int((df[PERIOD_S].notna() & df[PERIOD_UTILIZATION].isna()).sum())


def describe_run(df: pd.DataFrame) -> str:
    """One line on what a sweep run did (for the CLI), and how many rows are extrapolated or
    not physically plausible."""
    errors, outside, implausible = error_rows(df), extrapolated_rows(df), implausible_rows(df)
    slow = too_slow_rows(df)
    return (
        f"{len(df):,} rows: {df.attrs.get('computed', 0):,} computed, "
        f"{df.attrs.get('reused', 0):,} already done, {errors:,} with errors"
        + (f", {outside:,} extrapolated (a circuit model outside its fitted range: see the "
           "rows' notes)" if outside else "")
        + (f", {implausible:,} not physically plausible ({implausible_reasons(df)}: see "
           "the rows' notes)" if implausible else "")
        + (f", {slow:,} too slow for the period (NaN period columns: see the rows' notes)"
           if slow else "") + _losses(df.attrs))


def _losses(attrs: Mapping) -> str:
    """`` (2 workers lost; 37 points run again; 1 point killed its worker each time it ran
    alone: an error row)`` when this run lost workers (:mod:`cimsim.sweep.drive`), else ``""``."""
    lost, again, died = (int(attrs.get(k) or 0) for k in ("workers_lost", "retried", "worker_died"))
    if not lost:
        return ""
    said = [f"{lost:,} worker{'s' if lost != 1 else ''} lost", f"{again:,} point{'s' if again != 1 else ''} "
            "run again"]
    if died:
        said.append(f"{died:,} point{'s' if died != 1 else ''} killed {'their' if died != 1 else 'its'} "
                    "worker each time alone: error rows, --retry-errors runs them again")
    return f" ({'; '.join(said)})"
