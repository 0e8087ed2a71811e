"""The platform abstraction: a platform added outside the engine appears in a runbook without a pack
edit, mypy refuses a platform that lacks an operation, a component of the service model gets its own
platform, and operations go through the controller that owns the change."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest

from agent.answers import from_mapping
from agent.knowledge.base import Context
from agent.knowledge.facts import facts_from_model
from agent.knowledge.platforms import Platform, owners_of, platform_for, register, select
from agent.models.base import GenerationRequest
from agent.models.offline import OfflineModel
from agent.rule import Rule, default_rule_path, load_rule
from agent.runbook import Runbook
from agent.service.text import parse
from tests.toy_platform import Nomad

NOW = datetime(2026, 1, 15, 9, 30)
TOY = Path(__file__).with_name("toy_platform.py")
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def rule() -> Rule:
    return load_rule(default_rule_path())


def generate(rule: Rule, description: str, **given: str) -> Runbook:
    answers = from_mapping(rule, given, "test")
    return OfflineModel().generate(GenerationRequest(rule=rule, description=description, answers=answers,
                                                     now=NOW)).runbook


def code(runbook: Runbook) -> str:
    """Every command of the runbook, comment lines left out (a warning naming a command is not one)."""
    text = "\n".join(c.code for c in runbook.commands())
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))


def context(rule: Rule, description: str, **given: str) -> Context:
    model = parse(description)
    return Context(from_mapping(rule, given, "test"), facts_from_model(model, description))


# --- a toy platform -------------------------------------------------------------------------------


def test_a_toy_platform_registered_outside_the_engine_appears_in_the_runbook(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(select, "_REGISTRY", dict(select._REGISTRY))  # the registration ends with the test
    register("nomad", Nomad)
    text = default_rule_path().read_text(encoding="utf-8").replace("- E) Bare metal", "- E) Nomad")
    (tmp_path / "rule.md").write_text(text, encoding="utf-8")
    custom = load_rule(tmp_path / "rule.md")
    runbook = generate(custom, "billing-worker is a Celery worker (app billing) that takes tasks from RabbitMQ "
                               "queue invoices and writes to PostgreSQL database billing.", type="D", env="E")
    commands = code(runbook)
    assert "nomad job status billing-worker" in commands  # the engine's own sections
    assert "nomad job restart" in commands  # a pack's restart (celery, rabbitmq) went through the platform
    assert "nomad alloc exec -job" in commands  # a pack's exec_in (the celery CLI)
    assert not re.search(r"\b(?:kubectl|systemctl|docker compose)\b", commands)
    assert not any("is not one the offline engine knows" in a for a in runbook.assumptions)


def test_a_platform_without_every_operation_cannot_be_built() -> None:
    class Incomplete(Platform):  # every operation left abstract
        pass

    with pytest.raises(TypeError, match="abstract"):
        Incomplete(Context.__new__(Context))  # type: ignore[abstract]


def _mypy(path: Path) -> str:
    api = pytest.importorskip("mypy.api")
    out, err, _ = api.run(["--strict", "--no-error-summary", "--cache-dir", str(ROOT / ".mypy_cache"),
                           "--follow-imports", "silent", str(path)])
    return out + err


def test_mypy_refuses_to_register_a_platform_that_misses_an_operation(tmp_path: Path) -> None:
    source = TOY.read_text(encoding="utf-8")
    whole = tmp_path / "whole.py"
    whole.write_text(source + "\nfrom agent.knowledge.platforms import register\n\nregister('nomad', Nomad)\n",
                     encoding="utf-8")
    assert _mypy(whole).strip() == ""  # the fixture itself is clean: what fails below is the missing method
    broken = tmp_path / "broken.py"
    without = re.sub(r"\n    def restart_all\(self\) -> Command:\n        return [^\n]+\n", "\n", source)
    assert without != source
    broken.write_text(without + "\nfrom agent.knowledge.platforms import register\n\nregister('nomad', Nomad)\n",
                      encoding="utf-8")
    found = _mypy(broken)
    assert "Only concrete class can be given" in found and "type-abstract" in found, found


# --- a platform per component ---------------------------------------------------------------------


def test_a_component_runs_on_its_own_platform(rule: Rule) -> None:
    runbook = generate(rule, "Checkout API on EKS in namespace shop (Deployment checkout-api). nginx 1.25 runs in a "
                             "Docker container called edge-nginx in front of it (plain docker run, no compose).",
                       type="B", env="A")
    commands = code(runbook)
    assert "kubectl" in commands  # the app
    assert re.search(r"docker exec edge-nginx nginx -t", commands)  # the proxy, in its container
    assert re.search(r"docker logs --since \S+ edge-nginx", commands)
    assert "/var/log/nginx" not in commands and not re.search(r"systemctl \w+ nginx", commands)


def test_a_pooler_running_as_a_deployment_is_not_edited_on_a_host(rule: Rule) -> None:
    runbook = generate(rule, "pgbouncer-orders is the PgBouncer pooler in front of RDS PostgreSQL orders-pg. "
                             "PgBouncer runs on Kubernetes as a Deployment named pgbouncer-orders in namespace "
                             "db-proxy; its config comes from a ConfigMap.", env="A")
    commands = code(runbook)
    assert "sudoedit" not in commands
    assert "kubectl edit configmap" in commands


def test_a_plain_container_service_gets_docker_not_compose(rule: Rule) -> None:
    runbook = generate(rule, "edge-gw is our reverse proxy: nginx in a Docker container called edge-nginx (plain "
                             "docker run, no compose) on the VM gw-01.", env="B")
    commands = code(runbook)
    assert "docker restart edge-nginx" in commands
    assert not re.search(r"docker[- ]compose", commands)


def test_cloud_run_is_not_cloud_functions(rule: Rule) -> None:
    runbook = generate(rule, "quotes-api is a Go API on Google Cloud Run (service quotes-api, region europe-west1).",
                       type="B", env="D")
    commands = code(runbook)
    assert "gcloud run services describe quotes-api" in commands
    assert "gcloud functions" not in commands


# --- owners ---------------------------------------------------------------------------------------


def test_owners_come_from_the_model(rule: Rule) -> None:
    ctx = context(rule, "catalog-search on GKE, deployed by Argo CD (application catalog-search-prod) with "
                        "self-heal on; the Deployment is autoscaled by an HPA (min 4, max 40).", env="A")
    owners = owners_of(ctx)
    assert owners.autoscaler is not None and owners.autoscaler.by == "hpa"
    assert owners.gitops is not None and owners.gitops.by == "argocd" and owners.gitops.self_heal
    assert owners.config is not None and owners.config.gitops  # Git owns the settings too


def test_no_kubectl_scale_or_set_env_under_an_hpa_and_gitops(rule: Rule) -> None:
    runbook = generate(rule, "catalog-search is the search API on GKE. Deployed by Argo CD (application "
                             "catalog-search-prod, automated sync with self-heal). The Deployment catalog-search is "
                             "autoscaled by an HPA (min 4, max 40).", type="B", env="A")
    commands = code(runbook)
    assert not re.search(r"kubectl\s+(?:scale|set\s+(?:env|image)|edit\s+deploy|rollout\s+undo)\b", commands)
    assert "argocd app sync catalog-search-prod" in commands


def test_keda_bounds_are_patched_instead_of_scaling(rule: Rule) -> None:
    ctx = context(rule, "thumbs-worker on Kubernetes in namespace media, scaled by KEDA on the queue length.",
                  type="D", env="A")
    scale = platform_for(ctx).scale("10", "Scale out")
    assert "kubectl patch scaledobject" in scale.code and "kubectl scale" not in scale.code


def test_a_patroni_member_is_restarted_and_stopped_through_patroni(rule: Rule) -> None:
    runbook = generate(rule, "ledger-pg is the pg-ledger Patroni cluster: PostgreSQL 16 on three VMs pgl-db-1, "
                             "pgl-db-2 and pgl-db-3 (systemd), etcd on the same boxes. Backups with the pgBackRest "
                             "stanza ledger.", type="E", env="C")
    commands = code(runbook)
    assert not re.search(r"systemctl\s+(?:restart|stop|start)\s+postgresql", commands)
    assert not re.search(r"pg_ctl\S*\s[^\n]*(?:promote|restart|stop)", commands)
    assert "patronictl -c /etc/patroni/patroni.yml restart" in commands


def test_config_management_owns_host_settings(rule: Rule) -> None:
    ctx = context(rule, "ledger-sync runs on four EC2 hosts under systemd, configured with Ansible.", env="C")
    flag = platform_for(ctx).set_flag("READ_ONLY", "true", "Switch to read-only")
    assert "ansible-playbook" in flag.code and "/etc/systemd/system" not in flag.code


def test_a_queue_triggered_lambda_is_paused_at_its_trigger(rule: Rule) -> None:
    runbook = generate(rule, "invoice-pusher: Python Lambda function invoice-pusher-prod, triggered by the SQS "
                             "queue invoice-outbox (maximum concurrency 5). ap-southeast-2.", type="D", env="D")
    commands = code(runbook)
    assert not re.search(r"--reserved-concurrent-executions[= ]0\b", commands)
    assert "update-event-source-mapping" in commands and "--no-enabled" in commands


def test_answers_without_a_model_still_choose_a_platform(rule: Rule) -> None:
    description = "orders API on ECS Fargate"
    ctx = Context(from_mapping(rule, {"env": "B"}, "t"), facts_from_model(parse(description), description))
    assert platform_for(ctx).location().startswith("Amazon ECS")


# --- managed variants -----------------------------------------------------------------------------


@pytest.mark.parametrize(("database", "present", "absent"), [
    ("Amazon RDS for PostgreSQL instance orders-pg (Multi-AZ)", ["reboot-db-instance", "--force-failover",
                                                                 "restore-db-instance-to-point-in-time"],
     ["failover-db-cluster", "global-cluster"]),
    ("an Aurora PostgreSQL cluster orders-aurora", ["failover-db-cluster", "restore-db-cluster-to-point-in-time",
                                                    "create-db-instance"],
     ["reboot-db-instance", "restore-db-instance-to-point-in-time", "global-cluster"]),
    ("the Aurora PostgreSQL global database orders-global (secondary region us-west-2)",
     ["failover-global-cluster", "switchover-global-cluster", "AuroraGlobalDBReplicationLag",
      "--global-cluster-identifier orders-global"], ["promote-read-replica", "reboot-db-instance"]),
    ("Cloud SQL for PostgreSQL instance orders-sql", ["gcloud sql instances failover orders-sql",
                                                      "gcloud sql instances clone orders-sql"],
     ["aws rds", "journalctl -u postgresql"]),
    ("the Azure Database for PostgreSQL flexible server at orders-flex.postgres.database.azure.com",
     ["az postgres flexible-server restart", "--failover", "az postgres flexible-server restore"],
     ["aws rds", "journalctl -u postgresql"]),
])
def test_managed_database_commands_follow_the_variant(rule: Rule, database: str, present: list[str],
                                                      absent: list[str]) -> None:
    runbook = generate(rule, f"orders-api is a REST API on EKS in namespace orders, region us-east-1; it stores "
                             f"orders in {database}, database orders.", type="B", env="A")
    commands = code(runbook)
    for word in present:
        assert word in commands, word
    for word in absent:
        assert word not in commands, word


def test_service_auto_scaling_owns_an_ecs_service_count(rule: Rule) -> None:
    ctx = context(rule, "orders-api on ECS Fargate (cluster shop, service orders-api) with service auto scaling "
                        "(autoscaled between 2 and 10 tasks).", type="B", env="B")
    scale = platform_for(ctx).scale("6", "Scale out")
    assert "register-scalable-target" in scale.code and "--desired-count" not in scale.code


def test_a_patroni_cluster_component_owns_its_postgresql(rule: Rule) -> None:
    ctx = context(rule, "orders-api runs on EKS. It stores orders in PostgreSQL on three VMs db-1, db-2 and db-3, "
                        "managed by the Patroni cluster orders-pg.", type="B", env="A")
    assert ctx.model is not None
    postgres = ctx.model.component("postgresql")
    assert postgres is not None
    owner = owners_of(ctx, postgres).ha_manager
    assert owner is not None and owner.by == "patroni"
    assert owners_of(ctx).ha_manager is None  # the API itself is not Patroni's


@pytest.mark.parametrize("hosts", ["web-1..web-4", "app01, app02 and app03"])
def test_scaling_a_fleet_of_hosts_is_never_a_restart(rule: Rule, hosts: str) -> None:
    ctx = context(rule, f"shop-web is a Rails app on VMs {hosts} (systemd unit shop-web.service).", env="vm")
    step = platform_for(ctx).scale("6", "Double the replica count")
    assert "restart" not in step.code and "stop" not in step.code
    assert step.warning and "adds no capacity" in step.warning


def test_a_daemonset_is_never_scaled(rule: Rule) -> None:
    book = generate(rule, "log-shipper is a Fluent Bit DaemonSet named log-shipper in the logging namespace on "
                          "our EKS cluster.", env="kubernetes", type="other: log shipper")
    assert "kubectl scale daemonset" not in code(book)
