"""Ops with no lowering (moved out of :mod:`.lower`): an error naming the op and its source
line, or with ``allow_unknown`` (``--allow-unknown``) a generic op carrying its FLOP-counter
MACs, listed in ``metadata['unknown_ops']`` (packed parameters of a ScriptObject said too)."""

from __future__ import annotations

from ...errors import WorkloadError
from .custom import TORCH_NAMESPACES, custom_hint
from .flops import flop_macs

UNKNOWN_HINT = ("run with --allow-unknown (trace(..., allow_unknown=True)) to keep it as a generic "
                "op carrying its FLOP-counter MACs, or report the op so it can be mapped")


def _has_script_object(torch, args) -> bool:
    """Whether packed parameters (``torch.ScriptObject``) are among ``args``, in lists and
    tuples too (``quantized_lstm`` takes its packed cell parameters as a list)."""
    return any(isinstance(a, torch.ScriptObject) or
               (isinstance(a, (list, tuple)) and _has_script_object(torch, a)) for a in args)


def lower_unknown(low, c) -> None:
    """No lowering registered: an error naming the op, or (``allow_unknown``) a generic op."""
    ev, base, reads, targets = low.ev, c.base, c.reads, c.targets
    macs = flop_macs(low.torch, ev)
    if not low.allow_unknown:
        mod = ev.origin()
        ns = getattr(ev.func, "namespace", "aten")
        counted = f" ({macs} MACs by the FLOP counter)" if macs else ""
        if ns not in TORCH_NAMESPACES:  # nothing cimsim could map: the model's own op
            raise WorkloadError(
                f"custom op '{ev.func}' ({mod}, called from {ev.where}) is not a PyTorch "
                f"(aten) op but one of namespace '{ns}' (torch.library), which cimsim cannot "
                f"see into{counted}; {custom_hint(macs, ev.func._schema.name)}")
        raise WorkloadError(
            f"aten op '{ev.func}' ({mod}, called from {ev.where}) has no cimsim mapping"
            f"{counted}; {UNKNOWN_HINT}")
    # macs None: the FLOP counter has no formula either, so its MACs (if any) are unknown
    entry = {"op": str(ev.func), "module": ev.module, "where": ev.where, "macs": macs}
    if _has_script_object(low.torch, (*ev.args, *ev.kwargs.values())):
        # packed parameters (a dynamically quantized Linear's): weights no tensor holds, so
        # not in weight_bytes either; said with the op (trace and run)
        entry["packed_weights"] = True
    low.unknown.append(entry)
    low.emit("elementwise", base, reads, targets, fn="generic", macs=macs or 0, tags={"unknown": True})
