"""LoRA on CIM (find-L 2 and 4): ``cim.exclude`` keeps named weights (the adapters) off the
arrays, and the op table gives each matrix's one programming (an adapter switch's cost).

One LoRA projection on 16 int8 tokens, d = 256, rank 8: the base x W (256 x 256), the adapter
A (256 x 8) then B (8 x 256), their sum. The round CIM (conftest: 128 x 128 arrays, 2 bits per
cell, 8-bit weights: 4 columns a weight; 8 one-bit input slices; ADC 2 pJ a conversion; a
write 10 pJ a cell, 1 us a row) and the round host (int8 0.25 pJ a MAC), link 1 pJ/bit, DRAM
10 pJ/bit.

Closed form:

- arrays, ceil(k / 128) x ceil(4 n / 128): W 2 x 8 = 16, A 2 x 1 = 2, B 1 x 8 = 8;
- B on the arrays: its 8 arrays convert every column for each of 16 rows and 8 slices,
  16 x 8 x 1,024 = 131,072 conversions x 2 pJ = 262.144 nJ of ADC; on the host 16 x 8 x 256 =
  32,768 MACs x 0.25 pJ = 8.192 nJ;
- programming B once: 8 rows x 1,024 columns = 8,192 cells x 10 pJ = 81.92 nJ, and its
  8 x 256 = 2,048 B read from DRAM and carried over the link, 2,048 x (80 + 8) pJ = 180.224 nJ,
  262.144 nJ in all; its cells take 8 rows x 1 us = 8 us; A's 256 rows span 2 arrays, written
  in parallel: 128 rows x 1 us.
"""

from __future__ import annotations

import copy

import pytest

from cimsim import simulate
from cimsim.errors import ConfigError, MappingError
from cimsim.report import columns as C
from cimsim.workload import Op, Tensor, Workload

from conftest import ROUND_CIM, ROUND_LINK, make_arch

D, R, T = 256, 8, 16


def lora_workload() -> Workload:
    t = [Tensor("x", (T, D), "int8", "input"),
         Tensor("q.base.weight", (D, D), "int8", "weight"),
         Tensor("q.lora_A.weight", (D, R), "int8", "weight"),
         Tensor("q.lora_B.weight", (R, D), "int8", "weight"),
         Tensor("y0", (T, D), "int8", "activation"),
         Tensor("a", (T, R), "int8", "activation"),
         Tensor("b", (T, D), "int8", "activation"),
         Tensor("y", (T, D), "int8", "activation")]
    ops = [Op("q.base.mm", "matmul", ("x", "q.base.weight"), ("y0",), m=T, k=D, n=D,
              weight="q.base.weight"),
           Op("q.lora_A.mm", "matmul", ("x", "q.lora_A.weight"), ("a",), m=T, k=D, n=R,
              weight="q.lora_A.weight"),
           Op("q.lora_B.mm", "matmul", ("a", "q.lora_B.weight"), ("b",), m=T, k=R, n=D,
              weight="q.lora_B.weight"),
           Op("q.add", "elementwise", ("y0", "b"), ("y",), fn="add")]
    return Workload("lora-q", t, ops)


def arch(**cim):
    c = copy.deepcopy(ROUND_CIM)
    c.update(cim)
    return make_arch(name="round-cim", cim=c, interconnect=dict(ROUND_LINK))


def units(r) -> dict:
    return dict(zip(r.op_table["op"], r.op_table["unit"]))


