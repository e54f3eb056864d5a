"""A split study of a traced ResNet-like model on a real edge config and a bundled server config:
at the trivial cuts the halves are the whole model on each config, and a block boundary sends
exactly the block's output."""

from pathlib import Path

import pytest

from cimsim import load_architecture, simulate
from cimsim.split import cut_points, cut_workload, split_study

pytestmark = pytest.mark.torch

EDGE = Path(__file__).resolve().parents[2] / "examples" / "edge-cim.yaml"


def _model():
    import torch
    from torch import nn

    class Block(nn.Module):
        def __init__(self, c):
            super().__init__()
            self.conv1, self.bn1 = nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c)
            self.conv2, self.bn2 = nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c)

        def forward(self, x):
            y = torch.relu(self.bn1(self.conv1(x)))
            return torch.relu(self.bn2(self.conv2(y)) + x)

    class TinyResNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU())
            self.blocks = nn.Sequential(Block(8), Block(8))
            self.fc = nn.Linear(8, 10)

        def forward(self, x):
            return self.fc(self.blocks(self.stem(x)).mean((2, 3)))

    return TinyResNet().eval(), torch.randn(1, 3, 16, 16)


@pytest.fixture(scope="module")
def traced():
    from cimsim import trace

    model, x = _model()
    return trace(model, x, name="tinyresnet", dtype="int8")


def test_trivial_cuts_are_the_whole_model_on_each_config(traced):
    edge, server = load_architecture(EDGE), load_architecture("gpu-hbm3")
    cuts = cut_points(traced, module_depth=2)
    study = split_study(edge, server, traced, ["uplink=1Mb/s,latency=10ms,tx_energy=100nJ/bit"], cuts=cuts)
    first, last = study.rows[0], study.rows[-1]
    whole_edge, whole_server = simulate(edge, traced), simulate(server, traced)
    assert first["cut"] == 0 and last["cut"] == len(traced.ops)
    assert first["server_latency_s"] == pytest.approx(whole_server.latency_s, rel=1e-9, abs=0)
    assert first["server_energy_j"] == pytest.approx(whole_server.energy_j, rel=1e-9, abs=0)
    assert last["edge_latency_s"] == pytest.approx(whole_edge.latency_s, rel=1e-9, abs=0)
    assert last["edge_energy_j"] == pytest.approx(whole_edge.energy_j, rel=1e-9, abs=0)
    # server only sends the raw int8 input, 3 x 16 x 16 = 768 B: 768 x 8 / 1 Mb/s + 10 ms
    assert first["uplink_bytes"] == 768
    assert first["uplink_s"] == pytest.approx(768 * 8 / 1e6 + 0.01, rel=1e-12, abs=0)
    assert first["edge_radio_j"] == pytest.approx(768 * 8 * 100e-9, rel=1e-12, abs=0)
    assert last["uplink_bytes"] == 0 and last["link_s"] == 0


def test_a_block_boundary_sends_the_block_output(traced):
    cuts = {c.after: c for c in cut_points(traced, single_tensor=True)}
    block0 = [name for name in cuts if name and name.startswith("blocks.0")]
    assert block0, "a single-tensor cut at the end of block 0"
    cut = cuts[block0[-1]]
    assert cut.uplink_bytes() == 8 * 16 * 16  # its int8 output, 8 channels x 16 x 16
    prefix, suffix = cut_workload(traced, cut)
    assert len(prefix.ops) + len(suffix.ops) == len(traced.ops)
    assert prefix.macs + suffix.macs == traced.macs
