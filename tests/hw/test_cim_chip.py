"""The CIM chip block (cimsim.hw.cim.chip, mapping, onchip; report.stream): closed-form cases.

Golden values are hand arithmetic from the rules in the modules' docstrings (stated next to
each assertion), never the code's own output.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
import yaml

from cimsim import simulate
from cimsim.config import architecture_from_dict
from cimsim.errors import ConfigError
from cimsim.hw.cim import chip as chipmod
from cimsim.hw.cim.mapping import duplication
from cimsim.report.stream import steady_state
from cimsim.workload import Op, Tensor, Workload

CIM = {
    "link": "noc", "technology": "rram", "arrays": 16, "rows": 64, "cols": 64,
    "bits_per_cell": 8, "weight_bits": 8, "input_bits": 8, "dac_bits": 1,
    "read_latency": "100 ns",
    "adc": {"bits": 8, "sample_rate": "1 GHz", "energy_per_conversion": "1 pJ", "per_array": 64},
    "dac_energy": "0 pJ", "cell_read_energy": "0 pJ", "shift_add_energy": "0 pJ",
    "write_latency": "10 ns", "write_energy": "1 pJ", "endurance": 1e6,
    "buffer": {"capacity": "1 MiB", "bandwidth": "1 PB/s", "energy_per_byte": "0 pJ/B"},
    "static_power": "0 W",
    "chip": {"node_nm": 22, "levels": {"pe": {"fanout": 4}, "chip": {"fanout": 4}}},
}
ARCH = {
    "name": "tiny-chip",
    "memory": {"dram": {"capacity": "1 GB", "bandwidth": "1 PB/s", "energy_per_byte": "0 pJ/B"}},
    "links": {"noc": {"bandwidth": "1 PB/s", "latency": "0 s", "energy_per_bit": "0 pJ/bit"}},
    "cim": CIM,
}
T_VECTOR = 8 * 100e-9  # 8 one-bit slices x max(100 ns read, ceil(64 cols / 64 ADCs) / 1 GHz)


def arch(**chip):
    d = copy.deepcopy(ARCH)
    d["cim"]["chip"].update(chip)
    return architecture_from_dict(d)


def two_layers() -> Workload:
    """x (16 x 128) @ wa (128 x 64) -> y; y @ wb (64 x 64) -> z, int8: wa needs 2 arrays, wb 1."""
    t = [Tensor("x", (16, 128), "int8", "input"), Tensor("wa", (128, 64), "int8", "weight"),
         Tensor("y", (16, 64), "int8", "activation"), Tensor("wb", (64, 64), "int8", "weight"),
         Tensor("z", (16, 64), "int8", "activation")]
    ops = [Op("a", "matmul", ("x", "wa"), ("y",), m=16, k=128, n=64, weight="wa"),
           Op("b", "matmul", ("y", "wb"), ("z",), m=16, k=64, n=64, weight="wb")]
    return Workload("two-layers", t, ops)


def two_layers_rows(m: int) -> Workload:
    """two_layers with ``m`` activation rows."""
    t = [Tensor("x", (m, 128), "int8", "input"), Tensor("wa", (128, 64), "int8", "weight"),
         Tensor("y", (m, 64), "int8", "activation"), Tensor("wb", (64, 64), "int8", "weight"),
         Tensor("z", (m, 64), "int8", "activation")]
    ops = [Op("a", "matmul", ("x", "wa"), ("y",), m=m, k=128, n=64, weight="wa"),
           Op("b", "matmul", ("y", "wb"), ("z",), m=m, k=64, n=64, weight="wb")]
    return Workload(f"two-layers-{m}", t, ops)


# ------------------------------------------------------------------ interconnect and buffers
@pytest.mark.parametrize("nbytes,width,cycles", [(1, 8, 1), (64, 64, 8), (65, 64, 9), (3072, 64, 384)])
def test_a_bus_of_width_w_moves_b_bytes_in_ceil_b_over_w_cycles(nbytes, width, cycles):
    assert chipmod.bus_cycles(nbytes, width) == cycles  # ceil(8 B / w)


@pytest.mark.parametrize("kind,fanout,h", [("bus", 16, 1), ("htree", 16, 4), ("htree", 12, 4),
                                           ("htree", 2, 1), ("mesh", 16, 4), ("mesh", 12, 4),
                                           ("mesh", 177, 14)])
def test_hops_from_fanout(kind, fanout, h):
    assert chipmod.hops(kind, fanout) == h


def test_level_transfer_time_and_energy_closed_form():
    ch = chipmod.Chip(node_nm=22, levels={
        "pe": {"fanout": 4,
               "buffer": {"type": "sram", "capacity": "8 KiB", "width_bits": 128, "clock": "500 MHz",
                          "energy_per_access": "2 pJ", "access_latency": "1 ns"},
               "interconnect": {"type": "htree", "width_bits": 64, "clock": "1 GHz",
                                "energy_per_bit_per_hop": "0.1 pJ/bit"}}})
    # 3072 B over an op spanning 4 arrays: one PE. Buffer: 3072*8/128 = 192 words, written and
    # read: 384 accesses x max(1 ns, 1/500 MHz = 2 ns) = 768 ns, 384 x 2 pJ = 768 pJ.
    # H-tree of 4: 2 hops; 3072*8/64 = 384 cycles + 2 = 386 ns; energy 24576 bit x 2 x 0.1 pJ.
    r = chipmod.transfers(ch, np.array([3072.0]), np.array([4.0]))["pe"]
    assert r["buffer_s"][0] == pytest.approx(768e-9, rel=1e-12, abs=0)
    assert r["buffer_j"][0] == pytest.approx(768e-12, rel=1e-12, abs=0)
    assert r["interconnect_s"][0] == pytest.approx(386e-9, rel=1e-12, abs=0)
    assert r["interconnect_j"][0] == pytest.approx(24576 * 2 * 0.1e-12, rel=1e-12, abs=0)
    # spanning 8 arrays = 2 PEs: each moves half (1536 B): 96 words -> 384 ns; 192 + 2 cycles
    r = chipmod.transfers(ch, np.array([3072.0]), np.array([8.0]))["pe"]
    assert r["buffer_s"][0] == pytest.approx(384e-9, rel=1e-12, abs=0)
    assert r["interconnect_s"][0] == pytest.approx(194e-9, rel=1e-12, abs=0)
    assert r["buffer_j"][0] == pytest.approx(768e-12, rel=1e-12, abs=0)  # same accesses in all


def test_serial_and_overlapped_op_time():
    levels = {"pe": {"buffer_s": np.array([2.0]), "interconnect_s": np.array([3.0])},
              "chip": {"buffer_s": np.array([0.0]), "interconnect_s": np.array([4.0])}}
    ser = chipmod.Chip(node_nm=22, levels={"pe": {"fanout": 2}})
    ovl = ser.model_copy(update={"transfers": "overlapped"})
    assert chipmod.op_time(ser, np.array([1.0]), levels)[0][0] == 1 + 2 + 3 + 0 + 4
    assert chipmod.op_time(ovl, np.array([1.0]), levels)[0][0] == 4


# ------------------------------------------------------------------ steady state
def test_two_stage_pipeline_steady_state_is_the_slower_stage():
    st = steady_state([3e-6, 5e-6], ["a", "b"], {}, samples=1)
    assert (st.interval_s, st.limit) == (5e-6, "b") and st.samples_per_s == pytest.approx(2e5, rel=1e-6, abs=0)
    st = steady_state([3e-6, 5e-6], ["a", "b"], {"dram": 8e-6}, samples=4)
    assert (st.interval_s, st.limit) == (2e-6, "dram")  # 8 us of bytes over 4 samples


def test_layer_pipeline_end_to_end_closed_form():
    # wa copied twice: stage a = ceil(16/2) x 800 ns = 6.4 us; stage b = 16 x 800 ns = 12.8 us
    # (a stage is its ops' time alone, their transfers included: z's 1024 B over the 1 PB/s
    # link add femtoseconds, below rel 1e-7)
    r = simulate(arch(layers={"wa": 2}), two_layers(), keep_ops=True)
    f = r.facts
    assert f["pipeline_interval_s"] == pytest.approx(16 * T_VECTOR, rel=1e-7, abs=0)
    assert f["pipeline_limit"] == "cim:wb"
    assert f["pipelined_samples_per_s"] == pytest.approx(1 / (16 * T_VECTOR), rel=1e-7, abs=0)
    macs = 16 * 128 * 64 + 16 * 64 * 64
    assert f["pipelined_ops_per_s"] == pytest.approx(2 * macs / (16 * T_VECTOR), rel=1e-7, abs=0)
    assert r.latency_s == pytest.approx(24 * T_VECTOR, rel=1e-6, abs=0)  # a then b: 6.4 + 12.8 us
    # energy per sample at steady state: dynamic (the ADC: 1 pJ per conversion, conversions =
    # rows x row tiles x columns x 8 slices) + static power (0 W here) x interval
    conv = 16 * 2 * 64 * 8 + 16 * 1 * 64 * 8
    assert f["pipelined_j_per_sample"] == pytest.approx(conv * 1e-12, rel=1e-12, abs=0)
    assert f["pipelined_ops_per_j"] == pytest.approx(2 * macs / (conv * 1e-12), rel=1e-12, abs=0)
    d = copy.deepcopy(ARCH)
    d["cim"]["static_power"] = "1 W"
    d["cim"]["chip"]["layers"] = {"wa": 2}
    f = simulate(architecture_from_dict(d), two_layers(), keep_ops=False).facts
    assert f["pipelined_j_per_sample"] == pytest.approx(conv * 1e-12 + 1.0 * 16 * T_VECTOR, rel=1e-7, abs=0)
    assert list(r.op_table["cim_copies"]) == [2.0, 1.0]


def test_copies_asked_past_the_array_budget_are_refused():
    """wa needs 2 arrays a copy, wb 1: 8 copies of wa and one of wb need 17 of 16 arrays. Every
    layer fell back to one copy with only a note (a sweep of the copies read a 2.2x slowdown
    at the point past the budget; found by a tester, 2026-12-05)."""
    from cimsim.errors import MappingError

    r = simulate(arch(layers={"wa": 7}), two_layers(), keep_ops=True)  # 14 + 1 <= 16
    assert list(r.op_table["cim_copies"]) == [7.0, 1.0]
    with pytest.raises(MappingError) as exc:
        simulate(arch(layers={"wa": 8}), two_layers())
    msg = str(exc.value)
    assert msg.startswith("cim.chip.layers (wa: 8) asks for copies that need 17 arrays") and "\n" not in msg
    assert "of the 16 of cim.arrays" in msg


def test_balance_duplicates_until_the_array_budget():
    # both layers take 16 x 800 ns with one copy; d copies of each need 2d + d arrays <= 16, so
    # d <= 5; ceil(16 / d) rows: d = 4 and d = 5 both give 4 rows, and the policy takes the
    # fewest copies that reach a stage time: 4 each (12 arrays), stage 4 x 800 ns
    r = simulate(arch(duplication="balance"), two_layers(), keep_ops=True)
    assert list(r.op_table["cim_copies"]) == [4.0, 4.0]
    # (+ femtoseconds of the 1 PB/s link: rel 1e-7)
    assert r.facts["pipeline_interval_s"] == pytest.approx(4 * T_VECTOR, rel=1e-7, abs=0)
    f = r.facts
    assert (f["cim_arrays_used"], f["cim_pe_used"], f["cim_chip_used"]) == (12, 3, 1)
    assert f["cim_array_utilization"] == pytest.approx(12 / 16, rel=1e-6, abs=0)
    assert f["cim_cell_utilization"] == pytest.approx(1.0, rel=1e-6, abs=0)  # 64-row, 64-column matrices fill arrays
    # 17 rows: d = 5 gives ceil(17/5) = 4 rows, d = 4 gives 5: now 5 copies (15 arrays) pay off
    r = simulate(arch(duplication="balance"), two_layers_rows(17), keep_ops=True)
    assert list(r.op_table["cim_copies"]) == [5.0, 5.0]
    # whole PEs per layer: 2d and d rounded up to 4: d = 4 gives 8 + 4 = 12 <= 16, d = 5 gives 20
    r = simulate(arch(duplication="balance", layer_unit="pe"), two_layers_rows(17), keep_ops=True)
    assert list(r.op_table["cim_copies"]) == [4.0, 4.0]
    assert (r.facts["cim_arrays_allocated"], r.facts["cim_pe_used"]) == (12, 3)


def test_duplication_policy_rules():
    need, work, most = np.array([2.0, 1.0]), np.array([10.0, 10.0]), np.array([100.0, 100.0])
    assert list(duplication("none", {}, need, work, most, 16)) == [1, 1]
    assert list(duplication("none", {1: 3}, need, work, most, 16)) == [1, 3]
    # fixed layer 1 = 6 copies (6 arrays); layer 0 gets the rest: 2 d <= 10 -> 5
    assert list(duplication("balance", {1: 6}, need, work, most, 16)) == [5, 6]
    # a layer never gets more copies than its most rows: layer 0 stops at 2 (stage 10 / 2 = 5),
    # and layer 1 needs only ceil(10 / 5) = 2 to match it (no copies beyond the balanced stage)
    assert list(duplication("balance", {}, need, work, np.array([2.0, 100.0]), 64)) == [2, 2]
    # one copy of each does not fit: nothing is duplicated
    assert list(duplication("balance", {}, need, work, most, 2)) == [1, 1]


def test_interconnect_time_and_energy_reach_the_op_and_the_breakdown():
    lv = {"pe": {"fanout": 4, "interconnect": {"type": "bus", "width_bits": 64, "clock": "1 GHz",
                                                        "energy_per_bit_per_hop": "0.5 pJ/bit"}},
          "chip": {"fanout": 4}}
    r = simulate(arch(levels=lv, layers={"wa": 2}), two_layers(), keep_ops=True)
    # op a: 16 x 128 inputs (1 B) + 16 x 64 int8 outputs = 3072 B over 4 arrays = one PE:
    # ceil(3072 x 8 / 64) = 384 cycles + 1 bus hop at 1 GHz; 24576 bit x 1 hop x 0.5 pJ
    ic = r.op_table["cim_interconnect_s"].tolist()
    assert ic[0] == pytest.approx(385e-9, rel=1e-12, abs=0)
    # op b: 1024 + 1024 B, one array: 256 + 1
    assert ic[1] == pytest.approx(257e-9, rel=1e-12, abs=0)
    assert r.op_table["compute_s"].tolist()[0] == pytest.approx(8 * T_VECTOR + 385e-9, rel=1e-9, abs=0)
    e = r.energy_breakdown_j["cim_interconnect"]
    assert e == pytest.approx((3072 + 2048) * 8 * 0.5e-12, rel=1e-12, abs=0)
    assert r.energy_breakdown_j["cim_buffer"] == 0.0


def test_no_chip_block_reports_no_chip_columns():
    d = copy.deepcopy(ARCH)
    del d["cim"]["chip"]
    r = simulate(architecture_from_dict(d), two_layers(), keep_ops=True)
    assert "pipeline_interval_s" not in r.facts and "cim_buffer" not in r.energy_breakdown_j
    assert "cim_buffer_s" not in r.op_table


def test_fanouts_must_multiply_to_the_arrays():
    d = copy.deepcopy(ARCH)
    d["cim"]["chip"]["levels"]["chip"]["fanout"] = 3
    with pytest.raises(ConfigError) as e:
        architecture_from_dict(d)
    msg = str(e.value)
    assert "12 arrays" in msg and "16" in msg and "\n" not in msg.strip()


@pytest.mark.parametrize("name", ["buffer", "interconnect", "adc"])
def test_a_chip_level_named_like_a_part_is_refused_and_its_energy_kept_otherwise(name):
    # a top level named 'buffer' made the engine resource cim_buffer, the CIM's energy part's
    # name: the resource's zero energy replaced the buffers' (30 % of a run's, no error; h72)
    top = {"fanout": 4, "buffer": {"type": "sram", "capacity": "64 KiB", "width_bits": 64,
                                   "clock": "1 GHz", "energy_per_access": "2 pJ",
                                   "access_latency": "1 ns"}}
    d = copy.deepcopy(ARCH)
    d["cim"]["chip"]["levels"] = {"pe": {"fanout": 4}, "top": top}
    r = simulate(architecture_from_dict(d), two_layers())
    # each op's bytes cross the top buffer once, in 64-bit words written and read, 2 pJ each:
    # op a 3072 B = 384 words -> 768 accesses, op b 2048 B = 256 words -> 512: 1280 x 2 pJ
    assert r.energy_breakdown_j["cim_buffer"] == pytest.approx(1280 * 2e-12, rel=1e-12, abs=0)
    assert r.energy_breakdown_j["cim_top"] == 0.0  # the shared level's own resource
    d["cim"]["chip"]["levels"] = {"pe": {"fanout": 4}, name: top}
    with pytest.raises(ConfigError) as e:
        architecture_from_dict(d)
    assert str(e.value) == (f"<config>: cim.chip.levels.{name}: a chip level may not be named "
                            f"'{name}': a level with one unit on the chip is reported as "
                            f"'<component>_{name}', the name of the CIM's part '{name}' too; name "
                            "it otherwise (e.g. top): any lower case word but array, adc, dac, "
                            "digital, write, switch, mux, counter, adder_tree, buffer, interconnect, periphery, "
                            "layout")


# ------------------------------------------------------------------ a small CNN (traced)
PROCESSOR = {"name": "host", "cores": 1, "clock": "1 GHz", "macs_per_cycle_per_core": {"fp32": 1},
             "vector_ops_per_cycle_per_core": 1, "energy_per_mac": {"fp32": "1 pJ"},
             "energy_per_vector_op": "1 pJ", "static_power": "0 W", "op_overhead": "0 s"}


def small_cnn():
    torch = pytest.importorskip("torch")
    from cimsim.workload.trace import trace

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.c1 = torch.nn.Conv2d(3, 8, 3, padding=1)
            self.c2 = torch.nn.Conv2d(8, 16, 3, padding=1)
            self.fc = torch.nn.Linear(16 * 8 * 8, 10)

        def forward(self, x):
            y = torch.relu(self.c2(torch.relu(self.c1(x))))
            return self.fc(y.flatten(1))

    torch.manual_seed(0)
    return trace(Net().eval(), (torch.randn(1, 3, 8, 8),), name="small-cnn")


@pytest.mark.torch
@pytest.mark.slow
def test_small_cnn_placement_floorplan_and_input_reuse():
    w = small_cnn()
    d = copy.deepcopy(ARCH)
    d["processor"] = PROCESSOR
    d["cim"].update(arrays=64, bits_per_cell=2)
    d["cim"]["chip"] = {"node_nm": 22, "layer_unit": "tile", "input_reuse": True,
                        "levels": {"pe": {"fanout": 4}, "tile": {"fanout": 4},
                                   "chip": {"fanout": 4}}}
    r = simulate(architecture_from_dict(d), w, keep_ops=True)
    f = r.facts
    # c1: k = 27, 8 outputs x 4 cells = 32 columns -> 1 array; c2: k = 72 -> 2 row tiles x 1;
    # fc: k = 1024 -> 16 x ceil(40 / 64) = 16 arrays. Each layer on whole tiles of 16 arrays.
    assert (f["cim_arrays_used"], f["cim_arrays_allocated"]) == (19, 48)
    assert (f["cim_pe_used"], f["cim_tile_used"], f["cim_chip_used"]) == (1 + 1 + 4, 3, 1)
    assert f["cim_array_utilization"] == pytest.approx(19 / 64, rel=1e-6, abs=0)
    assert f["cim_cell_utilization"] == pytest.approx((27 * 32 + 72 * 64 + 1024 * 40) / (19 * 64 * 64), rel=1e-6, abs=0)
    ops = r.op_table.set_index("op")
    conv = [o for o in w.ops if o.tags.get("part") == "conv"]
    # once per window row: channels x output rows x kernel rows x input width
    assert [o.tags["window_elems"] for o in conv] == [3 * 8 * 3 * 8, 8 * 8 * 3 * 8]
    assert [o.m * o.k for o in conv] == [64 * 27, 64 * 72]  # im2col: 3x more
    im2col = [o.name for o in w.ops if o.tags.get("part") == "im2col"]
    assert len(im2col) == 2 and set(ops.loc[im2col, "unit"]) == {"cim"}
    assert (ops.loc[im2col, "compute_s"] == 0).all()
    # over the link (hw/cim/offchip.py): each feature map enters the chip once, at the im2col
    # copy, at 8-bit inputs (x: 3 x 8 x 8; relu(c1) from the host: 8 x 8 x 8); the windows are
    # built on the chip, so a convolution's own inputs cross nothing; its outputs go to the
    # host's bias add and relu as traced (fp32)
    assert ops.loc[im2col, "noc_bytes"].tolist() == [3 * 8 * 8, 8 * 8 * 8]
    assert ops.loc[conv[0].name, "noc_bytes"] == 64 * 8 * 4
    assert r.facts["pipeline_limit"].startswith(("cim:", "processor"))
    assert math.isfinite(r.facts["pipelined_samples_per_s"])
    # conventional mapping (no reuse): the windows' inputs move on the chip, not over the link
    d["cim"]["chip"]["input_reuse"] = False
    ops = simulate(architecture_from_dict(d), w, keep_ops=True).op_table.set_index("op")
    assert ops.loc[conv[0].name, "noc_bytes"] == 64 * 8 * 4
    assert set(ops.loc[im2col, "unit"]) == {"cim"}
    assert ops.loc[im2col, "noc_bytes"].tolist() == [3 * 8 * 8, 8 * 8 * 8]


# ------------------------------------------------------------------ digital periphery, area
def with_relu() -> Workload:
    """two_layers with relu(y) between the layers: 16 x 64 = 1024 vector ops."""
    w = two_layers()
    t = list(w.tensors.values()) + [Tensor("y2", (16, 64), "int8", "activation")]
    ops = [w.ops[0], Op("r", "elementwise", ("y",), ("y2",), fn="relu"),
           Op("b", "matmul", ("y2", "wb"), ("z",), m=16, k=64, n=64, weight="wb")]
    return Workload("relu-between", t, ops)


PERIPHERY = {"level": "pe", "units": 2, "bits": 8, "clock": "1 GHz", "energy_per_op": "0.1 pJ",
             "area_per_unit": "0.001 mm^2"}


def test_periphery_runs_vector_ops_on_the_preceding_layers_units():
    # no processor in the architecture: the chip runs everything
    r = simulate(arch(layers={"wa": 2}, periphery=PERIPHERY), with_relu(), keep_ops=True)
    ops = r.op_table.set_index("op")
    assert ops.loc["r", "unit"] == "cim" and ops.loc["r", "server"] == ops.loc["a", "server"]
    # wa: 2 arrays x 2 copies = 4 arrays = 1 PE of 4 -> 2 units; 1024 ops / (2 x 1 GHz)
    assert ops.loc["r", "cim_periphery_s"] == pytest.approx(512e-9, rel=1e-12, abs=0)
    assert ops.loc["r", "noc_bytes"] == 0
    assert r.energy_breakdown_j["cim_periphery"] == pytest.approx(1024 * 0.1e-12, rel=1e-12, abs=0)
    # stage a: 8 rows x 800 ns + 512 ns < stage b 16 x 800 ns
    assert r.facts["pipeline_limit"] == "cim:wb"


def test_periphery_and_layout_overhead_area():
    r = simulate(arch(periphery=PERIPHERY, area_overhead=1.5), with_relu(), keep_ops=False)
    # 16 arrays / 4 per PE = 4 PEs x 2 units x 0.001 mm^2; overhead 0.5 x that (no buffers)
    assert r.area_breakdown_m2["cim_periphery"] == pytest.approx(8 * 0.001e-6, rel=1e-12, abs=0)
    assert r.area_breakdown_m2["cim_overhead"] == pytest.approx(0.5 * 8 * 0.001e-6, rel=1e-12, abs=0)
    assert r.area_breakdown_m2["cim_chip_buffers"] == 0.0


def test_output_bits_set_the_bytes_leaving_the_arrays():
    lv = {"pe": {"fanout": 4, "interconnect": {"type": "bus", "width_bits": 64, "clock": "1 GHz",
                                                        "energy_per_bit_per_hop": "0 pJ/bit"}},
          "chip": {"fanout": 4}}
    r = simulate(arch(levels=lv, layers={"wa": 2}, output_bits=4), two_layers(), keep_ops=True)
    # op a: 2048 B in + 16 x 64 x 4 bits = 512 B out: ceil(2560 x 8 / 64) = 320 cycles + 1 hop
    assert r.op_table["cim_interconnect_s"].tolist()[0] == pytest.approx(321e-9, rel=1e-12, abs=0)
    # over the link (hw/cim/offchip.py): a's input x enters the chip, its output y stays for b;
    # b's output z (read by no op) leaves it at 4 bits: 512 B
    assert r.op_table["noc_bytes"].tolist() == [2048, 512]


def test_time_facts_name_the_part_that_dominates():
    lv = {"pe": {"fanout": 4, "interconnect": {"type": "bus", "width_bits": 8, "clock": "1 MHz",
                                                        "energy_per_bit_per_hop": "1 pJ/bit",
                                                        "activity": 0.25}},
          "chip": {"fanout": 4}}
    r = simulate(arch(levels=lv), two_layers(), keep_ops=False)
    f = r.facts
    # array: a 16 x 800 ns + b 16 x 800 ns; interconnect at 1 MHz: (3072 + 1) + (2048 + 1) cycles
    assert f["cim_time_array_s"] == pytest.approx(32 * T_VECTOR, rel=1e-12, abs=0)
    assert f["cim_time_interconnect_s"] == pytest.approx((3073 + 2049) * 1e-6, rel=1e-12, abs=0)
    assert f["cim_time_bound"] == "interconnect"
    # the critical path (a then b) splits its compute time by part: bound_part names the bus
    assert (r.bound, r.bound_part) == ("interconnect", "cim_interconnect")
    assert r.path_time_s["cim_interconnect"] == pytest.approx((3073 + 2049) * 1e-6, rel=1e-9, abs=0)
    assert r.path_time_s["compute"] == pytest.approx(32 * T_VECTOR, rel=1e-6, abs=0)
    assert r.path_time_s["cim_buffer"] == 0.0
    # the per-op path table splits the same way, op by op
    r = simulate(arch(levels=lv), two_layers(), keep_ops=True)
    assert r.path_table["cim_interconnect_s"].sum() == pytest.approx((3073 + 2049) * 1e-6, rel=1e-9, abs=0)
    row_sums = r.path_table.filter(like="_s").drop(columns=["start_s", "end_s"]).sum(axis=1)
    assert np.allclose(row_sums, r.path_table["end_s"] - r.path_table["start_s"], rtol=1e-12, atol=0)
    # a quarter of the bits toggle
    assert r.energy_breakdown_j["cim_interconnect"] == pytest.approx(5120 * 8 * 1e-12 * 0.25, rel=1e-12, abs=0)


def test_compute_bound_is_array_time_and_the_interconnect_bounds_as_a_link():
    # find-L 5: a chip's interconnect time is class interconnect (as the buffer's is memory)
    lv = {"pe": {"fanout": 4, "interconnect": {"type": "bus", "width_bits": 8, "clock": "1 MHz",
                                                        "energy_per_bit_per_hop": "0 pJ/bit"}},
          "chip": {"fanout": 4}}
    r = simulate(arch(levels=lv), two_layers(), keep_ops=False)
    # a and b on their own arrays (servers): each 16 vectors x 800 ns of array time
    assert r.bound_compute_s == pytest.approx(16 * T_VECTOR, rel=1e-9, abs=0)
    # the busiest server's bus time: a's (3072 + 1) cycles at 1 MHz
    assert r.bound_link_s == pytest.approx(3073e-6, rel=1e-12, abs=0)


def test_weights_that_do_not_fit_fall_back_to_reprogramming_without_a_pipeline():
    # 16 arrays hold wa (2) + wb (1) of 64-row arrays; with 4-row arrays wa needs 32 x 1 > 16
    d = copy.deepcopy(ARCH)
    d["cim"].update(rows=4)
    r = simulate(architecture_from_dict(d), two_layers(), keep_ops=True)
    f = r.facts
    # wa: ceil(128 / 4) = 32 row tiles; wb: 16: 48 arrays > 16 -> both re-programmed, one server
    assert (f["cim_arrays_needed"], f["cim_reprograms"]) == (48, 2)
    # one stage: samples follow one another, each the run's latency (the server's compute time
    # left the weights' serial transfers out: a stream faster than one sample)
    assert f["pipeline_limit"] == "a sample's latency, an upper bound" and set(r.op_table["server"]) == {0}
    assert f["pipeline_interval_s"] == r.latency_s
    # the floorplan is the chip's 16 arrays, each holding weights in turn (4 PEs of 4, 1 chip),
    # not the 48 the weights need (it said 48 arrays used, 3 chips, array utilization 3.0);
    # each array is still filled: 4-row tiles of 64-column matrices
    assert (f["cim_arrays_used"], f["cim_arrays_allocated"], f["cim_pe_used"], f["cim_chip_used"]) == (16, 16, 4, 1)
    assert f["cim_array_utilization"] == 1.0 and f["cim_cell_utilization"] == pytest.approx(1.0, rel=1e-6, abs=0)


def test_the_run_says_a_reprogrammed_chip_is_one_stage(tmp_path):
    """`cimsim run` printed a pipeline line beside the note "no layer pipeline": it now says the
    stream's steady state is of one stage."""
    from click.testing import CliRunner

    from cimsim.cli import main
    from cimsim.workload import save_workload

    d = copy.deepcopy(ARCH)
    d["cim"].update(rows=4)
    cfg, wl = tmp_path / "c.yaml", tmp_path / "w.json"
    cfg.write_text(yaml.safe_dump(d, sort_keys=False))
    save_workload(two_layers(), wl)
    res = CliRunner(env={"COLUMNS": "250"}).invoke(main, ["run", str(cfg), str(wl)])
    assert res.exit_code == 0, res.output
    line = next(ln for ln in res.output.splitlines() if ln.strip().startswith("pipeline"))
    assert "per sample at steady state (one stage: the arrays are re-programmed, no layer pipeline; " \
           "limited by a sample's latency, an upper bound)" in line, line


