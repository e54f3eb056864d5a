"""What outlives a traced step: the versions of persistent state it writes, and optimizer state.

A step that updates state in place (an optimizer's ``p.addcdiv_``, Adam's ``exp_avg.lerp_``,
a momentum buffer, an EMA buffer, BatchNorm's running statistics) leaves the new values in
memory for the next step: those writes are real traffic even where a later op of the same
step reads them (pointwise fusion keeps them as outputs of the merged op: :mod:`.fuse`).
What outlives the step: the model's parameters, buffers, plain tensor attributes (state kept
as ``self.m = torch.zeros(n)``, not registered as a buffer) and gradients, the state of every
optimizer that stepped during the trace (found by a global ``torch.optim`` step hook), the
example inputs (written in place, they are the caller's) and the model's outputs.

Optimizer state is named by its parameter and key (``net.0.weight.exp_avg``), not as a
constant made outside torch, and listed in ``metadata['optimizer_state']`` (name, bytes)."""

from __future__ import annotations

import contextlib

from ...dtypes import DTYPE_BYTES
from .storage import storage_key


@contextlib.contextmanager
def optimizers_stepping(torch, found: dict):
    """While open, every ``torch.optim`` optimizer that steps is added to ``found`` (by id)."""
    from torch.optim.optimizer import register_optimizer_step_pre_hook

    def seen(opt, args, kwargs):
        found.setdefault(id(opt), opt)  # returns None: the step's arguments unchanged

    hook = register_optimizer_step_pre_hook(seen)
    try:
        yield found
    finally:
        hook.remove()


def optimizers_held(torch, modules) -> dict:
    """Optimizers a module holds as an attribute (known before the run: their state, if it
    exists, is named from the start)."""
    found: dict = {}
    for mod in modules:
        for value in vars(mod).values():
            if isinstance(value, torch.optim.Optimizer):
                found.setdefault(id(value), value)
    return found


def state_tensors(torch, model, optimizers) -> list[tuple[str, object]]:
    """(name, tensor) of each optimizer state tensor: ``<parameter>.<key>`` (``.step`` too)."""
    pname = {id(p): n for n, p in model.named_parameters()}
    out = []
    for i, opt in enumerate(optimizers.values()):
        for p, state in opt.state.items():
            base = pname.get(id(p), f"optimizer{i}.param{len(out)}")
            for key, t in state.items():
                if isinstance(t, torch.Tensor) and t.numel():
                    out.append((f"{base}.{key}", t))
    return out


def name_state(names: dict, states) -> None:
    """Name the optimizer state tensors (storage key -> (role, name)); a state is an input."""
    for name, t in states:
        names.setdefault(storage_key(t), ("input", name))


def lasting(torch, model, inputs, kwargs, out, states, leaves) -> list:
    """The tensors that outlive the step (see the module's doc)."""
    ts = [*model.parameters(), *model.buffers()]
    # state in a plain tensor attribute (``self.m = torch.zeros(n)``, no registered buffer)
    ts += [v for mod in model.modules() for v in vars(mod).values() if isinstance(v, torch.Tensor)]
    ts += [p.grad for p in model.parameters() if p.grad is not None]
    ts += [t for _, t in states]
    for x in (*inputs, *kwargs.values(), out):
        ts += [t for _, t in leaves(torch, x, "")]
    return [t for t in ts if isinstance(t, torch.Tensor) and t.numel()]


def mark_lasting(low, tensors) -> None:
    """Record on ``low`` (``lasting_vids``) the versions written during the step that the
    storages of ``tensors`` hold at its end."""
    vids = set()
    for t in tensors:
        if low.st.known(t):
            vids.update(vid for vid, _ in low.st.pieces(t) if low.st.versions[vid].producer >= 0)
    low.lasting_vids = vids


def state_metadata(low, states) -> list[dict]:
    """``metadata['optimizer_state']``: each state tensor the step read or wrote, with its bytes
    (and, in ``_versions``, the versions its storage held: :func:`name_state_tensors` names them)."""
    seen, out = set(), []
    for name, t in states:
        key = storage_key(t)
        if key in seen or not low.st.known(t):
            continue
        seen.add(key)
        dtype = low.dt(t)
        out.append({"name": name, "shape": [int(s) for s in t.shape], "dtype": dtype,
                    "bytes": int(t.numel()) * DTYPE_BYTES[dtype],
                    "_versions": sorted(set(low.st.history.get(key, ())))})
    return out


