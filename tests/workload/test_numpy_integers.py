"""NumPy integers as workload sizes (find-F #3): a DSE loop draws its sizes with
``rng.integers`` (``np.int64``); the generators refused them with "hidden must be an integer
>= 1, got np.int64(118)". Each generator now reads them as the Python ints they stand for: the
workload equals the one built from Python ints, and its metadata holds Python ints (JSON)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cimsim.errors import WorkloadError
from cimsim.workload import generators as G
from cimsim.workload.llm import LLMModel, llm_serving

CALLS = {
    "lstm": (G.lstm, dict(input_size=64, hidden=118, layers=2, steps=3, batch=2)),
    "gru": (G.gru, dict(input_size=32, hidden=48, steps=3)),
    "hier_attn": (G.hier_attn, dict(seq_len=20, d_model=64, heads=4, window=5, batch=1)),
    "transformer": (G.transformer, dict(seq_len=8, d_model=64, heads=4, ffn=128, layers=2)),
    "tcn": (G.tcn, dict(steps=16, channels=8, kernel=3, layers=2)),
    "matmul": (G.matmul, dict(m=8, k=16, n=4, count=3)),
}


@pytest.mark.parametrize("gen", CALLS)
@pytest.mark.parametrize("np_int", [np.int64, np.int32, np.uint16])
def test_a_generator_takes_numpy_integers(gen, np_int):
    f, kwargs = CALLS[gen]
    given = {k: np_int(v) for k, v in kwargs.items()}
    w = f(**given)
    assert w == f(**kwargs)
    json.dumps(w.metadata)  # Python ints: np.int64 is not JSON serialisable


def test_a_numpy_bool_or_float_is_still_refused():
    with pytest.raises(WorkloadError, match=r"hidden must be an integer >= 1, got np.True_"):
        G.lstm(64, np.True_, steps=3)
    with pytest.raises(WorkloadError, match=r"steps must be an integer >= 1, got np.float64\(3.0\)"):
        G.lstm(64, 8, steps=np.float64(3.0))


def _model(cast):
    # a 2-layer GPT-2-like shape: hidden 64, 4 heads of 16, ffn 4 x 64
    return LLMModel(layers=cast(2), hidden=cast(64), heads=cast(4), kv_heads=cast(4), ffn=cast(256),
                    vocab=cast(100), head_dim=cast(16), gated=False, positions=cast(64))


def test_llm_serving_takes_numpy_integers():
    m = _model(np.int64)
    assert m == _model(int) and type(m.hidden) is int and type(m.positions) is int
    kw = dict(prompt=8, decode=[2, 3], batch=2, sub_batches=1, tensor_parallel=2,
              pipeline_parallel=1, micro_batches=1)
    given = {k: [np.int64(x) for x in v] if isinstance(v, list) else np.int64(v) for k, v in kw.items()}
    w = llm_serving(_model(int), **given)
    assert w == llm_serving(_model(int), **kw)
    json.dumps(w.metadata)
