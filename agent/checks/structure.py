"""Structure checks: the rule's sections, header fields, links, alerts, RTO/RPO, escalation timings.

Profiles (chosen with `--profile`, or detected):
- `rule`: the runbook format of the rule file — every H2 of its structure present and non-empty,
  its `**Field:**` header lines filled in, every alert with a response, RTO and RPO as numbers,
  time-bound escalation levels, the SLO's error budget arithmetic.
- `alert`: a per-alert runbook (Meaning / Impact / Diagnosis / Mitigation, as in the public
  collections) — those four sections, as warnings.
- `generic`: any other Markdown — only the checks every document must pass (links, headings).
Auto-detection picks `rule` when half the rule's sections are there (or the H1 reads "Runbook:"),
`alert` when two of the four per-alert sections are, else `generic`.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from agent.checks.findings import Severity
from agent.checks.markdown import Document, Heading
from agent.rule import Rule

PROFILES = ("auto", "rule", "alert", "generic")
ALERT_SECTIONS = ("Meaning", "Impact", "Diagnosis", "Mitigation")

_TIME = re.compile(r"(\d+(?:\.\d+)?)\s*(s|sec|secs|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?)\b", re.I)
_FIELD = re.compile(r"^\*\*([^*]+?):\*\*\s*(.*)$")

Emit = Callable[[int, str, Severity, str, str], None]


def norm(text: str) -> str:
    text = text.lower().replace("&", "and")
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


def detect_profile(doc: Document, rule: Rule) -> str:
    h2 = {norm(h.text) for h in doc.headings if h.level == 2}
    h1 = [h for h in doc.headings if h.level == 1]
    wanted = [norm(h) for h in rule.structure_headings]
    if wanted and sum(w in h2 for w in wanted) * 2 >= len(wanted):
        return "rule"
    if h1 and h1[0].text.lower().startswith("runbook:"):
        return "rule"
    counts = _alert_section_counts(doc)
    # A per-alert runbook has each section once; a catalogue of failure scenarios repeats them
    # under every scenario, and is not one alert's runbook.
    if sum(1 for c in counts.values() if c) >= 2 and max(counts.values()) <= 1:
        return "alert"
    return "generic"


# Each per-alert section and the heading words that name it ("Mitigating", "Diagnostics", "Remediation").
_ALERT_STEMS = {
    "Meaning": ("meaning", "description", "overview", "summary"),
    "Impact": ("impact",),
    "Diagnosis": ("diagnos", "investigat", "troubleshoot", "triage"),
    "Mitigation": ("mitigat", "remediat", "resolution", "resolv", "fix"),
}


def _alert_section(heading: str) -> str:
    words = norm(heading).split()
    first = words[0] if words else ""
    return next((s for s, stems in _ALERT_STEMS.items() if first.startswith(stems)), "")


def _alert_section_counts(doc: Document) -> dict[str, int]:
    """How many H2/H3 headings are each per-alert section (by their first word)."""
    counts = {s: 0 for s in ALERT_SECTIONS}
    for h in doc.headings:
        if h.level in (2, 3) and (which := _alert_section(h.text)):
            counts[which] += 1
    return counts


def _alert_sections_named(doc: Document) -> set[str]:
    """The per-alert sections some H2/H3 heading names, by any of its words ("Diagnosis and mitigation")."""
    named: set[str] = set()
    for h in doc.headings:
        if h.level in (2, 3):
            for word in norm(h.text).split():
                named.update(s for s, stems in _ALERT_STEMS.items() if word.startswith(stems))
    return named


def header_fields(rule: Rule) -> list[str]:
    """The `**Field:**` lines of the rule's runbook template, before its first H2."""
    fields: list[str] = []
    inside = False
    for line in rule.text.splitlines():
        if line.startswith("# Runbook"):
            inside = True
            continue
        if inside and line.startswith("## "):
            break
        if inside and (m := _FIELD.match(line.strip())):
            fields.append(m.group(1).strip())
    return fields


