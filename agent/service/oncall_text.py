"""How the team is reached, read from a description's sentences: on-call coverage (hours, days, time
zones and the splits between them, kept in the team's own words), who is primary / secondary / backup,
the pager's service or schedule name, and numbers written the way people write them ("5k", "5,000").

Pure functions over one sentence; `agent.service.text` calls them from its people and figures passes.
Coverage is kept verbatim because its meaning is in the wording: "24/7 only if ingestion stops for more
than 30 min, business hours otherwise" is one rule, and any paraphrase (or a default "09:00-17:00
UTC") changes who gets woken up.
"""

from __future__ import annotations

import re

# Time zones as written: abbreviations, UTC/GMT offsets, IANA names. The two-letter US ones (PT, ET …)
# only right after a time, where they cannot be another word.
_ZONE = (r"(?:UTC|GMT)(?:\s?[+\-−]\s?\d{1,2}(?::?\d{2})?)?|CEST|CET|EEST|EET|WEST|WET|BST|IST|JST|KST|SGT|HKT|"
         r"AEST|AEDT|NZST|NZDT|PST|PDT|EST|EDT|CST|CDT|MST|MDT|"
         r"(?:Europe|America|Asia|Australia|Africa|Pacific|Atlantic)/[A-Z][A-Za-z_]+(?:/[A-Z][A-Za-z_]+)?")
ZONE = re.compile(rf"(?<![\w/])(?:{_ZONE})(?![\w/])")
_AFTER_TIME_ZONE = rf"(?:{_ZONE}|PT|ET|CT|MT)"
_TIME = r"\d{1,2}(?::\d{2})?(?:\s?(?:am|pm|h)(?![a-z]))?"
_DAY = r"(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*"
# One piece of a coverage statement. Each is something a rota is made of; the statement is the span from
# the first piece to the last, with the words that qualify them ("for sev1", "only if …", "otherwise").
_PIECE = re.compile(rf"""(?x)
    (?i:24\s?/\s?7|24x7|24\s?h(?:ours)?\s?/\s?7|around[ ]the[ ]clock)
  | (?i:follow[- ]the[- ]sun)(?:[ ](?i:between[ ])?[A-Z][A-Za-z]+(?:\s?(?:/|,|\band\b)\s?[A-Z][A-Za-z]+)+)?
  | (?i:(?:business|office|working)[ ]hours)(?:[ ](?:EU|US|UK|APAC|EMEA|AMER|LATAM|{_ZONE})\b)*
  | (?i:best[- ]effort(?:[ ](?:out(?:side)?[ ](?:of[ ])?(?:business[ ]|office[ ]|working[ ])?hours|otherwise|
        at[ ]night|on[ ]weekends|after[ ]hours))?)
  | (?i:no[ ](?:pager|paging|formal[ ]on-?call|on-?call(?:[ ]rotation)?|out[- ]of[- ]hours[ ](?:cover|paging)))
  | (?i:out[ ]of[ ]hours|after[ ]hours|weekends?|weekdays)
  | (?i:{_DAY}\s?(?:-|–|—|to)\s?{_DAY})
  | (?i:{_TIME}\s?(?:-|–|—|to)\s?{_TIME})(?:\s?\(?(?:{_AFTER_TIME_ZONE})\)?(?![\w/]))?
  | (?i:(?:hand-?offs?|hand-?overs?)[ ](?:at[ ])?{_TIME})(?:\s?(?:{_AFTER_TIME_ZONE})(?![\w/]))?
""")
# Pieces that say coverage on their own; days or "weekends" alone ("backups on weekends") do not.
_STRONG = re.compile(r"(?i)24|clock|sun|hours|best|no |\d")
CONTEXT = re.compile(r"(?i)on-?call|oncall|pag(?:e|er|es|ing)\b|rota(?:tion)?\b|schedule|support|cover|escalat|"
                      r"pagerduty|opsgenie|shift|hand-?off|hand-?over|hours\b|24\s?/\s?7|follow[- ]the[- ]sun")
# Words after the last piece that still belong to it: "for P1", "only if ingestion stops", "otherwise".
_QUALIFIER = re.compile(r"(?i)\s*(?:only\s+)?(?:for|if|when|unless|otherwise|except|during|in|on)\b[^,;.()]*|"
                        r"\s*only\b|\s*otherwise\b")


