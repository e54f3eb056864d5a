"""Where a run's energy, area and latency come from: each part's numbers ``given``, ``derived``
(circuit models) or ``placeholder`` (resting on a value the config marks (U), or left at an
unsourced default), and the share of the total resting on placeholders.

A component says it for its own parts (``Component.provenance(marks)``); a memory level or link
is a placeholder when its energy (area) field is marked. Static energy is split over the
components by their static power: the share of components whose ``static_power`` is marked
counts.

Latency: each part of the critical path's time (``critical_path_time_s``) rests on the time
fields of what it is named after (:func:`latency_placeholders`): a memory level's or link's part
(its bytes over its rate) on the level's or link's fields other than its energies, area, static
power, capacity and latency (bandwidth, ``sustained_fraction``, ...); ``compute`` and a
component's parts on the component's fields other than those and its overheads (clock, read
latency, array size, ...), its ``write_*`` fields only where the run re-programs (its plan's
``reprograms`` above 0: resident weights are never written during a run), op by op where
components differ; ``overhead`` (each op's fixed latency) on its component's ``*overhead*``
fields and the ``latency`` of each level and link the op moves bytes on (the one part a
level's latency is paid in). Static energy (static power x latency) then rests on placeholders
when either factor does: its fraction is ``1 - (1 - p)(1 - l)``, p the static-power fraction,
l the latency share. A mark on any time field counts the whole part, so the share is an upper
bound where the field moves the part little. Nothing here names a device type.
"""

from __future__ import annotations

import math

import numpy as np

from ..units import si

PROVENANCES = ("given", "derived", "placeholder")

#: words of a field whose value does not set any time: a mark on it leaves the latency alone
TIMELESS = ("energy", "area", "static_power", "capacity", "endurance", "tdp")


def _resource(prefix: str, fields: tuple[str, ...], marks) -> str:
    return "placeholder" if any(f"{prefix}.{f}" in marks for f in fields) else "given"


def part_provenance(arch) -> dict[str, dict[str, str]]:
    """``{"energy": {part: p}, "area": {part: p}}`` keyed as the result's breakdowns
    (``<component>_<part>``, level and link names, ``static``)."""
    marks = arch.placeholders
    energy: dict[str, str] = {}
    area: dict[str, str] = {}
    static_w = {"placeholder": 0.0, "other": 0.0}
    static_derived = False
    for comp in arch.instances:
        p = comp.provenance(marks)
        energy.update({f"{comp.name}_{k}": v for k, v in p["energy"].items()})
        area.update({f"{comp.name}_{k}": v for k, v in p["area"].items()})
        key = "placeholder" if p["static"] == "placeholder" else "other"
        static_w[key] += comp.static_power_w
        static_derived |= p["static"] == "derived"
    for lv, m in arch.memory.items():
        energy[lv] = _resource(f"memory.{lv}", ("energy_per_byte", "energy_per_bit"), marks)
        if m.area is not None:
            area[lv] = _resource(f"memory.{lv}", ("area",), marks)
    for ln in arch.links:
        energy[ln] = _resource(f"links.{ln}", ("energy_per_bit",), marks)
    for r, w in arch.resource_static_w.items():
        where = "memory" if r in arch.memory else "links"
        static_w[_resource(f"{where}.{r}", ("static_power",), marks).replace("given", "other")] += w
    total = static_w["placeholder"] + static_w["other"]
    energy["static"] = ("placeholder" if total > 0 and static_w["placeholder"] == total
                        else "derived" if static_derived else "given")
    return {"energy": energy, "area": area, "static_placeholder_fraction":
            static_w["placeholder"] / total if total > 0 else 0.0}


