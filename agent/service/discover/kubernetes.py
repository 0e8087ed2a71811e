"""Kubernetes objects: workloads, Services, probes, ports, env pointing at dependencies, HPA / KEDA,
PDBs, Ingresses, ConfigMaps, plus the `PrometheusRule`s and Argo CD `Application`s among them.

Objects are read together (from plain manifests, kustomize and Helm alike), so an HPA in one file
finds its Deployment in another and an env var naming `redis-cart:6379` finds the `redis-cart` workload
behind the Service of that name. A name the files leave to install time (a Helm template's
`.Release.Namespace`) is not guessed: it stays out of the model.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from agent.service.discover import alertmanager, argocd, prometheus
from agent.service.discover.partial import Partial, Source, unresolved
from agent.service.discover.vocabulary import (
    Tech,
    endpoint,
    env_target,
    image_tech,
    image_version,
    is_secret,
    runtime_of,
    scheme_tech,
    self_env_role,
)
from agent.service.discover.yamlfile import Map, get, line, mapping
from agent.service.model import Component, Role

# kind -> (role of its name, path to the pod spec)
WORKLOADS: dict[str, tuple[Role, tuple[str, ...]]] = {
    "Deployment": ("deployment", ("spec", "template", "spec")),
    "StatefulSet": ("statefulset", ("spec", "template", "spec")),
    "DaemonSet": ("daemonset", ("spec", "template", "spec")),
    "Job": ("job", ("spec", "template", "spec")),
    "CronJob": ("cronjob", ("spec", "jobTemplate", "spec", "template", "spec")),
    "DeploymentConfig": ("deployment", ("spec", "template", "spec")),  # OpenShift
}
_LOCAL_HOSTS = {"localhost", "127.0.0.1", "0.0.0.0", "::1"}
_CLUSTER_SUFFIX = re.compile(r"(\.[a-z0-9-]+)?(\.svc(\.cluster\.local)?)?\.?$")


def _identity(n: int) -> int:
    return n


@dataclass
class K8sObject:
    """One object with where it came from; `line_map` turns a line of `doc` into a line of `src`."""

    doc: Map
    src: Source
    line_map: Callable[[int], int] = _identity
    note: str = ""  # how it was produced ("kustomize overlays/prod: namePrefix prod-")
    chart: tuple[str, Source, int] | None = None  # the Helm chart that rendered it (name, Chart.yaml, line)

    @property
    def kind(self) -> str:
        return str(self.doc.get("kind") or "")

    @property
    def name(self) -> str:
        return str(get(self.doc, "metadata", "name") or "")

    @property
    def namespace(self) -> str:
        value = get(self.doc, "metadata", "namespace")
        return str(value) if value and not unresolved(str(value)) else ""

    def at(self, *path: Any) -> int:
        return self.line_map(line(self.doc, *path))


def objects_of(docs: Iterable[Any], src: Source, line_map: Callable[[int], int] = _identity,
               note: str = "") -> list[K8sObject]:
    """The objects of a manifest's documents, `List`s unrolled."""
    out: list[K8sObject] = []
    for doc in docs:
        if not isinstance(doc, Map) or "kind" not in doc or "apiVersion" not in doc:
            continue
        if str(doc["kind"]).endswith("List") and isinstance(doc.get("items"), list):
            out.extend(objects_of(doc["items"], src, line_map, note))
        else:
            out.append(K8sObject(doc, src, line_map, note))
    return out


@dataclass
class _Link:
    source: str  # component id
    variable: str
    target: Tech | None
    host: str
    port: str
    database: str
    src: Source
    line: int
    secret_ref: str = ""


@dataclass
class _State:
    part: Partial = field(default_factory=Partial)
    workloads: dict[str, tuple[Component, K8sObject]] = field(default_factory=dict)  # "kind/name" -> …
    service_to: dict[str, str] = field(default_factory=dict)  # k8s Service name -> component id
    external: dict[str, str] = field(default_factory=dict)  # ExternalName Service -> host
    config: dict[str, list[tuple[str, str, int, K8sObject]]] = field(default_factory=dict)
    links: list[_Link] = field(default_factory=list)


