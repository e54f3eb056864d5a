"""Metrics of one run: the :class:`Result` of one (workload, architecture) simulation, and its critical-path
attribution. :func:`cimsim.report.build.build_result` turns a :class:`~cimsim.report.build.RunData` (what the
stages produced) into a Result; nothing here names a device: parts are looped over by name."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING

import numpy as np
from numba import njit

from . import columns as C, density, load
from .devices import system
from .intermittent import power_up_energy_j
from .samples import steady_energy_by_part
from ..inputs import source_fields
from ..workload.columns import Materialised

if TYPE_CHECKING:  # pandas loads with the first table built, not with cimsim
    import pandas


@dataclass
class Result:
    """Everything a user sees about one run. Units are in the field names."""

    workload: str
    architecture: str
    engine: str
    latency_s: float
    energy_breakdown_j: dict[str, float]  # part -> J (see report.columns), "static" last
    utilization: dict[str, float]  # name -> fraction in [0, 1]
    bound: str  # one of columns.BOUNDS
    bound_part: str  # the path part that names it: a level or link name, compute, overhead
    path_time_s: dict[str, float]  # critical-path time by part
    critical_path_s: float  # the dependency critical path (columns.DEPENDENCY_PATH)
    critical_path_ops: int  # ops on the dependency critical path
    parallelism: float
    bound_memory_s: float
    bound_compute_s: float
    macs: int
    ops: int
    samples: int
    traffic_bytes: dict[str, float]  # memory level or link -> bytes moved over it
    weight_bytes: int
    activation_bytes: int
    ops_per_unit: dict[str, int]  # component -> ops it ran
    facts: dict[str, object]  # "<component>_<fact>" -> value
    area_breakdown_m2: dict[str, float] = field(default_factory=dict)  # part -> m^2
    macs_per_unit: dict[str, int] = field(default_factory=dict)  # component -> MACs of its ops
    notes: list[str] = field(default_factory=list)
    #: what the bound's part stands for when the name alone would mislead (e.g. compute times
    #: from a measured table, which include weight streaming); "" when nothing needs saying
    bound_detail: str = ""
    #: ops on the realised critical path (``columns.REALIZED_PATH``: the chain the engine ran,
    #: whose time the bound and the Gantt strip attribute); ``critical_path_ops`` counts the
    #: dependency critical path
    realized_path_ops: int | None = None
    #: serial steps on the dependency critical path (columns.CRITICAL_PATH_SERIAL_STEPS: dependent
    #: ops, :func:`cimsim.workload.depth.path_serial_steps`); None given: ``critical_path_ops`` (no op on it states a depth)
    critical_path_serial_steps: int | None = None
    #: the graph's longest chain whatever ran it (columns.GRAPH_DEPTH_SERIAL_STEPS, GRAPH_DEPTH_OPS:
    #: :func:`cimsim.workload.depth.graph_depth`); None: not computed
    graph_depth_serial_steps: int | None = None
    graph_depth_ops: int | None = None
    #: fractions of the total energy and area resting on placeholders (report.provenance)
    #: lower bound from the links (columns.BOUND_LINK_S)
    bound_link_s: float = 0.0
    energy_placeholder_share: float = 0.0
    area_placeholder_share: float = 0.0
    #: fraction of the critical path's time resting on placeholder time fields (rates,
    #: latencies, overheads; report.provenance.latency_placeholders)
    latency_placeholder_share: float = 0.0
    #: per part: given, derived or placeholder ({"energy": {...}, "area": {...}, "latency":
    #: {critical-path part: given or placeholder}})
    provenance: dict = field(default_factory=dict)
    #: per energy part resting on placeholders at all: the fraction of its energy that does (1
    #: for a ``placeholder`` part; static energy by the marked components' static power, so it
    #: may be partial where its label says ``given``); not in ``--json``
    energy_placeholder_fraction: dict[str, float] = field(default_factory=dict)
    #: per critical-path part resting on placeholders at all: the fraction of its time that
    #: does (compute and overhead op by op where components differ); not in ``--json``
    latency_placeholder_fraction: dict[str, float] = field(default_factory=dict)
    #: per such part the marked fields it rests on (``memory.dram.sustained_fraction``); not in
    #: ``--json``
    latency_placeholder_fields: dict[str, list[str]] = field(default_factory=dict)
    #: a component computes at a fixed precision other than its ops' dtype (see the notes)
    precision_mismatch: bool = False
    #: a circuit-model input lies outside the range its laws were fitted on (columns.EXTRAPOLATED;
    #: a note says which)
    extrapolated: bool = False
    #: a tensor- or pipeline-parallel run: latency and energy are one device's share (``(1d)``)
    one_device_share: bool = False
    #: the devices such a run stands for: its tensor-parallel group and its pipeline stages (1
    #: and 1 on one device); the summary's efficiency and power lines count all of them
    #: (:mod:`cimsim.report.devices`). Not columns: ``run --json`` gives ``one_device_share``
    tensor_parallel: int = 1
    pipeline_stages: int = 1
    #: a pipeline-parallel run's time over all its micro-batches (s, what samples_per_s divides)
    pipeline_span_s: float | None = None
    #: its energy over all the micro-batches (J, what tokens/J divides) and how many there are
    pipeline_span_j: float | None = None
    pipeline_micro_batches: int = 1
    #: the notes (also in ``notes``) of units on ops their config's limits kept from them, e.g.
    #: PIM's max_rows: ``cimsim compare`` shows these under its table
    claim_notes: list[str] = field(default_factory=list)
    #: the notes (also in ``notes``) on physical limits: silicon above a reticle or a 300 mm
    #: wafer, a binding power cap, average power above a stated TDP
    #: (:mod:`cimsim.report.plausible`); `compare` shows them
    physical_notes: list[str] = field(default_factory=list)
    #: those of :attr:`physical_notes` no part can meet (above a wafer, above a stated TDP):
    #: each a ``PhysicalPlausibilityWarning`` from ``simulate``, and ``physically_plausible`` false
    implausible_notes: list[str] = field(default_factory=list)
    #: memory level or link -> the part of ``traffic_bytes`` that are writes (the rest reads)
    write_bytes: dict[str, float] = field(default_factory=dict)
    #: the architecture's backing store (its outermost memory level) and the home tiers whose
    #: bytes columns.OPS_PER_BACKING_BYTE counts (a far tier's near tier and it; else the store)
    backing_store: str = ""
    home_tiers: tuple[str, ...] = ()
    off_chip_levels: tuple[str, ...] = ()  # Hardware.off_chip: what power density leaves out (density.py)
    #: the ridge point (op/B) on the busiest component's path to the backing store, and over each memory level
    ridge_ops_per_backing_byte: float = float("nan")  # columns.RIDGE_OPS_PER_BACKING_BYTE
    ridge_ops_per_byte_by_level: dict[str, float] = field(default_factory=dict)  # RIDGE_OPS_PER_BYTE_BY_LEVEL: --json
    #: bytes of a traced training step's optimizer state (columns.OPTIMIZER_STATE_BYTES), resident
    #: for the whole run and no part of ``activation_bytes``; None (no column) where it has none
    optimizer_state_bytes: int | None = None
    #: the footprint by column (columns.FOOTPRINT_COLUMNS: the bytes live at once at the peak, its
    #: parts, the backing store's capacity and headroom); empty for a Result built by hand
    footprint: dict[str, int] = field(default_factory=dict)
    #: LLM serving metrics by column (columns.SERVING_COLUMNS), empty for other workloads
    serving: dict[str, float] = field(default_factory=dict)
    #: per request, its TTFT and TPOT (s; columns.REQUEST_TTFT_S / REQUEST_TPOT_S, a TPOT NaN
    #: for a one-token request): ``--json`` lists, not result columns; empty with ``serving``
    serving_requests: dict[str, list[float]] = field(default_factory=dict)
    #: what it was computed from, as ``run --json`` gives it (columns.INPUT_COLUMNS; :func:`cimsim.inputs.source_fields`
    #: of the architecture's and the workload's ``source``); not part of its value (:meth:`__eq__`)
    inputs: dict = field(default_factory=lambda: source_fields(None, None))
    op_table: pandas.DataFrame | None = None  # per-op placement, costs and times
    #: the realised critical path's ops and the split of each op's time (:func:`attribute_ops`); with ``op_table``
    path_table: pandas.DataFrame | None = None
    #: the dependency critical path's ops: names in order, each op's time alone, s (sum: ``critical_path_s``)
    critical_path_op_names: list[str] = Materialised()  # decoded when first read
    critical_path_op_s: list[float] = field(default_factory=list)
    #: the programming time of the weights power-off loses (volatile cells: SRAM), s; 0 where
    #: nothing is programmed or every cell keeps its weights (``columns.POWER_UP_LATENCY_S``)
    power_up_programming_s: float = 0.0
    #: the components whose plans stated a programming before the run (``Plan.programming``)
    programmed: tuple[str, ...] = ()
    #: the energy of that programming, J (what ``--idle gate`` pays each period)
    power_up_programming_j: float = 0.0
    #: each part's static power and ``idle:`` figures (:func:`cimsim.report.idle.parts`)
    idle_parts: dict[str, dict] = field(default_factory=dict)
    #: component -> {home level: weight bytes it read there in one run}, from the plans'
    #: :attr:`~cimsim.hw.plan.Plan.home_weight_bytes` (no column: what the cold-call note of a
    #: run at a period weighs, :mod:`cimsim.report.period_words`)
    home_weight_bytes: dict[str, dict[str, float]] = field(default_factory=dict)
    #: a merged workload's per-model figures (:func:`cimsim.report.models.model_figures`)
    models: dict[str, dict] = field(default_factory=dict)

    def __eq__(self, other: object) -> bool:
        """Field by field, a NaN equal to a NaN (an undefined OPS/W, TPOT, ...), the per-op and
        path tables by ``DataFrame.equals``: two runs of one simulation, or a Result and its
        pickled copy, are equal; runs that differ in any field are not."""
        if not isinstance(other, Result):
            return NotImplemented
        for f in fields(self):
            if f.name == "inputs":  # what it was computed from, not what it computed
                continue
            a, b = getattr(self, f.name), getattr(other, f.name)
            if f.name in ("op_table", "path_table"):
                if (a is None) != (b is None) or (a is not None and not a.equals(b)):
                    return False
            elif not _same(a, b):
                return False
        return True

    __hash__ = None  # type: ignore[assignment]  # mutable, as every dataclass with eq

    def __post_init__(self) -> None:
        if self.critical_path_serial_steps is None:  # no op states a depth: one step an op
            self.critical_path_serial_steps = self.critical_path_ops

    @property
    def bound_label(self) -> str:
        """The bound as shown everywhere: its class, then the part that names it (when not the
        class itself) and :attr:`bound_detail`: ``"memory (dram)"``,
        ``"compute (measured table: includes weight streaming)"``."""
        extra = [x for x in (self.bound_part if self.bound_part != self.bound else "",
                             self.bound_detail) if x]
        return f"{self.bound} ({'; '.join(extra)})" if extra else self.bound

    @property
    def critical_path_time_s(self) -> dict[str, float]:
        """:attr:`path_time_s` under its ``--json`` / :meth:`to_json` name."""
        return self.path_time_s

    @property
    def energy_j(self) -> float:
        """Total energy, J: the sum of :attr:`energy_breakdown_j` (static included)."""
        return float(sum(self.energy_breakdown_j.values()))

    @property
    def throughput_macs_per_s(self) -> float:
        """MACs over the latency, MAC/s (a micro-batched pipeline's every micro-batch's over its
        time, :attr:`pipeline_span_s`); NaN for a run of zero latency."""
        t = load.run_s(self)
        return self.macs * self.pipeline_micro_batches / t if t > 0 else float("nan")

    @property
    def samples_per_s(self) -> float:
        """Samples (the batch; a serving run's requests, a pipeline's every micro-batch's) over the
        latency (a pipeline's time, :attr:`pipeline_span_s`, as tokens/s), 1/s; NaN at zero."""
        t = load.run_s(self)
        return self.samples / t if t > 0 else float("nan")

    @property
    def area_m2(self) -> float:
        """Declared silicon area, m^2: the sum of :attr:`area_breakdown_m2`; NaN (null in JSON,
        blank in CSV) when no part declares one, or every part declared is 0 m^2 (a level
        counted in a die that declares none): 0 m^2 would be an impossible chip."""
        total = float(sum(self.area_breakdown_m2.values()))
        return total if total > 0 else float("nan")  # none declared, or only parts of 0 m^2

    @property
    def ops_per_j(self) -> float:
        """2 x MACs per joule of the whole run (OPS/W), static energy included; NaN (undefined,
        null in JSON) when the run counted no energy (every energy field 0: a latency-only study)."""
        return 2.0 * self.macs / self.energy_j if self.energy_j > 0 else float("nan")

    @property
    def ops_per_s_per_m2(self) -> float:
        """2 x MACs / latency / area; NaN when no part declares its area."""
        area = self.area_m2
        return 2.0 * self.macs / self.latency_s / area if area > 0 and self.latency_s > 0 else float("nan")

    @property
    def ops_per_backing_byte(self) -> float:
        """2 x MACs over the bytes over the home tiers, op/B; NaN when none crosses them."""
        b = sum(self.traffic_bytes.get(t, 0.0) for t in self.home_tiers or (self.backing_store,))
        return 2.0 * self.macs / b if b > 0 else float("nan")

    @property
    def average_power_w(self) -> float:
        """Energy over latency, W (static included); NaN for a run of zero latency."""
        return self.energy_j / self.latency_s if self.latency_s > 0 else float("nan")

    @property
    def power_density_w_per_m2(self) -> float:
        """(average_power_w − offchip_memory_power_w) / area_m2 (a stack's footprint), W/m² (:mod:`.density`)."""
        return density.power_density(self.average_power_w, self.offchip_memory_power_w, density.footprint_m2(self))
    offchip_memory_power_w = property(lambda self: density.offchip_memory_power_w(self))

    # the whole system's figures (columns.SYSTEM_COLUMNS): :func:`cimsim.report.devices.system`
    system_devices = property(lambda self: system(self).devices)
    system_energy_j = property(lambda self: system(self).energy_j)
    system_area_m2 = property(lambda self: system(self).area_m2)
    system_ops_per_j = property(lambda self: system(self).ops_per_j)
    system_ops_per_s_per_m2 = property(lambda self: system(self).ops_per_s_per_m2)
    system_average_power_w = property(lambda self: system(self).power_w)

    # the footprint's columns (columns.FOOTPRINT_COLUMNS), None where it was not computed
    footprint_bytes = property(lambda self: self.footprint.get(C.FOOTPRINT_BYTES))
    footprint_weight_bytes = property(lambda self: self.footprint.get(C.FOOTPRINT_WEIGHT_BYTES))
    footprint_kv_cache_bytes = property(lambda self: self.footprint.get(C.FOOTPRINT_KV_CACHE_BYTES))
    footprint_activation_bytes = property(lambda self: self.footprint.get(C.FOOTPRINT_ACTIVATION_BYTES))
    backing_capacity_bytes = property(lambda self: self.footprint.get(C.BACKING_CAPACITY_BYTES))
    backing_headroom_bytes = property(lambda self: self.footprint.get(C.BACKING_HEADROOM_BYTES))
    kv_cache_peak_bytes = property(lambda self: self.footprint.get(C.KV_CACHE_PEAK_BYTES))

    # a run without idle time, and at a stated load (columns.LOAD_COLUMNS: :mod:`cimsim.report.load`)
    static_power_w = property(lambda self: load.static_power_w(self))
    dynamic_j_per_sample = property(lambda self: load.dynamic_j_per_sample(self))
    power_up_latency_s = property(lambda self: load.power_up_latency_s(self))
    power_up_energy_j = property(lambda self: power_up_energy_j(self))
    #: a layer pipeline's energy per sample at steady state by part ({} without one)
    steady_energy_by_part_j = property(lambda self: steady_energy_by_part(self))

    def at_load(self, period_s: float | None = None, deadline_s: float | None = None,
                strict: bool = True, idle: str = "on", harvest_w: float | None = None,
                storage_j: float | None = None, arrivals: str | None = None) -> Result:
        """A copy with the columns of one run every ``period_s`` (energy, power and utilization at
        that load) and against ``deadline_s`` (slack, met): :func:`cimsim.report.load.load_facts`;
        a period too short for the run is refused, or, not ``strict``, gives NaN and a note.
        ``idle``: what the parts do between runs, on, sleep or gate (:mod:`cimsim.report.idle`);
        ``harvest_w``, ``storage_j``: a harvested power and an energy store
        (:mod:`cimsim.report.intermittent`); ``arrivals``: periodic or poisson requests at mean
        gap ``period_s``, their response times (:mod:`cimsim.report.queueing`)."""
        return load.at_load(self, period_s, deadline_s, strict, idle, harvest_w, storage_j, arrivals)

    def __getattr__(self, name: str):
        """A column kept in :attr:`facts` or :attr:`serving` (``r.j_per_sample``,
        ``r.programming_time_s``); NaN for an optional column this run lacks."""
        return load.column_attribute(self, name)

    @property
    def physically_plausible(self) -> bool:
        """False when the run has :attr:`implausible_notes` (silicon above a 300 mm wafer,
        power above a stated TDP): ``columns.PHYSICALLY_PLAUSIBLE``."""
        return not self.implausible_notes

    def record(self) -> dict[str, object]:
        """One flat row keyed by :func:`cimsim.report.columns.result_columns` of the architecture:
        the fixed columns (each the attribute of the same name; ``notes`` joined into one text
        cell by ``columns.NOTES_SEPARATOR``), then the architecture's own."""
        row: dict[str, object] = self._with_state({c: getattr(self, c) for c in C.FIXED_COLUMNS})
        row[C.NOTES] = C.NOTES_SEPARATOR.join(self.notes)  # a table's cell holds text
        for comp, n in self.ops_per_unit.items():
            row[C.ops_column(comp)] = n
        for comp, n in self.macs_per_unit.items():
            row[C.macs_column(comp)] = n
        for res, b in self.traffic_bytes.items():
            row[C.bytes_column(res)] = b
        for res, b in self.write_bytes.items():
            row[C.write_bytes_column(res)] = b
        row.update(self.facts)
        for part, e in self.energy_breakdown_j.items():
            row[C.energy_column(part)] = e
        for name, u in self.utilization.items():
            row[C.util_column(name)] = u
        for part, t in self.path_time_s.items():
            row[C.path_column(part)] = t
        for part, a in self.area_breakdown_m2.items():
            row[C.area_column(part)] = a
        row.update(self.serving)
        return row

    def _with_state(self, row: dict) -> dict:
        """``row`` with ``optimizer_state_bytes`` after ``activation_bytes``, where the run has it."""
        if self.optimizer_state_bytes is None:
            return row
        keys = list(row)
        at = keys.index(C.ACTIVATION_BYTES) + 1
        return {**{k: row[k] for k in keys[:at]}, C.OPTIMIZER_STATE_BYTES: self.optimizer_state_bytes,
                **{k: row[k] for k in keys[at:]}}

    def to_json(self) -> dict[str, object]:
        """The ``--json`` object as a JSON-ready ``dict`` (not JSON text: ``json.dumps`` of it
        writes that; the name stays for compatibility): the fixed columns, then the breakdowns as
        nested objects (``energy_breakdown_j``, ``utilization``, ``critical_path_time_s``,
        ``traffic_bytes``, ``write_bytes``, ``ops_per_unit``, ``macs_per_unit``), the
        components' facts, the notes, what it was computed from (:attr:`inputs`: ``overrides``,
        ``config_path``, ``config_sha256``, ``workload_path``, ``workload_sha256``; paths and
        hashes None for an architecture or workload built in memory) and which cimsim computed
        it (``cimsim_version``, ``cimsim_revision``)."""
        from ..revision import provenance

        out: dict[str, object] = self._with_state({c: json_number(getattr(self, c))
                                                   for c in C.FIXED_COLUMNS if c != C.NOTES})  # the list, last
        if self.one_device_share:  # after the architecture, as compare -o puts it
            keys = list(out)
            at = keys.index(C.ARCHITECTURE) + 1
            out = {**{k: out[k] for k in keys[:at]}, C.ONE_DEVICE_SHARE: True,
                   **{k: out[k] for k in keys[at:]}}
        out.update({
            "energy_breakdown_j": dict(self.energy_breakdown_j),
            "steady_energy_by_part_j": self.steady_energy_by_part_j,
            "utilization": dict(self.utilization),
            "critical_path_time_s": dict(self.path_time_s),
            "traffic_bytes": dict(self.traffic_bytes),
            "write_bytes": dict(self.write_bytes),
            "ops_per_unit": dict(self.ops_per_unit),
            "macs_per_unit": dict(self.macs_per_unit),
            "area_breakdown_m2": dict(self.area_breakdown_m2),
            C.RIDGE_OPS_PER_BYTE_BY_LEVEL: {k: json_number(v) for k, v in self.ridge_ops_per_byte_by_level.items()},
            **{k: json_number(v) for k, v in self.facts.items()},
            C.PROVENANCE: {k: dict(v) for k, v in self.provenance.items()},
            **{k: json_number(v) for k, v in self.serving.items()},
            **({} if self.pipeline_span_s is None else {"pipeline_span_s": json_number(self.pipeline_span_s)}),
            **{k: [json_number(x) for x in v] for k, v in self.serving_requests.items()},
            **({"models": copy.deepcopy(self.models)} if self.models else {}),
            "notes": list(self.notes),
            **{k: copy.deepcopy(self.inputs.get(k)) for k in C.INPUT_COLUMNS},
            **provenance(),
        })
        return out


def _same(a: object, b: object) -> bool:
    """``a == b`` through dicts and lists, a float NaN equal to a NaN."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(v, b[k]) for k, v in a.items())
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, float) and isinstance(b, float) and a != a and b != b:
        return True
    return bool(a == b)


def json_number(v):
    """``v`` as JSON holds it: an undefined figure (NaN: OPS/W without energy, TPOT without decode) as null."""
    return None if isinstance(v, float) and v != v else v


# ------------------------------------------------------------------ critical path


def attribute_path(path: np.ndarray, start: np.ndarray, end: np.ndarray, latency_s: np.ndarray,
                   compute_s: np.ndarray, resource_s: np.ndarray, resources: tuple[str, ...],
                   serial: np.ndarray | None = None,
                   pieces: np.ndarray | None = None,
                   ahead: np.ndarray | None = None) -> dict[str, float]:
    """Split the time of the ops on a critical path into one part per resource, compute, overhead.

    Each op's fixed latency (dispatch, access latency) is overhead; the rest of
    its duration goes to whichever of its compute and its transfers (one per
    resource: ``resource_s[:, j]`` = bytes / bandwidth) takes longest when the
    op runs alone: the slowest transfer (the first resource on ties) if it is
    strictly slower than the compute, else compute. A ``serial`` op
    (transfers, then compute) splits the rest between its slowest transfer and
    its compute in proportion to their times alone; an op in ``pieces``
    (``(p_x, p_c)``, the engine's rule ``max(X + C / p_c, C + X / p_x)``) splits it
    in proportion to the two terms of the larger (a transfer-bound op: ``X`` and
    its last piece's compute ``C / p_c``; else ``C`` and its first piece's
    transfer ``X / p_x``), which is the serial split at one piece each. In the DES an op's
    transfers may take longer than alone (a shared link, a queue, a loaded latency): where
    that split would give compute more than the op's compute time, the op is split by the
    transfer time it realised instead (``X_r`` solving its rule for its duration: a serial
    op's compute part is its compute time, an overlapped op's is 0, an op in pieces' its last
    piece's or its compute time, whichever term set the duration). An op with transfers
    ``ahead`` (ops x resources, :attr:`~cimsim.cost.table.CostTable.ahead`) moves for the
    slowest of those plus the slowest of the rest: its transfers' part is split between those
    two resources in proportion to their times alone.
    """
    out = {r: 0.0 for r in resources}
    out.update({p: 0.0 for p in C.PATH_FIXED})
    if len(path) == 0:
        return out
    over, comp_part, which, to_res, which2, to_res2 = _split_path(
        path, start, end, latency_s, compute_s, resource_s, serial, pieces, ahead)
    out["overhead"] = float(over.sum())
    out["compute"] = float(comp_part.sum())
    if resource_s.shape[1]:
        sums = (np.bincount(which, weights=to_res, minlength=len(resources))
                + np.bincount(which2, weights=to_res2, minlength=len(resources)))
        for j, r in enumerate(resources):
            out[r] = float(sums[j])
    return out


def attribute_ops(path: np.ndarray, start: np.ndarray, end: np.ndarray, latency_s: np.ndarray,
                  compute_s: np.ndarray, resource_s: np.ndarray, resources: tuple[str, ...],
                  serial: np.ndarray | None = None, pieces: np.ndarray | None = None,
                  ahead: np.ndarray | None = None):
    """The split of :func:`attribute_path`, op by op: a DataFrame with one row per op of
    ``path`` (in path order): ``op_index``, ``start_s``, ``end_s`` and one ``<part>_s`` column
    per part (each resource, ``compute``, ``overhead``); each row sums to the op's
    ``end_s - start_s`` and each part's column sums to ``attribute_path``'s value for it."""
    import pandas as pd

    p = np.asarray(path, dtype=np.int64)
    parts = np.zeros((len(p), len(resources)))
    over = comp_part = np.zeros(len(p))
    if len(p):
        over, comp_part, which, to_res, which2, to_res2 = _split_path(
            p, start, end, latency_s, compute_s, resource_s, serial, pieces, ahead)
        if resource_s.shape[1]:
            parts[np.arange(len(p)), which] = to_res
            parts[np.arange(len(p)), which2] += to_res2
    cols = {"op_index": p, "start_s": start[p], "end_s": end[p]}
    cols.update({f"{r}_s": parts[:, j] for j, r in enumerate(resources)})
    cols.update({"compute_s": comp_part, "overhead_s": over})
    return pd.DataFrame(cols)


def _split_path(path, start, end, latency_s, compute_s, resource_s, serial, pieces=None,
                ahead=None):
    """Per path op: (overhead, compute part, index of its slowest resource, that resource's part,
    index of its slowest resource not ahead and that one's part: 0 unless it has any ahead)."""
    p = np.asarray(path, dtype=np.int64)
    ser = (np.zeros(0, dtype=np.bool_) if serial is None
           else np.ascontiguousarray(serial, dtype=np.bool_))
    pcs = (np.zeros((0, 2)) if pieces is None
           else np.ascontiguousarray(pieces, dtype=np.float64))
    ahd = (np.zeros((0, 0), dtype=np.bool_) if ahead is None
           else np.ascontiguousarray(ahead, dtype=np.bool_))
    return _split_kernel(p, np.asarray(start, np.float64), np.asarray(end, np.float64),
                         np.asarray(latency_s, np.float64), np.asarray(compute_s, np.float64),
                         np.ascontiguousarray(resource_s, dtype=np.float64), ser, pcs, ahd)


@njit(cache=True)
def _split_kernel(p, start, end, latency_s, compute_s, resource_s, serial, pieces, ahead):
    # one pass over the path (d = end - start; overhead = min(latency, d); rest = d - overhead;
    # the slowest transfer, first on ties, takes rest * share, and what exceeds the op's
    # compute time alone)
    n, n_res = p.shape[0], resource_s.shape[1]
    over = np.empty(n)
    comp_part = np.empty(n)
    which = np.zeros(n, np.int64)
    to_res = np.empty(n)
    which2 = np.zeros(n, np.int64)
    to_res2 = np.zeros(n)
    has_ahead = ahead.shape[0] > 0
    has_serial = serial.shape[0] > 0
    has_pieces = pieces.shape[0] > 0
    for k in range(n):
        i = p[k]
        d = end[i] - start[i]
        o = min(latency_s[i], d)
        rest = d - o
        comp = compute_s[i]
        w = 0
        xfer = 0.0
        if n_res:
            xfer = resource_s[i, 0]
            for j in range(1, n_res):
                if resource_s[i, j] > xfer:
                    xfer = resource_s[i, j]
                    w = j
        xa = xb = -1.0  # with transfers ahead: the slowest of those, then of the rest, added
        if has_ahead and n_res:
            for j in range(n_res):
                v = resource_s[i, j]
                if ahead[i, j] and v > xa:
                    xa, w = v, j
                elif not ahead[i, j] and v > xb:
                    xb, which2[k] = v, j
            if xa >= 0.0:
                xfer = xa + max(xb, 0.0)
        budget = comp  # the most compute time the split may give the op
        is_ser = has_serial and serial[i]
        in_pieces = (not is_ser) and has_pieces and (pieces[i, 0] < np.inf or pieces[i, 1] < np.inf)
        last = 0.0
        if is_ser:
            total = xfer + comp
            share = xfer / total if total > 0 else 0.0
        elif in_pieces:
            last = comp / pieces[i, 1] if pieces[i, 1] < np.inf else 0.0
            first = xfer / pieces[i, 0] if pieces[i, 0] < np.inf else 0.0
            if xfer + last > comp + first:  # transfer-bound: X, then its last piece's compute
                share = xfer / (xfer + last)
                budget = last
            else:
                total = comp + first
                share = first / total if total > 0 else 0.0
        else:
            share = 1.0 if xfer > comp else 0.0
        r = rest * share
        c_part = rest - r
        if n_res and xfer > 0.0 and c_part > budget * (1.0 + 1e-9) + 1e-18:
            # the op took longer than alone (in the DES its transfers shared a link, queued or
            # paid a loaded latency: its compute time is fixed), so the split by times alone
            # would give compute more than it has: split by the transfer time it realised,
            # X_r, from the rule that set the duration (serial: X_r + C; overlapped:
            # max(X_r, C); pieces: max(X_r + C_last, C + X_r / p_x))
            if is_ser:
                c_part = comp
            elif in_pieces:
                x_r = rest - last
                fill = x_r / pieces[i, 0] if pieces[i, 0] < np.inf else 0.0
                c_part = last if x_r + last >= comp + fill else comp
            else:
                c_part = 0.0  # max(X_r, C) = rest > C: the transfers set it
            r = rest - c_part
        if xa >= 0.0 and xb > 0.0:  # the rest's share of the transfers' part
            to_res2[k] = r * (xb / xfer)
            r = r - to_res2[k]
        over[k] = o
        which[k] = w
        to_res[k] = r
        comp_part[k] = c_part
    return over, comp_part, which, to_res, which2, to_res2


def measured_share(path: np.ndarray, start: np.ndarray, end: np.ndarray, latency_s: np.ndarray,
                   compute_s: np.ndarray, resource_s: np.ndarray, measured: np.ndarray,
                   serial: np.ndarray | None = None, pieces: np.ndarray | None = None,
                   ahead: np.ndarray | None = None) -> float:
    """The fraction of the critical path's compute part (:func:`attribute_path`) spent in ops
    whose compute time comes from a measured table (``measured``, a bool per op); 0 when the
    path has no compute time."""
    p = np.asarray(path, dtype=np.int64)
    if not len(p):
        return 0.0
    comp_part = _split_path(p, start, end, latency_s, compute_s, resource_s, serial, pieces,
                            ahead)[1]
    total = float(comp_part.sum())
    return float(comp_part[np.asarray(measured, bool)[p]].sum()) / total if total > 0 else 0.0


def one_device(r) -> bool:
    """A tensor- or pipeline-parallel run, whose latency and energy are one device's share;
    tables mark it ``(1d)``."""
    return bool(getattr(r, "one_device_share", False))


def bound_of(path_time: dict[str, float], memory_levels, latency_s: float,
             critical_path_s: float, classes: dict[str, str] | None = None) -> tuple[str, str]:
    """``(bound, part)``: the bound class (one of ``BOUNDS``) and the path part that names it;
    ``classes`` gives the class of a component's compute parts (e.g. ``cim_buffer``: memory)."""
    part = max(path_time, key=lambda k: path_time[k])  # first on ties: levels, links, compute
    if part == "overhead":
        return ("dependency" if latency_s <= 1.1 * critical_path_s else "overhead"), part
    if part == "compute":
        return "compute", part
    if classes and part in classes:
        return classes[part], part
    return ("memory" if part in memory_levels else "interconnect"), part
