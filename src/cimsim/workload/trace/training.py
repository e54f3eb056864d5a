"""The ops of a traced training step: losses, the backward of convolutions and norms, and the
optimizers' multi-tensor (``_foreach_*``) and fused (``_fused_adam_``) forms.

Counts (vector ops per element, as :data:`.aten.NORM_OPS_PER_ELEMENT` and the IR's table):

* ``nll_loss_forward``: one pick-and-add per target (a reduction of N elements); it reads the
  log-probabilities it is given. ``nll_loss_backward``: 1 per element of the gradient (each
  written as 0 or -g/N); it reads the targets, not the log-probabilities.
* ``_log_softmax_backward_data``: ``g - exp(y) * sum(g)``: sum 1, exp 4, multiply 1, subtract 1
  = 7 per element; ``_softmax_backward_data``: ``y * (g - sum(g * y))``: 4.
* ``mse_loss``: subtract, square, sum = 3 (``reduction='none'``: 2, no sum);
  ``mse_loss_backward``: ``(x - y) * (2 g / N)``: 2 (``'none'``, g a tensor: 3).
* ``convolution_backward``: two im2col matmuls, each with the forward's MACs: dX = dY . W^T
  (the weight stationary, read in the other orientation, as a Linear's dX), then a col2im sum
  into the input's shape (a transposed conv's dX: im2col(dY) . W^T); dW = im2col(X)^T . dY (no
  stationary operand; a transposed conv's: X^T . im2col(dY)); dB: a sum of dY. A depthwise
  conv's dW is tagged ``depthwise`` as its forward is (a host processor's direct kernel: no
  im2col(X) formed); its dX still writes the column matrix and sums it (col2im).
* the norm backwards (:data:`NORM_BACKWARD`): per element of the input, x_hat = (x - mean) *
  rstd 2 (when dX or dW is asked); dX 8 more (dx_hat = g * w, its sum, the sum of dx_hat *
  x_hat (2), rstd * (dx_hat - mean1 - x_hat * mean2) (4)); an eval batch norm's dX is
  g * (w * inv_std): 1, no x_hat; dW = sum(g * x_hat) 2; dB = sum(g) 1. All three: 13.
* the backward of a view (autograd's for any basic indexing: a loss on ``out[:, 0]``, a PINN's
  ``u_x = g[:, :1]``): ``slice_backward``, ``select_backward``, ``diagonal_backward`` write the
  zero-filled input-shaped gradient and the view's gradient into it: a copy reading the
  gradient (its numel) and writing the input's numel, no arithmetic; ``unfold_backward`` the
  same, summing overlapping windows: 1 add per gradient element read (as ``col2im``).
* ``max_pool2d_with_indices_backward`` / ``max_pool3d_with_indices_backward``: a scatter of the
  gradient to the pool's indices in the zero-filled input-shaped gradient, reading the gradient
  and the int64 indices (not the forward's input, passed for its shape) and writing the input's
  numel: 1 add per gradient element read (windows that overlap may pick the same maximum).
* ``_foreach_<op>`` (a list of tensors): one op per tensor, lowered as ``<op>`` on that
  tensor's arguments (``Adam(foreach=True)``, the default on CUDA, ``clip_grad_norm_``).
* ``_fused_adam_`` / ``_fused_adamw_``: one op per parameter tensor, reading p, g, m, v (and
  max v with ``amsgrad``, the step), writing p, m, v (and max v): not the gradients, which
  the schema marks mutable (the kernel unscales them in place under a grad scaler) but whose
  values a step leaves to ``zero_grad``. :data:`ADAM_OPS_PER_ELEMENT` each, as the unfused
  Adam's ops count: lerp 1, mul 1, addcmul 1, sqrt 4, div 1, add 1, addcdiv 1; +1 each for
  weight decay, ``amsgrad`` (a maximum), ``maximize`` (a negation) and a grad scale (a divide).

Registered on the lowerer's table (:data:`.registry.LOWERINGS`) as :mod:`.convs` is; split
from :mod:`.lower` to keep it within the module size limit.
"""

from __future__ import annotations

import math

from . import aten as A
from .claims import conv_claimed
from .computed import note as note_computed
from .lower import Proto
from .registry import LOWERINGS, Call, aten, bound_args, lowers
from .stats import unmeasured

LOG_SOFTMAX_BACKWARD_OPS_PER_ELEMENT = 7.0
SOFTMAX_BACKWARD_OPS_PER_ELEMENT = 4.0
#: per element: x_hat, the rest of dX (statistics), dX of an eval batch norm, dW, dB
NORM_BACKWARD_XHAT, NORM_BACKWARD_DX, NORM_BACKWARD_DX_EVAL, NORM_BACKWARD_DW, NORM_BACKWARD_DB = 2, 8, 1, 2, 1
ADAM_OPS_PER_ELEMENT = 10.0
#: the norm backwards: name -> index of their ``output_mask`` argument
NORM_BACKWARD = {"native_layer_norm_backward": 7, "native_batch_norm_backward": 9,
                 "native_group_norm_backward": 9}
