"""The attention of an LLM serving run (:func:`cimsim.workload.llm.llm_serving` and the serving
trace, :mod:`cimsim.zoo.serve`): its kernel, and the run's MACs in closed form (the same for
either kernel).

``attention_kernel`` (:data:`~cimsim.workload.llm_options.ATTENTION_KERNELS`):

``unfused`` (default; an eager implementation, Hugging Face's ``eager`` attention)
    per request and layer, ``scores = q . K^T`` writes the ``H x tokens x keys`` score tensor,
    softmax reads it and writes the probabilities, ``ctx = p . V`` reads them: three kernel
    launches (each over every request of the iteration), the score tensor written and read
    twice through the memory levels.
``fused`` (FlashAttention, Dao et al., NeurIPS 2022; FlashAttention-2, ICLR 2024; what vLLM and
    TensorRT-LLM run in prefill and decode)
    the same three ops (the same MACs, the full ``tokens x keys`` products of the causal
    accounting, and softmax's vector work), one kernel launch, and the scores and
    probabilities stay on chip: the scores and softmax ops carry the tag ``on_chip``
    (:func:`cimsim.workload.arrays.on_chip_tensors`), so their outputs move 0 bytes to and
    from every memory level and are no part of the footprint. What the kernel moves is
    ``Q``, ``K`` and ``V`` in and ``O`` out, once each: ``K`` and ``V`` are read once per
    request and layer, not once per query tile (FlashAttention-2 re-reads them ``tokens /
    tile`` times, from the L2 where they fit: a refinement not modelled). The three ops run
    one after another on the unit that takes them (no overlap of softmax with the matmuls, as
    FlashAttention-3 has).

On PIM units that claim attention over the KV cache (``pim.claims: [kv_cache]``, e.g.
``gpu-hbm-pim-attn``) the decode step's ``q . K^T`` and ``p . V`` are still the units' (they
read the cache in the banks) and softmax is the processor's, so a fused kernel cannot keep
their scores on one chip: placement charges ``on_chip`` tensors that pass between components
their bytes (:func:`cimsim.workload.arrays.crossing_on_chip`, a run note), and the launch
group is split at the unit boundaries (:meth:`~cimsim.workload.oparrays.OpArrays.dispatched`):
fused decode attention there costs what unfused does (AttAcc keeps the scores in the HBM's
buffer die by running softmax there: not modelled). A prefill's attention reads no model input
(its keys are its own activations) and runs on the processor, fused or not.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

if TYPE_CHECKING:
    from .llm import LLMModel

#: op parts of one attention, in order
PARTS = ("scores", "softmax", "context")


def launches(kernel: str) -> int:
    """Kernel launches one attention numbers (tag ``launch``): one per part, or one fused."""
    return 1 if kernel == "fused" else len(PARTS)


def kernel_tags(kernel: str, part: str, launch: int | None) -> dict:
    """The tags of one attention op ``part`` (of :data:`PARTS`, or ``gather``: the context rows
    gathered, riding on the context's launch) whose attention's first launch is ``launch``
    (None: an unfused op of its own launch, as the padded attention's)."""
    if kernel != "fused":
        return {} if launch is None else {"launch": launch + (PARTS.index(part) if part in PARTS else 2)}
    return {"launch": launch, **({"on_chip": 1} if part in PARTS[:2] else {})}


def self_layers(model) -> int:
    """The blocks that attend over the text KV cache."""
    return model.layers - (0 if model.cross_insert else len(model.cross_layers))


def width(model) -> int:
    """The width of the image states the cross K/V projections read."""
    return model.cross_width or model.hidden


def cross_kv_macs(model, image_tokens: int) -> int:
    """MACs of one request's cross K/V projections (every cross block, once, in the prefill)."""
    return len(model.cross_layers) * image_tokens * width(model) * 2 * model.kv_heads * model.head_dim


def cross_row_macs(model, image_tokens: int) -> int:
    """MACs of one query row through every cross block: q and o projections, the FFN, and its
    attention over the ``image_tokens`` cached keys."""
    d, hd = model.hidden, model.heads * model.head_dim
    return len(model.cross_layers) * (2 * d * hd + (3 if model.gated else 2) * d * model.ffn
                                      + 2 * hd * image_tokens)


def prefill_macs(model: "LLMModel", prompt: Sequence[int], prefix: int = 0, cross: int = 0) -> int:
    """MACs of the prefill of ``prompt`` (one length per request), closed form; ``prefix``: the
    first tokens of each prompt already cached (prefix caching: ``P - prefix`` query rows
    against ``P`` keys); ``cross``: the image tokens each request's cross-attention blocks
    attend to (:mod:`.llm_cross`: their K/V projected here, once)."""
    m = model
    return (self_layers(m) * sum((p - prefix) * m.weight_macs_per_token
                                 + 2 * m.heads * m.head_dim * (p - prefix) * p for p in prompt)
            + sum((p - prefix) * cross_row_macs(m, cross) + cross_kv_macs(m, cross) for p in prompt)
            + len(prompt) * m.hidden * m.vocab)


def decode_step_macs(model: "LLMModel", prompt: Sequence[int], decode: Sequence[int], t: int,
                     cross: int = 0) -> int:
    """MACs of decode step ``t`` (0-based), closed form."""
    m = model
    active = [p for p, d in zip(prompt, decode) if t < d]
    return (self_layers(m) * (len(active) * m.weight_macs_per_token
                              + sum(2 * m.heads * m.head_dim * (p + t + 1) for p in active))
            + len(active) * (m.hidden * m.vocab + cross_row_macs(m, cross)))


def serving_macs(model: "LLMModel", prompt: Sequence[int], decode: Sequence[int], verify: int = 0,
                 accepted: int = 1, prefix: int = 0, cross: int = 0) -> int:
    """MACs of serving every request, closed form: the same whatever the batching (each
    request's prefill of ``P_r - prefix`` rows against ``P_r`` keys, then its decode steps: step
    k feeds ``t = verify + 1`` rows against a cache of ``P_r + k accepted + t`` keys, its LM
    head over all ``t``; plain decoding is ``t = accepted = 1``; ``cross``: as
    :func:`prefill_macs`)."""
    m = model
    att = 2 * m.heads * m.head_dim
    t, a = verify + 1, accepted
    L, row = self_layers(m), cross_row_macs(m, cross)
    return sum(
        L * ((p - prefix) * m.weight_macs_per_token + att * (p - prefix) * p) + m.hidden * m.vocab
        + (p - prefix) * row + cross_kv_macs(m, cross)
        + d * t * (L * m.weight_macs_per_token + m.hidden * m.vocab + row)
        + L * att * t * (d * (p + t) + a * d * (d - 1) // 2)
        for p, d in zip(prompt, decode))
