"""Matmul operands computed each forward from parameters or constants alone: not stationary.

A weight the model recomputes every forward from its parameters (``weight_norm``, any
``torch.nn.utils.parametrize`` parametrization, ``torch.nn.utils.prune``'s mask, a weight concatenated or scaled in ``forward``)
is an activation to the dispatcher: the matmul reading it has no stationary weight, so it runs
as an activation operand (on the host; no CIM array or PIM unit takes it) and its parameters
count as weights only where an op reads them. A plain tensor attribute (neither parameter nor
buffer, e.g. a ``functional_call`` dict) used as a matrix is a constant, not a weight. The IR
cannot make such an operand stationary (an op's outputs are activations), so the tracer says so:
each such matmul is listed in ``metadata['computed_weights']`` and ``cimsim trace`` and every
run print a note.

Whether a value depends on the model's example inputs follows the versions back through the
ops that wrote them (:func:`origin`); an operand fed by an example input (attention's scores,
a KV cache) is never listed, nor one computed from float buffers and constants alone (rotary
tables).

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
#: torch dtypes (without ``torch.``) a weight-only quantized model stores its weights in
PACKED_DTYPES = ("uint8", "int8", "int16", "int32", "float8_e4m3fn", "float8_e4m3fnuz", "float8_e5m2",
                 "float8_e5m2fnuz", "float8_e8m0fnu")
#: ``from`` of a matrix dequantized from packed tensors each forward (weight-only quantization)
DEQUANTIZED = "packed quantized weights"
#: the tensors weight_norm (``weight_g``, ``weight_v``) and torch.nn.utils.prune (``weight_orig``,
#: ``weight_mask``) compute a weight from each forward
REPARAM = frozenset({"weight_g", "weight_v", "weight_orig", "weight_mask"})
#: ``from`` of a matrix the forward wrote into a parameter's own storage (``weight.div_(k)``)
IN_PLACE = "a parameter rewritten in place"


def source_flags(low, t, v) -> None:
    """Record what source version ``v`` (of tensor ``t``) is: an example input, a parameter,
    or (role ``input`` otherwise) a constant."""
    key = storage_key(t)
    flag = FED if key in low.given_shapes else \
        PARAM if (key in low.param_keys or isinstance(t, low.torch.nn.Parameter)) else \
        CONST if v.role == "input" else 0
    if flag != FED and key in low.names and str(t.dtype).removeprefix("torch.") in PACKED_DTYPES:
        flag |= PACKED
    low.src_flags[v.id] = flag


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
        flags = 0
        for w in deps:
            flags |= memo[w]
        memo[u] = flags
        stack.pop()
    return memo[vid]


def sources(low, vids) -> set[int]:
    """The source versions (inputs, weights, constants) versions ``vids`` were computed from."""
    seen, out, stack = set(), set(), list(vids)
    while stack:
        u = stack.pop()
        if u in seen:
            continue
        seen.add(u)
        v = low.st.versions[u]
        if v.producer < 0:
            out.add(u)
        else:
            stack.extend(w for operand in low.protos[v.producer].operands for w, _ in operand)
    return out


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
        if flags & FED or not (flags & (PARAM | PACKED) or (direct and flags & CONST)):
            continue
        if flags & PACKED:  # weight-only quantization: the packed tensors are its weights
            for u in sources(low, [vid for vid, _ in pieces]):
                src = low.st.versions[u]
                if low.src_flags.get(u, 0) & PACKED and src.role == "input":
                    src.role = "weight"
            low.computed_weights.append({"op": low.protos[pid].name, "operand": v.name, "from": DEQUANTIZED})
            return
        # a complex matrix viewing a real parameter (view_as_complex) shares its storage: not a
        # parameter rewritten in place
        cx = bool(flags & PARAM) and "complex" in low.protos[pid].tags
        in_place = not cx and any(v.id in low.st.history.get(k, ()) for k in low.param_keys)
        entry = {"op": low.protos[pid].name, "operand": v.name,
                 "from": IN_PLACE if in_place else "parameters" if flags & PARAM else "a constant tensor"}
        if cx:
            entry["complex"] = True  # real parameters packed into a complex matrix (torch.complex)
        elif flags & PARAM and any(low.st.versions[u].name.rsplit(".", 1)[-1] in REPARAM
                                   for u in sources(low, [vid for vid, _ in pieces])):
            entry["reparametrized"] = True  # weight_norm's weight_g / weight_v, prune's weight_orig
        low.computed_weights.append(entry)
        return


def summary(entries) -> str:
    """One sentence on the listed matmuls (``cimsim trace`` and the run's note)."""
    ops = list(dict.fromkeys(e["op"] for e in entries))
    n_pz = sum(e["from"] == "parameters" and ".parametrizations." in f".{e['operand']}"
               for e in entries)  # torch.nn.utils.parametrize names its ops so
    n_cx = sum(e["from"] == "parameters" and bool(e.get("complex")) for e in entries)
    n_rp = sum(e["from"] == "parameters" and bool(e.get("reparametrized")) and ".parametrizations."
               not in f".{e['operand']}" for e in entries)  # weight_norm / prune's hooks
    n_par = sum(e["from"] == "parameters" for e in entries) - n_pz - n_cx - n_rp
    n_in = sum(e["from"] == IN_PLACE for e in entries)
    n_dq = sum(e["from"] == DEQUANTIZED for e in entries)
    kinds = [(n_pz, "a weight computed from parameters each forward by torch.nn.utils.parametrize "
                    "(torch.ao.pruning's sparsifiers, parametrized weight_norm): "
                    "torch.nn.utils.parametrize.remove_parametrizations(module, 'weight'), or the "
                    "sparsifier's squash_mask(), before tracing makes it a parameter"),
             (n_cx, "a complex weight built from real parameters each forward "
                    f"(torch.complex(wr, wi) / view_as_complex: {COMPLEX_ADVICE})"),
             (n_rp, "a weight computed from parameters each forward (weight_norm / "
                    "torch.nn.utils.prune, whose weight is weight_orig x weight_mask: "
                    "prune.remove(module, 'weight') before tracing makes it a parameter)"),
             (n_par, "an operand computed from parameters alone, the same every forward (learned "
                     "queries or embeddings passed through layers, a weight transform in forward): "
                     "a deployment can compute it once (constant-fold it) and store it as a weight"),
             (n_in, "a parameter its forward rewrote in place (a load-time step such as "
                    "transformers' RWKV rescaling two matrices per block on its first eval "
                    "forward: run the model once before tracing, as a deployed model has)"),
             (n_dq, "a weight dequantized each forward from the model's packed integer or float8 "
                    "tensors (weight-only quantization: int4 nibbles in uint8 / int32, int8, fp8), "
                    "counted as weights at their stored bytes with their scales; cimsim has no "
                    "int4 or fp8 MAC, so the matmul runs in the dequantized dtype"),
             (len(entries) - n_pz - n_rp - n_par - n_cx - n_in - n_dq, ("a constant tensor that is no parameter or buffer "
                                            "(register it as one to make it a weight)"))]
    kinds = [(n, k) for n, k in kinds if n]
    what = " or ".join(f"{k}{f': {n:,}' if len(kinds) > 1 else ''}" for n, k in kinds)
    return (f"{len(entries):,} matmul(s) ({', '.join(ops[:3])}{', ...' if len(ops) > 3 else ''}) "
            f"read as their matrix {what}: not stationary, so they run with it as an activation "
            "operand (no CIM array or PIM unit takes them)")


__all__ = ["COMPLEX_ADVICE", "CONST", "DEQUANTIZED", "FED", "IN_PLACE", "PACKED", "PACKED_DTYPES", "PARAM", "REPARAM",
           "note", "origin", "source_flags", "sources", "summary"]
