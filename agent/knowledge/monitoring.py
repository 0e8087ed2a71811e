"""Per-monitoring-stack queries, each in the stack's own language: PromQL, Datadog metric queries,
CloudWatch (Metrics Insights / Logs Insights), NRQL, or shell checks for custom monitoring.

A query is asked for by *kind* ("error_rate", "latency_p95", …) with a threshold; the stack scopes
it with the platform's real names (namespace + workload, hosts, function). Metric names follow
the usual exporters/integrations (kube-state-metrics, node_exporter, Datadog APM and integrations,
Container Insights, New Relic APM/infra); `Stack.assumptions` says which ones a reader must match.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from agent.knowledge.environments import (
    ECS,
    BareMetal,
    Kubernetes,
    KubernetesCronJob,
    Platform,
    Serverless,
    SystemdHosts,
    aws_log_events,
    cmd,
    q,
)
from agent.runbook import Command

KINDS = ("error_rate", "latency_p95", "down", "cpu", "memory", "restarts", "disk", "queue_backlog",
         "job_failures", "no_progress", "pipeline_failed", "pipeline_late", "replication_lag",
         "connections", "throttles")


def _l(name: str, op: str, value: str) -> str:
    """One PromQL label matcher: _l("code", "=~", "5..") -> code=~"5.." """
    return f'{name}{op}"{value}"'


def _underscore(value: str) -> str:
    return value.replace("-", "_").replace(".", "_")


@dataclass
class Stack:
    platform: Platform
    key: str = ""
    label: str = ""
    language: str = "text"
    assumptions: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        """Subclasses set key, label and language here."""

    @property
    def slug(self) -> str:
        return self.platform.slug

    @property
    def names(self) -> dict[str, str]:
        return self.platform.ctx.facts.names

    def query(self, kind: str, threshold: float) -> Command | None:
        method = getattr(self, f"q_{kind}", None)
        return method(threshold) if method else None

    def q(self, purpose: str, code: str, expect: str | None = None) -> Command:
        return cmd(purpose, code, expect, language=self.language)

    def dashboards(self) -> list[tuple[str, str]]:
        raise NotImplementedError

    def log_queries(self) -> list[Command]:
        raise NotImplementedError

    def tools(self) -> list[str]:
        return []


# --- Prometheus ----------------------------------------------------------------------------------


def _https_host(stack: Stack) -> str:
    url = stack.platform.ctx.facts.url or ""
    return url.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]


class Prometheus(Stack):
    def __post_init__(self) -> None:
        self.key, self.label, self.language = "prometheus", "Prometheus/Grafana", "promql"
        metrics = ("grpc_server_handled_total and grpc_server_handling_seconds (go-grpc-prometheus)"
                   if self.names.get("protocol") == "grpc" else "http_requests_total and http_request_duration_seconds")
        self.assumptions.append(f"Prometheus scrape job '{self.slug}' exposing {metrics} (rename to your "
                                "instrumentation's metrics)")
        if isinstance(self.platform, Serverless) and self.platform.cloud == "aws":
            self.assumptions.append("Lambda metrics reach Prometheus through a CloudWatch exporter (YACE naming: "
                                    "aws_lambda_<metric>_<statistic>)")

    def sel(self, extra: str = "") -> str:
        p = self.platform
        if isinstance(p, Kubernetes):
            base = f'namespace="{p.ns}", pod=~"{p.workload}-.*"'
        elif isinstance(p, Serverless):
            base = f'function_name="{p.fn}"'
        else:
            base = f'job="{self.slug}"'
        return "{" + base + (", " + extra if extra else "") + "}"

    def app(self, extra: str = "") -> str:
        inner = f'job="{self.slug}"' + (", " + extra if extra else "")
        return "{" + inner + "}"

    def host_sel(self, extra: str = "") -> str:
        p = self.platform
        hosts = p.hosts if isinstance(p, SystemdHosts) else []
        base = f'instance=~"({"|".join(h.replace(".", "[.]") for h in hosts)}).*"' if hosts else 'job="node"'
        return "{" + base + (", " + extra if extra else "") + "}"

    def q_error_rate(self, t: float) -> Command:
        if self.names.get("protocol") == "grpc":
            failed = _l("grpc_code", "=~", "Unknown|Internal|Unavailable|DeadlineExceeded|DataLoss")
            return self.q("Share of failed gRPC calls over 5 minutes (%) (go-grpc-prometheus metrics)",
                          f"sum(rate(grpc_server_handled_total{self.app(failed)}[5m])) "
                          f"/ sum(rate(grpc_server_handled_total{self.app()}[5m])) * 100 > {t:g}",
                          "Empty result = below threshold")
        if isinstance(self.platform, Serverless) and self.platform.cloud == "aws":
            fn = self.platform.fn
            return self.q("Lambda error ratio (%) via the CloudWatch exporter",
                          f'sum(aws_lambda_errors_sum{{function_name="{fn}"}}) / '
                          f'sum(aws_lambda_invocations_sum{{function_name="{fn}"}}) * 100 > {t:g}')
        return self.q("Share of HTTP 5xx responses over 5 minutes (%)",
                      f'sum(rate(http_requests_total{self.app(_l("code", "=~", "5.."))}[5m])) '
                      f"/ sum(rate(http_requests_total{self.app()}[5m])) * 100 > {t:g}",
                      "Empty result = below threshold")

    def q_burn_rate(self, t: float) -> Command | None:
        if isinstance(self.platform, Serverless) or self.names.get("protocol") == "grpc":
            return None

        def ratio(window: str) -> str:
            return (f'sum(rate(http_requests_total{self.app(_l("code", "=~", "5.."))}[{window}])) / '
                    f"sum(rate(http_requests_total{self.app()}[{window}])) * 100")

        return self.q("Error ratio (%) over 1 h and over 5 min, both above the burn-rate threshold",
                      f"({ratio('1h')} > {t:g}) and ({ratio('5m')} > {t:g})")

    def q_latency_p95(self, t: float) -> Command:
        if isinstance(self.platform, Serverless) and self.platform.cloud == "aws":
            return self.q("Lambda p95 duration (ms)",
                          f'max(aws_lambda_duration_p95{{function_name="{self.platform.fn}"}}) > {t:g}')
        quantile = self.names.get("latency.quantile", "95")
        metric = "grpc_server_handling_seconds_bucket" if self.names.get("protocol") == "grpc" else \
            "http_request_duration_seconds_bucket"
        return self.q(f"p{quantile} request latency over 5 minutes (seconds)",
                      f"histogram_quantile(0.{quantile}, sum by (le) (rate({metric}"
                      f"{self.app()}[5m]))) > {t / 1000:g}")

    def q_down(self, t: float) -> Command:
        p = self.platform
        if isinstance(p, KubernetesCronJob):
            return self.q(f"CronJob {p.workload} suspended (kube-state-metrics)",
                          f'max(kube_cronjob_spec_suspend{{namespace="{p.ns}", cronjob="{p.workload}"}}) == 1')
        if isinstance(p, Kubernetes):
            metric = "kube_statefulset_status_replicas_ready" if p.kind == "statefulset" else \
                "kube_deployment_status_replicas_available"
            label = "statefulset" if p.kind == "statefulset" else "deployment"
            return self.q(f"Ready replicas of {p.ref}",
                          f'sum({metric}{{namespace="{p.ns}", {label}="{p.workload}"}}) < 1')
        if isinstance(p, Serverless):
            return self.q("Invocations stopped (no successful invocation in 10 min)",
                          f'sum(aws_lambda_invocations_sum{{function_name="{p.fn}"}}) == 0')
        return self.q(f"Scrape target of {self.slug} down", f"sum(up{self.app()}) < 1")

    def q_cpu(self, t: float) -> Command:
        p = self.platform
        if isinstance(p, Kubernetes):
            return self.q("CPU used as % of the CPU limit, per pod",
                          "sum by (pod) (rate(container_cpu_usage_seconds_total"
                          f"{self.sel(_l('container', '!=', ''))}[5m])) "
                          f"/ sum by (pod) (kube_pod_container_resource_limits{self.sel(_l('resource', '=', 'cpu'))}) "
                          f"* 100 > {t:g}")
        return self.q("Host CPU busy %",
                      "100 - avg by (instance) (rate(node_cpu_seconds_total"
                      f"{self.host_sel(_l('mode', '=', 'idle'))}[5m])) "
                      f"* 100 > {t:g}")

    def q_memory(self, t: float) -> Command:
        p = self.platform
        if isinstance(p, Kubernetes):
            return self.q("Working-set memory as % of the memory limit, per pod",
                          f"max by (pod) (container_memory_working_set_bytes{self.sel(_l('container', '!=', ''))}) "
                          "/ max by (pod) (kube_pod_container_resource_limits"
                          f"{self.sel(_l('resource', '=', 'memory'))}) "
                          f"* 100 > {t:g}")
        return self.q("Host memory used %",
                      f"(1 - node_memory_MemAvailable_bytes{self.host_sel()} / node_memory_MemTotal_bytes"
                      f"{self.host_sel()}) * 100 > {t:g}")

    def q_restarts(self, t: float) -> Command | None:
        p = self.platform
        if isinstance(p, Kubernetes):
            return self.q("Container restarts in the last 15 minutes",
                          f"sum by (pod) (increase(kube_pod_container_status_restarts_total{self.sel()}[15m])) > {t:g}")
        if isinstance(p, SystemdHosts):
            return self.q("Unit restarts (node_exporter systemd collector)",
                          f'changes(node_systemd_unit_state{{name="{p.unit}.service", state="active"}}[15m]) > {t:g}')
        return None

    def q_disk(self, t: float) -> Command:
        p = self.platform
        if isinstance(p, Kubernetes):
            return self.q("Persistent volume usage %",
                          f'max by (persistentvolumeclaim) (kubelet_volume_stats_used_bytes{{namespace="{p.ns}"}} '
                          f'/ kubelet_volume_stats_capacity_bytes{{namespace="{p.ns}"}}) * 100 > {t:g}')
        return self.q("Filesystem used %",
                      f"max by (instance, mountpoint) (1 - node_filesystem_avail_bytes"
                      f"{self.host_sel(_l('fstype', '!~', 'tmpfs|overlay'))} / node_filesystem_size_bytes"
                      f"{self.host_sel(_l('fstype', '!~', 'tmpfs|overlay'))}) * 100 > {t:g}")

    def q_queue_backlog(self, t: float) -> Command:
        if "kafka.topic" in self.names or "kafka.group" in self.names:
            group = self.names.get("kafka.group", self.slug)
            return self.q("Consumer-group lag in messages (kafka_exporter)",
                          f'sum(kafka_consumergroup_lag{{consumergroup="{group}"}}) > {t:g}')
        if "sqs.queue" in self.names:
            return self.q("Visible messages in the SQS queue (CloudWatch exporter)",
                          "max(aws_sqs_approximate_number_of_messages_visible_maximum"
                          f'{{queue_name="{self.names["sqs.queue"]}"}}) > {t:g}')
        if "rabbitmq.queue" in self.names:
            return self.q("Ready messages in the RabbitMQ queue",
                          f'sum(rabbitmq_queue_messages_ready{{queue="{self.names["rabbitmq.queue"]}"}}) > {t:g}')
        queue = self.names.get("queue", self.slug)
        self.assumptions.append("queue depth metric 'queue_depth{queue=...}' (use your broker exporter's name)")
        return self.q("Messages waiting in the work queue", f'max(queue_depth{{queue="{queue}"}}) > {t:g}')

    def q_job_failures(self, t: float) -> Command:
        self.assumptions.append("worker metrics jobs_processed_total / jobs_failed_total (rename to yours)")
        return self.q("Failed jobs as % of processed jobs over 10 minutes",
                      f"sum(rate(jobs_failed_total{self.app()}[10m])) / sum(rate(jobs_processed_total"
                      f"{self.app()}[10m])) * 100 > {t:g}")

    def q_no_progress(self, t: float) -> Command:
        return self.q("No job completed in 15 minutes while work is waiting",
                      f"sum(increase(jobs_processed_total{self.app()}[15m])) < {t:g}")

    def q_pipeline_failed(self, t: float) -> Command:
        p = self.platform
        if isinstance(p, KubernetesCronJob):
            return self.q("Failed Jobs of the CronJob (kube-state-metrics)",
                          f'sum(kube_job_status_failed{{namespace="{p.ns}", job_name=~"{p.workload}-.*"}}) >= {t:g}')
        self.assumptions.append(f"pipeline pushes {_underscore(self.slug)}_last_run_success (0/1) and "
                                f"{_underscore(self.slug)}_last_success_timestamp_seconds to the Pushgateway")
        return self.q("Last run failed", f'max({_underscore(self.slug)}_last_run_success{{job="{self.slug}"}}) < {t:g}')

    def q_pipeline_late(self, t: float) -> Command:
        p = self.platform
        if isinstance(p, KubernetesCronJob):
            return self.q("Seconds since the CronJob last succeeded (kube-state-metrics)",
                          f'time() - max(kube_cronjob_status_last_successful_time{{namespace="{p.ns}", '
                          f'cronjob="{p.workload}"}}) > {t * 60:g}')
        return self.q("Seconds since the last successful run",
                      f'time() - max({_underscore(self.slug)}_last_success_timestamp_seconds{{job="{self.slug}"}}) '
                      f"> {t * 60:g}")

    def q_replication_lag(self, t: float) -> Command:
        engine = self.names.get("db.engine", "postgres")
        if engine == "mysql":
            return self.q("Replica lag in seconds (mysqld_exporter)",
                          f"max(mysql_slave_status_seconds_behind_master{self.app()}) > {t:g}")
        return self.q("Replica lag in seconds (postgres_exporter)",
                      f"max(pg_replication_lag_seconds{self.app()}) > {t:g}")

    def q_connections(self, t: float) -> Command:
        engine = self.names.get("db.engine", "postgres")
        if engine == "mysql":
            return self.q("Connections as % of max_connections",
                          f"max(mysql_global_status_threads_connected{self.app()}) / "
                          f"max(mysql_global_variables_max_connections{self.app()}) * 100 > {t:g}")
        return self.q("Connections as % of max_connections",
                      f"sum(pg_stat_activity_count{self.app()}) / max(pg_settings_max_connections{self.app()}) "
                      f"* 100 > {t:g}")

    def q_cert_expiry(self, t: float) -> Command:
        return self.q("Days until the served certificate expires (blackbox_exporter probe)",
                      f'(min(probe_ssl_earliest_cert_expiry{{instance=~".*{_https_host(self)}.*"}}) - time()) / 86400 '
                      f"< {t:g}")

    def q_throttles(self, t: float) -> Command | None:
        p = self.platform
        if isinstance(p, Serverless) and p.cloud == "aws":
            return self.q("Throttled invocations per period",
                          f'sum(aws_lambda_throttles_sum{{function_name="{p.fn}"}}) > {t:g}')
        return None

    def dashboards(self) -> list[tuple[str, str]]:
        return [("Grafana service dashboard", "fill in: Grafana dashboard URL for " + self.slug),
                ("Prometheus alerts", "fill in: Prometheus/Alertmanager URL (Alerts page)")]

    def log_queries(self) -> list[Command]:
        return [self.q("Requests per second by status code (Grafana Explore)",
                       f"sum by (code) (rate(http_requests_total{self.app()}[5m]))",
                       "A sudden shift from 2xx to 5xx marks the incident start")]

    def tools(self) -> list[str]:
        return ["Grafana/Prometheus UI access (promtool or the Explore view to run PromQL)"]


# --- Datadog -------------------------------------------------------------------------------------


class Datadog(Stack):
    def __post_init__(self) -> None:
        self.key, self.label, self.language = "datadog", "Datadog", "datadog"
        self.assumptions.append(f"Datadog unified service tag service:{self.slug} and env:prod")

    @property
    def tags(self) -> str:
        p = self.platform
        if isinstance(p, Kubernetes):
            tag = {"statefulset": "kube_stateful_set", "cronjob": "kube_cronjob"}.get(p.kind, "kube_deployment")
            return f"kube_namespace:{p.ns},{tag}:{p.workload}"
        if isinstance(p, Serverless):
            return f"functionname:{p.fn}"
        if isinstance(p, SystemdHosts) and p.hosts:
            return "host:" + p.hosts[0] if len(p.hosts) == 1 else f"service:{self.slug}"
        return f"service:{self.slug}"

    @property
    def apm(self) -> str:
        return f"service:{self.slug},env:prod"

    def q_error_rate(self, t: float) -> Command:
        if isinstance(self.platform, Serverless):
            tag = self.tags
            return self.q("Lambda error % (monitor query)",
                          f"sum(last_5m):sum:aws.lambda.errors{{{tag}}}.as_count() / "
                          f"sum:aws.lambda.invocations{{{tag}}}.as_count() * 100 > {t:g}")
        span = "grpc.server" if self.names.get("protocol") == "grpc" else "http.request"
        return self.q("APM error % over 5 minutes (monitor query)",
                      f"sum(last_5m):sum:trace.{span}.errors{{{self.apm}}}.as_count() / "
                      f"sum:trace.{span}.hits{{{self.apm}}}.as_count() * 100 > {t:g}")

    def q_latency_p95(self, t: float) -> Command:
        if isinstance(self.platform, Serverless):
            return self.q("Lambda p95 duration (ms)",
                          f"percentile(last_10m):p95:aws.lambda.enhanced.duration{{{self.tags}}} > {t / 1000:g}")
        quantile = self.names.get("latency.quantile", "95")
        span = "grpc.server" if self.names.get("protocol") == "grpc" else "http.request"
        return self.q(f"APM p{quantile} latency (seconds)",
                      f"percentile(last_10m):p{quantile}:trace.{span}{{{self.apm}}} > {t / 1000:g}")

    def q_down(self, t: float) -> Command:
        p = self.platform
        if isinstance(p, Kubernetes):
            metric = "kubernetes_state.statefulset.replicas_ready" if p.kind == "statefulset" else \
                "kubernetes_state.deployment.replicas_available"
            return self.q("Available replicas", f"max(last_5m):sum:{metric}{{{self.tags}}} < 1")
        if isinstance(p, Serverless):
            return self.q("Invocations stopped", f"sum(last_10m):sum:aws.lambda.invocations{{{self.tags}}}"
                          ".as_count() < 1")
        return self.q("HTTP check failing (service check count)",
                      f"sum(last_5m):sum:trace.http.request.hits{{{self.apm}}}.as_count() < 1")

    def q_cpu(self, t: float) -> Command:
        if isinstance(self.platform, Kubernetes):
            return self.q("CPU as % of limit",
                          f"avg(last_10m):sum:kubernetes.cpu.usage.total{{{self.tags}}} / "
                          f"(sum:kubernetes.cpu.limits{{{self.tags}}} * 10000000) > {t:g}")
        return self.q("Host CPU %", f"avg(last_10m):100 - avg:system.cpu.idle{{{self.tags}}} by {{host}} > {t:g}")

    def q_memory(self, t: float) -> Command:
        if isinstance(self.platform, Kubernetes):
            return self.q("Memory as fraction of limit",
                          f"max(last_5m):max:kubernetes.memory.usage_pct{{{self.tags}}} by {{pod_name}} > {t / 100:g}")
        return self.q("Host memory usable fraction", f"max(last_5m):min:system.mem.pct_usable{{{self.tags}}} by "
                      f"{{host}} < {1 - t / 100:g}")

    def q_restarts(self, t: float) -> Command | None:
        if isinstance(self.platform, Kubernetes):
            return self.q("Container restarts in 15 minutes",
                          f"change(max(last_15m),last_15m):sum:kubernetes.containers.restarts{{{self.tags}}} > {t:g}")
        return None

    def q_disk(self, t: float) -> Command:
        if isinstance(self.platform, Kubernetes):
            return self.q("PVC usage fraction", f"max(last_5m):max:kubernetes.kubelet.volume.stats.used_bytes"
                          f"{{kube_namespace:{self.platform.ns}}} / max:kubernetes.kubelet.volume.stats.capacity_bytes"
                          f"{{kube_namespace:{self.platform.ns}}} * 100 > {t:g}")
        return self.q("Disk in use fraction", f"max(last_5m):max:system.disk.in_use{{{self.tags}}} by {{host,device}} "
                      f"> {t / 100:g}")

    def q_queue_backlog(self, t: float) -> Command:
        if "kafka.group" in self.names or "kafka.topic" in self.names:
            group = self.names.get("kafka.group", self.slug)
            return self.q("Consumer lag", f"avg(last_15m):sum:kafka.consumer_lag{{consumer_group:{group}}} > {t:g}")
        if "sqs.queue" in self.names:
            return self.q("Visible SQS messages", "avg(last_15m):max:aws.sqs.approximate_number_of_messages_visible"
                          f"{{queuename:{self.names['sqs.queue'].lower()}}} > {t:g}")
        if "rabbitmq.queue" in self.names:
            return self.q("Ready messages", f"avg(last_15m):sum:rabbitmq.queue.messages_ready"
                          f"{{rabbitmq_queue:{self.names['rabbitmq.queue']}}} > {t:g}")
        self.assumptions.append("custom metric queue.depth tagged queue:<name> (use your broker integration)")
        return self.q("Queue depth", f"avg(last_15m):max:queue.depth{{queue:{self.names.get('queue', self.slug)}}} "
                      f"> {t:g}")

    def q_job_failures(self, t: float) -> Command:
        return self.q("Failed jobs % (APM worker spans)",
                      f"sum(last_10m):sum:trace.worker.errors{{{self.apm}}}.as_count() / "
                      f"sum:trace.worker.hits{{{self.apm}}}.as_count() * 100 > {t:g}")

    def q_no_progress(self, t: float) -> Command:
        return self.q("No jobs processed", f"sum(last_15m):sum:trace.worker.hits{{{self.apm}}}.as_count() < {t:g}")

    def q_pipeline_failed(self, t: float) -> Command:
        p = self.platform
        if isinstance(p, KubernetesCronJob):
            return self.q("Failed Jobs of the CronJob", f"sum(last_1h):sum:kubernetes_state.job.failed"
                          f"{{kube_namespace:{p.ns},kube_cronjob:{p.workload}}}.as_count() >= {t:g}")
        self.assumptions.append(f"pipeline emits custom metrics {self.slug}.run.success (0/1) and "
                                f"{self.slug}.last_success (epoch seconds)")
        return self.q("Last run failed", f"min(last_5m):min:{_underscore(self.slug)}.run.success{{*}} < {t:g}")

    def q_pipeline_late(self, t: float) -> Command:
        p = self.platform
        if isinstance(p, KubernetesCronJob):
            return self.q("Seconds since the CronJob was last scheduled",
                          "max(last_5m):max:kubernetes_state.cronjob.duration_since_last_schedule"
                          f"{{kube_namespace:{p.ns},kube_cronjob:{p.workload}}} > {t * 60:g}")
        return self.q("No successful run within the window",
                      f"sum(last_{int(t)}m):sum:{_underscore(self.slug)}.run.success{{*}}.as_count() < 1")

    def q_replication_lag(self, t: float) -> Command:
        engine = self.names.get("db.engine", "postgres")
        metric = "mysql.replication.seconds_behind_master" if engine == "mysql" else "postgresql.replication_delay"
        return self.q("Replica lag (seconds)", f"max(last_5m):max:{metric}{{{self.tags}}} > {t:g}")

    def q_connections(self, t: float) -> Command:
        engine = self.names.get("db.engine", "postgres")
        if engine == "mysql":
            return self.q("Connections % of max",
                          f"max(last_5m):max:mysql.performance.threads_connected{{{self.tags}}} / "
                          f"max:mysql.net.max_connections_available{{{self.tags}}} * 100 > {t:g}")
        return self.q("Connections % of max", f"max(last_5m):max:postgresql.percent_usage_connections{{{self.tags}}} "
                      f"* 100 > {t:g}")

    def q_cert_expiry(self, t: float) -> Command:
        return self.q("Days left on the certificate (TLS check)",
                      f"min(last_1h):min:tls.days_left{{server:{_https_host(self)}}} < {t:g}")

    def q_throttles(self, t: float) -> Command | None:
        if isinstance(self.platform, Serverless):
            return self.q("Throttles", f"sum(last_5m):sum:aws.lambda.throttles{{{self.tags}}}.as_count() > {t:g}")
        return None

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


# --- CloudWatch ----------------------------------------------------------------------------------


class CloudWatch(Stack):
    def __post_init__(self) -> None:
        self.key, self.label, self.language = "cloudwatch", "CloudWatch", "cloudwatch"

    @property
    def log_group(self) -> str:
        p = self.platform
        if isinstance(p, Serverless):
            return f"/aws/lambda/{p.fn}"
        if isinstance(p, ECS):
            return f"/ecs/{p.service}"
        if isinstance(p, Kubernetes):
            cluster = p.ctx.facts.cluster or "CLUSTER"
            return f"/aws/containerinsights/{cluster}/application"
        self.assumptions.append(f"application logs shipped to CloudWatch log group /{self.slug}")
        return f"/{self.slug}"

    def logs_filter(self) -> str:
        p = self.platform
        if isinstance(p, Kubernetes):
            return f"| filter kubernetes.namespace_name = '{p.ns}' and kubernetes.container_name = '{p.workload}'\n"
        return ""

    def insights(self, purpose: str, body: str, expect: str | None = None) -> Command:
        return self.q(f"{purpose} (Logs Insights on {self.log_group})", body, expect)

    def q_error_rate(self, t: float) -> Command:
        p = self.platform
        if isinstance(p, Serverless):
            return self.q("Lambda error % (Metrics Insights; alarm on it)",
                          "SELECT SUM(Errors) * 100 / SUM(Invocations) FROM SCHEMA(\"AWS/Lambda\", FunctionName) "
                          f"WHERE FunctionName = '{p.fn}'")
        self.assumptions.append("structured JSON logs with a numeric 'status' and 'duration_ms' field")
        return self.insights("5xx share per 5 minutes",
                             f"fields @timestamp, @message\n{self.logs_filter()}| filter ispresent(status)\n"
                             "| parse @message /\"status\":\\s*(?<server_error>5\\d\\d)/\n"
                             "| stats count(server_error) * 100 / count(*) as error_pct by bin(5m)\n"
                             f"| filter error_pct > {t:g}")

    def q_latency_p95(self, t: float) -> Command:
        p = self.platform
        if isinstance(p, Serverless):
            return self.q("Lambda p95 duration (Metrics Insights, ms)",
                          "SELECT MAX(Duration) FROM SCHEMA(\"AWS/Lambda\", FunctionName) "
                          f"WHERE FunctionName = '{p.fn}'")
        return self.insights("p95 latency per 5 minutes",
                             f"fields @timestamp, duration_ms\n{self.logs_filter()}| filter ispresent(duration_ms)\n"
                             f"| stats pct(duration_ms, 95) as p95_ms by bin(5m)\n| filter p95_ms > {t:g}")

    def q_down(self, t: float) -> Command:
        p = self.platform
        if isinstance(p, Kubernetes):
            cluster = p.ctx.facts.cluster or "CLUSTER"
            return self.q("Running pods (Container Insights, Metrics Insights)",
                          "SELECT AVG(service_number_of_running_pods) FROM SCHEMA(ContainerInsights, ClusterName, "
                          f"Namespace, Service) WHERE ClusterName = '{cluster}' AND Namespace = '{p.ns}'")
        if isinstance(p, Serverless):
            return self.q("Invocations (Metrics Insights)", "SELECT SUM(Invocations) FROM SCHEMA(\"AWS/Lambda\", "
                          f"FunctionName) WHERE FunctionName = '{p.fn}'")
        return self.q("EC2 status check failures (Metrics Insights)",
                      "SELECT MAX(StatusCheckFailed) FROM SCHEMA(\"AWS/EC2\", InstanceId)")

    def ecs_metric(self, p: ECS, metric: str, purpose: str) -> Command:
        return self.q(f"{purpose} (AWS/ECS, Metrics Insights)",
                      f"SELECT MAX({metric}) FROM SCHEMA(\"AWS/ECS\", ClusterName, ServiceName) "
                      f"WHERE ClusterName = '{p.cluster}' AND ServiceName = '{p.service}'")

    def q_cpu(self, t: float) -> Command:
        p = self.platform
        if isinstance(p, ECS):
            return self.ecs_metric(p, "CPUUtilization", "Service CPU %")
        if isinstance(p, Kubernetes):
            cluster = p.ctx.facts.cluster or "CLUSTER"
            return self.q("Pod CPU % of limit (Container Insights)",
                          "SELECT MAX(pod_cpu_utilization_over_pod_limit) FROM SCHEMA(ContainerInsights, ClusterName, "
                          f"Namespace, PodName) WHERE ClusterName = '{cluster}' AND Namespace = '{p.ns}' "
                          "GROUP BY PodName")
        return self.q("EC2 CPU utilisation (Metrics Insights)",
                      "SELECT MAX(CPUUtilization) FROM SCHEMA(\"AWS/EC2\", InstanceId) GROUP BY InstanceId")

    def q_memory(self, t: float) -> Command:
        p = self.platform
        if isinstance(p, ECS):
            return self.ecs_metric(p, "MemoryUtilization", "Service memory %")
        if isinstance(p, Kubernetes):
            cluster = p.ctx.facts.cluster or "CLUSTER"
            return self.q("Pod memory % of limit (Container Insights)",
                          "SELECT MAX(pod_memory_utilization_over_pod_limit) FROM SCHEMA(ContainerInsights, "
                          f"ClusterName, Namespace, PodName) WHERE ClusterName = '{cluster}' AND Namespace = '{p.ns}' "
                          "GROUP BY PodName")
        self.assumptions.append("CloudWatch agent publishing mem_used_percent / disk_used_percent (CWAgent)")
        return self.q("Memory used % (CloudWatch agent)",
                      "SELECT MAX(mem_used_percent) FROM SCHEMA(CWAgent, InstanceId) GROUP BY InstanceId")

    def q_restarts(self, t: float) -> Command | None:
        p = self.platform
        if isinstance(p, Kubernetes):
            cluster = p.ctx.facts.cluster or "CLUSTER"
            return self.q("Container restarts (Container Insights)",
                          "SELECT MAX(pod_number_of_container_restarts) FROM SCHEMA(ContainerInsights, ClusterName, "
                          f"Namespace, PodName) WHERE ClusterName = '{cluster}' AND Namespace = '{p.ns}' "
                          "GROUP BY PodName")
        return None

    def q_disk(self, t: float) -> Command:
        return self.q("Disk used % (CloudWatch agent)",
                      "SELECT MAX(disk_used_percent) FROM SCHEMA(CWAgent, InstanceId, path) GROUP BY InstanceId, path")

    def q_queue_backlog(self, t: float) -> Command:
        queue = self.names.get("sqs.queue") or self.names.get("queue", self.slug)
        if "sqs.queue" not in self.names:
            self.assumptions.append(f"an SQS queue named '{queue}' (CloudWatch backlog metric)")
        return self.q(f"Visible messages in {queue} (Metrics Insights)",
                      "SELECT MAX(ApproximateNumberOfMessagesVisible) FROM SCHEMA(\"AWS/SQS\", QueueName) "
                      f"WHERE QueueName = '{queue}'")

    def q_job_failures(self, t: float) -> Command:
        return self.insights("Failed jobs per 10 minutes",
                             f"fields @timestamp, @message\n{self.logs_filter()}"
                             "| filter @message like /(?i)(job|task).*(failed|error)/\n"
                             f"| stats count(*) as failed by bin(10m)\n| filter failed > {t:g}")

    def q_no_progress(self, t: float) -> Command:
        queue = self.names.get("sqs.queue") or self.names.get("queue", self.slug)
        return self.q(f"Age of the oldest message in {queue} (Metrics Insights)",
                      "SELECT MAX(ApproximateAgeOfOldestMessage) FROM SCHEMA(\"AWS/SQS\", QueueName) "
                      f"WHERE QueueName = '{queue}'")

    def q_pipeline_failed(self, t: float) -> Command:
        return self.insights("Failed runs",
                             f"fields @timestamp, @message\n{self.logs_filter()}"
                             "| filter @message like /(?i)(run|job|dag).*(failed|error)/\n"
                             "| stats count(*) as failures by bin(1h)")

    def q_pipeline_late(self, t: float) -> Command:
        return self.insights("Last successful run",
                             f"fields @timestamp, @message\n{self.logs_filter()}"
                             "| filter @message like /(?i)run (succeeded|completed)/\n"
                             "| stats max(@timestamp) as last_success")

    def q_replication_lag(self, t: float) -> Command:
        instance = self.names.get("db.instance", self.slug)
        return self.q("RDS replica lag in seconds (Metrics Insights)",
                      "SELECT MAX(ReplicaLag) FROM SCHEMA(\"AWS/RDS\", DBInstanceIdentifier) "
                      f"WHERE DBInstanceIdentifier = '{instance}'")

    def q_connections(self, t: float) -> Command:
        instance = self.names.get("db.instance", self.slug)
        return self.q("RDS connections (Metrics Insights)",
                      "SELECT MAX(DatabaseConnections) FROM SCHEMA(\"AWS/RDS\", DBInstanceIdentifier) "
                      f"WHERE DBInstanceIdentifier = '{instance}'")

    def q_throttles(self, t: float) -> Command | None:
        p = self.platform
        if isinstance(p, Serverless):
            return self.q("Throttles (Metrics Insights)", "SELECT SUM(Throttles) FROM SCHEMA(\"AWS/Lambda\", "
                          f"FunctionName) WHERE FunctionName = '{p.fn}'")
        return None

    def dashboards(self) -> list[tuple[str, str]]:
        return [("CloudWatch dashboard", f"fill in: CloudWatch dashboard name for {self.slug} "
                 f"(console, region {self.platform.region})"),
                ("CloudWatch Logs Insights", f"log group {self.log_group} (region {self.platform.region})")]

    def log_queries(self) -> list[Command]:
        return [
            self.insights("Errors in the last hour, most frequent first",
                          f"fields @timestamp, @message\n{self.logs_filter()}"
                          "| filter @message like /(?i)(error|exception|fatal)/\n"
                          "| stats count(*) as n by @message\n| sort n desc\n| limit 20",
                          "A handful of distinct messages; the top one is usually the cause"),
            cmd("Tail the same log group from a terminal",
                aws_log_events(self.log_group, "15m", self.platform.region, "?ERROR ?Error ?error"),
                "No new errors after a fix"),
        ]

    def tools(self) -> list[str]:
        return [f"CloudWatch console / aws CLI with logs:StartQuery and cloudwatch:GetMetricData in "
                f"{self.platform.region}"]


# --- New Relic -----------------------------------------------------------------------------------


class NewRelic(Stack):
    def __post_init__(self) -> None:
        self.key, self.label, self.language = "newrelic", "New Relic", "nrql"
        self.assumptions.append(f"New Relic APM application name '{self.slug}'")

    @property
    def app(self) -> str:
        return f"appName = '{self.slug}'"

    def k8s_where(self) -> str:
        p = self.platform
        assert isinstance(p, Kubernetes)
        field_name = "statefulsetName" if p.kind == "statefulset" else "deploymentName"
        return f"namespaceName = '{p.ns}' AND {field_name} = '{p.workload}'"

    def host_where(self) -> str:
        p = self.platform
        hosts = p.hosts if isinstance(p, SystemdHosts) else []
        if hosts:
            return "hostname IN (" + ", ".join(f"'{h}'" for h in hosts) + ")"
        return f"apmApplicationNames LIKE '%|{self.slug}|%'"

    def q_error_rate(self, t: float) -> Command:
        if isinstance(self.platform, Serverless):
            return self.q("Invocation error %", "SELECT percentage(count(*), WHERE error IS true) FROM "
                          f"AwsLambdaInvocation WHERE aws.lambda.functionName = '{self.platform.fn}' "
                          "SINCE 30 minutes ago TIMESERIES")
        return self.q("Error % of web transactions",
                      f"SELECT percentage(count(*), WHERE error IS true) FROM Transaction WHERE {self.app} "
                      "SINCE 30 minutes ago TIMESERIES", f"Below {t:g}% in every bucket")

    def q_latency_p95(self, t: float) -> Command:
        return self.q("p95 transaction duration (seconds)",
                      f"SELECT percentile(duration, 95) FROM Transaction WHERE {self.app} SINCE 30 minutes ago "
                      "TIMESERIES", f"Below {t / 1000:g} s")

    def q_down(self, t: float) -> Command:
        p = self.platform
        if isinstance(p, Kubernetes):
            return self.q("Available pods", f"SELECT latest(podsAvailable) FROM K8sDeploymentSample WHERE "
                          f"namespaceName = '{p.ns}' AND deploymentName = '{p.workload}' SINCE 10 minutes ago")
        return self.q("Throughput (a drop to zero means down)",
                      f"SELECT rate(count(*), 1 minute) FROM Transaction WHERE {self.app} SINCE 30 minutes ago "
                      "TIMESERIES")

    def q_cpu(self, t: float) -> Command:
        if isinstance(self.platform, Kubernetes):
            return self.q("CPU % of limit per pod", "SELECT max(cpuUsedCores / cpuLimitCores) * 100 FROM "
                          f"K8sContainerSample WHERE {self.k8s_where()} FACET podName SINCE 30 minutes ago TIMESERIES")
        return self.q("Host CPU %", f"SELECT average(cpuPercent) FROM SystemSample WHERE {self.host_where()} "
                      "FACET hostname SINCE 30 minutes ago TIMESERIES")

    def q_memory(self, t: float) -> Command:
        if isinstance(self.platform, Kubernetes):
            return self.q("Memory % of limit per pod", "SELECT max(memoryWorkingSetBytes / memoryLimitBytes) * 100 "
                          f"FROM K8sContainerSample WHERE {self.k8s_where()} FACET podName SINCE 30 minutes ago "
                          "TIMESERIES")
        return self.q("Host memory %", f"SELECT average(memoryUsedPercent) FROM SystemSample WHERE "
                      f"{self.host_where()} FACET hostname SINCE 30 minutes ago TIMESERIES")

    def q_restarts(self, t: float) -> Command | None:
        if isinstance(self.platform, Kubernetes):
            return self.q("Container restarts", f"SELECT max(restartCount) FROM K8sContainerSample WHERE "
                          f"{self.k8s_where()} FACET podName SINCE 1 hour ago")
        return None

    def q_disk(self, t: float) -> Command:
        return self.q("Disk used %", f"SELECT max(diskUsedPercent) FROM StorageSample WHERE {self.host_where()} "
                      "FACET hostname, mountPoint SINCE 30 minutes ago")

    def q_queue_backlog(self, t: float) -> Command:
        if "kafka.group" in self.names or "kafka.topic" in self.names:
            group = self.names.get("kafka.group", self.slug)
            return self.q("Consumer lag", f"SELECT max(consumer.totalLag) FROM KafkaOffsetSample WHERE "
                          f"consumerGroup = '{group}' SINCE 30 minutes ago TIMESERIES")
        queue = self.names.get("sqs.queue") or self.names.get("queue", self.slug)
        return self.q("Visible SQS messages", "SELECT max(provider.approximateNumberOfMessagesVisible.Maximum) "
                      f"FROM QueueSample WHERE provider.queueName = '{queue}' SINCE 30 minutes ago TIMESERIES")

    def q_job_failures(self, t: float) -> Command:
        return self.q("Failed background jobs %", "SELECT percentage(count(*), WHERE error IS true) FROM Transaction "
                      f"WHERE {self.app} AND transactionType = 'Other' SINCE 30 minutes ago TIMESERIES")

    def q_no_progress(self, t: float) -> Command:
        return self.q("Background jobs per minute", f"SELECT rate(count(*), 1 minute) FROM Transaction WHERE "
                      f"{self.app} AND transactionType = 'Other' SINCE 30 minutes ago TIMESERIES")

    def q_pipeline_failed(self, t: float) -> Command:
        self.assumptions.append(f"pipeline records a custom event PipelineRun (pipeline, status) for {self.slug}")
        return self.q("Failed runs", f"SELECT count(*) FROM PipelineRun WHERE pipeline = '{self.slug}' AND "
                      "status = 'failed' SINCE 1 day ago")

    def q_pipeline_late(self, t: float) -> Command:
        return self.q("Time of the last successful run", f"SELECT latest(timestamp) FROM PipelineRun WHERE "
                      f"pipeline = '{self.slug}' AND status = 'success' SINCE 2 days ago")

    def q_replication_lag(self, t: float) -> Command:
        return self.q("Replica lag (on-host integration)", "SELECT max(db.replicationLagInBytes) FROM "
                      "PostgresqlInstanceSample SINCE 30 minutes ago TIMESERIES")

    def q_connections(self, t: float) -> Command:
        return self.q("Active connections", "SELECT max(db.connections) FROM PostgresqlDatabaseSample "
                      "SINCE 30 minutes ago TIMESERIES")

    def q_throttles(self, t: float) -> Command | None:
        if isinstance(self.platform, Serverless):
            return self.q("Throttles", "SELECT sum(provider.throttles.Sum) FROM ServerlessSample WHERE "
                          f"provider.functionName = '{self.platform.fn}' SINCE 30 minutes ago TIMESERIES")
        return None

    def dashboards(self) -> list[tuple[str, str]]:
        return [("New Relic APM summary", f"fill in: New Relic APM URL for application {self.slug}"),
                ("New Relic infrastructure", "fill in: New Relic infrastructure / Kubernetes cluster explorer URL")]

    def log_queries(self) -> list[Command]:
        browser = [self.q("Browser JavaScript errors (New Relic Browser)",
                          f"SELECT count(*) FROM JavaScriptError WHERE appName = '{self.slug}' FACET errorMessage "
                          "SINCE 1 hour ago LIMIT 10", "A new error message after a deploy points at the release")] \
            if self.platform.ctx.answers.service_type == "web" else []
        return [*browser, self.q("Error logs of the last hour, most frequent first",
                       f"SELECT count(*) FROM Log WHERE entity.name = '{self.slug}' AND level IN ('error', 'ERROR') "
                       "FACET message SINCE 1 hour ago LIMIT 20", "The top message is usually the cause"),
                self.q("Slowest transactions", f"SELECT percentile(duration, 95), count(*) FROM Transaction WHERE "
                       f"{self.app} FACET name SINCE 1 hour ago LIMIT 10", "One transaction dominating = one endpoint")]

    def tools(self) -> list[str]:
        return ["New Relic account access (Query builder for NRQL, APM, Logs)"]


# --- Custom (shell checks) -----------------------------------------------------------------------


class Custom(Stack):
    """In-house monitoring: the checks are shell commands against the platform itself."""

    def __post_init__(self) -> None:
        self.key, self.label, self.language = "custom", "Custom monitoring", "bash"

    def q_error_rate(self, t: float) -> Command:
        log = self.platform.logs("5m")
        return cmd("Share of 5xx lines in the last 5 minutes of logs (%)",
                   f"{log.code} 2>&1 | awk '/ 5[0-9][0-9] /{{e++}} END {{if (NR) printf \"%.2f\\n\", e*100/NR}}'",
                   f"Below {t:g}; alert when above {t:g} for 5 min")

    def q_latency_p95(self, t: float) -> Command:
        check = self.platform.health_check()
        return cmd("Time a health request (seconds)", check.code,
                   f"Well under {t / 1000:g} s; alert when slower for 10 min")

    def q_down(self, t: float) -> Command:
        check = self.platform.health_check()
        return cmd("Health probe (run every minute by the monitoring host)", check.code,
                   "HTTP 200; alert after 3 consecutive failures")

    def q_cpu(self, t: float) -> Command:
        return self.platform.resources()

    def q_memory(self, t: float) -> Command:
        return self.platform.resources()

    def q_restarts(self, t: float) -> Command | None:
        return self.platform.status()[0]

    def q_disk(self, t: float) -> Command:
        return self.platform.disk_check()

    def q_queue_backlog(self, t: float) -> Command:
        if "sqs.queue" in self.names:
            queue = self.names["sqs.queue"]
            return cmd(f"Visible and in-flight messages in {queue}",
                       f"QUEUE_URL=\"$(aws sqs get-queue-url --queue-name {q(queue)} "
                       f"--region {q(self.platform.region)} "
                       "--query QueueUrl --output text)\"\n"
                       f"aws sqs get-queue-attributes --queue-url \"$QUEUE_URL\" --region {q(self.platform.region)} "
                       "--attribute-names ApproximateNumberOfMessages ApproximateNumberOfMessagesNotVisible",
                       f"ApproximateNumberOfMessages below {t:g} and falling")
        return self.platform.logs("15m", "queue|backlog|lag")

    def q_job_failures(self, t: float) -> Command:
        return self.platform.logs("10m", "failed|error|exception")

    def q_no_progress(self, t: float) -> Command:
        return self.platform.logs("15m", "processed|completed|done")

    def q_pipeline_failed(self, t: float) -> Command:
        return self.platform.logs("24h" if not isinstance(self.platform, Serverless) else "1h",
                                  "failed|error|traceback")

    def q_pipeline_late(self, t: float) -> Command:
        return self.platform.logs("24h" if not isinstance(self.platform, Serverless) else "1h",
                                  "succeeded|completed|finished")

    def q_replication_lag(self, t: float) -> Command | None:
        return None

    def q_cert_expiry(self, t: float) -> Command:
        host = _https_host(self)
        return cmd(f"Certificate expiry of {host} (run hourly from the monitoring host)",
                   f"echo | openssl s_client -connect {q(host + ':443')} -servername {q(host)} 2>/dev/null | "
                   f"openssl x509 -noout -checkend {int(t * 86400)}",
                   f"'Certificate will not expire' (exit 0); exit 1 means it expires within {t:g} days")

    def q_connections(self, t: float) -> Command:
        return self.platform.connections()

    def q_throttles(self, t: float) -> Command | None:
        if isinstance(self.platform, Serverless):
            return self.platform.events()
        return None

    def dashboards(self) -> list[tuple[str, str]]:
        return [("In-house monitoring dashboard", "fill in: URL of the in-house monitoring / status page")]

    def log_queries(self) -> list[Command]:
        p = self.platform
        out = [p.logs("1h", "error|exception|fatal|panic")]
        if isinstance(p, SystemdHosts | BareMetal):
            out.append(cmd("Errors per host in the last hour (journal priority err and worse)",
                           p.on_hosts(f"journalctl -u {p.unit} -p err --since '1 hour ago' --no-pager | wc -l"),
                           "0 or a small stable number per host"))
        return out


def stacks_for(platform: Platform) -> list[Stack]:
    classes: dict[str, type[Stack]] = {"prometheus": Prometheus, "datadog": Datadog, "cloudwatch": CloudWatch,
                                       "newrelic": NewRelic, "custom": Custom}
    answered = list(platform.ctx.answers.monitoring)
    chosen = [v for v in answered if v in classes] or ["custom"]
    stacks = [classes[v](platform) for v in dict.fromkeys(chosen)]
    for unknown in (v for v in answered if v not in classes and v not in ("multiple", "other")):
        stacks[0].assumptions.append(f"monitoring '{unknown}' is not one the offline engine knows: its alerts "
                                     f"are written for {stacks[0].label}")
    return stacks
