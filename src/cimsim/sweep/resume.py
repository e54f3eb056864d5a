"""What a resumed sweep keeps of the rows stored in its ``-o`` file (and its parts).

A stored row is reused when it is a point of this sweep (its point id is one of this sweep's)
computed by this cimsim (:func:`cimsim.model_revision`, recorded in each file's attrs). Every
other row is replaced, never lost: a point of another sweep (another config or workload file's
contents, other swept params or values) is left out of the rewritten file, and a point of this
sweep computed by another cimsim revision (or by one that recorded none) is computed again.
Both kinds are written to a sibling file ``OUT.replaced-<UTC time>.parquet`` when the sweep
finishes (with per-row ``cimsim_version`` / ``cimsim_revision`` columns: its rows may come from
several revisions), and one warning line each says how many, why (the config or workload whose contents
changed, from the SHA-256 in the attrs; the sampling method, seed, sample count, specs or
points file, from ``cimsim_sampling``; the engine, from the rows' ``engine``; the versions and
revisions), and where they went.
"""

from __future__ import annotations

import math
import time
import warnings
from pathlib import Path
from typing import Sequence

import pandas as pd

from ..errors import CimsimWarning
from ..revision import current, describe, model_revision
from ..units import si
from .columns import (ATTR_CONFIGS, ATTR_PARAMS, ATTR_REVISION, ATTR_SAMPLING, ATTR_VERSION,
                      ATTR_WORKLOADS, CIMSIM_REVISION, CIMSIM_VERSION, CONFIG_FILE, ENGINE, ERROR,
                      POINT_ID, WORKLOAD_FILE)
from .store import ROW_REVISION, ROW_SOURCE, ROW_VERSION, SweepStore, rows_to_frame

_HIDDEN = [ROW_VERSION, ROW_REVISION, ROW_SOURCE]


def reusable_rows(store: SweepStore, wanted: set[str], context: dict, specs: Sequence,
                  retry_errors: bool) -> list[dict]:
    """The stored rows this sweep keeps (one per point id); the others are set on
    ``store.replaced`` (with ``store.replaced_path``) for :meth:`SweepStore.finish`, and said."""
    prior = store.load_stored()
    if not len(prior):
        return []
    this_revision = (prior[ROW_REVISION] == model_revision()).to_numpy(bool)
    ours = prior[POINT_ID].isin(wanted).to_numpy(bool)
    other_sweep, stale = prior[~ours], prior[ours & ~this_revision]
    keep = prior[ours & this_revision].drop(columns=_HIDDEN)
    if retry_errors and ERROR in keep.columns:
        keep = keep[~keep[ERROR].map(lambda e: isinstance(e, str))]
    # an interrupted run of this revision may have recomputed some stale points already
    redone = stale[POINT_ID].isin(keep[POINT_ID]).to_numpy(bool)
    if len(other_sweep) or len(stale):
        store.replaced_path = _replaced_path(store.output)
        store.replaced = _as_table(pd.concat([other_sweep, stale]), store.sources)
        moved = (f"to be moved to {store.output.stem}.replaced-<UTC time>{store.output.suffix} by the "
                 "run" if store.dry_run else f"moved to {store.replaced_path} when this sweep finishes")
        if len(other_sweep):
            warnings.warn(
                f"{store.shown}: {len(other_sweep):,} of its {len(prior):,} stored rows are points of "
                f"another sweep ({_causes(other_sweep, store.sources, context, specs)}); they are "
                f"{moved}, and the file is rewritten without them", CimsimWarning, stacklevel=3)
        if len(stale):
            warnings.warn(
                f"{store.shown}: {len(stale):,} of its {len(prior):,} stored rows were computed by "
                f"{_who(stale)}, not by this {current()}: {_fate(int((~redone).sum()), int(redone.sum()))} "
                f"(the old rows are {moved})", CimsimWarning, stacklevel=3)
    return keep.to_dict("records")


def _fate(again: int, done: int) -> str:
    """What becomes of the stale rows' points: ``again`` computed by this sweep, ``done``
    computed by this cimsim before (a run of this revision that was interrupted)."""
    if not done:
        return "their points are computed again"
    said = f"{done:,} of their points were already computed again by this cimsim"
    return said if not again else f"{again:,} of their points are computed again, {said}"


def _who(rows: pd.DataFrame) -> str:
    """The cimsim versions and revisions that computed ``rows``, each once."""
    seen: list[str] = []
    for ver, rev in zip(rows[ROW_VERSION], rows[ROW_REVISION]):
        d = describe(ver if isinstance(ver, str) else None, rev if isinstance(rev, str) else None)
        if d not in seen:
            seen.append(d)
    return " and ".join(seen)


