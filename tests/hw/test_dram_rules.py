"""A ``type: dram`` level's own timings: the rules between timings a level's values must meet
(each holds for every shipped preset), the command bus under a stream, tRRD_L in the closed
form's activation limit, and the window model's write timings as settable timings.

Golden values are JEDEC / Ramulator 2 preset numbers (hw/memory/jedec.py) put through the closed
form by hand in each test, never the model's output pasted back.
"""

from __future__ import annotations

import copy
import dataclasses

import pytest

from cimsim import bundled
from cimsim.config import architecture_from_dict, read_yaml
from cimsim.errors import ConfigError
from cimsim.hw.base import STREAM, Pattern
from cimsim.hw.memory import dramwindow as W
from cimsim.hw.memory.dram import TIMING_FIELDS, _consistent, efficiency
from cimsim.hw.memory.jedec import TIMINGS

#: DDR5-4800: refresh costs tRTP 18 + tRP 34 + tRFC 710 + tRCD 34 CK of every tREFI 9375
E_REF_DDR5 = 1 - (18 + 34 + 710 + 34) / 9375


@pytest.fixture(scope="module")
def gpu():
    return read_yaml(bundled.resolve_config("gpu-hbm3"))


def _level(gpu, standard="DDR5", read_buffer=None, **timings):
    d = copy.deepcopy(gpu)
    d["memory"]["dram"] = {"type": "dram", "standard": standard, "channels": 1, "capacity": "80 GB",
                           "latency": "100 ns", "energy_per_bit": "4 pJ/bit", "timings": timings,
                           "read_buffer": read_buffer}
    return architecture_from_dict(d).hardware.resource("dram")


# ------------------------------------------------------------------ rules between timings
@pytest.mark.parametrize("standard, timings, msg", [
    # DDR5-4800: tRCD 34, tRAS 77, tRP 34, tRC 111, tRRD_S 8, tRRD_L 12, tCCD_S 8, tCCD_L 12
    ("DDR5", {"n_ras": 20}, "timings: n_ras 20 is under n_rcd 34: a row stays open at least until "
                            "it can be read \\(tRAS >= tRCD\\); n_ras must be at least 34"),
    ("DDR5", {"n_rc": 50}, "timings: n_rc 50 is under n_ras \\+ n_rp = 77 \\+ 34: a row cycle holds "
                           "the row open and its precharge .*; n_rc must be at least 110"),
    ("DDR5", {"n_rrd_l": 4}, "timings: n_rrd_l 4 is under n_rrd_s 8: activations in one bank group "
                             "wait at least as long as in different groups; n_rrd_l must be at least 8"),
    ("DDR5", {"n_ccd_l": 4}, "timings: n_ccd_l 4 is under n_ccd_s 8: column commands in one bank"),
    ("DDR5", {"n_rcd": 0}, "timings: n_rcd = 0 is not allowed; it must be a whole number > 0"),
    ("DDR5", {"n_rc": 0}, "timings: n_rc = 0 is not allowed; it must be a whole number > 0"),
    ("DDR5", {"n_ras": 0}, "timings: n_ras = 0 is not allowed; it must be a whole number > 0"),
    ("DDR5", {"n_rp": 0}, "timings: n_rp = 0 is not allowed; it must be a whole number > 0"),
    ("DDR5", {"n_cl": 0}, "timings: n_cl = 0 is not allowed; it must be a whole number > 0"),
    ("DDR5", {"n_rcd_wr": 0}, "timings: n_rcd_wr = 0 is not allowed; it must be a whole number > 0"),
    ("DDR5", {"n_wr": 2.5}, "timings: n_wr = 2.5 is not allowed; it must be a whole number >= 0"),
    ("DDR5", {"n_aad": 8}, "timings: n_aad = 8 is not allowed on DDR5: it is the ACT-1 to ACT-2 "
                           "deadline of a two-part activation \\(LPDDR5\\)"),
    ("LPDDR5", {"n_aad": 0}, "timings: n_aad = 0 is not allowed on LPDDR5"),
    ("DDR5", {"ticks_per_ck": 2}, "timings: unknown timing 'ticks_per_ck'"),
])
def test_an_impossible_timing_set_is_a_one_line_error(gpu, standard, timings, msg):
    with pytest.raises(ConfigError, match=msg) as e:
        _level(gpu, standard, **timings)
    assert "\n" not in str(e.value) and "memory.dram" in str(e.value)


