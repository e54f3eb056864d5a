"""The model zoo traced by the aten capture (issue 8).

Every zoo model (Hugging Face transformers built from config classes with
random weights, no network; torch.nn recurrent, attention and CNN models
written by hand) traces with default options, its MACs equal the hardened
FLOP counter's (FlopCounterMode with the fused kernels off and mv/dot
formulas added; FLOPs / 2), and it simulates on every bundled config.
A few models are also held to closed-form MAC counts written out here.
"""

from __future__ import annotations

import os

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")
os.environ["HF_HUB_OFFLINE"] = "1"

import cimsim  # noqa: E402
from cimsim import bundled, zoo  # noqa: E402
from cimsim.workload.trace.flops import count_macs  # noqa: E402

ARCHS = [cimsim.load_architecture(p) for p in bundled.config_paths()]


def test_zoo_covers_the_issue_families():
    names = set(zoo.ZOO)
    for n in ("gpt2", "bert", "t5", "llama", "mistral", "qwen2", "vit", "whisper", "wav2vec2", "mamba",
              "nn-transformer", "lstm-packed", "gru-bi", "seq2seq-attn", "han", "resnet", "mobilenet"):
        assert n in names
    for n in ("gpt2", "llama", "mistral", "qwen2", "mamba"):
        assert f"{n}-decode" in names
    assert len(names) >= 18


@pytest.mark.parametrize("name", list(zoo.ZOO))
def test_zoo_model_macs_equal_hardened_counter_and_simulates(name):
    w = zoo.trace_zoo(name)
    model, args, kwargs = zoo.build(name)  # a fresh model: a decode step consumes its cache
    assert w.macs > 0
    assert w.macs == count_macs(model, args, kwargs)
    assert w.metadata["mapped_mac_share"] == 1.0 and w.metadata["unknown_ops"] == []
    for arch in ARCHS:
        r = cimsim.simulate(arch, w, keep_ops=False)
        assert r.latency_s > 0


def test_gpt2_prefill_closed_form():
    # per layer: QKV (3d^2) + out proj (d^2) + MLP (2 * d * 4d) per token, scores and AV 2 T^2 d;
    # plus the LM head T d V (GPT-2 ties it to the token embedding)
    T, d, L, V = 8, 32, 2, 128
    w = zoo.trace_zoo("gpt2", seq=T)
    assert w.macs == L * (T * 12 * d * d + 2 * T * T * d) + T * d * V


def test_llama_decode_step_reads_its_kv_cache():
    # one token against a cache of S: attention spans S + 1 positions; grouped-query attention:
    # K and V projections are kv_heads * head_dim = 16 wide, Q and O 32 wide
    S, d, f, L, H, hd, kvd, V = 16, 32, 64, 2, 4, 8, 16, 128
    w = zoo.trace_zoo("llama-decode", cache=S)
    per_layer = 2 * d * d + 2 * d * kvd + 3 * d * f + 2 * H * (S + 1) * hd
    assert w.macs == L * per_layer + d * V
    cache = [t for t in w.tensors.values() if t.name.startswith("past_key_values")]
    # every layer's K and V cache (batch 1, 2 KV heads, S positions, head_dim 8, fp32) is an input ...
    assert len(cache) == 2 * L and all(t.role == "input" and t.shape == (1, 2, S, 8) for t in cache)
    # ... that an op reads: the cache is memory traffic of the step
    readers = {t for op in w.ops for t in op.inputs}
    assert all(t.name in readers for t in cache)
    assert w.arrays.act_in_bytes.sum() >= 2 * L * S * kvd * 4


def test_bidirectional_gru_lifts_to_the_generator_structure():
    from cimsim.workload.generators import gru

    L, T, B, I, H = 3, 8, 2, 16, 32
    w = zoo.trace_zoo("gru-bi", layers=L, steps=T, batch=B, inp=I, hidden=H)
    g = gru(I, H, L, steps=T, batch=B)
    # per direction the generator's ops: one input projection per layer, per step one recurrent
    # matmul and ONE fused pointwise cell op; the trace adds the input bias add and the
    # direction concatenation per layer
    parts = [op.tags.get("part") for op in w.ops]
    assert parts.count("input") == 2 * L and parts.count("recurrent") == 2 * L * T
    assert parts.count("state") == 2 * L * T
    assert all(op.fn == "gru_pointwise" for op in w.ops if op.tags.get("part") == "state")
    assert len(w.ops) <= 1.15 * 2 * len(g.ops)


