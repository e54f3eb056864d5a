"""An LLM serving shape from a Hugging Face config: a ``config.json`` (:func:`model_from_hf`, for
``cimsim workload llm --hf-config``) or a transformers model type's default config, offline
(:func:`model_from_hf_type`, for ``--hf-model``)."""

from __future__ import annotations

from typing import Mapping, TYPE_CHECKING

from ..errors import WorkloadError
from .llm_cross import cross_fields
from .llm_options import (GEN, HF_KEYS, attention_window, context_of, encoder_only, ffn_of, gated_mlp,
                          head_dim_of, hf_overridden, key_of, language_model, layer_kinds, position_table,
                          refuse_unmodelled)

if TYPE_CHECKING:
    from .llm import LLMModel


def model_from_hf_type(model_type: str, shape: Mapping[str, object] | None = None) -> LLMModel:
    """The shape of transformers' default config for ``model_type`` (``llama`` is Llama-2-7B's,
    ``mistral`` Mistral-7B's, ``gpt2`` GPT-2 small's), offline: no download; ``shape`` (LLMModel
    field names) overrides its fields as ``trace --zoo hf:TYPE --param`` does, the config
    deriving the rest from them (Llama's head_dim and K/V heads follow --hidden and --heads)."""
    try:
        import transformers
    except ImportError:
        raise WorkloadError(f"{GEN}: --hf-model needs the transformers package (pip install "
                            "'cimsim[torch]', which pins the version it is tested with), or give "
                            "--hf-config FILE") from None
    try:
        transformers.AutoConfig.for_model(model_type)
    except ValueError:
        raise WorkloadError(f"{GEN}: transformers knows no model type '{model_type}' (e.g. llama, "
                            "mistral, qwen2, gpt2)") from None
    try:
        from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING_NAMES as lms
        from transformers.models.auto.modeling_auto import MODEL_FOR_MASKED_LM_MAPPING_NAMES as mlms
    except ImportError:  # a transformers without the mapping: the config's fields decide
        lms, mlms = None, ()
    if lms is not None and model_type not in lms:
        raise WorkloadError(f"{GEN}: transformers has no causal language model of type '{model_type}' "
                            "(the generator builds decoder-only LLMs: e.g. llama, mistral, qwen2, gpt2)")
    kw = {HF_KEYS[k]: v for k, v in (shape or {}).items() if k in HF_KEYS and v is not None}
    try:
        cfg = transformers.AutoConfig.for_model(model_type, **kw).to_dict()
    except Exception as exc:  # noqa: BLE001  (transformers' own validation: its error classes vary,
        # huggingface_hub's StrictDataclassClassValidationError is no ValueError)
        raise WorkloadError(f"{GEN}: transformers' {model_type} config refused the shape "
                            f"({' '.join(str(exc).split())})") from None
    why = encoder_only(cfg, more=mlms)  # BERT has a "causal LM": its encoder, causally masked
    if why:
        raise WorkloadError(why)
    return model_from_hf(hf_overridden(cfg, shape or {}))


