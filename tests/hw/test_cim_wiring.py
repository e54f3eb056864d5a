"""The circuit models wired into the CIM component (issue 17): every knob moves what it should.

Goldens are closed-form arithmetic on published constants, each with its source:

- Murmann ADC survey envelope (rev 2025-06-09, sheet "Jitter and FOM lines"): Walden FOM
  0.66936434 fJ/step with a first-order corner at 1.2211130 GHz; E = FOM_W(fs) 2^bits in the
  Walden regime (low bits);
- NeuroSim V1.4 SarADC.cpp: a SAR conversion takes (bits + 1) cycles of 1 ns at 22 nm;
- NeuroSim V1.4 Param.cpp RRAM 1T1R: R_on 100 kohm, on/off 17, 0.5 V read, 10 ns pulse, 4 x 12 F^2;
  wires 0.2 fF/um (Weste & Harris); sense swing 0.1 V;
- issue 17's lossless rule ceil(log2(R (2^D - 1)(2^c - 1) + 1)).
"""

from __future__ import annotations

import copy
import math
from pathlib import Path

import pytest

from cimsim import simulate
from cimsim.config import architecture_from_dict, load_architecture
from cimsim.errors import ConfigError

from conftest import ROUND_ARCH, ROUND_CIM, ROUND_LINK, gemv_workload

FOMW_J, FOMW_CORNER_HZ = 0.66936434251522825e-15, 1221112976.4039075  # survey envelope (P)
CONFIGS = Path(__file__).resolve().parents[2] / "configs"


def walden(bits, fs):
    return FOMW_J * math.sqrt(1 + (fs / FOMW_CORNER_HZ) ** 2) * 2 ** bits


def arch(cim_over=None, tech=None, adc=None, drop=(), placeholders=None):
    """ROUND_ARCH + ROUND_CIM with a technology block; ``drop``: CIM fields left out (derived)."""
    d = copy.deepcopy(ROUND_ARCH)
    d["links"] = {"interconnect": dict(ROUND_LINK)}
    cim = copy.deepcopy(ROUND_CIM)
    for f in drop:
        node, *rest = f.split(".")
        if rest:
            del cim[node][rest[0]]
        else:
            del cim[f]
    cim["adc"].update(adc or {})
    cim.update(cim_over or {})
    if cim.get("technology") == "sram" and "bits_per_cell" not in (cim_over or {}):
        cim["bits_per_cell"] = 1  # an SRAM bitcell holds one bit (ROUND_CIM's 2: resistive)
    d["cim"] = cim
    if tech is not None:
        d["technology"] = tech
    if placeholders is not None:
        d["placeholders"] = placeholders
    return architecture_from_dict(d)


def run(a, k=128, n=16, rows=1):
    # n = 16 weights x 8 bits / 2 bits per cell = 64 physical columns, one array
    return simulate(a, gemv_workload(k, n, rows=rows), engine="analytic")


# ------------------------------------------------------------------ ADC bits
@pytest.mark.parametrize("bits", [4, 5, 6])
def test_adc_energy_at_b_and_b_plus_1_bits(bits):
    fs = 100e6
    e = []
    for b in (bits, bits + 1):
        a = arch(tech={"node": "22 nm"}, adc={"type": "sar", "bits": b, "sample_rate": "100 MHz"},
                 drop=("adc.energy_per_conversion",))
        e.append(run(a).energy_breakdown_j["cim_adc"])
    conversions = 1 * 1 * 64 * 8  # rows x row tiles x physical columns x slices
    assert e[0] == pytest.approx(conversions * walden(bits, fs), rel=1e-9, abs=0)
    assert e[1] == pytest.approx(conversions * walden(bits + 1, fs), rel=1e-9, abs=0)
    assert e[1] / e[0] == pytest.approx(2.0, rel=1e-12, abs=0)  # Walden regime: 2x per bit


def test_sar_time_moves_t_vector():
    """SAR: (bits + 1) ns per conversion at 22 nm; 128 columns through one ADC per array
    dominate the 100 ns read, so a slice takes 128 (b + 1) ns and a vector 8 slices."""
    lat = {}
    for b in (6, 8):
        a = arch(tech={"node": "22 nm"}, adc={"type": "sar", "bits": b},
                 drop=("adc.energy_per_conversion", "adc.sample_rate"))
        c = a.component("cim")
        lat[b] = c.config.t_vector(c.design)
        assert lat[b] == pytest.approx(8 * 128 * (b + 1) * 1e-9, rel=1e-9, abs=0)
    assert lat[8] / lat[6] == pytest.approx(9 / 7, rel=1e-9, abs=0)


def test_explicit_value_wins_and_is_given():
    # everything stated (a SAR at 22 nm cannot reach the fixture's 1.28 GS/s: 100 MS/s here)
    a = arch(tech={"node": "22 nm"}, adc={"type": "sar", "sample_rate": "100 MHz"})
    r = run(a)
    assert r.energy_breakdown_j["cim_adc"] == pytest.approx(64 * 8 * 2e-12, rel=1e-12, abs=0)
    assert r.provenance["energy"]["cim_adc"] == "given"
    b = arch(tech={"node": "22 nm"}, adc={"type": "sar", "sample_rate": "100 MHz"},
             drop=("adc.energy_per_conversion",))
    assert run(b).provenance["energy"]["cim_adc"] == "derived"


