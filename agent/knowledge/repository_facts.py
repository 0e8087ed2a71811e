"""A repository's names laid over the engine's `Facts` (temporary, until the engine reads the service
model itself: the description parser's bridge replaces this module).

Only names the repository's files hold are set; a name they leave open (a Helm release, a namespace
chosen at install time) stays unset so the engine marks its default as assumed instead of inventing it.
"""

from __future__ import annotations

import re

from agent.knowledge.base import Facts
from agent.service.model import Component, ServiceModel

# Roles of the service's own workload -> Facts.names keys the packs and platforms read.
_APP_KEYS = {"deployment": "k8s.deployment", "statefulset": "k8s.statefulset", "cronjob": "k8s.cronjob",
             "argocd_app": "argocd.app", "release": "helm.release", "chart": "helm.chart",
             "compose_service": "compose.service", "compose_file": "compose.file",
             "compose_project": "compose.project", "unit": "systemd.unit", "function": "lambda.function",
             "alias": "lambda.alias", "ecs_service": "ecs.service", "context": "k8s.context"}
# Technology -> (names key prefix, role -> suffix).
_DEP_KEYS: dict[str, tuple[str, dict[str, str]]] = {
    "postgresql": ("postgres", {"database": "database", "instance": "instance", "user": "user", "port": "port"}),
    "mysql": ("mysql", {"database": "database", "instance": "instance", "user": "user", "port": "port"}),
    "mongodb": ("mongodb", {"database": "database"}),
    "redis": ("redis", {"port": "port", "instance": "instance"}),
    "kafka": ("kafka", {"topic": "topic", "consumer_group": "group", "bootstrap": "bootstrap", "cluster": "cluster"}),
    "rabbitmq": ("rabbitmq", {"queue": "queue", "vhost": "vhost"}),
    "sqs": ("sqs", {"queue": "queue", "dlq": "dlq"}),
    "s3": ("s3", {"bucket": "bucket"}),
    "gcs": ("gcs", {"bucket": "bucket"}),
    "dynamodb": ("dynamodb", {"table": "table"}),
    "elasticsearch": ("es", {"index": "index"}),
    "pubsub": ("pubsub", {"topic": "topic", "subscription": "subscription"}),
}
_RUNTIME = {"nodejs": "Node.js", "python": "Python", "go": "Go", "java": "Java", "ruby": "Ruby", "php": "PHP",
            "dotnet": ".NET", "rust": "Rust"}


def _host(c: Component) -> str | None:
    """How the service reaches a dependency: its Service or Compose name, else a host name."""
    return c.name("k8s_service") or c.name("compose_service") or c.name("host")


def overlay(facts: Facts, model: ServiceModel) -> Facts:
    """`facts` with the model's repository names in place (changed in place and returned)."""
    names = facts.names
    given = facts.given

    def put(key: str, value: str | None) -> None:
        if value:
            names[key] = value
            given.add(f"names.{key}")

    if model.service.origin != "assumed":
        facts.service = re.sub(r"[^a-z0-9]+", "-", model.service.name.lower()).strip("-") or facts.service
        facts.display_name = model.service.display or model.service.name
        given.add("service")
    # The service's own workload; a repository of dependencies only (an ELK stack) is run as its first one.
    app = model.app or (model.components[0] if model.components else None)
    if app is not None:
        for role, key in _APP_KEYS.items():
            put(key, app.name(role))
        put("k8s.selector", app.name("selector"))
        put("k8s.container", app.name("container"))
        if app.name("namespace"):
            facts.namespace = app.name("namespace")
            given.add("namespace")
        if app.name("cluster") and app.form == "cluster-workload":
            facts.cluster = app.name("cluster")
        ports = [int(p) for p in app.names_of("port") if p.isdigit()]
        if ports:
            facts.port = ports[0]
            given.add("port")
        if app.name("health_path"):
            facts.health_path = app.name("health_path")
            given.add("health_path")
        if app.names_of("image"):
            facts.image = app.names_of("image")[0]
        replicas = app.setting("replicas")
        if replicas is not None and replicas.value.isdigit():
            facts.replicas = int(replicas.value)
            given.add("replicas")
        runtime = app.setting("runtime")
        if runtime is not None:
            facts.language = runtime.value
        elif app.technology in _RUNTIME:
            facts.language = _RUNTIME[app.technology]
        if app.form == "host":
            hosts = app.names_of("host")
            put("hosts", ",".join(hosts) if hosts else None)
        if app.name("cluster") and app.variant == "ecs":
            put("ecs.cluster", app.name("cluster"))
        put("upstream", ",".join(c.id for c in model.related(app.id) if c.kind == "service") or None)
    for comp in model.components:
        if comp.kind == "service":
            continue
        spec = _DEP_KEYS.get(comp.technology)
        if spec is None:
            continue
        prefix, roles = spec
        host = _host(comp)
        if comp.technology in ("postgresql", "mysql", "mongodb", "redis") and host:
            put(f"{prefix}.host", host)
        for role, suffix in roles.items():
            put(f"{prefix}.{suffix}", comp.name(role))
        if comp.technology in ("postgresql", "mysql"):
            put("db.engine", "postgres" if comp.technology == "postgresql" else "mysql")
            put("db.name", comp.name("database"))
            put("db.host", host)
            if comp.variant in ("rds-instance", "aurora"):
                put("rds.instance", comp.name("instance") or comp.name("cluster"))
        if comp.technology == "redis" and comp.variant == "elasticache":
            put("elasticache.cluster", comp.name("replication_group") or comp.name("cluster"))
        if comp.technology == "sqs":
            put("queue", comp.name("queue"))
            put("dlq", comp.name("dlq"))
        if comp.technology in ("s3", "gcs"):
            put("bucket", comp.name("bucket"))
        if comp.technology == "kafka":
            put("topic", comp.name("topic"))
    region = next((r.name for r in model.topology.regions), None)
    if region:
        facts.region = region
        given.add("region")
    if model.platform.cloud:
        facts.cloud = model.platform.cloud
    return facts
