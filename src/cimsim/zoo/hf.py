"""Hugging Face transformers models for the zoo, built from their config classes (no download).

Registered entries have tiny default sizes (2 layers, hidden 32-64, vocabulary 128,
8 tokens); every size is an override (``build("gpt2", n_layer=12, n_embd=768, n_head=12,
vocab_size=50257)``). ``hf:MODEL_TYPE`` (:func:`hf_entry`) is any model type transformers
knows, at its config class's default size (``hf:llama`` is Llama-2-7B's shape): an
encoder-decoder (T5, BART, Whisper: :mod:`cimsim.zoo.hf_seq2seq`) whole, or one decoder step
against a self- and a cross-attention cache; else a causal LM where transformers has one
(prefill over ``seq`` tokens, or one decode step against a ``cache``-token KV cache), else the
base model over ``seq`` tokens.

Decoder-only language models come as ``NAME`` (prefill) and ``NAME-decode`` (one token
against a KV cache of ``cache`` tokens: the cache tensors are inputs of the workload, so
reading them is memory traffic). Under :func:`cimsim.zoo.build` the models, their inputs and
their caches are fake tensors (shapes only) unless real weights are asked for.

transformers is imported inside the functions, with ``HF_HUB_OFFLINE`` and
``TRANSFORMERS_OFFLINE`` set for the duration of the import and the build and restored
after (nothing here fetches from the network).
"""

from __future__ import annotations

import contextlib
import inspect
import os

from ..errors import WorkloadError
from ..workload.llm import head_dim_of
from ..workload.llm_options import dense_only, latent_attention, latent_cache_elements
from ..workload.trace import require_torch
from ..workload.trace.unread import TOP_K as _TOP_K
from .hf_multimodal import companion_inputs, refuse_other_main
from .hf_positions import _check_positions
from .hf_seq2seq import encoder_decoder, seq2seq
from .registry import ZooEntry, check_switch, estimating, internal_parameters, register

_OFFLINE = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


@contextlib.contextmanager
def offline():
    """For the block: the Hugging Face offline switches on and transformers' logging at errors
    only (a model built from a config warns about what a checkpoint would have set); the caller's
    environment and verbosity restored after."""
    saved = {k: os.environ.get(k) for k in _OFFLINE}
    os.environ.update(_OFFLINE)
    verbosity = None
    try:
        import transformers

        verbosity = transformers.logging.get_verbosity()
        transformers.logging.set_verbosity_error()
    except ImportError:
        pass
    try:
        yield
    finally:
        if verbosity is not None:
            transformers.logging.set_verbosity(verbosity)
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _transformers():
    require_torch()
    try:
        with offline():
            import transformers
    except ImportError as exc:
        raise WorkloadError("Hugging Face models need transformers; install it with: "
                            "pip install 'cimsim[torch]'") from exc
    return transformers


def _config(tf, model_type: str, config: dict | None = None):
    try:
        return tf.AutoConfig.for_model(model_type, **(config or {}))
    except (ValueError, KeyError) as exc:
        known = list(getattr(tf, "CONFIG_MAPPING", {}).keys())
        if not known or model_type in known:  # a known type whose config refused the fields
            raise WorkloadError(f"hf:{model_type}: {' '.join(str(exc).split())}") from None
        import difflib

        close = difflib.get_close_matches(model_type, known, n=3)
        hint = f"did you mean {', '.join('hf:' + c for c in close)}? " if close else ""
        # not transformers' list of every type it knows (about 900 names on one line)
        raise WorkloadError(f"transformers {tf.__version__} has no model type '{model_type}'; "
                            f"{hint}it knows {len(known)}, e.g. hf:llama, hf:gpt2, hf:bert "
                            "(transformers.CONFIG_MAPPING lists them)") from None