def _section_body(doc: Document, heading: Heading, end: int) -> list[str]:
    return doc.lines[heading.line : end]


def _has_content(lines: list[str]) -> bool:
    return any(ln.strip() and not re.match(r"^#{1,6}\s", ln) and ln.strip() not in ("---", "***") for ln in lines)


def check(doc: Document, rule: Rule, profile: str, emit: Emit) -> None:
    _links(doc, emit)
    _headings(doc, emit)
    if profile == "rule":
        _rule_sections(doc, rule, emit)
        _troubleshooting_entries(doc, emit)
        _header(doc, rule, emit)
        _alerts(doc, emit)
        _alert_links(doc, emit)
        _recovery(doc, emit)
        _escalation(doc, emit)
        _slo(doc, emit)
    elif profile == "alert":
        _alert_sections(doc, emit)


def _links(doc: Document, emit: Emit) -> None:
    anchors = {h.anchor for h in doc.headings}
    for link in doc.links:
        if not link.target.startswith("#"):
            continue
        target = link.target[1:]
        if target and target not in anchors and target.lower() not in anchors:
            near = _closest(target, anchors)
            emit(
                link.line,
                "structure.anchor",
                "error",
                f"link to #{target} goes nowhere: no heading has that anchor",
                f"point it at an existing heading{f' (did you mean #{near}?)' if near else ''} or add the heading",
            )


def _closest(target: str, anchors: set[str]) -> str:
    import difflib

    match = difflib.get_close_matches(target, sorted(anchors), n=1, cutoff=0.6)
    return match[0] if match else ""


def _headings(doc: Document, emit: Emit) -> None:
    h1 = [h for h in doc.headings if h.level == 1]
    if len(h1) > 1:
        emit(
            h1[1].line,
            "structure.h1",
            "warning",
            f"{len(h1)} H1 headings; a runbook has one title",
            "make the other H1 headings H2",
        )
    previous = 0
    for h in doc.headings:
        if previous and h.level > previous + 1:
            emit(
                h.line,
                "structure.heading-level",
                "info",
                f"heading level jumps from H{previous} to H{h.level} ({h.text!r})",
                f"use H{previous + 1} so the outline stays navigable",
            )
        previous = h.level


def _find(doc: Document, *words: str) -> list[tuple[Heading, int]]:
    return [(h, end) for h, end in doc.h2_sections() if all(w in norm(h.text) for w in words)]


def _rule_sections(doc: Document, rule: Rule, emit: Emit) -> None:
    present = {norm(h.text): (h, end) for h, end in doc.h2_sections()}
    for wanted in rule.structure_headings:
        key = norm(wanted)
        if key not in present:
            emit(
                1,
                "structure.missing",
                "error",
                f"section '{wanted}' is missing",
                f"add a '## {wanted}' section as the rule's structure requires",
            )
            continue
        heading, end = present[key]
        if not _has_content(_section_body(doc, heading, end)):
            emit(
                heading.line,
                "structure.empty",
                "error",
                f"section '{wanted}' is empty",
                "fill it in, or say explicitly why it does not apply",
            )


def _header(doc: Document, rule: Rule, emit: Emit) -> None:
    first_h2 = next((h.line for h in doc.headings if h.level == 2), len(doc.lines))
    values: dict[str, tuple[str, int]] = {}
    for index, text in enumerate(doc.lines[: first_h2 - 1], start=1):
        if m := _FIELD.match(text.strip()):
            values[norm(m.group(1))] = (m.group(2).strip(), index)
    for field in header_fields(rule):
        if norm(field) not in values:
            emit(
                1,
                "structure.header",
                "error",
                f"header field '{field}' is missing",
                f"add a '**{field}:** ...' line under the title",
            )
            continue
        value, line = values[norm(field)]
        if not value.strip(" -|"):
            emit(line, "structure.header", "error", f"header field '{field}' is empty", "fill it in")
        elif re.fullmatch(r"\[[^\]]+\]", value.strip()):
            emit(
                line,
                "structure.header",
                "warning",
                f"header field '{field}' is still a template placeholder ({value.strip()})",
                "replace it with the real value",
            )


