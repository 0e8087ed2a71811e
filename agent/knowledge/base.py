"""What the offline engine and the prompts share: facts from the description, the answers, and the
parts each piece of knowledge contributes to a runbook.

Knowledge never imports a model client. A knowledge pack is a small unit (one module under
`agent/knowledge/packs/`, or a third-party entry point in the `runbook_agent.packs` group) that
says when it applies and what it adds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Protocol

from agent.answers import Answers
from agent.knowledge.names import built_on_service, fill_in, reference
from agent.knowledge.signals import Signal
from agent.runbook import Alert, Command, Component, Downstream, Issue, KeyMetric, Procedure, Upstream
from agent.service.model import ServiceModel


@dataclass
class Facts:
    """What the description says. A figure the user gave wins over any default.

    `names` holds technology-specific resource names under dotted keys, e.g. "postgres.database",
    "redis.host", "sqs.queue", "kafka.topic", "s3.bucket"; packs read them with a default.
    `given` records which fields came from the description (the rest are defaults, shown as such).
    """

    service: str  # slug used in commands: "orders-api"
    display_name: str  # "Orders API"
    description: str
    namespace: str | None = None
    cluster: str | None = None
    region: str | None = None
    cloud: str | None = None  # "aws", "gcp", "azure"
    port: int | None = None
    health_path: str | None = None
    url: str | None = None
    image: str | None = None
    replicas: int | None = None
    language: str | None = None  # runtime: "Node.js 20", "Python 3.12"
    team: str | None = None
    rotation: str | None = None
    timezone: str | None = None
    availability_pct: float | None = None
    latency_p95_ms: float | None = None
    error_rate_pct: float | None = None
    rto_minutes: int | None = None
    rpo_minutes: int | None = None
    backup_retention: str | None = None
    backup_schedule: str | None = None
    names: dict[str, str] = field(default_factory=dict)
    given: set[str] = field(default_factory=set)
    # What the engine assumed for a key the model had no value for: key -> (value, why). Written back
    # into the saved model as `origin: assumed` (agent.knowledge.facts.record_assumptions).
    assumed: dict[str, tuple[str, str]] = field(default_factory=dict)
    # The model the facts were laid out from (None for facts built by hand): what knowledge reasons
    # over directly (relationships, settings, holds, topology: agent.knowledge.reasoning).
    model: ServiceModel | None = None

    # Shell variables commands use for names the model does not give (variable -> facts key): see `name`.
    fill_ins: dict[str, str] = field(default_factory=dict)

    def name(self, key: str, default: str) -> str:
        """The model's name for `key`; else `default`, unless that would be made from the service's slug
        (`orders-api-db`): then a guarded shell variable (`${POSTGRES_HOST}`) the runbook declares and lists."""
        if key in self.names:
            return self.names[key]
        if default == self.service and _own_workload(self.description, self.service):
            return default  # "tally-export … it is a CronJob": the service's own name is its workload's
        variable = fill_in(key, default, self.service)
        # kept: a conventional default, or one made from a given name that extends the slug
        # (`hopper-rmq-server-0` from the StatefulSet `hopper-rmq-server` of the service `hopper-rmq`)
        slugs = {self.service, self.service.replace("-", "_")}
        if variable is None or any(v in default and v not in slugs and built_on_service(v, self.service)
                                   for v in self.names.values()):
            return default
        self.fill_ins.setdefault(variable, key)
        return reference(variable)

    def assume(self, key: str, value: str, why: str) -> None:
        self.assumed.setdefault(key, (value, why))


_KIND = r"(?:cron ?job|stateful ?set|deployment|daemon ?set|job|container|systemd unit|unit)"


def _own_workload(description: str, service: str) -> bool:
    """Whether the text says the service itself is a workload of a kind ("x is a CronJob", "StatefulSet
    `x`"), so the service's name is that workload's name, not a default made from a slug."""
    name = re.escape(service)
    return re.search(rf"(?i)\b{name}\b[^.\n]*?\b(?:is|runs as)\s+(?:a|an)\s+(?:[\w-]+\s+){{0,4}}?{_KIND}\b|"
                     rf"\b{_KIND}\s+(?:named\s+|called\s+)?[`'\"]?{name}\b|"
                     rf"\bit\s+(?:is|runs\s+as)\s+(?:a|an)\s+(?:[\w-]+\s+){{0,2}}?{_KIND}\b",
                     description) is not None


@dataclass(frozen=True)
class Context:
    """Everything a piece of knowledge may look at to tailor what it adds."""

    answers: Answers
    facts: Facts

    @property
    def text(self) -> str:
        return self.facts.description.lower()

    @property
    def model(self) -> ServiceModel | None:
        return self.facts.model


@dataclass
class Contribution:
    """What one pack adds to a runbook; the engine merges contributions in pack order."""

    components: list[Component] = field(default_factory=list)
    upstream: list[Upstream] = field(default_factory=list)
    downstream: list[Downstream] = field(default_factory=list)
    key_metrics: list[KeyMetric] = field(default_factory=list)
    prerequisites: list[str] = field(default_factory=list)
    deploy_caveats: list[str] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    signals: list[Signal] = field(default_factory=list)  # what to alert on; the engine renders them per stack
    log_queries: list[Command] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    stop_writes: list[Command] = field(default_factory=list)
    assess: list[Command] = field(default_factory=list)
    restore: list[Command] = field(default_factory=list)
    daily: list[str] = field(default_factory=list)
    weekly: list[str] = field(default_factory=list)
    monthly: list[str] = field(default_factory=list)
    maintenance_commands: list[Command] = field(default_factory=list)
    dr_procedures: list[Procedure] = field(default_factory=list)
    cheatsheet: list[Command] = field(default_factory=list)
    environment_variables: list[tuple[str, str]] = field(default_factory=list)
    vendors: list[tuple[str, str]] = field(default_factory=list)  # (vendor, purpose)
    assumed: list[tuple[str, str]] = field(default_factory=list)  # (facts key, default value) a pack used
    # What a troubleshooting entry (by title) covers: "queue_backlog", "crash" … (knowledge/covers.py).
    # The engine's own entry with the same key gives way to it (alerts merge by `Signal.covers`).
    covers: dict[str, str] = field(default_factory=dict)


class Pack(Protocol):
    """One technology's knowledge."""

    name: str  # "postgresql"
    summary: str  # one line for `agent packs`

    def detect(self, ctx: Context) -> str | None:
        """Why this pack applies ("description mentions 'RDS PostgreSQL'"), or None."""
        ...

    def contribute(self, ctx: Context) -> Contribution:
        ...
