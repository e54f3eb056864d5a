"""DRAM rows (find-D): a row size per preset, large random accesses through the controller
window spread over bank groups and pseudo-channels (D 1; review 22 D 1, D 2: rows move on to
the group's next bank, granules as equal as whole bursts allow), activation energy (D 5;
review 22 D 3, D 4: the layout's rows, a note only where it would change the energy), and the
timing rules of D 4 (review 22 D 7: bounds). Closed-form arithmetic in each test."""

from __future__ import annotations

import copy
import dataclasses

import numpy as np
import pytest

from cimsim import bundled, simulate
from cimsim.config import apply_overrides, architecture_from_dict, read_yaml
from cimsim.hw.base import STREAM
from cimsim.hw.memory.dram import (GRANULE_BYTES, Dram, efficiency, granules, refresh_efficiency,
                                   rows_opened)
from cimsim.hw.memory.dramwindow import simulate as window, simulate_uncached, spread, traffic
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


def test_granules_are_as_equal_as_whole_bursts_allow():
    """HBM2 (32 B bursts, 16-burst granule): 544 B = 17 bursts is 9 + 8, not 16 + a lone burst
    (which opened a row for one burst: GDDR6 512 B 0.709 of the stream, 544 B 0.631)."""
    t = TIMINGS["HBM2"]
    assert granules(t, 16) == [16]
    assert granules(t, 17) == [9, 8]
    assert granules(t, 33) == [11, 11, 11]
    assert sum(granules(t, 1001)) == 1001 and max(granules(t, 1001)) - min(granules(t, 1001)) <= 1


def test_past_a_row_a_unit_moves_on_to_the_next_bank_of_its_group():
    """DDR5 (1 bus, 8 groups of 4 banks, 64 B bursts, 4 KB row, 8-burst granule): 64 KB = 128
    granules, 16 on each group = 8 KB = 2 rows: the second in the group's next bank (the same
    row index), not row + 1 of the same bank, which a deep window closed and reopened."""
    t = TIMINGS["DDR5"]
    bus, bank, row, wr = (np.array([0]), np.array([5]), np.array([100]), np.array([0]))
    s_bus, s_bank, s_row, _ = spread(t, 1024, bus, bank, row, wr)
    first = s_bank // 4 == 1  # the group of bank 5
    assert first.sum() == 128  # 8 KB of 64 B bursts
    assert set(s_bank[first][:64].tolist()) == {5} and set(s_bank[first][64:].tolist()) == {6}
    assert set(s_row.tolist()) == {100}
    assert rows_opened(t, 1024) == 16  # 8 groups x 2 rows = 64 KB / 4 KB


@pytest.mark.parametrize("std", list(TIMINGS))
def test_one_contiguous_megabyte_access_runs_at_the_data_bus_rate_with_any_buffer(std):
    """One 1 MB access: each bank group of each bus reads its share row after row, one
    activation per row, so the row-hit rate is 1 - burst / row_bytes (DDR5 1 - 64 / 4096; it
    was 0.455 at 1024 entries) and, with 256 or 1024 entries, the data bus is busy >= 0.99 of
    the time (HBM2 0.94, GDDR6 0.88 at 256 entries). At 1024 entries HBM's and LPDDR5's window
    holds two rows of one bank and reopens some; the bus stays busy."""
    t = TIMINGS[std]
    b = (1 << 20) // t.burst_bytes
    for rb in (32, 256):
        util, hits = simulate_uncached(t, b, 1.0, rb, rb, accesses=1)
        assert hits == pytest.approx(1 - t.burst_bytes / t.row_bytes, rel=1e-12, abs=0)
    assert util >= 0.99
    assert simulate_uncached(t, b, 1.0, 1024, 1024, accesses=1)[0] >= 0.99


#: the README's buffers per preset (read, write), 32 / 32 (Ramulator 2's default) for the rest
BUFFERS = {"HBM2": (64, 64), "HBM2E": (64, 64), "HBM2E-A100": (64, 64), "HBM3": (128, 64)}