def _check_fields(model_type: str, fields: dict, hint: str = "", defaults: dict | None = None) -> None:
    """Refuse config fields ``model_type``'s config class does not have (it would keep them as
    attributes nothing reads) and a switch (a field whose default, ``defaults``' or the config
    class's, is a bool) given as anything but true or false; the fields cimsim sets itself
    (:func:`~cimsim.zoo.registry.internal_parameters`: a tensor-parallel share's head_dim) pass."""
    default = _config(_transformers(), model_type)
    defaults, inner = defaults or {}, internal_parameters()
    unknown = [k for k in fields if k not in defaults and k not in inner and not hasattr(default, k)]
    if unknown:
        raise WorkloadError(f"{model_type}: the config has no field(s) {', '.join(unknown)}{hint}")
    for key, value in fields.items():
        if key not in inner and isinstance(defaults.get(key, getattr(default, key, None)), bool):
            check_switch(model_type, key, value)


def _merge(model_type: str, defaults: dict, config: dict) -> dict:
    """A registered entry's config: its defaults with the caller's fields (checked) over them;
    the defaults are a registered entry's sizes or a config.json's fields (taken as given)."""
    _check_fields(model_type, config, defaults=defaults)
    return {**defaults, **config}


def _whole(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


#: a mixture of experts' experts per token, and its number of experts (Mixtral / gpt-oss:
#: num_local_experts; Qwen-MoE / OLMoE: num_experts; DeepSeek: n_routed_experts)
_EXPERTS = ("num_local_experts", "num_experts", "n_routed_experts")


def _check_config(name: str, default, given: dict, params, origin: str, decoder: bool) -> None:
    """Refuse, before the config and model are built, values the model cannot be built or run
    with, naming each field, its value and where it came from (``given``: the fields set, a
    file's or an entry's from ``origin`` and the user's ``params`` over them; else the config
    class's default, ``default`` its instance): a padding id outside the vocabulary; for a
    decoder, key/value heads that do not divide the query heads, and a hidden size the heads do
    not divide where no head_dim is given."""
    sig = inspect.signature(type(default).__init__).parameters
    alias = dict(getattr(type(default), "attribute_map", None) or {})

    def key(k):  # the name the config takes it by (GPT-2's n_head for num_attention_heads)
        a = alias.get(k)
        return a if a and (a in given or a in sig) else k

    def value(k):
        k = key(k)
        if k in given:
            return given[k]
        if k in sig:  # the class's default as stated, not as derived (Llama's head_dim, K/V heads)
            return None if sig[k].default is inspect.Parameter.empty else sig[k].default
        return getattr(default, k, None)

    def field(k):
        src = "--param" if key(k) in params else origin if key(k) in given else \
            "the config class's default"
        return f"{key(k)}={value(k)!r} ({src})"

    pad, vocab = value("pad_token_id"), value("vocab_size")
    if _whole(pad) and _whole(vocab) and not 0 <= pad < vocab:
        raise WorkloadError(f"{name}: {field('pad_token_id')} is not below {field('vocab_size')}: "
                            "the embedding's padding row is one of its rows; give --param "
                            f"pad_token_id=N with 0 <= N < {vocab}, or pad_token_id=null")
    top = next((k for k in _TOP_K if _whole(value(k))), None)
    count = next((k for k in _EXPERTS if _whole(value(k))), None)
    if top is not None and count is not None and not 1 <= value(top) <= value(count):
        how = "more than" if value(top) > value(count) else "not at least 1 of"
        raise WorkloadError(f"{name}: {field(top)} is {how} "
                            f"{field(count)}: each token picks that many of the experts; give "
                            f"--param {key(top)}= 1 to {value(count)}")
    heads, kv, hidden = value("num_attention_heads"), value("num_key_value_heads"), value("hidden_size")
    if not decoder or not _whole(heads) or heads < 1:
        return
    if _whole(kv) and kv >= 1 and heads % kv:
        ok = [d for d in range(1, heads + 1) if heads % d == 0]
        raise WorkloadError(f"{name}: {field('num_key_value_heads')} must divide "
                            f"{field('num_attention_heads')} (each key/value head serves an equal "
                            f"group of query heads): give --param {key('num_key_value_heads')}= one "
                            f"of {', '.join(map(str, ok))}")
    if _whole(hidden) and head_dim_of({"head_dim": value("head_dim")}, hidden, heads) is None:
        raise WorkloadError(f"{name}: {field('hidden_size')} is not a multiple of "
                            f"{field('num_attention_heads')} and no head_dim is given (a head is "
                            "hidden_size / num_attention_heads wide): give a hidden_size divisible "
                            f"by {heads} or --param head_dim")


def hf_model(model_type: str, config: dict | None = None, task: str = "base", seed: int = 0):
    """A transformers model of ``model_type`` (e.g. ``gpt2``, ``llama``) from its config class,
    in eval mode: fake tensors under :func:`cimsim.zoo.build` (its ``FakeTensorMode``), random
    weights on the CPU otherwise, drawn after ``torch.manual_seed(seed)`` (a mixture of experts
    routes by them). ``task``: ``base`` (``AutoModel``), ``causal-lm``, ``seq2seq-lm`` or
    ``speech-seq2seq``."""
    tf = _transformers()
    torch = require_torch()
    cfg = _config(tf, model_type, config)
    auto = {"base": tf.AutoModel, "causal-lm": tf.AutoModelForCausalLM,
            "seq2seq-lm": tf.AutoModelForSeq2SeqLM,
            "speech-seq2seq": tf.AutoModelForSpeechSeq2Seq}.get(task)
    if auto is None:
        raise WorkloadError(f"task '{task}' is not one of base, causal-lm, seq2seq-lm, speech-seq2seq")
    experts = _experts(cfg)
    if experts and _fake(torch) and not estimating():  # under zoo.build's fake mode, to be traced
        raise WorkloadError(
            f"hf:{model_type} is a mixture of experts ({experts}): each expert takes the tokens "
            "its router picks by value, which a model of fake tensors (shapes only) does not "
            "have; trace it with --real-weights and small --param sizes (not with --serve)")
    torch.manual_seed(seed)
    with offline():
        try:  # torch's attention (traced with the math backend), else the model's own
            model = auto.from_config(cfg, attn_implementation="sdpa")
        except ValueError:
            model = auto.from_config(cfg, attn_implementation="eager")
    return _deployed(model.eval(), torch)


def _deployed(model, torch):
    """``model`` as deployed: transformers' RWKV divides two matrices per block by
    2^(block // rescale_every) on its first eval forward, once per load (``_rescale_layers``);
    done here, so the trace reads those weights as stationary, not rewritten each forward."""
    for m in model.modules():
        if hasattr(m, "layers_are_rescaled") and callable(getattr(m, "_rescale_layers", None)):
            with torch.no_grad():
                m._rescale_layers()
    return model


def _experts(cfg) -> str | None:
    """``FIELD=N`` (the config's own field, not an ``attribute_map`` alias) where the config
    builds a mixture-of-experts layer, else None (DeepSeek cut to its dense layers: dense_only)."""
    d = cfg.to_dict()
    return None if dense_only(d) else next((f"{k}={d[k]}" for k in _EXPERTS if _whole(d.get(k)) and d[k] > 1), None)


def _fake(torch) -> bool:
    """Under :func:`cimsim.zoo.build`'s fake mode."""
    return type(torch.empty(0)).__name__ == "FakeTensor"


def _cache_keyword(model, legacy: str) -> str:
    """The keyword ``forward`` takes a cache by (transformers 5.24: ``cache``; older: ``legacy``)."""
    try:
        params = inspect.signature(model.forward).parameters
    except (TypeError, ValueError):
        return legacy
    return "cache" if "cache" in params else legacy


_LM = dict(vocab_size=128, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
           num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=128)


def _ids(torch, vocab, seq, batch=1):
    g = torch.Generator().manual_seed(1)
    return torch.randint(0, vocab, (batch, seq), generator=g)


def _causal(model_type, defaults, config, seq=None, cache=0, batch=1, name=None, origin=None, seed=0):
    """Prefill over ``seq`` tokens (None: 8), or (``cache`` > 0) one step of ``seq`` new tokens
    (None: 1, a decode step; more: a verify step, a prefill chunk or the rest of a prompt after a
    cached prefix) appended to ``cache`` cached tokens, attending to all of them;
    ``config``: the caller's fields over ``defaults`` (from ``origin``: an entry's defaults;
    None: checked by the caller, :func:`_any`)."""
    torch = require_torch()
    cfg = _merge(model_type, defaults, config)
    if origin is not None:
        _check_config(name, _config(_transformers(), model_type), cfg, config, origin, decoder=True)
    model = hf_model(model_type, cfg, "causal-lm", seed)
    seq = (1 if cache else 8) if seq is None else seq
    _check_positions(model, model_type, cache + seq if cache else seq,
                     f"cache={cache}" + (f" and seq={seq}" if seq > 1 else "") if cache else f"seq={seq}")
    vocab = getattr(model.config, "vocab_size", None) or 128
    if not cache:
        return model, (_ids(torch, vocab, seq, batch),), {"use_cache": False}
    key = _cache_keyword(model, "past_key_values")
    if estimating() and _experts(model.config) and _fake(torch):  # its fake forward cannot route
        return model, (_ids(torch, vocab, seq, batch),), {key: _cache_bytes(torch, model, cache, batch)}
    with torch.no_grad(), offline():
        past = model(_ids(torch, vocab, cache, batch), use_cache=True).past_key_values
    return model, (_ids(torch, vocab, seq, batch),), {key: past, "use_cache": True}


def _cache_bytes(torch, model, cache: int, batch: int):
    """A KV cache's bytes as one fake tensor (K and V of every layer: ``2 L x batch x kv_heads x
    cache x head_dim``; multi-head latent attention's ``L x batch x cache x (r + rope)``), for :func:`cimsim.zoo.registry.estimate_bytes` where the forward that
    makes the cache does not run on fake tensors (a mixture of experts routes by value)."""
    c = model.config
    if (mla := latent_attention(c)):  # the latent and the RoPE key: kv_lora_rank + qk_rope_head_dim
        return torch.empty(c.num_hidden_layers, batch, cache, latent_cache_elements(mla), dtype=model.dtype)
    kv = getattr(c, "num_key_value_heads", None) or c.num_attention_heads
    dh = getattr(c, "head_dim", None) or c.hidden_size // c.num_attention_heads
    return torch.empty(2 * c.num_hidden_layers, batch, kv, cache, dh, dtype=model.dtype)


# bos / eos: GPT-2's is its last token (50256), here the tiny vocabulary's last, 127, so
# transformers does not warn that 50256 lies outside the vocabulary (ids feed no MAC)
_GPT2 = dict(vocab_size=128, n_positions=128, n_embd=32, n_layer=2, n_head=2, bos_token_id=127,
             eos_token_id=127)

for _name, _type, _defaults, _desc in [
    ("gpt2", "gpt2", _GPT2, "GPT-2 language model"),
    ("llama", "llama", _LM, "Llama (RMSNorm, RoPE, SwiGLU, grouped-query attention)"),
    ("mistral", "mistral", _LM, "Mistral (grouped-query attention)"),
    ("qwen2", "qwen2", _LM, "Qwen2 (grouped-query attention, QKV biases)"),
]:
    def _prefill(seq=8, batch=1, _t=_type, _d=_defaults, _n=_name, **config):
        if "cache" in config:  # it would trace a decode step under the prefill's name
            raise WorkloadError(f"--param cache: --zoo {_n} traces a prefill of seq tokens; for one "
                                f"decode step against a cache use --zoo {_n}-decode")
        return _causal(_t, _d, config, seq=seq, batch=batch, name=_n, origin=f"{_n}'s default")

    def _decode(cache=16, batch=1, _t=_type, _d=_defaults, _n=_name, **config):
        if "seq" in config:  # it was dropped: a decode step is one token
            raise WorkloadError(f"--param seq: --zoo {_n}-decode traces one token against a cache "
                                f"of cache tokens; for a prefill of seq tokens use --zoo {_n}")
        if isinstance(cache, int) and not isinstance(cache, bool) and cache < 1:
            # cache=0 would trace the prefill: a decode step needs a token already cached
            raise WorkloadError(f"--param cache={cache}: a decode step runs against at least one "
                                f"cached token (cache >= 1); for a prefill use --zoo {_t}")
        return _causal(_t, _d, config, cache=cache, batch=batch, name=f"{_n}-decode",
                       origin=f"{_n}'s default")

    register(_name, "hf-decoder", f"{_desc}, prefill")(_prefill)
    register(f"{_name}-decode", "hf-decoder", f"{_desc}, one decode step against a KV cache")(_decode)


@register("bert", "hf-encoder", "BERT encoder")
def bert(seq=8, batch=1, **config):
    torch = require_torch()
    cfg = _merge("bert", dict(vocab_size=128, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                  intermediate_size=64, max_position_embeddings=128), config)
    model = hf_model("bert", cfg)
    _check_positions(model, "bert", seq, f"seq={seq}")
    return model, (_ids(torch, cfg["vocab_size"], seq, batch),), {}


@register("t5", "hf-encoder-decoder", "T5 encoder-decoder (relative position bias)")
def t5(seq=8, target=4, batch=1, **config):
    torch = require_torch()
    cfg = _merge("t5", dict(vocab_size=128, d_model=32, d_kv=8, d_ff=64, num_layers=2, num_decoder_layers=2,
                  num_heads=4, decoder_start_token_id=0), config)
    model = hf_model("t5", cfg)
    return model, (_ids(torch, cfg["vocab_size"], seq, batch),), {
        "decoder_input_ids": _ids(torch, cfg["vocab_size"], target, batch), "use_cache": False}


@register("vit", "hf-vision", "Vision Transformer (patch-embedding Conv2d + encoder)")
def vit(image=32, batch=1, **config):
    torch = require_torch()
    cfg = _merge("vit", dict(image_size=image, patch_size=8, hidden_size=32, num_hidden_layers=2,
                  num_attention_heads=2, intermediate_size=64, num_channels=3), config)
    model = hf_model("vit", cfg)
    torch.manual_seed(1)
    return model, (torch.randn(batch, cfg["num_channels"], image, image),), {}


@register("whisper", "hf-speech", "Whisper encoder-decoder (Conv1d front end)")
def whisper(frames=32, target=4, batch=1, **config):
    torch = require_torch()
    if frames % 2:  # its second conv has stride 2: the encoder's positions are frames / 2
        raise WorkloadError(f"zoo model 'whisper': --param frames={frames}: Whisper's encoder "
                            "halves the mel frames (a stride-2 conv), so frames must be even")
    cfg = _merge("whisper", dict(vocab_size=128, num_mel_bins=16, d_model=32, encoder_layers=2, decoder_layers=2,
                  encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=64,
                  decoder_ffn_dim=64, max_source_positions=frames // 2, max_target_positions=32,
                  pad_token_id=0, bos_token_id=1, eos_token_id=2, decoder_start_token_id=1), config)
    if target > cfg["max_target_positions"]:  # its decoder's position table has no row for more
        raise WorkloadError(f"zoo model 'whisper': --param target={target}: at most "
                            f"max_target_positions ({cfg['max_target_positions']}) decoder tokens")
    model = hf_model("whisper", cfg)
    torch.manual_seed(1)
    feats = torch.randn(batch, cfg["num_mel_bins"], frames)
    return model, (feats,), {"decoder_input_ids": _ids(torch, cfg["vocab_size"], target, batch),
                             "use_cache": False}


@register("wav2vec2", "hf-speech", "Wav2Vec2 (conv feature encoder, GroupNorm, weight-norm conv)")
def wav2vec2(samples=400, batch=1, **config):
    torch = require_torch()
    cfg = _merge("wav2vec2", dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
                  conv_dim=(32, 32), conv_kernel=(10, 3), conv_stride=(5, 2),
                  num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=4,
                  do_stable_layer_norm=False, feat_extract_norm="group"), config)
    length = samples  # through the feature encoder's convolutions: the first's GroupNorm
    for i, (k, st) in enumerate(zip(cfg["conv_kernel"], cfg["conv_stride"])):  # needs 2 frames
        length = (length - k) // st + 1
        if length < (2 if i == 0 else 1):
            raise WorkloadError(f"zoo model 'wav2vec2': --param samples={samples}: too few for its "
                                f"feature encoder (convolutions of kernels {tuple(cfg['conv_kernel'])}, "
                                f"strides {tuple(cfg['conv_stride'])}): give more samples")
    model = hf_model("wav2vec2", cfg)
    torch.manual_seed(1)
    return model, (torch.randn(batch, samples),), {}


