"""`cimsim run CONFIG MODEL --accuracy`: accuracy columns beside latency and energy."""

from __future__ import annotations

import json
import textwrap

import pytest
from click.testing import CliRunner

torch = pytest.importorskip("torch")

from cimsim.cli import main  # noqa: E402
from cimsim.report import columns as C  # noqa: E402

from conftest import LABELLED_LINEAR, fresh_cache  # noqa: E402

pytestmark = pytest.mark.torch


@pytest.fixture(scope="module", autouse=True)
def cache(tmp_path_factory):
    with fresh_cache(tmp_path_factory.mktemp("cimsim-cache")):
        yield


def _run(*args):
    res = CliRunner().invoke(main, ["run", *args])
    return res.exit_code, res.output


def _json(*args) -> dict:
    code, out = _run(*args, "--json")
    assert code == 0, out
    return json.loads(out)


@pytest.fixture(scope="module")
def user_model(tmp_path_factory):
    """A FILE.py with a linear model and a data set labelled by the model's own arg-max, so
    its fp32 top-1 is 1 by construction."""
    d = tmp_path_factory.mktemp("user")
    f = d / "tiny.py"
    f.write_text(LABELLED_LINEAR + textwrap.dedent("""
        def unlabelled():
            return dataset()[0], None

        def fractional_labels():
            return dataset()[0], torch.rand(200)

        def float_class_labels():
            x, y = dataset()
            return x, y.float()

        def broken():
            raise ValueError("the data is not there")

        def wrong_width():
            return torch.randn(10, 12), torch.zeros(10, dtype=torch.long)

        class _Pair(torch.nn.Module):  # (logits, aux), as many models return
            def __init__(self):
                super().__init__()
                self.m = _model()

            def forward(self, x):
                return self.m(x), x.sum()

        def pair_factory():
            return _Pair().eval(), torch.zeros(1, 20)

        class _Scalar(torch.nn.Module):  # one number per sample: no classes
            def __init__(self):
                super().__init__()
                self.m = torch.nn.Linear(20, 1)

            def forward(self, x):
                return self.m(x).squeeze(-1)

        def scalar_factory():
            return _Scalar().eval(), torch.zeros(1, 20)

        def int_inputs():
            return torch.ones(4, 20, dtype=torch.long), None

        def seq_outputs():  # (6, 3, 20) inputs: the Linear layers give (6, 3, 5)
            return torch.randn(6, 3, 20), torch.zeros(6, dtype=torch.long)

        def label_past_classes():
            return torch.randn(4, 20), torch.tensor([0, 1, 5, 2])

        def labels_2d():
            return torch.randn(5, 20), torch.zeros(5, 2, dtype=torch.long)

        def empty():
            return torch.zeros(0, 20), torch.zeros(0, dtype=torch.long)

        def nan_inputs():
            x = torch.randn(4, 20)
            x[2, 3] = float("nan")
            return x, None

        def function_factory():  # a function of the inputs, as cimsim trace takes one
            net = _model().eval()
            return (lambda x: net(x)), torch.zeros(1, 20)
    """))
    return str(f)


def test_user_model_lossless_adc_agrees_with_fp32(user_model):
    # rram-cim: 128 rows, 1-bit DAC, 2-bit cells: 128 * 1 * 3 = 384 -> 9 ADC bits are lossless
    out = _json("rram-cim", f"{user_model}:factory", "--accuracy", "--dataset",
                f"{user_model}:dataset", "--set", "cim.adc.bits=9")
    for col in C.ACCURACY_COLUMNS:
        assert col in out, col
    assert out[C.LATENCY] > 0 and out[C.ENERGY] > 0 and out[C.MACS] == 20 * 16 + 16 * 5
    assert out[C.ACCURACY_TOP1_REFERENCE] == 1.0          # labels are fp32's own arg-max
    assert out[C.AGREEMENT] == out[C.ACCURACY_TOP1]
    # 8-bit inputs and weights, nothing rounded after: the quantisation SNR of two 8-bit
    # quantisers is ~ 6.02 * 8 - a few dB of crest factor: far above 25 dB, below exact
    assert 25 < out[C.OUTPUT_SNR_DB] < 70
    assert out[C.AGREEMENT] >= 0.95 and out[C.OUTPUT_KL] < 1e-2
    assert out[C.ACCURACY_BASIS].startswith("cim emulated")
    # ideal devices: every chip the same chip, so the calibration columns spread by 0 (review19-B 8:
    # before 2026-12-06 --json had no _std of them)
    assert out[C.OUTPUT_NLL_STD] == out[C.OUTPUT_BRIER_STD] == out[C.OUTPUT_ECE_STD] == 0.0


