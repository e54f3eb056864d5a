"""hier-attn encode mode's partial last window: padded and masked into the level's batched ops
(the default, as a batched encoder does), or ops of its own (``partial="separate"``).

With its own ops, a partial window put a second module's ops on the level's path: on gpu-hbm3
(d=512, h=8, w=16) N=17 took 164.9 us against 120.5 us at N=256, and N=257 281.9 us against
317.4 us at N=4096 (find-K, finding 2). Golden values are closed-form arithmetic.
"""

from __future__ import annotations

import math

import pytest
from click.testing import CliRunner

from cimsim import load_architecture, simulate
from cimsim.commands.workload import workload as workload_cmd
from cimsim.workload import load_workload
from cimsim.workload.generators import hier_attn, module_macs

#: ops of one attention module: q, k, v, scores, softmax, av, o, pool_scores, pool_softmax,
#: pool_sum
MODULE_OPS = 10


def _sizes(n, w):
    out = []
    while n > 1:
        out.append(n)
        n = -(-n // w)
    return out


@pytest.mark.parametrize("N,w", [(5, 4), (6, 4), (16, 4), (17, 4), (63, 4), (64, 4), (65, 4),
                                 (250, 100), (7, 2)])
def test_padded_level_is_one_module_of_ops(N, w):
    d, B = 8, 2
    wl = hier_attn(N, d_model=d, heads=2, window=w, batch=B)
    L = math.ceil(round(math.log(N, w), 9))
    assert wl.metadata["levels"] == L
    # one module's ops per level plus a gather between levels: 10 L + (L - 1)
    assert len(wl.ops) == MODULE_OPS * L + (L - 1)
    for lv, n in enumerate(_sizes(N, w), start=1):
        level_ops = [op for op in wl.ops if op.tags.get("level") == lv and op.tags.get("part") != "gather"]
        assert len(level_ops) == MODULE_OPS
        out = [op for op in level_ops if op.tags["part"] == "out_proj"]
        # ceil(n / w) windows of w vectors (a level of one window: its n vectors, unpadded)
        assert out[0].tags["windows"] == -(-n // w)
        assert out[0].tags["vectors"] == (w if n > w else n)
    # MACs: every window of a level of several is a full window's
    macs = sum(-(-n // w) * module_macs(w, d) if n > w else module_macs(n, d) for n in _sizes(N, w))
    assert wl.macs == wl.metadata["macs"] == B * macs


def test_separate_keeps_the_partial_window_on_its_own():
    # N=17, w=16: level 1 = a window of 16 and one of 1, level 2 = 2 vectors
    wl = hier_attn(17, d_model=8, heads=2, window=16, partial="separate")
    assert len(wl.ops) == 3 * MODULE_OPS + 1
    assert wl.macs == module_macs(16, 8) + module_macs(1, 8) + module_macs(2, 8)
    assert wl.name.endswith("-separate")
    assert wl.metadata["params"]["partial"] == "separate"


@pytest.mark.parametrize("config", ["gpu-hbm3", "cpu-ddr5"])
def test_latency_non_decreasing_in_n_at_fixed_levels(config):
    """w=4: N = 5..16 is two levels, 17..64 three; the padded encoder's latency never falls as N
    grows within a level count (each level is one set of ops whose rows grow with N)."""
    arch = load_architecture(config)
    w = 4
    for lo, hi in ((5, 16), (17, 64)):
        lat = [simulate(arch, hier_attn(n, d_model=64, heads=4, window=w), keep_ops=False).latency_s
               for n in range(lo, hi + 1, 3)] + [
            simulate(arch, hier_attn(hi, d_model=64, heads=4, window=w), keep_ops=False).latency_s]
        assert all(b >= a for a, b in zip(lat, lat[1:])), lat
    # the separate windows of N = w + 1 cost more than N = w^2 (the artefact, still available)
    sep = simulate(arch, hier_attn(5, d_model=64, heads=4, window=w, partial="separate"),
                   keep_ops=False).latency_s
    full = simulate(arch, hier_attn(16, d_model=64, heads=4, window=w), keep_ops=False).latency_s
    assert sep > full


def test_cli_partial_flag(tmp_path):
    r = CliRunner().invoke(workload_cmd, ["hier-attn", "--steps", "17", "--window", "16",
                                          "--d-model", "8", "--heads", "2", "--partial", "separate",
                                          "-o", str(tmp_path / "s.json")])
    assert r.exit_code == 0, r.output
    assert len(load_workload(tmp_path / "s.json").ops) == 3 * MODULE_OPS + 1
    r = CliRunner().invoke(workload_cmd, ["hier-attn", "--steps", "17", "--window", "16",
                                          "--d-model", "8", "--heads", "2", "-o", str(tmp_path / "p.json")])
    assert r.exit_code == 0, r.output
    assert len(load_workload(tmp_path / "p.json").ops) == 2 * MODULE_OPS + 1
    r = CliRunner().invoke(workload_cmd, ["hier-attn", "--steps", "17", "--mode", "stream",
                                          "--partial", "pad", "-o", str(tmp_path / "x.json")])
    assert r.exit_code != 0 and "--partial" in r.output and "Traceback" not in r.output
