"""The serving options of :func:`cimsim.workload.llm.llm_serving` (and of the serving trace,
:mod:`cimsim.zoo.serve`) checked once: one-line :class:`~cimsim.errors.WorkloadError` each; the
shape options' Hugging Face config keys; the lengths in a serving run's default name."""

from __future__ import annotations

import zlib
from typing import Mapping, Sequence

from ..dtypes import DTYPES
from ..errors import WorkloadError
from .argnames import arg, arg_is, integer
from .llm_cross import prompt_said
from .llm_dtypes import GEN

BATCHING: tuple[str, ...] = ("static", "continuous")
ATTENTION: tuple[str, ...] = ("per-request", "padded")
#: how attention's scores, softmax and context run (:mod:`cimsim.workload.llm_attention`)
ATTENTION_KERNELS: tuple[str, ...] = ("unfused", "fused")
def _is_one(value) -> bool:
    """``value`` is one length for every request (an int), not a per-request list."""
    value = integer(value)  # a NumPy integer too
    return isinstance(value, int) and not isinstance(value, bool)


def _listed(prompt, decode) -> int | None:
    """The requests per-request ``prompt`` / ``decode`` lists imply (None: neither is a list of
    2+ lengths); lists of two lengths that disagree are a one-line error."""
    n = {name: len(v) for name, v in (("prompt", prompt), ("decode", decode))
         if not _is_one(v) and not isinstance(v, (str, bytes)) and len(v) > 1}
    if len(set(n.values())) > 1:
        raise WorkloadError(f"{GEN}: {arg('prompt')} lists {n['prompt']} lengths and {arg('decode')} "
                            f"lists {n['decode']}: give one length for all requests, or one per request in both")
    return next(iter(n.values()), None)


def _per_request(name: str, value, n: int) -> list[int]:
    vals = [integer(v) for v in ([value] * n if _is_one(value) else list(value))]
    if len(vals) != n:
        raise WorkloadError(f"{GEN}: {arg(name)} lists {len(vals)} lengths for {n} request(s); give "
                            f"one length, or one per request, or {arg_is('requests', len(vals))}")
    for v in vals:
        if isinstance(v, bool) or not isinstance(v, int) or v < (1 if name == "prompt" else 0):
            raise WorkloadError(f"{GEN}: {arg(name)} lengths must be integers >= "
                                f"{1 if name == 'prompt' else 0}, got {v!r}")
    return vals


