"""Image tokens in an LLM serving run (:func:`cimsim.workload.llm.llm_serving`): cross-attention
layers over them, and how many a request has.

A vision-language model puts an image into the text decoder one of two ways:

- **as prompt tokens** (LLaVA, Qwen2-VL, Gemma-3, Llama-4): the vision encoder's ``N`` image
  embeddings take ``N`` rows of the prompt; the prefill and every layer's KV cache hold them
  like text (``image_tokens=N``: each request's prompt is its text plus ``N`` tokens that do
  not come from token ids);
- **through cross-attention layers** (Llama-3.2-Vision, ``mllama``: the layers listed in
  ``cross_attention_layers`` *are* cross-attention layers; IDEFICS, Flamingo: a gated
  cross-attention block before every ``cross_layer_interval``-th layer, besides it). A
  cross-attention block has no self-attention and no text KV cache: it projects the ``N`` image
  states to K and V once, in the prefill (``N x width x 2 H_kv d_h`` MACs a block and request,
  ``width`` the states' width: the hidden size in mllama, the vision encoder's ``embed_dim``
  in IDEFICS), keeps them as a cross cache of ``2 H_kv d_h N`` elements, and every step (the
  prefill's rows and each decode step's) runs ``q_proj -> scores -> softmax -> context ->
  o_proj`` over those ``N`` keys and its gated FFN. Its tanh gates are a scale of the residual
  (a few vector ops per element, not counted, as norm gains are not).

Closed forms (``c`` cross blocks, ``s`` self-attention layers: ``layers - c`` for mllama,
``layers`` for IDEFICS; ``W_c = 2 d H d_h + f d ffn``): a request adds to the prefill
``c (P W_c + 2 H d_h P N + N width 2 H_kv d_h)`` and to each decode step of ``t`` rows
``c t (W_c + 2 H d_h N)``; the self-attention layers are counted as before with ``s`` layers.
"""

from __future__ import annotations

from typing import Mapping

from ..dtypes import tensor_bytes
from ..errors import WorkloadError
from .argnames import arg_is
from .llm_attention import cross_kv_macs, cross_row_macs, kernel_tags, launches, self_layers, width  # noqa: F401
from .llm_dtypes import GEN

#: the LLMModel fields of cross-attention (left out of a run's params when unset)
CROSS_FIELDS = ("cross_layers", "cross_insert", "cross_width")


def crossed(model) -> bool:
    """Whether ``model`` reads its image through cross-attention (its config lists cross layers,
    ``cross_vlm``), whether or not its stack keeps any (``--layers`` cut below the first: review
    22 E 5): its image tokens are then cross keys, never prompt rows."""
    return bool(model.cross_layers) or getattr(model, "cross_vlm", False)


def prompt_said(p: int, image: int = 0) -> str:
    """``prompt P`` of a position check or note as the user gave it: ``prompt 100 + 1000 image
    tokens`` where ``image`` of the prompt's ``p`` rows are image tokens (review 22 E 4)."""
    return f"prompt {p - image} + {image:,} image tokens" if image else f"prompt {p}"


def _int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _vision(full: Mapping, typed: Mapping) -> Mapping:
    v = full.get("vision_config") if isinstance(full.get("vision_config"), Mapping) else typed.get("vision_config")
    return v if isinstance(v, Mapping) else {}


