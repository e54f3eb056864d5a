"""Data-dependent control flow (find-R): a trace is the path the example input took, and says so.

An early-exit model (blocks Linear(64, 64) + ReLU, after each a head Linear(64, 10), exit when
the head's top softmax probability exceeds t) traced with t = -1 exits after block 0 (any
probability is > -1) and with t = 2 runs all 6 blocks (no probability is > 2): closed form
(k + 1) x (64 x 64 + 64 x 10) = (k + 1) x 4,736 MACs, and one ``if`` value read per block run.
"""

from __future__ import annotations

import json
from textwrap import dedent

import pytest
from click.testing import CliRunner

from cimsim.cli import main

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch")

MODELS = dedent('''
    import torch
    from torch import nn
    import torch.nn.functional as F

    class EarlyExit(nn.Module):
        def __init__(self, t):
            super().__init__()
            self.blocks = nn.ModuleList([nn.Linear(64, 64) for _ in range(6)])
            self.heads = nn.ModuleList([nn.Linear(64, 10) for _ in range(6)])
            self.t = t

        def forward(self, x):
            for b, h in zip(self.blocks, self.heads):
                x = F.relu(b(x))
                logits = h(x)
                if logits.softmax(-1).max() > self.t:
                    return logits
            return logits

    def early_exit(t=0.5, meta=False):
        torch.manual_seed(0)
        dev = "meta" if meta else "cpu"
        return EarlyExit(float(t)).to(dev).eval(), (torch.randn(1, 64, device=dev),)

    class Plain(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(64, 64)

        def forward(self, x):
            return self.a(x)

    def plain():
        return Plain().eval(), (torch.randn(1, 64),)

    class Cond(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = nn.Linear(64, 64), nn.Linear(64, 64)

        def forward(self, x):
            return torch.cond(x.sum() > 0, lambda x: self.a(x), lambda x: self.b(x), (x,))

    def cond():
        return Cond().eval(), (torch.ones(1, 64),)

    class Loop(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(64, 64)

        def forward(self, x):
            from torch._higher_order_ops.while_loop import while_loop
            return while_loop(lambda i, x: i < 5, lambda i, x: (i + 1, self.a(x)),
                              (torch.tensor(0), x))[1]

    def loop():
        return Loop().eval(), (torch.ones(1, 64),)

    class Flex(nn.Module):
        def forward(self, q, k, v):
            from torch.nn.attention.flex_attention import flex_attention
            return flex_attention(q, k, v)

    def flex():
        q = torch.randn(1, 2, 16, 8)
        return Flex(), (q, q.clone(), q.clone())

    class IsIn(nn.Module):
        def forward(self, x, s):
            return torch.isin(x, s)

    def isin():
        return IsIn(), (torch.arange(6), torch.tensor([1, 4, 9]))
''')


@pytest.fixture
def models(tmp_path):
    src = tmp_path / "dyn.py"
    src.write_text(MODELS)
    return src


def _trace(tmp_path, spec, *args):
    out = tmp_path / "w.json"
    r = CliRunner().invoke(main, ["trace", spec, "-o", str(out), *args])
    return r, (json.loads(out.read_text()) if r.exit_code == 0 else None)


@pytest.mark.parametrize("t, blocks", [(-1, 1), (2, 6)])
def test_early_exit_value_reads_noted(tmp_path, models, t, blocks):
    r, w = _trace(tmp_path, f"{models}:early_exit", "--arg", f"t={t}")
    assert r.exit_code == 0, r.output
    assert sum(o.get("m", 0) * o.get("k", 0) * o.get("n", 0) for o in w["ops"]) == blocks * (64 * 64 + 64 * 10)
    reads = w["metadata"]["value_reads"]
    assert len(reads) == 1 and reads[0]["count"] == blocks  # one `if` per block run
    assert reads[0]["op"] == "aten._local_scalar_dense" and reads[0]["module"] == ""  # the root's own code
    assert reads[0]["where"] == f"{models}:17" and reads[0]["code"] == "if logits.softmax(-1).max() > self.t:"
    note = [ln for ln in r.output.splitlines() if "value read" in ln]
    assert note == [f"note: {blocks} value read(s) decided the control flow (e.g. `if logits.softmax(-1)"
                    f".max() > self.t:` at dyn.py:17{' x6' if blocks == 6 else ''}): the trace is the "
                    "path this example input took, and other inputs may run more or fewer ops; trace "
                    "each path (a factory argument: --arg) to compare (README 'Data-dependent control "
                    "flow'; metadata['value_reads'])"], r.output
    # and every run of the trace says it too
    run = CliRunner().invoke(main, ["run", "sram-cim", str(tmp_path / "w.json")])
    assert run.exit_code == 0, run.output
    assert f"{blocks} value read(s) decided the control flow" in run.output


