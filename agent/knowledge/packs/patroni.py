"""Patroni-managed PostgreSQL HA: leader state, DCS outages, switchover vs failover, reinit, pause."""

from __future__ import annotations

from agent.knowledge.base import Context, Contribution
from agent.knowledge.packs._base import KeywordPack, cmd, component_form, namespace, q, workload_platform
from agent.knowledge.signals import Signal, Threshold
from agent.runbook import Component, Issue, KeyMetric, Procedure, Step

CONFIG = "/etc/patroni/patroni.yml"


class PatroniPack(KeywordPack):
    name = "patroni"
    summary = ("Patroni PostgreSQL HA: no leader / DCS down (primary demotes itself), switchover vs "
               "failover, reinit, maintenance mode")
    keywords = ("patroni", "spilo", "zalando postgres operator")
    order = 12
    examples = ("PostgreSQL 16 cluster managed by Patroni with etcd, three nodes",)
    negatives = ("PostgreSQL on RDS Multi-AZ",)

    def build(self, ctx: Context) -> Contribution:
        f = ctx.facts
        cluster = ctx.facts.name("patroni.cluster", f"{f.service}-db")
        # patronictl runs on a member, through the member's platform. In the cluster (Spilo / Zalando
        # operator) the images ship it with its config in place and the DCS is the Kubernetes API.
        in_cluster = component_form(ctx, "patroni") == "cluster-workload"
        member = workload_platform(ctx, "patroni")
        ctl = member.as_root(f"pod/{cluster}-0", "patronictl" if in_cluster else f"patronictl -c {CONFIG}")
        if in_cluster:
            # On Kubernetes (Spilo / Zalando operator) the DCS is the API server: the leader lock is an
            # annotation on the cluster's Endpoints object.
            dcs = cmd("Leader lock in the Kubernetes API (the DCS)",
                      f"kubectl get endpoints {q(cluster)} -n {q(namespace(ctx))} "
                      "-o jsonpath='{.metadata.annotations}'",
                      "leader names the primary and renewTime is seconds old; a stale renewTime means Patroni "
                      "cannot write to the API server")
        else:
            dcs = cmd("Is the DCS (etcd) healthy",
                      "ETCDCTL_API=3 etcdctl endpoint health --cluster",
                      "every endpoint 'is healthy' (Consul: consul members); Patroni cannot hold the leader lock "
                      "without a DCS quorum")
        listing = cmd("Cluster members, roles, state and lag", f"{ctl} list {q(cluster)}",
                      "one Leader (running), replicas 'streaming' with Lag in MB near 0")

        labels = {"cluster": cluster}
        signals = [
            Signal(key="patroni.no_leader", name="Patroni cluster has no leader", measure="members that are primary",
                   threshold=Threshold(1, op="<"), minutes=1, severity="Critical",
                   response="Follow 'Patroni: no leader or primary read-only'.",
                   entry="Patroni: no leader or primary read-only", labels=labels, probe=listing),
            Signal(key="patroni.postgres_down", name="Patroni PostgreSQL not running",
                   measure="members whose PostgreSQL is down", threshold=Threshold(1, op=">="), minutes=2,
                   severity="Warning", response="Check the member with patronictl list; reinit it if it cannot rejoin.",
                   labels=labels, probe=listing),
            Signal(key="patroni.paused", name="Patroni left in maintenance mode", measure="cluster paused flag",
                   threshold=Threshold(1, op=">="), minutes=60, severity="Warning",
                   response=f"Nothing fails over while paused: finish the work and run {ctl} resume {cluster}.",
                   labels=labels, probe=listing),
        ]

        issues = [
            Issue(
                title="Patroni: no leader or primary read-only",
                symptoms="Writes fail with 'cannot execute ... in a read-only transaction'; patronictl list shows "
                         "no Leader; Patroni logs 'demoting self because DCS is not accessible'.",
                alert="Patroni cluster has no leader",
                check=[
                    listing,
                    dcs,
                ],
                fix=[
                    Step(action="Restore the DCS quorum first (etcd/Consul/Kubernetes API): Patroni demotes the "
                                "primary when it cannot renew the leader key, by design, to avoid split brain "
                                "(unless failsafe_mode is on).", command=None),
                    Step(action="If the DCS is fine but no member is promotable, fail over to the most "
                                "up-to-date replica (lowest Lag).",
                         command=cmd("Fail over to a chosen replica",
                                     "CANDIDATE=\"${CANDIDATE:?"
                                     "set CANDIDATE: the replica with the lowest Lag in patronictl list}\"\n"
                                     f"{ctl} failover {q(cluster)} --candidate \"$CANDIDATE\" --force",
                                     "the candidate becomes Leader within 30 s",
                                     warning="Failover to an asynchronous replica loses transactions it had not "
                                             "replayed (its Lag). Prefer 'patronictl switchover' when the "
                                             "primary is healthy: it waits for the candidate to catch up.")),
                ],
                verify="patronictl list shows one Leader and writes succeed for 10 minutes.",
                escalate="Page the database owner at once if no leader after 5 minutes.",
            ),
            Issue(
                title="Patroni: replica cannot rejoin or lags",
                symptoms="A member in 'start failed' or 'stopped' state, or Lag growing for one replica.",
                alert="Patroni PostgreSQL not running",
                check=[listing, cmd("Failover and switchover history", f"{ctl} history {q(cluster)}",
                                    "recent timeline changes explain a replica stuck on an old timeline")],
                fix=[Step(action="Rebuild the broken replica from the leader.",
                          command=cmd("Reinitialise one replica",
                                      "MEMBER=\"${MEMBER:?set MEMBER: the broken replica from patronictl list}\"\n"
                                      f"{ctl} reinit {q(cluster)} \"$MEMBER\" --force",
                                      "the member goes 'creating replica' then 'streaming'",
                                      warning="Deletes the member's data directory and re-clones it from the "
                                              "leader: heavy I/O and network on the leader for the size of the "
                                              "database. Never run it against the Leader.")),
                     ],
                verify="The member shows 'streaming' with Lag under 16 MB for 15 minutes.",
                escalate="If reinit fails twice, page the database owner.",
            ),
        ]

        return Contribution(
            components=[Component(name="PostgreSQL HA manager", technology="Patroni",
                                  version=f"fill in: {ctl} version", location=f"Patroni cluster {cluster}",
                                  purpose="Leader election and automatic failover for PostgreSQL")],
            key_metrics=[KeyMetric(metric="Patroni leaders", normal_range="exactly 1",
                                   alert_threshold="< 1 for 1 min", dashboard="fill in: Patroni dashboard")],
            prerequisites=["patronictl on a database node (or kubectl exec into a member pod) and access to "
                           "the DCS (etcdctl, consul, or the Kubernetes API)"],
            deploy_caveats=["Change PostgreSQL parameters with 'patronictl edit-config', not postgresql.conf: "
                            "Patroni overwrites local files; settings marked pending restart need "
                            "'patronictl restart' per member."],
            signals=signals,
            issues=issues,
            maintenance_commands=[
                cmd("Planned switchover (healthy primary, no data loss)",
                    "CANDIDATE=\"${CANDIDATE:?set CANDIDATE: a streaming replica with Lag 0}\"\n"
                    f"{ctl} switchover {q(cluster)} --candidate \"$CANDIDATE\" --force",
                    "the candidate is Leader, the old primary rejoins as a replica",
                    warning="Connections to the old primary drop during the switch (seconds); run it in a "
                            "quiet period and let PgBouncer or the clients reconnect."),
                cmd("Maintenance mode: stop automatic failover while you work",
                    f"{ctl} pause {q(cluster)} --wait",
                    "'Maintenance mode: on' in patronictl list",
                    warning="While paused nothing fails over automatically: a dead primary stays dead. Always "
                            f"finish with: {ctl} resume {cluster}"),
            ],
            daily=["Check patronictl list: one Leader, replicas streaming"],
            weekly=["Check etcd health and disk space"],
            monthly=["Rehearse a planned switchover"],
            dr_procedures=[Procedure(title="Patroni: primary node lost", commands=[listing, cmd(
                "Check who holds the leader key after the automatic failover", f"{ctl} history {q(cluster)}",
                "a new timeline with the new leader; check its Lag at failover to know what was lost")])],
            cheatsheet=[listing, cmd("Show the dynamic configuration", f"{ctl} show-config {q(cluster)}")],
        )


PACK = PatroniPack()
