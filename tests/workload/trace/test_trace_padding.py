"""Variable-length sequences (find-Y 1-4): the padded share a trace sees, the zoo's packed lengths.

Sequences of lengths 10, 7, 3 padded to 10: 30 positions, 20 real, 10 padding. A 1-layer
``nn.TransformerEncoder`` (d = 32, 4 heads, FFN 64) runs its projections and FFN as weight
matmuls of m = 30 rows: 4 x 30 x 32 x 32 + 2 x 30 x 32 x 64 = 245,760 MACs; on the 20 real rows
(what PyTorch's nested-tensor fast path runs) 4 x 20 x 32 x 32 + 2 x 20 x 32 x 64 = 163,840.

``--zoo lstm-packed`` (I = 16, H = 32, proj P = 16, 2 bidirectional layers): per real token
2 x 4 x 32 x (16 + 16) + 2 x 32 x 16 = 9,216 MACs in layer 0 and 2 x 4 x 32 x (32 + 16) +
2 x 32 x 16 = 13,312 in layer 1, 22,528 in all.
"""

from __future__ import annotations

import json
from textwrap import dedent

import pytest
from click.testing import CliRunner

from cimsim.cli import main

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch")

MODELS = dedent('''
    import torch
    from torch import nn
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

    LENS = [10, 7, 3]

    def _mask():
        return torch.arange(10)[None, :] >= torch.tensor(LENS)[:, None]  # True: padding

    class Enc(nn.Module):
        def __init__(self, nested):
            super().__init__()
            layer = nn.TransformerEncoderLayer(32, 4, 64, dropout=0.0, batch_first=True)
            self.enc = nn.TransformerEncoder(layer, 1, enable_nested_tensor=nested)

        def forward(self, x, mask=None):
            return self.enc(x, src_key_padding_mask=mask)

    def enc(nested=True, mask=True):
        torch.manual_seed(0)
        x = torch.randn(3, 10, 32)
        return Enc(nested).eval(), ((x, _mask()) if mask else (x,))

    def bare_enc():
        torch.manual_seed(0)
        layer = nn.TransformerEncoderLayer(32, 4, 64, dropout=0.0, batch_first=True)
        enc = nn.TransformerEncoder(layer, 1).eval()
        return enc, (torch.randn(3, 10, 32),), {"src_key_padding_mask": _mask()}

    class Packed(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = nn.LSTM(16, 32, batch_first=True)

        def forward(self, x, lengths):
            p = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
            o, _ = self.rnn(p)
            return pad_packed_sequence(o, batch_first=True)[0]

    def packed():
        torch.manual_seed(0)
        return Packed().eval(), (torch.randn(3, 10, 16), torch.tensor(LENS))

    def meta():
        with torch.device("meta"):
            m, x = Packed(), torch.randn(3, 10, 16)
        return m.eval(), (x, torch.tensor(LENS))

    def float_enc(fill="-1e9", nested=True):   # an additive mask, Hugging Face style
        torch.manual_seed(0)
        v = torch.finfo(torch.float32).min if fill == "finfo" else float(fill)
        mask = torch.zeros(3, 10).masked_fill(_mask(), v)
        return Enc(nested).eval(), (torch.randn(3, 10, 32), mask)

    class Decode(nn.Module):                 # greedy decoding: a new target mask each step
        def __init__(self):
            super().__init__()
            self.t = nn.Transformer(32, 4, 1, 1, 64, dropout=0.0, batch_first=True)

        def forward(self, src, smask, steps):
            mem = self.t.encoder(src, src_key_padding_mask=smask)
            y = src[:, :1]
            for _ in range(int(steps)):
                tmask = torch.zeros(y.shape[0], y.shape[1], dtype=torch.bool)   # no padding
                o = self.t.decoder(y, mem, tgt_key_padding_mask=tmask,
                                   memory_key_padding_mask=_mask())  # a new tensor each step
                y = torch.cat([y, o[:, -1:]], 1)
            return y

    def decode(steps=5):
        torch.manual_seed(0)
        return Decode().eval(), (torch.randn(3, 10, 32), _mask(), steps)

    class Tokens(nn.Module):                 # a Hugging Face-like forward(input_ids, attention_mask)
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(50, 16)

        def forward(self, input_ids, attention_mask):
            return self.emb(input_ids) * attention_mask[..., None]

    def tokens(pad=True):
        mask = (~_mask()).long() if pad else torch.ones(3, 10, dtype=torch.long)
        return Tokens().eval(), (torch.zeros(3, 10, dtype=torch.long), mask)
''')

