"""AWS Lambda: errors and throttles (concurrency limits), timeouts, alias rollback, event source mappings."""

from __future__ import annotations

from agent.knowledge import reasoning
from agent.knowledge.base import Context, Contribution
from agent.knowledge.packs._base import (
    CloudWatchMetric,
    KeywordPack,
    cmd,
    log_events,
    mention,
    on_aws,
    q,
    region,
    workload_platform,
)
from agent.knowledge.platforms import owners_of
from agent.knowledge.signals import Signal, Threshold, limit
from agent.runbook import Component, Issue, KeyMetric, Procedure, Step


class LambdaPack(KeywordPack):
    name = "lambda"
    summary = ("AWS Lambda: errors, throttles and concurrency (reserved vs account limit), timeouts, alias "
               "rollback, pausing an event source mapping")
    keywords = ("aws lambda", "lambda function", "lambda")
    order = 56
    examples = ("Image resizer as an AWS Lambda function (image-resizer) triggered by S3 uploads",)
    negatives = ("Uses Python lambda expressions heavily", "Runs on Google Cloud Functions")
    # Detected from the answers too: env serverless with AWS in the description (SQS trigger, S3...).

    def detect(self, ctx: Context) -> str | None:
        word = mention(ctx, ("aws lambda", "lambda function", "lambda functions"))
        if word is None and not mention(ctx, ("expression", "expressions", "calculus")):
            word = mention(ctx, ("lambda",))
        if word:
            return f"description mentions {word!r}"
        if ctx.answers.environment == "serverless" and ctx.facts.cloud in (None, "aws") and on_aws(ctx):
            return "the deployment environment is serverless on AWS"
        return None

    def build(self, ctx: Context) -> Contribution:
        f = ctx.facts
        function = f.name("lambda.function", f.service)
        alias = ctx.facts.name("lambda.alias", "live")
        reg = q(region(ctx))
        rg = f"--region {reg}"
        lam = "aws lambda"
        fn = f"--function-name {q(function)}"

        def metric(name: str, stat: str = "Sum") -> CloudWatchMetric:
            return CloudWatchMetric("AWS/Lambda", name, {"FunctionName": function}, stat)

        # A concurrency cap the user set protects something: it is never raised as a fix; a reservation
        # for this function is at least the cap (below it the event source mapping is throttled).
        found_caps = reasoning.caps(ctx.model, f.description) if ctx.model is not None else []
        cap_steps = [Step(action=f"Throttling at the cap is expected: {found_caps[0].text()}.", command=None)] \
            if found_caps else []
        reserve = found_caps[0].value if found_caps and found_caps[0].value.isdigit() else ""
        config = cmd("Timeout, memory, reserved concurrency and the alias target",
                     f"{lam} get-function-configuration {rg} {fn} --query '{{timeout: Timeout, memory: MemorySize, "
                     "runtime: Runtime, lastUpdate: LastModified, state: State}'\n"
                     f"{lam} get-function-concurrency {rg} {fn}\n"
                     f"{lam} get-alias {rg} {fn} --name {q(alias)} --query FunctionVersion --output text",
                     "a ReservedConcurrentExecutions of 0 means every invocation is throttled")
        errors_probe = cmd("Errors per 5 minutes, last 30 minutes", metric("Errors").command(ctx), "0 or near 0")
        throttle_probe = cmd("Throttles per 5 minutes, last 30 minutes", metric("Throttles").command(ctx), "0")

        labels = {"fn": function}
        signals = [
            Signal(key="lambda.errors", name="Lambda errors", measure="errors per 5 min",
                   threshold=limit(f, ("lambda error", "errors"), 5), minutes=10, severity="Critical",
                   response="Follow 'Lambda: errors or timeouts after a change'.",
                   entry="Lambda: errors or timeouts after a change", labels=labels, probe=errors_probe),
            Signal(key="lambda.throttles", name="Lambda throttles", measure="throttles", threshold=Threshold(0),
                   minutes=5, severity="Warning", response="Follow 'Lambda: throttling'.", entry="Lambda: throttling",
                   labels=labels, probe=throttle_probe, covers=("throttles",)),
        ]
        if mention(ctx, ("api gateway", "apigateway")) and not mention(ctx, ("http api",)):
            # A REST API's 5XXError averaged over a period is the share of requests that failed; 504s there
            # are integration timeouts (API Gateway gives up after 29 s), 502s a malformed Lambda response.
            api = ctx.facts.name("apigateway.api", function)
            stage = ctx.facts.name("apigateway.stage", "prod")
            gw = CloudWatchMetric("AWS/ApiGateway", "5XXError", {"ApiName": api, "Stage": stage}, "Average")
            signals.append(Signal(
                key="apigateway.5xx", name="API Gateway 5XX share", measure="5XXError average (share of requests)",
                threshold=limit(f, ("5xx",), 1, "%"), minutes=5, severity="Critical",
                response="Follow 'Lambda: errors or timeouts after a change'.",
                entry="Lambda: errors or timeouts after a change", labels={"api": api, "stage": stage},
                probe=cmd(f"Share of 5XX responses of {api} ({stage}) per 5 minutes", gw.command(ctx),
                          "below 0.01; 502 = bad Lambda response or crash, 504 = 29 s timeout")))

        rollback = cmd("Point the alias back at the previous version",
                       "GOOD_VERSION=\"${GOOD_VERSION:?"
                       "set GOOD_VERSION: the version that worked (from list-versions-by-function)}\"\n"
                       f"{lam} update-alias {rg} {fn} --name {q(alias)} --function-version \"$GOOD_VERSION\"",
                       "the alias shows the old FunctionVersion; errors fall within minutes",
                       warning="Every caller of the alias moves at once. Callers that invoke $LATEST or a version "
                               "number directly are not affected; a later deploy re-points the alias.")
        # a release owner (SAM / CloudFormation / CDK / Terraform, CodeDeploy traffic shifting) moves the alias:
        # its own rollback steps, never an alias moved beside it
        owners = owners_of(ctx)
        owned = next((o for o in (owners.deploy, owners.rollout)
                      if o is not None and (o.stack or o.by == "codedeploy")), None)
        rollback_steps = [Step(action="If it started with a deploy, roll the alias back.", command=rollback)]
        drift = ""
        if owned is not None:
            warned = [c for c in workload_platform(ctx).rollback() if c.warning]
            rollback = warned[-1] if warned else rollback
            rollback_steps = [Step(action=("If a release is still shifting traffic, stop it" if i == 0 and
                                           len(warned) > 1 else "If it started with a deploy, redeploy the "
                                           "previous release through its owner"), command=c)
                              for i, c in enumerate(warned)]
            stack = next((o for o in (owners.deploy,) if o is not None and o.stack), None)
            drift = f" {stack.change('the reserved concurrency')}." if stack is not None else ""
        issues = [
            Issue(
                title="Lambda: errors or timeouts after a change",
                symptoms="Error count up; 'Task timed out after N seconds' in logs; DLQ or on-failure "
                         "destination receiving events.",
                alert="Lambda errors",
                check=[config, errors_probe,
                       cmd("Recent errors in the function's log",
                           log_events("/aws/lambda/" + function, ctx, "?ERROR ?Task ?timed"),
                           "the exception or 'Task timed out' lines")],
                fix=[*rollback_steps,
                     Step(action="Timeouts: a downstream is slow or the function lacks memory (CPU scales with "
                                 "memory); raise memory before timeout.", command=None)],
                verify="Errors at 0 for 15 minutes on the alias.",
                escalate="If errors continue after the rollback, page the service owner.",
            ),
            Issue(
                title="Lambda: throttling",
                symptoms="Throttles metric > 0; 'Rate Exceeded' / TooManyRequestsException; SQS or stream "
                         "sources back up.",
                alert="Lambda throttles",
                check=[config, throttle_probe,
                       cmd("Account concurrency limit and what is left unreserved",
                           f"{lam} get-account-settings {rg} --query AccountLimit",
                           "ConcurrentExecutions (default 1000 per region) shared by all functions without "
                           "reservations")],
                fix=[*cap_steps,
                     Step(action="Another function may be eating the shared pool: reserve concurrency for this "
                                 "one, or raise the regional quota via Service Quotas.",
                          command=cmd("Reserve concurrency for the function",
                                      (f"LIMIT={reserve}  # concurrent executions to reserve\n" if reserve else
                                       "LIMIT=\"${LIMIT:?set LIMIT: concurrent executions to reserve}\"\n")
                                      + f"{lam} put-function-concurrency {rg} {fn} --reserved-concurrent-executions "
                                      "\"$LIMIT\"",
                                      "ReservedConcurrentExecutions set",
                                      warning="Reserved concurrency is also a cap: above LIMIT this function is "
                                              "throttled, and the reservation is taken from every other "
                                              "function's pool. 0 stops the function entirely." + drift))],
                verify="Throttles at 0 for 15 minutes and the event source backlog falling.",
                escalate="If the account limit is reached, page the cloud platform team.",
            ),
        ]

        pause_first = reasoning.pause_advice(ctx.model) if ctx.model is not None else None
        pause = cmd("Pause the function's event source (queue or stream) without losing events",
                    f"{lam} list-event-source-mappings {rg} {fn} --query 'EventSourceMappings[].[UUID, EventSourceArn, "
                    "State]' --output text\n"
                    "UUID=\"${UUID:?set UUID: the mapping from the list above}\"\n"
                    f"aws lambda update-event-source-mapping {rg} --uuid \"$UUID\" --no-enabled",
                    "State Disabling then Disabled; events wait in the queue/stream",
                    warning="Events wait only as long as the source keeps them (SQS retention, stream retention "
                            "24 h by default): re-enable with --enabled before that."
                            + (" Never reserved concurrency 0 instead: an SQS trigger's throttled batches go back to "
                               "the queue and on to the DLQ." if pause_first else ""))

        return Contribution(
            components=[Component(name="Function", technology="AWS Lambda", version="fill in: runtime from "
                                  "get-function-configuration", location=f"{function} in {region(ctx)}",
                                  purpose=f"Alias {alias} serves traffic")],
            key_metrics=[KeyMetric(metric="Lambda errors", normal_range="0", alert_threshold="> 5 per 5 min",
                                   dashboard="fill in: Lambda dashboard"),
                         KeyMetric(metric="Lambda throttles", normal_range="0", alert_threshold="> 0 for 5 min",
                                   dashboard="fill in: Lambda dashboard")],
            prerequisites=[f"aws CLI v2 with lambda:Get*, UpdateAlias, PutFunctionConcurrency on {function}, "
                           "logs:FilterLogEvents"],
            deploy_caveats=["Deploy by publishing a version and moving the alias (with CodeDeploy canary if "
                            "possible); callers pinned to $LATEST get every change untested."],
            signals=signals,
            issues=issues,
            stop_writes=[reasoning.pause_trigger(ctx.model, region(ctx)) or pause],
            daily=["Check errors and throttles of the function"],
            weekly=["Check the DLQ / on-failure destination is empty"],
            monthly=["Review memory and timeout against p99 duration; update the runtime before deprecation"],
            maintenance_commands=[cmd("Versions of the function", f"{lam} list-versions-by-function {rg} {fn} --query "
                                      "'Versions[-5:].[Version, LastModified, Description]' --output text",
                                      "the last five versions to roll back to")],
            dr_procedures=[Procedure(title="Lambda: redeploy in another region", commands=[cmd(
                "Check the function exists in the recovery region",
                "DR_REGION=\"${DR_REGION:?set DR_REGION: the recovery region}\"\n"
                f"aws lambda get-function --region \"$DR_REGION\" {fn} --query Configuration.LastModified",
                "a recent LastModified; deploy it from the pipeline if it is missing")])],
            cheatsheet=[config, rollback],
            vendors=[("AWS", "Lambda")],
        )


PACK = LambdaPack()
