"""Near-bank PIM's ``embedding`` claim (hw/pim.py): an embedding bag (row gather + sum / mean
pooling, RecNMP ISCA 2020, TensorDIMM MICRO 2019) runs on the units, its rows read at their
internal bandwidth, its L - 1 adds per pooled element on their MAC lanes, and only the ids,
offsets and the B x dim pooled result cross the memory's external bus.

Golden values are closed-form arithmetic on the round-number fixture of conftest.py (2 DRAM
channels, DRAM 10 GB/s + 100 ns) and on the bundled hbm-pim config's own fields (1280 PCUs x
9.6 GB/s, 16 lanes at 300 MHz, HBM3 3.35 TB/s x 0.70 + 500 ns, op_overhead 5 us).
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

import cimsim  # noqa: E402
from cimsim import load_architecture, simulate  # noqa: E402

from conftest import make_arch  # noqa: E402

pytestmark = pytest.mark.torch
pJ = 1e-12
B, L, ROWS, DIM = 8, 4, 1000, 32


def _bag(mode="sum", dtype=torch.float32, linear=False):
    """An EmbeddingBag of B bags of L distinct ids (each row read once), optionally followed by
    a Linear on the B pooled rows (a matmul of B > max_rows activation rows)."""
    torch.manual_seed(0)
    bag = torch.nn.EmbeddingBag(ROWS, DIM, mode=mode).to(dtype).eval()
    model = torch.nn.Sequential(bag, torch.nn.Linear(DIM, DIM).to(dtype)) if linear else bag

    class Two(torch.nn.Module):  # a Sequential passes one argument: give it the offsets too
        def __init__(self):
            super().__init__()
            self.m = model

        def forward(self, idx, offs):
            x = self.m[0](idx, offs) if linear else self.m(idx, offs)
            return self.m[1](x) if linear else x

    idx = torch.randperm(ROWS)[:B * L]
    offs = torch.arange(0, B * L, L)
    return cimsim.trace(Two().eval(), (idx, offs), name=f"bag-{mode}")


def _round_pim(claims, macs_per_cycle=1):
    # 2 channels x 4 units: 8 units x 1 lane x 1 GHz = 8e9 adds/s; 8 x 100 GB/s = 800 GB/s
    return make_arch(name="round-pim", pim={
        "units_per_channel": 4, "clock": "1 GHz", "macs_per_cycle": macs_per_cycle,
        "internal_bandwidth": "100 GB/s", "energy_per_mac": "1 pJ", "energy_per_bit": "0.5 pJ/bit",
        "claims": claims})


IDS, OFFS = B * L * 8, B * 8  # int64 ids and offsets
ROW_BYTES = B * L * DIM * 4  # the gathered fp32 rows (distinct ids: each read once)
OUT = B * DIM * 4  # the pooled result


def test_a_sum_bag_runs_on_the_units_its_adds_bound_the_op():
    r = simulate(_round_pim(["weights", "embedding"]), _bag("sum"))
    assert list(r.op_table["unit"]) == ["pim"]
    adds = B * (L - 1) * DIM  # L - 1 adds per pooled element
    assert adds / 8e9 > ROW_BYTES / 800e9  # the adds outlast the bank reads here
    # only the ids and offsets (in) and the B x dim result (out) cross the external bus
    assert r.traffic_bytes["dram"] == IDS + OFFS + OUT
    assert r.facts["pim_bank_bytes"] == ROW_BYTES
    # serial: I/O over the bus, then the units, plus the access latency
    assert r.latency_s == pytest.approx((IDS + OFFS + OUT) / 10e9 + adds / 8e9 + 100e-9, rel=1e-12, abs=0)
    assert r.energy_breakdown_j["pim_compute"] == pytest.approx(
        adds * 1 * pJ + ROW_BYTES * 8 * 0.5 * pJ, rel=1e-12, abs=0)


def test_a_mean_bag_also_counts_its_divide():
    r = simulate(_round_pim(["embedding"]), _bag("mean"))
    ops = B * L * DIM  # L - 1 adds and one divide per pooled element
    assert r.latency_s == pytest.approx((IDS + OFFS + OUT) / 10e9 + ops / 8e9 + 100e-9, rel=1e-12, abs=0)


def test_on_hbm_pim_the_bank_reads_bound_the_bag():
    """hbm-pim's own numbers: fp16 rows (its precision) read at 1280 x 9.6 GB/s outlast the
    adds at 1280 x 16 x 300 MHz; only ids, offsets and B x dim fp16 cross the HBM bus."""
    arch = load_architecture("hbm-pim", overrides={"pim.claims": ["weights", "embedding"]})
    r = simulate(arch, _bag("sum", torch.float16))
    rows, out, internal = B * L * DIM * 2, B * DIM * 2, 1280 * 9.6e9
    assert rows / internal >= B * (L - 1) * DIM / (1280 * 16 * 300e6)
    assert list(r.op_table["unit"]) == ["pim"]
    assert r.traffic_bytes["dram"] == IDS + OFFS + out
    assert r.latency_s == pytest.approx(5e-6 + 500e-9 + (IDS + OFFS + out) / (3.35e12 * 0.70)
                                        + rows / internal, rel=1e-12, abs=0)


def test_an_fp32_table_on_hbm_pim_scales_the_result_not_the_int64_ids_and_offsets():
    """hbm-pim works in fp16: an fp32 bag's rows lie in the banks and its B x dim result crosses
    the bus at 2 B an element; its int64 ids and offsets stay 8 B (were halved: 672 B)."""
    arch = load_architecture("hbm-pim", overrides={"pim.claims": ["weights", "embedding"]})
    r = simulate(arch, _bag("sum", torch.float32))
    rows, out, internal = B * L * DIM * 2, B * DIM * 2, 1280 * 9.6e9
    assert (IDS, OFFS, out) == (256, 64, 512)
    assert list(r.op_table["unit"]) == ["pim"]
    assert r.traffic_bytes["dram"] == IDS + OFFS + out == 832
    assert r.facts["pim_bank_bytes"] == rows
    assert r.latency_s == pytest.approx(5e-6 + 500e-9 + (IDS + OFFS + out) / (3.35e12 * 0.70)
                                        + rows / internal, rel=1e-12, abs=0)


def test_without_the_claim_the_bags_stay_on_the_host_and_the_note_says_so():
    r = simulate(_round_pim(["weights"]), _bag("sum", linear=True))
    assert set(r.op_table["unit"]) == {"processor"}
    # the matmul's rows (B = 8 > max_rows 1) and the bag, in one note; the max_rows verdict
    # (a note of its own, at the run's rates) weighs raising it
    note = [n for n in r.claim_notes if n.startswith("pim took")]
    assert note == ["pim took 0 of 1 matmuls it could run: 1 has more activation rows (up to 8) "
                    "than pim.max_rows (1) (the pim.max_rows note weighs raising it); 1 "
                    "gather-reduction(s) (embedding bags) stay on the host: add embedding to "
                    "pim.claims to pool them in the banks"]


def test_a_max_bag_is_left_with_a_note():
    r = simulate(_round_pim(["embedding"]), _bag("max"))
    assert list(r.op_table["unit"]) == ["processor"]
    assert r.claim_notes == ["pim took 0 of 1 gather-reductions (embedding bags); 1 stay on the "
                             "host: 1 pool by max (it pools by sum or mean)"]


def test_the_cli_takes_the_claim(tmp_path):
    from click.testing import CliRunner
    from cimsim.cli import main
    from cimsim.workload import save_workload
    wl = tmp_path / "bag.json"
    save_workload(_bag("sum", torch.float16), wl)
    out = CliRunner().invoke(main, ["run", "hbm-pim", str(wl), "--set", "pim.claims=[embedding]",
                                    "--placement"])
    assert out.exit_code == 0, out.output
    assert "pim" in out.output.split("_embedding_bag")[1].splitlines()[0]


def _repeated_bag(ids):
    """An fp32 EmbeddingBag(1000, 32) of B bags of L ids ``ids`` (B x L of them)."""
    bag = torch.nn.EmbeddingBag(ROWS, DIM, mode="sum").eval()
    return cimsim.trace(bag, (ids, torch.arange(0, B * L, L)), name="bag-repeats")


def test_the_units_read_a_row_for_every_lookup_repeats_included():
    # find-N 2: the units have no cache: 32 lookups of one row (id 0) are 32 row reads, 32 x 128 B
    # in the banks, as 32 distinct rows are (was 128 B: the distinct row once, the host's cache
    # rule). Bank energy 4,096 B x 8 x 0.5 pJ; the adds as in the distinct case
    arch = _round_pim(["embedding"])
    for ids in (torch.zeros(B * L, dtype=torch.long), torch.arange(0, 10 * B * L, 10)):
        r = simulate(arch, _repeated_bag(ids))
        assert list(r.op_table["unit"]) == ["pim"]
        assert r.facts["pim_bank_bytes"] == B * L * DIM * 4
        assert r.energy_breakdown_j["pim_compute"] == pytest.approx(
            B * (L - 1) * DIM * pJ + B * L * DIM * 4 * 8 * 0.5 * pJ, rel=1e-12, abs=0)


def test_a_streaming_kernel_the_units_cannot_claim_says_why_it_stays_on_the_host():
    # find-N 4: PrIM's VA (c = a + b) is no matmul and no bag: the host runs it and, the units
    # having taken nothing, the run says why; a GEMV they take gets no such note
    class VA(torch.nn.Module):
        def forward(self, a, b):
            return a + b

    r = simulate(load_architecture("hbm-pim"), cimsim.trace(VA().eval(), (torch.randn(1024), torch.randn(1024))))
    assert list(r.op_table["unit"]) != ["pim"]
    assert any(n.startswith("pim took 0 of 1 elementwise / reduction / copy op(s): no pim.claims entry "
                            "names them") for n in r.notes)
    gemv = simulate(load_architecture("hbm-pim"), cimsim.trace(torch.nn.Linear(256, 256, bias=False).eval(),
                                                               (torch.randn(1, 256),)))
    assert not any("elementwise / reduction / copy" in n for n in gemv.notes)


class _SlicedBag(torch.nn.Module):
    """A sum bag of a view of a (rows, 32) fp32 parameter: ``sl`` its row or column slice (a
    TorchRec-style fused table holds several tables in one storage), ``pad`` a padding_idx."""

    def __init__(self, rows, sl, pad=None):
        super().__init__()
        self.W, self.sl, self.pad = torch.nn.Parameter(torch.randn(rows, DIM)), sl, pad

    def forward(self, idx, offs):
        return torch.nn.functional.embedding_bag(idx, self.W[self.sl], offs, mode="sum",
                                                 padding_idx=self.pad)


@pytest.mark.parametrize("ids", [torch.arange(0, 10 * B * L, 10), torch.zeros(B * L, dtype=torch.long)])
@pytest.mark.parametrize("rows, sl, row_bytes", [
    (10_000, slice(9000, None), DIM * 4),  # rows 9,000-9,999 of a 1.28 MB storage: 128 B rows
    (ROWS, (slice(None), slice(0, 8)), 8 * 4)])  # W[:, :8]: 32 B of each 128 B row
def test_a_bag_of_a_sliced_table_reads_the_views_rows_in_the_banks(ids, rows, sl, row_bytes):
    # review 21 D 1: the units read the row of the view for every lookup, 32 x row_bytes: 4,096 B
    # (row slice) and 1,024 B (column slice), repeats included; they were charged the storage
    # over the view's rows, 1,280,000 / 1,000 = 1,280 B and 128,000 / 1,000 = 128 B a lookup
    w = cimsim.trace(_SlicedBag(rows, sl).eval(), (ids, torch.arange(0, B * L, L)), name="sliced")
    r = simulate(_round_pim(["embedding"]), w)
    assert list(r.op_table["unit"]) == ["pim"]
    assert r.facts["pim_bank_bytes"] == B * L * row_bytes


def test_padding_idx_lookups_read_no_row():
    # review 21 D 5: torch leaves a padding_idx entry out of its bag and reads no row. Half the
    # 32 ids are the padding id 0: 16 lookups of 128 B, 2,048 B in the banks (was 32, 4,096 B);
    # all 32 padding: no row read, no table, no lookup (was 4,096 B)
    ids = torch.where(torch.arange(B * L) % 2 == 0, 0, torch.arange(B * L) * 10)
    offs = torch.arange(0, B * L, L)
    w = cimsim.trace(_SlicedBag(ROWS, slice(None), pad=0).eval(), (ids, offs), name="pad")
    (op,) = w.ops
    assert (op.tags["lookups"], op.tags["rows_read"]) == (B * L // 2, B * L // 2)
    r = simulate(_round_pim(["embedding"]), w)
    assert r.facts["pim_bank_bytes"] == B * L // 2 * DIM * 4
    none = cimsim.trace(_SlicedBag(ROWS, slice(None), pad=0).eval(),
                        (torch.zeros(B * L, dtype=torch.long), offs), name="pad-all")
    (op,) = none.ops
    assert op.tags["lookups"] == 0 and "random_read_bytes" not in op.tags
    assert sum(none.tensors[t].nbytes for t in op.inputs) == IDS + OFFS  # the ids and offsets only


def test_a_large_streaming_kernel_beside_a_gemv_the_units_took_is_noted():
    # review 21 D 4: a + b over 2**18 fp32 (12 x 2**18 = 3,145,728 B read and written) next to a
    # 64 x 64 fp32 GEMV the units take (16,384 + 256 + 256 = 16,896 B): the add stays on the host
    # and moves 99.5 % of the bytes, more than the units' op: the note says so (it said nothing
    # once the units took an op). A GEMV alone, or with a small add, gets no such note
    from cimsim.units import si

    class Mixed(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.W = torch.nn.Parameter(torch.randn(64, 64))

        def forward(self, a, b, x):
            return a + b, self.W @ x

    def notes(n):
        w = cimsim.trace(Mixed().eval(), (torch.randn(n), torch.randn(n), torch.randn(64)), batch=1)
        r = simulate(load_architecture("hbm-pim"), w)
        assert sorted(r.op_table["unit"]) == ["pim", "processor"]
        return [x for x in r.notes if "elementwise / reduction / copy" in x]

    n, gemv = 2 ** 18, 64 * 64 * 4 + 2 * 64 * 4
    (note,) = notes(n)
    assert note.startswith("pim took 0 of 1 elementwise / reduction / copy op(s): no pim.claims entry")
    assert f"moving {si(12 * n, 'B')} ({100 * 12 * n / (12 * n + gemv):.3g} % of the bytes" in note
    assert notes(1024) == []  # 12,288 B of add: less than the GEMV's 16,896 B
