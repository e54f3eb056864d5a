"""A retrieval database on PIM (find-V, session 17).

1. A database passed to ``forward(q, db)`` was an activation, and PIM with ``claims:
   [kv_cache]`` silently took 0 of 1 matmul, while the same model with the argument named
   ``cache`` ran on the PIM: the argument's name decided residency unsaid. Now the run says
   why the matmul stays on the host and how to mark the input, and ``cimsim trace --resident
   db`` (``metadata.resident_inputs``) makes it resident under any name, checked.
2. hbm-pim (fp16 units) streamed an int8 database at 2 B an element (pim_banks N x d x 2) while
   the footprint counted N x d x 1: the units hold it at their own format, so now the
   footprint and the capacity check count N x d x 2 too and a note says it in bytes (a serving
   run's and a pipeline stage's widening: tests/mapping/test_pim_held_format.py).
3. Review 17-5: a database read through a scaled copy is named too; ``cimsim.trace(...,
   resident=[...])`` marks it from Python, and a mark made after a run takes effect.

Closed forms: N = 1000 vectors of d = 64, one query; the database is N x d x (1 or 2) bytes.
"""

from __future__ import annotations

import json

import pytest

torch = pytest.importorskip("torch")

import cimsim  # noqa: E402
from cimsim.cli import main  # noqa: E402
from cimsim.errors import MappingError, WorkloadError  # noqa: E402
from cimsim.workload.resident import mark_resident  # noqa: E402

pytestmark = pytest.mark.torch
N, D, K = 1000, 64, 4
PIM = {"pim.claims": ["weights", "kv_cache"]}


class Search(torch.nn.Module):
    def forward(self, q, db):  # FAISS-style search(q, xb): the database is an argument
        return torch.topk(q @ db.t(), K, dim=-1)


class Held(torch.nn.Module):
    def __init__(self, dtype):
        super().__init__()
        self.register_buffer("db", torch.ones(N, D, dtype=dtype))

    def forward(self, q):
        return torch.topk(q @ self.db.t(), K, dim=-1)


def _search(dtype=torch.float16):
    return cimsim.trace(Search(), (torch.ones(1, D, dtype=dtype), torch.ones(N, D, dtype=dtype)),
                        name="search")


def _on_pim(r) -> int:
    return sum(1 for u in r.op_table["unit"] if u == "pim")


def test_an_unmarked_database_stays_on_the_host_and_the_run_says_why():
    r = cimsim.simulate(cimsim.load_architecture("hbm-pim", PIM), _search())
    assert _on_pim(r) == 0
    assert r.footprint["footprint_kv_cache_bytes"] == 0
    note = [n for n in r.notes if "model input 'db'" in n]
    assert len(note) == 1
    assert f"({N * D * 2 / 1e3:g} kB)" in note[0]  # 128 kB: the fp16 database
    assert "--resident db" in note[0] and "activation" in note[0]


def test_without_the_kv_cache_claim_the_note_says_to_add_it():
    r = cimsim.simulate(cimsim.load_architecture("hbm-pim"), _search())
    note = [n for n in r.notes if "model input 'db'" in n]
    assert len(note) == 1 and "add kv_cache to pim.claims" in note[0]


def test_a_database_marked_resident_is_read_in_the_banks(tmp_path):
    w = _search()
    mark_resident(w, ["db"])
    path = tmp_path / "search.json"
    cimsim.save_workload(w, path)
    w = cimsim.load_workload(path)  # the mark travels in the file
    assert w.metadata["resident_inputs"] == ["db"]
    r = cimsim.simulate(cimsim.load_architecture("hbm-pim", PIM), w)
    assert _on_pim(r) == 1
    assert r.footprint["footprint_kv_cache_bytes"] == N * D * 2
    assert r.to_json()["pim_bank_bytes"] == N * D * 2
    assert not [n for n in r.notes if "model input 'db'" in n]


def test_a_resident_mark_that_names_no_input_is_refused(tmp_path):
    w = _search()
    with pytest.raises(WorkloadError, match="--resident xb: .* its inputs are q, db"):
        mark_resident(w, ["xb"])
    w.metadata["resident_inputs"] = ["xb"]  # a file edited by hand
    path = tmp_path / "bad.json"
    cimsim.save_workload(w, path)
    with pytest.raises(WorkloadError, match=r"metadata\.resident_inputs: 'xb' is no model input"):
        cimsim.simulate(cimsim.load_architecture("hbm-pim", PIM), cimsim.load_workload(path))


