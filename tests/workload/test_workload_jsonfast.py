"""The column scanner for JSON in save_workload's layout (workload/jsonfast.py): every file it
reads gives the very columns the generic reader gives (names, shapes, codes, CSR, dims,
vocabularies, tag columns down to the order of their codes), and every other file, or a bad
one, goes to the generic reader with the same message."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pytest

from cimsim.errors import WorkloadError
from cimsim.workload import WorkloadBuilder, load_workload, save_workload
from cimsim.workload import io as wio
from cimsim.workload import jsonstream
from cimsim.workload.generators import gru, hier_attn, lstm, matmul, tcn, transformer
from cimsim.workload.jsonfast import fast_workload

BUNDLED = sorted((Path(__file__).resolve().parents[2] / "workloads").glob("*.json"))


def generic(raw: bytes, monkeypatch):
    """The workload as read before the scanner existed."""
    with monkeypatch.context() as m:
        m.setattr(wio, "FAST_MIN_BYTES", float("inf"))
        return wio.read_workload_bytes(raw, "w.json")


def assert_identical(a, b):
    assert a.name == b.name and a.metadata == b.metadata
    ca, cb = a.columns, b.columns
    for f in ca.__dataclass_fields__:
        x, y = getattr(ca, f), getattr(cb, f)
        if f == "tags":
            assert np.array_equal(x.order_code, y.order_code) and x.order_code.dtype == y.order_code.dtype
            assert x.orders == y.orders
            assert list(x.columns) == list(y.columns)
            for key in x.columns:
                p, q = x.columns[key], y.columns[key]
                assert p[0] == q[0] and p[1].dtype == q[1].dtype, key
                assert np.array_equal(p[1], q[1]), key
                assert p[2:] == q[2:], key  # the vocabulary, in its order
        elif isinstance(x, np.ndarray):
            assert x.dtype == y.dtype, f
            assert np.array_equal(x, y, equal_nan=True), f
        else:
            assert x == y, f
    assert list(a.tensors.values()) == list(b.tensors.values())
    assert a.ops == b.ops


def mixed_tags():
    """Ops whose tags change keys and mix int and string values of one key, so that the
    generic reader's chunks group them differently from op order."""
    b = WorkloadBuilder("mixed")
    b.tensor("x", (1, 4), "fp32", "input")
    b.tensor("W", (4, 4), "bf16", "weight")
    prev = "x"
    tags = [{"layer": 0, "x_part": "a"}, None, {"x_part": 7, "layer": 1}, {"layer": "L"},
            {"x_ y": -3}, {"layer": 2, "x_part": "a"}, {"x_part": "b"}, {"layer": -12345678901234567}]
    for i in range(40):
        out = f"t{i},{{]}}"  # names with the separators a cut looks for
        b.tensor(out, (1, 4), "fp32", "activation")
        if i % 3 == 0:
            b.op(f"mm{i}", "matmul", [prev, "W"], [out], m=1, k=4, n=4, weight="W", tags=tags[i % 8])
        else:
            b.op(f"e{i}", "elementwise", [prev], [out], fn=["relu", "mystery"][i % 2],
                 ops_per_element=[None, 2.5, 3, 1e-05][i % 4], tags=tags[i % 8],
                 generic_macs=i if i % 5 == 0 else 0)
        prev = out
    return b.build({"note": 'a "quoted" \u00e9 value', "n": [1, 2.5, None]})


MAKERS = {
    "lstm": lambda: lstm(16, 8, 2, steps=3),
    "lstm-wavefront": lambda: lstm(16, 8, 2, steps=3, schedule="wavefront", pointwise="separate",
                                   dtype="bf16"),
    "lstm-aten": lambda: lstm(4, 4, 2, steps=3, pointwise="aten"),
    "gru": lambda: gru(8, 8, 1, steps=2),
    "hier-attn-stream": lambda: hier_attn(9, d_model=16, heads=2, window=3, mode="stream"),
    "transformer": lambda: transformer(4, d_model=16, heads=2, ffn=32),
    "tcn": lambda: tcn(4, channels=8, kernel=2, layers=2),
    "matmul-chain": lambda: matmul(2, 8, 8, count=3, chain=True, operand="input"),
    "mixed-tags": mixed_tags,
}


