"""Scans and the log-space combine: the cost of a reduction's or scan's elements, ``cumsum`` /
``cumprod`` / ``cummax`` / ``cummin`` / ``logcumsumexp``, ``torch.logaddexp`` / ``logaddexp2``,
and ``torch.polar``, in the units of :data:`~cimsim.workload.kinds.ELEMENTWISE_OPS_PER_ELEMENT`.

* **Work.** A scan computes one combine per *output* element; a reduction one per element of its
  input as the kernel iterates it (torch's ``TensorIterator`` walks a broadcast's stride 0 like
  any stride). A scan or reduction over an ``expand`` view (``torch.cumprod(lam.expand(T, H), 0)``,
  the parallel form of an input-independent decay) is charged its T x H logical elements; its
  bytes read stay the H stored.
* **A combine** costs its operation (:data:`SCAN_COMBINE`): an add, multiply, max or min 1; a
  complex ``cumsum`` a complex add (2), a complex ``cumprod`` a complex multiply (6, the rules of
  :mod:`.complexes`); ``logcumsumexp`` torch's ``log_add_exp`` (max, min, subtract, ``exp`` 4,
  ``log1p`` 4, add: 12; complex, twice).
* **Depth.** A scan of length n is ceil(log2 n) levels (:func:`.aten.scan_depth`). A level costs
  its combine's dependent ops (tag ``chain_ops``) and, in the processor's cycle units (tag
  ``serial_ops``), the ops per element along the combine's longest chain, as a fused chain of
  those pointwise ops counts them (:func:`.fuse.serial_ops`): a one-op combine 1 and its ops per
  element (a complex ``cumprod`` 6); ``log_add_exp`` 5 dependent ops, max -> subtract -> ``exp``
  -> ``log1p`` -> add (the min runs beside the max), 1 + 1 + 4 + 4 + 1 = 11 (:data:`LOG_ADD_EXP_CHAIN`).
* **logaddexp** (``m + log1p(exp(-|a - b|))``, torch's kernel): max, subtract, abs, ``exp``,
  ``log1p``, add, 12 an element, 5 dependent ops (subtract -> abs -> ``exp`` -> ``log1p`` -> add)
  and 11 serial; **logaddexp2** (``m + log1p(exp2(-|a - b|)) / ln 2``) adds the multiply by
  1/ln 2: 13, 6 dependent, 12 serial. Complex operands: twice the real count.
* **polar** (``abs * cos(angle) + i abs * sin(angle)``): ``cos`` and ``sin`` (4 each) and two
  multiplies, 10 per complex element; ``view_as_complex`` / ``view_as_real`` are views, free.
"""

from __future__ import annotations

from ..kinds import ELEMENTWISE_OPS_PER_ELEMENT as OPS
from ..kinds import KIND_OPS_PER_ELEMENT
from . import aten as A
from .complexes import COMPLEX_OPS_PER_ELEMENT as CPLX
from .mathops import LOG_ADD_EXP_OPS
from .registry import Call, bound_args, lowers
from .storage import repeats

#: its (dependent ops, serial ops) on the element's path: max -> sub -> exp -> log1p -> add
LOG_ADD_EXP_CHAIN = (5, OPS["max"] + OPS["sub"] + OPS["exp"] + OPS["log"] + OPS["add"])
#: per scan: (real, complex) ops of one combine; (dependent ops, serial ops) of a level, real
SCAN_COMBINE = {"cumsum": ((OPS["add"], 2 * OPS["add"]), (1, OPS["add"])),
                "cumprod": ((OPS["mul"], CPLX["mul"]), (1, OPS["mul"])),
                "cummax": ((OPS["max"], None), (1, OPS["max"])),
                "cummin": ((OPS["min"], None), (1, OPS["min"])),
                "logcumsumexp": ((LOG_ADD_EXP_OPS, 2 * LOG_ADD_EXP_OPS), LOG_ADD_EXP_CHAIN)}
#: torch.logaddexp / logaddexp2: (ops per element, dependent ops, serial ops) of the kernel
LOGADDEXP = {"logaddexp": (OPS["max"] + OPS["sub"] + OPS["abs"] + OPS["exp"] + OPS["log"] + OPS["add"],
                           5, OPS["sub"] + OPS["abs"] + OPS["exp"] + OPS["log"] + OPS["add"]),
             "logaddexp2": (OPS["max"] + OPS["sub"] + OPS["abs"] + OPS["exp"] + OPS["log"] + OPS["mul"]
                            + OPS["add"], 6, OPS["sub"] + OPS["abs"] + OPS["exp"] + OPS["log"] + OPS["mul"]
                            + OPS["add"])}
#: torch.polar per complex element: cos, sin (4 each as tanh), two multiplies
POLAR_OPS = OPS["tanh"] + OPS["tanh"] + 2 * OPS["mul"]


def reduction_cost(low, c: Call, vec: float | None) -> tuple[float | None, dict]:
    """``(vector ops, tags)`` of reduction or scan ``c`` (``vec`` given: a rule of its own,
    :mod:`.mathops`): a scan's combines over its logical elements and its depth tags; a
    reduction over a broadcast view one combine per logical element; else None (the IR's
    count: one per element read)."""
    x = c.args[0] if c.args and isinstance(c.args[0], low.torch.Tensor) else None
    if c.base not in A.SCANS:
        if vec is None and x is not None and len(c.reads) == 1 and repeats(x):
            vec = KIND_OPS_PER_ELEMENT["reduction"] * float(x.numel())
        return vec, {}
    dim = bound_args(low.ev, c.args, low.ev.kwargs)["dim"]
    n = x.shape[dim] if x.dim() else 1
    (real, cplx), (chain, serial) = SCAN_COMBINE[c.base]
    if x.is_complex():
        serial *= cplx / real
    if vec is None:
        vec = (cplx if x.is_complex() else real) * float(x.numel())
    levels = A.scan_depth(n)
    return vec, {"scan_length": int(n), "serial_ops": levels * serial, "chain_ops": levels * chain}


@lowers(*LOGADDEXP)
def logaddexp(low, c: Call) -> None:
    per, chain, serial = LOGADDEXP[c.base]
    if any(isinstance(a, low.torch.Tensor) and a.is_complex() for a in c.args):
        per, serial = 2 * per, 2 * serial
    low.emit("elementwise", c.base, c.reads, c.targets, fn="generic",
             vec=float(per * c.targets[0].numel()),
             tags={"aten": c.base, "chain_ops": chain, "serial_ops": serial})


@lowers("polar")
def polar(low, c: Call) -> None:
    low.emit("elementwise", c.base, c.reads, c.targets, fn="generic",
             vec=float(POLAR_OPS * c.targets[0].numel()), tags={"aten": c.base})
