"""PostgreSQL (self-managed, RDS or Aurora): connections, locks, replication, wraparound, PITR."""

from __future__ import annotations

import re

from agent.knowledge import reasoning, store_roles
from agent.knowledge.applies import self_managed
from agent.knowledge.base import Context, Contribution
from agent.knowledge.packs._base import (
    CloudWatchMetric,
    KeywordPack,
    cmd,
    kill_switch,
    mention,
    q,
    region,
    snake,
    sql,
)
from agent.knowledge.platforms.managed import managed_database, replication_of
from agent.knowledge.signals import Signal, Threshold, limit
from agent.runbook import Command, Issue, KeyMetric, Procedure, Step, Upstream
from agent.runbook import Component as RunbookComponent
from agent.service.model import Component

_REPLICAS = ("replica", "replicas", "standby", "replication", "multi-az", "patroni", "aurora", "read replica",
             "hot standby", "failover", "primary")


class Names:
    def __init__(self, ctx: Context) -> None:
        f = ctx.facts
        # The managed variant the model names (RDS instance, Aurora cluster, Aurora global database), whose
        # operations differ; None when PostgreSQL is self-managed.
        self.managed = managed_database(ctx, "postgresql", f"{f.service}-db")
        # the AWS product name ("RDS", "Aurora") where AWS's metrics and CLI apply
        self.rds = self.managed.product if self.managed is not None and self.managed.on_aws else None
        # On RDS/Aurora with a named instance and no host, ask AWS for the endpoint instead of inventing a
        # host name; `hq` is the host as a shell word.
        named = self.managed is not None and ("rds.instance" in f.names or (
            self.managed.component is not None and bool(self.managed.component.name("cluster")
                                                        or self.managed.component.name("instance"))))
        if "postgres.host" not in f.names and self.managed is not None and named:
            self.host = self.managed.endpoint()
            self.hq = f"\"{self.host}\""
        else:
            known = self.managed.known_host if self.managed else None
            self.host = f.names.get("postgres.host") or known or f.name("postgres.host", f"{f.service}-db")
            self.hq = q(self.host)
        self.db = f.name("postgres.database", snake(f.service))
        self.user = f.name("postgres.user", "postgres")
        self.port = f.name("postgres.port", "5432")
        self.instance = self.managed.identifier if self.managed else f.name(
            "rds.instance", f.name("postgres.instance", f"{f.service}-db"))

    def psql(self, statement: str) -> str:
        """A psql call scoped to this database; the statement is double-quoted for the shell (its `$VAR`s
        expand), so its own double quotes (a quoted identifier) are escaped."""
        statement = statement.replace('"', '\\"')
        return (f"psql -h {self.hq} -p {self.port} -U {q(self.user)} -d {q(self.db)} -X "
                f"-v ON_ERROR_STOP=1 -c \"{statement}\"")


def _theirs(ctx: Context, comp: Component | None) -> bool:
    """Whether the database is another team's or one the service does not write: "the Memcached tier in
    front of the catalog database (catalog-db, owned by the Catalog team)". Stopping writes there stops
    everyone's; the runbook stops its own service instead and asks the owner."""
    if ctx.answers.service_type == "database" or ctx.model is None or comp is None:
        return False
    app = ctx.model.app
    said = " ".join([comp.evidence, *(r.evidence for r in ctx.model.relationships if comp.id in (r.source, r.target))])
    owned = re.search(r"(?i)\bowned\s+by\s+(?:the\s+)?(?!us\b|our\b)[\w -]{2,40}?\bteam\b|another\s+team'?s|"
                      r"\btheir\s+(?:database|db)\b", said) is not None
    fronts = app is not None and reasoning.tech_kind(app) in ("cache", "proxy", "search")
    return owned or fronts


def _sql_ident(name: str) -> str:
    """A database name as SQL reads it: "catalog-db" needs double quotes, "orders" does not."""
    return name if re.fullmatch(r"[a-z_][a-z0-9_$]*", name) else '"' + name.replace('"', '""') + '"'


