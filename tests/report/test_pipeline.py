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
from cimsim.report.pipeline import gpipe_iteration_s
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
