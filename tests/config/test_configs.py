"""Bundled architecture configs: they load, hold their published numbers, carry sources,
and bad configs fail with one clear message naming file and field."""

from __future__ import annotations

import copy
import math
import re
from pathlib import Path

import pytest
import yaml

from cimsim.config import apply_overrides, load_architecture, read_yaml
from cimsim.errors import ConfigError


def approx(expected, rel=1e-6):
    """Relative comparison only: pytest.approx's default abs=1e-12 would accept any pJ value."""
    return pytest.approx(expected, rel=rel, abs=0)


CONFIG_DIR = Path(__file__).resolve().parents[2] / "configs"
BUNDLED = ["cpu-ddr5", "gpu-hbm3", "hbm-pim", "sram-cim", "rram-cim"]


def cfg_path(name: str) -> Path:
    return CONFIG_DIR / f"{name}.yaml"


@pytest.fixture(scope="module")
def arch():
    return {name: load_architecture(cfg_path(name)) for name in BUNDLED}


# ----------------------------------------------------------------------------- loading


def test_the_five_bundled_configs_exist():
    assert set(BUNDLED) <= {p.stem for p in CONFIG_DIR.glob("*.yaml")}


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_config_loads(name):
    a = load_architecture(cfg_path(name))
    assert a.name == name
    assert a.description


# ------------------------------------------------------------------ published numbers


def test_cpu_ddr5_published_values(arch):
    a = arch["cpu-ddr5"]
    # JEDEC DDR5-4800: 4800 MT/s x 8 B = 38.4 GB/s per channel; 8 channels
    assert a.memory["dram"].channels == 8
    assert a.memory["dram"].bandwidth == approx(8 * 4800e6 * 8)
    assert a.memory["dram"].bandwidth == approx(307.2e9)
    # Xeon Gold 6426Y: 16 cores, 2.5 GHz base, 37.5 MB L3 (Intel spec)
    assert a.components["processor"].cores == 16
    assert a.components["processor"].clock == approx(2.5e9)
    assert a.memory["sram"].capacity == 37.5 * 2 ** 20  # "37.5 MB" of Intel cache is binary: 37.5 MiB
    # AMX: 1024 BF16 and 2048 INT8 ops per cycle per core = 512 / 1024 MACs
    assert a.components["processor"].peak_macs_per_s("bf16") == approx(16 * 2.5e9 * 512)
    assert a.components["processor"].peak_macs_per_s("int8") == approx(16 * 2.5e9 * 1024)


def test_cpu_llc_cannot_hold_bundled_fp32_lstm(arch):
    lstm_fp32_bytes = 4 * 2048 * 8192 * 4  # four 2048 x 8192 fp32 matrices = 268,435,456 B
    assert lstm_fp32_bytes == 268_435_456
    assert arch["cpu-ddr5"].memory["sram"].capacity < 0.6 * lstm_fp32_bytes


def test_cpu_ddr5_header_states_the_bundled_lstms_weights():
    """The header's weight bytes are the bundled LSTM's (it said 67.1 MB, 4 x 1024 x 4096 x 4 B,
    a 1024-wide LSTM): 2 layers, I = H = 2048, gates 4 x 2048 = 8192: per layer W_ih and W_hh,
    8192 x 2048 each, and two bias vectors of 8192; fp32."""
    from cimsim import load_workload

    header = cfg_path("cpu-ddr5").read_text().split("\nname:")[0]
    matrices = 4 * 2048 * 8192 * 4  # 268,435,456 B
    biases = 2 * 2 * 8192 * 4  # 131,072 B
    assert "67.1 MB" not in header and "1024 x 4096" not in header
    assert f"{matrices:,} B" in header and f"{matrices + biases:,} B" in header
    assert "268.6 MB" in header  # 268,566,528 B to 4 significant digits
    assert load_workload("lstm").weight_bytes == matrices + biases


