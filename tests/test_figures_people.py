"""Figures and people the user gives reach the model and the runbook as given (random values, units,
names and phrasings): alert thresholds with their duration, latency quantiles, freshness objectives,
RPO / RTO, backup schedule and retention, on-call hours with their days, time zones and splits by
severity or time, primary / secondary, the pager's service name, vendor support contacts, and the
alerts the team already has (their names and thresholds in the alert table, never "Repository rule ()").
"""

from __future__ import annotations

import re
import string
from datetime import datetime

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from agent.answers import from_mapping
from agent.models.base import GenerationRequest
from agent.models.offline import OfflineModel
from agent.render import latency, render_markdown
from agent.rule import Rule, default_rule_path, load_rule
from agent.service import oncall_text
from agent.service.text import parse

_PARSE = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
_RUNBOOK = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                            HealthCheck.function_scoped_fixture])
NOW = datetime(2026, 12, 2, 4, 0)

_letters = st.text(alphabet=string.ascii_lowercase, min_size=3, max_size=8)
_part = st.text(alphabet=string.ascii_lowercase + string.digits, min_size=2, max_size=6).filter(
    lambda p: not p.isdigit())
IDENT = st.builds(lambda a, b: f"{a}-{b}", _letters, _part)
QUEUE = st.builds(lambda a, b: f"{a}.{b}", _letters, _letters)
_first = st.sampled_from(["Ilse", "Tomás", "Priya", "Kwame", "Sunniva", "Olumide", "Marguerite", "Kaito", "Wiebke",
                          "Rafael", "Zofia", "Anselm", "Niamh", "Dmitri", "Beatriz", "Henrietta"])
# random surnames; English function words ("Then", "The") would be read as words, as a person reading would
_FUNCTION = {"the", "then", "and", "for", "via", "our", "not", "but", "with", "after", "when", "from", "into", "onto",
             "this", "that", "its", "are", "was", "has", "had", "per", "any", "all", "who", "why", "how", "out"}
_last = st.text(alphabet=string.ascii_lowercase, min_size=3, max_size=9).filter(
    lambda w: w not in _FUNCTION).map(str.capitalize)
PERSON = st.builds(lambda f, la: f"{f} {la}", _first, _last)


def _written(n: int, style: str) -> str:
    """A count as people write it: 5000, 5,000, 5k."""
    if style == "k" and n % 1000 == 0:
        return f"{n // 1000}k"
    if style == "comma":
        return f"{n:,}"
    return str(n)


@pytest.fixture(scope="module")
def rule() -> Rule:
    return load_rule(default_rule_path())


def _runbook(rule: Rule, text: str, typ: str = "worker", env: str = "kubernetes", mon: str = "prometheus",
             oncall: str = "24x7") -> str:
    answers = from_mapping(rule, {"type": typ, "env": env, "criticality": "high", "monitoring": mon,
                                  "oncall": oncall}, "test")
    result = OfflineModel().generate(GenerationRequest(rule=rule, description=text, answers=answers, now=NOW))
    return render_markdown(result.runbook)


def _alert_rows(markdown: str) -> dict[str, str]:
    """Key Alerts table: alert name -> condition."""
    table = markdown.split("### Key Alerts", 1)[1].split("\n\n", 2)[1]
    rows = {}
    for line in table.splitlines()[2:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) >= 2:
            rows[cells[0]] = cells[1]
    return rows


# --- thresholds --------------------------------------------------------------------------------------------
BACKLOG_FORMS = [
    "We want a backlog alert when {q} is longer than {v}.",
    "Alert when the backlog > {v} for {d}m.",
    "Page at {v} messages.",
    "Please alert us if the queue depth exceeds {v} for {d} minutes.",
    "A backlog alert at more than {v} messages would be good.",
]


@_PARSE
@given(n=st.integers(2, 90).map(lambda k: k * 1000), style=st.sampled_from(["plain", "comma", "k"]),
       form=st.sampled_from(BACKLOG_FORMS), q=QUEUE, d=st.integers(2, 45), svc=IDENT)
