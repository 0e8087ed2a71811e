"""Unnamed alert lists ("monitors: 5xx > 2%, puma backlog > 20 for 5m") read into the team's alerts: each
item keeps its own words as its name and its number, unit, comparison and duration apart."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from agent.knowledge import given_alerts
from agent.knowledge.signals import Signal, Threshold
from agent.service.alert_lists import listed_alerts
from agent.service.model import AlertRule
from agent.service.text import parse

_WORDS = st.sampled_from(["ingest", "checkout", "ledger", "billing", "orders", "payments", "search", "media"])
_METRICS = st.sampled_from(["queue depth", "consumer lag", "error ratio", "heap used", "backlog", "p99 latency"])
_OPS = st.sampled_from([(">", ">"), ("<", "<"), ("above", ">"), ("over", ">"), ("below", "<"),
                        ("more than", ">"), ("less than", "<"), (">=", ">=")])
_UNITS = st.sampled_from([("%", "%"), ("ms", "ms"), ("s", "s"), ("GB", "GB"), ("", ""), (" min", "min")])
_HELD = st.sampled_from([("", ""), (" for 10 min", "10m"), (" for 5m", "5m"), (" over 15 minutes", "15m"),
                         (" for 2h", "2h")])
_LEADS = st.sampled_from(["Alerts:", "Datadog monitors:", "CloudWatch alarms:", "Zabbix triggers:",
                          "We page on", "Alerts on", "Our alerts today:"])


@st.composite
def _item(draw: st.DrawFn) -> tuple[str, str, str, str, str, str]:
    metric = f"{draw(_WORDS)} {draw(_METRICS)}"
    op_said, op = draw(_OPS)
    value = str(draw(st.integers(min_value=1, max_value=99999)))
    unit_said, unit = draw(_UNITS)
    held_said, held = draw(_HELD)
    return f"{metric} {op_said} {value}{unit_said}{held_said}", metric, op, value, unit, held


@settings(max_examples=60, deadline=None)
@given(_LEADS, st.lists(_item(), min_size=1, max_size=4, unique_by=lambda i: i[1]),
       st.sampled_from([", ", "; ", " | "]))
def test_every_item_of_a_list_is_an_alert_with_its_figures(lead: str, items: list[tuple[str, ...]], sep: str) -> None:
    text = f"The service runs on two hosts. {lead} {sep.join(i[0] for i in items)}. Owner is the core team."
    read = listed_alerts(text)
    assert [a.name for a in read] == [i[0] for i in items]
    for alert, (_, metric, op, value, unit, held) in zip(read, items, strict=True):
        assert (alert.metric, alert.op, alert.value, alert.unit, alert.duration) == (metric, op, value, unit, held)


@settings(max_examples=30, deadline=None)
@given(st.integers(min_value=1, max_value=999), st.sampled_from(["k", ",000"]))
def test_thousands_are_one_number(value: int, suffix: str) -> None:
    read = listed_alerts(f"Alerts: connections on one node > {value}{suffix}, disk > 80%.")
    assert read[0].value == str(value * 1000) and read[1].value == "80"


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(["alerts go to #ops", "we alert in Slack", "monitors are in Grafana"]))
def test_a_sentence_about_alerts_without_a_figure_reads_as_none(said: str) -> None:
    assert listed_alerts(f"The API is small. {said}, and nobody else.") == []


def test_words_only_items_are_kept_beside_figures() -> None:
    read = listed_alerts("alerts: ready msgs > 5000 for 10m | memory alarm | no primary for > 30s")
    assert [(a.name, a.op, a.duration) for a in read] == [
        ("ready msgs > 5000 for 10m", ">", "10m"), ("memory alarm", "", ""), ("no primary for > 30s", "", "30s")]


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=2, max_value=40), st.integers(min_value=2, max_value=30))
def test_the_model_carries_the_listed_alerts(pct: int, minutes: int) -> None:
    model = parse(f"billing-api is a Go service on Kubernetes. Monitors: 5xx > {pct}% for {minutes} min, "
                  "puma backlog > 20.")
    rules = {r.name: r for r in model.alerts}
    error = rules[f"5xx > {pct}% for {minutes} min"]
    assert error.expr == f"5xx > {pct} %" and error.duration == f"{minutes}m"
    assert rules["puma backlog > 20"].expr == "puma backlog > 20"


def _signal(key: str, name: str, measure: str, unit: str, value: float) -> Signal:
    return Signal(key=key, name=name, measure=measure, threshold=Threshold(value, unit), minutes=5,
                  severity="Warning", response="")


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(["RDS", "Postgres", "Sidekiq", "Redis", "MySQL"]), st.integers(min_value=50, max_value=99))
def test_an_alert_about_a_component_does_not_take_the_services_signal(subject: str, pct: int) -> None:
    rule = AlertRule(name=f"{subject} CPU > {pct}%", expr=f"{subject} CPU > {pct} %", duration="", severity="",
                     labels=[], summary="", runbook_url="", source_format="description", origin="given",
                     evidence="", at="")
    cpu = _signal("cpu", "High CPU", "CPU", "%", 80)
    (out,), renamed, left = given_alerts.apply([rule], [[cpu]])
    assert renamed == {} and left == [rule] and out[0].name == "High CPU"


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=1, max_value=20), st.integers(min_value=1, max_value=60))
def test_a_given_error_threshold_replaces_the_default(pct: int, minutes: int) -> None:
    rule = AlertRule(name=f"5xx > {pct}%", expr=f"5xx > {pct} %", duration=f"{minutes}m", severity="", labels=[],
                     summary="", runbook_url="", source_format="description", origin="given", evidence="", at="")
    errors = _signal("error_rate", "High Error Rate", "5xx errors", "%", 2.5)
    (out,), renamed, left = given_alerts.apply([rule], [[errors]])
    assert left == [] and out[0].name == rule.name
    assert (out[0].threshold.value, out[0].threshold.origin, out[0].minutes) == (pct, "given", minutes)


@given(metric=st.sampled_from(["store capacity used", "disk usage", "heap used"]),
       low=st.integers(50, 75), high=st.integers(80, 95),
       words=st.sampled_from([("warn", "page"), ("warning", "page"), ("ticket", "page")]))
def test_a_second_threshold_of_one_metric_keeps_the_metric_and_its_severity(
        metric: str, low: int, high: int, words: tuple[str, str]) -> None:
    from agent.service.alert_lists import listed_alerts

    text = f"Monitors: live nodes < 9 (page); {metric} > {low}% {words[0]}, > {high}% {words[1]}; SQL p99 > 250 ms."
    found = {a.name: a.severity for a in listed_alerts(text)}
    assert found.get(f"{metric} > {low}%") in (words[0], "warning"), found
    assert found.get(f"{metric} > {high}%") == "page", found


@given(alert=st.sampled_from(["ExecutionsFailed > 5 in 5 min", "claims-api Errors > 2%", "JobsFailed > 3 in 10m"]))
def test_an_object_store_entry_answers_only_an_alert_that_names_it(alert: str) -> None:
    from agent.knowledge.repository_alerts import answering
    from agent.runbook import Issue
    from agent.service.model import AlertRule

    rule = AlertRule(origin="given", evidence=alert, at="", name=alert, expr=alert, duration="", severity="",
                     labels=[], summary="", runbook_url="", source_format="description")
    s3 = Issue.model_construct(title="S3: SlowDown or 5xx errors")  # only its title is read
    assert answering(rule, [s3]) is None


_WORDS = st.text(alphabet="bcdfghjklmnpqrstvwz", min_size=4, max_size=8).map(lambda w: w + "er")


@settings(max_examples=40, deadline=None)
@given(thing=_WORDS, name=_WORDS, verb=st.sampled_from(["climbs", "grows", "spikes", "backs up"]),
       measure=st.sampled_from(["latency p95", "p99 latency", "error rate", "lag"]))
def test_the_teams_failure_named_by_the_alert_answers_it_before_a_generic_entry(thing: str, name: str, verb: str,
                                                                                 measure: str) -> None:
    """'schedule-to-start latency p95 on payout-tq > 2s' leads to the team's 'Schedule-to-start climbs on
    payout-tq', not to a generic entry that shares only the measure ('slow queries')."""
    from agent.knowledge.failures import KNOWN
    from agent.knowledge.repository_alerts import answering
    from agent.runbook import Issue

    alert = f"{thing}-to-start {measure} on {name}-q > 2s for 10 min"
    rule = AlertRule(origin="given", evidence=alert, at="", name=alert, expr=alert, duration="", severity="",
                     labels=[], summary="", runbook_url="", source_format="description")
    generic = [Issue.model_construct(title=t) for t in (
        "PostgreSQL: blocking locks and slow queries", "High latency", "High error rate", "Consumer lag growing")]
    team = Issue.model_construct(title=f"{KNOWN}Temporal: {thing.capitalize()}-to-start {verb} on {name}-q")
    for order in ([team, *generic], [*generic, team]):
        assert answering(rule, order) is team


