"""The serving trace of a Hugging Face decoder (zoo/serve.py, ``cimsim trace --serve``) against
the serving generator (``cimsim workload llm``) for the same model and options.

Goldens are closed-form arithmetic written out in the comments. The tiny Llama of the zoo
(``_LM``): 2 layers, hidden d = 32, 4 query heads of d_h = 8, 2 KV heads (g = 2, so
d / g = H_kv d_h = 16), FFN 64 (gated), vocabulary 128; fp32 (4 bytes).
"""

from __future__ import annotations

import os
import re

import numpy as np
import pytest
from click.testing import CliRunner

pytest.importorskip("transformers")
os.environ["HF_HUB_OFFLINE"] = "1"
pytestmark = [pytest.mark.torch]

from cimsim.cli import main  # noqa: E402
from cimsim.errors import WorkloadError  # noqa: E402
from cimsim.workload import Workload, load_workload, save_workload  # noqa: E402
from cimsim.workload.llm import llm_serving, model_from_hf, serving_macs  # noqa: E402
from cimsim.zoo.hf import _GPT2, _LM  # noqa: E402
from cimsim.zoo.serve import trace_serving  # noqa: E402

# continuous: the finished request leaves the batch (a static batch runs its row to the end:
# test_a_traced_static_batch_runs_every_row_to_its_longest_decode)
LLAMA = dict(prompt=[5, 7], decode=[6, 3], batch=2, dtype="fp32", batching="continuous")


@pytest.fixture(scope="module")
def llama():
    traced = trace_serving("llama", **LLAMA)
    model = model_from_hf({"model_type": "llama", "hidden_act": "silu", **_LM})
    return traced, model, llm_serving(model, **LLAMA)


def _iterations(w: Workload) -> list[slice]:
    ends = w.metadata["llm"]["step_end_ops"]
    return [slice(0 if i == 0 else ends[i - 1] + 1, e + 1) for i, e in enumerate(ends)]


def _matmul_weight_bytes(w: Workload, s: slice) -> int:
    return sum(w.tensors[op.weight].nbytes for op in list(w.ops)[s]
               if op.kind == "matmul" and op.weight is not None)


@pytest.mark.slow
def test_every_iteration_has_the_generators_macs(llama):
    traced, model, gen = llama
    t, g = traced.metadata["llm"], gen.metadata["llm"]
    assert t["step_kind"] == g["step_kind"] == ["prefill"] + ["decode"] * 6
    assert t["step_tokens"] == g["step_tokens"] == [2, 2, 2, 2, 1, 1, 1]
    assert t["step_macs"] == g["step_macs"]
    # decode step 0 by hand: W = d (H + 2 H_kv) d_h + H d_h d + 3 d ffn
    #   = 32*8*8 + 32*32 + 3*32*64 = 2048 + 1024 + 6144 = 9216 per token and layer;
    # keys 5+1 and 7+1: layers (2 W + 2 H d_h (6 + 8)) + 2 d vocab
    #   = 2 (18432 + 64*14) + 2*32*128 = 38656 + 8192 = 46848
    assert t["step_macs"][1] == 46848
    assert traced.macs == serving_macs(model, [5, 7], [6, 3])
    # prefill traced at 8, 12 and 16 tokens, decode at caches of 8 and 9: prompts of 5 and 7
    # and caches of 5 ... 10 come from them
    assert traced.metadata["traces"]["count"] == 5


@pytest.mark.slow
def test_a_traced_static_batch_runs_every_row_to_its_longest_decode(llama):
    # a static batch (HF generate) keeps computing the 3-step request's row, padded, until the
    # 6-step one ends: the MACs of both requests decoding 6, traced as generated; the tokens
    # counted are the requests' own (7 + 4: the prefill's and 6 + 3 decode steps'), so the
    # steps' counted tokens are those of the continuous run
    _, model, _ = llama
    kw = {**LLAMA, "batching": "static"}
    traced, gen = trace_serving("llama", **kw), llm_serving(model, **kw)
    t, g = traced.metadata["llm"], gen.metadata["llm"]
    assert t["step_tokens"] == g["step_tokens"] == [2, 2, 2, 2, 1, 1, 1]
    assert t["output_tokens"] == g["output_tokens"] == [7, 4]
    assert traced.macs == gen.macs == serving_macs(model, [5, 7], [6, 6])
    # the continuous run of the same requests does less: its 3-step row leaves after step 3
    assert serving_macs(model, [5, 7], [6, 6]) > llama[0].macs


@pytest.mark.slow
def test_weights_are_read_once_per_iteration_as_the_generator_reads_them(llama):
    traced, _, gen = llama
    for st, sg in zip(_iterations(traced), _iterations(gen)):
        # q, k, v, o, gate, up, down per layer and the LM head, each read once:
        # 2 x (32*64 + 32*32 + 3*32*64) x 4 B + 32*128 x 4 B = 2 x 9216 x 4 + 16384 = 90112 B
        assert _matmul_weight_bytes(traced, st) == _matmul_weight_bytes(gen, sg) == 90112


