"""Where a run's energy and area come from: each part's numbers ``given``, ``derived`` (circuit
models) or ``placeholder`` (resting on a value the config marks (U), or left at an unsourced
default), and the share of the total resting on placeholders.

A component says it for its own parts (``Component.provenance(marks)``); a memory level or link
is a placeholder when its energy (area) field is marked. Static energy is split over the
components by their static power: the share of components whose ``static_power`` is marked
counts. Nothing here names a device type.
"""

from __future__ import annotations

import math

from ..units import si

PROVENANCES = ("given", "derived", "placeholder")


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


def placeholder_shares(arch, energy_j: dict, area_m2: dict) -> tuple[dict, float, float, dict]:
    """``(provenance, energy share, area share, part fractions)``: the fraction of the total
    energy and area resting on placeholders (energy: 0 when the total is 0; area: NaN, null in
    JSON, when no part declares one, as :attr:`Result.area_m2`), and per energy part the fraction
    of its own energy resting on placeholders, for the parts where it is above 0 (1 for a
    placeholder part). Static energy counts by the static power of the components whose
    ``static_power`` is marked, so it may rest on placeholders in part (its label says
    ``placeholder`` only when all of it does)."""
    prov = part_provenance(arch)
    frac_static = prov.pop("static_placeholder_fraction")
    fractions = {part: frac_static if part == "static" else 1.0 for part in energy_j
                 if part == "static" and frac_static > 0 or prov["energy"].get(part) == "placeholder"}
    e_total = sum(energy_j.values())
    e_ph = sum(energy_j[part] * f for part, f in fractions.items())
    a_total = sum(area_m2.values())
    a_ph = sum(a for part, a in area_m2.items() if prov["area"].get(part) == "placeholder")
    return (prov, e_ph / e_total if e_total > 0 else 0.0,
            a_ph / a_total if a_total > 0 else math.nan, fractions)


#: dtypes whose values are integers of their byte width (the rest are floating point)
INTEGER_DTYPES = ("int8",)


def precision_notes(components, idx, dtypes) -> list[str]:
    """One note per component that computes at a fixed precision (``compute_bits``) other than
    its ops' dtypes: the run then compares unlike precisions (issue 17, item 5). ``idx``: each
    component's op indices; ``dtypes``: every op's dtype name."""
    from ..dtypes import DTYPE_BYTES, DTYPES

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
        # mismatch as on a 16-bit one (a GPU running the trace computes int8 x int8)
        bad = [d for d in seen if d not in INTEGER_DTYPES
               or any(DTYPE_BYTES[d] * 8 != b for b in bits)]
        if bad:
            out.append(f"precision mismatch: {comp.name} computes {bits[0]}-bit weights x "
                       f"{bits[1]}-bit inputs, but its ops are {', '.join(bad)} in the workload; "
                       "another unit running the same trace computes at the trace's dtype, so "
                       f"a comparison mixes precisions ({_precision_fix(bits)})")
    return out


def _precision_fix(bits: tuple[int, int]) -> str:
    """The advice of a fixed-precision mismatch note for a component of ``bits`` = (weight,
    input) bits: the integer dtype that holds both operands, or why none does."""
    from ..dtypes import DTYPE_BYTES, DTYPES

    ints = [d for d in INTEGER_DTYPES if all(DTYPE_BYTES[d] * 8 == b for b in bits)]
    if ints:
        return f"trace with --dtype {ints[0]}, or set the component's bits to match"
    odd = " x ".join(f"{b}-bit {what}" for b, what in zip(bits, ("weights", "inputs")) if b != 8)
    if max(bits) <= 8:  # 4-bit weights, binary weights, 4-bit inputs: under every dtype
        return (f"no compute dtype ({', '.join(DTYPES)}) holds {odd}: the component computes "
                "at fewer bits than an int8 trace's 8 (--dtype int8, the closest trace); its "
                "bits at 8 match that trace")
    return (f"no compute dtype ({', '.join(DTYPES)}) holds {max(bits)}-bit integers, "
            f"so every trace does; its bits at 8 match a --dtype int8 trace")


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

