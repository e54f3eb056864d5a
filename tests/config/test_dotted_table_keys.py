"""Per-layer copies can be set from the command line: a weight tensor's name holds dots
(`2.weight`, `blocks.0.conv2.weight`), and in a table with free keys and single values
(`cim.chip.layers`) the key is the rest of the path. Before, `--set cim.chip.layers.2.weight=8`
was refused with "'cim.chip.layers.2' has no sub-fields", so per-layer duplication could only
be set by editing the YAML."""

from __future__ import annotations

from importlib import resources

import pytest

from cimsim.config.loader import apply_overrides, load_architecture, read_yaml
from cimsim.config.paths import resolve
from cimsim.errors import ConfigError

VGG8 = str(resources.files("cimsim") / "data" / "validation" / "neurosim-vgg8.yaml")
PUMA = str(resources.files("cimsim") / "data" / "validation" / "puma.yaml")


def test_layer_name_with_dots_is_one_key():
    arch = load_architecture(VGG8, {"cim.chip.layers.2.weight": "8"}, cli=True)
    layers = arch.components["cim"].chip.layers
    assert layers["2.weight"] == 8 and layers["0.weight"] == 16  # the file's others kept
    assert "2" not in layers


def test_deeper_names_and_a_table_the_config_left_out():
    # puma.yaml has no `layers:`: the table is started with the one key
    arch = load_architecture(PUMA, {"cim.chip.layers.blocks.0.conv2.weight": "3"}, cli=True)
    assert arch.components["cim"].chip.layers == {"blocks.0.conv2.weight": 3}


def test_value_still_validated():
    with pytest.raises(ConfigError) as e:
        load_architecture(VGG8, {"cim.chip.layers.2.weight": "0"}, cli=True)
    assert "cim.chip.layers.2.weight" in str(e.value)


def test_fixed_key_tables_and_sections_unchanged():
    # a table of sections (levels) still walks into its key's fields
    data = apply_overrides(read_yaml(VGG8), {"cim.chip.levels.tile.fanout": 16})
    assert data["cim"]["chip"]["levels"]["tile"]["fanout"] == 16
    assert resolve("cim.chip.levels.tile.fanout", read_yaml(VGG8)).key_at is None


def test_unknown_level_names_the_levels_there_are():
    with pytest.raises(ConfigError) as e:
        load_architecture(VGG8, {"cim.chip.levels.tiel.fanout": "16"}, cli=True)
    msg = str(e.value)
    assert "'cim.chip.levels' has pe, tile, chip" in msg and "did you mean 'tile'" in msg


def test_a_whole_table_from_the_command_line():
    # `{}` empties the file's per-layer copies, so `duplication: balance` decides every layer
    # (README: "the config's layers: entry deleted and --set cim.chip.duplication=balance")
    arch = load_architecture(VGG8, {"cim.chip.layers": "{}"}, cli=True)
    assert arch.components["cim"].chip.layers == {}
    arch = load_architecture(VGG8, {"cim.chip.layers": "{2.weight: 8}"}, cli=True)
    assert arch.components["cim"].chip.layers == {"2.weight": 8}
    with pytest.raises(ConfigError) as e:
        load_architecture(VGG8, {"cim.chip.layers": "3"}, cli=True)
    assert "this field is a table; write it as {key: value, ...}" in str(e.value)
    # a key twice was "this field is a table" too, which it is (a tester, 2026-12-05)
    with pytest.raises(ConfigError) as e:
        load_architecture(VGG8, {"cim.chip.layers": "{2.weight: 4, 2.weight: 8}"}, cli=True)
    assert "duplicate key '2.weight'; give each key once" in str(e.value)


def test_sweeping_a_table_names_its_kind_not_a_python_type():
    from cimsim.sweep.params import SweepSpecError, parse_param

    with pytest.raises(SweepSpecError) as e:
        parse_param("cim.chip.layers=x")
    assert "(table of int) cannot be swept" in str(e.value)
