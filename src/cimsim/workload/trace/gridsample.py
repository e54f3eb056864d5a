"""``grid_sampler_2d`` / ``grid_sampler_3d`` (``F.grid_sample``) as the gathers they are: the
whole 64 B lines its taps read, by the rule every gather follows (:func:`.bags.emit_lines`,
"Every gather, one rule" in the README), not its whole input.

An output element (a point, a channel) is the weighted sum of its taps: bilinear 2 x 2,
trilinear 2 x 2 x 2, bicubic 4 x 4, nearest one (:func:`.resample.resample_vec` counts their
arithmetic). Which elements the taps are follows torch's kernels
(``aten/src/ATen/native/GridSampler.h``, ``GridSamplerKernel.cpp``):

- the grid's normalised coordinate ``g`` in [-1, 1] is the input's index
  ``((g + 1) / 2) * (size - 1)`` with ``align_corners``, ``((g + 1) * size - 1) / 2`` without;
- bilinear / nearest: padding ``border`` clips that index to [0, size - 1], ``reflection``
  reflects it into the input first; the taps are ``floor(i)`` and ``floor(i) + 1`` (bilinear), or
  ``nearbyint(i)`` (nearest), and a tap outside the input (``zeros``, or the ``+ 1`` tap of an
  index on the last element) is not read;
- bicubic: the taps ``floor(i) - 1 .. floor(i) + 2`` of the unpadded index, each clipped or
  reflected into the input (``border``, ``reflection``) or not read when outside (``zeros``).

Torch reads point by point, each point's channels in turn, each channel's taps row by row: that
is the order the accesses are counted in (:func:`.bags.ordered_accesses`). With the grid's
values (a trace with real inputs) the lines are those its taps touch; without them (a meta
trace, or more than :data:`MAX_TAPS` taps to list) a closed-form bound: every point's rows of
taps, each over all channels, its own lines (one ``[C, taps along x]`` block a piece, spread
over the input), at most the input's lines, which are then one stream. Dense sampling of a
whole map costs about the map either way.
"""

from __future__ import annotations

import numpy as np

from .bags import _no_values, emit_lines, first_touch, row_table, run_lines
from .registry import Call, lowers
from .resample import GRID_TAPS, resample_vec
from .storage import RowRead, offsets

#: at most this many taps (output elements x taps each) are listed one by one; above it the
#: closed-form bound stands for them (a dense sampler of a large map: about the map)
MAX_TAPS = 1 << 22
#: grid_sample's padding_mode argument (0 zeros, 1 border, 2 reflection)
ZEROS, BORDER, REFLECTION = 0, 1, 2


