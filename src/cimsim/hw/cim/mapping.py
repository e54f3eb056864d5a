"""Mapping layers onto a CIM chip: weight duplication per layer and the floorplan it implies.

A *layer* is one stationary weight matrix (every op that reads it); it needs ``a = row tiles x
column tiles`` arrays (:mod:`.tiling`) per copy.

Duplication (``chip.duplication``), rules in order:

1. A layer named in ``chip.layers`` gets exactly that many copies.
2. ``none``: every other layer gets one copy.
3. ``balance``: layer ``g``'s stage with ``d`` copies, ``S_g(d)``, is the time of its ops
   with their rows shared by ``d`` copies and their transfers spread over the copies' units
   (:mod:`.onchip` costs it exactly, hops and the single top-level unit included; the
   periphery's time is left out). Copy counts tried: every count up to 64, then 48 geometric
   steps up to the layer's most activation rows (more copies than rows never help); ``S_g``
   is taken as its best over at most ``d`` copies. The policy picks the smallest stage time
   ``T`` among the ``S_g(d)`` for which every free layer's smallest ``d`` with ``S_g(d) <= T``
   fits the array budget (``cim.arrays``, allocations rounded up to ``chip.layer_unit``,
   fixed layers included), by binary search; each layer then gets that ``d``. NeuroSim's
   speed-up degree is the same quantity, one number for every layer, chosen by hand.
4. When one copy of every layer does not fit, nothing is duplicated (the arrays are then
   re-programmed, :mod:`.reprogram`).

Floorplan (component facts): ``arrays_used`` (arrays holding weights, copies included),
``arrays_allocated`` (rounded up to whole ``layer_unit`` units), ``<level>_used`` per level
(below ``layer_unit`` a layer never shares a unit with another: the sum over layers of
``ceil(arrays / unit arrays)``; at and above it units are filled in order:
``ceil(allocated / unit arrays)``; when whole ``layer_unit`` units for one copy of every
layer exceed ``cim.arrays`` but the arrays themselves fit, the layers pack densely instead and
every level is filled in order, as without ``layer_unit``), ``array_utilization`` (arrays used / arrays of the chip)
and ``cell_utilization`` (weight cells / cells of the arrays used).
"""

from __future__ import annotations

import numpy as np


def aligned(arrays, align: int):
    return np.ceil(np.asarray(arrays, dtype=np.float64) / align) * align


def copy_grid(most: float) -> np.ndarray:
    """Copy counts the balance policy tries: every count up to 64, then 48 geometric steps up
    to ``most`` (rounded)."""
    most = max(1, int(most))
    grid = np.arange(1, min(most, 64) + 1, dtype=np.float64)
    if most > 64:
        grid = np.unique(np.concatenate([grid, np.round(np.geomspace(64, most, 48))]))
    return grid


def duplication(policy: str, fixed: dict[int, int], need: np.ndarray, work_s: np.ndarray,
                max_copies: np.ndarray, budget: int, align: int = 1, stage=None) -> np.ndarray:
    """Copies per layer (module rules). ``need``: arrays per copy; ``work_s``: ``T_g``;
    ``max_copies``: most useful copies; ``fixed``: layer index -> copies. ``stage(grid)``, when
    given, returns each layer's stage time (layers x grid) with each count of copies of
    ``grid``; without it a layer's stage is ``T_g / copies``."""
    d = np.ones(len(need))
    for g, c in fixed.items():
        d[g] = c
    if policy == "none" or aligned(need * d, align).sum() > budget:
        return d.astype(np.int64)
    free = np.ones(len(need), dtype=bool)
    free[list(fixed)] = False
    if not free.any():
        return d.astype(np.int64)
    cap = np.maximum(1.0, max_copies)
    grid = copy_grid(cap[free].max())
    if stage is None:
        times = np.where(work_s > 0, work_s, 0.0)[:, None] / np.minimum(grid[None, :], cap[:, None])
    else:
        times = np.asarray(stage(grid), dtype=np.float64)
    usable = grid[None, :] <= cap[:, None]
    times = np.where(usable, times, np.inf)
    best = np.minimum.accumulate(times, axis=1)  # at most d copies: more never hurt

    def copies(t):
        out = d.copy()
        ok = best[free] <= t
        j = np.where(ok.any(axis=1), ok.argmax(axis=1), usable[free].sum(axis=1) - 1)
        out[free] = grid[j]
        return out

    def fits(t):
        return aligned(need * copies(t), align).sum() <= budget

    floor = float(best[free].min(axis=1).max())  # no stage time below a layer's best is reached
    cand = np.unique(best[free][np.isfinite(best[free]) & (best[free] >= floor)])
    lo, hi = 0, len(cand) - 1  # the largest candidate (one copy each) fits: checked above
    while lo < hi:
        mid = (lo + hi) // 2
        if fits(cand[mid]):
            hi = mid
        else:
            lo = mid + 1
    return copies(cand[lo]).astype(np.int64)


