"""The timeline follows the Trace Event Format's rules and carries the run's numbers: one track
per server, level and link; transfer slices; bandwidth and power counters that integrate to the
run's bytes and energy.

No offline trace viewer (Perfetto UI, chrome://tracing's catapult) can run here without a
download, so the file is checked against the format's rules as JSON, not loaded in a viewer.
"""

from __future__ import annotations

import json
from collections import defaultdict

import numpy as np
import pytest

from cimsim import simulate
from cimsim.bundled import resolve_config, resolve_workload
from cimsim.config import load_architecture
from cimsim.errors import CimsimError
from cimsim.report.trace_events import (RESOURCES_PID, UNITS_PID, step_counter, trace_events,
                                         write_trace)
from cimsim.workload import load_workload

CASES = [("sram-cim", "gru"), ("hbm-pim", "gru"), ("gpu-hbm3", "hier-attn"), ("tpu-like", "tcn")]


@pytest.fixture(scope="module", params=CASES, ids=lambda c: "-".join(c))
def case(request):
    arch = load_architecture(resolve_config(request.param[0]))
    wl = load_workload(resolve_workload(request.param[1]))
    r = simulate(arch, wl)
    return arch, wl, r, trace_events(r, arch, wl)


def check_trace_format(trace: dict) -> None:
    """The Trace Event Format's rules for the phases used here (X, B/E, C, M, instant i, flow
    s/f)."""
    assert isinstance(trace["traceEvents"], list)
    assert trace.get("displayTimeUnit", "ms") in ("ms", "ns")
    open_b = defaultdict(list)
    for e in trace["traceEvents"]:
        ph = e["ph"]
        assert ph in ("X", "B", "E", "C", "M", "i", "s", "f"), e
        assert isinstance(e["name"], str) and e["name"]
        assert isinstance(e["pid"], int) and not isinstance(e["pid"], bool)
        if ph == "M":
            assert e["name"] in ("process_name", "thread_name", "process_sort_index", "thread_sort_index")
            assert isinstance(e["args"], dict) and len(e["args"]) == 1
            if e["name"].startswith("thread"):
                assert isinstance(e["tid"], int)
            continue
        assert isinstance(e["ts"], (int, float)) and np.isfinite(e["ts"]) and e["ts"] >= 0, e
        if ph == "C":
            assert e["args"] and all(isinstance(v, (int, float)) and np.isfinite(v)
                                     for v in e["args"].values()), e
            continue
        assert isinstance(e["tid"], int) and not isinstance(e["tid"], bool)
        if ph == "i":
            assert e["s"] in ("g", "p", "t"), e
        elif ph in ("s", "f"):
            assert isinstance(e["id"], int) and e["cat"], e
            assert ph == "s" or e.get("bp") in (None, "e"), e
        elif ph == "X":
            assert isinstance(e["dur"], (int, float)) and np.isfinite(e["dur"]) and e["dur"] >= 0, e
        elif ph == "B":
            open_b[(e["pid"], e["tid"])].append(e)
        else:
            stack = open_b[(e["pid"], e["tid"])]
            assert stack and stack[-1]["ts"] <= e["ts"], "E without a matching B"
            stack.pop()
    assert not any(open_b.values()), "B without a matching E"
    json.dumps(trace, allow_nan=False)  # strict JSON: no NaN / inf


def test_trace_follows_the_format(case):
    check_trace_format(case[3])


def test_slices_on_a_track_do_not_overlap(case):
    """Complete events on one track must nest; ours never overlap at all."""
    tracks = defaultdict(list)
    for e in case[3]["traceEvents"]:
        if e["ph"] == "X":
            tracks[(e["pid"], e["tid"])].append((e["ts"], e["ts"] + e["dur"]))
    for spans in tracks.values():
        spans.sort()
        for (s0, e0), (s1, _) in zip(spans, spans[1:]):
            assert s1 >= e0  # exactly, in the floats the file holds


def _names(trace, pid):
    return {e["tid"]: e["args"]["name"] for e in trace["traceEvents"]
            if e["ph"] == "M" and e["name"] == "thread_name" and e["pid"] == pid}


def test_one_op_slice_per_op_with_its_numbers(case):
    arch, wl, r, t = case
    ops = [e for e in t["traceEvents"] if e["ph"] == "X" and e["pid"] == UNITS_PID]
    df = r.op_table
    assert [e["name"] for e in ops] == list(df["op"])
    for e, row in zip(ops, df.to_dict("records")):
        assert e["ts"] == row["start_s"] * 1e6 and e["ts"] + e["dur"] <= row["end_s"] * 1e6
        assert e["dur"] == pytest.approx((row["end_s"] - row["start_s"]) * 1e6, rel=1e-15, abs=1e-12)
        assert e["args"]["macs"] == row["macs"] and e["args"]["energy_j"] == row["energy_j"]
        for res in r.traffic_bytes:
            assert e["args"][f"{res}_bytes"] == row[f"{res}_bytes"]
    # one track (or more, for lanes) per engine server, named by its unit
    names = _names(t, UNITS_PID)
    by_server = defaultdict(set)
    for e, row in zip(ops, df.to_dict("records")):
        by_server[row["server"]].add(e["tid"])
        assert names[e["tid"]].startswith(row["unit"])
    assert len(by_server) == df["server"].nunique()


