"""Quantized and spectral models (tester D's report, 2026-12): QAT fake quantization, int8
``torch._int_mm``, packed int8 weights unpacked (``quantize_dynamic`` Linear / LSTM / GRU, a
``convert``ed static-quantization Linear), FFTs.

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


def _trace(model, *inputs, **kw):
    from cimsim.workload.trace import trace

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.ao's deprecation warnings
        return trace(model, inputs, **kw)


def _qat_mlp():
    """``prepare_qat`` of QuantStub-Linear-ReLU-Linear-DeQuantStub, then eval (tester's q.py)."""
    torch.manual_seed(0)
    q = torch.ao.quantization
    m = nn.Sequential(q.QuantStub(), nn.Linear(I, H), nn.ReLU(), nn.Linear(H, O), q.DeQuantStub())
    m.qconfig = q.get_default_qat_qconfig("x86")
    m.train()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        q.prepare_qat(m, inplace=True)
    return m.eval()


def test_qat_matmuls_read_the_fake_quantized_activation_and_the_stationary_weight():
    """The fake-quant op mutates its observer buffers and returns the quantized activation; only
    the buffers were kept as its outputs, so each matmul read a made-up constant input (no
    dependency, re-read from memory) and no QAT matmul could run on a CIM array."""
    from cimsim.mapping.placement import place

    w = _trace(_qat_mlp(), torch.randn(B, I))
    ops = {op.name: op for op in w.ops}
    producer = {o: op.name for op in w.ops for o in op.outputs}
    mm1, mm3 = ops["1.addmm"], ops["3.addmm"]
    # the first matmul reads the input's fake quantization, the second the first's (via ReLU)
    assert producer[mm1.inputs[0]] == "0.activation_post_process._fused_moving_avg_obs_fq_helper"
    assert producer[mm3.inputs[0]] in {"1.fused", "2.relu"}
    # a fake-quantized parameter is that parameter, stationary
    assert (mm1.weight, mm3.weight) == ("1.weight", "3.weight")
    assert w.macs == B * I * H + B * H * O  # 2,048 + 1,024
    assert not any(t.startswith("const") for t in w.tensors)
    assert "computed_weights" not in w.metadata
    # the input's fake quantization: 4 ops (scale, round, clamp, back) + 2 (observer min, max)
    # per element of the 4 x 16 input
    fq = list(ops).index("0.activation_post_process._fused_moving_avg_obs_fq_helper")
    assert w.arrays.vector_ops[fq] == (4 + 2) * B * I
    arch = cimsim.load_architecture(str(CONFIGS / "sram-cim.yaml"))
    units = place(w, arch).unit_names
    assert {units[list(ops).index(n)] for n in ("1.addmm", "3.addmm")} == {"cim"}


def _cpu_int_mm() -> bool:
    """Whether this torch has a CPU ``torch._int_mm`` kernel (absent from the oldest torch
    pyproject.toml allows): the probe runs the test's 32 x 16 by 16 x 32 shape."""
    try:
        torch._int_mm(torch.ones(32, I, dtype=torch.int8), torch.ones(I, H, dtype=torch.int8))
    except (AttributeError, RuntimeError, NotImplementedError):
        return False
    return True


@pytest.mark.skipif(not _cpu_int_mm(), reason="this torch has no CPU torch._int_mm kernel")
def test_int_mm_is_an_int8_matmul_on_its_int8_weight():
    """``torch._int_mm`` (torchao's int8 GEMM) had no mapping: 0 MACs under --allow-unknown."""
    from cimsim.mapping.placement import place

    class Int8MM(nn.Module):
        def __init__(self, buffer):
            super().__init__()
            w = torch.randint(-128, 127, (I, H), dtype=torch.int8)
            if buffer:
                self.register_buffer("w", w)
            else:
                self.w = nn.Parameter(w, requires_grad=False)

        def forward(self, x):
            return torch._int_mm(x, self.w)

    for buffer in (False, True):
        w = _trace(Int8MM(buffer), torch.randint(-128, 127, (32, I), dtype=torch.int8))
        (mm,) = w.ops
        assert (mm.kind, mm.macs, mm.weight) == ("matmul", 32 * I * H, "w")  # 16,384 MACs
        assert w.tensors[mm.inputs[0]].dtype == w.tensors["w"].dtype == "int8"
        assert w.weight_bytes == I * H  # 512 B at 1 B a weight
        arch = cimsim.load_architecture(str(CONFIGS / "sram-cim.yaml"))
        assert place(w, arch).unit_names.tolist() == ["cim"]


def test_an_fp16_dynamically_quantized_lstm_is_flagged_as_packed_weights():
    """``quantize_dynamic`` converts nn.LSTM to ``quantized_lstm``, whose packed parameters come
    in a list: the top-level ScriptObject check missed them, so nothing said the 0 B of weights
    and 0 MACs were missing. (An int8 one is unpacked, below; fp16 cells stay
    unknown.)"""
    class Wrap(nn.Module):
        def __init__(self):
            super().__init__()
            self.l = nn.LSTM(I, H)

        def forward(self, x):
            return self.l(x)[0]

    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = torch.ao.quantization.quantize_dynamic(Wrap(), {nn.LSTM}, dtype=torch.float16)
    w = _trace(m, torch.randn(5, 1, I), allow_unknown=True)
    (entry,) = w.metadata["unknown_ops"]
    assert entry["op"].startswith("aten.quantized_lstm") and entry["packed_weights"] is True


def test_ffts_cost_the_textbook_real_flops_per_dimension():
    """``_fft_r2c`` / ``_fft_c2r`` / ``_fft_c2c`` had no mapping; under --allow-unknown each cost
    one op per output element (a 16-point rfft of 4 rows: 36). find-S #4: they then cost one op
    per element per pass, 1/5 of the textbook count; now a complex FFT of N points is 5 N log2 N
    real flops and a real one 2.5 N log2 N (benchFFT, fftw.org/speed/method.html)."""
    class Spectral(nn.Module):
        def forward(self, x):  # x: 4 x 16
            f = torch.fft.rfft(x, dim=-1)  # r2c: 4 signals of 16
            y = torch.fft.irfft(f, n=16, dim=-1)  # c2r: 4 real signals of 16, scaled by 1/16
            z = torch.fft.fft2(x.to(torch.complex64).reshape(4, 4, 4))  # c2c over 4 x 4
            return y, z

    w = _trace(Spectral(), torch.randn(4, 16))
    vec = {op.name: v for op, v in zip(w.ops, w.arrays.vector_ops.tolist()) if op.name.startswith("_fft")}
    # real: 2.5 x 64 points x log2 16 = 640; irfft's norm="backward" 1/n: 1 per real output (64);
    # fft2 of 4 x 4 x 4: 5 x 64 x log2 4 per dimension, two dimensions
    assert vec == {"_fft_r2c": 2.5 * 64 * 4, "_fft_c2r": 2.5 * 64 * 4 + 64, "_fft_c2c": 2 * 5 * 64 * 2}


def test_rfft2s_second_pass_runs_over_the_half_spectrum():
    """find-S #4: rfft2 of a 32 x 32 image counted its second (complex) pass over the 1,024 real
    elements; it runs over the W/2 + 1 = 17 complex columns torch keeps."""
    class R(nn.Module):
        def forward(self, x):
            return torch.fft.rfft2(x)

    w = _trace(R(), torch.randn(1, 32, 32))
    (v,) = [v for op, v in zip(w.ops, w.arrays.vector_ops.tolist()) if op.name.startswith("_fft")]
    # rows: a real pass, 2.5 x 1,024 x log2 32; columns: a complex pass, 5 x (32 x 17) x log2 32
    assert v == 2.5 * 1024 * 5 + 5 * 32 * 17 * 5 == 26_400


# --- packed int8 weights (a tester, 2026-12-05): a quantize_dynamic Linear (quantized::linear_dynamic), a
# convert()ed static Linear (quantized::linear) and a quantize_dynamic LSTM / GRU
# (aten.quantized_lstm / quantized_gru) traced to 0 MACs and 0 B of weights


def _quiet(fn, *a, **k):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*a, **k)