def read(objects: list[K8sObject]) -> Partial:
    state = _State()
    for obj in objects:
        if obj.kind == "ConfigMap" and isinstance(obj.doc.get("data"), dict):
            data: Map = obj.doc["data"]
            state.config[obj.name] = [(str(k), str(v), obj.at("data", k), obj) for k, v in data.items()]
    for obj in objects:
        if obj.kind in WORKLOADS and obj.name and not unresolved(obj.name):
            _workload(state, obj)
    for obj in objects:
        kind = obj.kind
        if kind == "Service":
            _service(state, obj)
        elif kind == "HorizontalPodAutoscaler":
            _hpa(state, obj)
        elif kind == "ScaledObject":
            _keda(state, obj)
        elif kind == "PodDisruptionBudget":
            _pdb(state, obj)
        elif kind == "Ingress":
            _ingress(state, obj)
        elif kind == "PrometheusRule":
            prometheus.read_prometheus_rule(obj.doc, obj.src, state.part, obj.line_map)
        elif kind == "AlertmanagerConfig":
            alertmanager.read_config(obj.doc, obj.src, state.part, crd=True)
    apps = [o for o in objects if o.kind in ("Application", "ApplicationSet")
            and "argoproj.io" in str(o.doc.get("apiVersion", ""))]
    for obj in apps:  # after the autoscalers: self-heal owns the replicas only where no HPA does
        argocd.read_application(obj, state.part, list(state.workloads.values()), len(apps))
    _resolve_links(state)
    return state.part


# --- workloads -------------------------------------------------------------------------------------

def _workload(state: _State, obj: K8sObject) -> None:
    role, pod_path = WORKLOADS[obj.kind]
    pod = get(obj.doc, *pod_path)
    containers = [c for c in (get(pod, "containers") or []) if isinstance(c, dict)]
    main = containers[0] if containers else {}
    image = str(main.get("image") or "")
    tech = image_tech(image) if image and not unresolved(image) else None
    runtime = runtime_of(image) if image and not unresolved(image) else None
    part, src = state.part, obj.src
    at = obj.at("metadata", "name")
    comp = part.component(
        obj.name, src, at, kind=tech.kind if tech else "service",  # type: ignore[arg-type]
        technology=tech.technology if tech else (runtime.technology if runtime else ""), form="cluster-workload",
        variant=tech.variant if tech else "", version=image_version(image) if tech else "")
    if obj.note and obj.note not in comp.evidence:
        comp.evidence = f"{comp.evidence} ({obj.note})"
    state.workloads[f"{obj.kind}/{obj.name}"] = (comp, obj)
    part.runs_on("kubernetes", src, at)
    part.name(comp, role, obj.name, src, at)
    if obj.chart is not None:
        part.name(comp, "chart", obj.chart[0], obj.chart[1], obj.chart[2])
    if obj.namespace:
        part.name(comp, "namespace", obj.namespace, src, obj.at("metadata", "namespace"))
    labels = get(obj.doc, "spec", "selector", "matchLabels")
    if isinstance(labels, dict) and labels and not any(unresolved(str(v)) for v in labels.values()):
        part.name(comp, "selector", ",".join(f"{k}={v}" for k, v in labels.items()), src,
                  obj.at("spec", "selector", "matchLabels"))
    replicas = get(obj.doc, "spec", "replicas")
    if isinstance(replicas, int):
        part.setting(comp, "replicas", replicas, src, obj.at("spec", "replicas"))
    if obj.kind == "CronJob":
        schedule = get(obj.doc, "spec", "schedule")
        if isinstance(schedule, str) and not unresolved(schedule):
            part.name(comp, "schedule", schedule, src, obj.at("spec", "schedule"))
            part.setting(comp, "schedule", schedule, src, obj.at("spec", "schedule"))
            part.controller(comp, "schedule", "kubernetes-cronjob", src, obj.at("spec", "schedule"))
    for index, container in enumerate(containers):
        base = (*pod_path, "containers", index)
        part.name(comp, "container", container.get("name"), src, obj.at(*base, "name"))
        img = str(container.get("image") or "")
        if img and not unresolved(img):
            part.name(comp, "image", img, src, obj.at(*base, "image"))
        for p_index, port in enumerate(container.get("ports") or []):
            if isinstance(port, dict) and isinstance(port.get("containerPort"), int):
                part.name(comp, "port", port["containerPort"], src, obj.at(*base, "ports", p_index, "containerPort"))
        if index == 0:
            _probes(part, comp, container, obj, base)
            limits = get(container, "resources", "limits")
            if isinstance(limits, dict):
                for key in ("memory", "cpu"):
                    if key in limits and not unresolved(str(limits[key])):
                        part.setting(comp, f"{key}_limit", limits[key], src, obj.at(*base, "resources", "limits", key))
        _env(state, comp, container, obj, base)
    if runtime and not comp.technology:
        comp.technology = runtime.technology