def placeholder_shares(arch, energy_j: dict, area_m2: dict,
                       latency_share: float = 0.0) -> tuple[dict, float, float, dict]:
    """``(provenance, energy share, area share, part fractions)``: the fraction of the total
    energy and area resting on placeholders (energy: 0 when the total is 0; area: NaN, null in
    JSON, when no part declares one, as :attr:`Result.area_m2`), and per energy part the fraction
    of its own energy resting on placeholders, for the parts where it is above 0 (1 for a
    placeholder part). Static energy (static power x latency) counts by the static power of the
    components whose ``static_power`` is marked (p) and by ``latency_share`` (l, from
    :func:`latency_placeholders`): ``1 - (1 - p)(1 - l)`` of it, so it may rest on placeholders
    in part (its label says ``placeholder`` only when all of it does)."""
    prov = part_provenance(arch)
    frac_static = 1.0 - (1.0 - prov.pop("static_placeholder_fraction")) * (1.0 - latency_share)
    if frac_static >= 1.0:
        prov["energy"]["static"] = "placeholder"
    fractions = {part: frac_static if part == "static" else 1.0 for part in energy_j
                 if part == "static" and frac_static > 0 or prov["energy"].get(part) == "placeholder"}
    e_total = sum(energy_j.values())
    e_ph = sum(energy_j[part] * f for part, f in fractions.items())
    a_total = sum(area_m2.values())
    a_ph = sum(a for part, a in area_m2.items() if prov["area"].get(part) == "placeholder")
    return (prov, e_ph / e_total if e_total > 0 else 0.0,
            a_ph / a_total if a_total > 0 else math.nan, fractions)


def _own(marks, prefix: str) -> list[str]:
    """The marked fields under ``prefix``, relative to it, sorted (the marks are a set)."""
    return sorted(m[len(prefix) + 1:] for m in marks if m.startswith(prefix + "."))


def _timed(fields: list[str]) -> list[str]:
    """The fields of ``fields`` that set some time (none of :data:`TIMELESS`'s words)."""
    return [f for f in fields if not any(w in f for w in TIMELESS)]


def _writes(field: str) -> bool:
    """A component's field of writing its weights (``write_latency``, ``write_verify_pulses``):
    it times re-programming alone."""
    return field.rsplit(".", 1)[-1].startswith("write_")


def _by_op(flags: np.ndarray, seconds: np.ndarray) -> float:
    """The fraction of ``seconds`` (per path op) on the ops ``flags`` marks; 0 for none."""
    total = float(seconds.sum())
    return float(seconds[flags].sum()) / total if total > 0 else 0.0


def _component_fields(marks, pl) -> tuple[list[list[str]], list[list[str]]]:
    """Per component, its marked time fields other than its overheads, and its marked
    ``*overhead*`` fields, as full paths. ``write_*`` fields count only for a component whose
    run re-programs (its plan's ``reprograms`` above 0): a run of resident weights never pays
    them."""
    rate, over = [], []
    for comp, plan in zip(pl.components, pl.plans):
        own = _timed(_own(marks, comp.name))
        writes = plan is not None and plan.summary.get("reprograms", 0) > 0
        rate.append([f"{comp.name}.{f}" for f in own if "overhead" not in f
                     and (writes or not _writes(f))])
        over.append([f"{comp.name}.{f}" for f in own if "overhead" in f])
    return rate, over


