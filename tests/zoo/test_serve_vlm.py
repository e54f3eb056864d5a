"""`trace --zoo hf:llava`: --serve says what is really missing (no LM head, not an old
transformers), and a trace without images says the image path is not in it (find-M 3)."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from cimsim.zoo.hf_multimodal import no_serving_head  # noqa: E402

TINY = dict(hidden_size=32, intermediate_size=64, num_attention_heads=2, num_hidden_layers=1, vocab_size=64)


def test_a_base_model_is_refused_for_having_no_lm_head_not_for_the_version():
    model = transformers.LlamaModel(transformers.LlamaConfig(**TINY))
    msg = no_serving_head("hf:llama", model)
    assert "builds LlamaModel, which has none" in msg and "LM head" in msg
    assert "4.50" not in msg and transformers.__version__ not in msg


def test_a_head_whose_forward_lacks_logits_to_keep_names_the_class_and_the_version():
    class Head(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lm_head = torch.nn.Linear(4, 8)

        def get_output_embeddings(self):
            return self.lm_head

    msg = no_serving_head("x.py:factory", Head())
    assert "Head.forward does not take logits_to_keep" in msg
    assert f"transformers {transformers.__version__}" in msg and "4.50 or later" not in msg


@pytest.mark.slow
def test_hf_llava_says_its_image_path_is_not_traced():
    from cimsim.zoo.registry import build

    zm = build("hf:llava", seq=8, text_config={**TINY, "num_key_value_heads": 2},
               vision_config={"num_hidden_layers": 1, "hidden_size": 32, "intermediate_size": 64,
                              "num_attention_heads": 2})
    assert "LlavaModel on token ids alone: its image path" in zm.built and "not traced" in zm.built