def _probes(part: Partial, comp: Component, container: dict[str, Any], obj: K8sObject,
            base: tuple[Any, ...]) -> None:
    for key, setting in (("readinessProbe", "readiness_probe"), ("livenessProbe", "liveness_probe"),
                         ("startupProbe", "startup_probe")):
        probe = container.get(key)
        if not isinstance(probe, dict):
            continue
        at = obj.at(*base, key)
        described = _probe_text(probe)
        if described:
            part.setting(comp, setting, described, obj.src, at)
        path = get(probe, "httpGet", "path")
        if isinstance(path, str) and path.startswith("/") and not unresolved(path) and (
                key == "readinessProbe" or not comp.name("health_path")):
            part.name(comp, "health_path", path, obj.src, obj.at(*base, key, "httpGet", "path"))


def _probe_text(probe: dict[str, Any]) -> str:
    if isinstance(probe.get("httpGet"), dict):
        http = probe["httpGet"]
        return f"http GET {http.get('path', '/')} port {http.get('port', '')}".strip()
    if isinstance(probe.get("grpc"), dict):
        return f"grpc port {probe['grpc'].get('port', '')}".strip()
    if isinstance(probe.get("tcpSocket"), dict):
        return f"tcp port {probe['tcpSocket'].get('port', '')}".strip()
    command = get(probe, "exec", "command")
    if isinstance(command, list):
        return "exec " + " ".join(str(c) for c in command)[:120]
    return ""


def _env(state: _State, comp: Component, container: dict[str, Any], obj: K8sObject, base: tuple[Any, ...]) -> None:
    for index, item in enumerate(container.get("env") or []):
        if not isinstance(item, dict) or not item.get("name"):
            continue
        name = str(item["name"])
        at = obj.at(*base, "env", index, "name")
        role = self_env_role(name) if comp.kind != "service" else None
        if role and isinstance(item.get("value"), str) and item["value"] and not unresolved(item["value"]):
            state.part.name(comp, role, item["value"], obj.src, at)  # type: ignore[arg-type]
            continue
        if "value" in item:
            _env_value(state, comp.id, name, str(item["value"]) if item["value"] is not None else "", obj.src, at)
        else:
            ref = get(item, "valueFrom", "secretKeyRef", "name") or get(item, "valueFrom", "configMapKeyRef", "name")
            key = get(item, "valueFrom", "configMapKeyRef", "key")
            if key and ref in state.config:
                for data_key, value, data_line, cm in state.config[str(ref)]:
                    if data_key == key:
                        _env_value(state, comp.id, name, value, cm.src, data_line)
                        state.part.name(comp, "configmap", str(ref), obj.src, at)
                continue
            target = env_target(name)
            if target is not None and target.technology and ref:
                state.links.append(_Link(comp.id, name, target, "", "", "", obj.src, at, secret_ref=str(ref)))
    for index, item in enumerate(container.get("envFrom") or []):
        ref = get(item, "configMapRef", "name")
        if ref and str(ref) in state.config:
            state.part.name(comp, "configmap", str(ref), obj.src, obj.at(*base, "envFrom", index))
            for data_key, value, data_line, cm in state.config[str(ref)]:
                _env_value(state, comp.id, data_key, value, cm.src, data_line)


def _env_value(state: _State, source: str, name: str, value: str, src: Source, at: int) -> None:
    if is_secret(name) or unresolved(value):
        return
    point = endpoint(value)
    target = env_target(name)
    if point is None:
        return
    if point.scheme:
        target = scheme_tech(point.scheme) or target
    elif target is None and not point.port:
        return  # a bare word in an env var not named for a dependency is not a host
    state.links.append(_Link(source, name, target, point.host, point.port, point.database, src, at))


# --- objects that point at workloads ----------------------------------------------------------------

def _selected(state: _State, selector: Any, namespace: str) -> list[tuple[Component, K8sObject]]:
    if not isinstance(selector, dict) or not selector:
        return []
    wanted = {str(k): str(v) for k, v in selector.items()}
    found = []
    for comp, obj in state.workloads.values():
        kind_path = WORKLOADS[obj.kind][1][:-1]  # the pod template
        labels = get(obj.doc, *kind_path, "metadata", "labels")
        if isinstance(labels, dict) and all(str(labels.get(k)) == v for k, v in wanted.items()) and (
                not namespace or not obj.namespace or namespace == obj.namespace):
            found.append((comp, obj))
    return found


