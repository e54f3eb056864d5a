"""A convolution's input bytes over a component's link: its im2col matrix, or with input reuse
each input once per kernel row; shared by the CIM (``cim.input_reuse``, ``chip.input_reuse``)
and the systolic array (``tpu.input_reuse``).

The tracer lowers a convolution to an im2col copy and a matmul whose ``m x k`` input matrix
repeats every input once per window that reads it; it tags the matmul with ``window_elems``
(``batch x C_in x output rows x kernel rows x input width``: each input once per kernel row, a
third of the im2col for a 3 x 3 stride-1 convolution), what hardware that reuses inputs across
the sliding window moves.

A host processor runs a depthwise convolution (groups = C_in > 1: tag ``depthwise``) as a direct
kernel (oneDNN's, cuDNN's or PyTorch's depthwise kernel), which never forms the im2col matrix
(its forward, and its weight gradient in a traced training step, tag ``depthwise`` both; the
input gradient still writes its column matrix and sums it, col2im):
:func:`direct_depthwise` has its im2col copy move nothing and the convolution read the copy's
input in its place, so it moves its input, output and weights once (a convolution of
``groups = 1``, or grouped with several input channels a group, keeps the im2col copy).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..units import si
from .base import OpArrays


def input_bytes(ops, idx, input_bits: int, reuse: bool, live: bool = False) -> np.ndarray:
    """Bytes of each op's inputs at ``input_bits`` (the host quantises them): every activation
    row's ``k`` inputs (a convolution's im2col matrix; a CIM's live rows where
    ``cim.drop_zero_rows`` narrowed ``k``), or, with ``reuse`` (input reuse across the sliding
    window: ``chip.input_reuse``, ``cim.input_reuse`` of a flat pool, ``tpu.input_reuse`` of a
    systolic array), ``window_elems`` (the tracer's tag) for an op that carries it: whole (each
    input feeds some live tap), or with ``live`` (what the arrays inside a chip read) the live
    rows' share of it, ``k / dense_k``."""
    a_in = ops.rows[idx] * ops.k[idx] * input_bits / 8
    win = getattr(ops, "window_elems", None)
    if reuse and win is not None:
        w = win[idx] * input_bits / 8
        dense = getattr(ops, "dense_k", None)
        if live and dense is not None:
            w = w * np.divide(ops.k[idx], dense[idx], out=np.ones(len(w)), where=dense[idx] > 0)
        a_in = np.where(win[idx] > 0, w, a_in)
    return a_in


def im2col_note(name: str, link, ops, idx, input_bits: int, reuse: bool) -> list[str]:
    """Without ``reuse``: the convolutions among ``idx`` send their im2col bytes over ``link``;
    one note sizes them against the bytes with each input once per kernel row (the tracer's
    ``window_elems``) and names the field ``<name>.input_reuse`` that sends those."""
    if reuse or getattr(ops, "window_elems", None) is None:
        return []
    idx = np.asarray(idx)
    conv = ops.window_elems[idx] > 0
    if not conv.any():
        return []
    im2col = input_bytes(ops, idx[conv], input_bits, False).sum()
    once = input_bytes(ops, idx[conv], input_bits, True).sum()
    return [f"{name}: {int(conv.sum()):,} convolution(s) send their im2col matrix over "
            f"{link}: {si(im2col, 'B')} of inputs, {im2col / once:.1f}x the {si(once, 'B')} "
            f"with each input once per kernel row ({name}.input_reuse: true sends those)"]


def direct_depthwise(ops: OpArrays, idx) -> tuple[OpArrays, int, float]:
    """``(ops, convolutions, bytes)``: ``ops`` as a host processor running ``idx`` moves them,
    each depthwise convolution of ``idx`` (:attr:`OpArrays.depthwise`) a direct kernel: its
    im2col copy (also of ``idx``, read by it alone) moves nothing and the convolution reads the
    copy's input (a model input's first read moves with it, hierarchy rule 3); with how many
    convolutions and the im2col bytes not formed. ``ops`` itself where there is none."""
    conv, copy, cols = ops.direct_depthwise_pairs(idx)
    if not len(conv):
        return ops, 0, 0.0
    return fold_copies(ops, conv, copy, cols), len(conv), float(ops.tensor_bytes[cols].sum())


