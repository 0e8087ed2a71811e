"""What a monitoring stack sees of where the service runs: tags that pick a metric family ("pod",
"host", "function" …) and the names a query is scoped by (namespace, workload, function, hosts …).

This is the one place that reads a platform for monitoring. A platform may describe itself by defining
`monitoring_scope() -> Scope`; the platforms the engine ships are read here, so the stacks never test
which platform they are on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from agent.knowledge.environments import ECS, Docker, Kubernetes, KubernetesCronJob, Platform, Serverless, SystemdHosts


@dataclass(frozen=True)
class Scope:
    """`where`: most specific first, e.g. ("cronjob", "pod"), ("pod", "volume"), ("task",), ("host",),
    ("lambda", "function"). `labels`: names templates may use (`${ns}`, `${workload}`, `${fn}` …).
    `on_hosts`: wraps a command to run on every host, where the service runs on hosts."""

    where: tuple[str, ...]
    labels: Mapping[str, str] = field(default_factory=dict)
    on_hosts: Callable[[str], str] | None = None

    def has(self, tag: str) -> bool:
        return tag in self.where


def _common(p: Platform) -> dict[str, str]:
    facts = p.ctx.facts
    url = facts.url or ""
    host = url.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    out = {"job": p.slug, "slug": p.slug, "region": p.region, "cloud": p.cloud, "log_group": f"/{p.slug}",
           "logs_filter": ""}
    if host:
        out["https_host"] = host
    return out


def scope_of(p: Platform) -> Scope:
    """The platform's own description when it gives one, else what the shipped platforms are."""
    own = getattr(p, "monitoring_scope", None)
    if callable(own):
        scope = own()
        if isinstance(scope, Scope):
            return scope
    labels = _common(p)
    if isinstance(p, Kubernetes):
        labels |= {"ns": p.ns, "workload": p.workload, "kind": p.kind, "cluster": p.ctx.facts.cluster or "CLUSTER",
                   "ref": p.ref, "log_group": f"/aws/containerinsights/{p.ctx.facts.cluster or 'CLUSTER'}/application",
                   "logs_filter": f"| filter kubernetes.namespace_name = '{p.ns}' and kubernetes.container_name = "
                                  f"'{p.workload}'\n"}
        if isinstance(p, KubernetesCronJob):
            return Scope(("cronjob", "pod"), labels)
        return Scope(("statefulset", "pod", "volume") if p.kind == "statefulset" else ("pod",), labels)
    if isinstance(p, ECS):
        return Scope(("task",), labels | {"cluster": p.cluster, "service": p.service, "log_group": f"/ecs/{p.service}"})
    if isinstance(p, Serverless):
        labels |= {"fn": p.fn, "log_group": f"/aws/lambda/{p.fn}"}
        return Scope(("cloudfunction", "function") if p.cloud == "gcp" else ("lambda", "function"), labels)
    if isinstance(p, Docker):
        return Scope(("container", "host"), labels | {"service": p.svc})
    if isinstance(p, SystemdHosts):
        labels["unit"] = p.unit
        if p.hosts:
            labels |= {"hosts_re": "|".join(h.replace(".", "[.]") for h in p.hosts),
                       "hosts_nr": ", ".join(f"'{h}'" for h in p.hosts)}
            if len(p.hosts) == 1:
                labels["host"] = p.hosts[0]
        return Scope(("ec2", "host") if p.cloud == "aws" and p.key == "vm" else ("host",), labels, p.on_hosts)
    return Scope(("host",), labels)


__all__ = ["Scope", "scope_of"]
