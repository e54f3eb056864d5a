"""Long contexts against a model's limits (a long-context serving user, 2026-12-06): a sliding
window only where the config's layers use one (``layer_types``, Qwen2's ``max_window_layers``),
a mix of sliding and full layers refused past the window by name rather than as all-sliding,
and a note past a rotary model's ``max_position_embeddings``."""

from __future__ import annotations

import importlib.util
import json
import sys

import pytest
from click.testing import CliRunner

from cimsim.cli import main
from cimsim.errors import WorkloadError
from cimsim.workload.llm import llm_serving, model_from_hf
from cimsim.workload.llm_options import layer_kinds

HAS_TF = importlib.util.find_spec("transformers") is not None

#: a small Qwen2 with its window on (use_sliding_window) and 4 layers
QWEN2 = {"model_type": "qwen2", "hidden_size": 64, "intermediate_size": 128, "num_attention_heads": 4,
         "num_key_value_heads": 2, "num_hidden_layers": 4, "vocab_size": 100,
         "max_position_embeddings": 4096, "sliding_window": 16, "use_sliding_window": True}


@pytest.mark.parametrize("offline", [False, True])
def test_qwen2_layers_below_max_window_layers_attend_in_full(monkeypatch, offline):
    # Qwen2 layer i slides only from max_window_layers on: with max_window_layers = layers
    # (as Qwen2-7B states 28 of 28) every layer is full attention, as transformers' own
    # layer_types says; the check refused a request past sliding_window all the same
    if offline:  # without transformers, Qwen2's rule from the config's fields
        monkeypatch.setitem(sys.modules, "transformers", None)
    elif not HAS_TF:
        pytest.skip("transformers not installed")
    full = {**QWEN2, "max_window_layers": 4}
    assert layer_kinds(full, full) == ["full_attention"] * 4
    m = model_from_hf(full)
    assert (m.window, m.window_layers) == (None, None)
    llm_serving(m, prompt=60, decode=4)  # 64 tokens, past the 16 the layers do not use
    # from layer 2 on the layers slide: 2 of 4, a mix, refused past the window by name
    mixed = {**QWEN2, "max_window_layers": 2}
    assert layer_kinds(mixed, mixed) == ["full_attention"] * 2 + ["sliding_attention"] * 2
    m = model_from_hf(mixed)
    assert (m.window, m.window_layers) == (16, 2)
    llm_serving(m, prompt=12, decode=4)  # 16 tokens: within the window, every layer in full
    with pytest.raises(WorkloadError, match=r"^llm: a request of prompt 12 and decode 5 reaches 17 "
                                            r"tokens, past the sliding attention window of 16 "
                                            r"tokens \(sliding_window\) that 2 of its layers use "
                                            r"\(layer_types mixes sliding_attention and "
                                            r"full_attention\), which cimsim does not model .*give "
                                            r"a config with layer_types all full_attention"):
        llm_serving(m, prompt=12, decode=5)


def test_layer_types_decide_which_layers_slide():
    base = {**QWEN2, "model_type": "gemma2", "head_dim": 16}
    # every layer full: no window, whatever sliding_window says
    m = model_from_hf({**base, "layer_types": ["full_attention"] * 4})
    assert m.window is None
    # every layer sliding: the window, all layers (Mistral's case), refused as before
    m = model_from_hf({**base, "layer_types": ["sliding_attention"] * 4})
    assert (m.window, m.window_layers) == (16, None)
    with pytest.raises(WorkloadError, match=r"past the model's sliding attention window of 16 "
                                            r"tokens \(sliding_window\).*sliding_window null"):
        llm_serving(m, prompt=12, decode=5)
    # interleaved (Gemma-2: sliding, full, ...): not all sliding; a padded static row past the
    # window names the mix too
    m = model_from_hf({**base, "layer_types": ["sliding_attention", "full_attention"] * 2})
    assert (m.window, m.window_layers) == (16, 2)
    with pytest.raises(WorkloadError, match=r"17 positions, past the model's sliding attention "
                                            r"window of 16 tokens \(sliding_window, 2 of its "
                                            r"layers: layer_types mixes sliding and full "
                                            r"attention; not modelled\)"):
        llm_serving(m, prompt=[12, 4], decode=[2, 5], batch=2, batching="static")


@pytest.mark.skipif(not HAS_TF, reason="transformers not installed")
def test_gemma2_without_layer_types_interleaves_as_transformers_derives():
    # no layer_types in the file: transformers' Gemma2Config alternates sliding and full
    cfg = {k: v for k, v in QWEN2.items() if k != "use_sliding_window"}
    m = model_from_hf({**cfg, "model_type": "gemma2", "head_dim": 16})
    assert (m.window, m.window_layers) == (16, 2)


@pytest.mark.skipif(not HAS_TF, reason="transformers not installed")
def test_a_layers_override_derives_layer_types_anew():
    # review 15-2 item 8: a config.json's explicit layer_types (recent transformers writes one
    # into Gemma-3 / Qwen3 files) went stale under --layers: 24 sliding + 2 full layers cut to
    # 2 layers said "24 of its layers" slide. Dropped, the list is derived for the 2 layers
    # (Gemma2Config: sliding, full): 1 of 2 slides
    from cimsim.workload.llm_options import hf_overridden

    cfg = {k: v for k, v in QWEN2.items() if k != "use_sliding_window"}
    cfg = {**cfg, "model_type": "gemma2", "head_dim": 16, "num_hidden_layers": 26,
           "layer_types": ["sliding_attention"] * 24 + ["full_attention"] * 2}
    assert (model_from_hf(cfg).window_layers) == 24
    m = model_from_hf(hf_overridden(cfg, {"layers": 2}))
    assert (m.layers, m.window, m.window_layers) == (2, 16, 1)


