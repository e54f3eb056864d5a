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
values (a trace with real inputs) the lines are those its taps touch: the taps are worked out
per point (points x taps, no channel factor, at most :data:`MAX_TAPS`), the channels added a
chunk of points at a time, each element kept at its first read (so the listing is at most the
input's elements, whatever the channels; at most :data:`MAX_READS` reads are walked). Without
values (a meta trace, an ONNX import) or past those caps, a closed-form estimate (neither an
upper nor a lower bound): every point's rows of taps, each over all channels, one aligned piece
(one ``[C, taps along x]`` block, spread over the input; pieces that straddle a line boundary
or share lines are not counted as such), at most the input's lines, which are then one stream;
the op is listed in ``metadata['grid_sample_estimates']`` and the run says so
(:func:`estimate_notes`). Dense sampling of a whole map costs about the map either way.
"""

from __future__ import annotations

import numpy as np

from .bags import _no_values, emit_lines, first_touch, row_table, run_lines
from .unread import ESTIMATES, estimate_notes  # noqa: F401 - the key and its note, torch-free there
from .registry import Call, lowers
from .resample import GRID_TAPS, resample_vec
from .storage import RowRead, offsets

#: at most this many spatial taps (points x taps each, channels not counted) are worked out
#: from the grid's values; above it the closed-form estimate stands for them, with a note
MAX_TAPS = 1 << 22
#: at most this many reads (points x channels x taps) are walked, a chunk of :data:`CHUNK` at a
#: time; above it the closed-form estimate, with a note
MAX_READS = 1 << 26
#: reads listed at once while walking them (memory: a few times this many int64)
CHUNK = 1 << 21
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
    points = c.targets[0].numel() // max(1, x.shape[1])
    why = "no grid values (a meta trace or an ONNX import)" if _no_values(low, grid) else \
        f"{points * taps:,} taps over {MAX_TAPS:,}" if points * taps > MAX_TAPS else \
        f"{points * taps * x.shape[1]:,} reads over {MAX_READS:,}" \
        if points * taps * x.shape[1] > MAX_READS else None
    if why:
        # the estimate: a piece per point and row of taps, its channels' taps along x
        low.__dict__.setdefault(ESTIMATES, []).append({"op": c.base, "points": points, "why": why})
        one = offsets(0, (x.shape[1], per_x), (stride[1], stride[-1]))
        pieces = c.targets[0].numel() // max(1, x.shape[1]) * (taps // per_x)
        span = int(one.max()) + 1  # all pieces, laid side by side (what a read of whole lines is)
        rows = np.arange(max(1, min(pieces, x.numel() // span)), dtype=np.int64)
        every = RowRead(x.storage_offset(), rows, span, one)
        emit_lines(low, "reduction", c.base, x, _units(low, x, every), [grid], c.targets,
                   spread=pieces, one=low.st.units_at(x, one + x.storage_offset()), vec=vec)
        return
    order = first_reads(x, grid.detach().cpu().double().numpy(), mode, pad, align)
    offs = np.sort(order)
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


def spatial_taps(x, grid: np.ndarray, mode: int, pad: int, align: bool):
    """``(offsets, outside)``, each ``[points, taps]``: the storage offsets (in ``x``'s elements)
    of each point's taps in channel 0 (the last dimension innermost; batch and storage offset
    added) and whether each tap lies outside the input (not read)."""
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
    return sp.reshape(len(sp), -1) + x.storage_offset(), bad.reshape(len(bad), -1)


def _with_channels(x, sp: np.ndarray, bad: np.ndarray) -> np.ndarray:
    """The reads of points ``sp`` / ``bad`` (:func:`spatial_taps`) over every channel, in
    torch's order: point by point, each point's channels, each channel's taps."""
    chans = (np.arange(x.shape[1], dtype=np.int64) * x.stride()[1])[None, :, None]
    full = sp[:, None, :] + chans  # [points, channels, taps]
    keep = np.broadcast_to(~bad[:, None, :], full.shape)
    return full[keep].reshape(-1) if not keep.all() else full.reshape(-1)


def tap_offsets(x, grid: np.ndarray, mode: int, pad: int, align: bool) -> np.ndarray:
    """Storage offsets (in ``x``'s elements) of the taps ``grid_sample(x, grid)`` reads, in the
    order torch reads them: point by point, each point's channels, each channel's taps (the
    last dimension innermost); taps outside the input left out."""
    return _with_channels(x, *spatial_taps(x, grid, mode, pad, align))


def first_reads(x, grid: np.ndarray, mode: int, pad: int, align: bool) -> np.ndarray:
    """The distinct storage offsets :func:`tap_offsets` reads, in the order of their first read
    (``first_touch(tap_offsets(...))[1]``), the channels added a chunk of points at a time so
    that no more than :data:`CHUNK` reads are listed at once."""
    sp, bad = spatial_taps(x, grid, mode, pad, align)
    if not sp.size:
        return np.zeros(0, dtype=np.int64)
    seen = np.zeros(int(sp.max()) + (x.shape[1] - 1) * x.stride()[1] + 1, dtype=bool)
    step = max(1, CHUNK // max(1, x.shape[1] * sp.shape[1]))
    out = []
    for at in range(0, len(sp), step):
        _, order = first_touch(_with_channels(x, sp[at:at + step], bad[at:at + step]))
        order = order[~seen[order]]
        seen[order] = True
        out.append(order)
    return np.concatenate(out)



