"""The monitoring stacks the engine ships: Prometheus (PromQL), Datadog (monitor queries), CloudWatch
(Metrics Insights / Logs Insights), New Relic (NRQL) and custom monitoring (bash probes).

Each is a `Stack` subclass: its language, how a catalogue entry becomes a query, its dashboards and log
searches. What they measure is in `metrics/<key>.yaml`; none of them asks which platform it is on.
"""

from __future__ import annotations

from agent.knowledge.environments import Platform, aws_log_events, cmd, q
from agent.knowledge.monitoring.stack import Metric, Stack
from agent.knowledge.signals import Signal
from agent.runbook import Command


class Prometheus(Stack):
    key, label, language = "prometheus", "Prometheus/Grafana", "promql"

    def dashboards(self) -> list[tuple[str, str]]:
        return [("Grafana service dashboard", "fill in: Grafana dashboard URL for " + self.slug),
                ("Prometheus alerts", "fill in: Prometheus/Alertmanager URL (Alerts page)")]

    def log_queries(self) -> list[Command]:
        return [self.q("Requests per second by status code (Grafana Explore)",
                       f'sum by (code) (rate(http_requests_total{{job="{self.slug}"}}[5m]))',
                       "A sudden shift from 2xx to 5xx marks the incident start")]

    def tools(self) -> list[str]:
        return ["Grafana/Prometheus UI access (promtool or the Explore view to run PromQL)"]


class Datadog(Stack):
    key, label, language = "datadog", "Datadog", "datadog"

    def __init__(self, platform: Platform) -> None:
        super().__init__(platform)
        self.note(f"Datadog unified service tag service:{self.slug} and env:prod")

    def format(self, metric: Metric, signal: Signal, query: str, value: float | None) -> str:
        # A monitor evaluates over its window: the alert's "for N min" (the table and the query say the same).
        window = f"last_{signal.minutes or 5:g}m"
        body = super().format(metric, signal, query, value)
        # an aggregation with its own windows ("change(max(last_15m),last_15m)") is written as it is
        return f"{metric.agg}:{body}" if "(" in metric.agg else f"{metric.agg}({window}):{body}"

    def dashboards(self) -> list[tuple[str, str]]:
        return [("Datadog service page (APM)", f"fill in: Datadog APM service page for service:{self.slug}"),
                ("Datadog infrastructure dashboard", "fill in: Datadog dashboard URL")]

    def log_queries(self) -> list[Command]:
        browser = [self.q("Browser errors (RUM Explorer search)", f"@type:error service:{self.slug} env:prod",
                          "A new error after a deploy points at the release")] \
            if self.platform.ctx.answers.service_type == "web" else []
        return [*browser, self.q("Error logs (Log Explorer search)", f"service:{self.slug} env:prod status:error",
                                 "Group by @error.kind / message to find the dominant error"),
                self.q("Slow requests (Log Explorer search, duration in ns)",
                       f"service:{self.slug} env:prod @duration:>1000000000",
                       "Few results; clusters point at one endpoint or dependency")]

    def tools(self) -> list[str]:
        return ["Datadog account with access to APM, Logs and Monitors for service:" + self.slug]


class CloudWatch(Stack):
    key, label, language = "cloudwatch", "CloudWatch", "cloudwatch"
    compares = False  # the alarm holds the threshold; Logs Insights templates filter on ${t} themselves

    @property
    def log_group(self) -> str:
        group = self.scope.labels.get("log_group", f"/{self.slug}")
        if group == f"/{self.slug}":
            self.note(f"application logs shipped to CloudWatch log group /{self.slug}")
        return group

    def expect(self, signal: Signal, converted: bool) -> str:
        return f"Alarm when {signal.condition} (one datapoint a minute)"

    def dashboards(self) -> list[tuple[str, str]]:
        region = self.platform.region
        return [("CloudWatch dashboard", f"fill in: CloudWatch dashboard name for {self.slug} (console, region "
                 f"{region})"), ("CloudWatch Logs Insights", f"log group {self.log_group} (region {region})")]

    def log_queries(self) -> list[Command]:
        where = self.scope.labels.get("logs_filter", "")
        return [
            self.q(f"Errors in the last hour, most frequent first (Logs Insights on {self.log_group})",
                   f"fields @timestamp, @message\n{where}| filter @message like /(?i)(error|exception|fatal)/\n"
                   "| stats count(*) as n by @message\n| sort n desc\n| limit 20",
                   "A handful of distinct messages; the top one is usually the cause"),
            cmd("Tail the same log group from a terminal",
                aws_log_events(self.log_group, "15m", self.platform.region, "?ERROR ?Error ?error"),
                "No new errors after a fix"),
        ]

    def tools(self) -> list[str]:
        return [f"CloudWatch console / aws CLI with logs:StartQuery and cloudwatch:GetMetricData in "
                f"{self.platform.region}"]


