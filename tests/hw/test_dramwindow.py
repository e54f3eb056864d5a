"""The controller-window model of random DRAM accesses (cimsim.hw.memory.dramwindow): the numba
kernel against its plain-Python run, the tick skipping against stepping every tick, and the
closed forms where the window cannot bind (golden values: JEDEC / Ramulator 2 preset numbers)."""

import pytest

from cimsim.errors import ConfigError
from cimsim.hw.base import STREAM, Pattern
from cimsim.hw.memory import dramwindow as W
from cimsim.hw.memory.dram import Dram, efficiency, refresh_efficiency
from cimsim.hw.memory.jedec import TIMINGS

#: small cases: (standard, bursts per access, read fraction, read buffer, write buffer)
SMALL = [("HBM2", 4, 1.0, 16, 64), ("LPDDR5", 2, 0.5, 8, 8), ("HBM3", 2, 1.0, 32, 64),
         ("DDR5", 1, 0.5, 32, 32), ("GDDR6", 8, 0.75, 32, 16)]


@pytest.mark.parametrize("std,b,rf,rb,wb", SMALL)
def test_the_numba_kernel_equals_the_python_reference(std, b, rf, rb, wb):
    t = TIMINGS[std]
    ref = W.simulate_reference(t, b, rf, rb, wb, accesses=150)
    assert W.simulate_uncached(t, b, rf, rb, wb, accesses=150) == ref
    assert 0 < ref[0] <= 1


@pytest.mark.parametrize("std,b,rf,rb,wb", SMALL[:3])
def test_skipping_idle_ticks_is_exact(std, b, rf, rb, wb):
    t = TIMINGS[std]
    assert (W.simulate_reference(t, b, rf, rb, wb, accesses=100, skip=False)
            == W.simulate_reference(t, b, rf, rb, wb, accesses=100, skip=True))
    assert (W.simulate_uncached(t, b, rf, rb, wb, accesses=3000, skip=False)
            == W.simulate_uncached(t, b, rf, rb, wb, accesses=3000, skip=True))


def test_every_timing_set_states_the_window_timings():
    """ACT to write and write recovery in every set (> 0); LPDDR5 and its LPDDR5X-8533 part
    alone have two-part ACTs."""
    assert all(t.n_rcd_wr > 0 and t.n_wr > 0 for t in TIMINGS.values())
    assert [n for n, t in TIMINGS.items() if t.n_aad > 0] == ["LPDDR5", "LPDDR5X-8533"]


#: one-request accesses, where every access needs its own PRE + ACT: the closed form's binding
#: limit, per data bus, in CK per access (data CK = tBL):
#: HBM2: 2 pseudo-channels x (PRE 1 + ACT 2) on the row bus = 6 CK, tBL 2 -> 1/3;
#: DDR4-2400: tFAW 26 / 4 = 6.5 CK, tBL 4 -> 4 / 6.5; DDR5-4800: tFAW 48 / 4 = 12, tBL 8 -> 2/3;
#: GDDR6: tRRD_S 11, tBL 2 -> 2/11; LPDDR5: PRE + ACT-1 + ACT-2 + RD = 4 CK, tBL 2 -> 1/2
CEILINGS = [("HBM2", 2 / 6), ("DDR4", 4 / 6.5), ("DDR5", 8 / 12), ("GDDR6", 2 / 11), ("LPDDR5", 2 / 4)]


@pytest.mark.parametrize("std,util", CEILINGS)
def test_a_large_window_reaches_the_closed_form_of_one_request_accesses(std, util):
    """512 read entries: the window cannot bind, so the data-bus utilisation is the closed form's
    within 1 % (measured over 5 seeds x 20,000 accesses the spread is 0.03 ... 0.16 %, and the
    fill and drain of the window cost < 0.1 %)."""
    t = TIMINGS[std]
    assert W.simulate(std, 1, 1.0, 512, 32)[0] == pytest.approx(util, rel=0.01, abs=0)
    closed = efficiency(t, Pattern.random_access(t.burst_bytes, 1.0), 19) / refresh_efficiency(t)
    assert closed == pytest.approx(util, rel=1e-12, abs=0)