@pytest.mark.parametrize("engine", ["des", "analytic"])
def test_excluded_adapters_run_on_the_host_in_both_engines(engine):
    wl = lora_workload()
    both = simulate(arch(), wl, engine=engine)
    lora = simulate(arch(exclude=["*.lora_A.*", "*.lora_B.*"]), wl, engine=engine)
    assert units(both)["q.lora_B.mm"] == "cim"
    assert units(lora) == {"q.base.mm": "cim", "q.lora_A.mm": "processor",
                           "q.lora_B.mm": "processor", "q.add": "processor"}
    assert both.record()[C.fact_column("cim", "arrays_needed")] == 16 + 2 + 8
    assert lora.record()[C.fact_column("cim", "arrays_needed")] == 16
    assert lora.macs_per_unit == {"processor": 2 * T * D * R, "cim": T * D * D}
    # B's ADC energy leaves the arrays; its MACs cost the host's int8 rate
    adc = both.energy_breakdown_j["cim_adc"] - lora.energy_breakdown_j["cim_adc"]
    # B, and A: 2 row tiles of 32 columns
    assert adc == pytest.approx(T * 8 * 1024 * 2e-12 + T * 8 * 2 * 32 * 2e-12, rel=1e-12, abs=0)
    host = lora.energy_breakdown_j["processor_compute"] - both.energy_breakdown_j["processor_compute"]
    assert host == pytest.approx(2 * T * D * R * 0.25e-12, rel=1e-12, abs=0)
    note = [n for n in lora.notes if "exclude kept" in n]
    assert len(note) == 1, lora.notes
    assert ("exclude kept 2 matmul(s) with 2 stationary weight(s), 65.54 kMAC of 1.114 MMAC"
            in note[0]) and "'*.lora_A.*' 1 matmul(s), 1 weight(s), 32.77 kMAC" in note[0]
    assert not [n for n in both.notes if "exclude kept" in n]


def test_a_pattern_matching_no_weight_is_a_note_naming_it():
    """Rule 3: a note, not an error (one config serves an adapted model and its base)."""
    r = simulate(arch(exclude=["*.lora_A.*", "*.lora_C.*"]), lora_workload())
    said = [n for n in r.notes if "exclude" in n]
    assert len(said) == 1, r.notes
    assert said[0].startswith("cim: exclude kept 1 matmul(s)")
    assert ("; cim.exclude: pattern '*.lora_C.*' matches none of this workload's 3 stationary "
            "weight names (e.g. 'q.base.weight'") in said[0]
    assert units(r)["q.lora_A.mm"] == "processor" and units(r)["q.lora_B.mm"] == "cim"


@pytest.mark.parametrize("bad", [[""], ["*.A.*", "*.A.*"]])
def test_empty_or_repeated_patterns_are_refused(bad):
    with pytest.raises(ConfigError, match="cim: exclude: each pattern must be a non-empty glob, listed once"):
        arch(exclude=bad)


def _cli(args):
    from click.testing import CliRunner
    from cimsim.cli import main
    return CliRunner().invoke(main, args)


def _saved(tmp_path, wl) -> str:
    import json
    from cimsim.workload.io import workload_to_dict
    path = tmp_path / f"{wl.name}.json"
    path.write_text(json.dumps(workload_to_dict(wl)))
    return str(path)


def base_workload() -> Workload:
    """The rank-0 baseline of :func:`lora_workload`: the base projection alone."""
    t = [Tensor("x", (T, D), "int8", "input"), Tensor("q.base.weight", (D, D), "int8", "weight"),
         Tensor("y", (T, D), "int8", "activation")]
    return Workload("base-q", t, [Op("q.base.mm", "matmul", ("x", "q.base.weight"), ("y",), m=T,
                                     k=D, n=D, weight="q.base.weight")])


def test_cli_run_says_an_unmatched_pattern_and_runs(tmp_path):
    res = _cli(["run", "rram-cim", _saved(tmp_path, lora_workload()), "--set",
                'cim.exclude=["*.lora_C.*"]'])  # a typo: visible, the run goes on
    assert res.exit_code == 0, res.output
    assert "cim.exclude: pattern '*.lora_C.*' matches none of this workload's 3" in res.output


def test_compare_runs_one_exclude_config_over_an_adapted_model_and_its_base(tmp_path):
    """review17-8 item 5: the base model has no adapter, so the patterns match nothing there;
    compare runs both and its note names the config and the workload."""
    res = _cli(["compare", "rram-cim", "-w", _saved(tmp_path, lora_workload()), "-w",
                _saved(tmp_path, base_workload()), "--set",
                'cim.exclude=["*.lora_A.*","*.lora_B.*"]'])
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert any(ln.startswith("note (rram-cim on lora-q): cim: exclude kept 2 matmul(s)")
               for ln in lines), res.output
    assert any(ln.startswith("note (rram-cim on base-q): cim.exclude: patterns "
                             "'*.lora_A.*', '*.lora_B.*' match none of this workload's 1 ")
               for ln in lines), res.output


