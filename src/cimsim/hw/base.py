"""The hardware-component protocol: what a device type must say about itself.

A *component* is one device of an architecture (a host processor, near-bank
PIM units, CIM crossbars, a systolic array, ...). Its type is one class, found
through :mod:`cimsim.hw.registry`, that owns

- its configuration model (:attr:`Component.Config`, a pydantic model parsed
  from the component's YAML section, quantities with units);
- which ops it claims (:meth:`Component.claim`) and in what priority
  (:attr:`Component.priority`: higher claims first; the processor, priority 0,
  takes what is left);
- its placement data (:meth:`Component.place` -> :class:`Plan`): the engine
  servers its ops run on, which ops are serial, notes, per-op columns;
- its per-op cost (:meth:`Component.cost` -> :class:`OpCost`): time on its
  server, fixed latency, bytes over each memory level or link by name, energy
  per part by name;
- its static power, its energy parts and its utilizations.

Contract (enforced by :mod:`cimsim.mapping` and :mod:`cimsim.cost`):

1. ``claim`` sees every op (:class:`cimsim.workload.arrays.OpArrays`) and a
   mask of the ops not yet claimed; it returns a mask of ops it takes (a
   subset of the free ones).
2. ``place`` and ``cost`` see only the indices of the ops the component runs,
   in program order, and return arrays aligned with those indices.
3. Times are seconds, bytes are bytes, energies joules, SI floats; every
   value is finite and non-negative (the stages check it and name the
   component that broke it).
4. Bytes are charged to *resources* by name: the architecture's memory levels
   and links (:class:`Hardware`). The stages turn bytes into transfer time
   (shared bandwidth in the engine) and energy (the resource's energy per
   byte); a component never computes those itself.
5. A component imports only this module, :mod:`cimsim.quantity` and
   :mod:`cimsim.errors`: it never imports a stage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Mapping

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..quantity import (
    Bytes,
    BytesPerSecond,
    Fraction,
    JoulesPerBit,
    JoulesPerByte,
    NonNegativeInt,  # noqa: F401  (re-exported for components)
    PositiveInt,
    Seconds,
    SquareMeters,
)


#: marks a *rate* field (``Field(..., json_schema_extra=RATE)``): one the stages apply (the
#: engine's bandwidths) and no component reads, so runs that differ only in rates share a
#: placement and cost table (:mod:`cimsim.cost.cache`)
RATE = {"rate": True}


class Strict(BaseModel):
    """Base of every config model: unknown keys are errors, objects are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


class ComponentConfig(Strict):
    """Base of a component's config section. ``type`` names the registered component type
    (it defaults to the section's key when that key is a type name, e.g. ``cim:``)."""

    type: str = Field(description="Component type (see `cimsim fields`): processor, pim, cim, systolic, ...")


class MemoryLevel(Strict):
    """One level of the memory hierarchy: an SRAM buffer, a last-level cache, DRAM or HBM.

    Every level is a bandwidth shared by the transfers in flight on it (the
    engine's processor sharing). Levels are listed innermost first; the last
    level of the architecture is the backing store that holds every tensor.
    """

    technology: str = Field(default="", description="Label, e.g. 'L3 SRAM', 'DDR5-4800', 'HBM3'.")
    capacity: Bytes = Field(description="Usable capacity.")
    bandwidth: BytesPerSecond = Field(description="Peak bandwidth of the level (all channels together).",
                                      json_schema_extra=RATE)
    sustained_fraction: Fraction = Field(
        default=1.0, description="Fraction of peak bandwidth that streaming transfers sustain.",
        json_schema_extra=RATE)
    latency: Seconds = Field(default="0 s", description="Latency from request to first data "
                             "(load-to-use), paid once by an op that reads this level.")
    energy_per_byte: JoulesPerByte | None = Field(
        default=None, description="Energy per byte read or written (give this or energy_per_bit).")
    energy_per_bit: JoulesPerBit | None = Field(
        default=None, description="Energy per bit moved (give this or energy_per_byte).")
    channels: PositiveInt = Field(default=1, description="Independent channels (or pseudo-channels); "
                                  "near-bank PIM units are replicated per channel.")
    area: SquareMeters | None = Field(default=None, description="Silicon area of an on-chip level "
                                      "(counted in the architecture's area; leave out off chip).")

    @model_validator(mode="after")
    def _one_energy(self) -> "MemoryLevel":
        if (self.energy_per_byte is None) == (self.energy_per_bit is None):
            raise ValueError("give exactly one of energy_per_byte and energy_per_bit")
        return self

    @property
    def joules_per_byte(self) -> float:
        return self.energy_per_byte if self.energy_per_byte is not None else 8.0 * self.energy_per_bit

    @property
    def effective_bandwidth(self) -> float:
        """Bandwidth the simulation uses, B/s: peak x sustained fraction."""
        return self.bandwidth * self.sustained_fraction


class Link(Strict):
    """A point-to-point link (a NoC port, chip-to-chip, PCIe): a shared bandwidth with a latency."""

    bandwidth: BytesPerSecond = Field(description="Peak bandwidth.", json_schema_extra=RATE)
    latency: Seconds = Field(description="Latency of one transfer.")
    energy_per_bit: JoulesPerBit = Field(description="Energy per bit moved.")
    sustained_fraction: Fraction = Field(default=1.0, description="Fraction of peak bandwidth sustained.",
                                         json_schema_extra=RATE)

    @property
    def joules_per_byte(self) -> float:
        return 8.0 * self.energy_per_bit

    @property
    def effective_bandwidth(self) -> float:
        return self.bandwidth * self.sustained_fraction