def test_a_rate_the_adc_cannot_reach_is_a_config_error():
    with pytest.raises(ConfigError, match="cim.adc.sample_rate: sample rate .* is faster than one "
                                          "conversion per conversion time"):
        arch(tech={"node": "22 nm"}, adc={"type": "sar"})  # 8-bit SAR: 9 ns > 1 / 1.28 GHz


def test_missing_value_without_technology_is_a_config_error():
    with pytest.raises(ConfigError, match="cim.adc.energy_per_conversion: not given, and the "
                                          "architecture has no technology block"):
        arch(drop=("adc.energy_per_conversion",))


def test_per_array_and_columns_per_adc_refused_together():
    with pytest.raises(ConfigError, match="per_array or columns_per_adc, not both"):
        arch(adc={"columns_per_adc": 8})


def test_columns_per_adc_sets_adcs_per_array():
    """columns_per_adc 32 -> ceil(128 / 32) = 4 ADCs per array: a slice reads 32 columns per
    ADC at 1.28 GS/s = 25 ns < the 100 ns read, so 4 ADCs leave the time at the read."""
    a = arch(adc={"per_array": None, "columns_per_adc": 32})
    c = a.component("cim")
    assert c.design.adcs_per_array == 4
    assert c.config.t_slice(c.design) == pytest.approx(100e-9, rel=1e-12, abs=0)


def test_adc_conversion_time_sets_the_derived_sample_rate():
    """rram-cim-derived's 4-bit flash: one conversion per given 2 ns = 500 MHz, given; a
    conversion_time with a current-sense converter is refused by name."""
    from cimsim import load_architecture
    from cimsim.errors import ConfigError

    a = load_architecture("rram-cim-derived", overrides={"cim.adc.conversion_time": "2 ns"})
    d = a.component("cim").design
    assert d.sample_rate == 1 / 2e-9
    assert d.provenance["adc.sample_rate"] == "given"
    with pytest.raises(ConfigError, match="cim.adc.*conversion_time is for a converter of type sar"):
        load_architecture("rram-cim-derived", overrides={"cim.adc.conversion_time": "2 ns",
                                                         "cim.adc.type": "current_sense"})


def test_a_banked_buffer_costs_one_banks_access():
    """ISAAC's 168 tiles each hold a 64 KB eDRAM read 256 bits at a time, 20.45 pJ an access
    at 32 nm (the model's anchor): as one flat 10.5 MiB buffer of 168 banks the derived energy
    per byte is 20.45 pJ / 32 B = 0.639 pJ/B, where one 10.5 MiB bank costs several times
    more; the area is every bank's (proportional to capacity: the same)."""
    from cimsim import load_architecture

    over = {"technology.node": "32 nm", "cim.buffer.kind": "edram",
            "cim.buffer.capacity": f"{168 * 64} KiB", "cim.buffer.width": 256}
    one = load_architecture("rram-cim-derived", overrides=over).component("cim").design
    banked = load_architecture("rram-cim-derived",
                               overrides={**over, "cim.buffer.banks": 168}).component("cim").design
    assert banked.buffer_energy_per_byte == pytest.approx(20.45e-12 / 32, rel=1e-9, abs=0)
    assert one.buffer_energy_per_byte > 5 * banked.buffer_energy_per_byte
    assert banked.area["buffer"] == pytest.approx(one.area["buffer"], rel=1e-12, abs=0)


# ------------------------------------------------------------------ voltage, node
def test_v_squared_scaling_of_derived_energies():
    """Halving nothing but the supply: every CMOS-derived energy (shift-and-add, buffer, SAR's
    envelope is supply-independent) moves by (V2 / V1)^2."""
    e = {}
    for v in ("0.9 V", "0.6 V"):
        a = arch(tech={"node": "22 nm", "voltage": v},
                 drop=("shift_add_energy", "buffer.energy_per_byte"))
        e[v] = a.component("cim").design
    ratio = (0.6 / 0.9) ** 2
    assert e["0.6 V"].shift_add_energy / e["0.9 V"].shift_add_energy == pytest.approx(ratio, rel=1e-9, abs=0)
    assert (e["0.6 V"].buffer_energy_per_byte / e["0.9 V"].buffer_energy_per_byte
            == pytest.approx(ratio, rel=1e-9, abs=0))


