"""Where a workload runs, as one abstraction: `Platform` (abstract: every operation a runbook needs),
one module per concrete platform, `owners` (which controller owns a change) and `select` (which
platform a workload of the service model runs on).

    base.py        Platform (ABC), command helpers
    owners.py      Owner / Owners: GitOps, autoscaler, config management, HA manager, orchestrator
    kubernetes.py  Kubernetes Deployment / StatefulSet, KubernetesCronJob
    compose.py     Docker Compose
    ecs.py         Amazon ECS
    hosts.py       systemd units on VMs (SystemdHosts, VM) and bare metal
    serverless.py  Serverless: Lambda, CloudFunctions (gen2), CloudRun
    container.py   DockerContainer: a plain docker run container
    products.py    Managed: the service is itself a managed product (OpenSearch Service, RDS, ElastiCache …);
                   its calls per product in data/managed_products.yaml
    select.py      platform_for(ctx, component), register(environment, factory)
"""

from agent.knowledge.platforms.base import (
    Action,
    Platform,
    aws_log_events,
    cmd,
    engine_unit,
    q,
    recent_log_events,
    remote_quote,
    seconds,
    service_unit,
)
from agent.knowledge.platforms.compose import Docker
from agent.knowledge.platforms.container import DockerContainer
from agent.knowledge.platforms.ecs import ECS
from agent.knowledge.platforms.hosts import VM, BareMetal, SystemdHosts
from agent.knowledge.platforms.kubernetes import Kubernetes, KubernetesCronJob
from agent.knowledge.platforms.owners import Owner, Owners, owners_of
from agent.knowledge.platforms.select import environments, platform_for, register, said
from agent.knowledge.platforms.serverless import CloudFunctions, CloudRun, Lambda, Serverless

__all__ = [
    "Action",
    "ECS", "VM", "BareMetal", "Docker", "DockerContainer", "Kubernetes", "KubernetesCronJob", "Owner", "Owners",
    "Platform", "CloudFunctions", "CloudRun", "Lambda",
    "Serverless", "SystemdHosts", "aws_log_events", "cmd", "engine_unit", "environments", "owners_of",
    "platform_for", "q", "recent_log_events", "register", "remote_quote", "said", "seconds", "service_unit",
]
