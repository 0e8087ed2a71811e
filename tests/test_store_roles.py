"""What a store is for decides the recipes a pack offers (agent/knowledge/store_roles.py): descriptions
written for these tests with random names, through the parser and the whole offline engine."""

from __future__ import annotations

import re
from datetime import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from agent.answers import from_mapping
from agent.knowledge import store_roles
from agent.models.base import GenerationRequest
from agent.models.offline import OfflineModel
from agent.render import render_markdown
from agent.rule import default_rule_path, load_rule
from agent.runbook import Runbook, iter_commands
from agent.service.text import parse

NOW = datetime(2026, 1, 15, 9, 30)
RULE = load_rule(default_rule_path())
name = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=4, max_size=9)


def generate(description: str, **answers: str) -> Runbook:
    ans = from_mapping(RULE, {"criticality": "high", "oncall": "24x7", **answers}, "test")
    return OfflineModel().generate(GenerationRequest(rule=RULE, description=description, answers=ans,
                                                     now=NOW)).runbook


def code(runbook: Runbook) -> str:
    return "\n".join(line for c in iter_commands(runbook) for line in c.code.splitlines()
                     if not line.lstrip().startswith("#"))


BACKUP_PHRASES = ["Snapshots go to the S3 bucket {b} every hour, kept 14 days.",
                  "Backups: pgBackRest to an S3 repo {b}, full weekly.",
                  "Nightly backups are written to s3://{b} (30 days retention)."]
FILE_PHRASES = ["User uploads are stored in the S3 bucket {b}.",
                "Invoice PDFs go to the S3 bucket {b} and are served from there."]


@settings(max_examples=20, deadline=None)
@given(svc=name, bucket=name, phrase=st.sampled_from(BACKUP_PHRASES))
def test_a_bucket_that_holds_only_backups_is_a_backup_store(svc: str, bucket: str, phrase: str) -> None:
    description = f"{svc} is a Go service on hosts {svc}-1 and {svc}-2. " + phrase.format(b=f"{bucket}-bk")
    model = parse(description)
    store = next((c for c in model.components if c.technology == "s3"), None)
    assert store is not None
    assert store_roles.role(store, model, description) == "backups"
    assert not store_roles.offers(store, model, "sync-delete", description)
    assert store_roles.offers(store, model, "backup-verify", description)


@settings(max_examples=20, deadline=None)
@given(svc=name, bucket=name, phrase=st.sampled_from(FILE_PHRASES))
def test_a_bucket_with_the_services_files_keeps_the_file_recipes(svc: str, bucket: str, phrase: str) -> None:
    description = f"{svc} is a Go service on Kubernetes. " + phrase.format(b=f"{bucket}-files")
    model = parse(description)
    store = next(c for c in model.components if c.technology == "s3")
    assert store_roles.role(store, model, description) == "data"


def test_the_whole_engine_verifies_backups_and_never_deletes_in_a_backup_bucket() -> None:
    runbook = generate("keyvault-x is a Vault cluster on EC2 hosts kv-01, kv-02, kv-03 in us-east-2 (systemd unit "
                       "vault.service). Raft snapshots hourly to s3://kvx-raft-snaps, 10 days kept.",
                       type="api", env="vm", monitoring="cloudwatch")
    text, commands = render_markdown(runbook), code(runbook)
    assert "kvx-raft-snaps" in commands
    assert not re.search(r"s3 sync[^\n]*--delete|s3 rm\b|delete-object\b", commands)
    assert "S3: backups missing, stale or not restorable" in text
    assert "Queue uploads and retry" not in text


BROKER_PHRASES = ["The Celery broker is Redis at {h}:6379 with the queue {q}.",
                  "Sidekiq uses Redis ({h}) as its job queue.",
                  "Tasks are queued in Redis {h} (Celery broker, queue {q})."]


@settings(max_examples=15, deadline=None)
@given(svc=name, host=name, queue=name, phrase=st.sampled_from(BROKER_PHRASES))
def test_a_redis_that_is_a_task_broker_is_never_unlinked(svc: str, host: str, queue: str, phrase: str) -> None:
    description = f"{svc} runs Celery workers on Kubernetes in namespace {svc}. " + phrase.format(
        h=f"{host}-redis", q=f"{queue}.tasks")
    model = parse(description)
    store = model.component("redis")
    assert store is not None
    assert store_roles.role(store, model, description) == "broker"
    assert not store_roles.offers(store, model, "pattern-unlink", description)