def test_pulse_count_input_drive_by_hand():
    """4-bit slices as unit pulses on the RRAM rows: dac_energy = C_row (1 + 2/3) V_read^2 x
    15 x input_ones, C_row = 128 x 12 F x 0.2 fF/um at F = 22 nm, V_read = 0.5 V (NeuroSim
    1T1R), 2/3 the FO4 driver chain's own capacitance; the default level drive of the same
    slice is C_row (1 + 2/3) V^2 x 1/2 (the mean level: C V V_k drawn at the rail V)."""
    c_row = 128 * 12 * 22e-9 * 0.2e-15 / 1e-6 * 5 / 3
    for ones in (0.0, 0.3, 1.0):
        a = arch({"dac_bits": 4, "input_drive": "pulse_count",
                  "cell": {"type": "rram_1t1r", "input_ones": ones}},
                 tech={"node": "22 nm"}, drop=("dac_energy",))
        d = a.component("cim").design
        assert d.dac_energy == pytest.approx(c_row * 0.25 * 15 * ones, rel=1e-9, abs=1e-30)
    a = arch({"dac_bits": 4}, tech={"node": "22 nm"}, drop=("dac_energy",))
    # level: charge C V_k drawn at V, mean level 1/2 (find-G 2; the mean squared 31/90 undercounted),
    # plus the 4-bit level DAC held for the given 100 ns read (find-L3 1, review L3 1): the
    # string's V^2 / (16 x 1 kOhm) and, the row's 128 cells (half on at 100 kOhm, half off at
    # 1.7 MOhm) loading it below half an LSB, the output buffer's standing 0.9 V x V sum G
    sum_g = 128 * (0.5 / 100e3 + 0.5 / 1.7e6)
    core = (0.25 / 16e3 + 0.9 * 0.5 * sum_g) * 100e-9
    assert a.component("cim").design.dac_energy == pytest.approx(c_row * 0.25 * 0.5 + core,
                                                                 rel=1e-9, abs=0)
    with pytest.raises(ConfigError, match="input_drive"):
        arch({"input_drive": "pwm"}, tech={"node": "22 nm"})


def test_sram_row_drive_carries_access_gates_and_its_driver_chain():
    """A 6T wordline at 22 nm, 0.9 V nominal: 128 cells x (28 F of wire at 0.2 fF/um + two 1 F
    pass gates at 1 fF/um; NeuroSim V1.4 widthAccessCMOS), its FO4 driver chain 2/3 as much
    again (Logical Effort), driven by half the 1-bit inputs; ``cell.row_gate_width_f`` sets the
    gate width per cell (0: wire only)."""
    f = 22e-9
    for width, gates in ((None, 2.0), (0.0, 0.0), (6.0, 6.0)):
        cell = {"type": "sram_6t", "input_ones": 0.5}
        if width is not None:
            cell["row_gate_width_f"] = width
        # bits_per_cell 1: a 6T cell holds one bit (ROUND_CIM's 2 are resistive cells)
        a = arch({"technology": "sram", "cell": cell, "bits_per_cell": 1}, tech={"node": "22 nm"},
                 drop=("dac_energy",))
        c_row = 128 * (28 * f * 0.2e-15 / 1e-6 + gates * f * 1e-15 / 1e-6) * 5 / 3
        d = a.component("cim").design
        assert d.dac_energy == pytest.approx(c_row * 0.9 ** 2 * 0.5, rel=1e-9, abs=0), width


def test_rram_cell_read_energy_by_hand():
    """All 128 rows at once, half the inputs and half the cells on: per cell read,
    (cells + bitlines) / (128 x 128) with cells = 64 x 128 x V^2 G t, G = G_off + 0.5 (G_on - G_off),
    bitlines = 128 x C_col x V x 0.1 V, C_col = 128 x 4 F x 0.2 fF/um at F = 22 nm."""
    a = arch(tech={"node": "22 nm"}, drop=("cell_read_energy",))
    d = a.component("cim").design
    g_on = 1 / 100e3
    g = g_on / 17 + 0.5 * (g_on - g_on / 17)
    cells = 64 * 128 * 0.5 ** 2 * g * 10e-9
    c_col = 128 * 4 * 22e-9 * 0.2e-15 / 1e-6
    bitlines = 128 * c_col * 0.5 * 0.1
    assert d.cell_read_energy == pytest.approx((cells + bitlines) / (128 * 128), rel=1e-9, abs=0)
    assert d.read_latency == pytest.approx(100e-9, rel=1e-12, abs=0)  # given (ROUND_CIM) wins over the 10 ns pulse


# ------------------------------------------------------------------ resolution
@pytest.mark.parametrize("rows_per_read, dac, bpc, lossless", [
    (128, 1, 2, 9),   # ceil(log2(128 * 1 * 3 + 1)) = ceil(log2 385) = 9 (ISAAC: 7 + 1 + 2 - 1)
    (16, 1, 2, 6),    # 16 * 3 = 48 -> 6
    (128, 2, 1, 9),   # 128 * 3 * 1 = 384 -> 9
    (1, 1, 1, 1),
])
def test_lossless_bits_fact(rows_per_read, dac, bpc, lossless):
    a = arch(cim_over={"rows_per_read": rows_per_read, "dac_bits": dac, "bits_per_cell": bpc})
    r = run(a)
    assert r.facts["cim_lossless_bits"] == lossless
    assert r.facts["cim_adc_bits_lost"] == max(0, lossless - 8)
    assert r.facts["cim_adc_range_policy"] == "max"


