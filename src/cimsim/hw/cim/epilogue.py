"""A CIM's near-memory epilogue: the bias add and ReLU its ``cim.nmc`` datapath applies to
every output, absorbed into the matmul they follow (find-T, finding 3).

Rules, in order:

1. An op rides on a matmul when it is that matmul's epilogue (``OpArrays.epilogue``, tag
   ``epilogue``: ``bias``, ``relu`` or ``bias+relu``, written by the tracer on a Linear's or a
   convolution's bias add, on a ReLU, on their fused op, and by the generators on their ReLU
   layers) and the datapath does all of it (a bias add needs ``nmc.bias``, a ReLU
   ``nmc.activation: relu``); it reads one activation, and one weight for a bias add (the
   bias, held in the datapath's registers) or none for a ReLU; that activation is the whole
   output of a matmul this CIM runs (a stationary weight of a compute dtype), on the same
   pipeline stage, or of an op riding on one that is a bias add alone (the chain bias ->
   ReLU); and no other op reads it (the pre-activation value is needed nowhere else).
2. Riding, it costs nothing of its own: no dispatch (``op_overhead``), no compute time, no
   energy (the datapath's is charged per conversion, part ``digital``, once), no link crossing
   and no link latency in a flat pool. It runs on its matmul's engine server (just after it).
   Its output is what the matmul's output was: in a flat pool the matmul's output crossing the
   link stands for it; on a chip (``chip:``) the matmul's output is never materialised (it
   stays in the datapath: :mod:`.offchip` rule 6) and the riding op's output takes the
   matmul's chip size (``output_bits``), leaving the chip when another unit reads it.
3. An elementwise op reading a matmul's output that does not ride (a GELU, a residual add, a
   bias add without ``nmc.bias``, a pre-activation read twice) runs where the placement puts
   it; with ``nmc`` the run's note counts them (:func:`host_note`).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..base import Plan


def capability(c) -> int:
    """The :data:`~cimsim.workload.oparrays.EPILOGUE_CODES` bits the datapath does (0 without
    ``nmc``): 1 a bias adder, 2 a ReLU."""
    m = c.nmc
    if m is None:
        return 0
    return (1 if m.bias else 0) | (2 if m.activation == "relu" else 0)


def riding(c, ops, mine: np.ndarray) -> np.ndarray:
    """bool per op: rides on a matmul of the CIM ``c`` (rules 1), among the ops ``mine`` (bool
    per op: those the CIM may run)."""
    n = ops.kind.shape[0]
    can, epi = capability(c), getattr(ops, "epilogue", None)
    if not can or epi is None or ops.producer is None or ops.act_ptr is None:
        return np.zeros(n, dtype=bool)
    cand = (mine & (epi > 0) & ((epi & ~can) == 0) & (np.diff(ops.act_ptr) == 1)
            & (np.diff(ops.weight_ptr) == (epi & 1)))
    src = np.full(n, -1, dtype=np.int64)  # the op that made its one activation
    t = np.full(n, -1, dtype=np.int64)
    t[cand] = ops.act_ids[ops.act_ptr[:-1][cand]]
    src[cand] = ops.producer[t[cand]]
    _, p_t = ops.read_pairs()
    readers = np.bincount(p_t, minlength=len(ops.tensor_bytes))
    s = np.maximum(src, 0)
    cand &= (src >= 0) & (readers[np.maximum(t, 0)] == 1) & (ops.act_out_bytes == ops.act_out_bytes[s])
    if ops.stage is not None:
        cand &= ops.stage == ops.stage[s]
    mm = mine & (ops.stationary >= 0) & ops.mac_dtype_ok()
    direct = cand & mm[s]
    return direct | (cand & (epi == 2) & direct[s] & (epi[s] == 1))


def matmul_of(ops, ride: np.ndarray) -> np.ndarray:
    """int64 per op: the matmul a riding op rides on (through a riding bias add), -1 for the
    others."""
    src = np.full(ops.kind.shape[0], -1, dtype=np.int64)
    at = np.flatnonzero(ride)
    src[at] = ops.producer[ops.act_ids[ops.act_ptr[:-1][at]]]
    chained = at[ride[src[at]]]
    src[chained] = src[src[chained]]
    return src


def makers(ops, ride: np.ndarray) -> np.ndarray:
    """int64 per op: the op whose unit (and chip) holds its output: the matmul a riding op
    rides on (its output is the matmul's, in the datapath: rule 2), the op itself for the
    others."""
    at = matmul_of(ops, ride)
    return np.where(at >= 0, at, np.arange(ops.kind.shape[0]))


def kept(ops, ride: np.ndarray) -> np.ndarray:
    """bool by tensor id: the activations riding ops read (a matmul's output inside the
    datapath, never materialised: rule 2); none without the activation columns."""
    out = np.zeros(len(ops.tensor_bytes), dtype=bool)
    if ops.act_ptr is None or ops.act_ids is None:
        return out
    out[ops.act_ids[ops.act_ptr[:-1][ride]]] = True
    return out


def positions(ops, idx: np.ndarray, ride: np.ndarray) -> np.ndarray:
    """int64 per op of ``idx``: the position in ``idx`` of the matmul a riding op rides on, its
    own position for the others."""
    pos = np.arange(len(idx))
    r = ride[idx]
    if r.any():
        at = np.full(ops.kind.shape[0], -1, dtype=np.int64)
        at[idx] = pos
        pos[r] = at[matmul_of(ops, ride)[idx[r]]]
    return pos


#: state columns a riding op takes as 1 when a flat plan is widened to it (the rest 0)
_ONES = ("rounds", "replicas")


def widen(plan: Plan, ops, idx: np.ndarray, ride: np.ndarray) -> Plan:
    """The flat plan of the ops ``idx`` that do not ride, widened to all of ``idx``: a riding
    op on its matmul's server, its per-op columns and state 0 (rounds, copies 1): nothing to
    move, compute or charge (rule 2)."""
    r = ride[idx]
    m, own = len(idx), np.flatnonzero(~r)
    to_own = np.full(m, -1, dtype=np.int64)
    to_own[own] = np.arange(len(own))
    src = to_own[positions(ops, idx, ride)]

    def wide(key, a):
        a = np.asarray(a)
        out = np.full((m,) + a.shape[1:], 1 if key in _ONES else 0, dtype=a.dtype)
        out[own] = a
        return out

    def fits(a):
        return isinstance(a, np.ndarray) and a.ndim >= 1 and a.shape[0] == len(own)

    server = np.asarray(plan.server)[src]
    serial = np.where(r, True, np.asarray(plan.serial)[src])
    cols = {k: wide(k, v) for k, v in plan.op_columns.items()}
    state = {k: wide(k, v) if fits(v) else v for k, v in plan.state.items()}
    # the in-order servers keep their order and checks (review 16-6 #2): a check is handed
    # positions in all of ``idx``, its own are those of the ops that do not ride
    checks = {s: _narrowed(f, to_own) for s, f in (plan.in_order_check or {}).items()}
    return replace(plan, server=server, serial=serial, op_columns=cols, state=state,
                   in_order_check=checks or plan.in_order_check)


def _narrowed(check, to_own: np.ndarray):
    """``check`` (of positions among the ops that do not ride) called with positions among all
    of them: the riding ops' dropped, the rest mapped to their own."""
    def run(positions: np.ndarray) -> bool:
        mine = to_own[positions]
        return check(mine[mine >= 0])
    return run


def rode_note(name: str, idx, ride: np.ndarray) -> str | None:
    """How many ops rode on their matmuls (rule 2); None when none did."""
    r = ride[idx]
    if not r.any():
        return None
    return (f"{name}: {int(r.sum()):,} bias add / ReLU op(s) reading its matmuls' outputs ride on "
            f"them in the cim.nmc datapath (no dispatch, compute, energy or link crossing of their "
            "own; the datapath's energy is charged per conversion in cim_digital)")


def host_note(comp, ops, free, took) -> str | None:
    """With ``nmc``, the elementwise ops reading one of the taken matmuls' outputs directly
    that do not ride on it (rule 3: not a bias add / ReLU the datapath does, or not that
    output's only reader): another unit runs them, their dispatch and energy charged there, or
    the chip's periphery does (a ``chip.periphery`` takes them: find-I 3, the note was missing
    there, so an untagged file's ReLUs stayed on the periphery without the re-trace advice)."""
    name, c = comp.name, comp.config
    if not capability(c) or ops.producer is None:
        return None
    reader = ops.act_readers()
    made = ops.producer[ops.act_ids]
    mm = took & (ops.stationary >= 0)
    hit = (made >= 0) & mm[np.maximum(made, 0)]
    ew = free & ~riding(c, ops, free) & (ops.kind == ops.kind_codes["elementwise"])
    left = np.unique(reader[hit & ew[reader]])
    if not len(left):
        return None
    m = c.nmc
    what = " and ".join(p for p, on in (("bias adder", m.bias), ("ReLU", m.activation == "relu")) if on)
    head = f"{name}: cim.nmc has a {what} per output, charged per conversion in cim_digital; "
    here = int(took[left].sum())  # on the chip's periphery
    where = [f"{here} run on {name}.chip.periphery, on their layer's stage"] if here else []
    if here < len(left):
        where.append(f"{'the other ' if here else ''}{len(left) - here} run on another unit, their "
                     "dispatch, link crossing and energy charged there")
    tail = "; ".join(where) + " (see README 'cim.nmc')"
    # a file written before the tag: those that would ride if tagged (review 16-6 #3)
    untagged = getattr(ops, "untagged_epilogue", None)
    k = (0 if untagged is None
         else int(riding(c, replace(ops, epilogue=untagged), free)[left].sum()))
    old = (f"; {k} of them are bias adds / ReLUs it would absorb but carry no epilogue tag (a "
           "file traced or generated before cimsim wrote them: re-trace / regenerate it)" if k else "")
    return (head + f"the {len(left)} elementwise op(s) reading its matmuls' outputs directly that "
            f"it cannot absorb (not a bias add / ReLU it performs, or not the output's only reader{old}): "
            + tail)