@pytest.mark.parametrize("name", ["gpu-hbm3", "hbm-pim"])
def test_h100_published_values(arch, name):
    p = arch[name].components["processor"]
    # NVIDIA H100 SXM datasheet: 132 SMs, 50 MB L2, dense tensor rates (sparse / 2), 1 MAC = 2 FLOP
    assert p.cores == 132
    assert arch[name].memory["sram"].capacity == 50 * 2 ** 20  # CUDA l2CacheSize 52,428,800 B
    assert 2 * p.peak_macs_per_s("bf16") == approx(989.4e12, rel=1e-3)
    assert 2 * p.peak_macs_per_s("fp16") == approx(989.4e12, rel=1e-3)
    assert 2 * p.peak_macs_per_s("int8") == approx(1978.9e12, rel=1e-3)
    assert 2 * p.peak_macs_per_s("fp32") == approx(66.9e12, rel=1e-3)  # non-tensor FP32
    assert 1e-6 <= p.op_overhead <= 10e-6  # "a few microseconds" per kernel launch
    m = arch[name].memory["dram"]
    assert m.bandwidth == approx(3.35e12)
    assert m.channels == 5 * 16 * 2  # 5 HBM3 stacks x 16 channels x 2 pseudo-channels


@pytest.mark.parametrize("name", ["gpu-hbm3", "hbm-pim", "gpu-hbm-pim-attn"])
def test_h100_vector_peak_is_the_datasheet_fp32_rate(name):
    """The elementwise (CUDA-core FP32) peak is the datasheet's 66.9 TFLOP/s = 128 lanes x 132 SMs
    x 1.98 GHz, one lane-op per FMA lane: 33.45e12 op/s (it was 128 per 1.83 GHz cycle, 30.92e12,
    7.6 % low), and its energy is (700 - 100) W over that rate, as every other H100 energy."""
    p = load_architecture(cfg_path(name)).components["processor"]
    assert p.peak_vector_ops_per_s == approx(128 * 132 * 1.98e9, rel=2e-3)
    assert p.peak_vector_ops_per_s == approx(66.9e12 / 2, rel=1e-3)
    assert p.energy_per_vector_op == approx(600 / (66.9e12 / 2), rel=3e-3)  # 17.94 to 3 digits


def test_gpu_memory_capacity_and_sustained_fraction(arch):
    m = arch["gpu-hbm3"].memory["dram"]
    assert m.capacity == 5 * 16 * 2 ** 30  # 5 HBM3 stacks x 16 GiB
    # DeepBench RNN rows at hidden >= 2048 sustain 58-75 % of peak bandwidth
    assert 0.58 <= m.sustained_fraction <= 0.75


def test_hbm_pim_published_values(arch):
    a = arch["hbm-pim"]
    pim = a.components["pim"]
    assert pim is not None
    assert pim.clock == approx(300e6)  # Aquabolt-XL PCU clock
    assert pim.macs_per_cycle == 16  # 16-lane FP16 SIMD
    # One Aquabolt-XL cube: 16 pseudo-channels (HBM2: 8 channels x 2) -> 1.2 TFLOPS
    cube_flops = 16 * pim.units_per_channel * pim.macs_per_cycle * 2 * pim.clock
    assert cube_flops == approx(1.2e12, rel=0.03)
    # a unit reads one 16-lane FP16 operand vector (32 B) per cycle
    assert pim.internal_bandwidth == approx(32 * pim.clock)
    # Samsung's "4x bandwidth": total internal / external between 3x and 5x
    total_internal = a.memory["dram"].channels * pim.units_per_channel * pim.internal_bandwidth
    assert 3.0 <= total_internal / a.memory["dram"].bandwidth <= 5.0
    # PIM logic costs capacity: Aquabolt-XL 6 GB vs 8 GB
    assert a.memory["dram"].capacity == 5 * 16 * 2 ** 30 * 6 // 8  # 60 GiB


def test_hbm_pim_host_is_the_gpu(arch):
    assert arch["hbm-pim"].components["processor"] == arch["gpu-hbm3"].components["processor"]


