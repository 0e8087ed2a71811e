"""What the service model's relationships and settings mean for the response: rules as data.

The generic advice a runbook starts from ("restart the pods", "scale out", "flush the cache", "set
concurrency to 0 to stop the bleeding") is wrong for some architectures. This module reads the
`ServiceModel` (relationships, settings, holds, controllers, topology) and says, for this service:

- which dependencies its health / readiness depends on (check them first: a restart will not help);
- which stores must never be flushed or purged as a fix, and what flushing would lose (`KEEPS`);
- which caps protect a downstream and must not be raised or removed (`caps`), and what to do when a
  queue consumer has to stop (`pause_advice`: never concurrency 0 under an SQS trigger);
- what a durability / replication / retention setting means in an incident (`SETTING_RULES`:
  what stops, what is lost, by when);
- what multiplies when the service scales (connections x replicas against the pool /
  max_connections) and who controls the count (`connection_budget`);
- every region / site / host / broker / member the model holds (`places`).

Each rule is a small entry a reviewer can read line by line; the sentences name the service's own
components and values, never a default.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from agent.knowledge.environments import cmd, q
from agent.runbook import Command
from agent.service.model import Component, ServiceModel, Setting

# --- what a store keeps, and what flushing / purging it loses ------------------------------------

# holds -> what a FLUSHALL / FLUSHDB / purge loses. A store holding any of these is never flushed as
# a fix; "cache" (derived data, rebuilt from the source) is the only thing that may be.
KEEPS: dict[str, str] = {
    "sessions": "every signed-in user is logged out (their sessions are lost)",
    "idempotency": "idempotency keys are lost, so retried requests are processed twice (duplicate charges, "
                   "duplicate messages)",
    "locks": "held locks vanish, so two workers can take the same lock (double processing, split leadership)",
    "state": "the state it keeps (checkpoints, offsets, workflow state) is lost: work restarts or repeats",
    "jobs": "queued jobs are lost",
    "events": "events not yet consumed are lost",
    "source-of-truth": "the only copy of the data is deleted",
    "rate-limits": "rate-limit counters reset, so the limits stop protecting for a window",
}
DERIVED = frozenset({"cache"})
# Stores whose everyday tooling has a flush / purge (where a generic runbook offers one)
FLUSHABLE_TECHNOLOGIES = frozenset({"redis", "valkey", "memcached", "sqs", "rabbitmq", "celery", "redis-sentinel"})
# holds -> how a sentence names it
HOLD_LABELS = {"idempotency": "idempotency keys", "source-of-truth": "the only copy of its data",
               "rate-limits": "rate-limit counters", "state": "state"}

# Words in the description that say what a store keeps, when the model's `holds` does not (yet) say
# it; read only in sentences that name the store.
_HOLD_WORDS: dict[str, str] = {
    "idempotency": r"idempoten\w*|dedup\w*|de-dup\w*",
    "sessions": r"sessions?\b|logged[- ]in|log(?:s|ged)? (?:every(?:one|body)|users?) out",
    "locks": r"\blocks?\b|leader election|mutex",
    "state": r"\bstate\b|checkpoints?|offsets",
    "rate-limits": r"rate[- ]limit\w*|quotas?",
    "jobs": r"\bjobs? queue|task queue|broker for (?:jobs|tasks)",
}


def _sentences(text: str) -> list[str]:
    # wrapped lines are one sentence; a blank line or a bullet ends one
    text = re.sub(r"[ \t]*\n(?!\s*\n|\s*[-*] )[ \t]*", " ", text or "")
    return [s for s in re.split(r"(?<=[.;!?])\s+|\n+", text) if s.strip()]


def _words_for(component: Component) -> list[str]:
    words = [component.technology, component.id, *[n.value for n in component.names]]
    if component.variant:
        words.append(component.variant)
    if component.technology == "redis":
        words += ["elasticache", "valkey", "memorystore"]
    return [w for w in words if w and len(w) > 2]


def holds(component: Component, model: ServiceModel, description: str = "") -> list[str]:
    """What the store keeps: the model's `holds`, what its relationships say (a service that stores
    sessions in it), and what the description's sentences about it say."""
    found: list[str] = [str(h) for h in component.holds]
    for rel in model.relationships:
        if rel.target == component.id and rel.kind == "stores_sessions_in" and "sessions" not in found:
            found.append("sessions")
    if component.kind == "session-store" and "sessions" not in found:
        found.append("sessions")
    words = _words_for(component)
    for sentence in _sentences(description):
        # the clause that names the store ("stores idempotency keys in Redis" and "caches prices in
        # Memcached" are two clauses)
        for clause in re.split(r",|;|\s(?:and|but|while|whereas)\s", sentence.lower()):
            if not any(re.search(rf"(?<![\w-]){re.escape(w.lower())}(?![\w-])", clause) for w in words):
                continue
            for kind, pattern in _HOLD_WORDS.items():
                if kind not in found and re.search(pattern, clause):
                    found.append(kind)
    return found


@dataclass(frozen=True)
class FlushVerdict:
    allowed: bool
    loses: list[str]  # what a flush would lose, in plain words (empty when allowed)

    @property
    def reason(self) -> str:
        return "; ".join(self.loses)


def flush_verdict(component: Component, model: ServiceModel | None, description: str = "") -> FlushVerdict:
    """Whether flushing / purging this store is ever a fix. Unknown contents count as kept: a store is
    flushable only when the model says it holds derived data (a cache) and nothing else."""
    if model is None:
        kept = [k for k in component.holds if k not in DERIVED]
        return FlushVerdict(bool(component.holds) and not kept, [KEEPS.get(k, k) for k in kept])
    found = holds(component, model, description)
    kept_here = [k for k in found if k not in DERIVED]
    if kept_here:
        return FlushVerdict(False, [KEEPS.get(k, k) for k in kept_here])
    if not found:
        return FlushVerdict(False, ["what it holds is not stated: treat it as data that cannot be rebuilt"])
    cold = cold_cache_warning(component, description)
    if cold:  # the team says an empty cache hurts what is behind it: emptying it is the incident, not a fix
        return FlushVerdict(False, [f"the team says so: \"{cold}\""])
    return FlushVerdict(True, [])


# "Cache down = we fall back to Cloud SQL, p99 goes to ~900 ms and Cloud SQL CPU climbs", "a cold cache
# stampedes the database": what an empty cache does to the store behind it, in the team's words.
_COLD = re.compile(r"(?i)\b(?:fall(?:s|ing)?\s+back|falls?\s+through|stampede\w*|thundering\s+herd|cold\s+cache|"
                   r"cache\s+miss(?:es)?\s+storm|(?:cpu|load|latency|p\d{2})\b[^.;]{0,30}\b(?:climbs?|spikes?|jumps?|"
                   r"goes\s+(?:up|to))|overload\w*|hammer\w*|melts?)\b")


