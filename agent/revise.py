"""Revising a runbook from a change asked for in plain words, without a language model.

The offline engine understands a few kinds of change and says plainly when it meets another:

    answer      "environment is docker", "we're business hours only"   → regenerate with the new answer
    name        "call it orders-api"                                   → regenerate with the new name
    describe    "we use Redis Sentinel, add it"                        → append to the description, regenerate
    escalation  "escalate after 10 minutes"                            → shift the escalation timings
    threshold   "alert when error rate > 2%"                           → change matching alerts and metrics
    slo         "p95 target 300ms", "availability 99.95%"              → change the SLO
    contact     "team lead is Jane Doe, jane@example.com"              → add or update a person

Every revision bumps the minor version and adds a revision-history row whose text parses back to the
same change, so edits made in place survive a later regeneration: they are replayed from the history.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal

from pydantic import ValidationError

from agent.answers import Answer, Answers, parse_answer
from agent.errors import ModelError, UsageError
from agent.models.base import GenerationRequest, GenerationResult, Model
from agent.render import duration
from agent.rule import Question, Rule
from agent.runbook import SLO, Escalation, EscalationLevel, Person, Revision, Runbook, allowed_downtime_minutes

Kind = Literal["answer", "name", "describe", "escalation", "threshold", "slo", "contact"]
REGENERATING: tuple[Kind, ...] = ("answer", "name", "describe")

CAN_DO = (
    "offline I can change an answer ('environment is docker'), the name ('call it orders-api'), "
    "escalation timings ('escalate after 10 minutes'), thresholds ('alert when error rate > 2%', "
    "'p95 target 300ms'), contacts ('team lead is Jane Doe, jane@example.com') or add technology "
    "('we use Redis Sentinel, add it'); an LLM model (/model anthropic:<model>) takes any change"
)


class CannotReviseOffline(ModelError):
    """A change the rule-based reviser does not understand or cannot apply."""

    def __init__(self, reason: str, *, hint: str | None = CAN_DO) -> None:
        super().__init__(f"I can't do that offline: {reason}", hint=hint)


class NothingToChange(UsageError):
    """The change asks for what the runbook already says."""


@dataclass(frozen=True)
class Change:
    kind: Kind
    summary: str  # the revision-history text; parse_change(summary) returns this change again
    key: str = ""  # answer key, metric words, contact role
    value: str = ""  # raw answer, name, description text, contact name
    number: float = 0.0
    unit: str = ""
    op: str = ""
    for_minutes: int | None = None
    contact: str = ""
    timezone: str = ""
    add: bool = False  # monitoring: add to the tools rather than replace them


@dataclass
class Revised:
    result: GenerationResult
    request: GenerationRequest  # with the new answers, name or description when those changed
    change: Change
    notes: list[str] = field(default_factory=list)


# --- reading a change ---------------------------------------------------------------------------

_NUMBER = r"(\d+(?:\.\d+)?)"
_MINUTES = re.compile(rf"{_NUMBER}\s*(m|mins?|minutes?|h|hrs?|hours?)\b")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"\+?\d[\d ().-]{6,}\d")
_SLACK = re.compile(r"(?<![\w&])#[a-z0-9][\w-]*")
_TZ = re.compile(r"\b(?:[A-Z][a-z]+/[A-Za-z_]+|(?:UTC|GMT)(?:[+-]\d{1,2})?|[ECMP][SD]T|CET|CEST|IST|JST|AEST)\b")

_ANSWER_KEYS: dict[str, tuple[str, ...]] = {
    "type": ("service type", "type of service", "type"),
    "env": ("deployment environment", "environment", "env", "deployment", "platform"),
    "criticality": ("criticality", "criticality level", "tier"),
    "monitoring": ("monitoring tools", "monitoring", "observability"),
    "oncall": ("on-call rotation", "on-call", "oncall", "on call", "rotation", "coverage"),
}
ANSWER_LABELS = {"type": "Service type", "env": "Deployment environment", "criticality": "Criticality",
                 "monitoring": "Monitoring", "oncall": "On-call"}

_ROLE_WORDS = ("lead", "owner", "manager", "director", "vp", "head", "cto", "sre", "dba", "engineer",
               "architect", "product", "contact", "support", "primary", "secondary", "team")
_ROLE_ALIASES = (
    {"team lead", "tech lead", "technical lead", "lead", "engineering lead"},
    {"service owner", "owner"},
    {"engineering manager", "manager", "em"},
    {"product owner", "product manager", "po", "pm"},
    {"sre team", "sre"},
)

_NOT_ROLES = {"criticality", "environment", "monitoring", "type", "rotation", "call", "oncall", "name", "alert"}

# "add a section about X" asks for writing, not for a fact the knowledge packs can use.
_PROSE_WORDS = {"section", "note", "notes", "step", "steps", "paragraph", "table", "example", "examples", "more",
                "details", "explanation", "text", "description", "chapter", "summary", "command", "commands",
                "query", "queries", "runbook", "cheatsheet", "procedure", "issue", "entry"}

_METRIC_ALIASES = {
    "cpu": ("cpu",), "memory": ("memory", "mem", "ram"), "latency": ("latency", "p95", "p99", "response"),
    "errors": ("error", "errors", "5xx"), "disk": ("disk", "storage"), "requests": ("request", "requests", "rps"),
}
_STOP = {"the", "a", "an", "high", "low", "alert", "rate", "usage", "when", "if", "is", "goes", "our", "of",
         "too", "level", "time", "times"}

_OPS = {">": ">", ">=": ">=", "<": "<", "<=": "<=", "above": ">", "over": ">", "exceeds": ">", "exceed": ">",
        "reaches": ">=", "hits": ">=", "below": "<", "under": "<", "at": ">"}
_OP = r"(>=|<=|>|<|above|over|exceeds?|reaches|hits|below|under|at)"
_UNIT = r"(%|percent|pct|ms|seconds|s|gb|mb|rps|req/s|connections|conns|items|messages|msgs|minutes)?"


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().strip(".!").strip())


def _minutes(value: str, unit: str) -> int:
    return int(round(float(value) * (60 if unit.startswith("h") else 1)))


def parse_change(text: str, rule: Rule, answers: Answers | None = None) -> Change:
    """What a plain-words request asks for; `CannotReviseOffline` when it is none of the known kinds."""
    said = _clean(text)
    if not said:
        raise CannotReviseOffline("the change is empty")
    lowered = said.lower()
    for reader in (_as_describe_summary, _as_name, _as_contact, _as_escalation, _as_threshold, _as_slo):
        change = reader(said, lowered)
        if change is not None:
            return change
    change = _as_answer(said, lowered, rule, answers or Answers())
    if change is not None:
        return change
    change = _as_describe(said, lowered)
    if change is not None:
        return change
    raise CannotReviseOffline(f"{said!r} is not a change I know how to make")


def _as_describe_summary(said: str, lowered: str) -> Change | None:
    m = re.match(r"added to the description:\s*(.+)$", said, re.I)
    if m is None:
        return None
    sentence = m.group(1).rstrip(".") + "."
    again = _as_describe(sentence.rstrip("."), sentence.rstrip(".").lower())
    return Change("describe", f"Added to the description: {sentence}", key=again.key if again else "",
                  value=sentence)


def _as_name(said: str, lowered: str) -> Change | None:
    m = re.match(
        r"(?:please\s+)?(?:rename\s+(?:it|the\s+service|the\s+runbook|this)?\s*to|call\s+(?:it|the\s+service)"
        r"|(?:the\s+)?service\s+name\s*(?:is|:|=|should\s+be)|name\s+it|(?:it|the\s+service)\s+is\s+called"
        r"|(?:it|the\s+service)\s+should\s+be\s+called)\s+(.+)$",
        said, re.I,
    )
    if m is None:
        return None
    name = m.group(1).strip().strip("'\"`").strip()
    if not name:
        return None
    return Change("name", f"Service name: {name}", value=name)


def _as_contact(said: str, lowered: str) -> Change | None:
    m = re.match(r"(?:the\s+|our\s+)?(?P<role>[a-z][a-z /&-]{1,40}?)\s*(?:\bis\b|:|=|\bwill be\b)\s*(?P<rest>.+)$",
                 said, re.I)
    if m is None:
        return None
    role = _clean(m.group("role")).lower()
    rest = m.group("rest")
    words = set(re.split(r"[\s/&-]+", role))
    if not words & set(_ROLE_WORDS) or words & _NOT_ROLES:
        return None
    email = _EMAIL.search(rest)
    phone = _PHONE.search(rest) if email is None else None
    slack = _SLACK.search(rest)
    contact = email.group(0) if email else phone.group(0) if phone else slack.group(0) if slack else ""
    tz = _TZ.search(rest)
    name = rest
    for found in (email, phone, slack, tz):
        if found is not None:
            name = name.replace(found.group(0), " ")
    name = re.sub(r"\b(?:at|on|via|in|reachable|email|phone|slack|timezone|tz)\b", " ", name, flags=re.I)
    name = _clean(re.sub(r"[,;()<>]+", " ", name)).strip("- ")
    if not name and contact:  # a team reached through a channel: "the SRE team is #sre-oncall"
        name = _role_title(role)
    if not name or (not contact and not re.match(r"^[A-Z][\w'.-]*(?:\s+[A-Z][\w'.-]*)*$", name)):
        return None
    shown = [x for x in (name, contact, tz.group(0) if tz else "") if x and x != _role_title(role)]
    return Change("contact", f"{_role_title(role)}: {', '.join(shown)}", key=role, value=name, contact=contact,
                  timezone=tz.group(0) if tz else "")


def _as_escalation(said: str, lowered: str) -> Change | None:
    if "escalat" not in lowered:
        return None
    m = _MINUTES.search(lowered)
    if m is None:
        raise CannotReviseOffline("say after how long to escalate, e.g. 'escalate after 10 minutes'", hint=None)
    minutes = _minutes(m.group(1), m.group(2))
    target = ""
    t = re.search(r"escalat\w*\s+to\s+(?:the\s+)?(.+?)\s+(?:after|within|in|at)\b", lowered)
    if t:
        target = _clean(t.group(1))
    summary = f"Escalate to {target} after {duration(minutes)}" if target else f"Escalate after {duration(minutes)}"
    return Change("escalation", summary, key=target, number=minutes)


def _as_threshold(said: str, lowered: str) -> Change | None:
    if not re.search(r"\b(alert|alerts|alerting|page|fire|threshold)\b", lowered):
        return None
    m = re.search(
        rf"(?:alert\w*|page\s+(?:me|us)?|fire|threshold)\s+(?:me\s+|us\s+)?(?:when|if|on|at|for)?\s*"
        rf"(?P<metric>[a-z0-9 ./_-]+?)\s*(?:is\s+|goes\s+|gets\s+)?{_OP}\s*{_NUMBER}\s*{_UNIT}",
        lowered,
    ) or re.search(
        rf"(?:set|change|raise|lower|move|make)\s+(?:the\s+)?(?P<metric>[a-z0-9 ./_-]+?)\s+alert\w*"
        rf"(?:\s+threshold)?\s+(?:to|at)\s*{_OP}?\s*{_NUMBER}\s*{_UNIT}",
        lowered,
    ) or re.search(
        rf"(?P<metric>[a-z0-9 ./_-]+?)\s+alert\w*(?:\s+threshold)?\s*(?:to|at|of|=|:)?\s*{_OP}?\s*{_NUMBER}\s*{_UNIT}",
        lowered,
    )
    if m is None:
        return None
    metric = _clean(m.group("metric"))
    groups = m.groups()
    op_word, number, unit = groups[1], groups[2], groups[3] or ""
    op = _OPS.get(op_word or ">", ">")
    if op_word in ("below", "under") or (op_word is None and re.search(r"\b(below|under|drops?|less)\b", lowered)):
        op = "<"
    wait = re.search(rf"\bfor\s+{_NUMBER}\s*(m|mins?|minutes?|h|hrs?|hours?)\b", lowered[m.end():])
    for_minutes = _minutes(wait.group(1), wait.group(2)) if wait else None
    if not metric or not re.search(r"[a-z]", metric):
        raise CannotReviseOffline("say which alert, e.g. 'alert when error rate > 2%'", hint=None)
    unit = {"seconds": "s", "req/s": "rps", "conns": "connections", "msgs": "messages", "percent": "%",
            "pct": "%"}.get(unit, unit)
    shown = f"{metric} {op} {float(number):g}{unit}" + (f" for {duration(for_minutes)}" if for_minutes else "")
    return Change("threshold", f"Alert when {shown}", key=metric, number=float(number), unit=unit, op=op,
                  for_minutes=for_minutes)


def _as_slo(said: str, lowered: str) -> Change | None:
    if re.search(r"\b(p95|latency|response time)\b", lowered) and not re.search(r"\bp(50|90|99)\b", lowered):
        m = re.search(rf"{_NUMBER}\s*(ms|s|seconds?)\b", lowered)
        if m:
            ms = float(m.group(1)) * (1 if m.group(2) == "ms" else 1000)
            return Change("slo", f"Response time p95 target {ms:g}ms", key="latency", number=ms, unit="ms")
    word = re.search(r"\b(availability|uptime|sla)\b", lowered)
    if word:
        m = re.search(rf"{_NUMBER}\s*%?", lowered[word.end():])
        if m and 0 < float(m.group(1)) < 100:
            return Change("slo", f"Availability target {float(m.group(1)):g}%", key="availability",
                          number=float(m.group(1)), unit="%")
    if re.search(r"\berror[- ]rate\b", lowered) and re.search(r"\b(target|slo|objective|budget)\b", lowered):
        m = re.search(rf"{_NUMBER}\s*%", lowered)
        if m:
            return Change("slo", f"Error rate target {float(m.group(1)):g}%", key="error_rate",
                          number=float(m.group(1)), unit="%")
    return None


def _question_for(rule: Rule, words: str) -> Question | None:
    for key, names in _ANSWER_KEYS.items():
        if words in names:
            return rule.question(key)
    return next((q for q in rule.questions if words == q.key or words == q.text.lower().rstrip("?")), None)


def _answer_change(question: Question, answer: Answer, answers: Answers, add: bool) -> Change:
    current = answers.get(question.key)
    if add and question.key == "monitoring" and current is not None:
        if set(answer.values) <= set(current.values):
            raise NothingToChange(f"monitoring already includes {answer.display()}")
        kept = [x for x in current.letters if (o := question.option(x)) is not None and o.kind == "choice"]
        answer = parse_answer(question, ", ".join(dict.fromkeys([*kept, *answer.letters])))
    label = ANSWER_LABELS.get(question.key, question.text.rstrip("?"))
    shown = answer.display() if "other" not in answer.values else f"Other: {answer.free_text}"
    if current is not None and current.values == answer.values and current.free_text == answer.free_text:
        raise NothingToChange(f"{label.lower()} is already {current.display()}")
    return Change("answer", f"{label}: {shown}", key=question.key, value=shown, add=add)


def _as_answer(said: str, lowered: str, rule: Rule, answers: Answers) -> Change | None:
    keys = "|".join(sorted((re.escape(w) for names in _ANSWER_KEYS.values() for w in names), key=len, reverse=True))
    m = re.match(
        rf"(?:please\s+)?(?:change|set|switch|make|update)?\s*(?:the\s+|our\s+)?(?P<key>{keys})\s*"
        rf"(?:is\s+now|is|to|:|=|should\s+be|from\s+.+?\s+to)\s*(?P<value>.+)$",
        lowered,
    )
    if m:
        question = _question_for(rule, m.group("key"))
        if question is not None:
            raw = said[m.start("value"):].strip()
            add = bool(re.search(r"\b(add|also)\b", lowered[: m.start("value")]))
            try:
                return _answer_change(question, _parse(question, raw), answers, add)
            except UsageError as exc:
                if isinstance(exc, NothingToChange):
                    raise
                raise CannotReviseOffline(exc.message, hint=exc.hint) from None
    # No question named: a value only one question accepts ("we moved to docker", "it's critical").
    add = bool(re.search(r"\b(add|also|too|as well)\b", lowered))
    rest = re.sub(
        r"^(?:actually\s+|now\s+|please\s+)*(?:we(?:'ve| have)?\s+(?:now\s+)?(?:moved|migrated|switched|run|are|use|"
        r"also\s+use|deploy)\s*(?:to|onto|on|with)?|it(?:'s| is)\s+(?:now\s+)?(?:deployed\s+|hosted\s+|running\s+)?"
        r"(?:on\s+|in\s+|an?\s+)?|it\s+runs\s+(?:on|in)|switch\s+to|move\s+to|add|use|we're|we\s+are|it's|its)\s*",
        "", lowered,
    )
    rest = re.sub(r"[,;]?\s*(?:add it|please|instead|now|too|as well|actually|only)?\.?$", "", rest).strip()
    rest = re.sub(r"\s+(?:now|instead|too|as well)$", "", rest).strip()
    if len(rest) < 2:
        return None
    # "we use Celery, add it" adds a technology; only tools and platforms are something one "uses".
    allowed: set[str] | None = None
    if re.match(r"^(?:please\s+)?add\b", lowered) or re.search(r"\b(add it|also)\b", lowered):
        allowed = {"monitoring"}
    elif re.search(r"\b(use|have)\b", lowered):
        allowed = {"monitoring", "env"}
    hits: list[tuple[Question, Answer]] = []
    for question in rule.questions:
        if allowed is not None and question.key not in allowed:
            continue
        try:
            hits.append((question, parse_answer(question, rest)))
        except UsageError:
            continue
    if len(hits) == 1:
        question, answer = hits[0]
        return _answer_change(question, answer, answers, add)
    return None


def _parse(question: Question, raw: str) -> Answer:
    raw = re.sub(r"\s+(?:now|instead|please)\.?$", "", raw.strip().rstrip("."), flags=re.I)
    return parse_answer(question, raw)


def _as_describe(said: str, lowered: str) -> Change | None:
    m = re.match(
        r"(?:we\s+(?:also\s+)?(?:use|have|run|rely\s+on)|it\s+(?:also\s+)?(?:uses|depends\s+on|talks\s+to|needs)|"
        r"(?:it|the\s+service)\s+(?:also\s+)?(?:uses|depends\s+on|reads\s+from|writes\s+to)|"
        r"(?:please\s+)?add|there(?:'s|\s+is)(?:\s+also)?)\s+(?P<what>.+?)"
        r"(?:[,;.]?\s*(?:(?:please\s+)?(?:add|include|cover)\s+(?:it|that|them)(?:\s+too)?|too|as\s+well))?\.?$",
        said, re.I,
    )
    if m is None:
        return None
    what = _clean(m.group("what"))
    if len(what) < 2:
        return None
    if set(re.findall(r"[a-z]+", what.lower())) & _PROSE_WORDS:
        raise CannotReviseOffline(f"writing new text ({what!r}) needs a language model",
                                  hint="switch with /model anthropic:<model> or openai:<model>")
    sentence = said[: m.end("what")].strip()
    sentence = sentence[0].upper() + sentence[1:] + "."
    return Change("describe", f"Added to the description: {sentence}", key=what, value=sentence)


# --- applying a change --------------------------------------------------------------------------


def bump_version(version: str) -> str:
    """1.0 → 1.1, 1.9 → 1.10, 2 → 2.1, v1.2 → v1.3."""
    m = re.match(r"^(.*?\d+)\.(\d+)(\D*)$", version.strip())
    if m:
        return f"{m.group(1)}.{int(m.group(2)) + 1}{m.group(3)}"
    m = re.match(r"^(.*?\d+)(\D*)$", version.strip())
    if m:
        return f"{m.group(1)}.1{m.group(2)}"
    return f"{version.strip()}.1"


def record_revision(old: Runbook, new: Runbook, summary: str, when: datetime,
                    author: str = "runbook-agent (AI Assistant)") -> Runbook:
    """`new` as the next version of `old`: version bumped, `old`'s history plus one row for this change."""
    version = bump_version(old.header.version)
    row = Revision(version=version, date=f"{when:%Y-%m-%d}", changes=summary, author=author)
    header = new.header.model_copy(update={"version": version, "last_updated": f"{when:%Y-%m-%d %H:%M}"})
    return new.model_copy(update={"header": header, "revision_history": [*old.revision_history, row]})


