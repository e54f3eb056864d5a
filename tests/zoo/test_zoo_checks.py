"""The zoo's parameters and configs checked before a build (third round of new users,
2026-12-05): a mixture of experts with real weights, a tensor-parallel Qwen2 (no ``head_dim``
in its config), inconsistent head counts, switches, a padding id outside the vocabulary, and
a failed build naming only the parameters the user gave. Real (tiny) models, no mocks."""

from __future__ import annotations

import json
import os

import pytest
from click.testing import CliRunner

transformers = pytest.importorskip("transformers")
os.environ["HF_HUB_OFFLINE"] = "1"
pytestmark = pytest.mark.torch

from cimsim import zoo  # noqa: E402
from cimsim.cli import main  # noqa: E402
from cimsim.errors import WorkloadError  # noqa: E402
from cimsim.workload import load_workload  # noqa: E402

#: a tiny Mixtral: d = 64, 4 heads of 16, 2 K/V heads, FFN 128, 4 experts, top-2, vocabulary 100
MIXTRAL = dict(num_hidden_layers=1, hidden_size=64, num_attention_heads=4, num_key_value_heads=2,
               intermediate_size=128, vocab_size=100, num_local_experts=4, num_experts_per_tok=2)


def _cli(*args):
    return CliRunner().invoke(main, [*args])


def _one_line_error(r) -> str:
    assert r.exit_code == 1, r.output
    lines = r.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), r.output
    return lines[0]


# --------------------------------------------------------------------------- 1: MoE, real weights
def test_a_mixture_of_experts_traces_with_real_weights_through_the_zoo():
    """The estimate of real weights built the model on fake tensors and met the MoE refusal
    (meant for tracing on fake tensors): every real-weights path refused. By hand, 8 tokens:
    each picks 2 experts, so the experts take 16 rows x (64 x 256 gate/up + 128 x 64 down) =
    393,216 MACs; q, o 8x64x64 and k, v 8x64x32 (98,304), scores and context 4 x 8 x 8 x 16
    each (8,192), router 8x64x4 (2,048), LM head 8x64x100 (51,200)."""
    w = zoo.trace_zoo("hf:mixtral", real_weights=True, seq=8, **MIXTRAL)
    assert w.metadata["zoo"]["weights"] == "real"
    experts = [op for op in w.ops if op.tags.get("aten") == "_grouped_mm"]
    assert sum(op.macs for op in experts) == 8 * 2 * (64 * 256 + 128 * 64) == 393_216
    assert sum(op.m for op in experts if "down_proj" in op.tags["weight_name"]) == 8 * 2
    assert w.macs == 98_304 + 8_192 + 2_048 + 393_216 + 51_200
    assert zoo.build("hf:mixtral", real_weights=True, **MIXTRAL).weights == "real"
    with pytest.raises(WorkloadError, match="mixture of experts"):  # still: fake, to be traced
        zoo.build("hf:mixtral", **MIXTRAL)


def test_a_mixture_of_experts_decode_step_estimate_counts_its_cache():
    """A decode step's cache comes from a forward, which a MoE cannot run on fake tensors: the
    estimate counts it as its shape (2 x 1 layer x 2 K/V heads x 4 tokens x 16, fp32), the
    bytes the real build holds."""
    need = zoo.registry.estimate_bytes("hf:mixtral", cache=4, **MIXTRAL)
    real = zoo.build("hf:mixtral", real_weights=True, cache=4, **MIXTRAL)
    assert need == real.materialise_bytes
    w = zoo.trace_zoo("hf:mixtral", real_weights=True, cache=4, **MIXTRAL)
    assert w.macs > 0


def test_the_cli_traces_a_mixture_of_experts_with_real_weights(tmp_path):
    out = tmp_path / "mix.json"
    params = [a for k, v in MIXTRAL.items() for a in ("--param", f"{k}={v}")]
    r = _cli("trace", "--zoo", "hf:mixtral", "--real-weights", *params, "-o", str(out))
    assert r.exit_code == 0, r.output
    assert "with real weights: ~" in r.output
    assert load_workload(out).macs == 552_960  # as above


