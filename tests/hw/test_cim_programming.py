"""The one-time programming of the weights before a run (deployment) is reported, not charged
(find-M #7), with ``write_verify_pulses``; one device has one on/off ratio (find-M #5).

The matrices are digits-cnn's three weight layers (conv1 9 x 16, conv2 144 x 32, fc 128 x 10)
on the bundled rram-cim-derived design (128 x 128 arrays, 8-bit weights on 1-bit cells: 8
columns per output; write 3 pJ per cell, 10 ns per row): 9 x 128 + 144 x 256 + 128 x 80 =
48,256 cells, 144.768 nJ; rows written min(k, 128): 9 + 128 + 128 = 265, 2.65 us; arrays
needed 1 + 4 + 1 = 6. Their weights, 9 x 16 + 144 x 32 + 128 x 10 = 6,032 B at 8 bits, come from
the host's DRAM (20 pJ/bit, 110 ns, 307.2 GB/s x 0.7) over the 32 GB/s link (0.72 pJ/bit, 10 ns)
before they are written, as re-programming brings them (find-H #1).
"""

from __future__ import annotations

from importlib import resources

import pytest
from click.testing import CliRunner

from cimsim import bundled
from cimsim.cli import main
from cimsim.config import load_architecture
from cimsim.errors import ConfigError
from cimsim.pipeline import simulate
from cimsim.report import columns as C
from cimsim.units import si
from cimsim.workload import Op, Tensor, Workload, load_workload

CELLS = 9 * 128 + 144 * 256 + 128 * 80
ROWS = 9 + 128 + 128
LAYERS = ((9, 16), (144, 32), (128, 10))
BYTES = 9 * 16 + 144 * 32 + 128 * 10
MOVE_J = BYTES * 8 * (20e-12 + 0.72e-12)  # DRAM read + link, per bit
LATENCY = 10e-9 + 110e-9  # the link's and DRAM's, once


def _stream(writes, nbytes, rate=32e9):
    """Each matrix written once its bytes have arrived and the one before is written."""
    link = done = 0.0
    for w, b in zip(writes, nbytes):
        link += b / rate
        done = max(done, link) + w
    return LATENCY + done


# the three matrices' bytes arrive in 4.5 ns, 144 ns and 40 ns; they are written in 90 ns and
# 1.28 us twice: 4.5 + 90 = 94.5 ns, then from 148.5 ns (conv2's bytes) to 1.4285 us, then
# fc's (at 188.5 ns) to 2.7085 us
TIME = LATENCY + 2.7085e-6


def _arch(**sets):
    return load_architecture(bundled.resolve_config("rram-cim-derived"),
                             {k: str(v) for k, v in sets.items()}, cli=True)


def _run(arch=None, meta=None, **sets):
    """The three layers on ``arch`` (or rram-cim-derived with ``sets``); ``meta``: the
    workload's metadata (a traced step's)."""
    tensors, ops = [], []
    for i, (k, n) in enumerate(LAYERS):  # each layer its own input: the shapes are what counts
        tensors += [Tensor(f"x{i}", (4, k), "int8", "input"), Tensor(f"W{i}", (k, n), "int8", "weight"),
                    Tensor(f"y{i}", (4, n), "int8", "activation")]
        ops.append(Op(f"mm{i}", "matmul", (f"x{i}", f"W{i}"), (f"y{i}",), m=4, k=k, n=n,
                      weight=f"W{i}"))
    return simulate(arch or _arch(**sets), Workload("cnn3", tensors, ops, meta), engine="analytic")


