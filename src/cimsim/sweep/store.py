"""Loss-free persistence of sweep rows.

Finished rows are appended in small batches as Parquet part files in
``OUT.parts/`` beside the output ``OUT``. Every file, part or final, is
written to a temporary name in the same directory, flushed to disk and
renamed into place with :func:`os.replace`, so a reader (or a rerun after
SIGKILL) sees either the whole file or none of it. On start the store reads
the final file and the parts and hands back the rows already done; at the end
it writes the final file and only then removes the parts.

Only what cimsim created is ever deleted: the part files this store wrote or
consumed (names ``part-PID-SEQ-HEX.parquet``, which only cimsim generates),
their stale temporaries, the lock file it created, and ``OUT.parts/`` itself
only if cimsim created it (it leaves a marker file there) and it is empty
afterwards. A pre-existing ``OUT.parts/`` and any file cimsim did not write
are left as they are.
"""

from __future__ import annotations

import math
import os
import re
import warnings
from itertools import count
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from ..atomic import atomic_write, is_special
from ..errors import CimsimError, CimsimWarning
from ..inputs import utf8_text
from .columns import (ATTR_COLUMN_UNITS, ATTR_CONFIGS, ATTR_PARAMS, ATTR_REVISION, ATTR_SAMPLING, ATTR_UNITS,
                      ATTR_VERSION, ATTR_WORKLOAD_GROUPS, ATTR_WORKLOAD_PARAMS, ATTR_WORKLOADS, POINT_ID, column_kind,
                      component_kinds)

PART_PREFIX = "part-"
PART_SUFFIX = ".parquet"
#: Names of the part files cimsim writes (see :meth:`SweepStore.append`), and of their temporaries.
PART_NAME = re.compile(r"part-\d+-\d{6,}-[0-9a-f]{8}\.parquet")
PART_TEMP = re.compile(r"\.part-\d+-\d{6,}-[0-9a-f]{8}\.parquet\.[A-Za-z0-9_]+\.tmp")
#: Left in ``OUT.parts/`` when cimsim creates the directory, so only such a directory is removed.
PARTS_MARKER = ".cimsim-sweep-parts"
#: First bytes of a lock file cimsim created.
LOCK_MAGIC = b"cimsim sweep lock\n"
#: How often :meth:`SweepStore.__enter__` takes the lock again when the file it locked was
#: removed meanwhile by a sweep finishing (each retry needs another sweep to finish in between)
LOCK_TRIES = 20
#: a count at or past this magnitude stays float (an Int64 holds up to 2**63 - 1)
COUNT_LIMIT = 2 ** 62


def _is_null(v: Any) -> bool:
    if v is None or v is pd.NA:
        return True
    if isinstance(v, (float, np.floating)):
        return math.isnan(v)
    return False


def _normalize_column(name: str, values: Sequence[Any], declared: str | None = None) -> pd.Series:
    """A column whose dtype depends only on its values (not on how rows were batched) and, for a
    column whose name fixes its kind (:func:`~cimsim.sweep.columns.column_kind`) or whose kind
    is ``declared`` (a component's fact: :func:`~cimsim.sweep.columns.component_kinds`), on that
    alone: a count is Int64, a flag boolean and a float float64 even where every row is an error
    row. A count holding a fraction stays float64 (no value is rounded)."""
    kind = column_kind(name) or declared
    present = [v for v in values if not _is_null(v)]
    if kind == "text" or any(isinstance(v, str) for v in present):
        return pd.Series([None if _is_null(v) else utf8_text(str(v)) for v in values], dtype=object)
    if not present:
        dtype = {"count": "Int64", "flag": "boolean"}.get(kind or "", "float64")
        return pd.Series([None] * len(values), dtype=dtype) if dtype != "float64" else \
            pd.Series(np.full(len(values), np.nan), dtype="float64")
    if kind == "float" and all(isinstance(v, (int, float, np.number)) for v in present):
        return pd.Series([np.nan if _is_null(v) else float(v) for v in values], dtype="float64")
    if all(isinstance(v, (bool, np.bool_)) for v in present):
        return pd.Series([None if _is_null(v) else bool(v) for v in values], dtype="boolean")
    if all(isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)) and abs(v) < COUNT_LIMIT
           for v in present) or (
            kind == "count" and all(isinstance(v, (int, float, np.number)) and not isinstance(v, (bool, np.bool_))
                                    and float(v).is_integer() and abs(v) < COUNT_LIMIT for v in present)):
        return pd.Series([None if _is_null(v) else int(v) for v in values], dtype="Int64")
    return pd.Series([np.nan if _is_null(v) else float(v) for v in values], dtype="float64")