# --------------------------------------------------------------------------- 2: Qwen2, TP
def test_serve_tensor_parallel_qwen2_has_the_generators_macs(tmp_path):
    """Qwen2's config has no head_dim (its attention takes hidden / heads): --serve
    --tensor-parallel refused it. It now keeps the full model's head width, as the generator."""
    cfg = transformers.AutoConfig.for_model("qwen2", num_hidden_layers=2, hidden_size=64,
                                            num_attention_heads=4, num_key_value_heads=2,
                                            intermediate_size=128, vocab_size=256).to_dict()
    assert "head_dim" not in cfg
    path = tmp_path / "qwen2.json"
    path.write_text(json.dumps(cfg))
    opts = ["--prompt", "16", "--decode", "2", "--tensor-parallel", "2"]
    r = _cli("trace", "--zoo", f"hf:{path}", "--serve", *opts, "-o", str(tmp_path / "t.json"))
    assert r.exit_code == 0, r.output
    r = _cli("workload", "llm", "--hf-config", str(path), *opts, "-o", str(tmp_path / "g.json"))
    assert r.exit_code == 0, r.output
    t, g = load_workload(tmp_path / "t.json"), load_workload(tmp_path / "g.json")
    assert t.metadata["llm"]["step_macs"] == g.metadata["llm"]["step_macs"]
    assert t.macs == g.macs == 725_376
    r = _cli("trace", "--zoo", "qwen2", "--serve", "--prompt", "8", "--decode", "1",
             "--tensor-parallel", "2", "-o", str(tmp_path / "z.json"))
    assert r.exit_code == 0, r.output


# --------------------------------------------------------------------------- 3: head counts
@pytest.mark.parametrize("params, text", [
    (["num_attention_heads=4"],  # Mistral's num_key_value_heads is 8
     "hf:mistral: num_key_value_heads=8 (the config class's default) must divide "
     "num_attention_heads=4 (--param)"),
    (["num_attention_heads=6", "num_key_value_heads=4"],
     "num_key_value_heads=4 (--param) must divide num_attention_heads=6 (--param)"),
    (["hidden_size=60", "num_attention_heads=8", "num_key_value_heads=2"],
     "hidden_size=60 (--param) is not a multiple of num_attention_heads=8 (--param)"),
])
def test_inconsistent_head_counts_are_one_line_naming_the_fields(tmp_path, params, text):
    sizes = ["num_hidden_layers=1", "hidden_size=64", "intermediate_size=128", "vocab_size=128"]
    args = [a for p in sizes + params for a in ("--param", p)]
    line = _one_line_error(_cli("trace", "--zoo", "hf:mistral", *args, "-o", str(tmp_path / "x.json")))
    assert text in line
    assert "RuntimeError" not in line and "size of tensor" not in line


def test_registered_decoder_head_counts_are_checked_from_the_api():
    with pytest.raises(WorkloadError, match=r"llama: num_key_value_heads=3 \(--param\) must divide "
                                            r"num_attention_heads=4 \(llama's default\).* one of 1, 2, 4"):
        zoo.build("llama", num_key_value_heads=3)


# --------------------------------------------------------------------------- 4: switches
@pytest.mark.parametrize("value", ["maybe", "2", "1", "yes please"])
def test_a_switch_is_true_or_false(tmp_path, value):
    line = _one_line_error(_cli("trace", "--zoo", "resnet18", "--param", f"cifar={value}",
                                "-o", str(tmp_path / "r.json")))
    assert "--param cifar=" in line and "cifar is a switch, true or false" in line


def test_switches_of_factories_and_configs_refuse_other_values():
    assert zoo.build("resnet18", cifar=False).overrides == {"cifar": False}
    with pytest.raises(WorkloadError, match="cifar is a switch"):
        zoo.build("resnet18", cifar=0)
    # a Hugging Face config field whose default is a bool, the class's or the entry's own
    with pytest.raises(WorkloadError, match="tie_word_embeddings is a switch"):
        zoo.build("llama", tie_word_embeddings="no")
    with pytest.raises(WorkloadError, match="use_mambapy is a switch"):
        zoo.build("mamba", use_mambapy=1)
    with pytest.raises(WorkloadError, match="attention_bias is a switch"):
        zoo.build("hf:llama", num_hidden_layers=1, attention_bias="maybe")
    zoo.build("llama", tie_word_embeddings=True)


# --------------------------------------------------------------------------- 5: config values
def _phi3(tmp_path, **extra):
    cfg = transformers.AutoConfig.for_model("phi3", num_hidden_layers=1, hidden_size=64,
                                            num_attention_heads=4, num_key_value_heads=2,
                                            intermediate_size=128, vocab_size=256, **extra).to_dict()
    path = tmp_path / "cfg_phi3.json"
    path.write_text(json.dumps(cfg))
    return path


