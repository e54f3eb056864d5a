"""Lowerings users give their own ops (``torch.library.custom_op``): :func:`register_op`.

A custom op is opaque to the tracer (it sees the op, not what runs inside it). Registering it
says what it is::

    cimsim.trace.register_op("mylib::fancy_mm", kind="matmul", weight_arg=1)
    cimsim.trace.register_op("mylib::swish3", kind="elementwise", ops_per_element=3)

- ``kind="matmul"``: argument ``input_arg`` (default 0) is the ``... x K`` input, argument
  ``weight_arg`` the 2-D weight, stored ``K x N`` (``x @ w``) or ``N x K`` (``F.linear``'s
  layout: told by which dimension is K, the input's last); its single output holds the
  ``M x N`` product (M: the input's elements / K). M·K·N MACs; a weight that is a parameter or
  buffer is stationary (a CIM array claims it), as an ``mm``'s is.
- ``kind="elementwise"``: ``ops_per_element`` vector ops per output element, reading every
  tensor argument and writing the outputs.

Importing this module does not import torch; the registration is looked up by the op's
qualified name (``namespace::name``) when a trace meets the op, so the op may be defined
after it is registered. A second registration of a name replaces the first.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

#: torch's own operator namespaces: their ops have built-in lowerings or none (reported)
TORCH_NAMESPACES = ("aten", "prims", "quantized", "_quantized")
KINDS = ("matmul", "elementwise")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*::[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class CustomOp:
    """A registered custom op's lowering (:func:`register_op`)."""

    name: str
    kind: str
    weight_arg: int | None = None
    input_arg: int = 0
    ops_per_element: float = 1.0


#: ``namespace::name`` -> its :class:`CustomOp`
CUSTOM_OPS: dict[str, CustomOp] = {}


def register_op(name: str, kind: str, *, weight_arg: int | None = None, input_arg: int = 0,
                ops_per_element: float = 1.0) -> CustomOp:
    """Give custom op ``name`` (``"mylib::fancy_mm"``) a lowering: ``kind="matmul"`` with the
    stationary weight at positional argument ``weight_arg`` (the input at ``input_arg``), or
    ``kind="elementwise"`` of ``ops_per_element`` vector ops per output element. Raises
    ``ValueError`` naming the argument and what is allowed."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(f"register_op: name {name!r} is not 'namespace::op' (e.g. 'mylib::fancy_mm', "
                         "as torch.library.custom_op names it)")
    ns = name.split("::")[0]
    if ns in TORCH_NAMESPACES:
        raise ValueError(f"register_op: {name!r} is in torch's own namespace '{ns}'; only a custom op "
                         f"(any namespace but {', '.join(TORCH_NAMESPACES)}) can be registered")
    if kind not in KINDS:
        raise ValueError(f"register_op({name!r}): kind {kind!r} is not one of {', '.join(KINDS)}")
    if kind == "matmul":
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
    spec = CustomOp(name, kind, weight_arg, input_arg, float(ops_per_element))
    CUSTOM_OPS[name] = spec
    return spec


def lower_custom(low, c, spec: CustomOp) -> None:
    """Lower one call of registered custom op ``spec`` (:meth:`.lower.Lowerer.event`)."""
    from ...errors import WorkloadError

    torch, ev = low.torch, low.ev
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
