"""Amazon SQS: backlog and age of oldest message, dead-letter queues and redrive, purge, FIFO stalls."""

from __future__ import annotations

from agent.knowledge import reasoning
from agent.knowledge.base import Context, Contribution
from agent.knowledge.packs._base import (
    KeywordPack,
    cmd,
    kill_switch,
    q,
    region,
    restart_workload,
    workload_logs,
    workload_platform,
)
from agent.knowledge.signals import Signal, Threshold, limit
from agent.runbook import Component, Issue, KeyMetric, Procedure, Step, Upstream


class SqsPack(KeywordPack):
    name = "sqs"
    summary = ("Amazon SQS: backlog and message age, dead-letter queue inspection and redrive (poison "
               "messages), purge, FIFO group stalls")
    keywords = ("sqs", "simple queue service")
    order = 35
    examples = ("Order events are consumed from the SQS queue orders-events with a DLQ after 5 receives",
                "Lambda triggered by Amazon Simple Queue Service FIFO queue payments.fifo")
    negatives = ("Publishes to RabbitMQ", "Uses SQL Server for storage")

    def build(self, ctx: Context) -> Contribution:
        f = ctx.facts
        fifo = ".fifo" in f.description.lower()
        queue = f.name("sqs.queue", f"{f.service}-queue" + (".fifo" if fifo else ""))
        dlq_default = (queue[:-5] + "-dlq.fifo") if queue.endswith(".fifo") else queue + "-dlq"
        dlq = ctx.facts.name("sqs.dlq", dlq_default)
        reg = q(region(ctx))
        consumer = f.service
        # the queue's own settings, when the model has them
        comp = ctx.model.component("sqs") if ctx.model is not None else None
        kept_for = reasoning.seconds(s) if comp is not None and (s := comp.setting("retention")) else None
        retention = reasoning.human(kept_for) if kept_for else "default 4 days"
        found_caps = reasoning.caps(ctx.model, f.description) if ctx.model is not None else []

        def url(var: str, name: str) -> str:
            return (f"{var}=$(aws sqs get-queue-url --region {reg} --queue-name {q(name)} "
                    "--query QueueUrl --output text)\n")

        def arn(var: str, url_var: str) -> str:
            return (f"{var}=$(aws sqs get-queue-attributes --region {reg} --queue-url \"${url_var}\" "
                    "--attribute-names QueueArn --query Attributes.QueueArn --output text)\n")

        depth = cmd(f"Messages waiting and in flight on {queue}",
                    url("QUEUE_URL", queue)
                    + f"aws sqs get-queue-attributes --region {reg} --queue-url \"$QUEUE_URL\" --attribute-names "
                      "ApproximateNumberOfMessages ApproximateNumberOfMessagesNotVisible "
                      "ApproximateNumberOfMessagesDelayed VisibilityTimeout RedrivePolicy",
                    "ApproximateNumberOfMessages falling; NotVisible about consumers x batch size")
        dlq_depth = cmd(f"Messages in the dead-letter queue {dlq}",
                        url("DLQ_URL", dlq)
                        + f"aws sqs get-queue-attributes --region {reg} --queue-url \"$DLQ_URL\" "
                          "--attribute-names ApproximateNumberOfMessages",
                        "0; anything else is messages that failed maxReceiveCount times")

        labels = {"queue": queue, "queue_lower": queue.lower(), "dlq": dlq, "dlq_lower": dlq.lower()}
        signals = [
            Signal(key="sqs.oldest_age", name="SQS oldest message too old", measure="age of oldest message",
                   threshold=limit(f, ("oldest", "message age", "age"), 600, "s"), minutes=5, severity="Critical",
                   response="Follow 'SQS: backlog growing'; consumers are stuck or too few.",
                   entry="SQS: backlog growing", labels=labels, probe=depth, covers=("queue_backlog",)),
            Signal(key="sqs.dlq_visible", name="SQS dead-letter queue not empty", measure="DLQ visible messages",
                   threshold=Threshold(0), minutes=5, severity="Warning",
                   response="Follow 'SQS: messages in the dead-letter queue'; do not redrive before the cause "
                            "is fixed.",
                   entry="SQS: messages in the dead-letter queue", labels=labels, probe=dlq_depth),
        ]

        trigger = workload_platform(ctx).event_source_mapping("QUEUE_ARN")
        if trigger is not None:
            # A consumer fed by an event source mapping: no process to restart, but a mapping to check.
            mapping = trigger.model_copy(update={"code": url("QUEUE_URL", queue) + arn("QUEUE_ARN", "QUEUE_URL")
                                                 + trigger.code})
            first_fix = Step(action="If the trigger is disabled, enable it (check the function's errors and "
                                    "throttles first: see the Lambda entries).",
                             command=cmd("Enable the trigger",
                                         "UUID=\"${UUID:?set UUID: from the mapping above}\"\n"
                                         f"aws lambda update-event-source-mapping --region {reg} --uuid \"$UUID\" "
                                         "--enabled",
                                         "State Enabling then Enabled; the backlog starts to fall"))
            checks = [depth, mapping, workload_logs(ctx, consumer, "error|exception|timeout|throttl")]
            visibility = "6x the function timeout (AWS's advice for Lambda triggers)"
        else:
            first_fix = Step(action="If consumers are crashing or stuck, restart them.",
                             command=restart_workload(ctx, consumer))
            checks = [depth, workload_logs(ctx, consumer, "error|exception|timeout|throttl")]
            visibility = "about 6x the p99 processing time"

        issues = [
            Issue(
                title="SQS: backlog growing",
                symptoms="Age of oldest message rising; work done late; downstream users see delays.",
                alert="SQS oldest message too old",
                check=checks,
                fix=[
                    first_fix,
                    Step(action="If messages reappear (NotVisible high, receives repeat), the visibility "
                                f"timeout is shorter than processing time: raise it to {visibility}.",
                         command=cmd("Raise the visibility timeout",
                                     url("QUEUE_URL", queue)
                                     + f"aws sqs set-queue-attributes --region {reg} --queue-url \"$QUEUE_URL\" "
                                       "--attributes VisibilityTimeout=300",
                                     "no output; new receives use the new timeout")),
                    Step(action=(f"If consumers are healthy but too few: {found_caps[0].text()}." if found_caps
                                 else "If consumers are healthy but too few, scale them out (throughput is bounded "
                                      "by consumers x batch size / processing time)."), command=None),
                ] + ([Step(action="FIFO queue: one failing message blocks its whole message group until it "
                                  "reaches the DLQ; find the group in the consumer logs.", command=None)]
                     if fifo else []),
                verify="ApproximateAgeOfOldestMessage falls below 60 s and stays there for 15 minutes.",
                escalate="If the backlog still grows after 30 minutes or messages near the retention period "
                         f"({retention}) are at risk, page the service owner.",
            ),
            Issue(
                title="SQS: messages in the dead-letter queue",
                symptoms="DLQ depth above zero; some orders/events were never processed.",
                alert="SQS dead-letter queue not empty",
                check=[
                    dlq_depth,
                    cmd("Look at a few DLQ messages (they become visible again right away)",
                        url("DLQ_URL", dlq)
                        + f"aws sqs receive-message --region {reg} --queue-url \"$DLQ_URL\" "
                          "--max-number-of-messages 5 --visibility-timeout 0 --attribute-names All "
                          "--message-attribute-names All",
                        "the bodies and ApproximateReceiveCount; compare with consumer errors to find the "
                        "cause"),
                ],
                fix=[
                    Step(action="Fix the consumer bug and deploy first: a poison message redriven before the "
                                "fix fails maxReceiveCount times again and lands back in the DLQ.", command=None),
                    Step(action="Redrive the DLQ to the source queue at a bounded rate.",
                         command=cmd("Start a DLQ redrive to the source queue",
                                     url("DLQ_URL", dlq) + arn("DLQ_ARN", "DLQ_URL")
                                     + url("QUEUE_URL", queue) + arn("QUEUE_ARN", "QUEUE_URL")
                                     + f"aws sqs start-message-move-task --region {reg} --source-arn \"$DLQ_ARN\" "
                                       "--destination-arn \"$QUEUE_ARN\" --max-number-of-messages-per-second 10\n"
                                     + f"aws sqs list-message-move-tasks --region {reg} --source-arn \"$DLQ_ARN\"",
                                     "a TaskHandle; list-message-move-tasks shows RUNNING then COMPLETED",
                                     warning="Every DLQ message is re-delivered to the consumers: duplicates "
                                             "must be safe (idempotent handlers), and poison messages fail "
                                             "again. Stop it with aws sqs cancel-message-move-task "
                                             "--task-handle. Try a low rate first.")),
                ],
                verify="DLQ depth back to 0 and no new DLQ messages for 30 minutes.",
                escalate="If messages keep arriving in the DLQ after the fix, page the service owner; never "
                         "purge the DLQ without the owner's approval (the messages are the only copy).",
            ),
        ]

        return Contribution(
            components=[Component(name="Work queue", technology="Amazon SQS" + (" FIFO" if fifo else ""),
                                  version="managed", location=f"{queue} in {region(ctx)}",
                                  purpose="Decouples producers from consumers; retries failures into "
                                          f"the DLQ {dlq}")],
            upstream=[Upstream(service=f"SQS {queue}", purpose="Receives work to process", criticality="High",
                               fallback=f"Messages wait in the queue (retention {retention}); nothing is lost while "
                                        "consumers are down for less than that")],
            key_metrics=[KeyMetric(metric="SQS age of oldest message", normal_range="< 60 s",
                                   alert_threshold="> 600 s for 5 min", dashboard="fill in: SQS dashboard")],
            prerequisites=[f"aws CLI v2 with sqs:GetQueueAttributes, ReceiveMessage, StartMessageMoveTask on "
                           f"{queue} and {dlq} in {region(ctx)}"],
            signals=signals,
            issues=issues,
            # a Lambda trigger is paused (by the Lambda pack), never throttled to 0 (that sends the queue to the DLQ)
            stop_writes=[] if reasoning.pause_trigger(ctx.model, region(ctx)) else
            kill_switch(ctx, consumer, "stop consuming while the damage is assessed; messages wait in the queue"),
            assess=[depth],
            daily=["Check the DLQ is empty"],
            weekly=["Check age of oldest message peaks against the SLO"],
            monthly=["Review maxReceiveCount and visibility timeout against p99 processing time"],
            # The queue's messages are the work itself, and so are the DLQ's: failed work that is redriven once
            # the cause is fixed ('SQS: messages in the dead-letter queue'). No purge is offered as routine.
            maintenance_commands=[cmd(
                f"Messages waiting in the dead-letter queue {dlq} (redrive them once the cause is fixed)",
                url("DLQ_URL", dlq)
                + f"aws sqs get-queue-attributes --region {reg} --queue-url \"$DLQ_URL\" --attribute-names "
                  "ApproximateNumberOfMessages MessageRetentionPeriod",
                "0 messages; any other count is failed work to redrive with start-message-move-task before its "
                "retention period runs out",
                warning=f"Never purge-queue {dlq} (or {queue}) as maintenance: its messages are failed work, "
                        "deleted for good; redrive them once the cause is fixed.")],
            dr_procedures=[Procedure(title="SQS: region outage", commands=[
                cmd("Capture the queue configuration (keep it in IaC)",
                    url("QUEUE_URL", queue)
                    + f"aws sqs get-queue-attributes --region {reg} --queue-url \"$QUEUE_URL\" --attribute-names All",
                    "the attributes to recreate the queue with"),
                cmd("Create the queue in the recovery region",
                    f"DR_REGION=\"${{DR_REGION:?set DR_REGION: the recovery region}}\"\n"
                    f"aws sqs create-queue --region \"$DR_REGION\" --queue-name {q(queue)}"
                    + (" --attributes FifoQueue=true" if queue.endswith(".fifo") else ""),
                    "a QueueUrl; point producers and consumers at it. Messages in the failed region are not "
                    "replicated and come back only when the region does"),
            ])],
            cheatsheet=[depth, dlq_depth],
            environment_variables=[("QUEUE_URL", f"URL of {queue}")],
            vendors=[("AWS", "SQS")],
        )


PACK = SqsPack()
