"""ADC styles and cell presets are extension points (a tester, 2026-12-05): a plug-in ADC model (one class:
energy per conversion, conversion time, area as functions of bits, node, supply and rate) or
cell preset (one record) is registered by ``cimsim.hw.register`` or an entry point of
``cimsim.adcs`` / ``cimsim.cells``, and a config names it like a built-in. Before, ``cim.adc.type``
and ``cim.cell.type`` were closed Literals (``Input should be 'sar', 'flash', 'ramp' or
'current_sense'``), so a VCO ADC's own law in bits could not be swept over ``adc.bits``."""

from __future__ import annotations

import subprocess
import sys
import re
import textwrap
from pathlib import Path

import pandas as pd
import pytest

import cimsim
from cimsim.bundled import resolve_config
from cimsim.config.loader import load_architecture
from cimsim.errors import ComponentError, ConfigError
from cimsim.hw.cim.derive import design
from cimsim.hw.parts.registry import adcs, cells
from cimsim.workload import save_workload

from conftest import gemv_workload, plugin_package, run_readme_block

#: a VCO (time-domain) ADC: 2^bits code steps of 50 fJ x node / 22 nm and 0.25 ns each, and a
#: cell preset with rram_1t1r's numbers under another name (a FeFET-like device's place)
PLUGIN = textwrap.dedent('''
    from cimsim.hw import ADCModel, CellPreset

    class VCO(ADCModel):
        type_name = "vco"
        source = "test VCO ADC: 50 fJ x node/22 nm per code step, 0.25 ns per step"

        def conversion_time(self, bits, node_nm, vdd=None):
            return 0.25e-9 * 2.0 ** bits

        def energy(self, bits, node_nm, sample_rate, vdd=None):
            return 50e-15 * 2.0 ** bits * node_nm / 22

        def area(self, bits, node_nm, sample_rate):
            return 100e-12 * bits

    MY_RRAM = CellPreset("my_rram", "resistive", 4, 12, r_on_ohm=100e3, on_off=17,
                         read_voltage_v=0.5, read_pulse_s=10e-9, source="rram_1t1r's numbers",
                         write_energy_j=3e-12, write_pulse_s=10e-9, endurance=1e12)
''')
ENTRY = {"cimsim.adcs": ["vco = vcoplug:VCO"], "cimsim.cells": ["my_rram = vcoplug:MY_RRAM"]}

#: one int8 GEMV of a 128 x 16 weight on rram-cim-derived (128 x 128 arrays, 8-bit weights in
#: 1-bit cells = 128 columns, 16 rows per read, 8 one-bit input slices): 1 row x 128 columns
#: x ceil(128 / 16) = 8 reads x 8 slices = 8192 conversions
CONVERSIONS = 128 * 8 * 8


def vco_energy(bits: int, node_nm: float = 22) -> float:
    """The plug-in's law, written here: 50 fJ x 2^bits x node / 22 nm."""
    return 50e-15 * 2 ** bits * node_nm / 22


@pytest.fixture
def plugin(tmp_path):
    with plugin_package(tmp_path, "vco-plug", "vcoplug", PLUGIN, ENTRY) as env:
        yield env


def _vco_config(tmp_path, **replace) -> str:
    text = resolve_config("rram-cim-derived").read_text().replace("type: flash  #", "type: vco  #")
    for old, new in replace.items():
        text = text.replace(old, new)
    path = tmp_path / "vco.yaml"
    path.write_text(text)
    return str(path)


