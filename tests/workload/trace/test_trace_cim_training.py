"""find-O 1, 2, 4, 7: what a traced training step rewrites on a CIM a step, and how long its
cells last. rram-cim without replication: 128 x 128 arrays, 2 bits/cell and 8-bit weights (4
cells a weight), write_energy 6 pJ, write_latency 10 ns, endurance 1e12, weights brought in
from DRAM (20 pJ/bit, 110 ns) over the link (0.72 pJ/bit, 10 ns, 32 GB/s). Goldens are hand
arithmetic beside each assertion."""

from __future__ import annotations

import math
from textwrap import dedent

import pytest

from test_trace_training import _trace as trace_factory

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch")

FACTORIES = dedent('''
    import torch
    from torch import nn
    import torch.nn.functional as F
    class Step(nn.Module):
        def __init__(s, frozen_body=False):
            super().__init__()
            s.net = nn.Sequential(nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 16))
            if frozen_body:
                s.net[0].requires_grad_(False)
            s.o = torch.optim.SGD([p for p in s.parameters() if p.requires_grad], lr=0.01)
        def forward(s, x, y):
            with torch.enable_grad():
                s.o.zero_grad(); F.mse_loss(s.net(x), y).backward(); s.o.step()
            return x
    class Lora(nn.Module):
        def __init__(s):
            super().__init__()
            s.base = nn.Linear(64, 64, bias=False); s.base.weight.requires_grad_(False)
            s.lora_A = nn.Linear(64, 4, bias=False); s.lora_B = nn.Linear(4, 64, bias=False)
            s.o = torch.optim.SGD([s.lora_A.weight, s.lora_B.weight], lr=0.01)
        def forward(s, x, y):
            with torch.enable_grad():
                s.o.zero_grad()
                F.mse_loss(s.base(x) + s.lora_B(s.lora_A(x)), y).backward(); s.o.step()
            return x
    def head():
        torch.manual_seed(0)
        return Step(True), (torch.randn(4, 128), torch.randn(4, 16))
    def full():
        torch.manual_seed(0)
        return Step(), (torch.randn(4, 128), torch.randn(4, 16))
    def lora():
        torch.manual_seed(0)
        return Lora(), (torch.randn(4, 64), torch.randn(4, 64))
''')

LINK_J_PER_BYTE = 8 * (20e-12 + 0.72e-12)
LATENCY = 110e-9 + 10e-9


def _run(tmp_path, name, *sets):
    import cimsim
    from cimsim import bundled
    from cimsim.config import load_architecture
    from cimsim.workload import load_workload

    r, out = trace_factory(tmp_path, name, factories=FACTORIES)
    assert r.exit_code == 0, r.output
    arch = load_architecture(bundled.resolve_config("rram-cim"),
                             {"cim.weight_replication": "false",
                              **dict(s.split("=", 1) for s in sets)}, cli=True)
    w = load_workload(out)
    return w, cimsim.simulate(arch, w, engine="analytic")


def test_head_only_fine_tuning_rewrites_the_head_alone(tmp_path):
    """find-O 1: the note charged every held matrix (the frozen 128 -> 64 body too) as the
    step's rewrite. Only the head, 64 x 16 (64 x 64 cells), is updated: 4,096 cells x 6 pJ
    = 24.576 nJ + 1,024 B x 8 x 20.72 pJ/bit = 169.74 nJ; its time 120 ns of latencies + its
    bytes, 1,024 B / 32 GB/s = 32 ns, then 64 rows x 10 ns = 640 ns of writes: 792 ns. The
    body (128 x 256 cells, 196.6 nJ of writes) is written once, not a step."""
    from cimsim.report import columns as C

    w, r = _run(tmp_path, "head")
    assert w.metadata["updated_parameter_names"] == ["net.2.weight", "net.2.bias"]
    assert r.facts[C.STEP_WRITE_ENERGY_J] == pytest.approx(4096 * 6e-12 + 1024 * LINK_J_PER_BYTE,
                                                           rel=1e-9, abs=0)
    assert r.facts[C.STEP_WRITE_TIME_S] == pytest.approx(LATENCY + 1024 / 32e9 + 64 * 10e-9,
                                                         rel=1e-9, abs=0)
    assert r.facts[C.STEPS_TO_WEAROUT] == pytest.approx(1e12, rel=1e-12, abs=0)  # one write a step
    said = " ".join(r.notes)
    assert "1 matrix of frozen parameters ('net.0.weight') is not rewritten" in said, said
    assert math.isnan(r.facts["cim_runs_to_wearout"])  # everything fits: nothing re-programmed


def test_adapters_kept_off_the_arrays_rewrite_no_cell(tmp_path):
    """find-O 1: LoRA with the adapters excluded (the README's recipe) read the frozen base's
    whole deployment as a per-step cost; nothing on the arrays changes: 0 J, no bound."""
    from cimsim.report import columns as C

    _, r = _run(tmp_path, "lora", 'cim.exclude=["lora_A.*","lora_B.*"]')
    assert r.facts[C.STEP_WRITE_ENERGY_J] == 0.0 and r.facts[C.STEP_WRITE_TIME_S] == 0.0
    assert math.isnan(r.facts[C.STEPS_TO_WEAROUT])
    said = " ".join(r.notes)
    assert "cim's arrays hold none of them" in said and "a step rewrites no cell, 0 J" in said
    assert "no cell is written a step, so the endurance sets no bound" in said


def test_a_pool_that_re_programs_says_one_rewrite_and_one_bound(tmp_path):
    """find-O 2: on too few arrays the note said "0 J ... per step ... weights already in place"
    and "1e12 steps" beside the wear note's runs. The step's matrices: W1 128 x 64 (128 x 256
    cells, 2 arrays), W2 64 x 16 (64 x 64 cells, 1 array), W2's transposed copy for dH (16 x 64:
    16 x 256 cells, 2 arrays): 40,960 cells x 6 pJ + 10,240 B x 8 x 20.72 pJ/bit, all three
    re-programmed during the run on 2 arrays, each once and each fitting: 3 writes of a cell
    per run at worst, 1e12 / 3 steps (find-O 4: the columns a sweep plots)."""
    from cimsim.report import columns as C

    _, r = _run(tmp_path, "full", "cim.arrays=2")
    assert r.facts[C.STEP_WRITE_ENERGY_J] == pytest.approx(
        40_960 * 6e-12 + 10_240 * LINK_J_PER_BYTE, rel=1e-9, abs=0)
    assert r.facts["cim_runs_to_wearout"] == pytest.approx(1e12 / 3, rel=1e-12, abs=0)
    assert r.facts[C.STEPS_TO_WEAROUT] == pytest.approx(1e12 / 3, rel=1e-12, abs=0)
    said = " ".join(r.notes)
    assert "already in place" not in said and "finds the weights in place" not in said
    assert "the 3 matrices the run re-programs during it" in said and "are charged" in said
