"""Corrections to a model in plain words ("the consumer group is called billing-sync", "there are four
worker VMs, w-1..w-4") and the other small amendments a conversation makes (a new name, more text).

A correction is read by the same parser as the description, in the context of the model it corrects
(so a consumer group lands on its Kafka component), and folded in with origin `edited`: for every
component and role the correction speaks of, its values replace the model's (four hosts means these
four, not these four as well).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agent.service.merge import merge
from agent.service.model import ServiceModel
from agent.service.text import parse


@dataclass(frozen=True)
class Corrected:
    model: ServiceModel
    changes: list[str]  # "components[kafka].names.consumer_group = 'billing-sync'", one per value set

    @property
    def summary(self) -> str:
        """One short line: "kafka consumer group billing-sync; app host w-3, w-4, replicas 4"."""
        grouped: dict[str, dict[str, list[str]]] = {}
        for change in self.changes:
            path, _, value = change.partition(" = ")
            m = re.match(r"components\[([^\]]+)\]\.(?:names|settings)\.(\w+)", path)
            where, what = (m.group(1), m.group(2)) if m else ("", path)
            grouped.setdefault(where, {}).setdefault(what.replace("_", " "), []).append(value.strip("'"))
        return "; ".join(f"{where} " + ", ".join(f"{what} {', '.join(values)}" for what, values in roles.items())
                         for where, roles in grouped.items())


def correct(model: ServiceModel, sentence: str, *, origin: str = "edited") -> Corrected:
    """`model` with what `sentence` says folded in. No change when the sentence names nothing."""
    said = parse(sentence, context=model)
    said = _stamp(said, origin, sentence)
    said_parts = said.model_copy(update={"service": model.service, "platform": model.platform})
    base = model.model_copy(deep=True)
    # The correction's values replace the model's for each (component, role) it names.
    said_by_tech = {(c.technology, c.kind == "service"): c for c in said.components}
    for comp in base.components:
        theirs = said_by_tech.get((comp.technology, comp.kind == "service"))
        if theirs is None:
            continue
        roles = {n.role for n in theirs.names}
        comp.names = [n for n in comp.names if n.role not in roles]
        keys = {s.key for s in theirs.settings}
        comp.settings = [s for s in comp.settings if s.key not in keys]
    merged = merge(base, said_parts, label=("model", "correction"))
    merged = merged.model_copy(update={"conflicts": [c.model_copy(update={"resolved_by": "user"})
                                                     if "correction" in " ".join(c.sources) else c
                                                     for c in merged.conflicts]})
    before = {(p.path, p.value, p.origin) for p in model.sourced()}
    changes = [f"{p.path} = {p.value!r}" for p in merged.sourced()
               if p.origin == origin and (p.path, p.value, p.origin) not in before
               and not p.path.startswith("service.")]
    bound = {n.value for _, n in merged.all_names()}
    merged = merged.model_copy(update={"unbound": [u for u in merged.unbound if u.text not in bound]})
    return Corrected(ServiceModel.model_validate(merged.model_dump()), changes)


def name_correction(model: ServiceModel, sentence: str) -> Corrected | None:
    """The correction when `sentence` names something of the service ("the consumer group is called
    billing-sync", "there are four worker VMs, w-1..w-4"), else None (an edit for the runbook itself,
    "escalate after 10 minutes", is left to the reviser)."""
    fixed = correct(model, sentence)
    if any(".names." in change or ".settings." in change for change in fixed.changes):
        return fixed
    return None


def renamed(model: ServiceModel, name: str, display: str | None = None) -> ServiceModel:
    """The model with the service's name set by the user."""
    from agent.knowledge.facts import slugify  # the one slug rule the engine uses

    service = model.service.model_copy(update={"name": slugify(name) or model.service.name,
                                               "display": display or name, "origin": "edited",
                                               "evidence": f"named by the user: {name}"})
    return model.model_copy(update={"service": service})


def _stamp(model: ServiceModel, origin: str, sentence: str) -> ServiceModel:
    """Every value the correction gives carries its origin and the user's words."""
    data = model.model_dump()
    for comp in data["components"]:
        for key in ("names", "settings", "controllers"):
            for item in comp[key]:
                item["origin"], item["evidence"] = origin, sentence
        comp["origin"] = origin if comp["names"] or comp["settings"] else comp["origin"]
    for key in ("relationships", "figures", "people"):
        for item in data[key]:
            item["origin"], item["evidence"] = origin, sentence
    for region in data["topology"]["regions"]:
        region["origin"], region["evidence"] = origin, sentence
    # relationships the parser adds by default (depends_on on every component) say nothing new
    data["relationships"] = [r for r in data["relationships"] if r["kind"] != "depends_on"]
    # components the correction does not give anything to stay out
    keep = {c["id"] for c in data["components"] if c["names"] or c["settings"] or c["controllers"] or c["holds"]}
    keep.add("app")
    data["components"] = [c for c in data["components"] if c["id"] in keep]
    data["relationships"] = [r for r in data["relationships"] if r["source"] in keep and r["target"] in keep]
    return ServiceModel.model_validate(data)
