"""find-O 1, 2, 4, 7 and review 19-A 1, 4: what a traced training step rewrites on a CIM a step, and how long its
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
    class Step2(Step):
        def forward(s, x, y):
            super().forward(x, y)
            return super().forward(x, y)
    class Chunked(nn.Module):
        """q, k, v read through chunks of one trained weight; the output layer frozen"""
        def __init__(s):
            super().__init__()
            s.qkv = nn.Linear(64, 96, bias=False); s.out = nn.Linear(32, 16)
            s.out.requires_grad_(False)
            s.o = torch.optim.SGD([s.qkv.weight], lr=0.01)
        def forward(s, x, y):
            with torch.enable_grad():
                s.o.zero_grad()
                wq, wk, wv = s.qkv.weight.chunk(3)
                q, k, v = F.linear(x, wq), F.linear(x, wk), F.linear(x, wv)
                a = torch.softmax(q @ k.t(), -1) @ v
                F.mse_loss(s.out(a), y).backward(); s.o.step()
            return x
    class Flat(Step):
        """the parameters as views of one flat buffer (apex / FSDP flat parameters), the
        first layer's frozen"""
        def __init__(s):
            super().__init__()
            ps = [s.net[0].weight, s.net[0].bias, s.net[2].weight, s.net[2].bias]
            flat = torch.cat([p.detach().reshape(-1) for p in ps]); off = 0
            for m in (s.net[0], s.net[2]):
                for pn in ("weight", "bias"):
                    p = getattr(m, pn); n = p.numel()
                    setattr(m, pn, nn.Parameter(flat[off:off + n].view_as(p),
                                                requires_grad=m is s.net[2])); off += n
            s.o = torch.optim.SGD([p for p in s.parameters() if p.requires_grad], lr=0.01)
    class Cross(nn.Module):
        def __init__(s):
            super().__init__()
            s.att = nn.MultiheadAttention(32, 2, batch_first=True); s.head = nn.Linear(32, 8)
            s.o = torch.optim.SGD(s.parameters(), lr=0.01)
        def forward(s, x, y):
            with torch.enable_grad():
                s.o.zero_grad(); h, _ = s.att(x, x[:, :4] * 2, x[:, :4] * 2)
                F.mse_loss(s.head(h.mean(1)), y).backward(); s.o.step()
            return x
    def step2():
        torch.manual_seed(0)
        return Step2(), (torch.randn(4, 128), torch.randn(4, 16))
    def chunked():
        torch.manual_seed(0)
        return Chunked(), (torch.randn(4, 64), torch.randn(4, 16))
    def flat():
        torch.manual_seed(0)
        return Flat(), (torch.randn(4, 128), torch.randn(4, 16))
    def cross():
        torch.manual_seed(0)
        return Cross(), (torch.randn(2, 8, 32), torch.randn(2, 8))
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


def test_a_weight_read_through_chunks_is_rewritten_piece_by_piece(tmp_path):
    """review 19-A 1: q, k, v = qkv.weight.chunk(3), qkv trained, out frozen: the workload
    holds 'qkv.weight[0]' .. '[2]' and the run matched the name 'qkv.weight' exactly, so "0 J,
    no endurance bound". Each piece is 32 x 64, read as x W^T only (x needs no gradient): k =
    64 rows x 32 x 4 cells = 8,192 cells and 2,048 B, one array each; a step rewrites the
    three: 3 x (8,192 x 6 pJ + 2,048 B x 8 x 20.72 pJ/bit). out (frozen) is not rewritten."""
    from cimsim.report import columns as C

    w, r = _run(tmp_path, "chunked")
    assert w.metadata["updated_parameters"] == 1  # qkv.weight (no bias; out frozen)
    assert {"qkv.weight[0]", "qkv.weight[1]", "qkv.weight[2]"} <= set(w.metadata["updated_weight_tensors"])
    assert r.facts[C.STEP_WRITE_ENERGY_J] == pytest.approx(
        3 * (8192 * 6e-12 + 2048 * LINK_J_PER_BYTE), rel=1e-9, abs=0)
    assert r.facts[C.STEPS_TO_WEAROUT] == pytest.approx(1e12, rel=1e-12, abs=0)
    said = " ".join(r.notes)
    assert "cim holds them in 3 matrices ('qkv.weight[0]', 'qkv.weight[1]', 'qkv.weight[2]')" in said
    assert "of frozen parameters ('out.weight'" in said


