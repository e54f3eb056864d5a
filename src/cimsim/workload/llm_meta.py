"""The ``metadata["llm"]`` section of an LLM serving workload, checked when a workload is built
or loaded (:func:`check_llm_metadata`), before the serving report reads it.

The section (written by :func:`cimsim.workload.llm.llm_serving` and
:func:`cimsim.zoo.serve.trace_serving`) holds, for ``R >= 1`` requests and ``I >= 1``
iterations (a prefill or a decode step each) of a workload of ``N`` ops:

- per request: ``first_token_ops`` (the op whose end gives its first token),
  ``last_token_ops`` (its last token's op) and ``output_tokens`` (its tokens, 1 from the
  prefill and one per decode step, ``A`` per step with ``--verify K --accepted A``): op indices in ``0..N-1``, ``first == last`` when the
  request has one token and ``first < last`` when it has more (its decode steps come after its
  prefill; else its time per output token would be 0 s);
- per iteration: ``step_kind`` ("prefill" or "decode"), ``step_end_ops`` (its last op: strictly
  increasing, the last one the workload's last op, so that the iterations partition the ops),
  ``step_tokens`` (the tokens it yields, >= 1: one per request it prefills or decodes) and
  ``step_macs`` (its MACs, >= 0); the tokens of all iterations are the requests' output tokens;
- ``generated_tokens``: the sum of ``output_tokens``;
- ``pipeline`` (a pipeline-parallel run): ``{stages, micro_batches}``, integers >= 1, and an
  optional ``schedule``: ``flush`` (the default) or ``noflush`` (:mod:`cimsim.report.pipeline`).

The per-request lists are required; ``step_kind``, ``step_end_ops`` and ``step_tokens`` come
together or not at all (``step_macs`` and ``generated_tokens`` may be left out, ``pipeline``
needs the iterations). A violation is a one-line :class:`WorkloadError` naming the field, the
value and what is allowed.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from ..errors import WorkloadError
from .checks import is_int as _int

PER_REQUEST = ("first_token_ops", "last_token_ops", "output_tokens")
PER_ITERATION = ("step_kind", "step_end_ops", "step_tokens")
STEP_KINDS = ("prefill", "decode")
KNOWN = PER_REQUEST + PER_ITERATION + ("step_macs", "generated_tokens", "pipeline")


def _show(v: Any) -> str:
    s = repr(v)
    return s if len(s) <= 40 else s[:37] + "..."


def check_llm_metadata(name: str, metadata: Mapping[str, object], n_ops: int) -> None:
    """Raise the one-line WorkloadError of the first rule (module docstring) ``metadata["llm"]``
    breaks; nothing when the workload has no ``llm`` section."""
    if "llm" not in metadata:
        return
    llm = metadata["llm"]
    where = f"workload '{name}': metadata.llm"

    def fail(msg: str):
        raise WorkloadError(f"{where}{msg}")

    if not isinstance(llm, dict):
        fail(f" must be an object (the serving run's requests and iterations), got {_show(llm)}")
    unknown = sorted(set(llm) - set(KNOWN))
    if unknown:
        fail(f" has unknown field '{unknown[0]}'; allowed: {', '.join(KNOWN)}")
    ops = f"an op index (0..{n_ops - 1})"
    length_of = {k: "request" for k in PER_REQUEST}
    length_of.update({k: "iteration" for k in PER_ITERATION + ("step_macs",)})

    def int_list(key: str, length: int | None, what: str, lo: int, hi: int | None = None) -> list:
        v = llm[key]
        if not isinstance(v, list) or not v:
            fail(f".{key} must be a non-empty list, one entry per {length_of[key]}, each {what}; "
                 f"got {_show(v)}")
        if length is not None and len(v) != length:
            fail(f".{key} has {len(v)} entries; it must have one per {length_of[key]} ({length})")
        for i, x in enumerate(v):
            if not _int(x) or x < lo or (hi is not None and x > hi):
                fail(f".{key}[{i}] = {_show(x)} is not {what}")
        return v

    missing = [k for k in PER_REQUEST if k not in llm]
    if missing:
        fail(f".{missing[0]} is missing; a serving run gives {', '.join(PER_REQUEST)} (one per request)")
    first = int_list("first_token_ops", None, ops, 0, n_ops - 1)
    n_req = len(first)
    last = int_list("last_token_ops", n_req, ops, 0, n_ops - 1)
    tokens = int_list("output_tokens", n_req, "an integer >= 1 (its tokens)", 1)
    for r, (f, l, t) in enumerate(zip(first, last, tokens)):
        if t == 1 and l != f:
            fail(f".last_token_ops[{r}] = {l} must equal first_token_ops[{r}] = {f}: request {r} "
                 "has one output token")
        if t > 1 and l <= f:
            fail(f".last_token_ops[{r}] = {l} must be after first_token_ops[{r}] = {f}: request {r} "
                 f"has {t} output tokens")
    total = sum(tokens)
    if "generated_tokens" in llm and (not _int(llm["generated_tokens"])
                                      or llm["generated_tokens"] != total):
        fail(f".generated_tokens = {_show(llm['generated_tokens'])} must be the sum of "
             f"output_tokens ({total})")
    given = [k for k in PER_ITERATION if k in llm]
    if not given:
        for k in ("step_macs", "pipeline"):
            if k in llm:
                fail(f".{k} needs the iterations: {', '.join(PER_ITERATION)}")
        return
    if len(given) < len(PER_ITERATION):
        gone = next(k for k in PER_ITERATION if k not in llm)
        fail(f".{gone} is missing; the iterations are given by {', '.join(PER_ITERATION)} together")
    kinds = llm["step_kind"]
    if not isinstance(kinds, list) or not kinds:
        fail(f".step_kind must be a non-empty list, one entry per iteration, each "
             f"{' or '.join(STEP_KINDS)}; got {_show(kinds)}")
    for i, k in enumerate(kinds):
        if k not in STEP_KINDS:
            fail(f".step_kind[{i}] = {_show(k)} is not one of {', '.join(STEP_KINDS)}")
    n_it = len(kinds)
    ends = int_list("step_end_ops", n_it, ops, 0, n_ops - 1)
    for i in range(1, n_it):
        if ends[i] <= ends[i - 1]:
            fail(f".step_end_ops[{i}] = {ends[i]} must be after step_end_ops[{i - 1}] = "
                 f"{ends[i - 1]} (strictly increasing)")
    if ends[-1] != n_ops - 1:
        fail(f".step_end_ops[{n_it - 1}] = {ends[-1]} must be the last op ({n_ops - 1}): the "
             "iterations hold every op")
    step_tokens = int_list("step_tokens", n_it, "an integer >= 1 (the iteration's tokens)", 1)
    if sum(step_tokens) != total:
        fail(f".step_tokens sum to {sum(step_tokens)}; they must sum to the output tokens of all "
             f"requests ({total})")
    if "step_macs" in llm:
        int_list("step_macs", n_it, "an integer >= 0 (the iteration's MACs)", 0)
    if "pipeline" in llm:
        pipe = llm["pipeline"]
        if not isinstance(pipe, dict) or not {"stages", "micro_batches"} <= set(pipe) <= {
                "stages", "micro_batches", "schedule"}:
            fail(f".pipeline must be {{stages: N, micro_batches: M}} (and an optional schedule: "
                 f"flush or noflush), got {_show(pipe)}")
        for k in ("stages", "micro_batches"):
            if not _int(pipe[k]) or pipe[k] < 1:
                fail(f".pipeline.{k} = {_show(pipe[k])} is not an integer >= 1")
        if pipe.get("schedule", "flush") not in ("flush", "noflush"):  # report/pipeline.py
            fail(f".pipeline.schedule = {_show(pipe['schedule'])} is not flush (a barrier between "
                 "iterations, GPipe) or noflush (none)")


def op_iterations(metadata: Mapping[str, object], n_ops: int) -> np.ndarray | None:
    """int64 per op: its iteration, the index of the first ``step_end_ops`` at or after it
    (the iterations partition the ops); None where the workload states no iterations."""
    ends = (metadata.get("llm") or {}).get("step_end_ops") if isinstance(metadata, Mapping) else None
    if not ends:
        return None
    return np.searchsorted(np.asarray(ends, dtype=np.int64), np.arange(n_ops)).astype(np.int64)
