"""The numbers :func:`~cimsim.accuracy.run.evaluate` reads off two sets of outputs: SNRs, the
spread over chips, the Wilson interval, what the outputs are (logits or probabilities) and the
binary task's precision, recall, F1 and ROC AUC.

**Logits or probabilities.** Agreement, top-1, KL and calibration read class scores as logits:
the arg-max, a single logit's sign, softmax / sigmoid of them. A model that ends in
``torch.sigmoid`` (a deployed fraud scorer's P(fraud)) or ``softmax`` returns probabilities: a
probability is never < 0, so read as a logit every sample was class 1 and agreement 100 %
whatever the arithmetic (until 2026-12-07). ``output_kind`` says which: ``logits``,
``probabilities``, or ``auto`` (the default), which takes probabilities where every fp32
output lies in [0, 1] and, for two or more classes, every position's outputs sum to 1 (within
:data:`SUM_TOL`). Probabilities are read as the logits they stand for: ``log(p / (1 - p))``
for one output (class 1 where p > 0.5), ``log p`` for several (softmax(log p) = p, the same
arg-max), each p held within [:data:`EPS`, 1 - :data:`EPS`] (a sigmoid rounds to exactly 1 in
fp32 past a logit of ~16.6). The output SNR stays that of the outputs as the model returns them.

**A binary task** (labels one per sample, two classes: one output or two) also gets
``precision``, ``recall`` and ``f1`` of class 1 (the positive class) and ``roc_auc``, the area
under the ROC curve of the score (the logit; for two outputs logit 1 - logit 0; of
probabilities p, or log p1 - log p0, in float64 without the EPS clamp) against the labels, by
the Mann-Whitney rank sum with ties counted half: a design that predicts "not
fraud" for every input scores top-1 = 1 - the positive share, and recall 0 says so.
Precision is 0 when nothing is predicted positive (scikit-learn's ``zero_division=0``);
recall and F1 are None without a positive label, ROC AUC without both classes.
"""

from __future__ import annotations

import math
from typing import Optional

import numpy as np
import torch

from ..errors import CimsimWarning
from . import classes

OUTPUT_KINDS = ("auto", "logits", "probabilities")
#: a probability read as a logit is held within [EPS, 1 - EPS]: fp32's spacing just below 1
EPS = 2.0 ** -24
#: the smallest probability ``log p`` reads (a softmax's exact 0)
TINY = 1e-45
#: how far from 1 a position's probabilities may sum (fp32 softmax over many classes)
SUM_TOL = 1e-3
#: the binary task's columns, each with ``_std`` and ``_reference`` (as ``output_nll``'s)
BINARY = ("precision", "recall", "f1", "roc_auc")


class OutputKindNote(CimsimWarning):
    """:func:`~cimsim.accuracy.run.evaluate` with ``output_kind='auto'`` read the outputs as
    probabilities."""


def probability_like(ref: torch.Tensor, dim: int) -> bool:
    """Whether every output lies in [0, 1] and (two or more classes) sums to 1 along ``dim``."""
    if not ref.numel() or not ref.is_floating_point() or float(ref.min()) < 0 or float(ref.max()) > 1:
        return False
    return classes.binary(ref.shape, dim) or bool(((ref.double().sum(dim) - 1).abs() <= SUM_TOL).all())


def output_kind(kind: str, ref: torch.Tensor, dim: int, who: str = "output_kind") -> tuple[str, bool]:
    """``(kind, auto-detected)``: ``auto`` resolved by :func:`probability_like` on the fp32
    outputs ``ref``; ``probabilities`` refused (one line) for outputs that are not."""
    from .target import AccuracyError

    if kind not in OUTPUT_KINDS:
        raise AccuracyError(f"{who} {kind!r} is not one of {', '.join(OUTPUT_KINDS)}")
    if kind == "auto":
        return ("probabilities" if probability_like(ref, dim) else "logits"), True
    if kind == "probabilities" and not probability_like(ref, dim):
        lo, hi = float(ref.min()), float(ref.max())
        raise AccuracyError(
            f"{who} 'probabilities': the fp32 model's outputs are not probabilities (they range "
            f"{lo:.4g} to {hi:.4g}" + ("" if lo < 0 or hi > 1 else ", and a position's do not sum "
                                        "to 1 along the class axis") + "); give 'logits' or 'auto'")
    return kind, False


def as_logits(t: torch.Tensor, dim: int, kind: str) -> torch.Tensor:
    """Outputs of ``kind`` as the logits they stand for (see the module docstring)."""
    if kind != "probabilities":
        return t
    p = t.double()
    z = torch.logit(p, eps=EPS) if classes.binary(t.shape, dim) else p.clamp_min(TINY).log()
    return z.to(t.dtype)


def kind_note(kind: str, detected: bool, shape, dim: int) -> str:
    """For ``accuracy_basis``: how probabilities were read, and which option says otherwise."""
    if kind != "probabilities":
        return ""
    one = classes.binary(shape, dim)
    why = ("auto-detected: every fp32 output lies in [0, 1]" + ("" if one else " and sums to 1 "
           "over the classes") + "; --output-kind logits (output_kind='logits') if they are logits"
           if detected else "--output-kind probabilities")
    return (f"; outputs read as probabilities, not logits ({why})"
            + ("" if one else ": arg-max of p, KL of the p distributions"))


def binary_task(shape, labels, dim: int) -> bool:
    """Whether a (N, C) output with per-sample labels is a two-class task (one output or two)."""
    return labels is not None and len(shape) == 2 and classes.per_sample(labels) \
        and classes.n_classes(tuple(shape), dim) == 2


