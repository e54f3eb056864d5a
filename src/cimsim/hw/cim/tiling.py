"""How a k x n weight matrix tiles onto crossbar arrays.

A matrix needs ``row_tiles = ceil(k / rows)`` arrays down its input dimension
and ``col_tiles = ceil(phys_cols / cols)`` across, where
``phys_cols = ceil(n * weight_bits / bits_per_cell)`` bit-line columns hold
its n outputs (a weight spread over ``weight_bits / bits_per_cell`` cells). With
``differential`` signed weights (``nonideal.encoding``: the magnitude on a positive or a
negative column) each output takes ``2 ceil((weight_bits - 1) / bits_per_cell)`` columns,
as the accuracy emulator stores them.
"""

from __future__ import annotations

import numpy as np


def tiles(k, n, rows: int, cols: int, weight_bits: int, bits_per_cell: int,
          differential: bool = False):
    """``(row_tiles, col_tiles, phys_cols)`` of k x n matrices (NumPy arrays or scalars)."""
    if differential:
        per_output = 2 * -(-(weight_bits - 1) // bits_per_cell)
        phys_cols = np.asarray(n, dtype=np.float64) * per_output
    else:
        phys_cols = np.ceil(np.asarray(n, dtype=np.float64) * weight_bits / bits_per_cell)
    return np.ceil(np.asarray(k, dtype=np.float64) / rows), np.ceil(phys_cols / cols), phys_cols
