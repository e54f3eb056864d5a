"""Partial-sum resolution: the bits a slice's sum needs to be lossless, and the bits an ADC loses.

With ``R`` rows read at once, ``D``-bit input slices and ``c``-bit cells, one column's partial
sum of a slice is at most ``R (2^D - 1)(2^c - 1)``; representing every value from 0 to that
maximum needs ``ceil(log2(R (2^D - 1)(2^c - 1) + 1))`` bits (issue 17). ISAAC (Shafiee et
al., ISCA 2016) states the same need as ``log2 R + v + w`` bits for ``v``-bit slices and
``w``-bit cells, one fewer when ``v`` or ``w`` is 1 (T) -- equal to this bound when ``R`` is a
power of two. An ADC with fewer bits is a real design choice; the bits lost per conversion
are ``max(0, lossless - adc_bits)``.

Integer-exact (``ceil(log2(n + 1))`` is the bit length of ``n``); broadcasts over NumPy arrays.
"""

from __future__ import annotations

import numpy as np

#: largest partial sum handled exactly (float64 holds integers exactly below 2^53)
_MAX_SUM = 2 ** 53


def _count(name, v, low):
    a = np.asarray(v)
    if not np.issubdtype(a.dtype, np.integer):
        if not np.all(np.equal(np.mod(a, 1), 0)):
            raise ValueError(f"{name} {v} must be a whole number")
        a = a.astype(np.int64)
    if np.any(a < low):
        raise ValueError(f"{name} {v} must be >= {low}")
    return a.astype(np.int64)


def partial_sum_max(rows, input_bits, cell_bits):
    """Largest partial sum of one column for one input slice: ``R (2^D - 1)(2^c - 1)``."""
    r = _count("rows read at once", rows, 1)
    d = _count("input slice bits", input_bits, 1)
    c = _count("bits per cell", cell_bits, 1)
    if np.any(d > 24) or np.any(c > 24) or np.any(r > 2 ** 24):
        raise ValueError("rows <= 2^24 and slice/cell bits <= 24 are supported")
    n = r * ((np.int64(1) << d) - 1) * ((np.int64(1) << c) - 1)
    if np.any(n >= _MAX_SUM):
        raise ValueError("partial sum exceeds 2^53; not a realistic CIM slice")
    return n


def lossless_bits(rows, input_bits, cell_bits):
    """``ceil(log2(R (2^D - 1)(2^c - 1) + 1))``: bits for an exact partial sum."""
    n = partial_sum_max(rows, input_bits, cell_bits)
    # frexp gives n = m 2^e with 0.5 <= m < 1, so e is n's bit length (0 for n = 0); exact < 2^53
    _, e = np.frexp(n.astype(np.float64))
    return e.astype(np.int64) if np.ndim(e) else int(e)


def bits_lost(adc_bits, rows, input_bits, cell_bits):
    """Bits an ADC of ``adc_bits`` drops per conversion: ``max(0, lossless - adc_bits)``."""
    b = _count("ADC bits", adc_bits, 1)
    lost = np.maximum(0, lossless_bits(rows, input_bits, cell_bits) - b)
    return lost if np.ndim(lost) else int(lost)
