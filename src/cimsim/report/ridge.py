"""The roofline's ridge point of a run on its busiest component's path to the backing store
(:data:`cimsim.report.columns.RIDGE_OPS_PER_BACKING_BYTE`)."""

from __future__ import annotations

import math

import numpy as np

from . import columns as C
from ..units import plain
from .format import si


def backing_path(comp, store: str) -> list[str]:
    """The resources on ``comp``'s path to the backing store ``store``: the store, then the link
    it reads through (a ``link`` attribute: a CIM's, a systolic array's, a separate PIM's) and
    the memory of its own its weights stream from (a ``weight_level`` attribute: a systolic
    array's ``weight_memory``), each named once; a processor's path is the store alone."""
    path = [store]
    for r in (getattr(comp, "link", None), getattr(comp, "weight_level", None)):
        if r and r not in path:
            path.append(r)
    return path


def backing_ridge(components, idx, ops, rates, store: str) -> float:
    """The run's ridge point on its busiest component's path to the backing store
    (columns.RIDGE_OPS_PER_BACKING_BYTE), op/B: 2 x the peak MAC/s of the component that ran
    the most MACs, at the dtype of most of its MACs, over the slowest effective B/s (``rates``,
    by resource name) of :func:`backing_path` (the backing store ``store``, the component's link
    and weight memory; a far tier's home: :func:`home_rates`). ``idx``: each component's op indices; ``ops``: the op columns
    (:class:`~cimsim.workload.oparrays.OpArrays`: ``macs``, ``dtype``). NaN when no component
    with a MAC peak ran MACs, or when the ridge passes a float (a bandwidth of 1e-296 B/s: no
    op reaches that peak, and JSON holds no Infinity)."""
    best = busiest(idx, ops)
    if best is None:
        return float("nan")
    bandwidth = min(float(rates.get(r, 0.0)) for r in backing_path(components[best], store))
    return _ridge(components[best].peak_macs_per_s(majority_dtype(ops, idx[best])), bandwidth)


def busiest(idx, ops) -> int | None:
    """The index of the component that ran the most MACs (``idx``: each one's op indices);
    None when none ran a MAC."""
    macs = np.asarray(ops.macs, dtype=float)
    ran = [float(macs[ids].sum()) for ids in idx]
    if not ran or max(ran) <= 0:
        return None
    return int(np.argmax(ran))


def _ridge(peak_macs_per_s, bandwidth: float) -> float:
    """2 x ``peak_macs_per_s`` / ``bandwidth`` B/s, op/B; NaN without a peak or a bandwidth, or
    past a float."""
    if not peak_macs_per_s or not bandwidth > 0:
        return float("nan")
    ridge = 2.0 * float(peak_macs_per_s) / bandwidth
    return ridge if math.isfinite(ridge) else float("nan")


def level_ridges(components, idx, ops, rates, levels, store=None) -> dict[str, float]:
    """The ridge point over each level the busiest component reads through, op/B
    (columns.RIDGE_OPS_PER_BYTE_BY_LEVEL, find-A 5): 2 x the peak MAC/s of the component that
    ran the most MACs (at the dtype of most of its MACs, as :func:`backing_ridge`) over that
    level's effective B/s (``rates``, by resource name: bandwidth x efficiency). A processor
    reads through every memory level ``levels`` (innermost first); a component behind a link (a
    CIM, a systolic array, a separate PIM) through its own buffer (``NAME.buffer``, its
    bandwidth), its weight memory, its link and the backing store ``store``
    (:func:`backing_path`), not the host's caches (review L45 3: the host's sram was listed and
    the unit's buffer was not). Each value NaN where the level has no rate, and every one
    where no component with a MAC peak ran MACs."""
    best = busiest(idx, ops)
    if best is None:
        return {lv: float("nan") for lv in levels}
    comp = components[best]
    peak = comp.peak_macs_per_s(majority_dtype(ops, idx[best]))
    if not getattr(comp, "link", None) or store is None:
        return {lv: _ridge(peak, float(rates.get(lv, 0.0))) for lv in levels}
    out = {}
    buffer = getattr(comp.config, "buffer", None)
    if buffer is not None and getattr(buffer, "bandwidth", None) is not None:
        out[f"{comp.name}.buffer"] = _ridge(peak, float(buffer.bandwidth))
    for r in reversed(backing_path(comp, store)):  # weight memory, link, then the store
        out[r] = _ridge(peak, float(rates.get(r, 0.0)))
    return out