def five_and_one() -> Workload:
    """x (16 x 320) @ wa (320 x 64) -> y, relu(y) (1024 vector ops), @ wb (64 x 64) -> z, int8:
    wa needs 5 arrays of 64 rows, wb 1."""
    t = [Tensor("x", (16, 320), "int8", "input"), Tensor("wa", (320, 64), "int8", "weight"),
         Tensor("y", (16, 64), "int8", "activation"), Tensor("y2", (16, 64), "int8", "activation"),
         Tensor("wb", (64, 64), "int8", "weight"), Tensor("z", (16, 64), "int8", "activation")]
    ops = [Op("a", "matmul", ("x", "wa"), ("y",), m=16, k=320, n=64, weight="wa"),
           Op("r", "elementwise", ("y",), ("y2",), fn="relu"),
           Op("b", "matmul", ("y2", "wb"), ("z",), m=16, k=64, n=64, weight="wb")]
    return Workload("five-and-one", t, ops)


def test_layers_that_fall_back_to_dense_packing_are_counted_densely():
    """Tiles of 4 arrays (2 PEs of 2), 2 tiles: 8 arrays. Whole tiles for wa (5 arrays) and wb
    (1) need 8 + 4 = 12 > 8 arrays, so the layers pack densely, and every count says so: 5 + 1
    = 6 arrays allocated (not 12), ceil(6 / 2) = 3 PEs, ceil(6 / 4) = 2 tiles, ceil(6 / 8) = 1
    chip (not 4 PEs, 3 tiles, 2 chips of whole tiles)."""
    from cimsim.commands.run import _floorplan_texts

    d = copy.deepcopy(ARCH)
    d["cim"]["arrays"] = 8
    d["cim"]["chip"] = {"node_nm": 22, "layer_unit": "tile", "periphery": PERIPHERY | {"units": 1},
                        "levels": {"pe": {"fanout": 2}, "tile": {"fanout": 2},
                                   "chip": {"fanout": 2}}}
    r = simulate(architecture_from_dict(d), five_and_one(), keep_ops=True)
    f = r.facts
    assert (f["cim_arrays_used"], f["cim_arrays_allocated"]) == (6, 6)
    assert (f["cim_pe_used"], f["cim_tile_used"], f["cim_chip_used"]) == (3, 2, 1)
    assert "cim: layers rounded up to whole tiles need 12 of 8 arrays; they pack densely " \
        "instead" in r.notes
    # every cell of the 6 arrays holds a weight: (320 + 64) x 64 cells = 6 x 64 x 64
    assert _floorplan_texts(f) == ["cim: 6 arrays in 3 pe, 2 tile, 1 chip; 75.0 % of the chip's "
                                   "arrays, 100.0 % of their cells hold weights"]
    # the costs use the same packing: relu runs on wa's ceil(5 / 2) = 3 PEs' periphery units
    # (whole tiles would give it ceil(8 / 2) = 4): 1024 ops / (3 x 1 GHz)
    ops = r.op_table.set_index("op")
    assert ops.loc["r", "cim_periphery_s"] == pytest.approx(1024 / 3e9, rel=1e-12, abs=0)
    # with room for whole tiles (4 tiles, 16 arrays) a layer keeps its own tiles: wa 2 tiles, wb
    # 1 = 12 arrays allocated; PEs per layer ceil(5 / 2) + ceil(1 / 2) = 4; relu on 4 PEs
    d["cim"]["arrays"] = 16
    d["cim"]["chip"]["levels"]["chip"]["fanout"] = 4
    r = simulate(architecture_from_dict(d), five_and_one(), keep_ops=True)
    f = r.facts
    assert (f["cim_arrays_used"], f["cim_arrays_allocated"]) == (6, 12)
    assert (f["cim_pe_used"], f["cim_tile_used"], f["cim_chip_used"]) == (4, 3, 1)
    assert not [n for n in r.notes if "densely" in n]
    ops = r.op_table.set_index("op")
    assert ops.loc["r", "cim_periphery_s"] == pytest.approx(1024 / 4e9, rel=1e-12, abs=0)


