"""Workload JSON files: every kind of bad file gives its own clear WorkloadError, naming the
file and the problem; valid workloads round-trip exactly."""

from __future__ import annotations

import copy
import json

import pytest

from cimsim.errors import WorkloadError
from cimsim.workload import load_workload, save_workload
from cimsim.workload.generators import gru, hier_attn, lstm, tcn, transformer
from cimsim.workload.io import VERSION, workload_from_dict, workload_to_dict

GOOD = {
    "format": "cimsim-workload",
    "version": 1,
    "name": "small",
    "metadata": {"batch": 1},
    "tensors": [
        {"name": "x", "shape": [1, 4], "dtype": "fp32", "role": "input"},
        {"name": "W", "shape": [4, 8], "dtype": "fp32", "role": "weight"},
        {"name": "y", "shape": [1, 8], "dtype": "fp32", "role": "activation"},
        {"name": "z", "shape": [1, 8], "dtype": "fp32", "role": "activation"},
    ],
    "ops": [
        {"name": "mm", "kind": "matmul", "inputs": ["x", "W"], "outputs": ["y"],
         "m": 1, "k": 4, "n": 8, "batch": 1, "weight": "W"},
        {"name": "act", "kind": "elementwise", "inputs": ["y"], "outputs": ["z"], "fn": "relu"},
    ],
}


def write(tmp_path, data, name="bad.json"):
    p = tmp_path / name
    p.write_text(data if isinstance(data, str) else json.dumps(data))
    return p


def load_error(tmp_path, data) -> str:
    p = write(tmp_path, data)
    with pytest.raises(WorkloadError) as exc:
        load_workload(p)
    msg = str(exc.value)
    assert str(p) in msg, msg  # names the file
    assert "\n" not in msg.strip(), msg  # one line
    return msg


def mutated(fn):
    d = copy.deepcopy(GOOD)
    fn(d)
    return d


def test_good_file_loads(tmp_path):
    w = load_workload(write(tmp_path, GOOD))
    assert w.name == "small" and len(w.ops) == 2 and w.macs == 4 * 8


def test_missing_file(tmp_path):
    p = tmp_path / "nope.json"
    with pytest.raises(WorkloadError, match="cannot read") as exc:
        load_workload(p)
    assert str(p) in str(exc.value)


@pytest.mark.parametrize("where", ["tensor", "op", "top", "metadata", "spaced"])
def test_a_key_given_twice_is_refused(tmp_path, where):
    """JSON keeps a repeated key's last value: a weight's ``"dtype":"fp32"`` then
    ``"dtype":"int8"`` made it 4x smaller with no word (found by a maintainer, 2026-12-05)."""
    text = json.dumps(GOOD, separators=(",", ":"))
    repeat = {"tensor": ('"role":"weight"', '"role":"weight","dtype":"int8"', "dtype"),
              "op": ('"k":4,', '"k":4,"k":4,', "k"),
              "top": ('"name":"small",', '"name":"small","name":"other",', "name"),
              "metadata": ('{"batch":1}', '{"batch":1,"batch":2}', "batch"),
              "spaced": ('"role":"weight"', '"role": "weight", "dtype": "int8"', "dtype")}[where]
    assert text.count(repeat[0]) == 1
    msg = load_error(tmp_path, text.replace(repeat[0], repeat[1]))
    assert f"key '{repeat[2]}' is given twice in one object" in msg
    load_workload(write(tmp_path, text, "good.json"))  # the same file without the repeat loads


def test_not_json(tmp_path):
    msg = load_error(tmp_path, "{not json")
    assert "not valid JSON" in msg


def test_top_level_not_object(tmp_path):
    msg = load_error(tmp_path, "[1, 2]")
    assert "JSON object" in msg


def test_wrong_format(tmp_path):
    msg = load_error(tmp_path, mutated(lambda d: d.update(format="onnx")))
    assert "'onnx'" in msg and "cimsim-workload" in msg


def test_other_version_says_which_is_supported(tmp_path):
    msg = load_error(tmp_path, mutated(lambda d: d.update(version=2)))
    assert "version 2" in msg and f"version {VERSION}" in msg and "not supported" in msg


@pytest.mark.parametrize("key", ["name", "tensors", "ops"])
def test_missing_top_level_key(tmp_path, key):
    msg = load_error(tmp_path, mutated(lambda d: d.pop(key)))
    assert f"missing key '{key}'" in msg


def test_unknown_top_level_key(tmp_path):
    msg = load_error(tmp_path, mutated(lambda d: d.update(extra=1)))
    assert "extra" in msg


def test_missing_op_key(tmp_path):
    msg = load_error(tmp_path, mutated(lambda d: d["ops"][1].pop("kind")))
    assert "ops[1]" in msg and "missing key 'kind'" in msg


