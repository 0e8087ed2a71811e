"""A runbook regenerated over an earlier one (`agent generate --force`) is that runbook's next version.

The earlier runbook is read back from its Markdown, whoever wrote it: its `**Version:**` line and
its Revision History table. The new runbook takes the next version, keeps the earlier rows and adds
one saying what the regeneration changed; a regeneration that changes nothing is no new version.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from agent.render import render_markdown
from agent.revise import bump_version
from agent.runbook import Revision, Runbook

_VERSION = re.compile(r"(?m)^\*\*Version:\*\*\s*(\S.*?)\s*$")
_HEADER_FIELD = re.compile(r"(?m)^\*\*(Criticality|On-Call|Service Owner):\*\*\s*(.*?)\s*$")
_LAST_UPDATED = re.compile(r"(?m)^(\*\*Last Updated:\*\*).*$")


@dataclass(frozen=True)
class Earlier:
    version: str
    history: list[Revision]
    markdown: str


def _cells(row: str) -> list[str]:
    """The cells of one table row; `\\|` is a pipe inside a cell."""
    inner = row.strip().removeprefix("|").removesuffix("|")
    return [c.strip().replace("\\|", "|").replace("\\\\", "\\") for c in re.split(r"(?<!\\)\|", inner)]


def read_earlier(markdown: str) -> Earlier | None:
    """Version and revision history of a runbook on disk; None when it has no version line."""
    found = _VERSION.search(markdown)
    if found is None:
        return None
    history: list[Revision] = []
    section = re.search(r"(?ms)^## Revision History\s*$(.*?)(?=^## |\Z)", markdown)
    for line in (section.group(1).splitlines() if section else []):
        if not line.lstrip().startswith("|") or re.match(r"^\s*\|[\s:|-]+\|\s*$", line):
            continue
        cells = _cells(line.replace("<br>", " "))
        if len(cells) != 4 or cells[0].lower() == "version" or not all(cells):
            continue
        history.append(Revision(version=cells[0], date=cells[1], changes=cells[2], author=cells[3]))
    return Earlier(found.group(1), history, markdown)


def _fields(markdown: str) -> dict[str, str]:
    return {m.group(1): m.group(2) for m in _HEADER_FIELD.finditer(markdown)}


def _sections(markdown: str) -> dict[str, str]:
    parts = re.split(r"(?m)^(?=## )", markdown)
    return {p.splitlines()[0][3:].strip(): p for p in parts if p.startswith("## ")}


def changes(earlier: str, now: str) -> str:
    """What a regeneration changed, for its revision-history row."""
    said = []
    old_fields, new_fields = _fields(earlier), _fields(now)
    for name in ("Criticality", "On-Call", "Service Owner"):
        if old_fields.get(name) and new_fields.get(name) and old_fields[name] != new_fields[name]:
            said.append(f"{name.lower()} {old_fields[name]} → {new_fields[name]}")
    old_sections, new_sections = _sections(earlier), _sections(now)
    changed = [title for title, text in new_sections.items()
               if title not in ("Revision History", "Table of Contents") and old_sections.get(title) != text]
    if changed:
        said.append("changed: " + ", ".join(changed))
    return "Regenerated (agent generate --force)" + (": " + "; ".join(said) if said else "")


def _comparable(markdown: str) -> str:
    """The text with what every save changes (the last-updated time) left out."""
    return _LAST_UPDATED.sub(r"\1", markdown)


def next_version(runbook: Runbook, earlier: Earlier, when: datetime,
                 author: str = "runbook-agent (AI Assistant)") -> Runbook | None:
    """`runbook` as the version after `earlier`, with a revision row; None when it changes nothing."""
    history = earlier.history or runbook.revision_history[:1]
    same = runbook.model_copy(update={
        "header": runbook.header.model_copy(update={"version": earlier.version}), "revision_history": history})
    rendered = render_markdown(same)
    if _comparable(rendered) == _comparable(earlier.markdown):
        return None
    version = bump_version(earlier.version)
    row = Revision(version=version, date=f"{when:%Y-%m-%d}", changes=changes(earlier.markdown, rendered),
                   author=author)
    header = runbook.header.model_copy(update={"version": version})
    return runbook.model_copy(update={"header": header, "revision_history": [*history, row]})
