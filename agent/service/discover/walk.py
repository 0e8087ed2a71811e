"""Walking a repository: which files to read, bounded, never leaving PATH, each skip with its reason.

`scan(root)` lists the files discovery may read (text, small enough, inside the root) as `SourceFile`s,
and every file or folder it leaves out as a `Skipped` with the reason. Readers are then picked by what
a file holds (`kind_of`), not only by its name: a YAML file is a Kubernetes manifest because it has
`apiVersion` and `kind`, a Compose file because it has `services:` of containers, and so on.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from agent.service.discover.partial import Source
from agent.service.discover.yamlfile import YamlRefused, load_all

MAX_FILE_BYTES = 1_000_000  # deployment files are KBs; a bigger file is data, not configuration
MAX_FILES = 20_000  # files looked at (names only) before the walk stops
MAX_TOTAL_BYTES = 64_000_000  # text read in one discovery
MAX_LISTED_SKIPS = 500

# Folders that hold dependencies, caches or history, never deployment files.
SKIP_DIRS = {".git", ".hg", ".svn", "node_modules", ".venv", "venv", "__pycache__", ".terraform", ".tox",
             ".mypy_cache", ".pytest_cache", ".ruff_cache", ".idea", ".vscode", "bower_components",
             ".gradle", ".next", ".nuxt", "site-packages"}

# Names of files a reader may want; other names are read only if their content says so (YAML, JSON).
_YAML = (".yaml", ".yml")
_NAMED = {"dockerfile", "containerfile", "package.json", "pyproject.toml", "go.mod", "pom.xml", ".env",
          "chart.yaml", "requirements.txt", "setup.cfg", "build.gradle", "build.gradle.kts", "gemfile",
          "composer.json", "cargo.toml", "alertmanager.yml", "alertmanager.yaml"}
_SUFFIXES = (*_YAML, ".json", ".tf", ".tfvars", ".hcl", ".service", ".timer", ".socket", ".tpl", ".rules",
             ".dockerfile", ".env", ".txt", ".toml", ".xml", ".j2")


@dataclass(frozen=True)
class Skipped:
    path: str  # relative to the root; a folder ends with "/"
    reason: str


@dataclass
class SourceFile:
    rel: str
    path: Path
    text: str

    @cached_property
    def source(self) -> Source:
        return Source.of(self.rel, self.text)

    @cached_property
    def docs(self) -> list[Any] | YamlRefused:
        """The YAML (or JSON) documents, or the reason they could not be read."""
        try:
            return load_all(self.text)
        except YamlRefused as exc:
            return exc

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def directory(self) -> str:
        return self.source.directory


@dataclass
class Scan:
    root: Path
    files: list[SourceFile] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    skipped_count: int = 0  # including those not listed once MAX_LISTED_SKIPS is reached

    def skip(self, rel: str, reason: str) -> None:
        self.skipped_count += 1
        if len(self.skipped) < MAX_LISTED_SKIPS:
            self.skipped.append(Skipped(rel, reason))

    def file(self, rel: str) -> SourceFile | None:
        return next((f for f in self.files if f.rel == rel), None)


def _wanted(name: str) -> bool:
    low = name.lower()
    return (low in _NAMED or low.startswith(("dockerfile", "containerfile", "requirements", ".env"))
            or low.endswith(_SUFFIXES))


def _inside(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
        return True
    except ValueError:
        return False


def scan(root: Path) -> Scan:
    """The readable files under `root` (a directory or one file), sorted by path."""
    real_root = root.resolve()
    result = Scan(real_root)
    if real_root.is_file():
        _consider(result, real_root.parent, real_root, real_root.name)
        return result
    seen = 0
    total = 0
    for current, dirs, names in os.walk(real_root, followlinks=False):
        here = Path(current)
        rel_dir = here.relative_to(real_root).as_posix()
        prefix = "" if rel_dir == "." else rel_dir + "/"
        kept = []
        for d in sorted(dirs):
            full = here / d
            if d in SKIP_DIRS:
                result.skip(prefix + d + "/", "dependencies, caches or history: not deployment files")
            elif full.is_symlink():
                target = full.resolve()
                result.skip(prefix + d + "/", "symlink to a folder outside PATH" if not _inside(target, real_root)
                            else "symlinked folder (read where it is, not twice)")
            else:
                kept.append(d)
        dirs[:] = kept
        for name in sorted(names):
            seen += 1
            rel = prefix + name
            if seen > MAX_FILES:
                result.skip(prefix, f"more than {MAX_FILES} files: the rest of the repository was not read")
                return _sorted(result)
            if not _wanted(name):
                continue
            total += _consider(result, real_root, here / name, rel)
            if total > MAX_TOTAL_BYTES:
                result.skip(rel, f"more than {MAX_TOTAL_BYTES // 1_000_000} MB read: the rest was not read")
                return _sorted(result)
    return _sorted(result)


def _sorted(result: Scan) -> Scan:
    result.files.sort(key=lambda f: f.rel)
    return result


def _consider(result: Scan, root: Path, path: Path, rel: str) -> int:
    """Add one file (or its skip); returns the bytes read."""
    try:
        if path.is_symlink():
            target = path.resolve()
            if not _inside(target, root):
                result.skip(rel, "symlink to a file outside PATH: not followed")
                return 0
        if not path.is_file():
            result.skip(rel, "not a regular file")
            return 0
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            result.skip(rel, f"{size // 1000} KB, larger than {MAX_FILE_BYTES // 1000} KB: data, not configuration")
            return 0
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        result.skip(rel, f"cannot be read: {exc.strerror or exc}")
        return 0
    if b"\x00" in raw[:8192]:
        result.skip(rel, "binary file")
        return len(raw)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        result.skip(rel, "not UTF-8 text")
        return len(raw)
    result.files.append(SourceFile(rel, path, text))
    return len(raw)


# --- what a file holds ---------------------------------------------------------------------------

_SYSTEMD_SECTION = re.compile(r"^\[(Unit|Service|Timer|Socket|Install)\]\s*$", re.M)
# A Dockerfile starts with FROM, after comments, blank lines and ARGs.
_DOCKER_FIRST = re.compile(r"^(?:\s*(?:#[^\n]*)?\n|\s*ARG[^\n]*\n)*\s*FROM\s+\S+", re.I)


def kind_of(f: SourceFile) -> str:
    """The reader a file belongs to, from its content (and name where content can't tell):
    helm-chart, helm-template, kustomization, kubernetes, compose, prometheus-rules, alertmanager,
    datadog, terraform, systemd, dockerfile, package, dotenv, or "" (not one discovery reads)."""
    low = f.name.lower()
    parts = f.rel.split("/")
    if "templates" in parts[:-1] and _in_chart(f):
        return "helm-template"
    if low == "chart.yaml":
        return "helm-chart"
    if low.endswith((".tf", ".tf.json", ".tfvars")):
        return "terraform"
    if low.endswith((".service", ".timer", ".socket")) or (_SYSTEMD_SECTION.search(f.text)
                                                           and not low.endswith(_YAML + (".json",))):
        return "systemd" if _SYSTEMD_SECTION.search(f.text) else ""
    if low in ("package.json", "pyproject.toml", "go.mod", "pom.xml", "cargo.toml") or \
            low.startswith("requirements") and low.endswith(".txt"):
        return "package"
    if low == ".env" or low.endswith(".env"):
        return "dotenv"
    if low.startswith(("dockerfile", "containerfile")) or low.endswith(".dockerfile") or (
            not low.endswith(_YAML + (".json", ".md", ".txt")) and _DOCKER_FIRST.match(f.text)):
        return "dockerfile" if _DOCKER_FIRST.match(f.text) else ""
    if low.endswith(_YAML + (".json", ".rules")):
        return _yaml_kind(f)
    return ""


def _in_chart(f: SourceFile) -> bool:
    """Under a `templates/` folder whose parent holds a Chart.yaml."""
    parts = f.rel.split("/")
    for index, part in enumerate(parts[:-1]):
        if part == "templates":
            chart_dir = f.path.parents[len(parts) - 1 - index]
            if (chart_dir / "Chart.yaml").is_file():
                return True
    return False


def _yaml_kind(f: SourceFile) -> str:
    docs = f.docs
    if isinstance(docs, YamlRefused) or not docs:
        return ""
    first = next((d for d in docs if isinstance(d, dict)), None)
    if f.name.lower() in ("kustomization.yaml", "kustomization.yml", "kustomization"):
        return "kustomization"
    if isinstance(first, dict):
        if first.get("kind") == "Kustomization" or first.get("kind") == "Component" and \
                str(first.get("apiVersion", "")).startswith("kustomize"):
            return "kustomization"
        if "groups" in first and isinstance(first["groups"], list) and any(
                isinstance(g, dict) and "rules" in g for g in first["groups"]):
            return "prometheus-rules"
        if "route" in first and "receivers" in first:
            return "alertmanager"
        if isinstance(first.get("services"), dict) and "apiVersion" not in first and _looks_compose(first):
            return "compose"
        if _is_datadog(first):
            return "datadog"
    if isinstance(docs[0], list) and docs[0] and all(_is_datadog(d) for d in docs[0] if isinstance(d, dict)) \
            and any(isinstance(d, dict) for d in docs[0]):
        return "datadog"
    if any(isinstance(d, dict) and "apiVersion" in d and "kind" in d for d in docs):
        return "kubernetes"
    return ""


def _looks_compose(doc: dict[str, Any]) -> bool:
    services = doc["services"]
    keys = {"image", "build", "ports", "environment", "depends_on", "command", "volumes", "expose", "extends",
            "container_name", "healthcheck", "restart", "networks", "profiles", "env_file", "deploy"}
    return any(isinstance(s, dict) and keys & set(s) for s in services.values()) or not services


def _is_datadog(doc: Any) -> bool:
    if not isinstance(doc, dict):
        return False
    if isinstance(doc.get("monitors"), list):
        return True
    return isinstance(doc.get("query"), str) and isinstance(doc.get("type"), str) and "name" in doc and (
        "alert" in doc["type"] or doc["type"] in ("service check", "event-v2 alert", "process alert", "composite",
                                                   "synthetics alert", "slo alert", "trace-analytics alert"))
