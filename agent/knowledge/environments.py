"""The platforms, under the module name older code imports (`agent.knowledge.platforms` is the package)."""

from agent.knowledge.platforms.base import Platform, aws_log_events, cmd, engine_unit, q, service_unit
from agent.knowledge.platforms.compose import Docker
from agent.knowledge.platforms.ecs import ECS
from agent.knowledge.platforms.hosts import VM, BareMetal, SystemdHosts
from agent.knowledge.platforms.kubernetes import Kubernetes, KubernetesCronJob
from agent.knowledge.platforms.select import platform_for
from agent.knowledge.platforms.serverless import Serverless

__all__ = ["ECS", "VM", "BareMetal", "Docker", "Kubernetes", "KubernetesCronJob", "Platform", "Serverless",
           "SystemdHosts", "aws_log_events", "cmd", "engine_unit", "platform_for", "q", "service_unit"]
