"""Reading a config's YAML: a SafeLoader that refuses duplicate keys and keys that are no
plain name, supports merge keys, reads numbers as YAML 1.2's core schema does, and a bound on the composed node
graph (depth, alias expansion) checked before anything is constructed. :func:`.loader.read_yaml`
uses them."""

from __future__ import annotations

import math
import re
from typing import Any

import yaml

#: deepest nesting a config may have (a real one has 4 levels; this bounds hostile input)
MAX_DEPTH = 32
#: most nodes a config may have once its aliases are expanded (a real one has a few hundred;
#: this bounds YAML alias bombs, small node graphs that expand to billions of values)
MAX_NODES = 100_000


class UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys instead of keeping the last one, and keys that
    are no plain name (a list or mapping as a key: YAML's complex keys). YAML 1.1 merge keys
    (``<<: *anchor``) work: a key the mapping gives itself overrides a merged one, and a key
    given twice in the mapping itself is still refused."""


# Numbers as YAML 1.2's core schema reads them (the README says so), not as YAML 1.1 (PyYAML):
# ``010`` is 10 (1.1: octal 8), ``0o10`` 8, ``0x10`` 16, ``1e12`` a float (1.1: text); ``1:00``
# (1.1: base 60, 60), ``1_000`` and ``0b10`` are text, which a number field refuses. ``--set``
# and ``--param`` read a number's text with :func:`core_number`, the same rules.
_INT = re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")
_FLOAT = re.compile(r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
                    r"|[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$")
_NUMBER_TAGS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")


def core_number(text: str) -> int | float | None:
    """``text`` as a number under YAML 1.2's core schema (``010`` -> 10, ``0o10`` -> 8,
    ``0x10`` -> 16, ``1e3`` -> 1000.0, ``.inf``), or None where that schema reads it as text
    (``1:00``, ``1_000``, ``0b10``, ``1,000``, ``inf``)."""
    if _INT.match(text):
        if text.startswith(("0o", "0x")):
            return int(text[2:], 8 if text[1] == "o" else 16)
        return int(text, 10)
    if _FLOAT.match(text):
        body = text.lstrip("+-").lower()
        sign = -1.0 if text.startswith("-") else 1.0
        return sign * math.inf if body == ".inf" else math.nan if body == ".nan" else float(text)
    return None


def _construct_number(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int | float:
    text = loader.construct_scalar(node)
    value = core_number(text)
    want = int if node.tag == _NUMBER_TAGS[0] else float
    if value is None or want is int and not isinstance(value, int):
        raise yaml.constructor.ConstructorError(
            None, None, f"{text!r} is no YAML 1.2 {want.__name__}", node.start_mark)
    return want(value)


UniqueKeyLoader.yaml_implicit_resolvers = {  # YAML 1.1's int and float resolvers left out
    first: [(tag, rx) for tag, rx in resolvers if tag not in _NUMBER_TAGS]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}
UniqueKeyLoader.add_implicit_resolver(_NUMBER_TAGS[0], _INT, list("-+0123456789"))
UniqueKeyLoader.add_implicit_resolver(_NUMBER_TAGS[1], _FLOAT, list("-+.0123456789"))
for _tag in _NUMBER_TAGS:
    UniqueKeyLoader.add_constructor(_tag, _construct_number)


def load_text(text: str) -> Any:
    """YAML text (a ``--set`` table or list, a ``--param`` value, a config cimsim wrote) read as
    a config file is: :class:`UniqueKeyLoader`, so ``1e1`` is a number everywhere."""
    return yaml.load(text, Loader=UniqueKeyLoader)  # noqa: S506  (a SafeLoader subclass)


def syntax_error(exc: yaml.YAMLError, text: str) -> str:
    """PyYAML's error as one plain line: where (``line 23, column 7``, never its
    ``"<unicode string>"`` and caret snippet, which point at nothing once joined into one line),
    what, and a hint for the usual slips: a tab (YAML indents with spaces), a key indented
    deeper than the keys above it, a ``:`` where no key may start, a key without its ``:``."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or ""
    if mark is None or not problem:
        return " ".join(str(exc).replace('in "<unicode string>", ', "").split())
    lines = text.splitlines()
    line = lines[mark.line] if mark.line < len(lines) else ""
    key = line.strip().split(":", 1)[0].strip()[:40]
    where = f"line {mark.line + 1}, column {mark.column + 1}"
    above = getattr(exc, "context_mark", None)
    at = f"line {above.line + 1}, column {above.column + 1}" if above is not None else ""
    if "'\\t'" in problem or "tab character" in problem:
        return f"line {mark.line + 1}: a tab character; YAML indents with spaces"
    if problem.startswith("expected <block end>"):
        return (f"{where}: {key!r} is indented deeper than the keys above it (the block at {at}), "
                "or a key above it too little; keys of one mapping start in the same column" if key
                else f"{where}: this line is indented differently from the block at {at}")
    if problem == "mapping values are not allowed here":
        return (f"{where}: a ':' where no key can start: this line is indented deeper than the key "
                "above it, or a value holds ': ' (quote it)")
    if problem == "could not find expected ':'":
        return (f"{where}: the key started at {at} has no ':' (each entry is 'key: value'; a "
                "continued line is indented deeper)" if at else f"{where}: a key without ':'")
    context = getattr(exc, "context", None)
    return f"{where}: {problem}" + (f" ({context} at {at})" if context and at else "")


