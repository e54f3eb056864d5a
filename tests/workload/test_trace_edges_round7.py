"""Traced models a seventh round of new users wrote: a sparse adjacency (a traceback), a window
pool on an unbatched input with a one-element kernel (a third of its work), zoo sizes of the
speech and encoder-decoder models (errors from inside transformers), and a bad access-pattern
tag that did not name its file.

Golden values: vector ops = output elements x window elements, by hand."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from cimsim.cli import main
from cimsim.errors import WorkloadError
from cimsim.workload.io import load_workload, save_workload

from conftest import gemv_workload


def _gcn():
    """A graph convolution over a sparse adjacency: ``adj @ lin(x)``, lin 8 -> 8."""
    import torch

    class GCN(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = torch.nn.Linear(8, 8)

        def forward(self, adj, x):
            return torch.sparse.mm(adj, self.lin(x))

    return GCN


@pytest.mark.torch
def test_a_sparse_tensor_is_one_line_naming_its_layout():
    import torch

    from cimsim.workload.trace import trace

    GCN = _gcn()
    idx = torch.tensor([[0, 1, 2], [1, 2, 0]])
    adj = torch.sparse_coo_tensor(idx, torch.ones(3), (4, 4), check_invariants=True)
    with pytest.raises(WorkloadError, match=r"layout torch\.sparse_coo \(\(4, 4\)\): cimsim traces "
                                            r"dense \(strided\) tensors only"):
        trace(GCN(), (adj, torch.randn(4, 8)))


@pytest.mark.torch
def test_the_sparse_refusal_says_its_rewrite_counts_vector_work_not_macs():
    """find-A 4: the refusal suggests index_select / index_add over an edge list; on that route
    the products are vector work, so a run reads 0 MAC and 0 OPS/W for them: the message says
    so. The rewrite of the GCN above: 3 edges x 8 features = 24 products, 0 MACs (the MACs are
    the Linear's 4 x 8 x 8 = 256 only)."""
    import torch

    from cimsim.workload.trace import trace

    GCN = _gcn()
    idx = torch.tensor([[0, 1, 2], [1, 2, 0]])
    adj = torch.sparse_coo_tensor(idx, torch.ones(3), (4, 4), check_invariants=True)
    with pytest.raises(WorkloadError) as exc:
        trace(GCN(), (adj, torch.randn(4, 8)))
    msg = str(exc.value)
    assert "index_select / index_add" in msg and "as vector work, not MACs: 0 MAC and 0 OPS/W" in msg
    assert "\n" not in msg

    class EdgeGCN(GCN):
        def forward(self, rows, cols, vals, x):
            h = self.lin(x)
            return torch.zeros_like(h).index_add(0, rows, h.index_select(0, cols) * vals[:, None])

    w = trace(EdgeGCN(), (idx[0], idx[1], torch.ones(3), torch.randn(4, 8)))
    assert w.macs == 4 * 8 * 8
    by = {op.name: op for op in w.ops}
    assert by["mul"].kind == "elementwise" and by["index_add"].kind == "reduction"


@pytest.mark.torch
@pytest.mark.parametrize("fn,shape,kernel,window", [
    ("max_pool2d", (2, 9, 9), (3,), 9), ("avg_pool2d", (2, 9, 9), (3,), 9),
    ("avg_pool3d", (2, 4, 4, 4), (2,), 8), ("max_pool2d", (1, 2, 9, 9), (3,), 9)])
def test_a_pool_counts_its_whole_window_batched_or_not(fn, shape, kernel, window):
    import torch

    from cimsim.workload.trace import trace

    f = getattr(torch.nn.functional, fn)

    class Pool(torch.nn.Module):
        def forward(self, x):
            return f(x, kernel)

    x = torch.randn(*shape)
    out = f(x, kernel).numel()
    w = trace(Pool(), (x,))
    assert float(w.arrays.vector_ops.sum()) == out * window


@pytest.mark.torch
@pytest.mark.parametrize("args,msg", [
    (["--zoo", "t5", "--param", "target=0"], "target is a size, a whole number >= 1"),
    (["--zoo", "whisper", "--param", "frames=0"], "frames is a size, a whole number >= 1"),
    (["--zoo", "wav2vec2", "--param", "samples=0"], "samples is a size, a whole number >= 1"),
    (["--zoo", "whisper", "--param", "frames=7"], "so frames must be even"),
    (["--zoo", "whisper", "--param", "target=33"], "at most max_target_positions (32) decoder tokens"),
    # kernels (10, 3), strides (5, 2): 19 samples give 2 frames, then (2 - 3) // 2 + 1 = 0
    (["--zoo", "wav2vec2", "--param", "samples=19"], "too few for its feature encoder")])
def test_zoo_sizes_are_checked_before_the_build(tmp_path, args, msg):
    r = CliRunner().invoke(main, ["trace", *args, "-o", str(tmp_path / "x.json")])
    assert r.exit_code == 1 and msg in r.output, r.output
    assert len(r.output.strip().splitlines()) == 1


@pytest.mark.parametrize("tag,value", [("access_bytes", "64B"), ("access_bytes", 0.5),
                                       ("read_fraction", 1.5)])
def test_a_bad_pattern_tag_names_its_file(tmp_path, tag, value):
    f = tmp_path / "w.json"
    save_workload(gemv_workload(64, 64), f)
    d = json.loads(f.read_text())
    d["ops"][0].setdefault("tags", {})[tag] = value
    f.write_text(json.dumps(d))
    with pytest.raises(WorkloadError, match=rf"^{f}: workload 'gemv': op 'mm' \(#0\): tag {tag} = "):
        load_workload(f)


@pytest.mark.torch
def test_a_nested_tensor_is_one_line():
    import torch

    from cimsim.workload.trace import trace

    class Sum(torch.nn.Module):
        def forward(self, x):
            return x + 1

    nt = torch.nested.nested_tensor([torch.randn(2, 4), torch.randn(3, 4)])
    with pytest.raises(WorkloadError, match=r"a nested tensor \(torch.nested\): cimsim traces dense"):
        trace(Sum(), (nt,))


@pytest.mark.torch
def test_a_served_trace_is_the_same_bytes_twice(tmp_path):
    # the tracing time was written into the workload: a sweep named the same model's points anew
    outs = []
    for i in range(2):
        f = tmp_path / f"s{i}.json"
        r = CliRunner().invoke(main, ["trace", "--zoo", "gpt2", "--serve", "--prompt", "4", "--decode",
                                      "1", "-o", str(f)])
        assert r.exit_code == 0, r.output
        assert "traces in" in r.output
        outs.append(f.read_bytes())
    assert outs[0] == outs[1]
    assert "seconds" not in json.loads(outs[0])["metadata"]["traces"]
