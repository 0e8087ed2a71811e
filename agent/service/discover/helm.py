"""Helm charts: `Chart.yaml`, `values.yaml` and the templates, rendered to Kubernetes objects.

With a `helm` binary on PATH the chart is rendered by `helm template` (offline: no cluster, no
repository); otherwise by the static renderer in `gotemplate.py`, which maps every output line back to
its template line. Either way the release name and namespace are install-time values: they are not
invented (the runbook asks for them). Only `values.yaml` is applied; other values files are listed.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.service.discover import gotemplate
from agent.service.discover.kubernetes import K8sObject, objects_of
from agent.service.discover.partial import Source
from agent.service.discover.walk import Scan, Skipped, SourceFile
from agent.service.discover.yamlfile import YamlRefused, get, line, load, load_all

HELM_TIMEOUT = 60


@dataclass
class Chart:
    directory: str  # relative to the root ("" for a chart at the root)
    name: str
    chart_file: SourceFile
    objects: list[K8sObject] = field(default_factory=list)
    consumed: set[str] = field(default_factory=set)
    skipped: list[Skipped] = field(default_factory=list)
    rendered_by: str = "static"


def charts(scan: Scan) -> list[Chart]:
    out = []
    for f in scan.files:
        if f.name == "Chart.yaml":
            chart = _read(scan, f)
            if chart is not None:
                out.append(chart)
    return out


def _read(scan: Scan, chart_file: SourceFile) -> Chart | None:
    directory = chart_file.directory
    prefix = directory + "/" if directory else ""
    meta = chart_file.docs
    if isinstance(meta, YamlRefused) or not meta or not isinstance(meta[0], dict):
        return None
    info: dict[str, Any] = meta[0]
    chart = Chart(directory, str(info.get("name") or Path(directory).name or "chart"), chart_file)
    chart.consumed.add(chart_file.rel)
    if info.get("type") == "library":
        chart.skipped.append(Skipped(prefix, "library chart: defines templates, deploys nothing"))
        chart.consumed |= {f.rel for f in scan.files if f.rel.startswith(prefix)}
        return chart
    mine = [f for f in scan.files if f.rel.startswith(prefix) and not _in_subchart(f.rel[len(prefix):])]
    values_file = next((f for f in mine if f.rel == prefix + "values.yaml"), None)
    values: Any = {}
    if values_file is not None:
        chart.consumed.add(values_file.rel)
        try:
            values = load(values_file.text) or {}
        except YamlRefused as exc:
            chart.skipped.append(Skipped(values_file.rel, f"values not read: {exc}"))
    for f in mine:
        rest = f.rel[len(prefix):]
        if re.fullmatch(r"values[-.][\w.-]+\.ya?ml", rest):
            chart.consumed.add(f.rel)
            chart.skipped.append(Skipped(f.rel, "other values file: not applied (helm uses values.yaml unless -f "
                                                "names another)"))
    for sub in sorted({f.rel[len(prefix):].split("/")[1] for f in scan.files if f.rel.startswith(prefix + "charts/")
                       and f.rel.count("/") > len(prefix.split("/"))}):
        chart.skipped.append(Skipped(f"{prefix}charts/{sub}/", "subchart: not rendered (read it with --from on "
                                                               "its folder)"))
        chart.consumed |= {f.rel for f in scan.files if f.rel.startswith(f"{prefix}charts/{sub}/")}
    templates = [f for f in mine if f.rel.startswith(prefix + "templates/")]
    chart.consumed |= {f.rel for f in templates}
    helm = shutil.which("helm")
    if helm and _helm_template(helm, scan.root / directory if directory else scan.root, chart, templates):
        return chart
    _static(chart, info, values if isinstance(values, dict) else {}, templates, scan.root / directory)
    return chart


def _in_subchart(rest: str) -> bool:
    return rest.startswith("charts/")


def _root(info: dict[str, Any], values: dict[str, Any], template: str, files: gotemplate.Files) -> dict[str, Any]:
    chart = {key[:1].upper() + key[1:]: value for key, value in info.items()}
    return {
        "Values": values,
        "Release": {"Name": gotemplate.Unknown(".Release.Name"), "Namespace": gotemplate.Unknown(".Release.Namespace"),
                    "Service": "Helm", "IsInstall": True, "IsUpgrade": False, "Revision": 1},
        "Chart": chart,
        "Capabilities": {"KubeVersion": {"Version": "v1.30.0", "Major": "1", "Minor": "30", "GitVersion": "v1.30.0"},
                         "APIVersions": gotemplate.APIVersions(), "HelmVersion": {"Version": "v3.15.0"}},
        "Template": {"Name": template, "BasePath": template.rsplit("/", 1)[0]},
        "Files": files,
    }


def _static(chart: Chart, info: dict[str, Any], values: dict[str, Any], templates: list[SourceFile],
            chart_dir: Path) -> None:
    defines: dict[str, list[Any]] = {}
    for f in templates:
        if "define" in f.text:
            try:
                gotemplate.parse_defines(f.text, defines)
            except gotemplate.Unsupported as exc:
                chart.skipped.append(Skipped(f.rel, f"helpers not read statically: {exc}"))

    def read_file(name: str) -> str | None:
        target = (chart_dir / name).resolve()
        if not str(target).startswith(str(chart_dir.resolve())) or not target.is_file():
            return None
        try:
            return target.read_text(encoding="utf-8")[:gotemplate.MAX_OUTPUT]
        except (OSError, UnicodeDecodeError):
            return None

    files = gotemplate.Files(read_file)
    for f in templates:
        name = f.name
        if name.startswith("_") or name == "NOTES.txt" or not name.endswith((".yaml", ".yml", ".tpl", ".json")):
            continue
        root = _root(info, values, f"{chart.name}/{f.rel[len(chart.directory) + 1 if chart.directory else 0:]}", files)
        try:
            output, line_map = gotemplate.render(f.text, root, defines)
        except gotemplate.Unsupported as exc:
            chart.skipped.append(Skipped(f.rel, f"template not rendered statically ({exc}); with helm on PATH it "
                                                "would be"))
            continue
        except RecursionError:
            chart.skipped.append(Skipped(f.rel, "template nests too deeply to render statically"))
            continue
        if not output.strip():
            continue
        try:
            docs = load_all(output)
        except YamlRefused as exc:
            chart.skipped.append(Skipped(f.rel, f"rendered statically, but the output is not YAML ({exc})"))
            continue

        def mapped(n: int, table: list[int] = line_map) -> int:
            return table[n - 1] if 0 < n <= len(table) else 0

        chart.objects.extend(objects_of(docs, f.source, mapped, note=f"Helm chart {chart.name}"))


def _helm_template(helm: str, chart_dir: Path, chart: Chart, templates: list[SourceFile]) -> bool:
    """Render with `helm template` (read-only, offline); False when it fails (the static reader then runs)."""
    try:
        done = subprocess.run([helm, "template", chart.name, str(chart_dir)], capture_output=True, text=True,
                              timeout=HELM_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    if done.returncode != 0:
        chart.skipped.append(Skipped(chart.directory + "/" if chart.directory else "./",
                                     "helm template failed (" + (done.stderr.strip().splitlines() or ["?"])[-1][:160]
                                     + "); read statically instead"))
        return False
    by_path = {f.rel[len(chart.directory) + 1 if chart.directory else 0:]: f for f in templates}
    chart.rendered_by = "helm template"
    for block in re.split(r"(?m)^---\s*$", done.stdout):
        source = re.search(r"^# Source: [^/\n]+/(.+)$", block, re.M)
        if not source or source.group(1) not in by_path:
            continue
        f = by_path[source.group(1)]
        try:
            docs = load_all(block)
        except YamlRefused:
            continue
        for doc in docs:
            kind = get(doc, "kind")
            anchor = _line_of(f.text, f"kind: {kind}") if kind else 1

            def fixed(_: int, at: int = anchor) -> int:
                return at

            chart.objects.extend(objects_of([doc], Source.of(f.rel, f.text), fixed,
                                            note=f"Helm chart {chart.name}, rendered by helm template"))
    return True


def _line_of(text: str, needle: str) -> int:
    for number, row in enumerate(text.splitlines(), start=1):
        if needle in row:
            return number
    return 1


def chart_name_line(chart: Chart) -> int:
    docs = chart.chart_file.docs
    return line(docs[0], "name") if isinstance(docs, list) and docs else 1
