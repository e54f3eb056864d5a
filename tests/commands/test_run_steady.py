"""`cimsim run --steady` (find-C 5): one call in a loop of calls on the same weights, two calls
back to back less one, the quantity the host suites validate; real files, real simulate() runs."""

from __future__ import annotations

import json

import pytest
import yaml
from click.testing import CliRunner

from cimsim.cli import main
from cimsim.validate.host import gemv_workload
from cimsim.workload.io import save_workload

MiB = 1 << 20
ARCH = {
    "name": "t",
    "memory": {"llc": {"capacity": "9 MiB", "bandwidth": "100 GB/s", "energy_per_byte": "1 pJ/B"},
               "dram": {"capacity": "1 GB", "bandwidth": "10 GB/s", "energy_per_bit": "1 pJ/bit"}},
    "processor": {"name": "p", "cores": 1, "clock": "1 GHz", "macs_per_cycle_per_core": {"fp32": 1e6},
                  "vector_ops_per_cycle_per_core": 1e6, "energy_per_mac": {"fp32": "1 pJ"},
                  "energy_per_vector_op": "1 pJ", "static_power": "0 W"}}


def _files(tmp_path, n):
    cfg, wl = tmp_path / "t.yaml", tmp_path / "gemv.json"
    cfg.write_text(yaml.safe_dump(ARCH, sort_keys=False))
    save_workload(gemv_workload(n, n), wl)
    return str(cfg), str(wl)


def test_steady_reads_a_weight_the_llc_holds_from_the_llc(tmp_path):
    """A 1 x 1024 x 1024 fp32 GEMV, 4 MiB of weights in a 9 MiB LLC, compute free (1e6 MACs a
    cycle): the second call reads the weight, the 4 KiB input and writes the 4 KiB output at the
    LLC's 100 GB/s, (4 MiB + 8 KiB) / 100 GB/s = 42.025 us (printed 42.02); the cold call streams the weight from
    DRAM at 10 GB/s, over 4 MiB / 10 GB/s = 419 us."""
    cfg, wl = _files(tmp_path, 1024)
    r = CliRunner().invoke(main, ["run", cfg, wl, "--steady", "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["steady_latency_s"] == pytest.approx((4 * MiB + 8192) / 100e9, rel=1e-6, abs=0)
    assert out["latency_s"] > 4 * MiB / 10e9
    assert list(out).index("steady_latency_s") == list(out).index("latency_s") + 1
    text = CliRunner().invoke(main, ["run", cfg, wl, "--steady"])
    assert text.exit_code == 0 and "steady call (--steady): 42.02 µs a call in a loop" in text.stdout


def test_steady_streams_a_weight_past_the_llc_every_call(tmp_path):
    """A 2048 x 2048 GEMV (16 MiB > 9 MiB): every call streams it, 16 MiB / 10 GB/s = 1.678 ms."""
    cfg, wl = _files(tmp_path, 2048)
    r = CliRunner().invoke(main, ["run", cfg, wl, "--steady", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["steady_latency_s"] == pytest.approx(16 * MiB / 10e9, rel=1e-6, abs=0)


def test_without_steady_the_json_has_no_steady_key(tmp_path):
    cfg, wl = _files(tmp_path, 1024)
    r = CliRunner().invoke(main, ["run", cfg, wl, "--json"])
    assert r.exit_code == 0 and "steady_latency_s" not in json.loads(r.stdout)
