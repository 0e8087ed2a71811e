"""The team's alerts as descriptions list them (bullets under "Alerts that page:", "Triggers:", "Alertmanager
-> PagerDuty service x.", a Markdown table, an inline sentence), random names, metrics, thresholds, units and
durations: each item keeps its given name, threshold, duration and severity into the model and the runbook's
alert table; a stated latency objective is never replaced by a latency seen in passing or an alert's; and a
described alert leads to the entry about what it measures."""

from __future__ import annotations

import re
import string
from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.answers import from_mapping
from agent.knowledge import given_alerts, repository_alerts
from agent.knowledge.signals import Signal, Threshold
from agent.models.base import GenerationRequest
from agent.models.offline import OfflineModel
from agent.render import render_markdown
from agent.rule import Rule, default_rule_path, load_rule
from agent.runbook import Command, Issue, Step
from agent.service.alert_lists import block_alerts
from agent.service.model import AlertRule
from agent.service.text import parse

_PARSE = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
_RUNBOOK = settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                            HealthCheck.function_scoped_fixture])
NOW = datetime(2026, 12, 2, 4, 0)

_letters = st.text(alphabet=string.ascii_lowercase, min_size=3, max_size=8)
_camel = st.lists(_letters, min_size=2, max_size=3).map(lambda parts: "".join(p.capitalize() for p in parts))
# what is measured, in words or as a metric name (none of them a number or an operator)
_METRIC = st.one_of(
    st.builds(lambda a, b: f"{a} {b}", _letters, st.sampled_from(["queue depth", "consumer lag", "error ratio",
                                                                   "heap used", "p99 latency", "connections"])),
    st.builds(lambda a, b: f"{a}_{b}", _letters, _letters),
    _camel)
_OPS = st.sampled_from([(">", ">"), ("<", "<"), (">=", ">="), ("above", ">"), ("below", "<"), ("more than", ">")])
# (as written, value in the model, unit in the model)
_FIGURE = st.one_of(
    st.integers(1, 99).map(lambda n: (f"{n}%", str(n), "%")),
    st.integers(2, 5000).map(lambda n: (f"{n}ms", str(n), "ms")),
    st.integers(2, 900).map(lambda n: (f"{n} s", str(n), "s")),
    st.integers(1, 90).map(lambda n: (f"{n} GB", str(n), "GB")),
    st.integers(1, 99999).map(lambda n: (str(n), str(n), "")),
    st.integers(1, 999).map(lambda n: (f"{n}k", str(n * 1000), "")),
)
_BURN = st.sampled_from(["2", "6", "14.4", "36"])
# (as written, the duration in the model)
_HELD = st.one_of(
    st.just(("", "")),
    st.integers(1, 59).map(lambda n: (f" for {n}m", f"{n}m")),
    st.integers(1, 59).map(lambda n: (f" for {n} min", f"{n}m")),
    st.integers(1, 12).map(lambda n: (f" over {n}h", f"{n}h")),
    st.integers(1, 59).map(lambda n: (f" sustained {n} min", f"{n}m")),
    st.integers(1, 59).map(lambda n: (f" sustained for {n} minutes", f"{n}m")),
    st.integers(10, 300).map(lambda n: (f" for {n}s", f"{n}s")),
)
# (as written after the condition, the severity read)
_MARK = st.sampled_from([("", ""), (" -> P1", "p1"), (" -> P2 page", "p2"), (" (page)", "page"),
                         (" (ticket)", "ticket"), (": High", "high"), (": Average", "average"),
                         (" (critical)", "critical"), (" (warning)", "warning")])
_LEADS = st.sampled_from(["Alerts that page:", "Zabbix 6.4 triggers:", "Alertmanager -> PagerDuty service {svc}.",
                          'Alert policy "{svc} - prod":', "CloudWatch alarms (SNS -> PagerDuty service {svc}):",
                          "Monitoring (Datadog): APM service {svc}, env:prod", "Existing monitors:",
                          "Google Cloud Monitoring alert policies -> PagerDuty service {svc}"])
_BULLETS = st.sampled_from(["- ", " - ", "* ", "  - "])


