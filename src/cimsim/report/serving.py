"""What a serving workload's parameters (``metadata.params``, as ``cimsim workload llm`` and
``trace --serve`` write them) tell the report: the tensor-parallel devices it is one share of,
the verify steps whose draft model it does not hold, and the chained vision encoder each
tensor-parallel share holds whole."""

from __future__ import annotations

import numpy as np

from . import columns as C
from ..errors import WorkloadError


def tensor_parallel_of(metadata) -> int:
    """Devices N a serving workload is one tensor-parallel share of (``metadata["params"]
    ["tensor_parallel"]``, as ``cimsim workload llm`` and ``trace --serve`` write it; 1 when
    absent); a malformed value is a one-line :class:`WorkloadError`."""
    params = metadata.get("params") if isinstance(metadata, dict) else None
    n = params.get("tensor_parallel", 1) if isinstance(params, dict) else 1
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise WorkloadError(f"metadata.params.tensor_parallel must be an integer >= 1, got {n!r}")
    return n


def verify_note(metadata) -> str | None:
    """The run note of a workload of speculative decoding's verify steps (``params.verify`` K
    > 0, ``params.accepted`` A: ``cimsim workload llm --verify K --accepted A``): each step
    checks K draft tokens and keeps A, but the draft model that proposed them is not in the
    workload, so time per output token, tokens/s and tokens/J leave out its K decode steps per
    verify step; None for any other workload."""
    params = metadata.get("params") if isinstance(metadata, dict) else None
    k = params.get("verify", 0) if isinstance(params, dict) else 0
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        return None
    a = params.get("accepted", k + 1)
    return (f"verify steps: each decode step checks {k} draft tokens and keeps {a}; the draft "
            f"model's {k} decode steps per verify step (and its prefill) are not in the latency, "
            "energy, time per output token, tokens/s or tokens/J; add them: run the draft "
            f"(cimsim workload llm of its shape, the same --prompt, --decode {k} x this run's "
            "--decode) and add its latency and energy")


def graph_note(metadata) -> str | None:
    """The run note of a workload whose decode steps are CUDA-graph replays (``params.cuda_graph``:
    ``cimsim workload llm --cuda-graph``): one launch a step, whatever the host, so a CPU or a
    CIM host that dispatches op by op is credited with a graph it has not; None otherwise."""
    params = metadata.get("params") if isinstance(metadata, dict) else None
    if not (isinstance(params, dict) and params.get("cuda_graph") is True):
        return None
    return ("cuda graph: each decode or verify step is one launch (--cuda-graph: a GPU's CUDA-graph "
            "replay, op_overhead and one access latency once a step); a host without graphs (a CPU, "
            "a CIM's host) dispatches op by op, so compare such a host on the eager workload")


def encoder_tp_note(metadata) -> str | None:
    """The run note of a tensor-parallel share that chains a vision encoder (``params.
    vision_workload`` with ``tensor_parallel`` N > 1, review 22 E 3): the encoder is copied
    whole into each device's share, not sharded as vLLM shards it (a traced encoder's matmuls
    are not split), so TTFT holds the whole encoder's time and tokens/J its energy N times;
    None for any other workload."""
    params = metadata.get("params") if isinstance(metadata, dict) else None
    if not (isinstance(params, dict) and params.get("vision_workload") is not None):
        return None
    n = tensor_parallel_of(metadata)
    if n < 2:
        return None
    macs = params.get("vision_macs")
    each = f" ({macs:,} MACs a request)" if isinstance(macs, int) and not isinstance(macs, bool) else ""
    return (f"tensor parallel: the chained vision encoder {params['vision_workload']!r}{each} runs "
            f"whole on each of the {n} devices (replicated, not sharded: cimsim does not split a traced "
            f"encoder's matmuls), so TTFT holds the whole encoder's time, where a sharded one would take "
            f"about 1/{n} of it plus its all-reduces, and tokens/J counts its energy {n} times")


