"""The parameters a traced serving run holds but never reads (``metadata['unread_parameters']``).

Each trace ``--serve`` builds its run from lists its own (:mod:`cimsim.workload.trace.unread`);
the run's list is taken once over the traces its iterations come from (the prefill's and, with
decode steps, the decode step's), never summed per trace:

- a parameter none of those traces reads (an untaken branch, an expert no template routes to):
  its entry as the trace gives it;
- a parameter read only in part (an untied embedding table, GPT-2's position table): the part
  never read over the union of the rows every iteration of the run gathered. The run's weights
  hold each iteration's gathered rows as a tensor of its own (``it3.decode.<name>[part]``), and
  a trace without index values takes its ids to name distinct rows, so that union is those
  tensors' bytes summed, at most the whole table: the entry's ``bytes`` is the table less it
  (``read_bytes`` it, ``parameter_bytes`` the table), and the footprint's weights (the weights
  plus the entries, :func:`cimsim.workload.footprint.footprint`) hold the table once. A run
  whose gathered rows add up to more than the table lists no entry for it: its weights then
  count the rows past the table's size twice (each iteration's gathered rows are a weight of
  their own).
"""

from __future__ import annotations

import numpy as np

from ..workload.footprint import PART_READ as _PART
from ..workload.kinds import ROLE_WEIGHT


def _read_parts(workload) -> dict[str, int]:
    """Bytes of the run's weight tensors that are reads of part of a parameter, by parameter."""
    c = workload.columns
    out: dict[str, int] = {}
    nbytes = workload.tensor_nbytes
    for i in np.flatnonzero(c.tensor_role == ROLE_WEIGHT).tolist():
        m = _PART.match(c.tensor_names[i])
        if m:
            out[m.group(1)] = out.get(m.group(1), 0) + int(nbytes[i])
    return out


def served_unread(traces: list[dict], workload) -> list[dict]:
    """The run's ``unread_parameters`` (module docstring) from the metadata of the ``traces``
    its iterations come from and the served ``workload``."""
    lists = [{e["name"]: e for e in m.get("unread_parameters") or []} for m in traces]
    if not lists:
        return []
    read = _read_parts(workload)
    out = []
    for name, first in lists[0].items():
        if not all(name in other for other in lists[1:]):
            continue  # read whole by another trace's ops
        entries = [other[name] for other in lists]
        part = next((e for e in entries if "read_bytes" in e), None)
        if part is None:  # no trace reads it
            out.append(first)
            continue
        whole = int(part["parameter_bytes"])
        rows = read.get(name, 0)
        if rows < whole:
            out.append({**part, "bytes": whole - rows, "read_bytes": rows})
    return out