def cold_cache_warning(component: Component, description: str) -> str:
    """The sentence where the description says an empty or lost cache overloads what is behind it."""
    words = _words_for(component) + ["cache"]
    for sentence in _sentences(description):
        low = sentence.lower()
        if _COLD.search(sentence) and any(re.search(rf"(?<![\w-]){re.escape(w.lower())}(?![\w-])", low)
                                          for w in words) and re.search(r"(?i)\bcache\w*\b", sentence):
            return " ".join(sentence.split())[:200]
    return ""


# --- durations --------------------------------------------------------------------------------------

_UNIT_SECONDS = {"ms": 0.001, "s": 1, "sec": 1, "min": 60, "m": 60, "h": 3600, "hr": 3600, "d": 86400,
                 "day": 86400, "days": 86400, "w": 604800, "week": 604800, "weeks": 604800}


def seconds(setting: Setting) -> float | None:
    """A duration setting in seconds ("3" "d" -> 259200), None when it is not a duration."""
    try:
        value = float(setting.value)
    except ValueError:
        match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-z]+)\s*", setting.value.lower())
        if not match:
            return None
        value, unit = float(match.group(1)), match.group(2)
        return value * _UNIT_SECONDS[unit] if unit in _UNIT_SECONDS else None
    unit = setting.unit.lower() or "s"
    return value * _UNIT_SECONDS[unit] if unit in _UNIT_SECONDS else None


def human(total: float) -> str:
    """259200 -> "3 days", 86400 -> "24 h", 5400 -> "90 min", 45 -> "45 s"."""
    if total >= 172800 and total % 86400 == 0:
        return f"{int(total // 86400)} days"
    if total >= 3600 and total % 3600 == 0:
        return f"{int(total // 3600)} h"
    if total >= 60 and total % 60 == 0:
        return f"{int(total // 60)} min"
    return f"{total:g} s"


def _int(setting: Setting | None) -> int | None:
    if setting is None:
        return None
    match = re.match(r"\s*(\d+)", setting.value)
    return int(match.group(1)) if match else None


# --- settings -> stated consequences -----------------------------------------------------------------

@dataclass(frozen=True)
class Consequence:
    subject: str  # "Kafka (topic web.pageviews.raw)"
    setting: str  # "retention 3 days"
    text: str  # what stops / what is lost / by when

    def line(self) -> str:
        return f"{self.subject}, {self.setting}: {self.text}"


_DISPLAY = {"kafka": "Kafka", "sqs": "SQS", "redis": "Redis", "postgresql": "PostgreSQL", "mysql": "MySQL",
            "pgbouncer": "PgBouncer", "rabbitmq": "RabbitMQ", "pubsub": "Pub/Sub", "kinesis": "Kinesis",
            "mongodb": "MongoDB", "redis-sentinel": "Redis Sentinel", "nats": "NATS", "sns": "SNS"}


def display(component: Component) -> str:
    """The product's own name ("ClickHouse"), from the vocabulary the parser uses."""
    if component.technology in _DISPLAY:
        return _DISPLAY[component.technology]
    from agent.service.vocabulary import vocabulary  # late: the vocabulary file is read once, on first use

    known = vocabulary().technologies.get(component.technology)
    return known.display if known is not None else (component.technology or component.id)


def subject(component: Component, *roles: str) -> str:
    """"Kafka (topic web.pageviews.raw)": the component with the first of its names in `roles`."""
    for role in roles:
        values = component.names_of(role)
        if values:
            return f"{display(component)} ({role.replace('_', ' ')} {', '.join(values)})"
    return display(component)


def _retention(c: Component, m: ServiceModel) -> Consequence | None:
    s = c.setting("retention")
    total = seconds(s) if s else None
    if s is None or total is None:
        return None
    window = human(total)
    if c.technology == "sqs":
        return Consequence(subject(c, "queue"), f"message retention {window}",
                           f"a message not processed within {window} of being sent is deleted from the queue, and "
                           "so is one that waits in the dead-letter queue past that age: redrive before then")
    groups = [v for comp in m.components for v in comp.names_of("consumer_group")] or \
        [v for v in c.names_of("subscription")]
    reader = f"consumer group {', '.join(groups)}" if groups else "a consumer"
    half = human(total / 2) if total >= 7200 else window
    return Consequence(subject(c, "topic", "stream", "queue"), f"retention {window}",
                       f"if {reader} falls more than {window} behind, the events older than that are deleted "
                       f"before they are read: that data is lost. Escalate while the lag is still well inside "
                       f"the window (by {half} behind at the latest)")


def _replication(c: Component, m: ServiceModel) -> Consequence | None:
    rf, isr = _int(c.setting("replication_factor")), _int(c.setting("min_insync_replicas"))
    if rf is None and isr is None:
        return None
    if rf is not None and isr is not None:
        spare = rf - isr
        words = {0: "no broker", 1: "one broker", 2: "two brokers", 3: "three brokers"}
        down_ok = words.get(max(spare, 0), f"{spare} brokers")
        stops = words.get(spare + 1, f"{spare + 1} brokers")
        return Consequence(subject(c, "topic"), f"replication factor {rf}, min.insync.replicas {isr}",
                           f"with {down_ok} holding a partition's replicas down, producers (acks=all) keep "
                           f"writing; with {stops} down, those partitions reject writes (NotEnoughReplicas): producers "
                           f"stop, consumers keep reading. Never lower min.insync.replicas to get writes back: "
                           f"that acknowledges writes a single broker loss can lose")
    if rf is not None:
        return Consequence(subject(c, "topic"), f"replication factor {rf}",
                           "a partition survives the loss of " + (f"{rf - 1} of its brokers" if rf > 1 else
                                                                  "none of its brokers: any broker loss makes its "
                                                                  "partitions unavailable"))
    return Consequence(subject(c, "topic"), f"min.insync.replicas {isr}",
                       f"producers with acks=all stop when fewer than {isr} replicas of a partition are in sync")


def _redelivery(c: Component, m: ServiceModel) -> Consequence | None:
    n = _int(c.setting("max_receive_count"))
    if n is None:
        return None
    vt = c.setting("visibility_timeout")
    vt_s = seconds(vt) if vt else None
    dlq = ", ".join(c.names_of("dlq")) or "the dead-letter queue"
    when = f" within about {human(n * vt_s)} ({n} × the {human(vt_s)} visibility timeout)" if vt_s else ""
    return Consequence(subject(c, "queue"), f"maxReceiveCount {n}",
                       f"a message whose receive fails {n} times moves to {dlq}{when}. Anything that makes every "
                       "receive fail (throttled or disabled consumer code, reserved concurrency 0, a downstream "
                       "outage) drains the queue into the DLQ: stop the trigger instead, and redrive after the fix")


