"""Command line: the ``cimsim`` group. Every command lives in :mod:`cimsim.commands`.

Every error a user can cause prints one line on stderr and exits with status
1 (2 for usage errors), never a traceback. A reader that closes the pipe early
(``cimsim trace -h | head -1``) ends any command quietly: nothing on stderr, exit status
141 (128 + SIGPIPE, what ``seq``, ``cat`` and other Unix tools killed by SIGPIPE report).
"""

from __future__ import annotations

import errno
import sys

import click

from .commands import OneLineGroup, broken_pipe as _broken_pipe, one_line_warnings
from .commands.calibrate import calibrate
from .commands.fields import fields
from .commands.plot import plot
from .commands.report import report
from .commands.run import compare, run
from .commands.sweep import sweep
from .commands.trace import trace
from .commands.validate import validate
from .commands.workload import workload
from . import __version__
from .errors import CimsimError, one_line


class _Group(OneLineGroup):
    """Turns cimsim's input errors into one-line messages; a closed stdout ends it quietly."""

    def make_context(self, *args, **kwargs):  # `cimsim --help`, `--version`: printed while parsing
        try:
            return super().make_context(*args, **kwargs)
        except OSError as exc:
            if exc.errno != errno.EPIPE:
                raise
            _broken_pipe()

    def invoke(self, ctx):
        try:
            with one_line_warnings():  # an installed plug-in refused, ...: one line each
                return super().invoke(ctx)
        except CimsimError as exc:
            # several errors come one per line: print the first and count the others
            lines = str(exc).split("\n")
            more = (f" (and {len(lines) - 1} more{_where(lines, getattr(exc, 'fields', None))})"
                    if len(lines) > 1 else "")
            raise click.ClickException(one_line(lines[0]) + more) from None
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
            where = f"{exc.filename}: " if exc.filename else ""
            raise click.ClickException(one_line(f"{where}{exc.strerror or exc}")) from None


def _where(lines: list[str], fields: list[str] | None = None) -> str:
    """``": cim.write_energy, cim.endurance"``: the fields the errors after the first name, when
    each says ``SOURCE: FIELD: ...`` with the first's source (so a user fixes them at once);
    ``fields``: a config error's field per line (:func:`cimsim.config.paths.field_of`: a rule
    between a section's fields names the field, ``cim.adc.per_array``, not the section)."""
    src = lines[0].split(": ", 1)[0]
    if not all(ln.startswith(src + ": ") and ln.count(": ") >= 2 for ln in lines[1:]):
        return ""
    named = (fields[1:] if fields is not None and len(fields) == len(lines)
             else [ln.split(": ", 2)[1] for ln in lines[1:]])
    return f": {', '.join(named)}"


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(version=__version__, prog_name="cimsim")
def main() -> None:
    """cimsim: latency, energy and utilization of neural workloads on
    processor / memory / near-bank PIM / compute-in-memory / systolic architectures."""


#: every subcommand, in the order `cimsim --help` lists them; each module imports its
#: heavy or optional dependencies (torch, dask) only when it runs
COMMANDS = (run, compare, fields, workload, trace, sweep, plot, report, validate, calibrate)
for _command in COMMANDS:
    main.add_command(_command)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
