"""A monitoring stack renders signals in its own language from its metric catalogue.

The catalogue (`metrics/<stack key>.yaml`) maps a signal key to a query template, most specific first:
`postgres.connections@rds` (the signal's tags: exporter or managed product), then
`cpu@pod` / `cpu@host` (the platform's tags, `scope.Scope.where`), then the bare key. An entry set to
`null` says the stack cannot express that signal there; `not_for: [tag]` skips an entry for signals with
that tag (APM request counts do not tell whether a database is up: `not_for: [engine]`). Templates use
`${name}` for the scope's and the signal's labels, for the catalogue's `_selectors` and for `${t}`, the
threshold in the metric's unit.

A new stack is one subclass (key, label, language, how a metric becomes a query) plus its catalogue;
it registers itself by defining `key`. Third-party stacks register through the `runbook_agent.stacks`
entry-point group.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources
from string import Template
from typing import Any, ClassVar

import yaml

from agent.knowledge.environments import Platform, cmd
from agent.knowledge.monitoring.scope import Scope, scope_of
from agent.knowledge.signals import Signal, convert
from agent.runbook import Command, Language


@dataclass(frozen=True)
class Metric:
    """One catalogue entry: how the stack measures a signal."""

    query: str
    unit: str = ""  # the query value's unit; the signal's threshold is converted to it
    source: str = ""  # the exporter / integration / agent that provides the metric
    purpose: str = ""
    agg: str = "avg"  # Datadog monitors: how the window is aggregated
    op: str = ""  # a comparison other than the signal's ("<" for a complement); "==": the query holds its test
    native: bool = False  # published by the cloud itself (AWS metrics in CloudWatch): preferred there


_REGISTRY: dict[str, type[Stack]] = {}


class Stack:
    """Renders signals for one monitoring stack. Subclasses set the class attributes and `format`."""

    key: ClassVar[str] = ""
    label: ClassVar[str] = ""
    language: ClassVar[Language] = "text"
    catalogue_file: ClassVar[str] = ""  # default: metrics/<key>.yaml
    # The query carries the comparison (PromQL, Datadog monitors); elsewhere the alert holds the threshold.
    compares: ClassVar[bool] = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.key:
            register(cls)

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.scope: Scope = scope_of(platform)
        self.notes: list[str] = []  # assumptions this stack's queries rest on
        self.sources: dict[str, None] = {}  # exporters/integrations the queries' metric names follow

    # --- what the subclass may override -----------------------------------------------------------
    def format(self, metric: Metric, signal: Signal, query: str, value: float | None) -> str:
        """The query with its comparison (the template may place `${t}` itself)."""
        if value is None or not self.compares or "${t}" in metric.query or metric.op == "==":
            return query  # no threshold to add, or the template holds its comparison (a state test)
        return f"{query} {metric.op or signal.threshold.op} {value:g}"

    def dashboards(self) -> list[tuple[str, str]]:
        return [(f"{self.label} dashboard", f"fill in: {self.label} dashboard URL for {self.slug}")]

    def log_queries(self) -> list[Command]:
        return []

    def tools(self) -> list[str]:
        return []

    # --- shared ------------------------------------------------------------------------------------
    @property
    def slug(self) -> str:
        return self.platform.slug

    @property
    def names(self) -> dict[str, str]:
        return self.platform.ctx.facts.names

    @property
    def assumptions(self) -> list[str]:
        out = list(self.notes)
        named = [s for s in self.sources if not _mentioned(self.platform.ctx.facts.description, s)]
        if named:
            out.append(f"{self.label} metric names follow {', '.join(named)} (not named in the description: "
                       "rename them to your exporters' or integrations' where they differ)")
        return out

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def q(self, purpose: str, code: str, expect: str | None = None) -> Command:
        return cmd(purpose, code, expect, language=self.language)

    @classmethod
    def catalogue(cls) -> Mapping[str, Any]:
        return _with_profiles(cls.catalogue_file or f"{cls.key}.yaml", cls.key)

    def entry(self, signal: Signal) -> dict[str, Any] | None:
        """The most specific catalogue entry for the signal here (signal tags, then platform tags, then
        the bare key), or None."""
        table = self.catalogue()
        for tag in (*signal.tags, *self.scope.where, ""):
            name = f"{signal.key}@{tag}" if tag else signal.key
            if name in table:
                found = table[name]
                if found and set(found.get("not_for", ())) & set(signal.tags):
                    continue  # an entry that does not measure this kind of service ("not_for: [engine]")
                if found and found.get("only_for") and not set(found["only_for"]) & set(signal.tags):
                    continue  # an entry for one kind of service only ("only_for: [nohttp]")
                return {k: v for k, v in found.items() if k not in ("not_for", "only_for")} if found else None
        return None

    def metric(self, signal: Signal) -> Metric | None:
        found = self.entry(signal)
        return Metric(**found) if found else None

    def values(self, signal: Signal) -> dict[str, str]:
        """Everything a template may name: scope labels, signal labels and the catalogue's selectors."""
        out = {**self.scope.labels, **signal.labels}
        for name, by_tag in self.catalogue().get("_selectors", {}).items():
            for tag in (*self.scope.where, "default"):
                if tag in by_tag:
                    try:
                        out[name] = Template(by_tag[tag]).substitute(out)
                        break
                    except KeyError:
                        continue
        return out

    def render(self, signal: Signal) -> Command | None:
        """The alert query for `signal`, or None when this stack has no metric for it here."""
        metric = self.metric(signal)
        if metric is None:
            return None
        value = convert(signal.threshold.value, signal.threshold.unit, metric.unit)
        values = self.values(signal) | {"m": f"{signal.minutes or 5:g}", "window": f"{signal.minutes or 5:g}m"}
        if value is not None:
            values["t"] = f"{value:g}"
        try:
            query = Template(metric.query).substitute(values)
            metric = replace(metric, agg=Template(metric.agg).substitute(values))
        except KeyError:  # a name the scope or signal does not have: not expressible here
            return None
        if metric.source:
            self.sources.setdefault(metric.source, None)
        purpose = Template(metric.purpose).safe_substitute(values) if metric.purpose else signal.name
        if metric.source:
            purpose += f" ({metric.source})"
        return self.q(purpose, self.format(metric, signal, query, value), self.expect(signal, value is not None))

    def expect(self, signal: Signal, converted: bool) -> str:
        if self.compares and converted:
            return f"Healthy: no result (the threshold is in the query); firing means {signal.condition}"
        return f"Alert when {signal.condition}"


