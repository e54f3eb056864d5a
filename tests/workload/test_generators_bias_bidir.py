"""`cimsim workload tcn|transformer --bias` adds the biases a traced nn.Conv1d /
nn.TransformerEncoderLayer has (their bytes and their adds), and `cimsim workload lstm|gru
--bidirectional` a reverse direction per layer: twice the MACs and weights, the same path
(find-C finding 7: the generators left the biases out and had no bidirectional form)."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from cimsim.commands.workload import workload as workload_cmd
from cimsim.workload import load_workload
from cimsim.workload.arrays import op_arrays
from cimsim.workload.generators import gru, lstm, tcn, transformer
from cimsim.workload.graph import longest_path


def path_ops(w) -> float:
    indptr, indices = w.predecessors
    return longest_path(indptr, indices, np.ones(len(w.ops)))[0]


def vector_ops(w) -> float:
    return float(op_arrays(w).vector_ops.sum())


T, C, K, L, B = 16, 64, 3, 4, 2


def test_tcn_bias_closed_form():
    plain, biased = tcn(T, C, K, L, B), tcn(T, C, K, L, B, bias=True)
    # fp32: L x (C x C x k weights + C biases) x 4 B
    assert biased.weight_bytes == L * (C * C * K + C) * 4
    assert biased.weight_bytes - plain.weight_bytes == L * C * 4 == 1024
    assert biased.metadata["weight_elements"] * 4 == biased.weight_bytes
    # one add per output element of every layer: L x B x T x C, nothing else moves
    assert vector_ops(biased) - vector_ops(plain) == L * B * T * C
    assert biased.macs == plain.macs == L * B * T * C * C * K
    assert len(biased.ops) == len(plain.ops) and path_ops(biased) == path_ops(plain) == 3 * L
    assert biased.metadata["params"]["bias"] is True and "bias" not in plain.metadata["params"]


def test_transformer_bias_closed_form():
    N, d, h, f = 16, 64, 4, 128
    plain, biased = transformer(N, d, h, f, 2, B), transformer(N, d, h, f, 2, B, bias=True)
    per_layer = 3 * d + d + f + d  # in_proj, out_proj, linear1, linear2
    assert biased.weight_bytes - plain.weight_bytes == 2 * per_layer * 4 == 2 * 1792
    assert biased.metadata["weight_elements"] * 4 == biased.weight_bytes
    assert vector_ops(biased) - vector_ops(plain) == 2 * B * N * per_layer
    assert biased.macs == plain.macs
    # the q/k/v bias add is one op more per layer, on the path
    assert len(biased.ops) == len(plain.ops) + 2 and path_ops(biased) == path_ops(plain) + 2


def test_biased_generators_match_a_traced_torch_equivalent(tmp_path):
    torch = pytest.importorskip("torch")
    from torch import nn

    from cimsim.workload.trace import trace

    class TCN(nn.Module):
        def __init__(self):
            super().__init__()
            self.convs = nn.ModuleList([nn.Conv1d(C, C, K, dilation=2 ** i) for i in range(L)])

        def forward(self, x):
            for i, c in enumerate(self.convs):
                x = torch.relu(c(nn.functional.pad(x, ((K - 1) * 2 ** i, 0))))
            return x

    traced = trace(TCN().eval(), (torch.randn(1, C, T),), name="tcn")
    gen = tcn(T, C, K, L, 1, bias=True)
    assert traced.weight_bytes == gen.weight_bytes == L * (C * C * K + C) * 4 == 197_632
    assert traced.macs == gen.macs
    layer = nn.TransformerEncoderLayer(64, 4, dim_feedforward=128, batch_first=True)
    enc = nn.TransformerEncoder(layer, 1, enable_nested_tensor=False).eval()
    traced = trace(enc, (torch.randn(1, 16, 64),), name="enc")
    gen = transformer(16, 64, 4, 128, 1, 1, bias=True)
    # 4d^2 + 2df weights, 3d + d + f + d biases, 4d layernorm gains and shifts
    assert traced.weight_bytes == gen.weight_bytes == (4 * 64 ** 2 + 2 * 64 * 128 + 5 * 64 + 128
                                                       + 4 * 64) * 4 == 133_888
    assert traced.macs == gen.macs


@pytest.mark.parametrize("make, gates", [(lstm, 4), (gru, 3)])
@pytest.mark.parametrize("layers", [1, 3])
def test_bidirectional_doubles_macs_not_path(make, gates, layers):
    I, H, T_ = 8, 16, 12
    uni, bi = make(I, H, layers, steps=T_), make(I, H, layers, steps=T_, bidirectional=True)
    G = gates * H
    # layer 0 reads I, a layer above reads both directions' h (2H); two directions each
    assert bi.macs == 2 * T_ * G * ((I + H) + (layers - 1) * (2 * H + H))
    assert bi.weight_bytes == 2 * 4 * (G * (I + H) + 2 * G + (layers - 1) * (G * 3 * H + 2 * G))
    if layers == 1:
        assert bi.macs == 2 * uni.macs and bi.weight_bytes == 2 * uni.weight_bytes
    # the directions run side by side: per layer the input projection, T steps of (recurrent
    # matmul, cell) less the first step's matmul (it reads h0 only), the concat: L (2T + 1)
    assert path_ops(bi) == path_ops(uni) == layers * (2 * T_ + 1)
    rev = [op for op in bi.ops if op.tags.get("direction") == "reverse" and op.tags["part"] == "state"]
    # the reverse direction starts at the last step
    assert [op.tags["step"] for op in rev[:T_]] == list(range(T_ - 1, -1, -1))
    assert bi.metadata["params"]["bidirectional"] is True and bi.metadata["directions"] == 2


def test_bidirectional_matches_torch_weights():
    torch = pytest.importorskip("torch")
    from torch import nn

    for cls, make in ((nn.LSTM, lstm), (nn.GRU, gru)):
        m = cls(8, 16, num_layers=2, bidirectional=True)
        n = sum(p.numel() for p in m.parameters())
        assert make(8, 16, 2, steps=4, bidirectional=True).weight_bytes == 4 * n


def test_cli_flags_and_refusals(tmp_path):
    run = CliRunner().invoke
    res = run(workload_cmd, ["gru", "--input-size", "8", "--hidden", "16", "--steps", "4",
                             "--bidirectional", "-o", str(tmp_path / "g.json")])
    assert res.exit_code == 0, res.output
    assert load_workload(tmp_path / "g.json").macs == 2 * 4 * 48 * 24
    res = run(workload_cmd, ["tcn", "--steps", "16", "--channels", "64", "--layers", "4", "--bias",
                             "-o", str(tmp_path / "t.json")])
    assert res.exit_code == 0, res.output
    assert load_workload(tmp_path / "t.json").weight_bytes == 197_632
    res = run(workload_cmd, ["lstm", "--input-size", "8", "--hidden", "16", "--steps", "4",
                             "--bidirectional", "--schedule", "wavefront", "-o", str(tmp_path / "x.json")])
    assert res.exit_code != 0 and "Traceback" not in res.output
    assert "--bidirectional goes with --schedule layer" in res.output
    assert not (tmp_path / "x.json").exists()
