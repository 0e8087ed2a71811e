"""Clustered technologies whose members vote or elect a leader: how a restart of every member stays safe.

Data, one row per technology (reviewable without reading code): the member's own health command (run
on the member, exit 0 when it rejoined and the cluster is healthy), how to find the leader, how to
hand leadership away before the leader restarts, what the quorum needs, and the dependency that decides
whether a restarted member comes back at all. `rolling_restart` turns a row into one pasteable loop:
followers first, the leader last, and the next member only once the previous one is healthy, never
a fixed sleep (two members down at once can lose quorum).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agent.knowledge.base import Context
from agent.service.model import Component


@dataclass(frozen=True)
class Quorum:
    label: str
    # run on the member after its restart: exit 0 once it rejoined and the cluster is healthy
    health: str
    healthy: str  # what the on-call sees when it is
    leader: str | None  # run on any member: shows which member leads (None: no single leader)
    quorum: str  # what the cluster needs to keep working
    step_down: str | None = None  # run on the leader before restarting it
    before: str | None = None  # run on a member before its restart (e.g. stop shard reallocation)
    after: str | None = None  # run once the member rejoined (undo `before`), before the health wait
    joined: str | None = None  # exit 0 once the member answers again (waited for before `after`)
    # (words in the description that say it applies, what a restarted member needs, how to check it)
    needs: tuple[str, str, str] | None = None


_MAJORITY = "a majority of the voting members (3 of 5, 2 of 3): never two members down at once"
_ES_BEFORE = ("curl -fsS -XPUT -H Content-Type:application/json localhost:9200/_cluster/settings "
              "-d '{\"persistent\":{\"cluster.routing.allocation.enable\":\"primaries\"}}'")
_ES_AFTER = ("curl -fsS -XPUT -H Content-Type:application/json localhost:9200/_cluster/settings "
             "-d '{\"persistent\":{\"cluster.routing.allocation.enable\":null}}'")
_ES_HEALTH = "curl -fsS localhost:9200/_cat/health?h=status | grep -qx green"

# technology id (as the service model writes it) -> its row
QUORUM: dict[str, Quorum] = {
    "vault": Quorum(
        "Vault (integrated storage)", "vault status >/dev/null && vault operator raft autopilot state | "
        "grep -q 'Healthy: *true'",
        "vault status shows Sealed false; autopilot state Healthy true; list-peers shows every voter",
        "vault operator raft list-peers", _MAJORITY, step_down="vault operator step-down",
        needs=(r"auto-?unseal|\bkms\b|transit seal|hsm",
               "the auto-unseal key (KMS / transit / HSM): a member restarted while it is unreachable comes back "
               "sealed, so a restart will not help and costs a voter",
               "grep -A3 '^seal' /etc/vault.d/*.hcl; vault status | grep -E 'Seal Type|Sealed'")),
    "etcd": Quorum(
        "etcd", "etcdctl endpoint health", "every endpoint 'is healthy'; one leader in endpoint status",
        "etcdctl endpoint status --cluster -w table  # IS LEADER column", _MAJORITY),
    "consul": Quorum(
        "Consul servers", "consul operator raft list-peers | grep -q leader && consul members | grep -vq failed",
        "list-peers shows one leader and every server as voter; consul members shows them alive",
        "consul operator raft list-peers", _MAJORITY),
    "zookeeper": Quorum(
        "ZooKeeper ensemble", "echo srvr | nc -w 2 localhost 2181 | grep -qE 'Mode: (follower|leader)'",
        "srvr shows Mode follower or leader on every member (four-letter words must be whitelisted)",
        "for m in $HOSTS; do echo \"$m: $(echo srvr | nc -w 2 \"$m\" 2181 | grep Mode)\"; done", _MAJORITY),
    "clickhouse-keeper": Quorum(
        "ClickHouse Keeper", "echo mntr | nc -w 2 localhost 9181 | grep -qE 'zk_server_state\\s+(follower|leader)'",
        "mntr shows zk_server_state follower or leader on every member",
        "for m in $HOSTS; do echo \"$m: $(echo mntr | nc -w 2 \"$m\" 9181 | grep zk_server_state)\"; done",
        _MAJORITY),
    "clickhouse": Quorum(
        "ClickHouse replicas", "clickhouse-client -q \"SELECT count() FROM system.replicas WHERE is_readonly OR "
        "queue_size > 100\" | grep -qx 0",
        "SELECT 1 answers; no replica read-only and replication queues drained",
        None, "every shard keeps one replica up: restart one replica per shard at a time",
        before="clickhouse-client -q 'SELECT database, table, absolute_delay, queue_size FROM system.replicas "
               "ORDER BY absolute_delay DESC LIMIT 5'",
        needs=(r"keeper|zookeeper",
               "ClickHouse Keeper / ZooKeeper: while it has no quorum the replicated tables are read-only and a "
               "restarted replica cannot reattach, so a restart will not help",
               "echo mntr | nc -w 2 \"${KEEPER:?set KEEPER to a Keeper host}\" 9181 | grep zk_server_state")),
    "kafka": Quorum(
        "Kafka brokers", "test -z \"$(kafka-topics.sh --bootstrap-server localhost:9092 --describe "
        "--under-replicated-partitions)\"",
        "no under-replicated partitions (the command prints nothing) before the next broker",
        "kafka-metadata-quorum.sh --bootstrap-server localhost:9092 describe --status",  # LeaderId: the controller
        "min.insync.replicas of every partition: one broker down at a time, and only with 0 under-replicated "
        "partitions"),
    "opensearch": Quorum(
        "OpenSearch", _ES_HEALTH, "_cluster/health status green before the next node",
        "curl -fsS localhost:9200/_cat/cluster_manager?v",
        "a majority of the cluster-manager-eligible nodes: never two of three masters down at once",
        before=_ES_BEFORE, after=_ES_AFTER, joined="curl -fsS -o /dev/null localhost:9200/"),
    "elasticsearch": Quorum(
        "Elasticsearch", _ES_HEALTH, "_cluster/health status green before the next node",
        "curl -fsS localhost:9200/_cat/master?v",
        "a majority of the master-eligible nodes: never two of three masters down at once",
        before=_ES_BEFORE, after=_ES_AFTER, joined="curl -fsS -o /dev/null localhost:9200/"),
    "rabbitmq": Quorum(
        "RabbitMQ cluster", "rabbitmq-diagnostics -q check_running && rabbitmq-diagnostics -q "
        "check_local_alarms",
        "check_running and check_local_alarms pass; cluster_status lists every node running",
        None, "a majority of the members of every quorum queue",
        before="rabbitmq-queues check_if_node_is_quorum_critical"),
}

_ALIASES = {"keeper": "clickhouse-keeper", "clickhouse_keeper": "clickhouse-keeper", "zk": "zookeeper",
            "es": "elasticsearch"}


# the unit a package installs -> its technology (a service the model gives no technology, known by its unit)
_UNITS = {"clickhouse-server": "clickhouse", "rabbitmq-server": "rabbitmq", "zookeeper-server": "zookeeper",
          "kafka-server": "kafka", "consul-server": "consul"}


def quorum_of(ctx: Context, component: Component | None, unit: str = "") -> tuple[str, Quorum] | None:
    """The row of the technology `component` (the service's own workload when None) is, if it elects;
    by its systemd `unit` when the model names no technology."""
    comp = component if component is not None else (ctx.model.app if ctx.model is not None else None)
    tech = (comp.technology if comp is not None else "").lower()
    by_unit = _UNITS.get(unit, unit)
    if by_unit in QUORUM and (not tech or tech in QUORUM):
        tech = by_unit  # the unit is the more precise word ("clickhouse-keeper" of a ClickHouse model)
    tech = _ALIASES.get(tech, tech)
    if tech in QUORUM:
        return tech, QUORUM[tech]
    return None


def needs(ctx: Context, row: Quorum) -> tuple[str, str] | None:
    """What a restarted member needs to come back, when the description says the cluster uses it."""
    if row.needs is None or not re.search(row.needs[0], ctx.facts.description, re.I):
        return None
    return row.needs[1], row.needs[2]
