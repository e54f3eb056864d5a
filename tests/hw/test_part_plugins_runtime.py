"""Plug-in ADC models and cell presets registered at run time (``cimsim.hw.register``), in sweeps
and interactive sessions (review 3, findings 3-7): they reach a sweep's worker processes, a
misspelt swept type is refused before any run, re-registering a law gives its own numbers, a
bad ``placeholder_fields`` is one line at registration, and a clashing entry point is said once
per sweep."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

import cimsim
from cimsim.bundled import resolve_config
from cimsim.config.loader import load_architecture
from cimsim.errors import ComponentError
from cimsim.hw import ADCModel, CellPreset
from cimsim.hw.cim.derive import design
from cimsim.hw.registry import unregister
from cimsim.sweep.params import SweepSpecError
from cimsim.workload import save_workload

from conftest import gemv_workload, install_plugin

#: one int8 GEMV of a 128 x 16 weight on rram-cim-derived: 1 row x 128 columns x ceil(128 /
#: 16) = 8 reads x 8 one-bit input slices = 8,192 conversions (as test_part_plugins.py)
CONVERSIONS = 128 * 8 * 8

#: a script that defines and registers a VCO ADC (50 fJ x 2^bits at 22 nm) only under its
#: `if __name__ == "__main__":`, then sweeps it over bits with two worker processes
SCRIPT = textwrap.dedent('''
    import json, sys
    import cimsim

    if __name__ == "__main__":
        from cimsim.hw import ADCModel

        class VCO(ADCModel):
            type_name = "vco-main"
            source = "a VCO defined in the script's main block"

            def conversion_time(self, bits, node_nm, vdd=None):
                return 0.25e-9 * 2.0 ** bits

            def energy(self, bits, node_nm, sample_rate, vdd=None):
                return 50e-15 * 2.0 ** bits * node_nm / 22

        cimsim.hw.register(VCO)
        df = cimsim.sweep(sys.argv[1], sys.argv[2], ["cim.adc.bits=3,6"], workers=2,
                          engine="analytic")
        errors = df["error"].dropna().tolist() if "error" in df else []
        print(json.dumps({"energy": dict(zip(df["cim.adc.bits"].astype(int).astype(str),
                                             df["energy_cim_adc_j"])), "errors": errors}))
''')


def _vco_config(tmp_path, name: str) -> str:
    path = tmp_path / "vco.yaml"
    path.write_text(resolve_config("rram-cim-derived").read_text().replace(
        "type: flash  #", f"type: {name}  #"))
    return str(path)


def _gemv(tmp_path) -> str:
    wl = tmp_path / "gemv.json"
    save_workload(gemv_workload(128, 16, dtype="int8"), wl)
    return str(wl)


@pytest.mark.slow
def test_an_adc_registered_in_a_scripts_main_block_reaches_two_sweep_workers(tmp_path):
    # no entry point is installed: the class exists only in the main process, defined and
    # registered under the script's main guard, which the workers' import of the script skips
    (tmp_path / "sweep_vco.py").write_text(SCRIPT)
    env = install_plugin(tmp_path, "nothing", {})  # cimsim's sources on the path, no entry point
    p = subprocess.run([sys.executable, "sweep_vco.py", _vco_config(tmp_path, "vco-main"),
                        _gemv(tmp_path)], cwd=tmp_path, env=env, capture_output=True, text=True,
                       timeout=600)
    assert p.returncode == 0, p.stderr
    got = json.loads(p.stdout.strip().splitlines()[-1])
    assert got["errors"] == []
    for bits in (3, 6):  # 8,192 conversions x 50 fJ x 2^bits: 3.2768 nJ and 26.2144 nJ
        assert got["energy"][str(bits)] == pytest.approx(CONVERSIONS * 50e-15 * 2 ** bits,
                                                         rel=1e-12, abs=0)


def test_a_part_that_cannot_be_sent_to_the_workers_is_refused_before_any_run(tmp_path):
    import threading

    class Locked(ADCModel):
        type_name = "locked-adc"
        lock = threading.Lock()  # no pickle can carry it

        def conversion_time(self, bits, node_nm, vdd=None):
            return 1e-9

        def energy(self, bits, node_nm, sample_rate, vdd=None):
            return 1e-13

    cimsim.hw.register(Locked)
    try:
        with pytest.raises(cimsim.errors.CimsimError, match=r"^ADC type 'locked-adc' was registered in "
                           r"this process only \(cimsim.hw.register\) and cannot be sent to the "
                           r"sweep's worker processes: .*lock.*; define it in a module the workers"):
            cimsim.sweep(_vco_config(tmp_path, "locked-adc"), _gemv(tmp_path), ["cim.adc.bits=3,6"],
                         workers=1, engine="analytic")
    finally:
        unregister("locked-adc", kind="adc")


@pytest.mark.parametrize("path, values, says", [
    ("cim.adc.type", "sar,flsh", "'flsh' is not one of sar, flash, ramp, current_sense"),
    ("cim.cell.type", "rram_1t1r,fefett", "'fefett' is not one of rram_1t1r, sram_6t, sram_8t, "
                                          "sram_charge, sram_digital, sram_dcim, fefet, pcm"),
])
def test_a_misspelt_swept_adc_or_cell_type_is_refused_before_any_run(tmp_path, path, values, says):
    with pytest.raises(SweepSpecError, match=f"{path}={values}: {says}"):
        cimsim.sweep("rram-cim-derived", _gemv(tmp_path), [f"{path}={values}"], workers=1,
                     output=str(tmp_path / "x.parquet"))
    assert not (tmp_path / "x.parquet").exists()


def test_a_swept_type_may_name_a_part_registered_at_run_time(tmp_path):
    class Vco(ADCModel):
        type_name = "vco-swept"

        def conversion_time(self, bits, node_nm, vdd=None):
            return 0.25e-9 * 2.0 ** bits

        def energy(self, bits, node_nm, sample_rate, vdd=None):
            return 50e-15 * 2.0 ** bits * node_nm / 22

    cimsim.hw.register(Vco)
    try:
        df = cimsim.sweep("rram-cim-derived", _gemv(tmp_path), ["cim.adc.type=vco-swept"],
                          workers=1, engine="analytic")
    finally:
        unregister("vco-swept", kind="adc")
    assert "error" not in df or df["error"].isna().all()
    # rram-cim-derived's ADCs are 4-bit: 8,192 conversions x 50 fJ x 2^4
    assert df["energy_cim_adc_j"].iloc[0] == pytest.approx(CONVERSIONS * 50e-15 * 16, rel=1e-12, abs=0)


def _vco(per_step: float):
    class VCO(ADCModel):
        type_name = "vco-law"

        def conversion_time(self, bits, node_nm, vdd=None):
            return 0.25e-9 * 2.0 ** bits

        def energy(self, bits, node_nm, sample_rate, vdd=None):
            return per_step * 2.0 ** bits

    return VCO


def test_unregister_and_register_of_an_adc_law_gives_the_new_laws_numbers():
    def per_conversion() -> float:
        arch = load_architecture(resolve_config("rram-cim-derived"), {"cim.adc.type": "vco-law"})
        return design(arch.components["cim"], arch.technology).energy_per_conversion

    cimsim.hw.register(_vco(50e-15))
    try:
        assert per_conversion() == pytest.approx(50e-15 * 2 ** 4, rel=1e-12, abs=0)  # 0.8 pJ
        unregister("vco-law", kind="adc")
        cimsim.hw.register(_vco(100e-15))
        assert per_conversion() == pytest.approx(100e-15 * 2 ** 4, rel=1e-12, abs=0)  # 1.6 pJ
    finally:
        unregister("vco-law", kind="adc")


@pytest.mark.parametrize("fields, shown", [(("r_on_ohm",), "('r_on_ohm',)"), ("r_on", "'r_on'"),
                                           (("r_on", 3), "('r_on', 3)")])
def test_a_cell_preset_with_bad_placeholder_fields_is_refused_at_registration(fields, shown):
    cell = CellPreset("badcell", "resistive", 4, 12, r_on_ohm=1e5, on_off=17, read_voltage_v=0.5,
                      read_pulse_s=1e-8, placeholder=True, placeholder_fields=fields)
    with pytest.raises(ComponentError) as exc:
        cimsim.hw.register(cell)
    msg = str(exc.value)
    assert "\n" not in msg
    assert msg.startswith(f"cell preset 'badcell' (run time): placeholder_fields {shown} is not a "
                          "tuple of cim.cell fields; allowed: r_on, on_off, read_voltage, ")
    assert "badcell" not in cimsim.hw.parts.registry.cells.types()


@pytest.mark.slow
def test_an_entry_point_named_like_a_built_in_adc_is_said_once_per_sweep(tmp_path):
    env = install_plugin(tmp_path, "clashplug", {"cimsim.adcs": ["sar = clashplug:X"]},
                         {"clashplug": "X = None\n"})
    p = subprocess.run([sys.executable, "-m", "cimsim.cli", "sweep", "rram-cim-derived", "-w",
                        _gemv(tmp_path), "--param", "cim.adc.bits=3,4,5,6", "--workers", "2",
                        "--engine", "analytic", "-q", "-o", str(tmp_path / "s.parquet")],
                       env=env, capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    assert p.stderr.count("is named like the built-in ADC type 'sar' and is ignored") == 1, p.stderr
