"""What a user who mistypes a config meets (issue 21, items 9 and 10), and the one walker over
config field types that ``fields``, ``--set``, sweeps and the loader share (issue 16, item 5)."""

from __future__ import annotations

import ast
import copy
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

import cimsim.config
import cimsim.sweep.runner as sweep_runner
from cimsim import bundled
from cimsim.cli import main
from cimsim.config import architecture_from_dict, load_architecture, read_yaml
from cimsim.config.schema import describe_fields
from cimsim.errors import ConfigError
from cimsim.workload import save_workload
from cimsim.workload.generators import lstm


def _cfg(name: str) -> Path:
    return bundled.resolve_config(name)


def _first_error(*args) -> str:
    res = CliRunner(env={"COLUMNS": "200"}).invoke(main, [str(a) for a in args])
    assert res.exit_code in (1, 2), res.output
    assert "Traceback" not in res.output
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert len(lines) == 1, res.output
    return lines[0]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("wl") / "tiny.json"
    save_workload(lstm(16, 16, 1, steps=2), path)
    return str(path)


def _typo(tmp_path: Path, name: str, path: tuple, wrong: str) -> Path:
    """The bundled config ``name`` with the key at ``path`` renamed to ``wrong``."""
    data = read_yaml(_cfg(name))
    node = data
    for k in path[:-1]:
        node = node[k]
    node[wrong] = node.pop(path[-1])
    out = tmp_path / "typo.yaml"
    out.write_text(yaml.safe_dump(data, sort_keys=False))
    return out


# ------------------------------------------------------------------ 9: typo'd keys
def test_a_misspelt_key_is_the_first_error_with_a_suggestion(tmp_path):
    path = _typo(tmp_path, "gpu-hbm3", ("memory", "dram", "bandwidth"), "bandwith")
    with pytest.raises(ConfigError) as info:
        load_architecture(path)
    lines = str(info.value).splitlines()
    # the typo also leaves 'bandwidth' missing: that error comes second
    assert len(lines) == 2, lines
    assert lines[0].startswith(f"{path}: memory.dram.bandwith: unknown key (did you mean 'bandwidth'?)")
    assert "memory.dram.bandwidth: required field is missing" in lines[1]
    # the command line shows the first
    assert "did you mean 'bandwidth'?" in _first_error("run", path, "lstm")


def test_a_misspelt_nested_key_and_component_are_suggested(tmp_path):
    path = _typo(tmp_path, "sram-cim", ("cim", "adc", "per_array"), "per_aray")
    first = str(pytest.raises(ConfigError, load_architecture, path).value).splitlines()[0]
    assert "cim.adc.per_aray: unknown key (did you mean 'per_array'?)" in first
    path = _typo(tmp_path, "sram-cim", ("processor",), "procesor")
    first = str(pytest.raises(ConfigError, load_architecture, path).value).splitlines()[0]
    assert "unknown component type 'procesor' (did you mean 'processor'?)" in first


def test_set_errors_name_set_not_the_file(tiny):
    line = _first_error("run", "sram-cim", tiny, "--set", "cim.arrays=0")
    assert line.startswith("Error: --set cim.arrays=0: "), line
    assert "sram-cim.yaml" not in line
    line = _first_error("run", "sram-cim", tiny, "--set", "cim.adc.sample_rte=1GHz")
    assert line.startswith("Error: --set cim.adc.sample_rte=1GHz: "), line
    assert "did you mean 'cim.adc.sample_rate'?" in line and "sram-cim.yaml" not in line


def test_set_errors_in_the_file_still_name_the_file(tmp_path, tiny):
    path = _typo(tmp_path, "gpu-hbm3", ("memory", "dram", "bandwidth"), "bandwith")
    line = _first_error("run", path, tiny, "--set", "processor.cores=100")
    assert line.startswith(f"Error: {path}: memory.dram.bandwith: unknown key"), line


