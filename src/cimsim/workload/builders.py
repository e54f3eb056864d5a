"""The op builder shared by the generators and the tracer's lifting passes.

:class:`Builder` collects tensors and ops in dependency order (the generators
build every workload with it). :data:`CELL_FN` names the one fused pointwise
op of a recurrent step; the generators emit it and the tracer's pointwise
fusion (:mod:`cimsim.workload.trace.fuse`) names a fused recurrent step with
it, so a traced ``nn.LSTM`` / ``nn.GRU`` and the generator's have the same op
structure (``tests/test_trace.py`` holds them to it).
"""

from __future__ import annotations

from .ir import Op, Tensor, Workload

#: fused pointwise op of one recurrent step, by cell
CELL_FN: dict[str, str] = {"lstm": "lstm_pointwise", "gru": "gru_pointwise", "rnn": "rnn_pointwise"}


class Builder:
    """Collects tensors and ops (all of one dtype) in dependency order."""

    def __init__(self, dtype: str):
        self.dtype = dtype
        self.tensors: list[Tensor] = []
        self.ops: list[Op] = []

    def tensor(self, name: str, shape: tuple[int, ...], role: str = "activation") -> str:
        self.tensors.append(Tensor(name, tuple(int(s) for s in shape), self.dtype, role))
        return name

    def matmul(self, name, a, b, *, m, k, n, batch=1, weight=False, outputs, tags) -> None:
        outs = (outputs,) if isinstance(outputs, str) else tuple(outputs)
        self.ops.append(Op(name, "matmul", (a, b), outs, m=m, k=k, n=n, batch=batch,
                           weight=b if weight else None, tags=dict(tags)))

    def vector(self, name, kind, inputs, output, *, tags, fn=None, ops_per_element=None) -> None:
        outs = (output,) if isinstance(output, str) else tuple(output)
        self.ops.append(Op(name, kind, tuple(inputs), outs, fn=fn,
                           ops_per_element=ops_per_element, tags=dict(tags)))

    def build(self, name: str, metadata: dict) -> Workload:
        w = Workload(name, self.tensors, self.ops, metadata)
        expected = metadata.get("macs")
        if expected is not None and w.macs != expected:  # a generator bug, not user input
            raise AssertionError(f"{name}: op MACs {w.macs} != closed form {expected}")
        return w
