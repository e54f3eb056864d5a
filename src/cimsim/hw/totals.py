"""Notes on totals a change of count leaves unscaled: a config gives some values as one total
for a count of things (a PIM's ``static_power`` for all its units, a CIM's given
``static_power`` for all its ``arrays``: :meth:`~cimsim.hw.base.Component.fixed_totals`). When
``--set`` or a sweep changes the count and not the total, the total stays what it was, and a
design with more units or arrays looks free: each such run says so in a note."""

from __future__ import annotations

from ..units import si


def unscaled_notes(base, now) -> list[str]:
    """One note per component field of architecture ``now`` that is a fixed total whose count
    differs from the one in ``base`` (the config before its overrides) while the total is the
    same; none where the overrides set the total too."""
    before = {c.name: c for c in base.instances}
    out = []
    for comp in now.instances:
        old = before.get(comp.name)
        if old is None or old.type_name != comp.type_name:
            continue
        was = old.fixed_totals()
        for field, (what, n, value, unit) in comp.fixed_totals().items():
            if field not in was or was[field][1] == n or was[field][2] != value:
                continue
            n0 = was[field][1]
            out.append(f"{comp.name}.{field} ({si(value, unit)}) is a total given for {n0:,} "
                       f"{what}; with {n:,} {what} it is not scaled (scaled with the {what} it would "
                       f"be {si(value * n / n0, unit)}: set {comp.name}.{field} with the count "
                       "to compare designs)")
    return out


def with_override_notes(arch, base, overrides) -> object:
    """``arch``, just loaded with ``overrides``, with the notes they call for in each run
    (:func:`unscaled_notes`; ``Architecture.notes``); ``base()`` builds the config without
    them (not called without overrides; when the file alone is no valid config, which the
    overrides mend, there is nothing to compare)."""
    from ..errors import CimsimError

    if not overrides:
        return arch
    try:
        notes = unscaled_notes(base(), arch)
    except CimsimError:
        return arch
    if notes:  # just built: no one else holds it yet
        object.__setattr__(arch, "notes", (*arch.notes, *notes))
    return arch
