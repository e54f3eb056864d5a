"""Matmul operands computed each forward from parameters or constants alone: not stationary.

A weight the model recomputes every forward from its parameters (``weight_norm``, any
``torch.nn.utils.parametrize`` parametrization, ``torch.nn.utils.prune``'s mask, a weight concatenated or scaled in ``forward``)
is an activation to the dispatcher: the matmul reading it has no stationary weight, so it runs
as an activation operand (on the host; no CIM array or PIM unit takes it) and its parameters
count as weights only where an op reads them. A plain tensor attribute (neither parameter nor
buffer, e.g. a ``functional_call`` dict) used as a matrix is a constant, not a weight. The IR
cannot make such an operand stationary (an op's outputs are activations), so the tracer says so:
each such matmul is listed in ``metadata['computed_weights']`` and ``cimsim trace`` and every
run print a note. Each entry says what it is (:func:`kind`: ``reparametrized`` true where a
hook's or parametrize's tensor is a source, false for learned queries and other operands; an
older file has no key and is told both), in one wording for the note (:data:`LONG`), ``--stats``
and ``--accuracy`` (:func:`why`).

Whether a value depends on the model's example inputs follows the versions back through the
ops that wrote them (:func:`origin`); an operand fed by an example input (attention's scores,
a KV cache) is never listed, nor one computed from float buffers and constants alone (rotary
tables). One read from a bool or integer buffer (a stored binary memory cast to float, an
associative memory's ``am.float()``) is listed (``from``: :data:`INT_BUFFERS`, ``buffers``: their
names): such a buffer is an input, never a weight, so the matrix is not stationary, and the
note says to register the matrix as a float buffer or parameter. That holds for every integer
dtype (``bool``, ``uint8``, ``int8``, ``int16``, ``int32``, ``int64``) whose matrix is made by
copies alone (:func:`copied_only`: casts and reorderings, no arithmetic); a packed buffer with
arithmetic on the way (a scale, an unpacking shift) is weight-only quantization, below.

**Weight-only quantization.** A matrix dequantized each forward from the model's packed
integer or float8 tensors (:data:`PACKED_DTYPES`: int4 nibbles in a ``uint8`` or ``int32``
buffer as torchao, bitsandbytes, HQQ, GPTQ and AWQ store them, an ``int8`` one, a float8 weight
cast to bf16) and its scales is listed too (``from``: :data:`DEQUANTIZED`), and those packed
tensors are weights (:func:`note` turns an integer buffer's role ``input`` into ``weight``): the
model's weight bytes are the packed bytes plus the scales (0.5 B an int4 weight), as stored.
The matmul still reads the dequantized matrix as an activation operand (the IR cannot make an
op's output stationary), so no CIM array, PIM unit or systolic weight store takes it; the
unpacking ops stay host ops.
"""

from __future__ import annotations

from .storage import storage_key

#: how to keep a complex layer's weight stationary (the complex-parameter refusal, the note)
COMPLEX_ADVICE = ("write the layer as four real matmuls on the real and imaginary planes, "
                  "yr = xr @ wr.T - xi @ wi.T and yi = xr @ wi.T + xi @ wr.T with wr, wi two "
                  "real parameters, each a stationary weight: 4 real MACs per complex MAC")
FED, PARAM, CONST = 1, 2, 4  # bits: reads an example input, reads a parameter, a constant source
PACKED = 8  # bit: a parameter or buffer of the model of a packed dtype (:data:`PACKED_DTYPES`)
HOOKED = 16  # bit (the accuracy run's): a hook's tensor (:data:`REPARAM`) or a parametrize original
RANDOM = 32  # bit: a random draw among the sources (sampled each forward: :mod:`.randoms`)
RESEEDED = 64  # bit: a draw after the forward's torch.manual_seed (the same every forward)
INT_BUFFER = 128  # bit: a bool or integer buffer of the model (role input: never a weight)
#: ``from`` of a matrix computed from bool or integer buffers alone (a stored binary memory)
INT_BUFFERS = "a bool or integer buffer"
#: ``from`` of a matrix read as a real view (``.real``, ``.imag``) of a complex buffer
COMPLEX_BUFFER = "a complex buffer"
#: ``from`` of a matrix drawn after the forward reseeded torch (a fixed random projection)
RESEEDED_DRAW = "a random draw reseeded each forward"
#: torch dtypes (without ``torch.``) a weight-only quantized model stores its weights in
PACKED_DTYPES = ("uint8", "int8", "int16", "int32", "float8_e4m3fn", "float8_e4m3fnuz", "float8_e5m2",
                 "float8_e5m2fnuz", "float8_e8m0fnu")
