"""``cimsim.sweep(...)``: design points x configs x workloads -> a tidy DataFrame."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Mapping, Sequence

import pandas as pd

from ..atomic import check_writable
from ..errors import CimsimError, WorkloadError, one_name_each
from ..inputs import file_record, read_input, sha256_hex
from ..pipeline import ENGINES
from .checks import check_run_settings, check_swept_fields
from .columns import (CONFIG_FILE, POINT_ID, SAMPLE, WORKLOAD_FILE, component_kinds,
                      describe_run, sweep_columns)  # noqa: F401 - cimsim.sweep.runner.describe_run
from .drive import Losses, drive
from .executors import ClusterLost, SchedulerError, check_scheduler, make_executor, workers_clash
from .load import given, load_columns, stated
from .params import DEFAULT_MAX_POINTS, ParamSpec, SweepSpecError, option, under_cli
from .preflight import stored_check
from .points import parse_params as _params, points_where, points_wording, read_points
from .sampling import count_points, grid_points, sample_points, sampling_record
from .shape import shape_of, varying_columns, workload_groups
from .store import (SweepStore, attach_attrs, check_is_sweep_file, check_output_names,
                    rows_to_frame, sweep_attrs, with_column_units)
from . import plugins
from .progress import Progress as _Progress
from .worker import Task

if TYPE_CHECKING:  # the dask extra
    import distributed

#: Bumped when the meaning of a point id changes, so old parts are not reused.
POINT_ID_VERSION = 1


class SweepIncomplete(CimsimError):
    """The workers or the cluster failed outside any point (none came back, or they fail
    whatever they run): the finished rows are kept in the parts; rerun to finish. (A point
    that kills its worker is an error row, :mod:`cimsim.sweep.drive`.)"""


class SweepTooLarge(CimsimError):
    """The sweep has more runs than ``--max-points`` allows."""


@dataclass(frozen=True)
class SweepPlan:
    """What a sweep will run, counted before anything is built."""

    specs: list
    points: int
    configs: int
    workloads: int
    #: random / LHS: the points drawn (a draw that repeats a point is merged), and how many draws
    sampled: list | None = None
    drawn: int | None = None
    #: how many of ``specs`` (the first ones) are the columns of a ``--points`` file
    points_columns: int = 0
    #: a dry run into ``output``: (done, to compute, to be moved) (:mod:`.preflight`), or None
    stored: tuple | None = None
    output: str | None = None

    @property
    def runs(self) -> int:
        return self.points * self.configs * self.workloads

    def describe(self) -> str:
        merged = (f" ({self.drawn:,} samples drew {_count(self.points, 'distinct point')})"
                  if self.drawn is not None and self.drawn != self.points else "")
        return (
            f"sweep: {_count(self.points, 'point')} x {_count(self.configs, 'config')} x "
            f"{_count(self.workloads, 'workload')} = {_count(self.runs, 'run')}{merged}"
        )

    def rounding(self) -> str:
        """``; PATH=SPEC runs 1, 4, 8 (...)`` for each whole-number range whose even steps were
        not whole (its values are the nearest whole numbers), else ``""``."""
        out = ""
        for p in self.specs:
            if getattr(p, "rounded", False) and self.sampled is None:
                v = [f"{x:,}" for x in p.values]
                shown = ", ".join(v if len(v) <= 8 else [*v[:3], "...", *v[-2:]])
                out += (f"; {p.path}={p.spec} runs {shown} ({len(v):,} whole numbers, the "
                        "nearest to its even steps)")
        return out


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def plan_sweep(configs: str | Path | Sequence[str | Path], workloads: str | Path | Sequence[str | Path],
               params: Sequence[str | ParamSpec] | Mapping[str, object] | None = None, *,
               sample: str = "grid", samples: int | None = None,
               max_points: int = DEFAULT_MAX_POINTS, seed: int = 0,
               points: str | Path | pd.DataFrame | Sequence[Mapping] | None = None) -> SweepPlan:
    """Parse the specs and count the runs (points x configs x workloads) arithmetically.

    Raises :class:`SweepTooLarge` when the runs exceed ``max_points``; no grid
    or sample is built, so a 10^9-point request costs nothing. Then every swept
    field must be one of every config's (:func:`check_swept_fields`). Random and LHS samples
    (``seed``) are then drawn, at most ``max_points`` of them, and counted once merged.
    ``points``: design points (:func:`read_points`), each crossed with the grid of ``params``.
    """
    if isinstance(max_points, bool) or not isinstance(max_points, int) or max_points < 1:
        raise CimsimError(f"--max-points {max_points!r}: expected a whole number >= 1")
    configs, workloads = _as_list(configs), _as_list(workloads)
    for what, items in (("config", configs), ("workload", workloads)):
        bad = next((x for x in items if not isinstance(x, (str, os.PathLike))), None)
        if bad is not None:  # an object built in Python: the workers load files, not objects
            raise CimsimError(
                f"sweep() takes {what}s as bundled names or file paths (each worker loads the "
                f"file's bytes), got {'an' if type(bad).__name__[0] in 'AEIOU' else 'a'} {type(bad).__name__}: "
                + ("sweep the file it was loaded from, with the changed fields as params"
                   if what == "config" else "save it with cimsim.workload.save_workload(w, "
                   "'w.npz') and sweep that file"))
    if not configs:
        raise CimsimError("a sweep needs at least one config")
    if not workloads:
        raise CimsimError("a sweep needs at least one workload (-w)")
    specs = _params(params, max_points, configs)
    rows = None
    if points is not None:
        if sample != "grid":
            raise SweepSpecError(f"{'--points' if under_cli() else 'points='} is a list of design "
                                 f"points; {option('sample', sample)} draws points of ranges: give "
                                 "one or the other")
        pspecs, rows = read_points(points, configs)
        both = [p.path for p in pspecs if p.path in {q.path for q in specs}]
        if both:
            raise SweepSpecError(f"{both[0]} is both a column of {points_where(points)} and a param")
        specs, grid_specs = [*pspecs, *specs], specs
    plan = SweepPlan(specs, count_points(specs if rows is None else grid_specs, sample, samples)
                     * (1 if rows is None else len(rows)), len(configs), len(workloads))
    if plan.runs > max_points:
        raise SweepTooLarge(
            f"{plan.describe()} exceed --max-points {max_points:,}; use fewer values, or raise "
            "--max-points (max_points= in Python) if you mean it"
        )
    try:
        check_swept_fields(configs, specs, params if isinstance(params, Mapping) else None)
    except SweepSpecError as exc:
        raise SweepSpecError(points_wording(str(exc), specs[:len(specs) - len(grid_specs)], points)
                             if rows is not None else str(exc)) from None
    if rows is not None:  # each row crossed with the grid of the --param specs
        crossed = [{**r, **g} for r in rows for g in grid_points(grid_specs)]
        return SweepPlan(specs, len(crossed), plan.configs, plan.workloads, crossed,
                         points_columns=len(pspecs))
    if sample != "grid":  # draws that repeat a point are one point: count what will run
        points = sample_points(specs, sample, samples, seed)
        plan = SweepPlan(specs, len(points), plan.configs, plan.workloads, points, samples)
    return plan


def _as_list(x) -> list:
    if x is None:
        return []
    if isinstance(x, (str, Path)):
        return [x]
    try:
        return list(x)
    except TypeError:  # one object (an Architecture): the caller says what it takes
        return [x]


def point_id(config_sha: str, workload_sha: str, overrides: Mapping, engine: str,
             accuracy: str | None = None, load: Mapping | None = None) -> str:
    """Stable identity of one row: same files, same overrides, same engine (and, with
    ``--accuracy``, the same evaluation model; with ``--period`` / ``--deadline``, the same
    load, :mod:`cimsim.sweep.load`) -> same id."""
    ident = {
        "v": POINT_ID_VERSION,
        "config": config_sha,
        "workload": workload_sha,
        "overrides": sorted((k, v) for k, v in overrides.items()),
        "engine": engine,
    }
    if accuracy is not None:  # absent otherwise: ids of sweeps without accuracy are unchanged
        ident["accuracy"] = accuracy
    if given(load):  # likewise: a sweep at no load keeps its ids
        ident["load"] = given(load)
    key = json.dumps(
        ident,
        sort_keys=True,
        default=str,
    )
    return sha256_hex(key.encode())[:24]


def _result_columns(context) -> tuple[tuple[str, ...], dict[str, str]]:
    """The result columns of every swept config (overrides cannot add or remove components),
    and the declared kinds of its component columns (:func:`.columns.component_kinds`)."""
    from ..config import architecture_from_dict
    from ..report.columns import FIXED_COLUMNS, SERVING_COLUMNS, union_columns

    archs = []
    for sha, data in context["configs"].items():
        try:
            archs.append(architecture_from_dict(data, source=context["config_sources"][sha]))
        except CimsimError:
            continue  # an invalid base config: its points become error rows
    cols = (*(union_columns(archs) if archs else FIXED_COLUMNS), *load_columns(context.get("load")))
    return ((*cols, *SERVING_COLUMNS) if context.get("serving") else cols), component_kinds(archs)


def _accuracy_targets(workloads, dataset, configs=(), output_kind="auto") -> dict:
    """``--accuracy``: each workload an evaluation model, loaded (trained and cached on first
    use) and traced here, with its data statistics at the precision of each base config's CIM
    (:func:`cimsim.accuracy.target.stats_bits`), so workers only read the cache (a point that
    sweeps a CIM's bits traces its own there). {name: (traced file at the first config's
    precision, key, (model spec, dataset spec, output kind), that file's bytes)}."""
    from ..accuracy.target import AccuracyError, is_target_spec, load_target, stats_bits, traced
    from ..bundled import resolve_config
    from ..config import load_architecture

    bits = []
    for c in configs:
        try:
            b = stats_bits(load_architecture(resolve_config(str(c))))
        except CimsimError:
            continue  # an invalid base config: its points become error rows
        if b not in bits:
            bits.append(b)
    out = {}
    for name in workloads:
        name = str(name)
        if not is_target_spec(name):
            raise AccuracyError(f"--accuracy: workload '{name}' is not an evaluation model; give a "
                                "bundled one (e.g. digits-cnn) or FILE.py:FACTORY with --dataset")
        target = load_target(name, dataset, output_kind)
        files = [traced(target, b) for b in bits or [None]]  # in memory where the cache is read-only
        out[name] = (files[0].path, target.key, (name, dataset, output_kind), files[0].raw)
    return out


def _once(kind: str, name, sha: str, seen: Mapping) -> None:
    """Refuse a config or workload given twice (the same bytes): its rows would be one point's,
    fewer than the count announced."""
    if sha in seen:
        raise CimsimError(f"{kind} {name}: the same content as {seen[sha]}, already in this sweep "
                          f"(one would give the other's rows); give each {kind} once")


def _build(configs, workloads, specs, points, engine, targets=None, load=None):
    from ..bundled import resolve_config, resolve_workload
    from ..config.inherit import read_config
    from ..config.loader import config_bytes
    from ..workload import read_workload_bytes
    from ..workload.io import warn_if_outdated

    context: dict = {"configs": {}, "config_sources": {}, "workloads": {}, "workload_sources": {},
                     plugins.KEY: plugins.shipped_parts()}  # cimsim.hw.register's, for the workers
    cfgs = []
    for name in configs:
        path = resolve_config(str(name))
        raw = config_bytes(path)  # read once: what is parsed is what is hashed
        res = read_config(path, raw)  # its base: chain merged in, and hashed (find-B2 3)
        record = res.record
        sha, data = record["sha256"], res.data
        _once("config", name, sha, context["config_sources"])
        context["configs"][sha] = data
        context["config_sources"][sha] = str(path)
        context.setdefault("config_files", {})[str(name)] = record
        cfgs.append((str(name), sha, str(data.get("name", path.stem))))
    wls, shapes = [], {}
    targets = targets or {}
    if targets:  # (the workers do not say again that the accuracy cache is read-only)
        from ..accuracy.cache import WARNED, warned
        context.update({"accuracy": {}, WARNED: warned()})
    for name in workloads:
        if str(name) in targets:
            path, raw = targets[str(name)][0], targets[str(name)][3]
        else:
            path = resolve_workload(str(name))
            try:
                raw = read_input(path)
            except OSError as exc:
                raise WorkloadError(f"{path}: cannot read workload ({exc.strerror or exc})") from None
        record = file_record(path, raw)
        sha = record["sha256"]
        _once("workload", name, sha, context["workload_sources"])
        context.setdefault("workload_files", {})[str(name)] = record
        # parsed here once, as `cimsim run` reads it (JSON or .npz), so a bad file is one error
        # before the sweep starts; workers get the file's bytes and parse them the same way
        parsed = read_workload_bytes(raw, str(path))
        warn_if_outdated(parsed, str(path))  # here, once: not again in each worker
        title = parsed.name
        if "llm" in parsed.metadata:  # an LLM serving run: its serving metrics are columns too
            context["serving"] = True
        context["workloads"][sha] = raw
        context["workload_sources"][sha] = str(path)
        if str(name) in targets:
            context["accuracy"][sha] = targets[str(name)][2]
        wls.append((str(name), sha, title or path.stem))
        shapes[sha] = shape_of(parsed.metadata)
    # rows, and the plot's lines, are keyed by architecture and workload name, as compare's
    one_name_each("config", [c[0] for c in cfgs], [c[2] for c in cfgs], "name:")
    one_name_each("workload", [w[0] for w in wls], [w[2] for w in wls], '"name"')
    context["engine"] = engine  # a resume's warning names it when only the engine changed
    context["load"] = load  # each worker's run at it (sweep.load)
    # the workload.<key> columns: the params that differ between the files, each row's from its file
    context["shape"] = shape = varying_columns(shapes)
    context["workload_params"] = {c: "" for c in next(iter(shape.values()), {})}  # counts: bare
    context["workload_groups"] = workload_groups(shapes, {w[1]: w[2] for w in wls})
    tasks: list[Task] = []
    seen: set[str] = set()
    for i, point in enumerate(points):
        overrides = {p.path: p.override_value(point[p.path]) for p in specs}
        for cfg_name, cfg_sha, arch_name in cfgs:
            for wl_name, wl_sha, wl_title in wls:
                acc = context.get("accuracy", {}).get(wl_sha)
                pid = point_id(cfg_sha, wl_sha, overrides, engine,
                               None if acc is None else targets[acc[0]][1], load)
                if pid in seen:  # the sampler drew the same point twice
                    continue
                seen.add(pid)
                tasks.append(
                    Task(pid, i, cfg_sha, wl_sha, cfg_name, wl_name, arch_name, wl_title, engine,
                         overrides, {**point, **shape[wl_sha]})
                )
    return context, tasks


def execution_order(tasks: list[Task]) -> list[Task]:
    """Tasks grouped by workload, then config, so each worker parses a workload once.

    Chunks are consecutive slices of this order; a worker then meets one
    workload in a run of chunks rather than every workload at every point (its
    cache holds a few parsed workloads, not all). The table keeps the sweep's
    own row order.
    """
    return sorted(tasks, key=lambda t: (t.workload_key, t.config_key))


def _importing_main_in_a_worker() -> bool:
    """Whether this call runs while multiprocessing imports the main script in a child process
    (the flag the standard library's own check reads, ``multiprocessing.spawn``)."""
    import multiprocessing

    return bool(getattr(multiprocessing.current_process(), "_inheriting", False))


def sweep(
    configs: str | Path | Sequence[str | Path],
    workloads: str | Path | Sequence[str | Path],
    params: Sequence[str | ParamSpec] | Mapping[str, object] | None = None,
    *,
    sample: str = "grid",
    samples: int | None = None,
    seed: int = 0,
    engine: str = "des",
    scheduler: str | None = None,
    workers: int | None = None,
    output: str | Path | None = None,
    csv: str | Path | None = None,
    quiet: bool = True,
    retry_errors: bool = False,
    chunk_size: int | None = None,
    flush_rows: int = 64,
    flush_seconds: float = 2.0,
    on_rows: Callable[[int], None] | None = None, check_tasks: Callable | None = None,
    max_points: int = DEFAULT_MAX_POINTS,
    announce: Callable[[str], None] | None = None,
    security: distributed.Security | None = None,
    accuracy: bool = False,
    dataset: str | None = None,
    output_kind: str = "auto",
    dry_run: bool = False,
    points: str | Path | pd.DataFrame | Sequence[Mapping] | None = None,
    period_s: float | str | None = None,
    deadline_s: float | str | None = None,
    idle: str = "on",
    harvest_w: float | str | None = None,
    storage_j: float | str | None = None,
) -> pd.DataFrame | SweepPlan:
    """Run every design point on every config and workload; return one row per point.

    Parameters
    ----------
    configs, workloads : bundled names (``"gpu-hbm3"``, ``"lstm"``) or file paths.
    params : ``["memory.dram.bandwidth=25GB/s..3.2TB/s:log:32", ...]`` or ``{path: spec}``,
        where a spec may also be a list, tuple or range of values (``{"cim.adc.bits": [4, 5]}``).
    sample : ``grid`` (cartesian product), ``random`` or ``lhs`` (``samples`` points, ``seed``).
    engine : ``des`` (event simulation) or ``analytic`` (bounds, no events).
    scheduler : None for local worker processes, ``local:N`` for a Dask LocalCluster of N processes,
        a :func:`cimsim.sweep_pool` (workers kept warm across calls), ``tls://HOST:PORT`` or
        ``tcp://HOST:PORT`` for a running Dask scheduler (``tcp://`` has no authentication, and
        results are unpickled here: use it only on a network you trust).
    security : a :class:`distributed.Security` for a ``tls://`` scheduler (or a
        TLS ``local:N`` cluster), e.g. from
        :func:`cimsim.sweep.executors.security_from_files`.
    workers : local worker processes (default: all cores).
    output : Parquet file (x.csv: x.parquet and its CSV copy x.csv); rows persist to
        ``output.parts/`` as they finish; a rerun of the same call computes only the missing points.
    csv : also write the final table as CSV.
    quiet : no progress bar (the bar also stays off when stderr is not a terminal).
    retry_errors : recompute points whose stored row has an error.
    chunk_size : runs handed to a worker at once (default: up to 16, fewer on a small sweep).
    flush_rows, flush_seconds : persist a part file after this many rows or seconds.
    max_points : refuse (:class:`SweepTooLarge`) a sweep of more runs (points x
        configs x workloads) than this, counted before anything is built.
    announce : called once with the line that states the count before the sweep
        starts (default: printed to stderr unless ``quiet``).
    accuracy : each workload is an evaluation model (:mod:`cimsim.accuracy.target`: a bundled
        name or ``FILE.py:FACTORY`` with ``dataset``); every point also runs it with the
        point's CIM arithmetic and adds :data:`cimsim.report.columns.ACCURACY_COLUMNS`;
        ``output_kind`` reads its outputs (``--output-kind``, :mod:`cimsim.accuracy.scores`).
    points : explicit design points (``--points``): a CSV file (a header of config paths, a
        row of values with units per point), a DataFrame or a list of dicts of the same, each
        crossed with the grid of ``params``; a repeated point runs once (a warning says so).
    period_s, deadline_s : every row at one run every ``period_s`` and against ``deadline_s``
        (``--period`` / ``--deadline``: seconds, or text such as ``"1ms"``, ``"1kHz"``), as
        :meth:`Result.at_load <cimsim.report.result.Result.at_load>`; a point too slow for the
        period has NaN period columns and a note (:mod:`cimsim.sweep.load`).
    idle, harvest_w, storage_j : ``--idle`` ("on", "sleep", "gate": :mod:`cimsim.report.idle`),
        ``--harvest`` (W, or ``"100uW"``), ``--storage`` (J): :mod:`cimsim.report.intermittent`.
    dry_run : make every check the run makes before any point runs (specs and count,
        scheduler, output paths, configs and workloads, each given once), then return the
        :class:`SweepPlan` instead of running; nothing is written. ``check_tasks(tasks, shape)``:
        called with the points before any runs (and in a dry run), e.g. to refuse a --weights spec.

    Returns
    -------
    DataFrame with columns :func:`cimsim.sweep.columns.sweep_columns`; its
    ``attrs`` hold the swept paths and their units, and this run's counts: ``computed`` /
    ``reused`` rows, ``workers_lost``, points ``retried`` after a loss and points whose worker
    died running them alone (``worker_died``: error rows, :mod:`cimsim.sweep.drive`).
    """
    if _importing_main_in_a_worker():
        # multiprocessing is importing the user's script in a worker process (a module-level
        # sweep() call without `if __name__ == "__main__":`): running a sweep here would spawn
        # workers from a worker; end this import quietly, and the parent says what to do
        # (executors.LocalExecutor.run), told so by the marker file it named
        import os

        marker = os.environ.get("CIMSIM_SWEEP_UNGUARDED")
        if marker:
            open(marker, "a").close()
        raise SystemExit(1)
    if engine not in ENGINES:
        raise CimsimError(f"engine {engine!r}: allowed are {', '.join(ENGINES)}")
    check_run_settings(workers, chunk_size, flush_rows, flush_seconds)
    load = stated(period_s, deadline_s, idle, harvest_w, storage_j)
    # everything a user can get wrong is checked before the run count is announced, so a bad
    # sweep is one error line: specs and count, scheduler, output paths, configs and workloads
    plan = plan_sweep(configs, workloads, params, sample=sample, samples=samples, max_points=max_points,
                      seed=seed, points=points)
    check_scheduler(scheduler, security)
    if scheduler not in (None, "", "processes") and workers is not None:
        raise SchedulerError(workers_clash(scheduler, workers))
    output, csv = check_output_names(output, csv, announce)  # x.csv: x.parquet + x.csv
    check_is_sweep_file(output)
    for path, option in ((output, "-o"), (csv, "--csv")):
        if path is not None:
            check_writable(Path(path), option)  # its nearest existing folder: writable
    configs, workloads, specs = _as_list(configs), _as_list(workloads), plan.specs
    if dataset is not None and not accuracy:
        raise CimsimError("--dataset goes with --accuracy")
    if output_kind != "auto" and not accuracy:
        raise CimsimError("--output-kind goes with --accuracy")
    targets = _accuracy_targets(workloads, dataset, configs, output_kind) if accuracy else None
    plan_points = points  # the --points file, if any
    points = plan.sampled if plan.sampled is not None else sample_points(specs, sample, samples, seed)
    context, tasks = _build(configs, workloads, specs, points, engine, targets, load)
    check_tasks is not None and check_tasks(tasks, context.get("shape") or {})  # review F 3
    context["sampling"] = {**sampling_record(sample, samples, seed, specs[plan.points_columns:],
                                             plan_points), **(given(load) or {})}  # its rows' load
    if dry_run:  # the count, then what the run would keep of -o and move (preflight)
        if announce is not None:
            announce(plan.describe() + plan.rounding())
        return plan if output is None else dataclasses.replace(
            plan, stored=stored_check(output, tasks, context, specs, retry_errors), output=str(output))
    results, kinds = _result_columns(context)
    if accuracy:
        from ..report.columns import ACCURACY_COLUMNS

        results = (*results, *ACCURACY_COLUMNS)
    columns = sweep_columns([*(p.path for p in specs), *context["workload_params"]], results)

    def say() -> None:
        if announce is not None:
            announce(plan.describe() + plan.rounding())
        elif not quiet:
            print(plan.describe() + plan.rounding(), file=sys.stderr, flush=True)

    store = SweepStore(output) if output is not None else None
    with contextlib.ExitStack() as stack:
        if store is not None:
            try:
                stack.enter_context(store)  # takes the lock: a busy or unwritable output stops here
            except OSError as exc:
                raise CimsimError(f"-o {output}: cannot write there ({exc.strerror or exc})") from None
        df, computed, reused, losses = _run(store, tasks, context, columns, specs, scheduler, workers, quiet,
                                    retry_errors, chunk_size, flush_rows, flush_seconds, on_rows, csv,
                                    security, say, kinds)
    df.attrs.update(computed=computed, reused=reused, workers_lost=losses.workers,
                    retried=len(losses.retried), worker_died=losses.died)  # this run's, not the file's
    return with_column_units(df)  # the frame Python gets, as the Parquet (review 23 G 7)


def _run(store, tasks, context, columns, specs, scheduler, workers, quiet, retry_errors, chunk_size,
         flush_rows, flush_seconds, on_rows, csv, security, announce=lambda: None, kinds=None):
    done: dict[str, dict] = {}
    columns, known = list(columns), set(columns)

    def widen(row: dict) -> None:
        # a point's architecture may report a column the base config's does not (a swept
        # field that adds a compute part, e.g. processor.single_stream_bandwidth): kept, last
        for k in row:
            if k not in known:
                known.add(k)
                columns.append(k)

    if store is not None:
        from .resume import reusable_rows

        store.kinds = kinds
        store.attrs = sweep_attrs(specs, context.get("config_files"), context.get("workload_files"),
                                  context.get("sampling"), context.get("workload_params"),
                                  context.get("workload_groups"))
        wanted = {t.point_id for t in tasks}
        for rec in reusable_rows(store, wanted, context, specs, retry_errors):
            done[rec[POINT_ID]] = rec
            widen({k: v for k, v in rec.items() if not (isinstance(v, float) and v != v)})
    reused = len(done)
    todo = execution_order([t for t in tasks if t.point_id not in done])

    computed = 0
    buffer: list[dict] = []
    last_flush = time.monotonic()

    def flush() -> None:
        nonlocal last_flush
        if store is not None and buffer:
            store.append(buffer, columns)
        buffer.clear()
        last_flush = time.monotonic()

    # the executor starts (and a scheduler is reached) before the count is announced
    executor = make_executor(context, scheduler, workers, security) if todo else None
    announce()
    losses = Losses()
    if executor is not None:
        progress = _Progress(len(tasks), reused, enabled=not quiet)
        n_workers = getattr(executor, "workers", None) or 4
        size = chunk_size or max(1, min(16, math.ceil(len(todo) / (n_workers * 8))))
        cancel = True
        try:
            for rows in drive(executor, todo, size, losses, progress.note):
                for row in rows:
                    done[row[POINT_ID]] = row
                    widen(row)
                    buffer.append(row)
                computed += len(rows)
                progress.advance(len(rows))
                if on_rows is not None:
                    on_rows(len(rows))
                if store is not None and (
                    len(buffer) >= flush_rows or time.monotonic() - last_flush >= flush_seconds
                ):
                    flush()
            cancel = False
        except ClusterLost as exc:
            kept = "" if store is None else f" (the finished rows are saved in {store.parts_dir}/)"
            raise SweepIncomplete(f"{exc}; {sum(t.point_id not in done for t in todo):,} of "
                                  f"{len(tasks):,} points are not computed{kept}; rerun the same "
                                  "command when the workers are back to compute only those") from None
        finally:
            flush()  # Ctrl-C or a crash keeps everything that finished
            progress.close()
            executor.close(cancel=cancel)

    # a stored row keeps its point's results but takes this run's names (the same file named
    # otherwise, e.g. by path, is the same point), its sample index (a grown grid numbers its
    # points anew) and its workload's params (a row stored before the workload.<key> columns
    # existed has none): the columns and the metadata agree
    shape = context.get("shape") or {}
    df = rows_to_frame([{**done[t.point_id], SAMPLE: t.sample, CONFIG_FILE: t.config_file,
                         WORKLOAD_FILE: t.workload_file,
                         **shape.get(t.workload_key, {})} for t in tasks], columns, kinds)
    attach_attrs(df, specs, context.get("config_files"), context.get("workload_files"),
                 context.get("sampling"), context.get("workload_params"), context.get("workload_groups"))
    if store is not None:
        store.finish(df, csv)
    elif csv is not None:
        from .store import write_csv

        write_csv(df, csv)
    return df, computed, reused, losses
