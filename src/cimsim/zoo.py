"""A zoo of real PyTorch models to trace: Hugging Face transformers built from their
config classes (random weights, no download) and hand-written torch.nn models.

Each entry is a factory ``f(**overrides) -> (model, args, kwargs)``: ``args`` are
the positional example inputs, ``kwargs`` the keyword ones (a decode step's
``past_key_values``). Sizes default to tiny (2 layers, hidden 32-64, vocab 128,
sequence 8) so the whole zoo traces in seconds; every size is an override
(``gpt2(n_layer=12, n_embd=768, n_head=12, vocab_size=50257)``). Call the factory
again for a fresh model and inputs (a decode step's cache is consumed by the run).

Decoder-only language models come as ``NAME`` (a prefill over ``seq`` tokens)
and ``NAME-decode`` (one token against a KV cache of ``cache`` tokens: the
cache tensors are inputs of the workload, so reading them is memory traffic).

torch and transformers are imported inside the factories:
``import cimsim.zoo`` works without them. Hugging Face models need
``pip install 'cimsim[torch]'`` (which brings transformers); nothing is fetched
from the network (``HF_HUB_OFFLINE=1`` is set while a model is built).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Callable

from .errors import WorkloadError
from .workload.trace import require_torch


@dataclass(frozen=True)
class ZooEntry:
    name: str
    family: str
    description: str
    factory: Callable


ZOO: dict[str, ZooEntry] = {}


def _register(name, family, description):
    def deco(f):
        ZOO[name] = ZooEntry(name, family, description, f)
        return f

    return deco


# --------------------------------------------------------------------------- Hugging Face
def _transformers():
    require_torch()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        import transformers
    except ImportError as exc:
        raise WorkloadError("Hugging Face models need transformers; install it with: "
                            "pip install 'cimsim[torch]'") from exc
    transformers.logging.set_verbosity_error()
    return transformers


def hf_model(model_type: str, config: dict | None = None, task: str = "base"):
    """A transformers model of ``model_type`` (e.g. ``gpt2``, ``llama``) from its config class,
    with random weights, in eval mode. ``task``: ``base`` (``AutoModel``) or ``causal-lm``."""
    tf = _transformers()
    torch = require_torch()
    try:
        cfg = tf.AutoConfig.for_model(model_type, **(config or {}))
    except (ValueError, KeyError) as exc:
        raise WorkloadError(f"transformers has no model type '{model_type}': {exc}") from None
    auto = {"base": tf.AutoModel, "causal-lm": tf.AutoModelForCausalLM}.get(task)
    if auto is None:
        raise WorkloadError(f"task '{task}' is not one of base, causal-lm")
    torch.manual_seed(0)
    try:  # torch's attention (traced with the math backend), else the model's own
        model = auto.from_config(cfg, attn_implementation="sdpa")
    except ValueError:
        model = auto.from_config(cfg, attn_implementation="eager")
    return model.eval()


_LM = dict(vocab_size=128, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
           num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=128)


def _ids(torch, vocab, seq, batch=1):
    g = torch.Generator().manual_seed(1)
    return torch.randint(0, vocab, (batch, seq), generator=g)


def _causal(model_type, defaults, seq=8, cache=0, batch=1, **config):
    """Prefill over ``seq`` tokens, or (``cache`` > 0) one decode step after ``cache`` tokens."""
    torch = require_torch()
    cfg = {**defaults, **config}
    model = hf_model(model_type, cfg, "causal-lm")
    vocab = cfg.get("vocab_size", 128)
    if not cache:
        return model, (_ids(torch, vocab, seq, batch),), {"use_cache": False}
    with torch.no_grad():
        past = model(_ids(torch, vocab, cache, batch), use_cache=True).past_key_values
    return model, (_ids(torch, vocab, 1, batch),), {"past_key_values": past, "use_cache": True}


_GPT2 = dict(vocab_size=128, n_positions=128, n_embd=32, n_layer=2, n_head=2)

for _name, _type, _defaults, _desc in [
    ("gpt2", "gpt2", _GPT2, "GPT-2 language model"),
    ("llama", "llama", _LM, "Llama (RMSNorm, RoPE, SwiGLU, grouped-query attention)"),
    ("mistral", "mistral", _LM, "Mistral (grouped-query attention)"),
    ("qwen2", "qwen2", _LM, "Qwen2 (grouped-query attention, QKV biases)"),
]:
    def _prefill(seq=8, batch=1, _t=_type, _d=_defaults, **config):
        return _causal(_t, _d, seq=seq, batch=batch, **config)

    def _decode(cache=16, batch=1, _t=_type, _d=_defaults, **config):
        return _causal(_t, _d, cache=cache, batch=batch, **config)

    _register(_name, "hf-decoder", f"{_desc}, prefill")(_prefill)
    _register(f"{_name}-decode", "hf-decoder", f"{_desc}, one decode step against a KV cache")(_decode)


@_register("bert", "hf-encoder", "BERT encoder")
def bert(seq=8, batch=1, **config):
    torch = require_torch()
    cfg = {**dict(vocab_size=128, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                  intermediate_size=64, max_position_embeddings=128), **config}
    model = hf_model("bert", cfg)
    return model, (_ids(torch, cfg["vocab_size"], seq, batch),), {}


@_register("t5", "hf-encoder-decoder", "T5 encoder-decoder (relative position bias)")
def t5(seq=8, target=4, batch=1, **config):
    torch = require_torch()
    cfg = {**dict(vocab_size=128, d_model=32, d_kv=8, d_ff=64, num_layers=2, num_decoder_layers=2,
                  num_heads=4, decoder_start_token_id=0), **config}
    model = hf_model("t5", cfg)
    return model, (_ids(torch, cfg["vocab_size"], seq, batch),), {
        "decoder_input_ids": _ids(torch, cfg["vocab_size"], target, batch), "use_cache": False}


@_register("vit", "hf-vision", "Vision Transformer (patch-embedding Conv2d + encoder)")
def vit(image=32, batch=1, **config):
    torch = require_torch()
    cfg = {**dict(image_size=image, patch_size=8, hidden_size=32, num_hidden_layers=2,
                  num_attention_heads=2, intermediate_size=64, num_channels=3), **config}
    model = hf_model("vit", cfg)
    torch.manual_seed(1)
    return model, (torch.randn(batch, cfg["num_channels"], image, image),), {}


@_register("whisper", "hf-speech", "Whisper encoder-decoder (Conv1d front end)")
def whisper(frames=32, target=4, batch=1, **config):
    torch = require_torch()
    cfg = {**dict(vocab_size=128, num_mel_bins=16, d_model=32, encoder_layers=2, decoder_layers=2,
                  encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=64,
                  decoder_ffn_dim=64, max_source_positions=frames // 2, max_target_positions=32,
                  pad_token_id=0, bos_token_id=1, eos_token_id=2, decoder_start_token_id=1), **config}
    model = hf_model("whisper", cfg)
    torch.manual_seed(1)
    feats = torch.randn(batch, cfg["num_mel_bins"], frames)
    return model, (feats,), {"decoder_input_ids": _ids(torch, cfg["vocab_size"], target, batch),
                             "use_cache": False}


@_register("wav2vec2", "hf-speech", "Wav2Vec2 (conv feature encoder, GroupNorm, weight-norm conv)")
def wav2vec2(samples=400, batch=1, **config):
    torch = require_torch()
    cfg = {**dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
                  conv_dim=(32, 32), conv_kernel=(10, 3), conv_stride=(5, 2),
                  num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=4,
                  do_stable_layer_norm=False, feat_extract_norm="group"), **config}
    model = hf_model("wav2vec2", cfg)
    torch.manual_seed(1)
    return model, (torch.randn(batch, samples),), {}


@_register("mamba", "hf-ssm", "Mamba selective state-space model (reference scan)")
def mamba(seq=8, batch=1, **config):
    torch = require_torch()
    cfg = {**dict(vocab_size=128, hidden_size=32, state_size=8, num_hidden_layers=2, expand=2,
                  conv_kernel=4, use_mambapy=False), **config}
    model = hf_model("mamba", cfg)
    return model, (_ids(torch, cfg["vocab_size"], seq, batch),), {"use_cache": False}


@_register("mamba-decode", "hf-ssm", "Mamba, one decode step against its conv and SSM state cache")
def mamba_decode(cache=16, batch=1, **config):
    torch = require_torch()
    cfg = {**dict(vocab_size=128, hidden_size=32, state_size=8, num_hidden_layers=2, expand=2,
                  conv_kernel=4, use_mambapy=False), **config}
    model = hf_model("mamba", cfg, "causal-lm")
    with torch.no_grad():
        state = model(_ids(torch, cfg["vocab_size"], cache, batch), use_cache=True).cache_params
    return model, (_ids(torch, cfg["vocab_size"], 1, batch),), {
        "cache_params": state, "use_cache": True, "cache_position": torch.tensor([cache])}


# --------------------------------------------------------------------------- torch.nn
@_register("nn-transformer", "torch-nn", "nn.Transformer encoder-decoder with masks")
def nn_transformer(src=8, tgt=6, d_model=32, heads=4, layers=2, ffn=64, batch=2):
    torch = require_torch()
    torch.manual_seed(0)
    model = torch.nn.Transformer(d_model, heads, layers, layers, ffn, batch_first=True).eval()
    mask = torch.nn.Transformer.generate_square_subsequent_mask(tgt)
    return model, (torch.randn(batch, src, d_model), torch.randn(batch, tgt, d_model)), {"tgt_mask": mask}


def _rnn_classes(torch):
    nn = torch.nn
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


@_register("lstm-packed", "torch-nn", "bidirectional batch-first LSTM, proj_size, PackedSequence")
def lstm_packed(inp=16, hidden=32, layers=2, proj=16, batch=3, steps=8):
    torch = require_torch()
    torch.manual_seed(0)
    cls = _rnn_classes(torch)[0]
    model = cls(inp, hidden, layers, proj).eval()
    lengths = torch.tensor([steps - 2 * i for i in range(batch)])
    return model, (torch.randn(batch, steps, inp), lengths), {}


@_register("gru-bi", "torch-nn", "3-layer bidirectional GRU")
def gru_bi(inp=16, hidden=32, layers=3, steps=8, batch=2):
    torch = require_torch()
    torch.manual_seed(0)
    return torch.nn.GRU(inp, hidden, layers, bidirectional=True).eval(), \
        (torch.randn(steps, batch, inp),), {}


@_register("seq2seq-attn", "torch-nn", "GRU encoder + LSTMCell decoder loop with additive attention")
def seq2seq_attn(vocab=128, emb=16, hidden=32, src=8, steps=5, batch=2):
    torch = require_torch()
    torch.manual_seed(0)
    model = _rnn_classes(torch)[1](vocab, emb, hidden, steps).eval()
    g = torch.Generator().manual_seed(1)
    return model, (torch.randint(0, vocab, (batch, src), generator=g),
                   torch.randint(0, vocab, (batch, steps), generator=g)), {}


@_register("han", "torch-nn", "hierarchical attention network (word and sentence GRU + attention)")
def han(vocab=128, emb=16, hidden=16, classes=5, sentences=4, words=6, batch=2):
    torch = require_torch()
    torch.manual_seed(0)
    model = _rnn_classes(torch)[2](vocab, emb, hidden, classes).eval()
    g = torch.Generator().manual_seed(1)
    return model, (torch.randint(0, vocab, (batch, sentences, words), generator=g),), {}


def _cnn_classes(torch):
    nn = torch.nn

    class Bottleneck(nn.Module):
        def __init__(self, cin, mid, stride):
            super().__init__()
            cout = mid * 4
            self.conv1 = nn.Conv2d(cin, mid, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(mid)
            self.conv2 = nn.Conv2d(mid, mid, 3, stride, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(mid)
            self.conv3 = nn.Conv2d(mid, cout, 1, bias=False)
            self.bn3 = nn.BatchNorm2d(cout)
            self.relu = nn.ReLU(inplace=True)
            self.down = None
            if stride != 1 or cin != cout:
                self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

        def forward(self, x):
            y = self.relu(self.bn1(self.conv1(x)))
            y = self.relu(self.bn2(self.conv2(y)))
            y = self.bn3(self.conv3(y))
            return self.relu(y + (x if self.down is None else self.down(x)))

    class ResNet(nn.Module):
        """ResNet-50-style: stem conv 7x7/2 + max pool, bottleneck stages, global average pool."""

        def __init__(self, width, blocks, classes):
            super().__init__()
            self.stem = nn.Sequential(nn.Conv2d(3, width, 7, 2, 3, bias=False), nn.BatchNorm2d(width),
                                      nn.ReLU(inplace=True), nn.MaxPool2d(3, 2, 1))
            layers, cin = [], width
            for i, n in enumerate(blocks):
                mid = width * 2 ** i
                for j in range(n):
                    layers.append(Bottleneck(cin, mid, 2 if j == 0 and i > 0 else 1))
                    cin = mid * 4
            self.layers = nn.Sequential(*layers)
            self.pool = nn.AdaptiveAvgPool2d(1)
            self.fc = nn.Linear(cin, classes)

        def forward(self, x):
            return self.fc(torch.flatten(self.pool(self.layers(self.stem(x))), 1))

    class SqueezeExcite(nn.Module):
        def __init__(self, ch, reduced):
            super().__init__()
            self.fc1 = nn.Conv2d(ch, reduced, 1)
            self.fc2 = nn.Conv2d(reduced, ch, 1)

        def forward(self, x):
            s = nn.functional.adaptive_avg_pool2d(x, 1)
            return x * torch.sigmoid(self.fc2(torch.relu(self.fc1(s))))

    class InvertedResidual(nn.Module):
        def __init__(self, cin, cout, expand, stride, se):
            super().__init__()
            mid = cin * expand
            self.use_res = stride == 1 and cin == cout
            self.block = nn.Sequential(
                nn.Conv2d(cin, mid, 1, bias=False), nn.BatchNorm2d(mid), nn.Hardswish(),
                nn.Conv2d(mid, mid, 3, stride, 1, groups=mid, bias=False), nn.BatchNorm2d(mid), nn.Hardswish(),
                *( [SqueezeExcite(mid, max(8, mid // 4))] if se else []),
                nn.Conv2d(mid, cout, 1, bias=False), nn.BatchNorm2d(cout))

        def forward(self, x):
            y = self.block(x)
            return x + y if self.use_res else y

    class MobileNet(nn.Module):
        """MobileNetV3-style: depthwise-separable inverted residuals with squeeze-excite."""

        def __init__(self, width, classes):
            super().__init__()
            self.stem = nn.Sequential(nn.Conv2d(3, width, 3, 2, 1, bias=False), nn.BatchNorm2d(width),
                                      nn.Hardswish())
            cfg = [(width, 1, 1, False), (width * 2, 4, 2, False), (width * 2, 3, 1, True),
                   (width * 4, 6, 2, True)]
            blocks, cin = [], width
            for cout, e, s, se in cfg:
                blocks.append(InvertedResidual(cin, cout, e, s, se))
                cin = cout
            self.blocks = nn.Sequential(*blocks)
            self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(cin, classes))

        def forward(self, x):
            return self.head(self.blocks(self.stem(x)))

    return ResNet, MobileNet


@_register("resnet", "cnn", "ResNet-style: bottlenecks, BatchNorm, max pool, adaptive avg pool")
def resnet(width=8, blocks=(1, 1), classes=10, image=32, batch=1):
    torch = require_torch()
    torch.manual_seed(0)
    model = _cnn_classes(torch)[0](width, list(blocks), classes).eval()
    return model, (torch.randn(batch, 3, image, image),), {}


@_register("mobilenet", "cnn", "MobileNet-style: depthwise separable, squeeze-excite, hardswish")
def mobilenet(width=8, classes=10, image=32, batch=1):
    torch = require_torch()
    torch.manual_seed(0)
    model = _cnn_classes(torch)[1](width, classes).eval()
    return model, (torch.randn(batch, 3, image, image),), {}


# --------------------------------------------------------------------------- API
def build(name: str, **overrides):
    """``(model, args, kwargs)`` of zoo entry ``name``."""
    if name not in ZOO:
        raise WorkloadError(f"no zoo model '{name}'; zoo: {', '.join(ZOO)}")
    return ZOO[name].factory(**overrides)


def trace_zoo(name: str, **overrides):
    """Trace zoo entry ``name`` into a workload named ``name``."""
    from .workload.trace import trace

    model, args, kwargs = build(name, **overrides)
    w = trace(model, args, name=name, example_kwargs=kwargs)
    w.metadata["zoo"] = name
    return w


def hf_causal_or_base(model_type: str, config: dict, seq: int = 8, cache: int = 0):
    """``(model, args, kwargs)`` of a token-input transformers model by type and config: a
    causal LM when transformers has one for the type (prefill over ``seq`` tokens, or one
    decode step against a ``cache``-token KV cache), else the base model over ``seq`` tokens."""
    tf = _transformers()
    torch = require_torch()
    try:
        cfg = tf.AutoConfig.for_model(model_type)
    except (ValueError, KeyError):
        raise WorkloadError(f"transformers has no model type '{model_type}'") from None
    unknown = [k for k in config if not hasattr(cfg, k)]
    if unknown:
        raise WorkloadError(f"--hf {model_type}: config has no field(s) {', '.join(unknown)}")
    causal = type(cfg) in tf.AutoModelForCausalLM._model_mapping
    if causal:
        return _causal(model_type, {}, seq=seq, cache=cache, **config)
    if cache:
        raise WorkloadError(f"--hf {model_type}: --cache needs a causal language model")
    model = hf_model(model_type, config)
    vocab = getattr(model.config, "vocab_size", 128)
    return model, (_ids(torch, vocab, seq),), {}
