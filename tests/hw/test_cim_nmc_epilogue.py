"""find-T, finding 3: a CIM with a near-memory bias adder / ReLU (``cim.nmc``) still leaves a
traced model's bias adds and ReLUs to the host; the run says so (the epilogue is not absorbed:
a known limit, README ``cim.nmc``).

Golden count: Linear-ReLU-Linear-ReLU-Linear traces to two bias+ReLU ops (each bias fused into
its ReLU) and one bias add of the last layer: 3 elementwise ops read a CIM matmul's output."""

from __future__ import annotations

import copy

import pytest

from cimsim import simulate
from conftest import ROUND_CIM, ROUND_LINK, make_arch

pytestmark = pytest.mark.torch

torch = pytest.importorskip("torch")
nn = torch.nn


def _mlp():
    from cimsim.workload.trace import trace

    torch.manual_seed(0)
    m = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 4))
    return trace(m.eval(), (torch.randn(1, 8),))


def _arch(nmc):
    cim = {**copy.deepcopy(ROUND_CIM), "link": "interconnect", **({"nmc": nmc} if nmc else {})}
    return make_arch(cim=cim, interconnect=dict(ROUND_LINK))


def test_nmc_epilogue_left_to_the_host_is_said():
    r = simulate(_arch({"bias": True, "activation": "relu"}), _mlp())
    said = [n for n in r.notes if "cim.nmc has a bias adder and ReLU" in n]
    assert len(said) == 1 and "the 3 elementwise op(s)" in said[0]
    assert said == [n for n in r.claim_notes if "cim.nmc" in n]


def test_no_note_without_nmc():
    r = simulate(_arch(None), _mlp())
    assert not [n for n in r.notes if "cim.nmc" in n]


def test_free_cim_dispatch_is_named():
    """find-T, finding 4: cim.op_overhead left at its 0 s default is named in the run's notes
    with the count of CIM ops it makes free (3 Linear matmuls); a stated value is not."""
    r = simulate(_arch(None), _mlp())
    said = [n for n in r.notes if "dispatched at no cost" in n]
    assert len(said) == 1 and "its 3 op(s)" in said[0] and "cim.op_overhead" in said[0]
    cim = {**copy.deepcopy(ROUND_CIM), "link": "interconnect", "op_overhead": "1 us"}
    r = simulate(make_arch(cim=cim, interconnect=dict(ROUND_LINK)), _mlp())
    assert not [n for n in r.notes if "dispatched at no cost" in n]