def test_the_whole_engine_treats_a_broker_redis_as_the_work_and_never_purges() -> None:
    runbook = generate("mailer-q runs Celery workers (app mailer) on Kubernetes, namespace mail, Deployment "
                       "mailer-worker. The Celery broker is Redis at mq-redis.mail.svc:6379, queue mail.send.",
                       type="worker", env="kubernetes")
    text, commands = render_markdown(runbook), code(runbook)
    assert not re.search(r"\bUNLINK\b|FLUSHALL|FLUSHDB|\bpurge\b", commands), commands
    assert "Read through to the database" not in text
    assert "LLEN" in commands


def test_a_cache_redis_keeps_its_cache_recipes() -> None:
    description = "cat-api caches catalog pages in Redis at cat-cache:6379 (allkeys-lru, derived data only)."
    model = parse(description)
    store = model.component("redis")
    assert store is not None and store_roles.role(store, model, description) == "data"


@settings(max_examples=15, deadline=None)
@given(svc=name, db=name, provider=st.sampled_from(["Aiven", "Crunchy Bridge", "Supabase"]))
def test_a_provider_run_postgres_gets_no_host_recipes(svc: str, db: str, provider: str) -> None:
    description = (f"{svc} is a Node.js app in Docker Compose on host {svc}-prod-1. PostgreSQL is not in compose: "
                   f"{provider} managed, service pg-{db}.")
    model = parse(description)
    store = model.component("postgresql")
    assert store is not None and store_roles.provider(store, description) == provider


def test_the_whole_engine_restores_a_provider_run_database_through_the_provider() -> None:
    runbook = generate("notes-web is a Node.js app in Docker Compose on host notes-prod-1 (compose service web). "
                       "Postgres is not in compose: Aiven managed, service pg-notes-prod.", type="web", env="docker")
    commands = code(runbook)
    assert "/var/backups/postgres/latest.dump" not in commands
    assert "pg_promote" not in commands and "journalctl -u postgresql" not in commands
    assert not re.search(r"\bdown\b[^\n]*\s-v\b", commands)


def test_a_self_run_database_managed_by_ansible_is_local() -> None:
    description = "PostgreSQL 16 with Patroni on pg-a, pg-b, pg-c, everything managed by Ansible."
    store = parse(description).component("postgresql")
    assert store is not None and store_roles.provider(store, description) is None


def test_a_stateful_service_without_a_restore_recipe_is_restored_from_its_backup_not_redeployed() -> None:
    runbook = generate("ledgerd is a Rust service on hosts lg-1, lg-2, lg-3 (systemd unit ledgerd.service) with its "
                       "data in /var/lib/ledgerd (RocksDB). Backups nightly to s3://ledgerd-bk, 7 kept.",
                       type="api", env="vm")
    text = render_markdown(runbook)
    assert "stateless service" not in text
    assert "ledgerd-bk" in text


def test_a_patroni_cluster_backed_up_by_pgbackrest_has_no_dump_restore_and_no_promotion_by_hand() -> None:
    runbook = generate("ledger-pg is PostgreSQL 16 with Patroni on hosts lpg-1, lpg-2, lpg-3 (etcd on the same "
                       "hosts). Backups: pgBackRest to an S3 repo lpg-backrest, stanza ledger.", type="database",
                       env="vm")
    commands = code(runbook)
    assert "latest.dump" not in commands and "pg_promote" not in commands
    assert "journalctl -u postgresql" not in commands
    assert not re.search(r"s3 sync[^\n]*--delete|aws s3 rm\b", commands)


def test_a_provider_run_mysql_is_restored_through_the_provider() -> None:
    runbook = generate("shopfront is a PHP app on Kubernetes in namespace shop. Its MySQL database is Aiven "
                       "managed (service mysql-shop-prod).", type="web", env="kubernetes")
    assert "/var/backups/mysql/latest.sql.gz" not in code(runbook)


def test_a_memorystore_redis_fails_over_through_google_never_by_hand() -> None:
    runbook = generate("pdf-maker runs Celery workers on GKE in namespace docs, Deployment pdf-maker. The broker is "
                       "Redis on Memorystore (instance docs-broker, no persistence), queue docs.render.",
                       type="worker", env="kubernetes")
    commands = code(runbook)
    assert "REPLICAOF NO ONE" not in commands
    assert "gcloud redis instances failover" in commands