def _validated(runbook: Runbook, summary: str) -> Runbook:
    try:
        return Runbook.model_validate(runbook.model_dump())
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise CannotReviseOffline(f"{summary!r} would make the runbook invalid ({where}: {first['msg']})",
                                  hint=None) from None


def apply_edit(runbook: Runbook, change: Change) -> tuple[Runbook, list[str]]:
    """An in-place edit (escalation, threshold, slo, contact): the new runbook and notes for the user."""
    if change.kind == "escalation":
        return _escalate(runbook, change)
    if change.kind == "threshold":
        return _threshold(runbook, change)
    if change.kind == "slo":
        return _slo(runbook, change)
    if change.kind == "contact":
        return _contact(runbook, change)
    raise ValueError(f"{change.kind} is not an in-place edit")


def _shifted(times: list[int], minutes: int, index: int, names: list[str]) -> list[int]:
    """Move step `index` to `minutes` and nothing else: a step that would then come out of order is not
    moved along silently; the change is refused, naming that step."""
    if index > 0 and times[index - 1] >= minutes:
        raise CannotReviseOffline(
            f"escalating to {names[index]} after {duration(minutes)} would come before {names[index - 1]} "
            f"(after {duration(times[index - 1])})", hint=f"move {names[index - 1]} first")
    if index + 1 < len(times) and times[index + 1] <= minutes:
        raise CannotReviseOffline(
            f"escalating to {names[index]} after {duration(minutes)} would come after {names[index + 1]} "
            f"(after {duration(times[index + 1])})",
            hint=f"move {names[index + 1]} first, e.g. 'escalate to {names[index + 1]} after "
                 f"{duration(minutes + times[index + 1] - times[index])}'")
    return [*times[:index], minutes, *times[index + 1:]]