def test_rows_per_read_multiplies_reads_and_conversions():
    """rows_per_read 32 of 128: 4 reads per slice, each converted: time and ADC energy x 4."""
    full, part = run(arch()), run(arch(cim_over={"rows_per_read": 32}))
    assert part.energy_breakdown_j["cim_adc"] == pytest.approx(
        4 * full.energy_breakdown_j["cim_adc"], rel=1e-12, abs=0)
    ca, cb = arch().component("cim"), arch(cim_over={"rows_per_read": 32}).component("cim")
    assert cb.config.t_vector(cb.design) == pytest.approx(4 * ca.config.t_vector(ca.design), rel=1e-12, abs=0)


# ------------------------------------------------------------------ provenance
def test_placeholder_shares_on_a_hand_built_config():
    """Static power 1 W marked: static energy = 1 W x latency is the placeholder energy; the
    processor's static power is 1 W too (unmarked), so half the static energy counts. Marking
    cim.area.adc makes the ADC area the placeholder area."""
    area = {"array": "1 mm^2", "adc": "3 mm^2"}
    a = arch(cim_over={"static_power": "1 W", "area": area},
             placeholders=["cim.static_power", "cim.area.adc"])
    r = run(a)
    e = r.energy_breakdown_j
    assert r.energy_placeholder_share == pytest.approx(0.5 * e["static"] / r.energy_j, rel=1e-12, abs=0)
    # 64 arrays x (1 mm^2 array + 1 ADC x 3 mm^2): ADC share 3/4
    assert r.area_placeholder_share == pytest.approx(0.75, rel=1e-12, abs=0)
    assert r.provenance["area"]["cim_adc"] == "placeholder"
    assert r.provenance["area"]["cim_arrays"] == "given"


def test_u_comment_marks_and_set_clears(tmp_path):
    text = (CONFIGS / "rram-cim.yaml").read_text()
    p = tmp_path / "c.yaml"
    p.write_text(text)
    a = load_architecture(p)
    assert "processor.static_power" in a.placeholders  # "static_power: 40 W  # (U) placeholder..."
    assert "cim.static_power" not in a.placeholders  # (D) from ISAAC Table I
    assert "cim.adc.energy_per_conversion" not in a.placeholders  # (T) (D)
    b = load_architecture(p, {"processor.static_power": "20 W"})
    assert "processor.static_power" not in b.placeholders


def test_unknown_placeholder_path_is_an_error():
    with pytest.raises(ConfigError, match="placeholders: 'cim.static_pwr'"):
        arch(placeholders=["cim.static_pwr"])


# ------------------------------------------------------------------ precision
def test_precision_mismatch_note():
    a = arch()
    r = simulate(a, gemv_workload(128, 16, dtype="fp32"), engine="analytic")
    assert r.precision_mismatch
    assert any("precision mismatch: cim computes 8-bit weights x 8-bit inputs" in n for n in r.notes)
    r8 = simulate(a, gemv_workload(128, 16, dtype="int8"), engine="analytic")
    assert not r8.precision_mismatch


def test_a_16_bit_cim_is_told_that_no_trace_dtype_matches_it():
    """ISAAC's 16-bit weights and inputs: no compute dtype has 16-bit integers, so the note
    does not advise an int8 trace (which is as much a mismatch)."""
    a = arch(cim_over={"weight_bits": 16, "input_bits": 16})
    for dt in ("fp32", "int8"):
        r = simulate(a, gemv_workload(128, 16, dtype=dt), engine="analytic")
        note = next(n for n in r.notes if n.startswith("precision mismatch"))
        assert "--dtype int8, or set" not in note
        assert ("(no compute dtype (fp32, fp16, bf16, int8) holds 16-bit integers, so every "
                "trace mixes precisions; its bits at 8 match a --dtype int8 trace. ") in note, note
        # find-I 1: the note does not say the trace's dtype is irrelevant; it names what it sizes
        assert "the trace's dtype sizes what other units run and store" in note, note


def test_an_int8_trace_on_a_cim_of_fewer_bits_is_a_mismatch_per_operand():
    """find-V #1: 4-, 2- or 1-bit weights, or 4-bit inputs, against an int8 trace: a GPU running
    the trace computes int8 x int8, the CIM fewer bits on one operand, so each operand is tested
    (not their maximum, 8), and the advice says no dtype holds the narrower operand."""
    dtypes = "(no compute dtype (fp32, fp16, bf16, int8) holds "
    for over, odd in (({"weight_bits": 4}, "4-bit weights"), ({"weight_bits": 2}, "2-bit weights"),
                      ({"weight_bits": 1, "bits_per_cell": 1}, "1-bit weights"),
                      ({"input_bits": 4}, "4-bit inputs"),
                      ({"weight_bits": 4, "input_bits": 4}, "4-bit weights x 4-bit inputs")):
        a = arch(cim_over=over)
        r = simulate(a, gemv_workload(128, 16, dtype="int8"), engine="analytic")
        assert r.precision_mismatch, over
        note = next(n for n in r.notes if n.startswith("precision mismatch"))
        wb, ib = over.get("weight_bits", 8), over.get("input_bits", 8)
        assert note.startswith(f"precision mismatch: cim computes {wb}-bit weights x {ib}-bit "
                               "inputs, but its ops are int8 in the workload"), note
        llm = ("; an LLM generated with cimsim workload llm --dtype int8 --weight-dtype int4 has "
               "4-bit weights" if wb == 4 else "")  # review 18-5 #2: where int4 weights exist
        assert note.endswith(dtypes + odd + ": the component computes at fewer bits than an int8 "
                             "trace's 8 (--dtype int8, the closest trace); set its bits to 8 to "
                             f"match that trace{llm})"), note  # find-H 4: was "its bits at 8 match"
    # 8 x 8 on int8: no note
    assert not simulate(arch(), gemv_workload(128, 16, dtype="int8"), engine="analytic").precision_mismatch


