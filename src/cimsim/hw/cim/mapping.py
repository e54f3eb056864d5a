"""Mapping layers onto a CIM chip: weight duplication per layer and the floorplan it implies.

A *layer* is one stationary weight matrix (every op that reads it); it needs ``a = row tiles x
column tiles`` arrays (:mod:`.tiling`) per copy.

Duplication (``chip.duplication``), rules in order:

1. A layer named in ``chip.layers`` gets exactly that many copies.
2. ``none``: every other layer gets one copy.
3. ``balance``: the layer pipeline's stage of layer ``g`` takes ``T_g / d_g`` (``T_g``: its
   activation rows x the time of one matrix-vector product, ``d_g`` its copies; a copy runs a
   share of the rows). The policy finds the smallest stage time ``T`` for which ``d_g =
   clip(ceil(T_g / T), 1, most rows of one op of g)`` copies of every layer fit the array
   budget (``cim.arrays``, allocations rounded up to ``chip.layer_unit``), by bisection (60
   halvings of the interval, relative error below 1e-15); the balanced stage time is then
   ``max_g T_g / d_g <= T``. NeuroSim's "speed-up" per layer is the same quantity, chosen by
   hand.
4. When one copy of every layer does not fit, nothing is duplicated (the arrays are then
   re-programmed, :mod:`.reprogram`).

Floorplan (component facts): ``arrays_used`` (arrays holding weights, copies included),
``arrays_allocated`` (rounded up to whole ``layer_unit`` units), ``<level>_used`` per level
(below ``layer_unit`` a layer never shares a unit with another: the sum over layers of
``ceil(arrays / unit arrays)``; at and above it units are filled in order:
``ceil(allocated / unit arrays)``), ``array_utilization`` (arrays used / arrays of the chip)
and ``cell_utilization`` (weight cells / cells of the arrays used).
"""

from __future__ import annotations

import numpy as np


def aligned(arrays, align: int):
    return np.ceil(np.asarray(arrays, dtype=np.float64) / align) * align


def duplication(policy: str, fixed: dict[int, int], need: np.ndarray, work_s: np.ndarray,
                max_copies: np.ndarray, budget: int, align: int = 1) -> np.ndarray:
    """Copies per layer (module rules). ``need``: arrays per copy; ``work_s``: ``T_g``;
    ``max_copies``: most useful copies; ``fixed``: layer index -> copies."""
    d = np.ones(len(need))
    for g, c in fixed.items():
        d[g] = c
    if policy == "none" or aligned(need * d, align).sum() > budget:
        return d.astype(np.int64)
    free = np.ones(len(need), dtype=bool)
    free[list(fixed)] = False
    if not free.any():
        return d.astype(np.int64)
    work = np.where(work_s > 0, work_s, 0.0)
    cap = np.maximum(1.0, max_copies)

    def copies(t):
        out = d.copy()
        out[free] = np.clip(np.ceil(work[free] / t), 1.0, cap[free])
        return out

    def fits(t):
        return aligned(need * copies(t), align).sum() <= budget

    hi = float(work[free].max())
    if hi <= 0:
        return d.astype(np.int64)
    lo = float((work[free] / cap[free]).max())
    if fits(lo):
        return copies(lo).astype(np.int64)
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if fits(mid):
            hi = mid
        else:
            lo = mid
    return copies(hi).astype(np.int64)


def floorplan(chip, need: np.ndarray, copies: np.ndarray, weight_cells: float, rows: int,
              cols: int) -> dict[str, float]:
    """The floorplan facts of module docstring (``need`` and ``copies`` per layer)."""
    used = need * copies
    align = chip.align_arrays
    alloc = aligned(used, align)
    names = [lv.name for lv in chip.levels]
    li = names.index(chip.layer_unit) if chip.layer_unit is not None else -1
    out: dict[str, float] = {"arrays_used": int(used.sum()), "arrays_allocated": int(alloc.sum())}
    for j, (name, a) in enumerate(zip(names, chip.unit_arrays)):
        n = np.ceil(used / a).sum() if j < li else np.ceil(alloc.sum() / a)
        out[f"{name}_used"] = int(n)
    out["array_utilization"] = float(used.sum() / chip.arrays)
    out["cell_utilization"] = float(weight_cells / (used.sum() * rows * cols)) if used.sum() else 0.0
    return out


def fact_names(chip) -> tuple[str, ...]:
    return ("arrays_used", "arrays_allocated", *(f"{lv.name}_used" for lv in chip.levels),
            "array_utilization", "cell_utilization")
