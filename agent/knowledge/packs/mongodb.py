"""MongoDB replica sets (self-managed or Atlas): elections, stepDown, slow operations, oplog window."""

from __future__ import annotations

import re

from agent.knowledge.base import Context, Contribution
from agent.knowledge.packs._base import KeywordPack, cmd, kill_switch, q, snake
from agent.knowledge.signals import Signal, Threshold, limit
from agent.runbook import Component, Issue, KeyMetric, Procedure, Step, Upstream
from agent.service.components import single_instance


class MongoDbPack(KeywordPack):
    name = "mongodb"
    summary = ("MongoDB replica sets incl. Atlas: no primary / elections, rs.stepDown, killOp on slow "
               "operations, oplog window, mongodump/mongorestore")
    keywords = ("mongodb", "mongo", "mongodb atlas", "documentdb", "mongoose")
    order = 15
    examples = ("Catalog stored in a MongoDB 7 replica set (rs0), database catalog",)
    negatives = ("Catalog stored in PostgreSQL", "Uses Mongolian locale data")

    def build(self, ctx: Context) -> Contribution:
        f = ctx.facts
        host = f.name("mongodb.host", f"{f.service}-mongo")
        db = f.name("mongodb.database", snake(f.service))
        # A replica-set URI finds the current primary (rs.stepDown and writes must run there).
        members = [h for h in f.name("hosts", "").split(",") if re.search(r"mongo", h)]
        members = [host, *(m for m in members if m != host)] if host in members or "mongodb.host" in f.names else []
        replset = f.names.get("mongodb.replset")
        if len(members) > 1 and replset:
            uri = f"mongodb://{','.join(m + ':27017' for m in members)}/{db}?replicaSet={replset}"
        else:
            uri = f"mongodb://{host}:27017/{db}"

        # the model's MongoDB component is one member ("a single-node replica set")
        store = ctx.model.component("mongodb") if ctx.model is not None else None
        single = single_instance(store, f.description)

        def sh(script: str) -> str:
            return f"mongosh {q(uri)} --quiet --eval {q(script)}"

        status = cmd("Replica set members, state and lag",
                     sh("rs.status().members.forEach(m => print(m.name, m.stateStr, m.health, "
                        "m.optimeDate))"),
                     "one PRIMARY, the rest SECONDARY with health 1 and optimeDate within seconds of the primary")
        conns = cmd("Connections in use and available",
                    sh("printjson(db.serverStatus().connections)"),
                    "current well below current + available")

        signals = [
            Signal(key="mongodb.replication_lag", name="MongoDB replication lag", measure="secondary lag",
                   threshold=limit(ctx.facts, ("replica", "replication", "lag"), 30, "s"), minutes=5,
                   severity="Warning", response="Follow 'MongoDB: replication lag or oplog window short'.",
                   entry="MongoDB: replication lag or oplog window short", labels={"host": host}, probe=status,
                   covers=("replication_lag",)),
            Signal(key="mongodb.connections_available", name="MongoDB connections high",
                   measure="available connections", threshold=Threshold(100, op="<"), minutes=5, severity="Warning",
                   response="Find the client holding connections (currentOp by client).", labels={"host": host},
                   probe=conns, covers=("connections",)),
        ]

        kill_warning = ("db.killOp ends the operation; a killed write may be partly applied (no multi-document "
                        "rollback outside transactions). Kill only what you identified, never internal "
                        "operations (replication, balancer).")
        issues = [
            Issue(
                title="MongoDB: no primary or frequent elections",
                symptoms="'not primary' / 'NotWritablePrimary' errors; writes fail for seconds to minutes.",
                alert=None,
                check=[status, cmd("Recent elections in the log", sh(
                    "db.adminCommand({getLog: 'global'}).log.filter(l => /election|stepped down/i.test(l))"
                    ".slice(-10).forEach(l => print(l))"), "no elections during the incident, or their cause")],
                fix=[Step(action="Elections need a majority of voting members: restore a quorum first (2 of 3).",
                          command=None),
                     Step(action="A single-member replica set has no secondary to take over: rs.stepDown only "
                                 "leaves it without a primary for 60 s and a forced reconfig has nothing to keep. "
                                 "Bring the one member back (its process, its disk) instead.", command=None)
                     if single else
                     Step(action="To move the primary off a sick node, step it down (planned, not forced).",
                          command=cmd("Step down the primary for 60 s",
                                      sh("rs.stepDown(60, 10)"),
                                      "a secondary becomes primary within about 12 s",
                                      warning="Writes fail during the election (about 10-12 s) and every client "
                                              "reconnects. Run it in a quiet period; never use "
                                              "rs.reconfig(cfg, {force: true}) unless the majority is lost for "
                                              "good, it can roll back acknowledged writes."))],
                verify="rs.status() shows one PRIMARY and no election for 15 minutes.",
                escalate="No primary for more than 5 minutes: page the database owner.",
            ),
            Issue(
                title="MongoDB: slow operations",
                symptoms="High latency; operations running for seconds; CPU high on the primary.",
                alert="MongoDB connections high",
                check=[conns, cmd("Operations running longer than 5 s", sh(
                    "db.currentOp({active: true, secs_running: {$gte: 5}}).inprog.forEach(o => print(o.opid, "
                    "o.secs_running, o.ns, o.planSummary, JSON.stringify(o.command).slice(0, 120)))"),
                    "no COLLSCAN on large collections; note the opid of the culprit")],
                fix=[Step(action="Kill the runaway operation.",
                          command=cmd("Kill one operation", "OPID=\"${OPID:?set OPID: the opid from currentOp}\"\n"
                                      + f"mongosh {q(uri)} --quiet --eval \"db.killOp($OPID)\"",
                                      "{ info: 'attempting to kill op', ok: 1 }", warning=kill_warning)),
                     Step(action="Add the index the plan lacks (COLLSCAN); builds on 4.2+ do not block the "
                                 "collection for long.", command=None)],
                verify="No operation above 5 s in currentOp and p95 latency normal for 15 minutes.",
                escalate="If slow operations return within 30 minutes, page the database owner.",
            ),
            Issue(
                title="MongoDB: replication lag or oplog window short",
                symptoms="Stale secondary reads; a secondary in RECOVERING falls off the oplog and needs a "
                         "full initial sync.",
                alert="MongoDB replication lag",
                check=[status, cmd("Oplog window (how far behind a secondary may fall)",
                                   sh("rs.printReplicationInfo()"),
                                   "'log length start to end' of many hours (24 h or more is comfortable)")],
                fix=[Step(action="Find heavy write bursts or a slow secondary disk; grow the oplog "
                                 "(replSetResizeOplog) if the window is shorter than your maintenance windows.",
                          command=None)],
                verify="Every secondary within 30 s of the primary for 15 minutes.",
                escalate="A secondary stuck in RECOVERING: page the database owner (initial sync needed).",
            ),
        ]

        return Contribution(
            components=[Component(name="Document database", technology="MongoDB",
                                  version=f"fill in: {sh('db.version()')}",
                                  location=uri, purpose=f"Database {db}")],
            upstream=[Upstream(service=f"MongoDB {db}", purpose="Reads and writes", criticality="Critical",
                               fallback="Retryable writes ride out elections of about 12 s; none beyond that")],
            key_metrics=[KeyMetric(metric="MongoDB replication lag", normal_range="< 2 s",
                                   alert_threshold="> 30 s for 5 min", dashboard="fill in: MongoDB dashboard")],
            prerequisites=[f"mongosh and mongodump/mongorestore (MongoDB Database Tools) with access to {host}:27017; "
                           "credentials in the URI from a secret, not typed on the command line"],
            signals=signals,
            issues=issues,
            stop_writes=kill_switch(ctx, f.service, "stop the writes that corrupt data"),
            assess=[cmd("Document counts per collection", sh(
                "db.getCollectionNames().forEach(c => print(c, db.getCollection(c).estimatedDocumentCount()))"),
                "counts close to yesterday's")],
            restore=[cmd("Restore one collection from the last dump into a side database",
                         "DUMP_DIR=\"${DUMP_DIR:?set DUMP_DIR: mongodump output taken before the corruption}\"\n"
                         "COLLECTION=\"${COLLECTION:?set COLLECTION: the damaged collection}\"\n"
                         f"mongorestore --uri={q(f'mongodb://{host}:27017')} --nsInclude=\"{db}.$COLLECTION\" "
                         f"--nsFrom=\"{db}.$COLLECTION\" --nsTo=\"{db}_restore.$COLLECTION\" \"$DUMP_DIR\"",
                         "documents restored into the side database; compare before copying back")],
            daily=["Check the MongoDB backup (mongodump or Atlas snapshot) finished"],
            weekly=["Review the slow query log / profiler for COLLSCANs"],
            monthly=["Check the oplog window is longer than 24 h", "Test a restore"],
            maintenance_commands=[cmd("Dump the database", f"mongodump --uri={q(uri)} --gzip --out=/var/backups/mongo/"
                                                           "\"$(date +%F)\"",
                                      "a directory of .bson.gz files per collection")],
            # a one-member set has no majority to lose and no survivor to force: no forced reconfig
            dr_procedures=[] if single else [Procedure(title="MongoDB: lost the majority of the replica set",
                                     commands=[cmd(
                                         "State as one surviving member sees it (no primary: connect directly)",
                                         f"SURVIVOR=\"${{SURVIVOR:?set SURVIVOR: a member still up "
                                         f"(one of {' '.join(members) or host})}}\"\n"
                                         f"mongosh \"mongodb://$SURVIVOR:27017/{db}?directConnection=true\" --quiet "
                                         "--eval 'rs.status().members.forEach(m => print(m.name, m.stateStr, "
                                         "m.health))'",
                                         "which members are unreachable (health 0) and that no PRIMARY is left"),
                                         cmd(
                                         "Force a surviving member to be primary (last resort)",
                                         f"SURVIVOR=\"${{SURVIVOR:?set SURVIVOR: the member to keep "
                                         f"(one of {' '.join(members) or host})}}\"\n"
                                         "cat <<'JS' > /tmp/force-reconfig.js\n"
                                         "cfg = rs.conf();\n"
                                         "cfg.members = cfg.members.filter(m => m.host === db.hello().me);\n"
                                         "rs.reconfig(cfg, {force: true});\n"
                                         "JS\n"
                                         f"mongosh \"mongodb://$SURVIVOR:27017/{db}?directConnection=true\" "
                                         "--quiet --file /tmp/force-reconfig.js",
                                         "the surviving member becomes PRIMARY of a one-member set",
                                         warning="Forced reconfig can discard writes acknowledged by the lost "
                                                 "members, and they must be resynced before rejoining. Only with "
                                                 "the database owner's approval when the majority is gone "
                                                 "for good.")])],
            cheatsheet=[status, conns],
            environment_variables=[("MONGODB_URI", uri)],
        )


PACK = MongoDbPack()