@pytest.mark.parametrize("setting", ["capacity=1B", "capacity=3B", "width_bits=1025"])
def test_a_chip_buffer_narrower_than_one_access_is_one_line_naming_the_set(tiny, setting):
    """neurosim-vgg8's tile buffer is 128 B with 32-bit accesses: 1 B and 3 B (8 and 24 bits)
    hold less than one access, 1025 bits are wider than its 1024; the error comes from the
    rule between the section's fields, so it names the file with the --set (it was a
    ValueError traceback from the circuit model)."""
    line = _first_error("run", "neurosim-vgg8", tiny, "--set", f"cim.chip.levels.tile.buffer.{setting}")
    assert f"with --set cim.chip.levels.tile.buffer.{setting}: cim.chip.levels.tile.buffer: " in line, line
    assert "is wider than the buffer" in line and "allowed: 1 bit up to the capacity" in line


def test_a_chip_buffer_exactly_one_access_wide_is_allowed():
    arch = load_architecture("neurosim-vgg8", {"cim.chip.levels.tile.buffer.capacity": "4B"}, cli=True)
    assert arch.component("cim").config.chip.levels["tile"].buffer.capacity == 4.0


@pytest.mark.parametrize("setting", ["cim.buffer.capacity=1mb", "memory.sram.capacity=37.5mb",
                                     "memory.sram.bandwidth=1mb/s"])
def test_a_millibit_or_millibyte_is_refused_at_its_field(tiny, setting):
    """`37.5mb` ran with 4.7 millibytes of last-level cache, `1mb/s` with 1.25e-4 B/s, and a CIM
    buffer of `1mb` failed naming cim.buffer.width (the capacity/width rule); each is now
    refused at the unit, naming the field it was given for."""
    line = _first_error("run", "sram-cim-derived", tiny, "--engine", "analytic", "--set", setting)
    field = setting.split("=")[0]
    assert f"--set {setting}: {field}: unit 'mb' is a millibit (0.001 bit): a byte or bit takes " \
        "no prefix below one (did you mean 'MB' or 'Mb'?)" in line, line
    assert "cim.buffer.width" not in line


def test_a_supply_below_threshold_names_the_voltage_whichever_derived_number_found_it(tiny):
    """A supply at or below the threshold voltage fails the ADC's sample rate (derived from it):
    the line names technology.voltage and the --set that gave it (it named cim.adc.sample_rate,
    which the config does not set)."""
    line = _first_error("run", "sram-cim-derived", tiny, "--set", "technology.voltage=0.2V")
    assert "--set technology.voltage=0.2V: technology.voltage: supply must exceed the threshold " \
           "voltage 0.212 V at 22.0 nm" in line, line
    assert "sample_rate" not in line


def test_a_set_that_breaks_a_rule_of_its_section_is_named_with_the_file(tiny):
    """pim's rule that a link goes with separate sharing is checked on the section: the line
    names the --set (the file has no link), and a value outside a field's own domain names the
    --set alone (power_cap's > 0, which `cimsim fields` lists)."""
    line = _first_error("run", "gpu-hbm-pim-attn", tiny, "--set", "pim.link=pcie")
    assert ("gpu-hbm-pim-attn.yaml with --set pim.link=pcie: pim: link and channels are used "
            "only with sharing: separate") in line, line
    line = _first_error("run", "gpu-hbm-pim-attn", tiny, "--set", "pim.power_cap=0W")
    assert line == ("Error: --set pim.power_cap=0W: pim.power_cap: 0 W is outside the domain: "
                    "the value must be > 0 (W) (got '0W')"), line


@pytest.mark.parametrize("config, level", [("gpu-hbm3", "dram"), ("sram-cim", "sram")])
def test_set_of_a_level_without_memory_suggests_the_full_path(tiny, config, level):
    line = _first_error("run", config, tiny, "--set", f"{level}.bandwidth=1TB/s")
    assert f"did you mean 'memory.{level}.bandwidth'?" in line, line
    assert line.startswith(f"Error: --set {level}.bandwidth=1TB/s: "), line


