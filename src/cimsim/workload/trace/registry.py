"""The lowering table: aten overload packet -> how :class:`.lower.Lowerer` lowers it.

Filled by ``@lowers(aten.mm)``-style registrations on the lowerer's methods, in
the manner of ``torch.utils.flop_counter.register_flop_formula``. An op is
registered with its in-place twin (``aten.add`` with ``aten.add_``), as
:func:`.aten.base_name` folds them; one op has one lowering.

This module imports torch: it is imported (through :mod:`.lower`) by
:func:`cimsim.workload.trace.trace` only, after torch was found.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch

aten = torch.ops.aten


@dataclass(frozen=True)
class Lowering:
    """How one aten op lowers: ``lower(lowerer, call)``; ``moves_data`` False: skipped outright."""

    lower: Callable
    moves_data: bool = True


#: aten overload packet -> its :class:`Lowering` (the ``@lowers`` registrations in :mod:`.lower`)
LOWERINGS: dict = {}


def _packets(op) -> list:
    """The overload packets an op is registered under: itself and its in-place twin
    (``add``: ``aten.add``, ``aten.add_``), as :func:`.aten.base_name` folds them. ``op`` is a
    packet, an aten name or ``namespace::name``; a name this torch build lacks has none."""
    if isinstance(op, str) and "::" in op:  # another namespace's op ("quantized::linear"): itself
        ns, _, name = op.partition("::")
        try:
            return [getattr(getattr(torch.ops, ns), name)]
        except (AttributeError, RuntimeError):
            return []
    name = op if isinstance(op, str) else op.__name__
    names = [name] if name.endswith("_") else [name, name + "_"]
    out = []
    for n in names:
        try:
            out.append(getattr(aten, n))
        except (AttributeError, RuntimeError):
            continue
    return out


def lowers(*ops, moves_data: bool = True):
    """Register the decorated :class:`Lowerer` method as the lowering of ``ops`` (aten overload
    packets such as ``aten.mm``, aten names, or ``namespace::name`` of torch's other operator
    namespaces: ``quantized::linear``). One op, one lowering: a second is a bug."""

    def register(fn):
        for op in ops:
            for packet in _packets(op):
                if packet in LOWERINGS:
                    raise RuntimeError(f"{packet._qualified_op_name} has two lowerings: "
                                       f"{LOWERINGS[packet].lower.__name__} and {fn.__name__}")
                LOWERINGS[packet] = Lowering(fn, moves_data)
        return fn

    return register


def bound_args(ev, args, kwargs) -> dict:
    """Event ``ev``'s aten schema argument names bound to ``args`` (by position) and
    ``kwargs`` (by name): ``{"dim": 1, ...}``. An argument left at its default is absent."""
    names = [a.name for a in ev.func._schema.arguments]
    return {**dict(zip(names, args)), **kwargs}


@dataclass
class Call:
    """One recorded aten op as its lowering sees it."""

    base: str  # aten name without the in-place suffix (:func:`.aten.base_name`)
    args: tuple
    ins: list  # every tensor argument
    mutated: bool  # whether the op writes one of its arguments (in place or ``out=``)
    targets: list  # tensors it writes: the mutated arguments, else its fresh outputs
    reads: list  # tensors it reads
