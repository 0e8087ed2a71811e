"""Each discovery reader on small files written here, and the walker's limits (symlinks, alias bombs,
big and binary files): what the files say is what the model holds, at the right line."""

from __future__ import annotations

import os
import shutil
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent.errors import UsageError
from agent.service.discover import discover
from agent.service.discover.partial import unresolved
from agent.service.discover.vocabulary import redact
from agent.service.model import ServiceModel


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
    return root


def line_of(root: Path, at: str) -> str:
    file, _, line = at.rpartition(":")
    return (root / file).read_text().splitlines()[int(line) - 1]


def comp(model: ServiceModel, ident: str):  # type: ignore[no-untyped-def]
    found = model.component(ident)
    assert found is not None, [c.id for c in model.components]
    return found


# --- Terraform -----------------------------------------------------------------------------------

TERRAFORM = {
    "infra/main.tf": """
        provider "aws" {
          region = var.region
        }
        variable "region" {
          default = "eu-west-1"
        }
        variable "env" {}
        locals {
          prefix = "orders"
        }
        resource "aws_db_instance" "main" {
          identifier     = "${local.prefix}-db"
          engine         = "postgres"
          engine_version = "15.4"
          db_name        = "orders"
          multi_az       = true
          instance_class = "db.r6g.large"
        }
        resource "aws_rds_cluster" "ledger" {
          cluster_identifier = "ledger-aurora"
          engine             = "aurora-postgresql"
          database_name      = "ledger"
        }
        resource "aws_rds_cluster_instance" "ledger_1" {
          identifier         = "ledger-aurora-1"
          cluster_identifier = aws_rds_cluster.ledger.id
          engine             = "aurora-postgresql"
        }
        resource "aws_elasticache_replication_group" "sessions" {
          replication_group_id = "orders-sessions"
          engine               = "redis"
          node_type            = "cache.r6g.large"
        }
        resource "aws_sqs_queue" "jobs_dlq" {
          name = "orders-jobs-dlq"
        }
        resource "aws_sqs_queue" "jobs" {
          name                       = "orders-jobs"
          visibility_timeout_seconds = 60
          redrive_policy = jsonencode({
            deadLetterTargetArn = aws_sqs_queue.jobs_dlq.arn
            maxReceiveCount     = 5
          })
        }
        resource "aws_sns_topic" "events" {
          name = "orders-events"
        }
        resource "aws_msk_cluster" "stream" {
          cluster_name           = "orders-stream"
          kafka_version          = "3.6.0"
          number_of_broker_nodes = 3
        }
        resource "aws_lambda_function" "worker" {
          function_name                  = "orders-worker"
          runtime                        = "python3.12"
          reserved_concurrent_executions = 10
        }
        resource "aws_lambda_event_source_mapping" "jobs" {
          event_source_arn = aws_sqs_queue.jobs.arn
          function_name    = aws_lambda_function.worker.arn
          batch_size       = 10
        }
        resource "aws_ecs_cluster" "main" {
          name = "orders-cluster"
        }
        resource "aws_ecs_service" "api" {
          name          = "orders-api"
          cluster       = aws_ecs_cluster.main.id
          desired_count = 3
        }
        resource "aws_appautoscaling_target" "api" {
          resource_id  = "service/orders-cluster/orders-api"
          min_capacity = 3
          max_capacity = 12
        }
        resource "aws_s3_bucket" "exports" {
          bucket = "orders-exports-${var.env}"
        }
        resource "aws_dynamodb_table" "idempotency" {
          name     = "orders-idempotency"
          hash_key = "id"
        }
        resource "aws_lb" "api" {
          name               = "orders-alb"
          load_balancer_type = "application"
        }
        resource "aws_route53_record" "api" {
          name    = "orders.example.com"
          zone_id = "Z123"
          alias {
            name = aws_lb.api.dns_name
          }
        }
        resource "aws_cloudwatch_metric_alarm" "dlq" {
          alarm_name          = "orders-dlq-not-empty"
          namespace           = "AWS/SQS"
          metric_name         = "ApproximateNumberOfMessagesVisible"
          statistic           = "Maximum"
          comparison_operator = "GreaterThanThreshold"
          threshold           = 0
          evaluation_periods  = 1
          period              = 300
          dimensions = {
            QueueName = "orders-jobs-dlq"
          }
        }
        module "reports" {
          source     = "terraform-aws-modules/rds/aws"
          identifier = "reports-db"
          engine     = "mysql"
        }
    """,
    "infra/broken.tf": "resource \"aws_s3_bucket\" {{{\n",
}


