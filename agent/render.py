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
from agent.checks.markdown import github_anchor, parse
from agent.runbook import (
    KNOWN_FAILURE,
    SERVICE_DOWN,
    Alert,
    Command,
    Issue,
    Runbook,
    alert_entries,
    name_key,
    suggested,
)

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


_DECLARATION = re.compile(r"^[A-Z][A-Z0-9_]*=\S")


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
        if pending and command.language == "bash":  # one block declares a variable once
            declared = {ln for part in pending for ln in part.split("\n") if _DECLARATION.match(ln)}
            code = "\n".join(ln for ln in code.split("\n") if ln not in declared)
        pending_lang = command.language
        pending.append(code)
    flush()
    return out



# --- the page: which entry answers which alert, where each command is shown, links -----------------

_INLINE_MAX = 160  # a command repeated elsewhere is quoted inline when it is one line up to this long


def _key(command: Command) -> tuple[str, str]:
    """What a command is, for "shown once": its language and its code with whitespace folded."""
    return command.language, re.sub(r"\s+", " ", command.code.strip())


@dataclass(frozen=True)
class _Place:
    """A heading commands are shown under."""

    level: int
    text: str

    @property
    def line(self) -> str:
        return "#" * self.level + " " + inline(self.text)


def _entry_place(title: str) -> _Place:
    return _Place(3, SERVICE_DOWN) if title == SERVICE_DOWN else _Place(4, f"Issue: {title}")


def _places(runbook: Runbook, entry_of: dict[str, str | None]) -> list[tuple[_Place, list[Command]]]:
    """Every place commands appear, in the order that decides where a command is shown in full: an
    alert's query in the entry that answers it (under the alert's own heading when none does), the
    immediate checks and restarts under Service is Down (a reader there must not be sent elsewhere),
    rollback under Rollback Procedure, then each troubleshooting entry's own checks and fixes, then the
    rest in document order."""
    rb = runbook
    places: list[tuple[_Place, list[Command]]] = [
        (_entry_place(title) if (title := entry_of.get(a.name)) else _Place(5, a.name), [a.query])
        for a in rb.monitoring.alerts]
    down, corrupt = rb.emergency.service_down, rb.emergency.data_corruption
    places += [(_Place(3, SERVICE_DOWN), down.immediate),
               (_Place(3, "Rollback Procedure"), rb.deployment.rollback),
               (_Place(3, SERVICE_DOWN), down.if_restart_fails)]
    for issue in rb.troubleshooting.issues:
        places.append((_Place(4, f"Issue: {issue.title}"),
                       [*issue.check, *(s.command for s in issue.fix if s.command)]))
    places += [
        (_Place(3, "Data Corruption"), [*corrupt.stop_writes, *corrupt.assess, *corrupt.restore]),
        (_Place(4, "1. Pre-deployment Checks"), rb.deployment.pre_deploy),
        (_Place(4, "2. Deployment Commands"), rb.deployment.deploy),
        (_Place(4, "3. Post-deployment Verification"), rb.deployment.post_deploy),
    ]
    places += [
        (_Place(3, "Log Queries"), rb.monitoring.log_queries),
        (_Place(3, "Recovery Procedures"), [c for p in rb.disaster_recovery.procedures for c in p.commands]),
        (_Place(3, "Maintenance Commands"), rb.maintenance.commands),
        (_Place(3, "Useful Commands Cheatsheet"), rb.appendix.cheatsheet),
    ]
    return places


def _link_text(text: str) -> str:
    return inline(text).replace("[", "\\[").replace("]", "\\]")