def test_programming_is_reported_in_closed_form_and_not_charged():
    r = _run(**{"cim.weight_replication": "false"})
    assert CELLS == 48_256
    assert BYTES == 6_032 and CELLS * 3e-12 == pytest.approx(144.768e-9, rel=1e-12, abs=0)
    assert r.facts[C.PROGRAMMING_ENERGY_J] == pytest.approx(CELLS * 3e-12 + MOVE_J, rel=1e-12,
                                                            abs=0)
    assert MOVE_J == pytest.approx(999.86432e-9, rel=1e-12, abs=0)  # 48,256 bit x 20.72 pJ
    assert _stream((90e-9, 1.28e-6, 1.28e-6), (144, 4608, 1280)) == pytest.approx(TIME, rel=1e-12, abs=0)
    assert r.facts[C.PROGRAMMING_TIME_S] == pytest.approx(TIME, rel=1e-12, abs=0)
    assert r.facts[C.SAMPLES_PER_RUN] == 1
    assert r.energy_breakdown_j["cim_write"] == 0.0  # deployment: not in the run's energy
    assert r.energy_j == pytest.approx(sum(r.energy_breakdown_j.values()), rel=1e-12, abs=0)
    rec = r.record()
    assert all(c in rec for c in C.PROGRAMMING_COLUMNS)


def test_every_weight_copy_is_programmed():
    """weight_replication: floor(33,800 / 6) = 5,633 copies of every matrix, but each op has 4
    rows, so a matrix holds min(5,633, 4) = 4 copies (find-E 3: a copy past the rows never
    computes), each programmed; the copies are more arrays of the matrix, written in parallel
    with it (no more time)."""
    r = _run()  # the copies are written from the same bytes: they cross the link once
    assert r.facts[C.PROGRAMMING_ENERGY_J] == pytest.approx(4 * CELLS * 3e-12 + MOVE_J,
                                                            rel=1e-12, abs=0)
    assert r.facts[C.PROGRAMMING_TIME_S] == pytest.approx(TIME, rel=1e-12, abs=0)


def test_write_verify_pulses_multiply_programming_and_reprogramming():
    r = _run(**{"cim.weight_replication": "false", "cim.write_verify_pulses": 4})
    assert r.facts[C.PROGRAMMING_ENERGY_J] == pytest.approx(4 * CELLS * 3e-12 + MOVE_J,
                                                            rel=1e-12, abs=0)
    assert r.facts[C.PROGRAMMING_TIME_S] == pytest.approx(
        _stream((360e-9, 5.12e-6, 5.12e-6), (144, 4608, 1280)), rel=1e-12, abs=0)
    # 3 arrays: every matrix re-programmed once during the run, charged as `write`; nothing
    # is left in place before the run (conv2's 4 arrays are more than all 3: rule 3, nothing
    # pinned, and no floor is tried beside it)
    one, four = _run(**{"cim.arrays": 3}), _run(**{"cim.arrays": 3, "cim.write_verify_pulses": 4})
    assert one.energy_breakdown_j["cim_write"] == pytest.approx(CELLS * 3e-12, rel=1e-12, abs=0)
    assert four.energy_breakdown_j["cim_write"] == pytest.approx(4 * CELLS * 3e-12, rel=1e-12,
                                                                 abs=0)
    assert four.facts[C.PROGRAMMING_ENERGY_J] == 0.0
    # 4 x the write time on each op's path; conv2's 4 arrays of 3 in ceil(4 / 3) = 2 rounds:
    # 3 extra pulses x (9 + 2 x 128 + 128) rows x 10 ns more in all
    assert four.latency_s - one.latency_s == pytest.approx(3 * (9 + 2 * 128 + 128) * 10e-9,
                                                           rel=1e-9, abs=0)


def test_a_nonideal_ratio_contradicting_the_cells_is_refused():
    with pytest.raises(ConfigError, match=r"nonideal.on_off_ratio 2 contradicts cell.on_off, the "
                                          r"rram_1t1r preset's 17, from which the derived "
                                          r"cell_read_energy comes"):
        _arch(**{"cim.nonideal.on_off_ratio": 2})
    _arch(**{"cim.nonideal.on_off_ratio": 17})  # the same device
    _arch(**{"cim.cell.on_off": 2, "cim.nonideal.on_off_ratio": 2})
    # a given cell energy does not come from the ratio (rram-cim: ISAAC's 1.831 fJ)
    load_architecture(bundled.resolve_config("rram-cim"), {"cim.nonideal.on_off_ratio": "2"},
                      cli=True)