def latency_placeholders(arch, path_time: dict, run, pl, costs) -> tuple[dict, dict, float, dict]:
    """``(labels, fractions, share, fields)`` of the critical path's time (``path_time``, the
    result's ``critical_path_time_s``): per part ``given`` or ``placeholder`` (``placeholder``
    only when all of it rests on placeholders), per part the fraction of its time resting on
    placeholders where above 0, the share of the whole path's time that does (0 for an empty
    path), and per such part the marked fields it rests on (full paths). The rule is the
    module's; ``run``, ``pl``, ``costs``: the run's path and per-op times, its placement and
    cost table (only read where components differ)."""
    marks = arch.placeholders
    res_rate, res_lat = {}, {}
    for where, names in (("memory", arch.memory), ("links", arch.links)):
        for r in names:  # a level's latency is each op's fixed latency: the overhead part's
            own = [f"{where}.{r}.{f}" for f in _timed(_own(marks, f"{where}.{r}"))]
            res_rate[r] = [f for f in own if "latency" not in f.rsplit(".", 1)[-1]]
            res_lat[r] = [f for f in own if "latency" in f.rsplit(".", 1)[-1]]
    rate_fields, over_fields = _component_fields(marks, pl)
    comp_rate = np.array([bool(f) for f in rate_fields], dtype=bool)
    comp_over = np.array([bool(f) for f in over_fields], dtype=bool)
    frac: dict[str, float] = {}
    fields: dict[str, list[str]] = {}
    p = np.asarray(run.path, dtype=np.int64)
    table = None
    if len(p) and (0 < comp_rate.sum() < len(comp_rate) or (not comp_over.all() and
                                                            (comp_over.any() or any(res_lat.values())))):
        from .result import attribute_ops
        table = attribute_ops(p, run.start, run.end, costs.latency_s, costs.compute_s,
                              run.resource_s, costs.resources, pl.serial, costs.pieces, costs.ahead)
    comp = pl.component[p]
    on_path = sorted(set(comp.tolist()))
    for part in path_time:
        if part in res_rate:
            frac[part], fields[part] = float(bool(res_rate[part])), res_rate[part]
        elif part == "compute":
            frac[part] = (float(comp_rate.all()) if table is None or comp_rate.all() or not comp_rate.any()
                          else _by_op(comp_rate[comp], table["compute_s"].to_numpy()))
            fields[part] = [f for i in on_path for f in rate_fields[i]]
        elif part == "overhead":
            lat = np.array([bool(res_lat.get(r)) for r in costs.resources], dtype=bool)
            touched = run.resource_s[p][:, lat] > 0  # (path ops x marked latencies)
            lats = [r for r, t in zip(np.asarray(costs.resources)[lat], touched.any(axis=0)) if t]
            if table is None or comp_over.all():
                frac[part] = float(comp_over.all())
            else:
                frac[part] = _by_op(comp_over[comp] | touched.any(axis=1),
                                    table["overhead_s"].to_numpy())
            # an op_overhead left at its unstated 0 s first: it is in none of the path's time
            fields[part] = [f"unset {c.name}.op_overhead" for c, free, _ in free_dispatch(pl)
                            if np.isin(p, free).any()] + \
                [f for i in on_path for f in over_fields[i]] + [f for r in lats for f in res_lat[r]]
        else:  # a component's part (<component>_<part>): its component's time fields
            names = [c.name for c in pl.components]
            owner = [i for i, n in enumerate(names) if part.startswith(f"{n}_")]
            i = max(owner, key=lambda i: len(names[i])) if owner else None
            frac[part] = float(i is not None and comp_rate[i])
            fields[part] = rate_fields[i] if i is not None else []
    total = sum(path_time.values())
    share = sum(t * frac[k] for k, t in path_time.items()) / total if total > 0 else 0.0
    labels = {k: "placeholder" if f >= 1.0 else "given" for k, f in frac.items()}
    return (labels, {k: f for k, f in frac.items() if f > 0}, float(share),
            {k: fields[k] for k, f in frac.items() if f > 0})


def free_dispatch(pl):
    """``(component, its free ops, the host)`` per component whose ``op_overhead`` is left at its
    unstated 0 s default (:attr:`cimsim.hw.plan.Plan.free_dispatch`); the host: the first
    component that states its ``op_overhead`` (None if none does)."""
    stated = [c for c in pl.components if "op_overhead" in getattr(c.config, "model_fields_set", ())]
    return [(c, plan.free_dispatch, stated[0] if stated else None)
            for c, plan in zip(pl.components, pl.plans)
            if plan is not None and plan.free_dispatch is not None and len(plan.free_dispatch)]


