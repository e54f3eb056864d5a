"""Steps of several query tokens against a KV cache (find-P 1, 4): speculative decoding's verify
step (``--verify K --accepted A``) and a prefix-cache hit's prefill (``--prefix N``), held to
closed forms written here and to the tracer's transformers Llama at the same step."""

from __future__ import annotations

import os

import pytest
from click.testing import CliRunner

from cimsim.cli import main
from cimsim.errors import WorkloadError
from cimsim.workload.llm import LLMModel, llm_serving

# a tiny Llama: 2 layers, d = 256, 4 heads of 64, MHA, gated FFN of 512, 1,000-token vocabulary
M = LLMModel(layers=2, hidden=256, heads=4, kv_heads=4, ffn=512, vocab=1000, head_dim=64, gated=True)
# one token through one layer's weights: qkv 256 x 768, o 256 x 256, up/gate/down 3 x 256 x 512
W = 256 * 768 + 256 * 256 + 3 * 256 * 512  # 655,360
HF = dict(num_hidden_layers=2, hidden_size=256, num_attention_heads=4, num_key_value_heads=4,
          intermediate_size=512, vocab_size=1000)


def _decode_ops(w, step, part):
    return [o for o in w.ops if o.tags.get("phase") == "decode" and o.tags.get("step") == step
            and o.tags.get("part") == part]


def test_a_verify_step_reads_the_weights_and_the_cache_once_over_k_plus_1_rows():
    P, D, K, A = 64, 3, 4, 2  # 4 draft tokens a step, 2 kept
    t = K + 1
    w = llm_serving(M, prompt=P, decode=D, verify=K, accepted=A, replicate=False)
    for k in range(D):
        keys = P + k * A + t  # the cache before the step (P + k A) and the step's 5 rows
        qkv = _decode_ops(w, k, "qkv_proj")
        assert [(o.m, o.k, o.n) for o in qkv] == [(t, 256, 768)] * 2  # one weight read a layer
        assert [o.m for o in _decode_ops(w, k, "ffn_up")] == [t, t]
        assert [o.m for o in _decode_ops(w, k, "lm_head")] == [t]  # every position is verified
        scores, ctx = _decode_ops(w, k, "scores"), _decode_ops(w, k, "context")
        assert [(o.m, o.k, o.n, o.batch) for o in scores] == [(t, 64, keys, 4)] * 2
        assert [(o.m, o.k, o.n, o.batch) for o in ctx] == [(t, keys, 64, 4)] * 2
        # the K and V caches: one input each a layer, of `keys` tokens, read by one op each
        caches = [n for o in scores + ctx for n in o.inputs if w.tensors[n].role == "input"]
        assert len(caches) == len(set(caches)) == 4
        assert {w.tensors[n].shape for n in caches} == {(4, 64, keys), (4, keys, 64)}
    # closed form: prefill, then per step layers (t W + 2 H dh t keys) + t d vocab
    prefill = 2 * (P * W + 2 * 256 * P * P) + 256 * 1000
    steps = sum(2 * (t * W + 2 * 256 * t * (P + k * A + t)) + t * 256 * 1000 for k in range(D))
    assert w.macs == prefill + steps
    assert w.metadata["llm"]["output_tokens"] == [1 + D * A]  # 7 tokens: 1 + 3 steps x 2 kept
    assert w.metadata["llm"]["step_tokens"] == [1, A, A, A]
    # the NumPy-replicated stretch is the op-by-op build
    fast = llm_serving(M, prompt=P, decode=D + 5, verify=K, accepted=A)
    slow = llm_serving(M, prompt=P, decode=D + 5, verify=K, accepted=A, replicate=False)
    assert fast.macs == slow.macs and [(o.m, o.k, o.n) for o in fast.ops] == [(o.m, o.k, o.n) for o in slow.ops]


