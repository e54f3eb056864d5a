"""Op timeline in the Chrome trace-event format (open in Perfetto or chrome://tracing)."""

from __future__ import annotations

import json
from pathlib import Path


def trace_events(result) -> dict:
    """Complete events ("ph": "X"), one per op, one track per engine server; times in µs."""
    df = result.op_table
    events = []
    names = {}
    for row in df.itertuples(index=False):
        tid = int(row.server)
        names.setdefault(tid, f"{row.unit} server {tid}")
        events.append({
            "name": row.op, "cat": row.kind, "ph": "X", "pid": 0, "tid": tid,
            "ts": row.start_s * 1e6, "dur": (row.end_s - row.start_s) * 1e6,
            "args": {"unit": row.unit, "macs": row.macs, "energy_j": row.energy_j,
                     **{c: getattr(row, c) for c in df.columns if c.endswith("_bytes")}},
        })
    for tid, name in names.items():
        events.append({"name": "thread_name", "ph": "M", "pid": 0, "tid": tid, "args": {"name": name}})
    events.append({"name": "process_name", "ph": "M", "pid": 0,
                   "args": {"name": f"{result.workload} on {result.architecture}"}})
    return {"traceEvents": events, "displayTimeUnit": "ns"}


def write_trace(result, path: str | Path) -> None:
    Path(path).write_text(json.dumps(trace_events(result)))