def test_rram_cim_published_values(arch):
    c = arch["rram-cim"].components["cim"]
    assert c.technology == "rram"
    assert (c.rows, c.cols, c.bits_per_cell) == (128, 128, 2)  # ISAAC crossbar
    assert c.read_latency == approx(100e-9)
    assert c.dac_bits == 1
    assert c.adc.bits == 8
    # ISAAC Sec. V: "a single 1.28 GSps ADC", so one crossbar's 128 columns fit its 100 ns read
    assert c.adc.sample_rate == approx(1.28e9)
    assert c.cols / c.adc.sample_rate <= c.read_latency * (1 + 1e-9)
    # ISAAC Table I per IMA of 8 crossbars: ADC 16 mW, DAC 4 mW (8 x 128), S+A 0.2 + S+H 0.01 mW
    assert c.adc.energy_per_conversion == approx(16e-3 / 8 / 1.28e9)  # 1.5625 pJ
    assert c.dac_energy == approx(4e-3 * 100e-9 / (8 * 128))  # 0.390625 pJ
    assert c.shift_add_energy == approx(0.21e-3 * 100e-9 / (8 * 128))  # 0.0205 pJ
    # eDRAM 20.7 mW per tile at one 256-bit access per 1.2 GHz cycle
    assert c.buffer.bandwidth == approx(177 * 32 * 1.2e9)  # 6796.8 GB/s
    assert c.buffer.energy_per_byte == approx(20.7e-3 / (32 * 1.2e9))  # 0.539 pJ/B
    # Table I parts charged statically: IR 1.24 + OR 0.23 mW per IMA; bus 7 + router 42 / 4 +
    # sigmoid 0.52 + S+A 0.05 + max-pool 0.4 + OR 1.68 mW per tile; 177 tiles of 12 IMAs
    assert c.static_power == approx(1.47e-3 * 177 * 12 + 20.15e-3 * 177)  # 6.689 W
    assert c.endurance == approx(1e12)
    assert 0.1e-12 * c.bits_per_cell <= c.write_energy <= 3e-12 * c.bits_per_cell


def test_rram_cim_is_the_validated_isaac(arch):
    """The headline rram-cim and the `cim-published` suite's ISAAC (validation/isaac.yaml) are one
    ISAAC: the same crossbar, ADC, DAC and shift-add numbers (the headline had isaac.py's 1.2 GS/s
    and 1.67 pJ ADC, 0.417 pJ DAC, and a 1 W placeholder static power)."""
    c = arch["rram-cim"].components["cim"]
    v = load_architecture(Path(__file__).resolve().parents[2] / "src" / "cimsim" / "data" / "validation"
                          / "isaac.yaml").components["cim"]
    for field in ("rows", "cols", "bits_per_cell", "dac_bits", "read_latency"):
        assert getattr(c, field) == getattr(v, field), field
    for field in ("bits", "sample_rate", "energy_per_conversion", "per_array"):
        assert getattr(c.adc, field) == getattr(v.adc, field), field
    for field in ("dac_energy", "shift_add_energy", "cell_read_energy"):
        assert getattr(c, field) == approx(getattr(v, field), rel=1e-4), field
    # isaac.yaml's buffer: 168 tiles at the same per-tile rate as rram-cim's 177
    assert c.buffer.bandwidth / 177 == approx(v.buffer.bandwidth / 168, rel=2e-4)


def test_sram_cim_energy_reproduces_89_tops_per_watt(arch):
    c = arch["sram-cim"].components["cim"]
    assert c.technology == "sram"
    assert c.bits_per_cell == 1
    # 89 TOPS/W at 4b x 4b: 2 ops per MAC, 16 one-bit products per MAC
    per_bit_product = (1 / 89e12) * 2 / 16
    assert c.adc.energy_per_conversion == approx(c.rows * per_bit_product, rel=0.01)


