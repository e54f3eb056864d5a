"""The tensors a model returns (``metadata["outputs"]``): its caller holds them until the run
ends, so the footprint (:func:`cimsim.workload.footprint.live_activation_profile`) keeps each
live from the op that makes it to the end of the run, even where a later op also reads it
(every entry of ``output_hidden_states=True``, a residual stream returned beside the logits),
and a CIM chip sends each one it makes to the host once (:mod:`cimsim.hw.cim.offchip` rule 4),
even where a later op on the chip reads it too.

Without the list (a workload written before 2026-12-07, or one that gives none), an activation
no op reads is taken for a model output (live to the end; a CIM chip sends it out when it is its
op's first output). With the list, the list decides: an activation neither read nor listed (a
``topk``'s indices the model drops, a dead by-product) is freed at the op that makes it and
never leaves a chip. (Before 2026-12-07 it was held to the end of the run.)

``cimsim trace`` records every tensor the forward returned (the leaves of its return value, as
the workload's tensors hold them: a returned view keeps its whole storage); a hand-written or
generated workload lists its own (``metadata: {"outputs": ["h1", "h2"]}``, or
``WorkloadBuilder.build({"outputs": [...]})``), checked when the workload is built or loaded.
Weights listed (a model returning a parameter) are weights, resident anyway; model inputs
listed stay live to the end too. A tensor listed cannot be tagged ``on_chip`` (the caller holds
it in memory: :func:`cimsim.workload.arrays.on_chip_tensors`).
"""

from __future__ import annotations

import numpy as np

from ..errors import WorkloadError

#: the metadata key listing the tensors the model returns
KEY = "outputs"


def listed(workload) -> bool:
    """Whether the workload states what its model returns (``metadata["outputs"]`` given)."""
    return hasattr(workload.metadata, "get") and workload.metadata.get(KEY) is not None


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
                            "names (the tensors the model returns, held to the end of the run), "
                            f"got {type(names).__name__} {names!r:.60}")
    index = {n: i for i, n in enumerate(c.tensor_names)}
    missing = [n for n in names if n not in index]
    if missing:
        raise WorkloadError(f"workload '{workload.name}': metadata.{KEY} names "
                            f"{len(missing)} tensor(s) the workload does not declare "
                            f"({', '.join(repr(n) for n in missing[:3])}"
                            f"{', ...' if len(missing) > 3 else ''}); {_hint(missing[0], c)}")
    out[[index[n] for n in names]] = True
    return out


def returned_column(workload) -> np.ndarray | None:
    """:attr:`OpArrays.returned`: :func:`returned_mask` where the workload lists its outputs
    (:func:`listed`), else None (every unread first output is taken for a model output)."""
    return returned_mask(workload) if listed(workload) else None


def _hint(name: str, c) -> str:
    """A close declared tensor name ("did you mean ...?"), else the first activations declared."""
    import difflib

    names = list(c.tensor_names)
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.5)
    if close:
        return f"did you mean '{close[0]}'?"
    from .ir import ROLE_ACTIVATION

    acts = [n for n, r in zip(names, c.tensor_role) if r == ROLE_ACTIVATION][:3]
    return ("it must name declared tensors, e.g. " + ", ".join(repr(n) for n in acts)
            if acts else "it must name declared tensors")


def traced_outputs(low, torch, out, leaves, tensors) -> list[str]:
    """The workload tensors (names in ``tensors``, in declaration order) that hold the versions
    the traced forward's return value ``out`` reads at its end: each returned tensor's whole
    version, as its storage outlives the forward."""
    vids = set()
    for _, t in leaves(torch, out, ""):
        if isinstance(t, torch.Tensor) and t.numel() and low.st.known(t):
            vids.update(vid for vid, _ in low.st.pieces(t))
    return [name for (vid, _), name in low.declared.items() if vid in vids and name in tensors]
