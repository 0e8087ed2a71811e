"""Only what applies: contributions declare what they need of the service (agent.knowledge.applies), and
a runbook gets no alert, entry or command for a shape the service model does not have. Random names and
varied phrasings: the engine must read the model, not recognise a wording.
"""

from __future__ import annotations

import re
import string
from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.answers import Answers, from_mapping
from agent.knowledge.applies import Shape, fits, read_only_switch, scheduled, serves_http, shape_of, streams
from agent.knowledge.health import table
from agent.models.base import GenerationRequest
from agent.models.offline import OfflineModel
from agent.rule import Rule, default_rule_path, load_rule
from agent.runbook import Runbook
from agent.service.model import ServiceModel
from agent.service.text import parse

NOW = datetime(2026, 1, 5, 12, 0)
_FEW = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                     HealthCheck.function_scoped_fixture])

_letters = st.text(alphabet=string.ascii_lowercase, min_size=3, max_size=7)
_part = st.text(alphabet=string.ascii_lowercase + string.digits, min_size=2, max_size=5).filter(
    lambda p: not p.isdigit())
IDENT = st.builds(lambda a, b: f"{a}-{b}", _letters, _part)
HTTP_WORDS = re.compile(r"http_requests?_|http_request_duration|trace\.http|FROM Transaction|@duration:")
HTTP_ALERTS = {"High Error Rate", "Error Budget Burn", "High Latency"}


@pytest.fixture(scope="module")
def rule() -> Rule:
    return load_rule(default_rule_path())


def _answers(rule: Rule, typ: str, env: str, mon: str = "prometheus") -> Answers:
    return from_mapping(rule, {"type": typ, "env": env, "criticality": "high", "monitoring": mon,
                               "oncall": "24x7"}, "test")


def _generate(rule: Rule, description: str, typ: str, env: str, mon: str = "prometheus") -> Runbook:
    request = GenerationRequest(rule=rule, description=description, answers=_answers(rule, typ, env, mon), now=NOW)
    return OfflineModel().generate(request).runbook


def _code(runbook: Runbook) -> str:
    return "\n".join(c.code for c in runbook.commands())


# --- a service that serves no HTTP requests ----------------------------------------------------------------------
ENGINES = ["HashiCorp Vault", "OpenSearch", "ClickHouse", "etcd", "Consul"]
ENGINE_TEXT = ["{n} is our {t} cluster on three VMs: {h}-1, {h}-2 and {h}-3.",
               "The {t} cluster {n} runs on bare metal hosts {h}-1, {h}-2, {h}-3 under systemd.",
               "We self-host {t} ({n}) on VMs {h}-1..3; backups go to the S3 bucket {h}-backups."]


@_FEW
@given(name=IDENT, host=_letters, tech=st.sampled_from(ENGINES), text=st.sampled_from(ENGINE_TEXT),
       kind=st.sampled_from(["other: secrets", "other: search cluster", "database", "other: analytics store"]),
       mon=st.sampled_from(["prometheus", "datadog", "newrelic"]))
def test_a_non_http_service_gets_no_http_alerts(rule: Rule, name: str, host: str, tech: str, text: str, kind: str,
                                                mon: str) -> None:
    runbook = _generate(rule, text.format(n=name, t=tech, h=host), kind, "vm", mon)
    names = {a.name for a in runbook.monitoring.alerts}
    assert not names & HTTP_ALERTS, names
    assert not {i.title for i in runbook.troubleshooting.issues} & {"High error rate (5xx)", "High response times"}
    queries = "\n".join([*(a.query.code for a in runbook.monitoring.alerts),
                         *(c.code for c in runbook.monitoring.log_queries)])
    assert not HTTP_WORDS.search(queries), queries


GATEWAY_TEXT = ["{n} is our edge gateway on two VMs behind an AWS ALB.",
                "{n} runs on VMs; clients reach it at https://{n}.example.com/healthz.",
                "{n} runs on VMs behind an nginx reverse proxy."]


@_FEW
@given(name=IDENT, text=st.sampled_from(GATEWAY_TEXT))
def test_an_other_service_the_model_shows_serving_http_keeps_request_alerts(rule: Rule, name: str, text: str) -> None:
    runbook = _generate(rule, text.format(n=name), "other: gateway", "vm")
    assert HTTP_ALERTS - {"Error Budget Burn"} <= {a.name for a in runbook.monitoring.alerts}