@pytest.mark.slow
@pytest.mark.parametrize("std", list(TIMINGS))
def test_past_the_granule_no_size_is_slower_than_512_bytes_and_one_burst_costs_little(std):
    """Whole-burst sizes past 512 B, powers of two and not: none slower per byte than 512 B
    (GDDR6 544 B was 0.631 against 0.709), one burst past a whole granule at most 2.5 % slower
    (it was up to 11 %), and 64 KB within 4 % of the stream (HBM2E 0.962, GDDR6 0.966: the
    window's depth). The rate is not monotone: with k granules it falls as they lengthen
    (HBM2 544 B 0.888, 992 B 0.837: a granule's bursts in one bank group wait tCCD_L)."""
    t = TIMINGS[std]
    rb, wb = BUFFERS.get(std, (32, 32))
    stream = efficiency(t, STREAM, 19)

    def share(size):
        return efficiency(t, Pattern.random_access(size), 19, rb, wb) / stream

    base = share(512)
    burst = t.burst_bytes
    for size in (768, 1536, 3000 // burst * burst):
        assert share(size) >= base - 0.005
    for whole in (512, 1024, 2048, 4096):
        assert share(whole + burst) >= min(base, share(whole) - 0.025)
    assert share(65536) >= 0.96


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
    note with the energy at 1 nJ; a stream is charged as given either way."""
    wl = _gather({"access_bytes": 64})
    plain = simulate(_arch(gpu), wl)
    act = simulate(_arch(gpu, energy_per_activation="1 nJ"), wl)
    assert plain.energy_breakdown_j["dram"] == pytest.approx(NBYTES * 8 * 3.9e-12, rel=1e-12, abs=0)
    per = 64 * 8 * 3.9e-12 + 1e-9 * (1 - 64 / 1024)
    assert act.energy_breakdown_j["dram"] == pytest.approx(NBYTES / 64 * per, rel=1e-12, abs=0)
    assert NBYTES / 64 == 4096  # accesses: 4096 x 0.9375 nJ = 3.84 uJ uncharged
    note = [n for n in plain.notes if "activations are not charged" in n]
    assert len(note) == 1 and "at 1 nJ per activation they add 3.84 µJ" in note[0]
    assert not any("activation" in n for n in act.notes)
    stream = simulate(_arch(gpu, energy_per_activation="1 nJ"), _gather({}))
    assert stream.energy_breakdown_j["dram"] == pytest.approx(NBYTES * 8 * 3.9e-12, rel=1e-12, abs=0)
    assert not any("activation" in n for n in stream.notes)


def _level(std, **kw):
    return Dram("dram", Dram.Config.model_validate({"type": "dram", "standard": std, "capacity": "1 GB",
                                                   "energy_per_bit": "0 pJ/bit", **kw}))


@pytest.mark.parametrize("std,size,rows", [
    ("HBM2", 64, 1),      # one granule: one row
    ("HBM2", 768, 2),     # 12 + 12 bursts on 2 bank groups: 2 rows (it charged ceil(768/1024) = 1)
    ("DDR5", 4096, 8),    # 8 granules of 512 B on 8 groups, each in its own 4 KB row (it charged 1)
    ("HBM2", 8192, 8),    # 16 granules over 8 units, 1 KB each: one row each
    ("GDDR6", 1 << 20, 512),  # 1 MB over 2 KB rows, whole rows
])
def test_activations_are_the_rows_the_time_models_layout_opens(std, size, rows):
    """Energy at 1 nJ, energy_per_bit 0: (rows - size / row_bytes) nJ per access, the rows the
    window model's layout opens (HBM2 768 B: 2 - 0.75 = 1.25 nJ; DDR5 4 KB: 8 - 1 = 7)."""
    d = _level(std, energy_per_activation="1 nJ")
    p = Pattern.random_access(size)
    assert d.activations(p) == rows
    assert d.joules_per_byte(p) * size == pytest.approx(1e-9 * (rows - size / d.timing.row_bytes),
                                                        rel=1e-12, abs=0)


@pytest.mark.parametrize("std,rb,size", [("HBM2", 64, 768), ("DDR5", 32, 4096), ("GDDR6", 32, 2048)])
def test_with_a_window_the_activations_are_the_windows_own(std, rb, size):
    """With read_buffer the energy counts the window's activations (served - row hits): at
    least the layout's rows, more where another access's precharge closed a row under an
    access (HBM2 768 B: 2.24 against 2)."""
    d = _level(std, energy_per_activation="1 nJ", read_buffer=rb, write_buffer=rb)
    t, p = d.timing, Pattern.random_access(size)
    b = size // t.burst_bytes
    acts = (1 - window(std, b, 1.0, rb, rb)[1]) * b
    assert d.activations(p) == pytest.approx(acts, rel=1e-12, abs=0)
    assert rows_opened(t, b) <= acts <= 1.15 * rows_opened(t, b)


def test_no_note_where_the_activation_energy_would_change_nothing(gpu):
    """HBM2: 8 KB accesses open 8 rows of 1 KB, a stream's share (no extra activation); an
    op whose bytes on the level are not random (random_read_bytes 0: a far tier's streamed
    share) charges none either. Neither gets the note, and 1 nJ leaves their energy."""
    for tags in ({"access_bytes": 8192}, {"access_bytes": 64, "random_read_bytes": 0}):
        plain = simulate(_arch(gpu), _gather(tags))
        act = simulate(_arch(gpu, energy_per_activation="1 nJ"), _gather(tags))
        assert act.energy_breakdown_j["dram"] == plain.energy_breakdown_j["dram"]
        assert not any("activation" in n for n in plain.notes)


@pytest.mark.parametrize("field,value,match", [
    ("timings", {"row_bytes": 1e12}, r"row_bytes 1,000,000,000,000 is more than one bank holds "
                                     r"\(density_mbit 2048 Mb over 16 banks = 16,777,216 B\)"),
    ("energy_per_activation", "1 mJ", "over the 1 uJ allowed"),
])
def test_unphysical_rows_and_activation_energies_are_refused(gpu, field, value, match):
    """HBM2: 2 Gb / 16 banks = 16 MiB a bank, no row larger; 1 uJ per ACT/PRE is 50x the largest
    published (1 to 20 nJ)."""
    with pytest.raises(Exception, match=match):
        _arch(gpu, **{field: value})
