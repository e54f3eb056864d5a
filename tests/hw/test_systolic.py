"""Systolic-array compute cycles against SCALE-Sim's.

Golden values: the three GEMMs measured with SCALE-Sim 3.0.0 quoted in issue 7, every row of
src/cimsim/data/validation/systolic_scalesim.csv (SCALE-Sim 3.0.0 runs, see validation/SYSTOLIC.md), and
closed-form cases whose arithmetic is written out here from SCALE-Sim's per-fold schedule
(weight-stationary: ``rows`` cycles to load a weight tile, M input vectors, ``rows - 1`` +
``cols - 1`` cycles of skew; the reported number is the 0-based cycle of the last output).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from cimsim import simulate
from cimsim.hw.systolic_timing import (
    DATAFLOWS,
    cycles,
    is_cycles,
    is_folds,
    os_cycles,
    os_folds,
    utilization,
    ws_cycles,
    ws_folds,
)

CSV = Path(__file__).resolve().parents[2] / "src" / "cimsim" / "data" / "validation" / "systolic_scalesim.csv"


def scalesim_rows():
    with open(CSV, newline="") as f:
        return list(csv.DictReader(f))


# -- the issue's measurements (SCALE-Sim 3.0.0, 128 x 128, weight-stationary) -----------------

@pytest.mark.parametrize("m, k, n, folds, measured", [
    (1, 512, 1024, 4 * 8, 12_255),
    (1, 2048, 4096, 16 * 32, 196_095),
    (64, 2048, 4096, 16 * 32, 228_351),
])
def test_issue_measurements(m, k, n, folds, measured):
    assert ws_folds(k, n, 128, 128) == folds
    assert folds * (3 * 128 + m - 2) - 1 == measured  # the issue's own formula
    assert ws_cycles(m, k, n, 128, 128) == measured


# -- every SCALE-Sim run in the systolic_scalesim.csv -----------------------------------

def test_csv_covers_the_grid():
    rows = scalesim_rows()
    assert {r["dataflow"] for r in rows} == set(DATAFLOWS)
    shapes = {(int(r["array_rows"]), int(r["array_cols"])) for r in rows}
    assert {(128, 128), (32, 64), (64, 32), (8, 8), (256, 256)} <= shapes
    assert all(r["source"].startswith("SCALE-Sim 3.0.0") for r in rows)
    # GEMMs that tile no array evenly, and one-vector GEMMs
    assert any(int(r["K"]) % int(r["array_rows"]) and int(r["N"]) % int(r["array_cols"])
               for r in rows)
    assert any(int(r["M"]) == 1 for r in rows)
    assert len(rows) >= 100


@pytest.mark.parametrize("row", scalesim_rows(),
                         ids=lambda r: "{dataflow}-{array_rows}x{array_cols}-{M}x{K}x{N}".format(**r))
def test_matches_scalesim(row):
    dims = [int(row[c]) for c in ("M", "K", "N", "array_rows", "array_cols")]
    assert cycles(row["dataflow"], *dims) == int(row["cycles"])


def test_matches_scalesim_vectorised():
    rows = scalesim_rows()
    for df in DATAFLOWS:
        sel = [r for r in rows if r["dataflow"] == df]
        m, k, n, r_, c_, want = (np.array([int(r[col]) for r in sel], dtype=np.int64)
                                 for col in ("M", "K", "N", "array_rows", "array_cols", "cycles"))
        np.testing.assert_array_equal(cycles(df, m, k, n, r_, c_), want)


# -- closed-form edge cases --------------------------------------------------------------------

def test_one_fold_one_vector():
    # K <= rows and N <= cols: one fold. WS: rows (load) + 1 vector + rows-1 + cols-1 skew,
    # last cycle index = that - 1.
    assert ws_folds(5, 7, 128, 128) == 1
    assert ws_cycles(1, 5, 7, 128, 128) == (128 + 1 + 127 + 127) - 1 == 382
    assert ws_cycles(1, 128, 128, 128, 128) == 382  # a full tile takes no longer
    # non-square 8 x 32: 8 + 1 + 7 + 31 - 1
    assert ws_cycles(1, 3, 3, 8, 32) == 46


def test_cycles_grow_by_one_per_input_vector():
    # within a fold every extra input vector costs exactly one cycle; with F folds, F cycles
    base = ws_cycles(1, 300, 200, 64, 32)  # F = 5 * 7 = 35
    assert ws_cycles(2, 300, 200, 64, 32) - base == 35
    assert ws_cycles(101, 300, 200, 64, 32) - base == 3500


def test_fold_boundaries():
    # one more weight row or column than the array holds doubles the folds
    assert ws_folds(129, 128, 128, 128) == 2
    assert ws_folds(128, 129, 128, 128) == 2
    assert ws_folds(129, 129, 128, 128) == 4
    one = ws_cycles(10, 128, 128, 128, 128)
    assert one == 384 + 10 - 2 - 1
    assert ws_cycles(10, 129, 128, 128, 128) == 2 * (one + 1) - 1
    # rows and cols are not interchangeable: K folds on rows, N on cols
    assert ws_folds(64, 8, 8, 64) == 8 and ws_folds(64, 8, 64, 8) == 1


def test_output_and_input_stationary_closed_forms():
    # OS: M x N outputs on the array, K streamed: F = ceil(M/r) ceil(N/c), rows + cols + K - 2
    assert os_folds(130, 257, 128, 128) == 2 * 3
    assert os_cycles(130, 129, 257, 128, 128) == 6 * (128 + 128 + 129 - 2) - 1 == 2297
    assert os_cycles(1, 1, 1, 8, 8) == (8 + 8 + 1 - 2) - 1
    # IS: inputs pinned (K on rows, M on cols), N streamed: F = ceil(K/r) ceil(M/c)
    assert is_folds(130, 129, 128, 128) == 2 * 2
    assert is_cycles(130, 129, 257, 128, 128) == 4 * (256 + 128 + 257 - 2) - 1 == 2555
    # IS is WS with M and N swapped
    assert is_cycles(37, 300, 129, 32, 64) == ws_cycles(129, 300, 37, 32, 64)


def test_utilization():
    # M=64, K=512, N=1024 on 128 x 128: 32 folds of (384 + 62) cycles, minus one
    c = ws_cycles(64, 512, 1024, 128, 128)
    assert c == 32 * 446 - 1 == 14271
    assert utilization(64, 512, 1024, 128, 128, c) == 64 * 512 * 1024 / (128 * 128 * 14271)
    # a long stream through one full tile approaches 1
    u = utilization(10**6, 128, 128, 128, 128, ws_cycles(10**6, 128, 128, 128, 128))
    assert u == 10**6 / (10**6 + 381) and u < 1  # 1 fold: 256 + 128 + M - 2 - 1
    for r in scalesim_rows():
        dims = [int(r[c]) for c in ("M", "K", "N", "array_rows", "array_cols")]
        assert 0 < utilization(*dims, int(r["cycles"])) <= 1


# -- vectorised == scalar -----------------------------------------------------------------------

@pytest.mark.parametrize("df", DATAFLOWS)
def test_vectorised_equals_scalar(df):
    rng = np.random.default_rng(7)
    m, k, n = (rng.integers(1, 3000, size=200) for _ in range(3))
    rows, cols = rng.integers(1, 300, size=200), rng.integers(1, 300, size=200)
    got = cycles(df, m, k, n, rows, cols)
    assert got.dtype == np.int64 and got.shape == (200,)
    want = [cycles(df, int(a), int(b), int(c), int(r), int(q))
            for a, b, c, r, q in zip(m, k, n, rows, cols)]
    assert got.tolist() == want
    # arrays broadcast against scalar array shapes
    np.testing.assert_array_equal(cycles(df, m, k, n, 128, 128),
                                  [cycles(df, int(a), int(b), int(c), 128, 128)
                                   for a, b, c in zip(m, k, n)])
    u = utilization(m, k, n, rows, cols, got)
    assert u.dtype == np.float64 and ((u > 0) & (u <= 1)).all()


def test_scalars_give_python_ints():
    assert type(ws_cycles(1, 512, 1024, 128, 128)) is int
    assert type(ws_cycles(np.int64(1), 512, 1024, 128, 128)) is int
    assert type(ws_folds(512, 1024, 128, 128)) is int


# -- bad input ----------------------------------------------------------------------------------

@pytest.mark.parametrize("args, match", [
    ((0, 512, 1024, 128, 128), "m must be >= 1, got 0"),
    ((1, 512, 1024, 0, 128), "rows must be >= 1, got 0"),
    ((1, 512.0, 1024, 128, 128), "k must be an integer, got 512.0"),
    ((True, 512, 1024, 128, 128), "m must be an integer"),
    ((np.array([1, 0]), 512, 1024, 128, 128), "m must be >= 1, got 0"),
    ((np.array([1.0]), 512, 1024, 128, 128), "m must be integers, got dtype float64"),
])
def test_bad_dimensions(args, match):
    with pytest.raises(ValueError, match=match):
        ws_cycles(*args)


def test_unknown_dataflow():
    with pytest.raises(ValueError, match="dataflow must be one of ws, os, is, got 'rs'"):
        cycles("rs", 1, 1, 1, 8, 8)


# -- the systolic component in whole runs -----------------------------------------------------
@pytest.mark.parametrize("m, k, n, cycles", [
    # SCALE-Sim 3.0.0 on 128 x 128, weight-stationary (issue 7): folds x (3 x 128 + M - 2) - 1
    (1, 512, 1024, 12_255), (1, 2048, 4096, 196_095), (64, 2048, 4096, 228_351)])
def test_systolic_component_time_is_scalesim_cycles(m, k, n, cycles):
    from cimsim.validate.systolic import _arch, gemm

    assert 4 * 8 * (3 * 128 + 1 - 2) - 1 == 12_255  # the closed form, by hand
    r = simulate(_arch("ws", 128, 128), gemm(m, k, n))
    assert r.ops_per_unit == {"array": 1}
    assert r.op_table["compute_s"].iloc[0] * 1e9 == pytest.approx(cycles, rel=1e-12, abs=0)
    assert r.utilization["array_mac"] == pytest.approx(m * k * n / (128 * 128 * cycles), rel=1e-9, abs=0)


def test_tpu_like_lstm_is_bound_by_its_weight_memory():
    # TPU v1 streams weights from 34 GB/s DDR3: a GEMV-heavy LSTM is weight-bandwidth-bound
    from cimsim import bundled, load_architecture, load_workload

    r = simulate(load_architecture(bundled.resolve_config("tpu-like")),
                 load_workload(bundled.resolve_workload("lstm")), keep_ops=False)
    assert (r.bound, r.bound_part) == ("memory", "weights")
    # every recurrent step reads W_hh at 8 bits: 2 layers x 100 steps x 2048 x 8192 B, plus W_ih once
    assert r.traffic_bytes["weights"] == 2 * 101 * 2048 * 8192
    assert r.latency_s >= r.traffic_bytes["weights"] / 34e9
    assert r.utilization["tpu_mac"] < 0.01


def test_tpu_like_lstm_reads_its_model_inputs_from_dram_once():
    """A model input a systolic op reads first is read from DRAM by the host, then crosses the
    link (hierarchy rule 3); before 2026-12-05 (day) only the link was charged. The bundled
    LSTM (2 layers, I = H = 2048, T = 100, fp32): x (100 x 2048 x 4 B = 819,200 B) and the two
    h0 (2 x 2048 x 4 = 16,384 B) by the array's matmuls; the four 32 KiB biases (131,072 B)
    and the two c0 (16,384 B) by the processor: 983,040 B in all."""
    from cimsim import bundled, load_architecture, load_workload

    r = simulate(load_architecture(bundled.resolve_config("tpu-like")),
                 load_workload(bundled.resolve_workload("lstm")), keep_ops=False, engine="analytic")
    assert r.traffic_bytes["dram"] == 819_200 + 16_384 + 131_072 + 16_384


def test_systolic_suite_matches_every_scalesim_run():
    from cimsim.validate import run

    df = run(["systolic"])
    assert len(df) == 150
    assert (df["predicted"] == df["measured"]).all()


def test_an_8_bit_systolic_array_on_another_dtype_is_a_precision_mismatch():
    """tpu-like computes 8-bit weights x 8-bit inputs whatever the trace's dtype: an fp32 run is
    marked and noted as a CIM's is; an int8 run is not."""
    from cimsim.config import load_architecture
    from conftest import gemv_workload

    a = load_architecture("tpu-like")
    r = simulate(a, gemv_workload(256, 64, dtype="fp32"), engine="analytic")
    assert r.precision_mismatch
    assert any("precision mismatch: tpu computes 8-bit weights x 8-bit inputs" in n for n in r.notes), r.notes
    assert not simulate(a, gemv_workload(256, 64, dtype="int8"), engine="analytic").precision_mismatch