def test_allow_unknown_keeps_macs_and_reports_the_share():
    import torch

    from cimsim.errors import WorkloadError
    from cimsim.workload.trace import trace

    class M(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = torch.nn.Linear(6, 8)

        def forward(self, b1, b2):  # addbmm: batched products summed over the batch; not mapped
            return self.fc(torch.addbmm(torch.zeros(4, 6), b1, b2))

    inputs = (torch.randn(3, 4, 5), torch.randn(3, 5, 6))
    with pytest.raises(WorkloadError) as exc:
        trace(M(), inputs)
    msg = str(exc.value)
    assert "addbmm" in msg and "test_trace_zoo.py:" in msg and "allow-unknown" in msg
    w = trace(M(), inputs, allow_unknown=True)
    unknown, linear = 3 * 4 * 5 * 6, 4 * 6 * 8
    assert w.macs == unknown + linear == count_macs(M(), inputs)
    (entry,) = w.metadata["unknown_ops"]
    assert "addbmm" in entry["op"] and entry["macs"] == unknown
    assert w.metadata["mapped_mac_share"] == pytest.approx(linear / (unknown + linear))
    for arch in ARCHS:
        assert cimsim.simulate(arch, w, keep_ops=False).macs == unknown + linear


def test_generic_macs_survive_the_workload_file(tmp_path):
    from cimsim.workload import load_workload, save_workload
    from cimsim.workload.ir import Op, Tensor, Workload

    w = Workload("g", [Tensor("x", (4,), "fp32", "input"), Tensor("y", (4,), "fp32", "activation")],
                 [Op("odd", "elementwise", ("x",), ("y",), fn="generic", generic_macs=120)])
    save_workload(w, tmp_path / "g.json")
    back = load_workload(tmp_path / "g.json")
    assert back.macs == w.macs == 120 and back.arrays.macs.tolist() == [120.0]


# --------------------------------------------------------------------------- CLI
def _cli(args):
    from click.testing import CliRunner

    from cimsim.cli import main

    return CliRunner().invoke(main, ["trace", *args])


def test_cli_hf_decode_step_by_config(tmp_path):
    from cimsim.workload.io import load_workload

    out = tmp_path / "dec.json"
    cfg = ["--hf-config", "n_layer=2", "--hf-config", "n_embd=32", "--hf-config", "n_head=2",
           "--hf-config", "vocab_size=128"]
    r = _cli(["--hf", "gpt2", *cfg, "--cache", "12", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert "100.0% of MACs mapped to specific kinds" in r.output
    # one token: QKV + proj + MLP (12 d^2), attention over 12 cached + 1 new positions, LM head
    L, d, S, V = 2, 32, 12, 128
    assert load_workload(out).macs == L * (12 * d * d + 2 * (S + 1) * d) + d * V


def test_cli_zoo_and_errors(tmp_path):
    out = tmp_path / "r.json"
    r = _cli(["--zoo", "resnet", "--param", "width=4", "-o", str(out)])
    assert r.exit_code == 0 and out.exists(), r.output
    for args, code, text in [
        (["--hf", "no-such-model"], 1, "no model type 'no-such-model'"),
        (["--hf", "gpt2", "--hf-config", "no_field=3"], 1, "no field(s) no_field"),
        (["--zoo", "nope"], 1, "no zoo model 'nope'"),
        (["--hf", "gpt2", "--param", "width=4"], 2, "--param goes with --zoo"),
        (["--zoo", "resnet", "--hf", "gpt2"], 2, "exactly one of"),
    ]:
        r = _cli([*args, "-o", str(tmp_path / "x.json")])
        assert r.exit_code == code and text in r.output and "Traceback" not in r.output, r.output


def test_hardened_counter_closes_the_plain_counters_blind_spots():
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    def plain(model, inputs):
        with FlopCounterMode(display=False) as fc, torch.no_grad():
            model(*inputs)
        return fc.get_total_flops() // 2

    T, B, I, H = 5, 2, 8, 16
    lstm, x = torch.nn.LSTM(I, H).eval(), (torch.randn(T, B, I),)
    assert count_macs(lstm, x) == T * B * 4 * H * (I + H)
    if torch.backends.mkldnn.is_available():
        assert plain(lstm, x) == 0  # one fused oneDNN op without a formula

    class MV(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.randn(6, 4))

        def forward(self, v):
            return torch.mv(self.w, v)

    mv = (MV(), (torch.randn(4),))
    assert plain(*mv) == 0 and count_macs(*mv) == 6 * 4


def test_cli_factory_with_keyword_inputs(tmp_path):
    """A user's factory may return keyword inputs: here a decode step and its KV cache."""
    from textwrap import dedent

    from cimsim.workload.io import load_workload

    src = tmp_path / "step.py"
    src.write_text(dedent('''
        from cimsim import zoo

        def step():
            return zoo.build("qwen2-decode", cache=10)
    '''))
    out = tmp_path / "step.json"
    r = _cli([f"{src}:step", "-o", str(out)])
    assert r.exit_code == 0, r.output
    w = load_workload(out)
    model, args, kwargs = zoo.build("qwen2-decode", cache=10)
    assert w.macs == count_macs(model, args, kwargs)
    assert sum(t.name.startswith("past_key_values") for t in w.tensors.values()) == 4
