"""The serving options of :func:`cimsim.workload.llm.llm_serving` (and of the serving trace,
:mod:`cimsim.zoo.serve`) checked once: one-line :class:`~cimsim.errors.WorkloadError` each."""

from __future__ import annotations

from ..dtypes import DTYPES
from ..errors import WorkloadError

GEN = "llm"
BATCHING: tuple[str, ...] = ("static", "continuous")
ATTENTION: tuple[str, ...] = ("per-request", "padded")


def _per_request(name: str, value, n: int) -> list[int]:
    vals = [value] * n if isinstance(value, int) and not isinstance(value, bool) else list(value)
    if len(vals) != n:
        raise WorkloadError(f"{GEN}: {name} lists {len(vals)} lengths; give one, or one per "
                            f"request (requests={n})")
    for v in vals:
        if isinstance(v, bool) or not isinstance(v, int) or v < (1 if name == "prompt" else 0):
            raise WorkloadError(f"{GEN}: {name} lengths must be integers >= "
                                f"{1 if name == 'prompt' else 0}, got {v!r}")
    return vals


def serving_options(prompt, decode, batch, requests, batching, attention, sub_batches,
                    tensor_parallel, dtype, pipeline_parallel=1,
                    micro_batches=1) -> tuple[list[int], list[int], int]:
    """The serving options checked (one-line :class:`WorkloadError` each): ``(prompt lengths,
    decode steps, requests)``, one length per request."""
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
        raise WorkloadError(f"{GEN}: batch must be an integer >= 1, got {batch!r}")
    if dtype not in DTYPES:
        raise WorkloadError(f"{GEN}: dtype {dtype!r} is not one of {', '.join(DTYPES)}")
    if batching not in BATCHING:
        raise WorkloadError(f"{GEN}: batching {batching!r} is not one of {', '.join(BATCHING)}")
    if isinstance(sub_batches, bool) or not isinstance(sub_batches, int) or sub_batches < 1:
        raise WorkloadError(f"{GEN}: sub_batches must be an integer >= 1, got {sub_batches!r}")
    if isinstance(tensor_parallel, bool) or not isinstance(tensor_parallel, int) or tensor_parallel < 1:
        raise WorkloadError(f"{GEN}: tensor_parallel must be an integer >= 1, got {tensor_parallel!r}")
    if isinstance(pipeline_parallel, bool) or not isinstance(pipeline_parallel, int) or pipeline_parallel < 1:
        raise WorkloadError(f"{GEN}: pipeline_parallel must be an integer >= 1, got {pipeline_parallel!r}")
    if attention not in ATTENTION:
        raise WorkloadError(f"{GEN}: attention {attention!r} is not one of {', '.join(ATTENTION)}")
    if requests is None:
        requests = batch
    if isinstance(requests, bool) or not isinstance(requests, int) or requests < 1:
        raise WorkloadError(f"{GEN}: requests must be an integer >= 1, got {requests!r}")
    if sub_batches > min(batch, requests):
        raise WorkloadError(f"{GEN}: sub_batches={sub_batches} exceeds the requests that run at "
                            f"once ({min(batch, requests)}): a sub-batch would hold none")
    P = _per_request("prompt", prompt, requests)
    D = _per_request("decode", decode, requests)
    if pipeline_parallel > 1 and sub_batches > 1:
        raise WorkloadError(f"{GEN}: sub_batches={sub_batches} with pipeline_parallel="
                            f"{pipeline_parallel}: a pipeline's sub-batches are its micro-batches; "
                            "give micro_batches instead")
    m = micro_batches
    if isinstance(m, bool) or not isinstance(m, int) or m < 1:
        raise WorkloadError(f"{GEN}: micro_batches must be an integer >= 1, got {m!r}")
    if m > 1:
        if pipeline_parallel < 2:
            raise WorkloadError(f"{GEN}: micro_batches={m} pipelines the stages of "
                                "pipeline_parallel >= 2; give --pipeline-parallel")
        if batch % m or requests % m:
            raise WorkloadError(f"{GEN}: micro_batches={m} must divide batch={batch} and "
                                f"requests={requests}")
        if batching != "static" or sub_batches != 1 or len(set(P)) > 1 or len(set(D)) > 1:
            raise WorkloadError(f"{GEN}: micro_batches={m} needs identical micro-batches: static "
                                "batching, one sub-batch, one prompt and one decode length for all")
    return P, D, requests


def one_micro_batch(batch: int, requests: int, P: list[int], D: list[int], micro_batches: int):
    """``(batch, requests, P, D)`` of one micro-batch: a pipeline-parallel run's workload is one
    of its ``micro_batches`` identical micro-batches (``serving_options`` checked they divide)."""
    if micro_batches > 1:
        batch, requests = batch // micro_batches, requests // micro_batches
        P, D = P[:requests], D[:requests]
    return batch, requests, P, D