def test_the_link_lower_bound_is_the_busiest_links_bytes_over_its_rate():
    """tpu-like on tcn is bound by its PCIe link, which bound_memory_s (memory levels only) did
    not show: bound_link_s = the link's bytes / 15.75 GB/s (PCIe Gen3 x16, the config)."""
    from cimsim.config import load_architecture
    from cimsim.workload import load_workload

    r = simulate(load_architecture("tpu-like"), load_workload("tcn"), engine="analytic")
    assert r.bound == "interconnect" and r.bound_part == "pcie"
    assert r.bound_link_s == pytest.approx(r.traffic_bytes["pcie"] / 15.75e9, rel=1e-12, abs=0)
    assert r.bound_link_s > r.bound_memory_s and r.record()["bound_link_s"] == r.bound_link_s



def test_the_buffer_and_weight_memory_capacities_count():
    """`buffer.capacity` changed nothing and a `weight_memory` of 1 KiB streamed 67 MB of weights
    (a tester, 2026-12-05). tpu-like (256 x 256, 8-bit, 24 MiB buffer), one GEMM of 64 rows,
    k = 1024, n = 1024 (1 MiB of int8 weights): its 64 KiB of 8-bit inputs cross pcie once while
    the buffer holds them; with a 32 KiB buffer once per fold of 256 output columns, 4 times."""
    from cimsim.config import load_architecture
    from cimsim.errors import MappingError
    from cimsim.workload import generators as g

    w = g.matmul(64, 1024, 1024, dtype="int8")
    out = 64 * 1024  # int8 outputs

    def pcie(**sets):
        r = simulate(load_architecture("tpu-like", sets), w, keep_ops=True)
        return r.op_table["pcie_bytes"].iloc[-1], r.notes

    assert pcie()[0] == 64 * 1024 + out
    moved, notes = pcie(**{"tpu.buffer.capacity": "32 KiB"})
    assert moved == 4 * 64 * 1024 + out
    assert any("inputs cross pcie again for every fold of 256 output columns" in n for n in notes)
    assert pcie(**{"tpu.buffer.capacity": "32 KiB", "tpu.dataflow": "is"})[0] == 64 * 1024 + out
    with pytest.raises(MappingError, match=r"its weights \(1.049 MB at 8 bits, 1 matrix\) stream "
                                           r"from tpu.weight_memory 'sram' at every use, but it "
                                           r"holds 524.3 kB"):
        simulate(load_architecture("tpu-like", {"tpu.weight_memory": "sram",
                                                "memory.sram.capacity": "512 KiB"}), w)


