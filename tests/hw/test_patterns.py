"""Ops state their access pattern (issue 20 item 2, last part): per-op ``access_bytes`` /
``read_fraction`` (op tags, OpArrays columns) reach the engine as per-op rates on memory
levels whose rate depends on the pattern.

Golden values are closed-form DDR5-4800 arithmetic from the preset's timings (Ramulator 2's
DDR5 preset, hw/memory/jedec.py; the same numbers tests/hw/test_memory.py spells out), never
the model's output pasted back.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

from cimsim import bundled, simulate
from cimsim.config import apply_overrides, architecture_from_dict, read_yaml
from cimsim.errors import WorkloadError
from cimsim.pipeline import pattern_scale, place_and_cost, resource_rates
from cimsim.workload.arrays import op_arrays, op_arrays_reference
from cimsim.workload.builder import WorkloadBuilder

ROWS, WIDTH = 4096, 32  # 4096 rows of 32 fp16 = 64 B each
NBYTES = ROWS * WIDTH * 2
CHANNELS = 16
PEAK = CHANNELS * 19.2e9  # DDR5-4800 sub-channel: 32 bits x 4800 MT/s
E_REF = 1 - (18 + 34 + 710 + 34) / 9375  # tRTP + tRP + tRFC + tRCD over tREFI


@pytest.fixture(scope="module")
def gpu():
    return read_yaml(bundled.resolve_config("gpu-hbm3"))


def _arch(data, dram: bool):
    d = copy.deepcopy(data)
    if dram:
        d["memory"]["dram"] = {"type": "dram", "standard": "DDR5", "channels": CHANNELS,
                               "capacity": "80 GB", "latency": "500 ns", "energy_per_bit": "3.9 pJ/bit"}
    # on-chip SRAM far faster than the DRAM, so the op's time is its DRAM transfer
    return architecture_from_dict(apply_overrides(d, {"memory.sram.bandwidth": "1000 TB/s"}))


def _gather(tags):
    """One copy of 4096 rows that start in DRAM (a model input) into an activation."""
    b = WorkloadBuilder("gather")
    b.tensor("rows", (ROWS, WIDTH), "fp16", "input")
    b.tensor("x", (ROWS, WIDTH), "fp16")
    b.op("embed", "copy", ["rows"], ["x"], tags=tags)
    return b.build()


def _dram_time(arch, wl, engine="des"):
    """Latency less the op's fixed latency and SRAM time: the DRAM transfer."""
    _, table = place_and_cost(arch, wl)
    assert table.compute_s[0] == 0
    assert table.bytes_of("dram")[0] == NBYTES
    sram = table.bytes_of("sram")[0] / 1e15
    return simulate(arch, wl, engine=engine).latency_s - table.latency_s[0], sram


@pytest.mark.parametrize("engine", ["des", "analytic"])
def test_streaming_op_takes_the_refresh_limited_time(gpu, engine):
    t, sram = _dram_time(_arch(gpu, True), _gather({}), engine)
    assert t == pytest.approx(NBYTES / (PEAK * E_REF), rel=1e-9, abs=0)
    assert t > sram


@pytest.mark.parametrize("engine", ["des", "analytic"])
def test_gather_of_64_byte_rows_takes_the_tfaw_limited_time(gpu, engine):
    # DDR5-4800, 64 B random: one 8-tCK burst, but activations at most one per
    # max(tRRD_S 8, tFAW 48 / 4 = 12, tRC / banks) = 12 tCK: 8/12 of the bus, then refresh
    t, _ = _dram_time(_arch(gpu, True), _gather({"access_bytes": 64}), engine)
    assert t == pytest.approx(NBYTES / (PEAK * 8 / 12 * E_REF), rel=1e-9, abs=0)


@pytest.mark.parametrize("engine", ["des", "analytic"])
def test_write_heavy_op_takes_the_turnaround_limited_time(gpu, engine):
    # a quarter reads: min(r, 1 - r) / 19 turnaround pairs of 4 + 40 idle tCK per 8-tCK burst
    t, _ = _dram_time(_arch(gpu, True), _gather({"read_fraction": 0.25}), engine)
    assert t == pytest.approx(NBYTES / (PEAK * 8 / (8 + 44 * 0.25 / 19) * E_REF), rel=1e-9, abs=0)


