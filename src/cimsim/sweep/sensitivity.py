"""``cimsim.sensitivity(...)``: which config value decides a result, one field at a time.

Each field is run at x(1 - rel) and x(1 + rel) of the value the config uses (stated, or derived
by its circuit models, as ``cimsim fields -c`` shows it), every other field as the config has
it, and its elasticities are the central differences

    d ln(latency) / d ln(p) = ln(L+ / L-) / ln((1 + rel) / (1 - rel))

(the same for the energy): exactly -1 for a time inversely proportional to p (a bandwidth-bound
run's bandwidth), and, for an energy part linear in p with share s of the energy,
ln((1 + rel s) / (1 - rel s)) / ln((1 + rel) / (1 - rel)), which is s to 0.34 % at rel 0.1.

Without ``fields``, every number the config states or derives is perturbed: each quantity
(a value with a unit) and each unitless real (a fraction, an efficiency) with a value > 0.
Whole numbers (cores, channels, arrays) are left out, as x1.1 of them is no design; defaults
the config does not state are left out, as they are the schema's, not the design's (name
either with ``fields`` to include it: a whole number must give whole numbers).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Sequence

import pandas as pd

from ..errors import CimsimError
from ..hw.circuits.scaling import nonmonotonic_node_note

#: the table's columns, one row per field, ranked by the larger of the two elasticities
FIELD = "field"
#: the value the config uses, as ``cimsim fields -c`` shows it (with its unit)
VALUE = "value"
#: the value in SI units, and that unit (``1``: a plain number)
VALUE_SI = "value_si"
UNIT = "unit"
#: where the value comes from, as ``cimsim fields -c`` says: file, derived or default, with
#: ``, placeholder`` where the run's provenance counts it as one
SOURCE = "source"
#: the source marks of the value's line comment in the config file: (P) primary, (T)
#: transcription, (D) derived, (U) placeholder; empty where the line has none
MARKS = "marks"
LATENCY_ELASTICITY = "latency_elasticity"
ENERGY_ELASTICITY = "energy_elasticity"
LATENCY_LOW = "latency_low_s"
LATENCY_HIGH = "latency_high_s"
ENERGY_LOW = "energy_low_j"
ENERGY_HIGH = "energy_high_j"
#: why a field has no elasticity (a perturbed value the config refuses), or that the bound
#: changes between the two runs (the elasticity then spans a kink)
NOTE = "note"
COLUMNS = (FIELD, VALUE, VALUE_SI, UNIT, SOURCE, MARKS, LATENCY_ELASTICITY, ENERGY_ELASTICITY,
           LATENCY_LOW, LATENCY_HIGH, ENERGY_LOW, ENERGY_HIGH, NOTE)


def default_fields(arch, data) -> list[str]:
    """The fields :func:`sensitivity` perturbs without ``fields=`` (see the module doc)."""
    from ..config.resolved import resolved_values, used_number
    from ..config.schema import describe_fields
    from .params import SweepSpecError, field_kind

    out = []
    paths = [f.path for f in describe_fields(data)]
    sources = resolved_values(arch, data, None, paths)
    for path in paths:
        try:
            kind = field_kind(path, data).kind
        except SweepSpecError:  # a list or table: its sub-fields are listed
            continue
        value = used_number(arch, path)
        if kind in ("quantity", "float") and value is not None and value > 0 \
                and sources[path].source.split(",")[0] in ("file", "derived"):
            out.append(path)
    return out


#: the smallest relative step: a perturbed value is written with 12 significant digits (its
#: resolution about 5e-13 of the value), so a step of 1e-9 moves it by at least 2,000 of them
MIN_REL = 1e-9


def _check_rel(rel) -> float:
    if isinstance(rel, bool) or not isinstance(rel, (int, float)) or not 0 < rel < 1:
        raise CimsimError(f"rel {rel!r}: the relative step must be a number between 0 and 1, "
                          "exclusive (0.1: each field at x0.9 and x1.1)")
    if rel < MIN_REL:  # the perturbed values are written with 12 significant digits
        raise CimsimError(f"rel {rel!r}: too small a step to change a value written with 12 "
                          f"significant digits; the smallest allowed is {MIN_REL:g}")
    return float(rel)


def sensitivity(config: str | Path, workload, fields: Sequence[str] | None = None, *,
                rel: float = 0.1, engine: str = "des") -> pd.DataFrame:
    """Elasticities of the latency and energy of ``workload`` on ``config`` to each of
    ``fields`` (dotted config paths; default: :func:`default_fields`), one field at a time.

    ``config``: a bundled name or a YAML file (its comments give the ``marks`` column);
    ``workload``: a bundled name, a file or a :class:`~cimsim.workload.Workload`; ``rel``: the
    relative step, each field run at x(1 - rel) and x(1 + rel); ``engine``: ``des`` (the
    default, as ``cimsim run``'s) or ``analytic`` (bounds). Returns one row per field (:data:`COLUMNS`), ranked by
    the larger magnitude of its two elasticities; ``attrs`` hold the base run's ``latency_s``,
    ``energy_j`` and ``bound``, ``rel``, ``engine``, ``config``, ``architecture`` and
    ``workload`` (its name).
    """
    from ..bundled import resolve_config, resolve_workload
    from ..config import load_architecture, read_yaml
    from ..config.marks import source_marks
    from ..config.resolved import resolved_values, used_number
    from ..pipeline import ENGINES, simulate
    from ..units import format_quantity, si
    from ..workload import Workload, load_workload
    from .params import SweepSpecError, field_kind

    rel = _check_rel(rel)
    if engine not in ENGINES:
        raise CimsimError(f"engine {engine!r}: allowed are {', '.join(ENGINES)}")
    path = resolve_config(str(config))
    data = read_yaml(path)
    arch = load_architecture(path)
    wl = workload if isinstance(workload, Workload) else load_workload(resolve_workload(str(workload)))
    if fields is None:
        fields = default_fields(arch, data)
    elif isinstance(fields, str):
        fields = [fields]
    fields = list(dict.fromkeys(fields))
    if not fields:
        raise CimsimError(f"config {config}: no field to perturb; name one or more")
    kinds = {}
    for p in fields:
        try:
            fk = field_kind(p, data)
        except SweepSpecError as exc:
            raise CimsimError(str(exc).replace("--param ", "field ", 1)) from None
        if fk.kind not in ("quantity", "float", "int"):
            raise CimsimError(f"field {p}: is {fk.describe()}; a sensitivity perturbs numbers "
                              "(a quantity, a real or a whole number)")
        if used_number(arch, p) is None:
            raise CimsimError(f"field {p}: config {path} has no value of it to perturb (left "
                              "out and not derived)")
        kinds[p] = fk
    text = path.read_text(encoding="utf-8", errors="replace")
    marks = source_marks(text)
    sources = resolved_values(arch, data, None, fields)
    base = simulate(arch, wl, engine=engine)
    span = math.log((1 + rel) / (1 - rel))
    rows = []
    for p in fields:
        fk, value = kinds[p], used_number(arch, p)
        unit = fk.unit if fk.kind == "quantity" else "1"
        row = {FIELD: p, VALUE: sources[p].value, VALUE_SI: value, UNIT: unit,
               SOURCE: sources[p].source, MARKS: marks.get(p, ""), NOTE: ""}
        runs = []
        for f in (1 - rel, 1 + rel):
            v = float(f"{value * f:.12g}")
            if fk.kind == "int":
                if not v.is_integer():
                    row[NOTE] = (f"x{f:g} of {value:g} is {v:g}, not a whole number: give a rel "
                                 f"that makes whole numbers")
                    break
                shown: object = int(v)
            else:
                shown = format_quantity(v, fk.unit) if fk.kind == "quantity" else v
            try:
                runs.append(simulate(load_architecture(path, overrides={p: shown}), wl, engine=engine))
            except CimsimError as exc:
                row[NOTE] = (f"x{f:g} = {si(v, unit) if unit != '1' else f'{v:g}'}: "
                             f"{_refused(exc, path, p, shown, v, data)}")
                break
        if len(runs) == 2:
            lo, hi = runs
            row.update({LATENCY_LOW: lo.latency_s, LATENCY_HIGH: hi.latency_s,
                        ENERGY_LOW: lo.energy_j, ENERGY_HIGH: hi.energy_j,
                        LATENCY_ELASTICITY: math.log(hi.latency_s / lo.latency_s) / span,
                        ENERGY_ELASTICITY: math.log(hi.energy_j / lo.energy_j) / span})
            if (lo.bound, lo.bound_part) != (hi.bound, hi.bound_part):
                row[NOTE] = (f"the bound changes: {lo.bound}/{lo.bound_part} at x{1 - rel:g}, "
                             f"{hi.bound}/{hi.bound_part} at x{1 + rel:g}")
            if p == "technology.node":  # find-T 5: a node elasticity across the flavour's
                # non-monotonic FO4 span (HP 20-32 nm, LP 32-65 nm)
                span_note = nonmonotonic_node_note(value * (1 - rel) * 1e9, value * (1 + rel) * 1e9,
                                                   getattr(arch.technology, "flavour", None))
                row[NOTE] = "; ".join(n for n in (row[NOTE], span_note) if n)
        rows.append(row)
    df = pd.DataFrame(rows, columns=list(COLUMNS))
    size = df[[LATENCY_ELASTICITY, ENERGY_ELASTICITY]].abs().max(axis=1, skipna=True)
    df = df.assign(_size=size.fillna(-1.0)).sort_values("_size", ascending=False, kind="stable")
    df = df.drop(columns="_size").reset_index(drop=True)
    df.attrs.update({"latency_s": base.latency_s, "energy_j": base.energy_j, "rel": rel,
                     "engine": engine, "config": str(config),
                     "workload": wl.name,
                     "architecture": arch.name, "bound": f"{base.bound}/{base.bound_part}"})
    return df


_HOLDS = {">=": float.__ge__, ">": float.__gt__, "<=": float.__le__, "<": float.__lt__}


def _refused(exc: CimsimError, path, field: str, shown, value: float, data) -> str:
    """Why the config refuses ``field`` at ``value`` (SI), for a note that already says the
    value: the side of the field's domain the value leaves, as ``cimsim fields`` states the
    domain (``memory.dram.sustained_fraction must be <= 1``); else the config's first error
    without the origin it names (``overrides={...}: ``, the perturbation the note states)."""
    from ..config.origin import _set_text
    from ..config.paths import resolve
    from ..units import si

    kind = resolve(field, data).kind
    for side in kind.limits or ():
        if side is not None and not _HOLDS[side[0]](float(value), float(side[1])):
            bound = si(side[1], kind.unit) if kind.unit else f"{side[1]:g}"
            return f"{field} must be {side[0]} {bound}"
    said = _set_text(field, shown, "overrides")
    line = str(exc).splitlines()[0]
    for prefix in (f"{said}: ", f"{path} with {said}: "):
        line = line.removeprefix(prefix)
    return line