def integer_counts(df: pd.DataFrame, archs=()) -> pd.DataFrame:
    """``df`` (a compare table, a report's ``results.csv``) with its count columns
    (:func:`~cimsim.sweep.columns.column_kind`, the component counts of ``archs``:
    :func:`~cimsim.sweep.columns.component_kinds`) typed as a sweep stores them
    (:func:`_normalize_column`): nullable integers (``Int64``), so a CSV writes ``33``, not
    ``33.0``, where another row lacks the column; a count holding a fraction stays float."""
    declared = component_kinds(archs)
    out = df.copy()
    for col in df.columns:
        kind = column_kind(col) or declared.get(col)
        if kind == "count" and df[col].dtype.kind in "fiu":
            out[col] = _normalize_column(col, df[col].tolist(), kind).set_axis(df.index)
    return out


def rows_to_frame(rows: Sequence[dict] | pd.DataFrame, columns: Sequence[str],
                  kinds: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Rows (dicts or a frame) as a DataFrame with exactly ``columns``, dtypes normalized
    (``kinds``: the declared kind of columns whose name does not fix it)."""
    if isinstance(rows, pd.DataFrame):
        data = {c: (rows[c].tolist() if c in rows.columns else [None] * len(rows)) for c in columns}
    else:
        data = {c: [r.get(c) for r in rows] for c in columns}
    kinds = kinds or {}
    return pd.DataFrame({c: _normalize_column(c, data[c], kinds.get(c)) for c in columns})


def check_output_names(output: str | Path | None, csv: str | Path | None, announce=None):
    """``(output, csv)``: an ``-o NAME.csv`` without ``--csv`` is ``NAME.parquet`` (the table a
    rerun resumes from) with its CSV copy ``NAME.csv``, said to ``announce`` (review A 2, 3: the
    CLI and ``sweep(output='x.csv')`` alike). Refused in one line, with the allowed forms: another
    ``-o`` suffix, ``-o NAME.csv`` with a ``--csv`` too, a ``--csv`` not named ``.csv`` and a
    ``--csv`` that is the ``-o`` file (the CSV would replace the Parquet table)."""
    from .params import under_cli

    o, c = ("-o ", "--csv ") if under_cli() else ("output=", "csv=")
    suffix = Path(output).suffix.lower() if output is not None else ".parquet"
    if suffix == ".csv" and csv is None:
        output, csv = Path(output).with_suffix(".parquet"), output
        if announce is not None:
            announce(f"{o}{csv}: sweep keeps its table as Parquet (a rerun resumes from it): "
                     f"{output}, with the CSV copy {csv}")
    elif suffix == ".csv":
        raise CimsimError(f"{o}{output}: a .csv {o.strip(' =')} already writes that CSV copy (beside "
                          f"{Path(output).with_suffix('.parquet')}), and {c}{csv} is another; give "
                          f"{o}{Path(output).with_suffix('.parquet')} with {c}{csv}, or drop {c.strip(' =')}")
    elif suffix != ".parquet":
        raise CimsimError(f"{o}{output}: the sweep table is Parquet; name it NAME.parquet, or "
                          f"NAME.csv for NAME.parquet and its CSV copy NAME.csv")
    if csv is not None and Path(csv).suffix.lower() != ".csv":
        raise CimsimError(f"{c}{csv}: the CSV copy; name the file .csv")
    if output is not None and csv is not None and \
            os.path.realpath(output) == os.path.realpath(csv):
        raise CimsimError(f"{c}{csv}: is the {o.strip(' =')} file; give the CSV copy its own name")
    return output, csv


def with_column_units(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with ``attrs["cimsim_column_units"]`` (:func:`cimsim.report.column_docs.column_units`:
    counts ``count``, fractions ``1``, labels ``""``); returns ``df``."""
    from ..report.column_docs import column_units

    df.attrs[ATTR_COLUMN_UNITS] = column_units(df.columns)
    return df


def write_parquet(df: pd.DataFrame, path: str | Path) -> None:
    """Write ``df`` to ``path`` atomically (temp file, fsync, rename); a sweep table (one with
    ``cimsim_params`` attrs) gets its result columns' units as ``cimsim_column_units``."""
    if ATTR_PARAMS in df.attrs:
        df = with_column_units(df.copy(deep=False))

    def write(tmp: str) -> None:
        with open(tmp, "wb") as f:  # Python opens a non-UTF-8 name that pyarrow would refuse
            df.to_parquet(f, index=False, schema=_schema(df))

    atomic_write(path, write)


def _schema(df: pd.DataFrame):
    """``df``'s Arrow schema with a text column of no values typed string, not null (the
    ``error`` column of a sweep without a failed point), so every sweep file has one schema."""
    import pyarrow as pa

    schema = pa.Schema.from_pandas(df, preserve_index=False)
    for i, f in enumerate(schema):
        if pa.types.is_null(f.type):
            schema = schema.set(i, f.with_type(pa.string()))
    return schema


def write_csv(df: pd.DataFrame, path: str | Path) -> None:
    """Write ``df`` as CSV, atomically. A CSV file has no metadata, so a swept parameter's SI
    unit (``DataFrame.attrs["cimsim_units"]``, kept in the Parquet file) goes into its column's
    header: ``memory.dram.bandwidth [B/s]``; a dimensionless one keeps its bare path. Nor do
    the attrs' config and workload files or cimsim version reach it: each row gets its config's
    and workload's path and SHA-256 (``config_path`` ... ``workload_sha256``, from
    ``cimsim_configs`` / ``cimsim_workloads`` by ``config_file`` / ``workload_file``) and, last,
    ``cimsim_version`` and ``cimsim_revision``, as compare's CSV."""
    from ..report import columns as C
    from ..revision import with_provenance
    from .columns import CONFIG_FILE, WORKLOAD_FILE, csv_header

    out = df.rename(columns=csv_header(df))
    for col, attr, at, sha in ((CONFIG_FILE, ATTR_CONFIGS, C.CONFIG_PATH, C.CONFIG_SHA256),
                               (WORKLOAD_FILE, ATTR_WORKLOADS, C.WORKLOAD_PATH, C.WORKLOAD_SHA256)):
        files = df.attrs.get(attr) or {}
        if col in out.columns:
            recs = [files.get(str(name)) or {} for name in out[col]]
            out[at] = [r.get("path", "") for r in recs]
            out[sha] = [r.get("sha256", "") for r in recs]
    out = with_provenance(out, df.attrs)
    atomic_write(path, lambda tmp: out.to_csv(tmp, index=False))


class SweepBusy(CimsimError):
    """Another sweep is writing the same output file."""


def check_is_sweep_file(output: str | Path | None) -> None:
    """Refuse an ``-o`` that is an existing Parquet file without a ``point_id`` column (a user's
    own table, not a sweep's): the sweep would replace it. A file unreadable as Parquet is left
    to :meth:`SweepStore.load_done` (a truncated sweep file: its points are computed again)."""
    if output is None or not Path(output).is_file():
        return
    import pyarrow.parquet as pq

    try:
        with open(output, "rb") as f:
            names = pq.read_schema(f).names
    except Exception:  # noqa: BLE001 - not Parquet at all: load_done says so and recomputes
        return
    if POINT_ID not in names:
        raise CimsimError(f"-o {output}: exists and is not a cimsim sweep (no {POINT_ID} column); "
                          "give another -o")


#: Hidden columns :meth:`SweepStore.load_stored` adds to each stored row: the cimsim version and
#: revision that computed it (None: not recorded) and the index of the file it came from.
ROW_VERSION, ROW_REVISION, ROW_SOURCE = "\0version", "\0revision", "\0source"


class SweepStore:
    """Part files of one sweep output and its final consolidated file.

    Use it as a context manager to hold ``OUT.lock`` while the sweep runs, so a
    second sweep into the same file refuses to start instead of racing.
    """

    def __init__(self, output: str | Path):
        # the file itself, links resolved: a second name (a symlink) of the same file takes the
        # same lock and parts folder, and the final rename replaces the file, not the link. A
        # device or FIFO (a link named null.parquet to /dev/null) is kept as named, as
        # atomic.target_of keeps it: its lock and parts go beside that name, never into /dev
        self.shown = Path(output)  # as the user named it, for messages
        self.output = Path(os.path.abspath(output) if is_special(output) else os.path.realpath(output))
        self.parts_dir = self.output.with_name(self.output.name + ".parts")
        self.lock_path = self.output.with_name(self.output.name + ".lock")
        self._seq = count()
        self._lock_fd: int | None = None
        self._lock_owned = False
        self._consumed: list[Path] = []  # part files written or read by this store: cimsim's
        #: attrs stamped on each part file written (this cimsim's version and revision; the
        #: sweep adds its params, configs and workloads)
        self.attrs: dict = sweep_attrs()
        self.kinds: dict[str, str] = {}  # component columns' declared kinds (rows_to_frame)
        #: the attrs of each file :meth:`load_stored` read (index: its rows' ROW_SOURCE)
        self.sources: list[dict] = []
        #: stored rows the sweep does not keep (another sweep's, another revision's), and the
        #: file :meth:`finish` moves them to
        self.replaced: pd.DataFrame | None = None
        self.replaced_path: Path | None = None
        #: a --dry-run's look (:mod:`cimsim.sweep.preflight`): the warnings say "to be moved"
        self.dry_run = False

    def __enter__(self) -> "SweepStore":
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX: no lock
            return self
        self.output.parent.mkdir(parents=True, exist_ok=True)
        for _ in range(LOCK_TRIES):
            try:
                fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
                created = True
            except FileExistsError:  # a stale lock of a killed sweep, a running sweep's, or not ours
                try:
                    fd = os.open(self.lock_path, os.O_RDWR)
                except FileNotFoundError:  # removed by a sweep finishing meanwhile: create it
                    continue
                created = False
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                raise SweepBusy(f"{self.shown}: another sweep is writing this file (lock {self.lock_path})") from None
            except OSError as exc:  # a file system without flock (Lustre without -o flock, some NFS)
                os.close(fd)
                if created:
                    _unlink(self.lock_path)
                warnings.warn(f"cannot lock {self.lock_path} (the file system does not support flock: "
                              f"{exc.strerror or exc}): concurrent sweeps on this output are not "
                              "guarded", CimsimWarning, stacklevel=2)
                return self
            if _same_file(fd, self.lock_path):
                break
            # the file locked is no longer the lock path's: a sweep finishing between this open
            # and this flock removed it (and another may have made a new one): lock what is there now
            os.close(fd)
        else:  # pragma: no cover - the lock file replaced LOCK_TRIES times in a row
            raise SweepBusy(f"{self.shown}: another sweep is writing this file (lock {self.lock_path} "
                            "keeps being replaced)")
        if created:
            os.write(fd, LOCK_MAGIC)
            self._lock_owned = True
        else:
            self._lock_owned = os.pread(fd, len(LOCK_MAGIC), 0) == LOCK_MAGIC
        self._lock_fd = fd
        return self

    def __exit__(self, *exc) -> None:
        # a part this process was writing when a signal cut in before atomic_write's own clean-up
        # could run (between its temporary file's creation and its try): no other writer's
        if self.parts_dir.is_dir():
            for tmp in self.parts_dir.glob(f".{PART_PREFIX}{os.getpid()}-*.tmp"):
                _unlink(tmp)
        if self._lock_fd is not None:
            if self._lock_owned:
                try:
                    os.unlink(self.lock_path)
                except OSError:
                    pass
            os.close(self._lock_fd)  # closing releases the flock
            self._lock_fd = None

    def load_stored(self) -> pd.DataFrame:
        """Every row persisted (final file and parts), with the hidden columns ``ROW_VERSION``,
        ``ROW_REVISION`` (who computed it) and ``ROW_SOURCE`` (its file's attrs in
        :attr:`sources`); one per point id and revision: the newest (a part file is newer than
        the final file, which a finished run writes before removing its parts; parts in the
        order they were written), so a point recomputed by an interrupted ``--retry-errors``
        rerun is not shadowed by the final file's older row."""
        frames = []
        sources = []
        if self.output.is_file():  # a device or FIFO (-o /dev/null) holds no earlier rows
            sources.append(self.output)
        if self.parts_dir.is_dir():
            sources.extend(sorted(self.parts_dir.glob(f"{PART_PREFIX}*{PART_SUFFIX}"),
                                  key=_written))
        self.sources = []
        for src in sources:
            try:
                with open(src, "rb") as f:
                    frame = pd.read_parquet(f)
                if src.parent == self.parts_dir and PART_NAME.fullmatch(src.name):
                    self._consumed.append(src)
            except FileNotFoundError:
                continue  # consolidated and removed while we listed
            except Exception as exc:  # noqa: BLE001 - any unreadable file is skipped, its points redone
                warnings.warn(f"{src}: unreadable as Parquet ({' '.join(str(exc).split())}); its "
                              "points will be computed again", CimsimWarning, stacklevel=3)
                continue
            if src == self.output and POINT_ID not in frame.columns:
                check_is_sweep_file(src)  # written meanwhile by someone else: refused
            if POINT_ID not in frame.columns or not len(frame):
                continue
            attrs = dict(frame.attrs)
            frame = frame.astype(object)
            frame[ROW_VERSION] = attrs.get(ATTR_VERSION)
            frame[ROW_REVISION] = attrs.get(ATTR_REVISION)
            frame[ROW_SOURCE] = len(self.sources)
            self.sources.append(attrs)
            frames.append(frame)
        if not frames:
            return pd.DataFrame({c: pd.Series([], dtype=object)
                                 for c in (POINT_ID, ROW_VERSION, ROW_REVISION, ROW_SOURCE)})
        done = pd.concat(frames, ignore_index=True)
        last = ~pd.DataFrame({"p": done[POINT_ID], "r": done[ROW_REVISION].fillna("")}).duplicated(keep="last")
        return done[last].reset_index(drop=True)

    def load_done(self) -> pd.DataFrame:
        """The rows persisted, one per point id (the newest), without the hidden columns."""
        done = self.load_stored().drop(columns=[ROW_VERSION, ROW_REVISION, ROW_SOURCE])
        return done.drop_duplicates(POINT_ID, keep="last").reset_index(drop=True)

    def append(self, rows: Sequence[dict], columns: Sequence[str]) -> None:
        """Persist finished rows as one new part file."""
        if not rows:
            return
        if not self.parts_dir.is_dir():
            try:
                self.parts_dir.mkdir(parents=True)
                (self.parts_dir / PARTS_MARKER).write_bytes(b"")
            except FileExistsError:  # pragma: no cover - created by someone else meanwhile
                pass
        name = f"{PART_PREFIX}{os.getpid()}-{next(self._seq):06d}-{os.urandom(4).hex()}{PART_SUFFIX}"
        frame = rows_to_frame(rows, columns, self.kinds)
        frame.attrs.update(self.attrs)
        write_parquet(frame, self.parts_dir / name)
        self._consumed.append(self.parts_dir / name)

    def finish(self, df: pd.DataFrame, csv: str | Path | None = None) -> None:
        """Write the rows replaced (if any) to their own file, then the final file (and CSV),
        then delete the part files now inside it."""
        if self.replaced is not None and len(self.replaced) and self.replaced_path is not None:
            write_parquet(self.replaced, self.replaced_path)
        write_parquet(df, self.output)
        if csv is not None:
            write_csv(df, csv)
        self._remove_parts()

    def _remove_parts(self) -> None:
        """Delete cimsim's parts and, in a directory cimsim created, its stale temporaries and the directory."""
        for part in self._consumed:
            _unlink(part)
        self._consumed.clear()
        marker = self.parts_dir / PARTS_MARKER
        if not marker.is_file():
            return  # the directory was there before cimsim: keep it and everything else in it
        for leftover in self.parts_dir.iterdir():
            if PART_TEMP.fullmatch(leftover.name):
                _unlink(leftover)
        _unlink(marker)
        try:
            self.parts_dir.rmdir()  # only when empty: files cimsim did not write stay
        except OSError:
            marker.write_bytes(b"")


def _same_file(fd: int, path: Path) -> bool:
    """Whether the open file ``fd`` is still the file at ``path`` (not removed or replaced)."""
    try:
        there = os.stat(path)
    except FileNotFoundError:
        return False
    here = os.fstat(fd)
    return (here.st_dev, here.st_ino) == (there.st_dev, there.st_ino)


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass


def sweep_attrs(params: Iterable = (), configs: dict | None = None,
                workloads: dict | None = None, sampling: dict | None = None,
                workload_params: dict | None = None, workload_groups: dict | None = None) -> dict:
    """A sweep table's ``attrs``: the swept paths and units, the configs and workloads run, how
    its points were chosen (:func:`cimsim.sweep.sampling.sampling_record`), the workload
    parameters that differ between the workloads (``workload_params``: ``{column: unit}``,
    :mod:`cimsim.sweep.shape`) and each workload's generator when there are such columns
    (``workload_groups``: ``{workload: generator}``), and the cimsim (version and model revision) that computed the rows."""
    from ..revision import model_revision, version

    params = list(params)
    attrs: dict = {ATTR_PARAMS: [p.path for p in params],
                   ATTR_UNITS: {p.path: (p.unit or "") for p in params}}
    if workload_params is not None:
        attrs[ATTR_WORKLOAD_PARAMS] = list(workload_params)
        attrs[ATTR_UNITS].update(workload_params)
    if workload_groups is not None:
        attrs[ATTR_WORKLOAD_GROUPS] = {utf8_text(k): v for k, v in workload_groups.items()}
    if configs is not None:  # keyed as the config_file / workload_file cells spell the names
        attrs[ATTR_CONFIGS] = {utf8_text(k): v for k, v in configs.items()}
    if workloads is not None:
        attrs[ATTR_WORKLOADS] = {utf8_text(k): v for k, v in workloads.items()}
    if sampling is not None:
        attrs[ATTR_SAMPLING] = sampling
    attrs[ATTR_VERSION] = version()
    attrs[ATTR_REVISION] = model_revision()
    return attrs


def attach_attrs(df: pd.DataFrame, params: Iterable, configs: dict | None = None,
                 workloads: dict | None = None, sampling: dict | None = None,
                 workload_params: dict | None = None, workload_groups: dict | None = None) -> pd.DataFrame:
    df.attrs.update(sweep_attrs(params, configs, workloads, sampling, workload_params, workload_groups))
    return df


def _written(path: Path) -> tuple[int, str]:
    """Sort key of a part file: when it was written (then its name, which holds the writer's
    sequence number); a file removed meanwhile sorts first (its read is skipped)."""
    try:
        return path.stat().st_mtime_ns, path.name
    except FileNotFoundError:
        return 0, path.name
