"""Capture: run the model and record every aten op it executes.

A :class:`Recorder` is a ``TorchDispatchMode``: it sees each aten op after
autograd and the composite decompositions, i.e. the ops torch really runs
(``addmm``, ``bmm``, ``convolution``, ``_softmax``, ``add``, ...). For each op
it keeps the op, its arguments and outputs (the real tensors, kept alive until
the capture is lowered so that storage identity stays unique), the innermost
module running it (``torch.utils.module_tracker.ModuleTracker``) and the user's
source line that called it.

:func:`capture_context` turns off the fused kernels that hide work from the
dispatcher: the oneDNN RNN (``nn.LSTM`` / ``nn.GRU`` then run as per-step
``addmm`` + pointwise ops), the ``nn.MultiheadAttention`` / transformer fast
path, and the flash / memory-efficient SDPA kernels (the math backend runs
attention as ``bmm`` + ``_softmax`` + ``bmm``).
"""

from __future__ import annotations

import contextlib
import logging
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

from .control import VALUE_READS, higher_order_error, range_checked
from .custom import (FUNCTIONAL_ATEN, FUNCTIONALIZED, composite_of, event_custom, in_place_of,
                     run_composite, unwrap_functionalized)
from .fxnodes import frame_node, fx_node, node_line, node_module

_CIMSIM_DIR = str(Path(__file__).resolve().parents[2])
_TRACE_DIR = str(Path(__file__).resolve().parent)
#: frames of these packages are library code, not the user's source line
_LIBRARY_MARKERS = ("/torch/", "/transformers/", "/contextlib.py", "/functools.py")
#: torch's wrappers between a value read and the code that made it (``torch._dynamo.disable``,
#: the dispatch machinery, ``Tensor`` dunders): skipped when naming a read's site
_PLUMBING = ("/torch/_dynamo/", "/torch/_compile.py", "/torch/utils/_python_dispatch.py",
             "/torch/_ops.py", "/torch/_tensor.py", "/torch/overrides.py",
             "/torch/utils/_contextlib.py", "/contextlib.py", "/functools.py")


@dataclass
class Event:
    """One executed aten op."""

    func: object  # torch._ops.OpOverload
    args: tuple
    kwargs: dict
    out: object
    module: str  # innermost module path ("" for the root's own code)
    where: str  # the user's "file:line" that led to the op
    #: copies of a matmul's tensor operands by id of the original (``--stats`` only; :mod:`.stats`)
    data: dict | None = None
    backward: bool = False  # run by autograd's engine (a ``backward()`` in the traced code)
    #: a value read's innermost "file:line", library code included (:func:`_read_site`)
    site: str = ""
    #: ``record(..., calls=True)`` (``--launch-module``): module path -> the number of the entry
    #: into it (a forward call, or its backward) that is running the op, for each module running it
    calls: dict | None = None
    custom: tuple | None = None  # inside a registered composite: :func:`.custom.event_custom`

    def origin(self) -> str:
        """What ran the op, for an error: a module's forward, the model's own code, or autograd's
        backward pass (whose ``where`` is the line that called ``backward()`` / ``autograd.grad``)."""
        if self.backward:
            return "autograd's backward pass" + (f" of module '{self.module}'" if self.module else "")
        return f"module '{self.module}'" if self.module else "the model's own forward"


@contextlib.contextmanager
def capture_context(torch):
    """Fused kernels off, math attention, no autograd: what runs is what the dispatcher sees."""
    from torch.nn.attention import SDPBackend, sdpa_kernel

    mha = torch.backends.mha.get_fastpath_enabled()
    torch.backends.mha.set_fastpath_enabled(False)
    try:
        with warnings.catch_warnings():
            # mkldnn.flags() re-sets oneDNN's TF32 flag and warns that this build has no Intel GPU
            warnings.filterwarnings("ignore", message="TF32 acceleration on top of oneDNN")
            with torch.backends.mkldnn.flags(enabled=False), sdpa_kernel([SDPBackend.MATH]), \
                    torch.no_grad():
                yield
    finally:
        torch.backends.mha.set_fastpath_enabled(mha)


