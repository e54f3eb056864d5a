"""A ``type: dram`` level from a datasheet: random writes hold their bank through write recovery
(the closed form's bank cycle), timings given as times (``n_faw: 20 ns``), and the errors that
name the closest timing or standard.

Golden values are the presets' JEDEC / Ramulator 2 numbers (hw/memory/jedec.py) put through the
closed form by hand in each test, never the model's output pasted back.
"""

from __future__ import annotations

import copy

import pytest

from cimsim import bundled
from cimsim.config import architecture_from_dict, read_yaml
from cimsim.errors import ConfigError
from cimsim.hw.base import Pattern
from cimsim.hw.memory.dramtimings import to_cycles

#: LPDDR5-6400: refresh costs tRTP 8 + tRP 15 + tRFC 168 + tRCD 15 CK of every tREFI 3125
E_REF_LPDDR5 = 1 - (8 + 15 + 168 + 15) / 3125
#: DDR5-4800: tRTP 18 + tRP 34 + tRFC 710 + tRCD 34 of tREFI 9375
E_REF_DDR5 = 1 - (18 + 34 + 710 + 34) / 9375
#: peaks of one bus: LPDDR5 16 bit x 6400 MT/s, DDR5 32 bit x 4800 MT/s, B/s
PEAK_LPDDR5, PEAK_DDR5 = 16 * 6400e6 / 8, 32 * 4800e6 / 8


@pytest.fixture(scope="module")
def gpu():
    return read_yaml(bundled.resolve_config("gpu-hbm3"))


def _level(gpu, standard="DDR5", **timings):
    d = copy.deepcopy(gpu)
    d["memory"]["dram"] = {"type": "dram", "standard": standard, "channels": 1, "capacity": "80 GB",
                           "latency": "100 ns", "energy_per_bit": "4 pJ/bit", "timings": timings}
    return architecture_from_dict(d).hardware.resource("dram")


# ------------------------------------------------------------------ write recovery (finding F #1)
def test_a_random_write_holds_its_bank_through_write_recovery(gpu):
    """LPDDR5-6400, 32 B (one burst) random writes: a written bank is held tRCD_WR 15 + tCWL 9
    + tBL 2 + tWR 28 + tRP 15 = 69 CK, over 16 banks 4.3125 CK per access, above the other limits
    (tRRD 4, tFAW 16 / 4, PRE 1 + ACT 2 + WR 1 = 4 CK of commands, a burst 2): 32 B per
    4.3125 x 1.25 ns x E_ref = 5.545 GB/s. Reads hold theirs one tRC (49 / 16 under tRRD 4):
    32 B per 4 CK, 5.978 GB/s, as before."""
    lp = _level(gpu, "LPDDR5")
    write = lp.bytes_per_s(Pattern.random_access(32, 0.0))
    assert write == pytest.approx(PEAK_LPDDR5 * 2 / (69 / 16) * E_REF_LPDDR5, rel=1e-12, abs=0)
    assert write / 1e9 == pytest.approx(5.545, abs=5e-4)
    read = lp.bytes_per_s(Pattern.random_access(32, 1.0))
    assert read == pytest.approx(PEAK_LPDDR5 * 2 / 4 * E_REF_LPDDR5, rel=1e-12, abs=0)
    # a write recovery short enough that the write's bank cycle (15+9+2+1+15 = 42) is under
    # tRC 49 binds nothing: the read's number
    fast = _level(gpu, "LPDDR5", n_wr=1).bytes_per_s(Pattern.random_access(32, 0.0))
    assert fast == pytest.approx(read, rel=1e-12, abs=0)
    # two bursts, n_wr 200: 15 + 9 + 2 x 2 + 200 + 15 = 243 CK over 16 banks
    slow = _level(gpu, "LPDDR5", n_wr=200).bytes_per_s(Pattern.random_access(64, 0.0))
    assert slow == pytest.approx(PEAK_LPDDR5 * 4 / (243 / 16) * E_REF_LPDDR5, rel=1e-12, abs=0)


