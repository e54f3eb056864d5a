"""The run note on a declared link no component uses (placement's notes; find-C 5).

A link carries bytes only for a component that names it (``cim.link``, ``systolic.link``,
``pim.link``, ``collective.link``, a CIM's ``chip_link``: any field of a component's config
whose value is the link's name), or that takes the architecture's only link by default
(:meth:`cimsim.hw.base.Hardware.link_named`), or that appends the KV cache over it
(:meth:`Architecture.cache_holders`). A processor's matmuls use a link only when
``processor.fabric.link`` names it (with a third ``gemm_tile`` entry: a split K reduced over a
mesh between its cores; find-C4 5): the note says so, since a ``0 B`` traffic entry alone would
not say why.
"""

from __future__ import annotations


def _strings(value) -> set[str]:
    """Every string inside ``value`` (a config dumped to dicts and lists)."""
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        return set().union(*map(_strings, value.values())) if value else set()
    if isinstance(value, (list, tuple, set)):
        return set().union(*map(_strings, value)) if value else set()
    return set()


def unused_link_notes(arch) -> list[str]:
    """One note per link of ``arch`` that no component names or takes (module docstring)."""
    links = list(arch.links)
    if not links:
        return []
    used: set[str] = set(arch.cache_holders().values())
    for comp in arch.instances:
        used |= _strings(comp.config.model_dump())
        link = getattr(comp, "link", None)
        if isinstance(link, str):
            used.add(link)
    for name, cfg in arch.links.items():  # a link another link's config names (bonded lanes)
        used |= _strings(cfg.model_dump()) - {name}
    return [f"link '{name}' is named by no component (no cim, systolic, pim or collective block's "
            f"link field, nor processor.fabric.link): it carries nothing in this run, 0 B; a "
            f"processor's matmuls cross it only when named in processor.fabric.link with a third "
            f"gemm_tile entry, a mesh between its cores (README 'Spatial mapping: split K over a "
            f"fabric')"
            for name in links if name not in used]
