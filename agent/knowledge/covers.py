"""What a pack's troubleshooting entry covers, so the engine merges entries by key, never by title.

The engine's own entries (written in `models/offline.py`) are keyed by the failure they answer — the
same words as the monitoring signals ("queue_backlog", "replication_lag", "disk"; "crash" for the
platform's restart-loop entry, whatever its title on that platform). When a pack's entry covers the
same key, the pack's more specific entry stands, the engine's gives way, and an alert that would have
led to the engine's entry leads to the pack's. Alerts merge the same way by `Signal.covers`.

A pack may declare its own keys (`Contribution.covers`, entry title → key); this table holds the keys
of the packs that do not yet, by pack name and the entry's exact title. `tests/test_packs.py` checks
every row names an entry the pack really contributes, so a renamed entry cannot silently stop merging.
"""

from __future__ import annotations

from types import MappingProxyType

# pack name -> {entry title: key}
COVERS: MappingProxyType[str, dict[str, str]] = MappingProxyType({
    "airflow": {"Airflow: a DAG run failed": "pipeline_failed",
                "Airflow: scheduler down or DAGs not running": "pipeline_late"},
    "celery": {"Celery: tasks piling up": "queue_backlog"},
    "docker-compose": {"Compose: container restarting or unhealthy": "crash", "Compose: host disk full": "disk"},
    "ecs": {"ECS: tasks keep stopping or deployment stuck": "crash"},
    "elasticsearch": {"Elasticsearch: disk watermarks and read-only indices": "disk",
                      "OpenSearch: disk watermarks and read-only indices": "disk"},
    "kafka": {"Kafka: consumer lag growing": "queue_backlog"},
    "lambda": {"Lambda: errors or timeouts after a change": "crash"},
    "mongodb": {"MongoDB: replication lag or oplog window short": "replication_lag"},
    "mysql": {"MySQL: replication stopped or lagging": "replication_lag", "MySQL: too many connections": "connections"},
    "patroni": {"Patroni: replica cannot rejoin or lags": "replication_lag"},
    "postgresql": {"PostgreSQL: replication lag": "replication_lag", "PostgreSQL: too many connections": "connections"},
    "pubsub": {"Pub/Sub: backlog growing": "queue_backlog"},
    "rabbitmq": {"RabbitMQ: backlog growing or no consumers": "queue_backlog",
                 "RabbitMQ: publishers blocked by a memory or disk alarm": "disk"},
    "sqs": {"SQS: backlog growing": "queue_backlog"},
    "systemd": {"systemd: service failed or restarting in a loop": "crash"},
})


def covers(pack: str, declared: dict[str, str]) -> dict[str, str]:
    """Entry title -> key for one pack: what it declares, else this table's row."""
    return {**COVERS.get(pack, {}), **declared}
