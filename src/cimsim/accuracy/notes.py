"""The accuracy basis' note of which weight matmuls ran on the emulated CIM."""

from __future__ import annotations


def not_emulated_note(res, claim: str = "weights") -> str:
    """How many of the weight matmuls ran on the emulated CIM, ``N of M`` (each call of the
    evaluation counted): M adds to those emulated the ops a CIM claims (a stationary weight, the
    tracer's rule) without an emulation here, and the matmuls whose matrix the model computes
    each forward from its parameters (no CIM claims them: a tester's prune-hooked model read
    "emulated" with an exact result on 0 CIM ops). Both ran in fp32, and the basis says which;
    with none emulated the accuracy is the fp32 model's, and it says why. ``claim="all"`` (a
    digital array computing every matmul) says nothing: its basis says so."""
    if claim == "all":
        return ""
    done, bad, comp = (sum(d.values()) for d in (res.emulated_ops, res.not_emulated_ops,
                                                  res.computed_weight_ops))
    out = f"; {done:,} of {done + bad + comp:,} weight matmuls emulated"
    if bad:
        ops = ", ".join(f"{k} x{v}" for k, v in sorted(res.not_emulated_ops.items()))
        out += f"; {bad:,} CIM op(s) not emulated (run in fp32): {ops}"
    hooked = sum(res.computed_hooked_ops.values())
    if comp:  # what they are, in the tracer's words
        from ..workload.trace.computed import why

        ops = ", ".join(f"{k} x{v}" for k, v in sorted(res.computed_weight_ops.items()))
        smp = sum(res.computed_sampled_ops.values())
        kinds = why({"hooked": hooked, "sampled": smp, "parameters": comp - hooked - smp})
        out += (f"; {comp:,} read a matrix computed from parameters each forward ({kinds}), which "
                f"no CIM claims (run in fp32): {ops}")
    if not done:
        out += ("; so this is the fp32 model's accuracy, not the CIM's" + (
            ": prune.remove(module, 'weight') or torch.nn.utils.parametrize."
            "remove_parametrizations(module, 'weight') first makes the weight a parameter"
            if hooked else ""))
    return out
