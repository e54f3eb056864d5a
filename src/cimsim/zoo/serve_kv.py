"""KV-cache appends of a traced serving run (:mod:`cimsim.zoo.serve`): which traced ops make the
K and V rows each iteration appends to the cache, and the bytes of one token's rows, so that
they carry ``store_bytes`` as the generator's ``qkv`` ops do (:mod:`cimsim.workload.llm`): the
writes to the backing store (rwsplit) and the rows the capacity check counts as a prefill fills
its caches layer by layer (:mod:`cimsim.workload.footprint`).
"""

from __future__ import annotations

from ..dtypes import DTYPE_BYTES

#: what ``metadata['kv_appends']`` says when the rows could not be told
_NOT = ("not stated: {why} (no KV write traffic; the capacity check holds the next decode "
        "step's caches from a prefill's first op)")


def _numel(shape) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


def kv_row_bytes(t) -> dict[str, int]:
    """The weight matmuls whose outputs a decode step appends to its KV cache, with the bytes
    of one token's rows each makes (batch 1): HF's cache concatenation ``cat(cache, new row)``,
    the op the tracer tags ``store_bytes`` (the cache a model returns outlives the step), names
    the new row; the matmul is found walking back from it through its makers inside the same
    attention module (Llama: ``k_proj`` through RoPE, ``v_proj``; GPT-2: ``c_attn`` for both),
    as the generator's ``qkv`` op states its K and V rows. The concatenation is folded into the
    attention (:func:`.serve_attention._fold_cache`) and keeps no ``store_bytes`` (it would charge the whole
    grown cache each step, where the cache written is the new rows)."""
    maker = {i: o for o, op in enumerate(t.ops) for i in op[3]}
    rows: dict[str, int] = {}
    cats = []
    for op in t.ops:
        if op[1] != "copy" or "store_bytes" not in op[9] or len(op[2]) != 2:
            continue
        cache, new = op[2]
        if t.roles[cache] != "input" or t.roles[new] == "input":
            continue
        scope = op[0].rsplit(".", 1)[0] + "."
        found, todo, seen = [], [new], set()
        while todo:
            i = todo.pop()
            o = maker.get(i)
            if o is None or o in seen or not t.ops[o][0].startswith(scope):
                continue
            seen.add(o)
            if t.ops[o][1] == "matmul" and t.ops[o][6] is not None and t.shared[t.ops[o][6]]:
                found.append(t.ops[o][0])
            else:
                todo.extend(t.ops[o][2])
        if len(found) != 1:
            return {}  # not one projection: none stated (the capacity check's upper bound)
        cats.append(op)
        rows[found[0]] = rows.get(found[0], 0) + _numel(t.shapes[new]) * DTYPE_BYTES[t.dtypes[new]]
    for op in cats:
        del op[9]["store_bytes"]
    return rows


def checked_kv_rows(rows: dict, kv_t, prefills) -> tuple[dict, str]:
    """``(rows, note)``: the decode step's projections (``rows``, from :func:`kv_row_bytes` on
    the decode template ``kv_t``) kept when every prefill template has each of them over its
    ``base`` tokens (``m x batch`` = ``base`` x the decode step's: a row per prompt token), else
    none; the note is ``metadata['kv_appends']``."""
    if not rows:
        return {}, _NOT.format(why="no K/V projection found behind the model's cache "
                                   "concatenation")
    def rows_of(tm) -> dict:
        out: dict = {}
        for op in tm.ops:
            if op[0] in rows:
                out.setdefault(op[0], []).append(op[4][0] * op[4][3])
        return out

    one = rows_of(kv_t)
    for tm in prefills:
        got = rows_of(tm)
        for oname in rows:
            if len(got.get(oname, ())) != 1 or got[oname] != [x * tm.base for x in one[oname]]:
                return {}, _NOT.format(why=f"the traced prefill has no projection {oname} over "
                                           f"its {tm.base} tokens as the decode step has")
    return rows, ("store_bytes on the projections that make the K and V rows each iteration "
                  "appends (a row per prompt token, one per running request a decode step); "
                  f"{len(rows)} projections, {sum(rows.values())} B a token in all")


def check_serve_options(overrides, prompts, own) -> None:
    """A serving run's config overrides name no option it sets itself (``own``), and every prompt
    has 2 tokens at least: the prefill is fitted through traces at 8, 12 and 16 tokens, and at 1
    the fit's smallest dimension is 0 (``cimsim workload llm`` takes a 1-token prompt)."""
    from ..errors import WorkloadError

    bad = [k for k in overrides if k in own]
    if bad:
        raise WorkloadError(f"--serve sets {', '.join(bad)} itself (use --prompt, --decode, --batch)")
    if min(prompts) < 2:
        raise WorkloadError(f"--prompt {min(prompts)}: trace --serve fits its prefills through "
                            "traces at 8, 12 and 16 tokens and needs prompts of 2 tokens at least "
                            "(cimsim workload llm generates a 1-token prompt)")

