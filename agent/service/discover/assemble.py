"""Running the readers over one repository and folding what they found into one `ServiceModel`.

Order: Helm charts and kustomizations first (they consume their templates, resources and patches),
then every remaining manifest together, Compose files, and the per-file readers. Dockerfiles and
package manifests are joined to the workload they build (a Compose `build:` context, or the folder
named like the workload or its image). The service is named by the files where they say it (an Argo
CD app, a chart, a Compose project, the only workload), else by the folder (marked assumed).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from agent.errors import UsageError
from agent.service.discover import (
    alertmanager,
    compose,
    datadog,
    dockerfile,
    helm,
    kubernetes,
    kustomize,
    packages,
    prometheus,
    systemd,
    terraform,
)
from agent.service.discover.partial import Partial, Source
from agent.service.discover.vocabulary import image_tech, split_image
from agent.service.discover.walk import Scan, Skipped, SourceFile, kind_of, scan
from agent.service.discover.yamlfile import YamlRefused
from agent.service.merge import SINGLE_VALUED
from agent.service.model import Component, Conflict, ServiceModel


@dataclass
class Discovery:
    root: Path
    model: ServiceModel
    read: list[tuple[str, str]] = field(default_factory=list)  # (file, reader)
    skipped: list[Skipped] = field(default_factory=list)
    skipped_count: int = 0
    partials: dict[str, ServiceModel] = field(default_factory=dict)  # reader -> what it found
    seconds: float = 0.0

    def summary(self) -> str:
        m = self.model
        own = len(m.workloads())
        return (f"{len(self.read)} files read ({', '.join(sorted({r for _, r in self.read})) or 'none'}); "
                f"{len(m.components)} components ({own} workloads), {len(m.relationships)} relationships, "
                f"{len(m.alerts)} alerts, {len(m.people)} contacts; {self.skipped_count} skipped")


def discover(path: str | Path) -> Discovery:
    """Read the deployment files under `path` (a folder, or one file). UsageError when it is not there."""
    root = Path(path)
    if not root.exists():
        raise UsageError(f"--from {path}: no such file or folder", hint="give the folder of the repository")
    started = time.perf_counter()
    found = scan(root)
    done = _Assembler(found, root).run()
    done.seconds = time.perf_counter() - started
    return done


class _Assembler:
    def __init__(self, found: Scan, given: Path) -> None:
        self.scan = found
        self.given = given
        self.consumed: set[str] = set()
        self.read: list[tuple[str, str]] = []
        self.skipped: list[Skipped] = list(found.skipped)
        self.parts: dict[str, Partial] = {}
        self.images: list[dockerfile.Image] = []
        self.packages: list[packages.Package] = []
        self.builds: list[compose.Build] = []

    def part(self, reader: str) -> Partial:
        return self.parts.setdefault(reader, Partial())

    def mark(self, files: set[str], reader: str) -> None:
        for rel in sorted(files - self.consumed):
            self.read.append((rel, reader))
        self.consumed |= files

    def run(self) -> Discovery:
        files = self.scan.files
        kinds = {f.rel: kind_of(f) for f in files}
        objects: list[kubernetes.K8sObject] = []
        for chart in helm.charts(self.scan):
            objects += chart.objects
            self.skipped += chart.skipped
            self.mark(chart.consumed, f"helm ({chart.rendered_by})")
            if chart.objects:
                line = helm.chart_name_line(chart)
                self.part("helm").names_service(chart.name, chart.chart_file.source, line)
                for obj in chart.objects:
                    obj.chart = (chart.name, chart.chart_file.source, line)
        k = kustomize.read(self.scan)
        objects += k.objects
        self.skipped += k.skipped
        self.mark({rel for rel in k.consumed if rel not in self.consumed}, "kustomize")
        for f in files:
            if f.rel in self.consumed or kinds[f.rel] != "kubernetes":
                continue
            docs = f.docs
            if isinstance(docs, list):
                objects += kubernetes.objects_of(docs, f.source)
                self.mark({f.rel}, "kubernetes")
        if objects:
            self.parts["kubernetes"] = kubernetes.read(objects)
        compose_files = [f for f in files if kinds[f.rel] == "compose" and f.rel not in self.consumed]
        if compose_files:
            c = compose.read(self.scan, compose_files, _folder_name(self.scan.root))
            self.parts["compose"] = c.part
            self.builds = c.builds
            self.skipped += c.skipped
            self.mark(c.consumed, "compose")
            dotenvs = {f"{PurePosixPath(f.rel).parent}/.env".removeprefix("./") for f in compose_files}
            self.mark({rel for rel in dotenvs if self.scan.file(rel) is not None}, "compose (.env)")
        tf = [f for f in files if kinds[f.rel] == "terraform" and f.rel not in self.consumed]
        if tf:
            t = terraform.read(tf)
            self.parts["terraform"] = t.part
            self.skipped += t.skipped
            bad = {s.path for s in t.skipped}
            self.mark({f.rel for f in tf if f.rel not in bad}, "terraform")
            self.consumed |= bad
        for f in files:
            if f.rel in self.consumed:
                continue
            self._one(f, kinds[f.rel])
        self._join_builds()
        model = self._model()
        partials = {name: part.model() for name, part in self.parts.items()}
        return Discovery(self.scan.root, model, self.read, self.skipped,
                         self.scan.skipped_count + (len(self.skipped) - len(self.scan.skipped)), partials)

    def _one(self, f: SourceFile, kind: str) -> None:
        src = f.source
        docs = f.docs if kind in ("prometheus-rules", "alertmanager", "datadog") else []
        if kind == "prometheus-rules" and isinstance(docs, list):
            self.part("prometheus").extend(prometheus.read_rule_file(docs, src))
        elif kind == "alertmanager" and isinstance(docs, list) and docs:
            alertmanager.read_config(docs[0], src, self.part("alertmanager"))
        elif kind == "datadog" and isinstance(docs, list):
            self.part("datadog").extend(datadog.read(docs, src))
        elif kind == "systemd":
            self.part("systemd").extend(systemd.read(f.rel, f.text))
        elif kind == "dockerfile":
            self.images.append(dockerfile.read(f.rel, f.text))
        elif kind == "package":
            package = packages.read(f.rel, f.text)
            if package is None:
                self.skipped.append(Skipped(f.rel, "package manifest not readable"))
                self.consumed.add(f.rel)
                return
            self.packages.append(package)
        elif kind == "dotenv":
            self.skipped.append(Skipped(f.rel, "environment file not used by a Compose file here: not read "
                                               "(it may hold secrets)"))
            self.consumed.add(f.rel)
            return
        elif kind == "helm-template":
            self.skipped.append(Skipped(f.rel, "template of a chart that was not read"))
            self.consumed.add(f.rel)
            return
        else:
            self.skipped.append(Skipped(f.rel, _unknown_reason(f)))
            self.consumed.add(f.rel)
            return
        self.mark({f.rel}, kind)

    # --- Dockerfiles and package manifests to the workloads they build ---------------------------
    def _join_builds(self) -> None:
        comps = {c.id: (name, c) for name, part in self.parts.items() for c in part.components}
        own = {cid: c for cid, (_, c) in comps.items() if c.kind == "service"}
        images = {i.rel: i for i in self.images}
        used: set[str] = set()
        for build in self.builds:
            image = images.get(build.dockerfile)
            hit = comps.get(build.component)
            if hit is None:
                continue
            name, comp = hit
            if image is None:
                f = self.scan.file(build.dockerfile)
                if f is None:
                    continue
                image = dockerfile.read(f.rel, f.text, build.target)
            elif build.target:
                image = dockerfile.read(image.rel, "\n".join(image.src.lines), build.target)
            self._apply_image(self.parts[name], comp, image)
            used.add(image.rel)
        for image in self.images:
            if image.rel in used:
                continue
            folder = PurePosixPath(image.rel).parent.name
            target = self._by_folder(own, folder, str(PurePosixPath(image.rel).parent))
            if target is None:
                continue
            name, comp = comps[target.id]
            self._apply_image(self.parts[name], comp, image)
            used.add(image.rel)
        leftover = [i for i in self.images if i.rel not in used]
        if leftover and not own:  # a repository that only builds an image: the image is the service
            image = next((i for i in leftover if "/" not in i.rel), leftover[0])
            part = self.part("dockerfile")
            ident = _folder_name(self.scan.root) or "service"
            comp = part.component(ident, image.src, image.stage.line if image.stage else 1, kind="service",
                                  form="container")
            part.runs_on("docker", image.src, image.stage.line if image.stage else 1)
            self._apply_image(part, comp, image)
            own = {comp.id: comp}
            comps[comp.id] = ("dockerfile", comp)
        for package in self.packages:
            where = PurePosixPath(package.rel).parent
            targets = [comps[b.component][1] for b in self.builds if b.component in comps and
                       (b.context == str(where) or (b.context == "" and str(where) == "."))]
            if not targets:
                found = self._by_folder(own, where.name, str(where))
                targets = [found] if found is not None else []
            for target in targets:
                self._apply_package(comps[target.id][0], target, package)

    def _apply_package(self, reader: str, target: Component, package: packages.Package) -> None:
        part = self.parts[reader]
        if package.runtime and (not target.technology or target.technology == package.technology):
            target.technology = target.technology or package.technology
            if any(ch.isdigit() for ch in package.runtime) and target.setting("runtime") is None:
                # the image's runtime is what runs; the manifest's is what it was built for
                part.setting(target, "runtime", package.runtime, package.src, package.line)
        if package.framework:
            part.setting(target, "framework", package.framework, package.src, package.line)

    def _by_folder(self, own: dict[str, Component], folder: str, path: str) -> Component | None:
        for comp in own.values():  # the workload built by the Dockerfile of that folder
            if any(str(PurePosixPath(f).parent) == path for f in comp.names_of("config_file")):
                return comp
        if path in (".", ""):
            return next(iter(own.values())) if len(own) == 1 else None
        for comp in own.values():
            image_names = {split_image(i)[0].rsplit("/", 1)[-1] for i in comp.names_of("image")}
            if folder in (comp.id, *image_names):
                return comp
        return None

    def _apply_image(self, part: Partial, comp: Component, image: dockerfile.Image) -> None:
        src = image.src
        base = image_tech(image.stage.image) if image.stage is not None else None
        if base is not None and not comp.technology and image.runtime is None:
            # built FROM nginx (a config baked in): it is an nginx, not application code
            comp.technology, comp.kind = base.technology, base.kind  # type: ignore[assignment]
        if image.runtime is not None:
            if not comp.technology or comp.technology == image.runtime.technology:
                comp.technology = image.runtime.technology
                if image.runtime.version:
                    part.setting(comp, "runtime", image.runtime.label, src, image.stage.line if image.stage else 1)
        if image.stage is not None:
            part.setting(comp, "base_image", image.stage.image, src, image.stage.line)
        for port, line in image.ports:
            if port not in comp.names_of("port"):
                part.name(comp, "port", port, src, line)
        if image.healthcheck is not None:
            part.setting(comp, "image_healthcheck", image.healthcheck[0], src, image.healthcheck[1])
        part.name(comp, "config_file", image.rel, src, image.stage.line if image.stage else 1)

    # --- one model -----------------------------------------------------------------------------
    def _model(self) -> ServiceModel:
        order = ["kubernetes", "helm", "compose", "terraform", "systemd", "dockerfile", "prometheus", "alertmanager",
                 "datadog"]
        total = Partial()
        for name in sorted(self.parts, key=lambda n: order.index(n) if n in order else len(order)):
            total.extend(self.parts[name])
        model = total.model()
        own = [c for c in model.components if c.kind == "service"]
        name, evidence, at, origin = self._service_name(total, own)
        runtime = next((s.value for c in own for s in c.settings if s.key == "runtime"), "")
        model.service = model.service.model_copy(update={"name": name, "display": name, "origin": origin,
                                                         "evidence": evidence, "at": at, "runtime": runtime})
        model.components = _ordered(model.components, name)
        env = self._environment(total, model)
        if env is not None:
            model.platform = model.platform.model_copy(update={"environment": env[0], "evidence": env[1],
                                                               "at": env[2], "origin": "repository"})
        model.conflicts = _inner_conflicts(model.components)
        return ServiceModel.model_validate(model.model_dump())

    def _service_name(self, total: Partial, own: list[Component]) -> tuple[str, str, str, str]:
        argo = next((n for c in own for n in c.names if n.role == "argocd_app"), None)
        if argo is not None:
            return argo.value, argo.evidence, argo.at, "repository"
        if "helm" in self.parts and self.parts["helm"].service_name:
            value, evidence, at = self.parts["helm"].service_name
            return value, evidence, at, "repository"
        projects = {n.value: n for c in own for n in c.names if n.role == "compose_project"}
        if len(projects) == 1:
            item = next(iter(projects.values()))
            return item.value, item.evidence or "the Compose project (its folder's name)", item.at, "repository"
        if len(own) == 1:
            comp = own[0]
            return comp.id, comp.evidence, comp.at, "repository"
        folder = _folder_name(self.scan.root) or "service"
        return folder, f"the name of the folder read ({self.given})", "", "assumed"

    def _environment(self, total: Partial, model: ServiceModel) -> tuple[str, str, str] | None:
        forms = [c.form for c in model.workloads()]
        found = {name: part.environment for name, part in self.parts.items() if part.environment}
        for reader, env in (("kubernetes", "kubernetes"), ("compose", "docker")):
            if reader in found and found[reader] and found[reader][0] == env:
                return found[reader]
        if "terraform" in found and found["terraform"]:
            if "serverless" in forms and "container" not in forms and "cluster-workload" not in forms:
                return ("serverless", *found["terraform"][1:])
            return found["terraform"]
        for reader in ("systemd", "dockerfile"):
            if reader in found and found[reader]:
                return found[reader]
        return total.environment


def _folder_name(root: Path) -> str:
    name = root.name if root.is_dir() else root.parent.name
    return "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in name.lower()).strip("-")


def _ordered(components: list[Component], service: str) -> list[Component]:
    """The service's own workloads first: the one named like the service, then the exposed ones."""

    def rank(c: Component) -> tuple[int, int]:
        if c.kind != "service":
            return (3, 0)
        if c.id == service:
            return (0, 0)
        exposed = any(s.key in ("exposed_by", "ingress") or s.key.startswith("published.") for s in c.settings)
        return (1 if exposed else 2, 0)

    return sorted(components, key=rank)


