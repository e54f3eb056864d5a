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


def test_a_float64_model_names_the_option_that_traces_it(tmp_path):
    """The message said "pass dtype=", the Python keyword, on the command line too."""
    f = tmp_path / "dbl.py"
    f.write_text("import torch\n\ndef dbl():\n    return torch.nn.Linear(8, 4).double(), "
                 "(torch.zeros(1, 8, dtype=torch.float64),)\n")
    r = CliRunner().invoke(main, ["trace", f"{f}:dbl", "-o", str(tmp_path / "x.json")])
    assert r.exit_code == 1 and len(r.output.strip().splitlines()) == 1, r.output
    assert "the model's parameters are float64, which cimsim does not model; trace it as one of " \
           "fp32, fp16, bf16, int8 (`cimsim trace --dtype fp32`; trace(..., dtype='fp32') in Python)" \
        in r.output
    r = CliRunner().invoke(main, ["trace", f"{f}:dbl", "--dtype", "fp32", "-o", str(tmp_path / "x.json")])
    assert r.exit_code == 0, r.output


def test_an_fp8_model_is_told_to_cast_not_to_pass_dtype(tmp_path):
    """find-V #7: torch runs no float8 model on the CPU, so `--dtype fp32` (the old advice) failed
    in the forward; the message says to cast in the factory, and that cast model traces."""
    torch = pytest.importorskip("torch")
    if not hasattr(torch, "float8_e4m3fn"):
        pytest.skip("this torch has no float8")
    f = tmp_path / "f8.py"
    f.write_text("import torch\n\ndef _m():\n    torch.manual_seed(0)\n"
                 "    return torch.nn.Sequential(torch.nn.Linear(8, 4), torch.nn.ReLU())\n\n"
                 "def fp8():\n    return _m().to(torch.float8_e4m3fn), (torch.zeros(1, 8),)\n\n"
                 "def cast():\n    return _m().to(torch.float8_e4m3fn).float(), (torch.zeros(1, 8),)\n")
    for extra in ((), ("--dtype", "fp32")):
        r = CliRunner().invoke(main, ["trace", f"{f}:fp8", *extra, "-o", str(tmp_path / "x.json")])
        assert r.exit_code == 1 and len(r.output.strip().splitlines()) == 1, r.output
        assert ("the model's tensors are float8_e4m3fn, which cimsim does not model and torch "
                "does not run on the CPU") in r.output and "model.bfloat16()" in r.output, r.output
        assert "--dtype int8" not in r.output  # it would count bf16 activations at 1 B
        assert "--dtype fp32`" not in r.output
    r = CliRunner().invoke(main, ["trace", f"{f}:cast", "--dtype", "int8", "-o", str(tmp_path / "x.json")])
    assert r.exit_code == 0, r.output
    assert load_workload(tmp_path / "x.json").weight_bytes == 8 * 4 + 4  # 36 values at 1 B


def test_a_model_holding_float8_that_fails_otherwise_is_not_blamed_on_float8():
    """Review 16-8: any failure of a model holding a float8 tensor was blamed on float8 (a plain
    shape mismatch too); only a failure naming float8 is."""
    torch = pytest.importorskip("torch")
    from cimsim.errors import WorkloadError
    from cimsim.workload.trace import trace

    class M(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("w", torch.zeros(4, 8).to(torch.float8_e4m3fn))

        def forward(self, x):
            return x @ self.w.to(torch.bfloat16)  # 1 x 5 @ 4 x 8: a shape error, not float8's

    with pytest.raises(WorkloadError) as e:
        trace(M(), (torch.zeros(1, 5, dtype=torch.bfloat16),))
    assert "float8" not in str(e.value).split("(")[0] and "cannot be multiplied" in str(e.value)


def test_a_model_file_imports_the_modules_beside_it(tmp_path):
    """As `python path/to/m.py` would: `from models import make` in m.py finds models.py in
    m.py's folder (it was "ModuleNotFoundError: No module named 'models'")."""
    d = tmp_path / "proj"
    d.mkdir()
    (d / "models_beside.py").write_text("import torch\n\ndef make():\n    return torch.nn.Linear(8, 4)\n")
    (d / "m.py").write_text("import torch\nfrom models_beside import make\n\n"
                            "def factory():\n    return make(), (torch.zeros(1, 8),)\n")
    r = CliRunner().invoke(main, ["trace", f"{d / 'm.py'}:factory", "-o", str(tmp_path / "x.json")])
    assert r.exit_code == 0, r.output
    assert load_workload(tmp_path / "x.json").macs == 8 * 4


def test_trace_help_states_the_dtype_default_it_applies(tmp_path):
    """`cimsim trace --help` showed `[default: fp16]` (the serving options' default) while a
    plain trace keeps the model's own dtypes; `cimsim workload llm` keeps fp16."""
    r = CliRunner().invoke(main, ["trace", "--help"], terminal_width=200)
    dtype_help = r.output[r.output.index("--dtype"):r.output.index("--stats ")]
    assert "[default: fp16]" not in dtype_help
    assert "Default: fp16 with --serve; without it, each tensor keeps its own" in \
        " ".join(dtype_help.split())
    r = CliRunner().invoke(main, ["workload", "llm", "--help"], terminal_width=200)
    assert "[default: fp16]" in r.output[r.output.index("--dtype"):]
    # and --serve without --dtype still traces at fp16 (a fp32 zoo model)
    out = tmp_path / "s.json"
    r = CliRunner().invoke(main, ["trace", "--zoo", "llama", "--serve", "--prompt", "4",
                                  "--decode", "1", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert {t.dtype for t in load_workload(out).tensors.values()} == {"fp16"}