# the weight matmuls of the encoder on all 30 positions, and on the 20 real ones
TRACED = 4 * 30 * 32 * 32 + 2 * 30 * 32 * 64
REAL = 4 * 20 * 32 * 32 + 2 * 20 * 32 * 64
PER_TOKEN = 2 * 4 * 32 * (16 + 16) + 2 * 32 * 16 + 2 * 4 * 32 * (32 + 16) + 2 * 32 * 16


def _trace(tmp_path, *args):
    (tmp_path / "varlen_models.py").write_text(MODELS)
    out = tmp_path / "w.json"
    r = CliRunner().invoke(main, ["trace", *args, "-o", str(out)], catch_exceptions=False)
    return r, (json.loads(out.read_text())["metadata"] if r.exit_code == 0 else None)


def test_encoder_key_padding_states_the_nested_fast_path(tmp_path):
    r, meta = _trace(tmp_path, f"{tmp_path}/varlen_models.py:enc")
    assert r.exit_code == 0, r.output
    [entry] = meta["padding"]
    assert (entry["positions"], entry["real"], entry["shape"]) == (30, 20, [3, 10])
    assert entry["nested_fast_path"] == {"module": "enc", "weight_macs": TRACED, "weight_macs_real": REAL}
    assert "20 of 30 positions real, 10 (33.3%) padding" in r.output
    assert f"{TRACED:,} MAC on 30 positions against {REAL:,} MAC on the 20 real ones" in r.output


def test_an_encoder_traced_as_the_model_itself_gets_one_entry_and_its_macs(tmp_path):
    """The encoder is the traced model (its module path is ''): one entry for its one mask
    and the same MACs as wrapped (review: a second entry, '0 MAC on 30 positions against 0')."""
    r, meta = _trace(tmp_path, f"{tmp_path}/varlen_models.py:bare_enc")
    assert r.exit_code == 0, r.output
    [entry] = meta["padding"]
    assert entry["nested_fast_path"] == {"module": "", "weight_macs": TRACED, "weight_macs_real": REAL}
    assert f"{TRACED:,} MAC on 30 positions against {REAL:,} MAC on the 20 real ones" in r.output


def test_encoder_without_nested_path_states_the_padding_only(tmp_path):
    r, meta = _trace(tmp_path, f"{tmp_path}/varlen_models.py:enc", "--arg", "nested=false")
    [entry] = meta["padding"]
    assert (entry["positions"], entry["real"]) == (30, 20) and "nested_fast_path" not in entry
    assert "the trace counts every position, padding included" in r.output
    r, meta = _trace(tmp_path, f"{tmp_path}/varlen_models.py:enc", "--arg", "mask=false")
    assert "padding" not in meta and "padding" not in r.output


def test_packed_sequence_states_the_padding_it_skips(tmp_path):
    r, meta = _trace(tmp_path, f"{tmp_path}/varlen_models.py:packed")
    [entry] = meta["padding"]
    assert (entry["source"], entry["positions"], entry["real"]) == ("PackedSequence", 30, 20)
    assert "the packed RNN runs the 20 real positions only" in r.output


@pytest.mark.parametrize("params, tokens", [
    (["batch=5"], 8 + 6 + 4 + 2 + 8),        # once failed: a length of 0
    (["steps=1", "batch=2"], 1 + 1),          # once failed: lengths 1, -1
    (["lengths=10,7,3"], 10 + 7 + 3),
    ([], 8 + 6 + 4),                          # the README table's 405,504
])
def test_zoo_lstm_packed_lengths(tmp_path, params, tokens):
    r, meta = _trace(tmp_path, "--zoo", "lstm-packed", *(a for p in params for a in ("--param", p)))
    assert r.exit_code == 0, r.output
    assert f"{tokens * PER_TOKEN:,} MACs" in r.output
    assert meta["padding"][0]["real"] == tokens


@pytest.mark.parametrize("params, says", [
    (["lengths=10,0,3"], "whole numbers from 1 to steps"),
    (["lengths=10,7", "batch=3"], "2 length(s) for --param batch=3"),
    (["lengths=10,7", "steps=8"], "from 1 to steps (8)"),
])
def test_zoo_lstm_packed_bad_lengths(tmp_path, params, says):
    r, _ = _trace(tmp_path, "--zoo", "lstm-packed", *(a for p in params for a in ("--param", p)))
    assert r.exit_code == 1 and says in r.output and "Traceback" not in r.output
    assert r.output.count("\n") == 1


def test_meta_packed_model_names_the_op_and_line(tmp_path):
    r, _ = _trace(tmp_path, f"{tmp_path}/varlen_models.py:meta")
    assert r.exit_code == 1 and r.output.count("\n") == 1
    assert "aten._to_copy" in r.output and "in pad_packed_sequence at " in r.output
    assert "varlen_models.py:" in r.output.split("in pad_packed_sequence")[0]


