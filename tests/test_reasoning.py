"""Architecture-aware reasoning (agent/knowledge/reasoning.py): what the model's relationships and settings
change in the generated runbook. Each rule is checked on descriptions that vary names and technologies,
written for these tests (not the eval cases), through the parser and the whole offline engine."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from agent.answers import from_mapping
from agent.knowledge import reasoning
from agent.knowledge.profiles import profile_for
from agent.models.base import GenerationRequest
from agent.models.offline import OfflineModel
from agent.render import render_markdown
from agent.rule import Rule, default_rule_path, load_rule
from agent.runbook import Command, Runbook, iter_commands
from agent.service.text import parse

NOW = datetime(2026, 1, 15, 9, 30)


@pytest.fixture(scope="module")
def rule() -> Rule:
    return load_rule(default_rule_path())


def generate(rule: Rule, description: str, **answers: str) -> Runbook:
    ans = from_mapping(rule, {"criticality": "high", "oncall": "24x7", **answers}, "test")
    return OfflineModel().generate(GenerationRequest(rule=rule, description=description, answers=ans, now=NOW)).runbook


def commands(runbook: Runbook) -> list[Command]:
    return list(iter_commands(runbook))


def code(runbook: Runbook) -> str:
    """Every command's code without its comment lines (a warning against FLUSHALL is not a FLUSHALL)."""
    return "\n".join(line for c in commands(runbook) for line in c.code.splitlines()
                     if not line.lstrip().startswith("#"))


# --- health / readiness depends on a dependency -----------------------------------------------------------

HEALTH = [
    ("fare-quoter is a Go API on Kubernetes in namespace pricing, Deployment fare-quoter. Its readiness depends on "
     "Redis at fq-cache.pricing.svc:6380.", {"type": "api", "env": "kubernetes"}, "fq-cache.pricing.svc",
     "redis-cli"),
    ("tally-api is a Java service on two VMs tally-1 and tally-2. Its health check depends on the MySQL database "
     "tally on tally-db.internal.", {"type": "api", "env": "vm"}, "tally-db.internal", "mysqladmin"),
    ("ferry-web runs on ECS Fargate (cluster harbor, service ferry-web). The readiness probe checks PostgreSQL "
     "on pg-ferry.internal.", {"type": "web", "env": "docker"}, "pg-ferry.internal", "pg_isready"),
]


@pytest.mark.parametrize("description, answers, host, probe", HEALTH, ids=["k8s-redis", "vm-mysql", "ecs-pg"])
def test_a_dependency_the_health_check_needs_is_checked_before_any_restart(
        rule: Rule, description: str, answers: dict[str, str], host: str, probe: str) -> None:
    runbook = generate(rule, description, **answers)
    immediate = runbook.emergency.service_down.immediate
    assert probe in immediate[0].code and host in immediate[0].code, immediate[0].code
    restarts = [c for c in immediate if c.warning and "Restart only after the cause is checked" in c.warning]
    assert restarts, "the restart commands carry what they cost"
    assert all("never becomes ready" in (c.warning or "") for c in restarts)
    # restarts come after every look at the cause
    first_restart = immediate.index(restarts[0])
    assert all(c.warning is None or "Restart only" not in c.warning for c in immediate[:first_restart])
    assert "a restart will not help" in runbook.service_overview.business_impact


def test_without_a_health_dependency_no_dependency_claim_is_made(rule: Rule) -> None:
    runbook = generate(rule, "orbit-api is a Go API on Kubernetes in namespace orbit; it reads from PostgreSQL "
                             "on orbit-db.internal.", type="api", env="kubernetes")
    assert "Readiness depends on" not in runbook.service_overview.business_impact
    assert "pg_isready" not in runbook.emergency.service_down.immediate[0].code


# --- a cap that protects a downstream; a queue trigger is paused, not throttled to 0 --------------------------

