"""The tracer tags a weight matmul whose input holds only 0 and 1 (a spike: the float cast of a
comparison, ``torch.where(cond, 1.0, 0.0)``, through views, max pools and a convolution's
windows) with ``input_value_bits: 1``, and nothing computed (find-N finding 4). A float model
input is tagged only by ``--stats``, where every measured value is 0 or 1; the tag survives the
workload file, and a bit-serial CIM then costs those ops at one input slice of eight."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.torch

torch = pytest.importorskip("torch")
nn = torch.nn


class LIF(nn.Module):
    """Two LIF layers unrolled over T steps (reset by subtraction); ``spike`` picks how the
    spike is written."""

    def __init__(self, spike="float", T=3, nin=16, nh=8, nout=4):
        super().__init__()
        self.spike, self.T = spike, T
        self.fc1 = nn.Linear(nin, nh, bias=False)
        self.fc2 = nn.Linear(nh, nout, bias=False)

    def s(self, v):
        if self.spike == "float":
            return (v > 1.0).float()
        if self.spike == "where":
            return torch.where(v > 1.0, 1.0, 0.0)
        if self.spike == "heaviside":
            return torch.heaviside(v - 1.0, torch.zeros(()))
        if self.spike == "ones_like":
            return torch.where(v > 1.0, torch.ones_like(v), torch.zeros_like(v))
        if self.spike == "full":
            return torch.where(v > 1.0, torch.full_like(v, 1.0), torch.full(v.shape, 0.0))
        if self.spike == "heaviside_half":  # values 0, 0.5 and 1: not binary
            return torch.heaviside(v - 1.0, torch.full((), 0.5))
        if self.spike == "where_half":  # 0.5 where the compare holds: not binary
            return torch.where(v > 1.0, torch.full_like(v, 0.5), torch.zeros_like(v))
        if self.spike == "written":  # a ones_like written before the select: not binary
            return torch.where(v > 1.0, torch.ones_like(v).mul_(3.0), 0.0)
        return (v > 1.0).float() * 2.0  # "scaled": values 0 and 2, not binary

    def forward(self, x):
        v1 = torch.zeros(x.shape[1], self.fc1.out_features)
        v2 = torch.zeros(x.shape[1], self.fc2.out_features)
        out = torch.zeros_like(v2)
        for t in range(self.T):
            v1 = 0.9 * v1 + self.fc1(x[t])
            s1 = self.s(v1)
            v1 = v1 - s1
            v2 = 0.9 * v2 + self.fc2(s1)
            s2 = self.s(v2)
            v2 = v2 - s2
            out = out + s2
        return out


def _x(T=3, nin=16):
    torch.manual_seed(0)
    return (torch.rand(T, 1, nin) < 0.3).float()


def _tags(w):
    return {op.name: op.tags.get("input_value_bits") for op in w.ops
            if op.kind == "matmul" and op.weight}


@pytest.mark.parametrize("spike", ["float", "where", "heaviside", "ones_like", "full"])
def test_a_spike_layers_matmul_is_tagged_binary_the_float_input_is_not(spike):
    from cimsim import trace

    tags = _tags(trace(LIF(spike).eval(), (_x(),)))
    # 3 steps x 2 layers: fc2 reads the spikes, fc1 the model's float input (unknown values)
    assert sorted(tags) == sorted(["fc1.mm", "fc1.mm#1", "fc1.mm#2", "fc2.mm", "fc2.mm#1", "fc2.mm#2"])
    assert {n: b for n, b in tags.items() if n.startswith("fc2")} == {"fc2.mm": 1, "fc2.mm#1": 1, "fc2.mm#2": 1}
    assert all(b is None for n, b in tags.items() if n.startswith("fc1"))


@pytest.mark.parametrize("spike", ["scaled", "heaviside_half", "where_half", "written"])
def test_a_computed_spike_is_not_binary(spike):
    from cimsim import trace

    assert all(b is None for b in _tags(trace(LIF(spike).eval(), (_x(),))).values())


def test_a_zero_state_read_by_a_matmul_is_not_tagged():
    """A constant of zeros is 0/1 only as a where's or heaviside's operand: an RNN's zero
    state read by the first step's matmul keeps its cost (no zoo RNN moves)."""
    from cimsim import trace

    class RNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.wx, self.wh = nn.Linear(4, 8, bias=False), nn.Linear(8, 8, bias=False)

        def forward(self, x):
            h = torch.zeros(1, 8)
            for t in range(x.shape[0]):
                h = torch.tanh(self.wx(x[t]) + self.wh(h))
            return h

    torch.manual_seed(0)
    assert all(b is None for b in _tags(trace(RNN().eval(), (torch.rand(2, 1, 4),))).values())


