"""Quantized models (tester Q's report, session 16): a ``quantize_dynamic`` LSTM followed by a
Linear, weight-only int4 (nibbles packed in ``uint8`` / ``int32`` buffers, unpacked with ``>>``
and ``&``), fp8 weights cast in forward, per-channel scales and zero points of a static model.

Goldens are hand arithmetic written beside each assertion, never the tracer's output."""

from __future__ import annotations

import warnings

import pytest

pytestmark = pytest.mark.torch

torch = pytest.importorskip("torch")
nn, F = torch.nn, torch.nn.functional


def _trace(model, *inputs, **kw):
    from cimsim.workload.trace import trace

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.ao's deprecation warnings
        return trace(model, inputs, **kw)


def _bytes(w, role="weight", dtype=None):
    return sum(t.nbytes for t in w.tensors.values() if t.role == role and dtype in (None, t.dtype))


def test_a_dynamically_quantized_lstm_then_linear_traces():
    """torch's default ``quantize_dynamic`` (LSTM and Linear both quantized) crashed in
    ``atomize`` with an IndexError: the LSTM's inner capture was freed, and a storage key it
    held went to the Linear's unpacked weight. I = 16, H = 32, T = 5, 10 outputs:
    5 x 4 x 32 x (16 + 32) + 32 x 10 = 31,040 MACs; int8 weights 4 x 32 x 48 + 10 x 32 =
    6,464 B; fp32 biases 2 x 128 x 4 + 10 x 4 = 1,064 B."""
    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm, self.fc = nn.LSTM(16, 32), nn.Linear(32, 10)

        def forward(self, x):
            y, _ = self.lstm(x)
            return self.fc(y[-1])

    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = torch.ao.quantization.quantize_dynamic(M().eval())
    w = _trace(m, torch.randn(5, 1, 16))
    assert w.macs == 5 * 4 * 32 * (16 + 32) + 32 * 10 == 31_040
    assert _bytes(w, dtype="int8") == 4 * 32 * 48 + 10 * 32 == 6_464
    assert _bytes(w, dtype="fp32") == 2 * 128 * 4 + 10 * 4 == 1_064
    assert not w.metadata["unknown_ops"]


