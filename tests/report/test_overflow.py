"""A run's number that overflows a float from in-domain but extreme inputs (a tester's
find-Q, 2026-12-06): one line naming the ``--set``, the field and the figure, an
``OverflowInputError`` (a ``CimsimError``) in Python; never a 40-line ``AssertionError``
traceback, a wrong "declared area is too small", nor ``Infinity`` in ``--json``."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest
from click.testing import CliRunner

from cimsim import load_architecture, load_workload, simulate
from cimsim.cli import main
from cimsim.errors import CimsimError, OverflowInputError

DBL_MAX = sys.float_info.max  # 1.797e308


def _one_line_error(r, setting: str, field: str) -> str:
    """The run failed with exactly one line, ``Error: --set SETTING: FIELD: ...``."""
    assert r.exit_code == 1, r.output
    assert isinstance(r.exception, SystemExit)  # not an AssertionError escaping click
    lines = r.output.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.output and "warning" not in r.output, r.output
    assert lines[0].startswith(f"Error: --set {setting}: {field}: the run's "), lines[0]
    return lines[0]


@pytest.mark.parametrize("setting, field, figure", [
    # 13.56 GB of DRAM traffic / (0.7 x 1e-300 B/s) = 1.9e310 s > 1.8e308: the latency
    ("memory.dram.bandwidth=1e-300B/s", "memory.dram.bandwidth", "latency is not finite (inf s)"),
    # 402 ops on the dependency path x 1e307 s each
    ("processor.op_overhead=1e307s", "processor.op_overhead", "latency is not finite (inf s)"),
    # the latency (1.3e307 s) is finite, the static energy 40 W x latency is not
    ("processor.clock=1e-300Hz", "processor.clock", "static energy is not finite (inf J)"),
    # 13.56 GB x 8 bit x 1e300 J/bit
    ("memory.dram.energy_per_bit=1e300J/bit", "memory.dram.energy_per_bit", "dram energy is not finite"),
])
def test_an_overflowing_latency_or_energy_is_one_line_naming_the_set(setting, field, figure):
    r = CliRunner().invoke(main, ["run", "cpu-ddr5", "lstm", "--set", setting])
    line = _one_line_error(r, setting, field)
    assert figure in line and f"check {field} = " in line and "(beyond 1e-30 to 1e30 in SI units)" in line


def test_compare_names_the_set_and_which_config_ran_which_workload():
    # review-3 #3: compare printed the field alone, not the --set nor the pair that overflowed
    r = CliRunner().invoke(main, ["compare", "cpu-ddr5", "gpu-hbm3", "-w", "lstm", "--set",
                                  "processor.op_overhead=1e307s"])
    assert r.exit_code == 1 and isinstance(r.exception, SystemExit), r.output
    (line,) = r.output.strip().splitlines()
    assert line.startswith("Error: --set processor.op_overhead=1e307s: cpu-ddr5 running lstm: "
                           "processor.op_overhead: the run's latency is not finite (inf s)"), line


def test_a_sweep_cell_names_the_config_file_of_a_field_it_did_not_sweep(tmp_path):
    import pandas as pd

    from cimsim.bundled import resolve_config

    text = resolve_config("cpu-ddr5").read_text()
    assert text.count("op_overhead:") == 1
    cfg = tmp_path / "slow.yaml"
    cfg.write_text("\n".join(ln.split(":")[0] + ": 1e307s" if ln.strip().startswith("op_overhead:") else ln
                             for ln in text.splitlines()))
    out = tmp_path / "s.parquet"
    CliRunner().invoke(main, ["sweep", str(cfg), "-w", "lstm", "--param", "processor.cores=4,8", "-o", str(out)])
    err = pd.read_parquet(out)["error"].tolist()
    assert len(err) == 2 and all(e.startswith(f"at processor.cores=4: {cfg}: cpu-ddr5 running lstm: "
                                              "processor.op_overhead: the run's latency is not finite (inf s)")
                                 for e in err[:1]), err
    # a swept field: the cell's "at K=V" already names it, so no file
    out2 = tmp_path / "s2.parquet"
    CliRunner().invoke(main, ["sweep", "cpu-ddr5", "-w", "lstm", "--param", "processor.op_overhead=1e307s,1ns",
                              "-o", str(out2)])
    err = pd.read_parquet(out2)["error"].tolist()
    assert err[0].startswith("at processor.op_overhead=1e+307 s: cpu-ddr5 running lstm: processor.op_overhead: "), err


def test_an_overflowing_cost_names_its_table_entry_without_a_numpy_warning():
    # 629,145,600 fp32 MACs x 1e300 J: the component's cost, before the report
    r = subprocess.run([sys.executable, "-m", "cimsim", "run", "cpu-ddr5", "gru", "--set",
                        "processor.energy_per_mac.fp32=1e300J"], capture_output=True, text=True)
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr.splitlines() == [
        "Error: --set processor.energy_per_mac.fp32=1e300J: processor.energy_per_mac.fp32: "
        "component 'processor' (processor): its energy compute is not finite (inf J): check "
        "processor.energy_per_mac.fp32 = 1e+300 J (beyond 1e-30 to 1e30 in SI units)"]


def test_from_python_it_is_a_cimsim_error_naming_the_field_and_the_edge_still_runs():
    wl = load_workload("lstm")
    arch = load_architecture("cpu-ddr5", overrides={"memory.dram.bandwidth": "1e-300 B/s"})
    with pytest.raises(OverflowInputError) as e:
        simulate(arch, wl, keep_ops=False)
    assert isinstance(e.value, CimsimError) and not isinstance(e.value, AssertionError)
    assert e.value.field == "memory.dram.bandwidth"
    # just inside: 1e-296 B/s runs, its latency the DRAM bytes at 0.7 x the bandwidth
    r = simulate(load_architecture("cpu-ddr5", overrides={"memory.dram.bandwidth": "1e-296 B/s"}),
                 wl, keep_ops=False)
    assert r.latency_s == pytest.approx(r.traffic_bytes["dram"] / (0.7 * 1e-296), rel=1e-12, abs=0)
    assert r.latency_s > 1e306 and math.isfinite(r.energy_j)


def test_a_power_density_overflow_names_the_energy_not_the_area():
    # sram-cim gru moves 2,662,400 B over the interconnect in 295 us on 1707 mm^2: at 1e295
    # J/bit the energy 2.13e302 J and the power 7.2e305 W are finite, the density is not
    wl = load_workload("gru")
    arch = load_architecture("sram-cim", overrides={"links.interconnect.energy_per_bit": "1e290 J/bit"})
    r = simulate(arch, wl, keep_ops=False)
    assert r.energy_breakdown_j["interconnect"] == pytest.approx(2_662_400 * 8 * 1e290, rel=1e-12, abs=0)
    scale = 1e5  # 1e290 -> 1e295 J/bit
    assert r.energy_j * scale / r.latency_s < DBL_MAX < r.energy_j * scale / r.latency_s / r.area_m2
    r = CliRunner().invoke(main, ["run", "sram-cim", "gru", "--set",
                                  "links.interconnect.energy_per_bit=1e295J/bit"])
    line = _one_line_error(r, "links.interconnect.energy_per_bit=1e295J/bit",
                           "links.interconnect.energy_per_bit")
    assert "power_density_w_per_m2 is not finite (inf W/m²) = energy 2.13e+302 J / latency 295 µs / " \
           "area 1707 mm²" in line
    assert "too small" not in line and "declared area" not in line


SUBNORMAL = ["--set", "processor.energy_per_mac.fp32=1e-320J", "--set", "processor.static_power=0W",
             "--set", "memory.dram.energy_per_bit=1e-320J/bit", "--set",
             "memory.sram.energy_per_byte=1e-320J/B", "--set", "processor.energy_per_vector_op=1e-320J"]


def _strict(text: str):
    def refuse(name):
        raise ValueError(f"{name} is not JSON (RFC 8259)")

    return json.loads(text, parse_constant=refuse)


def test_ops_per_joule_over_a_subnormal_energy_is_refused_not_infinity_in_json():
    # 2 x 629,145,600 MACs / 2.1e-311 J = 5.9e319 OPS/J > 1.8e308
    r = subprocess.run([sys.executable, "-m", "cimsim", "run", "cpu-ddr5", "gru", *SUBNORMAL, "--json"],
                       capture_output=True, text=True)
    assert r.returncode == 1 and r.stdout == ""  # no JSON with Infinity in it
    (line,) = r.stderr.splitlines()
    assert "ops_per_j is not finite (inf op/J): the energy 2.1" in line
    assert "(subnormal, below 2.2e-308 J) is too small to divide by" in line


def test_subnormal_energy_refusal_prints_4_digits_and_the_value_given():
    """The refusal printed `the energy 1.08454581125519e-309 J` (repr) and echoed the given
    1e-320 J/bit as its subnormal round-off `9.99989e-321 J/bit` (find-Y #6): 4 significant
    digits, as every number. Only DRAM costs energy here: its bytes x 8 bits x 1e-320 J/bit."""
    dram = simulate(load_architecture("cpu-ddr5"), load_workload("lstm"),
                    engine="analytic").traffic_bytes["dram"]
    assert 13.5e9 < dram < 13.6e9  # the LSTM's 13.56 GB: W_hh read every step
    energy = dram * 8 * 1e-320  # 1.0845e-309 J, subnormal
    sets = ["memory.sram.energy_per_byte=0J/B", "memory.dram.energy_per_bit=1e-320J/bit",
            "processor.energy_per_mac.fp32=0J", "processor.energy_per_vector_op=0J",
            "processor.static_power=0W"]
    res = CliRunner().invoke(main, ["run", "cpu-ddr5", "lstm", "--engine", "analytic", "--json",
                                    *(a for s in sets for a in ("--set", s))])
    assert res.exit_code == 1
    assert res.output == (
        "Error: --set memory.dram.energy_per_bit=1e-320J/bit: memory.dram.energy_per_bit: the run's "
        f"ops_per_j is not finite (inf op/J): the energy {energy:.4g} J (subnormal, below 2.2e-308 J) "
        "is too small to divide by: check memory.dram.energy_per_bit = 1e-320 J/bit (beyond 1e-30 "
        "to 1e30 in SI units)\n")
    assert f"{energy:.4g}" == "1.085e-309"


@pytest.mark.parametrize("config, sets", [
    ("cpu-ddr5", []),  # no area declared: OPS/mm^2 and the power density are NaN -> null
    ("cpu-ddr5", ["--set", "processor.energy_per_mac.fp32=0J", "--set", "processor.static_power=0W",
                  "--set", "memory.dram.energy_per_bit=0J/bit", "--set", "memory.sram.energy_per_byte=0J/B",
                  "--set", "processor.energy_per_vector_op=0J"]),  # no energy: OPS/W is null
    ("sram-cim", []),
])
def test_run_json_parses_with_a_strict_parser(config, sets):
    r = CliRunner().invoke(main, ["run", config, "gru", "--json", *sets])
    assert r.exit_code == 0, r.output
    out = _strict(r.output)
    assert out["latency_s"] > 0 and ("ops_per_j" in out)
    if sets:
        assert out["ops_per_j"] is None


def test_huge_numbers_print_with_an_exponent_and_their_unit():
    # 404 ops, each 1e200 s of dispatch: 4.04e202 s (it printed 203 digits and a cut-off unit)
    r = CliRunner().invoke(main, ["run", "cpu-ddr5", "lstm", "--set", "processor.op_overhead=1e200s"],
                           env={"COLUMNS": "80"})
    assert r.exit_code == 0, r.output
    assert any(ln.split() == ["latency", f"{404 * 1e200:.4g}", "s"] for ln in r.output.splitlines()), r.output
    assert "4.04e+202 s" in r.output and "000,000" not in r.output
    r = CliRunner().invoke(main, ["compare", "cpu-ddr5", "-w", "lstm", "--set", "processor.op_overhead=1e200s"],
                           env={"COLUMNS": "80"})
    assert r.exit_code == 0, r.output
    row = next(ln for ln in r.output.splitlines() if "4.04e+202 s" in ln)
    assert "lstm" in row and "cpu-ddr5" in row  # the name columns keep their width


def test_an_energy_sum_that_overflows_warns_nothing_before_its_error():
    """Each op's DRAM energy is finite (its bytes x 8 x 1e300 J/bit, about 1e310 J only for
    the largest), their sum is not: NumPy's 'overflow encountered in reduce' printed a
    `warning:` line before the one-line error (find-D 2). Run with every warning an error."""
    import warnings

    from cimsim.bundled import resolve_config, resolve_workload

    arch = load_architecture(resolve_config("cpu-ddr5"),
                             overrides={"memory.dram.energy_per_bit": "1e300 J/bit"})
    wl = load_workload(resolve_workload("gru"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(OverflowInputError, match="dram energy is not finite"):
            simulate(arch, wl)
