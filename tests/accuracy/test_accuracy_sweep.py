"""`cimsim sweep ... --accuracy`: every point carries accuracy beside energy and latency."""

from __future__ import annotations

import os
import textwrap

import pytest

torch = pytest.importorskip("torch")

from cimsim.report import columns as C  # noqa: E402
from cimsim.sweep import sweep  # noqa: E402

pytestmark = pytest.mark.torch


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A two-layer model and a data set labelled by its own fp32 arg-max (reference top-1 = 1)."""
    old = os.environ.get("CIMSIM_CACHE")
    os.environ["CIMSIM_CACHE"] = str(tmp_path_factory.mktemp("cimsim-cache"))
    f = tmp_path_factory.mktemp("user") / "tiny.py"
    f.write_text(textwrap.dedent("""
        import torch

        def _model():
            torch.manual_seed(0)
            return torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(),
                                       torch.nn.Linear(32, 10))

        def factory():
            return _model(), torch.zeros(1, 64)

        def dataset():
            torch.manual_seed(1)
            x = torch.randn(300, 64)
            with torch.no_grad():
                y = _model()(x).argmax(-1)
            return x, y
    """))
    yield str(f)
    if old is None:
        os.environ.pop("CIMSIM_CACHE", None)
    else:
        os.environ["CIMSIM_CACHE"] = old


@pytest.mark.slow
def test_sweep_accuracy_non_decreasing_in_adc_bits(tiny):
    # from 3 bits up (at 2 the outputs collapse towards the bias: a near-constant guess whose
    # score is the majority class's share, not a measure of the arithmetic)
    df = sweep("rram-cim", f"{tiny}:factory", ["cim.adc.bits=3,4,5,6,7,8,9"], workers=1,
               accuracy=True, dataset=f"{tiny}:dataset").sort_values("cim.adc.bits")
    assert df[C.ERROR].isna().all(), df[C.ERROR].dropna().tolist()
    acc = df[C.ACCURACY_TOP1].tolist()
    assert all(b >= a for a, b in zip(acc, acc[1:])), acc
    assert acc[0] < 0.5 and acc[-1] >= 0.95          # 3 bits ruin it, 9 (lossless) keeps it
    snr = df[C.OUTPUT_SNR_DB].tolist()
    assert all(b > a for a, b in zip(snr, snr[1:])), snr
    assert (df[C.ACCURACY_TOP1_REFERENCE] == 1.0).all()
    assert (df[C.LATENCY] > 0).all() and (df[C.ENERGY] > 0).all()
    assert df[C.ACCURACY_BASIS].str.startswith("cim emulated").all()


def test_sweep_accuracy_needs_evaluation_models():
    from cimsim.errors import CimsimError

    with pytest.raises(CimsimError, match="not an evaluation model"):
        sweep("rram-cim", "lstm", ["cim.adc.bits=4,8"], accuracy=True)
    with pytest.raises(CimsimError, match="--dataset goes with --accuracy"):
        sweep("rram-cim", "lstm", ["cim.adc.bits=4,8"], dataset="x.py:d")


@pytest.mark.slow
def test_sweep_accuracy_costs_use_the_activity_at_each_points_bits(tiny):
    # the base config's precision (8-bit inputs) is traced before the sweep, the 4-bit point's
    # statistics by the worker: every weight matmul of both points uses its own measured
    # activity (none the config's 0.5), so their data-dependent energies differ from a sweep
    # of the same points on a trace without statistics
    df = sweep("rram-cim-derived", f"{tiny}:factory", ["cim.input_bits=4,8"], workers=1,
               accuracy=True, dataset=f"{tiny}:dataset").sort_values("cim.input_bits")
    assert df[C.ERROR].isna().all(), df[C.ERROR].dropna().tolist()
    assert df["cim_input_ones_default_ops"].tolist() == [0, 0]
    assert df["cim_weight_ones_default_ops"].tolist() == [0, 0]
    from cimsim.accuracy.target import load_target, trace_target
    from cimsim import bundled, load_architecture, simulate

    target = load_target(f"{tiny}:factory", f"{tiny}:dataset")
    for bits, e in zip((4, 8), df["energy_cim_array_j"].tolist()):
        arch = load_architecture(bundled.resolve_config("rram-cim-derived"), {"cim.input_bits": bits})
        stats = trace_target(target, (bits, 8))
        assert e == simulate(arch, stats, keep_ops=False).energy_breakdown_j["cim_array"]
        assert e != simulate(arch, trace_target(target), keep_ops=False).energy_breakdown_j["cim_array"]