CAPS = [
    ("invoice-pusher: Python Lambda function invoice-pusher-prod, triggered by the SQS queue invoice-outbox "
     "(maximum concurrency 5); it calls a partner's API that rate-limits us at 20 requests/s, and the cap is "
     "what protects it. maxReceiveCount 5. ap-southeast-2.", "invoice-pusher-prod", "5", "partner's API"),
    ("geo-tagger is a Node.js Lambda function geo-tagger-live triggered by the SQS queue geo-jobs with maximum "
     "concurrency 12, which protects the legacy geocoding service from overload. maxReceiveCount 3, visibility "
     "timeout 300 s. Region eu-west-1.", "geo-tagger-live", "12", "legacy geocoding service"),
]


@pytest.mark.parametrize("description, function, cap, protects", CAPS, ids=["invoice", "geo"])
def test_a_protective_cap_is_kept_and_a_queue_trigger_is_paused_not_throttled_to_zero(
        rule: Rule, description: str, function: str, cap: str, protects: str) -> None:
    runbook = generate(rule, description, type="worker", env="serverless", monitoring="cloudwatch")
    text = render_markdown(runbook)
    assert not re.search(r"--reserved-concurrent-executions[= ]0\b", code(runbook))
    assert re.search(r"update-event-source-mapping[^\n]*--no-enabled", code(runbook))
    assert f"concurrency cap of {cap}" in text and protects in text
    for issue in runbook.troubleshooting.issues:
        for step in issue.fix:
            assert not re.search(r"\braise (?:the )?(?:reserved )?concurrency\b", step.action, re.I), step.action
            assert not re.search(r"\bscale (?:them|consumers) out\b", step.action, re.I), step.action
            assert step.command is None or "reserved-concurrent-executions \"$LIMIT\"" not in step.command.code \
                or f"LIMIT={cap} " in step.command.code, "a reservation is never below the cap"
    # the DLQ consequence is stated with the receive count
    assert re.search(r"maxReceiveCount \d: a message whose receive fails \d times moves to", text)
    assert not re.search(r"purge-queue[^\n]*\"\$QUEUE_URL\"", code(runbook)), "the work queue is never purged"
    assert function in code(runbook)


def test_a_lambda_without_a_queue_trigger_keeps_its_kill_switch(rule: Rule) -> None:
    runbook = generate(rule, "thumbs is a Python Lambda function thumbs-prod behind API Gateway in us-east-2.",
                       type="api", env="serverless")
    assert reasoning.pause_advice(parse("thumbs is a Python Lambda function thumbs-prod behind API Gateway.")) is None
    assert "Pause the SQS trigger" not in render_markdown(runbook)


# --- stores that hold sessions, idempotency keys, locks are never flushed -----------------------------------------

KEPT = [
    ("pay-gw stores idempotency keys in Redis (host idem-redis.internal) so retries are not charged twice. It "
     "runs on Kubernetes in namespace pay.", "idempotency keys are lost"),
    ("lobby-web keeps user sessions in Redis on sess-01.internal:6379; it runs on two VMs lobby-1 and lobby-2.",
     "logged out"),
    ("cron-master uses Redis on lock-redis.internal for distributed locks (leader election) between its three "
     "replicas on Kubernetes, namespace ops.", "two workers can take the same lock"),
]


@pytest.mark.parametrize("description, loses", KEPT, ids=["idempotency", "sessions", "locks"])
def test_a_store_holding_state_is_never_flushed_and_the_loss_is_stated(rule: Rule, description: str,
                                                                        loses: str) -> None:
    env = "kubernetes" if "Kubernetes" in description else "vm"
    runbook = generate(rule, description, type="api", env=env)
    assert not re.search(r"\bFLUSH(?:ALL|DB)\b", code(runbook))
    assert loses in render_markdown(runbook)


def test_a_pure_cache_may_be_flushed_with_its_consequence(rule: Rule) -> None:
    runbook = generate(rule, "atlas-api caches rendered map tiles in Redis on tiles-cache.internal; the tiles "
                             "are rebuilt from S3 on a miss. It runs on Kubernetes, namespace atlas.",
                       type="api", env="kubernetes")
    flush = [c for c in commands(runbook) if re.search(r"\bFLUSHDB\b", c.code)]
    assert flush and "full read load" in (flush[0].warning or "")