def _partitions(c: Component, m: ServiceModel) -> Consequence | None:
    p = _int(c.setting("partitions"))
    if p is None:
        return None
    return Consequence(subject(c, "topic"), f"{p} partitions",
                       f"at most {p} consumers of one group do work; instances beyond {p} sit idle, so scaling "
                       "past it does not reduce lag")


def _eviction(c: Component, m: ServiceModel) -> Consequence | None:
    s = c.setting("maxmemory_policy")
    if s is None:
        return None
    policy = s.value.lower()
    kept = [k for k in holds(c, m) if k not in DERIVED]
    if policy == "noeviction":
        text = "when memory is full, writes fail with OOM errors (nothing is evicted)"
    elif policy.startswith("volatile"):
        text = "when memory is full, Redis evicts keys that have a TTL"
        if "sessions" in kept:
            text += ": here those are live sessions, so evictions log users out"
        text += "; keys without a TTL are never evicted and writes fail with OOM once only they are left"
    else:
        text = "when memory is full, Redis evicts any key"
        if kept:
            text += f", including what it keeps here ({', '.join(kept)})"
    return Consequence(subject(c, "replication_group", "instance", "host"), f"maxmemory-policy {s.value}", text)


def _ttl(c: Component, m: ServiceModel) -> Consequence | None:
    s = c.setting("ttl")
    total = seconds(s) if s else None
    if s is None or total is None:
        return None
    kept = [k for k in holds(c, m) if k not in DERIVED]
    what = "sessions" if "sessions" in kept else "keys"
    return Consequence(subject(c, "replication_group", "instance", "host"), f"TTL {human(total)}",
                       f"{what} expire {human(total)} after they were written; a restore older than that brings "
                       "back nothing useful")


def _quorum(c: Component, m: ServiceModel) -> Consequence | None:
    q = _int(c.setting("quorum"))
    if q is None:
        return None
    return Consequence(display(c), f"quorum {q}", f"{q} Sentinels must agree before a failover happens; with fewer "
                       "reachable, the primary is not replaced and writes stop while it is down")


def _timeout_vs_visibility(c: Component, m: ServiceModel) -> Consequence | None:
    vt = c.setting("visibility_timeout")
    vt_s = seconds(vt) if vt else None
    if vt_s is None or c.technology != "sqs":
        return None
    consumers = [w for w in m.workloads() if w.form == "serverless"]
    timeouts = [seconds(t) for w in consumers if (t := w.setting("timeout")) is not None]
    limit = next((t for t in timeouts if t), None)
    if limit is None or limit >= vt_s or vt_s >= 6 * limit:
        return None
    return Consequence(subject(c, "queue"), f"visibility timeout {human(vt_s)}",
                       f"below 6 × the function timeout ({human(limit)}), the AWS guidance for Lambda triggers: "
                       "messages of throttled or retried batches become visible again and count as extra "
                       "receives toward the DLQ")


def _members(c: Component, m: ServiceModel) -> int | None:
    hosts = len(c.names_of("host"))
    if hosts > 1:
        return hosts
    count = _int(c.setting("replicas"))
    if count is None and c.kind == "service":
        return None
    return count


def _sync_replication(c: Component, m: ServiceModel) -> Consequence | None:
    if c.setting("sync_replication") is None:
        return None
    return Consequence(display(c), "synchronous replication",
                       "a commit waits for the synchronous standby: failing over to it loses nothing, but while it "
                       "is down or lagging every write waits (PostgreSQL hangs commits until a synchronous "
                       "standby is back or synchronous_standby_names is changed). Decide with the owner which: "
                       "never switch it off silently, that gives up the no-loss promise")


def _write_concern(c: Component, m: ServiceModel) -> Consequence | None:
    s = c.setting("write_concern")
    if s is None or s.value.lower() != "majority":
        return None
    members = _members(c, m)
    if members:
        majority = members // 2 + 1
        spare = members - majority
        text = (f"writes succeed while {majority} of the {members} members are up: "
                + (f"{spare} down is fine, {spare + 1} down stops writes" if spare else "any member down stops writes"))
    else:
        text = "writes succeed only while a majority of the replica set's members is up"
    return Consequence(subject(c, "replica_set"), "write concern majority", text)


def _partition_handling(c: Component, m: ServiceModel) -> Consequence | None:
    s = c.setting("partition_handling")
    if s is None:
        return None
    mode = s.value.lower()
    text = {"pause_minority": "on a network partition the nodes on the minority side pause (their clients are "
                              "disconnected) and resume when the partition heals; with an even node count a "
                              "clean split pauses everything",
            "autoheal": "after a partition RabbitMQ restarts the losing side: messages accepted only there are lost",
            "ignore": "a partition is not handled: both sides keep running and diverge (lost messages when they "
                      "are joined again); fix it by hand"}.get(mode)
    return Consequence(display(c), f"cluster_partition_handling {s.value}", text) if text else None


# setting keys -> the rule that states what they mean. Order is the order the lines appear in.
SETTING_RULES: tuple[tuple[str, Callable[[Component, ServiceModel], Consequence | None]], ...] = (
    ("retention", _retention),
    ("replication_factor / min_insync_replicas", _replication),
    ("partitions", _partitions),
    ("max_receive_count (+ visibility_timeout)", _redelivery),
    ("visibility_timeout vs function timeout", _timeout_vs_visibility),
    ("maxmemory_policy", _eviction),
    ("ttl", _ttl),
    ("quorum", _quorum),
    ("sync_replication", _sync_replication),
    ("write_concern", _write_concern),
    ("partition_handling", _partition_handling),
)


def consequences(model: ServiceModel) -> list[Consequence]:
    """Every stated consequence of the model's settings, in component order."""
    out: list[Consequence] = []
    for component in model.components:
        for _key, rule in SETTING_RULES:
            found = rule(component, model)
            if found is not None and found not in out:
                out.append(found)
    budget = connection_budget(model)
    if budget is not None:
        out.append(Consequence(budget.subject, budget.setting, budget.text))
    return out


# --- caps that protect a downstream --------------------------------------------------------------------

@dataclass(frozen=True)
class Cap:
    component: Component  # where the cap is set (the trigger / the function / the consumer)
    value: str
    protects: str  # what it protects, in the description's words, or "" when not said

    def where(self) -> str:
        if self.component.kind == "queue":  # set on the trigger that reads the queue, not on the queue
            return f"the {display(self.component)} trigger (event source mapping maximum concurrency)"
        if self.component.kind == "service":  # the workload itself: its function / deployment name
            function = self.component.name("function")
            return f"the function {function}" if function else "the service"
        return display(self.component)

    def text(self) -> str:
        why = f" it protects {self.protects}" if self.protects else \
            " it may protect a downstream (the description does not say what it is for: ask before changing it)"
        return (f"the concurrency cap of {self.value} on {self.where()} is deliberate:{why}. Never raise "
                "or remove it to clear a backlog; a backlog behind a protective cap is drained by time, not by "
                "more concurrency")


