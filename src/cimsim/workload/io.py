"""Workload files: versioned JSON (small, human-readable) or columnar ``.npz`` (large).

JSON::

    {"format": "cimsim-workload", "version": 1, "name": ..., "metadata": {...},
     "tensors": [{"name", "shape", "dtype", "role"}, ...],
     "ops": [{"name", "kind", "inputs", "outputs", "m", "k", "n", "batch",
              "weight", "fn", "ops_per_element", "tags", "generic_macs"}, ...]}

Keys an op does not need are left out. Columnar (``.npz``, a zip of NumPy
arrays, no pickles): the :class:`~cimsim.workload.ir.WorkloadColumns` arrays,
each in the narrowest integer type that holds it, plus a ``meta`` member (UTF-8
JSON) with the same ``format``, ``version``, ``name`` and ``metadata`` and the
vocabularies the integer codes index (dtypes, roles, kinds, fns, tag values).

:func:`save_workload` picks the format by the file's extension (``.npz``:
columnar, anything else: JSON); :func:`load_workload` by the file's first bytes
(a zip: columnar, else JSON). Both build the workload through the same
:class:`~cimsim.workload.builder.WorkloadBuilder` / ``Workload.from_columns``
validation. A file of another format or version is refused with a message
naming both versions.
"""

from __future__ import annotations

import gc
import io
import json
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from ..atomic import atomic_write, check_writable
from ..bundled import resolve_workload
from ..dtypes import TENSOR_DTYPES
from ..errors import WorkloadError, check_path_argument, given
from ..inputs import Source, file_record, read_input
from ..progress import Feedback, feedback
from .columns import StringTable, TagColumns
from .builder import OP_KEYS as _OP_KEYS
from .builder import WorkloadBuilder
from .checks import COLUMN_DTYPES, describe
from .checks_fields import COMMON_FIELDS, KIND_FIELDS
from .ir import Workload, WorkloadColumns
from .jsonstream import UTF8_BOM, RepeatedKey, stream_workload, unique_keys, write_json
from .jsonstream import decode as _decode
from .torchfiles import torch_file, torch_file_error
from .jsonstream import utf16_or_32
from .kinds import OP_KINDS, ROLES

FORMAT = "cimsim-workload"
VERSION = 1
#: Extension that selects the columnar format on write.
COLUMNAR_SUFFIX = ".npz"
#: First bytes of a columnar file (a zip archive).
ZIP_MAGIC = b"PK\x03\x04"

_TENSOR_KEYS = {"name", "shape", "dtype", "role"}
#: Tensors or ops handed to the builder at once when reading a dict
_FEED = 1 << 16
_TOP_KEYS = {"format", "version", "name", "metadata", "tensors", "ops"}
#: JSON files from this size on are first tried by the column scanner of :mod:`.jsonfast`
#: (smaller ones read the generic way in well under a second, without loading its kernels)
FAST_MIN_BYTES = 1 << 22


# --------------------------------------------------------------------------- JSON
def workload_to_dict(w: Workload) -> dict[str, Any]:
    """The workload as the JSON file format's object (what :func:`save_workload` writes)."""
    ops = []
    for op in w.ops:
        d: dict[str, Any] = {"name": op.name, "kind": op.kind, "inputs": list(op.inputs),
                             "outputs": list(op.outputs)}
        if op.kind == "matmul":
            d.update(m=op.m, k=op.k, n=op.n, batch=op.batch)
            if op.weight is not None:
                d["weight"] = op.weight
        if op.fn is not None:
            d["fn"] = op.fn
        if op.ops_per_element is not None:
            d["ops_per_element"] = op.ops_per_element
        if op.generic_macs:
            d["generic_macs"] = op.generic_macs
        if op.tags:
            d["tags"] = dict(op.tags)
        ops.append(d)
    return {
        "format": FORMAT,
        "version": VERSION,
        "name": w.name,
        "metadata": w.metadata,
        "tensors": [
            {"name": t.name, "shape": list(t.shape), "dtype": t.dtype, "role": t.role}
            for t in w.tensors.values()
        ],
        "ops": ops,
    }