@st.composite
def _alert(draw: st.DrawFn) -> dict[str, str]:
    """One item as a team writes it, and what it must read as."""
    mark, severity = draw(_MARK)
    held, duration = draw(_HELD)
    if draw(st.booleans()) and not held:  # a burn-rate alert: "FastBurn 14.4x over 1h"
        held, duration = draw(st.integers(1, 12).map(lambda n: (f" over {n}h", f"{n}h")))
        burn = draw(_BURN)
        name = draw(_camel) + "Burn"
        condition = f"error budget burn {burn}x{held}"
        return {"item": f"{name}: {condition}{mark}", "name": name, "value": burn, "unit": "x",
                "duration": duration, "severity": severity, "op": ">"}
    metric = draw(_METRIC)
    said_op, op = draw(_OPS)
    written, value, unit = draw(_FIGURE)
    condition = f"{metric} {said_op} {written}{held}"
    if draw(st.booleans()):  # named: "QueueBacklog: ready messages > 50k for 20m"
        name = draw(_camel)
        return {"item": f"{name}: {condition}{mark}", "name": name, "value": value, "unit": unit,
                "duration": duration, "severity": severity, "op": op}
    return {"item": f"{condition}{mark}", "name": condition, "value": value, "unit": unit, "duration": duration,
            "severity": severity, "op": op}


def _unique(alerts: list[dict[str, str]]) -> bool:
    names = [a["name"] for a in alerts]
    return len(set(names)) == len(names) and not any(a in b for a in names for b in names if a != b)


@_PARSE
@given(lead=_LEADS, bullet=_BULLETS, alerts=st.lists(_alert(), min_size=1, max_size=5).filter(_unique),
       svc=_letters, nested=st.booleans())
def test_every_item_of_a_block_list_keeps_its_name_threshold_duration_and_severity(
        lead: str, bullet: str, alerts: list[dict[str, str]], svc: str, nested: bool) -> None:
    head = lead.format(svc=svc)
    if nested:  # the lead is itself a bullet of a longer list, the alerts below it
        text = (f"handing over {svc}-api:\n- Go service on GKE, namespace {svc}.\n- {head}\n"
                + "".join(f"    - {a['item']}\n" for a in alerts) + f"- team {svc}-platform, #{svc}-oncall\n")
    else:
        text = f"The {svc} API runs on two hosts.\n\n{head}\n" + "".join(f"{bullet}{a['item']}\n" for a in alerts) \
            + "\nOwned by the core team."
    read = {a.name: a for a in block_alerts(text)}
    for want in alerts:
        got = read.get(want["name"])
        assert got is not None, (text, list(read))
        assert (got.op, got.value, got.unit, got.duration) == (want["op"], want["value"], want["unit"],
                                                               want["duration"]), (text, got)
        paging = "page" in head.lower() and "pagerduty" not in head.lower() or "-> pagerduty" in head.lower()
        assert got.severity == (want["severity"] or ("page" if paging else "")), (text, got)
    model = {r.name: r for r in parse(text).alerts}
    for want in alerts:
        rule = model.get(want["name"])
        assert rule is not None and rule.duration == want["duration"], (text, list(model))
        assert re.search(rf"{re.escape(want['op'])} {re.escape(want['value'])}\b", rule.expr), rule


@_PARSE
@given(alerts=st.lists(_alert(), min_size=1, max_size=4).filter(_unique), svc=_letters,
       header=st.sampled_from([("Alert", "Condition", "Severity"), ("Name", "Threshold", "Priority"),
                               ("Monitor", "When", "Routing")]))