#: ``_foreach_<op>`` lowered as ``<op>`` per tensor: the pointwise ops, ``norm``, ``max``
#: (reductions), ``zero`` (a fill) and ``copy``
FOREACH = sorted({*A.POINTWISE, "norm", "max", "zero", "copy"})


def _arg(low, c: Call, name: str, default=None):
    return bound_args(low.ev, c.args, low.ev.kwargs).get(name, default)


def _outs(low) -> list:
    out = low.ev.out
    return list(out) if isinstance(out, (tuple, list)) else [out]


def _live(t) -> bool:
    return t is not None and t.numel() > 0


# ------------------------------------------------------------------ losses
@lowers("nll_loss_forward", "nll_loss2d_forward")
def nll_loss(low, c: Call) -> None:
    target = c.args[1]
    low.emit("reduction", c.base, c.reads, c.targets, vec=float(target.numel()))


@lowers("nll_loss_backward", "nll_loss2d_backward")
def nll_loss_backward(low, c: Call) -> None:
    logp = c.args[1]  # read for its shape only
    reads = [t for t in c.reads if t is not logp]
    out = c.targets[0]
    low.emit("elementwise", c.base, reads, c.targets, fn="where", vec=float(out.numel()))


@lowers("_log_softmax_backward_data", "_softmax_backward_data")
def softmax_backward(low, c: Call) -> None:
    per = LOG_SOFTMAX_BACKWARD_OPS_PER_ELEMENT if c.base.startswith("_log") else SOFTMAX_BACKWARD_OPS_PER_ELEMENT
    low.emit("softmax", c.base, c.reads, c.targets, vec=per * c.targets[0].numel())


@lowers("mse_loss")
def mse_loss(low, c: Call) -> None:
    x = c.args[0]
    if _arg(low, c, "reduction", 1) == 0:  # 'none': (x - y)^2 per element
        low.emit("elementwise", c.base, c.reads, c.targets, fn="mul", vec=2.0 * x.numel())
    else:
        low.emit("reduction", c.base, c.reads, c.targets, vec=3.0 * x.numel())


@lowers("mse_loss_backward")
def mse_loss_backward(low, c: Call) -> None:
    x = c.args[1]
    per = 3.0 if _arg(low, c, "reduction", 1) == 0 else 2.0
    low.emit("elementwise", c.base, c.reads, c.targets, fn="mul", vec=per * x.numel())


# ------------------------------------------------------------------ view backward
@lowers("slice_backward", "select_backward", "diagonal_backward")
def view_backward(low, c: Call) -> None:
    low.emit("copy", c.base, c.reads, c.targets)


@lowers("unfold_backward")
def unfold_backward(low, c: Call) -> None:
    low.emit("reduction", c.base, c.reads, c.targets, vec=float(c.reads[0].numel()))


@lowers("max_pool2d_with_indices_backward", "max_pool3d_with_indices_backward")
def max_pool_backward(low, c: Call) -> None:
    x = c.args[1] if len(c.args) > 1 else None
    reads = [t for t in c.reads if t is not x]
    low.emit("reduction", c.base, reads, c.targets, vec=float(c.args[0].numel()))


# ------------------------------------------------------------------ convolution backward
def _cols(low, t, numel: int, base: str):
    """``t`` as an im2col matrix of ``numel`` elements: its pieces, or a copy that makes it."""
    pieces = low.read(t)
    if t.numel() == numel:
        return pieces
    pid = low._proto(Proto("copy", low._name(base), [pieces], [], tags={"part": "im2col"}))
    return [(low._virtual(pid, (numel,), dtype=low.dt(t)), None)]


