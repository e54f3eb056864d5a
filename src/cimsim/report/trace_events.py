"""A run's timeline in the Chrome trace event format (open in https://ui.perfetto.dev or
chrome://tracing): one track per resource.

- **Units** (process 1): one track per engine server of each component: the
  processor, the PIM units, each CIM weight matrix's arrays, the systolic
  array. Each op is a complete event (``"ph": "X"``) from its start to its end
  with args unit, kind, MACs, vector ops, the unit's own per-op times (a CIM chip's
  ``cim_buffer_s``, ``cim_interconnect_s``), bytes over each memory level and
  link, compute and latency times, energy.
- **Memory levels and links** (process 2): one track per level and link (and per shared
  on-chip level of a component, e.g. a CIM chip's global buffer and bus, ``cim_chip``), with
  a slice per op that moves bytes over it, spanning the op's *active interval*
  ``[start, end - latency]`` (its work; the fixed latency is not a transfer),
  args the bytes. The engine shares a resource's bandwidth between the
  transfers in flight but does not record when each transfer ends, so a slice
  is where the op's transfer could be, not its exact extent. Overlapping
  slices go to extra lanes of the same resource (``dram #2``, ...), since a
  track's slices must nest.
- **Counters** (``"ph": "C"``): per level and link, the average bandwidth in use
  [B/s]: the sum over active ops of ``bytes / active interval``; the power
  [W]: the sum over running ops of ``energy / (end - start)``, plus the
  architecture's static power when it is given. Each counter integrates over
  time to the run's bytes (resp. energy).

- **Realised critical path**: each unit slice's arg ``on_critical_path`` (true for the ops of
  ``Result.path_table``, the chain the engine ran that sets the latency), and a flow (``"ph":
  "s"`` on an op's slice, ``"ph": "f"``, ``"bp": "e"`` on the next op's, one ``id`` per arrow,
  category ``critical_path``) from each of its ops to the next: the arrows Perfetto draws.
- **Requests** (a serving run, when ``workload`` is given): a ``requests`` track of instant
  events (``"ph": "i"``) ``first token rK`` and ``last token rK`` at the end of the op that
  gives request K its first / last token (the ``llm`` metadata's ``first_token_ops`` and
  ``last_token_ops``; TTFT and TPOT are read off them). A pipeline-parallel run's token
  times are not its ops' ends (one micro-batch on one device), so it gets no markers and a note.

Times are µs (the format's unit), ``displayTimeUnit`` ns. A slice's ``dur`` is its end in µs
minus its start in µs (never a rounding past the next slice's ``ts`` on its track).

Only a DES result is a schedule: the analytic engine's op times are each op alone, as early
as its dependencies allow, so :func:`trace_events` refuses one (:data:`NOT_A_SCHEDULE`).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from . import columns as C
from ..errors import CimsimError
from ..revision import provenance

UNITS_PID = 1
RESOURCES_PID = 2
PATH_CAT = "critical_path"  # the flows' category
US = 1e6  # seconds -> µs
#: why an analytic result has no timeline (the CLI's ``run --trace`` and ``report`` say it too)
NOT_A_SCHEDULE = ("the analytic engine computes bounds, not a schedule (its op times are each op "
                  "alone, as early as its dependencies allow, so one unit's ops overlap)")


def durations(ts: np.ndarray, end_us: np.ndarray) -> np.ndarray:
    """``end_us - ts``: a slice's duration as its end in µs minus its start in µs, so that
    ``ts + dur`` reads back as ``end_us``, never past the next slice's ``ts`` on its track
    (``(end - start) * 1e6`` overshot by up to 7e-12 µs on 52 processor slices of
    cpu-ddr5/lstm). A duration that would still round past its end loses an ulp."""
    dur = end_us - ts
    over = ts + dur > end_us
    dur[over] = np.nextafter(dur[over], 0.0)
    return np.maximum(dur, 0.0)


def _lanes(start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Greedy interval partitioning: the lane of each interval, so that intervals sharing a
    lane do not overlap (touching ends are fine)."""
    lane = np.zeros(len(start), dtype=np.int64)
    ends: list[float] = []
    for i in np.lexsort((end, start)):
        for k, e in enumerate(ends):
            if e <= start[i]:
                lane[i], ends[k] = k, end[i]
                break
        else:
            lane[i] = len(ends)
            ends.append(end[i])
    return lane


