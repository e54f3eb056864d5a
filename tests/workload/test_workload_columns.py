"""The columnar workload: vectorised columns against their per-op loop references, the
vectorised validation against the sequential checker it replaced, the .npz format
round trip (identical workloads and identical simulate() results) and its bad files."""

from __future__ import annotations

import copy
import io
import json
import math
import zipfile
from dataclasses import fields

import numpy as np
import pytest

import cimsim
from cimsim import load_architecture, simulate
from cimsim.bundled import resolve_config
from cimsim.dtypes import DTYPE_BYTES
from cimsim.errors import WorkloadError
from cimsim.workload import Op, Tensor, Workload, load_workload, save_workload
from cimsim.workload.arrays import op_arrays, op_arrays_reference
from cimsim.workload.columns import StringTable
from cimsim.workload.generators import gru, hier_attn, lstm, tcn, transformer
from cimsim.workload.io import workload_to_arrays, workload_to_dict
from cimsim.workload.builder import WorkloadBuilder
from cimsim.workload.kinds import ELEMENTWISE_OPS_PER_ELEMENT, OP_KINDS, ROLES

from test_workload_io import GOOD

MAKERS = {
    "lstm": lambda: lstm(16, 8, 2, steps=3),
    "lstm-wavefront": lambda: lstm(16, 8, 2, steps=3, schedule="wavefront", pointwise="separate",
                                   dtype="bf16"),
    "gru": lambda: gru(8, 8, 1, steps=2, batch=2),
    "hier-attn-stream": lambda: hier_attn(9, d_model=16, heads=2, window=3, mode="stream"),
    "transformer": lambda: transformer(4, d_model=16, heads=2, ffn=32, dtype="int8"),
    "tcn": lambda: tcn(4, channels=8, kernel=2, layers=2),
}


def _reduction_workload() -> Workload:
    t = [Tensor("x", (3, 5), "fp16", "input"), Tensor("s", (3,), "fp16", "activation"),
         Tensor("c", (3,), "fp32", "activation")]
    ops = [Op("sum", "reduction", ("x",), ("s",)), Op("cp", "copy", ("s",), ("c",), tags={"x_a": [1, 2]})]
    return Workload("red", t, ops)


@pytest.mark.parametrize("make", [*MAKERS.values(), _reduction_workload], ids=[*MAKERS, "reduction"])
def test_vectorised_columns_equal_the_loop_reference(make):
    w = make()
    a, b = op_arrays(w), op_arrays_reference(w)
    for f in fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, np.ndarray):
            assert x.dtype == y.dtype and np.array_equal(x, y), f.name
        elif x is None:  # an optional column no op states (access_bytes, read_fraction)
            assert y is None, f.name
        elif isinstance(x, (bool, int, float, str)):  # a workload-wide flag (encoder_decoder)
            assert type(x) is type(y) and x == y, f.name
        else:
            assert list(x) == list(y), f.name
    # predecessors against the dict-of-producers loop the columns replaced
    producer: dict[str, int] = {}
    ref_ptr, ref_idx = [0], []
    for i, op in enumerate(w.ops):
        ref_idx.extend(sorted({producer[t] for t in op.inputs if t in producer}))
        ref_ptr.append(len(ref_idx))
        producer.update((t, i) for t in op.outputs)
    assert w.predecessors[0].tolist() == ref_ptr and w.predecessors[1].tolist() == ref_idx


def test_reduction_counts_input_elements():
    # sum over 15 input elements: 1 op each (KIND_OPS_PER_ELEMENT); copy moves bytes only
    a = _reduction_workload().arrays
    assert a.vector_ops.tolist() == [15.0, 0.0]
    assert a.act_in_bytes.tolist() == [15 * 2, 3 * 2] and a.act_out_bytes.tolist() == [3 * 2, 3 * 4]


def test_views_build_ops_and_tensors_on_access():
    w = lstm(4, 4, steps=2)
    assert len(w.ops) == 2 * 2 + 2 and w.ops[-1] == list(w.ops)[-1] == w.ops[len(w.ops) - 1]
    assert w.ops[0].tags == {"layer": 0, "part": "input"}
    assert w.op_index(w.ops[3].name) == 3
    with pytest.raises(KeyError):
        w.op_index("nope")
    assert "x" in w.tensors and "nope" not in w.tensors and w.tensors["x"].shape == (2, 1, 4)
    assert list(w.tensors) == [t.name for t in w.tensors.values()]


