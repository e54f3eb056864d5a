"""Tensor and pipeline parallelism of the serving trace (:mod:`cimsim.zoo.serve`): the
sharded config of one device's share and where its partial sums meet; each traced op's
pipeline stage and the hidden state sent at each stage boundary."""

from __future__ import annotations

import math
import re

from ..errors import WorkloadError
from ..workload.ir import Workload
from ..workload.llm import model_from_hf
from ..workload.llm_options import key_of, latent_attention


#: config fields a tensor-parallel share changes (Megatron-LM: heads, FFN columns, vocabulary);
#: and ``head_dim``, kept at the full model's (:func:`cimsim.workload.llm.head_dim_of`: the
#: config's, else hidden / heads, as Qwen2's config, which has no field, derives it)
_SHARDED = ("num_attention_heads", "num_key_value_heads", "intermediate_size", "vocab_size")


def _shard_overrides(config, overrides: dict, n: int) -> tuple[dict, dict]:
    """The config fields of one device's share of ``config`` over ``n`` devices
    (:func:`cimsim.workload.llm.shard`), over ``overrides``; and the share's ``head_dim`` where
    the config class has no such field (given to the build as the tracer's own, unchecked: a
    model that ignores it fails :func:`_check_shard`)."""
    from ..workload.llm import shard

    missing = [f for f in _SHARDED if not hasattr(config, f)]
    if missing:
        raise WorkloadError(f"--serve --tensor-parallel needs a config with {', '.join(_SHARDED)} "
                            f"(Llama, Mistral, Qwen2, ...); {config.model_type}'s has no "
                            f"{', '.join(missing)}")
    cfg = config.to_dict()
    mla = latent_attention(cfg)
    if mla:
        raise WorkloadError(f"--serve --tensor-parallel {n}: {config.model_type} uses multi-head latent "
                            f"attention (kv_lora_rank={mla['kv_lora_rank']}): one latent cache per layer "
                            "shared by every head, which Megatron's split of the heads does not shard; "
                            "give --tensor-parallel 1")
    s = shard(model_from_hf(cfg), n, who="--serve", names={
        "heads": key_of(cfg, "num_attention_heads", "n_head"),
        "ffn": key_of(cfg, "intermediate_size", "n_inner", "ffn_hidden_size"),
        "kv_heads": key_of(cfg, "num_key_value_heads", "num_kv_heads")})
    head = {"head_dim": s.head_dim}
    share = {**overrides, "num_attention_heads": s.heads, "num_key_value_heads": s.kv_heads,
             "intermediate_size": s.ffn, "vocab_size": s.vocab}
    return ({**share, **head}, {}) if hasattr(config, "head_dim") else (share, head)


def _check_shard(w: Workload, full_cfg: dict, n: int, prompt: int) -> None:
    """The traced share has the closed-form MACs of the share (else the model type does not
    build its layers from the sharded fields)."""
    from ..workload.llm import prefill_macs, shard

    want = prefill_macs(shard(model_from_hf(full_cfg), n), [prompt])
    if w.macs != want:
        raise WorkloadError(f"{full_cfg.get('model_type')}: the model built from the sharded config "
                            f"does {w.macs} MACs in a prefill of {prompt} tokens where one "
                            f"device's share does {want}; --serve --tensor-parallel cannot split it")


def _row_parallel(full: Workload, part: Workload) -> set[str]:
    """Names of the weight matmuls whose partial sums must meet (Megatron's row-parallel
    layers: attention's output projection, the FFN's down projection): their reduction
    dimension shrinks in the share while their output width does not."""
    # by name: a share with one query head per K/V head (tensor parallelism as wide as the K/V
    # heads, which replicate) has no repeat_kv copies, the rest of its ops the full model's
    full_w = {o.name: o for o in full.ops if o.kind == "matmul" and o.weight is not None}
    part_w = [o for o in part.ops if o.kind == "matmul" and o.weight is not None]
    extra = [o.name for o in part_w if o.name not in full_w]
    if extra or len(part_w) != len(full_w):
        raise WorkloadError(f"{full.name}: the sharded model's weight matmuls are not the full "
                            f"one's ({len(part_w)} vs {len(full_w)}"
                            f"{', e.g. ' + extra[0] if extra else ''}); --serve --tensor-parallel "
                            "cannot split it")
    return {b.name for b in part_w if b.k < full_w[b.name].k and b.n == full_w[b.name].n}



_LAYER = re.compile(r"\.(?:layers|h)\.(\d+)\.")


def _stages(tm, per_stage: int, pp: int) -> None:
    """Each op's pipeline stage: its layer's (``...layers.N.`` / GPT-2's ``...h.N.`` in its
    module name) over ``per_stage`` layers a stage; an op of no layer stays in the stage
    before it (the embedding and rotary tables in the first, the final norm and LM head in
    the last); a fused op spanning a boundary runs where its name puts it. Before the first
    op of each later stage, the hidden state is sent: of the tensors made before the boundary
    and read after it, those of the last op that made one, the one read most after it (the
    residual stream; ties: the largest). Tensors computed once and read by every layer (the
    rotary tables, the mask) are read across the boundary without a send."""
    st, cur = [], 0
    for op in tm.ops:
        m = _LAYER.search("." + op[0])
        if m:
            cur = max(cur, min(int(m.group(1)) // per_stage, pp - 1))
        st.append(cur)
    tm.stage, tm.boundary = st, {}
    producer: dict[int, int] = {}
    for o, op in enumerate(tm.ops):
        for i in op[3]:
            producer.setdefault(i, o)
    for s in range(1, pp):
        first = st.index(s) if s in st else None
        if first is None:
            continue
        reads: dict[int, int] = {}
        for o in range(first, len(tm.ops)):
            for i in tm.ops[o][2]:
                if not tm.shared[i] and producer.get(i, len(tm.ops)) < first:
                    reads[i] = reads.get(i, 0) + 1
        if not reads:
            continue
        last = max(producer[i] for i in reads)
        cands = [i for i in reads if producer[i] == last]
        size = {i: math.prod(tm.shapes[i]) for i in cands}
        tm.boundary[first] = max(cands, key=lambda i: (reads[i], size[i]))