@pytest.mark.parametrize("chip,words", [
    ({"layer_unit": "rack"}, ["layer_unit", "'rack'", "pe, chip"]),
    ({"periphery": dict(PERIPHERY, level="tile")}, ["periphery.level", "'tile'"]),
    ({"levels": {"PE": {"fanout": 16}}}, ["lower case", "PE"]),
    ({"levels": {"pe": {"fanout": 4, "buffer": {"type": "sram", "capacity": "1 KiB", "width_bits": 8}},
                 "chip": {"fanout": 4}}}, "node"),  # circuit defaults need a node
])
def test_chip_config_errors_are_one_line_and_name_the_field(chip, words):
    d = copy.deepcopy(ARCH)
    d["cim"]["chip"].update(chip)
    if words == "node":
        del d["cim"]["chip"]["node_nm"]
        words = ["cim.chip.node_nm", "technology"]
    with pytest.raises(ConfigError) as e:
        architecture_from_dict(d)
    msg = str(e.value)
    assert "\n" not in msg.strip() and all(w in msg for w in words), msg


def test_timeline_args_carry_the_chip_times():
    from cimsim.report.trace_events import trace_events

    lv = {"pe": {"fanout": 4, "interconnect": {"type": "bus", "width_bits": 64, "clock": "1 GHz",
                                               "energy_per_bit_per_hop": "0 pJ/bit"}},
          "chip": {"fanout": 4}}
    r = simulate(arch(levels=lv, layers={"wa": 2}), two_layers(), keep_ops=True)
    ev = {e["name"]: e for e in trace_events(r)["traceEvents"] if e.get("ph") == "X" and e["pid"] == 1}
    assert ev["a"]["args"]["cim_interconnect_s"] == pytest.approx(385e-9, rel=1e-12, abs=0)  # as above
    assert ev["a"]["args"]["cim_buffer_s"] == 0.0