@pytest.mark.parametrize("timings", [
    {"n_ras": 34}, {"n_rc": 110}, {"n_rrd_l": 8}, {"n_ccd_l": 8},  # each rule's boundary
    {"n_rcd": 200, "n_ras": 250, "n_rc": 283}, {"n_wr": 0, "n_ppd": 0},
])
def test_a_timing_set_on_the_boundary_of_the_rules_is_accepted(gpu, timings):
    assert _level(gpu, **timings).timing.n_rc == timings.get("n_rc", 111)


@pytest.mark.parametrize("name", list(TIMINGS))
def test_every_shipped_timing_set_meets_the_rules(name):
    t = TIMINGS[name]
    _consistent(t)
    assert t.n_rcd > 0 and t.n_cl > 0 and t.n_rc > 0 and t.n_ras > 0 and t.n_rp > 0 and t.n_rcd_wr > 0
    assert t.n_ras >= t.n_rcd and t.n_rrd_l >= t.n_rrd_s and t.n_ccd_l >= t.n_ccd_s


def test_the_rules_left_out_or_relaxed_are_the_ones_a_preset_breaks():
    """tRC >= tRAS + tRP holds to the CK but for the derived HBM2E sets, whose tRAS 40, tRP 17 and
    tRC 57 CK at 0.833 ns are each rounded up in their own clock (54 + 23 = 77 > 76): so the rule
    allows 1 CK. tFAW >= 4 x tRRD_S is no rule: HBM2 (tFAW 15 ns, tRRD 4 ns), HBM2E and GDDR6
    (43 < 4 x 11) have a tFAW that four tRRD_S already cover; so has LPDDR5X-8533 (tFAW 20 ns ->
    22 CK, tRRD 5 ns -> 6 CK, each rounded up at 937.5 ps)."""
    short = {n: t.n_ras + t.n_rp - t.n_rc for n, t in TIMINGS.items() if t.n_rc < t.n_ras + t.n_rp}
    assert short == {"HBM2E": 1, "HBM2E-A100": 1}
    assert [n for n, t in TIMINGS.items() if t.n_faw < 4 * t.n_rrd_s] == [
        "HBM2", "HBM2E", "GDDR6", "HBM2E-A100", "LPDDR5X-8533"]


# ------------------------------------------------------------------ a stream's command bus
def test_a_stream_pays_its_column_commands_on_the_command_bus(gpu):
    """DDR5-4800 with a 20-CK read command (tBL 8): a stream of reads issues one RD per burst,
    so a burst takes 20 CK: 8 / 20 of the bus. A random 4 KB read (64 bursts of 64 B) puts PRE 1 +
    ACT 2 + 64 x 20 = 1283 CK on the command bus for 512 CK of data: never faster than the
    stream. Writes keep cmd_wr 2 (8 CK a burst); at 50 % reads a burst's command is 0.5 x 20 +
    0.5 x 2 = 11 CK, over the mix's 8 + 0.5 x 44 / 19 CK of data."""
    d = _level(gpu, cmd_rd=20)
    peak = 19.2e9
    stream = d.bytes_per_s(STREAM)
    assert stream == pytest.approx(peak * 8 / 20 * E_REF_DDR5, rel=1e-12, abs=0)
    rnd = d.bytes_per_s(Pattern.random_access(4096))
    assert rnd == pytest.approx(peak * 512 / 1283 * E_REF_DDR5, rel=1e-12, abs=0)
    assert rnd <= stream
    assert d.bytes_per_s(Pattern.stream(0.0)) == pytest.approx(peak * E_REF_DDR5, rel=1e-12, abs=0)
    assert d.bytes_per_s(Pattern.stream(0.5)) == pytest.approx(peak * 8 / 11 * E_REF_DDR5, rel=1e-12, abs=0)


