"""Fast assembly of long decode stretches for :mod:`cimsim.workload.llm`.

Decode steps that follow one another with the same running requests (and no admission) have
the same ops in the same order; only the cache lengths grow by one token a step. The
generator builds the first three steps of such a stretch op by op and records the rest as
*replicas* of the third; :func:`insert_replicas` then writes them into the columns with NumPy,
every stretch in one rebuild of each column (one per stretch cost ~R^2 for R requests):
step ``r`` after the template is the template with

- tensor ids shifted by ``r x (tensors per step)`` where they name a tensor of the step before
  the template or later (the previous step's sampled tokens, the step's own tensors); ids of
  earlier tensors (weights) unchanged;
- every dimension (shapes, m, k, n, batch) and integer tag moved by ``r x`` its change from the
  step before the template to the template (+1 key per step for the caches, +1 for ``step``);
- names with the iteration prefix ``it<i>.`` renumbered.

Ops after an inserted stretch name the template's tensors or later ones: those ids move by
``count x (tensors per step)`` (the template's sampled tokens become the last replica's).
The result is validated like any workload (``Workload.from_columns``) and the generator holds
its MACs to the closed form; the tests hold it to the op-by-op build, column by column.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .columns import StringTable, TagColumns
from .ir import WorkloadColumns
from .kinds import KIND_CODES


@dataclass
class Stretch:
    """Replicas of one built decode step (builder coordinates)."""

    o0: int  # the template step's ops [o0, o1)
    o1: int
    t0: int  # its tensors [t0, t1); the step before it has the same count, ending at t0
    t1: int
    it: int  # the template's iteration number (name prefix ``it<it>.``)
    count: int = 0


def third_step_repeats(built: list[tuple]) -> bool:
    """Whether the third step built op by op is the template of the rest of a stretch: the
    second and third steps (``(first op, end op, first tensor, end tensor, ...)``) added the same
    numbers of ops and tensors, so the third's change from the second is what each later step
    repeats."""
    return (len(built) == 3 and built[1][1] - built[1][0] == built[2][1] - built[2][0]
            and built[1][3] - built[1][2] == built[2][3] - built[2][2])


def _rename(names: list[str], it: int, r: int) -> list[str]:
    old, new = f"it{it}.", f"it{it + r}."
    k = len(old)
    return [new + s[k:] if s.startswith(old) else s for s in names]


def insert_replicas(c: WorkloadColumns, stretches: list[Stretch]) -> WorkloadColumns:
    """The columns ``c`` with every stretch's replicas inserted after its template, in one
    rebuild of every column (a rebuild per stretch made a run of R requests cost ~R^2).

    An id named by an op after stretches ``0 .. s-1`` (in op order) moves by the replicas of
    those whose template starts at or before it (``count x (tensors per step)`` each); a
    replica's ids first move by ``r x (tensors per step)`` within its own stretch.
    """
    sts = sorted((st for st in stretches if st.count), key=lambda st: st.o1)
    if not sts:
        return c
    for a, b in zip(sts, sts[1:]):  # each template and the step before it lie past the last stretch
        if b.o0 - (b.o1 - b.o0) < a.o1 or b.t0 - (b.t1 - b.t0) < a.t1:
            raise AssertionError("llm: replicated decode stretches overlap")
    ob = [0] + [st.o1 for st in sts] + [len(c.kind)]  # op segments, each followed by replicas
    tb = [0] + [st.t1 for st in sts] + [len(c.tensor_dtype)]
    t0s = np.array([st.t0 for st in sts], dtype=np.int64)
    moved_by = np.concatenate([[0], np.cumsum([st.count * (st.t1 - st.t0) for st in sts])])

    def later(ids: np.ndarray, s: int) -> np.ndarray:
        """Ids named after stretches 0 .. s-1: past each template's start, by its replicas."""
        return ids + moved_by[np.minimum(np.searchsorted(t0s, ids, side="right"), s)]

    def splice(a, reps, bounds) -> np.ndarray:
        """``a`` cut at ``bounds``, ``reps[j]`` after segment ``j``."""
        parts = []
        for j, rep in enumerate(reps):
            parts += [a[bounds[j]:bounds[j + 1]], np.asarray(rep).astype(a.dtype)]
        parts.append(a[bounds[-2]:bounds[-1]])
        return np.concatenate(parts)

    def r_of(st):
        return np.arange(1, st.count + 1, dtype=np.int64)

    # ---------------------------------------------------------------- tensors
    sp, sd = c.shape_ptr, c.shape_dims
    rep_dims = []
    for st in sts:
        dT = st.t1 - st.t0
        tmpl_dims, prev_dims = sd[sp[st.t0]:sp[st.t1]], sd[sp[st.t0 - dT]:sp[st.t0]]
        if len(prev_dims) != len(tmpl_dims):
            raise AssertionError("llm: a replicated decode step differs from the one before it")
        rep_dims.append((tmpl_dims[None, :] + r_of(st)[:, None] * (tmpl_dims - prev_dims)[None, :]).ravel())
    shape_dims = splice(sd, rep_dims, [sp[t] for t in tb])
    tlen = np.diff(sp)
    tlen = splice(tlen, [np.tile(tlen[st.t0:st.t1], st.count) for st in sts], tb)
    shape_ptr = np.concatenate([sp[:1], sp[0] + np.cumsum(tlen)])
    tensor_dtype = splice(c.tensor_dtype, [np.tile(c.tensor_dtype[st.t0:st.t1], st.count) for st in sts], tb)
    tensor_role = splice(c.tensor_role, [np.tile(c.tensor_role[st.t0:st.t1], st.count) for st in sts], tb)

    def names(table: StringTable, bounds, lo, hi, what: str) -> StringTable:
        old, out = table.tolist(), []
        for j, st in enumerate(sts):
            out += old[bounds[j]:bounds[j + 1]]
            tmpl = old[lo(st):hi(st)]
            out += [n for k in range(1, st.count + 1) for n in _rename(tmpl, st.it, k)]
        out += old[bounds[-2]:]
        return StringTable.from_list(out, what)

    tensor_names = names(c.tensor_names, tb, lambda st: st.t0, lambda st: st.t1, "tensor")
    op_names = names(c.op_names, ob, lambda st: st.o0, lambda st: st.o1, "op")

    # ---------------------------------------------------------------- ops
    def op_col(a: np.ndarray, moves: bool) -> np.ndarray:
        """An op column with the replicas spliced in (``moves``: by r x the step's change)."""
        reps = []
        for st in sts:
            o0, o1 = st.o0, st.o1
            tm = a[o0:o1]
            if moves:
                reps.append((tm[None, :] + r_of(st)[:, None] * (tm - a[2 * o0 - o1:o0])[None, :]).ravel())
            else:
                reps.append(np.tile(tm, st.count))
        return splice(a, reps, ob)

    def replica_ids(ids: np.ndarray, j: int) -> np.ndarray:
        """Stretch ``j``'s template ids in each of its replicas (``-1``: none, kept)."""
        st = sts[j]
        dT = st.t1 - st.t0
        own = np.where(ids >= st.t0 - dT, dT, 0)[None, :] * r_of(st)[:, None]
        rep = (ids[None, :] + own + moved_by[np.minimum(np.searchsorted(t0s, ids, side="right"), j)][None, :])
        return np.where(ids[None, :] >= 0, rep, -1).ravel()

    def csr(ptr: np.ndarray, ids: np.ndarray):
        flat = []
        for s in range(len(ob) - 1):
            flat.append(later(ids[ptr[ob[s]]:ptr[ob[s + 1]]], s))
            if s < len(sts):
                flat.append(replica_ids(ids[ptr[sts[s].o0]:ptr[sts[s].o1]], s))
        cnt = np.diff(ptr)
        counts = splice(cnt, [np.tile(cnt[st.o0:st.o1], st.count) for st in sts], ob)
        new_ptr = np.zeros(len(counts) + 1, dtype=np.int64)
        np.cumsum(counts, out=new_ptr[1:])
        return new_ptr, np.concatenate(flat).astype(np.int64)

    in_ptr, in_ids = csr(c.in_ptr, c.in_ids)
    out_ptr, out_ids = csr(c.out_ptr, c.out_ids)
    w, parts = c.weight, []
    for s in range(len(ob) - 1):
        seg = w[ob[s]:ob[s + 1]]
        parts.append(np.where(seg >= 0, later(seg, s), -1))
        if s < len(sts):
            parts.append(replica_ids(w[sts[s].o0:sts[s].o1], s))
    weight = np.concatenate(parts).astype(np.int64)

    tg = c.tags
    columns = {}
    for st in sts:
        o0, dO = st.o0, st.o1 - st.o0
        if not np.array_equal(tg.order_code[o0:st.o1], tg.order_code[o0 - dO:o0]):
            raise AssertionError("llm: a replicated decode step's tags differ from the step before")
        for key, col in tg.columns.items():
            if col[0] != "int" and not np.array_equal(col[1][o0:st.o1], col[1][o0 - dO:o0]):
                raise AssertionError(f"llm: tag '{key}' changes between replicated decode steps")
    for key, col in tg.columns.items():
        if col[0] == "int":
            columns[key] = ("int", op_col(col[1], True))
        else:
            columns[key] = ("json", op_col(col[1], False), col[2])
    tags = TagColumns(op_col(tg.order_code, False), tg.orders, columns)
    gm = c.generic_macs
    return WorkloadColumns(
        tensor_names=tensor_names, shape_ptr=shape_ptr.astype(np.int64),
        shape_dims=shape_dims.astype(np.int64), tensor_dtype=tensor_dtype, tensor_role=tensor_role,
        op_names=op_names, kind=op_col(c.kind, False), in_ptr=in_ptr, in_ids=in_ids,
        out_ptr=out_ptr, out_ids=out_ids, m=op_col(c.m, True), k=op_col(c.k, True),
        n=op_col(c.n, True), batch=op_col(c.batch, True), weight=weight, fn=op_col(c.fn, False),
        fn_vocab=c.fn_vocab, ops_per_element=op_col(c.ops_per_element, False), tags=tags,
        generic_macs=op_col(gm, False) if gm is not None else None,
    )


