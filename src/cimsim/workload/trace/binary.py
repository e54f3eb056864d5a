"""Which traced tensors hold only the values 0 and 1 (a spiking network's spikes), and the tag
``input_value_bits: 1`` (:mod:`cimsim.workload.activity`) on a weight matmul that reads one.

A tensor is binary when

1. its dtype is ``bool`` (a comparison's result), or it is written by
2. a cast or reordering copy (:data:`.aten.REORDER`: ``.float()``, ``.contiguous()``) or a
   value-keeping copy (:data:`KEEPS`: ``cat``, ``stack``, ``flip``, ...) or a max pool, of
   binary tensors only;
3. ``torch.where(cond, a, b)`` with ``a`` and ``b`` each binary or a constant 0 or 1: a number,
   or what a :data:`CONSTS` factory wrote (``torch.ones_like(v)``, ``torch.full(s, 0.)``, and
   the ``scalar_tensor`` a meta trace wraps a number in, where a CPU trace reads the number);
4. ``torch.heaviside(x, values)`` with ``values`` binary or a constant 0 or 1 (its output is 0,
   ``values`` or 1);
5. ``torch.bernoulli(p)`` of a tensor of probabilities (:func:`.randoms.reads_values`: the rate
   encoder; its draws are 0 or 1);
6. a write of 0/1 values into a tensor of 0/1 values (:data:`PUTS`: ``scatter`` /
   ``scatter_`` of a 0 or 1 or of a binary source, ``index_put`` without ``accumulate``,
   ``masked_fill``, ``index_fill``; the tensor written a binary one or a :data:`CONSTS` factory's
   0 or 1): ``F.one_hot(tok, C)`` (torch runs it as ``zeros`` then ``scatter_`` of 1), and
   ``torch.zeros(N, C).scatter_(1, tok, 1.0)`` or ``x[i, tok] = 1`` written out; integer
   results too (one_hot's is int64), and a cast keeps them binary (rule 2);
7. ``torch.eye`` (:data:`BINARY_FACTORIES`), or a registered buffer the forward never writes
   whose values (a real, not a meta or fake, tensor) are all 0 or 1
   (``register_buffer('eye', torch.eye(4))``), so that a row lookup of it (``eye[tok]``,
   ``F.embedding(tok, eye)``: value-keeping copies, rule 2) is a one-hot too;

and a weight matmul's input is binary when every piece it reads is (a convolution's im2col
windows read their input's pieces, its padding zeros). A float model input or anything
computed (a sum, a product) is not, nor a constant read other than by rules 3, 4, 6 and 7 (an
RNN's zero state read by its first step's matmul stays untagged): only ``cimsim trace
--stats`` can say its values are 0/1 (:func:`.stats.add`). Nothing else reads these marks; an
op without the tag costs as before.
"""

from __future__ import annotations

from . import aten as A
from .randoms import reads_values
from .registry import bound_args
from .storage import storage_key

#: copies whose output holds only values of their inputs
KEEPS = {"cat", "stack", "repeat", "roll", "flip", "tile", "repeat_interleave", "narrow_copy",
         "upsample_nearest1d", "upsample_nearest2d", "upsample_nearest3d", "index", "gather",
         "_unsafe_index", "take", "pixel_shuffle", "pixel_unshuffle", "im2col", "unfold_copy",
         "embedding", "index_select"}
#: writes of values into a tensor (rule 6): op -> the arguments that may give the value written
PUTS = {"scatter": ("value", "src"), "index_put": ("values",), "_index_put_impl": ("values",),
        "masked_fill": ("value",), "index_fill": ("value",)}
#: factories of 0s and 1s (rule 7)
BINARY_FACTORIES = {"eye"}


#: factories of one value: the value, or the name of the argument that gives it
CONSTS = {"zeros": 0, "zeros_like": 0, "new_zeros": 0, "ones": 1, "ones_like": 1, "new_ones": 1,
          "full": "fill_value", "full_like": "fill_value", "new_full": "fill_value",
          "scalar_tensor": "s"}


def _marks(low) -> set:
    return low.__dict__.setdefault("_binary", set())


def _consts(low) -> set:
    """Versions a :data:`CONSTS` factory filled with 0 or 1 (each its own constant input)."""
    return low.__dict__.setdefault("_binary_consts", set())


def _is_number01(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, complex) and float(v) in (0.0, 1.0)


def _is_constant01(low, v) -> bool:
    """Whether ``v`` (an argument of a where or heaviside) is a number 0 or 1, or a tensor of
    such a factory (a write since makes a new version, not one of :func:`_consts`)."""
    if not isinstance(v, low.torch.Tensor):
        return _is_number01(v)
    consts = _consts(low)
    return bool(v.numel()) and low.st.known(v) and all(vid in consts for vid, _ in low.st.pieces(v))


