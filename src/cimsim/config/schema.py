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

from ..hw.technology import Technology
from ..units import format_quantity
from .models import RESERVED
from .paths import PLACEHOLDERS_DOC, resource_model, section_model
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
    from ..hw.registry import link_types, memory_types, types

    out = [FieldDoc("name", "str", "", "Short name used in reports."),
           FieldDoc("description", "str", '""', "One line on what this models.")]
    tail = [FieldDoc("placeholders", "list of str", "(none)", PLACEHOLDERS_DOC)]
    if data is None or data.get("technology") is not None:
        out += describe_model(Technology, "technology.")
    if data is None:
        for head, prefix in (("memory", "memory.LEVEL."), ("links", "links.LINK.")):
            seen: dict[str, int] = {}
            kinds = memory_types() if head == "memory" else link_types()
            for type_name, cls in kinds.items():
                for doc in describe_model(cls.Config, prefix):
                    if doc.path == prefix + "type":  # any registered type, not only this one's
                        doc = FieldDoc(doc.path, "one of " + ", ".join(kinds), doc.default, doc.description)
                    if doc.path not in seen:  # the fields a type adds, marked with the type
                        seen[doc.path] = len(out)
                        out.append(doc if type_name == "fixed" else
                                   FieldDoc(doc.path, doc.type, doc.default,
                                            f"(type: {type_name}) {doc.description}"))
                    elif doc.path != prefix + "type" and doc.description not in out[seen[doc.path]].description:
                        # a shared field a type means its own way (a dram level's channels)
                        o = out[seen[doc.path]]
                        out[seen[doc.path]] = FieldDoc(o.path, o.type, o.default, f"{o.description} "
                                                       f"(type: {type_name}) {doc.description}")
        for type_name, cls in types().items():
            out += describe_model(cls.Config, f"{type_name}.")
        return out + tail
    for head in ("memory", "links"):
        kinds = memory_types() if head == "memory" else link_types()
        for name in data.get(head) or {}:
            for doc in describe_model(resource_model(head, name, data), f"{head}.{name}."):
                if doc.path == f"{head}.{name}.type":  # --set switches it to any registered type
                    doc = FieldDoc(doc.path, "one of " + ", ".join(kinds), doc.default, doc.description)
                out.append(doc)
    for key in data:
        if key not in RESERVED:
            out += describe_model(section_model(key, data), f"{key}.")
    return out + tail
