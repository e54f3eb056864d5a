"""The registry of component types: ``type:`` name -> :class:`~cimsim.hw.base.Component` class.

The built-in types register here (one line each). Other packages add theirs
through the ``cimsim.components`` entry-point group, e.g. in their
``pyproject.toml``::

    [project.entry-points."cimsim.components"]
    my-accelerator = "my_package.my_module:MyAccelerator"

or at run time with :func:`register`.
"""

from __future__ import annotations

from importlib.metadata import entry_points

from .base import Component

_TYPES: dict[str, type[Component]] = {}
_PLUGINS_LOADED = False


def register(cls: type[Component]) -> type[Component]:
    """Register a component class under ``cls.type_name`` (usable as a decorator)."""
    if not cls.type_name:
        raise ValueError(f"{cls.__name__} has no type_name")
    if _TYPES.get(cls.type_name, cls) is not cls:
        raise ValueError(f"component type '{cls.type_name}' is already registered "
                         f"by {_TYPES[cls.type_name].__module__}")
    _TYPES[cls.type_name] = cls
    return cls


def unregister(type_name: str) -> None:
    """Remove a registered type (for tests and interactive sessions); built-ins stay."""
    if type_name in ("processor", "pim", "cim", "systolic"):
        raise ValueError(f"'{type_name}' is a built-in component type")
    _TYPES.pop(type_name, None)


def _builtins() -> None:
    from .cim import CIM
    from .pim import PIM
    from .processor import Processor
    from .systolic import SystolicArray

    for cls in (Processor, PIM, CIM, SystolicArray):
        register(cls)


def _plugins() -> None:
    global _PLUGINS_LOADED
    if _PLUGINS_LOADED:
        return
    _PLUGINS_LOADED = True
    for ep in entry_points(group="cimsim.components"):
        register(ep.load())


def types() -> dict[str, type[Component]]:
    """Every registered component type, by name (built-ins first)."""
    if not _TYPES:
        _builtins()
    _plugins()
    return dict(_TYPES)


def get(type_name: str) -> type[Component]:
    t = types()
    if type_name not in t:
        raise KeyError(type_name)
    return t[type_name]