def test_a_function_factory_is_scored_as_its_module(user_model):
    """review19-B 8: a factory returning a function (cimsim run traces it) was refused by
    --accuracy with 'the factory must return (model, example_inputs)'; it scores as the module
    it calls: the same labels (fp32's own arg-max) give the fp32 top-1 of 1."""
    out = _json("rram-cim", f"{user_model}:function_factory", "--accuracy", "--dataset",
                f"{user_model}:dataset", "--set", "cim.adc.bits=9")
    assert out[C.ACCURACY_TOP1_REFERENCE] == 1.0 and out[C.AGREEMENT] >= 0.95
    assert out[C.ACCURACY_BASIS].startswith("cim emulated")
    assert "train mode" not in out[C.ACCURACY_BASIS]  # the wrapper in eval, as the net it calls


def test_the_cost_half_is_traced_at_the_cims_precision(user_model):
    """find-V #2: a CIM of at most 8-bit weights and inputs computes the model at 8 bits or
    fewer, so the cost half is an int8 trace: 20x16 + 16 + 16x5 + 5 = 421 parameters at 1 B (not
    4 B, 1,684 B), and no precision mismatch note advising an option `run` lacks. A 16-bit CIM
    (no integer dtype holds it) and a CIM-less machine keep the model's fp32."""
    args = (f"{user_model}:factory", "--accuracy", "--dataset", f"{user_model}:dataset")
    params = 20 * 16 + 16 + 16 * 5 + 5
    for over, nbytes, mismatch in (((), params, False),
                                    (("--set", "cim.weight_bits=4"), params, True),
                                    (("--set", "cim.weight_bits=16", "--set", "cim.input_bits=16"),
                                     4 * params, True)):
        out = _json("rram-cim", *args, *over)
        assert out[C.WEIGHT_BYTES] == nbytes and out["precision_mismatch"] is mismatch, over
        assert not any("--dtype int8, or set" in n for n in out["notes"]), out["notes"]
    assert _json("cpu-ddr5", *args)[C.WEIGHT_BYTES] == 4 * params


def test_fewer_adc_bits_lose_snr(user_model):
    args = ("rram-cim", f"{user_model}:factory", "--accuracy", "--dataset", f"{user_model}:dataset")
    snr = [_json(*args, "--set", f"cim.adc.bits={b}")[C.OUTPUT_SNR_DB] for b in (4, 9)]
    assert snr[0] < snr[1] - 10


def test_without_labels_top1_is_null(user_model):
    out = _json("rram-cim", f"{user_model}:factory", "--accuracy", "--dataset",
                f"{user_model}:unlabelled")
    assert out[C.ACCURACY_TOP1] is None and out[C.ACCURACY_TOP1_REFERENCE] is None
    assert 0 <= out[C.AGREEMENT] <= 1 and out[C.OUTPUT_SNR_DB] is not None


def test_no_cim_is_the_fp32_reference(user_model):
    out = _json("cpu-ddr5", f"{user_model}:factory", "--accuracy", "--dataset",
                f"{user_model}:dataset")
    assert out[C.ACCURACY_TOP1] == out[C.ACCURACY_TOP1_REFERENCE] == 1.0
    assert out[C.AGREEMENT] == 1.0 and out[C.OUTPUT_SNR_DB] is None and out[C.OUTPUT_KL] == 0
    assert out[C.ACCURACY_BASIS].startswith("fp32 reference")
    assert out[C.OUTPUT_NLL] == out[C.OUTPUT_NLL_REFERENCE] and out[C.OUTPUT_NLL_STD] == 0.0


