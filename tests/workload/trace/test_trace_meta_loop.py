"""The README's tip for tracing in a loop (Performance, find-H's NAS inner loop): a feed-forward
or attention model and its inputs moved to the meta device trace to the workload the real
tensors give, so a search over shapes can skip the forward pass's arithmetic; so does an
``nn.LSTM`` / ``nn.GRU`` / ``nn.RNN`` (find-T 1: on meta torch decomposes it with an input
projection a step; the tracer runs it in the CPU kernel's schedule, :mod:`.rnn_schedule`)."""

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


class _ScaledAttention(nn.Module):
    """Attention scaled by a CPU 0-dim tensor, as many models write it: on a meta build the
    division mixes a meta activation with a real tensor."""

    def __init__(self, d=16):
        super().__init__()
        self.q, self.k, self.v, self.d = nn.Linear(d, d), nn.Linear(d, d), nn.Linear(d, d), d

    def forward(self, x):
        q, k, v = self.q(x), self.k(x), self.v(x)
        s = q @ k.transpose(-1, -2) / torch.sqrt(torch.tensor(float(self.d)))
        return torch.where(s > 0, s, torch.tensor(-1.0)).softmax(-1) @ v


def test_a_meta_attention_mixing_in_cpu_scalars_equals_its_cpu_trace():
    """Review B 1: forward-mode AD's shape-probe rule took any op writing meta tensors from a
    real input as free, so a meta build dropped ``/ torch.sqrt(torch.tensor(d))``, the ``where``
    and the softmax reading them. B = 2, N = 8, d = 16: three projections 3 x 16 x 16 x 16 and
    two products 2 x 2 x 8 x 8 x 16 = 12,288 + 4,096 = 16,384 MACs either way."""
    from cimsim.workload.trace import trace

    torch.manual_seed(0)
    m = _ScaledAttention().eval()
    cpu = trace(m, (torch.randn(2, 8, 16),))
    meta = trace(m.to("meta"), (torch.empty(2, 8, 16, device="meta"),))
    assert cpu.macs == 3 * 16 * 16 * 16 + 2 * 2 * 8 * 8 * 16
    assert [op.name for op in meta.ops] == [op.name for op in cpu.ops]
    assert meta == cpu
    assert "untraced_tensors" not in meta.metadata
    assert not meta.metadata.get("computed_weights")  # the attention map is no stacked weight


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


def _rnn_traces(cls, size, steps, batch=1, **kw):
    """The traces of one ``cls(*size, **kw)`` built on the CPU, on the meta device and of fake
    tensors faking the meta device (as the zoo builds its models), over ``steps`` steps."""
    from torch._subclasses.fake_tensor import FakeTensorMode

    from cimsim.workload.trace import trace

    shape = (batch, steps, size[0]) if kw.get("batch_first") else (steps, batch, size[0])
    out = []
    for build in ("cpu", "meta", "fake"):
        torch.manual_seed(0)
        ctx = FakeTensorMode(allow_non_fake_inputs=True) if build == "fake" else torch.device(build)
        with ctx, torch.device("cpu" if build == "cpu" else "meta"):
            m = cls(*size, **kw).eval()
            out.append(trace(m, (torch.randn(*shape),)))
    return out


def _graph(w):
    """A workload's ops and tensors (a fake build's metadata counts the fake mode's own aten ops)."""
    return w.ops, w.tensors


