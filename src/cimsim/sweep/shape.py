"""The workload's shape as sweep columns: ``workload.<key>`` for each ``metadata.params`` key
whose value differs between a sweep's ``-w`` files.

A generated workload records the arguments it was made from in ``metadata.params``
(``cimsim workload lstm --steps 10``: ``{"input_size": 512, "hidden": 512, "steps": 10, ...}``;
an LLM serving run its model shape, prompt, decode and batch; a traced zoo model its
overrides). A sweep over several such files (one per T, H, B, N ...) is a sweep of that shape,
so each key whose value is not the same in every file becomes a column ``workload.<key>``
(``workload.steps``), which ``cimsim plot`` draws against as it draws a swept config field. The
generator (``metadata.generator``) is compared too (``workload.generator``), so an LSTM and a
GRU of the same sizes are not taken for one family.

Every generator's params are counts (steps, hidden, batch ...) or names (dtype, schedule): a
column's unit is ``""`` (a count is bare). A list whose items are all equal is that item (the
per-request prompt ``[8, 8]`` of a batch of 2 is the prompt 8 of a batch of 1); any other list
is its items joined by ``", "`` (text, drawn as categories). A file without the key (a traced
workload without params, another generator) has no value in that column: ``cimsim plot`` says
its rows are not in the figures against it.

The values are a function of the workload file's bytes, which each row's point id already
holds, so a resumed sweep fills them into rows stored before these columns existed.
"""

from __future__ import annotations

import json
from typing import Mapping

from .columns import WORKLOAD_PARAM_PREFIX

#: the key under which ``metadata.generator`` is compared
GENERATOR = "generator"


def _value(v):
    """A params value as a table cell: a number, text or bool as it is; a list of equal items
    that item; another list its items joined by ``", "``; a mapping its JSON; None as None."""
    if isinstance(v, (list, tuple)):
        items = [_value(x) for x in v]
        if items and all(x == items[0] and type(x) is type(items[0]) for x in items):
            return items[0]
        return ", ".join(str(x) for x in items)
    if isinstance(v, Mapping):
        return json.dumps(v, sort_keys=True, default=str)
    return v


def shape_of(metadata: Mapping) -> dict:
    """``{key: cell}`` of one workload: its generator and every ``metadata.params`` key."""
    params = metadata.get("params") if isinstance(metadata, Mapping) else None
    out = {GENERATOR: metadata.get(GENERATOR)} if isinstance(metadata, Mapping) else {}
    if isinstance(params, Mapping):
        out.update({str(k): _value(v) for k, v in params.items() if str(k) != GENERATOR})
    return {k: v for k, v in out.items() if v is not None}


def varying_columns(shapes: Mapping[str, Mapping]) -> dict[str, dict]:
    """``{workload sha: {"workload.<key>": cell}}`` for the keys whose cell is not the same in
    every one of ``shapes`` (``{sha: shape_of(...)}``; a key a file lacks differs from one it
    has), in the order the keys first appear; every file gets every such column (None where it
    has no value). One workload, or several alike: no column."""
    keys = list(dict.fromkeys(k for s in shapes.values() for k in s))
    varying = [k for k in keys
               if len({json.dumps(s.get(k), sort_keys=True, default=str) for s in shapes.values()}) > 1]
    return {sha: {WORKLOAD_PARAM_PREFIX + k: s.get(k) for k in varying} for sha, s in shapes.items()}
