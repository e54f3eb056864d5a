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
