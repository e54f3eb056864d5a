"""Which traced tensors hold only the values 0 and 1 (a spiking network's spikes), -1 and +1 (a
binary neural network's or a bipolar hypervector's signs) or -1, 0 and +1 (``torch.sign``), and
the tags (:mod:`cimsim.workload.activity`) on a weight matmul that reads one:
``input_value_bits: 1`` for 0/1, with ``input_value_signed: 1`` for -1/0/+1 and also
``input_bipolar: 1`` for -1/+1.

Each marked version carries its value set, a subset of {-1, 0, 1}. A tensor's set is

1. {0, 1} when its dtype is ``bool`` (a comparison's result), or it is written by
2. a cast or reordering copy (:data:`.aten.REORDER`: ``.float()``, ``.contiguous()``) or a
   value-keeping copy (:data:`KEEPS`: ``cat``, ``stack``, ``flip``, ...) or a max pool, of
   marked tensors only: the union of their sets;
3. ``torch.where(cond, a, b)`` with ``a`` and ``b`` each marked or a constant -1, 0 or 1: a
   number, or what a :data:`CONSTS` factory wrote (``torch.ones_like(v)``, ``torch.full(s, -1.)``,
   and the ``scalar_tensor`` a meta trace wraps a number in, where a CPU trace reads the
   number): the union of the two (``where(x >= 0, 1., -1.)``: {-1, 1});
4. ``torch.heaviside(x, values)`` with ``values`` marked or a constant: {0, 1} and its set;
5. ``torch.bernoulli(p)`` of a tensor of probabilities (:func:`.randoms.reads_values`: the rate
   encoder; its draws are 0 or 1): {0, 1};
6. ``torch.sign`` / ``torch.sgn`` of a real floating-point tensor: {-1, 0, 1} (sign(0) is 0);
7. ``neg`` of a marked tensor (its set negated), ``mul`` of marked tensors or constants -1, 0, 1
   (the products: a bipolar bind, ``a * b`` of two ±1 hypervectors, is {-1, 1});
8. a write of marked values into a marked tensor (:data:`PUTS`: ``scatter`` / ``scatter_`` of a
   number -1, 0 or 1 or of a marked source, ``index_put`` without ``accumulate``,
   ``masked_fill``, ``index_fill``; the tensor written a marked one or a :data:`CONSTS`
   factory's): the union of the two. ``F.one_hot(tok, C)`` (torch runs it as ``zeros`` then
   ``scatter_`` of 1) is {0, 1}, as are ``torch.zeros(N, C).scatter_(1, tok, 1.0)`` or
   ``x[i, tok] = 1`` written out; integer results too (one_hot's is int64), and a cast keeps
   them (rule 2);
9. ``torch.eye`` (:data:`BINARY_FACTORIES`): {0, 1}; a registered buffer the forward never
   writes whose values (a real, not a meta or fake, tensor) are all -1, 0 or 1: the values it
   holds (``register_buffer('eye', torch.eye(4))``), so that a row lookup of it (``eye[tok]``,
   ``F.embedding(tok, eye)``: value-keeping copies, rule 2) is a one-hot too;

and a weight matmul's input set is the union over every piece it reads (a convolution's im2col
windows read their input's pieces, and its padding zeros, where it pads, add 0: a ±1 conv with
``padding=1`` reads -1/0/+1, one without ±1; ``F.unfold(x, k, padding=p)`` likewise, rule 2 with
0 added for ``p > 0``). With ``--stats`` the set measured on the operand as the matmul read it
replaces these (:func:`tag`). A float model input or
anything else computed (a sum, ``2 * b - 1``) is not marked, nor a constant read other than by
rules 3, 4, 7, 8 and 9 (an RNN's zero state read by its first step's matmul stays untagged): only
``cimsim trace --stats`` can say its values are 0/1 or ±1 (:func:`.stats.add`). Nothing else
reads these marks; an op without the tags costs as before.
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
#: writes of values into a tensor (rule 8): op -> the arguments that may give the value written
PUTS = {"scatter": ("value", "src"), "index_put": ("values",), "_index_put_impl": ("values",),
        "masked_fill": ("value",), "index_fill": ("value",)}
#: factories of 0s and 1s (rule 9)
BINARY_FACTORIES = {"eye"}


#: factories of one value: the value, or the name of the argument that gives it
CONSTS = {"zeros": 0, "zeros_like": 0, "new_zeros": 0, "ones": 1, "ones_like": 1, "new_ones": 1,
          "full": "fill_value", "full_like": "fill_value", "new_full": "fill_value",
          "scalar_tensor": "s"}
BINARY, BIPOLAR, TERNARY = frozenset({0, 1}), frozenset({-1, 1}), frozenset({-1, 0, 1})


def _marks(low) -> dict:
    """Version id -> its value set (a subset of :data:`TERNARY`)."""
    return low.__dict__.setdefault("_binary", {})


def _consts(low) -> dict:
    """Versions a :data:`CONSTS` factory filled with -1, 0 or 1 (each its own constant input)
    -> that value."""
    return low.__dict__.setdefault("_binary_consts", {})


def _number(v):
    """The value set of a number -1, 0 or 1 (None for any other)."""
    if isinstance(v, (int, float)) and not isinstance(v, complex) and float(v) in (-1.0, 0.0, 1.0):
        return frozenset({int(v)})
    return None


def _union(sets):
    sets = list(sets)
    return None if not sets or any(s is None for s in sets) else frozenset().union(*sets)


def values(low, v):
    """The value set of ``v`` (an argument or a read tensor): a number -1, 0 or 1, a
    :data:`CONSTS` factory's tensor (a write since makes a new version, not one of
    :func:`_consts`), a bool tensor, or a marked one; None when unknown."""
    torch = low.torch
    if not isinstance(v, torch.Tensor):
        return _number(v)
    if v.dtype == torch.bool:
        return BINARY
    if v.is_complex():
        return None
    if v.dim() == 0 and v.device.type != "meta":  # a wrapped number
        try:
            return _number(float(v))
        except Exception:  # a fake tensor has no value
            return None
    if not v.numel() or not low.st.known(v):
        return None
    consts = _consts(low)
    pieces = low.st.pieces(v)
    if pieces and all(vid in consts for vid, _ in pieces):
        return frozenset(consts[vid] for vid, _ in pieces)
    s = pieces_values(low, pieces)
    return s if s is not None else _buffer_values(low, v)


def _buffer_values(low, t):
    """Rule 9: the values of ``t``, a registered buffer (or a view of one) that no traced op
    wrote, on a real device, when all are -1, 0 or 1; else None."""
    from torch._subclasses.fake_tensor import FakeTensor

    base = t._base if t._base is not None else t
    if t.device.type == "meta" or isinstance(t, FakeTensor) or t.is_complex() \
            or storage_key(base) not in getattr(low, "buffer_keys", ()):
        return None
    if any(low.st.versions[vid].producer >= 0 for vid, _ in low.st.pieces(t)):
        return None
    held = frozenset(int(x) for x in base.unique().tolist()) if \
        bool(((base == 0) | (base == 1) | (base == -1)).all()) else None
    return held or None


def unpadded(low) -> set:
    """The im2col window copies (proto indices) of convolutions without padding."""
    return low.__dict__.setdefault("_unpadded_im2col", set())


def pieces_values(low, pieces):
    """The union of the value sets of ``pieces`` (of a matmul operand), each of a marked
    version or of an im2col window copy of marked pieces (with 0 where the convolution pads:
    not one of :func:`unpadded`); None when any is unknown."""
    marks, out = _marks(low), set()
    if not pieces:
        return None
    for vid, _ in pieces:
        if vid in marks:
            out |= marks[vid]
            continue
        pid = low.st.versions[vid].producer
        p = low.protos[pid] if pid >= 0 else None
        if p is None or p.tags.get("part") != "im2col":
            return None
        inner = _union(pieces_values(low, o) for o in p.operands)
        if inner is None:
            return None
        out |= inner if pid in unpadded(low) else inner | {0}  # with its padding zeros
    return frozenset(out)


def _product(sets):
    out = frozenset({1})
    for s in sets:
        out = frozenset(a * b for a in out for b in s)
    return out


def before(low, call):
    """Rule 8, before event ``call`` is lowered (an in-place write replaces what it writes
    into): the value set of what it writes marked values into a marked tensor, or None."""
    if call.base not in PUTS:
        return None
    named = bound_args(low.ev, call.args, low.ev.kwargs)
    new = next((named[k] for k in PUTS[call.base] if k in named), None)
    if new is None or named.get("accumulate") or named.get("reduce") is not None:
        return None
    return _union(values(low, v) for v in (new, named.get("self")))


def after(low, call, put=None) -> None:
    """Mark the outputs of lowered event ``call`` with their value set where the module rules
    say so (an index or a max pool's indices, integer, are not values that land in the
    output); ``put``: :func:`before`'s answer."""
    torch, base = low.torch, call.base
    if base == "constant_pad_nd":
        _zero_pad(low, call)
    if base in CONSTS:
        value = CONSTS[base]
        if isinstance(value, str):
            value = bound_args(low.ev, call.args, low.ev.kwargs).get(value)
        if _number(value) is not None:
            _consts(low).update((vid, int(value)) for t in call.targets if t.numel() and low.st.known(t)
                                and not low.st.rest_of_units(t) for vid, _ in low.st.pieces(t))
        return
    if base in PUTS or base in BINARY_FACTORIES:
        s = BINARY if base in BINARY_FACTORIES else put
    elif base == "where":
        vals = list(call.args[1:3])
        s = _union(values(low, v) for v in vals) if len(vals) == 2 else None
    elif base == "heaviside":  # 0, ``values`` or 1
        s = _union([BINARY, values(low, call.args[1])]) if len(call.args) > 1 else None
    elif base == "bernoulli":
        s = BINARY if reads_values(base, low.ev.func, call.reads) else None
    elif base in ("sign", "sgn"):
        s = TERNARY if call.reads and call.reads[0].is_floating_point() else None
    elif base == "neg":
        s = values(low, call.args[0]) if call.args else None
        s = None if s is None else frozenset(-x for x in s)
    elif base == "mul":
        sets = [values(low, v) for v in call.args[:2]]
        s = None if len(sets) != 2 or None in sets else _product(sets)
    elif keeps_values(base):
        # a cast's integer input is its value; another op's integer input is an index
        vals = [t for t in call.reads if t.is_floating_point() or t.dtype == torch.bool
                or (base in A.REORDER and not t.is_complex())]
        s = _union(values(low, t) for t in vals)
        if s and base == "im2col" and _pads(low, call):  # F.unfold's padding zeros
            s = s | {0}
    else:
        return
    if not s:
        return
    ints = not base.startswith(("max_pool", "adaptive_max_pool"))  # a max pool's: its indices
    for t in call.targets:
        if t.numel() and low.st.known(t) and (ints or t.is_floating_point() or t.dtype == torch.bool):
            _marks(low).update((vid, s) for vid, _ in low.st.pieces(t))


