"""``hf:TYPE`` of an encoder-decoder (T5, BART, mBART, Marian, Pegasus, Whisper, ...): a config
whose ``is_encoder_decoder`` is true (the file's or ``--param``'s value, else the config
class's default).

Without ``cache``: the whole model (transformers' ``AutoModel``: encoder, and decoder with
cross-attention; no LM head, as ``--zoo t5`` / ``--zoo whisper``) over ``seq`` encoder tokens
(default 8) and ``target`` decoder tokens (default ``seq // 2``, at least 1). A speech model of
Whisper's layout (``input_features``, ``num_mel_bins`` and ``max_source_positions`` in its
config) reads ``num_mel_bins x 2 * max_source_positions`` mel frames (its stride-2 convolution
halves them to the encoder's positions); its encoder length is set by
``max_source_positions``, not ``seq``.

With ``cache`` = N: one decoder step of the model with its LM head (``AutoModelForSeq2SeqLM`` /
``AutoModelForSpeechSeq2Seq``): one token against a self-attention cache of N tokens and a
cross-attention cache of ``encoder_len`` encoder positions (default: ``max_source_positions``
for a speech model, else ``seq``'s 8). The caches are filled by a prefill that is not traced,
so the step reads the cross-attention K / V as inputs (memory traffic) instead of recomputing
them from the encoder output; the encoder is not run (trace it without ``cache``).
"""

from __future__ import annotations

import inspect

from ..errors import WorkloadError
from ..workload.trace import require_torch
from .registry import say


def encoder_decoder(tf, model_type: str, fields: dict) -> bool:
    """Whether ``model_type`` with config ``fields`` (a file's and the caller's) is an
    encoder-decoder: its ``is_encoder_decoder``, given or the config class's default."""
    if "is_encoder_decoder" in fields:
        return bool(fields["is_encoder_decoder"])
    try:
        return bool(getattr(tf.AutoConfig.for_model(model_type), "is_encoder_decoder", False))
    except (ValueError, KeyError):
        return False


def _speech(model_type: str) -> bool:
    try:
        from transformers.models.auto.modeling_auto import MODEL_FOR_SPEECH_SEQ_2_SEQ_MAPPING_NAMES
    except ImportError:
        return False
    return model_type in MODEL_FOR_SPEECH_SEQ_2_SEQ_MAPPING_NAMES


def _width(cfg) -> int:
    return getattr(cfg, "d_model", None) or cfg.hidden_size


def _limit(name: str, needed: int, what: str, cfg, key: str | None) -> None:
    """Refuse ``needed`` positions past config field ``key``'s table."""
    limit = getattr(cfg, key, None) if key else None
    if isinstance(limit, int) and needed > limit:
        raise WorkloadError(f"{name}: {what} needs {needed} positions, past its table of {limit} "
                            f"({key}); raise it too (--param {key}={needed})")


def _tables(model) -> tuple[str | None, str | None]:
    """The config fields bounding the (encoder, decoder) positions, where a table of learned
    positions has that many rows (Whisper: max_source / max_target_positions; BART:
    max_position_embeddings for both; T5, relative positions: none)."""
    cfg = model.config
    if not any(n.rsplit(".", 1)[-1] in ("embed_positions", "position_embeddings", "wpe")
               for n, _ in model.named_modules()):
        return None, None
    if hasattr(cfg, "max_target_positions"):
        return ("max_source_positions" if hasattr(cfg, "max_source_positions") else None,
                "max_target_positions")
    return ("max_position_embeddings",) * 2 if hasattr(cfg, "max_position_embeddings") else (None, None)


