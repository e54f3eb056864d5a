"""``hf:TYPE`` of an encoder-decoder (find-G 1, 2, 4): the whole model (encoder, and decoder with
cross-attention), or one decoder step against a self- and a cross-attention cache, held to
closed-form MAC counts; ``--serve`` refuses them naming the encoder-decoder and the params that
trace it.

Before: hf:bart / hf:whisper built the decoder-only causal LM (no encoder, no conv front end,
no cross-attention, nothing said), their ``cache=N`` step had no cross-attention, hf:t5 refused
``cache``, and ``hf:whisper --serve`` blamed the transformers version.
"""

from __future__ import annotations

import json
import os

import pytest

pytest.importorskip("transformers")
os.environ["HF_HUB_OFFLINE"] = "1"
pytestmark = pytest.mark.torch

from click.testing import CliRunner  # noqa: E402

from cimsim import zoo  # noqa: E402
from cimsim.cli import main  # noqa: E402
from cimsim.errors import WorkloadError  # noqa: E402

# Whisper: d 64, 2 + 2 layers, FFN 128, 16 mel bins, 32 encoder positions (64 frames), vocab 128
D, L, F, MEL, S, V = 64, 2, 128, 16, 32, 128
WHISPER = dict(d_model=D, encoder_layers=L, decoder_layers=L, encoder_attention_heads=2,
               decoder_attention_heads=2, encoder_ffn_dim=F, decoder_ffn_dim=F, num_mel_bins=MEL,
               max_source_positions=S, max_target_positions=32, vocab_size=V, pad_token_id=0,
               bos_token_id=1, eos_token_id=2, decoder_start_token_id=1)
# BART: d 32, 2 + 2 layers, FFN 64, vocab 128, 64 positions
BD, BF = 32, 64
BART = dict(d_model=BD, encoder_layers=L, decoder_layers=L, encoder_attention_heads=4,
            decoder_attention_heads=4, encoder_ffn_dim=BF, decoder_ffn_dim=BF, vocab_size=V,
            max_position_embeddings=64, pad_token_id=1, bos_token_id=0, eos_token_id=2,
            decoder_start_token_id=2, forced_eos_token_id=2)


def encoder_macs(src, d, f, layers=L):
    # per layer: q, k, v, o (4 d^2 a position), FFN (2 d f), scores and P.V (2 src^2 d)
    return layers * (4 * src * d * d + 2 * src * d * f + 2 * src * src * d)


def decoder_macs(tgt, src, d, f, layers=L):
    # per layer: self q, k, v, o (4 d^2 a token) and T x T scores + P.V; cross q, o (2 d^2 a
    # token), cross k, v over the encoder's positions (2 src d^2), tgt x src scores + P.V; FFN
    return layers * (4 * tgt * d * d + 2 * tgt * tgt * d + 2 * tgt * d * d + 2 * src * d * d
                     + 2 * tgt * src * d + 2 * tgt * d * f)


def step_macs(cache, enc, d, f, vocab, layers=L):
    # one token, per layer: self q, k, v, o (4 d^2), cross q, o (2 d^2: the cross K and V are
    # read from the cache, not recomputed), FFN (2 d f), self scores + P.V over cache + 1
    # positions, cross scores + P.V over the encoder's; plus the LM head (d x vocab)
    return layers * (6 * d * d + 2 * d * f + 2 * (cache + 1) * d + 2 * enc * d) + d * vocab


def test_whisper_is_the_whole_encoder_decoder():
    w = zoo.trace_zoo("hf:whisper", **WHISPER)  # target: 8 // 2 = 4 decoder tokens
    frames = 2 * S
    conv = frames * D * MEL * 3 + S * D * D * 3  # conv1 (stride 1), conv2 (stride 2), kernel 3
    assert w.macs == conv + encoder_macs(S, D, F) + decoder_macs(4, S, D, F)
    built = w.metadata["zoo"]["built"]
    assert "WhisperModel, the whole encoder-decoder" in built and "16 mel bins x 64 frames" in built


def test_whisper_decoder_step_reads_a_cross_attention_cache():
    # encoder_len: max_source_positions by default
    w = zoo.trace_zoo("hf:whisper", cache=5, **WHISPER)
    assert w.macs == step_macs(5, S, D, F, V)
    assert "cross-attention cache of 32 encoder positions" in w.metadata["zoo"]["built"]
    w = zoo.trace_zoo("hf:whisper", cache=5, encoder_len=20, **WHISPER)
    assert w.macs == step_macs(5, 20, D, F, V)


