"""The bridge from the `ServiceModel` to the engine's `Facts` (TEMPORARY: the knowledge redesign,
issue #10, makes the generator read the model itself and removes `Facts` and this module).

The description is no longer read here: `agent.service.text.parse` builds the model, and
`facts_from_model` lays its values out under the dotted keys packs and platforms read
(`agent/knowledge/packs/__init__.py` lists them). Nothing is invented on the way: a key the model has
no value for stays out of `Facts.names`, so the engine falls back to a default and records it.

The other direction: what the engine assumed (`Facts.assumed`, key -> (value, reason)) is written back
into the model as `origin: assumed` values by `record_assumptions`, so the saved model shows it and a
regeneration from the file reuses (or, once edited, corrects) it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from agent.knowledge.base import Facts
from agent.knowledge.names import plausible
from agent.service import oncall_text
from agent.service.merge import SINGLE_VALUED
from agent.service.model import Component, Figure, Name, Person, Region, ServiceModel

# Facts key -> where its value lives in the model: (technologies, role). "app" is the service's own
# workload; a technology id is that technology's component (the service's own when it *is* that
# technology). The first value found wins; keys of several values are joined with commas.
KEYS: dict[str, tuple[tuple[str, ...], str]] = {
    "k8s.deployment": (("app",), "deployment"),
    "k8s.statefulset": (("app",), "statefulset"),
    "k8s.cronjob": (("app",), "cronjob"),
    "k8s.context": (("app",), "context"),
    "helm.release": (("app",), "release"),
    "helm.chart": (("app",), "chart"),
    "argocd.app": (("app",), "argocd_app"),
    "compose.file": (("app",), "compose_file"),
    "compose.project": (("app",), "compose_project"),
    "compose.volume": (("*",), "volume"),
    "ecs.service": (("app",), "ecs_service"),
    "systemd.unit": (("app",), "unit"),
    "lambda.alias": (("app",), "alias"),
    "instance": (("app",), "instance"),
    "image": (("app",), "image"),
    "alb.target_group": (("app", "alb"), "target_group"),
    "alb.name": (("alb",), "load_balancer"),
    "asg": (("app",), "asg"),
    "apigateway.api": (("api-gateway",), "rest_api"),
    "apigateway.stage": (("api-gateway",), "stage"),
    "gcp.zone": (("app",), "zone"),
    "gcp.project": (("app",), "project"),
    "dr.cluster": (("app",), "dr_cluster"),
    "aurora.secondary_cluster": (("postgresql", "mysql"), "dr_cluster"),
    "postgres.database": (("postgresql",), "database"),
    "postgres.user": (("postgresql", "pgbouncer"), "user"),
    "postgres.port": (("postgresql",), "port"),
    "pgbouncer.host": (("pgbouncer",), "host"),
    "pgbouncer.port": (("pgbouncer",), "port"),
    "patroni.cluster": (("patroni", "postgresql"), "cluster"),
    "pgbackrest.stanza": (("pgbackrest", "postgresql"), "stanza"),
    "mysql.database": (("mysql",), "database"),
    "mysql.user": (("mysql",), "user"),
    "mysql.replica": (("mysql",), "replica"),
    "mongodb.database": (("mongodb",), "database"),
    "mongodb.replset": (("mongodb",), "replica_set"),
    "redis.port": (("redis",), "port"),
    "redis.master": (("redis-sentinel", "redis"), "master_name"),
    "memcached.host": (("memcached",), "host"),
    "kafka.group": (("kafka",), "consumer_group"),
    "kafka.connector": (("kafka-connect", "kafka"), "connector"),
    "kafka.connect_cluster": (("kafka-connect",), "cluster"),
    "rabbitmq.queue": (("rabbitmq",), "queue"),
    "rabbitmq.vhost": (("rabbitmq",), "vhost"),
    "rabbitmq.host": (("rabbitmq",), "host"),
    "sqs.queue": (("sqs",), "queue"),
    "sqs.dlq": (("sqs",), "dlq"),
    "dynamodb.table": (("dynamodb",), "table"),
    "pubsub.topic": (("pubsub",), "topic"),
    "pubsub.subscription": (("pubsub",), "subscription"),
    "sns.topic": (("sns",), "topic"),
    "s3.bucket": (("s3",), "bucket"),
    "gcs.bucket": (("gcs",), "bucket"),
    "es.index": (("elasticsearch", "opensearch"), "index"),
    "es.repository": (("elasticsearch", "opensearch"), "repository"),
    "celery.app": (("celery",), "celery_app"),
    "celery.queue": (("celery",), "queue"),
    "dag": (("app", "airflow"), "dag"),
    "schedule": (("app", "airflow"), "schedule"),
    "health.port": (("app",), "health_port"),
    "metrics.port": (("app",), "metrics_port"),
}
# Keys whose every value is wanted (comma-separated), not just the first.
_LISTS = {"compose.services": (("*",), "compose_service"), "hosts": (("app",), "host"),
          "kafka.bootstrap": (("kafka",), "bootstrap")}
_ENGINES = (("postgres", "postgresql"), ("mysql", "mysql"), ("mongodb", "mongodb"), ("redis", "redis"))
_TOOL_URL = re.compile(r"grafana|prometheus|alertmanager|datadoghq|datadog|newrelic|one\.nr|console\.aws|kibana|"
                       r"opensearch|statuspage|status\.|confluence|wiki|notion|docs\.|dashboard|pagerduty|opsgenie|"
                       r"github\.com|gitlab", re.I)


def slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return re.sub(r"-{2,}", "-", slug)[:48].strip("-")


def description_text(description: str) -> str:
    """The description as packs search it: Markdown bold removed, wrapped lines joined."""
    text = re.sub(r"\*\*|__", "", description or "")
    return re.sub(r"[ \t]*\n(?!\s*\n)[ \t]*", " ", text.strip())


def _components(model: ServiceModel, where: Iterable[str]) -> list[Component]:
    out: list[Component] = []
    for ident in where:
        if ident == "*":
            found = list(model.components)
        elif ident == "app":
            found = [model.app] if model.app is not None else []
        else:
            found = [c for c in model.components if c.technology == ident or c.id == ident]
        out += [c for c in found if c not in out]
    return out


def _values(model: ServiceModel, where: Iterable[str], role: str) -> list[str]:
    return [v for c in _components(model, where) for v in c.names_of(role)]


def _first(model: ServiceModel, where: Iterable[str], role: str) -> str | None:
    values = _values(model, where, role)
    return values[0] if values else None


def _engine_component(model: ServiceModel, technology: str) -> Component | None:
    return next((c for c in model.components if c.technology == technology), None)


# A compose listing line: "app — Node 20 …", "- worker: …", "`api` - …" (the service's name first).
_COMPOSE_LINE = re.compile(r"^\s*[-*•]?\s*`?([a-z0-9][\w.-]*)`?\s*(?:—|–|:|\s-\s)", re.M)
_FRONTS = ("proxy", "load-balancer", "cdn")


def _own_compose_service(model: ServiceModel, description: str) -> str | None:
    """The app's compose service when the model gave the app the name of a proxy in front of it (nginx is
    a compose service of the project, not the app): the project's service that is no other component."""
    app = model.app
    given = app.name("compose_service") if app is not None else None
    if app is None or given is None:
        return None
    fronts = [c for c in model.components if c is not app and c.kind in _FRONTS]
    if not any(given.lower() in (c.technology.lower(), c.id.lower()) for c in fronts):
        return None
    others = {w.lower() for c in model.components if c is not app for w in (c.technology, c.id) if w}
    listed = [m.group(1) for m in _COMPOSE_LINE.finditer(description) if "compose" in description.lower()]
    own = [name for name in listed if name.lower() not in others and not any(
        name.lower().startswith(o) or o.startswith(name.lower()) for o in others)]
    return own[0] if own else model.service.name or None


