"""A run at a load in the workload's stated items (find-V 4) and the note that each period
repeats a cold call a loop would not make (find-V 3): real traced torch models, real runs on
bundled configs. Goldens are closed-form arithmetic beside each assertion."""

from __future__ import annotations

import re

import pytest

torch = pytest.importorskip("torch")

import cimsim  # noqa: E402
from cimsim.report.format import si  # noqa: E402
from cimsim.report.load import load_rows, too_short_text  # noqa: E402

pytestmark = pytest.mark.torch


@pytest.fixture(scope="module")
def gemv():
    """One Linear(512, 512) step, fp32, 8 audio samples a run (as --items-per-sample 8
    --item-name audio-sample writes them): 1,048,576 B of weights a host reads once a call."""
    torch.manual_seed(0)
    w = cimsim.trace(torch.nn.Linear(512, 512, bias=False).eval(), (torch.randn(1, 512),), name="step")
    w.metadata.update(items_per_sample=8, item_name="audio-sample")
    return {cfg: cimsim.simulate(cimsim.load_architecture(cfg), w) for cfg in ("cpu-ddr5", "sram-cim")}


def _row(r, name):
    return dict(load_rows(r, False))[name]


def test_the_period_line_speaks_in_the_stated_items(gemv):
    r = gemv["sram-cim"]
    T = 4e-3
    at = r.at_load(T)
    line = _row(at, "at the period")
    # 8 audio samples a run every 4 ms: 8 / 4 ms = 2,000 audio-samples/s
    assert line.startswith("one run every 4 ms (250 Hz, 2 kaudio-samples/s): ")
    # one sample a run: the period's energy over its 8 items, and no "per sample" for a run
    assert f"{si(at.period_energy_j / 8, 'J')} per audio-sample (8 audio-samples a run)" in line
    assert "per sample" not in line


def test_the_refusal_gives_the_highest_rate_in_items(gemv):
    r = gemv["sram-cim"]
    text = too_short_text(r, r.latency_s / 2)
    assert f"sram-cim: {si(r.latency_s, 's')} (8 audio-samples), " in text
    rate = re.search(r"runs at most \S+ \S+ \(([\d.]+) ([kMG]?)audio-samples/s: 8 audio-samples a run\)", text)
    assert rate, text
    # 8 items / the latency, rounded down at 4 digits (so that it is accepted fed back)
    per_s = float(rate.group(1)) * {"": 1.0, "k": 1e3, "M": 1e6, "G": 1e9}[rate.group(2)]
    assert per_s <= 8 / r.latency_s and per_s == pytest.approx(8 / r.latency_s, rel=1e-3, abs=0)
    assert "samples/s" not in text.replace("audio-samples/s", "")


def test_a_short_period_on_a_cached_host_says_it_repeats_a_cold_call(gemv):
    r = gemv["cpu-ddr5"]
    assert r.facts["processor_weights_on_chip"] is True  # 1 MB fits the 37.5 MB L3
    assert r.traffic_bytes["dram"] >= 512 * 512 * 4  # the weights from DRAM, cold
    T = 10 * r.latency_s
    at = r.at_load(T)
    (note,) = [n for n in at.notes if "repeats one cold call" in n]
    dram_j = r.energy_breakdown_j["dram"]
    dyn = sum(v for k, v in r.energy_breakdown_j.items() if k != "static")
    assert dram_j >= 0.5 * dyn  # a GEMV: 4 B of DRAM a MAC
    assert f"({si(dram_j, 'J')}, " in note and f"{si(dram_j / T, 'W')} of the power at the period" in note
    assert note.endswith("(README 'A control loop's steady step')")
    assert "each period a cold call" in _row(at, "at the period")
    # the numbers stay the cold call's: E(T) = E_dyn + P_static x T
    static_w = r.energy_breakdown_j["static"] / r.latency_s
    assert at.period_energy_j == pytest.approx(dyn + static_w * T, rel=1e-9, abs=0)
    # a later at_load states the whole load: one note, not two
    assert sum("repeats one cold call" in n for n in at.at_load(T).notes) == 1


def test_no_cold_note_for_a_long_period_gated_parts_or_a_cim_host(gemv):
    r = gemv["cpu-ddr5"]
    assert not [n for n in r.at_load(1000 * r.latency_s).notes if "cold call" in n]
    gated = r.at_load(10 * r.latency_s, idle="gate")  # caches lose their contents anyway
    assert not [n for n in gated.notes if "cold call" in n]
    c = gemv["sram-cim"]  # the matrix on the CIM's arrays: its host reads no weight from DRAM
    assert not [n for n in c.at_load(10 * c.latency_s).notes if "cold call" in n]
