"""A model's own op (``torch.library.custom_op``): the error names it as a custom op and points
to the two routes that work, a FLOP formula (``register_flop_formula``) and an autograd
Function / composite of aten ops (whose matmul is traced as a matmul)."""

from __future__ import annotations

import functools

import pytest

from cimsim.errors import WorkloadError

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

M, K, N = 8, 16, 32   # x (M x K) @ w (K x N): M K N = 4,096 MACs

#: torch.library.custom_op came with torch 2.4; pyproject.toml allows torch >= 2.2
needs_custom_op = pytest.mark.skipif(not hasattr(torch.library, "custom_op"),
                                     reason="torch.library.custom_op needs torch >= 2.4")


@functools.lru_cache(maxsize=None)
def _ops():
    """The custom op (registered once per process: torch.library keeps it) and a model."""
    @torch.library.custom_op("cimsim_test::fancy_mm", mutates_args=())
    def fancy_mm(x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        return x @ w

    @fancy_mm.register_fake
    def _(x, w):
        return x.new_empty(x.shape[0], w.shape[1])

    class MM(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, w):
            return x.mm(w)

    class Model(torch.nn.Module):
        def __init__(self, custom):
            super().__init__()
            self.w = torch.nn.Parameter(torch.randn(K, N))
            self.custom = custom

        def forward(self, x):
            return fancy_mm(x, self.w) if self.custom else MM.apply(x, self.w)

    return Model


@needs_custom_op
def test_a_custom_op_is_named_as_the_models_own_with_the_routes_that_work():
    from cimsim.workload.trace import trace

    with pytest.raises(WorkloadError) as exc:
        trace(_ops()(True), (torch.randn(M, K),))
    msg = str(exc.value)
    assert msg.startswith("custom op 'cimsim_test.fancy_mm.default'"), msg
    assert "namespace 'cimsim_test' (torch.library)" in msg
    assert "torch.utils.flop_counter.register_flop_formula" in msg
    assert "torch.autograd.Function" in msg
    assert "aten op '" not in msg and "report the op" not in msg


@needs_custom_op
def test_both_routes_count_the_macs():
    from torch.utils.flop_counter import register_flop_formula

    from cimsim.workload.trace import trace

    model = _ops()
    try:
        register_flop_formula(torch.ops.cimsim_test.fancy_mm)(
            lambda x_shape, w_shape, *a, **k: 2 * x_shape[0] * x_shape[1] * w_shape[1])
    except ValueError:  # registered by an earlier run in this process
        pass
    w = trace(model(True), (torch.randn(M, K),), allow_unknown=True)
    assert w.macs == M * K * N and [o.fn for o in w.ops] == ["generic"]  # counted, as a stand-in
    w = trace(model(False), (torch.randn(M, K),))
    (op,) = w.ops
    assert (op.kind, op.m, op.k, op.n) == ("matmul", M, K, N) and w.macs == M * K * N


@functools.lru_cache(maxsize=None)
def _registered():
    """Custom ops registered with cimsim.trace.register_op: a matmul whose weight is argument 1
    (``x @ w``, and ``F.linear``'s N x K layout) and an elementwise op of 3 ops an element."""
    import cimsim

    @torch.library.custom_op("cimsim_test::reg_mm", mutates_args=())
    def reg_mm(x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        return x @ w

    @reg_mm.register_fake
    def _(x, w):
        return x.new_empty(x.shape[0], w.shape[1])

    @torch.library.custom_op("cimsim_test::reg_linear", mutates_args=())
    def reg_linear(w: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.linear(x, w)

    @torch.library.custom_op("cimsim_test::swish3", mutates_args=())
    def swish3(x: torch.Tensor) -> torch.Tensor:
        return x * torch.sigmoid(x)

    cimsim.trace.register_op("cimsim_test::reg_mm", kind="matmul", weight_arg=1)
    cimsim.trace.register_op("cimsim_test::reg_linear", kind="matmul", weight_arg=0, input_arg=1)
    cimsim.trace.register_op("cimsim_test::swish3", kind="elementwise", ops_per_element=3)

    class Model(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.randn(K, N))
            self.v = torch.nn.Parameter(torch.randn(N, K))  # N x K: F.linear's layout

        def forward(self, x):
            return swish3(reg_linear(self.v, swish3(reg_mm(x, self.w))[:, :K]))

    return Model


@needs_custom_op
def test_a_registered_custom_op_is_a_matmul_on_its_stationary_weight_on_the_cim():
    from pathlib import Path

    import cimsim
    from cimsim.mapping.placement import place
    from cimsim.workload.trace import trace

    w = trace(_registered()(), (torch.randn(M, K),))
    ops = {op.name: op for op in w.ops}
    mm, lin = ops["reg_mm"], ops["reg_linear"]
    assert (mm.kind, mm.m, mm.k, mm.n, mm.weight) == ("matmul", M, K, N, "w")  # 8 x 16 x 32
    assert (lin.kind, lin.m, lin.k, lin.n, lin.weight) == ("matmul", M, K, N, "v")
    assert w.macs == 2 * M * K * N  # 4,096 each
    vec = dict(zip(ops, w.arrays.vector_ops.tolist()))
    assert vec["swish3"] == 3 * M * N  # 3 ops an element of the 8 x 32 output
    configs = Path(cimsim.__file__).resolve().parent / "data" / "configs"
    units = place(w, cimsim.load_architecture(str(configs / "sram-cim.yaml"))).unit_names
    assert {str(units[list(ops).index(n)]) for n in ("reg_mm", "reg_linear")} == {"cim"}


@pytest.mark.parametrize("args, says", [
    (("aten::mm", "matmul"), "torch's own namespace 'aten'"),
    (("fancy_mm", "matmul"), "is not 'namespace::op'"),
    (("mylib::op", "conv"), "kind 'conv' is not one of matmul, elementwise, composite"),
    (("mylib::op", "matmul"), "a matmul needs weight_arg"),
    (("mylib::op", "elementwise", {"weight_arg": 1}), "weight_arg is for kind 'matmul'"),
    (("mylib::op", "elementwise", {"ops_per_element": -1}), "ops_per_element must be a finite number >= 0"),
])
def test_a_bad_registration_is_refused_naming_the_argument(args, says):
    import cimsim

    name, kind, kw = (*args, {}) if len(args) == 2 else args
    with pytest.raises(ValueError, match="register_op") as exc:
        cimsim.trace.register_op(name, kind, **kw)
    assert says in str(exc.value)
