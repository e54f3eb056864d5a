"""What a run of a traced training step says (``metadata['backward_ops']``, written by the
tracer: aten ops autograd's backward pass ran; ``metadata['updated_parameters']``: parameters
the step wrote in place, an optimizer's update; ``metadata['input_derivatives_only']``: the
backward pass took no parameter gradient, only derivatives w.r.t. inputs, as a PINN's residual
does at inference, and the run says that instead).

cimsim costs such a step as plain ops and does not model training (README 'Not modelled'), so
it says so in every run (``cimsim run``, ``compare``, ``report``, ``simulate()``). A device that
holds weights (a CIM or weight-holding PIM: the results' ``programming_energy_j``) is
programmed once before the run, which suits inference; a training step rewrites the weights it
updates, so each step would reprogram them: the run does not charge this (it costs one step
with the weights in place, as inference), it states the per-step figure and what bounds the
number of steps (the cells' ``endurance``). A trace of several steps reads the updated weights
as activations in its later steps: those matmuls leave the weight-holding device."""

from __future__ import annotations

from collections.abc import Mapping

from ..units import si
from . import columns as C


def training_notes(arch, metadata, facts) -> list[str]:
    """The notes of a run of ``arch`` on a workload with ``metadata`` and result ``facts``."""
    if not isinstance(metadata, Mapping) or not metadata.get("backward_ops"):
        return []
    try:
        n = int(metadata["backward_ops"])
        updated = int(metadata.get("updated_parameters", 0) or 0)
        later = int(metadata.get("updated_weight_reads", 0) or 0)
    except (TypeError, ValueError):  # a hand-edited entry: not said
        return []
    if metadata.get("input_derivatives_only"):  # a PINN's residual: inference, no weight update
        return [f"{n:,} aten op(s) of autograd took derivatives w.r.t. the inputs only "
                "(metadata['backward_ops'], metadata['input_derivatives_only']: no parameter "
                "gradient, part of the model's inference, not a training step): costed as plain ops"]
    notes = [f"a traced training step ({n:,} aten op(s) of autograd's backward pass: "
             "metadata['backward_ops']): costed as plain ops; training is not modelled "
             "(README 'Not modelled')"]
    prog = facts.get(C.PROGRAMMING_ENERGY_J)
    if updated and prog is not None:
        ends = sorted({(float(c.config.endurance), int(getattr(c.config, "write_verify_pulses", 1)))
                       for c in arch.instances if getattr(c, "programs_weights", False)
                       and getattr(getattr(c, "config", None), "endurance", None)})
        bound = ("; the cells' endurance (" + ", ".join(
            f"{e:.3g} write pulses" + (f", {p:,} per programming: {e / p:.3g} steps" if p != 1
                                       else "") for e, p in ends)
            + ") bounds the steps to that many" if ends else "")
        notes.append(
            f"the step updates {updated:,} parameter(s) in place (an optimizer step), so a weight-"
            f"holding device would reprogram them every step: {si(prog, 'J')} "
            f"({C.PROGRAMMING_ENERGY_J}) and {si(facts.get(C.PROGRAMMING_TIME_S, 0.0), 's')} per "
            f"step, not charged here (the run costs one step with the weights already in place, "
            f"as inference){bound}")
    if later:
        notes.append(f"{later:,} matmul(s) read a weight the traced step had already updated (a later "
                     "step in the same trace): they read it as an activation, not a stationary "
                     "weight, so no CIM or weight-holding PIM runs them")
    return notes
