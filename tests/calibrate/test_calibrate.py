"""`cimsim calibrate`: a real run on this machine (quick mode) writes a config that loads
and whose numbers are plausible; the knee finder on a synthetic sweep (closed form)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from cimsim import load_architecture
from cimsim.calibrate import MiB, cache_plateau, find_knee, read_sweep_sizes, sweep_sizes


def test_knee_of_a_two_plateau_sweep():
    # 100 GB/s up to 8 MiB, 10 GB/s beyond: the threshold is sqrt(100 x 10) = 31.6 GB/s,
    # so the knee is the last 100 GB/s point and the plateau is 100 GB/s
    sizes = [2 ** k * MiB for k in range(0, 7)]  # 1 .. 64 MiB
    sweep = [(s, 100e9 if s <= 8 * MiB else 10e9) for s in sizes]
    knee, bw = find_knee(sweep, inner_bytes=0.5 * MiB, dram_bps=10e9)
    assert knee == 8 * MiB
    assert bw == 100e9


def test_knee_ignores_the_private_caches():
    # faster points at or below the private caches (inner_bytes) do not count
    sweep = [(MiB, 500e9), (2 * MiB, 50e9), (4 * MiB, 50e9), (8 * MiB, 5e9)]
    knee, bw = find_knee(sweep, inner_bytes=MiB, dram_bps=5e9)
    assert (knee, bw) == (4 * MiB, 50e9)


def test_the_knee_comes_from_the_fastest_calls_and_the_plateau_from_the_statistic():
    """The calibration looks for the knee in each size's fastest call (the cache's capacity is
    the hardware's) and takes the cache's bandwidth from the statistic's sweep up to that knee.
    Fastest calls: 100 GB/s to 16 MiB, 10 beyond: knee 16 MiB. Medians with other jobs' traffic
    over 8-16 MiB (25 GB/s there, under sqrt(90 x 10) = 30 GB/s): their own knee would be
    4 MiB; up to the fastest calls' knee their plateau is the median of 90, 90, 25, 25 = 57.5."""
    sizes = [2 ** k * MiB for k in range(0, 7)]  # 1 .. 64 MiB
    fastest = [(s, 100e9 if s <= 16 * MiB else 10e9) for s in sizes]
    median = [(s, 90e9 if s <= 4 * MiB else 25e9 if s <= 16 * MiB else 10e9) for s in sizes]
    knee = find_knee(fastest, inner_bytes=1.5 * MiB, dram_bps=10e9)[0]
    assert knee == 16 * MiB
    assert find_knee(median, inner_bytes=1.5 * MiB, dram_bps=10e9)[0] == 4 * MiB
    assert cache_plateau(median, inner_bytes=1.5 * MiB, knee=knee) == (90e9 + 25e9) / 2
    # with one statistic for both (the fastest call), the plateau is find_knee's own
    assert cache_plateau(fastest, 1.5 * MiB, knee) == find_knee(fastest, 1.5 * MiB, 10e9)[1] == 100e9
    # a knee below the peak: the peak's bandwidth alone
    assert cache_plateau(median, inner_bytes=1.5 * MiB, knee=MiB) == 90e9


def test_sweep_sizes_are_half_octaves_on_4k_pages():
    s = sweep_sizes(256 * 1024, 1 * MiB, per_octave=2)
    # 256 KiB x 2^(k/2) = 64, 90.51, 128, 181.02, 256 pages of 4 KiB, rounded
    assert s == [64 * 4096, 91 * 4096, 128 * 4096, 181 * 4096, 256 * 4096]


def test_the_dram_array_is_4x_the_llc_and_128_mib_with_quick_too():
    """find-D 5: --quick read DRAM from a 2x-LLC array (16 MiB on an 8 MiB L3), where the
    README says >= 4x the LLC and >= 128 MiB. Now its whole-octave sweep to 2x the LLC ends
    in the DRAM array: max(4 x 8 MiB, 128 MiB) = 128 MiB; a 64 MiB LLC: 256 MiB."""
    assert read_sweep_sizes(8 * MiB, quick=True) == [256 * 1024 * 2 ** k for k in range(7)] + [128 * MiB]
    assert read_sweep_sizes(64 * MiB, quick=True)[-2:] == [128 * MiB, 256 * MiB]
    full = read_sweep_sizes(8 * MiB, quick=False)  # half octaves: 256 KiB x 2^(18/2) = 128 MiB
    assert len(full) == 19 and full[-1] == 128 * MiB