def spend(need: np.ndarray, times: np.ndarray, grid: np.ndarray, start: np.ndarray,
          budget: int) -> np.ndarray:
    """Copies per matrix for the smallest *summed* time (a flat pool's matrices run one after
    another): from the counts ``grid[start]``, each step moves one matrix to the count of
    ``grid`` that cuts its time most per array added, while arrays are left of ``budget``
    (``need``: arrays per copy; ``times``: matrices x grid, inf where a count is not usable).
    A greedy, so near the optimum, and never above the summed time it starts from."""
    j = np.asarray(start, dtype=np.int64).copy()
    left = budget - float((need * grid[j]).sum())
    at = np.arange(len(need))
    while True:
        cost = need[:, None] * (grid[None, :] - grid[j][:, None])
        gain = times[at, j][:, None] - times
        ok = (cost > 0) & (cost <= left) & (gain > 0)
        if not ok.any():
            return j
        g, k = np.unravel_index(np.where(ok, gain / np.where(ok, cost, 1.0), -1.0).argmax(),
                                ok.shape)
        left -= float(cost[g, k])
        j[g] = k


def exact(need: np.ndarray, times: np.ndarray, grid: np.ndarray, budget: int,
          limit: float = 5e7) -> np.ndarray | None:
    """The grid indices of the copies per matrix with the smallest summed time within
    ``budget`` arrays (a multiple-choice knapsack by dynamic programming over the arrays), or
    None when it would take more than ``limit`` steps (matrices x grid x arrays) or nothing fits."""
    m, width = len(need), int(budget) + 1
    if m * len(grid) * width > limit:
        return None
    best = np.zeros(width)  # best[b]: the smallest summed time of the matrices so far in b arrays
    pick = np.zeros((m, width), dtype=np.int64)
    for g in range(m):
        new = np.full(width, np.inf)
        for k in np.flatnonzero(np.isfinite(times[g])).tolist():
            a = int(need[g] * grid[k])
            if a >= width:
                break
            cand = np.full(width, np.inf)
            cand[a:] = best[:width - a] + times[g, k]
            better = cand < new
            new[better], pick[g, better] = cand[better], k
        best = new
    if not np.isfinite(best[-1]):
        return None
    out, b = np.zeros(m, dtype=np.int64), width - 1
    for g in range(m - 1, -1, -1):
        out[g] = pick[g, b]
        b -= int(need[g] * grid[out[g]])
    return out


def floorplan(chip, need: np.ndarray, copies: np.ndarray, weight_cells: float, rows: int,
              cols: int, dense: bool = False) -> dict[str, float]:
    """The floorplan facts of module docstring (``need`` and ``copies`` per layer); ``dense``:
    the layers pack densely although ``chip.layer_unit`` is set (whole units did not fit)."""
    used = need * copies
    layer_unit = None if dense else chip.layer_unit
    alloc = aligned(used, 1 if dense else chip.align_arrays)
    names = list(chip.levels)
    li = names.index(layer_unit) if layer_unit is not None else -1
    out: dict[str, float] = {"arrays_used": int(used.sum()), "arrays_allocated": int(alloc.sum())}
    for j, (name, a) in enumerate(zip(names, chip.unit_arrays)):
        n = np.ceil(used / a).sum() if j < li else np.ceil(alloc.sum() / a)
        out[f"{name}_used"] = int(n)
    out["array_utilization"] = float(used.sum() / chip.arrays)
    out["cell_utilization"] = float(weight_cells / (used.sum() * rows * cols)) if used.sum() else 0.0
    return out


def fact_names(chip) -> tuple[str, ...]:
    return ("arrays_used", "arrays_allocated", *(f"{name}_used" for name in chip.levels),
            "array_utilization", "cell_utilization")