@pytest.mark.parametrize("steps", [5, 40])
def test_a_decoding_loop_gets_one_entry_per_distinct_mask(tmp_path, steps):
    """review17-7 #4: a decoding loop passes a new memory mask (same values) and an all-real
    target mask each step; the trace printed one note per step (42 for 40 steps), notes of
    "3 of 3 positions real, 0 (0.0%) padding" and each module once per call. Now: one entry,
    the source mask's (the encoder's and the decoder's attention name it once each), no entry
    for the target masks, which pad nothing."""
    r, meta = _trace(tmp_path, f"{tmp_path}/varlen_models.py:decode", "--arg", f"steps={steps}")
    assert r.exit_code == 0, r.output
    [entry] = meta["padding"]
    assert (entry["positions"], entry["real"]) == (30, 20)
    assert entry["modules"] == ["t.encoder.layers.0.self_attn", "t.decoder.layers.0.multihead_attn"]
    assert entry["nested_fast_path"]["weight_macs"] == TRACED
    assert r.output.count("note: a key_padding_mask") == 1 and "(0.0%) padding" not in r.output


@pytest.mark.parametrize("fill", ["-1e9", "finfo", "-inf"])
def test_an_additive_float_mask_is_padding_and_takes_the_nested_path(tmp_path, fill):
    """review17-7 #8: a float key-padding mask of -1e9 or finfo.min (Hugging Face's additive
    style) read as 0 % padding (only -inf counted), and a float src_key_padding_mask got no
    nested fast-path note, though PyTorch canonicalises it and nests on logical_not(): now 20
    of 30 real and the encoder's 245,760 against 163,840 MAC, as for the bool mask."""
    r, meta = _trace(tmp_path, f"{tmp_path}/varlen_models.py:float_enc", "--arg", f"fill={fill}")
    assert r.exit_code == 0, r.output
    [entry] = meta["padding"]
    assert (entry["positions"], entry["real"]) == (30, 20)
    assert entry["nested_fast_path"] == {"module": "enc", "weight_macs": TRACED, "weight_macs_real": REAL}


@pytest.mark.parametrize("pad, real", [("true", 20), ("false", None)])
def test_a_positional_attention_mask_input_is_read(tmp_path, pad, real):
    """review17-7 #4, #7: forward(input_ids, attention_mask) given the mask by position got no
    note; an all-ones mask (a tokenizer's, nothing padded) got '30 of 30 positions real, 0
    (0.0%) padding'. Now the padded one is read by position, and the all-ones one says nothing."""
    r, meta = _trace(tmp_path, f"{tmp_path}/varlen_models.py:tokens", "--arg", f"pad={pad}")
    assert r.exit_code == 0, r.output
    if real is None:
        assert "padding" not in meta and "padding" not in r.output
    else:
        [entry] = meta["padding"]
        assert (entry["source"], entry["positions"], entry["real"]) == ("attention_mask", 30, real)
        assert "the attention_mask input: 20 of 30 positions real, 10 (33.3%) padding" in r.output


def test_the_watch_keeps_no_rnn_input_or_encoder_src_alive():
    """review17-7 #10: the hooks stored every RNN input (not only PackedSequences) and every
    encoder src until the trace ended. Now neither outlives its forward pass."""
    import weakref

    from cimsim.workload.trace import padding

    rnn = torch.nn.LSTM(4, 8, batch_first=True).eval()
    layer = torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True)
    enc = torch.nn.TransformerEncoder(layer, 1, enable_nested_tensor=False).eval()
    for model in (rnn, enc):
        with torch.no_grad(), padding.watch(torch, model) as seen:
            x = torch.randn(2, 5, 4 if model is rnn else 8)
            ref = weakref.ref(x)
            model(x)
            del x
            assert ref() is None
        assert seen["packed"] == []


@pytest.mark.parametrize("params, says", [
    (["steps=0"], "--param steps=0: steps is a size, a whole number >= 1"),
    (["lengths="], "--param lengths=None: the sequences' lengths are whole numbers"),
])
def test_zoo_lstm_packed_refuses_no_steps_and_no_lengths(tmp_path, params, says):
    """review17-7 #6: steps=0 and an empty lengths= traced the default 405,504 MACs in silence
    (truthiness fell back to 8 steps), while the overrides recorded them."""
    r, _ = _trace(tmp_path, "--zoo", "lstm-packed", *(a for p in params for a in ("--param", p)))
    assert r.exit_code == 1 and says in r.output and r.output.count("\n") == 1, r.output
