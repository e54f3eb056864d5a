"""Multi-head latent attention (MLA: DeepSeek-V2, arXiv 2405.04434 Sec. 2.1; MiniCPM3, Youtu,
DeepSeek-V3) in a traced Hugging Face model: which form transformers' code runs, and what the
absorbed form DeepSeek serves would cost instead (stated, not traced).

transformers 5.24 caches the latent (``kv_lora_rank``) and the RoPE key (``qk_rope_head_dim``)
per token per layer, and each step re-expands every cached latent through ``kv_b_proj`` (a
weight matmul over the ``L`` cached tokens: ``r H (d_nope + d_v)`` MACs per token) before plain
attention (``H (d_nope + d_rope + d_v)``): the non-absorbed form. The absorbed form folds
``W_UK`` into the query and ``W_UV`` into the output and attends over the latent itself:
``H (r + d_rope)`` MACs per cached token for the scores and ``H r`` for the values (Sec. 2.1.2).
"""

from __future__ import annotations

from ..workload.llm_options import latent_attention, latent_cache_elements


def latent_metadata(config, decode: bool) -> dict | None:
    """``metadata['latent_attention']`` of a traced model whose config has MLA fields: the
    fields, the cache per token per layer, the traced and the absorbed form's MACs per cached
    token per layer, and a note (``decode``: the trace has decode steps); None without MLA."""
    f = latent_attention(config)
    if not f:
        return None
    H = getattr(config, "num_attention_heads", None) if not isinstance(config, dict) \
        else config.get("num_attention_heads")
    r, rope = f["kv_lora_rank"], f.get("qk_rope_head_dim") or 0
    nope, v = f.get("qk_nope_head_dim") or 0, f.get("v_head_dim") or 0
    traced = r * H * (nope + v) + H * (nope + rope + v)
    absorbed = H * (r + rope) + H * r
    out = {**f, "cache_elements_per_token_layer": latent_cache_elements(f),
           "traced_macs_per_cached_token_layer": traced,
           "absorbed_macs_per_cached_token_layer": absorbed}
    if decode:
        out["note"] = (
            f"multi-head latent attention ({', '.join(f'{k}={x}' for k, x in f.items())}): traced as "
            f"transformers runs it, non-absorbed: each decode step re-expands every cached latent "
            f"through kv_b_proj (a weight matmul over the cached tokens) before attention, "
            f"{traced:,} MACs per cached token per layer; the absorbed form DeepSeek serves "
            f"(DeepSeek-V2, arXiv 2405.04434 Sec. 2.1.2) attends over the latent, {absorbed:,} "
            f"MACs per cached token per layer, and is not traced. No matmul reads the cache as "
            f"attention's K or V, so a PIM that claims kv_cache takes none of it")
    return out


def serving_shape(full_cfg: dict) -> tuple[object, dict]:
    """``(model, params)``: the generator's reading of a traced model's config
    (:func:`~cimsim.workload.llm.model_from_hf`), for the limits a serving run is checked
    against (positions, sliding window) and the shape its params record. An MLA config, which
    the generator refuses, is read without its latent, and its params state the latent
    (``latent_attention``) in place of K/V heads and a head width, which would claim multi-head
    attention of ``qk_rope_head_dim``-wide heads."""
    from ..workload.llm import model_from_hf

    mla = latent_attention(full_cfg)
    model = model_from_hf({**full_cfg, "kv_lora_rank": None} if mla else full_cfg)
    params = {k: v for k, v in model.__dict__.items() if k not in ("window_layers", "context")}
    if mla:
        del params["kv_heads"], params["head_dim"]
        params["latent_attention"] = {**mla, "cache_elements_per_token_layer": latent_cache_elements(mla)}
    return model, params