@lowers(aten.convolution_backward)
def conv_backward(low, c: Call) -> None:
    """dX, dW and dB of a convolution (the module docstring), each when ``output_mask`` asks."""
    gy, x, w = c.args[:3]
    transposed, groups = bool(_arg(low, c, "transposed")), int(_arg(low, c, "groups", 1))
    gx, gw, gb = (_outs(low) + [None] * 3)[:3]
    g, kern = groups, math.prod(w.shape[2:])
    n_img, cin = x.shape[0], x.shape[1]
    cout = w.shape[1] * g if transposed else w.shape[0]
    tags = {"aten": "convolution_backward"}
    if not transposed:
        p_out = math.prod(gy.shape[2:])
        m, kx, nx = n_img * p_out, cout // g, cin // g * kern  # dX: (N P_out x Cout) . (Cout x Cin k)
    else:
        p_in = math.prod(x.shape[2:])
        m, kx, nx = n_img * p_in, cout // g * kern, cin // g  # dX: im2col(dY) . W^T
    dy_cols = None
    if _live(gx):
        pw = low.read(w)
        weight = conv_claimed(g, low._is_weight(pw))
        t = {**tags, "part": "conv_dx"}
        if weight:
            t["weight_name"] = low.st.versions[pw[0][0]].name
            t["weight_transposed"] = 1 if transposed else 0  # k: C_out, the forward's n
            unmeasured(low)  # --stats: a backward matmul's operands are not measured
        if not transposed:
            pa = low.read(gy)
            if g * m * nx == gx.numel():  # a 1x1 stride-1 conv: the columns are dX
                pid = low._matmul("conv_dx", pa, pw, g, m, kx, nx, weight, gx, None, t)
            else:
                pid = low._proto(Proto("matmul", low._name("conv_dx"), [pa, pw], [], m=m, k=kx, n=nx,
                                       batch=g, weight=weight, tags=t))
                vid = low._virtual(pid, (g * m * nx,), dtype=low.dt(gx))
                # overlapping windows summed (tag part: col2im, as the forward's: the footprint
                # holds no partial-sum matrix, the link note gives its bytes)
                low.emit("reduction", "col2im", [[(vid, None)]], [gx], tags={"part": "col2im"})
        else:
            dy_cols = _cols(low, gy, g * m * kx, "im2col")
            pid = low._matmul("conv_dx", dy_cols, pw, g, m, kx, nx, weight, gx, None, t)
        if not weight and g == 1 and pw and pid is not None:  # a weight-normed conv's dX: said
            note_computed(low, pid, (pw,))
    if _live(gw):
        t = {**tags, "part": "conv_dw"}
        if not transposed and g > 1 and cin == g:  # depthwise: a host's direct kernel (as the forward)
            t["depthwise"] = 1
        if not transposed:  # im2col(X)^T . dY: (Cin k x N P_out) . (N P_out x Cout)
            xa = _cols(low, x, g * m * nx, "im2col")
            low._matmul("conv_dw", xa, low.read(gy), g, nx, m, kx, False, gw, None, t)
        else:  # X^T . im2col(dY): (Cin x N P_in) . (N P_in x Cout k)
            dy_cols = dy_cols or _cols(low, gy, g * m * kx, "im2col")
            low._matmul("conv_dw", low.read(x), dy_cols, g, nx, m, kx, False, gw, None, t)
    if _live(gb):
        low.emit("reduction", "conv_db", [gy], [gb])


# ------------------------------------------------------------------ norm backward
@lowers(*NORM_BACKWARD)
def norm_backward(low, c: Call) -> None:
    mask = c.args[NORM_BACKWARD[c.base]]
    dx, dw, db = (bool(b) for b in mask)
    eval_bn = c.base == "native_batch_norm_backward" and not _arg(low, c, "train", True)
    per = (NORM_BACKWARD_XHAT if (dx and not eval_bn) or dw else 0)
    per += (NORM_BACKWARD_DX_EVAL if eval_bn else NORM_BACKWARD_DX) if dx else 0
    per += NORM_BACKWARD_DW * dw + NORM_BACKWARD_DB * db
    writes = [t for t in _outs(low) if _live(t)]
    low.emit("layernorm", c.base, c.reads, writes, vec=float(per * c.args[1].numel()))


# ------------------------------------------------------------------ optimizers
def _per_tensor(low, c: Call):
    """Yield (i, args of tensor i, its target) of a ``_foreach_*`` call."""
    first = c.args[0]
    outs = None if c.mutated else _outs(low)
    for i, t in enumerate(first):
        args = tuple(a[i] if isinstance(a, (list, tuple)) and len(a) == len(first) else a for a in c.args)
        yield args, (t if c.mutated else outs[i])


@lowers(*(f"_foreach_{n}" for n in FOREACH))
def foreach(low, c: Call) -> None:
    """Each tensor of the list lowered as the single-tensor op (its registered lowering)."""
    single = c.base.removeprefix("_foreach_")
    rule = LOWERINGS[getattr(aten, single)]
    tensor = low.torch.Tensor
    for args, target in _per_tensor(low, c):
        if not _live(target):
            continue
        ins = [a for a in args if isinstance(a, tensor)]
        reads = [t for t in ins if t.numel() and not (single in A.WRITE_ONLY and t is target)]
        rule.lower(low, Call(single, args, ins, c.mutated, [target], reads))


@lowers("_fused_adam_", "_fused_adamw_")
def fused_adam(low, c: Call) -> None:
    """One op per parameter tensor (the module docstring); the gradients are read, not written."""
    params, grads, m, v, vmax, steps = c.args[:6]
    extra = sum(bool(x) for x in (_arg(low, c, "weight_decay", 0), _arg(low, c, "amsgrad", False),
                                  _arg(low, c, "maximize", False),
                                  _arg(low, c, "grad_scale") is not None))
    scalars = [t for t in (_arg(low, c, "lr"), _arg(low, c, "grad_scale"), _arg(low, c, "found_inf"))
               if isinstance(t, low.torch.Tensor)]
    for i, p in enumerate(params):
        if not p.numel():
            continue
        state = [m[i], v[i]] + ([vmax[i]] if len(vmax) == len(params) else [])
        reads = [p, grads[i], *state, steps[i], *scalars]
        low.emit("elementwise", c.base.strip("_"), reads, [p, *state], fn="add",
                 vec=(ADAM_OPS_PER_ELEMENT + extra) * p.numel())
