"""A field of another type of memory level says which type has it: `--set
memory.dram.standard=HBM3` on a fixed level was "'memory.dram.standard' is not a field" with no
word that it belongs to `type: dram`; switching the type left "memory.dram.bandwidth: unknown
key" with no word that bandwidth belongs to `type: fixed`."""

from __future__ import annotations

import pytest

from cimsim.bundled import resolve_config
from cimsim.config.loader import load_architecture
from cimsim.errors import ConfigError

GPU = resolve_config("gpu-hbm3")


def test_a_dram_field_on_a_fixed_level_names_the_type():
    with pytest.raises(ConfigError) as e:
        load_architecture(GPU, {"memory.dram.standard": "HBM3"}, cli=True)
    assert "'standard' is a field of type dram: set memory.dram.type=dram too" in str(e.value)


def test_a_fixed_field_on_a_dram_level_names_the_type(tmp_path):
    # a file's level of type dram that keeps a fixed level's bandwidth (a switch by --set is
    # refused before, naming the field and how to leave it out: below)
    path = tmp_path / "gpu-dram.yaml"
    path.write_text(GPU.read_text().replace("\n  dram:\n", "\n  dram:\n    type: dram\n"
                                            "    standard: HBM3\n"))
    with pytest.raises(ConfigError) as e:
        load_architecture(path)
    msg = str(e.value)
    assert "memory.dram.bandwidth: unknown key for type dram: 'bandwidth' is a field of type " \
           "fixed" in msg


def test_a_typo_still_gets_did_you_mean_only():
    with pytest.raises(ConfigError) as e:
        load_architecture(GPU, {"memory.dram.bandwdth": "1 TB/s"}, cli=True)
    assert "did you mean 'memory.dram.bandwidth'" in str(e.value) and "of type" not in str(e.value)


# ------------------------------------------- switching a level's type with --set (README 0.4 gap)

import json  # noqa: E402

from click.testing import CliRunner  # noqa: E402

from cimsim.cli import main  # noqa: E402

SWITCH = ["--set", "memory.dram.type=dram", "--set", "memory.dram.standard=HBM3"]


def _run(*args):
    return CliRunner().invoke(main, ["run", "gpu-hbm3", "lstm", "--json", *args])


def test_a_type_switch_that_leaves_the_old_types_fields_names_them_and_the_way_out():
    r = _run(*SWITCH)
    assert r.exit_code == 1 and r.stdout == "", r.output
    assert r.stderr.count("\n") == 1, r.stderr
    assert r.stderr.startswith("Error: --set memory.dram.type=dram: type dram has no bandwidth "
                               "(3.35 TB/s); leave it out too: "), r.stderr
    assert "--set memory.dram.bandwidth=null" in r.stderr, r.stderr


@pytest.mark.parametrize("null_first", [False, True])
def test_a_type_switch_with_the_old_fields_left_out_runs_as_the_same_level_in_a_file(tmp_path,
                                                                                       null_first):
    drop = ["--set", "memory.dram.bandwidth=null"]
    r = _run(*(drop + SWITCH if null_first else SWITCH + drop))
    assert r.exit_code == 0, r.output
    # the same level written in a config file: bandwidth out, type and standard in
    text = GPU.read_text()
    assert "    bandwidth: 3.35 TB/s  # NVIDIA H100 SXM datasheet (P)\n" in text
    text = text.replace("    bandwidth: 3.35 TB/s  # NVIDIA H100 SXM datasheet (P)\n",
                        "    type: dram\n    standard: HBM3\n")
    path = tmp_path / "gpu-dram.yaml"
    path.write_text(text)
    f = CliRunner().invoke(main, ["run", str(path), "lstm", "--json"])
    assert f.exit_code == 0, f.output
    got, want = json.loads(r.stdout), json.loads(f.stdout)
    assert got["latency_s"] == want["latency_s"] and got["energy_j"] == want["energy_j"]
    # and it is another level than the fixed one (the JEDEC ceilings, not 3.35 TB/s x 0.70)
    assert got["latency_s"] != json.loads(_run().stdout)["latency_s"]


def test_a_field_set_before_the_switch_that_the_new_type_lacks_is_refused_naming_it():
    r = _run("--set", "memory.dram.bandwidth=1TB/s", *SWITCH)
    assert r.exit_code == 1 and r.stderr.count("\n") == 1, r.output
    assert "type dram has no bandwidth (1TB/s, from --set memory.dram.bandwidth=1TB/s)" in r.stderr


def test_null_leaves_a_required_field_out_and_the_error_names_the_set():
    r = _run("--set", "memory.dram.bandwidth=null")
    assert r.exit_code == 1 and r.stderr.count("\n") == 1, r.output
    assert "--set memory.dram.bandwidth=null: " in r.stderr and "required" in r.stderr, r.stderr


def test_null_on_an_optional_field_is_its_default():
    # memory.dram.energy_per_byte is optional (energy_per_bit is given); latency defaults to 0 s
    a = load_architecture(GPU, {"memory.dram.latency": "null"}, cli=True)
    b = load_architecture(GPU, {"memory.dram.latency": "0 s"}, cli=True)
    assert a.memory["dram"].latency == b.memory["dram"].latency == 0.0


@pytest.mark.parametrize("command", ["compare", "report"])
def test_a_set_path_one_of_several_configs_lacks_names_that_config(tmp_path, command):
    # "'cim' is not a section of this config" did not say which of the configs
    r = CliRunner().invoke(main, [command, "gpu-hbm3", "sram-cim", "-w", "lstm", "--set",
                                  "cim.arrays=64", *(["-o", str(tmp_path / "r")] if command == "report" else [])])
    assert r.exit_code == 1 and r.stderr.count("\n") == 1, r.output
    assert r.stderr.startswith(f"Error: {GPU}: --set cim.arrays=64: 'cim' is not a section of "
                               "this config; its components: processor"), r.stderr


def test_fields_of_a_config_list_every_type_a_level_can_switch_to():
    r = CliRunner(env={"COLUMNS": "300"}).invoke(main, ["fields", "-c", "gpu-hbm3", "memory.dram.type"])
    assert r.exit_code == 0, r.output
    row = [ln for ln in r.stdout.splitlines() if "memory.dram.type" in ln]
    assert len(row) == 1 and "one of fixed, dram" in row[0], r.stdout


def test_a_component_type_switch_names_every_field_the_new_type_lacks():
    r = _run("--set", "processor.type=systolic")
    assert r.exit_code == 1 and r.stderr.count("\n") == 1, r.output
    assert r.stderr.startswith("Error: --set processor.type=systolic: type systolic has no cores "
                               "(132), macs_per_cycle_per_core (a section), "), r.stderr
    assert "--set processor.cores=null, --set processor.macs_per_cycle_per_core=null" in r.stderr
