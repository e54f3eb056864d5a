"""A split study of a traced ResNet-like model on a real edge config and a bundled server config:
at the trivial cuts the halves are the whole model on each config, and a block boundary sends
exactly the block's output."""

from pathlib import Path

import pytest

from cimsim import load_architecture, simulate
from cimsim.split import cut_points, cut_workload, split_study

pytestmark = pytest.mark.torch

EDGE = Path(__file__).resolve().parents[2] / "examples" / "edge-cim.yaml"


def _model():
    import torch
    from torch import nn

    class Block(nn.Module):
        def __init__(self, c):
            super().__init__()
            self.conv1, self.bn1 = nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c)
            self.conv2, self.bn2 = nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c)

        def forward(self, x):
            y = torch.relu(self.bn1(self.conv1(x)))
            return torch.relu(self.bn2(self.conv2(y)) + x)

    class TinyResNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU())
            self.blocks = nn.Sequential(Block(8), Block(8))
            self.fc = nn.Linear(8, 10)

        def forward(self, x):
            return self.fc(self.blocks(self.stem(x)).mean((2, 3)))

    return TinyResNet().eval(), torch.randn(1, 3, 16, 16)


@pytest.fixture(scope="module")
def traced():
    from cimsim import trace

    model, x = _model()
    return trace(model, x, name="tinyresnet", dtype="int8")


def test_trivial_cuts_are_the_whole_model_on_each_config(traced):
    edge, server = load_architecture(EDGE), load_architecture("gpu-hbm3")
    cuts = cut_points(traced, module_depth=2)
    study = split_study(edge, server, traced, ["uplink=1Mb/s,latency=10ms,tx_energy=100nJ/bit"], cuts=cuts)
    first, last = study.rows[0], study.rows[-1]
    whole_edge, whole_server = simulate(edge, traced), simulate(server, traced)
    assert first["cut"] == 0 and last["cut"] == len(traced.ops)
    assert first["server_latency_s"] == pytest.approx(whole_server.latency_s, rel=1e-9, abs=0)
    assert first["server_energy_j"] == pytest.approx(whole_server.energy_j, rel=1e-9, abs=0)
    assert last["edge_latency_s"] == pytest.approx(whole_edge.latency_s, rel=1e-9, abs=0)
    assert last["edge_energy_j"] == pytest.approx(whole_edge.energy_j, rel=1e-9, abs=0)
    # server only sends the raw int8 input, 3 x 16 x 16 = 768 B: 768 x 8 / 1 Mb/s + 10 ms
    assert first["uplink_bytes"] == 768
    assert first["uplink_s"] == pytest.approx(768 * 8 / 1e6 + 0.01, rel=1e-12, abs=0)
    assert first["edge_radio_j"] == pytest.approx(768 * 8 * 100e-9, rel=1e-12, abs=0)
    assert last["uplink_bytes"] == 0 and last["link_s"] == 0


def test_a_block_boundary_sends_the_block_output(traced):
    cuts = {c.after: c for c in cut_points(traced, single_tensor=True)}
    block0 = [name for name in cuts if name and name.startswith("blocks.0")]
    assert block0, "a single-tensor cut at the end of block 0"
    cut = cuts[block0[-1]]
    assert cut.uplink_bytes() == 8 * 16 * 16  # its int8 output, 8 channels x 16 x 16
    prefix, suffix = cut_workload(traced, cut)
    assert len(prefix.ops) + len(suffix.ops) == len(traced.ops)
    assert prefix.macs + suffix.macs == traced.macs


def test_the_cuts_inside_a_convolution_are_left_out(traced):
    # each conv is lowered to an im2col copy and a matmul: a cut between the two would send the
    # im2col matrix; the default leaves those cuts out, lowered=True keeps them (review 22 G 6)
    im2col = [i + 1 for i, op in enumerate(traced.ops) if op.tags.get("part") == "im2col"]
    assert len(im2col) == 5  # the stem's conv and two blocks' two
    every = [c.index for c in cut_points(traced, lowered=True)]
    default = [c.index for c in cut_points(traced)]
    assert every == list(range(len(traced.ops) + 1))
    assert default == [k for k in every if k not in im2col]


def _tied():
    """Tied embeddings (the head's weight is the embedding's, as GPT-2's), 16 tokens of a
    vocabulary of 32, width 8, fp32; positions from an 8-row table of which 4 rows are read."""
    import torch
    from torch import nn

    class Tied(nn.Module):
        def __init__(self):
            super().__init__()
            self.wte, self.wpe = nn.Embedding(32, 8), nn.Embedding(8, 8)
            self.mid = nn.Linear(8, 8)
            self.head = nn.Linear(8, 32, bias=False)
            self.head.weight = self.wte.weight

        def forward(self, ids):
            h = self.wte(ids) + self.wpe(torch.arange(4))
            return self.head(torch.relu(self.mid(h)))

    return Tied().eval(), torch.randint(0, 32, (1, 4))


def test_tied_weights_every_cut_runs_and_unread_rows_are_held_once():
    from cimsim import trace

    model, ids = _tied()
    w = trace(model, ids, name="tied")
    assert w.metadata.get("overlapping_weight_reads"), "the tied weight is read twice"
    study = split_study(load_architecture("cpu-ddr5"), load_architecture("gpu-hbm3"), w,
                        ["uplink=1Mb/s"], cuts=cut_points(w, lowered=True))
    assert [r["error"] for r in study.rows] == [None] * (len(w.ops) + 1)
    # the wpe rows no op reads (4 of 8 rows x 8 x 4 B = 128 B) are held by one half, never both
    whole = w.footprint.unread
    assert whole == 4 * 8 * 4
    for k in range(len(w.ops) + 1):
        halves = [h for h in cut_workload(w, k) if h is not None]
        assert sum(h.footprint.unread for h in halves) == whole
    # cut 0 sends the token ids only (4 int64 = 32 B), not the positions torch.arange made
    assert study.rows[0]["uplink_bytes"] == 32


def test_a_resident_database_is_held_where_it_is_read():
    import torch
    from torch import nn

    from cimsim import trace

    class Search(nn.Module):
        def __init__(self):
            super().__init__()
            self.enc = nn.Linear(64, 64)

        def forward(self, q, db):
            return torch.relu(self.enc(q)) @ db.t()

    w = trace(Search().eval(), (torch.randn(1, 64), torch.randn(256, 64)), name="search", resident=["db"])
    study = split_study(load_architecture("cpu-ddr5"), load_architecture("gpu-hbm3"), w,
                        ["uplink=1Mb/s"], cuts=cut_points(w, lowered=True))
    assert all(r["error"] is None for r in study.rows)
    # every cut sends the query's 64 fp32 (256 B) at most, never the 256 x 64 x 4 B = 65,536 B db
    assert all(r["uplink_bytes"] in (0, 256) for r in study.rows)
    suffix = cut_workload(w, 0)[1]
    assert suffix.metadata["resident_inputs"] == ["db"] and suffix.footprint.kv_cache == 65536
    prefix = cut_workload(w, 1)[0]
    assert "resident_inputs" not in prefix.metadata  # the edge's half reads no db
