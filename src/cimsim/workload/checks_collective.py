"""The rule on a communication op's sizes (registered into :data:`.checks.RULES`, phase
``op``): an all-reduce or a send/recv outputs as many elements as it reads (the summed or sent
tensor); an all-gather outputs a whole multiple of them (every device's shard; the group's
size is the config's, checked when it is costed). A hand-written workload with any other sizes
was costed from whichever side the kind reads, without a word."""

from __future__ import annotations

import numpy as np

from .checks import Graph, _item, rule
from .kinds import ALLGATHER, ALLREDUCE, OP_KINDS, SENDRECV


def _elements(g: Graph) -> tuple[np.ndarray, np.ndarray]:
    """(input, output) elements per op."""
    c, w = g.c, g.w
    numel = w.tensor_numel.astype(np.float64)
    ins = np.bincount(w._op_of_in, weights=numel[c.in_ids], minlength=c.n_ops)
    outs = np.bincount(w._op_of_out, weights=numel[c.out_ids], minlength=c.n_ops)
    return ins, outs


def _bad(g: Graph) -> np.ndarray:
    kind = g.c.kind
    ins, outs = _elements(g)
    same = ((kind == ALLREDUCE) | (kind == SENDRECV)) & (outs != ins)
    gathered = (kind == ALLGATHER) & ((ins <= 0) | (outs < ins) | (np.fmod(outs, np.maximum(ins, 1)) != 0))
    return same | gathered


def _message(g: Graph, i: int) -> str:
    ins, outs = _elements(g)
    kind = int(g.c.kind[i])
    want = ("a whole multiple of its input's (one shard per device of the group)"
            if kind == ALLGATHER else "its input's (the tensor it sums or sends)")
    return (f"{g.op(i)} ({OP_KINDS[kind]}) reads {int(ins[i])} elements and outputs "
            f"{int(outs[i])}; its output elements must be {want}")


@rule("collective sizes", "op", _message)
def _collective_sizes(g: Graph):
    return _item(_bad(g))
