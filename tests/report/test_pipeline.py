"""Pipeline parallelism with micro-batches (report/pipeline.py, GPipe, closed form).

Goldens: the flow-shop makespan of m identical micro-batches through p stages, written out by
hand (``C(j, s) = max(C(j-1, s), C(j, s-1)) + t_s``), and GPipe's ``(m + p - 1) t`` for equal
stages (Huang et al., GPipe, NeurIPS 2019, section 2.3: the bubble is ``(p - 1) / (m + p - 1)``
of the time). The end-to-end test reads the stage times off the simulated run by op name."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from cimsim import simulate
from cimsim.config import architecture_from_dict
from cimsim.errors import WorkloadError
from cimsim.report import columns as C
from cimsim.report.pipeline import gpipe_iteration_s, noflush_returns_s, steady_step_s
from cimsim.workload.llm import LLMModel, llm_serving

from conftest import ROUND_ARCH

TINY = LLMModel(layers=2, hidden=32, heads=8, kv_heads=2, ffn=48, vocab=20, head_dim=4, gated=True)


def _flow_shop(t, m):
    C_ = np.zeros((m, len(t)))
    for j in range(m):
        for s in range(len(t)):
            C_[j, s] = max(C_[j - 1, s] if j else 0.0, C_[j, s - 1] if s else 0.0) + t[s]
    return C_[-1, -1]


@pytest.mark.parametrize("p, m", [(2, 1), (4, 4), (4, 8), (8, 3)])
def test_equal_stages_take_m_plus_p_minus_1_stage_times(p, m):
    assert gpipe_iteration_s([2.5] * p, m) == pytest.approx((m + p - 1) * 2.5, rel=1e-15, abs=0)


@pytest.mark.parametrize("t, m", [([1.0, 3.0, 2.0], 4), ([5.0, 1.0], 3), ([1.0, 1.0, 4.0, 1.0], 1)])
def test_unequal_stages_are_the_flow_shop_makespan(t, m):
    # e.g. [1, 3, 2], m = 4: 1 + 3 + 2 + 3 x 3 = 15
    assert gpipe_iteration_s(t, m) == pytest.approx(_flow_shop(t, m), rel=1e-15, abs=0)


def test_iteration_times_per_row():
    # what pipelined_serving calls: one T per iteration of t[i, s], m = 3
    t = [[1.0, 3.0, 2.0], [4.0, 1.0, 1.0]]
    got = gpipe_iteration_s(t, 3)
    assert got.tolist() == [1 + 3 + 2 + 2 * 3, 4 + 1 + 1 + 2 * 4]


def _arch():
    d = copy.deepcopy(ROUND_ARCH)  # one processor, 1 W static
    d["links"] = {"nvlink": {"bandwidth": "100 GB/s", "latency": "1 us", "energy_per_bit": "1 pJ/bit"}}
    d["collective"] = {"devices": 2, "topology": "ring"}
    return architecture_from_dict(d)


@pytest.mark.parametrize("m", [1, 2])
def test_pipelined_serving_from_the_stage_times(m):
    B, P, D = 4, 4, 3
    w = llm_serving(TINY, prompt=P, decode=D, batch=B, pipeline_parallel=2, micro_batches=m,
                    dtype="fp32")
    assert w.metadata["params"]["batch"] == B // m  # the workload is one micro-batch
    r = simulate(_arch(), w)
    end = dict(zip(r.op_table["op"], r.op_table["end_s"]))
    # stage 0 ends with the hidden state sent into layer 1; stage 1 with the tokens sent back
    its = ["it0.prefill"] + [f"it{i}.decode" for i in range(D)]
    T, prev = [], 0.0
    for it in its:
        t0 = end[f"{it}.l1.x.sendrecv"] - prev
        t1 = end[f"{it}.ids.sendrecv"] - end[f"{it}.l1.x.sendrecv"]
        T.append((t0 + t1 + (m - 1) * max(t0, t1), t0 + t1, max(t0, t1)))
        prev = end[f"{it}.ids.sendrecv"]
    latency = sum(x[0] for x in T)
    tokens = B * (1 + D)
    static_w = r.energy_breakdown_j["static"] / r.latency_s
    assert static_w == pytest.approx(1.0, rel=1e-12, abs=0)  # ROUND_ARCH's processor
    energy = m * (r.energy_j - r.energy_breakdown_j["static"]) + 2 * static_w * latency
    s = r.serving
    assert s[C.TOKENS_PER_S] == pytest.approx(tokens / latency, rel=1e-12, abs=0)
    assert s[C.TOKENS_PER_J] == pytest.approx(tokens / energy, rel=1e-12, abs=0)
    assert s[C.LLM_BATCH] == B  # all micro-batches' requests
    assert s[C.DECODE_TOKENS_PER_S] == pytest.approx(B * D / sum(x[0] for x in T[1:]), rel=1e-12, abs=0)
    # micro-batch j's first token: the prefill's stages, then j spacings; mean over j
    assert s[C.TTFT_S] == pytest.approx(T[0][1] + (m - 1) / 2 * T[0][2], rel=1e-12, abs=0)
    # each of the B requests (B / m per micro-batch): the last micro-batch's come m - 1 spacings late
    ttft = r.serving_requests[C.REQUEST_TTFT_S]
    assert len(ttft) == B and s[C.TTFT_MAX_S] == max(ttft)
    assert s[C.TTFT_MAX_S] == pytest.approx(T[0][1] + (m - 1) * T[0][2], rel=1e-12, abs=0)
    last = sum(x[0] for x in T[:-1]) + T[-1][1] + (m - 1) / 2 * T[-1][2]
    assert s[C.TPOT_S] == pytest.approx((last - s[C.TTFT_S]) / D, rel=1e-12, abs=0)
    # the per-sample figures are the pipeline's too (find-C 2: 255.0 mJ and 797 samples/s beside
    # tokens/J and tokens/s giving 195.0 mJ and 1,048 requests/s): all B requests over its time
    # and energy
    assert r.samples == B and r.facts[C.SAMPLES_PER_RUN] == B
    assert r.facts[C.J_PER_SAMPLE] == pytest.approx(energy / B, rel=1e-12, abs=0)
    assert r.samples_per_s == pytest.approx(B / latency, rel=1e-12, abs=0)
    assert r.record()[C.SAMPLES_PER_S] == pytest.approx(B / latency, rel=1e-12, abs=0)
    # without static energy: every micro-batch's dynamic energy, m x (E - E_static), over B
    dyn = m * (r.energy_j - r.energy_breakdown_j["static"]) / B
    assert r.record()["dynamic_j_per_sample"] == pytest.approx(dyn, rel=1e-12, abs=0)
    if m == 1:  # one micro-batch: the sequential run's latency, two devices' static power
        assert latency == pytest.approx(r.latency_s, rel=1e-12, abs=0)


def test_micro_batches_need_a_pipeline_and_identical_micro_batches():
    with pytest.raises(WorkloadError, match="give pipeline_parallel$"):  # Python: the keyword
        llm_serving(TINY, prompt=4, decode=1, batch=4, micro_batches=2)
    with pytest.raises(WorkloadError, match="must divide batch=3"):
        llm_serving(TINY, prompt=4, decode=1, batch=3, pipeline_parallel=2, micro_batches=2)
    with pytest.raises(WorkloadError, match="identical micro-batches"):
        llm_serving(TINY, prompt=[4, 5], decode=1, batch=2, pipeline_parallel=2, micro_batches=2)
    with pytest.raises(WorkloadError, match="identical micro-batches"):
        llm_serving(TINY, prompt=4, decode=1, batch=2, pipeline_parallel=2, micro_batches=2,
                    batching="continuous")
    with pytest.raises(WorkloadError, match="a pipeline's sub-batches are its micro-batches"):
        llm_serving(TINY, prompt=4, decode=1, batch=2, pipeline_parallel=2, sub_batches=2)


def test_cli_writes_one_micro_batch_and_refuses_bad_counts(tmp_path):
    from click.testing import CliRunner

    from cimsim.cli import main
    from cimsim.workload import load_workload

    base = ["workload", "llm", "--layers", "2", "--hidden", "32", "--heads", "8", "--kv-heads", "2",
            "--ffn", "48", "--vocab", "20", "--prompt", "4", "--decode", "2", "--batch", "4",
            "--pipeline-parallel", "2"]
    out = tmp_path / "w.json"
    r = CliRunner().invoke(main, base + ["--micro-batches", "2", "-o", str(out)])
    assert r.exit_code == 0, r.output
    w = load_workload(out)
    assert w.metadata["llm"]["pipeline"] == {"stages": 2, "micro_batches": 2}
    assert w.metadata["params"]["batch"] == 2 and w.metadata["params"]["full_batch"] == 4
    r = CliRunner().invoke(main, base + ["--micro-batches", "3", "-o", str(out)])
    assert r.exit_code != 0
    # the command line names its options (cimsim.workload.argnames)
    assert "--micro-batches 3 must divide --batch 4" in r.output and "Traceback" not in r.output


# --- the noflush schedule (find-C3 3): no barrier between iterations ---------------------------
# Micro-batch j's iteration i enters stage 0 at max(its previous tokens' return, stage 0 free);
# every stage takes the jobs in the order (i, j). Goldens traced by hand below.

@pytest.mark.parametrize("p, m", [(4, 4), (2, 3), (4, 2)])
def test_noflush_equal_stages_step_every_micro_batch_in_max_p_m_stage_times(p, m):
    # equal stages t: job k = i m + j leaves the last stage at (k + p) t when stage 0 sets the
    # pace (m >= p), at (p (i + 1) + j) t when the round trip does (m <= p): both are
    # (max(p, m) i + p + j) t, so every micro-batch's step takes max(p, m) t (p t at m = p; the
    # flush's is (m + p - 1) t: 7 t at p = m = 4)
    t, iters = 0.5, 5
    R = noflush_returns_s(np.full((iters, p), t), m)
    want = [[(max(p, m) * i + p + j) * t for j in range(m)] for i in range(iters)]
    assert R.tolist() == want
    assert np.diff(R, axis=0).tolist() == [[max(p, m) * t] * m] * (iters - 1)


@pytest.mark.parametrize("t, m, want", [
    # [2, 1, 1], m = 3: stage 0 (2 each) is the bottleneck: sum t + (j + m i) max t; steps of 6 = m max t
    ([2.0, 1.0, 1.0], 3, [[4, 6, 8], [10, 12, 14], [16, 18, 20]]),
    # [1, 3], m = 2: stage 1 (3 each): iteration 1's job (1, 0) enters stage 0 at 4 (its token),
    # waits for stage 1 until 7: 10; (1, 1) ready at 7, stage 1 free at 10: 13; steps of 6 = m max t
    ([1.0, 3.0], 2, [[4, 7], [10, 13], [16, 19]]),
    # [1, 3], m = 1: the round trip sets it: steps of sum t = 4 (m max t = 3 is below)
    ([1.0, 3.0], 1, [[4], [8], [12]]),
])
def test_noflush_unequal_stages_reach_the_bottleneck_bound(t, m, want):
    R = noflush_returns_s([t] * 3, m)
    assert R.tolist() == want
    bound = max(sum(t), m * max(t))  # max(round trip, the slowest stage's m jobs)
    assert (np.diff(R, axis=0) == bound).all()


def _serving_run(m, schedule):
    w = llm_serving(TINY, prompt=4, decode=3, batch=4, pipeline_parallel=2, micro_batches=m,
                    dtype="fp32")
    if schedule is not None:
        w.metadata["llm"]["pipeline"]["schedule"] = schedule
    return simulate(_arch(), w)


@pytest.mark.parametrize("m", [1, 2])
def test_noflush_serving_from_the_stage_times(m):
    r = _serving_run(m, "noflush")
    end = dict(zip(r.op_table["op"], r.op_table["end_s"]))
    its = ["it0.prefill"] + [f"it{i}.decode" for i in range(3)]
    t, prev = [], 0.0
    for it in its:  # stage 0 ends with the hidden state sent on, stage 1 with the tokens back
        t.append((end[f"{it}.l1.x.sendrecv"] - prev, end[f"{it}.ids.sendrecv"] - end[f"{it}.l1.x.sendrecv"]))
        prev = end[f"{it}.ids.sendrecv"]
    # the recurrence by hand, p = 2: stage 0, then stage 1, each after its previous job
    back, f0, f1 = [0.0] * m, 0.0, 0.0
    R = []
    for t0, t1 in t:
        row = []
        for j in range(m):
            f0 = max(back[j], f0) + t0
            f1 = max(f0, f1) + t1
            back[j] = f1
            row.append(f1)
        R.append(row)
    span = R[-1][-1]
    assert r.pipeline_span_s == pytest.approx(span, rel=1e-12, abs=0)
    # two requests per micro-batch: micro-batch j's first token at R[0][j], its last at R[3][j]
    ttft, tpot = r.serving_requests[C.REQUEST_TTFT_S], r.serving_requests[C.REQUEST_TPOT_S]
    per = 4 // m
    assert ttft == pytest.approx([R[0][j] for j in range(m) for _ in range(per)], rel=1e-12, abs=0)
    assert tpot == pytest.approx([(R[3][j] - R[0][j]) / 3 for j in range(m) for _ in range(per)],
                                 rel=1e-12, abs=0)
    # decode: iterations 1-3 end when their last micro-batch's tokens return
    assert r.serving[C.DECODE_TOKENS_PER_S] == pytest.approx(4 * 3 / (R[3][-1] - R[0][-1]), rel=1e-12, abs=0)
    static = r.energy_breakdown_j["static"]
    energy = m * (r.energy_j - static) + 2 * (static / r.latency_s) * span
    assert r.pipeline_span_j == pytest.approx(energy, rel=1e-12, abs=0)
    if m == 1:  # one micro-batch: the stages in turn, as the flush
        assert span == pytest.approx(r.latency_s, rel=1e-12, abs=0)
    assert any("no flush between iterations" in n for n in r.notes)


# --- tpot_steady_s (find-C4 6): the step once every micro-batch has left prefill ------------------

def test_steady_step_leaves_out_the_wait_behind_the_prefills():
    # p = m = 4, noflush; prefill stages of 10, decode stages of 1. Prefill: R(0, j) = (4 + j) 10
    # = 40, 50, 60, 70. Decode 1: micro-batch 0 enters stage 0 at 40 but meets stage s free only
    # at R(0, s)'s stage-s end, (s + 4) 10 ... : 41, 51, 61, 71; then 72, 73, 74: R(1, .) = 71..74;
    # decode 2: 75..78; decode 3: 79..82. Every micro-batch has left prefill at 70: the intervals
    # from then on are R(1, 3) - R(0, 3) = 4 and all of decode 2 and 3: 4 = max(p, m) t, while
    # micro-batch 0's first step took 71 - 40 = 31.
    rows = [[10.0] * 4] + [[1.0] * 4] * 3
    R = noflush_returns_s(rows, 4)
    assert R.tolist() == [[40, 50, 60, 70], [71, 72, 73, 74], [75, 76, 77, 78], [79, 80, 81, 82]]
    assert steady_step_s(R, np.array([False, True, True, True])) == 4.0
    # one decode step: none starts after the last prefill but micro-batch 3's: 74 - 70
    assert steady_step_s(R[:2], np.array([False, True])) == 4.0
    assert np.isnan(steady_step_s(R[:1], np.array([False])))


@pytest.mark.parametrize("schedule", ["flush", "noflush"])
def test_tpot_steady_from_the_stage_times(schedule):
    m = 2
    r = _serving_run(m, schedule)
    end = dict(zip(r.op_table["op"], r.op_table["end_s"]))
    its = ["it0.prefill"] + [f"it{i}.decode" for i in range(3)]
    t, prev = [], 0.0
    for it in its:
        t.append((end[f"{it}.l1.x.sendrecv"] - prev, end[f"{it}.ids.sendrecv"] - end[f"{it}.l1.x.sendrecv"]))
        prev = end[f"{it}.ids.sendrecv"]
    if schedule == "flush":  # GPipe: iteration i takes T_i = t0 + t1 + (m - 1) max, and
        # micro-batch j's tokens come sum t_i + j max t_i after its start
        T = [sum(x) + (m - 1) * max(x) for x in t]
        start = [0.0, T[0], T[0] + T[1], T[0] + T[1] + T[2]]
        R = [[start[i] + sum(t[i]) + j * max(t[i]) for j in range(m)] for i in range(4)]
    else:
        back, f0, f1, R = [0.0] * m, 0.0, 0.0, []
        for t0, t1 in t:
            row = []
            for j in range(m):
                f0 = max(back[j], f0) + t0
                f1 = max(f0, f1) + t1
                back[j] = f1
                row.append(f1)
            R.append(row)
    done = R[0][m - 1]  # the last micro-batch's prefill tokens
    steps = [R[i][j] - R[i - 1][j] for i in range(1, 4) for j in range(m) if R[i - 1][j] >= done]
    assert r.serving[C.TPOT_STEADY_S] == pytest.approx(sum(steps) / len(steps), rel=1e-12, abs=0)
    # it leaves out micro-batch 0's first step, which waits behind micro-batch 1's prefill
    assert r.serving[C.TPOT_STEADY_S] < r.serving[C.TPOT_MAX_S]


def test_the_flush_schedule_is_the_default_and_unchanged():
    a, b = _serving_run(2, None), _serving_run(2, "flush")
    assert a.serving == b.serving and a.serving_requests == b.serving_requests
    assert a.pipeline_span_s == b.pipeline_span_s and a.pipeline_span_j == b.pipeline_span_j
    assert any("GPipe, a flush between iterations" in n for n in a.notes)


def test_a_bad_schedule_and_a_schedule_without_a_pipeline_are_refused(tmp_path):
    from click.testing import CliRunner

    from cimsim.cli import main

    w = llm_serving(TINY, prompt=4, decode=1, batch=4, pipeline_parallel=2, micro_batches=2, dtype="fp32")
    bad = dict(w.metadata)
    bad["llm"] = {**bad["llm"], "pipeline": {"stages": 2, "micro_batches": 2, "schedule": "1f1b"}}
    with pytest.raises(WorkloadError, match=r"llm.pipeline.schedule = '1f1b' is not flush .* or noflush"):
        _workload_with(w, bad)
    r = CliRunner().invoke(main, ["run", "sram-cim", "lstm", "--pipeline-schedule", "noflush"])
    assert r.exit_code != 0 and "Traceback" not in r.output
    assert "--pipeline-schedule noflush: workload 'lstm' is not a pipeline-parallel serving run" in r.output


def _workload_with(w, metadata):
    from cimsim.workload.ir import Workload

    return Workload.from_columns(w.name, w.columns, metadata)


@pytest.mark.parametrize("decode", [1, 3])
def test_tpot_steady_general_forms_for_unequal_stages(decode):
    # review C4 2, 3: the README's region4 run, decode stages 0.8632 / 0.8622 / 0.8622 / 0.9733
    # (the last with the lm_head), m = 4: noflush max(sum t, m max t) = max(3.5609, 3.8932) =
    # 3.8932; flush sum t + (m - 1) max t = 3.5609 + 2.9199 = 6.4808, not the equal-stage forms'
    # 4 x 0.9733 and 7 x 0.9733 = 6.8131. One decode step (--decode 1) still gives a value
    # (micro-batch 3's interval), not NaN; no decode step (--decode 0) gives NaN.
    pre, dec, m = [42.67, 42.66, 42.66, 42.52], [0.8632, 0.8622, 0.8622, 0.9733], 4
    rows = np.array([pre] + [dec] * decode)
    kind = np.array([False] + [True] * decode)
    assert steady_step_s(noflush_returns_s(rows, m), kind) == pytest.approx(3.8932, rel=1e-12, abs=0)
    T = rows.sum(axis=1) + (m - 1) * rows.max(axis=1)  # flush: R(i, j) = start_i + sum t + j max t
    start = np.concatenate([[0.0], np.cumsum(T)[:-1]])
    R = (start + rows.sum(axis=1))[:, None] + np.arange(m)[None, :] * rows.max(axis=1)[:, None]
    assert steady_step_s(R, kind) == pytest.approx(6.4808, rel=1e-12, abs=0)
    assert np.isnan(steady_step_s(noflush_returns_s(rows[:1], m), kind[:1]))


def _stage_times(r, D):
    """``[(t0, t1)]`` per iteration of a 2-stage run, from its ops' ends (as above)."""
    end = dict(zip(r.op_table["op"], r.op_table["end_s"]))
    out, prev = [], 0.0
    for it in ["it0.prefill"] + [f"it{i}.decode" for i in range(D)]:
        out.append((end[f"{it}.l1.x.sendrecv"] - prev, end[f"{it}.ids.sendrecv"] - end[f"{it}.l1.x.sendrecv"]))
        prev = end[f"{it}.ids.sendrecv"]
    return out


