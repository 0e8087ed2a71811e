"""Alerts the team already has, as the description gives them ("OrdersApi-5xx-High — ALB 5xx > 2% for 5
min"), joined to the signals the engine would write for the same thing.

A described alert that a signal measures becomes that signal under the team's name, with the team's
threshold, comparison, duration and quantile: the row's condition and its query are rendered from the
same numbers, so they agree, and the query is the stack's real one instead of the description's words.
An alert no signal measures ("vault-sealed: any node reports sealed") is returned as left over: the
runbook shows it in the team's words, with its own entry (`repository_alerts`), never as a default.

Matching is by what is measured, not by title: the words of the alert's name and condition (split at
case changes, `-`, `_`, `.`) are reduced to concepts (errors, latency, lag, backlog, running count, CPU
…), a signal must share one with the alert, and the threshold must convert to the signal's unit with the
same direction (a `%` is not a count; `< 3 running` is not `> 5%`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence, Set
from dataclasses import dataclass, replace
from typing import Literal, cast

from agent.knowledge.signals import Severity, Signal, Threshold, convert
from agent.service.model import AlertRule

# words -> what they measure
_CONCEPTS: dict[str, tuple[str, ...]] = {
    "errors": ("5xx", "error", "errors", "failure", "failures", "failed", "fail", "fails", "faults", "unavailable",
               "deadline", "aborted"),  # gRPC status codes are errors
    "latency": ("latency", "p50", "p75", "p90", "p95", "p99", "p999", "response", "duration", "slow"),
    "lag": ("lag", "behind", "replication", "replica"),
    "backlog": ("backlog", "queue", "queued", "depth", "messages", "waiting", "visible", "oldest", "age", "pending"),
    "running": ("running", "healthy", "tasks", "up", "down", "available", "instances", "pods", "replicas",
                "hosts", "nodes", "desired"),
    "cpu": ("cpu",),
    "memory": ("memory", "mem", "heap", "oom", "rss"),
    "disk": ("disk", "storage", "volume", "watermark", "inodes"),
    "connections": ("connections", "connection", "conn", "pool", "clients", "connected"),
    "restarts": ("restarts", "restart", "crashloop", "crash", "crashes"),
    "evictions": ("evictions", "evicted", "eviction"),
    "certificate": ("cert", "certificate", "tls", "ssl", "expiry", "expires"),
    "throttles": ("throttles", "throttled", "throttling", "throttle"),
    "dead_letter": ("dlq", "dead", "deadletter"),
    "under_replicated": ("replicated", "underreplicated", "isr"),
}
# concepts particular enough that sharing one says what a count is about ("DLQ … > 0" is the DLQ signal's)
_SPECIFIC = frozenset({"dead_letter", "under_replicated", "evictions", "certificate", "throttles", "restarts"})
# a mount point ("/var/lib/kafka usage > 80%", "free space on /data") is a disk
_PATH = re.compile(r"(?:^|\s)/[\w.-]+(?:/[\w.-]+)*")
_WORD_CONCEPT = {word: concept for concept, words in _CONCEPTS.items() for word in words}
# concepts that decide on their own; "running"/"up" words also appear in other alerts' names
_WEAK = frozenset({"running"})
_OPS = {">": ">", ">=": ">=", "<": "<", "<=": "<="}
_FREE = re.compile(r"(?i)\b(?:free|available|remaining|left|headroom)\b")
_RULE = re.compile(r"^(?P<metric>.*?)\s*(?P<op>>=|<=|>|<)\s*(?P<value>-?\d+(?:\.\d+)?)\s*(?P<unit>\S*)\s*$")
_UNITS = {"": "", "%": "%", "ms": "ms", "s": "s", "min": "min", "h": "h", "k": "", "messages": "messages",
          "msgs": "messages", "errors": "", "jobs": "", "connections": "", "req/s": "/s", "rps": "/s",
          "gb": "GB", "mb": "MB"}


def words(text: str) -> list[str]:
    """Lower-case words of a name or condition: "AuroraGlobalDBReplicationLag" -> aurora, global, db,
    replication, lag; "OrdersApi-5xx-High" -> orders, api, 5xx, high."""
    text = re.sub(r"(?<=\d)XX\b", "xx", text)  # "HTTPCode_Target_5XX": 5xx, not "5 XX"
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", " ", text)
    return [w.lower() for w in re.findall(r"\d+[xX][xX]|p\d+(?:\.\d+)?|[A-Za-z]+", spaced)]


def concepts(text: str) -> set[str]:
    return {_WORD_CONCEPT[w] for w in words(text) if w in _WORD_CONCEPT}


@dataclass(frozen=True)
class Given:
    """A described alert, read: its name, what it measures, and its threshold when it has one."""

    rule: AlertRule
    concepts: frozenset[str]
    op: str
    value: float | None
    unit: str
    minutes: float | None
    quantile: str | None

    @classmethod
    def of(cls, rule: AlertRule) -> Given:
        found = _RULE.match(rule.expr or "")
        metric = found.group("metric") if found else rule.summary
        quantile = re.search(r"(?<![\w.])p(50|75|90|95|99|99\.9|999)(?![\w.])", f"{rule.name} {metric}", re.I)
        about = concepts(f"{metric} {rule.name}") | ({"disk"} if _PATH.search(f"{metric} {rule.name}") else set())
        return cls(rule=rule, concepts=frozenset(about),
                   op=found.group("op") if found else "", value=float(found.group("value")) if found else None,
                   unit=_UNITS.get(found.group("unit").lower(), found.group("unit")) if found else "",
                   minutes=_minutes(rule.duration), quantile=quantile.group(1) if quantile else None)


# what a team's severity word means for the table's column (P2 still pages; Zabbix "Average" does not)
_SEVERITY: dict[str, Severity] = {
    "critical": "Critical", "page": "Critical", "p0": "Critical", "p1": "Critical", "p2": "Critical",
    "sev0": "Critical", "sev1": "Critical", "sev-1": "Critical", "sev2": "Critical", "sev-2": "Critical",
    "high": "Critical", "disaster": "Critical", "urgent": "Critical", "emergency": "Critical",
    "warning": "Warning", "p3": "Warning", "sev3": "Warning", "sev-3": "Warning", "average": "Warning",
    "medium": "Warning", "major": "Warning",
    "ticket": "Info", "info": "Info", "information": "Info", "p4": "Info", "p5": "Info", "low": "Info",
    "minor": "Info", "email": "Info", "slack": "Info", "notice": "Info",
}


def severity(word: str) -> Severity:
    return _SEVERITY.get(word.strip().lower(), "Warning")


def _minutes(duration: str) -> float | None:
    found = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(s|m|h|d)?", duration.strip())
    if not found:
        return None
    return float(found.group(1)) * {"s": 1 / 60, "m": 1, "h": 60, "d": 1440}[found.group(2) or "m"]


# a measure derived from two quantities ("running minus desired", "error ratio") is not the plain one
_DERIVED = re.compile(r"\b(?:minus|difference|ratio|share|per|rate|delta)\b")
# words every alert name has, which say nothing about what it measures
_GENERIC = frozenset("high low alert alarm monitor warning critical page the of a an is too above below over under "
                     "count total service api app".split())


# words that say which component an alert is about: a signal that does not name the same one measures
# another thing ("RDS CPU > 80%" is not the service's CPU, "sidekiq queue latency" not request latency)
_SUBJECTS = frozenset("sidekiq celery rds aurora postgres postgresql pg mysql mariadb redis mongo mongodb mongod sql "
                      "kafka rabbitmq pgbouncer elasticsearch opensearch nats logstash dynamodb sqs ses memcached "
                      "jvm queue broker".split())


def _about(signal: Signal) -> str:
    return f"{signal.key.replace('_', ' ').replace('.', ' ')} {signal.name} {signal.measure} {signal.of}"


def _fits(given: Given, signal: Signal) -> Threshold | None:
    """The signal's threshold in the given alert's numbers, or None when they measure different things."""
    shared = given.concepts & concepts(_about(signal))
    about = set(words(_about(signal))) | {t.lower() for t in signal.tags}
    named = _PATH.sub(" ", f"{given.rule.name} {given.rule.expr}")  # "/var/lib/kafka" is a disk, not Kafka
    if {w for w in words(named) if w in _SUBJECTS} - about:
        return None  # the alert names a component the signal does not measure
    if not shared or shared <= _WEAK and len(given.concepts) > len(shared):
        return None
    if given.unit in ("", "messages") and not shared & _SPECIFIC and not (
            set(words(f"{given.rule.name} {given.rule.expr}")) - _GENERIC - set(_WORD_CONCEPT)) & (
            set(words(_about(signal))) - _GENERIC):
        return None  # a count is about something particular ("KMS errors"): one shared word must say what
    derived = _DERIVED.search(signal.measure.lower())
    if derived and derived.group(0) not in words(f"{given.rule.expr} {given.rule.summary}") and \
            not (derived.group(0) in ("rate", "share", "ratio") and given.unit == "%"):
        return None  # "running tasks < 3" is not "running minus desired < 0"
    if given.value is None:
        return None  # nothing to put in a query: shown in the team's words instead
    op = _OPS.get(given.op)
    given_value = given.value
    if op is not None and op[0] != signal.threshold.op[0] and given.unit == signal.threshold.unit == "%" and \
            _FREE.search(f"{given.rule.name} {given.rule.expr}") and not _FREE.search(signal.measure):
        # "free space < 15%" is "used > 85%": the same alert in the signal's terms
        op, given_value = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}[op], round(100 - given.value, 6)
    if op is None or (op[0] != signal.threshold.op[0]):
        return None  # "< 3 running" is not "> 5% failing"
    value = convert(given_value, given.unit, signal.threshold.unit)
    if value is None:
        return None
    value, unit = round(value, 6), signal.threshold.unit
    if given.unit != unit and convert(1, given.unit, unit) is not None and given.unit in ("ms", "s", "min", "h"):
        value, unit = given_value, given.unit  # the team's number as written ("1000 ms"); stacks convert it
    return Threshold(value, unit, cast(Literal[">", "<", ">=", "<="], op), "given", f"your alert {given.rule.name}",
                     minutes=given.minutes)


def apply(rules: Sequence[AlertRule], groups: Sequence[Sequence[Signal]], specific: Set[str] = frozenset()
          ) -> tuple[list[list[Signal]], dict[str, str], list[AlertRule]]:
    """Each described rule on the signal that measures it (the most specific: later groups are packs,
    searched first); a rule named in `specific` only on one of the last group's. Returns the signal
    groups with those signals renamed and re-thresholded, {old signal name: the rule's name}, and the
    rules no signal measures."""
    out = [list(group) for group in groups]
    renamed: dict[str, str] = {}
    left: list[AlertRule] = []
    taken: set[tuple[int, int]] = set()
    for rule in rules:
        given = Given.of(rule)
        best: tuple[int, int, int, Threshold] | None = None
        for g in reversed(range(len(out))):
            if rule.name in specific and g != len(out) - 1:
                continue
            for i, signal in enumerate(out[g]):
                if (g, i) in taken:
                    continue
                threshold = _fits(given, signal)
                if threshold is None:
                    continue
                mine = set(words(_about(signal))) - _GENERIC
                score = 10 * len(given.concepts & concepts(_about(signal))) + len(
                    (set(words(f"{rule.name} {rule.expr}")) - _GENERIC) & mine)
                if best is None or score > best[0]:
                    best = (score, g, i, threshold)
        if best is None:
            left.append(rule)
            continue
        _, g, i, threshold = best
        taken.add((g, i))
        signal = out[g][i]
        # the team's duration, and none when it gives none ("Threads_connected > 1800" fires at once): a
        # default "for 5 min" would be a figure the team never set; a count's window stays ("in 15 min")
        minutes = given.minutes if given.minutes is not None else 0 if signal.window == "for" else signal.minutes
        update: dict[str, object] = {"name": rule.name, "threshold": replace(threshold, minutes=minutes),
                                     "minutes": minutes}
        if rule.severity.strip():  # the team's severity beats the signal's, like its threshold
            update["severity"] = severity(rule.severity)
        if given.quantile and signal.key == "latency":
            q = given.quantile
            update["measure"] = f"p{q}"
            update["labels"] = {**signal.labels, "q": q,
                                "q_ratio": f"0.{q}" if len(q) == 2 else f"{float(q) / 100:g}"}
        renamed[signal.name] = rule.name
        out[g][i] = replace(signal, **update)  # type: ignore[arg-type]
    return out, renamed, left


__all__ = ["Given", "apply", "concepts", "severity", "words"]
