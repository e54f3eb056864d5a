"""Convolutions and ``nn.Bilinear``: the matmul lowerings that first reshape their input.

A convolution is an im2col matmul (``output elements x C_in/groups x kernel`` MACs; a
transposed one a matmul then a col2im sum of its overlapping windows, none where they tile the
output: kernel = stride, no padding); ``nn.Bilinear``'s ``_trilinear`` is the outer
product of its two inputs times its stationary weight. Registered on the lowerer's table
(:data:`.registry.LOWERINGS`) as :mod:`.bags` and :mod:`.grouped` are; split from :mod:`.lower`
to keep it within the module size limit.
"""

from __future__ import annotations

import math

from ..windows import conv_entry, per_dim
from .claims import conv_claimed, is_bilinear
from .computed import note as note_computed
from .binary import unpadded, zero_pads
from .lower import Proto
from .registry import Call, aten, lowers
from .stats import add as add_stats
from .stats import unmeasured


@lowers(aten.convolution, aten._convolution)
def conv(low, c: Call) -> None:
    """An im2col matmul (a transposed convolution: a matmul then a col2im sum)."""
    out = low.ev.out
    args = list(c.args) + [None] * (9 - len(c.args))
    x, w, bias, _stride, _pad, _dil, transposed, _opad, groups = args[:9]
    g = int(groups or 1)
    N, cin = x.shape[0], x.shape[1]
    kern = math.prod(w.shape[2:])
    tags = {"aten": "convolution"}
    im2col = None
    px, pw = low.read(x), low.read(w)
    if not transposed:
        cout = out.shape[1]
        m, k, n = N * math.prod(out.shape[2:]), cin // g * kern, cout // g
        batch = g
        if x.numel() != batch * m * k:  # im2col: each output position reads its window
            im2col = pid = low._proto(Proto("copy", low._name("im2col"), [px], [], tags={"part": "im2col"}))
            if not any(int(p) for p in (_pad if isinstance(_pad, (list, tuple)) else [_pad or 0])):
                unpadded(low).add(pid)  # its windows hold only input values (:mod:`.binary`)
            px = [(low._virtual(pid, (batch * m * k,), dtype=low.dt(x)), None)]
            # inputs read once per kernel row (hardware that reuses them across the window)
            tags["window_elems"] = int(N * cin * math.prod(out.shape[2:-1])
                                       * math.prod(w.shape[2:-1]) * x.shape[-1])
        if g > 1 and cin == g:  # one input channel a group: a host runs it as a direct kernel
            tags["depthwise"] = 1
        _dilated(low, x, w, out, _stride, _pad, _dil, batch * m * k * n)
    else:
        cout = w.shape[1] * g
        m, k, n = N * math.prod(x.shape[2:]), cin // g, cout // g * kern
        batch = g
    weight = conv_claimed(g, low._is_weight(pw))
    if weight:
        tags["weight_name"] = low.st.versions[pw[0][0]].name
        # k: C_in x kernel, the weight's trailing dimensions (a transposed conv's: its first)
        tags["weight_transposed"] = 0 if transposed else 1
        add_stats(low, tags, "conv_stats", x, w, _stride, _pad, _dil, bool(transposed))
    tags["part"] = "conv"
    if not transposed:
        pid = len(low.protos)
        low._matmul("conv", px, pw, batch, m, k, n, weight, out, bias, tags)
        mm = low.protos[pid] if pid < len(low.protos) else None
        if im2col is not None and mm is not None and mm.kind == "matmul":
            # one convolution call, one dispatch: oneDNN / cuDNN form the windows inside it
            low.protos[im2col].tags["launch"] = mm.tags.setdefault("launch", mm.name)
        _computed(low, pid, weight, g, px, pw)
        return
    direct = _windows_tile(w, _stride, _pad, _dil, _opad, out, batch * m * n)
    if direct and bias is None:  # the matmul writes the output (a partial write: a copy first)
        low._prepare_write(out)
    pid = low._proto(Proto("matmul", low._name("conv_transpose"), [px, pw], [], m=m, k=k, n=n,
                            batch=batch, weight=weight, tags=tags))
    _computed(low, pid, weight, g, px, pw)  # a weight-normed upsampler's (HiFi-GAN, MelGAN) too
    if direct:  # no window overlaps another: nothing to sum, the products are the output
        if bias is None:
            low.protos[pid].outputs.append(low._write(out, pid, name=low.protos[pid].name))
        else:
            v = low._virtual(pid, tuple(out.shape), dtype=low.dt(out))
            low.emit("elementwise", "add_bias", [[(v, None)], bias], [out], fn="add")
        return
    vid = low._virtual(pid, (batch * m * n,), dtype=low.dt(out))
    # col2im: overlapping kernel windows summed into the output
    # (tag part: col2im, the run's note when the partial sums cross a link: :mod:`cimsim.cost.col2im`)
    if bias is None:
        low.emit("reduction", "col2im", [[(vid, None)]], [out], tags={"part": "col2im"})
    else:
        last = low.emit("reduction", "col2im", [[(vid, None)]], [], tags={"part": "col2im"})
        v2 = low._virtual(last, tuple(out.shape), dtype=low.dt(out))
        low.emit("elementwise", "add_bias", [[(v2, None)], bias], [out], fn="add")

