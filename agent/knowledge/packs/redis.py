"""Redis (self-managed or ElastiCache): memory and evictions, client limits, slow commands, failover."""

from __future__ import annotations

from agent.knowledge import reasoning, store_roles
from agent.knowledge.base import Context, Contribution
from agent.knowledge.packs._base import (
    CloudWatchMetric,
    KeywordPack,
    cmd,
    mention,
    q,
    region,
)
from agent.knowledge.platforms.caches import managed_cache
from agent.knowledge.platforms.owners import owners_of
from agent.knowledge.signals import Signal, Threshold, limit
from agent.runbook import Command, Component, Issue, KeyMetric, Procedure, Step, Upstream
from agent.service.components import single_instance

FLUSH_WARNING = ("FLUSHALL/FLUSHDB delete every key on the node (all databases for FLUSHALL) and replicate "
                 "to every replica: sessions, locks, queues and rate limits stored there are gone. Delete "
                 "by pattern with SCAN + UNLINK instead, after a --bigkeys/--memkeys look.")


class RedisPack(KeywordPack):
    name = "redis"
    summary = ("Redis incl. ElastiCache: memory/eviction, maxclients, slow commands (never KEYS * or "
               "FLUSHALL in prod), replication, failover")
    keywords = ("redis", "elasticache", "valkey", "redis sentinel")
    order = 20
    examples = ("Session store in Redis 7 at sessions-redis:6379, cache-aside for the catalog",
                "Rate limiter backed by Amazon ElastiCache for Redis (cluster mode disabled)")
    negatives = ("The batch job redistributes load across shards", "Caches responses in Memcached",
                 "Sessions in ElastiCache for Memcached")

    def detect(self, ctx: Context) -> str | None:
        word = mention(ctx, ("redis", "valkey"))
        if word is None and not mention(ctx, ("memcached", "memcache")):
            word = mention(ctx, ("elasticache",))
        return f"description mentions {word!r}" if word else None

    def build(self, ctx: Context) -> Contribution:
        f = ctx.facts
        elasticache = mention(ctx, ("elasticache",))
        given_cluster = "elasticache.cluster" in f.names or "redis.instance" in f.names
        # ElastiCache with a named replication group and no host: ask AWS for the primary endpoint rather
        # than invent a host name
        ask_aws = bool(elasticache) and "redis.host" not in f.names and given_cluster
        host = f.name("elasticache.cluster", f.name("redis.instance", "")) if ask_aws else \
            f.name("redis.host", f"{f.service}-redis")
        port = f.name("redis.port", "6379")
        cluster = f.name("elasticache.cluster", f.name("redis.instance", f"{f.service}-redis"))
        reg = q(region(ctx))
        endpoint = (f"\"$(aws elasticache describe-replication-groups --region {reg} --replication-group-id "
                    f"{q(cluster)} --query 'ReplicationGroups[0].NodeGroups[0].PrimaryEndpoint.Address' "
                    "--output text)\"") if ask_aws else q(host)
        cli = f"redis-cli -h {endpoint} -p {port}" + (" --tls" if elasticache else "")
        # a loop resolves the endpoint once, not once per key
        loop_cli = cli.replace(endpoint, '"$REDIS_HOST"') if ask_aws else cli
        # What this Redis keeps decides whether a flush is ever a fix (sessions, locks, idempotency keys: never).
        store = ctx.model.component("redis") if ctx.model is not None else None
        verdict = reasoning.flush_verdict(store, ctx.model, f.description) if store is not None else None
        flushable = verdict is not None and verdict.allowed
        known = [k for k in reasoning.holds(store, ctx.model, f.description) if k in reasoning.KEEPS] \
            if store is not None and ctx.model is not None else []
        kept = verdict.reason if verdict is not None and known else ""
        # A broker (Celery, Sidekiq, RQ ...) holds the queued work itself: its queue lists and unacked hashes
        broker = store is not None and store_roles.role(store, ctx.model, f.description) == "broker"
        if broker:
            flushable = False
            kept = ("it is the task broker: every queued and unacknowledged task is lost (work never done, "
                    "no trace of it)" + (f"; {kept}" if kept else ""))
        queues = store.names_of("queue") if store is not None else []

        def cw(metric: str, stat: str = "Maximum") -> CloudWatchMetric | None:
            # Node-level metrics carry the node id: ElastiCache names the first node <cluster>-001.
            return CloudWatchMetric("AWS/ElastiCache", metric, {"CacheClusterId": cluster + "-001"}, stat) \
                if elasticache else None

        memory_probe = cmd("Memory used against maxmemory, and the eviction policy",
                           f"{cli} INFO memory | grep -E '^(used_memory_human|maxmemory_human|maxmemory_policy|"
                           "mem_fragmentation_ratio):'",
                           "used_memory well below maxmemory; maxmemory_policy as designed (allkeys-lru for "
                           "a cache, noeviction for queues and locks)")
        clients_probe = cmd("Connected and rejected clients",
                            f"{cli} INFO stats | grep -E '^(rejected_connections|evicted_keys|expired_keys):'\n"
                            f"{cli} INFO clients | grep -E '^(connected_clients|blocked_clients|maxclients):'",
                            "rejected_connections not growing; connected_clients well below maxclients")
        ping = cmd("Is Redis answering", f"{cli} PING", "PONG within a second")

        tags = ("elasticache",) if elasticache else ()
        labels = {"host": host, "cluster": cluster}
        signals = [
            Signal(key="redis.memory", name="Redis memory near maxmemory", measure="used memory",
                   threshold=limit(f, ("redis memory", "maxmemory", "memory"), 90, "%"), of="of maxmemory", minutes=5,
                   severity="Warning", response="Follow 'Redis: memory full and evictions'.",
                   entry="Redis: memory full and evictions", tags=tags, labels=labels, probe=memory_probe),
            Signal(key="redis.evictions", name="Redis evicting keys", measure="evictions",
                   threshold=limit(f, ("eviction",), 100, "keys/s"), minutes=10, severity="Warning",
                   response="Follow 'Redis: memory full and evictions'; " + (
                       "on a broker every evicted key is a lost task: set maxmemory-policy noeviction." if broker
                       else "hit rate falls and the database behind the cache takes the load."),
                   entry="Redis: memory full and evictions", tags=tags, labels=labels, probe=clients_probe),
            Signal(key="redis.down", name="Redis down", measure="Redis instances answering",
                   threshold=Threshold(1, op="<"), minutes=1, severity="Critical",
                   response="Follow 'Redis: connection refused or timeouts'.",
                   entry="Redis: connection refused or timeouts", tags=tags, labels=labels, probe=ping),
        ]

        # deleting keys is offered as a command only where the model says the store holds derived data alone;
        # elsewhere (sessions, locks, a cache the team has not called disposable) it is the team's decision
        unlink = Step(action="Delete the offending keys by pattern with SCAN + UNLINK (non-blocking); "
                             "never KEYS * (blocks the server for the whole scan)." if flushable else
                             "Deleting keys by pattern is the team's decision, not a memory fix: "
                             + (f"{kept}. " if kept else "the description does not say this Redis holds only "
                                "derived data. ") + "Find the biggest prefixes (redis-cli --bigkeys / --memkeys) "
                             "and ask the owner of the code that writes them.",
                      command=None if not flushable else cmd("Unlink keys matching one prefix",
                                  "PATTERN=\"${PATTERN:?set PATTERN: the prefix found above}\"\n"
                                  f"{cli} --scan --pattern \"$PATTERN\" --count 1000 | "
                                  f"xargs -r -n 500 {cli} UNLINK",
                                  "the count of unlinked keys; used_memory falls within a minute",
                                  warning="Deletes every key matching the pattern on this node; a wrong "
                                          "pattern deletes live data. Run the same --scan without the "
                                          "xargs part first and check the count."))
        never_flush = [] if flushable else [Step(
            action=(f"Never flush this Redis to free memory: {kept}. " if kept else
                    "Do not flush this Redis unless the team confirms it holds only cached data: ")
            + FLUSH_WARNING, command=None)]
        # the managed product the model names (ElastiCache, Memorystore, Azure Cache): its own CLI, never another's
        variant = store.variant if store is not None and store.variant else (
            "elasticache" if elasticache else "memorystore" if mention(ctx, ("memorystore",)) else
            "azure-cache" if mention(ctx, ("azure cache for redis",)) else "")
        product = managed_cache(ctx, store, variant,
                                (store.name("instance") if store is not None else None) or cluster)
        grow = Step(action="Set TTLs in the code path that writes the keys; raise maxmemory or the "
                           + (f"{product.product} instance size" if product is not None else "node size")
                           + " if the data set legitimately grew.",
                    command=product.resize() if product is not None else None)
        # a store that keeps state grows first; deleting keys comes last and only for derived data
        memory_fix = [*never_flush, grow, unlink] if kept else [unlink, *never_flush, grow]
        if not store_roles.offers(store, ctx.model, "pattern-unlink", f.description):
            memory_fix = [*never_flush, Step(
                action="A broker fills up when tasks are enqueued faster than workers finish them: fix or add "
                       "workers and let the queues drain; maxmemory-policy must be noeviction (an evicted key is a "
                       "lost task). Raise maxmemory or the node size if the backlog is legitimate.", command=None)]

        issues = [
            Issue(
                title="Redis: memory full and evictions",
                symptoms="OOM errors 'command not allowed when used memory > maxmemory' (noeviction), or a "
                         "falling cache hit rate and more load on the database (allkeys-*).",
                alert="Redis memory near maxmemory",
                check=[
                    memory_probe,
                    cmd("Largest keys, sampled with SCAN (safe on a live server)",
                        f"{cli} --bigkeys -i 0.1",
                        "the biggest key per type; a single huge key or a type growing without TTLs",
                        ),
                    cmd("Keys without a TTL, sampled",
                        (f"REDIS_HOST={endpoint}\n" if ask_aws else "")
                        + f"{loop_cli} --scan --count 1000 | head -n 200 | while read -r KEY; do "
                        f"printf '%s %s\\n' \"$({loop_cli} TTL \"$KEY\")\" \"$KEY\"; done | grep '^-1 ' | head -n 20",
                        "-1 means no expiry; a prefix with many of them is what fills memory"),
                ],
                fix=memory_fix,
                verify="used_memory below 80% of maxmemory and evicted_keys flat for 15 minutes.",
                escalate="If memory is still above 95% after 15 minutes or writes fail with OOM, page the "
                         "cache owner.",
            ),
            Issue(
                title="Redis: connection refused or timeouts",
                symptoms="Clients log 'Connection refused', 'max number of clients reached' or command "
                         "timeouts; latency spikes.",
                alert="Redis down",
                check=[
                    ping,
                    clients_probe,
                    cmd("Slow commands logged by Redis", f"{cli} SLOWLOG GET 10",
                        "no O(N) commands (KEYS, SMEMBERS/HGETALL on huge keys, LRANGE 0 -1) in the list"),
                    cmd("Latency measured from here", f"{cli} --latency -i 1 | head -n 5",
                        "avg under 1 ms inside a region"),
                ],
                fix=[
                    Step(action="If maxclients is reached, find the clients by address and restart the "
                                "leaking application; client connection pools should be bounded.",
                         command=cmd("Client connections grouped by address",
                                     f"{cli} CLIENT LIST | awk '{{print $2}}' | cut -d= -f2 | "
                                     "cut -d: -f1 | sort | uniq -c | sort -rn | head",
                                     "one address with hundreds of connections is the leak")),
                    Step(action="Kill a single runaway client rather than restarting Redis.",
                         command=cmd("Kill one client connection",
                                     "CLIENT_ADDR=\"${CLIENT_ADDR:?set CLIENT_ADDR: addr= from CLIENT LIST}\"\n"
                                     f"{cli} CLIENT KILL ADDR \"$CLIENT_ADDR\"",
                                     "OK; that client reconnects")),
                    Step(action="Remove the slow command from the code path (replace KEYS with SCAN, "
                                "paginate big collections).", command=None),
                ],
                verify="PING answers, rejected_connections stops growing and p99 command latency stays under "
                       "5 ms for 15 minutes.",
                escalate="If Redis is down for more than 5 minutes, page the cache owner and start the "
                         "failover procedure.",
            ),
        ]

        failover: Command
        if product is not None and kept and product.reboots:
            # the product's failover is a reboot of the primary: what it keeps for the service is at stake
            look = product.describe()
            failover = look.model_copy(update={
                "purpose": f"{look.purpose} (no forced reboot offered)",
                "warning": f"Never force-reboot {product.instance} as a fix: {kept}. Its failover is a reboot of "
                           "the primary; leave it to the provider's own failover, or decide it with the team."})
        elif product is not None:
            failover = product.failover()
            if broker:
                failover = failover.model_copy(update={"warning": f"{failover.warning} On a broker it is every "
                                                                  "queued task."})
        elif single_instance(store, ctx.text):
            # the team said there is no replica: nothing to promote; the instance itself comes back
            unit = store.name("unit") if store is not None else None
            status = f"systemctl status {unit} --no-pager" if unit else \
                "systemctl list-units --type=service --no-pager | grep -i redis"
            failover = cmd("Bring the single Redis instance back (there is no replica to fail over to)",
                           f"ssh {q(host)} {q(status)}\n"
                           f"redis-cli -h {q(host)} -p {port} INFO persistence | grep -E "
                           "'^(loading|rdb_last_bgsave_status|aof_enabled|aof_last_write_status):'",
                           "the unit is active and loading:0; the last RDB/AOF write succeeded",
                           warning="This Redis is a single point of failure (no replica, no Sentinel): never "
                                   "REPLICAOF or SENTINEL FAILOVER here. What it held comes back only from its "
                                   "RDB/AOF files on its own disk.")
        elif (ha := owners_of(ctx, store).ha_manager) is not None and ha.by == "sentinel":
            # Sentinel owns failover: promoting by hand makes two masters when the sentinels fight back
            master = store.name("master_name") if store is not None else None
            master_arg = q(master) if master else "\"$MASTER_NAME\""
            declare = "" if master else \
                "MASTER_NAME=\"${MASTER_NAME:?set MASTER_NAME to the Sentinel master name}\"\n"
            failover = cmd("Fail over through Sentinel (never REPLICAOF NO ONE by hand)",
                           f"{declare}SENTINEL_HOST=\"${{SENTINEL_HOST:?set SENTINEL_HOST to one of the sentinels}}\"\n"
                           f"redis-cli -h \"$SENTINEL_HOST\" -p 26379 SENTINEL get-master-addr-by-name {master_arg}\n"
                           f"redis-cli -h \"$SENTINEL_HOST\" -p 26379 SENTINEL FAILOVER {master_arg}",
                           "get-master-addr-by-name prints the new master within seconds; clients follow it",
                           warning="Moves the master: writes the new master had not received are lost. Only when "
                                   "the sentinels have not failed over by themselves.")
        else:
            failover = cmd("Promote a replica by hand (run against the replica)",
                           "REPLICA=\"${REPLICA:?set REPLICA: the replica host to promote}\"\n"
                           f"redis-cli -h \"$REPLICA\" -p {port} INFO replication | grep -E "
                           "'^(role|master_link_status|master_last_io_seconds_ago):'\n"
                           f"redis-cli -h \"$REPLICA\" -p {port} REPLICAOF NO ONE",
                           "role:master on the replica; point clients at it",
                           warning="Replication is asynchronous: writes the replica had not received are "
                                   "lost. If the old master comes back it must be made a replica (REPLICAOF) "
                                   "before clients reach it, or there are two masters. With Sentinel, use "
                                   "SENTINEL FAILOVER instead.")

        return Contribution(
            components=[Component(name="Cache / key-value store",
                                  technology="Redis (ElastiCache)" if elasticache else "Redis",
                                  version="fill in: redis-cli INFO server | grep redis_version",
                                  location=f"ElastiCache replication group {cluster}" if elasticache
                                  else f"{host}:{port}",
                                  purpose="Task broker (holds the queued tasks)" if broker else
                                  "Cache, sessions or rate limits")],
            upstream=[Upstream(service=f"Redis {cluster if elasticache else host}",
                               purpose="Task broker" if broker else "Cache and shared state", criticality="High",
                               fallback=(f"None: if this Redis is lost or flushed, {kept}. "
                                         + ("It is a single point of failure (no replica): restart it and "
                                            "check its persistence files (see Disaster Recovery)"
                                            if single_instance(store, ctx.text) else
                                            "Fail over to a replica (see Disaster Recovery)")
                                         + "; never flush it to recover" if kept
                                         else "Read through to the database with a short timeout; do not fail "
                                              "requests when the cache is down"))],
            key_metrics=[KeyMetric(metric="Redis memory used", normal_range="< 70% of maxmemory",
                                   alert_threshold="> 90% for 5 min", dashboard="fill in: Redis dashboard"),
                         KeyMetric(metric="Redis evictions", normal_range="0/s",
                                   alert_threshold="> 100/s for 10 min", dashboard="fill in: Redis dashboard")],
            prerequisites=[f"redis-cli 6+ with network access to {host}:{port}; put the password in "
                           "REDISCLI_AUTH (not -a, which leaks into shell history and ps)"
                           + ("; --tls assumes in-transit encryption is on (drop it otherwise)" if elasticache
                              else "")],
            signals=signals,
            issues=issues,
            assess=[cmd("Key counts per database (compare with the usual count)", f"{cli} INFO keyspace",
                        "db0:keys=... close to the usual count")],
            daily=["Check Redis memory headroom and eviction count"],
            weekly=["Review SLOWLOG for O(N) commands added by new code"],
            monthly=["Check that a replica exists and replication is healthy (INFO replication)",
                     "Review key TTLs: keys without expiry should be deliberate"],
            maintenance_commands=[
                cmd("Memory report and doctor advice", f"{cli} MEMORY DOCTOR",
                    "'no memory problems' or concrete advice"),
                # offered only when the model says it holds derived data and nothing else
                *([cmd("Clear the whole cache (it holds only cached, derived data)",
                       f"{cli} FLUSHDB ASYNC", "OK; hit rate recovers as the cache warms",
                       warning=FLUSH_WARNING + " The database behind the cache takes the full read load "
                                               "until it warms up.")] if flushable else []),
            ],
            dr_procedures=[Procedure(title="Redis: primary lost", commands=[
                cmd("Replication state", f"{cli} INFO replication",
                    "role and connected replicas; master_link_status:up on replicas"),
                failover,
            ])],
            cheatsheet=[
                cmd("Server overview", f"{cli} INFO server | head -n 20"),
                cmd("Live stats every second (Ctrl-C to stop)", f"{cli} --stat"),
                *([cmd("Tasks waiting per queue (the broker's lists)",
                       "\n".join(f"{cli} LLEN {q(name)}" for name in (queues or ["celery"])),
                       "the usual backlog; a count that only grows means workers are not consuming")] if broker else
                  [cmd("Find keys by pattern without blocking (never KEYS *)",
                       f"{cli} --scan --pattern 'session:*' --count 1000 | head -n 20")]),
                *([] if elasticache else [cmd(
                    "Did the last snapshot / AOF write succeed (a failing BGSAVE can stop writes)",
                    f"{cli} INFO persistence | grep -E '^(rdb_last_bgsave_status|rdb_last_save_time|"
                    "rdb_changes_since_last_save|aof_enabled|aof_last_write_status):'",
                    "rdb_last_bgsave_status:ok and a recent rdb_last_save_time; with "
                    "stop-writes-on-bgsave-error yes, a failed BGSAVE (disk full, fork failed) makes Redis "
                    "refuse writes (MISCONF)")]),
            ],
            environment_variables=[("REDIS_URL", f"redis://{host}:{port}")],
            vendors=[("AWS", "ElastiCache")] if elasticache else [],
        )

PACK = RedisPack()
