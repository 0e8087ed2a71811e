"""`agent test --alerts RULES... RUNBOOKS...`: every alert has a runbook entry, and the entry is one.

For every alert in the rule files (Prometheus rule files, `PrometheusRule` objects, Kubernetes Lists):

- it has a `runbook_url` annotation (`alerts.runbook-url-missing`);
- the URL resolves to one of the runbooks given — a relative path from the rule file or the working
  directory, or a URL whose path ends with the runbook's path (`alerts.runbook-unknown`); a remote URL
  matching none is reported as not checked offline (`alerts.runbook-url-remote`, a warning);
- its `#anchor` is a heading of that runbook (`alerts.anchor-missing`, with the nearest one);
- the entry it points at has what an on-call reader needs: meaning, impact, diagnosis and mitigation
  (`alerts.entry-incomplete`). Both layouts are accepted: the rule's troubleshooting entry (Symptoms /
  Impact / Check / Fix labels) and the per-alert runbook (Meaning / Impact / Diagnosis / Mitigation
  headings); a URL without an anchor takes the whole file as the entry.

Findings go into the usual `Report`s (one per file with a finding), so text, JSON and SARIF read them
like any other check. Nothing here imports the generator.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from agent.checks import markdown
from agent.checks.findings import Finding, Report, Severity
from agent.errors import UsageError
from agent.service.discover.yamlfile import Map, YamlRefused, load_all, mapping

MAX_RULE_BYTES = 5_000_000
RUNBOOK_SUFFIXES = (".md", ".markdown", ".mdown")
RULE_SUFFIXES = (".yml", ".yaml", ".json", ".rules")

# The four parts of an alert entry, as headings (per-alert runbooks) or bold labels (the rule's layout).
PARTS: dict[str, tuple[str, ...]] = {
    "meaning": ("meaning", "symptoms", "symptom", "description", "summary", "what it means", "overview"),
    "impact": ("impact", "business impact", "user impact", "customer impact", "severity and impact"),
    "diagnosis": ("diagnosis", "check", "checks", "investigation", "investigate", "triage", "troubleshooting",
                  "debugging", "how to diagnose", "diagnose"),
    "mitigation": ("mitigation", "fix", "resolution", "remediation", "response", "actions", "recovery",
                   "how to fix", "resolve", "mitigate"),
}


@dataclass(frozen=True)
class RuleAlert:
    name: str
    runbook_url: str
    file: str
    line: int
    group: str


@dataclass
class Runbook:
    path: Path
    shown: str
    doc: markdown.Document


@dataclass
class Coverage:
    reports: list[Report] = field(default_factory=list)
    alerts: int = 0
    covered: int = 0
    remote: int = 0
    rule_files: int = 0

    @property
    def gaps(self) -> int:
        return self.alerts - self.covered - self.remote

    def summary(self) -> str:
        return (f"{self.alerts} alerts in {self.rule_files} rule files: {self.covered} with a complete runbook entry, "
                f"{self.gaps} gaps, {self.remote} remote (not checked offline)")

    def to_dict(self) -> dict[str, Any]:
        return {"alerts": self.alerts, "covered": self.covered, "gaps": self.gaps, "remote": self.remote,
                "rule_files": self.rule_files}


def _findings(reports: dict[str, Report], file: str) -> Report:
    return reports.setdefault(file, Report(source=file, profile="alerts"))


def _emit(reports: dict[str, Report], file: str, line: int, rule: str, severity: Severity, message: str,
          hint: str, section: str = "") -> None:
    _findings(reports, file).findings.append(Finding(file, line, rule, severity, message, hint, section))


def split_paths(paths: list[str]) -> tuple[list[Path], list[Path]]:
    """(rule files, runbooks) from the command line: Markdown is a runbook, anything else (and every
    rule file under a folder) holds alert rules."""
    rules: list[Path] = []
    runbooks: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in RULE_SUFFIXES
                           and not any(part.startswith(".") for part in p.relative_to(path).parts))
            rules += found
        elif path.suffix.lower() in RUNBOOK_SUFFIXES:
            runbooks.append(path)
        elif path.exists():
            rules.append(path)
        else:
            raise UsageError(f"no such file: {raw}", hint="give alert rule files (or folders) and runbooks")
    if not rules:
        raise UsageError("--alerts needs at least one alert rule file or folder",
                         hint="e.g. agent test --alerts rules/ tasks/runbook-orders.md")
    return rules, runbooks


def read_rules(path: Path, reports: dict[str, Report]) -> list[RuleAlert]:
    shown = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(raw) > MAX_RULE_BYTES:
        _emit(reports, shown, 1, "alerts.rules-unreadable", "error", f"{path} is larger than "
              f"{MAX_RULE_BYTES // 1_000_000} MB: not read", "split the rule file")
        return []
    try:
        docs = load_all(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, YamlRefused) as exc:
        reason = "not UTF-8 text" if isinstance(exc, UnicodeDecodeError) else str(exc)
        _emit(reports, shown, 1, "alerts.rules-unreadable", "error", f"alert rules not read: {reason}",
              "give rendered rule files (a Helm template must be rendered first: helm template …)")
        return []
    out: list[RuleAlert] = []
    for doc in _rule_docs(docs):
        for group in doc.get("groups") or [] if isinstance(doc.get("groups"), list) else []:
            if not isinstance(group, Map):
                continue
            for rule in group.get("rules") or [] if isinstance(group.get("rules"), list) else []:
                if not isinstance(rule, Map) or not rule.get("alert"):
                    continue
                annotations = mapping(rule.get("annotations"))
                url = str(annotations.get("runbook_url") or annotations.get("runbook") or "").strip()
                out.append(RuleAlert(str(rule["alert"]), url, shown, rule.line_of("alert"), str(group.get("name", ""))))
    return out


def _rule_docs(docs: list[Any]) -> list[Map]:
    out: list[Map] = []
    for doc in docs:
        if not isinstance(doc, Map):
            continue
        if str(doc.get("kind", "")).endswith("List") and isinstance(doc.get("items"), list):
            out += _rule_docs(doc["items"])
        elif doc.get("kind") == "PrometheusRule" and isinstance(doc.get("spec"), Map):
            out.append(doc["spec"])
        elif "groups" in doc:
            out.append(doc)
    return out


def _read_runbook(path: Path) -> Runbook:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"no such file: {path}", hint="give the runbooks the alerts should point at") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read runbook {path}: {getattr(exc, 'strerror', None) or 'not UTF-8 text'}") from None
    return Runbook(path.resolve(), str(path), markdown.parse(text, str(path)))


def _resolve(url: str, rule_file: Path, runbooks: list[Runbook]) -> tuple[Runbook | None, str, bool]:
    """(runbook, anchor, remote) for a runbook_url."""
    parts = urlsplit(url)
    anchor = unquote(parts.fragment)
    if parts.scheme in ("http", "https"):
        path = unquote(parts.path)
        best: tuple[int, Runbook] | None = None
        for rb in runbooks:
            for suffix in _suffixes(rb):
                if path.endswith("/" + suffix) or path == suffix:
                    if best is None or len(suffix) > best[0]:
                        best = (len(suffix), rb)
        return (best[1] if best else None), anchor, best is None
    local = unquote(parts.path if parts.scheme in ("", "file") else url)
    if not local:
        return None, anchor, False
    for base in (rule_file.resolve().parent, Path.cwd()):
        target = (base / local).resolve()
        hit = next((rb for rb in runbooks if rb.path == target), None)
        if hit is not None:
            return hit, anchor, False
    return None, anchor, False


def _suffixes(rb: Runbook) -> list[str]:
    """The runbook's path as a URL may end with it: relative to the working directory, then shorter."""
    try:
        rel = rb.path.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        rel = rb.path.name
    pieces = rel.split("/")
    return ["/".join(pieces[i:]) for i in range(len(pieces))]


