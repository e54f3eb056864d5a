"""A swept field of a component kept under its own key (``host: {type: processor}``, the
README's ``crossbars: {type: cim}``, a plug-in device under any key): its type is known only
from the config, so the sweep finds the field there (it used to refuse: "'host' is not a
section; allowed: ... or a component of type processor, ...").

Round numbers (conftest.ROUND_ARCH): 1 GHz x 8 fp32 MACs per core; a 256^3 fp32 matmul has
16,777,216 MACs, so its compute bound is 16,777,216 / (cores x 8e9) s.
"""

from __future__ import annotations

import copy

import pytest
import yaml

from cimsim.sweep import SweepSpecError, plan_sweep, sweep
from cimsim.workload import Op, Tensor, Workload, save_workload

from conftest import ROUND_ARCH


@pytest.fixture
def keyed(tmp_path):
    d = copy.deepcopy(ROUND_ARCH)
    d["host"] = {"type": "processor", **d.pop("processor")}
    cfg = tmp_path / "keyed.yaml"
    cfg.write_text(yaml.safe_dump(d, sort_keys=False))
    wl = Workload("mm", [Tensor("x", (256, 256), "fp32", "input"),
                         Tensor("w", (256, 256), "fp32", "weight"),
                         Tensor("y", (256, 256), "fp32", "activation")],
                  [Op("mm", "matmul", ("x", "w"), ("y",), m=256, k=256, n=256, weight="w")])
    path = tmp_path / "mm.json"
    save_workload(wl, path)
    return cfg, path


def test_a_component_under_its_own_key_is_swept(keyed):
    cfg, wl = keyed
    plan = plan_sweep([cfg], [wl], ["host.cores=2,4"])
    assert plan.specs[0].values == (2, 4) and plan.specs[0].field.kind == "int"
    df = sweep([cfg], [wl], ["host.cores=2,4"], engine="analytic", workers=1)
    assert df["error"].isna().all()
    got = dict(zip(df["host.cores"], df["bound_compute_s"]))
    assert got == pytest.approx({2: 16_777_216 / 16e9, 4: 16_777_216 / 32e9}, rel=1e-12, abs=0)


def test_a_key_no_config_has_is_still_refused_in_one_line(keyed):
    cfg, wl = keyed
    with pytest.raises(SweepSpecError, match=r"--param crossbars\.arrays: 'crossbars' is not a section"):
        plan_sweep([cfg], [wl], ["crossbars.arrays=4,8"])
