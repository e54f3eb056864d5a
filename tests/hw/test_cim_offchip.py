"""What a CIM chip moves over its link (cimsim.hw.cim.offchip): closed-form cases.

Until 2026-12-05 every CIM matmul moved its inputs and outputs over ``cim.link`` even when the
layer before and after it ran on the same chip (a chip running a whole network paid the link
for every layer), while the periphery's vector ops moved nothing over it, wherever their data
came from. The rules now (module docstring): only activations entering or leaving the chip
cross. Golden values are bytes counted by hand from the tiny workloads below.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

from cimsim import simulate
from cimsim.config import architecture_from_dict
from cimsim.workload import Op, Tensor, Workload

from test_cim_chip import ARCH, PERIPHERY, PROCESSOR, two_layers, with_relu

LINK_LATENCY = 1e-6


def arch(processor=False, chip=True, buffer=None, **chip_fields):
    d = copy.deepcopy(ARCH)
    d["links"]["noc"]["latency"] = "1 us"
    if processor:
        d["processor"] = dict(PROCESSOR, macs_per_cycle_per_core={"int8": 1},
                              energy_per_mac={"int8": "1 pJ"})
    if not chip:
        del d["cim"]["chip"]
    else:
        d["cim"]["chip"].update(chip_fields)
    if buffer is not None:
        d["cim"]["buffer"]["capacity"] = buffer
    return architecture_from_dict(d)


def three_layers() -> Workload:
    """x (16 x 128) @ wa -> y (16 x 64); y @ wb -> z (16 x 64); z @ wc -> o (16 x 64), int8."""
    t = [Tensor("x", (16, 128), "int8", "input"), Tensor("wa", (128, 64), "int8", "weight"),
         Tensor("y", (16, 64), "int8", "activation"), Tensor("wb", (64, 64), "int8", "weight"),
         Tensor("z", (16, 64), "int8", "activation"), Tensor("wc", (64, 64), "int8", "weight"),
         Tensor("o", (16, 64), "int8", "activation")]
    ops = [Op("a", "matmul", ("x", "wa"), ("y",), m=16, k=128, n=64, weight="wa"),
           Op("b", "matmul", ("y", "wb"), ("z",), m=16, k=64, n=64, weight="wb"),
           Op("c", "matmul", ("z", "wc"), ("o",), m=16, k=64, n=64, weight="wc")]
    return Workload("three-layers", t, ops)


def link_bytes(r):
    return r.op_table.set_index("op")["noc_bytes"].to_dict()


def test_activations_made_and_used_on_the_chip_stay_there():
    # x enters (16 x 128 B), y and z stay, o leaves (16 x 64 B): the middle layer moves nothing
    # over the link and pays no link latency
    r = simulate(arch(), three_layers(), keep_ops=True)
    assert link_bytes(r) == {"a": 2048, "b": 0, "c": 1024}
    lat = r.op_table.set_index("op")["fixed_latency_s"].to_dict()
    assert lat["b"] == 0.0 and lat["a"] == lat["c"] == LINK_LATENCY


def test_a_flat_pool_moves_every_input_and_output():
    # no chip block: as before, each op's inputs (16 x k B) and outputs (16 x 64 B)
    r = simulate(arch(chip=False), three_layers(), keep_ops=True)
    assert link_bytes(r) == {"a": 2048 + 1024, "b": 1024 + 1024, "c": 1024 + 1024}
    assert (r.op_table["fixed_latency_s"] == LINK_LATENCY).all()


def test_a_tensor_that_does_not_fit_the_chip_goes_out_and_back():
    # the chip holds its levels' buffers (none here) and cim.buffer: 512 B < y's 1024 B, so y is
    # written out by a and read back by b; z likewise
    r = simulate(arch(buffer="512 B"), three_layers(), keep_ops=True)
    assert link_bytes(r) == {"a": 2048 + 1024, "b": 1024 + 1024, "c": 1024 + 1024}
    assert any("2 activation tensor(s) of the chip's ops (2.048 kB) do not fit its buffers "
               "(512 B): written out over noc to dram and read back" in n for n in r.notes)
    # 1 KiB holds each of them on its own (rule 2: one tensor at a time)
    assert link_bytes(simulate(arch(buffer="1 KiB"), three_layers(), keep_ops=True)) == {
        "a": 2048, "b": 0, "c": 1024}


def test_a_spilled_tensor_is_written_to_and_read_back_from_the_backing_store():
    # rule 8: y and z (1024 B each) do not fit 512 B; each goes to DRAM (the backing store
    # behind the link) and comes back from it. DRAM bytes per op: a reads the model input x
    # (2048 B) and writes y (1024 B); b reads y back (1024 B) and writes z (1024 B); c reads z
    # back (1024 B); the model output o (1024 B) goes to the host over the link, not to DRAM
    # (before 2026-12-06 only x's 2048 B reached DRAM: the spills were link bytes alone)
    d = copy.deepcopy(ARCH)
    d["links"]["noc"]["latency"] = "1 us"
    d["memory"]["dram"].update(energy_per_byte="20 pJ/B", latency="100 ns")
    d["cim"]["buffer"]["capacity"] = "512 B"
    r = simulate(architecture_from_dict(d), three_layers(), keep_ops=True)
    ops = r.op_table.set_index("op")
    assert ops["dram_bytes"].to_dict() == {"a": 2048 + 1024, "b": 1024 + 1024, "c": 1024}
    assert r.traffic_bytes["dram"] == 6144
    assert r.energy_breakdown_j["dram"] == pytest.approx(6144 * 20e-12, rel=1e-12, abs=0)
    # b and c touch DRAM only for the spill: the link's 1 us plus DRAM's 100 ns
    assert ops.loc["b", "fixed_latency_s"] == pytest.approx(1.1e-6, rel=1e-12, abs=0)
    assert ops.loc["c", "fixed_latency_s"] == pytest.approx(1.1e-6, rel=1e-12, abs=0)
    # 1 KiB holds each tensor: DRAM sees only the model input, the link x in and o out
    d["cim"]["buffer"]["capacity"] = "1 KiB"
    r = simulate(architecture_from_dict(d), three_layers(), keep_ops=True)
    assert r.traffic_bytes["dram"] == 2048
    assert r.op_table.set_index("op")["fixed_latency_s"].to_dict() == pytest.approx(
        {"a": 1.1e-6, "b": 0.0, "c": 1e-6}, rel=1e-12, abs=0)


def test_the_levels_buffers_count_as_the_chips_capacity():
    # 4 PEs x 256 B: y and z (1024 B each) fit the levels' buffers even with an 8 B flat buffer
    levels = {"pe": {"fanout": 4, "buffer": {"type": "sram", "capacity": "256 B", "width_bits": 8,
                                             "clock": "1 GHz"}},
              "chip": {"fanout": 4}}
    r = simulate(arch(buffer="8 B", levels=levels), three_layers(), keep_ops=True)
    assert link_bytes(r) == {"a": 2048, "b": 0, "c": 1024}


def test_an_output_read_off_the_chip_leaves_it_once():
    # relu on the host (no periphery) reads y: y leaves at a (1024 B) and y2 enters at b
    r = simulate(arch(processor=True), with_relu(), keep_ops=True)
    ops = r.op_table.set_index("op")
    assert ops.loc["r", "unit"] == "processor"
    assert link_bytes(r)["a"] == 2048 + 1024 and link_bytes(r)["b"] == 1024 + 1024


def test_the_periphery_keeps_a_network_on_the_chip():
    # relu on the chip's periphery: y and y2 stay; only x enters and z leaves
    r = simulate(arch(processor=True, periphery=PERIPHERY), with_relu(), keep_ops=True)
    assert r.op_table.set_index("op").loc["r", "unit"] == "cim"
    assert link_bytes(r) == {"a": 2048, "r": 0, "b": 1024}


def test_an_output_read_on_and_off_the_chip_leaves_once_and_stays():
    # o = y @ wc also read by the host's relu: y leaves at a once; b still reads it on the chip
    w = two_layers()
    t = list(w.tensors.values()) + [Tensor("y2", (16, 64), "int8", "activation")]
    ops = [*w.ops, Op("r", "elementwise", ("y",), ("y2",), fn="relu")]
    r = simulate(arch(processor=True), Workload("fork", t, ops), keep_ops=True)
    assert link_bytes(r)["a"] == 2048 + 1024 and link_bytes(r)["b"] == 1024


def test_link_energy_follows_the_bytes_that_cross():
    d = copy.deepcopy(ARCH)
    d["links"]["noc"]["energy_per_bit"] = "1 pJ/bit"
    r = simulate(architecture_from_dict(d), three_layers(), keep_ops=False)
    assert r.energy_breakdown_j["noc"] == pytest.approx((2048 + 1024) * 8e-12, rel=1e-12, abs=0)


def test_hand_built_op_arrays_without_producers_move_everything():
    # a plug-in's OpArrays without the producer columns: every input and output crosses
    from dataclasses import replace

    from cimsim.hw.cim import offchip

    a = three_layers().arrays
    cfg, one = arch().component("cim").config, np.ones(3)
    own_in, own_out = np.array([2048.0, 1024, 1024]), np.array([1024.0, 1024, 1024])
    full = offchip.link_bytes(cfg, a, np.arange(3), one, one, own_in, own_out)
    assert full.inputs.tolist() == [2048, 0, 0] and full.outputs.tolist() == [0, 0, 1024]
    bare = replace(a, producer=None, act_ptr=None, act_ids=None)
    none = offchip.link_bytes(cfg, bare, np.arange(3), one, one, own_in, own_out)
    assert none.inputs.tolist() == own_in.tolist() and none.outputs.tolist() == own_out.tolist()


def test_a_tensor_read_twice_by_one_op_enters_once():
    # r = x * x on the periphery: x (16 x 64 int8, 1024 B) enters once; y stays; z leaves (a
    # reviewer: it crossed once per operand slot, 2048 B)
    t = [Tensor("x", (16, 64), "int8", "input"), Tensor("y", (16, 64), "int8", "activation"),
         Tensor("wb", (64, 64), "int8", "weight"), Tensor("z", (16, 64), "int8", "activation")]
    ops = [Op("r", "elementwise", ("x", "x"), ("y",), fn="mul"),
           Op("b", "matmul", ("y", "wb"), ("z",), m=16, k=64, n=64, weight="wb")]
    r = simulate(arch(periphery=PERIPHERY), Workload("square", t, ops), keep_ops=True)
    assert link_bytes(r) == {"r": 1024, "b": 1024}


def test_an_im2col_matrix_read_off_the_chip_leaves_it():
    # rule 6 holds for a matrix the chip's own convolution reads; one another component reads is
    # made and sent out (the chip's claim pairs them, so the bytes are checked directly)
    from cimsim.hw.cim import offchip

    t = [Tensor("x", (16, 64), "int8", "input"), Tensor("cols", (16, 64), "int8", "activation"),
         Tensor("w", (64, 64), "int8", "weight"), Tensor("y", (16, 64), "int8", "activation")]
    ops = [Op("im", "copy", ("x",), ("cols",), tags={"part": "im2col"}),
           Op("conv", "matmul", ("cols", "w"), ("y",), m=16, k=64, n=64, weight="w")]
    a = Workload("conv", t, ops).arrays
    cfg = arch().component("cim").config
    one, own = np.ones(2), np.full(2, 1024.0)
    both = offchip.link_bytes(cfg, a, np.arange(2), one, one, own, own)
    assert both.inputs.tolist() == [1024, 0] and both.outputs.tolist() == [0, 1024]
    alone = offchip.link_bytes(cfg, a, np.array([0]), np.ones(1), np.ones(1), own[:1], own[:1])
    assert alone.inputs.tolist() == [1024] and alone.outputs.tolist() == [1024]


def test_a_multi_output_ops_unread_by_products_go_nowhere():
    # a norm on the periphery outputs y and its saved mean and rstd (16 x 4 B each); no op reads
    # the statistics: they are by-products, not model outputs (VGG-8's max-pool indices were
    # 99 % of its link bytes: a tester, 2026-12-05). y stays for b; b's z leaves.
    t = [Tensor("x", (16, 64), "int8", "input"), Tensor("y", (16, 64), "int8", "activation"),
         Tensor("mean", (16,), "fp32", "activation"), Tensor("rstd", (16,), "fp32", "activation"),
         Tensor("wb", (64, 64), "int8", "weight"), Tensor("z", (16, 64), "int8", "activation")]
    ops = [Op("ln", "layernorm", ("x",), ("y", "mean", "rstd")),
           Op("b", "matmul", ("y", "wb"), ("z",), m=16, k=64, n=64, weight="wb")]
    r = simulate(arch(periphery=PERIPHERY), Workload("norm", t, ops), keep_ops=True)
    assert link_bytes(r) == {"ln": 1024, "b": 1024}


def test_a_returned_tensor_leaves_the_chip_once_even_where_the_chip_reads_it():
    # find-F 1: the model returns y, z and o (metadata.outputs, output_hidden_states): the host
    # holds them, so y leaves at a (2,048 B of x in + 1,024 B out), z at b (1,024 B out, and b
    # pays the link latency), o at c (1,024 B out), though b and c read y and z on the chip
    w = three_layers()
    r = simulate(arch(), Workload(w.name, list(w.tensors.values()), list(w.ops),
                                  {"outputs": ["y", "z", "o"]}), keep_ops=True)
    assert link_bytes(r) == {"a": 2048 + 1024, "b": 1024, "c": 1024}
    assert (r.op_table["fixed_latency_s"] == LINK_LATENCY).all()
    # only o returned: as without the list
    r = simulate(arch(), Workload(w.name, list(w.tensors.values()), list(w.ops), {"outputs": ["o"]}),
                 keep_ops=True)
    assert link_bytes(r) == {"a": 2048, "b": 0, "c": 1024}


def test_a_returned_by_product_leaves_and_a_dropped_first_output_does_not():
    # the norm of the case above, its rstd returned: it leaves at ln (a returned second output,
    # topk's indices), at the periphery's 8 bits, 16 x 1 B (an fp32 activation the periphery
    # writes is stored at its bits: review 21 B1); listed outputs without y2 (an unread first
    # output the model drops): y2 goes nowhere
    t = [Tensor("x", (16, 64), "int8", "input"), Tensor("y", (16, 64), "int8", "activation"),
         Tensor("mean", (16,), "fp32", "activation"), Tensor("rstd", (16,), "fp32", "activation"),
         Tensor("wb", (64, 64), "int8", "weight"), Tensor("z", (16, 64), "int8", "activation"),
         Tensor("y2", (16, 64), "int8", "activation")]
    ops = [Op("ln", "layernorm", ("x",), ("y", "mean", "rstd")),
           Op("b", "matmul", ("y", "wb"), ("z",), m=16, k=64, n=64, weight="wb"),
           Op("d", "matmul", ("y", "wb"), ("y2",), m=16, k=64, n=64, weight="wb")]
    r = simulate(arch(periphery=PERIPHERY), Workload("norm", t, ops, {"outputs": ["rstd", "z"]}), keep_ops=True)
    assert link_bytes(r) == {"ln": 1024 + 16, "b": 1024, "d": 0}
    # without the list, y2 is taken for a model output and rstd for a by-product
    r = simulate(arch(periphery=PERIPHERY), Workload("norm", t, ops), keep_ops=True)
    assert link_bytes(r) == {"ln": 1024, "b": 1024, "d": 1024}


def test_a_tensor_made_off_the_chip_enters_once_for_all_its_readers():
    # x (a model input, 1024 B) read by q, k and v on the chip: in once, at q; each output leaves
    t = [Tensor("x", (16, 64), "int8", "input")]
    ops = []
    for p in "qkv":
        t += [Tensor(f"w{p}", (64, 64), "int8", "weight"), Tensor(p, (16, 64), "int8", "activation")]
        ops.append(Op(p, "matmul", ("x", f"w{p}"), (p,), m=16, k=64, n=64, weight=f"w{p}"))
    r = simulate(arch(), Workload("qkv", t, ops), keep_ops=True)
    assert link_bytes(r) == {"q": 1024 + 1024, "k": 1024, "v": 1024}
    # a chip too small for x (512 B): each reader brings it in
    r = simulate(arch(buffer="512 B"), Workload("qkv", t, ops), keep_ops=True)
    assert link_bytes(r) == {"q": 2048, "k": 2048, "v": 2048}


def test_a_spilled_tensor_goes_out_and_comes_back_at_one_size():
    # a's output at output_bits 4 (16 x 64 x 4 bits = 512 B) does not fit a 256 B chip: out at
    # 512 B, and the periphery's relu reads it back at 512 B (it came back at the workload's
    # 1024 B: a tester, 2026-12-05); relu's y2 (1024 B) does not fit either: out and back for b
    w = with_relu()
    r = simulate(arch(buffer="256 B", periphery=PERIPHERY, output_bits=4), w, keep_ops=True)
    assert link_bytes(r) == {"a": 2048 + 512, "r": 512 + 1024, "b": 1024 + 512}
    assert any("2 activation tensor(s)" in n for n in r.notes)


def test_a_depthwise_convolutions_im2col_stays_with_it_on_the_host():
    # the chip claims an im2col copy only with the convolution that reads it: a depthwise
    # convolution (no stationary weight) runs on the host, so does its im2col; the chip's
    # periphery shipped the whole matrix over the link (a tester, 2026-12-05)
    t = [Tensor("x", (16, 64), "fp32", "input"), Tensor("cols", (16, 64), "fp32", "activation"),
         Tensor("k", (64, 64), "fp32", "input"), Tensor("y", (16, 64), "fp32", "activation")]
    ops = [Op("im", "copy", ("x",), ("cols",), tags={"part": "im2col"}),
           Op("dw", "matmul", ("cols", "k"), ("y",), m=16, k=64, n=64)]
    d = copy.deepcopy(ARCH)
    d["processor"] = dict(PROCESSOR, macs_per_cycle_per_core={"fp32": 1}, energy_per_mac={"fp32": "1 pJ"})
    d["cim"]["chip"]["periphery"] = PERIPHERY
    r = simulate(architecture_from_dict(d), Workload("dw", t, ops), keep_ops=True)
    units = r.op_table.set_index("op")["unit"].to_dict()
    assert units == {"im": "processor", "dw": "processor"}
    assert r.traffic_bytes.get("noc", 0.0) == 0.0


def host_l3_arch(l3: str):
    """The chip behind a 1 us link, a host with an ``l3`` cache in front of a DRAM of 20 pJ/B and
    100 ns."""
    d = copy.deepcopy(ARCH)
    d["links"]["noc"]["latency"] = "1 us"
    d["memory"] = {"l3": {"capacity": l3, "bandwidth": "1 PB/s", "energy_per_byte": "0 pJ/B"},
                   **d["memory"]}
    d["memory"]["dram"].update(energy_per_byte="20 pJ/B", latency="100 ns")
    d["processor"] = dict(PROCESSOR, macs_per_cycle_per_core={"int8": 1},
                          energy_per_mac={"int8": "1 pJ"})
    return architecture_from_dict(d)


@pytest.mark.parametrize("l3, back", [("1 KiB", 1024), ("2 KiB", 0)])
def test_a_host_output_its_levels_do_not_hold_is_read_back_from_the_backing_store(l3, back):
    # rule 8 / hierarchy rules 7, 8: relu on the host reads y (1024 B) and writes y2 (1024 B);
    # its 2048 B of activations exceed a 1 KiB cache, so it reads y from DRAM, which a's chip
    # wrote there (hierarchy rule 8; before 2026-12-06 y was read there, never written), and
    # y2 went to DRAM, from where b's chip brings it in (1024 B, DRAM's 100 ns on top of the
    # link's 1 us); a 2 KiB cache holds them (before 2026-12-06 the host was taken to hold y2
    # either way)
    r = simulate(host_l3_arch(l3), with_relu(), keep_ops=True)
    ops = r.op_table.set_index("op")
    assert ops.loc["r", "unit"] == "processor"
    assert ops.loc["a", "dram_bytes"] == 2048 + back  # x (16 x 128) in, y written there or not
    assert ops.loc["r", "dram_bytes"] == 2 * back  # y read and y2 written there, or neither
    assert ops.loc["b", "dram_bytes"] == back
    assert r.write_bytes.get("dram", 0.0) == 2 * back  # y and y2
    assert ops.loc["b", "noc_bytes"] == 1024 + 1024  # y2 in, z out, either way
    assert ops.loc["b", "fixed_latency_s"] == pytest.approx(1e-6 + (100e-9 if back else 0.0),
                                                            rel=1e-12, abs=0)


@pytest.mark.parametrize("l3, back", [("1 KiB", 1024), ("2 KiB", 0)])
def test_a_chip_output_the_host_reads_from_the_backing_store_is_written_there(l3, back):
    # hierarchy rule 8: relu after the chip's last layer reads z (1024 B) and writes z2; past a
    # 1 KiB cache it reads z from DRAM, so b writes z's 1024 B there as it leaves the chip (20 pJ/B:
    # 20.48 nJ) and pays DRAM's 100 ns on top of the link's 1 us (b reads nothing from DRAM)
    w = two_layers()
    w = Workload("relu-after", list(w.tensors.values()) + [Tensor("z2", (16, 64), "int8", "activation")],
                 list(w.ops) + [Op("r", "elementwise", ("z",), ("z2",), fn="relu")])
    r = simulate(host_l3_arch(l3), w, keep_ops=True)
    ops = r.op_table.set_index("op")
    assert ops.loc["b", "unit"] == "cim" and ops.loc["r", "unit"] == "processor"
    assert ops.loc["b", "dram_bytes"] == back
    assert ops.loc["b", "noc_bytes"] == 1024  # z out; y stays on the chip
    assert ops.loc["b", "fixed_latency_s"] == pytest.approx(1e-6 + (100e-9 if back else 0.0),
                                                            rel=1e-12, abs=0)
    assert ops.loc["r", "dram_bytes"] == 2 * back
    assert r.energy_breakdown_j["dram"] == pytest.approx((2048 + 3 * back) * 20e-12, rel=1e-12,
                                                         abs=0)  # x, z written and read, z2


def relu_layers(dtype: str) -> Workload:
    """find-I 1: relu(x) (16 x 128) -> xr @ wa -> y (16 x 64); relu(y) -> y2; y2 @ wb -> z, all
    in ``dtype`` (the trace's dtype)."""
    t = [Tensor("x", (16, 128), dtype, "input"), Tensor("xr", (16, 128), dtype, "activation"),
         Tensor("wa", (128, 64), dtype, "weight"), Tensor("y", (16, 64), dtype, "activation"),
         Tensor("y2", (16, 64), dtype, "activation"), Tensor("wb", (64, 64), dtype, "weight"),
         Tensor("z", (16, 64), dtype, "activation")]
    ops = [Op("r0", "elementwise", ("x",), ("xr",), fn="relu"),
           Op("a", "matmul", ("xr", "wa"), ("y",), m=16, k=128, n=64, weight="wa"),
           Op("r", "elementwise", ("y",), ("y2",), fn="relu"),
           Op("b", "matmul", ("y2", "wb"), ("z",), m=16, k=64, n=64, weight="wb")]
    return Workload(f"relu-layers-{dtype}", t, ops)


@pytest.mark.parametrize("dtype", ["fp32", "fp16"])
def test_a_periphery_ops_tensors_take_its_bits_whatever_the_traces_dtype(dtype):
    # find-I 1: a 16-bit periphery behind 16-bit outputs writes 16-bit values: r's y2 is
    # 16 x 64 x 2 B = 2048 B and r0's xr 16 x 128 x 2 B = 4096 B, which fit the 4 KiB buffer
    # (at fp32's 4 B xr was 8192 B, spilled out by r0 and read back by a, so an fp32 trace ran
    # slower than an fp16 one); r0 takes the model input x at the periphery's 16 bits:
    # 16 x 128 x 2 B = 4096 B (fp32's 8192 B before); z leaves at output_bits:
    # 16 x 64 x 2 B = 2048 B. Both traces move the same bytes.
    r = simulate(arch(buffer="4 KiB", periphery=dict(PERIPHERY, bits=16), output_bits=16),
                 relu_layers(dtype), keep_ops=True)
    assert link_bytes(r) == {"r0": 4096, "a": 0, "r": 0, "b": 2048}
    assert not any("do not fit its buffers" in n for n in r.notes)


def mixed_dtypes(dtype: str) -> Workload:
    """Review B 1: xm = x * mask (x 16 x 128 in ``dtype``, mask 16 x 1 int64, a model input);
    y = xm @ wa (16 x 64); idx = argmax(y) (16 int64) and pos = y > 0 (16 x 64 bool: a compare,
    fn max), both model outputs; idx2 = argmax(s), s (16 x 64 in ``dtype``) a model input."""
    t = [Tensor("x", (16, 128), dtype, "input"), Tensor("mask", (16, 1), "int64", "input"),
         Tensor("xm", (16, 128), dtype, "activation"), Tensor("wa", (128, 64), dtype, "weight"),
         Tensor("y", (16, 64), dtype, "activation"), Tensor("idx", (16,), "int64", "activation"),
         Tensor("pos", (16, 64), "bool", "activation"), Tensor("s", (16, 64), dtype, "input"),
         Tensor("idx2", (16,), "int64", "activation")]
    ops = [Op("m", "elementwise", ("x", "mask"), ("xm",), fn="mul"),
           Op("a", "matmul", ("xm", "wa"), ("y",), m=16, k=128, n=64, weight="wa"),
           Op("am", "reduction", ("y",), ("idx",)),
           Op("g", "elementwise", ("y",), ("pos",), fn="max"),
           Op("am2", "reduction", ("s",), ("idx2",))]
    return Workload(f"mixed-{dtype}", t, ops)


@pytest.mark.parametrize("dtype", ["fp32", "fp16"])
def test_a_periphery_op_sizes_each_tensor_by_its_own_dtype(dtype):
    # review B 1: one factor per op (its first output's dtype) sized the int64 mask at 4 B an
    # element in an fp32 trace ((16 / 8) / 4 = 0.5 x 8 B) and 8 B in an fp16 one, the argmax's
    # indices at 2 B (0.25 x 8 B) and the bool at 2 B. Now each tensor by its own dtype: x at
    # the periphery's 16 bits, 16 x 128 x 2 B = 4096 B, the int64 mask at its 8 B, 16 x 8 =
    # 128 B (an index or mask keeps its width); idx leaves at 16 x 8 = 128 B, pos at
    # 16 x 64 x 1 B = 1024 B. am2's fp32 / fp16 input s enters at 16 bits, 16 x 64 x 2 B =
    # 2048 B (at the int64 op's 0.25 factor it entered at 1024 B / 512 B), idx2 leaves at 128 B.
    # The same bytes for both traces.
    r = simulate(arch(buffer="64 KiB", periphery=dict(PERIPHERY, bits=16)), mixed_dtypes(dtype),
                 keep_ops=True, engine="analytic")
    assert link_bytes(r) == {"m": 4096 + 128, "a": 0, "am": 128, "g": 1024, "am2": 2048 + 128}


def test_output_bits_default_to_the_peripherys_bits():
    # review B 2: without chip.output_bits a matmul's outputs were at the trace's bytes (fp32:
    # z 16 x 64 x 4 B = 4096 B) while the periphery's ReLU of y was at its 16 bits. Now the
    # default is periphery.bits: z leaves at 16 x 64 x 2 B = 2048 B, as with output_bits 16
    r = simulate(arch(buffer="4 KiB", periphery=dict(PERIPHERY, bits=16)), relu_layers("fp32"),
                 keep_ops=True)
    assert link_bytes(r) == {"r0": 4096, "a": 0, "r": 0, "b": 2048}
    # given, output_bits still decides: 8 bits, z at 16 x 64 x 1 B
    r = simulate(arch(buffer="4 KiB", periphery=dict(PERIPHERY, bits=16), output_bits=8),
                 relu_layers("fp32"), keep_ops=True)
    assert link_bytes(r)["b"] == 1024


def test_a_spill_of_trace_sized_matmul_outputs_says_to_set_output_bits():
    # review B 2: no periphery, no output_bits: y and z (int8, 1024 B each) spill from a 512 B
    # buffer at the trace's bytes; the note says how many of them and what to set
    r = simulate(arch(buffer="512 B"), three_layers(), keep_ops=False)
    assert any("2 of them are matmul outputs at the trace's dtype (cim.chip.output_bits unset, "
               "no periphery): set it" in n for n in r.notes), r.notes
    r = simulate(arch(buffer="512 B", output_bits=8), three_layers(), keep_ops=False)
    assert not any("matmul outputs at the trace's dtype" in n for n in r.notes)


def test_without_producer_columns_a_periphery_ops_outputs_take_its_bits_too():
    # review B 4: without the producer columns every tensor crosses, at the same rule 2 as with
    # them: relu r0 of the fp32 trace reads x and writes xr at 16 bits, 16 x 128 x 2 B = 4096 B
    # each way (its output was at the trace's 8192 B while its input was at 4096 B); relu r
    # 16 x 64 x 2 B = 2048 B each way
    from dataclasses import replace

    a = arch(buffer="64 KiB", periphery=dict(PERIPHERY, bits=16), output_bits=16)
    ops = relu_layers("fp32").arrays
    bare = replace(ops, producer=None, act_ptr=None, act_ids=None)
    plan = a.component("cim").place(bare, np.arange(4))
    assert plan.state["link_in"][[0, 2]].tolist() == [4096, 2048]
    assert plan.state["link_out"][[0, 2]].tolist() == [4096, 2048]