def test_a_padding_id_outside_the_vocabulary_names_both_fields_and_their_source(tmp_path):
    path = _phi3(tmp_path)
    assert json.loads(path.read_text())["pad_token_id"] == 32000
    out = ["-o", str(tmp_path / "p.json")]
    line = _one_line_error(_cli("trace", "--zoo", f"hf:{path}", "--serve", "--prompt", "8",
                                "--decode", "1", *out))
    assert f"pad_token_id=32000 (from {path}) is not below vocab_size=256 (from {path})" in line
    assert "AssertionError" not in line and "seq=8" not in line
    line = _one_line_error(_cli("trace", "--zoo", f"hf:{path}", "--param", "vocab_size=128", *out))
    assert "vocab_size=128 (--param)" in line
    r = _cli("trace", "--zoo", f"hf:{path}", "--param", "pad_token_id=null", *out)
    assert r.exit_code == 0, r.output


def test_a_failed_build_names_only_the_users_parameters(tmp_path):
    """--serve builds at seq=8 itself: a failure said "with seq=8 ...; check the --param values"
    to a user who gave none."""
    path = _phi3(tmp_path, pad_token_id=0, hidden_act="no_such_activation")
    out = ["-o", str(tmp_path / "p.json")]
    line = _one_line_error(_cli("trace", "--zoo", f"hf:{path}", "--serve", "--prompt", "8",
                                "--decode", "1", *out))
    assert "(at seq=8, set by the tracer, not a --param)" in line
    assert "with seq" not in line and "check the --param values" not in line
    assert "no_such_activation" in line
    line = _one_line_error(_cli("trace", "--zoo", f"hf:{path}", "--param", "seq=4", *out))
    assert "with seq=4" in line and "check the --param values" in line


# --------------------------------------------------------------------------- fifth round (evening)
#: a tiny GPT-2 with a 16-position table: d = 32, 2 heads, 1 layer, vocabulary 100
GPT2 = ["--param", "n_layer=1", "--param", "n_embd=32", "--param", "n_head=2", "--param",
        "vocab_size=100", "--param", "n_positions=16"]


def test_serving_past_a_learned_position_table_is_refused_by_both_paths(tmp_path):
    """GPT-2's positions are a table of n_positions: a prompt of 12 and 5 decode steps need
    12 + 5 = 17 positions (the last step's token sits at 16), past 16. `trace --serve` and
    `workload llm` accepted it (found by a tester, 2026-12-05); 12 + 4 = 16 fits both."""
    msg = _one_line_error(_cli("trace", "--zoo", "hf:gpt2", *GPT2, "--serve", "--prompt", "12",
                               "--decode", "5", "-o", str(tmp_path / "t.json")))
    assert "--prompt + --decode: hf:gpt2 needs 17 positions, past its table of 16 (n_positions)" in msg
    cfg = tmp_path / "gpt2.json"
    cfg.write_text(json.dumps({"model_type": "gpt2", "n_layer": 1, "n_embd": 32, "n_head": 2,
                               "vocab_size": 100, "n_positions": 16}))
    msg = _one_line_error(_cli("workload", "llm", "--hf-config", str(cfg), "--prompt", "12",
                               "--decode", "5", "-o", str(tmp_path / "w.json")))
    assert "a request of prompt 12 and decode 5 needs 17 positions, past the model's table of 16" in msg
    r = _cli("workload", "llm", "--hf-config", str(cfg), "--prompt", "12", "--decode", "4",
             "-o", str(tmp_path / "w.json"))
    assert r.exit_code == 0, r.output
    # a rotary model (Llama) has no table: its max_position_embeddings is no limit here
    llama = tmp_path / "llama.json"
    llama.write_text(json.dumps({"model_type": "llama", "num_hidden_layers": 1, "hidden_size": 32,
                                 "num_attention_heads": 2, "intermediate_size": 64,
                                 "vocab_size": 100, "max_position_embeddings": 16}))
    r = _cli("workload", "llm", "--hf-config", str(llama), "--prompt", "12", "--decode", "5",
             "-o", str(tmp_path / "l.json"))
    assert r.exit_code == 0, r.output


def test_tensor_parallel_as_wide_as_the_kv_heads_traces_as_the_generator_builds_it(tmp_path):
    """4 query heads, 2 K/V heads over 4 devices: each device has one query head and a copy of
    one K/V head, so HF drops repeat_kv and the traced share had "other ops than the full
    one" (a tester, 2026-12-05); it is split by its weight matmuls, and both paths do the
    same MACs and all-reduces."""
    shape = ["--param", "num_hidden_layers=1", "--param", "hidden_size=64", "--param",
             "num_attention_heads=4", "--param", "num_key_value_heads=2", "--param",
             "intermediate_size=128", "--param", "vocab_size=100"]
    opts = ["--prompt", "4", "--decode", "1", "--tensor-parallel", "4"]
    r = _cli("trace", "--zoo", "hf:llama", *shape, "--serve", *opts, "-o", str(tmp_path / "t.json"))
    assert r.exit_code == 0, r.output
    r = _cli("workload", "llm", "--layers", "1", "--hidden", "64", "--heads", "4", "--kv-heads", "2",
             "--ffn", "128", "--vocab", "100", *opts, "-o", str(tmp_path / "g.json"))
    assert r.exit_code == 0, r.output
    t, g = load_workload(tmp_path / "t.json"), load_workload(tmp_path / "g.json")
    assert t.macs == g.macs
    assert sum(o.kind == "allreduce" for o in t.ops) == sum(o.kind == "allreduce" for o in g.ops) > 0


