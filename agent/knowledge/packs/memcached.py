"""Memcached: evictions, connection limits, a cold cache after restarts."""

from __future__ import annotations

from agent.knowledge import reasoning
from agent.knowledge.base import Context, Contribution
from agent.knowledge.packs._base import KeywordPack, cmd, mention, q
from agent.knowledge.signals import Signal, limit
from agent.runbook import Component, Issue, KeyMetric, Step, Upstream


class MemcachedPack(KeywordPack):
    name = "memcached"
    summary = "Memcached: evictions, connection limits (listen_disabled), restarts empty the cache"
    keywords = ("memcached", "memcache")
    order = 22
    examples = ("Page fragments cached in Memcached (two nodes, 4 GB each)",)
    negatives = ("Caches in Redis",)

    def build(self, ctx: Context) -> Contribution:
        f = ctx.facts
        host = f.name("memcached.host", f"{f.service}-memcached")
        cluster = f.name("elasticache.cluster", f"{f.service}-memcached")
        elasticache = mention(ctx, ("elasticache",))
        stats = cmd("Evictions, connections and hit counters",
                    f"printf 'stats\\r\\nquit\\r\\n' | nc -w 2 {q(host)} 11211 | grep -E "
                    "'evictions|curr_connections|listen_disabled_num|get_hits|get_misses|limit_maxbytes|bytes '",
                    "evictions flat, listen_disabled_num 0, get_hits well above get_misses")

        signals = [Signal(
            key="memcached.evictions", name="Memcached evicting", measure="evictions",
            threshold=limit(f, ("eviction",), 100, "/s"), minutes=10, severity="Warning",
            response="Follow 'Memcached: evictions or refused connections'.",
            entry="Memcached: evictions or refused connections", tags=("elasticache",) if elasticache else (),
            labels={"host": host, "cluster": cluster}, probe=stats)]

        issues = [Issue(
            title="Memcached: evictions or refused connections",
            symptoms="Hit rate falls and the database takes more reads; clients time out connecting.",
            alert="Memcached evicting",
            check=[stats],
            fix=[Step(action="Evictions: add memory (-m) or nodes; check for a new key pattern with large values.",
                      command=None),
                 Step(action="listen_disabled_num growing: the connection limit (-c, default 1024) is reached; "
                             "raise it or fix clients that open a connection per request.", command=None)],
            verify="Evictions under 10/s and listen_disabled_num flat for 15 minutes.",
            escalate="If the database behind the cache saturates, page the service owner.",
        )]

        store = ctx.model.component("memcached") if ctx.model is not None else None
        verdict = reasoning.flush_verdict(store, ctx.model, f.description) if store is not None else None
        flushable = verdict is None or verdict.allowed  # facts without a model: the pack's usual cache reading
        return Contribution(
            components=[Component(name="Cache", technology="Memcached", version="fill in: the 'version' command",
                                  location=f"{host}:11211", purpose="Read-through cache")],
            upstream=[Upstream(service=f"Memcached {host}", purpose="Cache", criticality="Medium",
                               fallback="Read from the database; a restart or flush empties the cache, so expect "
                                        "a load spike on the database")],
            key_metrics=[KeyMetric(metric="Memcached evictions", normal_range="0/s",
                                   alert_threshold="> 100/s for 10 min", dashboard="fill in: cache dashboard")],
            prerequisites=[f"nc (netcat) with network access to {host}:11211"],
            signals=signals,
            issues=issues,
            daily=["Check evictions and hit rate"],
            weekly=["Compare memory used with limit_maxbytes"],
            monthly=["Review the connection limit against peak client connections"],
            # flushed only when what it keeps is derived data (sessions in Memcached are common)
            maintenance_commands=[cmd("Flush every item (cache is empty afterwards)",
                                      f"printf 'flush_all\\r\\nquit\\r\\n' | nc -w 2 {q(host)} 11211",
                                      "OK",
                                      warning="Empties the whole cache on this node: every read goes to the "
                                              "database until it warms up. Prefer deleting or versioning the "
                                              "affected keys in the application.")] if flushable else [],
            cheatsheet=[stats],
        )


PACK = MemcachedPack()