@pytest.mark.parametrize("path", BUNDLED, ids=[p.stem for p in BUNDLED])
def test_bundled_workloads_read_alike(path, monkeypatch):
    raw = path.read_bytes()
    w = fast_workload(raw)
    assert w is not None, "the scanner refused a file save_workload wrote"
    assert_identical(w, generic(raw, monkeypatch))


@pytest.mark.parametrize("chunk", [7, 300, 1 << 18])
@pytest.mark.parametrize("make", list(MAKERS.values()), ids=list(MAKERS))
def test_generated_workloads_read_alike(make, chunk, tmp_path, monkeypatch):
    """Whatever chunks the generic reader cuts (its tag vocabularies follow them)."""
    monkeypatch.setattr(jsonstream, "CHUNK", chunk)
    w0 = make()
    save_workload(w0, tmp_path / "w.json")
    raw = (tmp_path / "w.json").read_bytes()
    w = fast_workload(raw)
    assert w is not None, "the scanner refused a file save_workload wrote"
    assert_identical(w, generic(raw, monkeypatch))
    assert w.ops == w0.ops and w.metadata == w0.metadata
    # and load_workload takes the scanner once the file is large enough
    monkeypatch.setattr(wio, "FAST_MIN_BYTES", 0)
    assert_identical(load_workload(tmp_path / "w.json"), w)


def test_a_large_file_is_read_by_the_scanner(tmp_path, monkeypatch):
    save_workload(lstm(8, 8, steps=3), tmp_path / "w.json")
    monkeypatch.setattr(wio, "FAST_MIN_BYTES", 0)

    def no(*a, **k):
        raise AssertionError("read by the generic reader")

    monkeypatch.setattr(wio, "_stream_text", no)
    monkeypatch.setattr(wio, "workload_from_dict", no)
    assert len(load_workload(tmp_path / "w.json")) == 2 * 3 + 2  # an LSTM: 2T + 2 ops


def _good_text() -> str:
    b = WorkloadBuilder("small")
    b.tensor("x", (1, 4), "fp32", "input")
    b.tensor("W", (4, 8), "fp32", "weight")
    b.tensor("y", (1, 8), "fp32", "activation")
    b.tensor("z", (1, 8), "fp32", "activation")
    b.op("mm", "matmul", ["x", "W"], ["y"], m=1, k=4, n=8, weight="W", tags={"layer": 0})
    b.op("act", "elementwise", ["y"], ["z"], fn="relu")
    return json.dumps(wio.workload_to_dict(b.build({"batch": 1})), separators=(",", ":"))


# each edit leaves valid JSON that the scanner must not read (another layout, or a bad file)
EDITS = {
    "indented": lambda t: json.dumps(json.loads(t), indent=1),
    "key order": lambda t: t.replace('"dtype":"fp32","role":"input"', '"role":"input","dtype":"fp32"'),
    "escaped name": lambda t: t.replace('"act"', '"a\\"ct"'),
    "unicode escape": lambda t: t.replace('"act"', '"\\u00e9"'),
    "float dim": lambda t: t.replace('"k":4', '"k":4.0'),
    "negative dim": lambda t: t.replace('"k":4', '"k":-4'),
    "huge dim": lambda t: t.replace('"k":4', '"k":' + "9" * 19),
    "list tag": lambda t: t.replace('"layer":0', '"layer":[0]'),
    "float tag": lambda t: t.replace('"layer":0', '"layer":0.5'),
    "repeated tag key": lambda t: t.replace('"layer":0', '"layer":0,"layer":1'),
    "empty tags": lambda t: t.replace('"layer":0', ''),
    "undeclared input": lambda t: t.replace('"inputs":["y"]', '"inputs":["q"]'),
    "undeclared weight": lambda t: t.replace('"weight":"W"', '"weight":"q"'),
    "repeated tensor": lambda t: t.replace('"name":"z"', '"name":"y"'),
    "unknown kind": lambda t: t.replace('"elementwise"', '"elementwize"'),
    "unknown dtype": lambda t: t.replace('"dtype":"fp32","role":"weight"', '"dtype":"fp33","role":"weight"'),
    "unknown role": lambda t: t.replace('"role":"weight"', '"role":"wait"'),
    "unknown key": lambda t: t.replace('"fn":"relu"', '"fn":"relu","color":1'),
    "overflowing ope": lambda t: t.replace('"fn":"relu"', '"fn":"relu","ops_per_element":1e999'),
    "bad validation": lambda t: t.replace('"n":8', '"n":9'),
    "extra top key": lambda t: t[:-1] + ',"extra":1}',
    "wrong version": lambda t: t.replace('"version":1', '"version":2'),
    "name not a string": lambda t: t.replace('"name":"small"', '"name":5'),
    "no metadata": lambda t: t.replace('"metadata":{"batch":1},', ''),
    "trailing garbage": lambda t: t + "x",
}