def serving_options(prompt, decode, batch, requests, batching, attention, sub_batches,
                    tensor_parallel, dtype, pipeline_parallel=1,
                    micro_batches=1, attention_kernel="unfused") -> tuple[list[int], list[int], int]:
    """The serving options checked (one-line :class:`WorkloadError` each): ``(prompt lengths,
    decode steps, requests)``, one length per request."""
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
        raise WorkloadError(f"{GEN}: {arg('batch')} must be an integer >= 1, got {batch!r}")
    if dtype not in DTYPES:
        raise WorkloadError(f"{GEN}: {arg('dtype')} {dtype!r} is not one of {', '.join(DTYPES)}")
    if batching not in BATCHING:
        raise WorkloadError(f"{GEN}: {arg('batching')} {batching!r} is not one of {', '.join(BATCHING)}")
    if isinstance(sub_batches, bool) or not isinstance(sub_batches, int) or sub_batches < 1:
        raise WorkloadError(f"{GEN}: {arg('sub_batches')} must be an integer >= 1, got {sub_batches!r}")
    if isinstance(tensor_parallel, bool) or not isinstance(tensor_parallel, int) or tensor_parallel < 1:
        raise WorkloadError(f"{GEN}: {arg('tensor_parallel')} must be an integer >= 1, got "
                            f"{tensor_parallel!r}")
    if isinstance(pipeline_parallel, bool) or not isinstance(pipeline_parallel, int) or pipeline_parallel < 1:
        raise WorkloadError(f"{GEN}: {arg('pipeline_parallel')} must be an integer >= 1, got "
                            f"{pipeline_parallel!r}")
    if attention not in ATTENTION:
        raise WorkloadError(f"{GEN}: {arg('attention')} {attention!r} is not one of {', '.join(ATTENTION)}")
    if attention_kernel not in ATTENTION_KERNELS:
        raise WorkloadError(f"{GEN}: {arg('attention_kernel')} {attention_kernel!r} is not one of "
                            f"{', '.join(ATTENTION_KERNELS)}")
    if requests is None:  # per-request lists imply the count, else one batch of requests
        listed = _listed(prompt, decode)
        if listed is not None and listed < batch:
            raise WorkloadError(f"{GEN}: the per-request lengths give {listed} requests, fewer than "
                                f"{arg_is('batch', batch)}: a batch holds at most the requests there "
                                f"are; give {arg_is('batch', listed)}, or {batch} lengths")
        requests = listed if listed is not None else batch
    if isinstance(requests, bool) or not isinstance(requests, int) or requests < 1:
        raise WorkloadError(f"{GEN}: {arg('requests')} must be an integer >= 1, got {requests!r}")
    if requests < batch:  # the run would serve `requests` at once, reported as a batch of `batch`
        raise WorkloadError(f"{GEN}: {arg_is('requests', requests)} is fewer than "
                            f"{arg_is('batch', batch)}: a batch holds at most the requests there "
                            f"are; give {arg_is('batch', requests)}")
    if sub_batches > min(batch, requests):
        raise WorkloadError(f"{GEN}: {arg_is('sub_batches', sub_batches)} exceeds the requests that run at "
                            f"once ({min(batch, requests)}): a sub-batch would hold none")
    P = _per_request("prompt", prompt, requests)
    D = _per_request("decode", decode, requests)
    if pipeline_parallel > 1 and sub_batches > 1:
        raise WorkloadError(f"{GEN}: {arg_is('sub_batches', sub_batches)} with "
                            f"{arg_is('pipeline_parallel', pipeline_parallel)}: a pipeline's "
                            f"sub-batches are its micro-batches; give {arg('micro_batches')} instead")
    m = micro_batches
    if isinstance(m, bool) or not isinstance(m, int) or m < 1:
        raise WorkloadError(f"{GEN}: {arg('micro_batches')} must be an integer >= 1, got {m!r}")
    if m > 1:
        if pipeline_parallel < 2:
            raise WorkloadError(f"{GEN}: {arg_is('micro_batches', m)} pipelines the stages of "
                                f"{arg('pipeline_parallel')} >= 2; give {arg('pipeline_parallel')}")
        if batch % m or requests % m:
            raise WorkloadError(f"{GEN}: {arg_is('micro_batches', m)} must divide "
                                f"{arg_is('batch', batch)} and {arg_is('requests', requests)}")
        if batching != "static" or sub_batches != 1 or len(set(P)) > 1 or len(set(D)) > 1:
            raise WorkloadError(f"{GEN}: {arg_is('micro_batches', m)} needs identical micro-batches: static "
                                "batching, one sub-batch, one prompt and one decode length for all")
    return P, D, requests


def one_micro_batch(batch: int, requests: int, P: list[int], D: list[int], micro_batches: int):
    """``(batch, requests, P, D)`` of one micro-batch: a pipeline-parallel run's workload is one
    of its ``micro_batches`` identical micro-batches (``serving_options`` checked they divide)."""
    if micro_batches > 1:
        batch, requests = batch // micro_batches, requests // micro_batches
        P, D = P[:requests], D[:requests]
    return batch, requests, P, D


#: the Hugging Face config key of each :class:`LLMModel` field a shape option overrides
HF_KEYS = {"layers": "num_hidden_layers", "hidden": "hidden_size", "heads": "num_attention_heads",
           "kv_heads": "num_key_value_heads", "ffn": "intermediate_size", "vocab": "vocab_size",
           "head_dim": "head_dim"}


def hf_overridden(config: Mapping[str, object], shape: Mapping[str, object]) -> dict:
    """``config`` (a config.json's dict) with the shape options in ``shape`` (LLMModel field
    names) written under the keys :func:`model_from_hf` reads first, so what the config leaves
    to be derived (GPT-2's FFN of 4 x hidden, a head width of hidden / heads, K/V heads = heads)
    is derived from the overridden shape, as transformers derives it; a ``layer_types`` list
    (one entry a layer) is dropped under a ``layers`` override, so that it is derived anew
    for the new count, not read for the config's, unless it names a kind outside
    :data:`ATTENTION_KINDS` (kept, so that :func:`refuse_unmodelled` refuses it)."""
    base = language_model(config)
    kinds = base.get("layer_types")
    unmodelled = isinstance(kinds, (list, tuple)) and {str(x) for x in kinds} - ATTENTION_KINDS
    if shape.get("layers") is not None and not unmodelled:
        base = {k: v for k, v in base.items() if k != "layer_types"}
    return {**base, **{HF_KEYS[k]: v for k, v in shape.items() if k in HF_KEYS and v is not None}}


