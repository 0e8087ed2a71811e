"""Argo CD `Application`s: the app's name, where it deploys, and who owns changes.

An Application deploys the workloads read from its `source.path` (or, when the repository holds one
Application, every workload). They get the app name and the destination namespace; Argo CD owns
their deploys, and with `syncPolicy.automated.selfHeal` also their config and (when no autoscaler
does) their replica count: a `kubectl` edit is reverted, so the runbook goes through Git instead.
An Application whose workloads are not in the repository (a Helm chart from a registry) is read as
a component of its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agent.service.discover.partial import Partial, unresolved
from agent.service.discover.yamlfile import get
from agent.service.model import Component

if TYPE_CHECKING:
    from agent.service.discover.kubernetes import K8sObject


def _sources(doc: Any) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
    spec = get(doc, "spec")
    if isinstance(get(spec, "source"), dict):
        return [(("spec", "source"), spec["source"])]
    return [(("spec", "sources", i), s) for i, s in enumerate(get(spec, "sources") or []) if isinstance(s, dict)]


def read_application(obj: K8sObject, part: Partial, workloads: list[tuple[Component, K8sObject]],
                     applications: int) -> None:
    doc, src = obj.doc, obj.src
    if obj.kind == "ApplicationSet":
        doc = get(doc, "spec", "template") or doc  # the generated apps' template
    name = str(get(doc, "metadata", "name") or obj.name)
    if not name or unresolved(name):
        return
    at = obj.at("metadata", "name")
    part.runs_on("kubernetes", src, at)
    namespace = str(get(doc, "spec", "destination", "namespace") or "")
    paths = [str(s.get("path")).strip("./") for _, s in _sources(doc) if s.get("path")]
    members = [(c, o) for c, o in workloads if any(o.src.rel.startswith(p.rstrip("/") + "/") for p in paths)]
    if not members and applications == 1 and workloads:
        members = list(workloads)
    targets = [c for c, _ in members]
    if not targets:
        comp = part.component(name, src, at, kind="service", form="cluster-workload")
        for path, source in _sources(doc):
            if source.get("chart"):
                part.name(comp, "chart", source["chart"], src, obj.at(*path, "chart"))
            release = get(source, "helm", "releaseName")
            if release:
                part.name(comp, "release", release, src, obj.at(*path, "helm", "releaseName"))
        targets = [comp]
    automated = get(doc, "spec", "syncPolicy", "automated")
    self_heal = isinstance(automated, dict) and automated.get("selfHeal") is True
    for comp in targets:
        part.name(comp, "argocd_app", name, src, at)
        if namespace and not unresolved(namespace) and not comp.name("namespace"):
            part.name(comp, "namespace", namespace, src, obj.at("spec", "destination", "namespace"))
        part.controller(comp, "deploy", "argocd", src, obj.at("spec", "syncPolicy") if automated is not None else at)
        if self_heal:
            heal_at = obj.at("spec", "syncPolicy", "automated", "selfHeal")
            part.controller(comp, "config", "argocd", src, heal_at)
            if not comp.controller("replicas"):
                part.controller(comp, "replicas", "argocd", src, heal_at)
            part.setting(comp, "argocd_self_heal", "true", src, heal_at)
        if isinstance(automated, dict) and automated.get("prune") is True:
            part.setting(comp, "argocd_prune", "true", src, obj.at("spec", "syncPolicy", "automated", "prune"))