@pytest.mark.parametrize("args, says", [
    (("rram-cim", "no-such-model", "--accuracy"), "unknown evaluation model 'no-such-model'"),
    (("rram-cim", "x.py:factory", "--accuracy"), "needs --dataset"),
    (("rram-cim", "lstm", "--dataset", "x.py:d"), "--dataset goes with --accuracy"),
])
def test_bad_accuracy_command_lines_are_one_line(args, says):
    code, out = _run(*args)
    assert code != 0 and says in out and len(out.strip().splitlines()) == 1, out


def test_a_user_function_that_raises_is_one_line_naming_where(user_model):
    """The data set (or factory) raising is one line with the exception and its line, no
    traceback."""
    from pathlib import Path

    lines = Path(user_model).read_text().splitlines()
    at = 1 + next(i for i, l in enumerate(lines) if "raise ValueError" in l)
    res = CliRunner().invoke(main, ["run", "rram-cim", f"{user_model}:factory", "--accuracy",
                                    "--dataset", f"{user_model}:broken"])
    assert res.exit_code == 1 and isinstance(res.exception, SystemExit), res.exception
    out = res.output.strip()
    assert len(out.splitlines()) == 1 and "Traceback" not in out
    assert (f"--dataset '{user_model}:broken': calling it failed: ValueError: the data is not there "
            f"(at {user_model}:{at})") in out


def test_a_data_set_the_model_cannot_run_is_named_with_its_shape(user_model):
    """The trace is the data set's first sample's forward pass: inputs of the wrong width are
    one line naming the data set and both shapes (it said "running Sequential on the example
    inputs failed", naming neither the data set nor the shape)."""
    code, out = _run("rram-cim", f"{user_model}:factory", "--accuracy", "--dataset",
                     f"{user_model}:wrong_width")
    assert code == 1 and len(out.strip().splitlines()) == 1 and "Traceback" not in out, out
    assert (f"--dataset '{user_model}:wrong_width': the model fails on its first input (shape "
            "[1, 12]; the factory's example inputs have shape [1, 20]): RuntimeError: ") in out


@pytest.mark.parametrize("fn, says", [
    ("seq_outputs", "the model's output for one input has shape [1, 3, 5], its classes along "
                    "the last axis (a sequence model's (N, T, C) scores), so labels hold one "
                    "class per position, shape [6, 3]; got shape [6]"),
    ("label_past_classes", "label 5 (input 2) is not a class of the model's 5 outputs; labels are 0 .. 4"),
    ("labels_2d", "labels must be one class index per input (1-D), got shape [5, 2]"),
    ("empty", "has no samples (its inputs have shape [0, 20])"),
    ("nan_inputs", "input 2 holds a value that is not finite (NaN or inf), which no arithmetic scores"),
])
def test_a_data_set_top1_cannot_score_is_one_line(user_model, fn, says):
    """A (6, 3, 5) output against 6 labels ended in a torch traceback, and a (N, 1, C) one
    broadcast its arg-max against every label (top-1 0.5 where it is 1.0); a label past the
    classes counted as wrong; 2-D labels, an empty set and NaN inputs ("exact") got far."""
    code, out = _run("rram-cim", f"{user_model}:factory", "--accuracy", "--dataset", f"{user_model}:{fn}")
    assert code == 1 and len(out.strip().splitlines()) == 1 and "Traceback" not in out, out
    assert f"--dataset '{user_model}:{fn}': {says}" in out, out


