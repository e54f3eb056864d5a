"""The run's note on transposed convolutions (cost/col2im.py): a matmul on a unit behind a link
makes C_out x kernel partial sums per input position and the host sums them (col2im), so the
link carries kernel / stride elements (k²/s²) times the output.

Golden values are closed-form arithmetic on a real traced ``ConvTranspose2d``."""

from __future__ import annotations

from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

import cimsim  # noqa: E402

pytestmark = pytest.mark.torch

CONFIGS = Path(__file__).resolve().parents[2] / "src" / "cimsim" / "data" / "configs"


def _notes(cfg, kernel, stride, padding):
    # 1 x 16 x 8 x 8 in, 16 channels out, fp32
    ct = torch.nn.ConvTranspose2d(16, 16, kernel, stride=stride, padding=padding).eval()
    w = cimsim.trace(ct, (torch.randn(1, 16, 8, 8),), name="ct")
    r = cimsim.simulate(cimsim.load_architecture(str(CONFIGS / f"{cfg}.yaml")), w)
    return [n for n in r.notes if "col2im" in n]


def test_a_cim_transposed_convolution_says_its_partial_sums_cross_the_link():
    # 4 x 4, stride 2, pad 1: 8 x 8 -> 16 x 16. Partial sums: 64 positions x 16 x 16 (C_out x
    # k²) x 4 B = 65,536 B; output 16 x 16 x 16 x 4 B = 16,384 B: 4.0x = k²/s² = 16/4
    (note,) = _notes("sram-cim", 4, 2, 1)
    assert note.startswith("1 transposed convolution(s) send their partial sums from cim over link "
                           "'interconnect' to a col2im sum on another unit: 65.54 kB, 4.0x the 16.38 kB")
    (note,) = _notes("tpu-like", 4, 2, 1)
    assert "from tpu over link 'pcie'" in note and "4.0x" in note


def test_no_note_where_nothing_more_than_the_output_crosses_or_no_link_is_crossed():
    assert not _notes("sram-cim", 2, 2, 0)  # stride = kernel: k²/s² = 1, the output's bytes
    assert not _notes("gpu-hbm3", 4, 2, 1)  # one unit: no link between matmul and col2im


def test_a_1d_transposed_convolution_says_k_over_s_per_dimension():
    # find-V 5: ConvTranspose1d(16, 16, 16, stride 8, padding 4), 1 x 16 x 32 -> 1 x 16 x 256
    # ((32 - 1) x 8 - 2 x 4 + 16 = 256). Partial sums: 32 positions x 16 x 16 (C_out x k) x 4 B
    # = 32,768 B; output 16 x 256 x 4 B = 16,384 B: 2.0x = k/s = 16/8 (k²/s² would be 4)
    ct = torch.nn.ConvTranspose1d(16, 16, 16, stride=8, padding=4).eval()
    w = cimsim.trace(ct, (torch.randn(1, 16, 32),), name="ct1")
    r = cimsim.simulate(cimsim.load_architecture(str(CONFIGS / "sram-cim.yaml")), w)
    (note,) = [n for n in r.notes if "col2im" in n]
    assert "32.77 kB, 2.0x the 16.38 kB" in note
    assert "k/s per dimension, so k/s for a 1-D conv, k²/s² for a square 2-D one" in note