def step_counter(start: np.ndarray, end: np.ndarray, rate: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The sum of ``rate[i]`` over the intervals ``[start[i], end[i])`` that hold at each change
    point: ``(times, levels)``, the level holding from ``times[k]`` to ``times[k + 1]`` (the
    last level is 0). Rounding residue below 1e-12 of the largest level is set to 0."""
    keep = end > start
    s, e, v = start[keep], end[keep], rate[keep]
    if not len(s):
        return np.zeros(0), np.zeros(0)
    t = np.concatenate([s, e])
    d = np.concatenate([v, -v])
    order = np.argsort(t, kind="stable")
    t, d = t[order], d[order]
    level = np.cumsum(d)
    last = np.r_[t[1:] != t[:-1], True]  # the level after every change at that time
    t, level = t[last], level[last]
    level[np.abs(level) < 1e-12 * max(np.abs(level).max(), 1e-300)] = 0.0
    return t, level


def _server_names(df, workload) -> dict[int, str]:
    """A track name per engine server: the unit, and the weight matrix when a unit has a
    server per matrix (CIM arrays) and the workload is given. A server's weightless ops (a
    pipelined chip stage's relu, im2col and pooling beside its conv) do not hide its matrix:
    it is named by the one weight its ops that have one share."""
    names = {}
    for unit, g in df.groupby("unit", sort=False):
        servers = sorted(set(int(s) for s in g["server"]))
        for k, s in enumerate(servers):
            name = str(unit) if len(servers) == 1 else f"{unit} server {k}"
            if workload is not None and len(servers) > 1:
                weights = {workload.ops[i].weight for i in g.index[g["server"] == s]} - {None}
                if len(weights) == 1:
                    name = f"{unit}: {weights.pop()} arrays"
            names[s] = name
    return names


def trace_events(result, arch=None, workload=None) -> dict:
    """The trace of ``result`` (which must carry its op table). ``arch`` adds its static power
    to the power counter and labels levels and links; ``workload`` names CIM matrices' tracks.
    Raises :class:`CimsimError` for a result of the analytic engine (not a schedule)."""
    if result.engine != "des":
        raise CimsimError(f"no timeline of {result.workload} on {result.architecture}: "
                          f"{NOT_A_SCHEDULE}; simulate with engine='des' for one")
    df = result.op_table.reset_index(drop=True)
    start = df["start_s"].to_numpy(float)
    end = df["end_s"].to_numpy(float)
    lat = df[C.OP_FIXED_LATENCY].to_numpy(float)
    resources = list(result.traffic_bytes)
    events: list[dict] = []

    def meta(pid, tid, what, value):
        ev = {"name": what, "ph": "M", "pid": pid, "args": {"name" if "name" in what else "sort_index": value}}
        if tid is not None:
            ev["tid"] = tid
        events.append(ev)

    meta(UNITS_PID, None, "process_name", f"units: {result.workload} on {result.architecture}")
    meta(RESOURCES_PID, None, "process_name", "memory levels and links")
    meta(UNITS_PID, None, "process_sort_index", 0)
    meta(RESOURCES_PID, None, "process_sort_index", 1)

    # --- units: one track per server (extra lanes where ops on one server overlap)
    names = _server_names(df, workload)
    server = df["server"].to_numpy(np.int64)
    tid_of: dict[tuple[int, int], int] = {}
    lanes = np.zeros(len(df), dtype=np.int64)
    for s in np.unique(server):
        mine = np.flatnonzero(server == s)
        lanes[mine] = _lanes(start[mine], end[mine])
    for s, ln in sorted(set(zip(server.tolist(), lanes.tolist()))):
        tid = len(tid_of) + 1
        tid_of[(s, ln)] = tid
        meta(UNITS_PID, tid, "thread_name", names[s] + (f" #{ln + 1}" if ln else ""))
        meta(UNITS_PID, tid, "thread_sort_index", tid)
    byte_cols = [C.bytes_column(r) for r in resources]
    ts_us, end_us = start * US, end * US
    dur_us = durations(ts_us, end_us)
    # a component's own times per op (e.g. a CIM chip's cim_buffer_s, cim_interconnect_s);
    # not <unit>_program_write_s, a matrix's one programming on its first op (what a switch to
    # it would take), which no op of the run spends
    own_times = {str(u): [c for c in df.columns if c.startswith(f"{u}_") and c.endswith("_s")
                          and not c.startswith(f"{u}_program_")] for u in df["unit"].unique()}
    # columns as lists once (a DataFrame lookup per op and column was most of the time)
    col = {c: df[c].to_numpy(float).tolist() for c in {*byte_cols, *sum(own_times.values(), [])}}
    path = _path_ops(result)
    on_path = np.zeros(len(df), dtype=bool)
    on_path[path] = True
    for i, row in enumerate(df.itertuples(index=False)):
        args = {"unit": str(row.unit), "kind": str(row.kind), "macs": int(row.macs),
                "vector_ops": float(row.vector_ops), "energy_j": float(row.energy_j),
                "compute_s": float(row.compute_s),
                C.OP_FIXED_LATENCY: float(getattr(row, C.OP_FIXED_LATENCY)),
                "on_critical_path": bool(on_path[i])}
        args.update({c: col[c][i] for c in byte_cols})
        args.update({c: col[c][i] for c in own_times[str(row.unit)]})
        events.append({"name": str(row.op), "cat": str(row.kind), "ph": "X", "pid": UNITS_PID,
                       "tid": tid_of[(int(server[i]), int(lanes[i]))], "ts": float(ts_us[i]),
                       "dur": float(dur_us[i]), "args": args})

    slice_tid = [tid_of[(int(server[i]), int(lanes[i]))] for i in range(len(df))]
    _path_flows(events, path, slice_tid, ts_us)
    notes = _request_marks(events, workload, end_us, len(tid_of) + 1, meta)

    # --- memory levels and links: a slice per op that moves bytes, counters of bandwidth in use
    active_end = np.maximum(end - lat, start)
    active_dur_us = durations(ts_us, active_end * US)
    op_names = [str(x) for x in df["op"].tolist()]
    tid = 0
    kinds = {}
    if arch is not None:
        kinds = {**{r: "memory level" for r in arch.memory}, **{r: "link" for r in arch.links},
                 **{r: "shared on-chip level" for r in arch.hardware.onchip}}
    for r, col in zip(resources, byte_cols):
        b = df[col].to_numpy(float)
        moving = np.flatnonzero(b > 0)
        lane = _lanes(start[moving], active_end[moving])
        first = tid + 1
        for ln in range(int(lane.max()) + 1 if len(lane) else 1):
            tid += 1
            label = r + (f" ({kinds[r]})" if r in kinds else "")
            meta(RESOURCES_PID, tid, "thread_name", label + (f" #{ln + 1}" if ln else ""))
            meta(RESOURCES_PID, tid, "thread_sort_index", tid)
        for k, i in enumerate(moving):
            name = op_names[i]
            events.append({"name": name, "cat": r, "ph": "X", "pid": RESOURCES_PID,
                           "tid": first + int(lane[k]), "ts": float(ts_us[i]),
                           "dur": float(active_dur_us[i]),
                           "args": {"bytes": float(b[i]), "op": name}})
        span = active_end[moving] - start[moving]
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = np.where(span > 0, b[moving] / span, 0.0)
        _counter(events, RESOURCES_PID, f"{r} bandwidth in use [B/s]", "B_per_s",
                 *step_counter(start[moving], active_end[moving], rate))

    # --- power
    energy = df["energy_j"].to_numpy(float)
    dur = end - start
    with np.errstate(divide="ignore", invalid="ignore"):
        power = np.where(dur > 0, energy / dur, 0.0)
    static = float(arch.static_power_w) if arch is not None else 0.0
    t, level = step_counter(start, end, power)
    t = np.r_[0.0, t] if (len(t) == 0 or t[0] > 0) else t
    level = np.r_[0.0, level] if len(level) < len(t) else level
    if len(t) and t[-1] < result.latency_s:
        t, level = np.r_[t, result.latency_s], np.r_[level, 0.0]
    total = level + static
    if len(total):
        total[-1] = 0.0  # the run is over
    _counter(events, UNITS_PID, "power [W]" + (" (ops + static)" if arch is not None else " (ops)"),
             "W", t, total)
    return {"traceEvents": events, "displayTimeUnit": "ns",
            "otherData": {"workload": result.workload, "architecture": result.architecture,
                          "engine": result.engine, "latency_s": result.latency_s,
                          "energy_j": result.energy_j, "static_power_w": static,
                          **provenance(),
                          "note": "resource slices span each op's active interval "
                                  "[start, end - latency]: the engine shares bandwidth but does "
                                  "not record when each transfer ends" + notes,
                          "critical_path_ops": len(path)}}


def _path_ops(result) -> np.ndarray:
    """The realised critical path's op positions in the op table, in order (none without a
    path table)."""
    pt = getattr(result, "path_table", None)
    if pt is None or not len(pt):
        return np.zeros(0, dtype=np.int64)
    return pt["op_index"].to_numpy(np.int64)


def _path_flows(events: list, path: np.ndarray, slice_tid: list, ts_us: np.ndarray) -> None:
    """A flow from each op of the realised path to the next: ``s`` at the op's slice start (its
    enclosing slice), ``f`` bound to the enclosing slice (``bp: e``) at the next op's start."""
    for k, (a, b) in enumerate(zip(path[:-1].tolist(), path[1:].tolist()), start=1):
        for ph, i in (("s", a), ("f", b)):
            ev = {"name": "critical path", "cat": PATH_CAT, "ph": ph, "id": k, "pid": UNITS_PID,
                  "tid": slice_tid[i], "ts": float(ts_us[i])}
            if ph == "f":
                ev["bp"] = "e"
            events.append(ev)