# Why a cap is there, in the words descriptions use: it protects / rate-limits / is deliberate / must not be
# raised. Read in the sentence that states the figure and the one after it ("... is 5. That is deliberate").
_PROTECT = re.compile(r"\b(?:protect\w*|rate[- ]limit\w*|throttl\w*|overload\w*|deliberate\w*|on purpose|"
                      r"intentional\w*|never (?:exceed|go (?:over|above))|exceed\w* (?:their|its|the|our) \w*\s?limit|"
                      r"(?:do not|don't|never|must not|mustn't|cannot|can't) (?:raise|increase|bump|lift|remove|"
                      r"change|touch)|stay (?:under|within|below)|quota|at most \d+ (?:requests|calls))\b", re.I)
_DOWNSTREAM = re.compile(r"(?:(?:an? |the |our )?(?:partner|vendor|third[- ]party|downstream|upstream|legacy|bank|"
                         r"carrier|supplier)'?s?(?:[\w '-]{0,30}?(?:api|service|system|endpoint|database|db|server|"
                         r"backend|gateway)\b)?)", re.I)
# "ParcelRoute's limit", "Acme's API": a named party whose limit the cap keeps to
_NAMED_LIMIT = re.compile(r"\b([A-Z][\w.-]+)(?:'s|’s) (?:(?:rate )?limit|api|quota|contract|service|endpoint)", re.I)
# What counts how much runs at once, and a figure for it ("reserved concurrency on the function is 5",
# "max 3 workers", "capped at 8 concurrent executions", "concurrency limit: 4").
_CAP_NOUN = (r"(?:(?:reserved|maximum|max|provisioned) concurrency|concurrency(?: limit| cap)?|concurrent "
             r"(?:executions|invocations|workers|consumers|requests|calls|connections|jobs|tasks)|workers|consumers|"
             r"parallel(?:ism)?|in[- ]flight|at a time|at once)")
_CAP_FIGURES = (
    re.compile(rf"\b{_CAP_NOUN}\b[^.;\d]{{0,40}}?(?:\bis|\bof|\bat|=|:|\bto|\bset to|\bcapped at)?\s*(\d+)\b(?![.,]\d)"
               r"(?!\s*(?:%|ms|s\b|sec|min|h\b|gb|mb|req|requests))", re.I),
    re.compile(rf"\b(?:max(?:imum)?|at most|no more than|up to|capped at|cap(?:ped)? (?:it |them )?at|limited to|"
               rf"only)\s+(\d+)\s+(?:\w+ ){{0,2}}?{_CAP_NOUN}", re.I),
)
# a per-instance / per-pod figure is a pool size, not a cap on the whole service
_PER_INSTANCE = re.compile(r"\bper (?:instance|pod|container|worker|process|node)\b|\bprefork\b|\beach (?:worker|pod|"
                           r"instance|container)\b", re.I)


def _protects(text: str) -> str:
    found = _DOWNSTREAM.search(text)
    limit = re.search(r"\b\d+ ?(?:requests|req|calls)(?:/s| per second| a second|/min| per minute)", text)
    named = _NAMED_LIMIT.search(text)
    asked = re.search(r"\b(?:without asking|ask(?:ing)?|check(?:ing)? with|agreed with|approval from) "
                      r"(?:the )?([A-Z][\w.-]+)", text)
    what = found.group(0).strip() if found else (named.group(0) if named else
                                                 (f"the limit agreed with {asked.group(1)}" if asked else ""))
    if what and limit and limit.group(0) not in what:
        what += f" (limited to {limit.group(0)})"
    return what


@dataclass(frozen=True)
class _Stated:
    value: str
    protects: str
    protective: bool  # the description gives a protective reason for it
    per_instance: bool = False  # "concurrency 40 per instance": a pool size, not a cap on the service


def _stated_caps(description: str) -> list[_Stated]:
    """Concurrency figures the description states, with whether (and what) it says they protect."""
    sentences = _sentences(description)
    out: list[_Stated] = []
    for index, sentence in enumerate(sentences):
        figure = next((m.group(1) for rx in _CAP_FIGURES if (m := rx.search(sentence))), None)
        if figure is None or figure == "0":
            continue
        if _PER_INSTANCE.search(sentence):
            out.append(_Stated(figure, "", False, per_instance=True))
            continue
        following = sentences[index + 1] if index + 1 < len(sentences) else ""
        # the next sentence explains this one when it starts by pointing back at it ("That is deliberate")
        context = sentence + (" " + following if re.match(r"\s*(?:that|this|it|the (?:cap|limit)|do not|don't|"
                                                          r"never|please do not)\b", following, re.I) else "")
        # "capped at 3 for the legacy DB": a downstream named as the reason is one too
        reason = bool(_PROTECT.search(context) or re.search(
            r"\b(?:for|because|since|so|to spare|to keep)\b[^.;]{0,40}?" + _DOWNSTREAM.pattern, context, re.I))
        out.append(_Stated(figure, _protects(context) if reason else "", reason))
    return out


def caps(model: ServiceModel, description: str = "") -> list[Cap]:
    """Concurrency caps that protect something: a figure the description gives a protective reason for
    (in its sentence or the next), and a concurrency the model holds on a serverless function or a
    queue trigger (an operator's deliberate choice, purpose asked when not said). A per-instance or
    per-pod concurrency without a reason is a pool size, not a cap."""
    stated = _stated_caps(description)
    protective = [s for s in stated if s.protective]
    out: list[Cap] = []
    for component in model.components:
        setting = component.setting("concurrency")
        if setting is None or setting.value.strip() in ("0", ""):
            continue
        value = setting.value.strip()
        match = next((s for s in protective if s.value == _int_text(value)), None)
        deliberate = component.form == "serverless" or component.kind == "queue"  # reserved / ESM maximum
        if match is None and (not deliberate or any(s.per_instance and s.value == _int_text(value) for s in stated)):
            continue  # e.g. a worker pool's concurrency 8: a pool size unless the description says it protects
        why = match or (protective[0] if protective else None)
        out.append(Cap(component, value, why.protects if why else ""))
    if not out and protective:
        # the model missed the figure ("reserved concurrency on the function is 5"): it sits on the workload
        where = next(iter(model.workloads()), None) or model.app
        if where is not None:
            out.append(Cap(where, protective[0].value, protective[0].protects))
    return out


def _int_text(value: str) -> str:
    match = re.match(r"\s*(\d+)", value)
    return match.group(1) if match else value


def _says_itself(workload: Component, sentence: str) -> bool:
    """The sentence has the workload as its actor ("it publishes to", "order-fn writes to"), not another
    system ("the WMS enqueues into the queue" is someone else producing)."""
    if re.match(r"\s*(?:it|its|the (?:function|service|lambda|worker|handler))\b", sentence, re.I):
        return True
    return any(re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", sentence, re.I) for w in _words_for(workload)
               if w != workload.technology)


