"""A hand-written op graph's fields (find-O 5-8): a field of another op kind is refused, not
ignored (``"fn": "relu"`` on a matmul left the ReLU out; ``"k": 999`` on a ReLU was dropped); a
matmul without ``m`` / ``k`` / ``n`` is told so, not "m=0"; a YAML workload is told that
workloads are JSON; a matmul that reads a weight tensor without naming it ``weight`` runs off
the CIM arrays, and the note says that, not "grouped/depthwise convolution".

The file: x (8, 784) fp32 -> fc1 (W1 784 x 256) -> relu -> fc2 (W2 256 x 10): MACs
8 x 784 x 256 + 8 x 256 x 10 = 1,605,632 + 20,480 = 1,626,112; fc1 is 98.7 % of them.
"""

from __future__ import annotations

import copy
import json

import pytest
import yaml
from click.testing import CliRunner

from cimsim import bundled, simulate
from cimsim.cli import main
from cimsim.config import load_architecture
from cimsim.errors import WorkloadError
from cimsim.workload import WorkloadBuilder, load_workload

MLP = {
    "format": "cimsim-workload", "version": 1, "name": "mlp",
    "tensors": [
        {"name": "x", "shape": [8, 784], "dtype": "fp32", "role": "input"},
        {"name": "W1", "shape": [784, 256], "dtype": "fp32", "role": "weight"},
        {"name": "h", "shape": [8, 256], "dtype": "fp32", "role": "activation"},
        {"name": "hr", "shape": [8, 256], "dtype": "fp32", "role": "activation"},
        {"name": "W2", "shape": [256, 10], "dtype": "fp32", "role": "weight"},
        {"name": "y", "shape": [8, 10], "dtype": "fp32", "role": "activation"},
    ],
    "ops": [
        {"name": "fc1", "kind": "matmul", "inputs": ["x", "W1"], "outputs": ["h"],
         "m": 8, "k": 784, "n": 256, "weight": "W1"},
        {"name": "relu", "kind": "elementwise", "inputs": ["h"], "outputs": ["hr"], "fn": "relu"},
        {"name": "fc2", "kind": "matmul", "inputs": ["hr", "W2"], "outputs": ["y"],
         "m": 8, "k": 256, "n": 10, "weight": "W2"},
    ],
}


def edited(tmp_path, edit, name="mlp.json"):
    d = copy.deepcopy(MLP)
    edit(d)
    p = tmp_path / name
    p.write_text(json.dumps(d, indent=1))  # indented: the generic reader, as a hand-written file
    return p


def error(path) -> str:
    with pytest.raises(WorkloadError) as exc:
        load_workload(path)
    return str(exc.value)


def test_the_file_loads_as_written(tmp_path):
    w = load_workload(edited(tmp_path, lambda d: None))
    assert sum(op.macs for op in w.ops) == 8 * 784 * 256 + 8 * 256 * 10


def test_fn_on_a_matmul_is_refused(tmp_path):
    msg = error(edited(tmp_path, lambda d: d["ops"][0].update(fn="relu")))
    assert msg.startswith(f"{tmp_path / 'mlp.json'}: ")
    assert "op 'fc1' (#0): field 'fn' applies to elementwise ops, not matmul" in msg
    assert "'m', 'k', 'n', 'batch', 'weight'" in msg  # what a matmul takes


@pytest.mark.parametrize("field, value", [("k", 999), ("m", 8), ("batch", 2)])
def test_matmul_dims_on_an_elementwise_op_are_refused(tmp_path, field, value):
    msg = error(edited(tmp_path, lambda d: d["ops"][1].update({field: value})))
    assert f"op 'relu' (#1): field '{field}' applies to matmul ops, not elementwise" in msg
    assert "'fn', 'ops_per_element', 'generic_macs'" in msg


def test_ops_per_element_on_a_matmul_is_refused(tmp_path):
    msg = error(edited(tmp_path, lambda d: d["ops"][2].update(ops_per_element=3)))
    assert "op 'fc2' (#2): field 'ops_per_element' applies to non-matmul ops, not matmul" in msg


def test_every_misplaced_field_is_named_at_once(tmp_path):
    """Review 17-2 S3: m, k and n on a ReLU named only 'm', so the user fixed one field a run."""
    msg = error(edited(tmp_path, lambda d: d["ops"][1].update(m=8, k=256, n=256)))
    assert "op 'relu' (#1): fields 'm', 'k', 'n' apply to matmul ops, not elementwise;" in msg
    both = error(edited(tmp_path, lambda d: d["ops"][0].update(fn="relu", ops_per_element=2)))
    assert ("op 'fc1' (#0): field 'fn' applies to elementwise ops and field 'ops_per_element' "
            "applies to non-matmul ops, not matmul") in both