def _mentioned(text: str, source: str) -> bool:
    words = re.findall(r"[a-z][a-z0-9]+(?:[_-][a-z0-9]+)*", source.lower())
    head = next((w for w in words if "_" in w or "-" in w or w in ("yace", "jmx", "cwagent")), None)
    if head is None:
        return True  # nothing exporter-like to name ("your HTTP instrumentation"): said in the purpose
    variants = {head, head.replace("_", "-"), head.replace("-", "_")}
    return any(v in text.lower() for v in variants)


@cache
def _with_profiles(name: str, stack: str) -> Mapping[str, Any]:
    """The stack's catalogue and the technology profiles' queries for it (knowledge/profiles)."""
    from agent.knowledge.profiles import catalogue as profiled  # late: profiles load on first use

    own, extra = _load(name), profiled(stack)
    return {**extra, **own} if extra else own


@cache
def _load(name: str) -> Mapping[str, Any]:
    text = resources.files("agent.knowledge.monitoring").joinpath("metrics", name).read_text(encoding="utf-8")
    data = yaml.safe_load(text) or {}
    if not isinstance(data, dict):
        raise ValueError(f"metrics/{name}: expected a mapping")
    return data


def register(cls: type[Stack]) -> type[Stack]:
    """Make a stack answerable by its key (subclasses with a key are registered when defined)."""
    _REGISTRY[cls.key] = cls
    return cls


def unregister(key: str) -> None:
    """Forget a stack (tests that define one)."""
    _REGISTRY.pop(key, None)


@cache
def _load_plugins() -> None:
    from importlib.metadata import entry_points

    for point in entry_points(group="runbook_agent.stacks"):
        if point.name not in _REGISTRY:
            point.load()  # defining the class registers it


def registered() -> dict[str, type[Stack]]:
    """Every stack: the shipped ones and those of installed plugins (entry points `runbook_agent.stacks`)."""
    _load_plugins()
    return dict(_REGISTRY)


__all__ = ["Metric", "Stack", "register", "registered", "unregister"]
