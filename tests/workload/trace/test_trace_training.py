"""Models that are not plain inference (tester D's report, 2026-12): a training step, a
backward pass, train mode, a weight read in both orientations (a tied autoencoder), complex
parameters, an ExportedProgram.

Goldens are hand arithmetic written beside each assertion, never the tracer's output."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest
from click.testing import CliRunner

import cimsim
from cimsim.cli import main

pytestmark = pytest.mark.torch

torch = pytest.importorskip("torch")
README = (Path(__file__).resolve().parents[3] / "README.md").read_text(encoding="utf-8")

CONFIGS = Path(__file__).resolve().parents[3] / "src" / "cimsim" / "data" / "configs"

FACTORIES = dedent('''
    import torch
    from torch import nn
    B, I, H, O = 4, 16, 32, 8

    class MLP(nn.Module):
        def __init__(s):
            super().__init__(); s.l1 = nn.Linear(I, H); s.l2 = nn.Linear(H, O)
        def forward(s, x):
            return s.l2(torch.relu(s.l1(x)))

    class Train(nn.Module):  # a training step as written outside cimsim: no grad context
        def __init__(s):
            super().__init__(); s.m = MLP()
        def forward(s, x, y):
            loss = ((s.m(x) - y) ** 2).mean()
            loss.backward()
            return loss

    class Step(nn.Module):  # the backward run under torch.enable_grad()
        def __init__(s):
            super().__init__(); s.m = MLP()
        def forward(s, x, y):
            with torch.enable_grad():
                loss = ((s.m(x) - y) ** 2).mean()
                loss.backward()
            return loss

    def train():
        return Train(), (torch.randn(B, I), torch.randn(B, O))

    def grad():
        return Step().eval(), (torch.randn(B, I), torch.randn(B, O))

    def dropout(mode):
        m = nn.Sequential(nn.Linear(I, H), nn.Dropout(0.1), nn.Linear(H, O))
        return getattr(m, mode)(), (torch.randn(B, I),)

    def dropout_train(): return dropout("train")
    def dropout_eval(): return dropout("eval")

    class Cx(nn.Module):
        def __init__(s):
            super().__init__(); s.W = nn.Parameter(torch.randn(I, H, dtype=torch.complex64))
        def forward(s, x): return x @ s.W

    def cplx(): return Cx(), (torch.randn(B, I, dtype=torch.complex64),)

    def exported():
        m = MLP().eval()
        return torch.export.export(m, (torch.randn(B, I),)), (torch.randn(B, I),)
''')


def _trace(tmp_path, name, *extra, factories=FACTORIES):
    """``cimsim trace factories.py:name *extra`` (``factories``: the file's source)."""
    f = tmp_path / "factories.py"
    f.write_text(factories)
    out = tmp_path / f"{name}.json"
    r = CliRunner().invoke(main, ["trace", f"{f}:{name}", "-o", str(out), *extra])
    return r, out


def test_a_training_step_is_one_line_saying_training_is_not_modelled(tmp_path):
    """The tracer's own no_grad made loss.backward() fail with autograd's message ("element 0
    of tensors does not require grad"), which blamed a model that works outside cimsim. The
    model is checked to be such a step: in plain PyTorch it runs and fills its gradients."""
    ns: dict = {}
    exec(FACTORIES, ns)
    model, args = ns["train"]()
    loss = model(*args)  # outside cimsim: the step works
    assert loss.ndim == 0 and all(p.grad is not None for p in model.parameters())
    with torch.no_grad(), pytest.raises(RuntimeError, match="does not require grad"):
        ns["train"]()[0](*args)  # under a no_grad, what the tracer ran it in, it fails
    r, _ = _trace(tmp_path, "train")
    assert r.exit_code == 1 and len(r.output.strip().splitlines()) == 1, r.output
    assert "it calls backward()" in r.output and "under torch.no_grad()" in r.output
    # how to trace the step instead, and a README section that exists (review 19-A 3: it
    # pointed to a 'Not modelled' section the README does not have)
    assert "inside torch.enable_grad()" in r.output
    assert "(README 'Training on a CIM: what is modelled')" in r.output
    assert "### Training on a CIM: what is modelled" in README


def test_a_backward_pass_traces_its_pointwise_derivatives_and_says_so(tmp_path):
    """ReLU's derivative (aten.threshold_backward) was refused as unknown; the backward traced
    with no word that it is one."""
    from cimsim.workload import load_workload

    r, out = _trace(tmp_path, "grad")
    assert r.exit_code == 0, r.output
    w = load_workload(out)
    # forward 4x16x32 + 4x32x8 = 3,072; dX2 4x8x32 = 1,024; dW2 32x4x8 = 1,024; dW1 16x4x32 = 2,048
    assert w.macs == 3_072 + 1_024 + 1_024 + 2_048
    assert w.metadata["unknown_ops"] == [] and w.metadata["backward_ops"] > 0
    assert "ran in autograd's backward pass: traced as plain ops" in r.output
    assert "train mode" not in r.output  # the model is in eval mode


def test_train_mode_dropout_is_said_and_eval_mode_is_silent(tmp_path):
    r, out = _trace(tmp_path, "dropout_train")
    assert r.exit_code == 0, r.output
    assert "note: the model is in train mode: its dropout and batch statistics (1 aten op(s))" in r.output
    r, _ = _trace(tmp_path, "dropout_eval")
    # eval mode: no train-mode note (the only note left is --batch's, its inputs having 2+ rows)
    notes = [ln for ln in r.output.splitlines() if ln.startswith("note:")]
    assert r.exit_code == 0 and all("leading dimension" in n for n in notes), r.output


@pytest.mark.parametrize("extra", [(), ("--dtype", "fp32")])
def test_a_complex_parameter_is_refused_without_recommending_a_dtype(tmp_path, extra):
    """The refusal recommended `--dtype fp32`, which wrote a complex64 matmul no config runs."""
    r, out = _trace(tmp_path, "cplx", *extra)
    assert r.exit_code == 1 and len(r.output.strip().splitlines()) == 1, r.output
    assert "parameter 'W' is complex64: complex arithmetic is not modelled" in r.output
    assert "`cimsim trace --dtype" not in r.output and not out.exists()


def test_an_exported_program_is_refused_naming_ep_module(tmp_path):
    r, _ = _trace(tmp_path, "exported")
    assert r.exit_code == 1 and len(r.output.strip().splitlines()) == 1, r.output
    assert "the factory's model is an ExportedProgram, not a torch.nn.Module; return ep.module()" in r.output


def test_a_weight_read_in_both_orientations_has_arrays_for_each():
    """A tied autoencoder, x @ W.T then h @ W: both products ran on the arrays holding one
    orientation (a transposable crossbar, which sram-cim does not have)."""
    from cimsim.mapping.placement import place
    from cimsim.workload.trace import trace

    class Tied(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.enc = torch.nn.Linear(512, 64, bias=False)

        def forward(self, x):
            h = torch.relu(self.enc(x))  # k = 512, n = 64
            return torch.nn.functional.linear(h, self.enc.weight.t())  # k = 64, n = 512

    w = trace(Tied().eval(), (torch.randn(1, 512),))
    arch = cimsim.load_architecture(str(CONFIGS / "sram-cim.yaml"))
    plan = next(p for p in place(w, arch).plans if "arrays_needed" in p.summary)
    # 256 x 256 arrays, 8-bit weights on 1-bit cells: ceil(512/256) x ceil(64*8/256) = 4 and
    # ceil(64/256) x ceil(512*8/256) = 16
    assert plan.summary["arrays_needed"] == 4 + 16
    assert any("'enc.weight' (k = 64 as h @ W, 512 as x @ W.T)" in n for n in plan.notes)