@register("mamba", "hf-ssm", "Mamba selective state-space model (reference scan)")
def mamba(seq=8, batch=1, **config):
    torch = require_torch()
    cfg = _merge("mamba", dict(vocab_size=128, hidden_size=32, state_size=8, num_hidden_layers=2, expand=2,
                  conv_kernel=4, use_mambapy=False), config)
    model = hf_model("mamba", cfg)
    return model, (_ids(torch, cfg["vocab_size"], seq, batch),), {"use_cache": False}


@register("mamba-decode", "hf-ssm", "Mamba, one decode step against its conv and SSM state cache")
def mamba_decode(cache=16, batch=1, **config):
    if isinstance(cache, int) and not isinstance(cache, bool) and cache < 1:
        raise WorkloadError(f"--param cache={cache}: a decode step runs against at least one "
                            "cached token (cache >= 1); for a prefill use --zoo mamba")
    torch = require_torch()
    cfg = _merge("mamba", dict(vocab_size=128, hidden_size=32, state_size=8, num_hidden_layers=2, expand=2,
                  conv_kernel=4, use_mambapy=False), config)
    model = hf_model("mamba", cfg, "causal-lm")
    with torch.no_grad(), offline():
        state = model(_ids(torch, cfg["vocab_size"], cache, batch), use_cache=True).cache_params
    return model, (_ids(torch, cfg["vocab_size"], 1, batch),), {
        _cache_keyword(model, "cache_params"): state, "use_cache": True,
        "cache_position": torch.tensor([cache])}




