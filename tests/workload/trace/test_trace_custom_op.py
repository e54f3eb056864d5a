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