def free_dispatch_notes(pl, path, latency: float) -> list[str]:
    """Per component that dispatches its ops for free by default (:func:`free_dispatch`), a note
    naming the field, with the latency were each of its ops to pay the host's stated
    ``op_overhead``: the run's latency + (its ops on the critical path) x that, and at most + (all
    its ops) x that, where they would all be serial."""
    out, path = [], np.asarray(path, dtype=np.int64)
    for comp, free, host in free_dispatch(pl):
        n, k = len(free), int(np.isin(path, free).sum())
        text = (f"{comp.name}: its {n:,} op(s) are dispatched at no cost ({comp.name}.op_overhead: "
                "0 s, an unstated default placeholder)")
        if host is not None and (o := float(host.config.op_overhead)) > 0 and latency > 0:
            text += (f"; at {host.name}.op_overhead ({si(o, 's')}) each, its {k:,} op(s) on the "
                     f"critical path would make the latency about {si(latency + k * o, 's')}, not "
                     f"{si(latency, 's')} (+{100 * k * o / latency:.1f} %; at most "
                     f"{si(latency + n * o, 's')} were all {n:,} serial)")
        out.append(text + f": set {comp.name}.op_overhead")
    return out


def placeholder_warning(r, see: str = "see `--json` provenance") -> str:
    """One line when more than half of the energy or of the latency rests on placeholders,
    else ''; it ends with ``see``, where the reader finds more."""
    from . import columns as C

    e_big = r.energy_placeholder_share > C.PLACEHOLDER_WARN_SHARE
    t_big = r.latency_placeholder_share > C.PLACEHOLDER_WARN_SHARE
    if not (e_big or t_big):
        return ""
    out = []
    if e_big:  # the parts behind the share, largest placeholder energy first; a part resting
        # on placeholders in part (static power of which some components' is marked, or static
        # energy over a latency resting on placeholders in part) says how much
        out.append(f"{_pct(r.energy_placeholder_share)} of the energy rests on placeholder values "
                   f"((U) or unsourced defaults: "
                   f"{_named(r.energy_breakdown_j, r.energy_placeholder_fraction)})")
    if t_big:
        out.append(f"{_pct(r.latency_placeholder_share)} of the latency (critical path) rests on "
                   "placeholder rates, latencies or overheads: "
                   f"{_named(r.path_time_s, r.latency_placeholder_fraction, r.latency_placeholder_fields)}")
    return f"warning: {'; '.join(out)}; {see}"


def _pct(x: float) -> str:
    """A share as the CLI writes percentages: the number, a space, '%' (one wrapped cell keeps
    them together)."""
    return f"{100 * x:.0f} %"


#: marked fields a part names in the warning; more are counted ("and 5 more")
NAMED_FIELDS = 3


def _named(parts: dict, fractions: dict, fields: dict | None = None) -> str:
    """The parts resting on placeholders, largest placeholder amount first; a part that does in
    part says how much of it; with ``fields``, each part's marked fields after it
    (``dram (memory.dram.sustained_fraction)``, at most :data:`NAMED_FIELDS` of them)."""
    named = sorted(((k, f) for k, f in fractions.items() if parts.get(k)),
                   key=lambda kf: -parts[kf[0]] * kf[1])
    out = []
    for k, f in named:
        what = [] if f >= 1 else [f"{_pct(f)} of it"]
        if marked := (fields or {}).get(k):
            more = len(marked) - NAMED_FIELDS
            what.append(", ".join(marked[:NAMED_FIELDS]) + (f" and {more} more" if more > 0 else ""))
        out.append(f"{k} ({': '.join(what)})" if what else k)
    return ", ".join(out)


#: dtypes whose values are integers of their byte width (the rest are floating point)
INTEGER_DTYPES = ("int8",)
#: weight-only integer formats (int4, int2: an LLM's --weight-dtype, a hand-edited trace):
#: b-bit weights x the op dtype's inputs, no mismatch on a component of those bits
WEIGHT_INTS = ("int4", "int2")


