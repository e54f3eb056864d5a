"""Lowerings users give their own ops (``torch.library.custom_op``): :func:`register_op`.

A custom op is opaque to the tracer (it sees the op, not what runs inside it). Registering it
says what it is::

    cimsim.trace.register_op("mylib::fancy_mm", kind="matmul", weight_arg=1)
    cimsim.trace.register_op("mylib::swish3", kind="elementwise", ops_per_element=3)
    cimsim.trace.register_op("mylib::kan_linear", kind="composite", fn=kan_linear_reference)

- ``kind="matmul"``: argument ``input_arg`` (default 0) is the ``... x K`` input, argument
  ``weight_arg`` the 2-D weight, stored ``K x N`` (``x @ w``) or ``N x K`` (``F.linear``'s
  layout: told by which dimension is K, the input's last); its single output holds the
  ``M x N`` product (M: the input's elements / K). M·K·N MACs; a weight that is a parameter or
  buffer is stationary (a CIM array claims it), as an ``mm``'s is.
- ``kind="elementwise"``: ``ops_per_element`` vector ops per output element, reading every
  tensor argument and writing the outputs.
- ``kind="composite"``: ``fn`` computes the op from torch ops (a reference implementation,
  called with the op's arguments); the trace records ``fn``'s aten ops in the op's place, each
  at its own lowering (a matmul on a parameter stationary, an FFT at 5 N log2 N, ...), tagged
  ``custom_op``. Where the op itself can run on the traced tensors (real ones, or fake ones
  with a fake kernel), ``fn``'s outputs must match its outputs in shape and dtype, and (real
  floating tensors, ``check_values``) in value within 1e-3 of the op's largest magnitude: a
  composite that computes something else is an error, not a cost. ``one_kernel=True``: each
  call is one kernel launch (tag ``launch`` = ``custom:<name>#<call>``), as a fused kernel
  runs, its intermediates still written as ``fn`` writes them.

Importing this module does not import torch; the registration is looked up by the op's
qualified name (``namespace::name``) when a trace meets the op, so the op may be defined
after it is registered. A second registration of a name replaces the first.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Callable

#: torch's own operator namespaces: their ops have built-in lowerings or none (reported)
TORCH_NAMESPACES = ("aten", "prims", "quantized", "_quantized")
KINDS = ("matmul", "elementwise", "composite")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*::[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class CustomOp:
    """A registered custom op's lowering (:func:`register_op`)."""

    name: str
    kind: str
    weight_arg: int | None = None
    input_arg: int = 0
    ops_per_element: float = 1.0
    fn: Callable | None = None  # kind "composite": the op in torch ops
    one_kernel: bool = False  # kind "composite": one launch a call
    check_values: bool = True  # kind "composite": fn's values checked against the op's


#: ``namespace::name`` -> its :class:`CustomOp`
CUSTOM_OPS: dict[str, CustomOp] = {}


