"""The workload a command targets and how a clustered technology restarts: the kind the description gives
a Kubernetes workload wins over the service-type default, a proxy-fronted compose app is deployed as the
app, and a restart of every member of a quorum cluster is rolling (leader last, the technology's own
health wait between members, never a fixed sleep), checking first what a restarted member needs.
Descriptions are written for these tests, with generated names."""

from __future__ import annotations

import re
import shlex
from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.answers import from_mapping
from agent.knowledge.platforms.quorum import QUORUM
from agent.models.base import GenerationRequest
from agent.models.offline import OfflineModel
from agent.rule import Rule, default_rule_path, load_rule
from agent.runbook import Command, Runbook, iter_commands

NOW = datetime(2026, 1, 15, 9, 30)
_RULE = load_rule(default_rule_path())
# words the parser reads as something else (technologies, roles, kinds)
_RESERVED = re.compile(r"redis|kafka|vault|etcd|consul|nginx|app|api|web|job|cron|set|node|pod|host|data|db|sql|"
                       r"log|queue|proxy|cache|stream|test|main|prod|dev|svc|deploy|worker|keeper|search|elastic|"
                       r"click|zoo|rabbit|mongo|pg|post|my|maria|kube|k8s|helm|argo|flux|aws|gcp|cloud|dns|tls")
NAME = st.from_regex(r"[a-z]{4,7}-[a-z]{4,7}", fullmatch=True).filter(lambda n: not _RESERVED.search(n))
SLOW = settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def rule() -> Rule:
    return _RULE


def generate(description: str, **answers: str) -> Runbook:
    ans = from_mapping(_RULE, {"criticality": "high", "oncall": "24x7", **answers}, "test")
    return OfflineModel().generate(GenerationRequest(rule=_RULE, description=description, answers=ans,
                                                     now=NOW)).runbook


def commands(runbook: Runbook) -> list[Command]:
    return list(iter_commands(runbook))


def kubectl_code(runbook: Runbook) -> str:
    return "\n".join(line for c in commands(runbook) for line in c.code.splitlines()
                     if line.lstrip().startswith("kubectl") and c.language == "bash")


# --- the workload kind the description gives wins over the service type -------------------------------------

@SLOW
@given(name=NAME, ns=NAME, kind=st.sampled_from(["StatefulSet", "Deployment"]),
       service_type=st.sampled_from(["pipeline", "worker", "api"]))
def test_the_named_kubernetes_kind_is_what_kubectl_targets_whatever_the_service_type(
        name: str, ns: str, kind: str, service_type: str) -> None:
    description = (f"{name} is a Java stream processor running in the {ns} namespace on our Kubernetes cluster. "
                   f"It consumes events and writes results back. It runs as a {kind}, three replicas.")
    code = kubectl_code(generate(description, type=service_type, env="kubernetes"))
    assert f"{kind.lower()}/{name}" in code
    assert "cronjob" not in code
    other = "deployment" if kind == "StatefulSet" else "statefulset"
    assert f"{other}/{name}" not in code


def test_a_scheduled_job_described_as_a_cronjob_stays_a_cronjob() -> None:
    description = ("tally-export is a nightly export on Kubernetes in namespace finance; it is a CronJob that runs at "
                   "02:00 UTC and writes a CSV to object storage.")
    assert "cronjob/tally-export" in kubectl_code(generate(description, type="pipeline", env="kubernetes"))


# --- a proxy in front of the app is not the app ----------------------------------------------------------------

@SLOW
@given(name=NAME, svc=st.sampled_from(["web", "portal", "backend", "site"]), host=NAME)
def test_a_proxy_fronted_compose_apps_deploy_rollback_and_scale_target_the_app(name: str, svc: str,
                                                                                 host: str) -> None:
    description = (f"Customer site '{name}' on one VM {host}. Docker compose project with three services:\n"
                   f"nginx — TLS termination, upstream -> {svc}:3000\n"
                   f"{svc} — Node 20 app, image ghcr.io/acme/{name}:<sha>, port 3000\n"
                   "redis — sessions only\n")
    runbook = generate(description, type="web", env="docker")
    changing = [c for c in commands(runbook)
                if re.search(r"\bcompose\b.*\b(?:up|restart|--scale|pull)\b", c.code)]
    assert changing
    for c in changing:
        targets = re.findall(r"(?:up -d(?: --no-deps)?|restart|pull) ([\w.-]+)", c.code) + \
            re.findall(r"--scale ([\w.-]+)=", c.code)
        assert "nginx" not in targets, c.code
    assert any(re.search(rf"--no-deps {svc}\b|--scale {svc}=|restart {svc}\b", c.code) for c in changing)