def fold_copies(ops: OpArrays, conv, copy, cols, **marks) -> OpArrays:
    """``ops`` with each im2col copy ``copy`` (its output ``cols`` read by ``conv`` alone)
    folded into its convolution ``conv``: the copy moves nothing and the convolution reads the
    copy's inputs in place of the matrix (a model input's first read moves with them,
    hierarchy rule 3), its activation reads (``act_ids``) too, so a spilled one is read back
    (hierarchy rule 7; before 2026-12-07 they still named the matrix: find-U 1); ``marks``,
    OpArrays columns to replace (``windows_built``)."""
    n = len(ops.kind)
    ain, aout = ops.act_in_bytes.copy(), ops.act_out_bytes.copy()
    ain[conv] += ain[copy] - ops.tensor_bytes[cols]
    ain[copy] = aout[copy] = 0.0
    target = np.arange(n)
    target[copy] = conv
    ptr, order = _regrouped(target, ops.input_ptr, np.ones(len(ops.input_ids), dtype=bool))
    acts = {}
    if ops.act_ptr is not None:  # its activations too: the copy's inputs, not the matrix
        gone = np.zeros(len(ops.tensor_bytes), dtype=bool)
        gone[cols] = True
        a_ptr, a_order = _regrouped(target, ops.act_ptr, ~gone[ops.act_ids])
        acts = {"act_ptr": a_ptr, "act_ids": ops.act_ids[a_order]}
    return replace(ops, act_in_bytes=ain, act_out_bytes=aout, input_ptr=ptr,
                   input_ids=ops.input_ids[order], **acts, **marks)


def _regrouped(target: np.ndarray, ptr: np.ndarray, keep: np.ndarray) -> tuple:
    """``(ptr, order)``: the CSR ``ptr`` over ops with each entry moved to op ``target[op]``
    (a folded copy's: its convolution's, in op order) and the entries ``keep`` false dropped;
    ``order`` indexes the old entries."""
    n = len(target)
    of = target[np.repeat(np.arange(n), np.diff(ptr))]
    kept = np.flatnonzero(keep)
    order = kept[np.argsort(of[kept], kind="stable")]
    out = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(of[kept], minlength=n), out=out[1:])
    return out, order


def windows_built(ops: OpArrays, builds: np.ndarray) -> tuple[OpArrays, tuple]:
    """``(ops, (conv, copy, cols))``: the convolutions ``conv`` whose unit builds their sliding
    windows from the raw input beside its arrays (``builds``, bool per op: its component's
    ``builds_windows``, input reuse on a flat CIM pool or a systolic array) read that input
    from memory, not an im2col matrix the host formed: each one's im2col copy ``copy`` (tag
    ``part: im2col``, read by it alone) moves nothing and is marked :attr:`OpArrays.windows_built`
    (no kernel, no time, no energy on the unit that holds it), and the convolution reads the
    copy's input (its inputs over the link stay its ``window_elems``: :func:`input_bytes`);
    ``cols``, the matrices never formed (int64 arrays, empty where none is)."""
    none = np.zeros(0, dtype=np.int64)
    win = getattr(ops, "window_elems", None)
    if win is None or not builds.any():
        return ops, (none, none, none)
    conv, copy, cols = ops.copy_pairs(builds & (win > 0))
    if not len(conv):
        return ops, (none, none, none)
    mark = np.zeros(len(ops.kind), dtype=bool)
    mark[copy] = True
    return fold_copies(ops, conv, copy, cols, windows_built=mark), (conv, copy, cols)


def windows_note(names: list[str], convs: int, formed: float) -> list[str]:
    """The note on the convolutions :func:`windows_built` folded (``names``: their units)."""
    if not convs:
        return []
    who = ", ".join(names)
    return [f"{who}: {convs:,} convolution(s) build their windows beside the arrays from the raw "
            f"input (input_reuse): their im2col matrices ({si(formed, 'B')}) are never formed on "
            "the host; each reads its input (and halo) from memory once and sends each input "
            "once per kernel row over the link"]


def direct_note(name: str, convs: int, formed: float) -> list[str]:
    """The note on the depthwise convolutions :func:`direct_depthwise` ran as direct kernels."""
    if not convs:
        return []
    return [f"{name}: {convs:,} depthwise convolution(s) (forward or weight gradient) run as direct "
            f"kernels (each input, output and weight moved once): their im2col matrices "
            f"({si(formed, 'B')}) are never formed"]
