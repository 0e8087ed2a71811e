"""A static renderer for Helm's Go templates: enough of text/template and sprig to read a chart
without a `helm` binary or a cluster.

`render(text, root, defines)` returns the output and, for each output line, the template line it came
from (so a value read from the rendered YAML is reported at its template line). Values only known at
install time (`.Release.Name`, `.Release.Namespace`, `lookup`, random and time functions) render as a
marked placeholder (`partial.unresolved()` is true for it) and never become a name. A construct this
renderer does not know raises `Unsupported`, and the caller skips the file with that reason.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import yaml

from agent.service.discover.partial import UNRESOLVED_CLOSE, UNRESOLVED_OPEN

MAX_OUTPUT = 2_000_000
MAX_STEPS = 200_000
MAX_DEPTH = 40


class Unsupported(ValueError):
    """The template uses something this renderer does not do; the message says what."""


@dataclass(frozen=True)
class Unknown:
    """A value only known at install time."""

    what: str

    def __str__(self) -> str:
        return f"{UNRESOLVED_OPEN}{self.what}{UNRESOLVED_CLOSE}"


class Files:
    """`.Files`: the chart's own files, read-only."""

    def __init__(self, read: Callable[[str], str | None]) -> None:
        self._read = read

    def call(self, method: str, args: list[Any]) -> Any:
        if method == "Get" and args:
            return self._read(str(args[0])) or ""
        return Unknown(f".Files.{method}")


class APIVersions:
    def call(self, method: str, args: list[Any]) -> Any:
        return True if method == "Has" else Unknown(f".Capabilities.APIVersions.{method}")


# --- lexing --------------------------------------------------------------------------------------

@dataclass
class _Tok:
    kind: str  # "text" or "action"
    value: str
    line: int


def _lex(text: str) -> list[_Tok]:
    out: list[_Tok] = []
    pos = 0
    line = 1
    trim_next = False
    while pos < len(text):
        start = text.find("{{", pos)
        if start < 0:
            chunk = text[pos:]
            if trim_next:
                stripped = chunk.lstrip()
                line += chunk[: len(chunk) - len(stripped)].count("\n")
                chunk = stripped
            out.append(_Tok("text", chunk, line))
            break
        chunk = text[pos:start]
        chunk_line = line
        line_after_chunk = line + chunk.count("\n")
        if trim_next:
            stripped = chunk.lstrip()
            chunk_line += chunk[: len(chunk) - len(stripped)].count("\n")
            chunk = stripped
        trim_left = text.startswith("{{-", start) and start + 3 < len(text) and text[start + 3] in " \t\r\n"
        if trim_left:
            chunk = chunk.rstrip()
        if chunk:
            out.append(_Tok("text", chunk, chunk_line))
        line = line_after_chunk
        body_start = start + (3 if trim_left else 2)
        end = _action_end(text, body_start)
        if end < 0:
            raise Unsupported(f"line {line}: '{{{{' without a closing '}}}}'")
        body = text[body_start:end]
        trim_next = body.endswith("-") and (len(body) < 2 or body[-2] in " \t\r\n")
        if trim_next:
            body = body[:-1]
        stripped_body = body.strip()
        if not (stripped_body.startswith("/*") and stripped_body.endswith("*/")):
            out.append(_Tok("action", stripped_body, line))
        line += text[start:end + 2].count("\n")
        pos = end + 2
    return out


def _action_end(text: str, pos: int) -> int:
    """The index of the `}}` closing the action that starts at `pos` (quotes and comments skipped)."""
    i = pos
    while i < len(text):
        ch = text[i]
        if text.startswith("/*", i):
            close = text.find("*/", i + 2)
            if close < 0:
                return -1
            i = close + 2
            continue
        if ch in "\"'`":
            i = _skip_quoted(text, i)
            continue
        if text.startswith("}}", i):
            return i
        i += 1
    return -1


