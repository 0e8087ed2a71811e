"""Building one reader's partial `ServiceModel`, every value stamped with origin `repository`, its
`file:line` and the (redacted) text of that line.

    src = Source.of(root, path, text)
    part = Partial()
    web = part.component("web", src, 12, kind="service", form="container")
    part.name(web, "compose_service", "web", src, 12)
    model = part.model()          # a ServiceModel (service and platform assumed unless set)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.service.discover.vocabulary import redact
from agent.service.model import (
    AlertRule,
    Aspect,
    Component,
    Controller,
    Form,
    Kind,
    Label,
    Name,
    Person,
    PersonRole,
    Region,
    RegionRole,
    RelationKind,
    Relationship,
    Role,
    ServiceModel,
    Setting,
)

EVIDENCE_CHARS = 160
# What a static Helm render leaves where a value is only known at install time (.Release.Name …).
UNRESOLVED_OPEN, UNRESOLVED_CLOSE = "\u27ea", "\u27eb"


def unresolved(text: str) -> bool:
    """True when `text` holds a value only known at install time (never put in the model)."""
    return UNRESOLVED_OPEN in text


@dataclass(frozen=True)
class Source:
    """One file being read: its path relative to the repository root and its lines."""

    rel: str
    lines: tuple[str, ...]

    @classmethod
    def of(cls, rel: str, text: str) -> Source:
        return cls(rel, tuple(text.splitlines()))

    def at(self, line: int) -> str:
        return f"{self.rel}:{line}" if line > 0 else self.rel

    def evidence(self, line: int) -> str:
        if not 0 < line <= len(self.lines):
            return ""
        text = redact(self.lines[line - 1].strip())
        return text if len(text) <= EVIDENCE_CHARS else text[: EVIDENCE_CHARS - 1] + "…"

    @property
    def directory(self) -> str:
        parent = str(Path(self.rel).parent)
        return "" if parent == "." else parent


@dataclass
class Partial:
    """What one reader found. `model()` turns it into a `ServiceModel`."""

    components: list[Component] = field(default_factory=list)
    relationships: list[Relationship] = field(default_factory=list)
    alerts: list[AlertRule] = field(default_factory=list)
    people: list[Person] = field(default_factory=list)
    regions: list[Region] = field(default_factory=list)
    service_name: tuple[str, str, str] | None = None  # (name, evidence, at)
    environment: tuple[str, str, str] | None = None  # (kubernetes | docker | vm | serverless, evidence, at)
    cloud: tuple[str, str, str] | None = None

    # --- components ---------------------------------------------------------------------------
    def component(self, ident: str, src: Source, line: int, *, kind: Kind = "other", technology: str = "",
                  form: Form = "unknown", variant: str = "", version: str = "", purpose: str = "") -> Component:
        """The component `ident` (created on first use; later calls fill what it lacks)."""
        found = next((c for c in self.components if c.id == ident), None)
        if found is None:
            found = Component(id=ident, technology=technology, kind=kind, form=form, variant=variant,
                              version=version, purpose=purpose, names=[], settings=[], controllers=[], holds=[],
                              origin="repository", evidence=src.evidence(line), at=src.at(line))
            self.components.append(found)
            return found
        if technology and not found.technology:
            found.technology = technology
        if kind != "other" and found.kind in ("other", "service") and kind != found.kind and not found.technology:
            found.kind = kind
        if form != "unknown" and found.form == "unknown":
            found.form = form
        if variant and not found.variant:
            found.variant = variant
        if version and not found.version:
            found.version = version
        return found

    def name(self, component: Component, role: Role, value: Any, src: Source, line: int) -> None:
        text = str(value).strip() if value is not None else ""
        if not text or unresolved(text):
            return
        component.add_name(role, text, origin="repository", evidence=src.evidence(line), at=src.at(line))

    def setting(self, component: Component, key: str, value: Any, src: Source, line: int, unit: str = "") -> None:
        if value is None or str(value).strip() == "" or unresolved(str(value)):
            return
        text = str(value).strip().lower() if isinstance(value, bool) else str(value).strip()
        item = Setting(key=key, value=text, unit=unit, origin="repository", evidence=src.evidence(line),
                       at=src.at(line))
        component.settings = [*(s for s in component.settings if s.key != key), item]

    def controller(self, component: Component, aspect: Aspect, by: str, src: Source, line: int) -> None:
        item = Controller(aspect=aspect, by=by, origin="repository", evidence=src.evidence(line), at=src.at(line))
        component.controllers = [*(c for c in component.controllers if c.aspect != aspect), item]

    def relate(self, source: str, target: str, kind: RelationKind, src: Source, line: int, detail: str = "") -> None:
        if source == target:
            return
        if any(r.source == source and r.target == target and r.kind == kind for r in self.relationships):
            return
        self.relationships.append(Relationship(source=source, target=target, kind=kind, detail=detail,
                                               origin="repository", evidence=src.evidence(line), at=src.at(line)))

    # --- the rest ------------------------------------------------------------------------------
    def person(self, role: PersonRole, value: str, src: Source, line: int, qualifier: str = "") -> None:
        if not value or any(p.role == role and p.value == value for p in self.people):
            return
        self.people.append(Person(role=role, value=value, qualifier=qualifier, origin="repository",
                                  evidence=src.evidence(line), at=src.at(line)))

    def region(self, name: str, src: Source, line: int, role: RegionRole = "primary") -> None:
        if name and not any(r.name == name for r in self.regions):
            self.regions.append(Region(name=name, role=role, origin="repository", evidence=src.evidence(line),
                                       at=src.at(line)))

    def alert(self, src: Source, line: int, *, name: str, expr: str, duration: str, severity: str,
              labels: dict[str, str], summary: str, runbook_url: str, source_format: str) -> None:
        self.alerts.append(AlertRule(
            name=name, expr=expr, duration=duration, severity=severity,
            labels=[Label(key=k, value=v) for k, v in labels.items()], summary=summary, runbook_url=runbook_url,
            source_format=source_format, origin="repository", evidence=src.evidence(line), at=src.at(line)))

    def runs_on(self, environment: str, src: Source, line: int) -> None:
        if self.environment is None:
            self.environment = (environment, src.evidence(line), src.at(line))

    def on_cloud(self, cloud: str, src: Source, line: int) -> None:
        if self.cloud is None:
            self.cloud = (cloud, src.evidence(line), src.at(line))

    def names_service(self, name: str, src: Source, line: int) -> None:
        if self.service_name is None and name:
            self.service_name = (name, src.evidence(line), src.at(line))

    def extend(self, other: Partial) -> None:
        """Fold another reader's findings in (components with the same id are one component)."""
        for theirs in other.components:
            mine = next((c for c in self.components if c.id == theirs.id), None)
            if mine is None:
                self.components.append(theirs)
                continue
            absorb(mine, theirs)
        for rel in other.relationships:
            if not any((r.source, r.target, r.kind) == (rel.source, rel.target, rel.kind) for r in self.relationships):
                self.relationships.append(rel)
        self.alerts.extend(other.alerts)
        for person in other.people:
            if not any((p.role, p.value) == (person.role, person.value) for p in self.people):
                self.people.append(person)
        for region in other.regions:
            if not any(r.name == region.name for r in self.regions):
                self.regions.append(region)
        self.service_name = self.service_name or other.service_name
        self.environment = self.environment or other.environment
        self.cloud = self.cloud or other.cloud

    def model(self) -> ServiceModel:
        model = ServiceModel.empty()
        if self.service_name:
            name, evidence, at = self.service_name
            model.service = model.service.model_copy(update={
                "name": name, "display": name, "origin": "repository", "evidence": evidence, "at": at})
        if self.environment or self.cloud:
            env = self.environment or ("", "", "")
            cloud = self.cloud or ("", "", "")
            model.platform = model.platform.model_copy(update={
                "environment": env[0], "cloud": cloud[0], "origin": "repository",
                "evidence": env[1] or cloud[1], "at": env[2] or cloud[2]})
        model.components = list(self.components)
        ids = {c.id for c in self.components}
        model.relationships = [r for r in self.relationships if r.source in ids and r.target in ids]
        model.alerts = list(self.alerts)
        model.people = list(self.people)
        if self.regions:
            model.topology = model.topology.model_copy(update={"regions": list(self.regions)})
        return ServiceModel.model_validate(model.model_dump())


def absorb(mine: Component, theirs: Component) -> None:
    """`theirs` (the same component read from another file) folded into `mine`: names united, the
    first reading's settings and controllers kept, blanks filled."""
    for attr in ("technology", "variant", "version", "purpose"):
        if not getattr(mine, attr) and getattr(theirs, attr):
            setattr(mine, attr, getattr(theirs, attr))
    if mine.form == "unknown":
        mine.form = theirs.form
    if mine.kind == "other" and theirs.kind != "other":
        mine.kind = theirs.kind
    names: list[Name] = list(mine.names)
    for item in theirs.names:
        if not any(n.role == item.role and n.value == item.value for n in names):
            names.append(item)
    mine.names = names
    keys = {s.key for s in mine.settings}
    mine.settings = [*mine.settings, *(s for s in theirs.settings if s.key not in keys)]
    aspects = {c.aspect for c in mine.controllers}
    mine.controllers = [*mine.controllers, *(c for c in theirs.controllers if c.aspect not in aspects)]
    mine.holds = list(dict.fromkeys([*mine.holds, *theirs.holds]))
