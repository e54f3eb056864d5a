"""``cimsim trace --stats``: the data statistics of each weight matmul, measured on the model's
real example inputs (the tags of :mod:`cimsim.workload.activity`).

What is measured, and why this form. The energies that depend on data (:mod:`cimsim.hw.circuits`)
take one activity per op: the fraction of ones of an input bit-plane (a row is driven, a cell
conducts, only for a one) and the fraction of cells on. So per op the tracer records that figure
itself, counted on the operands quantised exactly as the accuracy emulator quantises them
(:mod:`cimsim.accuracy.emulator`: inputs per activation row to ``2^b - 1`` (a row without a
negative) or offset-binary ``b`` bits (a row with one); weights per column, symmetric, stored offset-binary), at stated
bits (``input_stats_bits``, ``weight_stats_bits``; default 8 each, the bundled CIM configs'
``input_bits`` and ``weight_bits``). Binary (1-bit) weights, and 1-bit inputs with negatives,
are their sign (``>= 0`` a one).
A CIM whose precision differs uses its configured default for that op and counts it (the
fraction of ones depends on ``b``: the low planes of a bell-shaped distribution are near 1/2,
its high planes sparse, so a figure at one ``b`` is not another's). A value histogram would
serve every ``b`` but costs hundreds of numbers per op in the workload file; the figure costs
one, and tracing again with ``--stats-bits`` (``B`` or ``B_IN,B_W``) gives it for another
precision. An input whose every value is 0 or 1 (a spike train) is quantised alike at every
``b`` (each row's codes are 0 and ``2^b - 1``: every plane is the input itself), so its figure
holds at any precision: such an op is tagged ``input_value_bits: 1`` too, and a CIM uses its
``input_ones`` whatever its ``input_bits`` (:mod:`cimsim.hw.cim.activity`). One whose every
value is -1 or +1 (or -1, 0, +1) is tagged ``input_value_signed: 1`` (and ``input_bipolar: 1``)
besides (:func:`.binary.tags_of`), and costed as :mod:`cimsim.hw.cim.inbits` says; its
``input_ones`` is then the density of the planes the CIM applies offset-binary
(:func:`signed_ones`: the fraction of +1 for ±1), not of a ``b``-bit code, and holds at any
precision too.

Counting: ones over all elements and planes, one integer, divided once (exact up to the one
rounding of the division). A convolution's input is its im2col matrix (each output position's
window, zero padding included: what the arrays receive), 1-D and 2-D convolutions; other
convolutions record no input figure. The operands are copied when the op runs (an in-place op
later in the forward cannot change what was measured); parameters and buffers only once
something is about to write them in place (:func:`before_write`: an optimizer step).

A model of fake tensors (shapes only, ``--zoo`` without ``--real-weights``) has no data: the
tracer records nothing and says so; the CIM then uses its configured activity for every op.
"""

from __future__ import annotations

#: aten overload packets (by name) whose operands are kept for the statistics
MATMUL_OPS = ("mm", "addmm", "_addmm_activation", "bmm", "baddbmm", "mv", "addmv", "dot", "vdot",
              "convolution", "_convolution")
DEFAULT_BITS = 8


def has_data(torch, *tensors) -> bool:
    """Whether every tensor holds real values (not fake, not on the meta device)."""
    from torch._subclasses.fake_tensor import FakeTensor

    return all(not isinstance(t, FakeTensor) and t.device.type != "meta" for t in tensors)


def _ones(torch, codes, bits: int) -> float:
    """Mean fraction of ones over the ``bits`` planes of non-negative integer ``codes``."""
    total = 0
    for j in range(bits):
        total += int(((codes >> j) & 1).sum())
    return total / (codes.numel() * bits)


#: the statistics rules' version: a change to what they count names new cached traces
#: (2: 2026-12-05, a convolution's windows take their sample's encoding and scale; 3: the weight's
#: exact zeros, all-zero rows and columns: :func:`zero_stats`; 4: ``input_value_bits`` 1 on an
#: input of 0/1 only; 5: an input of -1/0/+1 only: ``input_ones`` of its applied planes,
#: :func:`signed_ones`)
STATS_RULES = 5