def test_string_table_repeats_and_unicode():
    s = StringTable.from_list(["a", "bé", "", "c", "bé", ""])
    assert s.tolist() == ["a", "bé", "", "c", "bé", ""] and s[1] == "bé" and s[-1] == ""
    assert s.first_repeat() == 4  # "bé" again (before the second "")
    assert StringTable.from_list(["x", "y", ""]).first_repeat() == 3
    with pytest.raises(WorkloadError, match="not valid Unicode"):
        StringTable.from_list(["ok", "\ud800"])


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("chunk", [1, 7, 64, 1 << 22])
def test_first_repeat_against_a_set(seed, chunk):
    rng = np.random.default_rng(seed)
    alphabet = list("ab.\u00e9\u4e2d")
    strings = ["".join(rng.choice(alphabet, size=rng.integers(0, 4))) for _ in range(int(rng.integers(1, 60)))]
    seen: set[str] = set()
    expect = len(strings)
    for i, x in enumerate(strings):
        if x in seen:
            expect = i
            break
        seen.add(x)
    assert StringTable.from_list(strings).first_repeat(chunk=chunk) == expect


def test_builder_is_what_workload_uses():
    b = WorkloadBuilder("tiny")
    b.tensor("x", (1, 4), "fp32", "input")
    b.tensor("W", (4, 8), "fp32", "weight")
    b.tensor("y", (1, 8), "fp32", "activation")
    b.op("mm", "matmul", ["x", "W"], ["y"], m=1, k=4, n=8, weight="W", tags={"layer": 0})
    w = b.build({"batch": 1})
    assert w.macs == 32 and w.weight_bytes == 4 * 8 * 4 and w.activation_bytes == (4 + 8) * 4
    same = Workload("tiny", list(w.tensors.values()), list(w.ops), {"batch": 1})
    assert list(same.ops) == list(w.ops)


def test_builder_by_id_gives_the_same_workload_and_checks_ids():
    b = WorkloadBuilder("tiny", by_id=True)
    x, W = b.tensor("x", (1, 4), "fp32", "input"), b.tensor("W", (4, 8), "fp32", "weight")
    y = b.tensor("y", (1, 8), "fp32", "activation")
    b.op("mm", "matmul", [x, W], [y], m=1, k=4, n=8, weight=W, tags={"layer": 0})
    by_name = WorkloadBuilder("tiny")
    by_name.tensor("x", (1, 4), "fp32", "input")
    by_name.tensor("W", (4, 8), "fp32", "weight")
    by_name.tensor("y", (1, 8), "fp32", "activation")
    by_name.op("mm", "matmul", ["x", "W"], ["y"], m=1, k=4, n=8, weight="W", tags={"layer": 0})
    assert workload_to_dict(b.build()) == workload_to_dict(by_name.build())
    bad = WorkloadBuilder("ids", by_id=True)
    bad.tensor("x", (2,), "fp32", "input")
    with pytest.raises(WorkloadError, match=r"op 'a' \(#0\): input int 5 is not a declared tensor id \(0..0\)"):
        bad.op("a", "copy", [5], [0])
    with pytest.raises(WorkloadError, match="input str 'x' is not a declared tensor id"):
        bad.op("a", "copy", ["x"], [0])
    dup = WorkloadBuilder("dup", by_id=True)
    dup.tensor("x", (2,), "fp32", "input")
    dup.tensor("x", (2,), "fp32", "activation")
    dup.op("a", "copy", [0], [1])
    with pytest.raises(WorkloadError, match="workload 'dup': tensor 'x' is declared twice"):
        dup.build()


