"""Safe YAML with line numbers: every mapping and sequence remembers the line of each of its items.

`load_all(text)` returns the documents of a (multi-document) YAML text as plain Python values whose
containers are `Map` (a dict) and `Seq` (a list) carrying `line` and `line_of(key)`, so a reader can say
"file.yaml:12" for any value it takes. Only the safe tags are built (no Python objects). An alias bomb
(a few anchors expanding to millions of nodes) is refused: building stops once the expanded document
would exceed `MAX_NODES` nodes, and `YamlRefused` says so.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

# The C composer when libyaml is there (5x faster on a folder of rule files); same nodes and marks.
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
MAX_NODES = 200_000  # a real manifest has hundreds; a billion-laughs file expands to billions
MAX_DOCUMENTS = 2_000


class YamlRefused(ValueError):
    """The text is not YAML we read (syntax error, alias bomb, unsupported tag); the message says why."""


class Map(dict[Any, Any]):
    """A YAML mapping; `line` is its first line (1-based), `line_of(key)` the line of one key."""

    line: int = 0
    lines: dict[Any, int]

    def __init__(self, line: int = 0) -> None:
        super().__init__()
        self.line = line
        self.lines = {}

    def line_of(self, key: Any) -> int:
        return self.lines.get(key, self.line)


class Seq(list[Any]):
    """A YAML sequence; `line_of(index)` is the line of one item."""

    line: int = 0
    lines: list[int]

    def __init__(self, line: int = 0) -> None:
        super().__init__()
        self.line = line
        self.lines = []

    def line_of(self, index: int) -> int:
        return self.lines[index] if 0 <= index < len(self.lines) else self.line


class _Builder:
    def __init__(self) -> None:
        self.count = 0
        self._scalars = yaml.SafeLoader("")  # only its scalar constructors are used

    def build(self, node: Node) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise YamlRefused(f"expands to more than {MAX_NODES} nodes (an alias bomb?); not read")
        line = node.start_mark.line + 1
        if isinstance(node, ScalarNode):
            if node.tag not in _SAFE_SCALARS:
                return node.value  # an unknown tag (!Ref, !!python/...) reads as its text, never as an object
            try:
                value = self._scalars.construct_object(node, deep=True)
            except (yaml.YAMLError, ValueError):
                return node.value
            return value if isinstance(value, (str, int, float, bool)) or value is None else str(value)
        if isinstance(node, SequenceNode):
            seq = Seq(line)
            for item in node.value:
                seq.append(self.build(item))
                seq.lines.append(item.start_mark.line + 1)
            return seq
        if isinstance(node, MappingNode):
            out = Map(line)
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":  # `<<: *defaults` (Compose x- anchors)
                    for source in _merge_sources(value_node):
                        merged = self.build(source)
                        if isinstance(merged, Map):
                            for k, v in merged.items():
                                if k not in out:
                                    out[k] = v
                                    out.lines[k] = merged.line_of(k)
                    continue
                key = self.build(key_node)
                if isinstance(key, (Map, Seq)):
                    key = str(key)
                out[key] = self.build(value_node)
                out.lines[key] = key_node.start_mark.line + 1
            return out
        raise YamlRefused(f"line {line}: unsupported YAML node")


_SAFE_SCALARS = {
    "tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null", "tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:binary",
}


def _merge_sources(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    return [node]


def load_all(text: str) -> list[Any]:
    """Every document of `text`, built with line numbers; raises `YamlRefused` with the reason."""
    builder = _Builder()
    docs: list[Any] = []
    try:
        for node in yaml.compose_all(text, Loader=_LOADER):
            if node is None:
                continue
            if len(docs) >= MAX_DOCUMENTS:
                raise YamlRefused(f"more than {MAX_DOCUMENTS} YAML documents; not read")
            docs.append(builder.build(node))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise YamlRefused(f"{where}not valid YAML ({problem})") from None
    except RecursionError:
        raise YamlRefused("nested too deeply; not read") from None
    return docs


def load(text: str) -> Any:
    """The first document (None for an empty text)."""
    docs = load_all(text)
    return docs[0] if docs else None


def get(node: Any, *path: Any) -> Any:
    """`node[a][b]…`, or None when any step is missing or the wrong type."""
    for key in path:
        if isinstance(node, dict) and key in node:
            node = node[key]
        elif isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
            node = node[key]
        else:
            return None
    return node


def line(node: Any, *path: Any) -> int:
    """The line of `node[a][b]…` (the deepest step that exists)."""
    current = node
    found = getattr(node, "line", 0)
    for key in path:
        if isinstance(current, Map) and key in current:
            found = current.line_of(key)
            current = current[key]
        elif isinstance(current, Seq) and isinstance(key, int) and 0 <= key < len(current):
            found = current.line_of(key)
            current = current[key]
        else:
            break
    return found


def copy(node: Any) -> Any:
    """A deep copy that keeps the line numbers (for readers that transform documents)."""
    if isinstance(node, Map):
        out = Map(node.line)
        for key, value in node.items():
            out[key] = copy(value)
        out.lines = dict(node.lines)
        return out
    if isinstance(node, Seq):
        seq = Seq(node.line)
        seq.extend(copy(v) for v in node)
        seq.lines = list(node.lines)
        return seq
    return node


def mapping(value: Any) -> dict[Any, Any]:
    """`value` when it is a mapping, else an empty one (for optional sections)."""
    return value if isinstance(value, dict) else {}