def _skip_quoted(text: str, i: int) -> int:
    quote = text[i]
    i += 1
    while i < len(text):
        if text[i] == "\\" and quote != "`":
            i += 2
            continue
        if text[i] == quote:
            return i + 1
        i += 1
    return i


# --- parsing -------------------------------------------------------------------------------------

@dataclass
class _Node:
    kind: str  # text, action, if, range, with, template, define
    line: int
    text: str = ""
    pipe: str = ""
    branches: list[tuple[str, list[_Node]]] = field(default_factory=list)  # if / else if
    body: list[_Node] = field(default_factory=list)
    otherwise: list[_Node] = field(default_factory=list)
    name: str = ""


_KEYWORD = re.compile(r"^(if|else\s+if|else\s+with|else|end|range|with|define|template|block|break|continue)\b\s*(.*)$",
                      re.S)


def _parse(tokens: list[_Tok], defines: dict[str, list[_Node]]) -> list[_Node]:
    pos = 0

    def block(stop: tuple[str, ...]) -> tuple[list[_Node], str, str]:
        nonlocal pos
        nodes: list[_Node] = []
        while pos < len(tokens):
            tok = tokens[pos]
            pos += 1
            if tok.kind == "text":
                nodes.append(_Node("text", tok.line, text=tok.value))
                continue
            m = _KEYWORD.match(tok.value)
            word = re.sub(r"\s+", " ", m.group(1)) if m else ""
            rest = m.group(2).strip() if m else ""
            if word in stop:
                return nodes, word, rest
            if word in ("end", "else", "else if", "else with"):
                raise Unsupported(f"line {tok.line}: unexpected {{{{ {word} }}}}")
            if word == "if" or word == "with":
                node = _Node(word, tok.line)
                cond = rest
                while True:
                    body, ended, tail = block(("else", "else if", "else with", "end"))
                    node.branches.append((cond, body))
                    if ended in ("else if", "else with"):
                        cond = tail
                        continue
                    if ended == "else":
                        node.otherwise, _, _ = block(("end",))
                    break
                nodes.append(node)
            elif word == "range":
                node = _Node("range", tok.line, pipe=rest)
                node.body, ended, _ = block(("else", "end"))
                if ended == "else":
                    node.otherwise, _, _ = block(("end",))
                nodes.append(node)
            elif word in ("define", "block"):
                name_match = re.match(r'"([^"]*)"\s*(.*)$', rest, re.S)
                if not name_match:
                    raise Unsupported(f"line {tok.line}: {word} without a quoted name")
                body, _, _ = block(("end",))
                defines[name_match.group(1)] = body
                if word == "block":
                    nodes.append(_Node("template", tok.line, name=name_match.group(1),
                                       pipe=name_match.group(2) or "."))
            elif word == "template":
                name_match = re.match(r'"([^"]*)"\s*(.*)$', rest, re.S)
                if not name_match:
                    raise Unsupported(f"line {tok.line}: template without a quoted name")
                nodes.append(_Node("template", tok.line, name=name_match.group(1), pipe=name_match.group(2)))
            elif word in ("break", "continue"):
                raise Unsupported(f"line {tok.line}: {{{{ {word} }}}} is not read statically")
            else:
                nodes.append(_Node("action", tok.line, pipe=tok.value))
        if stop:
            raise Unsupported(f"missing {{{{ end }}}} (expected one of {', '.join(stop)})")
        return nodes, "", ""

    nodes, _, _ = block(())
    return nodes


def parse_defines(text: str, defines: dict[str, list[_Node]]) -> None:
    """Collect the `define`s of a helpers file (`_helpers.tpl`)."""
    _parse(_lex(text), defines)


# --- pipelines -----------------------------------------------------------------------------------

_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<str>"(?:[^"\\]|\\.)*"|`[^`]*`)
  | (?P<char>'(?:[^'\\]|\\.)')
  | (?P<num>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|0x[0-9a-fA-F]+)
  | (?P<assign>:=|=)
  | (?P<punct>[()|,])
  | (?P<var>\$[A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)
  | (?P<field>(?:\.[A-Za-z0-9_]+)+|\.)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)
