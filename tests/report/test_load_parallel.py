"""A run at a load and its deadline under tensor and pipeline parallelism (find-R A 1, A 5, A 6):
``Result.at_load`` and the throughput and ``system_*`` columns of a micro-batched pipeline.

Goldens in closed form from the simulated run's own parts: ROUND_ARCH's processor draws
``P = 1 W`` static per device; the run's latency ``L``, energy ``E`` and static energy ``S``.

- pipeline parallel, p = 2 stages, m = 2 micro-batches (GPipe, report/pipeline.py): each
  iteration ``i`` takes ``t0 + t1 + (m - 1) max(t0, t1)`` (its stage times read off the op
  table by op name), the run ``span`` their sum; it does ``m`` micro-batches' MACs and
  dynamic energy, and both devices draw P over the span:
  ``E_span = m (E - S) + 2 P span``. At one run every ``T >= span``:
  ``E(T) = m (E - S) + 2 P T``; its last request is served at ``span`` (the deadline's time).
- tensor parallel, tp = 2: the run is one device's share, so both devices' dynamic energy is
  ``2 (E - S)`` and ``E(T) = 2 (E - S) + 2 P T``; a request is served at ``L``.
"""

from __future__ import annotations

import copy

import pytest

from cimsim import simulate
from cimsim.config import architecture_from_dict
from cimsim.errors import CimsimError
from cimsim.report import columns as C
from cimsim.workload.llm import LLMModel, llm_serving

from conftest import ROUND_ARCH

TINY = LLMModel(layers=2, hidden=32, heads=8, kv_heads=2, ffn=48, vocab=20, head_dim=4, gated=True)
B, PROMPT, DECODE, P = 4, 4, 3, 1.0


def _arch():
    d = copy.deepcopy(ROUND_ARCH)  # one processor, 1 W static
    d["links"] = {"nvlink": {"bandwidth": "100 GB/s", "latency": "1 us", "energy_per_bit": "1 pJ/bit"}}
    d["collective"] = {"devices": 2, "topology": "ring"}
    return architecture_from_dict(d)


@pytest.fixture(scope="module")
def pipe():
    """The micro-batched pipeline's run and its span (s), read off its stage times."""
    m = 2
    r = simulate(_arch(), llm_serving(TINY, prompt=PROMPT, decode=DECODE, batch=B,
                                      pipeline_parallel=2, micro_batches=m, dtype="fp32"))
    end = dict(zip(r.op_table["op"], r.op_table["end_s"]))
    span, prev = 0.0, 0.0
    for it in ["it0.prefill"] + [f"it{i}.decode" for i in range(DECODE)]:
        t0 = end[f"{it}.l1.x.sendrecv"] - prev
        t1 = end[f"{it}.ids.sendrecv"] - end[f"{it}.l1.x.sendrecv"]
        span += t0 + t1 + (m - 1) * max(t0, t1)
        prev = end[f"{it}.ids.sendrecv"]
    return r, span, m


@pytest.fixture(scope="module")
def tp2():
    return simulate(_arch(), llm_serving(TINY, prompt=PROMPT, decode=DECODE, batch=B,
                                         tensor_parallel=2, dtype="fp32"))


def test_micro_batched_pipeline_throughput_and_system_columns_are_the_pipelines(pipe):
    r, span, m = pipe
    dyn = r.energy_j - r.energy_breakdown_j[C.STATIC]
    e_span = m * dyn + 2 * P * span
    assert r.latency_s < span  # one micro-batch through the stages in turn, not the pipeline
    rec = r.record()
    assert rec[C.THROUGHPUT_MACS] == pytest.approx(m * r.macs / span, rel=1e-12, abs=0)
    assert rec[C.SYSTEM_ENERGY_J] == pytest.approx(e_span, rel=1e-12, abs=0)
    assert rec[C.SYSTEM_OPS_PER_J] == pytest.approx(2 * m * r.macs / e_span, rel=1e-12, abs=0)
    assert rec[C.SYSTEM_AVERAGE_POWER_W] == pytest.approx(e_span / span, rel=1e-12, abs=0)
    # what tokens/J divides by, and ops_per_j x j_per_sample x samples gives the run's ops again
    tokens = B * (1 + DECODE)
    assert r.serving[C.TOKENS_PER_J] == pytest.approx(tokens / rec[C.SYSTEM_ENERGY_J], rel=1e-12, abs=0)
    assert rec[C.SYSTEM_OPS_PER_J] * rec[C.J_PER_SAMPLE] * B == pytest.approx(2 * m * r.macs, rel=1e-12, abs=0)


def test_micro_batched_pipeline_at_a_period_and_a_deadline(pipe):
    r, span, m = pipe
    dyn = r.energy_j - r.energy_breakdown_j[C.STATIC]
    T = 2 * span
    at = r.at_load(period_s=T, deadline_s=(r.latency_s + span) / 2).record()
    assert at[C.PERIOD_ENERGY_J] == pytest.approx(m * dyn + 2 * P * T, rel=1e-12, abs=0)
    assert at[C.PERIOD_J_PER_SAMPLE] == pytest.approx((m * dyn + 2 * P * T) / B, rel=1e-12, abs=0)
    assert at[C.PERIOD_UTILIZATION] == pytest.approx(span / T, rel=1e-12, abs=0)
    # a deadline between one micro-batch's latency and the pipeline's span: the last request is
    # served at the span, so it is missed (find-R A 1: it read "met" against the latency)
    assert at[C.MEETS_DEADLINE] is False
    assert at[C.DEADLINE_SLACK_S] == pytest.approx((r.latency_s + span) / 2 - span, rel=1e-12, abs=0)
    # at T = span the power is the pipeline's system_average_power_w, the energy j_per_sample
    full = r.at_load(period_s=span)
    assert full.period_average_power_w == pytest.approx(r.system_average_power_w, rel=1e-12, abs=0)
    assert full.period_j_per_sample == pytest.approx(r.j_per_sample, rel=1e-12, abs=0)
    # a period the micro-batch keeps but the pipeline does not is refused, naming the span
    with pytest.raises(CimsimError, match=r"shorter than one run .*\(4 samples\)"):
        r.at_load(period_s=(r.latency_s + span) / 2)


def test_tensor_parallel_at_a_period_counts_both_devices(tp2):
    r = tp2
    dyn = r.energy_j - r.energy_breakdown_j[C.STATIC]
    assert r.static_power_w == pytest.approx(P, rel=1e-12, abs=0)  # one device's
    assert r.dynamic_j_per_sample == pytest.approx(2 * dyn / B, rel=1e-12, abs=0)
    T = 3 * r.latency_s
    at = r.at_load(period_s=T, deadline_s=2 * r.latency_s).record()
    assert at[C.PERIOD_ENERGY_J] == pytest.approx(2 * dyn + 2 * P * T, rel=1e-12, abs=0)
    assert at[C.PERIOD_UTILIZATION] == pytest.approx(1 / 3, rel=1e-12, abs=0)
    assert at[C.DEADLINE_SLACK_S] == pytest.approx(r.latency_s, rel=1e-12, abs=0)
    # at T = latency: the power of both devices, system_average_power_w = 2 x average_power_w
    full = r.at_load(period_s=r.latency_s)
    assert full.period_average_power_w == pytest.approx(2 * r.average_power_w, rel=1e-12, abs=0)
    assert full.period_average_power_w == pytest.approx(r.system_average_power_w, rel=1e-12, abs=0)
