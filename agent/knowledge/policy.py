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
    """The escalation levels of the on-call model, with the people the description names in their places:
    the secondary at the secondary's level, each escalation contact (in order, with its delay) above it."""
    return _given_contacts(_levels(oncall, criticality, facts), facts)


def _given_contacts(steps: list[Step], facts: Facts) -> list[Step]:
    out = list(steps)
    primary = facts.names.get("oncall.primary")
    if primary and out:
        out[0] = replace(out[0], contact=f"{out[0].contact}: {primary}")
    secondary = facts.names.get("oncall.secondary")
    first = 1
    if secondary:
        at = next((i for i, s in enumerate(out) if "secondary" in s.contact.lower()), None)
        if at is not None:
            out[at] = replace(out[at], contact=f"Secondary on-call: {secondary}")
            first = at + 1
        elif out:  # a rota without a secondary level (business hours): the named secondary comes next
            out.insert(1, replace(out[1] if len(out) > 1 else out[0], contact=f"Secondary: {secondary}"))
            first = 2
    given = [part.strip() for part in facts.names.get("escalation.contacts", "").split(";") if part.strip()]
    for part in [p for p in given if p.endswith("(lead)")]:  # the team's lead takes the lead's level
        at = next((i for i, s in enumerate(out) if re.search(r"\blead\b", s.contact) and ":" not in s.contact), None)
        if at is not None:
            out[at] = replace(out[at], contact=f"{out[at].contact}: {part.removesuffix(' (lead)')}")
            given.remove(part)
    for index, part in enumerate(given):
        timed = re.search(r"\s+after\s+(\d+)\s*(min|h)$", part)
        contact = part[:timed.start()] if timed else part
        level = first + index
        base = out[level] if level < len(out) else Step(f"L{level + 1}", "", "Phone", "", out[-1].after_minutes)
        minutes = (int(timed.group(1)) * (60 if timed.group(2) == "h" else 1)) if timed else base.after_minutes
        step = replace(base, contact=contact, after_minutes=minutes,
                       when=f"Not mitigated after {minutes} min (the escalation the description gives)" if timed
                       else base.when)
        if level < len(out):
            out[level] = step
        else:
            out.append(step)
    return [replace(step, level=f"L{index}") for index, step in enumerate(out, start=1)]


def _out_of_hours(facts: Facts) -> bool:
    """Whether the team's coverage says something for outside business hours (24/7 for some alerts, best
    effort): then "alerts wait for the next business day" would contradict it."""
    return bool(re.search(r"(?i)24\s?/\s?7|24x7|best[- ]effort|out of hours|after hours|around the clock",
                          facts.names.get("oncall.hours", "")))


def _levels(oncall: str, criticality: str, facts: Facts) -> list[Step]:
    """At least four levels with increasing time bounds, worded for the on-call model."""
    pace = _PACE.get(criticality, _PACE["high"])
    team = facts.team or "owning team"
    pager = facts.names.get("pager", "Pager (fill in the tool)")
    chat = facts.names.get("slack", "the team channel")
    rotation = f" ({facts.rotation})" if facts.rotation else ""
    tz = facts.timezone or "team time zone"
    if oncall == "24x7":
        return [
            Step("L1", f"Primary on-call engineer{rotation}", f"{pager} page", "Alert fires; acknowledge within "
                 "5 min, start triage", pace[0]),
            Step("L2", "Secondary on-call engineer", f"{pager} escalation", f"Not acknowledged, or not mitigated "
                 f"after {pace[1]} min", pace[1]),
            Step("L3", f"{team} lead / incident commander", "Phone + incident channel",
                 f"Customer impact continues after {pace[2]} min; declare an incident", pace[2]),
            Step("L4", "Engineering manager / head of engineering", "Phone",
                 f"Major incident or SLO breach after {pace[3]} min; decide on disaster recovery", pace[3]),
        ]
    if oncall == "business-hours":
        return [
            Step("L1", f"{team} engineer on duty{rotation}", f"{chat} + ticket",
                 f"In hours ({facts.names.get('oncall.hours', 'business hours, ' + tz)}): respond within 15 min. "
                 "Out of hours: alerts queue as tickets for the next business day" if not _out_of_hours(facts) else
                 f"As the team states it: {facts.names['oncall.hours']}; respond within 15 min in hours", pace[0]),
            Step("L2", f"{team} lead", "Phone (business hours)", f"Not mitigated after {max(pace[1], 30)} min in "
                 "business hours", max(pace[1], 30)),
            Step("L3", "Engineering manager", "Phone", "Out of hours with customer impact: the manager decides "
                 f"whether to call people in (no paid on-call); in hours after {max(pace[2], 60)} min",
                 max(pace[2], 60)),
            Step("L4", "Head of engineering", "Phone", f"Impact continues after {max(pace[3], 120)} min or "
                 "data is at risk", max(pace[3], 120)),
        ]
    if oncall == "follow-the-sun":
        return [
            Step("L1", f"On-call engineer of the active region{rotation}", f"{pager} page",
                 "Alert fires; the region in business hours acknowledges within 5 min", pace[0]),
            Step("L2", "Regional secondary / next region at handoff", f"{pager} escalation", f"Not mitigated after "
                 f"{pace[1]} min; at shift change hand off with a written summary in {chat}", pace[1]),
            Step("L3", f"{team} lead of the active region (incident commander)", "Phone + incident channel",
                 f"Customer impact after {pace[2]} min", pace[2]),
            Step("L4", "Engineering manager (global)", "Phone", f"Major incident after {pace[3]} min or across a "
                 "handoff", pace[3]),
        ]
    # no formal on-call: best effort
    return [
        Step("L1", f"{team} (best effort)", f"{chat} / ticket", "Whoever on the team sees it during working "
             "hours; no one is paged", 0),
        Step("L2", f"{team} lead", f"{chat} mention, then phone", "Not picked up within 2 hours of working time",
             120),
        Step("L3", "Engineering manager", "Email / phone", "Still broken next business day, or data at risk",
             480),
        Step("L4", "Head of engineering", "Email", "Outage beyond one business day", 1440),
    ]