def test_unknown_op_key(tmp_path):
    msg = load_error(tmp_path, mutated(lambda d: d["ops"][0].update(stride=2)))
    assert "ops[0]" in msg and "'mm'" in msg and "stride" in msg and "an op of kind 'matmul' takes" in msg


def test_tensor_with_missing_or_extra_key(tmp_path):
    msg = load_error(tmp_path, mutated(lambda d: d["tensors"][0].pop("dtype")))
    assert "tensors[0]" in msg
    msg = load_error(tmp_path, mutated(lambda d: d["tensors"][0].update(layout="nchw")))
    assert "tensors[0]" in msg and "layout" in msg


def test_undeclared_tensor(tmp_path):
    msg = load_error(tmp_path, mutated(lambda d: d["ops"][1].update(inputs=["ghost"])))
    assert "'act'" in msg and "'ghost'" in msg and "not a declared tensor" in msg


def test_undeclared_output(tmp_path):
    msg = load_error(tmp_path, mutated(lambda d: d["ops"][1].update(outputs=["ghost"])))
    assert "'ghost'" in msg and "not a declared tensor" in msg


def test_activation_consumed_before_produced(tmp_path):
    msg = load_error(tmp_path, mutated(lambda d: d["ops"].reverse()))
    assert "'act'" in msg and "'y'" in msg and "is produced by op 'mm' (#1), listed after it" in msg


def test_activation_produced_twice(tmp_path):
    def twice(d):
        d["ops"][1]["outputs"] = ["y"]
        d["ops"][1]["inputs"] = ["x"]
        d["tensors"].pop()  # drop z
    msg = load_error(tmp_path, mutated(twice))
    assert "'y'" in msg and "already produced" in msg


def test_activation_produced_by_no_op(tmp_path):
    msg = load_error(tmp_path, mutated(lambda d: d["tensors"].append(
        {"name": "orphan", "shape": [2], "dtype": "fp32", "role": "activation"})))
    assert "'orphan'" in msg and "produced by no op" in msg


def test_output_must_be_activation(tmp_path):
    msg = load_error(tmp_path, mutated(lambda d: d["ops"][1].update(outputs=["x"])))
    assert "'x'" in msg and "outputs are activations" in msg


@pytest.mark.parametrize("dim, value, expect", [
    ("k", 5, "weight 'W' has 32 elements, expected k*n = 40"),
    ("n", 4, "weight 'W' has 32 elements, expected k*n = 16"),
    ("m", 2, "A 'x' has 4 elements, expected batch*m*k = 8"),
])
def test_matmul_dims_inconsistent_with_tensors(tmp_path, dim, value, expect):
    msg = load_error(tmp_path, mutated(lambda d: d["ops"][0].update({dim: value})))
    assert "'mm'" in msg and expect in msg


def test_matmul_output_size_inconsistent(tmp_path):
    def grow(d):
        d["tensors"][2]["shape"] = [1, 9]
        d["tensors"][3]["shape"] = [1, 9]
    msg = load_error(tmp_path, mutated(grow))
    assert "outputs ['y'] have 9 elements, expected batch*m*n = 8" in msg


@pytest.mark.parametrize("value", [0, -1])
def test_matmul_nonpositive_dim(tmp_path, value):
    msg = load_error(tmp_path, mutated(lambda d: d["ops"][0].update(m=value)))
    assert f"m={value}" in msg and "positive integer" in msg


def test_weight_not_the_b_operand(tmp_path):
    def swap(d):
        # W as A: (4, 8) = batch*m*k with m=4, k=8 ... and weight still names W
        d["tensors"][0]["shape"] = [8, 4]
        d["ops"][0].update(inputs=["W", "x"], m=4, k=8, n=4)
        d["tensors"][2]["shape"] = [4, 4]
        d["tensors"][3]["shape"] = [4, 4]
    msg = load_error(tmp_path, mutated(swap))
    assert "weight 'W' must be the second input (B)" in msg


def test_weight_operand_with_wrong_role(tmp_path):
    msg = load_error(tmp_path, mutated(lambda d: d["tensors"][1].update(role="input")))
    assert "'W'" in msg and "role 'input'" in msg and "expected 'weight'" in msg


def test_weight_on_non_matmul(tmp_path):
    msg = load_error(tmp_path, mutated(lambda d: d["ops"][1].update(weight="W")))
    assert "only a matmul" in msg


def test_unknown_elementwise_fn(tmp_path):
    msg = load_error(tmp_path, mutated(lambda d: d["ops"][1].update(fn="frobnicate")))
    assert "fn 'frobnicate' is unknown" in msg and "relu" in msg and "ops_per_element" in msg


