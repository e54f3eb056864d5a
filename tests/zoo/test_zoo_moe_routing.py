"""A mixture of experts' routing is one sample of random router weights (find-B 3): the trace
says per layer how many experts took tokens against uniform routing's expectation
E (1 - (1 - k/E)^B) (closed form, written here), and ``--param seed=N`` draws other weights so
the expert bytes can be averaged over seeds. A tiny real Mixtral (4 experts, top-2), no mocks."""

from __future__ import annotations

import os

import pytest
from click.testing import CliRunner

transformers = pytest.importorskip("transformers")
os.environ["HF_HUB_OFFLINE"] = "1"
pytestmark = pytest.mark.torch

import torch  # noqa: E402

from cimsim import zoo  # noqa: E402
from cimsim.cli import main  # noqa: E402
from cimsim.errors import WorkloadError  # noqa: E402
from cimsim.workload.trace import trace  # noqa: E402

#: d = 64, 4 heads of 16, 2 K/V heads, FFN 128, 4 experts, top-2, vocabulary 100; 2 layers
MIXTRAL = dict(num_hidden_layers=2, hidden_size=64, num_attention_heads=4, num_key_value_heads=2,
               intermediate_size=128, vocab_size=100, num_local_experts=4, num_experts_per_tok=2)


def _picked(model, args, kwargs=None):
    """The distinct experts each layer's router picks on ``args`` (read by a forward hook)."""
    seen = {}
    hooks = [layer.mlp.gate.register_forward_hook(
        lambda mod, a, out, i=i: seen.setdefault(i, set()).update(out[2].flatten().tolist()))
        for i, layer in enumerate(model.model.layers)]
    with torch.no_grad():
        model(*args, **(kwargs or {}))
    for h in hooks:
        h.remove()
    return [len(seen[i]) for i in sorted(seen)]


def test_each_layer_says_its_experts_used_against_uniform_routing():
    """8 tokens, top-2 of 4: uniform routing uses 4 (1 - (1 - 2/4)^8) = 4 (1 - 1/256) =
    3.984375 experts on average; the trace records what the router picked, per layer."""
    zm = zoo.build("hf:mixtral", real_weights=True, seq=8, **MIXTRAL)
    want = _picked(zm.model, zm.args, zm.kwargs)
    w = zoo.trace_zoo("hf:mixtral", real_weights=True, seq=8, **MIXTRAL)
    assert w.metadata["expert_routing"] == [
        {"module": f"model.layers.{i}.mlp.experts", "experts_used": n, "of": 4, "tokens": 8,
         "top_k": 2, "uniform_expected": 3.9844} for i, n in enumerate(want)]
    from cimsim.workload.trace.unread import notes, uniform_experts

    assert uniform_experts(4, 2, 8) == 4 * (1 - 0.5 ** 8) == 3.984375
    assert uniform_experts(8, 2, 4) == 8 * (1 - 0.75 ** 4) == 5.46875  # the finding's 8 experts, B = 4 (exact in binary)
    assert notes(w.metadata)[0] == (
        "expert routing is one sample of the router's random weights, not a trained router's: "
        f"2 layer(s) used {want[0]}, {want[1]} of 4 experts for 8 token(s) x top-2; uniform "
        "routing uses E(1-(1-k/E)^B) = 3.98 on average (the weights read follow the sample; "
        "average over seeds, --zoo hf:...'s --param seed=N; metadata['expert_routing'])")


def test_a_decode_step_counts_its_batch_as_the_tokens(tmp_path):
    """One decode token per request, batch 3: B = 3, so 4 (1 - 0.5^3) = 3.5 experts."""
    params = [a for k, v in {**MIXTRAL, "cache": 4, "batch": 3}.items() for a in ("--param", f"{k}={v}")]
    r = CliRunner().invoke(main, ["trace", "--zoo", "hf:mixtral", "--real-weights", *params,
                                  "-o", str(tmp_path / "d.json")])
    assert r.exit_code == 0, r.output
    text = " ".join(r.output.split())
    assert "of 4 experts for 3 token(s) x top-2; uniform routing uses E(1-(1-k/E)^B) = 3.50" in text