def test_a_burst_sized_gather_changes_time_not_energy(gpu):
    arch = _arch(gpu, True)
    base = simulate(arch, _gather({}))
    gath = simulate(arch, _gather({"access_bytes": 64}))
    assert gath.latency_s > base.latency_s
    assert gath.energy_breakdown_j["dram"] == base.energy_breakdown_j["dram"]
    assert gath.traffic_bytes == base.traffic_bytes


@pytest.mark.parametrize("access, moved", [(1, 64), (32, 64), (96, 128), (128, 128)])
def test_a_random_access_smaller_than_a_burst_pays_the_bursts_energy(gpu, access, moved):
    """DDR5's burst is 32 bits x BL16 = 64 B: an access of S bytes moves ceil(S / 64) x 64 on
    the bus, so its DRAM energy per useful byte is 3.9 pJ/bit x 8 x moved / S (it was the
    streaming figure whatever the pattern: 1 B accesses cost as much as a stream)."""
    arch = _arch(gpu, True)
    r = simulate(arch, _gather({"access_bytes": access}))
    assert r.energy_breakdown_j["dram"] == pytest.approx(NBYTES * 8 * 3.9e-12 * moved / access, rel=1e-12, abs=0)
    assert r.traffic_bytes["dram"] == NBYTES  # traffic counts the useful bytes, as before


def _arch_timings(data, **timings):
    d = copy.deepcopy(data)
    d["memory"]["dram"] = {"type": "dram", "standard": "DDR5", "channels": CHANNELS, "capacity": "80 GB",
                           "latency": "500 ns", "energy_per_bit": "3.9 pJ/bit", "timings": timings}
    return architecture_from_dict(apply_overrides(d, {"memory.sram.bandwidth": "1000 TB/s"}))


@pytest.mark.parametrize("timings, stream, gather64", [
    # tFAW 64: activations one per max(8, 64 / 4 = 16, 111 / 32) = 16 tCK: 8/16 of the bus
    ({"n_faw": 64}, E_REF, 8 / 16 * E_REF),
    # tREFI twice as long: refresh takes (18 + 34 + 710 + 34) / 18750 of the time
    ({"n_refi": 18750}, 1 - 796 / 18750, 8 / 12 * (1 - 796 / 18750)),
    # a 6400 MT/s bin, the same cycle counts: peak x 6400 / 4800 (the CK only sets the latency)
    ({"rate_mtps": 6400, "tck_ps": 312}, E_REF * 6400 / 4800, 8 / 12 * E_REF * 6400 / 4800),
])
def test_a_levels_own_timings_move_the_ceilings_as_jedec_arithmetic_says(gpu, timings, stream, gather64):
    """DDR5-4800's preset with the level's own values over it (``timings``): streaming and
    64 B random ceilings in closed form, as for the preset above."""
    arch = _arch_timings(gpu, **timings)
    t, _ = _dram_time(arch, _gather({}))
    assert t == pytest.approx(NBYTES / (PEAK * stream), rel=1e-9, abs=0)
    t, _ = _dram_time(arch, _gather({"access_bytes": 64}))
    assert t == pytest.approx(NBYTES / (PEAK * gather64), rel=1e-9, abs=0)