@pytest.mark.parametrize("path, meant", [
    ("memory.DRAM.latency=100ns", "memory.dram"),  # difflib alone: 'DRAM' vs 'dram' shares no letter
    ("processor.STATIC_POWER=80W", "processor.static_power"),
    ("PROCESSOR.cores=8", "processor"),
    ("Memory.dram.latency=100ns", "memory"),  # a section, not a component, in another case
    ("MEMORY.dram.latency=100ns", "memory"),
])
def test_set_of_a_config_key_in_another_case_suggests_that_key(tiny, path, meant):
    """A key that differs only in case is the closest match (review 2, item 10: only the DRAM
    `standard` case was tested); a top-level section in another case was not suggested at all,
    as the suggestions looked among the components only."""
    line = _first_error("run", "cpu-ddr5", tiny, "--engine", "analytic", "--set", path)
    assert line.startswith(f"Error: --set {path}: "), line
    assert line.endswith(f"(did you mean '{meant}'?)"), line


def test_swapped_run_arguments_are_recognised():
    line = _first_error("run", "lstm", "gpu-hbm3")
    assert "'lstm' is a workload and 'gpu-hbm3' a config" in line
    assert "cimsim run gpu-hbm3 lstm" in line


def test_swapped_run_arguments_as_files(tmp_path, tiny):
    cfg = tmp_path / "mine.yaml"
    cfg.write_text(_cfg("gpu-hbm3").read_text())
    line = _first_error("run", tiny, cfg)
    assert "is a workload" in line and f"cimsim run {cfg} {tiny}" in line


# ------------------------------------------------------------------ 10: booleans from the CLI
@pytest.mark.parametrize("word, value", [
    ("true", True), ("True", True), ("TRUE", True), ("1", True), ("yes", True), ("Yes", True),
    ("false", False), ("False", False), ("0", False), ("no", False),
])
def test_boolean_fields_take_words_from_set(word, value):
    arch = load_architecture(_cfg("sram-cim"), {"cim.weight_replication": word}, cli=True)
    assert arch.components["cim"].weight_replication is value


def test_a_boolean_word_runs_from_the_cli_and_a_non_word_is_refused(tiny):
    res = CliRunner().invoke(main, ["run", "sram-cim", tiny, "--json",
                                    "--set", "cim.weight_replication=true"])
    assert res.exit_code == 0, res.output
    line = _first_error("run", "sram-cim", tiny, "--set", "cim.weight_replication=maybe")
    assert line.startswith("Error: --set cim.weight_replication=maybe: 'maybe' is not a boolean")


def test_yaml_strings_stay_strict_for_booleans():
    # a quoted "yes" in a file (or a Python override) is text, not a boolean
    with pytest.raises(ConfigError, match=r"expected true or false \(got the text 'yes'\)"):
        load_architecture(_cfg("sram-cim"), {"cim.weight_replication": "yes"})


@pytest.mark.parametrize("name", [p.stem for p in bundled.config_paths()])
def test_fields_listing_of_table_keys_is_truthful(name):
    # a table key's default column says whether its table may be left out: the loader agrees
    data = read_yaml(_cfg(name))
    tables = {}
    for f in describe_fields(data):
        if "key" in f.default:
            tables[f.path.rsplit(".", 1)[0]] = f.default
    assert tables  # every bundled config has a processor, with its per-dtype tables
    for table, default in tables.items():
        assert "required table" in default or default == "(optional key)", default
        d = copy.deepcopy(data)
        parts = table.split(".")
        node = d
        for k in parts[:-1]:
            node = node.get(k) if isinstance(node, dict) else None
            if node is None:  # a table inside an optional section the config leaves out
                break
        if node is None or parts[-1] not in node:
            continue
        del node[parts[-1]]
        try:
            architecture_from_dict(d)
            refused = False
        except ConfigError:
            refused = True
        assert refused == ("required table" in default), (table, default)


# ------------------------------------------------------------------ one walker (issue 16)
def _inspects_types(path: Path) -> list[str]:
    """Names of typing introspection (get_origin, get_args, unwrap_optional) ``path`` calls."""
    tree = ast.parse(path.read_text())
    hits = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            fn = node.func
            name = fn.attr if isinstance(fn, ast.Attribute) else getattr(fn, "id", "")
            if name in ("get_origin", "get_args", "unwrap_optional"):
                hits.append(name)
    return hits


