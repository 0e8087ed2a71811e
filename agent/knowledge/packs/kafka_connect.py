"""Kafka Connect: failed connectors and tasks, restarts, pause/resume, config changes."""

from __future__ import annotations

from agent.knowledge.base import Context, Contribution
from agent.knowledge.packs._base import KeywordPack, cmd, mention, q, workload_platform
from agent.knowledge.signals import Signal, Threshold
from agent.runbook import Command, Component, Issue, Procedure, Step


class KafkaConnectPack(KeywordPack):
    name = "kafka-connect"
    summary = "Kafka Connect / Debezium: failed tasks, restart only failed tasks, pause/resume, connector deletion"
    keywords = ("kafka connect", "debezium", "connector")
    order = 31
    examples = ("CDC from PostgreSQL to Kafka with Debezium on Kafka Connect",)
    negatives = ("Kafka consumer written in Go", "USB-C connector tester")

    def detect(self, ctx: Context) -> str | None:
        word = mention(ctx, ("kafka connect", "debezium"))
        if word is None and mention(ctx, ("kafka",)):
            word = mention(ctx, ("connector",))
        return f"description mentions {word!r}" if word else None

    def build(self, ctx: Context) -> Contribution:
        f = ctx.facts
        cluster = ctx.facts.name("kafka.connect_cluster", "kafka-connect")
        forward: Command | None = None
        if "kafka.connect_url" not in f.names:
            # Where the REST API is only reachable inside the platform (a ClusterIP Service), the platform
            # says how to reach it (Strimzi names the Service <cluster>-connect-api).
            svc = f"{cluster}-connect-api" if mention(ctx, ("strimzi",)) else cluster
            forward = workload_platform(ctx, "kafka-connect").reach(svc, 8083)
        url = f.names.get("kafka.connect_url") or ("http://localhost:8083" if forward else f"http://{cluster}:8083")
        connector = ctx.facts.name("kafka.connector", f"{f.service}-connector")
        base = f"{url}/connectors/{connector}"
        status = cmd(f"Status of {connector} and its tasks",
                     f"curl -sS {q(base + '/status')} | jq '{{connector: .connector.state, tasks: "
                     "[.tasks[] | {id, state, trace: (.trace // \"\" | .[0:200])}]}'",
                     "connector and every task RUNNING; a FAILED task shows the start of its stack trace")

        signals = [Signal(
            key="kafka_connect.failed_tasks", name="Kafka Connect task failed", measure="failed tasks",
            threshold=Threshold(0), minutes=5, severity="Critical",
            response="Follow 'Kafka Connect: connector or task FAILED'; data stops flowing while it is failed.",
            entry="Kafka Connect: connector or task FAILED", labels={"connector": connector}, probe=status)]

        restart = cmd("Restart only the failed tasks (Kafka 3.0+)",
                      f"curl -sS -X POST {q(base + '/restart?includeTasks=true&onlyFailed=true')}",
                      "HTTP 202; status shows the tasks RUNNING within a minute")
        issues = [Issue(
            title="Kafka Connect: connector or task FAILED",
            symptoms="No new rows/messages downstream; a task in state FAILED.",
            alert="Kafka Connect task failed",
            check=[status, cmd("Every connector on the cluster and its state",
                               f"curl -sS {q(url + '/connectors?expand=status')} | jq -r "
                               "'to_entries[] | \"\\(.key) \\(.value.status.connector.state)\"'",
                               "every connector RUNNING")],
            fix=[Step(action="Fix the cause in the trace (credentials, schema change, a record the converter "
                             "cannot handle), then restart the failed tasks.", command=restart),
                 Step(action="Debezium: if the replication slot was dropped or the binlog purged, the connector "
                             "needs a new snapshot; agree it with the data owner first.", command=None)],
            verify="Connector and tasks RUNNING for 15 minutes and downstream data current.",
            escalate="If tasks fail again within 15 minutes, page the data platform owner.",
        )]

        return Contribution(
            components=[Component(name="Connector", technology="Kafka Connect", version="fill in: GET " + url,
                                  location=url, purpose=f"Connector {connector}")],
            prerequisites=[f"curl and jq with access to the Kafka Connect REST API at {url}"
                           + (f" ({forward.code})" if forward else "")],
            signals=signals,
            issues=issues,
            maintenance_commands=[
                cmd("Pause the connector (keeps its offsets)", f"curl -sS -X PUT {q(base + '/pause')}",
                    "HTTP 202; state PAUSED. Resume with PUT .../resume"),
                cmd("Delete the connector", f"curl -sS -X DELETE {q(base)}",
                    "HTTP 204",
                    warning="Removes the connector and its config; its offsets stay in the offsets topic and are "
                            "reused only if it is recreated with the same name. A Debezium slot on the source "
                            "keeps retaining WAL. Prefer pause."),
            ],
            daily=["Check every connector is RUNNING"],
            weekly=["Check Debezium replication slot lag on the source database"],
            monthly=["Review connector configs in version control against the running ones"],
            dr_procedures=[Procedure(title="Kafka Connect: recreate a connector", commands=[cmd(
                "Recreate the connector from its saved config",
                f"CONFIG_FILE=connectors/{connector}.json  # the config kept in version control\n"
                f"curl -sS -X PUT -H 'Content-Type: application/json' --data @\"$CONFIG_FILE\" "
                f"{q(base + '/config')}",
                "HTTP 200/201 and the connector RUNNING")])],
            cheatsheet=[*([forward] if forward else []), status, restart],
        )


PACK = KafkaConnectPack()
