"""Parts of one storage that a model reads as inputs are named by what they are (find-E 4):
``src, dst = A.nonzero(as_tuple=True)`` are two inputs over one storage, and ``x[dst]`` read
``src[0]``; the rows of a PyG ``edge_index`` were numbered by the order the model first read
them (``edge_index[0]`` was row 1). Real torch models."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

from torch import nn  # noqa: E402

from cimsim.workload.trace import trace  # noqa: E402


class Views(nn.Module):
    def forward(self, x, src, dst):
        return x[dst] - x[src]  # dst read first


class EdgeIndex(nn.Module):
    def forward(self, x, edge_index):
        src, dst = edge_index[0], edge_index[1]
        return x[dst] - x[src]  # row 1 read first


def _ids(w):
    return [op.inputs[1] for op in w.ops if op.name.startswith("index")]


def test_inputs_that_are_views_of_one_storage_keep_their_names():
    a = torch.zeros(20, 20, dtype=torch.bool)
    a[torch.arange(20), (torch.arange(20) * 7) % 20] = True
    src, dst = a.nonzero(as_tuple=True)
    assert src.untyped_storage().data_ptr() == dst.untyped_storage().data_ptr()  # one storage
    w = trace(Views(), (torch.randn(20, 8), src, dst))
    assert _ids(w) == ["dst", "src"]  # was src[0] (the dst ids) and src[1]


def test_rows_of_one_input_are_numbered_by_their_place_in_storage():
    edge_index = torch.stack([torch.arange(20), (torch.arange(20) * 7) % 20])
    w = trace(EdgeIndex(), (torch.randn(20, 8), edge_index))
    assert _ids(w) == ["edge_index[1]", "edge_index[0]"]  # was edge_index[0], edge_index[1]


class ThreeRows(nn.Module):
    def forward(self, x, ei):
        return x[ei[2]] - x[ei[1]]  # rows 2 and 1 of 3; row 0 never read


def test_rows_of_one_input_are_named_by_their_row_not_their_rank_among_the_reads():
    """Review 19 D 5: rows 2 and 1 of a [3, E] input were named ei[1] and ei[0] (their rank
    among the two rows read); a whole row of dim 0 is named by its row."""
    ei = torch.stack([torch.arange(20), torch.arange(20) * 3 % 20, torch.arange(20) * 7 % 20])
    w = trace(ThreeRows(), (torch.randn(20, 8), ei))
    assert _ids(w) == ["ei[2]", "ei[1]"]
