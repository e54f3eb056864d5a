"""Errors inside a plug-in's code, said in one line naming the plug-in.

A *plug-in* is a registered type whose class is defined outside the ``cimsim`` package. When
:mod:`cimsim.hw.registry` files one, :func:`guard` wraps each method of the contract its classes
define (every public method and property of the base class: ``check``, ``claim``, ``place``,
``cost``, ``static_power_w``, ... for a component; ``bytes_per_s``, ``peak_bytes_per_s``,
``latency_s``, ... for a memory level or link; and ``__init__``), so that an exception escaping
one becomes a :class:`~cimsim.errors.ComponentError`::

    component 'nma' (nma-fail): cost() raised ValueError: boom in cost (badplug.py:110)

A :class:`~cimsim.errors.CimsimError` passes as it is; a rate field read through a rate-free
view says which (``cost() read 'clock' of a ... is a rate field: ...``). Only the outermost call
into an object is translated (a plug-in calling its own methods sees its own exceptions). The
built-in types are not wrapped: an error in cimsim's own code stays an internal error with its
traceback.
"""

from __future__ import annotations

import functools
import os
import sys
import threading
from typing import Callable

from ..errors import CimsimError, ComponentError, RateFieldError

#: marks a function :func:`guard` made (a class registered twice is wrapped once)
_MARK = "__cimsim_guarded__"
#: the objects (or classes) a guarded call is running in, per thread
_inside = threading.local()
_CIMSIM_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def is_plugin(cls: type) -> bool:
    """Whether ``cls`` is defined outside the cimsim package."""
    return not (cls.__module__ == "cimsim" or cls.__module__.startswith("cimsim."))


def contract(base: type) -> tuple[str, ...]:
    """The methods cimsim calls on a type of ``base``: its public methods and properties, and
    ``__init__``."""
    names = {n: None for k in reversed(base.__mro__[:-1]) for n, v in vars(k).items()
             if not n.startswith("_") and not isinstance(v, type)
             and (callable(v) or isinstance(v, (property, classmethod)))}
    return ("__init__", *names)


def _where(exc: BaseException, files: set[str]) -> str:
    """`` (FILE:LINE)``: the innermost frame of ``exc``'s traceback in the plug-in's files (else
    outside cimsim); the file as its folder and name for a package's ``__init__.py``."""
    frames, tb = [], exc.__traceback__
    while tb is not None:
        frames.append((os.path.abspath(tb.tb_frame.f_code.co_filename), tb.tb_lineno))
        tb = tb.tb_next
    pick = ([f for f in frames if f[0] in files] or
            [f for f in frames if not f[0].startswith(_CIMSIM_DIR + os.sep)] or frames)
    if not pick:
        return ""
    path, line = pick[-1]
    name = os.path.basename(path)
    if name == "__init__.py":
        name = f"{os.path.basename(os.path.dirname(path))}/{name}"
    return f" ({name}:{line})"


def _files(cls: type) -> set[str]:
    """The source files of ``cls``'s plug-in classes (its own and its plug-in bases'); the
    standard library's classes in its MRO (``typing.Generic`` under ``Component[MyConfig]``,
    ``abc.ABC``) are not the plug-in's code."""
    out = set()
    for k in cls.__mro__:
        f = getattr(sys.modules.get(k.__module__), "__file__", None)
        if f and is_plugin(k) and k.__module__.partition(".")[0] not in sys.stdlib_module_names:
            out.add(os.path.abspath(f))
    return out


def _named(what: Callable[[type, str | None], str], args: tuple, kwargs: dict) -> tuple[str, type]:
    """``what``'s name of the object a call was made on (``self``, or ``cls`` and its ``name``
    argument for a classmethod or ``__init__``), and the object's class."""
    obj = args[0] if args else None
    owner = obj if isinstance(obj, type) else type(obj)
    name = None if isinstance(obj, type) else getattr(obj, "__dict__", {}).get("name")
    if name is None:
        name = kwargs.get("name", args[1] if len(args) > 1 else None)
    return what(owner, name if isinstance(name, str) else None), owner


def _wrap(func: Callable, method: str, what: Callable[[type, str | None], str]) -> Callable:
    if getattr(func, _MARK, False):
        return func

    @functools.wraps(func)
    def call(*args, **kwargs):
        key = id(args[0]) if args else None
        busy = _inside.__dict__.setdefault("keys", set())
        if key in busy:  # the plug-in calling its own methods: its own exceptions
            return func(*args, **kwargs)
        busy.add(key)
        try:
            return func(*args, **kwargs)
        except CimsimError:
            raise
        except RateFieldError as exc:
            raise ComponentError(f"{_named(what, args, kwargs)[0]}: {method} read {exc}") from exc
        except Exception as exc:  # noqa: BLE001  (a plug-in's code: any error, said in one line)
            who, owner = _named(what, args, kwargs)
            msg = " ".join(str(exc).split())
            raise ComponentError(f"{who}: {method} raised {type(exc).__name__}"
                                 f"{': ' + msg if msg else ''}{_where(exc, _files(owner))}") from exc
        finally:
            busy.discard(key)

    setattr(call, _MARK, True)
    return call


def unguarded(func: Callable) -> Callable | None:
    """The plug-in's own function that :func:`guard` wrapped in ``func``; None when ``func`` is
    no guard's wrapper (a sweep sends a class by value unwrapped: its workers guard it again)."""
    return func.__wrapped__ if getattr(func, _MARK, False) else None


def guard(cls: type, base: type, what: Callable[[type, str | None], str]) -> None:
    """Wrap the :func:`contract` methods of ``base`` that ``cls``'s plug-in classes define, in
    place. ``what(cls, name)`` names the object, e.g. ``component 'nma' (nma-fail)``."""
    methods = contract(base)
    for klass in cls.__mro__:
        if not is_plugin(klass) or not issubclass(klass, base):
            continue
        for method in methods:
            attr = klass.__dict__.get(method)
            if isinstance(attr, property):
                new = property(_wrap(attr.fget, method, what), attr.fset, attr.fdel, attr.__doc__)
            elif isinstance(attr, classmethod):
                new = classmethod(_wrap(attr.__func__, f"{method}()", what))
            elif callable(attr) and not isinstance(attr, (type, staticmethod)):
                new = _wrap(attr, f"{method}()", what)
            else:
                continue
            setattr(klass, method, new)