@pytest.mark.parametrize("dataflow, w_passes", [("ws", 1), ("os", 4), ("is", 4)])
def test_weights_stream_once_per_pass_of_the_dataflow(dataflow, w_passes):
    """os and is read every weight once (a tester, 2026-12-06: a 1024 x 4096 x 8192 int8 GEMM on
    tpu-like ran os / is 1.33x faster than ws). SCALE-Sim's mappings (systolic_timing): os pins a
    256 x 256 tile of outputs and streams its weights per fold of 256 output rows, ⌈1024/256⌉ = 4;
    is pins the inputs and streams every weight column per fold of 256 input vectors, ⌈1024/256⌉
    = 4; ws pins each weight once. 33,554,432 B of weights x passes from the 34 GB/s DDR3."""
    from cimsim.config import load_architecture
    from cimsim.workload import generators as g

    r = simulate(load_architecture("tpu-like", {"tpu.dataflow": dataflow}),
                 g.matmul(1024, 4096, 8192, dtype="int8"), engine="analytic")
    assert r.traffic_bytes["weights"] == w_passes * 4096 * 8192
    if dataflow != "ws":  # bound by the weight stream: 134,217,728 B / 34 GB/s = 3.948 ms
        assert r.latency_s >= 4 * 4096 * 8192 / 34e9
        assert (r.bound, r.bound_part) == ("memory", "weights")


