"""The held-out host suite (``host-unseen``): its case list and the closed forms of the
steady-state prediction (what a timing loop of repeated calls measures). No error here is
checked: the suite's errors depend on the machine and are recorded in the README."""

from __future__ import annotations

import pytest

from cimsim.config import architecture_from_dict
from cimsim.validate.host import (BLIND2_CASES, BLIND3_CASES, BLIND4_CASES, BLIND_CASES, FRESH_CASES, PAST_LLC_FACTOR, RNN_CASES, UNSEEN_HIDDEN, gemv_workload,
                                  past_llc_hidden, repeated, steady_latency, unseen_cases)

MiB = 1 << 20


def test_the_held_out_shapes_are_in_neither_the_suite_nor_the_calibration_grid():
    from cimsim.calibrate import GRID_MAX_SIDE, GRID_ROWS, grid_sides

    sides = set(grid_sides(4 * GRID_MAX_SIDE ** 2))  # every side any LLC can give
    assert {512, 1024, 1536, 2048, 2816, 4096, 8192, 16384} == sides
    suite_hidden = {h for _, h, _, _ in RNN_CASES}
    for llc in (8 * MiB, 32 * MiB, 45 * MiB, 260 * MiB):
        cases = unseen_cases(llc)
        assert cases[9:] == FRESH_CASES + BLIND_CASES + BLIND2_CASES + BLIND3_CASES + BLIND4_CASES \
            and len(cases) == 37
        hidden = {h for _, h, _, _ in cases}
        # 1536, a first-set hidden size, became a table side with the columns between octaves
        # (2026-12-03); its cases' recurrent weights, 3 and 4 x 1536^2 x 4 B = 27 and 36 MiB, lie
        # between other columns (16 ... 64 MiB), not at its 9 MiB
        assert not hidden & suite_hidden and hidden & sides == {1536}
        assert all(4 * g * 1536 ** 2 > 4 * 2048 ** 2 for g in (3, 4))
        assert len(hidden) == 3 + 1 + 6 + 4 + 6 + 6 + 6  # no hidden size in two sets
        # batches 1 (the GEMV by a weight past the LLC) and 3-20; since 2026-12-04 the table has
        # every row count up to 16 (a kernel's few-row path steps with its tile heights), so
        # batches up to 16 are table rows by square weights and 20 lies between 16 and 32: what
        # is held out is the weights' shapes (4H x H, 3H x H; no hidden size a side but 1536),
        # the recurrence around them and the step counts
        batches = {b for _, _, b, _ in cases}
        assert batches == {1, 2, 3, 4, 6, 12, 5, 10, 7, 14, 9, 20, 11, 13, 15}
        assert batches - {20} <= set(GRID_ROWS) and 20 not in GRID_ROWS
        assert set(range(1, 17)) <= set(GRID_ROWS)
        assert {t for *_, t in cases} - {10}  # step counts other than the suite's
        assert {c for c, *_ in cases} == {"lstm", "gru"}
    assert set(UNSEEN_HIDDEN) <= {h for _, h, _, _ in unseen_cases(32 * MiB)}


@pytest.mark.parametrize("llc, hidden", [
    # GRU recurrent weight 3 H^2 x 4 B against 3 x the LLC:
    (32 * MiB, 3072),   # 113,246,208 B >= 100,663,296
    (45 * MiB, 4608),   # 3072: 113 MB < 141.6 MB; 4608: 254.8 MB >= it
    (300 * MiB, 6144),  # none reaches 3 x 300 MiB: the largest
])
def test_the_past_llc_hidden_size_follows_the_calibrated_llc(llc, hidden):
    assert PAST_LLC_FACTOR == 3.0
    assert past_llc_hidden(llc) == hidden


def _arch():
    """LLC 9 MiB at 100 GB/s, DRAM 10 GB/s, compute far faster than either."""
    return architecture_from_dict({
        "name": "t",
        "memory": {"llc": {"capacity": "9 MiB", "bandwidth": "100 GB/s", "energy_per_byte": "1 pJ/B"},
                   "dram": {"capacity": "1 GB", "bandwidth": "10 GB/s", "energy_per_bit": "1 pJ/bit"}},
        "processor": {"name": "p", "cores": 1, "clock": "1 GHz", "macs_per_cycle_per_core": {"fp32": 1e6},
                      "vector_ops_per_cycle_per_core": 1e6, "energy_per_mac": {"fp32": "1 pJ"},
                      "energy_per_vector_op": "1 pJ", "static_power": "0 W"}})