def _patches(vis: Mapping) -> int | None:
    """Tokens a ViT gives one image (tile): its patches and the class token."""
    size, patch = vis.get("image_size"), vis.get("patch_size")
    return (size // patch) ** 2 + 1 if _int(size) and _int(patch) and patch >= 1 else None


def cross_fields(config: Mapping, typed: Mapping, full: Mapping, layers) -> dict:
    """The cross-attention fields of an HF config (``config``: its language model, ``typed``:
    with the type's defaults, ``full``: the file as given, vision config included) for a stack of
    ``layers``: ``cross_layers``, ``cross_insert``, ``cross_width``, ``cross_vlm`` (true: the
    config has cross layers, in this stack or not) and the config's image tokens per request
    (``image_tokens``, None where its vision config does not give them); {} for a decoder
    without cross-attention. A decoder whose every layer cross-attends to an encoder
    (``add_cross_attention``) is refused in one line."""
    mt = str(config.get("model_type") or "no model_type")
    if typed.get("add_cross_attention") is True:
        raise WorkloadError(f"{GEN}: the HF config ({mt}) has add_cross_attention: true (every layer "
                            "also attends to an encoder's states), which the generator does not model; "
                            "trace the decoder step with `cimsim trace` and the encoder states as "
                            "resident inputs (--resident NAME)")
    vis = _vision(full, typed)
    xs, k = typed.get("cross_attention_layers"), typed.get("cross_layer_interval")
    if not _int(layers):
        return {}
    if xs is not None:  # mllama: these layers are cross-attention layers
        if not isinstance(xs, (list, tuple)) or not all(_int(i) and i >= 0 for i in xs):
            raise WorkloadError(f"{GEN}: the HF config's cross_attention_layers ({mt}) must be a list of "
                                f"layer indices >= 0, got {xs!r}")
        tiles, per = vis.get("max_num_tiles"), _patches(vis)
        n = tiles * per if _int(tiles) and tiles >= 1 and per else None
        return {"cross_layers": tuple(sorted({i for i in xs if i < layers})), "image_tokens": n,
                "cross_vlm": bool(xs)}
    if k is not None:  # IDEFICS: a gated cross-attention block before every k-th layer
        if not _int(k) or k < 1:
            raise WorkloadError(f"{GEN}: the HF config's cross_layer_interval ({mt}) must be an "
                                f"integer >= 1, got {k!r}")
        width = vis.get("embed_dim", vis.get("hidden_size"))
        if not _int(width) or width < 1:
            raise WorkloadError(f"{GEN}: the HF config ({mt}) has cross_layer_interval {k} but its "
                                "vision_config gives no embed_dim (the width of the image states the "
                                "cross-attention blocks read)")
        per = _patches(vis)
        p = typed.get("perceiver_config") if isinstance(typed.get("perceiver_config"), Mapping) else {}
        if typed.get("use_resampler") is True:
            per = p.get("resampler_n_latents") if _int(p.get("resampler_n_latents")) else None
        return {"cross_layers": tuple(range(0, layers, k)), "cross_insert": True, "cross_width": width,
                "image_tokens": per, "cross_vlm": True}
    return {}


def check_cross(model) -> None:
    """One-line errors for an LLMModel's cross-attention fields."""
    xs = model.cross_layers
    if not isinstance(xs, tuple) or not all(_int(i) and 0 <= i < model.layers for i in xs) or len(set(xs)) != len(xs):
        raise WorkloadError(f"{GEN}: cross_layers must be distinct layer indices 0..{model.layers - 1}, got {xs!r}")
    if model.cross_width is not None and (not _int(model.cross_width) or model.cross_width < 1):
        raise WorkloadError(f"{GEN}: cross_width must be an integer >= 1 or None, got {model.cross_width!r}")
    if model.image_tokens is not None and (not _int(model.image_tokens) or model.image_tokens < 1):
        raise WorkloadError(f"{GEN}: image_tokens must be an integer >= 1 or None, got {model.image_tokens!r}")


def blocks(model) -> list[tuple[int, str]]:
    """The stack in order: ``(layer, kind)``, kind ``self`` (attention over the KV cache),
    ``cross`` (a cross-attention layer, mllama) or ``xin`` (a cross-attention block inserted
    before the layer's own, IDEFICS)."""
    xs = set(model.cross_layers)
    out: list[tuple[int, str]] = []
    for l in range(model.layers):
        if l in xs and model.cross_insert:
            out.append((l, "xin"))
        out.append((l, "cross" if l in xs and not model.cross_insert else "self"))
    return out


def run_image_tokens(model, image_tokens, prompt: list[int], prefix: int) -> tuple[int, list[int], int]:
    """``(image tokens, prompt rows, cross keys)`` of a run: a cross-attention model's
    ``image_tokens`` (default: its config's) are its cross keys and the prompt is text alone;
    another model's are prompt rows after the text (its ``prefix`` is text: the image tokens
    are not cached)."""
    if image_tokens is not None and (not _int(image_tokens) or image_tokens < 0):
        raise WorkloadError(f"{GEN}: image_tokens must be an integer >= 0, got {image_tokens!r}")
    if crossed(model):  # a cross-attention VLM, its stack cut below every cross layer too (E 5)
        if image_tokens == 0:
            raise WorkloadError(f"{GEN}: {arg_is('image_tokens', 0)} must be >= 1 for a model with "
                                "cross-attention layers (the image tokens are the keys they attend to; "
                                "leave it out for the config's count)")
        n = image_tokens if image_tokens is not None else model.image_tokens
        if not n:
            raise WorkloadError(f"{GEN}: the model has {len(model.cross_layers)} cross-attention layer(s) "
                                "over image tokens and its config does not give their count (vision_config "
                                "image_size, patch_size, max_num_tiles): give --image-tokens N")
        return n, list(prompt), n
    n = image_tokens or 0
    if n and prefix and prefix >= min(prompt):
        raise WorkloadError(f"{GEN}: {arg_is('prefix', prefix)} must be shorter than every text prompt "
                            f"(the {n} image tokens follow the text and are not cached)")
    return n, [p + n for p in prompt], 0


class CrossAttention:
    """Writes a cross-attention block's attention into an LLM serving run's builder."""

    def __init__(self, T, op, n_launch: list, m, kernel: str, dtype: str, kv: str, keys: int):
        self.T, self.op, self.n_launch, self.m = T, op, n_launch, m
        self.kernel, self.dtype, self.kv, self.N = kernel, dtype, kv, keys

    def weights(self, name: str, wdt: str) -> tuple[int, int]:
        m = self.m
        return (self.T(f"{name}.W_q", (m.hidden, m.heads * m.head_dim), wdt, "weight"),
                self.T(f"{name}.W_kv", (width(m), 2 * m.kv_heads * m.head_dim), wdt, "weight"))

    def attend(self, q_: str, tg: dict, h: int, w: tuple[int, int], reqs: list[int], tokens: list[int],
               rows: int, img: int | None) -> int:
        """q projection and attention over each request's ``N`` image keys: projected from the
        image states ``img`` (the prefill) or read from the cross cache (a decode step); returns
        the context rows of all requests."""
        T, op, m, dt, N = self.T, self.op, self.m, self.dtype, self.N
        H, Hkv, dh, g = m.heads, m.kv_heads, m.head_dim, m.groups
        w_q, w_kv = w
        qs = [T(f"{q_}.r{r}.q", (n, H * dh), dt) for r, n in zip(reqs, tokens)]
        op(f"{q_}.q_proj", "matmul", [h, w_q], qs, m=rows, k=m.hidden, n=H * dh, weight=w_q,
           tags={**tg, "part": "q_proj"})
        if img is not None:  # the prefill: the image tokens' K and V, once, kept as the cross cache
            kvs = [T(f"{q_}.r{r}.{x}", (N, Hkv * dh), dt) for r in reqs for x in ("xk", "xv")]
            op(f"{q_}.xkv", "matmul", [img, w_kv], kvs, m=N * len(reqs), k=width(m), n=2 * Hkv * dh,
               weight=w_kv, tags={**tg, "part": "cross_kv_proj",
                                  "store_bytes": tensor_bytes(N * len(reqs) * 2 * Hkv * dh, self.kv)})
            kv = [(kvs[2 * i], kvs[2 * i + 1]) for i in range(len(reqs))]
        else:
            kv = [(T(f"{q_}.r{r}.XK_cache", (Hkv, dh, N), self.kv, "input"),
                   T(f"{q_}.r{r}.XV_cache", (Hkv, N, dh), self.kv, "input")) for r in reqs]
        launch = self.n_launch[0]
        self.n_launch[0] += launches(self.kernel)
        kt = lambda part: kernel_tags(self.kernel, part, launch)  # noqa: E731
        ctx = []
        for r, n, qr, (K, V) in zip(reqs, tokens, qs, kv):
            s = T(f"{q_}.r{r}.xscores", (Hkv, g * n, N), dt)
            op(f"{q_}.r{r}.xscores", "matmul", [qr, K], [s], m=g * n, k=dh, n=N, batch=Hkv,
               tags={**tg, "part": "scores", "request": r, **kt("scores")})
            p = T(f"{q_}.r{r}.xprobs", (Hkv, g * n, N), dt)
            op(f"{q_}.r{r}.xsoftmax", "softmax", [s], [p], tags={**tg, "part": "softmax", "request": r, **kt("softmax")})
            o = T(f"{q_}.r{r}.xctx", (n, H * dh), dt)
            op(f"{q_}.r{r}.xctx", "matmul", [p, V], [o], m=g * n, k=N, n=dh, batch=Hkv,
               tags={**tg, "part": "context", "request": r, **kt("context")})
            ctx.append(o)
        if len(ctx) == 1:
            return ctx[0]
        c = T(f"{q_}.xctx", (rows, H * dh), dt)
        op(f"{q_}.xgather", "copy", ctx, [c], tags={**tg, "part": "gather", **kt("gather")})
        return c


def vision_note(config: Mapping, model, image_tokens, vision: bool) -> str | None:
    """A run note for an HF ``config`` with a vision tower (``vision_config``) when the run
    chains no encoder (``vision``): what of the image the run holds and what it leaves out."""
    mt = config.get("model_type") or "no model_type"
    if crossed(model) and not model.cross_layers:  # review 22 E 5: --layers below every cross layer
        n = image_tokens or model.image_tokens
        return (f"note: the config ({mt}) reads its image through cross-attention layers, and none is "
                f"among this stack's {model.layers} layer(s): the {f'{n:,} ' if n else ''}image tokens per request"
                f"{'' if image_tokens else ' (from its vision_config)'} are cross keys no layer here "
                "reads (never prompt rows: the text model never holds them), so the run is the text "
                f"alone{' and the chained encoder, whose output nothing reads' if vision else ''}; give "
                "--layers past the first cross layer to cost them")
    if vision or not isinstance(config.get("vision_config"), Mapping):
        return None
    if model.cross_layers:
        n = image_tokens or model.image_tokens
        return (f"note: the config ({mt}) has a vision_config: the {len(model.cross_layers)} cross-attention "
                f"block(s) attend to {n:,} image tokens per request"
                f"{'' if image_tokens else ' (from its vision_config)'}, whose states are a model input: the "
                "vision encoder is not included (give --vision-workload ENC.json, a traced encoder)")
    if image_tokens:
        return (f"note: the config ({mt}) has a vision_config: each prompt holds {image_tokens:,} image "
                "tokens, whose embeddings are a model input: the vision encoder is not included (give "
                "--vision-workload ENC.json, a traced encoder)")
    seq = config.get("image_seq_length")
    per = f" ({seq} a picture, image_seq_length)" if _int(seq) else ""
    return (f"note: the config ({mt}) has a vision_config, but this run holds no image: its image "
            f"tokens{per} and the vision encoder are not included (give --image-tokens N to put N image "
            "tokens in each prompt, --vision-workload ENC.json to run a traced encoder before each prefill)")