#: the tracer's frames that run inside the model's call (its torch-function mode, a composite, a
#: functionalized op unwrapped): the walk to the user's line goes on past them
_INSIDE_MODEL = ("__torch_function__", "run_composite", "unwrap_functionalized")


def _user_line(depth: int = 2) -> str:
    f = sys._getframe(depth)
    fallback = ""
    while f is not None:
        fn = f.f_code.co_filename
        # the tracer's own call of the model: nothing outward of it (the CLI, click, a test
        # runner) is the model's code; :data:`_INSIDE_MODEL` sits inside the model's call
        if fn.startswith(_TRACE_DIR) and f.f_code.co_name not in _INSIDE_MODEL:
            break
        if not any(m in fn for m in _LIBRARY_MARKERS) and not fn.startswith(_CIMSIM_DIR) \
                and not fn.startswith("<"):
            return f"{fn}:{f.f_lineno}"
        if fn.startswith("<eval_with_key>") and (line := node_line(frame_node(f), _LIBRARY_MARKERS)):
            return line  # an FX graph's op: its node's stack trace (torch.export keeps it)
        if not fallback and "/transformers/" in fn:
            fallback = f"{fn}:{f.f_lineno}"
        f = f.f_back
    return fallback or "<unknown>"


def _read_site(with_function: bool = False) -> str:
    """The innermost ``file:line`` of the code that read a value (library code included: the
    ``if`` in transformers' mask helper, in ``nn.Transformer``), past torch's plumbing
    (``with_function``: and the function's name, ``pad_packed_sequence``)."""
    f = sys._getframe(2)
    while f is not None:
        fn = f.f_code.co_filename
        if not fn.startswith(_TRACE_DIR) and not any(m in fn for m in _PLUMBING):
            return f"{f.f_code.co_name} at {fn}:{f.f_lineno}" if with_function else f"{fn}:{f.f_lineno}"
        f = f.f_back
    return ""


#: aten ops whose result (its shape, or a Python number) depends on the values of what they read
VALUE_DEPENDENT = frozenset({"nonzero", "argwhere", "masked_select", "_unique", "_unique2", "unique_dim",
                             "unique_consecutive", "bincount", "repeat_interleave",
                             "_local_scalar_dense", "item", "is_nonzero", "equal"})


def needs_values(torch, func, args, kwargs, exc) -> bool:
    """Whether ``func`` failed for want of values: a value-dependent op (``nonzero``, a
    one-argument ``where``, ``masked_select``, a boolean mask's index, ``item``) on a model of
    fake tensors (torch's data-dependent exceptions) or on the meta device."""
    from torch._subclasses.fake_tensor import DataDependentOutputException, DynamicOutputShapeException
    from torch.utils._pytree import tree_leaves

    if isinstance(exc, (DataDependentOutputException, DynamicOutputShapeException)):
        return True
    if not any(isinstance(t, torch.Tensor) and t.is_meta for t in tree_leaves((args, kwargs))):
        return False
    return func._overloadpacket.__name__ in VALUE_DEPENDENT or "meta_nonzero_assume_all_nonzero" in str(exc)


def values_error(what: str, scalar: bool = False):
    """The one-line error for ``what`` (an op and where it ran) that needs values a model of
    shapes only does not have; ``scalar``: a value read into Python (an ``if`` / ``while`` /
    ``.item()`` on a tensor, ``.tolist()``), not a mask's or a router's selection."""
    from ...errors import WorkloadError

    if scalar:
        return WorkloadError(
            f"{what} reads a tensor's value into Python (an if / while / .item() / .tolist() on a "
            "tensor), which a model on the meta device or of fake tensors (shapes only) does not "
            "have: which path runs depends on that value; trace with real (small) tensors (the "
            "path the example input takes is traced: cimsim trace --zoo NAME --real-weights, or a "
            "factory of real tensors) or make the decision a factory argument (--arg) and trace "
            "each path")
    return WorkloadError(
        f"{what} needs the tensors' "
        "values (which elements a mask, a threshold or a router selects), which a model on the meta "
        "device or of fake tensors (shapes only) does not have: a detector keeps the boxes over a "
        "score threshold (nonzero, x[mask]), a mixture of experts routes each token by value; "
        "build the model with real (small) weights (cimsim trace --zoo NAME --real-weights with "
        "small --param sizes, or a factory of real tensors), not torch's "
        "meta_nonzero_assume_all_nonzero, which would select every element (every box kept, every "
        "token sent to every expert)")