""", re.X)


def _tokens(text: str, line: int) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise Unsupported(f"line {line}: cannot read {text[pos:pos + 20]!r}")
        pos = m.end()
        kind = m.lastgroup or ""
        if kind != "ws":
            out.append((kind, m.group(0)))
    return out


class _Renderer:
    def __init__(self, root: dict[str, Any], defines: dict[str, list[_Node]]) -> None:
        self.root = root
        self.defines = defines
        self.steps = 0
        self.depth = 0
        self.parts: list[str] = []
        self.line_map: list[int] = []
        self.at_line_start = True
        self.size = 0

    # output with line mapping
    def emit(self, text: str, line: int, literal: bool) -> None:
        """Write `text`; literal text advances the template line at each newline, an action's output
        (a toYaml block) keeps the action's line."""
        if not text:
            return
        self.size += len(text)
        if self.size > MAX_OUTPUT:
            raise Unsupported(f"renders to more than {MAX_OUTPUT // 1000} KB")
        for index, piece in enumerate(text.split("\n")):
            if index:
                if self.at_line_start:
                    self.line_map.append(line)  # the line that just ended was empty
                self.parts.append("\n")
                self.at_line_start = True
                if literal:
                    line += 1
            if piece:
                if self.at_line_start:
                    self.line_map.append(line)
                    self.at_line_start = False
                self.parts.append(piece)

    def run(self, nodes: list[_Node], dot: Any, scope: dict[str, Any]) -> None:
        for node in nodes:
            self.steps += 1
            if self.steps > MAX_STEPS:
                raise Unsupported("too many template steps (a loop over a large range?)")
            if node.kind == "text":
                self.emit(node.text, node.line, literal=True)
            elif node.kind == "action":
                value = self.pipeline(node.pipe, dot, scope, node.line)
                if not _is_assignment(node.pipe):
                    self.emit(_print(value), node.line, literal=False)
            elif node.kind == "if":
                for cond, body in node.branches:
                    if truthy(self.pipeline(cond, dot, scope, node.line)):
                        self.run(body, dot, dict(scope))
                        break
                else:
                    self.run(node.otherwise, dot, dict(scope))
            elif node.kind == "with":
                for cond, body in node.branches:
                    value = self.pipeline(cond, dot, scope, node.line)
                    if truthy(value):
                        self.run(body, value, dict(scope))
                        break
                else:
                    self.run(node.otherwise, dot, dict(scope))
            elif node.kind == "range":
                self.range(node, dot, scope)
            elif node.kind == "template":
                self.emit(self.include(node.name, self.pipeline(node.pipe or ".", dot, scope, node.line)
                                       if node.pipe else None, node.line), node.line, literal=False)

    def range(self, node: _Node, dot: Any, scope: dict[str, Any]) -> None:
        m = re.match(r"^(\$\w*)\s*(?:,\s*(\$\w*)\s*)?:=\s*(.*)$", node.pipe, re.S)
        names: list[str] = []
        pipe = node.pipe
        if m:
            names = [n for n in (m.group(1), m.group(2)) if n]
            pipe = m.group(3)
        value = self.pipeline(pipe, dot, scope, node.line)
        items: list[tuple[Any, Any]]
        if isinstance(value, dict):
            items = [(k, value[k]) for k in sorted(value, key=str)]
        elif isinstance(value, (list, tuple)):
            items = list(enumerate(value))
        elif isinstance(value, int) and not isinstance(value, bool):
            items = [(i, i) for i in range(min(value, 1000))]
        elif isinstance(value, Unknown):
            raise Unsupported(f"line {node.line}: range over {value.what}, known only at install time")
        else:
            items = []
        if not items:
            self.run(node.otherwise, dot, dict(scope))
            return
        for key, item in items:
            inner = dict(scope)
            if len(names) == 1:
                inner[names[0]] = item
            elif len(names) == 2:
                inner[names[0]], inner[names[1]] = key, item
            self.run(node.body, item, inner)

    def include(self, name: str, dot: Any, line: int) -> str:
        body = self.defines.get(name)
        if body is None:
            raise Unsupported(f"line {line}: template {name!r} is not defined in the chart")
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise Unsupported(f"line {line}: templates include each other too deeply")
        saved = (self.parts, self.line_map, self.at_line_start)
        self.parts, self.line_map, self.at_line_start = [], [], True
        try:
            self.run(body, dot, {"$": self.root})
            return "".join(self.parts)
        finally:
            self.parts, self.line_map, self.at_line_start = saved
            self.depth -= 1

    # --- evaluation ---------------------------------------------------------------------------
    def pipeline(self, text: str, dot: Any, scope: dict[str, Any], line: int) -> Any:
        toks = _tokens(text, line)
        if len(toks) >= 2 and toks[0][0] == "var" and toks[1][0] == "assign":
            value = self._pipe(toks[2:], dot, scope, line)
            scope[toks[0][1]] = value
            return value
        return self._pipe(toks, dot, scope, line)

    def _pipe(self, toks: list[tuple[str, str]], dot: Any, scope: dict[str, Any], line: int) -> Any:
        commands: list[list[tuple[str, str]]] = [[]]
        depth = 0
        for tok in toks:
            if tok == ("punct", "(") :
                depth += 1
            elif tok == ("punct", ")"):
                depth -= 1
            if tok == ("punct", "|") and depth == 0:
                commands.append([])
            else:
                commands[-1].append(tok)
        value: Any = _NOTHING
        for command in commands:
            value = self._command(command, dot, scope, line, value)
        return None if value is _NOTHING else value

    def _command(self, toks: list[tuple[str, str]], dot: Any, scope: dict[str, Any], line: int, piped: Any) -> Any:
        args: list[Any] = []
        i = 0
        head: tuple[str, str] | None = toks[0] if toks else None
        if head is None:
            raise Unsupported(f"line {line}: empty command")
        # a function call: ident args...
        if head[0] == "ident" and head[1] not in ("true", "false", "nil"):
            i = 1
            while i < len(toks):
                value, i = self._operand(toks, i, dot, scope, line)
                args.append(value)
            if piped is not _NOTHING:
                args.append(piped)
            return self.call(head[1], args, dot, line)
        # a method call on a field chain: .Files.Get "x"
        if head[0] == "field" and len(toks) > 1:
            target, method = head[1].rsplit(".", 1)
            obj = self.field(dot, target, line) if target else dot
            if isinstance(obj, (Files, APIVersions)):
                i = 1
                while i < len(toks):
                    value, i = self._operand(toks, i, dot, scope, line)
                    args.append(value)
                return obj.call(method, args)
        value, i = self._operand(toks, 0, dot, scope, line)
        if i != len(toks):
            raise Unsupported(f"line {line}: cannot read {' '.join(t[1] for t in toks)!r}")
        return value

    def _operand(self, toks: list[tuple[str, str]], i: int, dot: Any, scope: dict[str, Any],
                 line: int) -> tuple[Any, int]:
        kind, text = toks[i]
        if kind == "punct" and text == "(":
            depth, j = 1, i + 1
            while j < len(toks) and depth:
                if toks[j] == ("punct", "("):
                    depth += 1
                elif toks[j] == ("punct", ")"):
                    depth -= 1
                j += 1
            inner = toks[i + 1:j - 1]
            value = self._pipe(inner, dot, scope, line)
            # (expr).Field
            if j < len(toks) and toks[j][0] == "field" and toks[j][1] != ".":
                value = self.field(value, toks[j][1], line)
                j += 1
            return value, j
        if kind == "str":
            return (json.loads(text) if text.startswith('"') else text[1:-1]), i + 1
        if kind == "char":
            return ord(json.loads('"' + text[1:-1] + '"')), i + 1
        if kind == "num":
            return (int(text, 0) if re.fullmatch(r"-?\d+|0x[0-9a-fA-F]+", text) else float(text)), i + 1
        if kind == "ident":
            if text in ("true", "false"):
                return text == "true", i + 1
            if text == "nil":
                return None, i + 1
            return self.call(text, [], dot, line), i + 1
        if kind == "field":
            return (dot if text == "." else self.field(dot, text, line)), i + 1
        if kind == "var":
            name, _, rest = text.partition(".")
            if name == "$":
                base = self.root
            elif name in scope:
                base = scope[name]
            else:
                raise Unsupported(f"line {line}: variable {name} is not set")
            return (self.field(base, "." + rest, line) if rest else base), i + 1
        raise Unsupported(f"line {line}: unexpected {text!r}")

    def field(self, value: Any, chain: str, line: int) -> Any:
        for part in chain.strip(".").split("."):
            if not part:
                continue
            if isinstance(value, Unknown):
                return Unknown(f"{value.what}.{part}")
            if isinstance(value, dict):
                value = value.get(part)
            elif value is None:
                return None
            else:
                raise Unsupported(f"line {line}: .{part} of a {type(value).__name__}")
        return value

    def call(self, name: str, args: list[Any], dot: Any, line: int) -> Any:
        if name in ("include", "template"):
            if not args:
                raise Unsupported(f"line {line}: include without a name")
            return self.include(str(args[0]), args[1] if len(args) > 1 else None, line)
        if name == "tpl":
            if len(args) < 2 or not isinstance(args[0], str):
                return Unknown("tpl")
            return render_inner(args[0], args[1], self)
        fn = FUNCTIONS.get(name)
        if fn is None:
            if name in UNKNOWABLE:
                return Unknown(name)
            raise Unsupported(f"line {line}: function {name!r} is not read statically")
        try:
            return fn(*args)
        except (TypeError, ValueError, IndexError, KeyError, ZeroDivisionError) as exc:
            if any(isinstance(a, Unknown) for a in args):
                return Unknown(name)
            raise Unsupported(f"line {line}: {name}: {exc}") from None


