"""Google Cloud Pub/Sub: subscription backlog, ack deadlines and redelivery, dead letters, seek/replay."""

from __future__ import annotations

from agent.knowledge.base import Context, Contribution
from agent.knowledge.packs._base import KeywordPack, cmd, q, restart_workload, workload_logs
from agent.knowledge.signals import Signal, limit
from agent.runbook import Component, Issue, KeyMetric, Procedure, Step, Upstream


class PubSubPack(KeywordPack):
    name = "pubsub"
    summary = ("Google Cloud Pub/Sub: subscription backlog and oldest unacked age, ack deadline "
               "redelivery, dead-letter topics, seek to a time or snapshot")
    keywords = ("pub/sub", "pubsub", "cloud pub/sub", "google pub/sub")
    order = 36
    examples = ("Consumes order events from the Pub/Sub subscription orders-sub on GKE",)
    negatives = ("Consumes order events from Kafka", "Uses Redis pub-sub channels for chat")

    def build(self, ctx: Context) -> Contribution:
        f = ctx.facts
        project = ctx.facts.name("gcp.project", f.service)
        topic = f.name("pubsub.topic", f"{f.service}-events")
        sub = f.name("pubsub.subscription", f"{f.service}-sub")
        p = f"--project {q(project)}"
        describe = cmd(f"Subscription settings of {sub}",
                       f"gcloud pubsub subscriptions describe {q(sub)} {p} --format='yaml(ackDeadlineSeconds,"
                       "deadLetterPolicy,retryPolicy,messageRetentionDuration,retainAckedMessages,filter)'",
                       "ackDeadlineSeconds above the p99 handling time; a deadLetterPolicy with maxDeliveryAttempts")
        peek = cmd("Look at up to 5 waiting messages without acknowledging them",
                   f"gcloud pubsub subscriptions pull {q(sub)} {p} --limit 5 --format=json",
                   "messages come back to other subscribers after the ack deadline (not acked here)")

        signals = [Signal(
            key="pubsub.oldest_unacked", name="Pub/Sub oldest unacked message too old",
            measure="oldest unacked message", threshold=limit(ctx.facts, ("oldest", "unacked", "age"), 600, "s"),
            minutes=10, severity="Critical", response="Follow 'Pub/Sub: backlog growing'.",
            entry="Pub/Sub: backlog growing", labels={"sub": sub}, probe=peek, covers=("queue_backlog",))]

        seek = cmd("Replay: seek the subscription back to a time",
                   "SEEK_TIME=\"${SEEK_TIME:?set SEEK_TIME: before the messages to reprocess}\"\n"
                   f"gcloud pubsub subscriptions seek {q(sub)} {p} --time=\"$SEEK_TIME\"",
                   "every retained message published after SEEK_TIME is delivered again",
                   warning="Re-delivers everything after the time to this subscription's consumers (they must be "
                           "idempotent); acknowledged messages come back only with retainAckedMessages on. Seeking "
                           "forward marks messages acknowledged — they are never processed.")
        issues = [Issue(
            title="Pub/Sub: backlog growing",
            symptoms="Oldest unacked message age rising; processing late; duplicate processing in logs.",
            alert="Pub/Sub oldest unacked message too old",
            check=[describe, workload_logs(ctx, f.service, "error|exception|deadline|nack")],
            fix=[Step(action="Restart stuck subscribers.", command=restart_workload(ctx, f.service)),
                 Step(action="Messages redelivered again and again: handling takes longer than the ack deadline; "
                             "raise it (max 600 s) or let the client library extend leases.",
                      command=cmd("Raise the ack deadline",
                                  f"gcloud pubsub subscriptions update {q(sub)} {p} --ack-deadline=120",
                                  "ackDeadlineSeconds: 120 in describe")),
                 Step(action="A poison message: give the subscription a dead-letter topic so it stops blocking "
                             "ordered delivery and retries.", command=None)],
            verify="Oldest unacked message age under 60 s for 15 minutes.",
            escalate="If the backlog still grows after 30 minutes or nears the retention (default 7 days), page "
                     "the service owner.",
        )]

        return Contribution(
            components=[Component(name="Messaging", technology="Google Cloud Pub/Sub", version="managed",
                                  location=f"project {project}", purpose=f"Topic {topic}, subscription {sub}")],
            upstream=[Upstream(service=f"Pub/Sub {sub}", purpose="Delivers events", criticality="High",
                               fallback="Messages are retained (default 7 days) while subscribers are down")],
            key_metrics=[KeyMetric(metric="Pub/Sub oldest unacked message age", normal_range="< 60 s",
                                   alert_threshold="> 600 s for 10 min", dashboard="fill in: Pub/Sub dashboard")],
            prerequisites=[f"gcloud with roles/pubsub.editor on project {project}"],
            signals=signals,
            issues=issues,
            assess=[peek],
            daily=["Check the dead-letter topic's subscription is empty"],
            weekly=["Check oldest unacked age peaks against the SLO"],
            monthly=["Review ack deadline and retry policy against handling times"],
            maintenance_commands=[cmd("Snapshot the subscription before a risky deploy (seek back to it later)",
                                      f"gcloud pubsub snapshots create {q(sub + '-predeploy')} {p} "
                                      f"--subscription={q(sub)}",
                                      "a snapshot; it expires after at most 7 days")],
            dr_procedures=[Procedure(title="Pub/Sub: reprocess after bad processing", commands=[describe, seek])],
            cheatsheet=[describe, peek],
            vendors=[("Google Cloud", "Pub/Sub")],
        )


PACK = PubSubPack()
