"""The README's tip for tracing in a loop (Performance, find-H's NAS inner loop): a feed-forward
or attention model and its inputs moved to the meta device trace to the workload the real
tensors give, so a search over shapes can skip the forward pass's arithmetic; an ``nn.LSTM``
does not (review 17-2 R1): on meta torch decomposes it per step."""

from __future__ import annotations

import pytest

from cimsim import load_architecture, simulate

pytestmark = pytest.mark.torch

torch = pytest.importorskip("torch")
nn = torch.nn


def test_a_meta_trace_of_a_cnn_equals_its_cpu_trace():
    from cimsim.workload.trace import trace

    torch.manual_seed(0)
    m = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 8, 3, padding=1),
                      nn.Flatten(), nn.Linear(8 * 8 * 8, 10)).eval()
    cpu = trace(m, (torch.randn(1, 3, 8, 8),))
    meta = trace(m.to("meta"), (torch.empty(1, 3, 8, 8, device="meta"),))
    assert meta == cpu and hash(meta) == hash(cpu)  # a memo key for (architecture, workload)
    # 3*8*9*64 + 8*8*9*64 + 512*10 MACs, whichever device traced it
    arch = load_architecture("cpu-ddr5")
    a, b = simulate(arch, cpu), simulate(arch, meta)
    assert a.record()["macs"] == b.record()["macs"] == 3 * 8 * 9 * 64 + 8 * 8 * 9 * 64 + 512 * 10
    assert a.latency_s == b.latency_s and a.energy_j == b.energy_j


@pytest.mark.parametrize("spike", ["where", "float", "heaviside"])
def test_a_meta_trace_of_a_spiking_layer_keeps_its_binary_tag(spike):
    """``torch.where(v > 0.1, 1.0, 0.0)`` on meta reads its numbers as 0-dim meta tensors of no
    value (torch's ``scalar_tensor``): the tag ``input_value_bits: 1`` of the layer reading the
    spikes was lost, and the meta trace differed from the CPU one."""
    from cimsim.workload.trace import trace

    class S(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = nn.Linear(16, 8, bias=False), nn.Linear(8, 4, bias=False)

        def forward(self, x):
            v = self.a(x)
            if spike == "where":
                s = torch.where(v > 0.1, 1.0, 0.0)
            elif spike == "float":
                s = (v > 0.1).float()
            else:
                s = torch.heaviside(v - 0.1, torch.zeros((), device=v.device))
            return self.b(s)

    torch.manual_seed(0)
    m = S().eval()
    cpu = trace(m, (torch.rand(1, 16),))
    meta = trace(m.to("meta"), (torch.empty(1, 16, device="meta"),))
    tags = {op.name: op.tags.get("input_value_bits") for op in meta.ops if op.kind == "matmul"}
    assert tags == {"a.mm": None, "b.mm": 1}
    assert meta == cpu and hash(meta) == hash(cpu)


def test_a_meta_trace_of_an_attention_layer_equals_its_cpu_trace():
    from cimsim.workload.trace import trace

    torch.manual_seed(0)
    m = nn.TransformerEncoderLayer(32, 4, 64, batch_first=True).eval()
    cpu = trace(m, (torch.randn(1, 6, 32),))
    assert trace(m.to("meta"), (torch.empty(1, 6, 32, device="meta"),)) == cpu


def test_a_meta_trace_of_an_lstm_is_not_its_cpu_trace():
    """nn.LSTM(64, 32) over T = 8 steps: the CPU kernel projects the whole sequence's input once
    (x @ W_ih over 8 rows), the meta decomposition once per step; the MACs are the same,
    T x 4H x (I + H) = 8 x 128 x 96 = 98,304, the ops are not (a meta trace is no stand-in)."""
    from cimsim.workload.trace import trace

    torch.manual_seed(0)
    m = nn.LSTM(64, 32).eval()
    cpu = trace(m, (torch.randn(8, 1, 64),))
    meta = trace(m.to("meta"), (torch.empty(8, 1, 64, device="meta"),))
    assert meta != cpu
    macs = [sum(op.macs for op in w.ops) for w in (cpu, meta)]
    assert macs == [8 * 4 * 32 * (64 + 32)] * 2
    # the input projection: one matmul over the 8 steps on CPU, one a step on meta
    x_proj = [[op for op in w.ops if op.kind == "matmul" and op.k == 64] for w in (cpu, meta)]
    assert [len(p) for p in x_proj] == [1, 8]
    assert [op.m for op in x_proj[0]] == [8] and {op.m for op in x_proj[1]} == {1}
    assert len(meta.ops) > len(cpu.ops)
