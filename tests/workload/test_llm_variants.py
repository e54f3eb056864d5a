"""HF configs whose attention or layers are not a plain transformer's (find-W, 2026): multi-head
latent attention and cross-layer KV sharing refused in one line rather than read as multi-head
attention with every layer's own cache; DeepSeek cut to its dense layers not refused as a
mixture of experts; MPT's own field names (n_heads, n_layers, expansion_ratio) read; a per-layer
FFN list blamed on the config's field, not on --ffn."""

from __future__ import annotations

import importlib.util
import json

import pytest
from click.testing import CliRunner

from cimsim.cli import main
from cimsim.errors import WorkloadError
from cimsim.workload.llm import llm_serving, model_from_hf

HAS_TF = importlib.util.find_spec("transformers") is not None

#: MiniCPM3's attention fields (transformers 5.24's MiniCPM3Config defaults), on a small model
MLA = {"model_type": "minicpm3", "hidden_size": 256, "num_attention_heads": 4, "num_hidden_layers": 2,
       "intermediate_size": 512, "vocab_size": 100, "kv_lora_rank": 256, "q_lora_rank": 768,
       "qk_rope_head_dim": 32, "qk_nope_head_dim": 64, "v_head_dim": 64, "head_dim": 32}


def _cli(tmp_path, cfg, *extra):
    path = tmp_path / "config.json"
    path.write_text(json.dumps(cfg))
    return CliRunner().invoke(main, ["workload", "llm", "--hf-config", str(path), "--prompt", "16",
                                     "--decode", "2", "-o", str(tmp_path / "w.npz"), *extra])


def test_latent_attention_is_refused_naming_its_fields_and_cache(tmp_path):
    # it was read as MHA with head_dim = qk_rope_head_dim: 2 x 4 x 32 = 256 elements of K/V per
    # token per layer, where MLA caches kv_lora_rank + qk_rope_head_dim = 256 + 32 = 288
    r = _cli(tmp_path, MLA)
    assert r.exit_code == 1, r.output
    line = r.output.strip()
    assert "\n" not in line and "Traceback" not in line
    assert "multi-head latent attention (kv_lora_rank=256, q_lora_rank=768" in line
    assert f"= {256 + 32} elements per token per layer" in line
    assert "cimsim trace --zoo hf:minicpm3 --serve" in line
    with pytest.raises(WorkloadError, match="multi-head latent attention"):
        model_from_hf({**MLA, "model_type": "youtu"})


@pytest.mark.skipif(not HAS_TF, reason="the model type's defaults need transformers")
@pytest.mark.parametrize("mt", ["minicpm3", "youtu", "deepseek_v3"])  # (deepseek_v2: all MoE)
def test_hf_model_with_latent_attention_is_refused(tmp_path, mt):
    r = CliRunner().invoke(main, ["workload", "llm", "--hf-model", mt, "--layers", "1", "--prompt", "8",
                                  "--decode", "1", "-o", str(tmp_path / "w.npz")])
    assert r.exit_code == 1, r.output
    assert "multi-head latent attention" in r.output and f"hf:{mt} --serve" in r.output


@pytest.mark.skipif(not HAS_TF, reason="the model type's defaults need transformers")
def test_deepseek_v3_cut_to_its_dense_layers_is_no_mixture_of_experts(tmp_path):
    # first_k_dense_replace = 3: 2 layers hold no MoE layer (it was refused as one, naming
    # num_local_experts, transformers' alias); 4 layers hold one, named by the config's own field
    from cimsim.workload.llm import model_from_hf_type
    with pytest.raises(WorkloadError) as e:
        model_from_hf_type("deepseek_v3", {"layers": 2})
    assert "latent attention" in str(e.value) and "experts" not in str(e.value)
    with pytest.raises(WorkloadError, match=r"mixture of experts \(n_routed_experts=256"):
        model_from_hf_type("deepseek_v3", {"layers": 4})


def test_kv_sharing_across_layers_is_refused(tmp_path):
    # Gemma-3n / Gemma-4: 3 of 6 layers read another layer's cache: 3 caches written, not 6
    cfg = {"model_type": "llama", "hidden_size": 64, "num_attention_heads": 4, "num_hidden_layers": 6,
           "intermediate_size": 128, "vocab_size": 100, "num_kv_shared_layers": 3}
    r = _cli(tmp_path, cfg)
    assert r.exit_code == 1, r.output
    assert "num_kv_shared_layers=3" in r.output and "\n" not in r.output.strip()
    assert _cli(tmp_path, {**cfg, "num_kv_shared_layers": 0}).exit_code == 0


def test_a_per_layer_ffn_list_names_the_config_field_not_the_option(tmp_path):
    cfg = {"model_type": "llama", "hidden_size": 64, "num_attention_heads": 4, "num_hidden_layers": 2,
           "intermediate_size": [128, 256], "vocab_size": 100}
    r = _cli(tmp_path, cfg)
    assert r.exit_code == 1, r.output
    assert "intermediate_size (llama) is a per-layer list (2 entries)" in r.output
    assert "--ffn" not in r.output


def test_mpt_fields_read_and_the_macs_in_closed_form():
    # MPT: d_model, n_heads, n_layers, expansion_ratio; a plain (non-gated) FFN of 4 x d_model,
    # fused qkv, multi-head (it was refused: "none of num_attention_heads, n_head")
    cfg = {"model_type": "mpt", "d_model": 64, "n_heads": 4, "n_layers": 2, "expansion_ratio": 4,
           "vocab_size": 100, "max_seq_len": 2048}
    m = model_from_hf(cfg)
    assert (m.layers, m.hidden, m.heads, m.kv_heads, m.ffn, m.head_dim, m.gated) == (2, 64, 4, 4, 256, 16, False)
    w = llm_serving(m, prompt=16, decode=2)
    d, f, v, P = 64, 256, 100, 16
    W = d * 3 * d + d * d + 2 * d * f  # qkv, out, up and down
    prefill = 2 * (P * W + 2 * d * P * P) + d * v
    decode = sum(2 * (W + 2 * d * (P + t + 1)) + d * v for t in range(2))
    assert w.macs == prefill + decode


@pytest.mark.skipif(not HAS_TF, reason="the model type's defaults need transformers")
def test_hf_model_mpt_builds(tmp_path):
    r = CliRunner().invoke(main, ["workload", "llm", "--hf-model", "mpt", "--layers", "1", "--prompt", "8",
                                  "--decode", "1", "-o", str(tmp_path / "w.npz")])
    assert r.exit_code == 0, r.output
    assert "llm-L1-d2048-h16-kv16" in r.output