@pytest.mark.parametrize("dataflow, buffer_bytes", [
    # inputs 64 x 300 = 19,200 B read per fold of 256 output columns (⌈600/256⌉ = 3), outputs
    # 64 x 600 = 38,400 B written once; the weights pass the weight FIFO, not the buffer
    ("ws", 3 * 19_200 + 38_400), ("os", 3 * 19_200 + 38_400), ("is", 19_200 + 38_400)])
def test_the_unified_buffer_carries_inputs_per_pass_and_never_the_weights(dataflow, buffer_bytes):
    """The buffer counted inputs once and the 180,000 B of weights, which reach the array from
    its weight memory through the weight FIFO (Jouppi et al., ISCA 2017), not the unified
    buffer. tpu-like's buffer costs 2.5 pJ/B (its config)."""
    from cimsim.config import load_architecture
    from cimsim.workload import generators as g

    r = simulate(load_architecture("tpu-like", {"tpu.dataflow": dataflow}),
                 g.matmul(64, 300, 600, dtype="int8"), engine="analytic")
    assert r.energy_breakdown_j["tpu_buffer"] == pytest.approx(buffer_bytes * 2.5e-12, rel=1e-12, abs=0)


def _conv_pcie(**sets):
    """A traced 3 x 3 convolution, 3 -> 16 channels on 1 x 3 x 8 x 8 (padding 1, int8) on
    tpu-like: (its matmul's pcie bytes, tpu_buffer energy, notes)."""
    import torch
    from torch import nn

    from cimsim.config import load_architecture
    from cimsim.workload.trace import trace

    torch.manual_seed(0)
    wl = trace(nn.Conv2d(3, 16, 3, padding=1, bias=False).eval(), (torch.randn(1, 3, 8, 8),),
               dtype="int8")
    r = simulate(load_architecture("tpu-like", sets), wl, keep_ops=True, engine="analytic")
    t = r.op_table
    conv = t[t["unit"].astype(str).str.startswith("tpu")]
    assert len(conv) == 1, t[["op", "unit"]]
    return conv["pcie_bytes"].iloc[0], r.energy_breakdown_j["tpu_buffer"], r.notes


