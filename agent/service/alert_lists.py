"""The team's alerts when a description lists them without names: "monitors: sidekiq queue latency > 5 min,
puma backlog > 20, 5xx > 2%", "Alerts on replication lag > 30s, connections > 8000, and no primary for
> 30s", "we page on 5xx ratio > 0.5% for 10 min and on Cloud SQL CPU > 80%", "alerts: x > 5000 for 10m |
memory alarm". Each item is one alert, named by the team's own words (the item as written), with its
number, unit, comparison and duration read apart so the runbook's query uses the same figures.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# what opens a list of alerts: "Zabbix alerts:", "CloudWatch alarms today:", "Alerts on", "we page on"
_LEAD = re.compile(
    r"(?i)\b(?:alerts?|alarms?|monitors?|triggers?|alert(?:ing)?\s+rules?)"
    r"(?:\s+(?:we\s+have|today|in\s+place|configured|already|set\s+up|that\s+exist|so\s+far|now|are|include))*"
    r"\s*(?::|=|\bon\b)|\b(?:page|pages|paged|paging)\s+(?:us\s+|me\s+)?(?:on|when|if)\b")
_SPLIT = re.compile(r"\s*(?:;|\||,(?!\d{3}\b)|\s(?:and|plus)\s+(?:on\s+|when\s+|if\s+)?)\s*")
_WORD_OPS = {"above": ">", "over": ">", "exceeds": ">", "exceed": ">", "more than": ">", "greater than": ">",
             "higher than": ">", "at least": ">=", "below": "<", "under": "<", "less than": "<", "lower than": "<",
             "at most": "<=", "≥": ">=", "≤": "<="}
_OP = (r"(?P<op>>=|<=|==|!=|>|<|≥|≤|(?:(?:is|goes|rises|drops|falls)\s+)?(?:"
       + "|".join(sorted((re.escape(w) for w in _WORD_OPS if w[0].isalpha()), key=len, reverse=True)) + r")\b)")
_UNIT = (r"(?P<unit>%|ms\b|s\b|secs?\b|seconds?\b|m\b|mins?\b|minutes?\b|h\b|hrs?\b|hours?\b|d\b|days?\b|"
         r"[kmgt]i?b\b|/s\b|/min\b|/h\b|/hour\b|per\s+(?:second|minute|hour)\b)?")
_VALUE = r"(?P<value>\d[\d,]*(?:\.\d+)?)(?P<k>k\b)?"
_COMPARED = re.compile(rf"(?i)^(?P<metric>.*?)\s*{_OP}\s*{_VALUE}\s*{_UNIT}")
_BARE = re.compile(rf"(?i)^(?P<metric>[^\d<>=]*?[A-Za-z)])\s+{_VALUE}\s*(?P<unit>%|[kmgt]i?b\b)")  # "disk 85%"
_HELD = re.compile(r"(?i)^\s*(?:(?:for|over|during|within|in)\s+(?:>\s*|more than\s+|at least\s+)?)?"
                   r"(\d+(?:\.\d+)?)\s*(s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?)\b")
_HELD_ANY = re.compile(r"(?i)\b(?:for|over|during|within)\s+(?:>\s*|more than\s+|at least\s+)?"
                       r"(\d+(?:\.\d+)?)\s*(s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?)\b")
_NAMED = re.compile(r"""^[`'"]?([A-Za-z][\w.:/-]{2,80}?[A-Za-z0-9])[`'"]?\s*(?:\(|:|—|–|\s-\s)\s*(.+?)\)?$""")
_NAME_SHAPE = re.compile(r"[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]*)+|[A-Za-z][\w.:]*[_.:-][\w.:-]*[A-Za-z0-9]")
_FREE = re.compile(r"(?i)\b(?:free|available|remaining|left|headroom|window)\b")
_UNITS = {"%": "%", "ms": "ms", "s": "s", "sec": "s", "secs": "s", "second": "s", "seconds": "s", "m": "min",
          "min": "min", "mins": "min", "minute": "min", "minutes": "min", "h": "h", "hr": "h", "hrs": "h",
          "hour": "h", "hours": "h", "d": "d", "day": "d", "days": "d"}
_RATE = {"/s": "1s", "per second": "1s", "/min": "1m", "per minute": "1m", "/h": "1h", "/hour": "1h",
         "per hour": "1h"}


@dataclass(frozen=True)
class ListedAlert:
    """One alert of a list: `name` is the team's words; `op` is "" when it has no number ("memory alarm",
    "no primary for > 30s": then `duration` may still say how long)."""

    name: str
    metric: str
    op: str
    value: str
    unit: str
    duration: str  # "10m", "30s", "" when none
    severity: str
    said: str  # the item as written
    evidence: str  # the list it came from


def _segments(text: str) -> list[str]:
    """Logical lines: a paragraph's wrapped lines joined; a bullet or a `key: value` line starts a new one."""
    out: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text):
        current = ""
        for line in paragraph.split("\n"):
            body = line.strip()
            if re.match(r"(?:[-*+]|\d{1,2}[.)])\s|#|[\w ./-]{1,30}(?<!\s)\s*[:=]\s", body) and current:
                out.append(current)
                current = ""
            current = f"{current} {body}".strip()
        if current:
            out.append(current)
    return out


