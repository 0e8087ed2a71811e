"""Managed relational databases: the operations a runbook needs of the product, one class per variant
(RDS instance, Aurora cluster, Aurora global database). A database pack asks `managed_database` for
the variant the service model names and calls its operations; it never switches on the product.

The operations are abstract, so mypy refuses a variant that lacks one (as for `Platform`).
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

from agent.knowledge.base import Context
from agent.knowledge.platforms.base import cmd, q
from agent.knowledge.platforms.select import said_in
from agent.runbook import Command
from agent.service.model import Component


@dataclass
class ManagedDatabase(ABC):
    """One managed database of the service (`component` from the model, None when only words say it)."""

    ctx: Context
    component: Component | None
    identifier: str  # the instance / cluster identifier
    product: str  # "RDS", "Aurora", "Aurora global database", as the runbook names it
    given: bool = True  # the identifier is the model's, not a default

    def restore_target(self, suffix: str = "") -> tuple[str, str]:
        """(declaration, shell word) of a restore's new copy: named after a given identifier, a variable to
        set when the identifier itself is only a default (a name built on a guess is a guess)."""
        if self.given:
            return "", q(f"{self.identifier}-pitr{suffix}")
        return ("TARGET=\"${TARGET:?set TARGET to the name of the restored copy}\"\n",
                f"\"$TARGET{suffix}\"")

    @property
    def engine(self) -> str:
        """The engine as the runbook names it: the component's technology (PostgreSQL unless it is MySQL)."""
        return "MySQL" if self.component is not None and self.component.technology == "mysql" else "PostgreSQL"

    @property
    def on_aws(self) -> bool:
        return self.product in ("RDS", "Aurora")

    @property
    def region(self) -> str:
        return self.ctx.facts.region or "us-east-1"

    @property
    def r(self) -> str:
        return f"--region {q(self.region)}"

    @abstractmethod
    def location(self) -> str:
        """What and where it is, in one line."""

    @abstractmethod
    def endpoint(self) -> str:
        """A shell expression that prints the writer endpoint."""

    @abstractmethod
    def cloudwatch_dimensions(self) -> dict[str, str]:
        """The AWS/RDS dimensions that select this database's metrics."""

    @abstractmethod
    def failover(self) -> Command:
        """Move the writer to a standby within the region."""

    @abstractmethod
    def point_in_time_restore(self) -> Command:
        """Restore a copy as of RESTORE_TIME into a new instance (the original stays untouched)."""

    @abstractmethod
    def recent_log(self) -> Command:
        """The latest engine log of the writer."""

    @property
    def vendor(self) -> tuple[str, str]:
        """(vendor, what for) for the Contacts' vendor list."""
        cloud = {"Cloud SQL": "Google Cloud"}.get(self.product, "Microsoft Azure" if "Azure" in self.product else "AWS")
        return cloud, f"{self.product} {self.engine}"

    @property
    def known_host(self) -> str | None:
        """The endpoint's host name when the description gives it."""
        return getattr(self, "host", None)


class AwsDatabase(ManagedDatabase, ABC):
    """RDS and Aurora: one describe call and one CloudWatch dimension tell them apart."""

    what: ClassVar[str]  # "RDS instance"
    level: ClassVar[str]  # "instance" | "cluster": the describe call and the identifier flag
    endpoint_query: ClassVar[str]

    def location(self) -> str:
        return f"Amazon {self.what} {self.identifier} ({self.region})"

    def endpoint(self) -> str:
        flag = f"--db-{self.level}-identifier"
        plural = "instances" if self.level == "instance" else "clusters"
        return (f"$(aws rds describe-db-{plural} {self.r} {flag} {q(self.identifier)} --query "
                f"'{self.endpoint_query}' --output text)")

    def cloudwatch_dimensions(self) -> dict[str, str]:
        return {f"DB{self.level.capitalize()}Identifier": self.identifier}


