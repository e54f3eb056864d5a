"""The run's notes on row gathers (cost/gathers.py): random accesses that a ``type: fixed``
level streams, and repeated ids of a table larger than the cache charged as hits.

Golden values are closed-form arithmetic on the round-number fixture of conftest.py (SRAM
1 MiB in front of a ``type: fixed`` DRAM)."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

import cimsim  # noqa: E402
from cimsim import simulate  # noqa: E402

from conftest import ROUND_ARCH, make_arch  # noqa: E402

pytestmark = pytest.mark.torch


def _bag(rows, ids, dim=32, dtype=torch.float32):
    bag = torch.nn.EmbeddingBag(rows, dim, mode="sum").to(dtype).eval()  # 32 fp32: 128 B rows
    return cimsim.trace(bag, (ids, torch.arange(0, len(ids), 20)), name="bag")


#: 40 ids, no two adjacent: each row its own random access (adjacent rows are one access)
SPREAD = torch.arange(0, 80, 2)


def _gather_notes(r):
    return [n for n in r.notes if "access_bytes" in n]


def test_random_rows_on_a_fixed_dram_get_a_note_and_not_on_a_dram_level():
    # the round fixture's technology (test-dram) names no preset: rows under 256 B are noted
    r = simulate(make_arch(), _bag(1000, SPREAD))
    assert ("1 op reads random 64 B lines in accesses of 128 B on average (tag access_bytes: runs "
            "of adjacent lines); memory.dram is type: fixed and "
            "streams them at its one rate; as type: dram random accesses under 256 B get less than "
            "the streaming rate (each opens a DRAM row; how much less depends on the standard): "
            "use type: dram for the access pattern (set standard: to a preset and channels: to "
            "its data buses)") in r.notes
    assert not _gather_notes(simulate(make_arch(), _bag(1000, SPREAD, dim=64)))  # 256 B
    dram = {k: v for k, v in ROUND_ARCH["memory"]["dram"].items() if k not in ("bandwidth", "latency", "technology")}
    modelled = make_arch(memory={"sram": ROUND_ARCH["memory"]["sram"], "dram": {
        **dram, "type": "dram", "standard": "DDR5"}})
    assert not _gather_notes(simulate(modelled, _bag(1000, SPREAD)))


def _ddr5_fixed():
    return make_arch(memory={"sram": ROUND_ARCH["memory"]["sram"], "dram": {
        **ROUND_ARCH["memory"]["dram"], "technology": "DDR5-4800"}})


def test_a_ddr5_fixed_level_notes_only_rows_a_ddr5_dram_level_reads_below_its_streaming_rate():
    from cimsim.hw.base import STREAM, Pattern

    dram = {k: v for k, v in ROUND_ARCH["memory"]["dram"].items() if k not in ("bandwidth", "latency", "technology")}
    ddr5 = make_arch(memory={"sram": ROUND_ARCH["memory"]["sram"], "dram": {
        **dram, "type": "dram", "standard": "DDR5"}}).hardware.resource("dram")
    stream = ddr5.bytes_per_s(STREAM)
    # DDR5 (64 B bursts): a random 128 B access already runs at the streaming rate, 64 B not
    assert ddr5.bytes_per_s(Pattern.random_access(128)) == pytest.approx(stream, rel=1e-12, abs=0)
    share = ddr5.bytes_per_s(Pattern.random_access(64)) / stream
    assert share < 1
    notes = _gather_notes(simulate(_ddr5_fixed(), _bag(1000, SPREAD, dim=16)))  # 64 B
    assert notes == [_ddr5_note(64, share)]
    # 128 B and an LLM's 3,072 B rows (GPT-2's 768 fp32): the pattern changes nothing, no note
    for dim in (32, 768):
        assert not _gather_notes(simulate(_ddr5_fixed(), _bag(1000, SPREAD, dim=dim)))


def _ddr5_note(size, share):
    return (f"1 op reads random 64 B lines in accesses of {size} B on average (tag access_bytes: "
            f"runs of adjacent lines); memory.dram is type: fixed and streams them at its one "
            f"rate; as type: dram (preset DDR5) random accesses of {size} B get {share:.0%} of "
            f"the streaming rate, accesses of 128 B or more all of it: use type: dram for the "
            f"access pattern{DDR5_FIELDS}")


#: the fields the note names (find-N 3): under type: dram, channels counts 32-bit DDR5
#: sub-channels of 4,800 MT/s x 4 B = 19.2 GB/s; the fixture's 10 GB/s is round(10 / 19.2) = 1
#: of them, and its channels: 2 would give 38.4 GB/s
DDR5_FIELDS = (" (--set memory.dram.type=dram --set memory.dram.bandwidth=null --set "
               "memory.dram.standard=DDR5 --set memory.dram.channels=1: there channels counts "
               "32-bit DDR5 data buses at 4800 MT/s, 19.2 GB/s each, and 1 give 19.2 GB/s, this "
               "level's bandwidth 10 GB/s; its channels: 2 would give 38.4 GB/s)")


def test_the_advice_on_cpu_ddr5_names_sixteen_sub_channels_not_its_eight_dimm_channels():
    # find-N 3: cpu-ddr5's channels: 8 are 64-bit DIMM channels, 307.2 GB/s; kept under type:
    # dram they are 8 DDR5 sub-channels, 8 x 19.2 = 153.6 GB/s, half. The note names 16, and
    # following it gives the level its 307.2 GB/s peak back
    from cimsim import load_architecture
    from cimsim.config import apply_overrides, architecture_from_dict, read_yaml
    from cimsim import bundled

    arch = load_architecture("cpu-ddr5")
    (note,) = _gather_notes(simulate(arch, _bag(100_000, SPREAD * 100, dim=16)))
    assert note.endswith("use type: dram for the access pattern (--set memory.dram.type=dram --set "
                         "memory.dram.bandwidth=null --set memory.dram.standard=DDR5 --set "
                         "memory.dram.channels=16: there channels counts 32-bit DDR5 data buses at "
                         "4800 MT/s, 19.2 GB/s each, and 16 give 307.2 GB/s, this level's bandwidth "
                         "307.2 GB/s; its channels: 8 would give 153.6 GB/s)")
    d = apply_overrides(read_yaml(bundled.resolve_config("cpu-ddr5")), {
        "memory.dram.type": "dram", "memory.dram.bandwidth": None, "memory.dram.standard": "DDR5",
        "memory.dram.channels": 16})
    peak = architecture_from_dict(d).hardware.resource("dram").peak_bytes_per_s()
    assert peak == pytest.approx(16 * 4800e6 * 4, rel=1e-12, abs=0)


def test_the_note_gives_a_mean_access_not_a_row_and_the_share_of_its_own_lines():
    """Review 19 D 6: 64 B rows 10, 11, 100, 500, 700: runs of 2, 1, 1, 1 lines, 80 B on average.
    The note said "random 80 B rows" and 80 B's rate rounded up to 2 bursts; each access
    takes its own lines' time: 3 x 64 B at the 64 B share s, 128 B at the full rate, so
    80 / (3/4 x 64 / s + 1/4 x 128) of the streaming rate."""
    from cimsim.hw.base import STREAM, Pattern

    dram = {k: v for k, v in ROUND_ARCH["memory"]["dram"].items() if k not in ("bandwidth", "latency", "technology")}
    ddr5 = make_arch(memory={"sram": ROUND_ARCH["memory"]["sram"], "dram": {
        **dram, "type": "dram", "standard": "DDR5"}}).hardware.resource("dram")
    s64 = ddr5.bytes_per_s(Pattern.random_access(64)) / ddr5.bytes_per_s(STREAM)
    ids = torch.tensor([10, 11, 100, 500, 700])
    notes = _gather_notes(simulate(_ddr5_fixed(), _bag(1000, ids, dim=16)))
    assert notes == [_ddr5_note(80, 80 / (0.75 * 64 / s64 + 0.25 * 128))]


def test_a_bag_a_pim_pools_in_its_banks_gets_no_note():
    from cimsim import load_architecture

    w = _bag(1000, SPREAD, dtype=torch.float16)  # 64 B fp16 rows: HBM3 reads 96 B at full rate
    on_host = simulate(load_architecture("hbm-pim"), w)
    assert list(on_host.op_table["unit"]) == ["processor"] and len(_gather_notes(on_host)) == 1
    in_banks = simulate(load_architecture("hbm-pim", overrides={"pim.claims": ["weights", "embedding"]}), w)
    assert list(in_banks.op_table["unit"]) == ["pim"]
    assert not _gather_notes(in_banks)  # only ids, offsets and the result cross memory.dram


def test_repeated_ids_of_a_table_past_the_cache_are_noted_with_their_uniform_miss_bytes():
    # 10,000 rows x 128 B = 1.28 MB > the 1 MiB SRAM; ids 0..99 four times: 300 repeats
    r = simulate(make_arch(), _bag(10_000, torch.arange(100).repeat(4)))
    extra = 300 * (1 - 2**20 / 1.28e6) * 128  # 6,942.72 B
    note = [n for n in r.notes if "repeat" in n]
    assert note == [f"1 gather reads a table larger than memory.sram (1.049 MB), up to 1.28 MB, "
                    f"and repeat 300 ids: each distinct row is read once, the repeats charged as "
                    f"cache hits; with uniform ids about 1 - C/T of them would miss (C the cache, "
                    f"T the table): ~{extra / 1e3:.4g} kB more from memory.dram, not charged (an "
                    f"approximation)"]
    # a table that fits (1,000 rows = 128 kB), or no repeats: nothing to say
    assert not [n for n in simulate(make_arch(), _bag(1000, torch.arange(100).repeat(4))).notes
                if "repeat" in n]
    assert not [n for n in simulate(make_arch(), _bag(10_000, torch.arange(400))).notes
                if "repeat" in n]
