"""What the description says about one component's shape: settings read from the sentences naming it.

"Redis is ONE box, no sentinel, no replica", "a single instance", "standalone": the store has no replica
to promote and nothing to fail over to, so replica promotion and failover steps do not apply to it and
the runbook says it is a single point of failure instead. The words are read only from the sentences
that name the component (its technology, its product words or one of its names), so "no replica" said
about Redis never removes PostgreSQL's replica.
"""

from __future__ import annotations

import re

from agent.service.model import Component, ServiceModel

# Words that say a component runs without a replica / failover partner. "no replica", "without
# replicas", "no sentinel", "no standby", "not replicated", "single instance", "one box", "standalone".
_SINGLE = re.compile(r"""(?ix)
    \b(?:no|without(?:\s+a(?:ny)?)?|zero)\s+(?:read\s+)?(?:replicas?|sentinels?|standbys?|secondar(?:y|ies)|
        failover|ha\b|high\s+availability|cluster(?:ing)?\b)
  | \bnot\s+(?:replicated|clustered|highly\s+available)\b
  | \b(?:single|one|1)[\s-]+(?:instance|node|box|server|vm|host|machine)\b(?!s)
  | \bstandalone\b
  | \bsingle\s+point\s+of\s+failure\b|\bspof\b
""")
# "one of three nodes", "a single instance of each of the 3 brokers" are not single-instance statements
_MANY = re.compile(r"(?i)\bone\s+of\b|\beach\s+of\b|\bper\s+(?:node|host|region|zone)\b")

# words each technology is written as, beyond its id (product names and short forms)
_ALIASES: dict[str, tuple[str, ...]] = {
    "redis": ("redis", "valkey", "elasticache", "memorystore"), "postgresql": ("postgres", "postgresql", "pg"),
    "mysql": ("mysql", "mariadb"), "mongodb": ("mongodb", "mongo"), "rabbitmq": ("rabbitmq", "rabbit"),
}


def _sentences(text: str) -> list[str]:
    # a Markdown bullet or a line of a config block is a sentence of its own
    text = re.sub(r"[ \t]*\n(?!\s*\n|\s*[-*] |\s{2,})[ \t]*", " ", text or "")
    return [s for s in re.split(r"(?<=[.;!?])\s+|\n+", text) if s.strip()]


def _words(component: Component) -> list[str]:
    words = [component.technology, component.id, *_ALIASES.get(component.technology, ())]
    words += [n.value for n in component.names if n.role in ("host", "instance", "cluster", "unit") and
              len(n.value) > 2]
    return [w for w in dict.fromkeys(words) if w]


def sentences_about(component: Component, description: str) -> list[str]:
    """The description's sentences that name this component (no other technology's sentence)."""
    words = _words(component)
    return [s for s in _sentences(description)
            if any(re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", s, re.I) for w in words)]


def _clauses_about(component: Component, sentence: str) -> list[str]:
    """The clauses of a sentence from the component's first mention on: "Postgres has a replica, Redis
    has no replica" is about Redis only from "Redis" on."""
    words = _words(component)
    starts = [m.start() for w in words for m in re.finditer(rf"(?<![\w-]){re.escape(w)}(?![\w-])", sentence, re.I)]
    if not starts:
        return []
    return [sentence[min(starts):]]


def single_instance(component: Component | None, description: str) -> bool:
    """The description says this component has no replica / standby / failover partner."""
    if component is None:
        return False
    setting = component.setting("replicas")
    if setting is not None and setting.value == "0" and component.kind != "service":
        return True
    for sentence in sentences_about(component, description):
        for clause in _clauses_about(component, sentence):
            # the clause ends where another sentence-level subject starts (";" or a new sentence)
            clause = re.split(r"[;]", clause)[0]
            if _SINGLE.search(clause) and not _MANY.search(clause):
                return True
    return False


# Kinds that stand in front of the service: clients reach the service through them, the service never
# calls them, so "is it reachable from the service" is the wrong question.
_FRONTING_KINDS = frozenset({"proxy", "load-balancer", "cdn"})


def fronts(model: ServiceModel | None, component: Component) -> bool:
    """The component fronts the service (the model says "fronted by", or it is a proxy nobody calls)."""
    if model is None:
        return component.kind in _FRONTING_KINDS
    inbound = [r for r in model.relationships if r.target == component.id]
    if any(r.kind == "fronted_by" for r in inbound):
        return True
    calls = {"calls", "reads", "writes", "pools_through", "publishes_to", "consumes_from", "caches_in",
             "stores_sessions_in", "health_depends_on"}
    return component.kind in _FRONTING_KINDS and not any(r.kind in calls for r in inbound)

