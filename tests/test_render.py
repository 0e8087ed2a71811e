from __future__ import annotations

import itertools
import re
from collections import Counter
from datetime import datetime
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent.answers import from_mapping
from agent.checks import check_markdown, markdown
from agent.models.base import GenerationRequest
from agent.models.offline import OfflineModel
from agent.render import cell, duration, latency, render_markdown
from agent.rule import load_rule
from agent.runbook import KNOWN_FAILURE, Runbook, Step, suggested


@pytest.mark.parametrize(("ms", "text"), [(200, "200ms"), (999.5, "999.5ms"), (1500, "1.5 s"), (3_600_000, "60 min")])
def test_latency(ms: float, text: str) -> None:
    assert latency(ms) == text


@pytest.mark.parametrize(("minutes", "text"), [(1, "1 minute"), (15, "15 minutes"), (60, "1 hour"), (240, "4 hours"),
                                               (1440, "1 day"), (0, "0 minutes")])
def test_duration(minutes: int, text: str) -> None:
    assert duration(minutes) == text


def test_table_cells_keep_pipes_and_lines_inside() -> None:
    assert cell("a | b\nc") == "a \\| b<br>c"



# --- built for the incident: start here, links, each command once --------------------------------

CASES = [
    ("worker", "kubernetes", "prometheus", "billing-worker consumes invoices from the Kafka topic invoices (consumer "
     "group billing) in namespace billing and writes them to PostgreSQL."),
    ("api", "vm", "datadog", "The pricing API runs on hosts price-1, price-2 and price-3 under systemd and reads "
     "from Redis."),
    ("pipeline", "serverless", "cloudwatch", "A nightly export Lambda writes a CSV to S3 at 02:00 UTC."),
    ("api", "vm", "prometheus", "The quotes API runs on hosts q-1 and q-2 under systemd (unit quotes.service). "
     "Alerts that page: QuotesErrorRate > 2% for 5 min; QueueDepth > 500 for 10 min. Known failure: the nightly "
     "import runs twice and every quote is doubled; the fix is `quotesctl dedupe --since 24h`."),
]


@cache
def _runbook(typ: str, env: str, mon: str, description: str) -> Runbook:
    rule = load_rule()
    answers = from_mapping(rule, {"type": typ, "env": env, "criticality": "high", "monitoring": mon,
                                  "oncall": "24x7"}, "test")
    request = GenerationRequest(rule=rule, description=description, answers=answers,
                                now=datetime(2026, 1, 15, 9, 30), service_name=None)
    return OfflineModel().generate(request).runbook


