"""The roofline's ridge point of a run on its busiest component's path to the backing store
(:data:`cimsim.report.columns.RIDGE_OPS_PER_BACKING_BYTE`)."""

from __future__ import annotations

import math

import numpy as np


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
    macs, dtypes = np.asarray(ops.macs, dtype=float), ops.dtype
    ran = [float(macs[ids].sum()) for ids in idx]
    if not ran or max(ran) <= 0:
        return float("nan")
    best = int(np.argmax(ran))
    bandwidth = min(float(rates.get(r, 0.0)) for r in backing_path(components[best], store))
    if not bandwidth > 0:
        return float("nan")
    ids = idx[best][macs[idx[best]] > 0]
    names, which = np.unique(dtypes[ids].astype(str), return_inverse=True)
    dtype = str(names[int(np.argmax(np.bincount(which, weights=macs[ids])))])
    peak = components[best].peak_macs_per_s(dtype)
    ridge = 2.0 * float(peak) / bandwidth if peak else float("nan")
    return ridge if math.isfinite(ridge) else float("nan")


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
