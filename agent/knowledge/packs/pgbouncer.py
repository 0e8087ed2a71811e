"""PgBouncer in front of PostgreSQL: waiting clients, pool sizing, pool modes, PAUSE/RESUME."""

from __future__ import annotations

from agent.knowledge.base import Context, Contribution
from agent.knowledge.packs._base import KeywordPack, cmd, q, snake, workload_platform
from agent.knowledge.signals import Signal, limit
from agent.runbook import Component, Issue, KeyMetric, Procedure, Step, Upstream


class PgBouncerPack(KeywordPack):
    name = "pgbouncer"
    summary = "PgBouncer connection pooler: clients waiting, pool sizing, transaction-mode caveats, PAUSE/RESUME"
    keywords = ("pgbouncer",)
    order = 11
    examples = ("Orders API talks to PostgreSQL through PgBouncer (transaction pooling) on port 6432",)
    negatives = ("Orders API talks to PostgreSQL directly",)

    def build(self, ctx: Context) -> Contribution:
        f = ctx.facts
        host = f.name("pgbouncer.host", f"{f.service}-pgbouncer")
        db = f.name("postgres.database", snake(f.service))
        admin = f"psql -h {q(host)} -p 6432 -U pgbouncer -d pgbouncer -X"

        def console(statement: str) -> str:
            return f"{admin} -c \"{statement}\""

        pools = cmd("Pool state: waiting clients and server connections per pool", console("SHOW POOLS"),
                    "cl_waiting 0 and maxwait 0 for the pool of database " + db + "; sv_active below "
                    "default_pool_size")

        signals = [Signal(
            key="pgbouncer.waiting", name="PgBouncer clients waiting", measure="clients waiting",
            threshold=limit(ctx.facts, ("waiting", "cl_waiting"), 10), minutes=2, severity="Critical",
            response="Follow 'PgBouncer: clients waiting for a server connection'.",
            entry="PgBouncer: clients waiting for a server connection", labels={"db": db}, probe=pools)]

        issues = [Issue(
            title="PgBouncer: clients waiting for a server connection",
            symptoms="Application timeouts acquiring a connection while PostgreSQL itself looks idle or "
                     "busy with a few long queries; cl_waiting > 0 in SHOW POOLS.",
            alert="PgBouncer clients waiting",
            check=[
                pools,
                cmd("Server connections and how long each has been busy", console("SHOW SERVERS"),
                    "sv_active connections whose request_time is old point at long queries on PostgreSQL"),
                cmd("Effective pool settings", console("SHOW CONFIG") + " | grep -E "
                    "'pool_mode|default_pool_size|max_client_conn|max_db_connections|reserve_pool'",
                    "pool_mode transaction for web workloads; default_pool_size x databases x users below "
                    "PostgreSQL max_connections"),
            ],
            fix=[
                Step(action="If server connections are held by long queries, fix those on PostgreSQL "
                            "(see 'PostgreSQL: blocking locks and slow queries'): the pool is a symptom.",
                     command=None),
                Step(action="If the pool is simply too small, raise default_pool_size in pgbouncer.ini and "
                            "reload online (keeps client connections).",
                     command=cmd("Reload PgBouncer configuration online", console("RELOAD"),
                                 "RELOAD; SHOW CONFIG shows the new value")),
            ],
            verify="cl_waiting stays 0 and maxwait 0 in SHOW POOLS for 15 minutes.",
            escalate="If clients still wait after 15 minutes with PostgreSQL healthy, page the database owner.",
        )]

        return Contribution(
            components=[Component(name="Connection pooler", technology="PgBouncer",
                                  version="fill in: SHOW VERSION on the admin console", location=f"{host}:6432",
                                  purpose="Multiplexes many client connections onto few PostgreSQL connections")],
            upstream=[Upstream(service=f"PgBouncer {host}", purpose="Connection pooling to PostgreSQL",
                               criticality="Critical", fallback="Connect to PostgreSQL directly with a small pool "
                                                                "(watch max_connections)")],
            key_metrics=[KeyMetric(metric="PgBouncer clients waiting", normal_range="0",
                                   alert_threshold="> 10 for 2 min", dashboard="fill in: PgBouncer dashboard")],
            prerequisites=[f"psql with access to the PgBouncer admin console on {host}:6432 (a user in "
                           "admin_users or stats_users)"],
            deploy_caveats=["Transaction pooling breaks session state: SET, advisory locks, LISTEN/NOTIFY, "
                            "temporary tables and (before PgBouncer 1.21) protocol-level prepared statements "
                            "do not survive between transactions."],
            signals=signals,
            issues=issues,
            stop_writes=[cmd(f"Pause traffic to {db}: new queries queue in PgBouncer",
                             console(f"PAUSE {db}"),
                             "PAUSE returns once running transactions finish; undo with RESUME " + db,
                             warning="Every client of this database queues until RESUME and times out after "
                                     "query_wait_timeout (default 120 s). Use it for seconds-long switches "
                                     "(failover, restart), not as a long stop.")],
            maintenance_commands=[cmd("Resume a paused database", console(f"RESUME {db}"),
                                      "RESUME; cl_waiting drains to 0")],
            daily=["Check SHOW POOLS for cl_waiting and maxwait"],
            weekly=["Compare pool usage peaks against default_pool_size"],
            monthly=["Check default_pool_size x pools stays below PostgreSQL max_connections"],
            dr_procedures=[Procedure(title="PgBouncer: switch to a new PostgreSQL primary without dropping "
                                           "clients", commands=[
                cmd("Pause, repoint, reload, resume",
                    console(f"PAUSE {db}") + "\n"
                    + workload_platform(ctx, "pgbouncer").edit_config(
                        "pgbouncer", "/etc/pgbouncer/pgbouncer.ini",
                        "set host= of the new primary in the databases section") + "\n"
                    + console("RELOAD") + "\n" + console(f"RESUME {db}"),
                    "clients see a pause of seconds and no errors",
                    warning="While paused, all clients of the database queue; keep the pause under "
                            "query_wait_timeout (default 120 s) or they get errors."),
            ])],
            cheatsheet=[pools, cmd("Traffic statistics per database", console("SHOW STATS"))],
            environment_variables=[("DATABASE_URL", f"points at PgBouncer {host}:6432, not at PostgreSQL")],
        )


PACK = PgBouncerPack()