def test_whisper_step_cross_cache_footprint_and_pim_products():
    # the merged interaction (review 15-2): the step's cross-attention K and V of each of the L
    # layers over M = 20 encoder positions, fp32 (4 B), are KV cache: 2 L D M 4 B; its self-
    # attention cache (5 tokens) is read through the concatenation with the new row, so it is
    # no cache the footprint counts. On gpu-hbm-pim-attn both cross products of each layer (Q.K^T
    # and P.V, D x M MACs each) run on the PIM units: 2 L products; the 2 L self-attention
    # products stay on the host, and the note says --serve cannot read them in place here
    from pathlib import Path

    from cimsim.config import load_architecture
    from cimsim.mapping.placement import place
    from cimsim.workload.footprint import footprint

    w = zoo.trace_zoo("hf:whisper", cache=5, encoder_len=20, **WHISPER)
    assert footprint(w).kv_cache == 2 * L * D * 20 * 4
    pl = place(w, load_architecture(Path(__file__).resolve().parents[2] / "configs"
                                    / "gpu-hbm-pim-attn.yaml"))
    pim = [i for i, c in enumerate(pl.components) if c.name == "pim"][0]
    a = w.arrays
    on_pim = (pl.component == pim) & (a.stationary < 0) & (a.rows > 0)
    assert int(on_pim.sum()) == 2 * L and set(a.macs[on_pim].tolist()) == {D * 20}
    note = [n for n in pl.notes if "without a weight stay on the host" in n]
    assert len(note) == 1 and note[0].startswith(f"{2 * L} matmul(s) without a weight")
    assert "is decoder-only" in note[0] and "trace with --serve" not in note[0]


def test_bart_is_the_whole_encoder_decoder_and_steps_with_cross_attention():
    w = zoo.trace_zoo("hf:bart", seq=10, target=3, **BART)
    assert w.macs == encoder_macs(10, BD, BF) + decoder_macs(3, 10, BD, BF)
    w = zoo.trace_zoo("hf:bart", cache=6, encoder_len=10, **BART)
    assert w.macs == step_macs(6, 10, BD, BF, V)


def test_t5_steps_with_a_cross_attention_cache():
    # T5: d_model 32, 4 heads of d_kv 8 (inner 32 = d), FFN 64; no bias, relative positions
    cfg = dict(vocab_size=V, d_model=32, d_kv=8, d_ff=64, num_layers=2, num_decoder_layers=2,
               num_heads=4)
    w = zoo.trace_zoo("hf:t5", cache=7, encoder_len=12, **cfg)
    assert w.macs == step_macs(7, 12, 32, 64, V)


def test_whisper_config_file_and_cli_note(tmp_path):
    path = tmp_path / "whisper-small.json"
    path.write_text(json.dumps({"model_type": "whisper", "is_encoder_decoder": True, **WHISPER}))
    out = tmp_path / "w.json"
    r = CliRunner().invoke(main, ["trace", "--zoo", f"hf:{path}", "--param", "cache=3", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert f"{step_macs(3, S, D, F, V):,} MACs" in r.output
    assert "note: hf:" in r.output and "WhisperForConditionalGeneration, one decoder step" in r.output


@pytest.mark.parametrize("name, params, msg", [
    ("hf:llama", {"target": 3}, "hf:llama: --param target: llama is no encoder-decoder"),
    ("hf:t5", {"encoder_len": 4}, "hf:t5: --param encoder_len goes with cache=N"),
    ("hf:t5", {"cache": 2, "seq": 4}, "its encoder length is --param encoder_len"),
    ("hf:whisper", {**WHISPER, "seq": 4}, "set its length with --param max_source_positions"),
    ("hf:whisper", {**WHISPER, "cache": 32}, "cache=32: the decoder needs 33 positions, past its "
                                              "table of 32 (max_target_positions)"),
    ("hf:bart", {**BART, "cache": 2, "encoder_len": 65},
     "encoder_len=65: the encoder needs 65 positions, past its table of 64 (max_position_embeddings)"),
])
def test_encoder_decoder_params_refused_in_one_line(name, params, msg):
    with pytest.raises(WorkloadError, match=msg.replace("(", r"\(").replace(")", r"\)")):
        zoo.build(name, **params)


@pytest.mark.parametrize("name", ["hf:whisper", "hf:bart", "hf:t5"])
def test_serve_refuses_encoder_decoders_with_advice_that_works(tmp_path, name):
    r = CliRunner().invoke(main, ["trace", "--zoo", name, "--serve", "-o", str(tmp_path / "x.npz")])
    assert r.exit_code != 0 and "Traceback" not in r.output
    assert f"{name}: --serve: {name[3:]} is an encoder-decoder model" in r.output
    assert f"--zoo {name} --param cache=N --param encoder_len=M" in r.output
    assert "transformers 4.50" not in r.output