@given(where=st.sampled_from(["Grafana on Google Managed Prometheus", "Datadog", "in Zabbix", "CloudWatch, eu-west-1"]))
def test_a_lead_with_where_the_alerts_live_in_parentheses_opens_the_list(where: str) -> None:
    """'alerts (Grafana on Managed Prometheus): a > 2s for 10 min; b > 1%': the aside does not hide the list."""
    found = listed_alerts(f"alerts ({where}): queue latency p95 > 2s for 10 min; frontend error rate > 1%; "
                          "Cloud SQL CPU > 80%.")
    assert [(a.metric, a.op, a.value, a.unit) for a in found] == [
        ("queue latency p95", ">", "2", "s"), ("frontend error rate", ">", "1", "%"), ("Cloud SQL CPU", ">", "80", "%")]
    assert found[0].duration == "10m"


@settings(max_examples=30, deadline=None)
@given(thing=st.from_regex(r"\A[A-Z][a-z]{3,8}\Z", fullmatch=True),
       state=st.sampled_from(["have no master", "has no leader", "node down", "certificate expired",
                              "replication stopped"]),
       lead=st.sampled_from(["Alerts:", "Alerts that page:", "Alerting rules:"]))
def test_a_state_item_in_a_list_of_alerts_is_an_alert(thing: str, state: str, lead: str) -> None:
    from agent.service.text import parse

    text = (f"store is a database on db-01.\n{lead}\n - cluster_size < 3 for 2 min\n - {thing} {state}\n"
            f" - Grafana dashboard {thing} Overview\n")
    names = [a.name for a in parse(text).alerts]
    assert f"{thing} {state}" in names and not any("dashboard" in n.lower() for n in names), names
