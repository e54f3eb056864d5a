"""What the LLM generator must not build as a dense attention transformer (found by a serving
user, 2026-12-05 evening): a multimodal wrapper's mixture of experts under ``text_config``
(Llama-4 was built as a dense 8.1 B-parameter model once the shape options were given), and
recurrent, state-space or hybrid decoders (RecurrentGemma, Mamba, RWKV: 26 or 64 attention
layers with a KV cache none of them has). A dense multimodal wrapper's language model is read
from its ``text_config``."""

from __future__ import annotations

import importlib.util

import pytest
from click.testing import CliRunner

from cimsim.cli import main
from cimsim.errors import WorkloadError
from cimsim.workload.llm import hf_overridden, model_from_hf

HAS_TF = importlib.util.find_spec("transformers") is not None

#: Llama-4 Scout's text config (its config.json's figures), inside the multimodal wrapper
LLAMA4 = {"model_type": "llama4", "vision_config": {"hidden_size": 1408},
          "text_config": {"model_type": "llama4_text", "hidden_size": 5120, "intermediate_size": 8192,
                          "num_hidden_layers": 48, "num_attention_heads": 40, "num_key_value_heads": 8,
                          "vocab_size": 202048, "num_local_experts": 16, "num_experts_per_tok": 1,
                          "head_dim": 128}}
SHAPE = {"layers": 48, "hidden": 5120, "heads": 40, "kv_heads": 8, "ffn": 8192, "vocab": 202048}


def test_nested_mixture_of_experts_is_refused_with_or_without_shape_options():
    with pytest.raises(WorkloadError, match=r"mixture of experts \(num_local_experts=16\)"):
        model_from_hf(LLAMA4)
    with pytest.raises(WorkloadError, match=r"mixture of experts \(num_local_experts=16\)"):
        model_from_hf(hf_overridden(LLAMA4, SHAPE))  # as --hf-config FILE --layers ... gives it


def test_dense_wrapper_reads_its_text_config():
    # a Gemma-3-like wrapper: the language model is the text config; the vision tower is no
    # part of a text serving run. 2 layers, hidden 64 = 4 heads x 16, GQA 2
    wrapped = {"model_type": "my_vlm", "vision_config": {"hidden_size": 999, "num_attention_heads": 3},
               "text_config": {"model_type": "llama", "hidden_size": 64, "num_hidden_layers": 2,
                               "num_attention_heads": 4, "num_key_value_heads": 2,
                               "intermediate_size": 96, "vocab_size": 100}}
    m = model_from_hf(wrapped)
    assert (m.layers, m.hidden, m.heads, m.kv_heads, m.ffn, m.vocab, m.head_dim) == (2, 64, 4, 2, 96, 100, 16)
    assert m.gated  # llama's MLP (the text config's type), not the wrapper's
    # an option overrides the text config's field, as it overrides a flat config's
    assert model_from_hf(hf_overridden(wrapped, {"layers": 5})).layers == 5


@pytest.mark.parametrize("config, kind", [
    ({"model_type": "recurrent_gemma", "block_types": ["recurrent", "recurrent", "attention"]},
     "layers of kind recurrent"),
    ({"model_type": "mamba"}, "recurrent, state-space or convolution layers"),
    ({"model_type": "rwkv"}, "recurrent, state-space or convolution layers"),
    # a type the list does not name, caught by its per-layer kinds
    ({"model_type": "someone_new", "layer_types": ["full_attention", "linear_attention"]},
     "layers of kind linear_attention"),
    ({"model_type": "someone_new", "layers_block_type": ["full_attention", "mlp"]}, "layers of kind mlp"),
])
def test_non_attention_decoders_are_refused_before_their_shape_is_read(config, kind):
    # no head count in the config: the kind is named, not the missing field
    with pytest.raises(WorkloadError, match=f"{kind}, not attention \\+ FFN in every layer"):
        model_from_hf({**config, "hidden_size": 256, "vocab_size": 100, "num_hidden_layers": 2})
    with pytest.raises(WorkloadError, match="not attention \\+ FFN"):
        model_from_hf(hf_overridden({**config}, {"layers": 2, "hidden": 256, "heads": 4, "vocab": 100}))


def test_attention_only_layer_kinds_are_accepted():
    cfg = {"model_type": "olmo3_like", "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
           "vocab_size": 100, "intermediate_size": 96,
           "layer_types": ["sliding_attention", "full_attention"]}
    assert model_from_hf(cfg).layers == 2


def test_mixture_of_experts_is_named_before_a_missing_head_count():
    # DBRX keeps its shape in n_heads / d_model / ffn_config: the first error named a missing
    # num_attention_heads, sending the user after a field (found 2026-12-05)
    dbrx = {"model_type": "dbrx", "d_model": 6144, "n_heads": 48, "n_layers": 40, "vocab_size": 100352,
            "ffn_config": {"moe_num_experts": 16, "moe_top_k": 4}}
    with pytest.raises(WorkloadError, match=r"mixture of experts \(model_type dbrx\)"):
        model_from_hf(dbrx)


@pytest.mark.skipif(not HAS_TF, reason="transformers not installed")
@pytest.mark.parametrize("model_type, why", [
    ("recurrent_gemma", "layers of kind recurrent"), ("mamba", "state-space"),
    ("llama4", "mixture of experts")])
def test_cli_hf_model_refuses_in_one_line(tmp_path, model_type, why):
    r = CliRunner().invoke(main, ["workload", "llm", "--hf-model", model_type, "--prompt", "64",
                                  "--decode", "2", "-o", str(tmp_path / "x.npz")])
    assert r.exit_code == 1 and why in r.output and "Traceback" not in r.output
    assert len(r.output.strip().splitlines()) == 1
    assert not (tmp_path / "x.npz").exists()