def test_no_value_reads_no_note(tmp_path, models):
    r, w = _trace(tmp_path, f"{models}:plain")
    assert r.exit_code == 0, r.output
    assert "value_reads" not in w["metadata"] and "value read" not in r.output


@pytest.mark.parametrize("factory, name", [("cond", "cond"), ("loop", "while_loop")])
def test_higher_order_ops_refused_in_one_line(tmp_path, models, factory, name):
    r, _ = _trace(tmp_path, f"{models}:{factory}")
    assert r.exit_code == 1
    lines = [ln for ln in r.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in r.output, r.output
    assert lines[0].startswith(f"Error: torch.{name} (module '") and "dyn.py:" in lines[0]
    assert "is not supported by the tracer" in lines[0] and "--arg" in lines[0]
    assert "Recorder" not in lines[0] and " at 0x" not in lines[0]


def test_flex_attention_refused_by_the_name_it_is_called_by(tmp_path, models):
    r, _ = _trace(tmp_path, f"{models}:flex")
    assert r.exit_code == 1
    (line,) = [ln for ln in r.output.splitlines() if ln.startswith("Error")]
    assert line.startswith("Error: torch.nn.attention.flex_attention.flex_attention (module 'Flex', ")
    assert "scaled_dot_product_attention" in line and 'attn_implementation="sdpa"' in line
    assert "torch.flex_attention" not in line and "write it as plain torch code" not in line


def test_meta_value_read_error_is_not_about_routers(tmp_path, models):
    r, _ = _trace(tmp_path, f"{models}:early_exit", "--arg", "meta=true")
    assert r.exit_code == 1
    lines = [ln for ln in r.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: aten._local_scalar_dense (module 'EarlyExit', ")
    assert "reads a tensor's value into Python (an if / while / .item()" in lines[0]
    assert "router" not in lines[0] and "meta_nonzero_assume_all_nonzero" not in lines[0]


def test_isin_compares_each_element_with_each_test_element(tmp_path, models):
    r, w = _trace(tmp_path, f"{models}:isin")
    assert r.exit_code == 0, r.output
    (op,) = [o for o in w["ops"] if o["name"] == "isin"]
    assert op["kind"] == "elementwise" and op["fn"] == "where"
    assert op["ops_per_element"] * 6 == 6 * 3  # 6 elements x 3 test elements, one compare each


@pytest.mark.slow
def test_generate_of_a_tiny_gpt2_traces_without_unknown_ops(tmp_path):
    """``generate()`` (greedy, max_new_tokens=3) of a 2-layer GPT-2 (d 64, vocab 100) from its
    config with real weights, prompt of 4 tokens: the prefill, then 2 decode steps (the third
    token comes from the second step's logits). Per layer and token 64 x 192 + 64 x 64 + 2 x 64
    x 256 = 49,152 MACs; attention 2 x 64 x keys per query; the head 64 x 100 = 6,400 on the last
    position only: 2 (4 x 49,152 + 2 x 64 x 16) + 6,400 + 2 (2 x 49,152 + 128 (5 + 6)) + 2 x 6,400."""
    pytest.importorskip("transformers")
    src = tmp_path / "gen.py"
    src.write_text(dedent('''
        import torch
        from torch import nn

        class Gen(nn.Module):
            def __init__(self, lm):
                super().__init__()
                self.lm = lm

            def forward(self, ids):
                return self.lm.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=3,
                                        min_new_tokens=0, pad_token_id=0, do_sample=False)

        def gen():
            from transformers import GPT2Config, GPT2LMHeadModel
            torch.manual_seed(0)
            cfg = GPT2Config(n_layer=2, n_embd=64, n_head=2, vocab_size=100, n_positions=64,
                             bos_token_id=1, eos_token_id=2)
            return Gen(GPT2LMHeadModel(cfg).eval()), (torch.tensor([[5, 6, 7, 8]]),)
    '''))
    r, w = _trace(tmp_path, f"{src}:gen")
    assert r.exit_code == 0, r.output
    macs = sum(o.get("batch", 1) * o.get("m", 0) * o.get("k", 0) * o.get("n", 0) for o in w["ops"])
    assert macs == 2 * (4 * 49_152 + 2 * 64 * 16) + 6_400 + 2 * (2 * 49_152 + 128 * (5 + 6)) + 2 * 6_400
    assert not w["metadata"]["unknown_ops"] and any(o["name"].endswith("isin") for o in w["ops"])
    reads = w["metadata"]["value_reads"]  # the stop test of each step: noted, at the library's line
    assert reads and all(e["by"] == "transformers generate()" for e in reads)
    note = [ln for ln in r.output.splitlines() if "value read" in ln]
    assert len(note) == 1 and "transformers/generation/utils.py:" in note[0], r.output
    assert ", transformers generate()" in note[0] and "<unknown>" not in note[0]


def _library_reads(r, w, by, site, code):
    assert r.exit_code == 0, r.output
    assert "value read" not in r.output, r.output  # a library's mask / kernel check: not noted
    (read,) = w["metadata"]["value_reads"]  # ... yet recorded, with where it came from
    assert read["by"] == by and f"/{site}:" in read["site"], read
    assert read["code"] == code


def test_torch_causal_mask_check_is_recorded_not_noted(tmp_path):
    """nn.Transformer compares its mask with a causal one (``_detect_is_causal_mask``): a check
    that picks a kernel, not the work (README 'Data-dependent control flow')."""
    r, w = _trace(tmp_path, "--zoo=nn-transformer")
    _library_reads(r, w, "torch", "torch/nn/modules/transformer.py",
                   "make_causal = bool((mask == causal_comparison).all())")
    assert w["metadata"]["value_reads"][0]["module"] == "decoder"


@pytest.mark.slow
def test_hf_packed_sequence_check_is_recorded_not_noted(tmp_path):
    """transformers' packed-sequence test of a decoder with real weights (masking_utils
    ``find_packed_sequence_indices``) picks the mask, not the work: GPT-2 (1 layer, d 32, vocab
    100, 8 tokens) runs 8 (32 x 96 + 32 x 32 + 2 x 32 x 128) + 2 x 8 x 8 x 32 + 8 x 32 x 100 =
    128,000 MACs and prints no control-flow note. Its line is longer than 80 characters: cut, "…"."""
    pytest.importorskip("transformers")
    r, w = _trace(tmp_path, "--zoo=hf:gpt2", "--real-weights", "--param", "num_hidden_layers=1",
                  "--param", "n_embd=32", "--param", "n_head=2", "--param", "vocab_size=100",
                  "--param", "n_positions=64", "--param", "seq=8")
    (read,) = w["metadata"]["value_reads"]
    assert read["by"] == "transformers" and "/transformers/masking_utils.py:" in read["site"], read
    assert len(read["code"]) == 80 and read["code"].endswith("…")
    assert read["code"].startswith("if not is_tracing(packed_sequence_mask) and ")
    _library_reads(r, w, "transformers", "transformers/masking_utils.py", read["code"])
    assert sum(o.get("batch", 1) * o.get("m", 0) * o.get("k", 0) * o.get("n", 0) for o in w["ops"]) \
        == 8 * (32 * 96 + 32 * 32 + 2 * 32 * 128) + 2 * 8 * 8 * 32 + 8 * 32 * 100