# A workload reads a queue through these relationships; writes / publishes_to make it the producer.
_READS_QUEUE = ("triggered_by", "consumes_from", "depends_on", "reads", "calls")


def triggered_by_queue(model: ServiceModel) -> Component | None:
    """The queue or stream whose event source mapping invokes the service's function, if any. A serverless
    function related to a queue in any way but as its producer reads it through a trigger (a Lambda has
    no other way to consume SQS or Kinesis)."""
    def is_source(target: Component) -> bool:
        return target.technology in ("sqs", "kinesis", "dynamodb", "kafka", "msk") or target.kind in ("queue",
                                                                                                       "stream")
    for workload in model.workloads():
        for target in model.related(workload.id, "triggered_by", "consumes_from"):
            if is_source(target):
                return target
    for workload in model.workloads():
        if workload.form != "serverless":
            continue
        produces = {r.target for r in model.relationships if r.source == workload.id and
                    r.kind in ("writes", "publishes_to") and _says_itself(workload, r.evidence)}
        for target in model.related(workload.id, *_READS_QUEUE, "writes", "publishes_to"):
            if target.id not in produces and (target.technology in ("sqs", "kinesis") or target.kind == "queue"):
                return target
    return None


def pause_advice(model: ServiceModel) -> str | None:
    """How to stop a queue- or stream-triggered function without losing or parking its events, or None."""
    queue = triggered_by_queue(model)
    if queue is None or not any(w.form == "serverless" for w in model.workloads()):
        return None
    if queue.technology != "sqs" and queue.kind != "queue":  # a stream: throttled batches block the shard
        return ("Never set the function's reserved concurrency to 0 to stop it: the stream's batches are retried "
                "until they succeed or expire, the shard or partition stops moving and its iterator age grows "
                "until records fall out of retention. Pause the trigger instead (update-event-source-mapping "
                "--no-enabled): records wait in the stream, within its retention")
    n = _int(queue.setting("max_receive_count"))
    after = f" after {n} receives" if n else ""
    return ("Never set the function's reserved concurrency to 0 to stop it: the event source mapping keeps "
            "polling, every batch is throttled and returns to the queue, and" + after + " messages move to the "
            "dead-letter queue. Pause the trigger instead (update-event-source-mapping --no-enabled): messages "
            "wait in the queue, within its retention, until you enable it again")


# --- dependencies health / readiness depends on ---------------------------------------------------------

_HEALTH_WORDS = re.compile(r"\b(?:readiness|liveness|health ?checks?|healthz|probes?)\b", re.I)
# what a sentence calls a component of each kind when it does not name the product
_KIND_NOUNS = {"database": r"database|db", "cache": r"cache", "session-store": r"session store|cache",
               "queue": r"queue|broker", "broker": r"broker", "stream": r"broker|kafka", "search": r"search|index"}


def health_dependencies(model: ServiceModel, description: str = "") -> list[Component]:
    """Components a workload's health or readiness check depends on: the model's relationships, and a
    sentence of the description that says the probe checks one ("its readiness probe checks the
    database") when the relationship was not read."""
    out: list[Component] = []
    for workload in model.workloads():
        for target in model.related(workload.id, "health_depends_on"):
            if target not in out:
                out.append(target)
    if out or not description:
        return out
    for sentence in _sentences(description):
        if not _HEALTH_WORDS.search(sentence) or not re.search(r"\b(?:checks?|depends?|needs?|pings?|"
                                                                 r"fails?|requires?)\b", sentence, re.I):
            continue
        for comp in model.components:
            if comp.kind == "service" or comp in out:
                continue
            words = [re.escape(w) for w in _words_for(comp)] + [_KIND_NOUNS.get(comp.kind, "(?!x)x")]
            if re.search(rf"(?<![\w-])(?:{'|'.join(words)})(?![\w-])", sentence, re.I):
                out.append(comp)
    return out


def _consumes(model: ServiceModel) -> bool:
    return any(model.related(w.id, "consumes_from", "triggered_by") for w in model.workloads()) or any(
        c.names_of("consumer_group") for c in model.components)


def restart_note(model: ServiceModel | None, description: str = "") -> str:
    """What a restart costs and when it cannot help, for the warning beside every restart command."""
    base = "Restart only after the cause is checked: it drops in-flight work, open connections and local caches"
    if model is None:
        return base + "."
    if _consumes(model):
        group = next((v for c in model.components for v in c.names_of("consumer_group")), "")
        base += ("; unacknowledged messages are delivered again" + (
            f" and group {group} rebalances (every member pauses)" if group else ""))
    deps = health_dependencies(model, description)
    if deps:
        names = " and ".join(subject(d, "host", "instance", "replication_group", "cluster") for d in deps)
        base += (f". Readiness depends on {names}: while it is down, a restarted instance never becomes ready, "
                 "so a restart turns a degraded service into an outage. Fix the dependency first")
    budget = connection_budget(model)
    if budget is not None:
        base += f". Every instance that starts opens its pool again ({budget.per_instance} connections each)"
    return base + "."


# --- what multiplies when the service scales ---------------------------------------------------------------

@dataclass(frozen=True)
class Budget:
    subject: str
    setting: str
    text: str
    per_instance: int
    replicas: int | None
    sizes: str  # "3 instances × 40 = 120 connections; up to …"


def _replicas(component: Component) -> tuple[int | None, int | None, int | None]:
    """(count, lowest, highest): the stated count and the autoscaling range, when given."""
    count = _int(component.setting("replicas"))
    low, high = _int(component.setting("replicas_min")), _int(component.setting("replicas_max"))
    rng = component.setting("replicas_range")
    if rng is not None:
        nums = [int(n) for n in re.findall(r"\d+", rng.value)]
        if nums:
            low, high = min(nums), max(nums)
    return count, low, high


def tech_kind(component: Component) -> str:
    """What the component's technology is in the vocabulary ("database", "broker" …), "" when unknown."""
    from agent.service.vocabulary import vocabulary  # late: the vocabulary file is read once, on first use

    known = vocabulary().technologies.get(component.technology) if component.technology else None
    return known.kind if known is not None else ""


def _is_store(component: Component) -> bool:
    return tech_kind(component) in ("database", "cache", "search", "broker", "stream", "queue")


