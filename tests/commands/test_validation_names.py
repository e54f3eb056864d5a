"""The validation suites' chip configs and workloads resolve by name, like the bundled ones:
issue 18 asks a user to run VGG-8 on NeuroSim's chip config, which ships inside the package
(src/cimsim/data/validation), where an installed user would have to dig for its path. Before,
`cimsim run neurosim-vgg8 vgg8-cifar10` was "no config file 'neurosim-vgg8'"."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from cimsim.bundled import VALIDATION_DIR, config_paths, resolve_config, resolve_workload
from cimsim.cli import main
from cimsim.errors import CimsimError


def test_validation_names_resolve_after_the_bundled_ones():
    assert resolve_config("neurosim-vgg8") == VALIDATION_DIR / "neurosim-vgg8.yaml"
    assert resolve_workload("vgg8-cifar10") == VALIDATION_DIR / "vgg8-cifar10.json"
    assert resolve_config("gpu-hbm3").parent != VALIDATION_DIR
    # `compare` with no config still means the bundled ones only
    assert all(p.parent != VALIDATION_DIR for p in config_paths())


def test_unknown_name_lists_both():
    with pytest.raises(CimsimError) as e:
        resolve_config("nope")
    assert "gpu-hbm3" in str(e.value) and "validation configs:" in str(e.value)
    assert "neurosim-vgg8" in str(e.value)


def test_cli_runs_a_validation_chip_by_name():
    r = CliRunner().invoke(main, ["run", "neurosim-vgg8", "vgg8-cifar10", "--engine", "analytic"])
    assert r.exit_code == 0, r.output
    assert "limited by cim:2.weight" in r.output
