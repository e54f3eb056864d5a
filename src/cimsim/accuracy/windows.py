"""A convolution's windows as matmul rows (im2col) and a transposed one's sum back (col2im),
any number of spatial dimensions, in the order the tracer lowers them."""

from __future__ import annotations

import itertools
import math

import torch
import torch.nn.functional as F


def im2col(x: torch.Tensor, ks, stride, padding, dilation) -> tuple[torch.Tensor, tuple]:
    """The rows of a convolution's im2col matmul (batch x output positions, C x kernel, in
    ``w.reshape(O, -1)``'s order), any number of spatial dimensions; and the output's shape."""
    nd = len(ks)
    pad = [p for d in reversed(range(nd)) for p in (padding[d], padding[d])]
    xp = F.pad(x, pad) if any(pad) else x
    for d in range(nd):  # each unfold appends its kernel dimension
        xp = xp.unfold(2 + d, dilation[d] * (ks[d] - 1) + 1, stride[d])[..., ::dilation[d]]
    out_sp = tuple(xp.shape[2:2 + nd])
    rows = xp.permute(0, *range(2, 2 + nd), 1, *range(2 + nd, 2 + 2 * nd))
    return rows.reshape(x.shape[0] * math.prod(out_sp), -1), out_sp


def col2im(cols: torch.Tensor, stride, padding, dilation, output_padding) -> torch.Tensor:
    """A transposed convolution's overlapping windows summed: ``cols`` is batch x input
    positions x C_out x kernel; the output batch x C_out x spatial, as ``conv_transpose``."""
    nd = (cols.dim() - 2) // 2
    in_sp, ks = cols.shape[1:1 + nd], cols.shape[2 + nd:]
    full = [(in_sp[d] - 1) * stride[d] + dilation[d] * (ks[d] - 1) + 1 + output_padding[d]
            for d in range(nd)]
    c = cols.movedim(1 + nd, 1)  # batch x C_out x input positions x kernel
    y = c.new_zeros(c.shape[0], c.shape[1], *full)
    for kk in itertools.product(*(range(k) for k in ks)):
        win = tuple(slice(kk[d] * dilation[d], kk[d] * dilation[d] + (in_sp[d] - 1) * stride[d] + 1,
                          stride[d]) for d in range(nd))
        y[(slice(None), slice(None)) + win] += c[(...,) + tuple(kk)]
    return y[(slice(None), slice(None)) + tuple(slice(padding[d], full[d] - padding[d])
                                                 for d in range(nd))]