def test_trace_resident_on_the_command_line(tmp_path, capsys):
    spec = tmp_path / "vs.py"
    spec.write_text("import torch\n"
                    "class S(torch.nn.Module):\n"
                    "    def forward(self, q, db):\n"
                    "        return q @ db.t()\n"
                    f"def make():\n    return S(), (torch.ones(1, {D}), torch.ones({N}, {D}))\n")
    out = tmp_path / "s.json"
    with pytest.raises(SystemExit) as exc:
        main(["trace", f"{spec}:make", "--resident", "db", "-o", str(out)])
    assert exc.value.code == 0
    assert json.loads(out.read_text())["metadata"]["resident_inputs"] == ["db"]
    bad = tmp_path / "t.json"
    with pytest.raises(SystemExit) as exc:
        main(["trace", f"{spec}:make", "--resident", "xb", "-o", str(bad)])
    err = capsys.readouterr().err.strip().splitlines()
    assert exc.value.code != 0 and len(err) == 1 and "--resident xb" in err[0]
    assert not bad.exists()


def test_an_int8_database_is_held_at_the_units_fp16():
    w = cimsim.trace(Held(torch.int8), (torch.ones(1, D, dtype=torch.int8),), name="held")
    host = cimsim.simulate(cimsim.load_architecture("cpu-ddr5"), w)
    assert host.footprint["footprint_weight_bytes"] == N * D  # 1 B an element
    r = cimsim.simulate(cimsim.load_architecture("hbm-pim"), w)
    assert _on_pim(r) == 1
    assert r.to_json()["pim_bank_bytes"] == N * D * 2  # read at 2 B an element
    assert r.footprint["footprint_weight_bytes"] == N * D * 2  # and held so: the same bytes
    note = [n for n in r.notes if "computes in fp16 only" in n]
    assert len(note) == 1
    assert "holds the weights it reads in its banks as fp16, 2 B an element for int8's 1 B" in note[0]
    assert f"{N * 2 / 1e3:g} kB for the workload's {N / 1e3:g} kB" in note[0]  # the scores
    acts = r.footprint["footprint_activation_bytes"]
    assert r.footprint["footprint_bytes"] == N * D * 2 + acts
    held = [n for n in r.notes if n.startswith("the footprint counts")]
    assert len(held) == 1 and f"weights {N * D * 2 / 1e3:g} kB" in held[0]
    # the capacity check holds the widened bytes: room for N x d x 2 and the activations, not 1 B less
    def small(extra):
        return {"memory.dram.capacity": f"{N * D * 2 + acts + extra} B", "memory.sram.capacity": "16 kB"}
    assert _on_pim(cimsim.simulate(cimsim.load_architecture("hbm-pim", small(0)), w)) == 1
    with pytest.raises(MappingError) as e:
        cimsim.simulate(cimsim.load_architecture("hbm-pim", small(-1)), w)
    msg = str(e.value)
    assert f"needs {(N * D * 2 + acts) / 1e3:.6g} kB live at once" in msg and "own number format" in msg
    assert f"weights {N * D * 2 / 1e3:.6g} kB" in msg and f"{(N * D + acts) / 1e3:.6g} kB at the workload" in msg
    assert "\n" not in msg


def test_fp32_ops_on_fp16_units_keep_the_workloads_bytes():
    # a narrower format takes nothing off: the footprint stays N x d x 4 (an upper bound), no note
    w = cimsim.trace(Held(torch.float32), (torch.ones(1, D),), name="held32")
    r = cimsim.simulate(cimsim.load_architecture("hbm-pim"), w)
    assert _on_pim(r) == 1
    assert r.footprint["footprint_weight_bytes"] == N * D * 4
    assert not [n for n in r.notes if "fp16 only" in n or "own number format" in n]


class Scaled(torch.nn.Module):
    def forward(self, q, db):  # a normalised database: the matmul reads a scaled copy of it
        return q @ (db * 0.5).t()


def test_a_database_read_through_a_scaled_copy_is_named_and_can_be_marked():
    args = (torch.ones(1, D, dtype=torch.float16), torch.ones(N, D, dtype=torch.float16))
    r = cimsim.simulate(cimsim.load_architecture("hbm-pim", PIM), cimsim.trace(Scaled(), args))
    assert _on_pim(r) == 0
    note = [n for n in r.notes if "model input 'db'" in n]
    assert len(note) == 1 and f"({N * D * 2 / 1e3:g} kB)" in note[0] and "--resident db" in note[0]
    r = cimsim.simulate(cimsim.load_architecture("hbm-pim", PIM),
                        cimsim.trace(Scaled(), args, resident=["db"]))
    assert _on_pim(r) == 1 and r.footprint["footprint_kv_cache_bytes"] == N * D * 2