def test_the_reference_column_reads_off_cells():
    """One reference column of off cells per array: each reads G_off / G_mean = (1/17) / ((1 +
    1/17) / 2) = 1/9 of the mean cell, so the three layers' cell reads grow by 1/9 of a column
    per array (column tiles 1, 2, 1) instead of a whole one. find-N 5: the readout subtracts the
    off cells' current whether or not accuracy is emulated, so the run with no nonideal block
    pays the same column (before 2026-12-06 it had none, and a zero-noise block added it: +0.446
    % of cim_array at on/off 2.5, 0.4 / 0.7 of a cell per array and row)."""
    # cell reads per layer: rows x k x columns x slices, slices 8; a given 1 fJ per cell read
    base = sum(4 * k * n * 8 * 8 for k, n in LAYERS)
    tiles = sum(4 * k * t * 8 for (k, _), t in zip(LAYERS, (1, 2, 1)))
    for on_off, share in ((17, 1 / 9), (2.5, 0.4 / 0.7)):
        sets = {"cim.cell.weight_ones": 0.5, "cim.cell_read_energy": "1 fJ",
                "cim.cell.on_off": on_off}
        for extra in ({}, {"cim.nonideal.repeats": 1}, {"cim.nonideal.adc_noise": 0}):
            got = _run(**sets, **extra).energy_breakdown_j["cim_array"]
            assert got == pytest.approx((base + tiles * share) * 1e-15, rel=1e-12, abs=0), extra


def test_the_default_cell_left_unwritten_pays_the_same_reference_column(tmp_path):
    """review18-4 item 2: rram-cim-derived without its `cell: {type: rram_1t1r}` block is the
    same hardware (technology rram's default cell, whose derived cell_read_energy and on/off 17
    the run uses, as the one-device check holds it), so it pays the same reference column: 1/9
    of a cell per array and row (before, it paid none: -0.087 % of cim_array). A given
    cell_read_energy with no cell names no device: no column."""
    from cimsim.hw.cim.tiling import on_off_ratio

    text = bundled.resolve_config("rram-cim-derived").read_text()
    block = "  cell:\n    type: rram_1t1r"
    assert text.count(block) == 1
    nocell = tmp_path / "nocell.yaml"
    nocell.write_text("\n".join(line for line in text.replace(block, "  #", 1).splitlines()))
    base = sum(4 * k * n * 8 * 8 for k, n in LAYERS)
    tiles = sum(4 * k * t * 8 for (k, _), t in zip(LAYERS, (1, 2, 1)))
    arch = load_architecture(nocell)
    assert arch.components["cim"].cell is None
    assert on_off_ratio(arch.components["cim"]) == (17.0, "the rram_1t1r preset's")
    e = arch.component("cim").design.cell_read_energy
    assert e == _arch().component("cim").design.cell_read_energy
    got = _run(arch).energy_breakdown_j["cim_array"]
    assert got == pytest.approx((base + tiles / 9) * e, rel=1e-12, abs=0)
    assert got == _run().energy_breakdown_j["cim_array"]
    given = load_architecture(nocell, {"cim.cell_read_energy": "1 fJ"}, cli=True)
    assert on_off_ratio(given.components["cim"])[0] is None
    assert _run(given).energy_breakdown_j["cim_array"] == pytest.approx(base * 1e-15, rel=1e-12,
                                                                        abs=0)


def _deployed(energy, cells, nbytes, store="dram", link="interconnect"):
    return (f"programmed once before the run ({si(energy, 'J')}: the cells' writes "
            f"{si(cells, 'J')} and {si(nbytes, 'B')} of weights read from {store} and carried "
            f"over {link}; not charged: {C.PROGRAMMING_ENERGY_J}, {C.PROGRAMMING_TIME_S})")


