"""Model inputs that are resident state, not per-run activations: which of a traced workload's
inputs lie in memory across runs (a KV cache, a retrieval database) and so count as such in the
footprint (``kv_cache``) and can be read in place by PIM units (``claims: [kv_cache]``).

A workload built by hand or by a generator: every model input (role ``input``) that a matmul
reads as its second operand without holding it stationary is resident. A traced workload
(``metadata["capture"]``: ``aten``, or ``onnx`` for an ONNX import): only the inputs whose forward argument (a tensor's name up to the
first ``.`` or ``[``) says so, by either rule:

- its name is a cache's (:data:`CACHE_INPUT`: ``past_key_values``, ``layer_past``, any
  argument whose name holds ``cache`` or ``past``), as Hugging Face models name theirs;
- it is listed in ``metadata["resident_inputs"]`` (``cimsim trace --resident NAME``): a
  database passed to ``forward`` (``search(q, xb)``) under any name.

Any other traced input is an activation: the host sends it every run. So is, whatever the
rules say, a split half's input the other side sends (``metadata["split"]["crossing"]``:
:func:`sent_inputs`).
"""

from __future__ import annotations

import re

from ..errors import WorkloadError
from .kinds import ROLE_INPUT
from .oparrays import argument

#: a traced model input that is a cache: the forward argument it came in (its name up to the
#: first ``.`` or ``[``) names one (``past_key_values``, ``past_key_value``, ``layer_past``,
#: ``cache``, ``kv_cache``, ``cache_params``)
CACHE_INPUT = re.compile(r"^[^.\[]*(?:cache|past)", re.IGNORECASE)
#: the per-element functions of one input that only scale it (by a constant: a scalar)
SCALES = ("mul", "div")
#: the metadata key listing the forward arguments marked resident (``cimsim trace --resident``)
RESIDENT_KEY = "resident_inputs"


def merged_models(workload) -> dict[str, bool | None]:
    """Of a merged workload (``metadata["models"]``, :mod:`cimsim.workload.merge`): each model's
    name -> whether it was traced (its ``capture``; None where the merge did not record it: the
    workload's ``capture`` decides); ``{}`` for any other workload."""
    models = workload.metadata.get("models") if isinstance(workload.metadata, dict) else None
    if not isinstance(models, list):
        return {}
    return {str(m["name"]): (bool(m["capture"]) if "capture" in m else None)
            for m in models if isinstance(m, dict) and "name" in m}


def _bare(name: str, models) -> tuple[str, str]:
    """``(prefix, name in its model)``: ``('dec.', 'past_kv')`` for ``dec.past_kv`` of a merge
    with a model ``dec``; ``('', name)`` otherwise."""
    head, dot, rest = name.partition(".")
    return (head + ".", rest) if dot and head in models else ("", name)


def merged_argument(name: str, models=()) -> str:
    """The forward argument of input ``name``: :func:`argument`, in a merge of ``models`` that of
    the model's own name, prefixed (``search.xb``, ``dec.past_kv``)."""
    pre, bare = _bare(name, models)
    return pre + argument(bare)


def input_arguments(workload) -> list[str]:
    """The forward arguments of the workload's model inputs (role ``input``), in tensor order,
    each once (of a merged workload, prefixed with the model's name: :func:`merged_argument`)."""
    c = workload.columns
    names, models = c.tensor_names, merged_models(workload)
    seen: dict[str, None] = {}
    for t in (c.tensor_role == ROLE_INPUT).nonzero()[0].tolist():
        seen.setdefault(merged_argument(names[t], models), None)
    return list(seen)


def resident_arguments(workload) -> frozenset[str]:
    """The forward arguments ``metadata["resident_inputs"]`` marks resident, checked: a list of
    names, each the argument of a model input; a one-line WorkloadError otherwise."""
    return _marked(workload, None)


def _check(names, have, fmt: str, **kw) -> None:
    """A one-line WorkloadError, ``fmt`` filled in, for the first of ``names`` not in ``have``."""
    for n in names:
        if n not in have:
            raise WorkloadError(fmt.format(n=n, have=", ".join(have) or "none", **kw))


def _marked(workload, have) -> frozenset[str]:
    """:func:`resident_arguments`, checked against the input arguments ``have`` (None: worked
    out here, only when there is a list to check)."""
    given = workload.metadata.get(RESIDENT_KEY)
    if given is None:
        return frozenset()
    where = f"workload '{workload.name}': metadata.{RESIDENT_KEY}"
    if not isinstance(given, list) or not all(isinstance(g, str) for g in given):
        raise WorkloadError(f"{where} must be a list of forward argument names (strings), got "
                            f"{given!r}")
    _check(given, input_arguments(workload) if have is None else have,
           "{where}: '{n}' is no model input's forward argument; its inputs are {have}", where=where)
    return frozenset(given)


def is_resident_name(name: str, marked: frozenset[str], models=()) -> bool:
    """A traced input named ``name`` is resident: a cache's name, or its argument marked (in a
    merge of ``models``, the name within its model: ``dec.past_kv`` is ``past_kv``'s)."""
    return bool(CACHE_INPUT.match(_bare(name, models)[1])) or merged_argument(name, models) in marked


def sent_inputs(workload) -> frozenset[str]:
    """The model inputs of a split's half that the other side sends over the link
    (``metadata["split"]["crossing"]``: :func:`cimsim.split.cut_workload`): activations of the
    whole model, never resident, whatever their name or reader."""
    split = workload.metadata.get("split")
    crossing = split.get("crossing") if isinstance(split, dict) else None
    return frozenset(crossing) if isinstance(crossing, list) else frozenset()


