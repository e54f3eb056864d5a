"""One dispatch per torch call (find-T, finding 5): a Linear's bias add, and a host-run
convolution's im2col copy, ride on the matmul's dispatch (tag ``launch``) where torch runs one
``addmm`` / one convolution call.

Golden values: the count of torch calls (``linear`` x3 + ``relu`` x2 = 5; ``conv`` + ``relu`` +
``conv`` + ``linear`` = 4) times a 1 s per-op overhead, which dwarfs every other term of these
tiny models (a few hundred MACs at 32 GMAC/s, 100 ns DRAM latency)."""

from __future__ import annotations

import pytest

from cimsim import simulate
from conftest import ROUND_ARCH, make_arch

pytestmark = pytest.mark.torch

torch = pytest.importorskip("torch")
nn = torch.nn


def _trace(model, *inputs):
    from cimsim.workload.trace import trace

    return trace(model.eval(), inputs)


def _slow_dispatch():
    return make_arch(processor={**ROUND_ARCH["processor"], "op_overhead": "1 s"})


def test_mlp_pays_one_dispatch_per_torch_call():
    torch.manual_seed(0)
    m = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 4))
    w = _trace(m, torch.randn(1, 8))
    # the last Linear's bias add is an op of its own, in the addmm's launch
    last = [op for op in w.ops if op.tags.get("module") == "4"]
    assert [op.kind for op in last] == ["matmul", "elementwise"]
    assert last[0].tags["launch"] == last[1].tags["launch"]
    # a bias add fused into the following ReLU keeps no lone launch tag
    assert sum("launch" in op.tags for op in w.ops) == 2
    r = simulate(_slow_dispatch(), w)
    assert r.latency_s == pytest.approx(5 * 1.0, rel=1e-5, abs=0)  # 3 linear + 2 relu calls


def test_conv_im2col_rides_on_the_convolution():
    torch.manual_seed(0)
    m = nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 4, 3, padding=1, bias=False),
                      nn.Flatten(), nn.Linear(4 * 4 * 4, 2, bias=False))
    w = _trace(m, torch.randn(1, 2, 4, 4))
    assert sum(op.tags.get("part") == "im2col" for op in w.ops) == 2
    r = simulate(_slow_dispatch(), w)
    # conv(+bias), relu, conv, linear: 4 torch calls, not 4 + 2 im2col copies
    assert r.latency_s == pytest.approx(4 * 1.0, rel=1e-5, abs=0)


def test_hbm_pim_mlp_splits_the_last_linears_launch_at_the_unit_boundary():
    """The README's per-op cost table (review 16-2 #5): on hbm-pim the matmuls run on PIM and
    their bias adds and ReLUs on the host, so the last Linear's launch group splits by unit:
    6 dispatches, each 5 us (host launch / pim.op_overhead) + 500 ns HBM latency = 33 us."""
    from cimsim.config import load_architecture

    torch.manual_seed(0)
    m = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 4))
    r = simulate(load_architecture("hbm-pim"), _trace(m, torch.randn(1, 8)))
    assert r.ops_per_unit == {"processor": 3, "pim": 3}
    assert r.critical_path_time_s["overhead"] == pytest.approx(6 * (5e-6 + 500e-9), rel=1e-9, abs=0)