@pytest.mark.slow
def test_calibrate_writes_a_plausible_config(tmp_path):
    out = tmp_path / "host.yaml"
    # one thread: on a machine shared with other jobs a 2-thread kernel whose second thread is
    # descheduled waits a scheduler quantum at its barrier, and every cache-sized read then runs
    # at a few GB/s (seen: 8.5 GB/s for both the LLC and DRAM): the physics asserted below would
    # fail for the machine's load, not for cimsim
    p = subprocess.run([sys.executable, "-m", "cimsim.cli", "calibrate", "--quick", "--threads", "1",
                        "-o", str(out)], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    text = out.read_text()
    assert "# Calibrated to this host by `cimsim calibrate" in text
    # the default statistic: an op's median call (a workload's fastest call is made of typical ones)
    assert "each figure is the median of repeated calls" in text
    arch = load_architecture(out)
    assert list(arch.memory) == ["llc", "dram"]
    dram, llc = arch.memory["dram"], arch.memory["llc"]
    assert 1e9 < dram.bandwidth < 1e12  # B/s
    assert dram.bandwidth < llc.bandwidth < 1e13
    assert 256 * 1024 <= llc.capacity <= 4 * 2 ** 30
    proc = arch.components["processor"]
    assert 1e8 < proc.clock < 1e10
    assert proc.cores == 1  # --threads 1
    # loose: other jobs share the test machine
    assert 1e7 < proc.peak_macs_per_s("fp32") < 1e14  # MAC/s
    assert 1e-8 < proc.op_overhead < 1e-3  # s
    eff = proc.mac_efficiency
    assert eff.rows == [1, 8, 64, 256]  # --quick
    # weights from 1 MiB, x4, up to the first >= 4x the LLC (and >= 64 MiB): past the cache;
    # between them from 4 to 64 MiB 9 and 30.25 MiB (sides 1536, 2816)
    assert eff.weight_bytes[0] == MiB and eff.weight_bytes[-1] >= max(4 * llc.capacity, 64 * MiB)
    whole = [w for w in eff.weight_bytes if w not in (9 * MiB, 30.25 * MiB)]
    assert all(b == 4 * a for a, b in zip(whole, whole[1:]))
    assert [w for w in eff.weight_bytes if w not in whole] == [9 * MiB, 30.25 * MiB]
    assert all(0 < f <= 1 for row in eff.fraction for f in row)


def test_calibrate_without_output_is_a_one_line_usage_error():
    p = subprocess.run([sys.executable, "-m", "cimsim.cli", "calibrate"], capture_output=True, text=True)
    assert p.returncode == 2
    assert "Traceback" not in p.stderr and len(p.stderr.strip().splitlines()) == 1


def _one_matmul(rows, k=512, n=2048):
    from cimsim.workload.ir import Op, Tensor, Workload

    return Workload("mm", [Tensor("x", (rows, k), "fp32", "input"),
                           Tensor("W", (k, n), "fp32", "weight"),
                           Tensor("y", (rows, n), "fp32", "activation")],
                    [Op("mm", "matmul", ("x", "W"), ("y",), m=rows, k=k, n=n, weight="W")])


def _arch(eff):
    from cimsim.config import architecture_from_dict

    proc = {"name": "p", "cores": 1, "clock": "1 GHz",
            "macs_per_cycle_per_core": {"fp32": 64}, "vector_ops_per_cycle_per_core": 1,
            "energy_per_mac": {"fp32": "1 pJ"}, "energy_per_vector_op": "1 pJ", "static_power": "0 W"}
    if eff is not None:
        proc["mac_efficiency"] = eff
    return architecture_from_dict({
        "name": "t", "memory": {"dram": {"capacity": "1 GB", "bandwidth": "1 PB/s",
                                         "energy_per_bit": "1 pJ/bit"}},
        "processor": proc})


def test_mac_efficiency_slows_matmuls_by_the_fraction_of_their_shape():
    """A matmul of r rows x 512 x 2048 (r x 1,048,576 MACs; a 4 MiB fp32 weight) on a
    processor of peak 1 core x 1 GHz x 64 MAC/cycle = 64 GMAC/s, memory far faster than
    compute (8.4 MB at 1 PB/s = 8 ns, overlapped). Table: rows [1, 16] x weights
    [1 MiB, 16 MiB], fractions [[0.1, 0.05], [0.8, 0.4]].
    - 16 rows, 4 MiB: log2 4 MiB is halfway between 1 and 16 MiB: 0.8 / 2 + 0.4 / 2 = 0.6;
    - 4 rows, 4 MiB: halfway in log2 rows too: (0.1 + 0.05 + 0.8 + 0.4) / 4 = 0.3375;
    - 64 rows (past the last entry), 4 MiB: the 16-row edge, 0.6;
    - 1 row by a 256 KiB weight (512 x 128, smaller than the first entry): 0.1.
    Time = MACs / (64 GMAC/s x fraction)."""
    from cimsim import simulate

    table = {"rows": [1, 16], "weight_bytes": ["1 MiB", "16 MiB"], "fraction": [[0.1, 0.05], [0.8, 0.4]]}
    peak = 64e9
    assert simulate(_arch(None), _one_matmul(16)).latency_s == pytest.approx(16 * 2 ** 20 / peak, rel=1e-3, abs=0)
    for rows, frac in ((16, 0.6), (4, 0.3375), (64, 0.6)):
        t = simulate(_arch(table), _one_matmul(rows)).latency_s
        assert t == pytest.approx(rows * 2 ** 20 / (peak * frac), rel=1e-3, abs=0), rows
    t = simulate(_arch(table), _one_matmul(1, 512, 128)).latency_s
    assert t == pytest.approx(512 * 128 / (peak * 0.1), rel=1e-3, abs=0)
    # by rows alone: one column, no weight_bytes
    by_rows = {"rows": [8, 64], "fraction": [[0.5], [1.0]]}
    t = simulate(_arch(by_rows), _one_matmul(8, 4096, 4096)).latency_s
    assert t == pytest.approx(8 * 4096 * 4096 / (peak * 0.5), rel=1e-3, abs=0)


def test_the_few_row_path_takes_a_pass_over_the_weight_per_block_of_rows():
    """Rule 5 on the same processor (64 GMAC/s peak), 4 MiB weight (512 x 2048), one weight
    column. Table rows [1, 2, 4, 8, 16], fractions [0.1, 0.2, 0.2, 0.25, 0.6]: the times of the
    few-row path with 3 rows a pass: 1 and 2 rows one pass (T = 2^20 MACs / 6.4 GMAC/s = 0.164
    ms), 4 rows two (0.328 ms), 8 rows about three (0.524 ms), up to 14 rows; then the blocked
    path (16 rows: 0.6).
    - 3 rows: one pass, the 2-row entry's time: 2 x 2^20 / (64e9 x 0.2);
    - 6 rows: two passes, the 4-row entry's time: 4 x 2^20 / (64e9 x 0.2);
    - 12 rows: four passes, 4/3 the 8-row entry's time: 4/3 x 8 x 2^20 / (64e9 x 0.25)
      (fraction 0.25 x 12/8 x 3/4 = 0.28125; rule 2 would give 0.25 + 0.35 x log2(12/8) = 0.455,
      1.6x faster);
    - 15 rows (above pass_max_rows 14): the rows interpolation, 0.25 + (0.6 - 0.25) x log2(15 / 8);
    - without rows_per_pass, 12 rows: 0.455 (rule 2)."""
    import math

    from cimsim import simulate

    base = {"rows": [1, 2, 4, 8, 16], "weight_bytes": ["4 MiB"], "fraction": [[0.1], [0.2], [0.2], [0.25], [0.6]]}
    table = {**base, "rows_per_pass": 3, "pass_max_rows": 14}
    peak, macs = 64e9, 2 ** 20
    for rows, expect in ((3, 2 * macs / (peak * 0.2)), (6, 4 * macs / (peak * 0.2)),
                         (12, 4 / 3 * 8 * macs / (peak * 0.25)), (8, 8 * macs / (peak * 0.25)),
                         (1, macs / (peak * 0.1)),
                         (15, 15 * macs / (peak * (0.25 + 0.35 * math.log2(15 / 8))))):
        assert simulate(_arch(table), _one_matmul(rows)).latency_s == pytest.approx(expect, rel=1e-3, abs=0), rows
    rule2 = 0.25 + 0.35 * math.log2(12 / 8)
    assert simulate(_arch(base), _one_matmul(12)).latency_s == pytest.approx(12 * macs / (peak * rule2), rel=1e-3,
                                                                             abs=0)


def test_a_weight_past_the_llc_runs_at_its_row_length_to_the_power_of_the_exponent():
    """Rule 6. One weight column of 64 MiB, fraction 0.5 at every row count; exponent 0.25 for
    weights of at least 32 MiB. The table's square of 64 MiB has rows of 2 sqrt(2^26) = 16 KiB.
    - a [K, N] = [2048, 8192] fp32 weight (64 MiB) stored 8192 to a row (32 KiB): 0.5 x 2^0.25;
    - the same as [8192, 2048] (rows of 8 KiB): 0.5 x 2^-0.25;
    - a [512, 2048] weight (4 MiB, under 32 MiB): 0.5, its row length does not count;
    - without the exponent: 0.5.
    Time = MACs / (64 GMAC/s x fraction)."""
    from cimsim import simulate

    base = {"rows": [1, 16], "weight_bytes": ["64 MiB"], "fraction": [[0.5], [0.5]]}
    table = {**base, "row_length_exponent": 0.25, "row_length_from": "32 MiB"}
    peak = 64e9
    for k, n, frac in ((2048, 8192, 0.5 * 2 ** 0.25), (8192, 2048, 0.5 * 2 ** -0.25), (512, 2048, 0.5)):
        t = simulate(_arch(table), _one_matmul(4, k, n)).latency_s
        assert t == pytest.approx(4 * k * n / (peak * frac), rel=1e-3, abs=0), (k, n)
    t = simulate(_arch(base), _one_matmul(4, 8192, 2048)).latency_s
    assert t == pytest.approx(4 * 8192 * 2048 / (peak * 0.5), rel=1e-3, abs=0)


def test_a_row_length_beyond_the_timed_rectangles_takes_their_edge_and_never_passes_the_peak():
    """Rule 6 at its edges, exponent 0.5 from 32 MiB, fraction 0.9 by a 64 MiB weight (square rows
    16 KiB): a [K, N] = [256, 65536] weight (rows of 256 KiB, 16x the square's) takes the timed
    ratio 2: 0.9 x 2^0.5 = 1.27, held to 1 (the peak); a [65536, 256] one (rows of 1 KiB, 1/16)
    takes 1/2: 0.9 x 2^-0.5 = 0.636."""
    from cimsim import simulate

    table = {"rows": [1, 16], "weight_bytes": ["64 MiB"], "fraction": [[0.9], [0.9]],
             "row_length_exponent": 0.5, "row_length_from": "32 MiB"}
    peak = 64e9
    for k, n, frac in ((256, 65536, 1.0), (65536, 256, 0.9 * 2 ** -0.5)):
        t = simulate(_arch(table), _one_matmul(4, k, n)).latency_s
        assert t == pytest.approx(4 * k * n / (peak * frac), rel=1e-3, abs=0), (k, n)
    from cimsim.calibrate.rowlength import shapes
    from cimsim.hw.processor import ROW_RATIO_TIMED

    (n_sq, k_sq), (n_t, k_t), (n_w, k_w) = shapes(4096).values()
    assert ROW_RATIO_TIMED == (k_t / k_sq, k_w / k_sq)  # the rectangles calibrate times


def test_the_row_length_exponent_is_the_median_over_rows_of_the_rectangles_rates():
    """Times of one weight's three shapes (the same MACs): the wide one (rows 4x the tall one's)
    at 1.10 and 1.20 x the square's rate and the tall one at 0.88 and 0.80 x, at rows 1 and 8:
    a = log2(1.10 / 0.88) / 2 = 0.161 and log2(1.20 / 0.80) / 2 = 0.292; their median 0.227."""
    import math

    from cimsim.calibrate.rowlength import fit_exponent, row_length_side, shapes

    times = {("square", 1): 1.0, ("wide", 1): 1 / 1.10, ("tall", 1): 1 / 0.88,
             ("square", 8): 1.0, ("wide", 8): 1 / 1.20, ("tall", 8): 1 / 0.80}
    a, how = fit_exponent(times)
    assert a == pytest.approx((math.log2(1.10 / 0.88) + math.log2(1.20 / 0.80)) / 4, rel=1e-12, abs=0)
    assert "1: tall 0.88x, wide 1.10x" in how
    assert shapes(4096) == {"square": (4096, 4096), "tall": (8192, 2048), "wide": (2048, 8192)}
    assert row_length_side(32 * MiB, [512, 1024, 2048, 4096, 8192]) == 4096  # 64 MiB >= 2 x 32 MiB
    assert row_length_side(300 * MiB, [512, 1024, 2048, 4096, 8192]) == 8192  # none: the largest


def test_without_weight_bytes_a_flat_fraction_list_is_one_per_rows_entry():
    """The README: `weight_bytes` optional, "without it, one fraction per rows entry"; a flat
    `fraction: [0.1, 0.5]` was refused (`fraction.0: Input should be a valid list`)."""
    flat = _arch({"rows": [1, 16], "fraction": [0.1, 0.5]})
    nested = _arch({"rows": [1, 16], "fraction": [[0.1], [0.5]]})
    assert flat.components["processor"].mac_efficiency == nested.components["processor"].mac_efficiency
    from cimsim.errors import CimsimError

    with pytest.raises(CimsimError, match=r"fraction: 2 entries \(one per rows entry\) without "
                                          r"weight_bytes, got 1"):
        _arch({"rows": [1, 16], "fraction": [0.1]})
    with pytest.raises(CimsimError, match="weight_bytes is empty"):
        _arch({"rows": [1, 16], "weight_bytes": [], "fraction": [0.1, 0.5]})


@pytest.mark.parametrize("extra, says", [
    ({"row_length_exponent": 0.1}, "give both or neither"),
    ({"row_length_exponent": 2.0, "row_length_from": "1 MiB"}, "less than or equal to 1"),
    ({"rows_per_pass": 3}, "give both or neither"),
    ({"rows_per_pass": 3, "pass_max_rows": 0}, "pass_max_rows: Input should be greater than or equal to 1"),
    ({"rows_per_pass": 3, "pass_max_rows": 1, "rows": [2, 16]}, "below the first rows entry"),
    # rule 5 past the peak (a reviewer): 0.3 at 1 row, one pass up to 8 rows: 8 rows at
    # 0.3 x 8 / 1 x ceil(1 / 8) / ceil(8 / 8) = 2.4 of the peak, faster than the processor can
    ({"rows_per_pass": 8, "pass_max_rows": 8, "fraction": [[0.3], [0.9]]},
     r"rows_per_pass 8 makes a 8-row matmul run at 2\.4 of the peak"),
])
def test_a_half_given_few_row_path_is_refused(extra, says):
    from cimsim.errors import CimsimError

    table = {"rows": [1, 16], "fraction": [[0.1], [0.5]], **extra}
    with pytest.raises(CimsimError, match=says):
        _arch(table)


def test_a_gemv_reads_the_backing_store_as_one_stream():
    """2 cores, DRAM 20 GB/s (all cores), single_stream_bandwidth 5 GB/s, compute far faster.
    A GEMV (1 x 1024 x 1024: 4 MiB of weights, 4 KiB of input and 4 KiB of output through
    DRAM, the only level) takes at least 4,202,496 B / 5 GB/s; a 2-row matmul (4 MiB + 8 KiB
    + 8 KiB) draws all cores' 20 GB/s."""
    from cimsim import simulate
    from cimsim.config import architecture_from_dict

    def arch(stream):
        proc = {"name": "p", "cores": 2, "clock": "1 GHz", "macs_per_cycle_per_core": {"fp32": 1e4},
                "vector_ops_per_cycle_per_core": 1, "energy_per_mac": {"fp32": "1 pJ"},
                "energy_per_vector_op": "1 pJ", "static_power": "0 W"}
        if stream:
            proc["single_stream_bandwidth"] = stream
        return architecture_from_dict({"name": "t", "memory": {"dram": {
            "capacity": "1 GB", "bandwidth": "20 GB/s", "energy_per_bit": "1 pJ/bit"}}, "processor": proc})

    gemv = _one_matmul(1, 1024, 1024)
    one = simulate(arch("5 GB/s"), gemv)
    assert one.latency_s == pytest.approx((4 * MiB + 8192) / 5e9, rel=1e-6, abs=0)
    # the stream is the time, not the MACs (1 MiMAC / 2e13 MAC/s = 52 ns): a memory bound
    assert (one.bound, one.bound_part) == ("memory", "processor_stream")
    assert one.path_time_s["processor_stream"] == pytest.approx(one.latency_s, rel=1e-9, abs=0)
    # the lower bounds: the stream's time is memory's, not compute's
    assert one.bound_memory_s == pytest.approx((4 * MiB + 8192) / 5e9, rel=1e-6, abs=0)
    assert one.bound_compute_s == 0.0
    plain = simulate(arch(None), gemv)
    assert plain.latency_s == pytest.approx((4 * MiB + 8192) / 20e9, rel=1e-6, abs=0)
    assert (plain.bound, plain.bound_part) == ("memory", "dram")
    two = _one_matmul(2, 1024, 1024)
    assert simulate(arch("5 GB/s"), two).latency_s == pytest.approx((4 * MiB + 16384) / 20e9, rel=1e-6, abs=0)


@pytest.mark.parametrize("gemv_macs, written", [(1.1e9, True), (1.2e9, False)])
def test_single_stream_bandwidth_is_written_when_the_gemv_draws_one_stream(gemv_macs, written):
    """2 threads; one thread reads DRAM at 4 GB/s. The 1-row matmul by the table's largest
    weight at 1.1 GMAC/s reads 4.4 GB/s of weights, within 1.15 x 4 = 4.6 GB/s: one stream,
    and the config says so; at 1.2 GMAC/s (4.8 GB/s) it draws more than one thread can, and
    the field is left out. A 1-thread calibration never writes it (its DRAM bandwidth is the
    single stream already)."""
    import yaml

    from cimsim.calibrate import to_yaml

    grid = {(1, 512): 10e9, (8, 512): 40e9, (1, 1024): gemv_macs, (8, 1024): 20e9}
    data = yaml.safe_load(to_yaml(_calibration(grid_macs_per_s=grid, dram_read_1thread_bps=4e9)))
    proc = data["processor"]
    assert ("single_stream_bandwidth" in proc) is written
    if written:
        assert proc["single_stream_bandwidth"] == "4 GB/s"
    one_thread = yaml.safe_load(to_yaml(_calibration(threads=1, dram_read_1thread_bps=None)))
    assert "single_stream_bandwidth" not in one_thread["processor"]


@pytest.mark.parametrize("eff, says", [
    ([{"max_rows": 8, "fraction": 0.5}], "no longer read"),
    ({"rows": [1, 8], "fraction": [[0.5]]}, "fraction must be 2 rows"),
    ({"rows": [8, 1], "fraction": [[0.5], [0.6]]}, "strictly ascending"),
    ({"rows": [1], "weight_bytes": ["1 MiB", "1 MiB"], "fraction": [[0.5, 0.5]]}, "strictly ascending"),
    ({"rows": [1], "fraction": [[0]]}, "greater than 0"),
    ({"rows": [1], "fraction": [[1.5]]}, "less than or equal to 1"),
    ({"rows": [1], "weight_bytes": [4096], "fraction": [[0.5]]}, "bare number"),
])
def test_a_malformed_mac_efficiency_table_is_refused(eff, says):
    from cimsim.errors import CimsimError

    with pytest.raises(CimsimError, match="mac_efficiency") as e:
        _arch(eff)
    assert says in str(e.value)


def test_calibrate_into_a_missing_directory_is_a_one_line_error(tmp_path):
    out = tmp_path / "no-such-dir" / "host.yaml"
    p = subprocess.run([sys.executable, "-m", "cimsim.cli", "calibrate", "--quick", "-o", str(out)],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 1
    assert "Traceback" not in p.stderr and len(p.stderr.strip().splitlines()) == 1
    assert "no-such-dir" in p.stderr


def test_rates_lower_than_fewer_rows_are_flagged_for_remeasuring():
    """A matmul of more rows by the same weight can always run as several of fewer rows, so
    a lower MAC rate means a disturbed measurement. 8 rows at 0.158 GMAC/s after 1 row at
    9.73 (a 2-thread run on a loaded machine, 2026-11-29) is flagged; 256 rows at 0.9 x the
    64-row rate is within the 0.8 tolerance; 16 rows is compared with the best before it."""
    from cimsim.calibrate import slower_than_fewer_rows

    rows = (1, 8, 16, 64, 256)
    g = {(1, 512): 9.73e9, (8, 512): 0.158e9, (16, 512): 7.0e9, (64, 512): 40e9, (256, 512): 36e9}
    assert slower_than_fewer_rows(g, rows, 512) == [8, 16]
    g.update({(8, 512): 23e9, (16, 512): 32e9})
    assert slower_than_fewer_rows(g, rows, 512) == []
    # the 2-thread calibration of 2026-12-03 14:27 by the 1 MiB weight: 16 rows (the blocked
    # path) at 52.6 GMAC/s after 8 rows on the few-row path at 111; with the path ending at 8
    # rows, 16 rows is compared with the rows past it only (64 rows at 130 is not below it)
    g = {(1, 512): 25.3e9, (8, 512): 111e9, (16, 512): 52.6e9, (64, 512): 130e9, (256, 512): 153e9}
    assert slower_than_fewer_rows(g, rows, 512) == [16]
    assert slower_than_fewer_rows(g, rows, 512, path_ends=8) == []
    g[(64, 512)] = 30e9  # below 0.8 x 16 rows' 52.6 on the same path: still flagged
    assert slower_than_fewer_rows(g, rows, 512, path_ends=8) == [64]


def test_a_row_count_between_may_cost_a_pass_more_but_not_more_than_calls_of_fewer_rows():
    """Every row count up to 16 is in the table: a kernel's time steps with its tile heights, so
    more rows may run fewer MAC/s (a 2-vCPU EPYC's MKL, 1 thread, 2026-12-04, by a 9 MiB
    weight: 4, 5, 6, 7, 8 rows in 467, 629, 648, 807, 659 us; 5 and 7 rows at 0.85 and 0.81 x
    4 rows' rate). What is flagged is a count slower than ceil(r / q) calls of fewer rows q:
    7 rows in 807 us against two 4-row calls' 934 is not; in 1,200 us it is (1,200 x 0.8 = 960
    > 934)."""
    from cimsim.calibrate import slower_than_fewer_rows

    us = {1: 154, 2: 310, 3: 456, 4: 467, 5: 629, 6: 648, 7: 807, 8: 659, 9: 825}
    side = 1536
    g = {(r, side): r * side * side / (t * 1e-6) for r, t in us.items()}
    rows = tuple(us)
    assert slower_than_fewer_rows(g, rows, side) == []
    g[(7, side)] = 7 * side * side / 1200e-6
    assert slower_than_fewer_rows(g, rows, side) == [7]
    g[(7, side)] = 7 * side * side / 930e-6  # under two 4-row calls (934 x 1/0.8 allowed): not flagged
    assert slower_than_fewer_rows(g, rows, side) == []
    # the rate rule it generalises: 8 rows at under 0.8 x 4 rows' rate is two 4-row calls' time / 0.8
    g[(8, side)] = 0.79 * g[(4, side)]
    assert slower_than_fewer_rows(g, rows, side) == [8]


def test_the_table_has_every_row_count_up_to_16():
    from cimsim.calibrate import GRID_ROWS, GRID_ROWS_QUICK

    assert GRID_ROWS == (*range(1, 17), 32, 64, 256)
    assert set(GRID_ROWS_QUICK) <= set(GRID_ROWS)


# --------------------------------------------------------------------------- plausibility (issue 21 item 8)
def _calibration(**changes):
    """A calibration of round numbers (2 threads at 2.5 GHz): every value plausible."""
    from cimsim.calibrate import Calibration

    values = dict(
        date="2026-12-03 08:00 UTC", host="Test CPU", backend="torch 2.13.0 (2 threads)", threads=2,
        clock_hz=2.5e9, clock_source="test", dram_read_bps=10e9, dram_triad_bps=12e9,
        dram_array_bytes=128 * MiB, llc_sysfs_bytes=32 * MiB, llc_knee_bytes=32 * MiB, llc_bytes=32 * MiB,
        llc_bps=50e9, sweep=[(16 * MiB, 50e9), (128 * MiB, 10e9)],
        matmul_macs_per_s={"fp32": 100e9, "bf16": 40e9}, matmul_n={"fp32": 512, "bf16": 512},
        grid_rows=(1, 8), grid_sides=(512, 1024),
        grid_macs_per_s={(1, 512): 10e9, (8, 512): 40e9, (1, 1024): 5e9, (8, 1024): 20e9},
        vector_ops_per_s=10e9, add_overhead_s=2e-6, mm_overhead_s=4e-6, dram_capacity_bytes=16e9)
    values.update(changes)
    return Calibration(**values)


AVX2_HOST = dict(cores=2, clock_hz=2.5e9, max_clock_hz=None, flags=frozenset({"avx", "avx2", "fma"}))


def test_the_busy_machine_values_are_implausible_and_the_message_says_why():
    """The values a busy 2-core machine wrote (issue 21): 0.004 vector ops/cycle/core, below
    0.25; an 8-row matmul at 0.09 GMAC/s, below its floor: the weight streamed from DRAM at
    1 GB/s (4 B per 8 MACs: 0.5 ns/MAC) plus 0.5 MAC/cycle/core on 2 cores at 2.5 GHz
    (0.4 ns/MAC) is 1 / 0.9 ns = 1.111 GMAC/s."""
    from cimsim.calibrate import Host, plausible

    host = Host(**AVX2_HOST)
    msg = plausible.problem("processor.vector_ops_per_cycle_per_core", "sigmoid", 0.004,
                            plausible.vector_per_cycle())
    assert "processor.vector_ops_per_cycle_per_core measured 0.004 ops/cycle/core (sigmoid)" in msg
    assert "0.25 to 64 ops/cycle/core" in msg and "\n" not in msg
    rows8 = plausible.matmul_rows_rate(host, 8)
    assert rows8.lo == pytest.approx(1 / 0.9e-9, rel=1e-6, abs=0)
    assert plausible.problem("processor.mac_efficiency", "8 rows", 0.09e9, rows8) is not None
    assert plausible.problem("processor.mac_efficiency", "8 rows", 1.2e9, rows8) is None


def test_matmul_rates_above_the_simd_peak_are_implausible():
    """AVX2: 8 fp32 lanes x 2 FMA pipes = 16 MAC/cycle/core; no cpufreq maximum, so 3x the
    stated 2.5 GHz: 2 cores x 7.5 GHz x 16 = 240 GMAC/s at most. AVX-512: 32; AMX bf16: 1024."""
    from cimsim.calibrate import Host, plausible

    host = Host(**AVX2_HOST)
    fp32 = plausible.matmul_rate(host, "fp32")
    assert fp32.hi == pytest.approx(240e9, rel=1e-6, abs=0) and fp32.lo == pytest.approx(0.5 * 2 * 2.5e9, rel=1e-6, abs=0)
    assert plausible.problem("m", "mm", 250e9, fp32) is not None
    assert plausible.problem("m", "mm", 230e9, fp32) is None
    assert Host(1, 2e9, 4e9, frozenset({"avx512f"})).peak_clock_hz == 4e9  # cpufreq's maximum when known
    assert Host(1, 2e9, None, frozenset({"avx512f"})).macs_per_cycle_max("fp32") == 32
    assert Host(1, 2e9, None, frozenset({"avx512f", "amx_bf16"})).macs_per_cycle_max("bf16") == 1024


@pytest.mark.parametrize("change, names", [
    ({}, []),
    ({"vector_ops_per_s": 0.004 * 2 * 2.5e9}, ["processor.vector_ops_per_cycle_per_core"]),
    ({"dram_read_bps": 0.5e9, "dram_triad_bps": 3e12}, ["memory.dram.bandwidth", "DRAM triad bandwidth"]),
    ({"llc_bps": 8e9}, ["memory.llc.bandwidth"]),  # a cache slower than the DRAM read (10 GB/s)
    ({"add_overhead_s": 5e-3}, ["processor.op_overhead"]),
    ({"matmul_macs_per_s": {"fp32": 1e9, "bf16": 40e9}}, ["processor.macs_per_cycle_per_core.fp32"]),
    ({"grid_macs_per_s": {(1, 512): 10e9, (8, 512): 0.09e9, (1, 1024): 5e9, (8, 1024): 20e9}},
     ["processor.mac_efficiency"]),
])
def test_the_checker_names_each_implausible_value(change, names):
    from cimsim.calibrate import Host, check_calibration

    problems = check_calibration(_calibration(**change), Host(**AVX2_HOST))
    assert [p.split(" measured ")[0] for p in problems] == names


def _sleepy_clock(seconds=0.005):
    """A clock read after a sleep: every timed call then also spans the sleep, as a call
    whose thread was descheduled does."""
    import time

    def clock():
        time.sleep(seconds)
        return time.perf_counter()

    return clock


def test_an_implausible_measurement_is_repeated_then_refused():
    """The real vector benchmark (NumPy sigmoid over 64 Ki elements) timed by a clock that sleeps
    5 ms: at most 4 x 65,536 ops / 5 ms = 52 M ops/s, 0.052 a cycle on 1 core at 1 GHz, below
    0.25: measured TRIES times, then refused in one line naming value, benchmark and range."""
    from cimsim.calibrate import (TRIES, Backend, ImplausibleMeasurement, Timing, plausible, until_plausible,
                                  vector_ops_per_s)

    be, disturbed, tries, said = Backend(prefer_torch=False), Timing(clock=_sleepy_clock()), [], []

    def once():
        tries.append(1)
        return vector_ops_per_s(be, 0.02, disturbed) / 1e9  # per cycle of 1 core at 1 GHz

    with pytest.raises(ImplausibleMeasurement) as exc:
        until_plausible("processor.vector_ops_per_cycle_per_core", "sigmoid over 64 Ki elements", once,
                        plausible.vector_per_cycle(), log=said.append)
    msg = str(exc.value)
    assert len(tries) == TRIES == 3 and len(said) == TRIES - 1 and all("again" in s for s in said)
    assert "processor.vector_ops_per_cycle_per_core measured 0.0" in msg and "sigmoid over 64 Ki" in msg
    assert "0.25 to 64 ops/cycle/core" in msg and f"in {TRIES} tries" in msg and "\n" not in msg


def test_a_disturbed_try_is_repeated_and_a_plausible_one_accepted():
    """The same benchmark disturbed in its first try only: the second, timed by the real clock
    (NumPy's sigmoid, 4 passes over 256 KiB: well above 0.25 op a cycle at 1 GHz), is kept."""
    from cimsim.calibrate import Backend, Timing, plausible, until_plausible, vector_ops_per_s

    be, tries, said = Backend(prefer_torch=False), [], []

    def once():
        timing = Timing(clock=_sleepy_clock()) if not tries else Timing()
        tries.append(1)
        return vector_ops_per_s(be, 0.02, timing) / 1e9

    value = until_plausible("processor.vector_ops_per_cycle_per_core", "sigmoid", once,
                            plausible.vector_per_cycle(), log=said.append)
    assert len(tries) == 2 and len(said) == 1 and 0.25 <= value <= 64


def test_timing_settings_are_explicit():
    """The statistic is a setting (CIMSIM_TIMING is read by the CLI at call time, not at import).
    Calls sleeping 1 ms, but every third 5 ms: minimum and median both about 1 ms; sleeping 5 ms,
    but every third 1 ms: the median about 5 ms, the minimum about 1 ms (a sleep only overshoots)."""
    import time

    from cimsim.calibrate import Timing
    from cimsim.errors import CimsimError

    assert Timing.from_env({}).statistic == "min"
    assert Timing.from_env({"CIMSIM_TIMING": "median"}).statistic == "median"
    # a calibration's default is the median (cimsim.calibrate.CALIBRATION_STATISTIC); the
    # environment still decides
    from cimsim.calibrate import CALIBRATION_STATISTIC

    assert CALIBRATION_STATISTIC == "median"
    assert Timing.from_env({}, default=CALIBRATION_STATISTIC).statistic == "median"
    assert Timing.from_env({"CIMSIM_TIMING": "min"}, default=CALIBRATION_STATISTIC).statistic == "min"
    with pytest.raises(CimsimError, match="CIMSIM_TIMING='mean' is not one of min, median"):
        Timing.from_env({"CIMSIM_TIMING": "mean"})
    calls = []

    def fn():
        calls.append(1)
        time.sleep(0.001 if len(calls) % 3 else 0.005)  # every third call slow

    fast = Timing().time(fn, min_time=0, min_reps=9, max_reps=9)
    typical = Timing(statistic="median").time(fn, min_time=0, min_reps=9, max_reps=9)
    assert 0.001 <= fast < 0.004 and 0.001 <= typical < 0.004  # 6 of 9 are fast: the median too
    calls.clear()

    def mostly_slow():
        calls.append(1)
        time.sleep(0.001 if len(calls) % 3 == 0 else 0.005)  # every third call fast

    assert Timing(statistic="median").time(mostly_slow, min_time=0, min_reps=9, max_reps=9) >= 0.005
    assert Timing().time(mostly_slow, min_time=0, min_reps=9, max_reps=9) < 0.004
    # the calls behind a statistic, for a caller that needs two statistics of the same calls
    calls.clear()
    ts = Timing(statistic="median").samples(mostly_slow, min_time=0, min_reps=9, max_reps=9)
    assert len(ts) == 9 and min(ts) < 0.004 <= 0.005 <= Timing(statistic="median").of(ts)


def test_a_bad_timing_setting_is_a_one_line_cli_error(tmp_path):
    import os

    p = subprocess.run([sys.executable, "-m", "cimsim.cli", "calibrate", "-o", str(tmp_path / "h.yaml")],
                       capture_output=True, text=True, timeout=60, env={**os.environ, "CIMSIM_TIMING": "mean"})
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1 and "'mean' is not one of 'min', 'median'" in p.stderr


def test_the_config_is_emitted_from_data_with_a_comment_per_measured_value():
    """A CPU name with quotes and a colon stays one valid YAML string; fp32 MAC/cycle/core is
    the fp32 peak (max of the square mm, 100 GMAC/s, and the table's 40) / (2 cores x 2.5 GHz)
    = 20; the 8-row, 1 MiB fraction 40/100; vector ops 10 G/s / 5 G cycles/s = 2."""
    import yaml

    from cimsim.calibrate import to_yaml
    from cimsim.config import architecture_from_dict

    cal = _calibration(host='Odd "CPU": model 9')
    text = to_yaml(cal, statistic="median")
    data = yaml.safe_load(text)
    proc = data["processor"]
    assert proc["name"] == 'Odd "CPU": model 9' and data["description"].startswith('Odd "CPU": model 9, ')
    assert proc["macs_per_cycle_per_core"] == {"fp32": 20.0, "bf16": 8.0}
    assert proc["mac_efficiency"]["fraction"] == [[0.1, 0.05], [0.4, 0.2]]
    assert proc["vector_ops_per_cycle_per_core"] == 2.0 and proc["op_overhead"] == "3 us"
    architecture_from_dict(data)
    assert "each figure is the median of repeated calls" in text
    lines = text.splitlines()
    for key in ("capacity", "bandwidth", "clock", "cores", "fp32", "vector_ops_per_cycle_per_core",
                "op_overhead", "energy_per_vector_op", "static_power"):
        assert all("  # (" in ln for ln in lines if ln.strip().startswith(f"{key}:")), key


@pytest.mark.parametrize("ratios, fit", [
    # ceil(r / 3) passes: rows 1, 2, 4, 8 at 1, 1, 2, 3 times 1 row's; 16 rows on another path
    ({1: 1.0, 2: 0.98, 4: 1.95, 8: 3.05, 16: 2.5, 64: 7.0}, (3, 8)),
    # time proportional to rows throughout: one row a pass, to the last row
    ({1: 1.0, 2: 2.0, 4: 4.0, 8: 8.0}, (1, 8)),
    # 1, 1, 2, 2: p = 2 and 3 both fit rows 1-4 (ceil(4/p) = 2), and 8 rows (2.2) fits neither
    ({1: 1.0, 2: 1.0, 4: 2.0, 8: 2.2}, None),
    # two rows only: nothing to tell passes from
    ({1: 1.0, 8: 3.0}, None),
])
def test_the_rows_per_pass_is_the_one_count_that_fits_the_tables_times(ratios, fit):
    from cimsim.calibrate.fewrows import fit_rows_per_pass

    assert fit_rows_per_pass(ratios) == fit


def test_the_few_row_path_ends_at_the_first_row_count_faster_than_its_passes():
    """3 rows a pass from 8 rows (3 passes, 3 ms): 10-14 rows at 4-5 passes (4, 4, 5 ms, and
    within 15 %: 4.3 ms), 16 rows at 3.2 ms (6 passes would be 6 ms): the path ends at 14. No
    faster row count: the last scanned. One pass is the fastest per-pass time scanned so far."""
    from cimsim.calibrate.fewrows import pass_limit

    ms = {8: 3e-3, 10: 4.3e-3, 12: 4e-3, 14: 5e-3, 16: 3.2e-3}
    assert pass_limit(ms, 3, 8) == 14
    assert pass_limit({8: 3e-3, 10: 4e-3, 12: 4e-3}, 3, 8) == 12
    assert pass_limit({8: 3e-3, 10: 2.9e-3, 12: 4e-3}, 3, 8) == 8  # 10 rows: 0.73 x 4 passes
    # the scan's 8 rows disturbed (4.5 ms, 1.5 ms a pass): alone, 9 rows (3 ms) looks like a
    # faster path; with the table's own 1 ms a pass by the same weight, the path ends at 14
    disturbed = {8: 4.5e-3, 9: 3e-3, **{m: t for m, t in ms.items() if m > 8}}
    assert pass_limit(disturbed, 3, 8) == 8
    assert pass_limit(disturbed, 3, 8, per_pass=1e-3) == 14


def test_a_fitted_few_row_path_is_written_with_its_evidence():
    import yaml

    from cimsim.calibrate import to_yaml
    from cimsim.config import architecture_from_dict

    cal = _calibration(rows_per_pass=3, pass_max_rows=14, pass_fit="fit text", pass_scan="scan text")
    text = to_yaml(cal)
    eff = yaml.safe_load(text)["processor"]["mac_efficiency"]
    assert eff["rows_per_pass"] == 3 and eff["pass_max_rows"] == 14
    assert "rows_per_pass: 3  # (D) fit text" in text and "pass_max_rows: 14  # (M) scan text" in text
    assert architecture_from_dict(yaml.safe_load(text)).components["processor"].mac_efficiency.rows_per_pass == 3
    assert "rows_per_pass" not in to_yaml(_calibration())


def test_a_measured_table_says_so_beside_the_compute_bound():
    """A 1-row matmul (1 x 512 x 2048) on a processor with a measured table at fraction 0.1:
    its time is 1,048,576 MACs / (64 GMAC/s x 0.1) = 164 µs of compute, which the table
    measured with the weights streaming; memory (8.4 MB at 1 PB/s = 8.4 ns) is far shorter. The
    bound is compute, and it says the time comes from a measured table (issue 21, item 7);
    without a table the bound is plain compute."""
    from cimsim import simulate

    from cimsim.hw.base import MEASURED_BOUND_DETAIL

    table = {"rows": [1, 16], "fraction": [[0.1], [0.8]]}
    r = simulate(_arch(table), _one_matmul(1))
    assert r.latency_s == pytest.approx(2 ** 20 / (64e9 * 0.1), rel=1e-3, abs=0)
    assert (r.bound, r.bound_part, r.bound_detail) == ("compute", "compute", MEASURED_BOUND_DETAIL)
    assert r.bound_label == "compute (measured table: includes weight streaming)"
    assert any("measured" in n for n in r.notes)
    assert r.op_table["processor_measured_compute"].tolist() == [True]
    plain = simulate(_arch(None), _one_matmul(1))
    assert (plain.bound_label, plain.bound_detail) == ("compute", "")


def _summing(n: int):
    """A real kernel: the sum of ``n`` float64 (NumPy), about n / 1e9 s on this host."""
    a = np.ones(n)
    return lambda: a.sum()


def test_rounds_keep_a_case_whose_whole_timing_was_disturbed_in_one_round():
    """Two real kernels timed in 3 interleaved rounds; in round 1 (of 0, 1, 2) case ``a`` also
    does 30x its work (a burst of load lasting all its calls of that round). Its fastest call
    over all rounds is an undisturbed one (< 10x the undisturbed kernel), and so is the median (2
    of 3 rounds are clean); timed in one go during the same burst, it is at least 10x slower."""
    from cimsim.calibrate import Timing

    base, burst_work = _summing(20_000), _summing(600_000)
    burst = [False]

    def a():
        base()
        if burst[0]:
            burst_work()

    clean = Timing().time(base, min_time=0, min_reps=30)
    for timing in (Timing(), Timing(statistic="median")):
        seen = []

        def before(i, seen=seen):
            seen.append(i)
            burst[0] = i == 1

        got = timing.time_rounds({"a": a, "b": _summing(20_000)}, rounds=3, min_time=0, min_reps=30,
                                 before_round=before)
        assert seen == [0, 1, 2] and set(got) == {"a", "b"}
        # a disturbed round does 31x the work; 10x leaves room for a loaded 2-core machine
        # (3x failed once there, 2026-12-05: 17.5 µs against 4.5 µs clean, while the burst is ~140 µs)
        assert got["a"] < 10 * clean, (timing.statistic, got, clean)
    burst[0] = True
    assert Timing().time(a, min_time=0, min_reps=10) > 10 * clean


def test_each_round_warms_a_case_up_before_timing_it():
    """Two real kernels that each pay a cold call (20x the work) when the other ran last, as a
    weight evicted from the cache by the other case: each round's untimed warm-up takes the cold
    call, so the cold calls are exactly one per case per round and no timed call is cold."""
    from cimsim.calibrate import Timing

    work, cold_work = _summing(20_000), _summing(400_000)
    last, cold = [None], []

    def case(name):
        def fn():
            if last[0] != name:
                cold.append(name)
                cold_work()
            last[0] = name
            work()
        return fn

    got = Timing().time_rounds({"x": case("x"), "y": case("y")}, rounds=4, min_time=0, min_reps=8)
    assert sorted(cold) == ["x"] * 4 + ["y"] * 4
    clean = Timing().time(work, min_time=0, min_reps=30)
    assert max(got.values()) < 3 * clean


def test_rounds_time_each_case_at_least_min_reps_times_in_all():
    from cimsim.calibrate import Timing

    calls = {"p": 0}

    def p():
        calls["p"] += 1

    Timing().time_rounds({"p": p}, rounds=3, min_time=0, min_reps=10, max_reps=1000)
    assert calls["p"] == 3 * (1 + 4)  # a warm-up and ceil(10 / 3) timed calls per round
    with pytest.raises(ValueError, match="rounds must be at least 1"):
        Timing().time_rounds({"p": p}, rounds=0)


@pytest.mark.parametrize("llc, sides", [
    # whole-octave sides until 4 x side^2 >= max(4 x LLC, 64 MiB); between each two from 4 MiB
    # (side 1024) up to 64 MiB (side 4096) the side x sqrt(2) to a multiple of 256:
    # 1448.2 -> 1536, 2896.3 -> 2816 (none between 512 and 1024)
    (8 * 2 ** 20, [512, 1024, 1536, 2048, 2816, 4096]),
    (32 * 2 ** 20, [512, 1024, 1536, 2048, 2816, 4096, 8192]),  # 4 x 32 MiB: 256 MiB
    (300 * 2 ** 20, [512, 1024, 1536, 2048, 2816, 4096, 8192, 16384]),  # capped at 1 GiB
])
def test_the_table_has_a_weight_column_about_every_doubling_from_4_to_64_mib(llc, sides):
    from cimsim.calibrate import grid_sides
    from cimsim.calibrate.emit import _mib

    assert grid_sides(llc) == sides
    # 4 x 2816^2 = 31,719,424 B = 30.25 MiB exactly; whole MiB without decimals
    assert [_mib(4 * s * s) for s in sides[2:5]] == ["9 MiB", "16 MiB", "30.25 MiB"]
    assert _mib(4 * 704 * 704) == "1.890625 MiB"  # any byte count is written exactly


@pytest.mark.parametrize("reuse, capacity", [(None, 32 * MiB), (16 * MiB, 16 * MiB), (64 * MiB, 32 * MiB)])
def test_the_calibrated_config_states_the_usable_llc_as_an_lru_cache(reuse, capacity):
    # the config's LLC is the reported size, or less where a repeated read keeps less at the
    # cache's speed (hw/lru.py; calibrate/sweep.py reuse_capacity)
    import yaml

    from cimsim.calibrate.emit import to_yaml
    from cimsim.config import architecture_from_dict

    d = yaml.safe_load(to_yaml(_calibration(llc_reuse_bytes=reuse)))
    assert d["memory"]["llc"]["capacity"] == f"{capacity} B"
    assert d["memory"]["llc"]["replacement"] == "lru"
    assert d["processor"]["mac_efficiency"]["cold_from"] == f"{capacity} B"
    architecture_from_dict(d)  # and it loads
