"""What a CIM chip's ops move over its link (``cim.link``): the activations that enter or
leave the chip. A flat pool of arrays (no ``chip:`` block) moves every op's inputs and outputs.

Rules, in order, for a component with a ``chip:`` block:

1. The chip holds ``capacity`` bytes of activations: its levels' buffers (every unit of every
   level) and ``cim.buffer`` if one is given. A tensor fits when its chip size does, on its
   own (the activations of a layer pipeline in flight together are not summed).
2. A tensor's *chip size* is the bytes it takes on the chip and over the link, one size both
   ways: made by the chip, its producer's (a matmul's outputs at ``output_bits``, whose default
   is ``periphery.bits`` on a chip with a periphery; a periphery op's at ``periphery.bits`` an
   element, the width its datapath writes); made off the chip, the bytes its first reader on
   the chip takes (a matmul's inputs at ``input_bits`` with the chip's input reuse, an im2col
   copy's at ``input_bits``, a periphery op's at ``periphery.bits``: the host quantises what it
   sends). A periphery op sizes each of its tensors from that tensor's own elements and dtype:
   a compute dtype's (:data:`~cimsim.dtypes.DTYPES`, the activations' values) at
   ``periphery.bits``, any other at the trace's width (int64 indices, an argmax's output, an
   int64 or bool mask, a compare's bool: their width states a range, an index past 65,535 that
   16 bits cannot hold, not a precision the datapath re-quantises). So the trace's dtype sizes
   none of the chip's activations when ``output_bits`` or a periphery is given; with neither,
   a matmul's outputs are at the trace's bytes (the spill note says how many spilled so).
   Without the producer columns an op's tensors take its own dtype's factor (the first
   output's). (Before 2026-12-07 a periphery op's were at the workload's bytes: an fp32 trace's
   ReLU outputs took twice the buffer space and link bytes of an fp16 trace's; and, in the
   first fix the same day, one factor per op from its first output's dtype sized all its
   tensors: an fp32 trace's int64 mask read by ``x * mask`` went in at 4 B an element, an
   fp16 trace's at 8 B.)
3. A tensor made on the chip and read on it stays there when it fits; one that does not fit
   goes out and every reader on the chip reads it back.
4. A tensor made on the chip leaves it once, at its producer, when an op of another component
   reads it, or when it is a model output: the model returns it (``metadata.outputs``,
   :mod:`cimsim.workload.returned`: the host holds it, even where a later op on the chip reads
   it too, every hidden state of ``output_hidden_states``; a returned second output, ``topk``'s
   indices, too). A workload that lists no outputs has every tensor no op reads that is its
   op's first output taken for one (a multi-output op's other outputs no op reads, a
   max-pool's indices or a norm's saved statistics, are by-products that go nowhere). (Before
   2026-12-07 the list was not read: a returned tensor read on the chip never left it.)
5. A tensor made off the chip (a model input, another component's output) enters it once, at
   its first reader on the chip, when it fits; else every reader on the chip brings it in.
   An op reading a tensor twice (``x * x``) brings it in once.
6. An im2col copy is not materialised (the chip reads its convolution's inputs in place): its
   output never crosses unless another component reads it. (The chip claims an im2col copy only
   when it claims the convolution that reads it: :func:`.onchip.claims`.) Nor is a matmul's
   output that a bias add / ReLU riding on it in the near-memory datapath reads
   (:mod:`.epilogue`; its only reader).
7. An op that moves no byte over the link pays no link latency.
8. The link leads to the host, whose memory behind it is the backing store. A spilled tensor
   (rule 3) is stored there: its trip out is a write of its chip size to the backing store
   (bytes, energy, bandwidth), each reader's trip back a read, and an op that writes or reads
   one pays the backing store's access latency. (Before 2026-12-06 only the link was charged.)
   Every other tensor that leaves the chip (rule 4: for another component, or a model output)
   goes to the host over the link and is not written to the backing store: the host holds it,
   as a processor's outputs stay in the level that holds its activations (hierarchy rule 2)
   and a systolic array's go back over its link, unless a host op reads it from the backing
   store (its activations fit none of the host's levels): then its op writes it there as it
   leaves (hierarchy rule 8; before 2026-12-06 it was read there, never written); a model input enters from the backing store
   (hierarchy rule 3, charged by the component). A tensor the host made and wrote to the
   backing store (its op's activations fit none of its levels: hierarchy rule 7) is read back
   from there at each reader that brings it in (rule 5): its bytes in the workload's dtype, a
   read of the backing store, and that op pays its access latency. (Before 2026-12-06 the host
   was taken to hold it.)

Without the producer columns (an :class:`~cimsim.workload.oparrays.OpArrays` built by hand),
every input and output crosses, as in a flat pool.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...dtypes import DTYPE_BYTES, DTYPES
from . import chip as chipmod


@dataclass
class LinkBytes:
    inputs: np.ndarray  # per op of idx: bytes it brings into the chip over the link
    outputs: np.ndarray  # per op of idx: bytes it sends out over the link
    capacity: float  # bytes of activations the chip holds (rule 1)
    spilled: int  # tensors made and read on the chip that do not fit it (rule 3)
    spilled_bytes: float
    #: per op of idx: bytes of its spilled outputs it writes to the backing store (rule 8)
    spill_out: np.ndarray | None = None
    #: per op of idx: bytes of spilled tensors it reads back from the backing store (rule 8)
    spill_in: np.ndarray | None = None
    #: per op of idx: bytes of tensors the host stored in the backing store it brings in, which
    #: the host reads back from there (rule 8)
    backed_in: np.ndarray | None = None


def capacity(c) -> float:
    """Rule 1: bytes of every level's buffers, every unit, and the flat ``cim.buffer``."""
    held = sum(buf.capacity * units for buf, units in chipmod.level_buffers(c.chip))
    return float(held + (c.buffer.capacity if c.buffer is not None else 0.0))


