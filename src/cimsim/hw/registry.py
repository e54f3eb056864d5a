"""The registries of hardware types: ``type:`` name -> class, one registry per kind.

- components (:class:`~cimsim.hw.base.Component`): entry-point group ``cimsim.components``;
- memory levels (:class:`~cimsim.hw.base.MemoryResource`): group ``cimsim.memory``;
- links (:class:`~cimsim.hw.base.LinkResource`): group ``cimsim.links``.

Every type arrives the same way: as an entry point of its group, ``name = "module:Class"``.
The built-in types are the entry points of :data:`BUILTINS`, :data:`MEMORY_BUILTINS` and
:data:`LINK_BUILTINS` (declared here rather than in ``pyproject.toml`` so that a checkout run
without reinstalling, e.g. ``PYTHONPATH=src``, has them); other packages declare theirs in
their ``pyproject.toml``::

    [project.entry-points."cimsim.components"]
    my-accelerator = "my_package.my_module:MyAccelerator"
    [project.entry-points."cimsim.memory"]
    my-dram = "my_package.my_memory:MyDram"

and each registry loads them on first use, built-ins first. A class may also be added at run
time with :func:`register` (it goes to the registry of its base class). Which component claims
an op is decided by each class's ``priority``, never by the order here. An installed entry
point named like a built-in type is refused with a warning; the built-in keeps working.

A type must implement its kind's required methods (``place`` and ``cost``; ``bytes_per_s``
and ``peak_bytes_per_s``) or it is refused. A *plug-in* (a class defined outside cimsim) has
its contract methods guarded (:mod:`cimsim.hw.guard`): an exception escaping one is a one-line
:class:`~cimsim.errors.ComponentError` naming the object, the method and where it raised.
"""

from __future__ import annotations

import types as _types
import sys
import typing
import warnings
from importlib.metadata import EntryPoint, entry_points

from pydantic import BaseModel

from ..errors import CimsimWarning, ComponentError
from ..quantity import QuantityUnit
from .base import Component, ComponentConfig, Link, LinkResource, MemoryLevel, MemoryResource
from .guard import guard, is_plugin

class EntryPointClash(CimsimWarning):
    """An installed entry point named like a built-in type, ignored (:meth:`Registry._load`).
    A sweep's worker processes load the registry again and leave this warning to the main
    process, which has said it once."""


GROUP = "cimsim.components"
MEMORY_GROUP = "cimsim.memory"
LINK_GROUP = "cimsim.links"

#: the built-in component types, as entry points of :data:`GROUP`
BUILTINS: tuple[EntryPoint, ...] = tuple(
    EntryPoint(name, value, GROUP) for name, value in (
        ("processor", "cimsim.hw.processor:Processor"),
        ("pim", "cimsim.hw.pim:PIM"),
        ("cim", "cimsim.hw.cim:CIM"),
        ("systolic", "cimsim.hw.systolic:SystolicArray"),
        ("collective", "cimsim.hw.collective:Collective"),
    ))
#: the built-in memory-level types
MEMORY_BUILTINS: tuple[EntryPoint, ...] = tuple(
    EntryPoint(name, value, MEMORY_GROUP) for name, value in (
        ("fixed", "cimsim.hw.memory.fixed:Fixed"),
        ("dram", "cimsim.hw.memory.dram:Dram"),
    ))
#: the built-in link types
LINK_BUILTINS: tuple[EntryPoint, ...] = tuple(
    EntryPoint(name, value, LINK_GROUP) for name, value in (
        ("fixed", "cimsim.hw.links.fixed:Fixed"),
        ("bonded", "cimsim.hw.links.bonded:Bonded"),
    ))


_BOUNDS = ("ge", "gt", "le", "lt")
#: the values of Component.accuracy_arithmetic (None: --accuracy cannot score the type)
ACCURACY_ARITHMETICS = (None, "cim", "fixed", "analog", "exact")


def _has_bounds(metadata) -> bool:
    """Whether pydantic ``metadata`` (``Ge``/``Gt``/... or a ``FieldInfo`` inside ``Annotated``)
    gives a plain number a bound."""
    for m in metadata:
        inner = getattr(m, "metadata", None)
        for c in (inner if isinstance(inner, list) else [m]):
            if any(isinstance(getattr(c, a, None), (int, float)) for a in _BOUNDS):
                return True
    return False