def lengths_tag(prompt: Sequence[int], decode: Sequence[int]) -> str:
    """The prompt and decode lengths in a serving run's default name: ``P1024-D128`` when every
    request has the same; per-request lengths listed up to four requests (``P512_1024-D64_128``),
    beyond that their range and a checksum of the list (``P8..4096~1a2b3c``), so runs that
    differ in any request's length get different names (the longest alone named them alike)."""
    def one(tag: str, xs: Sequence[int]) -> str:
        xs = [int(x) for x in xs]
        if len(set(xs)) == 1:
            return f"{tag}{xs[0]}"
        if len(xs) <= 4:
            return tag + "_".join(map(str, xs))
        crc = zlib.crc32(",".join(map(str, xs)).encode()) & 0xFFFFFF
        return f"{tag}{min(xs)}..{max(xs)}~{crc:06x}"
    return f"{one('P', prompt)}-{one('D', decode)}"


#: model types that are bidirectional encoders (a masked-LM head, no decoder of their own):
#: transformers 5.24's masked-LM model types less its encoder-decoders. Their "causal LM"
#: classes (BertLMHeadModel, RobertaForCausalLM, ...) are the encoder run with a causal mask,
#: which the config must ask for (``is_decoder: true``; XLM: ``causal: true``).
ENCODER_TYPES = frozenset((
    "albert", "bert", "big_bird", "camembert", "convbert", "data2vec-text", "deberta",
    "deberta-v2", "distilbert", "electra", "ernie", "esm", "esmc", "eurobert", "flaubert", "fnet",
    "funnel", "gte", "ibert", "jina_embeddings_v3", "layoutlm", "longformer", "luke",
    "megatron-bert", "mobilebert", "modernbert", "modernvbert", "mpnet", "mra", "neomme",
    "nomic_bert", "nystromformer", "perceiver", "reformer", "rembert", "roberta",
    "roberta-prelayernorm", "roc_bert", "roformer", "squeezebert", "tapas", "ultrabert",
    "ultravbert", "xlm", "xlm-roberta", "xlm-roberta-xl", "xmod", "yoso"))


def encoder_only(config: Mapping[str, object], more=()) -> str | None:
    """Why the HF ``config`` is not a decoder that can serve (decode token by token), or None:
    an encoder-only model type (:data:`ENCODER_TYPES`, and ``more``: ``--hf-model`` adds the
    installed transformers' masked-LM types) whose config does not declare itself a decoder
    (``is_decoder`` / XLM's ``causal``). Offline: the config's fields alone."""
    mt = config.get("model_type")
    if not isinstance(mt, str) or config.get("is_decoder") is True or config.get("causal") is True:
        return None
    if mt not in ENCODER_TYPES and mt not in more:
        return None
    flag = "causal" if mt == "xlm" else "is_decoder"
    return (f"{GEN}: the HF config is an encoder-only model ({mt}: bidirectional attention, "
            f"{flag} is not true); serving decodes token by token, which needs a decoder: give "
            f"a causal LM's config (e.g. llama, mistral, qwen2, gpt2), or {flag}: true for a "
            f"{mt} trained as one")


#: decoder types whose MLP is gated (``down(act(gate(x)) * up(x))``: SwiGLU, GeGLU) whatever
#: ``hidden_act`` says, and types whose MLP is not (``down(act(up(x)))``): transformers 5.24's
#: ``modeling_<type>.py``, an MLP with a ``gate_proj`` / ``gate_up_proj`` or without (held by
#: a test against the installed transformers). The architecture decides, not the activation:
#: Llama's MLP is gated with any ``hidden_act`` (and without one: LlamaConfig's default silu),
#: Nemotron's ReLU^2 MLP is not. A type in neither falls back to the activation (silu or swiglu:
#: gated).
GATED_MLP_TYPES = frozenset((
    "cohere", "exaone4", "gemma", "gemma2", "gemma3", "gemma3_text", "glm", "glm4", "granite",
    "helium", "hunyuan_v1_dense", "llama", "ministral", "mistral", "olmo", "olmo2", "phi3",
    "qwen2", "qwen3", "seed_oss", "smollm3", "stablelm"))
PLAIN_MLP_TYPES = frozenset((
    "apertus", "arcee", "bloom", "codegen", "falcon", "gpt2", "gpt_bigcode", "gpt_neox", "gptj",
    "mpt", "nemotron", "opt", "persimmon", "phi", "starcoder2"))