def test_trace_resident_and_a_mark_after_a_run_take_effect():
    arch = cimsim.load_architecture("hbm-pim", PIM)
    w = _search()
    assert _on_pim(cimsim.simulate(arch, w)) == 0  # its op columns and footprint are built now
    mark_resident(w, ["db"])
    r = cimsim.simulate(arch, w)
    assert _on_pim(r) == 1 and r.footprint["footprint_kv_cache_bytes"] == N * D * 2
    assert not [n for n in r.notes if "model input 'db'" in n]
    args = (torch.ones(1, D, dtype=torch.float16), torch.ones(N, D, dtype=torch.float16))
    w = cimsim.trace(Search(), args, resident=["db"])
    assert w.metadata["resident_inputs"] == ["db"] and _on_pim(cimsim.simulate(arch, w)) == 1
    with pytest.raises(WorkloadError, match="--resident xb: .* its inputs are q, db"):
        cimsim.trace(Search(), args, resident=["xb"])


class _LSTMStep(torch.nn.Module):
    """A recurrent policy's step: (h, c) carried by the caller, read by ``h @ W_hh`` (the A
    operand of a weight matmul) and the cell's pointwise op, never by a weightless matmul."""

    def __init__(self):
        super().__init__()
        self.cell = torch.nn.LSTMCell(8, 16)

    def forward(self, x, h, c):
        return self.cell(x, (h, c))


def test_resident_refuses_a_recurrent_state_it_could_not_keep(tmp_path):
    """find-R 1: --resident h on an LSTM state was accepted and changed nothing (the same
    latency to the digit, footprint KV cache 0). Now it is refused naming why; the workload
    is left unmarked, and a database in the same call is still marked."""
    m = _LSTMStep().eval()
    args = (torch.randn(1, 8), torch.randn(1, 16), torch.randn(1, 16))
    with pytest.raises(WorkloadError, match=r"^--resident h: no matmul without a weight reads 'h' "
                       r"as its second operand .*cell\.addmm.* \(T\(11\) - T\(1\)\) / 10"):
        cimsim.trace(m, args, resident=["h"])
    w = cimsim.trace(m, args)
    with pytest.raises(WorkloadError, match="--resident c:"):
        mark_resident(w, ["c"])
    assert "resident_inputs" not in w.metadata
    assert w.footprint.kv_cache == 0
    # the CLI: one line, non-zero, no traceback
    f = tmp_path / "pol.py"
    f.write_text("import torch\n"
                 "class P(torch.nn.Module):\n"
                 "    def __init__(self):\n"
                 "        super().__init__(); self.cell = torch.nn.GRUCell(8, 16)\n"
                 "    def forward(self, x, h):\n"
                 "        return self.cell(x, h)\n"
                 "def f():\n"
                 "    return P().eval(), (torch.randn(1, 8), torch.randn(1, 16))\n")
    from click.testing import CliRunner

    r = CliRunner().invoke(main, ["trace", f"{f}:f", "--resident", "h", "-o", str(tmp_path / "p.json")])
    assert r.exit_code != 0 and "Traceback" not in r.output
    assert "--resident h: no matmul without a weight reads 'h'" in r.output


class _CatDecode(torch.nn.Module):
    """A decode step over a KV cache appended with ``torch.cat`` (Hugging Face's legacy
    ``DynamicCache.update``): attention reads the grown copy, not the cache input."""

    def __init__(self):
        super().__init__()
        self.q, self.kv = torch.nn.Linear(D, D), torch.nn.Linear(D, 2 * D)

    def forward(self, x, keys, vals):
        q = self.q(x)
        k, v = self.kv(x).chunk(2, -1)
        return torch.softmax(q @ torch.cat([keys, k]).T / 8, -1) @ torch.cat([vals, v])


class _MvSearch(torch.nn.Module):
    def forward(self, q, db):  # the database as mv's first operand
        return torch.mv(db, q).topk(K).values


def test_resident_refusal_names_a_cat_appended_cache_and_a_first_operand():
    """Review 19 C 4: a KV cache appended with torch.cat and a database scored as mv(db, q)
    were refused with the recurrent-state text (an input 'sent every run', the loop recipe).
    Each refusal now names what stops it and the way that is held; the cache read in place
    (q @ K.T) and q @ db.T are accepted, the database held at N x d x 4 B."""
    cache = (torch.randn(1, D), torch.randn(N, D), torch.randn(N, D))
    with pytest.raises(WorkloadError, match=r"^--resident keys: 'keys' reaches the matmul mm only "
                       r"through cat, a concatenation \(a cache appended with torch\.cat.*--serve") as e:
        cimsim.trace(_CatDecode().eval(), cache, resident=["keys"])
    assert "T(11)" not in str(e.value) and "sent every run" not in str(e.value)
    with pytest.raises(WorkloadError, match=r"^--resident db: the matmul mv reads 'db' as its first "
                       r"operand .* write it q @ db\.T") as e:
        cimsim.trace(_MvSearch(), (torch.randn(D), torch.randn(N, D)), resident=["db"])
    assert "T(11)" not in str(e.value)
    w = cimsim.trace(Search(), (torch.randn(1, D), torch.randn(N, D)), resident=["db"])
    assert w.footprint.kv_cache == N * D * 4
