"""Facts from a description (parsed into the service model, laid out by the bridge), and the engine
using them: the user's names and figures win."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from agent.answers import from_mapping
from agent.knowledge.base import Facts
from agent.knowledge.facts import facts_from_model, slugify
from agent.models.base import GenerationRequest
from agent.models.offline import OfflineModel
from agent.rule import Rule, default_rule_path, load_rule
from agent.runbook import Runbook, allowed_downtime_minutes

ORDERS = (
    "The orders API is the REST backend for checkout. It runs as deployment orders-api (6 replicas) in the\n"
    "orders namespace on the EKS cluster prod-eks-1 in us-east-1. Node.js 20. Health endpoint /healthz on port\n"
    "8080. It stores orders in a PostgreSQL 15 database called orders on the RDS instance orders-db.\n"
    "Target: 99.95% availability, p95 latency under 250 ms. RTO 30 minutes, RPO 5 min. Owned by the Commerce\n"
    "Platform team; PagerDuty rotation orders-primary, Europe/Berlin. Nightly backups kept for 35 days."
)


def extract_facts(description: str, name: str | None) -> Facts:
    """What the engine reads: the description's model, through the temporary bridge."""
    from agent.service.text import parse

    return facts_from_model(parse(description, name=name), description)


@pytest.fixture(scope="module")
def rule() -> Rule:
    return load_rule(default_rule_path())


def generate(rule: Rule, description: str, name: str | None = None, **answers: str) -> Runbook:
    values = {"type": "api", "env": "kubernetes", "criticality": "high", "monitoring": "prometheus",
              "oncall": "24x7", **answers}
    request = GenerationRequest(rule=rule, description=description, answers=from_mapping(rule, values, "t"),
                                now=datetime(2026, 1, 15, 9, 30), service_name=name)
    return OfflineModel().generate(request).runbook


def code(runbook: Runbook) -> str:
    return "\n".join(c.code for c in runbook.commands())


def test_extracts_names_and_figures() -> None:
    f = extract_facts(ORDERS, None)
    assert (f.service, f.display_name) == ("orders-api", "Orders API")
    assert (f.namespace, f.cluster, f.region, f.cloud) == ("orders", "prod-eks-1", "us-east-1", "aws")
    assert (f.port, f.health_path, f.replicas) == (8080, "/healthz", 6)
    assert f.language == "Node.js 20"
    assert (f.availability_pct, f.latency_p95_ms, f.rto_minutes, f.rpo_minutes) == (99.95, 250.0, 30, 5)
    assert f.team == "Commerce Platform team" and f.rotation == "orders-primary" and f.timezone == "Europe/Berlin"
    assert f.backup_retention == "35 days" and f.backup_schedule is not None
    assert f.names["k8s.deployment"] == "orders-api"
    assert f.names["postgres.database"] == "orders" and f.names["rds.instance"] == "orders-db"
    assert f.names["pager"] == "PagerDuty"
    assert {"namespace", "cluster", "availability_pct", "rto_minutes"} <= f.given


@pytest.mark.parametrize(("text", "slug"), [
    ("orders API on EKS with Postgres", "orders-api"),
    ("payments-service is a Go API on GKE", "payments-service"),
    ("The nightly billing ETL runs at 02:00 UTC", "billing-etl"),
    ("A Python worker that consumes the orders-events SQS queue", "orders-events-worker"),
    ("We run a service called ledger-sync on two VMs", "ledger-sync"),
])
def test_service_slug_from_description(text: str, slug: str) -> None:
    assert extract_facts(text, None).service == slug


def test_name_flag_wins() -> None:
    assert extract_facts(ORDERS, "Checkout Backend").service == "checkout-backend"
    assert slugify("  Weird__Name!! v2 ") == "weird-name-v2"