def periphery_scale(ch, dtypes) -> np.ndarray:
    """Rule 2 for a periphery's tensors (or ops) of ``dtypes`` (names): chip bytes per workload
    byte, ``chip.periphery.bits`` an element for a compute dtype, 1 for any other (an index or
    mask keeps its width) and for every one without a periphery."""
    dtypes = np.asarray(dtypes, dtype=str)
    f = np.ones(len(dtypes))
    if ch.periphery is not None:
        for d in DTYPES:  # a pass per compute dtype (no sort of a million tensors' names)
            f[dtypes == d] = ch.periphery.bits / 8 / DTYPE_BYTES[d]
    return f


def link_bytes(c, ops, idx: np.ndarray, in_scale: np.ndarray, out_scale: np.ndarray,
               own_in: np.ndarray, own_out: np.ndarray, kept: np.ndarray | None = None,
               periph: np.ndarray | None = None) -> LinkBytes:
    """Rules 2-6 for the ops ``idx`` a chip runs. Per op of ``idx``: ``in_scale`` /
    ``out_scale``, its inputs' / outputs' chip bytes per workload byte (rule 2); ``own_in`` /
    ``own_out``, what it moves without the producer columns (everything, at those scales);
    ``kept`` (bool by tensor id): a matmul's output inside the near-memory datapath, read by
    the op riding on it (:mod:`.epilogue`), never materialised (rule 6); ``periph`` (bool per
    op of ``idx``): periphery ops, whose tensors each take their own dtype's factor
    (:func:`periphery_scale`) where the tensors' dtypes are known."""
    cap = capacity(c)
    if ops.producer is None or ops.act_ptr is None:
        return LinkBytes(own_in, own_out, cap, 0, 0.0, backed_in=np.zeros(len(idx)))
    n_ops, nbytes = ops.kind.shape[0], ops.tensor_bytes
    n_t = len(nbytes)
    mine = np.zeros(n_ops, dtype=bool)
    mine[idx] = True
    prod = ops.producer
    p_op, p_t = ops.read_pairs()  # (op, tensor) once however often the op reads it
    made_here = (prod >= 0) & mine[np.maximum(prod, 0)]
    s_in, s_out = np.ones(n_ops), np.ones(n_ops)
    s_in[idx], s_out[idx] = in_scale, out_scale
    pv = np.zeros(n_ops, dtype=bool)  # rule 2: a periphery op's tensors, each at its own dtype
    t_scale = np.ones(n_t)
    if periph is not None and periph.any() and ops.tensor_dtype is not None:
        pv[idx] = periph
        t_scale = periphery_scale(c.chip, ops.tensor_dtype)
    read_off = np.zeros(n_t, dtype=bool)  # some reader on another component
    np.logical_or.at(read_off, p_t, ~mine[p_op])
    read = np.zeros(n_t, dtype=bool)
    read[p_t] = True
    on = mine[p_op]  # the chip's (op, tensor) reads
    read_on = np.zeros(n_t, dtype=bool)
    read_on[p_t[on]] = True
    first_reader = np.full(n_t, n_ops, dtype=np.int64)  # in program order, on the chip
    np.minimum.at(first_reader, p_t[on], p_op[on])
    maker, taker = np.maximum(prod, 0), np.minimum(first_reader, n_ops - 1)
    size = nbytes * np.where(made_here, np.where(pv[maker], t_scale, s_out[maker]),  # rule 2
                             np.where(pv[taker], t_scale, s_in[taker]))
    virtual = np.zeros(n_t, dtype=bool)  # rule 6: an im2col copy's output no other unit reads
    if ops.im2col is not None and ops.im2col.any():
        virtual = made_here & ops.im2col[np.maximum(prod, 0)] & ~read_off
    if kept is not None:
        virtual = virtual | (made_here & kept & ~read_off)
    fits = (size <= cap) | virtual
    if ops.returned is not None:  # rule 4: the model outputs the workload lists
        model_out = ops.returned
    else:  # not listed: every unread first output (every unread output without the column)
        model_out = ~read
        if ops.first_out is not None:
            model_out = model_out & np.isin(np.arange(n_t), ops.first_out)
    # rule 4 (and 3: a chip-made tensor that does not fit goes out for its readers here)
    leaves = made_here & ~virtual & (read_off | model_out | (read_on & ~fits))
    out_t = np.flatnonzero(leaves)
    outputs = np.bincount(prod[out_t], weights=size[out_t], minlength=n_ops)[idx]
    # rules 3 and 5: what the chip's readers bring in
    t = p_t[on]
    brings = np.where(made_here[t], ~fits[t],  # a spilled chip-made tensor, every reader
                      ~fits[t] | (p_op[on] == first_reader[t]))  # off-chip: once if it fits
    bring_size = np.where(made_here[t], size[t],
                          nbytes[t] * np.where(pv[p_op[on]], t_scale[t], s_in[p_op[on]]))
    inputs = np.bincount(p_op[on], weights=bring_size * brings, minlength=n_ops)[idx]
    spill = made_here & ~fits & read_on & ~virtual
    sp_t = np.flatnonzero(spill)  # rule 8: stored in the backing store, read back from it
    spill_out = np.bincount(prod[sp_t], weights=size[sp_t], minlength=n_ops)[idx]
    spill_in = np.bincount(p_op[on], weights=bring_size * (brings & spill[t]),
                           minlength=n_ops)[idx]
    backed = brings & ops.backed[t] if ops.backed is not None else np.zeros(len(t), dtype=bool)
    backed_in = np.bincount(p_op[on], weights=nbytes[t] * backed, minlength=n_ops)[idx]
    return LinkBytes(inputs, outputs, cap, int(spill.sum()), float(size[spill].sum()),
                     spill_out, spill_in, backed_in)


def charge_spill(state: dict, back: str, nbytes: dict, writes: dict):
    """Rule 8, in place: the spilled tensors' bytes an op writes to / reads back from the
    backing store ``back``; returns where an op touches it (it pays its access latency)."""
    out, back_in = state.get("spill_out"), state.get("spill_in")
    if out is None or back_in is None:
        return np.False_
    nbytes[back] = nbytes.get(back, 0.0) + out + back_in
    writes[back] = writes.get(back, 0.0) + out
    return (out + back_in) > 0
