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


# review B 4-6: the torch.func tutorials as PyTorch writes them, and a function's train mode.
# One member's parameters: 8 x 16 + 16 + 16 x 4 + 4 = 212 fp32 = 848 B.
MEMBER_BYTES = (8 * 16 + 16 + 16 * 4 + 4) * 4


def _weight_bytes(wl):
    return sum(t.numel * 4 for t in wl.tensors.values() if t.role == "weight")


def test_ensembling_tutorial_as_written_has_the_stacked_weights_and_no_skeleton():
    """The 'Model ensembling' tutorial: base_model = deepcopy(models[0]).to('meta') and the
    stacked params closed over. The meta skeleton was registered (848 B 'never read') and the
    stacked params were 'work done outside torch'. Now the weights are the 3 members' 3 x 848 B
    and nothing is untraced. MACs: 3 members x 5 rows x 192 = 2,880."""
    import copy

    from torch.func import stack_module_state

    models = [net() for _ in range(3)]
    params, buffers = stack_module_state(models)
    base_model = copy.deepcopy(models[0]).to("meta")

    def fmodel(params, buffers, x):
        return functional_call(base_model, (params, buffers), (x,))

    wl = trace(lambda x: vmap(fmodel, in_dims=(0, 0, None))(params, buffers, x), (torch.randn(5, 8),))
    assert wl.macs == 3 * 5 * FWD
    assert _weight_bytes(wl) == 3 * MEMBER_BYTES
    assert "unread_parameters" not in wl.metadata and "untraced_tensors" not in wl.metadata
    assert sorted(n for n, t in wl.tensors.items() if t.role == "weight") == [
        "params_0_bias", "params_0_weight", "params_2_bias", "params_2_weight"]


def test_a_closed_over_plain_tensor_is_a_weight_not_untraced_work():
    """lambda x: net(x) @ P: P (4 x 5) was 'work done outside torch' and told to be registered,
    which a function cannot do. Now P is a buffer of the wrapper: 848 + 4 x 5 x 4 = 928 B of
    weights; MACs 3 x (192 + 4 x 5) = 636."""
    m, P = net(), torch.randn(4, 5)
    wl = trace(lambda x: m(x) @ P, (torch.randn(3, 8),))
    assert wl.macs == 3 * (FWD + 4 * 5)
    assert _weight_bytes(wl) == MEMBER_BYTES + 4 * 5 * 4
    assert "P" in wl.tensors and wl.tensors["P"].role == "weight"
    assert "untraced_tensors" not in wl.metadata and not wl.metadata.get("computed_weights")


def test_per_sample_gradient_tutorial_form_equals_the_closure_form():
    """The tutorial passes params = {k: v.detach()} as inputs: they share the parameters'
    storage but were taken as activations (0 B of weights, 0 CIM MACs) while the same maths
    closed over had 848 B. Both forms now hold the 848 B of weights and the same MACs."""
    m = net()
    params = {k: v.detach() for k, v in m.named_parameters()}

    def loss(p, x):
        return functional_call(m, p, (x[None],)).sum()

    x = torch.randn(3, 8)
    given = trace(vmap(grad(loss), in_dims=(None, 0)), (params, x))
    closed = trace(lambda xx: vmap(grad(loss), in_dims=(None, 0))(params, xx), (x,))
    assert given.macs == closed.macs
    assert _weight_bytes(given) == _weight_bytes(closed) == MEMBER_BYTES
    assert "input_derivatives_only" not in given.metadata


def test_gradient_wrt_stacked_params_given_as_input_is_a_training_step():
    """An ensemble's training step, vmap(grad(loss)) over stack_module_state params passed in:
    no registered parameter is differentiated, so it was 'derivatives w.r.t. the inputs only
    (a PINN's residual)'. The params are read as the matrix of the forward matmuls: a
    weight gradient, so a training step. jacrev w.r.t. the points stays input derivatives."""
    from torch.func import stack_module_state

    params, _ = stack_module_state([net() for _ in range(2)])
    base = net().to("meta")

    def loss(p, x):
        return functional_call(base, p, (x,)).pow(2).sum()

    wl = trace(vmap(grad(loss), in_dims=(0, None)), (params, torch.randn(3, 8)))
    assert wl.metadata["backward_ops"] > 0 and "input_derivatives_only" not in wl.metadata
    jx = trace(InputJacobian(), (torch.randn(3, 8),))
    assert jx.metadata["input_derivatives_only"] is True


def test_backward_into_a_closed_over_plain_tensor_is_a_training_step():
    """final-read19-1 #2: a function closing over a plain W (requires_grad) that it trains with
    loss.backward() was 'input derivatives only': the wrapper's parameter is another leaf that
    the function never reads, so W's gradient went uncounted. Now W's own gradient counts."""
    W = torch.randn(16, 8, requires_grad=True)

    def step(x):
        with torch.enable_grad():
            loss = (x @ W.t()).pow(2).sum()
            loss.backward()
        return loss

    wl = trace(step, (torch.randn(4, 8),))
    assert wl.metadata["backward_ops"] > 0 and "input_derivatives_only" not in wl.metadata


def test_a_function_is_in_train_mode_only_where_its_modules_are():
    """The wrapper is a fresh nn.Module, so every function was 'in train mode' and named
    cimsim...as_module.<locals>.Function. Now an eval net's function is in eval, named by its
    own qualname; F.dropout(training=True) gets the submodule / F.dropout note's wording."""
    m = net()

    def head(x):
        return torch.nn.functional.dropout(m(x), 0.5, training=True)

    wl = trace(head, (torch.randn(3, 8),))
    assert wl.metadata["training"] is False
    assert wl.metadata["model"].endswith("test_a_function_is_in_train_mode_only_where_its_modules_are"
                                         ".<locals>.head")
    assert m.training is False  # the caller's module is left as it was
    assert trace(lambda x: net().train()(x), (torch.randn(3, 8),)).metadata["training"] is False
    t = net().train()
    assert trace(lambda x: t(x), (torch.randn(3, 8),)).metadata["training"] is True



def test_a_net_built_on_meta_closed_over_with_meta_inputs_keeps_its_weights():
    """Only a meta module among real tensors is a skeleton: a function of a net built on the
    meta device, traced from meta inputs, still has its 848 B of weights and 3 x 192 MACs."""
    m = net().to("meta")
    wl = trace(lambda x: m(x), (torch.empty(3, 8, device="meta"),))
    assert wl.macs == 3 * FWD and _weight_bytes(wl) == MEMBER_BYTES
