"""What a CIM chip's ops move over its link (``cim.link``): the activations that enter or
leave the chip. A flat pool of arrays (no ``chip:`` block) moves every op's inputs and outputs.

Rules, in order, for a component with a ``chip:`` block:

1. The chip holds ``capacity`` bytes of activations: its levels' buffers (every unit of every
   level) and ``cim.buffer`` if one is given.
2. A tensor an op of the chip writes stays on the chip when it fits the capacity on its own
   (at the chip's bytes: a matmul's outputs at ``output_bits``);
   the chip's ops that read it read it there. (One tensor at a time: the activations of a layer
   pipeline in flight together are not summed.)
3. An op's input crosses the link into the chip when it was written before the run (a model
   input), by another component, or by an op of the chip but does not fit (it was written out
   and is read back); once per op, however often the op reads it.
4. An op's output crosses the link out of the chip when an op of another component reads it,
   when no op reads it (a model output), or when it does not fit.
5. An im2col copy is not materialised (the chip reads its convolution's inputs in place), so
   its output never crosses unless another component reads it; its input does, under rule 3.
6. A matmul moves these shares of its own bytes (inputs at ``input_bits`` with the chip's input
   reuse, outputs at ``output_bits``); an im2col copy its inputs at ``input_bits`` (the
   arrays' inputs, quantised by the host: a feature map enters the chip once); a periphery
   op its inputs and outputs at the workload's bytes. An op that moves no byte over the link
   pays no link latency.

Without the producer columns (an :class:`~cimsim.workload.oparrays.OpArrays` built by hand),
every input and output crosses, as in a flat pool.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import chip as chipmod


@dataclass
class LinkShares:
    inputs: np.ndarray  # per op of idx: share of its activation input bytes that cross the link
    outputs: np.ndarray  # per op of idx: share of its output bytes that cross the link
    capacity: float  # bytes of activations the chip holds (rule 1)
    spilled: int  # tensors made and read only on the chip that do not fit it (rule 2)
    spilled_bytes: float


def capacity(c) -> float:
    """Rule 1: bytes of every level's buffers, every unit, and the flat ``cim.buffer``."""
    held = sum(buf.capacity * units for buf, units in chipmod.level_buffers(c.chip))
    return float(held + (c.buffer.capacity if c.buffer is not None else 0.0))


def link_shares(c, ops, idx: np.ndarray, out_scale: np.ndarray) -> LinkShares:
    """Rules 2-5 for the ops ``idx`` a chip runs; ``out_scale`` per op of ``idx``: the chip's
    bytes of its outputs per workload byte (a matmul's re-quantised ``output_bits``; 1 for
    the rest), the size a tensor takes in the chip's buffers."""
    cap = capacity(c)
    n = len(idx)
    if ops.producer is None or ops.act_ptr is None:
        return LinkShares(np.ones(n), np.ones(n), cap, 0, 0.0)
    n_ops = ops.kind.shape[0]
    mine = np.zeros(n_ops, dtype=bool)
    mine[idx] = True
    nbytes = ops.tensor_bytes
    prod = ops.producer
    ids = ops.act_ids
    reader = np.repeat(np.arange(n_ops), np.diff(ops.act_ptr))
    made_here = (prod >= 0) & mine[np.maximum(prod, 0)]
    virtual = np.zeros(len(nbytes), dtype=bool)  # rule 5: an im2col copy's output
    if ops.im2col is not None and ops.im2col.any():
        out_t = np.flatnonzero(made_here)
        virtual[out_t] = ops.im2col[prod[out_t]]
    scale = np.ones(n_ops)
    scale[idx] = out_scale
    held = np.where(made_here, nbytes * scale[np.maximum(prod, 0)], nbytes)
    read_off = np.zeros(len(nbytes), dtype=bool)  # some reader on another component
    np.logical_or.at(read_off, ids, ~mine[reader])
    virtual &= ~read_off  # an im2col matrix another component reads is made and sent out
    fits = (held <= cap) | virtual
    read = np.bincount(ids, minlength=len(nbytes)) > 0
    stays_in = made_here & fits  # rule 3: an input read on the chip
    leaves = made_here & ~(virtual | (fits & read & ~read_off))  # rule 4
    # a tensor an op reads twice (x * x) enters the chip once: one (op, tensor) pair each
    pair = np.unique(reader * len(nbytes) + ids)
    p_op, p_t = np.divmod(pair, len(nbytes))
    in_off = np.bincount(p_op, weights=nbytes[p_t] * ~stays_in[p_t], minlength=n_ops)[idx]
    out_t = np.flatnonzero(made_here)
    out_all = np.bincount(prod[out_t], weights=nbytes[out_t], minlength=n_ops)[idx]
    out_off = np.bincount(prod[out_t], weights=nbytes[out_t] * leaves[out_t], minlength=n_ops)[idx]
    in_all = ops.act_in_bytes[idx]
    share_in = np.divide(in_off, in_all, out=np.ones(n), where=in_all > 0)
    share_out = np.divide(out_off, out_all, out=np.ones(n), where=out_all > 0)
    spill = made_here & ~fits & read & ~read_off  # would have stayed, but for its size
    return LinkShares(share_in, share_out, cap, int(spill.sum()), float(held[spill].sum()))
