"""Per-phase figures of a serving run (report/phases.py, find-M 4): the prefill's and the decode's
share of the latency, their active time, energy and bound, from the ops' ``phase`` tags.

Golden values are arithmetic on conftest.py's round machine (4 cores x 1 GHz x 8 fp32 MAC =
32 GMAC/s; DRAM 10 GB/s + 100 ns, 10 pJ/bit; SRAM 1 MiB, 1 pJ/B; 4 pJ/MAC; 1 W static), as
tests/hw/test_processor.py derives them for one GEMM and one GEMV.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from cimsim import simulate
from cimsim.bundled import resolve_config
from cimsim.cli import main
from cimsim.config import load_architecture
from cimsim.report import columns as C
from cimsim.report.phases import union_s
from cimsim.workload import Op, Tensor, Workload
from cimsim.workload.io import save_workload
from cimsim.workload.llm import LLMModel, llm_serving

from conftest import ROUND_ARCH, gemv_workload

pJ = 1e-12
TINY = LLMModel(layers=2, hidden=32, heads=8, kv_heads=2, ffn=48, vocab=20, head_dim=4, gated=True)


def _two_phase(tagged: bool = True, encoder: bool = False) -> Workload:
    """A prefill GEMM (512 x 256 x 256, weights in the SRAM: compute-bound) and a decode GEMV
    (1 x 1024 x 1024, 4 MiB of weights streamed from DRAM: memory-bound), one after the other;
    ``encoder``: an untagged GEMM of the prefill's shape ahead of it, its output the prefill's
    input (a hand-composed vision encoder)."""
    e = int(encoder)
    llm = {"first_token_ops": [e], "last_token_ops": [e + 1], "output_tokens": [2],
           "step_kind": ["prefill", "decode"], "step_end_ops": [e, e + 1], "step_tokens": [1, 1]}
    enc = ([Tensor("img", (512, 256), "fp32", "input"), Tensor("W0", (256, 256), "fp32", "weight")],
           [Op("vis.mm", "matmul", ("img", "W0"), ("x",), m=512, k=256, n=256, weight="W0")]) if encoder else ([], [])
    return Workload("two-phase", [
        *enc[0], Tensor("x", (512, 256), "fp32", "activation" if encoder else "input"),
        Tensor("W1", (256, 256), "fp32", "weight"),
        Tensor("y", (512, 256), "fp32", "activation"), Tensor("t", (1, 1024), "fp32", "input"),
        Tensor("W2", (1024, 1024), "fp32", "weight"), Tensor("z", (1, 1024), "fp32", "activation")],
        [*enc[1], Op("it0.prefill.mm", "matmul", ("x", "W1"), ("y",), m=512, k=256, n=256, weight="W1",
                     tags={"phase": "prefill"} if tagged else None),
         Op("it1.decode.mm", "matmul", ("t", "W2"), ("z",), m=1, k=1024, n=1024, weight="W2",
            tags={"phase": "decode"} if tagged else None)],
        metadata={"llm": llm})


T0 = 512 * 256 * 256 / 32e9 + 100e-9  # the 512 x 256 x 256 GEMM, compute-bound: 1.0487 ms
T1 = (4 * 1024 * 1024 + 4096) / 10e9 + 100e-9  # the GEMV, W2 + its input streamed: 419.9 us


def test_two_phases_in_closed_form(round_arch):
    r = simulate(round_arch, _two_phase())
    sv = r.serving
    macs0, macs1 = 512 * 256 * 256, 1024 * 1024
    t0 = macs0 / 32e9 + 100e-9  # compute-bound: 1.0487 ms
    dram1 = 4 * 1024 * 1024 + 4096  # W2 streamed + the 4 KiB input
    t1 = dram1 / 10e9 + 100e-9  # memory-bound: 419.9 us
    assert r.latency_s == pytest.approx(t0 + t1, rel=1e-12, abs=0)
    assert sv[C.PREFILL_LATENCY_S] == pytest.approx(t0, rel=1e-12, abs=0)
    assert sv[C.DECODE_LATENCY_S] == pytest.approx(t1, rel=1e-12, abs=0)
    assert sv[C.PREFILL_ACTIVE_S] == pytest.approx(t0, rel=1e-12, abs=0)  # no overlap here
    assert sv[C.DECODE_ACTIVE_S] == pytest.approx(t1, rel=1e-12, abs=0)
    # dynamic: MACs x 4 pJ + DRAM bytes x 80 pJ + SRAM bytes x 1 pJ (weights, input, output)
    dyn0 = macs0 * 4 * pJ + (256 * 256 * 4 + 512 * 256 * 4) * 80 * pJ + (256 * 256 * 4 + 2 * 512 * 256 * 4) * pJ
    dyn1 = macs1 * 4 * pJ + dram1 * 80 * pJ + (4 * 1024 * 1024 + 2 * 4096) * pJ
    assert sv[C.PREFILL_DYNAMIC_ENERGY_J] == pytest.approx(dyn0, rel=1e-12, abs=0)
    assert sv[C.DECODE_DYNAMIC_ENERGY_J] == pytest.approx(dyn1, rel=1e-12, abs=0)
    # static 1 W apportioned by each phase's share of the latency
    assert sv[C.PREFILL_ENERGY_J] == pytest.approx(dyn0 + 1.0 * t0, rel=1e-12, abs=0)
    assert sv[C.DECODE_ENERGY_J] == pytest.approx(dyn1 + 1.0 * t1, rel=1e-12, abs=0)
    assert sv[C.PREFILL_ENERGY_J] + sv[C.DECODE_ENERGY_J] == pytest.approx(r.energy_j, rel=1e-12, abs=0)
    assert (sv[C.PREFILL_BOUND], sv[C.PREFILL_BOUND_PART]) == ("compute", "compute")
    assert (sv[C.DECODE_BOUND], sv[C.DECODE_BOUND_PART]) == ("memory", "dram")
    assert r.bound == "compute"  # the run's one bound hides the decode's
    assert r.prefill_latency_s == sv[C.PREFILL_LATENCY_S]  # an attribute, as the other columns
    j = r.to_json()
    assert j[C.DECODE_BOUND] == "memory" and j[C.DECODE_LATENCY_S] == sv[C.DECODE_LATENCY_S]
    assert r.record()[C.PREFILL_BOUND] == "compute"


def test_continuous_batching_phases_sum_the_op_and_path_tables(round_arch):
    w = llm_serving(TINY, prompt=[16, 64, 32, 8], decode=[4, 8, 2, 6], batch=2, requests=4,
                    batching="continuous", dtype="fp32")
    r = simulate(round_arch, w)
    sv, ot, pt = r.serving, r.op_table, r.path_table
    for ph in C.PHASES:
        mine = ot["op"].str.contains(f".{ph}.", regex=False).to_numpy()  # it3.decode.l0..., it4.prefill...
        on = mine[pt["op_index"].to_numpy()]
        span = (pt["end_s"] - pt["start_s"]).to_numpy()
        assert sv[f"{ph}_latency_s"] == pytest.approx(span[on].sum(), rel=1e-12, abs=0)
        assert sv[f"{ph}_dynamic_energy_j"] == pytest.approx(ot["energy_j"].to_numpy()[mine].sum(), rel=1e-12, abs=0)
        assert sv[f"{ph}_active_s"] >= sv[f"{ph}_latency_s"] * (1 - 1e-12)
    # every op is tagged: the phases split the latency and the energy, static included
    assert sv[C.PREFILL_LATENCY_S] + sv[C.DECODE_LATENCY_S] == pytest.approx(r.latency_s, rel=1e-12, abs=0)
    assert sv[C.PREFILL_ENERGY_J] + sv[C.DECODE_ENERGY_J] == pytest.approx(r.energy_j, rel=1e-12, abs=0)


def test_union_of_overlapping_intervals():
    # [0, 2] u [1, 3] u [5, 6] u [5.5, 5.75] u [7, 7]: 3 + 1 + 0
    start, end = np.array([5.0, 1.0, 0.0, 5.5, 7.0]), np.array([6.0, 3.0, 2.0, 5.75, 7.0])
    assert union_s(start, end) == 4.0
    assert union_s(np.zeros(0), np.zeros(0)) == 0.0


def test_gpu_prefill_compute_bound_decode_memory_bound():
    # two Llama-2-7B layers, prompt 1024: the prefill's weight matmuls have 1024 rows (2 x 1024
    # MAC per weight byte pair, far past the H100's ridge), each decode step one row per weight
    arch = load_architecture(resolve_config("gpu-hbm3"))
    m = LLMModel(layers=2, hidden=4096, heads=32, kv_heads=32, ffn=11008, vocab=32000, head_dim=128, gated=True)
    r = simulate(arch, llm_serving(m, prompt=1024, decode=2), keep_ops=False)
    sv = r.serving
    assert sv[C.PREFILL_BOUND] == "compute"
    assert (sv[C.DECODE_BOUND], sv[C.DECODE_BOUND_PART]) == ("memory", "dram")
    assert sv[C.PREFILL_LATENCY_S] == pytest.approx(sv[C.TTFT_S], rel=1e-12, abs=0)  # one request
    assert sv[C.PREFILL_LATENCY_S] + sv[C.DECODE_LATENCY_S] == pytest.approx(r.latency_s, rel=1e-12, abs=0)


def test_a_run_without_phase_tags_has_none(round_arch):
    r = simulate(round_arch, gemv_workload(64, 64))
    assert C.PREFILL_LATENCY_S not in r.record() and math.isnan(r.decode_energy_j)
    sv = simulate(round_arch, _two_phase(tagged=False)).serving  # serving metadata, no op tagged
    assert math.isnan(sv[C.PREFILL_LATENCY_S]) and sv[C.DECODE_BOUND] is None


def test_cli_run_prints_the_phases_with_units_and_json_has_them(tmp_path):
    wl = tmp_path / "two.json"
    save_workload(_two_phase(), wl)
    cfg = tmp_path / "round.yaml"
    cfg.write_text(yaml.safe_dump(ROUND_ARCH, sort_keys=False))  # levels innermost first
    res = CliRunner().invoke(main, ["run", str(cfg), str(wl)])
    assert res.exit_code == 0, res.output
    line = " ".join(res.output.split())
    assert "LLM phases prefill 1.049 ms of the latency" in line
    assert "bound compute; decode 419.9 µs of the latency" in line and "bound memory (dram)" in line
    res = CliRunner().invoke(main, ["run", str(cfg), str(wl), "--json"])
    d = json.loads(res.output)
    assert d[C.PREFILL_BOUND] == "compute" and d[C.DECODE_BOUND_PART] == "dram"
    assert d[C.DECODE_ACTIVE_S] == pytest.approx((4 * 1024 * 1024 + 4096) / 10e9 + 100e-9, rel=1e-12, abs=0)


def test_untagged_ops_are_counted_in_no_phase_not_dropped(round_arch, tmp_path):
    """review 22 B 4: an untagged encoder GEMM ahead of the prefill (a hand-composed VLM) was in
    neither phase and the line said nothing; its share is now unphased_*: the three add up."""
    w = _two_phase(encoder=True)
    r = simulate(round_arch, w)
    sv = r.serving
    # a chain on one processor: encoder T0, prefill T0 (its input now on chip: still compute-bound), decode T1
    assert r.latency_s == pytest.approx(2 * T0 + T1, rel=1e-12, abs=0)
    assert sv[C.UNPHASED_LATENCY_S] == pytest.approx(T0, rel=1e-12, abs=0)
    assert sv[C.PREFILL_LATENCY_S] == pytest.approx(T0, rel=1e-12, abs=0)
    assert sv[C.UNPHASED_OPS] == 1
    enc_dyn = r.op_table["energy_j"].to_numpy()[0]  # op 0, vis.mm
    assert sv[C.UNPHASED_DYNAMIC_ENERGY_J] == pytest.approx(enc_dyn, rel=1e-12, abs=0)
    assert sv[C.UNPHASED_ENERGY_J] == pytest.approx(enc_dyn + 1.0 * T0, rel=1e-12, abs=0)  # 1 W static
    parts = [C.PREFILL_LATENCY_S, C.DECODE_LATENCY_S, C.UNPHASED_LATENCY_S]
    assert sum(sv[c] for c in parts) == pytest.approx(r.latency_s, rel=1e-12, abs=0)
    parts = [C.PREFILL_ENERGY_J, C.DECODE_ENERGY_J, C.UNPHASED_ENERGY_J]
    assert sum(sv[c] for c in parts) == pytest.approx(r.energy_j, rel=1e-12, abs=0)
    assert simulate(round_arch, _two_phase()).serving[C.UNPHASED_OPS] == 0  # all tagged: 0, not NaN
    wl, cfg = tmp_path / "enc.json", tmp_path / "round.yaml"
    save_workload(w, wl)
    cfg.write_text(yaml.safe_dump(ROUND_ARCH, sort_keys=False))
    res = CliRunner().invoke(main, ["run", str(cfg), str(wl)])
    assert res.exit_code == 0, res.output
    line = " ".join(res.output.split())
    # 1.0487 / (2 x 1.0487 + 0.4199) = 41.7 % of the latency
    assert "in no phase (1 op without a phase tag) 1.049 ms (41.7 %) of the latency" in line


def test_a_vision_encoder_chained_by_workload_llm_is_in_the_prefill(round_arch):
    """``workload llm --vision-workload`` tags the encoder's ops with the prefill's phase: none in
    no phase, and the prefill (one request) is the time to first token, encoder included."""
    from cimsim.workload.builder import WorkloadBuilder

    b = WorkloadBuilder("enc")
    b.tensor("pix", (7, 48), "fp32", "input")
    b.tensor("W", (48, 32), "fp32", "weight")
    b.tensor("out", (7, 32), "fp32")
    b.op("patch", "matmul", ["pix", "W"], ["out"], m=7, k=48, n=32, weight="W")
    w = llm_serving(TINY, prompt=5, decode=2, vision=b.build(), dtype="fp32")
    r = simulate(round_arch, w)
    sv, ot = r.serving, r.op_table
    vis = ot["op"].str.contains(".vis.", regex=False).to_numpy()
    assert vis.sum() == 2  # the pixels' load and the patch GEMM
    assert sv[C.UNPHASED_OPS] == 0 and sv[C.UNPHASED_LATENCY_S] == 0.0
    assert sv[C.PREFILL_LATENCY_S] == pytest.approx(sv[C.TTFT_S], rel=1e-12, abs=0)
    pre = ot["op"].str.contains(".prefill.", regex=False).to_numpy()
    assert (vis <= pre).all()  # it0.prefill.r0.vis.*: the prefill's
    assert sv[C.PREFILL_DYNAMIC_ENERGY_J] == pytest.approx(ot["energy_j"].to_numpy()[pre].sum(), rel=1e-12, abs=0)


def test_analytic_dependency_path_splits_along_it_with_no_active_time(round_arch):
    """review 22 B 5: where the analytic latency is the dependency path (one request: a chain), the
    phases split that path: the prefill is the time to first token, prefill + decode the latency;
    no op runs beside another, so no active time."""
    w = llm_serving(TINY, prompt=16, decode=3, dtype="fp32")
    r = simulate(round_arch, w, engine="analytic")
    sv = r.serving
    assert r.latency_s == pytest.approx(r.critical_path_s, rel=1e-12, abs=0)
    assert sv[C.PREFILL_LATENCY_S] == pytest.approx(sv[C.TTFT_S], rel=1e-12, abs=0)
    assert sv[C.PREFILL_LATENCY_S] + sv[C.DECODE_LATENCY_S] == pytest.approx(r.latency_s, rel=1e-12, abs=0)
    assert math.isnan(sv[C.PREFILL_ACTIVE_S]) and math.isnan(sv[C.DECODE_ACTIVE_S])
    assert any("analytic engine, LLM phases: prefill_/decode_latency_s split the dependency path" in n
               for n in r.notes)


def test_analytic_busiest_unit_latency_has_no_phase_time(round_arch, tmp_path):
    """review 22 B 5: the prefill GEMM and the decode GEMV do not depend on each other, so the
    analytic latency is the processor's two ops back to back (T0 + T1), past the dependency path
    (T0): no timeline splits it, so no phase time (it was the unit's ops by phase: on sram-cim a
    prefill of 45.1 us under a time to first token of 85.1 us); the dynamic energy still splits."""
    r = simulate(round_arch, _two_phase(), engine="analytic")
    sv = r.serving
    assert r.latency_s == pytest.approx(T0 + T1, rel=1e-12, abs=0)
    assert r.critical_path_s == pytest.approx(T0, rel=1e-12, abs=0)
    for ph in C.PHASES:
        assert math.isnan(sv[f"{ph}_latency_s"]) and math.isnan(sv[f"{ph}_active_s"])
        assert math.isnan(sv[f"{ph}_energy_j"]) and sv[f"{ph}_bound"] is None
    macs0, dram1 = 512 * 256 * 256, 4 * 1024 * 1024 + 4096
    dyn0 = macs0 * 4 * pJ + (256 * 256 * 4 + 512 * 256 * 4) * 80 * pJ + (256 * 256 * 4 + 2 * 512 * 256 * 4) * pJ
    dyn1 = 1024 * 1024 * 4 * pJ + dram1 * 80 * pJ + (4 * 1024 * 1024 + 2 * 4096) * pJ
    assert sv[C.PREFILL_DYNAMIC_ENERGY_J] == pytest.approx(dyn0, rel=1e-12, abs=0)
    assert sv[C.DECODE_DYNAMIC_ENERGY_J] == pytest.approx(dyn1, rel=1e-12, abs=0)
    assert any("analytic engine, LLM phases: no phase time" in n for n in r.notes)
    wl, cfg = tmp_path / "two.json", tmp_path / "round.yaml"
    save_workload(_two_phase(), wl)
    cfg.write_text(yaml.safe_dump(ROUND_ARCH, sort_keys=False))
    res = CliRunner().invoke(main, ["run", str(cfg), str(wl), "--engine", "analytic"])
    assert res.exit_code == 0, res.output
    line = " ".join(res.output.split())
    assert "LLM phases prefill dynamic" in line and "no phase time under the analytic engine" in line
    assert "of the latency" not in line.split("LLM phases")[1].split("note:")[0]