def _causes(rows: pd.DataFrame, sources: list[dict], context: dict, specs: Sequence) -> str:
    """Why ``rows`` are not points of this sweep, as far as their files' attrs tell: a config or
    workload named alike whose contents changed (its SHA-256), one not in this sweep, other swept
    params, another cimsim revision."""
    reasons: list[str] = []
    now_params = [p.path for p in specs]
    for i in dict.fromkeys(rows[ROW_SOURCE]):
        attrs = sources[int(i)]
        mine = rows[rows[ROW_SOURCE] == i]
        for kind, attr, column, key in (("config", ATTR_CONFIGS, CONFIG_FILE, "config_files"),
                                        ("workload", ATTR_WORKLOADS, WORKLOAD_FILE, "workload_files")):
            then, now = attrs.get(attr) or {}, context.get(key) or {}
            named = set(mine[column].dropna()) if column in mine.columns else set(then)
            for name in sorted(named & set(then)):
                old, new = then[name] or {}, now.get(name)
                if new is None:
                    reasons.append(f"{kind} {name} is not in this sweep")
                elif old.get("sha256") != new["sha256"]:
                    reasons.append(
                        f"{kind} {name} ({new['path']}) has other contents than when they were computed "
                        f"(sha256 {str(old.get('sha256'))[:12]} then, {new['sha256'][:12]} now)")
        params = attrs.get(ATTR_PARAMS)
        if params is not None and list(params) != now_params:
            reasons.append(f"swept params then {', '.join(params) or 'none'}, now "
                           f"{', '.join(now_params) or 'none'}")
        else:  # the same params: how their points were chosen (a file without the record: unknown)
            reasons += _sampling_changes(attrs.get(ATTR_SAMPLING), context.get("sampling"))
        engines = sorted(set(mine[ENGINE].dropna()) - {context.get("engine")}) if ENGINE in mine.columns else []
        if engines and context.get("engine"):
            reasons.append(f"engine then {', '.join(engines)}, now {context['engine']}")
    if not reasons:
        reasons.append("other values of the swept params, or other configs or workloads")
    if (rows[ROW_REVISION] != model_revision()).any():
        reasons.append(f"computed by {_who(rows[rows[ROW_REVISION] != model_revision()])}")
    return "; ".join(dict.fromkeys(reasons))


def _sampling_changes(then: dict | None, now: dict | None) -> list[str]:
    """What changed in how the points were chosen (``cimsim_sampling``), one reason per key that
    differs: ``seed then 5, now 6``; none when either record is missing."""
    if not isinstance(then, dict) or not isinstance(now, dict):
        return []
    out = []
    for key, what in (("method", "sampling"), ("seed", "seed"), ("samples", "samples"),
                      ("params", "--param specs"), ("points", "--points file"),
                      ("period_s", "--period"), ("deadline_s", "--deadline"),
                      ("idle", "--idle"), ("harvest_w", "--harvest"), ("storage_j", "--storage")):
        old, new = then.get(key), now.get(key)
        if key == "points":  # the same path with other contents changes the points too
            old, new = (None if x is None else f"{x.get('path')} (sha256 {str(x.get('sha256'))[:12]})"
                        for x in (old, new))
        elif key == "params":
            old, new = (" ".join(x) if x else "none" for x in (old, new))
        elif key in _LOAD_UNITS:  # the load (sweep.load), alike to 12 digits (review 22 B 2)
            old, new = _load_texts(old, new, _LOAD_UNITS[key])
        elif key == "idle":  # not stated: on (review 22 B 3); said only where a load still is
            old, new = old or "on", new or "on"
            if not any(now.get(k) is not None for k in _LOAD_UNITS):
                continue
        if old != new:
            out.append(f"{what} then {old}, now {new}")
    return out


#: the stated load's keys in ``cimsim_sampling`` and their units (:mod:`cimsim.sweep.load`)
_LOAD_UNITS = {"period_s": "s", "deadline_s": "s", "harvest_w": "W", "storage_j": "J"}


def _load_texts(old, new, unit: str) -> tuple[str, str]:
    """Two values of a stated load as the resume warning prints them, with the unit, at the
    fewest digits that tell them apart (``none`` for not stated); the same text where they agree
    to 12 significant digits (a file from before :func:`cimsim.sweep.load.canonical`)."""
    if None not in (old, new) and math.isclose(old, new, rel_tol=1e-12):
        return "same", "same"
    d = next((d for d in range(4, 17) if None in (old, new) or si(old, unit, d) != si(new, unit, d)), 17)
    old_text, new_text = ("none" if x is None else si(x, unit, d) for x in (old, new))
    return old_text, new_text


def _as_table(rows: pd.DataFrame, sources: list[dict]) -> pd.DataFrame:
    """The replaced rows as a table: their columns (those any of them has), then the columns
    ``cimsim_version`` and ``cimsim_revision`` saying which cimsim computed each row (the rows
    come from files of several revisions, and a point may be there once per revision), and the
    attrs of the file most of them came from (its params, configs, workloads), without a
    file-level version and revision."""
    cols = [c for c in rows.columns if c not in _HIDDEN and (c == POINT_ID or rows[c].notna().any())]
    rows = rows.reset_index(drop=True)
    table = rows_to_frame(rows[cols], cols)
    for col, hidden in ((CIMSIM_VERSION, ROW_VERSION), (CIMSIM_REVISION, ROW_REVISION)):
        table[col] = pd.Series([v if isinstance(v, str) else None for v in rows[hidden]], dtype=object)
    attrs = dict(sources[int(rows[ROW_SOURCE].mode().iloc[0])])
    attrs.pop(ATTR_VERSION, None)
    attrs.pop(ATTR_REVISION, None)
    table.attrs.update(attrs)
    return table


def _replaced_path(output: Path) -> Path:
    """``OUT.replaced-20250102T030405Z.parquet`` beside ``OUT.parquet`` (a free name)."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    path = output.with_name(f"{output.stem}.replaced-{stamp}{output.suffix}")
    n = 1
    while path.exists():
        n += 1
        path = output.with_name(f"{output.stem}.replaced-{stamp}-{n}{output.suffix}")
    return path
