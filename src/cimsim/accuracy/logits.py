"""The class scores of a model's output, as ``--accuracy`` reads them."""

from __future__ import annotations

import torch


def _logits(out) -> torch.Tensor:
    """The class scores of a model's output: a tensor, its ``.logits``, a mapping's ``logits``
    (or its one tensor), or a tuple's first item."""
    if hasattr(out, "logits"):
        out = out.logits
    if isinstance(out, dict):
        tensors = {k: v for k, v in out.items() if isinstance(v, torch.Tensor)}
        if "logits" in tensors or len(tensors) == 1:
            out = tensors.get("logits", next(iter(tensors.values()), None))
        else:
            from ..errors import CimsimError

            raise CimsimError(f"the model returns a mapping of {', '.join(map(str, out)) or 'nothing'}: "
                              "give it a 'logits' entry (the class scores) for --accuracy")
    if isinstance(out, (tuple, list)):
        out = out[0]
    if not isinstance(out, torch.Tensor):
        from ..errors import CimsimError

        raise CimsimError(f"the model returns {type(out).__name__}, not class scores (a tensor, "
                          "or a mapping or tuple holding one) for --accuracy")
    return out.detach().to(torch.float32)