def test_command_bound_one_request_accesses_do_not_need_a_large_window():
    """HBM2 32 B reads are command-bus bound (1/3): Ramulator's own buffer (64) reaches it."""
    assert W.simulate("HBM2", 1, 1.0, 64, 64)[0] == pytest.approx(1 / 3, rel=0.01, abs=0)


def test_a_small_window_of_multi_request_accesses_is_slower_and_grows_with_the_window():
    """HBM2 128 B reads (4 requests): Ramulator 2.1 ran 14.2 / 26.4 / 29.1 GB/s at 16 / 64 / 256
    read entries (branch dramcmd's sweep); the closed form says 30.4 whatever the buffer."""
    t = TIMINGS["HBM2"]
    gb = [W.simulate("HBM2", 4, 1.0, r, 64)[0] * refresh_efficiency(t) * 2 * t.bus_bytes_per_s / 1e9
          for r in (16, 64, 256)]
    assert gb[0] < gb[1] < gb[2]
    for got, ramulator in zip(gb, (14.2, 26.4, 29.1)):
        assert got == pytest.approx(ramulator, rel=0.05, abs=0)


def test_a_level_states_its_window_and_streaming_keeps_the_closed_form():
    base = {"type": "dram", "standard": "GDDR6", "channels": 1, "capacity": "1 GB",
            "energy_per_bit": "0 pJ/bit"}
    ideal = Dram("d", Dram.Config.model_validate(base))
    win = Dram("d", Dram.Config.model_validate({**base, "read_buffer": 32}))
    assert ideal.config.read_buffer is None and win.config.write_buffer == 32
    t = TIMINGS["GDDR6"]
    rnd = Pattern.random_access(128, 1.0)
    # the ideal scheduler: closed form max(4 x 2 CK data, tRRD_S 11) = 11 CK per 128 B access:
    # 8 / 11 of the bus peak (16 bit x 14000 MT/s / 8), less refresh (4 + 30 + 211 + 30) / 3333
    assert t.n_rtp + t.n_rp + t.n_rfc + t.n_rcd == 275 and t.n_refi == 3333
    assert ideal.bytes_per_s(rnd) == pytest.approx(
        16 * 14000e6 / 8 * 8 / 11 * (1 - 275 / 3333), rel=1e-12, abs=0)
    # Ramulator 2.1, GDDR6 test case (32 / 32 entries): 15.87 GB/s
    assert win.bytes_per_s(rnd) == pytest.approx(15.87e9, rel=0.05, abs=0)
    assert win.bytes_per_s(STREAM) == ideal.bytes_per_s(STREAM)
    assert win.bytes_per_s(Pattern.stream(0.5)) == ideal.bytes_per_s(Pattern.stream(0.5))


def test_a_sub_burst_access_counts_only_its_useful_bytes():
    """A 16 B access on GDDR6's 32 B burst moves a whole burst for 16 useful bytes."""
    base = {"type": "dram", "standard": "GDDR6", "capacity": "1 GB", "energy_per_bit": "0 pJ/bit",
            "read_buffer": 32}
    d = Dram("d", Dram.Config.model_validate(base))
    assert d.bytes_per_s(Pattern.random_access(16, 1.0)) == pytest.approx(
        d.bytes_per_s(Pattern.random_access(32, 1.0)) / 2, rel=1e-12, abs=0)


@pytest.mark.parametrize("field,value", [("read_buffer", 0), ("write_buffer", 0), ("read_buffer", -4),
                                         # simulated entry by entry: 1e18 ran out of memory
                                         # with no field named (a tester, 2026-12-05)
                                         ("read_buffer", 4097), ("read_buffer", 10**18)])
def test_a_non_positive_or_huge_buffer_is_refused(field, value):
    base = {"type": "dram", "standard": "GDDR6", "capacity": "1 GB", "energy_per_bit": "0 pJ/bit",
            "read_buffer": 32} | {field: value}
    with pytest.raises((ValueError, ConfigError)):
        Dram.Config.model_validate(base)


