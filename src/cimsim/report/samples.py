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


def per_sample_facts(metadata: Mapping, samples_per_run: int, latency_s: float,
                     energy_j: float) -> dict[str, object]:
    """The per-sample and per-item columns (:data:`cimsim.report.columns.SAMPLE_COLUMNS`): the
    samples, energy per sample (``energy_j / samples``), and, where the workload states how many items
    a sample holds (``metadata.items_per_sample``: a clip's frames, a sequence's tokens, a
    read's base pairs; ``metadata.item_name`` names them, default ``item``), items per second
    and energy per item (NaN, and None for the name, where it states none, as its siblings).
    ``energy_j``: the energy of all the devices a run stands for (a tensor- or
    pipeline-parallel run's ``system_energy_j``, what tokens/J divides by)."""
    from . import columns as C

    items = metadata.get("items_per_sample")
    stated = isinstance(items, (int, float)) and not isinstance(items, bool) and items > 0
    name = metadata.get("item_name") if stated else None
    n = float(items) if stated else float("nan")
    per_s = samples_per_run * n / latency_s if latency_s > 0 else float("nan")
    return {C.SAMPLES_PER_RUN: samples_per_run, C.J_PER_SAMPLE: energy_j / samples_per_run,
            C.ITEMS_PER_SAMPLE: n, C.ITEM_NAME: (name if isinstance(name, str) and name else "item") if stated else None,
            C.ITEMS_PER_S: per_s, C.J_PER_ITEM: energy_j / (samples_per_run * n)}


def vector_facts(vector_ops: float, latency_s: float) -> dict[str, float]:
    """:data:`cimsim.report.columns.VECTOR_OPS` (the op table's ``vector_ops`` summed) and
    ``VECTOR_OPS_PER_S`` (over ``latency_s``; NaN at 0 s)."""
    from . import columns as C

    return {C.VECTOR_OPS: vector_ops,
            C.VECTOR_OPS_PER_S: vector_ops / latency_s if latency_s > 0 else float("nan")}


def per_sample_text(r) -> str | None:
    """``run``'s per-sample line of the result ``r``: samples/s and J per sample where a run holds
    more than one sample, and, where the workload states its items a sample, items/s, J per item
    and items/J (= items/s per W); None for one sample of no stated items (the latency and
    energy are that sample's)."""
    from . import columns as C
    from .format import per_joule, si

    f = r.facts
    items = f.get(C.ITEMS_PER_SAMPLE, float("nan"))
    if r.samples <= 1 and items != items:
        return None
    e = f.get(C.J_PER_SAMPLE, float("nan"))
    n = int(getattr(r, "system_devices", 1))
    out = (f"{r.samples:,} sample{'s' if r.samples > 1 else ''}: {si(r.samples_per_s, 'samples/s')}, "
           f"{si(e, 'J')} per sample{f' (all {n} devices)' if n > 1 else ''}")
    if items == items:
        name = f.get(C.ITEM_NAME) or "item"
        per_j = 1.0 / f[C.J_PER_ITEM] if f[C.J_PER_ITEM] > 0 else float("nan")
        out += (f"; {items:,.6g} {name}s a sample: {si(f[C.ITEMS_PER_S], f'{name}s/s')}, "
                f"{si(f[C.J_PER_ITEM], 'J')} per {name}, "
                f"{per_joule(per_j, f'{name}s/J')} (= {name}s/s per W)")
    return out


def steady_energy_by_part(r) -> dict[str, float]:
    """A layer-pipelined run's energy per sample at steady state, by part (find-I 2): each
    dynamic part of ``energy_breakdown_j`` over the run's samples (``samples_per_run``), and
    ``static`` = the static power (:attr:`static_power_w`) x ``pipeline_interval_s`` (the
    one-sample breakdown charges static power over the latency, samples not overlapping).
    Each part is computed on its own, not from ``pipelined_j_per_sample``, so their sum
    equalling it is a check of both. Empty for a run with no pipeline columns."""
    from . import columns as C

    f = r.facts
    if C.PIPELINE_INTERVAL_S not in f or not r.latency_s > 0:
        return {}
    per = 1.0 / max(int(f.get(C.SAMPLES_PER_RUN, 1)), 1)
    parts = {k: v * per for k, v in r.energy_breakdown_j.items() if k != C.STATIC}
    return {**parts, C.STATIC: r.static_power_w * f[C.PIPELINE_INTERVAL_S]}
