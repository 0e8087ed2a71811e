"""`runbook_url` for the repository's alert rules: the URL of each alert's entry in the runbook, and a
patch (unified diff, apply with `git apply` in the repository) that writes them into the rule files.

The entry of alert X is the troubleshooting entry titled X; its anchor is read from the rendered
runbook (GitHub's heading ids, duplicates numbered), so the URL is what a browser will find. The patch
edits the rule files as text, keeping their layout: an existing `runbook_url` is replaced, otherwise
one is added under the rule's `annotations:` (created when the rule has none). A rule it cannot edit
safely (flow-style annotations) is listed instead of guessed.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from agent.checks import markdown
from agent.errors import UsageError
from agent.service.model import AlertRule

PATCH_SUFFIX = ".alerts.patch"


@dataclass(frozen=True)
class Link:
    alert: AlertRule
    url: str
    anchor: str


def entry_anchors(text: str) -> dict[str, str]:
    """{entry title: anchor} of the runbook's troubleshooting entries ("#### Issue: X")."""
    out: dict[str, str] = {}
    for heading in markdown.parse(text).headings:
        if heading.level >= 3 and heading.text.startswith("Issue: "):
            out.setdefault(heading.text.removeprefix("Issue: "), heading.anchor)
    return out


def url_for(base_url: str, runbook: Path, anchor: str) -> str:
    """`https://git/x/blob/main/tasks/` + runbook-y.md + #anchor; a base ending in .md is the file itself."""
    base = base_url.strip()
    if not re.match(r"^[a-z][a-z0-9+.-]*://", base, re.I) and not base.startswith("/"):
        raise UsageError(f"--runbook-base-url {base_url!r} is not a URL",
                         hint="e.g. https://github.com/acme/shop/blob/main/tasks/")
    page = base if base.lower().endswith((".md", ".markdown", ".html")) else base.rstrip("/") + "/" + runbook.name
    return f"{page}#{anchor}"


def links(text: str, runbook: Path, alerts: Sequence[AlertRule], base_url: str) -> list[Link]:
    """One link per alert whose entry the runbook has, in the alerts' order."""
    anchors = entry_anchors(text)
    out: list[Link] = []
    for alert in alerts:
        anchor = anchors.get(alert.name) or anchors.get(f"{alert.name} (alert)")
        if anchor:
            out.append(Link(alert, url_for(base_url, runbook, anchor), anchor))
    return out


@dataclass
class Patch:
    text: str  # the unified diff ("" when nothing changes)
    files: int
    changed: int  # alerts whose runbook_url is added or replaced
    unchanged: int  # already pointing at the entry
    skipped: list[str]  # "rules/x.yml:12 AlertName: why"


def patch(root: Path, found: Sequence[Link]) -> Patch:
    """The diff that sets each alert's runbook_url in its rule file (paths relative to `root`)."""
    by_file: dict[str, list[Link]] = {}
    for link in found:
        file, _, line = link.alert.at.rpartition(":")
        if file and line.isdigit():
            by_file.setdefault(file, []).append(link)
    diffs: list[str] = []
    result = Patch("", 0, 0, 0, [])
    for file in sorted(by_file):
        path = (root / file).resolve()
        try:
            path.relative_to(root.resolve())
            original = path.read_text(encoding="utf-8")
        except (ValueError, OSError, UnicodeDecodeError):
            result.skipped += [f"{link.alert.at} {link.alert.name}: {file} cannot be read" for link in by_file[file]]
            continue
        lines = original.splitlines(keepends=True)
        # Bottom-up so earlier line numbers stay right while lines are inserted.
        for link in sorted(by_file[file], key=lambda x: int(x.alert.at.rpartition(":")[2]), reverse=True):
            outcome = _set_url(lines, int(link.alert.at.rpartition(":")[2]), link.url)
            if outcome == "changed":
                result.changed += 1
            elif outcome == "unchanged":
                result.unchanged += 1
            else:
                result.skipped.append(f"{link.alert.at} {link.alert.name}: {outcome}")
        updated = "".join(lines)
        if updated != original:
            result.files += 1
            diffs.append("".join(difflib.unified_diff(original.splitlines(keepends=True),
                                                      updated.splitlines(keepends=True), f"a/{file}", f"b/{file}")))
    result.text = "".join(d if d.endswith("\n") else d + "\n" for d in diffs)
    return result


