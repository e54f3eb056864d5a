"""What a trace does not see is said, not dropped (find-N 1-3, 2026-12-06): parameters the
forward never reads (an untaken branch, an expert no token chose), the expert slices of a
``_grouped_mm`` named by expert id, and a float tensor no aten op produced (a numpy detour).
Real torch models; byte goldens are the parameters' shapes x 4 B (fp32), written here."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

from torch import nn  # noqa: E402

from cimsim.cli import main  # noqa: E402
from cimsim.workload import load_workload  # noqa: E402
from cimsim.workload.trace import trace  # noqa: E402


class Branchy(nn.Module):
    """Two 16 x 16 Linears (+ bias), only one taken by the example input."""

    def __init__(self):
        super().__init__()
        self.a, self.b = nn.Linear(16, 16), nn.Linear(16, 16)

    def forward(self, x):
        return self.a(x) if x.sum() > 0 else self.b(x)


class Tied(nn.Module):
    """A head tied to the embedding (one Parameter under two names) and a Linear used twice."""

    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(32, 16)
        self.head = nn.Linear(16, 32, bias=False)
        self.head.weight = self.emb.weight
        self.mix = nn.Linear(16, 16, bias=False)
        self.again = self.mix  # the same module under a second name

    def forward(self, ids):
        return self.head(self.again(self.mix(self.emb(ids))))


class MoE(nn.Module):
    """A plain-torch top-2 MoE: 4 experts of 64 -> 128 -> 64 (no bias)."""

    def __init__(self):
        super().__init__()
        self.gate = nn.Linear(64, 4, bias=False)
        self.experts = nn.ModuleList(nn.Sequential(nn.Linear(64, 128, bias=False), nn.ReLU(),
                                                   nn.Linear(128, 64, bias=False)) for _ in range(4))

    def forward(self, x):
        w, idx = torch.topk(self.gate(x).softmax(-1), 2, dim=-1)
        out = torch.zeros_like(x)
        for e, ex in enumerate(self.experts):
            tok, slot = torch.where(idx == e)
            if tok.numel():
                out.index_add_(0, tok, ex(x[tok]) * w[tok, slot, None])
        return out


class Detour(nn.Module):
    """The second 8 x 64 x 64 matmul runs in numpy; a 1-element numpy scale, torch.arange and
    a buffer are ordinary constants."""

    def __init__(self):
        super().__init__()
        self.l, self.l2 = nn.Linear(64, 64, bias=False), nn.Linear(64, 64, bias=False)
        self.register_buffer("shift", torch.ones(64))

    def forward(self, x):
        h = self.l(x)
        h2 = torch.from_numpy(h.detach().numpy() @ self.l2.weight.detach().numpy().T)
        scale = torch.from_numpy(torch.tensor([0.5]).numpy())  # a scalar: quiet
        return torch.relu(h2) * scale + self.shift + torch.arange(64, dtype=torch.float32)


def _run(tmp_path, spec, *args):
    r = CliRunner().invoke(main, ["trace", spec, "-o", str(tmp_path / "w.json"), *args])
    assert r.exit_code == 0, r.output
    return r.output, load_workload(tmp_path / "w.json")


def test_an_untaken_branch_is_said_and_recorded():
    torch.manual_seed(1)
    x = torch.ones(4, 16)  # sum > 0: branch a
    w = trace(Branchy().eval(), (x,))
    assert w.weight_bytes == (16 * 16 + 16) * 4
    assert w.metadata["unread_parameters"] == [
        {"name": "b.weight", "shape": [16, 16], "dtype": "fp32", "bytes": 16 * 16 * 4,
         "matrix": [16, 16]},  # k x n, the matrix a CIM would hold
        {"name": "b.bias", "shape": [16], "dtype": "fp32", "bytes": 16 * 4}]
    from cimsim.workload.trace.unread import notes

    assert notes(w.metadata)[0].startswith(
        "2 parameter(s), 1.088 kB, never read by this forward: b.weight, b.bias;")


def test_tied_and_shared_parameters_read_under_another_name_are_not_unread():
    w = trace(Tied().eval(), (torch.tensor([[1, 2, 3]]),))
    assert "unread_parameters" not in w.metadata
    assert "untraced_tensors" not in w.metadata


def test_a_plain_torch_moe_says_which_experts_no_token_chose():
    torch.manual_seed(0)
    model, x = MoE().eval(), torch.randn(1, 64)
    picked = set(torch.topk(model.gate(x).softmax(-1), 2, dim=-1).indices.flatten().tolist())
    idle = sorted(set(range(4)) - picked)
    w = trace(model, (x,))
    each = (64 * 128 + 128 * 64) * 4  # one expert's two matrices, fp32
    assert w.metadata["unrouted_experts"] == [
        {"module": "experts", "experts": idle, "of": 4, "bytes": 2 * each}]
    assert sorted(e["name"] for e in w.metadata["unread_parameters"]) == sorted(
        f"experts.{e}.{i}.weight" for e in idle for i in (0, 2))
    assert w.weight_bytes == 64 * 4 * 4 + 2 * each  # the router and the two chosen experts


def test_a_numpy_detour_is_said_and_the_mapped_share_is_of_the_traced_macs(tmp_path):
    path = tmp_path / "detour.py"
    path.write_text("import torch\nfrom test_trace_unread import Detour\n"
                    "def make():\n    torch.manual_seed(0)\n"
                    "    return Detour().eval(), (torch.randn(8, 64),)\n")
    import sys

    sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))
    try:
        out, w = _run(tmp_path, f"{path}:make")
    finally:
        sys.path.pop(0)
    assert w.macs == 8 * 64 * 64  # the numpy matmul is not counted: said
    assert [(e["name"], e["shape"], e["dtype"]) for e in w.metadata["untraced_tensors"]] == [
        ("const0", [8, 64], "fp32")]  # not the scalar, the arange nor the buffer
    assert "100.0% of the traced MACs mapped to specific kinds (work outside torch: see the note)" in out
    assert ("note: 1 tensor(s) (const0, 8x64 fp32) appeared without an aten op producing it "
            "(torch.from_numpy?") in out
    assert "note: 1 parameter(s), 16.38 kB, never read by this forward: l2.weight;" in out


def test_a_run_of_a_trace_with_unread_parameters_says_so(tmp_path):
    w = trace(Branchy().eval(), (torch.ones(4, 16),))
    from cimsim.workload import save_workload

    save_workload(w, tmp_path / "b.json")
    r = CliRunner().invoke(main, ["run", "sram-cim", str(tmp_path / "b.json")])
    assert r.exit_code == 0, r.output
    text = " ".join(r.output.split())
    assert "2 parameter(s), 1.088 kB, never read by this forward: b.weight, b.bias" in text
    assert "weight-stationary chip must hold them too" in text


# --------------------------------------------------------------------------- HF Mixtral
def test_mixtral_experts_without_tokens_are_unread_and_slices_are_named_by_expert_id():
    """One token, top-2 of 8 experts: 6 experts' gate_up (64 x 256) and down (128 x 64)
    slices are unread, 6 x 98,304 B = 589,824 B; a read slice is named by its expert id."""
    transformers = pytest.importorskip("transformers")
    cfg = transformers.MixtralConfig(hidden_size=64, intermediate_size=128, num_hidden_layers=1,
                                     num_attention_heads=4, num_key_value_heads=2, num_local_experts=8,
                                     num_experts_per_tok=2, vocab_size=100)
    torch.manual_seed(0)
    model = transformers.AutoModelForCausalLM.from_config(cfg).eval()
    picked = {}
    hook = model.model.layers[0].mlp.gate.register_forward_hook(
        lambda mod, args, out: picked.update(i=out[2].clone()))
    w = trace(model, (torch.tensor([[5]]),))
    hook.remove()
    chosen = sorted(set(picked["i"].flatten().tolist()))
    idle = [e for e in range(8) if e not in chosen]
    assert len(chosen) == 2 and chosen != [0, 1]  # so the id differs from the group index
    mlp = "model.layers.0.mlp.experts"
    assert w.metadata["unrouted_experts"] == [
        {"module": mlp, "experts": idle, "of": 8, "bytes": 6 * (64 * 256 + 128 * 64) * 4}]
    whole = [e for e in w.metadata["unread_parameters"] if "read_bytes" not in e]
    assert sorted(e["name"] for e in whole) == sorted(
        f"{mlp}.{p}[{e}]" for p in ("gate_up_proj", "down_proj") for e in idle)
    # the untied token embedding is read in part: token 5's row of 100 x 64 (the stacked
    # experts are not: their slices are listed by expert above)
    (part,) = [e for e in w.metadata["unread_parameters"] if "read_bytes" in e]
    assert (part["name"], part["read_bytes"], part["bytes"]) == (
        "model.embed_tokens.weight", 64 * 4, 99 * 64 * 4)
    grouped = [op for op in w.ops if op.tags.get("aten") == "_grouped_mm"]
    assert sorted(op.weight for op in grouped) == sorted(
        f"{mlp}.{p}[{e}]" for p in ("gate_up_proj", "down_proj") for e in chosen)
    assert all(op.tags["weight_name"] == op.weight for op in grouped)
    assert all(op.weight.endswith(f"[{op.tags['expert']}]") for op in grouped)


def test_a_flat_cim_holds_the_experts_no_token_chose_on_arrays_it_never_reads(tmp_path):
    """sram-cim: 256 x 256 arrays, 8-bit weights on 1-bit cells, 8,452 arrays; a k x n matrix
    takes ceil(k / 256) x ceil(8 n / 256) arrays. One token, top-2 of 4 experts: the router
    64 x 4 (1 array) and two experts of 64 x 128 (4) + 128 x 64 (2) are read: 13 arrays; the
    two experts no token chose take 2 x 6 = 12 more, so 25 arrays and 8,452 // 25 = 338 copies
    (before: 13 arrays and 650 copies, as if the chip held half the model)."""
    import json

    torch.manual_seed(0)
    from cimsim.workload import save_workload

    save_workload(trace(MoE().eval(), (torch.randn(1, 64),)), tmp_path / "moe.json")
    r = CliRunner().invoke(main, ["run", "sram-cim", str(tmp_path / "moe.json"), "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output[r.output.index("{"):])
    assert out["cim_arrays_needed"] == 13 + 12
    # held matrices are programmed before the run too: cells read (router 64 x 32 + two experts of
    # 64 x 1,024 + 128 x 512) 264,192 and held (two experts) 262,144, at 50 fJ a cell; one copy
    # each: one token is one row, and a copy past a matrix's rows (or of a matrix never read)
    # never computes (find-E 3; before, 338 copies were programmed); their bytes, a cell each
    # at 8-bit weights on 1-bit cells, read from DRAM (20 pJ/bit) and carried over the link
    # (0.72 pJ/bit) as re-programming brings them (find-H #1)
    assert out["programming_energy_j"] == pytest.approx(
        (264_192 + 262_144) * 50e-15 + (264_192 + 262_144) / 8 * 8 * 20.72e-12, rel=1e-12, abs=0)
    assert out["cim_arrays_used"] == 25
    r = CliRunner().invoke(main, ["run", "sram-cim", str(tmp_path / "moe.json")])
    text = " ".join(r.output.split())
    assert ("cim: 25 of 8,452 arrays hold all 5 weight matrices and the 4 matrices of parameters "
            "this forward never reads (12 arrays: held, never read, so no energy or time)") in text
    assert ("weight replication: 1 copy per matrix share an op's rows (uniform floor(arrays / "
            "arrays needed) = 338, capped at each matrix's most rows: 5 of 5 matrices hold fewer)") in text


# --------------------------------------------------------------------------- footprint (find-B 2)
def test_the_footprint_holds_the_experts_no_token_chose_and_the_capacity_check_counts_them(tmp_path):
    """The DRAM footprint counted only the weights read: a MoE whose unrouted experts do not fit
    ran silently. One token, top-2 of 4 experts of 64 x 128 + 128 x 64, fp32: read = router
    64 x 4 x 4 B (1,024) + 2 experts x 65,536 B = 132,096 B; unread = 2 experts = 131,072 B;
    weights held = 263,168 B. At 200 kB the run is refused (before: 132 kB of weights fit)."""
    from cimsim.workload import save_workload
    from cimsim.workload.footprint import footprint_apart

    torch.manual_seed(0)
    w = trace(MoE().eval(), (torch.randn(1, 64),))
    each = (64 * 128 + 128 * 64) * 4
    assert w.weight_bytes == 64 * 4 * 4 + 2 * each == 132_096  # the weights read: unchanged
    assert w.footprint.weights == 132_096 + 2 * each == 263_168
    assert w.footprint.unread == 2 * each == 131_072
    assert footprint_apart(w)[1].weights == 263_168  # the host's, with the cache apart
    save_workload(w, tmp_path / "moe.json")
    small = ["--set", "memory.sram.capacity=100kB"]
    r = CliRunner().invoke(main, ["run", "gpu-hbm3", str(tmp_path / "moe.json"),
                                  "--set", "memory.dram.capacity=200kB", *small])
    assert r.exit_code == 1, r.output
    line = r.output.strip().splitlines()[0]
    assert "weights 263.168 kB (131.072 kB of them never read by the trace)" in line
    assert "has memory.dram.capacity 200 kB" in line
    r = CliRunner().invoke(main, ["run", "gpu-hbm3", str(tmp_path / "moe.json"), *small])
    assert r.exit_code == 0, r.output
    assert "weights 263.2 kB (131.1 kB of them never read by the trace)" in " ".join(r.output.split())


def test_malformed_unread_parameters_are_one_line():
    from cimsim.errors import WorkloadError

    w = trace(Branchy().eval(), (torch.ones(4, 16),))
    w.metadata["unread_parameters"] = [{"name": "b.weight", "bytes": "1 kB"}]
    with pytest.raises(WorkloadError, match="metadata unread_parameters must be a list of .*bytes an "
                                            "integer >= 0"):
        w.footprint


# ----------------------------------------------------- parameters read in part (find-A 2)
class Bags(nn.Module):
    """DLRM's embedding tables: ``nn.EmbeddingBag(rows, dim, mode="sum")`` each."""

    def __init__(self, rows, dim):
        super().__init__()
        self.emb = nn.ModuleList(nn.EmbeddingBag(r, dim, mode="sum") for r in rows)

    def forward(self, idx, offs):
        return torch.cat([e(i, o) for e, i, o in zip(self.emb, idx, offs)], dim=1)