@pytest.mark.parametrize("timings, msg", [
    ({"n_fawx": 64}, "timings: unknown timing 'n_fawx'; did you mean 'n_faw'\\? .*; allowed: rate_mtps"),
    ({"n_faw": 6.5}, "timings: n_faw = 6.5 is not allowed; it must be a whole number >= 0"),
    ({"n_bl": 0}, "timings: n_bl = 0 is not allowed; it must be a whole number > 0"),
    ({"name": 1}, "timings: unknown timing 'name'"),
    # rules between timings that every preset meets (a refresh of DDR5: 18 + 34 + 710 + 34 CK)
    ({"n_refi": 500}, "timings: a refresh costs n_rtp \\+ n_rp \\+ n_rfc \\+ n_rcd = 796 CK, at "
                      "least n_refi \\(500\\): no time is left for data; n_refi must exceed 796"),
    # 16 beats in 8 clocks of 0.416 ns are 4808 MT/s, not 6400 (the clock moves with the rate)
    ({"rate_mtps": 6400}, "timings: rate_mtps 6400 is not the clock's: burst_length 16 beats in "
                          "n_bl 8 clocks of tck_ps 416 move 4808 MT/s"),
    ({"tck_ps": 312}, "timings: rate_mtps 4800 is not the clock's"),
    # a 31-digit rate in short (a 300-digit one made a 519-character line); no timing is past
    # 1e12 (a 1e300 CK refresh printed a 300-digit number in its own rule's message)
    ({"rate_mtps": 10**30}, "timings: rate_mtps = 1e\\+30 is not allowed; it must be a whole number "
                            "> 0, at most 1e\\+12"),
    ({"n_rfc": 1e300}, "timings: n_rfc = 1e\\+300 is not allowed; it must be a whole number >= 0, "
                       "at most 1e\\+12"),
    ({"burst_length": 3, "n_bl": 1, "tck_ps": 625, "bus_bits": 20},
     "timings: a burst of bus_bits 20 x burst_length 3 is not whole bytes"),
    ({"density_mbit": 1}, "timings: density_mbit is the preset's die density, stated for reference; "
                          "it moves nothing"),
    # 8 groups of DDR5's 32 banks; 64 groups of 32 banks, or 3 groups, ran in silence
    ({"bank_groups": 64}, "timings: banks 32 are not a whole number of bank groups \\(64\\)"),
    ({"bank_groups": 3}, "bank_groups must divide banks"),
])
def test_a_bad_timing_is_a_one_line_error(gpu, timings, msg):
    from cimsim.errors import ConfigError

    with pytest.raises(ConfigError, match=msg) as e:
        _arch_timings(gpu, **timings)
    assert "\n" not in str(e.value) and "memory.dram" in str(e.value)


def test_same_workload_on_a_fixed_level_is_unchanged(gpu):
    arch = _arch(gpu, False)
    assert arch.hardware.resource("dram").type_name == "fixed"
    base = simulate(arch, _gather({}))
    for tags in ({"access_bytes": 64}, {"read_fraction": 0.25}, {"access_bytes": 32, "read_fraction": 0}):
        wl = _gather(tags)
        assert pattern_scale(arch, wl.arrays, resource_rates(arch)) is None  # the fast path
        r = simulate(arch, wl)
        assert r.latency_s == base.latency_s
        assert r.energy_j == base.energy_j


def test_pattern_columns_default_to_streaming_reads():
    wl = _gather({})
    a = wl.arrays
    assert a.access_bytes is None and a.read_fraction is None and a.streams
    a = _gather({"access_bytes": 64, "read_fraction": 0.5}).arrays
    assert a.access_bytes.tolist() == [64.0] and a.read_fraction.tolist() == [0.5]
    assert not a.streams


def test_pattern_columns_match_the_reference_loop():
    b = WorkloadBuilder("mixed")
    for i in range(4):
        b.tensor(f"t{i}", (8, 8), "fp16", "input" if i == 0 else "activation")
    b.op("a", "copy", ["t0"], ["t1"], tags={"access_bytes": 128})
    b.op("b", "copy", ["t1"], ["t2"])
    b.op("c", "copy", ["t2"], ["t3"], tags={"read_fraction": 0.5, "layer": 1})
    wl = b.build()
    fast, ref = op_arrays(wl), op_arrays_reference(wl)
    np.testing.assert_array_equal(fast.access_bytes, [128, 0, 0])
    # NaN: the op states none (its read share comes from the cost table, per resource)
    np.testing.assert_array_equal(fast.read_fraction, [np.nan, np.nan, 0.5])
    np.testing.assert_array_equal(fast.access_bytes, ref.access_bytes)
    np.testing.assert_array_equal(fast.read_fraction, ref.read_fraction)


@pytest.mark.parametrize("tags,msg", [({"access_bytes": -1}, "access_bytes = -1"),
                                      ({"access_bytes": 0.5}, "access_bytes = 0.5"),
                                      ({"read_fraction": 1.5}, "read_fraction = 1.5"),
                                      ({"access_bytes": 64, "random_read_bytes": -1},
                                       "random_read_bytes = -1")])
def test_bad_pattern_tag_is_a_one_line_error(tags, msg):
    with pytest.raises(WorkloadError, match=rf"workload 'gather': op 'embed' \(#\d+\): tag {msg} is not allowed") as e:
        _gather(tags).arrays
    assert "\n" not in str(e.value)


@pytest.mark.parametrize("tags", [{"access_bytes": True}, {"access_bytes": "64B"},
                                  {"read_fraction": "0.25"}, {"store_bytes": "1 MB"},
                                  {"random_read_bytes": "64B"},
                                  {"store_bytes": None}])