class RdsInstance(AwsDatabase):
    """An RDS DB instance (Multi-AZ or single-AZ, possibly with read replicas)."""

    what, level, endpoint_query = "RDS instance", "instance", "DBInstances[0].Endpoint.Address"

    def failover(self) -> Command:
        return cmd("Fail over the Multi-AZ instance to its standby",
                   f"aws rds describe-db-instances {self.r} --db-instance-identifier {q(self.identifier)} "
                   "--query 'DBInstances[0].MultiAZ' --output text  # must print True\n"
                   f"aws rds reboot-db-instance {self.r} --db-instance-identifier {q(self.identifier)} "
                   "--force-failover",
                   "the instance is available again within 1-2 minutes on the standby",
                   "Forced failover drops every connection; applications must reconnect. Without Multi-AZ this is "
                   "only a reboot. A cross-region read replica is promoted with promote-read-replica instead, "
                   "which breaks replication for good.")

    def point_in_time_restore(self) -> Command:
        declare, target = self.restore_target()
        return cmd("Restore a copy of the instance to the moment before the corruption (point-in-time)",
                   f"{declare}RESTORE_TIME=\"${{RESTORE_TIME:?set RESTORE_TIME: UTC, just before the bad write}}\"\n"
                   f"aws rds restore-db-instance-to-point-in-time {self.r} \\\n"
                   f"  --source-db-instance-identifier {q(self.identifier)} \\\n"
                   f"  --target-db-instance-identifier {target} \\\n"
                   "  --restore-time \"$RESTORE_TIME\"\n"
                   f"aws rds wait db-instance-available {self.r} --db-instance-identifier {target}",
                   "a new instance; the original is untouched. Copy the good rows back or switch the service "
                   "to the copy after checking it")

    def recent_log(self) -> Command:
        return cmd(f"Recent {self.engine} errors (RDS)",
                   f"aws rds describe-db-log-files {self.r} --db-instance-identifier {q(self.identifier)} "
                   "--query 'DescribeDBLogFiles[-1].LogFileName' --output text",
                   "the latest log file name; download it with download-db-log-file-portion")


class AuroraCluster(AwsDatabase):
    """An Aurora DB cluster: a writer and readers sharing one cluster volume."""

    what, level, endpoint_query = "Aurora cluster", "cluster", "DBClusters[0].Endpoint"

    def failover(self) -> Command:
        return cmd(f"Fail over cluster {self.identifier} to a reader (a new writer in the same region)",
                   f"aws rds describe-db-clusters {self.r} --db-cluster-identifier {q(self.identifier)} --query "
                   "'DBClusters[0].DBClusterMembers[].[DBInstanceIdentifier,IsClusterWriter]' --output text\n"
                   f"aws rds failover-db-cluster {self.r} --db-cluster-identifier {q(self.identifier)}",
                   "another member shows IsClusterWriter True within a minute; the cluster endpoint follows it",
                   "Drops every connection to the writer; applications must reconnect to the cluster endpoint "
                   "(not to an instance endpoint).")

    def point_in_time_restore(self) -> Command:
        declare, target = self.restore_target()
        instance = self.restore_target("-1")[1]
        return cmd("Restore a copy of the cluster to the moment before the corruption (point-in-time)",
                   f"{declare}RESTORE_TIME=\"${{RESTORE_TIME:?set RESTORE_TIME: UTC, just before the bad write}}\"\n"
                   f"aws rds restore-db-cluster-to-point-in-time {self.r} \\\n"
                   f"  --source-db-cluster-identifier {q(self.identifier)} \\\n"
                   f"  --db-cluster-identifier {target} --restore-to-time \"$RESTORE_TIME\"\n"
                   "CLASS=\"${CLASS:?set CLASS to the instance class of the writer, e.g. db.r6g.large}\"\n"
                   f"aws rds create-db-instance {self.r} --db-cluster-identifier {target} "
                   f"--db-instance-identifier {instance} --engine aurora-{self.engine.lower()} "
                   "--db-instance-class \"$CLASS\"\n"
                   f"aws rds wait db-instance-available {self.r} --db-instance-identifier {instance}",
                   "a new cluster with one instance; the original is untouched. Copy the good rows back or switch "
                   "the service to the copy after checking it",
                   "A restored cluster has no instances until you create one: create-db-instance is part of the "
                   "restore.")

    def recent_log(self) -> Command:
        return cmd(f"Recent {self.engine} errors of the writer (Aurora)",
                   f"WRITER=\"$(aws rds describe-db-clusters {self.r} --db-cluster-identifier {q(self.identifier)} "
                   "--query 'DBClusters[0].DBClusterMembers[?IsClusterWriter].DBInstanceIdentifier' --output text)\"\n"
                   f"aws rds describe-db-log-files {self.r} --db-instance-identifier \"$WRITER\" "
                   "--query 'DescribeDBLogFiles[-1].LogFileName' --output text",
                   "the latest log file name; download it with download-db-log-file-portion")


class AuroraGlobal(AuroraCluster):
    """An Aurora global database: a primary cluster and secondary clusters in other regions."""

    def __init__(self, ctx: Context, component: Component | None, identifier: str, product: str,
                 global_cluster: str, given: bool = True) -> None:
        super().__init__(ctx, component, identifier, product, given)
        self.global_cluster = global_cluster

    def location(self) -> str:
        return (f"Amazon Aurora global database {self.global_cluster} (primary cluster {self.identifier} in "
                f"{self.region})")