def connection_budget(model: ServiceModel) -> Budget | None:
    """pool size x replicas against the database's (or pooler's) max_connections, and who sets the count."""
    databases = [c for c in model.components if c.kind in ("database", "pooler")]
    for workload in model.workloads():
        if _is_store(workload):
            continue  # the service is the database (PostgreSQL under Patroni): a pooler's pool is its clients'
        pool = _int(workload.setting("pool_size"))
        owner = next((c for c in model.components if c.kind == "pooler" and c.setting("pool_size")), None)
        # "a connection pool of 15 to PostgreSQL" may sit on the database: it is the service's pool to it
        on_db = next((c for c in databases if c.kind == "database" and c.setting("pool_size")), None)
        workload_pool_from = ""
        if pool is None and owner is not None:
            pool, workload_pool_from = _int(owner.setting("pool_size")), display(owner)
        elif pool is None and on_db is not None:
            pool = _int(on_db.setting("pool_size"))
        if pool is None:
            continue
        count, low, high = _replicas(workload)
        target = next((d for d in databases if d.kind == "database"), None) or \
            next((d for d in databases), None)
        limit = next((_int(d.setting("max_connections")) for d in databases if d.setting("max_connections")), None)
        limit_text = f" against max_connections {limit}" if limit else \
            (f" against {display(target)}'s max_connections (not stated: read it before scaling)" if target else "")
        controller = workload.controller("replicas")
        counted = "the replica count in the deployment" if workload.form in ("cluster-workload", "container") \
            else "the number of instances you run"
        who = {"hpa": "the HPA", "keda": "KEDA", "asg": "the Auto Scaling group", "ecs": "ECS service auto "
               "scaling"}.get(controller or "", controller or counted)
        parts = []
        if low and high:
            parts.append(f"{low} to {high} instances × {pool} = {low * pool} to {high * pool} connections, "
                         f"{who} deciding where in that range")
            count = None if count in (low, high) else count
        if count:
            parts.insert(0, f"{count} instances × {pool} = {count * pool} connections")
        if high and not low:
            parts.append(f"up to {high} × {pool} = {high * pool} at the maximum {who} may reach")
        sizes = "; ".join(parts) if parts else f"{pool} connections per instance, times the instance count"
        over = ""
        if limit and count and count * pool > limit:
            over = f" — already above the limit {limit}"
        elif limit and high and high * pool > limit:
            over = f" — above the limit {limit} at {high} instances"
        from_where = f" (the {workload_pool_from} pool)" if workload_pool_from else ""
        where = display(target) if target else "the database"
        text = (f"each instance opens up to {pool} connections to {where}{from_where}: {sizes}{limit_text}{over}. "
                f"{who[0].upper() + who[1:]} controls the count. During a database-connection incident do not "
                "scale out (every new instance adds its pool); lower the pool size or the instance count"
                + ("" if any(c.kind == "pooler" for c in model.components) else ", or put a pooler in front"))
        return Budget(f"{model.service.name} → {where}",
                      f"pool size {pool}", text, pool, count, sizes)
    return None


# --- who controls the count -----------------------------------------------------------------------------

_SCALERS = {"hpa": ("The HPA", "its maxReplicas (and minReplicas)"), "keda": ("KEDA", "the ScaledObject's "
            "maxReplicaCount"), "asg": ("The Auto Scaling group", "its max size and desired capacity"),
            "ecs": ("ECS service auto scaling", "the scalable target's max capacity")}
_DEPLOYERS = {"argocd": "Argo CD", "flux": "Flux", "gitops": "GitOps"}


def scaling_owner(model: ServiceModel) -> str | None:
    """Who controls the replica count and how capacity is changed, when an autoscaler owns it."""
    for workload in model.workloads():
        by = workload.controller("replicas")
        if by not in _SCALERS or by == "asg" and workload.form in ("container", "cluster-workload"):
            continue  # an ASG under ECS / Kubernetes scales the instances the tasks or pods run on
        who, knob = _SCALERS[by]
        _count, low, high = _replicas(workload)
        rng = f" (between {low} and {high})" if low and high else (f" (up to {high})" if high else "")
        deployer = next((_DEPLOYERS[c] for a in ("config", "deploy") if (c := workload.controller(a) or "")
                         in _DEPLOYERS), None)
        via = f", changed in Git for {deployer} to sync (a live edit is reverted)" if deployer else ""
        return (f"{who} owns the replica count{rng}: more capacity means raising {knob}, the maximum replicas "
                f"it may reach{via}; scaling the workload by hand is undone by "
                + (who[0].lower() + who[1:] if who.startswith("The ") else who))
    return None


# --- every place the service runs ---------------------------------------------------------------------------

def places(model: ServiceModel) -> list[str]:
    """Sentences naming every region, site, host, broker and member the model holds, so none is dropped."""
    out: list[str] = []
    regions = model.topology.regions
    if len(regions) > 1:
        active = [r.name for r in regions if r.role in ("primary", "active")]
        mode = model.topology.mode
        if mode == "active-active" or len(active) > 1:
            out.append(f"Active in {len(active)} regions ({', '.join(active)}): every check and fix runs in each "
                       "of them; one healthy region does not mean the other is")
        else:
            listed = ", ".join(f"{r.name} ({r.role})" for r in regions)
            out.append(f"Regions: {listed}; check the standby as well as the primary")
    if len(model.topology.sites) > 1:
        out.append(f"Sites: {', '.join(model.topology.sites)}")
    for component in model.components:
        for role, noun in (("host", "hosts"), ("bootstrap", "brokers"), ("replica", "replicas")):
            values = component.names_of(role)
            if len(values) > 1:
                owner = "the service" if component.kind == "service" else display(component)
                out.append(f"{len(values)} {noun} of {owner} ({', '.join(values)}): check every one of them")
    return out


# --- one paragraph for the runbook ------------------------------------------------------------------------

def impact_sentences(model: ServiceModel | None, description: str = "") -> list[str]:
    """What the architecture means in an incident, one sentence each: for the Business Impact text."""
    if model is None:
        return []
    out: list[str] = []
    for dep in health_dependencies(model, description):
        out.append(f"Readiness depends on {subject(dep, 'host', 'instance', 'cluster', 'replication_group')}: "
                   "when it is "
                   "down every instance reports unready; check it first, a restart will not help")
    for store in model.components:
        if store.kind == "service":
            continue
        found = holds(store, model, description)
        name = subject(store, 'replication_group', 'instance', 'host', 'queue')
        if store.technology in FLUSHABLE_TECHNOLOGIES or store.kind in ("cache", "session-store"):
            verdict = flush_verdict(store, model, description)
            if not verdict.allowed and any(k in KEEPS for k in found):
                held = ", ".join(HOLD_LABELS.get(k, k) for k in found if k in KEEPS)
                out.append(f"{name} holds {held}: if it is lost or flushed, {verdict.reason}. Never flush or purge "
                           "it as a fix")
        elif "locks" in found:  # a database holding the leader lock: its outage stops work, a split doubles it
            out.append(f"{name} holds the lock the instances use to elect one active instance: while it is "
                       "unreachable no instance can take the lock, so work stops (rather than runs twice); after "
                       "it is back, or after a network split, check that exactly one instance holds the lock")
    out += [c.line() for c in consequences(model)]
    owner = scaling_owner(model)
    if owner:
        out.append(owner)
    out += [cap.text()[0].upper() + cap.text()[1:] for cap in caps(model, description)]
    advice = pause_advice(model)
    if advice:
        out.append(advice)
    out += places(model)
    return [s.rstrip(".") + "." for s in out]


