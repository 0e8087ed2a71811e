"""Consistency inside one runbook: the same thing is said the same way everywhere.

- `consistency.threshold`: an alert's row says "> 5% for 10 min" and its query compares with another
  number, or its rule's `for:` is another duration.
- `consistency.quantile`: a query labelled p95 computes the 99th percentile; or the SLO is stated at
  one quantile while every latency query computes another.
- `consistency.namespace`: one workload is addressed in two namespaces (kubectl `-n`, PromQL
  `namespace="…"`).

Each finding names both places. The checks are conservative: they compare only what they can read
unambiguously (a number after a comparison, an explicit `for:`/`last_Nm`, a quantile spelled out), so a
runbook that says nothing comparable gets no finding.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import yaml

from agent.checks import catalogue, shellwords
from agent.checks.extract import Command
from agent.checks.markdown import CodeBlock, Document
from agent.checks.structure import Emit, _table_rows, norm

_QUERY_LANGUAGES = {"promql", "datadog", "cloudwatch", "nrql"}
_NUMBER = r"-?\d+(?:\.\d+)?(?:e-?\d+)?"
# The comparison that decides an alert: the last one in the expression ("… > 0.05", "failed > 5").
_COMPARISON = re.compile(rf"(>=|<=|==|!=|>|<)\s*(?:bool\s+)?({_NUMBER})(?![\w.\[])")
# Windows a query counts over: PromQL ranges and Datadog monitor windows ("[48h]", "last_2880m").
_WINDOW = re.compile(r"\[(\d+)([smhd])\]|\blast_(\d+)([smhd])\b")
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1, "m": 60, "min": 60,
                 "mins": 60, "minute": 60, "minutes": 60, "h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600,
                 "hours": 3600, "d": 86400, "day": 86400, "days": 86400}
_CONDITION_NUMBER = re.compile(
    rf"(?:>=|<=|>|<|≥|≤|\babove\b|\bbelow\b|\bover\b|\bunder\b|\bmore than\b|\bless than\b|\bat least\b|"
    rf"\bexceeds?\b)\s*({_NUMBER})\s*(%|ms|s|sec|secs|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?)?", re.I)
_FOR = re.compile(r"\bfor\s+(\d+(?:\.\d+)?)\s*(ms|s|sec|secs|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?)\b",
                  re.I)
_QUANTILE_LABEL = re.compile(r"(?<![\w.])p(50|75|90|95|99|99\.9|999)(?![\w.])|\b(50|75|90|95|99)(?:th)? percentile\b",
                             re.I)
_QUANTILE_COMPUTED = (
    re.compile(r"histogram_quantile\(\s*(0?\.\d+|1(?:\.0+)?)"),  # PromQL
    re.compile(r"quantile_over_time\(\s*(0?\.\d+)"),
    re.compile(r"(?<![\w.])(?:p|\.p)(50|75|90|95|99|999)(?=[:({\s.,)]|$)"),  # Datadog p99:, CloudWatch p99
    re.compile(r"percentile\([^,()]+,\s*(\d+(?:\.\d+)?)\s*\)", re.I),  # NRQL, Logs Insights pct()
    re.compile(r"\bpct\([^,()]+,\s*(\d+(?:\.\d+)?)\s*\)", re.I),
)
_WORKLOAD_REF = re.compile(r"^(deployment|deploy|statefulset|sts|daemonset|ds|cronjob|cj|job|"
                           r"deployments?\.apps|statefulsets?\.apps)/([a-z0-9][a-z0-9.-]*)$")


def _kind_name(word: str) -> str:
    """`deploy`, `deployments.apps` → deployment: kubectl's kinds and their spellings (the catalogue's)."""
    entry = catalogue.tool("kubectl")
    kind = entry.kinds.get(word.split(".", 1)[0]) if entry is not None else None
    return kind.name if kind is not None else word


_PROM_WORKLOAD_LABELS = ("deployment", "statefulset", "daemonset", "cronjob", "job_name", "container", "app",
                         "app_kubernetes_io_name", "service")


@dataclass(frozen=True)
class _Alert:
    name: str
    line: int
    condition: str
    query: str  # "" when the row has no query and none was found for it
    query_line: int
    duration: str  # an explicit rule `for:` ("5m"), "" otherwise


def check(doc: Document, commands: list[Command], emit: Emit) -> None:
    alerts = _alerts(doc)
    _thresholds(alerts, emit)
    _quantiles(doc, alerts, emit)
    _namespaces(doc, commands, emit)


# --- alerts and their queries --------------------------------------------------------------------


def _alerts(doc: Document) -> list[_Alert]:
    """Alert table rows with the query each one names: a query column, a block right under the alert's
    name in bold or a heading, or a Prometheus rule (`alert:` / `expr:` / `for:`) of the same name."""
    rules = _rule_blocks(doc)
    labelled = _labelled_blocks(doc)
    out: list[_Alert] = []
    for header, cells, line in _table_rows(doc.lines, 1):
        if not any("alert" in h for h in header):
            continue
        name_col = next(i for i, h in enumerate(header) if "alert" in h)
        cond_col = next((i for i, h in enumerate(header) if "condition" in h or "threshold" in h), None)
        query_col = next((i for i, h in enumerate(header) if h in ("query", "expression", "expr", "promql")), None)
        if name_col >= len(cells) or cond_col is None or cond_col >= len(cells):
            continue
        name = _plain(cells[name_col])
        query, query_line, duration = "", 0, ""
        if query_col is not None and query_col < len(cells):
            query, query_line = _plain(cells[query_col]), line
        elif norm(name) in rules:
            query, query_line, duration = rules[norm(name)]
        elif norm(name) in labelled:
            block = labelled[norm(name)]
            query, query_line = block.content, block.line
        out.append(_Alert(name, line, cells[cond_col], query, query_line, duration))
    return out


def _plain(cell: str) -> str:
    cell = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", cell)  # [text](#anchor) -> text
    return cell.replace("`", "").replace("**", "").strip()


def _rule_blocks(doc: Document) -> dict[str, tuple[str, int, str]]:
    """alert name -> (expr, line of the block, for) from YAML blocks holding Prometheus rules."""
    found: dict[str, tuple[str, int, str]] = {}
    for block in doc.blocks:
        if block.tag not in ("yaml", "yml") or "alert:" not in block.content:
            continue
        try:
            data = yaml.safe_load(block.content)
        except yaml.YAMLError:
            continue
        for rule in _walk_rules(data):
            name, expr = rule.get("alert"), rule.get("expr")
            if isinstance(name, str) and isinstance(expr, (str, int, float)):
                found[norm(name)] = (str(expr), block.line, str(rule.get("for", "") or ""))
    return found


def _walk_rules(node: object) -> Iterable[dict[str, object]]:
    if isinstance(node, dict):
        if "alert" in node:
            yield node
        for value in node.values():
            yield from _walk_rules(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk_rules(item)


def _labelled_blocks(doc: Document) -> dict[str, CodeBlock]:
    """Query blocks whose last line of lead-in text names something in bold (`**High latency** (…)`)
    or whose nearest heading does: name -> block."""
    out: dict[str, CodeBlock] = {}
    for block in doc.blocks:
        if block.tag not in _QUERY_LANGUAGES and block.language != "promql":
            continue
        lead = block.before.strip().splitlines()[-1] if block.before.strip() else ""
        bold = re.match(r"^\s*(?:[-*]\s+)?\*\*([^*]+)\*\*", lead)
        if bold:
            out.setdefault(norm(bold.group(1)), block)
        if block.heading:
            out.setdefault(norm(block.heading), block)
    return out


def _threshold(query: str) -> float | None:
    """The number the query's deciding comparison uses; None for none, or for a state test (`== 1`)."""
    body = "\n".join(ln.split("#", 1)[0] for ln in query.splitlines())
    matches = list(_COMPARISON.finditer(body))
    if not matches or matches[-1].group(1) in ("==", "!="):
        return None
    return float(matches[-1].group(2))