def serving_metrics(llm, end: np.ndarray, latency: float, energy: float) -> dict[str, float]:
    """Time to first token, time per output token, tokens/s and tokens/J of an LLM serving
    run (``llm``: the workload's ``metadata["llm"]``; nothing when it is absent). Per request
    ``r``: TTFT_r = end of the op giving its first token; TPOT_r = (end of its last token's op -
    TTFT_r) / (tokens_r - 1); both averaged over requests (TPOT over those with 2+ tokens).
    The section was checked where the workload was built or loaded (op indices in range, lengths,
    tokens >= 1: :mod:`cimsim.workload.llm_meta`)."""
    if not isinstance(llm, dict) or "first_token_ops" not in llm:
        return {}
    first = end[np.asarray(llm["first_token_ops"], dtype=np.int64)]
    last = end[np.asarray(llm["last_token_ops"], dtype=np.int64)]
    tokens = np.asarray(llm["output_tokens"], dtype=np.float64)
    total = float(tokens.sum())
    ends = end[np.asarray(llm.get("step_end_ops", []), dtype=np.int64)]
    span = np.diff(np.concatenate([[0.0], ends]))  # each iteration from the one before it
    dec = np.asarray(llm.get("step_kind", []), dtype=object) == "decode"
    dec_s = float(span[dec].sum()) if dec.any() else 0.0
    dec_tok = float(np.asarray(llm.get("step_tokens", []), dtype=np.float64)[dec].sum()) if dec.any() else 0.0
    out = serving_columns(first, last, tokens, total, latency, energy, dec_tok, dec_s)
    if ends.size:  # find-E3 3: from the start of the iteration that made each first token to it
        at = np.searchsorted(np.asarray(llm["step_end_ops"], dtype=np.int64),
                             np.asarray(llm["first_token_ops"], dtype=np.int64))
        start = np.concatenate([[0.0], ends])[np.minimum(at, ends.size)]
        out[C.REQUEST_PREFILL_STEP_S] = [float(v) for v in np.maximum(first - start, 0.0)]
    return out


def serving_columns(first: np.ndarray, last: np.ndarray, tokens: np.ndarray, total: float,
                    latency: float, energy: float, dec_tok: float, dec_s: float) -> dict[str, object]:
    """The serving columns from per-request first/last token times and output ``tokens``, the
    run's ``total`` tokens, ``latency`` and ``energy``, and the decode iterations' tokens and
    seconds (NaN where a quantity has no denominator): the means, the percentiles and maxima
    over requests (:data:`~cimsim.report.columns.PERCENTILES`, NumPy's linear interpolation),
    and under :data:`~cimsim.report.columns.REQUEST_TTFT_S` / ``REQUEST_TPOT_S`` the
    per-request lists (TPOT NaN for a request of one token), which :func:`take_requests` moves
    out of the columns."""
    nan = float("nan")
    more = tokens > 1
    tpot = np.full(first.shape, nan)
    tpot[more] = (last - first)[more] / (tokens[more] - 1)

    def spread(x: np.ndarray, names: tuple[str, ...]) -> dict[str, float]:
        if not x.size:
            return dict.fromkeys(names, nan)
        q = np.percentile(x, C.PERCENTILES)  # method="linear", numpy's default (type 7)
        return {**{n: float(v) for n, v in zip(names, q)}, names[-1]: float(x.max())}
    return {
        C.TTFT_S: float(first.mean()) if first.size else nan,
        C.TPOT_S: float(tpot[more].mean()) if more.any() else nan,
        C.TOKENS_PER_S: total / latency if latency > 0 else nan,
        C.TOKENS_PER_J: total / energy if energy > 0 else nan,
        C.TOKENS_PER_RUN: total,
        C.DECODE_TOKENS_PER_S: dec_tok / dec_s if dec_s > 0 else nan,
        **spread(first, C.TTFT_SPREAD), **spread(tpot[more], C.TPOT_SPREAD),
        C.REQUEST_TTFT_S: [float(v) for v in first],
        C.REQUEST_TPOT_S: [float(v) for v in tpot],
    }


def take_requests(serving: dict) -> dict[str, list[float]]:
    """Pop the per-request lists out of :func:`serving_columns`' dict (they are ``--json``
    lists, :attr:`Result.serving_requests`, not result columns) and return them."""
    return {k: serving.pop(k) for k in (C.REQUEST_TTFT_S, C.REQUEST_TPOT_S, C.REQUEST_PREFILL_STEP_S)
            if k in serving}
