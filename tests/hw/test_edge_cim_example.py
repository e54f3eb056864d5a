"""The edge / TinyML example config (find-E 7): examples/edge-cim.yaml, a Cortex-M4F-class MCU
with 16 digital SRAM CIM macros, runs a traced KWS DS-CNN (MLPerf Tiny's, BatchNorm folded into
the convs as an int8 deployment does) in tens of µJ, and its energy parts equal closed forms
written here from the config's numbers and the model's shapes."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

from torch import nn  # noqa: E402

import cimsim  # noqa: E402
from cimsim.cli import main  # noqa: E402
from cimsim.workload.io import save_workload  # noqa: E402
from cimsim.workload.trace import trace  # noqa: E402

CONFIG = Path(__file__).resolve().parents[2] / "examples" / "edge-cim.yaml"

# The config's numbers, restated
CLOCK, MACS_PER_CYCLE, VEC_PER_CYCLE = 120e6, 2, 2       # Hz, int8 MAC / cycle, op / cycle
E_MAC, E_VEC = 50e-12, 50e-12                             # J per int8 MAC, per vector op
STATIC_W = 5e-3 + 13.82e-6                                # MCU + 16 macros, W
E_TREE = 0.36e-12                                         # J per adder-tree sum (one column, one input bit)
E_PSRAM_B, E_BUS_B, E_BUF_B = 100e-12 * 8, 0.1e-12 * 8, 0.4e-12  # J per byte

# DS-CNN (Zhang et al., "Hello Edge", 2017; MLPerf Tiny KWS): 49 x 10 in, conv 10x4 stride 2
# -> 25 x 5 x 64, four depthwise-separable blocks, average pool, 12 classes.
HW = 25 * 5                    # output pixels of every conv
C, BLOCKS, CLASSES = 64, 4, 12


class DSCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Sequential(nn.Conv2d(1, C, (10, 4), (2, 2), (5, 1)), nn.ReLU())
        b: list[nn.Module] = []
        for _ in range(BLOCKS):
            b += [nn.Conv2d(C, C, 3, 1, 1, groups=C), nn.ReLU(), nn.Conv2d(C, C, 1), nn.ReLU()]
        self.ds = nn.Sequential(*b)
        self.fc = nn.Linear(C, CLASSES)

    def forward(self, x):
        x = self.ds(self.c1(x))
        return self.fc(nn.functional.adaptive_avg_pool2d(x, 1).flatten(1))


@pytest.fixture(scope="module")
def dscnn():
    torch.manual_seed(0)
    return trace(DSCNN().eval(), (torch.randn(1, 1, 49, 10),), dtype="int8")


@pytest.fixture(scope="module")
def result(dscnn):
    return cimsim.simulate(cimsim.load_architecture(CONFIG), dscnn)


def test_the_example_is_not_a_bundled_config():
    root = CONFIG.parents[1]
    assert CONFIG.is_file()
    assert not (root / "configs" / CONFIG.name).exists()
    assert not (root / "src" / "cimsim" / "data" / "configs" / CONFIG.name).exists()


def test_macs_split_between_mcu_and_macros(result):
    dw = BLOCKS * C * 9 * HW                                      # depthwise: Cin x 3 x 3 x pixels
    cim = C * (10 * 4) * HW + BLOCKS * C * C * HW + C * CLASSES   # first conv, 1x1 convs, FC
    assert result.macs_per_unit == {"processor": dw, "cim": cim}
    assert dw + cim == 2_656_768   # find-E's traced DS-CNN MACs


def test_energy_parts_equal_closed_forms(result):
    e = result.energy_breakdown_j
    # CIM: every used column of every row tile sums once per input bit per output row
    trees = 8 * (HW * (C * 8) + BLOCKS * HW * (C * 8) + 1 * (CLASSES * 8))   # 8 input bits, 8 weight-bit columns
    assert e["cim_adc"] == pytest.approx(trees * E_TREE, rel=1e-9, abs=0)     # 921.9 nJ
    # MCU: depthwise MACs, bias + ReLU on each conv output (2 ops), the pool's adds, the FC bias
    vec = (1 + 2 * BLOCKS) * 2 * C * HW + C * HW + CLASSES
    dw = BLOCKS * C * 9 * HW
    assert e["processor_compute"] == pytest.approx(dw * E_MAC + vec * E_VEC, rel=1e-9, abs=0)   # 22.0 µJ
    # off chip: the input and every parameter the MCU reads (depthwise weights, all biases), int8
    psram_b = 49 * 10 + BLOCKS * (C * 9 + C) + C + BLOCKS * C + CLASSES
    assert e["psram"] == pytest.approx(psram_b * E_PSRAM_B, rel=1e-9, abs=0)
    # bus bytes pass once through the macros' buffer
    bus_b = result.traffic_bytes["bus"]
    assert e["bus"] == pytest.approx(bus_b * E_BUS_B, rel=1e-9, abs=0)
    assert e["cim_digital"] == pytest.approx(bus_b * E_BUF_B, rel=1e-9, abs=0)
    # static power over the whole inference
    assert e["static"] == pytest.approx(STATIC_W * result.latency_s, rel=1e-9, abs=0)
    assert result.energy_j == pytest.approx(sum(e.values()), rel=1e-12, abs=0)


def test_a_kws_inference_costs_microjoules(result):
    # µJ-scale, comparable with MLPerf Tiny's energy-per-inference figures; sram-cim's Xeon
    # host gave 4.007 mJ for the same network (find-E 7)
    assert 10e-6 < result.energy_j < 100e-6
    # a depthwise conv runs at the DSP extension's rate: 72,000 MAC / (2 x 120 MHz) = 300 µs
    assert result.latency_s > BLOCKS * C * 9 * HW / (VEC_PER_CYCLE * CLOCK)


def test_cimsim_run_prints_the_cim_energy_per_unit(dscnn, tmp_path):
    w = tmp_path / "dscnn.json"
    save_workload(dscnn, w)
    out = CliRunner().invoke(main, ["run", str(CONFIG), str(w)])
    assert out.exit_code == 0, out.output
    line = next(x for x in out.output.splitlines() if "dynamic energy per unit" in x)
    assert "processor 22 µJ" in line and "cim 952.7 nJ" in line   # 921.9 nJ trees + 30.83 nJ buffer