def coverage(sentence: str) -> list[str]:
    """The on-call coverage statements of a sentence, verbatim: "24/7 for sev1, business hours for the
    rest", "Mon–Fri 08:00–18:00 CET", "06:00–22:00 CET, best effort out of hours", "No pager"."""
    pieces = [m for m in _PIECE.finditer(sentence) if m.group(0).strip()]
    if not pieces or not any(_STRONG.search(m.group(0)) for m in pieces):
        return []
    timed_only = all(re.match(r"\d", m.group(0)) for m in pieces)
    if timed_only and not CONTEXT.search(sentence):
        return []  # "a maintenance window 02:00-04:00" is no rota
    spans: list[tuple[int, int]] = []
    for m in pieces:
        start, end = m.start(), m.end()
        tail = _QUALIFIER.match(sentence, end)
        if tail and tail.group(0).strip():
            end = tail.end()
        # pieces joined by a comma, "and", "/" or a bracket are one statement; a clause of other words between
        # them ("24/7, secondary dbre-x, business hours …") starts a new one
        if spans and re.fullmatch(r"[\s,;(/)]*(?:and|or|then|with|but)?[\s,;(/)]*", sentence[spans[-1][1]:start]):
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
    out = []
    for start, end in spans:
        text = sentence[start:end].strip(" ,;")
        if text.count("(") > text.count(")") and sentence[end:end + 1] == ")":
            text += ")"
        text = text.lstrip(")").strip()
        if text.count(")") > text.count("("):
            text = text.rstrip(")").strip()
        if text and text not in out:
            out.append(text)
    return out


def zones(text: str) -> list[str]:
    """The time zones a coverage statement is in ("CET", "UTC+2", "Europe/Berlin", "PT" after a time)."""
    found = [m.group(0) for m in ZONE.finditer(text)]
    found += [m.group(1) for m in re.finditer(rf"{_TIME}\)?\s?\(?(PT|ET|CT|MT)(?![\w/])", text)]
    return list(dict.fromkeys(found))


# "primary this quarter is Ilse V", "secondary Tomás A", "lead K B, backup R Q", "A (primary), B",
# "obs-oncall primary, platform-sre secondary": a person or a rota in a role of the rotation
_WHO = (r"(?:[#@]?[A-Z][\w'’.-]*(?:\s+(?:van|de|der|da|von|di|le|la|du|[A-Z][\w'’.-]*)){0,3}|"
        r"[a-z][\w.]*-[\w.-]*[a-z0-9])")
_SLOT = {"primary": "primary", "secondary": "secondary", "backup": "secondary", "deputy": "secondary",
         "lead": "lead", "tech lead": "lead", "team lead": "lead"}
_SLOT_WORD = r"(?:primary|secondary|backup|deputy|tech\s+lead|team\s+lead|lead)"
_SLOT_BEFORE = re.compile(rf"(?i)\b({_SLOT_WORD})(?:\s+on-?call)?(?:\s+this\s+(?:quarter|month|week|sprint))?"
                          rf"(?:\s+(?:is|=)|\s*:)?\s+(?:the\s+|our\s+)?[\"'`“”]?(?-i:({_WHO}))")
_SLOT_AFTER = re.compile(rf"(?-i:({_WHO}))\s+(?:\(\s*)?(?i:({_SLOT_WORD}))\b(?:\s*\))?")
_NOT_WHO = frozenset("the a an our their is are for to on of in with via through and then or rotation schedule "
                     "pagerduty opsgenie slack team squad this that it escalation escalate".split())


_SLOT_FOR = re.compile(r"(?i)\b(primary|secondary|backup)\s+(for\s+[^,.;]{2,40}?)\s+(?:is|=|:)\s+(?:the\s+)?"
                       r"([^.;]{2,60})")


_NOT_ROTA = re.compile(r"(?i)\s+(?:cluster|region|zone|az|site|database|db|node|instance|replica|key|endpoint|stack|"
                       r"dc|datacenter|data\s+center|account|bucket|shard|server|host)s?\b")
_REGION = re.compile(r"[a-z]{2,}(?:-[a-z]+)+-?\d[a-z]?|[a-z]+\d")


