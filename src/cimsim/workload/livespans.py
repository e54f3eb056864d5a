"""Each tensor's live span over the ops, for the footprint's activations
(:func:`cimsim.workload.footprint.live_activation_profile`), and which tensors hold its peak.

A tensor is live from the first op that touches it through the last that reads it (the rules
in :mod:`.footprint`). Two matrices of the tracer's lowering are never held by a real kernel
and so are left out, their producer's inputs kept live through their reader instead:

- a depthwise convolution's im2col matrix (:meth:`.oparrays.OpArrays.direct_depthwise_pairs`),
  and those a unit that builds the windows from the raw input never forms (``folded``);
- a transposed convolution's partial sums (:func:`col2im_pairs`): the tracer lowers it to a
  matmul making ``C_out x kernel`` partial sums per input position (k²/s² the output, 6.25x
  for a 5 x 5, stride-2 ConvTranspose2d) and a col2im sum of them into the output; cuDNN's and
  oneDNN's kernels accumulate into the output (or run s² stride-phase sub-convolutions) and
  never hold that matrix, so the footprint holds the input and the output (and a bias add's
  output, as any convolution's). A training step's input gradient (a matmul's columns summed
  by col2im) is the same. Where the matmul runs behind a link and the sum on another unit, the
  partial sums still cross the link as a stream (the run's note, :mod:`cimsim.cost.col2im`),
  summed as they arrive.
"""

from __future__ import annotations

import numpy as np

from ..units import si
from .kinds import ROLE_INPUT, ROLE_WEIGHT


def col2im_pairs(workload) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(col2im, matmul, sums)`` int64 arrays: each col2im sum (tag ``part: col2im``) that
    reads the partial-sum matrix ``sums`` of a matmul, which no other op reads."""
    from .arrays import _parts

    c = workload.columns
    col2im = _parts(c.tags, c.n_ops, "col2im")
    if not col2im.any():
        none = np.zeros(0, dtype=np.int64)
        return none, none, none
    ops = workload.arrays
    return ops.copy_pairs(col2im, None, ops.kind == ops.kind_codes["matmul"])


def spans(workload, skip: np.ndarray, appends: np.ndarray | None = None,
          folded: tuple | None = None):
    """``(start, end, keep)`` per tensor: the first and last op it is live at and whether it
    counts (``skip`` left out; ``appends``, ``folded`` as
    :func:`~cimsim.workload.footprint.live_activation_profile`'s); ``(None, None, None)``
    without ops or tensors."""
    from .footprint import pipeline_of, pipeline_stage_of_ops
    from .kvcache import _iterations
    from .returned import listed, returned_mask

    c = workload.columns
    n_ops = c.n_ops
    n_t = len(workload.tensor_nbytes)
    if n_ops == 0 or n_t == 0:
        return None, None, None
    op_out, op_in = workload._op_of_out, workload._op_of_in
    start = np.full(n_t, n_ops, dtype=np.int64)
    np.minimum.at(start, c.out_ids, op_out)
    np.minimum.at(start, c.in_ids, op_in)
    end = np.full(n_t, -1, dtype=np.int64)
    np.maximum.at(end, c.in_ids, op_in)
    np.maximum.at(end, c.out_ids, op_out)
    read = np.zeros(n_t, dtype=bool)
    read[c.in_ids] = True
    # a model output (the model returns it: its caller holds it) to the end; without the list
    # of what it returns, every tensor no op reads is taken for one (:mod:`.returned`)
    held = returned_mask(workload) if listed(workload) else ~read | returned_mask(workload)
    end = np.where((end >= 0) & held, n_ops - 1, end)
    # a model input is in memory before its iteration starts (the whole run, or its serving
    # step), not from the op that first reads it: a traced decode step's caches, read one
    # layer at a time, are all there at the first op
    given = (c.tensor_role == ROLE_INPUT) & (start < n_ops)
    if given.any():  # from the first op of its iteration (of its first reader's pipeline stage)
        group = _iterations(workload)[0]
        pipe = pipeline_of(workload)
        if pipe is not None:
            group = group * pipe[0] + pipeline_stage_of_ops(workload, pipe[0])
        first = np.full(int(group.max()) + 1, n_ops, dtype=np.int64)
        np.minimum.at(first, group, np.arange(n_ops, dtype=np.int64))
        start[given] = first[group[start[given]]]
    if appends is not None:
        end = np.where(appends, start, end)
    keep = (c.tensor_role != ROLE_WEIGHT) & (end >= 0) & ~skip
    pairs = [workload.arrays.direct_depthwise_pairs(), col2im_pairs(workload)]
    if folded is not None:
        pairs.append(tuple(np.asarray(b, dtype=np.int64) for b in folded))
    conv, copy, cols = (np.concatenate(a) for a in zip(*pairs))
    if len(conv):  # a matrix never formed: its maker's inputs stay live through its reader
        keep[cols] = False
        reader = np.full(n_ops, -1, dtype=np.int64)
        reader[copy] = conv
        np.maximum.at(end, c.in_ids, reader[op_in])
    from .arrays import on_chip_tensors

    kept = on_chip_tensors(workload)  # a fused kernel's intermediates take no memory level
    if kept is not None:
        keep &= ~kept
    return start, end, keep


def peak_holders(workload, fp, show: int = 3) -> str:
    """The op at footprint ``fp``'s peak and the largest activations live there, for a capacity
    refusal (``"; at its peak, op 'g_s.2.col2im', the largest live: ..."``), counted as ``fp``
    counts them (KV caches and optimizer state apart, a decode step's appended rows, the im2col
    matrices it takes as never formed: ``fp.folded``); empty where it has no peak op."""
    from .footprint import activation_rules

    op = fp.op
    if op is None:
        return ""
    start, end, keep = spans(workload, *activation_rules(workload), fp.folded)
    if start is None:
        return ""
    live = np.flatnonzero(keep & (start <= op) & (end >= op))
    nb = workload.tensor_nbytes
    top = live[np.argsort(-nb[live], kind="stable")][:show]
    names = workload.columns.tensor_names
    return (f"; at its peak, op '{workload.ops[op].name}', the largest live activations are "
            + ", ".join(f"{names[t]} {si(float(nb[t]), 'B')}" for t in top))


__all__ = ["col2im_pairs", "peak_holders", "spans"]
