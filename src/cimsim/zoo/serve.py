"""A serving run traced from a Hugging Face decoder (``cimsim trace --zoo hf:TYPE --serve``).

:func:`trace_serving` gives the run :func:`cimsim.workload.llm.llm_serving` generates (the same
iterations, in the same order: :func:`cimsim.workload.llm.schedule`), with each iteration's ops
taken from the transformers model itself, built from its config on fake tensors (no weights
downloaded or materialised) and traced by :func:`cimsim.workload.trace.trace`:

1. **Templates.** A request's prefill is traced at batch 1 (with ``logits_to_keep=1``: the LM
   head on the last token, as serving engines run it) at prompts of 8, 12 and 16 tokens; every
   dimension is a polynomial of degree at most 2 in the prompt (``P``; ``P x P`` where a score
   tensor is flattened), so the three give the prefill at any prompt length exactly. The decode
   step is traced at batch 1 against caches of 8 and 9 tokens; every dimension is affine in the
   cached tokens (the cache, its concatenation with the new row, the scores over ``c + 1`` keys):
   ``dim(c) = dim(8) + (c - 8) x (dim(9) - dim(8))``. Five small traces (a 7B model's prefill
   traces in minutes at 1,024 tokens, seconds at 16).
2. **A request's own ops.** A decode op whose dimensions or tensors change with the cache
   length reads that request's cache (attention, the cache concatenation, the mask); a prefill
   op whose sizes grow faster than the prompt (ratios other than 1 or 2 between ``P`` and
   ``2P``) mixes its tokens (scores, softmax, context, causal mask). These stay one op per
   request at its own length, the requests' copies one kernel launch (tag ``launch``).
3. **Batched ops.** Every other op (weight matmuls, norms, RoPE, activations, LM head) works row
   by row: the requests of an iteration share one op over their rows (``m`` summed), reading
   each weight once, as :func:`llm_serving` does. An own op's tensors are one per request (a
   batched matmul fed by them gathers them first, as the generator gathers the attention's
   context rows); the others are one per iteration; weights are shared.
4. **The cache read in place** (:func:`.serve_attention._fold_cache`). HF's eager attention concatenates the
   cache with the new row (a copy), scales K and expands V to every query head of its group
   before the matmuls; serving kernels (paged / flash attention) read K and V from the cache
   once. The concatenation becomes the cache after this step's append (a model input of
   ``L = c + 1`` tokens, as the generator's), the per-element passes fold into the matmuls, and
   a matmul whose operand shrank by the group size ``g`` takes a KV head's ``g`` query heads as
   rows. So PIM units that claim attention over the KV cache (``pim.claims: [kv_cache]``) claim
   the traced attention too.
5. **Chaining.** A ``sample`` op (argmax over each request's logits) ends each iteration; a
   decode step's token ids are the previous iteration's samples, and a prefill's first ops read
   them too (:class:`~cimsim.workload.llm_schedule.AdmissionGate`), so iterations run in order.
6. **KV appends** (:mod:`.serve_kv`). The K/V projections carry ``store_bytes``, the rows
   they append (as the generator's ``qkv`` ops); ``metadata['kv_appends']`` says so.
7. **Long runs.** Identical decode steps are written from the third with NumPy
   (:func:`cimsim.workload.llm_replicate.insert_replicas`), as by the generator.

What matches ``cimsim workload llm`` for the same model and options (held by the tests): every
iteration's MACs, the weight bytes the matmuls read, and the KV cache read per layer per step
(``2 L H_kv d_h`` elements, ``L`` the cached tokens and the step's own row). What differs is
what the model really does besides: RoPE, norm gains, biases, the embedding rows, HF's kernels.

``tensor_parallel=N``: the config sharded as :func:`cimsim.workload.llm.shard` splits it
(heads, KV heads, FFN, vocabulary; ``head_dim`` kept), checked against the share's closed-form
MACs; an ``allreduce`` after every row-parallel matmul (found by tracing the full model too:
its reduction dimension shrinks, its output does not) and on the sampled token, as the
generator writes them. ``pipeline_parallel=P``: :mod:`.serve_parallel`.
"""

from __future__ import annotations

import json
import inspect
import math
import time
from dataclasses import dataclass, field