# --------------------------------------------------------------------------- any model type
_FACTORY_ARGS = ("seq", "cache", "batch", "seed", "target", "encoder_len")


def _seed(name: str, seed) -> int:
    """``--param seed``: the random weights' seed (default 0), a whole number >= 0, and only
    with real weights (a model of fake tensors has no values to seed: refused, not ignored)."""
    if seed is None:
        return 0
    if not _whole(seed) or seed < 0:
        raise WorkloadError(f"{name}: --param seed={seed!r}: the random weights' seed is a whole "
                            "number >= 0")
    torch = require_torch()
    if _fake(torch) and not estimating():
        raise WorkloadError(f"{name}: --param seed={seed}: the seed draws the random weights, and "
                            "without --real-weights the model is shapes only (fake tensors): add "
                            "--real-weights")
    return seed


def hf_entry(model_type: str) -> ZooEntry:
    """The zoo entry ``hf:MODEL_TYPE``: factory ``(seq=8, cache=0, batch=1, seed=0, target=None,
    encoder_len=None, **config fields)``, at the config class's default sizes; an encoder-decoder
    (:mod:`cimsim.zoo.hf_seq2seq`: ``target``, ``encoder_len`` are its), else a causal LM where
    transformers has one, else the base model.
    ``hf:PATH.json``: a Hugging Face ``config.json`` (its ``model_type`` and every field, as
    transformers reads the file; fields given to the factory override them)."""
    if not model_type:
        raise WorkloadError("hf: needs a Hugging Face model type, e.g. hf:llama, hf:gpt2, hf:bert")
    if model_type.endswith(".json"):
        return _file_entry(model_type)

    def factory(seq=None, cache=0, batch=1, seed=None, target=None, encoder_len=None, **config):
        return _any(model_type, config, seq, cache, batch, seed=seed, target=target,
                    encoder_len=encoder_len)

    return ZooEntry(f"hf:{model_type}", "hf", f"Hugging Face {model_type} at its config's default "
                    "size (random weights, built from the config class)", factory)