def precision_notes(components, idx, ops) -> list[str]:
    """One note per component that computes at a fixed precision (``compute_bits``) other than
    its ops' dtypes: the run then compares unlike precisions (issue 17, item 5). ``idx``: each
    component's op indices; ``ops``: the workload's OpArrays (each op's dtype, and the dtype its
    weight is stored in: int4 weights of an int8 matmul are 4-bit weights x 8-bit inputs)."""
    from ..dtypes import DTYPE_BYTES, DTYPES

    dtypes, weights = ops.dtype, _weight_dtypes(ops)
    out = []
    for comp, ids in zip(components, idx):
        bits, own = comp.compute_bits(), comp.compute_dtype()
        if (bits is None and own is None) or len(ids) == 0:
            continue
        # compute dtypes only: an op of a storage-only dtype (a bool mask, int64 indices) that a
        # chip's periphery runs does no MACs at the component's precision
        seen = sorted(set(str(d) for d in dtypes[ids]) & set(DTYPES))
        if bits is None:  # a number format of its own (a PIM unit's FP16)
            if bad := [d for d in seen if d != own]:
                out.append(f"precision mismatch: {comp.name} computes in {own}, but its ops are "
                           f"{', '.join(bad)} in the workload; another unit running the same "
                           f"trace computes at the trace's dtype, so a comparison mixes "
                           f"precisions (trace with --dtype {own}, or set the component's "
                           "precision to match)")
            continue
        # each operand: an int8 trace on a CIM of 4-bit weights (or inputs) is as much a
        # mismatch as on a 16-bit one (a GPU running the trace computes int8 x int8); the
        # weights at the dtype they are stored in, or a tagged layer's weight_value_bits where
        # narrower (its values are that many bits: held there, it matches; review X 5)
        held = _held_bits(comp, ops, ids, bits[0])  # a CIM's weight_value_bits (.hw.cim.wbits)
        tag = _tags(comp, ops, ids)
        keys = [(str(d), str(w), None if t != t else float(t)) if d in DTYPES else None
                for d, w, t in zip(dtypes[ids], weights[ids], tag)]
        wrong = np.array([k is not None and (
            k[0] not in INTEGER_DTYPES or k[1] not in (*INTEGER_DTYPES, *WEIGHT_INTS)
            or min(DTYPE_BYTES[k[1]] * 8, math.inf if k[2] is None else k[2]) != b
            or DTYPE_BYTES[k[0]] * 8 != bits[1]) for k, b in zip(keys, held)], dtype=bool)
        if wrong.any():
            out.append(_mismatch_note(comp, bits, ops, ids, keys, wrong))
    return out


def _tags(comp, ops, ids) -> np.ndarray:
    """Each op's ``weight_value_bits`` on a CIM (NaN where untagged, or not a CIM)."""
    act = ops.activity
    if act is None or act.weight_value_bits is None or not hasattr(
            getattr(comp, "config", None), "bits_per_cell"):
        return np.full(len(ids), np.nan)
    return np.asarray(act.weight_value_bits[ids], dtype=float)


def _mismatch_note(comp, bits, ops, ids, keys, wrong) -> str:
    """The note of a fixed-precision component whose ops ``ids[wrong]`` mismatch its ``bits``:
    each (dtype, weight dtype, tag), with its op count out of all its compute ops where some
    match, and a remedy
    that keeps the matching ones matched (review DH 3): where some ops match, changing the
    component's bits would break them, so the remedy is for the mismatching ones alone."""
    from collections import Counter

    total, n_bad = sum(k is not None for k in keys), int(wrong.sum())
    count = Counter(keys[i] for i in np.flatnonzero(wrong))
    said = ", ".join((d if w == d else f"{d} with {w} weights")
                     + ("" if t is None else f" tagged weight_value_bits {t:g}")
                     + (f" ({n:,} of {total:,} ops)" if n_bad < total else "")
                     for (d, w, t), n in sorted(count.items(), key=str))
    bad = sorted({(d, w) for d, w, _ in count})
    if n_bad < total:
        fix = _partial_fix(bits, comp, bad, ops, ids[wrong], total - n_bad)
    else:
        fix = (_weight_fix(bits, comp, bad) or _precision_fix(bits, comp)) + _tag_hint(bits, comp, bad)
    return (f"precision mismatch: {comp.name} computes {bits[0]}-bit weights x {bits[1]}-bit "
            f"inputs, but its ops are {said} in the workload; another unit running the same "
            f"trace computes at the trace's dtype, so a comparison mixes precisions ({fix})")


