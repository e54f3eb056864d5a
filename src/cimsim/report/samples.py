"""How many samples one run serves: the divisor of every per-sample figure."""

from __future__ import annotations

from typing import Mapping


def recorded_batch(metadata: Mapping) -> int:
    """The batch a workload records: ``metadata.batch``, else ``params.batch`` (a generator's),
    else a ``cnn`` zoo model's ``zoo.overrides.batch`` (a trace written before the tracer
    recorded ``metadata.batch``: ``cimsim trace --zoo vgg8 --param batch=4`` then wrote only
    the override, and the input held that many images), else 1."""
    params = metadata.get("params")
    zoo = metadata.get("zoo")
    over = zoo.get("overrides") if isinstance(zoo, Mapping) and zoo.get("family") == "cnn" else None
    for b in (metadata.get("batch"), params.get("batch") if isinstance(params, Mapping) else None,
              over.get("batch") if isinstance(over, Mapping) else None):
        if isinstance(b, (int, float)) and not isinstance(b, bool) and b >= 1:
            return int(b)
    return 1


def samples(wl, batch: int) -> int:
    """Samples a run serves: a serving run's requests (all it serves, not the slots of its
    batch; one micro-batch's under pipeline parallelism, as its latency is), else the batch."""
    params = wl.metadata.get("params")
    req = params.get("requests") if isinstance(params, dict) and "llm" in wl.metadata else None
    if isinstance(req, int) and not isinstance(req, bool) and req >= 1:
        return req
    return batch