def _is_binary(low, t) -> bool:
    """Whether tensor ``t`` (already read) holds only 0 and 1."""
    torch = low.torch
    if not isinstance(t, torch.Tensor):
        return _is_number01(t)
    if t.dtype == torch.bool:
        return True
    if t.dim() == 0 and t.device.type != "meta" and not t.is_complex():  # a wrapped number
        try:
            return float(t) in (0.0, 1.0)
        except Exception:  # a fake tensor has no value
            return False
    if not t.numel() or not low.st.known(t):
        return False
    return pieces_binary(low, low.st.pieces(t)) or _buffer01(low, t)


def _buffer01(low, t) -> bool:
    """Rule 7: ``t`` is a registered buffer (or a view of one) that no traced op wrote, on a
    real device, all of whose values are 0 or 1."""
    from torch._subclasses.fake_tensor import FakeTensor

    base = t._base if t._base is not None else t
    if t.device.type == "meta" or isinstance(t, FakeTensor) or t.is_complex() \
            or storage_key(base) not in getattr(low, "buffer_keys", ()):
        return False
    if any(low.st.versions[vid].producer >= 0 for vid, _ in low.st.pieces(t)):
        return False
    return bool(((base == 0) | (base == 1)).all())


def pieces_binary(low, pieces) -> bool:
    """Whether every piece of ``pieces`` (of a matmul operand) is of a binary version, or of an
    im2col window copy of binary pieces."""
    marks = _marks(low)
    if not pieces:
        return False
    for vid, _ in pieces:
        if vid in marks:
            continue
        pid = low.st.versions[vid].producer
        p = low.protos[pid] if pid >= 0 else None
        if p is None or p.tags.get("part") != "im2col" or not all(pieces_binary(low, o) for o in p.operands):
            return False
    return True


def before(low, call) -> bool:
    """Rule 6, before event ``call`` is lowered (an in-place write replaces what it writes
    into): whether it writes 0/1 values into a tensor of 0/1 values."""
    if call.base not in PUTS:
        return False
    named = bound_args(low.ev, call.args, low.ev.kwargs)
    new = next((named[k] for k in PUTS[call.base] if k in named), None)
    if new is None or named.get("accumulate") or named.get("reduce") is not None:
        return False
    into = named.get("self")
    return all(_is_constant01(low, v) or _is_binary(low, v) for v in (new, into))


def after(low, call, put: bool = False) -> None:
    """Mark the outputs of lowered event ``call`` binary where the module rules say so (an
    index or a max pool's indices, integer, are not values that land in the output); ``put``:
    :func:`before`'s answer."""
    torch, base = low.torch, call.base
    if base in CONSTS:
        value = CONSTS[base]
        if isinstance(value, str):
            value = bound_args(low.ev, call.args, low.ev.kwargs).get(value)
        if _is_number01(value):
            _consts(low).update(vid for t in call.targets if t.numel() and low.st.known(t)
                                and not low.st.rest_of_units(t) for vid, _ in low.st.pieces(t))
        return
    if base in PUTS or base in BINARY_FACTORIES:
        ok = put or base in BINARY_FACTORIES
    elif base == "where":
        vals = list(call.args[1:3])
        ok = len(vals) == 2 and all(_is_constant01(low, v) or _is_binary(low, v) for v in vals)
    elif base == "heaviside":  # 0, ``values`` or 1
        ok = len(call.args) > 1 and any(f(low, call.args[1]) for f in (_is_constant01, _is_binary))
    elif base == "bernoulli":
        ok = reads_values(base, low.ev.func, call.reads)
    elif keeps_values(base):
        # a cast's integer input is its value; another op's integer input is an index
        vals = [t for t in call.reads if t.is_floating_point() or t.dtype == torch.bool
                or (base in A.REORDER and not t.is_complex())]
        ok = bool(vals) and all(_is_binary(low, t) for t in vals)
    else:
        return
    if not ok:
        return
    ints = not base.startswith(("max_pool", "adaptive_max_pool"))  # a max pool's: its indices
    for t in call.targets:
        if t.numel() and low.st.known(t) and (ints or t.is_floating_point() or t.dtype == torch.bool):
            _marks(low).update(vid for vid, _ in low.st.pieces(t))


def tag(low, tags, pieces) -> None:
    """``input_value_bits: 1`` on a weight matmul's ``tags`` whose input ``pieces`` are binary."""
    if pieces_binary(low, pieces):
        tags["input_value_bits"] = 1


def keeps_values(base: str) -> bool:
    """Rule 2 by op name: whether aten op ``base`` writes only values of its inputs (a cast or
    reordering copy, a value-keeping copy, a max pool), so binary inputs make a binary output.
    The ONNX import (:mod:`cimsim.workload.onnx_lower`) applies it to its node types, each
    named by the aten op it lowers like (``Cast``: ``_to_copy``, ``Concat``: ``cat``)."""
    return base in A.REORDER or base in KEEPS or base.startswith(("max_pool", "adaptive_max_pool"))
