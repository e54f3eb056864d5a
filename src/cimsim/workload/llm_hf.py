"""A transformers model type's default config as an LLM serving shape, offline
(:func:`model_from_hf_type`, for ``cimsim workload llm --hf-model``)."""

from __future__ import annotations

from typing import Mapping, TYPE_CHECKING

from ..errors import WorkloadError
from .llm_options import GEN, HF_KEYS, encoder_only, hf_overridden

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
    from .llm import model_from_hf

    return model_from_hf(hf_overridden(cfg, shape or {}))
