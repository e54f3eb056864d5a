"""``torch.roll`` is a costed copy op, a ``permute(...).contiguous()`` of the same bytes none
(find-W 3, as the README's tracer section states): Swin's cyclic shift is charged, its window
partition maps back to the elements it copied.

Closed form: an fp32 map of 1 x 8 x 8 x 4 = 256 elements, 1,024 B.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.torch


def test_roll_is_a_copy_and_a_contiguous_window_partition_is_free():
    import torch

    from cimsim.workload.arrays import op_arrays
    from cimsim.workload.trace import trace

    class ShiftedWindows(torch.nn.Module):
        def forward(self, x):
            y = torch.roll(x, (-1, -1), (1, 2))  # Swin's shift
            # window_partition into 2 x 2 windows of 4 x 4: a real copy in eager torch
            z = y.view(1, 2, 4, 2, 4, 4).permute(0, 1, 3, 2, 4, 5).contiguous()
            return z * 2

    w = trace(ShiftedWindows().eval(), (torch.randn(1, 8, 8, 4),))
    assert [(op.kind, op.name) for op in w.ops] == [("copy", "roll"), ("elementwise", "mul")]
    a = op_arrays(w)
    nbytes = 8 * 8 * 4 * 4
    assert a.act_in_bytes.tolist() == [nbytes, nbytes]  # the mul reads the rolled map itself
    assert a.act_out_bytes.tolist() == [nbytes, nbytes]
    assert w.ops[1].inputs == ("roll",)
