"""A data set's inputs for ``--accuracy`` and :func:`~cimsim.accuracy.run.evaluate`: one tensor
(first dimension: samples), or a tuple (or list) of tensors, the positional inputs of the
model's ``forward`` (a DCN's ``forward(cat_ids, numeric)``: an int64 and a float tensor), each
with one row per sample. Every batch of samples is spread over ``forward`` as ``cimsim trace``
spreads its example inputs: ``model(*(x[i:j] for x in inputs))``.
"""

from __future__ import annotations


def as_inputs(x, who: str) -> tuple:
    """``x`` as a tuple of tensors with the same number of rows, or one line starting with
    ``who`` naming what is wrong."""
    import torch

    from .target import AccuracyError

    xs = tuple(x) if isinstance(x, (tuple, list)) else (x,)
    if not xs:
        raise AccuracyError(f"{who}: an empty tuple of inputs; give a tensor (first dimension: "
                            "samples) or a tuple of tensors, the model's forward inputs")
    for i, t in enumerate(xs):
        if not isinstance(t, torch.Tensor):
            what = f"item {i} of the inputs" if len(xs) > 1 or isinstance(x, (tuple, list)) else "the inputs"
            raise AccuracyError(f"{who}: {what} is a {type(t).__name__}, not a tensor; give a "
                                "tensor (first dimension: samples) or a tuple of tensors, the "
                                "model's forward inputs, each with one row per sample")
        if t.dim() == 0:
            raise AccuracyError(f"{who}: input {i} is a 0-d tensor; every input holds one row per sample")
    n = len(xs[0])
    for i, t in enumerate(xs[1:], 1):
        if len(t) != n:
            raise AccuracyError(f"{who}: input {i} has {len(t)} rows and input 0 has {n}: every "
                                "input holds one row per sample")
    return xs


def count(inputs) -> int:
    """The samples of ``inputs`` (a tensor or a tuple of them)."""
    return len(inputs[0] if isinstance(inputs, (tuple, list)) else inputs)


def rows(inputs, start: int, stop: int) -> tuple:
    """Samples ``start:stop`` of every input, as a tuple (the model's positional inputs)."""
    xs = inputs if isinstance(inputs, (tuple, list)) else (inputs,)
    return tuple(t[start:stop] for t in xs)


def check_data(torch, data, dataset: str):
    """``--dataset``'s ``(inputs, labels)``: the inputs a tensor or a tuple of tensors
    (:func:`as_inputs`), every floating-point value finite; the labels None or whole numbers,
    as int64. Anything else is one line naming ``dataset``."""
    from .target import AccuracyError

    who = f"--dataset '{dataset}'"
    if not (isinstance(data, tuple) and len(data) == 2 and isinstance(data[0], (torch.Tensor, tuple, list))):
        raise AccuracyError(f"{who}: must return (inputs, labels): inputs a tensor (first "
                            "dimension: samples) or a tuple of tensors (the model's forward inputs, "
                            "each with one row per sample), labels int class indices or None")
    x, y = data
    xs = as_inputs(x, who)
    x = xs if isinstance(x, (tuple, list)) else x
    if count(xs) == 0:
        raise AccuracyError(f"{who}: has no samples (its inputs have shape "
                            f"{', '.join(str(list(t.shape)) for t in xs)})")
    for k, t in enumerate(xs):
        if t.is_floating_point() and not bool(torch.isfinite(t).all()):
            i = int((~torch.isfinite(t)).reshape(len(t), -1).any(dim=1).nonzero()[0])
            raise AccuracyError(f"{who}: input {i}" + (f" (of input tensor {k})" if len(xs) > 1 else "")
                                + " holds a value that is not finite (NaN or inf), which no "
                                "arithmetic scores")
    if y is not None:
        y = torch.as_tensor(y)
        if y.is_floating_point() or y.is_complex():
            if y.is_complex() or not bool(torch.all(y == y.round())):  # .long() would truncate 0.7 to class 0 in silence
                raise AccuracyError(f"{who}: labels must be class indices (whole numbers, an int "
                                    f"tensor), got {str(y.dtype).replace('torch.', '')} values "
                                    f"like {y.flatten()[0].item():g}")
        y = y.long()
    return x, y