def _value_gaps(ann, metadata, path: str, seen: set) -> list[str]:
    """What a value of type ``ann`` lacks: a plain int or float without a domain (``cimsim
    fields`` would list it as a bare ``int``/``float``), or the gaps of a section inside it."""
    metadata = list(metadata)
    while True:
        origin = typing.get_origin(ann)
        if origin is typing.Annotated:
            ann, *meta = typing.get_args(ann)
            metadata += meta
        elif origin in (typing.Union, _types.UnionType):
            args = [a for a in typing.get_args(ann) if a is not type(None)]
            if len(args) != 1:
                return [g for a in args for g in _value_gaps(a, metadata, path, seen)]
            ann = args[0]
        else:
            break
    if any(isinstance(m, QuantityUnit) for m in metadata):
        return []  # a quantity: its unit and domain come with its type
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return field_gaps(ann, path + ".", seen)
    if typing.get_origin(ann) is dict:  # a table: its values are listed one by one
        return _value_gaps(typing.get_args(ann)[1], (), path + ".KEY", seen)
    if typing.get_origin(ann) in (list, tuple):  # each item as a value (a plug-in's
        # list[int] of tile sizes took [-5, 0]: its items need a domain too)
        items = [a for a in typing.get_args(ann) if a is not Ellipsis]
        return [g for item in items for g in _value_gaps(item, (), path + "[]", seen)]
    if ann in (int, float) and not _has_bounds(metadata):
        return [f"'{path}' is a plain {ann.__name__} with no domain (give it Field(ge=..., "
                "gt=..., le=... or lt=...) or a cimsim.quantity type)"]
    return []


def field_gaps(model: type[BaseModel], prefix: str = "", seen: set | None = None) -> list[str]:
    """Every way a config model falls short of what ``cimsim fields`` lists for a built-in
    type: a field (at any depth) with no description, a plain number with no domain. The
    rule every built-in type meets (``tests/config/test_schema.py`` checks the listing);
    :meth:`Registry.register` refuses a type whose ``Config`` has any."""
    seen = set() if seen is None else seen
    if model in seen:
        return []
    seen = seen | {model}
    out: list[str] = []
    for name, info in model.model_fields.items():
        path = prefix + name
        if not (info.description or "").strip():
            out.append(f"'{path}' has no description (give it Field(description=...))")
        out += _value_gaps(info.annotation, info.metadata, path, seen)
    return out


