"""The workload's shape as sweep columns: ``workload.<key>`` for each ``metadata.params`` key
in which files of one generator differ among a sweep's ``-w`` files.

A generated workload records the arguments it was made from in ``metadata.params``
(``cimsim workload lstm --steps 10``: ``{"input_size": 512, "hidden": 512, "steps": 10, ...}``;
an LLM serving run its model shape, prompt, decode and batch; a traced zoo model its
overrides). Several files of one generator (one per T, H, B, N ...) are a sweep of that shape.
The files are grouped by generator (``metadata.generator``, else a traced zoo model's
``zoo.name``, else a traced factory's spec: ``cimsim trace FILE.py:FACTORY --arg T=64`` records
its ``--arg`` values as its params, else an ONNX file: ``--onnx F.onnx --dim batch=8`` records
its ``--dim`` values); a key becomes a column ``workload.<key>`` (``workload.steps``) when the files of
some group of two or more differ in it, and ``cimsim plot`` draws against it as it draws
against a swept config field. Different generators are not a swept parameter: the generator is
never a column, and an LSTM, a GRU and a TCN (one file each) give none, whatever their params.
A column's cells are those of the groups that differ in it; every other file's is empty
(None: a TCN beside an LSTM steps sweep has no ``workload.steps``, and ``cimsim plot`` says its
rows are not in the figures against it), so a key a model lacks is no column for that alone.

Every generator's params are counts (steps, hidden, batch ...) or names (dtype, schedule): a
column's unit is ``""`` (a count is bare). A list whose items are all equal is that item (the
per-request prompt ``[8, 8]`` of a batch of 2 is the prompt 8 of a batch of 1); any other list
is its items joined by ``", "`` (text, drawn as categories).

The values are a function of the workload file's bytes, which each row's point id already
holds, so a resumed sweep fills them into rows stored before these columns existed.
"""

from __future__ import annotations

import json
from typing import Mapping

from .columns import WORKLOAD_PARAM_PREFIX

#: the key under which a file's group (``metadata.generator``, else ``zoo.name``) is kept
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
    """``{key: cell}`` of one workload: its group under :data:`GENERATOR` (its generator, else
    ``zoo:<name>`` for a traced zoo model, ``trace:<spec>`` for a traced factory, ``onnx:<file>``
    for an imported ONNX model) and every
    ``metadata.params`` key."""
    if not isinstance(metadata, Mapping):
        return {}
    params, zoo = metadata.get("params"), metadata.get("zoo")
    group = metadata.get(GENERATOR)
    if group is None and isinstance(zoo, Mapping) and zoo.get("name") is not None:
        group = f"zoo:{zoo['name']}"
    src = metadata.get("traced_from")
    if group is None and isinstance(src, Mapping) and src.get("spec") and not src.get("zoo"):
        group = f"trace:{src['spec']}"  # a factory of the user's, traced with --arg
    if group is None and isinstance(src, Mapping) and src.get("onnx"):
        group = f"onnx:{src['onnx']}"  # an ONNX model imported with --dim
    out = {GENERATOR: group}
    if isinstance(params, Mapping):
        out.update({str(k): _value(v) for k, v in params.items() if str(k) != GENERATOR})
    return {k: v for k, v in out.items() if v is not None}


def varying_columns(shapes: Mapping[str, Mapping]) -> dict[str, dict]:
    """``{workload sha: {"workload.<key>": cell}}`` of ``shapes`` (``{sha: shape_of(...)}``):
    a column per key in which two files of one group (:data:`GENERATOR`) have different values
    (a file without the key is not compared), in the order the keys first appear; its cells are
    those of the groups that differ in it, None elsewhere. The generator is never a column.
    One workload, several alike, or one file of each generator: no column."""
    def cell(v):
        return json.dumps(v, sort_keys=True, default=str)

    groups: dict[object, list[Mapping]] = {}
    for s in shapes.values():
        groups.setdefault(cell(s.get(GENERATOR)), []).append(s)
    keys = [k for k in dict.fromkeys(k for s in shapes.values() for k in s) if k != GENERATOR]
    swept = {k: {g for g, members in groups.items()
                 if len({cell(s[k]) for s in members if k in s}) > 1} for k in keys}
    swept = {k: gs for k, gs in swept.items() if gs}
    return {sha: {WORKLOAD_PARAM_PREFIX + k: s.get(k) if cell(s.get(GENERATOR)) in gs else None
                  for k, gs in swept.items()} for sha, s in shapes.items()}


def workload_groups(shapes: Mapping[str, Mapping], titles: Mapping[str, str]) -> dict[str, str] | None:
    """``{workload name: group}`` (``titles``: ``{sha: workload name}``) for a sweep with
    ``workload.<key>`` columns, so that ``cimsim plot`` draws each generator's files in a panel
    of their own (an LSTM and a GRU swept in steps are two families, not one line); None
    without such columns."""
    if not any(varying_columns(shapes).get(sha) for sha in shapes):
        return None
    return {titles[sha]: str(s.get(GENERATOR, "")) for sha, s in shapes.items()}
