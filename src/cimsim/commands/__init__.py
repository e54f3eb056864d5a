"""CLI subcommands that live in their own modules (registered in :mod:`cimsim.cli`)."""

from __future__ import annotations

import contextlib
import errno
import io
import os
import sys
import warnings
from pathlib import Path

import click

#: exit status of a command whose stdout was closed under it: 128 + SIGPIPE (13)
BROKEN_PIPE_STATUS = 141


def broken_pipe() -> None:
    """Stdout's reader is gone: point stdout at /dev/null (so the interpreter's last flush
    cannot fail and print "Exception ignored ... BrokenPipeError") and exit 141, saying
    nothing (the Python documentation's recipe for SIGPIPE)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no real file descriptor (a test runner's capture)
        pass
    raise SystemExit(BROKEN_PIPE_STATUS)


class _WholeWrites(io.BufferedIOBase):
    """A binary stdout whose ``write`` writes every byte or raises. Under ``PYTHONUNBUFFERED=1``
    (set in many CI runners and containers) Python's stdout hands a large text (rich's 207 kB
    ``fields`` table, a run's JSON) to one ``write(2)``; when the reader leaves in the middle
    that call returns short, the text layer drops the rest and no ``BrokenPipeError`` comes,
    so the command exited 0 with its output cut. Writing on after a short write meets
    ``EPIPE``."""

    def __init__(self, buffer):
        super().__init__()
        self._buffer = buffer

    def write(self, data) -> int:
        view = memoryview(data).cast("B")
        done = 0
        while done < len(view):
            n = self._buffer.write(view[done:])
            if not n:  # a non-blocking descriptor that is full: as the buffered writer says
                raise BlockingIOError(errno.EAGAIN, "stdout: write would block", done)
            done += n
        return done

    def flush(self) -> None:
        self._buffer.flush()

    def fileno(self) -> int:
        return self._buffer.fileno()

    def isatty(self) -> bool:
        return self._buffer.isatty()

    def writable(self) -> bool:
        return True


def whole_writes() -> None:
    """Make ``sys.stdout`` write all of a large text or raise ``BrokenPipeError``
    (:class:`_WholeWrites`), so a reader that leaves (``cimsim fields | head -1``) ends every
    command with status 141, not 0 with the output cut. Python's own stdout only (not a test's
    capture, and once)."""
    out = sys.stdout
    if os.name != "posix" or type(out) is not io.TextIOWrapper or type(out.buffer) not in (
            io.BufferedWriter, io.FileIO):  # FileIO: PYTHONUNBUFFERED=1 (CI, containers)
        return
    out.flush()
    sys.stdout = io.TextIOWrapper(_WholeWrites(out.buffer), encoding=out.encoding, errors=out.errors,
                                  newline="\n", line_buffering=out.line_buffering,
                                  write_through=out.write_through)


def cannot_write(path, exc: OSError) -> click.ClickException:
    """``cannot write PATH: why``, one line, for an output that failed. A reader that left the
    pipe or FIFO written into (``-o`` a named pipe read by ``head -c 20``, EPIPE) is not an error
    of the file: ``exc`` is raised again, and the CLI ends quietly with status 141 as for stdout."""
    if exc.errno == errno.EPIPE:
        raise exc
    return click.ClickException(f"cannot write {path}: {exc.strerror or exc}")


def full_path(path) -> Path:
    """``path`` as an absolute path (``..`` folded, symlinks kept): what every "wrote" line shows."""
    return Path(os.path.abspath(path))


def new_folder(path, made_by=None) -> Path | None:
    """The outermost folder that writing the file ``path`` creates (its missing parents), or
    None when its folder exists. Call it before writing; ``made_by``: a file written first,
    whose folders then exist."""
    before = set(full_path(made_by).parents) if made_by is not None else set()
    missing = None
    for folder in full_path(path).parents:  # nearest first
        if folder.exists() or folder in before:
            break
        missing = folder
    return missing


def new_output(path, made_by=None) -> Path | None:
    """:func:`new_folder` of an output file ``-o path``, refused first (one line naming ``-o``)
    where it cannot be written: under a file, a folder, a read-only place."""
    from ..atomic import check_writable

    check_writable(path, "-o")
    return new_folder(path, made_by)


def created(folder: Path | None) -> str:
    """`` (created FOLDER)`` after a "wrote" line when writing made ``folder``, else ``""``."""
    return f" (created {folder})" if folder is not None else ""


@contextlib.contextmanager
def one_line_warnings():
    """Python warnings raised meanwhile print as ``warning: MESSAGE``, one line on stderr,
    without the category and the source line Python's own format adds."""
    from ..errors import one_line

    def show(message, category, filename, lineno, file=None, line=None):
        click.echo(f"warning: {one_line(' '.join(str(message).split()))}", err=True)

    with warnings.catch_warnings():
        warnings.showwarning = show
        yield


