"""Discovery on real repositories (../shared/repos): what it finds is checked against the files,
read here independently with a plain YAML walk (never with discovery's own readers)."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from agent.service.discover import discover
from agent.service.model import ServiceModel

REPOS = Path(__file__).resolve().parents[1].parent / "shared" / "repos"
pytestmark = pytest.mark.skipif(not REPOS.is_dir(), reason=f"{REPOS} is absent (CI has ../shared beside the "
                                                            "checkout; these tests need its repos/ folder)")
DEMO = REPOS / "microservices-demo"
ALERTS = REPOS / "awesome-prometheus-alerts"
COMPOSE = REPOS / "awesome-compose"
COMPOSE_APPS = sorted(p.name for p in COMPOSE.iterdir() if p.is_dir()) if COMPOSE.is_dir() else []

# Roles whose value is built from the files rather than copied from one line.
_DERIVED = {"compose_file", "compose_project", "volume", "selector", "url", "chart", "config_file"}


def _docs(path: Path) -> list[Any]:
    return [d for d in yaml.safe_load_all(path.read_text()) if isinstance(d, dict)]


def _assert_provenance(model: ServiceModel, root: Path) -> None:
    """Every name says a file:line, and that line holds the value (or, in a Helm template, the action)."""
    for comp, name in model.all_names():
        assert name.origin == "repository", (comp.id, name)
        file, _, line = name.at.rpartition(":")
        assert file and line.isdigit(), (comp.id, name.role, name.at)
        text = (root / file).read_text().splitlines()[int(line) - 1]
        if name.role in _DERIVED:
            continue
        assert name.value in text or "{{" in text, (comp.id, name.role, name.value, name.at, text)


# --- an 11-service shop: plain manifests, kustomize base, Helm chart -----------------------------------

def _manifest_objects(folder: Path) -> list[dict[str, Any]]:
    return [d for f in sorted(folder.glob("*.yaml")) if f.name != "kustomization.yaml" for d in _docs(f)]


def test_microservices_demo_workloads_ports_probes_and_services_match_the_manifests() -> None:
    found = discover(DEMO)
    model = found.model
    objects = _manifest_objects(DEMO / "kubernetes-manifests")
    deployments = {d["metadata"]["name"]: d for d in objects if d["kind"] == "Deployment"}
    assert len(deployments) == 12  # 11 services + the in-cluster Redis
    assert {c.id for c in model.components} == set(deployments)
    for name, doc in deployments.items():
        comp = model.component(name)
        assert comp is not None and comp.name("deployment") == name
        main = doc["spec"]["template"]["spec"]["containers"][0]
        ports = {str(p["containerPort"]) for p in main.get("ports", [])}
        assert set(comp.names_of("port")) >= ports, name
        probe = main.get("readinessProbe")
        if probe is not None:
            kind = next(k for k in ("httpGet", "grpc", "tcpSocket", "exec") if k in probe)
            port = str(probe[kind].get("port", "")) if kind != "exec" else ""
            setting = comp.setting("readiness_probe")
            assert setting is not None and port in setting.value, (name, setting)
            assert {"httpGet": "http", "grpc": "grpc", "tcpSocket": "tcp", "exec": "exec"}[kind] in setting.value
            if kind == "httpGet":
                assert comp.name("health_path") == probe["httpGet"]["path"]
    services = {d["metadata"]["name"]: d for d in objects if d["kind"] == "Service"}
    for name, svc in services.items():
        selected = svc["spec"]["selector"]["app"]
        assert name in model.component(selected).names_of("k8s_service")  # type: ignore[union-attr]
    assert model.component("redis-cart").technology == "redis"  # type: ignore[union-attr]
    assert model.platform.environment == "kubernetes"
    assert model.service.name == yaml.safe_load((DEMO / "helm-chart" / "Chart.yaml").read_text())["name"]
    _assert_provenance(model, DEMO)


def test_microservices_demo_dependencies_come_from_env_addresses() -> None:
    model = discover(DEMO).model
    objects = _manifest_objects(DEMO / "kubernetes-manifests")
    services = {d["metadata"]["name"]: d["spec"]["selector"]["app"] for d in objects if d["kind"] == "Service"}
    expected = set()
    for d in objects:
        if d["kind"] != "Deployment":
            continue
        for c in d["spec"]["template"]["spec"]["containers"]:
            for env in c.get("env", []):
                host = str(env.get("value", "")).split(":")[0]
                if ":" in str(env.get("value", "")) and host in services and services[host] != d["metadata"]["name"]:
                    expected.add((d["metadata"]["name"], services[host]))
    assert expected, "the manifests wire services together through *_ADDR variables"
    found = {(r.source, r.target) for r in model.relationships}
    assert expected <= found
    assert ("cartservice", "redis-cart") in found


def test_the_helm_chart_is_rendered_statically_with_lines_in_its_templates() -> None:
    found = discover(DEMO / "helm-chart")
    model = found.model
    values = yaml.safe_load((DEMO / "helm-chart" / "values.yaml").read_text())
    created = {v["name"] for v in values.values() if isinstance(v, dict) and v.get("create") and "name" in v
               and v["name"] not in ("opentelemetrycollector", "shoppingassistantservice")}
    created.add(values["cartDatabase"]["inClusterRedis"]["name"])
    assert {c.id for c in model.components} == created
    frontend = model.component("frontend")
    assert frontend is not None
    at = frontend.name_item("deployment")
    assert at is not None and at.at.startswith("templates/frontend.yaml:")  # relative to the folder read
    line = (DEMO / "helm-chart" / at.at.split(":")[0]).read_text().splitlines()[int(at.at.split(":")[1]) - 1]
    assert "name: {{ .Values.frontend.name }}" in line
    # the namespace is the release's, known only at install time: not invented
    assert all(c.name("namespace") is None for c in model.components)
    tag = yaml.safe_load((DEMO / "helm-chart" / "Chart.yaml").read_text())["appVersion"]
    assert any(i.endswith(f"/frontend:{tag}") for i in frontend.names_of("image"))
    assert found.read and all(reader.startswith(("helm", "kustomize", "kubernetes")) for _, reader in found.read)


def test_the_kustomize_base_reads_its_resources() -> None:
    base = DEMO / "kustomize" / "base"
    resources = yaml.safe_load((base / "kustomization.yaml").read_text())["resources"]
    found = discover(base)
    assert {rel for rel, reader in found.read if reader == "kustomize"} == {"kustomization.yaml", *resources}
    names = {d["metadata"]["name"] for r in resources for d in _docs(base / r) if d["kind"] == "Deployment"}
    assert {c.id for c in found.model.components} == names


# --- alert rules for many exporters -----------------------------------------------------------------

def _plain_alerts(root: Path) -> list[tuple[str, str, dict[str, Any]]]:
    out = []
    for path in sorted(root.rglob("*.yml")):
        for doc in _docs(path):
            for group in doc.get("groups") or []:
                for rule in group.get("rules") or []:
                    if "alert" in rule:
                        out.append((path.relative_to(root).as_posix(), rule["alert"], rule))
    return out


def test_every_alert_rule_is_found_with_its_expression_duration_and_severity() -> None:
    expected = _plain_alerts(ALERTS)
    found = discover(ALERTS)
    alerts = found.model.alerts
    assert len(expected) > 900
    assert len(alerts) == len(expected)
    assert Counter((a.at.split(":")[0], a.name) for a in alerts) == Counter((f, n) for f, n, _ in expected)
    by_key: dict[tuple[str, str], list[Any]] = {}
    for a in alerts:
        by_key.setdefault((a.at.split(":")[0], a.name), []).append(a)
    for file, name, rule in expected:
        candidates = by_key[(file, name)]
        assert any(a.expr == str(rule["expr"]).strip() and a.duration == str(rule.get("for", "")) and
                   a.severity == str(rule.get("labels", {}).get("severity", "")) for a in candidates), (file, name)
    for a in alerts[:: max(1, len(alerts) // 50)]:  # the line each alert is reported at holds its `alert:` key
        file, line = a.at.rsplit(":", 1)
        assert f"alert: {a.name}" in (ALERTS / file).read_text().splitlines()[int(line) - 1]
    assert not found.model.components  # rule files describe no workload


# --- fourteen Compose applications ----------------------------------------------------------------

def _compose(app: str) -> tuple[Path, dict[str, Any]]:
    path = next(p for p in (COMPOSE / app).iterdir() if p.name in ("compose.yaml", "compose.yml",
                                                                   "docker-compose.yml", "docker-compose.yaml"))
    return path, yaml.safe_load(path.read_text())


@pytest.mark.parametrize("app", COMPOSE_APPS)
def test_compose_services_ports_and_images_match_the_file(app: str) -> None:
    path, doc = _compose(app)
    model = discover(COMPOSE / app).model
    services = doc["services"]
    assert {c.id for c in model.components if c.name("compose_service")} == set(services)
    assert model.platform.environment == "docker"
    for name, svc in services.items():
        comp = model.component(name)
        assert comp is not None
        assert comp.name("compose_file") == path.name
        assert comp.name("compose_project") == app
        ports = {str(p).split("/")[0].rsplit(":", 1)[-1] for p in [*svc.get("ports", []), *svc.get("expose", [])]}
        assert set(comp.names_of("port")) >= ports, (name, comp.names_of("port"))
        if "image" in svc:
            assert svc["image"] in comp.names_of("image")
        if "container_name" in svc:
            assert comp.name("container") == svc["container_name"]
        for target in (svc.get("depends_on") or []):
            assert any(r.source == name and r.target == target for r in model.relationships), (name, target)
    _assert_provenance(model, COMPOSE / app)


@pytest.mark.parametrize(("app", "component", "technology"), [
    ("gitea-postgres", "db", "postgresql"), ("nextcloud-redis-mariadb", "db", "mysql"),
    ("nextcloud-redis-mariadb", "redis", "redis"), ("react-express-mongodb", "mongo", "mongodb"),
    ("wasmedge-kafka-mysql", "redpanda", "kafka"), ("nginx-flask-mongo", "web", "nginx"),
    ("elasticsearch-logstash-kibana", "elasticsearch", "elasticsearch"),
])
def test_images_of_dependencies_become_their_technology(app: str, component: str, technology: str) -> None:
    comp = discover(COMPOSE / app).model.component(component)
    assert comp is not None and comp.technology == technology and comp.kind != "service"


@pytest.mark.parametrize(("app", "source", "target", "variable"), [
    ("gitea-postgres", "gitea", "db", "DB_HOST"), ("nextcloud-redis-mariadb", "nc", "redis", "REDIS_HOST"),
    ("nextcloud-redis-mariadb", "nc", "db", "MYSQL_HOST"), ("wordpress-mysql", "wordpress", "db", "WORDPRESS_DB_HOST"),
    ("wasmedge-kafka-mysql", "etl", "db", "DATABASE_URL"), ("wasmedge-kafka-mysql", "etl", "redpanda", "KAFKA_URL"),
])
def test_env_addresses_become_relationships(app: str, source: str, target: str, variable: str) -> None:
    model = discover(COMPOSE / app).model
    assert any(r.source == source and r.target == target and variable in r.detail for r in model.relationships)
    # a user name that happens to equal a service name is not an address
    assert not any(r.detail.startswith("env ") and "USER" in r.detail for r in model.relationships)


@pytest.mark.parametrize("app", [a for a in COMPOSE_APPS if list((COMPOSE / a).rglob("Dockerfile"))])
def test_runtime_comes_from_the_dockerfile_the_service_builds(app: str) -> None:
    path, doc = _compose(app)
    model = discover(COMPOSE / app).model
    for name, svc in doc["services"].items():
        build = svc.get("build")
        if build is None:
            continue
        context = build if isinstance(build, str) else build.get("context", ".")
        dockerfile = (path.parent / context / "Dockerfile")
        froms = re.findall(r"(?im)^FROM\s+(?:--\S+\s+)*(\S+)", dockerfile.read_text())
        comp = model.component(name)
        assert comp is not None
        assert comp.setting("base_image") is not None, name
        assert comp.setting("base_image").value in [f.split("@")[0] for f in froms]  # type: ignore[union-attr]


def test_secrets_in_compose_files_never_reach_the_model() -> None:
    for app in COMPOSE_APPS:
        path, doc = _compose(app)
        secrets = []
        for svc in doc["services"].values():
            env = svc.get("environment") or {}
            pairs = env.items() if isinstance(env, dict) else (str(e).split("=", 1) for e in env)
            secrets += [str(v) for k, v in pairs if "PASS" in k and len(str(v)) > 3 and not str(v).startswith("/")]
        text = discover(COMPOSE / app).model.model_dump_json()
        for secret in secrets:
            assert not re.search(rf"PASS\w*[\"']?\s*[:=]\s*[\"']?{re.escape(secret)}\b", text), (app, secret)
        assert "whalehello" not in text  # the password inside wasmedge's mysql:// URL


def test_the_whole_shared_folder_is_read_without_a_crash_and_lists_what_it_skipped() -> None:
    found = discover(REPOS)
    assert len(found.model.alerts) == len(_plain_alerts(ALERTS))
    assert found.skipped_count > 0
    assert all(s.reason for s in found.skipped)
    assert any("package-lock.json" in s.path for s in found.skipped) or any(
        "not a kind" in s.reason for s in found.skipped)