def _cli(tmp_path, cfg: dict, prompt: int, decode: int):
    path = tmp_path / "config.json"
    path.write_text(json.dumps(cfg))
    return CliRunner().invoke(main, ["workload", "llm", "--hf-config", str(path), "--prompt",
                                     str(prompt), "--decode", str(decode), "-o", str(tmp_path / "w.npz")])


def test_past_a_rotary_models_max_position_embeddings_is_a_note(tmp_path):
    # Llama has no position table (rotary): 60 + 8 = 68 positions past max_position_embeddings
    # 64 is computed (a learned table, GPT-2's, is refused) but said, with rope_scaling unread;
    # it passed in silence
    llama = {"model_type": "llama", "hidden_size": 64, "intermediate_size": 128,
             "num_attention_heads": 4, "num_key_value_heads": 2, "num_hidden_layers": 1,
             "vocab_size": 100, "max_position_embeddings": 64}
    r = _cli(tmp_path, llama, 60, 8)
    assert r.exit_code == 0, r.output
    assert ("note: llm: a request of prompt 60 and decode 8 reaches 68 positions, past the "
            "config's max_position_embeddings of 64 (no learned table, so the costs are computed; "
            "rope_scaling is not read") in r.output
    r = _cli(tmp_path, llama, 56, 8)  # 64 positions: within
    assert r.exit_code == 0 and "note:" not in r.output, r.output
    gpt2 = {"model_type": "gpt2", "n_embd": 64, "n_head": 4, "n_layer": 1, "vocab_size": 100,
            "n_positions": 64}
    r = _cli(tmp_path, gpt2, 60, 8)
    assert r.exit_code == 1 and "learned position embeddings" in r.output and "note:" not in r.output


MISTRAL16 = {"model_type": "mistral", "hidden_act": "silu", "hidden_size": 64, "intermediate_size": 160,
             "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 300,
             "max_position_embeddings": 256, "sliding_window": 16}
#: K and V of 2 layers x 2 KV heads x 16 dims in fp16, per key: 2 x 2 x 2 x 16 x 2 B = 256 B
PER_KEY = 2 * 2 * 2 * 16 * 2


def _step_cache_bytes(w, step: int) -> int:
    nbytes = dict(zip(w.tensors, w.tensor_nbytes))
    return sum(nbytes[t] for o in w.ops if o.tags.get("phase") == "decode" and o.tags["step"] == step
               for t in o.inputs if t.endswith("_cache"))


def test_the_window_refusal_names_the_step_past_the_window_and_the_steps_before():
    """Past an all-sliding window of 16 (Mistral's rule), a request of prompt 12 and decode 8
    reaches 20 tokens; step i reads 12 + i + 1 keys, min(., 16) with the window. The message
    names --prompt 15 --decode 1, whose one step reads 16 keys as each step past the window
    does (steps 3..7), and --decode 4 for steps 0..3 (13..16 keys), weighted 4 : 4 (find-E 5:
    the shifted run --prompt 8 it named before read 9..16 keys, 21 % low at Mistral's scale)."""
    m = model_from_hf(MISTRAL16)
    with pytest.raises(WorkloadError, match=r"shorten it \(the cost of a step past the window: "
                                            r"--prompt 15 --decode 1 reads the window's 16 keys, as every step "
                                            r"past it does, so its TPOT is theirs and the same run with --decode 4 "
                                            r"costs its 4 step\(s\) before the window \(TPOT ~ \(4 x that TPOT \+ "
                                            r"4 x the one-step TPOT\) / 8, exact\)\)"):
        llm_serving(m, prompt=12, decode=8)
    assert _step_cache_bytes(llm_serving(m, prompt=15, decode=1), 0) == 16 * PER_KEY
    before = llm_serving(m, prompt=12, decode=4)
    assert [_step_cache_bytes(before, i) for i in range(4)] == [k * PER_KEY for k in (13, 14, 15, 16)]


def test_the_window_refusal_keeps_the_prefix_and_the_other_prompts(tmp_path):
    # --prefix 18 of prompt 20 (decode 4): the named run must run (a prefix shorter than every
    # prompt), so it carries --prefix 14 for --prompt 15; a second request of prompt 5 stays
    path = tmp_path / "config.json"
    path.write_text(json.dumps(MISTRAL16))
    base = ["workload", "llm", "--hf-config", str(path), "-o", str(tmp_path / "w.json")]
    r = CliRunner().invoke(main, [*base, "--prompt", "20,5", "--batch", "2", "--decode", "4", "--prefix", "4"])
    assert r.exit_code == 1 and "--prompt 15,5 --decode 1 --prefix 4 reads" in r.output, r.output
    assert "its prefill reads past the window too, so TTFT is not estimated" in r.output
    r = CliRunner().invoke(main, [*base, "--prompt", "20", "--decode", "4", "--prefix", "18"])
    assert r.exit_code == 1 and "--prompt 15 --decode 1 --prefix 14 reads" in r.output, r.output
    ok = CliRunner().invoke(main, [*base, "--prompt", "15", "--decode", "1", "--prefix", "14"])
    assert ok.exit_code == 0, ok.output


def test_a_mix_of_sliding_and_full_layers_names_no_run():
    # a mix of sliding and full layers: the full ones read everything, so no such run is named
    mixed = model_from_hf({**QWEN2, "model_type": "gemma2", "head_dim": 16,
                           "layer_types": ["sliding_attention", "full_attention"] * 2})
    with pytest.raises(WorkloadError) as e:
        llm_serving(mixed, prompt=12, decode=5)
    assert "--prompt" not in str(e.value)
