"""A validated architecture: memory levels, links and components, by name.

YAML layout (every section but ``memory`` optional)::

    name: my-arch
    description: one line
    memory:            # the hierarchy, innermost level first; the last is the backing store
      sram: {capacity: 37.5 MB, bandwidth: 1 TB/s, energy_per_byte: 12.5 pJ/B}
      dram: {technology: DDR5-4800, channels: 8, capacity: 256 GB, bandwidth: 307.2 GB/s,
             sustained_fraction: 0.7, latency: 110 ns, energy_per_bit: 20 pJ/bit}
    technology: {node: 22 nm, voltage: 0.8 V}   # optional: the process circuit models derive from
    thermal: {r_th: 0.5 K/W, t_ambient: 45 °C}  # optional: a junction temperature (t_junction_c)
    links:             # point-to-point links (host <-> accelerator)
      interconnect: {bandwidth: 32 GB/s, latency: 10 ns, energy_per_bit: 0.72 pJ/bit}
    processor:         # every other top-level key is a component; `type:` picks its class
      type: processor  #   (it defaults to the key when the key is a type name)
      ...
    cim: {...}

Memory levels and links are components too: each section's ``type`` (default
``fixed``) names a registered resource class whose ``Config`` (a
:class:`~cimsim.hw.base.MemoryLevel` or :class:`~cimsim.hw.base.Link`) validates
it; a component section is validated by its registered type's ``Config`` model
(:mod:`cimsim.hw.registry`). Every quantity
is stored as an SI float and written in YAML with its unit. Unknown keys are
rejected. An object is valid once :func:`cimsim.config.architecture_from_dict`
returns it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import Mapping, Optional

from ..dtypes import DTYPE_BYTES  # noqa: F401  (re-exported)
from ..errors import ComponentError, ConfigError, did_you_mean
from ..hw.base import Component, ComponentConfig, Hardware, Link, MemoryLevel
from ..hw.technology import Technology
from ..hw.thermal import Thermal
from ..inputs import Source

#: top-level keys that are not components
#: the top-level blocks that are one model each (not a component), by key
BLOCKS = {"technology": Technology, "thermal": Thermal}
RESERVED = ("name", "description", "memory", "links", "technology", "thermal", "placeholders")


def unknown_top_key(key: str) -> str:
    """What follows "unknown key" for a top-level ``key`` that is neither one of
    :data:`RESERVED` nor a component section (a mapping): ``extends: gpu-hbm3`` (find-B 3),
    pointed to ``base:`` (find-B2 3)."""
    if key == "base":  # read from a file by load_architecture and the CLI (find-B2 3)
        return (": a config file's base: is merged in as it is read (load_architecture, the command "
                "line); a mapping given to architecture_from_dict is the merged config")
    hint = did_you_mean(key, list(RESERVED)) or (" (config inheritance is written base: NAME-or-PATH)"
                                                 if key in ("extends", "inherits", "include", "parent") else "")
    return (f"{hint}: top-level keys are {', '.join(RESERVED)} or component sections (mappings), "
            "and a config file may name its base: (a bundled config or a file whose values it "
            "changes; README \"Config inheritance\")")


class UnknownComponent(ComponentError, KeyError):
    """:meth:`Architecture.component` of a name the architecture lacks: a CimsimError with a
    one-line message, and a KeyError as it was before."""

    __str__ = Exception.__str__  # KeyError's would quote the message


class FrozenMap(Mapping):
    """A read-only mapping (an :class:`Architecture`'s memory levels, links and components): the
    hardware and component objects are built from them once, so an edit would be ignored or
    half-used; a change is a new architecture (``load_architecture(..., overrides=...)``).
    Unlike ``types.MappingProxyType`` it pickles and deep-copies."""

    __slots__ = ("_d", "_what")

    def __init__(self, data: Mapping, what: str = "mapping"):
        self._d = dict(data)
        self._what = what

    def __getitem__(self, key):
        return self._d[key]

    def __iter__(self):
        return iter(self._d)

    def __len__(self) -> int:
        return len(self._d)

    def __repr__(self) -> str:
        return f"FrozenMap({self._d!r})"

    def __reduce__(self):
        return (FrozenMap, (self._d, self._what))

    def _refuse(self, *args, **kwargs):
        raise TypeError(f"{self._what} is read-only (configs are frozen); build a changed "
                        "architecture with load_architecture(NAME or PATH, overrides={'dotted.field': "
                        "value}) or architecture_from_dict(data)")

    __setitem__ = __delitem__ = pop = popitem = clear = update = setdefault = _refuse


@dataclass(frozen=True, eq=False)
class Architecture:
    """A whole machine: named memory levels, links and components (in config order). Compares
    and hashes by value (:meth:`__eq__`); :func:`~cimsim.config.value.architecture_to_dict`
    gives the mapping it validates from."""

    name: str
    description: str
    memory: Mapping[str, MemoryLevel]
    links: Mapping[str, Link]
    components: Mapping[str, ComponentConfig]
    #: the shared process block (``technology:``), None when the config has none
    technology: Optional[Technology] = None
    #: the junction-to-ambient thermal block (``thermal:``, find-B 5), None when the config has none
    thermal: Optional[Thermal] = None
    #: dotted paths of the values the config marks as unverified placeholders (a ``(U)`` in the
    #: value's line comment, or the ``placeholders:`` list); see :mod:`cimsim.config.marks`
    placeholders: frozenset = frozenset()
    #: what loading it with overrides found to say in each run's notes (a count changed under a
    #: total that does not scale: :func:`cimsim.hw.totals.unscaled_notes`); not part of its value
    notes: tuple = ()
    #: what it was built from (:class:`~cimsim.inputs.Source`): the config file's path as
    #: resolved and the SHA-256 of its bytes (None: built from a mapping) and the overrides
    #: applied; ``Result.to_json()`` records it. Not part of its value
    source: Source = Source()

    def __post_init__(self) -> None:
        for what in ("memory", "links", "components"):
            object.__setattr__(self, what, FrozenMap(getattr(self, what),
                                                     f"architecture '{self.name}': {what}"))

    @cached_property
    def hardware(self) -> Hardware:
        """The memory levels and links as resources (the stages' view, rates included)."""
        from ..hw import registry

        holders = self.cache_holders()
        if len(holders) > 1:  # the loader refuses it (kv_cache_clash); a hand-built one, here
            raise ConfigError(self.kv_cache_clash()[0][1])
        return Hardware({n: registry.memory.get(c.type)(n, c) for n, c in self.memory.items()},
                        {n: registry.links.get(c.type)(n, c) for n, c in self.links.items()},
                        self.technology, self._onchip(registry), next(iter(holders.values()), None))

    def cache_holders(self) -> dict[str, str]:
        """The components that hold the KV cache in a memory of their own, each with the link an
        append crosses (:meth:`~cimsim.hw.base.Component.cache_link`), in config order."""
        from ..hw import registry
        from ..hw.ratefree import component_view

        return {n: link for n, c in self.components.items()  # it sets a cost: no rate in it
                if (link := registry.get(c.type).cache_link(n, component_view(c), tuple(self.links)))
                is not None}

    def kv_cache_clash(self) -> list[tuple[str, str]]:
        """``(component, why)`` when two or more components each hold the KV cache in a memory
        of their own: there is one KV cache, so at most one may."""
        holders = self.cache_holders()
        if len(holders) < 2:
            return []
        *first, last = (f"'{n}' (over link '{link}')" for n, link in holders.items())
        return [(list(holders)[-1], f"components {', '.join(first)} and {last} each hold the KV "
                 "cache in a memory of their own; at most one component may (the others leave it "
                 "in the backing store, memory's last level)")]

    def _onchip(self, registry) -> dict:
        """The components' shared on-chip bandwidths (Component.shared_bandwidths) as fixed-rate
        resources with no latency and no energy of their own."""
        from ..hw.links.fixed import FixedLink

        out = {}
        for n, c in self.components.items():
            for r, rate in registry.get(c.type).shared_bandwidths(n, c, self.technology).items():
                if r in self.memory or r in self.links or r in out:  # one line, not a traceback
                    other = ("memory level" if r in self.memory else "link" if r in self.links
                             else "on-chip bandwidth of another component")
                    raise ComponentError(f"component '{n}' ({c.type}): shared_bandwidths() names an "
                                         f"on-chip bandwidth '{r}', which is also the name of a "
                                         f"{other}; levels, links and on-chip bandwidths need "
                                         "distinct names: rename one of them")
                try:  # a NumPy scalar (np.float64) would print as 'np.float64(...) B/s'
                    rate = float(rate)
                except (TypeError, ValueError):
                    rate = math.nan
                if not (math.isfinite(rate) and rate > 0):
                    raise ComponentError(f"component '{n}' ({c.type}): shared_bandwidths() gives "
                                         f"'{r}' the rate {rate!r}; it must be a finite number of "
                                         "B/s > 0")
                cfg = FixedLink(bandwidth=f"{rate!r} B/s", latency="0 s", energy_per_bit="0 J/bit")
                out[r] = registry.links.get("fixed")(r, cfg)
        return out

    def part_clashes(self, comp: Component, onchip: bool = True) -> list[tuple[str, str]]:
        """``(field, why)`` for each result name of ``comp`` that another thing has too, so that
        one took the other's place in the result: an energy or compute part
        ``<component>_<part>`` named like a memory level or link (``onchip``: or an on-chip
        bandwidth; the parts and the resources have their energy and time side by side), an area
        part ``<component>_<part>`` like a memory level that declares its area (a level
        ``cim_arrays`` took the arrays' 1,707 mm² place), a utilization ``<component>_<name>``
        like a resource's ``<resource>_bw`` (a CIM chip's top level named ``buffer`` dropped the
        buffers' energy, 30 % of a run's, silently); first, its declarations as the instance
        gives them (:func:`~cimsim.hw.declared.declared_errors`: its static-power split, its
        ``reprogram_fact`` among its facts)."""
        from ..hw.declared import declared_errors
        from ..report.columns import resource_util

        hw = self.hardware
        parts = dict.fromkeys(f"{comp.name}_{p}" for p in (*comp.energy_parts, *comp.compute_parts))
        out = declared_errors(comp) + [(p, f"the name is used by a report part too: {comp.name}'s energy or compute part; "
                   "levels, links and components need distinct names")
               for p in parts if p in self.memory or p in self.links]
        if not onchip:
            return out
        out += [(comp.name, f"its energy or compute part '{p[len(comp.name) + 1:]}' is reported as "
                            f"'{p}', the name of an on-chip bandwidth (shared_bandwidths()) too; "
                            "parts and on-chip bandwidths need distinct names: rename one of them")
                for p in parts if p in hw.onchip]
        # an area part <component>_<part> beside the on-chip levels' areas, which are by name
        out += [(comp.name, f"its area part '{p}' is reported as '{comp.name}_{p}', the name of "
                            f"memory level '{comp.name}_{p}', whose area is reported too; parts "
                            "and levels need distinct names: rename the level")
                for p in comp.area_m2() if self.memory.get(f"{comp.name}_{p}") is not None
                and self.memory[f"{comp.name}_{p}"].area is not None]
        util = {resource_util(r): r for r in hw.resources}
        out += [(comp.name, f"its utilization '{u}' is reported as '{comp.name}_{u}', the name of "
                            f"the bandwidth utilization of '{util[f'{comp.name}_{u}']}' too; "
                            "rename one of them")
                for u in comp.utilizations if f"{comp.name}_{u}" in util]
        return out

    @cached_property
    def rate_free_hardware(self) -> Hardware:
        """The hardware without rate fields (:meth:`~cimsim.hw.base.Hardware.rate_free`): what
        the components and the cached stages (placement, cost table) see, so a placement and
        cost table cannot depend on a rate (:mod:`cimsim.cost.cache`)."""
        return self.hardware.rate_free()

    @cached_property
    def instances(self) -> tuple[Component, ...]:
        """One component object per section, in config order; each sees
        :attr:`rate_free_hardware` and its own config without its rate fields (only
        ``shared_bandwidths``, given the config itself, reads them)."""
        from ..hw.ratefree import component_view
        from ..hw.registry import get

        hw = self.rate_free_hardware
        return tuple(get(cfg.type)(name, component_view(cfg), hw) for name, cfg in self.components.items())

    #: built from the fields on first use; never pickled (they hold read-only views)
    _DERIVED = ("hardware", "rate_free_hardware", "instances")

    def __eq__(self, other: object) -> bool:
        """By value: two architectures are equal when their names, descriptions, memory levels,
        links and components (in config order), technology and placeholder marks are (a
        reload of the same file, a pickled or deep copy, a reload of
        :func:`~cimsim.config.value.save_architecture`'s file)."""
        from .value import architecture_image

        if not isinstance(other, Architecture):
            return NotImplemented
        return self is other or architecture_image(self) == architecture_image(other)

    def __hash__(self) -> int:
        """Consistent with ``==`` (from the same image): an architecture keys a dict or a set
        by value. Its sections are frozen; a field holding a mapping or list is not frozen
        inside, and changing one in place (never do: use ``overrides=``) changes the hash."""
        from .value import architecture_image

        return hash(architecture_image(self))

    def __getstate__(self) -> dict:
        """The fields only: a copy (pickle, ``copy.deepcopy``, a Dask or process-pool worker)
        rebuilds the hardware and components from them on first use."""
        return {k: v for k, v in self.__dict__.items() if k not in self._DERIVED}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)

    def component(self, name: str) -> Component:
        """The component named ``name`` (its config section's key); :class:`UnknownComponent`
        (a :class:`~cimsim.errors.ComponentError` and a ``KeyError``) naming those there are."""
        for c in self.instances:
            if c.name == name:
                return c
        raise UnknownComponent(f"architecture '{self.name}' has no component {name!r}; it has "
                               f"{', '.join(c.name for c in self.instances)}")

    def of_type(self, type_name: str) -> list[Component]:
        """The components of registered type ``type_name`` (e.g. ``"cim"``), in config order."""
        return [c for c in self.instances if c.type_name == type_name]

    @property
    def backing_store(self) -> MemoryLevel:
        """The last memory level's config: where model inputs and weights lie at the start."""
        return self.memory[self.hardware.backing_store]

    @property
    def cache_memory(self) -> Optional[tuple[str, float]]:
        """``(what, bytes)`` of the memory a component holds the KV cache in apart from the
        backing store (:meth:`~cimsim.hw.base.Component.cache_memory`: a separate PIM device),
        or None."""
        return next((m for c in self.instances if (m := c.cache_memory()) is not None), None)

    @property
    def static_power_w(self) -> float:
        """Static power of all components, memory levels and links together, W."""
        return float(sum(c.static_power_w for c in self.instances)
                     + sum(self.resource_static_w.values()))

    @property
    def resource_static_w(self) -> dict[str, float]:
        """The ``static_power`` each memory level and link states (W), by name; 0 W, the
        default, is "not stated". A link of one port per chip (a CIM's ``chip_link``:
        ``link_ports``) counts once per chip."""
        ports: dict[str, int] = {}
        for c in self.instances:
            for n, k in getattr(c, "link_ports", {}).items():
                ports[n] = max(ports.get(n, 1), k)
        return {n: float(c.static_power) * ports.get(n, 1)
                for n, c in (*self.memory.items(), *self.links.items())}

    def stack_errors(self) -> list[tuple[str, str]]:
        """``(field, message)`` for a ``stack:`` block that places no silicon
        (:func:`cimsim.hw.stack.errors`, find-B 1)."""
        from ..hw import stack

        return stack.errors(self.instances, self.memory, self.hardware.off_chip)

    @property
    def stacked(self) -> bool:
        """Whether a part states a tier of a 3D stack (:mod:`cimsim.hw.stack`, rule 4)."""
        from ..hw import stack

        return stack.stated(self.components, self.memory)