def serving_entries(name: str, overrides: dict) -> tuple[str, str]:
    """(prefill entry, decode entry) of ``hf:MODEL_TYPE`` / ``hf:PATH.json`` for ``--serve``
    (both the name itself); an encoder-only config (BERT, RoBERTa, ...: no ``is_decoder``) is
    refused saying why, before any trace (its "causal LM" is the encoder, causally masked only
    when the config asks for it)."""
    import json
    from pathlib import Path

    from ..workload.llm_options import encoder_only

    spec = name[len("hf:"):]
    fields: object = {"model_type": spec}
    if spec.endswith(".json"):
        try:
            fields = json.loads(Path(spec).read_text())
        except (OSError, ValueError):
            fields = {}  # the entry itself says what is wrong with the file
    try:
        from transformers.models.auto.modeling_auto import MODEL_FOR_MASKED_LM_MAPPING_NAMES as more
    except ImportError:
        more = ()
    mtype = str(fields.get("model_type", "")) if isinstance(fields, dict) else ""
    try:
        from transformers.models.auto.modeling_auto import MODEL_FOR_SEQ_TO_SEQ_CAUSAL_LM_MAPPING_NAMES as s2s
    except ImportError:
        s2s = ()
    both = {**fields, **overrides} if isinstance(fields, dict) else {}
    if mtype in s2s or (mtype and encoder_decoder(_transformers(), mtype, both)) \
            or both.get("is_encoder_decoder"):  # Whisper's is a speech seq2seq: its default says so
        raise WorkloadError(f"{name}: --serve: {mtype or 'the config'} is an encoder-decoder model; "
                            "--serve runs decoder-only LLMs over a KV cache; trace the whole model "
                            f"with --zoo {name}, and one decoder step against a self- and a "
                            f"cross-attention cache with --zoo {name} --param cache=N --param "
                            "encoder_len=M")
    why = encoder_only({**fields, **overrides}, more=more) if isinstance(fields, dict) else None
    if why:
        raise WorkloadError(f"{name}: --serve: {why.split(': ', 1)[1]}")
    if mtype in _STATE_SPACE:
        raise WorkloadError(f"{name}: --serve: {mtype} is a state-space model, whose decode state is "
                            "not a KV cache; --serve models attention over a KV cache (trace one "
                            "decode step with --zoo mamba-decode)")
    return name, name


