"""Processing in memory (hw/pim.py): bandwidth- and compute-bound GEMV, the max_rows limit
that sends a GEMM back to the processor, and its config defaults.

Golden values are arithmetic on the round-number fixtures of conftest.py (2 DRAM channels,
DRAM 10 GB/s + 100 ns, processor 1 W static), written out here, never copied from the code's
output.
"""

from __future__ import annotations

import pytest

from cimsim import simulate
from cimsim.mapping.placement import place

from conftest import gemv_workload, make_arch

pJ = 1e-12


# --------------------------------------------------------------------------- PIM goldens
def _pim_arch(per_unit_bw: str, macs_per_cycle: float = 2, max_rows: int = 1):
    # 2 channels (ROUND_ARCH) x 4 units x 2 MAC/cycle x 1 GHz = 16 GMAC/s
    return make_arch(name="round-pim", pim={
        "units_per_channel": 4, "clock": "1 GHz", "macs_per_cycle": macs_per_cycle,
        "internal_bandwidth": per_unit_bw, "energy_per_mac": "1 pJ", "energy_per_bit": "0.5 pJ/bit",
        "max_rows": max_rows, "static_power": "2 W",
    })


def test_pim_gemv_bandwidth_bound():
    arch = _pim_arch("2 GB/s")  # 8 units x 2 GB/s = 16 GB/s inside the banks
    w = gemv_workload(1024, 1024)
    pl = place(w, arch)
    assert pl.unit_names.tolist() == ["pim"]
    r = simulate(arch, w)
    weight_bytes = 4 * 1024 * 1024
    macs = 1024 * 1024
    compute = max(macs / 16e9, weight_bytes / 16e9)
    assert compute == weight_bytes / 16e9
    # one row: the input vector in, the banks compute, the output out, one after the other
    # (serial), the 2 x 4 KiB of I/O over the 10 GB/s bus
    assert r.latency_s == pytest.approx(2 * 4096 / 10e9 + compute + 100e-9, rel=1e-12, abs=0)
    assert r.traffic_bytes["dram"] == 2 * 4096  # input and output vectors over the external bus
    assert r.energy_breakdown_j["pim_compute"] == pytest.approx(macs * 1 * pJ + weight_bytes * 8 * 0.5 * pJ,
                                                        rel=1e-12, abs=0)
    assert r.energy_breakdown_j["dram"] == pytest.approx(2 * 4096 * 8 * 10 * pJ, rel=1e-12, abs=0)
    assert r.energy_breakdown_j["static"] == pytest.approx((1 + 2) * r.latency_s, rel=1e-12, abs=0)
    assert r.utilization["pim_mac"] == pytest.approx(macs / 16e9 / r.latency_s, rel=1e-12, abs=0)


def test_pim_io_overlaps_the_banks_from_two_rows_on():
    """Two activation rows (max_rows 2): the second row's input crosses the bus while the banks
    work on the first, so the op takes max(I/O + banks / 2, banks + I/O / 2) + latency (the
    first row's input before the banks start, the last row's banks after its input); one row
    takes their sum; in blocked sharing the hold makes them serial already (io / rate + banks,
    not twice)."""
    bank = 4 * 2**20 / 16e9
    io = 4 * 4096 / 10e9
    r2 = simulate(_pim_arch("2 GB/s", max_rows=2), gemv_workload(1024, 1024, rows=2))
    assert r2.latency_s == pytest.approx(max(io + bank / 2, bank + io / 2) + 100e-9, rel=1e-12,
                                         abs=0)
    blocked = make_arch(name="round-pim", pim={
        "units_per_channel": 4, "clock": "1 GHz", "macs_per_cycle": 2, "internal_bandwidth": "2 GB/s",
        "energy_per_mac": "1 pJ", "energy_per_bit": "0.5 pJ/bit", "sharing": "blocked"})
    r1 = simulate(blocked, gemv_workload(1024, 1024))
    assert r1.latency_s == pytest.approx(2 * 4096 / 10e9 + bank + 100e-9, rel=1e-12, abs=0)


def test_pim_gemv_compute_bound():
    arch = _pim_arch("1 TB/s", macs_per_cycle=0.5)  # 2 x 4 x 0.5 x 1 GHz = 4 GMAC/s
    w = gemv_workload(1024, 1024)
    r = simulate(arch, w)
    macs = 1024 * 1024
    assert r.latency_s == pytest.approx(2 * 4096 / 10e9 + macs / 4e9 + 100e-9, rel=1e-12, abs=0)


def test_gemm_above_pim_max_rows_goes_to_processor():
    arch = _pim_arch("2 GB/s", max_rows=1)
    pl = place(gemv_workload(1024, 1024, rows=2), arch)
    assert pl.unit_names.tolist() == ["processor"]
    pl = place(gemv_workload(1024, 1024, rows=2), _pim_arch("2 GB/s", max_rows=2))
    assert pl.unit_names.tolist() == ["pim"]