#: model types whose FFN is a mixture of experts, refused by name where transformers (whose
#: defaults hold the expert count) is not installed
MOE_TYPES = frozenset((
    "dbrx", "deepseek_v2", "deepseek_v3", "ernie4_5_moe", "granitemoe", "granitemoeshared",
    "jamba", "jetmoe", "minimax", "mixtral", "olmoe", "phimoe", "qwen2_moe", "qwen3_moe",
    "switch_transformers"))


#: model types whose positions come from a learned table (an index past it is an error, with
#: real weights an IndexError); rotary and ALiBi models have no table
LEARNED_POSITION_TYPES = frozenset(("biogpt", "gpt2", "gpt_bigcode", "gpt_neo", "opt"))


def position_table(typed: Mapping[str, object]) -> int | None:
    """The learned position table's size of an HF config (its type's defaults filled in), None
    for a model without one."""
    if str(typed.get("model_type", "")) not in LEARNED_POSITION_TYPES:
        return None
    n = next((typed[k] for k in ("n_positions", "max_position_embeddings")
              if isinstance(typed.get(k), int) and not isinstance(typed.get(k), bool)), None)
    return n if n is not None and n >= 1 else None


#: the per-layer kinds (:data:`LAYER_KIND_KEYS`) of a layer that attends over a sliding window
SLIDING_KINDS = frozenset(("sliding_attention",))


def layer_kinds(config: Mapping[str, object], typed: Mapping[str, object]) -> list[str] | None:
    """Each layer's attention kind as transformers builds the HF ``config`` (``typed``: with its
    type's defaults): the config's own ``layer_types``, else the list transformers derives
    (Qwen2's ``max_window_layers``: layer i slides only from that index on; Gemma-2/3 and
    gpt-oss interleave sliding and full layers), else, without transformers, Qwen2's rule from
    ``max_window_layers``; None where the model has no per-layer kinds (Mistral: every layer
    as ``sliding_window`` says). The type's default list is not used: its length and pattern
    follow the default layer count, not the config's."""
    given = config.get("layer_types")
    if isinstance(given, (list, tuple)):
        return [str(x) for x in given]
    mt = config.get("model_type")
    if isinstance(mt, str) and mt:
        try:
            import transformers
        except ImportError:
            transformers = None
        if transformers is not None:
            try:
                built = transformers.AutoConfig.for_model(
                    mt, **{k: v for k, v in config.items() if k != "model_type"})
            except Exception:  # noqa: BLE001  (transformers' validation errors vary): the rule below
                built = None
            kinds = getattr(built, "layer_types", None)
            if isinstance(kinds, (list, tuple)):
                return [str(x) for x in kinds]
            if built is not None:
                return None
    n, w, first = (typed.get(k) for k in ("num_hidden_layers", "sliding_window", "max_window_layers"))
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (n, w, first)) \
            or typed.get("use_sliding_window") is False:
        return None
    return ["sliding_attention" if i >= first else "full_attention" for i in range(n)]


def attention_window(typed: Mapping[str, object], kinds: Sequence[str] | None = None
                     ) -> tuple[int | None, int | None]:
    """``(window, sliding layers)``: a sliding-window attention's span (``sliding_window``,
    Mistral's; with ``use_sliding_window`` false, as Qwen2 states it off, none; none where every
    layer of ``kinds``, :func:`layer_kinds`, is full attention), and how many of the layers
    use it where the others attend in full (``kinds`` mixes both: Gemma-2/3, gpt-oss), None
    where all do."""
    w = typed.get("sliding_window")
    if typed.get("use_sliding_window") is False or isinstance(w, bool) or not isinstance(w, int) or w < 1:
        return None, None
    if kinds is None:
        return w, None
    sliding = sum(k in SLIDING_KINDS for k in kinds)
    if sliding == 0:
        return None, None
    return w, (sliding if sliding < len(kinds) else None)


def window_named(model) -> str:
    """How an error names ``model``'s sliding window (its span, and which layers use it where
    the others attend in full)."""
    if model.window_layers is None:
        return f"the model's sliding attention window of {model.window} tokens (sliding_window)"
    return (f"the sliding attention window of {model.window} tokens (sliding_window) that "
            f"{model.window_layers} of its layers use (layer_types mixes sliding_attention and "
            "full_attention)")


def reach(decode: int, step: tuple[int, int] = (1, 1)) -> int:
    """The positions past its prompt that ``decode`` steps of ``step = (t, a)`` feed: each
    step's ``t`` query rows (a verify step's ``K + 1``) sit after the ``a`` tokens each earlier
    step kept, ``(decode - 1)·a + t``; ``decode`` itself for plain decoding (1, 1)."""
    t, a = step
    return (decode - 1) * a + t if decode else 0