def _check_header(data: Any, fail) -> None:
    if not isinstance(data, dict):
        fail("expected a JSON object at the top level")
    if data.get("format") != FORMAT:
        fail(f"'format' is {_short(data.get('format'))}; a cimsim workload file has format '{FORMAT}'")
    version = data.get("version")
    if type(version) is not int or version != VERSION:
        fail(
            f"workload file version {_short(version)} is not supported; this cimsim reads "
            f"version {VERSION} (regenerate the file with `cimsim workload` or `cimsim trace`)"
        )
    if type(data.get("name")) is not str and "name" in data:
        fail(f"'name' must be a string, got {describe(data['name'])}")
    if not isinstance(data.get("metadata", {}), dict):
        fail(f"'metadata' must be an object, got {type(data['metadata']).__name__}")


def _short(v: Any) -> str:
    return describe(v).split(" ", 1)[1] if isinstance(v, (list, dict, str)) else repr(v)


class _Reader:
    """Feeds tensor and op objects (dicts from a workload file) into a builder, chunk by
    chunk, with the file's messages (``tensors[i]: ...``, ``ops[i] (name): ...``)."""

    def __init__(self, source: str, fb: Feedback, n_tensors: int | None = None, n_ops: int | None = None):
        self.source, self.fb = source, fb
        self.b: WorkloadBuilder | None = None
        self.n_tensors, self.n_ops = n_tensors, n_ops

    def fail(self, msg: str):
        raise WorkloadError(f"{self.source}: {msg}")

    def header(self, data: dict) -> None:
        _check_header(data, self.fail)
        self.b = WorkloadBuilder(data["name"])
        self.fb.update("declaring tensors", 0, self.n_tensors)

    def tensors(self, items: list, first: int) -> None:
        tensor, fb = self.b.tensor, self.fb  # type: ignore[union-attr]
        fb.update(done=first)
        if self.b.tensors_from_records(items):  # type: ignore[union-attr]
            return
        for i, t in enumerate(items, first):
            if not isinstance(t, dict) or len(t) != 4 or t.keys() != _TENSOR_KEYS:
                self.fail(f"tensors[{i}]: a tensor has exactly the keys {sorted(_TENSOR_KEYS)}, got "
                          f"{sorted(map(str, t)) if isinstance(t, dict) else type(t).__name__}")
            tensor(t["name"], t["shape"], t["dtype"], t["role"])

    def ops(self, items: list, first: int) -> None:
        op, fb = self.b.op, self.fb  # type: ignore[union-attr]
        if first == 0:
            fb.update("building ops", 0, self.n_ops)
        fb.update(done=first)
        if self.b.ops_from_records(items):  # type: ignore[union-attr]
            return
        for i, o in enumerate(items, first):
            if not isinstance(o, dict):
                self.fail(f"ops[{i}]: expected an object, got {type(o).__name__}")
            if not o.keys() <= _OP_KEYS:
                bad = set(o) - _OP_KEYS
                kind = o.get("kind")
                own = (f"an op of kind '{kind}' takes {sorted((*COMMON_FIELDS, *KIND_FIELDS[kind]))}"
                       if isinstance(kind, str) and kind in KIND_FIELDS else f"allowed: {sorted(_OP_KEYS)}")
                self.fail(f"ops[{i}] ({_short(o.get('name'))}): unknown keys {sorted(map(str, bad))}; {own}")
            try:
                name, kind, inputs, outputs = o["name"], o["kind"], o["inputs"], o["outputs"]
            except KeyError as exc:
                self.fail(f"ops[{i}]: missing key '{exc.args[0]}'")
            if kind == "matmul" and not o.keys() >= {"m", "k", "n"}:  # else stored as 0: "m=0"
                self.fail(f"ops[{i}] ({_short(name)}): a matmul needs 'm', 'k' and 'n' (A is m x k, "
                          f"B k x n); missing {', '.join(repr(d) for d in 'mkn' if d not in o)}")
            op(name, kind, inputs, outputs, o.get("m", 0), o.get("k", 0), o.get("n", 0),
               o.get("batch", 1), o.get("weight"), o.get("fn"), o.get("ops_per_element"), o.get("tags"),
               o.get("generic_macs", 0))

    def build(self, metadata: Any) -> Workload:
        self.fb.update("validating")
        return self.b.build(metadata)  # type: ignore[union-attr]

    def wrap(self, exc: WorkloadError) -> WorkloadError:
        if str(exc).startswith(f"{self.source}: "):
            return exc
        return WorkloadError(f"{self.source}: {exc}")


