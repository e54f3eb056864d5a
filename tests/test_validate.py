"""Validation suites: the registry and CLI, the published suites' errors (deterministic),
and the host suite at small sizes (runs, predictions within 2x: timings are noisy)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from cimsim.validate import run, suites


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "cimsim.cli", "validate", *args], capture_output=True,
                          text=True, timeout=600)


def test_builtin_suites_are_registered():
    names = suites()
    for name in ("host", "gpu-published", "pim-published"):
        assert name in names and names[name]


def test_cli_lists_the_suites():
    p = _cli("--list")
    assert p.returncode == 0, p.stderr
    listed = [line.split(":")[0] for line in p.stdout.splitlines()]
    assert set(suites()) <= set(listed)


def test_cli_unknown_suite_is_one_line():
    p = _cli("-s", "no-such-suite")
    assert p.returncode == 1
    assert "Traceback" not in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1 and "no-such-suite" in p.stderr


@pytest.mark.slow
def test_host_suite_runs_and_predicts_within_2x():
    import torch

    from cimsim.calibrate import calibrate
    from cimsim.config import architecture_from_dict
    from cimsim.validate.host import TINY, host_cases
    import yaml

    threads = torch.get_num_threads()
    try:
        # one thread: the test machine is shared, and a 2-thread op waits for both cores
        _, text = calibrate(quick=True, threads=1)
        cases = host_cases(TINY, arch=architecture_from_dict(yaml.safe_load(text)))
    finally:
        torch.set_num_threads(threads)
    assert len(cases) == len(TINY.rnn) + 1
    for c in cases:
        assert c.measured > 0 and c.predicted > 0
        assert 0.5 <= c.predicted / c.measured <= 2.0, c


# --------------------------------------------------------------------------- gpu-published
def test_deepbench_data_is_the_published_transcription():
    from cimsim.validate import gpu

    rows = gpu.load_rows()
    assert len(rows) == 207
    # first row of the TITAN Xp LSTM section (DeepBench_NV_TitanXp.xlsx)
    first = rows.iloc[0]
    assert (first.gpu, first.cell, first.hidden, first.batch, first.timesteps) == ("TitanXp", "lstm", 512, 1, 25)
    assert first.time_forward_ms == 1.258


def test_titanxp_config_holds_the_fitted_parameters():
    from cimsim import load_architecture
    from cimsim.validate import gpu

    f, overhead = gpu.fit()
    arch = load_architecture(gpu.CONFIG)
    assert arch.memory["dram"].sustained_fraction == pytest.approx(f, abs=0.005)
    assert arch.components["processor"].op_overhead == pytest.approx(overhead, abs=0.05e-6)


@pytest.mark.slow
def test_gpu_published_errors():
    """DeepBench: fitted median 5.2 %, held-out median 20.5 %, worst 53.7 % when written
    (2026-11-29); a change that makes the model disagree more with the data fails here."""
    import pandas as pd

    df = run(["gpu-published"])
    t4 = df[df.case.str.startswith("T4 ")]
    assert len(t4) == 27
    df = df[~df.case.str.startswith("T4 ")]
    assert len(df) == 207
    fitted = df.case.str.endswith("(fitted)")
    assert fitted.sum() == 15
    assert df[fitted].rel_error.abs().median() < 0.10
    held = df[~fitted]
    assert held.rel_error.abs().median() < 0.25
    assert held.rel_error.abs().max() < 0.60
    # the physics the data show: at hidden >= 2048 time follows weight bytes, so
    # batch 1 -> 4 changes the predicted time by little (as measured, < 10 %)
    parts = df.case.str.extract(r"^TitanXp (\w+) H=(\d+) B=(\d+) T=(\d+)").dropna()
    big = pd.concat([parts.astype({1: int, 2: int, 3: int}), df[["measured", "predicted"]]], axis=1,
                    join="inner")
    big = big[big[1] >= 2048]
    assert len(big) > 0
    for _, g in big.groupby([0, 1, 3]):
        by_b = g.set_index(2)
        assert by_b.predicted[4] / by_b.predicted[1] < 1.10
        assert by_b.measured[4] / by_b.measured[1] < 1.10


# --------------------------------------------------------------------------- pim-published
def test_pim_speedup_is_the_closed_form_and_the_gap_is_recorded():
    """GEMV fp16 8192 x 8192 (W = 134,217,728 B) on aquabolt-xl-mi100.yaml.

    Without PIM the weight streams over HBM2 at 1.2288 TB/s x 0.807 sustained (the MI100's
    rocBLAS dgemv, 2.48e11 FLOP/s at 8 B per 2 FLOP = 992 GB/s: kokkos-kernels PR #1201), with
    the 16 KiB input vector (a model input, read from DRAM once):
    (W + 16,384 B) / 991.64 GB/s = 135.37 us, + 5 us op overhead + 0.5 us DRAM latency.
    With PIM, 64 pseudo-channels x 8 PCUs = 512 units at 9.6 GB/s each (4.9152 TB/s):
    W / 4.9152 TB/s = 27.31 us (= 67.1 M MAC / (512 x 16 x 300 MHz)), + 5 us + 0.5 us.
    """
    from cimsim.validate.pim import pim_cases, pim_results

    W = 8192 * 8192 * 2
    base = (W + 8192 * 2) / (1.2288e12 * 0.807) + 5e-6 + 500e-9
    pim = W / (512 * 9.6e9) + 5e-6 + 500e-9
    r = pim_results()
    assert r["base_s"] == pytest.approx(base, rel=1e-6)
    assert r["pim_s"] == pytest.approx(pim, rel=1e-6)
    speed, energy = pim_cases()
    assert speed.measured == 8.9  # Kim et al., IEEE Micro 2022
    assert speed.predicted == pytest.approx(base / pim, rel=1e-6)  # 4.29x
    # the recorded gap (README): the model's 4.29x is 52 % short of the reported 8.9x; 8.9x
    # would need the GPU's GEMV at (W + 16 KiB) / (8.9 x pim - 5.5 us) = 469 GB/s, 38 % of peak
    assert speed.rel_error == pytest.approx(4.2938 / 8.9 - 1, abs=1e-3)
    assert (W + 8192 * 2) / (8.9 * pim - 5.5e-6) == pytest.approx(468.6e9, rel=1e-3)
    # "reduced energy consumption by over 60 %": the predicted saving is consistent
    assert energy.measured == 0.60 and 0.60 < energy.predicted < 0.90


def test_t4_gemm_rows_closed_form_and_recorded_errors():
    """DeepBench's loop (gemm_bench.cu ``time_gemm``, commit 30c5115): one warm-up call, then
    ``numRepeats = 400`` calls on the same buffers; the case predicts one timed call.

    M=7680 N=1 K=2560 int8: the weight A = 19,660,800 B does not fit the 4 MB L2, so every call
    streams it from DRAM at 320 GB/s x 0.749 (T4 bandwidthTest copy, 239.6 of 320 GB/s) =
    82.03 us, + 7.1 us op overhead + 0.5 us DRAM latency = 89.63 us; DeepBench measured 0.071 ms
    (DeepBench_NV_T4.xlsx row 12).
    M=3072 N=1 K=1024: A = 3,145,728 B fits the L2; after the warm-up every call reads it, the
    1,024 B input and the 3,072 B output from the L2 at 1.5 TB/s: 3,149,824 B / 1.5 TB/s =
    2.10 us, + 7.1 us = 9.20 us (no DRAM access, so no DRAM latency); measured 0.009 ms (row 15).
    Errors when written (2026-11-29): median |error| 27.9 %, worst -72.0 % (M=512 K=500,000);
    before the loop and the T4 bandwidth (a single cold call, fraction 0.62): 50 %, 161 %."""
    from cimsim.validate.gpu import DEEPBENCH_GEMM_REPEATS, t4_cases

    assert DEEPBENCH_GEMM_REPEATS == 400
    cases = {c.case: c for c in t4_cases()}
    assert len(cases) == 27
    big = cases["T4 int8 GEMM M=7680 N=1 K=2560 (held out)"]
    assert big.measured == pytest.approx(0.071e-3)
    assert big.predicted == pytest.approx(7680 * 2560 / (320e9 * 0.749) + 7.1e-6 + 0.5e-6, rel=1e-6)
    warm = cases["T4 int8 GEMM M=3072 N=1 K=1024 (held out)"]
    assert warm.measured == pytest.approx(0.009e-3)
    assert warm.predicted == pytest.approx((3072 * 1024 + 1024 + 3072) / 1.5e12 + 7.1e-6, rel=1e-6)
    errs = sorted(abs(c.rel_error) for c in cases.values())
    assert errs[len(errs) // 2] == pytest.approx(0.279, abs=0.005)
    assert errs[-1] == pytest.approx(0.720, abs=0.005)
