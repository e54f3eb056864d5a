"""FFTs (``torch.fft.*``: ``aten._fft_r2c``, ``_fft_c2r``, ``_fft_c2c``): vector work.

A radix-2 FFT of length N takes (N/2) log2 N butterflies, each a complex multiply and two
complex adds (Cooley & Tukey 1965). cimsim counts it as the sorts are counted
(:func:`.aten.sort_vector_ops`): ``rows x N x ceil(log2 N)`` vector ops per transformed
dimension, where the rows are the signals of length N (the real input of ``_fft_r2c``, the real
output of ``_fft_c2r``, the complex input of ``_fft_c2c``). A multi-dimensional FFT is one such
pass per dimension. The count is of passes over the elements, not of real flops (a butterfly is
about 10 real flops); the normalisation's scaling is not counted separately.
"""

from __future__ import annotations

from .aten import sort_vector_ops
from .registry import Call, lowers


@lowers("_fft_r2c", "_fft_c2r", "_fft_c2c")
def fft(low, c: Call) -> None:
    x, dims = c.args[0], c.args[1]
    out = low.ev.out
    signal = out if c.base == "_fft_c2r" else x  # the full-length signal (c2r: its real output)
    vec = sum(sort_vector_ops(signal.numel(), signal.shape[d]) for d in dims) if signal.dim() else 0.0
    low.emit("reduction", c.base, c.reads, c.targets, vec=float(vec))