def test_queue_topic_bucket_schedule_hosts() -> None:
    f = extract_facts(
        "Consumes the Kafka topic payments.events with consumer group ledger-writer; failed messages go to "
        "the dead-letter queue payments-dlq. Lag must stay under 5000 messages. Exports to s3://acme-exports. "
        "Runs on hosts etl-01.dc1.internal and etl-02.dc1.internal, cron 0 2 * * *, port 9000.", None)
    assert f.names["kafka.topic"] == "payments.events" and f.names["kafka.group"] == "ledger-writer"
    assert f.names["dlq"] == "payments-dlq" and f.names["backlog.max"] == "5000"
    assert f.names["s3.bucket"] == "acme-exports"
    assert f.names["hosts"] == "etl-01.dc1.internal,etl-02.dc1.internal"
    assert f.names["schedule"] == "0 2 * * *" and f.port == 9000


def test_nothing_invented_from_an_empty_description() -> None:
    f = extract_facts("A small internal tool.", None)
    assert f.namespace is None and f.cluster is None and f.region is None and f.port is None
    assert f.availability_pct is None and f.rto_minutes is None and f.names == {}


def test_names_from_description_appear_in_commands(rule: Rule) -> None:
    runbook = generate(rule, ORDERS, criticality="critical")
    text = code(runbook)
    assert "-n orders" in text and "deployment/orders-api" in text
    assert "aws eks update-kubeconfig --name prod-eks-1 --region us-east-1" in text
    assert "127.0.0.1:8080/healthz" in text
    assert "orders-db" in text
    assert "-n production" not in text
    # scoped: every kubectl command names its namespace
    for line in text.splitlines():
        if re.match(r"\s*kubectl (get|logs|rollout|scale|set|exec|describe|top|delete|port-forward)\b", line):
            assert " -n " in line or "--namespace" in line, line


def test_user_figures_win_over_criticality_defaults(rule: Rule) -> None:
    runbook = generate(rule, ORDERS, criticality="low")  # low would default to 99.0% and RTO 24 h
    slo = runbook.service_overview.slo
    assert slo.availability_target_pct == 99.95 and slo.latency_p95_ms == 250
    assert slo.allowed_downtime_minutes_per_month == allowed_downtime_minutes(99.95)
    assert (runbook.disaster_recovery.rto_minutes, runbook.disaster_recovery.rpo_minutes) == (30, 5)
    assert runbook.disaster_recovery.backup.retention == "35 days"
    assert not any("availability target" in a for a in runbook.assumptions)
    alerts = {a.name: a for a in runbook.monitoring.alerts}
    assert "250" in alerts["High Latency"].condition
    assert runbook.header.owner == "Commerce Platform team"
    assert any(level.contact.endswith("(orders-primary)") for level in runbook.contacts.escalation)


def test_defaults_are_marked(rule: Rule) -> None:
    runbook = generate(rule, "An internal API for invoices.", criticality="medium")
    assumed = " ".join(runbook.assumptions)
    assert "availability target 99.5%" in assumed and "RTO 240 min" in assumed
    assert "namespace 'production'" in assumed
    assert runbook.header.owner.startswith("fill in")
    for dashboard in runbook.monitoring.dashboards:  # no invented URLs
        assert "fill in" in dashboard.location or not dashboard.location.startswith("http")


def test_incident_values_are_declared_variables(rule: Rule) -> None:
    for env in ("kubernetes", "docker", "vm", "serverless", "baremetal"):
        text = code(generate(rule, ORDERS, env=env))
        used = set(re.findall(r"\$\{?([A-Z][A-Z0-9_]*)", text))
        declared = set(re.findall(r"(?:^|[\s;(])(?:export\s+)?([A-Z][A-Z0-9_]*)=", text, re.MULTILINE))
        declared |= set(re.findall(r"\bfor ([A-Z][A-Z0-9_]*) in\b", text))
        assert used <= declared | {"HOME", "PATH"}, (env, sorted(used - declared))


def test_destructive_commands_carry_warnings(rule: Rule) -> None:
    danger = re.compile(r"rollout restart|delete pod|--replicas=0|reserved-concurrent-executions 0|"
                        r"systemctl stop|FLUSHALL|DROP |down -v|--force-failover|stop-task")
    for env in ("kubernetes", "docker", "vm", "serverless", "baremetal"):
        for typ in ("api", "worker", "database"):
            for command in generate(rule, ORDERS, env=env, type=typ).commands():
                if danger.search(command.code):
                    assert command.warning, command.code


