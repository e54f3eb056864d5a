"""LLM serving workloads (workload/llm.py) and PIM that computes on the KV cache (hw/pim.py).

Goldens are closed-form arithmetic written out in the comments, never the code's output.
"""

from __future__ import annotations

import importlib.util
import json

import numpy as np
import pytest
from click.testing import CliRunner

from cimsim import simulate
from cimsim.cli import main
from cimsim.errors import ConfigError, WorkloadError
from cimsim.mapping.placement import place
from cimsim.workload import Workload, load_workload
from cimsim.workload.kinds import ROLE_INPUT
from cimsim.workload.llm import (LLMModel, decode_step_macs, llm_serving, model_from_hf, prefill_macs,
                                 serving_macs)

from conftest import assert_prefills_follow_the_iteration_before, make_arch

# a tiny GQA model: d = 8 heads x 4 = 32, g = 8 / 2 = 4
TINY = LLMModel(layers=2, hidden=32, heads=8, kv_heads=2, ffn=48, vocab=20, head_dim=4, gated=True)


def _iteration_ops(w: Workload, i: int) -> slice:
    """Op indices of iteration i (a prefill or a decode step) from the metadata's step ends."""
    ends = w.metadata["llm"]["step_end_ops"]
    return slice(0 if i == 0 else ends[i - 1] + 1, ends[i] + 1)


def _step_ops(w: Workload, t: int) -> slice:
    """Op indices of decode step t."""
    decode = [i for i, k in enumerate(w.metadata["llm"]["step_kind"]) if k == "decode"]
    return _iteration_ops(w, decode[t])


def test_padded_attention_is_one_op_per_layer_and_reads_the_longest_cache_for_all():
    P, D = [3, 5], 2
    per = llm_serving(TINY, prompt=P, decode=D, batch=2, dtype="fp16")
    pad = llm_serving(TINY, prompt=P, decode=D, batch=2, attention="padded", dtype="fp16")
    # decode step 0 attends to 4 and 6 keys; padded: 2 x 6. Per layer K + V, d/g = 8, 2 B
    assert _input_bytes_by_op(per)[_step_ops(per, 0)].sum() == 2 * 2 * (4 + 6) * 8 * 2
    assert _input_bytes_by_op(pad)[_step_ops(pad, 0)].sum() == 2 * 2 * (6 + 6) * 8 * 2
    # the padded step has 2 x 3 attention ops (scores, softmax, context per layer) and no gather
    parts = [op.tags.get("part") for op in list(pad.ops)[_step_ops(pad, 0)]]
    assert parts.count("scores") == 2 and "gather" not in parts
    # attention MACs grow by 2 layers x 2 x H d_h x (6 - 4) = 2 x 2 x 32 x 2 per step
    assert pad.macs - per.macs == 2 * (2 * 2 * 32 * 2)
    # equal lengths: padding costs nothing
    eq = [llm_serving(TINY, prompt=4, decode=2, batch=3, attention=a).macs
          for a in ("per-request", "padded")]
    assert eq[0] == eq[1]


def _input_bytes_by_op(w: Workload) -> np.ndarray:
    a = w.arrays
    owner = np.repeat(np.arange(len(w)), np.diff(a.input_ptr))
    return np.bincount(owner, weights=a.tensor_bytes[a.input_ids], minlength=len(w))


# --------------------------------------------------------------------------- KV cache reads
@pytest.mark.parametrize("kv_heads", [8, 2, 1])  # multi-head, GQA g = 4, MQA g = 8
def test_kv_cache_of_L_tokens_is_read_once_per_step_and_layer_as_L_d_over_g(kv_heads):
    m = LLMModel(layers=3, hidden=32, heads=8, kv_heads=kv_heads, ffn=48, vocab=20, head_dim=4,
                 gated=False)
    P, D = 5, 4
    w = llm_serving(m, prompt=P, decode=D, batch=1, dtype="fp16")
    g = 8 // kv_heads
    per_op = _input_bytes_by_op(w)
    for t in range(D):
        L = P + t + 1  # cached tokens plus the one this step computed
        kv = per_op[_step_ops(w, t)]
        # K and V, each L x d / g elements of 2 bytes, per layer; read by one op each
        assert kv.sum() == 3 * 2 * L * 32 // g * 2
        assert np.count_nonzero(kv) == 3 * 2
    # every cache tensor is read exactly once in the whole run
    a = w.arrays
    assert len(np.unique(a.input_ids)) == len(a.input_ids)


@pytest.mark.parametrize("kv_heads", [8, 2, 1])
def test_each_qkv_appends_its_tokens_k_and_v_rows_to_the_cache(kv_heads):
    # tag store_bytes: per token and layer, K and V rows of H_kv x d_h elements each, 2 B in
    # fp16: 2 x H_kv x 4 x 2 B = 16 H_kv B. 2 requests, a 5-token prompt, 3 decode steps: the
    # prefill's qkv (per layer) appends 2 x 5 tokens, each decode step's 2
    m = LLMModel(layers=3, hidden=32, heads=8, kv_heads=kv_heads, ffn=48, vocab=20, head_dim=4,
                 gated=False)
    w = llm_serving(m, prompt=5, decode=3, batch=2, dtype="fp16")
    per_token = 2 * kv_heads * 4 * 2
    qkv = [op for op in w.ops if op.name.endswith(".qkv")]
    assert [op.tags["store_bytes"] for op in qkv] == [10 * per_token] * 3 + [2 * per_token] * 9
    # every other op stores nothing; the run appends (10 + 3 x 2) tokens x 3 layers
    assert w.arrays.store_bytes.sum() == (10 + 3 * 2) * 3 * per_token


def test_batching_reads_the_sum_of_the_requests_cache_lengths():
    P, D = [3, 9, 6], [2, 5, 1]
    w = llm_serving(TINY, prompt=P, decode=D, batch=3, batching="continuous", dtype="fp32")
    st = llm_serving(TINY, prompt=P, decode=D, batch=3, batching="static", dtype="fp32")
    per_op, per_st = _input_bytes_by_op(w), _input_bytes_by_op(st)
    for t in range(max(D)):
        active = [p for p, d in zip(P, D) if t < d]  # continuous: a finished cache is freed
        # layers x (K + V) x sum L_i x d/g elements x 4 bytes, d/g = 32 / 4 = 8
        assert per_op[_step_ops(w, t)].sum() == 2 * 2 * sum(p + t + 1 for p in active) * 8 * 4
        # static: every row of the batch runs on to its longest request's end, its cache growing
        assert per_st[_step_ops(st, t)].sum() == 2 * 2 * sum(p + t + 1 for p in P) * 8 * 4
    for x in (w, st):  # only real tokens count
        assert x.metadata["llm"]["step_tokens"] == [3, 3, 2, 1, 1, 1]  # the prefill, then 5 steps
        assert x.metadata["llm"]["generated_tokens"] == 3 + 3 + 2 + 1 + 1 + 1


def test_decode_step_macs_closed_form_by_hand():
    m = LLMModel(layers=1, hidden=8, heads=2, kv_heads=1, ffn=16, vocab=10, head_dim=4, gated=False)
    w = llm_serving(m, prompt=3, decode=2, batch=1)
    macs = w.op_macs
    # step 0: qkv 8 x (2 + 2) x 4 = 128, out_proj 8 x 8 = 64, FFN 2 x 8 x 16 = 256,
    # scores + context 2 x (2 heads x 4 x 4 keys) = 64, LM head 8 x 10 = 80: 592
    assert macs[_step_ops(w, 0)].sum() == 592
    # step 1 attends to 5 keys: attention 2 x 2 x 4 x 5 = 80: 608
    assert macs[_step_ops(w, 1)].sum() == 608
    # prefill of 3 tokens: 3 x 448 + attention 2 x 2 x 4 x 3 x 3 = 144, LM head 80: 1568
    assert macs[_iteration_ops(w, 0)].sum() == 1568
    assert prefill_macs(m, [3]) == 1568 and decode_step_macs(m, [3], [2], 1) == 608


def test_gated_ffn_has_three_matrices():
    base = dict(layers=1, hidden=8, heads=2, kv_heads=2, ffn=16, vocab=10, head_dim=4)
    plain = llm_serving(LLMModel(**base, gated=False), prompt=1, decode=0)
    gated = llm_serving(LLMModel(**base, gated=True), prompt=1, decode=0)
    assert gated.weight_bytes - plain.weight_bytes == 8 * 16 * 2  # one more hidden x ffn, fp16
    assert gated.macs - plain.macs == 8 * 16


def test_hf_config_shapes():
    llama = {"model_type": "llama", "hidden_act": "silu", "hidden_size": 4096, "num_hidden_layers": 32,
             "num_attention_heads": 32, "num_key_value_heads": 8, "intermediate_size": 14336,
             "vocab_size": 128256}
    m = model_from_hf(llama)
    assert (m.layers, m.hidden, m.heads, m.kv_heads, m.ffn, m.vocab, m.head_dim, m.gated) == (
        32, 4096, 32, 8, 14336, 128256, 128, True)
    gpt2 = {"model_type": "gpt2", "n_embd": 768, "n_layer": 12, "n_head": 12, "n_inner": None,
            "vocab_size": 50257, "activation_function": "gelu_new"}
    m = model_from_hf(gpt2)
    assert (m.kv_heads, m.ffn, m.head_dim, m.gated) == (12, 3072, 64, False)