def _windows(query: str) -> set[float]:
    return {float(m.group(1) or m.group(3)) * _UNIT_SECONDS[m.group(2) or m.group(4)] for m in _WINDOW.finditer(query)}


def _candidates(number: float, unit: str) -> set[float]:
    """The values a condition's number may take in a query: as written, as a ratio, or in other units."""
    unit = (unit or "").lower()
    out = {number}
    if unit == "%":  # as a ratio, or as its complement ("> 90% used" is "< 10% available")
        out |= {number / 100, 100 - number, 1 - number / 100}
    elif unit in _UNIT_SECONDS:
        seconds = number * _UNIT_SECONDS[unit]
        out |= {seconds, seconds * 1000, seconds / 60}
    return out


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= max(1e-9, abs(b) * 1e-6)


def _seconds(text: str) -> float | None:
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-z]+)\s*", text.lower())
    if not m or m.group(2) not in _UNIT_SECONDS:
        return None
    return float(m.group(1)) * _UNIT_SECONDS[m.group(2)]


def _thresholds(alerts: list[_Alert], emit: Emit) -> None:
    for alert in alerts:
        if not alert.query:
            continue
        said = _CONDITION_NUMBER.search(alert.condition)
        used = _threshold(alert.query)
        if said and used is not None:
            unit = (said.group(2) or "").lower()
            candidates = _candidates(float(said.group(1)), unit)
            # "no run for > 48 h" is a window the query counts over ("sum(last_2880m) … < 1"), not its threshold
            counted = unit in _UNIT_SECONDS and any(_close(float(said.group(1)) * _UNIT_SECONDS[unit], w)
                                                    for w in _windows(alert.query))
            if not counted and not any(_close(used, c) for c in candidates):
                emit(alert.line, "consistency.threshold", "warning",
                     f"alert {alert.name!r} says {said.group(0).strip()!r} but its query (line "
                     f"{alert.query_line}) compares with {used:g}",
                     "make the table's condition and the query's threshold the same number")
        stated_for = _FOR.search(alert.condition)
        rule_for = _seconds(alert.duration) if alert.duration else None
        window = re.search(r"\blast_(\d+)([smhd])\b", alert.query)  # Datadog: avg(last_5m):…
        query_for = rule_for if rule_for is not None else (_seconds(window.group(1) + window.group(2)) if window
                                                            else None)
        if stated_for and query_for is not None:
            stated = float(stated_for.group(1)) * _UNIT_SECONDS[stated_for.group(2).lower()]
            if not _close(stated, query_for):
                emit(alert.line, "consistency.threshold", "warning",
                     f"alert {alert.name!r} says {stated_for.group(0)!r} but its rule (line {alert.query_line}) "
                     f"waits {query_for:g} s",
                     "make the table's duration and the rule's `for:` (or monitor window) the same")