# ------------------------------------------------------------------ sweep on a bundled config
def test_adc_bits_sweep_on_the_derived_config():
    """cim.adc.bits 3..8 on rram-cim-derived (flash): ADC energy and area rise with every bit;
    total energy and latency change. Flash: (2^b - 1) comparators and a thermometer encoder of
    2 (2^b - 1) + b (2^(b-1) - 1) gates, so the ADC energy ratio between b and b+1 bits is
    (2^(b+1) - 1 + g G(b+1)) / (2^b - 1 + g G(b)), g = one gate over one comparator."""
    from cimsim import load_workload
    from cimsim import bundled

    wl = load_workload(bundled.resolve_workload("lstm"))
    res = {}
    for b in range(3, 9):
        a = load_architecture(CONFIGS / "rram-cim-derived.yaml", {"cim.adc.bits": b})
        res[b] = simulate(a, wl, engine="analytic")
    adc_e = [res[b].energy_breakdown_j["cim_adc"] for b in range(3, 9)]
    adc_a = [res[b].area_breakdown_m2["cim_adc"] for b in range(3, 9)]
    assert all(x < y for x, y in zip(adc_e, adc_e[1:]))
    assert all(x < y for x, y in zip(adc_a, adc_a[1:]))
    # 22 nm at its nominal supply: comparator 4.8221 fJ at 7 nm; gate = 4/28 x 3.75 fJ at 45 nm,
    # half toggling; both moved by Stillmaker & Baas
    from cimsim.hw.circuits import scaling

    g = (0.03e-12 / 8 * 4 / 28 * 0.5 * scaling.energy_factor(45, 22, 0.9, None)
         / (4.8221e-15 * scaling.energy_factor(7, 22)))
    gates = lambda b: 2 * (2 ** b - 1) + b * (2 ** (b - 1) - 1)  # noqa: E731
    for b in range(3, 8):
        ratio = (2 ** (b + 1) - 1 + g * gates(b + 1)) / (2 ** b - 1 + g * gates(b))
        assert adc_e[b - 2] / adc_e[b - 3] == pytest.approx(ratio, rel=1e-9, abs=0)
    assert len({res[b].energy_j for b in res}) == 6
    # flash converts in one cycle: latency moves only where the ADC sets the slice time; the
    # SAR derived config's latency moves with every bit ((b + 1) cycles)
    lat = []
    for b in range(3, 9):
        a = load_architecture(CONFIGS / "sram-cim-derived.yaml", {"cim.adc.bits": b})
        lat.append(simulate(a, wl, engine="analytic").latency_s)
    assert all(x < y for x, y in zip(lat, lat[1:]))


# ------------------------------------------------------------------ command line
def _cli(*args):
    from click.testing import CliRunner

    from cimsim.cli import main

    return CliRunner(env={"COLUMNS": "200"}).invoke(main, [str(a) for a in args])


def test_compare_marks_a_precision_mismatch():
    res = _cli("compare", "rram-cim", "cpu-ddr5", "-w", "lstm", "--engine", "analytic")
    assert res.exit_code == 0, res.output
    assert "rram-cim (!p)" in res.output and "cpu-ddr5 (!p)" not in res.output
    assert "(!p) precision mismatch" in res.output


def test_run_warns_when_placeholders_dominate_and_json_has_the_shares():
    """rram-cim on the LSTM: static power dominates the energy, most of it the host's 40 W (U)
    (the crossbars' 6.689 W is derived from ISAAC Table I): by static power alone 40 / (40 +
    6.68883) W = 86 % of it rests on placeholders (review 2, item 1). Its latency, though, rests
    wholly on (U) time fields (the interconnect's and SRAM's bandwidth, the DRAM's sustained
    fraction, the host's op overhead and clock, the crossbars' bits: find-D, finding 1), so all
    of the static energy (power x latency) does, and the warning names the latency too."""
    res = _cli("run", "rram-cim", "lstm", "--engine", "analytic")
    assert res.exit_code == 0, res.output
    warning = next(ln for ln in res.output.splitlines() if ln.startswith("warning: "))
    assert "of the energy rests on placeholder values" in warning
    assert "defaults: static, " in warning
    assert "; 100 % of the latency (critical path) rests on placeholder rates, latencies or " \
           "overheads: interconnect (links.interconnect.bandwidth), " in warning
    import json

    j = json.loads(_cli("run", "rram-cim", "lstm", "--engine", "analytic", "--json").output)
    assert j["latency_placeholder_share"] == 1.0
    e = j["energy_breakdown_j"]
    placeholder_j = e["static"] + e["dram"] + e["interconnect"]  # the (U) parts
    assert j["energy_placeholder_share"] == pytest.approx(placeholder_j / j["energy_j"], rel=1e-9, abs=0)
    assert j["provenance"]["energy"]["static"] == "placeholder"
    assert j["provenance"]["energy"]["cim_adc"] == "given"  # 1.5625 pJ from ISAAC Table I (D)
    assert set(j["provenance"]["latency"].values()) == {"placeholder"}


