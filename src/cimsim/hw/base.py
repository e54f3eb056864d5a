"""The hardware-component protocol: what a device type must say about itself.

A *component* is one device of an architecture (a host processor, near-bank PIM units, CIM
crossbars, a systolic array, ...). Its type is one class, found through :mod:`cimsim.hw.registry`,
that owns

- its configuration model (:attr:`Component.Config`, a pydantic model parsed from the
  component's YAML section, quantities with units);
- which ops it claims (:meth:`Component.claim`) and in what priority (:attr:`Component.priority`:
  higher claims first; the processor, priority 0, takes what is left), and a note on those its
  limits keep from it (``claim_note``);
- its placement data (:meth:`Component.place` -> :class:`Plan`): the engine servers its ops run
  on, which ops are serial, notes, per-op columns;
- its per-op cost (:meth:`Component.cost` -> :class:`OpCost`): time on its server, fixed
  latency, bytes over each memory level or link by name, energy per part by name;
- its static power (in parts if it likes), its energy parts and its utilizations.

Contract (enforced by :mod:`cimsim.mapping` and :mod:`cimsim.cost`):

1. ``claim`` sees every op (:class:`cimsim.workload.oparrays.OpArrays`) and a mask of the ops
   not yet claimed; it returns a mask of ops it takes (a subset of the free ones).
2. ``place`` and ``cost`` see only the indices of the ops the component runs, in program
   order, and return arrays aligned with those indices.
3. Times are seconds, bytes are bytes, energies joules, SI floats; every value is finite and
   non-negative (the stages check it and name the component that broke it).
4. Bytes are charged to *resources* by name: the architecture's memory levels and links
   (:class:`Hardware`), themselves registered types (:class:`Resource`: ``hw/memory/``,
   ``hw/links/``). The stages turn bytes into transfer time (the resource's rate, shared in the
   engine) and energy (its energy per byte); a component never computes those itself, and it
   sees the hardware without rate fields (:meth:`Hardware.rate_free`). It says which of those
   bytes are writes (:attr:`OpCost.write_bytes`; the rest are reads).
5. A component imports only ``cimsim.hw``, ``quantity``, ``units``, ``dtypes``, ``errors``
   and ``workload.oparrays``, never a stage (``tests/test_layering.py``).
"""

from __future__ import annotations

from types import MappingProxyType
from typing import TYPE_CHECKING, AbstractSet, ClassVar, Generic, Mapping, Optional, TypeVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..quantity import (Bytes, Flag, JoulesPerBit, JoulesPerByte, PositiveInt, Seconds,  # noqa: F401
                        SquareMeters, Volts, BytesPerSecond, Fraction, NonNegativeInt,  # noqa: F401
                        Meters, NonNegativeFloat, Watts)  # noqa: F401  (re-exported, as before 0.5's move)
from ..errors import involving; from ..workload.oparrays import OpArrays  # noqa: F401,E702  (OpArrays re-exported)
from .declared import Declared; from .homes import FarPlace, home_names, near_on_chip_field, off_chip_names  # noqa: E702
from .idle import Idle, idle_field, read_only_field, refuse_volatile_read_only, volatile_field
from .lru import Replacement, replacement_field
from .stack import LevelStack, PartStack, area_field, off_chip_field, stack_field
from .pattern import STREAM, Pattern  # noqa: F401  (re-exported: plug-ins import them here)
from .plan import (MEASURED_BOUND_DETAIL, MEASURED_COMPUTE, OpCost, Plan,  # noqa: F401
                   add_stored, row_pieces)  # (re-exported: plug-ins import them here)
from .ratefree import RATE, RateFree, is_rate  # noqa: F401  (re-exported: plug-ins import them here)

if TYPE_CHECKING:
    from .technology import Technology