def test_outputs_without_classes_and_inputs_of_another_dtype_are_one_line(user_model):
    """A (N,) output gave agreement 1.0 and a KL over the samples (its softmax ran across them);
    integer inputs were said to fail with the shapes [1, 20] and [1, 20], the same."""
    code, out = _run("rram-cim", f"{user_model}:scalar_factory", "--accuracy", "--dataset",
                     f"{user_model}:unlabelled")
    assert code == 1 and len(out.strip().splitlines()) == 1, out
    assert "the model's output for one input has shape [1]: agreement, SNR and KL compare class " \
           "scores (samples, classes)" in out
    code, out = _run("rram-cim", f"{user_model}:factory", "--accuracy", "--dataset",
                     f"{user_model}:int_inputs")
    assert code == 1 and len(out.strip().splitlines()) == 1, out
    assert "its dtype int64, the example's float32" in out, out


def test_a_model_returning_its_logits_in_a_tuple_still_scores(user_model):
    """The output check read a (logits, aux) tuple as "shape tuple" and refused it, though the
    scorer takes a tuple's first item (and a mapping's logits): labels are the fp32 arg-max."""
    out = _json("rram-cim", f"{user_model}:pair_factory", "--accuracy", "--dataset",
                f"{user_model}:dataset", "--set", "cim.adc.bits=9")
    assert out[C.ACCURACY_TOP1_REFERENCE] == 1.0


def test_fractional_labels_are_refused_whole_float_labels_are_classes(user_model):
    """Labels are class indices: 0.79 is refused in one line (never truncated to class 0 in
    silence); float labels holding whole numbers are those classes (top-1 1.0 as with ints)."""
    code, out = _run("rram-cim", f"{user_model}:factory", "--accuracy", "--dataset",
                     f"{user_model}:fractional_labels")
    assert code == 1 and len(out.strip().splitlines()) == 1, out
    assert "labels must be class indices (whole numbers, an int tensor), got float32" in out
    out = _json("cpu-ddr5", f"{user_model}:factory", "--accuracy", "--dataset",
                f"{user_model}:float_class_labels")
    assert out[C.ACCURACY_TOP1_REFERENCE] == 1.0


@pytest.mark.slow
def test_bundled_model_json_has_the_columns(bundled_model_cache):
    pytest.importorskip("sklearn")
    with fresh_cache(bundled_model_cache):  # digits-mlp trained once a session
        out = _json("rram-cim", "digits-mlp", "--accuracy", "--set", "cim.adc.bits=9")
    assert out["workload"] == "digits-mlp" and out[C.MACS] == 64 * 64 + 64 * 10
    assert out[C.AGREEMENT] == 1.0                       # lossless ADC, 8-bit operands
    assert out[C.ACCURACY_TOP1] == out[C.ACCURACY_TOP1_REFERENCE] > 0.9


def test_bundled_names_known_without_torch_match_the_models():
    from cimsim.accuracy import target
    from cimsim.accuracy.models import MODELS

    assert target.bundled_names_no_torch() == tuple(MODELS)


def test_nonideal_set_on_the_command_line_runs_monte_carlo_chips(user_model):
    args = ("rram-cim", f"{user_model}:factory", "--accuracy", "--dataset", f"{user_model}:dataset",
            "--set", "cim.adc.bits=9")
    ideal = _json(*args)
    noisy = _json(*args, "--set", "cim.nonideal.programming_sigma=0.05",
                  "--set", "cim.nonideal.repeats=3")
    assert ideal[C.ACCURACY_REPEATS] == 1 and noisy[C.ACCURACY_REPEATS] == 3
    assert noisy[C.OUTPUT_SNR_DB] < ideal[C.OUTPUT_SNR_DB] - 3   # 5 % of the cell range per cell
    assert noisy[C.OUTPUT_SNR_DB_STD] > 0 and "3 chip(s)" in noisy[C.ACCURACY_BASIS]
    # the cost does not see the block
    assert noisy[C.ENERGY] == ideal[C.ENERGY] and noisy[C.LATENCY] == ideal[C.LATENCY]