class Page:
    """State of one rendering: each command is shown in full once, at its home, and linked elsewhere;
    links name headings and are resolved to GitHub anchors once the whole page is rendered."""

    def __init__(self, runbook: Runbook) -> None:
        self.rb = runbook
        self.entry_of = alert_entries(runbook.monitoring.alerts, runbook.troubleshooting.issues)
        self.homes: dict[tuple[str, str], _Place] = {}
        for place, commands in _places(runbook, self.entry_of):
            for command in commands:
                self.homes.setdefault(_key(command), place)
        self.shown: set[tuple[str, str]] = set()
        self.query_of: dict[tuple[str, str], str] = {}  # an alert query -> the alert it is shown for
        self.targets: list[str] = []
        self.said: dict[_Place, set[str]] = {}  # warning sentences already shown under each heading
        self.alerts_of: dict[str, list[str]] = {}
        for alert, title in self.entry_of.items():
            if title:
                self.alerts_of.setdefault(title, []).append(alert)
        escalations = [i.escalate for i in runbook.troubleshooting.issues]
        common = max(set(escalations), key=escalations.count) if escalations else ""
        # Said once above the entries when most entries would repeat it word for word.
        self.common_escalate = common if escalations.count(common) >= 2 else ""

    # --- headings and links ----------------------------------------------------------------------
    def heading(self, level: int, text: str) -> Markdown:
        return Markdown(_Place(level, text).line)

    def link(self, label: str, level: int, text: str) -> Markdown:
        return self._link(label, _Place(level, text))

    def _link(self, label: str, place: _Place) -> Markdown:
        if place.line not in self.targets:
            self.targets.append(place.line)
        return Markdown(f"[{_link_text(label)}](#\x00{self.targets.index(place.line)}\x00)")

    def entry_link(self, title: str) -> Markdown:
        return self._link(title, _entry_place(title))

    def alert_link(self, name: str) -> Markdown:
        """A link to where an alert is defined: its row in Key Alerts, or its own query heading when no
        entry answers it."""
        place = _Place(3, "Key Alerts") if self.entry_of.get(name) else _Place(5, name)
        return self._link(name, place)

    def alert_links(self, issue: Issue) -> Markdown:
        """The alerts an entry answers, each linked back to the alert table."""
        names = list(self.alerts_of.get(issue.title, []))
        if issue.alert and name_key(issue.alert) not in {name_key(n) for n in names}:
            known = {name_key(a.name): a.name for a in self.rb.monitoring.alerts}
            names.append(known.get(name_key(issue.alert), issue.alert))
        known_names = {a.name for a in self.rb.monitoring.alerts}
        return Markdown(", ".join(self.alert_link(n) if n in known_names else inline(n) for n in names))

    def orphan_alerts(self) -> list[Alert]:
        """Alerts no entry answers: their queries get a heading of their own under Alert Queries."""
        return [a for a in self.rb.monitoring.alerts if not self.entry_of.get(a.name)]

    def answered_queries(self, title: str) -> Markdown:
        """The queries of the alerts that lead to entry `title`, shown at its top: what fired."""
        parts = []
        for alert in self.rb.monitoring.alerts:
            if self.entry_of.get(alert.name) != title:
                continue
            query = alert.query
            first = self.query_of.setdefault(_key(query), alert.name)
            label = f"**{inline(alert.name)}** fires on"
            if first != alert.name:  # two alerts on one probe: shown once
                parts.append(f"{label} the same query as {inline(first)}.")
                continue
            self.shown.add(_key(query))
            parts.append(f"{label}: {inline(query.purpose.rstrip('. '))}\n{fenced(query.code, query.language)}")
        return Markdown("\n\n".join(parts))

    def response(self, alert: Alert) -> Markdown:
        """The alert row's response cell, ending in (or naming) a link to the entry that answers it."""
        text = alert.response
        title = self.entry_of.get(alert.name)
        if not title:
            return cell(text)
        link = self.entry_link(title)
        for said, shown in ((f"→ Troubleshooting: {title}", f"→ {link}"), (f"'{title}'", link), (title, link)):
            at = text.find(said)
            if at >= 0:
                before, after = text[:at], text[at + len(said):]
                return Markdown(_cell_keeping_space(before) + shown + _cell_keeping_space(after))
        return Markdown(cell(text.rstrip(". ")) + " → " + link)

    def resolve(self, text: str) -> str:
        """Every `(#\\x00n\\x00)` placeholder replaced by the anchor GitHub gives the heading it names."""
        doc = parse(text)
        lines = text.split("\n")
        anchor_at = {h.line: h.anchor for h in doc.headings}
        anchors: list[str] = []
        for target in self.targets:
            line = next((n for n in sorted(anchor_at) if lines[n - 1] == target), None)
            anchors.append(anchor_at[line] if line is not None else github_anchor(target.lstrip("# ")))
        return re.sub("\x00(\\d+)\x00", lambda m: anchors[int(m.group(1))], text)

    def alert_query(self, alert: Alert) -> Markdown:
        """The alert's query, shown in full under the alert's heading (its home)."""
        query = alert.query
        first = self.query_of.setdefault(_key(query), alert.name)
        if first != alert.name:  # two alerts on one probe: shown under the first
            return Markdown(f"{inline(query.purpose)}: the query of {self.alert_link(first)}.")
        self.shown.add(_key(query))
        return Markdown(f"{inline(query.purpose)}:\n{fenced(query.code, query.language)}")

    # --- start here ------------------------------------------------------------------------------
    def first_check(self, alert: Alert) -> str:
        """What to look at first when `alert` fires: the entry's first check that is not an alert's query
        (the Service is Down procedure's first command), else the query's purpose."""
        title = self.entry_of.get(alert.name)
        if title == SERVICE_DOWN:
            commands = list(self.rb.emergency.service_down.immediate)
        elif title:
            issue = next(i for i in self.rb.troubleshooting.issues if i.title == title)
            commands = list(issue.check)
        else:
            commands = []
        queries = {_key(a.query) for a in self.rb.monitoring.alerts}  # what fired is not a check
        first = next((c for c in commands if _key(c) not in queries), alert.query)
        return first.purpose

    def paging(self) -> tuple[list[Alert], int]:
        """(the alerts that page, how many suggestions were left out): the team's own alerts when it has
        any — a suggestion is not in its monitoring yet, so it cannot be what paged — else every row."""
        alerts = self.rb.monitoring.alerts
        team = [a for a in alerts if not suggested(a)]
        return (team, len(alerts) - len(team)) if team else (list(alerts), 0)

    def seen_before(self) -> list[str]:
        """The team's known failures no alert row of Start here leads to: what to compare the symptoms
        with when no alert names them (the team has seen these; the entries carry its own fix)."""
        led = {self.entry_of.get(a.name) for a in self.paging()[0]}
        return [i.title for i in self.rb.troubleshooting.issues
                if i.title.startswith(KNOWN_FAILURE) and i.title not in led]

    def dependencies_first(self) -> list[str]:
        """The upstream dependencies to rule out first: the critical and high ones, in the order the
        Dependencies table gives them (the engine puts those the service's health depends on first)."""
        names = [d.service.split(" (")[0] for d in self.rb.dependencies.upstream
                 if d.criticality in ("Critical", "High")]
        return list(dict.fromkeys(names))[:4]

    @staticmethod
    def series(items: list[str]) -> str:
        """'a, b and c'; 'a; b, c; and d' when a name has a comma of its own."""
        if len(items) == 1:
            return items[0]
        glue = "; " if any("," in i for i in items) else ", "
        return glue.join(items[:-1]) + ("; and " if glue == "; " else " and ") + items[-1]

    # --- commands --------------------------------------------------------------------------------
    def commands(self, items: list[Command], level: int, text: str, *, skip_shown: bool = False) -> Markdown:
        """Commands under the heading (level, text): in full at their home, as one line elsewhere."""
        here = _Place(level, text)
        out: list[str] = []
        pending: list[Command] = []
        refs: list[str] = []

        def flush() -> None:
            if refs:
                out.append("\n".join(refs))
                refs.clear()
            if pending:
                out.append(self.blocks_markdown(pending, here))
                pending.clear()

        for command in items:
            key = _key(command)
            home = self.homes.get(key, here)
            if home == here and key in self.shown and key in self.query_of:
                continue  # the alert's query, shown at the top of this entry
            if home == here and key not in self.shown:
                self.shown.add(key)
                if refs:
                    flush()
                pending.append(command)
                continue
            if skip_shown:
                continue
            if pending:
                flush()
            refs.append("- " + self.reference(command, home, here))
        flush()
        return Markdown("\n\n".join(out) + ("\n" if out else ""))

    def reference(self, command: Command, home: _Place, here: _Place) -> str:
        """One line for a command shown elsewhere: short safe one-liners quoted, the rest linked."""
        line, where = self._reference(command, home, here)
        return f"{line} ({where})" if where else line

    def _reference(self, command: Command, home: _Place, here: _Place) -> tuple[str, str]:
        """(the reference, the home heading it links to, "" when the command is quoted or above)."""
        code = command.code.strip()
        quotable = ("\n" not in code and len(code) <= _INLINE_MAX and not command.warning
                    and classify(code, command.language) != "destructive")
        purpose = inline(command.purpose.rstrip(". "))
        if quotable:
            mark = "`" * max(1, max((len(r) for r in re.findall(r"`+", code)), default=0) + 1)
            pad = " " if code.startswith("`") or code.endswith("`") else ""
            return f"{purpose}: {mark}{pad}{code}{pad}{mark}", ""
        if home == here:
            return f"{purpose} (above)", ""
        return self._link(command.purpose.rstrip('. '), home), inline(home.text.removeprefix('Issue: '))

    def blocks_markdown(self, commands: list[Command], here: _Place) -> str:
        return _blocks_markdown(commands, self.said.setdefault(here, set()))

    def prerequisites(self) -> list[str]:
        """The prerequisites, without one whose words another one already says ("ssh access to the hosts"
        beside "SSH access with sudo to the hosts")."""
        items = list(dict.fromkeys(self.rb.service_overview.prerequisites))
        words = [set(re.findall(r"[\w'-]+", i.lower())) for i in items]
        return [item for k, item in enumerate(items)
                if not any(j != k and words[k] < words[j] for j in range(len(items)))]

    def escalation(self) -> str:
        """Service is Down's escalation on one line when its steps name their levels (L1:, L2:…) as the
        Escalation Path table does: the table says who and how, this line when."""
        steps = self.rb.emergency.service_down.escalation
        levels = [re.match(r"(L\d+)\b", s.action) for s in steps]
        timed = sum(1 for e in self.rb.contacts.escalation if re.search(r"\d", e.when))
        # a step without a level (the RTO reached: invoke Disaster Recovery) is said in its own words, after them
        if not any(levels) or timed < 2:  # the table must carry the times this line leaves out
            return ""
        parts = [f"{m.group(1)} {'at once' if s.after_minutes <= 0 else 'after ' + duration(s.after_minutes)}"
                 for m, s in zip(levels, steps, strict=True) if m]
        line = ", ".join(parts) + f" (who and how: {self.link('Escalation Path', 3, 'Escalation Path')})"
        rest = [f"after {duration(s.after_minutes)}: {s.action}" for m, s in zip(levels, steps, strict=True) if not m]
        return "; ".join([line, *rest])

    def linked(self, text: str) -> Markdown:
        """Prose with every entry it names in quotes ('PostgreSQL: blocking locks') linked to it."""
        out = str(inline(text))
        for title in sorted((i.title for i in self.rb.troubleshooting.issues), key=len, reverse=True):
            quoted = f"'{inline(title)}'"
            if quoted in out:
                out = out.replace(quoted, self.entry_link(title), 1)
        return Markdown(out)

    def step(self, index: int, action: str, command: Command | None, level: int, text: str) -> Markdown:
        """A numbered fix step; its command indented under it, or one line when it is shown elsewhere."""
        head = f"{index}. {self.linked(action)}"
        if command is None:
            return Markdown(head)
        key = _key(command)
        here = _Place(level, text)
        home = self.homes.get(key, here)
        if home == here and key not in self.shown:
            body = self.commands([command], level, text)
            indented = "\n".join(("   " + ln) if ln else "" for ln in body.rstrip("\n").split("\n"))
            return Markdown(f"{head}\n\n{indented}")
        return Markdown(f"{head} — {self.reference(command, home, here)}")