def test_latency_s_is_one_micro_batch_and_the_run_says_so():
    """find-L 1: under micro-batches ``latency_s`` (one micro-batch through the stages in turn on
    one device, sum_i (t0 + t1)) is shorter than the run (sum_i t0 + t1 + (m - 1) max(t0, t1))
    and than its last first token; the ``latency`` line and the note say which is which."""
    from cimsim.report.devices import latency_text
    from cimsim.report.format import si

    m, D = 2, 3
    r = _serving_run(m, None)
    t = _stage_times(r, D)
    one = sum(a + b for a, b in t)
    span = sum(a + b + (m - 1) * max(a, b) for a, b in t)
    assert r.latency_s == pytest.approx(one, rel=1e-12, abs=0)
    assert r.pipeline_span_s == pytest.approx(span, rel=1e-12, abs=0)
    assert r.latency_s < r.pipeline_span_s  # the run's time is the span, latency_s one micro-batch's
    line = latency_text(r)
    assert line.startswith(si(one, "s") + " (latency_s: one micro-batch through the 2 stages in turn")
    assert f"all 2 micro-batches on 2 devices: {si(span, 's')}, pipeline_span_s" in line
    note = next(n for n in r.notes if n.startswith("pipeline parallel"))
    assert f"latency_s {si(one, 's')}, not the run's time" in note
    assert f"pipeline_span_s {si(span, 's')}" in note
    one_mb = _serving_run(1, None)  # one micro-batch: latency_s is the run, the line bare
    assert latency_text(one_mb) == si(one_mb.latency_s, "s")


