"""Pipeline-parallel serving over p devices with m micro-batches (GPipe), closed form.

``cimsim workload llm --pipeline-parallel p --micro-batches m`` writes one micro-batch's
serving run with its layers in p stages (a ``sendrecv`` op at each stage boundary and one
returning the sampled tokens to the first stage; ``metadata["llm"]["pipeline"]``). The DES
runs it on one simulated device, the stages one after another: iteration ``i`` (a prefill or
a decode step) spends ``t_{i,s}`` in stage ``s``, from the end of the send that enters it (the
iteration's start for the first) to the end of the send that leaves it (the iteration's end
for the last, its token return included).

On p devices, one stage each, the m identical micro-batches follow one another through the
stages and an iteration ends when the last one leaves (GPipe: the next iteration's tokens
depend on this one's). Micro-batch ``j`` (0-based) leaves stage ``s`` at
``C(j, s) = max(C(j-1, s), C(j, s-1)) + t_s``; for identical micro-batches this is
``C(j, s) = sum_{u <= s} t_u + j max_{u <= s} t_u`` (a flow shop of identical jobs: the
slowest stage so far sets the spacing), so the iteration takes

    T_i = sum_s t_{i,s} + (m - 1) max_s t_{i,s}      (equal stages t: (m + p - 1) t).

Micro-batch ``j``'s tokens of iteration ``i`` come ``sum_s t_{i,s} + j max_s t_{i,s}`` after
the iteration starts. Energy: every micro-batch does the simulated micro-batch's dynamic
energy, and each of the p devices draws the simulated device's static power for the whole
run: ``E = m E_dynamic + p P_static sum_i T_i``.

That is the ``flush`` schedule (the default, ``metadata["llm"]["pipeline"]["schedule"]``,
``cimsim run --pipeline-schedule``). Under ``noflush`` (find-C3 3: a spatial dataflow machine's
layer pipeline, Cerebras' pipelined mode, Groq's schedule) there is no barrier between
iterations: every stage takes the jobs in the order (iteration, micro-batch) (first come, first
served, as the GPipe order), and micro-batch ``j``'s iteration ``i`` enters stage 0 at
``max(R(i-1, j), stage 0 free)``, ``R(i-1, j)`` its previous tokens' return, then

    C(i, j, s) = max(C(i, j, s-1), C(previous job, s)) + t_{i,s},    R(i, j) = C(i, j, p-1),

the flow-shop recurrence of the flush without its per-iteration barrier. With equal stages
``t`` a step of every micro-batch then takes ``max(p, m) t`` (``p t`` at ``m = p``, not
``(2p - 1) t``); with unequal stages ``max(sum_s t_s, m max_s t_s)`` in the steady state: the
token's round trip or the bottleneck stage's m jobs. Micro-batch ``j``'s tokens of iteration
``i`` come at ``R(i, j)``; iteration ``i``'s time, what decode tokens/s divides, is
``R(i, m-1) - R(i-1, m-1)`` (its last micro-batch's tokens after the previous iteration's:
the flush's ``T_i``, summing to the run's time). With one micro-batch the two schedules agree.

The steady step (``tpot_steady_s``, find-C4 6): each request's TPOT includes its first decode
step, which under either schedule waits behind the other micro-batches' prefills (micro-batch
0's first step ~ p - 1 prefills late), so the mean and percentiles over requests say little of
the streaming rate. ``tpot_steady_s`` is the mean of the intervals ``R(i, j) - R(i-1, j)``
between one micro-batch's successive tokens over the decode iterations ``i`` whose previous
tokens came at or after the last micro-batch's last prefill tokens (every micro-batch has left
prefill): with the decode stage times ``t_s``, ``max(sum_s t_s, m max_s t_s)`` under
``noflush`` and ``sum_s t_s + (m - 1) max_s t_s`` under ``flush`` (its ``R(i, j) = start_i +
sum_s t_{i,s} + j max_s t_{i,s}``); for p equal stages ``t`` these are ``max(p, m) t`` and
``(m + p - 1) t`` (review C4 3: a last stage with the lm_head is never equal; stages 0.8632 /
0.8622 / 0.8622 / 0.9733 us, m = 4: 3.893 and 6.481 us). A run of one decode step per
micro-batch still has one: micro-batch m - 1's, whose previous tokens are the last prefill's
(review C4 2). NaN only when no decode iteration follows the last prefill (``--decode 0``).

What this leaves out: the stage times are those of the micro-batch alone on a device (each
device runs one micro-batch at a time, so nothing else contends for it); a send overlapping
the next micro-batch's compute on the sender is charged to the sender (an upper bound); under
``noflush``, a stage taking a later job ahead of an earlier one that is not ready (the order
is fixed).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ..errors import WorkloadError
from ..workload.kinds import SENDRECV
from .columns import TPOT_STEADY_S
from .serving import serving_columns


def gpipe_iteration_s(stage_s: ArrayLike, micro_batches: int) -> float | np.ndarray:
    """``T = sum_s t_s + (m - 1) max_s t_s`` (module docstring) over the last axis: a float for
    one iteration's stage times, an array of one ``T`` per iteration for ``t[i, s]``."""
    t = np.asarray(stage_s, dtype=np.float64)
    T = t.sum(axis=-1) + (micro_batches - 1) * t.max(axis=-1)
    return float(T) if T.ndim == 0 else T


