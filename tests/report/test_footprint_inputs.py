"""Inputs an embodied/operational carbon estimate reads from cimsim (find-C 23): the bundled
memory capacities in the binary units their parts hold, energy per generated token at a stated
period, the process node a config states, the unit hint for ``mm2`` and the sweep Parquet's
column units.

Golden values are datasheet arithmetic: an H100 SXM5's 80 GB is 5 HBM3 stacks x 16 GiB
(8-high x 16 Gb dies); a DDR5 "32 GB" RDIMM is 32 GiB; CUDA reports the H100's L2 as
52,428,800 B = 50 MiB; Aquabolt-XL is 6 GiB where Aquabolt is 8 GiB.
"""

from __future__ import annotations

import pandas as pd
import pytest

from cimsim import simulate
from cimsim.bundled import resolve_config
from cimsim.config import load_architecture
from cimsim.report import columns as C
from cimsim.report.column_docs import column_units
from cimsim.sweep.columns import ATTR_COLUMN_UNITS, ATTR_PARAMS
from cimsim.sweep.store import write_parquet
from cimsim.units import UnitError, parse_quantity
from cimsim.workload.llm import LLMModel, llm_serving

from conftest import gemv_workload

GiB, MiB = 2 ** 30, 2 ** 20


def _levels(name: str) -> dict[str, float]:
    arch = load_architecture(resolve_config(name))
    return {n: lvl.capacity for n, lvl in arch.memory.items()}