def test_each_matrix_programming_is_on_its_first_op():
    r = simulate(arch(), lora_workload())
    ops = r.op_table.set_index("op")
    b = ops.loc["q.lora_B.mm"]
    assert b["cim_program_energy_j"] == pytest.approx(8 * 1024 * 10e-12 + 2048 * (80 + 8) * 1e-12, rel=1e-12, abs=0)
    assert b["cim_program_write_s"] == pytest.approx(8 * 1e-6, rel=1e-12, abs=0)
    assert b["cim_program_weight_bits"] == 8 * 256 * 8  # 2,048 B
    assert ops.loc["q.lora_A.mm", "cim_program_write_s"] == pytest.approx(128 * 1e-6, rel=1e-12, abs=0)
    assert ops.loc["q.add", "cim_program_energy_j"] == 0  # the host's op: no matrix


def two_adapters() -> Workload:
    """One base and two adapters used in turn (0, 1, 0): 16 + 2 x (2 + 8) = 36 arrays."""
    t = [Tensor("x", (T, D), "int8", "input"), Tensor("W", (D, D), "int8", "weight")]
    ops = [Op("base", "matmul", ("x", "W"), ("y",), m=T, k=D, n=D, weight="W")]
    t.append(Tensor("y", (T, D), "int8", "activation"))
    for i in (0, 1):
        t += [Tensor(f"lora_A{i}.weight", (D, R), "int8", "weight"),
              Tensor(f"lora_B{i}.weight", (R, D), "int8", "weight")]
    prev = "y"
    for j, i in enumerate((0, 1, 0)):
        t += [Tensor(f"a{j}", (T, R), "int8", "activation"),
              Tensor(f"b{j}", (T, D), "int8", "activation")]
        ops += [Op(f"A{i}.{j}", "matmul", (prev, f"lora_A{i}.weight"), (f"a{j}",), m=T, k=D, n=R,
                   weight=f"lora_A{i}.weight"),
                Op(f"B{i}.{j}", "matmul", (f"a{j}", f"lora_B{i}.weight"), (f"b{j}",), m=T, k=R,
                   n=D, weight=f"lora_B{i}.weight")]
        prev = f"b{j}"
    return Workload("two-adapters", t, ops)


def test_switch_cost_is_what_re_programming_charges():
    """Two adapters of one base, used in turn (0, 1, 0): 16 + 2 x (2 + 8) = 36 arrays needed,
    28 exist, so the LRU re-programs adapters; each re-programming op's write energy is its
    matrix's cells, and the op-table column names its matrix's whole cost."""
    wl = two_adapters()
    r = simulate(arch(arrays=28), wl)
    tab = r.op_table.set_index("op")
    re = tab.index[tab["cim_reprogram"]].tolist()
    assert re, r.notes
    cells = {"b": 256 * 1024, "A": 256 * 32, "B": 8 * 1024}  # b: the base
    assert r.energy_breakdown_j["cim_write"] == pytest.approx(
        sum(cells[o[0]] for o in re) * 10e-12, rel=1e-12, abs=0)
    switch = sum(tab.loc[o, "cim_program_energy_j"] for o in ("A1.1", "B1.1"))
    assert switch == pytest.approx((cells["A"] + cells["B"]) * 10e-12 + 2 * 2048 * 88e-12, rel=1e-12, abs=0)


def test_accuracy_refuses_exclude_rather_than_score_host_matmuls_as_cim():
    from cimsim.accuracy.target import AccuracyError, cim_arith
    c = arch(exclude=["*.lora_A.*"]).components["cim"]
    with pytest.raises(AccuracyError, match=r"--accuracy: cim\.exclude \(\*\.lora_A\.\*\) is not emulated"):
        cim_arith("cim", c)
    cim_arith("cim", arch().components["cim"])  # without it, scored as before


