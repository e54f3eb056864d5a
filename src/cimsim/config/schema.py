"""Every config field, walked from the models: path, type or unit, default, description.

This is what ``cimsim fields`` prints and what a sweep's ``--param PATH`` may
name. Without a config, paths use placeholders (``memory.LEVEL.bandwidth``,
``links.LINK.latency``) and component sections are listed under their type
name; with a config's mapping, the paths are that config's own.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass
from typing import Any, Literal, Mapping, Optional

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from ..hw.base import Link, MemoryLevel
from ..quantity import QuantityUnit
from ..units import format_quantity
from .models import RESERVED
from .paths import section_model, unwrap_optional


@dataclass(frozen=True)
class FieldDoc:
    path: str  # dotted, e.g. "memory.dram.bandwidth"
    type: str  # "quantity [B/s]", "int", "one of sram, rram", ...
    default: str  # "" when required
    description: str


def _leaf_type(ann: Any, metadata) -> tuple[str, str | None]:
    if typing.get_origin(ann) is typing.Annotated:
        base, *meta = typing.get_args(ann)
        return _leaf_type(base, list(meta) + list(metadata))
    for m in metadata:
        if isinstance(m, QuantityUnit):
            return f"quantity [{m.unit}], {'> 0' if m.domain == 'positive' else '>= 0'}", m.unit
    if typing.get_origin(ann) is Literal:
        return "one of " + ", ".join(str(a) for a in typing.get_args(ann)), None
    if typing.get_origin(ann) is list:  # e.g. "list of quantity [B], > 0", "list of list of float"
        return "list of " + _leaf_type(typing.get_args(ann)[0], ())[0], None
    return getattr(ann, "__name__", str(ann)), None


def describe_model(model: type[BaseModel], prefix: str = "") -> list[FieldDoc]:
    """One :class:`FieldDoc` per leaf field of ``model``, sections expanded, in declaration order."""
    out: list[FieldDoc] = []
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        ann = unwrap_optional(info.annotation)
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            out.extend(describe_model(ann, path + "."))
            continue
        if typing.get_origin(ann) is dict:
            key_t, val_t = typing.get_args(ann)
            keys = typing.get_args(key_t) if typing.get_origin(key_t) is Literal else ("KEY",)
            for key in keys:
                type_, _ = _leaf_type(val_t, ())
                out.append(FieldDoc(f"{path}.{key}", type_, "(optional key)", info.description or ""))
            continue
        type_, unit = _leaf_type(ann, info.metadata)
        if info.default is PydanticUndefined:
            default = ""
        elif info.default is None:
            default = "(none)"
        elif info.default == "":
            default = '""'
        elif unit is not None and isinstance(info.default, (int, float)):
            default = format_quantity(info.default, unit)
        else:
            default = str(info.default)
        out.append(FieldDoc(path, type_, default, info.description or ""))
    return out


def describe_fields(data: Optional[Mapping] = None) -> list[FieldDoc]:
    """Every field: of the config ``data`` (its own level, link and component names), or
    of the schema (placeholder names, one section per registered component type)."""
    from ..hw.registry import types

    out = [FieldDoc("name", "str", "", "Short name used in reports."),
           FieldDoc("description", "str", "", "One line on what this models.")]
    if data is None:
        out += describe_model(MemoryLevel, "memory.LEVEL.")
        out += describe_model(Link, "links.LINK.")
        for type_name, cls in types().items():
            out += describe_model(cls.Config, f"{type_name}.")
        return out
    for lv in data.get("memory") or {}:
        out += describe_model(MemoryLevel, f"memory.{lv}.")
    for ln in data.get("links") or {}:
        out += describe_model(Link, f"links.{ln}.")
    for key in data:
        if key not in RESERVED:
            out += describe_model(section_model(key, data), f"{key}.")
    return out