def input_stats(torch, x2d, bits: int, off=None, amax=None) -> dict:
    """``input_ones`` and ``input_zeros`` of an M x K input (module rules); ``off`` / ``amax``
    (M x 1): each row's encoding and scale where they are not its own (a convolution's
    im2col rows take their sample's, as the emulator does)."""
    from ...accuracy.arith import Arith
    from ...accuracy.emulator import input_mode, quantize_inputs

    a = Arith(input_bits=bits, weight_bits=max(2, bits))
    x = x2d.detach().to(torch.float32)
    if off is None:
        off = input_mode(x, a)  # per row, as the emulator: True where the row holds a negative
    xi, _ = quantize_inputs(x, a, off, amax)
    codes = xi + off.to(torch.int64) * 2 ** (bits - 1)
    if bits == 1:  # binary signed inputs: the sign, x >= 0 a one
        codes = torch.where(off, (x >= 0).to(torch.int64), codes)
    out = {"input_ones": _ones(torch, codes, bits), "input_zeros": int((x == 0).sum()) / x.numel()}
    if bool(((x == 0) | (x == 1) | (x == -1)).all()):  # 0/1 (a spike train), ±1 or -1/0/+1
        from .binary import tags_of

        held = frozenset(int(v) for v in torch.unique(x).tolist())
        out.update(tags_of(held))
        if -1 in held:  # the planes a CIM applies (hw.cim.inbits), whatever its input_bits
            out["input_ones"] = signed_ones(torch, x, 0 not in held)
    return out


def signed_ones(torch, x, bipolar: bool) -> float:
    """The fraction of ones of the planes a CIM applies for an input of only -1, 0 and +1
    sent offset-binary (:mod:`cimsim.hw.cim.inbits`): ±1 (``bipolar``) as the one plane
    ``(x + 1) / 2`` (the fraction of +1); -1/0/+1 as the 2 planes of ``x + 1`` in {0, 1, 2}
    (0 -> 01 and +1 -> 10 one 1 each, -1 -> 00 none: the fraction not -1, halved)."""
    plus = int((x == 1).sum()) / x.numel()
    return plus if bipolar else (1 - int((x == -1).sum()) / x.numel()) / 2


def weight_stats(torch, w2d, bits: int) -> dict:
    """``weight_ones`` and ``weight_abs_mean`` of a K x N weight (module rules)."""
    from ...accuracy.arith import Arith
    from ...accuracy.emulator import quantize_weights

    w = w2d.detach().to(torch.float32)
    if bits == 1:  # binary weights: the sign, w >= 0 stored as a one
        codes = (w >= 0).to(torch.int64)
    else:
        codes = quantize_weights(w, Arith(input_bits=bits, weight_bits=bits))[0] + 2 ** (bits - 1)
    return {"weight_ones": _ones(torch, codes, bits),
            "weight_abs_mean": float(w.abs().double().mean()), **zero_stats(torch, w)}


def zero_stats(torch, w2d) -> dict:
    """The weight's sparsity, counted on its values (before quantising): ``weight_zeros``, the
    fraction of its K x N elements exactly zero; ``weight_zero_rows`` / ``weight_zero_cols``, its
    K rows and N columns entirely zero (structured sparsity: a pruned input or output channel),
    and where they are (``weight_zero_rows_at`` / ``weight_zero_cols_at``, index runs
    ``"0-127,300"``, only where there are any: the CIM counts the arrays holding only zeros from
    them, :mod:`cimsim.hw.cim.zeros`)."""
    from ..activity import index_runs

    z = w2d == 0
    out = {"weight_zeros": int(z.sum()) / z.numel()}
    for what, dim in (("rows", 1), ("cols", 0)):
        at = torch.nonzero(z.all(dim=dim)).flatten().tolist()
        out[f"weight_zero_{what}"] = len(at)
        if at:
            out[f"weight_zero_{what}_at"] = index_runs(at)
    return out


def _weight_cached(torch, cache, w, w2d, bits: int) -> dict:
    """:func:`weight_stats`, once per weight view (a recurrent layer reads its weight every
    step): keyed by storage, offset, shape and strides of the weight as the op read it."""
    if cache is None:
        return weight_stats(torch, w2d, bits)
    key = (w.untyped_storage().data_ptr(), w.storage_offset(), tuple(w.shape), tuple(w.stride()),
           tuple(w2d.shape), bits)
    if key not in cache:
        cache[key] = weight_stats(torch, w2d, bits)
    return cache[key]


def matmul_stats(torch, act, weight, k: int, swapped: bool, bits: tuple, cache=None) -> dict:
    """Tags of a matmul ``act @ weight`` (``swapped``: torch computed ``weight @ act``, the
    weight is the first operand) over ``k`` reduced elements, counted at ``bits`` = (input
    bits, weight bits); empty when there is no data."""
    if not has_data(torch, act, weight):
        return {}
    if swapped:  # out^T = act^T weight^T: activation rows are the columns of act
        x2d, w2d = act.reshape(k, -1).T, weight.reshape(-1, k).T
    else:
        x2d = act.reshape(-1, k)
        w2d = weight.reshape(-1, weight.shape[-1]) if weight.dim() >= 2 else weight.reshape(-1, 1)
    return {**input_stats(torch, x2d, bits[0]), "input_stats_bits": bits[0],
            **_weight_cached(torch, cache, weight, w2d, bits[1]), "weight_stats_bits": bits[1]}


