"""The `Runbook` model: every part of the rule's runbook structure, validated before anything is written.

Shaped for both providers' strict structured output (see shared/docs/llm-notes.md): every model
forbids extra keys, every field is required with no default, "optional" is `X | None`, no dicts,
enums are Literals, constraints live in validators (so their messages can feed a repair loop).

Each top-level field of `Runbook` is a section model that validates on its own, so a model client
can generate, validate and repair one section at a time (`SECTIONS`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, model_validator

from agent.checks.placeholders import find_placeholders
from agent.checks.shell import syntax_errors

Criticality = Literal["Critical", "High", "Medium", "Low"]
Severity = Literal["Critical", "Warning", "Info"]
# The fence tag a command is rendered with; the checks pick their parser from it.
Language = Literal["bash", "sql", "promql", "nrql", "datadog", "cloudwatch", "redis", "yaml", "text"]

_DIGIT = re.compile(r"\d")
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}( \d{2}:\d{2})?$")


def _non_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value.strip()


def _has_number(value: str) -> str:
    value = _non_blank(value)
    if not _DIGIT.search(value):
        raise ValueError(f"must carry a number (a threshold like '> 80%'), got {value!r}")
    return value


Text = Annotated[str, AfterValidator(_non_blank)]
Threshold = Annotated[str, AfterValidator(_has_number)]


def _at_least(n: int, what: str) -> Any:
    def check(items: list[Any]) -> list[Any]:
        if len(items) < n:
            raise ValueError(f"needs at least {n} {what}, got {len(items)}")
        return items

    return AfterValidator(check)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Command(Strict):
    """One command as data: what it does, the code, and what the reader should see."""

    purpose: Text
    language: Language
    code: Text
    expect: str | None  # what a healthy result looks like / what to do next
    warning: str | None  # for destructive commands: blast radius and a safer alternative


@lru_cache(maxsize=512)
def _syntax_errors(snippets: tuple[str, ...]) -> dict[int, str]:
    """`bash -n` of a section's commands, once per distinct content: validating a runbook again (the
    pipeline's whole-runbook step, a revision's) does not run bash again for sections it already passed."""
    return syntax_errors(list(snippets))


class Section(Strict):
    """A section validates its own commands, so a section can be repaired without the rest."""

    @model_validator(mode="after")
    def _commands_are_valid(self) -> Section:
        commands = list(iter_commands(self))
        problems: list[str] = []
        shell = [c.code for c in commands if c.language == "bash"]
        for index, message in _syntax_errors(tuple(shell)).items():
            problems.append(f"bash -n fails for {shell[index].splitlines()[0]!r}: {message}")
        for command in commands:
            if command.language in ("bash", "sql", "redis"):
                for placeholder in find_placeholders(command.code):
                    problems.append(
                        f"placeholder {placeholder!r} in {command.code.splitlines()[0]!r}: "
                        "declare a shell variable (NAME=...) and use \"$NAME\" instead"
                    )
        if problems:
            raise ValueError("; ".join(problems))
        return self


def iter_commands(node: Any) -> Iterator[Command]:
    """Every `Command` inside a model, in document order."""
    if isinstance(node, Command):
        yield node
    elif isinstance(node, BaseModel):
        for name in type(node).model_fields:
            yield from iter_commands(getattr(node, name))
    elif isinstance(node, list):
        for item in node:
            yield from iter_commands(item)


# --- header -------------------------------------------------------------------------------------


class Header(Section):
    service_name: Text
    version: Text
    last_updated: str  # YYYY-MM-DD HH:MM
    authors: Annotated[list[Text], _at_least(1, "author")]
    owner: Text
    criticality: Criticality
    on_call: Text

    @model_validator(mode="after")
    def _timestamp(self) -> Header:
        if not _TIMESTAMP.match(self.last_updated):
            raise ValueError(f"last_updated must be 'YYYY-MM-DD HH:MM', got {self.last_updated!r}")
        return self


# --- 1. service overview ------------------------------------------------------------------------


class SLO(Strict):
    availability_target_pct: float
    allowed_downtime_minutes_per_month: float
    latency_p95_ms: float
    error_rate_pct: float

    @model_validator(mode="after")
    def _budget(self) -> SLO:
        if not 0 < self.availability_target_pct < 100:
            raise ValueError("availability_target_pct must be between 0 and 100 (e.g. 99.9)")
        expected = allowed_downtime_minutes(self.availability_target_pct)
        if abs(self.allowed_downtime_minutes_per_month - expected) > max(0.5, expected * 0.02):
            raise ValueError(
                f"allowed_downtime_minutes_per_month must be {expected:.1f} for "
                f"{self.availability_target_pct}% over 30 days, got {self.allowed_downtime_minutes_per_month}"
            )
        if self.latency_p95_ms <= 0 or not 0 < self.error_rate_pct < 100:
            raise ValueError("latency_p95_ms must be positive and error_rate_pct between 0 and 100")
        return self


def allowed_downtime_minutes(availability_pct: float, days: int = 30) -> float:
    """Error budget: 99.9% over 30 days allows 43.2 minutes."""
    return round(days * 24 * 60 * (100 - availability_pct) / 100, 1)


class KeyMetric(Strict):
    metric: Text
    normal_range: Text
    alert_threshold: Threshold
    dashboard: Text


class ServiceOverview(Section):
    purpose: Text
    business_impact: Text
    slo: SLO
    key_metrics: Annotated[list[KeyMetric], _at_least(3, "key metrics")]
    prerequisites: Annotated[list[Text], _at_least(1, "prerequisite (CLIs and access the reader needs)")]


# --- 2. architecture ----------------------------------------------------------------------------


class Component(Strict):
    name: Text
    technology: Text
    version: Text
    location: Text
    purpose: Text


class Setting(Strict):
    name: Text
    description: Text


class Configuration(Strict):
    environment_variables: Annotated[list[Setting], _at_least(1, "environment variable")]
    config_files: Annotated[list[Text], _at_least(1, "config file")]
    secrets_management: Text
    feature_flags: Text


class Architecture(Section):
    diagram: Text
    components: Annotated[list[Component], _at_least(1, "component")]
    configuration: Configuration


# --- 3. dependencies ----------------------------------------------------------------------------


class Upstream(Strict):
    service: Text
    purpose: Text
    criticality: Criticality
    fallback: Text


class Downstream(Strict):
    service: Text
    impact: Text


class Dependencies(Section):
    upstream: Annotated[list[Upstream], _at_least(1, "upstream dependency")]
    downstream: Annotated[list[Downstream], _at_least(1, "downstream dependency")]


# --- 4. deployment ------------------------------------------------------------------------------


class Deployment(Section):
    pre_deploy: Annotated[list[Command], _at_least(1, "pre-deployment check")]
    deploy: Annotated[list[Command], _at_least(1, "deployment command")]
    post_deploy: Annotated[list[Command], _at_least(1, "post-deployment check")]
    rollback: Annotated[list[Command], _at_least(1, "rollback command")]
    caveats: list[Text]  # traps that change how a deploy or rollback behaves (GitOps, migrations)


# --- 5. monitoring & alerts ---------------------------------------------------------------------


class Dashboard(Strict):
    name: Text
    location: Text  # a URL the user gave, or a clearly marked "fill in" note; never an invented URL


class Alert(Strict):
    name: Text
    condition: Threshold  # number + duration, e.g. "> 1% for 5 min"
    query: Command
    severity: Severity
    response: Text


class Monitoring(Section):
    dashboards: Annotated[list[Dashboard], _at_least(1, "dashboard")]
    alerts: Annotated[list[Alert], _at_least(3, "alerts")]
    log_queries: Annotated[list[Command], _at_least(1, "log query")]

    @model_validator(mode="after")
    def _unique_alerts(self) -> Monitoring:
        names = [a.name for a in self.alerts]
        if len(names) != len(set(names)):
            raise ValueError("alert names must be unique")
        return self


# --- 6. troubleshooting -------------------------------------------------------------------------


class Step(Strict):
    action: Text
    command: Command | None


class Issue(Strict):
    title: Text
    symptoms: Text
    alert: str | None  # the alert that leads here, by name
    check: Annotated[list[Command], _at_least(1, "check command")]
    fix: Annotated[list[Step], _at_least(1, "fix step")]
    verify: Text  # a pass condition and a time window
    escalate: Text


class Troubleshooting(Section):
    issues: Annotated[list[Issue], _at_least(3, "troubleshooting entries")]


SERVICE_DOWN = "Service is Down"  # the emergency procedure an alert may lead to instead of an entry
KNOWN_FAILURE = "Known failure: "  # the title prefix of an entry written from the team's own failure


def name_key(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def suggested(alert: Alert) -> bool:
    """A row the engine suggests, not an alert the team has ("… (suggested)", "Suggested: …")."""
    return alert.name.endswith(" (suggested)") or alert.response.startswith("Suggested")


def alert_entries(alerts: list[Alert], issues: list[Issue]) -> dict[str, str | None]:
    """Alert name -> the title of the troubleshooting entry that answers it (`SERVICE_DOWN` for the
    emergency procedure), or None.

    An entry answers an alert when it names it (`Issue.alert`); otherwise the alert's response names
    the entry by its title, or the Service is Down procedure."""
    by_alert = {name_key(i.alert): i.title for i in reversed(issues) if i.alert}
    titles = sorted((i.title for i in issues), key=len, reverse=True)
    out: dict[str, str | None] = {}
    for alert in alerts:
        title = by_alert.get(name_key(alert.name))
        if title is None:
            title = next((t for t in titles if t.lower() in alert.response.lower()), None)
        if title is None and SERVICE_DOWN.lower() in alert.response.lower():
            title = SERVICE_DOWN
        out[alert.name] = title
    return out


# --- 7. emergency procedures --------------------------------------------------------------------


class Escalation(Strict):
    after_minutes: int
    action: Text


class ServiceDown(Strict):
    immediate: Annotated[list[Command], _at_least(1, "immediate action")]
    if_restart_fails: Annotated[list[Command], _at_least(1, "command for when a restart does not help")]
    escalation: Annotated[list[Escalation], _at_least(3, "escalation steps")]


class DataCorruption(Strict):
    stop_writes: Annotated[list[Command], _at_least(1, "command that stops writes")]
    assess: Annotated[list[Command], _at_least(1, "assessment command")]
    restore: Annotated[list[Command], _at_least(1, "restore command")]


class Emergency(Section):
    service_down: ServiceDown
    data_corruption: DataCorruption
    communication: Annotated[list[Text], _at_least(1, "incident communication step")]

    @model_validator(mode="after")
    def _escalation_times(self) -> Emergency:
        times = [e.after_minutes for e in self.service_down.escalation]
        if any(t < 0 for t in times) or times != sorted(times):
            raise ValueError("service_down.escalation after_minutes must be non-negative and increasing")
        return self


# --- 8. maintenance -----------------------------------------------------------------------------


class Maintenance(Section):
    daily: Annotated[list[Text], _at_least(1, "daily task")]
    weekly: Annotated[list[Text], _at_least(1, "weekly task")]
    monthly: Annotated[list[Text], _at_least(1, "monthly task")]
    commands: Annotated[list[Command], _at_least(1, "maintenance command")]


# --- 9. disaster recovery -----------------------------------------------------------------------


class Backup(Strict):
    frequency: Text
    retention: Text
    location: Text


class Procedure(Strict):
    title: Text
    commands: Annotated[list[Command], _at_least(1, "command")]


class DisasterRecovery(Section):
    backup: Backup
    rto_minutes: int
    rpo_minutes: int
    procedures: Annotated[list[Procedure], _at_least(1, "recovery procedure")]

    @model_validator(mode="after")
    def _objectives(self) -> DisasterRecovery:
        if self.rto_minutes <= 0 or self.rpo_minutes < 0:
            raise ValueError("rto_minutes must be positive and rpo_minutes non-negative")
        return self


# --- 10. contacts -------------------------------------------------------------------------------


class EscalationLevel(Strict):
    level: Text
    contact: Text
    method: Text
    when: Text
    after_minutes: int


class Person(Strict):
    role: Text
    name: Text
    contact: Text
    timezone: Text


class Vendor(Strict):
    vendor: Text
    purpose: Text
    support_contact: Text
    account: Text


class Contacts(Section):
    escalation: Annotated[list[EscalationLevel], _at_least(3, "escalation levels")]
    personnel: Annotated[list[Person], _at_least(1, "person")]
    vendors: list[Vendor]

    @model_validator(mode="after")
    def _time_bounds(self) -> Contacts:
        times = [level.after_minutes for level in self.escalation]
        if any(t < 0 for t in times) or times != sorted(times) or len(set(times)) < 3:
            raise ValueError(
                "escalation levels need increasing after_minutes time bounds (e.g. 0, 15, 30)"
            )
        return self


# --- appendix and history -----------------------------------------------------------------------


class Link(Strict):
    title: Text
    location: Text


class Appendix(Section):
    cheatsheet: Annotated[list[Command], _at_least(1, "cheatsheet command")]
    related_docs: Annotated[list[Link], _at_least(1, "related document")]


class Revision(Strict):
    version: Text
    date: Text
    changes: Text
    author: Text


class Runbook(Strict):
    header: Header
    assumptions: list[Text]  # answers the agent inferred rather than was told
    service_overview: ServiceOverview
    architecture: Architecture
    dependencies: Dependencies
    deployment: Deployment
    monitoring: Monitoring
    troubleshooting: Troubleshooting
    emergency: Emergency
    maintenance: Maintenance
    disaster_recovery: DisasterRecovery
    contacts: Contacts
    appendix: Appendix
    revision_history: Annotated[list[Revision], _at_least(1, "revision")]

    def commands(self) -> list[Command]:
        return list(iter_commands(self))


# The sections a model client generates one call each, in the rule's order.
SECTIONS: dict[str, type[BaseModel]] = {
    name: info.annotation
    for name, info in Runbook.model_fields.items()
    if isinstance(info.annotation, type) and issubclass(info.annotation, Section)
}


def json_schema() -> dict[str, Any]:
    return Runbook.model_json_schema()


def schema_text() -> str:
    """The text of schemas/runbook.schema.json; a test fails when the file is stale."""
    return json.dumps(json_schema(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":  # python -m agent.runbook > schemas/runbook.schema.json
    print(schema_text(), end="")
