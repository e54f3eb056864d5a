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


def test_padded_attention_pads_decode_steps_only_not_a_prefill_of_one_token_prompts():
    """A prefill of one-token prompts has one row per request, as a decode step does; it was taken
    for one (rows == requests > 1) and built as one padded attention over K/V caches that a
    prefill does not have (review16-4, item 8). It stays per request: each request's own
    scores (1 x 64 x 1, 4 heads) and context, no cache input, as under per-request attention."""
    pad = llm_serving(M, prompt=1, decode=3, batch=2, attention="padded", replicate=False)
    per = llm_serving(M, prompt=1, decode=3, batch=2, attention="per-request", replicate=False)

    def attention(w, phase):
        return [(o.name, o.m, o.k, o.n, o.batch, [n for n in o.inputs if w.tensors[n].role == "input"])
                for o in w.ops if o.tags.get("phase") == phase and o.tags.get("part") in ("scores", "context")]
    pre = attention(pad, "prefill")
    assert pre == attention(per, "prefill")
    assert [row for row in pre if ".l0." in row[0]] == [
        ("it0.prefill.l0.r0.scores", 1, 64, 1, 4, []), ("it0.prefill.l0.r0.ctx", 1, 1, 64, 4, []),
        ("it0.prefill.l0.r1.scores", 1, 64, 1, 4, []), ("it0.prefill.l0.r1.ctx", 1, 1, 64, 4, [])]
    # the decode steps are padded: one scores and one context op a layer over both requests'
    # caches (2 requests x 4 heads), s + 2 keys at step s
    dec = [row[1:5] for row in attention(pad, "decode") if ".l0." in row[0]]
    assert dec == [op for s in range(3) for op in ((1, 64, s + 2, 8), (1, s + 2, 64, 8))]
    assert pad.macs == per.macs


def test_position_errors_and_the_context_note_quote_the_decode_given():
    """With --verify K --accepted A a request's D steps feed (D - 1) A + K + 1 positions past its
    prompt; the messages passed that reach as "decode" (prompt 1000 and decode 33 for a user's
    --decode 3 --verify 10: review16-4, item 5). They quote the user's decode and name the reach."""
    from cimsim.workload.llm_options import context_note

    learned = LLMModel(**{**M.__dict__, "positions": 64})
    with pytest.raises(WorkloadError) as e:  # (3 - 1) x 11 + 11 = 33 past 40: 73 > 64
        llm_serving(learned, prompt=40, decode=3, verify=10)
    assert ("a request of prompt 40 and decode 3 (verify 10, accepted 11: 33 positions past the "
            "prompt) needs 73 positions, past the model's table of 64") in str(e.value)
    # static batching runs request 0 (decode 1: 5 positions, 55) to its batch's 3 (15: 65 > 64)
    with pytest.raises(WorkloadError) as e:
        llm_serving(learned, prompt=[50, 20], decode=[1, 3], batch=2, batching="static", verify=4)
    assert ("runs request 0's row (prompt 50, decode 1 (verify 4, accepted 5: 5 positions past the "
            "prompt)) for its batch's longest decode 3: 65 positions, past the model's 64") in str(e.value)
    rotary = LLMModel(**{**M.__dict__, "context": 64})
    assert context_note(rotary, [40], [3], step=(11, 4)) is None  # 2 x 4 + 11 = 19: 59 fits
    note = context_note(rotary, [40], [3], step=(11, 11))
    assert "a request of prompt 40 and decode 3 (verify 10, accepted 11: 33 positions past the prompt) " \
           "reaches 73 positions, past the config's max_position_embeddings of 64" in note
    assert "prompt 40 and decode 3 reaches 43 positions" in context_note(LLMModel(**{**M.__dict__, "context": 42}), [40], [3])


def test_verify_without_a_decode_step_is_refused():
    """--verify 3 --decode 0 was accepted and named -v3a4- with no verify step in it (item 7)."""
    with pytest.raises(WorkloadError, match="verify=3 with decode=0: there is no decode step to verify"):
        llm_serving(M, prompt=16, decode=0, verify=3)
    assert llm_serving(M, prompt=[16, 16], decode=[0, 2], batch=2, verify=3).metadata["params"]["verify"] == 3


def test_a_verify_run_says_the_draft_model_is_not_in_it():
    """A run of verify steps reports TPOT and tokens/s without the draft model that proposed the
    tokens (5x a plain decode's TPOT at 8,192 tokens with every draft accepted); the run says
    so in a note (review16-4, item 7), and a plain decode run does not."""
    from cimsim import load_architecture, simulate
    from cimsim.bundled import resolve_config

    arch = load_architecture(resolve_config("gpu-hbm3"))
    r = simulate(arch, llm_serving(M, prompt=16, decode=2, verify=4, accepted=2))
    notes = [n for n in r.notes if n.startswith("verify steps:")]
    assert len(notes) == 1 and "checks 4 draft tokens and keeps 2" in notes[0]
    assert "draft model's 4 decode steps per verify step (and its prefill) are not in the latency" in notes[0]
    assert "--decode 4 x this run's --decode" in notes[0]
    plain = simulate(arch, llm_serving(M, prompt=16, decode=2))
    assert plain.serving and not any(n.startswith("verify steps:") for n in plain.notes)
