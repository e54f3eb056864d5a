"""Outputs only a backward pass reads (a max pool's int64 indices, a norm's statistics) are left
out of an inference trace when no op reads them: not written, never live, as the ONNX import
of the same model has none (find-G 1, find-D 3); read (max_unpool, a backward, returned) they
stay. Window pools count the elements of each window inside the input: ``ceil_mode``'s clipped
edge windows and padding are not read (find-D 5)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.torch

torch = pytest.importorskip("torch")
nn = torch.nn


def _op(w, prefix):
    return next(o for o in w.ops if o.name.split(".")[-1].startswith(prefix) or o.name.startswith(prefix))


def _bytes(w, op):
    t = w.tensors
    return sum(t[n].nbytes for n in op.inputs), sum(t[n].nbytes for n in op.outputs)


def _poolfirst():
    torch.manual_seed(0)
    return nn.Sequential(nn.MaxPool1d(2), nn.Conv1d(32, 128, 1), nn.Conv1d(128, 32, 1)).eval(), \
        torch.randn(1, 32, 4096)


def test_an_unread_max_pool_index_is_neither_written_nor_live(tmp_path):
    from cimsim import trace, trace_onnx
    from cimsim.workload.footprint import footprint

    m, x = _poolfirst()
    w = trace(m, (x,))
    pool = _op(w, "0.max_pool")
    assert len(pool.outputs) == 1  # the values only (were values + int64 indices)
    # read 32 x 4096 fp32, write 32 x 2048 fp32 (the indices' 32 x 2048 x 8 B were written too)
    assert _bytes(w, pool) == (32 * 4096 * 4, 32 * 2048 * 4)
    assert w.metadata["unwritten_byproducts"] == {"tensors": 1, "bytes": 32 * 2048 * 8}
    # peak at the first conv's bias add: its 128 x 2048 fp32 product and sum (the indices,
    # 524,288 B, were live to the end: 2,621,440 B)
    fp = footprint(w)
    assert fp.activations == 2 * 128 * 2048 * 4
    assert fp.weights == (32 * 128 + 128 + 128 * 32 + 32) * 4
    path = tmp_path / "pf.onnx"
    torch.onnx.export(m, (x,), str(path), dynamo=False)
    o = trace_onnx(path)
    assert footprint(o).activations == fp.activations
    assert _bytes(o, next(op for op in o.ops if "MaxPool" in op.name)) == _bytes(w, pool)


def test_an_int8_max_pool3d_writes_its_values_only():
    """find-D 3: MaxPool3d((1, 2, 2)) over 16 x 8 x 32 x 32 at int8: 131,072 B in + 32,768 B
    out = 163,840 B (was 426 kB with 32,768 int64 indices)."""
    from cimsim import trace

    w = trace(nn.MaxPool3d((1, 2, 2)).eval(), (torch.randn(1, 16, 8, 32, 32),), dtype="int8")
    assert sum(_bytes(w, w.ops[0])) == 131_072 + 32_768


def test_a_layer_norms_statistics_are_left_out():
    from cimsim import trace

    w = trace(nn.LayerNorm(16).eval(), (torch.randn(4, 16),))
    assert [len(o.outputs) for o in w.ops] == [1]  # mean and rstd (4 each) unread
    assert w.metadata["unwritten_byproducts"] == {"tensors": 2, "bytes": 2 * 4 * 4}


class Unpool(nn.Module):
    def forward(self, x):
        y, i = nn.functional.max_pool1d(x, 2, return_indices=True)
        return nn.functional.max_unpool1d(y, i, 2)


class Returned(nn.Module):
    def forward(self, x):
        return nn.functional.max_pool1d(x, 2, return_indices=True)


@pytest.mark.parametrize("model", [Unpool, Returned])
def test_indices_read_or_returned_stay(model):
    from cimsim import trace

    w = trace(model().eval(), (torch.randn(1, 4, 16),))
    pool = next(o for o in w.ops if "max_pool" in o.name)
    assert len(pool.outputs) == 2 and "unwritten_byproducts" not in w.metadata


def test_a_training_steps_backward_reads_the_indices():
    from cimsim import trace

    class Step(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(8, 2)

        def forward(self, x):
            with torch.enable_grad():
                loss = self.fc(nn.functional.max_pool1d(x, 2).flatten(1)).sum()
                loss.backward()
            return loss

    # the pool's backward (mapped, no --allow-unknown: review 20 B 7) reads the indices: a
    # scatter of the 2 x 8 gradient into the 2 x 16 input-shaped one, 1 add a gradient element
    w = trace(Step().train(), (torch.randn(2, 1, 16, requires_grad=True),))
    pool = next(o for o in w.ops if "max_pool" in o.name and "backward" not in o.name)
    back = next(o for o in w.ops if "max_pool2d_with_indices_backward" in o.name)
    assert len(pool.outputs) == 2 and pool.outputs[1] in back.inputs
    assert not w.metadata["unknown_ops"] and back.kind == "reduction"
    assert [w.tensors[t].numel for t in back.inputs] == [16, 16]  # gradient, indices: not x
    assert [w.tensors[t].numel for t in back.outputs] == [32]
    assert _vec(back, w) == 16


def _vec(op, w):
    t = w.tensors
    return op.ops_per_element * sum(t[n].numel for n in op.outputs)


def test_a_ceil_mode_max_pool3d_counts_its_clipped_windows(tmp_path):
    """MaxPool3d(3, 2, ceil_mode) over 16 x 8 x 14 x 14 -> 16 x 4 x 7 x 7: depth windows hold
    3 + 3 + 3 + 2 = 11 positions, height / width 6 x 3 + 2 = 20: 16 x 11 x 20 x 20 = 70,400
    ops (was 3,136 x 27 = 84,672); the ONNX import counts the same."""
    from cimsim import trace, trace_onnx

    m, x = nn.MaxPool3d(3, 2, ceil_mode=True).eval(), torch.randn(1, 16, 8, 14, 14)
    w = trace(m, (x,))
    assert _vec(w.ops[0], w) == pytest.approx(16 * 11 * 20 * 20, rel=1e-12, abs=0)
    path = tmp_path / "p.onnx"
    torch.onnx.export(m, (x,), str(path), dynamo=False)
    o = trace_onnx(path)
    assert _vec(o.ops[0], o) == pytest.approx(70_400, rel=1e-12, abs=0)


@pytest.mark.parametrize("include", [True, False])
def test_an_avg_pool_counts_the_window_inside_the_input(include):
    """AvgPool2d(3, 2, padding 1, ceil_mode) over 6 x 6 -> 4 x 4: windows along a dimension
    start at -1, 1, 3, 5 and hold 2, 3, 3, 1 = 9 input positions: 9 x 9 = 81 adds (was 16 x 9
    = 144); count_include_pad changes the divisor, not the elements summed."""
    from cimsim import trace

    m = nn.AvgPool2d(3, 2, padding=1, ceil_mode=True, count_include_pad=include).eval()
    w = trace(m, (torch.randn(1, 1, 6, 6),))
    assert _vec(w.ops[0], w) == pytest.approx(81, rel=1e-12, abs=0)