#: ``from`` of a matrix dequantized from packed tensors each forward (weight-only quantization)
DEQUANTIZED = "packed quantized weights"
#: the tensors the old hooks compute a weight from each forward: weight_norm (``weight_g``,
#: ``weight_v``), torch.nn.utils.prune (``weight_orig``, ``weight_mask``) and the old
#: spectral_norm (``weight_orig``, buffers ``weight_u``, ``weight_v``)
REPARAM = frozenset({"weight_g", "weight_v", "weight_orig", "weight_mask", "weight_u"})
#: the old ``torch.nn.utils.weight_norm`` hook's tensors (``torch.nn.utils.remove_weight_norm``)
WEIGHT_NORM = frozenset({"weight_g", "weight_v"})
#: the calls that make a hook's or parametrization's weight a parameter again, before tracing
REMOVE_WEIGHT_NORM = "torch.nn.utils.remove_weight_norm(module)"
REMOVE_SPECTRAL_NORM = "torch.nn.utils.remove_spectral_norm(module)"
REMOVE_PARAMETRIZATIONS = "torch.nn.utils.parametrize.remove_parametrizations(module, 'weight')"
REMOVE_PRUNE = "torch.nn.utils.prune.remove(module, 'weight')"
#: ``from`` of a matrix the forward wrote into a parameter's own storage (``weight.div_(k)``)
IN_PLACE = "a parameter rewritten in place"


def hooked(name: str) -> bool:
    """Whether the parameter or buffer ``name`` is one a hook or parametrization computes a weight
    from each forward: weight_norm's / prune's (:data:`REPARAM`) or a parametrize original."""
    return name.rsplit(".", 1)[-1] in REPARAM or ".parametrizations." in f".{name}"


def source_flags(low, t, v) -> None:
    """Record what source version ``v`` (of tensor ``t``) is: an example input, a parameter,
    or (role ``input`` otherwise) a constant."""
    key = storage_key(t)
    flag = FED if key in low.given_shapes else \
        PARAM if (key in low.param_keys or isinstance(t, low.torch.nn.Parameter)) else \
        CONST if v.role == "input" else 0
    if flag != FED and key in low.names and str(t.dtype).removeprefix("torch.") in PACKED_DTYPES:
        flag |= PACKED
    if not flag & (FED | PARAM) and key in low.names and not (t.is_floating_point() or t.is_complex()):
        flag |= INT_BUFFER  # a bool / integer buffer: an input, so what is cast from it too
    low.src_flags[v.id] = flag
    buffer = key in getattr(low, "buffer_keys", ())
    if not flag & FED and (buffer or flag & CONST or (flag & PARAM and not t.requires_grad)):
        low.__dict__.setdefault("mask_sources", {})[v.id] = (t, buffer)  # a mask? (:func:`masks`)


def origin(low, vid: int) -> int:
    """The :data:`FED` / :data:`PARAM` / :data:`CONST` bits of everything version ``vid`` was
    computed from (memoised; iterative, a long trace's chains are deep)."""
    memo, stack = low.__dict__.setdefault("_origin", {}), [vid]
    while stack:
        u = stack[-1]
        if u in memo:
            stack.pop()
            continue
        v = low.st.versions[u]
        if v.producer < 0:
            memo[u] = low.src_flags.get(u, 0)
            stack.pop()
            continue
        deps = [w for operand in low.protos[v.producer].operands for w, _ in operand]
        todo = [w for w in deps if w not in memo]
        if todo:
            stack.extend(todo)
            continue
        flags = RANDOM if v.producer in low.__dict__.get("random_protos", ()) else \
            RESEEDED if v.producer in low.__dict__.get("reseeded_protos", ()) else 0
        for w in deps:
            flags |= memo[w]
        memo[u] = flags
        stack.pop()
    return memo[vid]


def _walk(low, vids):
    """Each version reachable back from versions ``vids`` (themselves included), once, with the
    proto that produced it (None for a source: an input, a weight, a constant)."""
    seen, stack = set(), list(vids)
    while stack:
        u = stack.pop()
        if u in seen:
            continue
        seen.add(u)
        pid = low.st.versions[u].producer
        p = low.protos[pid] if pid >= 0 else None
        yield u, p
        if p is not None:
            stack.extend(w for operand in p.operands for w, _ in operand)


