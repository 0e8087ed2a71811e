"""MySQL / MariaDB (self-managed, RDS or Aurora): connections, lock waits, replication, binlogs."""

from __future__ import annotations

import re
from collections.abc import Callable

from agent.knowledge import store_roles
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
    workload_platform,
)
from agent.knowledge.platforms.limits import Scope, managed_sql
from agent.knowledge.platforms.managed import managed_database, replication_of
from agent.knowledge.signals import Signal, limit
from agent.runbook import Command, Component, Issue, KeyMetric, Procedure, Step, Upstream

_REPLICAS = ("replica", "replicas", "standby", "replication", "multi-az", "patroni", "aurora", "read replica",
             "hot standby", "failover", "primary")


def possible(*commands: Command) -> list[Command]:
    """`commands` without those the managed product has no way for (a guarded refusal is no step)."""
    return [c for c in commands if "NOT_ON_MANAGED" not in c.code]


class MySqlPack(KeywordPack):
    name = "mysql"
    summary = ("MySQL/MariaDB incl. RDS/Aurora: too many connections, lock waits (KILL QUERY vs KILL), "
               "replication errors, binlog disk, read-only switch")
    keywords = ("mysql", "mariadb", "aurora mysql", "percona server")
    order = 14
    examples = ("Catalog service on MySQL 8.0 (database catalog) with one replica for reporting",
                "Legacy PHP app on Amazon RDS for MariaDB")
    negatives = ("Orders API on PostgreSQL 15",)

    def build(self, ctx: Context) -> Contribution:
        f = ctx.facts
        rds = mention(ctx, ("aurora", "rds"))
        reg = q(region(ctx))
        if "mysql.host" not in f.names and rds and "rds.instance" in f.names:
            # Ask AWS for the endpoint of the named instance / Aurora cluster instead of inventing a host.
            what = (f"describe-db-clusters --region {reg} --db-cluster-identifier {q(f.names['rds.instance'])} "
                    "--query 'DBClusters[0].Endpoint'" if "aurora" in rds.lower() else
                    f"describe-db-instances --region {reg} --db-instance-identifier {q(f.names['rds.instance'])} "
                    "--query 'DBInstances[0].Endpoint.Address'")
            host = f"$(aws rds {what} --output text)"
        else:
            host = f.name("mysql.host", f"{f.service}-mysql")
        label = f.names["rds.instance"] if host.startswith("$(") else host  # the host as a name in text/tags
        db = f.name("mysql.database", snake(f.service))
        user = f.name("mysql.user", "admin")
        comp = ctx.model.component("mysql") if ctx.model is not None else None
        given_id = (comp.name("cluster") or comp.name("instance")) if comp is not None else None
        instance = given_id or f.name("rds.instance", f.name("mysql.instance", f"{f.service}-mysql"))
        # the managed variant (RDS instance, Aurora): what it refuses is replaced by its own way
        variant = (comp.variant if comp is not None and comp.variant and comp.form == "managed" else
                   "" if comp is not None and comp.form not in ("managed", "unknown") else
                   "aurora" if mention(ctx, ("aurora",)) else "rds-instance" if rds else "")
        product = {"rds-instance": "RDS", "aurora": "Aurora", "aurora-global": "Aurora"}.get(variant, variant)
        scope = Scope(identifier=instance, region=region(ctx))
        copies = replication_of(ctx, comp)
        managed_db = managed_database(ctx, "mysql", instance) if variant else None

        # Docker Compose: a compose service's name resolves only on the compose network, so run the
        # client inside the container (MYSQL_PWD exported in the operator's shell is passed through).
        services = [s for s in f.name("compose.services", f.name("compose.service", "")).split(",") if s]
        platform = workload_platform(ctx)
        inside = platform.runs(host)
        replica_host = f.name("mysql.replica", next((s for s in services + f.name("hosts", "").split(",")
                                                     if "replica" in s), f"{label}-replica"))
        if variant and copies.replicas:
            replica_host = copies.replicas[0]

        def client(tool: str, target: str = host) -> str:
            if inside:
                return platform.exec_in(target, tool, env=("MYSQL_PWD",))
            return f"{tool} -h " + (f"\"{target}\"" if target.startswith("$(") else q(target))

        def mysql(statement: str, vertical: bool = False, target: str = host) -> str:
            flag = " -E" if vertical else ""
            allowed = managed_sql(variant, "mysql", statement, scope, product)
            if allowed.code is None:  # the product refuses it: its own command (or a guarded stop) instead
                return allowed.shell or ""
            why = "".join(f"# {note}\n" for note in allowed.notes)
            return f"{why}{client('mysql', target)} -u {q(user)} -D {q(db)}{flag} -e \"{allowed.code}\""

        def purge_after_replicas() -> str:
            """PURGE only the binlogs every replica has applied: each replica's position is read first, and
            nothing is purged while one of them cannot be read."""
            named = copies.replicas or ([replica_host] if f.name("mysql.replica", "") else [])
            listed = (f"REPLICAS={q(' '.join(named))}" if named else
                      f"REPLICAS=\"${{REPLICAS:?set REPLICAS to every replica and binlog reader (CDC) of {host}, "
                      "space-separated}\"")
            return (f"{listed}\nOLDEST=\"\"\nfor R in $REPLICAS; do\n"
                    f"  F=\"$(mysql -h \"$R\" -u {q(user)} -D {q(db)} -E -e \"SHOW REPLICA STATUS\" | "
                    "awk '$1 == \"Relay_Source_Log_File:\" {print $2}')\"\n"
                    "  echo \"$R has applied up to ${F:-?}\"\n"
                    "  if [ -z \"$F\" ]; then OLDEST=unknown; break; fi\n"
                    "  if [ -z \"$OLDEST\" ] || [[ \"$F\" < \"$OLDEST\" ]]; then OLDEST=\"$F\"; fi\n"
                    "done\n"
                    "if [ -z \"$OLDEST\" ] || [ \"$OLDEST\" = unknown ]; then\n"
                    "  echo \"a replica's position could not be read: purge nothing\" >&2\nelse\n"
                    "  " + mysql("PURGE BINARY LOGS TO '$OLDEST'") + "\nfi")

        aurora = mention(ctx, ("aurora",))

        def cw(metric: str) -> CloudWatchMetric | None:
            if aurora:  # Aurora: cluster-level metrics; readers' lag is AuroraReplicaLagMaximum (ms)
                metric = {"ReplicaLag": "AuroraReplicaLagMaximum"}.get(metric, metric)
                return CloudWatchMetric("AWS/RDS", metric, {"DBClusterIdentifier": instance})
            return CloudWatchMetric("AWS/RDS", metric, {"DBInstanceIdentifier": instance}) if rds else None

        conn_probe = cmd("Connections against max_connections",
                         mysql("SHOW GLOBAL STATUS LIKE 'Threads_connected'; "
                               "SHOW GLOBAL VARIABLES LIKE 'max_connections'"),
                         "Threads_connected below 80% of max_connections")
        replica = cmd("Replication state (run against the replica)",
                      mysql("SHOW REPLICA STATUS", vertical=True, target=replica_host) + " | grep -E "
                      "'Replica_IO_Running|Replica_SQL_Running|Seconds_Behind_Source|Last_.*Error'",
                      "both threads Yes, Seconds_Behind_Source under 30, no Last_SQL_Error "
                      "(MySQL < 8.0.22: SHOW SLAVE STATUS, Slave_*/Seconds_Behind_Master)")

        tags = (("aurora",) if aurora else ()) + (("rds",) if rds else ())
        labels = {"host": label, "instance": instance}
        signals = [
            Signal(key="mysql.connections", name="MySQL connections near max_connections", measure="connections",
                   threshold=limit(f, ("connection",), 80, "%"), of="of max_connections", minutes=5,
                   severity="Critical", response="Follow 'MySQL: too many connections'.",
                   entry="MySQL: too many connections", tags=tags, labels=labels, probe=conn_probe,
                   covers=("connections",)),
            Signal(key="mysql.replication_lag", name="MySQL replication lag", measure="replica behind the source",
                   threshold=limit(f, ("replica", "replication"), 30, "s"), minutes=5, severity="Warning",
                   response="Follow 'MySQL: replication stopped or lagging'.",
                   entry="MySQL: replication stopped or lagging", tags=tags, labels=labels, probe=replica,
                   covers=("replication_lag",)),
        ]
        # A replica lag alert only where replicas exist: the database is the service, or the model names
        # replicas, standbys, replication or an HA setup.
        replicas = ctx.answers.service_type == "database" or mention(ctx, _REPLICAS) is not None
        if variant:  # a managed standby (Multi-AZ) is not a replica: only a read replica replicates in sight
            replicas = copies.readable
        if not replicas:
            signals = [s for s in signals if s.key != "mysql.replication_lag"]

        issues = [
            Issue(
                title="MySQL: too many connections",
                symptoms="Clients get 'ERROR 1040 (HY000): Too many connections'; pool timeouts.",
                alert="MySQL connections near max_connections",
                check=[conn_probe, cmd(
                    "Connections by user, host and command",
                    mysql("SELECT user, substring_index(host, ':', 1) AS client, command, count(*) AS n, "
                          "max(time) AS max_s FROM information_schema.processlist GROUP BY 1, 2, 3 "
                          "ORDER BY n DESC LIMIT 15"),
                    "many 'Sleep' connections from one client point at a leaking pool")],
                fix=[Step(action="Cancel the longest statements first (KILL QUERY keeps the connection).",
                          command=cmd("Cancel one statement",
                                      "ID=\"${ID:?"
                                      "set ID: processlist id of the statement}\"\n" + mysql("KILL QUERY $ID"),
                                      "the statement stops with 'Query execution was interrupted'")),
                     Step(action="Kill idle connections of the leaking client if it does not recover.",
                          command=cmd("Kill one connection",
                                      "ID=\"${ID:?set ID: processlist id of the connection}\"\n" + mysql("KILL $ID"),
                                      "the connection is gone from the processlist",
                                      warning="KILL drops the connection and rolls back its open transaction "
                                              "(a long rollback can take as long as the work did). Use KILL "
                                              "QUERY to cancel only the statement.")),
                     Step(action="Restart or shrink the pool of the client holding most connections.",
                          command=None)],
                verify="Threads_connected below 70% of max_connections for 15 minutes and no error 1040.",
                escalate="If connections stay above 95% for 15 minutes, page the database owner.",
            ),
            Issue(
                title="MySQL: lock waits and slow queries",
                symptoms="'Lock wait timeout exceeded' or deadlock errors; latency rising.",
                alert=None,
                check=[cmd("Who waits on whom (sys schema, MySQL 5.7+)",
                           mysql("SELECT wait_age, locked_table, waiting_pid, waiting_query, blocking_pid, "
                                 "blocking_query FROM sys.innodb_lock_waits ORDER BY wait_age DESC LIMIT 10"),
                           "no rows, or the blocking_pid to deal with"),
                       cmd("Latest deadlock", mysql("SHOW ENGINE INNODB STATUS", vertical=True)
                           + " | sed -n '/LATEST DETECTED DEADLOCK/,/TRANSACTIONS/p'",
                           "the two statements involved, to fix the access order in code")],
                fix=[Step(action="KILL QUERY the blocking_pid; if it is an idle open transaction, KILL it "
                                 "(see above).", command=None),
                     Step(action="Run schema changes with an online tool (gh-ost, pt-online-schema-change) or "
                                 "ALGORITHM=INPLACE, LOCK=NONE.", command=None)],
                verify="sys.innodb_lock_waits stays empty and p95 latency is normal for 15 minutes.",
                escalate="If lock waits return within 30 minutes, page the database owner.",
            ),
        ]

        if replicas or not variant:  # a managed database with only a standby has no replication to see
            issues.append(
                Issue(
                    title="MySQL: replication stopped or lagging",
                    symptoms="Replica reads stale; Replica_SQL_Running: No with an error.",
                    alert="MySQL replication lag" if replicas else None,
                    check=[replica],
                    fix=[Step(action="Fix the cause named in Last_SQL_Error. Skipping the failing event "
                                     "(sql_replica_skip_counter) makes the replica silently diverge; rebuild "
                                     "the replica from a fresh backup instead when data differs.", command=None),
                         Step(action="For lag alone, look for a long transaction replaying on the replica and a "
                                     "single-threaded applier (replica_parallel_workers).", command=None)],
                    verify="Both threads Yes and Seconds_Behind_Source under 30 for 15 minutes.",
                    escalate="If the replica must be rebuilt, page the database owner.",
                ))

        restore: Command
        if aurora:
            restore = cmd(
                "Restore a copy of the Aurora cluster just before the corruption",
                "RESTORE_TIME=\"${RESTORE_TIME:?set RESTORE_TIME: UTC, before the bad write}\"\n"
                f"aws rds restore-db-cluster-to-point-in-time --region {reg} "
                f"--source-db-cluster-identifier {q(instance)} --db-cluster-identifier {q(instance + '-pitr')} "
                "--restore-to-time \"$RESTORE_TIME\"",
                "a new cluster with no instances yet: add one with aws rds create-db-instance "
                f"--db-cluster-identifier {instance}-pitr before connecting; the original is untouched")
        elif rds:
            restore = cmd(
                "Restore a copy of the instance just before the corruption",
                "RESTORE_TIME=\"${RESTORE_TIME:?set RESTORE_TIME: UTC, before the bad write}\"\n"
                f"aws rds restore-db-instance-to-point-in-time --region {reg} "
                f"--source-db-instance-identifier {q(instance)} --target-db-instance-identifier "
                f"{q(instance + '-pitr')} --restore-time \"$RESTORE_TIME\"",
                "a new instance; the original is untouched")
        elif comp is not None and (hosted := store_roles.provider(comp, ctx.facts.description)):
            # a provider runs it (Aiven, a vendor): there is no dump on the team's hosts
            restore = store_roles.provider_step(hosted, "Restore a copy at a point in time before the corruption, "
                                                        "never over the original")
        else:
            restore = cmd(
                "Load the last good dump into a side database and compare",
                "DUMP=\"${DUMP:?set DUMP: the last dump before the corruption}\"\n"
                f"{client('mysql')} -u {q(user)} -e \"CREATE DATABASE {db}_restore\"\n"
                f"gunzip -c \"$DUMP\" | {client('mysql')} -u {q(user)} {q(db + '_restore')}",
                "the side database holds the old rows; copy back what the comparison shows")
        if not replicas:  # no replica or standby is stated: no replication to fix (only what applies)
            issues = [i for i in issues if i.title != "MySQL: replication stopped or lagging"]
        # Galera (MariaDB Galera, Percona XtraDB Cluster): every node takes writes through the group, nothing
        # replicates one way, so there is no replica to promote; a cluster that lost quorum is bootstrapped
        # from the most advanced node, exactly once
        galera = comp is not None and comp.variant == "galera"
        nodes = [n for n in (comp.names_of("host") if comp is not None else []) if n]  # its own, or asked for
        if galera:
            issues = [i for i in issues if i.title != "MySQL: replication stopped or lagging"]
            issues.append(_galera_issue(mysql, nodes))
        unit = (comp.name("unit") if comp is not None else None) or "mariadb"

        promote = cmd(
            "Promote the replica (run against it)" if not variant else "Promote the read replica (RDS does it)",
            mysql("STOP REPLICA; RESET REPLICA ALL; SET GLOBAL super_read_only = OFF; SET GLOBAL read_only = OFF",
                  target=replica_host),
            "the replica accepts writes; repoint the service",
            warning="With asynchronous replication, transactions the replica had not received are lost; "
                    "fence the old primary so it takes no writes (two writable primaries diverge)." + (
                        " Promotion ends replication for good." if variant else ""))
        orchestrated = not variant and mention(ctx, ("orchestrator",)) is not None
        if orchestrated:
            # Orchestrator owns failover (and its hooks repoint ProxySQL / DNS): a replica promoted by hand with
            # read_only off is a second primary, the split brain the hooks exist to prevent
            alias = re.search(r"(?:-alias[= ]|cluster alias\s+)[`'\"]?([\w.-]+)", ctx.facts.description)
            decl = "" if alias else "ALIAS=\"${ALIAS:?set ALIAS to the Orchestrator cluster alias}\"\n"
            name = q(alias.group(1)) if alias else '"$ALIAS"'
            promote = cmd("Only if Orchestrator's automated recovery has not acted: fail over through it (it picks "
                          "and promotes the replica, then runs its hooks)",
                          f"{decl}orchestrator-client -c topology -alias {name}\n"
                          "orchestrator-client -c replication-analysis\n"
                          f"orchestrator-client -c force-master-failover -alias {name}",
                          "a new primary in the topology; the hooks repointed the writers",
                          warning="Orchestrator owns failover: never promote a replica by hand (RESET REPLICA, "
                                  "read_only OFF), which leaves two writable primaries.")
        # a managed instance: the standby takes over through the product (a Multi-AZ standby is not
        # readable and is never promoted by hand); a read replica is promoted by the product too
        managed_dr: list[Procedure] = []
        if variant and managed_db is not None:
            managed_dr.append(Procedure(title=f"{product}: fail over to the standby", commands=[managed_db.failover()]))
        if variant and copies.readable:
            managed_dr.append(Procedure(title=f"{product}: promote a read replica", commands=[replica, promote]))

        return Contribution(
            components=[Component(name="Database", technology=f"MySQL{' (' + rds + ')' if rds else ''}",
                                  version="fill in: SELECT VERSION()",
                                  location=f"RDS instance {instance}" if rds else f"{label}:3306",
                                  purpose=f"Relational data store (database {db})")],
            upstream=[Upstream(service=f"MySQL {db}", purpose="Reads and writes", criticality="Critical",
                               fallback="None for writes; return 503 and serve cached reads")],
            key_metrics=[KeyMetric(metric="MySQL connections", normal_range="< 60% of max_connections",
                                   alert_threshold="> 80% for 5 min", dashboard="fill in: MySQL dashboard")],
            prerequisites=[(f"docker compose access on the host; export MYSQL_PWD for {user} in your shell "
                            "(read -rs MYSQL_PWD; export MYSQL_PWD) — exec -e MYSQL_PWD passes it into the "
                            "container; never -pPASSWORD on the command line") if inside else
                           (f"mysql client with access to {label}:3306 as {user} (password in the [client] section "
                            "of ~/.my.cnf, mode 600; never -pPASSWORD on the command line)")],
            signals=signals,
            issues=issues,
            stop_writes=[*kill_switch(ctx, f.service, "stop the writes that corrupt data"),
                         *possible(cmd("Make the server read-only for every non-admin client",
                                       mysql("SET GLOBAL super_read_only = ON"),
                                       "writes fail with ERROR 1290 (--read-only)",
                                       warning="Every client's writes fail until read-only is turned off again"
                                               + ("." if variant else " (SET GLOBAL super_read_only = OFF)."))),
                         ],
            assess=[cmd("Row counts and last update times per table",
                        mysql("SELECT table_name, table_rows, update_time FROM information_schema.tables WHERE "
                              f"table_schema = '{db}' ORDER BY update_time DESC LIMIT 20"),
                        "the tables changed most recently; table_rows is an estimate for InnoDB")],
            restore=[restore],
            daily=["Check the MySQL backup finished"],
            weekly=["Review the slow query log"],
            monthly=["Apply minor-version updates", "Test a restore"],
            maintenance_commands=possible(cmd(
                "Free disk held by old binary logs" if not variant else "Keep binary logs only as long as needed",
                mysql("PURGE BINARY LOGS BEFORE NOW() - INTERVAL 3 DAY") if variant or inside else
                purge_after_replicas(),
                "older binlogs are gone; SHOW BINARY LOGS lists the rest" if not variant else
                "binlog retention hours shows the new value; RDS removes older binlogs itself",
                warning="A replica or CDC consumer that has not read those binlogs breaks and must be rebuilt; "
                        + ("the command reads every listed replica's position first and purges only what all of "
                           "them applied: list every CDC reader too." if not (variant or inside) else
                           "check every replica's Source_Log_File first.") + (
                            "" if variant else " Prefer binlog_expire_logs_seconds."))),
            dr_procedures=[Procedure(title="Aurora: fail over to a reader", commands=[
                cmd("Writer and readers of the cluster",
                    f"aws rds describe-db-clusters --region {reg} --db-cluster-identifier {q(instance)} --query "
                    "'DBClusters[0].DBClusterMembers[].{id: DBInstanceIdentifier, writer: IsClusterWriter, "
                    "tier: PromotionTier}' --output table",
                    "one writer; readers with their promotion tier"),
                cmd("Fail over to a reader",
                    f"aws rds failover-db-cluster --region {reg} --db-cluster-identifier {q(instance)}",
                    "within about 30-60 s another instance is the writer; the cluster endpoint follows it",
                    warning="Every connection drops and writes fail for up to a minute while DNS moves; clients "
                            "that cache DNS keep writing to the old writer (now read-only). Use it when the "
                            "writer is unhealthy, not to fix a slow query."),
            ])] if aurora else managed_dr if variant else [_galera_bootstrap(nodes, unit)] if galera else [Procedure(
                title="MySQL: fail over through Orchestrator" if orchestrated else "MySQL: promote a replica",
                commands=[replica, promote])] if replicas or orchestrated else [],  # nothing to promote without one
            cheatsheet=[cmd("Is the server up, and its uptime and threads",
                            f"{client('mysqladmin')} -u {q(user)} ping\n{client('mysqladmin')} -u {q(user)} status",
                            "mysqld is alive; Uptime growing (a small Uptime means it restarted)"),
                        conn_probe, cmd("Running statements", mysql("SHOW FULL PROCESSLIST")),
                        cmd("Consistent logical backup without locking InnoDB tables",
                            f"{client('mysqldump')} -u {q(user)} --single-transaction --routines --triggers "
                            f"--databases {q(db)} | gzip > \"{db}-$(date +%Y%m%d-%H%M).sql.gz\"",
                            "a non-empty .sql.gz; --single-transaction is consistent for InnoDB only")],
            environment_variables=[("DATABASE_URL", f"MySQL connection string for {db}")],
            vendors=[("AWS", "RDS")] if rds else [],
        )


