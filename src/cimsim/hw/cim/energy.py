"""Energy of CIM matrix-vector products, per part (J per op).

- ``adc``: conversions = rows x row tiles x physical columns x slices (x reads per slice
  with a partial parallel read, ``rows_per_read``), each
  ``adc.energy_per_conversion``; with an integrate-and-count readout
  (``adc.counting``), rows x row tiles x physical columns column-vectors, each
  the neuron's energy of :mod:`.counting` (input bits sampled, integration
  steps, counting steps);
- ``dac``: rows x k x column tiles x slices row drives, each ``dac_energy``;
- ``array``: rows x k x physical columns x slices cell reads, each ``cell_read_energy``;
- ``digital``: conversions x ``shift_add_energy`` (integrate-and-count: column-vectors
  x counting steps x ``shift_add_energy``) + buffer bytes x buffer energy per byte;
- ``write``: when the op re-programs, every cell of the matrix once (k x physical
  columns x ``write_energy``), whatever the number of rounds.
"""

from __future__ import annotations

import numpy as np

from . import counting


def op_energy(c, d, rows, k, row_tiles, col_tiles, phys_cols, buffer_bytes, reprogram) -> dict:
    """Energy per part of the ops (arrays), config ``c`` at design point ``d`` (its effective,
    given or derived, per-event numbers; :mod:`.derive`)."""
    slices = c.slices
    cnt = c.adc.counting
    if cnt is None:
        conv = rows * row_tiles * phys_cols * slices
        if d.reads != 1:  # a partial parallel read converts every read
            conv = conv * d.reads
        adc, shift_add = conv * d.energy_per_conversion, conv * d.shift_add_energy
    else:
        ph = c.phases
        steps = counting.counting_steps(c.adc.bits, ph)
        column_vectors = rows * row_tiles * phys_cols
        adc = column_vectors * (slices * cnt.sample_energy
                                + counting.integration_steps(ph) * cnt.integrate_energy
                                + steps * d.energy_per_conversion)
        shift_add = column_vectors * steps * d.shift_add_energy
    return {
        "array": rows * k * phys_cols * slices * d.cell_read_energy,
        "adc": adc,
        "dac": rows * k * col_tiles * slices * d.dac_energy,
        "digital": shift_add + buffer_bytes * d.buffer_energy_per_byte,
        "write": np.where(reprogram, k * phys_cols * c.write_energy, 0.0),
    }