def zero_pads(low) -> dict:
    """Version id -> (the padded tensor's shape, the pad list) of each ``F.pad`` with zeros
    (``constant_pad_nd``, value 0: also torch's extra right element of an even kernel's
    ``padding='same'``), for a dilated convolution's padding share (:mod:`.convs`)."""
    return low.__dict__.setdefault("_zero_pads", {})


def _zero_pad(low, call) -> None:
    named = bound_args(low.ev, call.args, low.ev.kwargs)
    pad, x = named.get("pad"), named.get("self")
    if not named.get("value") and pad is not None and x is not None:
        for t in call.targets:
            if t.numel() and low.st.known(t):
                zero_pads(low).update((vid, (tuple(x.shape), [int(p) for p in pad]))
                                      for vid, _ in low.st.pieces(t))


def _pads(low, call) -> bool:
    """Whether ``im2col`` event ``call`` pads (its ``padding`` argument non-zero)."""
    pad = bound_args(low.ev, call.args, low.ev.kwargs).get("padding", 0)
    return any(int(p) for p in (pad if isinstance(pad, (list, tuple)) else [pad or 0]))


def tags_of(s) -> dict:
    """The tags of an input of value set ``s`` (none for an unknown one)."""
    if s is None:
        return {}
    if s <= BINARY:
        return {"input_value_bits": 1}
    if s <= BIPOLAR:
        return {"input_value_bits": 1, "input_value_signed": 1, "input_bipolar": 1}
    return {"input_value_bits": 1, "input_value_signed": 1}


VALUE_TAGS = ("input_value_bits", "input_value_signed", "input_bipolar")


def tag(low, tags, pieces) -> None:
    """The value tags (:func:`tags_of`) on a weight matmul's ``tags`` whose input ``pieces``
    are marked; where ``--stats`` measured the input (``input_ones``), the measured set's tags
    (:func:`.stats.input_stats`) stand instead (a set the trace proves may be narrower than
    what the data holds, never wider: the measurement is of the operand as read)."""
    if "input_ones" not in tags:
        tags.update(tags_of(pieces_values(low, pieces)))


def keeps_values(base: str) -> bool:
    """Rule 2 by op name: whether aten op ``base`` writes only values of its inputs (a cast or
    reordering copy, a value-keeping copy, a max pool), so marked inputs make a marked output.
    The ONNX import (:mod:`cimsim.workload.onnx_lower`) applies it to its node types, each
    named by the aten op it lowers like (``Cast``: ``_to_copy``, ``Concat``: ``cat``)."""
    return base in A.REORDER or base in KEEPS or base.startswith(("max_pool", "adaptive_max_pool"))