def test_overlapped_transfers_take_the_longest_part():
    lv = {"pe": {"fanout": 4, "interconnect": {"type": "bus", "width_bits": 8, "clock": "1 MHz",
                                               "energy_per_bit_per_hop": "0 pJ/bit"}},
          "chip": {"fanout": 4}}
    r = simulate(arch(levels=lv, transfers="overlapped"), two_layers(), keep_ops=True)
    # each op: max(16 x 800 ns of arrays, its bus time) = the bus time, all of it the bus's
    assert r.op_table["compute_s"].tolist() == pytest.approx([3073e-6, 2049e-6], rel=1e-12, abs=0)
    assert (r.bound, r.bound_part) == ("interconnect", "cim_interconnect")
    assert r.path_time_s["compute"] == pytest.approx(0.0, abs=1e-12)


def test_rows_per_read_counts_groups_from_the_rows_a_tile_holds():
    """rows_per_read 16 of 64 rows, a 40 x 64 layer (one array: 64 cells of 8 bits = 64
    columns): ceil(40 / 16) = 3 read groups per slice, not ceil(64 / 16) = 4, so 16 rows x 3
    x 64 columns x 8 slices conversions of 1 pJ; the array's time is 16 vectors x 3 reads x
    8 slices x 100 ns (not 4 reads)."""
    d = copy.deepcopy(ARCH)
    d["cim"]["rows_per_read"] = 16
    a = architecture_from_dict(d)
    t = [Tensor("x", (16, 40), "int8", "input"), Tensor("w", (40, 64), "int8", "weight"),
         Tensor("y", (16, 64), "int8", "activation")]
    wl = Workload("one", t, [Op("a", "matmul", ("x", "w"), ("y",), m=16, k=40, n=64, weight="w")])
    r = simulate(a, wl)
    assert r.energy_breakdown_j["cim_adc"] == pytest.approx(16 * 3 * 64 * 8 * 1e-12, rel=1e-12, abs=0)
    assert r.facts["cim_time_array_s"] == pytest.approx(16 * 3 * T_VECTOR, rel=1e-12, abs=0)