def test_generic_macs_on_a_matmul_gets_the_rule_of_the_kinds_fields(tmp_path):
    """Review 17-2 S1: "generic_macs": 5 on a matmul was told it "must be a non-negative
    integer on a non-matmul op" (5 is one); it is a field a matmul does not take."""
    msg = error(edited(tmp_path, lambda d: d["ops"][0].update(generic_macs=5)))
    assert "op 'fc1' (#0): field 'generic_macs' applies to non-matmul ops, not matmul" in msg
    assert "non-negative integer" not in msg
    neg = error(edited(tmp_path, lambda d: d["ops"][1].update(generic_macs=-1)))
    assert "op 'relu' (#1)" in neg and "non-negative integer" in neg


def test_the_builder_gets_the_same_rule():
    b = WorkloadBuilder("w")
    b.tensor("x", (4,), "fp32", "input")
    b.tensor("y", (4,), "fp32", "activation")
    b.op("r", "elementwise", ["x"], ["y"], fn="relu", k=3)
    with pytest.raises(WorkloadError, match="op 'r' \\(#0\\): field 'k' applies to matmul ops"):
        b.build()


def test_a_missing_matmul_dimension_is_named_missing(tmp_path):
    def drop(d):
        for key in ("m", "k", "n"):
            del d["ops"][0][key]
    msg = error(edited(tmp_path, drop))
    assert "ops[0] ('fc1'): a matmul needs 'm', 'k' and 'n'" in msg and "missing 'm', 'k', 'n'" in msg
    assert "m=0" not in msg
    one = error(edited(tmp_path, lambda d: d["ops"][2].pop("n")))
    assert "ops[2] ('fc2'): a matmul needs" in one and "missing 'n'" in one
    # an explicit zero is still worded as the value given
    zero = error(edited(tmp_path, lambda d: d["ops"][0].update(m=0)))
    assert "matmul dimension m=0 must be a positive integer" in zero


def test_a_yaml_workload_says_workloads_are_json(tmp_path):
    p = tmp_path / "mlp.yaml"
    p.write_text(yaml.safe_dump(MLP))
    msg = error(p)
    assert "workload files are JSON (or .npz); YAML is read only for configs" in msg
    assert "not valid JSON" not in msg
    res = CliRunner().invoke(main, ["run", "cpu-ddr5", str(p)])
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert "YAML is read only for configs" in res.output


def test_the_yaml_conversion_line_keeps_the_folder_and_overwrites_nothing(tmp_path, monkeypatch):
    """Review 17-2 S2: for y/mlp.yaml the line said `mlp.yaml mlp.json`, which fails from the
    folder cimsim ran in (y/ lost) and wrote over any mlp.json there. It now names the path as
    given and the JSON beside it, opened exclusively: run twice, the second run refuses."""
    import shlex
    import subprocess
    import sys

    (tmp_path / "y").mkdir()
    (tmp_path / "y" / "mlp.yaml").write_text(yaml.safe_dump(MLP))
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(main, ["run", "cpu-ddr5", "y/mlp.yaml"])
    assert res.exit_code == 1
    line = " ".join(res.output.split())
    cmd = line[line.index("python -c "):line.rindex(")")]
    assert cmd.endswith(" y/mlp.yaml y/mlp.json"), cmd
    cmd = shlex.quote(sys.executable) + cmd[len("python"):]
    assert subprocess.run(cmd, shell=True, cwd=tmp_path, capture_output=True).returncode == 0
    assert load_workload(tmp_path / "y" / "mlp.json").name == "mlp"
    again = subprocess.run(cmd, shell=True, cwd=tmp_path, capture_output=True, text=True)
    assert again.returncode != 0 and "FileExistsError" in again.stderr


def test_a_weight_read_as_a_plain_operand_is_named_so(tmp_path):
    arch = load_architecture(bundled.resolve_config("sram-cim-derived"))
    r = simulate(arch, load_workload(edited(tmp_path, lambda d: d["ops"][0].pop("weight"))))
    fc1 = 8 * 784 * 256
    assert r.macs_per_unit["cim"] == 8 * 256 * 10  # fc2 only: fc1 names no weight
    assert r.macs_per_unit["processor"] == fc1
    note = [n for n in r.notes if "W1" in n and "plain operand" in n]
    assert len(note) == 1, r.notes
    assert f"{100 * fc1 / (fc1 + 8 * 256 * 10):.1f} % of the MACs" in note[0]  # 98.7 %
    assert '"weight": "W1"' in note[0] and "grouped/depthwise" not in note[0]