def _chunks(doc: markdown.Document) -> Counter[str]:
    """Fenced blocks and their blank-line-separated parts of 3+ lines, indentation ignored."""
    out: Counter[str] = Counter()
    for block in doc.blocks:
        text = "\n".join(ln.strip() for ln in block.content.splitlines()).strip()
        parts = {p.strip() for p in re.split(r"\n\s*\n", text)} | {text}
        out.update(p for p in parts if p.count("\n") >= 2)
    return out


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-{c[1]}")
def test_start_here_in_the_first_screen_inside_the_structure(case: tuple[str, str, str, str]) -> None:
    text = render_markdown(_runbook(*case))
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines, 1) if line.startswith("**Paged? Start here.**"))
    toc = lines.index("## Table of Contents") + 1
    assert start <= 60 and start < toc  # in the header, before the table of contents
    assert "us or a dependency" in lines[start - 1]
    rows = [ln for ln in lines[start:toc] if ln.startswith("| ") and not ln.startswith("| Alert |")]
    alerts = _runbook(*case).monitoring.alerts
    # one per alert that can page (the team's own when it has any: a suggestion is not in its monitoring),
    # and the Service is Down row
    team = [a for a in alerts if not suggested(a)]
    assert len(rows) == len(team or alerts) + 1
    assert [r.split(" | ")[0].removeprefix("| ") for r in rows[:-1]] == [a.name for a in team or alerts]
    if team and len(team) < len(alerts):
        assert f"{len(alerts) - len(team)} suggested alert" in "\n".join(lines[start:toc])
    # every failure the team has seen is one link away from the first screen: its alert's row, or "Seen before"
    first_screen = "\n".join(lines[start - 1:toc])
    for issue in _runbook(*case).troubleshooting.issues:
        if issue.title.startswith(KNOWN_FAILURE):
            assert f"[{issue.title}](#" in first_screen, issue.title
    assert all("](#" in row for row in rows)


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-{c[1]}")
def test_links_resolve_and_point_both_ways(case: tuple[str, str, str, str]) -> None:
    runbook = _runbook(*case)
    text = render_markdown(runbook)
    doc = markdown.parse(text)
    anchors = {h.anchor: h for h in doc.headings}
    targets = [link.target[1:] for link in doc.links if link.target.startswith("#")]
    assert targets and all(t in anchors for t in targets), [t for t in targets if t not in anchors]
    # every alert row links to an entry (or Service is Down); every entry it names links back
    head = doc.lines.index("| Alert Name | Condition | Severity | Response |")
    table = list(itertools.takewhile(lambda ln: ln.startswith("|"), doc.lines[head + 2:]))
    assert len(table) == len(runbook.monitoring.alerts)
    for row in table:
        linked = re.findall(r"\]\(#([^)]+)\)", row)
        assert linked and anchors[linked[-1]].text.startswith(("Issue: ", "Service is Down")), row
    for issue in runbook.troubleshooting.issues:
        if issue.alert:
            entry = doc.lines.index(f"#### Issue: {issue.title}")
            back = next(ln for ln in doc.lines[entry:] if ln.startswith("**Alert:**"))
            assert f"[{issue.alert}](#" in back
    # the table of contents lists every entry and the emergency procedures
    toc = "\n".join(doc.lines[doc.lines.index("## Table of Contents"):doc.lines.index("## Service Overview")])
    for issue in runbook.troubleshooting.issues:
        assert f"[{issue.title}](#" in toc
    assert "[Service is Down](#service-is-down)" in toc and "[Data Corruption](#data-corruption)" in toc


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-{c[1]}")
def test_each_command_block_appears_once(case: tuple[str, str, str, str]) -> None:
    runbook = _runbook(*case)
    doc = markdown.parse(render_markdown(runbook))
    repeated = {chunk: n for chunk, n in _chunks(doc).items() if n > 1}
    assert repeated == {}
    # and nothing was lost: every command is shown in full somewhere, or quoted whole on one line
    text = "\n".join(b.content for b in doc.blocks) + "\n" + "\n".join(c.text for c in doc.inline)
    for command in runbook.commands():
        assert command.code.strip().splitlines()[0].strip() in text, command.code


def test_a_command_shared_by_two_entries_is_shown_once_and_linked() -> None:
    base = _runbook(*CASES[0])
    issues = base.troubleshooting.issues
    shared = next(c for c in base.commands() if "\n" in c.code.strip() and not c.warning)
    first = issues[0].model_copy(update={"check": [shared, *issues[0].check]})
    second = issues[1].model_copy(update={"fix": [Step(action="Do the same check again", command=shared)]})
    runbook = base.model_copy(update={"troubleshooting": base.troubleshooting.model_copy(
        update={"issues": [first, second, *issues[2:]]})})
    text = render_markdown(runbook)
    assert text.count(shared.code.strip()) == 1
    assert re.search(r"1\. Do the same check again — \[[^\]]+\]\(#[^)]+\)", text)


def test_generated_runbooks_pass_the_link_and_consistency_checks() -> None:
    for case in CASES:
        findings = check_markdown(render_markdown(_runbook(*case)), "g.md", tools=False).findings
        assert [f for f in findings if f.rule.startswith(("structure.", "consistency."))] == [], case


_TITLE = st.text(st.characters(codec="utf-8", categories=("L", "N", "P", "S", "Zs")), min_size=1, max_size=40) \
    .filter(lambda t: t.strip())


@settings(max_examples=40, deadline=None)
@given(titles=st.lists(_TITLE, min_size=3, max_size=3, unique_by=lambda t: t.strip().lower()))
def test_links_resolve_whatever_the_titles(titles: list[str]) -> None:
    """Entry titles and alert names with any punctuation still give links GitHub resolves."""
    base = _runbook(*CASES[2])
    alerts = base.monitoring.alerts
    issues = list(base.troubleshooting.issues)
    renamed_alerts = list(alerts)
    for index, title in enumerate(titles):
        renamed_alerts[index] = alerts[index].model_copy(update={"name": f"{title} alert", "response": "Look."})
        issues[index] = issues[index].model_copy(update={"title": title, "alert": f"{title} alert"})
    runbook = base.model_copy(update={
        "monitoring": base.monitoring.model_copy(update={"alerts": renamed_alerts}),
        "troubleshooting": base.troubleshooting.model_copy(update={"issues": issues})})
    doc = markdown.parse(render_markdown(runbook))
    anchors = {h.anchor for h in doc.headings}
    broken = [link.target for link in doc.links if link.target.startswith("#") and link.target[1:] not in anchors]
    assert broken == []
