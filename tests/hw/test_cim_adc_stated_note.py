"""A ``--set``/``--param`` of ``cim.adc.bits`` on a config that states the ADC's energy per
conversion, sample rate or area keeps those numbers; each run says so in one note (find-F 1,
find-E 7).

The numbers are the configs' own, as written there: rram-cim states ISAAC's 8-bit ADC,
1.5625 pJ per conversion, 1.28 GHz, 0.0012 mm^2 = 1200 um^2 per ADC; neurosim-vgg8 states its
4-bit current-sense ADC, 0.018379 pJ = 18.379 fJ and 448.19 MHz (its ADC area is left out).
"""

from __future__ import annotations

from click.testing import CliRunner

from cimsim import simulate
from cimsim.cli import main
from cimsim.config import load_architecture
from cimsim.report import columns as C
from cimsim.sweep import sweep
from cimsim.workload import save_workload
from conftest import gemv_workload

RRAM_NOTE = ("cim.adc.energy_per_conversion (1.5625 pJ), cim.adc.sample_rate (1.28 GHz) and "
             "cim.area.adc (1200 µm²) are given: they do not follow cim.adc.bits=4 (8 in the "
             "config); set them to null to derive them from cim.adc.bits, or give them for "
             "cim.adc.bits=4")


def _adc_notes(notes) -> list[str]:
    return [n for n in notes if "do not follow" in n or "does not follow" in n]


def _run(config: str, overrides: dict | None = None) -> list[str]:
    arch = load_architecture(config, overrides)
    return _adc_notes(simulate(arch, gemv_workload(128, 128), engine="analytic").notes)


def test_bits_changed_under_a_stated_adc_energy_is_noted_once():
    assert _run("rram-cim") == []
    assert _run("rram-cim", {"cim.adc.bits": 8}) == []  # the config's own bits: nothing changes
    assert _run("rram-cim", {"cim.adc.bits": 4}) == [RRAM_NOTE]


def test_numbers_the_overrides_set_too_are_the_users():
    notes = _run("rram-cim", {"cim.adc.bits": 4, "cim.adc.energy_per_conversion": "0.1 pJ"})
    assert notes == ["cim.adc.sample_rate (1.28 GHz) and cim.area.adc (1200 µm²) are given: they "
                     "do not follow cim.adc.bits=4 (8 in the config); set them to null to derive "
                     "them from cim.adc.bits, or give them for cim.adc.bits=4"]
    assert _run("rram-cim", {"cim.adc.bits": 4, "cim.adc.energy_per_conversion": "0.1 pJ",
                             "cim.adc.sample_rate": "2 GHz", "cim.area.adc": "0.001 mm^2"}) == []


def test_derived_adc_numbers_follow_the_bits_without_a_note():
    # rram-cim-derived states none of the three: the circuit models derive them from the bits
    assert _run("rram-cim-derived", {"cim.adc.bits": 6}) == []


def test_cli_run_on_the_neurosim_chip_says_it(tmp_path):
    wl = tmp_path / "gv.json"
    save_workload(gemv_workload(128, 128), wl)
    res = CliRunner().invoke(main, ["run", "neurosim-vgg8", str(wl), "--engine", "analytic",
                                    "--json", "--set", "cim.adc.bits=5"])
    assert res.exit_code == 0, res.output
    import json

    notes = json.loads(res.output[res.output.index("{"):])["notes"]
    assert _adc_notes(notes) == [
        "cim.adc.energy_per_conversion (18.379 fJ) and cim.adc.sample_rate (448.19 MHz) are given: "
        "they do not follow cim.adc.bits=5 (4 in the config); set them to null to derive them "
        "from cim.adc.bits, or give them for cim.adc.bits=5"]


def test_sweep_rows_carry_the_note(tmp_path):
    wl = tmp_path / "gv.json"
    save_workload(gemv_workload(128, 128), wl)
    df = sweep("rram-cim", str(wl), ["cim.adc.bits=4,8"], engine="analytic", quiet=True,
               workers=1).sort_values("cim.adc.bits")
    notes = [cell.split(C.NOTES_SEPARATOR) for cell in df[C.NOTES]]
    assert _adc_notes(notes[0]) == [RRAM_NOTE]
    assert _adc_notes(notes[1]) == []


def test_sweep_help_example_sweeps_adc_bits_on_the_derived_config():
    res = CliRunner().invoke(main, ["sweep", "--help"])
    assert res.exit_code == 0
    assert "cimsim sweep rram-cim-derived -w digits-cnn --accuracy --param cim.adc.bits=" in res.output
    assert "cimsim sweep rram-cim -w digits-cnn" not in res.output
