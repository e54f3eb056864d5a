"""Trace a PyTorch model into a cimsim :class:`~cimsim.workload.ir.Workload`.

torch is imported inside functions only: ``import cimsim.workload.trace``
works without torch; calling :func:`trace` then raises
:class:`TorchMissingError` naming the install command.

How a model becomes a workload
------------------------------
1. **Capture** (:mod:`.capture`): the model runs once on the example inputs
   under a ``TorchDispatchMode`` that records every aten op executed, with the
   module running it and the user's source line. Fused kernels that hide work
   are off (oneDNN RNN, the MHA fast path, flash / efficient SDPA).
2. **Lowering** (:mod:`.aten`, :mod:`.registry`, :mod:`.lower`, :mod:`.storage`): each
   aten op, through its registered lowering, maps to IR ops with exact MACs (matmul family, convolution as im2col matmul) or
   vector work (pointwise, softmax, norms, reductions, pooling) or data movement
   (concatenation, padding, gathers). Views and reshapes are free. Parameters
   and floating-point buffers are ``weight`` tensors named by their qualified name;
   dependencies come from tensor (storage) identity.
3. **Lifting** (:mod:`.fuse`): chains of pointwise ops fuse into one op (an LSTM
   / GRU step becomes its gate matmuls + one fused cell op, as the generators
   emit it); score scaling / masking joins the softmax.
4. **Shapes suffice**: a model built of fake tensors (``FakeTensorMode``, as
   :func:`cimsim.zoo.build` does by default) traces like a real one, in its
   fake mode: no weight is materialised, so a 7 B-parameter model traces in
   seconds. An embedding lookup on fake ids is taken to read distinct rows.
5. **Nothing lost**: an arithmetic aten op without a mapping is an error naming
   the op, the module and the source line; ``allow_unknown`` keeps it as a
   generic op carrying its FLOP-counter MACs. ``metadata['mapped_mac_share']``
   is the share of MACs in specific kinds (1.0 when nothing is unknown; None when
   no MAC is counted at all).
6. **Real element sizes**: a floating-point tensor keeps its own fp32 / fp16 / bf16 (a
   mixed-precision model: an fp16 layer beside an fp32 one, ``autocast``; a cast is a copy
   op, but for a whole weight's, which is that weight at the cast dtype), or, with ``dtype``
   given, takes that dtype (the model traced as if it were of that dtype: casts between
   floating dtypes are then free); any other keeps its own torch dtype (int64 indices, bool
   masks, complex FFT outputs: :data:`.aten.TORCH_STORAGE_DTYPES`), so its bytes are torch's.

(The earlier ``torch.fx`` tracer is gone: symbolic capture cannot see through
the ``*args, **kwargs`` wrappers of Hugging Face models, and every model it
traced traces here with the same MACs and structure.)
"""

from __future__ import annotations

import inspect
from collections import Counter
from typing import TYPE_CHECKING, Sequence

from ...errors import WorkloadError
from ..ir import Workload
from .common import (INSTALL_HINT, BatchNote, TorchMissingError, _as_tuple, check_batch, load_factory,
                     record_batch, require_torch)
from .computed import IN_PLACE, rewrites_each_forward, sweep as computed_sweep
from .custom import register_op
from ..depth import CHAIN_RULE, CHAIN_RULE_KEY
from ..randomtags import GATHER_RULE

if TYPE_CHECKING:  # torch is an extra: imported for type checkers only
    import torch

__all__ = ["INSTALL_HINT", "BatchNote", "TorchMissingError", "load_factory", "register_op", "require_torch", "trace"]

_TORCH_DTYPES = {"float32": "fp32", "float16": "fp16", "bfloat16": "bf16", "int8": "int8", "qint8": "int8"}