def test_a_backlog_threshold_reaches_the_model_as_a_number(n: int, style: str, form: str, q: str, d: int,
                                                           svc: str) -> None:
    text = f"The {svc} worker runs on EKS and consumes Redis.\n\n" + form.format(q=q, v=_written(n, style), d=d)
    backlog = [f for f in parse(text).figures if f.key == "backlog_max"]
    assert backlog and backlog[0].value == str(n), (text, backlog)
    if "{d}" in form:
        assert backlog[0].qualifier.endswith(f"for {d} min"), (text, backlog[0])
    if "{q}" in form:
        assert q in backlog[0].qualifier, (text, backlog[0])


@_RUNBOOK
@given(n=st.integers(2, 90).map(lambda k: k * 1000), style=st.sampled_from(["plain", "comma", "k"]),
       form=st.sampled_from(BACKLOG_FORMS), q=QUEUE, d=st.integers(2, 45), svc=IDENT)
def test_a_backlog_threshold_is_the_backlog_alert_of_the_runbook(rule: Rule, n: int, style: str, form: str, q: str,
                                                                 d: int, svc: str) -> None:
    text = f"The {svc} worker runs on EKS and takes jobs from Celery on Redis.\n\n" + form.format(
        q=q, v=_written(n, style), d=d)
    rows = _alert_rows(_runbook(rule, text))
    backlog = [c for name, c in rows.items() if "backlog" in name.lower()]
    assert backlog and all(f"> {n}" in c for c in backlog), (text, rows)
    if "{d}" in form:
        assert all(f"for {d} min" in c for c in backlog), (text, backlog)


LATENCY_FORMS = ["p{q} under {v} ms.", "SLO: p{q} latency < {v}ms.", "Target: p{q} response time below {s} s.",
                 "The objective is p{q} of {v} ms on POST /v1/orders."]


@_PARSE
@given(q=st.sampled_from(["90", "95", "99", "99.9"]), v=st.integers(1, 40).map(lambda k: k * 100),
       form=st.sampled_from(LATENCY_FORMS), svc=IDENT)
def test_the_latency_quantile_and_target_are_kept(q: str, v: int, form: str, svc: str) -> None:
    text = f"The {svc} API runs on EKS.\n\n" + form.format(q=q, v=v, s=f"{v / 1000:g}")
    latency = [f for f in parse(text).figures if f.key == "latency"]
    assert latency and latency[0].qualifier == f"p{q}" and float(latency[0].value) == v, (text, latency)


@_RUNBOOK
@given(q=st.sampled_from(["90", "99"]), v=st.integers(2, 20).map(lambda k: k * 100), svc=IDENT)
def test_the_slo_line_names_the_quantile_given(rule: Rule, q: str, v: int, svc: str) -> None:
    text = f"The {svc} API runs on EKS. SLO: 99.9% availability, p{q} under {v} ms."
    markdown = _runbook(rule, text, typ="api")
    assert f"**Response Time p{q}:** < {latency(v)}" in markdown, markdown.split("### Key Metrics")[0][-400:]


@_PARSE
@given(share=st.sampled_from(["95", "99", "99.5", "99.9"]), n=st.integers(2, 59),
       unit=st.sampled_from(["minutes", "min", "seconds"]), what=st.sampled_from(
           ["invoices emailed", "settlements reconciled", "labels available", "orders exported"]), svc=IDENT)
def test_a_freshness_objective_is_not_an_availability(share: str, n: int, unit: str, what: str, svc: str) -> None:
    text = f"The {svc} worker runs on EKS.\n\nTarget: {share}% of {what} within {n} {unit} of the order."
    model = parse(text)
    fresh = [f for f in model.figures if f.key == "freshness"]
    minutes = n / 60 if unit == "seconds" else n
    assert fresh and float(fresh[0].value) == pytest.approx(minutes, abs=0.01), (text, model.figures)
    assert f"{share}% of {what} within {n} {unit}" in fresh[0].qualifier, fresh[0]
    assert not any(f.key == "availability" for f in model.figures), (text, model.figures)