class Strict(BaseModel):
    """Base of every config model: unknown keys are errors, objects are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


class ComponentConfig(Strict):
    """Base of a component's config section. ``type`` names the registered component type
    (it defaults to the section's key when that key is a type name, e.g. ``cim:``)."""

    type: str = Field(description="Component type (see `cimsim fields`): processor, pim, cim, systolic, ...")
    idle: Idle = idle_field()
    stack: PartStack = stack_field(component=True)


# ====================================================================== resources
# Memory levels and links: registered :class:`Resource` types (``hw/memory/``, ``hw/links/``).


class ResourceConfig(Strict):
    """Base of a memory level's or link's config section; ``type`` picks its class."""

    type: str = Field(default="fixed", description="Resource type (see `cimsim fields`): fixed "
                      "(bandwidth x sustained fraction, whatever the pattern), dram (JEDEC timing), ...")


class MemoryLevel(ResourceConfig):
    """What every memory level has, whatever its type (SRAM, a cache, DRAM, HBM, flash), innermost
    first; the last is the backing store that holds every tensor. A type adds how fast it moves bytes."""

    technology: str = Field(default="", description="Label, e.g. 'L3 SRAM', 'DDR5-4800', 'HBM3'.")
    capacity: Bytes = Field(description="Usable capacity.")
    latency: Seconds = Field(default="0 s", description="Latency from request to first data "
                             "(load-to-use), paid once by an op that reads this level.")
    energy_per_byte: JoulesPerByte | None = Field(
        default=None, description="Energy per byte read or written (give this or energy_per_bit).")
    energy_per_bit: JoulesPerBit | None = Field(
        default=None, description="Energy per bit moved (give this or energy_per_byte).")
    channels: PositiveInt = Field(default=1, description="Independent channels (or pseudo-channels); "
                                  "near-bank PIM units are replicated per channel.")
    area: SquareMeters | None = area_field()
    off_chip: Optional[Flag] = off_chip_field()
    stack: LevelStack = stack_field(component=False)
    far: Flag = Field(default=False, description="The backing store is a far memory tier (a CXL "
        "expander, a second NUMA node, host memory over PCIe): a flat tier beside the level before "
        "it (the near tier), not a cache behind it. Their capacities add; tensors fill the near "
        "tier first (first touch, unless `place` says) and spill to this one; its bytes pass the "
        "levels inside the near tier, not the near tier. The last level only.")
    near_on_chip: Flag = near_on_chip_field()
    place: Optional[FarPlace] = Field(default=None, description="A far tier's offload policy: "
        "the share (0 to 1) of weights, kv_cache, activations homed here; others: first touch.")
    static_power: Watts = Field(default="0 W", description="Power the level draws whatever its traffic, over "
        "the whole run (DRAM background: standby, refresh, the DIMM's register and PMIC, the PHY's idle power), "
        "counted in the static energy. Default: 0 W, not stated (no bundled config has a cited figure).")
    idle: Idle = idle_field()
    volatile: Optional[Flag] = volatile_field()
    read_only: Flag = read_only_field()
    replacement: Replacement = replacement_field()

    @model_validator(mode="after")
    def _one_energy(self) -> "MemoryLevel":
        if (self.energy_per_byte is None) == (self.energy_per_bit is None):
            raise ValueError("give exactly one of energy_per_byte and energy_per_bit")
        return refuse_volatile_read_only(self)

    @property
    def joules_per_byte(self) -> float:
        """Energy per byte moved (J/B): ``energy_per_byte``, or 8 x ``energy_per_bit``."""
        return self.energy_per_byte if self.energy_per_byte is not None else 8.0 * self.energy_per_bit


class Link(ResourceConfig):
    """What every link has (a NoC port, chip-to-chip, PCIe): a latency and an energy per bit.
    A type adds how fast it moves bytes."""

    latency: Seconds = Field(description="Latency of one transfer.")
    energy_per_bit: JoulesPerBit = Field(description="Energy per bit moved.")
    static_power: Watts = Field(
        default="0 W", description="Power the link draws whatever its traffic, over the whole "
        "run (its PHYs' idle power), counted in the static energy. Default: 0 W, not stated.")
    idle: Idle = idle_field()

    @property
    def joules_per_byte(self) -> float:
        """Energy per byte moved (J/B): 8 x ``energy_per_bit``."""
        return 8.0 * self.energy_per_bit


class Resource:
    """Base class of a memory-level or link type: one shared bandwidth of the engine.

    A type names itself (:attr:`type_name`), its config model (:attr:`Config`, a subclass of
    :class:`MemoryLevel` or :class:`Link` whose rate fields say so with ``json_schema_extra=RATE``)
    and answers, for a transfer of a given :class:`Pattern`:

    - :meth:`bytes_per_s`: the rate it sustains (a *rate*: only the stages ask);
    - :meth:`peak_bytes_per_s`: its peak, for utilizations (a rate);
    - :meth:`joules_per_byte` and :meth:`latency_s`: energy and access latency (components
      may ask; they must not depend on rate fields, and cannot: a component's view of a
      resource has no rate fields, see :meth:`Hardware.rate_free`).
    """

    #: "memory" or "link"
    kind: ClassVar[str] = ""
    type_name: ClassVar[str] = ""
    Config: ClassVar[type[ResourceConfig]] = ResourceConfig
    #: the type's rate is the same for every :class:`Pattern` (``type: fixed``): the stages
    #: then ask no op's pattern (the fast path). False (the safe default): they ask per pattern.
    pattern_free: ClassVar[bool] = False

    def __init__(self, name: str, config):
        self.name = name
        self.config = config

    def bytes_per_s(self, pattern: Pattern = STREAM) -> float:
        """The rate (B/s, finite, > 0) a transfer of ``pattern`` sustains on this resource alone;
        the engine shares it among concurrent transfers. Required; only the stages call it."""
        raise NotImplementedError

    def peak_bytes_per_s(self) -> float:
        """The peak rate (B/s) utilizations are taken against. Required; a rate."""
        raise NotImplementedError

    def rates_of(self, access_bytes: np.ndarray, read_fraction: np.ndarray) -> np.ndarray:
        """:meth:`bytes_per_s` of many patterns at once (``access_bytes`` 0 = streaming), one
        call per distinct pattern; a type may override it with a vectorised closed form."""
        keys, inverse = np.unique(np.stack([access_bytes, read_fraction], axis=1), axis=0,
                                  return_inverse=True)
        out = np.array([self.bytes_per_s(STREAM if (s == 0 and r == 1) else Pattern.random_access(
            float(s), float(r)) if s > 0 else Pattern.stream(float(r))) for s, r in keys], dtype=np.float64)
        return out[inverse.reshape(-1)]

    def joules_per_byte(self, pattern: Pattern = STREAM) -> float:
        """Energy (J) per byte a transfer of ``pattern`` moves. Default: the config's
        ``energy_per_byte``, or 8 x ``energy_per_bit``. Must not read a rate field."""
        c = self.config
        e = getattr(c, "energy_per_byte", None)
        return e if e is not None else 8.0 * c.energy_per_bit

    def latency_s(self, pattern: Pattern = STREAM) -> float:
        """Fixed access latency (s) of one transfer of ``pattern``, unloaded. Default: the
        config's ``latency``. A component adds it to its ops (:meth:`Hardware.latency_of`)."""
        return self.config.latency

    def loaded_latency_curve(self) -> Optional[tuple[list[float], list[float]]]:
        """Extra latency of a transfer against the share ``u`` of this resource's rate that
        other transfers used while it was in flight, as ``(u, extra_s)`` points (piecewise
        linear from ``(0, 0)``), or None (the default: the latency whatever the load). Only
        the stages ask (the engine applies it; see :mod:`cimsim.engine.des`)."""
        return None

    def rate_free(self) -> "Resource":
        """The same resource over a :class:`RateFree` view of its config."""
        return type(self)(self.name, RateFree(self.config))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"


class MemoryResource(Resource):
    """Base class of a memory-level type (config: a :class:`MemoryLevel`)."""

    kind = "memory"
    Config: ClassVar[type[MemoryLevel]] = MemoryLevel


class LinkResource(Resource):
    """Base class of a link type (config: a :class:`Link`)."""

    kind = "link"
    Config: ClassVar[type[Link]] = Link


class Hardware:
    """The machine's shared resources: the memory levels (innermost first, the last one the
    backing store) and the links, by name. :attr:`memory` and :attr:`links` map names to
    configs, :attr:`technology` is the shared process block; :meth:`resource` returns the :class:`Resource` of any of them. The stages use the
    architecture's hardware; a component gets :meth:`rate_free` (no rate fields anywhere)."""

    def __init__(self, memory: Mapping[str, Resource], links: Mapping[str, Resource],
                 technology: Optional[Technology] = None,
                 onchip: Optional[Mapping[str, Resource]] = None, cache_link: Optional[str] = None):
        self.technology = technology  # the shared process block (None when the config has none)
        self.cache_link = cache_link  # Component.cache_link's, or None: appends to the backing store
        onchip = dict(onchip or {})
        self._res: dict[str, Resource] = {**memory, **links, **onchip}
        self.memory: Mapping[str, MemoryLevel] = MappingProxyType({n: r.config for n, r in memory.items()})
        self.links: Mapping[str, Link] = MappingProxyType({n: r.config for n, r in links.items()})
        #: bandwidths inside a component that its ops share (Component.shared_bandwidths, e.g. a
        #: CIM chip's global buffer and bus), after the links; the engine shares them like links
        self.onchip: Mapping[str, Link] = MappingProxyType({n: r.config for n, r in onchip.items()})

    def resource(self, name: str) -> Resource:
        """The memory level or link ``name`` (KeyError naming what exists otherwise)."""
        try:
            return self._res[name]
        except KeyError:
            raise KeyError(f"'{name}' is not a memory level or link; the architecture has "
                           f"{list(self._res)}") from None

    def rate_free(self) -> "Hardware":
        """This hardware with every resource over a rate-free view of its config."""
        return Hardware({n: self._res[n].rate_free() for n in self.memory},
                        {n: self._res[n].rate_free() for n in self.links}, self.technology,
                        {n: self._res[n].rate_free() for n in self.onchip}, self.cache_link)

    @property
    def backing_store(self) -> str:
        """The name of the last (outermost) memory level, which holds every tensor."""
        return list(self.memory)[-1]

    @property
    def off_chip(self) -> tuple[str, ...]:
        """The memory levels off the compute chip (:attr:`MemoryLevel.off_chip`; default: the
        backing store, and the near tier beside a far one), innermost first."""
        return off_chip_names(self.memory.items())

    @property
    def home_tiers(self) -> tuple[str, ...]:
        """The levels that are the home of tensors: the backing store, or, where it is a far
        tier (:attr:`MemoryLevel.far`), the near tier before it and it (near first)."""
        return home_names(self.memory.items())

    @property
    def home_capacity(self) -> float:
        """Bytes the home tiers hold together (:attr:`home_tiers`: capacities add)."""
        return float(sum(float(self.memory[n].capacity) for n in self.home_tiers))

    @property
    def store_target(self) -> str:
        """The resource a KV-cache append is charged to (:func:`add_stored`): the link of a
        component holding the cache in its own memory (:meth:`Component.cache_link`), else the
        backing store."""
        return self.cache_link or self.backing_store

    @property
    def resources(self) -> tuple[str, ...]:
        """Every shared bandwidth the engine models: memory levels, then links, then the
        components' on-chip shared bandwidths."""
        return (*self.memory, *self.links, *self.onchip)

    def link_named(self, name: str | None) -> str | None:
        """``name``, or the architecture's only link when ``name`` is None (None if ambiguous)."""
        if name is not None:
            return name
        return next(iter(self.links)) if len(self.links) == 1 else None

    def link_errors(self, field: str, name: str | None, what: str) -> list[tuple[str, str]]:
        """A component's ``(field, message)`` errors for the link ``name`` it names (see Component.check)."""
        if name is None:
            return [(involving(field, "links"), f"name the link between {what}; the architecture has "
                     f"{list(self.links) or 'no links (add a links: section)'}")]
        if name not in self.links:
            return [(involving(field, f"links.{name}"), f"'{name}' is not a link; the architecture has {list(self.links)}")]
        return []

    def latency_of(self, resource: str, pattern: Pattern = STREAM) -> float:
        """:meth:`Resource.latency_s` of the memory level or link ``resource`` (s): what a
        component adds to :attr:`OpCost.latency_s` for a transfer over it (the stages do not)."""
        return self.resource(resource).latency_s(pattern)


#: the config model of a component type: ``class CIM(Component[CIMConfig])`` types ``self.config``
ConfigT = TypeVar("ConfigT", bound=ComponentConfig)


class Component(Declared, Generic[ConfigT]):
    """Base class of a hardware component type (see the module docstring). Generic over its
    config model, so that a type checker sees the type's own fields on ``self.config``:
    ``class MyAccelerator(Component[MyConfig])`` with ``Config = MyConfig``."""

    #: the ``type:`` value that selects this class in a config
    type_name: ClassVar[str] = ""
    #: the pydantic model of this component's config section
    Config: ClassVar[type[ComponentConfig]] = ComponentConfig
    #: claim order: higher claims first; components of equal priority must claim disjoint
    #: ops (placement refuses an op two of them would claim)
    priority: ClassVar[int] = 0
    #: reads its bytes through a near and a far tier (hierarchy rule 9), or charges no level
    reads_far_tier: ClassVar[bool] = False
    #: names of the energy parts this type reports (prefixed with the instance name)
    energy_parts: ClassVar[tuple[str, ...]] = ()
    #: names of the utilizations this type reports (prefixed with the instance name)
    utilizations: ClassVar[tuple[str, ...]] = ()
    #: those of :attr:`utilizations` that may exceed 1: a unit the cost charges each op alone
    #: though ops in flight together use it (a CIM chip's level under ``shared_levels:
    #: per_op``); reported as they are, with a note (:mod:`cimsim.report.utilization`)
    oversubscribed_utilizations: ClassVar[tuple[str, ...]] = ()
    #: scalar facts its plans report (``Plan.summary`` keys) and their values when it runs no op
    facts: ClassVar[Mapping[str, object]] = MappingProxyType({})
    #: a short word for what the component is, used in tables ("host", "CIM", ...)
    label: ClassVar[str] = ""
    #: parts of its compute time it reports (:attr:`OpCost.compute_parts`), each with the bound
    #: class it stands for ("memory", "interconnect" or "compute"); prefixed with the instance name
    compute_parts: ClassVar[Mapping[str, str]] = MappingProxyType({})
    #: how ``--accuracy`` scores it (:mod:`cimsim.accuracy.target`): ``"cim"`` (the built-in
    #: CIM's sliced arithmetic, read from its ``CIMConfig``, on the matmuls with a stationary
    #: weight), ``"fixed"`` (exact integer products at its config's ``weight_bits`` x
    #: ``input_bits``, on every matmul), ``"analog"`` (an ADC-limited analog dot product:
    #: :meth:`accuracy_arith` gives its arithmetic) or ``"exact"`` (the ops' own dtype); None
    #: (default): unknown, and ``--accuracy`` refuses an architecture with it rather than guess
    accuracy_arithmetic: ClassVar[Optional[str]] = None

    def __init__(self, name: str, config: ConfigT, hw: Hardware):
        self.name = name
        self.config: ConfigT = config
        self.hw = hw

    # ------------------------------------------------------------------ hooks
    def check(self) -> list[tuple[str, str]]:
        """Cross-references to the rest of the machine that are wrong, as ``(field, message)``
        pairs (a field below the component, e.g. a link it names; ``/path`` outside it)."""
        return []

    def claim(self, ops: OpArrays, free: np.ndarray) -> np.ndarray:
        """Which of the ``free`` ops this component takes (bool mask over all ops)."""
        return np.zeros_like(free)

    def place(self, ops: OpArrays, idx: np.ndarray) -> Plan:
        """Placement of the ops ``idx`` it claimed (program order): a :class:`Plan` with, per op,
        its engine server (``server``, 0 .. ``n_servers`` - 1) and ``serial`` (transfers before
        compute), plus notes, ``summary`` facts (keys declared in :attr:`facts`), extra op-table
        columns and private ``state`` for :meth:`cost`. Required; may raise
        :class:`~cimsim.errors.MappingError` for what the config cannot run."""
        raise NotImplementedError

    def workload_errors(self, metadata: Mapping) -> list[str]:
        """What in the workload's ``metadata`` this component's config contradicts."""
        return []

    def claim_note(self, ops: OpArrays, free: np.ndarray, took: np.ndarray) -> Optional[str]:
        """A note on the ``free`` ops (unclaimed when it claimed) it could run but a limit of its
        config kept it from taking (``took``: those it took), naming the field; or None."""
        return None

    def claims_words(self) -> Optional[str]:
        """What it claims, in words, noted where it took no op and :meth:`claim_note` said nothing."""
        return None

    def unclaimed_hint(self, ops: OpArrays, unclaimed: np.ndarray) -> Optional[str]:
        """What in this component's config would let it run some of the ``unclaimed`` ops
        nobody claims (one clause for the placement error), or None."""
        return None

    def backing_outputs(self, ops: OpArrays, idx: np.ndarray) -> Optional[np.ndarray]:
        """bool per op of ``idx``: its activations go through the backing store (a host whose
        levels do not hold them): its outputs are written there and stay, so another
        component's op reading one has it read back from there (:attr:`OpArrays.backed`), and
        it reads its inputs from there, so another component's output it reads is written
        there first (:attr:`OpArrays.landed`). None (default): none do."""
        return None

    def device_bytes(self, ops: OpArrays, idx: np.ndarray) -> float:
        """Bytes the ops ``idx`` keep resident in a memory of the component's own that also
        holds the KV cache (a separate PIM device's weights); the placement checks them with
        the cache against :attr:`Architecture.cache_memory`. 0 by default."""
        return 0.0

    def held_bytes(self, ops: OpArrays, idx: np.ndarray) -> Optional[np.ndarray]:
        """float64 by tensor id: the bytes the weights and KV caches its ops ``idx`` read are
        held at in memory in the component's own number format (a PIM unit's fp16 holding
        int8); the placement counts the footprint with those that exceed the tensor's own
        bytes (each pipeline stage's, at its peak). None (default): at their own."""
        return None

    @classmethod
    def shared_bandwidths(cls, name: str, config: ConfigT,
                          technology: Optional[Technology] = None) -> dict[str, float]:
        """Bandwidths inside the component that its ops share with each other (B/s by resource
        name), e.g. a CIM chip's one global buffer and bus: the engine shares each like a link
        (ops charge bytes to them in :attr:`OpCost.bytes`); their energy stays the component's.
        Default: none."""
        return {}

    @classmethod
    def shared_classes(cls, name: str, config: ConfigT,
                       technology: Optional[Technology] = None) -> dict[str, str]:
        """The bound class (``memory`` or ``interconnect``) of each of :meth:`shared_bandwidths`
        that the critical path may be bound by; one left out is ``interconnect``. Default: none."""
        return {}

    @classmethod
    def shared_roofs(cls, name: str, config: ConfigT,
                     technology: Optional[Technology] = None) -> dict[str, float]:
        """Each of :meth:`shared_bandwidths` at the rate a stream of bytes gets from it (a
        roofline's roof, B/s): a CIM chip level's buffer and bus together. Default: those."""
        return cls.shared_bandwidths(name, config, technology)

    @classmethod
    def cache_link(cls, name: str, config: ConfigT, links: tuple[str, ...]) -> Optional[str]:
        """The link (of ``links``) a KV-cache append crosses when the cache is in a memory of its
        own (PIM, separate sharing); None (default): the backing store."""
        return None

    def cache_memory(self) -> Optional[tuple[str, float]]:
        """``(what, capacity in bytes)`` of the memory of its own that holds the KV cache when
        :meth:`cache_link` is set (the placement's capacity check holds the cache to it), else
        None (default)."""
        return None

    def cost(self, ops: OpArrays, idx: np.ndarray, plan: Plan) -> OpCost:
        """Per-op cost of the ops ``idx`` under ``plan``: an :class:`OpCost` whose arrays are
        float, finite, >= 0 and of ``len(idx)``: ``compute_s`` (busy time on its server),
        ``latency_s`` (fixed delay, including each memory level's or link's own latency, e.g.
        ``self.hw.latency_of(link)``: the stages add none), ``bytes`` keyed by resource name (a
        memory level, link or its own shared bandwidth: the stages turn them into transfer time
        and energy), ``energy`` keyed by the parts of :attr:`energy_parts` (J), ``busy`` by
        :attr:`utilizations`; optionally ``write_bytes``, ``hold_s``, ``pieces``. Required."""
        raise NotImplementedError

    @property
    def static_power_w(self) -> float:
        """Static (leakage) power in W, charged over the whole run. Default: the config's
        ``static_power`` field, 0 without one."""
        return float(getattr(self.config, "static_power", 0.0))

    @property
    def tdp_w(self) -> float | None:
        """The thermal design power its config states (a ``tdp`` field), W; None without one."""
        tdp = getattr(self.config, "tdp", None)
        return None if tdp is None else float(tdp)

    @property
    def tdp_includes(self) -> tuple[str, ...]:
        """Memory levels and links whose energy (by this component's ops' bytes) the TDP covers
        (a ``tdp_includes`` field; none without one)."""
        return tuple(getattr(self.config, "tdp_includes", None) or ())

    @property
    def sits_in(self) -> str | None:
        """The memory level whose dies hold this component's silicon (near-bank PIM units in
        their DRAM/HBM dies): a component whose ``tdp_includes`` names that level counts its
        power against its TDP. Default: None (its own die)."""
        return None

    def utilization(self, ops: OpArrays, idx: np.ndarray, plan: Plan, cost: OpCost, busy_s: float,
                    latency_s: float) -> dict[str, float]:
        """Utilizations in [0, 1] over a run of ``latency_s``, one per name in
        :attr:`utilizations`: ``busy`` is the time the component's servers spent running its ops
        (``busy_s``, from the engine); any other name is ``sum(cost.busy[name])`` (seconds of
        the whole unit at full use, e.g. MACs / peak MAC rate) over the latency."""
        out = {}
        for name in self.utilizations:
            t = busy_s if name == "busy" else float(np.sum(cost.busy[name]))
            out[name] = t / latency_s if latency_s > 0 else 0.0
        return out

    def provenance(self, marks: AbstractSet[str] = frozenset()) -> dict:
        """Where this component's numbers come from: ``{"energy": {part: p}, "area": {part: p},
        "static": p}``, p one of given, derived, placeholder. ``marks``: the dotted paths the
        config marks as placeholders (:mod:`cimsim.config.marks`). Default: every energy part is
        a placeholder when any marked field of this component names an energy, every area part
        when a marked field is under ``area``; static power when ``static_power`` is marked.
        Components that derive numbers say more (the CIM does)."""
        pre = f"{self.name}."
        own = [m[len(pre):] for m in marks if m.startswith(pre)]
        e = "placeholder" if any("energy" in m for m in own) else "given"
        a = "placeholder" if any(m == "area" or m.startswith("area.") for m in own) else "given"
        return {"energy": {p: e for p in self.energy_parts},
                "area": {p: a for p in self.area_m2()},
                "static": "placeholder" if "static_power" in own else "given"}

    def derived_values(self) -> dict[str, tuple[float, str]]:
        """The config fields (paths below the component) the config leaves out and the
        component derives: ``{field: (value in the field's own unit, provenance)}``, provenance
        ``derived`` or ``placeholder`` as in :meth:`provenance`. ``cimsim fields -c`` shows
        them. Default: none (a component that derives nothing)."""
        return {}

    def extrapolated(self) -> bool:
        """Whether a circuit model this component uses runs outside the range its laws were
        fitted on (the result's ``extrapolated``; the component's note says where). Default:
        False (a component without circuit models)."""
        return False

    def fixed_totals(self) -> dict[str, tuple[str, int, float, str]]:
        """``{field: (what is counted, count, value, unit)}``: each config field (below the
        component) given as one total for all of a count of things (a PIM's ``static_power``
        for its units), which does not scale when the count changes. A run whose ``--set`` or
        sweep changes such a count and not the total gets a note
        (:func:`cimsim.hw.totals.unscaled_notes`). Default: none."""
        return {}

    def stated_dependents(self) -> dict[str, tuple[object, dict[str, tuple[float, str]]]]:
        """``{input field: (its value, {field: (value, unit)})}``: the config fields (below the
        component) given as numbers that the component would otherwise derive from the input
        field (a CIM's ADC energy, rate and area from ``adc.bits``), so they do not follow it. A
        run whose ``--set`` or sweep changes the input and leaves them gets a note
        (:func:`cimsim.hw.totals.stated_notes`). Default: none."""
        return {}

    def area_m2(self) -> dict[str, float]:
        """Silicon area by part (m^2), from the component's own parameters; empty when its
        config gives no area. Default: a config field ``area`` (m^2) is the part ``die``."""
        area = getattr(self.config, "area", None)
        return {"die": float(area)} if isinstance(area, (int, float)) else {}

    @property
    def dies(self) -> int:
        """Identical dies that :meth:`area_m2` is spread over (a CIM's ``chips``); the reticle
        note compares one die's share. Default: 1."""
        return 1

    def compute_bits(self) -> tuple[int, int] | None:
        """``(weight bits, input bits)`` this component computes at whatever the workload's
        dtype (a CIM's fixed precision), or None when it computes in the ops' own dtype."""
        return None

    def compute_dtype(self) -> str | None:
        """The number format (a dtype name) it computes in whatever the ops' dtype, or None."""
        return None

    def peak_macs_per_s(self, dtype: str) -> float | None:
        """Peak MAC rate for ``dtype`` (rooflines), or None if the component does no MACs."""
        return None

    def mac_precision(self, dtype: str) -> str:
        """The precision it does a ``dtype`` workload's MACs at (roofline labels; CIMs quantize)."""
        return self.compute_dtype() or dtype

    def internal_bandwidths(self) -> dict[str, float]:
        """Bandwidths inside the component that its ops read over and no memory level or link
        carries (a near-bank PIM's banks), ``{part: B/s}``: the rooflines draw each as a roof of
        its own, ``<component>_<part>``. An op's bytes there are the op column ``<part>_bytes``
        of its :attr:`Plan.op_columns` (``<component>_<part>_bytes`` in the op table). Default:
        none."""
        return {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"


def __getattr__(name: str):
    # Technology and Register moved to .technology (which imports this module's Strict); a
    # plug-in's ``from cimsim.hw.base import Technology`` still works
    if name in ("Technology", "Register"):
        from . import technology

        return getattr(technology, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
