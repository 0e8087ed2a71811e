"""Runbook → Markdown, in exactly the rule's structure and order (template: templates/runbook.md.j2).

Commands are rendered as fenced blocks tagged with their language. Consecutive safe shell commands
share a block, each under a `# purpose` comment; a destructive command gets a block of its own with
a warning right before it, so an operator meets the warning before the command.
"""

from __future__ import annotations

import re
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


def cell(value: object) -> str:
    """Text fit for one Markdown table cell."""
    text = str(value).replace("\\", "\\\\").replace("|", "\\|")
    return re.sub(r"\s*\n\s*", "<br>", text.strip())


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


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(_TEMPLATES),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # Markdown, not HTML
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(cell=cell, anchor=github_anchor, duration=duration, number=number, latency=latency,
                       blocks=blocks)
    return env


def render_markdown(runbook: Runbook) -> str:
    text = _environment().get_template("runbook.md.j2").render(rb=runbook, toc=TOC)
    # Collapse the blank-line runs that template conditionals leave behind.
    return re.sub(r"\n{3,}", "\n\n", text).rstrip() + "\n"