@pytest.mark.parametrize("name", ["sram-cim", "rram-cim"])
def test_cim_host_is_the_cpu(arch, name):
    assert arch[name].components["processor"] == arch["cpu-ddr5"].components["processor"]
    assert arch[name].memory == arch["cpu-ddr5"].memory
    assert "interconnect" in arch[name].links


def _arrays_for(k: int, n: int, cim) -> int:
    return math.ceil(k / cim.rows) * math.ceil(n * cim.weight_bits / cim.bits_per_cell / cim.cols)


def test_arrays_formula_golden():
    class C:  # ISAAC geometry: 128 x 128, 2 bits/cell, 8-bit weights
        rows, cols, bits_per_cell, weight_bits = 128, 128, 2, 8

    assert _arrays_for(1024, 4096, C) == 8 * 128
    assert _arrays_for(512, 1, C) == 4


@pytest.mark.parametrize("name", ["sram-cim", "rram-cim"])
def test_cim_holds_all_weights_of_both_bundled_workloads(arch, name):
    c = arch[name].components["cim"]
    assert (c.weight_bits, c.input_bits) == (8, 8)
    lstm = 4 * _arrays_for(2048, 8192, c)  # 2 layers x (W_ih, W_hh), each 2048 x 8192
    attention = 2 * (4 * _arrays_for(512, 512, c) + _arrays_for(512, 1, c))
    assert c.arrays >= lstm + attention
    # and the bundled files really have those matrices
    from cimsim.bundled import resolve_workload
    from cimsim.workload import load_workload

    for wl_name, expected in (("lstm", lstm), ("hier-attn", attention)):
        wl = load_workload(resolve_workload(wl_name))
        shapes = {op.weight: (op.k, op.n) for op in wl.ops if op.kind == "matmul" and op.weight}
        assert sum(_arrays_for(k, n, c) for k, n in shapes.values()) == expected


# ------------------------------------------------------------------ sources on every number

_NUMERIC_VALUE = re.compile(
    r"""^\s*(?:-\s+)?(?!(?:name|description|technology)\s*:)[\w.-]+\s*:\s*['"]?[-+]?(?:\d|\.\d)"""
)
_MARKER = re.compile(r"\((?:P|T|D|U)\)")


def undocumented_numeric_lines(text: str) -> list[str]:
    """Lines whose value is a number or a quantity but whose comment has no source marker."""
    bad = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if not _NUMERIC_VALUE.match(line):
            continue
        _, _, comment = line.partition(" #")
        if not _MARKER.search(comment):
            bad.append(f"{lineno}: {line.strip()}")
    return bad


def test_comment_checker_can_fail():
    text = (
        "a: 1 GB/s  # JEDEC (T)\nb: 2 GB/s\nc: 3  # no marker\nname: x1\n"
        "d: '4 ns'  # (U) placeholder\ndescription: \"8 channels\"\n  e: .5  # (D, x)\n"
    )
    assert undocumented_numeric_lines(text) == [
        "2: b: 2 GB/s",
        "3: c: 3  # no marker",
        "7: e: .5  # (D, x)",
    ]


@pytest.mark.parametrize("name", BUNDLED)
def test_every_numeric_line_names_its_source(name):
    text = cfg_path(name).read_text()
    assert undocumented_numeric_lines(text) == []
    # and the checker did look at numbers: every config has dozens of them
    assert sum(bool(_NUMERIC_VALUE.match(line)) for line in text.splitlines()) >= 20


@pytest.mark.parametrize("name", BUNDLED)
def test_unsourced_values_say_placeholder(name):
    """A number whose only marker is (U) has no source at all: its comment must say so."""
    offenders = []
    for line in cfg_path(name).read_text().splitlines():
        if not _NUMERIC_VALUE.match(line):
            continue
        _, _, comment = line.partition(" #")
        if set(_MARKER.findall(comment)) == {"(U)"} and "placeholder" not in comment:
            offenders.append(line.strip())
    assert offenders == []


# ---------------------------------------------------------------------------- bad configs


@pytest.fixture
def rram_data():
    return read_yaml(cfg_path("rram-cim"))