def level_ridge_text(ridges: dict[str, float], unit: str) -> str:
    """The ``run`` summary's ``ridge by level`` line: each level's ridge (:func:`level_ridges`:
    the levels ``unit`` reads through) in op/B, and whose peak it is over (``unit``); empty where none is
    defined."""
    if not any(v > 0 for v in ridges.values()):
        return ""
    return (", ".join(f"{lv} {plain(v, 4)} op/B" if v > 0 else f"{lv} n/a (no rate)" for lv, v in ridges.items())
            + f" (2 x {unit}'s peak MAC/s / each level's effective bandwidth: an op with fewer "
              "op per byte moved at a level cannot reach the peak there; the levels it reads through)")


def majority_dtype(ops, ids) -> str | None:
    """The dtype of most of the MACs of ops ``ids`` (all ops where ``ids`` is None); None when
    they run no MAC."""
    macs = np.asarray(ops.macs, dtype=float)
    ids = np.arange(len(macs)) if ids is None else np.asarray(ids)
    ids = ids[macs[ids] > 0]
    if not len(ids):
        return None
    names, which = np.unique(ops.dtype[ids].astype(str), return_inverse=True)
    return str(names[int(np.argmax(np.bincount(which, weights=macs[ids])))])


def peak_facts(components, ops) -> dict[str, float]:
    """Each component's peak, op/s (columns.peak_column, find-K 3): 2 x its peak MAC/s at the
    dtype of most of the workload's MACs (a processor's rate depends on it; a CIM's or systolic
    array's is its own precision's), the number a datasheet's headline "TOPS" states; NaN for a
    component without a MAC rate (or a workload without MACs)."""
    dtype = majority_dtype(ops, None)
    out = {}
    for c in components:
        peak = c.peak_macs_per_s(dtype) if dtype is not None else None
        out[C.peak_column(c.name)] = 2.0 * float(peak) if peak else float("nan")
    return out


def dtype_rated(components) -> set[str]:
    """The components whose MAC rate depends on the dtype (a processor's
    ``macs_per_cycle_per_core``): a NaN peak of one is a dtype it lacks, not a unit without MACs."""
    return {c.name for c in components if getattr(c.config, "macs_per_cycle_per_core", None)}


def peak_text(facts: dict, names, devices: int = 1, rated=frozenset()) -> str:
    """The ``run`` summary's ``peak`` line: the peak (:func:`peak_facts`) of each of the
    components ``names`` that has one, in OPS (2 x MAC/s); one of ``rated``
    (:func:`dtype_rated`) with none at the workload's dtype is named with ``no MAC rate``
    rather than left out, and a run standing for ``devices`` > 1 (tensor or pipeline parallel)
    is marked as one device's (review 23 F 6)."""
    rates = {n: facts.get(C.peak_column(n), float("nan")) for n in names}
    if not any(v > 0 for v in rates.values()):
        return ""
    peaks = [f"{n} {si(v, 'OPS')}" if v > 0 else f"{n} no MAC rate at the workload's dtype"
             for n, v in rates.items() if v > 0 or n in rated]
    scope = f"one device's, of {devices}; " if devices > 1 else ""
    return ", ".join(peaks) + (f" ({scope}2 x MAC/s at the workload's dtype; a CIM or systolic array at "
                               "its own precision)")


def home_rates(rates: dict, tiers: tuple, traffic: dict) -> dict:
    """``rates`` with the backing store's (the last of ``tiers``) replaced, where a far tier is
    the home beside a near one (hierarchy rule 9: ``tiers`` near, far), by the home's rate over
    the run's bytes: their sum over the time each tier takes for its own share at its own rate
    (the near tier's rate when the far tier moves none, the far tier's when it moves all)."""
    if len(tiers) < 2:
        return rates
    moved = [float(traffic.get(t, 0.0)) for t in tiers]
    speed = [float(rates.get(t, 0.0)) for t in tiers]
    if not moved[1] > 0:
        rate = speed[0]
    elif all(s > 0 for s in speed):
        rate = sum(moved) / sum(b / s for b, s in zip(moved, speed) if b > 0)
    else:
        rate = 0.0
    return {**rates, tiers[-1]: rate}