def sources(low, vids) -> set[int]:
    """The source versions (inputs, weights, constants) versions ``vids`` were computed from."""
    return {u for u, p in _walk(low, vids) if p is None}


def copied_only(low, vids) -> bool:
    """Whether versions ``vids`` were made from their sources by copies alone (casts,
    reorderings: ``am.float()``), no arithmetic: an integer buffer so read is a stored integer
    memory, not weights dequantized (which a scale multiply or an unpacking shift would show)."""
    return all(p is None or p.kind == "copy" for _, p in _walk(low, vids))


def _zero_one(low, u: int) -> bool:
    """Whether source version ``u`` (a fixed tensor: :func:`source_flags`) is a mask: a registered
    buffer (any values, as CompressAI's), or a frozen parameter or constant that is bool or
    holds 0 and 1 only (not knowable for a fake tensor: bool only)."""
    t, buffer = low.__dict__.get("mask_sources", {}).get(u, (None, False))
    if t is None or buffer:
        return buffer
    from .stats import has_data

    torch = low.torch
    return t.dtype == torch.bool or (has_data(torch, t) and t.numel() > 0
                                     and bool(((t == 0) | (t == 1)).all()))


def masks(low, vids) -> list[str]:
    """Names of the fixed tensors (masks: :func:`_zero_one`) that a weight is masked with on the
    way to versions ``vids``: the multiplier of an elementwise multiply, read as is or through
    copies (``F.conv2d(x, weight * mask)``, CompressAI's ``weight.data *= mask``), or what a
    ``where`` / ``masked_fill`` reads besides the weight (``weight.masked_fill(mask == 0, 0)``)."""
    fixed = low.__dict__.get("mask_sources")
    names = []
    for _, p in (_walk(low, vids) if fixed else ()):
        if p is not None and p.kind == "elementwise" and p.fn in ("mul", "where"):
            ins = [w for operand in p.operands for w, _ in operand]
            names += [low.st.versions[b].name for w in ins for b in sources(low, [w])
                      if b in fixed and (p.fn == "where" or copied_only(low, [w])) and _zero_one(low, b)]
    return list(dict.fromkeys(names))


#: arguments a batch norm kernel writes in place though its schema does not say so
RUNNING_STATS = frozenset({"running_mean", "running_var"})


