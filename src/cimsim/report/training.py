"""What a run of a traced training step says (``metadata['backward_ops']``, written by the
tracer: aten ops autograd's backward pass ran; ``metadata['updated_parameters']`` and
``metadata['updated_parameter_names']``: the parameters the step wrote in place, an optimizer's
update; ``metadata['input_derivatives_only']``: the backward pass took no parameter gradient,
only derivatives w.r.t. inputs, as a PINN's residual does at inference, and the run says that
instead).

cimsim costs such a step as plain ops and does not model training (README 'Training on a CIM:
what is modelled'), so it says so in every run (``cimsim run``, ``compare``, ``report``,
``simulate()``). A device that holds weights (a CIM: the results' ``programming_energy_j``) is
programmed once before the run, which suits inference; a training step rewrites the matrices
that hold the parameters it updates, so each step writes those (and only those: a frozen
layer, or adapters kept off the arrays by ``cim.exclude``, are not rewritten; find-O 1), once,
in full: :func:`rewrite` sums the op table's per-matrix programming (``<unit>_program_*``) over
them into the results' ``step_write_energy_j`` / ``step_write_time_s``. The run charges the part
it re-programs during it (a pool too small for the weights: its ``write`` energy and the
latency), not the part it finds in place; the steps the cells last (``steps_to_wearout``) are
the tighter of a rewrite a step and the run's own re-programming (``<unit>_runs_to_wearout``;
find-O 2). A trace of several steps reads the updated weights as activations in its later
steps: those matmuls leave the weight-holding device, and the rewrite between the steps, which
would keep them there, is not charged (find-O 7)."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping

import numpy as np

from ..units import si
from . import columns as C


@dataclasses.dataclass
class Rewrite:
    """One unit's matrices as a training step finds them: ``updated`` / ``frozen`` the names of
    the matrices holding an updated / a frozen parameter (a name twice: two orientations);
    ``charged``: per updated matrix, whether the run re-programs it (pays its writes);
    ``energy_j``, ``time_s``: rewriting the updated ones once, and ``energy_j`` of those the run
    finds in place (``uncharged_j``); ``steps``, ``steps_levelled``: the steps the cells last
    (NaN: no bound)."""

    unit: str
    updated: list
    frozen: list
    charged: np.ndarray
    energy_j: float
    uncharged_j: float
    time_s: float
    steps: float
    steps_levelled: float


def rewrite(comp, plan, ops, ids, names, facts, rates, slices: bool = False) -> Rewrite | None:
    """The :class:`Rewrite` of ``comp`` (its ``plan``, its ops ``ids`` into ``ops``) for the
    updated weight tensors ``names`` (None: a trace that names none, every matrix counted;
    ``slices``: ``names`` are parameters, and ``name[i]``, a slice of one, is one too)."""
    cols = plan.op_columns if plan is not None else {}
    if "program_weight_bits" not in cols:
        return None
    first = np.flatnonzero(np.asarray(cols["program_weight_bits"]) > 0)  # a matrix's first op
    held = [ops.tensor_names[int(t)] if t >= 0 else "" for t in ops.stationary[ids[first]]]
    upd = np.array([names is None or n in names or (slices and n.split("[")[0] in names)
                    for n in held], dtype=bool)
    charged = np.asarray(cols.get("reprogram", np.zeros(len(ids), dtype=bool)), dtype=bool)[first]
    energy = np.asarray(cols["program_energy_j"], dtype=np.float64)[first]
    write_s = np.asarray(cols["program_write_s"], dtype=np.float64)[first][upd]
    bits = np.asarray(cols["program_weight_bits"], dtype=np.float64)[first][upd]
    d = plan.programming
    time = (dataclasses.replace(d, devices=((write_s, bits / 8.0),)).time_s(rates)
            if d is not None and upd.any() else 0.0)
    c = comp.config
    in_place = float(c.endurance) / int(getattr(c, "write_verify_pulses", 1))
    runs = [float(facts.get(C.fact_column(comp.name, f), math.nan))
            for f in ("runs_to_wearout", "runs_to_wearout_levelled")]
    if (upd & ~charged).any():  # each cell of an updated matrix in place: written once a step
        runs = [float(np.fmin(in_place, r)) for r in runs]
    return Rewrite(comp.name, [n for n, u in zip(held, upd) if u],
                   [n for n, u in zip(held, upd) if not u], charged[upd],
                   float(energy[upd].sum()), float(energy[upd & ~charged].sum()), float(time),
                   *runs)


def _names(xs: list, most: int = 3) -> str:
    return ", ".join(f"'{x}'" for x in xs[:most]) + (f" and {len(xs) - most} more" if len(xs) > most else "")


def _matrices(n: int) -> str:
    return f"{n:,} matri{'x' if n == 1 else 'ces'}"


def _updated_names(metadata: Mapping) -> tuple[set | None, bool]:
    """The workload's tensors that hold an updated parameter (``metadata['updated_weight_tensors']``:
    matched by the storage each parameter lives in, its slices and casts included), or for a
    trace that names only the parameters (``updated_parameter_names``, traced on 2026-12-06
    before review 19-A), those names (and whether they are: :func:`rewrite` then also takes
    ``name[i]``, a slice of one); None where neither is given (every matrix counted)."""
    for key in ("updated_weight_tensors", "updated_parameter_names"):
        names = metadata.get(key)
        if isinstance(names, list):
            return set(map(str, names)), key == "updated_parameter_names"
    return None, False


def training_facts(arch, pl, ops, metadata, facts, rates) -> list[Rewrite]:
    """Fill the results' :data:`~cimsim.report.columns.TRAINING_COLUMNS` (NaN off a training
    step) and return each weight-holding unit's :class:`Rewrite`."""
    if not any(getattr(c, "programs_weights", False) for c in arch.instances):
        return []
    facts.update(dict.fromkeys(C.TRAINING_COLUMNS, math.nan))
    if not isinstance(metadata, Mapping) or not metadata.get("backward_ops") \
            or not metadata.get("updated_parameters"):
        return []
    names, slices = _updated_names(metadata)
    out = [r for comp, ids, plan in zip(pl.components, pl.idx, pl.plans)
           if getattr(comp, "programs_weights", False)
           and (r := rewrite(comp, plan, ops, ids, names, facts, rates, slices)) is not None]
    if out:
        facts.update({C.STEP_WRITE_ENERGY_J: sum(r.energy_j for r in out),
                      C.STEP_WRITE_TIME_S: sum(r.time_s for r in out),
                      C.STEPS_TO_WEAROUT: float(np.fmin.reduce([r.steps for r in out])),
                      C.STEPS_TO_WEAROUT_LEVELLED: float(np.fmin.reduce([r.steps_levelled for r in out]))})
    return out


