"""The one walker over config field types: what a field holds, and the field a path names.

Every reader of the config models' types goes through here:

- ``cimsim fields`` lists :func:`leaves` with :meth:`Kind.describe` (:mod:`.schema`);
- ``--set`` and sweeps resolve a dotted path with :func:`field_at` (:mod:`.paths`), and
  sweeps read the leaf's :class:`Kind` to parse their specs (:mod:`cimsim.sweep.params`);
- the loader names the model a validation error sits in with :func:`model_at`
  (:mod:`.loader`).

A field's type is classified once, by :func:`kind_of`: a pydantic model is a
*section*, ``dict[K, V]`` a *table* (fixed keys when ``K`` is a ``Literal``),
``list[X]`` a *list*, a ``Literal`` a *choice*, a type carrying a
:class:`~cimsim.quantity.QuantityUnit` a *quantity*; ``bool``, ``int``, ``float`` and
``str`` are themselves. ``Optional[X]`` is ``X``; ``Annotated`` metadata is merged.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass
from typing import Any, Literal, Optional, Sequence, Union

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from ..errors import ConfigError, did_you_mean, one_line, suggest  # noqa: F401 (re-exported)
from ..quantity import DOMAINS, Choices, QuantityUnit
from ..units import ZERO_CELSIUS_K


class PathError(ConfigError):
    """A dotted config path names no field (the message is one printable line: the path the
    user wrote escaped, :func:`~cimsim.errors.one_line`)."""

    def __init__(self, message: str):
        super().__init__(one_line(str(message)))


#: command-line words for a boolean field (``--set cim.weight_replication=yes``, sweeps)
FLAG_WORDS: dict[str, bool] = {"true": True, "yes": True, "on": True, "1": True,
                               "false": False, "no": False, "off": False, "0": False}


def parse_flag(text: str) -> bool:
    """``True``/``False`` for a word of :data:`FLAG_WORDS` (any case); ValueError otherwise."""
    try:
        return FLAG_WORDS[str(text).strip().lower()]
    except KeyError:
        raise ValueError(f"{text!r} is not a boolean; use true/false (or yes/no, 1/0)") from None


def unwrap_optional(ann: Any) -> Any:
    """``X`` of ``Optional[X]`` or ``X | None``; any other annotation unchanged."""
    if typing.get_origin(ann) in (Union, types.UnionType):
        args = [a for a in typing.get_args(ann) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return ann


def is_model(x: Any) -> bool:
    return isinstance(x, type) and issubclass(x, BaseModel)


@dataclass(frozen=True)
class Kind:
    """What a field holds.

    ``name`` is one of 'quantity', 'bool', 'int', 'float', 'str', 'choice', 'list',
    'table', 'section', or the type's own name for anything else.
    """

    name: str
    unit: Optional[str] = None  # SI unit of a quantity
    domain: Optional[str] = None  # 'positive' | 'nonnegative' (quantities)
    choices: Optional[tuple[str, ...]] = None  # values of a choice
    item: Optional["Kind"] = None  # element of a list, value of a table
    keys: Optional[tuple[str, ...]] = None  # fixed keys of a table (None: any key)
    model: Optional[type[BaseModel]] = None  # the model of a section
    #: the domain of a plain number (int, float) from its constraints: ``>= 1``, ``in (0, 1]``
    bounds: Optional[str] = None
    #: the same as numbers, each side ``(op, value)`` or None: ``((">=", 1), ("<=", 16))``; a
    #: quantity's from its domain (``> 0``: ``((">", 0), None)``)
    limits: Optional[tuple] = None

    @property
    def is_value(self) -> bool:
        """A single value (settable with ``--set``, sweepable), not a structure."""
        return self.name not in ("list", "table", "section")

    def describe(self, bounds: bool = True) -> str:
        """The type as ``cimsim fields`` prints it: ``quantity [B/s], > 0``, ``one of sram, rram``,
        ``int, >= 1`` (``bounds=False``: a plain number's without its domain)."""
        if self.name == "quantity":
            return f"quantity [{self.unit}], {DOMAINS[self.domain]}"
        if self.name == "choice":
            return "one of " + ", ".join(self.choices)
        if self.name == "list":
            return "list of " + self.item.describe(bounds=False)
        if self.name == "table":
            return f"table of {self.item.describe(bounds=False)}"
        if self.name == "section":
            return self.model.__name__
        return f"{self.name}, {self.bounds}" if self.bounds and bounds else self.name


def kind_of(ann: Any, metadata: Sequence[Any] = ()) -> Kind:
    """Classify a field annotation (with its pydantic ``metadata``) into a :class:`Kind`."""
    ann = unwrap_optional(ann)
    if typing.get_origin(ann) is typing.Annotated:
        base, *meta = typing.get_args(ann)
        return kind_of(base, list(meta) + list(metadata))
    for m in metadata:
        if isinstance(m, QuantityUnit):
            return Kind("quantity", unit=m.unit, domain=m.domain,
                        limits=({"positive": (">", 0), "nonnegative": (">=", 0),  # °C: above 0 K
                                 "celsius": (">", -ZERO_CELSIUS_K)}[m.domain], None)
                        if m.domain in ("positive", "nonnegative", "celsius") else None)
        if isinstance(m, Choices):  # a registry's names (plug-ins included), as a Literal's
            return Kind("choice", choices=tuple(m.names()))
    origin = typing.get_origin(ann)
    if origin is Literal:
        return Kind("choice", choices=tuple(str(a) for a in typing.get_args(ann)))
    if origin is list:
        return Kind("list", item=kind_of(typing.get_args(ann)[0]))
    if origin is dict:
        key_t, val_t = typing.get_args(ann)
        keys = (tuple(str(k) for k in typing.get_args(key_t))
                if typing.get_origin(key_t) is Literal else None)
        return Kind("table", item=kind_of(val_t), keys=keys)
    if is_model(ann):
        return Kind("section", model=ann)
    for t in (bool, int, float, str):
        if ann is t:
            if t in (int, float):
                lo, hi = limits_of(metadata)
                return Kind(t.__name__, bounds=_bounds(lo, hi), limits=(lo, hi) if lo or hi else None)
            return Kind(t.__name__)
    return Kind(getattr(ann, "__name__", str(ann)))


def limits_of(metadata: Sequence[Any]) -> tuple[Optional[tuple], Optional[tuple]]:
    """The domain the constraints in ``metadata`` (``Field(ge=1)``, ``annotated_types.Gt``, ...)
    give a plain number: its lower and upper side, each ``(op, value)`` (op ``>=``, ``>``,
    ``<=``, ``<``) or None."""
    lo = hi = None
    for m in metadata:
        inner = getattr(m, "metadata", None)  # a FieldInfo inside Annotated
        for c in (inner if isinstance(inner, list) else [m]):
            for attr, side, op in (("ge", "lo", ">="), ("gt", "lo", ">"), ("le", "hi", "<="),
                                   ("lt", "hi", "<")):
                v = getattr(c, attr, None)
                if isinstance(v, (int, float)) and not isinstance(v, bool):
                    # the tightest bound of each side wins (a Field(ge=1) on a PositiveFloat)
                    if side == "lo" and (lo is None or (v, op == ">") > (lo[1], lo[0] == ">")):
                        lo = (op, v)
                    elif side == "hi" and (hi is None or (v, op == "<=") < (hi[1], hi[0] == "<=")):
                        hi = (op, v)
    return lo, hi


def _bounds(lo: Optional[tuple], hi: Optional[tuple]) -> Optional[str]:
    """:func:`limits_of`'s sides as ``cimsim fields`` prints them: ``>= 1``, ``> 0``,
    ``in (0, 1]``."""
    def num(v):  # an integer bound in full (2^24 = 16777216, not 1.67772e+07)
        return str(v) if isinstance(v, int) else f"{v:g}"

    if lo and hi:
        return f"in {'[' if lo[0] == '>=' else '('}{num(lo[1])}, {num(hi[1])}{']' if hi[0] == '<=' else ')'}"
    if lo or hi:
        op, v = lo or hi
        return f"{op} {num(v)}"
    return None


@dataclass(frozen=True)
class Leaf:
    """A field a dotted path names (a value, or a list/table/section when a walk stops at one)."""

    path: str
    annotation: Any  # the field's type (Optional unwrapped)
    metadata: tuple  # pydantic metadata (QuantityUnit markers, constraints)
    description: str
    default: Any  # PydanticUndefined when required
    kind: Kind
    #: must a config give it? A table's key never is by itself: ``in_table`` marks one, and
    #: ``table_required`` says whether the table holding it must be given.
    required: bool = False
    in_table: bool = False
    table_required: bool = False
    #: a key of a table with free keys and single values may hold dots (a layer's weight
    #: name, ``cim.chip.layers.2.weight``): the index of the path part it starts at; the key
    #: is the rest of the path, joined with dots
    key_at: Optional[int] = None


def _field_leaf(path: str, info) -> Leaf:
    ann = unwrap_optional(info.annotation)
    return Leaf(path, ann, tuple(info.metadata), info.description or "", info.default,
                kind_of(ann, info.metadata), required=info.is_required())


def _key_leaf(path: str, table: Leaf) -> Leaf:
    _, val_t = typing.get_args(table.annotation)
    val_t = unwrap_optional(val_t)
    return Leaf(path, val_t, (), table.description, PydanticUndefined, table.kind.item,
                in_table=True, table_required=table.required)


#: dtypes cimsim does not model, which a datasheet's per-dtype table gives first
_UNMODELLED_DTYPES = ("int4", "fp8", "tf32")


def not_a_key(key: str, table: str, keys: Sequence[str]) -> str:
    """The one line for a key a fixed-key table does not take, as ``--set`` and a config file
    both say it: ``'int4' is not a key of 'processor.macs_per_cycle_per_core'; allowed keys:
    fp32, fp16, bf16, int8``, and for a dtype cimsim does not model, where the README says so."""
    hint = (f"; cimsim models no {key} MACs (README: \"compute dtypes beyond fp32, fp16, bf16 "
            "and int8\" under Not modelled)" if str(key).lower() in _UNMODELLED_DTYPES else "")
    if str(key).lower() == "int4":
        hint += "; int4 weights of an LLM: cimsim workload llm --weight-dtype int4"
    return (f"'{key}' is not a key of '{table}'; allowed keys: {', '.join(keys)}"
            + (hint or did_you_mean(str(key), keys, f"{table}.{{}}")))


def field_at(model: type[BaseModel], parts: Sequence[str], start: int, path: str,
             value_only: bool = True) -> Leaf:
    """The field ``parts[start:]`` names below ``model`` (``parts[:start]`` named the model).

    Sections and tables with fixed keys are followed; :class:`PathError` says what is
    allowed where the path leaves the schema. With ``value_only`` a path that ends at a
    section is an error (one sets or sweeps values, not sections).
    """
    current: Optional[Leaf] = None  # None: at ``model`` itself
    for i in range(start, len(parts)):
        part = parts[i]
        here = ".".join(parts[: i + 1])
        above = ".".join(parts[:i])
        if current is None or current.kind.name == "section":
            m = model if current is None else current.kind.model
            fields = m.model_fields
            if part not in fields:
                raise PathError(f"'{here}' is not a field; allowed here: {', '.join(fields)}"
                                + did_you_mean(part, fields, f"{above}.{{}}" if above else "{}"))
            current = _field_leaf(path, fields[part])
        elif current.kind.name == "table":
            keys = current.kind.keys
            if keys is None and current.kind.item.is_value:  # the key is the rest of the path
                return dataclasses.replace(_key_leaf(path, current), key_at=i)
            if keys is not None and part not in keys:
                raise PathError(not_a_key(part, above, keys))
            current = _key_leaf(path, current)
        else:
            if typing.get_origin(current.annotation) is list:  # a list: set whole, not an item
                raise PathError(f"'{above}' is a list, set or swept whole: --set '{above}=[...]' "
                                f"(YAML, every item), not an item's field ('{path}')")
            raise PathError(f"'{above}' has no sub-fields")
    if current is None:
        raise PathError(f"'{path}' names a section, not a field")
    if value_only and current.kind.name == "section":
        fields = list(current.kind.model.model_fields)
        raise PathError(f"'{path}' is a section, not a value; its fields: {', '.join(fields)} "
                        f"(give them one by one: {path}.{fields[0]}=...)")
    return current


def model_at(model: type[BaseModel], loc: Sequence) -> Optional[type[BaseModel]]:
    """The section model at ``loc`` below ``model`` (``model`` itself for ``()``); None where
    ``loc`` leaves the sections (a table, a list, a value, an unknown key)."""
    if not loc:
        return model
    at = next((i for i, p in enumerate(loc) if isinstance(p, int)), None)
    if at is not None and at > 0:  # an item of a list of sections (collective.protocols.0)
        parent = model_at(model, loc[:at - 1])
        info = parent.model_fields.get(str(loc[at - 1])) if parent is not None else None
        item = _list_item_model(info.annotation) if info is not None else None
        return model_at(item, loc[at + 1:]) if item is not None else None
    try:
        leaf = field_at(model, [str(p) for p in loc], 0, ".".join(map(str, loc)), value_only=False)
    except PathError:
        return None
    return leaf.kind.model if leaf.kind.name == "section" else None


def _list_item_model(annotation) -> Optional[type[BaseModel]]:
    """``X`` of a ``list[X]`` (or ``Optional[list[X]]``) annotation whose items are sections."""
    import typing

    for arg in (annotation, *typing.get_args(annotation)):
        if typing.get_origin(arg) is list:
            item = typing.get_args(arg)[0] if typing.get_args(arg) else None
            if isinstance(item, type) and issubclass(item, BaseModel):
                return item
    return None


def leaves(model: type[BaseModel], prefix: str = "") -> list[Leaf]:
    """Every value below ``model``, in declaration order: sections expanded, a table's keys
    listed one by one (``KEY`` when any key is allowed; a key whose value is a section is
    expanded too); lists are leaves."""
    out: list[Leaf] = []
    for name, info in model.model_fields.items():
        leaf = _field_leaf(f"{prefix}{name}", info)
        if leaf.kind.name == "section":
            out.extend(leaves(leaf.kind.model, leaf.path + "."))
        elif leaf.kind.name == "table":
            for key in leaf.kind.keys or ("KEY",):
                k = _key_leaf(f"{leaf.path}.{key}", leaf)
                if k.kind.name == "section":  # a table of sections (e.g. cim.chip.levels)
                    out.extend(leaves(k.kind.model, k.path + "."))
                else:
                    out.append(k)
        else:
            out.append(leaf)
    return out