def _escalation_step(who: str, qualifier: str) -> str:
    """"DB on-call {if WAL > 50 GB} after 30 min": who, the condition in braces, the delay last (policy reads
    them in that order)."""
    delay = re.match(r"after \d+ (?:min|h)\b", qualifier)
    condition = qualifier[delay.end():].strip() if delay else qualifier.strip()
    return " ".join(x for x in (who, f"{{{condition}}}" if condition else "", delay.group(0) if delay else "") if x)


def facts_from_model(model: ServiceModel, description: str) -> Facts:
    """The engine's `Facts`, laid out from the model (TEMPORARY adapter, see the module docstring).

    The engine reasons on the model without the description's words that are not names
    (`agent.knowledge.names.plausible`): "the database is down" gives no database called `down`."""
    model = plausible(model)
    facts = Facts(service=model.service.name, display_name=model.service.display,
                  description=description_text(description), model=model)
    given: set[str] = set()
    names: dict[str, str] = {}

    def put(key: str, value: str | None) -> None:
        if value and key not in names:
            names[key] = value

    if model.service.origin != "assumed":
        given.add("service")
    app = model.app
    facts.cloud = model.platform.cloud or None
    regions = [r for r in model.topology.regions if r.role != "dr"]
    facts.region = regions[0].name if regions else (_first(model, ("app",), "region"))
    dr = next((r for r in model.topology.regions if r.role == "dr"), None)
    put("dr.region", dr.name if dr else None)
    namespaces = _values(model, ("app",), "namespace") or _values(model, ("*",), "namespace")
    facts.namespace = namespaces[0] if namespaces else None
    facts.cluster = _first(model, ("app",), "cluster")
    if facts.cluster and model.platform.environment == "docker":
        put("ecs.cluster", facts.cluster)
    for key, (where, role) in KEYS.items():
        put(key, _first(model, where, role))
    for key, (where, role) in _LISTS.items():
        values = list(dict.fromkeys(_values(model, where, role)))
        put(key, ",".join(values))
    if "systemd.unit" in names:
        names["systemd.unit"] = re.sub(r"\.service$", "", names["systemd.unit"])
    put("compose.service", _own_compose_service(model, description)
        or names.get("compose.services", "").split(",")[0])
    functions = _values(model, ("app",), "function")
    if functions:
        put("gcf.function" if model.platform.cloud == "gcp" and "lambda" not in facts.description.lower()
            else "lambda.function", functions[0])

    # data stores: db.* is the first relational / document engine, <engine>.* per engine
    for engine, technology in _ENGINES:
        comp = _engine_component(model, technology)
        if comp is None:
            continue
        database = comp.name("database")
        # on the service's own workload "cluster" is the Kubernetes / ECS cluster, not the engine's
        cluster = comp.name("cluster") if comp is not app or model.platform.environment in ("", "vm", "baremetal") \
            else None
        instance = comp.name("instance") or cluster or comp.name("replication_group")
        # on Docker Compose a service's name is its address on the compose network
        host = (comp.name("compose_service") if model.platform.environment == "docker" else None) or \
            comp.name("host") or comp.name("compose_service") or comp.name("k8s_service")
        if engine != "redis":
            put("db.engine", engine)
            put("db.name", database)
            put("db.instance", instance)
            put("db.host", host)
        put(f"{engine}.database", database)
        put(f"{engine}.instance", instance)
        put(f"{engine}.host", host)
        if instance and comp.variant in ("rds-instance", "aurora", "aurora-global"):
            put("rds.instance", instance)
        if instance and comp.variant == "elasticache":
            put("elasticache.cluster", instance)
    # messaging: the generic keys are the first of any technology
    put("queue", names.get("sqs.queue") or names.get("rabbitmq.queue") or _first(model, ("*",), "queue"))
    put("dlq", _first(model, ("*",), "dlq"))
    topic = _first(model, ("*",), "topic")
    put("topic", topic)
    kafka_topic = _first(model, ("kafka",), "topic")
    put("kafka.topic", kafka_topic or (topic if not (names.get("pubsub.topic") or names.get("sns.topic")) else None))
    put("bucket", names.get("s3.bucket") or names.get("gcs.bucket") or _first(model, ("*",), "bucket"))
    if "bucket" in names and "s3.bucket" not in names and "gcs.bucket" not in names:
        names["gcs.bucket" if model.platform.cloud == "gcp" else "s3.bucket"] = names["bucket"]

    # network
    urls = list(dict.fromkeys(_values(model, ("app",), "url")))
    service_urls = [u for u in urls if not _TOOL_URL.search(u)]
    facts.url = service_urls[0] if service_urls else None
    for index, url in enumerate([u for u in urls if u != facts.url][:6], start=1):
        names[f"url.{index}"] = url
    ports = _values(model, ("app",), "port")
    proxy_ports = [p for c in model.components if c.kind == "proxy" for p in c.names_of("port")]
    if proxy_ports and ports:  # Nginx on 80 proxies to the app server on 8000
        facts.port, names["upstream.port"] = int(proxy_ports[0]), ports[0]
    elif ports or names.get("health.port"):
        facts.port = int(ports[0] if ports else names["health.port"])
    facts.health_path = _first(model, ("app",), "health_path")
    facts.image = names.pop("image", None)
    if app is not None:
        replicas = app.setting("replicas")
        facts.replicas = int(replicas.value) if replicas and replicas.value.isdigit() else None
    facts.language = model.service.runtime or None
    if re.search(r"\bgrpc\b", facts.description, re.I):
        names["protocol"] = "grpc"

    # figures
    availability = model.figure("availability")
    facts.availability_pct = float(availability.value) if availability and availability.origin != "assumed" else None
    latency = next((f for f in model.figures if f.key == "latency" and f.origin != "assumed"), None)
    if latency is not None and latency.number():
        facts.latency_p95_ms = latency.number()
        quantile = latency.qualifier.lstrip("p")
        if quantile and quantile != "95":
            names["latency.quantile"] = quantile
    for key, attr in (("error_rate", "error_rate_pct"),):
        fig = model.figure(key)
        if fig is not None and fig.origin != "assumed" and fig.number() is not None:
            setattr(facts, attr, fig.number())
    for key in ("rto", "rpo"):
        fig = model.figure(key, "") or model.figure(key)  # "RPO 0 …, 5 min if we lose the site": the plain one
        if fig is not None and fig.origin != "assumed" and fig.number() is not None:
            setattr(facts, f"{key}_minutes", int(fig.number() or 0))
    for key, attr in (("backup_retention", "backup_retention"), ("backup_schedule", "backup_schedule")):
        fig = model.figure(key)
        if fig is not None and fig.origin != "assumed":
            setattr(facts, attr, fig.value)
    for fig in model.figures:  # alert thresholds the user gave ("page us when replication lag is above 60 s")
        if fig.key == "threshold" and fig.origin != "assumed" and fig.qualifier:
            names[f"threshold.{fig.qualifier.lower()}"] = f"{fig.value}{fig.unit}"
    for key, name in (("deadline", "deadline"), ("backlog_max", "backlog.max")):
        fig = model.figure(key)
        if fig is not None and fig.origin != "assumed":
            names[name] = fig.value
            held = re.search(r"\bfor\s+(\d+(?:\.\d+)?\s*(?:s|min|h|d))$", fig.qualifier)
            if held:  # "alert when the backlog is over 5k for 10 min": the duration goes with it
                names[f"{name}.for"] = held.group(1)

    # people
    team = model.person("team")
    facts.team = team.value if team is not None and team.origin != "assumed" else None
    if facts.team and oncall_text.is_person(facts.team):
        names["owner.person"] = facts.team  # "Owner Inês Carvalho": a person owns it, not a team
    handover = model.person("handover")
    if handover is not None:  # "I'm off from Monday, Tom is picking this up"
        leaver, _, when = handover.qualifier.partition(" ")
        names["handover.taker"] = handover.value
        names["handover.leaver"] = leaver
        names["handover.when"] = when
    rotation = model.person("rotation")
    facts.rotation = rotation.value if rotation is not None else None
    zones = [p.value for p in model.people_of("timezone")]
    facts.timezone = next((z for z in zones if "/" in z), zones[0] if zones else None)
    # coverage in the team's words ("24/7 for sev1, business hours otherwise"): shown as given, in its zone
    hours = [p.value for p in model.people_of("hours") if p.origin != "assumed"]
    if hours:
        names["oncall.hours"] = "; ".join(dict.fromkeys(hours))
        facts.timezone = next(iter(oncall_text.zones(names["oncall.hours"])), facts.timezone)
    primary = next((p for p in model.people_of("escalation") if p.qualifier.startswith("primary")), None)
    if primary is not None:
        names["oncall.primary"] = primary.value
    channel = _team_channel(model)
    if channel is not None:
        names["slack"] = channel
    pager = model.person("pager")
    if pager is not None:
        names["pager"] = pager.value
    # escalation the user gave: the secondary, each contact with its delay, vendors' support contacts
    secondary = model.person("secondary")
    if secondary is not None:
        names["oncall.secondary"] = secondary.value + (f" ({secondary.qualifier})" if secondary.qualifier else "")
    # "X after 30 min" keeps its delay; any other qualifier ("for anything scary") is the level's condition
    # ("after 30 min if lag stays high": the condition in braces, then the delay)
    steps = [_escalation_step(p.value, p.qualifier) for p in model.people_of("escalation")
             if not p.qualifier.startswith("primary")]
    if steps:
        names["escalation.contacts"] = "; ".join(steps)
    support = [f"{p.value}: {p.qualifier}" for p in model.people_of("vendor") if "@" in p.qualifier or re.search(
        r"\d{6}|portal|case|support|http", p.qualifier)]
    if support:
        names["vendor.support"] = "; ".join(support)
    places = model.people_of("location")
    if places:
        shown = [p.value for p in places]
        names["oncall.regions"] = ", ".join(shown[:-1]) + " and " + shown[-1] if len(shown) > 1 else shown[0]
        located = [p.qualifier for p in places if p.qualifier]
        if located:
            names["oncall.zones"] = ",".join(located)
            facts.timezone = facts.timezone or located[0]
    upstream = [c.purpose or c.id for c in model.components if c.kind == "http-dependency" and not c.technology]
    if upstream:
        names["upstream"] = ",".join(upstream)
    downstream = [c.purpose or c.id for c in model.components if c.kind == "client"]
    if downstream:
        names["downstream"] = downstream[0]

    facts.names = names
    for attr in ("namespace", "cluster", "region", "cloud", "port", "health_path", "url", "image", "replicas",
                 "language", "team", "rotation", "timezone", "availability_pct", "latency_p95_ms", "error_rate_pct",
                 "rto_minutes", "rpo_minutes", "backup_retention", "backup_schedule"):
        if getattr(facts, attr) is not None:
            given.add(attr)
    facts.given = given | {f"names.{key}" for key in names}
    return facts