@pytest.mark.parametrize("name, dram", [
    ("gpu-hbm3", 5 * 16 * GiB),  # 85,899,345,920 B, not 80e9
    ("hbm-pim", 5 * 16 * GiB * 6 // 8),  # the same 5 stacks of 6 GiB Aquabolt-XL-class dies: 60 GiB
    ("gpu-hbm-pim-attn", 60 * GiB),
    ("cpu-ddr5", 8 * 32 * GiB),  # 274,877,906,944 B, not 256e9
    ("rram-cim", 8 * 32 * GiB), ("sram-cim", 8 * 32 * GiB), ("tpu-like", 8 * 32 * GiB),
    ("rram-cim-derived", 8 * 32 * GiB), ("sram-cim-derived", 8 * 32 * GiB),
])
def test_bundled_backing_capacity_is_the_parts_binary_capacity(name, dram):
    levels = _levels(name)
    assert levels["dram"] == dram


@pytest.mark.parametrize("name", ["gpu-hbm3", "hbm-pim", "gpu-hbm-pim-attn"])
def test_h100_l2_is_50_mib(name):
    assert _levels(name)["sram"] == 50 * MiB  # 52,428,800 B as CUDA's l2CacheSize


def test_backing_headroom_uses_80_gib():
    """A run's backing_capacity_bytes on gpu-hbm3 is the 80 GiB an H100 holds."""
    r = simulate(load_architecture(resolve_config("gpu-hbm3")), gemv_workload(64, 64))
    assert r.record()[C.BACKING_CAPACITY_BYTES] == 85_899_345_920


TINY = LLMModel(layers=2, hidden=32, heads=8, kv_heads=2, ffn=48, vocab=20, head_dim=4, gated=True)


def test_period_j_per_token_is_the_period_energy_over_the_runs_tokens():
    """4 requests x (1 prefill token + 3 decode tokens) = 16 tokens a run; at a 10 ms period a
    token costs (dynamic energy + static power x 10 ms) / 16, not 1 / tokens_per_j."""
    r = simulate(load_architecture(resolve_config("gpu-hbm3")),
                 llm_serving(TINY, prompt=8, decode=3, batch=4))
    loaded = r.at_load(period_s=0.01)
    rec = loaded.record()
    assert rec[C.TOKENS_PER_RUN] == 16
    dynamic = r.energy_j - r.energy_breakdown_j[C.STATIC]
    expected = (dynamic + r.static_power_w * 0.01) / 16
    assert rec[C.PERIOD_J_PER_TOKEN] == pytest.approx(expected, rel=1e-12, abs=0)
    assert rec[C.TOKENS_PER_J] == pytest.approx(16 / r.energy_j, rel=1e-12, abs=0)  # the full-load figure, unchanged
    assert rec[C.PERIOD_J_PER_TOKEN] > 1 / rec[C.TOKENS_PER_J]  # idle static power between runs


def test_period_j_per_token_absent_without_tokens():
    r = simulate(load_architecture(resolve_config("gpu-hbm3")), gemv_workload(64, 64))
    assert C.PERIOD_J_PER_TOKEN not in r.at_load(period_s=0.01).record()


def test_technology_node_column_where_the_config_states_one():
    derived = simulate(load_architecture(resolve_config("sram-cim-derived")), gemv_workload(64, 64))
    assert derived.record()[C.TECHNOLOGY_NODE_M] == 22e-9  # technology: {node: 22 nm}
    plain = simulate(load_architecture(resolve_config("rram-cim")), gemv_workload(64, 64))
    assert C.TECHNOLOGY_NODE_M not in plain.record()  # its 32 nm is a YAML comment only


def test_mm2_names_the_caret_form():
    with pytest.raises(UnitError, match=r"write the power with \^: 'mm\^2'"):
        parse_quantity("300mm2", "m^2")
    assert parse_quantity("300 mm^2", "m^2") == pytest.approx(300e-6, rel=1e-12, abs=0)


@pytest.mark.parametrize("text, unit, hint", [
    ("0.5 W/mm2", "W/m^2", r"write the power with \^: 'W/mm\^2'$"),  # the whole compound unit
    ("300 mm**2", "m^2", r"write a power with \^, not \*\*: 'mm\^2'$"),  # not "unknown unit '2'"
    ("1 cm2", "m^2", r"c \(centi\) is not a prefix.*1 cm\^2 = 100 mm\^2"),
    ("1 cm^2", "m^2", r"c \(centi\) is not a prefix"),
    ("1 W/cm2", "W/m^2", r"1 W/cm\^2 = 0.01 W/mm\^2"),
])
def test_area_spellings_name_what_to_write(text, unit, hint):
    """(review 23 G 8) the neighbours of mm2: a compound unit, Python's ** and centimetres."""
    with pytest.raises(UnitError, match=hint):
        parse_quantity(text, unit)


def test_no_area_hint_for_a_non_length():
    """(review 23 G 8) ``ms2`` is no area: no ``ms^2`` suggestion, the list of units instead."""
    with pytest.raises(UnitError, match=r"unknown unit 'ms2'; known units are") as e:
        parse_quantity("5 ms2", "s^2")
    assert "^" not in str(e.value).split(";")[0]


def test_sweep_parquet_carries_result_column_units(tmp_path):
    df = pd.DataFrame({"cim.arrays": [1.0], C.ENERGY: [2.0], C.TOKENS_PER_J: [3.0],
                       C.J_PER_SAMPLE: [4.0], C.WORKLOAD: ["w"]})
    df.attrs[ATTR_PARAMS] = ["cim.arrays"]
    write_parquet(df, tmp_path / "s.parquet")
    units = pd.read_parquet(tmp_path / "s.parquet").attrs[ATTR_COLUMN_UNITS]
    assert column_units([C.OPS, C.TOKENS_PER_RUN, C.PERIOD_UTILIZATION, C.LLM_BATCH, "cim.arrays"]) == {
        C.OPS: "op", C.TOKENS_PER_RUN: "count", C.PERIOD_UTILIZATION: "1", C.LLM_BATCH: "count"}  # (review 23 G 7)
    # the workload's name is a label (""); the swept path's unit is in cimsim_units, not here
    assert units == {C.ENERGY: "J", C.TOKENS_PER_J: "token/J", C.J_PER_SAMPLE: "J", C.WORKLOAD: ""}


@pytest.mark.slow  # a real sweep (its worker start): about 8 s
def test_sweep_frame_in_python_carries_units_counts_and_fractions():
    """(review 23 G 7) the DataFrame cimsim.sweep returns has the units, not only its Parquet;
    counts say ``count``, fractions ``1``, and ``ops`` is ``op`` as ``vector_ops``."""
    import cimsim

    df = cimsim.sweep("sram-cim-derived", "lstm", {"cim.adc.bits": [4]}, engine="analytic", workers=1,
                      quiet=True)
    units = df.attrs[ATTR_COLUMN_UNITS]
    assert units[C.OPS] == "op" and units[C.VECTOR_OPS] == "op" and units[C.MACS] == "MAC"
    assert units[C.SAMPLES_PER_RUN] == "count" and units[C.ENERGY] == "J"
    assert units[C.util_column("cim_arrays")] == "1" and units[C.WORKLOAD] == ""
    assert "cim.adc.bits" not in units  # a swept path: df.attrs["cimsim_units"]
    assert set(units) <= set(map(str, df.columns))


def _tp2_arch():
    """gpu-hbm3 as 2 tensor-parallel devices over an NVLink (the README's gpu-tp2)."""
    from cimsim.config import architecture_from_dict, read_yaml

    d = read_yaml(resolve_config("gpu-hbm3"))
    d["links"] = {"nvlink": {"bandwidth": "450 GB/s", "latency": "4 us", "energy_per_bit": "1.3 pJ/bit"}}
    d["collective"] = {"devices": 2, "link": "nvlink"}
    return architecture_from_dict(d)


def test_period_j_per_token_counts_every_tensor_parallel_device():
    """(review 23 G 6) energy_j is one device's share: at 10 ms a token costs
    (n x dynamic + n x P_static x T) / tokens with n = 2 devices, 100 W each."""
    r = simulate(_tp2_arch(), llm_serving(TINY, prompt=8, decode=3, batch=4, tensor_parallel=2))
    rec = r.at_load(period_s=0.01).record()
    dynamic = r.energy_j - r.energy_breakdown_j[C.STATIC]  # one device's
    assert rec[C.PERIOD_J_PER_TOKEN] == pytest.approx((2 * dynamic + 2 * 100 * 0.01) / 16, rel=1e-9, abs=0)


def test_period_j_per_token_under_idle_sleep():
    """(review 23 G 6) --idle sleep: 100 W over the run, the processor's 10 W sleep power over the
    rest of the 10 ms (no wake-up energy or time stated)."""
    arch = load_architecture(resolve_config("gpu-hbm3"), overrides={"processor.idle.sleep_power": "10 W"})
    r = simulate(arch, llm_serving(TINY, prompt=8, decode=3, batch=4))
    rec = r.at_load(period_s=0.01, idle="sleep").record()
    dynamic, t = r.energy_j - r.energy_breakdown_j[C.STATIC], r.latency_s
    assert rec[C.PERIOD_J_PER_TOKEN] == pytest.approx((dynamic + 100 * t + 10 * (0.01 - t)) / 16, rel=1e-9, abs=0)


def test_period_j_per_token_nan_and_too_slow_in_compare(tmp_path):
    """(review 23 G 6) a period shorter than the run: NaN in the record, and compare's serving
    table says ``too slow (<shortest period>)`` as its main table does, never ``nan J``."""
    from click.testing import CliRunner

    from cimsim.cli import main
    from cimsim.workload.io import save_workload

    w = llm_serving(TINY, prompt=8, decode=3, batch=4)
    r = simulate(load_architecture(resolve_config("gpu-hbm3")), w)
    half = r.latency_s / 2
    assert r.at_load(period_s=half, strict=False).record()[C.PERIOD_J_PER_TOKEN] != \
        r.at_load(period_s=half, strict=False).record()[C.PERIOD_J_PER_TOKEN]  # NaN
    save_workload(w, tmp_path / "w.json")
    cli = CliRunner()
    out = cli.invoke(main, ["compare", "gpu-hbm3", "-w", str(tmp_path / "w.json"), "--period", f"{half}s"],
                     env={"COLUMNS": "250"})
    assert out.exit_code == 0, out.output
    assert "nan J" not in out.output and "J/token at period" in out.output
    serving = out.output[out.output.index("LLM serving"):]
    assert "too slow (" in serving
    ok = cli.invoke(main, ["run", "gpu-hbm3", str(tmp_path / "w.json"), "--period", "10ms"])
    assert ok.exit_code == 0, ok.output
    text = " ".join(ok.output.split())  # the terminal's wrapping
    assert "per generated token (16 a run; period_j_per_token)" in text and "at full load" in text


@pytest.mark.parametrize("b, text", [
    (80 * GiB, "80 GiB (85.9 GB)"),  # as the config writes it, then 85,899,345,920 B in decimal
    (37.5 * MiB, "37.5 MiB (39.32 MB)"),  # cpu-ddr5's L3: 39,321,600 B
    (256 * GiB, "256 GiB (274.9 GB)"),
    (640 * 2 ** 10, "640 KiB (655.4 kB)"),  # edge-cim's SRAM: 655,360 B (final read 23 F1 1)
    (1.5 * 2 ** 10, "1.5 KiB (1.536 kB)"),  # 1,536 B
    (1000, "1 kB"), (512, "512 B"),  # not a whole KiB, and below one: si() alone
    (80e9, "80 GB"),  # decimal: no binary form (though 78,125,000 KiB)
    (11328 * 2 ** 10, "11,328 KiB (11.6 MB)"),  # rram-cim's eDRAM, 177 tiles x 64 KiB
    (13_247_987_712, "13.25 GB"),  # 12,937,488 KiB: a byte count, not a capacity anyone writes
    (16e6, "16 MB"), (4e6, "4 MB"),  # 15,625 KiB and 3,906.25 KiB: round decimals stay decimal
    (2_024_275_968.3, "2.024 GB"),
])
def test_capacity_text_leads_with_the_binary_form(b, text):
    """(review 23 G 4) a capacity written in GiB is shown back in GiB."""
    from cimsim.units import capacity_text

    assert capacity_text(b) == text


def test_fields_and_placement_note_show_gib():
    """(review 23 G 4) ``fields`` and the weights note name 256 GiB and 50 MiB, not 274.878 GB."""
    from click.testing import CliRunner

    from cimsim.cli import main

    out = CliRunner().invoke(main, ["fields", "-c", "rram-cim", "memory.dram.capacity"], env={"COLUMNS": "200"})
    assert out.exit_code == 0 and "256 GiB (274.878 GB)" in out.output, out.output
    r = simulate(load_architecture(resolve_config("gpu-hbm3")), gemv_workload(64, 64))
    [note] = [n for n in r.notes if " weights (matrices read" in n]
    assert "sram 50 MiB (52.43 MB)" in note, note
