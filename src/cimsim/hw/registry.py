"""The registry of component types: ``type:`` name -> :class:`~cimsim.hw.base.Component` class.

Every type arrives the same way: as an entry point of the ``cimsim.components``
group, ``name = "module:Class"``. The built-in types are the entry points of
:data:`BUILTINS` (declared here rather than in ``pyproject.toml`` so that a
checkout run without reinstalling, e.g. ``PYTHONPATH=src``, has them); other
packages declare theirs in their ``pyproject.toml``::

    [project.entry-points."cimsim.components"]
    my-accelerator = "my_package.my_module:MyAccelerator"

and both are loaded by :func:`_load` on first use, built-ins first. A class may
also be added at run time with :func:`register`. Which component claims an op is
decided by each class's ``priority``, never by the order here.
"""

from __future__ import annotations

from importlib.metadata import EntryPoint, entry_points

from .base import Component

GROUP = "cimsim.components"

#: the built-in component types, as entry points of :data:`GROUP`
BUILTINS: tuple[EntryPoint, ...] = tuple(
    EntryPoint(name, value, GROUP) for name, value in (
        ("processor", "cimsim.hw.processor:Processor"),
        ("pim", "cimsim.hw.pim:PIM"),
        ("cim", "cimsim.hw.cim:CIM"),
        ("systolic", "cimsim.hw.systolic:SystolicArray"),
        ("collective", "cimsim.hw.collective:Collective"),
    ))

_TYPES: dict[str, type[Component]] = {}
_LOADED = False


def register(cls: type[Component]) -> type[Component]:
    """Register a component class under ``cls.type_name`` (usable as a decorator)."""
    if not cls.type_name:
        raise ValueError(f"{cls.__name__} has no type_name")
    _load()  # the built-ins and installed types come first
    if _TYPES.get(cls.type_name, cls) is not cls:
        raise ValueError(f"component type '{cls.type_name}' is already registered "
                         f"by {_TYPES[cls.type_name].__module__}")
    _TYPES[cls.type_name] = cls
    return cls


def unregister(type_name: str) -> None:
    """Remove a registered type (for tests and interactive sessions); built-ins stay."""
    if type_name in {ep.name for ep in BUILTINS}:
        raise ValueError(f"'{type_name}' is a built-in component type")
    _TYPES.pop(type_name, None)


def _load() -> None:
    """Register every entry point of :data:`GROUP`: the built-ins, then the installed
    packages' (an installed entry point that repeats a built-in is the same class)."""
    global _LOADED
    if _LOADED:
        return
    _LOADED = True
    builtin = {(ep.name, ep.value) for ep in BUILTINS}
    for ep in (*BUILTINS, *(ep for ep in entry_points(group=GROUP) if (ep.name, ep.value) not in builtin)):
        register(ep.load())


def types() -> dict[str, type[Component]]:
    """Every registered component type, by name (built-ins first)."""
    _load()
    return dict(_TYPES)


def get(type_name: str) -> type[Component]:
    t = types()
    if type_name not in t:
        raise KeyError(type_name)
    return t[type_name]