def _model_dtype(model) -> str:
    """The dtype of the model's first parameter (fp32 without one): what a floating tensor of
    no modelled dtype is counted at. Every parameter's dtype must be one cimsim models (a
    mixed-precision model keeps each: :meth:`.lower.Lowerer.dt`)."""
    params = [(n, p) for n, p in model.named_parameters()  # float8: storage (FLOAT8_STORAGE)
              if not str(p.dtype).removeprefix("torch.").startswith("float8")]
    first = str(params[0][1].dtype).removeprefix("torch.") if params else "float32"
    bad = next(((n, str(p.dtype).removeprefix("torch.")) for n, p in params
                if str(p.dtype).removeprefix("torch.") not in _TORCH_DTYPES), None)
    if bad is not None:
        what = (f"the model's parameters are {bad[1]}" if bad[1] == first else
                f"the model's parameter '{bad[0]}' is {bad[1]}")
        raise WorkloadError(
            f"{what}, which cimsim does not model; "
            f"trace it as one of fp32, fp16, bf16, int8 (`cimsim trace --dtype fp32`; "
            f"trace(..., dtype='fp32') in Python)")
    return _TORCH_DTYPES[first]


def _float8_failure(model, exc) -> WorkloadError | None:
    """The error of a model holding float8 parameters or buffers whose forward failed (torch has
    no CPU kernel computing in float8, and ``--dtype`` sets only how tensors are counted), or
    None for a model without float8 tensors. A float8 weight cast to bf16 / fp16 in forward
    (weight-only fp8) runs and is traced, counted at 1 B (:data:`.aten.FLOAT8_STORAGE`)."""
    f8 = [(n, str(t.dtype).removeprefix("torch.")) for n, t in (*model.named_parameters(),
                                                               *model.named_buffers())
          if str(t.dtype).removeprefix("torch.").startswith("float8")]
    msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if not f8 or "float8" not in msg.lower():  # a failure of its own (a shape error): not float8's
        return None
    every = len(f8) == sum(1 for _ in model.parameters()) + sum(1 for _ in model.buffers()) and \
        len({d for _, d in f8}) == 1
    what = f"the model's tensors are {f8[0][1]}" if every else f"the model's tensor '{f8[0][0]}' is {f8[0][1]}"
    return WorkloadError(
        f"{what}, which cimsim does not model and torch does not run on the CPU, where the model "
        f"is traced ({msg}): cast the float8 weight in forward (w.to(torch.bfloat16) * scale, "
        "weight-only fp8: stored at 1 B), or cast the model and its example inputs in the factory "
        "(model.bfloat16() or model.half())")


def _refuse_complex(params) -> None:
    """A complex parameter is refused, ``--dtype`` or not: no component has complex MAC rates,
    and a dtype does not turn a complex product into real ones."""
    from .computed import COMPLEX_ADVICE

    bad = next(((n, p) for n, p in params if p.is_complex()), None)
    if bad is not None:
        raise WorkloadError(
            f"the model's parameter '{bad[0]}' is {str(bad[1].dtype).removeprefix('torch.')}: complex "
            "arithmetic is not modelled (no component has complex MAC rates, and --dtype does not "
            f"convert it); {COMPLEX_ADVICE} (torch.complex(wr, wi) would build the complex "
            "weight each forward: not stationary, no CIM array or PIM unit takes it)")


def _input_names(torch, model, inputs, kwargs) -> dict[int, tuple[str, str]]:
    """Storage key -> (role, name) of example inputs, parameters and buffers: parameters and
    floating-point buffers (BatchNorm's running statistics: constants held with the model,
    read each forward) and int8 buffers (quantized weights) are weights, also where an example
    input shares their storage, other integer and bool buffers (position ids, masks, counters)
    inputs, as the model's inputs are."""
    from .storage import storage_key

    names: dict[int, tuple[str, str]] = {}
    # weights first: an example input sharing a parameter's storage (torch.func's tutorial form,
    # functional_call(model, params) with params = {k: v.detach()} passed in) is that weight
    for n, p in model.named_parameters():
        if p.numel():
            names.setdefault(storage_key(p), ("weight", n))
    buffers = [(n, b) for n, b in model.named_buffers() if b.numel()]
    for n, b in buffers:
        if b.is_floating_point() or b.dtype == torch.int8:  # int8: quantized weights
            names.setdefault(storage_key(b), ("weight", n))
    for path, leaf in _input_leaves(torch, model, inputs, kwargs):
        names.setdefault(storage_key(leaf), ("input", path))
    for n, b in buffers:
        names.setdefault(storage_key(b), ("input", n))
    return names


