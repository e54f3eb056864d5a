"""PIM on what lies in its banks (a PIM architect's review, 2026-12-05): the KV cache a separate
device holds is read over its link by host ops too; only a weightless matmul's second operand
lies in the banks; a link's latency is paid by the host's appends over it; bank-bound ops are
bound by memory (the banks); units only where the operands lie.

Round-number fixtures of conftest.py (2 DRAM channels, DRAM 10 GB/s + 100 ns, SRAM 1 MiB);
golden values are arithmetic written out here.
"""

from __future__ import annotations

import copy

import pytest

from cimsim import simulate
from cimsim.config import architecture_from_dict
from cimsim.errors import ConfigError
from cimsim.workload import Op, Tensor, Workload

from conftest import ROUND_ARCH, gemv_workload, make_arch

pJ = 1e-12
PIM = {"units_per_channel": 4, "clock": "1 GHz", "macs_per_cycle": 2,
       "internal_bandwidth": "2 GB/s", "energy_per_mac": "1 pJ", "energy_per_bit": "0.5 pJ/bit",
       "static_power": "0 W", "claims": ["kv_cache"]}


def separate(max_rows: int):
    d = copy.deepcopy(ROUND_ARCH)
    d["links"] = {"pcie": {"bandwidth": "1 GB/s", "latency": "1 us", "energy_per_bit": "0 pJ/bit"}}
    d["pim"] = dict(PIM, sharing="separate", link="pcie", max_rows=max_rows)
    return architecture_from_dict(d)


def attention(rows: int) -> Workload:
    """proj: x (rows x 64, a model input) @ wq -> q, appending 256 B to the cache (a KV row);
    scores: q @ k, k (64 x 256 fp32 = 65,536 B) a model input: the cache."""
    t = [Tensor("x", (rows, 64), "fp32", "input"), Tensor("wq", (64, 64), "fp32", "weight"),
         Tensor("q", (rows, 64), "fp32", "activation"), Tensor("k", (64, 256), "fp32", "input"),
         Tensor("s", (rows, 256), "fp32", "activation")]
    ops = [Op("proj", "matmul", ("x", "wq"), ("q",), m=rows, k=64, n=64, weight="wq",
              tags={"store_bytes": 256}),
           Op("scores", "matmul", ("q", "k"), ("s",), m=rows, k=64, n=256)]
    return Workload("attention", t, ops)


def test_a_host_op_reads_the_cache_a_separate_device_holds_over_its_link():
    # pim takes no scores op of 4 rows (max_rows 1): the host runs it, and the cache k is in
    # the PIM device, not in the host's DRAM: 65,536 B over pcie, q (1 KiB) and s (4 KiB) stay
    # in the host's SRAM; the op pays pcie's 1 us
    r = simulate(separate(max_rows=1), attention(4), keep_ops=True)
    ops = r.op_table.set_index("op")
    assert ops.loc["scores", "unit"] == "processor"
    assert ops.loc["scores", "pcie_bytes"] == 64 * 256 * 4
    assert ops.loc["scores", "dram_bytes"] == 0
    assert ops.loc["scores", "latency_s"] == pytest.approx(1e-6, rel=1e-12, abs=0)
    # proj's append crosses pcie (256 B) and pays its 1 us, not DRAM's 100 ns alone
    assert ops.loc["proj", "pcie_bytes"] == 256
    assert ops.loc["proj", "latency_s"] == pytest.approx(1e-6, rel=1e-12, abs=0)
    # one row: the device computes on its cache, only q in and s out cross pcie
    r1 = simulate(separate(max_rows=1), attention(1), keep_ops=True).op_table.set_index("op")
    assert r1.loc["scores", "unit"] == "pim"
    assert r1.loc["scores", "pcie_bytes"] == 64 * 4 + 256 * 4


def test_only_the_second_operand_of_a_weightless_matmul_lies_in_the_banks():
    # y = x @ B, both model inputs (x: 64 fp32 = 256 B; B: 64 x 256 fp32 = 65,536 B): B is read
    # in the banks; x and y (1 KiB) cross the bus, as a weight's GEMV moves its vector
    w = Workload("xb", [Tensor("x", (1, 64), "fp32", "input"), Tensor("B", (64, 256), "fp32", "input"),
                        Tensor("y", (1, 256), "fp32", "activation")],
                 [Op("mm", "matmul", ("x", "B"), ("y",), m=1, k=64, n=256)])
    r = simulate(make_arch(pim=dict(PIM)), w, keep_ops=True)
    assert r.op_table["unit"].tolist() == ["pim"]
    assert r.traffic_bytes["dram"] == 256 + 1024
    macs = 64 * 256
    assert r.energy_breakdown_j["pim_compute"] == pytest.approx(
        macs * pJ + 65536 * 8 * 0.5 * pJ, rel=1e-12, abs=0)


def test_a_bank_bound_op_is_bound_by_the_banks():
    # 8 units x 2 GB/s = 16 GB/s in the banks; 4 MiB of weights take 262.1 us, the MACs
    # (16 GMAC/s) 65.5 us: memory, the banks; their utilization is that time over the run
    arch = make_arch(pim=dict(PIM, claims=["weights"]))
    r = simulate(arch, gemv_workload(1024, 1024))
    banks = 4 * 1024 * 1024 / 16e9
    assert r.bound_label == "memory (pim_banks)"
    assert r.utilization["pim_banks"] == pytest.approx(banks / r.latency_s, rel=1e-12, abs=0)
    assert r.utilization["pim_mac"] == pytest.approx(1024 * 1024 / 16e9 / r.latency_s, rel=1e-12,
                                                     abs=0)
    # MAC-bound (1 MAC a cycle per unit, 8 GMAC/s, banks at 1 TB/s): compute
    fast = make_arch(pim=dict(PIM, claims=["weights"], macs_per_cycle=1,
                              internal_bandwidth="1 TB/s"))
    assert simulate(fast, gemv_workload(1024, 1024)).bound == "compute"


@pytest.mark.parametrize("claims", [["weights"], ["kv_cache"]])
def test_units_outside_the_backing_store_are_refused(claims):
    # the weights and the model inputs lie in the backing store (hierarchy rules 1 and 3): units
    # in SRAM would compute on bytes that are not there
    with pytest.raises(ConfigError, match=r"pim.memory: .* needs the units in the backing store "
                                          r"'dram'; they are in 'sram'"):
        make_arch(pim=dict(PIM, claims=claims, memory="sram"))


def test_a_pim_that_runs_nothing_has_a_zero_banks_part_everywhere():
    """A declared compute part has its column in every result (`path_pim_banks_s`), and the
    path table its per-op column: the report's Gantt strip read `pim_banks_s` where the PIM ran
    no op and the CLI ended in a KeyError (found redrawing docs/report.png, 2026-12-05)."""
    from cimsim.plot.run_figures import critical_path_gantt
    from cimsim.workload import Op, Tensor, Workload

    w = Workload("vec", [Tensor("x", (64,), "fp32", "input"), Tensor("y", (64,), "fp32", "activation")],
                 [Op("relu", "elementwise", ("x",), ("y",), fn="relu")])
    r = simulate(make_arch(pim=dict(PIM, claims=["weights"])), w, keep_ops=True)
    assert r.ops_per_unit["pim"] == 0
    assert r.path_time_s["pim_banks"] == 0.0 and r.record()["path_pim_banks_s"] == 0.0
    assert (r.path_table["pim_banks_s"] == 0.0).all()
    critical_path_gantt(r)
