"""A weight read in both orientations on one copy, read transposed (find-O 5; option
``cim.transposed_read``, modules cimsim.hw.cim.tiling / flat / derive).

Before: the backward pass's dX = dY W^T (and a tied autoencoder's decoder) was always a second,
separately programmed copy of the weight (`'net.2.weight' ... each orientation has arrays of its
own (a second copy)`: 8 more arrays and 2.39 uJ more programming on rram-cim for the 784-256-10
SGD step), with no option for the in-situ training array (RPU, DNN+NeuroSim V2) that drives its
columns and senses its rows. Now ``transposed_read: true`` holds one copy, read both ways,
and the arrays carry row-side ADCs (area)."""

from __future__ import annotations

import json
import copy

import pytest
from conftest import ROUND_CIM, ROUND_LINK, make_arch

from cimsim.errors import ConfigError
from cimsim.pipeline import simulate_quietly
from cimsim.workload.ir import Op, Tensor, Workload


def _tied(k: int = 128, n: int = 16) -> Workload:
    """x (1 x k) @ W (k x n), then h (1 x n) @ W^T: the same weight, both orientations."""
    return Workload("tied", [
        Tensor("x", (1, k), "fp32", "input"), Tensor("W", (k, n), "fp32", "weight"),
        Tensor("h", (1, n), "fp32", "activation"), Tensor("y", (1, k), "fp32", "activation"),
    ], [Op("enc", "matmul", ("x", "W"), ("h",), m=1, k=k, n=n, weight="W"),
        Op("dec", "matmul", ("h", "W"), ("y",), m=1, k=n, n=k, weight="W")])


def _arch(**cim):
    c = copy.deepcopy(ROUND_CIM)
    c.update(cim)
    return make_arch(name="round-cim", cim=c, interconnect=dict(ROUND_LINK))


def test_one_copy_read_both_ways_drops_the_second_copys_arrays_and_programming():
    """ROUND_CIM: 128 x 128 arrays, 8-bit weights in 2-bit cells (4 columns a weight). W 128 x 16
    is 1 array (128 rows x 64 columns); W^T 16 x 128 is 4 (16 rows x 512 columns). The second
    copy's programming: 16 x 512 = 8,192 cells x 10 pJ = 81.92 nJ, plus its 2,048 bytes x 8 x
    (10 pJ/bit DRAM + 1 pJ/bit link) = 180.224 nJ: 262.144 nJ."""
    two = simulate_quietly(_arch(), _tied())
    one = simulate_quietly(_arch(transposed_read=True), _tied())
    r2, r1 = two.record(), one.record()
    assert (r2["cim_arrays_needed"], r1["cim_arrays_needed"]) == (5, 1)
    assert r2["programming_energy_j"] - r1["programming_energy_j"] == pytest.approx(
        8192 * 10e-12 + 2048 * 8 * 11e-12, rel=1e-9, abs=0)
    assert any("read transposed on the same arrays" in n for n in one.notes)
    assert any("a second copy; transposed_read: true" in n for n in two.notes)


def test_the_row_side_adcs_are_in_the_area():
    """A derived design (22 nm): one row-side ADC set per array beside the columns', as many
    per row as per column on a square array, so the ADC and shift-add areas double."""
    from conftest import cim_arch_22nm

    base = {k: v for k, v in ROUND_CIM.items()}
    base["adc"] = {"type": "sar", "bits": 8, "columns_per_adc": 8}
    for f in ("read_latency", "dac_energy", "cell_read_energy", "shift_add_energy"):
        base.pop(f)
    base["adc"].pop("sample_rate", None)
    from cimsim.hw.cim.derive import design

    def area(cim):
        arch = cim_arch_22nm(cim)
        return design(arch.components["cim"], arch.technology).area

    off, on = area(base), area({**base, "transposed_read": True})
    assert on["adc"] == pytest.approx(2 * off["adc"], rel=1e-12, abs=0)
    assert on["digital"] == pytest.approx(2 * off["digital"], rel=1e-12, abs=0)
    assert on["arrays"] == off["arrays"]


def test_a_chip_block_refuses_it_in_one_line():
    from conftest import tiny_chip

    d = tiny_chip("serial", {})
    d["cim"]["transposed_read"] = True
    from cimsim.config.loader import architecture_from_dict

    with pytest.raises(ConfigError) as e:
        architecture_from_dict(d)
    msg = str(e.value)
    assert "\n" not in msg and "transposed_read does not apply with a chip block" in msg