def _table_rows(lines: list[str], start_line: int) -> list[tuple[list[str], list[str], int]]:
    """Each Markdown table in `lines`: (header cells, row cells, line) per body row."""
    rows: list[tuple[list[str], list[str], int]] = []
    header: list[str] | None = None
    for offset, line in enumerate(lines):
        s = line.strip()
        if not s.startswith("|"):
            header = None
            continue
        cells = [c.strip() for c in s.strip("|").split("|")]
        if header is None:
            header = [norm(c) for c in cells]
            continue
        if all(re.fullmatch(r":?-{2,}:?", c) for c in cells if c):
            continue
        rows.append((header, cells, start_line + offset))
    return rows


def _alerts(doc: Document, emit: Emit) -> None:
    sections = _find(doc, "monitoring") or _find(doc, "alert")
    if not sections:
        return
    heading, end = sections[0]
    rows = _table_rows(_section_body(doc, heading, end), heading.line + 1)
    alert_rows = [(h, c, ln) for h, c, ln in rows if any("alert" in x for x in h)]
    if not alert_rows:
        emit(
            heading.line,
            "structure.alerts",
            "warning",
            "no alert table found in this section",
            "list alerts in a table with Alert Name, Condition, Severity and Response columns",
        )
        return
    for header, cells, line in alert_rows:
        name_col = next((i for i, x in enumerate(header) if "alert" in x), 0)
        name = cells[name_col] if name_col < len(cells) else "?"
        resp_col = next((i for i, x in enumerate(header) if "response" in x or "action" in x or "runbook" in x), None)
        if resp_col is None:
            emit(
                line,
                "structure.alert-response",
                "error",
                f"alert {name!r} has no response column",
                "add a Response column saying what to do, or link the troubleshooting entry",
            )
            continue
        if resp_col >= len(cells) or not cells[resp_col].strip(" -"):
            emit(
                line,
                "structure.alert-response",
                "error",
                f"alert {name!r} has no response",
                "say what the on-call engineer does when it fires",
            )
        cond_col = next((i for i, x in enumerate(header) if "condition" in x or "threshold" in x), None)
        if cond_col is not None and cond_col < len(cells):
            cond = cells[cond_col]
            if not re.search(r"\d", cond):
                emit(
                    line,
                    "structure.alert-condition",
                    "warning",
                    f"alert {name!r} condition {cond!r} has no number",
                    "give the metric, a numeric threshold and a duration ('> 1% for 5 min')",
                )


def _alert_links(doc: Document, emit: Emit) -> None:
    """Alerts and the entries that answer them point at each other: an alert row links to a heading (its
    troubleshooting entry or procedure), and an entry's `**Alert:**` line links to the alert it names."""
    sections = _find(doc, "monitoring") or _find(doc, "alert")
    if not sections:
        return
    heading, end = sections[0]
    names: set[str] = set()
    for header, cells, line in _table_rows(_section_body(doc, heading, end), heading.line + 1):
        if not any("alert" in x for x in header):
            continue
        name_col = next(i for i, x in enumerate(header) if "alert" in x)
        name = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", cells[name_col]).strip() if name_col < len(cells) else "?"
        names.add(norm(name))
        if not any(re.search(r"\]\(#[^)]+\)", c) for c in cells):
            emit(line, "structure.alert-link", "info", f"alert {name!r} does not link to the entry that answers it",
                 "link the row to its troubleshooting entry ([entry](#issue-...)) so the reader gets there in one "
                 "click")
    for index, text in enumerate(doc.lines, start=1):
        m = re.match(r"^\s*(?:[-*]\s+)?\*\*Alerts?:?\*\*:?\s*(.+)$", text)
        if m and "](#" not in m.group(1) and norm(m.group(1)) in names:
            emit(index, "structure.entry-backlink", "info",
                 f"the entry names alert {m.group(1).strip()!r} without linking to it",
                 "link the alert's name to its row or query ([name](#...)) so the reader can check what fired")