def _partial_fix(bits, comp, bad, ops, wrong_ids, matched: int) -> str:
    """The remedy where ``matched`` ops already match ``comp``'s bits (review DH 3): tag the
    narrower-stored layers, or keep the mismatching ops off it (``exclude``, naming up to 3 of
    their weights), never its bits, which would break the matched ones."""
    from ..dtypes import DTYPE_BYTES

    keep = f"the other {matched:,} ops match its bits, so leave them as they are: "
    celled = hasattr(getattr(comp, "config", None), "bits_per_cell")
    if celled and all(w in WEIGHT_INTS and d in INTEGER_DTYPES and DTYPE_BYTES[d] * 8 == bits[1]
                      for d, w in bad):
        return keep + "tag the narrower-stored layers' matmuls weight_value_bits (their stored bits)"
    st = np.asarray(ops.stationary)[wrong_ids]
    names = list(dict.fromkeys(ops.tensor_names[int(t)] for t in st[st >= 0]))
    if not names:
        return keep + "trace the mismatching ops at a matching dtype"
    shown = ", ".join(f"'{n}'" for n in names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    return (keep + f"keep the mismatching ones off it to run them on the host ({comp.name}.exclude: "
            f"[{shown}], globs over weight names)" + ("" if hasattr(
                getattr(comp, "config", None), "exclude") else " or on another unit"))


def _tag_hint(bits, comp, bad) -> str:
    """(review DH 4) On a CIM, weights stored int4/int2 under a float op dtype are held at
    ``weight_bits`` (a dtype is not read as bits): point to the tag that holds them narrower."""
    from ..dtypes import DTYPE_BYTES

    if not hasattr(getattr(comp, "config", None), "bits_per_cell"):
        return ""
    narrow = sorted({w for d, w in bad if d not in INTEGER_DTYPES and w in WEIGHT_INTS})
    if not narrow:
        return ""
    b = ", ".join(f"{int(DTYPE_BYTES[w] * 8)}" for w in narrow)
    return (f"; its {', '.join(narrow)}-stored weights are held at weight_bits {bits[0]} under a "
            f"float op dtype: tag their layers' matmuls weight_value_bits {b} to hold them at that")


def _held_bits(comp, ops, ids, bits: int) -> np.ndarray:
    """The weight bits each op of ``ids`` is held at: ``bits``, or on a CIM (a config with
    ``bits_per_cell``) ``min(bits, weight_value_bits)`` where the op is tagged (find-D 2)."""
    out = np.full(len(ids), float(bits))
    act = ops.activity
    if act is None or act.weight_value_bits is None or not hasattr(
            getattr(comp, "config", None), "bits_per_cell"):
        return out
    tag = act.weight_value_bits[ids]
    return np.where(np.isnan(tag), out, np.minimum(tag, out))


def _weight_dtypes(ops) -> np.ndarray:
    """str per op: the dtype its (first) weight is stored in; its own dtype where it reads no
    weight or the tensors' dtypes are not known."""
    out = np.asarray(ops.dtype).astype(object)
    if ops.tensor_dtype is not None and len(ops.weight_ids):
        has = np.diff(ops.weight_ptr) > 0
        out[has] = ops.tensor_dtype[ops.weight_ids[ops.weight_ptr[:-1][has]]]
    return out


def _chip_sizes(comp) -> str:
    """What sizes the tensors of ``comp``'s chip block (review B 2): the widths it writes, or
    that its matmul outputs take the trace's dtype; '' for a component without one."""
    config = getattr(comp, "config", None)
    chip = getattr(config, "chip", None)
    if chip is None:  # a flat pool of arrays moves what the trace holds
        return " (it moves its tensors at the trace's bytes: it has no chip block)" if (
            hasattr(config, "chip")) else ""
    bits = chip.matmul_output_bits()
    if bits is None:
        return (f" (except its chip's matmul outputs, at the trace's dtype: {comp.name}.chip."
                "output_bits is unset and it has no periphery; set it)")
    given = "chip.output_bits" if chip.output_bits is not None else "chip.periphery.bits"
    return (f" (its chip's activations too: matmul outputs at {bits} bits ({given})"
            + (", periphery ops' at chip.periphery.bits" if chip.periphery is not None else "")
            + "; an index or mask keeps its width)")


def _weight_fix(bits: tuple[int, int], comp, bad) -> str:
    """The advice where every mismatching op is an int8 matmul of weights stored narrower
    (int4, int2) at other bits than the component's, its inputs at the component's: set the weight bits to the
    stored ones (find-H 4: an int4-weight int8 trace was told to trace with --dtype int8);
    '' otherwise."""
    from ..dtypes import DTYPE_BYTES

    stored = {int(DTYPE_BYTES[w] * 8) for d, w in bad}
    if (any(d not in INTEGER_DTYPES or w not in WEIGHT_INTS for d, w in bad)
            or DTYPE_BYTES[bad[0][0]] * 8 != bits[1] or comp is None):
        return ""
    if len(stored) == 1:
        b = stored.pop()
        return (f"--set {comp.name}.weight_bits={b} matches the stored {b}-bit weights"
                + ("; or tag each narrower layer's matmul weight_value_bits" if hasattr(
                    getattr(comp, "config", None), "bits_per_cell") else ""))
    return (f"the weights are stored at {', '.join(map(str, sorted(stored)))} bits: set "
            f"{comp.name}.weight_bits to the widest and tag the narrower layers' matmuls "
            "weight_value_bits")


def _precision_fix(bits: tuple[int, int], comp=None) -> str:
    """The advice of a fixed-precision mismatch note for a component ``comp`` of ``bits`` =
    (weight, input) bits: the integer dtype that holds both operands, or why none does."""
    from ..dtypes import DTYPE_BYTES, DTYPES

    ints = [d for d in INTEGER_DTYPES if all(DTYPE_BYTES[d] * 8 == b for b in bits)]
    if ints:
        return f"trace with --dtype {ints[0]}, or set the component's bits to match"
    odd = " x ".join(f"{b}-bit {what}" for b, what in zip(bits, ("weights", "inputs")) if b != 8)
    if max(bits) <= 8:  # 4-bit weights, binary weights, 4-bit inputs: under every dtype
        llm = ("; an LLM generated with cimsim workload llm --dtype int8 --weight-dtype int4 has "
               "4-bit weights" if bits[0] == 4 else "")
        return (f"no compute dtype ({', '.join(DTYPES)}) holds {odd}: the component computes "
                "at fewer bits than an int8 trace's 8 (--dtype int8, the closest trace); set "
                f"its bits to 8 to match that trace{llm}")
    return (f"no compute dtype ({', '.join(DTYPES)}) holds {max(bits)}-bit integers, "
            "so every trace mixes precisions; its bits at 8 match a --dtype int8 trace. The "
            f"component computes at its bits whatever the trace{_chip_sizes(comp)}, but the "
            "trace's dtype sizes what other units run and store, so a trace nearest its bits "
            "keeps those bytes closest")


def latency_notes(arch) -> list[str]:
    """One note per ``type: dram`` level that states no ``latency``: its ops pay none (the
    field's default, 0 s), where the device alone needs a row miss, ``(tRP + tRCD + tCL) x tCK``."""
    out = []
    hw = arch.hardware
    for name, cfg in arch.memory.items():
        res = hw.resource(name)
        if "latency" in cfg.model_fields_set or not hasattr(res, "unloaded_latency_s"):
            continue
        out.append(f"memory.{name} (type: {cfg.type}) states no latency: its ops pay 0 s of "
                   f"access latency, where a row miss of the device alone takes "
                   f"{si(res.unloaded_latency_s(), 's')} ({cfg.standard}); give the load-to-use "
                   "latency (latency: ...)")
    return out

