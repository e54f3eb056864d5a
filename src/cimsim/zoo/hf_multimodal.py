"""The inputs ``hf:TYPE`` builds besides the token ids, for a base model whose forward needs more.

A contrastive image-text model (CLIP, SigLIP, BLIP, AltCLIP, Chinese-CLIP, CLIPSeg,
GroupViT, OWL-ViT, X-CLIP, ...: a forward that takes ``pixel_values`` and ``return_loss``) has
``input_ids`` as its main input, but its forward runs the image tower too and fails without
pixels. It gets ``batch`` images of ``num_channels x image_size x image_size`` (its vision
config's; 3 channels where the config has no such field, as BLIP's), one clip of ``num_frames``
of them where the vision config has ``num_frames`` (X-CLIP), drawn from seed 1. Every image
pairs with every text (the model's ``logits_per_image`` is ``batch x batch``).

Any other input its forward needs (required by the signature, or a contrastive model's
non-image tower: SigLIP-2's ``pixel_attention_mask`` and ``spatial_shapes``, CLVP's
``input_features``) is refused in one line naming it and pointing to a factory, and so is a
model whose main input is not token ids (``hf:swin``'s ``pixel_values``; told from the model
class before it is built, so ``hf:timesformer``, whose constructor calls ``.item()``, gets the
same answer: :func:`refuse_other_main`). An image-text model
that is not contrastive (ViLT, BridgeTower, LXMERT, TVP) gets token ids only: when running it
fails (no ``pixel_values`` / ``visual_feats``), the failure names the inputs of its other tower
that hf:TYPE did not build and the factory form (:func:`unbuilt_hint`); one whose forward runs
on text alone (VisualBERT, LayoutLMv3) traces so.

Two contrastive types do not trace from ``hf:TYPE`` for reasons of their own: ALIGN (its text
tower's masking calls ``.item()``, which meta tensors cannot) traces with ``--real-weights``
only, and CLAP fails while it is built (``DataDependentOutputException`` in its audio tower),
before its ``input_features`` are asked for.
"""

from __future__ import annotations

import inspect

from ..errors import WorkloadError

#: a forward's inputs for a tower other than the text one; of these hf:TYPE builds only
#: pixel_values, for a contrastive model whose vision config gives image_size
_TOWERS = ("pixel_values", "pixel_values_videos", "input_features", "input_values", "audio_values",
           "pixel_attention_mask", "spatial_shapes")

#: the inputs of a tower other than the text one that a failure of a model fed token ids names
_OTHER_TOWER = ("pixel_values", "pixel_values_videos", "image_embeds", "visual_feats", "visual_pos",
                "visual_embeds", "input_features", "input_values", "audio_values")

_FACTORY = ("trace it from a factory that builds its inputs (cimsim trace FILE.py:factory "
            "returning (model, (), {{{kw}}}): named inputs go in the third element), or a zoo "
            "entry of its family (cimsim trace --zoo list)")


def _named(params: dict, names: list[str]) -> str:
    """The factory's keyword inputs for the hint: the token ids where the forward takes them."""
    return ", ".join(f"'{k}': ..." for k in (["input_ids"] if "input_ids" in params else []) + names)


def _and(names: list[str]) -> str:
    return " and ".join(filter(None, (", ".join(names[:-1]), "".join(names[-1:]))))


def _params(model) -> dict:
    try:
        return dict(inspect.signature(model.forward).parameters)
    except (TypeError, ValueError):
        return {}


def _required(params: dict) -> list[str]:
    """The forward's parameters without a default (``self`` and ``*args`` / ``**kwargs`` aside)."""
    plain = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD,
             inspect.Parameter.KEYWORD_ONLY)
    return [k for k, p in params.items() if p.kind in plain and p.default is inspect.Parameter.empty]


def _side(value) -> tuple[int, int] | None:
    """An ``image_size`` as (height, width): an int, or a pair of ints; else None."""
    whole = lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 1  # noqa: E731
    if whole(value):
        return value, value
    if isinstance(value, (list, tuple)) and len(value) == 2 and all(map(whole, value)):
        return tuple(value)
    return None


def _text_positions(model) -> int | None:
    """A contrastive model's text tower's table of positions (``text_config``'s
    ``max_position_embeddings``: CLIP's 77, OWL-ViT's 16); None without one."""
    limit = getattr(getattr(model.config, "text_config", None), "max_position_embeddings", None)
    return limit if isinstance(limit, int) and not isinstance(limit, bool) else None


def unbuilt_hint(model, name: str, given: dict) -> str:
    """What to add to a failure of ``name`` (``hf:TYPE``) run on token ids and ``given``: the
    inputs of another tower its forward takes that were not built, and the factory form; ``""``
    where it takes none."""
    params = _params(model)
    names = [k for k in _OTHER_TOWER if k in params and k not in given]
    if not names:
        return ""
    return (f"{name}'s forward also takes {_and(names)} (inputs of another tower), which hf:TYPE "
            "does not build; " + _FACTORY.format(kw=_named(params, names)))