def test_views_of_one_flat_buffer_are_each_a_parameter(tmp_path):
    """review 19-A 1: four parameters as views of one flat buffer were one "updated parameter"
    (deduplicated by storage), named after the buffer's first view; with the first layer
    frozen they were none (its view came first). The workload names the buffer's pieces
    'net.0.weight[0]' (W1) .. and the run finds W2's piece by the elements it holds: W2 64 x
    16, 64 x 64 cells (no dH: nothing before it needs a gradient), 4,096 cells x 6 pJ + 1,024
    B x 8 x 20.72 pJ/bit, as the head-only fine-tune; W1 (128 x 256 cells) not rewritten."""
    from cimsim.report import columns as C

    w, r = _run(tmp_path, "flat")
    assert w.metadata["updated_parameters"] == 2  # net.2.weight, net.2.bias
    assert w.metadata["updated_parameter_names"] == ["net.2.weight", "net.2.bias"]
    assert r.facts[C.STEP_WRITE_ENERGY_J] == pytest.approx(
        4096 * 6e-12 + 1024 * LINK_J_PER_BYTE, rel=1e-9, abs=0)
    said = " ".join(r.notes)
    assert "1 matrix of frozen parameters ('net.0.weight[0]') is not rewritten" in said, said


def test_cross_attention_rewrites_its_split_in_projection(tmp_path):
    """review 19-A 1: nn.MultiheadAttention with key not query (a decoder's cross-attention)
    reads in_proj_weight as 'att.in_proj_weight[0]', '[1]', '[2]': they counted as frozen
    (28.55 of 87.03 µJ on the reviewer's model). Every parameter is trained, so a step
    rewrites every matrix on the arrays: the step's rewrite is the whole programming."""
    from cimsim.report import columns as C

    w, r = _run(tmp_path, "cross")
    assert {"att.in_proj_weight[0]", "att.in_proj_weight[1]", "att.in_proj_weight[2]"} \
        <= set(w.metadata["updated_weight_tensors"])
    assert r.facts[C.STEP_WRITE_ENERGY_J] == pytest.approx(r.facts[C.PROGRAMMING_ENERGY_J],
                                                           rel=1e-12, abs=0)
    assert r.facts[C.PROGRAMMING_ENERGY_J] > 0
    assert "frozen" not in " ".join(r.notes)


def test_several_steps_on_too_few_arrays_charge_what_the_run_re_programs(tmp_path):
    """review 19-A 4: two steps on 2 arrays: the run re-programs the 3 matrices of the first
    step (W1, W2, W2's transposed copy: 40,960 cells x 6 pJ in cim_write, charged), yet the
    note said the rewrite was "not charged here". It now says the re-programming is charged
    and the rewrite between the steps is not."""
    from cimsim.report import columns as C

    _, r = _run(tmp_path, "step2", "cim.arrays=2")
    assert r.energy_breakdown_j["cim_write"] == pytest.approx(40_960 * 6e-12, rel=1e-9, abs=0)
    assert r.facts[C.STEP_WRITE_ENERGY_J] == pytest.approx(
        40_960 * 6e-12 + 10_240 * LINK_J_PER_BYTE, rel=1e-9, abs=0)
    said = " ".join(r.notes)
    assert "rewritten in full between steps" in said
    assert "the 3 matrices the run re-programs during it ('net.0.weight', 'net.2.weight', " \
        "'net.2.weight') are charged (cim_write and the bytes, the latency); the rewrite " \
        "between steps is not charged" in said, said
    assert "not charged here" not in said