def _write(tmp_path: Path, data=None, text=None, name="bad.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text if text is not None else yaml.safe_dump(data, sort_keys=False))
    return path


def _error(path: Path) -> str:
    with pytest.raises(ConfigError) as info:
        load_architecture(path)
    msg = str(info.value)
    assert msg.startswith(f"{path}: "), msg
    assert "Traceback" not in msg
    return msg


def test_unknown_key_lists_allowed_keys(tmp_path, rram_data):
    rram_data["memory"]["dram"]["bandwith"] = "1 GB/s"
    msg = _error(_write(tmp_path, rram_data))
    assert "memory.dram.bandwith: unknown key" in msg
    # the fields every level has (its type first), then the ones its type (fixed) adds
    assert ("allowed keys here: type, technology, capacity, latency, energy_per_byte, energy_per_bit, "
            "channels, area, off_chip, stack, far, near_on_chip, place, static_power, idle, volatile, read_only, replacement, bandwidth, "
            "sustained_fraction") in msg


def test_unknown_nested_key_lists_that_level(tmp_path, rram_data):
    rram_data["cim"]["adc"]["enob"] = 7
    msg = _error(_write(tmp_path, rram_data))
    assert "cim.adc.enob: unknown key" in msg
    assert "bits, sample_rate, energy_per_conversion, per_array" in msg


def test_missing_required_field(tmp_path, rram_data):
    del rram_data["memory"]["dram"]["bandwidth"]
    msg = _error(_write(tmp_path, rram_data))
    assert "memory.dram.bandwidth: required field is missing" in msg
    assert "Peak bandwidth" in msg  # the field's description


def test_wrong_unit_dimension(tmp_path, rram_data):
    rram_data["memory"]["dram"]["bandwidth"] = "25.6 GHz"
    msg = _error(_write(tmp_path, rram_data))
    assert "memory.dram.bandwidth:" in msg
    assert "frequency (time^-1) quantity" in msg and "25.6 GB/s" in msg


def test_capacity_for_bandwidth(tmp_path, rram_data):
    rram_data["memory"]["dram"]["bandwidth"] = "25.6 GB"
    msg = _error(_write(tmp_path, rram_data))
    assert "memory.dram.bandwidth:" in msg and "capacity (information) quantity" in msg


def test_bare_number(tmp_path, rram_data):
    rram_data["cim"]["read_latency"] = 100
    msg = _error(_write(tmp_path, rram_data))
    assert "cim.read_latency:" in msg
    assert "bare number" in msg and "100 ns" in msg


def test_bad_enum_value_lists_choices(tmp_path, rram_data):
    rram_data["cim"]["technology"] = "flash"
    msg = _error(_write(tmp_path, rram_data))
    assert "cim.technology:" in msg
    assert "'sram'" in msg and "'rram'" in msg


def test_negative_count(tmp_path, rram_data):
    rram_data["cim"]["arrays"] = -3
    msg = _error(_write(tmp_path, rram_data))
    assert "cim.arrays:" in msg and "greater than or equal to 1" in msg


def test_dac_bits_above_input_bits(tmp_path, rram_data):
    rram_data["cim"]["input_bits"] = 4
    rram_data["cim"]["dac_bits"] = 8
    msg = _error(_write(tmp_path, rram_data))
    assert "cim: dac_bits (8) cannot exceed input_bits (4)" in msg


def test_cim_without_a_link(tmp_path, rram_data):
    del rram_data["links"]
    del rram_data["cim"]["link"]
    msg = _error(_write(tmp_path, rram_data))
    assert "cim.link: name the link between the host and the arrays" in msg


def test_cim_naming_an_absent_link(tmp_path, rram_data):
    rram_data["cim"]["link"] = "noc"
    msg = _error(_write(tmp_path, rram_data))
    assert "cim.link: 'noc' is not a link; the architecture has ['interconnect']" in msg


def test_duplicate_yaml_key(tmp_path):
    text = cfg_path("cpu-ddr5").read_text().replace(
        "  cores: 16", "  cores: 16\n  cores: 32", 1
    )
    msg = _error(_write(tmp_path, text=text))
    assert "not valid YAML" in msg and "duplicate key 'cores'" in msg


def test_not_yaml(tmp_path):
    msg = _error(_write(tmp_path, text="name: [unclosed\nprocessor: {\n"))
    assert "not valid YAML" in msg


def test_top_level_not_a_mapping(tmp_path):
    msg = _error(_write(tmp_path, text="- cpu\n- gpu\n"))
    assert "expected a mapping at the top level (name: ..., memory: ...), got a list" in msg


def test_empty_file(tmp_path):
    msg = _error(_write(tmp_path, text=""))
    assert msg.endswith("expected a mapping at the top level (name: ..., memory: ...), got nothing (the file is empty)")
    assert "NoneType" not in msg


def test_missing_file(tmp_path):
    msg = _error(tmp_path / "absent.yaml")
    assert "cannot read config" in msg and "No such file" in msg


def test_unreadable_path(tmp_path):
    # a directory cannot be read as a file, even by root (chmod 000 would not stop root)
    (tmp_path / "dir.yaml").mkdir()
    msg = _error(tmp_path / "dir.yaml")
    assert "cannot read config" in msg


def test_every_error_is_reported_at_once(tmp_path, rram_data):
    rram_data["memory"]["dram"]["bandwidth"] = 25.6
    rram_data["cim"]["technology"] = "flash"
    msg = _error(_write(tmp_path, rram_data))
    assert "memory.dram.bandwidth:" in msg and "cim.technology:" in msg
    assert len(msg.splitlines()) == 2


# ------------------------------------------------------------------------------- overrides


def test_override_sets_nested_value():
    data = read_yaml(cfg_path("cpu-ddr5"))
    out = apply_overrides(data, {"memory.dram.bandwidth": "1 TB/s"})
    assert out["memory"]["dram"]["bandwidth"] == "1 TB/s"
    assert data["memory"]["dram"]["bandwidth"] == "307.2 GB/s"  # the input is not mutated


def test_override_through_loader():
    a = load_architecture(cfg_path("cpu-ddr5"), overrides={"memory.dram.bandwidth": "1 TB/s"})
    assert a.memory["dram"].bandwidth == 1e12
    b = load_architecture(cfg_path("rram-cim"), overrides={"cim.adc.bits": 6})
    assert b.components["cim"].adc.bits == 6


def test_override_value_is_validated():
    with pytest.raises(ConfigError) as info:
        load_architecture(cfg_path("cpu-ddr5"), overrides={"memory.dram.bandwidth": "1 THz"})
    assert "memory.dram.bandwidth:" in str(info.value)


def test_override_unknown_path_names_allowed_fields():
    data = read_yaml(cfg_path("cpu-ddr5"))
    with pytest.raises(ConfigError) as info:
        apply_overrides(data, {"memory.dram.bandwith": "1 TB/s"}, source="cpu-ddr5.yaml")
    msg = str(info.value)
    assert msg.startswith("cpu-ddr5.yaml: override 'memory.dram.bandwith'")
    assert ("allowed here: type, technology, capacity, latency, energy_per_byte, energy_per_bit, "
            "channels, area, off_chip, stack, far, near_on_chip, place, static_power, idle, volatile, read_only, replacement, bandwidth, "
            "sustained_fraction") in msg


def test_override_into_absent_section():
    data = read_yaml(cfg_path("cpu-ddr5"))
    with pytest.raises(ConfigError) as info:
        apply_overrides(data, {"cim.arrays": 10}, source="cpu-ddr5.yaml")
    assert "'cim' is not a section of this config; its components: processor" in str(info.value)


def test_override_does_not_touch_other_configs():
    data = read_yaml(cfg_path("gpu-hbm3"))
    before = copy.deepcopy(data)
    apply_overrides(data, {"processor.cores": 66})
    assert data == before


# ------------------------------------------------------------------------- legacy layout
LEGACY = {
    "name": "legacy",
    "processor": {
        "name": "p", "cores": 2, "clock": "1 GHz", "macs_per_cycle_per_core": {"fp32": 8},
        "vector_ops_per_cycle_per_core": 8, "energy_per_mac": {"fp32": "4 pJ"},
        "energy_per_vector_op": "1 pJ", "static_power": "1 W", "op_overhead": "1 us",
        "sram": {"capacity": "1 MiB", "bandwidth": "1 TB/s", "energy_per_byte": "1 pJ/B"},
    },
    "memory": {"technology": "DDR4", "channels": 2, "bandwidth": "10 GB/s", "access_latency": "100 ns",
               "energy_per_bit": "10 pJ/bit", "capacity": "16 GiB"},
    "pim": {"units_per_channel": 1, "clock": "1 GHz", "macs_per_cycle": 1,
            "internal_bandwidth": "1 GB/s", "energy_per_mac": "1 pJ", "energy_per_bit": "1 pJ/bit"},
    "interconnect": {"bandwidth": "1 GB/s", "latency": "1 ns", "energy_per_bit": "1 pJ/bit"},
}


def test_a_legacy_config_is_read_as_the_same_machine(tmp_path):
    # cimsim 0.1 layout: processor.sram, one memory level, a top-level interconnect
    a = load_architecture(_write(tmp_path, LEGACY, name="legacy.yaml"))
    assert list(a.memory) == ["sram", "dram"]
    assert a.memory["sram"].capacity == 2 ** 20 and a.memory["sram"].bandwidth == 1e12
    assert a.memory["dram"].latency == approx(100e-9) and a.memory["dram"].channels == 2
    assert list(a.links) == ["interconnect"] and a.links["interconnect"].bandwidth == 1e9
    # PIM ops paid the host's dispatch cost in 0.1: the upgrade keeps that
    assert a.components["pim"].op_overhead == 1e-6
    assert LEGACY["processor"]["sram"]["capacity"] == "1 MiB"  # the input is not mutated


# ------------------------------------------------------------------ physical domains
@pytest.mark.parametrize("path, value, needle", [
    ("processor.static_power", "-50 W", "must be >= 0"),
    ("memory.dram.latency", "-1 s", "must be >= 0"),
    ("processor.op_overhead", "-2 us", "must be >= 0"),
    ("cim.write_energy", "-6 pJ", "must be >= 0"),
    ("processor.macs_per_cycle_per_core.fp32", float("nan"), "greater than 0 (got nan)"),
    ("processor.macs_per_cycle_per_core.fp32", 0, "greater than 0"),
    ("memory.dram.bandwidth", "1e308 TB/s", "not finite"),
    ("memory.dram.bandwidth", "nan GB/s", "cannot read"),
    ("memory.sram.bandwidth", "0 B/s", "must be > 0"),
    ("cim.buffer.bandwidth", "0 GB/s", "must be > 0"),
    ("cim.read_latency", "0 ns", "must be > 0"),
    ("cim.adc.sample_rate", "0 Hz", "must be > 0"),
    ("cim.arrays", 0, "greater than or equal to 1"),
    ("cim.arrays", True, "boolean"),
    ("cim.arrays", 2.5, "integer"),
    ("cim.endurance", -1, "greater than 0"),
    ("cim.weight_replication", "yes", "expected true or false (got the text 'yes')"),
    # a level's off_chip read "yes", "1" and 1 as true (a tester, 2026-12-05): strict as the rest
    ("memory.dram.off_chip", "yes", "expected true or false (got the text 'yes')"),
    ("memory.dram.off_chip", 1, "expected true or false (got 1)"),
    ("memory.dram.sustained_fraction", 1.5, "less than or equal to 1"),
    ("memory.dram.sustained_fraction", 0, "greater than 0"),
    ("processor.cores", "many", "expected a number (got the text 'many')"),
    ("memory.dram.capacity", "0 GB", "must be > 0"),
])
def test_impossible_values_are_refused_naming_file_field_and_domain(path, value, needle):
    with pytest.raises(ConfigError) as info:
        load_architecture(cfg_path("rram-cim"), overrides={path: value})
    msg = str(info.value)
    # the value came from the override, not the file: the error names it (as --set's do)
    assert msg.startswith(f"overrides={{{path!r}: {value!r}}}: {path}: "), msg
    assert needle in msg, msg
    assert len(msg.splitlines()) == 1


@pytest.mark.parametrize("path, value, shown", [
    ("memory.dram.bandwidth", "-307.2 GB/s", "-307.2 GB/s is outside the domain: the value must be > 0 (B/s)"),
    ("memory.dram.bandwidth", "-307.2 Gbit/s", "-38.4 GB/s is outside the domain"),  # 307.2 / 8
    ("processor.static_power", "-50W", "-50 W is outside the domain: the value must be >= 0 (W)"),
    ("cim.write_energy", "-6 pJ", "-6 pJ is outside the domain"),
])
def test_a_value_outside_its_domain_is_shown_with_its_si_prefix(path, value, shown):
    """The refused value reads as a quantity (-307.2 GB/s), not as -307200000000.0 B/s."""
    with pytest.raises(ConfigError) as info:
        load_architecture(cfg_path("rram-cim"), overrides={path: value})
    assert shown in str(info.value), str(info.value)


def test_memory_level_needs_exactly_one_energy(tmp_path, rram_data):
    rram_data["memory"]["dram"]["energy_per_byte"] = "1 pJ/B"
    msg = _error(_write(tmp_path, rram_data))
    assert "memory.dram: give exactly one of energy_per_byte and energy_per_bit" in msg


def test_non_utf8_and_deep_yaml_are_one_line_errors(tmp_path):
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes("name: caf\xe9\n".encode("latin-1"))
    assert "not UTF-8 text" in _error(bad)
    deep = tmp_path / "deep.yaml"
    deep.write_text("a: " + "[" * 5000 + "]" * 5000 + "\n")
    msg = _error(deep)
    assert "nested" in msg and len(msg.splitlines()) == 1


def test_an_override_error_names_the_override_from_python_as_set_does_from_the_cli():
    """It named the YAML file: ``<file>: cim.weight_replication: ... (got 'yes')``, as if the
    file held the string."""
    with pytest.raises(ConfigError) as info:
        load_architecture("rram-cim", overrides={"cim.weight_replication": "yes"})
    assert str(info.value) == ("overrides={'cim.weight_replication': 'yes'}: cim.weight_replication: "
                               "expected true or false (got the text 'yes'): a quoted word is text "
                               "in YAML; write it unquoted, true or false (True or False in a "
                               "Python overrides= mapping; --set takes true/false, yes/no, 1/0)")
    # a rule between fields of a section an override changed: the file, with that override
    with pytest.raises(ConfigError) as info:
        load_architecture("rram-cim", overrides={"cim.adc.per_array": 512})
    assert str(info.value) == (f"{cfg_path('rram-cim')} with overrides={{'cim.adc.per_array': 512}}: "
                               "cim: adc.per_array (512) cannot exceed cols (128): at most one ADC "
                               "per column")  # rram-cim.yaml's arrays are 128 columns wide
    # a valid override still applies
    assert load_architecture("rram-cim", overrides={"cim.arrays": 8}).components["cim"].arrays == 8


def test_cim_arrays_are_bounded():
    """`cim.arrays` of 10^30 was taken (a 1.6e21 m² chip from the Python API): at most 2^40."""
    from cimsim.errors import ConfigError

    with pytest.raises(ConfigError, match=r"cim\.arrays: Input should be less than or equal to 1099511627776"):
        load_architecture("rram-cim", overrides={"cim.arrays": 10**30})
    assert load_architecture("rram-cim", overrides={"cim.arrays": 2**40}).component("cim").config.arrays == 2**40