def seq2seq(model_type: str, fields: dict, name: str, seq, target, cache: int, encoder_len,
            batch: int, seed: int):
    """(model, args, kwargs) of encoder-decoder ``model_type`` with config ``fields`` (checked
    by the caller): the whole model, or (``cache`` > 0) one decoder step (module docstring)."""
    from .hf import _ids, _whole, hf_model

    torch = require_torch()
    speech = _speech(model_type)
    if cache and (seq is not None or target is not None):
        given = "seq" if seq is not None else "target"
        raise WorkloadError(f"{name}: --param {given} with cache={cache}: a decoder step is one token "
                            "against a cache; its encoder length is --param encoder_len")
    if not cache and encoder_len is not None:
        raise WorkloadError(f"{name}: --param encoder_len goes with cache=N (one decoder step against "
                            "a cross-attention cache of encoder_len positions); the whole model's "
                            "encoder reads " + ("max_source_positions positions" if speech else
                                                "seq tokens"))
    if cache:
        return _step(model_type, fields, name, cache, encoder_len, batch, seed, speech)
    model = hf_model(model_type, fields, seed=seed)
    cfg, main = model.config, getattr(model, "main_input_name", "input_ids")
    vocab = getattr(cfg, "vocab_size", None) or 128
    target = max(1, (8 if seq is None else seq) // 2) if target is None else target
    enc_key, dec_key = _tables(model)
    _limit(name, target, f"target={target}: the decoder", cfg, dec_key)
    if main == "input_ids":
        seq = 8 if seq is None else seq
        _limit(name, seq, f"seq={seq}: the encoder", cfg, enc_key)
        first, what = _ids(torch, vocab, seq, batch), f"{seq} encoder tokens"
    elif main == "input_features" and _whole(getattr(cfg, "num_mel_bins", None)) \
            and _whole(getattr(cfg, "max_source_positions", None)):
        if seq is not None:
            raise WorkloadError(f"{name}: --param seq: {model_type}'s encoder reads num_mel_bins x "
                                "2 * max_source_positions mel frames; set its length with --param "
                                "max_source_positions (and the decoder's tokens with target)")
        frames = 2 * cfg.max_source_positions
        torch.manual_seed(1)
        first = torch.randn(batch, cfg.num_mel_bins, frames, dtype=model.dtype)
        what = (f"input_features of {cfg.num_mel_bins} mel bins x {frames} frames "
                f"({cfg.max_source_positions} encoder positions)")
    else:
        raise WorkloadError(f"{name} takes {main}, and hf:TYPE builds the inputs of token and "
                            "Whisper-style mel models only; trace it from a factory that builds its "
                            "inputs (cimsim trace FILE.py:factory)")
    say(f"{name}: {type(model).__name__}, the whole encoder-decoder: the encoder over {what}, the "
        f"decoder over {target} token(s) with cross-attention (no LM head); one decoder step: "
        "--param cache=N encoder_len=M")
    return model, (first,), {"decoder_input_ids": _ids(torch, vocab, target, batch), "use_cache": False}


def _step(model_type, fields, name, cache, encoder_len, batch, seed, speech):
    from .hf import _cache_keyword, _ids, _whole, hf_model, offline

    torch = require_torch()
    model = hf_model(model_type, fields, "speech-seq2seq" if speech else "seq2seq-lm", seed)
    cfg = model.config
    enc_key, dec_key = _tables(model)
    if encoder_len is None:
        encoder_len = cfg.max_source_positions if speech and _whole(
            getattr(cfg, "max_source_positions", None)) else 8
    _limit(name, encoder_len, f"encoder_len={encoder_len}: the encoder", cfg, enc_key)
    _limit(name, cache + 1, f"cache={cache}: the decoder", cfg, dec_key)
    vocab = getattr(cfg, "vocab_size", None) or 128
    torch.manual_seed(1)
    enc = torch.randn(batch, encoder_len, _width(cfg), dtype=model.dtype)
    with torch.no_grad(), offline():  # fills the self- and cross-attention caches, not traced
        past = model(encoder_outputs=(enc,), decoder_input_ids=_ids(torch, vocab, cache, batch),
                     use_cache=True).past_key_values
    kwargs = {"encoder_outputs": (enc,), "decoder_input_ids": _ids(torch, vocab, 1, batch),
              _cache_keyword(model, "past_key_values"): past, "use_cache": True}
    try:
        if "cache_position" in inspect.signature(model.forward).parameters:
            kwargs["cache_position"] = torch.tensor([cache])
    except (TypeError, ValueError):
        pass
    say(f"{name}: {type(model).__name__}, one decoder step: 1 token against a self-attention cache "
        f"of {cache} token(s) and a cross-attention cache of {encoder_len} encoder positions (its "
        "K and V read, not recomputed), with the LM head; the encoder is not run (trace it "
        "without cache)")
    return model, (), kwargs