# --- what the engine assumed, written back into the model ----------------------------------------------

# Facts attributes -> (technologies, role) for recording an assumed default.
_ATTRS: dict[str, tuple[tuple[str, ...], str]] = {
    "namespace": (("app",), "namespace"), "cluster": (("app",), "cluster"), "port": (("app",), "port"),
    "health_path": (("app",), "health_path"), "hosts": (("app",), "host"), "ecs.cluster": (("app",), "cluster"),
    "lambda.function": (("app",), "function"), "gcf.function": (("app",), "function"),
    "compose.service": (("app",), "compose_service"), "queue": (("*",), "queue"), "topic": (("*",), "topic"),
    "bucket": (("*",), "bucket"),
    **{f"{engine}.host": ((tech,), "host") for engine, tech in _ENGINES},
    **{f"{engine}.instance": ((tech,), "instance") for engine, tech in _ENGINES},
    "rds.instance": (("postgresql", "mysql"), "instance"), "elasticache.cluster": (("redis",), "instance"),
    "db.name": (("postgresql", "mysql", "mongodb"), "database"),
    "kafka.brokers": (("kafka",), "bootstrap"), "airflow.scheduler": (("airflow",), "deployment"),
    "redis.sentinel": (("redis-sentinel", "redis"), "host"), "systemd.unit": (("app",), "unit"),
    "compose.file": (("app",), "compose_file"), "lambda.alias": (("app",), "alias"),
    "ecs.service": (("app",), "ecs_service"), "k8s.deployment": (("app",), "deployment"),
    "k8s.statefulset": (("app",), "statefulset"), "postgres.user": (("postgresql",), "user"),
    "mysql.user": (("mysql",), "user"), "kafka.topic": (("kafka",), "topic"), "sqs.queue": (("sqs",), "queue"),
    "rabbitmq.queue": (("rabbitmq",), "queue"), "s3.bucket": (("s3",), "bucket"), "gcs.bucket": (("gcs",), "bucket"),
}
# Figures the policy defaults stand in for: objectives' label -> figure key.
FIGURE_DEFAULTS = {"availability": "availability", "latency": "latency", "error_rate": "error_rate", "rto": "rto",
                   "rpo": "rpo", "backup_schedule": "backup_schedule", "backup_retention": "backup_retention"}


