"""The ``llm-published`` suite: LLMCompass's A100 GPT-3 175B block (tensor parallelism 4).

Golden values are the published numbers (PrincetonUniversity/LLMCompass @2e015fd, the files
named in each test) and closed-form arithmetic of the shapes and of the ring all-reduce.
"""

from __future__ import annotations

import math

import pytest

from cimsim.config import load_architecture
from cimsim.validate import llm, run


def test_suite_runs_and_names_its_sources():
    df = run(["llm-published"])
    # 12 lines x 2 phases, 2 layer totals, the 32 points of the NCCL sweep, 84 sweep lines
    # (20 matmul, 22 softmax, 22 layer norm, 20 GeLU)
    assert len(df) == 26 + 32 + 84
    assert df["predicted"].map(math.isfinite).all() and (df["predicted"] > 0).all()
    assert df["source"].str.contains("LLMCompass").all() and df["source"].str.contains("2e015fd").all()
    fitted = df[df["case"].str.contains(r"\(fitted\)")]
    assert len(fitted) == 4  # the 4 decode weight GEMVs
    sources = df[df["case"].str.contains("source of op_overhead_by_kind")]
    assert len(sources) == 3  # the smallest softmax, layer norm and GeLU calls
    assert len(df[df["case"].str.contains("source of mac_efficiency")]) == 6


def test_data_is_the_published_transcription():
    rows = llm.load_rows().set_index(["phase", "operator"])
    # ae/figure5/ijkl/real_hardware/transformer_A100.csv line 1, transformerAR_A100.csv lines 5, 11
    assert rows.loc[("prefill", "qkv_proj"), "measured_s"] == 0.013721823692321777
    assert rows.loc[("decode", "ffn_w1"), "measured_s"] == 0.00018596649169921875
    assert rows.loc[("prefill", "allreduce_mha"), "measured_s"] == 0.0028909
    assert rows.loc[("decode", "allreduce_ffn"), "measured_s"] == 26.04e-6
    assert len(rows) == 24
    sweep = llm.load_sweep().set_index("bytes")
    # ae/figure5/h/test_allreduce.py: first and last of gpu_latency_list / size_list
    assert sweep.loc[8, "measured_us"] == 12.52 and sweep.loc[2 ** 34, "measured_us"] == 110277
    assert len(sweep) == 32
    for path in (llm.DATA, llm.SWEEP, llm.OP_SWEEPS):
        with open(path) as f:
            assert llm.COMMIT in f.readline()


def test_operator_sweeps_convert_to_seconds():
    df = llm.load_op_sweeps().set_index(["operator", "line"])
    assert (df.groupby(level=0).size().to_dict()
            == {"matmul": 20, "softmax": 22, "layernorm": 22, "gelu": 20})
    # ab/real_hardware/matmul_A100.csv line 1: "64, 12288, 12288, 0.1900ms, 101.7124Tflops"
    assert df.loc[("matmul", 1), "measured_s"] == pytest.approx(0.19e-3, rel=1e-12, abs=0)
    assert 2 * 64 * 12288 * 12288 / 0.19e-3 / 1e12 == pytest.approx(101.7124, rel=1e-3, abs=0)
    # cf/real_hardware/softmax_A100.csv line 1: "4096, 32, 9.99556025250909" = M N / t / 1e9
    assert df.loc[("softmax", 1), "measured_s"] == pytest.approx(4096 * 32 / 9.99556025250909e9, rel=1e-12, abs=0)
    # g/real_hardware/gelu_A100.csv line 20: "536870912, 390.32758080867535" = M / t / 1e9
    assert df.loc[("gelu", 20), "measured_s"] == pytest.approx(536870912 / 390.32758080867535e9, rel=1e-12, abs=0)
    # mac_efficiency is read from the K = N = 12288 lines with M >= 1024: those six are not held out
    assert df.table_source.sum() == 6