def _inner_conflicts(components: list[Component]) -> list[Conflict]:
    """Two files of the repository naming one component differently in a single-valued role."""
    out: list[Conflict] = []
    for comp in components:
        roles: dict[str, list[tuple[str, str]]] = {}
        for name in comp.names:
            if name.role in SINGLE_VALUED:
                roles.setdefault(name.role, []).append((name.value, name.at))
        for role, values in roles.items():
            distinct = list(dict.fromkeys(v for v, _ in values))
            if len(distinct) > 1:
                sources = [next(at for v, at in values if v == d) for d in distinct]
                out.append(Conflict(subject=f"components[{comp.id}].names.{role}", values=distinct,
                                    sources=[f"repository ({s})" for s in sources], chosen=distinct[0],
                                    resolved_by=""))
    return out


def _unknown_reason(f: SourceFile) -> str:
    low = f.name.lower()
    if low.endswith((".yaml", ".yml", ".json")):
        docs = f.docs
        if isinstance(docs, YamlRefused):
            return f"not read: {docs}"
        keys = sorted({str(k) for d in docs if isinstance(d, dict) for k in d})[:6]
        return ("YAML/JSON, but not a kind discovery reads" + (f" (top-level keys: {', '.join(keys)})" if keys
                                                                else ""))
    return "not a kind of file discovery reads"


__all__ = ["Discovery", "Source", "discover"]
