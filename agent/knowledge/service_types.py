"""What each service type (web, api, pipeline, worker, database, other) watches and how it fails:
the alert baseline and the words the engine uses for purpose, impact and downstream consumers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agent.knowledge.policy import Levels

# Stands for the environment's own crash/restart-loop troubleshooting entry (its title varies).
CRASH = "(crash entry)"


@dataclass(frozen=True)
class AlertSpec:
    name: str
    kind: str  # a monitoring.KINDS entry
    threshold: float
    condition: str
    severity: str  # Critical | Warning | Info
    response: str
    issue: str | None = None  # the troubleshooting entry it leads to (title)


def schedule_minutes(schedule: str | None) -> int | None:
    """The interval of a schedule ('every 15 minutes', 'hourly', cron '*/5 * * * *') in minutes."""
    if not schedule:
        return None
    text = schedule.lower()
    match = re.search(r"every\s+(\d+)\s*(minute|min|hour|day)", text)
    if match:
        return int(match.group(1)) * {"minute": 1, "min": 1, "hour": 60, "day": 1440}[match.group(2)]
    for word, minutes in (("hourly", 60), ("every hour", 60), ("nightly", 1440), ("daily", 1440),
                          ("every day", 1440), ("every night", 1440), ("weekly", 10080)):
        if word in text:
            return minutes
    parts = text.split()
    if len(parts) == 5:
        minute, hour, dom, _month, dow = parts
        if minute.startswith("*/"):
            return int(minute[2:]) if minute[2:].isdigit() else None
        if hour == "*":
            return 60
        if hour.startswith("*/") and hour[2:].isdigit():
            return int(hour[2:]) * 60
        if dow != "*" and dom == "*":
            return 10080
        return 1440
    return None


# What a service IS, by its technology's kind: these serve no HTTP requests of their own, so request
# error rates and latencies are not their signals (their pack's are).
NON_HTTP_KINDS = frozenset({"database", "queue", "stream", "broker", "cache", "session-store", "search", "pooler",
                            "ha-manager", "backup", "scheduler", "object-store"})
_STREAMING = re.compile(r"\b(?:stream(?:s|ing)?|cdc|change data capture|real[- ]time|continuous(?:ly)?|debezium|"
                        r"kafka consumer|consumer group)\b", re.I)


def serves_http(service_type: str, technology_kind: str = "") -> bool:
    """Whether request-rate / 5xx / latency signals describe the service: web and API services, and an
    'other' service unless its own technology is a store, broker or pooler."""
    return service_type in ("web", "api") or (service_type == "other" and technology_kind not in NON_HTTP_KINDS)


def streaming(description: str) -> bool:
    """A pipeline that runs continuously (a stream / CDC job): it has lag, not runs or a schedule."""
    return bool(_STREAMING.search(description))


def alert_baseline(service_type: str, env: str, levels: Levels, criticality: str,
                   schedule: str | None, backlog: int | None = None,
                   https_host: str | None = None, deadline: str | None = None,
                   quantile: str = "95", engine: Engine | None = None, http: bool = True,
                   continuous: bool = False, host_disk: bool = True) -> list[AlertSpec]:
    page = "Critical" if criticality in ("critical", "high") else "Warning"
    err_page = round(max(1.0, levels.error_rate_pct * 5), 2)
    latency = levels.latency_p95_ms
    alerts: list[AlertSpec] = []
    if service_type in ("web", "api", "other") and http:
        alerts += [
            AlertSpec("High Error Rate", "error_rate", err_page, f"> {err_page:g}% of requests fail (5xx) for 5 min",
                      page, "Check logs for the dominant error; roll back if it started with a deploy",
                      "High error rate (5xx)"),
        ] + ([
            # SRE workbook multiwindow burn rate: 14.4x spends 2% of a 30-day budget in one hour
            AlertSpec("Error Budget Burn", "burn_rate", round(14.4 * (100 - levels.availability_pct), 3),
                      f"error ratio > {14.4 * (100 - levels.availability_pct):.3g}% over both 1 h and 5 min "
                      f"(14.4× the {levels.availability_pct:g}% SLO budget rate)", "Critical",
                      "The monthly error budget will be gone in about 2 days at this rate: mitigate now",
                      "High error rate (5xx)"),
        ] if criticality in ("critical", "high") else []) + [
            AlertSpec("High Latency", "latency_p95", latency, f"p{quantile} > {latency:g} ms for 10 min", "Warning",
                      "Check saturation (CPU, connections) and slow dependencies; scale out if CPU-bound",
                      "High response times"),
        ]
    if service_type == "worker":
        alerts += [
            AlertSpec("Queue Backlog Growing", "queue_backlog", backlog or 1000,
                      f"> {backlog} messages waiting for 15 min (your limit)" if backlog else
                      "> 1000 messages waiting for 15 min (default; tune to 15 min of normal throughput)", page,
                      "Check consumers are running and not failing; scale consumers if healthy but slow",
                      "Queue backlog growing"),
            AlertSpec("Job Failure Rate", "job_failures", 5, "> 5% of jobs fail for 10 min", "Warning",
                      "Find the failing job type in logs; park poison messages in the DLQ", "Jobs failing"),
            AlertSpec("Consumers Stalled", "no_progress", 1, "< 1 job completed in 15 min while messages wait",
                      "Critical", "Consumers are stuck or down: read their logs and the broker connection first; "
                      "restart one only once the cause is known",
                      "Consumers stalled (no progress)"),
        ]
    if service_type == "pipeline" and continuous:  # a stream job: lag, never "missed its schedule"
        alerts.append(AlertSpec("Stream Lag Growing", "queue_backlog", backlog or 1000,
                                f"> {backlog or 1000} events behind for 15 min"
                                + (" (your limit)" if backlog else " (default; tune to 15 min of normal throughput)"),
                                page, "Check the job is running and not failing; lag that outgrows the source's "
                                "retention is lost data", "Queue backlog growing"))
    if service_type == "pipeline" and not continuous:
        interval = schedule_minutes(schedule) or 1440
        late = interval * 2
        alerts += [
            AlertSpec("Pipeline Run Failed", "pipeline_failed", 1, "last run status failed (1 failure, checked "
                      "every 5 min)", page, "Read the failed run's logs; fix and re-run the failed window",
                      "Pipeline run failed"),
            AlertSpec("Pipeline Data Late", "pipeline_late", late, f"no successful run for > {late} min "
                      f"(2× the {interval}-minute schedule)"
                      + (f"; page well before the {deadline} delivery deadline" if deadline else ""), page,
                      "Check whether the run is stuck, failed or never started; trigger a catch-up run",
                      "Pipeline late or missed its schedule"),
        ]
    # a database engine without relational semantics gets no replica-lag / max_connections alert borrowed
    # from PostgreSQL (its own signals come from its pack, or from the team)
    relational = engine is None or engine.relational
    if service_type == "database" and not relational:
        alerts += [
            AlertSpec("Disk Space Low", "disk", 80, "> 80% of the data volume used for 10 min", page,
                      f"Find what grows on the data volume ({engine.display if engine else 'the engine'}'s data, "
                      "logs, snapshots); extend the volume before 90%", "Disk filling up"),
        ]
    if service_type == "database" and relational:
        alerts += [
            AlertSpec("Replication Lag", "replication_lag", 30, "> 30 s replica lag for 5 min", page,
                      "Check replica load and long transactions on the primary; don't fail over to a lagging replica",
                      "Replication lag"),
            AlertSpec("Connections Near Limit", "connections", 80, "> 80% of max_connections for 5 min", page,
                      "Find the client holding connections; use a pooler; kill idle-in-transaction sessions",
                      "Connection saturation"),
            AlertSpec("Disk Space Low", "disk", 80, "> 80% of the data volume used for 10 min", page,
                      "Find what grows (WAL/binlogs, bloat, logs); extend the volume before 90%",
                      "Disk filling up"),
        ]
    if service_type in ("web", "api") and https_host:
        alerts.append(AlertSpec("TLS Certificate Expiring", "cert_expiry", 14, f"certificate of {https_host} "
                                "expires in < 14 days (checked hourly)", "Warning",
                                "Renew the certificate (cert-manager / ACM / your CA) and check the renewal job",
                                "TLS certificate expiring or invalid"))
    down_name = {"pipeline": "Pipeline Runner Down", "database": "Database Down", "worker": "Workers Down"}.get(
        service_type, "Service Down")
    down_condition = {
        "serverless": "0 invocations for 15 min while events are expected",
    }.get(env, "suspended / scheduler not firing for 10 min"
          if service_type == "pipeline" and env == "kubernetes" and not continuous
          else "0 healthy instances for 2 min")
    alerts.append(AlertSpec(down_name, "down", 1, down_condition, "Critical",
                            "Follow Emergency Procedures → Service is Down", None))
    if env == "serverless":
        alerts.append(AlertSpec("Throttling", "throttles", 0, "> 0 throttled invocations for 5 min", "Warning",
                                "Check concurrency limits and recent traffic spikes", CRASH))
    else:
        # A database is not scaled out by adding copies: find the expensive queries, then scale up or add replicas.
        cpu_response = ("Find the most expensive running queries and missing indexes; scale up the instance or move "
                        "reads to replicas" if service_type == "database" and relational
                        else f"Find what loads the node with {engine.display}'s own tools; scale up the node"
                        if service_type == "database" and engine is not None
                        else "Check for traffic growth or a hot loop; scale out")
        alerts += [
            AlertSpec("High CPU", "cpu", 80, "> 80% CPU for 10 min", "Warning",
                      cpu_response, "Resource saturation (CPU / memory)"),
            AlertSpec("High Memory", "memory", 90, "> 90% of the memory limit for 5 min", page,
                      "Look for a leak (steady growth) or a load change first; a restart only buys time "
                      "and drops in-flight work",
                      "Resource saturation (CPU / memory)"),
        ]
        if env == "kubernetes":
            alerts.append(AlertSpec("Pod Restarts", "restarts", 3, "> 3 container restarts in 15 min", "Warning",
                                    "Find why containers exit (exit code, OOMKilled, previous logs)",
                                    CRASH))
        if service_type != "database" and host_disk:  # no host disk to fill on Fargate
            alerts.append(AlertSpec("Low Disk Space", "disk", 85, "> 85% disk used for 10 min", "Warning",
                                    "Clean up logs/temp files; extend the volume", None))
    return alerts


def purpose(service_type: str, display: str, description: str, detail: str | None = None,
            continuous: bool = False) -> str:
    first = re.split(r"(?<=[.!?])\s+", description.strip(), maxsplit=2)
    summary = " ".join(first[:2]).strip()
    role = {
        "web": "serves the user-facing web application",
        "api": "serves an API to its clients",
        "pipeline": "moves and transforms data on a schedule",
        "worker": "processes background jobs from a queue",
        "database": "stores and serves data for the applications that depend on it",
        "other": "runs a supporting function for the platform",
    }.get(service_type, "runs in production")
    if service_type == "pipeline" and (continuous or streaming(description)):
        role = "moves data continuously as it changes (streaming)"
    if service_type == "other" and detail:
        role = f"runs as a {detail}" if not detail.lower().startswith(("a ", "an ", "the ")) else f"runs as {detail}"
    if summary:
        return f"{display} {role}. From the service description: \"{summary}\""
    return f"{display} {role}."


def business_impact(service_type: str, criticality: str, levels: Levels) -> str:
    what = {
        "web": "users cannot load pages or complete actions in the web application",
        "api": "API clients get errors or timeouts, so every feature built on this API fails",
        "pipeline": "downstream data (reports, exports, models) goes stale or incomplete",
        "worker": "jobs pile up in the queue: emails, payments or updates are delayed until consumers recover",
        "database": "every application that reads or writes this database fails or degrades",
        "other": "the features depending on this service degrade or stop",
    }.get(service_type, "dependent features stop working")
    weight = {
        "critical": "Customer-facing and revenue-impacting: every minute of outage costs revenue and trust; "
                    "an outage is a SEV1 and is handled immediately, day or night.",
        "high": "Important internal tools and features: an outage blocks teams and degrades the product; "
                "handled as SEV2 within the on-call response time.",
        "medium": "A supporting service: an outage degrades dependent features; fix within the business day.",
        "low": "Non-critical/experimental: an outage is an inconvenience; fix when convenient.",
    }.get(criticality, "")
    return (f"If it is down, {what}. {weight} The monthly error budget is "
            f"{levels.downtime_minutes:g} minutes at {levels.availability_pct:g}% availability.")


def downstream(service_type: str) -> list[tuple[str, str]]:
    return {
        "web": [("End users (browsers)", "Cannot use the site; support tickets and lost conversions")],
        "api": [("API clients (frontends, mobile apps, partner integrations — fill in)",
                 "Requests fail or time out; client retries add load")],
        "pipeline": [("Consumers of the pipeline's output (reports, dashboards, ML features — fill in)",
                      "Read stale or partial data; decisions made on old numbers")],
        "worker": [("Producers enqueueing jobs and users waiting for results (fill in)",
                    "Jobs wait; user-visible actions (emails, exports) are delayed")],
        "database": [("Applications using this database (fill in)", "Reads and writes fail; their own alerts fire")],
        "other": [("Services that call this one (fill in)", "Their features depending on it degrade")],
    }.get(service_type, [("Dependent services (fill in)", "Degraded")])


# --- the engine of a database-type service ---------------------------------------------------------------

@dataclass(frozen=True)
class Engine:
    """What a database-type service runs, so its baseline speaks that product's language.

    `relational`: PostgreSQL / MySQL-style advice applies (replica lag, max_connections, idle
    transactions, WAL / binlogs, slow-query log). Otherwise the baseline keeps to what every store
    has (down, disk, CPU, memory) and adds the engine's own health checks, or says the team has to
    fill them in when the engine has none here.
    """

    key: str
    display: str
    words: tuple[str, ...]
    relational: bool = False
    checks: tuple[tuple[str, str, str], ...] = ()  # (purpose, command, what healthy looks like)


ENGINES: tuple[Engine, ...] = (
    Engine("postgresql", "PostgreSQL", ("postgresql", "postgres", "aurora postgresql"), relational=True),
    Engine("mysql", "MySQL", ("mysql", "mariadb", "aurora mysql"), relational=True),
    Engine("vault", "Vault", ("hashicorp vault", "vault"), checks=(
        ("Seal state, HA mode and which node is active", "vault status",
         "Sealed false; HA Mode active on exactly one node, standby on the others"),
        ("Raft peers and the leader", "vault operator raft list-peers",
         "every node listed as a voter and one leader; a missing node is the one to look at"),
        ("Raft autopilot health and failure tolerance", "vault operator raft autopilot state",
         "Healthy true; Failure Tolerance at least 1"),
    )),
    Engine("clickhouse", "ClickHouse", ("clickhouse",), checks=(
        ("Replicas that are read-only or behind",
         "clickhouse-client --query \"SELECT database, table, is_readonly, absolute_delay, queue_size FROM "
         "system.replicas WHERE is_readonly OR absolute_delay > 30\"",
         "no rows; is_readonly means the replica lost ClickHouse Keeper / ZooKeeper"),
        ("Keeper / ZooKeeper reachable from this node",
         "clickhouse-client --query \"SELECT name FROM system.zookeeper WHERE path = '/'\"",
         "a list of znodes; an error means replicated tables are read-only until Keeper is back"),
        ("Mutations that do not finish",
         "clickhouse-client --query \"SELECT database, table, mutation_id, latest_fail_reason FROM system.mutations "
         "WHERE NOT is_done\"", "no rows, or rows whose parts_to_do keeps falling"),
    )),
    Engine("cassandra", "Cassandra", ("cassandra", "scylla", "scylladb"), checks=(
        ("Ring state of every node", "nodetool status", "every node UN (Up/Normal); DN is a down node"),
        ("Schema agreement across nodes", "nodetool describecluster", "one schema version"),
        ("Thread pools with pending or blocked work", "nodetool tpstats", "Pending and Blocked near 0"),
    )),
    Engine("etcd", "etcd", ("etcd",), checks=(
        ("Health of every member", "etcdctl endpoint health --cluster", "every endpoint healthy"),
        ("Leader, DB size and raft index per member", "etcdctl endpoint status --cluster -w table",
         "one leader; DB SIZE well below the quota (2 GB default)"),
    )),
    Engine("consul", "Consul", ("consul",), checks=(
        ("Members and their state", "consul members", "every server alive"),
        ("Raft peers and the leader", "consul operator raft list-peers", "one leader, every server a voter"),
    )),
    Engine("zookeeper", "ZooKeeper", ("zookeeper",), checks=(
        ("Is the node serving", "echo ruok | nc -w 3 localhost 2181", "imok"),
        ("Mode and outstanding requests", "echo mntr | nc -w 3 localhost 2181 | grep -E "
         "'zk_server_state|zk_outstanding_requests|zk_followers'", "one leader; outstanding requests near 0"),
    )),
)


def engine_of(technology: str, description: str = "") -> Engine | None:
    """The engine by the model's technology, else the first engine word the description names."""
    for engine in ENGINES:
        if technology and technology == engine.key:
            return engine
    for engine in ENGINES:
        if any(re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", description, re.I) for w in engine.words):
            return engine
    return None


def unknown_engine(technology: str) -> Engine:
    """A database engine this knowledge has nothing for: its own name, no borrowed commands."""
    display = technology.replace("-", " ").title() if technology else "the database engine"
    return Engine(technology or "unknown", display, (technology,) if technology else ())