def _target_index(texts: list[str], times: list[int], target: str) -> int | None:
    if target:
        wanted = _aliases(target)
        for i, text in enumerate(texts):
            low = text.lower()
            if any(re.search(rf"\b{re.escape(w)}\b", low) for w in wanted):
                return i
        return None
    return next((i for i, t in enumerate(times) if t > 0), None)


def _retime(text: str, old: int, new: int) -> str:
    """'… not mitigated after 5 min' → '… after 10 min': the step's own time, wherever the text names it."""
    if old == new:
        return text
    pattern = rf"(?<![\d.])({old})\s*(min|mins|minutes?)\b"
    if re.search(pattern, text):
        return re.sub(pattern, lambda m: f"{new} {m.group(2)}", text)
    if old and old % 60 == 0:
        hours = rf"(?<![\d.]){old // 60}\s*(h|hrs?|hours?)\b"
        return re.sub(hours, duration(new), text)
    return text


def _step_name(action: str) -> str:
    """How to name an emergency escalation step: its level ('L3') when the action gives one."""
    level = re.search(r"\bL\d\b", action)
    return level.group(0) if level else repr(action.split(":")[0].strip()[:40])


def _escalate(runbook: Runbook, change: Change) -> tuple[Runbook, list[str]]:
    minutes = int(change.number)
    steps = runbook.emergency.service_down.escalation
    levels = runbook.contacts.escalation
    notes: list[str] = []
    i = _target_index([s.action for s in steps], [s.after_minutes for s in steps], change.key)
    j = _target_index([f"{lv.level} {lv.contact}" for lv in levels], [lv.after_minutes for lv in levels], change.key)
    if i is None and j is None:
        raise CannotReviseOffline(f"no escalation step names {change.key!r}", hint="e.g. 'escalate after 10 minutes'")
    emergency, contacts = runbook.emergency, runbook.contacts
    if i is not None:
        times = _shifted([s.after_minutes for s in steps], minutes, i, [_step_name(s.action) for s in steps])
        new_steps = [Escalation(after_minutes=t, action=_retime(s.action, s.after_minutes, t))
                     for s, t in zip(steps, times, strict=True)]
        sd = emergency.service_down.model_copy(update={"escalation": new_steps})
        emergency = emergency.model_copy(update={"service_down": sd})
        notes.append("Emergency escalation: " + ", ".join(duration(t) for t in times))
    if j is not None:
        times = _shifted([lv.after_minutes for lv in levels], minutes, j, [lv.level for lv in levels])
        new_levels = [
            EscalationLevel(level=lv.level, contact=lv.contact, method=lv.method,
                            when=_retime(lv.when, lv.after_minutes, t), after_minutes=t)
            for lv, t in zip(levels, times, strict=True)
        ]
        contacts = contacts.model_copy(update={"escalation": new_levels})
        notes.append("Contact escalation path: " + ", ".join(
            f"{lv.level} {'first response' if lv.after_minutes == 0 else 'after ' + duration(lv.after_minutes)}"
            for lv in new_levels))
    return runbook.model_copy(update={"emergency": emergency, "contacts": contacts}), notes