# --- managed databases ---------------------------------------------------------------------------------------------
MANAGED_PG = ["reads and writes the RDS PostgreSQL instance {d}", "uses Cloud SQL for PostgreSQL (instance {d})",
              "stores orders in an Aurora PostgreSQL cluster {d}", "keeps its data in Aiven PostgreSQL service {d}",
              "uses Azure Database for PostgreSQL server {d}"]


@_FEW
@given(name=IDENT, db=IDENT, which=st.sampled_from(MANAGED_PG), env=st.sampled_from(["kubernetes", "docker"]))
def test_managed_postgresql_gets_no_host_level_postgresql_commands(rule: Rule, name: str, db: str, which: str,
                                                                   env: str) -> None:
    text = f"The {name} API runs on {'EKS' if env == 'kubernetes' else 'ECS Fargate'} and {which.format(d=db)}."
    code = _code(_generate(rule, text, "api", env))
    assert "pg_stat_replication" not in code and "pg_replication_slots" not in code
    assert not re.search(r"systemctl \S+ postgres", code)
    assert "pg_basebackup" not in code


def test_self_managed_postgresql_keeps_them(rule: Rule) -> None:
    code = _code(_generate(rule, "The ledger database is PostgreSQL 16 on three VMs db-1, db-2, db-3 with streaming "
                           "replication.", "database", "vm"))
    assert "pg_stat_replication" in code


# --- custom monitoring ------------------------------------------------------------------------------------------
@_FEW
@given(name=IDENT, typ=st.sampled_from(["web", "api", "worker"]), env=st.sampled_from(["docker", "vm", "kubernetes"]))
def test_custom_monitoring_gets_no_invented_stack(rule: Rule, name: str, typ: str, env: str) -> None:
    runbook = _generate(rule, f"{name} is a small {typ} service; our monitoring is a home-grown checker.", typ, env,
                        "custom")
    assert {a.query.language for a in runbook.monitoring.alerts} <= {"bash"}
    assert all(a.response.startswith("Suggested") for a in runbook.monitoring.alerts)


# --- disaster recovery on VMs ----------------------------------------------------------------------------------
@_FEW
@given(name=IDENT, bucket=IDENT, owner=st.sampled_from(["", " Configuration is managed with Ansible."]))
def test_no_ec2_or_ami_steps_unless_the_model_has_ec2(rule: Rule, name: str, bucket: str, owner: str) -> None:
    text = f"{name} runs on three VMs {name}-1, {name}-2, {name}-3; nightly backups go to S3 bucket {bucket}.{owner}"
    code = _code(_generate(rule, text, "worker", "vm"))
    assert "aws ec2" not in code and "AMI" not in code
    if owner:
        assert "ansible-playbook" in code


def test_ec2_hosts_keep_their_instance_checks(rule: Rule) -> None:
    code = _code(_generate(rule, "The api runs on three EC2 instances in us-east-1 under systemd.", "api", "vm"))
    assert "aws ec2 describe-instances" in code


# --- health checks -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("tech", "port", "path"), [
    ("HashiCorp Vault", "8200", "/v1/sys/health"), ("OpenSearch", "9200", "/_cluster/health"),
    ("ClickHouse", "8123", "/ping")])
def test_a_technology_is_checked_on_its_own_health_api(rule: Rule, tech: str, port: str, path: str) -> None:
    code = _code(_generate(rule, f"The {tech} cluster runs on three VMs node-1, node-2, node-3.", "database", "vm"))
    assert f":{port}{path}" in code
    assert "127.0.0.1:8080/health" not in code


@_FEW
@given(name=IDENT, env=st.sampled_from(["vm", "baremetal", "docker"]))
def test_no_health_endpoint_known_means_a_guarded_variable_not_a_guess(rule: Rule, name: str, env: str) -> None:
    code = _code(_generate(rule, f"{name} processes jobs from the {name}-jobs RabbitMQ queue.", "worker", env))
    assert ":8080/health" not in code
    assert "${HEALTH_URL:?" in code


