"""Which way a matmul reads its stationary weight: the op tag ``weight_transposed``, as the
per-op column :attr:`cimsim.workload.oparrays.OpArrays.weight_transposed`.

1: the op's k (its contraction) runs along the weight tensor's trailing dimensions
(``x @ W.T``, ``nn.Linear``'s forward, a convolution's forward); 0: down its first dimension
(``dY @ W``, the backward's dX). The tracer states it on every matmul and convolution that reads
a weight (:func:`cimsim.workload.trace.claims.weight_transposed`); a CIM holds each orientation
as a matrix of its own unless it reads one copy transposed (:func:`cimsim.hw.cim.tiling.matrix_keys`).
An op without the tag is told by its k, which cannot tell a square weight's two readings apart.
"""

from __future__ import annotations

import numpy as np

from ..errors import WorkloadError


def column(values: np.ndarray | None, odd, stationary: np.ndarray, names, workload: str) -> np.ndarray | None:
    """The tag ``weight_transposed`` per op (``values``: NaN where an op states none; None where
    none does), refused (one line naming the op) where it is not 0 or 1 (``odd``: ``(op,
    value)`` of the first non-number, or None) or stands on an op with no stationary weight."""
    if values is None:
        return None
    stated = ~np.isnan(values)
    bad = np.flatnonzero(stated & ~np.isin(values, (0.0, 1.0)))
    if odd is not None or len(bad):
        i, v = odd if odd is not None else (int(bad[0]), f"{values[bad[0]]:g}")
        raise WorkloadError(f"workload '{workload}': op '{names[i]}' (#{i}): tag weight_transposed = {v} is "
                            "not allowed; allowed: 0 (k runs down the weight's first dimension, "
                            "dY @ W) or 1 (along its trailing ones, x @ W.T)")
    loose = np.flatnonzero(stated & (stationary < 0))
    if len(loose):
        raise WorkloadError(f"workload '{workload}': op '{names[loose[0]]}' (#{loose[0]}): tag weight_transposed on "
                            "an op with no stationary weight (it says which way a matmul reads its "
                            "weight): drop the tag or name the op's weight")
    return values


def reference(ops, stationary: np.ndarray, workload: str) -> np.ndarray | None:
    """:func:`column` from the :class:`~cimsim.workload.ir.Op` records, op by
    op (the reference the tests hold the columnar builder to)."""
    key = "weight_transposed"
    if not any(key in op.tags for op in ops):
        return None
    odd = next(((i, op.tags[key]) for i, op in enumerate(ops) if key in op.tags and (
        isinstance(op.tags[key], bool) or not isinstance(op.tags[key], (int, float)))), None)
    vals = np.array([float(op.tags[key]) if key in op.tags and odd is None else np.nan for op in ops])
    return column(vals, odd, stationary, [op.name for op in ops], workload)