def _tokens(text: str) -> set[str]:
    """Words of a metric or alert name, each alias word replaced by its canonical name."""
    out: set[str] = set()
    for word in set(re.findall(r"[a-z0-9]+", text.lower())) - _STOP:
        canon = next((c for c, names in _METRIC_ALIASES.items() if word in names or word == c), None)
        out.add(canon or word)
    return out


def _score(metric: str, name: str) -> int | None:
    """How well an alert or metric name fits the words the user used: None = not at all, 0 = exactly."""
    wanted, have = _tokens(metric), _tokens(name)
    if not wanted or not wanted <= have:
        return None
    return len(have - wanted)


def _best(metric: str, names: list[str]) -> set[int]:
    scores = {i: sc for i, n in enumerate(names) if (sc := _score(metric, n)) is not None}
    if not scores:
        return set()
    low = min(scores.values())
    return {i for i, sc in scores.items() if sc == low}


_CONDITION_NUMBER = re.compile(rf"(>=|<=|>|<)?\s*(?<![\w.]){_NUMBER}\s*(%|ms|s\b|gb|mb|rps)?", re.I)


def _new_condition(old: str, change: Change) -> str:
    new = f"{change.op} {change.number:g}{change.unit}"
    m = _CONDITION_NUMBER.search(old)
    text = old[: m.start()] + new + old[m.end():] if m else f"{new} {old}"
    if change.for_minutes:
        d = f"for {duration(change.for_minutes)}"
        if re.search(r"\bfor\s+\d+\s*\w+", text):
            text = re.sub(r"\bfor\s+\d+\s*\w+", d, text, count=1)
        else:
            text = f"{text} {d}"
    return text


