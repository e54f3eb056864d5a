"""The LPDDR5X-8533 part (``standard: LPDDR5X-8533``): a phone's 64-bit LPDDR5X at JESD209-5B's
top data rate, Ramulator 2's LPDDR5-6400 timings in ns re-expressed at tCK 937.5 ps."""

from __future__ import annotations

import math

import pytest
from conftest import ROUND_ARCH

from cimsim.config import architecture_from_dict
from cimsim.hw.memory.jedec import PARTS, PRESETS, TIMINGS


def test_lpddr5x_8533_is_lpddr5_6400_in_ns_at_its_clock():
    t, base = TIMINGS["LPDDR5X-8533"], TIMINGS["LPDDR5"]
    assert "LPDDR5X-8533" in PARTS and "LPDDR5X-8533" not in PRESETS
    assert (t.rate_mtps, t.tck_ps) == (8533, 937.5)  # CK = 8533 / 8 MHz (BL16 in 2 CK)
    for f in ("n_cl", "n_cwl", "n_rcd", "n_rp", "n_ras", "n_rc", "n_rtp", "n_rrd_s", "n_rrd_l", "n_faw",
              "n_wtr_s", "n_wtr_l", "n_refi", "n_rfc", "n_rcd_wr", "n_wr", "n_aad"):
        assert getattr(t, f) == math.ceil(getattr(base, f) * 1.25 / 0.9375 - 1e-9), f
    for f in ("bus_bits", "burst_length", "n_bl", "banks", "bank_groups", "n_ccd_s", "n_ccd_l", "cmd_act"):
        assert getattr(t, f) == getattr(base, f), f
    assert (t.n_rcd, t.n_rfc, t.n_refi) == (20, 224, 4167)  # 18.75 ns, 210 ns, 3.906 us


def test_four_x16_lpddr5x_8533_channels_peak_at_68_264_gb_s():
    """4 x16 channels = 64 bits at 8533 MT/s: 8533e6 x 64 / 8 = 68.264 GB/s; a stream loses the
    all-bank refresh, 1 - (tRTP + tRP + tRFC + tRCD) / tREFI = 1 - (11 + 20 + 224 + 20) / 4167."""
    d = {**ROUND_ARCH, "memory": {**ROUND_ARCH["memory"], "dram": {
        "type": "dram", "standard": "LPDDR5X-8533", "channels": 4, "capacity": "12 GB",
        "energy_per_bit": "4.5 pJ/bit"}}}
    dram = architecture_from_dict(d).hardware.resource("dram")
    assert dram.peak_bytes_per_s() == pytest.approx(8533e6 * 64 / 8, rel=1e-12, abs=0) == 68.264e9
    assert dram.bytes_per_s() == pytest.approx(68.264e9 * (1 - 275 / 4167), rel=1e-12, abs=0)
