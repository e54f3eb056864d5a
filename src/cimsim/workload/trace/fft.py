"""FFTs (``torch.fft.*``: ``aten._fft_r2c``, ``_fft_c2r``, ``_fft_c2c``): real flops, as vector
ops.

A radix-2 complex FFT of N points takes (N/2) log2 N butterflies, each a complex multiply (6
real flops, the complex rule of :mod:`.complexes`) and two complex adds (4): 5 N log2 N real
flops (Cooley & Tukey 1965; the nominal count FFTW's benchFFT reports speeds in,
https://www.fftw.org/speed/method.html), and a transform of N real points half that, 2.5 N log2 N
(the same page). Per transformed dimension of length n, over ``numel`` elements (numel / n
signals):

* ``_fft_c2c``: 5 x numel x log2 n per dimension, the numel of the complex input;
* ``_fft_r2c`` (``rfft``, ``rfft2``): the last dimension a real transform, 2.5 x numel x log2 n
  over the real input; each other dimension then a complex pass over the half spectrum torch
  keeps (its output: n/2 + 1 columns), 5 x numel(out) x log2 n (``rfft2`` of 32 x 32:
  2.5 x 1,024 x 5 + 5 x 32 x 17 x 5 = 26,400);
* ``_fft_c2r`` (``irfft``): the mirror: complex passes over the half-spectrum input, then the
  last dimension a real transform, 2.5 x numel(out) x log2 n.

log2 n is the real logarithm, as the nominal count takes it for any n. A normalisation
(``norm`` "backward" on an inverse, "ortho", "forward" on a forward: torch's ``normalization``
argument 1 or 2) scales each output element once: 2 real flops per complex element (a complex
by a real, :mod:`.complexes`), 1 per real element.
"""

from __future__ import annotations

import math

from .registry import Call, lowers

#: real flops of a radix-2 butterfly per point and stage: complex 5, real-input half that
COMPLEX_FFT_FLOPS, REAL_FFT_FLOPS = 5.0, 2.5


def fft_flops(base: str, x_shape, out_shape, dims, scaled: bool, out_complex: bool) -> float:
    """Real flops of ``base`` (``_fft_r2c`` / ``_fft_c2r`` / ``_fft_c2c``) over ``dims`` of the
    input of shape ``x_shape`` writing ``out_shape`` (the module docstring)."""
    x_n, out_n = math.prod(x_shape), math.prod(out_shape)
    if not dims or not x_n:
        return 0.0
    dims = list(dims)
    real = {"_fft_r2c": dims[-1], "_fft_c2r": dims[-1]}.get(base)  # the real-transform dimension
    flops = 0.0
    real_n = x_n if base == "_fft_r2c" else out_n  # the real signal's elements
    for d in dims:
        if d == real:  # the real transform: n is the real signal's length (a c2r's output)
            n, numel, per = (x_shape if base == "_fft_r2c" else out_shape)[d], real_n, REAL_FFT_FLOPS
        else:  # a complex pass: over the half spectrum (an r2c's output, a c2r's input)
            n, numel, per = x_shape[d], out_n if base == "_fft_r2c" else x_n, COMPLEX_FFT_FLOPS
        flops += per * numel * math.log2(n) if n > 1 else 0.0
    if scaled:
        flops += (2.0 if out_complex else 1.0) * out_n
    return flops


@lowers("_fft_r2c", "_fft_c2r", "_fft_c2c")
def fft(low, c: Call) -> None:
    x, dims, normalization = c.args[0], c.args[1], c.args[2]
    out = low.ev.out
    vec = fft_flops(c.base, tuple(x.shape), tuple(out.shape), [d % max(x.dim(), 1) for d in dims],
                    int(normalization) != 0, out.is_complex())
    low.emit("reduction", c.base, c.reads, c.targets, vec=float(vec))
