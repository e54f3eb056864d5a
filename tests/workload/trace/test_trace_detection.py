"""A detection model's post-processing as traced (find-D, session 18): a hand-written NMS loop
is an op per iteration, not one fused op (fusion stops at each value read); ``nonzero``,
``masked_select`` and a boolean mask's index say that their output size came from the example's
values; a learned query computed from parameters is not called weight_norm / pruning.

Golden values are closed form: the loop's iterations, counted elements of ``arange`` tensors, the
config's stated per-op overhead."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from cimsim.cli import main

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch")
nn = torch.nn


class NmsLoop(nn.Module):
    """Hand-written suppression: per iteration one value read (``if sup[i]:``), then a compare
    and an in-place or (2 pointwise ops, fusable with each other only)."""

    def __init__(self, n):
        super().__init__()
        self.n = n

    def forward(self, x):
        sup = torch.zeros(x.shape[0], dtype=torch.bool)
        for i in range(self.n):
            if sup[i]:
                continue
            sup |= x[i] > 5.0  # randn never exceeds 5 here: no row is suppressed, every iteration runs
        return sup


@pytest.mark.parametrize("n", [3, 40])
def test_an_nms_loop_is_an_op_per_value_read_and_pays_each_launch(n):
    from cimsim import load_architecture, simulate, trace

    torch.manual_seed(0)
    w = trace(NmsLoop(n).eval(), (torch.randn(64, 64),))
    assert sum(e["count"] for e in w.metadata["value_reads"]) == n
    assert w.metadata["ops_before_fusion"] == 2 * n  # n x (gt, or_); zeros is a constant
    # before: every iteration's gt / or_ fused across the reads into 1 op (2n members); no row
    # is suppressed, so each iteration is its gt and or_, fused
    assert len(w.ops) == n
    assert all(op.tags.get("fused") == 2 for op in w.ops)
    arch = load_architecture("cpu-ddr5")
    overhead_s = 2e-6  # configs/cpu-ddr5.yaml: processor.op_overhead: 2 us
    assert arch.components["processor"].op_overhead == pytest.approx(overhead_s, rel=1e-12, abs=0)
    assert simulate(arch, w).latency_s >= n * overhead_s


def test_pointwise_ops_of_one_iteration_still_fuse():
    """Cutting at reads does not stop fusion between reads: x * 2 + 1 after a read is one op."""
    from cimsim import trace

    class M(nn.Module):
        def forward(self, x):
            if x[0] > -100:  # one read, always taken
                x = x * 2 + 1
            return x

    w = trace(M().eval(), (torch.randn(16),))
    assert [op.tags.get("fused") for op in w.ops] == [None, 2]  # the compare read; x * 2 + 1


class Select(nn.Module):
    """A detector's score threshold: nonzero, masked_select and a boolean mask's index."""

    def __init__(self, thr):
        super().__init__()
        self.thr = thr

    def forward(self, scores, boxes):
        m = scores > self.thr
        idx = torch.nonzero(m)
        kept = scores.masked_select(m)
        rows = boxes[m]  # boxes 100 x 4: the kept rows
        return idx, kept * 2, rows + 1


def _select_inputs():
    return torch.arange(100.0), torch.ones(100, 4)


@pytest.mark.parametrize("thr, kept", [(69.5, 30), (-1.0, 100)])
def test_value_sized_ops_are_recorded_with_their_count_and_maximum(thr, kept):
    from cimsim import trace
    from cimsim.workload.trace.control import note

    w = trace(Select(thr).eval(), _select_inputs())
    # arange(100) > 69.5 keeps 70..99: 30 of 100; > -1 keeps all 100
    got = {e["op"]: (e["count"], e["selected"], e["of"]) for e in w.metadata["data_dependent_shapes"]}
    assert got == {"aten.nonzero": (1, kept, 100), "aten.masked_select": (1, kept, 100),
                   "aten.index": (1, kept, 100)}
    assert all(e["where"].startswith(__file__.rsplit("/", 1)[-1]) or __file__ in e["where"]
               for e in w.metadata["data_dependent_shapes"])
    assert "value_reads" not in w.metadata  # no if / .item(): sizes, not control flow
    (line,) = note(w.metadata)
    assert line.startswith("3 op(s) took their output size from the example's values (nonzero at ")
    assert f"{kept:,} of 100 elements" in line and "--arg thr=0" in line
    assert "data_dependent_shapes" in line


def test_an_integer_index_is_not_value_sized():
    from cimsim import trace

    class Gather(nn.Module):
        def forward(self, x, i):
            return x[i] * 2

    w = trace(Gather().eval(), (torch.randn(10, 4), torch.tensor([1, 3])))
    assert "data_dependent_shapes" not in w.metadata


def test_value_sized_op_stops_fusion_like_a_read():
    """On a GPU ``nonzero`` makes the host read its count (a sync): pointwise work written
    before it and after it (on independent tensors) is not fused across it."""
    from cimsim import trace

    class M(nn.Module):
        def forward(self, s, y):
            a = y * 2
            idx = torch.nonzero(s > 0)
            return idx, a + 1

    w = trace(M().eval(), (torch.arange(-5.0, 5.0), torch.randn(10)))
    fused = [op.tags.get("fused", 1) for op in w.ops if op.kind == "elementwise"]
    assert sorted(fused) == [1, 1, 1]  # y*2 | s>0 | a+1: before, y*2 and a+1 were one op


def test_cli_notes_value_sized_ops(tmp_path):
    src = tmp_path / "sel.py"
    src.write_text(
        "import torch\n"
        "class S(torch.nn.Module):\n"
        "    def forward(self, x):\n"
        "        return x[x > 89.5] * 2\n"
        "def sel():\n"
        "    return S(), (torch.arange(100.0),)\n")
    out = tmp_path / "w.json"
    r = CliRunner().invoke(main, ["trace", f"{src}:sel", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert ("1 op(s) took their output size from the example's values (a boolean mask's index "
            "x[mask] at sel.py:4: 10 of 100 elements)") in r.output
    meta = json.loads(out.read_text())["metadata"]
    assert meta["data_dependent_shapes"] == [
        {"op": "aten.index", "module": "", "where": meta["data_dependent_shapes"][0]["where"],
         "count": 1, "selected": 10, "of": 100}]


def test_meta_refusal_of_a_mask_speaks_of_thresholds_too(tmp_path):
    src = tmp_path / "sel.py"
    src.write_text(
        "import torch\n"
        "class S(torch.nn.Module):\n"
        "    def forward(self, x):\n"
        "        return x[x > 1.0] * 2\n"
        "def sel():\n"
        "    return S(), (torch.randn(100, device='meta'),)\n")
    r = CliRunner().invoke(main, ["trace", f"{src}:sel", "-o", str(tmp_path / "w.json")])
    assert r.exit_code == 1
    (line,) = [ln for ln in r.output.splitlines() if ln.strip()]
    assert "score threshold" in line and "every box kept" in line


class Queries(nn.Module):
    """DETR's first decoder layer: learned object queries (a Parameter) projected, then
    attending to the image features: the query operand is computed from parameters alone."""

    def __init__(self, d=16, nq=10):
        super().__init__()
        self.query = nn.Parameter(torch.randn(1, nq, d))
        self.proj = nn.Linear(d, d)

    def forward(self, feats):
        q = self.proj(self.query)
        return torch.bmm(q, feats.transpose(1, 2))


def test_learned_queries_are_not_called_weight_norm_or_pruning():
    from cimsim import trace
    from cimsim.workload.trace.computed import summary

    w = trace(Queries().eval(), (torch.randn(1, 20, 16),))
    entries = w.metadata["computed_weights"]
    assert [e["op"] for e in entries] == ["bmm"] and not entries[0].get("reparametrized")
    line = summary(entries)
    assert "prune.remove" not in line and "weight_norm" not in line
    assert "learned queries" in line and "constant-fold" in line


def test_a_pruned_layer_still_gets_prune_remove():
    from torch.nn.utils import prune

    from cimsim import trace
    from cimsim.workload.trace.computed import summary

    class Q(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(8, 16)

        def forward(self, x):
            return self.lin(x)

    m = Q()
    prune.l1_unstructured(m.lin, "weight", amount=0.5)
    w = trace(m.eval(), (torch.randn(2, 8),))
    entries = w.metadata["computed_weights"]
    assert entries and all(e.get("reparametrized") for e in entries)
    assert "prune.remove(module, 'weight')" in summary(entries)


class Empty(nn.Module):
    """A threshold that keeps nothing on the example (an untrained head, a high threshold),
    between pointwise work before it and after it on an independent tensor."""

    def __init__(self, how):
        super().__init__()
        self.how = how

    def forward(self, s, y):
        a = y * 2
        m = s > 1000.0  # arange(100) never exceeds it: 0 of 100 kept
        sel = {"nonzero": lambda: torch.nonzero(m), "masked_select": lambda: s.masked_select(m),
               "index": lambda: s[m]}[self.how]()
        return sel, a + 1


@pytest.mark.parametrize("how", ["nonzero", "masked_select", "index"])
def test_a_selection_that_keeps_nothing_is_recorded_noted_and_cuts_fusion(how):
    """An empty output moves no data, yet the op is value-sized all the same: recorded as 0 of
    100, noted (the ops on it are missing from the trace), and a sync (review18-1 #1: it was
    dropped before it was recorded, and y*2 and a+1 fused across it)."""
    from cimsim import trace
    from cimsim.workload.trace.control import note

    w = trace(Empty(how).eval(), (torch.arange(100.0), torch.randn(10)))
    assert w.metadata["data_dependent_shapes"] == [
        {"op": f"aten.{how}", "module": "", "where": w.metadata["data_dependent_shapes"][0]["where"],
         "count": 1, "selected": 0, "of": 100}]
    (line,) = note(w.metadata)
    assert ": 0 of 100 elements)" in line
    assert "(1 kept no element: the ops on what it selected are missing from this trace)" in line
    fused = [op.tags.get("fused", 1) for op in w.ops if op.kind == "elementwise"]
    assert sorted(fused) == [1, 1, 1]  # y*2 | s>1000 | a+1, not y*2 + a+1 as one op


class MaskReused(nn.Module):
    """A mask changed in place after the index read it (``keep &= ...`` in post-processing)."""

    def __init__(self, dim):
        super().__init__()
        self.dim = dim

    def forward(self, s, b):
        m = s > 50  # arange(100): 51..99, 49 of 100
        r = b[m] if self.dim == 0 else b[:, m]
        m.zero_()  # the mask reused as scratch: 0 set afterwards
        return r * 2, m


@pytest.mark.parametrize("dim, shape", [(0, (100, 4)), (1, (4, 100))])
def test_a_mask_changed_in_place_later_keeps_the_count_the_index_saw(dim, shape):
    """The count is the index's output, as it ran: 49 (arange(100) > 50), not the 0 the mask
    held after ``zero_()`` (review18-1 #2: it was counted from the mask after the forward)."""
    from cimsim import trace

    w = trace(MaskReused(dim).eval(), (torch.arange(100.0), torch.ones(*shape)))
    (entry,) = w.metadata["data_dependent_shapes"]
    assert (entry["op"], entry["selected"], entry["of"]) == ("aten.index", 100 - 51, 100)
    (mul,) = [op for op in w.ops if op.name == "mul"]  # r * 2 on the 49 rows (columns) kept
    assert w.tensors[mul.outputs[0]].shape == ((49, 4) if dim == 0 else (4, 49))


def test_a_read_stops_a_producer_joining_its_softmax():
    """``absorb_into_softmax`` keeps the scale that feeds a softmax out of it when a value read
    lies between them (the sync-epoch check); with no read between, it joins."""
    from cimsim import trace

    class A(nn.Module):
        def __init__(self, read):
            super().__init__()
            self.read = read

        def forward(self, q, k, flag):
            s = (q @ k.T) * 0.125
            if self.read and flag[0] > 0:  # a value read on another tensor (an early-exit test)
                pass
            return torch.softmax(s, -1)

    args = (torch.randn(8, 16), torch.randn(8, 16), torch.ones(2))
    read = trace(A(True).eval(), args)
    assert [(op.kind, op.tags.get("fused")) for op in read.ops if op.kind != "matmul"] == [
        ("elementwise", None), ("elementwise", None), ("softmax", None)]  # mul | gt (the read) | softmax
    plain = trace(A(False).eval(), args)
    assert [(op.kind, op.tags.get("fused")) for op in plain.ops if op.kind != "matmul"] == [("softmax", 2)]


def test_a_file_traced_before_fusion_stopped_at_reads_is_told_to_re_trace(tmp_path):
    """A new trace with reads carries ``metadata['fusion']``; the same file without it (as one
    traced before, which fused across its reads) gets a one-line re-trace note on a run."""
    from cimsim import trace
    from cimsim.workload.io import save_workload

    w = trace(NmsLoop(3).eval(), (torch.randn(8, 8),))
    assert w.metadata["fusion"] == "stops at value reads"
    new, old = tmp_path / "new.json", tmp_path / "old.json"
    save_workload(w, new)
    del w.metadata["fusion"]
    save_workload(w, old)
    outs = {}
    for f in (new, old):
        r = CliRunner().invoke(main, ["run", "cpu-ddr5", str(f)])
        assert r.exit_code == 0, r.output
        outs[f] = [ln for ln in r.output.splitlines() if "re-trace it" in ln]
    assert outs[new] == []
    (line,) = outs[old]
    assert "traced before cimsim stopped fusion at value reads" in line and "these 3 read(s)" in line


def test_a_trace_without_reads_has_no_fusion_marker():
    """Models without value reads trace as before (no new key)."""
    from cimsim import trace

    assert "fusion" not in trace(Queries().eval(), (torch.randn(1, 20, 16),)).metadata


def test_an_old_pruned_file_keeps_prune_remove_and_says_it_cannot_tell():
    """An entry without ``reparametrized`` (written before the key) may be a pruned weight or
    learned queries: both are named, prune.remove included; a new trace writes the key either way."""
    from cimsim import trace
    from cimsim.workload.trace.computed import summary

    q = trace(Queries().eval(), (torch.randn(1, 20, 16),)).metadata["computed_weights"]
    assert [e["reparametrized"] for e in q] == [False]
    old = [{k: v for k, v in e.items() if k != "reparametrized"} for e in q]
    line = summary(old)
    assert "prune.remove(module, 'weight')" in line and "learned queries" in line
    assert "traced before cimsim told the two apart" in line and "re-trace it" in line


def test_stats_line_names_learned_queries_as_the_summary_does(tmp_path):
    """``--stats`` words its unmeasured matmuls as the summary before it (review18-1 #3: it
    still said prune hooks / weight_norm for DETR's queries)."""
    src = tmp_path / "q.py"
    src.write_text(
        "import torch\n"
        "class Q(torch.nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.query = torch.nn.Parameter(torch.randn(1, 10, 16))\n"
        "        self.proj = torch.nn.Linear(16, 16)\n"
        "    def forward(self, feats):\n"
        "        return torch.bmm(self.proj(self.query), feats.transpose(1, 2))\n"
        "def f():\n"
        "    return Q(), (torch.randn(1, 20, 16),)\n")
    r = CliRunner().invoke(main, ["trace", f"{src}:f", "--stats", "-o", str(tmp_path / "q.json")])
    assert r.exit_code == 0, r.output
    (line,) = [ln for ln in r.output.splitlines() if ln.startswith("data statistics")]
    assert ("1 read a matrix computed from parameters each forward (learned queries or embeddings "
            "passed through layers, a weight transform in forward): none measured") in line
    assert "prune" not in line and "weight_norm" not in line