# ------------------------------------------------------------------ shared levels on the engine
def _bus_arch(width_bits: int, clock: str, transfers: str = "serial", **chip):
    """The tiny chip with a bus on its one chip-level unit (shared by every layer)."""
    return arch(transfers=transfers, **chip, levels={
        "pe": {"fanout": 4},
        "chip": {"fanout": 4, "interconnect": {"type": "bus", "width_bits": width_bits,
                                               "clock": clock, "energy_per_bit_per_hop": "0 pJ/bit"}}})


def test_a_shared_bus_is_an_engine_resource_moving_b_bytes_in_ceil_b_over_w_cycles():
    """One op moving 33 input + 32 output bytes over a 64-bit bus at 1 GHz: ceil(65 x 8 / 64) =
    9 cycles on the bus resource `cim_chip`, then (serial transfers) the arrays' one vector of
    800 ns; the bus's one hop (1 cycle) is the op's fixed latency: 9 + 800 + 1 ns."""
    from cimsim.pipeline import place_and_cost, resource_rates

    a = _bus_arch(64, "1 GHz")
    assert a.hardware.resources[-1] == "cim_chip"
    assert a.hardware.resource("cim_chip").bytes_per_s() == 8e9  # 64 bit x 1 GHz
    wl = Workload("one", [Tensor("x", (1, 33), "int8", "input"),
                          Tensor("w", (33, 32), "int8", "weight"),
                          Tensor("y", (1, 32), "int8", "activation")],
                  [Op("mm", "matmul", ("x", "w"), ("y",), m=1, k=33, n=32, weight="w")])
    _, table = place_and_cost(a, wl)
    j = table.resources.index("cim_chip")
    rates = resource_rates(a)
    assert table.bytes[0, j] == 65.0
    assert table.engine_bytes(rates)[0, j] / rates[j] == pytest.approx(9e-9, rel=1e-12, abs=0)
    for engine in ("des", "analytic"):
        r = simulate(a, wl, engine=engine)
        assert r.latency_s == pytest.approx(9e-9 + T_VECTOR + 1e-9, rel=1e-12, abs=0), engine
        assert r.traffic_bytes["cim_chip"] == 65.0


