"""The offline engine: every answer combination gives a valid, deterministic, tailored runbook."""

from __future__ import annotations

import itertools
import re
from datetime import datetime
from pathlib import Path

import pytest

from agent.answers import Answers, from_mapping
from agent.models.base import GenerationRequest
from agent.models.offline import OfflineModel
from agent.models.registry import get_model
from agent.rule import Rule, default_rule_path, load_rule
from agent.runbook import Runbook, alert_entries, allowed_downtime_minutes

NOW = datetime(2026, 1, 15, 9, 30)
TYPES = ["web", "api", "pipeline", "worker", "database", "other: message broker"]
ENVS = ["kubernetes", "docker", "vm", "serverless", "baremetal"]
CRITS = ["critical", "high", "medium", "low"]
MONITORING = ["prometheus", "datadog", "cloudwatch", "newrelic", "custom"]
MULTIPLE = ["prometheus, cloudwatch", "datadog, custom", "newrelic, prometheus", "cloudwatch, datadog",
            "custom, newrelic"]
ONCALL = ["24x7", "business-hours", "follow-the-sun", "none"]

DESCRIPTION = (
    "The checkout service handles cart checkout for the web shop. It runs in the shop namespace in us-east-1 "
    "and talks to a PostgreSQL database called checkout."
)

# A tool every runbook for the environment must use, as a command (not just in prose).
ENV_TOOLS = {
    "kubernetes": [r"\bkubectl (get|logs|rollout)\b"],
    "docker": [r"\bdocker compose\b"],
    "vm": [r"\bsystemctl\b", r"\bjournalctl\b", r"\baws ec2 describe-instances\b"],
    "serverless": [r"\baws lambda\b", r"\baws logs filter-log-events --log-group-name /aws/lambda/"],
    "baremetal": [r"\bsystemctl\b", r"\bjournalctl\b", r"\bsmartctl\b"],
}
STACK_LANGUAGE = {"prometheus": "promql", "datadog": "datadog", "cloudwatch": "cloudwatch", "newrelic": "nrql",
                  "custom": "bash"}


@pytest.fixture(scope="module")
def rule() -> Rule:
    return load_rule(default_rule_path())


def answers(rule: Rule, typ: str, env: str, crit: str, mon: str, oncall: str) -> Answers:
    return from_mapping(rule, {"type": typ, "env": env, "criticality": crit, "monitoring": mon, "oncall": oncall},
                        "test")


def generate(rule: Rule, ans: Answers, description: str = DESCRIPTION, name: str | None = None) -> Runbook:
    request = GenerationRequest(rule=rule, description=description, answers=ans, now=NOW, service_name=name)
    return OfflineModel().generate(request).runbook


def all_code(runbook: Runbook) -> str:
    return "\n".join(c.code for c in runbook.commands())