def refuse_other_main(model, model_type: str) -> None:
    """Refuse ``model`` (a model, or its class: checked before it is built, so a constructor
    that fails on fake tensors, TimeSformer's ``.item()``, still gets this answer) whose main
    input is not token ids, in one line naming it and the factory form."""
    main = getattr(model, "main_input_name", "input_ids")
    if main != "input_ids":  # pixels, audio features, waveforms: no token ids to feed
        raise WorkloadError(f"hf:{model_type} takes {main}, and hf:TYPE feeds token ids only; "
                            + _FACTORY.format(kw=_named(_params(model), [main])))


def companion_inputs(model, model_type: str, batch: int, seq: int) -> dict:
    """The keyword inputs besides ``batch x seq`` token ids that ``model``'s forward needs
    (module docstring): ``{}`` for a text model, ``{"pixel_values": ...}`` for a contrastive
    image-text model; anything else refused naming the input, as is a model whose main input
    is not ``input_ids``."""
    from ..workload.trace import require_torch

    params = _params(model)
    name = f"hf:{model_type}"
    refuse_other_main(model, model_type)
    required = [k for k in _required(params) if k != "input_ids"]
    if required:  # a vision tower alone (its main_input_name left at input_ids) or a two-input model
        raise WorkloadError(f"{name} takes {_and(required)}, and hf:TYPE feeds token ids only; "
                            + _FACTORY.format(kw=_named(params, required)))
    if not ("return_loss" in params and "input_ids" in params):  # not a contrastive model
        if "pixel_values" in params and getattr(model.config, "vision_config", None) is not None:
            from .registry import say  # a VLM (LLaVA): its text path alone (find-M 3)

            say(f"{type(model).__name__} on token ids alone: its image path (vision tower, projector "
                "and the image tokens they put in the prompt) is not traced; trace the encoder from a "
                "factory and chain it before the prefill with `cimsim workload llm --image-tokens N "
                "--vision-workload ENC.json`")
        return {}
    towers = [k for k in _TOWERS if k in params]
    vision = getattr(model.config, "vision_config", None)
    side = _side(getattr(vision, "image_size", None))
    if towers != ["pixel_values"] or side is None:
        why = " (its vision config gives no whole image_size)" \
            if side is None and "pixel_values" in towers else ""
        needs = _and(towers) or "its second tower's input"
        raise WorkloadError(f"{name} also needs {needs}{why}, which hf:TYPE does not build (it "
                            "builds the pixel_values of an image-text model whose vision config "
                            "gives image_size); " + _FACTORY.format(kw=_named(params, towers)))
    limit = _text_positions(model)
    if limit is not None and seq > limit:
        raise WorkloadError(f"--param seq={seq}: {name}'s text tower needs {seq} positions, past its "
                            f"table of {limit} (text_config.max_position_embeddings); give seq <= "
                            f"{limit}")
    torch = require_torch()
    channels = getattr(vision, "num_channels", None)
    channels = channels if isinstance(channels, int) and channels >= 1 else 3
    frames = getattr(vision, "num_frames", None)
    shape = (batch,) + ((frames,) if isinstance(frames, int) and frames >= 1 else ()) + (channels, *side)
    g = torch.Generator().manual_seed(1)
    return {"pixel_values": torch.randn(shape, generator=g)}


def no_serving_head(entry: str, model) -> str:
    """Why ``model`` (what ``entry`` builds) cannot serve: it has no LM head (the base model,
    as ``hf:llava`` builds ``LlavaModel``), or its forward does not take ``logits_to_keep``
    (transformers before 4.50, or a class that never took it)."""
    cls = type(model).__name__
    head = getattr(model, "get_output_embeddings", lambda: None)
    if head() is None:
        return (f"{entry}: --serve needs a causal LM with an LM head; {entry} builds {cls}, which has "
                "none (its forward gives hidden states, not logits); serve its language model "
                "(hf:TYPE of its text_config, or `cimsim workload llm --hf-config` with --image-tokens)")
    import transformers

    major, minor = (int(x) for x in transformers.__version__.split(".")[:2])
    if (major, minor) < (4, 50):
        return (f"{entry}: --serve needs a forward that takes logits_to_keep, which transformers "
                f"{transformers.__version__}'s {cls} does not (4.50 or later has it)")
    return (f"{entry}: {cls}.forward does not take logits_to_keep (transformers "
            f"{transformers.__version__}), so its prefill would run the LM head on every prompt "
            "token; --serve needs a causal LM whose forward takes it")
