"""What ``dir()`` of a cimsim module lists: its public names, not what its own imports bound."""

from __future__ import annotations

import types
from collections.abc import Mapping


def public_dir(namespace: Mapping[str, object]) -> list[str]:
    """A module's ``__all__`` (the names it loads lazily too), its dunders (``__version__``,
    ``__doc__``) and its loaded submodules; left out are the names its imports bound
    (``annotations``, ``TYPE_CHECKING``, ``Path``, ``Callable``) and private ones."""
    name = namespace["__name__"]
    subs = {k for k, v in namespace.items()
            if isinstance(v, types.ModuleType) and v.__name__ == f"{name}.{k}"}
    dunders = {k for k in namespace if k.startswith("__") and k.endswith("__")}
    return sorted({*namespace.get("__all__", ()), *dunders, *subs})  # type: ignore[misc]
