"""Pruned weights through the CIM emulator: an all-zero column (a structured-pruned output
channel) or an all-zero input row outputs exactly 0, and the live columns are what the same
matmul without the pruned ones gives.

An all-zero column's scale is ``s_w = max|w| / 127 = 0``; its stored word is the offset
``2^(Bw-1)`` in every row, whose ADC rounding error used to be dequantised with a scale of 1
(about 1,000 x a live column's ``max|w| / 127`` here): a tester's pruned channels read +-47
instead of 0.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from cimsim.accuracy.arith import Arith  # noqa: E402
from cimsim.accuracy.emulator import Emulator, program  # noqa: E402
from cimsim.accuracy.nonideal import NonIdeal  # noqa: E402
from cimsim.accuracy.run import CIMMode  # noqa: E402

# rram-cim-like: 128 rows, 2-bit cells, 8-bit inputs in 1-bit slices, 8-bit ADC at the max range.
# The worst partial sum is 128 x 1 x 3 = 384 unit products > 255 codes: the ADC rounds (lsb
# 384/255), so the offset word's readout is not exact and a wrong scale shows
RRAM = Arith()


def _weight(K=256, N=8, live=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    w = torch.randn(K, N, generator=g) * 0.03
    w[:, live:] = 0
    return w


@pytest.mark.parametrize("encoding", ["offset", "differential"])
def test_an_all_zero_column_outputs_exactly_zero(encoding):
    a = RRAM.with_(encoding=encoding)
    assert a.adc_bits < a.lossless_adc_bits           # the ADC rounds: the case the bug needed
    w = _weight()
    x = torch.rand(16, 256, generator=torch.Generator().manual_seed(1))
    p = program(w, a)
    assert torch.equal(p.scale[4:], torch.zeros(4))    # s_w = max|w| / 127 = 0
    y = Emulator(a).matmul(x, p)
    assert torch.equal(y[:, 4:], torch.zeros(16, 4))
    # the live columns are those of the same matmul without the pruned columns (a column's
    # cells, scale and ADC readings are its own): bit for bit with the offset encoding; the
    # differential one's float32 sum over its 8 cell columns may round in another order
    y4 = Emulator(a).matmul(x, program(w[:, :4].clone(), a))
    if encoding == "offset":
        assert torch.equal(y[:, :4], y4)
    else:
        torch.testing.assert_close(y[:, :4], y4, rtol=1e-5, atol=1e-6)


def test_per_tensor_a_zero_column_errs_at_the_matrix_scale_not_at_one():
    """One scale for the matrix (max|W| / 127): an all-zero column shares it, so its offset
    word's ADC rounding is dequantised at the live columns' scale. It reads at most the ADC's
    error of a live column: (Sx = 8 slices) x (Sw = 4 cells) summed at most
    sum_i 2^i sum_j 4^j (lsb/2) x G = 255 x 85 x (384/255)/2 x 2 = 32,640 integer units."""
    a = RRAM.with_(weight_quant="per_tensor")
    w = _weight()
    x = torch.rand(16, 256, generator=torch.Generator().manual_seed(1))
    p = program(w, a)
    assert torch.equal(p.scale, torch.full((8,), float(w.abs().max()) / 127))
    y = Emulator(a).matmul(x, p)
    bound = 255 * 85 * (384 / 255) / 2 * 2 * float(x.abs().amax(1).max()) / 255 * float(p.scale[0])
    assert float(y[:, 4:].abs().max()) <= bound < 1.0
    assert torch.equal(y[:, :4], Emulator(a).matmul(x, program(w[:, :4].clone(), a)))


def test_an_all_zero_matrix_outputs_exactly_zero():
    x = torch.rand(4, 256, generator=torch.Generator().manual_seed(2))
    y = Emulator(RRAM).matmul(x, program(torch.zeros(256, 8), RRAM))
    assert torch.equal(y, torch.zeros(4, 8))


def test_an_all_zero_input_row_outputs_exactly_zero_under_adc_noise():
    # ADC noise is drawn for every conversion, a zero input's too; its s_x = max|x| / 255 is 0
    ni = NonIdeal(adc_noise=2.0)
    w = _weight(live=8)
    x = torch.rand(6, 256, generator=torch.Generator().manual_seed(3))
    x[2:4] = 0
    p = program(w, RRAM, ni)
    y = Emulator(RRAM, ni, torch.Generator().manual_seed(4)).matmul(x, p)
    assert torch.equal(y[2:4], torch.zeros(2, 8))
    assert bool((y[[0, 1, 4, 5]] != 0).all())


def test_a_pruned_mlp_computes_what_the_mlp_without_its_pruned_channels_computes():
    """Structured pruning: the last half of layer 1's output channels zeroed (weights and bias,
    and layer 2's rows that read them, so each layer-2 column's max|w| is the live rows').
    Their outputs are exactly 0, so layer 2 reads zeros on rows 128..255: its first group of
    R = 128 rows holds the live rows as the 128-channel network's does, the second sums zeros
    (code 0). The network's outputs are the 128-channel network's, bit for bit."""
    torch.manual_seed(0)
    big = torch.nn.Sequential(torch.nn.Linear(64, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10))
    with torch.no_grad():
        big[0].weight[128:] = 0
        big[0].bias[128:] = 0
        big[2].weight[:, 128:] = 0
    small = torch.nn.Sequential(torch.nn.Linear(64, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))
    with torch.no_grad():
        small[0].weight.copy_(big[0].weight[:128])
        small[0].bias.copy_(big[0].bias[:128])
        small[2].weight.copy_(big[2].weight[:, :128])
        small[2].bias.copy_(big[2].bias)
    x = torch.randn(32, 64, generator=torch.Generator().manual_seed(5))

    def emulated(model):
        weights = {t.untyped_storage().data_ptr() for t in model.parameters()}
        mode = CIMMode(Emulator(RRAM), weights)
        with torch.no_grad(), mode:
            y = model(x)
        assert mode.emulated == {"addmm": 2}
        return y

    y_big, y_small = emulated(big), emulated(small)
    assert torch.equal(y_big, y_small)
    assert float((y_big - small(x).detach()).abs().max()) < 0.5   # near the fp32 model, not +-47
