"""The README's co-location ``merge()`` ("Several models on one system"), run as printed on two
copies of a traced model (review 16-2 #4): each copy keeps its own kernel launches.

A traced Linear's bias add and a traced convolution's im2col copy share their matmul's ``launch``
value (one torch call). Merged with the values unchanged, the two copies share each group and
one copy's ops ride on the other's dispatch. Golden values: the count of torch calls per copy
(CNN: conv(+bias), relu, conv, linear = 4; MLP: 3 linear + 2 relu = 5) x 2 copies x a 1 s
per-op overhead on one host processor (one op at a time), which dwarfs every other term."""

from __future__ import annotations

import pytest

from cimsim import simulate
from cimsim.workload import load_workload, save_workload
from conftest import ROUND_ARCH, make_arch, run_readme_block

pytestmark = pytest.mark.torch

torch = pytest.importorskip("torch")
nn = torch.nn


def _merged(tmp_path, model, x):
    from cimsim.workload.trace import trace

    paths = []
    for i in range(2):
        p = tmp_path / f"model{i}.json"
        save_workload(trace(model.eval(), (x,)), p)
        paths.append(str(p))
    merge = run_readme_block("The function below is what the merge did before the command")["merge"]
    merge(paths, str(tmp_path / "merged.json"), "two")
    return load_workload(tmp_path / "merged.json")


def _slow_dispatch():
    return make_arch(processor={**ROUND_ARCH["processor"], "op_overhead": "1 s"})


def test_two_traced_cnns_merged_by_the_readme_keep_their_dispatches(tmp_path):
    torch.manual_seed(0)
    m = nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 4, 3, padding=1, bias=False),
                      nn.Flatten(), nn.Linear(4 * 4 * 4, 2, bias=False))
    w = _merged(tmp_path, m, torch.randn(1, 2, 4, 4))
    r = simulate(_slow_dispatch(), w)
    assert r.latency_s == pytest.approx(2 * 4 * 1.0, rel=1e-5, abs=0)  # 2 x 4 torch calls
    launches = {op.tags["launch"] for op in w.ops if "launch" in op.tags}
    assert len(launches) == 2 * 2 and all(v.startswith(("m0.", "m1.")) for v in launches)


def test_two_traced_mlps_merged_by_the_readme_keep_their_dispatches(tmp_path):
    torch.manual_seed(0)
    m = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 4))
    r = simulate(_slow_dispatch(), _merged(tmp_path, m, torch.randn(1, 8)))
    assert r.latency_s == pytest.approx(2 * 5 * 1.0, rel=1e-5, abs=0)  # 2 x (3 linear + 2 relu)