@pytest.mark.parametrize("edit", list(EDITS.values()), ids=list(EDITS))
def test_other_layouts_and_bad_files_go_to_the_generic_reader(edit, tmp_path, monkeypatch):
    text = edit(_good_text())
    assert fast_workload(text.encode()) is None
    p = tmp_path / "w.json"
    p.write_text(text)
    try:
        expected = generic(text.encode(), monkeypatch)
    except WorkloadError as exc:
        monkeypatch.setattr(wio, "FAST_MIN_BYTES", 0)
        with pytest.raises(WorkloadError) as got:
            load_workload(p)
        assert str(got.value) == str(exc).replace("w.json", str(p))
    else:
        monkeypatch.setattr(wio, "FAST_MIN_BYTES", 0)
        assert_identical(load_workload(p), expected)


def test_the_unedited_text_is_read(tmp_path):
    w = fast_workload(_good_text().encode())
    assert w is not None and w.macs == 32 and w.ops[0].tags == {"layer": 0}
    assert fast_workload((_good_text() + " \n").encode()) is not None


def test_empty_lists_go_to_the_generic_message(tmp_path, monkeypatch):
    text = _good_text()
    head = text[:text.index('"tensors":[')]
    empty = head + '"tensors":[],"ops":[]}'
    assert fast_workload(empty.encode()) is None
    p = tmp_path / "w.json"
    p.write_text(empty)
    monkeypatch.setattr(wio, "FAST_MIN_BYTES", 0)
    with pytest.raises(WorkloadError, match="has no ops"):
        load_workload(p)


def test_distinct_rows_alike_packed_or_not():
    """Tag key orders are told apart as one integer per row when they fit, else row-wise."""
    from cimsim.workload.jsonfast import _first_unique

    rows = np.array([[0, 1, -1], [2, -1, -1], [0, 1, -1], [-1, -1, -1], [2, -1, -1], [1, 0, -1]])
    for base in (4, 1 << 40):  # 3 * 2 bits, or 3 * 40 bits: more than an int64 holds
        first, inv = _first_unique(rows, base)
        # rows 0 and 2 alike, 1 and 4 alike: 4 distinct rows, first seen at 0, 1, 3, 5
        assert sorted(first.tolist()) == [0, 1, 3, 5]
        assert inv[0] == inv[2] and inv[1] == inv[4] and len(set(inv.tolist())) == 4
        assert all(rows[first[inv[i]]].tolist() == rows[i].tolist() for i in range(len(rows)))


def test_mutated_files_are_read_alike_or_refused(monkeypatch):
    """One byte changed, dropped or doubled anywhere: the scanner reads the workload the
    generic reader reads, or refuses the file (never a different workload, never a crash)."""
    raw = _good_text().encode()
    rng = np.random.default_rng(21)
    alphabet = b'{}[]",:0123456789-.eE \\xyzWnamektg\x00\x7f'
    taken = 0
    for _ in range(400):
        at = int(rng.integers(len(raw)))
        how = int(rng.integers(3))
        byte = bytes([alphabet[int(rng.integers(len(alphabet)))]])
        bad = raw[:at] + (byte if how == 0 else b"" if how == 1 else raw[at:at + 1]) + raw[at + 1:]
        got = fast_workload(bad)
        if got is None:
            continue
        taken += 1
        assert_identical(got, generic(bad, monkeypatch))  # raises if the generic reader refuses it
    assert taken > 20  # many mutations (a digit, a name's letter) leave a file in the layout