def test_allreduce_is_nccls_protocol_model_in_closed_form():
    """The collective of a100-sxm4-80gb.yaml: NCCL v2.30.7 tuning.cc ring constants over NVLink
    (base LL 6.6 / Simple 8.4 us, hop LL 0.6 / Simple 3.4 us), 2 (N - 1) = 6 steps, each GPU
    sending 2 (N - 1) / N x bytes at 12 x 20 GB/s, LL's wire carrying a flag per data word."""
    arch = load_architecture(llm.CONFIG)
    dec, pre = llm.allreduce_bytes("decode"), llm.allreduce_bytes("prefill")
    # 196,608 B < 1.474 MB: LL
    assert llm.nccl_allreduce_s(arch, dec) == pytest.approx(
        6.6e-6 + 6 * 0.6e-6 + 1.5 * dec / 0.5 / 240e9, rel=1e-9, abs=0)
    # 402,653,184 B > 6.26 MB: Simple
    assert llm.nccl_allreduce_s(arch, pre) == pytest.approx(
        8.4e-6 + 6 * 3.4e-6 + 1.5 * pre / 240e9, rel=1e-9, abs=0)
    # 4 MiB: LL128, 120 data bytes per 128-byte line
    assert llm.nccl_allreduce_s(arch, 4 * 2 ** 20) == pytest.approx(
        14.0e-6 + 6 * 1.9e-6 + 1.5 * 4 * 2 ** 20 * 128 / 120 / 240e9, rel=1e-9, abs=0)


def test_protocol_thresholds_are_nccls_model_crossovers():
    """LL up to 1.474 MB and LL128 up to 6.26 MB: where NCCL's model times cross, t = lat +
    bytes / algBw, algBw = busBw x N / steps; busBw 240 GB/s, LL min(87.7, 0.5 x 240), LL128
    0.92 x 240 (tuning.cc llMaxBws Ampere single node and its LL128 factor)."""
    alg = 4 / 6
    ll, ll128, simple = (min(87.7, 120) * alg * 1e9, 0.92 * 240 * alg * 1e9, 240 * alg * 1e9)
    lat = {"ll": 6.6e-6 + 6 * 0.6e-6, "ll128": 14e-6 + 6 * 1.9e-6, "simple": 8.4e-6 + 6 * 3.4e-6}
    x1 = (lat["ll128"] - lat["ll"]) / (1 / ll - 1 / ll128)
    x2 = (lat["simple"] - lat["ll128"]) / (1 / ll128 - 1 / simple)
    protos = load_architecture(llm.CONFIG).components["collective"].protocols
    assert [p.name for p in protos] == ["LL", "LL128", "Simple"]
    assert protos[0].up_to == pytest.approx(x1, rel=2e-3, abs=0) and protos[1].up_to == pytest.approx(x2, rel=2e-3, abs=0)


def test_block_shapes_are_gpt3_175b_over_four_gpus():
    # the all-reduced activation: batch 8 x tokens x d_model 12288 x 2 B
    assert llm.allreduce_bytes("prefill") == 8 * 2048 * 12288 * 2 == 402_653_184  # "402.7 MB"
    assert llm.allreduce_bytes("decode") == 8 * 12288 * 2 == 196_608  # "196.6 KB"
    wl, times, minus = llm.operator_workload("prefill", "ffn_w1")
    assert (times, minus) == (1, None) and wl.macs == 16384 * 12288 * 12288
    wl, times, _ = llm.operator_workload("decode", "qkv_proj")
    assert times == 3 and wl.macs == 8 * 12288 * 3072  # one of three 12288 x 3072 slices
    wl, _, _ = llm.operator_workload("decode", "q_mul_k")
    # 8 x 24 heads per GPU, q of 128 against a cache of 2048 + 1024 + 1 keys
    assert wl.macs == 8 * 24 * 128 * 3073
    assert wl.tensors["b"].nbytes == 8 * 24 * 128 * 3073 * 2
    wl, _, minus = llm.operator_workload("prefill", "layernorm_mha")
    assert minus is not None  # LLMCompass subtracts a 1-element layer norm from this line


def test_config_holds_the_fitted_parameter_and_no_memory_cap():
    cap, overhead = llm.fit()
    arch = load_architecture(llm.CONFIG)
    # the one fitted number: the cuBLAS dispatch cost, on the 4 decode weight GEMVs
    assert arch.components["processor"].op_overhead == pytest.approx(overhead, abs=6e-8)
    # a cap fitted with it would exceed 1 (the GEMVs stream above the all-bank refresh ceiling):
    # the HBM2e runs at its JEDEC ceilings, nothing about the memory is fitted
    assert cap > 1.0
    assert arch.memory["dram"].sustained_fraction == 1.0
    # not fitted: NCCL's 20 GB/s per SM80 NVLink x 12 links of the 300 GB/s (topo.h)
    assert arch.links["nvlink"].sustained_fraction == 12 * 20 / 300