def entry_bounds(doc: markdown.Document, anchor: str) -> tuple[markdown.Heading | None, int, int] | None:
    """(heading, first line, last line) of the entry `anchor` names; the whole file without one;
    None when no heading has that anchor."""
    if not anchor:
        return None, 1, len(doc.lines)
    wanted = anchor.lower().removeprefix("user-content-")
    for index, heading in enumerate(doc.headings):
        if heading.anchor.lower() == wanted:
            end = len(doc.lines)
            for later in doc.headings[index + 1:]:
                if later.level <= heading.level:
                    end = later.line - 1
                    break
            return heading, heading.line, end
    return None


def missing_parts(doc: markdown.Document, first: int, last: int) -> list[str]:
    """Which of meaning, impact, diagnosis, mitigation the lines first..last lack."""
    headings = [_norm(h.text) for h in doc.headings if first < h.line <= last or (h.line == first and first > 1)]
    body = "\n".join(doc.lines[first - 1:last])
    labels = {_norm(m.group(1)) for m in _LABEL.finditer(body)}
    missing = []
    for part, words in PARTS.items():
        if any(h in words or any(h.startswith(w + " ") for w in words) for h in headings):
            continue
        if labels & set(words):
            continue
        missing.append(part)
    return missing


# "**Symptoms:**", "**Fix**:", "Impact:" at a line start or after a space.
_LABEL = re.compile(r"(?:^|(?<=\s))\*{0,2}([A-Z][A-Za-z ]{2,30}?)(?:\*{2}\s*:|\s*:\*{0,2})", re.M)


