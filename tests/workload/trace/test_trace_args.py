"""`cimsim trace FILE.py:FACTORY --arg KEY=VALUE` passes keyword arguments to the factory and
records them in metadata.params, so a sweep over files traced at several sequence lengths gets a
`workload.steps` column (find-C finding 5: a user factory took no arguments, and a sweep over
traced files had no column to plot against T)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from cimsim.cli import main
from cimsim.sweep import sweep
from cimsim.workload import load_workload
from cimsim.workload.trace.common import parse_arg

pytest.importorskip("torch")

I, H = 8, 16
FACTORY = f'''
import torch
from torch import nn


def gru(steps=4, hidden={H}, bias=True, tag="x"):
    torch.manual_seed(0)
    return nn.GRU({I}, hidden, bias=bias).eval(), (torch.randn(steps, 1, {I}),)


def fixed():
    return nn.Linear(2, 2), (torch.randn(1, 2),)
'''


def _trace(tmp_path, *args):
    (tmp_path / "m.py").write_text(FACTORY)
    return CliRunner().invoke(main, ["trace", f"{tmp_path / 'm.py'}:{args[0]}", *args[1:]])


def test_arg_reaches_the_factory_and_a_sweep_gets_workload_steps(tmp_path):
    files = []
    for t in (4, 8):
        out = tmp_path / f"gru{t}.json"
        res = _trace(tmp_path, "gru", "--arg", f"steps={t}", "-o", str(out))
        assert res.exit_code == 0, res.output
        w = load_workload(out)
        assert w.metadata["params"] == {"steps": t}
        # nn.GRU: 3 gates x H x (I + H) MACs per step, T steps
        assert w.macs == 3 * H * (I + H) * t
        files.append(str(out))
    df = sweep("cpu-ddr5", files, [], engine="analytic", workers=1, output=tmp_path / "s.parquet")
    assert df["workload.steps"].tolist() == [4, 8]
    assert [c for c in df.columns if c.startswith("workload.")] == ["workload.steps"]


def test_arg_values_are_typed_as_a_user_expects(tmp_path):
    assert [parse_arg(v) for v in ("64", "-3", "0.5", "1e-3", "true", "False", "gru", "nan")] \
        == [64, -3, 0.5, 1e-3, True, False, "gru", "nan"]
    out = tmp_path / "g.json"
    res = _trace(tmp_path, "gru", "--arg", "hidden=32", "--arg", "bias=false", "--arg", "tag=y",
                 "-o", str(out))
    assert res.exit_code == 0, res.output
    w = load_workload(out)
    assert w.metadata["params"] == {"hidden": 32, "bias": False, "tag": "y"}
    # hidden 32 reached nn.GRU, and bias=False left out its 2 x 3H biases: 3H(I + H) elements
    assert w.weight_bytes == 3 * 32 * (I + 32) * 4


@pytest.mark.parametrize("args, says", [
    (["gru", "--arg", "T=8"], "the factory takes no keyword 'T' (it takes: steps, hidden, bias, tag)"),
    (["fixed", "--arg", "steps=8"], "the factory takes no keyword 'steps' (it takes: no arguments)"),
    (["gru", "--arg", "steps"], "--arg 'steps' must be KEY=VALUE"),
    (["gru", "--arg", "steps=4", "--arg", "steps=8"], "--arg steps is given twice"),
])
def test_a_bad_arg_is_one_line(tmp_path, args, says):
    res = _trace(tmp_path, *args, "-o", str(tmp_path / "x.json"))
    assert res.exit_code != 0
    assert says in res.output
    assert "Traceback" not in res.output and len(res.output.strip().splitlines()) <= 3
    assert not (tmp_path / "x.json").exists()


def test_arg_goes_with_a_factory_not_zoo(tmp_path):
    res = CliRunner().invoke(main, ["trace", "--zoo", "lstm", "--arg", "T=8", "-o",
                                    str(tmp_path / "x.json")])
    assert res.exit_code != 0 and "--arg goes with SPEC" in res.output
