"""What the user is shown and asked about a model before anything is written.

`summary(model)` is the compact picture `agent generate` prints (components, names by role, figures,
people, what was assumed). `points(model)` are the things worth a question: names the parser could
not bind, names it bound by a guess, and disagreements between sources (the description says
Kubernetes, `--env` says serverless). `settle(model, point, reply)` applies an answer: an empty
reply (Enter) accepts the suggestion. Without a terminal nothing is settled: the points stay in the
model as assumptions (unbound names, assumed values, unresolved conflicts) and are printed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agent.errors import UsageError
from agent.service.model import ROLES, Conflict, Name, ServiceModel

MAX_QUESTIONS = 12  # a terminal session asks at most this many; the rest are recorded


@dataclass(frozen=True)
class Point:
    kind: str  # "unbound", "guess", "conflict"
    subject: str  # the name, or the conflict's subject
    question: str  # one line, as asked
    suggestion: str  # what Enter accepts ("" = leave it as it is)
    component: str = ""
    role: str = ""
    values: tuple[str, ...] = ()


def summary(model: ServiceModel) -> list[str]:
    """A few lines: the service, each component with its names, figures, people, what was assumed."""
    s, p = model.service, model.platform
    where = "/".join(x for x in (p.environment, p.cloud) if x) or "platform not said"
    head = f"{s.display} ({s.name})" + "".join(f", {x}" for x in (s.kind, s.runtime) if x) + f"; {where}"
    lines = [f"service     {head}"]
    for c in model.components:
        what = c.technology or c.kind
        form = ", ".join(x for x in (c.form if c.form != "unknown" else "", c.variant, c.version and f"v{c.version}")
                         if x)
        names = _group(c.names)
        extra = [f"{x.key} {x.value}{x.unit}" for x in c.settings]
        extra += [f"{x.aspect} by {x.by}" for x in c.controllers]
        if c.holds:
            extra.append("holds " + ", ".join(c.holds))
        label = f"{c.id}" + (f" [{what}{', ' + form if form else ''}]" if what != c.id or form else "")
        body = " · ".join([*names, *extra]) or "(no names given)"
        lines.append(f"  {label}: {body}")
    if model.relationships:
        rels = [f"{r.source} {r.kind.replace('_', ' ')} {r.target}" for r in model.relationships
                if r.kind != "depends_on"]
        if rels:
            lines.append("relations   " + " · ".join(rels))
    if model.figures:
        lines.append("figures     " + " · ".join(
            f"{f.key.replace('_', ' ')}{' ' + f.qualifier if f.qualifier else ''} {f.value}{f.unit}"
            + (" (assumed)" if f.origin == "assumed" else "") for f in model.figures))
    if model.people:
        lines.append("people      " + " · ".join(
            f"{x.role} {x.value}{' ' + x.qualifier if x.qualifier else ''}" for x in model.people))
    if model.topology.regions or model.topology.sites:
        regions = [f"{g.name} ({g.role})" for g in model.topology.regions] + model.topology.sites
        mode = model.topology.mode if model.topology.mode not in ("unknown", "single") else ""
        lines.append("topology    " + (f"{mode}: " if mode else "") + ", ".join(regions))
    assumed = model.assumptions()
    if assumed:
        lines.append("assumed     " + assumed[0])
        lines += [f"            {line}" for line in assumed[1:]]
    return lines


def _group(names: list[Name]) -> list[str]:
    by_role: dict[str, list[str]] = {}
    for n in names:
        by_role.setdefault(n.role, []).append(n.value + ("?" if n.origin == "assumed" else ""))
    return [f"{role.replace('_', ' ')} {', '.join(values)}" for role, values in by_role.items()]


def points(model: ServiceModel) -> list[Point]:
    """Everything worth asking about, in the order of the model."""
    out: list[Point] = []
    for conflict in model.conflicts:
        if conflict.resolved_by:
            continue
        chosen = conflict.chosen or conflict.values[-1]
        shown = " / ".join(f"{v} ({src})" for v, src in zip(conflict.values, conflict.sources, strict=False))
        out.append(Point("conflict", conflict.subject, f"{conflict.subject}: {shown}. Which one?", chosen,
                         values=tuple(conflict.values)))
    for comp, name in model.all_names():
        if name.origin != "assumed" or not name.evidence.startswith("guessed:"):
            continue
        why = name.evidence.split(";", 1)[0].removeprefix("guessed:").strip()
        out.append(Point("guess", name.value, f"'{name.value}' read as the {name.role.replace('_', ' ')} of "
                         f"{comp.id} ({why}). Right?", f"{name.role} {comp.id}", comp.id, name.role))
    for item in model.unbound:
        guess = f"{item.guess_role} {item.guess_component}".strip() if item.guess_role else ""
        question = (f"'{item.text}' (in: \"{_short(item.evidence)}\") is not bound to anything. "
                    + (f"Is it the {item.guess_role.replace('_', ' ')} of {item.guess_component}?" if guess
                       else "What is it (a role like 'queue' or 'host', Enter to leave it out)?"))
        out.append(Point("unbound", item.text, question, guess, item.guess_component, item.guess_role))
    return out


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def settle(model: ServiceModel, point: Point, reply: str) -> ServiceModel:
    """Apply the user's reply to one point; "" accepts the suggestion, "-" leaves the name out.

    A role reply is "ROLE" or "ROLE COMPONENT" ("queue", "host pgbouncer"); a conflict takes one of its
    values (or its number).
    """
    answer = reply.strip() or point.suggestion
    data = model.model_copy(deep=True)
    if point.kind == "conflict":
        chosen = _conflict_choice(point, answer)
        conflicts = [c.model_copy(update={"chosen": chosen, "resolved_by": "user"}) if c.subject == point.subject
                     and not c.resolved_by else c for c in data.conflicts]
        data = data.model_copy(update={"conflicts": conflicts})
        if point.subject == "platform.environment":
            data.platform = data.platform.model_copy(update={"environment": chosen, "origin": "confirmed",
                                                             "evidence": f"chosen by the user: {chosen}"})
        else:
            _apply_choice(data, point.subject, chosen)
        return ServiceModel.model_validate(data.model_dump())
    if point.kind == "guess":
        target = data.component(point.component)
        if target is None:
            return model
        kept = [n for n in target.names if not (n.value == point.subject and n.role == point.role)]
        target.names = kept
        if answer == "-":
            return ServiceModel.model_validate(data.model_dump())
        role, comp = _role_reply(answer, point, data)
        (data.component(comp) or target).add_name(role, point.subject, "confirmed",  # type: ignore[arg-type]
                                                  "confirmed by the user")
        return ServiceModel.model_validate(data.model_dump())
    # unbound
    if not answer or answer == "-":
        return model
    role, comp = _role_reply(answer, point, data)
    target = data.component(comp) or data.app
    if target is None:
        return model
    target.add_name(role, point.subject, "confirmed", "placed by the user")  # type: ignore[arg-type]
    data.unbound = [u for u in data.unbound if u.text != point.subject]
    return ServiceModel.model_validate(data.model_dump())


_SUBJECT = re.compile(r"^components\[(?P<id>[^\]]+)\]\.(?P<part>\w+)(?:\.(?P<key>\w+))?$")


def _apply_choice(model: ServiceModel, subject: str, chosen: str) -> None:
    """Make the value a conflict's subject holds the one the user chose (merging kept the stronger
    source's value; the user may have picked the other). The value is marked confirmed."""
    mark = {"origin": "confirmed", "evidence": f"chosen by the user: {chosen}"}
    if subject == "service.name":
        if model.service.name != chosen:
            model.service = model.service.model_copy(update={"name": chosen, "display": chosen, **mark})
        return
    if subject == "platform.cloud":
        model.platform = model.platform.model_copy(update={"cloud": chosen, **mark})
        return
    head, _, key = subject.partition(".")
    if head == "figures":
        figure = next((f for f in model.figures if f.key == key), None)
        if figure is not None and figure.value + figure.unit != chosen:
            value, unit = _split_unit(chosen, figure.unit)
            model.figures = [f.model_copy(update={"value": value, "unit": unit, **mark}) if f is figure else f
                             for f in model.figures]
        return
    if head == "people":
        model.people = [p.model_copy(update={"value": chosen, **mark}) if p.role == key and p.value != chosen
                        else p for p in model.people]
        return
    found = _SUBJECT.match(subject)
    component = model.component(found.group("id")) if found else None
    if found is None or component is None:
        return
    part, key = found.group("part"), found.group("key") or ""
    if part in ("form", "variant"):
        setattr(component, part, chosen)
    elif part == "names":
        current = component.name_item(key)
        if current is not None and current.value != chosen:
            component.names = [n.model_copy(update={"value": chosen, **mark}) if n is current else n
                                for n in component.names]
    elif part == "settings":
        setting = component.setting(key)
        if setting is not None and setting.value + setting.unit != chosen:
            value, unit = _split_unit(chosen, setting.unit)
            component.settings = [x.model_copy(update={"value": value, "unit": unit, **mark}) if x is setting
                                  else x for x in component.settings]
    elif part == "controllers":
        component.controllers = [c.model_copy(update={"by": chosen, **mark}) if c.aspect == key else c
                                 for c in component.controllers]


