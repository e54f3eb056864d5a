"""Quantized models whose int8 weights are packed (tester D's report, find-D #2): a
``quantize_dynamic`` Linear (``quantized::linear_dynamic``), a ``convert``ed static-quantization
Linear (``quantized::linear``) and a ``quantize_dynamic`` LSTM (``aten.quantized_lstm``) traced
to 0 MACs and 0 B of weights. Unpacked, each is int8 matmuls on int8 weights a CIM claims.

Goldens are hand arithmetic written beside each assertion, never the tracer's output."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

import cimsim

pytestmark = pytest.mark.torch

torch = pytest.importorskip("torch")
nn = torch.nn

CONFIGS = Path(__file__).resolve().parents[3] / "src" / "cimsim" / "data" / "configs"
B, I, H, O = 4, 16, 32, 8
T = 5


def _trace(model, *inputs):
    from cimsim.workload.trace import trace

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.ao's deprecation warnings
        return trace(model, inputs)


def _quiet(fn, *a, **k):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*a, **k)


def _bytes(w, role_dtype):
    return sum(t.nbytes for t in w.tensors.values() if t.role == "weight" and t.dtype == role_dtype)


def _units(w):
    from cimsim.mapping.placement import place

    arch = cimsim.load_architecture(str(CONFIGS / "sram-cim.yaml"))
    units = place(w, arch).unit_names
    return {op.name: str(units[i]) for i, op in enumerate(w.ops)}


def _mlp():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(I, H), nn.ReLU(), nn.Linear(H, O))


def _static_mlp():
    """QuantStub-Linear-ReLU-Linear-DeQuantStub, prepare_qat, eval, convert (tester's q.py:qat_conv)."""
    torch.manual_seed(0)
    q = torch.ao.quantization
    m = nn.Sequential(q.QuantStub(), nn.Linear(I, H), nn.ReLU(), nn.Linear(H, O), q.DeQuantStub())
    m.qconfig = q.get_default_qat_qconfig("x86")
    m.train()
    _quiet(q.prepare_qat, m, inplace=True)
    m.eval()
    return _quiet(q.convert, m)


@pytest.mark.parametrize("static", [False, True], ids=["dynamic", "static"])
def test_a_quantized_linear_is_an_int8_matmul_on_its_unpacked_int8_weight(static):
    if static:
        m, first, second = _static_mlp(), "1", "3"
    else:
        m, first, second = _quiet(torch.ao.quantization.quantize_dynamic, _mlp(), {nn.Linear},
                                  dtype=torch.qint8), "0", "2"
    w = _trace(m, torch.randn(B, I))
    mms = [op for op in w.ops if op.kind == "matmul"]
    assert [(op.m, op.k, op.n, op.weight) for op in mms] == [(B, I, H, f"{first}.weight"),
                                                              (B, H, O, f"{second}.weight")]
    assert w.macs == B * I * H + B * H * O  # 2,048 + 1,024 = 3,072
    assert _bytes(w, "int8") == I * H + H * O  # 512 + 256 = 768 B at 1 B a weight
    assert _bytes(w, "fp32") == (H + O) * 4  # the biases, fp32: 160 B
    assert not w.metadata["unknown_ops"]
    dtypes = {op.name: d for op, d in zip(w.ops, w.arrays.dtype.tolist())}
    assert {dtypes[op.name] for op in mms} == {"int8"}  # int32 accumulators of 8-bit operands
    units = _units(w)
    assert {units[op.name] for op in mms} == {"cim"}
    if not static:  # the input's dynamic quantization: min, max, scale, round, clamp per element
        vec = dict(zip((op.name for op in w.ops), w.arrays.vector_ops.tolist()))
        assert vec["0.quantize"] == 5 * B * I


def test_a_dynamically_quantized_lstm_is_the_float_lstms_matmuls_in_int8():
    """I = 16, H = 32, T = 5: 5 x 4H(I + H) = 30,720 MACs on 4H(I + H) = 6,144 B of int8
    weights, as the float nn.LSTM's lowering (one input projection over the T steps, then a
    recurrent matmul per step)."""
    class Wrap(nn.Module):
        def __init__(self):
            super().__init__()
            self.l = nn.LSTM(I, H)

        def forward(self, x):
            return self.l(x)[0]

    torch.manual_seed(0)
    m = _quiet(torch.ao.quantization.quantize_dynamic, Wrap(), {nn.LSTM}, dtype=torch.qint8)
    x = torch.randn(T, 1, I)
    w = _trace(m, x)
    assert w.macs == T * 4 * H * (I + H) == 30_720
    assert _bytes(w, "int8") == 4 * H * (I + H) == 6_144
    assert _bytes(w, "fp32") == 2 * 4 * H * 4  # bias_ih, bias_hh: 1,024 B
    mms = [op for op in w.ops if op.kind == "matmul"]
    assert [(op.m, op.k, op.n, op.weight, op.tags["part"]) for op in mms] == \
        [(T, I, 4 * H, "l.weight_ih_l0", "input")] + [(1, H, 4 * H, "l.weight_hh_l0", "recurrent")] * T
    assert not w.metadata["unknown_ops"] and w.metadata["schedule"] == "layer"
    units = _units(w)
    assert {units[op.name] for op in mms} == {"cim"}


def test_a_dynamically_quantized_gru_is_unpacked_too():
    """3 gates: T x 3H(I + H) = 5 x 96 x 48 = 23,040 MACs on 4,608 B of int8 weights."""
    class Wrap(nn.Module):
        def __init__(self):
            super().__init__()
            self.g = nn.GRU(I, H)

        def forward(self, x):
            return self.g(x)[0]

    torch.manual_seed(0)
    m = _quiet(torch.ao.quantization.quantize_dynamic, Wrap(), {nn.GRU}, dtype=torch.qint8)
    w = _trace(m, torch.randn(T, 1, I))
    assert w.macs == T * 3 * H * (I + H) == 23_040
    assert _bytes(w, "int8") == 3 * H * (I + H) == 4_608
    assert not w.metadata["unknown_ops"]