_KEY = re.compile(r"^(\s*)(-\s+)?([A-Za-z_][\w.-]*)\s*:(.*)$")


def _indent(row: str) -> int:
    return len(row) - len(row.lstrip(" "))


def _key_at(row: str) -> tuple[int, str, str] | None:
    """(column of the key, key, rest) of `key: rest` or `- key: rest`; None for other lines."""
    m = _KEY.match(row.rstrip("\n"))
    if not m:
        return None
    return len(m.group(1)) + len(m.group(2) or ""), m.group(3), m.group(4)


def _rule_block(lines: list[str], index: int, key_col: int) -> tuple[int, int]:
    """[start, end) of the list item holding the key at `index` (keys at `key_col`)."""
    start = index
    while not lines[start].lstrip().startswith("- ") and start > 0:
        above = lines[start - 1]
        if above.strip() and not above.lstrip().startswith("#") and _indent(above) < key_col - 2:
            break
        start -= 1
        if lines[start].lstrip().startswith("- ") and _indent(lines[start]) == key_col - 2:
            break
    end = index + 1
    while end < len(lines):
        row = lines[end]
        if row.strip() and not row.lstrip().startswith("#") and _indent(row) < key_col:
            break
        end += 1
    while end > index + 1 and not lines[end - 1].strip():
        end -= 1
    return start, end


def _set_url(lines: list[str], line: int, url: str) -> str:
    """Edit `lines` so the rule whose `alert:` key is at `line` has runbook_url `url`."""
    index = line - 1
    if not 0 <= index < len(lines):
        return "the rule's line is past the end of the file"
    found = _key_at(lines[index])
    if found is None or found[1] != "alert":
        return "the line is not the rule's alert: key (the file changed since it was read)"
    key_col = found[0]
    start, end = _rule_block(lines, index, key_col)
    quoted = '"' + url.replace("\\", "\\\\").replace('"', '\\"') + '"'
    for i in range(start, end):
        km = _key_at(lines[i])
        if km is None or km[0] != key_col or km[1] != "annotations":
            continue
        rest = km[2].strip()
        if rest and not rest.startswith("#"):
            return "annotations are written inline ({…}): add runbook_url by hand"
        j = i + 1
        child_col = 0
        while j < len(lines) and (not lines[j].strip() or lines[j].lstrip().startswith("#")
                                  or _indent(lines[j]) > key_col):
            child = _key_at(lines[j]) if lines[j].strip() and not lines[j].lstrip().startswith("#") else None
            if child is not None:
                child_col = child_col or child[0]
                if child[0] == child_col and child[1] == "runbook_url":
                    if child[2].strip().strip("'\"") == url:
                        return "unchanged"
                    lines[j] = " " * child_col + f"runbook_url: {quoted}" + ("\n" if lines[j].endswith("\n") else "")
                    return "changed"
            j += 1
        lines.insert(i + 1, " " * (child_col or key_col + 2) + f"runbook_url: {quoted}\n")
        return "changed"
    if not lines[end - 1].endswith("\n"):
        lines[end - 1] += "\n"
    lines[end:end] = [" " * key_col + "annotations:\n", " " * (key_col + 2) + f"runbook_url: {quoted}\n"]
    return "changed"


def patch_path(runbook: Path) -> Path:
    """`tasks/runbook-x.md` -> `tasks/runbook-x.alerts.patch` (beside the runbook)."""
    return runbook.with_name(runbook.stem + PATCH_SUFFIX)
