"""``cim.op_overhead``: the host's dispatch of one CIM op, in the op's latency like
``processor``, ``pim`` and ``tpu`` ``op_overhead`` (default 0 s: the bundled configs unchanged)."""

from __future__ import annotations

import pytest

from cimsim import simulate
from cimsim.config import load_architecture

from conftest import gemv_workload


def _sram_cim_gemv_s(k: int, n: int) -> float:
    """One int8 GEMV (1 x k by k x n, k <= 256, n * 8 <= 256 x arrays) on bundled sram-cim, in
    closed form from configs/sram-cim.yaml: serial (input, then compute), then the latencies."""
    slices = 8 / 1  # input_bits 8, dac_bits 1
    # a digital column outputs one adder-tree sum a cycle (no stated sample rate): the 2.4881 ns read
    t_slice = 2.4881e-9
    mvm = slices * t_slice
    assert (k + n) / 1e12 < mvm  # the 1 TB/s buffer passes in/outputs faster than the MVM
    link = (k + n) / 32e9  # int8 input in, int8 output out over the 32 GB/s interconnect
    dram = k / (307.2e9 * 0.70)  # x, a model input: the host reads it from DDR5 (sustained 0.7)
    return max(link, dram) + mvm + 10e-9 + 110e-9  # + link latency + DRAM latency


@pytest.mark.parametrize("engine", ["analytic", "des"])
@pytest.mark.parametrize("overhead_s", [0.0, 3e-6])
def test_a_cim_op_pays_its_dispatch_once_in_both_engines(engine, overhead_s):
    k, n = 256, 16
    arch = load_architecture("sram-cim", {"cim.op_overhead": f"{overhead_s * 1e6} us"})
    r = simulate(arch, gemv_workload(k, n, dtype="int8"), engine=engine)
    assert r.ops_per_unit == {"processor": 0, "cim": 1}
    assert r.latency_s == pytest.approx(_sram_cim_gemv_s(k, n) + overhead_s, rel=1e-12, abs=0)
    # the dispatch is fixed latency: the critical path's overhead part, beside the two accesses'
    assert r.critical_path_time_s["overhead"] == pytest.approx(overhead_s + 120e-9, rel=1e-12, abs=0)


def test_bundled_cim_configs_dispatch_for_free():
    for name in ("sram-cim", "rram-cim", "sram-cim-derived", "rram-cim-derived"):
        cim = next(c for c in load_architecture(name).instances if c.type_name == "cim")
        assert cim.config.op_overhead == 0.0, name


def test_a_negative_cim_op_overhead_is_refused():
    with pytest.raises(Exception, match=r"cim\.op_overhead.*>= 0"):
        load_architecture("sram-cim", {"cim.op_overhead": "-1 us"})


def test_the_free_dispatch_note_gives_the_latency_at_the_hosts_op_overhead():
    """Review 16-2 #7: the note on ``cim.op_overhead`` left at its 0 s default gives the latency
    were each CIM op to pay the host's stated ``processor.op_overhead`` (sram-cim: 2 us): one
    GEMV, on the critical path, is the closed form + 2 us, which a run with ``cim.op_overhead:
    2 us`` gives too; the latency warning names the unset field beside the overhead part's."""
    from cimsim.units import si

    k, n = 256, 16
    base = _sram_cim_gemv_s(k, n)
    r = simulate(load_architecture("sram-cim"), gemv_workload(k, n, dtype="int8"))
    said = [x for x in r.notes if "dispatched at no cost" in x]
    assert len(said) == 1, r.notes
    want = (f"at processor.op_overhead (2 µs) each, its 1 op(s) on the critical path would make "
            f"the latency about {si(base + 2e-6, 's')}, not {si(base, 's')} "
            f"(+{100 * 2e-6 / base:.1f} %; at most {si(base + 2e-6, 's')} were all 1 serial)")
    assert want in said[0] and " us" not in said[0]
    paid = simulate(load_architecture("sram-cim", {"cim.op_overhead": "2 us"}),
                    gemv_workload(k, n, dtype="int8"))
    assert paid.latency_s == pytest.approx(base + 2e-6, rel=1e-12, abs=0)
    assert "unset cim.op_overhead" in r.latency_placeholder_fields["overhead"]
    assert not [x for x in paid.notes if "dispatched at no cost" in x]
    assert "unset cim.op_overhead" not in paid.latency_placeholder_fields.get("overhead", [])