def _square(tags: bool) -> Workload:
    """x @ W.T, then dY @ W, W 64 x 64: one k, told apart only by the tag weight_transposed."""
    t = ({"weight_transposed": 1}, {"weight_transposed": 0}) if tags else ({}, {})
    return Workload("square", [
        Tensor("x", (1, 64), "fp32", "input"), Tensor("W", (64, 64), "fp32", "weight"),
        Tensor("h", (1, 64), "fp32", "activation"), Tensor("y", (1, 64), "fp32", "activation"),
    ], [Op("fwd", "matmul", ("x", "W"), ("h",), m=1, k=64, n=64, weight="W", tags=t[0]),
        Op("dx", "matmul", ("h", "W"), ("y",), m=1, k=64, n=64, weight="W", tags=t[1])])


def test_a_square_weight_read_both_ways_is_two_matrices_by_its_tag():
    """Review 19-A 2: W 64 x 64 in 4 columns a weight is 64 rows x 256 columns, 2 arrays a copy.
    Tagged x @ W.T and dY @ W: two copies (4 arrays), or one read transposed (2); untagged (a
    workload written by hand without the tag) the two reads are one k x n: one copy, as before."""
    assert simulate_quietly(_arch(), _square(True)).record()["cim_arrays_needed"] == 4
    assert simulate_quietly(_arch(transposed_read=True), _square(True)).record()[
        "cim_arrays_needed"] == 2
    assert simulate_quietly(_arch(), _square(False)).record()["cim_arrays_needed"] == 2


@pytest.mark.parametrize("value, said", [(2, "= 2 is not allowed"), ("yes", "= 'yes' is not a number")])
def test_a_weight_transposed_tag_other_than_0_or_1_is_refused_in_one_line(tmp_path, value, said):
    from cimsim.errors import WorkloadError
    from cimsim.workload import load_workload
    from cimsim.workload.io import save_workload

    w = _square(True)
    save_workload(w, tmp_path / "w.json")
    text = (tmp_path / "w.json").read_text()
    assert text.count('"weight_transposed":0') == 1  # the dx op's tag, written compactly
    (tmp_path / "w.json").write_text(text.replace('"weight_transposed":0', f'"weight_transposed":{json.dumps(value)}'))
    with pytest.raises(WorkloadError) as e:  # refused when read, naming the file
        simulate_quietly(_arch(), load_workload(tmp_path / "w.json"))
    msg = str(e.value)
    assert "\n" not in msg and "op 'dx' (#1): tag weight_transposed " + said in msg


def test_a_given_digital_area_gets_its_row_side_too():
    """Review 19-A 5: a config that gives area.digital (per array: its column side's shift-adds,
    S+H) got row-side ADCs but no row-side shift-adds. ROUND_CIM's 128 x 128 arrays are square:
    as many row-side as column-side ADCs, so both given areas double (0.01 mm^2 of digital a
    array: 2 x 0.01 mm^2 x the arrays), the arrays' own area stays."""
    from cimsim.hw.cim.derive import design

    area = {"array": "0.001 mm^2", "adc": "0.002 mm^2", "digital": "0.01 mm^2"}

    def got(**cim):
        arch = _arch(area=dict(area), **cim)
        return design(arch.components["cim"], arch.technology).area

    off, on = got(), got(transposed_read=True)
    arrays = ROUND_CIM["arrays"]
    assert off["digital"] == pytest.approx(arrays * 0.01e-6, rel=1e-12, abs=0)
    assert on["digital"] == pytest.approx(2 * arrays * 0.01e-6, rel=1e-12, abs=0)
    assert on["adc"] == pytest.approx(2 * off["adc"], rel=1e-12, abs=0)
    assert on["arrays"] == off["arrays"]


def test_the_note_says_a_bit_sliced_transposed_read_is_a_floor():
    """Review 19-A 5: 8-bit weights in ROUND_CIM's 2-bit cells, 4 cells a weight: the transposed
    read's per-significance passes are not modelled, and the note says so; off, no such clause."""
    on = simulate_quietly(_arch(transposed_read=True), _tied()).notes
    off = simulate_quietly(_arch(), _tied()).notes
    clause = "(time a floor: 4 cells a weight, the per-significance passes"
    assert any("read transposed on the same arrays" in n and clause in n for n in on)
    assert not any(clause in n for n in off)


def test_the_floor_note_counts_a_differential_weights_cells():
    """A differential design holds 2 x ceil((8 - 1) / 2) = 8 cells an 8-bit weight in 2-bit cells
    (:func:`cimsim.hw.cim.tiling.columns_per_weight`); the note said 4 (final-read19-2 #7)."""
    notes = simulate_quietly(_arch(transposed_read=True, nonideal={"encoding": "differential"}),
                             _tied()).notes
    assert any("(time a floor: 8 cells a weight, the per-significance passes" in n for n in notes), notes
