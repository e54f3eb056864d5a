"""Layout copies (tester K, findings 2 and 5): a copy that materialises a broadcast writes every
copy it makes, whichever spelling made it (``x.repeat(4, 1)`` and ``x.expand(4, ...).contiguous()``
were charged differently: a copy op and nothing); a copy that only reorders stays free, as a
view; a model input or parameter first read through a transposed view keeps the model's shape.
Goldens are hand arithmetic beside each assertion (8 x 64 fp32 input: 2,048 B)."""

from __future__ import annotations

import pytest

from test_trace_op_costs import _Fn  # a module running a function

pytestmark = pytest.mark.torch

torch = pytest.importorskip("torch")
nn = torch.nn


def _trace(model, *inputs):
    from cimsim.workload.trace import trace

    return trace(model.eval(), inputs)


def _rows(w):
    a = w.arrays
    return [(op.kind, int(a.act_in_bytes[i]), int(a.act_out_bytes[i])) for i, op in enumerate(w.ops)]


@pytest.mark.parametrize("fn", [lambda x: x.unsqueeze(0).expand(4, 8, 64).contiguous() * 2,
                                lambda x: x.repeat(4, 1) * 2,
                                lambda x: x.expand(4, 8, 64).clone() * 2],
                         ids=["expand-contiguous", "repeat", "expand-clone"])
def test_a_materialised_broadcast_is_one_copy_whatever_its_spelling(fn):
    w = _trace(_Fn(fn), torch.randn(8, 64))
    # the copy reads x once (8 x 64 x 4 = 2,048 B) and writes its 4 copies (4 x 2,048 = 8,192 B);
    # the multiply reads and writes 8,192 B
    assert _rows(w) == [("copy", 2048, 8192), ("elementwise", 8192, 8192)]


def test_a_broadcast_of_part_of_a_storage_reads_that_part():
    w = _trace(_Fn(lambda x: x[:, :1].expand(8, 64).contiguous() * 2), torch.randn(8, 64))
    # the first column: 8 x 4 = 32 B read, 8 x 64 x 4 = 2,048 B written
    assert _rows(w) == [("copy", 32, 2048), ("elementwise", 2048, 2048)]


def test_an_overlapping_window_copy_writes_each_window():
    # 8 rows, windows of 8 every 4 along 64 features: 15 windows x 8 = 120 elements a row
    w = _trace(_Fn(lambda x: x.unfold(1, 8, 4).contiguous() * 2), torch.randn(8, 64))
    assert _rows(w) == [("copy", 8 * 64 * 4, 8 * 120 * 4), ("elementwise", 8 * 120 * 4, 8 * 120 * 4)]


@pytest.mark.parametrize(("fn", "nbytes"), [(lambda x: x.t().contiguous() * 2, 8 * 64 * 4),
                                             (lambda x: x.t().reshape(-1) * 2, 8 * 64 * 4),
                                             (lambda x: x[:, :32].contiguous() * 2, 8 * 32 * 4)],
                         ids=["transpose", "reshape", "slice"])
def test_a_copy_that_only_reorders_stays_free(fn, nbytes):
    w = _trace(_Fn(fn), torch.randn(8, 64))
    # one op, the multiply, reading and writing the (reordered) elements once
    assert _rows(w) == [("elementwise", nbytes, nbytes)]


class _W(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.randn(32, 16))  # out x in

    def forward(self, x):
        return x @ self.w.t().contiguous()


class _Scores(nn.Module):
    def forward(self, q, k):
        return q @ k.transpose(-2, -1).contiguous()


def test_inputs_and_parameters_read_through_a_transpose_keep_their_own_shape():
    w = _trace(_Fn(lambda x: x.t().reshape(-1) * 2), torch.randn(8, 64))
    assert w.tensors["x"].shape == (8, 64) and w.tensors["x"].role == "input"
    w = _trace(_W(), torch.randn(4, 16))
    assert w.tensors["w"].shape == (32, 16) and w.tensors["w"].role == "weight"
    # the matmul is 4 x 16 x 32 MACs all the same
    assert w.ops[0].macs == 4 * 16 * 32
    w = _trace(_Scores(), torch.randn(2, 8, 16), torch.randn(2, 8, 16))
    assert w.tensors["k"].shape == (2, 8, 16) and w.ops[0].macs == 2 * 8 * 16 * 8


def test_an_example_input_given_as_a_view_keeps_the_shape_it_was_given():
    """Review 16-1 #4: an example input that is itself a transposed view (``torch.randn(64, 8)
    .t()``, 8 x 64 as the model sees it) was written with its base's shape, [64, 8]; it keeps the
    shape it was given, as before the transposed-read fix. 8 x 64 fp32 = 2,048 B either way."""
    w = _trace(_Fn(lambda x: x * 2), torch.randn(64, 8).t())
    assert w.tensors["x"].shape == (8, 64) and w.tensors["x"].nbytes == 8 * 64 * 4
