"""Offline revision (agent/revise.py) on runbooks the real offline engine writes."""

from __future__ import annotations

from datetime import datetime

import pytest

from agent.answers import from_flags
from agent.models.base import GenerationRequest
from agent.models.registry import get_model
from agent.render import render_markdown
from agent.revise import CannotReviseOffline, NothingToChange, bump_version, parse_change, revise_offline
from agent.rule import Rule, load_rule
from agent.runbook import Runbook

WHEN = datetime(2026, 11, 29, 9, 30)


@pytest.fixture(scope="module")
def rule() -> Rule:
    return load_rule()


@pytest.fixture(scope="module")
def request_(rule: Rule) -> GenerationRequest:
    answers = from_flags(rule, {"type": "api", "env": "k8s", "criticality": "critical", "monitoring": "prometheus",
                                "oncall": "24x7"})
    description = ("Orders API: a Python REST service on EKS that takes customer orders; PostgreSQL on RDS "
                   "and a Redis cache; paged through PagerDuty.")
    return GenerationRequest(rule, description, answers, datetime(2026, 11, 28, 12, 0))


@pytest.fixture(scope="module")
def model():  # type: ignore[no-untyped-def]
    return get_model("offline")


@pytest.fixture(scope="module")
def runbook(model, request_: GenerationRequest) -> Runbook:  # type: ignore[no-untyped-def]
    return model.generate(request_, None).runbook


@pytest.mark.parametrize(("said", "kind", "summary"), [
    ("escalate after 10 minutes", "escalation", "Escalate after 10 minutes"),
    ("Escalate to the team lead after 1 hour", "escalation", "Escalate to team lead after 1 hour"),
    ("alert when error rate > 2%", "threshold", "Alert when error rate > 2%"),
    ("alert when CPU usage is above 90% for 10 minutes", "threshold", "Alert when cpu usage > 90% for 10 minutes"),
    ("raise the memory alert to 95%", "threshold", "Alert when memory > 95%"),
    ("page us when error rate goes above 3 percent", "threshold", "Alert when error rate > 3%"),
    ("p95 target 300ms", "slo", "Response time p95 target 300ms"),
    ("availability target 99.95%", "slo", "Availability target 99.95%"),
    ("team lead is Jane Doe, jane@example.com", "contact", "Team Lead: Jane Doe, jane@example.com"),
    ("the SRE team is #sre-oncall", "contact", "SRE Team: #sre-oncall"),
    ("we use Redis Sentinel, add it", "describe", "Added to the description: We use Redis Sentinel."),
    ("environment is docker", "answer", "Deployment environment: Docker containers"),
    ("we moved to Lambda", "answer", "Deployment environment: Serverless"),
    ("it's business hours only", "answer", "On-call: Business hours only"),
    ("we also use datadog", "answer", "Monitoring: Prometheus/Grafana, DataDog"),
    ("call it checkout-api", "name", "Service name: checkout-api"),
    ("we use Celery, add it", "describe", "Added to the description: We use Celery."),  # not "type: worker"
    ("we use Lambda", "answer", "Deployment environment: Serverless"),
])
def test_plain_words_map_to_a_change_whose_summary_reads_back(
        said: str, kind: str, summary: str, rule: Rule, request_: GenerationRequest) -> None:
    change = parse_change(said, rule, request_.answers)
    assert (change.kind, change.summary) == (kind, summary)
    again = parse_change(change.summary, rule, request_.answers if kind != "answer" else None)
    assert (again.kind, again.summary, again.number, again.key) == (kind, summary, change.number, change.key)


@pytest.mark.parametrize("said", ["make it friendlier", "add a section about chaos testing", "p99 target 800ms",
                                  "Add the command `kubectl top pods` to the cheatsheet", "   "])
def test_what_the_rules_cannot_express_is_refused_plainly(said: str, rule: Rule) -> None:
    with pytest.raises(CannotReviseOffline, match="^I can't do that offline: "):
        parse_change(said, rule)


def test_an_answer_already_given_is_nothing_to_change(rule: Rule, request_: GenerationRequest) -> None:
    with pytest.raises(NothingToChange, match="already Kubernetes"):
        parse_change("we run on k8s", rule, request_.answers)


@pytest.mark.parametrize(("old", "new"), [("1.0", "1.1"), ("1.9", "1.10"), ("2", "2.1"), ("v1.2", "v1.3")])
def test_bump_version(old: str, new: str) -> None:
    assert bump_version(old) == new