@_PARSE
@given(label=st.sampled_from(["RPO", "RTO"]), n=st.integers(1, 240), unit=st.sampled_from(["minutes", "min", "m"]),
       form=st.sampled_from(["{l} {n} {u}.", "{l}: {n}{u}.", "Our {l} is {n} {u} for region loss.",
                             "{l} of {n} {u}, agreed with finance."]), svc=IDENT)
def test_rpo_and_rto_are_kept(label: str, n: int, unit: str, form: str, svc: str) -> None:
    text = f"The {svc} API runs on ECS.\n\n" + form.format(l=label, n=n, u=unit)
    fig = [f for f in parse(text).figures if f.key == label.lower()]
    assert fig and fig[0].value == str(n) and fig[0].unit == "min", (text, fig)


@_PARSE
@given(often=st.sampled_from(["nightly", "hourly", "daily", "weekly"]), kept=st.integers(2, 60),
       what=st.sampled_from(["snapshots", "backups"]), form=st.sampled_from([
           "{W} {o} to s3://{b}, {k} days retention.", "Backups: {o} {w} to the bucket {b}, {k} days kept.",
           "{W} run {o}; keep last {k}.", "We take {o} {w} of the database, retained for {k} days."]), b=IDENT,
       svc=IDENT)
def test_backup_schedule_and_retention_are_kept(often: str, kept: int, what: str, form: str, b: str,
                                                svc: str) -> None:
    text = f"The {svc} database runs on two VMs.\n\n" + form.format(o=often, w=what, W=what.capitalize(), k=kept, b=b)
    figures = {f.key: f.value for f in parse(text).figures}
    assert often in figures.get("backup_schedule", "").lower(), (text, figures)
    assert str(kept) in figures.get("backup_retention", ""), (text, figures)


# --- on-call coverage, people, vendors -------------------------------------------------------------------------
ZONES = ["CET", "CEST", "UTC", "Europe/Berlin", "America/New_York", "IST", "UTC+2", "GMT-5", "PT", "AEST"]
DAYS = ["Mon-Fri", "Mon–Fri", "Monday to Friday", "weekdays"]


def _clock(h: int) -> str:
    return f"{h:02d}:00"


@_PARSE
@given(start=st.integers(5, 11), end=st.integers(15, 23), zone=st.sampled_from(ZONES), days=st.sampled_from(DAYS),
       form=st.sampled_from(["On call {t} {z} {d}.", "On-call is business hours only ({d} {t} {z}) via Opsgenie.",
                             "Paging: {t} {z}, {d}; best effort out of hours.", "PagerDuty covers {t} {z} {d}."]),
       svc=IDENT)
def test_on_call_hours_are_kept_verbatim_with_their_zone(start: int, end: int, zone: str, days: str, form: str,
                                                         svc: str) -> None:
    hours = f"{_clock(start)}-{_clock(end)}"
    sentence = form.format(t=hours, z=zone, d=days)
    text = f"The {svc} API runs on EKS.\n\n" + sentence
    model = parse(text)
    said = [p.value for p in model.people if p.role == "hours"]
    assert any(f"{hours} {zone}" in h for h in said), (text, said)
    assert any(days in h for h in said) or days == "weekdays" and "weekdays" in " ".join(said), (text, said)
    assert zone in [p.value for p in model.people if p.role == "timezone"], (text, model.people)


SPLITS = ["24/7 for {a}, business hours for the rest", "24/7 for {a}, business hours otherwise",
          "business hours for {a} problems, 24/7 only if ingestion stops for more than {n} min",
          "follow-the-sun EU/US hand-off at {h} {z}"]


@_PARSE
@given(split=st.sampled_from(SPLITS), a=st.sampled_from(["P1", "sev1", "SEV-1", "critical alerts", "payments"]),
       n=st.integers(5, 90), h=st.integers(6, 20).map(_clock), z=st.sampled_from(["CET", "UTC", "PT"]),
       lead=st.sampled_from(["On-call: ", "Paging: ", "We page ", "Coverage is "]), svc=IDENT)