@pytest.mark.slow
def test_kv_cache_of_L_tokens_is_read_once_per_step_and_layer_as_L_d_over_g(llama):
    traced, _, gen = llama
    readers = np.bincount(traced.arrays.input_ids, minlength=len(traced.tensors))
    names = list(traced.tensors)
    cache = [i for i, n in enumerate(names) if ".cache.layers[" in n]
    assert cache and all(readers[i] == 1 for i in cache)  # each cache tensor read by one op
    # cat K, cat V and the K scale; K and V are not expanded to every query head (transformers
    # passes enable_gqa to SDPA, whose kernels read the KV heads in place, and so does the trace)
    assert traced.metadata["folded_ops_per_decode_step"] == 2 * 3
    for step in range(6):
        running = [r for r, d in enumerate([6, 3]) if step < d]
        # L = the c = P_r + step cached tokens and this step's own row, appended in place
        keys = [[5, 7][r] + step + 1 for r in running]
        for layer in range(2):
            pat = re.compile(rf"^it{step}\.decode\.r\d+\.cache\.layers\[{layer}\]\.(keys|values)$")
            got = sum(traced.tensors[n].nbytes for n in names if pat.match(n))
            # K and V: 2 x sum_r L_r x d / g x 4 B (step 0: 2 x (6 + 8) x 16 x 4 = 1792 B)
            assert got == 2 * sum(keys) * 16 * 4
            gpat = re.compile(rf"^it{step}\.decode\.l{layer}\.r\d+\.[KV]_cache$")
            assert got == sum(gen.tensors[n].nbytes for n in gen.tensors if gpat.match(n))
    # the attention matmuls read the cache itself, a KV head's g = 2 query heads as its rows
    scores = next(op for op in traced.ops if op.name == "it0.decode.r0.model.layers.0.self_attn.bmm")
    assert scores.inputs[1] == "it0.decode.r0.cache.layers[0].keys"
    assert (scores.batch, scores.m, scores.k, scores.n) == (2, 2, 8, 6)


@pytest.mark.slow
def test_the_capacity_check_holds_the_traced_caches_as_the_generated_ones(llama):
    # static batch of prompts 5 and 7, 6 and 3 decode steps: the caches resident at once are
    # largest at step 2, 8 + 10 = 18 tokens; 2 (K, V) x 2 layers x 18 x d / g (16) x 4 B
    from cimsim.workload.footprint import peak_kv_cache_bytes
    traced, _, gen = llama
    assert peak_kv_cache_bytes(traced) == peak_kv_cache_bytes(gen) == 2 * 2 * 18 * 16 * 4


@pytest.mark.slow
def test_traced_kv_appends_store_the_generators_bytes(llama):
    # every appended K and V row is stored once: prompts 5 + 7 (the prefill) and 6 + 3 decode
    # steps (one row a running request a step) = 21 tokens; 2 (K, V) x 2 layers x 21 x
    # H_kv 2 x d_h 8 x 4 B = 5376 B, per iteration as the generator's qkv ops state them
    traced, _, gen = llama
    assert traced.arrays.store_bytes.sum() == gen.arrays.store_bytes.sum() == 2 * 2 * 21 * 2 * 8 * 4
    per_it = [[int(w.arrays.store_bytes[s].sum()) for s in _iterations(w)] for w in (traced, gen)]
    # prefill 12 tokens; decode steps of 2 running requests, then 1
    assert per_it[0] == per_it[1] == [2 * 2 * t * 16 * 4 for t in (12, 2, 2, 2, 1, 1, 1)]
    # stated on the K and V projections (Llama: k_proj, v_proj, 12 rows each a layer), not on
    # HF's cache concatenation (folded into the attention)
    pre = {op.name: op.tags["store_bytes"] for op in traced.ops
           if op.tags.get("store_bytes") and op.tags["phase"] == "prefill"}
    assert pre == {f"it0.prefill.model.layers.{i}.self_attn.{p}_proj.mm": 12 * 16 * 4
                   for i in (0, 1) for p in "kv"}


@pytest.mark.slow
def test_a_traced_prefill_holds_the_caches_it_has_written(llama):
    # no request runs before the prefill: its first op holds decode step 0's caches
    # ((5+1) + (7+1) = 14 tokens a layer) less the rows that step appends (one a request: 2)
    # less all the prefill writes (5 + 7 = 12): 0 B; after layer 0's k_proj its 12 K rows
    # (12 x 16 x 4 B); at its end the prompts' 12 tokens, 2 (K, V) x 2 layers x 12 x 16 x 4 B =
    # 3072 B, as tests/mapping/test_kv_capacity.py's generator case (until 2026-12-06 the rule
    # also held the decode step's own 2 rows: 512 B from the first op, 14 tokens at the end)
    from cimsim.workload.footprint import kv_cache_mask, kv_cache_profile
    traced, _, gen = llama
    pt, pg = (kv_cache_profile(w, kv_cache_mask(w)) for w in (traced, gen))
    et, eg = (w.metadata["llm"]["step_end_ops"][0] for w in (traced, gen))
    assert pt[0] == pg[0] == 0
    assert pt[et] == pg[eg] == 2 * 2 * 12 * 16 * 4
    k0 = next(i for i, op in enumerate(traced.ops) if op.name.endswith("layers.0.self_attn.k_proj.mm"))
    assert pt[k0] == pt[0] + 12 * 16 * 4


