"""DRAM rows (find-D): a row size per preset, large random accesses through the controller
window spread over bank groups and pseudo-channels (D 1), activation energy (D 5), and the
timing rules of D 4. Closed-form arithmetic in each test."""

from __future__ import annotations

import copy
import dataclasses

import numpy as np
import pytest

from cimsim import bundled, simulate
from cimsim.config import apply_overrides, architecture_from_dict, read_yaml
from cimsim.hw.base import STREAM
from cimsim.hw.memory.dram import efficiency, refresh_efficiency
from cimsim.hw.memory.dramwindow import GRANULE_BYTES, simulate_uncached, spread, traffic
from cimsim.hw.memory.jedec import TIMINGS
from cimsim.hw.pattern import Pattern
from test_patterns import NBYTES, _gather  # 4096 rows of 64 B copied from DRAM


def test_every_preset_states_its_jedec_row_size():
    """Page size per device x devices on the bus: DDR4 x8 1 KB x 8, DDR5 x8 1 KB x 4, LPDDR5 /
    GDDR6 x16 2 KB, HBM2 / HBM3 1 KB per pseudo-channel."""
    want = {"DDR4": 8192, "DDR5": 4096, "LPDDR5": 2048, "GDDR6": 2048, "HBM2": 1024, "HBM3": 1024}
    assert {k: TIMINGS[k].row_bytes for k in want} == want
    assert all(t.row_bytes % t.burst_bytes == 0 for t in TIMINGS.values())


def test_an_access_up_to_the_granule_is_one_row_of_one_bank_and_a_larger_one_rotates():
    t = TIMINGS["HBM2"]  # 32 B bursts, 2 pseudo-channels x 4 bank groups = 8 units
    g = GRANULE_BYTES // t.burst_bytes
    bus, bank, row, wr = traffic(t, 50, 1.0)
    b_bus, b_bank, b_row, _ = spread(t, g, bus, bank, row, wr)  # 512 B: as Ramulator's runs
    assert np.array_equal(b_bus.reshape(50, g), np.repeat(bus[:, None], g, 1))
    assert np.array_equal(b_bank.reshape(50, g), np.repeat(bank[:, None], g, 1))
    assert np.array_equal(b_row.reshape(50, g), np.repeat(row[:, None], g, 1))
    # 8 KB = 16 granules: 8 distinct (bus, bank group) units, each twice (its 1 KB row)
    n = 8192 // t.burst_bytes
    s_bus, s_bank, s_row, _ = spread(t, n, bus[:1], bank[:1], row[:1], wr[:1])
    units = {(int(a), int(b) // (t.banks // t.bank_groups)) for a, b in zip(s_bus, s_bank)}
    assert len(units) == t.buses_per_cmd_bus * t.bank_groups == 8
    assert len(set(s_row.tolist())) == 1  # 8 KB / 8 units = 1 KB each: one row


@pytest.mark.slow
def test_large_random_accesses_are_never_slower_per_byte_and_tend_to_the_stream_rate():
    """The tester's table (HBM2, read_buffer 64): 8 KB random was 0.31 of the stream, 4 KB 0.40,
    1 KB 0.64. Past the 512 B granule the rate may not fall with the size and reaches the
    stream's: tBL 2 = max(tCCD_S 2, tCCD_L 4 / 4 groups), so a stream loses only refresh."""
    t = TIMINGS["HBM2"]
    stream = efficiency(t, STREAM, 19)
    share = [efficiency(t, Pattern.random_access(s), 19, 64, 64) / stream
             for s in (512, 1024, 2048, 4096, 8192)]
    assert all(b >= a - 0.01 for a, b in zip(share, share[1:]))
    assert share[-1] >= 0.95  # was 0.31
    assert share[1] >= efficiency(t, Pattern.random_access(256), 19, 64, 64) / stream - 0.01


def test_one_contiguous_megabyte_access_runs_at_the_data_bus_rate():
    """One 1 MB access (32,768 bursts of 32 B) spread over HBM2's 8 units with no conflicts:
    data-bus utilisation -> 1 (it was one bank of one pseudo-channel: tCCD_L 4 per 2-CK burst,
    under 0.5); each unit reads its 128 KB row after row, one activation per 32 bursts."""
    util, hits = simulate_uncached(TIMINGS["HBM2"], 32768, 1.0, 64, 64, accesses=1)
    assert util == pytest.approx(1.0, abs=0.02)
    assert hits == pytest.approx(1 - 32 / 1024, rel=1e-12, abs=0)  # one ACT per 1 KB row of 32 bursts


def test_n_rfc_zero_is_no_refresh():
    """DDR5 with n_rfc 0: E_ref 1, so a stream is the peak (tBL 8 = tCCD_S 8 >= tCCD_L 12 /
    8): 19.2 GB/s a sub-channel (it lost (18 + 34 + 34) / 9375 = 0.92 %)."""
    t = dataclasses.replace(TIMINGS["DDR5"], n_rfc=0)
    assert refresh_efficiency(t) == 1.0
    assert efficiency(t, STREAM, 19) == pytest.approx(1.0, rel=1e-12, abs=0)


@pytest.fixture(scope="module")
def gpu():
    return read_yaml(bundled.resolve_config("gpu-hbm3"))


def _arch(data, **level):
    d = copy.deepcopy(data)
    d["memory"]["dram"] = {"type": "dram", "standard": "HBM2", "channels": 16, "capacity": "80 GB",
                           "latency": "500 ns", "energy_per_bit": "3.9 pJ/bit", **level}
    return architecture_from_dict(apply_overrides(d, {"memory.sram.bandwidth": "1000 TB/s"}))


def test_n_wtr_s_over_n_wtr_l_is_refused(gpu):
    with pytest.raises(Exception, match="n_wtr_l 10 is under n_wtr_s 30"):
        _arch(gpu, timings={"n_wtr_s": 30, "n_wtr_l": 10})


def test_activation_energy_is_charged_per_random_access_beyond_the_streams_share(gpu):
    """HBM2 (1 KB row, 32 B burst) at 3.9 pJ/bit, 1 nJ per ACT/PRE: a 64 B access opens one row
    where a stream opens 64 / 1024 of one, so it pays 1 - 1/16 = 0.9375 nJ beyond the
    streaming figure: per access 64 x 8 x 3.9 pJ + 0.9375 nJ. Unset: the streaming figure and a
    note; a stream is charged as given either way."""
    wl = _gather({"access_bytes": 64})
    plain = simulate(_arch(gpu), wl)
    act = simulate(_arch(gpu, energy_per_activation="1 nJ"), wl)
    assert plain.energy_breakdown_j["dram"] == pytest.approx(NBYTES * 8 * 3.9e-12, rel=1e-12, abs=0)
    per = 64 * 8 * 3.9e-12 + 1e-9 * (1 - 64 / 1024)
    assert act.energy_breakdown_j["dram"] == pytest.approx(NBYTES / 64 * per, rel=1e-12, abs=0)
    assert any("activation energy is not charged" in n for n in plain.notes)
    assert not any("activation energy" in n for n in act.notes)
    stream = simulate(_arch(gpu, energy_per_activation="1 nJ"), _gather({}))
    assert stream.energy_breakdown_j["dram"] == pytest.approx(NBYTES * 8 * 3.9e-12, rel=1e-12, abs=0)
    assert not any("activation energy" in n for n in stream.notes)