def test_unknown_fn_with_ops_per_element_is_accepted(tmp_path):
    d = mutated(lambda d: d["ops"][1].update(fn="frobnicate", ops_per_element=3))
    w = load_workload(write(tmp_path, d))
    assert w.ops[1].ops_per_element == 3


def test_negative_ops_per_element(tmp_path):
    msg = load_error(tmp_path, mutated(lambda d: d["ops"][1].update(ops_per_element=-1)))
    assert "ops_per_element must be >= 0" in msg


def test_elementwise_without_fn(tmp_path):
    msg = load_error(tmp_path, mutated(lambda d: d["ops"][1].pop("fn")))
    assert "needs 'fn'" in msg


def test_unknown_kind(tmp_path):
    msg = load_error(tmp_path, mutated(lambda d: d["ops"][1].update(kind="conv")))
    assert "kind 'conv'" in msg and "matmul" in msg


def test_bad_dtype(tmp_path):
    msg = load_error(tmp_path, mutated(lambda d: d["tensors"][0].update(dtype="fp128")))
    assert "tensor 'x'" in msg and "dtype 'fp128'" in msg and "fp32" in msg


def test_bad_role(tmp_path):
    msg = load_error(tmp_path, mutated(lambda d: d["tensors"][0].update(role="constant")))
    assert "tensor 'x'" in msg and "role 'constant'" in msg and "activation" in msg


@pytest.mark.parametrize("shape", [[1, -4], [0, 4], []])
def test_bad_shape(tmp_path, shape):
    msg = load_error(tmp_path, mutated(lambda d: d["tensors"][3].update(shape=shape)))
    assert "tensor 'z'" in msg and "positive integers" in msg


def test_non_integer_shape(tmp_path):
    msg = load_error(tmp_path, mutated(lambda d: d["tensors"][3].update(shape=[1, 8.0])))
    assert "tensor 'z'" in msg and "positive integers" in msg


def test_duplicate_tensor(tmp_path):
    msg = load_error(tmp_path, mutated(lambda d: d["tensors"].append(dict(d["tensors"][0]))))
    assert "'x'" in msg and "declared twice" in msg


def test_duplicate_op_name(tmp_path):
    def dup(d):
        d["tensors"].append({"name": "z2", "shape": [1, 8], "dtype": "fp32", "role": "activation"})
        d["ops"].append({"name": "act", "kind": "elementwise", "inputs": ["y"], "outputs": ["z2"],
                         "fn": "relu"})
    msg = load_error(tmp_path, mutated(dup))
    assert "'act'" in msg and "used twice" in msg


@pytest.mark.parametrize("field, value", [("tensors", 5), ("ops", 5)])
def test_tensors_or_ops_of_wrong_type(tmp_path, field, value):
    load_error(tmp_path, mutated(lambda d: d.update({field: value})))


@pytest.mark.parametrize("field, value", [("tensors", [["x"]]), ("ops", ["mm"])])
def test_tensor_or_op_not_an_object(tmp_path, field, value):
    msg = load_error(tmp_path, mutated(lambda d: d.update({field: value})))
    assert f"{field}[0]" in msg


# --------------------------------------------------------------------------- round trip
def _same(a, b):
    assert a.name == b.name
    assert a.metadata == b.metadata
    assert list(a.tensors.values()) == list(b.tensors.values())
    assert a.ops == b.ops


@pytest.mark.parametrize("make", [
    lambda: lstm(16, 8, 2, steps=3),
    lambda: lstm(16, 8, 2, steps=3, schedule="wavefront", pointwise="separate", dtype="bf16"),
    lambda: gru(8, 8, 1, steps=2),
    lambda: hier_attn(9, d_model=16, heads=2, window=3, mode="stream"),
    lambda: transformer(4, d_model=16, heads=2, ffn=32),
    lambda: tcn(4, channels=8, kernel=2, layers=2),
], ids=["lstm", "lstm-wavefront", "gru", "hier-attn-stream", "transformer", "tcn"])
def test_round_trip(tmp_path, make):
    w = make()
    p = tmp_path / "sub" / "w.json"
    save_workload(w, p)
    back = load_workload(p)
    _same(w, back)
    assert back.macs == w.macs
    assert back.predecessors[0].tolist() == w.predecessors[0].tolist()
    assert back.predecessors[1].tolist() == w.predecessors[1].tolist()
    # saving again gives the same bytes; no temp files left behind
    p2 = tmp_path / "sub" / "w2.json"
    save_workload(back, p2)
    assert p.read_text() == p2.read_text()
    assert sorted(x.name for x in (tmp_path / "sub").iterdir()) == ["w.json", "w2.json"]


def test_dict_round_trip_of_good():
    w = workload_from_dict(copy.deepcopy(GOOD))
    assert workload_to_dict(w) == GOOD


