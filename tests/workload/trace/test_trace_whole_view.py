"""A tensor read whole by one op and in part by another (batch early exit: the exit head reads
all of ``h``, the next stage ``h[:n]``) is cut into atoms; the whole reader reads the atoms in
place, as torch reads ``h``, with no copy kernel (find-F 1: a phantom ``A.gather`` copy made an
early-exit model with 29 % fewer MACs 30 % slower on gpu-hbm3)."""

from __future__ import annotations

import pytest

from cimsim import load_architecture, simulate
from cimsim.bundled import resolve_config
from cimsim.workload.arrays import op_arrays

torch = pytest.importorskip("torch")


class _Exit(torch.nn.Module):
    def __init__(self, n):
        super().__init__()
        self.n = n
        self.a, self.h, self.b = torch.nn.Linear(256, 256), torch.nn.Linear(256, 10), torch.nn.Linear(256, 256)

    def forward(self, x):
        h = self.a(x)
        return self.h(h), self.b(h[:self.n])  # the head reads all of h, the next stage a view


def _trace(n):
    from cimsim.workload.trace import trace

    torch.manual_seed(0)
    return trace(_Exit(n).eval(), (torch.randn(64, 256),), batch=64)


@pytest.mark.torch
def test_whole_read_of_atoms_is_a_view_not_a_copy():
    w = _trace(26)
    assert w.macs == 64 * 256 * 256 + 64 * 256 * 10 + 26 * 256 * 256  # 6,062,080
    # no materialising copy: the head's operand is a view in the head's own launch
    assert not [op for op in w.ops if op.tags.get("part") == "operand"]
    (view,) = [op for op in w.ops if op.tags.get("part") == "view"]
    (head,) = [op for op in w.ops if op.weight == "h.weight"]
    assert view.outputs == (head.inputs[0],) and len(view.inputs) == 2
    assert view.tags["on_chip"] == 1 and view.tags["launch"] == head.tags["launch"]
    # h (64 x 256 fp32) is read once on the way to the head: 65,536 B, no write
    arr = op_arrays(w)
    names = [op.name for op in w.ops]
    iv, ih = names.index(view.name), names.index(head.name)
    assert arr.act_in_bytes[iv] + arr.act_in_bytes[ih] == 64 * 256 * 4
    assert arr.act_out_bytes[iv] == 0
    assert w.tensors[view.outputs[0]].numel == 64 * 256


@pytest.mark.torch
def test_early_exit_with_fewer_rows_is_not_slower_on_a_gpu():
    arch = load_architecture(resolve_config("gpu-hbm3"))
    part, full = (simulate(arch, _trace(n)) for n in (26, 64))
    # fewer rows continue: no more launches, less work (before: 21.82 us against 16.83 us)
    assert part.latency_s <= full.latency_s
    assert part.energy_j < full.energy_j