def test_config_field_types_are_walked_in_one_module():
    roots = [Path(cimsim.config.__file__).parent, Path(sweep_runner.__file__).parent]
    found = {p.name: _inspects_types(p) for r in roots for p in r.glob("*.py") if _inspects_types(p)}
    assert set(found) == {"walk.py"}, found


def test_the_walker_and_its_users_agree_on_every_field():
    from cimsim.config.paths import resolve
    from cimsim.config.walk import model_at
    from cimsim.hw.cim import CIMConfig
    from cimsim.hw.parts import ADC
    from cimsim.sweep.params import field_kind

    for f in describe_fields():
        ref = resolve(f.path)
        if f.path in ("memory.LEVEL.type", "links.LINK.type"):
            # without a config the path resolves to the default type's model, whose `type` is
            # that one name; the listing names every registered type, the default among them
            assert f.type.startswith(ref.kind.describe()), f.path
            continue
        assert ref.kind.describe() == f.type, f.path
        if ref.kind.is_value:
            assert field_kind(f.path).kind == (ref.kind.name if ref.kind.name != "choice" else "str")
    assert model_at(CIMConfig, ("adc",)) is ADC and model_at(CIMConfig, ("adc", "bits")) is None


def test_a_level_larger_than_the_backing_store_is_refused(tiny, tmp_path):
    """Levels run innermost first and the last holds every tensor: cpu-ddr5 with its two levels
    reversed made the 37.5 MB SRAM the backing store and ran (DRAM traffic counted as bytes
    passing into the SRAM)."""
    d = read_yaml(_cfg("cpu-ddr5"))
    d["memory"] = dict(reversed(list(d["memory"].items())))
    path = tmp_path / "order.yaml"
    path.write_text(yaml.safe_dump(d, sort_keys=False))
    line = _first_error("run", path, tiny)
    # 256 GiB = 274.9e9 B and 37.5 MiB = 39.32e6 B: shown as the config writes them, then in
    # decimal units (review 23 G 4)
    assert line == (f"Error: {path}: memory.dram.capacity: 256 GiB (274.9 GB) is more than the backing store's: "
                    "levels run innermost first and the last, 'sram' of 37.5 MiB (39.32 MB), holds every tensor; "
                    "raise memory.sram.capacity, lower this one, or "
                    "list the levels innermost first (the largest last)"), line



def test_an_inner_level_larger_than_the_one_outside_it_is_refused(tiny, tmp_path):
    """The hierarchy is inclusive: a 64 MiB L2 in front of a 16 MiB LLC ran in silence."""
    d = read_yaml(_cfg("cpu-ddr5"))
    d["memory"] = {"l2": {"capacity": "64 MiB", "bandwidth": "2 TB/s", "energy_per_byte": "5 pJ/B"},
                   "llc": {"capacity": "16 MiB", "bandwidth": "1 TB/s", "energy_per_byte": "10 pJ/B"},
                   "dram": d["memory"]["dram"]}
    path = tmp_path / "inner.yaml"
    path.write_text(yaml.safe_dump(d, sort_keys=False))
    line = _first_error("run", path, tiny)
    assert line == (f"Error: {path}: memory.l2.capacity: 64 MiB (67.11 MB) is more than 'llc' outside it, "
                    "16 MiB (16.78 MB): the hierarchy is inclusive (what a level holds passes every level "
                    "inside it), so each level is at least as large as the one inside it; list the "
                    "levels innermost first"), line


def test_an_empty_set_value_says_it_is_empty(tiny):
    line = _first_error("run", "gpu-hbm3", tiny, "--set", "memory.dram.bandwidth=")
    assert "--set 'memory.dram.bandwidth=': the value is empty; give one, e.g. " \
           "memory.dram.bandwidth=VALUE (memory.dram.bandwidth=null leaves the field out)" in line, line