class KeyNotAName(yaml.YAMLError):
    """A complex key (``? [a, b]``): the message says where and what it is."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False):
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue  # `<<: *anchor`: merged below, its keys may be overridden here
        if not isinstance(key_node, yaml.ScalarNode):
            kind = "a list" if isinstance(key_node, yaml.SequenceNode) else "a mapping"
            raise KeyNotAName(f"line {key_node.start_mark.line + 1}: a key must be a plain name "
                               f"(such as cores), not {kind}")
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen[key] = 1
    return loader.construct_mapping(node, deep=deep)  # SafeConstructor's: flattens `<<` first


UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping
)


def graph_error(node: yaml.Node) -> str | None:
    """Why the composed node graph is no config, or None: nested deeper than
    :data:`MAX_DEPTH`, an alias that contains itself, or more than :data:`MAX_NODES` nodes
    once aliases are expanded. Each node is visited once (aliases make the graph a DAG, and
    walking it as a tree takes exponential time): a node met again adds its known expanded
    size and height. The walk stops at the first excess."""
    size: dict[int, int] = {}  # id(node) -> expanded node count, once finished
    height: dict[int, int] = {}  # id(node) -> levels from it to its deepest leaf (1: a leaf)
    on_path = {id(node)}
    stack = [(node, iter(_children(node)))]
    too_deep = f"nested deeper than {MAX_DEPTH} levels; not a cimsim config"
    while stack:
        n, children = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            on_path.discard(id(n))
            kids = _children(n)
            size[id(n)] = 1 + sum(size[id(c)] for c in kids)
            height[id(n)] = 1 + max((height[id(c)] for c in kids), default=0)
            if size[id(n)] > MAX_NODES:
                return (f"its aliases expand to more than {MAX_NODES:,} keys and values (an alias bomb?); "
                        "not a cimsim config")
            continue
        if id(child) in size:  # met before (an alias): its size counts again, unvisited
            if len(stack) + height[id(child)] > MAX_DEPTH:
                return too_deep
            continue
        if id(child) in on_path:
            return "an alias contains itself; not a cimsim config"
        if len(stack) >= MAX_DEPTH:
            return too_deep
        on_path.add(id(child))
        stack.append((child, iter(_children(child))))
    return None


def _children(n: yaml.Node) -> list[yaml.Node]:
    if isinstance(n, yaml.MappingNode):
        return [x for kv in n.value for x in kv]
    if isinstance(n, yaml.SequenceNode):
        return list(n.value)
    return []
