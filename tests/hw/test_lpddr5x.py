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


def _one_bus():
    from cimsim.hw.memory.dram import Dram

    return Dram("dram", Dram.Config.model_validate({"type": "dram", "standard": "LPDDR5X-8533", "channels": 1,
                                                    "capacity": "1 GB", "energy_per_bit": "4 pJ/bit"}))


def test_the_readmes_table_row_is_the_models():
    """Review 18-5 #7: the README's preset table row for LPDDR5X-8533, against the model and,
    where one exists, the closed form. Per x16 bus (16 B a CK at CK = 8533 / 8 MHz, refresh
    E_ref = 1 - 275 / 4167): a 32 B or 64 B random access takes tRRD_S = 6 CK (ceil(4 x 1.25 /
    0.9375); above PRE + ACT-1 + ACT-2 + 1 or 2 RD = 4 or 5 CK, tFAW 22 / 4 = 5.5 CK and the
    data's 2 or 4 CK), so 32 / (6 x 16) and 64 / (6 x 16) of the peak x E_ref; a row miss is
    (tRP + tRCD + tCL) = (20 + 20 + 23) CK x 0.9375 ns = 59.06 ns. The 50 % reads column has no
    closed form here: the model's, as the README rounds it."""
    from pathlib import Path

    from cimsim.hw.base import STREAM, Pattern

    d, t = _one_bus(), TIMINGS["LPDDR5X-8533"]
    peak, e_ref = d.peak_bytes_per_s(), 1 - 275 / 4167
    assert peak == pytest.approx(8533e6 * 16 / 8, rel=1e-12, abs=0)
    assert d.bytes_per_s(STREAM) / peak == pytest.approx(e_ref, rel=1e-12, abs=0)
    r32, r64 = (d.bytes_per_s(Pattern.random_access(b)) / peak for b in (32, 64))
    assert (t.n_rrd_s, t.n_faw) == (6, 22)
    assert r32 == pytest.approx(32 / (6 * 16) * e_ref, rel=1e-12, abs=0)
    assert r64 == pytest.approx(64 / (6 * 16) * e_ref, rel=1e-12, abs=0)
    assert (t.n_rp, t.n_rcd, t.n_cl) == (20, 20, 23)
    miss = d.unloaded_latency_s()
    assert miss == pytest.approx((20 + 20 + 23) * 0.9375e-9, rel=1e-12, abs=0)
    mixed = d.bytes_per_s(Pattern.stream(0.5)) / peak
    readme = Path(__file__).resolve().parents[2] / "README.md"
    row = [ln for ln in readme.read_text().splitlines() if ln.startswith("| LPDDR5X-8533 ")]
    assert len(row) == 1
    cells = [c.strip() for c in row[0].strip("|").split("|")]
    assert cells == ["LPDDR5X-8533 (part, derived)", "16 bit, 32 B", f"{peak / 1e9:.2f} GB/s",
                     f"{e_ref:.3f}", f"{r32:.2f}", f"{r64:.2f}", f"{mixed:.2f}", f"{miss * 1e9:.1f} ns"]
    assert cells[2:] == ["17.07 GB/s", "0.934", "0.31", "0.62", "0.66", "59.1 ns"]
