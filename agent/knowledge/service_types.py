"""What each service type (web, api, pipeline, worker, database, other) watches and how it fails:
the alert baseline (typed signals, rendered by the monitoring stacks) and the words the engine uses for
purpose, impact and downstream consumers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from agent.knowledge.policy import Levels
from agent.knowledge.signals import Named, Origin, Severity, Signal, Threshold, limit

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


def alert_baseline(service_type: str, env: str, levels: Levels, criticality: str,
                   schedule: str | None, backlog: int | None = None,
                   https_host: str | None = None, deadline: str | None = None,
                   quantile: str = "95", *, given: frozenset[str] = frozenset(), tags: tuple[str, ...] = (),
                   labels: Mapping[str, str] | None = None, streaming: bool = False,
                   serves_requests: bool = True, figures: Named | None = None) -> list[Signal]:
    """What a service of this type is watched for, as signals. `given` names the figures the user gave
    ("error_rate", "latency", "availability", "backlog"): their thresholds are the user's, the others are
    defaults. `tags` and `labels` are what the stacks scope the queries by (gRPC, the broker, names);
    `figures` holds the user's own alert thresholds (`threshold.<what>` names, see `signals.limit`)."""
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
    if service_type in ("web", "api", "other") and serves_requests:
        alerts += [
            signal("error_rate", "High Error Rate", "",
                   Threshold(err_page, "%", origin=origin("error_rate"), source="5× the error-rate SLO"), 5, page,
                   "Check logs for the dominant error; roll back if it started with a deploy",
                   "High error rate (5xx)", of="of requests fail (5xx)"),
        ]
        if criticality in ("critical", "high"):
            # SRE workbook multiwindow burn rate: 14.4x spends 2% of a 30-day budget in one hour
            burn = round(14.4 * (100 - levels.availability_pct), 3)
            alerts.append(signal(
                "burn_rate", "Error Budget Burn", "error ratio", Threshold(burn, "%", origin=origin("availability")),
                0, "Critical", "The monthly error budget will be gone in about 2 days at this rate: mitigate now",
                "High error rate (5xx)",
                note=f"over both 1 h and 5 min (14.4× the {levels.availability_pct:g}% SLO budget rate)"))
        alerts.append(signal("latency", "High Latency", f"p{quantile}", Threshold(latency, "ms", origin=origin(
            "latency")), 10, "Warning", "Check saturation (CPU, connections) and slow dependencies; scale out if "
            "CPU-bound", "High response times"))
    if service_type == "worker":
        alerts += [
            signal("queue_backlog", "Queue Backlog Growing", "",
                   Threshold(backlog or 1000, "messages", origin="given" if backlog else "default",
                             source="your limit" if backlog else "tune to 15 min of normal throughput"), 15, page,
                   "Check consumers are running and not failing; scale consumers if healthy but slow",
                   "Queue backlog growing", of="waiting",
                   note="(your limit)" if backlog else "(default; tune to 15 min of normal throughput)"),
            signal("job_failures", "Job Failure Rate", "", own(("job fail", "failure"), 5, "%"), 10, "Warning",
                   "Find the failing job type in logs; park poison messages in the DLQ", "Jobs failing",
                   of="of jobs fail"),
            signal("no_progress", "Consumers Stalled", "", Threshold(1, op="<"), 15, "Critical",
                   "Consumers are stuck or down: check pods/processes, then restart one",
                   "Consumers stalled (no progress)", of="job or message processed", window="in",
                   note="while messages wait"),
        ]
    if service_type == "pipeline" and not streaming:
        interval = schedule_minutes(schedule) or 1440
        late = interval * 2
        alerts += [
            signal("pipeline_failed", "Pipeline Run Failed", "failed runs", Threshold(1, op=">="), 0, page,
                   "Read the failed run's logs; fix and re-run the failed window", "Pipeline run failed",
                   note="(last run, checked every 5 min)"),
            signal("pipeline_late", "Pipeline Data Late", "no successful run for",
                   Threshold(late, "min", origin="given" if schedule else "default",
                             source=f"2× the {interval}-minute schedule"), 0, page,
                   "Check whether the run is stuck, failed or never started; trigger a catch-up run",
                   "Pipeline late or missed its schedule",
                   note=f"(2× the {interval}-minute schedule)"
                        + (f"; page well before the {deadline} delivery deadline" if deadline else "")),
        ]
    if service_type == "database":
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
    elif service_type == "pipeline" and env == "kubernetes" and not streaming:
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
                        "reads to replicas" if service_type == "database"
                        else "Check for traffic growth or a hot loop; scale out")
        alerts += [
            signal("cpu", "High CPU", "", own(("cpu",), 80, "%"), 10, "Warning", cpu_response,
                   "Resource saturation (CPU / memory)", of="CPU"),
            signal("memory", "High Memory", "", own(("memory",), 90, "%"), 5, page,
                   "Look for a leak (steady growth); restart one instance to buy time, then fix",
                   "Resource saturation (CPU / memory)", of="of the memory limit"),
        ]
        if env == "kubernetes":
            alerts.append(signal("restarts", "Pod Restarts", "", Threshold(3), 15, "Warning",
                                 "Find why containers exit (exit code, OOMKilled, previous logs)", CRASH,
                                 of="container restarts", window="in"))
        if service_type != "database":
            alerts.append(signal("disk", "Low Disk Space", "", own(("disk",), 85, "%"), 10, "Warning",
                                 "Clean up logs/temp files; extend the volume", None, of="disk used"))
    return alerts


def purpose(service_type: str, display: str, description: str, detail: str | None = None) -> str:
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
    if service_type == "pipeline" and re.search(r"\b(?:stream(?:s|ing)?|cdc|change data capture|real[- ]time|"
                                                r"continuous(?:ly)?|debezium)\b", description, re.I):
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
