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
    # review 22 E 1: the host's own weights from DRAM, not the tier's whole traffic (which has the
    # 2 kB input and output too): 512 x 512 x 4 B = 1,048,576 B at cpu-ddr5's 20 pJ/bit = 160 pJ/B
    assert r.home_weight_bytes == {"processor": {"dram": 512 * 512 * 4}}
    weights_j = 512 * 512 * 4 * 160e-12  # 167.8 µJ
    dyn = sum(v for k, v in r.energy_breakdown_j.items() if k != "static")
    assert weights_j >= 0.5 * dyn  # a GEMV: 4 B of DRAM a MAC
    assert f"the {si(512 * 512 * 4, 'B')} of weights processor reads from dram " \
           f"({si(weights_j, 'J')} at the run's 160 pJ/B on dram, " in note
    assert f"{si(weights_j / T, 'W')} of the power at the period" in note
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


class _CrossStep(torch.nn.Module):
    """One decode token of a gated cross-attention layer (Llama-3.2-Vision's, small): q / o /
    up / down projections on the CIM's arrays, attention over N cached image keys on the host,
    whose only weights are the two tanh gates (2 x 4 B)."""

    def __init__(self, d=256, h=4, hkv=2, ffn=512):
        super().__init__()
        nn = torch.nn
        self.h, self.hkv, self.dh = h, hkv, d // h
        self.q, self.o = nn.Linear(d, d, bias=False), nn.Linear(d, d, bias=False)
        self.up, self.down = nn.Linear(d, 2 * ffn, bias=False), nn.Linear(ffn, d, bias=False)
        self.g1, self.g2 = nn.Parameter(torch.zeros(1)), nn.Parameter(torch.zeros(1))

    def forward(self, x, k, v):
        q = self.q(x).view(1, 1, self.h, self.dh).transpose(1, 2)
        k, v = (t.repeat_interleave(self.h // self.hkv, 1) for t in (k, v))
        a = torch.softmax(q @ k.transpose(-1, -2) / self.dh ** 0.5, -1) @ v
        x = x + torch.tanh(self.g1) * self.o(a.transpose(1, 2).reshape(1, 1, -1))
        u, g = self.up(x).chunk(2, -1)
        return x + torch.tanh(self.g2) * self.down(torch.nn.functional.silu(g) * u)


def _dram_share(r) -> float:
    return r.energy_breakdown_j["dram"] / sum(v for k, v in r.energy_breakdown_j.items() if k != "static")


def test_no_cold_note_for_activation_traffic_on_a_cached_host():
    """review 22 E 1: three small convs at 768 x 768 on cpu-ddr5. Their 12,812 B of weights
    ((3x16 + 16x16 + 16x3) x 9 x 4 B + (16 + 16 + 3) x 4 B of biases) stay in cache, but the
    16-channel activations (16 x 768^2 x 4 B = 37.7 MB each, past the 37.5 MB L3) spill to DRAM,
    which a loop pays every step too: over half the dynamic energy on DRAM, and no cold-call note."""
    torch.manual_seed(0)
    nn = torch.nn
    m = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.Conv2d(16, 16, 3, padding=1),
                      nn.ReLU(), nn.Conv2d(16, 3, 3, padding=1)).eval()
    r = cimsim.simulate(cimsim.load_architecture("cpu-ddr5"),
                        cimsim.trace(m, (torch.randn(1, 3, 768, 768),), name="bigact"))
    assert r.facts["processor_weights_on_chip"] is True
    assert r.home_weight_bytes["processor"]["dram"] == (48 + 256 + 48) * 9 * 4 + 35 * 4  # 12,812 B
    assert _dram_share(r) >= 0.5  # the old test: the tier's whole energy
    assert r.traffic_bytes["dram"] > 1000 * 12_812  # activations, not weights
    at = r.at_load(10 * r.latency_s)
    assert not [n for n in at.notes if "cold call" in n]
    assert "cold call" not in _row(at, "at the period")


@pytest.mark.parametrize("cfg", ["sram-cim", "rram-cim"])
def test_no_cold_note_for_a_cim_run_whose_host_reads_cached_image_keys(cfg):
    """review 22 E 1: a cross-attention step over 8,192 image keys on a CIM config: the host runs
    the attention (MACs > 0) and holds only the two gates, 8 B; DRAM carries the image K/V
    (2 x 2 x 8,192 x 64 x 4 B = 8.39 MB), over half the dynamic energy, which a loop reads every
    step too: no cold-call note."""
    torch.manual_seed(0)
    n = 8192
    w = cimsim.trace(_CrossStep().eval(), (torch.randn(1, 1, 256), torch.randn(1, 2, n, 64),
                                           torch.randn(1, 2, n, 64)), name="xattn")
    r = cimsim.simulate(cimsim.load_architecture(cfg), w)
    assert r.macs_per_unit["processor"] == 2 * 4 * n * 64  # q @ k^T and a @ v: 4 heads x N x 64
    assert r.home_weight_bytes["processor"] == {"dram": 2 * 4}
    assert r.traffic_bytes["dram"] >= 2 * 2 * n * 64 * 4 and _dram_share(r) >= 0.5
    assert not [n for n in r.at_load(10 * r.latency_s).notes if "cold call" in n]