def test_a_plugin_adc_sweeps_over_bits_by_its_own_law(plugin, tmp_path):
    wl = tmp_path / "gemv.json"
    save_workload(gemv_workload(128, 16, dtype="int8"), wl)
    df = cimsim.sweep(_vco_config(tmp_path), str(wl), ["cim.adc.bits=3,4,5,6"], workers=1,
                      engine="analytic")
    assert df["error"].isna().all() if "error" in df else True
    by_bits = dict(zip(df["cim.adc.bits"].astype(int), df["energy_cim_adc_j"]))
    for bits in (3, 4, 5, 6):  # 8192 conversions x 50 fJ x 2^bits
        assert by_bits[bits] == pytest.approx(CONVERSIONS * vco_energy(bits), rel=1e-12, abs=0)
    # the derived numbers: energy, one conversion per 0.25 ns x 2^bits, the area per ADC
    arch = load_architecture(_vco_config(tmp_path), {"cim.adc.bits": 5})
    c = arch.components["cim"]
    d = design(c, arch.technology)
    assert d.energy_per_conversion == pytest.approx(vco_energy(5), rel=1e-12, abs=0)
    assert d.sample_rate == pytest.approx(1 / (0.25e-9 * 32), rel=1e-12, abs=0)
    assert d.provenance["adc.energy_per_conversion"] == "derived"
    assert d.area["adc"] == pytest.approx(c.arrays * 16 * 500e-12, rel=1e-12, abs=0)  # 16 ADCs/array
    assert any("test VCO ADC" in s for s in d.sources)
    # node and envelope_factor reach it: 45 nm x 2 -> 2 x 45/22 of the 22 nm energy
    arch = load_architecture(_vco_config(tmp_path, **{"node: 22 nm": "node: 45 nm"}),
                             {"cim.adc.bits": 5, "cim.adc.envelope_factor": 2})
    d = design(arch.components["cim"], arch.technology)
    assert d.energy_per_conversion == pytest.approx(2 * vco_energy(5, 45), rel=1e-12, abs=0)


