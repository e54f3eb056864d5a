"""A transposed convolution's partial sums in the footprint (find-G 2): the tracer lowers it to
a matmul making C_out x k² partial sums per input position and a col2im sum; a real kernel
accumulates into the output and never holds that matrix, so the footprint and the capacity
check count the input and the output, and a refusal names the op at the peak.

Goldens are closed-form arithmetic on real traced ``ConvTranspose2d`` layers."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

import cimsim  # noqa: E402
from cimsim.errors import MappingError  # noqa: E402

pytestmark = pytest.mark.torch


def _deconv(bias: bool):
    # ConvTranspose2d(16, 16, 5, stride 2, padding 2, output_padding 1): 8 x 8 -> 16 x 16, int8
    torch.manual_seed(0)
    ct = torch.nn.ConvTranspose2d(16, 16, 5, 2, 2, output_padding=1, bias=bias).eval()
    return cimsim.trace(ct, (torch.randn(1, 16, 8, 8),), dtype="int8", name="ct")


IN, OUT, SUMS = 16 * 8 * 8, 16 * 16 * 16, 64 * 16 * 25  # 1,024 B, 4,096 B, 25,600 B (6.25x OUT)


def test_the_partial_sums_are_not_held():
    # before: the 25,600 B of partial sums and the 4,096 B output at the col2im: 29,696 B
    w = _deconv(bias=False)
    assert w.footprint.activations == IN + OUT  # input and output live together: 5,120 B
    assert w.peak_live_activation_bytes == IN + OUT


def test_with_a_bias_the_bias_add_holds_two_outputs_as_any_conv():
    # col2im's sum and the bias add's output, 4,096 B each (before: 29,696 B at the col2im)
    assert _deconv(bias=True).footprint.activations == 2 * OUT


def test_the_layer_fits_where_it_was_refused_and_a_refusal_names_the_peak_op():
    w = _deconv(bias=False)
    weights = 16 * 16 * 25  # 6,400 B int8
    # needs 6,400 + 5,120 = 11,520 B: runs with 12 kB (refused before: 6,400 + 29,696 = 36,096 B)
    arch = cimsim.load_architecture("sram-cim", {"memory.dram.capacity": "12 kB", "memory.sram.capacity": "1 kB"})
    assert cimsim.simulate(arch, w, engine="analytic").latency_s > 0
    arch = cimsim.load_architecture("sram-cim", {"memory.dram.capacity": "11 kB", "memory.sram.capacity": "1 kB"})
    with pytest.raises(MappingError) as e:
        cimsim.simulate(arch, w, engine="analytic")
    msg = str(e.value)
    assert f"needs {(weights + IN + OUT) / 1e3:.6g} kB live at once" in msg
    # the op holding the peak and its largest live activations: the output, then the input
    assert "at its peak, op 'col2im', the largest live activations are col2im 4.096 kB, input 1.024 kB" in msg