class OneLineUsageError(click.ClickException):
    """A usage error printed as one line; exits with click's usage status, 2."""

    exit_code = 2


class OneLineErrors(click.Command):
    """Bad command lines (unknown option, missing value) print one line, not a usage block; so
    do the usage errors a command's body raises (``click.UsageError``: options that go
    together)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:
            opts = sorted(o for p in self.params if not getattr(p, "hidden", False)
                          for o in p.opts if o.startswith("--"))
            raise OneLineUsageError(
                f"{ctx.command_path}: {exc.format_message()} (its options: {', '.join(opts)})"
            ) from None

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            raise OneLineUsageError(f"{ctx.command_path}: {exc.format_message()}") from None


class OneLineGroup(click.Group):
    """A group whose bad command lines (unknown option, unknown command) print one line naming
    its commands; without a command it prints its help, as click's groups do."""

    command_class = OneLineErrors

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.exceptions.NoArgsIsHelpError:
            raise
        except click.UsageError as exc:
            raise OneLineUsageError(f"{ctx.command_path}: {exc.format_message()} "
                                    f"({self._commands(ctx)})") from None

    def resolve_command(self, ctx: click.Context, args: list[str]):
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError as exc:
            raise OneLineUsageError(f"{ctx.command_path}: {exc.format_message()} "
                                    f"({self._commands(ctx)})") from None

    def _commands(self, ctx: click.Context) -> str:
        return f"its commands: {', '.join(self.list_commands(ctx))}"


def console(min_width: int = 120):
    """A rich console of at least ``min_width`` columns off a terminal (rich assumes 80), unless
    ``COLUMNS`` names a width: then that width, as on a terminal. Markup is off: text in square
    brackets (``pip install 'cimsim[accuracy]'``, a name) prints as it is; style with
    :class:`rich.text.Text`. Off a terminal, lines carry no trailing spaces."""
    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self) -> None:  # rich's own exits 1; every command exits 141
            broken_pipe()

        def _render_buffer(self, buffer) -> str:
            # off a terminal no line ends in spaces: a grid pads each row to the console's
            # width (`run`'s summary: 120 columns), which a CI log kept and diff flagged
            text = super()._render_buffer(buffer)
            if self.is_terminal:
                return text
            return "\n".join(line.rstrip(" ") for line in text.split("\n"))

    probe = _Console(markup=False)
    if probe.is_terminal or os.environ.get("COLUMNS", "").strip().isdigit():
        return probe
    return _Console(width=max(min_width, probe.width), markup=False)


def unbroken(text: str):
    """A rich table cell that wraps at spaces but never between a number and its unit
    (:func:`cimsim.report.format.keep_units`): rich wraps at any whitespace, a no-break space
    too, so ``processor_busy 87.5 %`` in a narrow column left its ``%`` on the next line. Each
    no-break space wraps as a letter would, and prints as a space."""
    from rich.measure import Measurement
    from rich.text import Text

    from ..report.format import NBSP, keep_units

    glue = "\ue000"  # a private-use character: one cell wide, not whitespace to rich

    class _Unbroken(Text):
        def _glued(self) -> Text:
            return Text(self.plain.replace(NBSP, glue), style=self.style)

        def __rich_measure__(self, console, options) -> Measurement:
            return self._glued().__rich_measure__(console, options)

        def wrap(self, console, width, **kwargs):
            lines = self._glued().wrap(console, width, **kwargs)
            for line in lines:
                line.plain = line.plain.replace(glue, " ")
            return lines

    return _Unbroken(keep_units(text))