def _request_marks(events: list, workload, end_us: np.ndarray, tid: int, meta) -> str:
    """Instant events at each request's first and last token on a ``requests`` track (a
    serving workload); returns a note for ``otherData`` ("" when nothing to say)."""
    md = getattr(workload, "metadata", None) or {}
    llm = md.get("llm") if isinstance(md, dict) else None
    if not isinstance(llm, dict) or "first_token_ops" not in llm:
        return ""
    if llm.get("pipeline"):
        return ("; no request markers: a pipeline-parallel run's token times are not its ops' "
                "ends (the trace is one micro-batch on one device)")
    meta(UNITS_PID, tid, "thread_name", "requests")
    meta(UNITS_PID, tid, "thread_sort_index", tid)
    tokens = llm.get("output_tokens", [])
    for r, (a, b) in enumerate(zip(llm["first_token_ops"], llm["last_token_ops"])):
        for what, op in (("first", a), ("last", b)):
            events.append({"name": f"{what} token r{r}", "cat": "request", "ph": "i", "s": "t",
                           "pid": UNITS_PID, "tid": tid, "ts": float(end_us[int(op)]),
                           "args": {"request": r, "op_index": int(op),
                                    "output_tokens": int(tokens[r]) if r < len(tokens) else None}})
    return ""


def _counter(events: list, pid: int, name: str, key: str, times, levels) -> None:
    for t, v in zip(times, levels):
        events.append({"name": name, "ph": "C", "pid": pid, "ts": float(t) * US,
                       "args": {key: float(v)}})


def write_trace(result, path: str | Path, arch=None, workload=None) -> None:
    """Write the run's trace events to ``path`` (a temporary file renamed into place)."""
    from ..atomic import atomic_write

    text = json.dumps(trace_events(result, arch, workload))
    atomic_write(path, lambda tmp: Path(tmp).write_text(text))
