"""What a merge keeps of each model and which edges it takes (review 22 I 2 - I 4): resident
inputs (a database, a KV cache) stay resident under their prefixed names, buffers, unread
parameters and computed weights carry over, an LLM serving run is refused, ``--chain`` never
feeds a traced constant, and an edge from an input another edge feeds follows it to its source.
Real traced torch models; goldens are the tensors' bytes (elements x 4 B)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

from torch import nn  # noqa: E402

from cimsim.cli import main  # noqa: E402
from cimsim.errors import WorkloadError  # noqa: E402
from cimsim.workload.generators import matmul  # noqa: E402
from cimsim.workload.llm import LLMModel, llm_serving  # noqa: E402
from cimsim.workload.io import save_workload  # noqa: E402
from cimsim.workload.merge import merge_workloads  # noqa: E402
from cimsim.workload.resident import mark_resident  # noqa: E402
from cimsim.workload.trace import trace  # noqa: E402


class Search(nn.Module):  # a database passed to forward: resident only when marked
    def forward(self, q, xb):
        return (q @ xb.t()).topk(4).indices.float()


class Dec(nn.Module):  # an HF-style cache argument: resident by its name
    def __init__(self):
        super().__init__()
        self.l = nn.Linear(64, 64)

    def forward(self, x, past_kv):
        return (self.l(x) @ past_kv.transpose(-1, -2)).softmax(-1) @ past_kv


class Trk(nn.Module):  # a GRU whose h0 is made in forward: traced as the constant const0
    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(16, 64, batch_first=True)

    def forward(self, x):
        return self.gru(x, torch.zeros(1, x.shape[0], 64))[1]


class Glue(nn.Module):  # returns [1, 4, 64] fp32: the size of Trk's h0, not of its x
    def __init__(self):
        super().__init__()
        self.l = nn.Linear(8, 64)

    def forward(self, a):
        return self.l(a).view(1, 4, 64)


XB = 1024 * 64 * 4  # the database: 262,144 B
KV = 256 * 64 * 4  # the cache: 65,536 B


def _llm():
    tiny = LLMModel(layers=1, hidden=32, heads=4, kv_heads=4, ffn=48, vocab=20, head_dim=8, gated=True)
    return llm_serving(tiny, prompt=4, decode=2, dtype="fp32")


def _search():
    w = trace(Search().eval(), (torch.randn(8, 64), torch.randn(1024, 64)), batch=1)
    mark_resident(w, ["xb"])
    return w


def _dec():
    return trace(Dec().eval(), (torch.randn(1, 1, 64), torch.randn(1, 256, 64)), batch=1)


def test_resident_inputs_stay_resident_after_a_merge():
    search, dec = _search(), _dec()
    assert (search.footprint.kv_cache, dec.footprint.kv_cache) == (XB, KV)
    w = merge_workloads({"search": search, "dec": dec})
    # before: 0 (resident_inputs dropped, and 'dec.past_kv' no longer read as a cache's name)
    assert w.metadata["resident_inputs"] == ["search.xb"]
    assert w.footprint.kv_cache == XB + KV == 327_680
    # a merged input can be marked by its prefixed name
    plain = merge_workloads({"s": trace(Search().eval(), (torch.randn(8, 64), torch.randn(1024, 64)),
                                        batch=1), "dec": _dec()})
    assert plain.footprint.kv_cache == KV
    mark_resident(plain, ["s.xb"])
    assert plain.footprint.kv_cache == XB + KV


def test_a_traced_and_a_generated_model_keep_their_own_residency_rule():
    # the merge's capture is dropped (the models disagree); each model keeps its own rule: the
    # trace's unmarked query is no cache, the generator's streamed operand (1024 x 1024 fp32) is
    gen = matmul(1, 1024, 1024, operand="input", dtype="fp32")
    w = merge_workloads({"dec": _dec(), "g": gen})
    assert "capture" not in w.metadata
    assert w.footprint.kv_cache == KV + gen.footprint.kv_cache
    assert gen.footprint.kv_cache == 1024 * 1024 * 4


def test_per_model_lists_are_carried_prefixed():
    class Buf(nn.Module):
        def __init__(self):
            super().__init__()
            self.l, self.unused = nn.Linear(16, 16), nn.Linear(16, 32)
            self.register_buffer("table", torch.randn(16, 16))

        def forward(self, x):
            return self.l(x) @ self.table

    b = trace(Buf().eval(), (torch.randn(2, 16),), batch=2)
    w = merge_workloads({"b": b, "dec": _dec()})
    assert w.metadata["buffer_weights"]["names"] == ["b.table"]
    assert w.metadata["buffer_weights"]["bytes"] == 16 * 16 * 4
    unread = {e["name"] for e in w.metadata["unread_parameters"]}
    assert unread == {"b." + e["name"] for e in b.metadata["unread_parameters"]}
    # the unused Linear's 16 x 32 weight and 32 bias, fp32, counted in the footprint as alone
    assert w.footprint.weights - b.footprint.weights - _dec().footprint.weights == 0
    assert sum(e["bytes"] for e in w.metadata["unread_parameters"]) == (16 * 32 + 32) * 4


def test_an_llm_serving_run_is_refused():
    llm = _llm()
    with pytest.raises(WorkloadError, match="model llm is an LLM serving run"):
        merge_workloads({"llm": llm, "dec": _dec()})


def test_chain_never_feeds_a_traced_constant(tmp_path):
    glue = trace(Glue().eval(), (torch.randn(4, 8),), batch=4)
    trk = trace(Trk().eval(), (torch.randn(4, 5, 16),), batch=4)
    # was: tracker.const0=glue.l.add_bias (the GRU's zero h0, the one input of that size)
    with pytest.raises(WorkloadError, match=r"no input of that dtype and size \(its inputs: x \[4, 5, 16\]"):
        merge_workloads({"glue": glue, "trk": trk}, chain=True)
    with pytest.raises(WorkloadError, match="'const0' is a constant model trk's forward made itself"):
        merge_workloads({"glue": glue, "trk": trk}, after=["trk.const0=glue.l.add_bias"])
    # the CLI's summary lists the edges it chose
    save_workload(_dec(), tmp_path / "a.json")
    save_workload(_dec(), tmp_path / "b.json")
    res = CliRunner().invoke(main, ["workload", "merge", str(tmp_path / "a.json"), str(tmp_path / "b.json"),
                                    "--after", "b.x=a.bmm#1", "-o", str(tmp_path / "m.json")])
    assert res.exit_code == 0, res.output
    assert "edges: b.x=a.bmm#1" in res.output


def test_an_edge_from_an_input_another_edge_feeds_follows_it():
    ws = {n: trace(Glue().eval(), (torch.randn(4, 8),), batch=4) for n in ("src", "g1", "g2")}
    # g1's input a [4, 8] fed from src's input a, and g2's input a from g1's (both [4, 8] fp32)
    for order in (["g1.a=src.a", "g2.a=g1.a"], ["g2.a=g1.a", "g1.a=src.a"]):
        w = merge_workloads(ws, after=order)  # was: "input 'g1.a' is not a declared tensor"
        reads = {op.name: op.inputs for op in w.ops}
        assert "src.a" in reads["g1.l.addmm"] and "src.a" in reads["g2.l.addmm"]
        assert "g1.a" not in w.tensors and "g2.a" not in w.tensors
    with pytest.raises(WorkloadError, match=r"no model 'zz' \(the models: src, g1, g2\)"):
        merge_workloads(ws, after=[("g1", "a", "zz", "a")])  # was a bare KeyError: 'zz'


def test_merge_cli_refuses_llm_in_one_line(tmp_path):
    save_workload(_llm(), tmp_path / "llm.json")
    save_workload(_dec(), tmp_path / "dec.json")
    res = CliRunner().invoke(main, ["workload", "merge", str(tmp_path / "llm.json"), str(tmp_path / "dec.json"),
                                    "-o", str(tmp_path / "m.json")])
    assert res.exit_code != 0 and res.output.count("\n") == 1 and "LLM serving run" in res.output
