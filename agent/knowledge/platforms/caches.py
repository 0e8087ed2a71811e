"""Managed Redis products: each cloud's own CLI for what a runbook does to the instance (describe it,
resize it, fail it over). A Redis pack asks `managed_cache` for the variant the service model names and
calls its operations; it never switches on the product. Memorystore is not ElastiCache: gcloud redis
instances, never aws elasticache; Azure Cache for Redis is az redis.

Project, region and resource group come from the model when it gives them, else a guarded variable
declared in the block (never an invented value).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

from agent.knowledge.base import Context
from agent.knowledge.platforms.base import cmd, q
from agent.runbook import Command
from agent.service.model import Component


def given(ctx: Context, role: str, component: Component | None = None) -> str | None:
    """A scope name (project, region, resource_group) the model gives: the component's, else any component's."""
    own = component.name(role) if component is not None else None
    if own:
        return own
    model = ctx.model
    return next((n.value for c in (model.components if model is not None else []) for n in c.names
                 if n.role == role), None)


def scoped(flag: str, var: str, value: str | None, what: str) -> tuple[str, str]:
    """(declaration, flag with its value): the given value, or a guarded variable the block declares."""
    if value:
        return "", f"{flag} {q(value)}"
    return f"{var}=\"${{{var}:?set {var} to {what}}}\"\n", f"{flag} \"${var}\""


@dataclass
class ManagedCache(ABC):
    ctx: Context
    component: Component | None
    instance: str  # the instance / replication group / cache name
    product: str
    # its failover is a forced reboot of the primary (not a promotion the service barely notices)
    reboots: ClassVar[bool] = False

    @property
    def region_name(self) -> str | None:
        return given(self.ctx, "region", self.component) or self.ctx.facts.region or None

    @abstractmethod
    def resize(self) -> Command:
        """Give the instance more memory (node type / size / SKU)."""

    @abstractmethod
    def failover(self) -> Command:
        """Move the primary to the replica the product keeps."""

    @abstractmethod
    def describe(self) -> Command:
        """Tier, size and state of the instance."""


class ElastiCache(ManagedCache):
    def _r(self) -> tuple[str, str]:
        return scoped("--region", "REGION", self.region_name, "the AWS region of the replication group")

    def describe(self) -> Command:
        declare, r = self._r()
        return cmd(f"Replication group {self.instance}: node type, members and status",
                   f"{declare}aws elasticache describe-replication-groups {r} --replication-group-id "
                   f"{q(self.instance)} --query 'ReplicationGroups[0].{{status: Status, type: CacheNodeType, "
                   "members: MemberClusters}' --output table", "status available")

    def resize(self) -> Command:
        declare, r = self._r()
        return cmd("Move the replication group to a larger node type (online scaling)",
                   f"{declare}NODE_TYPE=\"${{NODE_TYPE:?set NODE_TYPE: a larger node type, e.g. cache.r7g.large}}\"\n"
                   f"aws elasticache modify-replication-group {r} --replication-group-id {q(self.instance)} "
                   "--cache-node-type \"$NODE_TYPE\" --apply-immediately",
                   "status modifying, then available with the new node type",
                   "Online scaling copies the data to new nodes; expect higher latency while it runs.")

    def failover(self) -> Command:
        declare, r = self._r()
        return cmd("Fail over the ElastiCache replication group to a replica",
                   f"{declare}aws elasticache test-failover {r} --replication-group-id {q(self.instance)} "
                   "--node-group-id 0001",
                   "a replica is promoted in about a minute; clients using the primary endpoint follow it",
                   "Replication is asynchronous: writes not yet on the replica are lost. Connections drop during "
                   "the switch. Check replica lag first.")


class Memorystore(ManagedCache):
    def _scope(self) -> tuple[str, str]:
        d1, r = scoped("--region", "REGION", self.region_name, "the region of the Memorystore instance")
        project = given(self.ctx, "project", self.component)
        d2, p = ("", f" --project {q(project)}") if project else ("", "")  # else gcloud's configured project
        return d1 + d2, r + p

    def describe(self) -> Command:
        declare, s = self._scope()
        return cmd(f"Memorystore instance {self.instance}: tier, size and state",
                   f"{declare}gcloud redis instances describe {q(self.instance)} {s} "
                   "--format='value(tier, memorySizeGb, state, currentLocationId)'", "state READY")

    def resize(self) -> Command:
        declare, s = self._scope()
        return cmd("Give the Memorystore instance more memory",
                   f"{declare}SIZE_GB=\"${{SIZE_GB:?set SIZE_GB to the new capacity in GB}}\"\n"
                   f"gcloud redis instances update {q(self.instance)} {s} --size \"$SIZE_GB\"",
                   "the operation finishes; memorySizeGb shows the new size",
                   "A Basic-tier instance is unavailable and flushed while it is resized; Standard tier keeps "
                   "serving.")

    def failover(self) -> Command:
        declare, s = self._scope()
        return cmd("Fail over the Memorystore instance to its replica (Standard tier only)",
                   f"{declare}gcloud redis instances describe {q(self.instance)} {s} "
                   "--format='value(tier, state, currentLocationId)'\n"
                   f"gcloud redis instances failover {q(self.instance)} {s} --data-protection-mode=limited-data-loss",
                   "state READY with the other zone as currentLocationId",
                   "Memorystore is managed: never REPLICAOF by hand. A Basic-tier instance has no replica; without "
                   "persistence a failover or maintenance loses what it holds.")


class AzureCache(ManagedCache):
    reboots: ClassVar[bool] = True
    def _scope(self) -> tuple[str, str]:
        return scoped("--resource-group", "RESOURCE_GROUP", given(self.ctx, "resource_group", self.component),
                      "the resource group of the cache")

    def describe(self) -> Command:
        declare, g = self._scope()
        return cmd(f"Azure Cache for Redis {self.instance}: SKU, size and state",
                   f"{declare}az redis show --name {q(self.instance)} {g} "
                   "--query '{sku: sku.name, size: sku.capacity, state: provisioningState}' -o table",
                   "provisioningState Succeeded")

    def resize(self) -> Command:
        declare, g = self._scope()
        return cmd("Move the cache to a larger size",
                   f"{declare}CAPACITY=\"${{CAPACITY:?set CAPACITY to the larger size number (C3: 3, P2: 2)}}\"\n"
                   f"az redis update --name {q(self.instance)} {g} --set \"sku.capacity=$CAPACITY\"",
                   "provisioningState Scaling, then Succeeded",
                   "Scaling a Basic cache loses its data; Standard and Premium keep serving.")

    def failover(self) -> Command:
        declare, g = self._scope()
        return cmd("Reboot the primary node so the replica takes over (Standard / Premium)",
                   f"{declare}az redis force-reboot --name {q(self.instance)} {g} --reboot-type PrimaryNode",
                   "the replica serves as primary within a minute; clients reconnect",
                   "Azure Cache for Redis is managed: never REPLICAOF by hand. A Basic cache has no replica: a "
                   "reboot loses its data.")


_CACHES: dict[str, tuple[type[ManagedCache], str]] = {
    "elasticache": (ElastiCache, "ElastiCache"), "memorystore": (Memorystore, "Memorystore"),
    "azure-cache": (AzureCache, "Azure Cache for Redis")}


def managed_cache(ctx: Context, component: Component | None, variant: str, instance: str) -> ManagedCache | None:
    """The managed Redis product of `variant` (the model's or the words'), None for a self-run Redis."""
    found = _CACHES.get(variant)
    if found is None:
        return None
    cls, product = found
    return cls(ctx, component, instance, product)