_NOTHING = object()


def _is_assignment(pipe: str) -> bool:
    return bool(re.match(r"^\$\w*\s*:?=", pipe))


def truthy(value: Any) -> bool:
    if isinstance(value, Unknown):
        return True
    return bool(value)


def _print(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{_print(v)}" for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))) + "]"
    if isinstance(value, (list, tuple)):
        return "[" + " ".join(_print(v) for v in value) + "]"
    return str(value)


def render_inner(text: str, dot: Any, renderer: _Renderer) -> str:
    nodes = _parse(_lex(text), renderer.defines)
    saved = (renderer.parts, renderer.line_map, renderer.at_line_start)
    renderer.parts, renderer.line_map, renderer.at_line_start = [], [], True
    try:
        renderer.run(nodes, dot, {"$": renderer.root})
        return "".join(renderer.parts)
    finally:
        renderer.parts, renderer.line_map, renderer.at_line_start = saved


# --- sprig, the part charts use -----------------------------------------------------------------

def _yaml(value: Any) -> str:
    if value is None:
        return "null"
    text = yaml.safe_dump(_plain(value), default_flow_style=False, sort_keys=True, allow_unicode=True, width=1000)
    return text.rstrip("\n").removesuffix("\n...")


def _plain(value: Any) -> Any:
    if isinstance(value, Unknown):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _indent(n: int, text: Any) -> str:
    pad = " " * int(n)
    return "\n".join(pad + ln if ln else ln for ln in _print(text).split("\n"))