def make_recorder(torch):
    """A ``TorchDispatchMode`` subclass recording :class:`Event` s (built lazily: torch is optional)."""
    from torch.utils._python_dispatch import TorchDispatchMode

    class Recorder(TorchDispatchMode):
        def __init__(self, tracker, keep_data=None):
            super().__init__()
            self.tracker = tracker
            self.keep_data = keep_data
            self.events: list[Event] = []
            self._paths: dict[frozenset, str] = {}
            self.quiet = 0  # > 0: inside a composite recorded as one op (:func:`make_composites`)
            self.probes: dict[int, object] = {}  # shape probes' outputs by id, kept alive (:meth:`probe`)
            self._last_calls: tuple = (None, None)  # (parents, entries made) -> :meth:`_calls`
            self.composite, self.composite_calls = [], {}  # :func:`.custom.run_composite`

        def _module(self) -> str:
            parents = frozenset(self.tracker.parents)
            path = self._paths.get(parents)
            if path is None:
                names = [p for p in parents if p != "Global"]
                # the innermost module has the longest dotted name
                path = max(names, key=lambda n: (n.count("."), len(n))) if names else ""
                self._paths[parents] = path
            inner = node_module(fx_node(1))  # an FX graph's op: its node's module (:mod:`.fxnodes`)
            return f"{path}.{inner}" if inner and path else inner or path

        #: torch.cond / torch.while_loop reach __torch_dispatch__, to be refused in one line
        supports_higher_order_operators = True

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            kwargs = kwargs or {}
            if isinstance(func, torch._ops.HigherOrderOperator):
                raise higher_order_error(func.name(), f"module '{self._module()}', {_user_line()}")
            if func._overloadpacket.__name__ in FUNCTIONAL_ATEN:  # in place, as eager: :mod:`.custom`
                return in_place_of(torch, lambda f, a, k: self.__torch_dispatch__(f, types, a, k), func, args, kwargs)
            if self.keep_data:  # a parameter about to be written in place (an optimizer step)
                from .stats import before_write

                self.keep_data = before_write(torch, func, args, kwargs, self.keep_data, self.events)
            try:
                out = func(*args, **kwargs)
            except Exception as exc:
                name = func._overloadpacket.__name__
                if needs_values(torch, func, args, kwargs, exc):
                    raise values_error(f"aten.{name} (module '{self._module()}', {_user_line()})",
                                       name in VALUE_READS) from None
                if isinstance(exc, NotImplementedError) and "copy out of meta tensor" in str(exc):
                    # a meta tensor copied to the CPU (.cpu(), .tolist()): the library line too
                    # (pad_packed_sequence's lengths[unsorted_indices.cpu()])
                    raise values_error(f"aten.{name} copying a meta tensor's data out (module "
                                       f"'{self._module()}', {_user_line()}, in "
                                       f"{_read_site(with_function=True)})", True) from None
                raise
            if not self.quiet and not self.probe(func, args, kwargs, out):
                self.append(func, args, kwargs, out)
            return out

        def probe(self, func, args, kwargs, out) -> bool:
            """Whether the op is eager forward-mode AD's shape inference on the meta device, which
            moves no data and computes nothing (free, not recorded): torch's ZeroTensor fallback
            moves a zero tangent and its partner to ``meta`` with ``aten.to(..., device='meta')``
            to infer a sum's shape (``prims.add``). Only that ``aten.to`` of a real tensor starts
            a probe (a user's ``.to('meta')`` reaches the dispatcher as ``aten._to_copy``), and
            only an op reading nothing but probes continues one: a model built on the meta device
            that mixes in a real tensor (``s / torch.sqrt(torch.tensor(d))``) is recorded whole."""
            from torch.utils._pytree import tree_leaves

            outs = [t for t in tree_leaves(out) if isinstance(t, torch.Tensor)]
            if not outs or not all(t.is_meta for t in outs):
                return False
            ins = [t for t in tree_leaves((args, kwargs)) if isinstance(t, torch.Tensor)]
            if not ins:
                return False
            if func._overloadpacket.__name__ == "to":
                seeded = not ins[0].is_meta  # aten.to(self, ...): the real tensor moved to meta
            else:
                seeded = all(id(t) in self.probes for t in ins)
            if seeded:
                self.probes.update((id(t), t) for t in outs)
            return seeded

        def append(self, func, args, kwargs, out) -> None:
            data = None
            if self.keep_data is not None:  # operands as the op saw them (an in-place op may follow)
                from .stats import snapshot

                data = snapshot(torch, func, args, self.keep_data)
            self.events.append(Event(func, args, kwargs, out, self._module(), _user_line(3), data,
                                     torch._C._current_graph_task_id() != -1,
                                     _read_site() if func._overloadpacket.__name__ in VALUE_READS
                                     else "", self._calls(), event_custom(self.composite)))

        def _calls(self) -> dict | None:
            """The entry number of each module running now (the tracker's ``entries``; None
            where it keeps none), one dict shared by the ops of one stretch of a call."""
            entries = getattr(self.tracker, "entries", None)
            if entries is None:
                return None
            key = (frozenset(self.tracker.parents), self.tracker.n_entries)
            if self._last_calls[0] != key:
                self._last_calls = (key, {p: entries[p] for p in key[0] if p in entries})
            return self._last_calls[1]

    return Recorder