def test_a_table_of_alerts_is_read_row_by_row(alerts: list[dict[str, str]], svc: str,
                                              header: tuple[str, str, str]) -> None:
    rows = []
    for a in alerts:
        condition = a["item"].split(": ", 1)[1] if a["name"] != a["item"] and ": " in a["item"] else a["item"]
        condition = re.sub(r"\s*(?:->.*|\(\w+\)|: \w+)$", "", condition)
        name = a["name"] if a["name"] != condition else ""
        rows.append(f"| {name} | {condition} | {a['severity'] or 'warning'} |")
    text = (f"{svc} runs on ECS.\n\nOur alerts:\n\n| {' | '.join(header)} |\n|---|---|---|\n" + "\n".join(rows)
            + "\n\nOwned by the core team.")
    read = block_alerts(text)
    assert len(read) == len(alerts), (text, read)
    for got, want in zip(read, alerts, strict=True):
        assert (got.op, got.value, got.unit, got.duration) == (want["op"], want["value"], want["unit"],
                                                               want["duration"]), (text, got)
        assert got.severity == (want["severity"] or "warning"), (text, got)


@_PARSE
@given(svc=_letters, metric=_METRIC, pct=st.integers(2, 60), minutes=st.integers(2, 59))
def test_a_second_threshold_on_the_same_metric_is_an_alert_of_its_own(svc: str, metric: str, pct: int,
                                                                      minutes: int) -> None:
    text = (f"{svc} runs on bare metal.\nAlertmanager -> PagerDuty service {svc}.\n"
            f"  - {metric} > {pct + 20}% for {minutes}m (page), > {pct}% (ticket)\n")
    read = block_alerts(text)
    assert [(a.value, a.duration, a.severity) for a in read] == [(str(pct + 20), f"{minutes}m", "page"),
                                                                  (str(pct), "", "ticket")], read
    assert all(a.metric == metric for a in read), read


@_PARSE
@given(svc=_letters, items=st.sampled_from(["Dashboard: Grafana board {svc}", "SLO: 99.9% of requests under 300ms",
                                            "Grafana dashboard {svc}-overview", "logs in Loki, label app={svc}"]))
def test_a_monitoring_list_without_a_comparison_has_no_alerts(svc: str, items: str) -> None:
    text = f"Monitoring: Prometheus + Grafana\n- {items.format(svc=svc)}\n- traces in Tempo\n"
    assert block_alerts(text) == []


@_PARSE
@given(slo=st.integers(100, 900), seen=st.integers(901, 3000), alert=st.integers(100, 3000),
       q=st.sampled_from(["95", "99"]), svc=_letters)
def test_the_stated_latency_objective_is_the_latency_figure(slo: int, seen: int, alert: int, q: str,
                                                            svc: str) -> None:
    text = (f"- {svc} is a Go API on GKE. When the cache is down p{q} goes to ~{seen} ms.\n"
            f"- Alerts that page:\n  - p{q} latency > {alert}ms for 15m\n"
            f"- SLO: 99.9% of requests succeed over 28 days, p{q} < {slo}ms.\n")
    figures = {(f.key, f.qualifier): f.value for f in parse(text).figures}
    assert figures[("latency", f"p{q}")] == str(slo), figures


@pytest.fixture(scope="module")
def rule() -> Rule:
    return load_rule(default_rule_path())


def _rows(markdown: str) -> dict[str, tuple[str, str, str]]:
    table = markdown.split("### Key Alerts", 1)[1].split("\n\n", 2)[1]
    out = {}
    for line in table.splitlines()[2:]:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 4:
            out[cells[0]] = (cells[1], cells[2], cells[3])
    return out


@_RUNBOOK
@given(svc=_letters, name=_camel, pct=st.integers(2, 20), minutes=st.integers(2, 40), ms=st.integers(2, 19),
       burn=_BURN, hours=st.integers(1, 6))