def test_a_pattern_tag_that_is_not_a_number_is_refused_not_read_as_streaming(tags):
    """A string, a bool or null was read as the default (streaming, no store): a 64 B gather
    written as "64B" ran at the streaming rate with no word."""
    (key, value), = tags.items()
    with pytest.raises(WorkloadError, match=rf"op 'embed' \(#\d+\): tag {key} = {value!r} is not a number"):
        _gather(tags).arrays


def test_a_store_of_more_than_the_op_writes_is_refused():
    """The op writes ROWS x WIDTH fp16 = 256 KiB; a cache append stores at most that."""
    out = ROWS * WIDTH * 2
    assert _gather({"store_bytes": out}).arrays.store_bytes.tolist() == [out]
    with pytest.raises(WorkloadError, match=f"tag store_bytes = {out + 1} is more than the op writes "
                                            f"\\({out} bytes of outputs\\)"):
        _gather({"store_bytes": out + 1}).arrays


@pytest.mark.parametrize("suffix", [".json", ".npz"])
def test_pattern_tags_survive_save_and_load_and_are_absent_by_default(tmp_path, suffix):
    from cimsim.workload.io import load_workload, save_workload

    tagged = _gather({"access_bytes": 64, "read_fraction": 0.25})
    save_workload(tagged, tmp_path / f"t{suffix}")
    back = load_workload(tmp_path / f"t{suffix}").arrays
    assert back.access_bytes.tolist() == [64.0] and back.read_fraction.tolist() == [0.25]
    # a workload stating no pattern writes no pattern: the file is the one written before
    plain = _gather({})
    save_workload(plain, tmp_path / f"p{suffix}")
    raw = (tmp_path / f"p{suffix}").read_bytes()
    assert b"access_bytes" not in raw and b"read_fraction" not in raw
    assert load_workload(tmp_path / f"p{suffix}").arrays.streams


def test_memory_bound_counts_the_pattern_rate(gpu):
    arch = _arch(gpu, True)
    r = simulate(arch, _gather({"access_bytes": 64}))
    assert r.bound_memory_s == pytest.approx(NBYTES / (PEAK * 8 / 12 * E_REF), rel=1e-9, abs=0)
    assert simulate(arch, _gather({})).bound_memory_s == pytest.approx(NBYTES / (PEAK * E_REF), rel=1e-9, abs=0)


@pytest.mark.parametrize("engine", ["des", "analytic"])
def test_only_the_stated_random_bytes_take_the_random_rate(gpu, engine):
    """A quarter of the op's bytes random (tag random_read_bytes: a gather's rows), the rest
    streamed (its ids, its output): each share at its own rate. Before, every byte took the
    random rate, NBYTES / (PEAK x 8/12 x E_REF)."""
    arch = _arch(gpu, True)
    t, _ = _dram_time(arch, _gather({"access_bytes": 64, "random_read_bytes": NBYTES // 4}), engine)
    assert t == pytest.approx(NBYTES / 4 / (PEAK * 8 / 12 * E_REF) + NBYTES * 3 / 4 / (PEAK * E_REF),
                              rel=1e-9, abs=0)
    # random writes count only against the op's writes on the level: here it only reads there
    t, _ = _dram_time(arch, _gather({"access_bytes": 64, "random_write_bytes": NBYTES}), engine)
    assert t == pytest.approx(NBYTES / (PEAK * E_REF), rel=1e-9, abs=0)


def test_only_the_stated_random_bytes_pay_the_bursts_energy(gpu):
    # 32 B accesses move a 64 B burst each: the random half at 2x, the streamed half at 1x
    r = simulate(_arch(gpu, True), _gather({"access_bytes": 32, "random_read_bytes": NBYTES // 2}))
    assert r.energy_breakdown_j["dram"] == pytest.approx(NBYTES * 8 * 3.9e-12 * (0.5 * 2 + 0.5), rel=1e-12, abs=0)


def test_random_bytes_on_a_streaming_op_are_refused():
    with pytest.raises(WorkloadError, match=r"op 'embed' \(#\d+\): tags random_read_bytes / random_write_bytes "
                                            "need access_bytes") as e:
        _gather({"random_read_bytes": 64}).arrays
    assert "\n" not in str(e.value)
