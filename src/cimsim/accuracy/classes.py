"""Which axis of a model's output holds the classes, for ``--accuracy``'s scores.

A (N, C) output's classes are dim 1; so are a dense prediction's, (N, C, H, W) or (N, C, D, H,
W): torch's ``cross_entropy`` convention (its input (N, C, d1, ...), its target (N, d1, ...)).
Agreement, top-1 and KL are then per position (a pixel), each the mean over the N·H·W
positions, and labels hold one class per position, shape (N, H, W): top-1 is pixel accuracy,
and :func:`mean_iou` the mean intersection over union. Until 2026-12-06 every score took the
last axis (a segmentation map's image width) for the classes: a (4, 5, 16, 16) output whose
every pixel kept its class scored 37 % agreement.

A 3-D output is where that convention and a sequence model's (N, T, C) scores (an LSTM's per
step classes, a language model's logits) part. Its classes stay the last axis, as they were,
unless labels of shape (N, L) fit only the convention's (N, C, L) layout (L = dim 2, not dim 1):
:func:`class_dim` decides, and the basis says which axis was taken (:func:`axis_note`).

A class axis of one channel, (N, 1) or (N, 1, H, W) (one logit per position: a binary
classifier or segmentation head trained with ``BCEWithLogits``), has no arg-max to compare (it
is always 0): it is scored as a binary decision, class 1 where the logit is > 0, and its KL is
that of the Bernoulli(sigmoid(logit)) distributions; labels are 0 or 1 (:func:`binary`). Until
2026-12-06 such an output scored agreement 100 % and KL 0 whatever the arithmetic.
"""

from __future__ import annotations

#: the class axis of a (N, C) or dense (N, C, H, W ...) output: torch's cross_entropy convention
CLASS_DIM = 1


def class_dim(shape, labels_shape=None) -> int:
    """The class axis of an output of ``shape``: dim 1, but a 3-D output's last axis (a
    sequence model's (N, T, C)) unless ``labels_shape`` (N, L) fits only (N, C, L)."""
    if len(shape) != 3:
        return CLASS_DIM
    if labels_shape is not None and len(labels_shape) == 2 and labels_shape[1] == shape[2] \
            and labels_shape[1] != shape[1]:
        return CLASS_DIM
    return 2


def binary(shape, dim: int = CLASS_DIM) -> bool:
    """Whether the class axis ``dim`` of an output of ``shape`` is one logit per position (a
    binary decision: logit > 0 is class 1)."""
    return len(shape) > dim and shape[dim] == 1


def n_classes(shape, dim: int = CLASS_DIM) -> int:
    """The classes of the class axis ``dim``: its size, 2 for a single logit."""
    return 2 if binary(shape, dim) else int(shape[dim])


def predicted(t, dim: int = CLASS_DIM):
    """The class of each position: the arg-max along ``dim``, for one logit ``logit > 0``."""
    if binary(t.shape, dim):
        return (t.select(dim, 0) > 0).long()
    return t.argmax(dim)


def kl(y, ref, dim: int = CLASS_DIM) -> float:
    """The mean over positions of KL(softmax(ref) || softmax(y)) along ``dim`` (nats), for one
    logit KL(Bernoulli(sigmoid(ref)) || Bernoulli(sigmoid(y))). Along ``dim`` in place: no
    (positions, C) copy of a large dense output."""
    import torch.nn.functional as F

    positions = ref.numel() // ref.shape[dim] if ref.numel() else 1
    if binary(ref.shape, dim):
        # log p, log (1 - p) of each side: logsigmoid(x), logsigmoid(-x)
        lp, lq, lp0, lq0 = F.logsigmoid(ref), F.logsigmoid(y), F.logsigmoid(-ref), F.logsigmoid(-y)
        total = (lp.exp() * (lp - lq) + lp0.exp() * (lp0 - lq0)).sum()
    else:
        total = F.kl_div(F.log_softmax(y, dim), F.log_softmax(ref, dim), log_target=True,
                         reduction="sum")
    return float(total / positions)


def share(a, b) -> float:
    """The fraction of positions where ``a`` and ``b`` hold the same class."""
    return float((a == b).double().mean())


def top1(scores, labels) -> float:
    """The fraction of positions whose class is its label (per sample for (N, C) scores)."""
    return share(predicted(scores, class_dim(tuple(scores.shape), tuple(labels.shape))), labels)


def per_sample(labels) -> bool:
    """Whether ``labels`` are one per sample (a test-set size the Wilson interval reads), not
    one per position of a dense output (pixels of one image are not independent samples)."""
    return labels.dim() == 1


#: equal-width confidence bins of the expected calibration error (Guo et al., ICML 2017: 15)
ECE_BINS = 15


def calibration(scores, labels, dim: int = CLASS_DIM) -> dict:
    """How well softmax(``scores``) along ``dim`` (for one logit: Bernoulli(sigmoid)) is
    calibrated against ``labels``, per position: ``nll``, the mean of -log p(label) (nats);
    ``brier``, the mean of sum_c (p_c - [c = label])^2 (0 to 2); ``ece``, the expected
    calibration error: positions binned by their top-class probability into :data:`ECE_BINS`
    equal-width bins, sum over bins of (bin share) x |accuracy - mean confidence| (a fraction)."""
    import torch
    import torch.nn.functional as F

    x = scores.double()
    logp = (torch.cat([F.logsigmoid(-x), F.logsigmoid(x)], dim) if binary(x.shape, dim)
            else F.log_softmax(x, dim)).movedim(dim, -1)
    logp = logp.reshape(-1, logp.shape[-1])
    y = labels.reshape(-1).long()
    p = logp.exp()
    conf, pred = p.max(1)
    right = (pred == y).double()
    bins = ((conf * ECE_BINS).ceil().long() - 1).clamp(0, ECE_BINS - 1)
    n = torch.bincount(bins, minlength=ECE_BINS).double()
    gap = torch.bincount(bins, right - conf, minlength=ECE_BINS).abs()
    return {"nll": float(-logp.gather(1, y[:, None]).mean()),
            "brier": float(((p - F.one_hot(y, p.shape[1])) ** 2).sum(1).mean()),
            "ece": float(gap.sum() / n.sum())}