def test_a_table_read_in_part_records_its_unread_bytes_and_says_so():
    rows, dim = 1000, 16
    ids, offs = torch.tensor([3, 7, 3, 999, 7, 0]), torch.tensor([0, 3])  # 4 distinct rows
    w = trace(Bags([rows], dim).eval(), ((ids,), (offs,)))
    read, full = 4 * dim * 4, rows * dim * 4
    assert w.weight_bytes == read  # the rows gathered
    assert w.metadata["unread_parameters"] == [
        {"name": "emb.0.weight", "shape": [rows, dim], "dtype": "fp32", "bytes": full - read,
         "read_bytes": read, "parameter_bytes": full}]
    from cimsim.workload.trace.unread import notes

    (note,) = notes(w.metadata)
    assert note.startswith("1 parameter(s) read only in part by this forward (emb.0.weight 256 B "
                           "of 64 kB): 63.74 kB of them never read,")  # 64,000 - 256 B
    # a table read whole (all its rows) is no partial read
    w = trace(Bags([8], dim).eval(), ((torch.arange(8),), (torch.tensor([0]),)))
    assert "unread_parameters" not in w.metadata


@pytest.fixture(scope="module")
def huge():
    """find-A 2's tables: 3 x 1e8 rows x 128 fp32 (fake weights), B = 128 bags of L = 20."""
    from torch._subclasses.fake_tensor import FakeTensorMode

    B, L, rows, dim = 128, 20, 100_000_000, 128
    with FakeTensorMode(allow_non_fake_inputs=True):
        m = Bags([rows] * 3, dim).eval()
        idx = tuple(torch.randint(0, rows, (B * L,)) for _ in range(3))
        offs = tuple(torch.arange(0, B * L, L) for _ in range(3))
    return trace(m, (idx, offs), name="huge"), B * L * dim * 4