def register_op(name: str, kind: str, *, weight_arg: int | None = None, input_arg: int = 0,
                ops_per_element: float = 1.0, fn: Callable | None = None, one_kernel: bool = False,
                check_values: bool = True) -> CustomOp:
    """Give custom op ``name`` (``"mylib::fancy_mm"``) a lowering: ``kind="matmul"`` with the
    stationary weight at positional argument ``weight_arg`` (the input at ``input_arg``),
    ``kind="elementwise"`` of ``ops_per_element`` vector ops per output element, or
    ``kind="composite"``: traced as ``fn`` (the op in torch ops; ``one_kernel``: one launch a
    call; ``check_values``: ``fn``'s values checked against the op's). Raises ``ValueError``
    naming the argument and what is allowed."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(f"register_op: name {name!r} is not 'namespace::op' (e.g. 'mylib::fancy_mm', "
                         "as torch.library.custom_op names it)")
    ns = name.split("::")[0]
    if ns in TORCH_NAMESPACES:
        raise ValueError(f"register_op: {name!r} is in torch's own namespace '{ns}'; only a custom op "
                         f"(any namespace but {', '.join(TORCH_NAMESPACES)}) can be registered")
    if kind not in KINDS:
        raise ValueError(f"register_op({name!r}): kind {kind!r} is not one of {', '.join(KINDS)}")
    if kind != "composite" and (fn is not None or one_kernel is not False or check_values is not True):
        raise ValueError(f"register_op({name!r}): fn, one_kernel and check_values are for kind "
                         f"'composite' (the op traced as a function of torch ops), not {kind!r}")
    if kind == "composite":
        if not callable(fn):
            raise ValueError(f"register_op({name!r}): kind 'composite' needs fn = a function of the op's "
                             f"arguments computing its outputs from torch ops, not {fn!r}")
        for label, v in (("one_kernel", one_kernel), ("check_values", check_values)):
            if not isinstance(v, bool):
                raise ValueError(f"register_op({name!r}): {label} must be True or False, not {v!r}")
        if weight_arg is not None or input_arg != 0 or ops_per_element != 1.0:
            raise ValueError(f"register_op({name!r}): a composite's work is its fn's ops; weight_arg, "
                             "input_arg and ops_per_element are for kinds 'matmul' / 'elementwise'")
    elif kind == "matmul":
        for label, v in (("weight_arg", weight_arg), ("input_arg", input_arg)):
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise ValueError(f"register_op({name!r}): a matmul needs {label} = the index (0, 1, ...) "
                                 f"of its positional argument, not {v!r}")
        if weight_arg == input_arg:
            raise ValueError(f"register_op({name!r}): weight_arg and input_arg are both {weight_arg}")
        if ops_per_element != 1.0:
            raise ValueError(f"register_op({name!r}): ops_per_element is for kind 'elementwise' (a "
                             "matmul's work is its M K N MACs)")
    else:
        if weight_arg is not None:
            raise ValueError(f"register_op({name!r}): weight_arg is for kind 'matmul' (an elementwise op "
                             "has no stationary weight)")
        if isinstance(ops_per_element, bool) or not isinstance(ops_per_element, (int, float)) or \
                not math.isfinite(ops_per_element) or ops_per_element < 0:
            raise ValueError(f"register_op({name!r}): ops_per_element must be a finite number >= 0 "
                             f"(vector ops per output element), not {ops_per_element!r}")
    spec = CustomOp(name, kind, weight_arg, input_arg, float(ops_per_element), fn, one_kernel, check_values)
    CUSTOM_OPS[name] = spec
    return spec


def lower_custom(low, c, spec: CustomOp) -> None:
    """Lower one call of registered custom op ``spec`` (:meth:`.lower.Lowerer.event`)."""
    from ...errors import WorkloadError

    torch, ev = low.torch, low.ev
    if spec.kind == "composite":  # reached only where the recorder could not run fn in its place
        raise WorkloadError(f"custom op '{spec.name}' (registered as a composite, called from {ev.where}) "
                            "was called where the tracer could not run its composite in its place (from "
                            "autograd's backward pass, or inside an op torch runs unseen); call it from "
                            "the model's forward, or register it as kind 'matmul' / 'elementwise'")
    if spec.kind == "elementwise":
        low.emit("elementwise", c.base, c.reads, c.targets, fn="generic",
                 vec=spec.ops_per_element * sum(t.numel() for t in c.targets), tags={"custom_op": spec.name})
        return
    args = dict(enumerate(c.args))
    x, w = args.get(spec.input_arg), args.get(spec.weight_arg)
    where = f"custom op '{spec.name}' (registered as a matmul, called from {ev.where})"
    if not isinstance(x, torch.Tensor) or not isinstance(w, torch.Tensor) or w.dim() != 2 or x.dim() < 1:
        raise WorkloadError(f"{where}: argument {spec.input_arg} must be a tensor (the input) and argument "
                            f"{spec.weight_arg} a 2-D tensor (the weight); got "
                            f"{_what(torch, x)} and {_what(torch, w)}")
    k = x.shape[-1]
    if w.shape[0] == k:
        wkn = w
    elif w.shape[1] == k:
        wkn = w.t()
    else:
        raise WorkloadError(f"{where}: the weight is {tuple(w.shape)}, neither dimension the input's "
                            f"last ({k}): not a product x @ w")
    m, n = x.numel() // k, wkn.shape[1]
    if not isinstance(ev.out, torch.Tensor) or ev.out.numel() != m * n:
        got = tuple(ev.out.shape) if isinstance(ev.out, torch.Tensor) else type(ev.out).__name__
        raise WorkloadError(f"{where}: it returned {got}, not one tensor of M x N = {m} x {n} elements")
    low._matmul_op(c, None, x, wkn, 1, m, k, n)
    low.protos[-1].tags["custom_op"] = spec.name


def _what(torch, v) -> str:
    return f"a {v.dim()}-D tensor" if isinstance(v, torch.Tensor) else type(v).__name__


#: how to register op {name}: a matmul's weight is the argument its user names (not always 1)
REGISTER = ("cimsim.trace.register_op('{name}', kind='matmul', weight_arg=<the index of its "
            "weight argument>)")
CUSTOM_HINT = ("register its lowering with " + REGISTER + ", kind='elementwise' or "
               "kind='composite', fn=<the op in torch ops> "
               "(README 'Custom ops'), give it a FLOP formula with "
               "torch.utils.flop_counter.register_flop_formula (the tracer reads it; --allow-unknown "
               "then keeps the op as a generic op carrying those MACs), or write it as a "
               "torch.autograd.Function or a composite of aten ops, whose matmuls are traced as matmuls")


def custom_hint(macs, name: str = "ns::name") -> str:
    """What to do about unregistered custom op ``name`` (``'ns::op'``): with a FLOP formula
    (``macs`` not None, the MACs it counts) keep it (``--allow-unknown``) or register it;
    without one, every route."""
    if macs is None:
        return CUSTOM_HINT.format(name=name)
    return (f"it has a FLOP formula ({macs:,} MACs): add --allow-unknown (allow_unknown=True) to "
            "keep it as a generic op carrying those MACs (on the processor), or register its "
            f"lowering with {REGISTER.format(name=name)} to "
            "put it on a CIM array, or kind='elementwise' / kind='composite', fn=<the op in torch "
            "ops> (README 'Custom ops')")


def composite_of(torch, func) -> CustomOp | None:
    """The composite registered for ``func`` (an ``OpOverload``, or an ``OpOverloadPacket``:
    ``torch.ops.ns.name(...)``, as a C++ / CUDA extension's op is called), or None."""
    if isinstance(func, torch._ops.OpOverload):
        name = func._schema.name
    elif isinstance(func, torch._ops.OpOverloadPacket):
        name = func._qualified_op_name
    else:
        return None
    spec = CUSTOM_OPS.get(name)
    return spec if spec is not None and spec.kind == "composite" else None


def _mutated(torch, func, args, kwargs) -> list[int]:
    """Positions of the positional tensor arguments op ``func`` writes in place (its schema's
    ``Tensor(a!)``); kwargs written in place by name are returned as names."""
    op = func if isinstance(func, torch._ops.OpOverload) else getattr(func, "default", None)
    if op is None:
        return []
    out = []
    for i, a in enumerate(op._schema.arguments):
        if a.alias_info is not None and a.alias_info.is_write:
            out.append(i if i < len(args) else a.name)
    return [k for k in out if (k in kwargs if isinstance(k, str) else isinstance(args[k], torch.Tensor))]


def _shape_only(torch, args, kwargs) -> bool:
    """Whether any tensor argument holds no values (the meta device, a fake tensor)."""
    from torch.utils._pytree import tree_leaves

    return any(isinstance(t, torch.Tensor) and (t.device.type == "meta" or torch._subclasses.fake_tensor.is_fake(t))
               for t in tree_leaves((args, kwargs)))


def run_composite(torch, rec, mode, spec: CustomOp, func, args, kwargs):
    """Run registered composite ``spec`` in place of op ``func`` (from the recorder's torch-function
    mode ``mode``, :func:`.capture.make_composites`), its aten ops recorded by ``rec`` as the
    op's (tag ``custom_op``; ``one_kernel``: one ``launch``). The op itself runs first, unrecorded
    and without autograd, on copies of the arguments it writes in place, to check ``fn``'s outputs
    (and those arguments' final values) against it; on tensors without values (meta, fake) an op
    that cannot run there (no fake kernel) is traced unchecked, while on real tensors the op's
    own error is the model's."""
    mutated = _mutated(torch, func, args, kwargs)
    shape_only = _shape_only(torch, args, kwargs)
    r_args = [a.clone() if i in mutated else a for i, a in enumerate(args)]
    r_kwargs = {k: (v.clone() if k in mutated else v) for k, v in kwargs.items()}
    rec.quiet += 1
    try:
        with torch.no_grad():
            ref = func(*r_args, **r_kwargs)
    except Exception:  # noqa: BLE001 - shape-only tensors: no kernel for them (no fake kernel), unchecked
        if not shape_only:
            raise
        ref = None
    finally:
        rec.quiet -= 1
    rec.composite_calls[spec.name] = n = rec.composite_calls.get(spec.name, 0) + 1
    rec.composite.append((spec, n))
    try:
        _bindable(spec, args, kwargs)
        with mode:  # fn's own library calls (rms_norm, sdpa) as the recorder takes them elsewhere
            out = spec.fn(*args, **kwargs)
    finally:
        rec.composite.pop()
    if ref is not None:
        rec.quiet += 1  # the check's own ops are not the model's
        try:
            written = [(args[k] if isinstance(k, int) else kwargs[k],
                        r_args[k] if isinstance(k, int) else r_kwargs[k]) for k in mutated]
            _check(torch, rec, spec, (out, [w for w, _ in written]), (ref, [r for _, r in written]))
        finally:
            rec.quiet -= 1
    return out


def _bindable(spec: CustomOp, args, kwargs) -> None:
    """Refuse, naming the composite, a ``fn`` whose signature cannot take the op's arguments
    (an error inside ``fn`` is ``fn``'s own, raised as it is)."""
    import inspect

    from ...errors import WorkloadError

    try:
        sig = inspect.signature(spec.fn)
    except (TypeError, ValueError):  # a builtin without a signature: called as it is
        return
    try:
        sig.bind(*args, **kwargs)
    except TypeError as exc:
        raise WorkloadError(f"custom op '{spec.name}' (registered as a composite): its fn cannot be "
                            f"called with the op's arguments ({exc}); fn takes the op's positional "
                            "arguments and its keyword arguments by the op's own argument names") from None


def _tolerance(torch, t) -> float:
    """The relative difference allowed between ``fn``'s and the op's values of dtype ``t.dtype``:
    1e-3, or 8 units in the last place of a coarser format (bfloat16's 2^-7: 0.0625)."""
    return max(1e-3, 8 * torch.finfo(t.dtype).eps) if t.is_floating_point() or t.is_complex() else 0.0


def _check(torch, rec, spec: CustomOp, out, ref) -> None:
    """``fn``'s outputs ``out`` against the op's ``ref`` (each: the outputs, then the arguments the
    op writes in place): shapes and dtypes, and values (real and complex)."""
    from torch.utils._pytree import tree_leaves

    from ...errors import WorkloadError

    from .capture import _user_line

    where = (f"custom op '{spec.name}' (registered as a composite, called from module "
             f"'{rec._module()}', {_user_line()})")
    got = [t for t in tree_leaves(out) if isinstance(t, torch.Tensor)]
    want = [t for t in tree_leaves(ref) if isinstance(t, torch.Tensor)]
    sig = [(tuple(t.shape), str(t.dtype).removeprefix("torch.")) for t in got]
    ref_sig = [(tuple(t.shape), str(t.dtype).removeprefix("torch.")) for t in want]
    if sig != ref_sig:
        raise WorkloadError(f"{where}: its fn returned {_sigs(sig)} where the op returns {_sigs(ref_sig)}; "
                            "fn must compute the op's outputs (and write the arguments it writes in place)")
    for i, (a, b) in enumerate(zip(got, want)):
        if not (spec.check_values and (a.is_floating_point() or a.is_complex()) and a.device.type != "meta"
                and not torch._subclasses.fake_tensor.is_fake(a)):
            continue
        tol = _tolerance(torch, b)
        a, b = a.detach().to(torch.complex128), b.detach().to(torch.complex128)
        finite = torch.isfinite(b)
        if not (torch.equal(finite, torch.isfinite(a)) and torch.equal(a[~finite].isnan(), b[~finite].isnan())
                and torch.equal(a[~finite & ~b.isnan()], b[~finite & ~b.isnan()])):
            raise WorkloadError(f"{where}: its fn's output {i} has NaN or infinite values where the op's "
                                "has others (or finite ones); fn must compute what the op computes")
        a, b = a[finite], b[finite]  # the same non-finite values in the same places: compare the rest
        scale = float(b.abs().max()) if b.numel() else 0.0
        diff = float((a - b).abs().max()) if b.numel() else 0.0
        if not diff <= tol * scale + 1e-12:  # NaN-safe
            raise WorkloadError(f"{where}: its fn's output {i} differs from the op's by up to {diff:.4g} "
                                f"(the op's largest magnitude {scale:.4g}, allowed {tol:.3g} of it); fn must "
                                "compute what the op computes (check_values=False for an op whose values "
                                "fn cannot match, a random one)")


def composite_tags(ev, tags: dict) -> None:
    """Tag an op lowered from event ``ev`` as its registered composite's (``custom_op``; a
    ``one_kernel`` composite's call: ``launch``)."""
    if ev is None or ev.custom is None:
        return
    name, launch = ev.custom
    tags.setdefault("custom_op", name)
    if launch is not None:
        tags["launch"] = launch


def event_custom(stack: list) -> tuple | None:
    """(innermost composite's name, the outermost ``one_kernel`` call's launch or None) for an
    event recorded inside composites ``stack`` ((spec, call number) pairs, outermost first)."""
    if not stack:
        return None
    launch = next((f"custom:{s.name}#{n}" for s, n in stack if s.one_kernel), None)
    return stack[-1][0].name, launch


def _sigs(sig) -> str:
    return ", ".join(f"{s} {d}" for s, d in sig) or "no tensor"


def composites_as_traced(torch):
    """A context in which every call of a registered composite runs its ``fn`` instead (at
    torch-function level, so autograd and torch's decompositions see ``fn``'s ops as the tracer
    does): ``--accuracy`` emulates the matmuls the trace put on the arrays. No composite
    registered: a null context."""
    import contextlib

    if not any(spec.kind == "composite" for spec in CUSTOM_OPS.values()):
        return contextlib.nullcontext()
    from torch.overrides import TorchFunctionMode

    class Composites(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            spec = composite_of(torch, func)
            if spec is None:
                return func(*args, **(kwargs or {}))
            with self:
                return spec.fn(*args, **(kwargs or {}))

    return Composites()


def registry_tag() -> str:
    """A digest of the registered custom ops ("" with none), part of a cached trace's file name
    (``--accuracy``'s trace cache): a trace made under other registrations is not reused."""
    if not CUSTOM_OPS:
        return ""
    import hashlib

    h = hashlib.sha256()
    for name in sorted(CUSTOM_OPS):
        s = CUSTOM_OPS[name]
        h.update(repr((s.name, s.kind, s.weight_arg, s.input_arg, s.ops_per_element, s.one_kernel,
                       s.check_values)).encode())
        if s.fn is not None:
            h.update(f"{getattr(s.fn, '__module__', '')}.{getattr(s.fn, '__qualname__', '')}".encode())
            _code_digest(h, getattr(s.fn, "__code__", None))
    return "-ops" + h.hexdigest()[:12]


def _code_digest(h, code) -> None:
    """Feed function code ``code`` (its bytecode and constants, nested functions' too) to ``h``."""
    if code is None:
        return
    h.update(code.co_code)
    for c in code.co_consts:
        if hasattr(c, "co_code"):
            _code_digest(h, c)
        else:
            h.update(repr(c).encode())


#: torch's wrappers of a mutating op in a functionalized graph (``run_decompositions()``)
FUNCTIONALIZED = ("auto_functionalized", "auto_functionalized_v2")


def unwrap_functionalized(torch, mode, hop, args, kwargs):
    """Higher-order op ``hop`` met by the recorder's torch-function ``mode``, a functionalized graph's
    ``auto_functionalized`` / ``auto_functionalized_v2`` (``run_decompositions()`` wraps a custom
    op writing an argument in place in one) runs the op it carries (its first argument) as the
    eager model calls it: in place, nothing cloned (the clones are functionalization's
    bookkeeping, which an eager run and a compiler's re-inplacing do not have), inside ``mode``,
    so the op meets the tracer as itself (``register_op``, its FLOP formula, ``--allow-unknown``
    or the custom-op error naming it)."""
    from torch._higher_order_ops import auto_functionalize as af

    op, *rest = args
    with mode:
        if hop.name() == "auto_functionalized":
            return af.auto_functionalized_dense(op, *rest, _only_clone_these_tensors=(), **kwargs)
        return af.auto_functionalized_v2_dense(op, *rest, _only_clone_these_bases=(), **kwargs)


#: torch's functional forms of aten ops that write arguments in place (a training-IR export
#: functionalizes them): name -> (the op eager runs, writing them in place, the positions of the
#: arguments it writes, whose new values the functional form returns after that op's outputs).
#: A train-mode batch norm: ``native_batch_norm``, the one eager ``nn.BatchNorm`` runs
FUNCTIONAL_ATEN = {"_native_batch_norm_legit_functional": ("native_batch_norm", (3, 4))}


def in_place_of(torch, dispatch, func, args, kwargs):
    """Run functional op ``func`` (:data:`FUNCTIONAL_ATEN`: a train-mode batch norm's
    ``_native_batch_norm_legit_functional``) as the eager model runs it, through ``dispatch(op,
    args, kwargs)``: its in-place op, writing the arguments (the running statistics) where they
    are, which it returns as the new values; the graph's write-back ``copy_`` of them is then a
    copy onto itself, which moves nothing."""
    name, written = FUNCTIONAL_ATEN[func._overloadpacket.__name__]
    names = [a.name for a in func._schema.arguments]
    out = dispatch(getattr(torch.ops.aten, name).default, args, kwargs)
    return (*out, *(args[i] if i < len(args) else kwargs[names[i]] for i in written))