class Registry:
    """``type_name`` -> class for one kind of hardware type (one entry-point group)."""

    def __init__(self, group: str, base: type, builtins: tuple[EntryPoint, ...], what: str,
                 config_base: type = BaseModel, required: tuple[str, ...] = ()):
        self.group, self.base, self.builtins, self.what = group, base, builtins, what
        self.config_base = config_base  # what every type's Config derives from
        self.required = required  # the base's methods every type must implement
        self._types: dict[str, type] = {}
        #: installed entry points that failed to load or register: name -> why (said when used)
        self._broken: dict[str, str] = {}
        #: an entry point's name that is not its class's type_name -> what to write instead
        self._hints: dict[str, str] = {}
        self._loaded = False

    def register(self, cls: type) -> type:
        """File ``cls`` under its ``type_name`` and return it. Refused (``TypeError``,
        ``ValueError`` or a one-line :class:`~cimsim.errors.ComponentError`): a class not of
        this registry's base, without a ``type_name``, a ``Config`` not derived from the base's
        or not self-describing, a required method missing, bad class attributes, or a name
        another class has. A plug-in's methods are guarded (:mod:`cimsim.hw.guard`)."""
        if not (isinstance(cls, type) and issubclass(cls, self.base)):
            raise TypeError(f"{cls!r} is not a {self.base.__name__} subclass")
        if not cls.type_name:
            raise ValueError(f"{cls.__name__} has no type_name")
        where = f"{self.what} type '{cls.type_name}' ({cls.__module__}.{cls.__qualname__})"
        if not (isinstance(cls.Config, type) and issubclass(cls.Config, self.config_base)):
            raise ComponentError(f"{where}: its Config must derive from {self.config_base.__name__} "
                                 f"(cimsim.hw.base), which gives the fields the stages read")
        if not getattr(cls.Config, "__pydantic_complete__", True):
            # annotations left as names (``from __future__ import annotations``) that pydantic
            # could not resolve when the class was made: resolve them in the Config's module now
            mod = sys.modules.get(cls.Config.__module__)
            try:
                cls.Config.model_rebuild(_types_namespace=dict(vars(mod)) if mod else None)
            except Exception as exc:  # noqa: BLE001 - pydantic's PydanticUndefinedAnnotation & co.
                msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                raise ComponentError(f"{where}: its Config {cls.Config.__qualname__} is not fully "
                                     f"defined: {msg} (import every type its fields name)") from None
        tf = cls.Config.model_fields.get("type")
        allowed = typing.get_args(tf.annotation) if tf is not None and \
            typing.get_origin(tf.annotation) is typing.Literal else ()
        if allowed and cls.type_name not in allowed:
            raise ComponentError(f"{where}: its Config's type accepts {', '.join(map(repr, allowed))}, "
                                 f"not its type_name '{cls.type_name}' (give the Config its own "
                                 "type: Literal[...] field)")
        gaps = field_gaps(cls.Config)
        if gaps:
            raise ComponentError(f"{where}: its Config {cls.Config.__qualname__} "
                                 f"is not self-describing: {'; '.join(gaps)}; every config field "
                                 "needs a description and a unit or domain")
        missing = [f"{m}()" for m in self.required if getattr(cls, m) is getattr(self.base, m)]
        if missing:
            raise ComponentError(f"{where} does not implement {' and '.join(missing)}, which every "
                                 f"{self.what} type must (see cimsim.hw.base.{self.base.__name__})")
        bad = _class_attribute_gaps(cls) if self.base is Component else []
        if bad:
            raise ComponentError(f"{where}: {'; '.join(bad)}")
        self._load()  # the built-ins and installed types come first
        if self._types.get(cls.type_name, cls) is not cls:
            raise ValueError(f"{self.what} type '{cls.type_name}' is already registered "
                             f"by {self._types[cls.type_name].__module__}")
        if is_plugin(cls):
            guard(cls, self.base, self.named)
        self._types[cls.type_name] = cls
        return cls

    def named(self, cls: type, name: str | None) -> str:
        """How an error names an object of type ``cls`` called ``name``: ``component 'nma'
        (nma-fail)``, ``memory level 'dram' (type: halved)``."""
        if name is None:
            return f"{self.what} type '{cls.type_name}'"
        if self.base is Component:
            return f"component '{name}' ({cls.type_name})"
        return f"{self.what.replace('-', ' ')} '{name}' (type: {cls.type_name})"

    def unregister(self, type_name: str) -> None:
        """Remove the type ``type_name`` (nothing if absent); a built-in is a ``ValueError``."""
        if type_name in {ep.name for ep in self.builtins}:
            raise ValueError(f"'{type_name}' is a built-in {self.what} type")
        self._types.pop(type_name, None)

    def _load(self) -> None:
        """Register every entry point of the group: the built-ins, then the installed
        packages' (an installed entry point that repeats a built-in is the same class)."""
        if self._loaded:
            return
        self._loaded = True
        builtin = {(ep.name, ep.value) for ep in self.builtins}
        names = {ep.name for ep in self.builtins}
        for ep in self.builtins:
            self.register(ep.load())
        #: type_name -> (its installed class, every "package (entry point)" declaring that name)
        declared: dict[str, tuple[type, list[str]]] = {}
        for ep in entry_points(group=self.group):
            if (ep.name, ep.value) in builtin:
                continue
            package = f"its package {ep.dist.name}" if ep.dist is not None else "its package"
            origin = (f"{ep.dist.name if ep.dist is not None else 'a package'} "
                      f"(entry point {ep.name} = {ep.value})")
            if ep.name in names:  # refused, and never filed under the built-in's name
                warnings.warn(f"{self.group} entry point '{ep.name}' ({ep.value}) is named like the "
                              f"built-in {self.what} type '{ep.name}' and is ignored: rename it (its "
                              f"entry point and type_name) or uninstall {package}", EntryPointClash,
                              stacklevel=2)
                continue
            try:  # one broken package must not break the others, nor runs that do not use it
                cls = ep.load()
                if getattr(cls, "type_name", None) in names:
                    raise ValueError(f"its type_name '{cls.type_name}' is a built-in {self.what} "
                                     f"type's: rename it or uninstall {package}")
                first = declared.get(getattr(cls, "type_name", None))
                if first is not None and (first[0] is not cls or len(first[1]) > 1):
                    # two packages, one name: neither is used (which one would win is sys.path
                    # order), and `cimsim fields` documents neither
                    first[1].append(origin)
                    self._types.pop(cls.type_name, None)
                    self._broken[cls.type_name] = (
                        f"{self.what} type '{cls.type_name}' is declared by "
                        f"{len(first[1])} installed packages: {' and '.join(first[1])}; uninstall "
                        "all but one, or rename the type (its type_name and entry point) in the others")
                    continue
                self.register(cls)
                declared.setdefault(cls.type_name, (cls, [origin]))
                if getattr(cls, "type_name", ep.name) != ep.name:  # filed under its type_name
                    self._hints[ep.name] = (
                        f"'{ep.name}' is the name of entry point {ep.value}, whose class registers "
                        f"the {self.what} type '{cls.type_name}': write type: {cls.type_name}")
            except Exception as exc:  # noqa: BLE001  (an installed package's code: any error)
                msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                self._broken[ep.name] = (f"{self.what} type '{ep.name}' (entry point {ep.value}) "
                                         f"is installed but could not be registered: {msg}")

    def broken(self) -> dict[str, str]:
        """Names a config cannot use as a type, with why (:meth:`get` raises it): installed
        types that failed to load or register, and an entry point's name that is not its
        class's type_name (unless another type has that name)."""
        self._load()
        hints = {k: v for k, v in self._hints.items() if k not in self._types}
        return {**hints, **self._broken}

    def types(self) -> dict[str, type]:
        """Every usable type, by name: built-ins, then installed and registered ones (a type
        :meth:`broken` lists is not here)."""
        self._load()
        return dict(self._types)

    def get(self, type_name: str) -> type:
        """The class of ``type_name``: a :class:`~cimsim.errors.ComponentError` saying why for
        one :meth:`broken` lists, ``KeyError`` for an unknown name."""
        t = self.types()
        if type_name in self._broken or (type_name in self._hints and type_name not in t):
            raise ComponentError(self.broken()[type_name])
        if type_name not in t:
            raise KeyError(type_name)
        return t[type_name]