def test_a_systolic_arrays_int8_is_the_lossless_cims_arithmetic(user_model):
    """tpu-like computes 8b x 8b digitally: exact integer products of the quantised operands,
    which is what rram-cim gives at its lossless 9-bit ADC (same quantisers): equal outputs."""
    args = (f"{user_model}:factory", "--accuracy", "--dataset", f"{user_model}:dataset")
    tpu = _json("tpu-like", *args)
    cim = _json("rram-cim", *args, "--set", "cim.adc.bits=9")
    assert tpu[C.ACCURACY_BASIS].startswith("tpu: digital 8b inputs x 8b weights")
    for col in (C.OUTPUT_SNR_DB, C.OUTPUT_KL, C.AGREEMENT, C.ACCURACY_TOP1):
        assert tpu[col] == cim[col], col


_COUNTING = ("--set", "cim.adc.counting.max_bits_per_phase=4", "--set",
             "cim.adc.counting.phase_latency=1ns", "--set", "cim.adc.counting.integrate_energy=1fJ",
             "--set", "cim.adc.counting.sample_energy=1fJ")


@pytest.mark.parametrize("sets, says", [
    # an integrate-and-count readout converts a column's whole sum: not this emulator's ADC
    (_COUNTING, "--accuracy: cim.adc.counting (integrate-and-count readout) is not emulated"),
    # the config accepts them; the emulator's signed quantisers need 2 bits
    (("--set", "cim.weight_bits=1", "--set", "cim.bits_per_cell=1"),
     "--accuracy: cim: cannot emulate its arithmetic: weight_bits must be >= 2"),
    (("--set", "cim.signed_inputs=true", "--set", "cim.input_bits=1"),
     "--accuracy: cim: cannot emulate its arithmetic: signed inputs need input_bits >= 2"),
])
def test_an_arithmetic_the_emulator_cannot_score_is_one_line(user_model, sets, says):
    code, out = _run("rram-cim", f"{user_model}:factory", "--accuracy", "--dataset",
                     f"{user_model}:dataset", *sets)
    assert code != 0 and says in out and len(out.strip().splitlines()) == 1, out
    assert "Traceback" not in out
    code, out = _run("rram-cim", "lstm", *sets)   # the same config still runs for its cost
    assert code == 0, out


def test_counting_is_refused_by_the_python_api_and_sweeps(user_model):
    from cimsim import bundled, load_architecture
    from cimsim.accuracy import Arith
    from cimsim.accuracy.arith import NotEmulated
    from cimsim.accuracy.run import evaluate
    from cimsim.sweep import sweep

    sets = dict(s.split("=", 1) for s in _COUNTING[1::2])
    path = next(p for p in bundled.config_paths() if p.stem == "rram-cim")
    cim = load_architecture(path, sets, cli=True).components["cim"]
    with pytest.raises(NotEmulated, match=r"cim.adc.counting .* is not emulated"):
        Arith.from_cim(cim)
    model = torch.nn.Linear(4, 2)
    with pytest.raises(NotEmulated, match="is not emulated"):
        evaluate(model, torch.ones(3, 4), cim=cim)
    df = sweep("rram-cim", f"{user_model}:factory", [f"{k}={v}" for k, v in sets.items()],
               workers=1, accuracy=True, dataset=f"{user_model}:dataset")
    assert df[C.ERROR].str.contains("--accuracy: cim.adc.counting").all(), df[C.ERROR].tolist()


def test_the_trace_cache_is_keyed_by_the_data_not_its_file_name(tmp_path):
    """A data set whose values change (here: the file it reads) is traced again: its data
    statistics (input_ones) are of the new data, not the cached old file's."""
    from cimsim.accuracy.target import load_target, workload_file
    from cimsim.workload.io import load_workload

    (tmp_path / "m.py").write_text(textwrap.dedent("""
        import pathlib, torch

        def factory():
            torch.manual_seed(0)
            return torch.nn.Linear(4, 3).eval(), torch.zeros(1, 4)

        def data():
            v = float((pathlib.Path(__file__).parent / "value.txt").read_text())
            return torch.full((8, 4), v), None
    """))
    spec, ds = f"{tmp_path / 'm.py'}:factory", f"{tmp_path / 'm.py'}:data"
    ones = []
    for v in ("1.0", "0.0"):   # every input 1.0 (code 255: all 8 planes ones), then 0.0 (none)
        (tmp_path / "value.txt").write_text(v)
        t = load_target(spec, ds)
        wl = load_workload(workload_file(t, (8, 8)))
        ones.append((t.key, [o.tags["input_ones"] for o in wl.ops if o.kind == "matmul"]))
    assert ones[0][0] != ones[1][0]
    assert ones[0][1] == [1.0] and ones[1][1] == [0.0]


