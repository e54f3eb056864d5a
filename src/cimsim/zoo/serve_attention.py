"""How a traced serving run's attention reads and keeps its data (:mod:`cimsim.zoo.serve`):
the KV cache read in place by the decode step's matmuls (:func:`_fold_cache`), and the
FlashAttention kernel (:func:`fuse_attention`; ``attention_kernel="fused"``, as
:mod:`cimsim.workload.llm_attention` describes it for the generator). Both take and return a
``serve._Template``.
"""

from __future__ import annotations

import math

from ..workload.llm_attention import kernel_tags


def _fold_cache(t):
    """The decode template with each KV cache read in place by its attention matmul, as serving
    kernels (paged / flash attention) read it: the cache concatenation ``cat(cache, new row)``
    becomes the cache after this step's append (a model input of ``c + 1`` tokens, named as the
    cache), and single-input per-element passes between it and the matmul (SDPA's scaling of K,
    the expansion of V to every query head of its group) fold into the matmul. A matmul whose
    operand shrinks by the group size ``g`` then takes the query heads of a group as rows
    (``batch / g``, ``m x g``: the same MACs, each KV head read once)."""
    numel = [math.prod(s) for s in t.shapes]
    readers: dict[int, list[int]] = {}
    for o, op in enumerate(t.ops):
        for i in op[2]:
            readers.setdefault(i, []).append(o)
    drop: set[int] = set()
    subst: dict[int, int] = {}  # tensor -> the grown cache read instead
    regroup: dict[int, int] = {}  # matmul -> its group size
    caches = [i for i, (r, d) in enumerate(zip(t.roles, t.dshapes)) if r == "input" and any(d)]
    for c in caches:
        rs = readers.get(c, [])
        if len(rs) != 1 or t.ops[rs[0]][1] != "copy" or t.ops[rs[0]][2][0] != c \
                or len(t.ops[rs[0]][3]) != 1:
            continue
        cat = rs[0]
        x = t.ops[cat][3][0]
        chain, cur = [], x
        while True:  # per-element passes up to the one matmul that reads them
            rs = readers.get(cur, [])
            if len(rs) != 1:
                break
            nxt = t.ops[rs[0]]
            if nxt[1] == "matmul":
                mm = rs[0]
                a, b_ = nxt[2]
                m_, k_, n_, bt = nxt[4]
                g = (bt * k_ * n_) // numel[x] if cur == b_ and numel[x] else 0
                if g >= 1 and g * numel[x] == bt * k_ * n_ and bt % g == 0 and nxt[5][3] == 0:
                    drop.add(cat)
                    drop.update(chain)
                    subst[cur] = x
                    if g > 1:
                        regroup[mm] = g
                    t.roles[x] = "input"
                    t.names[x] = t.names[c]
                break
            if nxt[1] not in ("elementwise", "copy") or len(nxt[2]) != 1 or len(nxt[3]) != 1:
                break
            chain.append(rs[0])
            cur = nxt[3][0]
    if not drop:
        return t
    ops, own = [], []
    for o, (op, mine) in enumerate(zip(t.ops, t.own)):
        if o in drop:
            continue
        ins = [subst.get(i, i) for i in op[2]]
        dims, dd = op[4], op[5]
        if o in regroup:
            g = regroup[o]
            dims = (dims[0] * g, dims[1], dims[2], dims[3] // g)
            dd = (dd[0] * g, dd[1], dd[2], dd[3] // g)
        ops.append((op[0], op[1], ins, op[3], dims, dd, *op[6:]))
        own.append(mine)
    t.ops, t.own = ops, own
    t.folded = len(drop)
    return t._split()


def fuse_attention(t):
    """The template ``t`` with each attention run as one fused kernel (FlashAttention): a
    matmul without a weight (``q . K^T``) whose output passes through per-element ops, a
    softmax among them, each the only reader of the one before, into the first operand of
    another matmul without a weight (``p . V``). Those ops but the last keep their outputs on
    chip (tag ``on_chip``: the scores, the mask's sum, the probabilities move no bytes) and
    the chain is one kernel launch (``t.kernel``: op -> the launch it shares, the context
    matmul's). Their MACs and vector work are unchanged. Other ops (the mask's own making,
    RoPE) are left as traced."""
    readers: dict[int, list[int]] = {}
    for o, op in enumerate(t.ops):
        for i in op[2]:
            readers.setdefault(i, []).append(o)

    def weightless(op) -> bool:
        return op[1] == "matmul" and op[6] is None and all(t.roles[i] != "weight" for i in op[2])
    ops = list(t.ops)
    for x, op in enumerate(t.ops):
        if not weightless(op) or len(op[3]) != 1:
            continue
        chain, cur, soft = [x], op[3][0], False
        while len(readers.get(cur, [])) == 1:
            o = readers[cur][0]
            nxt = t.ops[o]
            if weightless(nxt):
                if soft and nxt[2][0] == cur:  # p . V: the kernel's last op
                    for c in chain:
                        part = "scores" if c == x else "softmax"
                        ops[c] = (*ops[c][:9], {**ops[c][9], "on_chip": kernel_tags("fused", part, 0)["on_chip"]},
                                  *ops[c][10:])
                        t.kernel[c] = ops[o][0]
                    t.kernel[o] = ops[o][0]
                break
            if nxt[1] not in ("elementwise", "softmax", "copy") or len(nxt[3]) != 1:
                break
            soft |= nxt[1] == "softmax"
            chain.append(o)
            cur = nxt[3][0]
    t.ops = ops
    return t
