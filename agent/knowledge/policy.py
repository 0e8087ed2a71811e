"""Operational policy: criticality → service levels, recovery objectives and backups; on-call model →
escalation. Figures the user gave (in `Facts`) always win; what comes from here is a default and
the engine says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from agent.knowledge.base import Facts
from agent.runbook import allowed_downtime_minutes


@dataclass(frozen=True)
class Levels:
    availability_pct: float
    latency_p95_ms: float
    error_rate_pct: float
    rto_minutes: int
    rpo_minutes: int
    backup_frequency: str
    backup_retention: str
    review: str  # how often a backup is restore-tested ("quarterly")

    @property
    def downtime_minutes(self) -> float:
        return allowed_downtime_minutes(self.availability_pct)


_BY_CRITICALITY: dict[str, Levels] = {
    "critical": Levels(99.95, 300, 0.1, 30, 5, "continuous (point-in-time recovery) plus hourly snapshots",
                       "35 days of point-in-time recovery, monthly snapshots kept 1 year", "monthly"),
    "high": Levels(99.9, 500, 0.5, 60, 15, "hourly snapshots (or continuous log shipping)",
                   "30 days, monthly snapshots kept 6 months", "quarterly"),
    "medium": Levels(99.5, 1000, 1.0, 240, 60, "daily snapshot", "14 days", "twice a year"),
    "low": Levels(99.0, 2000, 2.0, 1440, 1440, "daily snapshot", "7 days", "yearly"),
}

# p95 "latency" means different things per service type: request time for web/api, job processing
# time for workers, query time for databases, run duration for pipelines (ms in every case).
_LATENCY_FACTOR = {"web": 1.0, "api": 1.0, "worker": 20.0, "pipeline": 1.0, "database": 0.2, "other": 1.0}
_PIPELINE_RUN_MS = {"critical": 30 * 60_000, "high": 60 * 60_000, "medium": 2 * 3600_000, "low": 4 * 3600_000}


@dataclass(frozen=True)
class Objectives:
    levels: Levels
    defaults_used: tuple[str, ...]  # human-readable list of what came from policy, not the user


def objectives(criticality: str, service_type: str, facts: Facts) -> Objectives:
    """Service levels for this service: the user's figures where given, policy defaults elsewhere."""
    base = _BY_CRITICALITY.get(criticality, _BY_CRITICALITY["high"])
    latency = (_PIPELINE_RUN_MS.get(criticality, 3600_000) if service_type == "pipeline"
               else base.latency_p95_ms * _LATENCY_FACTOR.get(service_type, 1.0))
    used: list[str] = []

    def pick(given: float | int | None, default: float | int, label: str) -> float:
        if given is not None:
            return float(given)
        used.append(label)
        return float(default)

    availability = pick(facts.availability_pct, base.availability_pct,
                        f"availability target {base.availability_pct}% ({criticality} criticality)")
    what = {"worker": "job processing time", "pipeline": "run duration", "database": "query latency"}.get(
        service_type, "request latency")
    shown = fmt_minutes(latency / 60000) if latency >= 60000 else (f"{latency / 1000:g} s" if latency >= 10000
                                                                   else f"{latency:g} ms")
    p95 = pick(facts.latency_p95_ms, latency, f"p95 {what} target {shown}")
    errors = pick(facts.error_rate_pct, base.error_rate_pct, f"error-rate target {base.error_rate_pct}%")
    rto = int(pick(facts.rto_minutes, base.rto_minutes, f"RTO {base.rto_minutes} min"))
    rpo = int(pick(facts.rpo_minutes, base.rpo_minutes, f"RPO {base.rpo_minutes} min"))
    frequency = facts.backup_schedule or base.backup_frequency
    if not facts.backup_schedule:
        used.append(f"backup frequency '{base.backup_frequency}'")
    retention = facts.backup_retention or base.backup_retention
    if not facts.backup_retention:
        used.append(f"backup retention '{base.backup_retention}'")
    levels = Levels(availability, p95, errors, max(rto, 1), rpo, frequency, retention, base.review)
    return Objectives(levels, tuple(used))


def fmt_minutes(minutes: int | float) -> str:
    minutes = int(minutes)
    if minutes >= 1440 and minutes % 1440 == 0:
        days = minutes // 1440
        return f"{days} day" + ("s" if days > 1 else "")
    if minutes >= 60 and minutes % 60 == 0:
        hours = minutes // 60
        return f"{hours} hour" + ("s" if hours > 1 else "")
    return f"{minutes} min"


# --- escalation --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    level: str
    contact: str
    method: str
    when: str
    after_minutes: int
    condition: str = ""  # the team's own rule for calling this level ("if WAL > 50 GB"), verbatim


# A qualifier that is a rule for calling the level, not a reason: "if WAL > 50 GB", "when lag stays high".
_CONDITION = re.compile(r"(?i)^(?:if|when|whenever|once|should|as soon as|in case|unless)\b")


