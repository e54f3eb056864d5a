"""Command line: the ``cimsim`` group. Every command lives in :mod:`cimsim.commands`.

Every error a user can cause prints one line on stderr and exits with status
1 (2 for usage errors), never a traceback. A reader that closes the pipe early
(``cimsim trace -h | head -1``) ends any command quietly: nothing on stderr, exit status
141 (128 + SIGPIPE, what ``seq``, ``cat`` and other Unix tools killed by SIGPIPE report). A
stdout closed from the start (``cimsim run ... --json >&-``) is not a cut output but one that
never had a place: the first thing a command prints there ends it with one line on stderr and
exit status 1, as ``echo hi >&-`` (Python set ``sys.stdout`` to None and dropped every line).
"""

from __future__ import annotations

import errno
import io
import sys
import warnings

import click

from .commands import OneLineGroup, ascii_fallback, broken_pipe as _broken_pipe, one_line_warnings, whole_writes
from .commands.calibrate import calibrate
from .commands.fields import fields
from .commands.plot import plot
from .commands.report import report
from .commands.compare import compare
from .commands.cost import cost
from .commands.run import run
from .commands.sensitivity import sensitivity
from .commands.split import split
from .commands.sweep import sweep
from .commands.trace import trace
from .commands.validate import validate
from .commands.workload import workload
from . import __version__
from .errors import CimsimError, PhysicalPlausibilityWarning, error_line, one_line


class _ClosedStdout(io.TextIOBase):
    """``sys.stdout`` when file descriptor 1 was closed at start (Python leaves None there and
    click and rich then drop every line): writing anything raises ``EBADF``, one line."""

    encoding = "utf-8"

    def writable(self) -> bool:
        return True

    def write(self, text) -> int:
        if text:
            raise OSError(errno.EBADF, "closed (file descriptor 1 was not open when cimsim "
                                       "started), so the output is lost; redirect it to a file "
                                       "or to /dev/null instead of closing it", "stdout")
        return 0


def _hold_fd_1() -> None:
    """Point the free file descriptor 1 at the null device, so that no file cimsim opens (a
    trace, a sweep's lock file) becomes fd 1, which sweep workers would print into."""
    import os

    try:
        fd = os.open(os.devnull, os.O_WRONLY)
    except OSError:  # pragma: no cover - no null device: nothing to hold it with
        return
    if fd != 1:
        os.dup2(fd, 1)
        os.close(fd)


class _Group(OneLineGroup):
    """Turns cimsim's input errors into one-line messages; a closed stdout ends it quietly."""

    def main(self, *args, **kwargs):
        if sys.stdout is None:  # `cimsim ... >&-`: the first line printed says so, exit 1
            sys.stdout = _ClosedStdout()
            _hold_fd_1()
        whole_writes()  # `cimsim fields | head -1`: status 141, not 0 with the table cut
        ascii_fallback()  # PYTHONIOENCODING=ascii: `us`, `mm^2` rather than a traceback
        return super().main(*args, **kwargs)

    def make_context(self, *args, **kwargs):  # `cimsim --help`, `--version`: printed while parsing
        try:
            return super().make_context(*args, **kwargs)
        except OSError as exc:
            if exc.errno != errno.EPIPE:
                raise click.ClickException(_os_error_line(exc)) from None
            _broken_pipe()

    def invoke(self, ctx):
        try:
            with one_line_warnings():  # an installed plug-in refused, ...: one line each
                # the commands print a run's physical notes themselves (`run`'s warning lines,
                # compare's notes, the sweep rows' column): not a second time as warnings
                warnings.filterwarnings("ignore", category=PhysicalPlausibilityWarning)
                return super().invoke(ctx)
        except CimsimError as exc:
            # several errors come one per line: print the first and count the others
            raise click.ClickException(error_line(exc)) from None  # its fields escaped too
        except click.ClickException as exc:  # a command's own error quotes what was typed: one line
            if not isinstance(exc, getattr(click.exceptions, "NoArgsIsHelpError", ())):  # help: as is
                exc.message = one_line(exc.message)
            raise
        except KeyboardInterrupt:  # Ctrl-C: one line and the shell's status, not click's "Aborted!"
            click.echo("interrupted", err=True)
            raise SystemExit(130) from None
        except MemoryError as exc:  # numpy's "Unable to allocate 7.11 PiB ...": sizes, not a bug
            raise click.ClickException(one_line(
                f"out of memory{': ' + str(exc) if str(exc) else ''}: the sizes asked for need more "
                "memory than this machine has; use smaller sizes")) from None
        except OSError as exc:
            if exc.errno == errno.EPIPE:  # stdout closed (`| head`): not the user's file
                _broken_pipe()
            # a file cimsim was told to read or write: one line, no traceback
            raise click.ClickException(_os_error_line(exc)) from None


def _os_error_line(exc: OSError) -> str:
    """``FILE: what went wrong``: an ``OSError`` as one line."""
    where = f"{exc.filename}: " if exc.filename else ""
    return one_line(f"{where}{exc.strerror or exc}")


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(version=__version__, prog_name="cimsim")
def main() -> None:
    """cimsim: latency, energy and utilization of neural workloads on
    processor / memory / near-bank PIM / compute-in-memory / systolic architectures."""


#: every subcommand, in the order `cimsim --help` lists them; each module imports its
#: heavy or optional dependencies (torch, dask) only when it runs
COMMANDS = (run, compare, fields, workload, trace, sweep, sensitivity, split, plot, report, cost, validate, calibrate)
for _command in COMMANDS:
    main.add_command(_command)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