class CloudSql(ManagedDatabase):
    """A Cloud SQL for PostgreSQL instance (HA: a regional instance with a standby zone)."""

    def location(self) -> str:
        return f"Cloud SQL for {self.engine} instance {self.identifier}"

    def endpoint(self) -> str:
        return f"$(gcloud sql instances describe {q(self.identifier)} --format='value(ipAddresses[0].ipAddress)')"

    def cloudwatch_dimensions(self) -> dict[str, str]:
        return {}  # not on AWS: its metrics are Cloud Monitoring's (cloudsql.googleapis.com/database/...)

    def failover(self) -> Command:
        return cmd(f"Fail over {self.identifier} to its standby zone (HA instances only)",
                   f"gcloud sql instances describe {q(self.identifier)} --format='value(settings.availabilityType)'"
                   "  # must print REGIONAL\n"
                   f"gcloud sql instances failover {q(self.identifier)}",
                   "the operation finishes DONE within minutes; the instance keeps its IP address",
                   "Drops every connection; applications must reconnect. A ZONAL instance has no standby: "
                   "restore or clone instead.")

    def point_in_time_restore(self) -> Command:
        declare, target = self.restore_target()
        return cmd(f"Clone {self.identifier} to the moment before the corruption (point-in-time)",
                   f"{declare}RESTORE_TIME=\"${{RESTORE_TIME:?set RESTORE_TIME: UTC, just before the bad write}}\"\n"
                   f"gcloud sql instances clone {q(self.identifier)} {target} --point-in-time \"$RESTORE_TIME\"",
                   "the clone is RUNNABLE; the original is untouched. Copy the good rows back or switch the "
                   "service to the clone after checking it")

    def recent_log(self) -> Command:
        return cmd(f"Recent {self.engine} errors (Cloud SQL)",
                   "gcloud logging read 'resource.type=\"cloudsql_database\" AND "
                   f"resource.labels.database_id:\"{self.identifier}\" AND severity>=ERROR' --freshness=1h "
                   "--limit 50 --format='value(textPayload)'", "no FATAL or PANIC lines")


class AzureFlexible(ManagedDatabase):
    """An Azure Database for PostgreSQL flexible server (zone-redundant HA optional)."""

    def __init__(self, ctx: Context, component: Component | None, identifier: str, product: str,
                 host: str | None) -> None:
        super().__init__(ctx, component, identifier, product)
        self.host = host
        group = (component.name("resource_group") if component is not None else None) or next(
            (n.value for c in (ctx.model.components if ctx.model is not None else []) for n in c.names
             if n.role == "resource_group"), None)
        self.group = q(group) if group else "\"$RESOURCE_GROUP\""
        self.declare = "" if group else \
            "RESOURCE_GROUP=\"${RESOURCE_GROUP:?set RESOURCE_GROUP to the resource group of the server}\"\n"

    @property
    def scope(self) -> str:
        return f"--resource-group {self.group} --name {q(self.identifier)}"

    def location(self) -> str:
        return f"Azure Database for PostgreSQL flexible server {self.identifier}"

    def endpoint(self) -> str:
        return f"$(az postgres flexible-server show {self.scope} --query fullyQualifiedDomainName -o tsv)"

    def cloudwatch_dimensions(self) -> dict[str, str]:
        return {}  # not on AWS: its metrics are Azure Monitor's (Microsoft.DBforPostgreSQL/flexibleServers)

    def failover(self) -> Command:
        return cmd(f"Fail over {self.identifier} to its standby (zone-redundant HA only)",
                   f"{self.declare}az postgres flexible-server show {self.scope} --query highAvailability.mode -o tsv"
                   "  # must print ZoneRedundant or SameZone\n"
                   f"az postgres flexible-server restart {self.scope} --failover Forced",
                   "the server is Ready again on the standby within minutes; the host name stays the same",
                   "Drops every connection; applications must reconnect. Use --failover Planned for a planned "
                   "switch (waits for the standby to catch up). Without HA this is only a restart.")

    def point_in_time_restore(self) -> Command:
        declare, target = self.restore_target()
        return cmd(f"Restore {self.identifier} to a new server at the moment before the corruption",
                   f"{self.declare}{declare}"
                   "RESTORE_TIME=\"${RESTORE_TIME:?set RESTORE_TIME: UTC, just before the bad write}\"\n"
                   f"az postgres flexible-server restore --resource-group {self.group} --name {target} "
                   f"--source-server {q(self.identifier)} --restore-time \"$RESTORE_TIME\"",
                   "a new server; the original is untouched. Copy the good rows back or switch the service to "
                   "the new server after checking it")

    def recent_log(self) -> Command:
        return cmd("Recent server log files (Azure; server logs must be enabled)",
                   f"{self.declare}az postgres flexible-server server-logs list --resource-group {self.group} "
                   f"--server-name {q(self.identifier)} -o table",
                   "the latest log files; download one with server-logs download")