def test_a_rate_encoders_draws_are_binary():
    """torch.bernoulli(p) (snnTorch's spikegen.rate) writes 0 or 1: the first layer reading it
    is tagged, every step (was: fc1 untagged, costed at 8 slices)."""
    from cimsim import trace

    class Rate(LIF):
        def forward(self, x):
            return super().forward(torch.bernoulli(x))

    torch.manual_seed(0)
    tags = _tags(trace(Rate().eval(), (torch.rand(3, 1, 16),)))
    assert set(tags.values()) == {1} and len(tags) == 6  # fc1 and fc2, 3 steps each


def test_stats_tags_a_model_input_of_zeros_and_ones():
    from cimsim import trace

    w = trace(LIF().eval(), (_x(),), stats_bits=8)
    assert set(_tags(w).values()) == {1}  # fc1's input is measured 0/1 only
    w = trace(LIF().eval(), (_x() * 0.5,), stats_bits=8)  # 0 / 0.5: not binary
    assert all(b is None for n, b in _tags(w).items() if n.startswith("fc1"))


class ConvSNN(nn.Module):
    """conv -> spike -> max pool -> conv -> spike -> flatten -> fc, one step."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 2, 3, padding=1, bias=False)
        self.c2 = nn.Conv2d(2, 4, 3, padding=1, bias=False)
        self.fc = nn.Linear(4 * 4 * 4, 3, bias=False)

    def forward(self, x):
        s1 = (self.c1(x) > 0.1).float()
        s2 = (self.c2(nn.functional.max_pool2d(s1, 2)) > 0.1).float()
        return self.fc(s2.flatten(1))


def test_spikes_through_a_max_pool_and_conv_windows_stay_binary(tmp_path):
    from cimsim import trace
    from cimsim.workload.io import load_workload, save_workload

    torch.manual_seed(0)
    w = trace(ConvSNN().eval(), (torch.randn(1, 1, 8, 8),))
    assert _tags(w) == {"c1.conv": None, "c2.conv": 1, "fc.mm": 1}
    save_workload(w, tmp_path / "snn.json")
    assert _tags(load_workload(tmp_path / "snn.json")) == {"c1.conv": None, "c2.conv": 1, "fc.mm": 1}


def _parts(arch, w):
    from cimsim.cost import compute_costs
    from cimsim.cost.table import energy_parts
    from cimsim.mapping.placement import place

    costs = compute_costs(place(w, arch), arch, w.arrays)
    names = [op.name for op in w.ops]
    return {p: dict(zip(names, costs.energy[:, i])) for i, p in enumerate(energy_parts(arch))}


def test_a_bit_serial_cim_runs_the_spike_layer_at_one_slice():
    from cimsim import bundled, load_architecture, trace

    w = trace(LIF(nin=128, nh=128).eval(), (_x(nin=128),))
    cfg = bundled.resolve_config("rram-cim")  # input_bits 8, dac_bits 1: 8 slices
    e8 = _parts(load_architecture(cfg), w)
    e1 = _parts(load_architecture(cfg, {"cim.input_bits": 1}), w)
    # fc2 (tagged) costs at 8 bits what it costs at input_bits 1; fc1 (untagged) 8x that
    for part in ("cim_adc", "cim_dac"):
        assert e8[part]["fc2.mm"] == pytest.approx(e1[part]["fc2.mm"], rel=1e-12, abs=0)
        assert e8[part]["fc1.mm"] == pytest.approx(8 * e1[part]["fc1.mm"], rel=1e-12, abs=0)
