"""Hand-written torch.nn models for the zoo: attention, recurrent and packed-sequence models.

Factories return ``(model, args, kwargs)``; :func:`cimsim.zoo.build` wraps them.
torch is imported inside the factories.
"""

from __future__ import annotations

import math

from ..workload.trace import require_torch
from .registry import register


@register("nn-transformer", "torch-nn", "nn.Transformer encoder-decoder with masks",
          fake=False)  # nn.Transformer compares the mask's values to a causal mask
def nn_transformer(src=8, tgt=6, d_model=32, heads=4, layers=2, ffn=64, batch=2):
    torch = require_torch()
    torch.manual_seed(0)
    model = torch.nn.Transformer(d_model, heads, layers, layers, ffn, batch_first=True).eval()
    mask = torch.nn.Transformer.generate_square_subsequent_mask(tgt)
    return model, (torch.randn(batch, src, d_model), torch.randn(batch, tgt, d_model)), {"tgt_mask": mask}


def _rnn_classes(torch):
    from torch import nn  # (torch is loaded: the caller's require_torch)
    F = torch.nn.functional

    class PackedLSTM(nn.Module):
        """Bidirectional batch-first LSTM with projections over a PackedSequence."""

        def __init__(self, inp, hidden, layers, proj):
            super().__init__()
            self.lstm = nn.LSTM(inp, hidden, layers, batch_first=True, bidirectional=True, proj_size=proj)

        def forward(self, x, lengths):
            packed = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
            out, _ = self.lstm(packed)
            y, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True)
            return y

    class Seq2Seq(nn.Module):
        """GRU encoder; LSTMCell decoder in a Python loop with additive (Bahdanau) attention."""

        def __init__(self, vocab, emb, hidden, steps):
            super().__init__()
            self.steps = steps
            self.emb = nn.Embedding(vocab, emb)
            self.encoder = nn.GRU(emb, hidden, batch_first=True)
            self.w_enc = nn.Linear(hidden, hidden, bias=False)
            self.w_dec = nn.Linear(hidden, hidden)
            self.v = nn.Linear(hidden, 1, bias=False)
            self.cell = nn.LSTMCell(emb + hidden, hidden)
            self.out = nn.Linear(hidden, vocab)

        def forward(self, src, tgt):
            enc, h = self.encoder(self.emb(src))  # (B, S, H)
            keys = self.w_enc(enc)
            hx, cx = h[0], torch.zeros_like(h[0])
            logits = []
            for t in range(self.steps):
                score = self.v(torch.tanh(keys + self.w_dec(hx).unsqueeze(1))).squeeze(-1)
                ctx = torch.bmm(F.softmax(score, -1).unsqueeze(1), enc).squeeze(1)
                hx, cx = self.cell(torch.cat([self.emb(tgt[:, t]), ctx], -1), (hx, cx))
                logits.append(self.out(hx))
            return torch.stack(logits, 1)

    class AttnPool(nn.Module):
        def __init__(self, dim):
            super().__init__()
            self.proj = nn.Linear(dim, dim)
            self.context = nn.Parameter(torch.randn(dim) / math.sqrt(dim))

        def forward(self, h):  # (N, T, D) -> (N, D)
            a = torch.softmax(torch.tanh(self.proj(h)) @ self.context, dim=-1)
            return (a.unsqueeze(-1) * h).sum(1)

    class HAN(nn.Module):
        """Hierarchical attention network (Yang et al., NAACL 2016): a bidirectional GRU and
        attention pooling over the words of each sentence, then over the sentences."""

        def __init__(self, vocab, emb, hidden, classes):
            super().__init__()
            self.emb = nn.Embedding(vocab, emb)
            self.word_rnn = nn.GRU(emb, hidden, batch_first=True, bidirectional=True)
            self.word_attn = AttnPool(2 * hidden)
            self.sent_rnn = nn.GRU(2 * hidden, hidden, batch_first=True, bidirectional=True)
            self.sent_attn = AttnPool(2 * hidden)
            self.fc = nn.Linear(2 * hidden, classes)

        def forward(self, docs):  # (B, sentences, words) token ids
            B, S, W = docs.shape
            words, _ = self.word_rnn(self.emb(docs.reshape(B * S, W)))
            sents = self.word_attn(words).reshape(B, S, -1)
            h, _ = self.sent_rnn(sents)
            return self.fc(self.sent_attn(h))

    return PackedLSTM, Seq2Seq, HAN