def _buffer_weights(model, low, tensors) -> dict | None:
    """``metadata['buffer_weights']``: of the weights, the bytes and names of the buffers
    (``register_buffer``: a shifted-window attention mask, a DFT table, running statistics;
    constant data held in memory with the model, not trained), largest first, and
    ``non_persistent`` those registered ``persistent=False`` (not in the ``state_dict``: the
    model rebuilds them at construction); None where no buffer is a weight."""
    bufs = {n for n, _ in model.named_buffers(remove_duplicate=False)}
    by_name: dict[str, int] = {}
    for (vid, _), name in low.declared.items():
        v = low.st.versions[vid]
        if v.role == "weight" and v.name in bufs and name in tensors:
            by_name[v.name] = by_name.get(v.name, 0) + tensors[name].nbytes
    if not by_name:
        return None
    names = sorted(by_name, key=lambda n: (-by_name[n], n))
    # persistent=False (timm Swin's attn_mask): rebuilt at construction, not in the state_dict
    gone = {f"{m}.{b}" if m else b for m, mod in model.named_modules(remove_duplicate=False)
            for b in getattr(mod, "_non_persistent_buffers_set", ())}
    out = {"bytes": int(sum(by_name.values())), "names": names}
    if np_names := [n for n in names if n in gone]:
        out["non_persistent"] = np_names
    return out


def _input_leaves(torch, model, inputs, kwargs):
    """(name, tensor) of every tensor of the example inputs, named by ``forward``'s parameters."""
    try:
        params = [p.name for p in inspect.signature(model.forward).parameters.values()]
    except (TypeError, ValueError):
        params = []
    for i, x in enumerate(inputs):
        yield from _leaves(torch, x, params[i] if i < len(params) else f"input{i}")
    for key, x in (kwargs or {}).items():
        yield from _leaves(torch, x, key)


def _name_views(low, leaves) -> None:
    """Name the parts of a source storage that several example inputs share (``src, dst =
    A.nonzero(as_tuple=True)``) by those inputs (:attr:`.storage.Version.view_names`), not by
    the order the model first read them."""
    from .storage import read_key, storage_key

    by_key: dict[int, list] = {}
    for path, leaf in leaves:
        if leaf.numel():
            by_key.setdefault(storage_key(leaf), []).append((path, leaf))
    for key, views in by_key.items():
        vid = low.source_vid.get(key)
        if len(views) < 2 or vid is None:
            continue
        for path, leaf in views:
            for got, offs in low.st.pieces(leaf):
                if got == vid and offs is not None:
                    low.st.versions[vid].view_names.setdefault(read_key(offs), path)


#: names under which a model returns its KV cache (transformers 5: ``cache``; before: ``past_key_values``)
CACHE_OUTPUTS = ("cache", "past_key_values")


def _leaves(torch, obj, path, depth=0):
    """(path, tensor) of every tensor inside ``obj``: containers and plain objects (a KV cache)."""
    if isinstance(obj, torch.Tensor):
        if obj.numel():
            yield path, obj
    elif depth > 5:
        return
    elif isinstance(obj, (list, tuple)):
        for i, x in enumerate(obj):
            yield from _leaves(torch, x, f"{path}[{i}]", depth + 1)
    elif isinstance(obj, dict):
        for k, x in obj.items():
            yield from _leaves(torch, x, f"{path}.{k}", depth + 1)
    elif hasattr(obj, "__dict__") and not isinstance(obj, (type, torch.nn.Module)):
        for k, x in vars(obj).items():
            if not k.startswith("_"):
                yield from _leaves(torch, x, f"{path}.{k}", depth + 1)


#: aten ops only a model in train mode runs (dropout's mask; a batch norm taking the batch's statistics)
#: (under no_grad, nn.Dropout runs as ``bernoulli_`` on an empty mask, then ``div_`` and ``mul``)
_DROPOUTS = frozenset({"native_dropout", "dropout", "_fused_dropout", "feature_dropout", "alpha_dropout",
                       "bernoulli"})