def _class_attribute_gaps(cls: type) -> list[str]:
    """What is wrong with a component class's declarations (cimsim.hw.base.Component): names as
    tuples of strings (a plain string is a tuple of its letters to Python), a whole-number
    priority, facts as a mapping."""
    out = []
    for attr in ("energy_parts", "utilizations"):
        v = getattr(cls, attr)
        if isinstance(v, property):  # per instance (e.g. from its config): checked when used
            continue
        if isinstance(v, str) or not isinstance(v, (tuple, list)) or \
                not all(isinstance(x, str) and x for x in v):
            out.append(f"{attr} must be a tuple of names, e.g. ('mac',), not {v!r}")
    p = cls.priority
    if isinstance(p, bool) or not isinstance(p, int):
        out.append(f"priority must be a whole number, not {p!r}")
    if not isinstance(cls.facts, (typing.Mapping, property)):
        out.append(f"facts must be a mapping of fact name -> value when it runs no op, "
                   f"not {cls.facts!r}")
    if cls.accuracy_arithmetic not in ACCURACY_ARITHMETICS:
        out.append(f"accuracy_arithmetic must be one of {', '.join(map(repr, ACCURACY_ARITHMETICS))}, "
                   f"not {cls.accuracy_arithmetic!r}")
    if cls.accuracy_arithmetic == "analog" and "accuracy_arith" not in \
            {k for c in cls.__mro__ if c.__module__ != "cimsim.hw.declared" for k in vars(c)}:
        out.append("accuracy_arithmetic 'analog' needs an accuracy_arith(config) classmethod "
                   "giving its arithmetic (rows, weight_bits, input_bits, adc_bits)")
    if not isinstance(cls.programs_weights, bool):
        out.append(f"programs_weights must be True or False, not {cls.programs_weights!r}")
    rf, rp = cls.reprogram_fact, cls.reprogram_parts
    if rf is not None and isinstance(cls.facts, typing.Mapping) and rf not in cls.facts:
        out.append(f"reprogram_fact {rf!r} must be one of its facts "
                   f"({', '.join(cls.facts) or 'none'})")
    if rf is not None and not (isinstance(rf, str) and rf):
        out.append(f"reprogram_fact must be the name of one of its facts, or None, not {rf!r}")
    if isinstance(rp, str) or not isinstance(rp, (tuple, list)) or (
            isinstance(cls.energy_parts, (tuple, list)) and set(rp) - set(cls.energy_parts)):
        known = f" ({', '.join(cls.energy_parts) or 'none'})" if isinstance(cls.energy_parts, (tuple, list)) else ""
        out.append(f"reprogram_parts must be a tuple of its energy_parts{known}, not {rp!r}")
    for words in ("programming_includes", "reprogram_stage", "in_order_words", "power_up_words"):
        if not isinstance(getattr(cls, words), str):
            out.append(f"{words} must be a string (cimsim.hw.declared; \"\": cimsim's own words), "
                       f"not {getattr(cls, words)!r}")
    if not isinstance(cls.label, (str, property)):
        out.append(f"label must be a string, not {cls.label!r}")
    return out


