"""Pairwise distances (``torch.cdist``): the kNN / ball query of point-cloud models.

``torch.cdist(x1, x2, p)`` with ``x1`` (..., N, D) and ``x2`` (..., M, D) writes the (..., N, M)
distances; B below is the product of the broadcast batch dimensions. torch reaches one of two
aten ops, and each is lowered as the kernel torch runs computes it:

* **the matmul path** (``_euclidean_dist``: p = 2 where N or M is over 25, or
  ``compute_mode='use_mm_for_euclid_dist'``; ``_cdist_forward`` taking the same branch):
  ``d² = ‖x‖² + ‖y‖² − 2 x·y``, three ops:

  - ``cdist.norms``: the squared row norms of both inputs, B·(N + M)·D MACs (a square and an
    accumulate per input element; ``generic_macs``, on the host), reading ``x1`` and ``x2`` and
    writing the B·(N + M) norms;
  - ``cdist``: the cross term ``x1 @ x2ᵀ``, a batched matmul of B·N·M·D MACs (batch B, m = N,
    k = D, n = M). No weight is stationary, so no CIM array holds either operand; a PIM bank
    reads it only where ``x2`` is a model input marked resident (``--resident``) under
    ``pim.claims: [kv_cache]`` and the queries are at most ``pim.max_rows``, as a KV cache's
    GEMV (a kNN against a point set kept in HBM-PIM); else the host (or a systolic array, as
    any weightless batched matmul) runs it. A ``cdist`` against a parameter (a VQ codebook) is
    counted the same way: the accuracy emulator computes no ``cdist`` with an array's
    arithmetic, so the cost model puts none on an array. It reads ``x1`` and ``x2`` and writes the B·N·M products;
  - ``cdist.sqrt``: per output element the two norms added to ``−2 x·y`` (a multiply-add and an
    add, 2), the clamp at 0 (1) and the square root (4, as ``sqrt`` is counted): 7 vector ops,
    reading the products and the norms, writing the B·N·M distances.

  MACs: B·D·(N·M + N + M). (torch's own kernel appends the norms to the operands and runs one
  matmul of inner size D + 2, with its clamp and square root in place: the same work within
  2·B·N·M MACs.)
* **the direct path** (``_cdist_forward`` otherwise: any p other than 2, p = 2 with N, M ≤ 25 or
  ``compute_mode='donot_use_mm_for_euclid_dist'``): elementwise work, no MACs, one op reading
  both inputs and writing the B·N·M distances. Per pair and coordinate: a subtract, then for
  p = 0 a compare with 0 and an add, p = 1 an absolute value and an add, p = 2 a square
  (one multiply) and an add, p = ∞ an absolute value and a max, 3 vector ops; any other p an
  absolute value, a power (4, as ``pow`` is counted) and an add, 7. Per output element the
  root: p = 2 a square root (4), another p (not 0, 1, ∞) a power 1/p (4), none for 0, 1, ∞.
"""

from __future__ import annotations

import math

from ..kinds import ELEMENTWISE_OPS_PER_ELEMENT
from .lower import Proto
from .registry import Call, bound_args, lowers

#: torch's ``cdist`` compute modes (``compute_mode``): 0 (None) the matmul path past 25 rows,
#: 1 always, 2 never
_MM_ALWAYS, _MM_NEVER = 1, 2
#: rows past which mode 0 takes the matmul path (``at::cdist``: ``r1 > 25 || r2 > 25``)
MM_ROWS = 25
#: vector ops per output element on the matmul path: ``‖x‖² + ‖y‖² − 2 x·y`` (a multiply-add
#: and an add), the clamp at 0, the square root
EPILOGUE_OPS = 2 + ELEMENTWISE_OPS_PER_ELEMENT["max"] + ELEMENTWISE_OPS_PER_ELEMENT["sqrt"]


def direct_ops(p: float) -> tuple[float, float]:
    """(vector ops per pair and coordinate, per output element) of the direct path for norm p."""
    if p in (0, 1, 2, math.inf):
        root = ELEMENTWISE_OPS_PER_ELEMENT["sqrt"] if p == 2 else 0.0
        return 3.0, root
    return 3.0 + ELEMENTWISE_OPS_PER_ELEMENT["pow"], ELEMENTWISE_OPS_PER_ELEMENT["pow"]


def takes_mm(p: float, mode: int, n: int, m: int) -> bool:
    """Whether torch's ``cdist_impl`` computes these distances with the matmul path."""
    return p == 2 and (mode == _MM_ALWAYS or (mode != _MM_NEVER and (n > MM_ROWS or m > MM_ROWS)))


@lowers("_euclidean_dist", "_cdist_forward")
def cdist(low, c: Call) -> None:
    x1, x2, out = c.args[0], c.args[1], c.targets[0]
    p, mode = 2.0, _MM_ALWAYS  # _euclidean_dist: torch's matmul path itself
    if c.base == "_cdist_forward":
        arg = bound_args(low.ev, c.args, low.ev.kwargs)
        p, mode = float(arg["p"]), arg.get("compute_mode") or 0
    n, m, d = int(x1.shape[-2]), int(x2.shape[-2]), int(x1.shape[-1])
    batch = out.numel() // (n * m)
    tags = {"aten": c.base, "cdist_p": p if math.isfinite(p) else "inf"}
    if d == 0 or not takes_mm(p, mode, n, m):
        pair, root = direct_ops(p)
        low.emit("elementwise", "cdist", c.reads, c.targets, fn="generic",
                 vec=float(out.numel() * (pair * d + root)), tags={**tags, "cdist": "direct"})
        return
    dt = low.dt(out)
    norms = low.emit("elementwise", "cdist.norms", c.reads, [], fn="generic", vec=0.0,
                     macs=batch * (n + m) * d, tags={**tags, "cdist": "norms"})
    nv = low._virtual(norms, (batch * (n + m),), dtype=dt)
    pid = low._proto(Proto("matmul", low._name("cdist"), [low.read(x1), low.read(x2)], [], m=n, k=d,
                           n=m, batch=batch, weight=False, tags={**tags, "cdist": "cross"},
                           shapes=[tuple(x1.shape), tuple(x2.shape)]))
    mm = low._virtual(pid, (batch, n, m), ".mm", dt)
    low.emit("elementwise", "cdist.sqrt", [[(mm, None)], [(nv, None)]], [out], fn="sqrt",
             vec=float(EPILOGUE_OPS * out.numel()), tags={**tags, "cdist": "root"})