def _train_mode_op(ev) -> bool:
    """Whether event ``ev`` is dropout, or a batch norm on the batch's statistics updating its
    running ones (training). One with no running statistics (an ``InstanceNorm`` or a
    ``BatchNorm`` with ``track_running_stats=False``) normalises by its input's in eval mode too:
    that is the layer, which ``model.eval()`` does not change."""
    from .aten import base_name, batch_norm_mode
    from .registry import bound_args
    from .randoms import fixed_probability

    name = base_name(ev.func)
    if name == "bernoulli":  # dropout's mask, not an encoder's draws from a tensor of probabilities
        return fixed_probability(ev.func)
    return name in _DROPOUTS or (batch_norm_mode(ev) == "train"
                                 and bound_args(ev, ev.args, ev.kwargs).get("running_mean") is not None)


def trace(model: torch.nn.Module, example_inputs: torch.Tensor | tuple | list, name: str | None = None,
          allow_unknown: bool = False, dtype: str | None = None, example_kwargs: dict | None = None,
          stats_bits: int | tuple[int, int] | None = None,
          resident: Sequence[str] | None = None,
          launch_modules: Sequence[str] | None = None, batch: int | None = None,
          fold_computed_weights: bool = False) -> Workload:
    """Trace ``model`` on ``example_inputs`` into a :class:`~cimsim.workload.ir.Workload`.

    Parameters
    ----------
    model : a ``torch.nn.Module``, traced in its current train/eval mode; or a function of the
        example inputs (a torch.func transform: ``vmap(jacrev(net))``), traced as a module whose
        forward calls it, the modules it uses registered as its submodules (:mod:`.functions`).
    example_inputs : a tensor or a tuple of the positional inputs of ``model.forward``.
        Shapes, loop counts, sequence lengths and cache lengths are taken from them.
    name : the workload's name (default: the model's class name, lower case).
    allow_unknown : keep aten ops without a mapping as generic elementwise ops
        carrying their FLOP-counter MACs (listed in ``metadata['unknown_ops']``)
        instead of raising :class:`~cimsim.errors.WorkloadError`.
    dtype : workload dtype (fp32|fp16|bf16|int8) of every floating-point tensor (the model
        traced as if it were of that dtype); default: each keeps its own fp32 / fp16 / bf16 (a
        mixed-precision model's layers and casts as torch runs them). Other tensors keep their
        own (int64 indices, bool masks, complex FFT outputs: :data:`.aten.TORCH_STORAGE_DTYPES`).
    example_kwargs : keyword inputs of ``model.forward`` (e.g. ``past_key_values``).
    stats_bits : measure each weight matmul's data statistics on the example inputs, counted
        at this many bits (one number, or ``(input bits, weight bits)``), as op tags
        (:mod:`.stats`, :mod:`cimsim.workload.activity`); None: off.
        A model of fake tensors has no data: nothing is recorded and
        ``metadata['activity_stats']`` says so.
    resident : forward arguments whose inputs lie in memory across runs (a retrieval database
        passed to ``forward(q, db)``: ``["db"]``), as ``cimsim trace --resident``: recorded in
        ``metadata['resident_inputs']``, so the footprint counts them with the KV cache and PIM
        units with ``claims: [kv_cache]`` read them in their banks
        (:mod:`cimsim.workload.resident`); a name that is no input's argument is a
        :class:`~cimsim.errors.WorkloadError`.
    launch_modules : modules each call of which runs as one kernel launch, by path (``"enc"``)
        or class name (``"HashGrid"``), as ``cimsim trace --launch-module``: every op inside
        gets tag ``launch`` ``module:<path>`` (``module:<path>#k``, the k-th call, for a module
        called more than once; one dispatch a group: :func:`.fuse.launch_modules`); a name
        matching no module, or only the model's own class, is a WorkloadError.
    batch : the samples the example inputs hold, recorded as ``metadata['batch']`` (the
        divisor of ``samples_per_s`` and the other per-sample figures), as ``cimsim trace
        --batch N``. Without it, a first input of two or more dimensions whose leading one is
        over 1 warns :class:`BatchNote` (a :class:`~cimsim.errors.CimsimWarning`): the run counts
        1 sample, and the batch is not guessed from shapes (an LSTM's leading dimension is T).
    fold_computed_weights : as ``cimsim trace --fold-computed-weights``: a matmul whose matrix is
        computed each forward from one parameter alone (a BitLinear quantising its weight in
        forward) reads that parameter as its stationary weight, the transform ops dropped;
        listed in ``metadata['folded_weights']`` (:mod:`.fold`).

    ``model`` runs once, traced; where a matmul reads a parameter the forward rewrote in place,
    it runs once more, untraced, to tell a rewrite on every call from a one-time one
    (:func:`.computed.rewrites_each_forward`), after which the tensors it wrote (BatchNorm's
    running statistics, parameters), the parameters and buffers it rebound and the global
    random states are put back as the traced forward left them; Python attributes it changes and
    what it prints are not undone.
    """
    torch = require_torch()
    batch = check_batch(batch, "trace()")
    from .functions import as_module

    # a function (vmap(jacrev(net))): wrapped, its modules and closed-over tensors registered
    model = as_module(torch, model, inputs=(example_inputs, example_kwargs))
    if type(model).__name__ == "OptimizedModule" and isinstance(getattr(model, "_orig_mod", None),
                                                                torch.nn.Module):
        # torch.compile: the module it wraps, as eager torch runs it (its names, its forward's
        # argument names; not Inductor's kernels)
        model = model._orig_mod
    if isinstance(model, torch.jit.ScriptModule) and not hasattr(model, "training"):
        # torch.jit.freeze (and optimize_for_inference) drops the module's attributes and folds
        # its parameters into graph constants: no weight could be told from a constant
        raise WorkloadError(
            f"trace() got a frozen TorchScript module ({type(model).__name__} from torch.jit.freeze "
            "or torch.jit.optimize_for_inference), which is not supported: its weights are folded "
            "into constants, so none would be a weight; trace the module before freezing it (the "
            "nn.Module, or its torch.jit.script / torch.jit.trace)")
    if name is not None:  # before tracing, and as the caller's error, not a tracer bug
        from ...errors import name_problem

        if (why := name_problem(name)) is not None:
            raise WorkloadError(f"trace(): name {why}")
    keep_floats = dtype is None
    _refuse_complex(list(model.named_parameters()))
    if dtype is None:
        dtype = _model_dtype(model)
    elif dtype not in _TORCH_DTYPES.values():
        raise WorkloadError(f"dtype {dtype!r} is not one of "
                            f"{', '.join(dict.fromkeys(_TORCH_DTYPES.values()))}")
    if example_kwargs is not None and not (isinstance(example_kwargs, dict) and
                                           all(isinstance(k, str) for k in example_kwargs)):
        raise WorkloadError(f"trace(): example_kwargs must be a dict of forward's keyword inputs "
                            f"by name (e.g. {{'past_key_values': cache}}), not "
                            f"{type(example_kwargs).__name__} {example_kwargs!r:.60}")
    inputs = _as_tuple(example_inputs)
    if stats_bits is not None:
        from .stats import check_bits

        try:
            stats_bits = check_bits(stats_bits)
        except ValueError as exc:
            raise WorkloadError(str(exc)) from None
    w = _trace_aten(torch, model, inputs, example_kwargs or {}, name, allow_unknown, dtype,
                    stats_bits, keep_floats, launch_modules, fold_computed_weights)
    if resident:
        from ..resident import mark_resident

        mark_resident(w, resident)
    record_batch(w, inputs, batch, "trace()", model, example_kwargs)
    return w