def rewrites_each_forward(torch, model, inputs, kwargs, entries, params, keys_of,
                          modules=()) -> None:
    """Run ``model`` once more (after the trace) and mark each entry of a parameter rewritten in
    place (:data:`IN_PLACE`) ``each_forward``: whether this second forward wrote that entry's own
    parameter(s) in place again (``keys_of[id(entry)]``: the storages of the parameters it was
    computed from, :func:`note`; CompressAI's ``weight.data *= mask``, every call) or not (RWKV's
    one-time rescale, done on the first forward), each entry on its own. ``params``: every
    parameter the tracer counts as a weight (those of a network held in a plain list too). A
    model of fake tensors, or one whose second forward fails, is left without the key (told both).

    The caller's model is left as the trace left it (:func:`_restoring`): each storage that
    existed before this forward and that it writes (parameters, buffers such as BatchNorm's
    running statistics and ``num_batches_tracked``, an optimizer's state, the inputs) is copied
    before its first write and copied back after, a parameter's or buffer of ``modules`` rebound
    (``.data =``, ``self.buf = ...``) is bound back, and torch's, Python's and NumPy's global
    random states are restored. What it cannot undo: Python attributes it changes (a counter,
    a flag) and what it prints."""
    from torch.utils._python_dispatch import TorchDispatchMode

    from .stats import has_data
    from .storage import storage_key

    params = [p for p in params if p.numel()]
    if not params or not has_data(torch, *params):
        return
    keys, written = {storage_key(p) for p in params}, set()
    made, saved = set(), {}  # storages this forward allocated; pre-existing ones it wrote, copied

    def tensors(v):
        return [t for t in (v if isinstance(v, (list, tuple)) else [v]) if isinstance(t, torch.Tensor)]

    def key(t):
        try:
            return storage_key(t)
        except Exception:  # noqa: BLE001 - a sparse / nested tensor: no one storage to watch
            return None

    class Writes(TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            kwargs = kwargs or {}
            for i, a in enumerate(func._schema.arguments):
                # native_batch_norm (and cudnn's) update running statistics unannotated
                if (a.alias_info is not None and a.alias_info.is_write) or a.name in RUNNING_STATS:
                    for t in tensors(args[i] if i < len(args) else kwargs.get(a.name)):
                        k = key(t)
                        if k in keys:
                            written.add(k)
                        if k is not None and k not in made and k not in saved:
                            saved[k] = (t.untyped_storage(), t.untyped_storage().clone())
            out = func(*args, **kwargs)
            seen = {key(t) for v in (*args, *kwargs.values()) for t in tensors(v)}
            made.update(k for t in tensors(out) if (k := key(t)) not in seen)
            return out

    try:
        with _restoring(torch, params, modules, saved), torch.no_grad(), Writes():
            model(*inputs, **kwargs)
    except Exception:  # noqa: BLE001 - a model that runs once only: said both ways
        return
    for e in entries:
        if e["from"] == IN_PLACE:
            e["each_forward"] = bool(keys_of.get(id(e), set()) & written)


class _restoring:
    """A context putting back what a forward changes (:func:`rewrites_each_forward`): the
    storages in ``saved`` (filled while it runs: storage -> its copy before the first write),
    the ``.data`` of ``params``, the buffers of ``modules``, and the global random states."""

    def __init__(self, torch, params, modules, saved):
        self.torch, self.params, self.modules, self.saved = torch, params, list(modules), saved

    def __enter__(self):
        import random

        torch = self.torch
        devices = sorted({p.device.index or 0 for p in self.params if p.device.type == "cuda"})
        self.rng = torch.random.fork_rng(devices=devices)
        self.rng.__enter__()
        self.py = random.getstate()
        try:
            import numpy as np

            self.np = np.random.get_state()
        except ImportError:  # pragma: no cover - numpy is a dependency
            self.np = None
        self.data = [(p, p.data) for p in self.params]
        self.bufs = [(m, dict(m._buffers)) for m in self.modules]
        return self

    def __exit__(self, *exc):
        import random

        with self.torch.no_grad():
            for store, copy in self.saved.values():
                store.copy_(copy)
            for p, d in self.data:
                if p.data.untyped_storage()._cdata != d.untyped_storage()._cdata:
                    p.data = d
        for m, bufs in self.bufs:
            m._buffers.clear()
            m._buffers.update(bufs)
        random.setstate(self.py)
        if self.np is not None:
            import numpy as np

            np.random.set_state(self.np)
        self.rng.__exit__(*exc)
        return False


def complex_buffer(low, pid: int, pieces, direct: bool) -> bool:
    """A MAC op's matrix from a complex buffer (``register_buffer('k', chirp.to(complex64))``;
    the tracer's weights are real or int8, so it is an input): a real view of it (``x @
    F.real``) is listed with the two-real-buffers advice (:data:`LONG`'s ``complex_buffer``);
    one computed from its parts (a complex conv1d, which torch runs as Gauss's three real convs
    on ``k.real``, ``k.imag`` and their sum) is refused, as a complex matmul's buffer is
    (:func:`.complexes.refuse_complex_buffer`). True where listed."""
    cx = getattr(low, "buffer_names", {})
    names = sorted({low.st.versions[u].name for u in sources(low, [vid for vid, _ in pieces])} & set(cx))
    if not names:
        return False
    op = low.protos[pid]
    if not direct:
        from ...errors import WorkloadError

        raise WorkloadError(
            f"aten op '{op.tags.get('aten', op.name)}' ({op.name}) multiplies by a matrix computed from "
            f"the model's complex buffer(s) {', '.join(repr(n) for n in names)} (a complex conv or "
            f"product, which torch runs on their real and imaginary parts): a complex matrix is not "
            f"held as a stationary weight (no component has complex MAC rates); register its real "
            f"and imaginary parts as two real buffers and "
            f"{COMPLEX_ADVICE.replace('two real parameters', 'the two real buffers')}")
    low.computed_weights.append({"op": op.name, "operand": low.st.versions[pieces[0][0]].name,
                                 "from": COMPLEX_BUFFER, "buffers": names})
    return True


def note(low, pid: int, operands) -> None:
    """List matmul proto ``pid`` (which has no stationary weight) when one of its ``operands``
    (piece lists, the B side first) is computed from parameters alone, or is a constant
    source read as is: ``metadata['computed_weights']``."""
    for pieces in operands:
        flags = 0
        for vid, _ in pieces:
            flags |= origin(low, vid)
        v = low.st.versions[pieces[0][0]]
        direct = len(pieces) == 1 and v.producer < 0
        if not flags & FED and complex_buffer(low, pid, pieces, direct):
            return
        if flags & FED or not (flags & (PARAM | PACKED | RANDOM | RESEEDED | INT_BUFFER)
                               or (direct and flags & CONST)):
            continue
        if flags & RANDOM:  # a new matrix every forward (Bayes-by-backprop): never constant-folded
            low.computed_weights.append({"op": low.protos[pid].name, "operand": v.name, "sampled": True,
                                         "from": "parameters" if flags & PARAM else "a random draw"})
            return
        if flags & RESEEDED and not flags & (PARAM | PACKED):  # torch.manual_seed(s); randn(...)
            low.computed_weights.append({"op": low.protos[pid].name, "operand": v.name, "from": RESEEDED_DRAW})
            return
        if flags & PACKED and not (flags & INT_BUFFER and not flags & PARAM
                                   and copied_only(low, [vid for vid, _ in pieces])):
            # weight-only quantization (arithmetic between the packed tensors and the matrix:
            # a scale, an unpacking shift): the packed tensors are its weights
            for u in sources(low, [vid for vid, _ in pieces]):
                src = low.st.versions[u]
                if low.src_flags.get(u, 0) & PACKED and src.role == "input":
                    src.role = "weight"
            low.computed_weights.append({"op": low.protos[pid].name, "operand": v.name, "from": DEQUANTIZED})
            return
        if flags & INT_BUFFER and not flags & PARAM:  # a stored bool / integer memory (find-M 2)
            names = sorted({low.st.versions[u].name for u in sources(low, [vid for vid, _ in pieces])
                            if low.src_flags.get(u, 0) & INT_BUFFER})
            low.computed_weights.append({"op": low.protos[pid].name, "operand": v.name,
                                         "from": INT_BUFFERS, "buffers": names})
            return
        # a complex matrix viewing a real parameter (view_as_complex) shares its storage: not a
        # parameter rewritten in place
        cx = bool(flags & PARAM) and "complex" in low.protos[pid].tags
        in_place = not cx and any(v.id in low.st.history.get(k, ()) for k in low.param_keys)
        if in_place:  # the parameters rewritten: each in the walk back (:func:`rewrites_each_forward`)
            seen = {u for u, _ in _walk(low, [vid for vid, _ in pieces])}
            keys = {k for k in low.param_keys if not seen.isdisjoint(low.st.history.get(k, ()))}
        entry = {"op": low.protos[pid].name, "operand": v.name,
                 "from": IN_PLACE if in_place else "parameters" if flags & PARAM else "a constant tensor"}
        if flags & PARAM and (bufs := masks(low, [vid for vid, _ in pieces])):
            entry["buffers"] = bufs  # a weight masked by fixed tensors (weight * mask, masked_fill)
        batch = low.protos[pid].batch
        if entry["from"] == "a constant tensor" and batch > 1 and len(v.shape) >= 3 \
                and v.shape[0] == batch:  # one matrix per batch index, stacked on the leading dim
            entry["stacked"] = True
        if cx:
            entry["complex"] = True  # real parameters packed into a complex matrix (torch.complex)
        elif flags & PARAM:  # said either way: a file without the key predates it (:func:`kind`)
            names = [low.st.versions[u].name for u in sources(low, [vid for vid, _ in pieces])]
            entry["reparametrized"] = any(hooked(n) for n in names)
            hook = which_hook({n.rsplit(".", 1)[-1] for n in names})
            if hook:  # each old hook has its own undo call (the others raise on it)
                entry["hook"] = hook
        if low.__dict__.get("fold_computed") and entry["from"] == "parameters" \
                and not entry.get("reparametrized", True):  # why --fold-computed-weights left it
            entry["not_folded"] = fold_reason(low, pid, v.id)
        low.computed_weights.append(entry)
        if in_place:
            low.__dict__.setdefault("in_place_keys", {})[id(entry)] = keys
        return


def fold_reason(low, pid: int, vid: int) -> str:
    """Why ``--fold-computed-weights`` did not fold matmul ``pid``'s operand (version ``vid``):
    :mod:`.fold`'s reason, or the op's kind it never folds."""
    why = low.__dict__.get("fold_why", {}).get(vid)
    if why:
        return why
    if low.protos[pid].tags.get("part") == "conv":
        return "a convolution's weight is not folded"
    return f"{low.protos[pid].tags.get('aten', low.protos[pid].name)}'s operand is not folded"


def which_hook(ends) -> str | None:
    """The old hook whose tensors ``ends`` (source names' last parts) are, by the name only it
    has (review 22 E 2): ``weight_norm`` by ``weight_g``, ``spectral_norm`` by ``weight_orig``
    with ``weight_u`` (its ``weight_v`` is a buffer, not weight_norm's), ``prune`` by
    ``weight_mask``; None (the note names every call) otherwise."""
    if "weight_g" in ends:
        return "weight_norm"
    if {"weight_orig", "weight_u"} <= ends:
        return "spectral_norm"
    return "prune" if "weight_mask" in ends else None


def sweep(low) -> None:
    """After lowering: list every matmul with no stationary weight that reads a matrix a hook or
    parametrization computes (:func:`hooked` sources, no example input) and that no lowering
    listed (a lowering written without :func:`note`: each traced op reading such a matrix is
    said, whatever op reads it), then keep the entries in op order."""
    listed = {e["op"] for e in low.computed_weights}
    for pid, p in enumerate(low.protos):
        if p.kind != "matmul" or p.weight or p.name in listed or not all(p.operands[:2]):
            continue
        for pieces in p.operands[1::-1]:  # the B side first, as :func:`note` takes them
            vids = [vid for vid, _ in pieces]
            if not any(origin(low, u) & FED for u in vids) and \
                    any(hooked(low.st.versions[u].name) for u in sources(low, vids)):
                note(low, pid, (pieces,))
                break
    order = {p.name: i for i, p in enumerate(low.protos)}
    low.computed_weights.sort(key=lambda e: order.get(e["op"], -1))


#: the fix for a weight masked or rewritten each forward (:data:`LONG`)
FOLD_AT_LOAD = ("fold it in at load, once (with torch.no_grad(): conv.weight.mul_(conv.mask)), and "
                "make forward a plain conv reading the parameter, which is then a stationary weight")
#: what each :func:`kind` of listed matmul reads as its matrix (:func:`summary`)
LONG = {
    "parametrize": "a weight computed from parameters each forward by torch.nn.utils.parametrize "
                   "(torch.ao.pruning's sparsifiers, parametrized weight_norm): "
                   f"{REMOVE_PARAMETRIZATIONS}, or the "
                   "sparsifier's squash_mask(), before tracing makes it a parameter",
    "weight_norm": "a weight computed from weight_g and weight_v each forward by the old "
                   f"torch.nn.utils.weight_norm hook: {REMOVE_WEIGHT_NORM} before tracing makes it "
                   f"a parameter ({REMOVE_PRUNE} raises on it)",
    "spectral_norm": "a weight computed from weight_orig, weight_u and weight_v each forward by "
                     f"the old torch.nn.utils.spectral_norm hook: {REMOVE_SPECTRAL_NORM} before "
                     f"tracing makes it a parameter ({REMOVE_WEIGHT_NORM} and {REMOVE_PRUNE} raise on it)",
    "complex": "a complex weight built from real parameters each forward "
               f"(torch.complex(wr, wi) / view_as_complex: {COMPLEX_ADVICE})",
    "hooks": "a weight computed from parameters each forward by a hook (torch.nn.utils.prune, "
             f"whose weight is weight_orig x weight_mask: {REMOVE_PRUNE} before tracing makes it a "
             f"parameter; the old weight_norm's, from weight_g and weight_v: {REMOVE_WEIGHT_NORM}; "
             f"the old spectral_norm's, from weight_orig, weight_u and weight_v: {REMOVE_SPECTRAL_NORM})",
    "parameters": "an operand computed from parameters alone, the same every forward (learned "
                  "queries or embeddings passed through layers, a weight transform in forward): "
                  "a deployment can compute it once (constant-fold it) and store it as a weight; "
                  "cimsim trace --fold-computed-weights (trace(..., fold_computed_weights=True)) "
                  "folds one computed from one parameter by elementwise ops and reductions (a "
                  "BitNet BitLinear quantising its weight in forward); otherwise compute it once "
                  "before tracing and register the result as the module's weight parameter",
    "parameters_unfolded": "an operand computed from parameters alone, the same every forward, "
                           "that --fold-computed-weights did not fold (the reason is in brackets): "
                           "compute it once before tracing and register the result as the "
                           "module's weight parameter",
    "unknown": "an operand computed from parameters each forward, either a hook's weight "
               f"(torch.nn.utils.prune's weight_orig x weight_mask: {REMOVE_PRUNE}; the old "
               f"weight_norm's weight_g and weight_v: {REMOVE_WEIGHT_NORM}; the old spectral_norm's "
               f"weight_orig, weight_u and weight_v: {REMOVE_SPECTRAL_NORM}; before tracing, each "
               "makes it a parameter) or learned queries or embeddings "
               "passed through layers (constant-fold it): this file was traced before cimsim told "
               "the two apart (no 'reparametrized' in its entries), re-trace it to know which",
    "in_place": "a parameter its forward rewrote in place (a load-time step such as "
                "transformers' RWKV rescaling two matrices per block on its first eval "
                "forward: run the model once before tracing, as a deployed model has; a second "
                "forward did not rewrite it)",
    "in_place_each": "a parameter its forward rewrites in place on every call (a second forward "
                     "rewrote it again, e.g. CompressAI's MaskedConv2d, self.weight.data *= "
                     f"self.mask): running the model before tracing does not help; {FOLD_AT_LOAD}",
    "in_place_unknown": "a parameter its forward rewrote in place: if that is a one-time load step "
                        "(transformers' RWKV rescale on its first eval forward), run the model once "
                        "before tracing; if it repeats every call (CompressAI's MaskedConv2d, "
                        f"self.weight.data *= self.mask), {FOLD_AT_LOAD} (this trace could not tell "
                        "which: a model of fake tensors, an older file, or a second forward that failed)",
    "masked": "a weight multiplied by a fixed tensor (a mask: a buffer, a frozen parameter or a "
              "constant, by weight * mask, masked_fill or where) each forward, as a masked or "
              f"checkerboard context conv's weight * mask: {FOLD_AT_LOAD}",
    "dequantized": "a weight dequantized each forward from the model's packed integer or float8 "
                   "tensors (weight-only quantization: int4 nibbles in uint8 / int32, int8, fp8), "
                   "counted as weights at their stored bytes with their scales; cimsim has no "
                   "int4 or fp8 MAC, so the matmul runs in the dequantized dtype",
    "stacked": "a constant tensor of matrices stacked on a leading dimension, read by a batched "
               "matmul (a torch.func.stack_module_state ensemble under vmap, per-head weights): "
               "registering it as a parameter makes it a weight in weight_bytes but still no "
               "stationary one, as no array holds a 3-D weight's slices W[k] as separate matrices "
               "(not modelled); the members as an nn.ModuleList, one nn.Linear each, run on a "
               "CIM's arrays",
    "reseeded": "a matrix drawn after the forward's torch.manual_seed (a fixed random projection): "
                "the same every forward, so a deployment can draw it once (constant-fold it); drawn "
                "in __init__ and registered as a buffer, it is a weight a CIM's arrays hold",
    "complex_buffer": "the real or imaginary part of a complex buffer (x @ F.real): a complex "
                      "buffer is no weight (the tracer's weights are real or int8), so its parts "
                      "are not stationary; register them as two real buffers "
                      "(register_buffer('Fr', F.real.clone()), likewise F.imag) and each is a "
                      "weight a CIM's arrays hold",
    "constant": "a constant tensor that is no parameter or buffer (register it as one to make it a weight)",
    "buffer": "a matrix read from a bool or integer buffer (a stored binary memory, e.g. am.float()): "
              "such a buffer is an input of the model, never a weight, so nothing made from it "
              "is stationary; register the matrix the matmul reads as a float buffer or "
              "parameter (register_buffer('am', am.float()), a bipolar memory as float +-1) and "
              "it is a weight a CIM's arrays hold",
    "sampled": "a matrix sampled each forward (a random draw among its sources, e.g. Bayes-by-backprop's "
               "mu + softplus(rho) x randn_like(mu)): a new matrix every forward, so it cannot be "
               "constant-folded; a CIM would have to rewrite its arrays every forward (write energy "
               "and time per pass, not simulated)"}
#: the same, in a few words, for a matrix computed from parameters (:func:`why`); ``hooked``: a
#: hook's or parametrize's weight, as the accuracy run tells them (:mod:`cimsim.accuracy.run`)
SHORT = {"parametrize": "torch.nn.utils.parametrize", "complex": "a complex weight built from real parameters",
         "hooks": "weight_norm / prune hooks", "weight_norm": "weight_norm hooks",
         "spectral_norm": "spectral_norm hooks", "hooked": "weight_norm / prune hooks or parametrize",
         "parameters": "learned queries or embeddings passed through layers, a weight transform in forward",
         "parameters_unfolded": "a weight transform in forward that --fold-computed-weights did not fold",
         "masked": "a weight multiplied by a fixed tensor (a mask): fold it in at load",
         "unknown": "weight_norm / prune hooks or learned queries, a file traced before cimsim told them apart",
         "sampled": "sampled each forward from a random draw, not stationary"}


def kind(e) -> str:
    """The kind of listed matmul ``e`` (an entry of ``metadata['computed_weights']``): a key of
    :data:`LONG`. An entry from parameters without ``reparametrized`` (a file traced before the
    key was written) is ``unknown``: a pruned model's or learned queries'."""
    if e.get("sampled"):
        return "sampled"
    if e["from"] == IN_PLACE:
        return {True: "in_place_each", False: "in_place"}.get(e.get("each_forward"), "in_place_unknown")
    if e["from"] != "parameters":
        if e.get("stacked"):
            return "stacked"
        return {DEQUANTIZED: "dequantized", RESEEDED_DRAW: "reseeded",
                INT_BUFFERS: "buffer", COMPLEX_BUFFER: "complex_buffer"}.get(e["from"], "constant")
    if ".parametrizations." in f".{e['operand']}":  # torch.nn.utils.parametrize names its ops so
        return "parametrize"
    if e.get("complex"):
        return "complex"
    if "reparametrized" not in e:
        return "unknown"
    if not e["reparametrized"]:
        return "masked" if e.get("buffers") else "parameters_unfolded" if e.get("not_folded") else "parameters"
    return e["hook"] if e.get("hook") in ("weight_norm", "spectral_norm") else "hooks"


def why(counts) -> str:
    """What matrices computed from parameters are, in a few words (:data:`SHORT`), from
    ``counts`` by :func:`kind` (with a count each where there are several kinds): the one
    wording of ``cimsim trace --stats`` and ``--accuracy``'s basis."""
    parts = [(n, SHORT[k]) for k, n in counts.items() if n]
    return "; ".join(f"{w}{f': {n:,}' if len(parts) > 1 else ''}" for n, w in parts)


def counts(entries) -> dict[str, int]:
    """How many of ``entries`` are of each :func:`kind`, in :data:`LONG`'s order."""
    out = {k: 0 for k in LONG}
    for e in entries:
        out[kind(e)] += 1
    return out


def summary(entries) -> str:
    """One sentence on the listed matmuls (``cimsim trace`` and the run's note)."""
    ops = list(dict.fromkeys(e["op"] for e in entries))
    kinds = [(n, LONG[k]) for k, n in counts(entries).items() if n]
    what = " or ".join(f"{k}{f': {n:,}' if len(kinds) > 1 else ''}" for n, k in kinds)
    for label, mine in (("buffer(s)", True), ("mask(s)", False)):  # a stored memory's; masks
        bufs = list(dict.fromkeys(b for e in entries if e["from"] != COMPLEX_BUFFER
                                  and (e["from"] == INT_BUFFERS) == mine
                                  for b in e.get("buffers", ())))
        if bufs:
            what += f" ({label} {', '.join(bufs[:3])}{', ...' if len(bufs) > 3 else ''})"
    reasons = list(dict.fromkeys(e["not_folded"] for e in entries if e.get("not_folded")))
    if reasons:  # --fold-computed-weights given: why each was left (review L1 4)
        what += f" [not folded: {'; '.join(reasons[:3])}{'; ...' if len(reasons) > 3 else ''}]"
    return (f"{len(entries):,} matmul(s) ({', '.join(ops[:3])}{', ...' if len(ops) > 3 else ''}) "
            f"read as their matrix {what}: not stationary, so they run with it as an activation "
            "operand (no CIM array or PIM unit takes them)")


__all__ = ["COMPLEX_ADVICE", "COMPLEX_BUFFER", "CONST", "DEQUANTIZED", "FED", "HOOKED", "INT_BUFFER", "INT_BUFFERS", "IN_PLACE", "LONG", "PACKED",
           "PACKED_DTYPES", "PARAM", "FOLD_AT_LOAD", "masks", "rewrites_each_forward", "RANDOM", "REMOVE_PARAMETRIZATIONS", "REMOVE_PRUNE", "REMOVE_SPECTRAL_NORM", "REMOVE_WEIGHT_NORM", "REPARAM", "RESEEDED", "RESEEDED_DRAW", "SHORT", "copied_only", "counts", "hooked", "kind", "note", "origin",
           "source_flags", "sources", "summary", "sweep", "WEIGHT_NORM", "which_hook", "why"]