# the model's variant -> the class
_VARIANTS: dict[str, type[ManagedDatabase]] = {"rds-instance": RdsInstance, "aurora": AuroraCluster,
                                               "cloud-sql": CloudSql}
_AZURE_HOST = r"\b([a-z0-9][a-z0-9-]*)\.postgres\.database\.azure\.com\b"


def managed_database(ctx: Context, technology: str, instance_default: str) -> ManagedDatabase | None:
    """The managed variant of the model's `technology` component (RDS instance, Aurora cluster, Aurora
    global database, Cloud SQL, Azure flexible server), else one the description's words name; None for a
    self-managed database."""
    comp = ctx.model.component(technology) if ctx.model is not None else None
    variant = comp.variant if comp is not None else ""
    text = ctx.facts.description
    if not variant:  # the model does not say: the words, unless negated ("not on RDS")
        variant = ("aurora-global" if said_in(text, r"\baurora\b[^.]{0,40}\bglobal (?:database|cluster)\b") else
                   "aurora" if said_in(text, r"\baurora\b") else "rds-instance" if said_in(text, r"\brds\b") else
                   "azure-flexible" if re.search(_AZURE_HOST, text, re.I) or said_in(
                       text, r"\bazure database for postgresql\b|\bflexible server\b") else
                   "cloud-sql" if said_in(text, r"\bcloud sql\b") else "")
    if variant not in ("rds-instance", "aurora", "aurora-global", "cloud-sql", "azure-flexible"):
        return None
    if variant == "azure-flexible":
        if technology != "postgresql":  # the commands below are az postgres flexible-server's
            return None
        host = re.search(_AZURE_HOST, text, re.I)
        name = (comp.name("instance") if comp is not None else None) or (host.group(1) if host else None)
        server = AzureFlexible(ctx, comp, name or ctx.facts.name("postgres.instance", instance_default),
                               "Azure Database for PostgreSQL", host.group(0) if host else None)
        # a server name read off its host name is the user's; a copy named after it would be ours
        server.given = comp is not None and comp.name("instance") is not None
        return server
    names = ctx.facts.names
    named = (comp.name("cluster") or comp.name("instance") if comp is not None else None) or names.get("rds.instance")
    identifier = named or ctx.facts.name("postgres.instance", instance_default)
    product = {"rds-instance": "RDS", "aurora": "Aurora", "aurora-global": "Aurora", "cloud-sql": "Cloud SQL"}.get(
        variant, "")
    if variant == "aurora-global":
        global_cluster = (comp.name("global_cluster") if comp is not None else None) or f"{identifier}-global"
        return AuroraGlobal(ctx, comp, identifier, product, global_cluster, given=named is not None)
    cls = _VARIANTS.get(variant)
    return cls(ctx, comp, identifier, product, given=named is not None) if cls is not None else None


# A read replica is a second instance that serves reads; an HA standby (Multi-AZ, regional, zone-redundant)
# serves none: it only takes over on failover. Runbooks read from, lag-check and promote only the first.
_READABLE = r"\bread[- ]?(?:only )?replicas?\b|\breplicas? (?:for|serving) (?:reads|reporting|analytics)\b|" \
            r"\breader (?:instances?|endpoint|nodes?)\b"
_STANDBY = r"\bmulti[- ]?az\b|\bstandby\b|\bhigh[- ]availability\b|\bregional (?:ha|instance)\b|" \
           r"\bzone[- ]redundant\b|\bavailability ?type:? ?regional\b"


@dataclass(frozen=True)
class Replication:
    """What copies a managed database has, as the model and description say."""

    replicas: tuple[str, ...]  # read replicas the model names
    readable: bool  # the service has a replica it can read from (named, or "read replica" said)
    standby: bool  # an HA standby that serves no reads (Multi-AZ and the like)


def replication_of(ctx: Context, component: Component | None) -> Replication:
    names = tuple(component.names_of("replica")) if component is not None else ()
    text = ctx.facts.description
    return Replication(replicas=names, readable=bool(names) or said_in(text, _READABLE),
                       standby=said_in(text, _STANDBY))