def _split_unit(text: str, unit: str) -> tuple[str, str]:
    """"30s" -> ("30", "s"): a conflict shows a value and its unit as one string."""
    if unit and text.endswith(unit) and text != unit:
        return text[: -len(unit)], unit
    found = re.match(r"^(-?\d+(?:\.\d+)?)\s*([A-Za-z%]+)$", text)
    return (found.group(1), found.group(2)) if found else (text, "")


def _role_reply(answer: str, point: Point, model: ServiceModel) -> tuple[str, str]:
    parts = answer.replace(",", " ").split()
    role = parts[0].lower().replace("-", "_").replace(" ", "_")
    if role not in ROLES:
        raise UsageError(f"{parts[0]!r} is not a role", hint="e.g. queue, topic, host, database, namespace, bucket")
    comp = parts[1] if len(parts) > 1 else point.component
    if comp and model.component(comp) is None:
        raise UsageError(f"no component {comp!r}",
                         hint="components: " + ", ".join(c.id for c in model.components))
    return role, comp or (model.app.id if model.app else "")


def _conflict_choice(point: Point, answer: str) -> str:
    if answer.isdigit() and 1 <= int(answer) <= len(point.values):
        return point.values[int(answer) - 1]
    for value in point.values:
        if value.lower() == answer.lower():
            return value
    raise UsageError(f"{answer!r} is not one of {', '.join(point.values)}", hint="type one of them, or Enter")


def flag_conflict(model: ServiceModel, subject: str, described: str, evidence: str, flag: str,
                  value: str) -> ServiceModel:
    """Record that a flag contradicts the description; the flag is followed until the user says otherwise."""
    conflict = Conflict(subject=subject, values=[described, value],
                        sources=[f"description ('{evidence}')" if evidence else "description", f"--{flag}"],
                        chosen=value, resolved_by="")
    return model.model_copy(update={"conflicts": [*model.conflicts, conflict]})
