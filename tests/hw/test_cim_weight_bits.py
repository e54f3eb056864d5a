"""Per-layer weight precision on a CIM (find-D 2): tag ``weight_value_bits: b`` on a weight
matmul stores its matrix at ``min(weight_bits, b)`` bits, ``ceil(min(weight_bits, b) / bits_per_cell)`` cells a
weight (:mod:`cimsim.hw.cim.wbits`). Golden values by hand on rram-cim (128 x 128 arrays,
2-bit cells, 8-bit weights: 4 cells a weight; 8-bit inputs in 8 one-bit slices) for a
256-256-128-10 MLP, one row:

- layer 0 (k 256, n 256): 2 row tiles x ceil(256 x 4 / 128) = 8 column tiles = 16 arrays;
  conversions 1 row x 2 row tiles x 1,024 columns x 8 slices = 16,384
- layer 2 (k 256, n 128): 2 x ceil(128 x 4 / 128) = 8 arrays, 2 x 512 x 8 = 8,192 conversions;
  at 4 bits (2 cells): 2 x 2 = 4 arrays, 2 x 256 x 8 = 4,096; at 2 bits (1 cell): 2 x 1 = 2
  arrays, 2 x 128 x 8 = 2,048
- layer 4 (k 128, n 10): 1 x ceil(40 / 128) = 1 array, 1 x 40 x 8 = 320 conversions

so 25 arrays and 24,896 conversions untagged; 21 and 20,800 with layer 2 at 4 bits; 19 and
18,752 at 2 bits. An ADC's energy is per conversion, so the ADC energy scales by their ratio.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

import cimsim

LAYERS = [("0", 256, 256), ("2", 256, 128), ("4", 128, 10)]


def _mlp(tmp_path, tag: dict | None = None):
    """The MLP as a workload file; ``tag``: extra tags of layer 2's matmul."""
    tensors = [{"name": "x", "shape": [1, 256], "dtype": "int8", "role": "input"}]
    ops, prev = [], "x"
    for name, k, n in LAYERS:
        tensors += [{"name": f"{name}.weight", "shape": [k, n], "dtype": "int8", "role": "weight"},
                    {"name": f"{name}.out", "shape": [1, n], "dtype": "int8", "role": "activation"}]
        ops.append({"name": f"{name}.mm", "kind": "matmul", "inputs": [prev, f"{name}.weight"],
                    "outputs": [f"{name}.out"], "m": 1, "k": k, "n": n, "weight": f"{name}.weight",
                    "tags": dict(tag or {}) if name == "2" else {}})
        prev = f"{name}.out"
    path = tmp_path / "mlp.json"
    path.write_text(json.dumps({"format": "cimsim-workload", "version": 1, "name": "mlp",
                                "tensors": tensors, "ops": ops}))
    return cimsim.load_workload(path)


def _run(wl):
    r = cimsim.simulate(cimsim.load_architecture("rram-cim"), wl, engine="analytic")
    return r, r


@pytest.mark.parametrize("bits, arrays, conversions", [(None, 25, 24_896), (4, 21, 20_800),
                                                      (2, 19, 18_752)])
def test_weight_value_bits_sets_cells_per_weight(tmp_path, bits, arrays, conversions):
    base = _run(_mlp(tmp_path))[1]
    r, s = _run(_mlp(tmp_path, None if bits is None else {"weight_value_bits": bits}))
    assert s.cim_arrays_used == arrays
    assert s.energy_breakdown_j["cim_adc"] == pytest.approx(
        base.energy_breakdown_j["cim_adc"] * conversions / 24_896, rel=1e-9, abs=0)
    said = [n for n in r.notes if "weight_value_bits" in n]
    if bits is None:
        assert not said
    else:
        assert len(said) == 1 and (f"1 of 3 weight matmuls hold {bits}-bit weights" in said[0])
        assert (f"1 narrower than weight_bits 8, stored in {bits // 2} column(s) a weight "
                "instead of 4 (bits_per_cell 2)") in said[0], said[0]
        assert "--accuracy emulates each at its own bits" in said[0]  # find-L2 1
        assert "known limit" not in said[0]


def test_a_tag_wider_than_the_block_is_held_at_its_bits_and_said(tmp_path):
    r, s = _run(_mlp(tmp_path, {"weight_value_bits": 16}))
    assert s.cim_arrays_used == 25
    note = next(n for n in r.notes if "weight_value_bits" in n)
    assert "1 wider than weight_bits 8, held at 8 bits" in note


def test_a_bad_weight_value_bits_is_one_line_naming_the_op(tmp_path):
    with pytest.raises(cimsim.errors.WorkloadError, match="op '2.mm'.*weight_value_bits = 0"):
        _run(_mlp(tmp_path, {"weight_value_bits": 0}))


def test_weight_bits_under_bits_per_cell_says_how_to_sweep_there(tmp_path):
    """find-D 5: `--set cim.weight_bits=1` on rram-cim's 2-bit cells is refused with how to get
    there (bits_per_cell with it, and a --points CSV for a sweep); with bits_per_cell 1 it runs:
    1-bit weights in one cell, 256 + 128 + 10 columns -> 2 x 2 + 2 x 1 + 1 = 7 arrays."""
    with pytest.raises(cimsim.errors.ConfigError, match=r"bits_per_cell \(2\) cannot exceed "
                       r"weight_bits \(1\): set bits_per_cell <= weight_bits too \(--set "
                       r"cim.bits_per_cell=1; in a sweep, pair them in a --points CSV"):
        cimsim.load_architecture("rram-cim", {"cim.weight_bits": 1})
    arch = cimsim.load_architecture("rram-cim", {"cim.weight_bits": 1, "cim.bits_per_cell": 1})
    assert cimsim.simulate(arch, _mlp(tmp_path), engine="analytic").cim_arrays_used == 7


