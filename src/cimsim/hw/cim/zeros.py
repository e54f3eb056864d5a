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
note says how many ran on the arrays. The narrowed ops keep their dense K in
:attr:`~cimsim.workload.oparrays.OpArrays.dense_k` (this module's counts are of the whole K). On
a chip block the levels inside the chip carry the live rows' share of a window's inputs (no
array needs the zero rows' inputs, :func:`cimsim.hw.im2col.input_bytes` with ``live``). Over the
link an im2col input crosses as the live rows' columns (the host's im2col copy is still costed
whole), a window's inputs (``input_reuse``) whole: each input feeds some live tap.
With ``cim.transposed_read`` a weight's other-orientation reads (a training step's
``dX = dY W^T``) read the held live rows only, so their N (the forward's K) narrows the same.

A matrix with no live row at all (a zero-initialised layer, ControlNet's zero convs) is kept
whole: its output would be its bias alone, an op cimsim does not make; the notes say so.
"""

from __future__ import annotations

import numpy as np

from ...units import si
from .tiling import columns_per_weight, matrix_keys, tiles
from .wbits import op_weight_bits


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


def zero_arrays(c, ops, idx) -> tuple[int, int, int, int, int, int, int]:
    """``(arrays holding only zeros, arrays, matrices, all-zero rows, rows, arrays with
    drop_zero_rows, matrices with no live row)`` over the matrices of ``idx``'s matmuls whose
    weight's sparsity was measured (one copy of each matrix; counted on the dense K,
    :attr:`~cimsim.workload.oparrays.OpArrays.dense_k`, where ``cim.drop_zero_rows`` narrowed
    it). A matrix with no live row is kept whole by drop_zero_rows (module docstring)."""
    act = ops.activity
    if act is None:
        return 0, 0, 0, 0, 0, 0, 0
    idx = np.asarray(idx)
    keys, _ = matrix_keys(ops, idx)
    wb = np.broadcast_to(op_weight_bits(c, ops, idx), idx.shape)  # per op (:mod:`.wbits`)
    seen, zero, total, rows0, rows, live, whole = set(), 0, 0, 0, 0, 0, 0
    dense_k = ops.k if ops.dense_k is None else ops.dense_k
    for j, i in enumerate(idx.tolist()):
        if keys[j] < 0 or keys[j] in seen or np.isnan(act.weight_zero_rows[i]):
            continue
        seen.add(int(keys[j]))
        k, n = int(dense_k[i]), int(ops.n[i])
        bits = int(wb[j])
        cpw = int(columns_per_weight(bits, c.bits_per_cell, c.differential))
        rt, ct, _ = (int(v) for v in tiles(k, n, c.rows, c.cols, bits, c.bits_per_cell,
                                           c.differential))
        total += rt * ct
        rows_at, cols_at = _zero_rows(ops, i, k), (act.zero_at or {}).get(i, (None, None))[1]
        zr = zc = 0
        nz = 0 if rows_at is None else len(rows_at)
        rows0, rows, whole = rows0 + nz, rows + k, whole + (nz >= k)
        live += int(tiles(k - nz, n, c.rows, c.cols, bits, c.bits_per_cell,
                          c.differential)[0]) * ct if nz < k else rt * ct
        if rows_at is not None:
            mask = np.zeros(k, dtype=bool)
            mask[rows_at] = True
            zr = _zero_tiles(mask, c.rows, rt)
        if cols_at is not None and len(cols_at) and cols_at[-1] < n:
            mask = np.zeros(n, dtype=bool)
            mask[cols_at] = True
            zc = _zero_tiles(np.repeat(mask, cpw), c.cols, ct)
        zero += zr * ct + rt * zc - zr * zc
    return zero, total, len(seen), rows0, rows, live, whole


def _whole(n: int) -> str:
    """What is said of ``n`` matrices (or matmuls) with no live row: kept whole, and why."""
    return (f"{n:,} with no live row at all (an all-zero weight: a zero-initialised layer, as "
            "ControlNet's zero convs) kept whole: its output is its bias alone, an op cimsim does "
            "not make; leave the layer out, or add its bias by hand, to save its arrays")


def note(name: str, c, ops, idx) -> str:
    """One placement note: how many arrays hold only zero weights, and how many K rows are all
    zero with the arrays the live rows alone take (empty when no matrix's sparsity was
    measured)."""
    zero, total, mats, rows0, rows, live, whole = zero_arrays(c, ops, idx)
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
        out += f" (of the matrices, {_whole(whole)})" if whole else ""
    return out


def live_rows(ops, mine: np.ndarray, transposed: bool = False) -> tuple[object, int, float, float, int]:
    """``(ops, matmuls, MACs run, dense MACs, matmuls kept whole)``: ``ops`` with each matmul of
    ``mine`` (bool per op) that has a stationary weight and measured all-zero rows mapped on its
    live rows alone (its ``k`` less those rows: arrays, row reads, ADC conversions, energy
    follow; its dense K in ``dense_k``); ``macs`` unchanged (the model's dense MACs). One whose
    rows are all zero is kept whole (counted last). With ``transposed`` (``cim.transposed_read``)
    the other-orientation reads of a narrowed weight (tag ``weight_transposed`` the other, N the
    forward's K) read the held live rows only: their ``n`` narrows the same. ``ops`` itself,
    0, 0, 0, whole where none is narrowed."""
    from dataclasses import replace

    k, n_out, count, ran, dense, whole = ops.k.copy(), ops.n.copy(), 0, 0.0, 0.0, 0
    on = np.flatnonzero(mine & (ops.stationary >= 0))
    tag = ops.weight_transposed if ops.weight_transposed is not None else np.full(len(ops.k), np.nan)
    held = {}  # weight -> (its narrowed read's orientation tag, dense K, zero rows)
    for i in on.tolist():
        rows_at = _zero_rows(ops, i, int(ops.k[i]))
        if rows_at is None:
            continue
        if len(rows_at) >= ops.k[i]:
            whole += 1
            continue
        k[i] -= len(rows_at)
        count, dense = count + 1, dense + float(ops.macs[i])
        ran += float(ops.macs[i]) * k[i] / ops.k[i]
        held.setdefault(int(ops.stationary[i]), (tag[i], int(ops.k[i]), len(rows_at)))
    for j in on.tolist() if transposed and held else ():
        t, kd, nz = held.get(int(ops.stationary[j]), (np.nan, 0, 0))
        if nz and k[j] == ops.k[j] and ops.n[j] == kd and not (tag[j] == t or np.isnan(tag[j])):
            n_out[j] -= nz  # dY W^T on the held live rows: their outputs only
            count, dense = count + 1, dense + float(ops.macs[j])
            ran += float(ops.macs[j]) * n_out[j] / ops.n[j]
    if not count:
        return ops, 0, 0.0, 0.0, whole
    return replace(ops, k=k, n=n_out, dense_k=ops.k if ops.dense_k is None else ops.dense_k), \
        count, ran, dense, whole


def drop_zero_rows(comp, ops, mine: np.ndarray) -> tuple[object, list[str]]:
    """``(ops, notes)``: with ``comp``'s ``drop_zero_rows: true``, the matmuls of ``mine`` (bool
    per op: the ops ``comp`` runs) mapped on their live rows (:func:`live_rows`), and a note:
    how many matmuls and MACs, or that none had measured zero rows; ``(ops, [])`` without it."""
    c = comp.config
    if not getattr(c, "drop_zero_rows", False):
        return ops, []
    ops, n, ran, dense, whole = live_rows(ops, mine, bool(getattr(c, "transposed_read", False)))
    kept = f"; of the matmuls, {_whole(whole)}" if whole else ""
    if n:
        return ops, [f"{comp.name}.drop_zero_rows: {n:,} matmul(s) mapped on their live rows only: "
                     f"{si(ran, 'MAC')} of their {si(dense, 'MAC')} run on the arrays (the rest "
                     f"multiply all-zero rows; macs still counts the dense model's){kept}"]
    if whole:
        return ops, [f"{comp.name}.drop_zero_rows: no matmul it runs has live rows to keep apart "
                     f"from all-zero ones{kept}"]
    return ops, [f"{comp.name}.drop_zero_rows: no matmul it runs has all-zero weight rows measured "
                 "(they are measured at trace time: cimsim trace --stats), so nothing is dropped"]


__all__ = ["drop_zero_rows", "live_rows", "note", "zero_arrays"]
