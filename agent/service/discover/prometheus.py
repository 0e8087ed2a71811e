"""Prometheus alerting rules: rule files (`groups: [{name, rules: [...]}]`, also Thanos / Loki / Mimir)
and `PrometheusRule` objects (the same groups under `spec`).

Each `alert:` rule becomes an `AlertRule` with its expression, `for`, severity, labels, summary and
`runbook_url` as written, at the line of its `alert:` key. Recording rules are not alerts and are
skipped. Line numbers of rules inside a rendered Helm template map back to the template.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agent.service.discover.partial import Partial, Source
from agent.service.discover.yamlfile import Map, Seq, mapping


def read_groups(groups: Any, src: Source, part: Partial, source_format: str,
                line_map: Callable[[int], int] = lambda n: n) -> int:
    """Add every alert of `groups` to `part`; returns how many were added."""
    added = 0
    if not isinstance(groups, list):
        return 0
    for group in groups:
        if not isinstance(group, dict):
            continue
        rules = group.get("rules")
        if not isinstance(rules, list):
            continue
        for index, rule in enumerate(rules):
            if not isinstance(rule, dict) or "alert" not in rule:
                continue
            name = str(rule.get("alert") or "").strip()
            if not name:
                continue
            line = rule.line_of("alert") if isinstance(rule, Map) else (
                rules.line_of(index) if isinstance(rules, Seq) else 0)
            labels = mapping(rule.get("labels"))
            annotations = mapping(rule.get("annotations"))
            severity = str(labels.get("severity") or labels.get("priority") or "").strip()
            summary = str(annotations.get("summary") or annotations.get("message") or
                          annotations.get("description") or "").strip()
            runbook = str(annotations.get("runbook_url") or annotations.get("runbook") or "").strip()
            part.alert(src, line_map(line), name=name, expr=str(rule.get("expr") or "").strip(),
                       duration=_text(rule.get("for")), severity=severity,
                       labels={str(k): _text(v) for k, v in labels.items()}, summary=summary,
                       runbook_url=runbook, source_format=source_format)
            added += 1
    return added


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    return " ".join(str(value).split()) if "\n" in str(value) else str(value).strip()


def read_rule_file(docs: list[Any], src: Source) -> Partial:
    part = Partial()
    for doc in docs:
        if isinstance(doc, dict):
            read_groups(doc.get("groups"), src, part, "prometheus")
    return part


def read_prometheus_rule(doc: Map, src: Source, part: Partial, line_map: Callable[[int], int] = lambda n: n) -> int:
    spec = doc.get("spec")
    return read_groups(spec.get("groups") if isinstance(spec, dict) else None, src, part, "prometheusrule",
                       line_map)


def count_alerts(docs: list[Any]) -> int:
    """Alert rules in documents (a rule file or PrometheusRule objects), for reports."""
    total = 0
    for doc in docs:
        if not isinstance(doc, dict):
            continue
        groups = doc.get("groups")
        if groups is None and isinstance(doc.get("spec"), dict):
            groups = doc["spec"].get("groups")
        for group in groups if isinstance(groups, list) else []:
            rules = group.get("rules") if isinstance(group, dict) else None
            total += sum(1 for r in rules if isinstance(r, dict) and r.get("alert")) if isinstance(rules, list) else 0
    return total