def _recovery(doc: Document, emit: Emit) -> None:
    sections = _find(doc, "disaster") or _find(doc, "recovery")
    text = "\n".join(_section_body(doc, *sections[0])) if sections else doc.text
    line = sections[0][0].line if sections else 1
    for what, name in (("RTO", "recovery time objective"), ("RPO", "recovery point objective")):
        m = re.search(
            what + r"\b[^\n\d]{0,40}?(\d+(?:\.\d+)?)\s*(s|sec|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?)\b",
            text,
            re.I,
        )
        if not m:
            emit(
                line,
                f"structure.{what.lower()}",
                "error",
                f"no {what} with a number and unit",
                f"state the {name}, e.g. '{what}: 1 hour'",
            )


def _escalation(doc: Document, emit: Emit) -> None:
    sections = _find(doc, "contact") + _find(doc, "escalation") + _find(doc, "emergency")
    best = 0
    line = sections[0][0].line if sections else 1
    for heading, end in sections:
        body = _section_body(doc, heading, end)
        rows = _table_rows(body, heading.line + 1)
        timed = {
            m.group(0).lower()
            for h, c, _ in rows
            if any("level" in x or "when" in x for x in h)
            for m in [_TIME.search(" ".join(c))]
            if m
        }
        bullets = {
            m.group(0).lower()
            for ln in body
            if re.match(r"^\s*[-*\d.]+\s.*(after|within|>)", ln, re.I)
            for m in [_TIME.search(ln)]
            if m
        }
        best = max(best, len(timed), len(bullets))
    if best < 2:
        emit(
            line,
            "structure.escalation",
            "error",
            "escalation levels have no time bounds",
            "give each level a time ('L2 after 15 min', 'L3 after 30 min')",
        )


def _slo(doc: Document, emit: Emit) -> None:
    for index, line in enumerate(doc.lines, start=1):
        m = re.search(
            r"availability[^\n]*?(\d{2}(?:\.\d+)?)\s*%[^\n]*?(\d+(?:\.\d+)?)\s*(minutes?|mins?|hours?|h)\b"
            r"[^\n]*?(month|week|year)?",
            line,
            re.I,
        )
        if not m:
            continue
        target, amount, unit = float(m.group(1)), float(m.group(2)), m.group(3).lower()
        if not 50 < target < 100:
            continue
        period_days = {"week": 7, "year": 365}.get((m.group(4) or "month").lower(), 30)
        minutes = amount * (60 if unit.startswith("h") else 1)
        expected = period_days * 24 * 60 * (100 - target) / 100
        if abs(minutes - expected) > max(1.0, expected * 0.1):
            emit(
                index,
                "structure.slo-budget",
                "warning",
                f"{target}% availability allows {expected:.1f} minutes per {m.group(4) or 'month'}, "
                f"not {amount:g} {unit}",
                f"write {expected:.1f} minutes",
            )


def _alert_sections(doc: Document, emit: Emit) -> None:
    named = _alert_sections_named(doc)
    for wanted in ALERT_SECTIONS:
        if wanted not in named:
            emit(1, "structure.missing", "warning", f"per-alert section '{wanted}' is missing", f"add '## {wanted}'")