def mean_iou(pred, labels, classes: int) -> float:
    """Mean over the classes present (in the labels or the prediction) of
    ``|pred = c and label = c| / |pred = c or label = c|``."""
    import torch

    p, y = pred.reshape(-1), labels.reshape(-1)
    inter = torch.bincount(y[p == y], minlength=classes).double()
    union = (torch.bincount(p, minlength=classes) + torch.bincount(y, minlength=classes)).double() - inter
    seen = union > 0
    return float((inter[seen] / union[seen]).mean())


def axis_note(shape, dim: int = CLASS_DIM, kind: str = "logits") -> str:
    """For ``accuracy_basis``: which axis of a dense or sequence output the scores took as the
    classes (empty for a (N, C) output), and a single output's binary rule (``kind``: a logit's
    or a probability's, :mod:`.scores`)."""
    one = ("" if not binary(shape, dim) else
           "; one logit per position (a class axis of size 1): scored as a binary decision, "
           "class 1 where the logit is > 0, KL of the Bernoulli(sigmoid(logit)) distributions"
           if kind != "probabilities" else
           "; one probability per position (a class axis of size 1): scored as a binary decision, "
           "class 1 where p > 0.5, KL of the Bernoulli(p) distributions")
    if len(shape) <= 2:
        return one
    rest = [d for i, d in enumerate(shape[1:], 1) if i != dim]
    if len(shape) == 3 and dim == 2:
        return (f"; classes along the last axis of the (N, {shape[1]}, {shape[2]}) output (a "
                f"sequence model's (N, T, C) scores): agreement, KL and top-1 per step, each the "
                f"mean over N·{shape[1]} steps (labels of shape (N, {shape[2]}) would take dim 1, "
                f"torch's (N, C, L))" + one)
    dims = ", ".join(str(d) for d in rest)
    return (f"; classes along dim 1 of the (N, {shape[1]}, {dims}) output (torch's cross_entropy "
            f"convention): agreement, KL and top-1 per position, each the mean over "
            f"N·{'·'.join(str(d) for d in rest)} positions" + one)


def check_labels(out, y, n: int, who: str) -> None:
    """``y`` holds one class of ``out``'s (one input's output, or every input's) per sample, or
    per position of a dense output, and ``out`` has classes to compare; else one line starting
    with ``who`` (``--dataset 'FILE.py:NAME'``, or the Python API's ``evaluate(): labels``)."""
    import torch

    from .target import AccuracyError

    if isinstance(out, torch.Tensor) and out.dim() < 2:  # no classes to compare, even unlabelled
        raise AccuracyError(f"{who}: the model's output for one input has shape "
                            f"{list(out.shape)}: agreement, SNR and KL compare class scores "
                            "(samples, classes); a model of one number per sample has no classes "
                            "(return shape (N, C))")
    if y is None:
        return
    if not isinstance(out, torch.Tensor):
        raise AccuracyError(f"{who}: the model's output for one input is a "
                            f"{type(out).__name__}; top-1 against labels needs class scores "
                            "(samples, classes, ...): return a tensor")
    dim = class_dim(tuple(out.shape), (n, *y.shape[1:]) if y.dim() else None)
    want = [n, *(d for i, d in enumerate(out.shape[1:], 1) if i != dim)]
    if y.dim() == 0 or (out.dim() == 2 and y.dim() != 1):
        raise AccuracyError(f"{who}: labels must be one class index per " + (
            "input (1-D)" if out.dim() == 2 else f"position of the model's output (shape "
            f"{list(out.shape)} for one input), shape {want}") + f", got shape {list(y.shape)}")
    if y.shape[:1] != (n,):
        raise AccuracyError(f"{who}: {len(y)} labels for {n} inputs")
    if list(y.shape) != want:
        axis = ("its classes along the last axis (a sequence model's (N, T, C) scores)"
                if dim != CLASS_DIM else "its classes along dim 1 (torch's cross_entropy "
                "convention)")
        raise AccuracyError(f"{who}: the model's output for one input has shape "
                            f"{list(out.shape)}, {axis}, so labels hold one class per "
                            f"position, shape {want}; got shape {list(y.shape)}")
    c = n_classes(tuple(out.shape), dim)
    bad = (y < 0) | (y >= c)
    if bool(bad.any()):
        at = bad.nonzero()[0].tolist()
        where = f"input {at[0]}" + (f", position {tuple(at[1:])}" if len(at) > 1 else "")
        of = ("one-logit output (a binary decision: labels 0 or 1)" if binary(out.shape, dim)
              else f"{c} outputs; labels are 0 .. {c - 1}")
        raise AccuracyError(f"{who}: label {int(y[bad][0])} ({where}) is not a class of the "
                            f"model's {of}" + ("; an ignore index (255, -100) is not read: give "
                                               "every position a class" if y.dim() > 1 else ""))
