"""RabbitMQ: backlog, consumers, memory/disk alarms that block publishers, partitions, purge."""

from __future__ import annotations

from agent.knowledge.base import Context, Contribution
from agent.knowledge.packs._base import (
    KeywordPack,
    cmd,
    component_form,
    kill_switch,
    mention,
    messaging_role,
    namespace,
    on_host,
    q,
    restart_workload,
    tech_host,
    workload_platform,
)
from agent.knowledge.signals import Signal, Threshold, limit
from agent.runbook import Component, Issue, KeyMetric, Procedure, Step, Upstream


class RabbitMqPack(KeywordPack):
    name = "rabbitmq"
    summary = ("RabbitMQ: queue backlog and missing consumers, memory/disk alarms blocking publishers, "
               "unacked messages, partitions, purge")
    keywords = ("rabbitmq", "rabbit mq", "amqp", "amazon mq for rabbitmq")
    order = 32
    examples = ("Worker consuming the invoices queue on RabbitMQ 3.13 (vhost /billing)",)
    negatives = ("Consumes from Kafka", "Uses SQS for jobs")

    def build(self, ctx: Context) -> Contribution:
        f = ctx.facts
        # A service that publishes to RabbitMQ ("RabbitMQ for progress events") does not own the queue's
        # consumers: no invented queue of its own, and nothing tells the reader to restart it for a backlog.
        role, what = messaging_role(ctx, r"rabbit\s?mq|amqp")
        # a Celery app's workers consume from their broker, whatever the text says of others' publishing
        publisher = role == "publisher" and mention(ctx, ("celery",)) is None
        what = what or "messages"
        # a Celery app's queues are its broker's (the model holds them on Celery)
        named = f.names.get("rabbitmq.queue") or f.names.get("celery.queue")
        queue = named or (f"the queues of {what}" if publisher else f"{f.service}-queue")
        vhost = ctx.facts.name("rabbitmq.vhost", "/")
        # How RabbitMQ runs (the model's form of it, else the service's): its CLIs run on a node, through
        # the node's platform; on hosts named in the description, over ssh.
        form = component_form(ctx, "rabbitmq")
        # RabbitMQ often lives in its own namespace ("the RabbitMQ cluster in the rabbitmq namespace").
        # (the parser binds that namespace to the RabbitMQ component; the description is not re-read here).
        brokers = ctx.model.components_of("rabbitmq") if ctx.model is not None else []
        own_ns = next((c.name("namespace") for c in brokers if c is not ctx.model.app and c.name("namespace")), None) \
            if ctx.model is not None else None
        ns = own_ns or namespace(ctx)
        vm_host = tech_host(ctx, r"rabbit|mq|amqp") if form == "host" else None
        default_node = f"{f.name('k8s.statefulset', 'rabbitmq')}-0" if form == "cluster-workload" else (
            vm_host or "rabbitmq")
        node = f.name("rabbitmq.host", default_node)
        platform = workload_platform(ctx, "rabbitmq", namespace=ns)

        def run(tool: str, args: str) -> str:
            if vm_host:
                return on_host(ctx, node, f"sudo {tool} {args}")
            if form in ("cluster-workload", "container", "host"):
                return platform.as_root(f"pod/{node}" if form == "cluster-workload" else node, f"{tool} {args}")
            return f"sudo {tool} {args}"  # on a RabbitMQ node

        ctl = "rabbitmqctl"
        diag = "rabbitmq-diagnostics"
        queues = cmd(f"Queues in vhost {vhost}: ready, unacked, consumers",
                     run(ctl, f"list_queues -p {q(vhost)} name messages_ready messages_unacknowledged consumers "
                              "--formatter pretty_table"),
                     f"{queue}: messages_ready low, consumers > 0")
        alarms = cmd("Resource alarms (memory, disk) on every node", run(diag, "alarms"),
                     "'Node ... reported no alarms'")

        by_queue = f'queue="{queue}",' if not publisher or named else ""
        dd_queue = f"rabbitmq_queue:{queue}" if not publisher or named else "*"
        labels = {"vhost": vhost, "by_queue": by_queue, "dd_queue": dd_queue, "queue": queue}
        signals = [
            Signal(key="rabbitmq.ready", name="RabbitMQ queue backlog", measure="messages ready",
                   threshold=limit(f, ("backlog", "queue", "ready"), 10000, "", figure="backlog.max"), minutes=10,
                   severity="Warning", response="Follow 'RabbitMQ: backlog growing or no consumers'.",
                   entry="RabbitMQ: backlog growing or no consumers", labels=labels, probe=queues,
                   covers=("queue_backlog",)),
            Signal(key="rabbitmq.no_consumers", name="RabbitMQ queue has no consumers", measure="consumers",
                   threshold=Threshold(1, op="<"), minutes=5, severity="Warning" if publisher else "Critical",
                   response="Follow 'RabbitMQ: backlog growing or no consumers'.",
                   entry="RabbitMQ: backlog growing or no consumers", labels=labels, probe=queues),
            Signal(key="rabbitmq.alarm", name="RabbitMQ resource alarm", measure="memory or disk alarms active",
                   threshold=Threshold(0), minutes=1, severity="Critical",
                   response="Follow 'RabbitMQ: publishers blocked by a memory or disk alarm'.",
                   entry="RabbitMQ: publishers blocked by a memory or disk alarm", labels=labels, probe=alarms),
        ]

        consumers = cmd("Consumers and their prefetch", run(ctl, f"list_consumers -p {q(vhost)}"),
                        f"consumers on {queue} with a sensible prefetch_count (not 0 = unlimited)")
        backlog = Issue(
            title="RabbitMQ: backlog growing or no consumers",
            symptoms="messages_ready rising; work done late; consumers 0 after a deploy or crash.",
            alert="RabbitMQ queue has no consumers",
            check=[queues, consumers],
            fix=[Step(action="Restart the consumers; unacked messages of a dead consumer go back to ready.",
                      command=restart_workload(ctx, f.service)),
                 Step(action="Many unacked and few ready: consumers take messages but never ack (stuck "
                             "handler or exception before ack); fix the handler, set a prefetch limit.",
                      command=None),
                 Step(action="A backlog that fills a node's memory trips the memory alarm "
                             "(vm_memory_high_watermark): RabbitMQ then blocks every publisher. `rabbitmq-diagnostics "
                             "alarms` on a node shows it; it clears once consumers drain the queues; raising the "
                             "watermark only moves the node toward OOM.",
                      command=None)],
            verify=f"{queue} has consumers and messages_ready falls below 1000 within 30 minutes.",
            escalate="If the backlog still grows after 30 minutes, page the service owner.",
        )
        if publisher:
            backlog = Issue(
                title="RabbitMQ: backlog growing or no consumers",
                symptoms=f"messages_ready rising in {queue}: whoever consumes the {what} this service publishes "
                         "is down or slow. Left alone, the backlog grows into the memory alarm that blocks "
                         "publishing.",
                alert="RabbitMQ queue has no consumers",
                check=[queues, consumers],
                fix=[Step(action=f"The consumers of the {what} are not this service: tell their owner, with the "
                                 "queue names and counts above. Restarting this service does not help.",
                          command=None),
                     Step(action="If the memory alarm is close, have this service publish less (pause optional "
                                 "events) until the consumers catch up.", command=None)],
                verify=f"{queue} has consumers and messages_ready falls below 1000 within 30 minutes.",
                escalate="If the backlog still grows after 30 minutes, page the owner of the consumers.",
            )
        issues = [
            backlog,
            Issue(
                title="RabbitMQ: publishers blocked by a memory or disk alarm",
                symptoms="Publishers hang; connections shown as 'blocked'/'blocking' in the management UI.",
                alert="RabbitMQ resource alarm",
                check=[alarms, cmd("Where the memory goes", run(diag, "memory_breakdown --unit mb"),
                                   "queue processes or binaries dominating point at a large backlog"),
                       # a client leaking connections is the other way to the memory alarm: count them by client
                       cmd("Connections by client host and user (a leaking client holds thousands)",
                           run(ctl, "list_connections peer_host user --no-table-headers") +
                           " | sort | uniq -c | sort -rn | head -n 10",
                           "Counts in line with each client's usual pool; one client far above the rest leaks")],
                fix=[Step(action="Drain the backlog by getting consumers running (above); the alarm clears by "
                                 "itself when usage falls below the watermark.", command=None),
                     Step(action="Free disk on the node (logs) or add disk; do not raise the watermarks to "
                                 "silence the alarm.", command=None)],
                verify="rabbitmq-diagnostics alarms reports no alarms and publishers flow for 15 minutes.",
                escalate="If the alarm lasts longer than 15 minutes, page the messaging owner.",
            ),
            *([Issue(
                title="RabbitMQ: node down or needing a restart",
                symptoms="A node missing from cluster_status; rabbitmq-server failed or flapping on its host.",
                alert=None,
                check=[cmd(f"rabbitmq-server on {node}",
                           on_host(ctx, node, "systemctl status rabbitmq-server --no-pager; journalctl -u "
                                              "rabbitmq-server --since '30 min ago' --no-pager | tail -n 50"),
                           "active (running); otherwise the last error (disk, Erlang cookie, port in use)"),
                       cmd("Would stopping this node take a quorum queue below its majority?",
                           run("rabbitmq-queues", "check_if_node_is_quorum_critical"),
                           "exit 0 ('no quorum queues would lose majority'); non-zero means do not stop it now")],
                fix=[Step(action="Restart one node at a time, and only when the quorum check passes: drain it "
                                 "first so clients move to the other nodes.",
                          command=cmd(f"Drain and restart {node}",
                                      on_host(ctx, node, "sudo rabbitmq-upgrade drain && sudo systemctl restart "
                                                         "rabbitmq-server && sudo rabbitmq-upgrade revive"),
                                      "node back in cluster_status, running, no alarms",
                                      warning="Connections on this node drop and reconnect elsewhere; quorum queues "
                                              "with a member here lose redundancy until it is back. Never restart "
                                              "two nodes at once, and never 'rabbitmqctl reset' a node with data."))],
                verify="cluster_status lists every node running and no alarms for 15 minutes.",
                escalate="If a node will not rejoin within 30 minutes, page the messaging owner.",
            )] if vm_host else []),
            Issue(
                title="RabbitMQ: cluster partition",
                symptoms="Nodes disagree on queue state; 'partitions' listed in cluster status.",
                alert=None,
                check=[cmd("Cluster status and partitions", run(ctl, "cluster_status"),
                           "all nodes running, 'Network Partitions' empty")],
                fix=[Step(action="With classic mirrored queues, restart the nodes of the minority side one by "
                                 "one (messages only they held are lost); quorum queues recover without "
                                 "intervention once the network heals.", command=None)],
                verify="cluster_status shows no partitions for 15 minutes.",
                escalate="Page the messaging owner for any partition.",
            ),
        ]

        purge = cmd(f"Purge {queue} (drop every ready message)",
                    run(ctl, f"purge_queue -p {q(vhost)} {q(queue)}"),
                    "the number of messages purged",
                    warning=f"Deletes every ready message in {queue} for good (unacked ones survive). Prefer "
                            "shovelling them to a parking queue, or let consumers drop them after inspection.")

        if publisher:
            component_purpose = f"Takes the {what} this service publishes" + (f" (queue {named})" if named else "")
            upstream = Upstream(service="RabbitMQ" + (f" {named}" if named else f" ({what})"),
                                purpose=f"Takes the {what} this service publishes", criticality="Medium",
                                fallback="Publishing blocks while RabbitMQ has a memory or disk alarm: publish "
                                         "with a timeout and keep serving; the consumers catch up later")
        else:
            component_purpose = f"Queue {queue}"
            upstream = Upstream(service=f"RabbitMQ {queue}", purpose="Delivers work", criticality="High",
                                fallback="Publishers retry with backoff; durable queues keep messages")
        return Contribution(
            components=[Component(name="Message broker", technology="RabbitMQ",
                                  version=f"fill in: {diag} server_version", location=f"node {node}, vhost {vhost}",
                                  purpose=component_purpose)],
            upstream=[upstream],
            key_metrics=[KeyMetric(metric=f"Messages ready in {queue}", normal_range="< 1000",
                                   alert_threshold="> 10000 for 10 min", dashboard="fill in: RabbitMQ dashboard")],
            prerequisites=["rabbitmqctl/rabbitmq-diagnostics on a RabbitMQ node (or kubectl/docker exec into it); "
                           "Prometheus per-queue metrics come from /metrics/detailed"],
            signals=signals,
            issues=issues,
            stop_writes=kill_switch(ctx, f.service, "stop publishing while the damage is assessed" if publisher
                                       else "stop consuming while the damage is assessed"),
            assess=[queues],
            daily=["Check queues for backlog and missing consumers"],
            weekly=["Check node memory and disk headroom"],
            monthly=["Move remaining classic mirrored queues to quorum queues"],
            maintenance_commands=[purge] if not publisher or named else [],
            dr_procedures=[Procedure(title="RabbitMQ: restore definitions on a new cluster", commands=[
                cmd("Export definitions (queues, exchanges, bindings, users) from a healthy cluster",
                    run(ctl, "export_definitions /tmp/definitions.json"), "a JSON file; keep it in version control"),
                cmd("Import them on the new cluster", run(ctl, "import_definitions /tmp/definitions.json"),
                    "queues and bindings exist; messages themselves are not in the definitions"),
            ])],
            cheatsheet=[queues, alarms, cmd("Node health check", run(diag, "check_running"))],
            environment_variables=[("AMQP_URL", f"amqp://{node}:5672/{vhost.lstrip('/')}")],
        )


PACK = RabbitMqPack()