# --- quantiles -----------------------------------------------------------------------------------


def _q(text: str) -> str:
    """'0.99' / '.99' / '99' / '99.9' / '999' -> '99' / '99.9'."""
    if text.startswith(("0.", ".")):
        value = float(text) * 100
    elif text == "999":
        value = 99.9
    else:
        value = float(text)
    return f"{value:g}"


def _computed(query: str) -> set[str]:
    out: set[str] = set()
    for pattern in _QUANTILE_COMPUTED:
        out |= {_q(m.group(1)) for m in pattern.finditer(query)}
    return out


def _labels(text: str) -> set[str]:
    return {_q(m.group(1) or m.group(2)) for m in _QUANTILE_LABEL.finditer(text)}


def _quantiles(doc: Document, alerts: list[_Alert], emit: Emit) -> None:
    seen_lines: set[int] = set()
    for alert in alerts:
        labels = _labels(alert.name + " " + alert.condition)
        computed = _computed(alert.query)
        if labels and computed and not labels & computed:
            seen_lines.add(alert.query_line)
            emit(alert.line, "consistency.quantile", "warning",
                 f"alert {alert.name!r} is about p{'/p'.join(sorted(labels))} but its query (line "
                 f"{alert.query_line}) computes p{'/p'.join(sorted(computed))}",
                 "name the quantile the query computes, or compute the one the alert names")
    queries: list[tuple[int, set[str]]] = []
    for block in doc.blocks:
        if block.tag not in _QUERY_LANGUAGES and block.language != "promql":
            continue
        computed = _computed(block.content)
        if not computed:
            continue
        queries.append((block.line, computed))
        lead = block.before.strip().splitlines()[-1] if block.before.strip() else ""
        labels = _labels(lead)
        if labels and not labels & computed and block.line not in seen_lines:
            emit(block.line, "consistency.quantile", "warning",
                 f"the query is labelled p{'/p'.join(sorted(labels))} but computes p{'/p'.join(sorted(computed))}",
                 "label the query with the quantile it computes")
    slo = _slo_quantiles(doc)
    if slo and queries:
        used = set().union(*(c for _, c in queries))
        stated = set(slo)
        if not stated & used:
            line, computed = queries[0]
            emit(line, "consistency.quantile", "warning",
                 f"the latency SLO is stated at p{'/p'.join(sorted(stated))} (line {min(slo.values())}) but the "
                 f"latency queries compute p{'/p'.join(sorted(used))}",
                 "use one quantile for the latency objective everywhere")