components = Registry(GROUP, Component, BUILTINS, "component", ComponentConfig, ("place", "cost"))
memory = Registry(MEMORY_GROUP, MemoryResource, MEMORY_BUILTINS, "memory-level", MemoryLevel,
                  ("bytes_per_s", "peak_bytes_per_s"))
links = Registry(LINK_GROUP, LinkResource, LINK_BUILTINS, "link", Link, ("bytes_per_s", "peak_bytes_per_s"))


def _registry_of(cls: type) -> Registry:
    for reg in (components, memory, links):
        if isinstance(cls, type) and issubclass(cls, reg.base):
            return reg
    raise TypeError(f"{cls!r} is not a Component, MemoryResource or LinkResource subclass")


_Registered = typing.TypeVar("_Registered")


def register(cls: _Registered) -> _Registered:
    """Register a component, memory-level or link class under ``cls.type_name`` in the
    registry of its base class (usable as a decorator); an ADC model
    (:class:`cimsim.hw.circuits.adc.ADCModel` subclass) under its ``type_name``, or a cell
    preset (a :class:`cimsim.hw.circuits.array.Cell`) under its ``name``, in the part
    registries of :mod:`cimsim.hw.parts.registry`. Returns ``cls`` itself."""
    from .circuits.adc import ADCModel
    from .circuits.array import Cell
    from .parts import registry as parts

    if isinstance(cls, Cell):
        return parts.cells.register(cls)
    if isinstance(cls, type) and issubclass(cls, ADCModel):
        return parts.adcs.register(cls)
    return _registry_of(cls).register(cls)


def unregister(type_name: str, kind: str = "component") -> None:
    """Remove a registered type (for tests and interactive sessions); built-ins stay.
    ``kind``: ``component``, ``memory``, ``link``, ``adc`` or ``cell``."""
    from .parts import registry as parts

    {"component": components, "memory": memory, "link": links, "adc": parts.adcs,
     "cell": parts.cells}[kind].unregister(type_name)


def types() -> dict[str, type[Component]]:
    """Every registered component type, by name (built-ins first)."""
    return components.types()


def get(type_name: str) -> type[Component]:
    """The component class of ``type_name`` (:meth:`Registry.get`)."""
    return components.get(type_name)


def memory_types() -> dict[str, type[MemoryResource]]:
    """Every registered memory-level type, by name (built-ins first)."""
    return memory.types()


def link_types() -> dict[str, type[LinkResource]]:
    """Every registered link type, by name (built-ins first)."""
    return links.types()