def test_escalation_shifts_both_escalation_lists_and_their_texts(model, runbook: Runbook,  # type: ignore[no-untyped-def]
                                                                   request_: GenerationRequest) -> None:
    before = [s.after_minutes for s in runbook.emergency.service_down.escalation]
    assert before[:2] == [0, 5]
    revised = revise_offline(model, runbook, "escalate after 10 minutes", request_, when=WHEN)
    rb = revised.result.runbook
    steps = rb.emergency.service_down.escalation
    assert [s.after_minutes for s in steps] == [0, 10, *before[2:]]  # only the step asked for moves
    assert "after 10 min" in steps[1].action and "after 5 min" not in steps[1].action
    assert [lv.after_minutes for lv in rb.contacts.escalation][1] == 10
    assert rb.header.version == "1.1" and rb.header.last_updated == "2026-11-29 09:30"
    assert rb.revision_history[-1].changes == "Escalate after 10 minutes"
    assert [r.version for r in rb.revision_history] == ["1.0", "1.1"]
    assert "| 1.1 | 2026-11-29 | Escalate after 10 minutes |" in render_markdown(rb)
    assert runbook.header.version == "1.0"  # the input is not modified


def test_a_targeted_escalation_moves_only_that_level(model, runbook: Runbook,  # type: ignore[no-untyped-def]
                                                     request_: GenerationRequest) -> None:
    steps = [s.after_minutes for s in runbook.emergency.service_down.escalation]
    levels = [lv.after_minutes for lv in runbook.contacts.escalation]
    # three levels (no one is invented past what the description names), then the RTO step
    assert steps == [*levels, 30] and levels == [0, 5, 15]
    rb = revise_offline(model, runbook, "escalate to L3 after 20 minutes", request_).result.runbook
    assert [s.after_minutes for s in rb.emergency.service_down.escalation] == [0, 5, 20, 30]
    assert [lv.after_minutes for lv in rb.contacts.escalation] == [0, 5, 20]
    assert rb.contacts.escalation[1] == runbook.contacts.escalation[1]  # L2 untouched, its text too
    with pytest.raises(CannotReviseOffline, match="would come after L3 .after 15 minutes.") as refused:
        revise_offline(model, runbook, "escalate to L2 after 45 minutes", request_)
    assert "move L3 first" in str(refused.value)


def test_threshold_changes_the_alert_its_query_and_the_key_metric(model, runbook: Runbook,  # type: ignore[no-untyped-def]
                                                                   request_: GenerationRequest) -> None:
    rb = revise_offline(model, runbook, "alert when error rate > 2%", request_, when=WHEN).result.runbook
    alert = next(a for a in rb.monitoring.alerts if a.name == "High Error Rate")
    old = next(a for a in runbook.monitoring.alerts if a.name == "High Error Rate")
    assert alert.condition.startswith("> 2%") and old.condition.startswith("> 1%")
    assert alert.query.code.rstrip().endswith("> 2") and old.query.code.rstrip().endswith("> 1")
    metric = next(m for m in rb.service_overview.key_metrics if m.metric.lower().startswith("error rate"))
    assert metric.alert_threshold.startswith("> 2%")
    # other alerts are untouched
    others = [a for a in rb.monitoring.alerts if a.name != "High Error Rate"]
    assert others == [a for a in runbook.monitoring.alerts if a.name != "High Error Rate"]


def test_latency_threshold_in_ms_edits_a_query_in_seconds(model, runbook: Runbook,  # type: ignore[no-untyped-def]
                                                         request_: GenerationRequest) -> None:
    rb = revise_offline(model, runbook, "alert when p95 latency > 450ms for 5 minutes", request_).result.runbook
    alert = next(a for a in rb.monitoring.alerts if "Latency" in a.name)
    assert "450ms" in alert.condition and "for 5 minutes" in alert.condition
    assert alert.query.code.rstrip().endswith("> 0.45")


def test_unknown_alert_is_refused_with_the_alert_names(model, runbook: Runbook,  # type: ignore[no-untyped-def]
                                                       request_: GenerationRequest) -> None:
    with pytest.raises(CannotReviseOffline, match="no alert or key metric matches 'queue depth'") as info:
        revise_offline(model, runbook, "alert when queue depth > 500", request_)
    assert "High Error Rate" in (info.value.hint or "")


