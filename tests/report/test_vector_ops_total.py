"""A run's vector (non-MAC) work (tester R's report, find-R 5): a pure-DSP run (an FFT and a
magnitude) read ``work 0 MAC`` with no run-level total of its vector operations; the result
now has ``vector_ops`` (the op table's ``vector_ops`` summed) and ``vector_ops_per_s``.

Goldens are hand arithmetic written beside each assertion, never the tool's output."""

from __future__ import annotations

import pytest

import cimsim
from cimsim.workload.trace import trace

pytestmark = pytest.mark.torch

torch = pytest.importorskip("torch")


class Spectrum(torch.nn.Module):
    def forward(self, x):
        return torch.fft.rfft(x).abs()


def test_a_pure_dsp_run_reports_its_vector_ops():
    w = trace(Spectrum(), (torch.randn(1, 256),), batch=1)
    r = cimsim.simulate(cimsim.load_architecture("sram-cim"), w, engine="analytic")
    assert r.macs == 0
    # rfft of 256 real points: 2.5 N log2 N = 2.5 x 256 x 8 = 5,120; |z| of its 129 bins: 7 each = 903
    assert r.vector_ops == 5120 + 903
    assert r.vector_ops_per_s == pytest.approx(6023 / r.latency_s, rel=1e-12, abs=0)
    assert r.record()["vector_ops"] == 6023
