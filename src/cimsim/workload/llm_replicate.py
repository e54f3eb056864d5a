"""Fast assembly of long decode stretches for :mod:`cimsim.workload.llm`.

Decode steps that follow one another with the same running requests (and no admission) have
the same ops in the same order; only the cache lengths grow by one token a step. The
generator builds the first three steps of such a stretch op by op and records the rest as
*replicas* of the third; :func:`insert_replicas` then writes them into the columns with NumPy:
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

from dataclasses import dataclass

import numpy as np

from .columns import StringTable, TagColumns
from .ir import WorkloadColumns


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
    """The columns ``c`` with every stretch's replicas inserted after its template."""
    for st in sorted(stretches, key=lambda s: s.o1, reverse=True):
        if st.count:
            c = _insert(c, st)
    return c


def _insert(c: WorkloadColumns, st: Stretch) -> WorkloadColumns:
    o0, o1, t0, t1, n = st.o0, st.o1, st.t0, st.t1, st.count
    dO, dT = o1 - o0, t1 - t0
    tp = t0 - dT  # first tensor of the step before the template
    r = np.arange(1, n + 1, dtype=np.int64)

    def shift_ids(ids: np.ndarray, k) -> np.ndarray:
        return np.where(ids >= tp, ids + k * dT, ids)

    # ---------------------------------------------------------------- tensors
    sp, sd = c.shape_ptr, c.shape_dims
    tmpl_dims = sd[sp[t0]:sp[t1]]
    prev_dims = sd[sp[tp]:sp[t0]]
    if len(prev_dims) != len(tmpl_dims):
        raise AssertionError("llm: a replicated decode step differs from the one before it")
    rep_dims = (tmpl_dims[None, :] + r[:, None] * (tmpl_dims - prev_dims)[None, :]).ravel()
    tlen = np.diff(sp[t0:t1 + 1])
    new_sp_tail = np.concatenate([[0], np.cumsum(np.tile(tlen, n))])
    shape_ptr = np.concatenate([sp[:t1 + 1], sp[t1] + new_sp_tail[1:],
                                sp[t1 + 1:] + len(rep_dims)])
    shape_dims = np.concatenate([sd[:sp[t1]], rep_dims, sd[sp[t1]:]])
    tnames = c.tensor_names.tolist()
    tmpl_tn = tnames[t0:t1]
    rep_tn = [s for k in range(1, n + 1) for s in _rename(tmpl_tn, st.it, k)]
    tensor_names = StringTable.from_list(tnames[:t1] + rep_tn + tnames[t1:], "tensor")
    tensor_dtype = np.concatenate([c.tensor_dtype[:t1], np.tile(c.tensor_dtype[t0:t1], n),
                                   c.tensor_dtype[t1:]])
    tensor_role = np.concatenate([c.tensor_role[:t1], np.tile(c.tensor_role[t0:t1], n),
                                  c.tensor_role[t1:]])

    # ---------------------------------------------------------------- ops
    def op_col(a: np.ndarray, moves: bool) -> np.ndarray:
        """An op column with the replicas spliced in (``moves``: by r x the step's change)."""
        tm = a[o0:o1]
        if moves:
            rep = (tm[None, :] + r[:, None] * (tm - a[o0 - dO:o0])[None, :]).ravel()
        else:
            rep = np.tile(tm, n)
        return np.concatenate([a[:o1], rep.astype(a.dtype), a[o1:]])

    def later(ids: np.ndarray) -> np.ndarray:
        """Ids named by ops after the stretch: the template's and later tensors move."""
        return np.where(ids >= t0, ids + n * dT, ids)

    def csr(ptr: np.ndarray, ids: np.ndarray):
        cnt = np.diff(ptr[o0:o1 + 1])
        tm = ids[ptr[o0]:ptr[o1]]
        rep = np.concatenate([shift_ids(tm, int(k)) for k in r])
        flat = np.concatenate([ids[:ptr[o1]], rep, later(ids[ptr[o1]:])])
        counts = np.concatenate([np.diff(ptr[:o1 + 1]), np.tile(cnt, n), np.diff(ptr[o1:])])
        new_ptr = np.zeros(len(counts) + 1, dtype=np.int64)
        np.cumsum(counts, out=new_ptr[1:])
        return new_ptr, flat.astype(np.int64)

    in_ptr, in_ids = csr(c.in_ptr, c.in_ids)
    out_ptr, out_ids = csr(c.out_ptr, c.out_ids)
    w = c.weight
    w_rep = np.concatenate([np.where(w[o0:o1] >= 0, shift_ids(w[o0:o1], int(k)), -1) for k in r])
    weight = np.concatenate([w[:o1], w_rep, np.where(w[o1:] >= 0, later(w[o1:]), -1)]).astype(np.int64)
    onames = c.op_names.tolist()
    tmpl_on = onames[o0:o1]
    rep_on = [s for k in range(1, n + 1) for s in _rename(tmpl_on, st.it, k)]
    op_names = StringTable.from_list(onames[:o1] + rep_on + onames[o1:], "op")

    tg = c.tags
    if not np.array_equal(tg.order_code[o0:o1], tg.order_code[o0 - dO:o0]):
        raise AssertionError("llm: a replicated decode step's tags differ from the step before")
    columns = {}
    for key, col in tg.columns.items():
        if col[0] == "int":
            columns[key] = ("int", op_col(col[1], True))
        else:
            if not np.array_equal(col[1][o0:o1], col[1][o0 - dO:o0]):
                raise AssertionError(f"llm: tag '{key}' changes between replicated decode steps")
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
