"""A convolution's input bytes over a component's link: its im2col matrix, or with input reuse
each input once per kernel row; shared by the CIM (``cim.input_reuse``, ``chip.input_reuse``)
and the systolic array (``tpu.input_reuse``).

The tracer lowers a convolution to an im2col copy and a matmul whose ``m x k`` input matrix
repeats every input once per window that reads it; it tags the matmul with ``window_elems``
(``batch x C_in x output rows x kernel rows x input width``: each input once per kernel row, a
third of the im2col for a 3 x 3 stride-1 convolution), what hardware that reuses inputs across
the sliding window moves.
"""

from __future__ import annotations

import numpy as np

from ..units import si


def input_bytes(ops, idx, input_bits: int, reuse: bool) -> np.ndarray:
    """Bytes of each op's inputs at ``input_bits`` (the host quantises them): every activation
    row's ``k`` inputs (a convolution's im2col matrix), or, with ``reuse`` (input reuse across
    the sliding window: ``chip.input_reuse``, ``cim.input_reuse`` of a flat pool,
    ``tpu.input_reuse`` of a systolic array), ``window_elems`` (the tracer's tag) for an op that
    carries it."""
    a_in = ops.rows[idx] * ops.k[idx] * input_bits / 8
    win = getattr(ops, "window_elems", None)
    if reuse and win is not None:
        w = win[idx]
        a_in = np.where(w > 0, w * input_bits / 8, a_in)
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
