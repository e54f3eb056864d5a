"""``cimsim.sensitivity`` / ``cimsim sensitivity`` and relative ``--param`` specs (``x0.9``),
against closed forms on conftest's round machine written to a real YAML file (find-D 2)."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from click.testing import CliRunner

import cimsim
from cimsim.cli import main
from cimsim.errors import CimsimError
from cimsim.sweep.runner import plan_sweep
from cimsim.workload import save_workload
from conftest import gemv_workload

K = N = 4096  # a 4096 x 4096 fp32 GEMV: 64 MiB of weights streamed from DRAM once

#: conftest's ROUND_ARCH as a file, with source marks in its comments; DRAM latency 0, so the
#: GEMV's time is its DRAM bytes over the bandwidth and nothing else
ROUND_YAML = """\
name: round
memory:
  sram:
    capacity: 1 MiB
    bandwidth: 1 TB/s
    energy_per_byte: 1 pJ/B  # Horowitz (T) (D)
  dram:
    technology: test-dram
    channels: 2
    bandwidth: 10 GB/s  # 2 channels x 5 GB/s (D)
    latency: 0 s
    energy_per_bit: 10 pJ/bit  # (U) placeholder
    capacity: 16 GiB
processor:
  name: test-cpu
  cores: 4
  clock: 1 GHz  # datasheet (P)
  macs_per_cycle_per_core: {fp32: 8, int8: 32}
  vector_ops_per_cycle_per_core: 8
  energy_per_mac: {fp32: 4 pJ, int8: 0.25 pJ}
  energy_per_vector_op: 1 pJ
  static_power: 1 W  # (U) placeholder
  op_overhead: 0 s
