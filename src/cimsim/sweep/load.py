"""A sweep at a stated load: ``cimsim sweep --period T --deadline D`` and ``sweep(period_s=,
deadline_s=)``. Every row is its point's run at that load, as ``cimsim run --period`` gives it
(:meth:`cimsim.report.result.Result.at_load`): the ``period_*`` and ``deadline_*`` columns. A
point too slow for the period keeps its row, with NaN period columns and a note saying why
(its shortest period and highest rate), as ``compare`` does; a missed deadline is
``meets_deadline`` false. The load is part of each row's point id, so a resumed sweep never
mixes rows at another load (or at none) with this one's: those are replaced and said
(:mod:`cimsim.sweep.resume`, ``--period then 1 ms, now 10 ms``).
"""

from __future__ import annotations

from ..errors import CimsimError
from ..report import columns as C
from .params import under_cli

#: the keys of the load in a sweep's ``cimsim_sampling`` attr and in a point's identity
PERIOD, DEADLINE, IDLE, HARVEST, STORAGE = "period_s", "deadline_s", "idle", "harvest_w", "storage_j"


def canonical(x: float | None) -> float | None:
    """``x`` at 12 significant digits: the same load written two ways (``100us``, 9.999999999999999e-05
    s, and ``10kHz``, 1e-4 s) is one value in a point's id and the sweep's attrs (review 22 B 2)."""
    return None if x is None else float(f"{x:.12g}")


def stated(period_s, deadline_s, idle: str = "on", harvest_w=None, storage_j=None) -> dict:
    """The load ``{"period_s": s or None, "deadline_s": s or None, "harvest_w": W or None,
    "storage_j": J or None, "idle": None or "sleep" / "gate"}`` of ``sweep()``'s arguments
    (numbers, or text as the command line takes it: :func:`cimsim.report.load.stated_value`),
    each :func:`canonical`; ``idle`` "on", the default, is None: ids as before."""
    from ..report.load import stated_value

    if isinstance(deadline_s, str) and "=" in deadline_s:  # review 22 I 6: as run / compare say it
        raise CimsimError(f"{'--deadline' if under_cli() else 'deadline_s='} {deadline_s!r}: a deadline "
                          "per model (MODEL=TIME) goes with cimsim run of a merged workload; here give "
                          "one TIME for the run")
    load = {k: canonical(stated_value(v, k, f"--{k.rsplit('_', 1)[0]}" if under_cli() else None))
            for k, v in ((PERIOD, period_s), (DEADLINE, deadline_s), (HARVEST, harvest_w),
                         (STORAGE, storage_j))}
    if idle not in ("on", "sleep", "gate"):
        raise CimsimError(f"{'--idle ' if under_cli() else 'idle='}{idle!r}: allowed are on, sleep, gate")
    if idle != "on" and all(load[k] is None for k in (PERIOD, DEADLINE, HARVEST, STORAGE)):
        raise CimsimError(f"{'--idle ' if under_cli() else 'idle='}{idle}: says what the parts do "
                          "between runs: give a period (or a deadline, which then counts the wake-up)")
    return {**load, IDLE: None if idle == "on" else idle}


def given(load: dict | None) -> dict | None:
    """The stated parts of ``load`` (None when neither is): a point's identity holds them only
    then, so the ids of a sweep without a load are those of earlier cimsim versions."""
    out = {k: v for k, v in (load or {}).items() if v is not None}
    return out or None


def load_columns(load: dict | None) -> tuple[str, ...]:
    """The result columns the load adds to every row."""
    load = load or {}
    cols = tuple(c for key, group in zip((PERIOD, DEADLINE, HARVEST, STORAGE), C.STATED_LOAD_GROUPS)
                 if load.get(key) is not None for c in group)
    if cols and load.get(PERIOD) is None:  # the --idle it was taken under (review 22 F 5)
        cols += (C.PERIOD_IDLE, *((C.PERIOD_WAKE_S,) if load.get(IDLE) else ()))
    return cols


def at_load(result, load: dict | None):
    """``result`` at ``load`` (a worker's run; too slow for the period: NaN and a note)."""
    load = load or {}
    if all(load.get(k) is None for k in (PERIOD, DEADLINE, HARVEST, STORAGE)):
        return result
    return result.at_load(load.get(PERIOD), load.get(DEADLINE), strict=False, idle=load.get(IDLE) or "on",
                          harvest_w=load.get(HARVEST), storage_j=load.get(STORAGE))