#: ``cimsim.trace.register_op(...)``: a custom op's lowering (:mod:`.custom`), beside the function
trace.register_op = register_op  # type: ignore[attr-defined]


def _trace_aten(torch, model, inputs, kwargs, name, allow_unknown, dtype, stats_bits=None,
                keep_floats=False, launch_groups=None, fold_computed=False):
    from ..ir import Workload
    from .capture import record
    from .control import tag_host_syncs
    from .fuse import (absorb_into_softmax, drop_lone_launches, fuse_pointwise, launch_modules,
                       recurrent_types, tag_recurrent)
    # register the gathers', convolutions', _grouped_mm's, quantized (and packed quantized) ops',
    # FFTs' and dense linear algebra's lowerings
    from . import activations, bags, convs, distances, fft, gridsample, grouped, linalg, mathops, packed, quant, randoms, scatter, training  # noqa: F401
    from .lower import Lowerer

    from . import padding, persist

    names = _input_names(torch, model, inputs, kwargs)
    optimizers = persist.optimizers_held(torch, model.modules())
    # each parameter's in-place version counter: one the step's optimizer bumps is updated, and
    # its weight transform runs every step (never folded: :mod:`.fold`)
    counters = [(p, p._version) for p in model.parameters()] if fold_computed else []
    try:
        with persist.optimizers_stepping(torch, optimizers), padding.watch(torch, model) as padded:
            events, out, modules, param_grads = record(torch, model, inputs, kwargs, keep_data=stats_bits is not None,
                                                      calls=bool(launch_groups))
    except WorkloadError:
        raise
    except Exception as exc:
        if (f8 := _float8_failure(model, exc)) is not None:
            raise f8 from exc
        msg = str(exc).splitlines()[0] if str(exc) else ""
        if isinstance(exc, NotImplementedError) and "copy out of meta tensor" in msg:  # .tolist()
            from .capture import values_error

            raise values_error("copying a meta tensor's data out (.tolist(), .numpy())", True) from None
        if isinstance(exc, RuntimeError) and "does not require grad" in msg:  # backward() under no_grad
            raise WorkloadError(
                f"running {type(model).__name__} on the example inputs failed: it calls backward() "
                f"({msg}); cimsim traces the model under torch.no_grad(): run backward() and the "
                "optimizer's step inside torch.enable_grad() to trace a training step (README "
                "'Training on a CIM: what is modelled')") from exc
        from .capture import tracer_fault

        if tracer_fault(exc):  # the tracer's module tracking, not the model
            raise WorkloadError(
                f"tracing {type(model).__name__} failed in cimsim's tracer, not in the model (its "
                f"module tracking, torch.utils.module_tracker.ModuleTracker's hooks, raised "
                f"{type(exc).__name__}: {msg}): a cimsim bug, please report it") from exc
        raise WorkloadError(
            f"running {type(model).__name__} on the example inputs failed: {type(exc).__name__}: {msg}"
        ) from exc
    module_types = {path: type(m).__name__ for path, m in modules.items()}
    states = persist.state_tensors(torch, model, optimizers)
    persist.name_state(names, states)
    low = Lowerer(torch, names, dtype, allow_unknown, modules, keep_floats)
    low.fold_computed = bool(fold_computed)
    from .storage import storage_key

    low.fold_updated = frozenset(storage_key(p) for p, n in counters if p._version != n)

    low.given_shapes = {storage_key(t): tuple(t.shape) for x in (*inputs, *kwargs.values())
                        for _, t in _leaves(torch, x, "")}
    # a network the model uses without registering it (a closure, a list attribute): its
    # parameters, which the module tracker saw run, are weights too (the storage a backward's
    # saved transpose of one views is no untraced constant)
    held = [(f"{path}.{n}" if path else n, p) for path, mod in modules.items()
            for n, p in mod.named_parameters(recurse=False) if p.numel()]
    for n, p in held:
        low.names.setdefault(storage_key(p), ("weight", n))
    low.param_keys = frozenset([*(storage_key(p) for p in model.parameters() if p.numel()),
                                *(storage_key(p) for _, p in held)])
    low.stats_bits = stats_bits
    low.buffer_keys = frozenset(storage_key(b) for b in model.buffers() if b.numel())  # :mod:`.binary`
    low.buffer_names = {n: storage_key(b) for n, b in model.named_buffers() if b.is_complex()}
    for ev in events:
        low.event(ev)
    computed_sweep(low)  # every matmul reading a hook's / parametrization's weight is said
    _name_views(low, _input_leaves(torch, model, inputs, kwargs))
    # the KV cache the model returns (Hugging Face's ``cache`` / ``past_key_values``) outlives
    # the step: the ops that wrote it store those bytes in the backing store (a DynamicCache's
    # torch.cat writes the whole grown cache; an in-place StaticCache update only the new rows)
    low.store([t for path, t in _leaves(torch, out, "")
               if path.lstrip(".").split(".")[0].split("[")[0] in CACHE_OUTPUTS])
    # what outlives the step (state written in place, outputs) stays an output of a fused op
    persist.mark_lasting(low, persist.lasting(torch, model, inputs, kwargs, out, states, _leaves))
    optimizer_state = persist.state_metadata(low, states)
    updated = persist.updated_parameters(low, model)
    tensors, ops = low.finish()
    n_events, n_backward = len(events), sum(ev.backward for ev in events)
    # whatever set it: the model's train mode, a submodule's (MC dropout), F.dropout(training=True)
    n_train = sum(_train_mode_op(ev) for ev in events if not ev.backward)
    del events
    n_lowered = len(ops)
    rnn_types = recurrent_types(modules)  # torch's nn.LSTM / GRU / RNN (cells), by isinstance
    ops = fuse_pointwise(ops, tensors, rnn_types, low.kept, low.sync_of)
    ops = drop_lone_launches(absorb_into_softmax(ops, tensors, low.kept, low.sync_of))
    tag_host_syncs(ops, low.sync_of)  # the op after each value read waits for it (find-F 4)
    persist.name_state_tensors(low, optimizer_state, tensors)
    master = persist.master_weights(low, model) if n_backward else None
    recurrent = tag_recurrent(ops, rnn_types)
    if launch_groups:  # modules run as one kernel each (a custom CUDA encoder, a fused MLP)
        ops = launch_modules(ops, module_types, launch_groups)
    matmul_macs = sum(op.macs for op in ops if op.kind == "matmul")
    generic_macs = sum(op.generic_macs for op in ops)
    # a mapped op carrying MACs (dense linear algebra, :mod:`.linalg`) counts as mapped
    unknown_macs = sum(op.generic_macs for op in ops if op.tags.get("unknown"))
    total = matmul_macs + generic_macs
    metadata = {
        "source": "cimsim.trace (aten)",
        "model": f"{type(model).__module__}.{type(model).__qualname__}",
        "torch_version": torch.__version__.split("+")[0],
        "gather_rule": GATHER_RULE,
        CHAIN_RULE_KEY: CHAIN_RULE,  # fused ops state chain_io (workload/depth.py)
        "training": bool(model.training),
        "capture": "aten",
        "aten_ops": n_events,
        "ops_before_fusion": n_lowered,
        "ops_by_kind": dict(sorted(Counter(op.kind for op in ops).items())),
        "unknown_ops": low.unknown,
        "generic_macs": generic_macs,
        # None (JSON null) when no MAC is counted: a share of nothing (an unknown op the FLOP
        # counter has no formula for, or a model without MACs) is no 100 %
        "mapped_mac_share": ((total - unknown_macs) / total) if total else None,
    }
    from ..returned import traced_outputs

    if returned := traced_outputs(low, torch, out, _leaves, tensors):  # held to the run's end
        metadata["outputs"] = returned
    if low.overlapping:  # a matmul's weight read through overlapping views: bytes held once
        from .assemble import overlap_readers

        overlap_readers(low.overlapping, ops)  # what reads each view (a gather, a matmul)
        metadata["overlapping_weight_reads"] = low.overlapping
    if buffers := _buffer_weights(model, low, tensors):  # constants stored with the model
        metadata["buffer_weights"] = buffers
    if low.unwritten[0]:  # unread by-products left out (:func:`.assemble.byproducts`)
        metadata["unwritten_byproducts"] = {"tensors": low.unwritten[0], "bytes": int(low.unwritten[1])}
    if getattr(low, "grid_sample_estimates", None):  # samplers costed without their grid's values
        metadata["grid_sample_estimates"] = low.grid_sample_estimates
    if getattr(low, "dilated_convs", None):  # receptive field, MACs on padding (:mod:`..windows`)
        metadata["dilated_convs"] = low.dilated_convs
    if n_train:  # dropout and batch statistics a model in train mode runs
        metadata["train_mode_ops"] = n_train
    if n_backward:  # aten ops autograd's engine ran (a backward() in torch.enable_grad()): plain ops
        metadata["backward_ops"] = n_backward
        if not param_grads:  # derivatives w.r.t. inputs only (a PINN's residual): no training step
            metadata["input_derivatives_only"] = True
    if updated:  # parameters written in place (an optimizer step): a run says what that means
        metadata["updated_parameters"] = len(updated)
        metadata["updated_parameter_names"] = [n for n, _ in updated]
        metadata["updated_weight_tensors"] = [n for n in persist.updated_weight_tensors(low, updated)
                                              if n in tensors]
    if low.updated_reads:  # matmuls reading a weight the step had updated (a later step)
        metadata["updated_weight_reads"] = low.updated_reads
    if optimizer_state:  # an optimizer stepped: its state, by parameter and key (:mod:`.persist`)
        metadata["optimizer_state"] = optimizer_state
    from .complexes import KEPT_KEY, kept_complex

    if kept := kept_complex(dtype, keep_floats, tensors):  # complex tensors kept under --dtype bf16
        metadata[KEPT_KEY] = kept
    if low.untyped:  # torch dtypes with no IR dtype: counted at the workload dtype
        metadata["dtypes_counted_as_workload_dtype"] = sorted(low.untyped)
    if low.computed_weights:  # matrices computed from parameters each forward: not stationary
        if any(e["from"] == IN_PLACE for e in low.computed_weights):  # once, or every forward?
            rewrites_each_forward(torch, model, inputs, kwargs, low.computed_weights,
                                  [*model.parameters(), *(p for _, p in held)],
                                  getattr(low, "in_place_keys", {}), [*model.modules(), *modules.values()])
        metadata["computed_weights"] = low.computed_weights
    if low.folded_weights:  # --fold-computed-weights: matmuls re-pointed at a parameter (:mod:`.fold`)
        metadata["folded_weights"] = low.folded_weights
    if low.cast_weights:  # weights read at another dtype (autocast): counted at that dtype
        metadata["weights_cast"] = dict(sorted(low.cast_weights.items()))
    if master:  # a training step's parameters at their own dtype, beside the cast weights
        metadata["master_weights"] = master
    if recurrent:
        metadata["schedule"] = "layer"
    if launch_groups:
        metadata["launch_modules"] = sorted({launch_groups} if isinstance(launch_groups, str) else set(launch_groups))
    from .unread import collect

    # unread parameters, experts no token chose, tensors no traced op made (:mod:`.unread`)
    metadata.update(collect(low, model))
    from .control import collect as value_reads

    metadata.update(value_reads(low))  # an if / while / .item() on a tensor's value (:mod:`.control`)
    am = padding.attention_mask_input(torch, model, inputs, kwargs)
    metadata.update(padding.collect(torch, padded, am, ops))  # padded share (:mod:`.padding`)
    if stats_bits is not None:
        from .stats import summary

        tagged, fake = getattr(low, "stats_ops", 0), getattr(low, "stats_fake", 0)
        partial, none = getattr(low, "stats_weight_only", 0), getattr(low, "stats_none", 0)
        # matmuls on a weight computed from parameters (prune hooks): weight matmuls, unmeasured
        computed = sum(e["from"] == "parameters" for e in low.computed_weights)
        metadata["activity_stats"] = summary(tagged, tagged + partial + none + fake + computed,
                                             tagged + partial == 0 and fake > 0, stats_bits,
                                             partial, none, computed)
    wname = type(model).__name__.lower() if name is None else name
    if not ops:  # the user's model, not the tracer: it returned its inputs (or constants) untouched
        raise WorkloadError(
            f"{type(model).__name__} on the example inputs ran {n_events} aten call(s), none that "
            "reads, writes or computes data (views, reshapes and constants cost nothing): "
            "there is nothing to simulate")
    try:
        return Workload(wname, list(tensors.values()), ops, metadata)
    except WorkloadError as exc:
        raise WorkloadError(f"traced workload of {type(model).__name__} is invalid (a tracer bug): {exc}") from exc