# --------------------------------------------------------------------------- validation
def _fields_of_another_kind(op) -> str | None:
    """The reference of the rule on an op's fields (review 17-2 B1a), written out per kind
    rather than read from ``checks_fields.KIND_FIELDS``: a matmul takes m, k, n, batch and a
    weight; an elementwise op fn, ops_per_element and generic_macs; the other kinds
    ops_per_element and generic_macs. A field left at its default is not set."""
    given = {"m": op.m != 0, "k": op.k != 0, "n": op.n != 0, "batch": op.batch != 1,
             "fn": op.fn is not None, "ops_per_element": op.ops_per_element is not None,
             "generic_macs": op.generic_macs != 0}
    if op.kind == "matmul":
        own = ["m", "k", "n", "batch", "weight"]
    elif op.kind == "elementwise":
        own = ["fn", "ops_per_element", "generic_macs"]
    else:
        own = ["ops_per_element", "generic_macs"]
    wrong = [f for f, is_set in given.items() if is_set and f not in own]
    if not wrong:
        return None
    owner = {"m": "matmul", "k": "matmul", "n": "matmul", "batch": "matmul", "fn": "elementwise",
             "ops_per_element": "non-matmul", "generic_macs": "non-matmul"}
    said = []
    for who in ("matmul", "elementwise", "non-matmul"):
        mine = [f"'{f}'" for f in wrong if owner[f] == who]
        if len(mine) == 1:
            said.append(f"field {mine[0]} applies to {who} ops")
        elif mine:
            said.append(f"fields {', '.join(mine)} apply to {who} ops")
    hint = " (a matmul's activation is an elementwise op of its own)" if op.kind == "matmul" and "fn" in wrong else ""
    takes = ", ".join(f"'{f}'" for f in ["name", "kind", "inputs", "outputs", "tags", *own])
    return f"{' and '.join(said)}, not {op.kind}{hint}; an op of kind '{op.kind}' takes {takes}"


def _order_text(ops, i, t) -> str:
    """The reference's text for op ``i`` reading ``t`` before any op produces it: no op does; the
    producer listed later; or, where that producer depends on op ``i``, a cycle (its ops are
    left out here: any cycle through both is right, see test_workload_tags)."""
    first: dict[str, int] = {}
    for j, op in enumerate(ops):
        for o in op.outputs:
            first.setdefault(o, j)
    p = first.get(t)
    if p is None:
        return f"input '{t}' is an activation no op produces"
    if p == i:  # an op reading what it writes
        return (f"op '{ops[i].name}' reads its own output '{t}' (a self-dependency); an op's inputs "
                "come from earlier ops or the workload's inputs and weights")
    text = f"input '{t}' is produced by op '{ops[p].name}' (#{p}), listed after it"
    seen, todo = {p}, [p]
    while todo:
        for u in ops[todo.pop()].inputs:
            if u in first and first[u] not in seen:
                seen.add(first[u])
                todo.append(first[u])
    if i in seen:
        return text + ", and it depends on this op: a cycle"
    return (f"{text}; ops must be listed in dependency order (a producer before its readers): "
            f"move op '{ops[p].name}' (and the ops it needs) before op '{ops[i].name}'")