def slots(sentence: str) -> list[tuple[str, str, str]]:
    """(slot, who, for what) for the rota roles a sentence names: slot is primary, secondary or lead;
    "secondary for DB issues is the DBRE rotation "dbre-pager"" keeps "for DB issues"."""
    out: list[tuple[str, str, str]] = []
    for m in _SLOT_FOR.finditer(sentence):
        quoted = re.search(rf"{_Q}([^\"'`“”]+){_Q}", m.group(3))
        out.append((_SLOT[m.group(1).lower()], quoted.group(1) if quoted else m.group(3).strip(), m.group(2)))
        sentence = sentence[:m.start()] + " " * (m.end() - m.start()) + sentence[m.end():]

    def add(slot: str, who: str) -> None:
        who = who.strip(" ,;:()'\"`").rstrip(".")
        words = who.split()
        while words and words[-1].lower() in _NOT_WHO | {"primary", "secondary", "backup", "lead"}:
            words.pop()
        who = " ".join(words)
        if not who or who.lower() in _NOT_WHO or len(who) < 2:
            return
        slot = _SLOT[re.sub(r"\s+", " ", slot.lower())]
        if not any(s == slot for s, _, _ in out) and not any(w == who for _, w, _ in out):
            out.append((slot, who, ""))

    for m in _SLOT_AFTER.finditer(sentence):
        before = sentence[:m.start()].rstrip()
        bracketed = "(" in m.group(0)  # "Wiebke S (primary)" says it of a person wherever it is written
        if _NOT_ROTA.match(sentence, m.end()) or not (bracketed or CONTEXT.search(sentence)) or \
                _REGION.fullmatch(m.group(1)):
            continue  # "DR secondary cluster", "us-east-1 primary": a resource's role, not a rota's
        # "Owner is X, secondary Y" reads forward; "X (primary), Y" and "obs-oncall primary" read backward
        if m.group(1).lower() not in _NOT_WHO and not re.search(r"(?i)(?:\b(?:escalat\w*|to|is|by)|\()$", before):
            add(m.group(2), m.group(1))
            rest = sentence[m.end():]
            # "Wiebke S (primary), Anselm K": the next person of a two-person list is the other slot
            other = re.match(rf"\s*,\s*(?:and\s+)?({_WHO})\s*(?:[.;]|$)", rest)
            if other and m.group(2).lower() == "primary":
                add("secondary", other.group(1))
    for m in _SLOT_BEFORE.finditer(sentence):
        add(m.group(1), m.group(2))
    return out


# The pager's own name for the service or schedule: `PagerDuty service "PP-Ledger"`, `Opsgenie schedule
# billing-bh`, `Pager: SecInfra-Primary in Opsgenie`, `PagerDuty "fi-oncall"`.
_PAGER = r"(?:PagerDuty|Opsgenie|OpsGenie|VictorOps|Splunk On-Call|incident\.io|Grafana OnCall|FireHydrant|Squadcast)"
_Q = r"[\"'`“”]"
_PAGER_NAME = (
    re.compile(rf"(?P<tool>{_PAGER})(?:\s+(?P<what>service|schedule|rotation|escalation policy|team))?\s+"
               rf"{_Q}?(?P<name>[A-Za-z0-9][\w.-]*[A-Za-z0-9]){_Q}?"),
    re.compile(rf"(?i:pager|paging|rota(?:tion)?|schedule)\s*(?::|is)\s*{_Q}?(?P<name>[A-Za-z0-9][\w.-]*[A-Za-z0-9]){_Q}?"
               rf"\s+(?:in|on|via)\s+(?P<tool>{_PAGER})"),
)
_NOT_PAGER_NAME = frozenset("service schedule rotation escalation policy team for to and with is are the a an "
                            "on in via primary secondary pages alerts 24 page".split())


def pager_names(sentence: str) -> list[tuple[str, str]]:
    """(name, "<tool> <what>") for each service / schedule name given with a pager tool."""
    out: list[tuple[str, str]] = []
    for pattern in _PAGER_NAME:
        for m in pattern.finditer(sentence):
            name = m.group("name")
            if name.lower() in _NOT_PAGER_NAME or name.isdigit() or re.fullmatch(r"\d+/\d+|24x7", name):
                continue
            what = m.groupdict().get("what") or ""
            if not (re.search(r"[-_.\d]", name) or re.search(r"[a-z][A-Z]", name) or
                    sentence[m.start("name") - 1:m.start("name")] in "\"'`“”" or what):
                continue  # a plain word after the tool ("PagerDuty pages us") is no name
            label = f"{m.group('tool')} {what}".strip()
            if not any(n == name for n, _ in out):
                out.append((name, label))
    return out


_AMOUNT = re.compile(r"(\d[\d,]*(?:\.\d+)?)\s?([kKmM])?(?![\w])")


def amount(raw: str) -> str | None:
    """A number as people write it, as digits: "5k" -> "5000", "5,000" -> "5000", "1.5M" -> "1500000"."""
    found = _AMOUNT.match(raw.strip())
    if found is None:
        return None
    digits = found.group(1).replace(",", "")
    try:
        value = float(digits) * {"k": 1e3, "m": 1e6}.get((found.group(2) or "").lower(), 1)
    except ValueError:
        return None
    if value >= 1e15:
        return None
    return str(int(value)) if value.is_integer() else f"{value:g}"


__all__ = ["ZONE", "amount", "coverage", "pager_names", "slots", "zones"]