def _business_impact(doc: markdown.Document) -> bool:
    """True when the runbook has a non-empty "Business Impact" section (the rule's layout)."""
    for index, heading in enumerate(doc.headings):
        if _norm(heading.text) == "business impact":
            end = doc.headings[index + 1].line - 1 if index + 1 < len(doc.headings) else len(doc.lines)
            return any(row.strip() for row in doc.lines[heading.line:end])
    return False


def _norm(text: str) -> str:
    return re.sub(r"[^a-z ]+", " ", text.lower().replace("&", " and ")).strip()


def check(paths: list[str]) -> Coverage:
    rule_paths, runbook_paths = split_paths(paths)
    runbooks = [_read_runbook(p) for p in runbook_paths]
    reports: dict[str, Report] = {}
    coverage = Coverage(rule_files=len(rule_paths))
    for rule_path in rule_paths:
        alerts = read_rules(rule_path, reports)
        coverage.alerts += len(alerts)
        for alert in alerts:
            state = _check_alert(alert, rule_path, runbooks, reports)
            coverage.covered += state == "covered"
            coverage.remote += state == "remote"
    for report in reports.values():
        report.sort()
    coverage.reports = list(reports.values())
    return coverage


def _check_alert(alert: RuleAlert, rule_path: Path, runbooks: list[Runbook], reports: dict[str, Report]) -> str:
    where = f"group {alert.group}" if alert.group else ""
    if not alert.runbook_url:
        _emit(reports, alert.file, alert.line, "alerts.runbook-url-missing", "error",
              f"alert {alert.name} has no runbook_url annotation",
              "add annotations.runbook_url pointing at its runbook entry (agent generate --from REPO "
              "--runbook-base-url URL --annotate writes the patch)", where)
        return "gap"
    rb, anchor, remote = _resolve(alert.runbook_url, rule_path, runbooks)
    if rb is None:
        if remote:
            _emit(reports, alert.file, alert.line, "alerts.runbook-url-remote", "warning",
                  f"alert {alert.name}: runbook_url {alert.runbook_url} is remote and matches none of the runbooks "
                  "given: not checked offline", "give the runbook file it points at to check it", where)
            return "remote"
        _emit(reports, alert.file, alert.line, "alerts.runbook-unknown", "error",
              f"alert {alert.name}: runbook_url {alert.runbook_url} is not one of the runbooks given",
              "fix the path, or give that runbook on the command line", where)
        return "gap"
    bounds = entry_bounds(rb.doc, anchor)
    if bounds is None:
        anchors = [h.anchor for h in rb.doc.headings]
        import difflib

        near = difflib.get_close_matches(anchor.lower(), anchors, n=1, cutoff=0.5)
        _emit(reports, alert.file, alert.line, "alerts.anchor-missing", "error",
              f"alert {alert.name}: {rb.shown} has no heading #{anchor}",
              f"point it at an existing entry{f' (did you mean #{near[0]}?)' if near else ''}, or add the entry",
              where)
        return "gap"
    heading, first, last = bounds
    missing = missing_parts(rb.doc, first, last)
    if "impact" in missing and _business_impact(rb.doc):
        missing.remove("impact")  # the rule's layout states the impact once, for the whole service
    if missing:
        title = heading.text if heading else rb.shown
        _emit(reports, rb.shown, first, "alerts.entry-incomplete", "error",
              f"the entry for alert {alert.name} ({title!r}) lacks {', '.join(missing)}",
              "give it Meaning (Symptoms), Impact, Diagnosis (Check) and Mitigation (Fix)",
              rb.doc.section_of(first))
        return "gap"
    return "covered"


def run(paths: list[str], fmt: str = "text", fail_on: str = "error", min_severity: str = "info") -> int:
    """The command: print the coverage in `fmt` and return the exit code (1 when a gap is at or above
    `fail_on`)."""
    import json

    import click

    from agent.checks import output

    coverage = check(paths)
    if fmt == "json":
        click.echo(json.dumps({"alerts": coverage.to_dict(), "reports": [r.to_dict() for r in coverage.reports]},
                              indent=2))
    elif fmt == "sarif":
        click.echo(json.dumps(output.sarif(coverage.reports), indent=2))
    else:
        if coverage.reports:
            output.print_reports(coverage.reports, min_severity=min_severity)
        click.echo(coverage.summary())
    return 1 if any(r.failed(fail_on) for r in coverage.reports) else 0
