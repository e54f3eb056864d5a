"""The accuracy emulator computes exactly the ops the trace puts on a CIM array (find-A 1, 2).

For small real torch models covering every stationary-weight form the tracer claims (``mm``,
``addmm``, ``mv``, ``addmv``, ``dot``, ``baddbmm`` over an expanded 2-D weight, ``addbmm``,
``nn.Bilinear``'s ``_trilinear``, plain and transposed 1-D / 2-D convolutions, ``Conv3d``) and
two it does not (a ``bmm`` over a 3-D per-head parameter, attention's ``bmm``), the ops the
trace marks with a stationary weight equal the ops :func:`evaluate` emulates, op for op.

Closed form: every weight is +-7 (4-bit weights: each column's scale is 7 / 7 = 1, so
W_int = W) and every input an integer in [0, 15] whose sample holds a 15 (4-bit unsigned
inputs: scale 1, x_int = x). A lossless ADC then gives the integer product itself: the
emulated output equals the fp32 model's (small integers, exact in fp32), SNR infinite. A 2-bit
ADC over 16 rows per read has an lsb of 16 * 15 * 3 / 3 = 240 unit products: not exact.
"""

from __future__ import annotations

import math
from collections import Counter

import pytest

torch = pytest.importorskip("torch")
nn = torch.nn

from cimsim.accuracy import Arith  # noqa: E402
from cimsim.accuracy.run import evaluate  # noqa: E402
from cimsim.workload.trace import trace  # noqa: E402

pytestmark = pytest.mark.torch
Q_W, Q_X = 7, 15   # 4-bit signed weights, 4-bit unsigned inputs


def _pm(*shape):
    g = torch.Generator().manual_seed(sum(shape))
    return nn.Parameter((torch.randint(0, 2, shape, generator=g) * 2 - 1).float() * Q_W)


class Lin(nn.Module):  # addmm and mm
    def __init__(s):
        super().__init__()
        s.a, s.b = nn.Linear(24, 8), nn.Linear(24, 4, bias=False)
        s.a.weight, s.b.weight = _pm(8, 24), _pm(4, 24)
        s.a.bias = nn.Parameter(torch.arange(8.0))

    def forward(s, x):
        return torch.cat([s.a(x), s.b(x)], 1)


class MV(nn.Module):  # mv, addmv, dot: W @ x (the weight is the left operand)
    def __init__(s):
        super().__init__()
        s.W, s.V, s.w, s.c = _pm(6, 24), _pm(5, 24), _pm(24), nn.Parameter(torch.arange(5.0))

    def forward(s, x):
        return torch.stack([torch.cat([torch.mv(s.W, r), torch.addmv(s.c, s.V, r),
                                       torch.dot(r, s.w).reshape(1)]) for r in x])


class BMM(nn.Module):  # baddbmm over one expanded 2-D weight, addbmm over a 3-D one
    def __init__(s):
        super().__init__()
        s.W, s.U = _pm(24, 6), _pm(2, 12, 5)

    def forward(s, x):
        n = x.shape[0]
        h = x.reshape(n, 1, 24)
        y = torch.baddbmm(torch.ones(n, 1, 6), h, s.W.expand(n, 24, 6)).reshape(n, 6)
        z = torch.addbmm(torch.zeros(n, 5), x.reshape(n, 2, 12).transpose(0, 1), s.U)
        return torch.cat([y, z], 1)


class Bil(nn.Module):  # nn.Bilinear: _trilinear
    def __init__(s):
        super().__init__()
        s.b = nn.Bilinear(12, 12, 4, bias=False)
        s.b.weight = _pm(4, 12, 12)

    def forward(s, x):
        return s.b(x[:, :12], x[:, 12:])


class Convs(nn.Module):  # 1-D, 2-D, 3-D, transposed 1-D and 2-D (stride, padding, dilation)
    def __init__(s):
        super().__init__()
        s.c1 = nn.Conv1d(1, 3, 3, padding=1, bias=False)
        s.c2 = nn.Conv2d(1, 3, 3, stride=2, padding=1, dilation=1)
        s.c3 = nn.Conv3d(1, 2, 2, bias=False)
        s.t1 = nn.ConvTranspose1d(1, 2, 3, stride=2, padding=1, output_padding=1, bias=False)
        s.t2 = nn.ConvTranspose2d(1, 2, 3, stride=2, dilation=2, bias=False)
        for m in (s.c1, s.c2, s.c3, s.t1, s.t2):
            m.weight = _pm(*m.weight.shape)
        s.c2.bias = nn.Parameter(torch.tensor([1.0, -2.0, 3.0]))

    def forward(s, x):
        n = x.shape[0]
        return torch.cat([s.c1(x.reshape(n, 1, 24)).flatten(1), s.c2(x.reshape(n, 1, 4, 6)).flatten(1),
                          s.c3(x.reshape(n, 1, 2, 3, 4)).flatten(1), s.t1(x.reshape(n, 1, 24)).flatten(1),
                          s.t2(x.reshape(n, 1, 4, 6)).flatten(1)], 1)


