"""``cimsim fields``: every config field with its type, SI unit, default and description."""

from __future__ import annotations

import click

from . import OneLineErrors, console


@click.command("fields", cls=OneLineErrors)
@click.argument("prefix", required=False, default="")
@click.option("-c", "--config", help="List the fields of this config (file or bundled name): its own "
              "memory levels, links and components, instead of the schema's placeholders.")
def fields(prefix: str, config: str | None) -> None:
    """List every config field (dotted path, type or SI unit, default, description).

    PREFIX limits the list, e.g. `cimsim fields cim`. Any of these paths can be
    set with `--set PATH=VALUE` and swept with `cimsim sweep --param PATH=SPEC`.
    Without --config, memory levels and links appear as memory.LEVEL and
    links.LINK, and components under their type name.
    """
    from rich.table import Table

    from .. import bundled
    from ..config import read_yaml
    from ..config.schema import describe_fields
    from ..hw.registry import components

    broken = components.broken()  # a type `run` refuses (e.g. two packages declare it) is
    if prefix.split(".")[0] in broken:  # refused here too, not documented
        raise click.ClickException(broken[prefix.split(".")[0]])
    data = read_yaml(bundled.resolve_config(config)) if config else None
    rows = [f for f in describe_fields(data) if f.path.startswith(prefix)]
    if not rows:
        raise click.ClickException(f"no config field starts with '{prefix}'")
    t = Table(title="config fields", title_justify="left")
    for col in ("path", "type", "default", "description"):
        t.add_column(col, no_wrap=col == "path")
    for f in rows:
        t.add_row(f.path, f.type, f.default or "(required)", f.description)  # markup off: as is
    console(min_width=160).print(t)