# --- durability / replication / retention become stated consequences ---------------------------------------------

@pytest.mark.parametrize("rf, isr, fine, stops", [(3, 2, "one broker", "two brokers"),
                                                   (5, 3, "two brokers", "three brokers")])
def test_replication_settings_say_what_stops(rf: int, isr: int, fine: str, stops: str) -> None:
    model = parse(f"ledger-feed consumes the Kafka topic ledger.entries (replication factor {rf}, "
                  f"min.insync.replicas {isr}) with consumer group lf-main.")
    lines = [c.line() for c in reasoning.consequences(model)]
    line = next(x for x in lines if "min.insync.replicas" in x)
    assert f"with {fine} holding a partition's replicas down, producers (acks=all) keep writing" in line
    assert f"with {stops} down, those partitions reject writes" in line


@pytest.mark.parametrize("retention, window", [("24h", "24 h"), ("3 days", "3 days"), ("7 days", "7 days")])
def test_retention_says_what_is_lost_and_by_when(rule: Rule, retention: str, window: str) -> None:
    description = (f"beacon-sink is a Kafka consumer on Kubernetes (namespace ingest) reading the topic "
                   f"beacons.raw with consumer group sink-7; topic retention is {retention}.")
    runbook = generate(rule, description, type="worker", env="kubernetes")
    impact = runbook.service_overview.business_impact
    assert f"retention {window}" in impact
    assert f"if consumer group sink-7 falls more than {window} behind" in impact and "lost" in impact


# --- scaling says what multiplies and who controls the count ---------------------------------------------------------