@pytest.mark.slow
def test_a_traced_later_prefill_holds_the_running_requests_caches_as_they_stand():
    # continuous batching, 2 slots: requests 0 (prompt 4, decode 6) and 1 (prompt 3, decode 1)
    # are prefilled and decode one step (request 0's cache 4 + 1 = 5 rows; request 1 ends),
    # then request 2 (prompt 3) is prefilled beside request 0. One token's K and V, both
    # layers: 2 x 2 x 16 x 4 B = 256 B. At that prefill's first op request 0 holds its 5 rows
    # (the next decode step's 6 + 4 less the 2 rows it appends less the prefill's 3), at its
    # last op 5 + 3: the traced prefill's own K/V rows are not taken for the step's
    from cimsim.workload.footprint import kv_cache_mask, kv_cache_profile
    kw = dict(prompt=[4, 3, 3], decode=[6, 1, 2], batch=2, dtype="fp32", batching="continuous")
    row = 2 * 2 * 16 * 4
    for w in (trace_serving("llama", **kw),
              llm_serving(model_from_hf({"model_type": "llama", "hidden_act": "silu", **_LM}), **kw)):
        llm = w.metadata["llm"]
        second = [i for i, k in enumerate(llm["step_kind"]) if k == "prefill"][1]
        lo, hi = llm["step_end_ops"][second - 1] + 1, llm["step_end_ops"][second]
        assert [op.tags["phase"] for op in (w.ops[lo], w.ops[hi])] == ["prefill", "prefill"]
        prof = kv_cache_profile(w, kv_cache_mask(w))
        assert (prof[lo], prof[hi]) == (5 * row, (5 + 3) * row)


@pytest.mark.slow
def test_a_prefill_alone_and_gpt2_store_the_generators_bytes():
    # no decode step: the prompt's rows are still stored (2 x 2 layers x 4 x 16 x 4 B); GPT-2
    # (one c_attn makes Q, K and V; MHA: 2 L d = 2 x 32 a token a layer) as its generator
    for zoo_name, cfg, kw, closed in (
            ("llama", {"model_type": "llama", "hidden_act": "silu", **_LM},
             dict(prompt=[4], decode=0, batch=1, dtype="fp32"), 2 * 2 * 4 * 16 * 4),
            ("gpt2", {"model_type": "gpt2", **_GPT2},
             dict(prompt=[3, 4], decode=[2, 5], batch=2, dtype="fp16", batching="continuous"),
             2 * 2 * 14 * 32 * 2)):
        traced, gen = trace_serving(zoo_name, **kw), llm_serving(model_from_hf(cfg), **kw)
        assert traced.arrays.store_bytes.sum() == gen.arrays.store_bytes.sum() == closed, zoo_name


@pytest.mark.slow
def test_pim_runs_the_traced_decode_attention(llama):
    from cimsim import load_architecture, simulate
    from cimsim.bundled import resolve_config

    traced, _, _ = llama
    r = simulate(load_architecture(resolve_config("gpu-hbm-pim-attn")), traced, keep_ops=False)
    # scores and context per running request, layer and decode step: 2 x 2 x (2 x 3 + 1 x 3) = 36
    assert r.ops_per_unit["pim"] == 36


def test_a_fused_op_merged_over_requests_carries_a_chain_per_input_and_output(llama, tmp_path):
    """trace/fuse.py tags a fused op's dependent ops per input and output (chain_in / chain_out);
    --serve merges a request-independent op over the batch and splits its outputs per request:
    the prefill's RoPE (q x cos + rotate_half(q) x sin, fused: chain 3) of the 5- and 7-token
    prompts reads one (1, 4, 12, 8) q and writes (1, 4, 5, 8) and (1, 4, 7, 8), so its chain_out
    is [3, 3] (it was [3], one per unsplit output: 'tag chain_out = [3] is not allowed')."""
    traced, _, _ = llama
    tagged = [o for o in traced.ops if "chain_in" in o.tags or "chain_out" in o.tags]
    assert tagged
    for o in tagged:
        assert len(o.tags["chain_in"]) == len(o.inputs) and len(o.tags["chain_out"]) == len(o.outputs), o.name
    # q's RoPE (4 query heads; k's reads the 2 KV heads, which repeat_kv's copy then reads whole)
    (rope,) = [o for o in traced.ops if o.name.startswith("it0.prefill.model.layers.0.self_attn.fused")
               and traced.tensors[o.inputs[0]].shape == (1, 4, 12, 8)]
    assert [traced.tensors[t].shape for t in rope.outputs] == [(1, 4, 5, 8), (1, 4, 7, 8)]
    assert rope.tags["chain_ops"] == 3 and rope.tags["chain_out"] == [3, 3]
    # the graph depth reads the lists (a mismatch is refused), and a saved file loads
    save_workload(traced, tmp_path / "s.npz")
    assert load_workload(tmp_path / "s.npz").graph_depth == traced.graph_depth
    assert traced.graph_depth[0] >= traced.graph_depth[1] > 0


