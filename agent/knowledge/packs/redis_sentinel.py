"""Redis Sentinel: which node is master, quorum, manual failover."""

from __future__ import annotations

from agent.knowledge.base import Context, Contribution
from agent.knowledge.packs._base import KeywordPack, cmd, mention, q, tech_host
from agent.knowledge.signals import Signal, Threshold
from agent.runbook import Issue, Procedure, Step


class RedisSentinelPack(KeywordPack):
    name = "redis-sentinel"
    summary = "Redis Sentinel: current master, quorum checks, SENTINEL FAILOVER, clients that cache the master"
    keywords = ("redis sentinel", "sentinel")
    order = 21
    examples = ("Redis with Sentinel (3 sentinels, master name mymaster) for the job queue",)
    negatives = ("Redis Cluster with 6 shards", "Security events go to Microsoft Sentinel")

    def detect(self, ctx: Context) -> str | None:
        # "Sentinel" alone also names Azure Sentinel and HashiCorp Sentinel; require Redis too.
        word = mention(ctx, self.keywords)
        return f"description mentions {word!r}" if word and mention(ctx, ("redis",)) else None

    def build(self, ctx: Context) -> Contribution:
        f = ctx.facts
        master = ctx.facts.name("redis.master", "mymaster")
        # Sentinels usually run beside each Redis server: use a named Redis host when there is one.
        near = f.names.get("redis.host") or tech_host(ctx, r"redis|sentinel|cache")
        sentinel = f"redis-cli -h {q(f.name('redis.sentinel', near or f.service + '-sentinel'))} -p 26379"
        where = cmd("Which node is master now", f"{sentinel} SENTINEL get-master-addr-by-name {q(master)}",
                    "the master's ip and port")
        quorum = cmd("Can the sentinels agree on a failover", f"{sentinel} SENTINEL ckquorum {q(master)}",
                     "'OK N usable Sentinels. Quorum and failover authorization can be reached'")

        signals = [Signal(
            key="sentinel.quorum", name="Redis Sentinel quorum at risk", measure="sentinels that see the master",
            threshold=Threshold(3, op="<"), minutes=2, severity="Warning",
            response="Follow 'Redis Sentinel: failover did not happen or clients write to the old master'.",
            entry="Redis Sentinel: failover did not happen or clients write to the old master",
            labels={"master": master}, probe=quorum)]

        issues = [Issue(
            title="Redis Sentinel: failover did not happen or clients write to the old master",
            symptoms="Write errors 'READONLY You can't write against a read only replica'; or the master is "
                     "down and no replica was promoted.",
            alert="Redis Sentinel quorum at risk",
            check=[where, quorum,
                   cmd("Replicas as Sentinel sees them", f"{sentinel} SENTINEL replicas {q(master)} | "
                       "grep -A1 -E '^(ip|flags|master-link-status)$'",
                       "replicas with flags 'slave' and master-link-status ok")],
            fix=[Step(action="READONLY errors: the clients cache the old master address; they must ask "
                             "Sentinel (a Sentinel-aware client) or be restarted.", command=None),
                 Step(action="No quorum: bring sentinels back (at least a majority) before forcing anything.",
                      command=None)],
            verify="get-master-addr-by-name returns the new master, ckquorum is OK and writes succeed for "
                   "10 minutes.",
            escalate="If no master is elected within 5 minutes, page the cache owner.",
        )]

        failover = cmd("Force a failover to a replica", f"{sentinel} SENTINEL FAILOVER {q(master)}",
                       "OK; get-master-addr-by-name shows a new address within 30 s",
                       warning="Replication is asynchronous: writes the chosen replica had not received are "
                               "lost. All clients reconnect. Only with a healthy quorum (ckquorum OK).")
        return Contribution(
            prerequisites=["redis-cli with access to the sentinels on port 26379"],
            signals=signals,
            issues=issues,
            maintenance_commands=[failover],
            daily=["Check SENTINEL ckquorum"],
            weekly=["Check every sentinel sees the same master"],
            monthly=["Rehearse SENTINEL FAILOVER in staging"],
            dr_procedures=[Procedure(title="Redis Sentinel: master lost", commands=[where, quorum, failover])],
            cheatsheet=[where, quorum],
        )


PACK = RedisSentinelPack()