def test_write_recovery_is_blended_by_the_write_share(gpu):
    """DDR5-4800 with n_wr 1000, 64 B (one burst): a write holds its bank 34 + 32 + 8 + 1000 + 34
    = 1108 CK, over 32 banks 34.625 CK per access: 64 B per 34.625 CK x E_ref = 4.06 GB/s (the
    preset's n_wr 72 gave 11.71). At 50 % reads the bank cycle is (111 + 1108) / 2 = 609.5 CK, over
    32 banks 19.047 CK, above a burst with the turnarounds (8 + 0.5 / 19 x 40 = 9.05) and tFAW
    48 / 4: 8 / 19.047 of the peak."""
    d = _level(gpu, "DDR5", n_wr=1000)
    write = d.bytes_per_s(Pattern.random_access(64, 0.0))
    assert write == pytest.approx(PEAK_DDR5 * 8 / (1108 / 32) * E_REF_DDR5, rel=1e-12, abs=0)
    assert write / 1e9 == pytest.approx(4.06, abs=5e-3)
    mix = d.bytes_per_s(Pattern.random_access(64, 0.5))
    assert mix == pytest.approx(PEAK_DDR5 * 8 / ((111 + 1108) / 2 / 32) * E_REF_DDR5, rel=1e-12, abs=0)
    # all reads: n_wr moves nothing (tFAW 48 / 4 = 12 CK per access)
    read = d.bytes_per_s(Pattern.random_access(64, 1.0))
    assert read == pytest.approx(PEAK_DDR5 * 8 / 12 * E_REF_DDR5, rel=1e-12, abs=0)


# ------------------------------------------------------------------ timings as times (F #2)
def test_a_time_is_whole_cycles_rounded_up():
    """ceil(t / tCK): 20 ns at 1.25 ns is 16 (not 17: float noise), 20.1 ns is 17; 295 ns at
    DDR5's 416 ps is 710 (the preset's tRFC, jedec.py: ceil(295000/416)); 3 x 0.1 ns at 0.1 ns
    is 3 (0.30000000000000004 / 0.1)."""
    assert to_cycles(20e-9, 1250) == 16
    assert to_cycles(20.1e-9, 1250) == 17
    assert to_cycles(295e-9, 416) == 710
    assert to_cycles(3 * 0.1e-9, 100) == 3
    assert to_cycles(1e300, 416) == float("inf")  # no OverflowError: the caller refuses it


def test_timings_may_be_given_in_time_units(gpu):
    """LPDDR5's tFAW 20 ns is its preset's 16 CK; DDR5 at 6400 MT/s with its own clock (312.5 ps,
    given as a time too) converts at that clock: tFAW 20 ns -> 64 CK, tRFC 295 ns -> 944 CK
    (at the preset's 416 ps they would be 49 and 710). A DDR5-4800 tFAW of 26.624 ns (64 x
    0.416) is 64 CK: 64 B random reads at one activation per 16 CK, 19.2 GB/s x 8 / 16 x E_ref =
    8.785 GB/s (the README's n_faw: 64 example)."""
    assert _level(gpu, "LPDDR5", n_faw="20 ns").timing.n_faw == 16
    t = _level(gpu, "DDR5", rate_mtps=6400, tck_ps="312.5 ps", n_faw="20 ns", n_rfc="295 ns").timing
    assert (t.tck_ps, t.n_faw, t.n_rfc) == (312.5, 64, 944)
    d = _level(gpu, "DDR5", n_faw="26.624 ns")
    assert d.timing.n_faw == 64
    assert d.bytes_per_s(Pattern.random_access(64)) == pytest.approx(PEAK_DDR5 * 8 / 16 * E_REF_DDR5,
                                                                    rel=1e-12, abs=0)