from ..errors import WorkloadError
from ..workload.depth import CHAIN_IO_MAX
from ..workload.ir import Workload, WorkloadBuilder
from ..workload.llm import check_positions, lengths_tag, one_micro_batch, serving_options
from ..workload.llm_options import check_padded, context_note
from ..workload.llm_replicate import Stretch, insert_replicas, third_step_repeats
from ..workload.llm_schedule import AdmissionGate, computed_decode, counted, schedule
from .hf import serving_entries
from .hf_positions import _check_positions, position_limit
from .hf_multimodal import no_serving_head
from .latent import latent_metadata, serving_shape
from .serve_attention import _fold_cache, fuse_attention
from .serve_kv import check_serve_options, checked_kv_rows, kv_row_bytes
from .serve_parallel import _check_shard, _row_parallel, _shard_overrides, _stages
from .serve_unread import served_unread

_SERVE_OWN = ("seq", "cache", "batch")
#: prompt lengths the prefill is traced at (the first and last: 1 x and 2 x, for the
#: classification), and the cache length the decode step is traced at (and one more)
_PRE = (8, 12, 16)
_DEC = 8


@dataclass
class _Template:
    """A traced batch-1 pass: tensors and ops (tensors by index), dimensions affine in the
    cached tokens (``d*`` the change per token; zero for a prefill), ``own``: the op is a
    request's own (attention over its tokens or cache)."""

    base: int
    names: list[str]
    shapes: list[tuple]
    dshapes: list[tuple]
    dtypes: list[str]
    roles: list[str]
    ops: list  # (name, kind, ins, outs, dims, ddims, weight, fn, ope, tags, generic_macs)
    own: list[bool]
    ids: int  # the input_ids tensor
    logits: int  # the LM head's output
    shared: list[bool] = field(default_factory=list)  # weights: one tensor for all requests
    split: list[bool] = field(default_factory=list)  # one tensor per request (an own op's)
    folded: int = 0  # ops folded into the attention matmuls (:func:`_fold_cache`)
    kernel: dict = field(default_factory=dict)  # op -> the fused attention it is a launch of
    reduce_after: set = field(default_factory=set)  # row-parallel matmuls (tensor parallelism)
    stage: list = field(default_factory=list)  # pipeline stage of each op (:func:`_stages`)
    boundary: dict = field(default_factory=dict)  # op -> the hidden state sent before it

    def _split(self) -> "_Template":
        """Tensors an own op reads or writes are one per request; the rest one per iteration."""
        self.split = [False] * len(self.names)
        for op, mine in zip(self.ops, self.own):
            if mine:
                for i in (*op[2], *op[3]):
                    self.split[i] = not self.shared[i]
        return self


def _entries(name: str, overrides: dict) -> tuple[str, str]:
    """(prefill entry, decode entry) of a zoo name: ``hf:...`` takes ``seq`` and ``cache``; a
    registered decoder ``NAME`` takes ``seq`` and ``NAME-decode`` takes ``cache``."""
    from .registry import ZOO

    if name.startswith("hf:"):  # an encoder-only config is refused saying why
        return serving_entries(name, overrides)
    base = name.removesuffix("-decode")
    if base in ZOO and f"{base}-decode" in ZOO and ZOO[base].family == "hf-decoder":
        return base, f"{base}-decode"
    decoders = [n for n, e in ZOO.items() if e.family == "hf-decoder" and not n.endswith("-decode")]
    raise WorkloadError(f"--serve needs a Hugging Face decoder: hf:MODEL_TYPE (e.g. hf:llama), "
                        f"hf:PATH.json or one of {', '.join(decoders)}; got '{name}'")


def _trace(entry: str, dtype: str, overrides: dict, **length):
    from ..workload.trace import trace
    from .registry import build

    zm = build(entry, internal=length, **overrides)
    kwargs = dict(zm.kwargs)
    if "seq" in length:  # the prefill: the LM head on the last token only
        try:
            params = inspect.signature(zm.model.forward).parameters
        except (TypeError, ValueError):
            params = {}
        if "logits_to_keep" not in params:  # no LM head, or an old transformers: said which
            raise WorkloadError(no_serving_head(entry, zm.model))
        kwargs["logits_to_keep"] = 1
    from ..workload.trace.common import quiet_batch

    with quiet_batch():  # a serving step's batch is the serving run's
        return trace(zm.model, zm.args, name=entry, dtype=dtype, example_kwargs=kwargs), zm