def _old_number(condition: str) -> float | None:
    m = _CONDITION_NUMBER.search(condition)
    return float(m.group(2)) if m else None


def _new_query(code: str, old: float | None, change: Change) -> str | None:
    """The alert query with its threshold changed, or None when the threshold can't be found for sure."""
    found = list(re.finditer(rf"(>=|<=|>|<)\s*{_NUMBER}", code))
    if len(found) != 1 or old is None:
        return None
    value = float(found[0].group(2))
    for scale in (1.0, 0.01, 0.001):  # the same number, a percentage as a fraction, ms as seconds
        if abs(value - old * scale) < 1e-9:
            new = f"{found[0].group(1)} {change.number * scale:g}"
            m = found[0]
            return code[: m.start()] + new + code[m.end():]
    return None


def _threshold(runbook: Runbook, change: Change) -> tuple[Runbook, list[str]]:
    notes: list[str] = []
    alerts = []
    hit = 0
    chosen = _best(change.key, [a.name for a in runbook.monitoring.alerts])
    for index, alert in enumerate(runbook.monitoring.alerts):
        if index not in chosen:
            alerts.append(alert)
            continue
        hit += 1
        old = _old_number(alert.condition)
        query = alert.query
        new_code = _new_query(query.code, old, change)
        if new_code is not None:
            query = query.model_copy(update={"code": new_code})
        else:
            notes.append(f"Alert {alert.name!r}: its query was not changed (no single threshold to edit); "
                         "check it by hand or use an LLM model")
        condition = _new_condition(alert.condition, change)
        alerts.append(alert.model_copy(update={"condition": condition, "query": query}))
        notes.append(f"Alert {alert.name!r}: {alert.condition} → {condition}")
    metrics = []
    chosen = _best(change.key, [m.metric for m in runbook.service_overview.key_metrics])
    for index, metric in enumerate(runbook.service_overview.key_metrics):
        if index in chosen:
            new_threshold = _new_condition(metric.alert_threshold, replace(change, for_minutes=None))
            metrics.append(metric.model_copy(update={"alert_threshold": new_threshold}))
            notes.append(f"Key metric {metric.metric!r}: alert threshold {metric.alert_threshold} → {new_threshold}")
            hit += 1
        else:
            metrics.append(metric)
    if not hit:
        names = ", ".join(a.name for a in runbook.monitoring.alerts)
        raise CannotReviseOffline(f"no alert or key metric matches {change.key!r}", hint=f"alerts: {names}")
    monitoring = runbook.monitoring.model_copy(update={"alerts": alerts})
    overview = runbook.service_overview.model_copy(update={"key_metrics": metrics})
    return runbook.model_copy(update={"monitoring": monitoring, "service_overview": overview}), notes