def _slo_quantiles(doc: Document) -> dict[str, int]:
    """Quantiles the runbook states its latency objective at: lines that speak of an SLO/target and of
    latency or response time."""
    out: dict[str, int] = {}
    for number, line in enumerate(doc.lines, start=1):
        low = line.lower()
        if re.search(r"\b(latency|response time)\b", low) and re.search(r"\b(slo|sla|target|objective)\b|<", low) \
                and not line.lstrip().startswith("|"):
            for q in _labels(line):
                out.setdefault(q, number)
    return out


# --- namespaces ----------------------------------------------------------------------------------


def _namespaces(doc: Document, commands: list[Command], emit: Emit) -> None:
    where: dict[str, dict[str, int]] = {}  # workload -> namespace -> first line

    def note(workload: str, namespace: str, line: int) -> None:
        if "$" in workload or "$" in namespace or not namespace:
            return
        seen = where.setdefault(workload, {})
        if namespace in seen:
            return
        if seen:
            first_ns, first_line = next(iter(seen.items()))
            emit(line, "consistency.namespace", "warning",
                 f"{workload} is addressed in namespace {namespace!r} here but in {first_ns!r} on line {first_line}",
                 "use the one namespace the workload runs in everywhere (or a variable declared once)")
        seen[namespace] = line

    for cmd in commands:
        for simple in cmd.simple:
            argv = shellwords.unwrap(simple.argv)
            if not argv or not catalogue.is_tool(argv[0], "kubectl"):
                continue
            namespace = _flag_value(argv, ("-n", "--namespace"))
            if namespace is None:
                continue
            for arg in argv[1:]:
                m = _WORKLOAD_REF.match(arg)
                if m:
                    note(f"{_kind_name(m.group(1))}/{m.group(2)}", namespace, cmd.line)
    for block in doc.blocks:
        if block.language != "promql":
            continue
        for offset, text in enumerate(block.content.splitlines()):
            for selector in re.findall(r"\{([^{}]*)\}", text):
                labels = dict(re.findall(r'(\w+)\s*=\s*"([^"]*)"', selector))
                namespace = labels.get("namespace")
                if not namespace:
                    continue
                for key in _PROM_WORKLOAD_LABELS:
                    if key in labels and re.fullmatch(r"[a-z0-9][a-z0-9.-]*", labels[key]):
                        kind = key if key in ("deployment", "statefulset", "daemonset", "cronjob") else "deployment"
                        note(f"{kind}/{labels[key]}", namespace, block.line + offset)
                        break


def _flag_value(argv: list[str], names: tuple[str, ...]) -> str | None:
    for index, arg in enumerate(argv):
        if arg in names and index + 1 < len(argv):
            return argv[index + 1]
        for name in names:
            if name.startswith("--") and arg.startswith(name + "="):
                return arg.split("=", 1)[1]
        if arg.startswith("-n") and len(arg) > 2 and not arg.startswith("--") and "-n" in names:
            return arg[2:]
    return None
