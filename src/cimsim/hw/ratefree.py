"""Rate fields and the rate-free view of a config.

A *rate field* says so in its declaration (``Field(..., json_schema_extra=RATE)``): the stages
apply it (the engine's bandwidths, a component's :meth:`~cimsim.hw.base.Component.shared_bandwidths`)
and nothing cached reads it, so runs that differ only in rate fields share one placement and cost
table (:mod:`cimsim.cost.cache`, whose key leaves them out at any depth). What the cached stages
and the components see is a :class:`RateFree` view: the same config without its rate fields, at
the same depths the cache key leaves them out, so the reuse holds by structure.
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from typing import TYPE_CHECKING

from pydantic import BaseModel

from ..errors import RateFieldError

if TYPE_CHECKING:
    from pydantic.json_schema import JsonDict

#: marks a *rate* field (``Field(..., json_schema_extra=RATE)``): the stages apply it, no
#: component reads it, so runs differing in rates share a cost table (:mod:`cimsim.cost.cache`)
RATE: JsonDict = {"rate": True}

#: what to do, said by a rate read through the view of a memory level's or link's config
RESOURCE_ADVICE = ("components, and a level's or link's energy and latency, do not see rates (the "
                   "stages apply them; runs that differ only in rates share one cost table)")
#: the same for a component's own config
COMPONENT_ADVICE = ("a component reads its own rate fields only in shared_bandwidths() (the stages "
                    "apply them; runs that differ only in rates share one placement and cost "
                    "table); to read it in place(), cost() or any other method, drop its "
                    "json_schema_extra=RATE")


def is_rate(field) -> bool:
    """Whether a pydantic model field is declared a rate (``json_schema_extra=RATE``)."""
    extra = field.json_schema_extra
    return isinstance(extra, dict) and extra.get("rate") is True


def has_rates(value) -> bool:
    """Whether a validated value holds a rate field at any depth (models, mappings, sequences)."""
    if isinstance(value, BaseModel):
        return any(is_rate(f) or has_rates(getattr(value, n)) for n, f in type(value).model_fields.items())
    if isinstance(value, Mapping):
        return any(has_rates(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(has_rates(v) for v in value)
    return False


def _view(value, advice: str):
    """``value`` with every model inside it that holds a rate field seen through :class:`RateFree`."""
    if not has_rates(value):
        return value
    if isinstance(value, BaseModel):
        return RateFree(value, advice)
    if isinstance(value, Mapping):
        return types.MappingProxyType({k: _view(v, advice) for k, v in value.items()})
    return type(value)(_view(v, advice) for v in value)


def component_view(config: BaseModel):
    """What a component sees of its own config: the config itself when it has no rate field,
    else its :class:`RateFree` view (reading a rate in place(), cost(), ... is refused)."""
    return RateFree(config, COMPONENT_ADVICE) if has_rates(config) else config


class RateFree:
    """A config as components see it: every field but the rate fields, at any depth (reading one
    raises :class:`~cimsim.errors.RateFieldError`). What a component computes from it cannot
    depend on a rate, so runs that differ only in rates share one placement and cost table by
    construction. Properties and methods of the config's own classes read through the view."""

    __slots__ = ("_model", "_values", "_advice")

    def __init__(self, config: BaseModel, advice: str = RESOURCE_ADVICE):
        cls = type(config)
        object.__setattr__(self, "_model", cls)
        object.__setattr__(self, "_advice", advice)
        object.__setattr__(self, "_values", {n: _view(getattr(config, n), advice)
                                             for n, f in cls.model_fields.items() if not is_rate(f)})

    def __getattr__(self, name: str):
        values = object.__getattribute__(self, "_values")
        if name in values:
            return values[name]
        model = object.__getattribute__(self, "_model")
        # the class as written (``Leaky.Config``, the README's nested form, not just ``Config``)
        what = model.__qualname__.rsplit("<locals>.", 1)[-1]
        if isinstance(values.get("type"), str):
            what += f" (type: {values['type']})"
        if name in model.model_fields:
            raise RateFieldError(f"'{name}' of a {what} is a rate field: "
                                 f"{object.__getattribute__(self, '_advice')}")
        for klass in model.__mro__:  # a property or method of the config's own classes
            if klass is BaseModel:
                break
            attr = klass.__dict__.get(name)
            if isinstance(attr, property):
                return attr.fget(self)
            if isinstance(attr, types.FunctionType):
                return types.MethodType(attr, self)
        raise AttributeError(f"{what} (rate-free view) has no field '{name}'")

    def __setattr__(self, name, value):
        raise AttributeError("a rate-free view is read-only")