def test_given_alerts_reach_the_alert_table_as_given(rule: Rule, svc: str, name: str, pct: int, minutes: int,
                                                     ms: int, burn: str, hours: int) -> None:
    text = (f"- {svc}-api is a Go service on Kubernetes, namespace {svc}, Deployment {svc}-api.\n"
            f"- Prometheus via Alloy. Alerts that page:\n"
            f"  - {name}Burn: error budget burn {burn}x over {hours}h\n"
            f"  - 5xx responses > {pct}% of requests for {minutes}m\n"
            f"  - p99 request latency > {ms * 50}ms for {minutes + 1}m\n"
            f"- SLO: 99.9% of requests succeed over 28 days, p99 < {ms * 25}ms.\n")
    answers = from_mapping(rule, {"type": "api", "env": "kubernetes", "criticality": "high", "monitoring": "prometheus",
                                  "oncall": "24x7"}, "test")
    result = OfflineModel().generate(GenerationRequest(rule=rule, description=text, answers=answers, now=NOW))
    markdown = render_markdown(result.runbook)
    rows = _rows(markdown)
    burn_row = rows[f"{name}Burn"]  # no signal measures a burn rate here: the team's words, marked as its alert
    assert f"Query: the team's existing alert {name}Burn" in markdown
    assert f"{burn}x over {hours}h" in burn_row[0] and burn_row[1] == "Critical", rows
    errors = rows[f"5xx responses > {pct}% of requests for {minutes}m"]
    assert f"> {pct}%" in errors[0] and f"for {minutes} min" in errors[0] and errors[1] == "Critical", rows
    latency = rows[f"p99 request latency > {ms * 50}ms for {minutes + 1}m"]
    assert f"p99 > {ms * 50} ms" in latency[0] and f"for {minutes + 1} min" in latency[0], rows
    assert latency[1] == "Critical", rows  # it pages: the team's severity, not the latency signal's Warning
    assert not any(r.startswith(("High Error Rate", "High Latency")) for r in rows), rows  # no default beside them
    assert f"p99 < {ms * 25}" in markdown or f"{ms * 25} ms" in markdown  # the objective as given
    metrics = markdown.split("### Key Metrics", 1)[1].split("\n\n", 1)[0]  # the same figures as the alerts
    assert re.search(rf"\| Error rate[^|]*\|[^|]*\| > {pct}% for {minutes} min \|", metrics), metrics
    assert re.search(rf"\| Latency p99 \|[^|]*\| > {ms * 50} ms for {minutes + 1} min \|", metrics), metrics
    for row in (burn_row, errors, latency):  # each leads to an entry
        assert "](#issue-" in row[2], rows


def _issue(title: str) -> Issue:
    check = Command(purpose="look", language="bash", code="true", expect="ok", warning=None)
    return Issue(title=title, symptoms="s", alert=None, check=[check], fix=[Step(action="fix it", command=None)],
                 verify="v", escalate="e")


def _described(name: str, expr: str) -> AlertRule:
    return AlertRule(name=name, expr=expr, duration="", severity="", labels=[], summary=name, runbook_url="",
                     source_format="description", origin="given", evidence="", at="")


@settings(max_examples=40, deadline=None)
@given(name=_camel.filter(lambda n: not given_alerts.concepts(n)),  # a name that says nothing of its own
       tech=st.sampled_from(["OpenSearch", "Kafka", "MySQL", "RabbitMQ"]), gb=st.integers(5, 90))
def test_a_described_alert_leads_to_the_entry_about_what_it_measures(name: str, tech: str, gb: int) -> None:
    own = {tech.lower()}
    entries = [_issue(f"{tech}: disk watermarks and read-only indices"), _issue("Redis: memory full and evictions"),
               _issue(f"{tech}: replication stopped or lagging"), _issue("High error rate (5xx)")]
    disk = _described(f"FreeStorageSpace{name}", f"FreeStorageSpace < {gb} GB")
    assert repository_alerts.answering(disk, entries, own) is entries[0]
    lag = _described(f"{name} replication lag", f"replication lag > {gb} s")
    assert repository_alerts.answering(lag, entries, own) is entries[2]
    heap = _described(f"{name}Heap", f"JVM heap used > {gb} %")  # memory, but not Redis's
    assert repository_alerts.answering(heap, entries, own) is None


def _signal(key: str, name: str, measure: str, unit: str, value: float, op: str = ">") -> Signal:
    return Signal(key=key, name=name, measure=measure, threshold=Threshold(value, unit, op),
                  minutes=5, severity="Warning", response="")


@settings(max_examples=40, deadline=None)
@given(mount=st.lists(_letters, min_size=1, max_size=3).map(lambda parts: "/" + "/".join(parts)),
       pct=st.integers(2, 40), name=_letters.filter(lambda n: n not in given_alerts._SUBJECTS), queue=_letters)
