"""Vector work of the resampling ops: interpolation, grid sampling and adaptive pools, counted
per *output* element from the taps each one reads (the interpolation definitions), not per
input element.

- interpolation (``upsample_linear1d`` / ``bilinear2d`` / ``trilinear3d`` / ``bicubic2d``): an
  output element is the weighted sum of its taps, ``out = Σ w_i · x_i``: T multiplies and T − 1
  adds, 2T − 1 operations, with T = 2^d taps for (bi/tri)linear and 4^d for bicubic over d
  spatial dimensions (bilinear 7, trilinear 15, bicubic 31 an output element). The weights
  depend on the output's row or column only, so making them is not counted per element;
- antialiased interpolation (``_upsample_bilinear2d_aa`` / ``_upsample_bicubic2d_aa``): the
  filter's support widens with the down-scaling factor; the taps of each output are the ones
  torch's kernel sums (``_compute_index_ranges_weights``: support = interp_size/2 · scale when
  scale ≥ 1), per dimension, multiplied over the dimensions;
- ``grid_sampler_2d`` / ``_3d`` (its bytes: the lines its taps read, :mod:`.gridsample`): the same taps per output element (bilinear 4 / trilinear 8,
  bicubic 16); nearest is one tap, a gather (0 operations); the coordinate arithmetic per
  output location is not counted;
- adaptive pools: each output element reduces its window, ``[floor(i·L/O), ceil((i+1)·L/O))``
  along each dimension, one operation per window element (as the window pools: one per output
  element per kernel element): the input's elements when O divides L, more where windows
  overlap, and each input several times when O > L.

Nearest interpolation is a copy (:data:`.aten.COPIES`): it reads and writes, no arithmetic.
``col2im`` sums the overlapping columns: one add per element read.
"""

from __future__ import annotations

import math

from ..windows import per_dim, window_taps

#: interpolation: op -> (spatial dimensions, taps per dimension)
INTERPOLATIONS = {"upsample_linear1d": (1, 2), "upsample_bilinear2d": (2, 2), "upsample_trilinear3d": (3, 2),
                  "upsample_bicubic2d": (2, 4)}
#: antialiased interpolation: op -> torch's interp_size (the filter's width at scale 1)
ANTIALIASED = {"_upsample_bilinear2d_aa": 2, "_upsample_bicubic2d_aa": 4}
#: grid_sample's interpolation_mode argument -> taps per dimension (0 bilinear, 1 nearest, 2 bicubic)
GRID_TAPS = {0: 2, 1: 1, 2: 4}
ADAPTIVE = {"_adaptive_avg_pool2d", "_adaptive_avg_pool3d", "adaptive_avg_pool1d", "adaptive_max_pool1d",
            "adaptive_max_pool2d", "adaptive_max_pool3d"}


def pool_vec(base: str, named: dict, out) -> float:
    """Vector ops of a window pool (max / avg, 1-3d): one per element of each window that lies
    inside the input, :func:`~cimsim.workload.windows.window_taps` (torch's kernels clip each
    window to the input: padding, and with ``ceil_mode`` the part of an edge window past the
    input, are never read; ``count_include_pad`` changes an average's divisor only). ``named``:
    the op's bound arguments (``self``, ``kernel_size``, ``stride``, ``padding``, ``dilation``)."""
    x = named["self"]
    nd = next((int(d) for d in "321" if f"pool{d}d" in base), max(out.dim() - 2, 1))
    ks = per_dim(named.get("kernel_size"), 1, nd)
    taps = window_taps(x.shape[-nd:], out.shape[-nd:], ks, per_dim(named.get("stride"), ks, nd),
                       per_dim(named.get("padding"), 0, nd), per_dim(named.get("dilation"), 1, nd))
    return float(out.numel() // max(math.prod(out.shape[-nd:]), 1) * taps)


def _weighted_sum(taps: int, outputs: int) -> float:
    """Operations of ``outputs`` weighted sums of ``taps`` taps each: T multiplies, T − 1 adds
    (one tap: a gather, no arithmetic)."""
    return float(outputs * (2 * taps - 1)) if taps > 1 else 0.0


def _spatial(base: str) -> int:
    return next(int(d) for d in "321" if f"{d}d" in base)


def adaptive_window_sum(length: int, out: int) -> int:
    """Σ over the ``out`` outputs of an adaptive pool along one dimension of ``length`` of their
    window sizes, ``ceil((i+1)·L/O) − floor(i·L/O)`` (torch's start / end index)."""
    return sum(-(-((i + 1) * length) // out) - (i * length) // out for i in range(out))


def antialias_taps(length: int, out: int, interp_size: int, align_corners: bool, given=None) -> int:
    """Σ over the ``out`` outputs along one dimension of the taps torch's antialiased kernel
    sums (``aten/src/ATen/native/cpu/UpSampleKernel.cpp``, ``_compute_index_ranges_weights``;
    the scale as ``area_pixel_compute_scale``: 1 / a ``given`` scale factor, else L / O)."""
    if align_corners:
        scale = (length - 1) / (out - 1) if out > 1 else 0.0
    else:
        scale = 1.0 / given if given else length / out
    support = interp_size / 2 * scale if scale >= 1.0 else interp_size / 2
    total = 0
    for i in range(out):
        center = scale * (i + 0.5)
        lo = max(int(center - support + 0.5), 0)
        total += min(int(center + support + 0.5), length) - lo
    return total


def resample_vec(base: str, args, x, out) -> float:
    """Vector operations of resampling op ``base`` reading ``x`` and writing ``out`` (module doc)."""
    if base in INTERPOLATIONS:
        d, taps = INTERPOLATIONS[base]
        return _weighted_sum(taps ** d, out.numel())
    if base == "grid_sampler_2d" or base == "grid_sampler_3d":
        d = _spatial(base)
        return _weighted_sum(GRID_TAPS[int(args[2])] ** d, out.numel())
    if base not in ANTIALIASED and base not in ADAPTIVE:
        return float(x.numel())  # col2im: one add per column element
    d = _spatial(base)
    lengths, outs = x.shape[-d:], out.shape[-d:]
    planes = out.numel() // max(math.prod(outs), 1)  # batch x channels
    if base in ANTIALIASED:
        align = bool(args[2]) if len(args) > 2 else False
        given = args[3] if len(args) > 3 and isinstance(args[3], (list, tuple)) else args[3:3 + d]
        given = list(given or []) + [None] * d
        taps = math.prod(antialias_taps(int(L), int(o), ANTIALIASED[base], align, g)
                         for L, o, g in zip(lengths, outs, given))
        return float(planes * (2 * taps) - out.numel()) if out.numel() else 0.0
    return float(planes * math.prod(adaptive_window_sum(int(L), int(o)) for L, o in zip(lengths, outs)))