def test_terraform_resources_become_components_with_their_names_settings_and_lines(tmp_path: Path) -> None:
    root = write(tmp_path, TERRAFORM)
    found = discover(root)
    model = found.model
    db = comp(model, "orders-db")
    assert (db.technology, db.kind, db.form, db.variant, db.version) == ("postgresql", "database", "managed",
                                                                          "rds-instance", "15.4")
    assert db.name("database") == "orders" and db.setting("multi_az").value == "true"
    assert "identifier" in line_of(root, db.name_item("instance").at)
    ledger = comp(model, "ledger-aurora")
    assert ledger.variant == "aurora" and ledger.names_of("instance") == ["ledger-aurora-1"]
    assert comp(model, "orders-sessions").variant == "elasticache"
    jobs = comp(model, "orders-jobs")
    assert jobs.name("dlq") == "orders-jobs-dlq" and jobs.setting("max_receive_count").value == "5"
    assert jobs.setting("visibility_timeout_s").value == "60"
    assert comp(model, "orders-stream").variant == "msk"
    worker = comp(model, "orders-worker")
    assert worker.technology == "python" and worker.setting("concurrency").value == "10"
    assert worker.setting("batch_size").value == "10"
    assert any(r.source == worker.id and r.target == "orders-jobs" and r.kind == "triggered_by"
               for r in model.relationships)
    api = comp(model, "orders-api")
    assert api.name("cluster") == "orders-cluster" and api.controller("replicas") == "application-autoscaling"
    assert api.setting("replicas_max").value == "12"
    assert comp(model, "orders-idempotency").technology == "dynamodb"
    assert comp(model, "orders-alb").names_of("dns_name") == ["orders.example.com"]
    assert comp(model, "reports-db").technology == "mysql"  # a registry module reads like its resource
    # a name built from a variable without a value is not invented
    assert all(not unresolved(n.value) for _, n in model.all_names())
    assert not any(n.value.startswith("orders-exports") for _, n in model.all_names())
    assert model.platform.cloud == "aws" and [r.name for r in model.topology.regions] == ["eu-west-1"]
    alarm = next(a for a in model.alerts if a.name == "orders-dlq-not-empty")
    assert alarm.source_format == "cloudwatch" and "> 0" in alarm.expr and alarm.duration == "300s"
    assert any(s.path == "infra/broken.tf" and "HCL" in s.reason for s in found.skipped)


# --- systemd, Alertmanager, Datadog ----------------------------------------------------------------

def test_systemd_unit_and_timer(tmp_path: Path) -> None:
    root = write(tmp_path, {
        "deploy/billing-export.service": """
            [Unit]
            Description=Nightly billing export
            Requires=postgresql.service
            After=network-online.target postgresql.service

            [Service]
            Type=oneshot
            User=billing
            ExecStart=/usr/bin/python3 /opt/billing/export.py
            Environment=EXPORT_BUCKET=billing-exports DB_PASSWORD=hunter2
            Restart=on-failure
        """,
        "deploy/billing-export.timer": """
            [Timer]
            OnCalendar=*-*-* 02:00:00
            Persistent=true
        """,
    })
    model = discover(root).model
    svc = comp(model, "billing-export")
    assert svc.name("unit") == "billing-export.service" and svc.name("timer") == "billing-export.timer"
    assert svc.names_of("schedule") == ["OnCalendar=*-*-* 02:00:00"]
    assert svc.technology == "python" and svc.controller("restart") == "systemd"
    assert svc.controller("schedule") == "systemd-timer" and svc.setting("user").value == "billing"
    assert any(r.target == "postgresql" and r.kind == "health_depends_on" for r in model.relationships)
    assert "hunter2" not in model.model_dump_json()
    assert model.platform.environment == "vm"