class PerHead(nn.Module):  # the tester's model: a bmm over a 3-D parameter stays on the host
    def __init__(s):
        super().__init__()
        s.W = nn.Parameter(torch.randn(4, 6, 6, generator=torch.Generator().manual_seed(0)))
        s.fc = nn.Linear(24, 10)

    def forward(s, x):
        h = x.reshape(x.shape[0], 4, 6).transpose(0, 1)
        return s.fc(torch.bmm(h, s.W).transpose(0, 1).reshape(x.shape[0], 24))


class Attn(nn.Module):  # attention's bmm has no stationary weight
    def __init__(s):
        super().__init__()
        s.m, s.fc = nn.MultiheadAttention(12, 2, batch_first=True), nn.Linear(12, 4)

    def forward(s, x):
        x = x.reshape(x.shape[0], 2, 12)
        return s.fc(s.m(x, x, x, need_weights=False)[0].mean(1))


MODELS = [Lin, MV, BMM, Bil, Convs, PerHead, Attn]
EXACT = [Lin, MV, BMM, Bil, Convs]


def _inputs(n):
    """Integers in [0, 15], every sample (and Bilinear's second half) holding a 15 and a 0...
    for Bil the halves are 0/1/3 and 0/1/5, so the outer product's max is 15."""
    g = torch.Generator().manual_seed(n)
    x = torch.randint(0, Q_X + 1, (n, 24), generator=g).float()
    x[:, 0] = Q_X
    return x


def _bil_inputs(n):
    g = torch.Generator().manual_seed(n)
    a = torch.tensor([0.0, 1.0, 3.0])[torch.randint(0, 3, (n, 12), generator=g)]
    b = torch.tensor([0.0, 1.0, 5.0])[torch.randint(0, 3, (n, 12), generator=g)]
    a[:, 0], b[:, 0] = 3, 5
    return torch.cat([a, b], 1)


def _data(cls, n):
    return _bil_inputs(n) if cls is Bil else _inputs(n)


def _trace_cim_ops(model, x) -> Counter:
    """The trace's stationary-weight matmuls (what a CIM array takes), by aten op."""
    wl = trace(model, (x,))
    return Counter(o.tags["aten"] for o in wl.ops if o.kind == "matmul" and o.weight)


@pytest.mark.parametrize("cls", MODELS, ids=lambda c: c.__name__)
def test_emulated_ops_are_the_traced_cim_ops(cls):
    torch.manual_seed(0)
    model = cls().eval()
    x = _data(cls, 1)  # the traced sample: one forward, the same aten ops
    res = evaluate(model, x, None, Arith(adc_bits=3, rows_per_read=16, bits_per_cell=1))
    assert Counter(res.emulated_ops) == _trace_cim_ops(model, x)
    assert res.not_emulated_ops == {}


def test_per_head_bmm_runs_exact_as_on_the_host():
    res = evaluate(PerHead().eval(), _inputs(20), None,
                   Arith(adc_bits=3, rows_per_read=16, bits_per_cell=1))
    assert res.emulated_ops == {"addmm": 1}
    assert res.skipped_ops == {"bmm": 1}


@pytest.mark.parametrize("cls", EXACT, ids=lambda c: c.__name__)
def test_lossless_adc_is_the_integer_product_and_a_2bit_adc_is_not(cls):
    torch.manual_seed(0)
    model = cls().eval()
    x = _data(cls, 8)
    a = Arith(weight_bits=4, input_bits=4, bits_per_cell=1, rows_per_read=16, rows=32, cols=32)
    exact = evaluate(model, x, None, a.with_(adc_bits=a.lossless_adc_bits))
    assert exact.output_snr_db == math.inf  # every output the integer product, bit for bit
    assert sum(exact.emulated_ops.values()) > 0
    low = evaluate(model, x, None, a.with_(adc_bits=2))
    assert math.isfinite(low.output_snr_db)


class IntMM(nn.Module):  # an int8 weight through _int_mm: claimed by the trace, no emulation
    def __init__(s):
        super().__init__()
        g = torch.Generator().manual_seed(0)
        s.register_buffer("Wq", torch.randint(-8, 8, (24, 8), generator=g, dtype=torch.int8))
        s.fc = nn.Linear(8, 4)

    def forward(s, x):
        xq = torch.cat([x, x]).round().to(torch.int8)[: max(17, 2 * len(x))]
        return s.fc(torch._int_mm(xq, s.Wq)[: len(x)].float())


def test_a_claimed_op_without_emulation_is_said():
    from cimsim.accuracy.target import _record

    model, x = IntMM().eval(), _inputs(20)
    assert _trace_cim_ops(model, x)["_int_mm"] == 1
    res = evaluate(model, x, None, Arith(adc_bits=3))
    assert res.not_emulated_ops == {"_int_mm": 1} and res.emulated_ops == {"addmm": 1}
    assert _record(res, "b")["accuracy_basis"].endswith(
        "; 1 of 2 weight matmuls emulated; 1 CIM op(s) not emulated (run in fp32): _int_mm x1")