def _duration(amount: str, unit: str) -> str:
    return f"{float(amount):g}{_UNITS.get(unit.lower(), 'm')[0]}"


def read(item: str, evidence: str, paging: bool) -> ListedAlert | None:
    said = re.sub(r"\s+", " ", item).strip(" .,:")
    said = re.sub(r"(?i)^(?:and|or|on|when|if|also)\s+", "", said)
    if not said or len(said) > 120:
        return None
    name, body = said, said
    named = _NAMED.match(said)
    if named and _NAME_SHAPE.fullmatch(named.group(1)) and not named.group(1)[0].isdigit():
        name, body = named.group(1), named.group(2)
    severity = "page" if paging else ""
    lead = re.match(rf"(?i)^\s*{_OP}\s*{_VALUE}\s*{_UNIT}\s+(?P<rest>[A-Za-z].*)$", body)
    if lead:  # ">60k connections on one node": the comparison first, the metric after it
        body = f"{lead.group('rest')} {lead.group('op')} {lead.group('value')}{lead.group('k') or ''}" \
               f"{lead.group('unit') or ''}"
    found = _COMPARED.match(body) or _BARE.match(body)
    if found is None or not found.group("metric").strip():
        if found is not None:  # "ExecutionsFailed > 0" as an item: the metric is the name
            metric = name
        elif len(body.split()) <= 8 and re.search(r"[A-Za-z]", body):
            held = _HELD_ANY.search(body)
            metric = re.sub(r"(?i)\s+for\s*$", "", body[:held.start()] if held else body).strip()
            return ListedAlert(name, metric, "", "", "", _duration(held.group(1), held.group(2)) if held else "",
                               severity, said, evidence)
        else:
            return None
    else:
        metric = found.group("metric").strip(" ,:(")
    raw_op = found.group("op") if "op" in found.groupdict() and found.group("op") else ""
    op = _WORD_OPS.get(re.sub(r"^(?:is|goes|rises|drops|falls)\s+", "", raw_op.lower()), raw_op)
    if not op:
        op = "<" if _FREE.search(metric) else ">"
    value = found.group("value").replace(",", "")
    if found.group("k"):
        value = f"{float(value) * 1000:g}"
    unit = (found.group("unit") or "").lower()
    rest = body[found.end():]
    duration = ""
    if metric.lower().endswith(" for") or metric.lower() == "for":  # "no primary for > 30s": the number is how long
        return ListedAlert(name, metric[:-3].strip(), "", "", "", _duration(value, unit or "s"), severity, said,
                           evidence)
    if unit in _RATE or re.sub(r"\s+", " ", unit) in _RATE:  # "restarts > 5/h": a count in a window
        duration, unit = _RATE[re.sub(r"\s+", " ", unit)], ""
    else:
        unit = _UNITS.get(unit, unit.upper() if unit.endswith("b") else unit)
    held = _HELD.match(rest) or _HELD_ANY.search(rest)
    if held:
        duration = _duration(held.group(1), held.group(2))
    return ListedAlert(name, metric, op, value, unit, duration, severity, said, evidence)


def listed_alerts(text: str) -> list[ListedAlert]:
    """Every alert of every unnamed list in `text`. A list counts only when one item has a number: a
    sentence that merely mentions alerts ("alerts go to #ops") reads as none. A list whose items carry
    names is left to the reader of named alerts (`text.alerts_pass`)."""
    out: list[ListedAlert] = []
    for segment in _segments(text):
        for lead in _LEAD.finditer(segment):
            before = re.split(r"\.(?=\s)", segment[:lead.start()])[-1]
            if re.search(r"(?i:\b(?:alert|alarm|monitor)s?)\s+[`'\"]?[A-Za-z][\w.:-]*[`'\"]?\s*$", before):
                continue  # "Alert LagHigh pages us when …": one named alert, the named reader's
            rest = segment[lead.end():]
            end = re.search(r"\.(?=\s|$)", rest)
            span = rest[:end.start()] if end else rest
            paging = lead.group(0).lower().startswith("pag")
            items = [a for a in (read(part, segment, paging) for part in _SPLIT.split(span)) if a is not None]
            if not any(a.op for a in items) or any(a.name != a.said for a in items):
                continue  # no figure: no list; a named item ("ApiDown (up == 0)"): the named reader's
            out += [a for a in items if all(a.name != b.name for b in out)]
    return out


__all__ = ["ListedAlert", "listed_alerts", "read"]
