"""Reading a service from its repository: `discover(PATH)` -> a `ServiceModel` with every value at
its `file:line`, plus the files read and those skipped (with the reason).

    walk.py          which files, bounded (size, count), never leaving PATH; readers chosen by content
    yamlfile.py      safe YAML with line numbers; alias bombs refused
    partial.py       one reader's findings (a partial ServiceModel), provenance and redaction
    vocabulary.py    images, base images, connection strings, env names -> technologies (data/)
    kubernetes.py    workloads, Services, probes, ports, env, HPA / KEDA, PDBs, Ingresses, ConfigMaps
    kustomize.py     kustomizations: resources, bases, overlays, namespace, name prefix, images, patches
    helm.py          charts (Chart.yaml, values.yaml, templates) via `helm template` or gotemplate.py
    argocd.py        Argo CD Applications: app name, destination, self-heal -> controllers
    compose.py       Compose files with .env, profiles, extends and override files
    systemd.py       units and timers
    terraform.py     Terraform (python-hcl2): managed databases, caches, queues, functions … (data/)
    prometheus.py    rule files and PrometheusRule objects -> alerts
    alertmanager.py  routes and receivers -> people (channels, pager)
    datadog.py       monitor JSON -> alerts and people
    dockerfile.py    EXPOSE, HEALTHCHECK, runtime from FROM
    packages.py      package.json, pyproject / requirements, go.mod, pom.xml -> runtime and version
    assemble.py      the readers run in order and their findings folded into one model

How to add a reader: docs/discovery.md.
"""

from __future__ import annotations

from agent.service.discover.assemble import Discovery, discover

__all__ = ["Discovery", "discover"]
