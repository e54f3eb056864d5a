"""Provenance of an op run by an FX ``GraphModule`` (``torch.export``'s ``ep.module()``, a
``run_decompositions()`` program, ``torch.fx.symbolic_trace``): its generated ``forward`` calls
no submodule, so the module tracker sees only the root; each FX node's ``nn_module_stack`` (the
module it came from) and ``stack_trace`` (the user's source line) are read instead, through the
generated code's line map (``GraphModule._lineno_map``)."""

from __future__ import annotations

import re
import sys

_FILE_LINE = re.compile(r'File "([^"]+)", line (\d+)')


def frame_node(f):
    """The FX node frame ``f`` runs, where ``f`` is a ``GraphModule``'s generated ``forward``."""
    owner = f.f_locals.get("self")
    lines = getattr(owner, "_lineno_map", None)
    if not lines or not f.f_code.co_filename.startswith("<eval_with_key>"):
        return None
    idx = lines.get(f.f_lineno - (owner._prologue_start or 0))
    if idx is None:
        return None
    # the node list of the graph as compiled (a graph edited and recompile()d is another), cached
    # here, not on the user's module
    key = (id(owner), id(owner.graph), owner.code)
    nodes = _NODES.get(key)
    if nodes is None:
        if len(_NODES) >= 64:
            _NODES.clear()
        nodes = _NODES[key] = list(owner.graph.nodes)
    return nodes[idx] if idx < len(nodes) else None


#: (module, graph, code) -> the graph's nodes in order (:func:`frame_node`)
_NODES: dict[tuple, list] = {}


def fx_node(depth: int):
    """The FX node running, where the innermost module ``forward`` on the stack (from ``depth``
    frames up) is a ``GraphModule``'s; else None (an eager module's: the tracker names it)."""
    f = sys._getframe(depth + 1)
    while f is not None:
        if f.f_code.co_name == "forward" and "self" in f.f_locals:
            return frame_node(f)
        f = f.f_back
    return None


def node_module(node) -> str:
    """The dotted path, from the graph's root, of the module node ``node`` came from ('' none)."""
    stack = node.meta.get("nn_module_stack") if node is not None else None
    return list(stack.values())[-1][0] if stack else ""


def node_line(node, library) -> str:
    """The innermost ``file:line`` of ``node``'s ``stack_trace`` outside the ``library`` markers
    (the user's model code), or ''."""
    trace = node.meta.get("stack_trace") if node is not None else None
    for fn, line in reversed(_FILE_LINE.findall(trace or "")):
        if not any(m in fn for m in library):
            return f"{fn}:{line}"
    return ""
