"""A radar / DSP engineer's front-end (tester R's report, find-R #1, #2): a complex DFT matrix
registered as a buffer and read by a matmul is refused with the four-real-matmuls advice (it is
a buffer already: the "register it as one" advice was wrong), and ``torch.angle`` is costed by
the atan2 rule.

Goldens are hand arithmetic written beside each assertion, never the tracer's output."""

from __future__ import annotations

import math

import pytest

from cimsim.errors import WorkloadError
from cimsim.workload.trace import trace
from cimsim.workload.trace.fuse import vector_ops

pytestmark = pytest.mark.torch

torch = pytest.importorskip("torch")
nn = torch.nn

N = 8


def _dft(n):
    t = torch.arange(n)[:, None].float()
    k = torch.arange(n)[None, :].float()
    return -2 * math.pi * t * k / n


class ComplexBuffer(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("Fm", torch.exp(1j * _dft(N)).to(torch.complex64))

    def forward(self, x):
        return (x @ self.Fm).abs()


def test_a_complex_buffer_matmul_is_refused_with_four_real_matmuls_not_register_it():
    with pytest.raises(WorkloadError) as e:
        trace(ComplexBuffer(), (torch.randn(4, N, dtype=torch.complex64),), batch=1)
    msg = str(e.value)
    assert "buffer 'Fm'" in msg and "complex64" in msg and "four real matmuls" in msg
    assert "register it as one" not in msg
    assert "holds wr and wi twice" in msg  # the 2x2 block form's cost, said


def test_a_complex_buffer_read_elementwise_still_traces():
    class Twiddle(ComplexBuffer):  # a complex buffer multiplied element-wise: no stationary weight
        def forward(self, x):
            return x * self.Fm

    w = trace(Twiddle(), (torch.randn(N, N, dtype=torch.complex64),), batch=1)
    assert w.macs == 0


def test_the_four_real_matmul_form_of_a_complex_buffer_maps_4_real_macs_per_complex_mac():
    class FourReal(nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("C", torch.cos(_dft(N)))
            self.register_buffer("S", torch.sin(_dft(N)))

        def forward(self, xr, xi):
            return torch.sqrt((xr @ self.C - xi @ self.S) ** 2 + (xr @ self.S + xi @ self.C) ** 2)

    w = trace(FourReal(), (torch.randn(4, N), torch.randn(4, N)), batch=1)
    assert w.macs == 4 * 4 * N * N  # 4 real matmuls of 4 x 8 x 8: 1,024


@pytest.mark.parametrize("dtype, per", [(torch.complex64, 4), (torch.float32, 1)])
def test_angle_costs_atan2_for_complex_a_compare_for_real(dtype, per):
    class Angle(nn.Module):
        def forward(self, z):
            return torch.angle(z)

    w = trace(Angle(), (torch.randn(4, 16, dtype=dtype),), batch=1)
    (op,) = w.ops
    # complex: atan2(imag, real), the table's 4 per element; real: 0 or pi, one compare
    assert vector_ops(op, w.tensors) == per * 4 * 16
    # complex64 in (8 B an element), fp32 out (4 B)
    assert [w.tensors[t].nbytes for t in (*op.inputs, *op.outputs)] == \
        ([64 * 8, 64 * 4] if dtype.is_complex else [64 * 4, 64 * 4])


def test_a_complex_conv1d_kernel_buffer_is_refused_with_two_real_buffers_advice():
    class Pulse(nn.Module):  # radar pulse compression: a complex chirp replica as a buffer
        def __init__(self):
            super().__init__()
            self.register_buffer("k", torch.exp(1j * _dft(5)[1:2]).reshape(1, 1, 5).to(torch.complex64))

        def forward(self, x):
            return torch.nn.functional.conv1d(x, self.k).abs()

    with pytest.raises(WorkloadError) as e:  # (review 23 E 1)
        trace(Pulse(), (torch.randn(1, 1, 32, dtype=torch.complex64),), batch=1)
    msg = str(e.value)
    assert "complex buffer(s) 'k'" in msg and "two real buffers" in msg
    assert "register it as one" not in msg


def test_a_real_view_of_a_complex_buffer_is_listed_as_a_complex_buffer_not_register_it():
    class RealPart(ComplexBuffer):
        def forward(self, x):
            return x @ self.Fm.real

    w = trace(RealPart(), (torch.randn(4, N),), batch=1)  # (review 23 E 1)
    (e,) = w.metadata["computed_weights"]
    assert e["from"] == "a complex buffer" and e["buffers"] == ["Fm"]
    assert w.macs == 4 * N * N  # one real 4 x 8 by 8 x 8 matmul: 256


def test_complex128_is_narrowed_to_complex64_as_float64_to_fp32():
    class Abs(nn.Module):
        def forward(self, z):
            return z.abs()

    w = trace(Abs(), (torch.randn(4, 16, dtype=torch.complex128),), batch=1)  # (review 23 E 6)
    (op,) = w.ops
    # 64 elements: complex64 in (8 B each: 512 B), fp32 out (4 B each: 256 B), consistent widths
    assert [w.tensors[t].nbytes for t in (*op.inputs, *op.outputs)] == [64 * 8, 64 * 4]
    assert "complex128" in w.metadata["dtypes_counted_as_workload_dtype"]