@pytest.mark.parametrize("act", [None, "silu", "gelu"])
def test_a_llama_mlp_is_gated_whatever_its_activation_says(act):
    """LlamaMLP is gated with any hidden_act, and LlamaConfig's default is silu: a config.json
    without hidden_act (or with gelu) was read as a plain 2-matrix FFN (695,808 MACs)."""
    cfg = {"model_type": "llama", "hidden_size": 64, "num_hidden_layers": 2,
           "num_attention_heads": 4, "vocab_size": 100, "intermediate_size": 128}
    if act:
        cfg["hidden_act"] = act
    w = llm_serving(model_from_hf(cfg), prompt=8, decode=2)
    # d = 64, H = 4, d_h = 16, ffn 128, gated: W = d*(H+2H)*d_h + H*d_h*d + 3*d*ffn = 40,960 MACs
    # a token; prefill 2 layers x (8 W + 2 H d_h 8^2) + d x vocab = 678,144; decode steps at
    # L = 9 and 10: 2 x (W + 2 H d_h L) + d x vocab = 90,624 and 90,880
    assert w.macs == 678_144 + 90_624 + 90_880 == 859_648


@pytest.mark.parametrize("model_type, act, gated", [
    ("nemotron", "relu2", False), ("gpt_neox", "silu", False), ("phi3", "gelu", True),
    ("my-new-type", "silu", True), ("my-new-type", "gelu", False), ("gemma2", None, True)])
def test_an_mlp_is_gated_by_its_model_type_then_by_its_activation(model_type, act, gated):
    from cimsim.workload.llm_options import gated_mlp

    assert gated_mlp({"model_type": model_type, "hidden_act": act}) is gated


def test_the_gated_mlp_tables_agree_with_the_installed_transformers():
    """Each listed type's MLP module has a gate projection iff the table says gated (transformers
    5.24's modeling_<type>.py); a type the installed transformers lacks is skipped."""
    pytest.importorskip("transformers")
    import importlib
    import inspect

    from cimsim.workload.llm_options import GATED_MLP_TYPES, PLAIN_MLP_TYPES

    checked = 0
    for t in sorted(GATED_MLP_TYPES | PLAIN_MLP_TYPES):
        try:
            mod = importlib.import_module(f"transformers.models.{t}.modeling_{t}")
        except ImportError:
            continue
        src = "".join(inspect.getsource(getattr(mod, n)) for n in dir(mod) if n.endswith("MLP"))
        if not src:  # OPT writes its FFN in the decoder layer (fc1, fc2)
            src = inspect.getsource(mod)
        has_gate = "gate_proj" in src or "gate_up_proj" in src
        assert has_gate is (t in GATED_MLP_TYPES), t
        checked += 1
    assert checked >= 30