def test_repeated_calls_share_weights_and_inputs_only():
    wl = repeated(gemv_workload(256, 256), 3)
    assert len(wl.ops) == 3
    assert {op.inputs for op in wl.ops} == {("x", "W")}
    assert [op.outputs for op in wl.ops] == [("y",), ("y@1",), ("y@2",)]


def test_a_weight_that_fits_the_llc_is_read_from_dram_by_the_first_call_only():
    """A 1 x 1024 x 1024 GEMV: 4 MiB of weights fit the 9 MiB LLC. One call reads them from
    DRAM (4 MiB + the 4 KiB input at 10 GB/s); in a loop of calls the second finds them in the
    LLC: (4 MiB + 4 KiB input + 4 KiB output) at 100 GB/s (the input, read again, is an
    activation of the LLC). A 2048 x 2048 GEMV (16 MiB) does not fit: every call streams it,
    4 MiB x 4 at 10 GB/s (its input was read from DRAM by the first call)."""
    arch = _arch()
    small = gemv_workload(1024, 1024)
    assert steady_latency(arch, small) == pytest.approx((4 * MiB + 8192) / 100e9, rel=1e-6, abs=0)
    big = gemv_workload(2048, 2048)
    assert steady_latency(arch, big) == pytest.approx(16 * MiB / 10e9, rel=1e-6, abs=0)


def test_an_lstm_step_reads_its_recurrent_weight_from_dram_only_in_the_first_call():
    """LSTM hidden 512, input 512, batch 1, 4 steps: W_ih and W_hh are 2048 x 512 fp32 = 4 MiB
    each. W_hh (used by 4 steps) is reused and stays in the LLC; W_ih (one matmul a call) is
    read once per call, so it streams from DRAM at every call; in the repeated loop both are
    used by more than one op and all fit (8 MiB and 32 KiB of biases in 9 MiB): the steady
    call reads no weight from DRAM. The DRAM bytes of the two-call run less those of one call are therefore none."""
    from cimsim.pipeline import simulate
    from cimsim.workload.generators import lstm

    wl = lstm(512, 512, 1, steps=4, batch=1, pointwise="aten")
    arch = _arch()
    one = simulate(arch, wl, keep_ops=False).traffic_bytes["dram"]
    two = simulate(arch, repeated(wl, 2), keep_ops=False).traffic_bytes["dram"]
    assert one >= 8 * MiB
    assert two == pytest.approx(one, rel=1e-12, abs=0)


@pytest.mark.torch
def test_the_cases_are_timed_together_and_reported_in_their_order():
    """Tiny real cases (torch, 1 thread) timed in interleaved rounds: one Case each, in the
    order of the size list, each measured (> 0 s) and predicted on the architecture given."""
    pytest.importorskip("torch")
    from cimsim.validate.host import HostSizes, host_cases

    rnn = (("lstm", 32, 1, 2), ("gru", 32, 2, 2), ("lstm", 32, 3, 2))
    cases = host_cases(HostSizes(rnn=rnn, gemv=(64, 64), transformer=None, min_time=0.003), arch=_arch(),
                       suite_name="host-unseen", tag_threads=True)
    assert [c.case for c in cases] == ["nn.LSTM H=32 B=1 T=2 threads=1", "nn.GRU H=32 B=2 T=2 threads=1",
                                       "nn.LSTM H=32 B=3 T=2 threads=1", "GEMV F.linear 1x64 @ 64x64 threads=1"]
    assert all(c.measured > 0 and c.predicted > 0 for c in cases)


def test_the_host_suites_time_cases_by_their_fastest_call_and_calibrate_by_the_setting():
    """A case is a whole workload: its fastest call, whatever CIMSIM_TIMING says; the in-process
    calibrations take CIMSIM_TIMING, else the median (a workload's calls are its ops' typical
    ones)."""
    from cimsim.validate.host import suite_timings

    for environ, calibration in (({}, "median"), ({"CIMSIM_TIMING": "min"}, "min"),
                                 ({"CIMSIM_TIMING": "median"}, "median")):
        cases, cal = suite_timings(environ)
        assert (cases.statistic, cal.statistic) == ("min", calibration), environ
