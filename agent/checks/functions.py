"""Shell functions a runbook declares, read through: `on_hosts 'sudo rm -rf /data'` is classified, scoped
and checked as the commands the function runs with those arguments, not as an unknown program.

One step of its own, after the commands are extracted (`extract.all_commands`): a call of a function the
document declares has its simple commands replaced by those of the function's body, with `"$@"`, `$*`,
`$1`… replaced by the call's words as written. Nested calls are read to a fixed depth; a call past it
stays as written (an unknown program: mutating, never run). `agent test --execute` never runs a call of
a runbook's function (what it would run is the body, which the live runner does not run).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from agent.checks import shellwords

if TYPE_CHECKING:
    from agent.checks.extract import Command
    from agent.checks.markdown import Document

_DEF = re.compile(r"(?m)^[ \t]*(?:function[ \t]+(?P<a>[A-Za-z_][\w-]*)[ \t]*(?:\([ \t]*\))?|"
                  r"(?P<b>[A-Za-z_][\w-]*)[ \t]*\([ \t]*\))[ \t]*\n?[ \t]*(?P<open>[{(])")
_HEAD = re.compile(r"^\s*(?:function\s+[A-Za-z_][\w-]*|[A-Za-z_][\w-]*\s*\(\s*\))")  # a declaration, not a call
_DEPTH = 3


@dataclass(frozen=True)
class Function:
    name: str
    body: str  # the text between its braces (or parentheses)


def _matching(text: str, i: int, open_: str) -> int:
    """Index just past the bracket closing the one at `i` (quotes and comments skipped); len(text) if none."""
    close = "}" if open_ == "{" else ")"
    depth = 0
    k = i
    while k < len(text):
        c = text[k]
        if c == "\\":
            k += 2
            continue
        if c == "'":
            end = text.find("'", k + 1)
            k = len(text) if end < 0 else end + 1
            continue
        if c == '"':
            k += 1
            while k < len(text) and text[k] != '"':
                k += 2 if text[k] == "\\" else 1
            k += 1
            continue
        if c == "#" and (k == 0 or text[k - 1] in " \t\n;"):
            end = text.find("\n", k)
            k = len(text) if end < 0 else end
            continue
        if c == open_:
            depth += 1
        elif c == close:
            depth -= 1
            if depth == 0:
                return k + 1
        k += 1
    return len(text)


def definitions(scripts: list[str]) -> dict[str, Function]:
    """The functions the shell texts declare; a later declaration of a name replaces an earlier one."""
    out: dict[str, Function] = {}
    for text in scripts:
        for m in _DEF.finditer(text):
            name = m.group("a") or m.group("b")
            start = m.start("open")
            end = _matching(text, start, m.group("open"))
            out[name] = Function(name, text[start + 1: end - 1].strip().rstrip(";").strip())
    return out


_ARGS = re.compile(r"\"\$(?:@|\*|\{[@*]\})\"|\$(?:@|\*|\{[@*]\})|\"?\$\{?(?P<n>[1-9])\}?\"?")


def substitute(body: str, words: list[str]) -> str:
    """The body with its positional parameters replaced by the call's words (as written, quotes kept)."""
    def one(m: re.Match[str]) -> str:
        if m.group("n"):
            n = int(m.group("n"))
            return words[n - 1] if n <= len(words) else "''"
        return " ".join(words)

    return _ARGS.sub(one, body)


def expand(simples: list[shellwords.Simple], functions: dict[str, Function], depth: int = 0) -> list[shellwords.Simple]:
    """The simple commands with each call of a known function replaced by what its body runs."""
    from agent.checks.extract import nested_commands

    out: list[shellwords.Simple] = []
    for simple in simples:
        fn = functions.get(simple.argv[0]) if simple.argv and not simple.assignments else None
        if fn is None or depth >= _DEPTH:
            out.append(simple)
            continue
        # a body may run a loop on one line: join its lines so `for ...; do ...; done` stays one command
        text = substitute(fn.body, simple.raw[1:])
        inner = [s for line in shellwords.logical_lines(text, 0) for s in nested_commands(line.text)]
        out.extend(expand(inner, functions, depth + 1))
    return out


def calls(cmd: Command, functions: dict[str, Function]) -> list[str]:
    """The names of the document's functions a shell command calls (as written, before expansion)."""
    if cmd.language != "shell" or _HEAD.match(cmd.text):
        return []
    from agent.checks.extract import nested_commands

    return [s.argv[0] for s in nested_commands(cmd.text) if s.argv and s.argv[0] in functions]


def see_through(doc: Document, commands: list[Command]) -> list[Command]:
    """Each shell command's simple commands with the document's function calls expanded (in place)."""
    from agent.checks.extract import script_of

    functions = definitions([script_of(b).text for b in doc.blocks if b.language == "shell"])
    if not functions:
        return commands
    for cmd in commands:
        if cmd.language == "shell" and not _HEAD.match(cmd.text) and any(s.argv and s.argv[0] in functions
                                                                         for s in cmd.simple):
            cmd.simple = expand(cmd.simple, functions)
    return commands