#: the workload's cached properties that follow from which inputs are resident
DERIVED = ("arrays", "footprint")


def mark_resident(workload, names) -> None:
    """Record the forward arguments ``names`` as resident (``cimsim trace --resident``,
    ``cimsim.trace(..., resident=[...])``), checked against the workload's inputs (a one-line
    WorkloadError naming the option). A workload simulated before is simulated with the mark
    after: its op columns and footprint, cached, are dropped (:data:`DERIVED`)."""
    if isinstance(names, str):
        names = [names]
    have = input_arguments(workload)
    _check(names, have, "--resident {n}: the traced model has no input argument '{n}'; its inputs "
           "are {have}")
    before = workload.metadata.get(RESIDENT_KEY)
    workload.metadata[RESIDENT_KEY] = sorted(set(names) | _marked(workload, have))
    for key in DERIVED:
        workload.__dict__.pop(key, None)
    try:
        _check_held(workload, names)
    except WorkloadError:
        if before is None:
            workload.metadata.pop(RESIDENT_KEY)
        else:
            workload.metadata[RESIDENT_KEY] = before
        for key in DERIVED:
            workload.__dict__.pop(key, None)
        raise


def _check_held(workload, names) -> None:
    """A one-line WorkloadError for the first of ``names`` that no matmul without a stationary
    weight reads as its second operand (itself or a scaled / reshaped copy): the only reads
    cimsim keeps in memory across runs (a KV cache, a database). Any other read (a recurrent
    state's ``h @ W_hh``, an LSTM cell's pointwise op) is an activation sent every run, so the
    mark would change nothing."""
    ops = workload.arrays
    kv = ops.kv_tensors()
    if kv is None:
        return
    names_t, models = workload.columns.tensor_names, merged_models(workload)
    held = {merged_argument(names_t[t], models) for t in ops.input_root[kv].tolist() if t >= 0} if (
        ops.input_root is not None) else {merged_argument(names_t[t], models) for t in kv.nonzero()[0].tolist()}
    for n in names:
        if n not in held:
            raise WorkloadError(f"--resident {n}: {_why_not_held(workload, n)}")


def _why_not_held(workload, n: str) -> str:
    """Why the model input ``n`` is no KV cache, by how it is read: through a concatenation
    that a weightless matmul reads as its second operand (a cache appended with ``torch.cat``,
    Hugging Face's legacy ``DynamicCache.update``), as a weightless matmul's first operand
    (``mv(db, q)``), or otherwise (a recurrent state, an activation)."""
    c, models = workload.columns, merged_models(workload)
    same = {c.tensor_names[t] for t in (c.tensor_role == ROLE_INPUT).nonzero()[0].tolist()
            if merged_argument(c.tensor_names[t], models) == n}
    grown: dict[str, str] = {}  # a concatenation reading one of ``same`` (and its copies) -> the cat
    for op in workload.ops:
        one = len(op.inputs) == 1 and len(op.outputs) == 1 and (
            op.kind == "copy" or (op.kind == "elementwise" and op.fn in SCALES))
        if one and op.inputs[0] in same:
            same.add(op.outputs[0])
        elif one and op.inputs[0] in grown:
            grown[op.outputs[0]] = grown[op.inputs[0]]
        elif op.kind == "copy" and len(op.inputs) >= 2 and any(t in same for t in op.inputs):
            grown.update((t, op.name) for t in op.outputs)
    for op in workload.ops:
        if op.kind != "matmul" or op.weight is not None or len(op.inputs) < 2:
            continue
        if op.inputs[1] in grown:
            return (f"'{n}' reaches the matmul {op.name} only through {grown[op.inputs[1]]}, a "
                    "concatenation (a cache appended with torch.cat, as Hugging Face's "
                    "DynamicCache does: a new tensor each run, the whole cache copied with this "
                    "step's rows), which is an activation; cimsim holds a cache in memory only "
                    "where a matmul without a weight reads it as its second operand, itself or "
                    "through a reshape, transpose or scale, so the mark would change nothing. "
                    "Pass the cache already holding the new rows and read it in place "
                    "(q @ K.T), or trace the Hugging Face model with --serve, which reads its "
                    "cache in place (README 'Resident inputs')")
        if op.inputs[0] in same:
            return (f"the matmul {op.name} reads '{n}' as its first operand (mv({n}, q), "
                    f"{n} @ q); cimsim holds in memory across runs only what a matmul without a "
                    "weight reads as its second operand (a KV cache, a database), so the mark "
                    f"would change nothing: write it q @ {n}.T (the same MACs) "
                    "(README 'Resident inputs')")
    readers = [op.name for op in workload.ops if any(merged_argument(t, models) == n for t in op.inputs)]
    shown = ", ".join(readers[:3]) + (f" (+{len(readers) - 3} more)" if len(readers) > 3 else "")
    return (f"no matmul without a weight reads '{n}' as its second operand (a KV cache, a "
            f"database), the only reads cimsim keeps in memory across runs; {shown or 'no op'} "
            f"read{'s' if len(readers) == 1 else ''} it as an input sent every run, so the mark "
            "would change nothing. For a recurrent state carried across steps, trace the loop "
            "and take (T(11) - T(1)) / 10 (README 'Per-op fixed costs')")