def test_an_hf_model_shape_transformers_refuses_is_one_line(tmp_path):
    """transformers validates its configs with its own error classes (huggingface_hub's
    StrictDataclassClassValidationError is no ValueError): was a 59-line traceback."""
    pytest.importorskip("transformers")
    r = CliRunner().invoke(main, ["workload", "llm", "--hf-model", "llama", "--heads", "5",
                                  "--prompt", "8", "--decode", "2", "-o", str(tmp_path / "x.npz")])
    assert r.exit_code == 1, r.output
    lines = [ln for ln in r.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and "transformers' llama config refused the shape" in lines[0], r.output
    assert "not a multiple of the number of attention heads (5)" in lines[0]


def test_runs_that_differ_in_a_requests_length_have_different_names():
    """The default name listed only the longest prompt and decode (P48-D6 for prompts 32, 48
    and for 48, 48): two rows of one name in a compare table."""
    names = {llm_serving(TINY, prompt=p, decode=d, batch=2).name
             for p, d in (([32, 48], [4, 6]), (48, 6), ([48, 32], [4, 6]), ([32, 48], [6, 6]))}
    assert len(names) == 4
    assert llm_serving(TINY, prompt=48, decode=6, batch=2).name.endswith("-P48-D6-fp16")
    assert llm_serving(TINY, prompt=[32, 48], decode=[4, 6], batch=2).name.endswith("-P32_48-D4_6-fp16")
    # micro-batches: the name counts the whole batch and all requests (it gave B4 beside the
    # R3 of one micro-batch for --batch 4 --requests 6 --micro-batches 2)
    mb = llm_serving(TINY, prompt=4, decode=1, batch=4, requests=6, pipeline_parallel=2, micro_batches=2)
    assert "-B4-R6-static-pp2-mb2-" in mb.name
    # past four requests: the range and a checksum of the list
    a = llm_serving(TINY, prompt=[8, 9, 10, 11, 12], decode=1, batch=5).name
    b = llm_serving(TINY, prompt=[8, 10, 9, 11, 12], decode=1, batch=5).name
    assert "-P8..12~" in a and "-P8..12~" in b and a != b and a.endswith("-D1-fp16")


def test_hf_config_multi_query_and_kv_head_names_and_moe(tmp_path):
    mistral_like = {"model_type": "mistral", "hidden_size": 64, "num_hidden_layers": 1,
                    "num_attention_heads": 16, "num_key_value_heads": 4, "intermediate_size": 128,
                    "vocab_size": 100}
    """Falcon states MQA as ``multi_query: true`` (one K/V head; Falcon-7B: 71 query heads) and
    its new architecture as ``num_kv_heads``; its FFN as ``ffn_hidden_size``, OPT's as
    ``ffn_dim`` (was: every head its own K/V, 71 x the cache of Falcon-7B)."""
    falcon7b = {"model_type": "falcon", "hidden_size": 4544, "num_hidden_layers": 32,
                "num_attention_heads": 71, "num_kv_heads": 71, "multi_query": True,
                "new_decoder_architecture": False, "ffn_hidden_size": 18176, "vocab_size": 65024}
    m = model_from_hf(falcon7b)
    assert (m.heads, m.kv_heads, m.head_dim, m.ffn, m.gated) == (71, 1, 64, 18176, False)
    # Falcon-40B: the new decoder architecture, 128 query heads over 8 K/V heads
    falcon40b = {**falcon7b, "hidden_size": 8192, "num_attention_heads": 128, "num_kv_heads": 8,
                 "new_decoder_architecture": True, "ffn_hidden_size": 32768}
    assert model_from_hf(falcon40b).kv_heads == 8
    # multi_query false, old architecture: every head its own K/V
    assert model_from_hf({**falcon7b, "multi_query": False}).kv_heads == 71
    opt = {"model_type": "opt", "hidden_size": 1024, "num_hidden_layers": 24, "num_attention_heads": 16,
           "ffn_dim": 8192, "vocab_size": 50272, "activation_function": "relu"}
    assert model_from_hf(opt).ffn == 8192
    mixtral = {"model_type": "mixtral", "hidden_act": "silu", "hidden_size": 4096, "num_hidden_layers": 32,
               "num_attention_heads": 32, "num_key_value_heads": 8, "intermediate_size": 14336,
               "vocab_size": 32000, "num_local_experts": 8, "num_experts_per_tok": 2}
    with pytest.raises(WorkloadError, match=r"mixture of experts \(num_local_experts=8\)"):
        model_from_hf(mixtral)
    # the expert count left to the model type's default (a trimmed Mixtral file) is one too:
    # it was read as a dense, non-gated model, which the tracer refuses (found 2026-12-05)
    trimmed = {k: v for k, v in mixtral.items()
               if k not in ("num_local_experts", "num_experts_per_tok", "hidden_act")}
    if importlib.util.find_spec("transformers") is not None:
        with pytest.raises(WorkloadError, match=r"mixture of experts \(num_local_experts=8, the "
                                                r"model type default\)"):
            model_from_hf(trimmed)
    import sys

    saved = sys.modules.get("transformers")
    sys.modules["transformers"] = None  # without transformers: refused by the model type
    try:
        with pytest.raises(WorkloadError, match=r"mixture of experts \(model_type mixtral\)"):
            model_from_hf(trimmed)
    finally:
        if saved is None:
            del sys.modules["transformers"]
        else:
            sys.modules["transformers"] = saved
    # a key given twice in a config.json: the last value won (a tester, 2026-12-05)
    cfg = tmp_path / "dup.json"
    cfg.write_text('{"model_type": "llama", "hidden_size": 256, "hidden_size": 512, '
                   '"num_hidden_layers": 1, "num_attention_heads": 4, "vocab_size": 100}')
    r = CliRunner().invoke(main, ["workload", "llm", "--hf-config", str(cfg), "--prompt", "4",
                                  "--decode", "1", "-o", str(tmp_path / "w.json")])
    assert r.exit_code == 1 and r.output.strip() == (
        f"Error: {cfg}: key 'hidden_size' is given twice in one object (JSON would keep only the "
        "last value); give each key once")
    # errors name the config's keys and values (a new user, 2026-12-05)
    with pytest.raises(WorkloadError, match=r"the HF config's hidden_size \('2048'\) and "
                                            r"num_attention_heads \(16\) must be integers >= 1"):
        model_from_hf({**mistral_like, "hidden_size": "2048"})
    # a Falcon config names its heads n_head and num_kv_heads: the error uses its own keys
    falcon = {"model_type": "falcon", "hidden_size": 64, "num_hidden_layers": 1, "n_head": 16,
              "num_kv_heads": 5, "new_decoder_architecture": True, "vocab_size": 100}
    with pytest.raises(WorkloadError, match=r"kv_heads=5 \(the HF config's num_kv_heads\) must "
                                            r"divide heads=16 \(n_head\)"):
        model_from_hf(falcon)
    with pytest.raises(WorkloadError, match=r"kv_heads=5 \(the HF config's num_key_value_heads\) "
                                            r"must divide heads=16"):
        model_from_hf({**mistral_like, "num_key_value_heads": 5})
    # a sliding attention window (Mistral-7B v0.1's 4,096) is not modelled: a request past it
    # ran as full attention with no word (a new user, 2026-12-05); off (Qwen2's
    # use_sliding_window false) or null: no limit
    mistral = {"model_type": "mistral", "hidden_size": 64, "num_hidden_layers": 1,
               "num_attention_heads": 4, "num_key_value_heads": 2, "intermediate_size": 128,
               "vocab_size": 100, "sliding_window": 16}
    m = model_from_hf(mistral)
    assert m.window == 16
    llm_serving(m, prompt=12, decode=4)
    with pytest.raises(WorkloadError, match="a request of prompt 12 and decode 5 reaches 17 tokens, "
                                            "past the model's sliding attention window of 16"):
        llm_serving(m, prompt=12, decode=5)
    # static batching pads request 0 (12 + 2 = 14 tokens) to its batch's longest decode, 5:
    # 12 + 5 = 17, past 16; the error names the padding (review 1, finding 1); continuous runs
    with pytest.raises(WorkloadError, match=r"^llm: batching=static runs request 0's row \(prompt "
                                            r"12, decode 2\) for its batch's longest decode 5: 17 "
                                            r"positions, past the model's sliding attention window "
                                            r"of 16 tokens \(sliding_window; not modelled\); use "
                                            r"batching=continuous, or batch"):
        llm_serving(m, prompt=[12, 4], decode=[2, 5], batch=2, batching="static")
    llm_serving(m, prompt=[12, 4], decode=[2, 5], batch=2, batching="continuous")
    assert model_from_hf({**mistral, "sliding_window": None}).window is None
    assert model_from_hf({**mistral, "use_sliding_window": False}).window is None
    # an encoder-decoder (BART: d_model, encoder_/decoder_attention_heads) is refused by name, not
    # as a config that "has none of num_attention_heads, n_head"
    bart = {"model_type": "bart", "is_encoder_decoder": True, "d_model": 1024, "decoder_layers": 12,
            "decoder_attention_heads": 16, "vocab_size": 50265}
    with pytest.raises(WorkloadError,
                       match=r"encoder-decoder model \(bart\); the generator builds decoder-only"):
        model_from_hf(bart)


def test_shape_options_over_an_hf_config_rederive_what_it_leaves_out(tmp_path):
    """GPT-2's config has no FFN width (n_inner null: 4 x n_embd) and no head width (n_embd /
    n_head): `--hf-config gpt2.json --hidden 64 --heads 4` is a 64-wide model with FFN 256 and
    heads of 16, as transformers makes it (it kept GPT-2 small's 3072 and 64: 10x the MACs of
    `trace --serve` with the same fields). Explicit fields of the config stay."""
    gpt2 = {"model_type": "gpt2", "n_embd": 768, "n_layer": 12, "n_head": 12, "n_inner": None,
            "vocab_size": 50257, "activation_function": "gelu_new"}
    path = tmp_path / "gpt2.json"
    path.write_text(json.dumps(gpt2))
    out = tmp_path / "w.npz"
    r = CliRunner().invoke(main, ["workload", "llm", "--hf-config", str(path), "--layers", "1", "--hidden",
                                  "64", "--heads", "4", "--vocab", "100", "--prompt", "8", "--decode", "1",
                                  "-o", str(out)])
    assert r.exit_code == 0, r.output
    p = load_workload(out).metadata["params"]
    assert (p["hidden"], p["heads"], p["kv_heads"], p["ffn"], p["head_dim"], p["gated"]) == (
        64, 4, 4, 256, 16, False)
    # an explicit intermediate_size and head_dim stay (Llama's config states both)
    llama = {"model_type": "llama", "hidden_act": "silu", "hidden_size": 4096, "num_hidden_layers": 32,
             "num_attention_heads": 32, "intermediate_size": 11008, "head_dim": 128, "vocab_size": 32000}
    path.write_text(json.dumps(llama))
    r = CliRunner().invoke(main, ["workload", "llm", "--hf-config", str(path), "--layers", "1", "--hidden",
                                  "256", "--heads", "4", "--prompt", "8", "--decode", "1", "-o", str(out)])
    assert r.exit_code == 0, r.output
    p = load_workload(out).metadata["params"]
    assert (p["hidden"], p["heads"], p["kv_heads"], p["ffn"], p["head_dim"]) == (256, 4, 4, 11008, 128)
    # a config stating its K/V heads (Mistral: 8) keeps them: --heads 4 alone is refused, saying
    # what to add (was: "kv_heads=8 must divide heads=4")
    path.write_text(json.dumps({**llama, "num_key_value_heads": 8}))
    r = CliRunner().invoke(main, ["workload", "llm", "--hf-config", str(path), "--heads", "4", "-o", str(out)])
    assert r.exit_code == 1 and ("kv_heads=8 (the HF config's num_key_value_heads) must divide "
                                 "heads=4 (num_attention_heads) (the config states its key/value "
                                 "heads: give --kv-heads with --heads)") in r.output
    r = CliRunner().invoke(main, ["workload", "llm", "--hf-config", str(path), "--layers", "1", "--heads", "4",
                                  "--kv-heads", "2", "--prompt", "8", "--decode", "1", "-o", str(out)])
    assert r.exit_code == 0, r.output


@pytest.mark.parametrize("kw, msg", [
    (dict(prompt=[1, 2], decode=1, batch=3), "the per-request lengths give 2 requests, fewer than "
                                             "batch=3: .* give batch=2, or 3 lengths"),
    (dict(prompt=[1, 2], decode=1, batch=1, requests=3), "prompt lists 2 lengths for 3 request"),
    (dict(prompt=0, decode=1), "prompt lengths must be integers >= 1"),
    (dict(prompt=1, decode=1, batching="orca"), "batching 'orca' is not one of static, continuous"),
    (dict(prompt=1, decode=1, requests=0), "requests must be an integer >= 1"),
])
def test_bad_parameters_are_one_line_errors(kw, msg):
    with pytest.raises(WorkloadError, match=msg):
        llm_serving(TINY, **kw)
    with pytest.raises(WorkloadError, match="kv_heads=3 must divide heads=8"):
        LLMModel(layers=1, hidden=32, heads=8, kv_heads=3, ffn=8, vocab=8, head_dim=4, gated=True)


def test_live_bytes_counts_one_cache_not_the_sum_of_steps():
    w = llm_serving(TINY, prompt=64, decode=32, batch=1, dtype="fp32")
    caches = float(w.tensor_nbytes[w.columns.tensor_role == ROLE_INPUT].sum())
    # the last step's K and V of one layer: 2 x 96 tokens x 8 x 4 B = 6144 B; summed over
    # steps and layers the caches are far more, and the live peak is far less
    assert caches > 2 * 2 * 32 * 65 * 8 * 4
    assert w.peak_live_activation_bytes < w.activation_bytes - caches / 2


def test_cli_llm_from_hf_config(tmp_path):
    cfg = tmp_path / "config.json"
    cfg.write_text(json.dumps({"model_type": "llama", "hidden_act": "silu", "hidden_size": 32,
                               "num_hidden_layers": 2, "num_attention_heads": 8,
                               "num_key_value_heads": 2, "intermediate_size": 48, "vocab_size": 20}))
    out = tmp_path / "w.json"
    r = CliRunner().invoke(main, ["workload", "llm", "--hf-config", str(cfg), "--prompt", "3,4",
                                  "--decode", "2", "--batch", "2", "--dtype", "fp32", "-o", str(out)])
    assert r.exit_code == 0, r.output
    w = load_workload(out)
    assert w.macs == llm_serving(TINY, prompt=[3, 4], decode=2, batch=2, dtype="fp32").macs
    assert w.metadata["llm"]["step_tokens"] == [2, 2, 2]
    r = CliRunner().invoke(main, ["workload", "llm", "--hidden", "32", "-o", str(out)])
    assert r.exit_code != 0 and "give --hf-config or --hf-model, or --layers, --heads, --vocab" in r.output
    assert "Traceback" not in r.output


# --------------------------------------------------------------------------- PIM on the KV cache
def _pim(**kw) -> dict:
    # 2 channels (ROUND_ARCH) x 4 units: 16 GMAC/s; internal 8 x 2 GB/s = 16 GB/s
    return {"units_per_channel": 4, "clock": "1 GHz", "macs_per_cycle": 2, "internal_bandwidth": "2 GB/s",
            "energy_per_mac": "1 pJ", "energy_per_bit": "0.5 pJ/bit", **kw}


def _kv_workload(big_host_read: bool = False) -> Workload:
    """x -> copy -> q; scores = q . K (K a model input: 2 heads x 32 x 256 fp32 = 65,536 B);
    optionally an independent host reduction over a 1 MiB input."""
    t = [("x", (1, 64), "input"), ("q", (2, 1, 32), "activation"),
         ("K", (2, 32, 256), "input"), ("s", (2, 1, 256), "activation")]
    from cimsim.workload import Op, Tensor

    ops = [Op("qgen", "copy", ("x",), ("q",)),
           Op("scores", "matmul", ("q", "K"), ("s",), m=1, k=32, n=256, batch=2)]
    if big_host_read:
        t += [("Y", (262144,), "input"), ("y", (1,), "activation")]
        ops.append(Op("host", "reduction", ("Y",), ("y",)))
    return Workload("kv", [Tensor(n, s, "fp32", r) for n, s, r in t], ops)


def test_default_pim_leaves_kv_attention_on_the_host():
    pl = place(_kv_workload(), make_arch(pim=_pim()))
    assert pl.unit_names.tolist() == ["processor", "processor"]


def test_pim_claims_the_kv_matmul_and_reads_the_cache_in_the_banks():
    arch = make_arch(pim=_pim(claims=["kv_cache"]))
    w = _kv_workload()
    pl = place(w, arch)
    assert pl.unit_names.tolist() == ["processor", "pim"]
    r = simulate(arch, w)
    ops = r.op_table.set_index("op")
    # 65,536 B / 16 GB/s = 4.096 us > 16,384 MACs / 16 GMAC/s = 1.024 us
    assert ops.loc["scores", "compute_s"] == pytest.approx(65536 / 16e9, rel=1e-12, abs=0)
    # only q (256 B) and the scores (2 x 256 x 4 = 2,048 B) cross the external bus
    assert ops.loc["scores", "dram_bytes"] == 256 + 2048
    assert ops.loc["scores", "fixed_latency_s"] == pytest.approx(100e-9, rel=1e-12, abs=0)
    assert r.energy_breakdown_j["pim_compute"] == pytest.approx(16384e-12 + 65536 * 8 * 0.5e-12, rel=1e-12, abs=0)


def test_gqa_needs_max_rows_of_the_group():
    w = llm_serving(TINY, prompt=4, decode=2, batch=1, dtype="fp32")  # g = 4 query rows per product
    assert place(w, make_arch(pim=_pim(claims=["kv_cache"]))).unit_names.tolist().count("pim") == 0
    pl = place(w, make_arch(pim=_pim(claims=["kv_cache"], max_rows=4)))
    # scores and context of 2 layers x 2 steps; nothing of the prefill (its keys are activations)
    assert pl.unit_names.tolist().count("pim") == 2 * 2 * 2


def test_blocked_mode_adds_the_pim_bank_time_to_the_shared_level():
    w = _kv_workload(big_host_read=True)
    con = simulate(make_arch(pim=_pim(claims=["kv_cache"])), w)
    blk = simulate(make_arch(pim=_pim(claims=["kv_cache"], sharing="blocked")), w)
    # the host's 1 MiB read and the PIM op share dram from the same instant; blocked, the
    # level also carries the PIM op's 4.096 us of bank time (work-conserving sharing)
    assert blk.latency_s - con.latency_s == pytest.approx(65536 / 16e9, rel=1e-9, abs=0)
    assert blk.traffic_bytes["dram"] == con.traffic_bytes["dram"]  # no bytes counted for the hold
    # and only the static energy of the longer run (1 W processor, no PIM static power) differs
    assert blk.energy_j - con.energy_j == pytest.approx(1.0 * (blk.latency_s - con.latency_s), rel=1e-6, abs=0)


def test_separate_mode_moves_pim_io_over_its_link():
    link = {"bandwidth": "100 GB/s", "latency": "10 ns", "energy_per_bit": "1 pJ/bit"}
    arch = make_arch(pim=_pim(claims=["kv_cache"], sharing="separate"), interconnect=link)
    r = simulate(arch, _kv_workload())
    ops = r.op_table.set_index("op")
    assert ops.loc["scores", "dram_bytes"] == 0
    assert ops.loc["scores", "interconnect_bytes"] == 256 + 2048
    assert ops.loc["scores", "fixed_latency_s"] == pytest.approx(10e-9, rel=1e-12, abs=0)


@pytest.mark.parametrize("sharing, claims", [("separate", ["kv_cache"]), ("separate", ["weights"]),
                                             ("concurrent", ["kv_cache"])])
def test_a_kv_append_goes_where_the_cache_is(sharing, claims):
    """In separate sharing with kv_cache claimed the cache lives in the PIM device: each host
    qkv op's append (store_bytes = tokens x 2 H_kv d_h x 4 B) crosses the device's link, not
    the host's DRAM (it landed in the host's DRAM). Otherwise the cache is the host's: DRAM."""
    link = {"bandwidth": "100 GB/s", "latency": "10 ns", "energy_per_bit": "1 pJ/bit"}
    extra = {"link": "interconnect"} if sharing == "separate" else {}
    arch = make_arch(pim=_pim(claims=claims, sharing=sharing, **extra), interconnect=link)
    w = llm_serving(TINY, prompt=4, decode=3, batch=2, dtype="fp32")
    r = simulate(arch, w)
    ops = r.op_table
    qkv = ops[[n.endswith(".qkv") for n in ops["op"]]]
    store = w.arrays.store_bytes[qkv.index.to_numpy()]
    assert (store > 0).all() and list(qkv["unit"].unique()) == ["processor"]
    on_link = sharing == "separate" and "kv_cache" in claims
    assert arch.hardware.cache_link == ("interconnect" if on_link else None)
    # the host's own traffic of the op (its weights, activations) is the same either way
    plain = simulate(make_arch(pim=_pim(claims=claims, sharing="concurrent"), interconnect=link), w).op_table
    base = plain.loc[qkv.index]
    if on_link:
        np.testing.assert_array_equal(qkv["interconnect_bytes"], store)
        np.testing.assert_allclose(qkv["dram_bytes"], base["dram_bytes"] - store, rtol=1e-12, atol=0)
    else:
        np.testing.assert_array_equal(qkv["interconnect_bytes"], 0)
        np.testing.assert_array_equal(qkv["dram_bytes"], base["dram_bytes"])


def test_two_components_holding_the_kv_cache_are_refused():
    link = {"bandwidth": "100 GB/s", "latency": "10 ns", "energy_per_bit": "1 pJ/bit"}
    pim = _pim(claims=["kv_cache"], sharing="separate", link="interconnect")
    # refused when the config loads, a one-line ConfigError (it was a ValueError from .hardware)
    with pytest.raises(ConfigError, match="pim2: components 'pim' \\(over link 'interconnect'\\) and "
                       "'pim2' \\(over link 'interconnect'\\) each hold the KV cache in a memory of "
                       "their own; at most one component may"):
        make_arch(pim=pim, pim2={**pim, "type": "pim"}, interconnect=link)


def test_power_cap_and_bank_level_bandwidth():
    w = _kv_workload()
    # dynamic energy 16,384 x 1 pJ + 65,536 x 8 x 0.5 pJ = 278,528 pJ; at 10 mW: 27.8528 us
    r = simulate(make_arch(pim=_pim(claims=["kv_cache"], power_cap="10 mW")), w)
    assert r.op_table.set_index("op").loc["scores", "compute_s"] == pytest.approx(27.8528e-6, rel=1e-12, abs=0)
    # 8 units x 4 banks x 0.5 GB/s = 16 GB/s, as 8 x 2 GB/s
    bank = _pim(claims=["kv_cache"], banks_per_unit=4, bank_bandwidth="0.5 GB/s")
    del bank["internal_bandwidth"]
    r2 = simulate(make_arch(pim=bank), w)
    assert r2.op_table.set_index("op").loc["scores", "compute_s"] == pytest.approx(65536 / 16e9, rel=1e-12, abs=0)


@pytest.mark.parametrize("kw, msg", [
    (dict(banks_per_unit=4, bank_bandwidth="1 GB/s"), "exactly one of internal_bandwidth"),
    (dict(sharing="separate"), "link"),
    (dict(claims=["weights", "weights"]), "at most once"),
    (dict(sharing="sometimes"), "sharing"),
])
def test_bad_pim_config_is_a_config_error(kw, msg):
    with pytest.raises(ConfigError, match=msg):
        make_arch(pim=_pim(**kw))


# --------------------------------------------------------------------------- serving report
def test_serving_metrics_of_a_chain_on_one_processor(round_arch):
    from cimsim.report import columns as C

    P, D = [4, 6], [3, 1]
    w = llm_serving(TINY, prompt=P, decode=D, batch=2, dtype="fp32")
    r = simulate(round_arch, w)
    sv = r.serving
    ends = w.metadata["llm"]["step_end_ops"]
    dur = r.op_table["duration_s"].to_numpy()
    # one server, one op at a time: an iteration ends after the sum of its and earlier ops' times
    t = [dur[:e + 1].sum() for e in ends]  # prefill, step 0, 1, 2
    assert sv[C.TTFT_S] == pytest.approx(t[0], rel=1e-9, abs=0)  # both first tokens from the prefill
    # request 0: 3 more tokens, the last at step 2; request 1: 1 more, at step 0
    assert sv[C.TPOT_S] == pytest.approx(((t[3] - t[0]) / 3 + (t[1] - t[0]) / 1) / 2, rel=1e-9, abs=0)
    # tokens: 2 from the prefill, then 2 + 1 + 1 over the three steps = 6
    assert sv[C.TOKENS_PER_S] == pytest.approx(6 / r.latency_s, rel=1e-12, abs=0)
    assert sv[C.TOKENS_PER_J] == pytest.approx(6 / r.energy_j, rel=1e-12, abs=0)
    # decode: 4 tokens over the three steps, from the prefill's end to the last step's
    assert sv[C.DECODE_TOKENS_PER_S] == pytest.approx(4 / (t[3] - t[0]), rel=1e-9, abs=0)
    rec = r.record()
    assert all(c in rec for c in C.SERVING_COLUMNS)


def test_continuous_batching_fills_free_slots_static_waits_for_an_empty_batch():
    P, D = [2, 3, 4], [1, 3, 2]
    cont = llm_serving(TINY, prompt=P, decode=D, batch=2, requests=3, batching="continuous")
    stat = llm_serving(TINY, prompt=P, decode=D, batch=2, requests=3, batching="static")
    # by hand: continuous: prefill {0,1}, step {0,1} (0 done), prefill {2}, step {1,2},
    # step {1,2} (both done); static: prefill {0,1}, steps {0,1} x3 (request 0's row runs on
    # after its one token, padded, until 1 is done: it counts no token), prefill {2}, {2} {2}
    assert cont.metadata["llm"]["step_kind"] == ["prefill", "decode", "prefill", "decode", "decode"]
    assert cont.metadata["llm"]["step_tokens"] == [2, 2, 1, 2, 2]
    assert stat.metadata["llm"]["step_kind"] == ["prefill", "decode", "decode", "decode", "prefill",
                                                  "decode", "decode"]
    assert stat.metadata["llm"]["step_tokens"] == [2, 2, 1, 1, 1, 1, 1]
    assert stat.metadata["llm"]["output_tokens"] == [2, 4, 3]
    # continuous: each request alone, summed; static: request 0 computed for its batch's 3 steps
    per = [serving_macs(TINY, [p], [d]) for p, d in zip(P, D)]
    assert cont.macs == sum(per) == serving_macs(TINY, P, D)
    assert stat.macs == serving_macs(TINY, P, [3, 3, 2]) > cont.macs
    # and so the KV cache read: sum over rows and steps of 2 layers x 2 x (P+k+1) x 8 x 2 B
    kv = lambda dd: 2 * 2 * sum(p + k + 1 for p, d in zip(P, dd) for k in range(d)) * 8 * 2
    # (the other model inputs are the prompts' token ids, 2 B each)
    assert _input_bytes_by_op(cont).sum() == kv(D) + 2 * sum(P)
    assert _input_bytes_by_op(stat).sum() == kv([3, 3, 2]) + 2 * sum(P)


def test_other_workloads_have_no_serving_columns(round_arch):
    from conftest import gemv_workload

    from cimsim.report import columns as C

    r = simulate(round_arch, gemv_workload(64, 64))
    assert r.serving == {} and not set(C.SERVING_COLUMNS) & set(r.record())


def test_compare_prints_and_writes_the_serving_table(tmp_path):
    wpath = tmp_path / "w.npz"
    from cimsim.workload import save_workload

    save_workload(llm_serving(TINY, prompt=4, decode=2, batch=2, dtype="fp16"), wpath)
    out = tmp_path / "cmp.csv"
    r = CliRunner(env={"COLUMNS": "200"}).invoke(
        main, ["compare", "gpu-hbm3", "hbm-pim", "-w", str(wpath), "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert "LLM serving" in r.output and "time to first token" in r.output
    import pandas as pd

    df = pd.read_csv(out)
    assert (df["tokens_per_s"] > 0).all() and (df["ttft_s"] > 0).all()


def test_compare_serving_table_gives_the_p99_of_ttft_and_tpot(tmp_path):
    """compare's LLM serving table gave only the means, which hide the request that waits behind
    two prefills and a slot (README's 4-request continuous run: TTFT mean 630.8 us, max 1.325 ms).
    The p99 of 4 values by linear interpolation lies at rank 0.99 * 3 = 2.97 of the sorted
    values: v3 + 0.97 (v4 - v3)."""
    import json

    wpath = tmp_path / "w.npz"
    r = CliRunner().invoke(main, ["workload", "llm", "--layers", "2", "--hidden", "512", "--heads", "8",
                                  "--ffn", "1024", "--vocab", "1000", "--prompt", "16,64,32,8",
                                  "--decode", "4,8,2,6", "--batch", "2", "--batching", "continuous",
                                  "-o", str(wpath)])
    assert r.exit_code == 0, r.output
    run = json.loads(CliRunner().invoke(main, ["run", "gpu-hbm3", str(wpath), "--json"]).output)
    from cimsim.report.format import si

    p99 = {}
    for key in ("request_ttft_s", "request_tpot_s"):
        v = sorted(run[key])
        p99[key] = v[2] + 0.97 * (v[3] - v[2])
    assert run["ttft_p99_s"] == pytest.approx(p99["request_ttft_s"], rel=1e-12, abs=0)
    assert run["ttft_p99_s"] > 1.5 * run["ttft_s"]  # the spread the mean hides
    r = CliRunner(env={"COLUMNS": "250"}).invoke(main, ["compare", "gpu-hbm3", "-w", str(wpath)])
    assert r.exit_code == 0, r.output
    serving = r.output.split("LLM serving", 1)[1]
    head = next(ln for ln in serving.splitlines() if "time to first token" in ln)
    cells = [c.strip() for c in head.split("┃")[1:-1]]
    assert cells[2:6] == ["time to first token", "TTFT p99", "time per output token", "TPOT p99"]
    row = next(ln for ln in serving.splitlines() if "gpu-hbm3" in ln)
    values = [c.strip() for c in row.split("│")[1:-1]]
    assert values[2:6] == [si(run["ttft_s"], "s"), si(p99["request_ttft_s"], "s"),
                           si(run["tpot_s"], "s"), si(p99["request_tpot_s"], "s")]


def test_compare_under_the_analytic_engine_says_its_serving_times_are_lower_bounds(tmp_path):
    """Analytic TTFT / TPOT / decode tokens/s take ops alone; when the busiest unit sets a longer
    latency, decode tokens/s exceeds what tokens/s implies. `run` said so in a note; the
    `compare` table printed the numbers with nothing beside them."""
    from cimsim.workload import save_workload

    wpath = tmp_path / "w.npz"
    m = LLMModel(layers=2, hidden=512, heads=8, kv_heads=8, ffn=2048, vocab=1000, head_dim=64, gated=True)
    save_workload(llm_serving(m, prompt=64, decode=8, batch=4), wpath)
    from cimsim import load_architecture
    from cimsim.bundled import resolve_config

    r = simulate(load_architecture(resolve_config("gpu-hbm3")), load_workload(wpath), engine="analytic")
    assert r.latency_s > r.critical_path_s  # the case: the processor's queue, not the path, sets it
    res = CliRunner(env={"COLUMNS": "200"}).invoke(
        main, ["compare", "gpu-hbm3", "-w", str(wpath), "--engine", "analytic"])
    assert res.exit_code == 0, res.output
    assert ("analytic engine: time to first token, time per output token and decode tokens/s of "
            "1 run(s)") in res.output
    assert "use --engine des" in res.output
    res = CliRunner(env={"COLUMNS": "200"}).invoke(main, ["compare", "gpu-hbm3", "-w", str(wpath)])
    assert res.exit_code == 0 and "analytic engine" not in res.output


def test_sub_batches_split_a_step_into_independent_chains_with_the_same_work():
    one = llm_serving(TINY, prompt=[2, 3, 4], decode=2, batch=3)
    two = llm_serving(TINY, prompt=[2, 3, 4], decode=2, batch=3, sub_batches=2)
    assert one.macs == two.macs == serving_macs(TINY, [2, 3, 4], [2, 2, 2])
    step = list(two.ops)[_step_ops(two, 0)]
    # each sub-batch ({0}, {1, 2}) runs its own qkv per layer: 2 layers x 2 sub-batches
    assert sum(op.tags.get("part") == "qkv_proj" for op in step) == 4
    # and so reads every weight matrix twice per step
    a = two.arrays
    s0 = _step_ops(two, 0)
    assert a.weight_bytes[s0].sum() == 2 * one.arrays.weight_bytes[_step_ops(one, 0)].sum()
    with pytest.raises(WorkloadError, match="sub_batches must be an integer >= 1"):
        llm_serving(TINY, prompt=2, decode=1, sub_batches=0)
    # more sub-batches than requests ever running at once: refused, not silently fewer (the
    # name said sb3 and the metadata sub_batches 3 while every step ran 2 chains)
    with pytest.raises(WorkloadError, match=r"sub_batches=3 exceeds the requests that run at once \(2\)"):
        llm_serving(TINY, prompt=2, decode=1, batch=2, sub_batches=3)
    with pytest.raises(WorkloadError, match=r"\(1\)"):
        llm_serving(TINY, prompt=2, decode=1, batch=1, requests=1, sub_batches=2)


# --------------------------------------------------------------------------- tensor parallelism
def test_tensor_parallel_shard_and_allreduces():
    m = LLMModel(layers=2, hidden=32, heads=8, kv_heads=2, ffn=48, vocab=20, head_dim=4, gated=True)
    full = llm_serving(m, prompt=4, decode=2, batch=2, dtype="fp16")
    tp4 = llm_serving(m, prompt=4, decode=2, batch=2, tensor_parallel=4, dtype="fp16")
    # heads 8 -> 2, kv heads 2 -> 1 (replicated: 4 devices, 2 KV heads), ffn 48 -> 12, vocab 20 -> 5
    from cimsim.workload.llm import shard

    s = shard(m, 4)
    assert (s.heads, s.kv_heads, s.ffn, s.vocab) == (2, 1, 12, 5)
    assert tp4.macs == serving_macs(s, [4, 4], [2, 2])
    # with kv_heads >= N every part splits evenly: a device does a quarter of the MACs
    m4 = LLMModel(layers=2, hidden=32, heads=8, kv_heads=4, ffn=48, vocab=20, head_dim=4, gated=True)
    assert 4 * llm_serving(m4, prompt=4, decode=2, batch=2, tensor_parallel=4).macs == \
        llm_serving(m4, prompt=4, decode=2, batch=2).macs
    # replicated KV heads: each device computes its own K and V head: per token and layer
    # d x d_h x (2 x 1 - 2 x 2 / 4) = 128 MACs more than a quarter; 2 layers x (2 x 4 prompt
    # tokens + 2 x 2 decode tokens) = 24 token-layers
    assert 4 * tp4.macs - full.macs == 4 * 128 * 24
    kinds = [op.kind for op in tp4.ops]
    # per pass: 2 layers x 2 all-reduces + 1 for the sampled tokens; 3 passes (prefill + 2 steps)
    assert kinds.count("allreduce") == 3 * (2 * 2 + 1)
    step = list(tp4.ops)[_step_ops(tp4, 0)]
    ar = [op for op in step if op.kind == "allreduce" and op.tags.get("layer") == 0]
    # each sums the 2 requests' rows of the hidden state: 2 x 32 x 2 B = 128 B
    assert [tp4.tensors[op.inputs[0]].nbytes for op in ar] == [128, 128]
    # which field it fails and the parallelisms that work (a tester, 2026-12-05)
    with pytest.raises(WorkloadError, match=r"llm: tensor_parallel=3 does not divide heads=8 .*; "
                                            r"it may be 1, 2, 4"):
        llm_serving(m, prompt=4, decode=1, tensor_parallel=3)


def _tp_arch(topology: str = "ring", **collective):
    from conftest import ROUND_ARCH

    import copy

    from cimsim.config import architecture_from_dict

    d = copy.deepcopy(ROUND_ARCH)
    # an HBM-like DRAM: a collective reads its input and writes its output in the devices'
    # memory (find-E 4); at 1 TB/s that stays under the link's time, which these tests check
    d["memory"]["dram"]["bandwidth"] = "1 TB/s"
    d["links"] = {"nvlink": {"bandwidth": "100 GB/s", "latency": "1 us", "energy_per_bit": "1 pJ/bit"}}
    d["collective"] = {"devices": 4, "topology": topology, **collective}
    return architecture_from_dict(d)


@pytest.mark.parametrize("topology, steps", [("ring", 6), ("switch", 2)])
def test_allreduce_moves_2_n_minus_1_over_n_bytes_over_the_link(topology, steps):
    from cimsim.workload import Op, Tensor

    # one all-reduce of 1 MiB fp32 over 4 devices: 2 x 3/4 x 1 MiB = 1.5 MiB over the link
    w = Workload("ar", [Tensor("p", (262144,), "fp32", "input"),
                        Tensor("s", (262144,), "fp32", "activation")],
                 [Op("ar", "allreduce", ("p",), ("s",))])
    r = simulate(_tp_arch(topology), w)
    assert r.traffic_bytes["nvlink"] == 1.5 * 2 ** 20
    # 1.5 MiB / 100 GB/s + steps x 1 us
    assert r.latency_s == pytest.approx(1.5 * 2 ** 20 / 100e9 + steps * 1e-6, rel=1e-12, abs=0)
    assert r.ops_per_unit == {"processor": 0, "collective": 1}


def test_collective_protocols_pick_by_size_and_charge_their_latency_and_wire_bytes():
    """NCCL-style regimes: below 1 MB the LL protocol (base 6 us + 6 steps x 0.5 us, a flag per
    data word: 2x the bytes on the wire), above it Simple (base 8 us + 6 x 3 us, the data)."""
    import copy

    from cimsim.config import architecture_from_dict
    from cimsim.workload import Op, Tensor
    from conftest import ROUND_ARCH

    d = copy.deepcopy(ROUND_ARCH)
    # an HBM-like DRAM: a collective reads its input and writes its output in the devices'
    # memory (find-E 4); at 1 TB/s that stays under the link's time, which these tests check
    d["memory"]["dram"]["bandwidth"] = "1 TB/s"
    d["links"] = {"nvlink": {"bandwidth": "100 GB/s", "latency": "1 us", "energy_per_bit": "1 pJ/bit"}}
    d["collective"] = {"devices": 4, "protocols": [
        {"name": "LL", "up_to": "1 MB", "base_latency": "6 us", "hop_latency": "0.5 us",
         "wire_efficiency": 0.5},
        {"name": "Simple", "base_latency": "8 us", "hop_latency": "3 us"}]}
    arch = architecture_from_dict(d)

    def one(n_fp32):
        w = Workload("ar", [Tensor("p", (n_fp32,), "fp32", "input"),
                            Tensor("s", (n_fp32,), "fp32", "activation")],
                     [Op("ar", "allreduce", ("p",), ("s",))])
        return simulate(arch, w)

    small, large = one(1000), one(1_000_000)  # 4 kB (LL) and 4 MB (Simple)
    assert small.traffic_bytes["nvlink"] == pytest.approx(1.5 * 4000 / 0.5, rel=1e-12, abs=0)
    assert small.latency_s == pytest.approx(6e-6 + 6 * 0.5e-6 + 1.5 * 4000 / 0.5 / 100e9, rel=1e-12, abs=0)
    assert large.traffic_bytes["nvlink"] == pytest.approx(1.5 * 4e6, rel=1e-12, abs=0)
    assert large.latency_s == pytest.approx(8e-6 + 6 * 3e-6 + 1.5 * 4e6 / 100e9, rel=1e-12, abs=0)
    d["collective"]["protocols"][0].pop("up_to")
    with pytest.raises(ConfigError, match="up_to"):
        architecture_from_dict(d)
    # an up_to on the last protocol would be ignored (it runs every larger all-reduce): refused
    d["collective"]["protocols"] = [{"name": "LL", "up_to": "4096 B", "base_latency": "5 us",
                                     "hop_latency": "0.6 us", "wire_efficiency": 0.5}]
    with pytest.raises(ConfigError) as exc:
        architecture_from_dict(d)
    assert "protocols: the last protocol (LL) runs every all-reduce above the others' up_to, so " \
           "it takes no up_to (got 4096 B); omit it, or add a protocol for the larger all-reduces" \
        in str(exc.value)
    # limits out of order say their units; two protocols of one name are refused
    d["collective"]["protocols"] = [
        {"name": "LL", "up_to": "1 MB", "base_latency": "5 us", "hop_latency": "0.6 us"},
        {"name": "LL128", "up_to": "64 kB", "base_latency": "8 us", "hop_latency": "1 us"},
        {"name": "Simple", "base_latency": "10 us", "hop_latency": "1 us"}]
    with pytest.raises(ConfigError, match=r"ascending \(got 1e\+06 B, 64000 B, none\)"):
        architecture_from_dict(d)
    d["collective"]["protocols"][1].update(name="LL", up_to="4 MB")
    with pytest.raises(ConfigError, match=r"protocols: each needs a name of its own \(got LL, LL, Simple\)"):
        architecture_from_dict(d)


def test_a_collective_with_nothing_to_run_says_the_run_is_one_devices():
    """A 4-device group on a workload with no collective op (generated without --tensor-parallel)
    ran one device's work in silence, its numbers read as the group's: now a note says so."""
    import copy

    from cimsim.config import architecture_from_dict
    from conftest import ROUND_ARCH, gemv_workload

    d = copy.deepcopy(ROUND_ARCH)
    # an HBM-like DRAM: a collective reads its input and writes its output in the devices'
    # memory (find-E 4); at 1 TB/s that stays under the link's time, which these tests check
    d["memory"]["dram"]["bandwidth"] = "1 TB/s"
    d["links"] = {"nvlink": {"bandwidth": "100 GB/s", "latency": "1 us", "energy_per_bit": "1 pJ/bit"}}
    d["collective"] = {"devices": 4}
    r = simulate(architecture_from_dict(d), gemv_workload(64, 64))
    assert r.ops_per_unit["collective"] == 0
    assert r.claim_notes == ["collective (4 devices) runs no op: the workload has no all-reduce, "
                             "all-gather or send/recv, so it is one device's run (generate it with "
                             "--tensor-parallel / --pipeline-parallel for the group's)"]


def test_allreduce_without_a_collective_component_is_an_error(round_arch):
    from cimsim.errors import MappingError
    from cimsim.workload import Op, Tensor

    w = Workload("ar", [Tensor("p", (4,), "fp32", "input"), Tensor("s", (4,), "fp32", "activation")],
                 [Op("ar", "allreduce", ("p",), ("s",))])
    # the workload named too: `compare` of several stops at the first pair it cannot place
    with pytest.raises(MappingError, match="architecture 'round', workload 'ar': no component runs "
                                           "op 'ar' \\(kind allreduce\\)"):
        place(w, round_arch)


def test_collective_needs_a_link(round_arch):
    from conftest import assert_prefills_follow_the_iteration_before, make_arch

    with pytest.raises(ConfigError, match="collective.link"):
        make_arch(collective={"devices": 2})


# --------------------------------------------------------------------------- fast assembly
def _columns_equal(a: Workload, b: Workload) -> None:
    ca, cb = a.columns, b.columns
    for f in ("shape_ptr", "shape_dims", "tensor_dtype", "tensor_role", "kind", "in_ptr", "in_ids",
              "out_ptr", "out_ids", "m", "k", "n", "batch", "weight", "fn", "generic_macs"):
        assert np.array_equal(getattr(ca, f), getattr(cb, f)), f
    assert np.array_equal(ca.ops_per_element, cb.ops_per_element, equal_nan=True)
    assert ca.tensor_names.tolist() == cb.tensor_names.tolist()
    assert ca.op_names.tolist() == cb.op_names.tolist()
    assert [op.tags for op in a.ops] == [op.tags for op in b.ops]
    assert a.metadata == b.metadata


@pytest.mark.parametrize("kw", [
    dict(prompt=3, decode=8, batch=2),
    dict(prompt=[3, 5, 2], decode=[9, 4, 7], batch=3),
    dict(prompt=[3, 5, 2, 4, 3], decode=[9, 4, 7, 6, 12], batch=3, requests=5, batching="continuous"),
    dict(prompt=[3, 5, 2, 4], decode=[9, 4, 7, 6], batch=2, requests=4),
    dict(prompt=[3, 5], decode=10, batch=2, attention="padded"),
    dict(prompt=[3, 5, 6], decode=10, batch=3, sub_batches=2),
    dict(prompt=[3, 5], decode=10, batch=2, tensor_parallel=4),
    dict(prompt=[3, 5], decode=10, batch=2, tensor_parallel=2, pipeline_parallel=2),
])
def test_replicated_decode_stretches_equal_the_op_by_op_build(kw):
    slow = llm_serving(TINY, **kw, replicate=False)
    fast = llm_serving(TINY, **kw)
    assert len(fast) == len(slow)
    _columns_equal(fast, slow)


def test_bundled_gpu_hbm_pim_attn_runs_exactly_the_decode_attention_on_pim():
    from cimsim import load_architecture
    from cimsim.bundled import resolve_config

    arch = load_architecture(resolve_config("gpu-hbm-pim-attn"))
    w = llm_serving(TINY, prompt=[4, 6], decode=3, batch=2)  # g = 4 query heads per KV head
    pl = place(w, arch)
    on_pim = [op.tags["part"] for op, u in zip(w.ops, pl.unit_names) if u == "pim"]
    # scores and context, 2 requests x 2 layers x 3 steps; the prefill's stay on the GPU
    assert sorted(on_pim) == ["context"] * 12 + ["scores"] * 12
    assert all(op.tags["phase"] == "decode" for op, u in zip(w.ops, pl.unit_names) if u == "pim")


def test_sweep_of_a_serving_run_has_the_serving_columns(tmp_path):
    import pandas as pd

    from cimsim.workload import save_workload

    wpath = tmp_path / "w.json"
    save_workload(llm_serving(TINY, prompt=4, decode=2, batch=2), wpath)
    out = tmp_path / "s.parquet"
    r = CliRunner().invoke(main, ["sweep", "gpu-hbm3", "-w", str(wpath), "--param",
                                  "memory.dram.bandwidth=1TB/s,2TB/s", "-o", str(out)])
    assert r.exit_code == 0, r.output
    df = pd.read_parquet(out)
    assert len(df) == 2 and (df["tpot_s"] > 0).all() and (df["decode_tokens_per_s"] > 0).all()


# --------------------------------------------------------------------------- against a traced model
@pytest.mark.torch
def test_decode_step_macs_equal_a_traced_hugging_face_llama_step():
    """The generator's decode step and the tracer's Llama decode step (zoo ``llama-decode``: a
    transformers LlamaForCausalLM built from its config, one token against a cache of S) do the
    same MACs; the generator's caches hold the S cached tokens plus the step's own row."""
    pytest.importorskip("transformers")
    from cimsim import zoo
    from cimsim.zoo.hf import _LM

    S = 16
    traced = zoo.trace_zoo("llama-decode", cache=S)
    m = model_from_hf({"model_type": "llama", "hidden_act": "silu", **_LM})
    w = llm_serving(m, prompt=S, decode=1, batch=1, dtype="fp32")
    assert w.op_macs[_step_ops(w, 0)].sum() == traced.macs
    cache = sum(t.nbytes for t in traced.tensors.values()
                if t.role == "input" and t.name.startswith(("cache.", "past_key_values")))
    kvd = m.kv_heads * m.head_dim
    assert _input_bytes_by_op(w)[_step_ops(w, 0)].sum() == cache + 2 * m.layers * kvd * 4


@pytest.mark.torch
def test_hf_model_type_gives_its_default_shape(tmp_path):
    pytest.importorskip("transformers")
    from cimsim.workload.llm import model_from_hf_type

    m = model_from_hf_type("mistral")  # Mistral-7B: 32 layers, 4096, 32 heads, 8 KV heads
    assert (m.layers, m.hidden, m.heads, m.kv_heads, m.ffn, m.vocab, m.gated) == (
        32, 4096, 32, 8, 14336, 32000, True)
    out = tmp_path / "w.npz"
    r = CliRunner().invoke(main, ["workload", "llm", "--hf-model", "gpt2", "--layers", "2",
                                  "--prompt", "4", "--decode", "1", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert load_workload(out).metadata["params"]["hidden"] == 768
    r = CliRunner().invoke(main, ["workload", "llm", "--hf-model", "nope", "-o", str(out)])
    assert r.exit_code != 0 and "transformers knows no model type 'nope'" in r.output
    # a type with no causal LM (an image encoder, T5) is one line naming it (was "the HF config
    # has none of vocab_size" / "of num_attention_heads, n_head")
    for t in ("vit", "t5"):
        r = CliRunner().invoke(main, ["workload", "llm", "--hf-model", t, "-o", str(out)])
        assert r.exit_code == 1 and f"no causal language model of type '{t}'" in r.output


def test_serving_table_marks_a_precision_mismatch(tmp_path):
    """The serving table marks an 8-bit CIM on an fp16 run (!p), as the main table does (it
    did not: the mark was on one table and not the other)."""
    from cimsim.workload import save_workload

    wpath = tmp_path / "w.npz"
    save_workload(llm_serving(TINY, prompt=4, decode=2, batch=2, dtype="fp16"), wpath)
    r = CliRunner(env={"COLUMNS": "200"}).invoke(main, ["compare", "sram-cim", "-w", str(wpath),
                                                        "--engine", "analytic"])
    assert r.exit_code == 0, r.output
    serving = r.output.split("LLM serving", 1)[1]
    assert "sram-cim (!p)" in serving


# ------------------------------------------------------------------ an encoder cannot serve
#: BERT-base's config.json fields (bert-base-uncased: 12 layers, 768 wide, 12 heads, FFN 3072)
_BERT = {"model_type": "bert", "architectures": ["BertForMaskedLM"], "hidden_size": 768,
         "num_hidden_layers": 12, "num_attention_heads": 12, "intermediate_size": 3072,
         "vocab_size": 30522, "hidden_act": "gelu", "is_decoder": False}


def test_an_encoder_only_hf_config_is_refused_in_one_line(tmp_path):
    """`--hf-config` of BERT built a decoder-only serving run from BERT's shape (was: 12 layers of
    KV-cached decode). BERT is bidirectional: serving decodes token by token and needs a decoder.
    A BERT trained as a decoder says so (`is_decoder: true`) and runs."""
    with pytest.raises(WorkloadError, match=r"encoder-only model \(bert: bidirectional attention, "
                                            r"is_decoder is not true\); serving decodes token by token"):
        model_from_hf(_BERT)
    path, out = tmp_path / "bert.json", tmp_path / "w.npz"
    path.write_text(json.dumps(_BERT))
    r = CliRunner().invoke(main, ["workload", "llm", "--hf-config", str(path), "--layers", "1",
                                  "--prompt", "4", "--decode", "1", "-o", str(out)])
    assert r.exit_code == 1 and not out.exists()
    assert len(r.output.strip().splitlines()) == 1 and "Traceback" not in r.output
    assert "encoder-only model (bert" in r.output
    m = model_from_hf({**_BERT, "is_decoder": True})
    assert (m.layers, m.hidden, m.heads, m.kv_heads, m.ffn, m.gated) == (12, 768, 12, 12, 3072, False)


@pytest.mark.torch
@pytest.mark.parametrize("model_type, flag", [("bert", "is_decoder"), ("roberta", "is_decoder"),
                                               ("xlm", "causal")])
def test_hf_model_of_an_encoder_is_refused_in_one_line(tmp_path, model_type, flag):
    # transformers has a "causal LM" for each (BertLMHeadModel, RobertaForCausalLM,
    # XLMWithLMHeadModel): the encoder with a causal mask, which their default configs do not ask for
    pytest.importorskip("transformers")
    out = tmp_path / "w.npz"
    r = CliRunner().invoke(main, ["workload", "llm", "--hf-model", model_type, "--layers", "1",
                                  "--prompt", "4", "--decode", "1", "-o", str(out)])
    assert r.exit_code == 1 and not out.exists(), r.output
    assert len(r.output.strip().splitlines()) == 1 and "Traceback" not in r.output
    assert (f"encoder-only model ({model_type}: bidirectional attention, {flag} is not true); "
            "serving decodes token by token, which needs a decoder") in r.output


# --------------------------------------------------------------------------- iterations in order
@pytest.mark.parametrize("kw", [
    dict(batching="static"), dict(batching="continuous"), dict(batching="static", sub_batches=2),
    dict(batching="continuous", attention="padded"), dict(batching="static", replicate=False),
])
def test_a_queued_requests_prefill_waits_for_the_iteration_that_frees_its_slot(kw):
    # static, batch 2 of 4 requests: prefill {0,1}, steps, prefill {2,3}, steps: 1 later prefill;
    # continuous: request 0 (2 steps) and 1 (4 steps) leave at different steps: 2 later prefills
    w = llm_serving(TINY, prompt=[3, 5, 4, 6], decode=[2, 4, 5, 3], batch=2, requests=4, **kw)
    assert assert_prefills_follow_the_iteration_before(w) == (1 if kw["batching"] == "static" else 2)


@pytest.mark.parametrize("config", ["gpu-hbm-pim-attn", "sram-cim"])
@pytest.mark.parametrize("batching", ["static", "continuous"])
def test_a_queued_request_starts_after_the_step_before_it_on_a_machine_with_idle_units(config, batching):
    """With a second unit idle (PIM, CIM) the DES used to start a queued request's prefill at
    time 0, beside the batch it waits for (its prompt was a fresh model input)."""
    from cimsim.config import load_architecture

    w = llm_serving(TINY, prompt=[3, 5, 4, 6], decode=[2, 4, 5, 3], batch=2, requests=4,
                    batching=batching)
    r = simulate(load_architecture(config), w)
    t = r.op_table
    start, end = t["start_s"].to_numpy(), t["end_s"].to_numpy()
    llm = w.metadata["llm"]
    for i, kind in enumerate(llm["step_kind"]):
        if kind == "prefill" and i > 0:
            s = _iteration_ops(w, i)
            assert start[s].min() >= end[llm["step_end_ops"][i - 1]]
    if batching == "static":  # the second batch's first tokens come after the first's last
        first, last = llm["first_token_ops"], llm["last_token_ops"]
        assert min(end[first[2]], end[first[3]]) > max(end[last[0]], end[last[1]])


def test_a_batch_larger_than_the_requests_and_a_head_width_rounded_down_are_refused():
    """--requests 1 --batch 2 served one request and reported llm_batch 2; --hidden 63 --heads 4
    made heads 15 wide (attention 60 of 63), where trace --zoo refuses the config."""
    with pytest.raises(WorkloadError, match=r"requests=1 is fewer than batch=2: a batch holds at "
                                            r"most the requests there are; give batch=1"):
        llm_serving(TINY, prompt=4, decode=1, batch=2, requests=1)
    from cimsim.workload.llm import model_from_hf

    with pytest.raises(WorkloadError, match=r"hidden 63 is not a multiple of heads 4, and no head_dim "
                                            r"is given"):
        model_from_hf({"model_type": "gpt2", "n_embd": 63, "n_head": 4, "n_layer": 1, "vocab_size": 64})
    assert model_from_hf({"model_type": "gemma", "hidden_size": 63, "num_attention_heads": 4,
                          "head_dim": 16, "num_hidden_layers": 1, "vocab_size": 64,
                          "intermediate_size": 8}).head_dim == 16  # a stated head_dim stands



@pytest.mark.parametrize("args, says", [
    (["--hidden", "100", "--heads", "3"], "--hidden 100 is not a multiple of --heads 3: give --head-dim"),
    (["--hidden", "4", "--heads", "8"], "--hidden 4 is not a multiple of --heads 8"),
    (["--hidden", "96", "--heads", "0"], "--heads must be >= 1, got 0"),
])
def test_workload_llm_shape_options_refuse_a_head_width_rounded_down(tmp_path, args, says):
    """`workload llm --hidden 100 --heads 3` wrote 33-wide heads (W_o 99 x 100) with exit 0,
    where --hf-config with the same fields is refused."""
    from click.testing import CliRunner

    from cimsim.cli import main

    base = ["workload", "llm", "--layers", "1", "--vocab", "50", "--ffn", "64", "--prompt", "4",
            "--decode", "1", "-o", str(tmp_path / "x.json")]
    r = CliRunner().invoke(main, base + args)
    assert r.exit_code == 1 and says in r.output and "Traceback" not in r.output
    ok = CliRunner().invoke(main, base + args[:4] + ["--head-dim", "33"]) if args[3] == "3" else None
    assert ok is None or ok.exit_code == 0  # a stated head width stands


def test_a_traced_share_names_the_config_keys_it_cannot_split():
    """`trace --serve --tensor-parallel 3` on a config.json said `llm: tensor_parallel=3 must
    divide heads=8 and ffn=1408`: the generator's prefix and names, the same text whichever
    failed, no parallelism that works (a tester, 2026-12-05)."""
    transformers = pytest.importorskip("transformers")
    from cimsim.zoo.serve_parallel import _shard_overrides

    cfg = transformers.LlamaConfig(hidden_size=64, num_attention_heads=8, num_key_value_heads=4,
                                   intermediate_size=1408, num_hidden_layers=1, vocab_size=100)
    with pytest.raises(WorkloadError, match=r"^--serve: tensor_parallel=3 does not divide "
                                            r"num_attention_heads=8 and intermediate_size=1408 and "
                                            r"num_key_value_heads=4 "
                                            r"\(nor a multiple of it\); it may be 1, 2, 4, 8$"):
        _shard_overrides(cfg, {}, 3)


@pytest.mark.parametrize("attention", ["per-request", "padded"])
def test_a_static_batch_computes_every_row_until_its_longest_request_ends(round_arch, attention):
    # 8 requests of prompt 2048, seven of 8 decode steps and one of 128: a static batch (HF
    # generate, FasterTransformer) runs all 8 rows, the finished ones' padded, for 128 steps,
    # so it does exactly the work of 8 requests all decoding 128; only its real tokens count
    from cimsim.report import columns as C

    kw = dict(prompt=2048, batch=8, attention=attention, dtype="fp32")
    mixed = llm_serving(TINY, decode=[8] * 7 + [128], **kw)
    full = llm_serving(TINY, decode=128, **kw)
    assert len(mixed.ops) == len(full.ops)
    assert mixed.macs == full.macs == serving_macs(TINY, [2048] * 8, [128] * 8)
    assert [(o.kind, o.macs) for o in mixed.ops] == [(o.kind, o.macs) for o in full.ops]
    llm = mixed.metadata["llm"]
    assert llm["step_tokens"] == [8] + [8] * 8 + [1] * 120  # the prefill, then the decode steps
    assert llm["output_tokens"] == [9] * 7 + [129]
    rm, rf = simulate(round_arch, mixed), simulate(round_arch, full)
    assert rm.latency_s == pytest.approx(rf.latency_s, rel=1e-12, abs=0)
    tokens = 8 + 7 * 8 + 128  # 192 real tokens, not 8 x 129
    assert rm.serving[C.TOKENS_PER_S] == pytest.approx(tokens / rm.latency_s, rel=1e-12, abs=0)


def test_per_request_lengths_imply_the_request_count_and_errors_name_the_fix(tmp_path):
    out = tmp_path / "e.npz"
    base = ["workload", "llm", "--layers", "2", "--hidden", "32", "--heads", "8", "--ffn", "48",
            "--vocab", "20", "-o", str(out)]
    # two lengths each, no --requests: two requests, --batch at its documented default of 1
    r = CliRunner().invoke(main, [*base, "--prompt", "16,32", "--decode", "4,8"])
    assert r.exit_code == 0, r.output
    p = load_workload(out).metadata["params"]
    assert (p["requests"], p["batch"], p["prompt"], p["decode"]) == (2, 1, [16, 32], [4, 8])
    # inconsistent with a --requests given: the fix named is the lists' count
    r = CliRunner().invoke(main, [*base, "--prompt", "16,32", "--decode", "4,8", "--requests", "3"])
    assert r.exit_code == 1 and "Traceback" not in r.output
    assert r.output.strip() == ("Error: llm: --prompt lists 2 lengths for 3 request(s); give one "
                                "length, or one per request, or --requests 2")
    r = CliRunner().invoke(main, [*base, "--prompt", "16,32", "--decode", "4,8,2"])
    assert r.exit_code == 1 and "--prompt lists 2 lengths and --decode lists 3: give" in r.output
