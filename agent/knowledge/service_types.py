"""What each service type (web, api, pipeline, worker, database, other) watches and how it fails:
the alert baseline (typed signals, rendered by the monitoring stacks) and the words the engine uses for
purpose, impact and downstream consumers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from agent.knowledge.applies import NON_HTTP_KINDS, Shape, fits
from agent.knowledge.policy import Levels
from agent.knowledge.signals import Named, Origin, Severity, Signal, Threshold, held, limit

# Stands for the environment's own crash/restart-loop troubleshooting entry (its title varies).
CRASH = "(crash entry)"


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


class _NoFigures:
    names: dict[str, str] = {}


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
                   quantile: str = "95", *, given: frozenset[str] = frozenset(), tags: tuple[str, ...] = (),
                   labels: Mapping[str, str] | None = None, streaming: bool = False,
                   serves_requests: bool = True, figures: Named | None = None, engine: Engine | None = None,
                   host_disk: bool = True, shape: Shape | None = None) -> list[Signal]:
    """What a service of this type is watched for, as signals. `given` names the figures the user gave
    ("error_rate", "latency", "availability", "backlog"): their thresholds are the user's, the others are
    defaults. `tags` and `labels` are what the stacks scope the queries by (gRPC, the broker, names);
    `figures` holds the user's own alert thresholds (`threshold.<what>` names, see `signals.limit`).
    `streaming`: a pipeline that runs continuously (lag, never a schedule); `engine`: the product a
    database service runs (a non-relational one borrows no PostgreSQL signal); `host_disk`: whether the
    platform has a host disk to fill (not Fargate or serverless). `shape`, when given, replaces those three
    flags: each signal declares what it needs (`Signal.requires`) and only those the shape meets are kept."""
    given_names = figures if figures is not None else _NoFigures()

    def own(about: tuple[str, ...], default: float, unit: str = "") -> Threshold:
        return limit(given_names, about, default, unit)

    page: Severity = "Critical" if criticality in ("critical", "high") else "Warning"
    err_page = round(max(1.0, levels.error_rate_pct * 5), 2)
    latency = levels.latency_p95_ms
    names = {"q": quantile, "q_ratio": f"0.{quantile}" if len(quantile) == 2 else f"{float(quantile) / 100:g}",
             **(labels or {})}

    def origin(figure: str) -> Origin:
        return "given" if figure in given else "default"

    def signal(key: str, name: str, measure: str, threshold: Threshold, minutes: float, severity: Severity,
               response: str, entry: str | None, **more: Any) -> Signal:
        return Signal(key=key, name=name, measure=measure, threshold=threshold, minutes=minutes, severity=severity,
                      response=response, entry=entry, tags=tags, labels=names, **more)

    alerts: list[Signal] = []
    if service_type in ("web", "api", "other"):
        alerts += [
            signal("error_rate", "High Error Rate", "",
                   Threshold(err_page, "%", origin=origin("error_rate"), source="5× the error-rate SLO"), 5, page,
                   "Check logs for the dominant error; roll back if it started with a deploy",
                   "High error rate (5xx)", of="of requests fail (5xx)", requires=("http",)),
        ]
        if criticality in ("critical", "high"):
            # SRE workbook multiwindow burn rate: 14.4x spends 2% of a 30-day budget in one hour
            burn = round(14.4 * (100 - levels.availability_pct), 3)
            alerts.append(signal(
                "burn_rate", "Error Budget Burn", "error ratio", Threshold(burn, "%", origin=origin("availability")),
                0, "Critical", "The monthly error budget will be gone in about 2 days at this rate: mitigate now",
                "High error rate (5xx)", requires=("http",),
                note=f"over both 1 h and 5 min (14.4× the {levels.availability_pct:g}% SLO budget rate)"))
        alerts.append(signal("latency", "High Latency", f"p{quantile}", Threshold(latency, "ms", origin=origin(
            "latency")), 10, "Warning", "Check saturation (CPU, connections) and slow dependencies; scale out if "
            "CPU-bound", "High response times", requires=("http",)))
    if service_type == "worker":
        alerts += [
            signal("queue_backlog", "Queue Backlog Growing", "",
                   Threshold(backlog or 1000, "messages", origin="given" if backlog else "default",
                             source="your limit" if backlog else "tune to 15 min of normal throughput",
                             minutes=held(given_names.names.get("backlog.max.for", "")) if backlog else None), 15,
                   page,
                   "Check consumers are running and not failing; scale consumers if healthy but slow",
                   "Queue backlog growing", of="waiting",
                   note="(your limit)" if backlog else "(default; tune to 15 min of normal throughput)"),
            signal("job_failures", "Job Failure Rate", "", own(("job fail", "failure"), 5, "%"), 10, "Warning",
                   "Find the failing job type in logs; park poison messages in the DLQ", "Jobs failing",
                   of="of jobs fail"),
            signal("no_progress", "Consumers Stalled", "", Threshold(1, op="<"), 15, "Critical",
                   "Consumers are stuck or down: read their logs and the broker connection first; restart one "
                   "only once the cause is known",
                   "Consumers stalled (no progress)", of="job or message processed", window="in",
                   note="while messages wait"),
        ]
    if service_type == "pipeline":  # a stream job: lag, never "missed its schedule"
        alerts.append(signal(
            "queue_backlog", "Stream Lag Growing", "",
            Threshold(backlog or 1000, "events", origin="given" if backlog else "default",
                      source="your limit" if backlog else "tune to 15 min of normal throughput",
                      minutes=held(given_names.names.get("backlog.max.for", "")) if backlog else None), 15, page,
            "Check the job is running and not failing; lag that outgrows the source's retention is lost data",
            "Queue backlog growing", of="behind", requires=("stream",),
            note="(your limit)" if backlog else "(default; tune to 15 min of normal throughput)"))
    if service_type == "pipeline":
        interval = schedule_minutes(schedule) or 1440
        late = interval * 2
        alerts += [
            signal("pipeline_failed", "Pipeline Run Failed", "failed runs", Threshold(1, op=">="), 0, page,
                   "Read the failed run's logs; fix and re-run the failed window", "Pipeline run failed",
                   note="(last run, checked every 5 min)", requires=("schedule",)),
            signal("pipeline_late", "Pipeline Data Late", "no successful run for",
                   Threshold(late, "min", origin="given" if schedule else "default",
                             source=f"2× the {interval}-minute schedule"), 0, page,
                   "Check whether the run is stuck, failed or never started; trigger a catch-up run",
                   "Pipeline late or missed its schedule", requires=("schedule",),
                   note=f"(2× the {interval}-minute schedule)"
                        + (f"; page well before the {deadline} delivery deadline" if deadline else "")),
        ]
    # a database engine without relational semantics gets no replica-lag / max_connections alert borrowed
    # from PostgreSQL (its own signals come from its pack, or from the team)
    relational = engine is None or engine.relational
    if service_type == "database" and not relational:
        alerts += [
            signal("disk", "Disk Space Low", "", own(("disk",), 80, "%"), 10, page,
                   f"Find what grows on the data volume ({engine.display if engine else 'the engine'}'s data, "
                   "logs, snapshots); extend the volume before 90%", "Disk filling up", of="of the data volume used"),
        ]
    if service_type == "database" and relational:
        alerts += [
            signal("replication_lag", "Replication Lag", "", own(("replica", "replication"), 30, "s"), 5,
                   page, "Check replica load and long transactions on the primary; don't fail over to a lagging "
                   "replica", "Replication lag", of="replica lag"),
            signal("connections", "Connections Near Limit", "", own(("connection",), 80, "%"), 5, page,
                   "Find the client holding connections; use a pooler; kill idle-in-transaction sessions",
                   "Connection saturation", of="of max_connections"),
            signal("disk", "Disk Space Low", "", own(("disk",), 80, "%"), 10, page,
                   "Find what grows (WAL/binlogs, bloat, logs); extend the volume before 90%", "Disk filling up",
                   of="of the data volume used"),
        ]
    if service_type in ("web", "api") and https_host:
        alerts.append(signal("cert_expiry", "TLS Certificate Expiring", f"certificate of {https_host} expires in",
                             Threshold(14, "days", "<"), 0, "Warning",
                             "Renew the certificate (cert-manager / ACM / your CA) and check the renewal job",
                             "TLS certificate expiring or invalid", note="(checked hourly)"))
    down_name = {"pipeline": "Pipeline Runner Down", "database": "Database Down", "worker": "Workers Down"}.get(
        service_type, "Service Down")
    if env == "serverless":
        down = signal("down", down_name, "invocations", Threshold(1, op="<"), 15, "Critical",
                      "Follow Emergency Procedures → Service is Down", None, note="while events are expected")
    elif service_type == "pipeline" and env == "kubernetes" and not (
            "stream" in shape if shape is not None else streaming):
        down = signal("down", down_name, "CronJob suspended flag", Threshold(1, op=">="), 10, "Critical",
                      "Follow Emergency Procedures → Service is Down", None, note="(no run is scheduled while set)")
    else:
        down = signal("down", down_name, "healthy instances", Threshold(1, op="<"), 2, "Critical",
                      "Follow Emergency Procedures → Service is Down", None)
    alerts.append(down)
    if env == "serverless":
        alerts.append(signal("throttles", "Throttling", "", Threshold(0), 5, "Warning",
                             "Check concurrency limits and recent traffic spikes", CRASH, of="throttled invocations"))
    else:
        # A database is not scaled out by adding copies: find the expensive queries, then scale up or add replicas.
        cpu_response = ("Find the most expensive running queries and missing indexes; scale up the instance or move "
                        "reads to replicas" if service_type == "database" and relational
                        else f"Find what loads the node with {engine.display}'s own tools; scale up the node"
                        if service_type == "database" and engine is not None
                        else "Check for traffic growth or a hot loop; scale out")
        alerts += [
            signal("cpu", "High CPU", "", own(("cpu",), 80, "%"), 10, "Warning", cpu_response,
                   "Resource saturation (CPU / memory)", of="CPU"),
            signal("memory", "High Memory", "", own(("memory",), 90, "%"), 5, page,
                   "Look for a leak (steady growth) or a load change first; a restart only buys time and drops "
                   "in-flight work",
                   "Resource saturation (CPU / memory)", of="of the memory limit"),
        ]
        if env == "kubernetes":
            alerts.append(signal("restarts", "Pod Restarts", "", Threshold(3), 15, "Warning",
                                 "Find why containers exit (exit code, OOMKilled, previous logs)", CRASH,
                                 of="container restarts", window="in"))
        if service_type != "database":  # no host disk to fill on Fargate
            alerts.append(signal("disk", "Low Disk Space", "", own(("disk",), 85, "%"), 10, "Warning",
                                 "Clean up logs/temp files; extend the volume", None, of="disk used",
                                 requires=("own_disk",)))
    if shape is None:  # callers that pass the old flags: the same needs, from them
        has = {"http"} if serves_requests else set()
        has |= {"stream"} if streaming else {"schedule"}
        has |= {"own_disk"} if host_disk else set()
        shape = Shape(frozenset(has))
    return [a for a in alerts if fits(a.requires, shape)]


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
    if service_type == "pipeline" and continuous:
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
    """A database engine this knowledge has nothing for: its own name (as the vocabulary writes it), no
    borrowed commands."""
    from agent.service.vocabulary import vocabulary  # late: loads its data on first use

    known = vocabulary().technologies.get(technology) if technology else None
    display = (known.display if known is not None and known.display else
               technology.replace("-", " ").title() if technology else "the database engine")
    return Engine(technology or "unknown", display, (technology,) if technology else ())