def test_a_shared_levels_utilization_is_its_occupancy_whole_bus_cycles_included():
    """util_cim_chip_bw counted bytes / peak only: 65 B / 8 GB/s = 8.125 ns of the op's 9 bus
    cycles, so a chip whose shared level is the bound read 1.7 % busy. It is the level's
    occupancy now, as the memory bound counts it: 9 cycles x 1 ns over the run's 9 + 800 + 1 ns."""
    a = _bus_arch(64, "1 GHz")
    wl = Workload("one", [Tensor("x", (1, 33), "int8", "input"),
                          Tensor("w", (33, 32), "int8", "weight"),
                          Tensor("y", (1, 32), "int8", "activation")],
                  [Op("mm", "matmul", ("x", "w"), ("y",), m=1, k=33, n=32, weight="w")])
    for engine in ("des", "analytic"):
        r = simulate(a, wl, engine=engine)
        assert r.utilization["cim_chip_bw"] == pytest.approx(9e-9 / (9e-9 + T_VECTOR + 1e-9), rel=1e-9, abs=0)
        # a bus-only level is a link: its lower bound counts the same 9 cycles, not 8.125 ns
        assert r.bound_link_s == pytest.approx(9e-9, rel=1e-9, abs=0)


def test_a_bound_shared_buffer_level_reads_as_busy_as_the_bound_says():
    """neurosim-vgg8 with its global buffer on the engine: `cim_chip` is the bound (57.5 % of
    the run) but util_cim_chip_bw read 1.7 % (bytes / peak, without the buffer's held cycles).
    A memory level's occupancy is the busy time the memory bound counts."""
    from cimsim.bundled import resolve_config, resolve_workload
    from cimsim.config import load_architecture
    from cimsim.workload import load_workload

    a = load_architecture(resolve_config("neurosim-vgg8"), {"cim.chip.shared_levels": "engine"}, cli=True)
    r = simulate(a, load_workload(resolve_workload("vgg8-cifar10")))
    assert r.bound_part == "cim_chip"
    assert r.utilization["cim_chip_bw"] == pytest.approx(r.bound_memory_s / r.latency_s, rel=1e-9, abs=0)
    assert r.utilization["cim_chip_bw"] > 0.5


def two_independent_layers() -> Workload:
    """x (16 x 64) @ wa (64 x 64) and x @ wb (64 x 32), independent: 1024 + 1024 B and
    1024 + 512 B over the hierarchy."""
    t = [Tensor("x", (16, 64), "int8", "input"), Tensor("wa", (64, 64), "int8", "weight"),
         Tensor("ya", (16, 64), "int8", "activation"), Tensor("wb", (64, 32), "int8", "weight"),
         Tensor("yb", (16, 32), "int8", "activation")]
    ops = [Op("a", "matmul", ("x", "wa"), ("ya",), m=16, k=64, n=64, weight="wa"),
           Op("b", "matmul", ("x", "wb"), ("yb",), m=16, k=64, n=32, weight="wb")]
    return Workload("two-independent", t, ops)


