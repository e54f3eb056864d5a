"""Components of equal priority must claim disjoint ops. Before, a second processor (or a second
PIM with the same claims) beside the first claimed nothing, silently: which one ran an op was
only their order in the config. Now an op two tied components would both claim is refused,
naming them; tied components whose claims do not overlap (PIM units for weights beside PIM units
for the KV cache, CIM beside a collective) run as before."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from cimsim import simulate
from cimsim.config import architecture_from_dict
from cimsim.errors import MappingError
from cimsim.mapping.placement import place

from conftest import ROUND_ARCH, ROUND_CIM, ROUND_LINK, gemv_workload

PIM = {"type": "pim", "units_per_channel": 1, "clock": "1 GHz", "macs_per_cycle": 1,
       "internal_bandwidth": "1 GB/s", "energy_per_mac": "1 pJ", "energy_per_bit": "1 pJ/bit"}


def test_two_processors_are_refused_naming_both():
    d = copy.deepcopy(ROUND_ARCH)
    d["second"] = {"type": "processor", **d["processor"]}
    with pytest.raises(MappingError, match=r"workload 'gemv': components 'processor' and 'second' \(both processor, "
                                           r"priority 0\) would both run op 'mm' \(kind matmul\) and "
                                           r"0 other\(s\); .*'processor' all, 'second' none.*"
                                           r"processor components have no claims field to split "
                                           r"ops by"):
        place(gemv_workload(64, 64), architecture_from_dict(d))


def test_two_pims_with_the_same_claims_are_refused():
    d = copy.deepcopy(ROUND_ARCH)
    d["pim"], d["pim2"] = dict(PIM), dict(PIM)
    with pytest.raises(MappingError, match=r"'pim' and 'pim2' \(both pim, priority 20\).* or "
                                           r"give them claims that do not overlap$"):
        simulate(architecture_from_dict(d), gemv_workload(64, 64))


def test_tied_components_with_disjoint_claims_run():
    d = copy.deepcopy(ROUND_ARCH)
    d["pim"] = {**PIM, "claims": ["weights"]}
    d["kv"] = {**PIM, "claims": ["kv_cache"]}  # no KV cache in a GEMV: it claims nothing
    p = place(gemv_workload(64, 64), architecture_from_dict(d))
    names = [c.name for c in p.components]
    assert [names[i] for i in p.component] == ["pim"]
    assert p.idx[names.index("kv")].size == 0 and np.all(p.server >= 0)


def test_two_cim_blocks_are_refused_pointing_to_per_layer_tags():
    """find-D 1: a second cim block for a lower-precision layer set is refused (no claims); the
    message says how per-layer precision is stated instead."""
    d = copy.deepcopy(ROUND_ARCH)
    d["links"] = {"interconnect": dict(ROUND_LINK)}
    d["cim"] = copy.deepcopy(ROUND_CIM)
    d["cim_lo"] = {**copy.deepcopy(ROUND_CIM), "type": "cim", "weight_bits": 4, "input_bits": 4}
    with pytest.raises(MappingError, match=r"cim components have no claims field.*keep one cim "
                                           r"block at the widest bits and tag the narrower "
                                           r"layers' matmuls weight_value_bits / input_value_bits"):
        place(gemv_workload(64, 64, dtype="int8"), architecture_from_dict(d))
