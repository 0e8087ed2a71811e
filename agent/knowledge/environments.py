"""The platforms, under the module name older code imports (`agent.knowledge.platforms` is the package)."""

from agent.knowledge.platforms import (
    ECS,
    VM,
    BareMetal,
    Docker,
    Kubernetes,
    KubernetesCronJob,
    Platform,
    Serverless,
    SystemdHosts,
    aws_log_events,
    cmd,
    engine_unit,
    platform_for,
    q,
    remote_quote,
    seconds,
    service_unit,
)

__all__ = ["ECS", "VM", "BareMetal", "Docker", "Kubernetes", "KubernetesCronJob", "Platform", "Serverless",
           "SystemdHosts", "aws_log_events", "cmd", "engine_unit", "platform_for", "q", "remote_quote", "seconds",
           "service_unit"]