def test_a_zero_out_of_domain_says_what_was_given(tiny):
    """pydantic's "greater than 0" holds a 0 of its own, which hid the "(got ...)" suffix."""
    line = _first_error("run", "gpu-hbm3", tiny, "--set", "memory.dram.sustained_fraction=0")
    # the --set text of a number field is read as a number (a number field takes no text)
    assert line.endswith("memory.dram.sustained_fraction: Input should be greater than 0 (got 0)"), line


def test_a_misspelt_key_in_a_list_of_sections_lists_the_keys_allowed(tmp_path, tiny):
    """A key of a list item (collective.protocols.0) said "allowed keys here: " and nothing."""
    import copy

    d = copy.deepcopy(read_yaml(_cfg("gpu-hbm3")))
    d["links"] = {"nvlink": {"bandwidth": "450 GB/s", "latency": "4 us", "energy_per_bit": "1.3 pJ/bit"}}
    d["collective"] = {"devices": 4, "protocols": [
        {"name": "LL", "up_to": "4096 B", "base_latency": "5 us", "hop_latency": "0.6 us",
         "wire_eficiency": 0.5}, {"name": "S", "base_latency": "10 us", "hop_latency": "1 us"}]}
    f = tmp_path / "proto.yaml"
    f.write_text(yaml.safe_dump(d, sort_keys=False))
    line = _first_error("run", f, tiny)
    assert "collective.protocols.0.wire_eficiency: unknown key (did you mean 'wire_efficiency'?); " \
           "allowed keys here: name, up_to, base_latency, hop_latency, wire_efficiency" in line, line


def test_a_set_into_a_list_item_says_the_list_is_set_whole(tiny, tmp_path):
    """`--set collective.protocols.0.wire_efficiency=0.3` said "'collective.protocols' has no
    sub-fields", which it has (a list of sections); a list is set whole."""
    d = read_yaml(_cfg("gpu-hbm3"))
    d["links"] = {"nvlink": {"bandwidth": "450 GB/s", "latency": "2 us", "energy_per_bit": "1.3 pJ/bit"}}
    d["collective"] = {"devices": 2, "protocols": [
        {"name": "LL", "up_to": "4 kB", "base_latency": "5 us", "hop_latency": "0.6 us"},
        {"name": "S", "base_latency": "10 us", "hop_latency": "1 us"}]}
    path = tmp_path / "proto.yaml"
    path.write_text(yaml.safe_dump(d, sort_keys=False))
    line = _first_error("run", path, tiny, "--set", "collective.protocols.0.wire_efficiency=0.3")
    assert "'collective.protocols' is a list, set or swept whole: --set 'collective.protocols=[...]' " \
           "(YAML, every item), not an item's field ('collective.protocols.0.wire_efficiency')" in line, line


def test_keys_with_line_breaks_stay_escaped_in_every_part_of_a_config_error(tmp_path, tiny):
    """A key holding a carriage return was escaped in the error's first field but written raw
    in its "(and 1 more: ...)" list, so the one-line error printed as two lines (found by
    test_config_fuzz, 2026-12; \\r ends a line for splitlines and terminals). Every key the
    user wrote is escaped the same way (errors.one_line) in every part: the first error, the
    field list, a --set path, overrides= in Python, `fields`."""
    data = read_yaml(_cfg("gpu-hbm3"))
    data["processor"]["a\rb\nc"] = 1
    data["processor"]["z\r\nz"] = 2
    path = tmp_path / "keys.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    line = _first_error("run", path, tiny)
    assert line.startswith(f"Error: {path}: processor.a\\rb\\nc: unknown key; allowed keys here: ")
    assert line.endswith(" (and 1 more: processor.z\\r\\nz)")
    assert _first_error("run", "gpu-hbm3", tiny, "--set", "proc\ness\ror.cores=3") == (
        "Error: --set proc\\ness\\ror.cores=3: 'proc\\ness\\ror' is not a section of this config; "
        "its components: processor (did you mean 'processor'?)")
    assert _first_error("run", "gpu-hbm3", tiny, "--set", "memory.d\nram.bandwidth=3").startswith(
        "Error: --set memory.d\\nram.bandwidth=3: this architecture has no 'memory.d\\nram'; ")
    assert _first_error("fields", "-c", "gpu-hbm3", "proc\ness") == (
        "Error: no config field starts with 'proc\\ness'")
    # any command's own error quoting what was typed (the command line escapes it)
    sweep = tmp_path / "s.parquet"
    res = CliRunner().invoke(main, ["sweep", "gpu-hbm3", "-w", tiny, "--param", "processor.cores=1,2",
                                    "--engine", "analytic", "-o", str(sweep)])
    assert res.exit_code == 0, res.output
    assert _first_error("plot", sweep, "--x", "a\nb").startswith("Error: --x a\\nb: the x axis of ")
    with pytest.raises(ConfigError) as info:
        load_architecture("gpu-hbm3", overrides={"memory.d\nram.x": 1})
    assert "\n" not in str(info.value) and "override 'memory.d\\nram.x': this architecture has no " \
        "'memory.d\\nram'" in str(info.value)


