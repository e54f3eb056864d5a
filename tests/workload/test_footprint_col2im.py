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


class _Step(torch.nn.Module):
    """One SGD step through conv0 (3 x 3) -> Conv2d(16, 16, 5, padding 2) -> loss, on 16 x 16."""

    def __init__(self):
        super().__init__()
        self.c0, self.c = torch.nn.Conv2d(16, 16, 3, 1, 1), torch.nn.Conv2d(16, 16, 5, 1, 2)
        self.opt = torch.optim.SGD(self.parameters(), lr=0.1)

    def forward(self, x):
        with torch.enable_grad():
            self.opt.zero_grad()
            loss = self.c(self.c0(x)).pow(2).mean()
            loss.backward()
            self.opt.step()
        return loss.detach()


def test_a_training_steps_input_gradient_columns_are_not_held():
    """Review 22 H 3: the backward's dX = dY W^T makes 16 x 25 = 400 columns per position, 256
    positions, 102,400 B int8, summed by col2im into the 16 x 16 x 16 = 4,096 B input gradient;
    the col2im now carries tag part: col2im, so the footprint holds no column matrix there (it
    held the 102,400 B, as the changelog said it did not). At the col2im: its output dX, dY of
    conv c, conv0's output (read by c's dW) and the model input (read by conv0's dW), 4,096 B
    each, and the scalar loss's 1 B."""
    from cimsim.workload.footprint import kv_cache_mask, live_activation_profile
    from cimsim.workload.livespans import col2im_pairs

    torch.manual_seed(0)
    w = cimsim.trace(_Step(), (torch.randn(1, 16, 16, 16),), dtype="int8", name="step")
    names = [op.name for op in w.ops]
    at, dx = names.index("c.col2im"), names.index("c.conv_dx")
    assert w.ops[at].tags["part"] == "col2im"
    pairs = col2im_pairs(w)
    assert list(pairs[0]) == [at] and list(pairs[1]) == [dx]
    (cols,) = w.ops[dx].outputs
    assert w.tensors[cols].nbytes == 256 * 400
    act = live_activation_profile(w, kv_cache_mask(w))
    assert int(act[at]) == 4 * 4_096 + 1


def test_a_refusal_names_only_what_the_footprint_counts():
    """Review 22 H 5: with cim.input_reuse the CIM builds a conv's windows from its raw input, so
    the footprint never counts the im2col matrix (16 x 9 x 1,024 = 147,456 B int8); the refusal
    named it the largest live activation. Conv2d(16, 16, 3, padding 1) on 32 x 32, int8: input
    and output 16,384 B each, weights 16 x 16 x 9 + 16 = 2,320 B: needs 35,088 B."""
    torch.manual_seed(0)
    conv = torch.nn.Conv2d(16, 16, 3, 1, 1).eval()
    w = cimsim.trace(conv, (torch.randn(1, 16, 32, 32),), dtype="int8", name="conv")
    arch = cimsim.load_architecture("sram-cim", {"memory.dram.capacity": "30 kB", "memory.sram.capacity": "1 kB",
                                                 "cim.input_reuse": True})
    with pytest.raises(MappingError) as e:
        cimsim.simulate(arch, w, engine="analytic")
    msg = str(e.value)
    assert f"needs {(2_320 + 2 * 16_384) / 1e3:.6g} kB live at once" in msg
    assert "the largest live activations are input 16.38 kB, conv.mm 16.38 kB" in msg  # si: 4 digits
    assert "im2col" not in msg