def _combos() -> list[tuple[str, str, str, str, str]]:
    """Full product over type × env × monitoring, criticality and on-call rotated through it; "Multiple"
    monitoring answers rotated over type × env."""
    out = []
    for i, (typ, env, mon) in enumerate(itertools.product(TYPES, ENVS, MONITORING)):
        out.append((typ, env, CRITS[i % 4], mon, ONCALL[(i // 4 + i) % 4]))
    for i, (typ, env) in enumerate(itertools.product(TYPES, ENVS)):
        out.append((typ, env, CRITS[(i + 1) % 4], MULTIPLE[i % len(MULTIPLE)], ONCALL[(i + 2) % 4]))
    return out


def test_registered_as_default_model() -> None:
    assert isinstance(get_model(None), OfflineModel)
    assert isinstance(get_model("offline"), OfflineModel)


def test_every_type_env_monitoring_combination(rule: Rule) -> None:
    for typ, env, crit, mon, oncall in _combos():
        ans = answers(rule, typ, env, crit, mon, oncall)
        runbook = generate(rule, ans)
        assert isinstance(runbook, Runbook)  # constructing it ran every validator (bash -n, placeholders)
        code = all_code(runbook)
        for pattern in ENV_TOOLS[env]:
            if env == "vm" and "aws ec2" in pattern and typ == "database":
                continue
            assert re.search(pattern, code), (typ, env, mon, pattern)
        languages = {c.language for c in runbook.commands()}
        for stack in ans.monitoring:
            assert STACK_LANGUAGE[stack] in languages, (typ, env, mon, languages)
        slo = runbook.service_overview.slo
        assert slo.allowed_downtime_minutes_per_month == allowed_downtime_minutes(slo.availability_target_pct)
        assert runbook.header.criticality == crit.capitalize()
        # criterion 2: alerts and troubleshooting entries point at each other, and only at what exists
        titles = {issue.title for issue in runbook.troubleshooting.issues}
        alert_names = {alert.name for alert in runbook.monitoring.alerts}
        for alert in runbook.monitoring.alerts:
            link = re.search(r"→ Troubleshooting: (.+)$", alert.response)
            assert link is None or link.group(1) in titles, (typ, env, alert.name, alert.response)
        for issue in runbook.troubleshooting.issues:
            assert issue.alert is None or issue.alert in alert_names, (typ, env, issue.title, issue.alert)
        # every alert leads somewhere: an entry, or the Service is Down procedure
        unanswered = [a for a, title in alert_entries(runbook.monitoring.alerts, runbook.troubleshooting.issues)
                      .items() if title is None]
        assert unanswered == [], (typ, env, mon, unanswered)
        for command in runbook.commands():
            assert command.purpose.strip()
            assert not re.search(r"\[[a-z]+-[a-z]+\]|<[a-z-]+>|\{\{\s*\w+\s*\}\}", command.code), command.code


@pytest.mark.parametrize(("crit", "oncall"), list(itertools.product(CRITS, ONCALL)))
def test_criticality_and_oncall_shape_slo_and_escalation(rule: Rule, crit: str, oncall: str) -> None:
    runbook = generate(rule, answers(rule, "api", "kubernetes", crit, "prometheus", oncall), "An API for invoices.")
    target = {"critical": 99.95, "high": 99.9, "medium": 99.5, "low": 99.0}[crit]
    slo = runbook.service_overview.slo
    assert slo.availability_target_pct == target
    assert slo.allowed_downtime_minutes_per_month == pytest.approx(allowed_downtime_minutes(target))
    rto = {"critical": 30, "high": 60, "medium": 240, "low": 1440}[crit]
    assert runbook.disaster_recovery.rto_minutes == rto
    levels = runbook.contacts.escalation
    times = [lvl.after_minutes for lvl in levels]
    assert len(levels) >= 3 and times == sorted(times) and len(set(times)) == len(times)
    esc = [e.after_minutes for e in runbook.emergency.service_down.escalation]
    assert len(esc) >= 3 and esc == sorted(esc)
    text = " ".join(f"{lvl.contact} {lvl.method} {lvl.when}" for lvl in levels).lower()
    if oncall == "business-hours":
        assert "out of hours" in text
    elif oncall == "follow-the-sun":
        assert "hand" in text and "region" in text
    elif oncall == "none":
        assert "best effort" in text and "no one is paged" in text
    else:
        assert "page" in text and times[1] <= 30


def test_deterministic(rule: Rule) -> None:
    ans = answers(rule, "worker", "kubernetes", "high", "datadog, prometheus", "24x7")
    first = generate(rule, ans).model_dump_json()
    second = generate(rule, ans).model_dump_json()
    assert first == second


def test_progress_called_per_section(rule: Rule) -> None:
    seen: list[tuple[str, int, int]] = []
    request = GenerationRequest(rule=rule, description=DESCRIPTION, answers=answers(
        rule, "api", "docker", "low", "custom", "none"), now=NOW)
    OfflineModel().generate(request, lambda name, i, total: seen.append((name, i, total)))
    assert [i for _, i, _ in seen] == list(range(1, len(seen) + 1))
    assert seen[-1][1] == seen[-1][2] and {"monitoring", "contacts"} <= {name for name, _, _ in seen}


def test_assembled_runbook_survives_full_validation(rule: Rule) -> None:
    """Sections are validated once while built; the assembled Runbook must equal a fully validated one."""
    for typ, env, crit, mon, oncall in _combos()[::37]:
        runbook = generate(rule, answers(rule, typ, env, crit, mon, oncall))
        assert Runbook.model_validate(runbook.model_dump()) == runbook


def test_assembly_still_validates_the_other_fields(rule: Rule) -> None:
    from pydantic import ValidationError

    from agent.models.offline import _assemble

    runbook = generate(rule, answers(rule, "api", "vm", "high", "datadog", "24x7"))
    fields = {name: getattr(runbook, name) for name in Runbook.model_fields}
    with pytest.raises(ValidationError):
        _assemble({**fields, "revision_history": []})
    with pytest.raises(ValidationError):
        _assemble({**fields, "assumptions": ["   "]})


@pytest.mark.parametrize("description", [
    "", "   ", "Zahlungsdienst für Bestellungen auf Kubernetes", "my 'weird' \"service\" $(rm -rf /) `id` ;",
    "https://example.org/health?x=1&y=$(id) on port 99999, p95 of 0 ms, 100% availability, RTO 0 minutes",
    "deployment /etc/passwd namespace ../..", "x" * 3000,
])
def test_odd_descriptions_still_give_valid_runbooks(rule: Rule, description: str) -> None:
    for env in ENVS:
        runbook = generate(rule, answers(rule, "api", env, "high", "custom", "24x7"), description)
        code = all_code(runbook)
        assert "$(rm -rf /)" not in code and "`id`" not in code  # description text never becomes shell code
        for line in code.splitlines():
            if "$(id)" in line:  # only ever inside single quotes
                assert "'https://example.org/health?x=1&y=$(id)" in line, line


def test_prerequisites_name_every_cli_used(rule: Rule) -> None:
    tools = ("kubectl", "helm", "argocd", "aws", "gcloud", "docker", "ssh", "psql", "redis-cli", "openssl", "curl")
    for typ, env, crit, mon, oncall in _combos()[::11]:
        runbook = generate(rule, answers(rule, typ, env, crit, mon, oncall),
                           DESCRIPTION + " Redis cache. Served at https://shop.example.org.")
        listed = "\n".join(runbook.service_overview.prerequisites)
        code = all_code(runbook)
        for tool in tools:
            if re.search(rf"(?<![\w./-]){re.escape(tool)}(?![\w-])", code):
                assert re.search(rf"(?<![\w-]){re.escape(tool)}(?![\w-])", listed), (typ, env, tool)


def test_options_of_a_custom_rule_the_engine_does_not_know(tmp_path: Path) -> None:
    text = default_rule_path().read_text(encoding="utf-8")
    text = text.replace("- E) Bare metal", "- E) Nomad").replace("- E) Custom monitoring", "- E) Zabbix")
    path = tmp_path / "rule.md"
    path.write_text(text, encoding="utf-8")
    custom = load_rule(path)
    ans = from_mapping(custom, {"type": "B", "env": "E", "criticality": "C", "monitoring": "E", "oncall": "B"}, "t")
    assert ans.environment == "nomad" and ans.monitoring == ("zabbix",)
    runbook = generate(custom, ans)
    assumed = " ".join(runbook.assumptions)
    assert "environment 'nomad'" in assumed and "monitoring 'zabbix'" in assumed
    assert "kubectl " not in all_code(runbook)


def test_unknown_service_type_is_treated_as_other(tmp_path: Path) -> None:
    text = default_rule_path().read_text(encoding="utf-8").replace("- E) Database", "- E) Batch scheduler")
    path = tmp_path / "rule.md"
    path.write_text(text, encoding="utf-8")
    custom = load_rule(path)
    for env in ENVS:
        ans = from_mapping(custom, {"type": "E", "env": env}, "t")
        runbook = generate(custom, ans)
        assert any("service type 'batch-scheduler'" in a for a in runbook.assumptions)


def test_unknown_criticality_maps_to_the_nearest_level(tmp_path: Path) -> None:
    text = default_rule_path().read_text(encoding="utf-8").replace("- A) Critical", "- A) Mission critical")
    path = tmp_path / "rule.md"
    path.write_text(text, encoding="utf-8")
    custom = load_rule(path)
    runbook = generate(custom, from_mapping(custom, {"criticality": "A"}, "t"))
    assert runbook.header.criticality == "Critical"
    assert runbook.service_overview.slo.availability_target_pct == 99.95


def test_burn_rate_alert_follows_the_slo(rule: Rule) -> None:
    runbook = generate(rule, answers(rule, "api", "kubernetes", "critical", "prometheus", "24x7"))
    burn = next(a for a in runbook.monitoring.alerts if a.name == "Error Budget Burn")
    assert "> 0.72)" in burn.query.code and "[1h]" in burn.query.code and "[5m]" in burn.query.code
    low = generate(rule, answers(rule, "api", "kubernetes", "low", "prometheus", "none"))
    assert not any(a.name == "Error Budget Burn" for a in low.monitoring.alerts)


def test_argo_cd_trap_is_stated_once(rule: Rule) -> None:
    ans = answers(rule, "api", "kubernetes", "critical", "prometheus", "24x7")
    runbook = generate(rule, ans, "Orders API on EKS in namespace orders, deployed by Argo CD")
    argo = [c for c in runbook.deployment.caveats if "Argo CD" in c and "rollout undo" in c]
    assert len(argo) == 1, argo


def test_a_database_is_not_told_to_scale_out_on_cpu(rule: Rule) -> None:
    db = generate(rule, answers(rule, "database", "vm", "high", "prometheus", "24x7"), "Ledger PostgreSQL on EC2")
    api = generate(rule, answers(rule, "api", "vm", "high", "prometheus", "24x7"), "Ledger API on EC2")
    cpu = {rb.header.service_name: next(a.response for a in rb.monitoring.alerts if a.name == "High CPU")
           for rb in (db, api)}
    assert "scale out" not in cpu[db.header.service_name] and "queries" in cpu[db.header.service_name]
    assert "scale out" in cpu[api.header.service_name]


# --- only what applies ---------------------------------------------------------------------------


def _alert_kinds(runbook: Runbook) -> set[str]:
    return {a.name for a in runbook.monitoring.alerts}


@pytest.mark.parametrize(("env", "description", "has_disk"), [
    ("serverless", "An API on AWS Lambda behind API Gateway.", False),
    ("docker", "The orders API runs on ECS Fargate in us-east-1 (cluster shop, service orders-api).", False),
    ("kubernetes", "The orders API runs as the Deployment orders-api in namespace shop.", False),
    ("vm", "The orders API runs on three EC2 instances in us-east-1 under systemd.", True),
    ("baremetal", "The orders API runs on two hosts, api-1 and api-2, under systemd.", True),
])
def test_disk_alert_only_where_the_service_owns_a_disk(rule: Rule, env: str, description: str,
                                                       has_disk: bool) -> None:
    runbook = generate(rule, answers(rule, "api", env, "high", "prometheus", "24x7"), description)
    disk = [a for a in runbook.monitoring.alerts if "disk" in a.name.lower()]
    assert bool(disk) == has_disk, (env, [a.name for a in runbook.monitoring.alerts])
    if has_disk:  # and the alert leads to an entry about it
        entries = alert_entries(runbook.monitoring.alerts, runbook.troubleshooting.issues)
        assert entries[disk[0].name] == "Disk filling up"


@pytest.mark.parametrize("typ", ["worker", "pipeline", "database", "other: message broker"])
def test_no_request_signals_for_a_service_that_serves_no_requests(rule: Rule, typ: str) -> None:
    runbook = generate(rule, answers(rule, typ, "kubernetes", "high", "prometheus", "24x7"),
                       "It runs in the jobs namespace.")
    code = "\n".join(c.code for c in [*runbook.monitoring.log_queries, *(a.query for a in runbook.monitoring.alerts)])
    assert "http_requests_total" not in code and "http_request_duration" not in code
    names = {a.name for a in runbook.monitoring.alerts}
    assert not names & {"High Error Rate", "Error Budget Burn", "High Latency"}
    assert not {i.title for i in runbook.troubleshooting.issues} & {"High error rate (5xx)", "High response times"}


def test_a_request_serving_service_keeps_them(rule: Rule) -> None:
    runbook = generate(rule, answers(rule, "api", "kubernetes", "high", "prometheus", "24x7"))
    assert {"High Error Rate", "High Latency"} <= {a.name for a in runbook.monitoring.alerts}


def test_a_streaming_pipeline_has_no_schedule_to_miss(rule: Rule) -> None:
    streaming = generate(rule, answers(rule, "pipeline", "kubernetes", "high", "prometheus", "24x7"),
                         "A streaming CDC pipeline (Debezium) that moves order changes to the warehouse continuously.")
    text = "\n".join([*(a.name for a in streaming.monitoring.alerts),
                      *(i.title for i in streaming.troubleshooting.issues)])
    assert not re.search(r"(?i)missed (its )?schedule|data late", text)
    nightly = generate(rule, answers(rule, "pipeline", "kubernetes", "high", "prometheus", "24x7"),
                       "A nightly export job that runs at 02:00 UTC.")
    assert any("schedule" in i.title for i in nightly.troubleshooting.issues)


def test_a_dependency_the_health_check_needs_comes_first(rule: Rule) -> None:
    runbook = generate(rule, answers(rule, "api", "kubernetes", "high", "prometheus", "24x7"),
                       "The orders API runs on EKS in namespace orders and reads a Redis cache. Its readiness probe "
                       "checks the PostgreSQL database orders.")
    first = runbook.dependencies.upstream[0]
    assert "PostgreSQL" in first.service and first.criticality == "Critical"
    assert "restarting" in first.fallback and "will not help" in first.fallback
