"""Op tags are declared once (cimsim.workload.tags): an unknown key or a value of the wrong type
is refused in one line naming the file, the op and its index, the tag and what is allowed (find-W
1, 5); the README's tag and op-cost tables are the code's (find-W 2); ops out of dependency order
name their producer or the cycle (find-W 3); the dependency critical path's ops are listed
(find-W 4); the builder's and the reader's smaller gaps (find-W 6)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import cimsim
from cimsim.cli import main
from cimsim.errors import WorkloadError
from cimsim.workload import WorkloadBuilder, load_workload
from cimsim.workload import tag_docs
from cimsim.workload.tags import TAGS

README = Path(__file__).resolve().parents[2] / "README.md"


def _file(tmp_path, tags0=None, tags1=None, name="w.json"):
    """A Linear (matmul + bias add) on 1 x 256 fp32, with the given tags on each op."""
    d = {"format": "cimsim-workload", "version": 1, "name": "fused",
         "tensors": [{"name": "x", "shape": [1, 256], "dtype": "fp32", "role": "input"},
                     {"name": "W", "shape": [256, 256], "dtype": "fp32", "role": "weight"},
                     {"name": "b", "shape": [256], "dtype": "fp32", "role": "weight"},
                     {"name": "h", "shape": [1, 256], "dtype": "fp32", "role": "activation"},
                     {"name": "y", "shape": [1, 256], "dtype": "fp32", "role": "activation"}],
         "ops": [{"name": "mm", "kind": "matmul", "inputs": ["x", "W"], "outputs": ["h"],
                  "m": 1, "k": 256, "n": 256, "weight": "W", **({"tags": tags0} if tags0 else {})},
                 {"name": "bias", "kind": "elementwise", "fn": "add", "inputs": ["h", "b"],
                  "outputs": ["y"], **({"tags": tags1} if tags1 else {})}]}
    p = tmp_path / name
    p.write_text(json.dumps(d))
    return p


@pytest.mark.parametrize("key", ["lauch", "Launch", "launch "])
def test_a_misspelt_tag_is_refused_naming_file_op_and_nearest_tag(tmp_path, key):
    p = _file(tmp_path, tags1={key: 1})
    with pytest.raises(WorkloadError) as e:
        load_workload(p)
    msg = str(e.value)
    assert msg.startswith(f"{p}: workload 'fused': op 'bias' (#1): tag '{key}' is not a tag cimsim knows "
                          "(did you mean 'launch'?); allowed: access_bytes")
    assert "\n" not in msg and "x_" in msg


def test_the_cli_prints_one_line_and_exits_1(tmp_path):
    p = _file(tmp_path, tags1={"lauch": 1})
    r = CliRunner().invoke(main, ["run", "gpu-hbm3", str(p)])
    assert r.exit_code == 1
    assert r.output.count("\n") == 1 and "did you mean 'launch'?" in r.output and "Traceback" not in r.output


def test_the_launch_tag_spelt_right_still_joins_the_two_ops(tmp_path):
    # one launch for the pair on gpu-hbm3: one fixed latency fewer than the untagged file,
    # its 5 us op_overhead + 0.5 us HBM access latency (each op still moves its own bytes)
    tagged = cimsim.simulate(cimsim.load_architecture("gpu-hbm3"),
                             load_workload(_file(tmp_path, {"launch": 1}, {"launch": 1}, "a.json")))
    plain = cimsim.simulate(cimsim.load_architecture("gpu-hbm3"), load_workload(_file(tmp_path, name="b.json")))
    assert plain.latency_s - tagged.latency_s == pytest.approx(5e-6 + 0.5e-6, rel=1e-6, abs=0)


def test_a_user_note_under_x_is_kept(tmp_path):
    w = load_workload(_file(tmp_path, tags0={"x_owner": "alice"}))
    assert w.ops[0].tags == {"x_owner": "alice"}


@pytest.mark.parametrize("tags, text", [
    ({"part": "im2cl"}, "tag part = 'im2cl' is not allowed; did you mean 'im2col'?"),
    ({"depthwise": "x"}, "tag depthwise = 'x' is not a number; it must be 0 or 1"),
    ({"window_elems": -4}, "tag window_elems = -4 is not allowed; it must be a whole number >= 0"),
    ({"chain_ops": -2.0}, "tag chain_ops = -2 is not allowed; it must be a finite number >= 0"),
    ({"access_bytes": 0.5}, "tag access_bytes = 0.5 is not allowed; it must be 0 (streaming) or a number >= 1"),
    ({"input_value_bits": 0}, "tag input_value_bits = 0 is not allowed; it must be a whole number of bits in 1..32"),
    ({"weight_transposed": "yes"}, "tag weight_transposed = 'yes' is not a number; it must be 0 or 1"),
    ({"epilogue": "relu"}, "tag epilogue stands on a matmul op; cimsim reads it on elementwise ops only"),
    # find-E 3: a chain list one entry per input (2) / output (1), refused when the file is read
    ({"chain_in": [1, 2, 3]}, "tag chain_in = [1, 2, 3] is not allowed; the op has 2 input(s) and 1 "
                              "output(s), so it must be a list of 2 numbers >= 0"),
    ({"chain_out": [1, 2]}, "tag chain_out = [1, 2] is not allowed; the op has 2 input(s) and 1 output(s)"),
    ({"chain_io": [[1]]}, "tag chain_io = [[1]] is not allowed; the op has 2 input(s) and 1 output(s), so "
                          "it must be a list of 2 lists"),
    ({"chain_io": [[1, 2], [1, 2]]}, "tag chain_io = [[1, 2], [1, 2]] is not allowed"),
    # find-E 5: index runs are a string, the only form the activity reader parses
    ({"weight_zero_rows": 4, "weight_zero_rows_at": [[0, 4]]},
     "tag weight_zero_rows_at = [[0, 4]] is not allowed; it must be index runs: a string"),
    # 256 fp32 outputs = 1,024 B; 1e9 B is more than the op writes
    ({"store_bytes": 1e9}, "tag store_bytes = 1000000000 is more than the op writes (1024 bytes"),
])
def test_tag_values_are_checked_with_file_and_index_and_plain_numbers(tmp_path, tags, text):
    p = _file(tmp_path, tags0=tags)
    with pytest.raises(WorkloadError) as e:
        load_workload(p)
    msg = str(e.value)
    assert msg.startswith(f"{p}: workload 'fused': op 'mm' (#0): "), msg
    assert text in msg and "np.float64" not in msg


def test_a_label_part_is_a_label():
    b = WorkloadBuilder("w")
    b.tensor("x", (1, 4), "fp32", "input")
    b.tensor("y", (1, 4), "fp32")
    b.op("r", "elementwise", ["x"], ["y"], fn="relu", tags={"part": "ffn_act", "module": "mlp.act"})
    assert b.build().ops[0].tags["part"] == "ffn_act"


def test_the_builder_refuses_an_unknown_tag_too():
    b = WorkloadBuilder("w")
    b.tensor("x", (1, 4), "fp32", "input")
    b.tensor("y", (1, 4), "fp32")
    b.op("r", "elementwise", ["x"], ["y"], fn="relu", tags={"epilog": "relu"})
    with pytest.raises(WorkloadError, match=r"op 'r' \(#0\): tag 'epilog' .*did you mean 'epilogue'"):
        b.build()


def test_every_bundled_workload_declares_its_tags():
    # (every workload is checked when made, so the generators' and the tracer's are checked by
    # their own tests; the bundled files are the old files a user has)
    from cimsim import bundled

    seen = set()
    for p in bundled.workload_paths():
        seen |= {k for op in load_workload(p).ops for k in op.tags}
    assert {"part", "layer", "epilogue"} <= seen <= set(TAGS)


def test_readme_tables_are_the_codes():
    tags, costs = tag_docs.readme_blocks(README.read_text(encoding="utf-8"))
    assert tags == tag_docs.tags_table(), "python -m cimsim.workload.tag_docs --write README.md"
    assert costs == tag_docs.costs_table(), "python -m cimsim.workload.tag_docs --write README.md"
    assert all(f"| `{k}` |" in tags for k in TAGS)
    # kinds.py's exp and softmax: 4 and 7 vector ops per element
    assert "| elementwise `exp` | 4 per output element |" in costs
    assert "| `softmax` | 7 per output element |" in costs


# ---- W 3: dependency order
def _chain(order):
    """x -> A -> a -> B -> b -> C -> c, ops listed in ``order``; ``cycle``: A also reads c."""
    b = WorkloadBuilder("w")
    b.tensor("x", (4,), "fp32", "input")
    for t in "abc":
        b.tensor(t, (4,), "fp32")
    ops = {"A": (["x"], ["a"]), "B": (["a"], ["b"]), "C": (["b"], ["c"])}
    for name in order:
        b.op(name, "elementwise", *ops[name], fn="relu")
    return b


def test_an_op_before_its_producer_names_the_producer():
    with pytest.raises(WorkloadError) as e:
        _chain("BAC").build()
    assert str(e.value) == ("workload 'w': op 'B' (#0): input 'a' is produced by op 'A' (#1), listed "
                            "after it; ops must be listed in dependency order (a producer before "
                            "its readers): move op 'A' (and the ops it needs) before op 'B'")


def test_a_cycle_is_named():
    b = WorkloadBuilder("w")
    b.tensor("x", (4,), "fp32", "input")
    for t in "abc":
        b.tensor(t, (4,), "fp32")
    b.op("A", "elementwise", ["x", "c"], ["a"], fn="add")
    b.op("B", "elementwise", ["a"], ["b"], fn="relu")
    b.op("C", "elementwise", ["b"], ["c"], fn="relu")
    with pytest.raises(WorkloadError, match=r"op 'A' \(#0\): input 'c' is produced by op 'C' \(#2\), "
                       r"listed after it, and it depends on this op: a cycle \('A' -> 'B' -> 'C' -> 'A'\)"):
        b.build()


# ---- W 4: the dependency critical path's ops
def _diamond():
    """A -> {B1 -> C1 -> C2, B2} -> D over 65,536 fp32, B2 at 200 ops per element."""
    N = 65536
    b = WorkloadBuilder("diamond")
    b.tensor("x", (1, N), "fp32", "input")
    for t in ["a", "b1", "b2", "c1", "c2", "d"]:
        b.tensor(t, (1, N), "fp32")
    b.op("A", "elementwise", ["x"], ["a"], fn="relu")
    b.op("B1", "elementwise", ["a"], ["b1"], fn="exp")
    b.op("B2", "elementwise", ["a"], ["b2"], fn="tanh", ops_per_element=200)
    b.op("C1", "elementwise", ["b1"], ["c1"], fn="relu")
    b.op("C2", "elementwise", ["c1"], ["c2"], fn="relu")
    b.op("D", "elementwise", ["c2", "b2"], ["d"], fn="add")
    return b.build()


def test_the_dependency_critical_path_names_its_ops():
    r = cimsim.simulate(cimsim.load_architecture("cpu-ddr5"), _diamond())
    assert r.critical_path_op_names == ["A", "B2", "D"]
    # B2 on cpu-ddr5: 65,536 x 200 ops / 1.28e12 ops/s = 10.24 us compute + 2 us op_overhead
    # (its 512 KiB in and out stay in the 3 MiB SRAM, faster than the compute)
    assert r.critical_path_op_s[1] == pytest.approx(10.24e-6 + 2e-6, rel=1e-9, abs=0)
    assert sum(r.critical_path_op_s) == pytest.approx(r.critical_path_s, rel=1e-12, abs=0)
    assert r.critical_path_ops == 3


def test_the_critical_path_names_are_decoded_only_when_read():
    """find-S 1: naming every critical-path op cost O(path) Python on every simulate(), sweeps
    included; the Result now keeps the op indices and decodes the names at the first read."""
    import copy
    import pickle

    from cimsim.report.result import Result
    from cimsim.workload.columns import Taken

    r = cimsim.simulate(cimsim.load_architecture("cpu-ddr5"), _diamond(), keep_ops=False)
    held = vars(r)["critical_path_op_names"]
    assert isinstance(held, Taken) and len(held) == 3  # not yet names
    twin = copy.copy(r)  # a copy made before the read reads the same names
    back = pickle.loads(pickle.dumps(r))  # a pickle carries the names, not the workload
    assert isinstance(vars(back)["critical_path_op_names"], list)
    assert r.critical_path_op_names == ["A", "B2", "D"]
    assert type(r.critical_path_op_names) is list and vars(r)["critical_path_op_names"] is r.critical_path_op_names
    assert twin.critical_path_op_names == back.critical_path_op_names == ["A", "B2", "D"]
    assert r == back
    assert Result.__dataclass_fields__["critical_path_op_names"].default == ()  # a new Result: []
    r.critical_path_op_names = ("D",)
    assert r.critical_path_op_names == ["D"]


def test_string_table_take_decodes_by_index():
    from cimsim.workload.columns import StringTable

    t = StringTable.from_list(["a", "bé", "", "ccc"])
    assert t.take([3, 1, 1, 2]) == ["ccc", "bé", "bé", ""]
    assert t.take(np.array([], dtype=np.int64)) == []
    with pytest.raises(IndexError, match="out of range 0..3"):
        t.take([4])


def test_run_critical_path_lists_them(tmp_path):
    from cimsim.workload import save_workload

    p = tmp_path / "d.json"
    save_workload(_diamond(), p)
    out = CliRunner().invoke(main, ["run", "cpu-ddr5", str(p), "--critical-path", "--json"])
    assert out.exit_code == 0, out.output
    rows = json.loads(out.stdout)["critical_path"]
    assert [r["op"] for r in rows] == ["A", "B2", "D"]
    text = CliRunner().invoke(main, ["run", "cpu-ddr5", str(p), "--critical-path"]).output
    assert "dependency critical path: 3 ops" in text and "B2" in text.split("dependency critical path")[-1]


# ---- W 5 / W 6
def test_an_elementwise_op_without_inputs_is_refused_but_rng_reads_nothing():
    b = WorkloadBuilder("w")
    b.tensor("y", (4,), "fp32")
    b.op("r", "elementwise", [], ["y"], fn="relu")
    with pytest.raises(WorkloadError, match=r"op 'r' \(#0\): an elementwise 'relu' op with no inputs"):
        b.build()
    b = WorkloadBuilder("w")
    b.tensor("y", (4,), "fp32")
    b.op("r", "elementwise", [], ["y"], fn="rng")
    assert b.build().ops[0].inputs == ()


def test_a_numpy_shape_is_read_and_a_float_one_refused():
    b = WorkloadBuilder("w")
    b.tensor("x", np.array([1, 64]), "fp32", "input")
    b.tensor("y", (1, 64), "fp32")
    b.op("r", "elementwise", ["x"], ["y"], fn="relu")
    assert b.build().tensors["x"].shape == (1, 64)
    with pytest.raises(WorkloadError, match="1-D float64 array"):
        WorkloadBuilder("v").tensor("x", np.array([1.0, 2.0]), "fp32")


def test_a_builder_takes_nothing_after_build():
    b = WorkloadBuilder("w")
    b.tensor("x", (4,), "fp32", "input")
    b.tensor("y", (4,), "fp32")
    b.op("r", "elementwise", ["x"], ["y"], fn="relu")
    assert b.build() == b.build()
    with pytest.raises(WorkloadError, match=r"build\(\) was called"):
        b.tensor("z", (4,), "fp32")


def test_an_unknown_op_key_lists_the_kinds_own_fields(tmp_path):
    d = json.loads(_file(tmp_path).read_text())
    d["ops"][1]["bytes"] = 4
    p = tmp_path / "k.json"
    p.write_text(json.dumps(d))
    with pytest.raises(WorkloadError) as e:
        load_workload(p)
    assert "unknown keys ['bytes']; an op of kind 'elementwise' takes" in str(e.value)
    assert "'m'" not in str(e.value)


# find-E 2: a cost tag on an op kind that never reads it is refused, naming the allowed kinds
@pytest.mark.parametrize("tags0, tags1, index, text", [
    (None, {"window_elems": 9}, 1, "tag window_elems stands on an elementwise op; cimsim reads it on matmul ops only"),
    (None, {"input_value_bits": 1}, 1, "tag input_value_bits stands on an elementwise op; cimsim reads it on matmul"),
    (None, {"depthwise": 1}, 1, "tag depthwise stands on an elementwise op; cimsim reads it on matmul ops only"),
    (None, {"input_zeros": 0.5}, 1, "tag input_zeros stands on an elementwise op; cimsim reads it on matmul"),
    (None, {"weight_name": "W"}, 1, "tag weight_name stands on an elementwise op; cimsim reads it on matmul"),
    (None, {"part": "conv"}, 1, "tag part = 'conv' stands on an elementwise op; cimsim reads it on matmul ops only"),
    ({"part": "im2col"}, None, 0, "tag part = 'im2col' stands on a matmul op; cimsim reads it on copy ops only"),
    ({"lookups": 5}, None, 0, "tag lookups stands on a matmul op; cimsim reads it on copy, reduction, elementwise"),
    ({"pool": "sum"}, None, 0, "tag pool stands on a matmul op; cimsim reads it on copy, reduction, elementwise"),
])
def test_a_cost_tag_on_an_op_kind_that_never_reads_it_is_refused(tmp_path, tags0, tags1, index, text):
    p = _file(tmp_path, tags0, tags1)
    with pytest.raises(WorkloadError) as e:
        load_workload(p)
    name = ("mm", "bias")[index]
    assert str(e.value).startswith(f"{p}: workload 'fused': op '{name}' (#{index}): {text}"), str(e.value)


def test_a_label_part_and_backward_stand_on_any_kind(tmp_path):
    w = load_workload(_file(tmp_path, {"part": "qkv_proj"}, {"part": "backward"}))
    assert [op.tags["part"] for op in w.ops] == ["qkv_proj", "backward"]


def test_launch_1_and_1_point_0_are_one_group(tmp_path):
    # find-E 7: numbers compare by value; one launch saves gpu-hbm3's 5 us op_overhead + 0.5 us
    # HBM access latency against the untagged pair, as launch 1 / 1 does
    arch = cimsim.load_architecture("gpu-hbm3")
    mixed = cimsim.simulate(arch, load_workload(_file(tmp_path, {"launch": 1}, {"launch": 1.0}, "a.json")))
    plain = cimsim.simulate(arch, load_workload(_file(tmp_path, name="b.json")))
    assert plain.latency_s - mixed.latency_s == pytest.approx(5e-6 + 0.5e-6, rel=1e-6, abs=0)


def test_an_op_reading_its_own_output_is_a_self_dependency():
    b = WorkloadBuilder("w")
    b.tensor("x", (1, 4), "fp32", "input")
    b.tensor("a", (1, 4), "fp32")
    b.op("A", "elementwise", ["x", "a"], ["a"], fn="add")
    with pytest.raises(WorkloadError) as e:
        b.build()
    msg = str(e.value)
    assert "op 'A' reads its own output 'a' (a self-dependency)" in msg and "listed after" not in msg, msg


def test_activity_rules_are_the_registrys():
    """The activity columns' range check reads the registry: its words are the registry's type
    text, and its vector test agrees with the registry's scalar test on values inside, on and
    past each type's edges (a rule typed twice could drift; one read from the registry cannot)."""
    from cimsim.workload import activity
    from cimsim.workload.tags import TAGS, TYPES

    probes = [-1.0, -0.0, 0.0, 0.5, 1.0, 1.5, 2.0, 7.0, 32.0, 32.5, 33.0, 1e9, np.inf, np.nan]
    for key in activity.KEYS:
        allowed, vector = activity.TAGS[key]
        assert TAGS[key].kinds == ("matmul",), key
        assert allowed == TYPES[TAGS[key].type][0], key
        with np.errstate(invalid="ignore"):
            got = vector(np.array(probes)).tolist()
        assert got == [bool(TYPES[TAGS[key].type][1](v)) for v in probes], key
