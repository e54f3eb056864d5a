"""How traced training ops and eval batch norms are costed (find-E 1, find-D 4): an eval batch
norm is a per-channel affine; a real training step (cross_entropy, mse_loss, conv / norm
backward, Adam foreach and fused) traces without ``allow_unknown``.

Goldens are hand arithmetic written beside each assertion, never the tracer's output."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.torch

torch = pytest.importorskip("torch")
nn, F = torch.nn, torch.nn.functional

from cimsim.workload.trace import trace  # noqa: E402
from cimsim.workload.trace.fuse import vector_ops  # noqa: E402


class Step(nn.Module):
    """One training step as a user writes it: forward, loss, backward, optimizer step."""

    def __init__(self, net, loss, opt=None):
        super().__init__()
        self.net, self.loss = net, loss
        self.o = opt(net.parameters()) if opt else None

    def forward(self, x, y):
        with torch.enable_grad():
            loss = self.loss(self.net(x), y)
            loss.backward()
            if self.o:
                self.o.step()
                self.o.zero_grad()
        return loss.detach()


def _op(w, name):
    return next(op for op in w.ops if op.name == name)


def _vec(w, name):
    return vector_ops(_op(w, name), w.tensors)


def _total_vec(w):
    return sum(vector_ops(op, w.tensors) for op in w.ops)


# --------------------------------------------------------------------- eval batch norm
def test_an_eval_batch_norm_is_a_per_channel_affine_and_a_training_one_keeps_its_statistics():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8))
    x = torch.randn(2, 3, 6, 6)
    out = 2 * 8 * 4 * 4  # BN output elements: N x C x 4 x 4 = 256
    w = trace(net.eval(), (x,))
    (bn,) = [op for op in w.ops if op.kind == "layernorm"]
    assert vector_ops(bn, w.tensors) == 2 * out  # x * s + t: 512, not 8 x 256 = 2048
    w = trace(net.train(), (x,))
    (bn,) = [op for op in w.ops if op.kind == "layernorm"]
    assert vector_ops(bn, w.tensors) == 8 * out  # the batch's mean and variance: 2048
    ln = nn.Sequential(nn.Linear(4, 16), nn.LayerNorm(16)).eval()
    w = trace(ln, (torch.randn(3, 4),))
    (op,) = [op for op in w.ops if op.kind == "layernorm"]
    assert vector_ops(op, w.tensors) == 8 * 3 * 16  # a LayerNorm computes its statistics in eval too


def test_the_eval_batch_norm_ops_that_never_train_are_affine_too():
    torch.manual_seed(0)
    x = torch.randn(2, 4, 5, 5)
    mean, var, wt, b = torch.randn(4), torch.rand(4) + 0.5, torch.randn(4), torch.randn(4)

    class NoTraining(nn.Module):
        def forward(self, x):
            return torch.ops.aten._native_batch_norm_legit_no_training(x, wt, b, mean, var, 0.1, 1e-5)[0]

    w = trace(NoTraining(), (x,))
    (bn,) = [op for op in w.ops if op.kind == "layernorm"]
    assert vector_ops(bn, w.tensors) == 2 * 2 * 4 * 5 * 5  # 200


# --------------------------------------------------------------------- a CNN step
def _cnn():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 16, 3, padding=1),
                         nn.ReLU(), nn.Flatten(), nn.Linear(16 * 8 * 8, 10))


def test_a_cnn_step_with_cross_entropy_traces_with_conv_backward_as_two_im2col_matmuls():
    B = 2
    w = trace(Step(_cnn(), F.cross_entropy), (torch.randn(B, 3, 8, 8), torch.randint(0, 10, (B,))))
    assert not w.metadata.get("unknown_ops")
    c1 = B * 64 * 8 * (3 * 9)  # forward MACs: output elements x Cin x kernel = 27,648
    c2 = B * 64 * 16 * (8 * 9)  # 147,456
    fc = B * 1024 * 10  # 20,480
    # backward: each conv's dX and dW have the forward's MACs; c1 has no dX (x needs no grad)
    assert w.macs == (c1 + c2 + fc) + (2 * c2 + c1) + 2 * fc  # 559,104
    dx, dw = _op(w, "net.2.conv_dx"), _op(w, "net.2.conv_dw")
    assert (dx.m, dx.k, dx.n, dx.weight) == (B * 64, 16, 8 * 9, "net.2.weight")  # dY . W^T
    assert (dw.m, dw.k, dw.n, dw.weight) == (8 * 9, B * 64, 16, None)  # im2col(X)^T . dY
    assert dx.macs == dw.macs == c2
    assert _op(w, "net.0.conv_dw").macs == c1 and not any(op.name == "net.0.conv_dx" for op in w.ops)
    assert _vec(w, "net.2.col2im") == B * 64 * 8 * 9  # the columns summed into dX: 9,216
    assert _vec(w, "net.2.conv_db") == B * 16 * 64  # dB: a sum of dY, 2,048
    # cross_entropy: one pick per sample, a gradient of B x 10, log_softmax's backward 7 each
    assert _vec(w, "nll_loss_forward") == B
    assert _vec(w, "nll_loss_backward") == B * 10
    assert _vec(w, "_log_softmax_backward_data") == 7 * B * 10
    # nll_loss_backward reads the targets (int64) and the scalars, not the log-probabilities
    assert "_log_softmax" not in _op(w, "nll_loss_backward").inputs


@pytest.mark.parametrize("transposed", [False, True])
def test_strided_grouped_and_transposed_conv_gradients_each_cost_the_forward_macs(transposed):
    torch.manual_seed(0)
    N, H = 2, 7
    if transposed:
        net = nn.ConvTranspose2d(4, 6, 3, stride=2, groups=2)
        fwd = N * 4 * H * H * (6 // 2) * 9  # input elements x Cout/groups x kernel: 10,584
    else:
        net = nn.Conv2d(4, 6, 3, stride=2, groups=2)
        fwd = N * 6 * 3 * 3 * (4 // 2) * 9  # output elements (3 x 3 map) x Cin/groups x kernel: 1,944
    x = torch.randn(N, 4, H, H, requires_grad=True)
    y = net(x).detach()
    w = trace(Step(net, F.mse_loss), (x, torch.randn_like(y)))
    assert not w.metadata.get("unknown_ops")
    assert w.macs == 3 * fwd  # forward, dX, dW
    assert _op(w, "net.conv_dx").macs == _op(w, "net.conv_dw").macs == fwd


# --------------------------------------------------------------------- norms, mse
def test_a_norm_mlp_step_with_mse_loss_costs_its_norm_backwards_and_loss_by_their_stated_counts():
    torch.manual_seed(0)
    B = 8
    net = nn.Sequential(nn.Linear(16, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Linear(32, 4), nn.LayerNorm(4))
    w = trace(Step(net.train(), F.mse_loss), (torch.randn(B, 16), torch.randn(B, 4)))
    assert not w.metadata.get("unknown_ops")
    # forward 8x16x32 + 8x32x4; backward: l2 dX and dW, l1 dW only
    assert w.macs == (B * 16 * 32 + B * 32 * 4) + 2 * (B * 32 * 4) + B * 16 * 32  # 11,264
    # x_hat 2 + dX 8 + dW 2 + dB 1 = 13 per element of the normalised input
    assert _vec(w, "net.1.native_batch_norm_backward") == 13 * B * 32  # 3,328
    assert _vec(w, "net.4.native_layer_norm_backward") == 13 * B * 4  # 416
    assert _vec(w, "mse_loss") == 3 * B * 4  # subtract, square, sum: 96
    assert _vec(w, "mse_loss_backward") == 2 * B * 4  # subtract, scale: 64


def test_an_eval_batch_norm_backward_is_a_per_channel_scale():
    torch.manual_seed(0)
    B = 8
    net = nn.Sequential(nn.Linear(16, 32), nn.BatchNorm1d(32)).eval()  # running statistics
    w = trace(Step(net, F.mse_loss), (torch.randn(B, 16), torch.randn(B, 32)))
    # dX = g * (w * inv_std) 1, x_hat 2 (for dW), dW 2, dB 1 = 6 per element
    assert _vec(w, "net.1.native_batch_norm_backward") == 6 * B * 32


# --------------------------------------------------------------------- optimizers
def _adam_step(**kw):
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 4))
    opt = (lambda p: torch.optim.Adam(p, lr=1e-3, **kw)) if kw is not None else None
    return trace(Step(net, F.mse_loss, opt), (torch.randn(8, 16), torch.randn(8, 4)))


P = 16 * 32 + 32 + 32 * 4 + 4  # parameters: 676, in 4 tensors


@pytest.mark.parametrize("kw", [dict(foreach=False), dict(foreach=True), dict(fused=True)])
def test_adam_costs_ten_ops_per_parameter_in_every_form(kw):
    try:
        w = _adam_step(**kw)
    except RuntimeError as e:  # pragma: no cover - a torch without fused Adam on CPU
        pytest.skip(f"torch refuses {kw} here: {e}")
    assert not w.metadata.get("unknown_ops")
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 4))
    bare = trace(Step(net, F.mse_loss), (torch.randn(8, 16), torch.randn(8, 4)))
    # lerp 1, mul 1, addcmul 1, sqrt 4, div 1, add 1, addcdiv 1 = 10 per parameter, plus the
    # step count's += 1 on each of the 4 tensors
    assert _total_vec(w) - _total_vec(bare) == 10 * P + 4  # 6,764


def test_fused_adam_writes_parameters_and_state_but_not_the_gradients():
    try:
        w = _adam_step(fused=True)
    except RuntimeError as e:  # pragma: no cover
        pytest.skip(f"torch refuses fused Adam here: {e}")
    ops = [op for op in w.ops if any(o.startswith("fused_adam") for o in op.outputs)]
    assert len(ops) == 4  # one per parameter tensor
    big = next(op for op in ops if "net.0.weight" in op.inputs)
    n = 16 * 32
    outs = [w.tensors[t] for t in big.outputs]
    # the step count's increment fuses in and is state that outlives the step: written back
    # (4 B), beside p, exp_avg, exp_avg_sq; not the gradient
    assert sorted(t.numel for t in outs) == [1, n, n, n]
    assert sum(t.nbytes for t in outs) == 3 * 4 * n + 4  # 6,148 B written (fp32)
    # read: p, g, m, v (4 x 4 B each) and the 4 B step count
    assert sum(w.tensors[t].nbytes for t in big.inputs) == 4 * 4 * n + 4
