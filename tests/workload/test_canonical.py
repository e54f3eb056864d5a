"""``Workload.canonical()`` and ``cimsim workload canonicalize`` (find-A 2): one listing of a
graph whatever valid order it was listed in, so a property-based check can compare graphs,
not listings. Golden orders are written out by hand from the rule (topological, ties to the
smallest op name)."""

from __future__ import annotations

import json
import random

from click.testing import CliRunner

from cimsim import load_workload, save_workload
from cimsim.bundled import workload_paths
from cimsim.commands.workload import workload as workload_cmd
from cimsim.workload import Op, Tensor, Workload
from cimsim.workload.canonical import _blocks


def two_ops(mm_first: bool) -> Workload:
    t = [Tensor("x0", (1, 64), "int8", "input"), Tensor("x1", (1, 64), "int8", "activation"),
         Tensor("W1", (64, 64), "int8", "weight"), Tensor("x2", (1, 64), "int8", "activation")]
    relu = Op("ew0", "elementwise", ("x0",), ("x1",), fn="relu")
    mm = Op("mm1", "matmul", ("x0", "W1"), ("x2",), m=1, k=64, n=64, weight="W1")
    return Workload("dag", t, [mm, relu] if mm_first else [relu, mm])


def relisted(w: Workload, seed: int) -> Workload:
    """``w`` in a random valid order: a random ready op at each step, inside each block its
    metadata names by position, the LLM token ops following their ops."""
    rng = random.Random(seed)
    n = len(w)
    indptr, pred = w.predecessors
    bounds = _blocks(w) + [n]
    order: list[int] = []
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        left = set(range(lo, hi))
        while left:
            placed = set(order)
            ready = [i for i in left if all(int(p) in placed for p in pred[indptr[i]:indptr[i + 1]])]
            i = rng.choice(sorted(ready))
            order.append(i)
            left.remove(i)
    meta = json.loads(json.dumps(w.metadata))
    if "llm" in meta:
        new = {old: k for k, old in enumerate(order)}
        for key in ("first_token_ops", "last_token_ops"):
            meta["llm"][key] = [new[i] for i in meta["llm"][key]]
    return Workload(w.name, list(w.tensors.values()), [w.ops[i] for i in order], meta)


def test_the_testers_two_listings_give_one_canonical_workload():
    a, b = two_ops(False), two_ops(True)
    assert a != b
    # both ops are ready at once (each reads only the model input x0): "ew0" < "mm1"
    assert [op.name for op in b.canonical().ops] == ["ew0", "mm1"]
    assert a.canonical() == b.canonical()
    c = a.canonical()
    assert list(c.tensors) == ["W1", "x0", "x1", "x2"]  # by name (code point: "W" < "x")
    assert c.canonical() is c  # already canonical: itself


def test_tensors_listed_in_another_order_give_one_canonical_workload():
    # review H 2: the same graph with its tensors (and ops) listed the other way round
    t = [Tensor("x0", (1, 64), "int8", "input"), Tensor("x1", (1, 64), "int8", "activation"),
         Tensor("x2", (1, 64), "int8", "activation")]
    a = Op("z_a", "elementwise", ("x0",), ("x1",), fn="relu")
    b = Op("b", "elementwise", ("x0",), ("x2",), fn="relu")
    one, two = Workload("g", t, [a, b]), Workload("g", t[::-1], [b, a])
    assert one.canonical() == two.canonical()
    assert list(two.canonical().tensors) == ["x0", "x1", "x2"]
    assert [op.name for op in two.canonical().ops] == ["b", "z_a"]


def test_tensor_order_does_not_move_a_result():
    # every op reads and writes the same bytes whatever order its tensors are declared in:
    # relu 64 B in + 64 B out, matmul 64 B x0 + 4,096 B W1 (64 x 64 int8) + 64 B out
    from cimsim import load_architecture, simulate

    w = two_ops(False)
    r = Workload(w.name, list(w.tensors.values())[::-1], list(w.ops))
    arch = load_architecture("sram-cim")
    x, y = simulate(arch, w), simulate(arch, r)
    assert x.traffic_bytes == y.traffic_bytes
    assert x.latency_s == y.latency_s and x.energy_j == y.energy_j


def test_a_chain_keeps_its_dependencies_over_the_names():
    t = [Tensor("x", (1, 8), "fp32", "input")] + [Tensor(f"t{i}", (1, 8), "fp32", "activation")
                                                   for i in range(3)]
    ops = [Op("z", "elementwise", ("x",), ("t0",), fn="relu"),
           Op("b", "elementwise", ("t0",), ("t1",), fn="relu"),
           Op("a", "elementwise", ("x",), ("t2",), fn="relu")]
    # ready at first: z and a -> a; then z; then b (it waits for z's t0)
    assert [op.name for op in Workload("c", t, ops).canonical().ops] == ["a", "z", "b"]


def test_random_relistings_of_bundled_graphs_canonicalize_alike():
    for name in ("hier-attn", "lstm", "gru"):
        w = load_workload(next(p for p in workload_paths() if p.stem == name))
        canon = w.canonical()
        for seed in range(3):
            r = relisted(w, seed)
            assert r.canonical() == canon, (name, seed)
        indptr, pred = canon.predecessors  # topological: every pred listed before its op
        assert all((pred[indptr[i]:indptr[i + 1]] < i).all() for i in range(len(canon)))


def test_an_llm_runs_iterations_keep_their_ops_and_token_ops(tmp_path):
    res = CliRunner().invoke(workload_cmd, [
        "llm", "--layers", "2", "--hidden", "64", "--heads", "2", "--ffn", "128", "--vocab", "100",
        "--prompt", "4", "--decode", "2", "--batch", "2", "-o", str(tmp_path / "llm.json")])
    assert res.exit_code == 0, res.output
    w = load_workload(tmp_path / "llm.json")
    for seed in range(2):
        r = relisted(w, seed)
        c = r.canonical()
        assert c == w.canonical()
        ends = [-1] + c.metadata["llm"]["step_end_ops"]
        for lo, hi in zip(ends[:-1], ends[1:]):  # the same ops in each iteration
            assert {o.name for o in c.ops[lo + 1:hi + 1]} == {o.name for o in w.ops[lo + 1:hi + 1]}
        for key in ("first_token_ops", "last_token_ops"):  # the same op gives the token
            assert [c.ops[i].name for i in c.metadata["llm"][key]] == \
                [w.ops[i].name for i in w.metadata["llm"][key]]


def test_the_cli_writes_one_file_for_two_listings(tmp_path):
    outs = []
    for mm_first in (False, True):
        src, out = tmp_path / f"in{mm_first}.json", tmp_path / f"out{mm_first}.json"
        save_workload(two_ops(mm_first), src)
        res = CliRunner().invoke(workload_cmd, ["canonicalize", str(src), "-o", str(out)])
        assert res.exit_code == 0, res.output
        assert "2 ops in canonical order" in res.output
        outs.append(json.loads(out.read_text()))
    assert [o["name"] for o in outs[1]["ops"]] == ["ew0", "mm1"]
    assert [t["name"] for t in outs[0]["tensors"]] == ["W1", "x0", "x1", "x2"]
    assert outs[0]["ops"] == outs[1]["ops"] and outs[0]["tensors"] == outs[1]["tensors"]
    from cimsim.cli import main

    res = CliRunner().invoke(main, ["workload", "canonicalize", str(tmp_path / "none.json"),
                                    "-o", str(tmp_path / "o.json")])
    assert res.exit_code != 0 and "Traceback" not in res.output
    assert len(res.output.strip().splitlines()) == 1 and "none.json" in res.output