def test_verify_0_is_plain_decoding_and_accepted_bounds_are_refused():
    base = llm_serving(M, prompt=[16, 24], decode=[3, 5], batch=2, batching="continuous")
    same = llm_serving(M, prompt=[16, 24], decode=[3, 5], batch=2, batching="continuous", verify=0)
    assert same.macs == base.macs and same.name == base.name
    for bad in (0, 6):
        with pytest.raises(WorkloadError, match="accepted must be an integer from 1 to verify"):
            llm_serving(M, prompt=16, decode=2, verify=4, accepted=bad)
    with pytest.raises(WorkloadError, match="padded"):
        llm_serving(M, prompt=16, decode=2, batch=2, verify=1, attention="padded")


def test_a_prefix_hit_prefills_the_rest_against_the_whole_prompt():
    P, N, D = 48, 40, 2
    q = P - N
    w = llm_serving(M, prompt=P, decode=D, prefix=N, replicate=False)
    pre = [o for o in w.ops if o.tags.get("phase") == "prefill"]
    assert [o.m for o in pre if o.tags.get("part") == "qkv_proj"] == [q, q]
    assert {(o.m, o.n) for o in pre if o.tags.get("part") == "scores"} == {(q, P)}
    # the decode steps attend to the prefix and the request's own tokens: P + k + 1 keys
    assert [o.n for o in w.ops if o.tags.get("phase") == "decode"
            and o.tags.get("part") == "scores"] == [P + 1] * 2 + [P + 2] * 2
    prefill = 2 * (q * W + 2 * 256 * q * P) + 256 * 1000
    decode = sum(2 * (W + 2 * 256 * (P + k + 1)) + 256 * 1000 for k in range(D))
    assert w.macs == prefill + decode
    with pytest.raises(WorkloadError, match="shorter than every prompt"):
        llm_serving(M, prompt=[48, 40], decode=1, batch=2, prefix=40)


def test_the_cli_options_and_their_one_line_errors(tmp_path):
    shape = ["--layers", "2", "--hidden", "256", "--heads", "4", "--ffn", "512", "--vocab", "1000"]
    r = CliRunner().invoke(main, ["workload", "llm", *shape, "--prompt", "64", "--decode", "3",
                                  "--verify", "4", "--accepted", "2", "--prefix", "32",
                                  "-o", str(tmp_path / "v.npz")])
    assert r.exit_code == 0, r.output
    assert "-v4a2-pre32-P64-D3-" in r.output
    for args, want in ((["--verify", "4", "--accepted", "6"], "--accepted must be an integer from 1 to --verify + 1 = 5"),
                       (["--prefix", "64"], "--prefix 64 must be shorter than every prompt"),
                       (["--verify", "-1"], "--verify must be an integer >= 0")):
        r = CliRunner().invoke(main, ["workload", "llm", *shape, "--prompt", "64", "--decode", "3",
                                      *args, "-o", str(tmp_path / "x.npz")])
        assert r.exit_code != 0 and r.output.strip().count("\n") == 0, r.output
        assert want in r.output and "Traceback" not in r.output


@pytest.mark.torch
@pytest.mark.parametrize("cache,seq", [(64, 5), (40, 8)])
def test_the_generator_step_is_the_traced_transformers_step(cache, seq):
    """hf:llama with cache=N and seq=q traces q new tokens against the N cached ones (a verify
    step, or a prefix hit's prefill): the generator's step does the same MACs, but for the LM
    head, which the generator's prefill runs on the last token only."""
    pytest.importorskip("transformers")
    os.environ["HF_HUB_OFFLINE"] = "1"
    from cimsim.workload.trace import trace
    from cimsim.zoo.registry import build

    zm = build("hf:llama", seq=seq, cache=cache, **HF)
    traced = trace(zm.model, zm.args, name="v", dtype="fp32", example_kwargs=dict(zm.kwargs)).macs
    # closed form: q rows through the weights, q x (N + q) scores and contexts, q LM-head rows
    assert traced == 2 * (seq * W + 2 * 256 * seq * (cache + seq)) + seq * 256 * 1000
    verify = llm_serving(M, prompt=cache, decode=1, verify=seq - 1)  # its one decode step
    assert verify.metadata["llm"]["step_macs"][1] == traced
    hit = llm_serving(M, prompt=cache + seq, decode=0, prefix=cache)  # the prefill past the prefix
    assert hit.metadata["llm"]["step_macs"][0] == traced - (seq - 1) * 256 * 1000