def test_slo_availability_recomputes_the_error_budget(model, runbook: Runbook,  # type: ignore[no-untyped-def]
                                                     request_: GenerationRequest) -> None:
    rb = revise_offline(model, runbook, "availability target 99.9%", request_).result.runbook
    slo = rb.service_overview.slo
    assert slo.availability_target_pct == 99.9 and slo.allowed_downtime_minutes_per_month == pytest.approx(43.2)


def test_contact_updates_person_escalation_and_owner(model, runbook: Runbook,  # type: ignore[no-untyped-def]
                                                   request_: GenerationRequest) -> None:
    rb = revise_offline(model, runbook, "team lead is Jane Doe, jane@example.com", request_).result.runbook
    lead = next(p for p in rb.contacts.personnel if p.role == "Tech Lead")
    assert (lead.name, lead.contact) == ("Jane Doe", "jane@example.com")
    assert any("(Jane Doe)" in lv.contact for lv in rb.contacts.escalation)
    rb2 = revise_offline(model, rb, "service owner is Payments Team", request_).result.runbook
    assert rb2.header.owner == "Payments Team" and rb2.header.version == "1.2"
    rb3 = revise_offline(model, rb2, "the DBA is Raj Patel, +44 20 7946 0958, Europe/London", request_).result.runbook
    dba = rb3.contacts.personnel[-1]
    assert (dba.role, dba.name, dba.contact, dba.timezone) == ("DBA", "Raj Patel", "+44 20 7946 0958",
                                                               "Europe/London")


def test_new_technology_goes_into_the_description_and_a_pack_picks_it_up(
        model, runbook: Runbook, request_: GenerationRequest) -> None:  # type: ignore[no-untyped-def]
    before = runbook.model_dump_json().lower().count("sentinel")
    revised = revise_offline(model, runbook, "we use Redis Sentinel, add it", request_)
    assert revised.request.description.endswith("We use Redis Sentinel.")
    assert revised.result.runbook.model_dump_json().lower().count("sentinel") > before + 2
    assert any(n.startswith("Pack redis-sentinel applies now") for n in revised.notes)
    assert not any("No knowledge pack covers" in n for n in revised.notes)


def test_answer_change_regenerates_and_keeps_earlier_edits(model, runbook: Runbook,  # type: ignore[no-untyped-def]
                                                         request_: GenerationRequest) -> None:
    first = revise_offline(model, runbook, "escalate after 10 minutes", request_)
    second = revise_offline(model, first.result.runbook, "environment is docker", first.request)
    rb = second.result.runbook
    assert second.request.answers.environment == "docker"
    assert not any("kubectl" in c.code for c in rb.deployment.deploy)
    assert any("docker" in c.code for c in rb.deployment.deploy)
    assert [s.after_minutes for s in rb.emergency.service_down.escalation][1] == 10  # replayed from the history
    assert [r.version for r in rb.revision_history] == ["1.0", "1.1", "1.2"]
    third = revise_offline(model, rb, "call it checkout-api", second.request)
    assert third.result.runbook.header.service_name == "checkout-api"
    assert third.request.service_name == "checkout-api"
    assert [s.after_minutes for s in third.result.runbook.emergency.service_down.escalation][1] == 10


def test_the_same_change_twice_is_nothing_to_change(model, runbook: Runbook,  # type: ignore[no-untyped-def]
                                                     request_: GenerationRequest) -> None:
    rb = revise_offline(model, runbook, "escalate after 10 minutes", request_).result.runbook
    with pytest.raises(NothingToChange):
        revise_offline(model, rb, "escalate after 10 minutes", request_)


def test_escalation_out_of_order_is_refused(model, runbook: Runbook,  # type: ignore[no-untyped-def]
                                            request_: GenerationRequest) -> None:
    with pytest.raises(CannotReviseOffline, match="would come before"):
        revise_offline(model, runbook, "escalate to L3 after 2 minutes", request_)  # before L2 (5 min)


def test_offline_model_revise_delegates_to_the_rules(model, runbook: Runbook,  # type: ignore[no-untyped-def]
                                                     request_: GenerationRequest) -> None:
    result = model.revise(runbook, "escalate after 10 minutes", request_)
    assert result.runbook.header.version == "1.1"
    assert [s.after_minutes for s in result.runbook.emergency.service_down.escalation][1] == 10
    with pytest.raises(CannotReviseOffline, match="^I can't do that offline"):
        model.revise(runbook, "rewrite the purpose in a friendlier tone", request_)