def test_a_chip_block_honours_exclude_too():
    """conftest's tiny chip: 16 arrays of 64 x 64, 8 bits a cell (a weight a column): W takes
    4 x 4 = 16 arrays, A 4 x 1, B 1 x 4, 24 in all: the adapters make it re-program; excluded,
    the base alone fills the 16 and nothing re-programs. W's one programming: 256 x 256 cells x
    1 pJ = 65.536 nJ (DRAM and link move bytes at 0 pJ), its 64 rows x 10 ns = 640 ns."""
    from cimsim.config import architecture_from_dict
    from conftest import ROUND_ARCH, tiny_chip
    d = tiny_chip("serial", {})
    d["processor"] = copy.deepcopy(ROUND_ARCH["processor"])
    both = simulate(architecture_from_dict(d), lora_workload())
    d["cim"]["exclude"] = ["*.lora_?.weight"]
    lora = simulate(architecture_from_dict(d), lora_workload())
    assert both.record()[C.fact_column("cim", "arrays_needed")] == 24
    assert both.record()[C.fact_column("cim", "reprograms")] > 0
    assert lora.record()[C.fact_column("cim", "arrays_needed")] == 16
    assert lora.record()[C.fact_column("cim", "reprograms")] == 0
    assert units(lora)["q.lora_A.mm"] == units(lora)["q.lora_B.mm"] == "processor"
    w = lora.op_table.set_index("op").loc["q.base.mm"]
    assert w["cim_program_energy_j"] == pytest.approx(256 * 256 * 1e-12, rel=1e-12, abs=0)
    assert w["cim_program_write_s"] == pytest.approx(64 * 10e-9, rel=1e-12, abs=0)


def test_a_cim_without_a_host_says_exclude_is_why_a_matmul_has_no_unit():
    from cimsim.config import architecture_from_dict
    from conftest import tiny_chip
    d = tiny_chip("serial", {})
    d["cim"]["exclude"] = ["*.lora_A.*"]
    with pytest.raises(MappingError, match=r"cim\.exclude keeps 1 of them off the arrays, and "
                       "nothing else runs a matmul"):
        simulate(architecture_from_dict(d), lora_workload())


@pytest.mark.torch
def test_an_excluded_matmul_s_epilogue_does_not_ride_on_nmc():
    """review17-4 item 6: the bias add + ReLU after an excluded Linear runs where it runs."""
    from cimsim.config import load_architecture
    from test_cim_nmc_epilogue import NMC, _mlp
    w = _mlp()
    on = units(simulate(load_architecture("sram-cim-derived", NMC), w))
    off = units(simulate(load_architecture("sram-cim-derived",
                                           {**NMC, "cim.exclude": ["2.weight"]}), w))
    mm = [o.name for o in w.ops if o.weight == "2.weight"]
    after = [o.name for o in w.ops if o.inputs and o.inputs[0] in
             {t for op in w.ops if op.name in mm for t in op.outputs}]
    assert len(mm) == 1 and after, [o.name for o in w.ops]
    assert on[mm[0]] == "cim" and {on[a] for a in after} == {"cim"}  # rides with nmc
    assert off[mm[0]] == "processor" and {off[a] for a in after} == {"processor"}
    assert {off[o.name] for o in w.ops if o.weight not in (None, "2.weight")} == {"cim"}


@pytest.mark.torch
@pytest.mark.slow
def test_a_chip_block_leaves_an_excluded_convolution_s_im2col_with_it():
    """review17-4 item 2: c2 excluded, its im2col copy runs on the host as c2 does (it ran on
    the chip at 0 J, moving c2's windows there for nothing); c1's stays on the chip."""
    from cimsim.config import architecture_from_dict
    from test_cim_chip import ARCH, PROCESSOR, small_cnn
    w = small_cnn()
    d = copy.deepcopy(ARCH)
    d["processor"] = PROCESSOR
    d["cim"].update(arrays=64, bits_per_cell=2, exclude=["c2.weight"])
    d["cim"]["chip"] = {"node_nm": 22, "layer_unit": "tile",
                        "levels": {"pe": {"fanout": 4}, "tile": {"fanout": 4},
                                   "chip": {"fanout": 4}}}
    got = units(simulate(architecture_from_dict(d), w, keep_ops=True))
    im2col = {o.outputs[0]: o.name for o in w.ops if o.tags.get("part") == "im2col"}
    conv = {o.weight: o.name for o in w.ops if o.tags.get("part") == "conv"}
    feeds = {o.weight: im2col[o.inputs[0]] for o in w.ops if o.tags.get("part") == "conv"}
    assert got[conv["c2.weight"]] == got[feeds["c2.weight"]] == "processor"
    assert got[conv["c1.weight"]] == got[feeds["c1.weight"]] == "cim"
