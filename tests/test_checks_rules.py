"""Per-rule fixtures (tests/fixtures/rules/*.md), ruff style: each `<!-- flags ... -->` case must
raise the rule, each `<!-- leaves alone ... -->` case must raise no error or warning at all.

A marker reads `<!-- flags [RULE] [(TOOL)][: why] -->`; RULE defaults to the file's H1 (`# RULE: ...`),
TOOL names a CLI the case needs (skipped when it is not installed). Every case is checked as its own
runbook, so cases don't leak into each other.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from agent.checks import check_markdown

RULES = Path(__file__).parent / "fixtures" / "rules"
_MARKER = re.compile(r"^<!-- (flags|leaves alone)(?: ([a-z][\w.-]*\.[\w-]+))?(?: \(([\w-]+)\))?(?::[^>]*)? -->$", re.M)


def _cases() -> list[tuple[str, str, str, str | None, str]]:
    out = []
    for path in sorted(RULES.glob("*.md")):
        text = path.read_text(encoding="utf-8")
        default = re.match(r"# ([\w.-]+)", text)
        markers = list(_MARKER.finditer(text))
        assert markers, f"{path.name} has no cases"
        for i, m in enumerate(markers):
            end = markers[i + 1].start() if i + 1 < len(markers) else len(text)
            body = text[m.end() : end].strip("\n")
            rule = m.group(2) or (default.group(1) if default else "")
            out.append((f"{path.stem}:{text.count(chr(10), 0, m.start()) + 1}", m.group(1), rule, m.group(3), body))
    return out


CASES = _cases()


@pytest.mark.parametrize(("where", "kind", "rule", "tool", "body"), CASES, ids=[c[0] for c in CASES])
def test_rule_fixture(where: str, kind: str, rule: str, tool: str | None, body: str) -> None:
    if tool and shutil.which(tool) is None:
        pytest.skip(f"{tool} is not installed")
    if rule.startswith("structure."):  # cases are whole documents, read with the profile they call for
        report = check_markdown("# T\n\n" + body + "\n", f"{where}.md")
    else:
        report = check_markdown("# T\n\n## S\n\n" + body + "\n", f"{where}.md", profile="generic")
    if kind == "flags":
        assert rule in {f.rule for f in report.findings}, report.findings
        for f in report.findings:
            assert f.hint and f.message
    else:
        loud = [f for f in report.findings if f.severity in ("error", "warning")]
        assert loud == [], loud


def test_every_fixture_file_has_both_kinds() -> None:
    kinds: dict[str, set[str]] = {}
    for where, kind, *_ in CASES:
        kinds.setdefault(where.split(":")[0], set()).add(kind)
    assert all(k == {"flags", "leaves alone"} for k in kinds.values()), kinds