def decode_said(decode: int, step: tuple[int, int] = (1, 1)) -> str:
    """``decode D`` as the user gave it, with a verify step's reach spelt out (the positions
    are not ``D`` then): ``decode 3 (verify 4, accepted 5: 15 positions past the prompt)``."""
    t, a = step
    if t == 1:
        return f"decode {decode}"
    return f"decode {decode} (verify {t - 1}, accepted {a}: {reach(decode, step)} positions past the prompt)"


def context_note(model, prompts, decodes, who: str = GEN, step: tuple[int, int] = (1, 1), image: int = 0) -> str | None:
    """A note where a request reaches past ``model.context``, the ``max_position_embeddings`` of
    a model with no learned position table (rotary, ALiBi): nothing to overflow, so the costs
    are computed, but the model was not configured for that context and ``rope_scaling`` is
    not read; None when every request fits or the limit is unknown. ``decodes``: the requests'
    decode steps as given, of ``step`` (:func:`reach`); ``image``: the image tokens of each prompt."""
    need, p, d = max((p + reach(d, step), p, d) for p, d in zip(prompts, decodes))
    if model.context is None or need <= model.context:
        return None
    return (f"note: {who}: a request of {prompt_said(p, image)} and {decode_said(d, step)} reaches {need} positions, past "
            f"the config's max_position_embeddings of {model.context} (no learned table, so the "
            "costs are computed; rope_scaling is not read: what the model would produce past its "
            "context is not modelled)")


def context_of(typed: Mapping[str, object]) -> int | None:
    """The ``max_position_embeddings`` (else ``n_positions``) of an HF config (its type's
    defaults filled in) whose positions come from no learned table, None otherwise."""
    if position_table(typed) is not None or str(typed.get("model_type", "")) in LEARNED_POSITION_TYPES:
        return None
    n = next((typed[k] for k in ("max_position_embeddings", "n_positions")
              if isinstance(typed.get(k), int) and not isinstance(typed.get(k), bool)), None)
    return n if n is not None and n >= 1 else None


def check_positions(model, prompts, decodes, who: str = GEN, runs=None,
                    step: tuple[int, int] = (1, 1), prefix: int = 0, image: int = 0) -> None:
    """Refuse a request whose prompt and decode steps need more positions than the model's
    learned table (a decode step's token sits at position P + i, the last at P + D - 1), or
    reach past its sliding attention window (not modelled: every step would read the whole
    cache). ``who``: the error's prefix (``--serve`` for a traced serving run); ``runs``: the
    steps each row is computed for (:func:`~.llm_schedule.computed_decode`), checked after the
    requested lengths by :func:`check_padded`; ``step``: a decode step's query rows and kept
    tokens (:func:`reach`); ``prefix``: the shared prefix (``--prefix``), carried into the
    runs the window refusal names (:func:`window_runs`); ``image``: each prompt's image tokens."""
    need, p, d = max((p + reach(d, step), p, d) for p, d in zip(prompts, decodes))
    if model.positions is not None and need > model.positions:
        raise WorkloadError(f"{who}: a request of {prompt_said(p, image)} and {decode_said(d, step)} needs {need} positions, "
                            f"past the model's table of {model.positions} learned position "
                            "embeddings (n_positions / max_position_embeddings): shorten it, or give "
                            "a config with a larger table")
    if model.window is not None and need > model.window:
        fix = ("layer_types all full_attention" if model.window_layers is not None
               else "sliding_window null")
        cap = window_runs(model.window, prompts, decodes, p, d, prefix, step) if model.window_layers is None else ""
        raise WorkloadError(f"{who}: a request of {prompt_said(p, image)} and {decode_said(d, step)} reaches {need} tokens, "
                            f"past {window_named(model)}, which cimsim does not model (each step "
                            f"would read its whole cache): shorten it{cap}, or give a config with "
                            f"{fix} for full attention, whose every step reads its whole cache")
    if runs is not None:
        check_padded(prompts, decodes, runs, model.positions, model.window, who,
                     model.window_layers, step, image)


