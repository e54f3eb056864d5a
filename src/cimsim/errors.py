"""Errors a user can act on. The CLI prints their message and exits non-zero."""


class CimsimError(Exception):
    """Base of every error cimsim raises for bad input."""


class ConfigError(CimsimError):
    """A hardware config is invalid: the message names the file and the field."""


class WorkloadError(CimsimError):
    """A workload file or generator argument is invalid."""


class MappingError(CimsimError):
    """A workload cannot be placed on an architecture (e.g. a dtype it has no rate for)."""


class ComponentError(CimsimError, AssertionError):
    """A component broke the protocol of :mod:`cimsim.hw.base` (a claim mask, plan or cost of
    the wrong shape or type, an impossible cost, an undeclared part): the message names the
    component, its type and the rule. The CLI prints it in one line like any input error (a
    plug-in's author is a user); it is also an ``AssertionError``, as these were before."""


class RateFieldError(AttributeError):
    """A rate field read through a rate-free view (:class:`cimsim.hw.base.RateFree`). An
    ``AttributeError`` (so ``getattr(config, name, default)`` still works); the stages catch it
    and report it as a :class:`ComponentError` naming the component or resource that read it."""


def where_raised(exc: BaseException) -> str:
    """`` (at FILE:LINE)``: the innermost frame of ``exc``'s traceback, where the user's code
    (a model factory, a data set) raised; empty without a traceback."""
    tb = exc.__traceback__
    if tb is None:
        return ""
    while tb.tb_next is not None:
        tb = tb.tb_next
    return f" (at {tb.tb_frame.f_code.co_filename}:{tb.tb_lineno})"


def one_line(text: str) -> str:
    """``text`` with every non-printable character (newline, tab, control codes) escaped, e.g.
    ``\\x1e``: messages quote what the user wrote, and an escaped message stays one line."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)
