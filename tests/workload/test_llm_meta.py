"""The ``metadata.llm`` section of a serving workload is checked where the workload is built or
loaded (workload/llm_meta.py): a bad one is a one-line error naming the field, the value and
what is allowed, not a traceback in the serving report or an impossible figure (0 tokens/s from
``output_tokens: [0, 0]``, a negative op index reading the last op).

The workload: 2 requests of 4 prompt tokens and 2 decode steps, static batch 2, so 3 iterations
(a prefill, 2 decode steps) and 3 output tokens a request (1 + 2), 6 in all.
"""

from __future__ import annotations

import copy
import json

import pytest
from click.testing import CliRunner

from cimsim.cli import main
from cimsim.errors import WorkloadError
from cimsim.workload import Workload, load_workload
from cimsim.workload.io import save_workload
from cimsim.workload.llm import LLMModel, llm_serving
from cimsim.workload.llm_meta import check_llm_metadata

MODEL = LLMModel(layers=2, hidden=32, heads=4, kv_heads=2, ffn=48, vocab=20, head_dim=8, gated=True)


@pytest.fixture(scope="module")
def served():
    return llm_serving(MODEL, prompt=4, decode=2, batch=2)


def _edits(n: int, e: list[int]):
    """(name, edit of metadata.llm, the message); ``n`` ops, ``e`` the 3 iterations' last ops."""
    ops = f"is not an op index (0..{n - 1})"
    return [
        ("first-999", {"first_token_ops": [n, e[0]]}, f"metadata.llm.first_token_ops[0] = {n} {ops}"),
        ("first-negative", {"first_token_ops": [-1, e[0]]}, f"metadata.llm.first_token_ops[0] = -1 {ops}"),
        ("first-text", {"first_token_ops": "abc"},
         "metadata.llm.first_token_ops must be a non-empty list, one entry per request"),
        ("first-bool", {"first_token_ops": [True, e[0]]}, f"metadata.llm.first_token_ops[0] = True {ops}"),
        ("last-short", {"last_token_ops": [e[2]]},
         "metadata.llm.last_token_ops has 1 entries; it must have one per request (2)"),
        ("ends-short", {"step_end_ops": [e[0], e[1]]},
         "metadata.llm.step_end_ops has 2 entries; it must have one per iteration (3)"),
        ("tokens-zero", {"output_tokens": [0, 0]},
         "metadata.llm.output_tokens[0] = 0 is not an integer >= 1"),
        ("tokens-negative", {"output_tokens": [-1, 3]},
         "metadata.llm.output_tokens[0] = -1 is not an integer >= 1"),
        ("tokens-float", {"output_tokens": [3.0, 3]},
         "metadata.llm.output_tokens[0] = 3.0 is not an integer >= 1"),
        ("last-before-first", {"last_token_ops": [e[0], e[2]]},
         f"metadata.llm.last_token_ops[0] = {e[0]} must be after first_token_ops[0] = {e[0]}: "
         "request 0 has 3 output tokens"),
        ("one-token-later-op", {"output_tokens": [1, 3], "step_tokens": [2, 1, 1],
                                "generated_tokens": 4},
         f"metadata.llm.last_token_ops[0] = {e[2]} must equal first_token_ops[0] = {e[0]}"),
        ("generated", {"generated_tokens": 7},
         "metadata.llm.generated_tokens = 7 must be the sum of output_tokens (6)"),
        ("kind", {"step_kind": ["prefill", "decode", "verify"]},
         "metadata.llm.step_kind[2] = 'verify' is not one of prefill, decode"),
        ("ends-order", {"step_end_ops": [e[1], e[0], e[2]]},
         f"metadata.llm.step_end_ops[1] = {e[0]} must be after step_end_ops[0] = {e[1]} (strictly increasing)"),
        ("ends-not-last", {"step_end_ops": [e[0], e[1], n - 2]},
         f"metadata.llm.step_end_ops[2] = {n - 2} must be the last op ({n - 1})"),
        ("step-tokens", {"step_tokens": [2, 2, 1]},
         "metadata.llm.step_tokens sum to 5; they must sum to the output tokens of all requests (6)"),
        ("step-macs", {"step_macs": [1, -1, 1]},
         "metadata.llm.step_macs[1] = -1 is not an integer >= 0"),
        ("pipeline", {"pipeline": {"stages": 0, "micro_batches": 1}},
         "metadata.llm.pipeline.stages = 0 is not an integer >= 1"),
        ("unknown", {"output_token": [3, 3]}, "metadata.llm has unknown field 'output_token'"),
    ]


