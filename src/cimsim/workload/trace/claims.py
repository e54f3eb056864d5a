"""Which matmuls have a stationary weight: the rule a CIM array's claim rests on, in one place.

The lowerer (:mod:`.lower`, :mod:`.convs`) applies it to the traced operands (pieces of
versions); the accuracy emulator (:class:`cimsim.accuracy.run.CIMMode`) applies it to the live
torch tensors, with "is a parameter or floating-point buffer" in place of a version's role
``weight``. So the ops a cost model puts on a CIM array are the ops the emulator computes
with the array's arithmetic, and no others.

- the matmul family (:data:`MATMULS`): ``a`` (batch x m x k) times ``b`` (k x n); the weight
  is ``b`` if it is one, else ``a`` (``W @ x``, batch 1 only: :func:`weight_side`); of two
  weights the larger. A batched weight is stationary only if it is one k x n matrix shared by
  the batch (:func:`shared_by_batch`): a ``bmm`` over a 3-D parameter (per-head weights
  ``W[h, d, e]``) reads W as an operand, as a grouped convolution does;
- a convolution, of any dimension, plain or transposed: groups 1 and a weight
  (:func:`conv_claimed`); a grouped or depthwise one is a batch of per-group products;
- ``nn.Bilinear``'s ``_trilinear`` (:func:`is_bilinear`): the outer product of its inputs times
  its weight as an IJ x O matrix.
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from .storage import storage_key

#: the matmul family: aten name -> (bias, a, b) argument positions
MATMULS: dict[str, tuple[Optional[int], int, int]] = {
    "mm": (None, 0, 1), "addmm": (0, 1, 2), "_addmm_activation": (0, 1, 2),
    "bmm": (None, 0, 1), "baddbmm": (0, 1, 2), "addbmm": (0, 1, 2),
    "mv": (None, 0, 1), "addmv": (0, 1, 2), "dot": (None, 0, 1), "vdot": (None, 0, 1)}

#: ``_trilinear``'s expand and sum dimensions in ``nn.Bilinear`` (x1, W, x2 of dims 2, 3, 2)
BILINEAR_DIMS = ([1, 3], [0], [1, 2], [2, 3])


def dims(base: str, a, b) -> tuple[int, int, int, int]:
    """``(batch, m, k, n)`` of the matmul ``base`` of ``a`` and ``b`` (``addbmm``'s sum over
    the batch is one m x b*k by b*k x n product; ``mv`` is n = 1, ``dot`` m = n = 1)."""
    if base in ("bmm", "baddbmm"):
        return (*a.shape, b.shape[2])
    if base == "addbmm":
        return 1, a.shape[1], a.shape[0] * a.shape[2], b.shape[2]
    if base in ("mv", "addmv"):
        return (1, *a.shape, 1)
    if base in ("dot", "vdot"):
        return 1, 1, a.numel(), 1
    return (1, *a.shape, b.shape[1])


def scale_ops(alpha, beta) -> int:
    """Multiplies per output element of ``beta * bias + alpha * (a @ b)`` (``addmm`` and
    family): one for an ``alpha`` other than 1, one for a ``beta`` other than 1 (give ``beta``
    1 when the bias is not read: ``beta == 0``)."""
    return int(alpha != 1) + int(beta != 1)


def weight_side(batch: int, a_weight: bool, b_weight: bool, a_numel: int, b_numel: int) -> Optional[str]:
    """Which operand is the stationary weight: ``"b"``, ``"a"`` (the product transposed:
    ``W @ x``; batch 1 only) or None; of two weights the larger (``W @ v``)."""
    if batch == 1 and a_weight and (not b_weight or a_numel > b_numel):
        return "a"
    return "b" if b_weight else None


def shared_by_batch(t) -> bool:
    """Whether a batched operand (batch x k x n) is one k x n matrix read by every batch item
    (a batch of 1, or an ``expand`` of a matrix): only then is it stationary."""
    return t.shape[0] == 1 or t.stride(0) == 0


def conv_claimed(groups, weight: bool) -> bool:
    """A convolution's weight is stationary: one group (any dimension, plain or transposed)."""
    return int(groups or 1) == 1 and weight


def is_bilinear(args) -> bool:
    """Whether ``_trilinear``'s arguments are ``nn.Bilinear``'s form."""
    x1, w, x2, e1, e2, e3, sumdim = args[:7]
    return (list(e1), list(e2), list(e3), list(sumdim)) == BILINEAR_DIMS and \
        (x1.dim(), w.dim(), x2.dim()) == (2, 3, 2)


def weight_transposed(st, t, swapped: bool) -> dict:
    """The tag ``weight_transposed`` of a matmul reading the stationary weight ``t`` (``{}``
    where a dimension of 1 leaves nothing to tell): 1 where its k (the contraction) runs
    along the weight's stored rows (``x @ W.T``, ``nn.Linear``'s forward), 0 where down its
    first dimension (``dY @ W``, the backward's dX), told from the source offsets of ``t``'s
    elements (``st``: the tracer's :class:`.storage.Storages`), so a square weight read both
    ways, and a transposed copy that aliases it (``W.t().contiguous()``), are told apart.
    ``swapped``: ``t`` is the product's first operand (``W @ x``: k is its last dimension)."""
    kd, nd = (-1, -2) if swapped else (-2, -1)
    if t.dim() != 2 or t.shape[kd] < 2 or t.shape[nd] < 2:  # (a stacked 3-D weight: no array
        return {}  # holds its slices, so it has no stationary weight to orient)
    s = st.storages[storage_key(t)]
    step = [t.storage_offset() + t.stride(d) for d in (kd, nd)]
    src = st._elems_at(s, st.units_at(t, np.array([t.storage_offset(), *step])))[1]
    return {"weight_transposed": int(abs(int(src[1]) - int(src[0])) < abs(int(src[2]) - int(src[0])))}