def binary_metrics(out: torch.Tensor, labels: torch.Tensor, dim: int = 1, kind: str = "logits") -> dict:
    """Precision, recall, F1 of class 1, ROC AUC of the score (:func:`binary_score`), and the
    share predicted class 1 (``positive``), of the outputs ``out`` (of ``kind``) of a
    :func:`binary_task`."""
    t = as_logits(out, dim, kind)
    pred, y = classes.predicted(t, dim).reshape(-1), labels.reshape(-1).long()
    tp, fp = int(((pred == 1) & (y == 1)).sum()), int(((pred == 1) & (y == 0)).sum())
    fn = int(((pred == 0) & (y == 1)).sum())
    return {"precision": tp / (tp + fp) if tp + fp else 0.0,
            "recall": tp / (tp + fn) if tp + fn else None,
            "f1": 2 * tp / (2 * tp + fp + fn) if tp + fn else None,
            "roc_auc": roc_auc(binary_score(out, dim, kind), y), "positive": (tp + fp) / len(y)}


def binary_score(out: torch.Tensor, dim: int, kind: str) -> torch.Tensor:
    """The score ROC AUC ranks, in float64 and unclamped, so that two outputs tie only where the
    model's own outputs do: the logit (two outputs: logit 1 - logit 0); for probabilities p
    itself (monotone in its logit: the :data:`EPS` clamp of :func:`as_logits` tied every
    p < 2^-24 until 2026-12-07), for two log p1 - log p0 (only an exact 0 floored at :data:`TINY`)."""
    o = out.double()
    if o.shape[dim] == 1:
        return o[:, 0]
    if kind == "probabilities":
        o = o.clamp_min(TINY).log()
    return o[:, 1] - o[:, 0]


def roc_auc(score: torch.Tensor, y: torch.Tensor):
    """The area under the ROC curve: (rank sum of the positives - P (P + 1) / 2) / (P N), the
    ranks of tied scores averaged; None without both classes."""
    yy = y.numpy().astype(bool)
    pos, neg = int(yy.sum()), int((~yy).sum())
    if not pos or not neg:
        return None
    _, inv, counts = np.unique(score.double().numpy(), return_inverse=True, return_counts=True)
    ends = np.cumsum(counts)
    ranks = ((ends - counts + 1 + ends) / 2.0)[inv]
    return float((ranks[yy].sum() - pos * (pos + 1) / 2) / (pos * neg))


def collapse_note(runs: list, reference: dict) -> str:
    """For ``accuracy_basis``: the emulated model predicts one class for every sample (on every
    chip) where the fp32 model does not: top-1 is then the share of that class."""
    shares = [m["positive"] for m in runs]
    for c, share in ((0, 0.0), (1, 1.0)):
        if all(s == share for s in shares) and reference["positive"] != share:
            return (f"; the emulated model predicts class {c} for every sample (the fp32 model "
                    f"{100 * reference['positive']:.1f} % class 1): top-1 is the share of class {c}, "
                    "read recall and precision")
    return ""


def _snr_db(sig: float, noise: float) -> float:
    return math.inf if noise == 0 else (10 * math.log10(sig / noise) if sig > 0 else -math.inf)


def corrected_snr_db(y: torch.Tensor, ref: torch.Tensor) -> float:
    """Output SNR (dB) after a gain and offset correction, what ADC designers compare: the
    least-squares fit ``y ~ a ref + b`` over every output, then ``10 log10(sum ref^2 / sum
    ((y - b) / a - ref)^2)``, the residual referred back through the gain. A pure gain or
    offset error is infinite; outputs that do not move with the reference (``a = 0``) are
    ``-inf``. A constant reference has no gain to fit: the offset alone is removed."""
    x, z = ref.reshape(-1).double(), y.reshape(-1).double()
    dx = x - x.mean()
    sxx = float((dx * dx).sum())
    a = float((dx * (z - z.mean())).sum()) / sxx if sxx > 0 else 1.0
    b = float(z.mean()) - a * float(x.mean())
    if a == 0:
        return -math.inf
    return _snr_db(float((x * x).sum()), float(((z - a * x - b) ** 2).sum()) / (a * a))


def _mean_std(v: list, random: bool = False) -> tuple:
    """Mean and standard deviation over chips: 0 for a deterministic design (every chip is
    the same chip); NaN for one chip of a random one (the spread is not measured); None where
    a chip's value is undefined (None: a binary score without both classes)."""
    if any(x is None for x in v):
        return None, None
    t = torch.tensor(v, dtype=torch.float64)
    if len(v) == 1:
        return float(t[0]), math.nan if random else 0.0
    if torch.isinf(t).any():
        return (float(t.mean()), 0.0) if bool((t == t[0]).all()) else (float(t.mean()), math.nan)
    return float(t.mean()), float(t.std())


def top1_interval(top1: Optional[float], labels) -> tuple[Optional[float], Optional[float]]:
    """The Wilson interval of ``top1`` over the test set's samples; none for per-pixel labels
    (the pixels of an image are not independent samples) or no labels."""
    if top1 is None or not classes.per_sample(labels):
        return None, None
    return wilson_interval(top1, len(labels))


#: the normal quantile of a two-sided 95 % interval
Z95 = 1.959963984540054


def wilson_interval(p: float, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval (95 % by default) of a proportion ``p`` measured on ``n``
    samples: the test set's sampling uncertainty of a top-1 accuracy."""
    d = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / d
    half = z / d * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)