# --- the guard the engine applies to the generic steps ------------------------------------------------------

# How to check a dependency a workload's readiness depends on, by technology: ({host} {port} filled
# from the model, else a guarded shell variable).
DEPENDENCY_PROBES: dict[str, tuple[str, str, str]] = {
    # technology: (command, default port, what healthy looks like)
    "redis": ("redis-cli -h {host} -p {port} PING", "6379", "PONG within a second"),
    "postgresql": ("pg_isready -h {host} -p {port}", "5432", "accepting connections"),
    "mysql": ("mysqladmin -h {host} -P {port} ping", "3306", "mysqld is alive"),
    "mongodb": ("mongosh --host {host} --port {port} --quiet --eval 'db.adminCommand({{ping: 1}}).ok'", "27017",
                "1"),
    "kafka": ("kafka-broker-api-versions.sh --bootstrap-server {host}:{port} | head -n 1", "9092",
              "the broker answers with its API versions"),
    "rabbitmq": ("nc -z -w 3 {host} {port} && echo reachable", "5672", "reachable"),
    "memcached": ("printf 'stats\\nquit\\n' | nc -w 3 {host} {port} | grep -E 'uptime|curr_connections'", "11211",
                  "STAT uptime and curr_connections"),
    "elasticsearch": ("curl -sS --max-time 5 http://{host}:{port}/_cluster/health?pretty", "9200",
                      "status green (yellow: replicas missing)"),
    "clickhouse": ("clickhouse-client --host {host} --port {port} --query 'SELECT 1'", "9000", "1"),
    "cassandra": ("cqlsh {host} {port} -e 'SELECT release_version FROM system.local'", "9042",
                  "one row with the server version"),
}


def _var(name: str, what: str) -> str:
    return f'"${{{name}:?set {name} ({what})}}"'


def dependency_check(dep: Component) -> Command:
    """A read-only check of a dependency, with its own names or a guarded variable for what is not given."""


    host_name = dep.name("host") or dep.name("k8s_service") or dep.name("compose_service")
    port_name = dep.name("port")
    label = display(dep)
    probe = DEPENDENCY_PROBES.get(dep.technology)
    if probe is None:
        url = dep.name("url")
        if url:
            return cmd(f"Check {label} first: readiness depends on it", f"curl -sS -o /dev/null -w '%{{http_code}}\\n' "
                       f"--max-time 5 {q(url)}", "2xx/3xx; anything else is the outage to fix first")
        host = q(host_name) if host_name else _var("DEP_HOST", f"the {label} address")
        port = port_name or _var("DEP_PORT", f"the {label} port")
        return cmd(f"Check {label} first: readiness depends on it", f"nc -z -w 3 {host} {port} && echo reachable",
                   "reachable; then check its own health with the team's own check for "
                   f"{label} (fill in)")
    code, default_port, healthy = probe
    port = port_name or default_port
    hosts = dep.names_of("host")
    if len(hosts) > 1:  # every member, not the first one
        looped = (f"for HOST in {' '.join(q(h) for h in hosts)}; do\n  echo \"== $HOST\"\n  "
                  + code.format(host='"$HOST"', port=port) + "\ndone")
        return cmd(f"Check {label} first, every member: readiness depends on it", looped,
                   f"{healthy} from every member; if not, fix {label} first: restarting this service will not "
                   "make it ready")
    host = q(host_name) if host_name else _var("DEP_HOST", f"the {label} host")
    return cmd(f"Check {label} first: readiness depends on it", code.format(host=host, port=port),
               f"{healthy}; if not, fix {label} first: restarting this service will not make it ready")


# A fix step whose advice a rule overrides for this architecture: (pattern on the step's text, rule
# that applies, replacement). The replacement names the service's own cap / trigger.
_RAISES_CAP = re.compile(r"raise (?:the )?(?:reserved )?concurrency|remove (?:the )?(?:concurrency )?cap|"
                         r"raise (?:the )?(?:concurrency )?(?:cap|limit)", re.I)


def _stops_everything(command: Command) -> bool:
    return bool(re.search(r"--reserved-concurrent-executions[= ]0\b", command.code))


class _Pauser:
    """Builds the pause / resume of an SQS trigger for the guard (kept apart to keep Guard short)."""

    @staticmethod
    def pause(function: str, region: str, source: str = "SQS", queue: bool = True) -> Command:
        fn, rg = q(function), q(region)
        waits = "messages wait in the queue; nothing goes to the DLQ" if queue else \
            "records wait in the stream, within its retention"
        return cmd(f"Pause the {source} trigger of {function} ({waits})",
                   f"aws lambda list-event-source-mappings --function-name {fn} --region {rg} "
                   "--query 'EventSourceMappings[].[UUID, EventSourceArn, State]' --output text\n"
                   'UUID="${UUID:?set UUID to the mapping from the list above}"\n'
                   f'aws lambda update-event-source-mapping --region {rg} --uuid "$UUID" --no-enabled',
                   "State Disabling then Disabled; ApproximateNumberOfMessagesVisible stops falling",
                   f"{'Messages' if queue else 'Records'} wait only as long as the {'queue' if queue else 'stream'}'s "
                   "retention: re-enable with --enabled (same command) before then. Do not use reserved concurrency "
                   "0 instead: " + ("it sends the queue to the DLQ." if queue else "it blocks the shard until its "
                                                                                 "records expire."))


def pause_trigger(model: ServiceModel | None, region: str) -> Command | None:
    """The pause of a queue-triggered function's event source mapping, or None when there is none."""
    if model is None or pause_advice(model) is None:
        return None
    function = next((w.name("function") for w in model.workloads() if w.name("function")), None)
    source = triggered_by_queue(model)
    if function is None or source is None:
        return None
    return _Pauser.pause(function, region, display(source), source.technology == "sqs" or source.kind == "queue")


def _guard_stop(guard: Guard, command: Command, region: str) -> Command:
    if not _stops_everything(command):
        return command
    return pause_trigger(guard.model, region) or command


_SCALES_CONSUMERS = re.compile(r"scale (?:them |consumers |out )|scale consumers|add consumers", re.I)