def _computed(low, pid, weight: bool, groups: int, px, pw) -> None:
    """List convolution matmul ``pid`` (plain or transposed, any dimension) whose weight is
    computed each forward (weight_norm, parametrize): said, not stationary (:mod:`.computed`)."""
    if not weight and groups == 1 and px and pw and pid is not None:
        note_computed(low, pid, (pw,))


def _dilated(low, x, w, out, stride, pad, dil, macs: int) -> None:
    """A dilated convolution's receptive field and MACs on padding, in
    ``metadata['dilated_convs']`` (:func:`~cimsim.workload.windows.conv_entry`)."""
    nd = w.dim() - 2
    d = per_dim(dil, 1, nd)
    if nd < 1 or max(d) <= 1:
        return
    sizes, pads = list(x.shape[-nd:]), per_dim(pad, 0, nd)
    pieces = low.st.pieces(x) if x.numel() and low.st.known(x) else []
    padded = zero_pads(low).get(pieces[0][0]) if len(pieces) == 1 else None
    if padded is not None and len(padded[1]) <= 2 * nd and min(padded[1]) >= 0:
        # x is a zero F.pad of a smaller tensor (an even kernel's padding='same' pads its extra
        # element so): its padding zeros count as the conv's own (pad list: last dim first)
        for i in range(len(padded[1]) // 2):
            sizes[nd - 1 - i] = padded[0][-1 - i]
            pads[nd - 1 - i] += padded[1][2 * i]
    low.__dict__.setdefault("dilated_convs", []).append(conv_entry(
        low.ev.module, sizes, out.shape[-nd:], w.shape[2:], per_dim(stride, 1, nd), pads, d, macs))


def _windows_tile(w, stride, pad, dil, opad, out, products: int) -> bool:
    """Whether a transposed convolution's kernel windows tile its output, each output element
    one product of the matmul: every (dilated) kernel extent at most its stride, no padding
    cropped, no output padding, as many products as outputs (a U-Net's k2s2 ConvTranspose2d).
    Then no col2im sums anything; where windows overlap (kernel > stride) it does."""
    ks = tuple(w.shape[2:])
    n = len(ks)
    st, pd, dl, op = ([int(v) for v in a] if isinstance(a, (list, tuple)) else [int(a or 0)] * n
                      for a in (stride, pad, dil, opad))
    return (out.numel() == products and not any(pd) and not any(op)
            and all(d * (k - 1) + 1 <= s for k, s, d in zip(ks, st, dl)))


@lowers(aten._trilinear)
def trilinear(low, c: Call) -> None:
    """``nn.Bilinear``'s form (:func:`bilinear`); any other ``_trilinear`` is unknown."""
    if not bilinear(low, c.args, low.ev.out):
        low._unknown(c)

def bilinear(low, args, out) -> bool:
    """``nn.Bilinear``: y[b, o] = sum_ij x1[b, i] W[o, i, j] x2[b, j] is the outer product
    x1 (x) x2 (B x IJ, elementwise) times the stationary W as an IJ x O matrix."""
    if not is_bilinear(args):
        return False
    x1, w, x2 = args[:3]
    B, (O, I, J) = x1.shape[0], w.shape
    pid = low.emit("elementwise", "outer", [x1, x2], [], fn="mul")
    outer = low._virtual(pid, (B, I * J), dtype=low.dt(x1))
    pw = low.read(w)
    weight = low._is_weight(pw)
    tags = {"aten": "_trilinear", **({"weight_name": low.st.versions[pw[0][0]].name} if weight else {})}
    if weight:  # --stats: its input is the outer product, not measured (counted as such)
        unmeasured(low)
    pid = low._matmul("bilinear", [(outer, None)], pw, 1, B, I * J, O, weight, out, None, tags)
    if not weight and pw and pid is not None:  # a weight-normed / parametrized W: said
        note_computed(low, pid, (pw,))
    return True