def conv_stats(torch, x, w, stride, padding, dilation, transposed: bool, bits: tuple,
               cache=None) -> dict:
    """Tags of a (groups = 1) convolution: its im2col input (1-D and 2-D; a transposed
    convolution's input rows are its input positions) and its C_out x (C_in x kernel) weight."""
    if not has_data(torch, x, w):
        return {}
    if transposed:
        x2d = x.movedim(1, -1).reshape(-1, x.shape[1])
        w2d = w.reshape(w.shape[0], -1)  # C_in x (C_out x kernel)
        tags = input_stats(torch, x2d, bits[0])
    else:
        w2d = w.reshape(w.shape[0], -1).T  # (C_in x kernel) x C_out, unfold's row order
        tags = {}
        if x.dim() in (3, 4):  # aten gives stride, padding, dilation per spatial dim
            if x.dim() == 4:
                x4, kern = x, tuple(w.shape[2:])
                st, pad, dil = tuple(stride), tuple(padding), tuple(dilation)
            else:  # 1-D as 2-D with a height of 1
                x4, kern = x.unsqueeze(2), (1, w.shape[2])
                st, pad, dil = (1, stride[0]), (0, padding[0]), (1, dilation[0])
            cols = torch.nn.functional.unfold(x4.to(torch.float32), kern, dilation=dil,
                                              padding=pad, stride=st)
            x2d = cols.transpose(1, 2).reshape(-1, cols.shape[1])
            # one encoding and scale per sample, over its whole input feature map (as the
            # emulator's convolution: accuracy.run), repeated for each of its L windows
            flat, L = x4.detach().to(torch.float32).reshape(x4.shape[0], -1), cols.shape[-1]
            off = (flat < 0).any(dim=1, keepdim=True).repeat_interleave(L, 0)
            amax = flat.abs().amax(dim=1, keepdim=True).repeat_interleave(L, 0)
            tags = input_stats(torch, x2d, bits[0], off, amax)
    if tags:
        tags["input_stats_bits"] = bits[0]
    return {**tags, **_weight_cached(torch, cache, w, w2d, bits[1]), "weight_stats_bits": bits[1]}


def snapshot(torch, func, args, skip=frozenset()):
    """Copies of the tensor operands of a matmul-family aten op (None for any other op), but
    for those in storages ``skip`` (the model's parameters and buffers: not changed by a
    forward, and copying a recurrent layer's weight every step would cost its size per step)."""
    if func._overloadpacket.__name__ not in MATMUL_OPS:
        return None
    return {id(a): a.detach().clone() for a in args
            if isinstance(a, torch.Tensor) and has_data(torch, a)
            and a.untyped_storage().data_ptr() not in skip}


def before_write(torch, func, args, kwargs, skip, events):
    """``skip`` less the storages aten op ``func`` is about to write in place (a parameter an
    optimizer updates, an EMA buffer): the earlier matmuls that read one without a copy get one
    now, of the values they read (the statistics are of the weights the forward used, not the
    updated ones), and later reads are copied as any operand is."""
    written = set()
    for i, a in enumerate(func._schema.arguments):
        if a.alias_info is not None and a.alias_info.is_write:
            val = args[i] if i < len(args) else kwargs.get(a.name)
            for t in (val if isinstance(val, (list, tuple)) else (val,)):
                if isinstance(t, torch.Tensor) and t.untyped_storage().data_ptr() in skip:
                    written.add(t.untyped_storage().data_ptr())
    if not written:
        return skip
    for ev in events:
        if ev.data is None:
            continue
        for a in ev.args:
            if isinstance(a, torch.Tensor) and id(a) not in ev.data and \
                    a.untyped_storage().data_ptr() in written:
                ev.data[id(a)] = a.detach().clone()
    return skip - written


def add(low, tags, fn, *args) -> None:
    """Add a weight matmul's statistics to its ``tags`` (:func:`matmul_stats` or
    :func:`conv_stats`, named ``fn``) when the lowerer ``low`` measures them
    (``low.stats_bits``), from the operands as the op read them (the event's copies); counts
    the ops tagged (``low.stats_ops``) and those without data (``low.stats_fake``)."""
    if low.stats_bits is None:
        return
    data = low.ev.data or {}
    cache = low.__dict__.setdefault("_wstats", {})
    operands = [data.get(id(a), a) for a in args[:2]]
    for what, t in zip(("input", "weight"), operands):
        _check_finite(low, what, t)
    got = globals()[fn](low.torch, *operands, *args[2:], low.stats_bits, cache)
    # counted by what they have: both figures, the weight's only (a 3-D convolution), none (fake)
    key = "stats_ops" if "input_ones" in got else "stats_weight_only" if got else "stats_fake"
    low.__dict__[key] = getattr(low, key, 0) + 1
    tags.update(got)