def test_baseline_ratios_of_a_pipeline_are_the_runs_not_one_micro_batchs():
    """find-L 1: compare --baseline divided latency_s (one micro-batch's) and energy_j (one
    device's); a pipeline's speed-up is span_b / span, its energy ratio the pipeline's energies
    E = m (E - E_static) + p P_static span, each from the stage times."""
    from cimsim.report.baseline import baseline_ratios

    m, D = 2, 3
    w = llm_serving(TINY, prompt=4, decode=D, batch=4, pipeline_parallel=2, micro_batches=m, dtype="fp32")
    runs = []
    for name, lat in (("fast-link", "1 us"), ("slow-link", "20 us")):
        d = copy.deepcopy(ROUND_ARCH)
        d["name"] = name
        d["links"] = {"nvlink": {"bandwidth": "100 GB/s", "latency": lat, "energy_per_bit": "1 pJ/bit"}}
        d["collective"] = {"devices": 2, "topology": "ring"}
        runs.append(simulate(architecture_from_dict(d), w))
    spans, energies = [], []
    for r in runs:
        t = _stage_times(r, D)
        span = sum(a + b + (m - 1) * max(a, b) for a, b in t)
        static = r.energy_breakdown_j["static"]
        spans.append(span)
        energies.append(m * (r.energy_j - static) + 2 * static / r.latency_s * span)
    speed, energy = baseline_ratios(runs, "fast-link")[(w.name, "slow-link")]
    assert speed == pytest.approx(spans[0] / spans[1], rel=1e-12, abs=0)
    assert energy == pytest.approx(energies[1] / energies[0], rel=1e-12, abs=0)
    assert abs(speed - runs[0].latency_s / runs[1].latency_s) > 1e-3 * speed  # not one micro-batch's
