"""What ``cimsim cost`` reads and prints around :func:`cimsim.report.money.cost`: a single run's
``--json`` object as a one-row table (find-D2 10), the columns the printed table shows (a sweep's
swept parameters among them, find-D2 7) and the notes under it (unlike rates, review K 8; flat
CIM configs that replicate weights for a pipeline but are priced one sample at a time, find-D2 6)."""

from __future__ import annotations

import json
import math

from . import columns as C

#: the marker of the run note that says a flat CIM replicates weights for a layer pipeline
#: (``cimsim.report.pipeline``): such a row has no steady rate to price
_FLAT_PIPELINE = "pipeline: "
_FLAT_WORDS = "is flat (no "


def json_table(text: str):
    """A one-row table from a ``cimsim run --json`` object (or a JSON list of them): the scalar
    fields as they are, ``energy_breakdown_j`` / ``area_breakdown_m2`` as their
    ``energy_<part>_j`` / ``area_<part>_m2`` columns, ``notes`` joined as a table's cell is.
    Raises ValueError when it is not such an object."""
    import pandas as pd

    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"not JSON ({exc})") from None
    objs = data if isinstance(data, list) else [data]
    if not objs or not all(isinstance(o, dict) and C.ARCHITECTURE in o for o in objs):
        raise ValueError("not a run's --json object (no architecture field): cost reads "
                         "`cimsim run ... --json`, a compare -o CSV or a sweep's .parquet")
    rows = []
    for o in objs:
        row = {k: v for k, v in o.items() if v is None or isinstance(v, (int, float, str, bool))}
        row.update({C.energy_column(k): v for k, v in (o.get("energy_breakdown_j") or {}).items()})
        row.update({C.area_column(k): v for k, v in (o.get("area_breakdown_m2") or {}).items()})
        notes = o.get(C.NOTES)
        row[C.NOTES] = C.NOTES_SEPARATOR.join(notes) if isinstance(notes, list) else notes
        rows.append({k: (math.nan if v is None else v) for k, v in row.items()})
    return pd.DataFrame(rows)


def swept(df) -> list[str]:
    """The swept parameters' columns of a sweep's table: the parquet's ``cimsim_params`` (and
    ``cimsim_workload_params``) where it keeps them, else the columns between ``workload_file``
    and ``workload`` (the order a sweep writes)."""
    names = [*df.attrs.get("cimsim_params", []), *df.attrs.get("cimsim_workload_params", [])]
    if not names and C.WORKLOAD_FILE in df.columns and C.WORKLOAD in df.columns:
        cols = list(df.columns)
        names = cols[cols.index(C.WORKLOAD_FILE) + 1:cols.index(C.WORKLOAD)]
    return [n for n in dict.fromkeys(names) if n in df.columns]


def shown(df) -> list[str]:
    """The columns ``cimsim cost`` prints: architecture, workload, the swept parameters, the costs."""
    return [c for c in (C.ARCHITECTURE, C.WORKLOAD, *swept(df), C.CAPEX_USD, C.USD_PER_1M_SAMPLES,
                        C.USD_PER_1M_TOKENS, C.COST_NOT_COSTED) if c in df.columns]


def table_notes(out) -> list[str]:
    """The notes under the printed cost table of ``out`` (:func:`cimsim.report.money.cost`'s)."""
    from .money import NOTES_ATTR

    notes = list(out.attrs.get(NOTES_ATTR, ()))  # review D2 1, 4, 6
    priced = out[C.USD_PER_1M_SAMPLES].notna()
    if len(set(out.loc[priced, C.COST_RATE])) > 1:  # review K 8
        notes.append("note: the rows use unlike rates (cost_rate): pipelined_samples_per_s (a chip-block "
                     "pipeline's steady rate) for some, samples_per_s (one sample at a time) for others, "
                     "so their $ per 1M samples do not compare like for like")
    if C.NOTES in out.columns:
        flat = [str(out[C.ARCHITECTURE].iloc[i]) if C.ARCHITECTURE in out.columns else f"row {i + 1}"
                for i in range(len(out))
                if priced.iloc[i] and out[C.COST_RATE].iloc[i] == C.SAMPLES_PER_S
                and any(p.startswith(_FLAT_PIPELINE) and _FLAT_WORDS in p
                        for p in str(out[C.NOTES].iloc[i]).split(C.NOTES_SEPARATOR))]
        if flat:
            notes.append(f"note: {', '.join(dict.fromkeys(flat))}: the run replicates weights for a layer "
                         "pipeline but the CIM is flat (its `pipeline:` note), so it is priced at "
                         "samples_per_s (one sample at a time), not a steady pipelined rate: its $ per 1M "
                         "samples are high by up to the pipeline's speed-up (ISAAC's chip: 4.7x on vgg8); "
                         "a config with a cim.chip block gets its steady rate priced")
    return notes
