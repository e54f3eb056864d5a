"""From what the stages produced for one run to its :class:`~cimsim.report.result.Result`.

:class:`RunData` is the pipeline's hand-over (placement, cost table, engine
times); :func:`build_result` turns it into a Result: energy, utilization,
bound, critical path, traffic and, when asked, the per-op table. Nothing here
names a device: components, memory levels and links are looped over by name.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Mapping

import numpy as np

from . import columns as C, load, thermal
from ..hw.links.bonded import bonded_notes  # find-B 4
from .training import training_facts, training_notes
from .format import si
from ..errors import ComponentError
from ..hw.base import MEASURED_BOUND_DETAIL, MEASURED_COMPUTE
from ..hw.declared import static_split; from ..hw.idle import check_read_only  # noqa: E702
from ..mapping.capacity import check_read_only_held
from .overflow import check_energy, check_figures, check_latency
from .density import offchip_components
from .plausible import area_notes, die_facts, implausible, power_cap_notes, tdp_notes
from .provenance import (free_dispatch_notes, latency_notes, latency_placeholders, placeholder_shares,
                         precision_notes)
from .samples import per_sample_facts, recorded_batch, samples, vector_facts
from .serving import encoder_tp_note, graph_note, serving_metrics, take_requests, tensor_parallel_of, verify_note
from .phases import phase_figures; from .models import model_figures  # noqa: E702
from .stream import flat_replication_notes, shared_level_notes
from .host_notes import conv_table_notes, dispatch_notes
from .density import stack_facts, stack_notes
from .utilization import run_utilization
from .result import Result, attribute_ops, attribute_path, bound_of, measured_share
from .ridge import backing_ridge, home_rates, level_ridges, peak_facts
from ..workload.columns import Taken
from ..workload.depth import bound_notes, path_serial_steps

if TYPE_CHECKING:  # annotations only: report reads these, it never runs a stage
    from ..config import Architecture
    from ..cost import CostTable
    from ..mapping.placement import Placement
    from ..workload.ir import Workload


@dataclass
class RunData:
    """What the stages produced for one run (the report's input)."""

    arch: "Architecture"
    workload: "Workload"
    engine: str
    placement: "Placement"
    costs: "CostTable"
    rates: np.ndarray  # effective bandwidth of each resource, B/s
    resource_s: np.ndarray  # (ops x resources) transfer time of each op alone, s
    duration: np.ndarray  # each op alone: work + latency, s
    latency_s: float
    start: np.ndarray
    end: np.ndarray
    path: np.ndarray  # realised critical path (DES) or the dependency critical path
    critical_path_s: float
    critical_path: np.ndarray
    #: (resources,) bytes the ops' access patterns add at the streaming rate (time, not
    #: traffic: ``bytes x (stream rate / pattern rate - 1)``); None when every op streams
    pattern_bytes: np.ndarray | None = None
    #: notes from the stages for the result: what the engine left out of the rules it was
    #: given (the analytic engine: loaded latency, exclusive holds), hand-stated read
    #: fractions replacing the cost's read/write split
    engine_notes: list[str] = field(default_factory=list)
    #: the path parts when no op path gives them (an analytic run bound by a link's bytes at
    #: its rate); None: attributed along ``path``
    path_time: dict | None = None


def _unknown_op_notes(metadata) -> list[str]:
    """What a run of a trace made with ``--allow-unknown`` rests on: the aten ops the tracer has
    no mapping for (``metadata['unknown_ops']``) ran as generic elementwise ops, costed at one
    vector op per output element plus the MACs the FLOP counter gave them, and none where it
    had no formula; the run says so (before, only ``cimsim trace`` did)."""
    unknown = metadata.get("unknown_ops") if isinstance(metadata, Mapping) else None
    if not unknown or not isinstance(unknown, (list, tuple)):
        return []
    names = list(dict.fromkeys(str(u.get("op", "?")) for u in unknown if isinstance(u, Mapping)))
    blind = sum(1 for u in unknown if isinstance(u, Mapping) and u.get("macs") is None)
    listed = f"({', '.join(names[:3])}{', ...' if len(names) > 3 else ''})"
    if metadata.get("capture") == "onnx":  # an ONNX import: no FLOP counter, no MACs counted
        return [f"{len(unknown)} imported ONNX node(s) of types cimsim has no mapping for {listed} "
                "ran as generic elementwise ops: one vector op per output element; any MACs they "
                "do are not counted"]
    note = (f"{len(unknown)} traced op(s) cimsim has no mapping for {listed} ran as generic "
            "elementwise ops: one vector op per output element, plus the MACs the FLOP counter gave them")
    if blind:
        note += f"; {blind} had no FLOP formula, so any MACs they do are not counted"
    packed = sum(1 for u in unknown if isinstance(u, Mapping) and u.get("packed_weights"))
    if packed:
        note += (f"; {packed} read packed parameters (e.g. a dynamically quantized Linear's), "
                 "whose weights are not counted either (not in the weight bytes, not read)")
    return [note]


def _computed_weight_notes(metadata) -> list[str]:
    """What a run of a trace whose matmuls read a matrix computed each forward from parameters
    (``weight_norm``, parametrize) or a constant tensor rests on (``metadata['computed_weights']``,
    :mod:`cimsim.workload.trace.computed`): those matrices are not stationary."""
    entries = metadata.get("computed_weights") if isinstance(metadata, Mapping) else None
    if not entries or not isinstance(entries, (list, tuple)) or \
            not all(isinstance(e, Mapping) and {"op", "from"} <= set(e) for e in entries):
        return []
    from ..workload.trace.computed import summary

    return [summary(entries)]


def _unread_notes(metadata) -> list[str]:
    """What a trace did not see (:mod:`cimsim.workload.trace.unread`): parameters its forward
    never read (not placed: a weight-stationary chip must still hold them), experts no token
    chose, work outside torch, samplers' grid values (the closed-form estimate stood in)."""
    if not isinstance(metadata, Mapping):
        return []
    from ..workload.trace.unread import estimate_notes, notes  # torch-free (a run needs no torch)
    try:
        return notes(metadata) + estimate_notes(dict(metadata))
    except (TypeError, KeyError, AttributeError, ValueError):  # a hand-edited entry: not said
        return []


def _latent_notes(components, metadata) -> list[str]:
    """A traced multi-head latent attention's note (``metadata['latent_attention']``: no matmul
    reads its cache as K or V) where a unit claims ``kv_cache``: why that PIM takes none."""
    mla = metadata.get("latent_attention") if isinstance(metadata, Mapping) else None
    claims = any("kv_cache" in (getattr(getattr(c, "config", None), "claims", None) or ())
                 for c in components)
    return [mla["note"]] if claims and isinstance(mla, Mapping) and mla.get("note") else []


def _sync_notes(components, wl) -> list[str]:
    """A processor's ``sync_overhead`` on a trace that records value reads (``metadata
    ['value_reads']``) but tags no op's ``host_syncs``: one made before find-F 4, so nothing is
    charged; say so and how to charge it (review F 1)."""
    reads = wl.metadata.get("value_reads") if isinstance(wl.metadata, Mapping) else None
    syncing = [c for c in components if float(getattr(getattr(c, "config", None), "sync_overhead", 0) or 0) > 0]
    if not syncing or not reads or not isinstance(reads, list) or wl.arrays.host_syncs is not None:
        return []
    n = sum(int(r.get("count", 1)) if isinstance(r, Mapping) else 1 for r in reads)
    where = ", ".join(f"{c.name}.sync_overhead {si(float(c.config.sync_overhead), 's')}" for c in syncing)
    return [f"{where} charges nothing: the trace records {n} host value read{'s' if n != 1 else ''} "
            "(metadata value_reads) but no op's host_syncs tag (traced before 2026-12-07); "
            "re-trace it with cimsim trace to charge each read"]


def _reuse_hint(pl, ops) -> str:
    """``, or cim.input_reuse: true (...)`` where a unit that could build its convolutions'
    windows from the raw input (a line buffer) forms their im2col matrices instead (find-C 7)."""
    if ops.im2col is None or not ops.im2col.any():
        return ""
    names = [c.name for c in pl.components
             if getattr(getattr(c, "config", None), "input_reuse", None) is False
             and getattr(getattr(c, "config", None), "chip", "x") is None]
    if not names:
        return ""
    formed = float(ops.act_out_bytes[ops.im2col].sum())
    return (f", or set {' / '.join(f'{n}.input_reuse' for n in names)}: true (the unit then builds "
            f"each convolution's windows from the raw input, as a line buffer, and the "
            f"{si(formed, 'B')} of im2col matrices are never formed)")


def _distinct(arch, what: str, names: list[str]) -> None:
    """Refuse two result entries of one name (one would overwrite the other in its dict: a
    CIM chip level named ``buffer`` took the buffers' energy part's place, silently)."""
    if len(set(names)) < len(names):
        twice = next(n for n in names if names.count(n) > 1)
        raise ComponentError(f"architecture '{arch.name}': two {what}s are named '{twice}' (a "
                             "component's and a memory level's, link's or on-chip bandwidth's); "
                             "give them distinct names")


def footprint_columns(fp, capacity: int, cache_apart: bool) -> dict[str, int]:
    """The :data:`~cimsim.report.columns.FOOTPRINT_COLUMNS` of the footprint ``fp`` the placement
    held to the backing store's ``capacity`` (B; the KV cache not in it when ``cache_apart``);
    empty without a footprint."""
    if fp is None:
        return {}
    held = fp.total - (fp.kv_cache if cache_apart else 0)
    return {C.FOOTPRINT_BYTES: int(fp.total), C.FOOTPRINT_WEIGHT_BYTES: int(fp.weights),
            C.FOOTPRINT_KV_CACHE_BYTES: int(fp.kv_cache), C.FOOTPRINT_ACTIVATION_BYTES: int(fp.activations),
            C.BACKING_CAPACITY_BYTES: int(capacity), C.BACKING_HEADROOM_BYTES: int(capacity) - int(held),
            C.KV_CACHE_PEAK_BYTES: int(fp.kv_cache_peak)}


def build_result(run: RunData, keep_ops: bool = True) -> Result:
    """The :class:`Result` of a run: energy, utilization, bound, critical path, traffic."""
    arch, pl, costs, latency = run.arch, run.placement, run.costs, run.latency_s
    check_latency(arch, float(latency))  # inf from an extreme input: one line naming it
    if not np.isfinite(latency) or latency < 0:
        raise AssertionError(f"the engine returned an impossible latency ({latency} s)")
    with np.errstate(over="ignore"):  # finite per op, inf in sum: check_energy names the field
        energy = {part: float(costs.energy[:, j].sum()) for j, part in enumerate(costs.parts)}
    _distinct(arch, "energy part", [*costs.parts, C.STATIC])
    energy[C.STATIC] = arch.static_power_w * latency

    ops = pl.arrays  # the columns its components placed the ops with
    hw = arch.hardware
    traffic = {r: float(costs.bytes[:, j].sum()) for j, r in enumerate(costs.resources)}
    writes = {r: float(costs.write_bytes[:, j].sum()) if costs.write_bytes is not None else 0.0
              for j, r in enumerate(costs.resources)}
    check_read_only(arch, writes, _reuse_hint(pl, ops))
    check_read_only_held(arch, run.workload, pl.folded)  # what it holds, unwritten (find-D 2)
    _distinct(arch, "utilization", [*(f"{c.name}_{u}" for c in pl.components for u in c.utilizations),
                                    *(C.resource_util(r) for r in costs.resources)])
    util, util_notes = run_utilization(arch, run, traffic)
    check_energy(arch, energy, C.STATIC, float(latency))
    for k, v in energy.items():
        if not np.isfinite(v) or v < 0:
            raise AssertionError(f"energy part {k} = {v} J is impossible (architecture '{arch.name}')")

    path_time = run.path_time if run.path_time is not None else attribute_path(
        run.path, run.start, run.end, costs.latency_s, costs.compute_s, run.resource_s,
        costs.resources, pl.serial, costs.pieces, costs.ahead)
    classes, shares = _split_compute(path_time, run, pl, costs)
    for c in arch.instances:  # a component's shared bandwidths: a buffer's is a memory bound
        classes.update(type(c).shared_classes(c.name, c.config, hw.technology))
    bound, part = bound_of(path_time, hw.memory, latency, run.critical_path_s, classes)
    detail = ""
    measured = _measured_ops(pl)
    if part == "compute" and measured is not None:
        share = measured_share(run.path, run.start, run.end, costs.latency_s, costs.compute_s,
                               run.resource_s, measured, pl.serial, costs.pieces, costs.ahead)
        if share > 0.5:
            detail = MEASURED_BOUND_DETAIL
    # compute time that is a memory's (a processor's single stream, a CIM chip's buffers:
    # compute parts of class memory) bounds as memory, not as compute
    # compute parts of class interconnect (a CIM chip's bus / NoC time) bound as a link
    mem_part, ic_part = _class_parts(pl, costs, "memory"), _class_parts(pl, costs, "interconnect")
    # a stage: the time each op holds its server, alone (the DES's hold: a serial op's transfers,
    # a chip's shared buffer and bus included, then its compute; its fixed latency)
    per_server = np.bincount(pl.server, weights=run.duration, minlength=pl.n_servers)
    compute_bound = np.bincount(pl.server, weights=costs.compute_s - mem_part - ic_part,
                                minlength=pl.n_servers)
    # the memory bound at each op's pattern rate (+ 0.0 when every op streams: bit-identical)
    slow = run.pattern_bytes if run.pattern_bytes is not None else np.zeros(len(costs.resources))
    held = costs.hold_s.sum(axis=0) * run.rates if costs.hold_s is not None else None
    memory_like = [r in hw.memory or classes.get(r) == "memory" for r in costs.resources]
    # a hold (a chip's shared level, bus-only ones too, a blocked PIM op's hold of its memory
    # level) is busy time, on links as on memory levels (as the utilization counts it)
    busy = [(traffic[r] + float(slow[j]) + (float(held[j]) if held is not None else 0.0))
            / run.rates[j] for j, r in enumerate(costs.resources)]
    mem_s = [t for t, m in zip(busy, memory_like) if m]
    link_s = [t for t, m in zip(busy, memory_like) if not m]
    if mem_part.any():
        mem_s.append(float(np.bincount(pl.server, weights=mem_part, minlength=pl.n_servers).max()))
    if ic_part.any():
        link_s.append(float(np.bincount(pl.server, weights=ic_part, minlength=pl.n_servers).max()))
    facts: dict[str, object] = dict(peak_facts(pl.components, ops))  # find-K 3: the peak op/s
    for comp in pl.components:
        for f, default in comp.facts.items():
            facts[C.fact_column(comp.name, f)] = default
    facts.update(pl.facts())
    wl = run.workload
    batch = recorded_batch(wl.metadata)
    if C.pipelined(arch):
        # each resource's occupancy: its bytes plus what ops hold it (hold_s x rate: e.g. a CIM
        # chip's shared buffer and bus cycles beyond bytes / rate)
        occupied = {r: traffic[r] + (float(held[j]) if held is not None else 0.0)
                    for j, r in enumerate(costs.resources)}
        facts.update(_stream_facts(pl, per_server, occupied, run.rates, costs.resources, batch,
                                   wl.macs, sum(energy.values()) - energy[C.STATIC], arch.static_power_w,
                                   # a chip that re-programs runs its samples one after another
                                   float(latency) if C.reprogrammed(arch.instances, facts) else 0.0))
    rates = dict(zip(costs.resources, run.rates.tolist()))  # programming time, the ridge
    if C.programs_weights(arch):  # deployment: reported, in neither the energy nor the latency
        held = [p.programming for p in pl.plans if p is not None and p.programming is not None]
        facts.update({C.PROGRAMMING_ENERGY_J: float(sum(p.energy_j for p in held)),
                      C.PROGRAMMING_TIME_S: float(sum(p.time_s(rates) for p in held))})
    rewrites = training_facts(arch, pl, wl.arrays, wl.metadata, facts, rates)  # find-O 1, 2, 4
    facts.update(per_sample_facts(wl.metadata, samples(wl, batch), float(latency), float(sum(energy.values()))),
                 **vector_facts(float(wl.arrays.vector_ops.sum()), float(latency)))  # find-D 2, find-R 5
    facts.update({**{C.static_power_column(p): w for p, w in _static_parts(arch).items()}, **C.node_facts(arch), **stack_facts(arch), **die_facts(arch)})  # find-C 3, find-B 1, find-D 2
    rated = [n for c in pl.components for n in c.rate_notes(run)]  # find-E 1: PIM's max_rows verdict
    notes = list(pl.notes) + rated + free_dispatch_notes(pl, run.path, float(latency)) + list(run.engine_notes) + util_notes + \
        (shared_level_notes(pl, costs, set(costs.resources) - set(hw.memory) - set(hw.links))
         if C.pipelined(arch) else [])
    areas = C.area_parts(arch)
    if C.PIPELINED_OPS_PER_S in facts:  # the stream's OPS/mm^2, beside one sample's
        a = sum(areas.values())
        facts[C.PIPELINED_OPS_PER_S_PER_M2] = facts[C.PIPELINED_OPS_PER_S] / a if a > 0 else math.nan
    if areas:
        bare = [c.name for c in arch.instances if not c.area_m2()]
        if bare:
            notes.append(f"area counts only the parts that declare one: none given for {', '.join(bare)}, "
                         "so area efficiency is an upper bound")
    if detail:
        notes.append(f"bound: {share:.1%} of the critical path's compute time comes from measured "
                     "tables (timed kernels), which already include the weight streaming of the "
                     "kernel; the memory traffic behind it is not split out")
    notes += _unknown_op_notes(wl.metadata) + _computed_weight_notes(wl.metadata) + \
        _unread_notes(wl.metadata) + _latent_notes(pl.components, wl.metadata) + _sync_notes(pl.components, wl) + bound_notes(wl) + \
        training_notes(arch, wl.metadata, facts, rewrites) + dispatch_notes(pl, wl.arrays) + conv_table_notes(pl, wl)
    t_prov, t_fractions, t_share, t_fields = latency_placeholders(arch, path_time, run, pl, costs)
    prov, e_share, a_share, e_fractions = placeholder_shares(arch, energy, areas, t_share)
    prov["latency"] = t_prov
    # a placeholder of 0 m^2 weighs nothing in the share: say which parts it leaves out
    if zero := [p for p, a in areas.items() if a == 0 and prov["area"].get(p) == "placeholder"]:
        notes.append(f"area of {', '.join(zero)}: not given (0 m², a placeholder), so area "
                     "efficiency is an upper bound")
    mixed = precision_notes(pl.components, pl.idx, run.workload.arrays)
    area, tdp = area_notes(arch), tdp_notes(pl, costs, energy, float(latency), arch.resource_static_w)
    notes += mixed + latency_notes(arch) + bonded_notes(arch) + stack_notes(arch) + flat_replication_notes(arch) + (physical := area + power_cap_notes(pl, costs) + tdp)
    total_dur = float(run.duration.sum())
    cp_s = run.critical_path_s
    result = Result(
        workload=wl.name,
        architecture=arch.name,
        engine=run.engine,
        latency_s=float(latency),
        energy_breakdown_j=energy,
        utilization=util,
        bound=bound,
        bound_part=part,
        path_time_s=path_time,
        critical_path_s=cp_s,
        critical_path_ops=int(len(run.critical_path)),
        critical_path_op_names=Taken(wl.columns.op_names, run.critical_path),  # named when read
        critical_path_op_s=run.duration[run.critical_path].tolist(),
        parallelism=total_dur / cp_s if cp_s > 0 else 1.0,
        bound_memory_s=float(max(mem_s)) if mem_s else 0.0, bound_link_s=float(max(link_s)) if link_s else 0.0,
        bound_compute_s=float(compute_bound.max()),
        macs=int(wl.macs), ops=len(wl.ops), samples=samples(wl, batch), **load.power_up(arch, pl.plans, rates),
        programmed=tuple(c.name for c, p in zip(pl.components, pl.plans) if p is not None and p.programming is not None),
        traffic_bytes=traffic,
        weight_bytes=int(wl.weight_bytes), activation_bytes=int(wl.activation_bytes),
        optimizer_state_bytes=int(wl.optimizer_state_bytes) or None,
        ops_per_unit={c.name: int(len(ids)) for c, ids in zip(pl.components, pl.idx)},
        macs_per_unit={c.name: int(ops.macs[ids].sum()) for c, ids in zip(pl.components, pl.idx)},
        facts=facts, home_weight_bytes={c.name: dict(p.home_weight_bytes) for c, p in zip(pl.components, pl.plans)
                                        if p is not None and p.home_weight_bytes},
        area_breakdown_m2=areas,
        notes=notes,
        bound_detail=detail,
        realized_path_ops=int(len(run.path)),
        critical_path_serial_steps=path_serial_steps(run.workload, run.critical_path),
        graph_depth_serial_steps=run.workload.graph_depth[0], graph_depth_ops=run.workload.graph_depth[1],
        energy_placeholder_share=e_share,
        area_placeholder_share=a_share,
        latency_placeholder_share=t_share,
        provenance=prov,
        energy_placeholder_fraction=e_fractions,
        latency_placeholder_fraction=t_fractions, latency_placeholder_fields=t_fields,
        precision_mismatch=bool(mixed),
        extrapolated=any(c.extrapolated() for c, p in zip(pl.components, pl.plans) if p is not None),
        claim_notes=list(pl.claim_notes) + rated,
        physical_notes=physical,
        implausible_notes=implausible(area, tdp),
        write_bytes=writes,
        backing_store=hw.backing_store, home_tiers=hw.home_tiers, off_chip_levels=hw.off_chip,
        off_chip_components=offchip_components(pl.components, hw.off_chip),
        ridge_ops_per_backing_byte=backing_ridge(pl.components, pl.idx, ops, home_rates(
            rates, hw.home_tiers, traffic), hw.backing_store),
        ridge_ops_per_byte_by_level=level_ridges(pl.components, pl.idx, ops, rates, list(hw.memory),
                                                 hw.backing_store),
        footprint=footprint_columns(pl.footprint, pl.capacity_bytes, pl.cache_apart),
    )
    # an area too small for a float (the power density's overflow: check_figures, below)
    if math.isinf(result.ops_per_s_per_m2) or math.isinf(facts.get(C.PIPELINED_OPS_PER_S_PER_M2, 0.0)):
        raise ComponentError(f"the declared area ({si(result.area_m2, 'm²')}) is too small: OPS per "
                             "m² overflows; give each area in its unit (e.g. 0.5 mm^2)")
    llm = wl.metadata.get("llm")
    # a tensor-parallel share runs on each of `tp` devices at once: the tokens are the whole
    # batch's, so tokens/J divides them by all the devices' energy, not the one simulated
    tp = tensor_parallel_of(wl.metadata) if isinstance(llm, dict) else 1
    result.serving = serving_metrics(llm, run.end, float(latency), tp * result.energy_j)
    if result.serving and tp > 1:
        stages = int(llm["pipeline"]["stages"]) if isinstance(llm.get("pipeline"), dict) else 1
        each = f" on each of its {stages} pipeline stages" if stages > 1 else ""
        result.one_device_share, result.tensor_parallel = True, tp
        result.notes.append(f"tensor parallel: the workload is one of {tp} devices' shares{each}; "
                            f"latency and energy are one device's, tokens/J counts the energy of all "
                            f"{tp * stages} devices")
    for note in (verify_note(wl.metadata), graph_note(wl.metadata),
                 encoder_tp_note(wl.metadata)) if result.serving else ():
        result.notes += [note] if note else []  # the draft model is not in it; a CUDA graph
    if result.serving and run.engine == "analytic" and latency > cp_s * (1 + 1e-9):
        result.notes.append(
            f"{ANALYTIC_SERVING_NOTE} "
            f"take each op's end with ops alone (the dependency path, {si(cp_s, 's')}), not the "
            f"latency ({si(float(latency), 's')}) the busiest unit or link sets: lower bounds "
            "that tokens/s and tokens/J (over the latency) do not share; use --engine des")
    elif result.serving and run.engine == "analytic":  # the latency is the path: no gap shows
        result.notes.append(
            f"{ANALYTIC_SERVING_NOTE} and the latency are lower bounds (each op alone, as early "
            "as its dependencies allow); the DES, which runs each unit's ops one after another, "
            "can be much longer (a new user's sram-cim serving run: time to first token 1.215 s "
            "analytic, 2.894 s DES); use --engine des for serving figures")
    if isinstance(llm, dict) and "pipeline" in llm:  # p devices, m micro-batches (GPipe)
        from .pipeline import apply_pipeline
        apply_pipeline(result, llm, wl, run.end, tp, float(latency), samples(wl, batch))
    if result.one_device_share and result.pipeline_span_s is None:  # all the devices' energy, as tokens/J
        result.facts.update(per_sample_facts(wl.metadata, samples(wl, batch), float(latency), result.system_energy_j))
    if result.serving:  # per phase (prefill, decode), from the ops' phase tags: one device's, as latency_s
        result.serving.update(phase_figures(run, classes, arch.static_power_w, result.notes))
    result.serving_requests = take_requests(result.serving)
    result.models = model_figures(wl.metadata, run, costs.energy.sum(axis=1), result.notes)
    if result.serving:  # the batch it served, for plots against batch size
        b = (ps.get("full_batch", ps.get("batch")) if isinstance(ps := wl.metadata.get("params"), dict) else None)
        result.serving[C.LLM_BATCH] = int(b) if isinstance(b, int) and not isinstance(b, bool) else math.nan  # 4, not 4.0
    check_figures(arch, result)  # OPS/W over a subnormal energy, ...: no inf in --json
    thermal.apply(arch, result)  # t_junction_c, where the config has a thermal: block (find-B 5)
    if keep_ops:
        result.op_table = _op_table(run)
        result.path_table = attribute_ops(run.path, run.start, run.end, costs.latency_s,
                                          costs.compute_s, run.resource_s, costs.resources, pl.serial,
                                          costs.pieces, costs.ahead)
        if shares:  # the components' compute parts, op by op (as in path_time_s)
            comp = result.path_table["compute_s"].to_numpy()
            moved = np.zeros_like(comp)
            for key, sh in shares.items():
                result.path_table[f"{key}_s"] = comp * sh
                moved += comp * sh
            result.path_table["compute_s"] = np.maximum(0.0, comp - moved)
        if run.engine != "des" and run.path is not run.critical_path:  # set by a unit or link
            _analytic_path_table(result.path_table, run, costs)
    return result


def _static_parts(arch) -> dict[str, float]:
    """:func:`~cimsim.report.columns.static_power_parts`; a bad split, or two parts of one column, refused."""
    for c in arch.instances:
        try:
            static_split(c)
        except ValueError as exc:
            raise ComponentError(f"component '{c.name}' ({c.type_name}): {exc}") from None
    if clash := [w for f, w in C.column_clashes(arch) if "static power" in w]:
        raise ComponentError(clash[0])
    return C.static_power_parts(arch)


def _analytic_path_table(pt, run: RunData, costs) -> None:
    """An analytic run's path ops, when the busiest unit or a link sets its latency, one after
    another from 0 (the unit's ops back to back, as the model runs them), and, when a
    link's bytes at its rate set the latency (``run.path_time``), each op's part that link's
    transfer alone: the rows then sum to the latency, as the path parts do."""
    parts = [c for c in pt.columns if c.endswith("_s") and c not in ("start_s", "end_s")]
    if run.path_time is not None:
        j = max(range(len(costs.resources)), key=lambda i: run.path_time[costs.resources[i]])
        for c in parts:
            pt[c] = 0.0
        pt[f"{costs.resources[j]}_s"] = run.resource_s[pt["op_index"].to_numpy(), j]
    width = pt[parts].to_numpy().sum(axis=1) if len(pt) else np.zeros(0)
    end = np.cumsum(width)
    pt["end_s"] = end
    pt["start_s"] = np.concatenate(([0.0], end[:-1]))


def _split_compute(path_time: dict[str, float], run: RunData, pl, costs):
    """Move ``run.path``'s compute time that components report as named parts (``OpCost.compute_parts``:
    a CIM chip's buffers) into ``<component>_<part>``, op by op by compute time; each new part's
    bound class and per part each path op's share of its compute time (no parts: no change)."""
    classes: dict[str, str] = {}
    sub: dict[str, np.ndarray] = {}
    for comp in pl.components:  # every declared part has its column, 0 where no op reports it
        for p, cls in comp.compute_parts.items():
            classes[f"{comp.name}_{p}"] = cls
            path_time.setdefault(f"{comp.name}_{p}", 0.0)
    for comp, ids, cost in zip(pl.components, pl.idx, costs.component_costs):
        if cost is None or not cost.compute_parts:
            continue
        for p, sec in cost.compute_parts.items():
            sub.setdefault(f"{comp.name}_{p}", np.zeros(pl.n_ops))[ids] = sec
    if not sub or len(run.path) == 0:
        for key in sub:
            path_time[key] = 0.0
        return classes, {k: np.zeros(len(run.path)) for k in classes}
    p = np.asarray(run.path, dtype=np.int64)
    table = attribute_ops(p, run.start, run.end, costs.latency_s, costs.compute_s, run.resource_s,
                          costs.resources, pl.serial, costs.pieces, costs.ahead)
    comp_part = table["compute_s"].to_numpy()
    cs = costs.compute_s[p]
    moved = 0.0
    shares = {}
    for key, sec in sub.items():
        with np.errstate(divide="ignore", invalid="ignore"):
            shares[key] = np.where(cs > 0, sec[p] / cs, 0.0)
        path_time[key] = float((comp_part * shares[key]).sum())
        moved += path_time[key]
    # parts given whole (an analytic run a link's bytes set: no compute on its path) keep their
    # sum: what moves out of compute is at most what compute has
    if moved > path_time["compute"]:
        scale = path_time["compute"] / moved
        for key in sub:
            path_time[key] *= scale
        moved = path_time["compute"]
    path_time["compute"] = max(0.0, path_time["compute"] - moved)
    for key in classes:  # a declared part no op reported: 0 on every path op
        shares.setdefault(key, np.zeros(len(p)))
    return classes, shares


def _stream_facts(pl, per_server, traffic, rates, resources, samples: int, macs,
                  dynamic_j: float, static_w: float, one_stage_s: float = 0.0) -> dict:
    """The pipeline columns (:data:`columns.PIPELINE_COLUMNS`): the steady state of a stream
    (:func:`cimsim.report.stream.steady_state`) from each server's compute time and each
    resource's bytes / rate; energy per sample = the run's dynamic energy per sample + static
    power x interval. ``one_stage_s``: the run's latency where the arrays are re-programmed
    (one stage, no layers overlapping: samples follow one another, each its share of the run at
    least; a server's compute time leaves out the weights' serial transfers)."""
    from .stream import steady_state

    labels = [""] * pl.n_servers
    for comp, ids, plan in zip(pl.components, pl.idx, pl.plans):
        if plan is None:
            continue
        first = int(pl.server[ids[0]]) - int(plan.server[0])
        own = list(plan.server_labels) or ([comp.name] if plan.n_servers == 1 else
                                           [f"{comp.name}#{i}" for i in range(plan.n_servers)])
        labels[first:first + plan.n_servers] = own
    res = {r: traffic[r] / rates[j] for j, r in enumerate(resources) if rates[j] > 0}
    st = steady_state(per_server, labels, res, samples)
    n = max(samples, 1)
    interval, limit = st.interval_s, st.limit
    if one_stage_s > 0:  # its one server's ops alone sum to the latency at most (rounding aside)
        interval, limit = max(interval, one_stage_s / n), "a sample's latency, an upper bound"
    j = dynamic_j / n + static_w * interval
    rate = 1.0 / interval if interval > 0 else float("inf")
    return {C.PIPELINE_INTERVAL_S: interval, C.PIPELINED_SAMPLES_PER_S: rate,
            C.PIPELINED_OPS_PER_S: 2.0 * float(macs) / n * rate,
            C.PIPELINE_LIMIT: limit, C.PIPELINED_J_PER_SAMPLE: j,
            C.PIPELINED_OPS_PER_J: 2.0 * float(macs) / n / j if j > 0 else float("nan")}


#: the start of an analytic serving run's note on its lower bounds (``compare`` repeats it)
ANALYTIC_SERVING_NOTE = "analytic engine: time to first token, time per output token and decode tokens/s"


def _class_parts(pl, costs, cls: str) -> np.ndarray:
    """Per op, the seconds of its compute time in compute parts of class ``cls``."""
    out = np.zeros(pl.n_ops)
    for comp, ids, cost in zip(pl.components, pl.idx, costs.component_costs):
        for p, sec in (cost.compute_parts.items() if cost is not None else ()):
            if comp.compute_parts.get(p) == cls:
                out[ids] += sec
    return out


def _measured_ops(pl) -> np.ndarray | None:
    """A bool per op: its compute time comes from a measured table (``MEASURED_COMPUTE``, a
    component's op column); None when no component marks any."""
    out = None
    for ids, plan in zip(pl.idx, pl.plans):
        col = plan.op_columns.get(MEASURED_COMPUTE) if plan is not None else None
        if col is not None:
            out = np.zeros(pl.n_ops, dtype=bool) if out is None else out
            out[ids] = np.asarray(col, dtype=bool)
    return out


def _op_table(run: RunData):
    import pandas as pd

    from ..workload.kinds import OP_KINDS

    pl, costs, wl = run.placement, run.costs, run.workload
    cols = {  # from the columns (building every Op object cost ~97 % of a large run's table)
        "op": wl.columns.op_names.tolist(),
        "kind": np.asarray(OP_KINDS, dtype=object)[wl.columns.kind.astype(np.int64)],
        "unit": pl.unit_names,
        "server": pl.server,
        "macs": wl.arrays.macs,
        "vector_ops": wl.arrays.vector_ops,
    }
    for j, r in enumerate(costs.resources):
        cols[C.bytes_column(r)] = costs.bytes[:, j]
    cols.update({
        "compute_s": costs.compute_s,
        C.OP_FIXED_LATENCY: costs.latency_s,
        "duration_s": run.duration,
        "start_s": run.start,
        "end_s": run.end,
        "energy_j": costs.energy.sum(axis=1),
    })
    cols.update(pl.op_columns())
    return pd.DataFrame(cols)
