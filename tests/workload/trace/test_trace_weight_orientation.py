"""Which way a matmul reads its stationary weight (review 19-A 2; tag ``weight_transposed``,
modules cimsim.workload.trace.claims / convs / training, cimsim.hw.cim.tiling).

Before: the orientation was told by k alone, so a square weight read as ``x @ W.T`` (the
forward) and as ``dY @ W`` (the backward's dX) was one matrix with ``transposed_read: false``:
one copy, no note, the in-situ transposed read for free. rram-cim (no replication): 128 x 128
arrays, 8-bit weights in 2-bit cells (4 columns a weight), write_energy 6 pJ a cell, weights
from DRAM over the link at 20 + 0.72 pJ/bit."""

from __future__ import annotations

from textwrap import dedent

import pytest

from test_trace_cim_training import FACTORIES as TRAINING
from test_trace_training import _trace as trace_factory

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch")

FACTORIES = TRAINING + dedent('''
    def _with(net):
        s = Step(); s.net = net; s.o = torch.optim.SGD(net.parameters(), lr=0.01)
        return s
    def square():
        torch.manual_seed(0)
        return _with(nn.Sequential(nn.Linear(32, 32, bias=False), nn.ReLU(),
                                   nn.Linear(32, 32, bias=False))), (torch.randn(4, 32), torch.randn(4, 32))
    def conv1x1():
        torch.manual_seed(0)
        return _with(nn.Sequential(nn.Conv2d(8, 8, 1, bias=False), nn.ReLU(),
                                   nn.Conv2d(8, 8, 1, bias=False))), (torch.randn(2, 8, 4, 4), torch.randn(2, 8, 4, 4))
''')


def _traced(tmp_path, name):
    from cimsim.workload import load_workload

    r, out = trace_factory(tmp_path, name, factories=FACTORIES)
    assert r.exit_code == 0, r.output
    return load_workload(out)


def _orientations(w):
    return sorted((op.tags["weight_name"], op.k, op.tags.get("weight_transposed"))
                  for op in w.ops if op.weight is not None)


def _run(w, *sets):
    import cimsim
    from cimsim import bundled
    from cimsim.config import load_architecture

    arch = load_architecture(bundled.resolve_config("rram-cim"),
                             {"cim.weight_replication": "false",
                              **dict(s.split("=", 1) for s in sets)}, cli=True)
    return cimsim.simulate(arch, w, engine="analytic")


def test_a_square_weight_read_both_ways_is_two_copies_unless_read_transposed(tmp_path):
    """net.0 (32 x 32) is read once (no dX for the input); net.2 (32 x 32) as x @ W.T and as
    dY @ W. Each 32 x 32 matrix: 32 rows x 128 columns, 1 array, 4,096 cells. Off: 3 matrices,
    3 arrays; on: 2. The second copy's programming: 4,096 cells x 6 pJ = 24.576 nJ, plus its
    1,024 B (8-bit weights) x 8 x 20.72 pJ/bit = 169.738 nJ: 194.314 nJ."""
    w = _traced(tmp_path, "square")
    assert _orientations(w) == [("net.0.weight", 32, 1), ("net.2.weight", 32, 0),
                                ("net.2.weight", 32, 1)]
    two, one = _run(w), _run(w, "cim.transposed_read=true")
    r2, r1 = two.record(), one.record()
    assert (r2["cim_arrays_needed"], r1["cim_arrays_needed"]) == (3, 2)
    assert r2["programming_energy_j"] - r1["programming_energy_j"] == pytest.approx(
        4096 * 6e-12 + 1024 * 8 * 20.72e-12, rel=1e-9, abs=0)
    said = [n for n in two.notes if "more than one orientation" in n]
    assert len(said) == 1 and "'net.2.weight' (k = 32 as h @ W, 32 as x @ W.T)" in said[0]
    assert any("read transposed on the same arrays" in n for n in one.notes)


def test_a_square_1x1_convolution_and_its_dx_are_told_apart(tmp_path):
    """A 1 x 1, 8 -> 8 convolution: forward k = C_in = 8 over the weight's trailing dimensions
    (tag 1), dX k = C_out = 8 down its first (tag 0): two orientations of one k."""
    w = _traced(tmp_path, "conv1x1")
    assert ("net.2.weight", 8, 0) in _orientations(w)
    assert ("net.2.weight", 8, 1) in _orientations(w)
    assert ("net.0.weight", 8, 0) not in _orientations(w)  # no dX of the input
