"""Multi-head latent attention traced from transformers (find-W, 2026): the decode step is the
non-absorbed form (kv_b_proj re-expands every cached latent), which the trace now says with the
absorbed form's MACs beside it; ``--serve`` params state the latent, not MHA heads; DeepSeek-V3
cut to its dense layers traces on fake tensors; the memory estimate sizes MLA's latent cache;
RoBERTa's position offset of 2 is counted.

A small MiniCPM3 (:data:`SMALL`): d = 64, H = 4 heads, q_lora r_q = 32, kv_lora r = 16, RoPE key
8, no-RoPE key 16, value 16, gated FFN 128, vocabulary 100, 1 layer. Per token, the weight
matmuls: q_a d r_q + q_b r_q H (16 + 8) + kv_a d (r + 8) + o H 16 d + FFN 3 d 128
= 2048 + 3072 + 1536 + 4096 + 24576 = 35,328 MACs; per cached token (L keys, the step's own
included): kv_b r H (16 + 16) = 2048, scores H (16 + 8) = 96, values H 16 = 64: 2,208; absorbed
(DeepSeek-V2, arXiv 2405.04434 Sec. 2.1.2): H (r + 8) + H r = 96 + 64 = 160.
"""

from __future__ import annotations

import os

import pytest

pytest.importorskip("transformers")
os.environ["HF_HUB_OFFLINE"] = "1"
pytestmark = [pytest.mark.torch]

from cimsim import zoo  # noqa: E402
from cimsim.errors import WorkloadError  # noqa: E402
from cimsim.zoo.serve import trace_serving  # noqa: E402

SMALL = dict(hidden_size=64, num_attention_heads=4, num_key_value_heads=4, q_lora_rank=32, kv_lora_rank=16, qk_rope_head_dim=8,
             qk_nope_head_dim=16, v_head_dim=16, intermediate_size=128, vocab_size=100,
             num_hidden_layers=1)


def test_a_traced_mla_decode_step_is_the_non_absorbed_form_and_says_so():
    w = zoo.trace_zoo("hf:minicpm3", cache=8, **SMALL)
    L = 8 + 1
    assert w.macs == 35_328 + L * 2_208 + 64 * 100  # the layer, the cached tokens, the LM head
    mla = w.metadata["latent_attention"]
    assert mla["traced_macs_per_cached_token_layer"] == 2_208
    assert mla["absorbed_macs_per_cached_token_layer"] == 160
    assert mla["cache_elements_per_token_layer"] == 16 + 8
    assert "non-absorbed" in mla["note"] and "2405.04434" in mla["note"]
    assert "note" not in zoo.trace_zoo("hf:minicpm3", seq=8, **SMALL).metadata["latent_attention"]


def test_serve_params_state_the_latent_not_mha_heads():
    w = trace_serving("hf:minicpm3", prompt=8, decode=1, **SMALL)
    p = w.metadata["params"]
    assert "kv_heads" not in p and "head_dim" not in p  # were 4 and 8: MHA of RoPE-wide heads
    assert p["latent_attention"]["kv_lora_rank"] == 16
    assert p["latent_attention"]["cache_elements_per_token_layer"] == 24
    assert w.metadata["latent_attention"]["absorbed_macs_per_cached_token_layer"] == 160
    with pytest.raises(WorkloadError, match="multi-head latent attention"):
        trace_serving("hf:minicpm3", prompt=8, decode=1, tensor_parallel=2, **SMALL)


DS3 = dict(SMALL, moe_intermediate_size=32, n_routed_experts=8,
           num_experts_per_tok=2, n_group=1, topk_group=1)


def test_deepseek_v3_cut_to_its_dense_layers_traces_on_fake_tensors():
    # first_k_dense_replace = 3: layers 0-2 are dense (DeepseekV3MLP), so 2 layers have no router
    w = zoo.trace_zoo("hf:deepseek_v3", seq=8, **{**DS3, "num_hidden_layers": 2})
    assert w.macs > 0
    with pytest.raises(WorkloadError, match=r"mixture of experts \(n_routed_experts=8\)"):
        zoo.trace_zoo("hf:deepseek_v3", seq=8, **{**DS3, "num_hidden_layers": 4})


def test_the_cache_estimate_of_mla_is_the_latent():
    import torch
    import transformers

    from cimsim.zoo.hf import _cache_bytes

    cfg = transformers.AutoConfig.for_model("minicpm3", **SMALL)
    with torch.device("meta"):
        model = transformers.AutoModelForCausalLM.from_config(cfg)
    # 1 layer x batch 2 x 10 tokens x (16 + 8); it was 2 x 4 heads x 8 (head_dim = RoPE width)
    assert _cache_bytes(torch, model, 10, 2).numel() == 1 * 2 * 10 * 24


@pytest.mark.parametrize("model", ["roberta", "longformer"])
def test_robertas_position_offset_is_counted(model):
    small = dict(hidden_size=32, num_attention_heads=2, intermediate_size=64, num_hidden_layers=1)
    # ids start at padding_idx + 1 = 2: 512 positions hold 510 tokens (511 was traced on fake
    # tensors, and an IndexError with real weights)
    with pytest.raises(WorkloadError, match=r"needs 511 positions \+ 2 .*max_position_embeddings=513"):
        zoo.trace_zoo(f"hf:{model}", seq=511, **small)
    if model == "roberta":
        assert zoo.trace_zoo("hf:roberta", seq=510, **small).macs > 0


@pytest.mark.parametrize("seq", [63, 64])
def test_xglms_own_position_offset_is_not_counted_twice(seq):
    """XGLM's sinusoidal table adds its offset of 2 inside and is sized max_position_embeddings + 2
    (as OPT's and M2M100's): seq = max and max - 1 trace with real weights. Closed form for d 32,
    FFN 64, vocabulary 100, 1 layer: per token 4 x 32 x 32 + 2 x 32 x 64 = 8,192 MACs,
    attention 2 x seq x seq x 32, head seq x 32 x 100."""
    small = dict(d_model=32, num_layers=1, attention_heads=2, ffn_dim=64, vocab_size=100,
                 max_position_embeddings=64)
    w = zoo.trace_zoo("hf:xglm", real_weights=True, seq=seq, **small)
    assert w.macs == seq * 8_192 + 2 * seq * seq * 32 + seq * 32 * 100  # 991,232 at 64
    with pytest.raises(WorkloadError, match=r"needs 65 positions, past its table of 64 "
                                            r"\(max_position_embeddings\); raise it too "
                                            r"\(--param max_position_embeddings=65\)"):
        zoo.trace_zoo("hf:xglm", seq=65, **small)


def test_a_run_of_a_traced_mla_decode_on_a_kv_cache_pim_says_why_the_pim_takes_none():
    """find-W 2: gpu-hbm-pim-attn's PIM claims kv_cache; MLA's decode re-expands the latent
    (kv_b_proj, a weight matmul), so no matmul reads the cache as K or V: pim 0 ops, and the run
    says why. A config without a kv_cache claim (cpu-ddr5) does not."""
    from cimsim import bundled, load_architecture, simulate

    w = trace_serving("hf:minicpm3", prompt=8, decode=1, **SMALL)
    r = simulate(load_architecture(bundled.resolve_config("gpu-hbm-pim-attn")), w, engine="analytic")
    assert r.ops_per_unit["pim"] == 0
    assert w.metadata["latent_attention"]["note"] in r.notes
    plain = simulate(load_architecture(bundled.resolve_config("cpu-ddr5")), w, engine="analytic")
    assert not any("latent attention" in n for n in plain.notes)