def test_the_fit_notes_give_the_programming_energy_and_time():
    """review-2 #2: the note said "programmed once before the run (not charged)" and no number.
    Flat pool: the closed form above. Chip (neurosim-vgg8, 8-bit weights on 1-bit cells, write
    1 pJ, 10 ns per row): cells 8 x (16 x 27 x 128 + 16 x 1152 x 128 + 4 x 1152 x 256 + 4 x
    2304 x 256 + 2304 x 512 + 4608 x 512 + 8192 x 1024 + 1024 x 10) = 143,130,624 (the copies
    of chip.layers: 16, 16, 4, 4, 1, 1, 1, 1); rows min(k, 128): 27 + 7 x 128 = 923."""
    flat = _run(**{"cim.weight_replication": "false"})
    assert sum(_deployed(CELLS * 3e-12 + MOVE_J, CELLS * 3e-12, BYTES) in n
               for n in flat.notes) == 1
    valid = resources.files("cimsim") / "data" / "validation"
    chip = simulate(load_architecture(str(valid / "neurosim-vgg8.yaml"), None, cli=True),
                    load_workload(str(valid / "vgg8-cifar10.json")), engine="analytic")
    cells = 8 * (16 * 27 * 128 + 16 * 1152 * 128 + 4 * 1152 * 256 + 4 * 2304 * 256 + 2304 * 512
                 + 4608 * 512 + 8192 * 1024 + 1024 * 10)
    assert cells == 143_130_624
    # its off-chip memory and host link cost 0 pJ: only the cells' energy; the weights, one
    # byte each (every copy from the same bytes), stream at the memory's 1 TB/s
    assert chip.facts[C.PROGRAMMING_ENERGY_J] == pytest.approx(cells * 1e-12, rel=1e-12, abs=0)
    nbytes = (27 * 128 + 1152 * 128 + 1152 * 256 + 2304 * 256 + 2304 * 512 + 4608 * 512 + 8192 * 1024
        + 1024 * 10)
    assert sum(_deployed(cells * 1e-12, cells * 1e-12, nbytes, "offchip", "host") in n
               for n in chip.notes) == 1


def test_run_summary_prints_the_programming_beside_the_floorplan():
    """The bundled lstm (2 layers, I = H = 2048, 4 gates: four 2048 x 8192 matrices) on
    rram-cim-derived: 4 x 2048 x 8192 x 8 cells x 3 pJ = 1.611 mJ, 4 x 128 rows x 10 ns =
    5.12 us, plus their 4 x 2048 x 8192 B from DRAM over the 32 GB/s link (20.72 pJ/bit): 11.12
    mJ, 2.097 ms, each matrix written (1.28 us) once its bytes are in, neither in the run's
    totals; a design without CIM has no such line."""
    res = CliRunner().invoke(main, ["run", "rram-cim-derived", "lstm", "--engine", "analytic"])
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    nbytes = 4 * 2048 * 8192
    energy = nbytes * 8 * 3e-12 + nbytes * 8 * 20.72e-12
    time = LATENCY + nbytes / 32e9 + 128 * 10e-9  # the link carries them all, the last written
    assert (f"programming {si(energy, 'J')}, {si(time, 's')} to write the weights once before "
            "the run, reading them from the backing store and carrying them over the link as "
            f"re-programming does ({C.PROGRAMMING_ENERGY_J}, {C.PROGRAMMING_TIME_S}): not in the "
            "energy or latency above") in text
    assert text.index("floorplan") < text.index(f"programming {si(energy, 'J')}")
    gpu = CliRunner().invoke(main, ["run", "gpu-hbm3", "lstm", "--engine", "analytic"])
    assert gpu.exit_code == 0 and "to write the weights once" not in gpu.output


def test_programming_line_of_a_pool_that_programs_during_the_run(tmp_path):
    """The README's iso-area run (int8 lstm on 4,029 sram-cim arrays) read "programming 0 J,
    0 s to write the weights once before the run" while its arrays are re-programmed during it
    (find-Y #5). Its four 2048 x 8192 matrices need 2,048 arrays each (8,192 in all): no two of
    them fit in 4,029 arrays and each is read in one stretch, so each is programmed once during
    the run, nothing before it: 4 programmings, charged as cim_write."""
    lstm = tmp_path / "lstm-int8.json"
    res = CliRunner().invoke(main, ["workload", "lstm", "--input-size", "2048", "--hidden", "2048",
                                    "--layers", "2", "--steps", "100", "--dtype", "int8", "-o", str(lstm)])
    assert res.exit_code == 0, res.output
    res = CliRunner(env={"COLUMNS": "200"}).invoke(main, [
        "run", "sram-cim", str(lstm), "--set", "cim.arrays=4029", "--set", "cim.static_power=3.48W",
        "--engine", "analytic"])
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert ("programming nothing is written before the run: the weights are programmed during it "
            "(cim: 4 re-programmings, in cim_write energy and the latency above) energy by part") in text
    assert "cim_write" in text and "0 J, 0 s" not in text
    from cimsim.commands.cim_lines import programming_text

    some_pinned = {C.PROGRAMMING_ENERGY_J: 1e-6, C.PROGRAMMING_TIME_S: 2e-6, "cim_reprograms": 1}
    arch = load_architecture(bundled.resolve_config("sram-cim"), {}, cli=True)
    assert programming_text(some_pinned, arch.instances) == (
        "1 µJ, 2 µs to write the weights once before the run, reading them from the backing "
        "store and carrying them over the link as re-programming does (programming_energy_j, "
        "programming_time_s): not in the energy or latency above; the others are programmed "
        "during the run (cim: 1 re-programming, in cim_write energy and the latency above)")