def window_runs(window: int, prompts, decodes, p: int, d: int, prefix: int, step: tuple[int, int]) -> str:
    """The runs that cost a request past an all-sliding ``window`` (find-E 5): a step past it
    reads ``window`` keys, so one step with the prompts that pass it at ``window - t`` (the
    others and ``--prefix`` kept) costs every such step; the request's ``k`` steps before it
    are the same run with ``--decode k``. Weighted, they give its TPOT exactly where every
    request is alike; else an estimate (the others cross at other steps or read less)."""
    t = step[0]
    at = [window - t if q + reach(e, step) > window else q for q, e in zip(prompts, decodes)]
    if min(at) < 1:
        return ""
    pre = f" --prefix {min(prefix, min(at) - 1)}" if prefix and min(at) >= 2 else ""
    k = 0 if window - p < t else (window - p - t) // step[1] + 1
    alike = "exact" if len(set(zip(prompts, decodes))) == 1 else "an estimate: the other requests cross it at other steps or read less"
    first = (f" and the same run with --decode {k} costs its {k} step(s) before the window (TPOT ~ "
             f"({k} x that TPOT + {d - k} x the one-step TPOT) / {d}, {alike})"
             if k else "; its prefill reads past the window too, so TTFT is not estimated")
    said = str(at[0]) if len(set(at)) == 1 else ','.join(map(str, at))
    return (f" (the cost of a step past the window: --prompt {said} --decode 1{pre} "
            f"reads the window's {window} keys, as every step past it does, so its TPOT is theirs{first})")


def check_padded(prompts, decodes, runs, positions: int | None, window: int | None,
                 who: str = GEN, window_layers: int | None = None, step: tuple[int, int] = (1, 1), image: int = 0) -> None:
    """Refuse a static batch whose padded row (a request's row run on to its batch's longest
    decode, ``runs``: :func:`~.llm_schedule.computed_decode`) needs more positions than the
    learned table ``positions`` or reaches past the sliding ``window``, where the request's own
    lengths (checked first: :func:`check_positions`) fit; the error names the padding
    (``window_layers``: the layers that use the window, where the others attend in full)."""
    some = ("" if window_layers is None else
            f", {window_layers} of its layers: layer_types mixes sliding and full attention")
    for i, (p, d, r) in enumerate(zip(prompts, decodes, runs)):
        for limit, what in ((positions, f"the model's {positions} learned positions"),
                            (window, f"the model's sliding attention window of {window} tokens "
                                     f"(sliding_window{some}; not modelled)")):
            if r != d and limit is not None and p + reach(r, step) > limit:
                raise WorkloadError(
                    f"{who}: {arg_is('batching', 'static')} runs request {i}'s row ({prompt_said(p, image)}, "
                    f"{decode_said(d, step)}) for its batch's longest decode {r}: "
                    f"{p + reach(r, step)} positions, past "
                    f"{what}; use {arg_is('batching', 'continuous')}, or batch requests of "
                    "similar lengths")


def dense_only(typed: Mapping[str, object]) -> bool:
    """The HF config (its type's defaults filled in) builds no mixture-of-experts layer: its
    first ``first_k_dense_replace`` layers are dense (DeepSeek-V2/V3, as transformers 5.24's
    ``DeepseekV3DecoderLayer`` picks the MLP) and it has no more layers than that."""
    k = typed.get("first_k_dense_replace")
    n = typed.get("num_hidden_layers")
    return all(isinstance(v, int) and not isinstance(v, bool) for v in (k, n)) and n <= k


def refuse_experts(config: Mapping[str, object], typed: Mapping[str, object]) -> None:
    """Refuse a mixture of experts: an expert count in ``config`` or its type's defaults
    (``typed``), or a mixture-of-experts model type (:data:`MOE_TYPES`) without transformers;
    not a config cut to its dense layers (:func:`dense_only`)."""
    if dense_only(typed):
        return
    for k in ("num_local_experts", "num_experts", "n_routed_experts"):
        n = typed.get(k)
        if isinstance(n, int) and not isinstance(n, bool) and n > 1:
            raise WorkloadError(f"{GEN}: the HF config is a mixture of experts ({k}={n}"
                                f"{'' if k in config else ', the model type default'}), which the "
                                "generator does not model (it would read one dense FFN); give a "
                                "dense model's config, or the shape options alone")
    if str(config.get("model_type", "")) in MOE_TYPES | {"llama4", "llama4_text"}:
        raise WorkloadError(f"{GEN}: the HF config is a mixture of experts (model_type "
                            f"{config['model_type']}), which the generator does not model (it would "
                            "read one dense FFN); give a dense model's config, or the shape options "
                            "alone")


#: decoder types that are not a stack of attention + FFN blocks (state-space, linear-attention,
#: recurrent and convolution hybrids: no KV cache, or one in some layers only), refused by name;
#: a config's per-layer kinds (:data:`LAYER_KIND_KEYS`) catch the ones not named here
RECURRENT_TYPES = frozenset((
    "bamba", "falcon_h1", "falcon_mamba", "granitemoehybrid", "jamba", "kimi_linear", "lfm2",
    "lfm2_moe", "mamba", "mamba2", "minimax", "nemotron_h", "olmo_hybrid", "qwen3_5",
    "qwen3_next", "recurrent_gemma", "rwkv", "xlstm", "zamba", "zamba2"))