def escalate_line(steps: list[Step]) -> str:
    """The escalation said once above the troubleshooting entries: L2 and L3 with when each is called (the
    team's condition where it gives one, else the delay)."""
    def when(step: Step, first: bool) -> str:
        if step.condition:
            return step.condition[:1].upper() + step.condition[1:] if first else step.condition
        return f"Not mitigated after {step.after_minutes} min" if first else f"after {step.after_minutes} min"
    parts = [f"{when(s, i == 0)} → {s.contact}" for i, s in enumerate(steps[1:3])]
    return "; ".join(parts) + " (see Contacts)"


# Minutes to each level, tighter for more critical services.
_PACE = {"critical": (0, 5, 15, 30), "high": (0, 10, 30, 60), "medium": (0, 15, 45, 120),
         "low": (0, 30, 120, 240)}


def oncall_summary(oncall: str, facts: Facts) -> str:
    tz = facts.timezone or "the team's time zone"
    rotation = f" (rotation '{facts.rotation}')" if facts.rotation else ""
    pager = facts.names.get("pager", "the paging tool")
    given = facts.names.get("oncall.hours")
    if given:  # the team's own words: a split ("24/7 for P1, business hours otherwise") is the rule itself
        paged = f", paged through {facts.names['pager']}" if "pager" in facts.names else ""
        return f"{given[:1].upper()}{given[1:]} (as the team states it){rotation}{paged}"
    return {
        "24x7": f"24/7 on-call{rotation}, paged through {pager}; primary acknowledges within 5 minutes",
        "business-hours": f"Business hours only ({tz}, Mon–Fri 09:00–17:00){rotation}; outside those hours "
                          "alerts wait for the next business day unless the out-of-hours rule below applies",
        "follow-the-sun": f"Follow-the-sun{rotation}"
                          + (f" between {facts.names['oncall.regions']}" if "oncall.regions" in facts.names else "")
                          + ": the region in daytime holds the pager and hands off open incidents at each "
                          "regional shift change",
        "none": f"No formal on-call{rotation}: best effort by the owning team during working hours",
    }.get(oncall, f"On-call: {oncall}")


def escalation(oncall: str, criticality: str, facts: Facts) -> list[Step]:
    """The escalation levels: who the description says is reached first (the rotation, the primary, the
    team), then every person it names (the secondary, each escalation contact with its delay, the lead,
    whoever gets the alerts) in the order it gives them, with a handover applied ("I'm off from Monday, Tom
    takes over": Tom comes first). No level is invented: where the description names fewer than two, the
    next level is a "fill in" placeholder, never a made-up manager."""
    pace = _PACE.get(criticality, _PACE["high"])
    first = _first_level(oncall, facts, pace)
    owner_first = not (facts.rotation or facts.names.get("oncall.primary"))  # the team / owner is L1
    named = _handed_over(_named(facts, owner_first), facts)
    out = [first]
    unnamed = not (facts.team or facts.rotation or facts.names.get("oncall.primary"))
    # a contact the description gives a delay for ("escalate to X after 30 min") is a later level, never L1
    if named and owner_first and (facts.names.get("handover.taker") or unnamed) and \
            not re.search(r"\s+after\s+\d+\s*(?:min|h)$|\{(?:if|when|whenever|once|should|unless)\b", named[0]):
        # the one taking over (or the only person named, when no team is) is reached first
        when = facts.names.get("handover.when", "")
        taking = f" (taking over{' ' + when if when else ''})" if facts.names.get("handover.taker") else ""
        out = [replace(first, contact=f"{named[0]}{taking}" + (" (best effort)" if oncall == "none" else ""))]
        named = named[1:]
    for part in named:
        timed = re.search(r"\s+after\s+(\d+)\s*(min|h)$", part)
        contact = part[:timed.start()] if timed else part
        why = ""
        qualified = re.match(r"(.*?)\s*\{(.+)\}$", contact)
        if qualified:
            contact, why = qualified.group(1), qualified.group(2)
        previous = out[-1].after_minutes
        default = pace[min(len(out), 3)] if len(out) <= 3 else previous + pace[3]
        minutes = (int(timed.group(1)) * (60 if timed.group(2) == "h" else 1)) if timed else max(default,
                                                                                                  previous + 1)
        condition = why if _CONDITION.match(why) else ""
        if condition:  # the team's rule for calling them, not the pace: "If WAL > 50 GB"
            when = (condition[:1].upper() + condition[1:] + (f", after {minutes} min" if timed else "")
                    + " (the escalation the description gives)")
        else:
            when = (f"Not mitigated after {minutes} min" + (f", {why}" if why else "")
                    + (" (the escalation the description gives)" if timed else " (named in the description)"))
        method = f"{facts.names['pager']} escalation" if contact.startswith("Secondary") and "pager" in facts.names \
            else "Phone / " + facts.names.get("slack", "chat")
        out.append(Step("", contact, method, when, minutes, condition))
    # a time the description gives wins over the pace; the levels are then called in the order of their times
    out = [out[0], *sorted(out[1:], key=lambda step: step.after_minutes)]
    while len(out) < 3:  # the description names no one further (the schema wants three): ask, invent no one
        paced = pace[len(out)] if len(out) < len(pace) else out[-1].after_minutes + pace[3]
        minutes = paced if paced > out[-1].after_minutes else out[-1].after_minutes + pace[3]
        out.append(Step("", "fill in: who is called next (the description names no one)", "fill in",
                        f"Not mitigated after {minutes} min", minutes))
    return [replace(step, level=f"L{index}") for index, step in enumerate(out, start=1)]