#: op kinds that cross a link: a CUDA graph keeps their latency (:func:`graph_decode`)
COLLECTIVES = ("allreduce", "allgather", "sendrecv")


def graph_decode(c: WorkloadColumns, step_kind: list[str], step_end: list[int]) -> WorkloadColumns:
    """Each decode step's ops (iteration ``i`` ends at op ``step_end[i]``, program order) made
    one kernel launch (tag ``launch``, a new integer per step, replacing the step's own
    launches): a CUDA graph replayed per step, as vLLM and TensorRT-LLM run decode, pays one
    dispatch and one access latency a step (split at unit boundaries as any launch group);
    prefills keep their launches (eager). The collectives (all-reduce, all-gather, a pipeline's
    send/recv) stay out of the step's group (find-E 2, 3): each keeps its own latency (its
    steps x the link's latency, its ``op_overhead``), which a graph replay does not remove, and
    the group is not split at them (vLLM and TensorRT-LLM capture the all-reduce in the graph):
    a tensor-parallel step is one launch on the GPU, as a single device's."""
    n = len(c.kind)
    step_of = np.full(n, -1, dtype=np.int64)
    start = 0
    for i, (kind, end) in enumerate(zip(step_kind, step_end)):
        if kind == "decode":
            step_of[start:end + 1] = i
        start = end + 1
    dec = (step_of >= 0) & ~np.isin(c.kind, [KIND_CODES[k] for k in COLLECTIVES])
    if not dec.any():
        return c
    t = c.tags
    cols = dict(t.columns)
    old = cols.get("launch")
    if old is not None and old[0] == "json":  # never from the generator: launches are integers
        raise AssertionError("graph_decode: a 'launch' tag column of JSON values")
    values = old[1].copy() if old is not None else np.zeros(n, dtype=np.int64)
    base = int(values.max()) + 1 if old is not None else 0
    values[dec] = base + step_of[dec]
    cols["launch"] = ("int", values)
    orders, codes = list(t.orders), t.order_code.copy()
    for code in np.unique(codes[dec]).tolist():
        if "launch" not in orders[code]:
            orders.append((*orders[code], "launch"))
            codes[dec & (t.order_code == code)] = len(orders) - 1
    return replace(c, tags=TagColumns(codes, orders, cols))