def _guard_action(guard: Guard, action: str) -> str:
    if guard.model is None:
        return action
    found = caps(guard.model, guard.description)
    if found and _SCALES_CONSUMERS.search(action):
        cap = found[0]
        return (f"If consumers are healthy but slower than the inflow: behind the concurrency cap of {cap.value} on "
                f"{cap.where()} the backlog drains at the cap's pace" + (f" (it protects {cap.protects})"
                                                                        if cap.protects else "")
                + "; do not raise it. Check the age of the oldest message against the queue's retention and "
                "tell the owners how long draining will take")
    budget = connection_budget(guard.model)
    if budget is not None and re.search(r"\bscale out\b", action, re.I) and "database connections" not in action:
        return (f"{action.rstrip('.')} (each instance opens up to {budget.per_instance} more database connections: "
                "never while the database is out of connections)")
    if found and _RAISES_CAP.search(action):
        cap = found[0]
        return (f"Throttling behind the concurrency cap of {cap.value} on {cap.where()} is the cap doing "
                "its job" + (f" (it protects {cap.protects})" if cap.protects else "") + ": do not raise or remove "
                "it. Only throttles from the account's shared pool are a fault: reserve at least the cap's value "
                "for this function, never less, never 0")
    return action


class Guard:
    """Tailors the generic steps to the architecture: restarts say what they cost and when they cannot
    help, scale-outs say what multiplies, dependencies the health check needs are checked first."""

    def __init__(self, model: ServiceModel | None, description: str = "") -> None:
        self.model = model
        self.description = description
        self.restart_codes: set[str] = set()

    def learn_restarts(self, *commands: Command) -> None:
        """The platform's restart commands, so a step using one is recognised wherever it appears."""
        self.restart_codes |= {c.code for c in commands}

    def restart(self, command: Command) -> Command:
        note = restart_note(self.model, self.description)
        warning = f"{command.warning} {note}" if command.warning and note not in command.warning else \
            (command.warning or note)
        return command.model_copy(update={"warning": warning})

    def step(self, command: Command | None) -> Command | None:
        if command is not None and command.code in self.restart_codes:
            return self.restart(command)
        return command

    def budget(self) -> Budget | None:
        return connection_budget(self.model) if self.model is not None else None

    def scale(self, command: Command) -> Command | None:
        """A scale-out with what multiplies (connections x replicas) and what it must not override (a cap).
        None when scaling IS changing the capped concurrency (a queue-triggered function): not offered."""
        if self.model is None:
            return command
        if caps(self.model, self.description) and pause_advice(self.model) is not None and \
                "concurren" in command.code:
            return None
        notes = []
        budget = self.budget()
        if budget is not None:
            notes.append(f"Each new instance opens up to {budget.per_instance} more connections ({budget.sizes}); "
                         "never scale out while the database is out of connections")
            # the limit the description states when the model's database does not carry it
            stated = re.search(r"(?i)\bmax_connections\s*(?:=|:|is|of)?\s*(\d+)", self.description)
            most = max((int(n) for n in re.findall(r"(\d+) (?:instances|tasks|pods)?\s*×", budget.sizes)), default=0)
            if stated and "max_connections " + stated.group(1) not in budget.text:
                limit = int(stated.group(1))
                fits = limit // budget.per_instance
                notes.append(f"The description states max_connections {limit}: at most {fits} instances × "
                             f"{budget.per_instance} fit, fewer with other clients"
                             + (f"; the {most} this range allows would exceed it" if most * budget.per_instance > limit
                                else ""))
        for cap in caps(self.model, self.description):
            notes.append(f"Scaling does not lift the concurrency cap of {cap.value} on {cap.where()}, and "
                         "the cap must stay" + (f": it protects {cap.protects}" if cap.protects else ""))
        partitions = next((_int(c.setting("partitions")) for c in self.model.components if c.setting("partitions")),
                          None)
        if partitions:
            notes.append(f"More consumers than the {partitions} partitions sit idle")
        if not notes:
            return command
        text = ". ".join(notes) + "."
        return command.model_copy(update={"warning": f"{command.warning} {text}" if command.warning else text})

    def active_regions(self) -> list[str]:
        if self.model is None:
            return []
        active = [r.name for r in self.model.topology.regions if r.role in ("primary", "active")]
        return active if len(active) > 1 else []

    def every_region(self, command: Command, primary: str) -> Command:
        """A read-only look pinned to the primary region, run in every active region instead (active-active:
        one healthy region says nothing about the other)."""
        contexts = [v for w in (self.model.workloads() if self.model else []) for v in w.names_of("context")]
        if len(contexts) > 1 and re.search(r"(?m)^kubectl ", command.code) and "--context" not in command.code:
            # one cluster per region / site: the same look in every kube context the model names
            body = re.sub(r"(?m)^kubectl ", 'kubectl --context "$CTX" ', command.code)
            looped = (f"for CTX in {' '.join(q(c) for c in dict.fromkeys(contexts))}; do\n  echo \"== $CTX\"\n"
                      + "\n".join(f"  {line}" for line in body.splitlines()) + "\ndone")
            return command.model_copy(update={"code": looped, "purpose": f"{command.purpose} (every cluster)"})
        regions = self.active_regions()
        pinned = re.compile(rf"--region[= ]{re.escape(primary)}(?![\w-])")
        if not regions or primary not in regions or not pinned.search(command.code):
            return command
        body = pinned.sub('--region "$REGION"', command.code)
        looped = (f"for REGION in {' '.join(regions)}; do\n  echo \"== $REGION\"\n"
                  + "\n".join(f"  {line}" for line in body.splitlines()) + "\ndone")
        return command.model_copy(update={"code": looped, "purpose": f"{command.purpose} (every active region)"})

    def triage(self, checks: list[Command], fixes: list[tuple[str, Command | None]]
               ) -> tuple[list[Command], list[tuple[str, Command | None]]]:
        """An entry whose usual fix is a restart: the dependency the health check needs is checked first,
        and the first fix says a restart will not help while it is down."""
        if self.model is None:
            return checks, fixes
        deps = health_dependencies(self.model, self.description)
        if not deps:
            return checks, fixes
        names = " and ".join(display(d) for d in deps)
        first = (f"If {names} is down or refusing connections (first check above), fix that first: readiness "
                 f"depends on it, so restarting or replacing instances will not make them ready", None)
        return [*self.dependency_checks(), *checks], [first, *fixes]

    def dependency_checks(self) -> list[Command]:
        if self.model is None:
            return []
        return [dependency_check(dep) for dep in health_dependencies(self.model, self.description)]

    def impact(self) -> str:
        """The Business Impact addition: what this architecture means in an incident ("" when nothing)."""
        lines = impact_sentences(self.model, self.description)
        if not lines:
            return ""
        # Prose in this section is one paragraph (agent.render.inline), so the points are numbered inline.
        return " **What this architecture means in an incident:** " + " ".join(
            f"({index}) {line}" for index, line in enumerate(lines, start=1))

    def stop(self, command: Command, region: str) -> Command:
        """Stopping a queue-triggered function pauses its trigger, never reserved concurrency 0."""
        return _guard_stop(self, command, region)

    def action(self, action: str) -> str:
        """A fix step's advice, unless a rule overrides it here (a protective cap is never raised)."""
        return _guard_action(self, action)
