"""What the service model says the service IS, so contributions that do not fit are dropped.

Every contribution (a baseline signal of a service type, an environment's alert, a pack's entry) may
declare what it needs of the service (`Need`): request metrics need a workload that serves HTTP, a host
disk alert needs a disk of the service's own, "missed its schedule" needs a schedule. The engine keeps
a contribution only when the `Shape` read from the model has every need (`fits`). The shape is read
from the model's components, relationships, names and settings — never from words of the description —
so a name the user gives in a form ("health_path: /healthz") counts the same as one in prose.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, get_args

from agent.service.model import Component, ServiceModel, Setting

Need = Literal[
    "http",  # the service's own workload answers HTTP requests (request rate, 5xx, latency)
    "hosts",  # it runs on hosts the team operates (systemd units, a journal, a host disk)
    "own_disk",  # it has a disk of its own to fill (not a function, an ECS task, a Deployment's pods)
    "schedule",  # it runs on a schedule (runs can fail or be missed)
    "stream",  # it runs continuously behind a stream or queue (lag, never a missed run)
    "second_site",  # the model states a second region, DR region or DR cluster to recover into
    "on_call",  # a team is on call (incident roles, paging) — not "no formal on-call"
    "own_data",  # the service keeps data of its own (a database engine, state, volumes, backups of it)
    "operates",  # the team runs the engine of a store itself (read per store: "operates:postgresql")
]
NEEDS: tuple[str, ...] = get_args(Need)

# What a service IS, by its technology's kind: these serve no HTTP requests of their own, so request
# error rates and latencies are not their signals (their pack's are).
NON_HTTP_KINDS = frozenset({"database", "queue", "stream", "broker", "cache", "session-store", "search", "pooler",
                            "ha-manager", "backup", "scheduler", "object-store"})
# Kinds of component that answer HTTP in front of or as the service (a reverse proxy, a load balancer).
_HTTP_KINDS = frozenset({"proxy", "load-balancer", "cdn"})
# Kinds that carry messages a workload reads continuously.
_STREAM_KINDS = frozenset({"stream", "queue", "broker"})
# Names that only an HTTP workload has.
_HTTP_NAMES = ("url", "health_path", "k8s_service", "load_balancer", "target_group", "rest_api", "stage",
               "dns_name")
_SCHEDULE_NAMES = ("schedule", "cronjob", "timer", "dag")
_READ_ONLY = re.compile(r"^(?:read[_-]?only|readonly|maintenance[_-]?mode|write[_-]?freeze)", re.I)


@dataclass(frozen=True)
class Shape:
    """The needs the model meets, and why (shown with --verbose)."""

    has: frozenset[str]
    why: tuple[str, ...] = ()

    def __contains__(self, need: object) -> bool:
        return need in self.has


def fits(requires: Iterable[str], shape: Shape, technology: str = "") -> bool:
    """Whether a contribution that needs `requires` applies to a service of this shape. `technology`:
    whose engine `operates` asks about (a pack's own store)."""
    return all((f"operates:{technology}" if need == "operates" else need) in shape for need in requires)


def serves_http(model: ServiceModel, service_type: str, technology_kind: str = "") -> tuple[bool, str]:
    """Whether the service's own workload answers HTTP requests, and the evidence.

    Web and API services do. Workers, pipelines and databases do not (their clients are queues, schedules
    or database drivers). Any other service does when the model says so — a URL or health path of its own,
    a load balancer or proxy in front of it, callers, or its technology being a proxy — and otherwise not:
    request metrics are never assumed for a secrets store, a search cluster or a stream processor.
    """
    if service_type in ("web", "api"):
        return True, f"service type {service_type}"
    if service_type in ("worker", "pipeline", "database"):
        return False, f"service type {service_type} serves no HTTP requests of its own"
    if technology_kind in _HTTP_KINDS:
        return True, f"the service is a {technology_kind}"
    if technology_kind in NON_HTTP_KINDS:  # its API is the engine's own: its pack watches it, not 5xx rates
        return False, f"the service is a {technology_kind} engine (its own signals come from its pack)"
    app = model.app
    if app is None:
        return False, "the model has no workload of the service's own"
    named = next((role for role in _HTTP_NAMES if app.name(role)), None)
    if named:
        return True, f"the model gives the service a {named.replace('_', ' ')}"
    front = next((c for c in model.related(app.id, "fronted_by") if c.kind in _HTTP_KINDS), None)
    if front is not None:
        return True, f"{front.technology or front.id} is in front of it"
    callers = [r for r in model.relationships if r.target == app.id and r.kind in ("calls", "fronted_by")]
    if callers or any(c.kind == "client" for c in model.components):
        return True, "other services call it"
    return False, "the model gives it no URL, health path, load balancer or callers"


def scheduled(model: ServiceModel, schedule: str | None = None) -> bool:
    """Whether the service runs on a schedule: a schedule, CronJob, timer or DAG in the model, or a
    scheduler that schedules it."""
    if schedule:
        return True
    for component in model.workloads():
        if any(component.name(role) for role in _SCHEDULE_NAMES) or component.setting("schedule") is not None \
                or component.controller("schedule"):
            return True
    app = model.app
    if app is None:
        return False
    return any((r.kind == "schedules" and r.target == app.id) or (
        r.kind == "triggered_by" and r.source == app.id and _kind(model, r.target) == "scheduler")
        for r in model.relationships)


def streams(model: ServiceModel, schedule: str | None = None) -> bool:
    """Whether the service runs continuously behind a stream or queue it reads (and on no schedule)."""
    app = model.app
    if app is None or scheduled(model, schedule):
        return False
    reads = model.related(app.id, "consumes_from", "triggered_by", "reads", "depends_on")
    return any(c.kind in _STREAM_KINDS for c in reads)


def _kind(model: ServiceModel, ident: str) -> str:
    component = model.component(ident)
    return component.kind if component is not None else ""


def second_site(model: ServiceModel, names: dict[str, str] | None = None) -> tuple[bool, str]:
    """Whether the model states somewhere else to recover into: a DR / standby / replica region, two or
    more regions, a multi-site topology, or a DR cluster name (never assumed)."""
    regions = model.topology.regions
    other = next((r for r in regions if r.role in ("standby", "dr", "replica")), None)
    if other is not None:
        return True, f"{other.role} region {other.name}"
    if len({r.name for r in regions}) > 1:
        return True, "regions " + ", ".join(sorted({r.name for r in regions}))
    if model.topology.mode in ("active-active", "active-passive", "multi-site"):
        return True, f"topology {model.topology.mode}"
    named = next((n.value for _, n in model.all_names() if n.role == "dr_cluster"), None) or \
        (names or {}).get("dr.region") or (names or {}).get("dr.cluster")
    if named:
        return True, f"DR location {named}"
    return False, "the model states no second region, site or DR cluster"


_STORE_KINDS = frozenset({"database", "cache", "session-store", "queue", "stream", "broker", "search", "pooler"})


def operated(model: ServiceModel, service_type: str, description: str = "") -> frozenset[str]:
    """Technologies of the stores whose engine the team runs itself: the service when it is a database,
    and each store that is not a managed product or run by a provider (RDS, Cloud SQL, Aiven, a vendor)."""
    from agent.knowledge import store_roles  # imports the platforms, which import this module

    out: set[str] = set()
    app = model.app
    if service_type == "database" and app is not None and app.technology:
        out.add(app.technology)
    for component in model.components:
        if component.kind in _STORE_KINDS and component.technology and self_managed(component) and \
                store_roles.provider(component, description) is None:
            out.add(component.technology)
    return frozenset(out)


def shape_of(model: ServiceModel, service_type: str, *, technology_kind: str = "", hosts: bool = False,
             own_disk: bool = False, schedule: str | None = None, http: bool | None = None,
             said_continuous: bool = False, on_call: bool = True, own_data: bool = False,
             operates: Iterable[str] = (), names: dict[str, str] | None = None) -> Shape:
    """The needs this service meets. `hosts` / `own_disk` come from the platform the engine chose (it
    reads them from the model's environment and form); `http` overrides the model's evidence (an
    answer the user gave wins). `said_continuous`: the description calls the job streaming / CDC — the
    model has no field for that, so it counts only when the model gives no schedule either."""
    has: set[str] = set()
    why: list[str] = []
    serves, reason = serves_http(model, service_type, technology_kind)
    if http is not None:
        serves = http
    if serves:
        has.add("http")
    why.append(f"http: {'yes' if serves else 'no'} ({reason})")
    if hosts:
        has.add("hosts")
    if own_disk:
        has.add("own_disk")
    continuous = streams(model, schedule) or (said_continuous and not scheduled(model, schedule))
    if continuous and service_type in ("pipeline", "worker", "other"):
        has.add("stream")
        why.append("stream: it reads a stream or queue and has no schedule")
    elif service_type == "pipeline" or scheduled(model, schedule):
        has.add("schedule")
    elsewhere, reason = second_site(model, names)
    if elsewhere:
        has.add("second_site")
    why.append(f"second_site: {'yes' if elsewhere else 'no'} ({reason})")
    if on_call:
        has.add("on_call")
    if own_data:
        has.add("own_data")
    has.update(f"operates:{technology}" for technology in operates)
    return Shape(frozenset(has), tuple(why))


def self_managed(component: Component) -> bool:
    """Whether the team runs the component's processes (a host service, a workload in a cluster, a
    container), so host-level commands (systemctl, pg_stat_replication, data directories) apply; a
    managed product (RDS, Cloud SQL, Aiven …) is operated through its provider's API instead."""
    return component.form != "managed"


def read_only_switch(model: ServiceModel) -> Setting | None:
    """The read-only / maintenance switch the model names for the service, if any (never invented)."""
    for component in model.workloads():
        found = next((s for s in component.settings if _READ_ONLY.match(s.key)), None)
        if found is not None:
            return found
    return None


__all__ = ["NEEDS", "Need", "Shape", "fits", "operated", "read_only_switch", "scheduled", "second_site",
           "self_managed", "serves_http", "shape_of", "streams"]