def _round(dram_bandwidth="10 GB/s", **cim):
    """The round CIM (conftest: 64 arrays of 128 x 128, 8-bit weights on 2-bit cells: 4 columns
    a weight; write 10 pJ a cell) on its 100 GB/s link (1 pJ/bit, 10 ns), DRAM 10 pJ/bit, 100 ns."""
    import copy

    from conftest import ROUND_ARCH, ROUND_CIM, ROUND_LINK

    from cimsim.config import architecture_from_dict

    d = copy.deepcopy(ROUND_ARCH)
    d["memory"]["dram"]["bandwidth"] = dram_bandwidth
    d["cim"] = {**copy.deepcopy(ROUND_CIM), **cim}
    d["links"] = {"interconnect": dict(ROUND_LINK)}
    d["name"] = "round-cim"
    return architecture_from_dict(d)


def _matmuls(*kn):
    tensors, ops = [], []
    for i, (k, n) in enumerate(kn):
        tensors += [Tensor(f"x{i}", (1, k), "int8", "input"), Tensor(f"W{i}", (k, n), "int8", "weight"),
                    Tensor(f"y{i}", (1, n), "int8", "activation")]
        ops.append(Op(f"mm{i}", "matmul", (f"x{i}", f"W{i}"), (f"y{i}",), m=1, k=k, n=n,
                      weight=f"W{i}"))
    return Workload("mm", tensors, ops)


def test_deployment_brings_the_weights_in_as_re_programming_does():
    """find-H #1: the figure before the run counted the cell writes alone (2.5 us and 27 uJ for
    67 MB of int8 LSTM weights on sram-cim, where the same writes during a run cost 2.1 ms and
    10.8 mJ of bringing them over the link). One 256 x 64 int8 matrix on the round CIM: 2 x 2
    arrays, 256 x 256 cells x 10 pJ = 655.36 nJ of writes, 128 rows x 1 us; its 16,384 B read
    from DRAM (10 pJ/bit) and carried over the link (1 pJ/bit): 16,384 x 8 x 11 pJ = 1.441792 uJ.
    They stream at the slower of DRAM's 10 GB/s and the link's 100 GB/s, after both latencies."""
    r = simulate(_round(), _matmuls((256, 64)), engine="analytic")
    assert r.facts[C.PROGRAMMING_ENERGY_J] == pytest.approx(256 * 256 * 10e-12 + 16_384 * 8 * 11e-12,
                                                            rel=1e-12, abs=0)
    assert r.facts[C.PROGRAMMING_TIME_S] == pytest.approx(
        10e-9 + 100e-9 + 16_384 / 10e9 + 128 * 1e-6, rel=1e-12, abs=0)
    # the same matrix re-programmed during a run (1 array: 4 rounds) pays the same bytes
    # over the same link and DRAM: the run's link and DRAM energy is the figure's byte part
    # (plus the activations, 256 B in, 64 B out at 8-bit)
    during = simulate(_round(arrays=1), _matmuls((256, 64)), engine="analytic")
    e = during.energy_breakdown_j
    assert e["interconnect"] == pytest.approx((16_384 + 256 + 64) * 8 * 1e-12, rel=1e-12, abs=0)
    assert e["dram"] == pytest.approx((16_384 + 256) * 8 * 10e-12, rel=1e-12, abs=0)


