"""Merging two readings of one service (description + repository, offline parse + LLM, model + correction).

The stronger origin wins a single-valued slot (a namespace, a figure, the team); where two sources that
both *know* (given, repository, confirmed, edited) disagree, the disagreement is kept as a `Conflict`
for the user to settle (asked on a terminal, recorded as an assumption otherwise). Multi-valued slots
(hosts, queues, regions, escalation contacts …) are unions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from agent.service.model import (
    Component,
    Conflict,
    FailureMode,
    Name,
    Origin,
    ServiceModel,
    Sourced,
)

# Higher wins. A user's edit beats everything; an assumption loses to anything that knows.
RANK: dict[str, int] = {"assumed": 0, "llm": 1, "given": 2, "repository": 3, "confirmed": 4, "edited": 5}
_KNOWING = {"given", "repository", "confirmed", "edited"}

# Roles a component has one value of; every other role may hold several (hosts, queues, topics …).
SINGLE_VALUED = frozenset({
    "namespace", "cluster", "context", "release", "chart", "argocd_app", "compose_file", "compose_project",
    "global_cluster", "replication_group", "stanza", "replica_set", "project", "resource_group", "account",
    "health_path", "zone", "hpa", "task_definition", "ecs_service", "selector",
})
_SINGLE_PEOPLE = frozenset({"team", "pager", "rotation", "manager", "hours", "secondary"})

S = TypeVar("S", bound=Sourced)


def stronger(a: Origin | str, b: Origin | str) -> bool:
    """True when origin `b` should replace `a`."""
    return RANK.get(b, 0) > RANK.get(a, 0)


def merge(base: ServiceModel, other: ServiceModel, *, label: tuple[str, str] = ("description", "other"),
          peer: bool = False) -> ServiceModel:
    """`other` folded into `base` (neither is changed). `label` names the two sources in conflicts.

    `peer`: `other` is a second reading of the same words (an LLM's, origin `llm`). Its values then
    count as knowing, so where it disagrees with the parse the disagreement is a conflict (the parse's
    value is kept until the user says otherwise); a component matches the only one of its technology
    whatever kind each reading gave it; a guess of the parse that the LLM read the same way is no
    longer a guess; and a plain `depends_on` adds nothing where the pair is already related.
    """
    out = base.model_copy(deep=True)
    conflicts: list[Conflict] = list(out.conflicts)
    knowing = _KNOWING | {"llm"} if peer else _KNOWING

    def settle(subject: str, mine: Sourced, mine_value: str, theirs: Sourced, theirs_value: str) -> bool:
        """Record a conflict when both sources know and disagree; True when `theirs` should win."""
        if mine_value == theirs_value or not theirs_value:
            return False
        if not mine_value:
            return True
        win = stronger(mine.origin, theirs.origin)
        if mine.origin in knowing and theirs.origin in knowing:
            conflicts.append(Conflict(
                subject=subject, values=[mine_value, theirs_value],
                sources=[_where(label[0], mine), _where(label[1], theirs)],
                chosen=theirs_value if win else mine_value, resolved_by=""))
        return win

    # --- service and platform --------------------------------------------------------------------
    s, t = out.service, other.service
    if settle("service.name", s, s.name if s.origin != "assumed" else "", t, t.name if t.origin != "assumed" else ""):
        out.service = t.model_copy(update={"purpose": t.purpose or s.purpose, "runtime": t.runtime or s.runtime,
                                           "kind": t.kind or s.kind})
    else:
        out.service = s.model_copy(update={"purpose": s.purpose or t.purpose, "runtime": s.runtime or t.runtime,
                                           "kind": s.kind or t.kind})
    p, r = out.platform, other.platform
    env_wins = settle("platform.environment", p, p.environment, r, r.environment)
    cloud_wins = settle("platform.cloud", p, p.cloud, r, r.cloud)
    if env_wins or cloud_wins or (not p.environment and not p.cloud):
        out.platform = p.model_copy(update={
            "environment": r.environment if env_wins or not p.environment else p.environment,
            "cloud": r.cloud if cloud_wins or not p.cloud else p.cloud,
            "origin": r.origin if env_wins or not p.environment else p.origin,
            "evidence": r.evidence if env_wins or not p.environment else p.evidence})

    # --- components --------------------------------------------------------------------------------
    ids: dict[str, str] = {}  # other's component id -> id in out
    for theirs in other.components:
        # a peer's components pair one to one: two Redis it read apart are not folded into one
        free = [c for c in out.components if c.id not in ids.values()] if peer else out.components
        mine = _match(free, theirs, peer)
        if mine is None:
            new_id = _free_id(theirs.id, {c.id for c in out.components})
            ids[theirs.id] = new_id
            out.components = [*out.components, theirs.model_copy(deep=True, update={"id": new_id})]
            continue
        ids[theirs.id] = mine.id
        _merge_component(mine, theirs, settle, peer)

    # --- relationships, figures, people, topology, alerts -------------------------------------------
    have = {(x.source, x.target, x.kind) for x in out.relationships}
    for rel in other.relationships:
        moved = rel.model_copy(update={"source": ids.get(rel.source, rel.source),
                                       "target": ids.get(rel.target, rel.target)})
        if peer and moved.kind == "depends_on" and any(s == moved.source and t == moved.target for s, t, _ in have):
            continue
        if (moved.source, moved.target, moved.kind) not in have:
            out.relationships = [*out.relationships, moved]
            have.add((moved.source, moved.target, moved.kind))

    out.figures = _merge_keyed(out.figures, other.figures, lambda f: f"{f.key}:{f.qualifier}",
                               lambda f: f.value + f.unit, lambda f: f"figures.{f.key}", settle, single=lambda f: True)
    out.people = _merge_keyed(out.people, other.people, lambda x: x.role if x.role in _SINGLE_PEOPLE else
                              f"{x.role}:{x.value}", lambda x: x.value, lambda x: f"people.{x.role}", settle,
                              single=lambda x: x.role in _SINGLE_PEOPLE)
    topo = out.topology
    if topo.mode == "unknown" and other.topology.mode != "unknown":
        topo = topo.model_copy(update={"mode": other.topology.mode})
    names = {g.name for g in topo.regions}
    topo = topo.model_copy(update={
        "regions": [*topo.regions, *(g for g in other.topology.regions if g.name not in names)],
        "sites": list(dict.fromkeys([*topo.sites, *other.topology.sites]))})
    out.topology = topo
    out.failures = _merge_failures(out, other, ids)
    known_alerts = {a.name for a in out.alerts}
    out.alerts = [*out.alerts, *(a for a in other.alerts if a.name not in known_alerts)]
    known_commands = {c.command for c in out.procedures}
    out.procedures = [*out.procedures, *(c for c in other.procedures if c.command not in known_commands)]

    bound = {n.value for _, n in out.all_names()}
    out.unbound = [u for u in [*out.unbound, *other.unbound] if u.text not in bound]
    out.unbound = list({u.text: u for u in out.unbound}.values())
    out.conflicts = [*conflicts, *other.conflicts]
    return ServiceModel.model_validate(out.model_dump())


def _merge_failures(out: ServiceModel, other: ServiceModel, ids: dict[str, str]) -> list[FailureMode]:
    """A union: a failure mode whose words one already has (the same sentence, or one inside the other:
    an LLM quotes part of it) is that one."""
    kept = list(out.failures)
    have = [" ".join(f.evidence.lower().split()) for f in kept]
    valid = {c.id for c in out.components}
    for item in other.failures:
        words = " ".join(item.evidence.lower().split())
        if words and any(words in h or h in words for h in have if h):
            continue
        ends = [ids.get(x, x) for x in (item.component, *item.related)]
        kept.append(item.model_copy(update={"component": ends[0] if ends[0] in valid else "",
                                            "related": [x for x in ends[1:] if x in valid]}))
        have.append(words)
    return kept


def _where(label: str, item: Sourced) -> str:
    detail = item.at or (f'"{item.evidence}"' if item.evidence else "")
    return f"{label} ({item.origin}{': ' + detail if detail else ''})"


def _match(components: Sequence[Component], theirs: Component, peer: bool = False) -> Component | None:
    """The component in `components` that is `theirs`: same id and technology, else one sharing a name,
    else the only one of that technology and kind (`peer`: the only one of that technology)."""
    same_id = next((c for c in components if c.id == theirs.id and c.technology == theirs.technology), None)
    if same_id is not None:
        return same_id
    # a peer reading may name a workload's technology otherwise ("fastapi" / "python"): the same id, or a
    # shared name, on a component of the same kind is the same component whatever the technology
    if peer:
        same_id = next((c for c in components if c.id == theirs.id and c.kind == theirs.kind), None)
        if same_id is not None:
            return same_id
    their_names = {(n.role, n.value) for n in theirs.names}
    sharing = [c for c in components if (c.technology == theirs.technology or (peer and c.kind == theirs.kind))
               and their_names & {(n.role, n.value) for n in c.names}]
    if sharing:
        return sharing[0]
    alike = [c for c in components if c.technology == theirs.technology and c.kind == theirs.kind]
    if len(alike) == 1:
        return alike[0]
    if peer and theirs.technology:
        same = [c for c in components if c.technology == theirs.technology]
        return same[0] if len(same) == 1 else None
    return None


def _free_id(wanted: str, taken: set[str]) -> str:
    if wanted not in taken:
        return wanted
    n = 2
    while f"{wanted}-{n}" in taken:
        n += 1
    return f"{wanted}-{n}"


Settle = Callable[[str, Sourced, str, Sourced, str], bool]


def _merge_component(mine: Component, theirs: Component, settle: Settle, peer: bool = False) -> None:
    subject = f"components[{mine.id}]"
    for attr in ("technology", "form", "variant", "version", "purpose"):
        a, b = getattr(mine, attr), getattr(theirs, attr)
        unknown = {"", "unknown"}
        if a in unknown and b not in unknown:
            setattr(mine, attr, b)
        elif b not in unknown and a != b and attr in ("form", "variant") and settle(
                f"{subject}.{attr}", _origin_of(mine), a, _origin_of(theirs), b):
            setattr(mine, attr, b)
    names: list[Name] = list(mine.names)
    for name in theirs.names:
        same = next((n for n in names if n.role == name.role and n.value == name.value), None)
        if same is not None:
            if peer and same.origin == "assumed" and name.origin == "llm":  # two readings agree: no guess
                names[names.index(same)] = name
            continue
        current = next((n for n in names if n.role == name.role), None)
        if current is not None and name.role in SINGLE_VALUED:
            if settle(f"{subject}.names.{name.role}", current, current.value, name, name.value):
                names[names.index(current)] = name
            continue
        names.append(name)
    mine.names = names
    mine.settings = _merge_keyed(mine.settings, theirs.settings, lambda x: x.key, lambda x: x.value + x.unit,
                                 lambda x: f"{subject}.settings.{x.key}", settle, single=lambda x: True)
    mine.controllers = _merge_keyed(mine.controllers, theirs.controllers, lambda x: x.aspect, lambda x: x.by,
                                    lambda x: f"{subject}.controllers.{x.aspect}", settle, single=lambda x: True)
    mine.holds = list(dict.fromkeys([*mine.holds, *theirs.holds]))


def _origin_of(component: Component) -> Sourced:
    return Sourced(origin=component.origin, evidence=component.evidence, at=component.at)


def _merge_keyed(mine: list[S], theirs: list[S], key: Callable[[S], str], value: Callable[[S], str],
                 subject: Callable[[S], str], settle: Settle, *, single: Callable[[S], bool]) -> list[S]:
    out = list(mine)
    for item in theirs:
        current = next((x for x in out if key(x) == key(item)), None)
        if current is None:
            out.append(item)
        elif single(item) and settle(subject(item), current, value(current), item, value(item)):
            out[out.index(current)] = item
    return out