def _rewrite_text(r: Rewrite, several: bool) -> str:
    """What rewriting ``r``'s updated matrices costs a step, and what the run charges of it."""
    if not r.updated:
        return (f"{r.unit}'s arrays hold none of them ({_matrices(len(r.frozen))} of frozen "
                f"parameters: {_names(r.frozen)}, written once before the run; the updated ones run "
                "elsewhere, e.g. kept off by cim.exclude): a step rewrites no cell, 0 J")
    upd, fr = r.updated, r.frozen
    two = "; a weight read in two orientations is two" if len(set(upd)) < len(upd) else ""
    text = (f"{r.unit} holds them in {_matrices(len(upd))} ({_names(upd)}{two}), rewritten in full {'between steps' if several else 'every step'}: "
            f"{si(r.energy_j, 'J')} and {si(r.time_s, 's')} a step ({C.STEP_WRITE_ENERGY_J}, "
            f"{C.STEP_WRITE_TIME_S})")
    lru = [n for n, ch in zip(upd, r.charged) if ch]
    later = "the later steps' matmuls left the arrays instead"
    if lru:  # what the run re-programs is charged, a trace of one step or of several (19-A 4)
        text += (f", of which the {_matrices(len(lru))} the run re-programs during it ({_names(lru)}) "
                 f"{'is' if len(lru) == 1 else 'are'} charged ({r.unit}_write and the bytes, the latency)"
                 + (f", and {si(r.uncharged_j, 'J')} for those it finds in place is not"
                    if len(lru) < len(upd) else "")
                 + (f"; the rewrite between steps is not charged ({later})" if several else ""))
    elif several:
        text += f", not charged here ({later})"
    else:
        text += ", not charged here (the run finds the weights in place, as inference)"
    if fr:
        text += (f"; {_matrices(len(fr))} of frozen parameters ({_names(fr)}) "
                 f"{'is' if len(fr) == 1 else 'are'} not rewritten")
    return text


def training_notes(arch, metadata, facts, rewrites: list[Rewrite] = ()) -> list[str]:
    """The notes of a run of ``arch`` on a workload with ``metadata`` and result ``facts``,
    ``rewrites`` from :func:`training_facts`."""
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
             "metadata['backward_ops']): costed as plain ops; training is not modelled beyond a "
             "full rewrite of the updated weights a step (README 'Training on a CIM: what is modelled')"]
    if updated and rewrites:
        named = isinstance(metadata.get("updated_parameter_names"), list)
        ends = sorted({(float(c.config.endurance), int(getattr(c.config, "write_verify_pulses", 1)))
                       for c in arch.instances if getattr(c, "programs_weights", False)
                       and getattr(getattr(c, "config", None), "endurance", None)})
        steps = facts.get(C.STEPS_TO_WEAROUT, math.nan)
        pulses = ", ".join(f"{e:.3g} write pulses" + (f", {p:,} per write" if p != 1 else "")
                           for e, p in ends)
        even = facts.get(C.STEPS_TO_WEAROUT_LEVELLED, math.nan)
        bound = (f"; the cells' endurance ({pulses}) lasts {steps:.3g} steps at worst "
                 f"({C.STEPS_TO_WEAROUT}" + (f"; {even:.3g} with the re-programmed arrays' writes "
                                             "spread evenly" if even != steps else "") + ")"
                 if not math.isnan(steps)
                 else "; no cell is written a step, so the endurance sets no bound on the steps")
        notes.append(f"the step updates {updated:,} parameter(s) in place (an optimizer step"
                     + ("" if named else "; this trace does not name them: traced before "
                        "2026-12-06, so every matrix on the arrays is counted, an upper bound; "
                        "trace it again")
                     + "): " + "; ".join(_rewrite_text(r, bool(later)) for r in rewrites) + bound)
    if later:
        notes.append(f"{later:,} matmul(s) read a weight the traced step had already updated (a later "
                     "step in the same trace): they read it as an activation, not a stationary "
                     "weight, so no CIM or weight-holding PIM runs them; only the first step finds "
                     "the weights on the arrays, and the figures above are one rewrite, which each "
                     "later step would need to stay there (not charged)")
    return notes