def test_a_tagged_int4_weight_is_no_precision_mismatch(tmp_path):
    """An int8 layer whose weight is stored int4 and tagged weight_value_bits: 4 is held at 4
    bits on the 8-bit block: 4-bit weights x 8-bit inputs, as stored, so no mismatch note (it
    was told to tag the layer it had tagged); untagged, it is one."""
    _mlp(tmp_path, {"weight_value_bits": 4})
    data = json.loads((tmp_path / "mlp.json").read_text())
    for t in data["tensors"]:
        if t["name"] == "2.weight":
            t["dtype"] = "int4"
    path = tmp_path / "mlp4.json"
    path.write_text(json.dumps(data))
    r = _run(cimsim.load_workload(path))[0]
    assert not r.precision_mismatch, [n for n in r.notes if "precision" in n]
    for op in data["ops"]:
        op["tags"].pop("weight_value_bits", None)
    path.write_text(json.dumps(data))
    r = _run(cimsim.load_workload(path))[0]
    assert r.precision_mismatch


def test_an_int8_weight_tagged_narrower_is_no_precision_mismatch(tmp_path):
    """(review X 5) Layer 2's int8 weight tagged weight_value_bits 4 holds 4-bit values; held at
    4 bits they compute what the int8 trace computes, so no mismatch (the note said "8-bit
    weights x 8-bit inputs, but its ops are int8": no mismatch named). Tagged 4 on a block of
    2-bit weights (all 3 ops mismatch) it is one, and says the tag."""
    assert not _run(_mlp(tmp_path, {"weight_value_bits": 4}))[0].precision_mismatch
    r = cimsim.simulate(cimsim.load_architecture("rram-cim", overrides={"cim.weight_bits": 2}),
                        _mlp(tmp_path, {"weight_value_bits": 4}), engine="analytic")
    note = next(n for n in r.notes if n.startswith("precision mismatch"))
    assert "its ops are int8 tagged weight_value_bits 4, int8 in the workload" in note, note


@pytest.mark.parametrize("bits", [4, 2])
def test_a_tagged_layer_is_programmed_from_its_narrower_bits(tmp_path, bits):
    """(integration of find-D 2 with find-H 3) The bits a matrix is brought in at follow the
    tag: layer 2's 256 x 128 weights at b bits are 32,768 b programmed bits, the others at 8:
    256 x 256 x 8 = 524,288 and 128 x 10 x 8 = 10,240."""
    r, _ = _run(_mlp(tmp_path, {"weight_value_bits": bits}))
    got = r.op_table.set_index("op")["cim_program_weight_bits"]
    assert got["0.mm"] == 524_288 and got["4.mm"] == 10_240
    assert got["2.mm"] == 256 * 128 * bits


def _chip_arch(tmp_path):
    """rram-cim as one chip of 64 arrays (8 PEs of 8), no replication: the chip block's
    deployment (:mod:`cimsim.hw.cim.onchip`)."""
    data = yaml.safe_load((Path(__file__).parents[2] / "configs" / "rram-cim.yaml").read_text())
    data["cim"].update(arrays=64, chip={"node_nm": 22, "levels": {"pe": {"fanout": 8},
                                                                  "chip": {"fanout": 8}}})
    data["cim"].pop("weight_replication", None)
    path = tmp_path / "rchip.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return cimsim.load_architecture(path)


@pytest.mark.parametrize("bits", [4, 1])
def test_a_tagged_layer_re_programmed_brings_in_its_narrower_bytes(tmp_path, bits):
    """(review DH 1) On 10 arrays every layer is re-programmed: layer 2's 256 x 128 weights at
    b bits are 256 x 128 x b / 8 = 4,096 b bytes read from dram (16,384 B at 4, 4,096 B at 1),
    not the 32,768 B of 8 bits; layer 4's 128 x 10 at 8 bits 1,280 B."""
    arch = cimsim.load_architecture("rram-cim", overrides={"cim.arrays": 10})
    r = cimsim.simulate(arch, _mlp(tmp_path, {"weight_value_bits": bits}), engine="analytic")
    t = r.op_table.set_index("op")
    assert t["cim_reprogram"].all()
    assert t.loc["2.mm", "dram_bytes"] == 256 * 128 * bits / 8
    assert t.loc["4.mm", "dram_bytes"] == 1_280


@pytest.mark.parametrize("bits, kb", [(4, "83.2 kB"), (1, "70.91 kB")])
def test_a_chip_block_deploys_a_tagged_layer_from_its_narrower_bytes(tmp_path, bits, kb):
    """(review DH 2) A chip block deploys as the flat pool does: 256 x 256 + 256 x 128 x b / 8 +
    128 x 10 bytes = 83,200 B at 4 bits, 70,912 B at 1 (99,584 B untagged); layer 2's programmed
    bits 256 x 128 x b."""
    r = cimsim.simulate(_chip_arch(tmp_path), _mlp(tmp_path, {"weight_value_bits": bits}),
                        engine="analytic")
    said = [n for n in r.notes if "of weights read from" in n]
    assert len(said) == 1 and f"{kb} of weights read from dram" in said[0], said
    assert r.op_table.set_index("op").loc["2.mm", "cim_program_weight_bits"] == 256 * 128 * bits