def test_write_buffer_is_read_only_with_a_read_buffer():
    """The closed form (no read_buffer) has no buffers: a write_buffer moved nothing."""
    base = {"type": "dram", "standard": "GDDR6", "capacity": "1 GB", "energy_per_bit": "0 pJ/bit"}
    with pytest.raises(ValueError, match="write_buffer is read only with read_buffer"):
        Dram.Config.model_validate({**base, "write_buffer": 1})
    assert Dram.Config.model_validate({**base, "write_buffer": 4096, "read_buffer": 4096})


def test_row_hits_match_ramulators():
    """Row-hit rate of HBM2 random 128 B / 256 B reads, read buffer 64: Ramulator 2.1 0.707 /
    0.8486 (ramulator_runs.csv); at most (b - 1) / b = 0.75 / 0.875 (the opener misses)."""
    assert W.simulate("HBM2", 4, 1.0, 64, 64)[1] == pytest.approx(0.707, abs=0.02)
    assert W.simulate("HBM2", 8, 1.0, 64, 64)[1] == pytest.approx(0.8486, abs=0.02)


def _gbps(std, bursts, rf, rb, wb):
    t = TIMINGS[std]
    buses = t.buses_per_cmd_bus
    return W.simulate(std, bursts, rf, rb, wb)[0] * refresh_efficiency(t) * buses * t.bus_bytes_per_s / 1e9


def test_read_write_mixes_pay_for_mode_switches_like_ramulator():
    """Random 64 B accesses at 50 % reads on HBM2 (2 requests each): Ramulator 2.1 ran 14.69 GB/s
    with its test case's 64-entry write buffer and 17.13 with 128 entries (ramulator_runs.csv);
    the closed form says 20.3 for both. LPDDR5 32 B at 50 %: 4.31 GB/s (write recovery nWR 28 CK
    makes a written row's cycle long); closed form 5.98."""
    assert _gbps("HBM2", 2, 0.5, 64, 64) == pytest.approx(14.69, rel=0.03, abs=0)
    assert _gbps("HBM2", 2, 0.5, 64, 128) == pytest.approx(17.13, rel=0.03, abs=0)
    assert _gbps("LPDDR5", 1, 0.5, 32, 32) == pytest.approx(4.31, rel=0.03, abs=0)


def test_all_writes_pay_write_recovery():
    """LPDDR5 random 32 B writes alone: Ramulator 2.1 ran 4.44 GB/s (branch dramcmd's experiment,
    notes), against 5.71 for reads: a written row's cycle is tRCD + tCWL + tBL + nWR + tRP =
    15 + 9 + 2 + 28 + 15 = 69 CK, against tRC 49."""
    assert _gbps("LPDDR5", 1, 0.0, 32, 32) == pytest.approx(4.44, rel=0.03, abs=0)


@pytest.mark.parametrize("rf", [0.0, 0.5, 1.0])
def test_the_smallest_buffers_still_finish(rf):
    """One read and one write entry: every request is still served (the kernel ends)."""
    u, _ = W.simulate_uncached(TIMINGS["HBM3"], 8, rf, 1, 1, accesses=300)
    assert 0 < u < 0.5


def test_lpddr5_defers_act2_like_ramulator():
    """LPDDR5 128 B reads with 128 read entries: Ramulator 2.1 ran 11.13 GB/s, row hits 0.622
    (ramulator_runs.csv). With one 2-CK ACT (no deferred ACT-2) the model made 9.03 GB/s, row hits
    0.48: ACT-2 waits until the bus would idle or nAAD = 8 CK, and meanwhile nothing closes
    its bank."""
    assert _gbps("LPDDR5", 4, 1.0, 128, 32) == pytest.approx(11.13, rel=0.03, abs=0)
    assert W.simulate("LPDDR5", 4, 1.0, 128, 32)[1] == pytest.approx(0.622, abs=0.02)