def test_the_link_carries_the_next_matrix_while_one_is_written():
    """Two 128 x 128 int8 matrices (1 x 4 arrays each, 16,384 B) with 1 ns writes (128 ns a
    matrix), DRAM at 1 TB/s so the 100 GB/s link binds (163.84 ns a matrix): the first is in at
    163.84 ns and written by 291.84 ns; the second is in at 327.68 ns and written by 455.68 ns,
    not 2 x 291.84 = 583.68 ns; plus 110 ns of latency once."""
    r = simulate(_round("1 TB/s", write_latency="1 ns"), _matmuls((128, 128), (128, 128)),
                 engine="analytic")
    assert r.facts[C.PROGRAMMING_TIME_S] == pytest.approx(110e-9 + 2 * 163.84e-9 + 128e-9,
                                                          rel=1e-12, abs=0)
    assert r.facts[C.PROGRAMMING_ENERGY_J] == pytest.approx(
        2 * (128 * 512 * 10e-12 + 16_384 * 8 * 11e-12), rel=1e-12, abs=0)


def _abcabc():
    """Three 128 x 1280 int8 matrices read A B C A B C."""
    tensors = [Tensor(f"W{j}", (128, 1280), "int8", "weight") for j in range(3)]
    ops = []
    for i in range(6):
        tensors += [Tensor(f"x{i}", (1, 128), "int8", "input"),
                    Tensor(f"y{i}", (1, 1280), "int8", "activation")]
        ops.append(Op(f"mm{i}", "matmul", (f"x{i}", f"W{i % 3}"), (f"y{i}",), m=1, k=128,
                      n=1280, weight=f"W{i % 3}"))
    return Workload("abcabc", tensors, ops)


def test_endurance_lifetime_is_the_most_written_cells():
    """find-G #4: "lasts N runs" divided the endurance by the mean writes per cell (perfect
    wear-levelling). Three 128 x 1280 int8 matrices of 40 arrays each (1280 x 4 columns / 128),
    read A B C A B C on the round CIM's 64 arrays: no two fit together; pinning A would send
    both B and C through the 24 arrays left in rounds, which the pinning's floors never choose
    (at most one matrix in rounds), so all 6 reads re-program 40 arrays, 655,360 cells each, full:
    6 x 655,360 / (64 x 128 x 128) = 3.75 writes per cell per run on average, but which arrays
    a matrix takes is not modelled, so a cell may be written by all 6: an endurance of 1e8 lasts 1e8 / 6 = 16.7 M runs at worst (26.7 M on average)."""
    r = simulate(_round(), _abcabc(), engine="analytic")
    assert r.facts["cim_reprograms"] == 6
    note = next(n for n in r.notes if "endurance" in n)
    assert ("which arrays a matrix takes is not modelled, so at worst one cell is written by "
            "each: 6 writes per run, and an endurance of 100,000,000 write pulses lasts 16,700,000 runs "
            "(with perfect wear-levelling, the 3,932,160 weight cells written a run spread over "
            "the 1,048,576 cells of those arrays: 3.75 writes per cell per run on average, and "
            "26,700,000 runs)") in note, note


def test_endurance_wears_every_write_verify_pulse_the_write_energy_charges():
    """find-N 6: ``write_energy`` is one pulse and ``write_verify_pulses`` P multiplies it, but
    the lifetime counted programmings, so P = 10 program-and-verify lasted 10x too long. The
    endurance counts pulses (a device's SET/RESET cycles, the field's description): the same
    A B C A B C run as above with P = 10 writes 6 x 655,360 cells x 10 pulses x 10 pJ = 393.2 uJ
    and lasts 1e8 / (6 x 10) = 1.67 M runs at worst, 1e8 / (3.75 x 10) = 2.67 M on average."""
    r = simulate(_round(write_verify_pulses=10), _abcabc(), engine="analytic")
    assert r.energy_breakdown_j["cim_write"] == pytest.approx(6 * 655_360 * 10 * 10e-12,
                                                              rel=1e-12, abs=0)
    note = next(n for n in r.notes if "endurance" in n)
    assert ("6 writes per run x 10 write pulses each (write_verify_pulses) = 60 pulses per run, "
            "and an endurance of 100,000,000 write pulses lasts 1,670,000 runs") in note, note
    assert "3.75 writes per cell per run on average, and 2,670,000 runs)" in note, note


