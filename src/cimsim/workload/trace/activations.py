"""Activation functions of ``torch.nn.functional`` that reach the dispatcher as aten ops of their
own with no pointwise twin in :data:`.aten.POINTWISE`: the shrinkages and the randomized leaky
ReLU. Each is an elementwise op counted by the arithmetic it does per output element, in the
unit of :data:`~cimsim.workload.kinds.ELEMENTWISE_OPS_PER_ELEMENT` (a compare, an add, a select,
a multiply 1; a random draw ``rng``, 20):

* **softshrink** (FourCastNet's AFNO sparsity step, ``F.softshrink(x, lambd)``): ``x - λ`` where
  ``x > λ``, ``x + λ`` where ``x < -λ``, else 0, branch-free as ``max(x - λ, 0) + min(x + λ, 0)``:
  a subtract, a max, an add, a min and the sum, :data:`SOFTSHRINK_OPS` = 5.
* **hardshrink**: ``x`` where ``|x| > λ``, else 0: an absolute value, a compare and a select,
  :data:`HARDSHRINK_OPS` = 3.
* **rrelu** (``F.rrelu`` / ``nn.RReLU``, aten ``rrelu_with_noise``): in eval mode torch runs it as
  ``leaky_relu(x, (lower + upper) / 2)`` and neither reads nor writes its ``noise`` tensor: the
  same op as ``F.leaky_relu`` and costed as it is (fn ``relu``, 1 an element). In training mode
  it draws a slope per element (``rng``, 20), scales it into [lower, upper] (a multiply and an
  add, 2), compares, multiplies and selects (3), :data:`RRELU_TRAIN_OPS` = 25, writes the slopes
  to ``noise`` (its backward reads them) and is a random op (:mod:`.randoms`).
* their backwards (a traced training step): ``softshrink_backward`` / ``hardshrink_backward``
  pass the gradient where ``|x| > λ`` (an absolute value, a compare, a select: 3);
  ``rrelu_with_noise_backward`` is ``grad * noise`` in training (1) and leaky ReLU's backward in
  eval (``where``, 1); ``glu_backward`` recomputes ``s = sigmoid(b)`` (4) and forms
  ``da = g·s`` (1) and ``db = g·a·s·(1 - s)`` (a subtract, 3 multiplies: 4), :data:`GLU_BACKWARD_OPS`
  = 9 per element of the gradient it is given; ``_prelu_kernel_backward`` (``F.prelu``, ``nn.PReLU``)
  writes ``dx = x > 0 ? g : w·g`` and ``dw = x > 0 ? 0 : x·g`` (a compare, 2 multiplies, 2
  selects: :data:`PRELU_BACKWARD_OPS` = 5 per input element; the sum of ``dw`` to the weight's
  shape is autograd's own ``sum``).
"""

from __future__ import annotations

from ..kinds import ELEMENTWISE_OPS_PER_ELEMENT as OPS
from .randoms import random_protos
from .registry import Call, bound_args, lowers

#: max(x - λ, 0) + min(x + λ, 0): a subtract, a max, an add, a min, an add
SOFTSHRINK_OPS = OPS["sub"] + OPS["max"] + OPS["add"] + OPS["min"] + OPS["add"]
#: |x| > λ ? x : 0: an absolute value, a compare, a select
HARDSHRINK_OPS = OPS["abs"] + OPS["where"] + OPS["where"]
#: a draw, lower + (upper - lower) * u, then x <= 0 ? x * r : x (a compare, a multiply, a select)
RRELU_TRAIN_OPS = OPS["rng"] + OPS["mul"] + OPS["add"] + OPS["where"] + OPS["mul"] + OPS["where"]
#: a gradient passed where |x| > λ: an absolute value, a compare, a select
SHRINK_BACKWARD_OPS = HARDSHRINK_OPS
#: s = sigmoid(b); da = g·s; db = g·a·s·(1 - s)
GLU_BACKWARD_OPS = OPS["sigmoid"] + OPS["mul"] + OPS["sub"] + 3 * OPS["mul"]
#: dx = x > 0 ? g : w·g; dw = x > 0 ? 0 : x·g (one compare for both)
PRELU_BACKWARD_OPS = OPS["where"] + 2 * OPS["mul"] + 2 * OPS["where"]


def _emit(low, c: Call, reads, targets, fn: str, per: float) -> int:
    out = max(t.numel() for t in targets)
    return low.emit("elementwise", c.base, reads, targets, fn=fn, vec=float(per * out),
                    tags={"aten": c.base})


@lowers("softshrink", "hardshrink")
def shrink(low, c: Call) -> None:
    _emit(low, c, c.reads, c.targets, "generic",
          SOFTSHRINK_OPS if c.base == "softshrink" else HARDSHRINK_OPS)


@lowers("softshrink_backward", "hardshrink_backward")
def shrink_backward(low, c: Call) -> None:
    _emit(low, c, c.reads, c.targets, "where", SHRINK_BACKWARD_OPS)


@lowers("rrelu_with_noise")
def rrelu(low, c: Call) -> None:
    """``rrelu_with_noise(x, noise, lower, upper, training)`` (and its in-place twin, which
    writes ``x``): eval mode a leaky ReLU that leaves ``noise`` alone; training mode a draw per
    element whose slopes it writes to ``noise``."""
    noise = c.args[1]
    x = c.args[0]
    out = [t for t in c.targets if t is not noise]
    if not bound_args(low.ev, c.args, low.ev.kwargs).get("training", False):
        _emit(low, c, [x], out, "relu", OPS["relu"])
        return
    # the slopes overwrite ``noise``: its old values are not read
    random_protos(low).add(_emit(low, c, [x], [*out, noise], "generic", RRELU_TRAIN_OPS))


@lowers("rrelu_with_noise_backward")
def rrelu_backward(low, c: Call) -> None:
    grad, x, noise = c.args[:3]
    if bound_args(low.ev, c.args, low.ev.kwargs).get("training", False):
        _emit(low, c, [grad, noise], c.targets, "mul", OPS["mul"])
    else:
        _emit(low, c, [grad, x], c.targets, "where", OPS["where"])


@lowers("glu_backward")
def glu_backward(low, c: Call) -> None:
    low.emit("elementwise", c.base, c.reads, c.targets, fn="sigmoid",
             vec=float(GLU_BACKWARD_OPS * c.args[0].numel()), tags={"aten": c.base})


@lowers("_prelu_kernel_backward")
def prelu_backward(low, c: Call) -> None:
    _emit(low, c, c.reads, c.targets, "where", PRELU_BACKWARD_OPS)