def unmeasured(low) -> None:
    """Count a weight matmul whose statistics are not measured (``nn.Bilinear``'s outer-product
    input): in the coverage's denominator, with no figure (``low.stats_none``)."""
    if low.stats_bits is not None:
        low.stats_none = getattr(low, "stats_none", 0) + 1


def _check_finite(low, what: str, t) -> None:
    """Refuse an operand holding NaN or infinity: its quantised codes, and so every figure, would
    be meaningless (a NaN row quantised to zeros recorded an activity no data has)."""
    torch = low.torch
    if not t.is_floating_point() or not has_data(torch, t):
        return
    bad = ~torch.isfinite(t.detach())
    if not bool(bad.any()):
        return
    from ...errors import WorkloadError

    nan = int(torch.isnan(t.detach()).sum())
    inf = int(bad.sum()) - nan
    holds = " and ".join(f"{n:,} {word}" for n, word in ((nan, "NaN"), (inf, "infinite"))
                         if n)
    ev = low.ev
    mod = ev.origin()
    raise WorkloadError(
        f"data statistics (--stats / stats_bits): the {what} of aten op '{ev.func}' ({mod}, called "
        f"from {ev.where}) holds {holds} of {t.numel():,} elements; the statistics need finite "
        "values: give finite example inputs (or trace without --stats)")


def check_bits(bits) -> tuple:
    """``(input bits, weight bits)`` from one whole number (both) or a pair, each in 1..16 (1-bit
    weights: binary, their sign)."""
    pair = tuple(bits) if isinstance(bits, (tuple, list)) else (bits, bits)
    if len(pair) != 2 or any(isinstance(b, bool) or not isinstance(b, int) or not 1 <= b <= 16
                             for b in pair):
        raise ValueError(f"stats bits must be a whole number in 1..16 or a pair of them "
                         f"(input, weight), not {bits!r}")
    return pair


def summary(tagged: int, matmuls: int, fake: bool, bits: tuple, weight_only: int = 0,
            none: int = 0, computed: int = 0) -> dict:
    """``metadata['activity_stats']``: what the trace measured: ``ops`` with both figures of
    ``weight_matmuls``; ``weight_only_ops`` with the weight's only (no input figure: a
    convolution other than 1-D / 2-D), ``unmeasured_ops`` with none (``nn.Bilinear``) and
    ``computed_weight_ops`` reading a matrix computed from parameters each forward (prune hooks,
    parametrize, learned queries passed through layers: :func:`.computed.kind`; not stationary,
    so no CIM runs them and nothing is measured; they were left out of ``weight_matmuls``, so a
    hook-pruned MLP read "0 of 0"), stated when there are any."""
    out = {"input_bits": bits[0], "weight_bits": bits[1], "ops": 0 if fake else tagged,
           "weight_matmuls": matmuls}
    if weight_only:
        out["weight_only_ops"] = weight_only
    if none:
        out["unmeasured_ops"] = none
    if computed:
        out["computed_weight_ops"] = computed
    if fake:
        out["note"] = ("unavailable: the model's tensors are fake (shapes only); the CIM uses its "
                       "configured activity (cell.input_ones, cell.weight_ones) for every op")
    return out


def zero_summary(ops) -> str:
    """The weights' sparsity for ``cimsim trace --stats``'s summary line (empty when no op states
    it): their exact zeros over all their elements, each weight once (by ``weight_name``; its k x n
    elements), and their all-zero rows and columns."""
    seen, zeros, elems, rows, cols, shaped = set(), 0.0, 0, 0, 0, 0
    for op in ops:
        t = op.tags
        if "weight_zeros" not in t or t.get("weight_name", op.name) in seen:
            continue
        seen.add(t.get("weight_name", op.name))
        n = int(op.k) * int(op.n)  # a weight is shared by a matmul's batch: k x n elements
        zeros, elems = zeros + float(t["weight_zeros"]) * n, elems + n
        rows, cols = rows + int(t.get("weight_zero_rows", 0)), cols + int(t.get("weight_zero_cols", 0))
        shaped += bool(t.get("weight_zero_rows") or t.get("weight_zero_cols"))
    if not seen:
        return ""
    return (f"; weights {100 * zeros / elems:.1f} % exact zeros ({round(zeros):,} of {elems:,} "
            f"elements of {len(seen):,} weight(s)), {rows:,} all-zero rows (K) and {cols:,} all-zero "
            f"columns (N) in {shaped:,} of them")


__all__ = ["DEFAULT_BITS", "MATMUL_OPS", "add", "before_write", "check_bits", "conv_stats", "has_data", "input_stats",
           "matmul_stats", "signed_ones", "snapshot", "summary", "unmeasured", "weight_stats", "zero_stats",
           "zero_summary"]