def test_node_outside_the_scaling_tables_is_a_one_line_error():
    with pytest.raises(ConfigError, match=r"technology.node: 5 nm is outside the scaling tables "
                                          r"\(7-180 nm"):
        arch(tech={"node": "5 nm"})


@pytest.mark.parametrize("given, shown", [
    ("2.2e-11 nm", "22 zm"),        # 2.2e-11 nm = 2.2e-20 m = 22e-21 m: 22 zeptometres (was "0 nm")
    ("1e30 nm", "1 Zm"),            # 1e30 nm = 1e21 m: 1 zettametre (was "1e+30 nm")
    ("6.9999996 nm", "6.9999996 nm"),  # 4e-7 nm under 7 nm is not float noise (was taken as 7)
    ("180.0000001 nm", "180.0000001 nm"),  # shown to the digits that put it outside, not "180 nm"
])
def test_node_outside_the_tables_is_shown_as_given_with_a_prefix(given, shown):
    with pytest.raises(ConfigError) as e:
        arch(tech={"node": given})
    msg = str(e.value)
    assert f"technology.node: {shown} is outside the scaling tables (7-180 nm" in msg, msg
    assert "e+" not in msg and "e-" not in msg.split("(got")[0] and "\n" not in msg


@pytest.mark.parametrize("given", ["7 nm", "180 nm", "0.18 um", "7000 pm"])
def test_table_ends_within_float_noise_are_the_ends(given):
    """'180 nm' parses to 180.00000000000003 nm (1.8e2 x 1e-9): float noise, within 1e-12 of
    180 nm, so it is the table's end and accepted; so are 7 nm (7.000000000000001) and the
    exact spellings."""
    assert arch(tech={"node": given}).technology.node_nm in (7.0, 180.0)


def test_voltage_moves_sar_time_and_not_a_given_energy():
    """Lower supply: the SAR cycle slows (alpha-power law), so t_vector grows; the stated
    2 pJ per conversion stays."""
    t = {}
    for v in ("0.9 V", "0.7 V"):
        a = arch(tech={"node": "22 nm", "voltage": v}, adc={"type": "sar"},
                 drop=("adc.sample_rate",))
        c = a.component("cim")
        t[v] = c.config.t_vector(c.design)
        assert c.design.energy_per_conversion == pytest.approx(2e-12, rel=1e-12, abs=0)
    assert t["0.7 V"] > t["0.9 V"]


# ------------------------------------------------------------------ current-sense readout
def _sense_by_hand():
    """The RRAM preset's 4-bit current-sense reading at 22 nm, 0.9 V, 128 rows at once, by
    hand: (access width F, column wire F, access junctions F, node capacitance F, t_sense s).
    The first reference is one LSB above the off cells' pedestal: 128 (g_on - g_off) / 16 with
    g_on = 1 / 125 kOhm, g_off = 1 / (17 x 100 + 25) kOhm (on/off 17, access 0.25 R_on)."""
    from cimsim.hw.circuits import sense

    w = sense.access_width_f(100e3, 22, 0.9)
    assert w == pytest.approx(sense.unit_resistance_ohm_m(22, 0.9) / 25e3 / 22e-9, rel=1e-12, abs=0)
    wire = 128 * 4 * 22e-9 * 0.2e-15 / 1e-6
    junctions = 128 * w * 22e-9 * 1e-15 / 1e-6
    c_node = wire + junctions + 15 * 2 * 22e-9 * 1e-15 / 1e-6
    t = 1e-9 * sense.scaling.fo4_delay(22, 0.9) / sense.scaling.fo4_delay(22) + (
        16 / (128 * (1 / 125e3 - 1 / 1725e3))) * c_node
    return w, wire, junctions, c_node, t