# --------------------------------------------------------------------------- config defaults
def test_pim_static_power_may_be_omitted():
    # regression: a bare 0.0 default was rejected by its own unit validator
    arch = make_arch(name="pim-no-static", pim={
        "units_per_channel": 4, "clock": "1 GHz", "macs_per_cycle": 2,
        "internal_bandwidth": "2 GB/s", "energy_per_mac": "1 pJ", "energy_per_bit": "0.5 pJ/bit"})
    assert arch.components["pim"].static_power == 0.0
    assert arch.components["pim"].max_rows == 1


# --------------------------------------------------------------------------- blocked sharing
def _blocked_workload():
    """tick (processor: a 4 B input from DRAM) -> host (reduction over a 1 MiB DRAM input and
    tick's output); mm (PIM GEMV, 4 MiB of weights in the banks) independent of both."""
    from cimsim.workload import Op, Tensor, Workload

    t = [Tensor("z", (1,), "fp32", "input"), Tensor("zz", (1,), "fp32", "activation"),
         Tensor("x", (1, 1024), "fp32", "input"), Tensor("W", (1024, 1024), "fp32", "weight"),
         Tensor("y", (1, 1024), "fp32", "activation"), Tensor("Y", (262144,), "fp32", "input"),
         Tensor("s", (1,), "fp32", "activation")]
    return Workload("blocked", t, [
        Op("tick", "reduction", ("z",), ("zz",)),
        Op("mm", "matmul", ("x", "W"), ("y",), m=1, k=1024, n=1024, weight="W"),
        Op("host", "reduction", ("Y", "zz"), ("s",))])


def _sharing_arch(sharing):
    return make_arch(name="round-pim", pim={
        "units_per_channel": 4, "clock": "1 GHz", "macs_per_cycle": 2, "internal_bandwidth": "2 GB/s",
        "energy_per_mac": "1 pJ", "energy_per_bit": "0.5 pJ/bit", "sharing": sharing})


def test_blocked_host_transfer_issued_during_a_pim_op_waits_then_runs_alone():
    w = _blocked_workload()
    ops = simulate(_sharing_arch("blocked"), w).op_table.set_index("op")
    # tick moves its 4 B over DRAM (10 GB/s) first: 0.4 ns, alone. The PIM op, issued at 0
    # beside it, waits for it, then holds DRAM for its I/O (x and y: 8,192 B, 0.8192 us) and
    # its bank time (4 MiB / 16 GB/s = 262.144 us): until t = 262.9636 us (+100 ns latency)
    t = 0.4e-9 + 8192 / 10e9 + 4 * 2**20 / 16e9
    assert ops.loc["mm", "end_s"] == pytest.approx(t + 100e-9, rel=1e-12, abs=0)
    # the host reduction is issued at tick's end (0.4 ns + 100 ns), during the PIM op: it
    # waits, then moves its 1 MiB + 4 B read + 4 B written alone: ends at t + its own time
    assert ops.loc["host", "start_s"] == pytest.approx(100.4e-9, rel=1e-12, abs=0)
    assert ops.loc["host", "dram_bytes"] == 2**20 + 8
    assert ops.loc["host", "end_s"] == pytest.approx(t + (2**20 + 8) / 10e9 + 100e-9, rel=1e-12, abs=0)


def test_a_blocked_pim_ops_hold_counts_in_its_levels_utilization():
    """dram_bw counted the moved bytes only (1,056,780 B / 10 GB/s = 105.7 us of the 367.9 us
    run: 28.7 %) while the PIM op held DRAM for its 262.144 us of bank time and the host waited:
    the level's occupancy is bytes / peak + the hold, (105.678 + 262.144) / 367.922 us."""
    r = simulate(_sharing_arch("blocked"), _blocked_workload())
    nbytes = 4 + 8192 + (2**20 + 8)  # tick's input, the GEMV's x and y, the host's reduction
    assert r.traffic_bytes["dram"] == nbytes
    bank = 4 * 2**20 / 16e9  # 262.144 us
    t = 0.4e-9 + 8192 / 10e9 + bank  # the PIM op's end (test above), then the host's transfer
    latency = t + (2**20 + 8) / 10e9 + 100e-9
    assert r.latency_s == pytest.approx(latency, rel=1e-12, abs=0)
    assert r.utilization["dram_bw"] == pytest.approx((nbytes / 10e9 + bank) / latency, rel=1e-9, abs=0)


