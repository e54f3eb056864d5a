"""Notes on totals a change of count leaves unscaled: a config gives some values as one total
for a count of things (a PIM's ``static_power`` for all its units, a CIM's given
``static_power`` for all its ``arrays``: :meth:`~cimsim.hw.base.Component.fixed_totals`). When
``--set`` or a sweep changes the count and not the total, the total stays what it was, and a
design with more units or arrays looks free: each such run says so in a note. Likewise a
given number the component would derive from a field the overrides change (a CIM's ADC energy
per conversion, rate and area given for its ``adc.bits``) stays what it was: a note says so."""

from __future__ import annotations

from ..units import si


def _same_components(base, now, method: str):
    """``(component, its method's answer in base, in now)`` for each component of ``now`` that
    ``base`` has under the same name and type."""
    before = {c.name: c for c in base.instances}
    for comp in now.instances:
        old = before.get(comp.name)
        if old is not None and old.type_name == comp.type_name:
            yield comp, getattr(old, method)(), getattr(comp, method)()


def unscaled_notes(base, now) -> list[str]:
    """One note per component field of architecture ``now`` that is a fixed total whose count
    differs from the one in ``base`` (the config before its overrides) while the total is the
    same; none where the overrides set the total too."""
    out = []
    for comp, was, now_totals in _same_components(base, now, "fixed_totals"):
        for field, (what, n, value, unit) in now_totals.items():
            if field not in was or was[field][1] == n or was[field][2] != value:
                continue
            n0 = was[field][1]
            dies = comp.dies
            each = f", and each of the {dies:,} chips counts it whole" if dies > 1 else ""
            out.append(f"{comp.name}.{field} ({si(value, unit)}) is a total given for {n0:,} "
                       f"{what}; with {n:,} {what} it is not scaled{each} (scaled with the {what} it would "
                       f"be {si(value * n / n0, unit)}: set {comp.name}.{field} with the count "
                       "to compare designs)")
    return out


def stated_notes(base, now, overrides=()) -> list[str]:
    """One note per component input field of architecture ``now`` whose value differs from the
    one in ``base`` while numbers the component would derive from it are given, the same in
    both and not set by ``overrides`` (dotted paths): they do not follow the input
    (:meth:`~cimsim.hw.base.Component.stated_dependents`; ``--set cim.adc.bits=4`` on a config
    that gives an 8-bit ADC's energy per conversion keeps that energy)."""
    def set_by_overrides(path: str) -> bool:
        return any(path == k or path.startswith(f"{k}.") for k in overrides)

    out = []
    for comp, was, stated in _same_components(base, now, "stated_dependents"):
        for field, (value, given) in stated.items():
            if field not in was or was[field][0] == value:
                continue
            kept = [f"{comp.name}.{f} ({si(v, unit, 6)})" for f, (v, unit) in given.items()
                    if was[field][1].get(f, (None,))[0] == v and not set_by_overrides(f"{comp.name}.{f}")]
            if not kept:
                continue
            it, does = ("them", "are given: they do") if len(kept) > 1 else ("it", "is given: it does")
            listed = f"{', '.join(kept[:-1])} and {kept[-1]}" if len(kept) > 1 else kept[0]
            path = f"{comp.name}.{field}"
            out.append(f"{listed} {does} not follow {path}={value} ({was[field][0]} in the config); "
                       f"set {it} to null to derive {it} from {path}, or give {it} for {path}={value}")
    return out


#: a processor's fields stated at ``supply.nominal_voltage`` and scaled to ``supply.voltage``
SUPPLY_SCALED = ("energy_per_mac", "energy_per_vector_op", "static_power")


def supply_notes(arch, overrides) -> list[str]:
    """One note per processor whose ``supply.voltage`` is off its ``nominal_voltage`` while the
    overrides (a ``--set``, a sweep's ``--points`` column) set a figure the supply scales: such a
    figure is read as one at ``nominal_voltage`` and scaled again (a V-f-E-P table's energy at
    0.6 V x (0.6/0.9)^2 once more; review E 3)."""
    out = []
    for comp in arch.instances:
        s = getattr(comp.config, "supply", None)
        if s is None or s.voltage == s.nominal_voltage:
            continue
        hit = sorted(k for k in overrides if any(k == f"{comp.name}.{f}" or k.startswith(
            f"{comp.name}.{f}.") for f in SUPPLY_SCALED))
        if hit:
            out.append(f"{comp.name}: {', '.join(hit)} set with supply.voltage {s.voltage:g} V: read "
                       f"as figures at supply.nominal_voltage {s.nominal_voltage:g} V and scaled "
                       f"(energy x {s.energy_factor:.4g}, static x {s.static_factor:.4g}); for "
                       f"figures already at {s.voltage:g} V set supply.nominal_voltage to it, or "
                       "drop them and let the supply scale the config's")
    return out


def with_override_notes(arch, base, overrides) -> object:
    """``arch``, just loaded with ``overrides``, with the notes they call for in each run
    (:func:`unscaled_notes`, :func:`stated_notes`; ``Architecture.notes``); ``base()`` builds the config without
    them (not called without overrides; when the file alone is no valid config, which the
    overrides mend, there is nothing to compare)."""
    from ..errors import CimsimError

    if not overrides:
        return arch
    notes = supply_notes(arch, overrides)
    try:
        before = base()
        notes += [*unscaled_notes(before, arch), *stated_notes(before, arch, overrides)]
    except CimsimError:
        pass
    if notes:  # just built: no one else holds it yet
        object.__setattr__(arch, "notes", (*arch.notes, *notes))
    return arch
