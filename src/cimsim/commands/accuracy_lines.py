"""``--accuracy``'s lines in ``cimsim run``'s text output (:func:`print_accuracy`)."""

from __future__ import annotations

import math

from . import console
from ..report.format import pct


def print_accuracy(acc: dict, auto: bool = False) -> None:
    """The accuracy block; ``auto``: ``--output-kind auto`` (the default), whose choice of
    probabilities gets a ``note:`` line of its own (a logit model whose fp32 outputs all lie in
    [0, 1] is misread so, and the basis paragraph's clause was easy to miss)."""
    from ..report import columns as C

    chips = acc[C.ACCURACY_REPEATS]

    def frac(key):
        v, sd = acc[key], acc.get(key + "_std")
        if v is None:
            return "n/a (no labels)"
        return pct(v) + (f" ± {pct(sd)}" if sd else "")

    def spread(key, fmt, unit):  # the std over Monte-Carlo chips (none from one chip)
        sd = acc.get(key + "_std")
        return f" ± {sd:{fmt}} {unit}" if sd else ""

    # a deterministic design's spread is 0; one chip of a random design's is not measured
    one_chip = (" (one chip of a random design: no spread measured)"
                if chips == 1 and acc.get(C.AGREEMENT_STD) is None
                else " (each ± above: the std over the chips)" if chips > 1 else "")

    def top1():
        lo, hi = acc.get(C.ACCURACY_TOP1_CI_LOW), acc.get(C.ACCURACY_TOP1_CI_HIGH)
        ci = "" if lo is None else f"; 95 % CI {pct(lo)} to {pct(hi)} (Wilson, test-set size)"
        return frac(C.ACCURACY_TOP1) + ci

    from rich.text import Text

    from ..accuracy.target import NO_SIGNAL, UNDEFINED_SNR

    def db(key):  # an SNR; None: exact (+inf); -inf: no signal; NaN: chips mixing both
        v = acc.get(key)
        if v is None:
            return "exact (infinite)"
        if v != v:
            return UNDEFINED_SNR
        return NO_SIGNAL if v == -math.inf else f"{v:.1f} dB" + spread(key, ".1f", "dB")

    out = console()
    out.print(Text.assemble(("accuracy", "bold"), " (" + acc[C.ACCURACY_BASIS] + ")"))
    def binary(key):  # a binary task's score, its spread and the fp32 model's
        v, ref = acc.get(key), acc.get(key + "_reference")
        undefined = "undefined (no positive label)" if key != C.ROC_AUC else "undefined (one class only)"
        if key == C.ROC_AUC:  # an area, 0.5 for chance: a number, not a percentage
            sd = acc.get(key + "_std")
            num = lambda x: f"{x:.3f}"  # noqa: E731
            return ((undefined if v is None else num(v) + (f" ± {num(sd)}" if sd else ""))
                    + "; fp32 " + (undefined if ref is None else num(ref)))
        return ((undefined if v is None else frac(key)) + "; fp32 "
                + (undefined if ref is None else pct(ref)))

    scored = [(name, binary(key)) for name, key in (
        ("precision (class 1)", C.PRECISION), ("recall (class 1)", C.RECALL), ("F1 (class 1)", C.F1),
        ("ROC AUC", C.ROC_AUC)) if acc.get(key) is not None or acc.get(key + "_reference") is not None]
    for k, v in (("top-1", top1()),
                 ("top-1 fp32", frac(C.ACCURACY_TOP1_REFERENCE)),
                 *scored,
                 ("agreement with fp32", frac(C.AGREEMENT)),
                 ("output SNR", db(C.OUTPUT_SNR_DB)),
                 ("corrected SNR", db(C.OUTPUT_SNR_CORRECTED_DB) + " (gain and offset removed)"),
                 ("output KL", f"{acc[C.OUTPUT_KL]:.3g} nats" + spread(C.OUTPUT_KL, ".3g", "nats")),
                 ("Monte-Carlo chips", str(chips) + one_chip)):
        out.print(f"  {k:<20} {v}")
    if acc.get(C.ACCURACY_TOP1) is None and acc.get(C.ACCURACY_TOP1_REFERENCE) is None:  # find-R 6
        out.print(Text("note: no labels: agreement (the arg-max of each output row) and output KL (over "
                       "its softmax) read the output as class scores; for a regression or map output "
                       "(a spectrum, a range-Doppler map, an image) they do not apply: read the SNRs"))
    if auto and acc.get(C.ACCURACY_OUTPUT_KIND) == "probabilities":
        out.print(Text("note: --output-kind auto read the outputs as probabilities, not logits "
                       "(every fp32 output lies in [0, 1], and for several classes sums to 1); "
                       "give --output-kind logits if they are logits"))
