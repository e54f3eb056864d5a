"""A DRAM part written over a preset (found by a memory architect of the seventh round): the
controller-window model ran fractional command cycles rounded (HBM2 ``cmd_act: 2.5`` 15.7 %
above the ideal scheduler it can never beat); a 1e300 timing printed a 300-digit number; a
negative timing or one with a unit was said without its domain or unit.

Golden values: the closed form (ideal scheduler) of hw/memory/dram.py by hand."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from cimsim.hw.base import Pattern
from cimsim.hw.memory.dram import Dram, DramLevel


def _level(std, timings, **kw):
    return Dram("dram", DramLevel(capacity="1 GB", energy_per_bit="1 pJ/bit", standard=std,
                                  timings=timings, channels=2, **kw))


def test_the_window_model_refuses_a_command_time_it_cannot_step():
    with pytest.raises(ValidationError, match=r"cmd_act = 2.5 is not a whole number of the "
                                              r"controller window's steps .*in steps of 1 CK"):
        _level("HBM2", {"cmd_act": 2.5}, read_buffer=64, write_buffer=64)
    # LPDDR5's two-part activation: two commands of half the ACT time, whole CK each
    with pytest.raises(ValidationError, match=r"two-part commands in steps of 2 CK"):
        _level("LPDDR5", {"cmd_act": 1}, read_buffer=32, write_buffer=32)
    # HBM3 in half-CK ticks: 0.5 steps, 0.25 does not
    _level("HBM3", {"cmd_pre": 0.5}, read_buffer=128, write_buffer=64)
    with pytest.raises(ValidationError, match=r"in steps of 0.5 CK"):
        _level("HBM3", {"cmd_pre": 0.25}, read_buffer=128, write_buffer=64)
    # the closed form takes any command time: 2 buses x 64 B per 2 x (PRE 1 + ACT 2.5) CK at 1 GHz
    p = Pattern.random_access(64)
    closed = _level("HBM2", {"cmd_act": 2.5}).bytes_per_s(p)
    at3 = _level("HBM2", {"cmd_act": 3}).bytes_per_s(p)
    assert closed == pytest.approx(at3 * 8 / 7, rel=1e-12, abs=0)
    # a whole-step value the window takes stays at or under the closed form
    assert _level("HBM2", {"cmd_act": 3}, read_buffer=64, write_buffer=64).bytes_per_s(p) <= at3 * (1 + 1e-12)


@pytest.mark.parametrize("timings,msg", [
    ({"n_rfc": 1e300}, "n_rfc = 1e+300 is not allowed; it must be a whole number >= 0, at most 1e+12"),
    ({"n_rcd": -5}, "n_rcd = -5 is not allowed; it must be a whole number > 0, at most 1e+12"),
    ({"n_rcd": "18 GB"}, "n_rcd = '18 GB': '18 GB' is a capacity (information) quantity, but this "
                         "field needs time"),
    ({"n_rcd": "18"}, "n_rcd = '18': '18' has no unit"),
    ({"cmd_act": "2 ns"}, "cmd_act = '2 ns' is not a number; it is a plain number in CK cycles, no "
                          "unit written"),
    ({"rate_mtps": "6400 MT/s"}, "rate_mtps = '6400 MT/s' is not a number; it is a plain number in "
                                 "MT/s, no unit written"),
    ({"n_faw": float("nan")}, "n_faw = nan is not allowed; it must be a whole number >= 0"),
    # the window model holds an entry per bank: 1e12 of them exhausted memory
    ({"banks": 10**12}, "banks = 1e+12 is not allowed; it must be a whole number > 0, at most 4096")])
def test_a_timing_out_of_its_domain_says_the_domain_and_the_unit(timings, msg):
    with pytest.raises(ValidationError) as e:
        _level("DDR5", timings)
    assert msg in str(e.value) and len(str(e.value)) < 600, str(e.value)
