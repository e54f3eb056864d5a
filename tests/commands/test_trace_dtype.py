"""`cimsim trace --dtype` works on a plain trace, as the precision-mismatch note advises ("trace
with --dtype int8"): before, `cimsim trace --zoo vgg8 --dtype int8` was refused with "--dtype go
with --serve", so a CNN could only be traced at its parameters' fp32. An int8 trace runs on an
8-bit CIM without the mismatch note; a dtype cimsim does not model is one line."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from cimsim import load_architecture, simulate
from cimsim.bundled import resolve_config
from cimsim.cli import main
from cimsim.workload import load_workload

pytestmark = pytest.mark.torch


def test_plain_trace_takes_dtype(tmp_path):
    out = tmp_path / "vgg8.json"
    r = CliRunner().invoke(main, ["trace", "--zoo", "vgg8", "--dtype", "int8", "-o", str(out)])
    assert r.exit_code == 0, r.output
    w = load_workload(out)
    # VGG-8's weights, 1 B each: convs 3x3x(3x128 + 128x128 + 128x256 + 256x256 + 256x512 +
    # 512x512) = 4,574,592, fc 8192x1024 + 1024x10 = 8,398,848: 12,973,440 (no biases)
    assert w.weight_bytes == 12_973_440
    assert set(str(d) for d in w.arrays.dtype) == {"int8"}
    res = simulate(load_architecture(resolve_config("rram-cim-derived")), w, engine="analytic")
    assert not res.precision_mismatch


def test_unknown_dtype_is_one_line_and_serving_options_still_need_serve(tmp_path):
    r = CliRunner().invoke(main, ["trace", "--zoo", "vgg8", "--dtype", "int4", "-o",
                                  str(tmp_path / "x.json")])
    assert r.exit_code != 0 and "dtype 'int4' is not one of" in r.output
    assert "Traceback" not in r.output
    r = CliRunner().invoke(main, ["trace", "--zoo", "vgg8", "--prompt", "4", "-o",
                                  str(tmp_path / "x.json")])
    assert r.exit_code != 0 and "--prompt goes with --serve" in r.output