def test_a100_hbm2e_is_its_published_organisation_with_ramulator_timings():
    """NVIDIA A100 80GB: 5 stacks, 5120-bit bus, 2039 GB/s -> 3.186 Gb/s per pin, 80 pseudo-
    channels of 64 bits; Ramulator 2's HBM2_2400Mbps timings (cycles x 0.833 ns) at tCK 1/1593 MHz."""
    from cimsim.hw.memory.jedec import PARTS, PRESETS, TIMINGS

    t = TIMINGS["HBM2E-A100"]
    assert "HBM2E-A100" in PARTS and "HBM2E-A100" not in PRESETS  # validate -s dram: standards only
    assert 2039e9 * 8 / 5120 == pytest.approx(t.rate_mtps * 1e6, rel=2e-4, abs=0)
    tck_ns = 1e3 / 1593
    for cycles_2400, mine in ((17, t.n_cl), (17, t.n_rcd), (17, t.n_rp), (40, t.n_ras), (57, t.n_rc),
                              (6, t.n_cwl), (6, t.n_rtp), (8, t.n_wtr_s), (10, t.n_wtr_l)):
        assert mine == math.ceil(cycles_2400 * 0.833 / tck_ns)
    # hbm2.py secondary timings: tRRD 4 ns, tFAW 15 ns, 8 Gb tRFC 350 ns, tREFI 3.9 us
    assert (t.n_rrd_s, t.n_faw, t.n_rfc, t.n_refi) == tuple(
        math.ceil(ns / tck_ns) for ns in (4, 15, 350, 3900))
    dram = load_architecture(llm.CONFIG).hardware.resource("dram")
    peak = 80 * 64 * 3186e6 / 8
    assert dram.peak_bytes_per_s() == pytest.approx(peak, rel=1e-12, abs=0)
    assert peak == pytest.approx(2039e9, rel=1e-4, abs=0)
    # streaming: all-bank refresh, 1 - (tRTP + tRP + tRFC + tRCD) / tREFI = 1 - 612 / 6213
    assert dram.bytes_per_s() == pytest.approx(peak * (1 - 612 / 6213), rel=1e-12, abs=0)


def test_prefill_softmax_is_a_half_read_stream_in_closed_form():
    """The prefill softmax reads and writes its 1.61 GB of scores in HBM (> 40 MB L2): read share
    1/2, 19 write bursts per turnaround pair, whose idle data-bus cycles are read-to-write
    tRTW + tCWL - tCL - tBL = (23 + 2 + 2 - 8) + 8 - 23 - 2 = 2 and write-to-read tCL + tWTR_S =
    23 + 11: E_mix = 2 / (2 + 0.5 x 36 / 19); plus its eager dispatch cost."""
    arch = load_architecture(llm.CONFIG)
    scores = 8 * 24 * 2048 * 2048 * 2
    rate = 80 * 64 * 3186e6 / 8 * (1 - 612 / 6213) * 2 / (2 + 0.5 * 36 / 19)
    by_kind = arch.components["processor"].op_overhead_by_kind
    assert llm.predict_operator(arch, "prefill", "softmax") == pytest.approx(
        by_kind["softmax"] + 2 * scores / rate, rel=1e-3, abs=0)


def test_dispatch_costs_are_the_smallest_sweep_calls():
    """op_overhead_by_kind = the time of each op's smallest call in LLMCompass's sweep."""
    by_kind = load_architecture(llm.CONFIG).components["processor"].op_overhead_by_kind
    df = llm.load_op_sweeps().set_index(["operator", "line"])
    for kind, op in (("softmax", "softmax"), ("layernorm", "layernorm"), ("elementwise", "gelu")):
        assert by_kind[kind] == pytest.approx(df.loc[(op, 1), "measured_s"], rel=5e-4, abs=0)
    # softmax 4096 x 32 at 9.99556 elements/ns
    assert by_kind["softmax"] == pytest.approx(4096 * 32 / 9.99556025250909e9, rel=5e-4, abs=0)


