"""Studies: the simulations that figures, reports and comparisons need, run in one place.

A study takes architectures and workloads, runs :func:`cimsim.simulate` as many
times as its question needs and returns plain data (Results, DataFrames). The
figures (:mod:`cimsim.plot`) and the report (:mod:`cimsim.report`) only draw and
write what a study returns; they never simulate. The commands call a study,
then draw or write::

    result = studies.run_one(arch, workload)           # one run
    runs = studies.runs(archs, workloads)              # every workload on every architecture
    table = studies.results_table(runs, archs)         # one row per run, every result column
    tables = studies.op_tables(archs, workload)        # per-op tables, for a roofline
    cp = studies.critical_path_table(archs, [4, 16])   # critical path vs sequence length
    rep = studies.report_runs(archs, workloads)        # everything `cimsim report` shows
"""

from __future__ import annotations

from typing import NamedTuple, Sequence

import pandas as pd

from . import timing
from .config import Architecture
from .pipeline import simulate
from .report import columns as C
from .report.html import Report
from .report.result import Result
from .workload.ir import Workload

#: sequence lengths of the critical-path-vs-length study (small: it runs 2 x len x archs simulations)
SEQ_LENGTHS = (4, 16, 64, 256)
#: the hierarchical encoders' window in that study
SEQ_WINDOW = 4
#: metadata "generator" values of workloads whose critical path grows with sequence length
RECURRENT = ("lstm", "gru")
HIERARCHICAL = ("hier-attn",)


class Run(NamedTuple):
    """One simulation of a study: the architecture, the workload and its result."""

    arch: object
    workload: object
    result: Result


def run_one(arch: Architecture, workload: Workload, engine: str = "des", keep_ops: bool = True) -> Result:
    """One workload on one architecture."""
    return simulate(arch, workload, engine=engine, keep_ops=keep_ops)


def runs(archs: Sequence, workloads: Sequence, engine: str = "des", keep_ops: bool = True) -> list[Run]:
    """Every workload on every architecture, workload-major. An
    :class:`~cimsim.errors.OverflowInputError` or :class:`~cimsim.errors.MappingError` (a dtype a
    config has no rate for) carries the pair that raised it (``exc.run``: ``(arch, workload)``),
    so a caller can name the config and workload (final read 22-2 3)."""
    from .errors import MappingError, OverflowInputError

    done = []
    for wl in workloads:
        for arch in archs:
            try:
                done.append(Run(arch, wl, simulate(arch, wl, engine=engine, keep_ops=keep_ops)))
            except (OverflowInputError, MappingError) as exc:
                exc.run = (arch, wl)
                raise
    return done


def results_table(done: Sequence[Run], archs: Sequence) -> pd.DataFrame:
    """One row per run with every result column of ``archs`` (missing ones empty)."""
    cols = list(C.union_columns(archs))
    if any(r.result.serving for r in done):  # LLM serving runs: their metrics too
        cols += list(C.SERVING_COLUMNS)
    cols += [c for c in C.PIPELINE_SERVING_COLUMNS if any(c in r.result.serving for r in done)]  # find-C4 6
    for group in C.STATED_LOAD_GROUPS:  # a stated load (Result.at_load)
        if any(group[0] in r.result.facts for r in done):
            cols += list(group)
    # the --idle a deadline, harvest or store alone was taken under, and its wake-up (review 22 F 5)
    cols += [c for c in (C.PERIOD_IDLE, C.PERIOD_WAKE_S)
             if c not in cols and any(c in r.result.facts for r in done)]
    return pd.DataFrame([r.result.record() for r in done], columns=cols)


def compare(archs: Sequence, workloads: Sequence, engine: str = "des", period_s: float | None = None,
            deadline_s: float | None = None, idle: str = "on", harvest_w: float | None = None,
            storage_j: float | None = None, arrivals: str | None = None) -> tuple[list[Run], pd.DataFrame]:
    """Every workload on every architecture without per-op tables, and their results table;
    with ``period_s`` / ``deadline_s`` each result at that load (:meth:`Result.at_load`; a run
    too slow for the period has NaN period columns and a note, not an error); ``idle``: what the
    parts do between runs, on, sleep or gate (:mod:`cimsim.report.idle`); ``harvest_w``,
    ``storage_j``: a harvested power and an energy store (:mod:`cimsim.report.intermittent`);
    ``arrivals``: periodic or poisson requests at mean gap ``period_s`` (:mod:`cimsim.report.queueing`)."""
    done = _at_load(runs(archs, workloads, engine=engine, keep_ops=False), period_s, deadline_s, idle,
                    harvest_w, storage_j, arrivals)
    return done, results_table(done, archs)