def test_a_model_with_non_tensor_extra_state_loads_with_a_dataset(tmp_path):
    """`nn.Module.get_extra_state` puts any object in `state_dict()`: the trace cache's key
    hashed every entry as a tensor and `--accuracy --dataset` ended in a traceback (a reviewer)."""
    from cimsim.accuracy.target import load_target

    m = tmp_path / "m.py"
    m.write_text(
        "import torch\n"
        "class Net(torch.nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__(); self.fc = torch.nn.Linear(4, 3); self.tag = {'classes': 3}\n"
        "    def get_extra_state(self): return self.tag\n"
        "    def set_extra_state(self, s): self.tag = s\n"
        "    def forward(self, x): return self.fc(x)\n"
        "def factory():\n"
        "    torch.manual_seed(0); return Net().eval(), torch.zeros(1, 4)\n"
        "def data():\n"
        "    torch.manual_seed(1); return torch.rand(8, 4), torch.randint(0, 3, (8,))\n")
    a = load_target(f"{m}:factory", f"{m}:data")
    b = load_target(f"{m}:factory", f"{m}:data")
    assert a.key == b.key  # the same model and data: the same cached trace


def test_the_cache_key_hashes_extra_state_by_its_content():
    """A repr abbreviates a 2000-element tensor (two states differing in one element had one
    key) and names a plain object's address (equal objects had two keys): a reviewer."""
    import hashlib

    import torch

    from cimsim.accuracy.target import _hash_tensor

    def key(v):
        h = hashlib.sha256()
        _hash_tensor(torch, h, v)
        return h.hexdigest()

    a, b = torch.zeros(2000), torch.zeros(2000)
    b[1000] = 1.0
    assert key({"lut": a}) != key({"lut": b})
    assert key({"cfg": _Plain(3)}) == key({"cfg": _Plain(3)})


class _Plain:
    def __init__(self, n):
        self.n = n


@pytest.mark.slow
def test_a_digital_cell_sums_exactly_at_any_output_width_that_holds_the_sum(bundled_model_cache):
    """sram_digital has no converter (0 J of conversions), yet a 3-bit `adc.bits` was emulated
    as a lossy ADC: 4.4 % top-1 against 98.1 % at 8 bits, with 4 bits 'lost' (a tester). Its
    adders sum exactly: the same accuracy at 9 bits (a 256-row sum's exact width; below it the
    width is refused, tests/hw/test_digital_cell.py) and 12, 0 bits lost, and a basis that says
    so; the basis names the slices and cells too (two rows of a bits-per-cell sweep read alike)."""
    import json

    from click.testing import CliRunner

    from cimsim.cli import main

    got = {}
    for b in (9, 12):
        with fresh_cache(bundled_model_cache):  # digits-cnn trained once a session
            r = CliRunner().invoke(main, ["run", "sram-cim-derived", "digits-cnn", "--accuracy",
                                          "--json", "--set", "cim.cell.type=sram_digital",
                                          "--set", "cim.adc.type=null", "--set", "cim.rows_per_read=null",
                                          "--set", f"cim.adc.bits={b}"])
        assert r.exit_code == 0, r.output
        got[b] = json.loads(r.output)
    assert got[9][C.ACCURACY_TOP1] == got[12][C.ACCURACY_TOP1]
    assert got[9]["cim_adc_bits_lost"] == 0
    assert "digital column sums (exact)" in got[9][C.ACCURACY_BASIS]
    assert "in 1-bit slices" in got[9][C.ACCURACY_BASIS] and "in 1-bit cells" in got[9][C.ACCURACY_BASIS]