def test_two_concurrent_layers_sharing_one_bus_take_the_sum_of_their_transfer_times():
    """Layers a and b run at once on their own arrays, but their transfers share the chip's one
    8-bit bus at 1 MHz: a moves 2048 B (2048 cycles = 2.048 ms alone), b 1536 B (1.536 ms).
    Sharing it equally, b's transfer ends at 2 x 1.536 ms and a's at 2.048 + 1.536 ms = the
    sum; then (serial) each op's arrays take 16 rows x 800 ns and the hop 1 us: the run ends at
    3.584 ms + 12.8 us + 1 us. Alone, a would end at 2.048 ms + 13.8 us. The analytic engine
    sees the same bus: its latency is at least the bus's total, 3.584 ms."""
    a = _bus_arch(8, "1 MHz")
    wl = two_independent_layers()
    ta, tb, tail = 2048e-6, 1536e-6, 16 * T_VECTOR + 1e-6
    r = simulate(a, wl, engine="des")
    t = r.op_table.set_index("op")
    assert t.loc["a", "server"] != t.loc["b", "server"]  # two pipeline stages
    assert t.loc["b", "end_s"] == pytest.approx(2 * tb + tail, rel=1e-9, abs=0)
    assert t.loc["a", "end_s"] == pytest.approx(ta + tb + tail, rel=1e-9, abs=0)
    assert r.latency_s == pytest.approx(ta + tb + tail, rel=1e-9, abs=0)
    only_a = Workload("a", [Tensor("x", (16, 64), "int8", "input"),
                            Tensor("wa", (64, 64), "int8", "weight"),
                            Tensor("ya", (16, 64), "int8", "activation")],
                      [Op("a", "matmul", ("x", "wa"), ("ya",), m=16, k=64, n=64, weight="wa")])
    alone = simulate(a, only_a, engine="des")
    assert alone.latency_s == pytest.approx(ta + tail, rel=1e-9, abs=0)
    an = simulate(a, wl, engine="analytic")
    assert an.latency_s >= ta + tb
    # the pipeline: the bus carries both layers' transfers once per sample
    assert r.facts["pipeline_limit"] == "cim_chip"
    assert r.facts["pipeline_interval_s"] == pytest.approx(ta + tb, rel=1e-9, abs=0)


def test_shared_level_transfers_are_their_own_timeline_slices():
    """The trace has a `cim_chip` track (a shared on-chip level) with a slice per op that moves
    bytes over it, carrying the op's bytes."""
    from cimsim.report.trace_events import trace_events

    a = _bus_arch(8, "1 MHz")
    r = simulate(a, two_independent_layers(), engine="des")
    ev = trace_events(r, a)["traceEvents"]
    names = [e["args"]["name"] for e in ev if e.get("name") == "thread_name"]
    assert "cim_chip (shared on-chip level)" in names
    slices = {e["name"]: e["args"]["bytes"] for e in ev if e.get("cat") == "cim_chip"}
    assert slices == {"a": 2048.0, "b": 1536.0}


def test_a_chip_without_shared_levels_adds_no_resource():
    """Levels with one unit but neither buffer nor interconnect share nothing."""
    assert arch().hardware.resources == ("dram", "noc")


def test_shared_levels_per_op_charges_each_op_alone():
    """With `shared_levels: per_op` the bus is no resource: each op's time holds its own bus
    time (serial: 2048 + 12.8 + 1 us for a; the hop is in the interconnect time), so the two
    layers overlap fully: the run takes a's time alone."""
    b = _bus_arch(8, "1 MHz", shared_levels="per_op")
    assert b.hardware.resources == ("dram", "noc")
    r = simulate(b, two_independent_layers(), engine="des")
    assert r.latency_s == pytest.approx(2048e-6 + 1e-6 + 16 * T_VECTOR, rel=1e-9, abs=0)


# ------------------------------------------------------------------ tile traffic (broadcast, partial sums)
@pytest.mark.parametrize("rt,ct,pe,chip_", [
    # pe of 2 arrays: a child (array) holds no whole column tile of 2 rows: inputs to both column
    # tiles, 2 partial sums per output; the chip's children (PEs of 2) hold one column tile each
    (2, 2, (2, 2), (2, 1)),
    (1, 4, (4, 1), (2, 1)),  # rows fit an array: inputs broadcast to 4, then to 2 PEs of 2 tiles
    (4, 1, (1, 4), (1, 2)),  # 4 row tiles: 4 partial sums up to the PEs, 2 PEs' sums to the chip
])
def test_tile_traffic_factors_closed_form(rt, ct, pe, chip_):
    ch = chipmod.Chip(node_nm=22, tile_traffic=True,
                      levels={"pe": {"fanout": 2}, "chip": {"fanout": 8}})
    f = chipmod.tile_factors(ch, np.array([float(rt)]), np.array([float(ct)]))
    assert (f["pe"][0][0], f["pe"][1][0]) == pe
    assert (f["chip"][0][0], f["chip"][1][0]) == chip_
    off = chipmod.tile_factors(ch.model_copy(update={"tile_traffic": False}), [rt], [ct])
    assert all(x[0] == 1 and y[0] == 1 for x, y in off.values())


def test_input_reuse_and_tile_traffic_on_the_levels():
    """A convolution-like op (64 rows, k = 128 -> 2 row tiles, n = 128 int8 -> 2 column tiles:
    4 arrays) whose inputs are reused across the window: 1000 input elements (8-bit), once per
    window row, instead of its 64 x 128 im2col elements; outputs 64 x 128 x 1 B = 8192 B.
    PEs of 2 arrays with an 8-bit bus, the chip's 64-bit bus at 1 GHz (shared, `cim_chip`).
    Without tile_traffic each byte crosses each level once: 9192 B on the chip bus. With it:
    PE level (children are arrays): inputs to both column tiles, 2 partial sums per output:
    2 x 1000 + 2 x 8192 = 18384 B over the op's 2 PEs, 9192 B each: 9192 cycles + 1 hop;
    chip level (children are PEs of one column tile each): 2 x 1000 + 8192 = 10192 B: 1274
    cycles + 1 hop."""
    d = copy.deepcopy(ARCH)
    d["cim"]["chip"] = {"node_nm": 22, "input_reuse": True, "tile_traffic": True, "levels": {
        "pe": {"fanout": 2, "interconnect": {"type": "bus", "width_bits": 8, "clock": "1 GHz",
                                             "energy_per_bit_per_hop": "0 pJ/bit"}},
        "chip": {"fanout": 8, "interconnect": {"type": "bus", "width_bits": 64, "clock": "1 GHz",
                                               "energy_per_bit_per_hop": "0 pJ/bit"}}}}
    wl = Workload("conv-like", [Tensor("x", (64, 128), "int8", "input"),
                                Tensor("w", (128, 128), "int8", "weight"),
                                Tensor("y", (64, 128), "int8", "activation")],
                  [Op("conv", "matmul", ("x", "w"), ("y",), m=64, k=128, n=128, weight="w",
                      tags={"window_elems": 1000})])
    r = simulate(architecture_from_dict(d), wl)
    row = r.op_table.iloc[0]
    assert row["cim_chip_bytes"] == 2 * 1000 + 8192
    assert row["cim_interconnect_s"] == pytest.approx((9192 + 1 + 1274 + 1) * 1e-9, rel=1e-12, abs=0)
    d["cim"]["chip"]["tile_traffic"] = False
    r = simulate(architecture_from_dict(d), wl)
    assert r.op_table.iloc[0]["cim_chip_bytes"] == 1000 + 8192