def _check_top(data: dict, fail) -> None:
    for key in ("name", "tensors", "ops"):
        if key not in data:
            fail(f"missing key '{key}'")
    unknown = set(data) - _TOP_KEYS
    if unknown:
        fail(f"unknown top-level keys {sorted(unknown)}")


def workload_from_dict(data: Any, source: str = "<workload>", progress: Feedback | None = None) -> Workload:
    """A workload from the JSON file format's object, checked as a file is (errors name
    ``source``); the inverse of :func:`workload_to_dict`."""
    def fail(msg: str):
        raise WorkloadError(f"{source}: {msg}")

    _check_header(data, fail)
    _check_top(data, fail)
    for key in ("tensors", "ops"):
        if not isinstance(data[key], list):
            fail(f"'{key}' must be a list, got {type(data[key]).__name__}")
    r = _Reader(source, progress or Feedback("", enabled=False), len(data["tensors"]), len(data["ops"]))
    try:
        r.header(data)
        for key, feed in (("tensors", r.tensors), ("ops", r.ops)):
            items = data[key]
            for a in range(0, len(items), _FEED):  # in slices: progress, smaller temporaries
                feed(items[a:a + _FEED], a)
        return r.build(data.get("metadata", {}))
    except WorkloadError as exc:
        raise r.wrap(exc) from None


def _stream_text(text: str, source: str, fb: Feedback) -> Workload | None:
    """The workload in ``text`` read chunk by chunk (:mod:`.jsonstream`), or None when the
    text is not in the layout :func:`save_workload` writes."""
    r = _Reader(source, fb)
    gc_was_on = gc.isenabled()
    gc.disable()  # millions of short-lived dicts, no cycles: the collector would only rescan them
    try:
        top = stream_workload(text, _stream_header(r), r.tensors, r.ops)
    except _HeaderError as exc:
        raise exc.error from None
    except WorkloadError:
        # a bad tensor or op: the whole-text path words it, so that a file and its dict get
        # the same message whatever else is wrong (only files that fail pay for it)
        return None
    finally:
        if gc_was_on:
            gc.enable()
    if top is None:
        return None
    try:
        _check_header(top, r.fail)  # again: keys after "tensors" (metadata) are read now
        _check_top(top, r.fail)
        return r.build(top.get("metadata", {}))
    except WorkloadError as exc:
        raise r.wrap(exc) from None


class _HeaderError(Exception):
    """A header error while streaming: the same message as the whole-text path."""

    def __init__(self, error: WorkloadError):
        self.error = error


def _stream_header(r: "_Reader"):
    def header(top: dict) -> None:
        try:
            r.header(top)
        except WorkloadError as exc:
            raise _HeaderError(r.wrap(exc)) from None
    return header


def _json_text(raw: bytes | str, source: str) -> Any:
    text = raw if isinstance(raw, str) else _decode(raw, source)
    try:
        return json.loads(text, object_pairs_hook=unique_keys)
    except RepeatedKey as exc:
        raise WorkloadError(f"{source}: key '{exc.key}' is given twice in one object (JSON would "
                            "keep only the last value); give each key once") from None
    except json.JSONDecodeError as exc:
        if Path(source).suffix.lower() in (".yaml", ".yml"):
            import shlex  # the path as given, the JSON beside it, never over an existing file

            raise WorkloadError(f"{source}: workload files are JSON (or .npz); YAML is read only for "
                                "configs: write the same object as JSON (python -c \"import json, yaml, "
                                "sys; json.dump(yaml.safe_load(open(sys.argv[1])), open(sys.argv[2], 'x'))\" "
                                f"{shlex.quote(source)} {shlex.quote(str(Path(source).with_suffix('.json')))})"
                                ) from None
        raise WorkloadError(f"{source}: not valid JSON: {exc}") from None
    except RecursionError:
        raise WorkloadError(f"{source}: not a workload: JSON nested too deeply") from None