def test_saved_files_get_the_usual_mode(tmp_path):
    import os
    import stat

    from cimsim.workload.generators import lstm

    mask = os.umask(0o022)
    try:
        save_workload(lstm(4, 4, steps=2), tmp_path / "w.json")
    finally:
        os.umask(mask)
    assert stat.S_IMODE((tmp_path / "w.json").stat().st_mode) == 0o644


# --------------------------------------------------------------------------- large files
def _tricky() -> dict:
    """A workload whose names and tags hold what a chunk cut could trip on."""
    d = copy.deepcopy(GOOD)
    d["name"] = "tr\u00efcky"
    d["metadata"] = {"note": "},{\"x\":1}]", "list": [1, 2.5, None, {"a": []}]}
    for t in d["tensors"]:
        t["name"] = t["name"] + '},{"name":"x"}],'
    for o in d["ops"]:
        o["name"] += "}]\u4e2d"
        o["inputs"] = [t + '},{"name":"x"}],' for t in o["inputs"]]
        o["outputs"] = [t + '},{"name":"x"}],' for t in o["outputs"]]
        if "weight" in o:
            o["weight"] += '},{"name":"x"}],'
        o["tags"] = {"x_nested": [{"a": 1}, {"b": [2, {"c": "}]"}]}], "step": 3, "part": "p},{"}
    d["ops"][1]["ops_per_element"] = 2.5
    return d


@pytest.mark.parametrize("chunk", [1, 7, 64, 1 << 18])
@pytest.mark.parametrize("layout", ["compact", "spaced", "indented"])
def test_streamed_reading_equals_reading_the_whole_text(tmp_path, monkeypatch, chunk, layout):
    """The chunked reader (jsonstream) gives the workload json.loads + workload_from_dict give,
    whatever the chunk size, with cuts inside strings and nested tags, and any whitespace."""
    import cimsim.workload.io as wio
    import cimsim.workload.jsonstream as js

    monkeypatch.setattr(js, "CHUNK", chunk)
    for data in (_tricky(), workload_to_dict(lstm(4, 4, 2, steps=3, pointwise="aten"))):
        expected = workload_to_dict(workload_from_dict(copy.deepcopy(data)))
        text = {"compact": json.dumps(data, separators=(",", ":")), "spaced": json.dumps(data),
                "indented": json.dumps(data, indent=2)}[layout]
        p = write(tmp_path, text, "w.json")

        def whole(*a, **k):
            raise AssertionError("read as a whole, not streamed")

        monkeypatch.setattr(wio, "workload_from_dict", whole)
        assert workload_to_dict(load_workload(p)) == expected
        monkeypatch.undo()
        monkeypatch.setattr(js, "CHUNK", chunk)


def test_other_layouts_fall_back_to_the_whole_text(tmp_path):
    # ops before tensors, or the header after them: not streamed, read as before
    data = copy.deepcopy(GOOD)
    reordered = {"ops": data["ops"], "tensors": data["tensors"], "format": data["format"],
                 "version": 1, "name": "small"}
    assert load_workload(write(tmp_path, reordered)).macs == 4 * 8
    late = {"tensors": data["tensors"], "ops": data["ops"], "format": data["format"],
            "version": 1, "name": "small", "metadata": {}}
    assert load_workload(write(tmp_path, late)).macs == 4 * 8


def test_json_writer_gives_json_dump_bytes(tmp_path):
    """save_workload writes from the columns, chunk by chunk: the bytes must be those of
    json.dump(workload_to_dict(w)) (the format's definition)."""
    import io as _io

    from cimsim.workload.jsonstream import write_json

    w = workload_from_dict(_tricky())
    w2 = hier_attn(9, d_model=16, heads=2, window=3, mode="stream")
    for wl in (w, w2, gru(4, 4, 2, steps=3, pointwise="separate", dtype="int8")):
        expected = json.dumps(workload_to_dict(wl), separators=(",", ":")) + "\n"
        save_workload(wl, tmp_path / "w.json")
        assert (tmp_path / "w.json").read_text() == expected
        for chunk in (1, 2, 5):
            f = _io.StringIO()
            write_json(wl, f, {"format": "cimsim-workload", "version": VERSION, "name": wl.name,
                               "metadata": wl.metadata}, chunk=chunk)
            assert f.getvalue() + "\n" == expected


def test_empty_lists_read_from_a_dict_and_a_file_alike(tmp_path):
    data = copy.deepcopy(GOOD)
    data["ops"], data["tensors"] = [], []
    msg = load_error(tmp_path, data)
    with pytest.raises(WorkloadError) as exc:
        workload_from_dict(copy.deepcopy(data), source=msg.split(":")[0])
    assert str(exc.value) == msg and "has no ops" in msg
