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
an op is decided by each class's ``priority``, never by the order here.
"""

from __future__ import annotations

from importlib.metadata import EntryPoint, entry_points

from .base import Component, LinkResource, MemoryResource

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
    ))


class Registry:
    """``type_name`` -> class for one kind of hardware type (one entry-point group)."""

    def __init__(self, group: str, base: type, builtins: tuple[EntryPoint, ...], what: str):
        self.group, self.base, self.builtins, self.what = group, base, builtins, what
        self._types: dict[str, type] = {}
        self._loaded = False

    def register(self, cls: type) -> type:
        if not (isinstance(cls, type) and issubclass(cls, self.base)):
            raise TypeError(f"{cls!r} is not a {self.base.__name__} subclass")
        if not cls.type_name:
            raise ValueError(f"{cls.__name__} has no type_name")
        self._load()  # the built-ins and installed types come first
        if self._types.get(cls.type_name, cls) is not cls:
            raise ValueError(f"{self.what} type '{cls.type_name}' is already registered "
                             f"by {self._types[cls.type_name].__module__}")
        self._types[cls.type_name] = cls
        return cls

    def unregister(self, type_name: str) -> None:
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
        for ep in (*self.builtins,
                   *(ep for ep in entry_points(group=self.group) if (ep.name, ep.value) not in builtin)):
            self.register(ep.load())

    def types(self) -> dict[str, type]:
        self._load()
        return dict(self._types)

    def get(self, type_name: str) -> type:
        t = self.types()
        if type_name not in t:
            raise KeyError(type_name)
        return t[type_name]


components = Registry(GROUP, Component, BUILTINS, "component")
memory = Registry(MEMORY_GROUP, MemoryResource, MEMORY_BUILTINS, "memory-level")
links = Registry(LINK_GROUP, LinkResource, LINK_BUILTINS, "link")


def _registry_of(cls: type) -> Registry:
    for reg in (components, memory, links):
        if isinstance(cls, type) and issubclass(cls, reg.base):
            return reg
    raise TypeError(f"{cls!r} is not a Component, MemoryResource or LinkResource subclass")


def register(cls: type) -> type:
    """Register a component, memory-level or link class under ``cls.type_name`` in the
    registry of its base class (usable as a decorator)."""
    return _registry_of(cls).register(cls)


def unregister(type_name: str, kind: str = "component") -> None:
    """Remove a registered type (for tests and interactive sessions); built-ins stay.
    ``kind``: ``component``, ``memory`` or ``link``."""
    {"component": components, "memory": memory, "link": links}[kind].unregister(type_name)


def types() -> dict[str, type[Component]]:
    """Every registered component type, by name (built-ins first)."""
    return components.types()


def get(type_name: str) -> type[Component]:
    return components.get(type_name)


def memory_types() -> dict[str, type[MemoryResource]]:
    """Every registered memory-level type, by name (built-ins first)."""
    return memory.types()


def link_types() -> dict[str, type[LinkResource]]:
    """Every registered link type, by name (built-ins first)."""
    return links.types()