def _slo(runbook: Runbook, change: Change) -> tuple[Runbook, list[str]]:
    slo = runbook.service_overview.slo
    data = slo.model_dump()
    if change.key == "latency":
        data["latency_p95_ms"] = change.number
    elif change.key == "availability":
        data["availability_target_pct"] = change.number
        data["allowed_downtime_minutes_per_month"] = allowed_downtime_minutes(change.number)
    else:
        data["error_rate_pct"] = change.number
    if data == slo.model_dump():
        raise NothingToChange(f"the SLO already says {change.summary.lower()}")
    new_slo = SLO(**data)
    overview = runbook.service_overview.model_copy(update={"slo": new_slo})
    notes = [f"SLO: availability {new_slo.availability_target_pct:g}% "
             f"(~{new_slo.allowed_downtime_minutes_per_month:g} min/month), p95 < {new_slo.latency_p95_ms:g}ms, "
             f"errors < {new_slo.error_rate_pct:g}%"]
    related = "latency" if change.key == "latency" else "errors" if change.key == "error_rate" else ""
    for alert in runbook.monitoring.alerts if related else []:
        if related in _tokens(alert.name):
            notes.append(f"Alert {alert.name!r} still fires at {alert.condition}; "
                         f"say 'alert when {alert.name.lower()} > N' to change it")
    return runbook.model_copy(update={"service_overview": overview}), notes