# --------------------------------------------------------------------------- columnar
def _narrow(a: np.ndarray) -> np.ndarray:
    """``a`` (integers) in the smallest signed integer type that holds every value."""
    if a.dtype.kind != "i" or a.size == 0:
        return a
    lo, hi = int(a.min()), int(a.max())
    for dt in (np.int8, np.int16, np.int32):
        info = np.iinfo(dt)
        if info.min <= lo and hi <= info.max:
            return a.astype(dt)
    return a


def workload_to_arrays(w: Workload) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The columnar form: a JSON-able ``meta`` dict and named 1-D arrays."""
    c = w.columns
    arrays: dict[str, np.ndarray] = {key: _narrow(getattr(c, key)) for key in COLUMN_DTYPES}
    for key in ("tensor_names", "op_names"):
        s = getattr(c, key)
        arrays[f"{key}.blob"] = s.blob
        arrays[f"{key}.offsets"] = _narrow(s.offsets)
    arrays["tags.order"] = _narrow(c.tags.order_code)
    tag_cols = []
    for j, (key, col) in enumerate(c.tags.columns.items()):
        arrays[f"tags.{j}"] = _narrow(col[1])
        tag_cols.append({"key": key, "type": col[0], **({"vocab": col[2]} if col[0] == "json" else {})})
    meta = {
        "format": FORMAT, "version": VERSION, "layout": "columns", "name": w.name,
        "metadata": w.metadata, "dtypes": list(TENSOR_DTYPES), "roles": list(ROLES), "kinds": list(OP_KINDS),
        "fn_vocab": list(c.fn_vocab),
        "tags": {"orders": [list(k) for k in c.tags.orders], "columns": tag_cols},
    }
    return meta, arrays


def _remap(codes: np.ndarray, file_vocab: Any, ours: tuple[str, ...], key: str, fail) -> np.ndarray:
    """File codes (indices into the file's vocabulary) as our codes; a code naming a value
    we do not know maps to ``len(ours) + j`` so that validation words the error."""
    if not isinstance(file_vocab, list) or not all(type(v) is str for v in file_vocab):
        fail(f"meta '{key}' must be a list of strings")
    table = np.array([ours.index(v) if v in ours else len(ours) for v in file_vocab] + [len(ours)],
                     dtype=np.int64)
    if codes.size and (codes.min() < 0 or codes.max() >= len(file_vocab)):
        fail(f"column '{key}' holds a code outside its vocabulary")
    unknown = table[codes] >= len(ours)
    if unknown.any():
        return file_vocab[int(codes[int(np.argmax(unknown))])]
    return table[codes]


def workload_from_arrays(meta: Any, arrays: dict[str, np.ndarray], source: str) -> Workload:
    """Inverse of :func:`workload_to_arrays`, validated as every workload is."""
    def fail(msg: str):
        raise WorkloadError(f"{source}: {msg}")

    _check_header(meta, fail)
    if "name" not in meta:
        fail("meta: missing key 'name'")
    if meta.get("layout") != "columns":
        fail(f"meta 'layout' is {_short(meta.get('layout'))}, expected 'columns'")

    def col(key: str, kinds: str = "iu") -> np.ndarray:
        a = arrays.get(key)
        if a is None and key == "generic_macs" and "kind" in arrays:  # optional: all zero
            return np.zeros(len(arrays["kind"]), dtype=np.int64)
        if a is None:
            fail(f"missing column '{key}'")
        if a.ndim != 1 or a.dtype.kind not in kinds:
            fail(f"column '{key}' must be a 1-D array of {'numbers' if 'f' in kinds else 'integers'}, "
                 f"got {a.ndim}-D {a.dtype}")
        return a

    cols: dict[str, Any] = {key: col(key, "iuf" if key == "ops_per_element" else "iu")
                            for key in COLUMN_DTYPES}
    for key in ("tensor_names", "op_names"):
        blob = col(f"{key}.blob", "u")
        if blob.dtype != np.uint8:
            fail(f"column '{key}.blob' must be uint8, got {blob.dtype}")
        cols[key] = StringTable(blob, col(f"{key}.offsets").astype(np.int64))
    names = cols["tensor_names"]
    for key, vocab_key, ours, what in (("tensor_dtype", "dtypes", TENSOR_DTYPES, "dtype"),
                                       ("tensor_role", "roles", ROLES, "role"),
                                       ("kind", "kinds", OP_KINDS, "kind")):
        codes = cols[key].astype(np.int64)
        mapped = _remap(codes, meta.get(vocab_key), ours, key, fail)
        if isinstance(mapped, str):
            i = int(np.argmax(np.array(meta[vocab_key], dtype=object)[codes] == mapped))
            owner = f"tensor '{_name(names, i)}'" if key != "kind" else f"op '{_name(cols['op_names'], i)}' (#{i})"
            fail(f"workload {_short(meta.get('name'))}: {owner}: {what} '{mapped}' is not one of "
                 f"{', '.join(ours)}")
        cols[key] = mapped
    fn_vocab = meta.get("fn_vocab")
    if not isinstance(fn_vocab, list) or not all(type(f) is str for f in fn_vocab):
        fail("meta 'fn_vocab' must be a list of strings")
    cols["fn_vocab"] = tuple(fn_vocab)
    cols["tags"] = _tags_from(meta.get("tags"), arrays, len(cols["kind"]), col, fail)
    try:
        return Workload.from_columns(meta["name"], WorkloadColumns(**cols), meta.get("metadata", {}))
    except WorkloadError as exc:
        raise WorkloadError(f"{source}: {exc}") from None


def _name(table: StringTable, i: int) -> str:
    try:
        return table[i]
    except (IndexError, UnicodeDecodeError):
        return f"#{i}"


def _tags_from(spec: Any, arrays, n_ops: int, col, fail) -> TagColumns:
    if not isinstance(spec, dict) or not isinstance(spec.get("orders"), list) \
            or not isinstance(spec.get("columns"), list):
        fail("meta 'tags' must be an object with lists 'orders' and 'columns'")
    orders = []
    for keys in spec["orders"]:
        if not isinstance(keys, list) or not all(type(k) is str for k in keys):
            fail("meta 'tags.orders' must be lists of key strings")
        orders.append(tuple(keys))
    columns: dict[str, tuple] = {}
    for j, c in enumerate(spec["columns"]):
        if not isinstance(c, dict) or type(c.get("key")) is not str or c.get("type") not in ("int", "json"):
            fail(f"meta 'tags.columns[{j}]' must be an object with a string 'key' and type int or json")
        values = col(f"tags.{j}").astype(np.int64)
        if c["type"] == "int":
            columns[c["key"]] = ("int", values)
        else:
            if not isinstance(c.get("vocab"), list):
                fail(f"meta 'tags.columns[{j}].vocab' must be a list")
            columns[c["key"]] = ("json", values.astype(np.int32), c["vocab"])
    return TagColumns(col("tags.order").astype(np.int32), orders, columns)


def _write_npz(w: Workload, f, fb: Feedback) -> None:
    meta, arrays = workload_to_arrays(w)
    meta_bytes = np.frombuffer(json.dumps(meta, separators=(",", ":")).encode("utf-8"), dtype=np.uint8)
    # deflate level 1: within 5 % of np.savez_compressed's size at a fifth of its time
    # (benchmarks/workload_format.py); any NumPy reads it with np.load
    with zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        members = {"meta": meta_bytes, **arrays}
        for j, (key, a) in enumerate(members.items()):
            fb.update("writing columns", j, len(members))
            with z.open(f"{key}.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, a, allow_pickle=False)


def _read_npz(raw: bytes, source: str, fb: Feedback) -> Workload:
    def fail(msg: str):
        raise WorkloadError(f"{source}: {msg}")

    try:
        with np.load(io.BytesIO(raw), allow_pickle=False) as z:
            arrays = {}
            for j, key in enumerate(z.files):
                fb.update("reading columns", j, len(z.files))
                arrays[key] = z[key]
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError, NotImplementedError,
            zlib.error) as exc:
        fail(f"not a valid columnar workload (.npz): {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}")
    meta_arr = arrays.pop("meta", None)
    if meta_arr is None or meta_arr.dtype != np.uint8 or meta_arr.ndim != 1:
        fail("columnar workload has no 'meta' member (uint8 UTF-8 JSON)")
    meta = _json_text(meta_arr.tobytes(), f"{source} (meta)")
    fb.update("validating")
    return workload_from_arrays(meta, arrays, source)


# --------------------------------------------------------------------------- files
def save_workload(w: Workload, path: str | Path, progress: Feedback | bool | None = None) -> None:
    """Write ``w`` atomically (a temp file renamed into place): columnar if ``path`` ends
    in ``.npz``, JSON if in ``.json`` (another suffix is refused); missing parent folders are
    made, as the command line's ``-o`` makes them. ``progress``: a :class:`~cimsim.progress.Feedback` to report
    to, or True for one of its own (status on stderr when the write is long)."""
    if not isinstance(w, Workload):
        raise WorkloadError(f"save_workload(): w must be a Workload (load_workload(NAME or PATH) "
                            f"gives one), got {given(w)}")
    check_path_argument("save_workload", path, "the file to write, .json or .npz", "")
    suffix = Path(path).suffix.lower()
    if suffix not in (".json", COLUMNAR_SUFFIX):  # as the command line's -o
        raise WorkloadError(f"save_workload(): {path}: a workload file is .json, or .npz for the "
                            "columnar form")
    check_writable(path, "save_workload():")  # a folder, under a file, a read-only place
    columnar = suffix == COLUMNAR_SUFFIX
    fb = feedback(progress, f"writing {path}")

    def write(tmp: str) -> None:
        if columnar:
            with open(tmp, "wb") as f:
                _write_npz(w, f, fb)
            return
        fb.update("writing JSON")
        with open(tmp, "w") as f:
            # from the columns, chunk by chunk: the bytes json.dump(workload_to_dict(w)) gives
            write_json(w, f, {"format": FORMAT, "version": VERSION, "name": w.name, "metadata": w.metadata})
            f.write("\n")

    try:
        atomic_write(path, write)
    finally:
        if fb is not progress:
            fb.close()


def read_workload_bytes(raw: bytes, source: str, progress: Feedback | None = None) -> Workload:
    """A workload from a file's bytes: columnar if they start as a zip, else UTF-8 JSON; its
    access-pattern tags checked here, so that an error names ``source``."""
    from .arrays import check_pattern_tags

    w = _read_bytes(raw, source, progress)
    try:
        check_pattern_tags(w)
    except WorkloadError as exc:
        raise WorkloadError(f"{source}: {exc}") from None
    return w


def looks_like_onnx(raw: bytes, path: str | Path = "") -> bool:
    """Whether a file's bytes say it is an ONNX model: a ModelProto starts with field 1
    (``ir_version``, a small varint: 0x08) and then field 2, 3, 4 or 7 (strings: 0x12 ... 0x3a) or
    5 (``model_version``, a varint: 0x28); of a file named ``.onnx``, the first byte suffices."""
    if raw[:1] == b"\x08" and str(path).lower().endswith(".onnx"):
        return True
    return len(raw) > 3 and raw[0] == 0x08 and 0 < raw[1] < 32 and raw[2] in (0x12, 0x1a, 0x22, 0x28,
                                                                              0x32, 0x3a)


def _read_bytes(raw: bytes, source: str, progress: Feedback | None = None) -> Workload:
    fb = progress or Feedback("", enabled=False)
    if raw[:3] == UTF8_BOM:  # Notepad's "UTF-8 with BOM", PowerShell 5's -Encoding utf8: JSON
        raw = raw[3:]  # allows a parser to ignore it (RFC 8259 8.1), as the config reader does
    if raw[:4] == ZIP_MAGIC:
        if kind := torch_file(source, raw):  # a zip too, which cimsim does not unpickle
            raise WorkloadError(f"{source}: {torch_file_error(kind, 'a workload file')}")
        return _read_npz(raw, source, fb)
    if torch_file("", raw) == "pickle":  # torch.save's legacy format: unpickled by no one here
        raise WorkloadError(f"{source}: {torch_file_error('pickle', 'a workload file')}")
    if looks_like_onnx(raw, source):
        raise WorkloadError(f"{source}: an ONNX model, not a workload file: use cimsim trace --onnx "
                            f"{source} -o WORKLOAD.json (trace_onnx in Python) and run that")
    fb.update("parsing JSON")
    if utf16_or_32(raw):
        _decode(raw, source)  # refused, naming the encoding
    if len(raw) >= FAST_MIN_BYTES:
        from .jsonfast import fast_workload

        w = fast_workload(raw)  # the layout save_workload writes, straight into the columns
        if w is not None:
            return w
    text = _decode(raw, source)
    del raw  # the bytes go once decoded (a large file is not held twice)
    w = _stream_text(text, source, fb)  # chunk by chunk: no object per op alive at once
    if w is not None:
        return w
    return workload_from_dict(_json_text(text, source), source=source, progress=fb)


#: ``metadata`` key of a workload file written by ``cimsim workload`` / ``cimsim trace``: the
#: cimsim that wrote it, ``{"cimsim_version": ..., "cimsim_revision": ...}`` (:mod:`cimsim.revision`)
WRITTEN_BY = "written_by"


def stamp_writer(w: Workload) -> Workload:
    """Record in ``w.metadata`` the cimsim that writes it (:data:`WRITTEN_BY`), so a later
    cimsim can tell the file's age (the file format version stays 1 across model changes)."""
    from ..revision import provenance

    w.metadata[WRITTEN_BY] = provenance()
    return w


def warn_if_outdated(w: Workload, source: str) -> None:
    """One warning line for a file written by an older generator whose ops this cimsim models
    otherwise: an ``llm`` serving workload without ``launch`` tags predates the batch's
    per-request attention as one kernel launch per part, and runs one launch per request."""
    if w.metadata.get("generator") != "llm" or "launch" in w.columns.tags.columns or not len(w):
        return
    import warnings

    params = w.metadata.get("params") or {}
    shown = " ".join(f"{k}={v}" for k, v in params.items()) if isinstance(params, dict) else params
    warnings.warn(f"{source}: an llm serving workload without `launch` op tags: written before "
                  "cimsim 0.5.0.dev0 counted a batch's per-request attention as one kernel launch "
                  "per part, so it runs one launch per request (slower than the same workload made "
                  "today); regenerate it with `cimsim workload llm` and the params in its metadata "
                  f"({shown})", stacklevel=3)


def load_workload(path: str | Path, progress: Feedback | bool | None = None) -> Workload:
    """Read a workload file (JSON or columnar ``.npz``, told apart by content).
    ``progress`` as for :func:`save_workload`. ``path`` is resolved as the command line
    resolves a workload: a file that exists wins; a bare name (no folder, no ``.json`` /
    ``.npz``) is a bundled workload (``lstm``) or a validation suite's; another bare name is
    refused listing the bundled names."""
    check_path_argument("load_workload", path, "a .json or .npz file or a bundled workload name "
                        "such as 'lstm'", "cimsim.workload.workload_from_dict")
    path = Path(path)
    if not path.exists() and len(path.parts) == 1 and path.suffix not in (".json", ".npz"):
        path = resolve_workload(str(path))
    fb = feedback(progress, f"loading {path}")
    try:
        fb.update("reading")
        try:
            raw = [read_input(path)]  # (a pipe: read once)
            record = file_record(path, raw[0])  # what it was read from, hashed once
            # passed on, not held here: read_workload_bytes lets go of the bytes once decoded
            w = read_workload_bytes(raw.pop(), str(path), fb)
        except OSError as exc:
            raise WorkloadError(f"{path}: cannot read workload ({exc.strerror})") from None
    finally:
        if fb is not progress:
            fb.close()
    warn_if_outdated(w, str(path))
    w._source = Source.of(record)
    return w