def test_one_track_per_level_and_link_with_a_slice_per_transfer(case):
    arch, wl, r, t = case
    names = _names(t, RESOURCES_PID)
    df = r.op_table
    for res in arch.hardware.resources:
        kind = "memory level" if res in arch.memory else "link"
        tids = {tid for tid, n in names.items() if n.split(" #")[0] == f"{res} ({kind})"}
        assert tids, f"no track for {res}"
        slices = [e for e in t["traceEvents"] if e["ph"] == "X" and e["pid"] == RESOURCES_PID
                  and e["tid"] in tids]
        moving = df[df[f"{res}_bytes"] > 0]
        assert sorted(e["args"]["op"] for e in slices) == sorted(moving["op"])
        assert sum(e["args"]["bytes"] for e in slices) == pytest.approx(r.traffic_bytes[res], rel=1e-12, abs=0)
        for e in slices:  # the op's active interval [start, end - latency]
            row = df[df["op"] == e["args"]["op"]].iloc[0]
            assert e["ts"] == row["start_s"] * 1e6
            assert e["dur"] == pytest.approx(max(row["end_s"] - row["fixed_latency_s"] - row["start_s"], 0) * 1e6,
                                             rel=1e-9, abs=1e-9)


def _integral(t, name):
    ev = sorted((e for e in t["traceEvents"] if e["ph"] == "C" and e["name"] == name),
                key=lambda e: e["ts"])
    assert ev, f"no counter {name}"
    ts = np.array([e["ts"] for e in ev]) / 1e6
    v = np.array([next(iter(e["args"].values())) for e in ev])
    assert v[-1] == 0.0 and (v >= 0).all()
    return float((np.diff(ts) * v[:-1]).sum())


def test_bandwidth_counters_integrate_to_the_traffic(case):
    arch, wl, r, t = case
    for res, b in r.traffic_bytes.items():
        if b > 0:
            assert _integral(t, f"{res} bandwidth in use [B/s]") == pytest.approx(b, rel=1e-6, abs=0)


def test_power_counter_integrates_to_the_energy(case):
    arch, wl, r, t = case
    # ops' energy spread over their [start, end] plus static power x latency = the run's energy
    assert _integral(t, "power [W] (ops + static)") == pytest.approx(r.energy_j, rel=1e-6, abs=0)


def test_cim_matrices_get_their_own_tracks():
    arch = load_architecture(resolve_config("sram-cim"))
    wl = load_workload(resolve_workload("gru"))
    names = set(_names(trace_events(simulate(arch, wl), arch, wl), UNITS_PID).values())
    weights = {op.weight for op in wl.ops if op.weight is not None}
    assert {f"cim: {w} arrays" for w in weights} <= names


def test_step_counter_closed_form():
    # [0, 2) at 1, [1, 3) at 2: level 1 on [0, 1), 3 on [1, 2), 2 on [2, 3), 0 after
    t, v = step_counter(np.array([0.0, 1.0]), np.array([2.0, 3.0]), np.array([1.0, 2.0]))
    np.testing.assert_array_equal(t, [0, 1, 2, 3])
    np.testing.assert_array_equal(v, [1, 3, 2, 0])


def test_write_trace_is_strict_json(tmp_path):
    arch = load_architecture(resolve_config("cpu-ddr5"))
    wl = load_workload(resolve_workload("tcn"))
    write_trace(simulate(arch, wl), tmp_path / "t.json", arch, wl)
    check_trace_format(json.loads((tmp_path / "t.json").read_text()))


def test_a_pipelined_chips_stage_tracks_are_named_by_their_matrix():
    """neurosim-vgg8 runs each layer as a pipeline stage: a stage's server also runs its
    weightless relu / im2col / pooling ops, and the tracks read 'cim server 0..6'. Each is named
    by the one weight its weighted ops share (8 layers: 6 convs, 2 matmuls)."""
    arch = load_architecture(resolve_config("neurosim-vgg8"))
    wl = load_workload(resolve_workload("vgg8-cifar10"))
    r = simulate(arch, wl)
    names = set(_names(trace_events(r, arch, wl), UNITS_PID).values())
    weights = {op.weight for op in wl.ops if op.weight is not None}
    assert len(weights) == 8
    assert names == {f"cim: {w} arrays" for w in weights}, names
    # the stages do run weightless ops: not a case of one op per server
    ops = r.op_table.reset_index(drop=True)
    weightless = [i for i in range(len(ops)) if wl.ops[i].weight is None and ops["unit"][i] == "cim"]
    assert weightless


