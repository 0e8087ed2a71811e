"""Apache Kafka (self-managed, Strimzi, Confluent or MSK): consumer lag, offset resets, replication."""

from __future__ import annotations

from agent.knowledge import reasoning
from agent.knowledge.base import Context, Contribution
from agent.knowledge.packs._base import (
    KeywordPack,
    cmd,
    kill_switch,
    mention,
    q,
    region,
    start_workload,
    workload_logs,
)
from agent.knowledge.signals import Signal, Threshold, limit
from agent.runbook import Component, Issue, KeyMetric, Procedure, Step, Upstream


class KafkaPack(KeywordPack):
    name = "kafka"
    summary = ("Apache Kafka incl. MSK/Strimzi: consumer lag, offset reset (group stopped, --dry-run first), "
               "poison messages, under-replicated partitions")
    keywords = ("kafka", "msk", "strimzi", "redpanda", "confluent")
    order = 30
    examples = ("Consumes the orders.created Kafka topic (consumer group orders-api) and writes to PostgreSQL",
                "Streams clickstream events through Amazon MSK")
    negatives = ("Kafkaesque bureaucracy simulator", "Publishes events to RabbitMQ")

    def build(self, ctx: Context) -> Contribution:
        f = ctx.facts
        msk = mention(ctx, ("msk", "managed streaming for apache kafka"))
        bootstrap = f.name("kafka.bootstrap", f.name("kafka.brokers", "kafka:9092"))
        topic = f.name("kafka.topic", f"{f.service}-events")
        group = f.name("kafka.group", f.service)
        cluster = f.name("kafka.cluster", f"{f.service}-kafka")
        bs = f"--bootstrap-server {q(bootstrap)} --command-config \"$HOME/kafka-client.properties\""
        groups = f"kafka-consumer-groups.sh {bs}"
        describe = cmd(f"Lag per partition for consumer group {group}", f"{groups} --describe --group {q(group)}",
                       "LAG small and not growing on every partition; CONSUMER-ID filled for every partition "
                       "(a '-' means nobody consumes it)")
        state = cmd("Group state and members", f"{groups} --describe --group {q(group)} --state\n"
                                               f"{groups} --describe --group {q(group)} --members",
                    "STATE Stable; PreparingRebalance for minutes means consumers keep leaving and rejoining")
        urp = cmd("Partitions that are under-replicated or without a leader",
                  f"kafka-topics.sh {bs} --describe --under-replicated-partitions\n"
                  f"kafka-topics.sh {bs} --describe --unavailable-partitions",
                  "no output from either: every partition has its full ISR and a leader")

        tags = (("msk",) if msk else ()) + (("jmx",) if mention(ctx, ("jmx", "strimzi")) else ())
        labels = {"group": group, "topic": topic, "cluster": cluster}
        signals = [
            Signal(key="kafka.consumer_lag", name="Kafka consumer lag high", measure="lag",
                   threshold=limit(f, ("lag", "backlog"), 10000, "messages", figure="backlog.max"), minutes=10,
                   severity="Warning", response="Follow 'Kafka: consumer lag growing'.",
                   entry="Kafka: consumer lag growing", tags=tags, labels=labels, probe=describe,
                   covers=("queue_backlog",)),
            Signal(key="kafka.under_replicated", name="Kafka under-replicated partitions",
                   measure="under-replicated partitions", threshold=Threshold(0), minutes=5, severity="Critical",
                   response="Follow 'Kafka: under-replicated or offline partitions'; a further broker loss can "
                            "make partitions unavailable.",
                   entry="Kafka: under-replicated or offline partitions", tags=tags, labels=labels, probe=urp),
        ]

        dry_run = cmd("Preview an offset reset to a point in time (changes nothing)",
                      "RESET_TO=\"${RESET_TO:?set RESET_TO: local time of the broker, before the bad messages}\"\n"
                      f"{groups} --group {q(group)} --topic {q(topic)} --reset-offsets --to-datetime \"$RESET_TO\" "
                      "--dry-run",
                      "the NEW-OFFSET per partition that --execute would set")
        execute = cmd("Apply the offset reset (the group must have no active members)",
                      "RESET_TO=\"${RESET_TO:?set RESET_TO: the same value as the dry run}\"\n"
                      f"{groups} --group {q(group)} --topic {q(topic)} --reset-offsets --to-datetime \"$RESET_TO\" "
                      "--execute",
                      "the same table as the dry run; then start the consumers",
                      warning="Rewinding re-delivers every message after the point (consumers must be "
                              "idempotent); moving forward skips messages for good. Fails with 'Assignments can "
                              "only be reset if the group is inactive' while any consumer runs: stop them all "
                              "first. Always run --dry-run first.")
        skip_one = cmd("Skip one poison message on one partition",
                       "PARTITION=\"${PARTITION:?set PARTITION: the partition the consumer is stuck on}\"\n"
                       f"{groups} --group {q(group)} --topic {q(topic)}:\"$PARTITION\" --reset-offsets "
                       "--shift-by 1 --execute",
                       "the partition's offset moves by one; the consumer continues after restart",
                       warning="The skipped message is never processed: copy it first (kafka-console-consumer.sh "
                               "--partition --offset --max-messages 1) to replay it by hand. The group must be "
                               "stopped.")

        # What this cluster's own settings mean (retention window, RF / min.insync, partitions): stated
        # where the on-call reads them, with the model's values; generic words when the model has none.
        comp = ctx.model.component("kafka") if ctx.model is not None else None
        said = {c.setting: c for c in (reasoning.consequences(ctx.model) if ctx.model is not None else [])
                if comp is not None and c.subject.startswith(reasoning.display(comp))}
        retention = next((c for key, c in said.items() if key.startswith("retention")), None)
        replication = next((c for key, c in said.items() if "replication factor" in key or "min.insync" in key),
                           None)
        partitions = comp.setting("partitions") if comp is not None else None
        window = retention.setting.removeprefix("retention ") if retention else ""
        scale_step = ("If consumers are healthy but too slow, scale out"
                      + (f" — only up to the {partitions.value} partitions (extra consumers sit idle)"
                         if partitions else " — only up to the partition count (extra consumers sit idle)")
                      + "; every added consumer triggers a rebalance, so add them in one step, not one by one.")
        # the consumers stop for an offset reset; where the service is the broker itself that is not its own stop
        stop_consumers = kill_switch(ctx, f.service, "offsets can only be reset while the group is empty",
                                     required=True)
        issues = [
            Issue(
                title="Kafka: consumer lag growing",
                symptoms="Events processed late; lag rising on some or all partitions.",
                alert="Kafka consumer lag high",
                check=[describe, state, workload_logs(ctx, f.service, "exception|error|rebalanc|poll")],
                fix=[Step(action="If one partition is stuck while others move, a poison message blocks it: "
                                 "stop the consumers, copy and skip that message.", command=None),
                     Step(action="If the group keeps rebalancing, processing a batch takes longer than "
                                 "max.poll.interval.ms: lower max.poll.records or raise the interval.",
                          command=None),
                     Step(action=scale_step, command=None),
                     Step(action="Never reset offsets --to-latest to make the lag go away: it skips every unread "
                                 "message (data loss); see the offset reset entry (--dry-run first).", command=None)],
                verify="Lag falls steadily and is under 1000 within 30 minutes; group state Stable.",
                escalate=(f"Retention is {window}: {retention.text}." if retention else
                          "If lag still grows after 30 minutes or messages near the topic's retention.ms, page "
                          "the service owner: messages past retention are deleted unread."),
            ),
            Issue(
                title="Kafka: reprocess or skip messages (offset reset)",
                symptoms="A bad deploy processed messages wrongly, or a poison message blocks a partition.",
                alert=None,
                check=[describe, dry_run],
                fix=[Step(action="Stop every consumer in the group." if stop_consumers else
                          "Stop every consumer in the group, in the consumers' own deployments (never the brokers: "
                          "that stops every client); --execute refuses while the group has members.",
                          command=next(iter(stop_consumers), None)),
                     Step(action="Apply the reset previewed above (or skip one message).", command=execute),
                     Step(action="Skip a single poison message instead, if that is the problem.", command=skip_one),
                     Step(action="Start the consumers again.",
                          command=start_workload(ctx, f.service) if stop_consumers else None)],
                verify="The group is Stable with the new offsets and lag falls within 15 minutes.",
                escalate="Resets that skip data need the service owner's approval before --execute.",
            ),
            Issue(
                title="Kafka: under-replicated or offline partitions",
                symptoms="Producers get NotEnoughReplicas or timeouts (acks=all); a broker is down or slow.",
                alert="Kafka under-replicated partitions",
                check=[urp, cmd("Brokers that answer", f"kafka-broker-api-versions.sh {bs} | grep -c 'id:'",
                                "the number of brokers in the cluster")],
                fix=[Step(action="Bring the missing broker back (disk full is the usual cause: check its log "
                                 "directory); replicas catch up on their own.", command=None),
                     Step(action="Never enable unclean.leader.election to bring an offline partition back "
                                 "unless the owner accepts losing the messages only the dead leader had.",
                          command=None),
                     *([Step(action=f"What the replication settings mean here ({replication.setting}): "
                                    f"{replication.text}.", command=None)] if replication else [])],
                verify="Both describe commands print nothing for 15 minutes.",
                escalate="Offline partitions: page the Kafka owner immediately.",
            ),
        ]

        return Contribution(
            components=[Component(name="Event stream", technology="Amazon MSK (Kafka)" if msk else "Apache Kafka",
                                  version="fill in: kafka-broker-api-versions.sh --version",
                                  location=f"bootstrap {bootstrap}",
                                  purpose=f"Topic {topic}, consumer group {group}")],
            upstream=[Upstream(service=f"Kafka topic {topic}", purpose="Source of events", criticality="High",
                               fallback=(f"Events wait in the topic for {window} (retention); consumers catch up if "
                                         f"they are back within that, older events are lost" if window else
                                         "Events wait in the topic up to retention.ms; consumers catch up"))],
            key_metrics=[KeyMetric(metric=f"Consumer lag ({group})", normal_range="< 1000 messages",
                                   alert_threshold="> 10000 for 10 min", dashboard="fill in: Kafka dashboard")],
            prerequisites=["Kafka CLI tools (kafka-consumer-groups.sh, kafka-topics.sh) matching the broker "
                           "version; client TLS/SASL settings in ~/kafka-client.properties (an empty file for "
                           "plaintext)"],
            deploy_caveats=["Changing the consumer group id makes the new deployment start at "
                            "auto.offset.reset (latest skips the backlog, earliest reprocesses everything)."],
            signals=signals,
            issues=issues,
            stop_writes=kill_switch(ctx, f.service, "stop consuming and producing while the damage is assessed"),
            assess=[describe],
            daily=["Check consumer lag of every group the service owns"],
            weekly=["Check broker disk usage against retention"],
            monthly=["Review partition count against consumer throughput"],
            maintenance_commands=[dry_run],
            dr_procedures=[Procedure(title="Kafka: rebuild consumer position after a cluster loss", commands=[
                cmd("Start the group from a point in time on the recovery cluster (dry run)",
                    "RESET_TO=\"${RESET_TO:?set RESET_TO: last time known to be fully processed}\"\n"
                    f"{groups} --group {q(group)} --topic {q(topic)} --reset-offsets --to-datetime "
                    "\"$RESET_TO\" --dry-run",
                    "offsets near that time; re-run with --execute once consumers are stopped")])],
            cheatsheet=[*([cmd("Bootstrap brokers of the MSK cluster",
                                f"CLUSTER_ARN=$(aws kafka list-clusters-v2 --region {q(region(ctx))} "
                                f"--cluster-name-filter {q(cluster)} --query 'ClusterInfoList[0].ClusterArn' "
                                "--output text)\n"
                                f"aws kafka get-bootstrap-brokers --region {q(region(ctx))} "
                                "--cluster-arn \"$CLUSTER_ARN\"",
                                "the TLS/IAM bootstrap string to use as --bootstrap-server")] if msk else []),
                        describe, state, cmd("Read the last 5 messages of one partition",
                                             "PARTITION=\"${PARTITION:?set PARTITION: the partition to look at}\"\n"
                                             f"END=$(kafka-get-offsets.sh {bs} --topic {q(topic)} --partitions "
                                             "\"$PARTITION\" | cut -d: -f3)\n"
                                             f"kafka-console-consumer.sh {bs} --topic {q(topic)} --partition "
                                             "\"$PARTITION\" --offset \"$((END - 5))\" --max-messages 5 "
                                             "--timeout-ms 10000",
                                             "five messages, then it exits (the offset must be >= 0)")],
            environment_variables=[("KAFKA_BOOTSTRAP_SERVERS", bootstrap)],
            vendors=[("AWS", "MSK")] if msk else [],
        )


PACK = KafkaPack()
