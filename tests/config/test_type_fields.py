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


def test_a_fixed_field_on_a_dram_level_names_the_type():
    with pytest.raises(ConfigError) as e:
        load_architecture(GPU, {"memory.dram.type": "dram", "memory.dram.standard": "HBM3",
                                "memory.dram.channels": "80"}, cli=True)
    msg = str(e.value)
    assert "memory.dram.bandwidth: unknown key for type dram: 'bandwidth' is a field of type " \
           "fixed" in msg


def test_a_typo_still_gets_did_you_mean_only():
    with pytest.raises(ConfigError) as e:
        load_architecture(GPU, {"memory.dram.bandwdth": "1 TB/s"}, cli=True)
    assert "did you mean 'memory.dram.bandwidth'" in str(e.value) and "of type" not in str(e.value)
