"""Technologies the service uses that no pack knows: honest steps under their own name.

Without this, a dependency the engine has no knowledge of (ClickHouse, Cassandra, an internal service …)
vanished from the runbook, or a default pack's commands stood in for it. Here it gets a row in the
components and dependencies tables and one troubleshooting entry with a reachability check (its own
client where `reasoning.DEPENDENCY_PROBES` has one), every gap marked for the team to fill in.
"""

from __future__ import annotations

from agent.knowledge import reasoning
from agent.knowledge.base import Context, Contribution
from agent.knowledge.profiles import profile_for
from agent.runbook import Component, Issue, Step, Upstream
from agent.service.model import Component as ModelComponent
from agent.service.model import ServiceModel
from agent.service.text import parse

# Kinds that are dependencies worth a runbook entry (tools, platforms and the service's own workloads are not).
_KINDS = frozenset({"database", "cache", "session-store", "queue", "stream", "broker", "search", "object-store",
                    "pooler", "proxy", "scheduler", "ha-manager", "backup", "http-dependency"})
# technology id -> the pack that covers it, where the names differ
_COVERED_BY = {"redis-sentinel": "redis_sentinel", "kafka-connect": "kafka_connect", "lambda": "aws_lambda",
               "docker-compose": "docker_compose", "haproxy": "", "gcs": "", "sns": ""}


def _pack_names() -> set[str]:
    from agent.knowledge.packs import all_packs  # late: this module is one of the packs

    return {p.name for p in all_packs()} | {p.name.replace("-", "_") for p in all_packs()}


def covered_by_pack(technology: str) -> bool:
    """Whether a pack covers the technology (its own commands stand; no profile, no reachability entry)."""
    names = _pack_names()
    covered = _COVERED_BY.get(technology, technology)
    return bool(covered) and (covered in names or covered.replace("-", "_") in names)


def _model(ctx: Context) -> ServiceModel:
    # facts built by hand (tests, third-party callers) carry no model: read the description the same way
    return ctx.model if ctx.model is not None else parse(ctx.facts.description)


def unpacked(ctx: Context) -> list[ModelComponent]:
    """The model's dependencies whose technology has no pack and no profile."""
    out = []
    for comp in _model(ctx).components:
        if comp.kind not in _KINDS or not comp.technology:
            continue
        if covered_by_pack(comp.technology) or profile_for(comp.technology) is not None:
            continue  # a pack's commands, or a technology profile's (packs/profiled.py), stand
        out.append(comp)
    return out


class UnpackedPack:
    name = "unpacked"
    summary = "Technologies no pack knows: their own name, a reachability check, gaps marked for the team"
    order = 95
    examples = ("The billing worker runs its workflows on Temporal at temporal.internal:7233",
                "feed-writer publishes timeline events to a Kinesis stream")
    negatives = ("Orders API stores orders in PostgreSQL 15 on a VM", "Caches responses in Redis")

    def detect(self, ctx: Context) -> str | None:
        found = unpacked(ctx)
        if not found:
            return None
        return "the service uses " + ", ".join(reasoning.display(c) for c in found) + ", which no pack covers"

    def contribute(self, ctx: Context) -> Contribution:
        part = Contribution()
        for comp in unpacked(ctx):
            label = reasoning.display(comp)
            given = ctx.facts.names.get(f"{comp.technology}.host")
            if given:  # a name the facts carry wins over the description's
                comp = comp.model_copy(update={"names": [n for n in comp.names if n.role != "host"]}, deep=True)
                comp.add_name("host", given, origin="edited")
            where = ", ".join(comp.names_of("host")) or "fill in: where it runs"
            part.components.append(Component(
                name=label, technology=label, version=comp.version or "fill in", location=where,
                purpose=comp.purpose or f"Used by {ctx.facts.display_name} (fill in with the team)"))
            part.upstream.append(Upstream(
                service=f"{label}" + (f" ({where})" if comp.names_of("host") else ""),
                purpose=comp.purpose or "Named in the description", criticality="High",
                fallback=f"Fill in with the team: what {ctx.facts.display_name} does while {label} is down"))
            check = reasoning.dependency_check(comp).model_copy(
                update={"purpose": f"Is {label} reachable from the service",
                        "expect": f"{label} answers; if not, the outage is {label}'s, not the service's"})
            part.issues.append(Issue(
                title=f"{label}: slow or unreachable",
                symptoms=f"Errors or timeouts naming {label} in the service's logs",
                alert=None, check=[check],
                fix=[Step(action=f"If {label} is down, follow its owner's runbook: restarting "
                                 f"{ctx.facts.display_name} does not bring it back", command=None),
                     Step(action=f"Fill in with the team: {label}'s own health checks and the safe mitigations "
                                 "(none are given here rather than another product's)",
                          command=None)],
                verify=f"{label} answers the check above and the service's errors naming it stop for 15 min",
                escalate=f"Page {label}'s owner (fill in) if it is still unreachable after 15 min"))
        return part


PACK = UnpackedPack()