def make_tracker(torch):
    """torch's ``ModuleTracker`` (the innermost module running each op, forward and backward)
    without backward hooks on leaf tensors.

    The tracker registers a multi-grad hook on each module's inputs and outputs that require
    grad, to follow the backward pass; on a leaf (a model input ``x.requires_grad_()``, which a
    PINN's ``torch.autograd.grad(u, x)`` differentiates), that hook calls
    ``torch._C._will_engine_execute_node``, which torch refuses inside ``autograd.grad``
    ("A leaf node was passed to _will_engine_execute_node ..."). A leaf has no backward of its own
    to attribute, so it gets no hook: the model traces as plain torch runs it."""
    from torch.utils.module_tracker import ModuleTracker

    def non_leaf(tree):
        from torch.utils._pytree import tree_flatten

        return [t for t in tree_flatten(tree)[0]
                if isinstance(t, torch.Tensor) and t.requires_grad and t.grad_fn is not None]

    class Tracker(ModuleTracker):
        #: with ``count_calls``: each module's latest entry number (``n_entries`` so far), so the
        #: ops of two calls of one module tell apart (``--launch-module``: one launch a call)
        entries: dict[str, int] | None = None
        n_entries = 0

        def _get_append_fn(self, name, is_bw):
            enter = super()._get_append_fn(name, is_bw)
            if self.entries is None:
                return enter

            def counted(*args) -> None:
                enter(*args)
                self.n_entries += 1
                self.entries[name] = self.n_entries

            return counted

        def _fw_pre_hook(self, mod, input) -> None:
            super()._fw_pre_hook(mod, non_leaf(input))

        def _fw_post_hook(self, mod, input, output) -> None:
            super()._fw_post_hook(mod, input, non_leaf(output))

    return Tracker


def tracer_fault(exc: BaseException) -> bool:
    """Whether ``exc`` came from the tracer's own module tracking (the tracker's forward hooks,
    or the backward multi-grad hooks it registers), not from the model's code."""
    tb = exc.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        if code.co_filename.endswith("module_tracker.py") or (
                code.co_filename == __file__ and code.co_name.startswith("_fw_")):  # make_tracker's
            return True
        if code.co_name == "inner_hook" and "/torch/autograd/" in code.co_filename:
            fn = tb.tb_frame.f_locals.get("fn")  # the multi-grad hook's callback
            if "ModuleTracker." in getattr(fn, "__qualname__", ""):
                return True
        tb = tb.tb_next
    return False