#: model types whose decode state is a recurrent state, not a KV cache
_STATE_SPACE = ("mamba", "mamba2", "falcon_mamba", "rwkv")


def _file_entry(path: str) -> ZooEntry:
    import json
    from pathlib import Path

    from ..workload.jsonstream import RepeatedKey, unique_keys

    try:
        fields = json.loads(Path(path).read_text(), object_pairs_hook=unique_keys)
    except OSError as exc:
        raise WorkloadError(f"hf:{path}: cannot read the config file: {exc.strerror}") from None
    except RepeatedKey as exc:
        raise WorkloadError(f"hf:{path}: key '{exc.key}' is given twice in one object (JSON would "
                            "keep only the last value); give each key once") from None
    except ValueError as exc:
        raise WorkloadError(f"hf:{path}: not a JSON config: {exc}") from None
    if not isinstance(fields, dict) or not isinstance(fields.get("model_type"), str):
        raise WorkloadError(f"hf:{path}: a config.json is a JSON object with a 'model_type'")
    model_type = fields.pop("model_type")
    for key, value in fields.items():  # range(-2) builds no layers, in silence
        if (key.endswith("layers") or key in ("n_layer", "num_layers")) and isinstance(value, int) \
                and not isinstance(value, bool) and value < 0:
            raise WorkloadError(f"hf:{path}: {key} = {value}: a layer count is a whole number >= 0")

    def factory(seq=None, cache=0, batch=1, seed=None, target=None, encoder_len=None, **config):
        return _any(model_type, config, seq, cache, batch, given=fields, path=path, seed=seed,
                    target=target, encoder_len=encoder_len)

    return ZooEntry(f"hf:{path}", "hf", f"Hugging Face {model_type} from {path} (random weights, "
                    "built from the config)", factory)


