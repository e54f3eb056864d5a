"""``cimsim.load_architecture`` / ``cimsim.load_workload`` resolve a bundled name as the command
line does (``cimsim run gpu-hbm3 lstm``): a file that exists wins, then a bundled (or
validation) name, else one error listing the bundled names. Before, ``load_architecture(
"gpu-hbm3")`` said it could not read a file 'gpu-hbm3'."""

from __future__ import annotations

import shutil

import pytest

import cimsim
from cimsim import bundled
from cimsim.errors import ConfigError, WorkloadError


@pytest.fixture
def elsewhere(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no configs/ or workloads/ folder here
    return tmp_path


def test_a_bundled_config_name_loads_the_bundled_file(elsewhere):
    by_name = cimsim.load_architecture("gpu-hbm3")
    by_path = cimsim.load_architecture(bundled.configs_dir() / "gpu-hbm3.yaml")
    assert (by_name.memory, by_name.links, by_name.components) == (by_path.memory, by_path.links, by_path.components)
    assert by_name.name == "gpu-hbm3"
    # a validation suite's name too, as `cimsim run neurosim-vgg8 vgg8-cifar10` takes it
    assert cimsim.load_architecture("neurosim-vgg8").name == "neurosim-vgg8"


def test_an_existing_file_wins_over_a_bundled_name(elsewhere):
    shutil.copy(bundled.configs_dir() / "cpu-ddr5.yaml", elsewhere / "gpu-hbm3")
    assert cimsim.load_architecture("gpu-hbm3").name == "cpu-ddr5"


def test_an_unknown_config_name_lists_the_bundled_ones(elsewhere):
    with pytest.raises(ConfigError, match=r"no config file 'gpu-hbm4' and no bundled config of that "
                                          r"name \(cpu-ddr5, .*gpu-hbm3, .*tpu-like; validation configs: "):
        cimsim.load_architecture("gpu-hbm4")
    # a path (a folder, or a .yaml suffix) is never taken for a name: its own error stays
    with pytest.raises(ConfigError, match=r"configs/gpu-hbm3.yaml: cannot read config"):
        cimsim.load_architecture("configs/gpu-hbm3.yaml")


def test_overrides_apply_to_a_config_given_by_name(elsewhere):
    arch = cimsim.load_architecture("gpu-hbm3", {"memory.dram.sustained_fraction": 0.5})
    assert arch.memory["dram"].sustained_fraction == 0.5


def test_a_bundled_workload_name_loads_the_bundled_file(elsewhere):
    by_name = cimsim.load_workload("lstm")
    by_path = cimsim.load_workload(bundled.workloads_dir() / "lstm.json")
    assert by_name.name == by_path.name == "lstm" and len(by_name.ops) == len(by_path.ops) > 0
    shutil.copy(bundled.workloads_dir() / "gru.json", elsewhere / "lstm")
    assert cimsim.load_workload("lstm").name == "gru"  # an existing file wins
    with pytest.raises(WorkloadError, match=r"no workload file 'lsmt' and no bundled workload of that "
                                            r"name \(gru, .*lstm, .*; validation workloads: "):
        cimsim.load_workload("lsmt")