def test_input_reuse_sends_each_convolution_input_once_per_kernel_row():
    """The systolic array shipped every convolution's im2col matrix over its link, unsaid (find-E
    1; a traced ResNet-18 on tpu-like moved 17.17 MB over pcie for 5.218 MB of inputs once per
    kernel row). The conv: m = 64 positions x k = 27 = 1,728 int8 im2col inputs; each input once
    per kernel row = 1 x 3 channels x 8 output rows x 3 kernel rows x 8 wide = 576 B; 64 x 16 =
    1,024 B of int8 outputs go back."""
    im2col, once, out = 64 * 27, 1 * 3 * 8 * 3 * 8, 64 * 16
    moved, _, notes = _conv_pcie()
    assert moved == im2col + out
    assert any("tpu: 1 convolution(s) send their im2col matrix over pcie: 1.728 kB of inputs, "
               "3.0x the 576 B with each input once per kernel row (tpu.input_reuse: true sends "
               "those)" in n for n in notes), notes
    moved, _, notes = _conv_pcie(**{"tpu.input_reuse": True})
    assert moved == once + out
    assert not any("im2col matrix" in n for n in notes), notes
    # a 1 KiB buffer and 8 columns (⌈16/8⌉ = 2 folds of output columns): the 1,728 B im2col does
    # not fit and crosses pcie per fold; the 576 B sent with reuse fits and crosses once. The
    # array reads the im2col rows from the buffer per fold either way (2.5 pJ/B, the config):
    small = {"tpu.buffer.capacity": "1 KiB", "tpu.cols": 8}
    moved, buf, _ = _conv_pcie(**small)
    assert moved == 2 * im2col + out
    assert buf == pytest.approx((2 * im2col + out) * 2.5e-12, rel=1e-12, abs=0)
    moved, buf, notes = _conv_pcie(**small, **{"tpu.input_reuse": True})
    assert moved == once + out
    assert buf == pytest.approx((2 * im2col + out) * 2.5e-12, rel=1e-12, abs=0)
    assert not any("exceed the" in n for n in notes), notes