SCHEDULES = ("flush", "noflush")


def noflush_returns_s(stage_s: ArrayLike, micro_batches: int) -> np.ndarray:
    """``R[i, j]``: when micro-batch ``j``'s tokens of iteration ``i`` return to stage 0 under the
    ``noflush`` schedule (module docstring), from the stage times ``t[i, s]`` (s)."""
    t = np.asarray(stage_s, dtype=np.float64).tolist()
    free = [0.0] * (len(t[0]) if t else 0)  # when each stage ends its last job
    back = [0.0] * micro_batches  # each micro-batch's last tokens' return
    out = np.empty((len(t), micro_batches))
    for i, row in enumerate(t):
        for j in range(micro_batches):
            c = back[j]
            for s, ts in enumerate(row):
                c = free[s] = max(c, free[s]) + ts
            back[j] = out[i, j] = c
    return out


def with_schedule(wl, schedule: str) -> None:
    """Set ``wl``'s ``metadata["llm"]["pipeline"]["schedule"]`` (``run --pipeline-schedule``);
    a workload that is not a pipeline-parallel serving run is refused in one line."""
    llm = wl.metadata.get("llm")
    if not (isinstance(llm, dict) and isinstance(llm.get("pipeline"), dict)):
        raise WorkloadError(f"--pipeline-schedule {schedule}: workload '{wl.name}' is not a "
                            "pipeline-parallel serving run (make one with cimsim workload llm "
                            "--pipeline-parallel N --micro-batches M)")
    wl.metadata["llm"] = {**llm, "pipeline": {**llm["pipeline"], "schedule": schedule}}


def stage_times(kind: np.ndarray, end: np.ndarray, step_end_ops, stages: int) -> np.ndarray:
    """``t[i, s]``: iteration ``i``'s time in stage ``s`` on the simulated device (module
    docstring); each iteration must hold ``stages`` send/recv ops (the boundaries, then the
    token return)."""
    ends = np.asarray(step_end_ops, dtype=np.int64)
    sr = np.flatnonzero(np.asarray(kind) == SENDRECV)
    it = np.searchsorted(ends, sr, side="left")
    t = np.zeros((len(ends), stages))
    prev = 0.0
    for i, e in enumerate(ends):
        mine = sr[it == i]
        if len(mine) != stages:
            raise WorkloadError(f"pipeline of {stages} stages: iteration {i} has {len(mine)} "
                                f"send/recv ops; a pipelined serving run has {stages} per "
                                "iteration (one per stage boundary and the token return)")
        b = np.concatenate([[prev], end[mine[:-1]], [end[e]]])
        t[i] = np.diff(b)
        prev = float(end[e])
    return t