def _template(wa: Workload, wb: Workload, what: str, decode: bool, base: int) -> _Template:
    """The template of ``wa`` (at ``base``), classified against ``wb`` (decode: at ``base + 1``;
    prefill: at ``2 base``)."""
    ta, tb = list(wa.tensors.values()), list(wb.tensors.values())
    oa, ob = list(wa.ops), list(wb.ops)
    if [o.name for o in oa] != [o.name for o in ob] or [t.name for t in ta] != [t.name for t in tb] \
            or any(len(x.shape) != len(y.shape) for x, y in zip(ta, tb)):
        raise WorkloadError(f"{wa.name}: the traced {what} has other ops at another length "
                            f"({len(oa)} vs {len(ob)}); --serve needs one structure per phase")
    index = {t.name: i for i, t in enumerate(ta)}
    numel_a = [t.numel for t in ta]
    numel_b = [t.numel for t in tb]
    if decode:
        dshapes = [tuple(y - x for x, y in zip(s.shape, t.shape)) for s, t in zip(ta, tb)]
    else:
        dshapes = [(0,) * len(t.shape) for t in ta]
    ops, own = [], []
    for a, b in zip(oa, ob):
        ins = [index[t] for t in a.inputs]
        outs = [index[t] for t in a.outputs]
        da = (a.m, a.k, a.n, a.batch)
        db = (b.m, b.k, b.n, b.batch)
        if decode:
            mine = da != db or any(dshapes[i] != (0,) * len(dshapes[i]) for i in ins + outs)
            dd = tuple(y - x for x, y in zip(da, db))
        else:  # grows faster than the prompt: mixes its tokens
            sizes = [(numel_a[i], numel_b[i]) for i in ins + outs] + [(a.macs, b.macs)]
            mine = any(y not in (x, 2 * x) for x, y in sizes)
            dd = (0, 0, 0, 0)
        ops.append((a.name, a.kind, ins, outs, da, dd, None if a.weight is None else index[a.weight],
                    a.fn, a.ops_per_element, dict(a.tags), a.generic_macs))
        own.append(mine)
    ids = index.get("input_ids")
    if ids is None or ta[ids].role != "input":
        raise WorkloadError(f"{wa.name}: the traced {what} has no input 'input_ids'")
    head = len(oa) - 1  # the LM head, then per-element ops on its logits at most (BERT's bias)
    while head > 0 and oa[head].kind == "elementwise" and oa[head - 1].outputs[0] in oa[head].inputs:
        head -= 1
    if oa[head].kind != "matmul" or oa[head].weight is None:
        raise WorkloadError(f"{wa.name}: the traced {what} does not end with the LM head (a weight's "
                            f"matmul, then per-element ops at most): it ends with '{oa[-1].name}'")
    last = oa[-1]
    shared = [t.role == "weight" and not t.name.endswith("[part]") for t in ta]
    return _Template(base, [t.name for t in ta], [tuple(t.shape) for t in ta], dshapes,
                     [t.dtype for t in ta], [t.role for t in ta], ops, own, ids,
                     index[last.outputs[0]], shared)._split()


def _interp(ys: tuple[int, int, int], x: int) -> int:
    """The polynomial of degree <= 2 through (_PRE[i], ys[i]) at ``x`` (exact, integer)."""
    (x0, x1, x2), (y0, y1, y2) = _PRE, ys
    num = (y0 * (x - x1) * (x - x2) * (x1 - x2) - y1 * (x - x0) * (x - x2) * (x0 - x2)
           + y2 * (x - x0) * (x - x1) * (x0 - x1))
    den = (x0 - x1) * (x0 - x2) * (x1 - x2)
    if num % den:
        raise WorkloadError(f"a traced prefill dimension {ys} at prompts {_PRE} is not a "
                            "polynomial of the prompt length (--serve cannot scale it)")
    return num // den


def _at(samples: list[_Template], own: list[bool], p: int) -> _Template:
    """The prefill template at a prompt of ``p`` tokens from the three traced samples."""
    t0 = samples[0]
    shapes = [tuple(_interp(ys, p) for ys in zip(*(t.shapes[i] for t in samples)))
              for i in range(len(t0.names))]
    ops = []
    for o, op in enumerate(t0.ops):
        dims = tuple(_interp(ys, p) for ys in zip(*(t.ops[o][4] for t in samples)))
        ops.append((*op[:4], dims, (0, 0, 0, 0), *op[6:]))
    t = _Template(p, t0.names, shapes, t0.dshapes, t0.dtypes, t0.roles, ops, list(own), t0.ids,
                  t0.logits, t0.shared)
    return t._split()