def test_alertmanager_receivers_become_people(tmp_path: Path) -> None:
    root = write(tmp_path, {"monitoring/alertmanager.yml": """
        route:
          receiver: team-slack
          routes:
            - matchers: ['severity="critical"']
              receiver: oncall-pager
        receivers:
          - name: team-slack
            slack_configs:
              - channel: '#orders-alerts'
                api_url: https://hooks.slack.com/services/T000/B000/XXXX
          - name: oncall-pager
            pagerduty_configs:
              - routing_key: abcdef0123456789
    """})
    model = discover(root).model
    channel = model.person("channel")
    pager = model.person("pager")
    assert channel is not None and channel.value == "#orders-alerts"
    assert pager is not None and pager.value == "PagerDuty" and "severity=" in pager.qualifier
    dumped = model.model_dump_json()
    assert "abcdef0123456789" not in dumped and "hooks.slack.com" not in dumped


def test_datadog_monitor_json_becomes_an_alert_and_contacts(tmp_path: Path) -> None:
    root = write(tmp_path, {"monitors/orders.json": """
        [{"name": "Orders API p99 latency", "type": "query alert",
          "query": "avg(last_5m):p99:trace.http.request{service:orders-api} > 0.5",
          "message": "High. https://wiki.example.com/runbooks/orders#latency @slack-orders-oncall @pagerduty-Orders",
          "priority": 2, "options": {"thresholds": {"critical": 0.5}}}]
    """})
    model = discover(root).model
    alert = model.alerts[0]
    assert alert.name == "Orders API p99 latency" and alert.source_format == "datadog"
    assert alert.severity == "critical" and alert.runbook_url.endswith("/runbooks/orders#latency")
    assert model.person("channel").value == "#orders-oncall"  # type: ignore[union-attr]
    assert model.person("pager").value == "PagerDuty"  # type: ignore[union-attr]


# --- Kubernetes, Argo CD, kustomize ----------------------------------------------------------------

K8S = {
    "k8s/app.yaml": """
        apiVersion: v1
        kind: List
        items:
          - apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: orders-api
              namespace: shop
            spec:
              replicas: 3
              selector:
                matchLabels: {app: orders-api}
              template:
                metadata:
                  labels: {app: orders-api}
                spec:
                  containers:
                    - name: api
                      image: registry.example.com/shop/orders-api:2.4.1
                      ports: [{containerPort: 8080}]
                      readinessProbe:
                        httpGet: {path: /readyz, port: 8080}
                      envFrom:
                        - configMapRef: {name: orders-config}
                      env:
                        - name: DB_PASSWORD
                          valueFrom: {secretKeyRef: {name: orders-db, key: password}}
                        - name: REDIS_URL
                          valueFrom: {secretKeyRef: {name: orders-redis, key: url}}
    """,
    "k8s/more.yaml": """
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: orders-config, namespace: shop}
        data:
          DATABASE_URL: postgres://orders@orders-db.abc123.eu-west-1.rds.amazonaws.com:5432/orders
        ---
        apiVersion: autoscaling/v2
        kind: HorizontalPodAutoscaler
        metadata: {name: orders-api, namespace: shop}
        spec:
          scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: orders-api}
          minReplicas: 3
          maxReplicas: 20
        ---
        apiVersion: policy/v1
        kind: PodDisruptionBudget
        metadata: {name: orders-api, namespace: shop}
        spec:
          minAvailable: 2
          selector:
            matchLabels: {app: orders-api}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: orders-api, namespace: shop}
        spec:
          selector: {app: orders-api}
          ports: [{port: 80, targetPort: 8080}]
        ---
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata: {name: orders, namespace: shop}
        spec:
          tls: [{hosts: [orders.example.com]}]
          rules:
            - host: orders.example.com
              http:
                paths:
                  - path: /
                    pathType: Prefix
                    backend: {service: {name: orders-api, port: {number: 80}}}
        ---
        apiVersion: batch/v1
        kind: CronJob
        metadata: {name: orders-cleanup, namespace: shop}
        spec:
          schedule: "*/30 * * * *"
          jobTemplate:
            spec:
              template:
                spec:
                  containers: [{name: cleanup, image: "python:3.12-slim"}]
        ---
        apiVersion: monitoring.coreos.com/v1
        kind: PrometheusRule
        metadata: {name: orders, namespace: shop}
        spec:
          groups:
            - name: orders
              rules:
                - alert: OrdersHighErrorRate
                  expr: sum(rate(http_requests_total{job="orders-api",code=~"5.."}[5m])) > 1
                  for: 10m
                  labels: {severity: critical, team: shop}
                  annotations:
                    summary: Orders API 5xx above 1/s
                - record: job:http_requests:rate5m
                  expr: sum(rate(http_requests_total[5m])) by (job)
        ---
        apiVersion: argoproj.io/v1alpha1
        kind: Application
        metadata: {name: orders, namespace: argocd}
        spec:
          source: {repoURL: "https://git.example.com/shop.git", path: k8s}
          destination: {namespace: shop}
          syncPolicy:
            automated: {prune: true, selfHeal: true}
    """,
}


