"""Vision-language serving runs (find-M 1, M 2): cross-attention layers over image tokens
(Llama-3.2-Vision's ``cross_attention_layers``, IDEFICS' ``cross_layer_interval``), image tokens
in the prompt (``--image-tokens``) and a traced vision encoder before each prefill
(``--vision-workload``)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from cimsim import load_architecture, simulate
from cimsim.cli import main
from cimsim.workload.builder import WorkloadBuilder
from cimsim.workload.llm import LLMModel, llm_serving, model_from_hf

# Llama-3.2-11B-Vision's text model (transformers' MllamaTextConfig defaults; 6,404 image tokens
# = 4 tiles x (40 x 40 patches + 1) at image_size 560): layers 3, 8, ..., 38 are cross-attention
MLLAMA = {"model_type": "mllama", "text_config": {
    "model_type": "mllama_text_model", "hidden_size": 4096, "num_attention_heads": 32, "num_key_value_heads": 8,
    "intermediate_size": 14336, "num_hidden_layers": 40, "vocab_size": 128256, "hidden_act": "silu",
    "cross_attention_layers": [3, 8, 13, 18, 23, 28, 33, 38]},
    "vision_config": {"image_size": 560, "patch_size": 14, "max_num_tiles": 4}}
SMALL = LLMModel(layers=2, hidden=64, heads=4, kv_heads=2, ffn=128, vocab=100, head_dim=16, gated=True)


def test_mllama_cross_layers_project_the_image_once_and_read_its_cache_each_step():
    """The tester's numbers: the prefill adds 8 x 6,404 x 4,096 x 2,048 = 429.8 GMAC of cross K/V
    projection; each decode step reads 8 x 2 x 8 x 128 x 6,404 x 2 B = 209.8 MB of cross cache
    and computes 8 x 2 x 32 x 128 x 6,404 = 419.7 M attention MACs there; the cross layers have no
    self-attention and no text cache."""
    m = LLMModel(layers=40, hidden=4096, heads=32, kv_heads=8, ffn=14336, vocab=128256, head_dim=128,
                 gated=True, cross_layers=(3, 8, 13, 18, 23, 28, 33, 38))
    w = llm_serving(m, prompt=64, decode=2, image_tokens=6404)
    d, ffn, V = 4096, 14336, 128256
    W_self = d * (32 + 16) * 128 + d * d + 3 * d * ffn          # 218,103,808
    W_cross = 2 * d * d + 3 * d * ffn                            # q, o and the gated FFN
    kv = 8 * 6404 * 4096 * 2048
    assert kv == 429_765_165_056
    prefill = (32 * (64 * W_self + 2 * d * 64 * 64) + 8 * 64 * (W_cross + 2 * d * 6404) + kv + d * V)
    assert w.metadata["llm"]["step_macs"][0] == prefill == 1_012_275_347_456
    ops = {o.name: o for o in w.ops}
    assert "it0.prefill.l3.xkv" in ops and ops["it0.prefill.l3.xkv"].macs == kv // 8
    assert not [n for n in ops if n.startswith("it1.decode.l3.") and ("qkv" in n or n.endswith(".scores"))]
    step = [o for o in w.ops if o.name.startswith("it1.decode.")]
    cross = [t for o in step for t in o.inputs if ".XK_cache" in t or ".XV_cache" in t]
    assert len(cross) == 16
    assert sum(w.tensors[t].nbytes for t in cross) == 8 * 2 * 8 * 128 * 6404 * 2 == 209_846_272
    assert sum(o.macs for o in step if o.name.endswith((".xscores", ".xctx"))) == 8 * 2 * 32 * 128 * 6404
    self_cache = [t for o in step for t in o.inputs if t.endswith(".K_cache")]
    assert len(self_cache) == 32  # the text cache in the 32 self-attention layers alone


@pytest.mark.slow  # imports transformers (its mllama_text_model defaults)
def test_mllama_config_gives_its_cross_layers_and_image_tokens():
    m = model_from_hf(MLLAMA)
    assert (m.layers, m.kv_heads, m.cross_layers, m.cross_insert) == (40, 8, (3, 8, 13, 18, 23, 28, 33, 38), False)
    assert m.image_tokens == 4 * (40 * 40 + 1) == 6404


def test_idefics_inserts_a_gated_cross_block_before_each_interval_layer():
    """IDEFICS (Flamingo): cross_layer_interval 2 over 4 layers: blocks before layers 0 and 2,
    besides every self-attention layer; their K/V read the vision embed_dim (768), not hidden."""
    cfg = {"model_type": "idefics", "hidden_size": 64, "num_attention_heads": 4, "intermediate_size": 128,
           "num_hidden_layers": 4, "vocab_size": 100, "hidden_act": "silu", "cross_layer_interval": 2,
           "use_resampler": False, "vision_config": {"embed_dim": 768, "image_size": 224, "patch_size": 14}}
    m = model_from_hf(cfg)
    assert (m.cross_layers, m.cross_insert, m.cross_width, m.image_tokens) == ((0, 2), True, 768, 257)
    w = llm_serving(m, prompt=8, decode=1)
    xkv = [o for o in w.ops if o.name.endswith(".xkv")]
    assert [o.name for o in xkv] == ["it0.prefill.l0x.xkv", "it0.prefill.l2x.xkv"]
    assert all((o.m, o.k, o.n) == (257, 768, 2 * 64) for o in xkv)
    assert len([o for o in w.ops if o.name.startswith("it0.prefill.") and o.name.endswith(".qkv")]) == 4


@pytest.mark.parametrize("kw", [{}, {"batching": "continuous", "requests": 3, "batch": 2},
                                {"attention": "padded", "batch": 2}, {"tensor_parallel": 2},
                                {"pipeline_parallel": 2}, {"verify": 1}, {"attention_kernel": "fused"}])
def test_cross_runs_match_the_closed_form_and_the_op_by_op_build(kw):
    m = LLMModel(layers=4, hidden=64, heads=4, kv_heads=2, ffn=128, vocab=100, head_dim=16, gated=True,
                 cross_layers=(1, 3))
    fast, slow = (llm_serving(m, prompt=5, decode=6, image_tokens=7, replicate=r, **kw) for r in (True, False))
    assert fast.macs == slow.macs == fast.metadata["macs"]
    assert list(fast.columns.kind) == list(slow.columns.kind)
    assert list(fast.columns.tensor_dtype) == list(slow.columns.tensor_dtype)


def test_image_tokens_are_prompt_rows_that_do_not_come_from_token_ids():
    """--image-tokens 7 with --prompt 5: a 12-row prefill over 12 keys, 5 token ids."""
    w = llm_serving(SMALL, prompt=5, decode=2, image_tokens=7)
    plain = llm_serving(SMALL, prompt=12, decode=2)
    assert w.macs == plain.macs
    assert w.tensors["it0.prefill.prompt_ids"].shape == (5, 1)
    assert w.tensors["it0.prefill.image_states"].shape == (7, 64)
    assert w.metadata["params"]["prompt"] == [5] and w.metadata["params"]["image_tokens"] == 7


def _encoder(n: int = 7, patch: int = 48, d: int = 64, loaded: bool = False, dtype: str = "fp16"):
    """A 2-op encoder: patches (n x patch) @ W (patch x d), then gelu: n x patch x d MACs;
    ``loaded``: as the run chains it, its pixels first copied in (op ``pix.load``)."""
    b = WorkloadBuilder("enc")
    b.tensor("raw" if loaded else "pix", (n, patch), dtype, "input")
    if loaded:
        b.tensor("pix", (n, patch), dtype)
        b.op("pix.load", "copy", ["raw"], ["pix"])
    b.tensor("W", (patch, d), dtype, "weight")
    b.tensor("h", (n, d), dtype)
    b.tensor("out", (n, d), dtype)
    b.op("patch", "matmul", ["pix", "W"], ["h"], m=n, k=patch, n=d, weight="W", tags={"layer": 0})
    b.op("act", "elementwise", ["h"], ["out"], fn="gelu")
    return b.build()


def test_a_vision_encoder_runs_before_each_prefill_and_counts_in_ttft():
    """TTFT of the chained run = the encoder alone (its pixels loaded first: the op the
    admission gate holds) + the text prefill alone (one request: the embedding waits for the
    encoder's output), TPOT unchanged; MACs add up (7 x 48 x 64 = 21,504 per request);
    the serving op indices point at the prefill's and decode steps' sampling ops."""
    enc = _encoder()
    assert enc.macs == 7 * 48 * 64
    gpu = load_architecture("gpu-hbm3")
    vlm = llm_serving(SMALL, prompt=5, decode=2, vision=enc)
    text = llm_serving(SMALL, prompt=5, decode=2, image_tokens=7)
    assert vlm.metadata["params"]["image_tokens"] == 7  # from the encoder's output, 7 x 64
    assert vlm.macs == text.macs + enc.macs
    ll = vlm.metadata["llm"]
    assert vlm.ops[ll["first_token_ops"][0]].name == "it0.prefill.sample"
    assert vlm.ops[ll["last_token_ops"][0]].name.endswith(".sample")
    embed = vlm.ops[vlm.op_index("it0.prefill.embed")]
    assert "it0.prefill.r0.vis.out" in embed.inputs
    t_enc = simulate(gpu, _encoder(loaded=True)).latency_s
    v, t = simulate(gpu, vlm).serving, simulate(gpu, text).serving
    assert v["ttft_s"] == pytest.approx(t["ttft_s"] + t_enc, rel=1e-9, abs=0)
    assert v["tpot_s"] == pytest.approx(t["tpot_s"], rel=1e-9, abs=0)


def test_cross_model_chains_the_encoder_into_its_cross_kv():
    m = LLMModel(layers=2, hidden=64, heads=4, kv_heads=2, ffn=128, vocab=100, head_dim=16, gated=True,
                 cross_layers=(1,))
    w = llm_serving(m, prompt=5, decode=1, batch=2, vision=_encoder())
    xkv = w.ops[w.op_index("it0.prefill.l1.xkv")]
    assert xkv.m == 2 * 7 and "it0.prefill.image_states" in xkv.inputs
    assert w.macs == llm_serving(m, prompt=5, decode=1, batch=2, image_tokens=7).macs + 2 * 7 * 48 * 64


def test_bad_image_inputs_are_one_line_errors(tmp_path):
    from cimsim.errors import WorkloadError

    with pytest.raises(WorkloadError, match="not 5 image tokens x 64"):
        llm_serving(SMALL, prompt=5, decode=1, vision=_encoder(), image_tokens=5)
    cross = LLMModel(layers=2, hidden=64, heads=4, kv_heads=2, ffn=128, vocab=100, head_dim=16, gated=True,
                     cross_layers=(0,))
    with pytest.raises(WorkloadError, match="give --image-tokens N"):
        llm_serving(cross, prompt=5, decode=1)
    with pytest.raises(WorkloadError, match="add_cross_attention"):
        model_from_hf({"model_type": "gpt2", "n_embd": 64, "n_head": 4, "n_layer": 2, "vocab_size": 10,
                       "add_cross_attention": True})


def test_cli_notes_what_of_the_image_a_vlm_run_holds(tmp_path):
    cfg = tmp_path / "llava.json"
    cfg.write_text(json.dumps({"model_type": "llava", "image_seq_length": 576, "vision_config": {"hidden_size": 1024},
                               "text_config": {"model_type": "llama", "hidden_size": 64, "num_attention_heads": 4,
                                               "intermediate_size": 128, "num_hidden_layers": 1, "vocab_size": 100}}))
    r = CliRunner().invoke(main, ["workload", "llm", "--hf-config", str(cfg), "--prompt", "4", "--decode", "1",
                                  "-o", str(tmp_path / "a.json")])
    assert r.exit_code == 0, r.output
    assert "this run holds no image" in r.output and "576 a picture" in r.output
    r = CliRunner().invoke(main, ["workload", "llm", "--hf-config", str(cfg), "--prompt", "4", "--decode", "1",
                                  "--image-tokens", "9", "-o", str(tmp_path / "b.json")])
    assert r.exit_code == 0 and "each prompt holds 9 image tokens" in r.output
    ml = tmp_path / "ml.json"
    ml.write_text(json.dumps(MLLAMA))
    r = CliRunner().invoke(main, ["workload", "llm", "--hf-config", str(ml), "--layers", "4", "--prompt", "4",
                                  "--decode", "1", "-o", str(tmp_path / "c.json")])
    assert r.exit_code == 0, r.output
    assert "1 cross-attention block(s) attend to 6,404 image tokens" in r.output


XMODEL = LLMModel(layers=4, hidden=64, heads=4, kv_heads=2, ffn=128, vocab=100, head_dim=16, gated=True,
                  cross_layers=(1, 3))


def _two_devices():
    """conftest's round machine (fp32) with a 100 GB/s, 1 µs link between 2 devices."""
    import copy

    from conftest import ROUND_ARCH

    from cimsim.config import architecture_from_dict

    d = copy.deepcopy(ROUND_ARCH)
    d["links"] = {"nvlink": {"bandwidth": "100 GB/s", "latency": "1 us", "energy_per_bit": "1 pJ/bit"}}
    d["collective"] = {"devices": 2, "topology": "ring"}
    return architecture_from_dict(d)


def test_pipeline_stages_after_the_encoders_receive_the_image_states():
    """review 22 E 3: layers 0-1 on stage 0 (the encoder's), 2-3 on stage 1; cross layer 3 read the
    encoder's output on stage 0 with no send. The prefill's boundary send now carries the image
    states beside the hidden state: 5 x 64 x 4 B + 7 x 64 x 4 B = 1,280 + 1,792 = 3,072 B, one
    hop of 3,072 B / 100 GB/s + 1 µs; a decode step's sends the 256 B hidden row alone."""
    w = llm_serving(XMODEL, prompt=5, decode=1, pipeline_parallel=2, vision=_encoder(dtype="fp32"), dtype="fp32")
    send = w.ops[w.op_index("it0.prefill.l2.x.sendrecv")]
    assert send.inputs == ("it0.prefill.l1.res2", "it0.prefill.r0.vis.out")
    assert w.ops[w.op_index("it0.prefill.l3.xkv")].inputs[0] == "it0.prefill.l2.x.image_states.recv"
    assert sum(1 for o in w.ops if o.kind == "sendrecv") == 4  # one boundary and the ids, each iteration
    t = simulate(_two_devices(), w).op_table.set_index("op")["duration_s"]
    assert t["it0.prefill.l2.x.sendrecv"] == pytest.approx((1280 + 1792) / 100e9 + 1e-6, rel=1e-9, abs=0)
    assert t["it0.decode.l2.x.sendrecv"] == pytest.approx(256 / 100e9 + 1e-6, rel=1e-9, abs=0)
    # no cross layer past stage 0: nothing to send
    one = LLMModel(**{**XMODEL.__dict__, "cross_layers": (1,)})
    w = llm_serving(one, prompt=5, decode=1, pipeline_parallel=2, image_tokens=7)
    assert w.ops[w.op_index("it0.prefill.l2.x.sendrecv")].inputs == ("it0.prefill.l1.res2",)


def test_llama_vision_at_five_stages_sends_its_image_states_to_each_later_stage():
    """The reviewer's case: Llama-3.2-11B-Vision at --pipeline-parallel 5 (8 layers a stage, cross
    layers 3, 8, ..., 38 on every stage): each of the 4 boundary sends of the prefill carries
    6,404 x 4,096 x 2 B = 52,461,568 B of image states beside 64 x 4,096 x 2 B of hidden state."""
    m = LLMModel(layers=40, hidden=4096, heads=32, kv_heads=8, ffn=14336, vocab=128256, head_dim=128,
                 gated=True, cross_layers=(3, 8, 13, 18, 23, 28, 33, 38))
    w = llm_serving(m, prompt=64, decode=1, image_tokens=6404, pipeline_parallel=5)
    sends = [o for o in w.ops if o.kind == "sendrecv" and o.name.startswith("it0.prefill.l")]
    assert [o.name for o in sends] == [f"it0.prefill.l{l}.x.sendrecv" for l in (8, 16, 24, 32)]
    assert all(sum(w.tensors[t].nbytes for t in o.inputs) == 64 * 4096 * 2 + 52_461_568 for o in sends)


def test_a_tensor_parallel_share_says_it_holds_the_whole_encoder(tmp_path):
    """review 22 E 3: under tensor_parallel 2 each share runs the whole encoder: the MACs are
    (945,920 - 21,504) / 2 + 21,504 = 483,712, and the run (and workload llm) says so."""
    w = llm_serving(XMODEL, prompt=5, decode=1, tensor_parallel=2, vision=_encoder(dtype="fp32"), dtype="fp32")
    assert w.macs == (945_920 - 21_504) // 2 + 21_504 == 483_712
    notes = simulate(_two_devices(), w).notes
    (note,) = [n for n in notes if "vision encoder" in n]
    assert "runs whole on each of the 2 devices (replicated, not sharded" in note
    assert "tokens/J counts its energy 2 times" in note
    alone = simulate(_two_devices(), llm_serving(XMODEL, prompt=5, decode=1, vision=_encoder(dtype="fp32"), dtype="fp32"))
    assert not [n for n in alone.notes if "vision encoder" in n]


def test_position_checks_and_notes_count_the_prompts_image_tokens(tmp_path):
    """review 22 E 4: --prompt 100 --image-tokens 2000 --decode 10 reaches 100 + 2,000 + 10 = 2,110
    positions, past a llama config's 2,048, as --prompt 2100 does: both get the note; the learned-
    position refusal words the prompt as given, 100 + 1,000 image tokens (1,110 positions > 1,024)."""
    from cimsim.errors import WorkloadError

    cfg = tmp_path / "ll.json"
    cfg.write_text(json.dumps({"model_type": "llama", "hidden_size": 64, "num_attention_heads": 4,
                               "intermediate_size": 128, "num_hidden_layers": 1, "vocab_size": 100,
                               "max_position_embeddings": 2048}))
    run = [("--prompt", "100", "--image-tokens", "2000"), ("--prompt", "2100")]
    for i, args in enumerate(run):
        r = CliRunner().invoke(main, ["workload", "llm", "--hf-config", str(cfg), *args, "--decode", "10",
                                      "-o", str(tmp_path / f"{i}.json")])
        assert r.exit_code == 0, r.output
        said = "prompt 100 + 2,000 image tokens" if i == 0 else "prompt 2100"
        assert f"a request of {said} and decode 10 reaches 2110 positions" in r.output
    g2 = LLMModel(layers=1, hidden=64, heads=4, kv_heads=4, ffn=256, vocab=100, head_dim=16, gated=False,
                  positions=1024)
    with pytest.raises(WorkloadError, match=r"prompt 100 \+ 1,000 image tokens and decode 10 needs 1110 positions"):
        llm_serving(g2, prompt=100, decode=10, image_tokens=1000)


def test_a_mllama_stack_cut_below_its_cross_layers_keeps_its_image_out_of_the_prompt(tmp_path):
    """review 22 E 5: --layers 3 keeps none of mllama's cross layers (3, 8, ...): its image tokens
    stay cross keys no layer reads (the MACs of the text alone, with or without --image-tokens),
    never 100 prompt rows, and the CLI says so; --image-tokens 0 on a cross model is refused for
    the 0, not for a count the config does give."""
    from cimsim.errors import WorkloadError
    from cimsim.workload.llm_cross import cross_fields

    text = MLLAMA["text_config"]
    f = cross_fields(text, text, MLLAMA, 3)
    assert (f["cross_layers"], f["cross_vlm"], f["image_tokens"]) == ((), True, 6404)
    cut = LLMModel(layers=3, hidden=64, heads=4, kv_heads=2, ffn=128, vocab=100, head_dim=16, gated=True,
                   cross_vlm=True, image_tokens=6404)
    plain = LLMModel(**{**cut.__dict__, "cross_vlm": False, "image_tokens": None})
    base = llm_serving(plain, prompt=8, decode=1).macs
    assert llm_serving(cut, prompt=8, decode=1).macs == base
    assert llm_serving(cut, prompt=8, decode=1, image_tokens=100).macs == base  # not 108 prompt rows
    with pytest.raises(WorkloadError, match="image_tokens=0 must be >= 1 for a model with cross-attention layers"):
        llm_serving(XMODEL, prompt=5, decode=1, image_tokens=0)
    ml = tmp_path / "ml.json"
    ml.write_text(json.dumps(MLLAMA))
    r = CliRunner().invoke(main, ["workload", "llm", "--hf-config", str(ml), "--layers", "3", "--prompt", "8",
                                  "--decode", "1", "--image-tokens", "100", "-o", str(tmp_path / "c.json")])
    assert r.exit_code == 0, r.output
    assert "none is among this stack's 3 layer(s): the 100 image tokens per request are cross keys" in r.output
    r = CliRunner().invoke(main, ["workload", "llm", "--hf-config", str(ml), "--prompt", "8", "--image-tokens", "0",
                                  "--decode", "1", "-o", str(tmp_path / "d.json")])
    assert r.exit_code != 0 and "--image-tokens 0 must be >= 1 for a model with cross-attention layers" in r.output
    assert "does not give their count" not in r.output and "Traceback" not in r.output