def test_the_seed_draws_the_random_weights_and_is_recorded():
    """seed=N builds the weights torch.manual_seed(N) draws (the router's included); the
    default is seed 0, as before; the seed is in metadata['zoo']['overrides']."""
    cfg = transformers.MixtralConfig(**MIXTRAL)
    for seed in (0, 5):
        torch.manual_seed(seed)
        ref = transformers.AutoModelForCausalLM.from_config(cfg)
        zm = zoo.build("hf:mixtral", real_weights=True, seed=seed, **MIXTRAL)
        assert torch.equal(zm.model.model.layers[0].mlp.gate.weight, ref.model.layers[0].mlp.gate.weight)
    default = zoo.build("hf:mixtral", real_weights=True, **MIXTRAL).model
    zero = zoo.build("hf:mixtral", real_weights=True, seed=0, **MIXTRAL).model
    five = zoo.build("hf:mixtral", real_weights=True, seed=5, **MIXTRAL).model
    gate = lambda m: m.model.layers[1].mlp.gate.weight  # noqa: E731
    assert torch.equal(gate(default), gate(zero)) and not torch.equal(gate(zero), gate(five))
    w = zoo.trace_zoo("hf:mixtral", real_weights=True, seed=5, seq=2, **MIXTRAL)
    assert w.metadata["zoo"]["overrides"]["seed"] == 5
    zm = zoo.build("hf:mixtral", real_weights=True, seed=5, seq=2, **MIXTRAL)
    assert [r["experts_used"] for r in w.metadata["expert_routing"]] == _picked(zm.model, zm.args, zm.kwargs)


@pytest.mark.parametrize("args, text", [
    (["--param", "seed=3"], "hf:mixtral: --param seed=3: the seed draws the random weights, and "
                            "without --real-weights the model is shapes only (fake tensors): add "
                            "--real-weights"),
    (["--real-weights", "--param", "seed=-1"],
     "hf:mixtral: --param seed=-1: the random weights' seed is a whole number >= 0"),
])
def test_a_seed_without_weights_or_not_a_whole_number_is_one_line(tmp_path, args, text):
    params = [a for k, v in MIXTRAL.items() for a in ("--param", f"{k}={v}")]
    r = CliRunner().invoke(main, ["trace", "--zoo", "hf:mixtral", *params, *args, "-o",
                                  str(tmp_path / "x.json")])
    assert r.exit_code == 1, r.output
    lines = r.output.strip().splitlines()
    assert lines == [f"Error: {text}"]


def test_a_dense_model_has_no_routing_note():
    w = trace(torch.nn.Linear(8, 8).eval(), (torch.ones(1, 8),))
    assert "expert_routing" not in w.metadata
    with pytest.raises(WorkloadError, match="seed"):
        zoo.build("hf:llama", seed=1, num_hidden_layers=1)


def test_a_users_own_moe_is_said_as_its_example_inputs_routing_without_seed_advice(tmp_path):
    """A SPEC of the user's (here the same tiny Mixtral, 8 tokens; its weights could be trained):
    the note claims no random weights and no hf: seed, only the example inputs' routing against
    uniform routing's 4 (1 - 0.5^8) = 3.98 (review 14-2 finding 6)."""
    spec = tmp_path / "mymoe.py"
    spec.write_text(
        "import torch, transformers\n"
        f"CFG = {MIXTRAL!r}\n"
        "def factory():\n"
        "    torch.manual_seed(0)\n"
        "    m = transformers.MixtralForCausalLM(transformers.MixtralConfig(**CFG)).eval()\n"
        "    return m, (torch.arange(8).reshape(1, 8),)\n")
    r = CliRunner().invoke(main, ["trace", f"{spec}:factory", "-o", str(tmp_path / "m.json")])
    assert r.exit_code == 0, r.output
    text = " ".join(r.output.split())
    assert ("note: expert routing is the routing of the example inputs (one sample), against "
            "uniform routing: 2 layer(s) used ") in text
    assert ("of 4 experts for 8 token(s) x top-2; uniform routing uses E(1-(1-k/E)^B) = 3.98 on "
            "average (the weights read follow it; metadata['expert_routing'])") in text
    assert "random weights" not in text and "seed" not in text
