"""The iterations of an LLM serving run, and how they follow one another.

A serving engine (vLLM, TensorRT-LLM, Orca's iteration-level scheduling) runs one iteration
after another on its devices: a prefill of the requests just admitted, or a decode step of
every running request. :func:`schedule` lists the iterations; :class:`AdmissionGate` writes
their order into the op graph, so that a request admitted into a slot starts after the
iteration that freed the slot (under static batching, the next batch after the last step
of the one before), whatever units are idle.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import contextmanager

from ..errors import WorkloadError
from .argnames import arg, arg_is, integer
from .llm_options import GEN


def computed_decode(decode: Sequence[int], batch: int, batching: str) -> list[int]:
    """The decode steps each request's row is computed for: its own ``D_r`` under continuous
    batching (a finished request leaves its slot, its cache freed); under static batching the
    longest of its batch's (each ``batch`` consecutive requests), as a static batch (Hugging Face
    ``generate``, FasterTransformer) runs every row, a finished one's padded on with its cache
    growing, until its longest request ends. Rows past ``D_r`` yield no counted token."""
    if batching != "static":
        return list(decode)
    out = []
    for i in range(0, len(decode), batch):
        group = decode[i:i + batch]
        out += [max(group)] * len(group)
    return out


def counted(prompt: Sequence[int], decode: Sequence[int], requests: Sequence[int],
            cached: Sequence[int], grow: int = 1) -> list[bool]:
    """Per request of a decode step (``cached``: its cached tokens, ``P_r + k`` at step ``k``):
    whether the step gives it one of its ``D_r`` tokens (``k < D_r``), not a padded row of a
    static batch that runs on past its end (:func:`computed_decode`); ``grow``: the tokens a step
    adds to the cache (a verify step's accepted tokens)."""
    return [(c - prompt[r]) // grow < decode[r] for r, c in zip(requests, cached)]


def step_options(verify, accepted, prefix, prompt: Sequence[int], attention: str,
                 decode: Sequence[int] = (1,)) -> tuple[int, int, int]:
    """The checked ``(verify, accepted, prefix)`` of a serving run (one-line errors): a decode
    step feeds ``verify + 1`` query rows per request against its cache (a speculative-decoding
    verify step of ``verify`` draft tokens; 0: plain decoding), of which ``accepted`` (1 ..
    ``verify + 1``, default all) are kept, the tokens the step yields and adds to the cache; the
    first ``prefix`` tokens of every prompt are cached before its prefill (a prefix-cache hit:
    only the rest is prefilled, against the whole prompt); ``verify`` with no decode step in
    ``decode`` (every request's 0) is refused: there would be no step to verify."""
    verify, accepted, prefix = map(integer, (verify, accepted, prefix))
    for name, v in (("verify", verify), ("prefix", prefix)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise WorkloadError(f"{GEN}: {arg(name)} must be an integer >= 0, got {v!r}")
    if accepted is None:
        accepted = verify + 1
    if isinstance(accepted, bool) or not isinstance(accepted, int) or not 1 <= accepted <= verify + 1:
        raise WorkloadError(f"{GEN}: {arg('accepted')} must be an integer from 1 to "
                            f"{arg('verify')} + 1 = {verify + 1} (the tokens a step keeps), got {accepted!r}")
    if verify and max(decode) == 0:
        raise WorkloadError(f"{GEN}: {arg_is('verify', verify)} with {arg_is('decode', 0)}: there is no "
                            f"decode step to verify; give {arg('decode')} >= 1, or {arg_is('verify', 0)}")
    if verify and attention == "padded":
        raise WorkloadError(f"{GEN}: {arg_is('verify', verify)} with {arg_is('attention', 'padded')}: the "
                            "padded attention is one query row per request; give --attention per-request")
    if prefix and prefix >= min(prompt):
        raise WorkloadError(f"{GEN}: {arg_is('prefix', prefix)} must be shorter than every prompt "
                            f"(the shortest is {min(prompt)} tokens): a prefill computes at least one token")
    return verify, accepted, prefix


def schedule(prompt: Sequence[int], decode: Sequence[int], batch: int, batching: str, grow: int = 1):
    """The iterations of serving requests with prompts ``prompt`` and ``decode`` steps each (one
    per request), at most ``batch`` at once: yields ``(kind, it, requests, cached, new_stretch)``
    with ``kind`` "prefill" (``requests`` just admitted) or "decode" (the running requests;
    ``cached``: each one's cached tokens before the step, ``P_r + k``), ``it`` the iteration
    number (a prefill and the decode step after it share it) and ``new_stretch`` whether a decode
    step follows an admission or a change of the running set (identical steps in between).
    Static batching admits only into an empty batch, continuous into any free slot before a
    decode step. :func:`llm_serving` and the serving trace (:mod:`cimsim.zoo.serve`) build it,
    with the rows a static batch computes (:func:`computed_decode`) as ``decode``; ``grow``: the
    tokens each decode step adds to a request's cache (1; a verify step's accepted tokens)."""
    waiting = list(range(len(prompt)))
    running: list[int] = []
    done = [0] * len(prompt)
    last: list[int] | None = None
    it = 0
    while waiting or running:
        admitted = False
        if waiting and len(running) < batch and (batching == "continuous" or not running):
            admitted = True
            new = waiting[:batch - len(running)]
            waiting = waiting[len(new):]
            yield "prefill", it, new, [prompt[r] for r in new], True
            running += [r for r in new if decode[r] > 0]
            if not running:
                it += 1
                continue
        new_stretch = admitted or running != last
        last = list(running)
        yield "decode", it, list(running), [prompt[r] + grow * done[r] for r in running], new_stretch
        for r in running:
            done[r] += 1
        running = [r for r in running if done[r] < decode[r]]
        it += 1


class AdmissionGate:
    """An op appender (``op(name, kind, inputs, outputs, **fields)``, as
    :meth:`WorkloadBuilder.op`) that makes a prefill wait for the iteration before it.

    Inside ``with gate.after(ids):`` (``ids``: the tensors of sampled token ids the iteration
    before produced), every op appended that reads no tensor produced inside it (a
    root of the prefill: the embedding of its prompt, a position or mask input) also reads
    those tensors, a few bytes each (one id per request), as an engine's scheduler reads
    which requests finished before it admits new ones. Without it a queued request's prefill
    reads only fresh model inputs, and the DES starts it on any idle unit at time 0, beside the
    batch it waits for. Outside such a ``with`` it appends ops unchanged."""

    def __init__(self, op: Callable[..., int]):
        self._op = op
        self._after: list = []
        self._made: set = set()

    @contextmanager
    def after(self, tensors: Sequence):
        """Gate the ops appended inside the ``with`` on ``tensors`` (ids or names; none: no
        gate)."""
        self._after, self._made = list(dict.fromkeys(tensors)), set()
        try:
            yield self
        finally:
            self._after, self._made = [], set()

    def __call__(self, name: str, kind: str, inputs: Sequence, outputs: Sequence, **fields) -> int:
        if self._after:
            if not any(t in self._made for t in inputs):
                added = [t for t in self._after if t not in inputs]
                inputs = [*inputs, *added]
                fields = _gated_chains(fields, len(added))
            self._made.update(outputs)
        return self._op(name, kind, inputs, outputs, **fields)


def _gated_chains(fields: dict, n: int) -> dict:
    """``fields`` of an op given ``n`` gate inputs after its own: its per-input chain tags
    (``chain_in``, ``chain_io``) gain an entry each, the op's whole chain (it starts after them:
    to each output its ``chain_out``, else the most any input reaches it), so they still hold
    one entry per input."""
    tags = fields.get("tags")
    if not n or not tags or not any(k in tags for k in ("chain_in", "chain_io")):
        return fields
    tags, c = dict(tags), tags.get("chain_ops", 1)
    if "chain_in" in tags:
        tags["chain_in"] = [*tags["chain_in"], *[max(tags["chain_in"], default=c)] * n]
    if "chain_io" in tags:
        io = tags["chain_io"]
        cols = len(io[0]) if io else len(tags.get("chain_out") or [])
        row = list(tags.get("chain_out") or [max((r[b] for r in io if r[b] is not None), default=c)
                                              for b in range(cols)])
        tags["chain_io"] = [*io, *[list(row) for _ in range(n)]]
    return {**fields, "tags": tags}