def test_current_sense_type_derives_from_the_sense_models():
    """adc.type current_sense on the RRAM preset (R_on 100 kOhm, 0.5 V) at 22 nm: the converter,
    the column read and the row drive of cimsim.hw.circuits.sense (each checked by hand in
    tests/hw/test_sense.py), with the access transistor sized at the 0.9 V supply."""
    from cimsim.hw.circuits import array, sense

    a = arch(tech={"node": "22 nm"}, adc={"type": "current_sense", "bits": 4},
             drop=("adc.energy_per_conversion", "adc.sample_rate", "cell_read_energy",
                   "dac_energy"))
    d = a.component("cim").design
    cell = array.cell("rram_1t1r")
    w, wire, junctions, c_node, t = _sense_by_hand()
    conv = sense.current_sense_adc(4, 22, 0.5, wire + junctions, t, 0.9)
    assert d.energy_per_conversion == pytest.approx(float(conv.energy_j), rel=1e-9, abs=0)
    assert d.sample_rate == pytest.approx(1 / t, rel=1e-9, abs=0)
    col = sense.column_read(100e3, 17, 0.5, 128, t, c_node)
    assert d.cell_read_energy == pytest.approx(float(col.energy_j) / 128, rel=1e-9, abs=0)
    row = sense.row_drive(128, 22, 0.5, 0.9, cell.width_f, w)
    assert d.dac_energy == pytest.approx(0.5 * float(row.energy_j), rel=1e-9, abs=0)
    # the energy no longer rests on the 10 ns pulse: far below V^2 G t per cell
    assert d.cell_read_energy < 1e-3 * 0.25 * (0.5 / 100e3) * 10e-9


def test_current_sense_read_latency_is_the_sensing_time_its_energy_charges():
    """The column read's energy is the node charged within t_sense (C_node V^2 (1 - e^(-t/tau))),
    so the rows are driven only until the latches fire: the derived read latency is t_sense,
    not the cell's 10 ns pulse (a tester: energy at ~1.09 ns, latency at 10 ns, ~600x cheaper
    array energy at the same speed). With a converter per column, a vector is 8 input slices of
    one read each: t_vector = 8 t_sense (8 x 10 ns before)."""
    t = _sense_by_hand()[-1]
    for drop in (("read_latency", "adc.energy_per_conversion", "adc.sample_rate",
                  "cell_read_energy", "dac_energy"), ("read_latency", "adc.sample_rate")):
        c = arch(tech={"node": "22 nm"}, adc={"type": "current_sense", "bits": 4,
                                              "per_array": 128}, drop=drop).component("cim")
        assert c.design.read_latency == pytest.approx(t, rel=1e-9, abs=0)
        assert c.design.provenance["read_latency"] != "given"
        assert float(c.config.t_vector(c.design)) == pytest.approx(8 * t, rel=1e-9, abs=0)
    # a given read latency stays given (ROUND_CIM's 100 ns)
    c = arch(tech={"node": "22 nm"}, adc={"type": "current_sense", "bits": 4},
             drop=("adc.sample_rate",)).component("cim")
    assert c.design.read_latency == pytest.approx(100e-9, rel=1e-12, abs=0)
    assert c.design.provenance["read_latency"] == "given"


def test_current_sense_reference_column_charges_as_its_node_does():
    """review18-4 item 3: with a current-sense readout the cell energy is the column node's
    charge, C V^2 (1 - e^(-t G / C)), so the reference column of off cells (rram_1t1r's on/off
    17: the default cell, whose energy is derived) draws (1 - e^(-t n g_off / C)) / (1 - e^(-t n
    g_mean / C)) of a column (n = 128 x 0.5 driven rows), not g_off / g_mean = 1/9 of one (the
    V^2 G t cell's share, which it was charged before). One 128 x 16 GEMV: 64 columns on one
    column tile, 8 slices."""
    a = arch(tech={"node": "22 nm"}, adc={"type": "current_sense", "bits": 4},
             drop=("adc.energy_per_conversion", "adc.sample_rate", "cell_read_energy",
                   "dac_energy"))
    d = a.component("cim").design
    _, _, _, c_node, t = _sense_by_hand()
    g_on, g_off = 1 / 125e3, 1 / 1725e3
    n = 128 * 0.5
    share = -math.expm1(-t * n * g_off / c_node) / -math.expm1(-t * n * (g_on + g_off) / 2 / c_node)
    assert d.reference_share == pytest.approx(share, rel=1e-9, abs=0)
    assert 0.5 < share < 1  # the node settles nearly as far: far above 1/9
    got = run(a).energy_breakdown_j["cim_array"]
    assert got == pytest.approx(128 * (64 + share) * 8 * d.cell_read_energy, rel=1e-12, abs=0)
    # a given cell energy is no current-sense column read: G_off / G_mean of it, 1/9
    given = arch(tech={"node": "22 nm"}, cim_over={"cell": {"type": "rram_1t1r"}},
                 adc={"type": "current_sense", "bits": 4},
                 drop=("adc.energy_per_conversion", "adc.sample_rate", "dac_energy"))
    assert given.component("cim").design.reference_share is None
    assert run(given).energy_breakdown_j["cim_array"] == pytest.approx(
        128 * (64 + 1 / 9) * 8 * 0.01e-12, rel=1e-12, abs=0)