def _track_overlaps(trace: dict) -> list:
    """Pairs of slices on one track where one's ts + dur is past the next one's ts, compared
    exactly, as a strict validator (or pandas) reads the JSON back."""
    tracks = defaultdict(list)
    for e in trace["traceEvents"]:
        if e["ph"] == "X":
            tracks[(e["pid"], e["tid"])].append(e)
    bad = []
    for es in tracks.values():
        es.sort(key=lambda e: e["ts"])
        bad += [(p["name"], q["name"]) for p, q in zip(es, es[1:]) if p["ts"] + p["dur"] > q["ts"]]
    return bad


def test_no_slice_reaches_past_the_next_on_its_track_in_the_raw_json(tmp_path):
    """cpu-ddr5/lstm: with dur = (end - start) * 1e6, 52 processor slices ended up to 7e-12 µs
    past the next one's ts (l0.t0.hproj ends at 1627.054285714286 µs, l0.t0.cell starts at
    1627.0542857142857 µs). Checked on the file as written, unit and resource tracks."""
    arch = load_architecture(resolve_config("cpu-ddr5"))
    wl = load_workload(resolve_workload("lstm"))
    write_trace(simulate(arch, wl), tmp_path / "t.json", arch, wl)
    trace = json.loads((tmp_path / "t.json").read_text())
    assert {e["pid"] for e in trace["traceEvents"] if e["ph"] == "X"} == {UNITS_PID, RESOURCES_PID}
    assert _track_overlaps(trace) == []


@pytest.mark.parametrize("writer", ["trace_events", "write_trace"])
def test_an_analytic_result_has_no_timeline(writer, tmp_path):
    """The analytic engine's op times are each op alone: on rram-cim-derived/hier-attn-stream
    its 'timeline' ended at 36 µs of a 9.803 ms latency. Refused in one line, as the CLI does."""
    arch = load_architecture(resolve_config("tpu-like"))
    wl = load_workload(resolve_workload("tcn"))
    r = simulate(arch, wl, engine="analytic")
    with pytest.raises(CimsimError) as err:
        if writer == "trace_events":
            trace_events(r, arch, wl)
        else:
            write_trace(r, tmp_path / "t.json", arch, wl)
    msg = str(err.value)
    assert "\n" not in msg and "tcn on tpu-like" in msg and "not a schedule" in msg and "des" in msg
    assert not (tmp_path / "t.json").exists()


def test_write_report_writes_no_analytic_timeline_and_says_so(tmp_path):
    from cimsim.report.html import build_report, write_report
    from cimsim.studies import report_runs

    arch = load_architecture(resolve_config("tpu-like"))
    wl = load_workload(resolve_workload("tcn"))
    rep = build_report(report_runs([arch], [wl], engine="analytic"))
    page = write_report(rep, tmp_path)  # timelines=True, the default
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html", "results.csv"]
    assert rep.timeline_bytes == 0
    assert rep.timeline_note.startswith("no timeline for 1 of 1 runs: the analytic engine computes "
                                        "bounds, not a schedule")
    assert 'id="timeline-note"' in page.read_text() and "timeline-tcn" not in page.read_text()
    # the DES run of the same pair writes its timeline and no note
    des = build_report(report_runs([arch], [wl]))
    write_report(des, tmp_path / "des")
    assert (tmp_path / "des" / "timeline-tcn-tpu-like.json").exists() and des.timeline_note == ""


def _slices(trace, pid=UNITS_PID):
    return [e for e in trace["traceEvents"] if e["ph"] == "X" and e["pid"] == pid]