class Int4Linear(nn.Module):
    """Weight-only int4, group 128: two nibbles a byte (``uint8``, torchao / bitsandbytes /
    HQQ) or eight an ``int32`` (GPTQ / AWQ), fp16 scales per group, unpacked in forward."""

    def __init__(self, k, n, container="uint8", g=128):
        super().__init__()
        self.k, self.n, self.g, self.per = k, n, g, 8 if container == "int32" else 2
        hi = 2**31 - 1 if container == "int32" else 255
        self.register_buffer("qweight", torch.randint(0, hi, (n, k // self.per),
                                                      dtype=getattr(torch, container)))
        self.register_buffer("scales", torch.rand(n, k // g, dtype=torch.float16))

    def forward(self, x):
        parts = [(self.qweight >> (4 * i)) & 0xF for i in range(self.per)]
        w = torch.stack(parts, -1).reshape(self.n, self.k).to(torch.float16) - 8
        w = (w.reshape(self.n, self.k // self.g, self.g) * self.scales.unsqueeze(-1)).reshape(self.n, self.k)
        return F.linear(x, w)


@pytest.mark.parametrize("container", ["uint8", "int32"])
def test_weight_only_int4_counts_its_packed_nibbles_and_scales_as_weights(container):
    """K = 256, N = 512: 131,072 weights at 0.5 B = 65,536 B of nibbles (a uint8 buffer of
    512 x 128, or an int32 one of 512 x 32 x 4 B) + 512 x 2 groups x 2 B = 2,048 B of fp16
    scales = 67,584 B of weights (the scales alone, 2,048 B, before: the packed buffer was an
    input). The matmul is listed as reading a dequantized weight, and ``>>`` traces."""
    from cimsim.workload.trace.computed import DEQUANTIZED

    k, n = 256, 512
    w = _trace(Int4Linear(k, n, container).eval(), torch.randn(1, k, dtype=torch.float16))
    assert _bytes(w) == k * n // 2 + n * (k // 128) * 2 == 67_584
    assert w.tensors["qweight"].role == "weight" and w.tensors["qweight"].nbytes == k * n // 2
    assert w.macs == k * n
    assert [e["from"] for e in w.metadata["computed_weights"]] == [DEQUANTIZED]
    assert not w.metadata["unknown_ops"]


@pytest.mark.parametrize("op", ["rshift", "lshift", "irshift"])
def test_shift_operators_are_one_vector_op_an_element(op):
    """``q >> 4`` (``aten.__rshift__``), ``q << 4`` and ``q >>= 4`` were unmapped while
    ``torch.bitwise_right_shift`` was: each is 1 vector op an element, 64 x 32 = 2,048."""
    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("q", torch.randint(0, 255, (64, 32), dtype=torch.uint8))

        def forward(self, x):
            q = self.q.clone() if op == "irshift" else self.q
            if op == "irshift":
                q >>= 4
            y = {"rshift": lambda: q >> 4, "lshift": lambda: q << 4, "irshift": lambda: q}[op]()
            return x @ y.float()

    w = _trace(M().eval(), torch.randn(2, 64))
    assert not w.metadata["unknown_ops"]
    shift = [op_ for op_ in w.ops if "shift" in op_.name]
    assert len(shift) == 1
    assert w.arrays.vector_ops[w.ops.index(shift[0])] == 64 * 32


class FP8Linear(nn.Module):
    """Weight-only fp8: a float8 weight (buffer or parameter) cast to bf16 in forward."""

    def __init__(self, k=256, n=128, param=False):
        super().__init__()
        w8 = torch.randn(n, k).to(torch.float8_e4m3fn)
        if param:
            self.w8 = nn.Parameter(w8, requires_grad=False)
        else:
            self.register_buffer("w8", w8)

    def forward(self, x):
        return F.linear(x, self.w8.to(torch.bfloat16))


@pytest.mark.parametrize("param", [False, True], ids=["buffer", "parameter"])
def test_an_fp8_weight_counts_at_one_byte_an_element(param):
    """256 x 128 fp8 values: 32,768 B (a buffer was counted at fp32, 131,072 B, silently; a
    parameter was refused though the model runs on the CPU)."""
    if not hasattr(torch, "float8_e4m3fn"):
        pytest.skip("this torch has no float8")
    w = _trace(FP8Linear(param=param).eval(), torch.randn(4, 256, dtype=torch.bfloat16))
    assert w.tensors["w8"].dtype == "fp8" and _bytes(w) == 256 * 128 == 32_768
    assert "dtypes_counted_as_workload_dtype" not in w.metadata
    assert w.macs == 4 * 256 * 128


def test_a_static_per_channel_linear_counts_its_scales_and_zero_points():
    """A ``convert``ed fbgemm Linear 64 -> 32 (per-channel weights): 2,048 B int8 weights +
    128 B fp32 bias + 32 fp32 scales (128 B) + 32 int32 zero points (128 B) = 2,432 B."""
    import torch.ao.quantization as tq

    class QS(nn.Module):
        def __init__(self):
            super().__init__()
            self.q, self.fc, self.dq = tq.QuantStub(), nn.Linear(64, 32), tq.DeQuantStub()

        def forward(self, x):
            return self.dq(self.fc(self.q(x)))

    torch.manual_seed(0)
    m = QS().eval()
    m.qconfig = tq.get_default_qconfig("fbgemm")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tq.prepare(m, inplace=True)
        m(torch.randn(16, 64))
        tq.convert(m, inplace=True)
    w = _trace(m, torch.randn(4, 64))
    assert _bytes(w) == 64 * 32 + 32 * 4 + 32 * 4 + 32 * 4 == 2_432
    assert w.tensors["fc.weight_scale"].dtype == "fp32" and w.tensors["fc.weight_zero_point"].dtype == "int32"