def _cell_keeping_space(text: str) -> str:
    """`cell(text)` with the spaces at its ends kept (it sits next to a link)."""
    if not text.strip():
        return " " if text else ""
    lead = " " if text[0].isspace() else ""
    trail = " " if text[-1].isspace() else ""
    return lead + cell(text) + trail


def _sentences(text: str) -> list[str]:
    return [p for p in re.split(r"(?<=[.!?])\s+(?=[A-Z0-9])", text.strip()) if p]


def _blocks_markdown(commands: list[Command], said: set[str] | None = None) -> str:
    """The commands' blocks; a warning sentence already in `said` (under the same heading) is not repeated."""
    out: list[str] = []
    for b in blocks(commands):
        part = ""
        if b.warning:
            sentences = _sentences(b.warning)
            new = [x for x in sentences if said is None or x not in said] or sentences[:1]
            if said is not None:
                said.update(sentences)
            part += f"> ⚠️ **Warning:** {inline(' '.join(new))}\n\n"
        if b.intro:
            part += f"{inline(b.intro)}\n\n"
        out.append(part + b.fenced)
    return "\n\n".join(out)


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
    from agent import hostloops

    runbook, setup = hostloops.factor(runbook)  # a host loop declared once, called everywhere
    page = Page(runbook)
    # the SLO line names the quantile the key metrics measure ("Latency p99"): the field is p95 by name only
    quantile = next((m.group(1) for km in runbook.service_overview.key_metrics
                     if (m := re.search(r"(?i)\blatency p(\d+(?:\.\d+)?)\b", km.metric))), "95")
    text = _environment().get_template("runbook.md.j2").render(
        rb=runbook, toc=TOC, r=page, SERVICE_DOWN=SERVICE_DOWN, quantile=quantile,
        setup=Markdown(_blocks_markdown([setup.command])) if setup else None)
    # Collapse the blank-line runs that template conditionals leave behind.
    text = re.sub(r"\n{3,}", "\n\n", text).rstrip() + "\n"
    return page.resolve(text)
