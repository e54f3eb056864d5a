"""Per-die area and die count (find-D 2): ``die_area_<component>_m2`` = the component's area /
its dies, and ``dies_<component>`` = its chips, each split into ceil(chip area / 858 mm²) dies
where one chip is above a reticle.

Golden values: hand arithmetic on the configs' stated areas (sram-cim: 0.202 mm² per macro,
Chih ISSCC 2021; gpu-hbm3: the GH100's 814 mm²), never the code's output.
"""

from __future__ import annotations

import math

import pytest

from cimsim import simulate
from cimsim.bundled import resolve_config, resolve_workload
from cimsim.config.loader import load_architecture
from cimsim.report import columns as C
from cimsim.workload.io import load_workload


def _record(config, **overrides):
    arch = load_architecture(resolve_config(config), overrides=overrides or None)
    return simulate(arch, load_workload(resolve_workload("hier-attn")), engine="analytic").record()


def test_two_chips_each_one_die_of_half_the_area():
    # the tester's command: 4,226 macros on each of 2 chips, 4,226 x 0.202 mm² = 853.652 mm²
    row = _record("sram-cim", **{"cim.arrays": 4226, "cim.chips": 2, "cim.chip_link": "interconnect",
                                 "cim.weight_replication": False})
    assert row[C.dies_column("cim")] == 2
    assert row[C.die_area_column("cim")] == pytest.approx(4226 * 0.202e-6, rel=1e-12, abs=0)
    assert row[C.AREA_M2] == pytest.approx(2 * 4226 * 0.202e-6, rel=1e-12, abs=0)


def test_one_chip_above_a_reticle_counts_the_fewest_dies_that_each_fit_one():
    # bundled sram-cim: 8,452 x 0.202 = 1,707.304 mm² on one chip, 1.99 reticles of 858 mm²
    row = _record("sram-cim")
    assert row[C.dies_column("cim")] == 2
    assert row[C.die_area_column("cim")] == pytest.approx(8452 * 0.202e-6 / 2, rel=1e-12, abs=0)
    # 3 chips of 8,452 macros: 3 x 2 dies
    row = _record("sram-cim", **{"cim.chips": 3, "cim.chip_link": "interconnect",
                                 "cim.weight_replication": False})
    assert row[C.dies_column("cim")] == 6


def test_a_die_under_the_reticle_is_itself_and_a_part_without_area_is_nan():
    row = _record("gpu-hbm3")
    assert row[C.dies_column("processor")] == 1
    assert row[C.die_area_column("processor")] == pytest.approx(814e-6, rel=1e-12, abs=0)
    host = _record("sram-cim")  # the Xeon host states no area: not zero, unknown
    assert math.isnan(host[C.die_area_column("processor")])
    assert C.die_area_column("cim") in C.result_columns(
        load_architecture(resolve_config("sram-cim")))
