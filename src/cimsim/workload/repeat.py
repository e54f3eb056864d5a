"""Calls of a workload back to back on the same weights, as a timing loop runs them (review H 1).

A timing loop (``for _ in range(n): model(x)``) is synchronous: a call starts when the previous
one has returned. :func:`repeated` builds ``calls`` copies of a workload that share its weights
and model inputs (so the second call finds a weight a cache level holds where the first left
it) and, beside the tensor dependencies, carries a *control edge* from every last op of call
``i`` (an op whose outputs no op of its call reads) to every first op of call ``i + 1`` (an op
that reads no tensor its call writes). Every op of a call is an ancestor of one of its last
ops and every op of the next call a descendant of one of its first, so no op of call ``i + 1``
starts before every op of call ``i`` has finished: on a chip with many units (CIM tiles, PIM
banks, a GPU) the second call does not overlap the first, as it would through the shared
inputs alone (a pipeline of calls: gru on rram-cim 122.8 µs a call, not the 376 µs of a loop).
The edges move no bytes: the engines read them from :attr:`Repeated.predecessors`.
"""

from __future__ import annotations

from dataclasses import replace
from functools import cached_property

import numpy as np

from .ir import Tensor, Workload


class Repeated(Workload):
    """``calls`` calls of a workload of ``per_call`` ops, listed call after call, each call's
    first ops after the previous call's last ones (module docstring)."""

    def __init__(self, name: str, tensors, ops, calls: int, per_call: int, first, last):
        super().__init__(name, tensors, ops)
        self.calls, self.per_call = calls, per_call
        self._first = np.asarray(first, dtype=np.int64)  # indices within one call
        self._last = np.asarray(last, dtype=np.int64)

    @cached_property
    def control_edges(self) -> tuple[np.ndarray, np.ndarray]:
        """``(pred, op)``: every last op of call ``i`` to every first op of call ``i + 1``."""
        p, o = np.meshgrid(self._last, self._first, indexing="ij")
        base = np.arange(self.calls - 1, dtype=np.int64)[:, None] * self.per_call
        pred = (base + p.ravel()[None, :]).ravel()
        op = (base + self.per_call + o.ravel()[None, :]).ravel()
        return pred, op

    @cached_property
    def predecessors(self) -> tuple[np.ndarray, np.ndarray]:
        """The tensor dependencies (:attr:`Workload.predecessors`) and the control edges."""
        indptr, indices = Workload.predecessors.func(self)
        pred, op = self.control_edges
        if not len(op):
            return indptr, indices
        n = self.columns.n_ops
        owner = np.concatenate([np.repeat(np.arange(n, dtype=np.int64), np.diff(indptr)), op])
        key = np.unique(owner * n + np.concatenate([indices, pred]))  # sorted, unique per op
        owner, preds = np.divmod(key, n)
        out = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(owner, minlength=n), out=out[1:])
        return out, preds.astype(np.int64)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Workload) and (type(other) is not type(self) or (other.calls, other.per_call)
                                            != (self.calls, self.per_call)):
            return False  # the same tensors and ops without the edges are another schedule
        return super().__eq__(other)

    __hash__ = Workload.__hash__


def repeated(wl: Workload, calls: int = 2) -> Repeated:
    """``calls`` calls of ``wl`` back to back on the same weights, as a timing loop runs it:
    weights (role ``weight``) and model inputs are shared, every other tensor and op is
    renamed per call (``name@i``), and each call starts when the previous one has finished
    (control edges, module docstring)."""
    shared = {t.name for t in wl.tensors.values() if t.role in ("weight", "input")}
    ops0 = list(wl.ops)
    written = {o for op in ops0 for o in op.outputs}
    read = {x for op in ops0 for x in op.inputs}
    first = [i for i, op in enumerate(ops0) if not any(x in written for x in op.inputs)]
    last = [i for i, op in enumerate(ops0) if not any(o in read for o in op.outputs)]
    tensors, ops = list(wl.tensors.values()), []
    for i in range(1, calls):
        tensors += [Tensor(f"{t.name}@{i}", t.shape, t.dtype, t.role) for t in wl.tensors.values()
                    if t.name not in shared]
    for i in range(calls):
        def rn(name, i=i):
            return name if i == 0 or name in shared else f"{name}@{i}"

        ops += [replace(op, name=rn(op.name) if i == 0 else f"{op.name}@{i}",
                        inputs=tuple(rn(x) for x in op.inputs), outputs=tuple(rn(x) for x in op.outputs))
                for op in ops0]
    return Repeated(f"{wl.name}-x{calls}", tensors, ops, calls, len(ops0), first, last)