# --- a quorum cluster restarts rolling, with the technology's own health wait --------------------------------

QUORUM_TECHS = [("Vault", "vault"), ("etcd", "etcd"), ("OpenSearch", "opensearch"), ("Kafka", "kafka"),
                ("ZooKeeper", "zookeeper"), ("Consul", "consul"), ("Elasticsearch", "elasticsearch"),
                ("RabbitMQ", "rabbitmq")]


@SLOW
@given(name=NAME, stem=st.from_regex(r"[a-z]{3,6}", fullmatch=True).filter(lambda n: not _RESERVED.search(n)),
       tech=st.sampled_from(QUORUM_TECHS), service_type=st.sampled_from(["database", "other: clustered store"]))
def test_a_quorum_clusters_restart_of_every_member_is_rolling_with_a_health_wait(
        name: str, stem: str, tech: tuple[str, str], service_type: str) -> None:
    display, key = tech
    row = QUORUM[key]
    description = (f"{name} is our {display} cluster on three VMs: {stem}-1, {stem}-2 and {stem}-3, "
                   "managed with systemd.")
    runbook = generate(description, type=service_type, env="vm")
    cmds = commands(runbook)
    every = [c for c in cmds if c.purpose.startswith("Restart") and "every member" in c.purpose]
    assert every, [c.purpose for c in cmds if "estart" in c.purpose]
    for c in every:
        assert "rolling" in c.purpose
        assert row.health in c.code  # the technology's own health command between members
        assert "until " in c.code and "break 2" in c.code  # waits, and stops at a member that does not come back
        if row.leader:
            assert row.leader in c.code and "$LEADER" in c.code.split("for HOST in $ORDER")[0]
        assert f"{stem}-1" in c.code
        assert row.quorum in (c.warning or "")  # what the quorum needs is said where the restart is
    # no restart anywhere followed by a fixed sleep in place of a health check
    for c in cmds:
        assert not re.search(r"systemctl restart \S+ && sleep \d+", c.code), c.code


def test_vault_with_kms_auto_unseal_checks_the_seal_before_any_restart() -> None:
    description = ("keyring-core is our Vault cluster on EC2 hosts kr-1, kr-2, kr-3, kr-4 and kr-5 with integrated "
                   "storage (raft) and auto-unseal via AWS KMS. systemd unit vault.service.")
    cmds = commands(generate(description, type="other: clustered store", env="vm"))
    restarts = [c for c in cmds if re.search(r"systemctl restart vault", c.code)]
    assert restarts
    for c in restarts:
        if "reset-failed" in c.code:  # the systemd pack's own crash entry
            continue
        assert "Seal" in c.code.split("systemctl restart")[0], c.code
        assert "sealed" in (c.warning or "") or "comes back only with the auto-unseal key" in c.code
    every = next(c for c in restarts if "every member" in c.purpose)
    assert "vault operator step-down" in every.code
    assert every.code.index("step-down") < every.code.rindex("systemctl restart vault")


def test_hosts_of_another_unit_are_not_restarted_as_this_one() -> None:
    description = ("findings is a self-managed OpenSearch cluster: masters fm-master-1..3 and data nodes fm-data-1, "
                   "fm-data-2, fm-data-3. Ingest goes through Logstash on logstash-1 and logstash-2. systemd "
                   "units opensearch.service and logstash.service.")
    cmds = commands(generate(description, type="other: clustered store", env="vm"))
    for c in cmds:
        if "systemctl restart opensearch" in c.code:
            assert "logstash-1" not in c.code, c.code


@SLOW
@given(name=NAME, ns=NAME, tech=st.sampled_from([("etcd", "etcd"), ("ZooKeeper", "zookeeper"), ("Kafka", "kafka")]))
def test_a_quorum_statefulset_restart_ends_with_the_clusters_own_health_check(name: str, ns: str,
                                                                               tech: tuple[str, str]) -> None:
    display, key = tech
    description = (f"{name} is our {display} cluster on Kubernetes in namespace {ns}, a StatefulSet {name} "
                   "with 3 members.")
    cmds = commands(generate(description, type="database", env="kubernetes"))
    rolling = [c for c in cmds if f"rollout restart statefulset/{name}" in c.code]
    assert rolling
    for c in rolling:
        health = shlex.quote(QUORUM[key].health)  # run in a member through kubectl exec
        assert health in c.code
        assert c.code.index("rollout status") < c.code.index(health)
