"""Technology profiles: what an operator knows about a technology no pack covers, as reviewable data.

One YAML file per technology under `data/` (ports, read-only health and status commands, logs, metrics,
the restart rule, the main failure modes with a triage entry each, and the verbs that are dangerous),
validated by the pydantic models below when first loaded, then cached. `packs/profiled.py` renders a
profile through the platform abstraction (a host service, a container, an in-cluster workload), with
the names of the service model, both where the technology is a dependency and where it is the service.

Commands are written as an operator types them on a member (`run`, `where: member`), from the
operator's machine against a member's address (`where: outside`, `{host}` stands for it; for images
without a shell or curl), or from the operator's machine with its own client (`where: operator`).
A profile never carries a name of a service: names come from the model.

`http` says whether the technology itself serves HTTP requests as an application does: `none` (a data
store, a coordinator: generic HTTP-app templates never apply), `admin` (an HTTP API for clients or
operators that is not a request-serving app: no 5xx/latency app templates either) or `proxy` (it
forwards HTTP requests: request signals apply, measured with its own metrics, not an app's).
`serves_http(technology)` answers it for other contributors (None: no profile).
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from agent.errors import UsageError

Where = Literal["member", "outside", "operator"]
Scope = Literal["each", "one"]


class ProfileError(UsageError):
    """A profile file that does not validate."""


class _Closed(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Port(_Closed):
    port: int
    what: str


class Probe(_Closed):
    """One read-only command: `each` member's own view, or `one` member's view of the whole cluster."""

    id: str
    purpose: str
    run: str
    expect: str
    where: Where = "member"
    scope: Scope = "each"
    port: int | None = None  # the port an `outside` probe reaches (a Kubernetes port-forward needs it)


class Metric(_Closed):
    name: str
    what: str


class Metrics(_Closed):
    exporter: str  # what exposes them, and on which port
    origin: Literal["documented", "assumed"]  # assumed: names differ between exporters / releases
    names: list[Metric]


class Logs(_Closed):
    unit: str  # the systemd unit the package installs (conventional: the model's `unit` name wins)
    container: str  # the conventional container / compose service name (the model's names win)
    errors: str  # a regex of the lines worth reading first


class Restart(_Closed):
    quorum: str | None = None  # row of platforms/quorum.QUORUM, when the members elect a leader
    rule: str  # the restart rule in one sentence (one member at a time, leader last, wait healthy)
    healthy: str  # probe id that says a restarted member is back


class Failure(_Closed):
    id: str
    title: str
    symptom: str
    checks: list[str]  # probe ids, in the order to run them
    mitigation: list[str]  # safe steps, in order
    never: list[str]  # what not to do, with why
    covers: str | None = None  # the engine's entry it stands for (knowledge/covers.py keys)


class Query(_Closed):
    """How one monitoring stack measures a signal (a catalogue entry, as in monitoring/metrics/*.yaml)."""

    query: str
    unit: str = ""
    purpose: str = ""
    agg: str = "avg"


class SignalSpec(_Closed):
    """What to alert on when the technology is the service; stacks without a query use the probe."""

    key: str  # a signal key of its own ("vault.sealed")
    name: str
    measure: str
    value: float
    op: Literal[">", "<"] = ">"
    unit: str = ""
    minutes: float
    severity: Literal["Critical", "Warning"]
    failure: str  # the failure entry that responds (its id)
    queries: dict[str, Query] = {}  # monitoring stack key -> its query


class Danger(_Closed):
    verb: str
    why: str


class Profile(_Closed):
    id: str
    display: str
    technologies: list[str]  # the service model's technology ids it covers
    http: Literal["none", "admin", "proxy"]
    summary: str
    ports: list[Port]
    tools: list[str]
    env: list[str] = []  # environment variables the CLIs read (addresses, tokens), for the prerequisites
    probes: list[Probe]
    logs: Logs
    metrics: Metrics
    restart: Restart
    failures: list[Failure]
    signals: list[SignalSpec] = []
    dangerous: list[Danger]

    @model_validator(mode="after")
    def _consistent(self) -> Profile:
        ids = [p.id for p in self.probes]
        if len(set(ids)) != len(ids):
            raise ValueError(f"{self.id}: two probes share an id")
        for failure in self.failures:
            missing = [c for c in failure.checks if c not in ids]
            if missing:
                raise ValueError(f"{self.id}: failure {failure.id!r} checks unknown probes {missing}")
        failures = {f.id for f in self.failures}
        for signal in self.signals:
            if signal.failure not in failures:
                raise ValueError(f"{self.id}: signal {signal.key!r} answers unknown failure {signal.failure!r}")
        if self.restart.healthy not in ids:
            raise ValueError(f"{self.id}: restart.healthy {self.restart.healthy!r} is not a probe")
        for probe in self.probes:
            if probe.where == "outside" and "{host}" not in probe.run:
                raise ValueError(f"{self.id}: outside probe {probe.id!r} has no {{host}}")
            for danger in self.dangerous:  # a status command is never one of the dangerous verbs
                if re.search(rf"(?<![\w-]){re.escape(danger.verb)}(?![\w-])", probe.run):
                    raise ValueError(f"{self.id}: probe {probe.id!r} runs the dangerous verb {danger.verb!r}")
        if self.restart.quorum is not None:
            from agent.knowledge.platforms.quorum import QUORUM  # late: platforms import this module

            if self.restart.quorum not in QUORUM:
                raise ValueError(f"{self.id}: restart.quorum {self.restart.quorum!r} is not a quorum row")
        return self

    def probe(self, ident: str) -> Probe:
        return next(p for p in self.probes if p.id == ident)


# libyaml's safe loader when it is there: ten times faster than the pure-Python one on these files
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _files() -> list[tuple[str, str]]:
    folder = resources.files(__package__).joinpath("data")
    return sorted((f.name, f.read_text(encoding="utf-8")) for f in folder.iterdir() if f.name.endswith(".yaml"))


@cache
def profiles() -> tuple[Profile, ...]:
    """Every profile, validated; a file that does not validate stops the load with its name."""
    found: list[Profile] = []
    for name, text in _files():
        try:
            found.append(Profile.model_validate(yaml.load(text, Loader=_LOADER)))  # noqa: S506 - a safe loader
        except (ValidationError, yaml.YAMLError) as exc:
            raise ProfileError(f"technology profile {name} is not valid: {exc}",
                               hint="fix the file (schema: agent/knowledge/profiles/__init__.py)") from None
    seen: dict[str, str] = {}
    for profile in found:
        for tech in profile.technologies:
            if tech in seen:
                raise ProfileError(f"technology {tech!r} has two profiles ({seen[tech]}, {profile.id})")
            seen[tech] = profile.id
    return tuple(found)


@cache
def profile_for(technology: str) -> Profile | None:
    """The profile covering the model's technology id, or None."""
    tech = technology.lower()
    return next((p for p in profiles() if tech in p.technologies), None)


@cache
def catalogue(stack: str) -> dict[str, dict[str, str]]:
    """The profiles' queries for one monitoring stack, as its catalogue entries (signal key -> entry)."""
    out: dict[str, dict[str, str]] = {}
    for profile in profiles():
        source = profile.metrics.exporter.split(" (")[0] + (" (names assumed)" if profile.metrics.origin == "assumed"
                                                             else "")
        for signal in profile.signals:
            found = signal.queries.get(stack)
            if found is not None:
                out[signal.key] = {"query": found.query, "unit": found.unit, "purpose": found.purpose or signal.name,
                                   "agg": found.agg, "source": source}
    return out


def serves_http(technology: str) -> bool | None:
    """Whether the technology serves HTTP requests as an application does (generic HTTP-app templates
    apply): False for every profiled technology, None when no profile covers it (the caller decides)."""
    profile = profile_for(technology) if technology else None
    return None if profile is None else False


def default_unit(technology: str) -> str | None:
    """The systemd unit the technology's package installs, per its profile (conventional)."""
    profile = profile_for(technology) if technology else None
    return profile.logs.unit if profile is not None else None


__all__ = ["Danger", "Failure", "Metric", "Metrics", "Probe", "Profile", "ProfileError", "Query", "SignalSpec",
           "catalogue", "default_unit", "profile_for", "profiles", "serves_http"]