def test_kubernetes_objects_are_read_together(tmp_path: Path) -> None:
    root = write(tmp_path, K8S)
    model = discover(root).model
    api = comp(model, "orders-api")
    assert api.name("namespace") == "shop" and api.name("deployment") == "orders-api"
    assert api.names_of("port") == ["8080"] and api.name("health_path") == "/readyz"
    assert api.controller("replicas") == "hpa" and api.setting("replicas_max").value == "20"
    assert api.setting("pdb_min_available").value == "2" and api.name("hpa") == "orders-api"
    assert api.name("dns_name") == "orders.example.com" and api.name("url") == "https://orders.example.com"
    assert api.name("argocd_app") == "orders" and api.controller("deploy") == "argocd"
    assert api.controller("config") == "argocd"
    assert api.controller("replicas") == "hpa"  # self-heal does not take the count from the autoscaler
    db = comp(model, "orders-db")
    assert db.form == "managed" and db.variant == "rds-instance" and db.name("database") == "orders"
    assert db.name_item("host").at.startswith("k8s/more.yaml:")  # read from the ConfigMap it came from
    assert comp(model, "redis").technology == "redis"  # named only through a secret: no invented host
    assert comp(model, "redis").names == []
    cron = comp(model, "orders-cleanup")
    assert cron.names_of("schedule") == ["*/30 * * * *"] and cron.technology == "python"
    assert [a.name for a in model.alerts] == ["OrdersHighErrorRate"]
    alert = model.alerts[0]
    assert alert.duration == "10m" and alert.severity == "critical" and alert.source_format == "prometheusrule"
    assert "alert: OrdersHighErrorRate" in line_of(root, alert.at)
    assert model.service.name == "orders"  # the Argo CD app names the service
    assert "password" not in model.model_dump_json().lower().replace("db_password", "")


def test_kustomize_overlay_applies_prefix_namespace_and_image_and_reads_production(tmp_path: Path) -> None:
    root = write(tmp_path, {
        "base/kustomization.yaml": "resources: [deploy.yaml]\n",
        "base/deploy.yaml": """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web}
            spec:
              replicas: 1
              selector: {matchLabels: {app: web}}
              template:
                metadata: {labels: {app: web}}
                spec:
                  containers: [{name: web, image: "shop/web:1.0"}]
        """,
        "overlays/staging/kustomization.yaml": "resources: [../../base]\nnamespace: shop-staging\n",
        "overlays/production/kustomization.yaml": """
            resources: [../../base]
            namespace: shop-prod
            namePrefix: prod-
            images:
              - name: shop/web
                newTag: "1.4.2"
            patches:
              - path: replicas.yaml
        """,
        "overlays/production/replicas.yaml": """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web}
            spec: {replicas: 6}
        """,
    })
    found = discover(root)
    model = found.model
    assert [c.id for c in model.components] == ["prod-web"]
    web = model.components[0]
    assert web.name("namespace") == "shop-prod" and web.names_of("image") == ["shop/web:1.4.2"]
    assert web.setting("replicas").value == "6"
    assert any(s.path == "overlays/staging/" and "overlay" in s.reason for s in found.skipped)
    assert all(not c.id == "web" for c in model.components)  # the base is not read on its own