def aurora_global(ctx: Context, comp: Component | None) -> list[Procedure]:
    """Region failover of an Aurora global database: the global cluster moves its writer, never a
    read-replica promotion or an instance restore."""
    regions = ctx.model.topology.regions if ctx.model is not None else []
    primary = next((r.name for r in regions if r.role in ("primary", "active")), region(ctx))
    secondary = next((r.name for r in regions if r.name != primary), None)
    glob = comp.name("global_cluster") if comp is not None else None
    g = q(glob) if glob else '"$GLOBAL_CLUSTER"'
    need_g = "" if glob else 'GLOBAL_CLUSTER="${GLOBAL_CLUSTER:?set GLOBAL_CLUSTER to the global database id}"\n'
    second = q(secondary) if secondary else '"$SECONDARY_REGION"'
    need_r = "" if secondary else 'SECONDARY_REGION="${SECONDARY_REGION:?set SECONDARY_REGION}"\n'
    target = 'TARGET_ARN="${TARGET_ARN:?set TARGET_ARN to the secondary cluster ARN from describe-global-clusters}"\n'
    rpo = ctx.facts.rpo_minutes
    return [
        Procedure(title="Aurora global database: check the members and the replication lag", commands=[
            cmd("Members of the global database: which cluster writes, in which region",
                need_g + f"aws rds describe-global-clusters --region {q(primary)} --global-cluster-identifier {g} "
                "--query 'GlobalClusters[0].GlobalClusterMembers[].[DBClusterArn, IsWriter]' --output table",
                "one writer (IsWriter True) in the primary region, the secondary listed as a reader"),
            cmd("Global replication lag of the secondary (AuroraGlobalDBReplicationLag, ms)",
                need_r + 'SECONDARY_CLUSTER="${SECONDARY_CLUSTER:?set SECONDARY_CLUSTER to the secondary DB '
                'cluster identifier}"\n'
                f"aws cloudwatch get-metric-statistics --region {second} --namespace AWS/RDS "
                "--metric-name AuroraGlobalDBReplicationLag --dimensions "
                'Name=DBClusterIdentifier,Value="$SECONDARY_CLUSTER" '
                '--start-time "$(date -u -d \'-15 min\' +%FT%TZ)" --end-time "$(date -u +%FT%TZ)" '
                "--period 60 --statistics Maximum --query 'Datapoints[].Maximum'",
                "a few hundred ms at most"
                + (f"; a lag near the {rpo}-minute RPO means a failover now loses more than the RPO allows"
                   if rpo else "; the lag is the data an unplanned failover loses")),
        ]),
        Procedure(title="Aurora global database: move the writer to the secondary region", commands=[
            cmd("Planned move (both regions healthy): switchover, no data loss",
                need_g + target + f"aws rds switchover-global-cluster --region {q(primary)} "
                f"--global-cluster-identifier {g} --target-db-cluster-identifier \"$TARGET_ARN\"",
                "the global cluster reports the target as writer within minutes; the old primary becomes a reader",
                warning="Writes pause during the switchover; point writers at the new primary's cluster endpoint "
                        "afterwards."),
            cmd("Region outage: fail over to the secondary (accepts losing the replication lag)",
                need_g + need_r + target + f"aws rds failover-global-cluster --region {second} "
                f"--global-cluster-identifier {g} --target-db-cluster-identifier \"$TARGET_ARN\" --allow-data-loss",
                "the secondary cluster becomes the writer; repoint the application's writers to it",
                warning="Writes the primary had not replicated (the AuroraGlobalDBReplicationLag at that moment) "
                        "are lost. The old primary must not take writes again: it rejoins as a secondary. Not "
                        "promote-read-replica-db-cluster, which detaches the cluster from the global database."),
        ]),
    ]