def test_decode_gemv_spread_comes_from_the_fitted_dispatch_cost():
    """LLMCompass's decode GEMVs stream their weights at 52 % (one Q/K/V slice) to 80 % (W1)
    of 2.039 TB/s. The memory model alone (the HBM2e's JEDEC streaming ceiling, no cap, no
    dispatch cost) gives both shapes about 89 % of peak: the spread is the share of the one
    dispatch cost, fitted on these same four rows (they are ``fit``), not the memory model's."""
    alone = load_architecture(llm.CONFIG, {"processor.op_overhead": "0 s"})
    stream = 2039.04e9 * (1 - 612 / 6213)  # 90.15 % of peak: all-bank refresh
    for op, weight in (("qkv_proj", 12288 * 3072 * 2), ("ffn_w1", 12288 * 12288 * 2)):
        t = llm.predict_operator(alone, "decode", op) / (3 if op == "qkv_proj" else 1)
        assert t == pytest.approx(weight / stream + 500e-9, rel=4e-3, abs=0)  # + the level's latency
        assert 0.885 < weight / t / 2039e9 < 0.90, op  # 89.1 % (Q/K/V slice), 89.9 % (W1)
    assert ("decode", "qkv_proj") in llm.FIT_ROWS and ("decode", "ffn_w1") in llm.FIT_ROWS
    arch = load_architecture(llm.CONFIG)
    peak = 2039e9
    rows = llm.load_rows().set_index(["phase", "operator"]).measured_s
    assert 12288 * 3072 * 2 / (rows["decode", "qkv_proj"] / 3) / peak == pytest.approx(0.52, abs=0.01)
    assert 12288 * 12288 * 2 / rows["decode", "ffn_w1"] / peak == pytest.approx(0.796, abs=0.01)
    qkv = 12288 * 3072 * 2 / (llm.predict_operator(arch, "decode", "qkv_proj") / 3) / peak
    w1 = 12288 * 12288 * 2 / llm.predict_operator(arch, "decode", "ffn_w1") / peak
    assert 0.50 < qkv < 0.56 and 0.75 < w1 < 0.80  # 53.3 %, 76.9 % with the fitted cost
    # each is weight bytes at the JEDEC ceiling plus the one dispatch cost (and the level's
    # 500 ns latency and the 196 KB activation: < 0.4 % of it)
    overhead = arch.components["processor"].op_overhead
    assert llm.predict_operator(arch, "decode", "ffn_w1") == pytest.approx(
        12288 * 12288 * 2 / stream + overhead, rel=4e-3, abs=0)


def test_recorded_errors():
    """The figures /work/notes/llmcal2.md records (held out unless named), with the HBM2e as a
    `type: dram` level (no cap; Ramulator 2's write batch of 19)."""
    df = run(["llm-published"]).set_index("case")
    err = df["rel_error"]
    block = "A100 GPT-3 block TP=4 "
    pre = err[block + "prefill layer total (sum of 12 lines)"]
    dec = err[block + "decode layer total (sum of 12 lines)"]
    assert abs(pre) <= 0.10  # target met: -5.4 % (was -8.3 % on a fixed-rate level)
    assert -0.14 < dec < -0.10  # target (10 %) missed: -12.4 %, 96 us of it the two layer-norm lines
    ln = err[block + "decode layernorm_mha (held out)"]
    assert ln < -0.99  # the subtracted 1-element layer norm costs a compiled call here
    ar_pre = err[block + "prefill allreduce_mha (held out)"]
    ar_dec = err[block + "decode allreduce_mha (held out)"]
    assert abs(ar_pre) <= 0.15  # 402.7 MB in 2.89 ms: met (-12.0 %)
    assert -0.55 < ar_dec < -0.45  # 196.6 KB in 26 us: missed (-51 %)
    lines = err[df.index.str.startswith("A100 GPT-3") & ~df.index.str.contains("total")]
    assert len(lines) == 24
    assert lines.abs().median() <= 0.08  # target (15 %) met: 6.8 % (was 12.2 %)
    # the prefill vector ops that read and write HBM: the read/write turnarounds explain them
    for op, lo, hi in (("softmax", -0.10, -0.05), ("layernorm_mha", -0.08, -0.03),
                       ("a_mul_v", -0.12, -0.08)):  # -7.3 %, -5.3 %, -9.9 % (were -41, -40, -19 %)
        assert lo < err[block + f"prefill {op} (held out)"] < hi, op
    # left: Q.K^T's short-K batched GEMM (-40.6 %, was -49 %); GeLU's half-write stream is now
    # slow (+32 %, was -12.5 %): 19 write bursts per turnaround is Ramulator's controller, not the A100's
    assert -0.45 < err[block + "prefill q_mul_k (held out)"] < -0.35
    assert 0.25 < err[block + "prefill gelu (held out)"] < 0.40
    small = [err[block + f"decode {op} (held out)"] for op in ("softmax", "gelu")]
    assert abs(small[0]) < 0.16 and abs(small[1]) < 0.03  # -14.6 %, +1.8 %
    held_out_matmuls = err[df.index.str.startswith("A100 matmul") & df.index.str.contains("held out")]
    assert len(held_out_matmuls) == 14
    assert held_out_matmuls.abs().median() < 0.05 and held_out_matmuls.abs().max() < 0.15  # 3.0 %, 10.4 %
    nccl = err[df.index.str.startswith("A100 x4 NCCL")]
    assert len(nccl) == 32
    assert nccl[nccl.index.str.contains(" 17179869184 B")].abs().max() < 0.03  # 16 GiB: -2.6 %
