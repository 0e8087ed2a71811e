"""Destructive generic steps only where the service model makes them apply (agent/knowledge/platforms/stops.py
and the packs' preconditions): no scale-to-zero or stop of the store or broker itself, of a count an
autoscaler owns, or of a critical request path; no "scale out" that is a scale-down or adds a store member;
a precondition before an index DELETE and a binlog PURGE; no stepDown / forced reconfig on a one-member
replica set; no DLQ purge, no Redis pattern delete or forced reboot of a store that keeps sessions."""

from __future__ import annotations

import re
import string
from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.answers import from_mapping
from agent.models.base import GenerationRequest
from agent.models.offline import OfflineModel
from agent.rule import Rule, default_rule_path, load_rule
from agent.runbook import Command, Runbook, iter_commands

NOW = datetime(2026, 1, 5, 12, 0)
_FEW = settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                     HealthCheck.function_scoped_fixture])
_letters = st.text(alphabet=string.ascii_lowercase, min_size=3, max_size=7)
_part = st.text(alphabet=string.ascii_lowercase + string.digits, min_size=2, max_size=4).filter(
    lambda p: not p.isdigit())
IDENT = st.builds(lambda a, b: f"{a}-{b}", _letters, _part)

# a full stop of a workload, on any platform
FULL_STOP = re.compile(r"--replicas[= ]0\b|--desired-count[= ]0\b|--max-instances[= ]0\b|"
                       r"set its replicas to 0|replicas 0|systemctl stop\b")


@pytest.fixture(scope="module")
def rule() -> Rule:
    return load_rule(default_rule_path())


def generate(rule: Rule, description: str, **answers: str) -> Runbook:
    ans = from_mapping(rule, {"criticality": "high", "oncall": "24x7", "monitoring": "prometheus", **answers}, "test")
    return OfflineModel().generate(GenerationRequest(rule=rule, description=description, answers=ans,
                                                     now=NOW)).runbook


def code(commands: list[Command]) -> str:
    """The commands' code without comment lines (a warning against a stop is not a stop)."""
    return "\n".join(line for c in commands for line in c.code.splitlines() if not line.lstrip().startswith("#"))


def stop_writes(runbook: Runbook) -> list[Command]:
    return list(runbook.emergency.data_corruption.stop_writes)


# --- the store or broker itself is never stopped as a kill switch ---------------------------------------------------

_STORES = [("a RabbitMQ 3.13 cluster", "other: message broker"), ("a Kafka cluster of brokers", "other: event "
           "streaming platform"), ("a MySQL 8 database", "database"), ("a MongoDB replica set", "database")]
_PLACES = {"vm": "on three VMs {a}-1, {a}-2 and {a}-3", "kubernetes": "as a StatefulSet in namespace {a}",
           "baremetal": "on hosts {a}-1, {a}-2 and {a}-3"}


@_FEW
@given(name=IDENT, place=IDENT, store=st.sampled_from(_STORES), env=st.sampled_from(sorted(_PLACES)),
       phrasing=st.sampled_from(["{name} is {what}, {where}.", "What: {what} named {name}, {where}.",
                                 "Service {name}: {what} running {where}. Three members."]))
def test_the_store_itself_is_never_stopped_to_stop_writes(rule: Rule, name: str, place: str, store: tuple[str, str],
                                                          env: str, phrasing: str) -> None:
    what, kind = store
    text = phrasing.format(name=name, what=what, where=_PLACES[env].format(a=place))
    runbook = generate(rule, text, type=kind, env=env)
    stops = code(stop_writes(runbook))
    assert not FULL_STOP.search(stops), stops
    # nor is a member added (or removed) as a load fix: only counted
    fixes = [s for i in runbook.troubleshooting.issues for s in i.fix if s.command is not None]
    assert not any(s.command.purpose.startswith("Scale out") for s in fixes if s.command is not None)


# --- an autoscaler's count is not scaled to zero; KEDA pauses through its ScaledObject ------------------------------

@_FEW
@given(name=IDENT, ns=IDENT, low=st.integers(2, 5), high=st.integers(8, 30),
       scaler=st.sampled_from(["an HPA", "a HorizontalPodAutoscaler", "KEDA (ScaledObject)"]))
def test_no_scale_to_zero_under_an_autoscaler(rule: Rule, name: str, ns: str, low: int, high: int,
                                              scaler: str) -> None:
    text = (f"{name} is a Deployment in namespace {ns} on Kubernetes. Autoscaled by {scaler} between {low} and "
            f"{high} replicas. It consumes jobs from a queue and writes results to PostgreSQL.")
    runbook = generate(rule, text, type="worker", env="kubernetes")
    everything = code(list(iter_commands(runbook)))
    own = re.compile(rf"kubectl scale (?:deployment/)?{re.escape(name)}\b[^\n]*--replicas=0")
    assert not own.search(everything)
    if "KEDA" in scaler:
        assert "autoscaling.keda.sh/paused-replicas" in code(stop_writes(runbook))
        assert "kubectl patch hpa" not in everything


@_FEW
@given(name=IDENT, cluster=IDENT, region=st.sampled_from(["eu-central-1", "us-west-2", "ap-south-1"]),
       low=st.integers(2, 6), high=st.integers(10, 40))
def test_no_desired_count_zero_under_service_auto_scaling(rule: Rule, name: str, cluster: str, region: str,
                                                          low: int, high: int) -> None:
    text = (f"{name} is an API on ECS Fargate, service {name}-api in cluster {cluster}, region {region}. "
            f"Service auto scaling keeps {low} to {high} tasks. Data in DynamoDB table {name}-ledger.")
    runbook = generate(rule, text, type="api", env="docker")
    assert not re.search(r"--desired-count[= ]0\b", code(list(iter_commands(runbook))))