def _target(state: _State, ref: Any) -> Component | None:
    if not isinstance(ref, dict):
        return None
    kind, name = str(ref.get("kind") or "Deployment"), str(ref.get("name") or "")
    hit = state.workloads.get(f"{kind}/{name}")
    return hit[0] if hit else None


def _service(state: _State, obj: K8sObject) -> None:
    name = obj.name
    if not name or unresolved(name):
        return
    spec = mapping(obj.doc.get("spec"))
    if spec.get("type") == "ExternalName" and spec.get("externalName"):
        state.external[name] = str(spec["externalName"])
        return
    for comp, _ in _selected(state, spec.get("selector"), obj.namespace):
        state.part.name(comp, "k8s_service", name, obj.src, obj.at("metadata", "name"))
        state.service_to.setdefault(name, comp.id)
        ports = []
        for port in spec.get("ports") or []:
            if isinstance(port, dict) and "port" in port:
                target = port.get("targetPort", port["port"])
                ports.append(f"{port['port']}->{target}" if target != port["port"] else str(port["port"]))
        if ports:
            state.part.setting(comp, f"service_ports.{name}", ",".join(ports), obj.src, obj.at("spec", "ports"))
        kind = spec.get("type")
        if kind in ("LoadBalancer", "NodePort"):
            state.part.setting(comp, "exposed_by", f"{kind} Service {name}", obj.src, obj.at("spec", "type"))


def _hpa(state: _State, obj: K8sObject) -> None:
    comp = _target(state, get(obj.doc, "spec", "scaleTargetRef"))
    if comp is None:
        return
    part, src = state.part, obj.src
    part.name(comp, "hpa", obj.name, src, obj.at("metadata", "name"))
    part.controller(comp, "replicas", "hpa", src, obj.at("spec", "scaleTargetRef"))
    for key, setting in (("minReplicas", "replicas_min"), ("maxReplicas", "replicas_max")):
        value = get(obj.doc, "spec", key)
        if isinstance(value, int):
            part.setting(comp, setting, value, src, obj.at("spec", key))
    cpu = get(obj.doc, "spec", "targetCPUUtilizationPercentage")
    for index, metric in enumerate(get(obj.doc, "spec", "metrics") or []):
        if get(metric, "resource", "name") == "cpu":
            cpu = get(metric, "resource", "target", "averageUtilization")
            if cpu is not None:
                part.setting(comp, "hpa_cpu_target", cpu, src, obj.at("spec", "metrics", index), unit="%")
    if isinstance(cpu, int) and not comp.setting("hpa_cpu_target"):
        part.setting(comp, "hpa_cpu_target", cpu, src, obj.at("spec", "targetCPUUtilizationPercentage"), unit="%")


_KEDA_TRIGGERS: dict[str, tuple[str, str, dict[str, Role]]] = {
    # trigger type -> (technology, kind, metadata key -> role)
    "kafka": ("kafka", "stream", {"topic": "topic", "consumerGroup": "consumer_group",
                                  "bootstrapServers": "bootstrap"}),
    "rabbitmq": ("rabbitmq", "queue", {"queueName": "queue", "vhostName": "vhost"}),
    "aws-sqs-queue": ("sqs", "queue", {"queueURL": "url", "queueName": "queue"}),
    "redis": ("redis", "queue", {"listName": "queue"}),
    "gcp-pubsub": ("pubsub", "queue", {"subscriptionName": "subscription", "topicName": "topic"}),
}


def _keda(state: _State, obj: K8sObject) -> None:
    ref = get(obj.doc, "spec", "scaleTargetRef")
    comp = _target(state, ref if isinstance(ref, dict) and "kind" in ref else {"name": get(ref, "name")})
    if comp is None:
        return
    part, src = state.part, obj.src
    part.controller(comp, "replicas", "keda", src, obj.at("spec", "scaleTargetRef"))
    for key, setting in (("minReplicaCount", "replicas_min"), ("maxReplicaCount", "replicas_max")):
        value = get(obj.doc, "spec", key)
        if isinstance(value, int):
            part.setting(comp, setting, value, src, obj.at("spec", key))
    for index, trigger in enumerate(get(obj.doc, "spec", "triggers") or []):
        kind = str(get(trigger, "type") or "")
        if kind not in _KEDA_TRIGGERS or not isinstance(get(trigger, "metadata"), dict):
            continue
        technology, comp_kind, roles = _KEDA_TRIGGERS[kind]
        at = obj.at("spec", "triggers", index)
        source = part.component(f"{technology}", src, at, kind=comp_kind, technology=technology)  # type: ignore[arg-type]
        for key, role in roles.items():
            value = trigger["metadata"].get(key)
            if value and not unresolved(str(value)):
                part.name(source, role, value, src, obj.at("spec", "triggers", index, "metadata", key))
        part.relate(comp.id, source.id, "consumes_from", src, at, detail=f"KEDA {kind} trigger")


