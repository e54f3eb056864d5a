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

**All-zero rows, interleaved.** A masked convolution's zero taps (PixelCNN / Minnen's 5 x 5
'A' mask: 13 of 25 taps, a checkerboard context's 13) are whole K rows of its im2col weight
matrix, the same for every output column, but interleaved with the live ones in the
(c, kh, kw) row order, so no tile is all zero. The note counts those rows and the arrays the
live rows alone would take (``ceil((K - zero rows) / rows)`` row tiles a column tile), and
``cim.drop_zero_rows: true`` maps so (:func:`live_rows`): a mapper drops such rows statically,
no runtime skipping. Only rows measured exactly zero at trace time (``cimsim trace --stats``,
the parameter's values) are dropped, and only on the matmuls of a stationary weight the CIM
runs: their K becomes the live rows, so arrays, row reads, ADC conversions, programming and
energy are of those; ``macs`` still counts the model's dense MACs (so MAC/J is effective), the
note says how many ran on the arrays; the input the host sends is not narrowed (the im2col
matrix still crosses whole).
"""

from __future__ import annotations

import numpy as np

from ...units import si
from .tiling import columns_per_weight, matrix_keys, tiles


def _zero_tiles(mask, size: int, n_tiles: int) -> int:
    """Tiles of ``size`` consecutive entries of ``mask`` (True: all zero), padded to ``n_tiles``,
    that are all True (the padding past the matrix holds nothing)."""
    pad = np.ones(n_tiles * size, dtype=bool)
    pad[:len(mask)] = mask
    return int(pad.reshape(n_tiles, size).all(axis=1).sum())


def _zero_rows(ops, i: int, k: int):
    """The all-zero rows (indices) measured of matmul ``i`` whose K is ``k``, or None."""
    act = ops.activity
    rows_at = (act.zero_at or {}).get(i, (None, None))[0] if act is not None else None
    return rows_at if rows_at is not None and len(rows_at) and rows_at[-1] < k else None


def zero_arrays(c, ops, idx) -> tuple[int, int, int, int, int, int]:
    """``(arrays holding only zeros, arrays, matrices, all-zero rows, rows, arrays of the live
    rows alone)`` over the matrices of ``idx``'s matmuls whose weight's sparsity was measured
    (one copy of each matrix; counted on the whole K where ``cim.drop_zero_rows`` narrowed it)."""
    act = ops.activity
    if act is None:
        return 0, 0, 0, 0, 0, 0
    idx = np.asarray(idx)
    keys, _ = matrix_keys(ops, idx)
    cpw = columns_per_weight(c.weight_bits, c.bits_per_cell, c.differential)
    seen, zero, total, rows0, rows, live = set(), 0, 0, 0, 0, 0
    drop = getattr(c, "drop_zero_rows", False)
    for j, i in enumerate(idx.tolist()):
        if keys[j] < 0 or keys[j] in seen or np.isnan(act.weight_zero_rows[i]):
            continue
        seen.add(int(keys[j]))
        k, n = int(ops.k[i]), int(ops.n[i])
        if drop and (at := (act.zero_at or {}).get(i, (None, None))[0]) is not None and len(at):
            k += len(at)  # narrowed by live_rows: the whole K again
        rt, ct, _ = (int(v) for v in tiles(k, n, c.rows, c.cols, c.weight_bits, c.bits_per_cell,
                                           c.differential))
        total += rt * ct
        rows_at, cols_at = _zero_rows(ops, i, k), (act.zero_at or {}).get(i, (None, None))[1]
        zr = zc = 0
        nz = 0 if rows_at is None else len(rows_at)
        rows0, rows = rows0 + nz, rows + k
        live += int(tiles(k - nz, n, c.rows, c.cols, c.weight_bits, c.bits_per_cell,
                          c.differential)[0]) * ct if nz < k else 0
        if rows_at is not None:
            mask = np.zeros(k, dtype=bool)
            mask[rows_at] = True
            zr = _zero_tiles(mask, c.rows, rt)
        if cols_at is not None and len(cols_at) and cols_at[-1] < n:
            mask = np.zeros(n, dtype=bool)
            mask[cols_at] = True
            zc = _zero_tiles(np.repeat(mask, cpw), c.cols, ct)
        zero += zr * ct + rt * zc - zr * zc
    return zero, total, len(seen), rows0, rows, live


def note(name: str, c, ops, idx) -> str:
    """One placement note: how many arrays hold only zero weights, and how many K rows are all
    zero with the arrays the live rows alone take (empty when no matrix's sparsity was
    measured)."""
    zero, total, mats, rows0, rows, live = zero_arrays(c, ops, idx)
    if not mats:
        return ""
    out = (f"{name}: {zero:,} of {total:,} arrays (one copy of each of the {mats:,} weight "
           f"matrices measured by --stats) hold only zero weights (all-zero rows or columns): "
           "zero-skipping would neither program nor read them (not modelled: they cost as any "
           "array)")
    if rows0:
        share = f"{rows0:,} of their {rows:,} rows (K) are all zero ({100 * rows0 / rows:.1f} %, " \
                "e.g. a masked conv's zero taps, interleaved with live rows)"
        out += (f"; {share}: {name}.drop_zero_rows maps only the live rows, {live:,} arrays instead "
                f"of {total:,}, with their row reads and ADC conversions" if getattr(c, "drop_zero_rows", False)
                else f"; {share}: the live rows alone would take {live:,} arrays "
                f"({name}.drop_zero_rows: true maps them so)")
    return out


def live_rows(ops, mine: np.ndarray) -> tuple[object, int, float, float]:
    """``(ops, matmuls, MACs run, dense MACs)``: ``ops`` with each matmul of ``mine`` (bool per
    op) that has a stationary weight and measured all-zero rows mapped on its live rows alone
    (its ``k`` less those rows: arrays, row reads, ADC conversions, energy follow); ``macs``
    unchanged (the model's dense MACs). ``ops`` itself, 0, 0, 0 where none has any."""
    from dataclasses import replace

    k, n, ran, dense = ops.k.copy(), 0, 0.0, 0.0
    for i in np.flatnonzero(mine & (ops.stationary >= 0)).tolist():
        rows_at = _zero_rows(ops, i, int(ops.k[i]))
        if rows_at is None or len(rows_at) >= ops.k[i]:
            continue
        k[i] -= len(rows_at)
        n, dense = n + 1, dense + float(ops.macs[i])
        ran += float(ops.macs[i]) * k[i] / ops.k[i]
    return (replace(ops, k=k) if n else ops), n, ran, dense


def drop_zero_rows(comp, ops, mine: np.ndarray) -> tuple[object, list[str]]:
    """``(ops, notes)``: with ``comp``'s ``drop_zero_rows: true``, the matmuls of ``mine`` (bool
    per op: the ops ``comp`` runs) mapped on their live rows (:func:`live_rows`), and a note:
    how many matmuls and MACs, or that none had measured zero rows; ``(ops, [])`` without it."""
    if not getattr(comp.config, "drop_zero_rows", False):
        return ops, []
    ops, n, ran, dense = live_rows(ops, mine)
    return ops, [
        f"{comp.name}.drop_zero_rows: {n:,} matmul(s) mapped on their live rows only: "
        f"{si(ran, 'MAC')} of their {si(dense, 'MAC')} run on the arrays (the rest multiply "
        "all-zero rows; macs still counts the dense model's)" if n else
        f"{comp.name}.drop_zero_rows: no matmul it runs has all-zero weight rows measured "
        "(they are measured at trace time: cimsim trace --stats), so nothing is dropped"]


__all__ = ["drop_zero_rows", "live_rows", "note", "zero_arrays"]
