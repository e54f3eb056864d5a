"""What a worker process runs: a chunk of points in, one row per point out.

A worker gets the parsed config mappings and the workload files' bytes (JSON or
``.npz``, read as ``cimsim run`` reads them) once (the sweep *context*) and then
small tasks naming them, so nothing it needs has to be on its file system. A
point that raises becomes a row with ``error`` set; the chunk goes on.
"""

from __future__ import annotations

import threading
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from typing import Any

from .columns import CONFIG_FILE, ERROR, POINT_ID, SAMPLE, WORKLOAD_FILE
from .lifeline import guard
from .plugins import KEY as PARTS, install_parts


@dataclass(frozen=True)
class Task:
    """One row to compute: a design point on one config and one workload."""

    point_id: str
    sample: int
    config_key: str
    workload_key: str
    config_file: str
    workload_file: str
    architecture: str
    workload: str
    engine: str
    overrides: dict = field(default_factory=dict)  # dotted path -> value in YAML form
    params: dict = field(default_factory=dict)  # dotted path -> value in SI units


#: Context key of the sweep main process's identity, set for workers that are its descendants.
LIFELINE = "lifeline"

# Context installed by the local pool's initializer (per worker process).
_CONTEXT: dict | None = None
# Parsed workloads, per worker process: parsing a long LSTM once, not per point.
_WORKLOADS: "OrderedDict[str, Any]" = OrderedDict()
_WORKLOADS_MAX = 8
#: How many times this process parsed each workload (sha -> count); once, when tasks come grouped.
WORKLOAD_LOADS: "Counter[str]" = Counter()
# This worker's placements and cost tables, one cache per thread (a Dask worker may run
# several): points that differ only in bandwidths share them.
_LOCAL = threading.local()


def cost_cache():
    """The :class:`~cimsim.cost.cache.CostCache` of this worker thread (made on first use)."""
    cache = getattr(_LOCAL, "costs", None)
    if cache is None:
        from ..cost.cache import CostCache

        cache = _LOCAL.costs = CostCache()
    return cache


def init_worker(context: dict, main: tuple | None = None) -> None:
    """Pool initializer: install the sweep context; exit with the sweep's main process ``main``.

    Ctrl-C reaches the whole process group; the main process handles it (it keeps the finished
    points and shuts the pool down), so a worker ignores SIGINT instead of dying mid-task with a
    KeyboardInterrupt traceback."""
    import signal
    import warnings

    from ..hw.registry import EntryPointClash

    global _CONTEXT
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # the main process said each ignored entry point in one line; any other warning is one
    # line too, as there (not Python's 'file:line: UserWarning: ...' and the source line)
    warnings.simplefilter("ignore", EntryPointClash)
    warnings.showwarning = _one_line_warning
    _CONTEXT = context
    guard(main)
    install_parts(context.get(PARTS))  # the parts the main process registered at run time


def _one_line_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """``warning: MESSAGE`` on stderr, as the command line prints a warning."""
    import sys

    from ..errors import one_line

    print(f"warning: {one_line(' '.join(str(message).split()))}", file=sys.stderr, flush=True)


def _base(key: str, context: dict, source: str):
    """The config ``key`` without overrides, built once per worker thread (the counts a sweep's
    overrides change are compared against it: :func:`cimsim.hw.totals.unscaled_notes`)."""
    from ..config import architecture_from_dict

    data = context["configs"][key]
    bases = getattr(_LOCAL, "bases", None)
    if bases is None:
        bases = _LOCAL.bases = {}
    if key not in bases or bases[key][0] is not data:  # another sweep's config of that key
        bases[key] = (data, architecture_from_dict(data, source=source))
    return bases[key][1]


def _workload(key: str, context: dict):
    from ..workload import read_workload_bytes

    if key in _WORKLOADS:
        _WORKLOADS.move_to_end(key)
        return _WORKLOADS[key]
    wl = read_workload_bytes(context["workloads"][key], context["workload_sources"][key])
    WORKLOAD_LOADS[key] += 1
    _WORKLOADS[key] = wl
    while len(_WORKLOADS) > _WORKLOADS_MAX:
        _WORKLOADS.popitem(last=False)
    return wl