# --- Compose ---------------------------------------------------------------------------------------

def test_compose_env_extends_profiles_and_override(tmp_path: Path) -> None:
    root = write(tmp_path, {
        "shop/.env": "TAG=3.1\nAPI_PORT=9000\n",
        "shop/common.yml": """
            services:
              base:
                restart: unless-stopped
                environment:
                  LOG_LEVEL: info
        """,
        "shop/compose.yaml": """
            name: shop
            services:
              api:
                extends: {file: common.yml, service: base}
                image: "example/shop-api:${TAG}"
                ports: ["${API_PORT:-8080}:8080"]
                environment:
                  DATABASE_URL: postgres://shop:secretpw@db:5432/shop
                depends_on:
                  db: {condition: service_healthy}
              db:
                image: postgres:16
                healthcheck: {test: ["CMD", "pg_isready"]}
                volumes: ["pgdata:/var/lib/postgresql/data"]
              debug:
                image: "busybox:${NOT_SET}"
                profiles: [debug]
            volumes:
              pgdata: {}
        """,
        "shop/compose.override.yaml": """
            services:
              api:
                ports: ["9229:9229"]
        """,
    })
    model = discover(root).model
    api = comp(model, "api")
    assert api.names_of("image") == ["example/shop-api:3.1"] and api.name("compose_project") == "shop"
    assert set(api.names_of("port")) == {"8080", "9229"} and api.setting("published.8080").value == "9000:8080"
    assert api.controller("restart") == "docker"  # from the service it extends
    db = comp(model, "db")
    assert db.technology == "postgresql" and db.version == "16" and db.names_of("volume") == ["shop_pgdata"]
    assert db.name("database") == "shop"
    assert any(r.source == "api" and r.target == "db" for r in model.relationships)
    debug = comp(model, "debug")
    assert debug.setting("profiles").value == "debug" and debug.names_of("image") == []  # ${NOT_SET}: not guessed
    assert "secretpw" not in model.model_dump_json()


# --- Dockerfiles and package manifests -----------------------------------------------------------------

def test_dockerfile_and_manifests_give_the_runtime(tmp_path: Path) -> None:
    root = write(tmp_path, {
        "Dockerfile": """
            ARG GO_VERSION=1.22
            FROM golang:${GO_VERSION}-alpine AS build
            RUN go build -o /app .
            FROM gcr.io/distroless/static
            EXPOSE 8080 9090/tcp
            HEALTHCHECK --interval=30s CMD ["/app", "healthcheck"]
            ENTRYPOINT ["/app"]
        """,
        "go.mod": "module example.com/ledger\n\ngo 1.22\n\nrequire github.com/gin-gonic/gin v1.9.1\n",
    })
    model = discover(root).model
    svc = model.components[0]
    assert svc.technology == "go" and svc.setting("runtime").value == "Go 1.22"
    assert svc.names_of("port") == ["8080", "9090"] and svc.setting("framework").value == "Gin"
    assert svc.setting("image_healthcheck").value == "/app healthcheck"


