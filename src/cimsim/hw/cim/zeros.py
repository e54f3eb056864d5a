"""The arrays of a CIM that hold only zero weights, from a traced model's measured sparsity
(``cimsim trace --stats``: where each weight's all-zero rows and columns are, the tags
``weight_zero_rows_at`` / ``weight_zero_cols_at`` of :mod:`cimsim.workload.activity`).

A weight matrix's tiles (:mod:`.tiling`): row tile ``t`` holds its rows ``t rows .. (t + 1) rows
- 1`` and column tile ``u`` its physical columns ``u cols .. (u + 1) cols - 1``, weight column
``j`` on columns ``j cpw .. (j + 1) cpw - 1`` (``cpw`` the columns per weight). A tile holds
only zeros when every row it holds is an all-zero row, or every weight column it holds (in
part or whole) is an all-zero column. Counted once per matrix (weight and orientation:
:func:`.tiling.matrix_keys`), one copy each, on the matrices whose sparsity was measured.

Zeros scattered otherwise (a tile all zero, though none of its rows or columns is) are not
counted, so the figure is a lower bound of what zero-skipping could leave out. No cost changes:
zero-skipping (not programming, not reading such arrays) is not modelled (README 'Not
modelled'); the note states the count so that a user can bound it by hand.
"""

from __future__ import annotations

import numpy as np

from .tiling import columns_per_weight, matrix_keys, tiles


def _zero_tiles(mask, size: int, n_tiles: int) -> int:
    """Tiles of ``size`` consecutive entries of ``mask`` (True: all zero), padded to ``n_tiles``,
    that are all True (the padding past the matrix holds nothing)."""
    pad = np.ones(n_tiles * size, dtype=bool)
    pad[:len(mask)] = mask
    return int(pad.reshape(n_tiles, size).all(axis=1).sum())


def zero_arrays(c, ops, idx) -> tuple[int, int, int]:
    """``(arrays holding only zeros, arrays, matrices)`` over the matrices of ``idx``'s matmuls
    whose weight's sparsity was measured (one copy of each matrix)."""
    act = ops.activity
    if act is None:
        return 0, 0, 0
    idx = np.asarray(idx)
    keys, _ = matrix_keys(ops, idx)
    cpw = columns_per_weight(c.weight_bits, c.bits_per_cell, c.differential)
    seen, zero, total = set(), 0, 0
    for j, i in enumerate(idx.tolist()):
        if keys[j] < 0 or keys[j] in seen or np.isnan(act.weight_zero_rows[i]):
            continue
        seen.add(int(keys[j]))
        k, n = int(ops.k[i]), int(ops.n[i])
        rt, ct, _ = (int(v) for v in tiles(k, n, c.rows, c.cols, c.weight_bits, c.bits_per_cell,
                                           c.differential))
        total += rt * ct
        rows_at, cols_at = (act.zero_at or {}).get(i, (None, None))
        zr = zc = 0
        if rows_at is not None and len(rows_at) and rows_at[-1] < k:
            mask = np.zeros(k, dtype=bool)
            mask[rows_at] = True
            zr = _zero_tiles(mask, c.rows, rt)
        if cols_at is not None and len(cols_at) and cols_at[-1] < n:
            mask = np.zeros(n, dtype=bool)
            mask[cols_at] = True
            zc = _zero_tiles(np.repeat(mask, cpw), c.cols, ct)
        zero += zr * ct + rt * zc - zr * zc
    return zero, total, len(seen)


def note(name: str, c, ops, idx) -> str:
    """One placement note: how many arrays hold only zero weights (empty when no matrix's sparsity
    was measured)."""
    zero, total, mats = zero_arrays(c, ops, idx)
    if not mats:
        return ""
    return (f"{name}: {zero:,} of {total:,} arrays (one copy of each of the {mats:,} weight "
            f"matrices measured by --stats) hold only zero weights (all-zero rows or columns): "
            "zero-skipping would neither program nor read them (not modelled: they cost as any "
            "array)")


__all__ = ["note", "zero_arrays"]