def _where(exc: BaseException) -> str:
    """``file.py:LINE in function`` of the innermost frame that raised ``exc``."""
    import os
    import traceback

    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return ""
    f = frames[-1]
    parts = f.filename.replace(os.sep, "/").split("/")
    short = "/".join(parts[parts.index("cimsim"):]) if "cimsim" in parts else parts[-1]
    return f" (at {short}:{f.lineno} in {f.name})"


def overflow_origin(exc: BaseException, task: Task, context: dict) -> str:
    """Of an :class:`~cimsim.errors.OverflowInputError`: what gave its field (the ``--param``
    swept, else the config file) and which config ran which workload, as ``cimsim run`` and
    ``compare`` say it; "" for any other error."""
    from ..config.origin import origin
    from ..errors import OverflowInputError

    if not isinstance(exc, OverflowInputError):
        return ""
    field = exc.field or ""
    swept = any(field == k or field.startswith(k + ".") for k in task.overrides)  # "at K=V" says it
    source = context.get("config_sources", {}).get(task.config_key) or task.config_file
    where = "" if swept else origin(source, {})
    return f"{where}{task.architecture} running {task.workload}: "


def error_text(exc: BaseException, overrides: dict, prefix: str = "") -> str:
    """One line for a failed point: the swept values it had, then what went wrong.

    A :class:`~cimsim.errors.CimsimError` already names its file and field; any
    other exception is a fault inside cimsim, so its type and the place that
    raised it are kept for the bug report.
    """
    from ..errors import CimsimError

    msg = prefix + (" ".join(str(exc).split()) or type(exc).__name__)
    if not isinstance(exc, CimsimError):
        msg = f"internal error {type(exc).__name__}: {msg}{_where(exc)}"
    if overrides:
        msg = f"at {point_text(overrides)}: {msg}"
    return msg


def point_text(overrides: dict) -> str:
    """``cim.adc.bits=7, memory.dram.bandwidth=25.6 GB/s``: a point's swept values as said."""
    return ", ".join(f"{path}={_shown(value)}" for path, value in overrides.items())


def _shown(value) -> str:
    """A swept value as the CLI prints numbers, as the error's own text does: a quantity
    written for the config in full (``1e+18 B``, ``25600000000.0 B/s``: exact; the row's column
    keeps it) with its SI prefix instead (``1 EB``, ``25.6 GB/s``, 4 digits)."""
    import re

    from ..units import si

    m = re.fullmatch(r"([-+]?[0-9.]+(?:[eE][-+]?[0-9]+)?) (\S+)", value) if isinstance(value, str) else None
    return si(float(m.group(1)), m.group(2)) if m else str(value)


def _row(task: Task, error: str | None = None) -> dict:
    """A row's identity and swept values (its results are added to it)."""
    return {
        POINT_ID: task.point_id,
        SAMPLE: task.sample,
        CONFIG_FILE: task.config_file,
        WORKLOAD_FILE: task.workload_file,
        **task.params,
        "workload": task.workload,
        "architecture": task.architecture,
        "engine": task.engine,
        ERROR: error,
    }


def died_row(task: Task, how: str) -> dict:
    """The error row of a point whose worker process died running it alone (``how``: the
    signal or exit status, e.g. ``SIGKILL``), made by the main process: there is no worker row."""
    from ..errors import CimsimError

    what = f"the worker process died ({how}) running this point" if how else \
        "the worker process died running this point"
    return _row(task, error_text(CimsimError(
        f"{what}, each of the {DIED_ALONE} times it ran alone (out of memory, or a crash in "
        "native code); "
        "--retry-errors runs it again"), task.overrides))


#: how many times a point kills its worker while running alone before it becomes an error row
#: (:func:`died_row`, :mod:`cimsim.sweep.drive`): once could be a worker killed from outside
DIED_ALONE = 2


