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


#: a CIM chip of 16 arrays of 64 x 64 (the closed-form chip of tests/hw/test_cim_chip.py): one
#: 64-row vector through an array takes 8 one-bit slices x max(100 ns read, 64 columns / 64
#: ADCs at 1 GHz) = 800 ns; everything else (1 PB/s links and DRAM) adds femtoseconds
CHIP = {
    "name": "tiny-chip",
    "memory": {"dram": {"capacity": "1 GB", "bandwidth": "1 PB/s", "energy_per_byte": "0 pJ/B"}},
    "links": {"noc": {"bandwidth": "1 PB/s", "latency": "0 s", "energy_per_bit": "0 pJ/bit"}},
    "cim": {"link": "noc", "technology": "rram", "arrays": 16, "rows": 64, "cols": 64,
            "bits_per_cell": 8, "weight_bits": 8, "input_bits": 8, "dac_bits": 1, "read_latency": "100 ns",
            "adc": {"bits": 8, "sample_rate": "1 GHz", "energy_per_conversion": "1 pJ", "per_array": 64},
            "dac_energy": "0 pJ", "cell_read_energy": "0 pJ", "shift_add_energy": "0 pJ",
            "write_latency": "10 ns", "write_energy": "1 pJ", "endurance": 1e6,
            "buffer": {"capacity": "1 MiB", "bandwidth": "1 PB/s", "energy_per_byte": "0 pJ/B"},
            "static_power": "0 W",
            "chip": {"node_nm": 22, "levels": {"pe": {"fanout": 4}, "chip": {"fanout": 4}},
                     "layers": {"wa": 2}}}}
T_VECTOR = 8 * 100e-9


def _two_layers():
    """x (16 x 128) @ wa (128 x 64) -> y; y @ wb (64 x 64) -> z, int8; wa on 2 copies."""
    from cimsim.workload import Op, Tensor, Workload

    t = [Tensor("x", (16, 128), "int8", "input"), Tensor("wa", (128, 64), "int8", "weight"),
         Tensor("y", (16, 64), "int8", "activation"), Tensor("wb", (64, 64), "int8", "weight"),
         Tensor("z", (16, 64), "int8", "activation")]
    return Workload("two-layers", t, [Op("a", "matmul", ("x", "wa"), ("y",), m=16, k=128, n=64, weight="wa"),
                                      Op("b", "matmul", ("y", "wb"), ("z",), m=16, k=64, n=64, weight="wb")])


@pytest.mark.parametrize("engine", ["des", "analytic"])
def test_the_second_call_waits_for_the_first_on_a_chip_of_many_units(tmp_path, engine):
    """Review H 1. Two layers on their own arrays: a = ceil(16 rows / 2 copies) x 800 ns = 6.4 us,
    b = 16 x 800 ns = 12.8 us; one call 6.4 + 12.8 = 19.2 us, and nothing is cold on a CIM chip
    (weights stationary), so a call in a loop, which starts when the previous call has returned,
    takes 19.2 us too. Before, the second call's layer a ran beside the first call's layer b and
    --steady gave the pipeline's interval, b's 12.8 us (0.667x the cold call)."""
    from cimsim.config import architecture_from_dict
    from cimsim.validate.host import repeated, steady_latency

    wl = _two_layers()
    assert steady_latency(architecture_from_dict(CHIP), wl) == pytest.approx(24 * T_VECTOR, rel=1e-6, abs=0)
    two = repeated(wl, 2)  # the edge: call 1's last op (b) before call 2's first (a@1)
    assert [(two.ops[p].name, two.ops[o].name) for p, o in zip(*two.control_edges)] == [("b", "a@1")]
    cfg, path = tmp_path / "chip.yaml", tmp_path / "two.json"
    cfg.write_text(yaml.safe_dump(CHIP, sort_keys=False))
    save_workload(wl, path)
    r = CliRunner().invoke(main, ["run", str(cfg), str(path), "--steady", "--json", "--engine", engine])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["latency_s"] == pytest.approx(24 * T_VECTOR, rel=1e-6, abs=0)
    assert out["steady_latency_s"] == pytest.approx(24 * T_VECTOR, rel=1e-6, abs=0)


def test_steady_says_which_load_options_it_leaves_out(tmp_path):
    """Review H 3: --period and --storage apply to the cold call only; the steady line says so
    (and nothing is said without them). The ratio is to the cold call before the load: the
    4 MiB GEMV's steady 42.02 us (above) over its cold call, whatever --period gives."""
    cfg, wl = _files(tmp_path, 1024)
    r = CliRunner().invoke(main, ["run", cfg, wl, "--steady", "--period", "10ms", "--storage", "1J"])
    assert r.exit_code == 0, r.output
    assert "--steady leaves out --period, --storage: apply to the cold call only" in r.stdout
    plain = CliRunner().invoke(main, ["run", cfg, wl, "--steady"])
    assert plain.exit_code == 0 and "leaves out" not in plain.stdout