def _galera_issue(mysql: Callable[..., str], nodes: list[str]) -> Issue:
    where = f" on each node ({', '.join(nodes)})" if nodes else " on each node"
    return Issue(
        title="Galera (wsrep): cluster size, Primary status, Synced nodes and flow control",
        symptoms="wsrep_cluster_size below the node count, wsrep_cluster_status non-Primary, a node Donor/Joiner "
                 "for long, or flow control pausing every write (one slow node slows the whole cluster).",
        alert=None,
        check=[cmd(f"Galera state{where}",
                   mysql("SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_cluster_size', 'wsrep_cluster_status', "
                         "'wsrep_local_state_comment', 'wsrep_ready', 'wsrep_flow_control_paused')"),
                   "cluster_size = every node, status Primary, state Synced, ready ON, flow_control_paused near 0")],
        fix=[Step(action="One node not Synced while the others are Primary: let it rejoin (IST or SST from a donor); "
                         "restart only that node, one node at a time, and wait for Synced before anything else",
                  command=None),
             Step(action="Flow control paused high: find the slow node (its disk, a long transaction, a big ALTER "
                         "running as TOI) and fix or take out that node; never run big ALTERs directly in Galera",
                  command=None),
             Step(action="Every node non-Primary (quorum lost): follow 'Galera: bootstrap the cluster from the most "
                         "advanced node' in Disaster Recovery; never run galera_new_cluster on more than one node",
                  command=None)],
        verify="wsrep_cluster_size back to every node, all Synced and Primary, flow_control_paused near 0 for 15 min.",
        escalate="Quorum lost on every node, or a bootstrap needed: page the database owner before acting.")


