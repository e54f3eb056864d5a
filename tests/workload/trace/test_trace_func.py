"""torch.func traced (find-V 1, 2, 4): forward-mode AD's meta-device shape probes are free, a
parameter gradient taken through torch.func is a parameter gradient, and a plain function traces
as a module with the networks it uses registered.

Closed forms, a Linear(8, 16) -> tanh -> Linear(16, 4) network: one forward is
8 x 16 + 16 x 4 = 192 MACs."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
nn = torch.nn
from torch.func import functional_call, grad, jacrev, jvp, vmap  # noqa: E402

from cimsim.errors import WorkloadError  # noqa: E402
from cimsim.workload.trace import trace  # noqa: E402

pytestmark = pytest.mark.torch
FWD = 8 * 16 + 16 * 4  # 192


def net():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(8, 16), nn.Tanh(), nn.Linear(16, 4)).eval()


class JVP(nn.Module):
    def __init__(s):
        super().__init__()
        s.net = net()

    def forward(s, x):
        return jvp(s.net, (x,), (torch.ones_like(x),))[1]


def test_forward_mode_ad_over_biased_linears_traces_without_unknown_ops():
    """torch.func.jvp over Linears with a bias: torch infers the zero bias tangent's sum shape by
    moving it to the meta device (aten.to(device='meta'), prims.add), no work; it was refused as
    unmapped. MACs as eager torch runs them: the primal 192, the tangent 192, and the input times
    each Linear's materialised zero weight-tangent, one more forward's 192 = 576."""
    wl = trace(JVP(), (torch.randn(8),))
    assert wl.metadata["unknown_ops"] == []
    assert wl.macs == 3 * FWD
    assert not any("prims" in op.name or ".to" in op.name for op in wl.ops)


class PerSampleGrad(nn.Module):
    def __init__(s):
        super().__init__()
        s.net = net()

    def forward(s, x):
        params = dict(s.net.named_parameters())

        def loss(p, xx):
            return functional_call(s.net, p, (xx.unsqueeze(0),)).sum()

        return tuple(vmap(grad(loss), in_dims=(None, 0))(params, x).values())


class InputJacobian(nn.Module):
    def __init__(s):
        super().__init__()
        s.net = net()

    def forward(s, x):
        return vmap(jacrev(s.net))(x)


def test_torch_func_parameter_gradients_are_a_training_step():
    """vmap(grad(loss)) w.r.t. the parameters (per-sample gradients) differentiates the wrapped
    tensors functional_call swaps in, whose hooks never fire: it was said to take 'derivatives
    w.r.t. the inputs only'. jacrev w.r.t. the input still is."""
    ps = trace(PerSampleGrad().train(), (torch.randn(3, 8),))
    assert ps.metadata["backward_ops"] > 0
    assert "input_derivatives_only" not in ps.metadata
    jx = trace(InputJacobian(), (torch.randn(3, 8),))
    assert jx.metadata["input_derivatives_only"] is True


def test_a_function_traces_with_the_modules_it_uses_as_weights():
    """cimsim.trace(vmap(jacrev(net))): was refused ('needs a torch.nn.Module'). Per point, one
    forward (192) and 4 vjps, each 16 x 4 + 8 x 16 = 192: 3 points x 5 x 192 = 2,880 MACs."""
    m = net()
    wl = trace(vmap(jacrev(lambda x: m(x))), (torch.randn(3, 8),))
    assert wl.macs == 3 * 5 * FWD
    weights = sorted(n for n, t in wl.tensors.items() if t.role == "weight")
    assert weights == ["m.0.bias", "m.0.weight", "m.2.bias", "m.2.weight"]
    assert "untraced_tensors" not in wl.metadata


class Closure(nn.Module):
    """A wrapper module whose function closes over a network it does not register."""

    def __init__(s, fn):
        super().__init__()
        s.fn = fn

    def forward(s, x):
        return s.fn(x)


def test_closed_over_network_saved_transposes_are_no_untraced_constants():
    """The backward saves each weight's transpose (a view of the parameter); with the network
    closed over, not registered, those were listed as tensors 'that appeared without an aten op'."""
    wl = trace(Closure(vmap(jacrev(net()))), (torch.randn(3, 8),))
    assert wl.macs == 3 * 5 * FWD
    assert "untraced_tensors" not in wl.metadata


def test_not_callable_is_refused_in_one_line():
    with pytest.raises(WorkloadError, match=r"needs a torch.nn.Module or a function .* got int"):
        trace(3, (torch.randn(3, 8),))


class TutorialEnsemble(nn.Module):
    """PyTorch's 'Model ensembling' tutorial: the stacked state as plain tensors, under vmap."""

    def __init__(s):
        super().__init__()
        from torch.func import stack_module_state

        s.params, _ = stack_module_state([net() for _ in range(2)])
        s.base = [net().to("meta")]

    def forward(s, x):
        return vmap(lambda p, xx: functional_call(s.base[0], p, (xx,)), in_dims=(0, None))(s.params, x)


def test_stacked_constant_weights_are_not_told_to_register_them():
    """Registering a stacked weight as a parameter does not bring it to the arrays (a bmm over a
    3-D weight is not stationary): the advice says so and names what works. 2 members x 3 rows
    x 192 = 1,152 MACs."""
    from cimsim.workload.trace.computed import summary

    wl = trace(TutorialEnsemble(), (torch.randn(3, 8),))
    assert wl.macs == 2 * 3 * FWD
    entries = wl.metadata["computed_weights"]
    assert len(entries) == 2 and all(e.get("stacked") for e in entries)
    said = summary(entries)
    assert "stacked on a leading dimension" in said and "nn.ModuleList" in said
    assert "register it as one to make it a weight" not in said