def _bytes(w, dtype):
    return sum(t.nbytes for t in w.tensors.values() if t.role == "weight" and t.dtype == dtype)


def _units(w):
    from cimsim.mapping.placement import place

    units = place(w, cimsim.load_architecture(str(CONFIGS / "sram-cim.yaml"))).unit_names
    return {op.name: str(units[i]) for i, op in enumerate(w.ops)}


@pytest.mark.parametrize("static", [False, True], ids=["dynamic", "static"])
def test_a_quantized_linear_is_an_int8_matmul_on_its_unpacked_int8_weight(static):
    if static:  # the QAT model converted: QuantStub-Linear-ReLU-Linear-DeQuantStub
        m, first, second = _quiet(torch.ao.quantization.convert, _qat_mlp()), "1", "3"
    else:
        torch.manual_seed(0)
        mlp = nn.Sequential(nn.Linear(I, H), nn.ReLU(), nn.Linear(H, O))
        m, first, second = _quiet(torch.ao.quantization.quantize_dynamic, mlp, {nn.Linear},
                                  dtype=torch.qint8), "0", "2"
    w = _trace(m, torch.randn(B, I))
    mms = [op for op in w.ops if op.kind == "matmul"]
    assert [(op.m, op.k, op.n, op.weight) for op in mms] == [(B, I, H, f"{first}.weight"),
                                                              (B, H, O, f"{second}.weight")]
    assert w.macs == B * I * H + B * H * O  # 2,048 + 1,024 = 3,072
    assert _bytes(w, "int8") == I * H + H * O  # 512 + 256 = 768 B at 1 B a weight
    # the biases, fp32: 160 B; a static (per-channel) weight's fp32 scales too, and its int32
    # zero points: 160 B each more
    assert _bytes(w, "fp32") == (H + O) * 4 * (2 if static else 1)
    assert _bytes(w, "int32") == ((H + O) * 4 if static else 0)
    assert not w.metadata["unknown_ops"]
    dtypes = {op.name: d for op, d in zip(w.ops, w.arrays.dtype.tolist())}
    assert {dtypes[op.name] for op in mms} == {"int8"}  # int32 accumulators of 8-bit operands
    units = _units(w)
    assert {units[op.name] for op in mms} == {"cim"}
    if not static:  # the input's dynamic quantization: min, max, scale, round, clamp per element
        vec = dict(zip((op.name for op in w.ops), w.arrays.vector_ops.tolist()))
        assert vec["0.quantize"] == 5 * B * I


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("rnn, gates", [(nn.LSTM, 4), (nn.GRU, 3)])
def test_a_dynamically_quantized_rnn_is_the_float_layers_matmuls_in_int8(rnn, gates, batch_first):
    """I = 16, H = 32, T = 5: an LSTM's 5 x 4H(I + H) = 30,720 MACs on 4H(I + H) = 6,144 B of
    int8 weights (a GRU's 3 gates: 23,040 on 4,608 B), as the float layer's lowering has them
    (one input projection over the T steps, then a recurrent matmul per step). With
    ``batch_first=True`` torch runs the input projection as a ``bmm`` by the weight expanded
    over the steps: the same int8 matmul (review 3: it stayed an fp32 matmul of a model input
    on the processor, 4,096 B of int8)."""
    T = 5

    class Wrap(nn.Module):
        def __init__(self):
            super().__init__()
            self.l = rnn(I, H, batch_first=batch_first)

        def forward(self, x):
            return self.l(x)[0]

    torch.manual_seed(0)
    m = _quiet(torch.ao.quantization.quantize_dynamic, Wrap(), {rnn}, dtype=torch.qint8)
    B = 2 if batch_first else 1  # (one sequence batch-first is a plain mm, not the bmm)
    w = _trace(m, torch.randn(B, T, I) if batch_first else torch.randn(T, B, I))
    assert w.macs == B * T * gates * H * (I + H) == B * {4: 30_720, 3: 23_040}[gates]
    assert _bytes(w, "int8") == gates * H * (I + H) == {4: 6_144, 3: 4_608}[gates]
    assert _bytes(w, "fp32") == 2 * gates * H * 4  # bias_ih, bias_hh (LSTM: 1,024 B)
    assert not [t for t in w.tensors.values() if t.role == "input" and t.name != "x" and t.numel > B * H]
    mms = [op for op in w.ops if op.kind == "matmul"]
    assert [(op.m, op.k, op.n, op.weight, op.tags["part"]) for op in mms] == \
        [(B * T, I, gates * H, "l.weight_ih_l0", "input")] + [(B, H, gates * H, "l.weight_hh_l0", "recurrent")] * T
    assert not w.metadata["unknown_ops"] and w.metadata["schedule"] == "layer"
    units = _units(w)
    assert {units[op.name] for op in mms} == {"cim"}


