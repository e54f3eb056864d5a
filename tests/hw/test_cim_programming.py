"""The one-time programming of the weights before a run (deployment) is reported, not charged
(find-M #7), with ``write_verify_pulses``; one device has one on/off ratio (find-M #5).

The matrices are digits-cnn's three weight layers (conv1 9 x 16, conv2 144 x 32, fc 128 x 10)
on the bundled rram-cim-derived design (128 x 128 arrays, 8-bit weights on 1-bit cells: 8
columns per output; write 3 pJ per cell, 10 ns per row): 9 x 128 + 144 x 256 + 128 x 80 =
48,256 cells, 144.768 nJ; rows written min(k, 128): 9 + 128 + 128 = 265, 2.65 us; arrays
needed 1 + 4 + 1 = 6.
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


def _arch(**sets):
    return load_architecture(bundled.resolve_config("rram-cim-derived"),
                             {k: str(v) for k, v in sets.items()}, cli=True)


def _run(**sets):
    tensors, ops = [], []
    for i, (k, n) in enumerate(LAYERS):  # each layer its own input: the shapes are what counts
        tensors += [Tensor(f"x{i}", (4, k), "int8", "input"), Tensor(f"W{i}", (k, n), "int8", "weight"),
                    Tensor(f"y{i}", (4, n), "int8", "activation")]
        ops.append(Op(f"mm{i}", "matmul", (f"x{i}", f"W{i}"), (f"y{i}",), m=4, k=k, n=n,
                      weight=f"W{i}"))
    return simulate(_arch(**sets), Workload("cnn3", tensors, ops), engine="analytic")


def test_programming_is_reported_in_closed_form_and_not_charged():
    r = _run(**{"cim.weight_replication": "false"})
    assert CELLS == 48_256
    assert r.facts[C.PROGRAMMING_ENERGY_J] == pytest.approx(CELLS * 3e-12, rel=1e-12, abs=0)
    assert r.facts[C.PROGRAMMING_ENERGY_J] == pytest.approx(144.768e-9, rel=1e-12, abs=0)
    assert r.facts[C.PROGRAMMING_TIME_S] == pytest.approx(ROWS * 10e-9, rel=1e-12, abs=0)
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
    r = _run()
    assert r.facts[C.PROGRAMMING_ENERGY_J] == pytest.approx(4 * CELLS * 3e-12, rel=1e-12, abs=0)
    assert r.facts[C.PROGRAMMING_TIME_S] == pytest.approx(ROWS * 10e-9, rel=1e-12, abs=0)


def test_write_verify_pulses_multiply_programming_and_reprogramming():
    r = _run(**{"cim.weight_replication": "false", "cim.write_verify_pulses": 4})
    assert r.facts[C.PROGRAMMING_ENERGY_J] == pytest.approx(4 * CELLS * 3e-12, rel=1e-12, abs=0)
    assert r.facts[C.PROGRAMMING_TIME_S] == pytest.approx(4 * ROWS * 10e-9, rel=1e-12, abs=0)
    # 3 arrays: every matrix re-programmed once during the run, charged as `write`; nothing
    # is left in place before the run
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
    per array (column tiles 1, 2, 1) instead of a whole one."""
    ideal = _run(**{"cim.cell.weight_ones": 0.5})
    ref = _run(**{"cim.cell.weight_ones": 0.5, "cim.nonideal.repeats": 1})
    # cell reads per layer: rows x k x columns x slices, slices 8
    base = sum(4 * k * n * 8 * 8 for k, n in LAYERS)
    extra = sum(4 * k * t * 8 for (k, _), t in zip(LAYERS, (1, 2, 1))) / 9
    assert ref.energy_breakdown_j["cim_array"] / ideal.energy_breakdown_j["cim_array"] == (
        pytest.approx((base + extra) / base, rel=1e-12, abs=0))


def _deployed(energy, time):
    return (f"programmed once before the run ({si(energy, 'J')}, {si(time, 's')}, not charged: "
            f"{C.PROGRAMMING_ENERGY_J}, {C.PROGRAMMING_TIME_S})")


def test_the_fit_notes_give_the_programming_energy_and_time():
    """review-2 #2: the note said "programmed once before the run (not charged)" and no number.
    Flat pool: the closed form above. Chip (neurosim-vgg8, 8-bit weights on 1-bit cells, write
    1 pJ, 10 ns per row): cells 8 x (16 x 27 x 128 + 16 x 1152 x 128 + 4 x 1152 x 256 + 4 x
    2304 x 256 + 2304 x 512 + 4608 x 512 + 8192 x 1024 + 1024 x 10) = 143,130,624 (the copies
    of chip.layers: 16, 16, 4, 4, 1, 1, 1, 1); rows min(k, 128): 27 + 7 x 128 = 923."""
    flat = _run(**{"cim.weight_replication": "false"})
    assert sum(_deployed(CELLS * 3e-12, ROWS * 10e-9) in n for n in flat.notes) == 1
    valid = resources.files("cimsim") / "data" / "validation"
    chip = simulate(load_architecture(str(valid / "neurosim-vgg8.yaml"), None, cli=True),
                    load_workload(str(valid / "vgg8-cifar10.json")), engine="analytic")
    cells = 8 * (16 * 27 * 128 + 16 * 1152 * 128 + 4 * 1152 * 256 + 4 * 2304 * 256 + 2304 * 512
                 + 4608 * 512 + 8192 * 1024 + 1024 * 10)
    assert cells == 143_130_624
    assert chip.facts[C.PROGRAMMING_ENERGY_J] == pytest.approx(cells * 1e-12, rel=1e-12, abs=0)
    assert sum(_deployed(cells * 1e-12, 923 * 10e-9) in n for n in chip.notes) == 1


def test_run_summary_prints_the_programming_beside_the_floorplan():
    """The bundled lstm (2 layers, I = H = 2048, 4 gates: four 2048 x 8192 matrices) on
    rram-cim-derived: 4 x 2048 x 8192 x 8 cells x 3 pJ = 1.611 mJ, 4 x 128 rows x 10 ns =
    5.12 us, neither in the run's totals; a design without CIM has no such line."""
    res = CliRunner().invoke(main, ["run", "rram-cim-derived", "lstm", "--engine", "analytic"])
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    energy, time = 4 * 2048 * 8192 * 8 * 3e-12, 4 * 128 * 10e-9
    assert (f"programming {si(energy, 'J')}, {si(time, 's')} to write the weights once before "
            f"the run ({C.PROGRAMMING_ENERGY_J}, {C.PROGRAMMING_TIME_S}): not in the energy or "
            "latency above") in text
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
    assert programming_text(some_pinned) == (
        "1 µJ, 2 µs to write the weights once before the run (programming_energy_j, "
        "programming_time_s): not in the energy or latency above; the others are programmed "
        "during the run (cim: 1 re-programming, in cim_write energy and the latency above)")