def test_a_config_json_key_given_twice_is_refused_by_the_tracer(tmp_path):
    cfg = tmp_path / "dup.json"
    cfg.write_text('{"model_type": "llama", "hidden_size": 32, "hidden_size": 64}')
    msg = _one_line_error(_cli("trace", "--zoo", f"hf:{cfg}", "-o", str(tmp_path / "t.json")))
    assert msg == (f"Error: hf:{cfg}: key 'hidden_size' is given twice in one object (JSON would "
                   "keep only the last value); give each key once")


def test_static_padding_past_the_position_table_names_the_padding_in_both_paths(tmp_path):
    """GPT-2 (transformers' default config: a table of 1024 learned positions), one layer:
    request 0 asks for a prompt of 1000 and 10 decode steps (1000 + 10 = 1010 positions, fits);
    request 1 for 10 and 100 (110). A static batch of both runs request 0's row on to the
    batch's longest decode, 100: 1000 + 100 = 1100 positions, past 1024. Both paths refused it
    with "a request of prompt 1000 and decode 100", a request nobody gave (review 1, finding 1);
    the error now names the padding and the fix. Continuous batching pads nothing: it runs."""
    lengths = ["--layers", "1", "--prompt", "1000,10", "--decode", "10,100", "--batch", "2"]
    want = (f"--batching static runs request 0's row (prompt 1000, decode 10) for its batch's "
            f"longest decode 100: {1000 + 100} positions, past the model's 1024 learned "
            "positions; use --batching continuous, or batch requests of similar lengths")
    msg = _one_line_error(_cli("workload", "llm", "--hf-model", "gpt2", *lengths,
                               "-o", str(tmp_path / "g.npz")))
    assert msg == f"Error: llm: {want}"
    msg = _one_line_error(_cli("trace", "--zoo", "hf:gpt2", "--serve", "--param", "n_layer=1",
                               *lengths[2:], "-o", str(tmp_path / "s.json")))
    assert msg == f"Error: --serve: {want}"
    r = _cli("workload", "llm", "--hf-model", "gpt2", *lengths, "--batching", "continuous",
             "-o", str(tmp_path / "c.npz"))
    assert r.exit_code == 0, r.output
    # a request's own lengths past the table keep the request's error (1000 + 30 = 1030)
    msg = _one_line_error(_cli("workload", "llm", "--hf-model", "gpt2", "--layers", "1",
                               "--prompt", "1000,10", "--decode", "30,10", "--batch", "2",
                               "-o", str(tmp_path / "g.npz")))
    assert "a request of prompt 1000 and decode 30 needs 1030 positions" in msg


# --------------------------------------------------------------------------- experts per token
@pytest.mark.parametrize("model, params, text", [
    ("hf:mixtral", ["num_experts_per_tok=9"],  # Mixtral's num_local_experts is 8
     "hf:mixtral: num_experts_per_tok=9 (--param) is more than num_local_experts=8 (the config "
     "class's default)"),
    ("hf:mixtral", ["num_local_experts=1"],  # its num_experts_per_tok is 2
     "hf:mixtral: num_experts_per_tok=2 (the config class's default) is more than "
     "num_local_experts=1 (--param)"),
    ("hf:qwen2_moe", ["num_experts=4", "num_experts_per_tok=5"],
     "hf:qwen2_moe: num_experts_per_tok=5 (--param) is more than num_experts=4 (--param)"),
])
def test_more_experts_per_token_than_experts_is_one_line_naming_both_fields(tmp_path, model, params, text):
    """torch said 'selected index k out of range' from inside the router, naming no field."""
    sizes = ["num_hidden_layers=1", "hidden_size=64", "intermediate_size=128", "num_attention_heads=4",
             "num_key_value_heads=2", "vocab_size=256"]
    args = [a for p in sizes + params for a in ("--param", p)]
    line = _one_line_error(_cli("trace", "--zoo", model, "--real-weights", *args,
                                "-o", str(tmp_path / "x.json")))
    assert text in line
    assert "RuntimeError" not in line and "out of range" not in line
