"""Issue 3's acceptance: five real PyTorch models trace and simulate end to end from the CLI.

Each model is written as a user would (a factory in a .py file), traced with
`cimsim trace`, then simulated with `cimsim run ... --json`; its MACs must
equal the closed form (WORKLOADS.md) within 1 %.
"""

from __future__ import annotations

import json
from pathlib import Path
from textwrap import dedent

import pytest
from click.testing import CliRunner

from cimsim.cli import main

pytestmark = pytest.mark.torch

ROOT = Path(__file__).resolve().parents[3]

FACTORIES = dedent('''
    import torch
    from torch import nn

    def lstm2():
        return nn.LSTM(24, 32, num_layers=2).eval(), (torch.randn(7, 2, 24),)

    def gru():
        return nn.GRU(24, 32, batch_first=True).eval(), (torch.randn(2, 7, 24),)

    def encoder_eval():
        layer = nn.TransformerEncoderLayer(d_model=32, nhead=4, dim_feedforward=64, batch_first=True)
        return nn.TransformerEncoder(layer, num_layers=2).eval(), (torch.randn(1, 10, 32),)
''')


def closed_form(name: str) -> int:
    T, B, I, H = 7, 2, 24, 32
    if name == "lstm2":  # layer 0: 4H(I+H), layer 1: 4H(H+H), per step and sample
        return T * B * (4 * H * (I + H) + 4 * H * (2 * H))
    if name == "gru":
        return T * B * 3 * H * (I + H)
    if name == "encoder_eval":  # 2 layers x [N(4d^2 + 2df) + 2N^2 d]
        N, d, f = 10, 32, 64
        return 2 * (N * (4 * d * d + 2 * d * f) + 2 * N * N * d)
    if name == "lstmcell_loop":  # examples/lstmcell_loop.py: cell over 12 steps + linear head
        return 2 * 12 * 4 * 64 * (32 + 64) + 2 * 64 * 10
    if name == "hier_attn":  # N = 16 = 4^2, window 4, d 32: 4 + 1 modules of 4 vectors
        n, d = 4, 32
        return 5 * (4 * n * d * d + 2 * n * n * d + 2 * n * d)
    raise KeyError(name)


def trace_and_run(tmp_path: Path, spec: str, name: str) -> dict:
    runner = CliRunner()
    out = tmp_path / f"{name}.json"
    r = runner.invoke(main, ["trace", spec, "-o", str(out)])
    assert r.exit_code == 0, r.output
    r = runner.invoke(main, ["run", "sram-cim", str(out), "--json"])
    assert r.exit_code == 0, r.output
    return json.loads(r.output)


@pytest.mark.parametrize("name", ["lstm2", "gru", "encoder_eval"])
def test_torch_modules_trace_and_simulate(tmp_path, name):
    src = tmp_path / "models.py"
    src.write_text(FACTORIES)
    res = trace_and_run(tmp_path, f"{src}:{name}", name)
    assert res["macs"] == pytest.approx(closed_form(name), rel=0.01, abs=0)
    assert res["latency_s"] > 0 and res["energy_j"] > 0


def test_user_lstmcell_loop_traces_and_simulates(tmp_path):
    res = trace_and_run(tmp_path, f"{ROOT / 'examples' / 'lstmcell_loop.py'}:factory", "lstmcell_loop")
    assert res["macs"] == pytest.approx(closed_form("lstmcell_loop"), rel=0.01, abs=0)
    # the loop's cell weights are stationary: they run on the CIM arrays
    assert res["ops_per_unit"]["cim"] > 0


def test_bundled_hierarchical_attention_encoder_traces_and_simulates(tmp_path):
    src = tmp_path / "han.py"
    src.write_text(dedent('''
        from cimsim import zoo

        def small():  # a factory may return a ZooModel
            return zoo.build("hier-attn", seq_len=16, window=4, d_model=32, heads=4)
    '''))
    res = trace_and_run(tmp_path, f"{src}:small", "hier_attn")
    assert res["macs"] == pytest.approx(closed_form("hier_attn"), rel=0.01, abs=0)
