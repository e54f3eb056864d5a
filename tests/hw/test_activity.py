"""Data activity per op (issue 17 item 4): a traced op's own fraction of ones replaces the
config's ``cell.input_ones`` / ``cell.weight_ones`` in the derived, data-dependent energies
(cell reads, row drives); ops without statistics keep the config's, bit for bit.

Goldens: the same model evaluated with the config's field set to the op's value (the energy a
0.25 config draws), and closed forms of the 1T1R read (row drive ``C V^2 x``: linear in the
fraction of ones, so halving it halves the drive exactly, a power-of-two scaling).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import cimsim
from cimsim import bundled, load_architecture
from cimsim.cost import compute_costs
from cimsim.cost.table import energy_parts
from cimsim.errors import WorkloadError
from cimsim.mapping.placement import place
from cimsim.report.columns import OP_ACTIVITY_COLUMNS
from cimsim.workload import Op, Tensor, Workload
from cimsim.workload.io import load_workload, save_workload

RRAM = bundled.resolve_config("rram-cim-derived")
SRAM = bundled.resolve_config("sram-cim-derived")


def _workload(tags_a=None, tags_b=None, k=256, n=64, rows=4) -> Workload:
    """Two independent weight matmuls, ``a`` and ``b``, with the given tags."""
    t = [Tensor("x", (rows, k), "fp32", "input"),
         Tensor("Wa", (k, n), "fp32", "weight"), Tensor("Wb", (k, n), "fp32", "weight"),
         Tensor("ya", (rows, n), "fp32", "activation"), Tensor("yb", (rows, n), "fp32", "activation")]
    ops = [Op("a", "matmul", ("x", "Wa"), ("ya",), m=rows, k=k, n=n, weight="Wa", tags=tags_a or {}),
           Op("b", "matmul", ("x", "Wb"), ("yb",), m=rows, k=k, n=n, weight="Wb", tags=tags_b or {})]
    return Workload("two", t, ops)


def _energy(arch, wl):
    """{part: per-op energy} and the placement of ``wl`` on ``arch``."""
    pl = place(wl, arch)
    costs = compute_costs(pl, arch, wl.arrays)
    return {p: costs.energy[:, i] for i, p in enumerate(energy_parts(arch))}, pl


@pytest.mark.parametrize("cfg", [RRAM, SRAM], ids=["rram", "sram"])
def test_an_ops_input_ones_draws_the_energy_of_that_config(cfg):
    arch = load_architecture(cfg)
    quarter = load_architecture(cfg, {"cim.cell.input_ones": 0.25})
    stated = _workload({"input_ones": 0.25, "input_stats_bits": 8})
    plain = _workload()
    e, pl = _energy(arch, stated)
    e_quarter, _ = _energy(quarter, plain)
    e_plain, _ = _energy(arch, plain)
    # the data-dependent parts: cell reads, row drives and (RRAM, 1-bit slices) the input
    # switch matrix, whose transmission gate cycles for a one
    data = [p for p in ("cim_array", "cim_dac", "cim_switch") if p in e]
    assert ("cim_switch" in data) == (cfg == RRAM)
    for part in data:
        assert e[part][0] == e_quarter[part][0], part  # exactly the 0.25 config's
        assert e[part][1] == e_plain[part][1], part  # the op without statistics: bit for bit
        assert e[part][0] != e_plain[part][0], part  # (the activity matters: the test can fail)
    for part in e:  # every part that does not depend on the data is unchanged
        if part not in data:
            assert np.array_equal(e[part], e_plain[part]), part
    facts = pl.facts()
    assert facts["cim_input_ones_default_ops"] == 1 and facts["cim_weight_ones_default_ops"] == 2
    cols = pl.op_columns()
    assert {f"cim_{c}" for c in OP_ACTIVITY_COLUMNS} <= set(cols)
    assert cols["cim_input_ones"].tolist() == [0.25, 0.5]
    assert cols["cim_weight_ones"].tolist() == [0.5, 0.5]


def test_row_drive_is_linear_in_the_fraction_of_ones():
    # rram-cim-derived: 1-bit level drive, C V^2 x (x the fraction of ones): x = 0.25 draws
    # exactly half the drive of x = 0.5 (a power-of-two scaling is exact)
    arch = load_architecture(RRAM)
    e, _ = _energy(arch, _workload({"input_ones": 0.25, "input_stats_bits": 8}))
    assert 2 * e["cim_dac"][0] == e["cim_dac"][1]


def test_weight_ones_moves_the_cell_energy_only():
    # 1T1R cell energy V^2 G t with G = G_off + w (G_on - G_off): more cells on, more energy;
    # the row drive does not depend on the weights
    arch = load_architecture(RRAM)
    w_high = load_architecture(RRAM, {"cim.cell.weight_ones": 0.8})
    e, pl = _energy(arch, _workload({"weight_ones": 0.8, "weight_stats_bits": 8}))
    e_high, _ = _energy(w_high, _workload())
    assert e["cim_array"][0] == e_high["cim_array"][0] > e["cim_array"][1]
    assert e["cim_dac"][0] == e["cim_dac"][1]
    assert pl.facts()["cim_weight_ones_default_ops"] == 1


@pytest.mark.parametrize("override, why", [
    ({"cim.input_bits": 4, "cim.dac_bits": 1}, "counted at 8 bits, the config reads 4"),
    ({"cim.signed_inputs": True}, "signed inputs: magnitude planes the trace does not count"),
])
def test_a_figure_that_does_not_describe_the_arrays_is_not_used(override, why):
    arch = load_architecture(RRAM, override)
    e, pl = _energy(arch, _workload({"input_ones": 0.25, "input_stats_bits": 8}))
    assert e["cim_dac"][0] == e["cim_dac"][1], why
    assert pl.facts()["cim_input_ones_default_ops"] == 2, why


def test_input_and_weight_bits_are_matched_separately():
    # a 4-bit-input, 8-bit-weight design: an op counted at (4, 8) uses both of its figures
    arch = load_architecture(RRAM, {"cim.input_bits": 4})
    quarter = load_architecture(RRAM, {"cim.input_bits": 4, "cim.cell.input_ones": 0.25,
                                       "cim.cell.weight_ones": 0.7})
    e, pl = _energy(arch, _workload({"input_ones": 0.25, "input_stats_bits": 4,
                                     "weight_ones": 0.7, "weight_stats_bits": 8}))
    e_quarter, _ = _energy(quarter, _workload())
    assert e["cim_array"][0] == e_quarter["cim_array"][0]
    assert e["cim_dac"][0] == e_quarter["cim_dac"][0]
    assert pl.facts()["cim_input_ones_default_ops"] == 1 == pl.facts()["cim_weight_ones_default_ops"]


def test_given_energies_do_not_depend_on_the_data():
    arch = load_architecture(bundled.resolve_config("rram-cim"))
    e, pl = _energy(arch, _workload({"input_ones": 0.25, "input_stats_bits": 8}))
    for part in e:
        if part != "dram":
            assert e[part][0] == e[part][1], part
    # x's one read from DRAM is the first reader's, a's (hierarchy rule 3), whatever the data
    assert e["dram"][0] > 0 and e["dram"][1] == 0
    assert any("no energy depends on it" in n for n in pl.notes)


def test_workload_without_statistics_has_no_activity_columns():
    arch = load_architecture(RRAM)
    _, pl = _energy(arch, _workload())
    assert "cim_input_ones" not in pl.op_columns()
    assert _workload().arrays.activity is None


@pytest.mark.parametrize("tags, msg", [
    ({"input_ones": 1.5, "input_stats_bits": 8}, "tag input_ones = 1.5 is not allowed; it must be a fraction in [0, 1]"),
    ({"input_zeros": -0.1}, "tag input_zeros = -0.1 is not allowed"),
    ({"weight_abs_mean": -1.0}, "tag weight_abs_mean = -1 is not allowed"),
    ({"input_ones": 0.5, "input_stats_bits": 0}, "tag input_stats_bits = 0 is not allowed"),
    ({"weight_ones": 0.5, "weight_stats_bits": 7.5}, "tag weight_stats_bits = 7.5 is not allowed"),
    ({"input_ones": 0.5}, "tag input_ones needs tag input_stats_bits"),
    ({"weight_ones": 0.5, "input_stats_bits": 8}, "tag weight_ones needs tag weight_stats_bits"),
    ({"weight_ones": "half", "weight_stats_bits": 8}, "tag weight_ones = 'half' is not a number"),
])
def test_out_of_range_tags_are_one_line_errors(tags, msg):
    with pytest.raises(WorkloadError) as exc:
        _workload(tags_b=tags).arrays
    text = str(exc.value)
    assert msg in text and "op 'b'" in text and "\n" not in text


def test_vectorised_columns_equal_the_loop_reference():
    from cimsim.workload.arrays import op_arrays, op_arrays_reference

    wl = _workload({"input_ones": 0.25, "input_zeros": 0.5, "weight_ones": 0.4,
                    "weight_abs_mean": 0.03, "input_stats_bits": 8, "weight_stats_bits": 8},
                   {"input_ones": 0.75, "input_stats_bits": 4})
    a, b = op_arrays(wl).activity, op_arrays_reference(wl).activity
    for f in ("input_ones", "input_zeros", "weight_ones", "weight_abs_mean", "input_stats_bits",
              "weight_stats_bits"):
        x, y = getattr(a, f), getattr(b, f)
        assert np.array_equal(x, y, equal_nan=True), f
    assert a.input_ones.tolist() == [0.25, 0.75] and np.isnan(a.weight_ones[1])


def test_files_with_and_without_statistics_round_trip_byte_for_byte(tmp_path):
    # the statistics are ordinary tags: a file without them is written as before, and a file
    # with them reads and writes back unchanged
    for wl in (_workload(), _workload({"input_ones": 0.1234567890123, "input_stats_bits": 8,
                                       "weight_abs_mean": 1e-3})):
        p1, p2 = tmp_path / "a.json", tmp_path / "b.json"
        save_workload(wl, p1)
        save_workload(load_workload(p1), p2)
        assert p1.read_bytes() == p2.read_bytes()
    tags = json.loads(p1.read_text())["ops"][0]["tags"]
    assert tags["input_ones"] == 0.1234567890123


def test_cost_cache_keeps_statistics_apart():
    # a cost table is keyed by the workload object and the rate-free architecture: the same ops
    # with and without statistics, or another cell.input_ones, never share one
    from cimsim import simulate
    from cimsim.cost.cache import CostCache

    cache = CostCache()
    arch = load_architecture(RRAM)
    stated, plain = _workload({"input_ones": 0.25, "input_stats_bits": 8}), _workload()
    first = simulate(arch, stated, engine="analytic", costs=cache).energy_j
    assert simulate(arch, plain, engine="analytic", costs=cache).energy_j != first
    assert simulate(arch, stated, engine="analytic", costs=cache).energy_j == first
    assert cache.hits == 1
    quarter = load_architecture(RRAM, {"cim.cell.input_ones": 0.25})
    # op a at 0.25 either way; op b moves to 0.25 only on the 0.25 config
    assert simulate(quarter, stated, engine="analytic", costs=cache).energy_j < first


VALIDATION = Path(cimsim.__file__).parent / "data" / "validation"


@pytest.mark.parametrize("cfg, over", [
    (VALIDATION / "colonnade-jssc2021.yaml", {}),  # digital bit-serial cells, 1-bit inputs
    (VALIDATION / "jia-jssc2020.yaml", {}),  # charge-domain cells, binary inputs and weights
    (VALIDATION / "sinangil-jssc2021.yaml", {}),  # pulse-count input drive, 4-bit cells
    (RRAM, {"cim.adc.type": "current_sense"}),  # pulse-limited column read, 1T1R row drive
], ids=["digital", "charge", "pulse_count", "current_sense"])
def test_every_cell_model_takes_the_ops_activity(cfg, over):
    # the op's own figures draw exactly the energy of the config holding them; a figure the
    # design cannot use (sinangil's 4-bit cells: weight_ones) stays the config's
    arch = load_architecture(cfg, over)
    c = next(i for i in arch.instances if i.name == "cim").config
    tags = {"input_ones": 0.25, "weight_ones": 0.3, "input_stats_bits": c.input_bits,
            "weight_stats_bits": c.weight_bits}
    e, pl = _energy(arch, _workload(tags))
    own_w = pl.facts()["cim_weight_ones_default_ops"] == 1
    assert own_w == (c.bits_per_cell == 1)
    same = load_architecture(cfg, {**over, "cim.cell.input_ones": 0.25,
                                   **({"cim.cell.weight_ones": 0.3} if own_w else {})})
    e_same, _ = _energy(same, _workload())
    for part in ("cim_array", "cim_dac"):
        assert e[part][0] == pytest.approx(e_same[part][0], rel=1e-14, abs=0), part
    assert e["cim_dac"][0] != e["cim_dac"][1]


def test_structural_registers_per_op_as_in_the_design():
    # the per-op energies use the technology block's register design as the design does
    over = {"technology.registers.design": "structural"}
    arch = load_architecture(RRAM, over)
    quarter = load_architecture(RRAM, {**over, "cim.cell.input_ones": 0.25})
    e, _ = _energy(arch, _workload({"input_ones": 0.25, "input_stats_bits": 8}))
    e_quarter, _ = _energy(quarter, _workload())
    for part in ("cim_array", "cim_dac", "cim_switch"):
        assert e[part][0] == e_quarter[part][0], part
