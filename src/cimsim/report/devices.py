"""The run summary's energy, efficiency and power lines, for one device or for the devices a
tensor- or pipeline-parallel run stands for.

A parallel run simulates one device (``Result.one_device_share``): under tensor parallelism
(``tp`` devices) its ops, energy and area are one device's share, the same on each; under
pipeline parallelism (``p`` stages, one device each) its ops are every stage's, run on one
device in turn, so its energy is every stage's dynamic energy plus one device's static energy
over the latency, and its area one device's. Counting ops and energy or area of different
scopes overstates GOPS/W and GOPS/mm² (find-G 3: 2 stages, 21.85 GOPS/W printed, 11.4 for the
two chips). The lines therefore count all ``tp x p`` devices over the run's latency:

    ops    = tp x 2 x MACs
    energy = tp x (E_dynamic + p x E_static)    (what tokens/J divides by, one micro-batch)
    area   = tp x p x one device's area
    power  = energy / latency

Under tensor parallelism alone the ratios are one device's (tp cancels); power and area are
tp times one device's. A micro-batched pipeline (``m`` micro-batches, GPipe) is counted over
its whole time, ``pipeline_span_s``, as its per-sample figures and tokens/s and tokens/J are:
ops = m x tp x 2 x MACs, energy = the pipeline's (``pipeline_span_j``: m x tp x E_dynamic +
tp x p x P_static x span), power = energy / span.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import columns as C
from .format import area, per_joule, si


@dataclass(frozen=True)
class System:
    """The figures of all the devices a run stands for (module docstring)."""
    devices: int
    ops: float  # 2 x MACs of them all
    energy_j: float
    area_m2: float  # NaN where no part declares an area
    latency_s: float
    offchip_w: float = 0.0  # the off-chip memory levels' power, all devices' (report.density)
    offchip_area_m2: float = 0.0  # the area of the components sitting in them, all devices'
    #: ``offchip_w`` by part (:func:`cimsim.report.density.offchip_parts`' names), all devices'
    offchip_by_part_w: dict = field(default_factory=dict)
    #: where parts are stacked, all devices' stack footprints (each its own stack); else None
    footprint_m2: float | None = None

    @property
    def die_area_m2(self) -> float:
        """The area power density divides by: the stacks' footprint where parts are stacked
        (find-B 1), else ``area_m2`` less the off-chip components' (review P 1)."""
        return self.footprint_m2 if self.footprint_m2 is not None else self.area_m2 - self.offchip_area_m2

    @property
    def die_power_density_w_per_m2(self) -> float:
        """(power − off-chip memory power) / :attr:`die_area_m2`: the ``power`` line's W/mm²
        (find-B 2, find-B 1)."""
        from .density import power_density
        return power_density(self.power_w, self.offchip_w, self.die_area_m2)

    @property
    def ops_per_j(self) -> float:
        return self.ops / self.energy_j if self.energy_j > 0 else float("nan")

    @property
    def power_w(self) -> float:
        return self.energy_j / self.latency_s if self.latency_s > 0 else float("nan")

    @property
    def ops_per_s_per_m2(self) -> float:
        ok = self.area_m2 > 0 and self.latency_s > 0
        return self.ops / self.latency_s / self.area_m2 if ok else float("nan")


def system(r) -> System:
    """All the devices a :class:`~cimsim.report.result.Result` stands for (one device, unless it
    is a tensor- or pipeline-parallel run: module docstring)."""
    tp, p = int(getattr(r, "tensor_parallel", 1)), int(getattr(r, "pipeline_stages", 1))
    static = r.energy_breakdown_j.get(C.STATIC, 0.0)
    energy = r.energy_j if tp * p == 1 else tp * (r.energy_j - static + p * static)
    span_s, span_j = getattr(r, "pipeline_span_s", None), getattr(r, "pipeline_span_j", None)
    from .density import offchip_area_m2, offchip_parts
    parts = offchip_parts(r)  # name -> one device's access energy, J, and static power, W
    off_area = tp * p * offchip_area_m2(r)
    f = r.facts.get(C.STACK_FOOTPRINT_M2)
    foot = None if f is None else tp * p * float(f)  # each device its own stack (find-B 1)
    if span_s is not None and span_j is not None:  # a micro-batched pipeline: all of it
        m = int(getattr(r, "pipeline_micro_batches", 1))
        by = {n: (m * tp * j / float(span_s) if span_s > 0 else 0.0) + tp * p * w for n, (j, w) in parts.items()}
        return System(devices=tp * p, ops=m * tp * 2.0 * r.macs, energy_j=float(span_j),
                      area_m2=tp * p * r.area_m2, latency_s=float(span_s), offchip_w=sum(by.values()),
                      offchip_area_m2=off_area, offchip_by_part_w=by, footprint_m2=foot)
    by = {n: (tp * j / r.latency_s if r.latency_s > 0 else 0.0) + tp * p * w for n, (j, w) in parts.items()}
    return System(devices=tp * p, ops=tp * 2.0 * r.macs, energy_j=energy,
                  area_m2=tp * p * r.area_m2, latency_s=r.latency_s, offchip_w=sum(by.values()),
                  offchip_area_m2=off_area, offchip_by_part_w=by, footprint_m2=foot)


def micro_batches(r) -> int:
    """A micro-batched pipeline's micro-batches (its figures over ``pipeline_span_s``); 1 else."""
    return int(getattr(r, "pipeline_micro_batches", 1)) if getattr(r, "pipeline_span_j", None) is not None else 1


