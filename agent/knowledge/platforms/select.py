"""Which platform runs a workload: the service's own (from the environment answer and the model's
variant words) or one component's (from its form, variant and names in the service model).

A platform added outside this package registers a factory for its environment id:

    from agent.knowledge.platforms import register
    register("nomad", Nomad)          # agent generate ... --env nomad now uses it

Packs never see the choice: they call the operations of whatever `platform_for` returns.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from agent.knowledge.base import Context
from agent.knowledge.platforms.base import Platform
from agent.knowledge.platforms.compose import Docker
from agent.knowledge.platforms.ecs import ECS
from agent.knowledge.platforms.hosts import VM, BareMetal
from agent.knowledge.platforms.kubernetes import Kubernetes, KubernetesCronJob
from agent.knowledge.platforms.serverless import Serverless
from agent.service.model import Component

Factory = Callable[[Context], Platform]

_NEGATED = re.compile(r"\b(?:no|not|without|instead of|rather than|replacing|never|off)\s+(?:\w+\s+){0,2}$", re.I)


def said(ctx: Context, pattern: str) -> bool:
    """The description names `pattern` (a regex) other than right after a negation ("no ECS",
    "docker compose instead of ECS")."""
    text = ctx.facts.description
    return any(not _NEGATED.search(text[max(0, m.start() - 30):m.start()])
               for m in re.finditer(pattern, text, re.I))


def _kubernetes(ctx: Context) -> Platform:
    if ctx.answers.service_type == "pipeline" and not re.search(
            r"\b(?:deployment|airflow|spark|flink|stream(?:ing)?|beam|dagster|prefect)\b", ctx.text):
        return KubernetesCronJob(ctx)
    return Kubernetes(ctx)


def _docker(ctx: Context) -> Platform:
    return ECS(ctx) if said(ctx, r"\b(?:ecs|fargate)\b") else Docker(ctx)


_REGISTRY: dict[str, Factory] = {
    "kubernetes": _kubernetes, "docker": _docker, "vm": VM, "serverless": Serverless, "baremetal": BareMetal,
}


def register(environment: str, factory: Factory) -> None:
    """Make `factory` the platform of services whose environment answer is `environment`."""
    _REGISTRY[environment] = factory


def environments() -> list[str]:
    return list(_REGISTRY)


def platform_for(ctx: Context, component: Component | None = None) -> Platform:
    """The platform of the service's own workload (`component` None or the model's app), else of
    `component`."""
    env = ctx.answers.environment
    factory = _REGISTRY.get(env)
    if factory is None:  # a custom rule's option the engine has no knowledge of
        platform = VM(ctx)
        platform.assumptions.append(f"environment '{env}' is not one the offline engine knows: the commands "
                                    "assume hosts running the service under systemd; replace them with your "
                                    "platform's equivalents")
        return platform
    return factory(ctx)