def test_current_sense_margin_is_noted_when_the_pedestal_swamps_the_lsb():
    """review18-4 item 4: rram-cim-derived with a current-sense readout (4 bits, R_on 100 kOhm,
    access 25 kOhm). At on/off 1.01, g_off = 1 / 126 kOhm: one LSB is 1 / (16 x 126) = 1/2,016
    of the full-on column current (1 - g_off / g_on = 1/126), 126 x the 16 steps of open-circuit
    off cells, and the run says so (it ran an 87.6 ns sensing silently before). At 2.5 (1 / (1 -
    125 / 275) = 1.83 x) and 17 (1.078 x), under the factor 2, no note."""
    from cimsim import bundled
    from cimsim.hw.circuits import sense

    def notes(on_off):
        a = load_architecture(bundled.resolve_config("rram-cim-derived"),
                              {"cim.adc.type": "current_sense", "cim.cell.on_off": str(on_off)},
                              cli=True)
        return [n for n in run(a).notes if "current-sense margin" in n]

    assert sense.dynamic_range(100e3, 4, 1.01) == pytest.approx(16 * 126, rel=1e-12, abs=0)
    (note,) = notes(1.01)
    assert "leaves one LSB at 1/2,016 of the full-on column current" in note
    assert "126 x the 16 steps of a 4-bit readout" in note and "not modelled" in note
    assert notes(2.5) == [] and notes(17) == []


def test_current_sense_needs_a_resistive_cell():
    with pytest.raises(ConfigError, match="adc.type"):
        arch(tech={"node": "22 nm"}, adc={"type": "current_sense", "bits": 4},
             cim_over={"technology": "sram", "cell": {"type": "sram_6t"}},
             drop=("adc.energy_per_conversion",))


def test_a_supply_past_one_and_a_half_nominal_is_refused_by_name():
    """22 nm's nominal supply is 0.9 V (PTM, Stillmaker & Baas): 1.35 V = 1.5 x 0.9 V is the
    highest a technology block takes; 1.36 V and 5 V are one config error naming the field."""
    arch(tech={"node": "22 nm", "voltage": "1.35 V"})
    for v in ("1.36 V", "5 V"):
        with pytest.raises(ConfigError, match=r"technology.*voltage.*at most 1\.35 V"):
            arch(tech={"node": "22 nm", "voltage": v})


def test_adc_bits_past_the_lossless_bits_are_noted():
    """128 rows per read x 1-bit inputs x 2-bit cells: ceil(log2(128 x 3 + 1)) = 9 lossless bits
    (test_lossless_bits_fact); a 12-bit ADC has 3 bits that never hold information, legal and
    always waste: a note says so (it ran in silence, a 12-bit flash of 4,095 comparators)."""
    from conftest import gemv_workload

    r = simulate(arch(adc={"bits": 12}), gemv_workload(256, 256), engine="analytic")
    assert any(n.startswith("cim: adc.bits 12 is 3 more than the 9 lossless partial-sum bits a "
                            "conversion can carry") for n in r.notes), r.notes
    r9 = simulate(arch(adc={"bits": 9}), gemv_workload(256, 256), engine="analytic")
    assert not any("lossless partial-sum bits a conversion" in n for n in r9.notes)


def test_banks_smaller_than_one_access_are_refused_by_name():
    """A bank below one access is one line naming buffer.banks and the access in bytes (12 bits
    are 1.5 B, not the 1 B a whole-byte division printed)."""
    from cimsim import load_architecture
    from cimsim.errors import ConfigError

    with pytest.raises(ConfigError, match=r"cim\.buffer.*banks: 8 banks of a 8 B buffer hold 1 B "
                                          r"each, less than one 12-bit access \(1\.5 B\)"):
        load_architecture("rram-cim-derived", overrides={"cim.buffer.capacity": "8 B",
                                                         "cim.buffer.width": 12, "cim.buffer.banks": 8})


def test_current_sense_sensing_time_follows_the_cells_on_off():
    """find-N 1: the bundled rram-cim-derived (R_on 100 kOhm, 16 rows per read, 4-bit) with a
    current-sense readout: the sensing time's RC part is C_node / LSB, the LSB 16 (g_on -
    g_off) / 16 over the off cells' pedestal (access 25 kOhm), so it scales as 1 / (1 - g_off /
    g_on) between two on/off ratios (C_node does not depend on on/off); before the fix every
    ratio gave the same 1.68711 ns. At on/off 1 the readout has no margin: one line naming
    cim.cell.on_off."""
    from cimsim import bundled

    def latency(on_off):
        a = load_architecture(bundled.resolve_config("rram-cim-derived"),
                              {"cim.adc.type": "current_sense", "cim.cell.on_off": str(on_off)},
                              cli=True)
        return a.component("cim").design.read_latency

    t0 = 1e-9  # the 22 nm decision at the nominal supply
    share = {oo: 125e3 / (oo * 100e3 + 25e3) for oo in (2.5, 17, 1e4)}  # g_off / g_on
    rc = {oo: latency(oo) - t0 for oo in share}
    for oo in (2.5, 17):
        assert rc[oo] / rc[1e4] == pytest.approx((1 - share[1e4]) / (1 - share[oo]),
                                                 rel=1e-9, abs=0)
    assert rc[2.5] / rc[1e4] == pytest.approx(1.833, rel=1e-3, abs=0)
    with pytest.raises(ConfigError, match=r"cim\.cell\.on_off: Input should be greater than 1"):
        latency(1)
