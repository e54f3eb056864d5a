"""`cimsim run --accuracy` over several Monte-Carlo chips printed the top-1 and agreement
with their spread but the output SNR and KL without (a seventh-round tester: a ±1.9 dB spread in
the JSON, none on the terminal)."""

from __future__ import annotations

from cimsim.commands.run import print_accuracy
from cimsim.report import columns as C


def _acc(repeats, snr_std, kl_std):
    return {C.ACCURACY_BASIS: "cim emulated", C.ACCURACY_TOP1: 0.948, C.ACCURACY_TOP1 + "_std": 0.004,
            C.ACCURACY_TOP1_CI_LOW: 0.921, C.ACCURACY_TOP1_CI_HIGH: 0.964,
            C.ACCURACY_TOP1_REFERENCE: 0.981, C.AGREEMENT: 0.962, C.AGREEMENT + "_std": 0.002,
            C.OUTPUT_SNR_DB: 13.7, C.OUTPUT_SNR_DB_STD: snr_std, C.OUTPUT_SNR_CORRECTED_DB: 21.4,
            C.OUTPUT_SNR_CORRECTED_DB_STD: snr_std, C.OUTPUT_KL: 0.0725,
            C.OUTPUT_KL_STD: kl_std, C.ACCURACY_REPEATS: repeats}


def test_every_metric_shows_its_spread_over_chips(capsys):
    print_accuracy(_acc(5, 1.9, 0.0227))
    out = capsys.readouterr().out
    assert "13.7 dB ± 1.9 dB" in out and "0.0725 nats ± 0.0227 nats" in out, out
    assert "21.4 dB ± 1.9 dB (gain and offset removed)" in out, out
    assert "Monte-Carlo chips    5 (each ± above: the std over the chips)" in out, out
    assert "top-1                94.8 % ± 0.4 %; 95 % CI 92.1 % to 96.4 %" in out, out
    print_accuracy(_acc(1, 0.0, 0.0))  # one chip: no spread to show
    out = capsys.readouterr().out
    assert "13.7 dB\n" in out and "±" not in out.split("output SNR")[1], out
    one = {**_acc(1, None, None), C.AGREEMENT + "_std": None, C.ACCURACY_TOP1 + "_std": None}
    print_accuracy(one)  # one chip of a random design: not measured, and said so
    assert "Monte-Carlo chips    1 (one chip of a random design: no spread measured)" in \
        capsys.readouterr().out


def test_without_labels_the_class_metrics_are_said_not_to_apply_to_a_map_output(capsys):
    # find-R 6: a range-Doppler map (no labels) read "agreement 100 %, KL 0 nats" with no caveat
    nolabels = {**_acc(1, 0.0, 0.0), C.ACCURACY_TOP1: None, C.ACCURACY_TOP1_REFERENCE: None,
                C.ACCURACY_TOP1 + "_std": None, C.ACCURACY_TOP1_CI_LOW: None}
    print_accuracy(nolabels)
    out = " ".join(capsys.readouterr().out.split())
    assert "note: no labels: agreement (the arg-max of each output row) and output KL" in out, out
    assert "they do not apply: read the SNRs" in out, out
    print_accuracy(_acc(1, 0.0, 0.0))  # labelled: no such note
    assert "no labels" not in capsys.readouterr().out
