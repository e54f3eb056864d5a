"""Which axis of a model's output holds the classes, for ``--accuracy``'s scores.

A (N, C) output's classes are dim 1; so are a dense-prediction output's, (N, C, L),
(N, C, H, W) or (N, C, D, H, W): torch's ``cross_entropy`` convention (its input (N, C, d1,
...), its target (N, d1, ...)). Agreement, top-1 and KL are then per position (a pixel),
each the mean over the N·H·W positions, and labels hold one class per position, shape
(N, H, W): top-1 is pixel accuracy, and :func:`mean_iou` the mean intersection over union.
Until 2026-12-06 every score took the last axis (a segmentation map's image width) for the
classes: a (4, 5, 16, 16) output whose every pixel kept its class scored 37 % agreement.

A 3-D output is where the convention and a sequence model's (N, T, C) scores part: the basis
says which axis was taken (:func:`axis_note`), and labels of the other layout are refused in
one line saying to permute the output.
"""

from __future__ import annotations

#: the class axis of every output: torch's cross_entropy convention
CLASS_DIM = 1


def positions(t):
    """``t`` (N, C, *S) as (N·prod(S), C): one row of class scores per position."""
    return t.movedim(CLASS_DIM, -1).reshape(-1, t.shape[CLASS_DIM])


def predicted(t):
    """The arg-max class of each position: (N, *S)."""
    return t.argmax(CLASS_DIM)


def top1(scores, labels) -> float:
    """The fraction of positions whose arg-max is its label (per sample for (N, C) scores)."""
    return float((predicted(scores) == labels).double().mean())


def per_sample(labels) -> bool:
    """Whether ``labels`` are one per sample (a test-set size the Wilson interval reads), not
    one per position of a dense output (pixels of one image are not independent samples)."""
    return labels.dim() == 1


def mean_iou(pred, labels, classes: int) -> float:
    """Mean over the classes present (in the labels or the prediction) of
    ``|pred = c and label = c| / |pred = c or label = c|``."""
    import torch

    p, y = pred.reshape(-1), labels.reshape(-1)
    inter = torch.bincount(y[p == y], minlength=classes).double()
    union = (torch.bincount(p, minlength=classes) + torch.bincount(y, minlength=classes)).double() - inter
    seen = union > 0
    return float((inter[seen] / union[seen]).mean())


def axis_note(shape) -> str:
    """For ``accuracy_basis``: which axis of a dense output the scores took as the classes
    (empty for a (N, C) output)."""
    if len(shape) <= 2:
        return ""
    dims = ", ".join(str(d) for d in shape[2:])
    out = (f"; classes along dim 1 of the (N, {shape[1]}, {dims}) output (torch's cross_entropy "
           f"convention): agreement, KL and top-1 per position, each the mean over "
           f"N·{'·'.join(str(d) for d in shape[2:])} positions")
    if len(shape) == 3:
        out += " (a sequence model's (N, T, C) scores: permute them to (N, C, T))"
    return out


def check_labels(torch, out, y, n: int, dataset: str) -> None:
    """``y`` holds one class of ``out``'s (one input's output) per sample, or per position of
    a dense output, and ``out`` has classes to compare; else one line naming ``dataset``."""
    from .target import AccuracyError

    if isinstance(out, torch.Tensor) and out.dim() < 2:  # no classes to compare, even unlabelled
        raise AccuracyError(f"--dataset '{dataset}': the model's output for one input has shape "
                            f"{list(out.shape)}: agreement, SNR and KL compare class scores "
                            "(samples, classes); a model of one number per sample has no classes "
                            "(return shape (N, C))")
    if y is None:
        return
    if not isinstance(out, torch.Tensor):
        raise AccuracyError(f"--dataset '{dataset}': the model's output for one input is a "
                            f"{type(out).__name__}; top-1 against labels needs class scores "
                            "(samples, classes, ...): return a tensor")
    if out.dim() == 2 and y.dim() != 1:
        raise AccuracyError(f"--dataset '{dataset}': labels must be one class index per "
                            f"input (1-D), got shape {list(y.shape)}")
    if y.shape[:1] != (n,):
        raise AccuracyError(f"--dataset '{dataset}': {len(y)} labels for {n} inputs")
    want = [n, *out.shape[2:]]
    if list(y.shape) != want:
        hint = (f"; a sequence model's (N, T, C) scores: permute them to (N, C, T)"
                if out.dim() == 3 else "")
        raise AccuracyError(f"--dataset '{dataset}': the model's output for one input has shape "
                            f"{list(out.shape)}, its classes along dim 1 (torch's cross_entropy "
                            f"convention), so labels hold one class per position, shape {want}; "
                            f"got shape {list(y.shape)}{hint}")
    c = int(out.shape[CLASS_DIM])
    bad = (y < 0) | (y >= c)
    if bool(bad.any()):
        at = bad.nonzero()[0].tolist()
        where = f"input {at[0]}" + (f", position {tuple(at[1:])}" if len(at) > 1 else "")
        raise AccuracyError(f"--dataset '{dataset}': label {int(y[bad][0])} ({where}) is not a "
                            f"class of the model's {c} outputs; labels are 0 .. {c - 1}")
