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


def _bag(rows, ids):
    bag = torch.nn.EmbeddingBag(rows, 32, mode="sum").eval()  # 32 fp32: 128 B rows
    return cimsim.trace(bag, (ids, torch.arange(0, len(ids), 20)), name="bag")


def test_random_rows_on_a_fixed_dram_get_a_note_and_not_on_a_dram_level():
    r = simulate(make_arch(), _bag(1000, torch.arange(40)))
    assert ("1 op reads random 128 B rows (tag access_bytes); memory.dram is type: fixed and "
            "streams them (its one rate): use type: dram for the access pattern") in r.notes
    dram = {k: v for k, v in ROUND_ARCH["memory"]["dram"].items() if k not in ("bandwidth", "latency", "technology")}
    modelled = make_arch(memory={"sram": ROUND_ARCH["memory"]["sram"], "dram": {
        **dram, "type": "dram", "standard": "DDR5"}})
    assert not [n for n in simulate(modelled, _bag(1000, torch.arange(40))).notes
                if "access_bytes" in n]


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