@pytest.mark.parametrize("timings, msg", [
    # the name is checked before the value: tFAW is no timing whatever its value
    ({"tFAW": "20ns"}, "timings: unknown timing 'tFAW'; did you mean 'n_faw'?"),
    ({"t_faw": 20}, "timings: unknown timing 't_faw'; did you mean 'n_faw'?"),
    ({"tRCD": 20}, "unknown timing 'tRCD'; did you mean 'n_rcd'?"),
    ({"tCK": 416}, "unknown timing 'tCK'; did you mean 'tck_ps'?"),
    ({"n_rrd": 8}, "unknown timing 'n_rrd'; did you mean 'n_rrd_s'?"),
    ({"n_faw": "20 GB"}, "n_faw = '20 GB': '20 GB' is a capacity (information) quantity"),
    ({"n_faw": "-5 ns"}, "n_faw = '-5 ns' is not allowed; a time is >= 0"),
    ({"cmd_act": "2 ns"}, "cmd_act = '2 ns' is not a number; it is a plain number in CK cycles"),
    # review 1 #4: 1e300 s / 416 ps overflows a float; ceil(inf) was an OverflowError traceback
    ({"n_faw": "1e300 s"}, "n_faw = '1e300 s' is more CK than a float holds at tck_ps 416; it "
                           "must be a whole number >= 0, at most 1e+12"),
    # 1e20 s / 416 ps = 2.40e29 CK, past the 1e12 CK a timing may count
    ({"n_faw": "1e20 s"}, "n_faw = '1e20 s' is 2.4e+29 CK at tck_ps 416; it must be"),
])
def test_a_bad_timing_name_or_time_is_one_line(gpu, timings, msg):
    with pytest.raises(ConfigError) as e:
        _level(gpu, "DDR5", **timings)
    assert msg in str(e.value) and "\n" not in str(e.value), str(e.value)


# ------------------------------------------------------------------ standard (F #3)
@pytest.mark.parametrize("standard, msg", [
    ("ddr5", "not a standard or part (got 'ddr5'); did you mean 'DDR5'?"),
    ("hbm2e-a100", "did you mean 'HBM2E-A100'?"),
    ("HBM3E", "no preset or part (got 'HBM3E'); a part not listed is its standard's preset with "
              "what differs under timings: (standard: HBM3,"),
    ("LPDDR5X", "(standard: LPDDR5X-8533,"),  # its own standard's part (review 18-5 #6)
    ("DDR5-6400", "(standard: DDR5,"),
    ("GDDR7", "no preset for 'GDDR7': it is a newer standard than GDDR6"),
    ("SRAM", "not a standard or part (got 'SRAM'); allowed: DDR4"),
])
def test_an_unknown_standard_names_the_closest_or_how_to_state_a_newer_part(gpu, standard, msg):
    with pytest.raises(ConfigError) as e:
        _level(gpu, standard)
    assert msg in str(e.value) and "\n" not in str(e.value), str(e.value)


def test_the_command_line_says_the_timing_name_first(gpu, tmp_path):
    """``--set memory.dram.timings.tFAW=20ns`` printed 'expected a number' (the unit) before the
    real problem (the name); one line, exit 1."""
    import yaml
    from click.testing import CliRunner

    from cimsim.cli import main

    d = copy.deepcopy(read_yaml(bundled.resolve_config("cpu-ddr5")))
    d["memory"]["dram"] = {"type": "dram", "standard": "DDR5", "channels": 16, "capacity": "256 GB",
                           "latency": "110 ns", "energy_per_bit": "20 pJ/bit"}
    cfg = tmp_path / "cpu-dram.yaml"
    cfg.write_text(yaml.safe_dump(d, sort_keys=False))
    res = CliRunner(env={"COLUMNS": "250"}).invoke(
        main, ["run", str(cfg), "lstm", "--engine", "analytic", "--set",
               "memory.dram.timings.tFAW=20ns"])
    assert res.exit_code == 1, res.output
    assert "unknown timing 'tFAW'; did you mean 'n_faw'?" in res.output
    assert "expected a number" not in res.output and "Traceback" not in res.output
    assert len(res.output.strip().splitlines()) == 1, res.output