def _pdb(state: _State, obj: K8sObject) -> None:
    for comp, _ in _selected(state, get(obj.doc, "spec", "selector", "matchLabels"), obj.namespace):
        for key, setting in (("minAvailable", "pdb_min_available"), ("maxUnavailable", "pdb_max_unavailable")):
            value = get(obj.doc, "spec", key)
            if value is not None and not unresolved(str(value)):
                state.part.setting(comp, setting, value, obj.src, obj.at("spec", key))


def _ingress(state: _State, obj: K8sObject) -> None:
    rules = get(obj.doc, "spec", "rules")
    tls = bool(get(obj.doc, "spec", "tls"))
    for index, rule in enumerate(rules if isinstance(rules, list) else []):
        host = get(rule, "host")
        for path in get(rule, "http", "paths") or []:
            backend = get(path, "backend", "service", "name") or get(path, "backend", "serviceName")
            comp_id = state.service_to.get(str(backend)) if backend else None
            comp = next((c for c, _ in state.workloads.values() if c.id == comp_id), None)
            if comp is None:
                continue
            at = obj.at("spec", "rules", index)
            if host and not unresolved(str(host)):
                state.part.name(comp, "dns_name", host, obj.src, obj.at("spec", "rules", index, "host"))
                route = str(get(path, "path") or "/")
                state.part.name(comp, "url", f"{'https' if tls else 'http'}://{host}{route if route != '/' else ''}",
                                obj.src, at)
            state.part.setting(comp, "ingress", obj.name, obj.src, obj.at("metadata", "name"))


# --- dependencies named in env -------------------------------------------------------------------

def _resolve_links(state: _State) -> None:
    part = state.part
    own = {c.id: c for c, _ in state.workloads.values()}
    for link in state.links:
        host = link.host.lower()
        if host in _LOCAL_HOSTS:
            continue
        short = _CLUSTER_SUFFIX.sub("", host) if host.endswith((".svc", ".svc.cluster.local", ".cluster.local")) \
            else host
        host = state.external.get(short, host)
        target_id = state.service_to.get(short) or (short if short in own else None)
        detail = f"env {link.variable}"
        if target_id:
            if target_id != link.source:
                part.relate(link.source, target_id, "depends_on", link.src, link.line, detail)
            continue
        if link.target is None or (not link.target.technology and link.target.kind != "http-dependency"):
            continue
        if link.secret_ref:
            comp = part.component(link.target.technology, link.src, link.line, kind=link.target.kind,  # type: ignore[arg-type]
                                  technology=link.target.technology)
            part.relate(link.source, comp.id, "depends_on", link.src, link.line,
                        f"{detail} (value from {link.secret_ref})")
            continue
        if "." not in host and link.target.kind == "http-dependency":
            continue  # a Service of this cluster the files do not define: not ours to name
        managed = _managed(host)
        ident = host.split(".", 1)[0]
        comp = part.component(ident, link.src, link.line, kind=link.target.kind,  # type: ignore[arg-type]
                              technology=link.target.technology or managed[0],
                              form="managed" if managed[1] else "unknown", variant=managed[1])
        part.name(comp, "host", host, link.src, link.line)
        if link.port:
            part.name(comp, "port", link.port, link.src, link.line)
        if link.database:
            part.name(comp, "database", link.database, link.src, link.line)
        part.relate(link.source, comp.id, "depends_on", link.src, link.line, detail)


def _managed(host: str) -> tuple[str, str]:
    """(technology, variant) of a cloud endpoint host, ("", "") otherwise."""
    if host.endswith(".rds.amazonaws.com"):
        return "", "aurora" if ".cluster-" in host else "rds-instance"
    if host.endswith(".cache.amazonaws.com"):
        return "redis", "elasticache"
    if ".kafka." in host and host.endswith(".amazonaws.com"):
        return "kafka", "msk"
    return "", ""