def test_the_realised_critical_path_is_marked_and_joined_by_flows():
    """cpu-ddr5/lstm: the ops of Result.path_table carry on_critical_path, the others not; a flow
    (s on an op's slice, f bound to the next one's, one id per arrow) joins each to the next,
    and the marked slices run back to back from 0 to the latency."""
    arch = load_architecture(resolve_config("cpu-ddr5"))
    wl = load_workload(resolve_workload("lstm"))
    r = simulate(arch, wl)
    t = trace_events(r, arch, wl)
    check_trace_format(t)
    ops = _slices(t)
    path = r.path_table["op_index"].tolist()
    assert len(path) == r.realized_path_ops > 1
    assert [i for i, e in enumerate(ops) if e["args"]["on_critical_path"]] == sorted(path)
    flows = defaultdict(dict)
    for e in t["traceEvents"]:
        if e["ph"] in ("s", "f"):
            assert e["cat"] == "critical_path" and e["pid"] == UNITS_PID
            assert e["ph"] not in flows[e["id"]]
            flows[e["id"]][e["ph"]] = e
    assert sorted(flows) == list(range(1, len(path)))
    for k, (a, b) in enumerate(zip(path, path[1:]), start=1):
        s, f = flows[k]["s"], flows[k]["f"]
        # each binds to its op's slice: same track, inside it
        assert (s["tid"], s["ts"]) == (ops[a]["tid"], ops[a]["ts"])
        assert (f["tid"], f["ts"], f["bp"]) == (ops[b]["tid"], ops[b]["ts"], "e")
        assert ops[a]["ts"] + ops[a]["dur"] <= ops[b]["ts"]
    first, last = ops[path[0]], ops[path[-1]]
    assert first["ts"] == 0.0 and last["ts"] + last["dur"] == pytest.approx(r.latency_s * 1e6, rel=1e-12, abs=0)
    assert sum(ops[i]["dur"] for i in path) == pytest.approx(r.latency_s * 1e6, rel=1e-9, abs=0)
    assert t["otherData"]["critical_path_ops"] == len(path)


TINY = dict(layers=2, hidden=32, heads=8, kv_heads=2, ffn=48, vocab=20, head_dim=4, gated=True)


def test_a_serving_run_marks_each_requests_first_and_last_token():
    """3 requests (decode 3, 1, 5 steps: 4, 2, 6 tokens), continuous batching 2 on cpu-ddr5:
    an instant event at each request's first and last token on a 'requests' track; TTFT
    (mean of the first-token times) and TPOT (mean over requests of (last - first) /
    (tokens - 1)) read off them are r.serving's."""
    from cimsim.workload.llm import LLMModel, llm_serving

    wl = llm_serving(LLMModel(**TINY), prompt=[4, 6, 3], decode=[3, 1, 5], batch=2,
                     batching="continuous", dtype="fp32")
    arch = load_architecture(resolve_config("cpu-ddr5"))
    r = simulate(arch, wl)
    t = trace_events(r, arch, wl)
    check_trace_format(t)
    marks = [e for e in t["traceEvents"] if e["ph"] == "i"]
    assert [e["name"] for e in marks] == [f"{w} token r{k}" for k in range(3) for w in ("first", "last")]
    (tid,) = {e["tid"] for e in marks}
    assert _names(t, UNITS_PID)[tid] == "requests"
    assert all(e["s"] == "t" and e["pid"] == UNITS_PID for e in marks)
    at = {e["name"]: e["ts"] * 1e-6 for e in marks}
    tokens = [1 + d for d in (3, 1, 5)]
    assert [e["args"]["output_tokens"] for e in marks[::2]] == tokens
    ttft = np.mean([at[f"first token r{k}"] for k in range(3)])
    tpot = np.mean([(at[f"last token r{k}"] - at[f"first token r{k}"]) / (n - 1) for k, n in enumerate(tokens)])
    assert ttft == pytest.approx(r.serving["ttft_s"], rel=1e-12, abs=0)
    assert tpot == pytest.approx(r.serving["tpot_s"], rel=1e-12, abs=0)
    # at the end of the op that gives the token
    ops = _slices(t)
    for e in marks:
        op = ops[e["args"]["op_index"]]
        assert e["ts"] == op["ts"] + op["dur"]


def test_a_run_without_serving_metadata_has_no_requests_track(case):
    t = case[3]
    assert not [e for e in t["traceEvents"] if e["ph"] == "i"]
    assert "requests" not in _names(t, UNITS_PID).values()


def test_a_pipeline_parallel_run_gets_no_request_markers_and_says_why():
    """Its token times come from the stages' schedule (one micro-batch on one device in the
    trace), not from its ops' ends: no markers, a note in otherData."""
    import copy

    from cimsim.config import architecture_from_dict
    from cimsim.workload.llm import LLMModel, llm_serving

    from conftest import ROUND_ARCH

    d = copy.deepcopy(ROUND_ARCH)
    d["links"] = {"nvlink": {"bandwidth": "100 GB/s", "latency": "1 us", "energy_per_bit": "1 pJ/bit"}}
    d["collective"] = {"devices": 2, "topology": "ring"}
    arch = architecture_from_dict(d)
    wl = llm_serving(LLMModel(**TINY), prompt=4, decode=2, batch=1, pipeline_parallel=2, dtype="fp32")
    t = trace_events(simulate(arch, wl), arch, wl)
    check_trace_format(t)
    assert not [e for e in t["traceEvents"] if e["ph"] == "i"]
    assert "no request markers: a pipeline-parallel run" in t["otherData"]["note"]