def _any(model_type: str, config: dict, seq: int, cache: int, batch: int, given: dict | None = None,
         path: str | None = None, seed: int | None = None, target=None, encoder_len=None):
    """``given``: a config file's fields (taken as transformers takes them, unchecked), of file
    ``path``; ``config``: the caller's fields over them (checked against the config class);
    ``seq`` None: 8 tokens; ``seed``: the random weights' (:func:`_seed`; the token ids are
    drawn from seed 1 whatever it is); ``target``, ``encoder_len``: an encoder-decoder's
    (:func:`~cimsim.zoo.hf_seq2seq.seq2seq`)."""
    name = f"hf:{path or model_type}"
    tf = _transformers()
    if encoder_decoder(tf, model_type, {**(given or {}), **config}):
        _check_fields(model_type, config, f" (and hf:{model_type}'s own parameters are "
                                          f"{', '.join(_FACTORY_ARGS)})")
        _check_config(name, _config(tf, model_type), {**(given or {}), **config}, config,
                      f"from {path}", False)
        return seq2seq(model_type, {**(given or {}), **config}, name, seq, target, cache,
                       encoder_len, batch, _seed(name, seed))
    for key, value in (("target", target), ("encoder_len", encoder_len)):
        if value is not None:
            raise WorkloadError(f"{name}: --param {key}: {model_type} is no encoder-decoder "
                                f"(is_encoder_decoder is false); {key} is an encoder-decoder's")
    if not cache:  # with a cache, seq tokens (default 1) are appended to it: a verify step or chunk
        seq = 8 if seq is None else seq
    seed = _seed(name, seed)
    torch = require_torch()
    given = given or {}
    _check_fields(model_type, config, f" (and hf:{model_type}'s own parameters are "
                                      f"{', '.join(_FACTORY_ARGS)})")
    default = _config(tf, model_type)
    decoder = type(default) in tf.AutoModelForCausalLM._model_mapping
    _check_config(name, default, {**given, **config}, config,
                  f"from {path}", decoder)
    if decoder:
        return _causal(model_type, given, config, seq=seq, cache=cache, batch=batch, seed=seed)
    if cache:
        raise WorkloadError(f"hf:{model_type}: cache needs a causal language model")
    refuse_other_main(tf.AutoModel._model_mapping.get(type(default), None), model_type)  # unbuilt
    model = hf_model(model_type, {**given, **config}, seed=seed)
    more = companion_inputs(model, model_type, batch, seq)  # CLIP's images; else refused by name
    _check_positions(model, model_type, seq, f"seq={seq}")  # an encoder's table (Longformer's)
    text = getattr(model.config, "text_config", None) if more else None  # a two-tower model's
    vocab = getattr(text or model.config, "vocab_size", 128)
    return model, (_ids(torch, vocab, seq, batch),), more