def _sequential_check(name, tensors, ops) -> str | None:
    """The pre-columnar validator (one Python pass over the ops), as the reference."""
    tmap = {t.name: t for t in tensors}

    def fail(where, msg):
        return f"workload '{name}': {where}: {msg}"

    for t in tensors:
        where = f"tensor '{t.name}'"
        if t.role not in ROLES:
            return fail(where, f"role '{t.role}' is not one of {', '.join(ROLES)}")
        if t.dtype not in DTYPE_BYTES:
            return fail(where, f"dtype '{t.dtype}' is not one of {', '.join(DTYPE_BYTES)}")
        if not t.shape or any(d < 1 for d in t.shape):
            return fail(where, f"shape {t.shape} must be a non-empty list of positive integers")
    produced: dict[str, int] = {}
    names: set[str] = set()
    for i, op in enumerate(ops):
        where = f"op '{op.name}' (#{i})"
        if op.name in names:
            return fail(where, "op name is used twice")
        names.add(op.name)
        if op.kind not in OP_KINDS:
            return fail(where, f"kind '{op.kind}' is not one of {', '.join(OP_KINDS)}")
        if not op.outputs:
            return fail(where, "an op needs at least one output")
        for t in op.inputs:
            if t not in tmap:
                return fail(where, f"input '{t}' is not a declared tensor")
            if tmap[t].role == "activation" and t not in produced:
                return fail(where, _order_text(ops, i, t))
        for t in op.outputs:
            if t not in tmap:
                return fail(where, f"output '{t}' is not a declared tensor")
            if tmap[t].role != "activation":
                return fail(where, f"output '{t}' has role '{tmap[t].role}'; outputs are activations")
            if t in produced:
                return fail(where, f"output '{t}' is already produced by op #{produced[t]}")
            produced[t] = i
        if op.kind == "matmul":
            for d in ("m", "k", "n", "batch"):
                if getattr(op, d) < 1:
                    return fail(where, f"matmul dimension {d}={getattr(op, d)!r} must be a positive integer")
            if len(op.inputs) != 2:
                return fail(where, f"a matmul takes exactly 2 inputs (A, B), got {len(op.inputs)}")
            a, b = (tmap[t] for t in op.inputs)
            if op.weight is not None:
                if op.weight != b.name:
                    return fail(where, f"weight '{op.weight}' must be the second input (B), got '{b.name}'")
                if b.role != "weight":
                    return fail(where, f"weight operand '{b.name}' has role '{b.role}', expected 'weight'")
                if b.numel != op.k * op.n:
                    return fail(where, f"weight '{b.name}' has {b.numel} elements, expected k*n = {op.k * op.n}")
            elif b.numel != op.batch * op.k * op.n:
                return fail(where, f"B '{b.name}' has {b.numel} elements, expected batch*k*n = "
                                   f"{op.batch * op.k * op.n}")
            if a.numel != op.batch * op.m * op.k:
                return fail(where, f"A '{a.name}' has {a.numel} elements, expected batch*m*k = "
                                   f"{op.batch * op.m * op.k}")
            out = sum(tmap[t].numel for t in op.outputs)
            if out != op.batch * op.m * op.n:
                return fail(where, f"outputs {list(op.outputs)} have {out} elements, expected batch*m*n = "
                                   f"{op.batch * op.m * op.n}")
        else:
            if op.weight is not None:
                return fail(where, "only a matmul can have a stationary 'weight' operand")
            if op.kind == "elementwise":
                if op.fn is None:
                    return fail(where, "an elementwise op needs 'fn'")
                if op.fn not in ELEMENTWISE_OPS_PER_ELEMENT and op.ops_per_element is None:
                    return fail(where, f"fn '{op.fn}' is unknown; use one of "
                                       f"{', '.join(sorted(ELEMENTWISE_OPS_PER_ELEMENT))} or set ops_per_element")
        if op.ops_per_element is not None and op.ops_per_element < 0:
            return fail(where, "ops_per_element must be >= 0")
        if (wrong := _fields_of_another_kind(op)) is not None:
            return fail(where, wrong)
    for t in tensors:
        if t.role == "activation" and t.name not in produced:
            return fail(f"tensor '{t.name}'", "activation is produced by no op")
    return None