def test_an_installed_plugin_adc_and_cell_run_from_the_command_line(plugin, tmp_path):
    wl = tmp_path / "gemv.json"
    save_workload(gemv_workload(128, 16, dtype="int8"), wl)
    cfg = _vco_config(tmp_path, **{"type: rram_1t1r  #": "type: my_rram  #"})
    out = tmp_path / "s.parquet"
    p = subprocess.run([sys.executable, "-m", "cimsim.cli", "sweep", cfg, "-w", str(wl),
                        "--param", "cim.adc.bits=3,6", "-q", "--engine", "analytic", "-o", str(out)],
                       env=plugin, capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    df = pd.read_parquet(out)
    got = dict(zip(df["cim.adc.bits"].astype(int), df["energy_cim_adc_j"]))
    assert got[3] == pytest.approx(CONVERSIONS * vco_energy(3), rel=1e-12, abs=0)
    assert got[6] == pytest.approx(CONVERSIONS * vco_energy(6), rel=1e-12, abs=0)
    # a misspelt name: one line listing the registered types, the plug-in's included
    p = subprocess.run([sys.executable, "-m", "cimsim.cli", "run", cfg, str(wl), "--set",
                        "cim.adc.type=vcoo"], env=plugin, capture_output=True, text=True)
    err = p.stderr.strip()
    assert p.returncode != 0 and "\n" not in err and "Traceback" not in err, err
    assert "cim.adc.type: ADC type 'vcoo' is not registered (did you mean 'vco'?)" in err
    assert "registered: sar, flash, ramp, current_sense, vco" in err


def test_a_plugin_cell_preset_in_a_derived_config(plugin):
    # the same numbers as rram_1t1r under another name: the same derived design, bit for bit
    ref = load_architecture(resolve_config("rram-cim-derived"))
    mine = load_architecture(resolve_config("rram-cim-derived"), {"cim.cell.type": "my_rram"})
    d0 = design(ref.components["cim"], ref.technology)
    d1 = design(mine.components["cim"], mine.technology)
    for f in ("cell_read_energy", "dac_energy", "read_latency", "switch_energy"):
        assert getattr(d1, f) == getattr(d0, f), f
    assert d1.area == d0.area
    # a resistive cell goes with technology rram, and the SRAM design names it when refusing
    with pytest.raises(ConfigError, match=r"my_rram does not go with technology sram; .*\(or "
                                          r"set technology: rram\)"):
        load_architecture(resolve_config("sram-cim-derived"), {"cim.cell.type": "my_rram"},
                          cli=True)
    with pytest.raises(ConfigError, match=r"allowed: rram_1t1r, fefet, pcm, stt_mram, my_rram \(or"):
        load_architecture(resolve_config("rram-cim-derived"), {"cim.cell.type": "sram_6t"},
                          cli=True)
    with pytest.raises(ConfigError, match=r"'my_ram' is not registered \(did you mean 'my_rram'\?\)"):
        load_architecture(resolve_config("rram-cim-derived"), {"cim.cell.type": "my_ram"}, cli=True)


BAD = textwrap.dedent('''
    from cimsim.hw import ADCModel

    class Negative(ADCModel):
        type_name = "neg-adc"
        def conversion_time(self, bits, node_nm, vdd=None):
            return 1e-9
        def energy(self, bits, node_nm, sample_rate, vdd=None):
            return -1e-12

    class Text(Negative):
        type_name = "text-adc"
        def energy(self, bits, node_nm, sample_rate, vdd=None):
            return "1 pJ"

    class Raises(Negative):
        type_name = "raise-adc"
        def energy(self, bits, node_nm, sample_rate, vdd=None):
            return 1 / 0

    class NoEnergy(ADCModel):
        type_name = "no-energy"
        def conversion_time(self, bits, node_nm, vdd=None):
            return 1e-9
''')


@pytest.mark.parametrize("name, says", [
    ("neg-adc", "ADC model 'neg-adc' (badadc.Negative): energy() returned -1e-12, not a finite "
                "number of J >= 0"),
    ("text-adc", "ADC model 'text-adc' (badadc.Text): energy() returned '1 pJ', not a finite "
                 "number of J >= 0"),
    ("raise-adc", "ADC model 'raise-adc' (badadc.Raises): energy() raised ZeroDivisionError: "
                  "division by zero (badadc.py:"),
])
def test_a_plugin_adc_returning_a_bad_energy_is_one_line_naming_it(tmp_path, name, says):
    with plugin_package(tmp_path, "bad-adc", "badadc", BAD,
                        {"cimsim.adcs": [f"{n} = badadc:{c}" for n, c in (
                            ("neg-adc", "Negative"), ("text-adc", "Text"),
                            ("raise-adc", "Raises"))]}) as env:
        with pytest.raises(ComponentError, match="^" + says.replace("(", r"\(").replace(")", r"\)")):
            arch = load_architecture(resolve_config("rram-cim-derived"), {"cim.adc.type": name})
            design(arch.components["cim"], arch.technology)
        cfg = tmp_path / "bad.yaml"
        cfg.write_text(resolve_config("rram-cim-derived").read_text()
                       .replace("type: flash  #", f"type: {name}  #"))
        p = subprocess.run([sys.executable, "-m", "cimsim.cli", "run", str(cfg), "lstm"],
                           env=env, capture_output=True, text=True)
        err = p.stderr.strip()
        assert p.returncode != 0 and "Traceback" not in err and says in err, err


def test_bad_and_duplicate_plugins_are_refused(tmp_path):
    sys.path.insert(0, str(tmp_path))
    (tmp_path / "badadc.py").write_text(BAD)
    try:
        import badadc

        with pytest.raises(ComponentError, match=r"ADC model 'no-energy' \(badadc.NoEnergy\) does "
                                                 r"not implement energy\(\)"):
            cimsim.hw.register(badadc.NoEnergy)

        class Sar(badadc.Negative):
            type_name = "sar"
        with pytest.raises(ValueError, match="ADC type 'sar' is already registered by "
                                             "cimsim.hw.circuits.adc.SAR"):
            cimsim.hw.register(Sar)
        with pytest.raises(ValueError, match="'sar' is a built-in ADC type"):
            cimsim.hw.registry.unregister("sar", kind="adc")
        first = cimsim.hw.register(badadc.Negative)

        class Again(badadc.Negative):
            type_name = "neg-adc"
        with pytest.raises(ValueError, match="ADC type 'neg-adc' is already registered by "
                                             "badadc.Negative"):
            cimsim.hw.register(Again)
        assert adcs.types()["neg-adc"] is first
    finally:
        cimsim.hw.registry.unregister("neg-adc", kind="adc")
        sys.path.remove(str(tmp_path))
        sys.modules.pop("badadc", None)
    from cimsim.hw import CellPreset

    with pytest.raises(ComponentError, match=r"cell preset 'inf' \(run time\): r_on_ohm inf is "
                                             r"not a finite number > 0"):
        cimsim.hw.register(CellPreset("inf", "resistive", 4, 12, r_on_ohm=float("inf"),
                                      on_off=10, read_voltage_v=0.2, read_pulse_s=1e-8))
    for mb in (1.5, 0.5):  # review18-4: "holds at most 1.5 bits" read as sense
        with pytest.raises(ComponentError, match=rf"cell preset 'frac' \(run time\): "
                                                 rf"max_bits_per_cell {mb!r} is not a positive "
                                                 r"integer"):
            cimsim.hw.register(CellPreset("frac", "resistive", 4, 12, r_on_ohm=1e5, on_off=10,
                                          read_voltage_v=0.2, read_pulse_s=1e-8,
                                          max_bits_per_cell=mb))
    assert "frac" not in cells.types()
    with pytest.raises(ValueError, match="cell type 'fefet' is already registered by cimsim"):
        cimsim.hw.register(CellPreset("fefet", "resistive", 4, 12, r_on_ohm=1e5, on_off=10,
                                      read_voltage_v=0.2, read_pulse_s=1e-8))
    assert "inf" not in cells.types()


def test_the_readme_adc_and_cell_block_runs_as_written():
    """README "A new ADC style or cell technology": its VCO at 4 bits on rram-cim-derived (22
    nm) is 50 fJ x 2^4 = 800 fJ a conversion, one per 0.25 ns x 16 = 4 ns; its FeFET preset
    goes with technology rram."""
    run_readme_block("**A new ADC style or cell technology**")
    try:
        arch = load_architecture(resolve_config("rram-cim-derived"),
                                 {"cim.adc.type": "vco", "cim.cell.type": "my_fefet"})
        d = design(arch.components["cim"], arch.technology)
        assert d.energy_per_conversion == pytest.approx(800e-15, rel=1e-12, abs=0)
        assert d.sample_rate == pytest.approx(1 / 4e-9, rel=1e-12, abs=0)
        assert d.provenance["cell_read_energy"] == "derived"
    finally:
        cimsim.hw.registry.unregister("vco", kind="adc")
        cimsim.hw.registry.unregister("my_fefet", kind="cell")


def test_a_derived_design_without_an_adc_type_names_the_registered_types(tmp_path):
    """A derived CIM config whose ``cim.adc.type`` is left out (found by the config fuzzer,
    2026-12-05 evening): the error listing the registered ADC types read them off a local
    count of ADCs that shadowed the registry, an AttributeError traceback; it is one line."""
    from click.testing import CliRunner

    from cimsim.bundled import resolve_config
    from cimsim.cli import main

    text = Path(resolve_config("rram-cim-derived")).read_text()
    kept = [ln for ln in text.splitlines() if not re.match(r"\s+type: flash\b", ln)]
    assert len(kept) == len(text.splitlines()) - 1  # the ADC's type line, and only it
    cfg = tmp_path / "no-adc-type.yaml"
    cfg.write_text("\n".join(kept) + "\n")
    r = CliRunner().invoke(main, ["run", str(cfg), "lstm", "--engine", "analytic"])
    assert r.exit_code == 1 and not isinstance(r.exception, AttributeError), repr(r.exception)
    line = r.output.strip()
    assert len(line.splitlines()) == 1 and "adc.type" in line
    assert "registered ADC type: sar, flash, ramp, current_sense" in line