@_FEW
@given(name=IDENT, port=st.integers(min_value=1025, max_value=65000), path=_letters)
def test_the_models_health_endpoint_is_used(rule: Rule, name: str, port: int, path: str) -> None:
    model = parse(f"{name} is an API on VMs {name}-1 and {name}-2.")
    app = model.app
    assert app is not None
    app.add_name("health_port", str(port))
    app.add_name("health_path", f"/{path}")
    request = GenerationRequest(rule=load_rule(default_rule_path()), description="", service=model,
                                answers=_answers(rule, "api", "vm"), now=NOW)
    code = _code(OfflineModel().generate(request).runbook)
    assert f":{port}/{path}" in code
    assert "${HEALTH_URL:?" not in code


# --- mitigations invent no configuration ---------------------------------------------------------------------------
@_FEW
@given(name=IDENT, typ=st.sampled_from(["web", "api", "other: portal"]),
       env=st.sampled_from(["kubernetes", "docker", "vm", "serverless"]))
def test_no_invented_read_only_switch(rule: Rule, name: str, typ: str, env: str) -> None:
    runbook = _generate(rule, f"{name} serves the customer portal and writes to PostgreSQL {name}_db.", typ, env)
    assert "READ_ONLY" not in _code(runbook)


# --- streaming jobs ---------------------------------------------------------------------------------------------
@_FEW
@given(name=IDENT, topic=IDENT, verb=st.sampled_from(["consumes", "reads events from", "processes"]))
def test_a_job_behind_a_stream_has_no_schedule_to_miss(rule: Rule, name: str, topic: str, verb: str) -> None:
    runbook = _generate(rule, f"{name} {verb} the Kafka topic {topic} and writes results to PostgreSQL.", "pipeline",
                        "kubernetes")
    text = "\n".join([*(a.name for a in runbook.monitoring.alerts), *(i.title for i in runbook.troubleshooting.issues)])
    assert not re.search(r"(?i)missed (its )?schedule|data late|run failed", text), text


# --- the shape itself ---------------------------------------------------------------------------------------------
def _model(app: dict[str, object], *others: dict[str, object], relationships: tuple[dict[str, str], ...] = ()
           ) -> ServiceModel:
    base = ServiceModel.empty("svc", "Svc").model_dump()
    base["components"] = [{"id": "app", "kind": "service", **app}, *others]
    base["relationships"] = [{"detail": "", **r} for r in relationships]
    return ServiceModel.model_validate(base)


def test_http_needs_evidence_in_the_model_for_an_other_service() -> None:
    assert not serves_http(_model({}), "other")[0]
    assert serves_http(_model({"names": {"url": "https://x.example.com"}}), "other")[0]
    assert serves_http(_model({}, {"id": "lb", "kind": "load-balancer"},
                              relationships=({"source": "app", "target": "lb", "kind": "fronted_by"},)), "other")[0]
    assert not serves_http(_model({"names": {"url": "https://x.example.com"}}), "other", "database")[0]
    assert not serves_http(_model({"names": {"url": "https://x"}}), "worker")[0]
    assert serves_http(_model({}), "api")[0]


def test_a_stream_or_a_schedule_from_the_model() -> None:
    stream = _model({}, {"id": "k", "kind": "stream", "technology": "kafka"},
                    relationships=({"source": "app", "target": "k", "kind": "consumes_from"},))
    assert streams(stream) and not scheduled(stream)
    cron = _model({"names": {"cronjob": "nightly"}}, {"id": "k", "kind": "stream"},
                  relationships=({"source": "app", "target": "k", "kind": "consumes_from"},))
    assert scheduled(cron) and not streams(cron)
    assert "schedule" in shape_of(cron, "pipeline") and "stream" in shape_of(stream, "pipeline")


def test_fits_needs_every_requirement() -> None:
    shape = Shape(frozenset({"http"}))
    assert fits((), shape) and fits(("http",), shape) and not fits(("http", "own_disk"), shape)


def test_a_read_only_switch_only_when_the_model_names_one() -> None:
    assert read_only_switch(_model({})) is None
    found = read_only_switch(_model({"settings": [{"key": "maintenance_mode", "value": "false", "unit": ""}]}))
    assert found is not None and found.key == "maintenance_mode"


def test_the_health_table_is_well_formed() -> None:
    for tech, api in table().items():
        assert api.path.startswith("/") and 0 < api.port < 65536 and api.scheme in ("http", "https"), tech
        assert api.expect, tech
