"""Amazon DynamoDB: throttling (hot keys, GSIs), capacity mode, PITR restore to a new table."""

from __future__ import annotations

from agent.knowledge.base import Context, Contribution
from agent.knowledge.packs._base import (
    CloudWatchMetric,
    KeywordPack,
    cmd,
    kill_switch,
    q,
    region,
)
from agent.knowledge.signals import Signal, Threshold
from agent.runbook import Component, Issue, KeyMetric, Procedure, Step, Upstream


class DynamoDbPack(KeywordPack):
    name = "dynamodb"
    summary = ("Amazon DynamoDB: throttling (hot partitions, GSI back-pressure), on-demand switch limits, "
               "PITR restore to a new table, deletion protection")
    keywords = ("dynamodb", "dynamo db", "dynamo")
    order = 41
    examples = ("User profiles live in the DynamoDB table user-profiles (on-demand, PITR enabled)",)
    negatives = ("Profiles in MongoDB Atlas",)

    def build(self, ctx: Context) -> Contribution:
        f = ctx.facts
        table = ctx.facts.name("dynamodb.table", f"{f.service}-table")
        reg = q(region(ctx))
        rg = f"--region {reg}"
        ddb = "aws dynamodb"
        describe = cmd(f"Capacity mode, provisioned capacity and indexes of {table}",
                       f"{ddb} describe-table {rg} --table-name {q(table)} --query '{{status: Table.TableStatus, "
                       "billing: Table.BillingModeSummary.BillingMode, rcu: Table.ProvisionedThroughput."
                       "ReadCapacityUnits, wcu: Table.ProvisionedThroughput.WriteCapacityUnits, gsis: "
                       "Table.GlobalSecondaryIndexes[].[IndexName, IndexStatus, ProvisionedThroughput."
                       "WriteCapacityUnits]}'",
                       "status ACTIVE; billing PAY_PER_REQUEST or enough provisioned capacity on table and GSIs")
        throttles = CloudWatchMetric("AWS/DynamoDB", "WriteThrottleEvents", {"TableName": table}, "Sum")

        labels = {"table": table}
        signals = [
            Signal(key="dynamodb.throttles", name="DynamoDB throttling", measure="throttle events",
                   threshold=Threshold(0), minutes=5, severity="Warning", response="Follow 'DynamoDB: throttling'.",
                   entry="DynamoDB: throttling", labels=labels,
                   probe=cmd("Write throttle events, last 30 minutes", throttles.command(ctx), "0 in every period")),
            Signal(key="dynamodb.system_errors", name="DynamoDB system errors", measure="system errors per 5 min",
                   threshold=Threshold(5), minutes=10, severity="Warning",
                   response="Check the AWS Health Dashboard; open a support case if it persists.", labels=labels,
                   probe=describe),
        ]

        issues = [Issue(
            title="DynamoDB: throttling",
            symptoms="ProvisionedThroughputExceededException or ThrottlingException in the service logs; "
                     "latency up as the SDK retries.",
            alert="DynamoDB throttling",
            check=[describe, cmd("Throttled requests per operation, last 30 minutes",
                                 CloudWatchMetric("AWS/DynamoDB", "ThrottledRequests",
                                                  {"TableName": table, "Operation": "PutItem"}, "Sum").command(ctx),
                                 "which operation throttles; repeat with Operation=Query/GetItem/UpdateItem"),
                   cmd("Consumed write capacity per minute, last 30 minutes",
                       CloudWatchMetric("AWS/DynamoDB", "ConsumedWriteCapacityUnits", {"TableName": table},
                                        "Sum", period=60).command(ctx),
                       "Sum / 60 = WCU per second; near the provisioned WCU means the table is at capacity, far "
                       "below it while throttling means a hot key (or a GSI at its limit); on-demand tables "
                       "throttle when traffic jumps past twice the previous peak within 30 minutes")],
            fix=[Step(action="A GSI without enough write capacity throttles writes to the base table: raise the "
                             "GSI's capacity too.", command=None),
                 Step(action="Throttling while total capacity is unused means a hot partition key: turn on "
                             "CloudWatch Contributor Insights to find it and spread the key.", command=None),
                 Step(action="For a sudden traffic change, switch to on-demand capacity.",
                      command=cmd("Switch the table to on-demand",
                                  f"{ddb} update-table {rg} --table-name {q(table)} --billing-mode PAY_PER_REQUEST",
                                  "TableStatus UPDATING, then ACTIVE; throttling stops within minutes",
                                  warning="Capacity mode can be switched only a limited number of times per 24 h "
                                          "(check the current DynamoDB quota); on-demand cost follows traffic with "
                                          "no ceiling. Raising provisioned capacity is the alternative."))],
            verify="Throttle events at 0 for 15 minutes and request latency back to normal.",
            escalate="If throttling continues on on-demand (per-partition limit of 1,000 WCU/3,000 RCU), page "
                     "the service owner for a key redesign.",
        )]

        restore = cmd("Restore the table to a point in time, into a new table",
                      "RESTORE_TIME=\"${RESTORE_TIME:?set RESTORE_TIME: just before the bad writes}\"\n"
                      f"{ddb} restore-table-to-point-in-time {rg} --source-table-name {q(table)} "
                      f"--target-table-name {q(table + '-restored')} --restore-date-time \"$RESTORE_TIME\"\n"
                      f"{ddb} wait table-exists {rg} --table-name {q(table + '-restored')}",
                      "a new ACTIVE table; auto scaling, TTL, streams, tags and alarms are not copied — set them "
                      "before pointing the service at it")

        return Contribution(
            components=[Component(name="Key-value database", technology="Amazon DynamoDB", version="managed",
                                  location=f"table {table} in {region(ctx)}", purpose="Primary data store")],
            upstream=[Upstream(service=f"DynamoDB {table}", purpose="Reads and writes", criticality="Critical",
                               fallback="None for writes; SDK retries with backoff")],
            key_metrics=[KeyMetric(metric="DynamoDB throttle events", normal_range="0",
                                   alert_threshold="> 0 for 5 min", dashboard="fill in: DynamoDB dashboard")],
            prerequisites=[f"aws CLI v2 with dynamodb:DescribeTable, UpdateTable, RestoreTableToPointInTime on "
                           f"{table}"],
            signals=signals,
            issues=issues,
            stop_writes=kill_switch(ctx, f.service, "stop the writes that corrupt data"),
            assess=[cmd("Is point-in-time recovery on, and how far back",
                        f"{ddb} describe-continuous-backups {rg} --table-name {q(table)}",
                        "PointInTimeRecoveryStatus ENABLED; EarliestRestorableDateTime before the corruption")],
            restore=[restore],
            daily=["Check PITR is enabled on the table"],
            weekly=["Review consumed vs provisioned capacity"],
            monthly=["Check deletion protection is on and restore a PITR copy as a drill"],
            maintenance_commands=[cmd("Turn on deletion protection",
                                      f"{ddb} update-table {rg} --table-name {q(table)} --deletion-protection-enabled",
                                      "DeletionProtectionEnabled true in describe-table")],
            dr_procedures=[Procedure(title="DynamoDB: restore after data loss", commands=[restore])],
            cheatsheet=[describe],
            environment_variables=[("DYNAMODB_TABLE", table)],
            vendors=[("AWS", "DynamoDB")],
        )


PACK = DynamoDbPack()