class PostgresPack(KeywordPack):
    name = "postgresql"
    summary = ("PostgreSQL incl. RDS/Aurora: connection exhaustion, blocking locks, replication lag, "
               "XID wraparound, read-only switch, PITR")
    keywords = ("postgresql", "postgres", "psql", "aurora postgresql", "pgbouncer", "patroni",
                "pgbackrest", "timescaledb", "pg")
    order = 10
    examples = ("Orders API stores orders in PostgreSQL 15 (database orders) on a VM",
                "Billing service on Amazon RDS for PostgreSQL, Multi-AZ, read replica for reports")
    negatives = ("A PgDn key handler for the terminal UI", "Stores blobs in MySQL 8")

    def detect(self, ctx: Context) -> str | None:
        # "pg" alone is too short to trust outside "pg_dump" style words; keep it out of matching.
        word = mention(ctx, self.keywords[:-1])
        return f"description mentions {word!r}" if word else None

    def build(self, ctx: Context) -> Contribution:
        n = Names(ctx)
        svc = ctx.facts.service
        location = n.managed.location() if n.managed else f"host {n.host}:{n.port}"

        def rds_cw(metric: str) -> CloudWatchMetric | None:
            dims = n.managed.cloudwatch_dimensions() if n.managed else {}
            return CloudWatchMetric("AWS/RDS", metric, dims) if dims else None

        connections_probe = cmd(
            "Connections in use as a share of max_connections",
            n.psql("SELECT count(*) AS used, current_setting('max_connections')::int AS max, "
                   "round(100.0 * count(*) / current_setting('max_connections')::int) AS pct "
                   "FROM pg_stat_activity"),
            "pct below 80; above that, follow 'Too many connections'")
        # A managed PostgreSQL (RDS, Aurora, Cloud SQL, a provider such as Aiven) replicates below what the
        # team can see: its HA standby is not in pg_stat_replication and replicas are recreated through
        # the provider, never rebuilt from a base backup or tuned through slots by hand.
        comp = ctx.model.component("postgresql") if ctx.model is not None else None
        managed = n.managed is not None or (comp is not None and (
            not self_managed(comp) or store_roles.provider(comp, ctx.facts.description) is not None))
        copies = replication_of(ctx, comp)
        which = f" {copies.replicas[0]}" if copies.replicas else ""  # a replica's name is not its host name
        replica_var = (f"REPLICA=\"${{REPLICA:?set REPLICA to the endpoint of the read replica{which} (the provider "
                       "console lists it)}\"\n")
        lag_probe = cmd(
            "Replication lag per standby, measured on the primary",
            n.psql("SELECT application_name, client_addr, state, sync_state, write_lag, replay_lag "
                   "FROM pg_stat_replication"),
            "one row per standby, state 'streaming', replay_lag under 30 seconds") if not managed else cmd(
            "Replication lag, measured on a read replica (the provider's HA standby is not visible in SQL)",
            replica_var + n.psql("SELECT now() - pg_last_xact_replay_timestamp() AS replay_delay").replace(
                f"-h {n.hq}", "-h \"$REPLICA\"", 1),
            "replay_delay under 30 seconds; the provider's replica-lag metric shows the same")
        long_tx_probe = cmd(
            "Oldest open transactions",
            n.psql("SELECT pid, usename, application_name, state, now() - xact_start AS xact_age, "
                   "left(query, 80) AS query FROM pg_stat_activity WHERE xact_start IS NOT NULL "
                   "ORDER BY xact_start LIMIT 10"),
            "no transaction older than 15 minutes")

        tags = (("aurora",) if n.rds and "aurora" in n.rds.lower() else ()) + (("rds",) if n.rds else ())
        labels = {"db": n.db, "instance": n.instance}
        signals = [
            Signal(key="postgres.connections", name="PostgreSQL connections near max_connections",
                   measure="connections", threshold=limit(ctx.facts, ("connection",), 80, "%"),
                   of="of max_connections", minutes=5, severity="Critical",
                   response="Follow 'PostgreSQL: too many connections'; find the application holding idle sessions.",
                   entry="PostgreSQL: too many connections", tags=tags, labels=labels, probe=connections_probe,
                   covers=("connections",)),
            Signal(key="postgres.replication_lag", name="PostgreSQL replication lag", measure="replica replay lag",
                   threshold=limit(ctx.facts, ("replica", "replication"), 30, "s"), minutes=5, severity="Warning",
                   response="Follow 'PostgreSQL: replication lag'; reads from replicas are stale meanwhile.",
                   entry="PostgreSQL: replication lag", tags=tags, labels=labels, probe=lag_probe,
                   covers=("replication_lag",)),
            Signal(key="postgres.long_transaction", name="PostgreSQL long-running transaction",
                   measure="oldest transaction open", threshold=limit(ctx.facts, ("transaction",), 900, "s"),
                   note="", minutes=5, severity="Warning",
                   response="Follow 'PostgreSQL: blocking locks and slow queries'; long transactions block "
                            "vacuum and hold locks.",
                   entry="PostgreSQL: blocking locks and slow queries", tags=tags, labels=labels, probe=long_tx_probe),
        ]
        # A replica lag alert only where replicas exist: the database is the service, or the model names
        # replicas, standbys, replication or an HA setup.
        replicas = ctx.answers.service_type == "database" or mention(ctx, _REPLICAS) is not None
        if n.managed is not None and (comp is None or comp.variant != "aurora-global"):
            replicas = copies.readable  # the product's HA standby (Multi-AZ, regional) is not a replica to watch
        if not replicas:
            signals = [s for s in signals if s.key != "postgres.replication_lag"]
        if n.rds and "aurora" in n.rds.lower() and mention(ctx, ("global database", "global cluster")):
            # Aurora global database: storage-level replication to the secondary region; its lag is what a
            # region failover loses, so it is watched against the RPO.
            secondary = ctx.facts.name("aurora.secondary_cluster", f"{svc}-secondary")
            dr = ctx.facts.names.get("dr.region", "us-west-2")
            rpo = ctx.facts.rpo_minutes
            threshold = (Threshold(rpo * 30, "s", origin="given", source=f"half the {rpo}-minute RPO") if rpo
                         else limit(ctx.facts, ("global", "replication"), 30, "s"))
            lag = CloudWatchMetric("AWS/RDS", "AuroraGlobalDBReplicationLag", {"DBClusterIdentifier": secondary},
                                   "Maximum", 60)
            signals.append(Signal(
                key="aurora.global_replication_lag", name="Aurora global database replication lag",
                measure="replication lag to the secondary region", threshold=threshold, minutes=5,
                severity="Critical",
                response="Data written in the primary region and not yet replicated is lost in a region failover; "
                         "find the write burst or the network problem before the lag passes the RPO.",
                labels={"secondary": secondary}, tags=("aurora",),
                probe=cmd(f"Global replication lag of {secondary} (ms), last 30 minutes ({dr})",
                          lag.command(ctx).replace(f"--region {q(region(ctx))}", f"--region {q(dr)}", 1),
                          "a few hundred ms; seconds mean the secondary falls behind")))

        terminate_warning = (
            "pg_terminate_backend kills the whole session and rolls back its open transaction; the "
            "application sees a dropped connection. Try pg_cancel_backend(pid) first: it cancels only "
            "the running query and keeps the session.")
        issues = [
            Issue(
                title="PostgreSQL: too many connections",
                symptoms="Application errors 'FATAL: sorry, too many clients already' or 'remaining "
                         "connection slots are reserved'; connection-pool timeouts in the service logs.",
                alert="PostgreSQL connections near max_connections",
                check=[
                    connections_probe,
                    cmd("Who holds the connections, by application and state",
                        n.psql("SELECT application_name, usename, client_addr, state, count(*) "
                               "FROM pg_stat_activity GROUP BY 1, 2, 3, 4 ORDER BY 5 DESC LIMIT 15"),
                        "a pile of 'idle in transaction' or 'idle' sessions from one application "
                        "points at a leaking pool; many 'active' ones at slow queries"),
                ],
                fix=[
                    Step(action="Terminate sessions idle in a transaction for more than 10 minutes "
                                "(they hold locks and slots and do nothing).",
                         command=cmd(
                             "Terminate sessions idle in transaction > 10 min",
                             n.psql("SELECT pid, application_name, pg_terminate_backend(pid) FROM pg_stat_activity "
                                    "WHERE state = 'idle in transaction' "
                                    "AND state_change < now() - interval '10 minutes'"),
                             "one row per terminated session, each with pg_terminate_backend = t",
                             warning=terminate_warning)),
                    Step(action="Restart the application instance that leaks connections (the top "
                                "application_name above) or lower its pool size; put PgBouncer in "
                                "transaction mode in front if many clients each hold a few connections.",
                         command=None),
                    Step(action="Raising max_connections needs a restart and costs memory per connection "
                                "(work_mem each); do it only as a planned change.", command=None),
                ],
                verify="Connections stay below 70% of max_connections for 15 minutes and the service's "
                       "connection errors stop.",
                escalate="If connections are above 95% after 15 minutes or the primary refuses "
                         "superuser connections, page the database owner.",
            ),
            Issue(
                title="PostgreSQL: blocking locks and slow queries",
                symptoms="Requests time out; queries wait on locks; p95 latency of database calls rises.",
                alert="PostgreSQL long-running transaction",
                check=[
                    sql("Blocked sessions and the pids blocking them",
                        "SELECT pid, pg_blocking_pids(pid) AS blocked_by, wait_event_type, "
                        "now() - query_start AS waiting, left(query, 80) AS query "
                        "FROM pg_stat_activity WHERE cardinality(pg_blocking_pids(pid)) > 0 "
                        "ORDER BY query_start;",
                        "no rows when nothing is blocked; otherwise note the blocked_by pids"),
                    long_tx_probe,
                ],
                fix=[
                    Step(action="Cancel the blocking query first (keeps the session).",
                         command=cmd("Cancel the blocking query",
                                     "PID=\"${PID:?set PID: a pid from blocked_by above}\"\n"
                                     + n.psql("SELECT pg_cancel_backend($PID)"),
                                     "t; the blocked sessions proceed within seconds")),
                    Step(action="If it is idle in transaction or cancel did not help after 30 s, "
                                "terminate the session.",
                         command=cmd("Terminate the blocking session",
                                     "PID=\"${PID:?set PID: the same pid}\"\n"
                                     + n.psql("SELECT pg_terminate_backend($PID)"),
                                     "t; its transaction is rolled back",
                                     warning=terminate_warning)),
                    Step(action="If the blocker is a migration (ALTER TABLE waits for an ACCESS EXCLUSIVE "
                                "lock and queues everyone behind it), stop the migration job and re-run it "
                                "with lock_timeout set (SET lock_timeout = '5s').", command=None),
                ],
                verify="The blocked-sessions query returns no rows and database p95 latency is back to "
                       "normal for 10 minutes.",
                escalate="If blocking comes back within 15 minutes or the blocker is a system process "
                         "(autovacuum to prevent wraparound), page the database owner.",
            ),
            Issue(
                title="PostgreSQL: replication lag",
                symptoms="Stale reads from replicas; replica lag alerts; WAL piling up on the primary disk.",
                alert="PostgreSQL replication lag" if replicas else None,
                check=[lag_probe] if managed else [
                    lag_probe,
                    cmd("Replication slots and the WAL each one retains",
                        n.psql("SELECT slot_name, active, pg_size_pretty(pg_wal_lsn_diff(pg_current_wal_lsn(), "
                               "restart_lsn)) AS retained FROM pg_replication_slots"),
                        "every slot active; an inactive slot retaining many GB fills the primary's disk"),
                ],
                fix=[
                    Step(action="On the replica, look for long queries that conflict with replay "
                                "(max_standby_streaming_delay) and cancel them.", command=None),
                    Step(action="If a replica stays far behind, recreate it through the provider (console or "
                                "API) rather than waiting; the provider runs the replication, not the team.",
                         command=None),
                ] if managed else [
                    Step(action="On the replica, look for long queries that conflict with replay "
                                "(max_standby_streaming_delay) and cancel them.", command=None),
                    Step(action="Remove a replication slot only when its consumer is gone for good.",
                         command=cmd("Drop an abandoned replication slot",
                                     "SLOT=\"${SLOT:?set SLOT: an inactive slot_name from the query above}\"\n"
                                     + n.psql("SELECT pg_drop_replication_slot('$SLOT')"),
                                     "the slot is gone and retained WAL is recycled at the next checkpoint",
                                     warning="A dropped slot cannot be recreated at the same position: the "
                                             "replica or CDC consumer (Debezium) that used it must be "
                                             "rebuilt or re-snapshotted. Confirm the consumer is decommissioned.")),
                    Step(action="If a replica is hopelessly behind, rebuild it from a fresh base backup "
                                "rather than waiting.", command=None),
                ],
                verify="replay_lag under 30 seconds on every standby for 15 minutes and retained WAL "
                       "shrinking.",
                escalate="If the primary disk is above 85% because of retained WAL, page the database "
                         "owner immediately.",
            ),
            Issue(
                title="PostgreSQL: transaction ID wraparound risk",
                symptoms="Autovacuum workers busy for hours on one table; log warnings 'database must be "
                         "vacuumed within N transactions'; at the limit the database stops accepting writes.",
                alert=None,
                check=[
                    sql("Transaction ID age per database",
                        "SELECT datname, age(datfrozenxid) AS xid_age FROM pg_database ORDER BY 2 DESC;",
                        "xid_age well below 1,000,000,000; above 1,500,000,000 act now (limit ~2.1 billion)"),
                    sql("Tables with the oldest relfrozenxid",
                        "SELECT c.oid::regclass AS table_name, age(c.relfrozenxid) AS xid_age, "
                        "pg_size_pretty(pg_total_relation_size(c.oid)) AS size FROM pg_class c "
                        "WHERE c.relkind IN ('r', 'm', 't') ORDER BY 2 DESC LIMIT 10;",
                        "the tables to freeze first"),
                ],
                fix=[
                    Step(action="End long-running transactions first (they stop vacuum from freezing).",
                         command=None),
                    Step(action="Run a manual freeze on the oldest table.",
                         command=cmd("Freeze the oldest table",
                                     "TABLE=\"${TABLE:?set TABLE: table_name from the query above}\"\n"
                                     + n.psql("VACUUM (FREEZE, VERBOSE) $TABLE"),
                                     "the table's xid_age drops to near zero",
                                     warning="VACUUM FREEZE on a large table reads and writes all of it: "
                                             "heavy I/O for minutes to hours. It takes no blocking lock; run "
                                             "it off-peak when there is time.")),
                ],
                verify="age(datfrozenxid) drops below 500,000,000 for every database within 1 hour "
                       "of the freeze finishing.",
                escalate="Above 1,500,000,000 page the database owner; never restart in single-user mode "
                         "without them.",
            ),
        ]

        if not replicas:  # no replica or standby is stated: no lag to chase (only what applies)
            issues = [i for i in issues if i.title != "PostgreSQL: replication lag"]

        comp = ctx.model.component("postgresql") if ctx.model is not None else None
        variant = comp.variant if comp is not None else ""
        restore: list[Command] = []
        # A provider runs it (Aiven, a vendor, a managed service the engine has no class for): nothing of it
        # is on the team's hosts, so no dump on disk, no pg_promote, no journalctl.
        hosted = None if n.managed or comp is None else store_roles.provider(comp, ctx.facts.description)
        # a backup tool in the model (pgBackRest, WAL-G, Barman) owns the restore: its pack gives it, no dump
        tool = ctx.model is not None and any(c.technology in store_roles.BACKUP_TOOLS for c in ctx.model.components)
        if n.managed:
            restore.append(n.managed.point_in_time_restore())
        elif tool:
            pass
        elif hosted:
            restore.append(store_roles.provider_step(hosted, "Restore a copy at a point in time before the corruption "
                                                  "(point-in-time recovery or a fork), never over the original"))
        else:
            restore.append(cmd(
                "Restore the last good dump into a side database and compare before copying rows back",
                "BACKUP_FILE=\"${BACKUP_FILE:?set BACKUP_FILE: the last dump taken before the corruption}\"\n"
                f"createdb -h {n.hq} -p {n.port} -U {q(n.user)} {q(n.db + '_restore')}\n"
                f"pg_restore -h {n.hq} -p {n.port} -U {q(n.user)} -d {q(n.db + '_restore')} "
                "--jobs=4 --no-owner \"$BACKUP_FILE\"",
                "pg_restore exits 0; compare row counts between the two databases before any copy back"))

        procedures = aurora_global(ctx, comp) if variant == "aurora-global" else []
        # under Patroni the HA manager promotes (patronictl failover, in its pack); a pg_promote by hand fights it
        patroni = ctx.model is not None and any(c.technology == "patroni" or c.variant == "patroni"
                                                for c in ctx.model.components)
        standby_only = n.managed is not None and not copies.readable
        # nothing to promote without a replica or standby; under Patroni its pack's failover does it
        procedures += [] if procedures or patroni or not (replicas or standby_only) else [
            Procedure(title=f"{n.managed.product if n.managed else 'PostgreSQL'}: fail over to the HA standby"
                      if standby_only else "PostgreSQL: promote a replica when the primary is lost", commands=[
                *([] if standby_only else [lag_probe]),
                cmd("Promote the replica (run on the replica host)",
                    "sudo -u postgres psql -X -c \"SELECT pg_promote(wait => true)\"\n"
                    "sudo -u postgres psql -X -c \"SELECT pg_is_in_recovery()\"",
                    "pg_promote returns t, pg_is_in_recovery returns f",
                    warning="Promotion of an asynchronous replica loses every transaction the old primary "
                            "had not shipped (check replay_lag first). Make sure the old primary is really "
                            "down and fenced: two primaries accepting writes means split brain. With Patroni, "
                            "use patronictl failover instead of promoting by hand.")
                if not n.managed and not hosted else (n.managed.failover() if n.managed else store_roles.provider_step(
                    hosted or "", "Fail over to the standby (the provider promotes it; never by hand)")),
            ]),
        ]

        return Contribution(
            components=[RunbookComponent(name="Database", technology=f"PostgreSQL{' (' + n.rds + ')' if n.rds else ''}",
                                  version="fill in: SELECT version()", location=location,
                                  purpose=f"Primary data store for {ctx.facts.display_name} (database {n.db})")],
            upstream=[Upstream(service=f"PostgreSQL {n.db}", purpose="Reads and writes of the service's data",
                               criticality="Critical",
                               fallback="None for writes; serve cached reads and return 503 on writes")],
            key_metrics=[
                KeyMetric(metric="PostgreSQL connections used", normal_range="< 60% of max_connections",
                          alert_threshold="> 80% for 5 min", dashboard="fill in: PostgreSQL dashboard"),
                *([KeyMetric(metric="PostgreSQL replication lag", normal_range="< 1 s",
                             alert_threshold="> 30 s for 5 min", dashboard="fill in: PostgreSQL dashboard")]
                  if replicas else []),
            ],
            prerequisites=[f"psql, pg_dump and pg_restore (postgresql-client) with network access to "
                           f"{n.instance if n.host.startswith('$(') else n.host}:{n.port} and credentials for "
                           f"{n.user} in ~/.pgpass"],
            deploy_caveats=["Schema migrations: take no ACCESS EXCLUSIVE lock on hot tables during peak "
                            "(set lock_timeout); a code rollback does not roll back a migration, so ship "
                            "backward-compatible migrations (expand, then contract)."],
            signals=signals,
            log_queries=[n.managed.recent_log() if n.managed else store_roles.provider_step(
                hosted, "Read the database's recent errors in the provider's log view") if hosted else
                         cmd("Recent PostgreSQL errors",
                             f"sudo journalctl -u {'patroni' if patroni else 'postgresql'} --since '1 hour ago' "
                             "--no-pager | "
                             "grep -E 'ERROR|FATAL|PANIC' | tail -n 50", "no FATAL or PANIC lines")],
            issues=issues,
            stop_writes=[
                *kill_switch(ctx, svc, "stop the writes that corrupt data"),
                *([] if _theirs(ctx, comp) else [
                cmd("Make new sessions on the database read-only",
                    n.psql(f"ALTER DATABASE {_sql_ident(n.db)} SET default_transaction_read_only = on"),
                    "ALTER DATABASE; only new sessions are affected, existing ones keep writing until they "
                    "reconnect",
                    warning=f"Every application writing to {n.db} gets 'cannot execute ... in a read-only "
                            "transaction' on new connections. Undo with ALTER DATABASE ... RESET "
                            "default_transaction_read_only.")
                if ctx.answers.service_type == "database" else
                # the database is a dependency other services may write too: only this service's role goes
                # read-only, so its reads keep working and nobody else's writes stop
                cmd(f"Make new sessions of {svc}'s database role read-only (reads keep working)",
                    f"APP_ROLE=\"${{APP_ROLE:?set APP_ROLE to the database role {svc} connects as}}\"\n"
                    + n.psql(f"ALTER ROLE $APP_ROLE IN DATABASE {_sql_ident(n.db)} "
                             "SET default_transaction_read_only = on"),
                    "ALTER ROLE; new sessions of that role are read-only, existing ones keep writing until they "
                    "reconnect",
                    warning=f"{svc}'s writes to {n.db} fail with 'cannot execute ... in a read-only transaction' on "
                            "new connections; other roles are untouched. Undo with ALTER ROLE ... IN DATABASE ... "
                            "RESET default_transaction_read_only.")]),
            ],
            assess=[
                cmd("Checksum failures and recent row changes",
                    n.psql("SELECT datname, checksum_failures, checksum_last_failure FROM pg_stat_database "
                           "WHERE datname = current_database()"),
                    "checksum_failures 0 or NULL (NULL: checksums disabled)"),
                sql("Tables with the most recent updates and deletes",
                    "SELECT relname, n_tup_upd, n_tup_del, last_autoanalyze FROM pg_stat_user_tables "
                    "ORDER BY n_tup_upd + n_tup_del DESC LIMIT 10;",
                    "the tables the bad writes touched"),
            ],
            restore=restore,
            daily=["Check that last night's PostgreSQL backup finished and its size is plausible"],
            weekly=["Review pg_stat_user_tables for dead tuples and tables autovacuum is not keeping up with",
                    *([] if managed else ["Check replication slots: every slot active, retained WAL small"])],
            monthly=["Apply PostgreSQL minor-version updates", "Restore a backup into a scratch instance "
                     "and run a row-count check (an untested backup is not a backup)",
                     "Check XID age: age(datfrozenxid) below 500 million"],
            maintenance_commands=[
                cmd("Tables with the most dead tuples",
                    n.psql("SELECT relname, n_dead_tup, last_autovacuum FROM pg_stat_user_tables "
                           "ORDER BY n_dead_tup DESC LIMIT 10"),
                    "dead tuples below ~20% of live rows"),
                cmd("Vacuum and analyze one table",
                    "TABLE=\"${TABLE:?"
                    "set TABLE: from the query above}\"\n" + n.psql("VACUUM (VERBOSE, ANALYZE) $TABLE"),
                    "VACUUM; it takes no blocking lock (unlike VACUUM FULL, which rewrites the table under an "
                    "exclusive lock: avoid it in production, use pg_repack)"),
                cmd("Rebuild a bloated index without blocking writes",
                    "INDEX=\"${INDEX:?set INDEX: the bloated index}\"\n"
                    + n.psql("REINDEX INDEX CONCURRENTLY $INDEX"),
                    "REINDEX; if it fails, drop the leftover invalid index named *_ccnew"),
            ],
            dr_procedures=procedures,
            cheatsheet=[
                cmd("Connect", f"psql -h {n.hq} -p {n.port} -U {q(n.user)} -d {q(n.db)}"),
                cmd("Active queries", n.psql("SELECT pid, state, now() - query_start AS age, left(query, 80) "
                                             "FROM pg_stat_activity WHERE state <> 'idle' ORDER BY 3 DESC")),
                sql("Largest tables",
                    "SELECT relname, pg_size_pretty(pg_total_relation_size(relid)) AS size "
                    "FROM pg_catalog.pg_statio_user_tables ORDER BY pg_total_relation_size(relid) DESC LIMIT 10;"),
            ],
            environment_variables=[("DATABASE_URL", f"PostgreSQL connection string for {n.db}")],
            vendors=[n.managed.vendor] if n.managed else [],
        )


PACK = PostgresPack()
