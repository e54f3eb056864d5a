"""A component's stated thermal design power (``tdp``) and what it covers (``tdp_includes``): the
config checks a component type with these fields runs from its ``check()``. The run's note on
an average power above the TDP is the report's (:mod:`cimsim.report.plausible`)."""

from __future__ import annotations

from ..errors import involving
from ..units import si


def tdp_problems(config, hw) -> list[tuple[str, str]]:
    """``(field, why)`` for a ``tdp`` below the component's own ``static_power`` (its idle power
    alone would exceed it) and for a ``tdp_includes`` entry that names no memory level or link of
    the architecture, or one named twice."""
    out = []
    tdp, static = getattr(config, "tdp", None), float(getattr(config, "static_power", 0.0) or 0.0)
    if tdp is not None and tdp < static:
        out.append(("tdp", f"{si(tdp, 'W')} is below static_power {si(static, 'W')}: the part's "
                           "idle power alone would exceed its thermal design power; give the "
                           "TDP its maker states, or a lower static_power"))
    names = list(getattr(config, "tdp_includes", None) or ())
    known = [*hw.memory, *hw.links]
    bad = [n for n in names if n not in known]
    if bad:
        out.append((involving("tdp_includes", "memory", "links"), f"names no memory level or link {bad}; the architecture has "
                                    f"{known}"))
    elif len(set(names)) < len(names):
        out.append(("tdp_includes", f"{names} names a level or link twice; name each once"))
    if names and tdp is None:
        out.append(("tdp_includes", "is given without tdp: give the TDP it belongs to, or leave "
                                    "tdp_includes out"))
    return out
