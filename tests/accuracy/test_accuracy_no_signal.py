"""An SNR of -inf (outputs that do not follow the reference: a low-bit ADC rounding every output
to 0 fits the gain a = 0) was stored as None and printed "exact (infinite)", the best case, and a
mean over chips mixing +inf and -inf (NaN) the same (review 1, finding 1). Now +inf alone is
exact (None); -inf stays -inf (printed "no signal", "-Infinity" in JSON, -inf in a sweep's
table) and NaN is named undefined."""

from __future__ import annotations

import json
import math

import pytest

torch = pytest.importorskip("torch")

from cimsim.accuracy.run import AccuracyResult, _mean_std, metrics  # noqa: E402
from cimsim.accuracy.target import _record, accuracy_json  # noqa: E402
from cimsim.commands.run import print_accuracy  # noqa: E402
from cimsim.report import columns as C  # noqa: E402
from cimsim.sweep.store import rows_to_frame  # noqa: E402

pytestmark = pytest.mark.torch


def _result(runs: list[dict]) -> AccuracyResult:
    snr = _mean_std([m["output_snr_db"] for m in runs])
    snr_c = _mean_std([m["output_snr_corrected_db"] for m in runs])
    agr = _mean_std([m["agreement"] for m in runs])
    kl = _mean_std([m["output_kl"] for m in runs])
    return AccuracyResult(None, None, None, agr[0], agr[1], snr[0], snr[1], snr_c[0], snr_c[1],
                          kl[0], kl[1], len(runs), "max")


def test_outputs_that_do_not_follow_the_reference_are_no_signal_not_exact(capsys):
    ref = torch.randn(64, 10, generator=torch.Generator().manual_seed(0))
    m = metrics(torch.zeros(64, 10), ref)  # every output rounded to 0: y = 0 ref + 0
    # plain SNR: sum ref^2 / sum (0 - ref)^2 = 1, 0 dB; the fitted gain is 0: -inf
    assert m["output_snr_db"] == pytest.approx(0.0, abs=1e-12)
    assert m["output_snr_corrected_db"] == -math.inf
    rec = _record(_result([m]), "cim emulated")
    assert rec[C.OUTPUT_SNR_CORRECTED_DB] == -math.inf  # not None, the exact design's value
    print_accuracy(rec)
    out = capsys.readouterr().out
    line = next(ln for ln in out.splitlines() if "corrected SNR" in ln)
    assert "no signal (outputs do not follow the reference)" in line and "exact" not in line, out
    js = json.loads(json.dumps(accuracy_json(rec), allow_nan=False))  # strict JSON
    assert js[C.OUTPUT_SNR_CORRECTED_DB] == "-Infinity" and float(js[C.OUTPUT_SNR_CORRECTED_DB]) == -math.inf
    df = rows_to_frame([rec], [C.OUTPUT_SNR_CORRECTED_DB])  # a sweep's column
    assert df[C.OUTPUT_SNR_CORRECTED_DB][0] == -math.inf


def test_exact_outputs_stay_exact_and_null():
    ref = torch.randn(8, 4, generator=torch.Generator().manual_seed(1))
    rec = _record(_result([metrics(ref.clone(), ref)]), "cim emulated")
    assert rec[C.OUTPUT_SNR_DB] is None and rec[C.OUTPUT_SNR_CORRECTED_DB] is None
    assert json.loads(json.dumps(accuracy_json(rec)))[C.OUTPUT_SNR_DB] is None


def test_chips_mixing_exact_and_no_signal_are_undefined(capsys):
    ref = torch.randn(8, 4, generator=torch.Generator().manual_seed(2))
    exact, dead = metrics(ref.clone(), ref), metrics(torch.zeros(8, 4), ref)
    rec = _record(_result([exact, dead]), "cim emulated")  # corrected: +inf and -inf: NaN mean
    v = rec[C.OUTPUT_SNR_CORRECTED_DB]
    assert v is not None and v != v
    assert "corrected SNR undefined (the Monte-Carlo chips mix exact and no-signal outputs)" \
        in rec[C.ACCURACY_BASIS]
    assert json.loads(json.dumps(accuracy_json(rec), allow_nan=False))[C.OUTPUT_SNR_CORRECTED_DB] == "NaN"
    print_accuracy(rec)
    line = next(ln for ln in capsys.readouterr().out.splitlines() if ln.strip().startswith("corrected SNR"))
    assert "undefined" in line and "exact" not in line.split("(")[0], line