def _named(facts: Facts, owner_first: bool) -> list[str]:
    """Everyone the description names to escalate to, in its order: the secondary, then each contact
    (a condition kept in braces: "DB on-call {if WAL > 50 GB}"); the owner when someone else is L1."""
    out: list[str] = []
    secondary = facts.names.get("oncall.secondary")
    if secondary:
        out.append(f"Secondary: {secondary}")
    for part in facts.names.get("escalation.contacts", "").split(";"):
        part = part.strip()
        if part and part not in out:
            out.append(part)
    owner = facts.names.get("owner.person")
    if owner and (not owner_first or facts.names.get("handover.taker")) and not any(owner in x for x in out):
        out.append(f"{owner} (owner)")
    return out


def _resolved_taker(facts: Facts, named: list[str]) -> str:
    """The full name of the one taking over ("Tom" -> "Tom Aldridge" when the description gives both)."""
    taker = facts.names.get("handover.taker", "")
    for part in named:
        bare = re.sub(r"^Secondary:\s*", "", part)
        if taker and (bare == taker or bare.startswith(taker + " ")):
            return part
    return taker


def _handed_over(named: list[str], facts: Facts) -> list[str]:
    """`named` with a handover applied: the one taking over first, the one leaving (the owner when the
    writer says "I'm off") last, marked as away."""
    taker = facts.names.get("handover.taker")
    if not taker:
        return named
    full = _resolved_taker(facts, named)
    out = [x for x in named if x != full]
    taker_text = re.sub(r"^Secondary:\s*", "", full) if full else taker
    leaver = facts.names.get("handover.leaver", "")
    when = facts.names.get("handover.when", "")
    if leaver == "I":
        leaver = facts.names.get("owner.person", "")
    if leaver:
        gone = [x for x in out if leaver in x]
        out = [x for x in out if leaver not in x] + [
            f"{re.sub(r' [(](?:owner|lead)[)]$', '', x)} (away{' ' + when if when else ''}: handed over)"
            for x in gone]
    return [taker_text, *out]


def _first_level(oncall: str, facts: Facts, pace: tuple[int, ...]) -> Step:
    """Who is reached first, in the description's words: the primary, the rotation, the team."""
    team = facts.team or ""
    pager = facts.names.get("pager", "")
    chat = facts.names.get("slack", "the team channel")
    rotation = f" ({facts.rotation})" if facts.rotation else ""
    primary = facts.names.get("oncall.primary")
    who = (f"Primary on-call: {primary}" if primary else f"On-call ({facts.rotation})" if facts.rotation and not team
           else f"{team} on-call ({facts.rotation})" if facts.rotation
           else f"{team} on-call" if team and oncall in ("24x7", "follow-the-sun") else team
           or "fill in: the owning team or rotation (the description names none)")
    tz = facts.timezone or "team time zone"
    if oncall == "24x7":
        return Step("L1", who, f"{pager or 'Pager (fill in the tool)'} page",
                    "Alert fires; acknowledge within 5 min, start triage", pace[0])
    if oncall == "follow-the-sun":
        regions = facts.names.get("oncall.regions")
        return Step("L1", who + (f" of the active region ({regions})" if regions else " of the active region"),
                    f"{pager or 'Pager (fill in the tool)'} page", "Alert fires; the region in business hours "
                    f"acknowledges within 5 min; at shift change hand off open incidents with a summary in {chat}",
                    pace[0])
    if oncall == "business-hours":
        hours = facts.names.get("oncall.hours")
        when = (f"As the team states it: {hours}; respond within 15 min in hours" if _out_of_hours(facts) else
                f"In hours ({hours or 'business hours, ' + tz}): respond within 15 min. Out of hours: alerts queue "
                "as tickets for the next business day")
        return Step("L1", who + (rotation if not facts.rotation or facts.rotation not in who else ""),
                    f"{chat} + ticket", when, pace[0])
    return Step("L1", f"{who} (best effort)", f"{chat} / ticket", "Whoever on the team sees it during working "
                "hours; no one is paged", 0)


def _out_of_hours(facts: Facts) -> bool:
    """Whether the team's coverage says something for outside business hours (24/7 for some alerts, best
    effort): then "alerts wait for the next business day" would contradict it."""
    return bool(re.search(r"(?i)24\s?/\s?7|24x7|best[- ]effort|out of hours|after hours|around the clock",
                          facts.names.get("oncall.hours", "")))
