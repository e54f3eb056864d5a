"""The cost cache: a placement and cost table serve every run whose architecture differs only in
rate fields (memory-level and link bandwidths, declared on the fields), and no other.

Results through the cache must be bit-identical to results without it.
"""

from __future__ import annotations

import pytest

from cimsim import bundled, simulate
from cimsim.config import apply_overrides, architecture_from_dict, read_yaml
from cimsim.cost.cache import CostCache, rate_fields
from cimsim.hw import FixedLevel, FixedLink, link_types, memory_types
from cimsim.hw.registry import types
from cimsim.workload.generators import lstm

#: points that differ from the bundled sram-cim config only in a rate field
RATE_POINTS = (
    {"memory.dram.bandwidth": "50 GB/s"},
    {"memory.dram.sustained_fraction": 0.5},
    {"memory.sram.bandwidth": "2 TB/s"},
    {"links.interconnect.bandwidth": "1 TB/s"},
    {"links.interconnect.sustained_fraction": 0.25},
    {"memory.dram.bandwidth": "1 TB/s", "links.interconnect.bandwidth": "8 GB/s"},
)
#: points that differ in a field the components or the placement read
OTHER_POINTS = (
    {"cim.adc.energy_per_conversion": "0.5 pJ"},  # a CIM energy
    {"processor.clock": "3 GHz"},  # a processor clock
    {"cim.buffer.bandwidth": "2 TB/s"},  # named bandwidth, but the CIM component reads it
    {"memory.sram.capacity": "1 KiB"},  # a memory level's non-rate field
    {"links.interconnect.latency": "20 ns"},  # a link's non-rate field
    {"cim.arrays": 9000},
)


@pytest.fixture(scope="module")
def data():
    return read_yaml(bundled.resolve_config("sram-cim"))


@pytest.fixture(scope="module")
def wl():
    return lstm(64, 64, 2, steps=4)


def _arch(data, over):
    return architecture_from_dict(apply_overrides(data, over))


def _same(a, b):
    """Bit-identical results: every field of the record, the per-op and the path tables."""
    assert a.to_json() == b.to_json()
    if a.op_table is not None or b.op_table is not None:
        assert a.op_table.equals(b.op_table)
        assert a.path_table.equals(b.path_table)


def test_rates_are_declared_on_the_fields():
    # the cache reads the declaration; this names what it must find today
    assert rate_fields(FixedLevel) == ("bandwidth", "sustained_fraction")
    assert rate_fields(FixedLink) == ("bandwidth", "sustained_fraction")
    # every memory-level and link type declares at least its bandwidth a rate
    for cls in (*memory_types().values(), *link_types().values()):
        assert rate_fields(cls.Config), cls.type_name
    # components read every field of theirs: none may be a rate
    for name, cls in types().items():
        assert rate_fields(cls.Config) == (), name


@pytest.mark.parametrize("engine", ["des", "analytic"])
def test_reused_across_rate_fields_only_and_bit_identical(data, wl, engine):
    cache = CostCache(keep=len(RATE_POINTS) + len(OTHER_POINTS) + 1)
    base = _arch(data, {})
    _same(simulate(base, wl, engine=engine, costs=cache), simulate(base, wl, engine=engine))
    assert (cache.hits, cache.misses) == (0, 1)
    for over in RATE_POINTS:
        arch = _arch(data, over)
        hits = cache.hits
        cached = simulate(arch, wl, engine=engine, costs=cache)
        assert cache.hits == hits + 1, f"{over}: a rate-only change must reuse the costs"
        _same(cached, simulate(arch, wl, engine=engine))
    assert len(cache) == 1
    for over in OTHER_POINTS:
        arch = _arch(data, over)
        misses = cache.misses
        cached = simulate(arch, wl, engine=engine, costs=cache)
        assert cache.misses == misses + 1, f"{over}: must not reuse the costs of another architecture"
        _same(cached, simulate(arch, wl, engine=engine))
    assert len(cache) == 1 + len(OTHER_POINTS)


def test_a_rate_change_changes_the_result_it_reuses_costs_for(data, wl):
    # the reuse must not freeze the rates: a slower DRAM is still slower through the cache
    cache = CostCache()
    fast = simulate(_arch(data, {}), wl, engine="analytic", keep_ops=False, costs=cache)
    slow = simulate(_arch(data, {"memory.dram.bandwidth": "1 GB/s"}), wl, engine="analytic",
                    keep_ops=False, costs=cache)
    assert cache.hits == 1
    assert slow.latency_s > fast.latency_s


def test_another_workload_object_is_not_reused(data):
    cache = CostCache()
    arch = _arch(data, {})
    simulate(arch, lstm(64, 64, 2, steps=4), keep_ops=False, costs=cache)
    simulate(arch, lstm(64, 64, 2, steps=8), keep_ops=False, costs=cache)
    assert (cache.hits, cache.misses) == (0, 2)


def test_least_recently_used_entry_goes_first(data, wl):
    cache = CostCache(keep=2)
    a, b, c = (_arch(data, {"cim.arrays": n}) for n in (9000, 9001, 9002))
    for arch in (a, b, a, c):  # a is used again before c comes, so b goes
        simulate(arch, wl, engine="analytic", keep_ops=False, costs=cache)
    assert (cache.hits, cache.misses) == (1, 3)
    simulate(a, wl, engine="analytic", keep_ops=False, costs=cache)
    assert cache.hits == 2
    simulate(b, wl, engine="analytic", keep_ops=False, costs=cache)
    assert cache.misses == 4