"""

SPAN = math.log(1.1 / 0.9)  # the central difference's step in ln p at rel 0.1


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("sens")
    (d / "round.yaml").write_text(ROUND_YAML)
    save_workload(gemv_workload(K, N), d / "gemv.json")
    save_workload(gemv_workload(1024, 1024, rows=1024, name="matmul"), d / "matmul.json")
    return d


def linear(s: float, rel: float = 0.1) -> float:
    """The central difference of an energy with a part of share ``s`` linear in p."""
    return math.log((1 + rel * s) / (1 - rel * s)) / math.log((1 + rel) / (1 - rel))


def test_dram_bound_run_closed_forms(files):
    df = cimsim.sensitivity(files / "round.yaml", files / "gemv.json", rel=0.1, engine="analytic")
    row = df.set_index("field")
    # DRAM reads the weights and the input vector: B bytes at 10 GB/s, the whole latency
    b = (K * N + K) * 4
    latency = b / 10e9
    assert df.attrs["latency_s"] == pytest.approx(latency, rel=1e-12, abs=0)
    parts = {"dram": b * 8 * 10e-12, "mac": K * N * 4e-12, "sram": (b + N * 4) * 1e-12,
             "static": 1.0 * latency}
    energy = sum(parts.values())
    assert df.attrs["energy_j"] == pytest.approx(energy, rel=1e-12, abs=0)
    # latency inversely proportional to the bandwidth: -1 exactly; the energy moves by its static part
    assert row.loc["memory.dram.bandwidth", "latency_elasticity"] == pytest.approx(-1, abs=1e-9)
    assert row.loc["memory.dram.bandwidth", "energy_elasticity"] == pytest.approx(
        math.log((parts["static"] / 1.1 + energy - parts["static"])
                 / (parts["static"] / 0.9 + energy - parts["static"])) / SPAN, rel=1e-9, abs=0)
    # energy linear in each energy field: its part's share, to the central difference's error
    for field, part in (("memory.dram.energy_per_bit", "dram"), ("processor.static_power", "static"),
                        ("processor.energy_per_mac.fp32", "mac")):
        s = parts[part] / energy
        assert row.loc[field, "energy_elasticity"] == pytest.approx(linear(s), rel=1e-9, abs=0), field
        assert abs(linear(s) - s) <= 0.0034 * s  # "its share to 0.34 % at rel 0.1"
        assert row.loc[field, "latency_elasticity"] == 0
    # the compute is off the path: the clock moves nothing
    assert row.loc["processor.clock", "latency_elasticity"] == 0
    # ranked by the larger elasticity; marks and sources as the file and `fields -c` give them
    assert df["field"].iloc[0] == "memory.dram.bandwidth"
    assert row.loc["memory.dram.energy_per_bit", "marks"] == "(U)"
    assert row.loc["memory.dram.energy_per_bit", "source"] == "file, placeholder"
    assert row.loc["memory.sram.energy_per_byte", "marks"] == "(T) (D)"
    assert row.loc["processor.clock", "marks"] == "(P)"
    assert row.loc["memory.dram.bandwidth", "value"] == "10 GB/s"
    assert row.loc["memory.dram.bandwidth", "unit"] == "B/s"
    # whole numbers and the latency of 0 s are not perturbed by default
    assert "processor.cores" not in row.index and "memory.dram.latency" not in row.index
    assert row.loc["memory.dram.bandwidth", "latency_low_s"] == pytest.approx(b / 9e9, rel=1e-12, abs=0)


def test_compute_bound_run_closed_forms(files):
    df = cimsim.sensitivity(files / "round.yaml", files / "matmul.json",
                            ["memory.dram.bandwidth", "processor.clock"], engine="analytic")
    row = df.set_index("field")
    # 1024^3 MACs at 4 cores x 8 MAC x 1 GHz = 33.6 ms against 12 MiB over 10 GB/s = 1.3 ms
    assert df.attrs["latency_s"] == pytest.approx(1024 ** 3 / 32e9, rel=1e-9, abs=0)
    assert row.loc["memory.dram.bandwidth", "latency_elasticity"] == 0
    assert row.loc["processor.clock", "latency_elasticity"] == pytest.approx(-1, abs=1e-9)


def test_fields_that_cannot_be_perturbed(files):
    df = cimsim.sensitivity(files / "round.yaml", files / "gemv.json", ["processor.cores"],
                            engine="analytic")
    assert math.isnan(df["latency_elasticity"].iloc[0])
    assert df["note"].iloc[0] == ("x0.9 of 4 is 3.6, not a whole number: give a rel that makes "
                                  "whole numbers")
    df = cimsim.sensitivity(files / "round.yaml", files / "gemv.json", ["processor.cores"],
                            rel=0.5, engine="analytic")  # 2 and 6 cores: the compute is off the path
    assert df["latency_elasticity"].iloc[0] == 0
    for fields, rel, match in (
            (["processor.name"], 0.1, r"^field processor.name: is a str; a sensitivity perturbs numbers"),
            (["memory.dram.energy_per_byte"], 0.1, r"^field memory.dram.energy_per_byte: config .* "
                                                    r"has no value of it to perturb"),
            (None, 1.0, r"^rel 1.0: the relative step must be a number between 0 and 1")):
        with pytest.raises(CimsimError, match=match):
            cimsim.sensitivity(files / "round.yaml", files / "gemv.json", fields, rel=rel,
                               engine="analytic")


def test_refused_values_note_the_field_and_its_domain(files, tmp_path):
    """x1.5 of a sustained fraction of 0.7 is 1.05, above the field's domain (0, 1]: the note
    says so in the field's words, not the Python ``overrides={...}`` that tried it nor
    pydantic's "Input should be"; x0.5 of a 1.5 W TDP is 0.75 W, under the 1 W static power
    (a rule between fields): the config's own error, without that prefix."""
    cfg = tmp_path / "fraction.yaml"
    cfg.write_text(ROUND_YAML.replace("    latency: 0 s\n", "    latency: 0 s\n    sustained_fraction: 0.7\n")
                   .replace("  op_overhead: 0 s\n", "  op_overhead: 0 s\n  tdp: 1.5 W\n"))
    df = cimsim.sensitivity(cfg, files / "gemv.json", ["memory.dram.sustained_fraction",
                                                       "processor.tdp"], rel=0.5, engine="analytic")
    note = df.set_index("field")["note"]
    assert note["memory.dram.sustained_fraction"] == (
        "x1.5 = 1.05: memory.dram.sustained_fraction must be <= 1")
    assert note["processor.tdp"].startswith("x0.5 = 750 mW: processor.tdp: 750 mW is below "
                                            "static_power 1 W")
    assert "overrides" not in note["processor.tdp"]
    res = CliRunner(env={"COLUMNS": "300"}).invoke(main, [
        "sensitivity", str(cfg), "-w", str(files / "gemv.json"), "--engine", "analytic",
        "--field", "memory.dram.sustained_fraction", "--rel", "0.5"])
    assert res.exit_code == 0, res.output
    assert "x1.5 = 1.05: memory.dram.sustained_fraction must be <= 1" in res.output
    assert "Input should be" not in res.output and "overrides=" not in res.output