def _at_load(done: list[Run], period_s: float | None, deadline_s: float | None,
             idle: str = "on", harvest_w: float | None = None,
             storage_j: float | None = None, arrivals: str | None = None) -> list[Run]:
    """Each run's result at the stated load (none stated: as it is); a run too slow for the
    period has NaN period columns and a note, not an error (:meth:`Result.at_load`)."""
    if all(v is None for v in (period_s, deadline_s, harvest_w, storage_j)):
        return done
    return [r._replace(result=r.result.at_load(period_s, deadline_s, False, idle, harvest_w, storage_j, arrivals))
            for r in done]


def op_tables(archs: Sequence[Architecture], workload: Workload,
              engine: str = "analytic") -> list[tuple[Architecture, pd.DataFrame]]:
    """``(architecture, per-op table)`` of ``workload`` on each architecture (a roofline's input)."""
    return [(arch, simulate(arch, workload, engine=engine, keep_ops=True).op_table) for arch in archs]


def _bytes_sha(path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def _recorded_files(df: pd.DataFrame, column: str, attr: str, what: str, resolve,
                    digest=None) -> tuple[dict, str | None]:
    """The file each of a sweep's configs or workloads (``what``) was read from, ``{name in
    column: path}``, and a note, or None. A sweep records each one's absolute path and SHA-256;
    a file that is gone or whose bytes changed since is refused (:class:`CimsimError`, one line),
    as the rows are not its (``digest``: a path's SHA-256 as recorded; by default its bytes').
    A sweep written before cimsim 0.5 records neither: the name is
    resolved as now, and the note says so."""
    import hashlib
    from pathlib import Path

    from .errors import CimsimError

    names = [str(c) for c in dict.fromkeys(df[column])]
    recorded = df.attrs.get(attr)
    if not recorded:
        return ({n: resolve(n) for n in names},
                f"the sweep records no {what} hash (written before cimsim 0.5): the roofline uses "
                f"the {what} files found now under their names")
    out = {}
    for n in names:
        rec = recorded.get(n)
        if rec is None:
            raise CimsimError(f"{what} {n}: not recorded in the sweep's metadata")
        path = Path(rec["path"])
        try:
            sha = hashlib.sha256(path.read_bytes()).hexdigest() if digest is None else digest(path)
        except OSError as exc:
            raise CimsimError(f"{what} {n}: {path} cannot be read ({exc.strerror or exc})") from None
        except CimsimError as exc:  # a config whose base: is gone
            raise CimsimError(f"{what} {n}: {path} cannot be read ({exc})") from None
        if sha != rec["sha256"]:
            chain = ", or a file its base: names" if digest is not None and sha != _bytes_sha(path) else ""
            raise CimsimError(f"the {what} file changed since the sweep ({path}{chain})")
        out[n] = path
    return out, None


def sweep_config_files(df: pd.DataFrame) -> tuple[dict, str | None]:
    """:func:`_recorded_files` of the sweep's configs."""
    from .bundled import resolve_config
    from .sweep.columns import ATTR_CONFIGS, CONFIG_FILE

    from .config.inherit import read_config

    # a config with a base: is recorded by its chain's digest (find-B2 3)
    return _recorded_files(df, CONFIG_FILE, ATTR_CONFIGS, "config", resolve_config,
                           lambda path: read_config(path).record["sha256"])


def sweep_workload_files(df: pd.DataFrame) -> tuple[dict, str | None]:
    """:func:`_recorded_files` of the sweep's workloads (a workload written since the sweep
    would put another model's ops on the roofline)."""
    from .bundled import resolve_workload
    from .sweep.columns import ATTR_WORKLOADS, WORKLOAD_FILE

    return _recorded_files(df, WORKLOAD_FILE, ATTR_WORKLOADS, "workload", resolve_workload)


def sweep_op_tables(df: pd.DataFrame, engine: str = "analytic", configs: dict | None = None,
                    workloads: dict | None = None
                    ) -> list[tuple[Workload, list[tuple[Architecture, pd.DataFrame]]]]:
    """The per-op tables of each of a sweep's workloads on each of its configs (as written,
    unswept): ``[(workload, [(architecture, per-op table)])]``, one entry per workload.
    ``configs`` / ``workloads``: the files, ``{name: path}`` (default:
    :func:`sweep_config_files` / :func:`sweep_workload_files`)."""
    from .config import load_architecture
    from .sweep.columns import WORKLOAD_FILE
    from .workload import load_workload

    if configs is None:
        configs = sweep_config_files(df)[0]
    archs = [load_architecture(path) for path in configs.values()]
    out = []
    if workloads is None:
        workloads = sweep_workload_files(df)[0]
    for name in dict.fromkeys(df[WORKLOAD_FILE]):
        workload = load_workload(workloads[str(name)])
        out.append((workload, op_tables(archs, workload, engine=engine)))
    return out


def is_sequence_workload(workload: Workload) -> bool:
    """Whether ``workload`` was generated as a recurrent or hierarchical model (its critical
    path grows with sequence length)."""
    return workload.metadata.get("generator") in RECURRENT + HIERARCHICAL


def sequence_families(lengths: Sequence[int], width: int = 64, window: int = SEQ_WINDOW) -> dict[str, list]:
    """Small LSTMs (``steps`` = N) and hierarchical attention encoders (``seq_len`` = N,
    ``window``) of width ``width`` at each length N, by family name."""
    from .workload.generators import hier_attn, lstm

    return {
        "lstm": [lstm(width, width, steps=n) for n in lengths],
        "hier-attn": [hier_attn(n, d_model=width, heads=SEQ_HEADS, window=window) for n in lengths],
    }


#: the heads of :func:`sequence_families`' encoders
SEQ_HEADS = 4


def sequence_models(width: int = 64, window: int = SEQ_WINDOW) -> dict[str, str]:
    """What :func:`sequence_families` generates, by family: the figure and its caption name
    them (they are not the workload the user passed)."""
    return {"lstm": f"1-layer LSTM H = I = {width}",
            "hier-attn": f"encoder d = {width}, {SEQ_HEADS} heads, window {window}"}


def critical_path_table(archs: Sequence, lengths: Sequence[int], width: int = 64,
                        window: int = SEQ_WINDOW) -> pd.DataFrame:
    """Critical path (s, dependency path of ops alone) of each family at each length on each
    architecture: columns architecture, family, model (:func:`sequence_models`), seq_len,
    critical_path_s, critical_path_ops, critical_path_serial_steps (dependent ops: a fused chain
    its members on its longest chain)."""
    models = sequence_models(width, window)
    rows = []
    for family, wls in sequence_families(lengths, width, window).items():
        for n, wl in zip(lengths, wls):
            for arch in archs:
                r = simulate(arch, wl, engine="analytic", keep_ops=False)
                rows.append({C.ARCHITECTURE: arch.name, "family": family, "model": models[family],
                             "seq_len": n,
                             C.CRITICAL_PATH_S: r.critical_path_s,
                             C.CRITICAL_PATH_OPS: r.critical_path_ops,
                             C.CRITICAL_PATH_SERIAL_STEPS: r.critical_path_serial_steps})
    return pd.DataFrame(rows)


def report_runs(archs: Sequence, workloads: Sequence, engine: str = "des",
                seq_lengths: Sequence[int] = SEQ_LENGTHS, window: int = SEQ_WINDOW,
                period_s: float | None = None, deadline_s: float | None = None,
                idle: str = "on", harvest_w: float | None = None,
                storage_j: float | None = None) -> Report:
    """Everything ``cimsim report`` shows: every workload on every architecture (with per-op
    tables), their results table and, when a workload is recurrent or hierarchical, critical
    path against sequence length; with ``period_s`` / ``deadline_s`` each result at that load,
    as :func:`compare` (``idle`` likewise). Returns a :class:`cimsim.report.html.Report` without figures
    (:func:`cimsim.report.html.build_report` draws them)."""
    archs, workloads = list(archs), list(workloads)
    done = _at_load(runs(archs, workloads, engine=engine, keep_ops=True), period_s, deadline_s, idle,
                    harvest_w, storage_j)
    seq = None
    if any(is_sequence_workload(wl) for wl in workloads):  # analytic runs of its own, timed apart
        with timing.extra("the report's critical path against sequence length"):
            seq = critical_path_table(archs, seq_lengths, window=window)
    return Report(archs, workloads, done, table=results_table(done, archs), seq_table=seq,
                  seq_window=window)