@_FEW
@given(name=IDENT, ns=IDENT, replicas=st.integers(3, 12), db=_letters)
def test_a_critical_request_path_is_not_taken_down_to_stop_writes(rule: Rule, name: str, ns: str,
                                                                  replicas: int, db: str) -> None:
    text = (f"{name} is a web app on Kubernetes, Deployment {name} in namespace {ns}, {replicas} replicas. "
            f"It stores bookings in PostgreSQL database {db} on host pg-{name}.")
    runbook = generate(rule, text, type="web", env="kubernetes", criticality="critical")
    stops = stop_writes(runbook)
    assert not FULL_STOP.search(code(stops))
    # the writes stop where they land, for this service's role only: reads stay up, other writers are untouched
    assert "ALTER DATABASE" not in code(stops)


# --- a "scale out" never lowers the count ----------------------------------------------------------------

@_FEW
@given(name=IDENT, ns=IDENT, replicas=st.integers(2, 20), pool=st.integers(5, 40), limit=st.integers(50, 400))
def test_scale_out_never_scales_down(rule: Rule, name: str, ns: str, replicas: int, pool: int, limit: int) -> None:
    text = (f"{name} on Kubernetes (namespace {ns}): {replicas} replicas, connection pool size {pool} to "
            f"PostgreSQL (max_connections {limit}).")
    runbook = generate(rule, text, type="api", env="kubernetes")
    for issue in runbook.troubleshooting.issues:
        for step in issue.fix:
            if step.command is None:
                continue
            for n in re.findall(r"--replicas=(\d+)", step.command.code):
                assert int(n) == 0 or int(n) > replicas, (step.command.purpose, n)
            said = re.match(r"Scale out (?:from \d+ )?to (\d+)", step.command.purpose)
            assert said is None or int(said.group(1)) > replicas, step.command.purpose


# --- preconditions before the destructive maintenance steps ----------------------------------------------------------

@_FEW
@given(name=IDENT, host=IDENT, index=_letters)
def test_an_index_delete_checks_aliases_and_wildcards_first(rule: Rule, name: str, host: str, index: str) -> None:
    text = (f"{name} is the Elasticsearch 8 cluster on VMs {host}-1, {host}-2, {host}-3 (port 9200). Index "
            f"{index}-v3 behind alias {index}.")
    runbook = generate(rule, text, type="database", env="vm")
    deletes = [c for c in iter_commands(runbook) if re.search(r"-X ?DELETE", c.code)]
    assert deletes
    for c in deletes:
        assert c.code.index("_cat/aliases") < c.code.index("-X DELETE")
        assert "*'*'*" in c.code  # a wildcard name is refused


@_FEW
@given(name=IDENT, primary=IDENT, replica=IDENT, db=_letters)
def test_binlog_purge_reads_every_replica_first(rule: Rule, name: str, primary: str, replica: str, db: str) -> None:
    text = (f"{name} is a MySQL 8 database {db} on VM {primary} with one replica {replica} (async replication). "
            "Binary logs fill /var/lib/mysql.")
    runbook = generate(rule, text, type="database", env="vm")
    purges = [c for c in iter_commands(runbook) if "PURGE BINARY LOGS" in c.code]
    assert purges
    for c in purges:
        assert "SHOW REPLICA STATUS" in c.code and c.code.index("SHOW REPLICA STATUS") < c.code.index("PURGE")
        assert "purge nothing" in c.code  # an unreadable replica position stops it


@_FEW
@given(name=IDENT, rs=IDENT, phrasing=st.sampled_from(["a single-node replica set {rs}", "a single node replica "
                                                        "set called {rs}", "replica set {rs} with one node only"]))
def test_no_step_down_or_forced_reconfig_on_a_one_member_replica_set(rule: Rule, name: str, rs: str,
                                                                     phrasing: str) -> None:
    text = (f"{name} is a Node.js API on a VM that stores webhooks in MongoDB 7, running as "
            + phrasing.format(rs=rs) + " (change streams need a replset).")
    runbook = generate(rule, text, type="api", env="vm")
    everything = code(list(iter_commands(runbook)))
    assert "rs.stepDown" not in everything
    assert "force: true" not in everything


@_FEW
@given(name=IDENT, queue=IDENT, region=st.sampled_from(["eu-west-1", "us-east-2"]))
def test_no_dead_letter_queue_purge(rule: Rule, name: str, queue: str, region: str) -> None:
    text = (f"{name} is a worker on ECS in {region} consuming SQS queue {queue} (dead-letter queue {queue}-dlq, "
            "maxReceiveCount 5). Failed messages are redriven after the fix.")
    runbook = generate(rule, text, type="worker", env="docker")
    assert "purge-queue" not in code(list(iter_commands(runbook)))


@_FEW
@given(name=IDENT, cache=IDENT, rg=IDENT)
def test_a_session_store_is_not_rebooted_or_pattern_deleted(rule: Rule, name: str, cache: str, rg: str) -> None:
    text = (f"{name} is a web app on AKS. Sessions live in Azure Cache for Redis {cache} (resource group {rg}); "
            "flushing it logs every user out.")
    runbook = generate(rule, text, type="web", env="kubernetes")
    everything = code(list(iter_commands(runbook)))
    assert "force-reboot" not in everything
    assert not re.search(r"redis-cli[^\n]*\b(?:UNLINK|FLUSHALL|FLUSHDB)\b", everything)