def run_task(task: Task, context: dict) -> dict:
    """Simulate one point; never raises for a bad point (the row carries the error)."""
    from ..config import apply_overrides, architecture_from_dict
    from ..hw.totals import with_override_notes
    from ..pipeline import simulate_quietly  # the row keeps the physical notes and flag
    from .load import at_load

    row = _row(task)
    try:
        source = context["config_sources"][task.config_key]
        data = apply_overrides(context["configs"][task.config_key], task.overrides, source=source)
        arch = with_override_notes(architecture_from_dict(data, source=source),
                                   lambda: _base(task.config_key, context, source), task.overrides)
        acc = context.get("accuracy", {}).get(task.workload_key)
        if acc is not None:
            from ..accuracy.cache import WARNED, warned

            warned(context.get(WARNED, ()))
        wl = _workload(task.workload_key, context) if acc is None else _accuracy_workload(arch, acc)
        record = at_load(simulate_quietly(  # at the sweep's period and deadline, if stated
            arch, wl, engine=task.engine, keep_ops=False, costs=cost_cache()
        ), context.get("load")).record()
        if acc is not None:
            record.update(_accuracy(arch, acc))
    except Exception as exc:  # noqa: BLE001 - a failing point is a result, not a crash
        row[ERROR] = error_text(exc, task.overrides, overflow_origin(exc, task, context))
        return row
    row.update(record)
    return row


# Evaluation models of this worker process, loaded from the cache once, with their fp32 outputs;
# and the accuracy per (model, arithmetic): points that differ only in costs share it.
_TARGETS: dict = {}
_ACCURACY: "OrderedDict[tuple, dict]" = OrderedDict()
_ACCURACY_MAX = 256


def _accuracy(arch, spec: tuple) -> dict:
    """``--accuracy``: the point's accuracy columns (:func:`cimsim.accuracy.target.accuracy_record`),
    on one torch thread (a sweep's workers already fill the cores)."""
    from ..accuracy.target import accuracy_record, arithmetic_key

    key = (spec, arithmetic_key(arch))
    if key in _ACCURACY:
        return dict(_ACCURACY[key])
    hit = _target(spec)
    rec = _ACCURACY[key] = accuracy_record(arch, *hit)
    while len(_ACCURACY) > _ACCURACY_MAX:
        _ACCURACY.popitem(last=False)
    return dict(rec)


def _target(spec: tuple):
    """The evaluation model ``spec`` with its fp32 outputs and whether a second fp32 pass repeats
    them (:func:`cimsim.accuracy.sampling.fp32_repeatable`), loaded once per worker process."""
    from ..accuracy.sampling import fp32_repeatable
    from ..accuracy.target import load_target, reference_outputs
    import torch

    torch.set_num_threads(1)
    hit = _TARGETS.get(spec)
    if hit is None:
        target = load_target(*spec)   # trained and cached by the main process before the sweep
        ref = reference_outputs(target)
        hit = _TARGETS[spec] = (target, ref, fp32_repeatable(reference_outputs(target), ref))
    return hit


def _accuracy_workload(arch, spec: tuple):
    """``--accuracy``: the evaluation model traced with its data statistics at the point's CIM
    precision (:func:`cimsim.accuracy.target.traced`; the main process traced those of
    the base configs, a point that sweeps a CIM's bits traces its own once, into the cache)."""
    from ..accuracy.target import stats_bits, traced

    bits = stats_bits(arch)
    key = f"accuracy:{spec}:{bits}"
    if key in _WORKLOADS:
        _WORKLOADS.move_to_end(key)
        return _WORKLOADS[key]
    wl = _WORKLOADS[key] = traced(_target(spec)[0], bits).workload
    WORKLOAD_LOADS[key] += 1
    while len(_WORKLOADS) > _WORKLOADS_MAX:
        _WORKLOADS.popitem(last=False)
    return wl


def run_chunk(tasks: list[Task], context: dict | None = None) -> list[dict]:
    ctx = context if context is not None else _CONTEXT
    if ctx is None:  # pragma: no cover - a pool always installs it
        raise RuntimeError("sweep worker has no context (init_worker was not called)")
    guard(ctx.get(LIFELINE))  # Dask local:N workers: armed by their first chunk
    install_parts(ctx.get(PARTS))  # (a Dask worker's first chunk; then a no-op)
    return [run_task(t, ctx) for t in tasks]