@pytest.mark.parametrize("engine", ["des", "analytic"])
def test_a_3x3_conv_net_pays_each_launchs_weight_fetch_latency_on_gpu_hbm3(engine):
    """find-H #1: a 3x3 conv's launch opens with its im2col copy, which reads only SRAM (the
    previous layer's activation), and its conv reads the weights from HBM. The launch pays
    one 5 us op_overhead + the 500 ns HBM latency, as the 1x1 conv's launch (no copy) does:
    3 torch calls (conv, fused bias+ReLU, conv) x 5.5 us = 16.5 us for both kernels, so the
    3x3 net (9x the MACs and weights) is not faster than the 1x1 one (it was: 16.0 us of
    dispatch, 16.19 us against 16.54 us)."""
    from cimsim.config import load_architecture

    arch = load_architecture("gpu-hbm3")
    latency = {}
    for k in (1, 3):
        torch.manual_seed(0)
        m = nn.Sequential(nn.Conv2d(3, 8, k, padding=k // 2), nn.ReLU(), nn.Conv2d(8, 8, k, padding=k // 2))
        r = simulate(arch, _trace(m, torch.randn(1, 3, 32, 32)), engine=engine)
        assert r.critical_path_time_s["overhead"] == pytest.approx(3 * (5e-6 + 500e-9), rel=1e-9, abs=0)
        t = r.op_table.set_index("op")["fixed_latency_s"]
        assert t[[o for o in t.index if o.startswith("2.")]].sum() == pytest.approx(5.5e-6, rel=1e-9, abs=0)
        latency[k] = r.latency_s
    assert latency[3] > latency[1]


@pytest.mark.parametrize("engine", ["des", "analytic"])
def test_a_linears_addmm_launch_pays_the_matmul_dispatch_on_a100(engine):
    """Review 17-2 B2: a100-sxm4-80gb sets op_overhead 27.65 us (the cuBLAS path) and
    op_overhead_by_kind elementwise 48.16 us (torch.compile'd GeLU). The last Linear's bias add
    is an op of its own in the addmm's launch, one cuBLAS call: the launch pays 27.65 us + the
    HBM's 500 ns, not the GeLU's 48.16 us (+ 500 ns); the fused bias+GeLU call pays 48.16 us
    + 500 ns. Total fixed latency: 2 x 28.15 us + 48.66 us = 104.96 us."""
    from cimsim.config import load_architecture

    m = nn.Sequential(nn.Linear(1024, 1024), nn.GELU(), nn.Linear(1024, 1024)).to("meta")
    w = _trace(m, torch.empty(8, 1024, device="meta"))
    r = simulate(load_architecture("a100-sxm4-80gb"), w, engine=engine)
    t = r.op_table.set_index("op")["fixed_latency_s"]
    assert t["2.addmm"] == pytest.approx(27.65e-6 + 500e-9, rel=1e-12, abs=0)
    assert t["2.add_bias"] == 0.0
    assert t["0.fused"] == pytest.approx(48.16e-6 + 500e-9, rel=1e-12, abs=0)
    assert t.sum() == pytest.approx(2 * 28.15e-6 + 48.66e-6, rel=1e-12, abs=0)


class _OneStep(nn.Module):
    """A recurrent policy stepped with nn.LSTM / nn.GRU on a length-1 sequence (find-R 2)."""

    def __init__(self, rnn):
        super().__init__()
        self.rnn, self.pi = rnn, nn.Linear(16, 4)

    def forward(self, x, *state):
        y, state = self.rnn(x, state if len(state) > 1 else state[0])
        return self.pi(y[0]), state


@pytest.mark.parametrize("cls, states, calls", [
    # nn.LSTM: input addmm (+bias), recurrent addmm, the cell's pointwise (its restacks of
    # output, h_n and c_n ride on it), pi's addmm (+bias): 4 dispatches, not 4 + 3 stacks
    (nn.LSTM, 2, 4),
    # nn.GRU: input addmm (+bias), recurrent addmm, the pointwise cell (+ restacks of output
    # and h_n), pi's addmm: 4, as GRUCell + Linear, not 4 + 2
    (nn.GRU, 1, 4),
])
def test_rnn_restacks_ride_on_the_rnn_call(cls, states, calls):
    torch.manual_seed(0)
    m = _OneStep(cls(8, 16))
    w = _trace(m, torch.randn(1, 1, 8), *[torch.randn(1, 1, 16) for _ in range(states)])
    stacks = [op for op in w.ops if op.tags.get("part") == "concat"]
    assert len(stacks) == states + 1
    assert all("launch" in op.tags for op in stacks)
    r = simulate(_slow_dispatch(), w)
    assert r.latency_s == pytest.approx(calls * 1.0, rel=1e-5, abs=0)


class LSTM(nn.Module):
    """A hand-written LSTM named like torch's (review 19 C 2): its ``torch.stack`` calls are
    kernels of their own in eager torch, whatever the class is called."""

    def __init__(self, i, h):
        super().__init__()
        self.W, self.U = nn.Parameter(torch.randn(4 * h, i)), nn.Parameter(torch.randn(4 * h, h))

    def forward(self, x, state):
        h, c = state
        outs = []
        for t in range(x.shape[0]):
            i, f, g, o = (x[t] @ self.W.T + h @ self.U.T).chunk(4, -1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(c)
            outs.append(h)
        return torch.stack(outs), (torch.stack([h]), torch.stack([c]))


class _SubLSTM(nn.LSTM):
    """torch's nn.LSTM under another name: one at::lstm call all the same."""


@pytest.mark.parametrize("cls, calls", [
    # x @ W.T, h @ U.T, the fused gate arithmetic (their add included), three torch.stack
    # calls, pi's addmm (+bias): 7 dispatches (was 4: the stacks rode free on the class name)
    (LSTM, 7),
    # a subclass of nn.LSTM: 4, as nn.LSTM (the restacks ride on the cell's launch)
    (_SubLSTM, 4),
])
def test_restacks_ride_only_inside_torchs_rnn(cls, calls):
    torch.manual_seed(0)
    w = _trace(_OneStep(cls(8, 16)), torch.randn(1, 1, 8), torch.randn(1, 1, 16), torch.randn(1, 1, 16))
    r = simulate(_slow_dispatch(), w)
    assert r.latency_s == pytest.approx(calls * 1.0, rel=1e-5, abs=0)
    stacks = [op for op in w.ops if op.kind == "copy" and op.tags.get("module") == "rnn"]
    assert len(stacks) == 3 and all(("launch" in op.tags) == (cls is _SubLSTM) for op in stacks)


class _Enc(nn.Module):
    """A scan and an elementwise chain (two dispatches): a custom CUDA kernel's work, traced op
    by op."""

    def forward(self, x):
        return torch.sin(torch.cumsum(x, -1)) + x


class _Field(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc, self.enc2 = _Enc(), _Enc()
        self.mlp = nn.Sequential(nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 4))

    def forward(self, x):
        return self.mlp(self.enc2(self.enc(x)))


@pytest.mark.parametrize("names, calls", [
    # unmarked: each encoder's cumsum and fused sin + add (2 + 2), the first Linear's addmm and
    # its bias add fused into the ReLU (2), the last Linear's addmm + bias (1): 7 dispatches
    (None, 7),
    # each _Enc instance one launch (1 + 1) and the MLP one launch (1)
    (["_Enc", "mlp"], 3),
    # the first encoder and the MLP by path: 1 + the second encoder's 2 + 1
    (["enc", "mlp"], 4),
    # the first Linear's module: its addmm and the fused bias + ReLU one launch: 7 - 1
    (["mlp.0"], 6),
])
def test_launch_module_makes_a_module_one_launch(names, calls):
    torch.manual_seed(0)
    from cimsim.workload.trace import trace

    w = trace(_Field().eval(), (torch.randn(1, 8),), launch_modules=names)
    r = simulate(_slow_dispatch(), w)
    assert r.latency_s == pytest.approx(calls * 1.0, rel=1e-5, abs=0)
    if names:
        assert w.metadata["launch_modules"] == sorted(names)
        assert {op.tags["launch"] for op in w.ops if op.tags.get("module", "").startswith("mlp")} == {
            "module:mlp" if "mlp" in names else "module:mlp.0", "mlp.2.addmm"} - (
            {"mlp.2.addmm"} if "mlp" in names else set())


def test_launch_module_refuses_an_unknown_name():
    from cimsim.errors import WorkloadError
    from cimsim.workload.trace import trace

    with pytest.raises(WorkloadError, match=r"--launch-module Enc: no module .* classes .*_Enc"):
        trace(_Field().eval(), (torch.randn(1, 8),), launch_modules=["Enc"])


class _Twice(nn.Module):
    """An encoder called twice with a Linear between (NeRF's coarse and fine passes), then a
    step module called three times back to back (a loop's cell): review 19 C 1."""

    def __init__(self):
        super().__init__()
        self.enc, self.step, self.mid = _Enc(), _Enc(), nn.Linear(8, 8, bias=False)

    def forward(self, x):
        y = self.enc(self.mid(self.enc(x)))
        for _ in range(3):
            y = self.step(y)
        return y


@pytest.mark.parametrize("names", [["enc", "step"], ["_Enc"]])
def test_launch_module_is_one_launch_per_call(names):
    """Each call of a marked module is a launch: 2 calls of enc + mid's mm + 3 calls of step =
    6 dispatches (was 3: every call of a module one launch, across mid's op); unmarked, each
    _Enc call is 2 (cumsum, fused sin + add): 5 x 2 + 1 = 11."""
    torch.manual_seed(0)
    from cimsim.workload.trace import trace

    x = torch.randn(1, 8)
    assert simulate(_slow_dispatch(), trace(_Twice().eval(), (x,))).latency_s == pytest.approx(
        11.0, rel=1e-5, abs=0)
    w = trace(_Twice().eval(), (x,), launch_modules=names)
    assert simulate(_slow_dispatch(), w).latency_s == pytest.approx(6.0, rel=1e-5, abs=0)
    assert [op.tags.get("launch") for op in w.ops if op.tags["module"] != "mid"] == [
        f"module:{m}#{k}" for m, n in (("enc", 2), ("step", 3)) for k in range(1, n + 1) for _ in "ab"]
    assert not any("module_calls" in op.tags for op in w.ops)


def test_launch_module_refuses_the_model_itself():
    """Review 19 C 1: the root's class passed the name check and tagged nothing."""
    from cimsim.errors import WorkloadError
    from cimsim.workload.trace import trace

    with pytest.raises(WorkloadError, match=r"^--launch-module _Twice: _Twice is the traced model "
                       r"itself, not a module inside it .*; its module paths are enc, mid, step; "
                       r"its classes Linear, _Enc$"):
        trace(_Twice().eval(), (torch.randn(1, 8),), launch_modules=["_Twice"])
