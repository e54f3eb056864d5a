"""An :class:`~cimsim.config.models.Architecture` as a value: the hashable image its equality,
hash and the cost cache's key are made of, and the mapping (and YAML file) it was validated
from, written back out.

:func:`architecture_to_dict` is the inverse of
:func:`~cimsim.config.loader.architecture_from_dict`: each section holds the fields its config
or an override set, quantities with their units (``'1000000000000.0 B/s'``, exact: a float's
``repr``); fields left to their defaults or derived stay out, so a reload derives them again.
``architecture_from_dict(architecture_to_dict(a)) == a`` for every valid ``a``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Callable

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from ..errors import CimsimError, check_path_argument, given
from .models import Architecture


def frozen_image(value: Any, leave_out: Callable[[FieldInfo], bool] | None = None) -> Any:
    """A hashable image of a validated value, at any depth: a pydantic model by its type and
    its declared fields (``leave_out``: the fields to skip, e.g. the rate fields), a mapping
    with its order kept (memory levels are innermost first), lists and tuples alike."""
    if isinstance(value, BaseModel):
        cls = type(value)
        return (cls, tuple((name, frozen_image(getattr(value, name), leave_out))
                           for name, f in cls.model_fields.items()
                           if leave_out is None or not leave_out(f)))
    if isinstance(value, Mapping):
        return (dict, tuple((k, frozen_image(v, leave_out)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return (tuple, tuple(frozen_image(v, leave_out) for v in value))
    if isinstance(value, (set, frozenset)):
        return (frozenset, frozenset(frozen_image(v, leave_out) for v in value))
    hash(value)  # a value of an unforeseen kind must at least hash (or the image is wrong)
    return (type(value), value)


def architecture_image(arch: Architecture) -> tuple:
    """What an architecture is, as one hashable tuple: its name, description, memory levels,
    links and components (in config order), technology and placeholder marks."""
    return (arch.name, arch.description, frozen_image(arch.memory), frozen_image(arch.links),
            frozen_image(arch.components), frozen_image(arch.technology),
            frozenset(arch.placeholders), frozen_image(arch.thermal))


def _section(model: BaseModel) -> dict:
    return model.model_dump(mode="json", exclude_unset=True)


def architecture_to_dict(arch: Architecture) -> dict[str, Any]:
    """The config mapping of ``arch`` (overrides applied), in the YAML layout: what
    :func:`~cimsim.config.architecture_from_dict` turns back into an equal architecture and
    :func:`save_architecture` writes. Plain data only (str, int, float, bool, None, lists and
    dicts), quantities as unit strings; its order matters (memory levels run innermost first:
    ``yaml.safe_dump(..., sort_keys=False)``)."""
    if not isinstance(arch, Architecture):
        raise CimsimError(f"architecture_to_dict(): arch must be an Architecture "
                          f"(load_architecture(NAME or PATH) gives one), got {given(arch)}")
    out: dict[str, Any] = {"name": arch.name}
    if arch.description:
        out["description"] = arch.description
    if arch.technology is not None:
        out["technology"] = _section(arch.technology)
    if arch.thermal is not None:
        out["thermal"] = _section(arch.thermal)
    out["memory"] = {n: _section(c) for n, c in arch.memory.items()}
    if arch.links:
        out["links"] = {n: _section(c) for n, c in arch.links.items()}
    out.update((n, _section(c)) for n, c in arch.components.items())
    if arch.placeholders:
        out["placeholders"] = sorted(arch.placeholders)
    return out


def save_architecture(arch: Architecture, path: str | Path) -> None:
    """Write ``arch`` as a YAML config file (atomically; missing parent folders are made) that
    :func:`~cimsim.config.load_architecture` reads back into an equal architecture: the
    record of what was simulated, overrides included."""
    import yaml

    from ..atomic import atomic_write, check_writable

    data = architecture_to_dict(arch)
    check_path_argument("save_architecture", path, "the YAML file to write", "")
    if Path(path).suffix.lower() not in (".yaml", ".yml"):
        raise CimsimError(f"save_architecture(): {path}: a config file is .yaml or .yml")
    check_writable(path, "save_architecture():")
    text = (f"# architecture '{arch.name}', written by cimsim.save_architecture\n"
            + yaml.safe_dump(data, sort_keys=False, allow_unicode=True))

    def write(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)

    atomic_write(path, write)