#: what a character an ASCII (or Latin-1 ...) stdout cannot encode prints as, beside the
#: decomposition :func:`ascii_fallback` tries first (``é`` → ``e``): unit prefixes and powers as
#: typed (``µs`` → ``us``, ``mm²`` → ``mm^2``, as :mod:`cimsim.units` reads them back)
ASCII_SPELLING = {"µ": "u", "μ": "u", "²": "^2", "³": "^3", "×": "x", "·": "*", "→": "->",
                  "←": "<-", "≤": "<=", "≥": ">=", "≈": "~", "±": "+/-", "…": "...", "–": "-",
                  "—": "--", "\u00a0": " ", "Ω": "ohm", "°": " deg", "‘": "'", "’": "'",
                  "“": '"', "”": '"'}


def _spell_in_ascii(exc: UnicodeError):
    """A codec error handler: the characters the stream's encoding lacks, spelled in ASCII
    (:data:`ASCII_SPELLING`, else their decomposition without accents, else ``?``)."""
    import unicodedata

    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    out = []
    for ch in exc.object[exc.start:exc.end]:
        spelled = ASCII_SPELLING.get(ch)
        if spelled is None:
            spelled = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode() or "?"
        out.append(spelled)
    return "".join(out), exc.end


def ascii_fallback() -> None:
    """A stdout or stderr whose encoding cannot write cimsim's text (``PYTHONIOENCODING=ascii``,
    a Latin-1 console: ``µs``, ``mm²``, ``≥``) spells those characters in ASCII (``us``,
    ``mm^2``, ``>=``) instead of ending the command with a ``UnicodeEncodeError`` traceback. A
    UTF-8 stream, or one given an error handler of its own (``PYTHONIOENCODING=ascii:replace``),
    is left as it is; the C / POSIX locale's ``surrogateescape`` is Python's, not the user's."""
    import codecs

    try:
        codecs.lookup_error("cimsim-ascii")
    except LookupError:
        codecs.register_error("cimsim-ascii", _spell_in_ascii)
    for stream, default in ((sys.stdout, "strict"), (sys.stderr, "backslashreplace")):
        encoding = getattr(stream, "encoding", None)
        # Python's own handlers: its default for the stream, and surrogateescape, which it
        # gives stdout under a C / POSIX locale (an ASCII console, not a choice of the user's)
        if not encoding or getattr(stream, "errors", None) not in ("strict", default, "surrogateescape"):
            continue
        try:
            "µ²×≥→\u00a0".encode(encoding)
            continue  # it writes them all
        except (UnicodeEncodeError, LookupError):
            pass
        try:
            stream.reconfigure(errors="cimsim-ascii")
        except (AttributeError, ValueError, OSError):  # not a TextIOWrapper (a test's capture)
            pass


def pair_error(exc, inputs: dict, set_by: dict):
    """``compare``'s and ``report``'s error of one config x workload pair (``exc.run``,
    :func:`cimsim.studies.runs`), as ``run`` says it and naming which config ran which workload:
    ``examples/edge-cim.yaml: edge-cim running llm-...: processor ...`` (final read 22-2 3); ``set_by``: the ``--set`` overrides."""
    from ..config.origin import origin
    from ..errors import OverflowInputError

    arch, wl = exc.run
    path = inputs["configs"].get(arch.name, {}).get("path") or arch.name
    field = getattr(exc, "field", None)
    text = f"{origin(path, set_by, field)}{arch.name} running {wl.name}: {exc}"
    return OverflowInputError(text, field) if isinstance(exc, OverflowInputError) else type(exc)(text)


def is_workload_file(path) -> bool:
    """A ``.npz`` file, or a JSON object with an ``ops`` list: a workload, not a config."""
    if str(path).endswith(".npz"):
        return True
    try:
        with open(path, "rb") as f:
            head = f.read(1 << 16)
    except OSError:
        return False
    return b'cimsim-workload' in head or (b'"ops"' in head and b'"tensors"' in head)


def csv_name(value: Path | None) -> Path | None:
    """compare -o writes CSV: a name that says otherwise (out.xlsx, out.parquet) is refused."""
    if value is not None and value.suffix.lower() != ".csv":
        raise click.BadParameter(f"'{value}': compare writes CSV; name the file .csv")
    return value
