"""Every config field, walked from the pydantic models: path, type or unit, default, description.

This is what ``cimsim fields`` prints and what a sweep's ``--param PATH`` may name.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass
from typing import Any, Literal, Union

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from ..units import format_quantity
from .models import Architecture
from .quantity import QuantityUnit


@dataclass(frozen=True)
class FieldDoc:
    path: str  # dotted, e.g. "memory.bandwidth"
    type: str  # "quantity [B/s]", "int", "one of sram, rram", ...
    default: str  # "" when required
    description: str


def _unwrap(ann: Any) -> tuple[Any, bool]:
    if typing.get_origin(ann) is Union:
        args = [a for a in typing.get_args(ann) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return ann, False


def _leaf_type(ann: Any, metadata) -> tuple[str, str | None]:
    if typing.get_origin(ann) is typing.Annotated:
        base, *meta = typing.get_args(ann)
        return _leaf_type(base, list(meta) + list(metadata))
    for m in metadata:
        if isinstance(m, QuantityUnit):
            return f"quantity [{m.unit}]", m.unit
    if typing.get_origin(ann) is Literal:
        return "one of " + ", ".join(str(a) for a in typing.get_args(ann)), None
    return getattr(ann, "__name__", str(ann)), None


def describe_fields(model: type[BaseModel] = Architecture, prefix: str = "") -> list[FieldDoc]:
    """One :class:`FieldDoc` per leaf field of ``model``, sections expanded, in declaration order."""
    out: list[FieldDoc] = []
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        ann, optional = _unwrap(info.annotation)
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            out.extend(describe_fields(ann, path + "."))
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
        elif unit is not None and isinstance(info.default, (int, float)):
            default = format_quantity(info.default, unit)
        else:
            default = str(info.default)
        out.append(FieldDoc(path, type_, default, info.description or ""))
    return out