@pytest.mark.parametrize("replicas, pool, limit", [(8, 25, 150), (4, 10, 500)])
def test_scale_out_says_connections_times_replicas(rule: Rule, replicas: int, pool: int, limit: int) -> None:
    description = (f"sync-bot on Kubernetes (namespace sync): {replicas} replicas, connection pool size {pool} "
                   f"to PostgreSQL (max_connections {limit}).")
    runbook = generate(rule, description, type="api", env="kubernetes")
    product = f"{replicas} instances × {pool} = {replicas * pool} connections"
    assert product in runbook.service_overview.business_impact
    assert ("already above the limit" in runbook.service_overview.business_impact) == (replicas * pool > limit)
    scale_steps = [s.command for i in runbook.troubleshooting.issues for s in i.fix
                   if s.command is not None and "scale out" in s.action.lower()]
    assert scale_steps and all(product in (c.warning or "") for c in scale_steps)
    # the connection ceiling (limit // pool) below the running count makes a "scale out" a scale-down: none is run
    scaling = [c for c in scale_steps if "kubectl scale" in c.code]
    assert bool(scaling) == (limit // pool > replicas)
    assert all(int(n) > replicas for c in scaling for n in re.findall(r"--replicas=(\d+)", c.code))
    assert all("never scale out while the database is out of connections" in (c.warning or "")
               for c in scale_steps)


def test_the_autoscaler_is_named_as_the_owner_of_the_count() -> None:
    model = parse("quill-api on Kubernetes is autoscaled by an HPA (3 to 12 replicas), pool size 20 to "
                  "PostgreSQL.")
    budget = reasoning.connection_budget(model)
    assert budget is not None and "The HPA controls the count" in budget.text


# --- every host / broker / region is kept ----------------------------------------------------------------------------

def test_every_host_and_region_is_named() -> None:
    model = parse("relay-9 runs active-active in us-east-1 and eu-west-1 on hosts rl-a, rl-b and rl-c.")
    text = " ".join(reasoning.places(model))
    assert all(h in text for h in ("rl-a", "rl-b", "rl-c"))
    assert "Active in 2 regions (us-east-1, eu-west-1)" in text


@pytest.mark.parametrize("regions", [("us-east-1", "eu-west-1"), ("ap-south-1", "ap-southeast-1", "eu-central-1")])
def test_active_active_regions_are_all_checked_when_the_service_is_down(rule: Rule, regions: tuple[str, ...]) -> None:
    listed = ", ".join(regions[:-1]) + " and " + regions[-1]
    runbook = generate(rule, f"route-planner is a Python API on ECS Fargate, active-active in {listed} "
                             "(cluster planner, service route-planner).", type="api", env="docker",
                       monitoring="cloudwatch")
    looped = [c for c in runbook.emergency.service_down.immediate if "for REGION in" in c.code]
    assert looped, [c.code for c in runbook.emergency.service_down.immediate]
    assert all(f"for REGION in {' '.join(regions)}; do" in c.code for c in looped)


# --- no borrowed templates for a product the service does not use ---------------------------------------------------

ENGINES = [
    ("secrets-vault is our HashiCorp Vault cluster on five EC2 nodes vlt-1 .. vlt-5 in eu-north-1 with Raft "
     "storage.", "vm", "Vault", "vault operator raft list-peers"),
    ("olap-core is a ClickHouse cluster on bare metal, hosts ch-1, ch-2 and ch-3, with ClickHouse Keeper.",
     "baremetal", "ClickHouse", "system.replicas"),
    ("ring-store is a Cassandra 4 cluster on VMs cas-a, cas-b, cas-c.", "vm", "Cassandra", "nodetool status"),
    ("tsdb-x is our FooDB 3 time-series store on two hosts fdb-1 and fdb-2.", "vm", "", ""),
]


@pytest.mark.parametrize("description, env, display, own", ENGINES, ids=["vault", "clickhouse", "cassandra", "unknown"])
def test_a_database_gets_its_own_engine_never_postgresql(rule: Rule, description: str, env: str, display: str,
                                                         own: str) -> None:
    runbook = generate(rule, description, type="database", env=env, monitoring="prometheus")
    text = render_markdown(runbook)
    for borrowed in ("psql", "pg_", "postgres_exporter", "max_connections", "idle-in-transaction", "WAL/binlog",
                     "mysql"):
        assert borrowed not in text, borrowed
    if own:
        assert own in code(runbook)
        # the engine's member-down entry, or the technology profile's that covers it (knowledge/profiles)
        assert f"#### Issue: {display}: a member down" in text or f"#### Issue: {display}: " in text
    else:
        assert "Fill in with the team" in text


# --- the managed product's variant decides the DR procedure ------------------------------------------------------

@pytest.mark.parametrize("glob, primary, secondary", [("pay-global", "eu-west-1", "eu-central-1"),
                                                      ("ledger-gdb", "us-east-2", "us-west-1")])
def test_an_aurora_global_database_fails_over_the_global_cluster(rule: Rule, glob: str, primary: str,
                                                                 secondary: str) -> None:
    description = (f"fx-api is a Kotlin API on ECS Fargate. Primary region {primary}, secondary region {secondary}. "
                   f"Database: Aurora PostgreSQL global database {glob}.")
    runbook = generate(rule, description, type="api", env="docker", monitoring="cloudwatch")
    dr = code(runbook)
    assert f"failover-global-cluster --region {secondary} --global-cluster-identifier {glob}" in dr
    assert f"switchover-global-cluster --region {primary} --global-cluster-identifier {glob}" in dr
    assert "AuroraGlobalDBReplicationLag" in dr and "describe-global-clusters" in dr
    for wrong in ("promote-read-replica-db-cluster", "restore-db-instance-from-db-snapshot",
                  "restore-db-instance-to-point-in-time", "reboot-db-instance"):
        assert wrong not in dr, wrong


def test_an_aurora_cluster_restores_a_cluster_not_an_instance(rule: Rule) -> None:
    runbook = generate(rule, "mint-api is a Go API on Kubernetes (namespace mint) using Aurora PostgreSQL; region "
                             "us-east-1.", type="api", env="kubernetes")
    dr = code(runbook)
    assert "restore-db-cluster-to-point-in-time" in dr and "restore-db-instance-to-point-in-time" not in dr
    assert "failover-db-cluster" in dr and "reboot-db-instance" not in dr


def test_the_kafka_lag_entry_escalates_by_the_retention_window_and_never_skips_to_latest(rule: Rule) -> None:
    description = ("meter-roll is a Kafka consumer on Kubernetes (namespace billing) reading the topic meter.events "
                   "with consumer group roll-2; 12 partitions; topic retention is 36h.")
    runbook = generate(rule, description, type="worker", env="kubernetes")
    lag = next(i for i in runbook.troubleshooting.issues if i.title == "Kafka: consumer lag growing")
    assert "Retention is 36 h" in lag.escalate and "roll-2" in lag.escalate
    assert any("up to the 12 partitions" in s.action for s in lag.fix)
    assert all(s.command is None or "rollout restart" not in s.command.code for s in lag.fix)
    assert not re.search(r"--reset-offsets[^\n]*--to-latest[^\n]*--execute", code(runbook))


@pytest.mark.parametrize("description, label, probe", [
    ("stats-api is a Python API on two VMs api-1 and api-2 that queries ClickHouse on ch-main.internal:9000.",
     "ClickHouse", "clickhouse-client --host ch-main.internal --port 9000"),
    ("feed-writer is a worker on Kubernetes (namespace feeds) that writes timelines to Cassandra on "
     "cass-7.internal.", "Cassandra", "cqlsh cass-7.internal 9042"),
    ("flow-runner is a worker on two VMs fr-1 and fr-2 that runs its workflows on Temporal at temporal-9.internal.",
     "Temporal", "temporal-9.internal"),
])
def test_a_dependency_no_pack_knows_keeps_its_own_name_and_honest_gaps(rule: Rule, description: str, label: str,
                                                                       probe: str) -> None:
    env = "kubernetes" if "Kubernetes" in description else "vm"
    runbook = generate(rule, description, type="api", env=env)
    entry = next(i for i in runbook.troubleshooting.issues if i.title == f"{label}: slow or unreachable")
    assert probe in entry.check[0].code
    if profile_for(label.lower()) is None:  # no profile either: the gaps are said, nothing is borrowed
        assert any("Fill in with the team" in s.action for s in entry.fix)
    else:  # a technology profile's own entries follow (knowledge/profiles)
        assert any(f"'{label}: " in s.action for s in entry.fix)
    assert any(u.service.startswith(label) for u in runbook.dependencies.upstream)
    assert not re.search(r"\bpsql\b|\bmysql\b", code(runbook))


@pytest.mark.parametrize("description, answers, host, probe", HEALTH[:2], ids=["k8s-redis", "vm-mysql"])
def test_the_crash_entry_checks_the_dependency_before_offering_a_restart(
        rule: Rule, description: str, answers: dict[str, str], host: str, probe: str) -> None:
    runbook = generate(rule, description, **answers)
    crash = next(i for i in runbook.troubleshooting.issues
                 if i.check and probe in i.check[0].code and i.fix and "will not make them ready" in i.fix[0].action)
    assert host in crash.check[0].code


# --- sections that do not apply are not filled -----------------------------------------------------------------------

@pytest.mark.parametrize("description, env", [
    ("mq-core is our RabbitMQ 3.13 cluster on three VMs mq-1, mq-2 and mq-3.", "vm"),
    ("events-kafka is our Kafka cluster: brokers kb-1, kb-2, kb-3 on bare metal.", "baremetal"),
])
def test_a_broker_gets_no_http_request_signals(rule: Rule, description: str, env: str) -> None:
    runbook = generate(rule, description, type="other: message broker", env=env)
    names = {a.name for a in runbook.monitoring.alerts}
    assert not names & {"High Error Rate", "Error Budget Burn", "High Latency"}
    assert not any(i.title == "High error rate (5xx)" for i in runbook.troubleshooting.issues)
    assert not any("5xx" in m.metric for m in runbook.service_overview.key_metrics)


def test_a_streaming_pipeline_has_lag_not_a_schedule(rule: Rule) -> None:
    runbook = generate(rule, "cdc-relay is a streaming pipeline on Kubernetes (namespace cdc): Debezium reads "
                             "PostgreSQL changes continuously into Kafka.", type="pipeline", env="kubernetes")
    text = render_markdown(runbook)
    assert not re.search(r"(?i)missed (its )?schedule", text)
    names = {a.name for a in runbook.monitoring.alerts}
    assert "Pipeline Data Late" not in names and names & {"Stream Lag Growing", "Kafka consumer lag high"}
    assert "on a schedule" not in text and "scheduler not firing" not in text


def test_no_host_disk_alert_on_fargate(rule: Rule) -> None:
    runbook = generate(rule, "quote-api is a Kotlin API on ECS Fargate (cluster quotes, service quote-api).",
                       type="api", env="docker", monitoring="cloudwatch")
    assert "Low Disk Space" not in {a.name for a in runbook.monitoring.alerts}


@pytest.mark.parametrize("description, inside", [
    ("front-px is our reverse proxy: nginx in a Docker container called \"px-main\" on the VM px-host.internal; "
     "it serves https://www.example.net.", "docker exec px-main nginx -t"),
    ("lb-web is nginx in a Docker container named web-edge (plain docker run) on edge-3.lan.", "docker exec web-edge"),
])
def test_nginx_in_a_container_is_operated_inside_it(rule: Rule, description: str, inside: str) -> None:
    runbook = generate(rule, description, type="other: reverse proxy", env="docker")
    commands_text = code(runbook)
    assert inside in commands_text
    assert not re.search(r"systemctl\s+(?:reload|restart)\s+nginx", commands_text)
    assert "/var/log/nginx" not in commands_text
    if "www.example.net" in description:
        assert "openssl s_client -connect www.example.net:443" in commands_text


@pytest.mark.parametrize("description, flushable", [
    ("shop-php keeps PHP sessions in Memcached on mc-1.internal; it runs on two VMs web-a and web-b.", False),
    ("price-api caches price lists in Memcached on mc-cache.internal; it runs on VMs pa-1 and pa-2.", True),
])
def test_memcached_is_flushed_only_when_it_is_a_cache(rule: Rule, description: str, flushable: bool) -> None:
    runbook = generate(rule, description, type="api", env="vm")
    assert ("flush_all" in code(runbook)) == flushable


def test_a_wrapped_description_still_binds_what_a_store_keeps_and_the_probe_dependency() -> None:
    description = ("checkout-api is a Node.js service on EKS. An HPA scales it between 6 and 30 replicas; each\n"
                   "pod has a PostgreSQL connection pool of 15 to the Aurora PostgreSQL cluster pay-aurora\n"
                   "(max_connections 1000). Its readiness probe checks the database. Idempotency keys\n"
                   "for card payments are stored in ElastiCache Redis (replication group idem-cache-prod).")
    model = parse(description)
    redis = model.component("redis")
    assert redis is not None and not reasoning.flush_verdict(redis, model, description).allowed
    assert [d.technology for d in reasoning.health_dependencies(model, description)] == ["postgresql"]
    budget = reasoning.connection_budget(model)
    assert budget is not None and "6 to 30 instances × 15 = 90 to 450 connections" in budget.text


def test_a_dependency_with_several_members_is_checked_on_every_one() -> None:
    model = parse("tally-api runs on two VMs. Its readiness depends on Redis on the hosts rc-1, rc-2 and rc-3.")
    deps = reasoning.health_dependencies(model)
    assert deps and deps[0].technology == "redis"
    check = reasoning.dependency_check(deps[0])
    assert "for HOST in rc-1 rc-2 rc-3; do" in check.code and 'redis-cli -h "$HOST"' in check.code


@pytest.mark.parametrize("description, expected", [
    ("cart-db is a MongoDB replica set rs-cart on hosts mg-1, mg-2 and mg-3 with write concern majority.",
     "writes succeed while 2 of the 3 members are up: 1 down is fine, 2 down stops writes"),
    ("geo-db is a MongoDB replica set on hosts g1, g2, g3, g4 and g5 with write concern majority.",
     "writes succeed while 3 of the 5 members are up: 2 down is fine, 3 down stops writes"),
    ("bus is a RabbitMQ cluster on mq-a, mq-b, mq-c with cluster_partition_handling pause_minority.",
     "the nodes on the minority side pause"),
    ("ledger uses PostgreSQL with synchronous replication to a standby.", "every write waits"),
])
def test_durability_settings_say_what_stops(description: str, expected: str) -> None:
    lines = " ".join(c.line() for c in reasoning.consequences(parse(description)))
    assert expected in lines


@pytest.mark.parametrize("cluster, hosts", [("pg-ledger", ["pgl-db-1", "pgl-db-2", "pgl-db-3"]),
                                            ("orders-ha", ["oh-a", "oh-b"])])
def test_a_patroni_restore_goes_through_patroni(rule: Rule, cluster: str, hosts: list[str]) -> None:
    listed = ", ".join(hosts[:-1]) + " and " + hosts[-1]
    description = (f"The {cluster} Patroni cluster: PostgreSQL 16 on VMs {listed}. Backups: the main pgBackRest "
                   "stanza to S3.")
    runbook = generate(rule, description, type="database", env="vm")
    text = code(runbook)
    assert not re.search(r"systemctl\s+(?:restart|stop|start)\s+postgresql", text)
    assert f"for HOST in {' '.join(hosts)}; do ssh \"$HOST\" 'sudo systemctl stop patroni'" in text


@pytest.mark.parametrize("description, owner, knob", [
    ("quill-api on Kubernetes is autoscaled by an HPA (3 to 12 replicas); Argo CD self-heal is on.", "The HPA",
     "maxReplicas"),
    ("tick-worker on Kubernetes is scaled by KEDA on the queue depth.", "KEDA", "maxReplicaCount"),
])
def test_the_autoscaler_owns_the_count_and_capacity_goes_through_it(description: str, owner: str, knob: str) -> None:
    text = reasoning.scaling_owner(parse(description))
    assert text is not None and text.startswith(f"{owner} owns the replica count") and knob in text
    if "Argo CD" in description:
        assert "changed in Git" in text


def test_a_database_holding_the_leader_lock_states_what_its_outage_means() -> None:
    description = ("sync-d runs on hosts sd-1 and sd-2; only one holds the lock at a time (leader election "
                   "through a PostgreSQL advisory lock on pg-lock.internal).")
    text = " ".join(reasoning.impact_sentences(parse(description), description))
    assert "no instance can take the lock, so work stops" in text and "exactly one instance holds the lock" in text
    assert "flushed" not in text


def test_a_stream_triggered_function_is_paused_never_throttled_to_zero(rule: Rule) -> None:
    runbook = generate(rule, "click-agg is a Python Lambda function click-agg-live triggered by the Kinesis stream "
                             "clicks-raw in us-east-1.", type="worker", env="serverless", monitoring="cloudwatch")
    assert not re.search(r"--reserved-concurrent-executions[= ]0\b", code(runbook))
    assert "Pause the Kinesis trigger of click-agg-live" in render_markdown(runbook)


def test_every_kube_context_is_checked_when_the_service_is_down(rule: Rule) -> None:
    runbook = generate(rule, "pay-edge runs active-active on Kubernetes in two clusters: kube context use1-prod and "
                             "kube context euw1-prod; namespace edge, Deployment pay-edge.", type="api",
                       env="kubernetes")
    looped = [c for c in runbook.emergency.service_down.immediate if "for CTX in use1-prod euw1-prod; do" in c.code]
    assert looped and all('kubectl --context "$CTX"' in c.code for c in looped)


@pytest.mark.parametrize("description", [
    "recon-nightly is a Kubernetes CronJob `recon-nightly` in namespace `recon` that writes PostgreSQL db recon_prod.",
    "The batch `ledger-close` runs as a Kubernetes CronJob (namespace fin) and loads rows into PostgreSQL.",
])
def test_a_cronjob_is_stopped_by_suspending_it_never_by_scaling(rule: Rule, description: str) -> None:
    runbook = generate(rule, description, type="pipeline", env="kubernetes")
    text = code(runbook)
    assert "kubectl scale deployment/" not in text
    assert '"suspend":true' in text