FLAG_HINT = ("a quoted word is text in YAML; write it unquoted, true or false (True or False in "
             "a Python overrides= mapping; --set takes true/false, yes/no, 1/0)")


def test_a_boolean_given_as_text_says_what_to_write_as_a_number_does(tmp_path):
    """find-D 7: ``overrides={"cim.input_reuse": "true"}`` (copied from ``--set``) said
    pydantic's "Input should be a valid boolean (got 'true')", with none of the hint the
    number fields give; now the same shape of line as ``cim.arrays: "2048"`` gets."""
    with pytest.raises(ConfigError) as info:
        load_architecture(_cfg("sram-cim"), overrides={"cim.input_reuse": "true"})
    assert str(info.value) == ("overrides={'cim.input_reuse': 'true'}: cim.input_reuse: expected "
                               f"true or false (got the text 'true'): {FLAG_HINT}")
    with pytest.raises(ConfigError) as info:
        load_architecture(_cfg("sram-cim"), overrides={"cim.arrays": "2048"})
    assert "cim.arrays: expected a number (got the text '2048'): a quoted number is text" \
        in str(info.value)
    # a quoted word in a file: the same line, naming the file
    path = tmp_path / "quoted.yaml"
    text = _cfg("sram-cim").read_text()
    assert "\n  input_reuse: " not in text
    path.write_text(text.replace("\ncim:\n", '\ncim:\n  input_reuse: "true"\n', 1))
    with pytest.raises(ConfigError) as info:
        load_architecture(path)
    assert str(info.value) == (f"{path}: cim.input_reuse: expected true or false (got the text "
                               f"'true'): {FLAG_HINT}")
    # the Python spellings run, and --set's words too (they are command-line text)
    assert load_architecture(_cfg("sram-cim"), overrides={"cim.input_reuse": True}) \
        .component("cim").config.input_reuse is True
    assert load_architecture(_cfg("sram-cim"), overrides={"cim.input_reuse": "true"}, cli=True) \
        .component("cim").config.input_reuse is True


def test_a_top_level_key_that_is_no_field_nor_component_is_named_unknown(tmp_path):
    # find-B 3: `extends: gpu-hbm-pim-attn` read "name: required ... (and 2 more: memory,
    # extends)"; the unknown key comes first now, says it is unknown and (find-B2 3) that
    # inheritance is written base:
    from cimsim.cli import main
    from click.testing import CliRunner
    cfg = tmp_path / "sep.yaml"
    cfg.write_text("extends: gpu-hbm-pim-attn\n")
    r = CliRunner().invoke(main, ["run", str(cfg), "lstm"])
    assert r.exit_code != 0 and "Traceback" not in r.output
    first = r.output.split("Error: ", 1)[1]
    assert first.startswith(f"{cfg}: extends: unknown key (config inheritance is written base: "
                            "NAME-or-PATH): top-level keys are name, description, memory, links, "
                            "technology, thermal, placeholders or component sections (mappings), and "
                            "a config file may name its base:")