def test_concurrent_pim_leaves_the_host_its_bandwidth():
    ops = simulate(_sharing_arch("concurrent"), _blocked_workload()).op_table.set_index("op")
    # the PIM op's bank reads stay off the bus: the host's 1 MiB runs beside 8 KiB of PIM I/O
    assert ops.loc["host", "end_s"] < (2**20 + 8 + 8192) / 10e9 + 100.4e-9 + 100e-9 + 1e-12
    # its one-row GEMV: input in, banks, output out, in turn (serial); its 8 KiB of I/O shares
    # the bus with at most the host's 1 MiB
    bank = 4 * 2**20 / 16e9
    assert bank + 8192 / 10e9 + 100e-9 <= ops.loc["mm", "end_s"]
    assert ops.loc["mm", "end_s"] < bank + (2**20 + 8 + 8192) / 10e9 + 2 * 100e-9


def test_analytic_engine_says_it_does_not_queue_blocked_holds():
    r = simulate(_sharing_arch("blocked"), _blocked_workload(), engine="analytic")
    assert any("exclusively" in n and "dram" in n for n in r.notes)
    assert not any("exclusively" in n for n in simulate(_sharing_arch("blocked"), _blocked_workload()).notes)


@pytest.mark.parametrize("precision, dtype, marked", [
    ("fp16", "fp32", True), ("fp16", "fp16", False), ("fp16", "bf16", True), (None, "fp32", False),
])
def test_a_pim_unit_of_a_fixed_number_format_marks_other_dtypes(precision, dtype, marked):
    """Aquabolt-XL's units are FP16 SIMD: a config saying ``precision: fp16`` marks a run of
    another dtype (the processor would run those ops in the trace's own dtype), as a CIM's or a
    systolic array's fixed bits do; without ``precision`` the units compute in the ops' dtype.
    The operands lie in the banks and cross the bus in the units' format: an fp32 GEMV on FP16
    units reads 2 MiB of weight in the banks (not 4) and moves 2 x 2 KiB of I/O (not 4 KiB)."""
    pim = {"units_per_channel": 4, "clock": "1 GHz", "macs_per_cycle": 2, "internal_bandwidth": "2 GB/s",
           "energy_per_mac": "1 pJ", "energy_per_bit": "0.5 pJ/bit"}
    arch = make_arch(name="round-pim", pim={**pim, **({"precision": precision} if precision else {})})
    r = simulate(arch, gemv_workload(1024, 1024, dtype=dtype), engine="analytic")
    assert r.precision_mismatch is marked
    note = f"precision mismatch: pim computes in fp16, but its ops are {dtype} in the workload"
    assert any(n.startswith(note) for n in r.notes) is marked, r.notes
    plain = simulate(make_arch(name="round-pim", pim=pim), gemv_workload(1024, 1024, dtype=dtype),
                     engine="analytic")
    scale = 0.5 if (precision, dtype) == ("fp16", "fp32") else 1.0  # bf16 and fp16: 2 B both
    assert r.traffic_bytes["dram"] == plain.traffic_bytes["dram"] * scale
    w = 1024 * 1024 * {"fp32": 4, "fp16": 2, "bf16": 2}[dtype]  # the weight in the trace's dtype
    assert r.energy_breakdown_j["pim_compute"] == pytest.approx(
        1024 * 1024 * pJ + w * scale * 8 * 0.5 * pJ, rel=1e-12, abs=0)
    # serial: I/O over the 10 GB/s bus, then the banks at 16 GB/s, + 100 ns
    assert r.latency_s == pytest.approx(2 * 1024 * (w / 2**20) * scale / 10e9
                                        + w * scale / 16e9 + 100e-9, rel=1e-12, abs=0)


def test_bundled_hbm_pim_units_compute_fp16():
    from cimsim.config import load_architecture

    for name in ("hbm-pim", "gpu-hbm-pim-attn"):
        pim = next(c for c in load_architecture(name).instances if c.type_name == "pim")
        assert pim.compute_dtype() == "fp16" and pim.mac_precision("fp32") == "fp16"


def test_a_separate_pim_device_states_its_own_channels():
    """A UPMEM-class system: the PIM DIMMs are their own device over a link, with their own
    channel count: 40 channels x 64 units = 2,560 units (64 x 2 = 128 from the host DRAM's 2
    channels without it), at 2 MAC/cycle x 1 GHz each; the field is refused in another mode."""
    from cimsim.errors import ConfigError

    from conftest import ROUND_LINK

    pim = {"units_per_channel": 64, "clock": "1 GHz", "macs_per_cycle": 2, "internal_bandwidth": "1 GB/s",
           "energy_per_mac": "1 pJ", "energy_per_bit": "0.5 pJ/bit", "sharing": "separate"}
    own = make_arch(name="upmem", pim={**pim, "channels": 40}, interconnect=dict(ROUND_LINK))
    unit = next(c for c in own.instances if c.type_name == "pim")
    assert unit.units == 2560 and unit.peak_macs == 2560 * 2 * 1e9
    host = make_arch(name="upmem", pim=pim, interconnect=dict(ROUND_LINK))
    assert next(c for c in host.instances if c.type_name == "pim").units == 64 * 2
    with pytest.raises(ConfigError, match="link and channels are used only with sharing: separate"):
        make_arch(name="upmem", pim={**pim, "channels": 40, "sharing": "concurrent"})