def record_assumptions(model: ServiceModel, assumed: dict[str, tuple[str, str]],
                       figures: dict[str, tuple[str, str, str]] | None = None) -> ServiceModel:
    """A copy of `model` with what the engine assumed added as `origin: assumed` values.

    `assumed` maps facts keys to (value, reason); `figures` maps figure keys to (value, unit, reason).
    A value the model already has in that place is left alone (the model wins).
    """
    out = model.model_copy(deep=True)
    for key, (value, reason) in assumed.items():
        if not value or "${" in value:  # a fill-in variable is no value (knowledge/names.py)
            continue
        if key == "region":
            if not out.topology.regions:
                out.topology.regions = [Region(name=value, role="primary", origin="assumed", evidence=reason, at="")]
            target = out.app
            if target is not None and not target.names_of("region"):
                target.names = [*target.names, Name(role="region", value=value, origin="assumed", evidence=reason,
                                                    at="")]
            continue
        place = _ATTRS.get(key) or KEYS.get(key)
        if place is None:
            continue
        where, role = place
        comps = _components(out, where)
        if not comps:
            continue
        target = comps[0]
        have = target.names_of(role)
        if value in have or (have and role in SINGLE_VALUED):
            continue
        for item in value.split(",") if key == "hosts" else [value]:
            target.names = [*target.names, Name(role=role, value=item, origin="assumed", evidence=reason, at="")]
    for key, (value, unit, reason) in (figures or {}).items():
        if out.figure(key) is None and value:
            qualifier = "p95" if key == "latency" else ""
            out.figures = [*out.figures, Figure(key=key, value=value, unit=unit, qualifier=qualifier,
                                                origin="assumed", evidence=reason, at="")]
    return ServiceModel.model_validate(out.model_dump())