def test_layout_energy_overhead_adds_its_excess_as_a_part():
    # 1 pJ per conversion, conversions 16 x 2 x 64 x 8 + 16 x 1 x 64 x 8 (as above); zeta 1.22:
    # layout = 0.22 x that, nothing else changes
    conv = 16 * 2 * 64 * 8 + 16 * 1 * 64 * 8
    e = simulate(arch(energy_overhead=1.22), two_layers(), keep_ops=False).energy_breakdown_j
    assert e["cim_adc"] == pytest.approx(conv * 1e-12, rel=1e-12, abs=0)
    assert e["cim_layout"] == pytest.approx(0.22 * conv * 1e-12, rel=1e-12, abs=0)
    assert "cim_layout" not in simulate(arch(), two_layers(), keep_ops=False).energy_breakdown_j


def test_run_prints_the_floorplan_line():
    """`cimsim run`'s summary names the floorplan facts: 12 arrays in 3 PEs (4 arrays each) and
    1 chip, 12 of the chip's 16 arrays (75.0 %), every cell of them holding weights."""
    from cimsim.commands.run import _floorplan_texts

    f = simulate(arch(duplication="balance"), two_layers(), keep_ops=False).facts
    assert _floorplan_texts(f) == ["cim: 12 arrays in 3 pe, 1 chip; 75.0 % of the chip's arrays, "
                                   "100.0 % of their cells hold weights"]
    assert _floorplan_texts({"processor_x": 1}) == []


def test_layer_pipeline_with_no_energy_has_no_ops_per_joule():
    """Every energy 0 (ADC and writes here; the rest of ARCH is 0 already): the energy per
    sample at steady state is 0 J, so OPS/W is undefined: NaN in the facts and null in --json
    (it was inf, written as the non-JSON `Infinity`), while OPS/s stays 2 x MACs / interval."""
    import json

    d = copy.deepcopy(ARCH)
    d["cim"]["adc"]["energy_per_conversion"] = "0 pJ"
    d["cim"]["write_energy"] = "0 pJ"
    d["cim"]["chip"]["layers"] = {"wa": 2}
    r = simulate(architecture_from_dict(d), two_layers(), keep_ops=False)
    f = r.facts
    assert r.energy_j == 0 and f["pipelined_j_per_sample"] == 0
    assert math.isnan(f["pipelined_ops_per_j"]) and math.isnan(r.ops_per_j)
    macs = 16 * 128 * 64 + 16 * 64 * 64  # (the 1 PB/s link's femtoseconds: rel 1e-7)
    assert f["pipelined_ops_per_s"] == pytest.approx(2 * macs / (16 * T_VECTOR), rel=1e-7, abs=0)
    out = json.loads(json.dumps(r.to_json(), allow_nan=False))
    assert out["pipelined_ops_per_j"] is None and out["ops_per_j"] is None


def test_a_chip_notes_an_adc_past_the_lossless_bits_as_a_flat_cim_does():
    """The note was added on the flat path only: a chip's ADC of more bits ran in silence."""
    d = copy.deepcopy(ARCH)
    base = simulate(architecture_from_dict(d), two_layers(), engine="analytic")
    lossless = base.facts["cim_lossless_bits"]
    d["cim"]["adc"]["bits"] = lossless + 2
    r = simulate(architecture_from_dict(d), two_layers(), engine="analytic")
    assert any(n.startswith(f"cim: adc.bits {lossless + 2} is 2 more than the {lossless} lossless "
                            "partial-sum bits") for n in r.notes), r.notes
    assert not any("lossless partial-sum bits a conversion" in n for n in base.notes)


def test_a_shared_level_whose_buffer_is_slower_per_byte_is_a_memory_bound():
    """One chip-level buffer of 8 bits a 10 ns access (2 accesses a byte: 20 ns/B) beside a
    64-bit bus at 1 GHz (0.125 ns/B): op a's 3072 B hold it 61 us, past its 12.8 us of arrays,
    and the run said `interconnect (cim_chip)` (a chip designer). With a 4096-bit buffer
    (20 ns / 512 B = 0.039 ns/B) the bus is the slower: interconnect."""
    def chip(width):
        lv = {"pe": {"fanout": 4},
              "chip": {"fanout": 4,
                       "buffer": {"type": "sram", "capacity": "64 KiB", "width_bits": width,
                                  "access_latency": "10 ns", "energy_per_access": "1 pJ"},
                       "interconnect": {"type": "bus", "width_bits": 64, "clock": "1 GHz",
                                        "energy_per_bit_per_hop": "0 pJ/bit"}}}
        return arch(levels=lv, shared_levels="engine")

    slow = simulate(chip(8), two_layers())
    assert (slow.bound, slow.bound_part) == ("memory", "cim_chip")
    # and the memory lower bound counts it: 3072 + 2048 B x 2 accesses x 10 ns of buffer alone
    assert slow.bound_memory_s >= 5120 * 2 * 10e-9 and slow.bound_link_s < slow.bound_memory_s
    from cimsim.hw.cim import onchip

    c = chip(4096).components["cim"]
    assert onchip.shared_classes("cim", c) == {"cim_chip": "interconnect"}


def test_a_chip_under_pipeline_parallelism_says_its_stages_share_it():
    """A flat CIM gives each pipeline stage's device its own arrays (hw/cim/flat.py); a chip
    holds every stage's layers on one chip's arrays, and says so rather than silently."""
    from cimsim.workload.llm import LLMModel, llm_serving

    tiny = LLMModel(layers=2, hidden=32, heads=8, kv_heads=2, ffn=48, vocab=20, head_dim=4,
                    gated=True)
    d = copy.deepcopy(ARCH)
    d["links"]["nvl"] = {"bandwidth": "100 GB/s", "latency": "1 us", "energy_per_bit": "1 pJ/bit"}
    d["collective"] = {"devices": 2, "link": "nvl"}
    d["processor"] = {"name": "p", "cores": 1, "clock": "1 GHz",
                      "macs_per_cycle_per_core": {"int8": 8}, "vector_ops_per_cycle_per_core": 8,
                      "levels": ["dram"], "energy_per_mac": {"int8": "1 pJ"},
                      "energy_per_vector_op": "1 pJ", "static_power": "0 W"}
    a = architecture_from_dict(d)
    said = "the layers of all 2 pipeline stages share one chip's 16 arrays"
    one = simulate(a, llm_serving(tiny, prompt=4, decode=2, pipeline_parallel=1, dtype="int8"))
    assert not any(said in n for n in one.notes)
    two = simulate(a, llm_serving(tiny, prompt=4, decode=2, pipeline_parallel=2, dtype="int8"))
    assert any(said in n for n in two.notes)


def test_a_chip_too_small_says_how_many_chips_would_hold_the_weights():
    """find-G 2: with 4-row arrays wa needs ceil(128 / 4) = 32 arrays and wb ceil(64 / 4) = 16
    (one 64-column slice each: 8-bit weights in 8-bit cells), 48 of the chip's 16: ceil(48 / 16)
    = 3 chips of this size would hold them; the one modelled chip is re-programmed."""
    d = copy.deepcopy(ARCH)
    d["cim"].update(rows=4)
    r = simulate(architecture_from_dict(d), two_layers())
    assert r.facts["cim_arrays_needed"] == 32 + 16
    assert ("cim: weights need 48 arrays but only 16 exist (no layer pipeline) (3 chips of this "
            "size would hold them: ceil(48 / 16); cimsim models one chip, re-programmed, not the "
            "weights split across chips); arrays are re-programmed") in " ".join(r.notes)
