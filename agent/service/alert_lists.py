"""The team's alerts as a description lists them, named or not.

Inline lists without names: "monitors: sidekiq queue latency > 5 min, puma backlog > 20, 5xx > 2%",
"Alerts on replication lag > 30s, connections > 8000", "we page on 5xx ratio > 0.5% for 10 min and on
Cloud SQL CPU > 80%" (`listed_alerts`). Block lists: bullets (or `name: condition` lines, or a Markdown
table) under a line that leads into alerts ("Alerts that page:", "Zabbix ... Triggers:", "Alertmanager ->
PagerDuty service x.", 'Alert policy "Portal - prod":'), each item named (`QueueBacklog: ready > 50k
for 20m`) or not (`Threads_connected > 1800: Average`, `JVMMemoryPressure > 85% for 15 min -> P2`)
(`block_alerts`). Each item is one alert, named by its given name or else by the team's own words, with
its number, unit, comparison, duration and severity read apart so the runbook's query and table use the
same figures.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# what opens a list of alerts: "Zabbix alerts:", "CloudWatch alarms today:", "Alerts on", "we page on"
_LEAD = re.compile(
    r"(?i)\b(?:alerts?|alarms?|monitors?|triggers?|alert(?:ing)?\s+rules?)"
    r"(?:\s+(?:we\s+have|today|in\s+place|configured|already|set\s+up|that\s+exist|so\s+far|now|are|include|"
    r"(?:that|which)\s+(?:page|pages|fire|wake\s+(?:us|someone)(?:\s+up)?)|paging|we\s+(?:use|run|get)))*"
    r"(?:\s*\([^()]{1,60}\))?"  # "alerts (Grafana on Managed Prometheus):": where they live, then the list
    r"\s*(?::|=|\bon\b)|\b(?:page|pages|paged|paging)\s+(?:us\s+|me\s+)?(?:on|when|if)\b")
# what leads into a block of alerts (bullets or lines below it): alerting words, or where the pages go
_BLOCK_LEAD = re.compile(
    r"(?i)\b(?:alerts?|alarms?|monitors|triggers?|alert(?:ing)?\s+(?:rules?|polic(?:y|ies))|alertmanager|"
    r"pagerduty|opsgenie|pages|paging|(?:that|which|we)\s+page)\b")
_WEAK_LEAD = re.compile(r"(?i)\bmonitor(?:ing|ed)?\b")  # "Monitoring (Datadog):": alerts only with a comparison
# an item that is something else than an alert, whatever the list ("SLO: 95% within 2 min", "Dashboard: …")
_NOT_ALERT = re.compile(r"(?i)^\W*(?:(?:slos?|slas?|slis?)\s*(?:[:=]|\d)|(?:objectives?|targets?|dashboards?|"
                        r"runbooks?|logs?|traces?|apm|notifications?|owners?|escalation|on-?call|contacts?)\s*:)")
_SPLIT = re.compile(r"\s*(?:;|\||,(?!\d{3}\b)|\s(?:and|plus)\s+(?:on\s+|when\s+|if\s+)?)\s*")
_WORD_OPS = {"above": ">", "over": ">", "exceeds": ">", "exceed": ">", "more than": ">", "greater than": ">",
             "higher than": ">", "at least": ">=", "below": "<", "under": "<", "less than": "<", "lower than": "<",
             "at most": "<=", "≥": ">=", "≤": "<="}
_OP = (r"(?P<op>>=|<=|==|!=|>|<|≥|≤|(?:(?:is|goes|rises|drops|falls)\s+)?(?:"
       + "|".join(sorted((re.escape(w) for w in _WORD_OPS if w[0].isalpha()), key=len, reverse=True)) + r")\b)")
_UNIT = (r"(?P<unit>%|ms\b|s\b|secs?\b|seconds?\b|m\b|mins?\b|minutes?\b|h\b|hrs?\b|hours?\b|d\b|days?\b|"
         r"[kmgt]i?b\b|[kmgt]i\b|x\b|/s\b|/min\b|/h\b|/hour\b|per\s+(?:second|minute|hour)\b)?")
_VALUE = r"(?P<value>\d[\d,]*(?:\.\d+)?)(?P<k>k\b|(?-i:M)\b)?"
_COMPARED = re.compile(rf"(?i)^(?P<metric>.*?)\s*{_OP}\s*{_VALUE}\s*{_UNIT}")
_BARE = re.compile(rf"(?i)^(?P<metric>[^\d<>=]*?[A-Za-z)])\s+{_VALUE}\s*(?P<unit>%|[kmgt]i?b\b)")  # "disk 85%"
# a multiple ("error budget burn 14.4x over 1h", "SlowBurn 6x over 6h"): the figure of a burn-rate alert
_TIMES = re.compile(r"(?i)^(?P<metric>[^\d<>=]*?[A-Za-z)])\s+(?P<op>)(?P<value>\d+(?:\.\d+)?)(?P<k>)\s?(?P<unit>x)\b")
_SUSTAINED = r"(?:(?:sustained|held|lasting|continuously)\s+)?"
_HELD = re.compile(rf"(?i)^\s*{_SUSTAINED}(?:(?:for|over|during|within|in)\s+(?:>\s*|more than\s+|at least\s+)?)?"
                   r"(\d+(?:\.\d+)?)\s*(s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?)\b")
_HELD_ANY = re.compile(rf"(?i)(?:\b{_SUSTAINED}(?:for|over|during|within)\s+|\bsustained\s+)"
                       r"(?:>\s*|more than\s+|at least\s+)?"
                       r"(\d+(?:\.\d+)?)\s*(s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?)\b")
_NAMED = re.compile(r"""^[`'"]?([A-Za-z][\w.:/-]{2,80}?[A-Za-z0-9])[`'"]?\s*(?:\(|:|—|–|\s-\s)\s*(.+?)\)?$""")
_NAME_SHAPE = re.compile(r"[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]*)+|[A-Za-z][\w.:]*[_.:-][\w.:-]*[A-Za-z0-9]")
_FREE = re.compile(r"(?i)\b(?:free|available|remaining|left|headroom|window)\b")
# "at the max (300)", "at the limit of 40": the count reached its ceiling
_AT_MAX = re.compile(r"(?i)\bat\s+(?:the\s+|its\s+)?(?:max(?:imum)?|limit|cap|ceiling)\s*(?:of\s+)?\(?\s*"
                     r"(\d[\d,]*)\s*\)?")
# the severity an item carries: "-> P2 page", "→ SEV-1", "(critical)", "(ticket only)", ": High" (Zabbix)
_SEVERITY_WORD = (r"(?:p[0-5]|sev-?[0-5]|critical|crit|warning|warn|page|pages|paging|ticket|info|high|average|"
                  r"disaster|low|medium|major|minor|informational|not classified|notice|urgent|email|slack)")
_ARROW_SEVERITY = re.compile(rf"(?i)\s*(?:->|→|=>)\s*(?P<sev>{_SEVERITY_WORD}(?:[\s/]+{_SEVERITY_WORD})*)\b"
                             r"(?:\s+only)?(?P<note>.*)$")
_PAREN_SEVERITY = re.compile(rf"(?i)\s*\((?P<sev>{_SEVERITY_WORD}(?:[\s/,]+{_SEVERITY_WORD})*)(?:\s+only|\s+"
                             r"immediately|\s+at once)?\)")
_TAIL_SEVERITY = re.compile(r"(?i)\s*:\s*(?P<sev>disaster|high|average|warning|information|not classified|critical|"
                            r"info|page|ticket|p[0-5]|sev-?[0-5])\s*$")
_BARE_SEVERITY = re.compile(r"(?i)(?<=[\d%a-z])\s+(?P<sev>warn|warning|page|pages|ticket|critical|crit|p[0-5])\s*$")
_UNITS = {"%": "%", "ms": "ms", "s": "s", "sec": "s", "secs": "s", "second": "s", "seconds": "s", "m": "min",
          "min": "min", "mins": "min", "minute": "min", "minutes": "min", "h": "h", "hr": "h", "hrs": "h",
          "hour": "h", "hours": "h", "d": "d", "day": "d", "days": "d", "x": "x"}
_BYTES = {"kb": "KB", "mb": "MB", "gb": "GB", "tb": "TB", "kib": "KiB", "mib": "MiB", "gib": "GiB", "tib": "TiB",
          "ki": "KiB", "mi": "MiB", "gi": "GiB", "ti": "TiB"}
_RATE = {"/s": "1s", "per second": "1s", "/min": "1m", "per minute": "1m", "/h": "1h", "/hour": "1h",
         "per hour": "1h"}


@dataclass(frozen=True)
class ListedAlert:
    """One alert of a list: `name` is its given name, else the team's words; `op` is "" when it has no number
    ("memory alarm", "no primary for > 30s": then `duration` may still say how long)."""

    name: str
    metric: str
    op: str
    value: str
    unit: str
    duration: str  # "10m", "30s", "" when none
    severity: str
    said: str  # the item as written (a named one without its name: "ready messages > 50k for 20m")
    evidence: str  # the list it came from, or the item's own line in a block list
    named: bool = False  # the item gave a name of its own ("QueueBacklog: …")


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


def _marks(item: str) -> tuple[str, str]:
    """The item without its severity marks, and the severity they give ("" when none): "x > 5 -> P2 page
    (why)" -> ("x > 5", "p2"); "(ticket only) SlowBurn 6x over 6h" -> ("SlowBurn 6x over 6h", "ticket")."""
    severity = ""
    lead = re.match(rf"(?i)^\s*\((?P<sev>{_SEVERITY_WORD})(?:\s+only)?\)\s*", item)
    if lead:
        severity, item = lead.group("sev"), item[lead.end():]
    arrow = _ARROW_SEVERITY.search(item)
    if arrow:
        severity, item = severity or arrow.group("sev"), item[:arrow.start()]
    paren = _PAREN_SEVERITY.search(item)
    if paren:
        severity, item = severity or paren.group("sev"), (item[:paren.start()] + item[paren.end():])
    tail = _TAIL_SEVERITY.search(item)
    if tail:
        severity, item = severity or tail.group("sev"), item[:tail.start()]
    bare = _BARE_SEVERITY.search(item)
    if bare and not severity:  # "store capacity used > 70% warn": the word right after the figure
        severity, item = bare.group("sev"), item[:bare.start()]
    word = severity.lower().split()[0].split("/")[0] if severity else ""  # "P2 page" is P2
    return item.strip(" .,;:"), {"pages": "page", "paging": "page", "warn": "warning", "crit": "critical"}.get(word,
                                                                                                           word)


def read(item: str, evidence: str, paging: bool, words: int = 8) -> ListedAlert | None:
    """One item of a list; `words` is how long an item with no number may be and still read as an alert."""
    said, marked = _marks(re.sub(r"\s+", " ", item).strip(" .,:"))
    said = re.sub(r"(?i)^(?:and|or|on|when|if|also)\s+", "", said)
    if not said or len(said) > 120:
        return None
    name, body, named = said, said, False
    found_name = _NAMED.match(said)
    if found_name and _NAME_SHAPE.fullmatch(found_name.group(1)) and not found_name.group(1)[0].isdigit():
        name, body, named = found_name.group(1), found_name.group(2), True
        if body.count("(") > body.count(")"):  # the ")" the pattern left out closes one of the condition's
            body += ")"
        elif body.count(")") > body.count("("):  # "HEALTH_ERR (anything) -> SMS": the "(" opened it
            body = "(" + body
    severity = marked or ("page" if paging else "")
    body = _AT_MAX.sub(lambda m: f">= {m.group(1)}", body)
    lead = re.match(rf"(?i)^\s*{_OP}\s*{_VALUE}\s*{_UNIT}\s+(?P<rest>[A-Za-z].*)$", body)
    if lead:  # ">60k connections on one node for 10m": the comparison first, the metric after it
        rest = lead.group("rest")
        held_at = _HELD_ANY.search(rest)
        what, tail = (rest[:held_at.start()].strip(), " " + rest[held_at.start():]) if held_at else (rest, "")
        body = f"{what} {lead.group('op')} {lead.group('value')}{lead.group('k') or ''}{lead.group('unit') or ''}" \
               f"{tail}"
    found = _TIMES.match(body) or _COMPARED.match(body) or _BARE.match(body)
    if found is not None and found.re is _TIMES and not named and _NAME_SHAPE.fullmatch(found.group("metric")):
        name, named = found.group("metric"), True  # "SlowBurn 6x over 6h": the alert's name and its figure
    if found is None or not found.group("metric").strip():
        if found is not None:  # "ExecutionsFailed > 0" as an item: the metric is the name
            metric = name
        elif len(body.split()) <= words and re.search(r"[A-Za-z]", body):
            held = _HELD_ANY.search(body) or _HELD.search(body)
            metric = re.sub(r"(?i)\s+(?:for|sustained)\s*$", "", body[:held.start()] if held else body).strip()
            return ListedAlert(name, metric, "", "", "", _duration(held.group(1), held.group(2)) if held else "",
                               severity, body if named else said, evidence, named)
        else:
            return None
    else:
        metric = found.group("metric").strip(" ,:(")
    share = not found.group("unit") and re.search(r"\s*%$", metric)  # "error % > 2" is a share in %
    if share:
        metric = metric[:share.start()]
    raw_op = found.group("op") if "op" in found.groupdict() and found.group("op") else ""
    op = _WORD_OPS.get(re.sub(r"^(?:is|goes|rises|drops|falls)\s+", "", raw_op.lower()), raw_op)
    if not op:
        op = "<" if _FREE.search(metric) else ">"
    value = found.group("value").replace(",", "")
    if found.group("k"):
        value = f"{float(value) * (1000 if found.group('k') == 'k' else 1000000):.10g}"
    unit = (found.group("unit") or ("%" if share else "")).lower()
    rest = body[found.end():]
    duration = ""
    if metric.lower().endswith(" for") or metric.lower() == "for":  # "no primary for > 30s": the number is how long
        return ListedAlert(name, metric[:-3].strip(), "", "", "", _duration(value, unit or "s"), severity,
                           body if named else said, evidence, named)
    if unit in _RATE or re.sub(r"\s+", " ", unit) in _RATE:  # "restarts > 5/h": a count in a window
        duration, unit = _RATE[re.sub(r"\s+", " ", unit)], ""
    else:
        unit = _BYTES.get(unit) or _UNITS.get(unit, unit)
    held = _HELD.match(rest) or _HELD_ANY.search(rest)
    if held:
        duration = _duration(held.group(1), held.group(2))
    return ListedAlert(name, metric, op, value, unit, duration, severity, body if named else said, evidence, named)


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
            # "x > 70% warn, > 80% page": a bare threshold is the metric before it (_parts)
            parts: list[str] = []
            for part in (p for piece in _SPLIT.split(span) for p in _parts(piece)):
                bare, _ = _marks(part)
                before = _COMPARED.match(_marks(parts[-1])[0]) if parts else None
                if before is not None and before.group("metric").strip() and re.match(r"(?:>=|<=|>|<|≥|≤)\s*\d",
                                                                                       bare):
                    part = f"{before.group('metric').strip()} {part}"
                parts.append(part)
            items = [a for a in (read(part, segment, paging) for part in parts) if a is not None]
            if not any(a.op for a in items) or any(a.name != a.said for a in items):
                continue  # no figure: no list; a named item ("ApiDown (up == 0)"): the named reader's
            out += [a for a in items if all(a.name != b.name for b in out)]
    return out


@dataclass
class _Line:
    indent: int
    bullet: bool
    text: str  # without the bullet mark; a bullet's wrapped lines joined
    first: str  # the first line's text as written (a sentence of the parser starts with it)


def _lines(text: str) -> list[_Line | None]:
    """Lines with their indent, a bullet's continuation lines joined to it; None for a blank line."""
    out: list[_Line | None] = []
    for raw in text.split("\n"):
        stripped = raw.strip()
        if not stripped:
            out.append(None)
            continue
        indent = len(raw) - len(raw.lstrip())
        mark = re.match(r"(?:[-*+•]|\d{1,2}[.)])\s+", stripped)
        last = out[-1] if out else None
        if mark is None and last is not None and last.bullet and indent > last.indent and not \
                stripped.startswith("|"):
            last.text = f"{last.text} {stripped}"  # a wrapped bullet
            continue
        body = stripped[mark.end():] if mark else stripped
        out.append(_Line(indent, mark is not None, body, body))
    return out


def _parts(text: str) -> list[str]:
    """One item's alerts: "x > 80% for 30m (page), > 70% (ticket)" is two on the same metric, and so is
    "Status.red >= 1 for 1 min -> P1; yellow for 30 min -> P3"."""
    pieces = [p for p in re.split(r"\s*;\s+|,\s+(?=(?:>=|<=|>|<|≥|≤)\s*\d)", text) if p.strip()]
    if len(pieces) < 2:
        return [text]
    first = _COMPARED.match(_marks(pieces[0])[0])
    metric = first.group("metric").strip() if first else ""
    out = [pieces[0]]
    for piece in pieces[1:]:
        bare, _ = _marks(piece)
        own = _COMPARED.match(bare)
        if own is not None and own.group("metric").strip():
            metric = own.group("metric").strip()  # the next bare threshold is this piece's metric's
        if metric and re.match(r"(?:>=|<=|>|<|≥|≤)\s*\d", bare):
            piece = f"{metric} {piece}"  # "> 70% (ticket)": the same metric
        elif metric and re.fullmatch(r"(?i)[a-z]+(?:\s+(?:for|over|sustained)\s+.*)?", bare) and \
                re.search(r"[._][a-z]+$", metric.split()[-1]):
            piece = re.sub(r"([._])[a-z]+$", rf"\g<1>{bare.split()[0]}", metric.split()[-1]) + piece[
                len(bare.split()[0]):]  # "yellow for 30 min" after "ClusterStatus.red": ClusterStatus.yellow
        elif metric and not _COMPARED.match(bare) and len(bare.split()) <= 4:
            piece = f"{metric} {piece}"
        out.append(piece)
    return out


def _table(lines: list[_Line | None], start: int) -> tuple[list[tuple[str, str]], int]:
    """A Markdown table of alerts ("| Alert | Condition | For | Severity |"): (item, its row) per row, and
    the index after the table. Empty when the header names no alert and no condition."""
    header = lines[start]
    assert header is not None
    cells = [c.strip().lower() for c in header.text.strip("|").split("|")]

    def column(*words: str) -> int | None:
        return next((i for i, c in enumerate(cells) if any(re.search(rf"\b{w}", c) for w in words)), None)

    name_at, cond_at = column("alert", "name", "monitor", "alarm", "trigger"), column(
        "condition", "threshold", "expr", "query", "when", "rule", "fires")
    held_at, sev_at = column("for", "duration", "window", "sustained"), column("severity", "priority", "sev",
                                                                            "level", "routing")
    end = start + 1
    rows: list[tuple[str, str]] = []
    while end < len(lines) and (row := lines[end]) is not None and row.text.startswith("|"):
        end += 1
        values = [c.strip().strip("`") for c in row.text.strip().strip("|").split("|")]
        if cond_at is None or all(re.fullmatch(r":?-+:?", v) for v in values if v) or len(values) <= cond_at:
            continue
        condition = values[cond_at]
        if held_at is not None and held_at < len(values) and values[held_at]:
            held = values[held_at]
            condition += f" for {held}" if re.match(r"\d", held) else f" {held}"
        if sev_at is not None and sev_at < len(values) and values[sev_at]:
            condition += f" ({values[sev_at]})"
        name = values[name_at] if name_at is not None and name_at < len(values) else ""
        rows.append((f"{name}: {condition}" if name and name != condition else condition, row.text))
    return (rows if cond_at is not None else []), end


def _lead_of(lines: list[_Line | None], at: int) -> str:
    """What leads into the item at `at`: its parent bullet, else the sentence right above the list (its
    wrapped lines; "Known issues:" under a monitoring paragraph leads into no alerts), or the line before one
    blank line when that ends with ':'."""
    item = lines[at]
    assert item is not None
    k = at - 1
    while k >= 0:
        line = lines[k]
        if line is None:
            above = lines[k - 1] if k > 0 else None
            return above.text if above is not None and above.text.rstrip().endswith(":") and \
                lines[k + 1] is item else ""
        if line.bullet and line.indent < item.indent:
            return line.text
        if not line.bullet:  # the sentence right above: its wrapped lines, not the whole paragraph
            sentence = [line.text]
            while k > 0 and (up := lines[k - 1]) is not None and not up.bullet and not \
                    up.text.rstrip().endswith((":", ".")):
                sentence.insert(0, up.text)
                k -= 1
            return re.split(r"(?<=[.!?])\s+(?=\S)", " ".join(sentence))[-1]
        k -= 1
    return ""


def _keep(a: ListedAlert, item: str, strong: bool) -> bool:
    """An item of a block is an alert when it compares, carries a severity, or is named under alerting words."""
    if _NOT_ALERT.match(item):
        return False
    compared = bool(a.op) and re.search(r"(?:>=|<=|==|!=|>|<|≥|≤)|\b(?:above|below|over|under|exceeds?|more than|"
                                        r"less than|at least|at most|at the max)\b", a.said, re.I) is not None
    marked = bool(_marks(item)[1])
    return compared or (strong and (a.named or marked or bool(a.duration))) or (marked and bool(a.op))


# the words of a failed state an alert names without a number ("has no master", "node down", "cert expired")
_STATE = re.compile(r"(?i)\b(?:no|not|down|missing|without|fail(?:s|ed|ing)?|unreachable|lost|stopped|expired?|"
                    r"dead|split|stuck|degraded|unhealthy|offline)\b")


def block_alerts(text: str) -> list[ListedAlert]:
    """The alerts of every block list in `text`: bullets, `name: condition` lines or a Markdown table under a
    lead that says alerts ("Alerts that page:", "Triggers:", "Alertmanager -> PagerDuty service x.",
    'Alert policy "P":', "Monitoring (Datadog):" when the items compare). A block counts only when one of
    its items has a number; a numberless item is kept when it is named or marked (": Disaster")."""
    lines = _lines(text)
    out: list[ListedAlert] = []
    seen: set[int] = set()  # items already read as part of a list
    for k, line in enumerate(lines):
        if line is None or k in seen:
            continue
        items: list[tuple[str, str]] = []
        above = lines[k - 1] if k > 0 else None
        if line.text.startswith("|") and k + 1 < len(lines) and (sep := lines[k + 1]) is not None and \
                re.fullmatch(r"\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?", sep.text.strip()):
            lead = _lead_of(lines, k)
            items, end = _table(lines, k)
            seen.update(range(k, end))
            lead = lead if _BLOCK_LEAD.search(lead) or _WEAK_LEAD.search(lead) else "alerts"  # a table of alerts
        elif line.bullet or (above is not None and not above.bullet and above.text.rstrip().endswith(":") and
                             _BLOCK_LEAD.search(above.text)):
            lead = _lead_of(lines, k)
            j = k
            while j < len(lines) and (item := lines[j]) is not None and not item.text.startswith("|"):
                if item.bullet == line.bullet and item.indent == line.indent:
                    items.append((item.text, item.first))
                    seen.add(j)
                elif not (line.bullet and item.bullet and item.indent > line.indent):
                    break  # a deeper list is a block of its own, read when its turn comes
                j += 1
        else:
            continue
        strong, weak = _BLOCK_LEAD.search(lead) is not None, _WEAK_LEAD.search(lead) is not None
        if not (strong or weak) or not items:
            continue
        # "Alerts that page:", or routed to a pager ("Alertmanager -> PagerDuty service x"): they page unless
        # an item says otherwise ("(ticket)")
        paging = re.search(r"(?i)\b(?:that|which|we)\s+page|\bpag(?:e|es|ing)\s*:|(?:->|→|=>|\bto)\s*"
                           r"(?:pagerduty|opsgenie|victorops|the pager)\b", lead) is not None
        found: list[ListedAlert] = []
        stated: list[ListedAlert] = []  # numberless items that state a failed state ("MaxScale have no master")
        for said, first in items:
            for part in (p for piece in re.split(r"\s+\|\s+", said) for p in _parts(piece)):  # "a > 1 | b < 2"
                alert = read(part, first, paging, words=14)
                if alert is not None and _keep(alert, part, strong):
                    found.append(alert)
                elif alert is not None and strong and len(part.split()) <= 8 and _STATE.search(part) and \
                        not _NOT_ALERT.match(part):
                    stated.append(alert)
        if any(a.op for a in found):  # a list of alerts: its state items are alerts too
            out += [a for a in found + stated if all(a.name != b.name for b in out)]
    return out


# an uptime check in a sentence: "Uptime Kuma hits https://x/healthz every 60s and alerts #ch after 3 failures in
# a row", "Pingdom checks /health every 1 min, pages after 2 consecutive failures"
_PROBE = re.compile(
    r"(?P<tool>[A-Z][\w.-]*(?:\s+[A-Z][\w.-]*)?)\s+(?:\([^)]*\)\s+)?(?:hits|checks|probes|polls|pings|requests)\s+"
    r"(?P<target>(?:https?://)?[\w./:-]*/[\w./:-]*)\s+every\s+(?P<every>\d+)\s*(?P<unit>s|secs?|seconds?|m|mins?|minutes?)"
    r"\b[^.]{0,60}?\b(?P<how>alerts|pages|notifies|alarms)\b[^.]{0,60}?\bafter\s+(?P<n>\d+)\s+(?:consecutive\s+)?"
    r"(?:failures?|failed\s+checks?|misses|errors)(?P<row>\s+in\s+a\s+row)?")


# a heartbeat check on a scheduled job: "healthchecks.io watches the nightly mongodump", "Cronitor monitors the
# hourly export job": it alerts when the job does not report in
_HEARTBEAT = re.compile(
    r"(?P<tool>\b[\w-]+\.(?:io|com|sh|dev)|[A-Z][a-z]+[A-Z]\w*|Cronitor|Dead ?Man'?s Snitch)\s+(?:watches|monitors|"
    r"checks in on)\s+(?P<job>(?:the\s+)?(?:(?:nightly|daily|hourly|weekly|monthly|scheduled)\s+)[\w./-]+(?:\s+"
    r"(?:job|run|backup|dump|export|cron))?)")


def probe_alerts(text: str) -> list[ListedAlert]:
    """The uptime checks a description states in a sentence: one alert each, named by the tool and what it
    checks, its condition in the team's words and the time it takes to fire (failures × interval); and the
    heartbeat checks on a scheduled job ("healthchecks.io watches the nightly mongodump")."""
    out = []
    flat = " ".join(text.split())
    for m in _PROBE.finditer(flat):
        every = float(m.group("every")) * (60 if m.group("unit").lower().startswith("m") else 1)
        held = every * int(m.group("n"))
        duration = f"{held / 60:g}m" if held >= 60 else f"{held:g}s"
        said = re.sub(r"^\s*\([^)]*\)\s*", "", flat[m.end("tool"):m.end()])  # the team's words, from the verb on
        severity = "page" if m.group("how") == "pages" else ""
        out.append(ListedAlert(f"{m.group('tool')}: {m.group('target')}", f"checks of {m.group('target')} failing",
                               "", "", "", duration, severity, said, m.group(0), named=True))
    for m in _HEARTBEAT.finditer(flat):
        job = re.sub(r"^the\s+", "", m.group("job"))
        out.append(ListedAlert(f"{m.group('tool')}: {job}", f"{job} did not report", "", "", "", "", "",
                               f"{m.group(0)}: alerts when the {job} does not report in", m.group(0), named=True))
    return out


__all__ = ["ListedAlert", "block_alerts", "listed_alerts", "probe_alerts", "read"]
