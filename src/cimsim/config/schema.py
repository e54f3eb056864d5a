"""Every config field, walked from the models: path, type or unit, default, description.

This is what ``cimsim fields`` prints and what a sweep's ``--param PATH`` may
name. Without a config, paths use placeholders (``memory.LEVEL.bandwidth``,
``links.LINK.latency``) and component sections are listed under their type
name; with a config's mapping, the paths are that config's own.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Mapping, Optional

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from ..hw.technology import Technology
from ..hw.thermal import Thermal
from ..units import format_quantity, parse_quantity
from .models import RESERVED
from .paths import PLACEHOLDERS_DOC, resource_model, section_model
from .walk import Leaf, leaves


@dataclass(frozen=True)
class FieldDoc:
    """One config field: what ``cimsim fields`` prints (``path``, ``type``, ``default`` as text,
    ``description``) and the same as data (``kind`` and on), for a search space set up in code."""

    path: str  # dotted, e.g. "memory.dram.bandwidth"
    type: str  # "quantity [B/s]", "int", "one of sram, rram", ...
    default: str  # "" when required
    description: str
    #: 'quantity', 'int', 'float', 'bool', 'str', 'choice', 'list' or 'table' (walk.Kind.name)
    kind: str = "str"
    #: a quantity's SI unit ("B/s", "J/B", "s"; values and bounds are in it), else None
    unit: Optional[str] = None
    #: the lowest and highest value allowed (a quantity's or number's), None where unbounded;
    #: ``low_inclusive`` / ``high_inclusive``: whether that value itself is (``>= 1`` vs ``> 0``)
    low: Optional[float] = None
    high: Optional[float] = None
    low_inclusive: bool = False
    high_inclusive: bool = False
    #: the values a choice takes (registered types, plug-ins included), else None
    choices: Optional[tuple[str, ...]] = None
    #: must the config give it (no default)?
    required: bool = False
    #: the default as a value (a quantity's a number in ``unit`` where the model gives one), None
    #: when required or when the default is none
    default_value: Any = None


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


def _doc(leaf: Leaf) -> FieldDoc:
    """The :class:`FieldDoc` of a leaf: its text as ``cimsim fields`` prints it, and as data."""
    k = leaf.kind
    lo, hi = k.limits or (None, None)
    given = leaf.default is not PydanticUndefined and not leaf.in_table
    value = leaf.default if given else None
    if k.name == "quantity" and isinstance(value, str):  # "0 s", "20 s": a number in its unit
        value = parse_quantity(value, k.unit)
    return FieldDoc(leaf.path, k.describe(), _default(leaf), leaf.description, kind=k.name, unit=k.unit,
                    low=lo[1] if lo else None, high=hi[1] if hi else None,
                    low_inclusive=bool(lo and lo[0] == ">="), high_inclusive=bool(hi and hi[0] == "<="),
                    choices=k.choices, required=leaf.required and not leaf.in_table,
                    default_value=value)


def _one_of(doc: FieldDoc, kinds: Mapping) -> FieldDoc:
    """A level's or link's ``type``: any registered type, not only the one its model is."""
    return replace(doc, type="one of " + ", ".join(kinds), kind="choice", choices=tuple(kinds))


def describe_model(model: type[BaseModel], prefix: str = "") -> list[FieldDoc]:
    """One :class:`FieldDoc` per leaf field of ``model``, sections expanded, in declaration order."""
    return [_doc(leaf) for leaf in leaves(model, prefix)]


def describe_fields(data: Optional[Mapping] = None) -> list[FieldDoc]:
    """Every field: of the config ``data`` (its own level, link and component names), or
    of the schema (placeholder names, one section per registered component type)."""
    from ..hw.registry import link_types, memory_types, types

    out = [FieldDoc("name", "str", "", "Short name used in reports.", required=True),
           FieldDoc("description", "str", '""', "One line on what this models.", default_value="")]
    tail = [FieldDoc("placeholders", "list of str", "(none)", PLACEHOLDERS_DOC, kind="list")]
    if data is None or data.get("technology") is not None:
        out += describe_model(Technology, "technology.")
    if data is None or data.get("thermal") is not None:
        out += describe_model(Thermal, "thermal.")
    if data is None:
        for head, prefix in (("memory", "memory.LEVEL."), ("links", "links.LINK.")):
            seen: dict[str, int] = {}
            kinds = memory_types() if head == "memory" else link_types()
            for type_name, cls in kinds.items():
                for doc in describe_model(cls.Config, prefix):
                    if doc.path == prefix + "type":  # any registered type, not only this one's
                        doc = _one_of(doc, kinds)
                    if doc.path not in seen:  # the fields a type adds, marked with the type
                        seen[doc.path] = len(out)
                        out.append(doc if type_name == "fixed" else
                                   replace(doc, description=f"(type: {type_name}) {doc.description}"))
                    elif doc.path != prefix + "type" and doc.description not in out[seen[doc.path]].description:
                        # a shared field a type means its own way (a dram level's channels)
                        o = out[seen[doc.path]]
                        out[seen[doc.path]] = replace(o, description=f"{o.description} "
                                                      f"(type: {type_name}) {doc.description}")
        for type_name, cls in types().items():
            out += describe_model(cls.Config, f"{type_name}.")
        return out + tail
    for head in ("memory", "links"):
        kinds = memory_types() if head == "memory" else link_types()
        for name in data.get(head) or {}:
            for doc in describe_model(resource_model(head, name, data), f"{head}.{name}."):
                if doc.path == f"{head}.{name}.type":  # --set switches it to any registered type
                    doc = _one_of(doc, kinds)
                out.append(doc)
    for key in data:
        if key not in RESERVED:
            out += describe_model(section_model(key, data), f"{key}.")
    return out + tail


def config_fields(arch=None, prefix: str = "") -> list[FieldDoc]:
    """Every field of the architecture ``arch`` that ``cimsim fields -c CONFIG`` lists (its own
    level, link and component names), or of the schema with ``arch=None`` (``cimsim fields``:
    ``memory.LEVEL.bandwidth``, components under their type name), those whose path starts with
    ``prefix``: one :class:`FieldDoc` each, its ``path``, ``kind``, SI ``unit``, ``low`` /
    ``high`` bounds (with ``low_inclusive`` / ``high_inclusive``), ``choices``, ``required`` and
    ``default_value`` as data beside the table's text (``type``, ``default``,
    ``description``)."""
    from ..errors import CimsimError, given
    from .models import Architecture
    from .value import architecture_to_dict

    if arch is not None and not isinstance(arch, Architecture):
        raise CimsimError(f"config_fields(): arch must be an Architecture (load_architecture(...)) "
                          f"or None for the schema, got {given(arch)}")
    if not isinstance(prefix, str):
        raise CimsimError(f"config_fields(): prefix must be a str (a dotted path's start, e.g. "
                          f"'cim.'), got {given(prefix)}")
    data = None if arch is None else architecture_to_dict(arch)
    return [f for f in describe_fields(data) if f.path.startswith(prefix)]
