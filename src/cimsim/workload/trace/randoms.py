"""Random ops that read their input's values: ``torch.bernoulli(p)`` (snnTorch's
``spikegen.rate`` encoder: one spike per element with probability ``p``),
``x.bernoulli_(p_tensor)``, ``torch.normal(mean, std)`` with a tensor mean or std,
``torch.poisson(rates)``. Each reads the tensor of probabilities, means or rates and writes
as many elements: an elementwise op (:data:`SAMPLERS`, its IR function), so that what made the
probabilities (a model input, a layer's output) stays a dependency and its bytes are read.
The draw itself is not counted here (see the factories below); the function counts what the
op does with it per element: ``bernoulli`` one compare of a uniform draw with ``p``
(``where``, as ``(torch.rand_like(p) < p).float()`` counts its ``lt``), ``normal`` one fused
multiply-add ``mean + std * z`` (``add``, as ``addcmul`` counts), ``poisson`` an exponential
(``exp``: Knuth's method compares products of uniforms with ``exp(-rate)``; a lower bound).

``torch.multinomial(probs, n)`` (sampling a token from a softmax) reads its probabilities and
writes ``n`` indices per row: a reduction, one add per probability (the inverse CDF's running
sum; a draw's search of it is not counted, a lower bound), as the LLM generator's ``sample``
op, so the token it picks depends on the logits.

The same ops reading no values are random factories (:func:`reads_values`): ``bernoulli_(0.5)``
(nn.Dropout's mask on the CPU), ``bernoulli(x, p=0.5)`` (``x`` gives the shape only),
``normal_`` / ``normal(0.0, 1.0, size)``; ``rand_like`` / ``randn_like`` read only their input's
shape (:data:`.aten.RANDOM_FACTORIES`). Each is an elementwise op of function ``rng`` reading
nothing (:func:`generate`): the draws are generated where they are used, as a GPU's Philox
generator or a chip's LFSR makes them, charged :data:`~cimsim.workload.kinds.ELEMENTWISE_OPS_PER_ELEMENT`
``["rng"]`` vector ops per element and no memory read (until 2026-12-06 they were constant
inputs, read from the backing store at 4 B an element, and the draw was free). The op's id is
kept (``low.random_protos``), so what is computed from a draw is known to be sampled each
forward (:func:`.computed.origin`'s :data:`~.computed.RANDOM` bit).

A draw from torch's global generator after the forward called ``torch.manual_seed`` (a fixed
random projection drawn the same every forward) is not sampled: :func:`watch_seeds` marks it
``reseeded`` at capture, and its op, still an ``rng`` op (the forward does draw it), is put in
``reseeded_protos`` instead, so a matrix computed from it is said the same every forward. A
``torch.Generator`` the forward reseeds (``g.manual_seed(0)``) is not seen: its draws are said
sampled (a lower bound on what could be constant-folded).
"""

from __future__ import annotations

import contextlib

from .aten import RANDOM_FACTORIES
from .registry import Call, lowers

#: random op (aten name without the in-place suffix) -> IR elementwise function per element
SAMPLERS = {"bernoulli": "where", "normal": "add", "poisson": "exp"}


def fixed_probability(func) -> bool:
    """Whether a ``bernoulli`` overload draws with one probability given as a number
    (``bernoulli_.float``: nn.Dropout's mask on the CPU; ``bernoulli.p``), not from a tensor
    of probabilities (``bernoulli.default``, ``bernoulli_.Tensor``)."""
    return func._overloadname in ("float", "p")


def reads_values(base: str, func, reads) -> bool:
    """Whether random op ``base`` (overload ``func``) reads the values of a tensor it was
    given (``reads``: the tensors it reads, those it only overwrites left out)."""
    return bool(reads) and not (base == "bernoulli" and fixed_probability(func))


def random_protos(low) -> set[int]:
    """The ids of the proto ops that drew random numbers (a factory's or a sampler's) anew each
    forward; a draw after the forward reseeded torch (:func:`watch_seeds`) goes to
    ``reseeded_protos`` instead (:data:`.computed.RESEEDED`)."""
    key = "reseeded_protos" if getattr(low.ev, "reseeded", False) else "random_protos"
    return low.__dict__.setdefault(key, set())


@contextlib.contextmanager
def watch_seeds(torch, rec):
    """Mark ``reseeded`` each recorded random op drawing from torch's global generator (no
    ``generator=``) after the traced code called ``torch.manual_seed``."""
    seeds, first = (torch.manual_seed, torch.random.manual_seed), []

    def watched(*args, **kwargs):
        first.append(len(rec.events))
        return seeds[0](*args, **kwargs)

    torch.manual_seed = torch.random.manual_seed = watched
    try:
        yield
    finally:
        torch.manual_seed, torch.random.manual_seed = seeds
        for ev in rec.events[first[0]:] if first else ():
            base = ev.func.overloadpacket.__name__.rstrip("_") if ev.func.namespace == "aten" else ""
            if (base in RANDOM_FACTORIES or base in SAMPLERS) and ev.kwargs.get("generator") is None:
                ev.reseeded = True


@lowers(*SAMPLERS)
def sample(low, c: Call) -> None:
    if reads_values(c.base, low.ev.func, c.reads):
        random_protos(low).add(low.emit("elementwise", c.base, c.reads, c.targets, fn=SAMPLERS[c.base]))
    else:  # a random factory (dropout's mask, ``normal_``)
        generate(low, c)


@lowers(*RANDOM_FACTORIES)
def generate(low, c: Call) -> None:
    """A random draw reading no tensor's values: an ``rng`` op writing it, reading nothing."""
    targets = [t for t in c.targets if t.numel()]
    if targets:
        random_protos(low).add(low.emit("elementwise", c.base, [], targets, fn="rng"))


@lowers("multinomial")
def multinomial(low, c: Call) -> None:
    low.emit("reduction", c.base, c.reads, c.targets)
