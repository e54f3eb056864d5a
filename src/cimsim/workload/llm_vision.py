"""A traced vision encoder run before each request's prefill in an LLM serving run
(:func:`cimsim.workload.llm.llm_serving` ``vision=``, ``cimsim workload llm --vision-workload``).

The encoder (a workload of any source: ``cimsim trace`` of a CLIP/SigLIP tower and its
projector) runs once per request, inside the prefill iteration that admits it: its weights are
declared once and shared; its other tensors and its ops are copied per request under the name
``it<i>.prefill.r<r>.vis.<name>``, tagged with the prefill's ``phase`` and ``step`` and the
request (tag ``part: vision`` unless it has a part; its ``launch`` groups renumbered after the
run's). Each of its model inputs (the pixel values) is first loaded by a ``copy`` op (tag ``part:
vision_input``, the image's bytes), the prefill's first op that waits for the iteration before. Its output (the workload's one ``metadata.outputs`` tensor, else its last op's first
output) is the request's image states: ``N x width`` elements, ``N`` the image tokens (the
prefill's embedding reads them into the prompt's rows; a cross-attention model's cross K/V
projections read them). So the prefill of a request waits for its encoder, and its time to first
token includes it; the ``metadata.llm`` op indices count the encoder's ops.
"""

from __future__ import annotations

import math

from ..errors import WorkloadError
from .llm_dtypes import GEN


def encoder_output(vision) -> str:
    """The name of the encoder workload's output tensor."""
    outs = vision.metadata.get("outputs") if isinstance(vision.metadata, dict) else None
    if isinstance(outs, list) and len(outs) == 1 and outs[0] in vision.tensors:
        return outs[0]
    if not len(vision.ops):
        raise WorkloadError(f"{GEN}: the vision workload {vision.name!r} has no ops")
    return vision.ops[len(vision.ops) - 1].outputs[0]


def vision_tokens(vision, image_tokens, width: int) -> int:
    """The image tokens the encoder gives a request: its output's elements / ``width`` (the
    width the text model reads), checked against ``image_tokens`` when given."""
    if isinstance(vision.metadata, dict) and "llm" in vision.metadata:
        raise WorkloadError(f"{GEN}: the vision workload {vision.name!r} is itself a serving run "
                            "(metadata.llm); give the traced encoder")
    out = encoder_output(vision)
    n = math.prod(vision.tensors[out].shape)
    if n % width or (image_tokens is not None and n != image_tokens * width):
        want = f"{image_tokens} image tokens x {width}" if image_tokens is not None else f"a multiple of {width}"
        raise WorkloadError(f"{GEN}: the vision workload's output {out!r} has shape "
                            f"{list(vision.tensors[out].shape)} ({n:,} elements), not {want} (the text "
                            "model's width): trace the encoder with its projector to the text width")
    return n // width


class VisionChain:
    """Copies the encoder ``vision`` into the run's builder (``T``, ``op``: the run's tensor and
    op appenders; ``n_launch``: its launch counter), once per request."""

    def __init__(self, vision, T, op, n_launch: list, stage: dict):
        self.v, self.T, self.op, self.n_launch, self.stage = vision, T, op, n_launch, stage
        self.out = encoder_output(vision)
        self.weights = {name: T(f"vis.{name}", t.shape, t.dtype, t.role)
                        for name, t in vision.tensors.items() if t.role == "weight"}

    def run(self, prefix: str, tags: dict) -> int:
        """The encoder's ops for one request under ``prefix``; returns its output tensor."""
        ids = dict(self.weights)
        loads = []
        for name, t in self.v.tensors.items():
            if name not in ids:
                ids[name] = self.T(f"{prefix}.{name}", t.shape, t.dtype, t.role)
            if t.role == "input":  # the request's image (pixel values) loaded: the encoder's roots
                loads.append((name, ids[name]))  # read it, so a queued request's encoder waits
                ids[name] = self.T(f"{prefix}.{name}.loaded", t.shape, t.dtype)
        for name, i in loads:
            self.op(f"{prefix}.{name}.load", "copy", [i], [ids[name]], tags={"part": "vision_input", **tags, **self.stage})
        launches: dict = {}
        for o in self.v.ops:
            tg = {k: v for k, v in o.tags.items() if k not in ("launch", "step", "phase", "stage")}
            if "launch" in o.tags:
                if o.tags["launch"] not in launches:
                    launches[o.tags["launch"]] = self.n_launch[0]
                    self.n_launch[0] += 1
                tg["launch"] = launches[o.tags["launch"]]
            self.op(f"{prefix}.{o.name}", o.kind, [ids[x] for x in o.inputs], [ids[x] for x in o.outputs],
                    m=o.m, k=o.k, n=o.n, batch=o.batch, weight=ids[o.weight] if o.weight else None,
                    fn=o.fn, ops_per_element=o.ops_per_element, tags={"part": "vision", **tg, **tags, **self.stage},
                    generic_macs=o.generic_macs)
        return ids[self.out]


def image_states(T, op, chain: VisionChain | None, n: int, width: int, dtype: str, p: str,
                 reqs: list[int], tags: dict) -> int | None:
    """The image states of the requests ``reqs`` a prefill ``p`` admits (``n`` tokens of
    ``width`` each): their encoders' outputs (gathered into one tensor for 2+ requests), else a
    model input (embeddings computed elsewhere); None without image tokens."""
    if not n:
        return None
    if chain is None:
        return T(f"{p}.image_states", (n * len(reqs), width), dtype, "input")
    outs = [chain.run(f"{p}.r{r}.vis", {**tags, "request": r}) for r in reqs]
    if len(outs) == 1:
        return outs[0]
    x = T(f"{p}.image_states", (n * len(reqs), width), dtype)
    op(f"{p}.image_states", "copy", outs, [x], tags={**tags, "part": "gather"})
    return x