def test_header_states_the_smallest_rel_to_its_digits(files):
    # review 15-2 item 7: at --rel 1e-9 the header read "each field at x1 and x1" (:g, 6 digits)
    res = CliRunner().invoke(main, ["sensitivity", str(files / "round.yaml"), "-w",
                                    str(files / "gemv.json"), "--engine", "analytic", "--field",
                                    "processor.static_power", "--rel", "1e-9"])
    assert res.exit_code == 0, res.output
    assert "each field at x0.999999999 and x1.000000001" in res.output


def test_cli_table_and_csv(files, tmp_path):
    out = tmp_path / "s.csv"
    res = CliRunner().invoke(main, ["sensitivity", str(files / "round.yaml"), "-w",
                                    str(files / "gemv.json"), "--engine", "analytic", "--field",
                                    "memory.dram.bandwidth", "--field", "processor.static_power",
                                    "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert res.output.startswith("round on gemv (analytic): latency 6.713 ms, energy 12.22 mJ")
    assert "each field at x0.9 and x1.1" in res.output and "-1.0000" in res.output
    df = pd.read_csv(out)
    assert list(df["field"]) == ["memory.dram.bandwidth", "processor.static_power"]
    assert {"latency_low_s", "energy_high_j", "value_si", "unit"} <= set(df.columns)
    res = CliRunner().invoke(main, ["sensitivity", str(files / "round.yaml"), "-w",
                                    str(files / "gemv.json"), "--rel", "0"])
    assert res.exit_code == 2
    assert res.output.strip().splitlines() == [
        "Error: --rel 0: the relative step must lie between 0 and 1, exclusive (0.1: each field "
        "at x0.9 and x1.1)"]


def test_relative_sweep_specs(files, tmp_path):
    cfg = str(files / "round.yaml")
    plan = plan_sweep(cfg, str(files / "gemv.json"),
                      ["memory.dram.energy_per_bit=x0.9,x1.1", "memory.dram.bandwidth=x0.5..x2:log:3",
                       "processor.cores=x0.5,x2"])
    values = {p.path: p.values for p in plan.specs}
    assert values["memory.dram.energy_per_bit"] == pytest.approx((9e-12, 11e-12), rel=1e-12, abs=0)
    assert values["memory.dram.bandwidth"] == pytest.approx((5e9, 10e9, 20e9), rel=1e-12, abs=0)
    assert values["processor.cores"] == (2, 8)
    assert [p.spec for p in plan.specs][0] == "x0.9,x1.1"  # shown as the user wrote it
    other = tmp_path / "other.yaml"
    other.write_text(ROUND_YAML.replace("name: round", "name: other").replace(
        "bandwidth: 10 GB/s", "bandwidth: 20 GB/s"))
    for cfgs, param, match in (
            ([cfg, str(other)], "memory.dram.bandwidth=x1.1",
             r"differs between configs .*round.yaml \(10 GB/s\) and .*other.yaml \(20 GB/s\)"),
            ([cfg], "processor.cores=x1.1", r"x1.1 of the config's 4 is 4.4, not a whole number"),
            ([cfg], "memory.dram.bandwidth=x-1", r"'x-1': a relative value is x and a factor > 0"),
            ([cfg], "memory.dram.energy_per_byte=x2", r"has no value of it to multiply")):
        with pytest.raises(CimsimError, match=match):
            plan_sweep(cfgs, str(files / "gemv.json"), [param])
    res = CliRunner().invoke(main, ["sweep", cfg, "-w", str(files / "gemv.json"), "--param",
                                    "processor.cores=x1.1", "--dry-run"])
    assert res.exit_code == 1 and len(res.output.strip().splitlines()) == 1, res.output


@pytest.mark.parametrize("param, hint", [
    ("memory.dram.bandwidth=x", True), ("memory.dram.bandwidth=X, 20GB/s", True),
    ("memory.dram.bandwidth=x..x2:log:3", True), ("processor.cores=x", True),
    ("memory.dram.bandwidth=fast", False), ("processor.cores=4.5", False)])
def test_a_bare_x_is_told_the_relative_form(files, param, hint):
    """review14-5 #3: a bare 'x' (no factor) is no relative value since da8aa90, and the number
    parser's error that it gets instead never named the relative form a user who typed it
    meant; a value not starting with x is not told it."""
    res = CliRunner().invoke(main, ["sweep", str(files / "round.yaml"), "-w", str(files / "gemv.json"),
                                    "--param", param, "--dry-run"])
    lines = res.output.strip().splitlines()
    assert res.exit_code == 1 and len(lines) == 1 and lines[0].startswith("Error: --param "), res.output
    said = "; a relative value is x and a factor > 0, a multiple of the config's value (x0.9, x1.1)"
    assert lines[0].endswith(said) == hint, lines[0]


@pytest.mark.parametrize("rel", [1e-12, 1e-17, 1e-300])
def test_a_step_too_small_to_change_a_value_is_refused(files, rel):
    """A perturbed value is written with 12 significant digits: 40 x (1 +- 1e-12) is written
    40 both times, so the elasticity came out 0 ("the field does not matter"), and at 1e-17
    ln(1.1e-17 ...) the step's span was 0 and the command ended in a ZeroDivisionError. A step
    below 1e-9 is refused in one line, from the API and the command."""
    with pytest.raises(CimsimError, match=r"too small a step .* the smallest allowed is 1e-09$"):
        cimsim.sensitivity(files / "round.yaml", files / "gemv.json", rel=rel, engine="analytic")
    res = CliRunner().invoke(main, ["sensitivity", str(files / "round.yaml"), "-w",
                                    str(files / "gemv.json"), "--rel", repr(rel)])
    assert res.exit_code == 2
    assert res.output.strip().splitlines() == [
        f"Error: --rel {rel:g}: too small a step to change a value written with 12 significant "
        "digits; the smallest allowed is 1e-09"]


def test_the_smallest_step_still_measures_a_share(files):
    """At rel 1e-9 (the smallest allowed) the energy elasticity to the host's static power (a
    part linear in it) is its share s of the energy, not 0; at rel 0.1 the central difference
    of a linear part gives linear(s) = ln((1 + 0.1 s) / (1 - 0.1 s)) / ln(1.1 / 0.9)."""
    a, b = (cimsim.sensitivity(files / "round.yaml", files / "gemv.json", ["processor.static_power"],
                               rel=r, engine="analytic") for r in (1e-9, 0.1))
    s = a["energy_elasticity"].iloc[0]
    assert 0 < s < 1
    assert b["energy_elasticity"].iloc[0] == pytest.approx(linear(s), rel=1e-6, abs=0)


def test_the_note_on_a_bound_that_changes_is_never_cut(files):
    """find-D 6: at 120 columns the note read 'the bound changes: interconnect/in… at x0.9,
    dependency/over… at x1.1', the cut words being the bounds. Here DRAM at 128 GB/s streams
    the GEMV's 67,141,632 B (weights 4096*4096*4 B, vectors 2*4096*4 B) in 0.5245 ms and the
    cores do its 16,777,216 MACs at 4*8 per ns in 0.5243 ms: the clock at x0.9 (0.5825 ms)
    makes it compute-bound, at x1.1 (0.4766 ms) DRAM-bound."""
    (files / "edge.yaml").write_text(ROUND_YAML.replace("bandwidth: 10 GB/s", "bandwidth: 128 GB/s"))
    want = ["the bound changes: memory/dram at x0.9, compute/compute at x1.1",
            "the bound changes: compute/compute at x0.9, memory/dram at x1.1"]
    for columns in (80, 200):
        res = CliRunner(env={"COLUMNS": str(columns)}).invoke(main, [
            "sensitivity", str(files / "edge.yaml"), "-w", str(files / "gemv.json"), "--engine",
            "analytic", "--field", "processor.clock", "--field", "memory.dram.bandwidth"])
        assert res.exit_code == 0, res.output
        assert "…" not in res.output
        table = res.output.splitlines()[1:]
        assert all(len(ln) <= columns for ln in table), res.output
        rows = [ln.rsplit("│", 2)[1] for ln in table if ln.startswith("│")]  # the note column
        notes = "".join(cell.strip() for cell in rows).replace(" ", "")
        assert notes == "".join(want).replace(" ", ""), res.output
        if columns == 200:  # room for each note on one line
            assert [cell.strip() for cell in rows] == want
