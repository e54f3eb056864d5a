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
    for n in ("gpt2", "llama", "mistral", "qwen2"):
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