def test_a_split_by_severity_or_time_is_kept_whole(split: str, a: str, n: int, h: str, z: str, lead: str,
                                                   svc: str) -> None:
    statement = split.format(a=a, n=n, h=h, z=z)
    text = f"The {svc} API runs on EKS.\n\n{lead}{statement}."
    said = [p.value for p in parse(text).people if p.role == "hours"]
    assert statement in said, (text, said)


@_RUNBOOK
@given(split=st.sampled_from(SPLITS[:3]), a=st.sampled_from(["P1", "sev1", "payments"]), n=st.integers(5, 90),
       oncall=st.sampled_from(["24x7", "business-hours"]), svc=IDENT)
def test_the_on_call_line_says_the_split_as_given(rule: Rule, split: str, a: str, n: int, oncall: str,
                                                  svc: str) -> None:
    statement = split.format(a=a, n=n)
    text = f"The {svc} API runs on EKS. On-call: {statement}, PagerDuty service \"{svc}-pd\"."
    markdown = _runbook(rule, text, typ="api", oncall=oncall)
    line = next(x for x in markdown.splitlines() if x.startswith("**On-Call:**"))
    assert statement[1:] in line and "09:00–17:00" not in line, line
    assert f"{svc}-pd" in line, line


@_PARSE
@given(p=PERSON, q=PERSON, lead=PERSON, form=st.sampled_from([
    "Primary this quarter is {p}, secondary {q}, escalate to our EM {l}.",
    "Two devs: {p} (primary), {q}. Escalation: {l}.",
    "PagerDuty rotation ops-primary; primary on-call: {p}; backup {q}; lead {l}.",
    "Primary is {p}. The secondary is {q}. Escalate to {l} after 30 minutes."]), svc=IDENT)
def test_primary_secondary_and_escalation_are_kept(p: str, q: str, lead: str, form: str, svc: str) -> None:
    assume(len({p, q, lead}) == 3)
    text = f"The {svc} API runs on EKS and pages through PagerDuty.\n\n" + form.format(p=p, q=q, l=lead)
    people = [(x.role, x.value, x.qualifier) for x in parse(text).people]
    assert ("escalation", p, "primary on-call") in people, (text, people)
    assert any(r == "secondary" and v == q for r, v, _ in people), (text, people)
    assert any(r == "escalation" and lead in v for r, v, _ in people), (text, people)


@_PARSE
@given(tool=st.sampled_from(["PagerDuty", "Opsgenie"]), what=st.sampled_from(["", " service", " schedule"]),
       name=IDENT, quote=st.sampled_from(["\"", "", "`"]), svc=IDENT)
def test_the_pagers_own_service_name_is_the_rotation(tool: str, what: str, name: str, quote: str, svc: str) -> None:
    text = f"The {svc} API runs on EKS.\n\nOn-call: the Core team, {tool}{what} {quote}{name}{quote}, 24/7."
    model = parse(text)
    assert name in [x.value for x in model.people if x.role == "rotation"], (text, model.people)
    assert name not in [u.text for u in model.unbound], model.unbound


VENDOR_FORMS = [
    "{v} Enterprise Support for anything {t}-side.", "{v} support via console ticket, 1h SLA.",
    "{v} support contract #{n} for {t}.", "Partner escalation: {v} integration desk ops@{d}, account manager {p}.",
    "Escalate to our TAM through {v} Premium Support."]


@_PARSE
@given(vendor=st.sampled_from(["Aiven", "Elastic", "Confluent", "AWS", "Percona", "HashiCorp", "Redpanda"]),
       t=st.sampled_from(["MSK", "Kafka", "PostgreSQL", "search"]), n=st.integers(10000, 99999), p=PERSON,
       form=st.sampled_from(VENDOR_FORMS), svc=IDENT)
def test_vendor_contacts_keep_their_words(vendor: str, t: str, n: int, p: str, form: str, svc: str) -> None:
    sentence = form.format(v=vendor, t=t, n=n, p=p, d=f"{vendor.lower()}.example")
    text = f"The {svc} service runs on EKS.\n\n" + sentence
    vendors = {x.value: x.qualifier for x in parse(text).people if x.role == "vendor"}
    assert vendor in vendors, (text, vendors)
    detail = vendors[vendor]
    for piece in re.findall(r"#\d+|1h SLA|\w+-side|ops@[\w.]+|Premium Support|integration desk", sentence):
        assert piece in detail, (text, detail)