def _cases(w: Workload):
    ends = w.metadata["llm"]["step_end_ops"]
    return _edits(len(w.ops), ends)


CASE_NAMES = [c[0] for c in _edits(100, [10, 20, 99])]


def test_the_generated_section_is_what_the_checks_assume(served):
    llm = served.metadata["llm"]
    n = len(served.ops)
    e = llm["step_end_ops"]
    assert len(e) == 3 and e[2] == n - 1
    assert llm["first_token_ops"] == [e[0], e[0]] and llm["last_token_ops"] == [e[2], e[2]]
    assert llm["output_tokens"] == [1 + 2, 1 + 2] and llm["generated_tokens"] == 6
    assert llm["step_tokens"] == [2, 2, 2]


@pytest.mark.parametrize("case", CASE_NAMES)
def test_a_bad_llm_section_is_refused_where_the_workload_is_built(served, case):
    _, edit, msg = next(c for c in _cases(served) if c[0] == case)
    meta = copy.deepcopy(served.metadata)
    meta["llm"].update(edit)
    with pytest.raises(WorkloadError) as e:
        Workload.from_columns(served.name, served.columns, meta)
    text = str(e.value)
    assert text.startswith(f"workload '{served.name}': ") and msg in text and "\n" not in text


@pytest.mark.parametrize("case", ["first-999", "first-text", "ends-short", "tokens-zero",
                                  "tokens-negative", "first-negative"])
def test_cli_run_refuses_a_bad_llm_section_in_one_line(tmp_path, served, case):
    """The cases of the report: IndexError / ValueError tracebacks, `0 tokens/s ... 0 tokens/J`
    from output_tokens [0, 0], output_tokens [-1, 3] and index -1 (the last op) accepted."""
    _, edit, msg = next(c for c in _cases(served) if c[0] == case)
    path = tmp_path / "w.json"
    save_workload(served, path)
    doc = json.loads(path.read_text())
    doc["metadata"]["llm"].update(edit)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    r = CliRunner().invoke(main, ["run", "gpu-hbm3", str(bad)])
    assert r.exit_code == 1 and isinstance(r.exception, SystemExit), r.output
    lines = r.output.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.output
    assert str(bad) in lines[0] and msg in lines[0]


def test_a_section_without_the_per_request_lists_or_half_the_iterations_is_refused(served):
    for drop, msg in (("output_tokens", "metadata.llm.output_tokens is missing"),
                      ("step_tokens", "metadata.llm.step_tokens is missing; the iterations are "
                                      "given by step_kind, step_end_ops, step_tokens together")):
        meta = copy.deepcopy(served.metadata)
        del meta["llm"][drop]
        with pytest.raises(WorkloadError, match=msg):
            Workload.from_columns(served.name, served.columns, meta)
    meta = copy.deepcopy(served.metadata)
    meta["llm"] = [1, 2]
    with pytest.raises(WorkloadError, match=r"metadata.llm must be an object"):
        Workload.from_columns(served.name, served.columns, meta)


@pytest.mark.parametrize("kw", [
    dict(prompt=4, decode=2, batch=2),
    dict(prompt=[3, 5, 4], decode=[2, 0, 3], batch=2, requests=3, batching="continuous"),
    dict(prompt=[3, 5, 4], decode=[2, 1, 3], batch=2, requests=3, batching="static"),
    dict(prompt=[3, 5, 4], decode=4, batch=3, attention="padded"),
    dict(prompt=[3, 5, 4], decode=5, batch=3, sub_batches=2),
    dict(prompt=4, decode=0, batch=2),
    dict(prompt=4, decode=6, batch=2, tensor_parallel=2),
    dict(prompt=4, decode=2, batch=4, pipeline_parallel=2, micro_batches=2),
])
def test_generated_serving_workloads_pass_the_check_and_load(tmp_path, kw):
    w = llm_serving(MODEL, **kw)
    llm = w.metadata["llm"]
    check_llm_metadata(w.name, w.metadata, len(w.ops))
    # a request yields 1 + its decode steps; every iteration one token per request it runs
    decode = kw["decode"] if isinstance(kw["decode"], list) else [kw["decode"]] * len(llm["output_tokens"])
    assert llm["output_tokens"] == [1 + d for d in decode]
    assert sum(llm["step_tokens"]) == sum(1 + d for d in decode) == llm["generated_tokens"]
    for suffix in (".json", ".npz"):
        path = tmp_path / f"w{suffix}"
        save_workload(w, path)
        assert load_workload(path).metadata["llm"] == llm