class NewRelic(Stack):
    key, label, language = "newrelic", "New Relic", "nrql"
    compares = False  # an NRQL alert condition holds the threshold and the duration

    def __init__(self, platform: Platform) -> None:
        super().__init__(platform)
        self.note(f"New Relic APM application name '{self.slug}'")

    def format(self, metric: Metric, signal: Signal, query: str, value: float | None) -> str:
        if " SINCE " in query:
            return query
        return f"{query} SINCE {max(30, 3 * signal.minutes):g} minutes ago TIMESERIES"

    def expect(self, signal: Signal, converted: bool) -> str:
        return f"Alert condition: {signal.condition}"

    def dashboards(self) -> list[tuple[str, str]]:
        return [("New Relic APM summary", f"fill in: New Relic APM URL for application {self.slug}"),
                ("New Relic infrastructure", "fill in: New Relic infrastructure / Kubernetes cluster explorer URL")]

    def log_queries(self) -> list[Command]:
        browser = [self.q("Browser JavaScript errors (New Relic Browser)",
                          f"SELECT count(*) FROM JavaScriptError WHERE appName = '{self.slug}' FACET errorMessage "
                          "SINCE 1 hour ago LIMIT 10", "A new error message after a deploy points at the release")] \
            if self.platform.ctx.answers.service_type == "web" else []
        return [*browser, self.q("Error logs of the last hour, most frequent first",
                                 f"SELECT count(*) FROM Log WHERE entity.name = '{self.slug}' AND level IN "
                                 "('error', 'ERROR') FACET message SINCE 1 hour ago LIMIT 20",
                                 "The top message is usually the cause"),
                self.q("Slowest transactions", f"SELECT percentile(duration, 95), count(*) FROM Transaction WHERE "
                       f"appName = '{self.slug}' FACET name SINCE 1 hour ago LIMIT 10",
                       "One transaction dominating = one endpoint")]

    def tools(self) -> list[str]:
        return ["New Relic account access (Query builder for NRQL, APM, Logs)"]


class Custom(Stack):
    """In-house monitoring: each signal is a bash command against the platform itself — the signal's own
    probe, or the platform operation the catalogue names (`platform: resources`, `logs`, …)."""

    key, label, language = "custom", "Custom monitoring", "bash"
    compares = False

    def metric(self, signal: Signal) -> Metric | None:
        return None  # its entries name platform operations, not metrics

    def render(self, signal: Signal) -> Command | None:
        entry = self.entry(signal)
        probe = self._platform_probe(signal, entry) if entry else signal.probe
        if probe is None:
            return None
        expect = f"{probe.expect}; alert when {signal.condition}" if probe.expect else f"Alert when {signal.condition}"
        return probe.model_copy(update={"expect": expect})

    def _platform_probe(self, signal: Signal, entry: dict[str, str]) -> Command | None:
        p, labels = self.platform, self.scope.labels
        op = entry.get("platform", "")
        if op == "logs":
            since = entry.get("since_function", entry.get("since", "15m")) if self.scope.has("function") \
                else entry.get("since", "15m")
            return p.logs(since, entry.get("grep"))
        if op == "share_5xx":
            log = p.logs("5m")
            return cmd("Share of 5xx lines in the last 5 minutes of logs (%)",
                       f"{log.code} 2>&1 | awk '/ 5[0-9][0-9] /{{e++}} END {{if (NR) printf \"%.2f\\n\", e*100/NR}}'")
        if op == "sqs_depth" and "sqs.queue" in self.names:
            queue, region = self.names["sqs.queue"], q(p.region)
            return cmd(f"Visible and in-flight messages in {queue}",
                       f"QUEUE_URL=\"$(aws sqs get-queue-url --queue-name {q(queue)} --region {region} "
                       "--query QueueUrl --output text)\"\n"
                       f"aws sqs get-queue-attributes --queue-url \"$QUEUE_URL\" --region {region} "
                       "--attribute-names ApproximateNumberOfMessages ApproximateNumberOfMessagesNotVisible")
        if op == "sqs_depth":
            return p.logs("15m", "queue|backlog|lag")
        if op == "cert" and "https_host" in labels:
            host = labels["https_host"]
            days = signal.threshold.value
            return cmd(f"Certificate expiry of {host} (run hourly from the monitoring host)",
                       f"echo | openssl s_client -connect {q(host + ':443')} -servername {q(host)} 2>/dev/null | "
                       f"openssl x509 -noout -checkend {int(days * 86400)}",
                       f"'Certificate will not expire' (exit 0); exit 1 means it expires within {days:g} days")
        if op == "status":
            return p.status()[0]
        method = getattr(p, op, None) if op in ("resources", "health_check", "disk_check", "connections",
                                                 "events") else None
        return method() if callable(method) else None

    def dashboards(self) -> list[tuple[str, str]]:
        return [("In-house monitoring dashboard", "fill in: URL of the in-house monitoring / status page")]

    def log_queries(self) -> list[Command]:
        out = [self.platform.logs("1h", "error|exception|fatal|panic")]
        unit = self.scope.labels.get("unit")
        if self.scope.on_hosts is not None and unit:
            out.append(cmd("Errors per host in the last hour (journal priority err and worse)",
                           self.scope.on_hosts(f"journalctl -u {unit} -p err --since '1 hour ago' --no-pager | wc -l"),
                           "0 or a small stable number per host"))
        return out


__all__ = ["CloudWatch", "Custom", "Datadog", "NewRelic", "Prometheus"]
