"""Energy of CIM matrix-vector products, per part (J per op).

- ``adc``: conversions = rows x row tiles x physical columns x slices, each
  ``adc.energy_per_conversion``;
- ``dac``: rows x k x column tiles x slices row drives, each ``dac_energy``;
- ``array``: rows x k x physical columns x slices cell reads, each ``cell_read_energy``;
- ``digital``: conversions x ``shift_add_energy`` + buffer bytes x buffer energy per byte;
- ``write``: when the op re-programs, every cell of the matrix once (k x physical
  columns x ``write_energy``), whatever the number of rounds.
"""

from __future__ import annotations

import numpy as np


def op_energy(c, rows, k, row_tiles, col_tiles, phys_cols, buffer_bytes, reprogram) -> dict:
    slices = c.slices
    conv = rows * row_tiles * phys_cols * slices
    return {
        "array": rows * k * phys_cols * slices * c.cell_read_energy,
        "adc": conv * c.adc.energy_per_conversion,
        "dac": rows * k * col_tiles * slices * c.dac_energy,
        "digital": conv * c.shift_add_energy + buffer_bytes * c.buffer.energy_per_byte,
        "write": np.where(reprogram, k * phys_cols * c.write_energy, 0.0),
    }