@register("lstm-packed", "torch-nn", "bidirectional batch-first LSTM, proj_size, PackedSequence",
          fake=False)  # pack_padded_sequence reads the lengths' values
def lstm_packed(inp=16, hidden=32, layers=2, proj=16, batch=None, steps=None, lengths=()):
    """``batch`` sequences (default 3) padded to ``steps`` (default 8), of ``lengths`` (e.g.
    ``--param lengths=10,7,3``: batch and steps follow from it), by default steps - (2i mod
    steps): 8, 6, 4 (then 2, 8, 6, ... for a larger batch), each at least 1. ``lengths=()`` is
    "not given": an empty ``--param lengths=`` (None) is refused, not read as the default."""
    torch = require_torch()
    batch, steps, lengths = packed_lengths(batch, steps, lengths)
    torch.manual_seed(0)
    cls = _rnn_classes(torch)[0]
    model = cls(inp, hidden, layers, proj).eval()
    return model, (torch.randn(batch, steps, inp), torch.tensor(lengths)), {}


def packed_lengths(batch, steps, lengths) -> tuple[int, int, list[int]]:
    """(batch, steps, lengths) of ``lstm-packed``'s parameters, checked (one line each)."""
    from ..errors import WorkloadError

    if isinstance(lengths, tuple) and not lengths:
        batch, steps = 3 if batch is None else batch, 8 if steps is None else steps
        return batch, steps, [steps - (2 * i) % steps for i in range(batch)]
    items = [] if lengths is None else lengths.split(",") if isinstance(lengths, str) else \
        list(lengths) if isinstance(lengths, (list, tuple)) else [lengths]
    given = f"zoo model 'lstm-packed': --param lengths={lengths!r}"
    try:
        out = [int(v) if isinstance(v, str) or (isinstance(v, int) and not isinstance(v, bool))
               else None for v in items]
    except ValueError:
        out = [None]
    if not out or any(v is None or v < 1 for v in out) or (steps is not None and max(out) > steps):
        raise WorkloadError(f"{given}: the sequences' lengths are whole numbers from 1 to "
                            f"steps ({steps or 'their largest'}), comma-separated (e.g. 10,7,3)")
    if batch is not None and batch != len(out):
        raise WorkloadError(f"{given}: {len(out)} length(s) for --param batch={batch}: one per "
                            "sequence (or leave batch out)")
    return len(out), max(out) if steps is None else steps, out


# nn.GRU / nn.LSTM: the RNN models are built real (they are small); a fake build of a dense one traces the
# same graph (trace/rnn_schedule.py runs them on the meta device in the CPU kernel's schedule)
@register("gru-bi", "torch-nn", "3-layer bidirectional GRU",
          fake=False)
def gru_bi(inp=16, hidden=32, layers=3, steps=8, batch=2):
    torch = require_torch()
    torch.manual_seed(0)
    return torch.nn.GRU(inp, hidden, layers, bidirectional=True).eval(), \
        (torch.randn(steps, batch, inp),), {}


@register("seq2seq-attn", "torch-nn", "GRU encoder + LSTMCell decoder loop with additive attention",
          fake=False)
def seq2seq_attn(vocab=128, emb=16, hidden=32, src=8, steps=5, batch=2):
    torch = require_torch()
    torch.manual_seed(0)
    model = _rnn_classes(torch)[1](vocab, emb, hidden, steps).eval()
    g = torch.Generator().manual_seed(1)
    return model, (torch.randint(0, vocab, (batch, src), generator=g),
                   torch.randint(0, vocab, (batch, steps), generator=g)), {}


@register("han", "torch-nn", "hierarchical attention network (word and sentence GRU + attention)",
          fake=False)
def han(vocab=128, emb=16, hidden=16, classes=5, sentences=4, words=6, batch=2):
    torch = require_torch()
    torch.manual_seed(0)
    model = _rnn_classes(torch)[2](vocab, emb, hidden, classes).eval()
    g = torch.Generator().manual_seed(1)
    return model, (torch.randint(0, vocab, (batch, sentences, words), generator=g),), {}


