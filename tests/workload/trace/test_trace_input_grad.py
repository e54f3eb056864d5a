"""Models that differentiate w.r.t. their input (tester S's report, find-S #1, #2, #5): a PINN's
``torch.autograd.grad(u, x)`` on a leaf input, the backward of basic indexing
(``slice_backward`` / ``select_backward``), and what such a trace is called.

Goldens are hand arithmetic written beside each assertion, never the tracer's output."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from cimsim.cli import main
from cimsim.errors import WorkloadError
from cimsim.workload.trace import trace

pytestmark = pytest.mark.torch

torch = pytest.importorskip("torch")
nn = torch.nn
F = torch.nn.functional

N, W = 64, 32  # collocation points, hidden width


class PINN(nn.Module):
    """u(x, t) and its derivative w.r.t. the (leaf) input, as a PINN's residual takes it."""

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(2, W), nn.Tanh(), nn.Linear(W, W), nn.Tanh(),
                                 nn.Linear(W, 1))

    def forward(self, xt):
        with torch.enable_grad():
            xt = xt.requires_grad_(True)  # a leaf: torch's ModuleTracker failed on it
            u = self.net(xt)
            g = torch.autograd.grad(u.sum(), xt, create_graph=True)[0]
            u_x, u_t = g[:, :1], g[:, 1:]  # basic indexing: slice_backward in a later grad
            return ((u_t - 0.01 * u_x) ** 2).mean()


def test_a_pinn_differentiating_its_leaf_input_traces_with_forward_and_dx_macs():
    torch.manual_seed(0)
    w = trace(PINN(), (torch.rand(N, 2),))
    # forward: N x (2·W + W·W + W·1) = 64 x 1,120 = 71,680; du/dx runs each Linear's dX = dY·W,
    # the same MACs again (no dW: the grad is w.r.t. the input only)
    assert sum(op.macs for op in w.ops if op.kind == "matmul") == 2 * N * (2 * W + W * W + W)
    assert not w.metadata["unknown_ops"]
    # no parameter gradient: an inference that takes input derivatives, not a training step
    assert w.metadata["backward_ops"] > 0 and w.metadata["input_derivatives_only"] is True
    assert "updated_parameters" not in w.metadata


def test_a_training_step_is_not_input_derivatives_only():
    class Step(nn.Module):
        def __init__(self):
            super().__init__()
            self.p = PINN()

        def forward(self, xt):
            with torch.enable_grad():
                self.p(xt).backward()  # gradients of the weights: a training step's
            return xt

    w = trace(Step(), (torch.rand(N, 2),))
    assert w.metadata["backward_ops"] > 0 and "input_derivatives_only" not in w.metadata


class Indexed(nn.Module):
    """A training step whose loss reads one column (select) or two (slice) of the output."""

    def __init__(self, pick):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 4))
        self.pick = pick

    def forward(self, x, y):
        with torch.enable_grad():
            F.mse_loss(self.pick(self.net(x)), y).backward()
        return x


@pytest.mark.parametrize("op, pick, cols", [("select_backward", lambda o: o[:, 0], 1),
                                            ("slice_backward", lambda o: o[:, :2], 2)])
def test_the_backward_of_indexing_is_a_copy_into_the_zero_filled_gradient(op, pick, cols):
    y = torch.randn(8) if cols == 1 else torch.randn(8, cols)
    w = trace(Indexed(pick), (torch.randn(8, 16), y))  # no allow_unknown
    assert not w.metadata["unknown_ops"]
    (cp,) = [o for o in w.ops if o.name == op]
    assert cp.kind == "copy"
    # reads the view's gradient (8 x cols fp32), writes the 8 x 4 fp32 input-shaped gradient
    assert sum(w.tensors[t].nbytes for t in cp.inputs) == 8 * cols * 4
    assert sum(w.tensors[t].nbytes for t in cp.outputs) == 8 * 4 * 4


def test_an_unmapped_op_of_the_backward_pass_is_not_blamed_on_the_forward():
    class HardGrad(torch.autograd.Function):  # a backward running an op cimsim has not mapped
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return torch.special.zeta(g.abs() + 2, torch.ones_like(g))  # hardshrink was, till 2026-12-07

    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.l = nn.Linear(4, 4)

        def forward(self, x):
            with torch.enable_grad():
                HardGrad.apply(self.l(x)).sum().backward()
            return x

    with pytest.raises(WorkloadError, match="special_zeta") as err:
        trace(M(), (torch.randn(3, 4),))
    assert "autograd's backward pass" in str(err.value)
    assert "own forward" not in str(err.value)


def test_a_failure_of_torchs_module_tracker_names_the_tracer_not_the_model():
    from torch.utils.module_tracker import ModuleTracker

    from cimsim.workload.trace.capture import tracer_fault

    # torch's own tracker on a leaf input under autograd.grad: the error the tracer hit
    with pytest.raises(RuntimeError, match="_will_engine_execute_node") as err:
        with ModuleTracker():
            PINN()(torch.rand(N, 2))
    assert tracer_fault(err.value)
    with pytest.raises(RuntimeError) as own:  # the model's own error: no tracer frame
        torch.zeros(2) @ torch.zeros(3)
    assert not tracer_fault(own.value)


def test_cli_says_input_derivatives_not_training(tmp_path):
    src = tmp_path / "pinn.py"
    src.write_text("import torch\nfrom test_trace_input_grad import PINN, N\n"
                   "def pinn():\n    return PINN(), (torch.rand(N, 2),)\n")
    out = tmp_path / "p.json"
    res = CliRunner().invoke(main, ["trace", f"{src}:pinn", "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert "derivatives w.r.t. the inputs only" in res.output
    assert "steps_to_wearout" not in res.output  # the training step's note is not said
    res = CliRunner().invoke(main, ["run", "sram-cim", str(out)])
    assert res.exit_code == 0, res.output
    assert "not a training step" in res.output and "a traced training step" not in res.output