def name_state_tensors(low, entries, tensors) -> None:
    """Replace each entry's ``_versions`` by ``tensors``: the workload's tensors that hold the
    state (read at the step's start, written in place during it), so that the footprint counts
    them as optimizer state, resident for the whole step, not as activations."""
    for e in entries:
        names = [n for vid in e.pop("_versions") for n, _, _ in low.st.versions[vid].tensors]
        e["tensors"] = [n for n in dict.fromkeys(names) if n in tensors]


def master_weights(low, model) -> dict | None:
    """``metadata['master_weights']``: the parameters a step that ran backward read at another
    dtype (autocast's bf16 copies, counted as the weights) at their own dtype: the master copy
    the gradients update, resident beside the cast copies."""
    cast = [(n, p) for n, p in model.named_parameters() if n in low.cast_weights and p.numel()]
    if not cast:
        return None
    dtypes = sorted({low.dt(p) for _, p in cast})
    return {"parameters": len(cast), "dtypes": dtypes,
            "bytes": sum(int(p.numel()) * DTYPE_BYTES[low.dt(p)] for _, p in cast)}


def updated_parameters(low, model) -> list[tuple[str, object]]:
    """(name, parameter) of each parameter the step wrote in place (an optimizer's update),
    counted as parameters, not storages: views of one flat buffer (apex / FSDP flat
    parameters) are each their own; a parameter registered twice (tied, aliased) once. Their
    count is ``metadata['updated_parameters']``, their names ``metadata['updated_parameter_names']``
    (:func:`updated_weight_tensors`: the workload's tensors holding them)."""
    out: list[tuple[str, object]] = []
    seen: set = set()
    for n, p in model.named_parameters():
        if not p.numel() or not low.st.known(p):
            continue
        key = (storage_key(p), p.storage_offset(), tuple(p.shape), tuple(p.stride()), p.dtype)
        if key not in seen and any(low.st.versions[vid].producer >= 0 for vid, _ in low.st.pieces(p)):
            out.append((n, p))
        seen.add(key)
    return out


def updated_weight_tensors(low, updated) -> list[str]:
    """``metadata['updated_weight_tensors']``: the workload's tensors (after ``low.finish()``)
    that hold the step's ``updated`` parameters (:func:`updated_parameters`) as the step first
    read them, which a run's CIM holds as matrices and a step rewrites (find-O 1, review 19-A 1).
    A parameter is matched by the storage it lives in, not by its name: a weight read through
    slices is several tensors (``att.in_proj_weight[0]`` .. ``[2]``: cross-attention's split
    in-projection; ``qkv.weight.chunk(3)``), a flat buffer's views are its pieces
    (``net.0.weight[2]``, whichever parameter it holds: each piece whose elements overlap an
    updated parameter's), and autocast's copy at another dtype is the parameter's too."""
    import numpy as np

    from .storage import as_offsets

    declared = getattr(low, "declared", {})
    sources: dict[str, list] = {}  # a weight's source versions by name: itself and its casts
    for v in low.st.versions:
        if v.role == "weight" and v.producer < 0:
            sources.setdefault(v.name, []).append(v)
    names: dict[str, None] = {}
    for _, p in updated:
        key = storage_key(p)
        src = {low.st.versions[vid].name for vid in low.st.history.get(key, ())}
        whole = low.st.covers(p, low.st.storages[key])
        mine = None if whole else low.st.units(p)
        for v in (v for n in sorted(src) for v in sources.get(n, ())):
            for j in range(len(v.tensors)):
                offs = [r for r, a in zip(v.reads, v.read_atoms) if a == [j]]
                hit = whole or not offs or offs[0] is None or \
                    bool(np.isin(as_offsets(offs[0]), mine).any())
                if hit and (v.id, j) in declared:
                    names[declared[(v.id, j)]] = None
    return list(names)