def test_huge_tables_read_in_part_hold_their_whole_bytes_in_the_metadata(huge):
    w, gathered = huge
    full = 100_000_000 * 128 * 4  # 51.2 GB a table
    parts = w.metadata["unread_parameters"]
    assert [e["parameter_bytes"] for e in parts] == [full] * 3
    assert [e["read_bytes"] for e in parts] == [gathered] * 3  # fake ids: B x L distinct rows
    assert w.weight_bytes + sum(e["bytes"] for e in parts) == 3 * full == 153_600_000_000


def test_huge_tables_are_refused_on_an_80_gb_gpu(huge):
    from cimsim import load_architecture, simulate
    from cimsim.errors import MappingError

    with pytest.raises(MappingError, match=r"153\.6\d* GB live at once.*85\.899\d* GB"):  # 80 GiB = 85.899e9 B
        simulate(load_architecture("gpu-hbm3"), huge[0])


class BufferTable(nn.Module):
    """A 1e5 x 64 fp32 lookup table held as a buffer (not a Parameter), read by ``T[i]`` or
    ``F.embedding(i, T)``, then a 64 -> 4 Linear."""

    def __init__(self, embedding: bool):
        super().__init__()
        self.register_buffer("T", torch.randn(100_000, 64))
        self.lin, self.embedding = nn.Linear(64, 4), embedding

    def forward(self, i):
        return self.lin(nn.functional.embedding(i, self.T) if self.embedding else self.T[i])


@pytest.mark.parametrize("embedding", [False, True], ids=["index", "F.embedding"])
def test_a_lookup_table_held_as_a_buffer_keeps_its_whole_size_in_the_footprint(embedding):
    w = trace(BufferTable(embedding), (torch.tensor([1, 2, 3]),))
    table, rows, lin = 100_000 * 64 * 4, 3 * 64 * 4, 64 * 4 * 4 + 4 * 4
    assert w.weight_bytes == rows + lin  # the 3 rows read and the Linear: 1,808 B
    (entry,) = w.metadata["unread_parameters"]  # was none: 25.6 MB lost from the footprint
    assert (entry["name"], entry["bytes"], entry["read_bytes"], entry["parameter_bytes"]) == (
        "T", table - rows, rows, table)
    assert w.footprint.weights == table + lin == 25_601_040  # main's whole-buffer copy
