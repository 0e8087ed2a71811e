"""The `ServiceModel`: what the agent understood about a service, every value with where it came from.

One explicit model sits between every input (a description, a repository, the user's corrections, an
LLM's reading) and every output (the runbook, its checks). The generator reads only this model; a name
that is not in it cannot appear in a command (a guarded shell variable stands in for it instead).

Shape (strict-output friendly, see shared/docs/llm-notes.md: closed objects, no dicts, enums as
Literals, no recursion, lists of typed key/value items instead of many optional fields):

    ServiceModel
    ├── service        name, display name, kind, purpose, runtime          (+ source)
    ├── platform       environment and cloud the description points at     (+ source)
    ├── components[]   the service's own workloads and everything it uses
    │   ├── technology, kind (what it is to the service), form (managed / host / in-cluster /
    │   │   container / serverless), variant (rds-instance, aurora, patroni, elasticache …)
    │   ├── names[]        {role, value}: deployment, namespace, queue, consumer_group, host …
    │   ├── settings[]     {key, value, unit}: pool_size, replication_factor, retention …
    │   ├── controllers[]  {aspect, by}: who owns replicas / config / deploys / failover
    │   └── holds[]        what data it keeps (sessions, state, cache …): decides what is safe to flush
    ├── relationships[]  {source, target, kind}: writes, reads, health_depends_on, fronted_by …
    ├── figures[]        {key, value, unit, qualifier}: availability, latency p99, RTO …
    ├── people[]         {role, value, qualifier}: team, channel, pager, rotation, escalation …
    ├── topology         mode (single / active-active / active-passive) and regions / sites
    ├── alerts[]         alert rules the service already has (name, expression, for, severity, labels)
    ├── failures[]       failure modes and rules the team names ("known failure: …", "never restart all
    │                    nodes at once"): component, trigger, consequence, the team's action / prohibition
    ├── unbound[]        names seen but not bound to a role (asked about on a terminal)
    └── conflicts[]      where two sources disagree (description vs flags, description vs files)

Every leaf item carries `origin` (given / assumed / confirmed / edited / repository / llm),
`evidence` (the words it came from, or why it was assumed) and `at` ("file:line" for repository
values, "" otherwise). Files a user edits may leave those out: missing provenance reads as `edited`,
and a `names:` mapping (`{deployment: orders-api}`) is accepted for a list of names.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, model_validator

SCHEMA_VERSION = 1

Origin = Literal["given", "assumed", "confirmed", "edited", "repository", "llm"]

# Names by role. A role is read in the context of its component: `cluster` on the service's own
# Kubernetes workload is the Kubernetes cluster, on a Kafka component the Kafka cluster, on Aurora the
# DB cluster identifier; `instance` is an RDS / Cloud SQL instance or an EC2 instance id.
Role = Literal[
    # Kubernetes and Helm / Argo CD
    "deployment", "statefulset", "daemonset", "cronjob", "job", "namespace", "cluster", "context",
    "release", "chart", "argocd_app", "k8s_service", "selector", "container", "image", "hpa", "configmap",
    # Docker Compose, ECS
    "compose_file", "compose_project", "compose_service", "ecs_service", "task_definition",
    # hosts and processes
    "host", "unit", "timer", "config_file", "log_path", "data_dir", "volume",
    # functions and cloud resources
    "function", "alias", "instance", "asg", "target_group", "load_balancer", "zone", "project",
    "resource_group", "account", "log_group", "region",
    # network
    "url", "dns_name", "port", "health_port", "metrics_port", "health_path",
    # data stores
    "database", "schema", "table", "user", "replica", "global_cluster", "replication_group",
    "stanza", "replica_set", "index", "keyspace", "bucket", "prefix", "master_name", "slot", "publication",
    "volume", "repository",
    # messaging
    "queue", "dlq", "topic", "consumer_group", "subscription", "exchange", "vhost", "stream",
    "bootstrap", "connector", "celery_app",
    # API gateways
    "stage", "rest_api",
    # pipelines
    "dag", "schedule",
    # orchestration: a Step Functions state machine, a Logic App, a Workflows workflow
    "state_machine",
    # managed runtimes: the MWAA / Cloud Composer environment
    "environment",
    # disaster recovery: the standby's cluster
    "dr_cluster",
]
ROLES: tuple[str, ...] = get_args(Role)

# What a component is to the service.
Kind = Literal[
    "service",  # the service's own workload (an API, a worker, a job); a service may have several
    "database", "cache", "session-store", "queue", "stream", "broker", "pooler", "proxy",
    "load-balancer", "search", "object-store", "scheduler", "ha-manager", "backup", "cdn",
    "http-dependency",  # another service or a third-party API the service calls
    "client",  # a service that calls this one (downstream consumers)
    "other",
]

# How a component runs. The variant says which product of that form ("rds-instance", "aurora",
# "aurora-global", "elasticache", "msk", "patroni", "strimzi", "memorystore", "cloud-sql" …).
Form = Literal["managed", "host", "cluster-workload", "container", "serverless", "unknown"]

RelationKind = Literal[
    "depends_on",  # needs it, nothing more said
    "health_depends_on",  # its readiness / health check fails when the target is down
    "reads", "writes", "caches_in", "stores_sessions_in", "publishes_to", "consumes_from",
    "triggered_by", "fronted_by", "pools_through", "calls", "replicates_to", "backs_up_to",
    "schedules",
]

Aspect = Literal["replicas", "config", "deploy", "failover", "schedule", "restart"]

Holds = Literal["sessions", "cache", "state", "jobs", "events", "source-of-truth", "locks", "rate-limits", "files"]

FigureKey = Literal[
    "availability", "slo_window", "latency", "error_rate", "throughput", "freshness", "deadline",
    "rto", "rpo", "backup_schedule", "backup_retention", "backlog_max", "threshold",
]

PersonRole = Literal[
    "team", "channel", "pager", "rotation", "secondary", "escalation", "manager", "hours", "timezone",
    "handoff", "vendor", "email", "location",  # location: where on-call people sit ("Dublin")
    "handover",  # who takes over (value) from whom, when ("I from Monday"): they come first in the escalation
]

TopologyMode = Literal["single", "active-active", "active-passive", "multi-site", "unknown"]
RegionRole = Literal["primary", "active", "standby", "dr", "replica"]
# what a command the team wrote in the description is for ("deploys are `cap production deploy`")
Purpose = Literal["deploy", "rollback", "restart", "reload", "health", "logs", "status", "scale", "failover",
                  "backup", "restore", "drain", "other"]


class _Closed(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class Sourced(_Closed):
    """Provenance every leaf value carries. Missing keys (a hand-edited file) read as `edited`."""

    origin: Origin
    evidence: str  # the description's words, "why it was assumed", or the repository line's text
    at: str  # "path/to/file.yaml:12" for a repository value, "" otherwise

    @model_validator(mode="before")
    @classmethod
    def _fill_provenance(cls, data: Any) -> Any:
        if isinstance(data, dict):
            data = dict(data)
            data.setdefault("origin", "edited")
            data.setdefault("evidence", "")
            data.setdefault("at", "")
        return data

    @property
    def assumed(self) -> bool:
        return self.origin == "assumed"


class Name(Sourced):
    role: Role
    value: str


class Setting(Sourced):
    key: str  # pool_size, max_connections, replication_factor, min_insync_replicas, partitions, retention,
    #           timeout, visibility_timeout, max_receive_count, concurrency, batch_size, replicas,
    #           replicas_min, replicas_max, pool_mode, maxmemory_policy, tls, schedule …
    value: str
    unit: str  # "", "s", "ms", "min", "h", "d", "MB", "%", "connections" …


class Controller(Sourced):
    """Who owns a kind of change, so a runbook goes through it instead of fighting it."""

    aspect: Aspect
    by: str  # argocd, flux, hpa, keda, asg, patroni, ansible, puppet, terraform, ecs, lambda …


class Component(_Closed):
    id: str  # stable within the model: "app", "postgresql", "redis-sessions" …
    technology: str  # vocabulary id: postgresql, redis, kafka, nginx, nodejs, python …; "" if unknown
    kind: Kind
    form: Form
    variant: str  # "" when the description doesn't say
    version: str
    purpose: str  # what the service uses it for, in the description's words
    names: list[Name]
    settings: list[Setting]
    controllers: list[Controller]
    holds: list[Holds]
    origin: Origin
    evidence: str
    at: str

    @model_validator(mode="before")
    @classmethod
    def _lenient(cls, data: Any) -> Any:
        if isinstance(data, dict):
            data = dict(data)
            for key in ("names", "settings", "controllers", "holds"):
                data.setdefault(key, [])
            for key in ("variant", "version", "purpose", "technology", "evidence", "at"):
                data.setdefault(key, "")
            data.setdefault("form", "unknown")
            data.setdefault("kind", "other")
            data.setdefault("origin", "edited")
            names = data.get("names")
            if isinstance(names, dict):  # {deployment: orders-api, host: [a, b]}
                data["names"] = [{"role": role, "value": str(v)} for role, value in names.items()
                                 for v in (value if isinstance(value, list) else [value])]
        return data

    # --- reading --------------------------------------------------------------------------------
    def name(self, role: str) -> str | None:
        """The first value of `role`, or None."""
        return next((n.value for n in self.names if n.role == role), None)

    def names_of(self, role: str) -> list[str]:
        return [n.value for n in self.names if n.role == role]

    def name_item(self, role: str) -> Name | None:
        return next((n for n in self.names if n.role == role), None)

    def setting(self, key: str) -> Setting | None:
        return next((s for s in self.settings if s.key == key), None)

    def controller(self, aspect: str) -> str | None:
        return next((c.by for c in self.controllers if c.aspect == aspect), None)

    # --- writing --------------------------------------------------------------------------------
    def add_name(self, role: Role, value: str, origin: Origin = "given", evidence: str = "", at: str = "") -> Name:
        """Add a name unless this component already has it in that role (returns the kept one)."""
        for existing in self.names:
            if existing.role == role and existing.value == value:
                return existing
        item = Name(role=role, value=value, origin=origin, evidence=evidence, at=at)
        self.names = [*self.names, item]
        return item


class Relationship(Sourced):
    source: str  # component id
    target: str  # component id
    kind: RelationKind
    detail: str  # "stores orders", "readiness probe checks the database"


class Figure(Sourced):
    key: FigureKey
    value: str  # "99.95", "250", "08:00 UTC", "35 days"
    unit: str  # "%", "ms", "min", "days", "" …
    qualifier: str  # "p99" for latency, "30d" window, the metric a user threshold is about …

    def number(self) -> float | None:
        try:
            return float(self.value)
        except ValueError:
            return None


class Person(Sourced):
    role: PersonRole
    value: str  # "Commerce Platform", "#orders-oncall", "PagerDuty", "orders-primary" …
    qualifier: str  # escalation: "after 20 min"; vendor: what for; hours: "09:00-18:00"


class Region(Sourced):
    name: str
    role: RegionRole


class Topology(_Closed):
    mode: TopologyMode
    regions: list[Region]
    sites: list[str]  # datacenters / availability zones named in the description

    @model_validator(mode="before")
    @classmethod
    def _lenient(cls, data: Any) -> Any:
        if isinstance(data, dict):
            data = dict(data)
            data.setdefault("mode", "unknown")
            data.setdefault("regions", [])
            data.setdefault("sites", [])
        return data


class ServiceInfo(Sourced):
    name: str  # slug used in file names and as the last-resort workload name: "orders-api"
    display: str  # "Orders API"
    kind: str  # web, api, worker, pipeline, database, other ("" when the description doesn't say)
    purpose: str
    runtime: str  # "Node.js 20", "Python 3.12", "" …


class PlatformInfo(Sourced):
    environment: str  # kubernetes, docker, vm, serverless, baremetal ("" when the description doesn't say)
    cloud: str  # aws, gcp, azure, ""


class Label(_Closed):
    key: str
    value: str


class AlertRule(Sourced):
    """An alert the service already has (read from a repository's rule files, or given by the user)."""

    name: str
    expr: str  # the query as written ("" for a described alert with no query)
    duration: str  # "for:" ("5m"), "" when none
    severity: str
    labels: list[Label]
    summary: str
    runbook_url: str
    source_format: str  # prometheus, prometheusrule, datadog, cloudwatch, description


FailureKind = Literal[
    "failure",  # a failure mode the team has seen or fears ("known failure: …", "we've been bitten by …")
    "rule",  # an operational instruction ("never restart all nodes at once", "scale beat to exactly one")
]


class FailureMode(Sourced):
    """A failure mode or rule in the team's own words (`evidence`), bound to the component it concerns.

    The parts are cut from the same words: what sets it off (`trigger`), what follows (`consequence`),
    what the team says to do (`action`: one step per line when the team gave a procedure in order) and
    never to do (`prohibition`); "" where the words don't say."""

    kind: FailureKind
    component: str  # component id the sentence is about ("" when it names none the model has)
    related: list[str]  # other component ids the sentence names (the trigger's, the consequence's)
    title: str  # a listed item's own title ("Hot partition"); "" when the sentence gives none
    trigger: str
    consequence: str
    action: str
    prohibition: str

    @model_validator(mode="before")
    @classmethod
    def _lenient(cls, data: Any) -> Any:
        if isinstance(data, dict):
            data = dict(data)
            data.setdefault("kind", "failure")
            data.setdefault("related", [])
            for key in ("component", "title", "trigger", "consequence", "action", "prohibition"):
                data.setdefault(key, "")
        return data


class Unbound(_Closed):
    """A name-like word the parser could not bind to a role with confidence."""

    text: str
    evidence: str  # the sentence it appeared in
    guess_role: str  # the role it would have, "" if none
    guess_component: str  # component id it would belong to, "" if none
    reason: str


class Conflict(_Closed):
    """Two sources disagree; `chosen` is what the runbook uses ("" until resolved)."""

    subject: str  # "platform.environment", "components[app].names.namespace"
    values: list[str]
    sources: list[str]  # where each value came from, in the same order
    chosen: str
    resolved_by: str  # "user", "flag", "description", "repository", "" (unresolved: recorded as assumed)


class TeamCommand(Sourced):
    """A command the team gave for one operation: the runbook uses it as written instead of a generic one."""

    purpose: Purpose
    command: str


class ServiceModel(_Closed):
    schema_version: int
    service: ServiceInfo
    platform: PlatformInfo
    components: list[Component]
    relationships: list[Relationship]
    figures: list[Figure]
    people: list[Person]
    topology: Topology
    alerts: list[AlertRule]
    failures: list[FailureMode]
    unbound: list[Unbound]
    conflicts: list[Conflict]
    procedures: list[TeamCommand]

    @model_validator(mode="before")
    @classmethod
    def _lenient(cls, data: Any) -> Any:
        if isinstance(data, dict):
            data = dict(data)
            data.setdefault("schema_version", SCHEMA_VERSION)
            for key in ("components", "relationships", "figures", "people", "alerts", "failures", "unbound",
                        "conflicts", "procedures"):
                data.setdefault(key, [])
            data.setdefault("topology", {})
            data.setdefault("platform", {"environment": "", "cloud": ""})
        return data

    @model_validator(mode="after")
    def _consistent(self) -> ServiceModel:
        if self.schema_version != SCHEMA_VERSION:
            raise ValueError(f"schema_version {self.schema_version} is not supported (this agent reads "
                             f"{SCHEMA_VERSION})")
        ids = [c.id for c in self.components]
        duplicate = next((i for i in ids if ids.count(i) > 1), None)
        if duplicate:
            raise ValueError(f"component id {duplicate!r} is used twice")
        for rel in self.relationships:
            for end in (rel.source, rel.target):
                if end not in ids:
                    raise ValueError(f"relationship {rel.source} -> {rel.target}: no component with id {end!r}")
        for failure in self.failures:
            for end in (failure.component, *failure.related):
                if end and end not in ids:
                    raise ValueError(f"failure {failure.evidence[:40]!r}: no component with id {end!r}")
        return self

    # --- reading --------------------------------------------------------------------------------
    @classmethod
    def empty(cls, name: str = "service", display: str = "Service") -> ServiceModel:
        return cls.model_validate({
            "service": {"name": name, "display": display, "kind": "", "purpose": "", "runtime": "",
                        "origin": "assumed", "evidence": "the description names no service"},
            "platform": {"environment": "", "cloud": "", "origin": "assumed", "evidence": ""},
        })

    def component(self, ident: str) -> Component | None:
        """The component with this id, else the first whose technology is `ident`."""
        return next((c for c in self.components if c.id == ident), None) or next(
            (c for c in self.components if c.technology == ident), None)

    def components_of(self, technology: str) -> list[Component]:
        return [c for c in self.components if c.technology == technology]

    def workloads(self) -> list[Component]:
        """The service's own workloads (kind "service"), in the order the description gave them."""
        return [c for c in self.components if c.kind == "service"]

    @property
    def app(self) -> Component | None:
        """The service's main workload."""
        own = self.workloads()
        return own[0] if own else None

    def related(self, source: str, *kinds: str) -> list[Component]:
        """Components `source` has a relationship of one of `kinds` with (all kinds when none given)."""
        out = []
        for rel in self.relationships:
            if rel.source == source and (not kinds or rel.kind in kinds):
                target = self.component(rel.target)
                if target is not None and target not in out:
                    out.append(target)
        return out

    def figure(self, key: str, qualifier: str | None = None) -> Figure | None:
        return next((f for f in self.figures if f.key == key and (qualifier is None or f.qualifier == qualifier)),
                    None)

    def person(self, role: str) -> Person | None:
        return next((p for p in self.people if p.role == role), None)

    def people_of(self, role: str) -> list[Person]:
        return [p for p in self.people if p.role == role]

    def all_names(self) -> Iterator[tuple[Component, Name]]:
        for component in self.components:
            for name in component.names:
                yield component, name

    def sourced(self) -> Iterator[Provenance]:
        """Every sourced value with a readable path ("components[app].names.namespace")."""
        yield Provenance("service.name", self.service.name, self.service.origin, self.service.evidence, self.service.at)
        if self.platform.environment or self.platform.cloud:
            yield Provenance("platform", " / ".join(v for v in (self.platform.environment, self.platform.cloud) if v),
                             self.platform.origin, self.platform.evidence, self.platform.at)
        for c in self.components:
            yield Provenance(f"components[{c.id}]", f"{c.technology or c.kind} ({c.form})", c.origin, c.evidence,
                             c.at)
            for n in c.names:
                yield Provenance(f"components[{c.id}].names.{n.role}", n.value, n.origin, n.evidence, n.at)
            for s in c.settings:
                yield Provenance(f"components[{c.id}].settings.{s.key}", f"{s.value}{s.unit}", s.origin, s.evidence,
                                 s.at)
            for k in c.controllers:
                yield Provenance(f"components[{c.id}].controllers.{k.aspect}", k.by, k.origin, k.evidence, k.at)
        for r in self.relationships:
            yield Provenance(f"relationships[{r.source}->{r.target}]", r.kind, r.origin, r.evidence, r.at)
        for f in self.figures:
            label = f"{f.key} {f.qualifier}".strip()
            yield Provenance(f"figures.{label}", f"{f.value}{f.unit}", f.origin, f.evidence, f.at)
        for p in self.people:
            yield Provenance(f"people.{p.role}", p.value, p.origin, p.evidence, p.at)
        for g in self.topology.regions:
            yield Provenance(f"topology.regions.{g.role}", g.name, g.origin, g.evidence, g.at)
        for a in self.alerts:
            yield Provenance(f"alerts.{a.name}", a.expr, a.origin, a.evidence, a.at)
        for x in self.failures:
            yield Provenance(f"failures.{x.kind}[{x.component}]", x.consequence or x.prohibition or x.action,
                             x.origin, x.evidence, x.at)

    def assumptions(self) -> list[str]:
        """One line per assumed value, for the runbook's "Assumed, not told"."""
        lines = [f"{p.path} = {p.value!r}" + (f" ({p.evidence.split('; from:')[0]})" if p.evidence else "")
                 for p in self.sourced() if p.origin == "assumed"]
        for conflict in self.conflicts:
            if not conflict.resolved_by:
                lines.append(f"{conflict.subject}: sources disagree ({', '.join(conflict.values)}); "
                             f"used {conflict.chosen or conflict.values[0]!r}")
        for item in self.unbound:
            guess = f"; perhaps the {item.guess_role.replace('_', ' ')} of {item.guess_component}" \
                if item.guess_role else ""
            lines.append(f"'{item.text}' from the description is not used: it could not be placed{guess}")
        return lines


@dataclass(frozen=True)
class Provenance:
    path: str
    value: str
    origin: str
    evidence: str
    at: str


def json_schema() -> dict[str, Any]:
    return ServiceModel.model_json_schema()


def schema_text() -> str:
    """The text of schemas/service.schema.json; a test fails when the file is stale."""
    return json.dumps(json_schema(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":  # python -m agent.service.model > schemas/service.schema.json
    print(schema_text(), end="")