def _galera_bootstrap(nodes: list[str], unit: str) -> Procedure:
    listed = " ".join(nodes) if nodes else ""
    decl = f'NODES="{listed}"' if listed else 'NODES="${NODES:?set NODES to the Galera nodes}"'
    return Procedure(title="Galera: bootstrap the cluster from the most advanced node", commands=[
        cmd("On every node: its last committed position (seqno) and whether it may bootstrap",
            f"{decl}\nfor NODE in $NODES; do echo \"== $NODE\"; ssh \"$NODE\" 'sudo cat /var/lib/mysql/grastate.dat'; "
            "done",
            "seqno per node; -1 means it crashed: get its position with galera_recovery (mysqld --wsrep-recover)"),
        cmd("On the ONE node with the highest seqno only: mark it safe and bootstrap the new cluster from it",
            'NODE="${NODE:?set NODE to the node with the highest seqno (one node only)}"\n'
            "ssh \"$NODE\" \"sudo sed -i 's/^safe_to_bootstrap: 0/safe_to_bootstrap: 1/' /var/lib/mysql/grastate.dat "
            "&& sudo galera_new_cluster\"",
            "that node is Primary with wsrep_cluster_size 1",
            warning="Bootstrapping a second node makes two clusters that both take writes (split brain, lost "
                    "writes). Only the node with the highest seqno, only once."),
        cmd("Start the other nodes one by one; each joins (IST or SST) before the next",
            f'NODE="${{NODE:?set NODE to the next node to join}}"\nssh "$NODE" \'sudo systemctl start {unit}\'',
            "the node reaches Synced and wsrep_cluster_size grows by one; then the next node"),
    ])


PACK = MySqlPack()
