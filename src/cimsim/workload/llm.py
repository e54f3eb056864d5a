"""LLM serving workloads: a decoder-only transformer's prefill and decode steps.

:func:`llm_serving` builds the op DAG of serving ``B`` requests on a model given
by a Hugging Face-like config (:class:`LLMModel`, or :func:`model_from_hf` from a
``config.json``): request ``r`` has a prompt of ``P_r`` tokens and generates
``1 + D_r`` tokens (one from the prefill, then one per decode step; ``A`` per step,
``1 + A·D_r`` in all, with ``verify=K, accepted=A``).

``requests`` requests (default ``batch``) wait in order at time 0; at most
``batch`` run at once. The run is a sequence of *iterations*: a prefill of the
requests just admitted (one pass, the weight matmuls over their ``sum P_r``
rows, attention per request; it yields each one's first token), or a decode
step of every running request (one token each, ``A`` with ``accepted=A``); a request leaves after its
``D_r`` decode steps.

``static``
    requests are admitted only into an empty batch: ``batch`` of them are
    prefilled together, then decode until the last of them is done, every row
    of the batch computed to the end (a finished request's row and cache run on,
    padded, as Hugging Face ``generate`` and FasterTransformer run a static
    batch; its extra tokens are not counted: :func:`computed_decode`);
``continuous`` (iteration-level scheduling, Orca, OSDI 2022)
    before each decode step, waiting requests are admitted into the free slots
    and prefilled; then they decode with the others.

One layer, ``x`` the rows of the step (``sum P_r`` in the prefill, the active
requests in a decode step), ``d_h`` the head width, ``H`` query heads and
``H_kv`` key/value heads (``g = H / H_kv`` query heads share one; GQA, MQA when
``H_kv = 1``)::

    norm1 -> qkv (x @ W_qkv: hidden -> (H + 2 H_kv) d_h, one output per request and
             part: its rows of q, k, v)
    per request r:  scores_r = q_r . K_r^T   (batch H_kv, m = g x tokens, k = d_h, n = keys)
                    softmax_r
                    ctx_r    = p_r . V_r     (batch H_kv, m = g x tokens, k = keys, n = d_h)
    gather ctx_r -> out_proj (H d_h -> hidden) -> residual add
    (each part over the requests is one kernel launch, tag ``launch``: a paged-attention
    kernel runs every request's scores, softmax or context; the gather rides on the last)
    norm2 -> ffn up (hidden -> 2 ffn gated, else ffn) -> activation -> down -> residual add

then a final norm, the LM head on each request's last token (hidden -> vocab),
and sampling (argmax). A decode step's keys are the cache: request ``r`` at step
``t`` attends to ``n = P_r + t + 1`` tokens (its ``P_r + t`` cached tokens and the
one just computed, whose K and V rows the qkv matmul wrote into the cache). The
caches ``K_r``, ``V_r`` of a decode step are model inputs (role ``input``: they
lie in memory before the op runs), ``H_kv d_h n`` elements each, so a KV cache
of ``n`` tokens is read once per step per layer: ``2 H_kv d_h n`` elements, i.e.
``2 n d / g`` with ``d = H d_h``. In the prefill the keys are the prompt's own
(activations, ``n = P_r``; the full ``P_r x P_r`` scores are computed and masked,
as an eager implementation does). The qkv op states the K and V rows it appends to the
cache (``2 H_kv d_h`` elements per token, prefill and decode) as tag ``store_bytes``: writes
to the backing store besides the activations the attention reads at once.

Closed forms (MACs; ``W = hidden (H + 2 H_kv) d_h + H d_h hidden + f hidden ffn``
with ``f = 3`` gated, 2 otherwise) recorded in the metadata and held by the tests:

- prefill: ``layers (sum P_r W + sum_r 2 H d_h P_r^2) + B hidden vocab``;
- decode step ``t`` with running set ``A_t`` (static, all requests admitted at once):
  ``layers (|A_t| W + sum_{r in A_t} 2 H d_h (P_r + t + 1)) + |A_t| hidden vocab``.

Not modelled: rotary/positional embeddings, biases, norm gains (a few vector ops
per element), the embedding gather's table read (a copy of the rows it writes) and,
under tensor parallelism, its all-reduce (Megatron's vocabulary-parallel embedding:
rows x hidden once per iteration); token ids are held in elements of the model's dtype.
Options: ``attention="padded"`` makes a decode step's attention one op per layer over the
caches padded to the longest (static batching as Hugging Face pads it); ``attention_kernel=
"fused"`` runs each attention as FlashAttention (one launch, the scores kept on chip:
:mod:`cimsim.workload.llm_attention`); ``sub_batches`` splits
each decode step into independent chains (NeuPIMs' sub-batch interleaving);
``tensor_parallel=N`` writes one device's Megatron-LM share with ``allreduce`` ops
(:func:`shard`; run by the ``collective`` component). Long stretches of identical decode steps
are written with NumPy (:mod:`cimsim.workload.llm_replicate`).

The workload's ``metadata["llm"]`` names, per request, the op that yields its
first token and its last one and its output tokens, and per iteration its kind,
last op, tokens and MACs, for the serving report (time to first token, time
per output token, tokens/s, tokens/J; :func:`cimsim.report.serving.serving_metrics`).
The total MACs are :func:`serving_macs` of the steps the rows run: each request's own
under continuous batching, its static batch's longest under static batching.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Mapping, Sequence

from ..dtypes import DTYPES, tensor_bytes  # noqa: F401  (DTYPES re-exported)
from ..errors import WorkloadError
from .argnames import arg, arg_is, integer
from .ir import Workload, WorkloadBuilder
from .llm_hf import model_from_hf, model_from_hf_type, untied_table  # noqa: F401  (re-exported)
from .llm_attention import (decode_step_macs, kernel_tags, launches, prefill_macs,  # noqa: F401
                            serving_macs)  # (the closed forms re-exported)
from .llm_options import (ATTENTION, BATCHING, GEN, HF_KEYS, LIMITS, _per_request, _shape,  # noqa: F401
                          _splits, attention_window, check_positions, context_of, encoder_only, ffn_of, gated_mlp,
                          head_dim_of, hf_overridden, key_of, language_model, layer_kinds,
                          lengths_tag, one_micro_batch, position_table, refuse_unmodelled, serving_options)
from .llm_cross import (CrossAttention, blocks, check_cross, cross_row_macs, crossed, run_image_tokens,  # noqa: F401
                        self_layers, width)
from .llm_vision import VisionChain, image_states, vision_tokens
from .llm_dtypes import head_dtype_of, kv_dtype_of, weight_dtype_of
from .llm_replicate import Stretch, graph_decode, insert_replicas, third_step_repeats
from .llm_schedule import (AdmissionGate, computed_decode, counted, schedule,  # noqa: F401  (schedule re-exported)
                           step_options)


@dataclass(frozen=True)
class LLMModel:
    """A decoder-only transformer's shape (Hugging Face config names in brackets)."""

    layers: int  # num_hidden_layers / n_layer
    hidden: int  # hidden_size / n_embd
    heads: int  # num_attention_heads / n_head
    kv_heads: int  # num_key_value_heads (GQA; = heads for multi-head, 1 for MQA)
    ffn: int  # intermediate_size / n_inner (4 x hidden for GPT-2 when null)
    vocab: int  # vocab_size
    head_dim: int  # head_dim (hidden / heads when absent)
    gated: bool  # a gated FFN (SwiGLU: up and gate matrices) as in Llama, else GPT-2's two
    #: limits a run may not pass (:func:`~cimsim.workload.llm_options.check_positions`)
    positions: int | None = None  # a learned position table's size (GPT-2's n_positions)
    window: int | None = None  # sliding-window attention's span (Mistral's sliding_window)
    window_layers: int | None = None  # the layers using it where the rest are full (Gemma-2/3)
    context: int | None = None  # max_position_embeddings without a learned table: a note past it
    #: cross-attention over image tokens (:mod:`.llm_cross`): the layers that are (mllama) or have
    #: before them (IDEFICS: cross_insert) a cross block, the image states' width (None: hidden),
    #: and the image tokens per request the config gives (the default of a cross-attention run)
    cross_layers: tuple = ()
    cross_insert: bool = False
    cross_width: int | None = None
    image_tokens: int | None = None
    #: the config reads its image through cross layers, whether or not this stack keeps any
    #: (``--layers`` below the first: its image tokens are cross keys, never prompt rows)
    cross_vlm: bool = False
    #: tie_word_embeddings: the LM head's matrix is the input embedding table; False: a table of
    #: its own (vocab x hidden at the weight dtype), held but not read (:func:`.llm_hf.untied_table`)
    tied: bool = True

    def __post_init__(self) -> None:
        for f in ("layers", "hidden", "heads", "kv_heads", "ffn", "vocab", "head_dim", *LIMITS):
            object.__setattr__(self, f, integer(getattr(self, f)))  # a NumPy integer too
        for f in ("layers", "hidden", "heads", "kv_heads", "ffn", "vocab", "head_dim"):
            v = getattr(self, f)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise WorkloadError(f"{GEN}: {arg(f)} must be an integer >= 1, got {v!r}")
        if self.heads % self.kv_heads:
            raise WorkloadError(f"{GEN}: {arg_is('kv_heads', self.kv_heads)} must divide {arg_is('heads', self.heads)}")
        for f in LIMITS:
            v = getattr(self, f)
            if v is not None and (not isinstance(v, int) or isinstance(v, bool) or v < 1):
                raise WorkloadError(f"{GEN}: {f} must be an integer >= 1 or None, got {v!r}")
        object.__setattr__(self, "cross_layers", tuple(integer(i) for i in self.cross_layers))
        if not isinstance(self.tied, bool):
            raise WorkloadError(f"{GEN}: tied (tie_word_embeddings) must be true or false, got {self.tied!r}")
        check_cross(self)

    @property
    def groups(self) -> int:
        """Query heads per key/value head (g)."""
        return self.heads // self.kv_heads

    @property
    def weight_macs_per_token(self) -> int:
        """MACs of one token through one layer's weight matmuls (W in the module docstring)."""
        d, dh = self.hidden, self.head_dim
        return (d * (self.heads + 2 * self.kv_heads) * dh + self.heads * dh * d
                + (3 if self.gated else 2) * d * self.ffn)

    def kv_elements(self, tokens: int) -> int:
        """Elements of one layer's K and V caches for ``tokens`` tokens of one request."""
        return 2 * self.kv_heads * self.head_dim * tokens