class _FQ(nn.Module):
    """find-D 3's model: 4-bit activations (0..15) and 2-bit weights (-2..1) into l1, 8-bit
    activations (0..255) into l2, whose weight is not fake-quantized."""

    def __init__(self):
        super().__init__()
        self.l1, self.l2 = nn.Linear(64, 64), nn.Linear(64, 10)

    def forward(self, x):
        x = torch.fake_quantize_per_tensor_affine(x, 0.05, 0, 0, 15)
        w = torch.fake_quantize_per_channel_affine(self.l1.weight, torch.full((64,), 0.01),
                                                   torch.zeros(64, dtype=torch.int32), 0, -2, 1)
        x = torch.relu(nn.functional.linear(x, w, self.l1.bias))
        x = torch.fake_quantize_per_tensor_affine(x, 0.05, 0, -8, 7)
        return self.l2(x)


def test_fake_quant_bit_widths_tag_the_matmuls_reading_them():
    """find-D 3: the grids' bits were thrown away (the matmuls carried none). Now 0..15 -> 4
    bits (ceil(log2(16))), unsigned; -2..1 -> 4 levels, 2-bit weights; -8..7 -> |x| <= 8 < 2^4,
    4 magnitude bits, signed. On rram-cim (2-bit cells, 8-bit weights: 4 cells a weight) l1's
    64 x 64 matrix takes ceil(64 x 1 / 128) = 1 array at 2 bits, and l1 reads 4 input slices."""
    w = _trace(_FQ(), torch.randn(1, 64))
    mm = {op.weight: op.tags for op in w.ops if op.kind == "matmul"}
    assert mm["l1.weight"]["weight_value_bits"] == 2
    assert mm["l1.weight"]["input_value_bits"] == 4 and "input_value_signed" not in mm["l1.weight"]
    assert "weight_value_bits" not in mm["l2.weight"]
    assert (mm["l2.weight"]["input_value_bits"], mm["l2.weight"]["input_value_signed"]) == (4, 1)
    r = cimsim.simulate(cimsim.load_architecture(str(CONFIGS / "rram-cim.yaml")), w,
                        engine="analytic")
    # l1: 1 array (1 column a weight: 64 columns); l2 (64 x 10 at 4 columns): 1 array
    assert r.cim_arrays_used == 2
