"""Runbook → Markdown, in exactly the rule's structure and order (template: templates/runbook.md.j2).

Commands are rendered as fenced blocks tagged with their language. Consecutive safe shell commands
share a block, each under a `# purpose` comment; a destructive command gets a block of its own with
a warning right before it, so an operator meets the warning before the command.

Text in a runbook comes from descriptions, answers and model output, so none of it may add
structure: every `{{ value }}` the template prints is prose (`inline`: one line, no HTML, no
block marker at its start) unless it is `Markdown` this module made — a table cell, a fenced
block whose fence is longer than any backtick run inside it. A description can therefore never add a
heading, a code block or HTML to a runbook.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import jinja2

from agent.checks.danger import classify
from agent.checks.markdown import github_anchor
from agent.runbook import Command, Runbook

_TEMPLATES = Path(__file__).resolve().parent / "templates"

# The rule's ten sections, as they appear in its table of contents.
TOC = (
    "Service Overview", "Architecture", "Dependencies", "Deployment", "Monitoring & Alerts",
    "Troubleshooting", "Emergency Procedures", "Maintenance", "Disaster Recovery", "Contacts",
)


class Markdown(str):
    """Text that is already Markdown (made here); the template prints it as it is."""


_HTML_START = re.compile(r"<(?=[A-Za-z/!?])")  # a tag, a comment, a processing instruction
# What would start a block if it began a line: a heading, a list item or thematic break, a block quote,
# a fence, a table row or setext underline, a link reference definition.
_BLOCK_START = re.compile(r"^(?:#{1,6}(?=\s|$)|[-+*_>=|~`\[]|\d{1,9}[.)](?=\s|$))")


def inline(value: object) -> Markdown:
    """Prose on one line: newlines become spaces, `<` that would open HTML is `&lt;`, and a marker that
    would start a block at the beginning (`#`, `-`, `1.`, `>`, a fence) is backslash-escaped.

    Mid-line an escape is harmless (`\\-` reads as `-`), and `#sre-oncall` is no heading, so it stays."""
    if isinstance(value, Markdown):
        return value
    # Leading space is dropped too: it would start an indented code block, or move a list item's
    # content column so that the block after it leaves the item.
    text = re.sub(r"[ \t]*(?:\r\n|\r|\n)\s*", " ", str(value)).lstrip()
    text = _HTML_START.sub("&lt;", text)
    if _BLOCK_START.match(text):
        text = "\\" + text
    return Markdown(text)


def _finalize(value: object) -> object:
    """Every printed expression: Markdown as it is, anything else as prose."""
    if isinstance(value, Markdown) or not isinstance(value, str):
        return value
    return inline(value)


def fence(code: str) -> str:
    """A backtick fence longer than any backtick run in `code`, so the code cannot close it."""
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    return "`" * max(3, longest + 1)


def fenced(code: str, language: str) -> Markdown:
    """`code` as a fenced block tagged `language`."""
    mark = fence(code)
    return Markdown(f"{mark}{language}\n{code.rstrip()}\n{mark}")


def cell(value: object) -> Markdown:
    """Text fit for one Markdown table cell (line breaks as <br>, no HTML of its own, pipes escaped)."""
    text = _HTML_START.sub("&lt;", str(value)).replace("\\", "\\\\").replace("|", "\\|")
    return Markdown(re.sub(r"\s*(?:\r\n|\r|\n)\s*", "<br>", text.strip()))


def duration(minutes: int) -> str:
    if minutes and minutes % 1440 == 0:
        days = minutes // 1440
        return f"{days} day" + ("s" if days > 1 else "")
    if minutes and minutes % 60 == 0:
        hours = minutes // 60
        return f"{hours} hour" + ("s" if hours > 1 else "")
    return f"{minutes} minute" + ("s" if minutes != 1 else "")


def number(value: float) -> str:
    return f"{value:g}"


def latency(ms: float) -> str:
    """200 → '200ms'; a pipeline's hour-long run time reads as '60 min', not '3600000ms'."""
    if ms < 1000:
        return f"{ms:g}ms"
    if ms < 60_000:
        return f"{ms / 1000:g} s"
    return f"{round(ms / 60_000, 1):g} min"


_COMMENT = {"bash": "#", "promql": "#", "yaml": "#", "redis": "#", "sql": "--", "nrql": "--"}


def _comment(language: str, text: str) -> list[str]:
    mark = _COMMENT.get(language)
    if mark is None:
        return []
    return [f"{mark} {line}".rstrip() for line in text.strip().splitlines()]


@dataclass(frozen=True)
class Block:
    language: str
    code: str
    warning: str | None  # shown as a blockquote right before the fence
    intro: str | None  # prose before a block whose language has no comments

    @property
    def fenced(self) -> Markdown:
        return fenced(self.code, self.language)


def blocks(commands: list[Command]) -> list[Block]:
    """Group commands into fenced blocks; destructive ones stand alone behind their warning."""
    out: list[Block] = []
    pending: list[str] = []
    pending_lang: str | None = None

    def flush() -> None:
        nonlocal pending, pending_lang
        if pending and pending_lang:
            out.append(Block(pending_lang, "\n\n".join(pending), None, None))
        pending, pending_lang = [], None

    for command in commands:
        text_lines = [*_comment(command.language, command.purpose), command.code.rstrip()]
        if command.expect:
            text_lines += _comment(command.language, f"Expect: {command.expect}")
        code = "\n".join(text_lines)
        destructive = classify(command.code, command.language) == "destructive"
        if destructive or command.warning:
            flush()
            warning = command.warning or "this command changes or removes data; check the target first."
            out.append(Block(command.language, code, warning, None))
            continue
        if command.language not in _COMMENT:
            flush()
            intro = command.purpose + (f" Expect: {command.expect}" if command.expect else "")
            out.append(Block(command.language, command.code.rstrip(), None, intro))
            continue
        if pending_lang not in (None, command.language):
            flush()
        pending_lang = command.language
        pending.append(code)
    flush()
    return out


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    """The compiled template kept between runs (compiling it is a tenth of a second every start)."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "runbook-agent" / "templates"
    try:
        base.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return jinja2.FileSystemBytecodeCache(str(base), f"%s-{sys.version_info[0]}{sys.version_info[1]}.cache")


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(_TEMPLATES),
        bytecode_cache=_bytecode_cache(),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # Markdown, not HTML: prose is made safe by _finalize instead
        finalize=_finalize,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(cell=cell, anchor=github_anchor, duration=duration, number=number, latency=latency,
                       blocks=blocks, fenced=fenced, md=Markdown)
    return env


def render_markdown(runbook: Runbook) -> str:
    text = _environment().get_template("runbook.md.j2").render(rb=runbook, toc=TOC)
    # Collapse the blank-line runs that template conditionals leave behind.
    return re.sub(r"\n{3,}", "\n\n", text).rstrip() + "\n"
