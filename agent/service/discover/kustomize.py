"""kustomize: a kustomization's resources, bases and overlays, resolved as far as static reading goes.

Resources (files and folders with their own kustomization), `namespace`, `namePrefix` / `nameSuffix`,
`images` (newName / newTag / digest), `replicas` and strategic-merge patches of a workload's fields are
applied. What needs the kustomize binary or the network (remote bases, `helmCharts`, generators'
hash suffixes, JSON 6902 patches of names) is listed as not resolved.

A kustomization that another one uses as its base is read only through that overlay. When several
overlays share a base (staging, production …) the production one is read (by name), else the first;
the others are listed, so `--from overlays/<name>` reads one of them instead.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from typing import Any

from agent.service.discover.kubernetes import K8sObject, objects_of
from agent.service.discover.walk import Scan, Skipped, SourceFile
from agent.service.discover.yamlfile import Map, YamlRefused, copy, get, load_all

NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
_PRODUCTION = re.compile(r"(^|[/_-])(prod|production|prd|live)([/_-]|$)", re.I)
MAX_DEPTH = 12


@dataclass
class Result:
    roots: list[str] = field(default_factory=list)  # kustomization folders read
    objects: list[K8sObject] = field(default_factory=list)
    consumed: set[str] = field(default_factory=set)
    skipped: list[Skipped] = field(default_factory=list)


def _kustomization(scan: Scan, directory: str) -> SourceFile | None:
    for name in NAMES:
        found = scan.file(f"{directory}/{name}" if directory else name)
        if found is not None:
            return found
    return None


def _entries(doc: Map) -> list[str]:
    out: list[str] = []
    for key in ("resources", "bases", "components"):
        value = doc.get(key)
        if isinstance(value, list):
            out += [str(v) for v in value if isinstance(v, str)]
    return out


def read(scan: Scan) -> Result:
    result = Result()
    files = [f for f in scan.files if f.name in NAMES]
    by_dir = {f.directory: f for f in files}
    used_as_base: dict[str, list[str]] = {}
    for f in files:
        docs = f.docs
        if isinstance(docs, YamlRefused) or not docs or not isinstance(docs[0], Map):
            continue
        for entry in _entries(docs[0]):
            target = _join(f.directory, entry)
            if target in by_dir:
                used_as_base.setdefault(target, []).append(f.directory)
    roots = [d for d in by_dir if d not in used_as_base]
    # Overlays of one base: read the production one, list the others.
    chosen: set[str] = set(roots)
    for base in used_as_base:
        overlays = sorted({r for r in roots if _reaches(by_dir, r, base)})
        if len(overlays) > 1:
            prod = [o for o in overlays if _PRODUCTION.search(o)]
            keep = prod[0] if prod else overlays[0]
            for other in overlays:
                if other != keep and other in chosen:
                    chosen.discard(other)
                    result.skipped.append(Skipped(other + "/", f"overlay of {base or '.'} like {keep}: not read "
                                                                f"(--from {other} reads it instead)"))
                    result.consumed |= _files_of(scan, by_dir, other)
    for root in sorted(chosen):
        result.roots.append(root)
        _build(scan, by_dir, root, {}, result, 0)
    for f in files:
        result.consumed.add(f.rel)
    return result


def _reaches(by_dir: dict[str, SourceFile], start: str, target: str, depth: int = 0) -> bool:
    if start == target:
        return True
    if depth > MAX_DEPTH or start not in by_dir:
        return False
    docs = by_dir[start].docs
    if isinstance(docs, YamlRefused) or not docs or not isinstance(docs[0], Map):
        return False
    return any(_reaches(by_dir, _join(start, e), target, depth + 1) for e in _entries(docs[0]))


def _files_of(scan: Scan, by_dir: dict[str, SourceFile], directory: str) -> set[str]:
    f = by_dir.get(directory)
    if f is None or isinstance(f.docs, YamlRefused) or not f.docs or not isinstance(f.docs[0], Map):
        return set()
    out = {f.rel}
    for entry in _entries(f.docs[0]):
        path = _join(directory, entry)
        if scan.file(path) is not None:
            out.add(path)
    return out


def _join(directory: str, entry: str) -> str:
    joined = posixpath.normpath(posixpath.join(directory, entry)) if directory else posixpath.normpath(entry)
    return "" if joined == "." else joined


def _build(scan: Scan, by_dir: dict[str, SourceFile], directory: str, outer: dict[str, Any], result: Result,
           depth: int) -> None:
    kfile = by_dir[directory]
    docs = kfile.docs
    if isinstance(docs, YamlRefused) or not docs or not isinstance(docs[0], Map):
        result.skipped.append(Skipped(kfile.rel, f"kustomization not read: {docs}" if isinstance(docs, YamlRefused)
                                      else "empty kustomization"))
        return
    if depth > MAX_DEPTH:
        result.skipped.append(Skipped(kfile.rel, "kustomizations nest too deeply"))
        return
    k: Map = docs[0]
    here = _transforms(k, kfile, scan, result)
    # Inner transforms apply first, then the overlay's (an overlay's namespace wins; prefixes stack).
    merged = _stack(here, outer)
    for key in ("helmCharts", "helmChartInflationGenerator"):
        if k.get(key):
            result.skipped.append(Skipped(kfile.rel, f"{key}: needs kustomize --enable-helm, not read"))
    for key in ("patchesJson6902",):
        if k.get(key):
            result.skipped.append(Skipped(kfile.rel, f"{key}: JSON patches not applied"))
    for entry in _entries(k):
        if re.match(r"^[a-z]+://|^github\.com/|^git@|\?ref=", entry):
            result.skipped.append(Skipped(kfile.rel, f"remote base {entry}: not fetched"))
            continue
        path = _join(directory, entry)
        if path in by_dir:
            _build(scan, by_dir, path, merged, result, depth + 1)
            continue
        f = scan.file(path)
        if f is None:
            result.skipped.append(Skipped(kfile.rel, f"resource {entry}: not found in the repository"))
            continue
        result.consumed.add(f.rel)
        fdocs = f.docs
        if isinstance(fdocs, YamlRefused):
            result.skipped.append(Skipped(f.rel, f"resource of {kfile.rel} not read: {fdocs}"))
            continue
        for obj in objects_of([copy(d) for d in fdocs], f.source, note=f"via {kfile.rel}"):
            _apply(obj, merged)
            result.objects.append(obj)


def _transforms(k: Map, kfile: SourceFile, scan: Scan, result: Result) -> dict[str, Any]:
    patches: list[Map] = []
    entries = [item for item in (k.get("patchesStrategicMerge") or []) if isinstance(item, str)]
    for item in (k.get("patches") or []):
        if isinstance(item, dict) and isinstance(item.get("path"), str):
            entries.append(item["path"])
        elif isinstance(item, dict) and isinstance(item.get("patch"), str) and "op:" not in item["patch"]:
            try:
                patches += [d for d in load_all(item["patch"]) if isinstance(d, Map)]
            except YamlRefused:
                pass
    for entry in entries:
        f = scan.file(_join(kfile.directory, entry))
        if f is None:
            continue
        result.consumed.add(f.rel)  # a patch is part of a workload, not a workload of its own
        if not isinstance(f.docs, YamlRefused):
            patches += [d for d in f.docs if isinstance(d, Map) and "op" not in d]
    images = {}
    for image in (k.get("images") or []):
        if isinstance(image, dict) and image.get("name"):
            images[str(image["name"])] = image
    replicas = {str(r["name"]): r.get("count") for r in (k.get("replicas") or []) if isinstance(r, dict) and
                r.get("name")}
    return {"namespace": str(k["namespace"]) if k.get("namespace") else "",
            "prefix": str(k.get("namePrefix") or ""), "suffix": str(k.get("nameSuffix") or ""),
            "images": images, "replicas": replicas, "patches": patches,
            "where": kfile.rel}


def _stack(inner: dict[str, Any], outer: dict[str, Any]) -> dict[str, Any]:
    if not outer:
        return inner
    return {"namespace": outer["namespace"] or inner["namespace"],
            "prefix": outer["prefix"] + inner["prefix"], "suffix": inner["suffix"] + outer["suffix"],
            "images": {**inner["images"], **outer["images"]}, "replicas": {**inner["replicas"], **outer["replicas"]},
            "patches": [*inner["patches"], *outer["patches"]], "where": outer["where"]}


def _apply(obj: K8sObject, t: dict[str, Any]) -> None:
    doc = obj.doc
    meta = doc.get("metadata")
    if not isinstance(meta, Map):
        return
    original = str(meta.get("name") or "")
    for patch in t["patches"]:
        if get(patch, "kind") == doc.get("kind") and get(patch, "metadata", "name") == original:
            _merge(doc, patch)
    if t["namespace"] and doc.get("kind") not in ("Namespace", "ClusterRole", "ClusterRoleBinding",
                                                  "CustomResourceDefinition"):
        meta["namespace"] = t["namespace"]
    if t["prefix"] or t["suffix"]:
        meta["name"] = f"{t['prefix']}{original}{t['suffix']}"
        obj.note = f"{obj.note}; name {meta['name']} from {t['where']}"
        _rename_refs(doc, t)
    count = t["replicas"].get(original)
    if isinstance(count, int) and isinstance(doc.get("spec"), dict):
        doc["spec"]["replicas"] = count
    for container in _containers(doc):
        image = str(container.get("image") or "")
        bare = re.split(r"[:@]", image.rsplit("/", 1)[-1], maxsplit=1)[0]
        base_name = image.split("@")[0].rsplit(":", 1)[0] if ":" in image.rsplit("/", 1)[-1] else image.split("@")[0]
        rule = t["images"].get(base_name) or t["images"].get(bare)
        if rule:
            name = str(rule.get("newName") or base_name)
            if rule.get("digest"):
                container["image"] = f"{name}@{rule['digest']}"
            else:
                tag = rule.get("newTag") or (image.rsplit(":", 1)[1] if ":" in image.rsplit("/", 1)[-1] else "")
                container["image"] = f"{name}:{tag}" if tag else name


def _rename_refs(doc: Map, t: dict[str, Any]) -> None:
    """kustomize's name references: an HPA's scaleTargetRef and a Service's selector stay consistent."""
    ref = get(doc, "spec", "scaleTargetRef")
    if isinstance(ref, dict) and ref.get("name"):
        ref["name"] = f"{t['prefix']}{ref['name']}{t['suffix']}"


def _containers(doc: Map) -> list[dict[str, Any]]:
    out = []
    for path in (("spec", "template", "spec"), ("spec", "jobTemplate", "spec", "template", "spec")):
        pod = get(doc, *path)
        if isinstance(pod, dict):
            for key in ("containers", "initContainers"):
                out += [c for c in pod.get(key) or [] if isinstance(c, dict)]
    return out


def _merge(target: Map, patch: Any) -> None:
    """A strategic merge of the parts runbooks read: mappings merge, lists of named items merge by name."""
    if not isinstance(patch, dict):
        return
    for key, value in patch.items():
        if key == "metadata" and isinstance(value, dict):
            value = {k: v for k, v in value.items() if k != "name"}
        current = target.get(key)
        if isinstance(current, Map) and isinstance(value, dict):
            _merge(current, value)
        elif isinstance(current, list) and isinstance(value, list) and all(
                isinstance(v, dict) and "name" in v for v in value):
            for item in value:
                mine = next((c for c in current if isinstance(c, Map) and c.get("name") == item["name"]), None)
                if mine is not None:
                    _merge(mine, item)
                else:
                    current.append(item)
        else:
            target[key] = value
