"""``cimsim fields``: every config field with its type, SI unit, default and description; with
``-c CONFIG`` (and ``--set``), also the value that config uses and where it came from."""

from __future__ import annotations

import click

from ..errors import CimsimError, error_line, one_line
from . import OneLineErrors, console
from .run import overrides, set_option


@click.command("fields", cls=OneLineErrors)
@click.argument("prefix", required=False, default="")
@click.option("-c", "--config", help="List the fields of this config (file or bundled name): its own "
              "memory levels, links and components, instead of the schema's placeholders, "
              "with the value it uses and its source (file, --set, derived, default).")
@set_option
def fields(prefix: str, config: str | None, sets: tuple[str, ...]) -> None:
    """List every config field (dotted path, type or SI unit, default, description).

    PREFIX limits the list, e.g. `cimsim fields cim`. Any of these paths can be
    set with `--set PATH=VALUE` and swept with `cimsim sweep --param PATH=SPEC`.
    Without --config, memory levels and links appear as memory.LEVEL and
    links.LINK, and components under their type name. With --config, two more
    columns say what that design uses: `value` (with --set applied; a number the
    circuit models derive, e.g. a derived CIM's ADC energy, with its value) and
    `source` (file, --set, derived or default; `, placeholder` where the run's
    provenance says placeholder). A config that does not load (a required
    field missing, a value out of its domain) still gets its table, without
    those two columns, and one `note:` line with the loader's error.
    """
    from rich.table import Table

    from .. import bundled
    from ..config import load_architecture, read_yaml
    from ..config.loader import apply_overrides
    from ..config.resolved import resolved_values
    from ..config.schema import describe_fields
    from ..hw.registry import components

    broken = components.broken()  # a type `run` refuses (e.g. two packages declare it) is
    if prefix.split(".")[0] in broken:  # refused here too, not documented
        raise click.ClickException(broken[prefix.split(".")[0]])
    if sets and not config:
        raise click.UsageError("--set needs -c CONFIG: the values it sets are that config's")
    path = bundled.resolve_config(config) if config else None
    data = read_yaml(path) if config else None
    ov = overrides(sets)
    shown = apply_overrides(data, ov, source=str(path), cli=True) if ov else data
    rows = [f for f in describe_fields(shown) if f.path.startswith(prefix)]
    if not rows:
        raise click.ClickException(f"no config field starts with '{one_line(prefix)}'")
    values, title, failed = {}, "config fields", None
    if config:
        try:
            arch = load_architecture(path, ov, cli=True)
        except CimsimError as exc:
            if ov and _loads(path):  # the file loads: a --set is what is wrong, refused as a run
                raise
            failed = error_line(exc)  # the table still answers "what may this config hold?"
            title += f" of {path}"
        else:
            values = resolved_values(arch, data, ov, [f.path for f in rows])
            title += f" of {arch.name}"
    t = Table(title=title, title_justify="left")
    valued = config and failed is None
    for col in ("path", "type", *(("value", "source") if valued else ()), "default", "description"):
        t.add_column(col, no_wrap=col == "path")
    for f in rows:  # markup off: as is
        v = values.get(f.path)
        t.add_row(f.path, f.type, *((v.value, v.source) if v else ()), f.default or "(required)",
                  f.description)
    console(min_width=160).print(t)
    if failed:  # stderr, so that `| grep` on the table still shows why its values are missing
        click.echo(f"note: no value and source columns: the config does not load: {failed}",
                   err=True)


def _loads(path) -> bool:
    """Whether the config file ``path`` loads as it is (no ``--set``)."""
    from ..config import load_architecture

    try:
        load_architecture(path, cli=True)
    except CimsimError:
        return False
    return True
