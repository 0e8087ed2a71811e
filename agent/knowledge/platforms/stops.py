"""When stopping the service's own workload outright (scale to zero, stop the unit on every host, a
count of 0) is a fit kill switch, and when it is not.

"Stop writes", "pause consumers" and "kill switch" steps reach for a full stop of the service's own
workload. That generic step is wrong for some architectures, and then it is not offered:

- the workload IS the data store or broker (MySQL on its hosts, the Kafka brokers, the RabbitMQ
  cluster): stopping it stops every client at once, and it is not the writer: the writers are its
  clients, stopped at their source, or the store is made read-only by its own switch;
- an autoscaler other than KEDA owns its count (an HPA, ECS service auto scaling, an Auto Scaling
  group): a scale to zero is undone or leaves the autoscaler fighting it. KEDA's own pause
  (the ScaledObject's paused-replicas annotation) goes through the owner, so it stays;
- the service serves requests on a critical path: taking all of it down to stop bad writes is an
  outage larger than most corruption; the writes are stopped where they land (a read-only switch,
  the database's write access for this service's role) and the service keeps serving reads;
- the platform cannot stop it by a count (a Cloud Function's maximum instances is at least 1, and an
  event trigger delivers whatever the ingress setting says).

One rule for every platform and pack: `refusal` says why not (None: a full stop is fine), and
`writers_check` is the read-only step offered instead, so the engineer finds and stops the writer.
"""

from __future__ import annotations

import re

from agent.knowledge.platforms.base import Platform
from agent.knowledge.platforms.owners import AUTOSCALERS, LABELS
from agent.runbook import Command

# service types whose workload answers requests (a full stop is an outage of every caller)
_SERVES = frozenset({"web", "api"})
# what the model calls a component that keeps or carries other services' data
_STORE_KINDS = frozenset({"database", "broker", "queue", "stream", "search", "cache", "session-store",
                          "object-store"})
# how a user's "Other (specify)" answer says the service is one ("other: message broker")
_STORE_WORDS = re.compile(r"\b(?:broker|database|data ?store|datastore|stream(?:ing)?|queue|message bus|"
                          r"search (?:cluster|engine)|cache|storage|kafka|rabbitmq|mysql|postgres\w*|mongo\w*|"
                          r"redis|elasticsearch|opensearch|cassandra)\b", re.I)


def is_store(p: Platform) -> bool:
    """The service's own workload is a data store or broker other services write to."""
    if p.stateful:
        return True
    model = p.ctx.model
    if model is not None and model.app is not None and model.app.kind in _STORE_KINDS:
        return True
    answer = p.ctx.answers.get("type")
    return bool(answer is not None and answer.value == "other" and answer.free_text
                and _STORE_WORDS.search(answer.free_text))


def refusal(p: Platform, workload: str | None = None, required: bool = False) -> str | None:
    """Why a full stop of `workload` (the platform's own workload when None) is not offered as a kill
    switch, or None when it is fine. `required`: a procedure needs it stopped (an offset reset needs an
    empty consumer group), so only the store-or-broker rule applies: that stop is never the procedure's."""
    own = p.resolve(p.slug)
    name = p.resolve(workload) if workload is not None else own
    if name != own:
        # another workload: only its own autoscaler (a component of the model that names it) stands in the way
        model = p.ctx.model
        comp = next((c for c in (model.components if model is not None else []) if name in (
            c.id, *(n.value for n in c.names))), None)
        by = next((c.by for c in (comp.controllers if comp is not None else []) if c.by in AUTOSCALERS), None)
        if by is not None and by != "keda":
            return (f"{LABELS.get(by, by)} owns the count of {name}: a scale to zero is undone, or leaves "
                    "the autoscaler fighting it; change the count through its owner")
        return None
    ctx = p.ctx
    if is_store(p):
        return (f"{name} is the data store or broker itself: stopping it stops every client at once and is "
                "not how its writes stop; stop the writers (its clients) at their source, or use its own "
                "read-only switch")
    if required:
        return None
    scaler = p.owners.autoscaler
    if scaler is not None and scaler.by != "keda":
        return (f"{scaler.label} owns the count of {name}: a scale to zero is undone, or leaves the autoscaler "
                "fighting it; stop the writes where they land instead, or change the count through its owner")
    if not p.zero_stop:
        return f"{p.label or 'this platform'} cannot stop {name} by a count of 0"
    if ctx.answers.service_type in _SERVES and ctx.answers.criticality == "critical":
        return (f"{name} serves a critical path: taking all of it down to stop bad writes is an outage of "
                "every caller; stop the writes where they land (a read-only switch, or this service's write "
                "access to its database) and keep serving reads")
    return None


def writers_check(p: Platform, reason: str) -> Command:
    """The read-only step offered instead of a refused full stop: who is connected and writing now."""
    look = p.connections()
    return look.model_copy(update={
        "purpose": f"Find the writers before stopping anything: {look.purpose[0].lower() + look.purpose[1:]}",
        "expect": "The clients that write; stop the one writing bad data at its source (its own runbook), "
                  "never the whole service",
        "warning": f"No full stop is offered here: {reason}."})