def _default(default: Any, *given: Any) -> Any:
    value = given[0] if given else None
    return value if truthy(value) else default


def _eq(first: Any, *others: Any) -> Any:
    if isinstance(first, Unknown) or any(isinstance(o, Unknown) for o in others):
        return Unknown("eq")
    return any(first == o for o in others)


def _and(*args: Any) -> Any:
    for a in args:
        if not truthy(a):
            return a
    return args[-1] if args else True


def _or(*args: Any) -> Any:
    for a in args:
        if truthy(a):
            return a
    return args[-1] if args else False


def _printf(fmt: str, *args: Any) -> str:
    converted = re.sub(r"%[-+# 0]*\d*(?:\.\d+)?([vsdqfgtx%])", lambda m: {"v": "%s", "s": "%s", "d": "%s", "q": '"%s"',
                                                                             "t": "%s", "%": "%%"}.get(m.group(1),
                                                                                                      m.group(0)), fmt)
    return converted % tuple(_print(a) for a in args) if args else converted.replace("%%", "%")


def _dict(*args: Any) -> dict[str, Any]:
    return {str(args[i]): args[i + 1] if i + 1 < len(args) else "" for i in range(0, len(args), 2)}


def _set(target: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    target[key] = value
    return target


def _merge(dest: dict[str, Any], *sources: dict[str, Any]) -> dict[str, Any]:
    for source in sources:
        for key, value in (source or {}).items():
            if key not in dest:
                dest[key] = value
            elif isinstance(dest[key], dict) and isinstance(value, dict):
                _merge(dest[key], value)
    return dest


def _trunc(n: int, text: Any) -> str:
    s = _print(text)
    return s[:n] if n >= 0 else s[n:]


def _b64(text: Any) -> str:
    return base64.b64encode(_print(text).encode()).decode()


def _index(value: Any, *keys: Any) -> Any:
    for key in keys:
        if isinstance(value, Unknown):
            return Unknown(f"{value.what}[{key}]")
        value = value.get(key) if isinstance(value, dict) else (value[key] if isinstance(value, list) else None)
    return value


def _semver(constraint: str, version: Any) -> Any:
    return True


def _to_int(value: Any) -> int:
    if isinstance(value, Unknown):
        raise ValueError("unknown")
    return int(float(value)) if value not in (None, "") else 0


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "default": _default, "quote": lambda *a: " ".join(f'"{_print(x)}"' for x in a),
    "squote": lambda *a: " ".join(f"'{_print(x)}'" for x in a),
    "toYaml": _yaml, "toJson": lambda v: json.dumps(_plain(v), separators=(",", ":")),
    "toPrettyJson": lambda v: json.dumps(_plain(v), indent=2), "fromYaml": lambda s: yaml.safe_load(s) or {},
    "fromJson": lambda s: json.loads(s), "nindent": lambda n, s: "\n" + _indent(n, s), "indent": _indent,
    "upper": lambda s: _print(s).upper(), "lower": lambda s: _print(s).lower(), "title": lambda s: _print(s).title(),
    "trim": lambda s: _print(s).strip(), "trimSuffix": lambda x, s: _print(s).removesuffix(x),
    "trimPrefix": lambda x, s: _print(s).removeprefix(x), "trimAll": lambda x, s: _print(s).strip(x),
    "trunc": _trunc, "replace": lambda old, new, s: _print(s).replace(old, new),
    "contains": lambda sub, s: sub in _print(s), "hasPrefix": lambda p, s: _print(s).startswith(p),
    "hasSuffix": lambda p, s: _print(s).endswith(p), "printf": _printf, "print": lambda *a: "".join(map(_print, a)),
    "println": lambda *a: " ".join(map(_print, a)) + "\n", "cat": lambda *a: " ".join(_print(x) for x in a if x),
    "join": lambda sep, items: sep.join(_print(i) for i in (items or [])), "split": lambda sep, s: {
        f"_{i}": p for i, p in enumerate(_print(s).split(sep))}, "splitList": lambda sep, s: _print(s).split(sep),
    "list": lambda *a: list(a), "dict": _dict, "get": lambda d, k: (d or {}).get(k, ""), "set": _set,
    "unset": lambda d, k: {x: y for x, y in d.items() if x != k}, "hasKey": lambda d, k: k in (d or {}),
    "keys": lambda *ds: [k for d in ds for k in (d or {})], "merge": _merge, "mergeOverwrite": _merge,
    "empty": lambda v: not truthy(v), "not": lambda v: not truthy(v), "and": _and, "or": _or, "eq": _eq,
    "ne": lambda a, b: not a == b, "lt": lambda a, b: a < b, "le": lambda a, b: a <= b, "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b, "len": lambda v: len(v or []), "int": _to_int, "int64": _to_int,
    "float64": lambda v: float(v or 0), "toString": _print, "toStrings": lambda v: [_print(x) for x in v or []],
    "b64enc": _b64, "b64dec": lambda s: base64.b64decode(_print(s)).decode(errors="replace"),
    "required": lambda msg, v=None: v, "coalesce": lambda *a: next((x for x in a if truthy(x)), None),
    "ternary": lambda yes, no, cond: yes if truthy(cond) else no, "first": lambda v: (v or [None])[0],
    "last": lambda v: (v or [None])[-1], "index": _index, "semverCompare": _semver, "kindIs": lambda k, v: {
        "map": isinstance(v, dict), "slice": isinstance(v, list), "string": isinstance(v, str),
        "bool": isinstance(v, bool), "int": isinstance(v, int)}.get(k, False),
    "typeOf": lambda v: type(v).__name__, "regexMatch": lambda p, s: re.search(p, _print(s)) is not None,
    "regexReplaceAll": lambda p, s, r: re.sub(p, r.replace("$", "\\"), _print(s)),
    "uniq": lambda v: list(dict.fromkeys(v or [])), "compact": lambda v: [x for x in v or [] if truthy(x)],
    "sortAlpha": lambda v: sorted(map(_print, v or [])), "has": lambda x, v: x in (v or []),
    "concat": lambda *ls: [x for v in ls for x in v or []],
    "add": lambda *a: sum(_to_int(x) for x in a), "sub": lambda a, b: _to_int(a) - _to_int(b),
    "mul": lambda a, b: _to_int(a) * _to_int(b), "div": lambda a, b: _to_int(a) // _to_int(b),
    "mod": lambda a, b: _to_int(a) % _to_int(b), "max": lambda *a: max(_to_int(x) for x in a),
    "min": lambda *a: min(_to_int(x) for x in a),
    "kebabcase": lambda s: re.sub(r"(?<!^)(?=[A-Z])", "-", _print(s)).lower(),
    "snakecase": lambda s: re.sub(r"(?<!^)(?=[A-Z])", "_", _print(s)).lower(),
    "base": lambda s: _print(s).rsplit("/", 1)[-1], "dir": lambda s: _print(s).rsplit("/", 1)[0],
    "toDate": lambda *a: Unknown("toDate"), "without": lambda v, *x: [i for i in v or [] if i not in x],
    "fail": lambda msg: (_ for _ in ()).throw(ValueError(f"fail: {msg}")), "until": lambda n: list(range(_to_int(n))),
    "deepCopy": lambda v: json.loads(json.dumps(_plain(v))), "toRawJson": lambda v: json.dumps(_plain(v)),
}
# Values a render cannot know: they become placeholders, never names.
UNKNOWABLE = {"lookup", "now", "date", "dateInZone", "randAlphaNum", "randAlpha", "randNumeric", "randAscii",
              "uuidv4", "genCA", "genSelfSignedCert", "genSignedCert", "genPrivateKey", "htpasswd", "sha256sum",
              "sha1sum", "adler32sum", "derivePassword", "encryptAES", "decryptAES", "getHostByName", "env",
              "expandenv", "unixEpoch", "ago"}


def render(text: str, root: dict[str, Any], defines: dict[str, list[_Node]]) -> tuple[str, list[int]]:
    """(output, line map): `line_map[i]` is the template line of output line `i + 1`."""
    nodes = _parse(_lex(text), defines)
    renderer = _Renderer(root, defines)
    renderer.run(nodes, root, {"$": root})
    output = "".join(renderer.parts)
    count = output.count("\n") + 1
    line_map = renderer.line_map[:count]
    while len(line_map) < count:
        line_map.append(line_map[-1] if line_map else 1)
    return output, line_map