@pytest.mark.parametrize(("name", "text", "runtime", "framework"), [
    ("package.json", '{"name": "web", "engines": {"node": ">=20"}, "dependencies": {"express": "^4"}}',
     "Node.js 20", "Express"),
    ("pyproject.toml", '[project]\nname = "api"\nrequires-python = ">=3.11"\ndependencies = ["fastapi>=0.110"]\n',
     "Python 3.11", "FastAPI"),
    ("pom.xml", "<project xmlns='http://maven.apache.org/POM/4.0.0'><artifactId>svc</artifactId><parent>"
     "<artifactId>spring-boot-starter-parent</artifactId></parent><properties><java.version>21</java.version>"
     "</properties></project>", "Java 21", "Spring Boot"),
])
def test_package_manifests(tmp_path: Path, name: str, text: str, runtime: str, framework: str) -> None:
    root = write(tmp_path, {"svc/" + name: text, "svc/Dockerfile": "FROM scratch\nEXPOSE 80\n"})
    svc = discover(root).model.components[0]
    assert svc.setting("runtime").value == runtime and svc.setting("framework").value == framework


# --- Helm, statically ----------------------------------------------------------------------------

HELM = {
    "chart/Chart.yaml": "apiVersion: v2\nname: billing\nversion: 1.2.0\nappVersion: \"4.1\"\n",
    "chart/values.yaml": """
        replicaCount: 2
        image: {repository: example/billing}
        workers:
          - name: invoices
            queue: billing-invoices
          - name: refunds
            queue: billing-refunds
        resources: {limits: {memory: 512Mi}}
    """,
    "chart/templates/_helpers.tpl": """
        {{- define "billing.fullname" -}}
        {{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
        {{- end -}}
        {{- define "billing.labels" -}}
        app.kubernetes.io/name: {{ .Chart.Name }}
        {{- end -}}
    """,
    "chart/templates/deployment.yaml": """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: {{ include "billing.fullname" . }}
          labels:
            {{- include "billing.labels" . | nindent 4 }}
        spec:
          replicas: {{ .Values.replicaCount }}
          template:
            spec:
              containers:
                - name: api
                  image: "{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}"
                  resources:
                    {{- toYaml .Values.resources | nindent 12 }}
        {{- range .Values.workers }}
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: billing-{{ .name }}
        spec:
          template:
            spec:
              containers:
                - name: worker
                  image: "{{ $.Values.image.repository }}:{{ $.Chart.AppVersion }}"
                  env:
                    - name: QUEUE
                      value: {{ .queue | quote }}
        {{- end }}
    """,
    "chart/templates/secret.yaml": "apiVersion: v1\nkind: Secret\ndata:\n  k: {{ .Values.x | someUnknownFn }}\n",
}


def test_helm_chart_rendered_without_helm(tmp_path: Path) -> None:
    root = write(tmp_path, HELM)
    found = discover(root)
    model = found.model
    # The main Deployment's name depends on .Release.Name: not invented, so it is not in the model.
    assert {c.id for c in model.components} == {"billing-invoices", "billing-refunds"}
    invoices = comp(model, "billing-invoices")
    assert invoices.names_of("image") == ["example/billing:4.1"] and invoices.name("chart") == "billing"
    assert "name: billing-{{ .name }}" in line_of(root, invoices.name_item("deployment").at)
    assert any("someUnknownFn" in s.reason and s.path == "chart/templates/secret.yaml" for s in found.skipped)
    assert model.service.name == "billing"


# --- the walker's limits -------------------------------------------------------------------------------

def test_symlinks_out_of_the_folder_are_not_followed(tmp_path: Path) -> None:
    outside = write(tmp_path / "outside", {"secret.yaml": "apiVersion: v1\nkind: Secret\nmetadata: {name: x}\n",
                                           "d/deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\n"
                                                            "metadata: {name: evil}\n"})
    root = tmp_path / "repo"
    root.mkdir()
    os.symlink(outside / "secret.yaml", root / "link.yaml")
    os.symlink(outside / "d", root / "linkdir")
    found = discover(root)
    reasons = {s.path: s.reason for s in found.skipped}
    assert "outside" in reasons["link.yaml"] and "outside" in reasons["linkdir/"]
    assert not found.model.components


