"""Run notes on how a host processor's op costs were priced, where the pricing is known to
differ from what torch runs (find-C 3, 4).

- :func:`dispatch_notes`: ops standing for several torch calls (tag ``dispatches``: a traced
  nn.LSTM / nn.GRU / nn.RNN step's fused gate arithmetic, the ATen calls of torch's native CPU
  cell), each call charged the processor's ``op_overhead``; what is still not charged.
- :func:`conv_table_notes`: convolutions priced from a calibrated ``mac_efficiency`` table,
  which ``cimsim calibrate`` measures on ``x @ W.T`` (a Linear), not on torch's convolution.
"""

from __future__ import annotations

import numpy as np

from .format import si


def _processors(pl, field: str):
    """``(component, its op indices)`` of each component that runs ops and whose config has
    ``field`` (``op_overhead_by_kind``: one that prices each op's dispatch by its kind and tag
    ``dispatches``; ``mac_efficiency``: one with a measured matmul table)."""
    return [(c, idx) for c, idx in zip(pl.components, pl.idx)
            if getattr(getattr(c, "config", None), field, None) is not None and len(idx)]


def dispatch_notes(pl, ops) -> list[str]:
    """One line per processor running ops of tag ``dispatches`` > 1 (find-C 3)."""
    if ops.dispatches is None:
        return []
    out = []
    for c, idx in _processors(pl, "op_overhead_by_kind"):
        if not c.config.torch_cpu_dispatches:  # one dispatch an op: the tag is not charged
            continue
        d = ops.dispatches[idx]
        many = d > 1
        if not many.any():
            continue
        o = float(c.config.op_overhead)
        extra = float((d[many] - 1).sum())
        out.append(f"{c.name}: {int(many.sum()):,} op(s) stand for several torch calls each (tag "
                   f"dispatches: a traced nn.LSTM / nn.GRU step's gate arithmetic, the {int(d.max())} "
                   f"ATen calls of torch's native CPU cell), each call charged {c.name}.op_overhead "
                   f"({si(o, 's')}): {extra:,.0f} dispatch(es) more than one an op, {si(extra * o, 's')} "
                   "of op time; the cell's views (unsafe_chunk's narrows) and the call's bookkeeping "
                   "(zeros, stack) are not charged (README 'Recurrent layers on a host processor')")
    return out


def conv_table_notes(pl, wl) -> list[str]:
    """One line per processor with a ``mac_efficiency`` table that prices convolutions (tag
    ``part`` ``conv``, not depthwise) (find-C 4)."""
    procs = _processors(pl, "mac_efficiency")
    if not procs:
        return []
    ops = wl.arrays
    conv = np.array([op.tags.get("part") == "conv" for op in wl.ops], dtype=bool)
    if ops.depthwise is not None:
        conv &= ~ops.depthwise
    out = []
    for c, idx in procs:
        mine = idx[conv[idx]]
        if not len(mine):
            continue
        share = float(ops.macs[mine].sum()) / max(float(ops.macs[idx].sum()), 1.0)
        out.append(f"{c.name}: its {len(mine):,} convolution(s) ({share:.0%} of its MACs) are priced by "
                   f"{c.name}.mac_efficiency, a table of x @ W.T (a Linear: rows = the output "
                   "positions, weight = C_out x C_in kH kW), not of torch's convolution; on a CPU torch "
                   "runs small convolutions through another kernel (aten::_slow_conv2d_forward: im2col, "
                   "then W @ cols), measured up to ~2.3x slower than this table prices them (3x3, "
                   "512 channels at 2x2 output) (README 'Convolutions on a calibrated host')")
    return out
