"""find-C 4: the wafer check weighed each part alone, so a wafer design stated as its
core array (46,225 mm²) plus its SRAM (40,000 mm²) gave ``physically_plausible`` true and no note,
though together they are 86,225 mm² of one die. A 300 mm wafer is pi x 150² = 70,685.8 mm²:
86,225 / 70,685.8 = 1.22 wafers. The parts that form one die (no ``stack:`` tier, not separate
chips) are now weighed together too; a stack weighs each tier (the footprint rule's tiers)."""

from __future__ import annotations

import math
import warnings

from cimsim import load_architecture, simulate
from cimsim.workload.generators import matmul

WAFER_MM2 = math.pi * 150 ** 2  # 70,685.8 mm²


def _run(**over):
    arch = load_architecture("gpu-hbm3", overrides=over)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return simulate(arch, matmul(64, 64, 64, dtype="fp16"), engine="analytic")


def _wafer_notes(r):
    return [n for n in r.physical_notes if "300 mm wafer" in n]


def test_core_array_plus_sram_above_a_wafer_is_not_buildable():
    r = _run(**{"processor.area": "46225 mm^2", "memory.sram.area": "40000 mm^2"})
    assert f"{86225 / WAFER_MM2:,.3g}" == "1.22"
    assert r.physically_plausible is False
    (note,) = _wafer_notes(r)
    assert note.startswith("warning: the on-chip parts that form one die (component 'processor' "
                           "462.2 cm², memory level 'sram' 400 cm²) together count 862.2 cm²")
    assert "1.22 wafers" in note and note in r.implausible_notes


def test_just_below_a_wafer_is_buildable():
    # 30,685 + 40,000 = 70,685 mm² < pi x 150² = 70,685.83 mm²
    r = _run(**{"processor.area": "30685 mm^2", "memory.sram.area": "40000 mm^2"})
    assert 30685 + 40000 < WAFER_MM2
    assert _wafer_notes(r) == [] and r.physically_plausible is True


def test_a_level_on_its_own_tier_is_another_die():
    """The stack's footprint rule: tier 0 holds 46,225 mm², tier 1 40,000 mm², each below a wafer."""
    r = _run(**{"processor.area": "46225 mm^2", "memory.sram.area": "40000 mm^2",
                "memory.sram.stack.tier": 1})
    assert _wafer_notes(r) == [] and r.physically_plausible is True


def test_a_tier_whose_parts_sum_above_a_wafer_warns():
    """Both parts on tier 1 (tier 0 empty): that tier counts 86,225 mm²."""
    r = _run(**{"processor.area": "46225 mm^2", "memory.sram.area": "40000 mm^2",
                "memory.sram.stack.tier": 1, "processor.stack.tier": 1})
    (note,) = _wafer_notes(r)
    assert note.startswith("warning: the on-chip parts that form tier 1 of the stack")
    assert "1.22 wafers" in note and r.physically_plausible is False
