"""Names a result already uses, and a 0.1-layout config's (U) marks (found by a seventh round of
new users: a memory level named ``compute`` erased the run's compute time from its critical
path; a legacy config's marks vanished, its placeholder share 0)."""

from __future__ import annotations

import copy

import pytest

from cimsim import simulate
from cimsim.bundled import resolve_config
from cimsim.config import architecture_from_dict
from cimsim.config.loader import load_architecture, read_yaml
from cimsim.errors import ConfigError

from conftest import gemv_workload

LEGACY = """name: legacy-marked
processor:
  name: p
  cores: 2
  clock: 1 GHz
  macs_per_cycle_per_core: {fp32: 8}
  vector_ops_per_cycle_per_core: 8
  energy_per_mac: {fp32: 4 pJ}
  energy_per_vector_op: 1 pJ
  static_power: 1 mW
  op_overhead: 1 us
  sram:
    capacity: 1 MiB
    bandwidth: 1 TB/s
    energy_per_byte: 1 pJ/B  # (U) placeholder
memory:
  technology: DDR4
  channels: 2
  bandwidth: 10 GB/s
  access_latency: 100 ns  # (U) placeholder
  energy_per_bit: 1000 pJ/bit
  capacity: 16 GiB
"""


@pytest.mark.parametrize("name", ["compute", "overhead", "static", "weight", "activation"])
def test_a_level_or_link_may_not_take_a_result_parts_name(name):
    d = read_yaml(resolve_config("cpu-ddr5"))
    d["memory"] = {(name if k == "sram" else k): v for k, v in d["memory"].items()}
    with pytest.raises(ConfigError, match=f"{name}: the name is used by a report part too.*"
                                          "may not be named static, compute, overhead, weight, "
                                          "activation or <level or link>_write"):
        architecture_from_dict(d)
    d = read_yaml(resolve_config("sram-cim"))
    d["links"] = {name: d["links"]["interconnect"]}
    d["cim"]["link"] = name
    with pytest.raises(ConfigError, match=f"{name}: the name is used by a report part too"):
        architecture_from_dict(d)


def test_a_component_may_be_named_compute():
    d = read_yaml(resolve_config("cpu-ddr5"))
    d["compute"] = {"type": "processor", **d.pop("processor")}
    arch = architecture_from_dict(d)
    r = simulate(arch, gemv_workload(512, 512))
    assert r.ops_per_unit == {"compute": 1}


def test_components_of_a_type_by_their_names_in_config_order():
    d = read_yaml(resolve_config("sram-cim"))
    d["cim_b"] = {"type": "cim", **d["cim"]}  # a second CIM unit, named by the user
    arch = architecture_from_dict(d)
    assert [c.name for c in arch.of_type("cim")] == ["cim", "cim_b"]
    assert [c.name for c in arch.of_type("processor")] == ["processor"]
    assert arch.of_type("pim") == []


def test_a_legacy_configs_marks_follow_their_values(tmp_path):
    f = tmp_path / "legacy.yaml"
    f.write_text(LEGACY)
    arch = load_architecture(f)
    assert arch.placeholders == {"memory.sram.energy_per_byte", "memory.dram.latency"}
    r = simulate(arch, gemv_workload(512, 512))
    assert r.provenance["energy"]["sram"] == "placeholder"
    assert r.provenance["energy"]["dram"] == "given"


def test_fields_gives_a_dram_levels_own_channels():
    from cimsim.config.schema import describe_fields

    doc = next(d for d in describe_fields() if d.path == "memory.LEVEL.channels")
    assert "(type: dram) Data buses of the preset's width" in doc.description
    assert doc.description.startswith("Independent channels")


@pytest.mark.parametrize("name", ["cim_buffer", "cim_adc", "processor_compute"])
def test_a_level_may_not_take_a_components_part_name(name):
    # sram-cim's flat buffer is the critical-path part cim_buffer: a level of that name shared
    # its key, the level's time lost from the path; one named cim_adc or processor_compute lost
    # that part's energy from the total
    d = read_yaml(resolve_config("sram-cim"))
    d["memory"] = {(name if k == "sram" else k): v for k, v in d["memory"].items()}
    with pytest.raises(ConfigError, match=f"{name}: the name is used by a report part too: "
                                          f"{name.split('_')[0]}'s energy or compute part"):
        architecture_from_dict(d)


@pytest.mark.parametrize("level, comp, part", [("cim_arrays", "cim", "arrays"),
                                               ("processor_die", "processor", "die")])
def test_an_on_chip_level_with_an_area_may_not_take_a_components_area_part(level, comp, part):
    """sram-cim's SRAM renamed cim_arrays with an area of 5 mm²: its area_cim_arrays_m2 took the
    place of the CIM arrays' 8452 x 0.202 mm² = 1,707 mm², so the chip read 5 mm² in all;
    processor_die likewise the processor's die (given here as 100 mm²). Refused at load."""
    d = read_yaml(resolve_config("sram-cim"))
    if comp == "processor":
        d["processor"]["area"] = "100 mm^2"
    d["memory"] = {(level if k == "sram" else k): ({**v, "area": "5 mm^2"} if k == "sram" else v)
                   for k, v in d["memory"].items()}
    d["processor"]["tdp_includes"] = [level]  # the host's TDP covers the renamed level
    with pytest.raises(ConfigError) as e:
        architecture_from_dict(d)
    assert str(e.value) == (f"<config>: {comp}: its area part '{part}' is reported as '{level}', "
                            f"the name of memory level '{level}', whose area is reported too; parts "
                            "and levels need distinct names: rename the level")
    d["memory"][level].pop("area")  # no area of its own: no area column, no clash
    assert architecture_from_dict(d).memory[level].area is None


def test_fields_gives_the_type_row_once():
    from cimsim.config.schema import describe_fields

    doc = next(d for d in describe_fields() if d.path == "memory.LEVEL.type")
    assert "(type: dram)" not in doc.description


def test_a_link_may_not_take_a_levels_write_column():
    # a link named dram_write: its dram_write_bytes column is the dram level's written bytes
    d = read_yaml(resolve_config("sram-cim"))
    d["links"] = {"dram_write": d["links"]["interconnect"]}
    d["cim"]["link"] = "dram_write"
    with pytest.raises(ConfigError, match="dram_write: the name is used by a report part too"):
        architecture_from_dict(d)


def test_a_result_column_two_things_would_fill_is_refused():
    """A component `ops` beside one named `reprograms`: `ops_reprograms` was both the CIM's
    fact and the processor's op count, and the record kept one of them (the fact: 0 where the
    processor ran 101 ops). Every result column now has one meaning, checked at load; every
    bundled config passes."""
    from cimsim import bundled
    from cimsim.config import architecture_from_dict
    from cimsim.config.loader import read_yaml
    from cimsim.errors import ConfigError
    from cimsim.report.columns import column_clashes

    for path in bundled.config_paths():
        assert column_clashes(architecture_from_dict(read_yaml(path))) == []
    d = read_yaml(bundled.resolve_config("sram-cim"))
    d["ops"] = dict(d.pop("cim"), type="cim")
    d["reprograms"] = dict(d.pop("processor"), type="processor")
    with pytest.raises(ConfigError, match=r"ops: result column 'ops_reprograms' would be both the op "
                                          r"count of component 'reprograms' and fact 'reprograms' of "
                                          r"component 'ops'"):
        architecture_from_dict(d)