def test_a_training_steps_endurance_bound_counts_each_programmings_pulses():
    """review18-4: a traced training step reprograms the weights it updates every step; each
    programming applies write_verify_pulses pulses, which the endurance counts, so
    rram-cim-derived's 1e12 pulses at 10 per programming bound the steps to 1e12 / 10 = 1e11
    (at 1 pulse: 1e12, said without the per-write count). find-O 1: only the matrix holding an
    updated parameter (W1, 144 x 32) is rewritten a step: 144 x 256 cells x 3 pJ x 10 pulses
    + 144 x 32 B x 8 x 20.72 pJ/bit, its weights brought in; W0 and W2 are frozen."""
    meta = {"backward_ops": 3, "updated_parameters": 1, "updated_parameter_names": ["W1"]}

    def run(**sets):
        return _run(meta=meta, **{"cim.weight_replication": "false", **sets})

    ten = run(**{"cim.write_verify_pulses": 10})
    said = " ".join(ten.notes)
    assert "the cells' endurance (1e+12 write pulses, 10 per write) lasts 1e+11 steps at worst" in said
    assert ten.facts[C.STEPS_TO_WEAROUT] == pytest.approx(1e11, rel=1e-12, abs=0)
    assert ten.facts[C.STEP_WRITE_ENERGY_J] == pytest.approx(
        144 * 256 * 3e-12 * 10 + 144 * 32 * 8 * 20.72e-12, rel=1e-12, abs=0)
    assert "2 matrices of frozen parameters ('W0', 'W2') are not rewritten" in said
    one = " ".join(run().notes)
    assert "the cells' endurance (1e+12 write pulses) lasts 1e+12 steps at worst" in one


def test_wear_levelled_writes_count_the_cells_written_as_the_write_energy_does():
    """find-L #1: the mean writes per cell (perfect wear-levelling) counted whole arrays, while
    the write energy counts cells. Three rank-8 LoRA B matrices (8 x 256 int8: 8 rows, 256 x 4 =
    1,024 columns, 8 arrays each, 8 x 1,024 = 8,192 cells) read A B C A B C on 8 arrays of the
    round CIM: none fits beside another, so all 6 reads re-program: 6 x 8,192 = 49,152 cells
    written a run over the 8 x 128 x 128 = 131,072 cells of the arrays, 0.375 writes per cell on
    average (1e8 / 0.375 = 267 M runs; by arrays it was 6 x 8 / 8 = 6, 16.7 M runs), the cells
    cim_write charges at 10 pJ: 491.52 nJ."""
    tensors = [Tensor(f"B{j}", (8, 256), "int8", "weight") for j in range(3)]
    ops = []
    for i in range(6):
        tensors += [Tensor(f"x{i}", (1, 8), "int8", "input"),
                    Tensor(f"y{i}", (1, 256), "int8", "activation")]
        ops.append(Op(f"mm{i}", "matmul", (f"x{i}", f"B{i % 3}"), (f"y{i}",), m=1, k=8, n=256,
                      weight=f"B{i % 3}"))
    r = simulate(_round(arrays=8, weight_replication=False), Workload("lora-b", tensors, ops),
                 engine="analytic")
    assert r.facts["cim_reprograms"] == 6
    assert r.energy_breakdown_j["cim_write"] == pytest.approx(6 * 8 * 1024 * 10e-12, rel=1e-12,
                                                              abs=0)
    note = next(n for n in r.notes if "endurance" in n)
    assert ("at worst one cell is written by each: 6 writes per run, and an endurance of "
            "100,000,000 write pulses lasts 16,700,000 runs (with perfect wear-levelling, the 49,152 "
            "weight cells written a run spread over the 131,072 cells of those arrays: 0.375 "
            "writes per cell per run on average, and 267,000,000 runs)") in note, note
