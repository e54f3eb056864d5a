"""A traced dilated convolution states its receptive field and the share of its MACs that
multiply zero padding (``metadata['dilated_convs']``, the note of ``cimsim trace``), with the
``tcn`` generator's rule and words (find-G 3)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.torch

torch = pytest.importorskip("torch")
nn = torch.nn


@pytest.mark.parametrize("L, d, share, only", [
    # d 8 over 64: the two off-centre taps of 8 of the 64 outputs at each end read padding:
    # 2 x 8 / (3 x 64) = 1/12
    (64, 8, 2 * 8 / (3 * 64), False),
    # d 64 over 32: every off-centre tap reads padding: 2/3 of the MACs
    (32, 64, 2 / 3, True)])
def test_a_dilated_convs_receptive_field_and_padding_share(L, d, share, only):
    from cimsim import trace
    from cimsim.workload.trace.padding import notes

    w = trace(nn.Conv1d(4, 4, 3, dilation=d, padding=d).eval(), (torch.randn(1, 4, L),))
    (e,) = w.metadata["dilated_convs"]
    assert e["receptive_field"] == [1 + 2 * d] and e["input"] == [L] and e["macs"] == L * 4 * 4 * 3
    assert e["padding_share"] == pytest.approx(share, rel=1e-12, abs=0)
    assert e["padding_only"] is only
    (line,) = notes(w.metadata)
    assert f"receptive field {1 + 2 * d:,} over an input of {L:,}" in line
    assert ("read only zero padding through their 2 off-centre taps (receptive field past the "
            "sequence)" in line) is only


def test_an_undilated_conv_says_nothing():
    from cimsim import trace

    w = trace(nn.Conv1d(4, 4, 3, padding=1).eval(), (torch.randn(1, 4, 16),))
    assert "dilated_convs" not in w.metadata


def test_a_dilated_conv_under_one_percent_is_listed_but_not_noted():
    """d 2 over 1,000 positions: 2 taps of 2 outputs at each end on padding, 2 x 2 / (3 x 1,000)
    = 0.13 % (a WaveNet / TCN stack over a long sequence): metadata only, no note line (review
    20 B 6); with a d 64 conv beside it, the note names the one and counts the other."""
    from cimsim import trace
    from cimsim.workload.trace.padding import notes

    w = trace(nn.Conv1d(4, 4, 3, dilation=2, padding=2).eval(), (torch.randn(1, 4, 1000),))
    (e,) = w.metadata["dilated_convs"]
    assert e["padding_share"] == pytest.approx(4 / 3000, rel=1e-12, abs=0)
    assert not [n for n in notes(w.metadata) if "dilated" in n]
    two = nn.Sequential(nn.Conv1d(4, 4, 3, dilation=2, padding=2), nn.Conv1d(4, 4, 3, dilation=64, padding=64))
    w = trace(two.eval(), (torch.randn(1, 4, 1000),))  # d 64: 2 x 64 / 3,000 = 4.3 %
    (line,) = [n for n in notes(w.metadata) if "dilated" in n]
    assert line.startswith("1 dilated convolution(s) (1 more under 1%): 1 (dilation 64)")


def test_an_even_kernels_same_padding_counts_its_extra_zero():
    """Conv1d(k 4, d 3, padding='same') over 20: torch pads 9 zeros, 4 left and 5 right (its
    extra right one a constant_pad_nd before the conv). Taps inside per kernel tap j (offset
    3j - 4, outputs o in 0..19 reading o + 3j - 4 in [0, 20)): 16, 19, 18, 15 = 68 of 80, so
    12 / 80 = 0.15 on padding (was 0.125, the symmetric 4 only)."""
    from cimsim import trace

    w = trace(nn.Conv1d(8, 8, 4, dilation=3, padding="same").eval(), (torch.randn(1, 8, 20),))
    (e,) = w.metadata["dilated_convs"]
    assert e["padding_share"] == pytest.approx(12 / 80, rel=1e-12, abs=0)
    assert e["input"] == [20]


def test_padding_only_means_every_output_reads_at_most_one_input_position():
    """Brute force over small sizes: ``padding_only`` is True exactly when no output window holds
    two taps inside the input (an over-padded conv whose middle outputs read two is not)."""
    from cimsim.workload.windows import padding_only

    for size in range(1, 7):
        for kernel in range(1, 4):
            for stride in (1, 2):
                for pad in range(0, 5):
                    for dil in (1, 2, 3):
                        out = (size + 2 * pad - dil * (kernel - 1) - 1) // stride + 1
                        if out < 1:
                            continue
                        most = max(sum(0 <= o * stride - pad + j * dil < size for j in range(kernel))
                                   for o in range(out))
                        assert padding_only(size, kernel, stride, pad, dil, out) == (kernel > 1 and most <= 1), \
                            (size, kernel, stride, pad, dil)