def shard(model: LLMModel, n: int, names: dict | None = None, who: str = GEN) -> LLMModel:
    """One device's share of ``model`` over ``n`` devices (Megatron-LM tensor parallelism): query
    heads, FFN columns and vocabulary (padded up to a multiple of ``n``) split ``n`` ways;
    key/value heads too, or, when fewer than ``n``, one per device (replicated, as Megatron does
    for GQA). An error names ``heads``, ``ffn``, ``kv_heads`` by ``names`` (an HF config's keys)."""
    m = model
    if n > 1 and not _splits(m, n):
        def name(f: str) -> str:
            return f"{names[f]}={getattr(m, f)}" if f in (names or {}) else arg_is(f, getattr(m, f))
        bad = [name(f) for f in ("heads", "ffn") if getattr(m, f) % n]
        if m.kv_heads % n and n % m.kv_heads:
            bad.append(f"{name('kv_heads')} (nor a multiple of it)")
        raise WorkloadError(f"{who}: {arg_is('tensor_parallel', n)} does not divide {' and '.join(bad)}; it may "
                            f"be {', '.join(str(d) for d in range(1, m.heads + 1) if _splits(m, d))}")
    if n == 1:
        return m
    return LLMModel(layers=m.layers, hidden=m.hidden, heads=m.heads // n,
                    kv_heads=max(m.kv_heads // n, 1), ffn=m.ffn // n, vocab=-(-m.vocab // n),
                    head_dim=m.head_dim, gated=m.gated, cross_layers=m.cross_layers,
                    cross_insert=m.cross_insert, cross_width=m.cross_width, cross_vlm=m.cross_vlm, tied=m.tied)


def llm_serving(model: LLMModel, *, prompt: int | Sequence[int], decode: int | Sequence[int],
                batch: int = 1, requests: int | None = None, batching: str = "static",
                attention: str = "per-request", sub_batches: int = 1, tensor_parallel: int = 1,
                pipeline_parallel: int = 1, micro_batches: int = 1, dtype: str = "fp16",
                name: str | None = None, replicate: bool = True,
                attention_kernel: str = "unfused", kv_dtype: str | None = None, verify: int = 0,
                accepted: int | None = None, prefix: int = 0, weight_dtype: str | None = None,
                cuda_graph: bool = False, image_tokens: int | None = None, vision=None,
                head_dtype: str | None = None) -> Workload:
    """Serve ``batch`` requests of ``model``: prefill, then decode steps (module docstring).

    Parameters
    ----------
    prompt : prompt length P_r, one for all requests or one per request (tokens).
    decode : decode steps D_r, one for all or one per request.
    batch : requests served at once (slots).
    requests : requests in all (default: ``batch``), queued in order at time 0.
    batching : "static" or "continuous" (module docstring).
    attention : "per-request" (one scores, softmax and context op per request: exact ragged
        lengths, as paged attention reads them, each part one kernel launch for all requests)
        or "padded" (a decode step's attention as one
        op over every running request's cache padded to the longest, as static batching in
        Hugging Face generate pads it: one kernel, padding read and computed).
    sub_batches : each decode step's running requests split into this many groups that pass
        through the layers independently (NeuPIMs' sub-batch interleaving: one group's FC
        layers can run beside another's attention; each group reads the weights again).
    tensor_parallel : devices N the model is split over (Megatron-LM): the workload is one
        device's share (:func:`shard`) with an ``allreduce`` op after each attention output
        projection and FFN down projection and on the sampled token (run by a ``collective``
        component over a link).
    pipeline_parallel : stages N the layers are split over (``layers / N`` consecutive layers
        each, on its own device): a ``sendrecv`` op passes the hidden state to the next stage at
        every stage boundary, and the sampled tokens from the last stage back to the first (run
        by a ``collective`` component over a link). The workload holds every stage; an
        iteration passes through them one after another, as it does on a pipeline without
        micro-batches.
    micro_batches : with ``pipeline_parallel`` >= 2, the batch split into this many identical
        micro-batches pipelined over the stages (GPipe): the workload is one micro-batch; the
        report pipelines them (``metadata["llm"]["pipeline"]``; :mod:`cimsim.report.pipeline`).
    attention_kernel : "unfused" (scores, softmax and context each a kernel launch, the score
        tensor written and read through memory) or "fused" (FlashAttention: one launch, the
        same MACs and softmax work, the scores kept on chip; :mod:`.llm_attention`).
    kv_dtype : the KV cache's number format, default ``dtype`` (fp8: vLLM's fp8 KV cache): the
        cache's bytes only, the arithmetic at ``dtype`` (:func:`.llm_dtypes.kv_dtype_of`).
    weight_dtype : the weight matrices' number format, default ``dtype`` (int4: W4A16 / W4A8
        weight-only quantization, 0.5 B an element, group scales not counted): their bytes
        only, the arithmetic at ``dtype`` (:func:`.llm_dtypes.weight_dtype_of`). ``head_dtype``:
        the LM head's and an untied embedding table's, default ``weight_dtype`` (:func:`.llm_dtypes.head_dtype_of`).
    verify, accepted : each decode step feeds ``verify + 1`` query rows per request against
        its cache (speculative decoding's verify step of ``verify`` draft tokens: the weights
        read once, the cache once, the LM head over every row) and keeps ``accepted`` of them
        (default ``verify + 1``): the tokens it yields and its cache grows by. The draft model's
        own steps are not in the run.
    prefix : tokens at the start of every prompt already in the cache (a prefix-cache hit):
        the prefill runs the other ``P_r - prefix`` rows against all ``P_r`` keys.
    replicate : write the 4th and later steps of a stretch of identical decode steps from the
        3rd with NumPy (:mod:`cimsim.workload.llm_replicate`) instead of op by op; the same
        workload, much faster (False: op by op, the reference the tests compare with).
    image_tokens : image tokens each request holds (:mod:`.llm_cross`): prompt rows after its text
        that come from image embeddings, not token ids (the prefill and KV cache hold them), or,
        for a model with cross-attention layers, the keys they attend to (default: the config's).
    vision : a traced vision encoder (a Workload) run before each request's prefill, its output
        the request's image states (:mod:`.llm_vision`); ``image_tokens`` defaults to its tokens.
    cuda_graph : each decode step one kernel launch, a CUDA graph replay (vLLM, TensorRT-LLM):
        one dispatch a step, not one a kernel (:func:`.llm_replicate.graph_decode`).
    """
    batch, requests, sub_batches, tensor_parallel, pipeline_parallel, micro_batches = map(
        integer, (batch, requests, sub_batches, tensor_parallel, pipeline_parallel, micro_batches))
    P, D, requests = serving_options(prompt, decode, batch, requests, batching, attention,
                                     sub_batches, tensor_parallel, dtype, pipeline_parallel,
                                     micro_batches, attention_kernel)
    kv = kv_dtype_of(dtype, kv_dtype)
    wdt = weight_dtype_of(dtype, weight_dtype)
    hdt = head_dtype_of(dtype, wdt, head_dtype)
    if vision is not None:
        image_tokens = vision_tokens(vision, image_tokens if image_tokens is not None else (
            model.image_tokens if crossed(model) else None), width(model) if crossed(model) else model.hidden)
    n_img, P, Nx = run_image_tokens(model, image_tokens, P, prefix)  # Nx: cross keys
    K, acc, N = step_options(verify, accepted, prefix, P, attention, D)
    t = K + 1  # query rows per request in a decode step
    kernel = attention_kernel
    tp, pp, mb = tensor_parallel, pipeline_parallel, micro_batches
    full_batch = batch
    batch, requests, P, D = one_micro_batch(batch, requests, P, D, mb)
    Dc = computed_decode(D, batch, batching)  # the steps each row runs (static: its batch's longest)
    # the requested lengths, then the padded rows; a verify step feeds t positions, keeps acc
    check_positions(model, P, D, runs=Dc, step=(t, acc), prefix=N, image=0 if Nx else n_img)
    if model.layers % pp:
        raise WorkloadError(f"{GEN}: {arg_is('pipeline_parallel', pp)} must divide "
                            f"{arg_is('layers', model.layers)}")
    per_stage = model.layers // pp

    def sendrecv(name: str, x: int, shape: tuple, tags: dict, img: tuple | None = None):
        """``x`` sent to the next stage's device (its received copy); with ``img`` (the image
        states, their shape and dtype) those too, in the same send: ``(x's copy, img's copy)``."""
        out = T(f"{name}.recv", shape, dtype)
        ins, outs = [x], [out]
        if img is not None:
            ins.append(img[0])
            outs.append(T(f"{name}.image_states.recv", img[1], img[2]))
        op(f"{name}.sendrecv", "sendrecv", ins, outs, tags={**tags, "part": "sendrecv"})
        return out if img is None else (out, outs[1])
    m = shard(model, tp)  # this device's share of every layer
    d, dh, H, Hkv, g = m.hidden, m.head_dim, m.heads, m.kv_heads, m.groups

    def allreduce(name: str, part: int, shape: tuple, tags: dict) -> int:
        """The sum over the group of this device's partial ``part`` (nothing when tp = 1)."""
        if tp == 1:
            return part
        out = T(f"{name}.sum", shape, dtype)
        op(f"{name}.allreduce", "allreduce", [part], [out], tags={**tags, "part": "allreduce"})
        return out
    text = [p - (0 if Nx else n_img) for p in P]  # the text tokens of each prompt
    wname = name if name is not None else (f"llm-L{m.layers}-d{d}-h{H}-kv{Hkv}-B{full_batch}"
                     + (f"-R{requests * mb}-{batching}" if requests != batch or batching != "static" else "")
                     + ("-padded" if attention == "padded" else "") + ("-fused" if kernel == "fused" else "")
                     + (f"-sb{sub_batches}" if sub_batches > 1 else "")
                     + (f"-tp{tensor_parallel}" if tensor_parallel > 1 else "")
                     + (f"-pp{pp}" if pp > 1 else "") + (f"-mb{mb}" if mb > 1 else "")
                     + (f"-v{K}a{acc}" if K else "") + (f"-pre{N}" if N else "")
                     + f"-{lengths_tag(text, D)}" + (f"-img{n_img}" if n_img else "") + f"-{dtype}"
                     + (f"-kv{kv}" if kv != dtype else "")
                     + (f"-w{wdt}" if wdt != dtype else "") + (f"-head{hdt}" if hdt != wdt else "")
                     + ("-graph" if cuda_graph else ""))
    b = WorkloadBuilder(wname, by_id=True)
    n_tensors = [0]
    n_launch = [0]  # kernel launches numbered so far (tag ``launch``)

    def T(name, shape, dt, role="activation") -> int:
        i = b.tensor(name, shape, dt, role)
        n_tensors[0] = i + 1
        return i

    op = gate = AdmissionGate(b.op)
    vis_macs = vision.macs if vision is not None else 0  # per request
    xin = {l for l, kind in blocks(m) if kind == "xin"}  # a prefill waits for the iteration before it
    up = (2 if m.gated else 1) * m.ffn

    def kv_bytes(rows: int) -> int:
        """Bytes of the K and V rows of ``rows`` tokens the qkv projection appends to the KV
        cache in the backing store (tag ``store_bytes``: writes there, besides the activations
        the attention reads at once)."""
        return tensor_bytes(rows * m.kv_elements(1), kv)
    xattn = CrossAttention(T, op, n_launch, m, kernel, dtype, kv, Nx)
    chain = VisionChain(vision, T, op, n_launch, {"stage": 0} if pp > 1 else {}) if vision is not None else None
    stack, W = blocks(m), []  # (layer, kind) of each block: self-attention or cross (.llm_cross)
    # the last stage with a cross block: the prefill's image states (made on stage 0) travel with
    # the hidden state up to it (review 22 E 3)
    x_stage = max((l // per_stage for l, kind in stack if kind != "self"), default=0)
    img_dt = vision.tensors[chain.out].dtype if chain is not None else dtype
    for l, kind in stack:
        w = f"l{l}" + ("x" if kind == "xin" else "")
        W.append((T(f"{w}.W_qkv", (d, (H + 2 * Hkv) * dh), wdt, "weight") if kind == "self" else xattn.weights(w, wdt),
                  T(f"{w}.W_o", (H * dh, d), wdt, "weight"),
                  T(f"{w}.W_up", (d, up), wdt, "weight"),
                  T(f"{w}.W_down", (m.ffn, d), wdt, "weight")))
    W_lm = T("W_lm", (d, m.vocab), hdt, "weight")
    act_fn, act_ope = ("silu", 6.0) if m.gated else ("gelu", None)  # gated: silu(gate) * up

    def attend(q_: str, tg: dict, h: int, w_qkv: int, reqs: list[int], tokens: list[int],
               keys: list[int], rows: int) -> int:
        """qkv and attention per request (keys: its own in a prefill, its cache in a decode
        step); returns the context rows of all requests."""
        outs, per = [], []
        # one launch each for the scores, softmax and context of every request (integers, so
        # that replicated decode steps move them as they move the step tag)
        launch = n_launch[0]
        n_launch[0] += launches(kernel)
        for r, n_tok in zip(reqs, tokens):
            qr = T(f"{q_}.r{r}.q", (n_tok, H * dh), dtype)
            kr = T(f"{q_}.r{r}.k", (n_tok, Hkv * dh), dtype)
            vr = T(f"{q_}.r{r}.v", (n_tok, Hkv * dh), dtype)
            outs += [qr, kr, vr]
            per.append((qr, kr, vr))
        op(f"{q_}.qkv", "matmul", [h, w_qkv], outs, m=rows, k=d, n=(H + 2 * Hkv) * dh,
           weight=w_qkv, tags={**tg, "part": "qkv_proj", "store_bytes": kv_bytes(rows)})
        ctx = []
        for (r, n_tok, n_key), (qr, kr, vr) in zip(zip(reqs, tokens, keys), per):
            if n_key == n_tok:  # prefill: the keys are the prompt's own
                K, V = kr, vr
            else:  # decode, or a prefill after a cached prefix: the cache, n_key tokens, written
                # up to this step's rows
                K = T(f"{q_}.r{r}.K_cache", (Hkv, dh, n_key), kv, "input")
                V = T(f"{q_}.r{r}.V_cache", (Hkv, n_key, dh), kv, "input")
            s = T(f"{q_}.r{r}.scores", (Hkv, g * n_tok, n_key), dtype)
            op(f"{q_}.r{r}.scores", "matmul", [qr, K], [s], m=g * n_tok, k=dh, n=n_key,
               batch=Hkv, tags={**tg, "part": "scores", "request": r, **kernel_tags(kernel, "scores", launch)})
            pr = T(f"{q_}.r{r}.probs", (Hkv, g * n_tok, n_key), dtype)
            op(f"{q_}.r{r}.softmax", "softmax", [s], [pr],
               tags={**tg, "part": "softmax", "request": r, **kernel_tags(kernel, "softmax", launch)})
            o = T(f"{q_}.r{r}.ctx", (n_tok, H * dh), dtype)
            op(f"{q_}.r{r}.ctx", "matmul", [pr, V], [o], m=g * n_tok, k=n_key, n=dh, batch=Hkv,
               tags={**tg, "part": "context", "request": r, **kernel_tags(kernel, "context", launch)})
            ctx.append(o)
        if len(ctx) == 1:
            return ctx[0]
        c = T(f"{q_}.ctx", (rows, H * dh), dtype)
        op(f"{q_}.gather", "copy", ctx, [c], tags={**tg, "part": "gather", **kernel_tags(kernel, "gather", launch)})
        return c

    def forward(p: str, x: int, reqs: list[int], tokens: list[int], keys: list[int],
                tags: dict, img: int | None = None) -> int:
        """One pass of the stack over ``x`` (rows: ``sum tokens``; ``img``: a prefill's image
        states, for cross blocks); returns the sampled ids."""
        rows = sum(tokens)
        pad = attention == "padded" and tags["phase"] == "decode" and len(reqs) > 1  # 2+ requests
        for (l, kind), (w_qkv, w_o, w_up, w_down) in zip(stack, W):
            q_ = f"{p}.l{l}" + ("x" if kind == "xin" else "")
            tg = {**tags, "layer": l}
            if pp > 1:
                tg["stage"] = l // per_stage
                if l and l % per_stage == 0 and (kind == "xin" or l not in xin):  # to the next stage
                    if img is not None and l // per_stage <= x_stage:  # a cross block on it or after
                        x, img = sendrecv(f"{q_}.x", x, (rows, d), tg,
                                          (img, (n_img * len(reqs), width(m)), img_dt))
                    else:
                        x = sendrecv(f"{q_}.x", x, (rows, d), tg)
            h = T(f"{q_}.norm1", (rows, d), dtype)
            op(f"{q_}.norm1", "layernorm", [x], [h], tags={**tg, "part": "norm"})
            if kind != "self":  # attention over the image tokens' cross cache (.llm_cross)
                c = xattn.attend(q_, tg, h, w_qkv, reqs, tokens, rows, img)
            elif pad:  # one batched attention over the padded caches (static batching, as HF pads)
                L = max(keys)
                nb = len(reqs)
                one = n_launch[0] if kernel == "fused" else None  # a fused kernel: one launch
                n_launch[0] += one is not None
                qa = T(f"{q_}.q", (nb, H * dh), dtype)
                ka = T(f"{q_}.k", (nb, Hkv * dh), dtype)
                va = T(f"{q_}.v", (nb, Hkv * dh), dtype)
                op(f"{q_}.qkv", "matmul", [h, w_qkv], [qa, ka, va], m=rows, k=d, n=(H + 2 * Hkv) * dh,
                   weight=w_qkv, tags={**tg, "part": "qkv_proj", "store_bytes": kv_bytes(rows)})
                K = T(f"{q_}.K_cache", (nb * Hkv, dh, L), kv, "input")
                V = T(f"{q_}.V_cache", (nb * Hkv, L, dh), kv, "input")
                s_ = T(f"{q_}.scores", (nb * Hkv, g, L), dtype)
                op(f"{q_}.scores", "matmul", [qa, K], [s_], m=g, k=dh, n=L, batch=nb * Hkv,
                   tags={**tg, "part": "scores", **kernel_tags(kernel, "scores", one)})
                pr = T(f"{q_}.probs", (nb * Hkv, g, L), dtype)
                op(f"{q_}.softmax", "softmax", [s_], [pr], tags={**tg, "part": "softmax",
                                                                 **kernel_tags(kernel, "softmax", one)})
                c = T(f"{q_}.ctx", (nb, H * dh), dtype)
                op(f"{q_}.ctx", "matmul", [pr, V], [c], m=g, k=L, n=dh, batch=nb * Hkv,
                   tags={**tg, "part": "context", **kernel_tags(kernel, "context", one)})
            else:
                c = attend(q_, tg, h, w_qkv, reqs, tokens, keys, rows)
            a = T(f"{q_}.attn", (rows, d), dtype)
            op(f"{q_}.out_proj", "matmul", [c, w_o], [a], m=rows, k=H * dh, n=d, weight=w_o,
               tags={**tg, "part": "out_proj"})
            a = allreduce(f"{q_}.attn", a, (rows, d), tg)
            x1 = T(f"{q_}.res1", (rows, d), dtype)
            op(f"{q_}.res1", "elementwise", [x, a], [x1], fn="add", tags={**tg, "part": "residual"})
            h2 = T(f"{q_}.norm2", (rows, d), dtype)
            op(f"{q_}.norm2", "layernorm", [x1], [h2], tags={**tg, "part": "norm"})
            u = T(f"{q_}.up", (rows, up), dtype)
            op(f"{q_}.up", "matmul", [h2, w_up], [u], m=rows, k=d, n=up, weight=w_up,
               tags={**tg, "part": "ffn_up"})
            ua = T(f"{q_}.act", (rows, m.ffn), dtype)
            op(f"{q_}.act", "elementwise", [u], [ua], fn=act_fn, ops_per_element=act_ope,
               tags={**tg, "part": "ffn_act"})
            dn = T(f"{q_}.down", (rows, d), dtype)
            op(f"{q_}.down", "matmul", [ua, w_down], [dn], m=rows, k=m.ffn, n=d, weight=w_down,
               tags={**tg, "part": "ffn_down"})
            x2 = T(f"{q_}.res2", (rows, d), dtype)
            dn = allreduce(f"{q_}.down", dn, (rows, d), tg)
            op(f"{q_}.res2", "elementwise", [x1, dn], [x2], fn="add", tags={**tg, "part": "residual"})
            x = x2
        nb = rows if tags["phase"] == "decode" else len(reqs)  # a verify step: every row
        hn = T(f"{p}.norm_f", (rows, d), dtype)
        op(f"{p}.norm_f", "layernorm", [x], [hn], tags={**tags, "part": "norm"})
        if rows != nb:  # the prefill: only each request's last token goes to the LM head
            last = T(f"{p}.last", (nb, d), dtype)
            op(f"{p}.last", "copy", [hn], [last], tags={**tags, "part": "gather"})
            hn = last
        logits = T(f"{p}.logits", (nb, m.vocab), dtype)
        op(f"{p}.lm_head", "matmul", [hn, W_lm], [logits], m=nb, k=d, n=m.vocab, weight=W_lm,
           tags={**tags, "part": "lm_head"})
        ids = T(f"{p}.ids", (nb, 1), dtype)
        op(f"{p}.sample", "reduction", [logits], [ids], tags={**tags, "part": "sample"})
        # the best token over the vocabulary shards: a max-reduction of one value per request
        ids = allreduce(f"{p}.ids", ids, (nb, 1), tags)
        if pp > 1:  # the sampled tokens back to the first stage (its embedding)
            ids = sendrecv(f"{p}.ids", ids, (nb, 1), {**tags, "stage": pp - 1})
        return ids

    n_req = len(P)
    holder: dict[int, int] = {}  # request -> the ids tensor holding its last token
    first_op, last_op = [0] * n_req, [0] * n_req
    step_end, step_tokens, step_macs, step_kind = [], [], [], []
    extra = 0  # ops the replicas insert before the builder's current position
    stretches: list[Stretch] = []
    built: list[tuple] = []  # decode steps built in the stretch: (o0, o1, t0, t1, ends, launches)
    cur: Stretch | None = None
    before: list[int] = []  # the ids tensors of the iteration before (AdmissionGate)
    for kind, it, reqs, cached, new_stretch in schedule(P, Dc, batch, batching, acc):
        if kind == "prefill":  # the requests just admitted
            new = reqs
            p = f"it{it}.prefill"
            tags = {"phase": "prefill", "step": it}
            toks = [P[r] - N for r in new]  # the rows past a cached prefix
            pid = T(f"{p}.prompt_ids", (sum(toks) - (0 if Nx else n_img * len(new)), 1), dtype, "input")
            x = T(f"{p}.embed", (sum(toks), d), dtype)
            with gate.after(before):  # the images (their encoders) first: the prompt's rows or cross K/V
                img = image_states(T, op, chain, n_img, width(m) if Nx else d, dtype, p, new, tags)
                ins, outs = [pid] + ([img] if img is not None and (not Nx or chain is None) else []), [x]
                if Nx and chain is None:  # the image states, a model input, handed to the cross blocks
                    img = T(f"{p}.image_embeds", (n_img * len(new), width(m)), dtype)
                    outs.append(img)
                op(f"{p}.embed", "copy", ins, outs, tags={**tags, "part": "embed"})
                ids = forward(p, x, new, toks, [P[r] for r in new], tags, img)
            before = [ids]
            for r in new:
                holder[r] = ids
                first_op[r] = last_op[r] = len(b) - 1 + extra
            step_end.append(len(b) - 1 + extra)
            step_tokens.append(len(new))
            step_macs.append(prefill_macs(m, [P[r] for r in new], N, Nx) + vis_macs * len(new))
            step_kind.append("prefill")
            continue
        running = reqs  # a decode step of every running request
        live = dict(zip(reqs, counted(P, D, reqs, cached, acc)))  # not a finished row run on (static)
        keys_of = {r: c + t for r, c in zip(reqs, cached)}  # its cache and this step's rows
        if new_stretch:  # after an admission or a change of the running set
            built, cur = [], None
        tags = {"phase": "decode", "step": it}
        n_sub = min(sub_batches, len(running))
        groups = [running[j * len(running) // n_sub:(j + 1) * len(running) // n_sub]
                  for j in range(n_sub)]
        step_keys = []
        if cur is not None:  # a replica of the stretch's template (written by insert_replicas)
            extra += cur.o1 - cur.o0
            cur.count += 1
            ends = built[-1][4]
            n_launch[0] += built[-1][5]  # the launches it numbers, as the op-by-op build would
        else:
            o0, t0, l0 = len(b), n_tensors[0], n_launch[0]
            ends = []
        for j, grp in enumerate(groups):  # independent chains (NeuPIMs' sub-batch interleaving)
            keys = [keys_of[r] for r in grp]
            if cur is None:
                p = f"it{it}.decode" + (f".sb{j}" if n_sub > 1 else "")
                x = T(f"{p}.embed", (len(grp) * t, d), dtype)
                src = list(dict.fromkeys(holder[r] for r in grp))  # the ids tensors, in order
                op(f"{p}.embed", "copy", src, [x], tags={**tags, "part": "embed"})
                ids = forward(p, x, grp, [t] * len(grp), keys, tags)
                ends.append(len(b) - 1)
                for r in grp:
                    holder[r] = ids
            if attention == "padded" and len(grp) > 1:
                keys = [max(keys)] * len(grp)  # what the padded attention computes and reads
            step_keys += keys
            for r in grp:
                if live[r]:
                    last_op[r] = ends[j] + extra
        if cur is None:
            built.append((o0, len(b), t0, n_tensors[0], ends, n_launch[0] - l0))
            if replicate and third_step_repeats(built):
                cur = Stretch(o0, len(b), t0, n_tensors[0], it)
                stretches.append(cur)
        before = [holder[r] for r in running]  # a replica's: the template's, moved past it
        step_end.append(len(b) - 1 + extra)
        step_tokens.append(acc * sum(live.values()))  # the tokens counted: finished rows give none
        step_macs.append(self_layers(m) * t * (len(running) * m.weight_macs_per_token
                                               + sum(2 * H * dh * n for n in step_keys))
                         + t * len(running) * (d * m.vocab + cross_row_macs(m, Nx)))
        step_kind.append("decode")
    total = (serving_macs(m, P, Dc, K, acc, N, Nx) + vis_macs * n_req if attention == "per-request"
             else sum(step_macs))
    meta = {
        "generator": GEN,
        "params": {**asdict(model, dict_factory=_shape), "prompt": text, "decode": D, "batch": batch, "requests": requests,
                   "batching": batching, "attention": attention, "sub_batches": sub_batches,
                   "tensor_parallel": tensor_parallel, "pipeline_parallel": pp, "dtype": dtype,
                   **({"attention_kernel": kernel} if kernel != "unfused" else {}),
                   **({"kv_dtype": kv} if kv != dtype else {}),
                   **({"weight_dtype": wdt} if wdt != dtype else {}), **({"head_dtype": hdt} if hdt != wdt else {}),
                   **({"verify": K, "accepted": acc} if K else {}), **({"prefix": N} if N else {}),
                   **({"cuda_graph": True} if cuda_graph else {}),
                   **({"image_tokens": n_img} if n_img else {}),
                   **({"vision_workload": vision.name, "vision_macs": vis_macs} if vision is not None else {}),
                   **({"micro_batches": mb, "full_batch": full_batch} if mb > 1 else {})},
        "macs": total, **untied_table(m, hdt),
        "llm": {
            # per request: the op whose end gives its first token (its prefill's sampling)
            # and its last token; its tokens (1 from the prefill, then acc per decode step)
            "first_token_ops": first_op,
            "last_token_ops": last_op,
            "output_tokens": [1 + acc * dr for dr in D],
            # per iteration (a prefill or a decode step): its last op, tokens, MACs
            "step_kind": step_kind,
            "step_end_ops": step_end,
            "step_tokens": step_tokens,
            "step_macs": step_macs,
            "generated_tokens": n_req + acc * sum(D),
        },
    }
    if pp > 1:  # the stages are devices: the report pipelines m micro-batches through them
        meta["llm"]["pipeline"] = {"stages": pp, "micro_batches": mb}
    if sum(step_macs) != total:
        raise AssertionError(f"{wname}: steps' MACs {sum(step_macs)} != closed form {total}")
    cols = insert_replicas(b.columns(), stretches) if stretches else b.columns()
    cols = graph_decode(cols, step_kind, step_end) if cuda_graph else cols
    w = Workload.from_columns(wname, cols, meta)
    if w.macs != meta["macs"]:  # a generator bug, not user input
        raise AssertionError(f"{wname}: op MACs {w.macs} != closed form {meta['macs']}")
    return w