def test_serve_past_max_position_embeddings_is_a_note(tmp_path):
    # review 15-2 item 5: workload llm notes a request past a rotary model's
    # max_position_embeddings; trace --serve was silent. 20 + 3 = 23 positions > 16
    out = tmp_path / "s.json"
    r = CliRunner().invoke(main, ["trace", "--zoo", "hf:llama", "--serve", "--prompt", "20",
                                  "--decode", "3", "--param", "num_hidden_layers=1",
                                  "--param", "hidden_size=64", "--param", "intermediate_size=128",
                                  "--param", "num_attention_heads=4", "--param", "num_key_value_heads=2",
                                  "--param", "vocab_size=100", "--param", "max_position_embeddings=16",
                                  "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert ("note: --serve: a request of prompt 20 and decode 3 reaches 23 positions, past the "
            "config's max_position_embeddings of 16") in r.output
    assert "reaches 23 positions" in load_workload(out).metadata["context_note"]
    # review 15-2 item 1: on gpu-hbm-pim-attn the prefill's attention over the K and V it has just
    # projected (RoPE'd: elementwise ops) stays on the host with no note telling a --serve run
    # to trace with --serve; the decode steps' products run on the PIM units
    r = CliRunner().invoke(main, ["run", "gpu-hbm-pim-attn", str(out)], env={"COLUMNS": "300"})
    assert r.exit_code == 0, r.output
    assert "without a weight stay on the host" not in r.output


@pytest.mark.slow
def test_continuous_padded_and_mha_match_the_generator_and_replicas_equal_the_op_by_op_build():
    kw = dict(prompt=[3, 4, 3], decode=[8, 5, 9], batch=2, requests=3, batching="continuous",
              dtype="fp32")
    fast = trace_serving("gpt2", **kw)
    slow = trace_serving("gpt2", **kw, replicate=False)
    assert len(fast) == len(slow) and fast.macs == slow.macs
    for f in ("shape_dims", "kind", "in_ids", "out_ids", "m", "k", "n", "batch", "weight"):
        assert np.array_equal(getattr(fast.columns, f), getattr(slow.columns, f)), f
    assert fast.columns.op_names.tolist() == slow.columns.op_names.tolist()
    assert fast.metadata["llm"] == slow.metadata["llm"]
    gpt2 = model_from_hf({"model_type": "gpt2", **_GPT2})
    assert fast.metadata["llm"]["step_macs"] == llm_serving(gpt2, **kw).metadata["llm"]["step_macs"]
    # GPT-2 is multi-head (g = 1): a cache of L tokens is 2 L d = 2 L 32 elements per layer;
    # continuous step 0 runs requests 0 and 1 with 3 + 1 and 4 + 1 keys: 2 x 9 x 32 x 4 B
    pat = re.compile(r"^it0\.decode\.r\d+\.cache\.layers\[1\]\.(keys|values)$")
    assert sum(fast.tensors[n].nbytes for n in fast.tensors if pat.match(n)) == 2 * 9 * 32 * 4
    for opts in (dict(attention="padded"), dict(sub_batches=2)):
        kw2 = dict(prompt=[3, 6, 4], decode=4, batch=3, dtype="fp32", **opts)
        assert trace_serving("gpt2", **kw2).metadata["llm"]["step_macs"] == \
            llm_serving(gpt2, **kw2).metadata["llm"]["step_macs"]


@pytest.mark.slow
def test_cli_serve_traces_and_runs(tmp_path):
    out = tmp_path / "s.npz"
    r = CliRunner().invoke(main, ["trace", "--zoo", "hf:llama", "--serve", "--prompt", "4",
                                  "--decode", "3", "--batch", "2", "--param", "num_hidden_layers=1",
                                  "--param", "hidden_size=64", "--param", "intermediate_size=128",
                                  "--param", "num_attention_heads=4", "--param", "num_key_value_heads=1",
                                  "--param", "vocab_size=256", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert "1 prefill(s), 3 decode step(s), 8 tokens; 5 traces" in r.output
    w = load_workload(out)
    assert w.metadata["params"]["kv_heads"] == 1 and w.metadata["params"]["dtype"] == "fp16"
    r = CliRunner().invoke(main, ["run", "gpu-hbm3", str(out)])
    assert r.exit_code == 0, r.output
    assert "LLM serving" in r.output


@pytest.mark.parametrize("args, msg", [
    (["--zoo", "llama", "--prompt", "4"], "--prompt goes with --serve"),
    (["--zoo", "resnet", "--serve"], "--serve needs a Hugging Face decoder"),
    (["--zoo", "llama", "--serve", "--param", "seq=3"], "--serve sets seq itself"),
    # a serving option as a config field: a TypeError traceback ("got multiple values")
    (["--zoo", "hf:llama", "--serve", "--param", "batch=4"], "--param batch: --serve sets batch itself (use --batch)"),
    (["--zoo", "llama", "--serve", "--param", "dtype=fp32"], "--param dtype: --serve sets dtype itself (use --dtype)"),
    (["--zoo", "llama", "--serve", "--param", "replicate=0"],
     "--param replicate: --serve sets replicate itself (an internal switch of the serving tracer"),
    # "needs a causal LM whose forward takes logits_to_keep (transformers 4.50 or later)", and
    # "the traced prefill has other ops at another length": neither said what the model is
    (["--zoo", "hf:t5", "--serve"], "hf:t5: --serve: t5 is an encoder-decoder model; --serve runs "
                                    "decoder-only LLMs over a KV cache"),
    (["--zoo", "hf:mamba", "--serve"], "hf:mamba: --serve: mamba is a state-space model, whose "
                                       "decode state is not a KV cache"),
    # the prefill is fitted through traces at 8, 12, 16 tokens: at 1 a dimension was 0
    (["--zoo", "llama", "--serve", "--prompt", "1", "--decode", "1"],
     "--prompt 1: trace --serve fits its prefills through traces at 8, 12 and 16 tokens and needs "
     "prompts of 2 tokens at least"),
    (["--zoo", "llama", "--serve", "--pipeline-parallel", "3"], "pipeline_parallel=3 must divide the model's layers (2)"),
    (["--zoo", "llama", "--serve", "--micro-batches", "2"], "give --pipeline-parallel"),
    (["--zoo", "llama", "--serve", "--batching", "eager"], "batching 'eager' is not one of"),
])
def test_cli_serve_errors_are_one_line(tmp_path, args, msg):
    r = CliRunner().invoke(main, ["trace", *args, "-o", str(tmp_path / "x.npz")])
    assert r.exit_code != 0 and msg in r.output and "Traceback" not in r.output


def test_serve_refuses_a_model_that_is_not_a_decoder():
    with pytest.raises(WorkloadError, match="needs a Hugging Face decoder"):
        trace_serving("bert", prompt=4, decode=1)


def test_serve_refuses_an_encoder_only_hf_type_saying_why(tmp_path):
    # was: "hf:bert: the traced prefill does not end with the LM head", after a trace: transformers'
    # BertLMHeadModel is BERT's encoder, causally masked only when the config sets is_decoder
    import json

    with pytest.raises(WorkloadError, match=r"hf:roberta: --serve: the HF config is an encoder-only "
                                            r"model \(roberta: bidirectional attention"):
        trace_serving("hf:roberta", prompt=4, decode=1)
    path = tmp_path / "bert.json"
    path.write_text(json.dumps({"model_type": "bert", "num_hidden_layers": 1}))
    r = CliRunner().invoke(main, ["trace", "--zoo", f"hf:{path}", "--serve", "--prompt", "4",
                                  "-o", str(tmp_path / "x.npz")])
    assert r.exit_code == 1 and "Traceback" not in r.output and len(r.output.strip().splitlines()) == 1
    assert "encoder-only model (bert: bidirectional attention, is_decoder is not true)" in r.output


def test_a_bert_configured_as_a_decoder_serves_its_lm_head_bias_included(tmp_path):
    """BERT with ``is_decoder: true`` (transformers' BertLMHeadModel, causally masked) ends with its
    decoder matmul and then the decoder bias added as a separate op; the serving template took
    only a final matmul as the LM head ("the traced prefill does not end with the LM head"). By
    hand (d = 32, 2 heads, ffn 64, vocabulary 100, 1 layer, no pooler): a token's weight matmuls
    4 d^2 + 2 d ffn = 8192 MACs; the prefill of 5 tokens 5 x 8192 + 2 d 5^2 (scores and AV) +
    the head on the last token (its transform d^2 and decoder d V: 1024 + 3200) = 40960 + 1600 +
    4224 = 46784; two decode steps at caches 5 and 6 add 2 x 8192 + 2 d (6 + 7) + 2 x 4224 =
    16384 + 832 + 8448 = 25664."""
    import json

    path = tmp_path / "bert-decoder.json"
    path.write_text(json.dumps({"model_type": "bert", "is_decoder": True, "num_hidden_layers": 1,
                                "hidden_size": 32, "num_attention_heads": 2, "intermediate_size": 64,
                                "vocab_size": 100}))
    w = trace_serving(f"hf:{path}", prompt=5, decode=0, dtype="fp32")
    assert w.macs == 46784
    ops = list(w.ops)
    assert [o.kind for o in ops[-3:]] == ["matmul", "elementwise", "reduction"]
    assert ops[-1].inputs == ops[-2].outputs  # the sample reads the logits with their bias
    assert trace_serving(f"hf:{path}", prompt=5, decode=2, dtype="fp32").macs == 46784 + 25664


@pytest.mark.slow
def test_a_prefill_scaled_from_the_small_traces_equals_the_trace_at_its_length():
    from cimsim.zoo.serve import _trace

    direct, _ = _trace("llama", "fp32", {}, seq=29)
    served = trace_serving("llama", prompt=29, decode=0, dtype="fp32")
    ops = list(served.ops)[:-1]  # all but the sample op
    assert [(o.kind, o.m, o.k, o.n, o.batch) for o in ops] == \
        [(o.kind, o.m, o.k, o.n, o.batch) for o in direct.ops]
    assert sorted(t.shape for t in served.tensors.values() if not t.name.endswith("next_ids")) == \
        sorted(t.shape for t in direct.tensors.values())


@pytest.mark.slow
def test_one_config_json_through_trace_serve_and_workload_llm(tmp_path):
    """A Hugging Face config.json (with the keys a real one carries besides the shape) as
    ``--zoo hf:FILE`` and as ``workload llm --hf-config FILE``: the same iterations and MACs.
    By hand (d = 64, H = 8, H_kv = 2, d_h = 8, ffn 160 gated, vocab 300, 2 layers):
    W = 64*12*8 + 64*64 + 3*64*160 = 6144 + 4096 + 30720 = 40960; the prefill of 5 and 9 tokens:
    2 (14 W + 2*64*(25 + 81)) + 2*64*300 = 2 (573440 + 13568) + 38400 = 1212416."""
    import json

    cfg = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_act": "silu",
           "hidden_size": 64, "intermediate_size": 160, "num_hidden_layers": 2,
           "num_attention_heads": 8, "num_key_value_heads": 2, "vocab_size": 300,
           "max_position_embeddings": 256, "torch_dtype": "float16",
           "transformers_version": "4.40.0", "tie_word_embeddings": False}
    path = tmp_path / "config.json"
    path.write_text(json.dumps(cfg))
    opts = ["--prompt", "5,9", "--decode", "4,2", "--batch", "2"]
    r = CliRunner().invoke(main, ["trace", "--zoo", f"hf:{path}", "--serve", *opts, "-o",
                                  str(tmp_path / "t.npz")])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(main, ["workload", "llm", "--hf-config", str(path), *opts, "-o",
                                  str(tmp_path / "g.npz")])
    assert r.exit_code == 0, r.output
    t, g = load_workload(tmp_path / "t.npz"), load_workload(tmp_path / "g.npz")
    assert t.metadata["llm"]["step_macs"] == g.metadata["llm"]["step_macs"]
    assert t.metadata["llm"]["step_macs"][0] == 1212416
    # named by the file's stem, not its path (the serving table cut a path-long name)
    assert t.name.startswith("serve-hf-config-B2-") and str(tmp_path) not in t.name


@pytest.mark.slow
def test_a_multi_query_falcon_config_traces_and_generates_the_same_macs(tmp_path):
    """Falcon's MQA (``multi_query: true``: one K/V head for all query heads) through ``trace
    --serve`` and ``workload llm --hf-config``: the same MACs and weights (the generator read
    every head as its own K/V). By hand (d = 64, H = 4, H_kv = 1, d_h = 16, ffn 256 not gated,
    vocab 100, 1 layer): W = 64*6*16 + 64*64 + 2*64*256 = 6144 + 4096 + 32768 = 43008; weights
    (W + 64*100) x 4 B = 197,632 B; the prefill of 8 tokens: 8 W + 2 H d_h 8^2 + d vocab =
    344064 + 8192 + 6400 = 358656."""
    import json

    cfg = {"architectures": ["FalconForCausalLM"], "model_type": "falcon", "hidden_size": 64,
           "num_hidden_layers": 1, "num_attention_heads": 4, "num_kv_heads": 4, "multi_query": True,
           "new_decoder_architecture": False, "parallel_attn": True, "bias": False,
           "vocab_size": 100, "tie_word_embeddings": True}
    path = tmp_path / "falcon.json"
    path.write_text(json.dumps(cfg))
    opts = ["--prompt", "8", "--decode", "2", "--batch", "1", "--dtype", "fp32"]
    r = CliRunner().invoke(main, ["trace", "--zoo", f"hf:{path}", "--serve", *opts, "-o",
                                  str(tmp_path / "t.npz")])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(main, ["workload", "llm", "--hf-config", str(path), *opts, "-o",
                                  str(tmp_path / "g.npz")])
    assert r.exit_code == 0, r.output
    t, g = load_workload(tmp_path / "t.npz"), load_workload(tmp_path / "g.npz")
    assert g.metadata["params"]["kv_heads"] == 1
    assert t.metadata["llm"]["step_macs"] == g.metadata["llm"]["step_macs"]
    assert g.metadata["llm"]["step_macs"][0] == 358656
    assert g.weight_bytes == 197632
    for st, sg in zip(_iterations(t), _iterations(g)):  # each weight read once per iteration
        assert _matmul_weight_bytes(t, st) == _matmul_weight_bytes(g, sg) == 197632


@pytest.mark.slow
def test_hf_model_with_shape_options_traces_and_generates_the_same_macs(tmp_path):
    """`workload llm --hf-model gpt2 --layers 1 --hidden 64 --heads 4 --vocab 100` and `trace
    --zoo hf:gpt2 --param ...` with the same fields: one model (FFN 4 x 64 = 256, heads of 16),
    the same MACs per iteration. The generator kept GPT-2 small's FFN 3072 and heads of 64
    (10x the MACs). By hand: W = 64*12*16 + 64*64 + 2*64*256 = 12288 + 4096 + 32768 = 49152;
    the prefill of 8 tokens: 8 W + 2*64*8^2 + 64*100 = 393216 + 8192 + 6400 = 407808."""
    opts = ["--prompt", "8", "--decode", "2", "--batch", "1", "--dtype", "fp32"]
    r = CliRunner().invoke(main, ["trace", "--zoo", "hf:gpt2", "--param", "n_layer=1", "--param", "n_embd=64",
                                  "--param", "n_head=4", "--param", "vocab_size=100", "--serve", *opts,
                                  "-o", str(tmp_path / "t.npz")])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(main, ["workload", "llm", "--hf-model", "gpt2", "--layers", "1", "--hidden", "64",
                                  "--heads", "4", "--vocab", "100", *opts, "-o", str(tmp_path / "g.npz")])
    assert r.exit_code == 0, r.output
    t, g = load_workload(tmp_path / "t.npz"), load_workload(tmp_path / "g.npz")
    assert t.metadata["llm"]["step_macs"] == g.metadata["llm"]["step_macs"]
    assert g.metadata["llm"]["step_macs"][0] == 407808


def test_a_missing_config_file_is_one_line(tmp_path):
    r = CliRunner().invoke(main, ["trace", "--zoo", f"hf:{tmp_path / 'no.json'}", "--serve", "-o",
                                  str(tmp_path / "x.npz")])
    assert r.exit_code != 0 and "cannot read the config file" in r.output


@pytest.mark.slow
def test_tensor_parallel_share_has_the_generators_macs_and_all_reduces():
    """Tensor parallelism 2 of the tiny Llama (4 heads, 2 KV heads, FFN 64, vocabulary 128):
    one device's share has 2 heads, 1 KV head, FFN 32, vocabulary 64; an all-reduce after each
    attention output projection and FFN down projection (rows x d = 32 elements of 4 B per row)
    and one on the sampled token (1 per request): per iteration 2 x 2 + 1 = 5."""
    kw = dict(prompt=[5, 7], decode=[6, 3], batch=2, dtype="fp32", tensor_parallel=2,
              batching="continuous")
    traced = trace_serving("llama", **kw)
    gen = llm_serving(model_from_hf({"model_type": "llama", "hidden_act": "silu", **_LM}), **kw)
    assert traced.metadata["llm"]["step_macs"] == gen.metadata["llm"]["step_macs"]
    assert traced.metadata["traces"]["count"] == 7  # + the full model's prefill and decode step
    # named as one device's share, as the generator names it (the traced name had no -tp2:
    # a compare of tp 1 and tp 2 showed two rows of one name)
    assert "-tp2-" in traced.name and "-tp2-" in gen.name
    assert traced.name.endswith("-P5_7-D6_3-fp32") and gen.name.endswith("-P5_7-D6_3-fp32")

    def allreduces(w):
        ops = [op for op in w.ops if op.kind == "allreduce"]
        return len(ops), sum(w.tensors[op.inputs[0]].nbytes for op in ops)

    # 7 iterations x 5 = 35 all-reduces; hidden rows: 12 in the prefill, then 2, 2, 2, 1, 1, 1
    # = 21: 2 layers x 2 x 21 x 32 x 4 B = 10752 B; sampled ids 2 + 2 + 2 + 2 + 1 + 1 + 1 = 11,
    # 44 B
    assert allreduces(traced) == allreduces(gen) == (35, 10752 + 44)


def test_tensor_parallel_needs_the_sharded_fields():
    with pytest.raises(WorkloadError, match="needs a config with num_attention_heads"):
        trace_serving("gpt2", prompt=4, decode=1, tensor_parallel=2)


@pytest.mark.slow
def test_pipeline_parallel_sends_what_the_generator_sends():
    # tiny Llama, 2 layers in 2 stages; prompts 5 and 7, 3 and 2 decode steps (continuous, batch 2):
    # 4 iterations (a prefill, 3 decode steps), each sending the hidden state once (rows x d x
    # 4 B) and the tokens back (one id a request, 4 B): prefill 12 x 32 x 4 + 2 x 4 = 1544 B;
    # decode steps of 2, 2, 1 rows: (2 + 2 + 1) x (128 + 4) = 660 B; 2204 B over 8 sends
    kw = dict(prompt=[5, 7], decode=[3, 2], batch=2, dtype="fp32", pipeline_parallel=2,
              batching="continuous")
    traced = trace_serving("llama", **kw)
    gen = llm_serving(model_from_hf({"model_type": "llama", "hidden_act": "silu", **_LM}), **kw)
    for w in (traced, gen):
        sends = [op for op in w.ops if op.kind == "sendrecv"]
        assert len(sends) == 8
        assert sum(w.tensors[op.inputs[0]].nbytes for op in sends) == 2204
        assert w.metadata["llm"]["pipeline"] == {"stages": 2, "micro_batches": 1}
    assert traced.macs == gen.macs
    # the residual stream is what crosses (not the next norm's square, made by the same fused op)
    assert next(op for op in traced.ops if op.kind == "sendrecv").inputs == ("it0.prefill.model.layers.0.add#1",)
    # the capacity check: each stage's caches hold the prompts' rows the prefill wrote (no
    # request ran before it): 2 x 16 x (5 + 7) x 4 B (not the first decode step's 6 + 8, whose
    # own rows are not written yet). Llama's input embedding table is untied (transformers'
    # default): the generator holds the whole 128 x 32 fp32 table, 16,384 B, read by no op
    # (it models no gather), on stage 0 (final read 23-2 F2 7), which makes stage 0 the peak.
    # The traced run holds the table's rows no iteration gathered: 17 tokens (5 + 7 prompt,
    # 3 + 2 decoded; ids without values are distinct rows) of the table read, (128 - 17) x 32
    # x 4 = 14,208 B held on stage 0, which gathers it: its peak there too
    fp, fg = traced.footprint, gen.footprint
    assert (fg.stage, fg.kv_cache, fg.unread) == (0, 2 * 16 * 12 * 4, 128 * 32 * 4)
    assert (fp.stage, fp.kv_cache, fp.unread) == (0, 2 * 16 * 12 * 4, (128 - 17) * 32 * 4)
    # and the pipelined report runs on it: 4 iterations of 2 stages
    from cimsim.report.pipeline import stage_times
    r = simulate_pp(traced)
    assert stage_times(traced.columns.kind, r.op_table["end_s"].to_numpy(),
                       traced.metadata["llm"]["step_end_ops"], 2).shape == (4, 2)
    assert r.serving["tokens_per_s"] > 0


@pytest.mark.slow
def test_gpt2_pipeline_sends_its_residual_stream_as_the_generator_does():
    # GPT-2's blocks are transformer.h.N; the same 8 sends and 2204 B as the Llama case above
    kw = dict(prompt=[5, 7], decode=[3, 2], batch=2, dtype="fp32", pipeline_parallel=2,
              batching="continuous")
    traced = trace_serving("gpt2", **kw)
    gen = llm_serving(model_from_hf({"model_type": "gpt2", **_GPT2}), **kw)
    for w in (traced, gen):
        sends = [op for op in w.ops if op.kind == "sendrecv"]
        assert len(sends) == 8 and sum(w.tensors[op.inputs[0]].nbytes for op in sends) == 2204
    assert traced.macs == gen.macs
    assert next(op for op in traced.ops if op.kind == "sendrecv").inputs == ("it0.prefill.transformer.h.0.add#1",)


def simulate_pp(w):
    import copy

    from cimsim import simulate
    from cimsim.config import architecture_from_dict
    from conftest import ROUND_ARCH
    d = copy.deepcopy(ROUND_ARCH)
    d["links"] = {"nvlink": {"bandwidth": "100 GB/s", "latency": "1 us", "energy_per_bit": "1 pJ/bit"}}
    d["collective"] = {"devices": 2, "topology": "ring"}
    return simulate(architecture_from_dict(d), w)


@pytest.mark.parametrize("batching", ["static", "continuous"])
def test_a_traced_queued_requests_prefill_waits_for_the_iteration_before(batching):
    """The traced run orders its iterations as the generator does: every op of a later prefill
    descends from the last op of the iteration before it (AdmissionGate)."""
    from conftest import assert_prefills_follow_the_iteration_before

    kw = dict(prompt=[5, 7, 6], decode=[2, 3, 1], batch=2, requests=3, batching=batching, dtype="fp32")
    traced = trace_serving("llama", **kw)
    assert assert_prefills_follow_the_iteration_before(traced) == 1
    gen = llm_serving(model_from_hf({"model_type": "llama", "hidden_act": "silu", **_LM}), **kw)
    assert traced.metadata["llm"]["step_kind"] == gen.metadata["llm"]["step_kind"]


@pytest.mark.parametrize("kw", [
    dict(prompt=[3, 4], decode=[2, 0], batch=2),
    dict(prompt=[3, 4, 2], decode=[2, 3, 1], batch=2, requests=3, batching="continuous"),
    dict(prompt=[3, 4, 2], decode=3, batch=3, sub_batches=2),
    dict(prompt=3, decode=2, batch=4, pipeline_parallel=2, micro_batches=2),
])
def test_a_traced_serving_runs_llm_section_passes_the_load_check(tmp_path, kw):
    """trace_serving writes metadata.llm after the workload is built: the check a loaded file
    gets (workload/llm_meta.py) holds for it, and the saved file loads."""
    from cimsim.workload.io import save_workload
    from cimsim.workload.llm_meta import check_llm_metadata

    w = trace_serving("llama", dtype="fp32", **kw)
    check_llm_metadata(w.name, w.metadata, len(w.ops))
    llm = w.metadata["llm"]
    # 2 requests a micro-batch of the pipelined run; a request yields 1 + its decode steps
    decode = kw["decode"] if isinstance(kw["decode"], list) else [kw["decode"]] * len(llm["output_tokens"])
    assert sum(llm["step_tokens"]) == sum(1 + d for d in decode) == llm["generated_tokens"]
    save_workload(w, tmp_path / "s.npz")
    assert load_workload(tmp_path / "s.npz").metadata["llm"] == llm


def test_trace_serve_refuses_a_run_past_the_sliding_window_as_workload_llm_does(tmp_path):
    """`trace --serve` ran a request past a Mistral/Phi-3 sliding window, reading each step's
    whole cache, which `workload llm` refuses (a tester, 2026-12-05): both refuse it now."""
    import json

    cfg = {"model_type": "mistral", "hidden_act": "silu", "hidden_size": 64,
           "intermediate_size": 160, "num_hidden_layers": 1, "num_attention_heads": 8,
           "num_key_value_heads": 2, "vocab_size": 300, "max_position_embeddings": 256,
           "sliding_window": 12}
    path = tmp_path / "config.json"
    path.write_text(json.dumps(cfg))
    msg = ("a request of prompt 10 and decode 4 reaches 14 tokens, past the model's sliding "
           "attention window of 12")
    for cmd, prefix in ((["trace", "--zoo", f"hf:{path}", "--serve"], "--serve"),
                        (["workload", "llm", "--hf-config", str(path)], "llm")):
        r = CliRunner().invoke(main, [*cmd, "--prompt", "10", "--decode", "4", "-o",
                                      str(tmp_path / "w.npz")])
        assert r.exit_code == 1 and r.output.startswith(f"Error: {prefix}: {msg}"), r.output
    r = CliRunner().invoke(main, ["trace", "--zoo", f"hf:{path}", "--serve", "--prompt", "8",
                                  "--decode", "4", "-o", str(tmp_path / "ok.npz")])
    assert r.exit_code == 0, r.output  # 12 tokens: within the window