def test_two_components_holding_the_kv_cache_are_one_line_on_the_command_line(tmp_path):
    """Two separate PIM devices that both claim kv_cache each hold the one KV cache in a memory
    of their own: refused when the config loads, one line naming both and what is allowed (it
    was a ValueError traceback from Architecture.hardware)."""
    import yaml
    from click.testing import CliRunner

    from cimsim.cli import main
    from cimsim.config import architecture_from_dict
    from cimsim.errors import ConfigError

    from conftest import ROUND_ARCH, ROUND_LINK

    pim = {"type": "pim", "units_per_channel": 64, "clock": "1 GHz", "macs_per_cycle": 2,
           "internal_bandwidth": "1 GB/s", "energy_per_mac": "1 pJ",
           "energy_per_bit": "0.5 pJ/bit", "sharing": "separate", "claims": ["kv_cache"]}
    d = {**ROUND_ARCH, "links": {"interconnect": dict(ROUND_LINK)}, "pim": pim, "pim2": pim}
    path = tmp_path / "two-kv.yaml"
    path.write_text(yaml.safe_dump(d, sort_keys=False))
    r = CliRunner().invoke(main, ["run", str(path), "gru"])
    assert r.exit_code == 1 and "Traceback" not in r.output
    assert r.output.strip().splitlines() == [
        f"Error: {path}: pim2: components 'pim' (over link 'interconnect') and 'pim2' (over link "
        "'interconnect') each hold the KV cache in a memory of their own; at most one component "
        "may (the others leave it in the backing store, memory's last level)"]
    one = architecture_from_dict({**d, "pim2": {**pim, "claims": ["weights"]}})  # one holder
    assert list(one.cache_holders()) == ["pim"]
    with pytest.raises(ConfigError, match="at most one component may"):
        architecture_from_dict(d)


def test_pim_busy_is_the_share_of_the_run_a_pim_op_is_in_flight():
    """hbm-pim/lstm (hidden 2048, 2 layers x 100 steps, fp32 ops on fp16 units): each step's
    recurrent GEMV h @ W_hh (2048 x 4 x 2048 MACs, rows 1) runs on the PIM, 200 ops. One op,
    from the config's numbers: 1280 units (160 channels x 8) at 16 MAC x 300 MHz; its fp16
    weight (2 B per element) read at 1280 x 9.6 GB/s; op_overhead 5 us + the DRAM's 500 ns; the
    vector in and the gates out, 2048 + 8192 fp16 elements, over the DRAM at 3.35 TB/s x 0.70.
    pim_busy is those 200 op times over the latency, as processor_busy is the processor's;
    pim_mac and pim_banks (19.8 %) leave out the overhead, and the report ranked them below
    processor_busy (40.9 %) though the PIM track was the busier one (59.7 %)."""
    from cimsim import load_architecture, load_workload

    arch, wl = load_architecture("hbm-pim"), load_workload("lstm")
    r = simulate(arch, wl)
    units = 160 * 8
    macs = 2048 * 4 * 2048
    t_mac, t_banks = macs / (units * 16 * 300e6), macs * 2 / (units * 9.6e9)
    t_io = (2048 + 8192) * 2 / (3.35e12 * 0.70)
    t_op = max(t_mac, t_banks) + 5e-6 + 500e-9 + t_io
    # each layer's first step (l0.t0, l1.t0) runs beside l0.xproj, the processor's input
    # projection streaming 68 MB over the DRAM: its vector moves at half the rate, t_io
    # (8.7 ns) later, in 2 of the 200 ops
    busy = (200 * t_op + 2 * t_io) / r.latency_s
    assert r.utilization["pim_busy"] == pytest.approx(busy, rel=1e-9, abs=0)
    assert round(busy, 3) == 0.597
    assert r.utilization["pim_mac"] == pytest.approx(200 * t_mac / r.latency_s, rel=1e-12, abs=0)
    assert r.utilization["pim_busy"] > r.utilization["processor_busy"] > r.utilization["pim_mac"]
    # a column named by the utilization rule, first in the report's "busiest resources"
    from cimsim.report.html import Report, _table_rows
    from cimsim.studies import Run, results_table

    done = [Run(arch, wl, r)]
    assert results_table(done, [arch])["util_pim_busy"].tolist() == [r.utilization["pim_busy"]]
    heads, rows = _table_rows(Report([arch], [wl], [(arch, wl, r)], table=results_table(done, [arch])))
    assert rows[0][heads.index("busiest resources")].startswith("pim_busy 59.7 %, processor_busy 40.9 %")
