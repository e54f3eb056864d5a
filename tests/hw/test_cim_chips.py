"""Several chips of one flat CIM design (``cim.chips``, ``cim.chip_link``: hw/cim/chips.py),
real runs checked against closed forms.

The machine: ROUND_ARCH's host (1 W static) with ROUND_CIM's 128 x 128 RRAM arrays (8-bit
weights in 2-bit cells: 4 columns a weight), 1 W static power per chip, the host link
``interconnect`` (100 GB/s, 10 ns, 1 pJ/bit) and a chip-to-chip link ``c2c`` (10 GB/s, 50 ns,
2 pJ/bit). The workload: 4 chained int8 matmuls, each (4 x 256) @ (256 x 256): a 256 x 256
matrix takes ceil(256 / 128) x ceil(256 x 4 / 128) = 2 x 8 = 16 arrays, 64 in all; each op
reads 4 x 256 = 1,024 B of inputs (8-bit) and writes 1,024 B.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from cimsim import simulate
from cimsim.cli import main
from cimsim.config import architecture_from_dict
from cimsim.errors import ConfigError, MappingError
from cimsim.hw.cim.chips import assign
from cimsim.workload.generators import matmul

from conftest import ROUND_ARCH, ROUND_CIM, ROUND_LINK

C2C = {"bandwidth": "10 GB/s", "latency": "50 ns", "energy_per_bit": "2 pJ/bit"}
IO = 4 * 256  # bytes of one op's inputs, and of its outputs


def arch_dict(**cim):
    d = copy.deepcopy(ROUND_ARCH)
    d["cim"] = {**copy.deepcopy(ROUND_CIM), "link": "interconnect", "static_power": "1 W",
                "chip_link": "c2c", **cim}
    d["links"] = {"interconnect": dict(ROUND_LINK), "c2c": dict(C2C)}
    return d


def chain(count=4, k=256):
    return matmul(m=4, k=k, n=k, count=count, chain=True, dtype="int8")


def run(**cim):
    return simulate(architecture_from_dict(arch_dict(**cim)), chain())


def test_two_small_chips_hold_what_one_re_programs():
    """On chips of 32 arrays the 64 arrays of weights take 2: with chips: 1 the arrays are
    re-programmed (the note says 2 chips would hold them and how to ask for them); with
    chips: 2 nothing is, matrices 0-1 on chip 0 and 2-3 on chip 1 (next fit in first-use
    order), so the one activation that crosses is op 1's output read by op 2: 1,024 B over c2c
    (at 2 pJ/bit: 1,024 x 8 x 2 pJ = 16.384 nJ) instead of the host link, which carries the
    other 4 x (1,024 + 1,024) - 1,024 = 7,168 B."""
    one, two = run(arrays=32, chips=1), run(arrays=32, chips=2)
    r1, r2 = one.record(), two.record()
    assert one.facts["cim_reprograms"] > 0
    assert ("cim: weights need 64 arrays but only 32 exist (2 chips of this size would hold "
            "them: ceil(64 / 32); one chip is modelled, re-programmed: cim.chips: 2 with a "
            "cim.chip_link splits the weights across chips)") in " ".join(one.notes)
    assert r1["c2c_bytes"] == 0.0
    # with weight_replication on (every bundled CIM config), which several chips refuse, the
    # advice says to turn it off too (review15-1 #4)
    rep = run(arrays=32, chips=1, weight_replication=True)
    assert ("cim.chips: 2 with a cim.chip_link and cim.weight_replication: false splits the "
            "weights across chips)") in " ".join(rep.notes)
    two_rep = architecture_from_dict(arch_dict(arrays=32, chips=2, weight_replication=False))
    assert simulate(two_rep, chain()).facts["cim_reprograms"] == 0  # the advice, followed, runs
    assert two.facts["cim_reprograms"] == 0
    assert two.latency_s < one.latency_s / 10
    assert r2["c2c_bytes"] == IO
    assert r2["energy_c2c_j"] == pytest.approx(IO * 8 * 2e-12, rel=1e-12, abs=0)
    assert r2["interconnect_bytes"] == 4 * (IO + IO) - IO
    assert ("cim: 2 chips of 32 arrays (64 in all): the matrices use 2 of "
            "them (arrays per chip, whole matrices: 32, 32 arrays); 1.024 kB of activations cross c2c"
            in " ".join(two.notes))
    # op 2 (the third matmul) alone pays c2c's 50 ns latency beside the host link's 10 ns
    ops = two.op_table
    assert ops["fixed_latency_s"].tolist()[1:] == pytest.approx([10e-9, 60e-9, 10e-9], rel=1e-9, abs=0)
    assert ops["c2c_bytes"].tolist() == [0.0, 0.0, IO, 0.0]


@pytest.mark.parametrize("engine", ["des", "analytic"])
def test_an_input_over_the_chip_link_arrives_before_the_output_leaves(engine):
    """Four chained one-row matmuls (1 x 256) @ (256 x 256) on 2 chips of 32 arrays: op 2 reads
    op 1's output from the other chip. A one-row op is serial (input, compute, output), so its
    256 B of input over c2c (10 GB/s, 50 ns) and its 256 B of output over the host link (100
    GB/s, 10 ns) add, as one link's would: 256 / 10e9 + 50 ns + C + 256 / 100e9 + 10 ns, with C
    = 8 input bits x 1-bit DAC x max(100 ns read, 128 columns / 1.28 GHz) = 800 ns: 888.16 ns
    (find-H #1: the engine overlapped the two links, 800 + max(25.6, 2.56) + 60 = 885.6 ns; with
    c2c as fast as the host link the cross-chip op beat the same op on one chip)."""
    wl = matmul(m=1, k=256, n=256, count=4, chain=True, dtype="int8")
    r = simulate(architecture_from_dict(arch_dict(arrays=32, chips=2)), wl, engine=engine)
    ops = r.op_table
    assert ops["c2c_bytes"].tolist() == [0.0, 0.0, 256.0, 0.0]
    took = (ops["end_s"] - ops["start_s"]).tolist()
    compute = 8 * max(100e-9, 128 / 1.28e9)
    assert took[2] == pytest.approx(256 / 10e9 + 50e-9 + compute + 256 / 100e9 + 10e-9,
                                    rel=1e-9, abs=0)
    assert took[1] == pytest.approx(512 / 100e9 + compute + 10e-9, rel=1e-9, abs=0)  # one chip
    # c2c equal to the host link: the cross-chip op pays one more latency, never less time
    d = arch_dict(arrays=32, chips=2)
    d["links"]["c2c"] = dict(ROUND_LINK)
    same = simulate(architecture_from_dict(d), wl, engine=engine).op_table
    took = (same["end_s"] - same["start_s"]).tolist()
    assert took[2] == pytest.approx(took[1] + 10e-9, rel=1e-9, abs=0)


@pytest.mark.parametrize("engine", ["des", "analytic"])
def test_a_many_row_op_overlaps_its_chip_link_input_with_its_output(engine):
    """The same chain with 64 rows, c2c at 0.25 GB/s: op 2's rows pipeline (row r's output
    leaves over the host link while rows r+1.. still arrive over c2c), so its 64 x 256 =
    16,384 B over c2c (65.536 us) hide its 16,384 B of output over the host link (163.84 ns)
    and it ends one row's compute (800 ns) after its last input row, plus both latencies:
    16,384 / 0.25e9 + 800 ns + 50 ns + 10 ns = 66.396 us (its whole compute, 64 x 800 ns =
    51.2 us, ends earlier). review15-4 #1: the one-row rule (chip link ahead of the host link)
    applied to it too and added the 163.84 ns."""
    wl = matmul(m=64, k=256, n=256, count=4, chain=True, dtype="int8")
    d = arch_dict(arrays=32, chips=2)
    d["links"]["c2c"]["bandwidth"] = "0.25 GB/s"
    ops = simulate(architecture_from_dict(d), wl, engine=engine).op_table
    assert ops["c2c_bytes"].tolist() == [0.0, 0.0, 64 * 256.0, 0.0]
    assert ops["interconnect_bytes"].tolist()[2] == 64 * 256.0
    took = (ops["end_s"] - ops["start_s"]).tolist()
    assert took[2] == pytest.approx(64 * 256 / 0.25e9 + 8 * 100e-9 + 50e-9 + 10e-9,
                                    rel=1e-9, abs=0)


@pytest.mark.parametrize("engine", ["des", "analytic"])
def test_the_critical_path_books_an_ahead_transfer_and_the_rest_to_their_own_links(engine):
    """The one-row chain above: op 2's 28.16 ns of transfers are its 256 B over c2c (256 /
    10e9 = 25.6 ns) then its 256 B of output over the host link (2.56 ns): the path books each
    to its own link (review15-4 #4: all 28.16 ns went to c2c, the slowest, and none to the host
    link). Ops 1 and 3 move 512 B each over the host link (5.12 ns), op 0 reads its input from
    DRAM (25.6 ns, slower than its 5.12 ns over the link): the host link's path time is 5.12 +
    2.56 + 5.12 = 12.8 ns."""
    wl = matmul(m=1, k=256, n=256, count=4, chain=True, dtype="int8")
    r = simulate(architecture_from_dict(arch_dict(arrays=32, chips=2)), wl, engine=engine)
    row = r.path_table.set_index("op_index").loc[2]
    assert row["c2c_s"] == pytest.approx(256 / 10e9, rel=1e-9, abs=0)
    assert row["interconnect_s"] == pytest.approx(256 / 100e9, rel=1e-9, abs=0)
    assert row["compute_s"] == pytest.approx(8 * 100e-9, rel=1e-9, abs=0)
    rec = r.record()
    assert rec["path_c2c_s"] == pytest.approx(256 / 10e9, rel=1e-9, abs=0)
    assert rec["path_interconnect_s"] == pytest.approx((512 + 256 + 512) / 100e9, rel=1e-9, abs=0)


def test_static_energy_and_utilization_count_every_chip():
    """On chips of 64 arrays all 4 matrices fit chip 0: a second chip changes no op (the same
    latency, nothing over c2c) but doubles the CIM's static power (1 W -> 2 W; the host's 1 W
    beside it: static energy (1 + 1) x t -> (1 + 2) x t) and halves the arrays' utilization
    (the same array-seconds over 128 arrays instead of 64); the peak MAC rate doubles."""
    a1, a2 = (architecture_from_dict(arch_dict(arrays=64, chips=n)) for n in (1, 2))
    one, two = simulate(a1, chain()), simulate(a2, chain())
    assert two.latency_s == one.latency_s
    t = one.latency_s
    assert one.record()["energy_static_j"] == pytest.approx(2.0 * t, rel=1e-12, abs=0)
    assert two.record()["energy_static_j"] == pytest.approx(3.0 * t, rel=1e-12, abs=0)
    assert two.record()["util_cim_arrays"] == pytest.approx(one.record()["util_cim_arrays"] / 2,
                                                          rel=1e-12, abs=0)
    assert two.record()["c2c_bytes"] == 0.0
    c1, c2 = (next(c for c in a.instances if c.name == "cim") for a in (a1, a2))
    assert c2.peak_macs_per_s("int8") == 2 * c1.peak_macs_per_s("int8")
    assert "nothing crosses c2c (no op reads an output made on another chip" in " ".join(two.notes)


def test_the_chip_links_static_power_counts_once_per_chip():
    """Each chip has its own port on cim.chip_link (ISAAC states its HyperTransport per chip,
    10.4 W): c2c at 10.4 W on 2 and 8 chips of 64 arrays (all 4 matrices on chip 0, the same
    run) adds 2 x 10.4 and 8 x 10.4 W to the host's 1 W and the chips' 1 W each (find-H #2:
    10.4 W whatever the chip count); a host link named as chip_link is one link, counted once."""
    for n in (2, 8):
        d = arch_dict(arrays=64, chips=n)
        d["links"]["c2c"]["static_power"] = "10.4 W"
        r = simulate(architecture_from_dict(d), chain())
        assert r.record()["energy_static_j"] == pytest.approx((1 + n * 1 + n * 10.4) * r.latency_s,
                                                              rel=1e-12, abs=0)
    d = arch_dict(arrays=64, chips=2, chip_link="interconnect")
    d["links"]["interconnect"]["static_power"] = "10.4 W"
    r = simulate(architecture_from_dict(d), chain())
    assert r.record()["energy_static_j"] == pytest.approx((1 + 2 + 10.4) * r.latency_s,
                                                          rel=1e-12, abs=0)


def test_the_placement_note_summarises_many_chips():
    """100,000 chips of 32 arrays hold the 64 arrays on chips 0 and 1: the note shows the first
    6 chips, the 100,000 - 8 = 99,992 left out, the last 2, and the 100,000 - 2 = 99,998 that
    hold none, not one number a chip (find-H #3: 300 kB of zeros)."""
    r = run(arrays=32, chips=100_000)
    note = next(n for n in r.notes if n.startswith("cim: 100,000 chips"))
    assert ("(arrays per chip, whole matrices: 32, 32, 0, 0, 0, 0, ... 99,992 more ..., 0, 0 arrays; "
            "99,998 of the 100,000 chips hold none)") in note
    assert len(note) < 500


def test_area_counts_every_chip():
    """A given area by part is one chip's: chips: 3 reports 3 x each part."""
    area = {"array": "0.001 mm^2", "adc": "0.002 mm^2", "dac": "0.0001 mm^2",
            "digital": "0.0005 mm^2", "buffer": "1 mm^2", "other": "2 mm^2"}
    a1, a3 = (architecture_from_dict(arch_dict(arrays=64, chips=n, area=area)) for n in (1, 3))
    p1, p3 = (next(c for c in a.instances if c.name == "cim").area_m2() for a in (a1, a3))
    assert p1.keys() == p3.keys()
    for part in p1:
        assert p3[part] == pytest.approx(3 * p1[part], rel=1e-12, abs=0)


def test_a_matrix_larger_than_a_chip_spans_chips():
    """One (4 x 512) @ (512 x 256) matmul: 4 x 8 = 32 arrays on chips of 16: it spans 2 chips
    and its op moves (2 - 1) x (its 4 x 512 B of inputs + 4 x 256 B of outputs) = 3,072 B over
    c2c (rule 4); nothing is re-programmed."""
    r = simulate(architecture_from_dict(arch_dict(arrays=16, chips=2)),
                 matmul(m=4, k=512, n=256, dtype="int8"))
    assert r.facts["cim_reprograms"] == 0
    assert r.record()["c2c_bytes"] == 4 * 512 + 4 * 256
    assert "1 matrix spans chips" in " ".join(r.notes)
    # its 32 arrays are busy as on one chip of 32 (review15-1 #1: the spanning matrix counted
    # one chip's 16): the same array-seconds over the same 32 arrays, so util x latency agree
    one = simulate(architecture_from_dict(arch_dict(arrays=32, chips=1)),
                   matmul(m=4, k=512, n=256, dtype="int8"))
    assert r.record()["util_cim_arrays"] * r.latency_s == pytest.approx(
        one.record()["util_cim_arrays"] * one.latency_s, rel=1e-12, abs=0)
    assert r.latency_s > one.latency_s  # the c2c trip


def test_weights_past_every_chip_are_re_programmed_over_all_of_them():
    """6 matrices of 16 arrays (96) on 2 chips of 32 (64): re-programmed as one pool of 64; the
    note counts the chips that would hold them, ceil(96 / 32) = 3; no chip is fixed, c2c idle."""
    r = simulate(architecture_from_dict(arch_dict(arrays=32, chips=2)), chain(count=6))
    notes = " ".join(r.notes)
    assert r.facts["cim_reprograms"] > 0
    assert ("weights need 96 arrays but only 64 exist (3 chips of this size would hold them: "
            "ceil(96 / 32); the 2 chips modelled are re-programmed as one pool)") in notes
    assert "a matrix has no fixed chip and nothing is charged to c2c" in notes
    assert r.record()["c2c_bytes"] == 0.0


@pytest.mark.parametrize("sizes, arrays, chips, first, last", [
    ([10, 5, 10, 20], 15, 4, [0, 0, 1, 2], [0, 0, 1, 3]),  # next fit; 20 spans 2 fresh chips
    ([10, 10, 10], 15, 2, [0, 0, 1], [0, 1, 1]),  # next and first fit need 3 chips: contiguous
    # next fit needs 3 chips (10 | 10, 5 | 5); first fit keeps each whole (review15-1 #2)
    ([10, 10, 5, 5], 15, 2, [0, 1, 0, 1], [0, 1, 0, 1]),
    ([10, 20, 5], 15, 3, [0, 1, 2], [0, 2, 2]),  # next fit: 20 spans chips 1-2, 5 in chip 2's rest
    ([15, 15], 15, 2, [0, 1], [0, 1]),  # exactly full
    # next fit (5, 5 | 10 | 10) and first fit need 3 chips; largest first keeps each whole
    # (find-B 4): 10 | 10, then 5 beside each
    ([5, 5, 10, 10], 15, 2, [0, 1, 0, 1], [0, 1, 0, 1]),
])
def test_assignment_is_next_fit_then_first_fit_in_first_use_order(sizes, arrays, chips, first, last):
    lo, hi = assign(np.array(sizes), arrays, chips)
    assert lo.tolist() == first and hi.tolist() == last


@pytest.mark.parametrize("cim, field, words", [
    ({"chips": 2, "chip_link": None}, "cim.chip_link", "required with chips: 2"),
    ({"chips": 2, "chip_link": "pcie"}, "cim.chip_link", "'pcie' is not a link"),
    ({"chips": 2, "weight_replication": True}, "cim.weight_replication",
     "copies across chips are not built"),
])
def test_unbuilt_combinations_are_refused(cim, field, words):
    with pytest.raises(ConfigError) as e:
        architecture_from_dict(arch_dict(arrays=32, **cim))
    assert f"{field}: " in str(e.value) and words in str(e.value)


def test_a_chip_block_with_several_chips_is_refused():
    from test_cim_chip import ARCH  # a chip block over 16 arrays (tests/hw/test_cim_chip.py)
    d = copy.deepcopy(ARCH)
    d["cim"].update(chips=2, chip_link=next(iter(d["links"])))
    with pytest.raises(ConfigError, match=r"cim\.chips: chips: 2 with a chip: block is not built"):
        architecture_from_dict(d)


def test_pipeline_parallel_with_several_chips_is_refused():
    from cimsim.workload.llm import LLMModel, llm_serving
    tiny = LLMModel(layers=2, hidden=32, heads=8, kv_heads=2, ffn=48, vocab=20, head_dim=4,
                    gated=True)
    w = llm_serving(tiny, prompt=4, decode=2, batch=1, pipeline_parallel=2, dtype="fp32")
    d = arch_dict(arrays=64, chips=2)
    d["links"]["nvlink"] = {"bandwidth": "100 GB/s", "latency": "1 us", "energy_per_bit": "1 pJ/bit"}
    d["collective"] = {"devices": 2, "topology": "ring", "link": "nvlink"}
    with pytest.raises(MappingError, match=r"cim\.chips: 2 with a pipeline-parallel workload "
                                           r"\(2 stages"):
        simulate(architecture_from_dict(d), w)


@pytest.fixture
def files(tmp_path):
    cfg, wl = tmp_path / "chips.yaml", tmp_path / "chain.json"
    d = arch_dict(arrays=32)
    d["name"] = "chips"
    cfg.write_text(yaml.safe_dump(d, sort_keys=False))
    from cimsim.workload.io import save_workload
    save_workload(chain(), wl)
    return cfg, wl


def test_cli_set_chips_and_its_refusal(files):
    cfg, wl = files
    cli = CliRunner(env={"COLUMNS": "200"})
    ok = cli.invoke(main, ["run", str(cfg), str(wl), "--set", "cim.chips=2", "--json"])
    assert ok.exit_code == 0, ok.output
    bad = cli.invoke(main, ["run", str(cfg), str(wl), "--set", "cim.chips=2",
                            "--set", "cim.weight_replication=true"])
    assert bad.exit_code != 0 and "Traceback" not in bad.output
    line = bad.output.strip().splitlines()[-1]
    assert line.startswith("Error: --set cim.weight_replication=true: cim.weight_replication: "
                           "copies across chips are not built")


def test_sweep_over_chips(files):
    from cimsim.sweep.runner import sweep
    cfg, wl = files
    df = sweep(str(cfg), str(wl), {"cim.chips": [1, 2]}, workers=1).sort_values("cim.chips")
    assert df["cim.chips"].tolist() == [1, 2]
    assert df["cim_reprograms"].tolist()[1] == 0 and df["cim_reprograms"].tolist()[0] > 0
    assert df["c2c_bytes"].tolist() == [0.0, IO]


def test_the_energy_breakdown_of_a_chips_sweep_draws_every_count(files):
    """A cim.chips sweep of 1..6 draws 6 bars, chips = 2 (where re-programming stops) among
    them (find-H #4: 4 of 8 values, 1, 3, 6, 8, leaving out 2)."""
    from cimsim.plot.figures import energy_breakdown
    from cimsim.sweep.runner import sweep
    cfg, wl = files
    df = sweep(str(cfg), str(wl), {"cim.chips": [1, 2, 3, 4, 5, 6]}, workers=1)
    ax = energy_breakdown(df, "cim.chips").subfigs[0].axes[-1]
    assert [t.get_text().split("\n")[1] for t in ax.get_xticklabels()] == [str(n) for n in range(1, 7)]
    assert "of the" not in ax.get_xlabel()


def test_the_reticle_note_weighs_one_chip_not_the_sum():
    """The reticle (26 mm x 33 mm = 858 mm²) bounds one die: two chips of 500 mm² each (1,000 mm²
    in all) are no note; two of 900 mm² are, named per chip (900 > 858: 1.05 reticles)."""
    def notes(mm2, chips):
        area = {"array": "1 um^2", "adc": "1 um^2", "dac": "1 um^2", "digital": "1 um^2",
                "buffer": "1 um^2", "other": f"{mm2 - 5e-6} mm^2"}  # 5 um^2 + the rest
        a = architecture_from_dict(arch_dict(arrays=64, chips=chips, area=area))
        return [n for n in simulate(a, chain()).notes if "reticle" in n]

    assert notes(500, 2) == []
    assert notes(1000, 1)  # one die of 1,000 mm²: the note, as before
    got = notes(900, 2)
    assert len(got) == 1 and got[0].startswith(
        "each of component 'cim''s 2 chips counts 900 mm² of silicon, more than one reticle")


def test_sweep_set_fixes_a_field_for_every_point(files, tmp_path):
    """``cimsim sweep --set`` (find-B 5) overrides a field as ``run --set`` does: chips 2 of
    32 arrays hold the chain with one activation of 4 x 256 elements over c2c (as
    test_sweep_over_chips) at the swept input width: 4 x 256 x 4 / 8 = 512 B at 4 bits, 1,024 B
    at 8; a --set value of several values or a
    path also swept is refused in one line."""
    import pandas as pd
    cfg, wl = files
    out, csv = tmp_path / "s.parquet", tmp_path / "s.csv"
    cli = CliRunner()
    ok = cli.invoke(main, ["sweep", str(cfg), "-w", str(wl), "--set", "cim.chips=2",
                           "--param", "cim.input_bits=4,8", "--workers", "1", "-q",
                           "-o", str(out), "--csv", str(csv)])
    assert ok.exit_code == 0, ok.output
    df = pd.read_csv(csv)
    assert df["cim.chips"].tolist() == [2, 2]
    assert df.sort_values("cim.input_bits")["c2c_bytes"].tolist() == [4 * 256 * 4 / 8, IO]
    for args, says in ((["--set", "cim.chips=1,2"], "--set cim.chips=1,2: cim.chips:"),
                       (["--set", "cim.chips=2", "--param", "cim.chips=1,2"],
                        "cim.chips is also swept by --param")):
        bad = cli.invoke(main, ["sweep", str(cfg), "-w", str(wl), *args, "-o", str(out)])
        assert bad.exit_code != 0 and "Traceback" not in bad.output
        assert says in bad.output.strip().splitlines()[-1]


def test_bert_base_packs_8_chips_exactly_without_splitting_a_matrix():
    """BERT-base int8 on rram-cim (find-B 4): per layer 4 matrices of 144 arrays then 2 of 576,
    12 layers, 20,736 arrays, on 8 chips of 2,592. Next fit needs 9 chips; first fit in
    first-use order fills 8 exactly, 2 x 576 + 10 x 144 = 2,592 and 4 x 576 + 2 x 144 = 2,592 on
    alternate chips, nothing spanning (review B 4: the text said 3 x 576 + 6 x 144)."""
    from cimsim.hw.cim.chips import _next_fit, occupancy
    sizes = np.array([144] * 4 + [576] * 2) * np.ones((12, 1), dtype=np.int64)
    sizes = sizes.ravel()
    assert _next_fit(sizes.tolist(), 2592, 8)[1].max() == 8  # a 9th chip
    lo, hi = assign(sizes, 2592, 8)
    assert (lo == hi).all()
    assert [int((sizes[lo == c] == 576).sum()) for c in range(8)] == [2, 4] * 4
    assert occupancy(lo, hi, sizes, 2592, 8).tolist() == [2592] * 8


def test_first_fit_decreasing_places_what_first_fit_cannot():
    """review B 4: matrices of 5, 5, 10, 10 arrays on 2 chips of 15: first fit in first-use order
    puts 5 + 5 on chip 0, 10 on chip 1 and needs a third chip for the last 10; largest first puts
    10 | 10, then a 5 beside each: 15 and 15."""
    from cimsim.hw.cim.chips import _first_fit, occupancy
    assert _first_fit([5, 5, 10, 10], 15, 2)[1].max() == 2
    sizes = np.array([5, 5, 10, 10])
    lo, hi = assign(sizes, 15, 2)
    assert lo.tolist() == hi.tolist() == [0, 1, 0, 1]
    assert occupancy(lo, hi, sizes, 15, 2).tolist() == [15, 15]


def test_the_chip_note_counts_the_shares_of_spanning_matrices():
    """find-H 7: 3 matrices of 384 x 256 int8 (3 x 8 = 24 arrays of 128 x 128, 2-bit cells) on
    4 chips of 18 (72 of 72): each spans 2 chips; next fit and first fit (either order) find no
    2 empty chips for the third, so they are packed contiguously: 18 | 6 + 12 | 12 + 6 | 18,
    18 arrays on every chip. The note said "whole matrices per chip: 0, 0, 0, 0"."""
    r = simulate(architecture_from_dict(arch_dict(arrays=18, chips=4)),
                 matmul(m=4, k=384, n=256, count=3, chain=False, dtype="int8"))
    note = next(n for n in r.notes if n.startswith("cim: 4 chips"))
    assert ("the matrices use 4 of them (arrays per chip, the shares of matrices that span "
            "chips included: 18, 18, 18, 18 arrays)") in note, note


def cut_workload():
    """x -> mm0 (W0) -> y0; a0 = y0 + x (a host add); a0 -> mm1 (W1) -> y1: 256 x 256 int8
    matrices of 16 arrays each."""
    from cimsim.workload.ir import Op, Tensor, Workload
    act = [Tensor(n, (4, 256), "int8", "input" if n == "x" else "activation")
           for n in ("x", "y0", "a0", "y1")]
    ws = [Tensor(n, (256, 256), "int8", "weight") for n in ("W0", "W1")]
    return Workload("cut", act + ws, [
        Op("mm0", "matmul", ("x", "W0"), ("y0",), m=4, k=256, n=256, weight="W0"),
        Op("add0", "elementwise", ("y0", "x"), ("a0",), fn="add"),
        Op("mm1", "matmul", ("a0", "W1"), ("y1",), m=4, k=256, n=256, weight="W1")])


CUT = "a layer cut through a host op (LayerNorm, add) goes chip-host-chip over interconnect"


def test_the_chip_note_says_a_layer_cut_through_a_host_op_skips_the_chip_link():
    """find-B 1, review B 3: on 2 chips of 16 arrays mm0 sits on chip 0 and mm1 on chip 1, joined
    by a host add: 0 B over c2c, and the note says the cut goes chip-host-chip. The chain of 4
    matmuls on 2 chips of 32 (2 a chip) meets directly: 1,024 B (mm1's output, mm2's input) cross
    c2c and the note has no such clause (it had: no host op exists); on one chip used neither."""
    r = simulate(architecture_from_dict(arch_dict(arrays=16, chips=2)), cut_workload())
    note = next(n for n in r.notes if n.startswith("cim: 2 chips"))
    assert r.record()["c2c_bytes"] == 0.0
    assert CUT + ", none of it over c2c" in note, note
    for arrays, moved in ((32, IO), (64, 0)):
        r = run(arrays=arrays, chips=2)
        note = next(n for n in r.notes if n.startswith("cim: 2 chips"))
        assert r.record()["c2c_bytes"] == moved
        assert "host op" not in note, note


def test_the_chip_note_with_the_host_link_as_chip_link_does_not_contradict_itself():
    """review X 6: chip_link: interconnect (the host link): no "over interconnect, none of it
    over interconnect", no "the other inputs ... over interconnect as on one chip" beside
    "cross interconnect between chips"."""
    for wl, arrays in ((cut_workload(), 16), (chain(), 32)):
        r = simulate(architecture_from_dict(arch_dict(arrays=arrays, chips=2,
                                                      chip_link="interconnect")), wl)
        note = next(n for n in r.notes if n.startswith("cim: 2 chips"))
        assert "host op" not in note and "none of it over" not in note, note
        assert "the other inputs and every output over interconnect" not in note, note
    assert ("1.024 kB of activations cross interconnect between chips (interconnect is also the "
            "host link: it carries the other inputs and every output too, as on one chip)") in note


def test_nine_chips_are_all_listed():
    """review B 7: with 9 chips the 9th number takes no more room than "... 1 more ...": 9 chips
    of 16 arrays hold the chain of 9 matrices of 16 one a chip, and the note lists 9 x 16."""
    r = simulate(architecture_from_dict(arch_dict(arrays=16, chips=9)), chain(count=9))
    note = next(n for n in r.notes if n.startswith("cim: 9 chips"))
    assert "whole matrices: " + ", ".join(["16"] * 9) + " arrays)" in note, note
    assert "more" not in note


def test_the_chip_note_says_each_chip_is_a_whole_one():
    """review B 8: chips: 2 at the config's arrays counts one chip's buffer and other area (and
    static power) per chip: the note says each is a whole chip of that many arrays."""
    r = run(arrays=32, chips=2)
    note = next(n for n in r.notes if n.startswith("cim: 2 chips"))
    assert ("static power and area count all 2 chips, each a whole one (its buffer and other "
            "area too)") in note, note