def test_more_names_and_figures() -> None:
    f = extract_facts("orders API on EKS cluster prod-1 in us-east-1, with a standby in us-west-2 "
                      "(DR cluster prod-dr).", None)
    assert f.region == "us-east-1" and f.names["dr.region"] == "us-west-2" and f.names["dr.cluster"] == "prod-dr"
    f = extract_facts("Runs on AWS ECS Fargate (cluster prod-apps, service quotes-api) in eu-west-1.", None)
    assert f.names["ecs.service"] == "quotes-api" and f.names["ecs.cluster"] == "prod-apps"
    f = extract_facts("session-store is Redis running as the StatefulSet session-redis in the cache namespace.", None)
    assert f.names["k8s.statefulset"] == "session-redis" and f.namespace == "cache"
    f = extract_facts("pricing-engine is a gRPC service. SLO: p99 under 50 ms. Finance needs it by 08:00 UTC. "
                      "Team Pricing, follow-the-sun between Dublin and Singapore.", None)
    assert f.names["protocol"] == "grpc" and f.names["latency.quantile"] == "99" and f.latency_p95_ms == 50
    assert f.names["deadline"] == "08:00 UTC" and f.team == "Pricing team"
    assert f.names["oncall.regions"] == "Dublin and Singapore"


def test_dr_region_and_statefulset_reach_commands(rule: Rule) -> None:
    text = code(generate(rule, "orders API on EKS cluster prod-1 in us-east-1, DR cluster prod-dr in us-west-2."))
    assert "DR_CONTEXT=prod-dr" in text
    runbook = generate(rule, "session-store is Redis running as the StatefulSet session-redis in the cache "
                       "namespace.", type="database")
    assert "statefulset/session-redis -n cache" in code(runbook)


def test_markdown_description() -> None:
    f = extract_facts("# Payments Gateway\n\n- **Namespace:** payments\n- **Cluster:** prod-gke-2 (europe-west4)\n"
                      "- **Deployment:** payments-gateway, 5 replicas\n- **Owner:** @payments-oncall\n"
                      "- **SLO:** 99.95%, p95 < 200ms\n"
                      "- **Database:** Cloud SQL Postgres instance payments-sql, database payments\n"
                      "- **Health:** /ready on port 8443\n", None)
    assert (f.service, f.namespace, f.cluster, f.region, f.cloud) == (
        "payments-gateway", "payments", "prod-gke-2", "europe-west4", "gcp")
    assert (f.port, f.health_path, f.replicas, f.team) == (8443, "/ready", 5, "@payments-oncall")
    assert (f.availability_pct, f.latency_p95_ms) == (99.95, 200)
    assert f.names["postgres.database"] == "payments" and f.names["postgres.instance"] == "payments-sql"


def test_no_invented_urls_and_given_dashboards_used(rule: Rule) -> None:
    description = (ORDERS + " Dashboards: https://grafana.acme.io/d/orders. Docs: https://wiki.acme.io/orders. "
                   "Served at https://api.acme.io.")
    for env in ("kubernetes", "docker", "vm", "serverless", "baremetal"):
        for mon in ("prometheus", "datadog", "cloudwatch", "newrelic", "custom"):
            runbook = generate(rule, description, env=env, monitoring=mon)
            text = runbook.model_dump_json()
            given = re.findall(r"https?://[^\s)]+?(?=[.,;]?(?:\s|$))", description)
            for url in re.findall(r"https?://[^\s\"'\\)]+", text):
                local = url.startswith(("http://127.0.0.1", "http://localhost"))
                assert local or any(url.startswith(g) for g in given), (env, mon, url)
            if mon == "prometheus":
                assert runbook.service_overview.key_metrics[0].dashboard == "https://grafana.acme.io/d/orders"
                assert not any("fill in: Grafana" in d.location for d in runbook.monitoring.dashboards)