#: the keys under which HF configs list each layer's kind, and the kinds that are the full (or
#: windowed: :func:`attention_window`) softmax attention over a KV cache the generator models
LAYER_KIND_KEYS = ("layer_types", "block_types", "layers_block_type")
ATTENTION_KINDS = frozenset(("attention", "full_attention", "sliding_attention"))


def language_model(config: Mapping[str, object]) -> Mapping[str, object]:
    """A multimodal wrapper's language model (Llama-4, Gemma-3, Mistral-3, Qwen2-VL keep it
    under ``text_config``; the vision tower is not part of a text serving run), else
    ``config``: the wrapper's own fields are read only where the text config lacks them."""
    text = config.get("text_config")
    if not isinstance(text, Mapping) or any(config.get(k) is not None
                                            for k in ("hidden_size", "n_embd", "d_model")):
        return config
    return {**{k: v for k, v in config.items() if not k.endswith("_config") or k == "vision_config"}, **text}


def refuse_unmodelled(config: Mapping[str, object]) -> dict:
    """Refuse what the generator would build as the wrong model, before any shape field is
    read (a missing head count would otherwise be blamed): a mixture of experts
    (:func:`refuse_experts`), a decoder that is not attention + FFN in every layer
    (:data:`RECURRENT_TYPES`, or a layer kind outside :data:`ATTENTION_KINDS`). Returns the
    config with its model type's defaults filled in (what transformers would build)."""
    typed = {**type_defaults(config.get("model_type")), **config}
    refuse_experts(config, typed)
    mt = str(config.get("model_type", ""))
    refuse_latent(typed, mt)
    shared = typed.get("num_kv_shared_layers")
    if isinstance(shared, int) and not isinstance(shared, bool) and shared > 0:
        raise WorkloadError(f"{GEN}: the HF config ({mt or 'no model_type'}) shares KV caches across "
                            f"layers (num_kv_shared_layers={shared}: its last {shared} layers read an "
                            "earlier layer's cache and write none), which the generator does not model "
                            "(it would give every layer its own K/V projection and cache); give "
                            "num_kv_shared_layers: 0, or trace the model with `cimsim trace --zoo "
                            f"hf:{mt or 'TYPE'}`")
    kinds = next((sorted({str(x) for x in typed[k]} - ATTENTION_KINDS) for k in LAYER_KIND_KEYS
                  if isinstance(typed.get(k), (list, tuple))
                  and {str(x) for x in typed[k]} - ATTENTION_KINDS), None)
    if mt in RECURRENT_TYPES or kinds:
        what = f"layers of kind {', '.join(kinds)}" if kinds else "recurrent, state-space or convolution layers"
        raise WorkloadError(f"{GEN}: the HF config ({mt or 'no model_type'}) has {what}, not "
                            "attention + FFN in every layer; the generator would build a "
                            "transformer with a KV cache in each layer, which this model does not "
                            "have: give a decoder-only transformer's config (trace the model "
                            "itself with `cimsim trace --zoo hf:TYPE` to count its real ops)")
    return typed


#: the HF config fields of multi-head latent attention (MLA: DeepSeek-V2, arXiv 2405.04434
#: Sec. 2.1; MiniCPM3, Youtu, DeepSeek-V3)
LATENT_KEYS = ("kv_lora_rank", "q_lora_rank", "qk_rope_head_dim", "qk_nope_head_dim", "v_head_dim")


def latent_attention(config) -> dict | None:
    """The MLA fields (:data:`LATENT_KEYS`) of an HF config (a dict, or a transformers config
    object) that has a ``kv_lora_rank``, else None."""
    get = config.get if isinstance(config, Mapping) else (lambda k: getattr(config, k, None))
    r = get("kv_lora_rank")
    if not isinstance(r, int) or isinstance(r, bool) or r < 1:
        return None
    return {k: get(k) for k in LATENT_KEYS if get(k) is not None}


def latent_cache_elements(fields: Mapping[str, object]) -> int:
    """Elements an MLA layer caches per token: the compressed latent and the decoupled RoPE key,
    ``kv_lora_rank + qk_rope_head_dim`` (DeepSeek-V2 Sec. 2.1.2; transformers caches the same)."""
    return int(fields["kv_lora_rank"]) + int(fields.get("qk_rope_head_dim") or 0)


