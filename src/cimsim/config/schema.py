"""Every config field, walked from the models: path, type or unit, default, description.

This is what ``cimsim fields`` prints and what a sweep's ``--param PATH`` may
name. Without a config, paths use placeholders (``memory.LEVEL.bandwidth``,
``links.LINK.latency``) and component sections are listed under their type
name; with a config's mapping, the paths are that config's own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Optional

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from ..hw.base import Link, MemoryLevel, Technology
from ..units import format_quantity
from .models import RESERVED
from .paths import PLACEHOLDERS_DOC, section_model
from .walk import Leaf, leaves


@dataclass(frozen=True)
class FieldDoc:
    path: str  # dotted, e.g. "memory.dram.bandwidth"
    type: str  # "quantity [B/s]", "int", "one of sram, rram", ...
    default: str  # "" when required
    description: str


#: the default column of a table's key: the key may be left out, the table may not
TABLE_KEY_REQUIRED = "(optional key of a required table)"
TABLE_KEY_OPTIONAL = "(optional key)"


def _default(leaf: Leaf) -> str:
    if leaf.in_table:
        return TABLE_KEY_REQUIRED if leaf.table_required else TABLE_KEY_OPTIONAL
    d = leaf.default
    if d is PydanticUndefined:
        return ""
    if d is None:
        return "(none)"
    if d == "":
        return '""'
    if leaf.kind.name == "quantity" and isinstance(d, (int, float)):
        return format_quantity(d, leaf.kind.unit)
    return str(d)


def describe_model(model: type[BaseModel], prefix: str = "") -> list[FieldDoc]:
    """One :class:`FieldDoc` per leaf field of ``model``, sections expanded, in declaration order."""
    return [FieldDoc(leaf.path, leaf.kind.describe(), _default(leaf), leaf.description)
            for leaf in leaves(model, prefix)]


def describe_fields(data: Optional[Mapping] = None) -> list[FieldDoc]:
    """Every field: of the config ``data`` (its own level, link and component names), or
    of the schema (placeholder names, one section per registered component type)."""
    from ..hw.registry import types

    out = [FieldDoc("name", "str", "", "Short name used in reports."),
           FieldDoc("description", "str", "", "One line on what this models.")]
    tail = [FieldDoc("placeholders", "list of str", "(none)", PLACEHOLDERS_DOC)]
    if data is None or data.get("technology") is not None:
        out += describe_model(Technology, "technology.")
    if data is None:
        out += describe_model(MemoryLevel, "memory.LEVEL.")
        out += describe_model(Link, "links.LINK.")
        for type_name, cls in types().items():
            out += describe_model(cls.Config, f"{type_name}.")
        return out + tail
    for lv in data.get("memory") or {}:
        out += describe_model(MemoryLevel, f"memory.{lv}.")
    for ln in data.get("links") or {}:
        out += describe_model(Link, f"links.{ln}.")
    for key in data:
        if key not in RESERVED:
            out += describe_model(section_model(key, data), f"{key}.")
    return out + tail