def model_from_hf(config: Mapping[str, object]) -> LLMModel:
    """The shape of a Hugging Face ``config.json`` (Llama/Mistral/Qwen names, GPT-2's, Falcon's
    ``multi_query`` / ``num_kv_heads`` and ``ffn_hidden_size``, OPT's ``ffn_dim``); a mixture of
    experts is refused (one line) rather than read as one dense FFN."""
    def get(*keys, default=None):
        for k in keys:
            if config.get(k) is not None:
                return config[k]
        if default is None:
            raise WorkloadError(f"{GEN}: the HF config has none of {', '.join(keys)}")
        return default

    from .llm import LLMModel

    full, config = config, language_model(config)
    if config.get("is_encoder_decoder") is True:
        raise WorkloadError(f"{GEN}: the HF config is an encoder-decoder model"
                            f"{' (' + str(config['model_type']) + ')' if config.get('model_type') else ''}; "
                            "the generator builds decoder-only LLMs")
    why = encoder_only(config)
    if why:
        raise WorkloadError(why)
    # what the file leaves out, transformers fills in from the model type's defaults (as the
    # traced model has them): a Mixtral file without num_local_experts still has 8 experts
    typed = refuse_unmodelled(config)
    hidden = get("hidden_size", "n_embd", "d_model")
    heads = get("num_attention_heads", "n_head", "n_heads")
    if not isinstance(hidden, int) or not isinstance(heads, int) or heads < 1:
        raise WorkloadError(f"{GEN}: the HF config's {key_of(config, 'hidden_size', 'n_embd', 'd_model')} "
                            f"({hidden!r}) and {key_of(config, 'num_attention_heads', 'n_head', 'n_heads')} "
                            f"({heads!r}) must be integers >= 1")
    head_dim = head_dim_of(config, hidden, heads)
    if head_dim is None:  # the head width would be rounded down
        raise WorkloadError(f"{GEN}: hidden {hidden} is not a multiple of heads {heads}, and no "
                            "head_dim is given (a head would be hidden // heads wide, the attention "
                            f"narrower than the model): give a hidden size divisible by {heads}")
    if config.get("new_decoder_architecture"):  # Falcon-40B/180B: num_kv_heads key/value heads
        kv = get("num_key_value_heads", "num_kv_heads", "n_head_kv", default=heads)
    elif config.get("multi_query") is True:  # Falcon-7B, GPT-BigCode: multi-query, one K/V head
        kv = 1
    else:
        kv = get("num_key_value_heads", "n_head_kv", default=heads)
    if isinstance(kv, int) and kv >= 1 and heads % kv:  # named as the config names them
        raise WorkloadError(f"{GEN}: kv_heads={kv} (the HF config's "
                            f"{key_of(config, 'num_key_value_heads', 'num_kv_heads', 'n_head_kv')}) "
                            f"must divide heads={heads} ({key_of(config, 'num_attention_heads', 'n_head', 'n_heads')})")
    window, window_layers = attention_window(typed, layer_kinds(config, typed))
    layers = get("num_hidden_layers", "n_layer", "n_layers")
    return LLMModel(
        layers=layers,
        hidden=hidden,
        heads=heads,
        kv_heads=kv,
        ffn=ffn_of(config, hidden),  # MPT's expansion_ratio x d_model; 4 x hidden (GPT-2)
        vocab=get("vocab_size"),
        head_dim=head_dim,
        gated=gated_mlp(typed),  # by the model type: SwiGLU (Llama, Mistral, Qwen), GeGLU (Gemma)
        positions=position_table(typed), context=context_of(typed),
        window=window, window_layers=window_layers, **cross_fields(config, typed, full, layers),
        tied=tied_of(config, typed),
    )


def tied_of(config: Mapping[str, object], typed: Mapping[str, object]) -> bool:
    """The config's ``tie_word_embeddings`` (its model type's default where it states none:
    false for Llama, Mistral and Qwen2, true for GPT-2 and Gemma; true, transformers' base
    default, without transformers or a known type); a value that is no boolean is refused."""
    v = config.get("tie_word_embeddings", typed.get("tie_word_embeddings", True))
    if not isinstance(v, bool):
        raise WorkloadError(f"{GEN}: the HF config's tie_word_embeddings must be true or false, got {v!r}")
    return v


def untied_table(model: LLMModel, weight_dtype: str) -> dict:
    """``{"unread_parameters": [entry]}`` for an untied model (``model.tied`` false): its input
    embedding table, ``vocab x hidden`` at ``weight_dtype`` (``model.vocab``: one device's
    vocabulary shard under tensor parallelism, Megatron's vocabulary-parallel embedding), which
    the footprint and the capacity check hold on the first pipeline stage; the embedding's gather does
    not read it (its rows are not modelled), so it is listed as read in part, 0 B read, marked
    ``untied_table`` (what a refusal and the generator's summary name it by). ``{}``
    for a tied model (the LM head's matrix is the table)."""
    if model.tied:
        return {}
    from ..dtypes import tensor_bytes

    size = tensor_bytes(model.vocab * model.hidden, weight_dtype)
    return {"unread_parameters": [{
        "name": "embed_tokens", "shape": [model.vocab, model.hidden], "dtype": weight_dtype,
        "bytes": size, "read_bytes": 0, "parameter_bytes": size, "untied_table": True}]}

