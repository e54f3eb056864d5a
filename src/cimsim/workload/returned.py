"""The tensors a model returns (``metadata["outputs"]``): its caller holds them until the run
ends, so the footprint (:func:`cimsim.workload.footprint.live_activation_profile`) keeps each
live from the op that makes it to the end of the run, even where a later op also reads it
(every entry of ``output_hidden_states=True``, a residual stream returned beside the logits).
An activation no op reads is a model output whether listed or not (it is live to the end all
the same); the list matters for the ones a later op reads too.

``cimsim trace`` records every tensor the forward returned (the leaves of its return value, as
the workload's tensors hold them: a returned view keeps its whole storage); a hand-written or
generated workload lists its own (``metadata: {"outputs": ["h1", "h2"]}``, or
``WorkloadBuilder.build({"outputs": [...]})``). Weights listed (a model returning a parameter)
are weights, resident anyway; model inputs listed stay live to the end too.
"""

from __future__ import annotations

import numpy as np

from ..errors import WorkloadError

#: the metadata key listing the tensors the model returns
KEY = "outputs"


def returned_mask(workload) -> np.ndarray:
    """Per tensor: whether the model returns it (``metadata["outputs"]``); a malformed list,
    or a name that is no tensor of the workload, is a one-line :class:`WorkloadError`."""
    c = workload.columns
    out = np.zeros(c.n_tensors, dtype=bool)
    names = workload.metadata.get(KEY) if hasattr(workload.metadata, "get") else None
    if names is None:
        return out
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise WorkloadError(f"workload '{workload.name}': metadata.{KEY} must be a list of tensor "
                            "names (the tensors the model returns, held to the end of the run)")
    index = {n: i for i, n in enumerate(c.tensor_names)}
    missing = [n for n in names if n not in index]
    if missing:
        raise WorkloadError(f"workload '{workload.name}': metadata.{KEY} names "
                            f"{len(missing)} tensor(s) the workload does not declare "
                            f"({', '.join(repr(n) for n in missing[:3])}"
                            f"{', ...' if len(missing) > 3 else ''}); list declared tensor names")
    out[[index[n] for n in names]] = True
    return out


def traced_outputs(low, torch, out, leaves, tensors) -> list[str]:
    """The workload tensors (names in ``tensors``, in declaration order) that hold the versions
    the traced forward's return value ``out`` reads at its end: each returned tensor's whole
    version, as its storage outlives the forward."""
    vids = set()
    for _, t in leaves(torch, out, ""):
        if isinstance(t, torch.Tensor) and t.numel() and low.st.known(t):
            vids.update(vid for vid, _ in low.st.pieces(t))
    return [name for (vid, _), name in low.declared.items() if vid in vids and name in tensors]