def make_composites(torch, rec):
    """A ``TorchFunctionMode`` that records a library norm torch decomposes before the dispatcher
    (``F.rms_norm``, ``nn.RMSNorm``: CPU and meta run it as pow, mean, add, rsqrt, mul, mul) as
    the one ``aten.rms_norm`` op it is, as ``nn.LayerNorm`` reaches the recorder as one
    ``native_layer_norm``; its decomposition runs unrecorded. Not where autograd records it (a
    traced ``backward()`` needs the decomposed ops its backward reads)."""
    from torch.overrides import TorchFunctionMode

    fns = (torch.nn.functional.rms_norm, torch.rms_norm)
    names = ("input", "normalized_shape", "weight", "eps")
    sdpa = torch.nn.functional.scaled_dot_product_attention
    from .rnn_schedule import rnn_functions

    rnns = rnn_functions(torch)
    svdvals = svdvals_functions(torch)
    one_hot = torch.nn.functional.one_hot

    class Composites(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            kwargs = kwargs or {}
            if isinstance(func, torch._ops.HigherOrderOperator) and func.name() in FUNCTIONALIZED:
                return unwrap_functionalized(torch, self, func, args, kwargs)  # the op it carries
            if not rec.quiet and (spec := composite_of(torch, func)) is not None:  # :mod:`.custom`
                return run_composite(torch, rec, self, spec, func, args, kwargs)
            if func is sdpa and not rec.quiet:
                return _gqa_in_place(torch, func, args, kwargs)
            if func in rnns and not rec.quiet:
                return _rnn_as_cpu(torch, rec, func, rnns[func], args, kwargs)
            if func is one_hot and not rec.quiet:  # its range check is torch's (:mod:`.control`)
                return range_checked(torch, rec, func, args, kwargs)
            if func in svdvals and not _needs_grad(torch, args, kwargs):
                return _values_only(torch, rec, func, args, kwargs)
            if func not in fns or rec.quiet or _needs_grad(torch, args, kwargs):
                return func(*args, **kwargs)
            bound = {**dict(zip(names, args)), **kwargs}
            rec.quiet += 1
            try:
                out = func(*args, **kwargs)
            finally:
                rec.quiet -= 1
            rec.append(torch.ops.aten.rms_norm.default, tuple(bound.get(n) for n in names), {}, out)
            return out

    return Composites()


def svdvals_functions(torch) -> set:
    """The functions whose SVD eager torch runs for the singular values only
    (``linalg_svdvals``: ``compute_uv`` only where autograd needs U and V): ``svdvals`` and the
    spectral / nuclear norms, ``cond`` and ``matrix_rank`` that call it."""
    la = torch.linalg
    return {la.svdvals, la.matrix_norm, la.norm, la.cond, la.matrix_rank, torch.norm, torch.Tensor.norm,
            torch.nuclear_norm}


def _needs_grad(torch, args, kwargs) -> bool:
    return torch.is_grad_enabled() and any(isinstance(t, torch.Tensor) and t.requires_grad
                                           for t in (*args, *kwargs.values()))


def _values_only(torch, rec, func, args, kwargs):
    """Run ``func``; its ``_linalg_svd`` calls are recorded with ``compute_uv=False``, as eager
    torch makes them (under a dispatch mode, ``svdvals`` asks for U and V: its input counts as
    a tensor subclass)."""
    first = len(rec.events)
    out = func(*args, **kwargs)
    for ev in rec.events[first:]:
        if ev.func is torch.ops.aten._linalg_svd.default:
            ev.kwargs = {**ev.kwargs, "compute_uv": False}
    return out


def _rnn_as_cpu(torch, rec, func, name, args, kwargs):
    """A dense ``nn.LSTM`` / ``nn.GRU`` / ``nn.RNN`` call on meta tensors in the CPU kernel's
    schedule (:mod:`.rnn_schedule`), its ops credited to the line that called the module, as the
    CPU build's are; any other call as torch runs it."""
    from .rnn_schedule import maybe_cpu_schedule

    where, first = _user_line(2), len(rec.events)
    out = maybe_cpu_schedule(torch, name, args, kwargs)
    if out is None:
        return func(*args, **kwargs)
    for ev in rec.events[first:]:
        ev.where = where
    return out


def _gqa_in_place(torch, sdpa, args, kwargs):
    """``scaled_dot_product_attention(q, k, v, enable_gqa=True)`` without a mask, as torch's CPU
    and CUDA kernels run it: each KV head read in place by the ``g`` query heads of its group. The
    math backend the tracer forces would first copy K and V to every query head
    (``repeat_interleave``), a copy no real kernel makes; run instead with the group's query heads
    as rows (q ``[B, Hkv, g * L, E]``: the same MACs, K and V read once), as a ``--serve`` decode
    step regroups them (:func:`cimsim.zoo.serve_attention._fold_cache`). With a mask or
    ``is_causal`` (rows of one head's queries are not rows of the group) it runs as given."""
    names = ("query", "key", "value", "attn_mask", "dropout_p", "is_causal", "scale", "enable_gqa")
    bound = {**dict(zip(names, args)), **kwargs}
    q, k = bound["query"], bound["key"]
    if not bound.get("enable_gqa") or bound.get("attn_mask") is not None or bound.get("is_causal") \
            or q.dim() < 3 or k.dim() != q.dim() or q.shape[-3] == k.shape[-3] \
            or q.shape[-3] % k.shape[-3]:
        return sdpa(*args, **kwargs)
    *lead, h, n, e = q.shape
    hkv = k.shape[-3]
    bound.update(query=q.reshape(*lead, hkv, h // hkv * n, e), enable_gqa=False)
    out = sdpa(**bound)
    return out.reshape(*lead, h, n, out.shape[-1])


def record(torch, model, inputs, kwargs=None, keep_data=False, calls=False):
    """Run ``model(*inputs, **kwargs)`` under the recorder (``keep_data``: with copies of each
    matmul's operands, for ``--stats``).

    Returns (events, output, modules by path, the number of parameter tensors autograd computed
    a gradient of: 0 where a backward pass only took derivatives w.r.t. inputs, a PINN's
    ``torch.autograd.grad(u, x)``). ``calls``: each event records the module calls running it
    (:attr:`Event.calls`).
    """
    kwargs = kwargs or {}
    tracker = make_tracker(torch)()
    if calls:
        tracker.entries = {}
    skip = None  # keep_data: copies of matmul operands, not of parameters and buffers
    if keep_data:
        from .stats import has_data

        skip = {t.untyped_storage().data_ptr() for t in (*model.parameters(), *model.buffers())
                if has_data(torch, t)}
    rec = make_recorder(torch)(tracker, skip)
    from .randoms import watch_seeds  # draws after the forward's torch.manual_seed: reseeded

    seen: dict[int, object] = {}  # strong references: modules created inside forward die with it

    def keep(mod, args):
        seen.setdefault(id(mod), mod)

    handle = torch.nn.modules.module.register_module_forward_pre_hook(keep)
    graded: set[int] = set()  # parameters autograd computed a gradient of (a training step's)
    grad_hooks = [p.register_hook(lambda g, i=i: graded.add(i))
                  for i, p in enumerate((*model.parameters(), *getattr(model, "_closed_leaves", ())))
                  if p.requires_grad]
    asked: set[int] = set()  # storages differentiated that are no parameter's (:func:`_matrix_grads`)
    func_grads = _functional_grads(torch, model, graded, asked)
    # a kernel that fails on fake tensors is logged by torch with its traceback before the error
    # reaches us; the error is reported in one line (trace), so the log is kept quiet meanwhile
    fake_log = logging.getLogger("torch._subclasses.fake_tensor")
    level = fake_log.level
    fake_log.setLevel(logging.CRITICAL)
    try:
        # a model of fake tensors (shapes only) runs inside its fake mode, so tensors its forward
        # creates from nothing (masks, position ids) are fake too
        with capture_context(torch), tracker, _fake_mode(torch, model), rec, \
                make_composites(torch, rec), func_grads, watch_seeds(torch, rec):
            out = model(*inputs, **kwargs)
    finally:
        handle.remove()
        for h in grad_hooks:
            h.remove()
        fake_log.setLevel(level)
    graded.update(_matrix_grads(torch, rec.events, asked))  # weight gradients of what is no parameter
    root = type(model).__name__
    modules: dict[str, object] = {}
    for mod in seen.values():
        name = tracker._known_modules.get(mod)
        if name is not None:
            modules.setdefault(_strip_root(name, root), mod)
    stripped: dict[int, tuple] = {}  # Event.calls, shared: each dict stripped once
    for ev in rec.events:
        ev.module = _strip_root(ev.module, root)
        if ev.calls is not None:
            if id(ev.calls) not in stripped:
                stripped[id(ev.calls)] = (ev.calls, {_strip_root(p, root): n for p, n in ev.calls.items()})
            ev.calls = stripped[id(ev.calls)][1]
    return rec.events, out, modules, len(graded)


#: the argument that is the matrix (the weight) of a forward matmul, by aten op
MATRIX_ARG = {"mm": 1, "bmm": 1, "matmul": 1, "linear": 1, "convolution": 1, "addmm": 2,
              "baddbmm": 2}


def _matrix_grads(torch, events, asked: set) -> set:
    """The tensors ``torch.autograd.grad`` differentiated (storage keys ``asked``) that a forward
    matmul read as its matrix: a weight-gradient whatever holds the weight (the ensemble's
    stacked parameters passed in as an input, a closed-over plain tensor), so a training step.
    Derivatives w.r.t. the data a matmul multiplies (a PINN's points, forces) stay inputs'."""
    found = set()
    for ev in events:
        i = MATRIX_ARG.get(ev.func._overloadpacket.__name__)
        if ev.backward or i is None or len(ev.args) <= i:
            continue
        w = ev.args[i]
        if isinstance(w, torch.Tensor) and w.dim() >= 2 and str(w.layout) == "torch.strided":
            key = w.untyped_storage()._cdata
            if key in asked:
                found.add(("matrix", key))
    return found


@contextlib.contextmanager
def _functional_grads(torch, model, graded: set, asked: set):
    """Add to ``graded`` the index of each parameter of ``model`` that ``torch.autograd.grad`` is
    asked to differentiate, seen through torch.func's wrappers: ``torch.func.grad`` / ``vjp`` /
    ``jacrev`` of a ``functional_call`` over the parameters (per-sample gradients, a functional
    SGD or MAML step) differentiate wrapped tensors that ``functional_call`` swaps in, so the
    parameters' own gradient hooks never fire; unwrapped, the tensor is the parameter's storage.
    Any other tensor differentiated goes into ``asked`` (by storage) for :func:`_matrix_grads`."""
    from .storage import storage_key

    keys = {}
    for i, p in enumerate(model.parameters()):
        try:
            keys.setdefault(storage_key(p), i)
        except Exception:  # a parameter of no strided storage: its hook alone tells
            continue
    functorch = torch._C._functorch
    grad = torch.autograd.grad

    def watched(outputs, inputs, *args, **kwargs):
        for t in ([inputs] if isinstance(inputs, torch.Tensor) else list(inputs or ())):
            while isinstance(t, torch.Tensor) and functorch.is_functorch_wrapped_tensor(t):
                t = functorch.get_unwrapped(t)
            if isinstance(t, torch.Tensor) and str(t.layout) == "torch.strided":
                i = keys.get(t.untyped_storage()._cdata)
                if i is not None:
                    graded.add(i)
                else:  # no parameter's: a weight if a forward matmul read it as its matrix
                    asked.add(t.untyped_storage()._cdata)
        return grad(outputs, inputs, *args, **kwargs)

    torch.autograd.grad = watched
    try:
        yield
    finally:
        torch.autograd.grad = grad


def _fake_mode(torch, model):
    """The ``FakeTensorMode`` of a model whose parameters are fake tensors, else a null context."""
    from torch._subclasses.fake_tensor import FakeTensor

    for p in model.parameters():
        if isinstance(p, FakeTensor):
            return p.fake_mode
        break
    return contextlib.nullcontext()


def _strip_root(name: str, root: str) -> str:
    if name == root:
        return ""
    if name.startswith(root + "."):
        return name[len(root) + 1:]
    return name
