"""The footprint of a traced training step (tester D's report find-D, finding 6): an optimizer's
state is its own part, not activations; a mixed-precision step's fp32 master weights are counted
beside the bf16 weights its matmuls read.

Goldens are hand arithmetic: the MLP 64 -> 128 -> 10 has P = 64*128 + 128 + 128*10 + 10 = 9,610
parameters, 4 B each in fp32."""

from __future__ import annotations

import json
from textwrap import dedent

import pytest
from click.testing import CliRunner
from test_trace_optimizer import FACTORIES, _trace

from cimsim.cli import main

pytestmark = pytest.mark.torch

torch = pytest.importorskip("torch")

P = 64 * 128 + 128 + 128 * 10 + 10  # parameters of the MLP
ADAM = 2 * 4 * P + 4 * 4  # exp_avg and exp_avg_sq per fp32 parameter, and 4 fp32 step counts


def _run(path, *extra):
    return CliRunner().invoke(main, ["run", "gpu-hbm3", str(path), *extra])


@pytest.mark.parametrize("factory, state", [("adam", ADAM), ("sgdm", 4 * P)])  # SGD: one buffer
def test_optimizer_state_is_its_own_part_of_the_footprint(tmp_path, factory, state):
    """Adam's 76.9 kB of state counted as activations (213.6 kB at the peak against 71.21 kB
    for the same step without an optimizer)."""
    from cimsim.workload import load_workload

    r, out = _trace(tmp_path, factory)
    assert r.exit_code == 0, r.output
    w, base = load_workload(out), load_workload(_trace(tmp_path, "bwd")[1])
    fp = w.footprint
    assert (fp.weights, fp.optimizer_state) == (4 * P, state)
    assert fp.total == fp.weights + fp.optimizer_state + fp.activations
    # the state lies apart: the peak holds at most the step's own tensors and the new weights
    assert fp.activations <= base.footprint.activations + 4 * P
    assert w.activation_bytes <= base.activation_bytes + 4 * P
    res = _run(out)
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert f"optimizer state {state / 1e3:.4g} kB" in text, text
    js = json.loads(_run(out, "--json").output)
    assert js["optimizer_state_bytes"] == state and list(js).index("optimizer_state_bytes") == \
        list(js).index("activation_bytes") + 1


def test_a_step_without_an_optimizer_has_no_optimizer_state(tmp_path):
    r, out = _trace(tmp_path, "bwd")
    assert r.exit_code == 0, r.output
    assert "optimizer state" not in _run(out).output
    assert "optimizer_state_bytes" not in json.loads(_run(out, "--json").output)


AMP = FACTORIES + dedent('''
    class Amp(nn.Module):
        """An autocast (bf16) forward and its backward: the fp32 parameters are the master copy."""
        def __init__(s, train):
            super().__init__(); s.train_ = train
            s.net = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
        def forward(s, x, y):
            with torch.enable_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
                loss = ((s.net(x).float() - y) ** 2).mean()
            if s.train_:
                with torch.enable_grad():
                    loss.backward()
            return loss.detach()

    def amp(): torch.manual_seed(0); return Amp(True).eval(), (torch.randn(8, 64), torch.randn(8, 10))
    def amp_inf(): torch.manual_seed(0); return Amp(False).eval(), (torch.randn(8, 64), torch.randn(8, 10))
''')


def test_a_mixed_precision_step_counts_its_fp32_master_weights(tmp_path):
    """The footprint held the bf16 casts alone (19.22 kB = 2 B x P): the fp32 parameters the
    gradients update (38.44 kB = 4 B x P) were nowhere. Inference under autocast reads the
    casts only: no master weights there."""
    from cimsim.workload import load_workload
    from test_trace_training import _trace as trace_factory

    r, out = trace_factory(tmp_path, "amp", factories=AMP)
    assert r.exit_code == 0, r.output
    fp = load_workload(out).footprint
    assert (fp.weights, fp.master_weights) == (2 * P, 4 * P)
    assert fp.total == fp.weights + fp.master_weights + fp.activations
    assert "master weights 38.44 kB" in " ".join(_run(out).output.split())
    r, out = trace_factory(tmp_path, "amp_inf", factories=AMP)
    assert r.exit_code == 0, r.output
    fp = load_workload(out).footprint
    assert (fp.weights, fp.master_weights) == (2 * P, 0)


def test_malformed_optimizer_state_is_one_line(tmp_path):
    r, out = _trace(tmp_path, "adam")
    d = json.loads(out.read_text())
    d["metadata"]["optimizer_state"] = [{"name": "m", "bytes": "many"}]
    out.write_text(json.dumps(d))
    res = _run(out)
    assert res.exit_code != 0 and "Traceback" not in res.output
    assert "metadata optimizer_state must be a list of {name, bytes" in res.output, res.output
    assert len(res.output.strip().splitlines()) == 1
