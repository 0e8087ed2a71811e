"""What to watch, as data: a `Signal` says what is measured, the threshold and for how long, how bad it
is, and which troubleshooting entry responds. It says nothing about a monitoring stack: each stack
(`agent.knowledge.monitoring`) renders signals in its own language, so a new stack needs no edit here or
in any pack.

Packs and service types declare signals; the threshold comes from the service model when the user gave
one (an SLO, a latency target, an alert threshold, a backlog limit) and is otherwise a default that the
runbook lists as assumed. The alert table's condition is written from the same numbers the query
compares with, so the two cannot disagree.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Literal, Protocol

from agent.runbook import Command

Severity = Literal["Critical", "Warning", "Info"]
Origin = Literal["given", "default"]

# Units a threshold is stated in, and the factor to a query's unit.
_CONVERT: dict[tuple[str, str], float] = {
    ("ms", "s"): 0.001, ("s", "ms"): 1000.0, ("min", "s"): 60.0, ("h", "s"): 3600.0, ("days", "s"): 86400.0,
    ("%", "ratio"): 0.01, ("s", "min"): 1 / 60, ("min", "ms"): 60000.0,
}


_SECONDS = {"ms": 0.001, "s": 1.0, "min": 60.0, "h": 3600.0, "days": 86400.0}
_COUNTS = frozenset({"", "count", "messages", "/s", "keys/s"})  # plain numbers: a count compares with a count


def convert(value: float, unit: str, to: str) -> float | None:
    """`value` in `unit` expressed in `to`; None when the units do not convert (a % is not a count)."""
    if to == unit or (to in _COUNTS and unit in _COUNTS):
        return value
    if (unit, to) in _CONVERT:
        return value * _CONVERT[(unit, to)]
    if unit in _SECONDS and to in _SECONDS:  # any time unit to any other
        return value * _SECONDS[unit] / _SECONDS[to]
    if (unit, to) == ("%", "free_ratio"):  # "> 90% used" is "< 0.1 usable"
        return round(1 - value / 100, 6)
    if (unit, to) == ("%", "free%"):
        return round(100 - value, 6)
    return None


@dataclass(frozen=True)
class Threshold:
    value: float
    unit: str = ""  # "%", "ms", "s", "min", "days", "messages", "" (a count) …
    op: Literal[">", "<", ">=", "<="] = ">"
    origin: Origin = "default"  # "given": a figure from the service model; "default": assumed by the engine
    source: str = ""  # where a given figure came from, or why the default is what it is
    minutes: float | None = None  # how long it must hold, when the user said ("> 5k for 10m"): the signal's

    def text(self) -> str:
        space = " " if self.unit and self.unit not in ("%",) else ""
        return f"{self.op} {self.value:g}{space}{self.unit}"


@dataclass(frozen=True)
class Signal:
    """One thing to alert on.

    `key` names what is measured ("postgres.connections", "error_rate"); stacks look their metric up by it,
    more specific first with `tags` (the exporter or managed product: "rds", "msk", "jmx") and then the
    platform's own tags ("pod", "host", "function"). `labels` are the names a query is scoped by
    ({"db": "orders", "group": "billing-cg"}). `probe` is a bash command that measures the same thing
    directly: custom monitoring uses it, and so does any stack that has no metric for the key.
    `covers` names baseline keys this signal replaces (a pack's consumer-lag alert covers
    "queue_backlog"): merging is by key, never by title.
    """

    key: str
    name: str
    measure: str  # what the condition talks about: "connections", "replica lag"
    threshold: Threshold
    minutes: float  # how long it must hold before the alert fires
    severity: Severity
    response: str
    entry: str | None = None  # the troubleshooting entry that responds (its title)
    of: str = ""  # words after the number: "of max_connections"
    note: str = ""  # said after the duration: "while messages wait"
    tags: tuple[str, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)
    probe: Command | None = None
    covers: tuple[str, ...] = ()
    window: str = "for"  # "for": must hold that long; "in": counted over that window ("> 3 restarts in 15 min")
    # What the service must be for this signal to apply (agent.knowledge.applies.Need: "http", "hosts",
    # "own_disk", "schedule", "stream"); the engine drops a signal whose needs the service model does not meet.
    requires: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.threshold.minutes is not None:  # the user's duration wins over the pack's
            object.__setattr__(self, "minutes", self.threshold.minutes)

    @property
    def condition(self) -> str:
        """The alert table's condition, from the same numbers the query uses."""
        of = f" {self.of}" if self.of else ""
        held = f" {self.window} {self.minutes:g} min" if self.minutes else ""
        note = f" {self.note}" if self.note else ""
        return f"{self.measure} {self.threshold.text()}{of}{held}{note}".strip()

    @property
    def assumed(self) -> bool:
        return self.threshold.origin == "default"

    def with_threshold(self, threshold: Threshold) -> Signal:
        return replace(self, threshold=threshold)


class Named(Protocol):
    names: dict[str, str]


def _number(text: str) -> float | None:
    found = re.match(r"\s*(-?\d+(?:\.\d+)?)", text.replace(",", ""))
    return float(found.group(1)) if found else None


def limit(facts: Named, about: tuple[str, ...], default: float, unit: str = "", op: Literal[">", "<"] = ">",
          figure: str | None = None, why: str = "") -> Threshold:
    """The threshold the user gave for this signal, else `default` (marked as a default).

    A user's alert threshold is a `threshold.<what it is about>` name ("alert when replication lag is above
    60 s" → threshold.replication lag = "60s"); `figure` names a dedicated figure key ("backlog.max").
    """
    names = facts.names
    if figure and figure in names and (value := _number(names[figure])) is not None:
        return Threshold(value, unit, op, "given", "the service model", minutes=held(names.get(f"{figure}.for", "")))
    for key, raw in names.items():
        if not key.startswith("threshold.") or key.endswith(".for"):
            continue
        what = key.removeprefix("threshold.")
        held_for = held(what)
        what = re.sub(r"\s+for\s+\d+(?:\.\d+)?\s*(?:s|min|h|d)$", "", what)
        if any(re.search(rf"\b{re.escape(word)}", what) for word in about):
            value = _number(raw)
            if value is None:
                continue
            given_unit = re.sub(r"^[-\d.,\s]+", "", raw).strip().lower()
            if given_unit and given_unit != unit.lower():  # "2%" is no count: a unit-less signal skips it
                converted = convert(value, {"seconds": "s", "minutes": "min"}.get(given_unit, given_unit), unit)
                if converted is None:
                    continue
                value = converted
            return Threshold(value, unit, op, "given", f"your alert threshold for {what}", minutes=held_for)
    return Threshold(default, unit, op, "default", why or "default")


def held(text: str) -> float | None:
    """Minutes of "... for 10 min" / "10 min" (the duration a user gave with a threshold), else None."""
    found = re.search(r"(?:^|\bfor\s+)(\d+(?:\.\d+)?)\s*(s|min|h|d)$", text.strip())
    if found is None:
        return None
    return float(found.group(1)) * {"s": 1 / 60, "min": 1, "h": 60, "d": 1440}[found.group(2)]


__all__ = ["Named", "Origin", "Severity", "Signal", "Threshold", "convert", "held", "limit"]