def test_an_hbm_stream_pays_both_pseudo_channels_column_commands(gpu):
    """HBM2 with a 4-CK read command: the channel's command bus serves 2 pseudo-channels, so a
    burst (tBL 2) of each takes 2 x 4 = 8 CK: 2 / 8 of a pseudo-channel's 16 GB/s, less refresh
    (5 + 14 + 160 + 14) / 3900."""
    d = _level(gpu, "HBM2", cmd_rd=4)
    assert d.bytes_per_s(STREAM) == pytest.approx(16e9 * 2 / 8 * (1 - 193 / 3900), rel=1e-12, abs=0)
    assert d.bytes_per_s(Pattern.random_access(4096)) <= d.bytes_per_s(STREAM)


@pytest.mark.parametrize("name", list(TIMINGS))
@pytest.mark.parametrize("rf", [1.0, 0.5, 0.0])
def test_the_preset_streams_are_unchanged_by_the_command_term(name, rf):
    """Every preset's column command fits its burst (``buses_per_cmd_bus x cmd <= tBL``), so its
    stream is the burst time over the mix alone: tBL / (max(tBL, tCCD_S, tCCD_L / groups) x
    (tBL + min(r, 1 - r) x turnaround / 19) / tBL), times E_ref."""
    t = TIMINGS[name]
    assert t.buses_per_cmd_bus * max(t.cmd_rd, t.cmd_wr) <= t.n_bl
    turn = max(0, t.n_rtw + t.n_cwl - t.n_cl - t.n_bl) + t.n_cl + t.n_wtr_s
    per_burst = max(t.n_bl, t.n_ccd_s, t.n_ccd_l / t.bank_groups) * (
        t.n_bl + min(rf, 1 - rf) * turn / 19) / t.n_bl
    e_ref = 1 - (t.n_rtp + t.n_rp + t.n_rfc + t.n_rcd) / t.n_refi
    assert efficiency(t, Pattern.stream(rf), 19) == pytest.approx(t.n_bl / per_burst * e_ref, rel=1e-12, abs=0)


# ------------------------------------------------------------------ tRRD_L
def test_activations_over_the_bank_groups_wait_trrd_l_in_each(gpu):
    """DDR5-4800 with tRRD_L 160: activations rotating over 8 bank groups come one per 160 / 8 =
    20 CK (over tRRD_S 8, tFAW 48 / 4 = 12, tRC 111 / 32): a 64 B random read is 8 CK of data in
    20, where the preset's tFAW gave 8 in 12."""
    assert _level(gpu, n_rrd_l=160).bytes_per_s(Pattern.random_access(64)) == pytest.approx(
        19.2e9 * 8 / 20 * E_REF_DDR5, rel=1e-12, abs=0)
    assert _level(gpu).bytes_per_s(Pattern.random_access(64)) == pytest.approx(
        19.2e9 * 8 / 12 * E_REF_DDR5, rel=1e-12, abs=0)


@pytest.mark.parametrize("name", list(TIMINGS))
def test_no_preset_is_bound_by_trrd_l(name):
    """The presets' numbers do not move: tRRD_L / bank_groups is under tRRD_S in every one."""
    t = TIMINGS[name]
    assert t.n_rrd_l / t.bank_groups < t.n_rrd_s


