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
# Places and regions a team writes its hours in ("business hours London", "07:00-22:00 UK time"), with the
# zone each means, so the rota's zone is the team's and not a job's "02:00 UTC".
PLACE_ZONES = {
    "London": "Europe/London", "UK": "Europe/London", "Dublin": "Europe/Dublin", "Lisbon": "Europe/Lisbon",
    "Berlin": "Europe/Berlin", "Frankfurt": "Europe/Berlin", "Paris": "Europe/Paris", "Amsterdam": "Europe/Amsterdam",
    "Madrid": "Europe/Madrid", "Warsaw": "Europe/Warsaw", "Prague": "Europe/Prague", "Zurich": "Europe/Zurich",
    "Stockholm": "Europe/Stockholm", "Helsinki": "Europe/Helsinki", "Singapore": "Asia/Singapore",
    "Tokyo": "Asia/Tokyo", "Sydney": "Australia/Sydney", "Melbourne": "Australia/Melbourne",
    "Pacific": "America/Los_Angeles", "Eastern": "America/New_York", "Central": "America/Chicago",
    "Mountain": "America/Denver", "New York": "America/New_York", "Toronto": "America/Toronto",
    "India": "Asia/Kolkata", "Bangalore": "Asia/Kolkata", "Sao Paulo": "America/Sao_Paulo",
}
# cities a follow-the-sun rota names ("between Dublin, Austin and Singapore"), with their zones
CITY_ZONES = {
    "dublin": "Europe/Dublin", "london": "Europe/London", "berlin": "Europe/Berlin", "amsterdam": "Europe/Amsterdam",
    "paris": "Europe/Paris", "madrid": "Europe/Madrid", "warsaw": "Europe/Warsaw", "zurich": "Europe/Zurich",
    "frankfurt": "Europe/Berlin", "lisbon": "Europe/Lisbon", "stockholm": "Europe/Stockholm",
    "singapore": "Asia/Singapore", "tokyo": "Asia/Tokyo", "bangalore": "Asia/Kolkata", "bengaluru": "Asia/Kolkata",
    "pune": "Asia/Kolkata", "hyderabad": "Asia/Kolkata", "sydney": "Australia/Sydney",
    "melbourne": "Australia/Melbourne", "new york": "America/New_York", "boston": "America/New_York",
    "toronto": "America/Toronto", "chicago": "America/Chicago", "austin": "America/Chicago",
    "denver": "America/Denver", "san francisco": "America/Los_Angeles", "seattle": "America/Los_Angeles",
    "los angeles": "America/Los_Angeles", "sao paulo": "America/Sao_Paulo", "são paulo": "America/Sao_Paulo",
    "tel aviv": "Asia/Jerusalem", "montreal": "America/Toronto", "vancouver": "America/Vancouver",
}
_PLACE = "(?:" + "|".join(sorted((re.escape(p) for p in PLACE_ZONES), key=len, reverse=True)) + ")"
_TIME = r"\d{1,2}(?::\d{2})?(?:\s?(?:am|pm|h)(?![a-z]))?"
_DAY = r"(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*"
# One piece of a coverage statement. Each is something a rota is made of; the statement is the span from
# the first piece to the last, with the words that qualify them ("for sev1", "only if …", "otherwise").
_PIECE = re.compile(rf"""(?x)
    (?i:24\s?/\s?7|24x7|24\s?h(?:ours)?\s?/\s?7|around[ ]the[ ]clock)
  | (?i:follow[- ]the[- ]sun)(?:[ ](?i:between[ ])?[A-Z][A-Za-z]+(?:\s?(?:/|,|\band\b)\s?[A-Z][A-Za-z]+)+)?
  | (?i:(?:business|office|working)[ ]hours)(?:[ ](?:EU|US|UK|APAC|EMEA|AMER|LATAM|{_ZONE}|{_PLACE})\b(?:[ ]time)?)*
  | (?i:best[- ]effort(?:[ ](?:out(?:side)?[ ](?:of[ ])?(?:business[ ]|office[ ]|working[ ])?hours|otherwise|
        at[ ]night|nights|on[ ]weekends|weekends|after[ ]hours|outside(?:[ ]that|[ ]those[ ]hours)?))?)
  | (?i:no[ ](?:weekend[ ]|night[ ]|overnight[ ]|out[- ]of[- ]hours[ ]|24\s?/\s?7[ ])?(?:pager|paging|formal[ ]on-?call|
        on-?call(?:[ ]rotation)?|cover|coverage|support))
  | (?i:no[ ]one[ ]is[ ]paged|nobody(?:'s|[ ]is)[ ]on[ ]call|no[ ]one(?:'s|[ ]is)[ ]on[ ]call)
  | (?i:out[ ]of[ ]hours|after[ ]hours|weekends?|weekdays|nights|overnight|[1-7][ ]days(?:[ ]a[ ]week)?)
  | (?i:{_DAY}\s?(?:-|–|—|to)\s?{_DAY})
  | (?i:{_TIME}\s?(?:-|–|—|to)\s?{_TIME})(?:\s?\(?(?:{_AFTER_TIME_ZONE}|{_PLACE}(?:[ ]time)?)\)?(?![\w/]))?
  | (?i:(?:hand-?offs?|hand-?overs?)[ ](?:at[ ])?{_TIME})(?:\s?(?:{_AFTER_TIME_ZONE})(?![\w/]))?
""")
# Pieces that say coverage on their own; days or "weekends" alone ("backups on weekends") do not.
_STRONG = re.compile(r"(?i)24|clock|sun|hours|best|no |nobody|no one|\d")
CONTEXT = re.compile(r"(?i)on-?call|oncall|pag(?:e|er|es|ing)\b|rota(?:tion)?\b|schedule|support|cover|escalat|"
                      r"pagerduty|opsgenie|shift|hand-?off|hand-?over|hours\b|24\s?/\s?7|follow[- ]the[- ]sun")