@lowers("grid_sampler_2d", "grid_sampler_3d")
def grid_sampler(low, c: Call) -> None:
    """``F.grid_sample``: a gather of the lines its taps read (module doc), the grid and the
    output streaming; of an activation that is not a table of its own (:func:`.bags.row_table`:
    a reshape's provenance, or written in part) its whole input, as before."""
    x, grid = c.args[0], c.args[1]
    vec = resample_vec(c.base, c.args, x, c.targets[0])
    if not (isinstance(x, low.torch.Tensor) and x.numel() and c.targets[0].numel()
            and (low._is_param(x) or row_table(low, x))):
        low.emit("reduction", c.base, c.reads, c.targets, vec=vec)
        return
    if not low.st.known(x):
        low._source(x)
    mode, pad, align = int(c.args[2]), int(c.args[3]), bool(c.args[4])
    nd = x.dim() - 2
    per_x = GRID_TAPS[mode]
    taps = per_x ** nd
    stride = tuple(x.stride())
    listed = c.targets[0].numel() * taps
    if _no_values(low, grid) or listed > MAX_TAPS:
        # the bound: a piece per point and row of taps, its channels' taps along x
        one = offsets(0, (x.shape[1], per_x), (stride[1], stride[-1]))
        pieces = c.targets[0].numel() // max(1, x.shape[1]) * (taps // per_x)
        span = int(one.max()) + 1  # all pieces, laid side by side (what a read of whole lines is)
        rows = np.arange(max(1, min(pieces, x.numel() // span)), dtype=np.int64)
        every = RowRead(x.storage_offset(), rows, span, one)
        emit_lines(low, "reduction", c.base, x, _units(low, x, every), [grid], c.targets,
                   spread=pieces, one=low.st.units_at(x, one + x.storage_offset()), vec=vec)
        return
    order = tap_offsets(x, grid.detach().cpu().double().numpy(), mode, pad, align)
    offs, order = first_touch(order)
    emit_lines(low, "reduction", c.base, x, low.st.units_at(x, offs), [grid], c.targets, vec=vec,
               order=run_lines(order, x.element_size()))


def _units(low, x, read: RowRead):
    """``read`` in ``x``'s storage units (a view of another element size: its offsets)."""
    return read if low.st.same_unit(x) else low.st.units_at(x, read.offsets())


def source_index(g: np.ndarray, size: int, pad: int, align: bool, clip: bool = True) -> np.ndarray:
    """The input index (float) of normalised grid coordinates ``g`` along a dimension of
    ``size`` (torch's ``grid_sampler_compute_source_index``; ``clip`` False: unnormalised only,
    as bicubic takes it)."""
    i = (g + 1) / 2 * (size - 1) if align else ((g + 1) * size - 1) / 2
    return padded(i, size, pad, align) if clip else i


def padded(i: np.ndarray, size: int, pad: int, align: bool) -> np.ndarray:
    """Index ``i`` under padding ``pad``: as it is (zeros), clipped (border), reflected then
    clipped (reflection; torch's ``reflect_coordinates``)."""
    if pad == REFLECTION:
        lo, hi = (0, 2 * (size - 1)) if align else (-1, 2 * size - 1)
        if lo == hi:
            i = np.zeros_like(i)
        else:
            low, span = lo / 2, (hi - lo) / 2
            d = np.abs(i - low)
            extra, flips = np.fmod(d, span), np.floor(d / span)
            i = np.where(flips % 2 == 0, extra + low, span - extra + low)
    if pad in (BORDER, REFLECTION):
        i = np.clip(i, 0, size - 1)
    return i


def _taps_along(g: np.ndarray, size: int, mode: int, pad: int, align: bool) -> np.ndarray:
    """Per point, the integer indices of its taps along one dimension, ``[points, taps]``; -1
    where a tap is not read (outside the input)."""
    if mode == 2:  # bicubic: four taps around the unpadded index, each padded on its own
        base = np.floor(source_index(g, size, pad, align, clip=False))[:, None] + np.arange(-1, 3)
        idx = padded(base, size, pad, align) if pad != ZEROS else base
    else:
        i = source_index(g, size, pad, align)
        idx = np.rint(i)[:, None] if mode == 1 else np.floor(i)[:, None] + np.arange(2)
    ok = np.isfinite(idx) & (idx >= 0) & (idx <= size - 1)
    return np.where(ok, np.nan_to_num(idx), -1).astype(np.int64)


def tap_offsets(x, grid: np.ndarray, mode: int, pad: int, align: bool) -> np.ndarray:
    """Storage offsets (in ``x``'s elements) of the taps ``grid_sample(x, grid)`` reads, in the
    order torch reads them: point by point, each point's channels, each channel's taps (the
    last dimension innermost); taps outside the input left out."""
    shape, stride = tuple(x.shape), tuple(x.stride())
    n, nd = shape[0], x.dim() - 2
    pts = grid.reshape(n, -1, nd)  # [N, points, (x, y[, z])]
    per = [_taps_along(pts[..., nd - 1 - d].reshape(-1), shape[2 + d], mode, pad, align)
           for d in range(nd)]  # per spatial dimension (d, h, w order): [N * points, taps]
    k = per[0].shape[1]
    sp = np.zeros((per[0].shape[0],) + (k,) * nd, dtype=np.int64)
    bad = np.zeros(sp.shape, dtype=bool)
    for d, idx in enumerate(per):
        view = [idx.shape[0]] + [1] * nd
        view[1 + d] = k
        sp = sp + (idx * stride[2 + d]).reshape(view)
        bad = bad | (idx < 0).reshape(view)
    sp = sp + (np.repeat(np.arange(n, dtype=np.int64), pts.shape[1]) * stride[0]).reshape([-1] + [1] * nd)
    sp, bad = sp.reshape(len(sp), 1, -1), bad.reshape(len(bad), 1, -1)
    chans = (np.arange(shape[1], dtype=np.int64) * stride[1])[None, :, None]
    full = sp + chans + x.storage_offset()  # [points, channels, taps]
    keep = np.broadcast_to(~bad, full.shape)
    return full[keep].reshape(-1) if not keep.all() else full.reshape(-1)