def _mutations(w: Workload):
    """Single well-typed mutations of ``w``'s ops: each yields (tensors, ops)."""
    tensors, ops = list(w.tensors.values()), list(w.ops)
    names = [t.name for t in tensors]
    for i in sorted({*range(0, len(ops), max(1, len(ops) // 8)), len(ops) - 1}):
        op = ops[i]
        for change in (
            {"name": ops[i - 1].name}, {"kind": "softmax"}, {"kind": "matmul"}, {"outputs": ()},
            {"inputs": op.inputs[::-1]}, {"inputs": op.inputs[:1]}, {"outputs": (names[0],)},
            {"outputs": op.outputs + op.outputs}, {"m": 0}, {"k": op.k + 1}, {"n": 2 * op.n + 1},
            {"batch": -1}, {"weight": None}, {"weight": op.inputs[0]}, {"fn": None},
            {"fn": "nope"}, {"ops_per_element": -1.5}, {"ops_per_element": 2.0},
            {"inputs": (*op.inputs, ops[-1].outputs[0])},
        ):
            mutated = list(ops)
            mutated[i] = Op(**{**{f.name: getattr(op, f.name) for f in fields(Op)}, **change})
            yield tensors, mutated
    yield tensors, ops[::-1]
    yield tensors, ops[:-1]


@pytest.mark.parametrize("make", [MAKERS["lstm"], MAKERS["hier-attn-stream"], MAKERS["transformer"],
                                  _reduction_workload], ids=["lstm", "hier-attn", "transformer", "red"])
def test_vectorised_validation_agrees_with_the_sequential_checker(make):
    w = make()
    tried = rejected = 0
    for tensors, ops in _mutations(w):
        expect = _sequential_check(w.name, tensors, ops)
        try:
            Workload(w.name, tensors, ops)
            got = None
        except WorkloadError as exc:
            got = str(exc)
        tried += 1
        rejected += expect is not None
        if expect is not None and expect.endswith("a cycle") and got is not None:
            got = got[:len(expect)]  # the cycle named after it: any cycle through both ops
        assert got == expect, (got, expect)
    assert rejected > tried // 3  # the mutations do break rules


# --------------------------------------------------------------------------- .npz format
@pytest.mark.parametrize("make", MAKERS.values(), ids=MAKERS.keys())
def test_npz_and_json_give_identical_workloads(tmp_path, make):
    w = make()
    save_workload(w, tmp_path / "w.json")
    save_workload(w, tmp_path / "w.npz")
    assert (tmp_path / "w.npz").read_bytes()[:4] == b"PK\x03\x04"
    a, b = load_workload(tmp_path / "w.json"), load_workload(tmp_path / "w.npz")
    assert workload_to_dict(a) == workload_to_dict(b) == workload_to_dict(w)
    # read by content, not by name: a columnar file called .json still loads
    (tmp_path / "w.npz").rename(tmp_path / "renamed.json")
    assert workload_to_dict(load_workload(tmp_path / "renamed.json")) == workload_to_dict(w)
    # JSON -> npz -> JSON gives the same bytes
    save_workload(b, tmp_path / "again.json")
    assert (tmp_path / "again.json").read_bytes() == (tmp_path / "w.json").read_bytes()


@pytest.mark.parametrize("config", ["cpu-ddr5", "sram-cim", "hbm-pim"])
@pytest.mark.parametrize("engine", ["des", "analytic"])
def test_npz_and_json_simulate_identically(tmp_path, config, engine):
    w = lstm(32, 32, 2, steps=4)
    save_workload(w, tmp_path / "w.json")
    save_workload(w, tmp_path / "w.npz")
    arch = load_architecture(resolve_config(config))
    ra = simulate(arch, load_workload(tmp_path / "w.json"), engine=engine)
    rb = simulate(arch, load_workload(tmp_path / "w.npz"), engine=engine)
    files = {"workload_path", "workload_sha256"}  # each run records its own file: .json, .npz
    assert {k: v for k, v in ra.to_json().items() if k not in files} == \
        {k: v for k, v in rb.to_json().items() if k not in files}
    assert ra.to_json()["workload_path"].endswith("w.json") and rb.to_json()["workload_path"].endswith("w.npz")
    assert ra.op_table.equals(rb.op_table)


def _npz_bytes(meta, arrays) -> bytes:
    buf = io.BytesIO()
    raw = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    np.savez(buf, meta=raw, **arrays)
    return buf.getvalue()


def _npz_error(tmp_path, meta, arrays) -> str:
    p = tmp_path / "bad.npz"
    p.write_bytes(_npz_bytes(meta, arrays))
    with pytest.raises(WorkloadError) as exc:
        load_workload(p)
    msg = str(exc.value)
    assert msg.startswith(str(p)) and "\n" not in msg, msg
    return msg


def _good_columns():
    from cimsim.workload.io import workload_from_dict

    return workload_to_arrays(workload_from_dict(copy.deepcopy(GOOD)))


@pytest.mark.parametrize("edit, expect", [
    (lambda m, a: m.update(version=2), "version 2 is not supported"),
    (lambda m, a: m.update(format="x"), "cimsim-workload"),
    (lambda m, a: m.pop("name"), "missing key 'name'"),
    (lambda m, a: m.update(dtypes=["fp32", "fp128"]) or a.update(tensor_dtype=np.array([0, 1, 0, 0])),
     "tensor 'W': dtype 'fp128' is not one of"),
    (lambda m, a: a.pop("in_ids"), "missing column 'in_ids'"),
    (lambda m, a: a.update(in_ids=np.array([0, 9, 2])), "refers to a tensor id outside 0..3"),
    (lambda m, a: a.update(in_ptr=np.array([0, 3, 2])), "'in_ptr' is not a valid index"),
    (lambda m, a: a.update(m=np.array([1.5, 0.0])), "column 'm' must be a 1-D array of integers"),
    (lambda m, a: a.update(shape_dims=np.array([[1, 4]])), "column 'shape_dims' must be a 1-D"),
    (lambda m, a: a.update(ops_per_element=np.array([np.nan, np.inf])), "must be a finite number"),
    (lambda m, a: a.update(k=np.array([5, 0])), "weight 'W' has 32 elements, expected k*n = 40"),
    (lambda m, a: m["tags"].update(orders=[[], ["ghost"]]) or a.update({"tags.order": np.array([1, 0])}),
     "key 'ghost' has no column"),
    (lambda m, a: a.update({"op_names.blob": np.frombuffer(b"mm\xffct", dtype=np.uint8)}),
     "not valid UTF-8"),
])
def test_bad_columnar_files(tmp_path, edit, expect):
    meta, arrays = _good_columns()
    edit(meta, arrays)
    assert expect in _npz_error(tmp_path, meta, arrays)


def test_columnar_refuses_pickles_and_truncation(tmp_path):
    meta, arrays = _good_columns()
    buf = io.BytesIO()
    np.savez(buf, meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8),
             **{**arrays, "kind": np.array([0, 1], dtype=object)})
    p = tmp_path / "pickle.npz"
    p.write_bytes(buf.getvalue())
    with pytest.raises(WorkloadError, match="not a valid columnar workload"):
        load_workload(p)
    good = tmp_path / "good.npz"
    save_workload(load_workload(_write_json(tmp_path, GOOD)), good)
    raw = good.read_bytes()
    for cut in (10, len(raw) // 2, len(raw) - 5):
        p.write_bytes(raw[:cut])
        with pytest.raises(WorkloadError) as exc:
            load_workload(p)
        assert "\n" not in str(exc.value) and str(p) in str(exc.value)
    with zipfile.ZipFile(good) as z:
        assert all(i.compress_type == zipfile.ZIP_DEFLATED for i in z.infolist())


def _write_json(tmp_path, data, name="w.json"):
    p = tmp_path / name
    p.write_text(json.dumps(data))
    return p


def test_macs_and_bytes_are_exact_python_ints():
    # 2**40 * 2**20 MACs: above 2**53, where a float64 sum would round
    b = WorkloadBuilder("big")
    b.tensor("x", (1, 2 ** 20), "int8", "input")
    b.tensor("W", (2 ** 20, 2 ** 20), "int8", "weight")
    b.tensor("y", (1, 2 ** 20), "int8", "activation")
    b.op("mm", "matmul", ["x", "W"], ["y"], m=1, k=2 ** 20, n=2 ** 20, weight="W")
    w = b.build()
    assert w.macs == 2 ** 40 and w.weight_bytes == 2 ** 40
    assert math.prod((1, 2 ** 20)) * 2 == w.activation_bytes


# --------------------------------------------------------------------------- CLI and feedback
def test_cli_writes_the_columnar_form_by_extension(tmp_path):
    from click.testing import CliRunner

    from cimsim.commands.workload import workload as workload_cmd

    out = tmp_path / "l.npz"
    r = CliRunner().invoke(workload_cmd, ["lstm", "--input-size", "8", "--hidden", "4",
                                          "--steps", "3", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert f"wrote {out}" in r.output and out.read_bytes()[:4] == b"PK\x03\x04"
    written = workload_to_dict(load_workload(out))
    # the CLI records which cimsim wrote the file; the rest is the generator's workload
    assert written["metadata"].pop("written_by")["cimsim_version"] == cimsim.__version__
    assert written == workload_to_dict(lstm(8, 4, steps=3))


def test_feedback_prints_status_lines_off_a_terminal():
    import time

    from cimsim.progress import Feedback

    buf = io.StringIO()
    with Feedback("loading w.npz", stream=buf, after_s=0.0, every_s=0.3) as fb:
        fb.update("building ops", 5, 10)
        time.sleep(0.5)
    lines = buf.getvalue().splitlines()
    assert lines[0].startswith("cimsim: loading w.npz: building ops 5/10 (50 %), ")
    assert lines[-1].startswith("cimsim: loading w.npz: done in ") and lines[-1].endswith(" s")
    quiet = io.StringIO()
    with Feedback("short", stream=quiet, after_s=60.0) as fb:
        fb.update("building ops", 1, 2)
    assert quiet.getvalue() == ""


# --------------------------------------------------------------------------- layout
def test_oparrays_is_a_leaf_module_and_rules_are_one_table():
    """``hw/`` types its hooks with OpArrays: the module imports nothing of cimsim."""
    import ast
    from pathlib import Path

    from cimsim.workload import checks, kinds, oparrays

    tree = ast.parse(Path(oparrays.__file__).read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            assert node.level == 0 and not (node.module or "").startswith("cimsim"), node.module
    # one entry per rule, each with a vectorised check and a message; names unique
    names = [r.name for r in checks.RULES]
    assert len(names) == len(set(names)) and all(r.phase in checks.PHASES for r in checks.RULES)
    assert kinds.OP_KINDS.index("matmul") == kinds.MATMUL


def test_a_weights_row_is_its_bytes_after_the_first_dimension():
    """weight_row_bytes: a [N, K] = [4096, 1024] fp32 weight's row 1024 x 4 = 4096 B; a [K, N]
    = [512, 2048] one's 2048 x 4 = 8192 B; a convolution weight [C_out, C_in, 3, 3] = [8, 4, 3, 3]
    36 x 4 = 144 B (its K); a 1-D weight its whole 64 x 4 = 256 B; an op without a weight 0."""
    from cimsim.workload.builder import WorkloadBuilder

    b = WorkloadBuilder("rows")
    for name, shape, k, n in (("A", (4096, 1024), 1024, 4096), ("B", (512, 2048), 512, 2048),
                              ("C", (8, 4, 3, 3), 36, 8), ("D", (64,), 1, 64)):
        b.tensor(f"x{name}", (2, k), "fp32", "input")
        b.tensor(name, shape, "fp32", "weight")
        b.tensor(f"y{name}", (2, n), "fp32", "activation")
        b.op(f"mm{name}", "matmul", [f"x{name}", name], [f"y{name}"], m=2, k=k, n=n, weight=name)
    b.tensor("z", (2, 1024), "fp32", "activation")
    b.op("relu", "elementwise", ["xA"], ["z"], fn="relu")
    w = b.build({})
    for a in (op_arrays(w), op_arrays_reference(w)):
        assert a.weight_row_bytes.tolist() == [4096.0, 8192.0, 144.0, 256.0, 0.0]


#: OpArrays' fields on main (b8fc65d, the release before ``unread_matrices``), in order
MAIN_OPARRAYS_FIELDS = [
    "kind", "dtype", "macs", "vector_ops", "rows", "batch", "k", "n", "weight_bytes",
    "act_in_bytes", "act_out_bytes", "stationary", "weight_ptr", "weight_ids", "tensor_bytes",
    "tensor_names", "input_ptr", "input_ids", "window_elems", "im2col", "access_bytes",
    "read_fraction", "store_bytes", "serial_ops", "stage", "activity", "weight_row_bytes",
    "launch", "producer", "act_ptr", "act_ids", "first_out"]


def test_oparrays_new_fields_come_last():
    """A plug-in that builds OpArrays by position keeps its meaning: the fields of the last
    release are a prefix of today's, new ones (``unread_matrices``) are appended with a default."""
    from cimsim.workload.oparrays import OpArrays
    names = [f.name for f in fields(OpArrays)]
    assert names[:len(MAIN_OPARRAYS_FIELDS)] == MAIN_OPARRAYS_FIELDS
    assert "unread_matrices" in names[len(MAIN_OPARRAYS_FIELDS):]
    a = op_arrays(MAKERS["lstm"]())
    by_position = OpArrays(*(getattr(a, n) for n in MAIN_OPARRAYS_FIELDS))
    assert by_position.activity is a.activity and by_position.unread_matrices is None