def merged_chains(tags: dict, ins: list[list[int]], outs: list[list[int]]) -> dict:
    """The chain tags of a batched op standing for the requests' copies of one template op
    with ``tags``: ``ins[a]`` / ``outs[b]`` the tensors standing for its input ``a`` / output
    ``b``, one per request (in the order of the parts) or one for all. ``chain_in`` per
    distinct input the most over the template inputs it stands for, ``chain_out`` per output;
    ``chain_io`` (where the template states it) per pair the most over those inputs, ``None``
    between two requests' own tensors (the op works row by row: one request's rows never reach
    another's), dropped over :data:`CHAIN_IO_MAX` pairs (then tag ``chain_io_omitted``)."""
    if "chain_in" not in tags and "chain_out" not in tags:
        return tags
    c = tags.get("chain_ops", 1)
    c_in, c_out = tags.get("chain_in") or [c] * len(ins), tags.get("chain_out") or [c] * len(outs)
    chain_in: dict[int, float] = {}
    src: dict[int, list[tuple[int, int | None]]] = {}  # input -> (template input, its request)
    for a, ids in enumerate(ins):
        for j, x in enumerate(ids):
            chain_in[x] = max(chain_in.get(x, 0), c_in[a])
            src.setdefault(x, []).append((a, j if len(ids) > 1 else None))
    ob = [(b, j if len(ids) > 1 else None) for b, ids in enumerate(outs) for j, _ in enumerate(ids)]
    out = {**tags, "chain_in": list(chain_in.values()), "chain_out": [c_out[b] for b, _ in ob]}
    io = out.pop("chain_io", None)
    if io is not None and len(chain_in) * len(ob) > CHAIN_IO_MAX:
        out["chain_io_omitted"] = len(chain_in) * len(ob)
    elif io is not None:
        out["chain_io"] = [[max((io[a][b] for a, j in src[x] if io[a][b] is not None and
                                 (j is None or r is None or j == r)), default=None) for b, r in ob]
                           for x in chain_in]
    return out


def _merge_shape(shapes: list[list[int]]) -> list[int]:
    """The shape of the requests' parts side by side: the first dimension times the parts when
    they are equal, else the one dimension that differs summed, else flat."""
    first = shapes[0]
    if all(s == first for s in shapes):
        return [first[0] * len(shapes), *first[1:]] if first else [len(shapes)]
    diff = [f for f in range(len(first)) if len({s[f] for s in shapes}) > 1]
    if len(diff) == 1 and all(len(s) == len(first) for s in shapes):
        return [sum(s[f] for s in shapes) if f == diff[0] else first[f] for f in range(len(first))]
    return [sum(math.prod(s) for s in shapes)]