@dataclass(frozen=True)
class Hardware:
    """What a component sees of the rest of the machine: the memory levels (innermost
    first, the last one the backing store) and the links, by name."""

    memory: Mapping[str, MemoryLevel]
    links: Mapping[str, Link]

    @property
    def backing_store(self) -> str:
        return list(self.memory)[-1]

    @property
    def resources(self) -> tuple[str, ...]:
        """Every shared bandwidth the engine models: memory levels, then links."""
        return (*self.memory, *self.links)

    def link_named(self, name: str | None) -> str | None:
        """``name``, or the architecture's only link when ``name`` is None (None if ambiguous)."""
        if name is not None:
            return name
        return next(iter(self.links)) if len(self.links) == 1 else None

    def link_errors(self, field: str, name: str | None, what: str) -> list[tuple[str, str]]:
        """A component's ``(field, message)`` errors for the link ``name`` it names (see Component.check)."""
        if name is None:
            return [(field, f"name the link between the host and {what}; the architecture has "
                            f"{list(self.links) or 'no links (add a links: section)'}")]
        if name not in self.links:
            return [(field, f"'{name}' is not a link; the architecture has {list(self.links)}")]
        return []

    def latency_of(self, resource: str) -> float:
        return (self.memory[resource] if resource in self.memory else self.links[resource]).latency


@dataclass
class Plan:
    """Placement data of one component (arrays aligned with the op indices it runs)."""

    server: np.ndarray  # int64 local server of each op, 0 .. n_servers - 1
    n_servers: int
    #: the op's transfers must finish before its compute starts (e.g. a GEMV whose single
    #: input vector must arrive first); otherwise compute overlaps the transfers
    serial: np.ndarray
    notes: list[str] = field(default_factory=list)
    #: scalar facts for the report (e.g. arrays needed, re-programs), by result field name
    summary: dict[str, object] = field(default_factory=dict)
    #: extra per-op columns for the op table (bool or numeric arrays)
    op_columns: dict[str, np.ndarray] = field(default_factory=dict)
    #: anything the component's own cost() needs (private to the component)
    state: dict[str, object] = field(default_factory=dict)

    @classmethod
    def one_server(cls, n_ops: int, **kw) -> "Plan":
        """Every op on one server, none serial (a unit that runs one op at a time)."""
        return cls(server=np.zeros(n_ops, dtype=np.int64), n_servers=1,
                   serial=np.zeros(n_ops, dtype=bool), **kw)


@dataclass
class OpCost:
    """Per-op costs of one component (arrays aligned with its op indices)."""

    compute_s: np.ndarray  # time busy on the op's server, s
    latency_s: np.ndarray  # fixed delay after the work (dispatch, access latency), s
    bytes: dict[str, np.ndarray]  # resource name -> bytes the op moves over it
    energy: dict[str, np.ndarray]  # energy part -> J (parts from Component.energy_parts)
    #: busy time for utilization (e.g. array-seconds), by utilization name
    busy: dict[str, np.ndarray] = field(default_factory=dict)
    #: resource name -> seconds the op holds that resource at its full rate without moving
    #: bytes the report counts (e.g. PIM in all-bank mode, whose bank work blocks the host's
    #: accesses); the stages charge the engine ``hold_s x rate`` bytes, no energy
    hold_s: dict[str, np.ndarray] = field(default_factory=dict)


class Component:
    """Base class of a hardware component type (see the module docstring)."""

    #: the ``type:`` value that selects this class in a config
    type_name: ClassVar[str] = ""
    #: the pydantic model of this component's config section
    Config: ClassVar[type[ComponentConfig]] = ComponentConfig
    #: claim order: higher claims first; ties in config order
    priority: ClassVar[int] = 0
    #: names of the energy parts this type reports (prefixed with the instance name)
    energy_parts: ClassVar[tuple[str, ...]] = ()
    #: names of the utilizations this type reports (prefixed with the instance name)
    utilizations: ClassVar[tuple[str, ...]] = ()
    #: scalar facts its plans report (``Plan.summary`` keys) and their values when it runs no op
    facts: ClassVar[dict[str, object]] = {}
    #: a short word for what the component is, used in tables ("host", "CIM", ...)
    label: ClassVar[str] = ""

    def __init__(self, name: str, config: ComponentConfig, hw: Hardware):
        self.name = name
        self.config = config
        self.hw = hw

    # ------------------------------------------------------------------ hooks
    def check(self) -> list[tuple[str, str]]:
        """Cross-references to the rest of the machine that are wrong, as
        ``(field, message)`` pairs (e.g. a link name that does not exist)."""
        return []

    def claim(self, ops, free: np.ndarray) -> np.ndarray:
        """Which of the ``free`` ops this component takes (bool mask over all ops)."""
        return np.zeros_like(free)

    def place(self, ops, idx: np.ndarray) -> Plan:
        raise NotImplementedError

    def cost(self, ops, idx: np.ndarray, plan: Plan) -> OpCost:
        raise NotImplementedError

    @property
    def static_power_w(self) -> float:
        return float(getattr(self.config, "static_power", 0.0))

    def utilization(self, ops, idx: np.ndarray, plan: Plan, cost: OpCost, busy_s: float,
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

    def area_m2(self) -> dict[str, float]:
        """Silicon area by part (m^2), from the component's own parameters; empty when its
        config gives no area. Default: a config field ``area`` (m^2) is the part ``die``."""
        area = getattr(self.config, "area", None)
        return {"die": float(area)} if isinstance(area, (int, float)) else {}

    def peak_macs_per_s(self, dtype: str) -> float | None:
        """Peak MAC rate for ``dtype`` (rooflines), or None if the component does no MACs."""
        return None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"