_TITLES = {"tech lead": "Tech Lead", "service owner": "Service Owner"}


def _role_title(role: str) -> str:
    return " ".join(w.upper() if w in ("sre", "dba", "vp", "cto") else w.capitalize() for w in role.split())


def _aliases(role: str) -> set[str]:
    role = role.lower().strip()
    for group in _ROLE_ALIASES:
        if role in group:
            return set(group)
    return {role}


def _contact(runbook: Runbook, change: Change) -> tuple[Runbook, list[str]]:
    wanted = _aliases(change.key)
    # a role the runbook has a title for keeps it ("team lead" is the Tech Lead row the engine writes)
    role_title = next((t for k, t in _TITLES.items() if k in wanted), _role_title(change.key))
    people = list(runbook.contacts.personnel)
    notes: list[str] = []
    index = next((i for i, p in enumerate(people) if p.role.lower().strip() in wanted), None)
    if index is None:
        people.append(Person(role=role_title, name=change.value, contact=change.contact or "fill in",
                             timezone=change.timezone or "fill in"))
        notes.append(f"Added {role_title}: {change.value}"
                     + ("" if change.contact else " (no contact given: say 'X is Name, email')"))
    else:
        old = people[index]
        people[index] = old.model_copy(update={
            "name": change.value, "contact": change.contact or old.contact, "timezone": change.timezone or old.timezone,
        })
        notes.append(f"{old.role}: {old.name} → {change.value}")
    levels = []
    for lv in runbook.contacts.escalation:
        base = re.sub(r"\s*\(.*\)$", "", lv.contact).strip()
        if any(re.search(rf"\b{re.escape(w)}\b", base.lower()) for w in wanted if len(w) > 2):
            lv = lv.model_copy(update={"contact": f"{base} ({change.value})"})
            notes.append(f"Escalation {lv.level}: {lv.contact}")
        levels.append(lv)
    named = any(change.value in lv.contact for lv in levels)
    free = next((i for i, lv in enumerate(levels) if lv.contact.startswith("fill in: who is called next")), None)
    if not named and free is not None and not wanted & {"service owner", "owner"}:
        # no level names the role (none is invented): the person now named is the next one called
        levels[free] = levels[free].model_copy(update={"contact": f"{role_title} ({change.value})",
                                                       "method": change.contact or levels[free].method})
        notes.append(f"Escalation {levels[free].level}: {levels[free].contact}")
    contacts = runbook.contacts.model_copy(update={"personnel": people, "escalation": levels})
    update: dict[str, object] = {"contacts": contacts}
    if wanted & {"service owner", "owner"}:
        update["header"] = runbook.header.model_copy(update={"owner": change.value})
        notes.append(f"Service owner in the header: {change.value}")
    return runbook.model_copy(update=update), notes