def _which(r) -> str:
    """`` (all 2 devices: ...)``, what a parallel run's lines count; "" on one device."""
    tp, p = int(getattr(r, "tensor_parallel", 1)), int(getattr(r, "pipeline_stages", 1))
    if tp * p == 1:
        return ""
    how = " x ".join(x for x in ((f"{tp}-way tensor parallel" if tp > 1 else ""),
                                 (f"{p} pipeline stages" if p > 1 else "")) if x)
    same = "; one device's ratios the same" if p == 1 else ""
    return f" (all {tp * p} devices: {how}{same})"


def work_text(r) -> str:
    """What the ``work`` line's MACs and ops are of: `` (one device's share of 2 devices)``."""
    tp, p = int(getattr(r, "tensor_parallel", 1)), int(getattr(r, "pipeline_stages", 1))
    if tp * p == 1:
        return ""
    share = f"one device's share of {tp} tensor-parallel devices" if tp > 1 else ""
    stages = f"all {p} pipeline stages, simulated in turn on one device" if p > 1 else ""
    m = micro_batches(r)
    every = f"the throughput {m} micro-batches' over the pipeline's time" if m > 1 else ""
    return f" ({', '.join(x for x in (share, stages, every) if x)})"


def vector_text(r) -> str:
    """The ``work`` line's vector (non-MAC) operations (``vector_ops``, find-R 5): ``; vector
    ops 7.049 Mop (252.3 Gop/s)``, under tensor parallelism ``vector ops 5.521 Mop, one
    device's (...)``; nothing where the result has none (an older stored one)."""
    from .format import si

    v = getattr(r, "vector_ops", float("nan"))
    if not v == v:  # NaN: a result stored before the column
        return ""
    tp = int(getattr(r, "tensor_parallel", 1))
    own = f", one device's of {tp} tensor-parallel devices" if tp > 1 else ""
    return f"; vector ops {si(v, 'op')}{own} ({si(r.vector_ops_per_s, 'op/s')})"


def latency_text(r) -> str:
    """The ``latency`` line: ``latency_s``, and under micro-batches what it is and the run's time
    (find-L 1: one micro-batch's 199.0 µs printed bare beside a last first token at 298.5 µs)."""
    m = micro_batches(r)
    if m == 1:
        return si(r.latency_s, "s")
    p = int(getattr(r, "pipeline_stages", 1))
    return (f"{si(r.latency_s, 's')} (latency_s: one micro-batch through the {p} stages in turn on "
            f"one device, not the run; the run, all {m} micro-batches on {system(r).devices} "
            f"devices: {si(float(r.pipeline_span_s), 's')}, pipeline_span_s)")


def energy_text(r) -> str:
    """The ``energy`` line: the run's, and all the devices' where it is one device's share."""
    s = system(r)
    if s.devices == 1:
        return si(r.energy_j, "J")
    p = int(getattr(r, "pipeline_stages", 1))
    how = f"one device running the {p} stages in turn" if p > 1 else "one device's share"
    m = micro_batches(r)
    every = f" over all {m} micro-batches" if m > 1 else ""
    return (f"{si(r.energy_j, 'J')} ({how}; all {s.devices} devices{every}: {si(s.energy_j, 'J')}, "
            "each with its static energy)")


def efficiency_text(r, latency_label: str = "") -> str:
    """The ``efficiency`` line: OPS/W and OPS/mm² of the ops, energy and area of one scope."""
    s = system(r)
    text = per_joule(s.ops_per_j, "OPS/W")
    if r.area_m2 > 0:
        text += f", {si(s.ops_per_s_per_m2 / 1e6, 'OPS/mm²')} over {area(s.area_m2)}{latency_label}"
        if s.footprint_m2 is not None and s.footprint_m2 > 0 and s.latency_s > 0:  # find-B 1: a stack
            text += (f" of silicon ({si(s.ops / s.latency_s / s.footprint_m2 / 1e6, 'OPS/mm²')} "
                     f"over the stack's {area(s.footprint_m2)} footprint)")
    else:
        text += " (no area declared: add area fields for OPS/mm²)"
    return text + _which(r)


def power_text(r) -> str:
    """The ``power`` line: average power (energy / latency) and its density over the area."""
    s = system(r)
    text = f"{si(s.power_w, 'W')} average (energy / {'the pipeline time' if micro_batches(r) > 1 else 'latency'})"
    if r.area_m2 > 0:
        stack = s.footprint_m2 is not None and s.footprint_m2 > 0  # find-B 1
        text += (f", {si(s.die_power_density_w_per_m2 / 1e6, 'W/mm²')} over "
                 + (f"the stack's {area(s.footprint_m2)} footprint ({area(s.area_m2)} of silicon)"
                    if stack else area(s.die_area_m2)))
        if s.offchip_by_part_w and s.offchip_w > 0:  # find-B 2, review P 4: what it leaves out, by part
            each = " + ".join(f"{n} {si(w, 'W')}" for n, w in s.offchip_by_part_w.items())
            text += f" (less what is dissipated off the die: {each})"
    static = s.devices * r.energy_breakdown_j.get(C.STATIC, 0.0) / r.latency_s if r.latency_s > 0 else 0.0
    return (text + _which(r) + f"; runs back to back, {si(static, 'W')} of it static "
            "(--period: the power at a load)")


def all_mark(r) -> str:
    """`` (all 2)``, the mark of a table cell (power, area, efficiency) that counts all the devices
    a parallel run stands for (the ``system_*`` columns); "" on one device."""
    n = system(r).devices
    return f" (all {n})" if n > 1 else ""


#: the footnote of that mark, after the tables' ``(1d)`` one
ALL_NOTE = ("(all N) power, area and efficiency of all N devices such a run stands for, over its "
            "latency (system_average_power_w, system_area_m2, system_ops_per_j in the CSV)")