# ------------------------------------------------------------------ the window's timings
def test_the_window_timings_are_settable_timings_with_the_presets_values():
    for k in ("n_rcd_wr", "n_wr", "n_ccd_s_wr", "n_ccd_l_wr", "n_ppd", "n_aad"):
        assert k in TIMING_FIELDS
    assert "ticks_per_ck" not in TIMING_FIELDS
    # ddr5.py DDR5_4800AN: nWR 72, nCCDL_WR 48, nPPD 2; lpddr5.py: nAAD 8; hbm2.py: nRCDWR 12
    ddr5 = TIMINGS["DDR5"]
    assert (ddr5.n_wr, ddr5.n_ccd_l_wr, ddr5.n_ppd, ddr5.n_aad) == (72, 48, 2, 0)
    assert TIMINGS["LPDDR5"].n_aad == 8 and TIMINGS["HBM2"].n_rcd_wr == 12
    assert [n for n, t in TIMINGS.items() if t.ticks_per_ck != 1] == ["HBM3"]


def test_a_levels_write_timings_reach_the_window_and_not_its_reads(gpu):
    """DDR5 256 B random accesses through a 32-entry window: a 400-CK ACT-to-write (nRCDWR 34
    in the preset) or write recovery (nWR 72) slows all-write traffic (by more than a fifth: a
    written row's cycle grows by 366 or 328 CK), and all-read traffic not at all (bit for bit)."""
    base = _level(gpu, read_buffer=32)
    rd, wr = Pattern.random_access(256), Pattern.random_access(256, 0.0)
    for t in ({"n_rcd_wr": 400}, {"n_wr": 400}):
        own = _level(gpu, read_buffer=32, **t)
        assert own.bytes_per_s(wr) < 0.8 * base.bytes_per_s(wr)
        assert own.bytes_per_s(rd) == base.bytes_per_s(rd)


def test_a_user_speed_bin_can_restate_the_window_timings(gpu):
    """A level restating the preset's own values gets the preset's numbers, bit for bit."""
    same = {"n_rcd_wr": 34, "n_wr": 72, "n_ccd_s_wr": 8, "n_ccd_l_wr": 48, "n_ppd": 2}
    for p in (Pattern.random_access(64, 0.5), Pattern.random_access(256, 0.0)):
        assert _level(gpu, read_buffer=32, **same).bytes_per_s(p) == _level(gpu, read_buffer=32).bytes_per_s(p)


def test_the_window_reads_the_levels_bank_groups():
    """HBM3: 2 stack IDs x 4 groups x 4 banks = 32 banks in 8 groups of 4 (tCCD_L, tRRD_L apply
    within one); a level with 4 groups of 8 gets groups of 8."""
    t = TIMINGS["HBM3"]
    assert (t.banks, t.bank_groups) == (32, 8)
    assert W.params(t, 1, 32, 32)[W.P_GROUP] == 4
    assert W.params(dataclasses.replace(t, bank_groups=4), 1, 32, 32)[W.P_GROUP] == 8
    assert W.params(TIMINGS["DDR5"], 1, 32, 32)[W.P_GROUP] == 4  # 32 banks in 8 groups


@pytest.mark.parametrize("name", ["DDR5", "LPDDR5", "HBM3"])
def test_a_level_may_restate_every_timing_of_its_own_preset(name):
    """A reviewer: DDR5 and HBM3 restating their own n_aad 0 were refused."""
    import dataclasses

    from cimsim.config import architecture_from_dict

    t = TIMINGS[name]
    own = {f: getattr(t, f) for f in TIMING_FIELDS if f in {x.name for x in dataclasses.fields(t)}}
    level = {"type": "dram", "standard": name, "capacity": "1 GB", "latency": "100 ns",
             "energy_per_bit": "1 pJ/bit", "timings": own}
    proc = {"name": "p", "cores": 1, "clock": "1 GHz", "macs_per_cycle_per_core": {"fp32": 1},
            "vector_ops_per_cycle_per_core": 1, "energy_per_mac": {"fp32": "1 pJ"},
            "energy_per_vector_op": "1 pJ", "static_power": "0 W"}
    architecture_from_dict({"name": "t", "memory": {"dram": level}, "processor": proc})