def _team_channel(model: ServiceModel) -> str | None:
    """The team's own channel among those the description names: one labelled as the team's chat
    ("Chat: #gw-platform", "Questions: #ci-help") before one to ping another team on ("usually the SAN,
    ping #dc-storage", "Storage team: #dc-storage") or an incident's own channel ("#inc-2291-jenkins-disk")."""
    channels = model.people_of("channel")
    team = model.person("team")
    ours = set(team.value.lower().split()) if team is not None else set()

    def rank(person: Person) -> int:
        name = re.escape(person.value)
        said = person.evidence
        score = 0
        if re.search(rf"(?i)\b(?:chat|slack|channel|questions?|help|owners?|our|we're\s+in|we\s+are\s+in)\b"
                     rf"[^#.;|]{{0,12}}{name}", said):
            score -= 2
        other = re.search(rf"\b([A-Z][\w-]*)\s+team\s*[:=]\s*{name}", said)
        if re.search(rf"(?i)\b(?:ping|ask|tell|notify|contact|cc)\s+{name}", said) or (
                other and other.group(1).lower() not in ours):
            score += 2  # another team's channel, to reach them
        if re.fullmatch(r"#(?:inc|incident)[-_]?\d[\w-]*", person.value):
            score += 3  # one incident's channel
        return score

    ranked = sorted(range(len(channels)), key=lambda i: (rank(channels[i]), i))
    return channels[ranked[0]].value if ranked else None