def test_alias_bombs_big_binary_and_unknown_files_are_skipped_with_the_reason(tmp_path: Path) -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [{', '.join('*' + p for p in [prev] * 10)}]\n" for prev, c in zip("abcdefgh", "bcdefghi",
                                                                                      strict=True))
    root = write(tmp_path, {"bomb.yaml": bomb, "notes.yaml": "title: hello\nitems: [1, 2]\n",
                            "bad.yaml": "key: [unclosed\n"})
    (tmp_path / "big.yaml").write_text("# x\n" * 400_000)
    (tmp_path / "blob.json").write_bytes(b"\x00\x01\x02" * 10)
    found = discover(root)
    reasons = {s.path: s.reason for s in found.skipped}
    assert "alias bomb" in reasons["bomb.yaml"]
    assert "larger than" in reasons["big.yaml"] and reasons["blob.json"] == "binary file"
    assert "top-level keys: items, title" in reasons["notes.yaml"]
    assert "not valid YAML" in reasons["bad.yaml"]


def test_a_missing_folder_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="no such file or folder"):
        discover("/nonexistent/repo")


# --- properties ------------------------------------------------------------------------------------

_NAME = st.from_regex(r"[a-z][a-z0-9]{0,10}(-[a-z0-9]{1,8}){0,2}", fullmatch=True)


@settings(max_examples=40, deadline=None)
@given(name=_NAME, namespace=_NAME, port=st.integers(1024, 65000))
def test_any_deployment_name_namespace_and_port_are_read_back_at_their_lines(tmp_path_factory: pytest.TempPathFactory,
                                                                              name: str, namespace: str,
                                                                              port: int) -> None:
    root = write(tmp_path_factory.mktemp("k"), {"d.yaml": f"""
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: {name}
          namespace: {namespace}
        spec:
          template:
            spec:
              containers:
                - name: app
                  image: example/{name}:1
                  ports:
                    - containerPort: {port}
    """})
    model = discover(root).model
    c = comp(model, name)
    assert c.name("namespace") == namespace and c.names_of("port") == [str(port)]
    assert c.name_item("deployment").at == "d.yaml:4" and c.name_item("namespace").at == "d.yaml:5"


@settings(max_examples=40, deadline=None)
@given(name=_NAME, workers=st.lists(_NAME, min_size=1, max_size=4, unique=True))
def test_any_values_reach_the_rendered_names_at_their_template_line(tmp_path_factory: pytest.TempPathFactory,
                                                                     name: str, workers: list[str]) -> None:
    values = "names:\n" + "".join(f"  - {w}\n" for w in workers)
    root = write(tmp_path_factory.mktemp("h"), {
        "Chart.yaml": f"apiVersion: v2\nname: {name}\nversion: 0.1.0\n",
        "values.yaml": values,
        "templates/w.yaml": """
            {{- range $i, $n := .Values.names }}
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: {{ $n }}-w
            spec:
              template:
                spec:
                  containers: [{name: c, image: "img:{{ $i }}"}]
            {{- end }}
        """})
    model = discover(root).model
    assert [c.id for c in model.components] == [f"{w}-w" for w in workers]
    assert all(c.name_item("deployment").at == "templates/w.yaml:6" for c in model.components)


@settings(max_examples=60, deadline=None)
@given(key=st.sampled_from(["PASSWORD", "DB_PASS", "api_key", "SECRET_TOKEN", "client_secret"]),
       secret=st.from_regex(r"[A-Za-z0-9!%^*]{6,20}", fullmatch=True), sep=st.sampled_from(["=", ": ", " = "]))
def test_redaction_masks_secret_values_and_url_passwords(key: str, secret: str, sep: str) -> None:
    assert secret not in redact(f"  - {key}{sep}{secret}")
    assert secret not in redact(f"url: postgres://app:{secret}@db:5432/x")


@pytest.mark.skipif(shutil.which("helm") is None, reason="helm is not installed here: the static renderer is "
                                                       "tested above; this checks the helm template path")
def test_with_helm_on_path_the_chart_is_rendered_by_helm_template(tmp_path: Path) -> None:
    root = write(tmp_path, {k: v for k, v in HELM.items() if not k.endswith("secret.yaml")})
    found = discover(root)
    assert any(reader == "helm (helm template)" for _, reader in found.read)
    assert {"billing-invoices", "billing-refunds"} <= {c.id for c in found.model.components}