@_RUNBOOK
@given(vendor=st.sampled_from(["Aiven", "Elastic", "Confluent", "Percona"]), n=st.integers(10000, 99999),
       svc=IDENT)
def test_a_vendor_contact_reaches_the_vendor_table(rule: Rule, vendor: str, n: int, svc: str) -> None:
    text = f"The {svc} API runs on EKS and uses PostgreSQL. {vendor} support contract #{n} for the database."
    markdown = _runbook(rule, text, typ="api")
    table = markdown.split("### External Vendors", 1)[1].split("\n\n")[1]
    row = next((x for x in table.splitlines() if x.startswith(f"| {vendor} ")), "")
    assert f"#{n}" in row, table


# --- alerts the team has ----------------------------------------------------------------------------------
def _camel(parts: list[str]) -> str:
    return "".join(x.capitalize() for x in parts)


@_PARSE
@given(a=st.lists(_letters, min_size=2, max_size=3).map(_camel), b=IDENT, v=st.integers(1, 95), d=st.integers(2, 30),
       heading=st.sampled_from(["Existing monitors:", "CloudWatch alarms today:", "Alerts we have:",
                                "Our current alerts:"]), sep=st.sampled_from([" — ", ": ", " - "]),
       bullet=st.sampled_from(["", "- "]), svc=IDENT)
def test_a_list_of_existing_alerts_is_read_line_by_line(a: str, b: str, v: int, d: int, heading: str, sep: str,
                                                        bullet: str, svc: str) -> None:
    text = (f"The {svc} API runs on ECS.\n\n{heading}\n{bullet}{a}-High{sep}5xx > {v}% for {d} min\n"
            f"{bullet}{b}-sealed{sep}any node reports sealed\n\nOwned by the Core team.")
    alerts = {x.name: x for x in parse(text).alerts}
    assert f"{a}-High" in alerts and alerts[f"{a}-High"].expr == f"5xx > {v} %" and alerts[f"{a}-High"].duration \
        == f"{d}m", (text, alerts)
    assert f"{b}-sealed" in alerts and alerts[f"{b}-sealed"].summary == "any node reports sealed", (text, alerts)


@_RUNBOOK
@given(a=st.lists(_letters, min_size=2, max_size=3).map(_camel), b=IDENT, v=st.integers(2, 20), d=st.integers(2, 30),
       p=st.integers(2, 9).map(lambda k: k * 100), svc=IDENT)
def test_given_alerts_render_under_their_names_with_their_thresholds(rule: Rule, a: str, b: str, v: int, d: int,
                                                                     p: int, svc: str) -> None:
    text = (f"The {svc} API runs on EKS.\n\nAlerts we have:\n- {a}-5xx-High: 5xx > {v}% for {d} min\n"
            f"- {a}-Latency-p99: p99 > {p} ms for 10 min\n- {b}-sealed: any node reports sealed\n\n"
            "Owned by the Core team.")
    markdown = _runbook(rule, text, typ="api")
    rows = _alert_rows(markdown)
    assert f"> {v}%" in rows[f"{a}-5xx-High"] and f"for {d} min" in rows[f"{a}-5xx-High"], rows
    assert f"p99 > {p} ms" in rows[f"{a}-Latency-p99"] and "for 10 min" in rows[f"{a}-Latency-p99"], rows
    assert "any node reports sealed" in rows[f"{b}-sealed"], rows
    assert "Repository rule ()" not in markdown and "as in the repository ()" not in markdown
    # the 5xx alert is the stack's query with the team's number, not the description's words
    query = markdown.split(f"**{a}-5xx-High** fires on", 1)[1].split("```", 2)[1]
    assert re.search(rf"> ?{v / 100:g}\b|> ?{v}\b", query), query


def test_coverage_pieces_are_not_read_from_job_times() -> None:
    assert oncall_text.coverage("The nightly re-send job runs at 02:00 UTC.") == []
    assert oncall_text.coverage("A maintenance window 02:00-04:00 on Sundays.") == []
