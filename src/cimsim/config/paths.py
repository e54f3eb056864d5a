"""The one walker of dotted config paths (``memory.dram.bandwidth``, ``cim.adc.bits``).

Overrides (``--set``), ``cimsim fields`` and sweeps (``--param``) all resolve a
path here. The first part picks the section:

- ``name``, ``description``: the architecture's own fields;
- ``memory.LEVEL.FIELD``: a memory level (:class:`~cimsim.hw.base.MemoryLevel`);
- ``links.LINK.FIELD``: a link (:class:`~cimsim.hw.base.Link`);
- ``COMPONENT.FIELD...``: a component section, validated by its type's
  ``Config`` model (the type is the section's ``type:``, or its key).

Below that, nested models (``cim.adc.bits``) and dict fields with fixed keys
(``processor.macs_per_cycle_per_core.fp32``) are followed. With the config's
mapping at hand (``data``), a level, link or component the config does not
have is an error; without it (sweep specs, ``cimsim fields``), any level or
link name is accepted and a component key must be a registered type name.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from typing import Any, Literal, Mapping, Optional, Union

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from ..errors import ConfigError
from ..hw.base import Link, MemoryLevel
from .models import RESERVED


class PathError(ConfigError):
    """A dotted config path names no field."""


@dataclass(frozen=True)
class FieldRef:
    """The leaf a dotted path names."""

    path: str
    annotation: Any  # the field's type (Optional unwrapped)
    metadata: tuple  # pydantic metadata (QuantityUnit markers, constraints)
    description: str
    default: Any  # PydanticUndefined when required


def unwrap_optional(ann: Any) -> Any:
    """``X`` of ``Optional[X]`` or ``X | None``; any other annotation unchanged."""
    if typing.get_origin(ann) in (Union, types.UnionType):
        args = [a for a in typing.get_args(ann) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return ann


def _is_model(x: Any) -> bool:
    return isinstance(x, type) and issubclass(x, BaseModel)


def section_model(key: str, data: Optional[Mapping] = None) -> type[BaseModel]:
    """The config model of a top-level component section ``key``."""
    from ..hw.registry import types

    reg = types()
    if data is not None:
        sec = data.get(key)
        if not isinstance(sec, Mapping):
            allowed = [k for k in data if k not in RESERVED]
            raise PathError(f"'{key}' is not a section of this config; its components: "
                            f"{', '.join(allowed) or '(none)'}")
        type_name = sec.get("type", key)
    else:
        type_name = key
    if type_name not in reg:
        raise PathError(f"'{key}' is not a section; allowed: {', '.join(RESERVED)} or a component "
                        f"of type {', '.join(reg)}")
    return reg[type_name].Config


def resolve(path: str, data: Optional[Mapping] = None) -> FieldRef:
    """The field the dotted ``path`` names, or :class:`PathError` saying what is allowed."""
    parts = path.split(".")
    if not all(parts):
        raise PathError(f"'{path}' is not a dotted path of field names")
    head = parts[0]
    if head in ("name", "description"):
        if len(parts) > 1:
            raise PathError(f"'{head}' has no sub-fields")
        return FieldRef(path, str, (), f"the architecture's {head}", PydanticUndefined)
    if head in ("memory", "links"):
        model = MemoryLevel if head == "memory" else Link
        if len(parts) < 3:
            names = list((data or {}).get(head) or {}) or ["NAME"]
            raise PathError(f"'{path}': name a {'level' if head == 'memory' else 'link'} and a field: "
                            f"{head}.{{{', '.join(names)}}}.{{{', '.join(model.model_fields)}}}")
        if data is not None:
            have = data.get(head) or {}
            if parts[1] not in have:
                raise PathError(f"this architecture has no '{head}.{parts[1]}'; it has "
                                f"{', '.join(f'{head}.{k}' for k in have) or 'none'}")
        return _walk(model, parts, 2, path)
    model = section_model(head, data)
    if len(parts) == 1:
        raise PathError(f"'{head}' is a section, not a value; its fields: {', '.join(model.model_fields)}")
    return _walk(model, parts, 1, path)


def _walk(model: type[BaseModel], parts: list[str], i: int, path: str) -> FieldRef:
    current: Any = model
    while True:
        part = parts[i]
        here = ".".join(parts[: i + 1])
        last = i == len(parts) - 1
        if _is_model(current):
            fields = current.model_fields
            if part not in fields:
                raise PathError(f"'{here}' is not a field; allowed here: {', '.join(fields)}")
            info = fields[part]
            ann = unwrap_optional(info.annotation)
            if last:
                if _is_model(ann):
                    raise PathError(f"'{here}' is a section, not a value; its fields: "
                                    f"{', '.join(ann.model_fields)}")
                return FieldRef(path, ann, tuple(info.metadata), info.description or "", info.default)
            current = ann
        elif typing.get_origin(current) is dict:
            key_t, val_t = typing.get_args(current)
            if typing.get_origin(key_t) is Literal and part not in typing.get_args(key_t):
                raise PathError(f"'{part}' is not a key of '{'.'.join(parts[:i])}'; allowed keys: "
                                f"{', '.join(map(str, typing.get_args(key_t)))}")
            if last:
                return FieldRef(path, unwrap_optional(val_t), (), "", PydanticUndefined)
            current = unwrap_optional(val_t)
        else:
            raise PathError(f"'{'.'.join(parts[:i])}' has no sub-fields")
        i += 1