# Words after the last piece that still belong to it: "for P1", "only if ingestion stops", "otherwise".
_QUALIFIER = re.compile(r"(?i)\s*(?:only\s+)?(?:for|if|when|unless|otherwise|except|during|in|on)\b(?!-)[^,;.()]*|"
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
    found += [PLACE_ZONES[m.group(0)] for m in re.finditer(rf"(?<![\w/]){_PLACE}(?![\w/])", text)]
    return list(dict.fromkeys(found))


# "primary this quarter is Ilse V", "secondary Tomás A", "lead K B, backup R Q", "A (primary), B",
# "obs-oncall primary, platform-sre secondary": a person or a rota in a role of the rotation
_WHO = (r"(?:[#@]?[A-Z][\w'’.-]*(?:\s+(?:van|de|der|da|von|di|le|la|du|[A-Z][\w'’.-]*)){0,3}|"
        r"[a-z][\w.]*-[\w.-]*[a-z0-9])")
_SLOT = {"primary": "primary", "secondary": "secondary", "backup": "secondary", "deputy": "secondary",
         "lead": "lead", "tech lead": "lead", "team lead": "lead"}
_SLOT_WORD = r"(?:primary|secondary|backup|deputy|tech\s+lead|team\s+lead|lead)"
_SLOT_BEFORE = re.compile(rf"(?i)\b({_SLOT_WORD})(?:\s+on-?call)?(?:\s+this\s+(?:quarter|month|week|sprint))?"
                          rf"(?:\s+(?:is|=)|\s*:|(?<=lead),)?\s+(?:the\s+|our\s+)?[\"'`“”]?(?-i:({_WHO}))(?![\w/])")
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
        if slot.lower() == "lead" and re.fullmatch(r"[A-Z0-9]{2,5}", who):
            return  # "the SRE lead", "the DBA lead": a team's role, not a person's name
        slot = _SLOT[re.sub(r"\s+", " ", slot.lower())]
        if not any(s == slot for s, _, _ in out) and not any(w == who for _, w, _ in out):
            out.append((slot, who, ""))

    for m in _SLOT_AFTER.finditer(sentence):
        before = sentence[:m.start()].rstrip()
        bracketed = "(" in m.group(0)  # "Wiebke S (primary)" says it of a person wherever it is written
        if bracketed and not m.group(0).rstrip().endswith(")") and re.match(r"\s+[A-Z]", sentence[m.end():]):
            continue  # "storage-sre (lead Lena Vogel)": the lead is the person inside the brackets
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
        if _resource_role(sentence, m.start(), m.group(2)):
            continue  # "Postgres 16: primary lark-pg-01": a database's primary, not a rota's
        add(m.group(1), m.group(2))
    return out


# Words that make "primary X" a resource's role: a data store, a node, a region before it in its clause.
_RESOURCE_WORDS = re.compile(r"(?i)\b(?:postgres\w*|pg|mysql|mariadb|aurora|rds|mongo\w*|redis|valkey|kafka|rabbit\w*|"
                             r"elastic\w*|opensearch|cassandra|database|db|cluster|node|nodes|replica\w*|standby|"
                             r"region|site|dc|datacenter|broker|shard|server|instance|host)\b")


_PERSON_BEFORE = re.compile(rf"(?i)\b(?:owner|owned\s+by|{_SLOT_WORD}|manager|contact)(?:\s+(?:is|=)|\s*:)?\s+"
                            rf"(?-i:[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*){{0,3}})")


def _resource_role(sentence: str, at: int, who: str) -> bool:
    """Whether the slot word at `at` names a resource's role: its clause speaks of a store or node, or the
    name looks like a host ("lark-pg-01") in a sentence that says nothing of on-call."""
    clause = re.split(r"[.;:(]", sentence[:at])[-1]
    # a person named before it is no resource: "Owner Elastic Aaa, backup N" (a name may look like a product)
    clause = _PERSON_BEFORE.sub(" ", clause)
    if _RESOURCE_WORDS.search(clause):
        return True
    # identifiers are not read for on-call words: hosts "rota-pg-01", "rota-pg-09" say nothing of a rota
    return bool(re.search(r"[-_.]?\d+$", who)) and re.search(r"[-.]", who) is not None and \
        not CONTEXT.search(re.sub(r"[\w.-]*(?:\d[\w.-]*[-_.]|[-_.][\w.-]*\d)[\w.-]*", " ", sentence))


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


# --- handovers, teams and contacts named in passing ---------------------------------------------------------

_NAME = r"(?:[A-Z][\w'’.-]*(?:\s+(?:van|de|der|da|von|di|le|la|du|[A-Z][\w'’.-]*)){0,2}|@[\w.-]*[\w])"
_AWAY = r"(?:off|away|out|leaving|on\s+(?:leave|holiday|vacation|parental\s+leave|sabbatical)|moving\s+teams)"
_TAKES = (r"(?:is\s+|will\s+be\s+|will\s+)?(?:picking\s+(?:this|it)\s+up|picks?\s+(?:this|it)\s+up|"
          r"tak(?:es|ing|e)\s+over|"
          r"covering|covers?|cover|stepping\s+in|steps\s+in|step\s+in|in\s+charge|the\s+new\s+owner|owns\s+it\s+now|"
          r"taking\s+(?:this|it)\s+on|takes\s+(?:this|it)\s+on)")
_HANDOVER = (
    # "I'm off from Monday, Tom is picking this up", "Ana is away until the 3rd; Ben covers"
    re.compile(rf"(?P<leaver>\bI(?:'m|’m|\s+am)?|{_NAME})(?:\s+(?:is|will\s+be|'s))?\s+{_AWAY}\b(?P<when>[^,;()]*?)"
               rf"\s*(?:[,;]|\band\b|\s[-–—]\s)\s*(?:and\s+)?(?P<taker>{_NAME})\s+{_TAKES}"),
    # "Tom takes over from Inês on Monday", "Ben is covering for Ana from the 3rd"
    re.compile(rf"(?P<taker>{_NAME})\s+{_TAKES}\s+(?:from|for)\s+(?P<leaver>{_NAME}|me)\b(?P<when>[^,;.()]*)"),
    # "handing over to Tom (from Monday)"
    re.compile(rf"(?i:hand(?:ing|s|ed)?\s+(?:this\s+|it\s+)?over\s+to)\s+(?P<taker>{_NAME})(?P<when>[^,;.()]*)"),
)


def is_person(text: str) -> bool:
    """Whether a name is a person's ("Inês Carvalho", "Tomáš Horák", "@mara.k") rather than a team's
    ("Payments team")."""
    if text.startswith("@"):
        return True
    words = text.split()
    return 2 <= len(words) <= 3 and all(_name_word(w) for w in words) and not is_team(text)


def _name_word(word: str) -> bool:
    """A capitalised word of letters in any Latin script: "Tomáš", "O'Neil", "Jean-Luc"."""
    letters = re.sub(r"['’-]", "", word)
    return len(word) > 1 and word[0].isupper() and letters.isalpha() and letters[1:].islower()


def is_team(text: str) -> bool:
    """Whether a capitalised name says it is a group ("Workflow Platform", "Data Infra", "Core SRE")."""
    return re.search(r"(?i)\b(?:team|squad|group|guild|platform|engineering|eng|ops|sre|infra\w*|data|devops|support|"
                     r"core)\b", text) is not None


def handovers(sentence: str) -> list[tuple[str, str, str]]:
    """(who takes over, who leaves, when) for each handover a sentence states: "I'm off from Monday, Tom is
    picking this up" -> ("Tom", "I", "from Monday"). The leaver is "I" when the writer is leaving (or
    not said: a "handing over to" note is the writer's)."""
    out: list[tuple[str, str, str]] = []
    for pattern in _HANDOVER:
        for m in pattern.finditer(sentence):
            taker = m.group("taker").strip()
            leaver = (m.groupdict().get("leaver") or "I").strip()
            if re.match(r"(?i)i\b|i'm|i’m|me$", leaver):
                leaver = "I"
            if taker.lower() in _NOT_WHO or taker == leaver or taker in ("I", "We", "It", "This"):
                continue
            when = " ".join((m.groupdict().get("when") or "").split()).strip(" ,")
            if not any(t == taker for t, _, _ in out):
                out.append((taker, leaver, when))
    return out


# "team commerce-platform", "on-call: fin-platform, 24/7", "Owners: data engineering (#data-eng)", "the data
# platform team", "Berlin and Singapore SRE teams": a team named in passing, lower case or hyphenated.
_TEAM_WORDS = r"[A-Za-z][\w&-]*"
_TEAMS = (
    re.compile(r"(?i:\bteam)\s+(?-i:([a-z][\w]*(?:-[\w]+)+|[A-Z][\w&-]+(?:\s+[A-Z][\w&-]+){0,2}))(?![\w-])(?!\s+(?:team|owns))"),
    re.compile(r"(?i:\bon-?call|\bowners?|\bowned\s+by|\bowning\s+team)\s*[:=]\s*(?:the\s+)?"
               r"([a-z][\w]*(?:-[\w]+)+|[a-z]+(?:\s+[a-z]+){0,2})\s*(?=\(|,|;|$)"),
    re.compile(r"(?:^|[,;:(]\s*|\b(?:the|by|to|our)\s+)((?:[A-Za-z][\w&-]*\s+){1,4}?(?:teams?|squad))\b(?!\s+(?:is|are)\b)"),
)
_NOT_TEAM = frozenset("a an the our this that their your my his her its whole entire same other one two every each "
                      "on-call oncall call support hey hi hello dear thanks owner owners owned owning by is".split())


# the owning team as a label states it: "team = Workflow Platform (lead: …)", "Owning team: data-infra"
_STATED_TEAM = re.compile(r"(?i:\b(?:owning\s+team|team|owners?))\s*(?:=|:)\s*(?i:the\s+)?"
                          r"(?P<name>[A-Z][\w&-]*(?:\s+[A-Z][\w&-]*){0,3}|[a-z][\w]*(?:-[\w]+)+)"
                          r"(?=\s*(?:[(,;.]|$))")


def stated_team(sentence: str) -> str | None:
    """The team a label names as the owner (see `_STATED_TEAM`); None for people ("team: Ana Ruiz, Bo Li")."""
    for m in _STATED_TEAM.finditer(sentence):
        name = m.group("name")
        if not is_person(name) and name.lower() not in _NOT_TEAM and not name.lower().startswith(("no ", "24")):
            return name
    return None


def teams(sentence: str) -> list[str]:
    """Team names a sentence gives in passing (see `_TEAMS`), in order."""
    out: list[str] = []
    for pattern in _TEAMS:
        for m in pattern.finditer(sentence):
            name = m.group(1).strip(" ,;:")
            words = name.split()
            while words and words[0].lower() in _NOT_TEAM:
                words.pop(0)
            name = " ".join(words)
            if not name or name.lower() in _NOT_TEAM or re.fullmatch(r"(?i)teams?|squad", name) or \
                    re.fullmatch(r"\d+(?:/\d+)?|24x7|24/7", name) or name.lower().startswith(("no ", "business", "24")):
                continue
            if name not in out:
                out.append(name)
    return out


# A person named as the one to reach, outside an "escalate" clause: "for anything scary ping Priya Raman
# (DBA)", "lead engineer Aoife Brennan", "Uptime Kuma emails Jakub".
_ROLE_BEFORE = re.compile(r"(?i:\b(?:lead\s+engineer|tech(?:nical)?\s+lead|team\s+lead|engineering\s+manager|manager|"
                          r"\bEM|product\s+owner|dba|(?:dev\s+|app\s+|business\s+|escalation\s+)?contact|reporter|sme|"
                          r"lead(?=\s*[:=])))\s*(?::|is|=)?\s+(?:(?i:me|I)\s*,\s*)?"  # "lead: me, Rui Almeida"
                          r"(?P<who>[A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+){0,2})")
# a capitalised word in any Latin script ("Tomáš", "Łukasz"), for the readers below
_CAP = "".join(chr(c) for c in range(0x41, 0x250) if chr(c).isupper())
_WHO_WORD = rf"[{_CAP}][^\W\d_]+(?:['’-][^\W\d_]+)?"
_ANY_PERSON = rf"{_WHO_WORD}(?:\s+(?:van|de|der|da|von|di|le|la|du|{_WHO_WORD})){{1,2}}"
_PERSON = _ANY_PERSON
# the writer names themself: "open a P1 with me (Mei Tan, DB)", "ask me (Rui Almeida)"
_SELF_NAMED = re.compile(rf"\b(?i:me|I)\s*\(\s*(?P<who>{_ANY_PERSON})\s*(?:,\s*(?P<role>[^)]{{1,30}}?))?\s*\)")
_ROLE_WORD = r"(?:EM|lead|tech(?:nical)?\s+lead|team\s+lead|manager|engineering\s+manager|DBA|owner|product\s+owner)"
_ROLE_AFTER = re.compile(rf"(?P<who>{_PERSON})\s*\(\s*(?:[A-Za-z&-]+\s+){{0,3}}?(?P<role>(?i:{_ROLE_WORD}))\b"
                         rf"(?:\s*,[^)]{{0,60}})?\s*\)|"
                         rf"\|\s*(?P<cell>(?i:{_ROLE_WORD}|tech_lead|contact))\s*\|\s*(?:[a-z][\w-]*,\s*)?"
                         rf"(?P<who2>{_PERSON})\s*[|;,]|"
                         rf"\b(?i:led|headed|run)\s+by\s+(?P<who3>{_PERSON})\b")
# the people a team is: "Digital Dev team = Lea Hoffmann and Jonas Krüger", "team: Ana Ruiz, Bo Li"
_MEMBERS = re.compile(rf"(?i:\bteam)\s*(?:=|:|is|are)\s*"
                      rf"(?P<who>{_PERSON}(?:\s*,\s*{_PERSON})*(?:\s*,?\s+and\s+{_PERSON})?)")
_WROTE = re.compile(rf"(?i:\b(?:handover|hand-?off|hand-?over|notes?|brain\s?dump)\b)[^.\n]{{0,60}}?\b(?i:from)\s+"
                    rf"(?P<who>{_PERSON})\b")
_REACH = re.compile(r"(?P<when>(?:\b(?:for|if|when)\b[^,;.]{2,40}?)?)\b(?i:ping|call|page|ask|contact|wake(?:\s+up)?|"
                    r"reach|message)\s+(?P<who>(?:@[\w.-]+|[A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+){0,2}))(?P<role>\s*\([^)]{2,30}\))?")
_NOTIFIED = re.compile(r"\b(?:emails?|mails?|texts?|notifies|pages|alerts)\s+"
                       r"(?P<who>[A-Z][a-z'’-]+(?:\s+[A-Z][a-z'’-]+)?)\b")


# people under a label: "Author: Grace Adeyemi (Platform Messaging). Reviewers: Omar Haddad, Beth Lindqvist", "DRI: X"
_LABELLED = re.compile(
    rf"(?P<label>(?i:\b(?:authors?|reviewers?|approvers?|dri|maintainers?|owners?|leads?|sme|contacts?|people|"
    rf"backup|escalation)))\s*[:=]?\s+(?P<who>{_ANY_PERSON}(?:\s*\([^()]{{1,40}}\))?(?:\s*(?:,|\band\b)\s*"
    rf"{_ANY_PERSON}(?:\s*\([^()]{{1,40}}\))?)*)(?![^\W_]|\s+(?i:team|squad|group|guild)\b)")
_ONE = re.compile(rf"(?P<who>{_ANY_PERSON})(?:\s*\((?P<aside>[^()]{{1,40}})\))?")
# "Hana Kobayashi is the API edge lead (and your escalation)"
_IS_THE = re.compile(rf"(?P<who>{_ANY_PERSON})\s+is\s+(?:the|our|your)\s+(?:[\w-]+\s+){{0,3}}?"
                     r"(?P<role>(?i:lead|owner|manager|dba|em|escalation|contact|sme|expert|on-?call))\b")
# "owner Finance Eng (Nele Fischer)": a team, then the person behind it in parentheses
_TEAM_PERSON = re.compile(rf"(?i:\b(?:owner|owned\s+by|team|lead))\s*[:=]?\s+(?P<team>[^(),;]{{2,40}}?)\s*"
                          rf"\(\s*(?P<who>{_ANY_PERSON})\s*\)")
_LABEL_ROLE = {"authors": "author", "reviewers": "reviewer", "approvers": "approver", "maintainers": "maintainer",
               "owners": "owner", "leads": "lead", "contacts": "contact", "dri": "DRI", "sme": "SME"}


def labelled_people(sentence: str) -> list[tuple[str, str]]:
    """(person, role) for people a label or a sentence gives a role ("Reviewers: Omar Haddad, Beth
    Lindqvist", "Hana Kobayashi is the API edge lead", "owner Finance Eng (Nele Fischer)"); people only, never
    a team or a product ("Marketing Ops")."""
    out: list[tuple[str, str]] = []

    def add(who: str, role: str) -> None:
        if is_person(who) and all(w != who for w, _ in out):
            out.append((who, role))

    for m in _LABELLED.finditer(sentence):
        label = m.group("label").lower()
        role = _LABEL_ROLE.get(label, label if label not in ("people", "contact") else "")
        for one in _ONE.finditer(m.group("who")):
            after = re.match(r"\s+(second|secondary|backup|deputy|primary)\b", sentence[m.start("who") + one.end():])
            if after:  # "Owner: Marta Kowalczyk (lead), Deniz Yilmaz second": the slot said after the name
                add(one.group("who"), after.group(1).lower())
                continue
            aside = (one.group("aside") or "").strip()
            said = re.search(r"(?i)\b(?:lead|owner|dba|manager|em|backup|sme|escalation)\b", aside)
            word = said.group(0).lower() if said else ""
            add(one.group("who"), (word.upper() if word in ("dba", "em", "sme") else word) if said else role)
    for m in _IS_THE.finditer(sentence):
        add(m.group("who"), m.group("role").lower() if m.group("role").lower() != "em" else "EM")
    for m in _TEAM_PERSON.finditer(sentence):
        if not is_person(m.group("team").strip()):
            add(m.group("who"), "owner")
    return out


# A sentence about people: it says to reach, approve or own, or names a role; a name in it is a contact
_PEOPLE_CUE = re.compile(r"(?i)\b(?:owners?|owned|contacts?|escalat\w*|call|calls|page|ping|ask|tell|approv\w*|"
                         r"sign-?off|leads?|second|backup|deputy|on-?call|manager|sysadmin|admin|dba|cto|cio|ciso|vp|"
                         r"head\s+of|people|reach|responsible|wake)\b")
# a heading over people ("## People", "Contacts", "Who to call")
_PEOPLE_HEADING = re.compile(r"(?i)(?:people|contacts?|escalations?|owners?|ownership|on-?call|who\s+to\s+\w+|"
                             r"team|humans|support)\s*:?")
# "the CIO's approval (Henrik Dahl)": the person in parentheses after their role
_ROLE_THEN_NAME = re.compile(rf"(?P<role>\b[A-Za-z][\w-]*(?:['’]s)?(?:\s+[a-z][\w-]*)?)\s*\(\s*(?P<who>{_ANY_PERSON})"
                             r"\s*\)")
# capitalised words a name never starts with ("Second Paco Jiménez", "Then Ana Ruiz", "Call Bo Li")
_NOT_FIRST_NAME = frozenset("second secondary primary backup lead owner owners contact contacts escalation escalate "
                            "call ask ping page then if and or also else our the cto cio dba app approver approval "
                            "people chat on-call oncall manager deputy tell wake reach after before".split())


_PLACES = {p.lower() for p in PLACE_ZONES} | set(CITY_ZONES) | {
    "hong kong", "buenos aires", "cape town", "new delhi", "mexico city", "kuala lumpur", "rio de janeiro",
    "north america", "south america", "latin america", "middle east", "united states", "united kingdom",
    "new zealand", "south africa", "east coast", "west coast"}
# words of a title, a place or a product, never of a person's name ("Incident Commander", "Storage Box")
_NOT_PERSON_WORDS = frozenset("commander manager engineer director officer architect administrator desk center centre "
                              "service services duty board page portal console monitor box cloud server cluster "
                              "database store storage bucket queue account project office room bridge line hotline "
                              "committee council channel group chat window monday tuesday wednesday thursday friday "
                              "saturday sunday january february march april may june july august september october "
                              "november december".split())


def _first_name_on(who: str) -> str:
    """The name without the slot or verb capitalised before it ("Second Paco Jiménez" → "Paco Jiménez")."""
    name, paren, aside = who.partition(" (")
    words = name.split()
    while len(words) > 2 and words[0].lower() in _NOT_FIRST_NAME:
        words = words[1:]
    return " ".join(words) + paren + aside


def is_people_heading(sentence: str) -> bool:
    """Whether a short line heads a list of people ("People", "## Contacts", "Who to call")."""
    return len(sentence.split()) <= 4 and _PEOPLE_HEADING.fullmatch(sentence.strip(" #*:")) is not None


def named_people(sentence: str, about_people: bool = False) -> list[tuple[str, str]]:
    """(person, role) for every person's full name in a sentence about people (or under a people heading):
    "Sanjay Iyer (lead, EU), Elena Petrova (US)", "Second Paco Jiménez (sysadmin)", "the CIO's approval
    (Henrik Dahl)"; the role is the name's short aside's first part or the role written before it. A
    name with a host or path in parentheses ("Storage Box (u318822.your-storagebox.de)") is a product."""
    if not about_people and not _PEOPLE_CUE.search(sentence):
        return []
    out: list[tuple[str, str]] = []

    def add(who: str, role: str) -> None:
        who = _first_name_on(who)
        if is_person(who) and who.lower() not in _PLACES and not _NOT_PERSON_WORDS.intersection(who.lower().split()) \
                and all(w != who for w, _ in out):
            out.append((who, " ".join(role.split())))

    for m in _ROLE_THEN_NAME.finditer(sentence):
        role = re.sub(r"['’]s$", "", m.group("role").split()[0])
        add(m.group("who"), role if role.lower() not in _NOT_WHO else "")
    for m in _ONE.finditer(sentence):
        aside = (m.group("aside") or "").strip()
        if re.search(r"[\d./@:=`]|\w_\w", aside):
            continue  # "(u318822.your-storagebox.de)", "(10.0.0.4)": what the name is, not who
        role = aside.split(",")[0].strip() if aside and len(aside.split(",")[0].split()) <= 3 else ""
        add(m.group("who"), role)
    return out


def speakers(text: str) -> list[str]:
    """The people who wrote a chat export ("Mei Lin  09:20" on a line of its own, or before the message)."""
    found = re.findall(rf"(?m)^[ \t]*({_ANY_PERSON})[ \t]+\[?\d{{1,2}}:\d{{2}}(?:[ \t]*[AaPp][Mm])?\]?(?:[ \t]|$)",
                       text)
    return list(dict.fromkeys(w for w in found if is_person(w)))


def contacts(sentence: str) -> list[tuple[str, str]]:
    """(who, why) for each person a sentence says to reach ("Priya Raman (DBA)", "for anything scary"), a
    lead named by role ("Aoife Brennan (lead)") and who gets the alerts ("Jakub", "gets the alerts")."""
    out: list[tuple[str, str]] = []

    def add(who: str, why: str) -> None:
        who = _first_name_on(who.strip(" ,;:"))
        person = who.split(" (")[0]
        if who and who.lower() not in _NOT_WHO and who not in ("I", "We", "It") and not any(
                w.split(" (")[0] == person for w, _ in out):  # one person once, by the first role said
            out.append((who, " ".join(why.split())))

    for m in _ROLE_AFTER.finditer(sentence):  # "Sam Okafor (EM)", "| lead | Noor Haddad |", "led by Jonas Berg"
        who = m.group("who") or m.group("who2") or m.group("who3")
        if not is_person(who):
            continue  # "Workflow Platform (lead: …)" is the team the lead leads
        said = m.group("role") or m.group("cell") or "lead"
        role = said if said.isupper() else re.sub(r"[\s_]+", " ", said.lower())  # "DBA", "EM" as written
        add(f"{who} (lead)" if "lead" in role.lower() else f"{who} ({role})", "")
    for m in _MEMBERS.finditer(sentence):
        for who in re.split(r"\s*,\s*(?:and\s+)?|\s+and\s+", m.group("who")):
            if is_person(who):  # "team = Workflow Platform" names the team, not its people
                add(who, "on the team")
    for m in _WROTE.finditer(sentence):  # "Handover: catalog-db — from Tomasz Nowak to whoever …"
        add(m.group("who"), "wrote the handover")
    for m in _ROLE_BEFORE.finditer(sentence):
        role = re.sub(r"(?i)[\s:=,]*(?:\bme|\bi)?[\s,]*$", "", m.group(0)[:m.start("who") - m.start()]).lower()
        role = re.sub(r"\s+is$", "", role)
        add(f"{m.group('who')} (lead)" if "lead" in role else f"{m.group('who')} ({role})", "")
    for m in _SELF_NAMED.finditer(sentence):
        role = (m.group("role") or "").strip()
        add(f"{m.group('who')} ({role})" if role else m.group("who"), "")
    for m in _REACH.finditer(sentence):
        add(m.group("who") + (m.group("role") or ""), m.group("when") or "")
    for m in _NOTIFIED.finditer(sentence):
        add(m.group("who"), "gets the alerts")
    chain = re.search(r"(?i)\bescalat\w*\s+(?:to\s+)?(@[\w.-]*\w(?:\s*(?:,|then|→|->|and)\s*@[\w.-]*\w)*)", sentence)
    if chain:  # "escalate @yusuf.b then @mara.k": handles in the order given
        for handle in re.findall(r"@[\w.-]*\w", chain.group(1)):
            add(handle, "")
    return out


# An escalation the team ties to a condition: "page the DBA if replication lag stays above 5 minutes",
# "escalate to the DB on-call if WAL > 50 GB", "if the disk passes 90%, call Priya Raman". The condition
# is the rule for calling them (kept in the team's words), not a delay the pace may replace.
_CALL = (r"(?:escalate\s+(?:it\s+)?to|escalate|page|call|wake(?:\s+up)?|notify|ping|loop\s+in|bring\s+in|involve|"
         r"contact|alert|get)")
_IF = r"(?:(?:only\s+)?(?:if|when|whenever|once|should|as\s+soon\s+as|in\s+case)|unless)"
_END = r"(?=\.(?:\s|$)|;|,\s*(?:then|and|otherwise|else)\b|\s[-–—]\s|\)|$)"
_CALL_IF = re.compile(rf"(?i)\b{_CALL}\s+(?P<who>[^,.;:()]{{2,60}}?)\s+(?P<cond>{_IF}\b[^;]{{3,160}}?){_END}")
_IF_CALL = re.compile(rf"(?i)(?:^|[.;:(]\s*|\b)(?P<cond>{_IF}\b[^,;]{{3,160}}?),\s*(?:then\s+)?{_CALL}\s+"
                      rf"(?P<who>[^,.;:()]{{2,60}}?)(?:\s+(?:by|via|on)\s+[^,.;]+)?{_END}")


def escalation_conditions(sentence: str) -> list[tuple[str, str]]:
    """(who, condition) for each escalation the sentence ties to a condition, the condition verbatim
    ("if WAL > 50 GB"); who as written, without a leading "the" / "our"."""
    out: list[tuple[str, str]] = []
    for pattern in (_CALL_IF, _IF_CALL):
        for m in pattern.finditer(sentence):
            who = re.sub(r"(?i)^(?:the|our|to)\s+", "", m.group("who").strip())
            who = re.sub(r"(?i)\s+(?:by|via)\s+(?:phone|slack|pager\w*|email)$", "", who).strip()
            cond = " ".join(m.group("cond").split()).rstrip(" .,")
            cond = re.sub(r"(?i)^only\s+", "", cond)
            if who and cond and not any(w == who for w, _ in out):
                out.append((who, cond[:1].lower() + cond[1:]))
    return out


__all__ = ["CITY_ZONES", "PLACE_ZONES", "ZONE", "amount", "contacts", "coverage", "escalation_conditions", "handovers",
           "is_person", "is_people_heading", "named_people", "pager_names", "slots", "teams", "zones"]