def _troubleshooting_entries(doc: Document, emit: Emit) -> None:
    """Each troubleshooting entry: symptoms, a check (a command block) and a fix (criterion 3)."""
    sections = _find(doc, "troubleshooting")
    if not sections:
        return
    heading, end = sections[0]
    entries = [h for h in doc.headings if heading.line < h.line <= end and h.level > 2]
    deepest = max((h.level for h in entries), default=0)
    entries = [h for h in entries if h.level == deepest]
    # "Escalate (every entry, unless it says otherwise): ..." said once above the entries covers them all.
    above = "\n".join(doc.lines[heading.line : entries[0].line - 1]).lower() if entries else ""
    escalates_above = "escalat" in above
    for i, entry in enumerate(entries):
        stop = entries[i + 1].line - 1 if i + 1 < len(entries) else end
        body = "\n".join(doc.lines[entry.line : stop]).lower()
        missing = [
            what
            for what, words in (("symptoms", ("symptom",)), ("a fix", ("fix", "resolution", "mitigat")))
            if not any(w in body for w in words)
        ]
        # A command in a fence, indented, quoted inline, or a link to where it is shown in full.
        if "```" not in body and "    " not in body and not re.search(r"`[^`\n]+`|\]\(#[^)]+\)", body):
            missing.append("a check command")
        if missing:
            emit(
                entry.line,
                "structure.entry",
                "warning",
                f"troubleshooting entry {entry.text!r} lacks " + " and ".join(missing),
                "give each entry Symptoms, a Check with commands, and a Fix",
            )
        # Criteria 3 and 14 (beyond the rule's template, so advisory): verify with a pass condition
        # and a time window, then say when to escalate.
        # The entry's Verify label (`**Verify:** ...`), not a "verify" inside its commands.
        verify = re.search(r"(?:^|\n)\s*(?:[-*]\s+)?(?:\*\*|__)?verif\w*[:*\s]+[^\n*]*", body) or re.search(
            r"verif\w*[:*\s]*[^\n*]*", body
        )
        if not verify:
            emit(
                entry.line,
                "structure.entry-verify",
                "info",
                f"troubleshooting entry {entry.text!r} has no verify step",
                "add 'Verify: <metric> below <threshold> for <N> min' so the reader knows the fix worked",
            )
        elif not (re.search(r"\d|\b(?:one|two|three|four|five|ten|fifteen|twenty|thirty)\b", verify.group(0))
                  or _TIME.search(verify.group(0))):
            # A number to watch or a time to wait: "errors < 1% for 15 min", "row counts within 10%".
            emit(
                entry.line,
                "structure.entry-verify",
                "info",
                f"troubleshooting entry {entry.text!r}: the verify step has no number to check or time to wait",
                "say what number to watch and for how long ('5xx < 0.1% for 15 min')",
            )
        if "escalat" not in body and not escalates_above:
            emit(
                entry.line,
                "structure.entry-escalate",
                "info",
                f"troubleshooting entry {entry.text!r} does not say when to escalate",
                "add 'Escalate: not fixed after N min → <who>'",
            )


def notable_clis() -> frozenset[str]:
    """CLIs a reader must have installed and be allowed to use, listed in the Prerequisites (criterion 19):
    the tools the catalogue marks `prerequisite`."""
    from agent.checks import catalogue

    return catalogue.marked("prerequisite")


def prerequisites(doc: Document, used: dict[str, int], emit: Emit) -> None:
    """Every notable CLI used in a command is named in the Prerequisites (heading or bold label)."""
    start = next((h for h in doc.headings if "prerequisite" in h.text.lower()), None)
    if start is None:
        line = next((i for i, ln in enumerate(doc.lines, 1) if re.search(r"\*\*prerequisites?\b", ln, re.I)), 0)
        if not line:
            if used:
                emit(
                    1,
                    "structure.prerequisites",
                    "warning",
                    "no Prerequisites list: the reader can't tell which "
                    "CLIs and access they need (" + ", ".join(sorted(used)) + ")",
                    "add a Prerequisites list naming each CLI and the access it needs",
                )
            return
        text = "\n".join(doc.lines[line - 1 : line + 15])
    else:
        following = [h.line for h in doc.headings if h.line > start.line and h.level <= start.level]
        stop = following[0] - 1 if following else len(doc.lines)
        text = "\n".join(doc.lines[start.line : stop])
    for tool, line in sorted(used.items(), key=lambda kv: kv[1]):
        if not re.search(r"(?<![\w-])" + re.escape(tool) + r"(?![\w-])", text):
            emit(
                line,
                "structure.prerequisites",
                "warning",
                f"{tool} is used but not listed in the Prerequisites",
                f"add {tool} (and the access it needs) to the Prerequisites",
            )