@pytest.mark.slow
def test_a_meta_trace_of_an_lstm_is_its_cpu_trace():
    """find-T 1: nn.LSTM(4, 40, 2) over T = 96 steps built on the meta device traced to 772 ops
    (an input projection a step, as torch decomposes it off the CPU) against 392 built on the
    CPU, +50 % latency on cpu-ddr5, with no note. Now the meta build runs the CPU kernel's
    schedule: per layer one input projection over the 96 steps (+ its bias add), then 96 x (the
    recurrent matmul + the fused cell op); the 2 layers' output stacks and the final h / c
    stacks: 2 x (2 + 2 x 96) + 4 = 392 ops. MACs 96 x 4H x (I + H) + 96 x 4H x (H + H) with
    H = 40, I = 4: 1,904,640."""
    cpu, meta, fake = _rnn_traces(nn.LSTM, (4, 40, 2), 96, batch_first=True)
    assert meta == cpu and _graph(fake) == _graph(cpu)
    for w in (cpu, meta):
        assert len(w.ops) == 2 * (2 + 2 * 96) + 4
        assert sum(op.macs for op in w.ops) == 96 * 160 * (4 + 40) + 96 * 160 * (40 + 40) == 1_904_640
        x_proj = [op for op in w.ops if op.kind == "matmul" and op.tags.get("part") == "input"]
        assert [(op.m, op.k) for op in x_proj] == [(96, 4), (96, 40)]
    arch = load_architecture("cpu-ddr5")
    a, b = simulate(arch, cpu), simulate(arch, meta)
    assert a.latency_s == b.latency_s and a.energy_j == b.energy_j


@pytest.mark.parametrize("cls, gates", [(nn.GRU, 3), (nn.RNN, 1), (nn.LSTM, 4)])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_a_meta_trace_of_a_gru_or_rnn_is_its_cpu_trace(cls, gates, bidirectional):
    """GRU (3 gates), plain RNN (1) and LSTM (4), 2 layers of H = 16 over I = 8, T = 12 steps,
    batch 2, one or two directions: the meta and fake builds trace to the CPU build's workload,
    one input projection of M = T x batch = 24 rows per layer and direction. MACs
    d x T x B x gH x (I + H) + d x T x B x gH x (dH + H), d directions."""
    d = 2 if bidirectional else 1
    cpu, meta, fake = _rnn_traces(cls, (8, 16, 2), 12, batch=2, bidirectional=bidirectional)
    assert meta == cpu and _graph(fake) == _graph(cpu)
    g = gates * 16
    assert sum(op.macs for op in meta.ops) == d * 24 * g * (8 + 16) + d * 24 * g * (d * 16 + 16)
    x_proj = [op for op in meta.ops if op.kind == "matmul" and op.tags.get("part") == "input"]
    assert [op.m for op in x_proj] == [24] * 2 * d


class _Packed(nn.Module):
    def __init__(self, **kw):
        super().__init__()
        self.r = nn.LSTM(8, 16, **kw)

    def forward(self, x):
        p = nn.utils.rnn.pack_padded_sequence(x, torch.tensor([5, 3]), enforce_sorted=True)
        return self.r(p)[0].data


@pytest.mark.parametrize("layers, bidirectional, bias", [(1, False, True), (2, True, True),
                                                         (1, False, False)])
def test_a_packed_lstm_on_meta_says_what_it_traces_more(layers, bidirectional, bias):
    """A ``PackedSequence`` call keeps torch's own schedule on meta (its steps follow the batch
    sizes' values): each of the 5 steps projects its input on its own where the CPU build
    projects the packed input once per layer and direction, so the meta trace has
    (5 - 1) x layers x directions more matmuls and as many more bias adds, the same MACs; the
    trace says so in a note naming the module (review 18-3: 26 ops against 18, no note)."""
    from cimsim.workload.trace import trace
    from cimsim.workload.trace.padding import notes

    got = {}
    for dev in ("cpu", "meta"):
        with torch.device(dev):
            torch.manual_seed(0)
            m = _Packed(num_layers=layers, bidirectional=bidirectional, bias=bias).eval()
            x = torch.randn(5, 2, 8)
        got[dev] = trace(m, (x,))
    more = (5 - 1) * layers * (2 if bidirectional else 1)
    cpu, meta = got["cpu"], got["meta"]
    assert meta.macs == cpu.macs
    assert len(meta.ops) - len(cpu.ops) == more * (2 if bias else 1)
    assert not any("meta device" in n for n in notes(cpu.metadata))
    bias_adds = f" and {more} more bias adds" if bias else ""
    assert notes(meta.metadata)[1:] == [
        f"r (LSTM) on a PackedSequence on the meta device runs torch's per-step input "
        f"projection: {more} more matmuls{bias_adds} than the CPU build (the same MACs); build "
        "it on the CPU for the CPU kernel's schedule"]