def test_a_given_alert_finds_the_signal_that_measures_it(mount: str, pct: int, name: str, queue: str) -> None:
    disk = _signal("disk", "Low Disk Space", "disk used", "%", 85)
    errors = _signal("error_rate", "High Error Rate", "5xx errors", "%", 2.5)
    dlq = _signal("sqs.dlq_visible", "SQS dead-letter queue not empty", "DLQ visible messages", "", 0)
    rules = [_described(f"free space on {mount} < {pct}%", f"free space on {mount} < {pct} %"),
             _described(f"{name.upper()} HTTPCode_Target_5XX > {pct}%",
                        f"{name.upper()} HTTPCode_Target_5XX > {pct} %"),
             _described(f"{queue}-dlq ApproximateNumberOfMessagesVisible > 0",
                        f"{queue}-dlq ApproximateNumberOfMessagesVisible > 0")]
    (out,), renamed, left = given_alerts.apply(rules, [[disk, errors, dlq]])
    assert left == [] and set(renamed.values()) == {r.name for r in rules}, (renamed, left)
    by_key = {s.key: s for s in out}
    assert (by_key["disk"].threshold.op, by_key["disk"].threshold.value) == (">", 100 - pct)  # used, not free
    assert by_key["error_rate"].threshold.value == pct and by_key["sqs.dlq_visible"].threshold.value == 0
    assert all(s.minutes == 0 for s in out)  # no duration given: none invented


@_PARSE
@given(tool=st.sampled_from(["Uptime Kuma", "Pingdom", "StatusCake", "Blackbox"]), host=_letters, path=_letters,
       every=st.integers(10, 300), n=st.integers(2, 9), how=st.sampled_from(["alerts #ops", "pages us", "notifies me"]),
       row=st.sampled_from(["", " in a row"]))
def test_an_uptime_check_in_a_sentence_is_an_alert(tool: str, host: str, path: str, every: int, n: int, how: str,
                                                   row: str) -> None:
    text = (f"monitoring: {tool} hits https://{host}.example.com/{path} every {every}s and {how} after {n} "
            f"failures{row}. Nothing else.")
    read = {a.name: a for a in parse(text).alerts}
    name = f"{tool}: https://{host}.example.com/{path}"
    assert name in read, (text, list(read))
    held = every * n
    assert read[name].duration == (f"{held / 60:g}m" if held >= 60 else f"{held}s"), read[name]
    assert f"after {n} failures" in read[name].summary, read[name]


@_PARSE
@given(tool=st.sampled_from(["healthchecks.io", "Cronitor", "cronhub.io", "BetterUptime"]), job=_letters,
       when=st.sampled_from(["nightly", "hourly", "daily", "weekly"]), verb=st.sampled_from(["watches", "monitors"]),
       days=st.integers(2, 90))
def test_a_heartbeat_on_a_scheduled_job_is_an_alert(tool: str, job: str, when: str, verb: str, days: int) -> None:
    text = (f"{job}-svc runs on one host. {tool} {verb} the {when} {job}-dump (cron 03:30, pushed to B2, "
            f"{days} days kept). No metrics beyond that.")
    model = parse(text)
    read = {a.name: a for a in model.alerts}
    assert f"{tool}: {when} {job}-dump" in read, (text, list(read))
    assert "does not report" in read[f"{tool}: {when} {job}-dump"].summary
    # the sentence's other figures are still read: an alert in words hides no objective
    assert {(f.key, f.value) for f in model.figures} >= {("backup_retention", f"{days} days")}, model.figures


@_PARSE
@given(who=st.sampled_from(["The team", "Our SRE", "Marta"]), verb=st.sampled_from(["watches", "monitors"]),
       thing=st.sampled_from(["the dashboards", "the queue closely", "nightly traffic"]))
def test_a_person_watching_is_no_heartbeat(who: str, verb: str, thing: str) -> None:
    assert parse(f"api runs on one host. {who} {verb} {thing} during sales.").alerts == []