def pipelined_serving(llm: dict, kind: np.ndarray, end: np.ndarray, energy_j: float,
                      static_j: float, latency_s: float) -> tuple[dict[str, float], float, float]:
    """The serving metrics (:data:`cimsim.report.columns.SERVING_COLUMNS`) of the pipeline
    (module docstring) from the DES run of one micro-batch: ``end`` per op, its energy, the
    static part of it and its latency; with the pipeline's time (s) and energy (J) over all its
    micro-batches, what the per-sample figures divide."""
    pipe = llm["pipeline"]
    p, m = int(pipe["stages"]), int(pipe["micro_batches"])
    t = stage_times(kind, end, llm["step_end_ops"], p)
    ends = np.asarray(llm["step_end_ops"], dtype=np.int64)
    if pipe.get("schedule", "flush") == "noflush":
        back = noflush_returns_s(t, m)  # R[i, j]
        T = np.diff(back[:, -1], prepend=0.0)  # iteration i: its last micro-batch's tokens
        latency = float(back[-1, -1])

        def when(ops):  # when each op's tokens come out, micro-batch 0's requests first
            return back[np.searchsorted(ends, np.asarray(ops, dtype=np.int64), side="left")].T.ravel()
    else:
        first_out = t.sum(axis=1)  # micro-batch 0's tokens, after the iteration's start
        spacing = t.max(axis=1)  # between micro-batches
        T = gpipe_iteration_s(t, m)
        start = np.concatenate([[0.0], np.cumsum(T)[:-1]])
        latency = float(T.sum())
        j = np.arange(m, dtype=np.float64)[:, None]  # micro-batch j's copy of each request

        def when(ops):  # when each op's tokens come out, micro-batch 0's requests first
            k = np.searchsorted(ends, np.asarray(ops, dtype=np.int64), side="left")
            return (start[k] + first_out[k] + j * spacing[k]).ravel()
        back = (start + first_out)[:, None] + (j * spacing[None, :]).T  # R[i, j]
    first, last = when(llm["first_token_ops"]), when(llm["last_token_ops"])
    tokens = np.tile(np.asarray(llm["output_tokens"], dtype=np.float64), m)
    static_w = static_j / latency_s if latency_s > 0 else 0.0
    energy = m * (energy_j - static_j) + p * static_w * latency
    total = float(tokens.sum())  # every micro-batch's requests
    dec = np.asarray(llm["step_kind"], dtype=object) == "decode"
    dec_s = float(T[dec].sum())
    dec_tok = m * float(np.asarray(llm["step_tokens"], dtype=np.float64)[dec].sum())
    columns = serving_columns(first, last, tokens, total, latency, energy, dec_tok, dec_s)
    columns[TPOT_STEADY_S] = steady_step_s(back, dec)
    return columns, latency, float(energy)


def steady_step_s(back: np.ndarray, decode: np.ndarray) -> float:
    """``tpot_steady_s`` (module docstring) from the token times ``R[i, j]`` and which iterations
    are decode steps: the mean ``R(i, j) - R(i-1, j)`` over decode iterations ``i`` with
    ``R(i-1, j)`` at or after the last prefill iteration's last tokens; NaN without one."""
    pre = np.flatnonzero(~np.asarray(decode, dtype=bool))
    done = back[pre[-1], -1] if pre.size else -np.inf  # every micro-batch has left prefill
    step = np.diff(back, axis=0)  # step[i - 1, j] = R(i, j) - R(i - 1, j)
    keep = np.asarray(decode, dtype=bool)[1:, None] & (back[:-1] >= done * (1 - 1e-12))
    return float(step[keep].mean()) if keep.any() else float("nan")


def apply_pipeline(result, llm: dict, wl, end: np.ndarray, tp: int, latency_s: float,
                   micro_samples: int) -> None:
    """Make ``result`` (the simulated micro-batch's) the pipeline's: its serving figures, and its
    per-sample figures over every micro-batch's requests, the pipeline's time and energy, as
    tokens/s and tokens/J (find-C 2: 255.0 mJ and 797 samples/s beside them, not 195.0 and 1,048),
    with a note saying what latency and energy stay."""
    from .format import si
    from .samples import per_sample_facts

    pipe = llm["pipeline"]
    result.serving, span_s, span_j = pipelined_serving(
        llm, wl.columns.kind, end, tp * result.energy_j,
        tp * result.energy_breakdown_j.get("static", 0.0), latency_s)
    result.samples = micro_samples * int(pipe["micro_batches"])
    result.pipeline_span_s, result.pipeline_span_j = span_s, span_j
    result.pipeline_micro_batches = int(pipe["micro_batches"])
    result.facts.update(per_sample_facts(wl.metadata, result.samples, span_s, span_j))
    result.one_device_share, result.pipeline_stages = True, int(pipe["stages"])
    devices = (f"{pipe['stages']} stages of {tp} devices each ({pipe['stages'] * tp} devices)"
               if tp > 1 else f"{pipe['stages']} devices")
    sched = ("no flush between iterations: each micro-batch's next step enters stage 0 when "
             "its tokens return and stage 0 is free" if pipe.get("schedule") == "noflush" else
             "GPipe, a flush between iterations; --pipeline-schedule noflush streams them")
    result.notes.append(f"pipeline parallel: {devices}, {pipe['micro_batches']} "
                        f"micro-batch(es) ({sched}; closed form): the serving and per-sample figures "
                        "are the pipeline's, as are throughput_macs_per_s and the system_* columns "
                        "(power, OPS/W, energy: every micro-batch over pipeline_span_s); latency_s, "
                        "energy_j, average_power_w and ops_per_j are one micro-batch through the "
                        f"stages in turn on one device (latency_s {si(latency_s, 's')}, not the "
                        f"run's time: the run, its last request served, is pipeline_span_s "
                        f"{si(span_s, 's')}; compare --baseline's ratios use the run's)")