def updated_request(request: GenerationRequest, change: Change) -> GenerationRequest:
    """The request a regenerating change leads to."""
    from agent.service.corrections import correct, renamed

    if change.kind == "name":
        return replace(request, service_name=change.value, service=renamed(request.service, change.value))
    if change.kind == "describe":
        return replace(request, description=f"{request.description.rstrip()}\n\n{change.value}",
                       service=correct(request.service, change.value, origin="given").model)
    if change.kind == "answer":
        question = request.rule.question(change.key)
        assert question is not None
        answer = _parse(question, change.value)
        return replace(request, answers=request.answers.merged(Answers({change.key: answer})))
    return request


def replay(runbook: Runbook, history: list[Revision], rule: Rule) -> tuple[Runbook, list[str]]:
    """Apply again the in-place edits recorded in an older runbook's history (after a regeneration)."""
    notes: list[str] = []
    for row in history[1:]:
        try:
            change = parse_change(row.changes, rule)
        except Exception:  # a row written by someone else: not ours to replay
            continue
        if change.kind in REGENERATING:
            continue
        try:
            runbook, _ = apply_edit(runbook, change)
        except (CannotReviseOffline, NothingToChange, ValidationError):
            notes.append(f"Could not carry over {row.changes!r} to the regenerated runbook")
    return runbook, notes


def _packs(request: GenerationRequest, description: str | None = None) -> dict[str, str]:
    """The knowledge packs that apply to a request's description (or to `description`), with why."""
    from agent.knowledge.base import Context
    from agent.knowledge.facts import facts_from_model
    from agent.knowledge.packs import detect_packs
    from agent.service.text import parse

    text = request.description if description is None else description
    facts = facts_from_model(parse(text, name=request.service_name), text)
    return {pack.name: reason for pack, reason in detect_packs(Context(request.answers, facts))}


def _coverage(before: GenerationRequest, after: GenerationRequest, change: Change) -> str:
    """What the added description did to the runbook, said once: a pack that applies now, one that already
    did, or none (never both)."""
    had, has = _packs(before), _packs(after)
    added = [name for name in has if name not in had]
    if added:
        return "; ".join(f"Pack {name} applies now ({has[name]})" for name in added) + \
            ": its alerts, troubleshooting entries and commands are in the runbook"
    named = [name for name in _packs(after, change.value) if name in had]
    if named:
        return f"Pack {', '.join(named)} already applied; the description now says so too"
    return (f"No knowledge pack covers {change.key!r}, so the runbook does not mention it yet; "
            "an LLM model (/model anthropic:<model>) would write it in")


def revise_offline(model: Model, runbook: Runbook, text: str, request: GenerationRequest, *,
                   when: datetime | None = None) -> Revised:
    """Apply a plain-words change with rules; regenerate with `model` when answers, name or description change."""
    when = when or datetime.now()
    change = parse_change(text, request.rule, request.answers)
    notes: list[str] = []
    new_request = request
    if change.kind in REGENERATING:
        new_request = updated_request(request, change)
        if change.kind == "describe" and len(new_request.description) > 20_000:
            raise CannotReviseOffline("the description would grow past 20,000 characters", hint=None)
        from agent.loop import generate  # the same step as a first generation: forbidden commands removed

        result = generate(model, new_request)
        new, replay_notes = replay(result.runbook, runbook.revision_history, request.rule)
        notes += replay_notes
        if change.kind == "describe":
            notes.append(_coverage(request, new_request, change))
        elif change.kind == "answer":
            notes.append(f"Regenerated with {change.summary}")
        else:
            notes.append(f"Regenerated as {new.header.service_name!r}")
    else:
        new, edit_notes = apply_edit(runbook, change)
        if new == runbook:
            raise NothingToChange(f"the runbook already says that ({change.summary})")
        notes += edit_notes
        result = GenerationResult(runbook=new)
    author = request.authors[0] if request.authors else "runbook-agent (AI Assistant)"
    new = _validated(record_revision(runbook, new, change.summary, when, author), change.summary)
    result.runbook = new
    said = " ".join(notes)  # a pack the coverage note names is not announced twice

    def repeated(note: str) -> bool:
        return note.startswith("pack ") and f"Pack {note[5:].split(':')[0]} " in said

    result.notes = [*(n for n in result.notes if not repeated(n)), *notes]
    return Revised(result, new_request, change, notes)


def revise(model: Model, runbook: Runbook, change: str, request: GenerationRequest) -> GenerationResult:
    """`Model.revise` for the offline engine."""
    return revise_offline(model, runbook, change, request).result