def trace_serving(zoo_name: str, *, prompt, decode, batch: int = 1, requests: int | None = None,
                  batching: str = "static", attention: str = "per-request", sub_batches: int = 1,
                  tensor_parallel: int = 1, pipeline_parallel: int = 1, micro_batches: int = 1,
                  dtype: str = "fp16", name: str | None = None, replicate: bool = True,
                  attention_kernel: str = "unfused", **overrides) -> Workload:
    """The serving run of zoo model ``zoo_name`` (``hf:TYPE`` or a registered HF decoder) with
    the options of :func:`cimsim.workload.llm.llm_serving` (module docstring); ``overrides``:
    the model's config fields (e.g. ``num_hidden_layers=2``); ``attention_kernel="fused"``:
    :func:`.serve_attention.fuse_attention`."""
    P, D, requests = serving_options(prompt, decode, batch, requests, batching, attention,
                                     sub_batches, tensor_parallel, dtype, pipeline_parallel,
                                     micro_batches, attention_kernel)
    tp, pp, mb = tensor_parallel, pipeline_parallel, micro_batches
    full_batch = batch
    batch, requests, P, D = one_micro_batch(batch, requests, P, D, mb)
    Dc = computed_decode(D, batch, batching)  # the steps each row runs (static: its batch's longest)
    check_serve_options(overrides, P, _SERVE_OWN)
    if "seed" in overrides:  # hf:'s random weights' seed (zoo/hf.py): --serve traces shapes only
        raise WorkloadError(f"{zoo_name}: --param seed={overrides['seed']!r}: the seed draws random "
                            "weights, and --serve traces shapes only (fake tensors, no --real-weights): "
                            "the seed does not apply to --serve")
    pre_entry, dec_entry = _entries(zoo_name, overrides)
    t0, n_traces = time.perf_counter(), 0
    # ------------------------------------------------------------------ templates (item 1)
    wa, zm = _trace(pre_entry, dtype, overrides, seq=_PRE[0])
    # the requested lengths first, then (static batching) the rows padded to their batch's longest
    _check_positions(zm.model, zoo_name, max(p + d for p, d in zip(P, D)), "", "--prompt + --decode")
    full_cfg, full_overrides = zm.model.config.to_dict(), dict(overrides)
    shape, shape_params = serving_shape(full_cfg)  # MLA read without its latent (zoo/latent.py)
    check_positions(shape, P, D, "--serve")  # a sliding window, as workload llm
    past_context = context_note(shape, P, D, "--serve")  # past a rotary model's positions
    check_padded(P, D, Dc, position_limit(zm.model) or shape.positions, shape.window, "--serve",
                 shape.window_layers)
    n_layers = full_cfg.get("num_hidden_layers") or full_cfg.get("n_layer")
    if pp > 1 and (not isinstance(n_layers, int) or n_layers % pp):
        raise WorkloadError(f"--serve: pipeline_parallel={pp} must divide the model's layers "
                            f"({n_layers})")
    reduce_pre: set[str] = set()
    head: dict = {}  # the share's head_dim where the config class has none (Qwen2)
    if tp > 1:  # one device's share: the config sharded; the full trace finds the split points
        overrides, head = _shard_overrides(zm.model.config, overrides, tp)
        wfull = wa
        wa, zm = _trace(pre_entry, dtype, overrides, seq=_PRE[0], **head)
        n_traces += 1
        _check_shard(wa, full_cfg, tp, _PRE[0])
        reduce_pre = _row_parallel(wfull, wa)
    wm, _ = _trace(pre_entry, dtype, overrides, seq=_PRE[1], **head)
    wb, _ = _trace(pre_entry, dtype, overrides, seq=_PRE[2], **head)
    n_traces += 3
    samples = [_template(w_, wb if w_ is wa else wa, "prefill", False, x)
               for w_, x in ((wa, _PRE[0]), (wm, _PRE[1]), (wb, _PRE[2]))]
    own_pre = samples[0].own  # ratios between the traces at P and 2 P
    prefill = {p: _at(samples, own_pre, p) for p in sorted(set(P))}
    for t_ in prefill.values():
        t_.reduce_after = reduce_pre
    dec = None
    kv_rows: dict[str, int] = {}
    kv_t = None
    if any(D):
        da, _ = _trace(dec_entry, dtype, overrides, cache=_DEC, **head)
        db, _ = _trace(dec_entry, dtype, overrides, cache=_DEC + 1, **head)
        n_traces += 2
        dec = _template(da, db, "decode step", True, _DEC)
        kv_rows = kv_row_bytes(dec)  # one token's K and V rows per projection that makes them
        kv_t = dec
        dec = _fold_cache(dec)
        if tp > 1:
            dfull, _ = _trace(dec_entry, dtype, full_overrides, cache=_DEC)
            n_traces += 1
            dec.reduce_after = _row_parallel(dfull, da)
    else:  # no decode step: one traced to find the projections whose rows the prefill stores
        da, _ = _trace(dec_entry, dtype, overrides, cache=_DEC, **head)
        n_traces += 1
        kv_t = _template(da, da, "decode step", True, _DEC)
        kv_rows = kv_row_bytes(kv_t)
    trace_s = time.perf_counter() - t0
    kv_rows, kv_note = checked_kv_rows(kv_rows, kv_t, prefill.values())
    for t_ in [*prefill.values(), *([dec] if dec else [])]:
        if pp > 1:
            _stages(t_, n_layers // pp, pp)
        if attention_kernel == "fused":
            fuse_attention(t_)

    shape = shape_params  # the params as before those limits
    short = "hf-" + zoo_name[3:].rsplit("/", 1)[-1][:-5] if zoo_name.endswith(".json") else zoo_name
    wname = name if name is not None else (f"serve-{short.replace(':', '-')}-B{full_batch}"  # a config.json: its stem
                     + (f"-R{requests * mb}-{batching}" if requests != batch or batching != "static" else "")
                     + ("-padded" if attention == "padded" else "")
                     + ("-fused" if attention_kernel == "fused" else "") + (f"-sb{sub_batches}" if sub_batches > 1 else "")
                     + (f"-tp{tp}" if tp > 1 else "")
                     + (f"-pp{pp}" if pp > 1 else "") + (f"-mb{mb}" if mb > 1 else "")
                     + f"-{lengths_tag(P, D)}-{dtype}")
    b = WorkloadBuilder(wname, by_id=True)
    gate = AdmissionGate(b.op)  # a prefill waits for the iteration before it
    n_t = [0]

    def T(tname, shape_, role) -> int:
        i = b.tensor(tname, shape_, dtype, role)
        n_t[0] = i + 1
        return i

    weights: dict[str, int] = {}  # shared weights by name, declared before any iteration
    for tm in [*prefill.values(), *([dec] if dec else [])]:
        for i, nm in enumerate(tm.names):
            if tm.shared[i] and nm not in weights:
                weights[nm] = T(nm, list(tm.shapes[i]), "weight")

    def stored(oname: str, parts: list) -> dict:
        """``store_bytes`` of a K/V projection: a row per token appended (a prefill part's
        ``c``, a decode part's one); {} for any other op."""
        per = kv_rows.get(oname)
        if not per:
            return {}
        return {"store_bytes": per * sum(1 if tm is dec else c for _, tm, c in parts)}

    def chain(prefix: str, tags: dict, parts: list, ids_of: dict) -> int:
        """One pass of ``parts`` [(request, template, length)] as one chain of ops; returns the
        tensor of the part's sampled token ids."""
        made: dict[int, list[int]] = {}
        tm0 = parts[0][1]

        def shape_at(tm: _Template, i: int, c: int) -> list[int]:
            return [s + d * (c - tm.base) for s, d in zip(tm.shapes[i], tm.dshapes[i])]

        def tids(i: int) -> list[int]:
            """Tensor i: one id per part (split), or one (shared weight, or batched)."""
            if tm0.shared[i]:
                return [weights[tm0.names[i]]]
            if i == tm0.ids and ids_of:
                return list(dict.fromkeys(ids_of[r] for r, _, _ in parts))
            if i not in made:
                role = tm0.roles[i]
                if tm0.split[i]:
                    made[i] = [T(f"{prefix}.r{r}.{tm.names[i]}", shape_at(tm, i, c), role)
                               for r, tm, c in parts]
                else:
                    made[i] = [T(f"{prefix}.{tm0.names[i]}",
                                 _merge_shape([shape_at(tm, i, c) for _, tm, c in parts]), role)]
            return made[i]

        for o, (oname, kind, ins, outs, _, _, wt, fn, ope, otags, gm) in enumerate(tm0.ops):
            if pp > 1:
                otags = {**otags, "stage": tm0.stage[o]}
                if o in tm0.boundary:  # the hidden state to the next stage's device
                    i = tm0.boundary[o]
                    sent = tids(i)
                    if len(sent) > 1:  # one per request
                        got = [T(f"{prefix}.r{r}.{tm0.names[i]}.recv", shape_at(tm, i, c), "activation")
                               for r, tm, c in parts]
                    else:
                        got = [T(f"{prefix}.{tm0.names[i]}.recv",
                                 _merge_shape([shape_at(tm, i, c) for _, tm, c in parts]), "activation")]
                    gate(f"{prefix}.{tm0.names[i]}.sendrecv", "sendrecv", sent, got,
                         tags={**tags, "stage": tm0.stage[o], "part": "sendrecv"})
                    made[i] = got
            dims = [tuple(x + y * (c - tm.base) for x, y in zip(tm.ops[o][4], tm.ops[o][5]))
                    for _, tm, c in parts]
            merged = None
            if not tm0.own[o]:
                if kind != "matmul":
                    merged = dims[0]
                elif len(set(dims)) == 1:
                    m_, k_, n_, bt = dims[0]
                    merged = (m_ * len(parts), k_, n_, bt) if wt is not None else (m_, k_, n_, bt * len(parts))
                else:
                    diff = [f for f in range(4) if len({d[f] for d in dims}) > 1]
                    if len(diff) == 1:
                        merged = tuple(sum(d[f] for d in dims) if f == diff[0] else dims[0][f]
                                       for f in range(4))
            if merged is not None:
                inputs, by_input = [], []
                for a, i in enumerate(ins):
                    ids = tids(i)
                    if kind == "matmul" and len(ids) > 1:  # one operand over every request's rows
                        g_ = T(f"{prefix}.{oname}.in{len(inputs)}",
                               _merge_shape([shape_at(tm, i, c) for _, tm, c in parts]), "activation")
                        gate(f"{prefix}.{oname}.gather{len(inputs)}", "copy", ids, [g_],
                             tags={**tags, "part": "gather"})
                        ids = [g_]
                    inputs += ids
                    by_input.append(ids)
                outputs = [x for i in outs for x in tids(i)]
                otags = merged_chains(otags, by_input, [tids(i) for i in outs])
                w_ = tids(wt)[0] if wt is not None and tm0.shared[wt] else None
                if "launch" in otags:  # the tracer's one-call group (a matmul and its bias), per step
                    otags = {**otags, "launch": launches.setdefault(
                        (prefix, json.dumps(otags["launch"], sort_keys=True)), len(launches))}
                gate(f"{prefix}.{oname}", kind, list(dict.fromkeys(inputs)), outputs, m=merged[0],
                     k=merged[1], n=merged[2], batch=merged[3], weight=w_, fn=fn,
                     ops_per_element=ope, tags={**otags, **tags, **stored(oname, parts)},
                     generic_macs=gm * len(parts))
                if oname in tm0.reduce_after:  # a row-parallel matmul: the partial sums meet
                    for i in outs:
                        sums = [T(f"{prefix}.{tm0.names[i]}.sum" if len(made[i]) == 1 else
                                  f"{prefix}.r{r}.{tm0.names[i]}.sum",
                                  shape_at(tm, i, c) if len(made[i]) > 1 else
                                  _merge_shape([shape_at(tm_, i, c_) for _, tm_, c_ in parts]),
                                  "activation")
                              for (r, tm, c) in (parts if len(made[i]) > 1 else parts[:1])]
                        gate(f"{prefix}.{oname}.allreduce", "allreduce", made[i], sums,
                             tags={**tags, "part": "allreduce"})
                        made[i] = sums
            else:
                for j, (r, tm, c) in enumerate(parts):
                    def pick(i, j=j, r=r):
                        ids = tids(i)
                        if i == tm0.ids and ids_of:
                            return ids_of[r]
                        return ids[j] if len(ids) > 1 else ids[0]
                    gate(f"{prefix}.r{r}.{oname}", kind, [pick(i) for i in ins],
                         [pick(i) for i in outs], m=dims[j][0], k=dims[j][1], n=dims[j][2],
                         batch=dims[j][3], weight=None if wt is None else pick(wt), fn=fn,
                         ops_per_element=ope,
                         tags={**otags, **tags, **stored(oname, [(r, tm, c)]), "request": r,  # one
                               "launch": launches.setdefault((prefix, tm0.kernel.get(o, oname)),
                                                             len(launches))},  # kernel
                         generic_macs=gm)
        new_ids = T(f"{prefix}.next_ids", [len(parts), 1], "activation")
        gate(f"{prefix}.sample", "reduction", tids(tm0.logits), [new_ids],
             tags={**tags, "part": "sample"})
        if tp > 1:  # the best token over the vocabulary shards
            best = T(f"{prefix}.next_ids.sum", [len(parts), 1], "activation")
            gate(f"{prefix}.next_ids.allreduce", "allreduce", [new_ids], [best],
                 tags={**tags, "part": "allreduce"})
            new_ids = best
        if pp > 1:  # the sampled tokens back to the first stage (its embedding)
            back = T(f"{prefix}.next_ids.recv", [len(parts), 1], "activation")
            gate(f"{prefix}.next_ids.sendrecv", "sendrecv", [new_ids], [back],
                 tags={**tags, "stage": pp - 1, "part": "sendrecv"})
            new_ids = back
        return new_ids

    # ------------------------------------------------------------------ iterations
    n_req = len(P)
    holder, launches = {}, {}  # request -> its sampled ids; (prefix, op) -> its launch number
    first_op, last_op = [0] * n_req, [0] * n_req
    step_end, step_tokens, step_kind = [], [], []
    extra = 0
    stretches: list[Stretch] = []
    built: list[tuple] = []
    cur: Stretch | None = None
    before: list[int] = []  # the ids tensors of the iteration before (AdmissionGate)
    for kind, it, reqs, cached, new_stretch in schedule(P, Dc, batch, batching):
        if kind == "prefill":
            with gate.after(before):
                ids = chain(f"it{it}.prefill", {"phase": "prefill", "step": it},
                            [(r, prefill[p], p) for r, p in zip(reqs, cached)], {})
            before = [ids]
            for r in reqs:
                holder[r] = ids
                first_op[r] = last_op[r] = len(b) - 1 + extra
            step_end.append(len(b) - 1 + extra)
            step_tokens.append(len(reqs))
            step_kind.append("prefill")
            continue
        if new_stretch:
            built, cur = [], None
        live = dict(zip(reqs, counted(P, D, reqs, cached)))  # not a finished row run on (static)
        n_sub = min(sub_batches, len(reqs))
        groups = [list(range(j * len(reqs) // n_sub, (j + 1) * len(reqs) // n_sub)) for j in range(n_sub)]
        if cur is not None:
            extra += cur.o1 - cur.o0
            cur.count += 1
            ends = built[-1][4]
            launches.update({(cur.o0, cur.count, i): len(launches) + i for i in range(built[-1][5])})
        else:
            o0, s0, l0 = len(b), n_t[0], len(launches)
            ends = []
        for j, grp in enumerate(groups):
            rs = [reqs[i] for i in grp]
            cs = [cached[i] for i in grp]
            if attention == "padded" and len(grp) > 1:
                cs = [max(cs)] * len(cs)
            if cur is None:
                p = f"it{it}.decode" + (f".sb{j}" if n_sub > 1 else "")
                ids = chain(p, {"phase": "decode", "step": it}, [(r, dec, c) for r, c in zip(rs, cs)],
                            holder)
                ends.append(len(b) - 1)
                for r in rs:
                    holder[r] = ids
            for r in rs:
                if live[r]:
                    last_op[r] = ends[j] + extra
        if cur is None:
            built.append((o0, len(b), s0, n_t[0], ends, len(launches) - l0))  # a replica: as many
            if replicate and third_step_repeats(built):
                cur = Stretch(o0, len(b), s0, n_t[0], it)
                stretches.append(cur)
        before = [holder[r] for r in reqs]  # a replica's: the template's, moved past it
        step_end.append(len(b) - 1 + extra)
        step_tokens.append(sum(live.values()))  # the tokens counted: finished rows give none
        step_kind.append("decode")
    cols = insert_replicas(b.columns(), stretches) if stretches else b.columns()
    w = Workload.from_columns(wname, cols, {})
    unread = served_unread([wa.metadata, *([da.metadata] if any(D) else [])], w)  # the table once
    macs = w.op_macs
    starts = [0] + [e + 1 for e in step_end[:-1]]
    step_macs = [int(macs[s:e + 1].sum()) for s, e in zip(starts, step_end)]
    w.metadata.update({
        "generator": "llm",
        "source": "cimsim.zoo.serve (traced)",
        "zoo": {"name": zoo_name, "weights": "fake",
                "overrides": {k: list(v) if isinstance(v, tuple) else v for k, v in overrides.items()}},
        "params": {**shape, "prompt": P, "decode": D, "batch": batch, "requests": requests,
                   "batching": batching, "attention": attention, "sub_batches": sub_batches,
                   "tensor_parallel": tensor_parallel, "pipeline_parallel": pipeline_parallel,
                   "dtype": dtype, **({"attention_kernel": attention_kernel} if attention_kernel != "unfused" else {}),
                   **({"micro_batches": mb, "full_batch": full_batch} if mb > 1 else {})},
        "traces": {"count": n_traces, "seconds": round(trace_s, 3)},
        "folded_ops_per_decode_step": dec.folded if dec else 0,
        "kv_appends": kv_note,
        **({"context_note": past_context} if past_context else {}),
        "macs": int(macs.sum()),
        **({"unread_parameters": unread} if unread else {}),
        **({"latent_attention": mla} if (mla := latent_metadata(zm.model.config, any(D))) else {}),
        "llm": {
            "first_token_ops": first_op,
            "last_token_ops": last_op,
            "output_tokens": [1 + dr for dr in D],
            "step_kind": step_kind,
            "step_end_ops": step_end,
            "step_tokens": step_tokens,
            "step_macs": step_macs,
            "generated_tokens": n_req + sum(D),
            **({"pipeline": {"stages": pp, "micro_batches": mb}} if pp > 1 else {}),
        },
    })
    return w