def refuse_latent(typed: Mapping[str, object], mt: str) -> None:
    """Refuse multi-head latent attention: the generator would build it as multi-head attention
    with ``head_dim = qk_rope_head_dim`` (the config classes set it so), the wrong KV cache."""
    fields = latent_attention(typed)
    if fields:
        raise WorkloadError(
            f"{GEN}: the HF config ({mt or 'no model_type'}) uses multi-head latent attention "
            f"({', '.join(f'{k}={v}' for k, v in fields.items())}; its cache is kv_lora_rank + "
            f"qk_rope_head_dim = {latent_cache_elements(fields)} elements per token per layer), "
            "which the generator does not model; trace the model's own code with "
            f"`cimsim trace --zoo hf:{mt or 'TYPE'} --serve`")


#: the :class:`~.llm.LLMModel` fields that are limits a run is checked against, not its shape
LIMITS = ("positions", "window", "window_layers", "context")


def _shape(items) -> dict:
    """The model's fields as the workload's params state them: its shape (positions is a
    limit checked before, not part of the shape)."""
    return {k: v for k, v in items if k not in LIMITS and k not in ("image_tokens", "cross_vlm") and (v or not k.startswith("cross"))}


def key_of(config: Mapping[str, object], *keys: str) -> str:
    """The first of ``keys`` the HF ``config`` gives (how an error names it), else all of them."""
    return next((k for k in keys if config.get(k) is not None), " / ".join(keys))


def type_defaults(model_type) -> dict:
    """transformers' default config of ``model_type`` as a dict ({} without transformers, or
    for a type it does not know)."""
    if not isinstance(model_type, str) or not model_type:
        return {}
    try:
        import transformers
    except ImportError:
        return {}
    try:
        return transformers.AutoConfig.for_model(model_type).to_dict()
    except (ValueError, KeyError, TypeError):
        return {}


def gated_mlp(config: Mapping[str, object]) -> bool:
    """Whether the HF ``config``'s MLP is gated (:data:`GATED_MLP_TYPES`)."""
    mt = str(config.get("model_type", ""))
    if mt in GATED_MLP_TYPES or mt.startswith("gemma"):
        return True
    if mt in PLAIN_MLP_TYPES:
        return False
    return config.get("hidden_act") in ("silu", "swiglu")


#: the HF config keys of the FFN width, in the order read
FFN_KEYS = ("intermediate_size", "n_inner", "ffn_hidden_size", "ffn_dim")


def ffn_of(config: Mapping[str, object], hidden: int) -> object:
    """The FFN width of an HF config: :data:`FFN_KEYS`, else MPT's ``expansion_ratio x d_model``,
    else GPT-2's ``4 x hidden``; a value that is not one integer >= 1 (Gemma-3n's per-layer list)
    is refused naming the config's field, not the ``--ffn`` option the user did not give."""
    key = next((k for k in (*FFN_KEYS, "expansion_ratio") if config.get(k) is not None), None)
    v = 4 * hidden if key is None else config[key]
    if key == "expansion_ratio" and isinstance(v, (int, float)) and not isinstance(v, bool) \
            and float(v * hidden).is_integer():
        v = int(v * hidden)
    if isinstance(v, bool) or not isinstance(v, int) or v < 1:
        mt = config.get("model_type") or "no model_type"
        got = f"a per-layer list ({len(v)} entries)" if isinstance(v, (list, tuple)) else repr(v)
        raise WorkloadError(f"{GEN}: the HF config's {key} ({mt}) is {got}; the generator builds one "
                            "FFN of a whole number of columns, the same in every layer")
    return v


def head_dim_of(config: Mapping[str, object], hidden: int, heads: int) -> int | None:
    """A head's width: the config's ``head_dim``, else ``hidden / heads`` (as Llama, Mistral and
    Qwen2 derive it: Qwen2's config has no ``head_dim``); None when no ``head_dim`` is given and
    ``heads`` does not divide ``hidden`` (a head would be rounded down)."""
    if config.get("head_dim") is not None:
        return config["head_dim"]
    return hidden // heads if heads >= 1 and hidden % heads == 0 else None


def _splits(m, n: int) -> bool:
    """Tensor parallelism ``n`` splits the model ``m`` (an ``LLMModel``): ``n`` divides its query
    heads and FFN width, and its key/value heads or is a multiple of them."""
    return not (m.heads % n or m.ffn % n or (m.kv_heads % n and n % m.kv_heads))
