"""``type: bonded`` links (find-B 4): bandwidth derived from bond pitch, bonded area, the data
share and the per-wire rate; energy from the stated energy per bit. Closed forms written out."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from cimsim import load_architecture, simulate
from cimsim.cli import main
from cimsim.errors import ConfigError
from cimsim.workload.generators import matmul

L = "links.interconnect."


def _bonded(pitch: str, area: str, share: float, rate: str = "1 Gb/s", **more):
    return load_architecture("sram-cim", overrides={
        L + "type": "bonded", L + "bandwidth": None, L + "pitch": pitch, L + "bond_area": area,
        L + "data_fraction": share, L + "rate_per_wire": rate, **more})


def test_hybrid_bond_example_of_the_finding():
    """10 mm² at a 9 µm pitch: floor(10e-6 / 81e-12) = 123,456 bonds; a quarter carry data,
    floor(30,864.0) = 30,864 wires; at 1 Gb/s = 125 MB/s each, 3.858 TB/s."""
    cfg = _bonded("9 um", "10 mm^2", 0.25).links["interconnect"]
    assert (cfg.bonds, cfg.data_wires) == (123_456, 30_864)
    arch = _bonded("9 um", "10 mm^2", 0.25, **{L + "sustained_fraction": 0.5})
    res = arch.hardware.resource("interconnect")
    assert res.peak_bytes_per_s() == pytest.approx(30_864 * 125e6, rel=1e-12, abs=0)  # 3.858 TB/s
    assert res.bytes_per_s() == pytest.approx(0.5 * 30_864 * 125e6, rel=1e-12, abs=0)


def test_a_run_over_the_bonds_takes_bytes_over_the_derived_rate():
    """100 µm pitch over 1 mm²: 100 bonds, half of them data, 50 x 125 MB/s = 6.25 GB/s. A
    64 x 1024 x 1024 int8 matmul on sram-cim moves its input and output over the link, 2 x 64 x
    1024 = 131,072 B: 20.97 µs of link time on the path (at the config's 32 GB/s: 4.096 µs), and
    131,072 x 8 x 0.72 pJ = 754.97 nJ over it, as before."""
    wl = matmul(64, 1024, 1024, dtype="int8")
    r = simulate(_bonded("100 um", "1 mm^2", 0.5), wl)
    assert r.traffic_bytes["interconnect"] == 131_072
    assert r.path_time_s["interconnect"] == pytest.approx(131_072 / 6.25e9, rel=1e-12, abs=0)
    assert r.energy_breakdown_j["interconnect"] == pytest.approx(131_072 * 8 * 0.72e-12, rel=1e-12, abs=0)
    fixed = simulate(load_architecture("sram-cim"), wl)
    assert fixed.path_time_s["interconnect"] == pytest.approx(131_072 / 32e9, rel=1e-12, abs=0)


def test_a_sweep_over_the_pitch_moves_the_bandwidth():
    """Halving the pitch quadruples the bonds: 50 um over 1 mm² = 400 bonds, 200 data, 25 GB/s."""
    assert _bonded("50 um", "1 mm^2", 0.5).hardware.resource("interconnect").bytes_per_s() \
        == pytest.approx(200 * 125e6, rel=1e-12, abs=0)


def test_no_data_wire_is_refused_in_one_line():
    with pytest.raises(ConfigError, match="holds 1 bond"):
        _bonded("1 mm", "1 mm^2", 0.5)
    res = CliRunner().invoke(main, ["run", "sram-cim", "lstm", "--set", L + "type=bonded", "--set",
                                    L + "bandwidth=null", "--set", L + "pitch=9um"])
    assert res.exit_code != 0 and "Traceback" not in res.output and "bond_area" in res.output


def test_the_run_notes_the_derived_bandwidth():
    r = simulate(_bonded("9 um", "10 mm^2", 0.25), matmul(64, 1024, 1024, dtype="int8"))
    said = [n for n in r.notes if n.startswith("link interconnect (bonded)")]
    assert len(said) == 1 and "123,456 bonds" in said[0] and "30,864 wires" in said[0] \
        and "3.858 TB/s" in said[0]
