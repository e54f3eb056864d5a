"""How a k x n weight matrix tiles onto crossbar arrays.

A matrix needs ``row_tiles = ceil(k / rows)`` arrays down its input dimension
and ``col_tiles = ceil(phys_cols / cols)`` across, where
``phys_cols = n * ceil(weight_bits / bits_per_cell)`` bit-line columns hold
its n outputs (a weight on ``ceil(weight_bits / bits_per_cell)`` cells of its own: a cell never
holds bits of two weights, as the accuracy emulator stores them). With
``differential`` signed weights (``nonideal.encoding``: the magnitude on a positive or a
negative column) each output takes ``2 ceil((weight_bits - 1) / bits_per_cell)`` columns,
as the accuracy emulator stores them.

Rows read in groups (``rows_per_read`` = R < rows): :func:`read_groups` counts the groups of
each array tile from the rows that tile actually holds, ``ceil(k_t / R)``, as the accuracy
emulator converts them (a layer with fewer inputs than an array has rows is not charged for
the empty rows).
"""

from __future__ import annotations

import numpy as np


def columns_per_weight(weight_bits, bits_per_cell: int, differential: bool = False):
    """Physical columns one weight takes: ``ceil(weight_bits / bits_per_cell)`` cells, or twice
    its magnitude bits' cells when stored differentially (a cell never holds two weights' bits;
    a 1-bit weight's magnitude takes one cell). ``weight_bits`` an int (an int back) or a
    float64 array per op (:mod:`.wbits`: an array back)."""
    if np.ndim(weight_bits):
        w = np.asarray(weight_bits, dtype=np.float64)
        if differential:
            return 2 * np.ceil(np.maximum(w - 1, 1) / bits_per_cell)
        return np.ceil(w / bits_per_cell)
    if differential:
        return 2 * -(-max(weight_bits - 1, 1) // bits_per_cell)
    return -(-weight_bits // bits_per_cell)


def tiles(k, n, rows: int, cols: int, weight_bits, bits_per_cell: int,
          differential: bool = False):
    """``(row_tiles, col_tiles, phys_cols)`` of k x n matrices (NumPy arrays or scalars);
    ``weight_bits`` the config's or per op (:func:`.wbits.op_weight_bits`)."""
    phys_cols = np.asarray(n, dtype=np.float64) * columns_per_weight(weight_bits, bits_per_cell,
                                                                      differential)
    return np.ceil(np.asarray(k, dtype=np.float64) / rows), np.ceil(phys_cols / cols), phys_cols


def read_groups(k, rows: int, rows_per_read=None):
    """``(groups, reads)`` of k-row matrices read ``rows_per_read`` rows at a time.

    A group is the rows of one array read (and converted) at once, and never spans two arrays:
    row tile t holds ``k_t = min(rows, k - t rows)`` rows, read in ``ceil(k_t / R)`` groups.
    ``groups`` = the sum over row tiles (conversions per physical column per input slice);
    ``reads`` = the fullest tile's ``ceil(min(k, rows) / R)`` (the arrays of a matrix read in
    parallel, so an input slice takes that many reads). Without ``rows_per_read`` (all rows
    at once) ``groups`` is the row tiles and ``reads`` is 1."""
    k = np.asarray(k, dtype=np.float64)
    if rows_per_read is None or rows_per_read >= rows:
        return np.ceil(k / rows), 1
    full = np.floor(k / rows)
    groups = full * np.ceil(rows / rows_per_read) + np.ceil((k - full * rows) / rows_per_read)
    reads = np.maximum(1.0, np.ceil(np.minimum(k, rows) / rows_per_read))
    return groups, reads


def on_off_ratio(c) -> tuple:
    """``(G_on / G_off or None, where it comes from)`` of a CIM config ``c``'s cells:
    ``nonideal.on_off_ratio`` when given; else, when a ``cell`` block is stated, the cell's
    (``cell.on_off``, or its preset's: rram_1t1r 17, fefet and pcm 100, stt_mram 2.5); else,
    where ``cell_read_energy`` is derived, from the technology's default cell (``rram``:
    rram_1t1r, 17), the same device a ``cell: {type: rram_1t1r}`` block names, as
    :func:`one_on_off` holds it; else None (a given ``cell_read_energy`` and no cell: infinite,
    no reference column). The hardware has it whether or not accuracy is emulated: a finite
    ratio is a reference column of off cells per array whose current the readout subtracts
    before the ADC, so an ideal run (no ``nonideal`` block) pays for it too (before 2026-12-06
    only a run with a ``nonideal`` block did, find-N 5). The accuracy emulator and the
    reference column's read energy (:mod:`.energy`) both take it."""
    ni = c.nonideal
    if ni is not None and ni.on_off_ratio is not None:
        return float(ni.on_off_ratio), "cim.nonideal.on_off_ratio"
    if c.cell is None and c.cell_read_energy is not None:
        return None, "no cim.cell stated, cell_read_energy given"
    name, _, ratio, stated = _cell_ratio(c)
    if ratio is None:  # no off-state current to subtract
        return None, f"the {name} cell states none"
    return float(ratio), "cim.cell.on_off" if stated else f"the {name} preset's"


def _cell_ratio(c):
    """``(name, preset, ratio, stated)`` of the design's cell (``cim.cell.type``, else the
    technology's default): ``ratio`` its ``on_off`` (None for a cell that is not resistive),
    ``stated`` whether that came from ``cim.cell.on_off`` rather than the preset."""
    from ..circuits.array import preset as cell_preset
    from ..parts.cell import DEFAULT_CELL

    name = c.cell.type if c.cell is not None else DEFAULT_CELL[c.technology]
    preset = cell_preset(name)
    if preset.kind != "resistive":
        return name, preset, None, False
    stated = c.cell is not None and c.cell.on_off is not None
    return name, preset, (c.cell.on_off if stated else preset.on_off), stated


def one_on_off(c) -> None:
    """One device, one ratio: a ``nonideal.on_off_ratio`` other than the resistive cell's
    ``on_off`` (its preset's), from which the derived ``cell_read_energy`` comes, would score the
    accuracy of one device and the energy of another."""
    _, cell, own, stated = _cell_ratio(c)
    if c.cell_read_energy is not None or own is None:
        return
    if float(c.nonideal.on_off_ratio) != float(own):
        where = "cell.on_off" if stated else f"cell.on_off, the {cell.name} preset's"
        raise ValueError(f"nonideal.on_off_ratio {c.nonideal.on_off_ratio:g} contradicts "
                         f"{where} {own:g}, from which the derived cell_read_energy comes: one "
                         "design point has one device; set cim.cell.on_off (the accuracy model "
                         "takes it too) and leave nonideal.on_off_ratio out, or give "
                         "cell_read_energy")


def matrix_keys(ops, idx, transposed: bool = False, offered: bool = True):
    """Per op of ``idx`` (matmuls with a stationary weight): the matrix its arrays hold, keyed
    by (weight, orientation) as one int64, and a note naming each weight read in more than one
    orientation (or None). A crossbar drives its rows (k) and senses its columns (n), so a
    weight read as ``x @ W.T`` and as ``dY @ W`` (a training step's forward and dX, a tied
    autoencoder's encoder and decoder) is two matrices, each on arrays of its own (a second
    copy), not one array read transposed through periphery it does not have. With
    ``transposed`` (``cim.transposed_read``: the arrays have that periphery) a weight is one
    matrix, held in the orientation of its first read, and its other reads are transposed reads
    of it. The orientation is the op's tag ``weight_transposed`` (the tracer states it on every
    matmul and convolution that reads a weight, from the operand's strides: a square weight's
    two readings are told apart); an op that states none (a workload written by hand, or traced
    before the tag) is told by its k (k x n is the whole weight), which cannot tell a square
    weight's two readings apart. ``offered``: whether the note may suggest ``transposed_read``
    (a chip block refuses it)."""
    w, k = ops.stationary[idx].astype(np.int64), ops.k[idx].astype(np.int64)
    top = int(k.max()) + 1 if len(k) else 1
    tag = ops.weight_transposed[idx] if ops.weight_transposed is not None else np.full(len(idx), np.nan)
    told = ~np.isnan(tag)
    # orientation: k where the op states none, else top + the tag (0 or 1)
    orient = np.where(told, top + np.nan_to_num(tag).astype(np.int64), k)
    span = top + 2
    key = np.where(w >= 0, w * span + orient, w)
    pairs = np.unique(key[w >= 0])
    weights, counts = np.unique(pairs // span, return_counts=True)
    both = weights[counts > 1]
    if transposed:
        key = np.where(w >= 0, w * span, w)  # one matrix per weight
    if not len(both):
        return key, None

    def reads(t):
        on = w == t
        got = np.unique(np.stack([k[on], np.where(told[on], orient[on] - top, -1)]), axis=1)
        return ", ".join(f"{int(a):,}" + ("" if o < 0 else " as x @ W.T" if o else " as h @ W")
                         for a, o in got.T)

    names = [f"'{ops.tensor_names[int(t)]}' (k = {reads(t)})" for t in both[:3]]
    more = f" and {len(both) - 3:,} more" if len(both) > 3 else ""
    said = f"{len(both):,} weight(s) read in more than one orientation, {', '.join(names)}{more}: "
    if transposed:
        return key, said + ("each is held once, in the orientation of its first read, and read "
                            "transposed on the same arrays (transposed_read: columns driven, rows "
                            "sensed by the row-side ADCs; the orientations take turns)")
    return key, said + ("a crossbar holds one, so each orientation has arrays of its own (a "
                        "second copy" + ("; transposed_read: true reads one copy both ways)"
                                         if offered else ")"))


def fill_note(name: str, labels, cells, arrays, array_cells: int,
              below: float = 0.5, shown: int = 4) -> str | None:
    """The matrices (each once: a copy fills as its original; ``labels(positions)`` names those
    at the positions, called only for a note's few) whose weight ``cells``
    fill under ``below`` of the cells of the ``arrays`` they take (``array_cells`` each), or None
    where none does (find-L 3). Arrays are not shared between matrices, so a thin matrix, a
    rank-8 LoRA adapter's, takes whole arrays for a few of their rows or columns; the note names
    those that waste most arrays, with their arrays and fill, and the arrays all their cells
    would need packed together, ``ceil(cells / array_cells)``, a floor (which matrices could
    share an array, and the reads that sharing would serialise, are not modelled)."""
    cells, arrays = np.asarray(cells, dtype=np.float64), np.asarray(arrays, dtype=np.float64)
    fill = cells / np.maximum(arrays * array_cells, 1.0)
    low = np.flatnonzero((arrays > 0) & (fill < below))
    if not len(low):
        return None
    low = low[np.lexsort((fill[low], -(arrays[low] - cells[low] / array_cells)))]  # most wasted
    held, took = float(cells[low].sum()), int(arrays[low].sum())
    packed = -(-int(held) // array_cells)
    named = ", ".join(f"{nm} {100 * fill[i]:.3g} % of {int(arrays[i]):,} "
                      f"arra{'y' if arrays[i] == 1 else 'ys'}"
                      for nm, i in zip(labels(low[:shown]), low[:shown].tolist()))
    more = f" and {len(low) - shown:,} more" if len(low) > shown else ""
    took_cells = took * array_cells
    return (f"{name}: arrays are not shared between matrices (each takes whole arrays), and "
            f"{len(low):,} of the {len(cells):,} weight matrices fill under {100 * below:.3g} % "
            f"of their arrays' cells: {named}{more}; these take {took:,} arrays holding "
            f"{int(held):,} of their {took_cells:,} cells ({100 * held / took_cells:.3g} %); "
            f"packed into shared arrays they would need at least ceil({int(held):,} / "
            f"{array_cells:,}) = {packed:,} arra{'y' if packed == 1 else 'ys'}, "
            f"{took - packed:,} fewer (sharing arrays between matrices is not modelled)")
