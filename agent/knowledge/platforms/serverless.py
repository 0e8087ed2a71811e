"""Functions and serverless containers: AWS Lambda, Google Cloud Functions (gen2) and Cloud Run
services. `Serverless` holds what they share; each variant is its own class."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import ClassVar

from agent.knowledge.platforms.base import Action, Hostless, aws_log_events, cmd, q, recent_log_events
from agent.knowledge.platforms.releases import CodeDeploy, Stack
from agent.runbook import Command


class Serverless(Hostless):
    """What every function platform shares; `Lambda`, `CloudFunctions` and `CloudRun` are the variants."""

    form = "serverless"

    # facts key of the function's name
    function_key: ClassVar[str] = "lambda.function"

    def __post_init__(self) -> None:
        f = self.ctx.facts
        self.key, self.label = "serverless", "Serverless"
        key = self.function_key
        self.fn = f.names.get(key) or f.names.get("lambda.function") or f.service
        if key not in f.names and "lambda.function" not in f.names:
            self.assumptions.append(f"function named '{self.fn}'")
        self.alias = "live"

    @property
    def gcp(self) -> bool:
        return self.cloud == "gcp"

    def function_of(self, workload: str) -> str:
        return self.ctx.facts.name(self.function_key, workload)

    @property
    def r(self) -> str:
        return f"--region {q(self.region)}"

    def diagram_node(self) -> str:
        return f"{self.fn} (function)"

    def post_deploy(self) -> list[Command]:
        return [*self.status(), self.logs("10m", "error|exception|timed out")]

    def restart_one(self) -> Command:
        return self.restart_all()

    def stop(self) -> Command:
        return self.scale("0", f"Kill switch: stop all invocations of {self.fn}")

    def cheatsheet(self) -> list[Command]:
        return [self.logs("1h"), *self.status(), self.resources(), self.version()]

    # --- named workloads ------------------------------------------------------------------------
    def exec_in(self, workload: str, command: str, env: Sequence[str] = ()) -> str:
        return command  # a function has no shell: run it where the code's CLI is installed

    def edit_config(self, workload: str, path: str, what: str) -> str:
        return (f"# {what}: {path} ships with the function's code package of {self.function_of(workload)}; change it "
                "in the repository and deploy a new version (see Deployment)")

    def crash_issue_parts(self) -> tuple[str, str, list[Command], list[tuple[str, Command | None]]]:
        checks = [self.logs("30m", "error|timed out|runtime exited|out of memory"), self.events(), self.resources()]
        fixes: list[tuple[str, Command | None]] = [
            ("If errors started with a release, move traffic back to the previous version", self.rollback()[1]),
            ("'Task timed out' → a dependency is slow: check it before raising the timeout", None),
            ("Throttling → raise reserved concurrency or ask for an account limit increase", None),
        ]
        return ("Invocation errors, timeouts or throttling",
                "Errors / Throttles metrics rising, 'Task timed out' or 'Runtime exited' in logs", checks, fixes)


class Lambda(Serverless):
    """An AWS Lambda function behind an alias."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.alias = self.ctx.facts.names.get("lambda.alias") or self.alias
        if "lambda.alias" not in self.ctx.facts.names:
            self.assumptions.append(f"Lambda alias '{self.alias}' receives production traffic (rollback moves it)")

    @property
    def stack(self) -> Stack | None:
        """The stack (SAM, CloudFormation, CDK, Terraform) that defines the function, its alias and settings."""
        owner = self.owners.deploy
        return Stack(owner, self.region, self.fn) if owner is not None and owner.stack else None

    @property
    def codedeploy(self) -> CodeDeploy | None:
        """CodeDeploy shifting the alias's traffic to a new version (SAM's DeploymentPreference)."""
        owner = next((o for o in (self.owners.rollout, self.owners.deploy) if o is not None and o.by == "codedeploy"),
                     None)
        stack = self.stack
        return CodeDeploy(owner, self.region, self.fn, stack.owner.label if stack is not None else "") \
            if owner is not None else None

    def drift(self, what: str) -> str:
        """The sentence that says a live change of `what` is drift under a stack ("" without one)."""
        stack = self.stack
        return f" {stack.owner.change(what)}." if stack is not None else ""

    def location(self) -> str:
        return f"AWS Lambda function {self.fn} in {self.region}"

    @property
    def queue_triggered(self) -> bool:
        """Fed by an event source mapping (SQS, Kinesis, Kafka, DynamoDB streams), per the model or the words."""
        model = self.ctx.model
        if model is not None and model.app is not None and any(
                c.technology in ("sqs", "kinesis", "kafka", "msk", "dynamodb") for c in
                model.related(model.app.id, "triggered_by", "consumes_from")):
            return True
        return bool(re.search(r"\b(?:triggered by|consum\w+|event source mapping|reads from|polls?)\b[^.]{0,60}"
                              r"\b(?:sqs|queue|kinesis|kafka|msk|stream)\b", self.ctx.text))

    def event_source_mapping(self, source_arn_var: str) -> Command | None:
        return cmd("The Lambda trigger on the queue: state, batch size, maximum concurrency",
                   f"aws lambda list-event-source-mappings {self.r} --function-name {q(self.fn)} "
                   f"--event-source-arn \"${source_arn_var}\" --query 'EventSourceMappings[].[UUID, State, "
                   "BatchSize, ScalingConfig.MaximumConcurrency, LastProcessingResult]' --output text",
                   "State Enabled and LastProcessingResult OK; Disabled or PROBLEM explains the backlog")

    def _mapping(self, enabled: bool, purpose: str, expect: str, warning: str | None = None) -> Command:
        flag = "--enabled" if enabled else "--no-enabled"
        return cmd(purpose,
                   f"aws lambda list-event-source-mappings {self.r} --function-name {q(self.fn)} "
                   "--query 'EventSourceMappings[].[UUID,EventSourceArn,State]' --output text\n"
                   "UUID=\"${UUID:?set UUID to the mapping of the queue from the list above}\"\n"
                   f"aws lambda update-event-source-mapping {self.r} --uuid \"$UUID\" {flag}",
                   expect, warning)

    def tools(self) -> list[str]:
        return [f"aws CLI v2 with lambda:*, logs:* (read) and cloudwatch:GetMetricData in {self.region}"]

    def config_files(self) -> list[str]:
        stack = self.stack
        where = (f"The {stack.owner.label} code of the stack{' ' + (stack.owner.obj('stack') or '')} (function, alias, "
                 "environment, concurrency)" if stack is not None else
                 "Deploy definition in the repo (fill in: template.yaml / serverless.yml / Terraform)")
        return [f"Function configuration (aws lambda get-function-configuration --function-name {self.fn})", where]

    def caveats(self) -> list[str]:
        if self.stack is not None or self.codedeploy is not None:
            return [*self.owners.caveats(),
                    f"Alias '{self.alias}' is moved by the release itself: moving it by hand "
                    "(update-alias) is drift the next deploy reverts, and fights a traffic shift in progress.",
                    "Setting reserved concurrency to 0 is a kill switch: every invocation is throttled."]
        return [f"Rollback moves alias '{self.alias}' to the previous published version; it does not undo "
                "changes to environment variables stored on $LATEST or to event source mappings.",
                "Setting reserved concurrency to 0 is a kill switch: every invocation is throttled."]

    def pre_deploy(self) -> list[Command]:
        stack = self.stack
        return [*super().pre_deploy(), *([stack.status()] if stack is not None else [])]

    def post_deploy(self) -> list[Command]:
        owned = [self.codedeploy.status()] if self.codedeploy is not None else []
        return [*owned, *super().post_deploy()]

    def status(self) -> list[Command]:
        return [cmd(f"State and last update of {self.fn}",
                    f"aws lambda get-function-configuration --function-name {q(self.fn)} {self.r} "
                    "--query '[State,LastUpdateStatus,Version,Timeout,MemorySize]' --output text",
                    "Active Successful; timeout and memory as configured"),
                cmd(f"Which version alias '{self.alias}' serves",
                    f"aws lambda get-alias --function-name {q(self.fn)} --name {self.alias} {self.r}",
                    "FunctionVersion is the release you expect"),
                cmd("Event sources feeding the function (SQS, Kinesis, Kafka) and their state",
                    f"aws lambda list-event-source-mappings --function-name {q(self.fn)} {self.r} --query "
                    "'EventSourceMappings[].[State,EventSourceArn,LastProcessingResult]' --output table",
                    "State Enabled and LastProcessingResult OK; 'Disabled' or 'PROBLEM' means nothing is consumed")]

    def log_tail(self, since: str) -> str:
        return aws_log_events(f"/aws/lambda/{self.fn}", since, self.region)

    def logs(self, since: str = "15m", grep: str | None = None) -> Command:
        return self.cloudwatch_logs(f"/aws/lambda/{self.fn}", since, grep,
                                    "'Task timed out' means the timeout is hit, 'Runtime exited' a crash")

    def events(self) -> Command:
        return cmd("Throttles and errors over the last hour (1-minute sums)",
                   "START=\"$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%SZ)\"\nEND=\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\"\n"
                   f"aws cloudwatch get-metric-statistics {self.r} --namespace AWS/Lambda --metric-name Throttles "
                   f"--dimensions Name=FunctionName,Value={self.fn} --start-time \"$START\" --end-time \"$END\" "
                   "--period 60 --statistics Sum --output table",
                   "Throttles 0; any throttling → check concurrency")

    def resources(self) -> Command:
        return cmd("Concurrency limits (function and account)",
                   f"aws lambda get-function-concurrency --function-name {q(self.fn)} {self.r}\n"
                   f"aws lambda get-account-settings {self.r} --query 'AccountLimit.ConcurrentExecutions'",
                   "Reserved concurrency (if any) above the peak; 0 means the function is switched off")

    def version(self) -> Command:
        return cmd("Published versions (rollback targets)",
                   f"aws lambda list-versions-by-function --function-name {q(self.fn)} {self.r} "
                   "--query 'Versions[-5:].[Version,LastModified,Description]' --output table",
                   "The newest versions; the one before the alias target is the rollback target")

    def history(self) -> Command:
        return self.version()

    def local_health_check(self) -> Command:
        return cmd("Invoke the live alias once with a harmless payload",
                   f"aws lambda invoke --function-name {q(self.fn)} --qualifier {self.alias} {self.r} "
                   "--cli-binary-format raw-in-base64-out --payload '{\"healthcheck\": true}' /tmp/out.json\n"
                   "cat /tmp/out.json", "StatusCode 200 and no FunctionError field",
                   "Runs real code: only if the function treats this payload as a no-op.")

    def deploy(self) -> list[Command]:
        if self.stack is not None:
            return [self.stack.deploy()]
        return [cmd(f"Upload new code and publish a version of {self.fn}",
                    "ZIP=\"${ZIP:?set ZIP to the build artifact, e.g. dist/function.zip}\"\n"
                    f"aws lambda update-function-code --function-name {q(self.fn)} {self.r} "
                    "--zip-file \"fileb://$ZIP\" --publish --query Version --output text",
                    "Prints the new version number"),
                cmd(f"Move alias '{self.alias}' to the new version (canary 10% first)",
                    "NEW_VERSION=\"${NEW_VERSION:?set NEW_VERSION to the version printed above}\"\n"
                    "CURRENT=\"$(aws lambda get-alias --function-name "
                    f"{q(self.fn)} --name {self.alias} {self.r} --query FunctionVersion --output text)\"\n"
                    f"aws lambda update-alias --function-name {q(self.fn)} --name {self.alias} {self.r} "
                    "--function-version \"$CURRENT\" --routing-config "
                    "\"AdditionalVersionWeights={$NEW_VERSION=0.1}\"",
                    "10% of invocations reach the new version; watch errors for 10 min, then shift fully")]

    def rollback(self) -> list[Command]:
        stack, codedeploy = self.stack, self.codedeploy
        if stack is not None or codedeploy is not None:
            out = [self.version()]
            if codedeploy is not None:
                out.append(codedeploy.stop())  # the traffic shift in progress: CodeDeploy moves the alias back
            elif stack is not None and (cancel := stack.cancel()) is not None:
                out.append(cancel)
            if stack is not None:
                out.append(stack.redeploy_previous())
            return [*out, self.status()[1]]
        return [self.version(),
                cmd(f"Point alias '{self.alias}' back at the previous version (no redeploy)",
                    "PREVIOUS_VERSION=\"${PREVIOUS_VERSION:?set PREVIOUS_VERSION to the last good version}\"\n"
                    f"aws lambda update-alias --function-name {q(self.fn)} --name {self.alias} {self.r} "
                    "--function-version \"$PREVIOUS_VERSION\" --routing-config 'AdditionalVersionWeights={}'",
                    "The alias shows the previous version; errors drop within minutes"),
                self.status()[1]]

    def restart_all(self) -> Command:
        if self.stack is not None:
            # under a stack the alias serves a published version: touching $LATEST recycles nothing it
            # serves and is a change outside the stack (drift the next deploy undoes)
            return cmd(f"Nothing to restart: which version alias '{self.alias}' serves (a change to the function "
                       f"goes through {self.stack.owner.label})",
                       f"aws lambda get-alias --function-name {q(self.fn)} --name {self.alias} {self.r}",
                       "FunctionVersion is the version deployed last; a bad one is rolled back through the stack "
                       "(Rollback Procedure), a failing dependency fixed where it fails")
        return cmd("Recycle all execution environments by touching the configuration",
                   f"aws lambda update-function-configuration --function-name {q(self.fn)} {self.r} "
                   "--description \"recycled $(date -u +%FT%TZ)\"",
                   "LastUpdateStatus Successful; new invocations start cold",
                   "Every warm environment is discarded (cold-start spike). This changes $LATEST only; publish "
                   "and move the alias if the alias points at a published version.")

    def scale(self, replicas: str, purpose: str) -> Command:
        if replicas == "0" and self.queue_triggered:
            return self.stop()
        return cmd(purpose, f"aws lambda put-function-concurrency --function-name {q(self.fn)} {self.r} "
                   f"--reserved-concurrent-executions {replicas}",
                   "ReservedConcurrentExecutions set",
                   ("Reserved concurrency 0 throttles every invocation (kill switch); async events are retried "
                    "then dropped to the DLQ/destination. Remove with delete-function-concurrency."
                    if replicas == "0" else "Caps parallel executions; excess invocations are throttled.")
                   + self.drift("the reserved concurrency"))

    def set_flag(self, name: str, value: str, purpose: str) -> Command:
        return cmd(purpose,
                   f"aws lambda get-function-configuration --function-name {q(self.fn)} {self.r} "
                   "--query 'Environment.Variables' --output json > /tmp/env-before.json\n"
                   "cat /tmp/env-before.json\n"
                   f"echo 'Merge {name}={value} into the variables above, then run update-function-configuration "
                   "with the full set'",
                   "You have the current variables saved before changing them",
                   "update-function-configuration --environment REPLACES all variables: always pass the full "
                   f"set including {name}, never just the one you change." + self.drift(f"{name}"))

    def rerun(self) -> Command:
        return cmd("Trigger one asynchronous run now (same as the schedule does)",
                   f"aws lambda invoke --function-name {q(self.fn)} --qualifier {self.alias} {self.r} "
                   "--invocation-type Event --cli-binary-format raw-in-base64-out --payload '{}' /tmp/rerun.json",
                   "StatusCode 202; follow the run in the logs",
                   "Runs the job for real: make sure it is idempotent for the window it processes.")

    def redeploy_elsewhere(self) -> list[Command]:
        stack = self.stack
        if stack is not None and stack.tool in ("sam", "cloudformation", "cdk"):
            deploy = {"sam": "sam deploy --stack-name \"$STACK\" --region \"$DR_REGION\" --confirm-changeset",
                      "cdk": "cdk deploy \"$STACK\" --require-approval broadening  # with the stack's env set to "
                             "the recovery region",
                      "cloudformation": "TEMPLATE=\"${TEMPLATE:?set TEMPLATE to the template of the live release}\"\n"
                                        "aws cloudformation deploy --region \"$DR_REGION\" --stack-name \"$STACK\" "
                                        "--template-file \"$TEMPLATE\""}[stack.tool]
            return [cmd(f"Deploy the stack of {self.fn} into the recovery region through {stack.owner.label}",
                        f"{self.dr_region_var()}\n{stack.name}\n{deploy}",
                        "The stack is COMPLETE in the recovery region; then repoint the trigger / API",
                        "Creates or updates every resource of the stack in the recovery region; data stores it "
                        "defines start empty there.")]
        return [cmd("Deploy the same artifact into the recovery region (function must exist there via IaC)",
                    f"{self.dr_region_var()}\n"
                    "ZIP=\"${ZIP:?set ZIP to the last good artifact}\"\n"
                    f"aws lambda update-function-code --function-name {q(self.fn)} --region \"$DR_REGION\" "
                    "--zip-file \"fileb://$ZIP\" --publish",
                    "New version published in the recovery region; repoint the trigger / API")]

    def log_stream(self, workload: str) -> str:
        function = self.function_of(workload)
        return recent_log_events("/aws/lambda/" + function, self.region)

    def stop(self) -> Command:
        if self.queue_triggered:
            return self.stop_workload(self.fn, "stop consuming")
        return super().stop()

    def stop_workload(self, workload: str, why: str) -> Command:
        function = self.function_of(workload)
        if self.queue_triggered and function == self.fn:
            # Reserved concurrency 0 would throttle every poll: messages come back after the visibility
            # timeout, count as receives and land in the DLQ. A disabled trigger leaves them in the queue.
            return self._mapping(False, f"Stop {workload} consuming: disable its trigger ({why})",
                                 "State Disabling then Disabled; messages stay in the queue",
                                 "Nothing is consumed until the trigger is enabled again; the queue's retention "
                                 "period keeps counting. Do not set reserved concurrency to 0 for a queue consumer: "
                                 "throttled messages are received again and again and end in the dead-letter queue.")
        return super().stop_workload(workload, why)

    def start_workload(self, workload: str, replicas: int | None = None) -> Command:
        function = self.function_of(workload)
        if self.queue_triggered and function == self.fn:
            return self._mapping(True, f"Start {workload} consuming again: enable its trigger",
                                 "State Enabling then Enabled; the backlog starts to fall")
        return self.started(workload, self.control(workload, "start"),
                            "Removes the function's reserved concurrency: it runs again and draws from the account's "
                            "shared unreserved pool. If it had a non-zero reservation before, restore that number "
                            "with put-function-concurrency instead.")

    def control(self, workload: str, action: Action, replicas: int | None = None) -> str:
        scope = f"--region {q(self.region)} --function-name {q(self.function_of(workload))}"
        if action == "stop":
            return f"aws lambda put-function-concurrency {scope} --reserved-concurrent-executions 0"
        if action == "start":
            return f"aws lambda delete-function-concurrency {scope}"
        # A Lambda has no process to restart; updating configuration recycles execution environments.
        return f"aws lambda update-function-configuration {scope} --description \"recycled $(date -u +%FT%TZ)\""


class CloudFunctions(Serverless):
    """A Google Cloud Function (gen2: it runs on a Cloud Run service of the same name)."""

    function_key = "gcf.function"

    def location(self) -> str:
        return f"Cloud Functions (gen2) {self.fn} in {self.region}"

    def tools(self) -> list[str]:
        return [f"gcloud CLI with cloudfunctions and run permissions in {self.region}"]

    def config_files(self) -> list[str]:
        return [f"Function configuration (gcloud functions describe {self.fn})",
                "Deploy definition in the repo (fill in: Terraform / cloudbuild.yaml)"]

    def caveats(self) -> list[str]:
        return ["Gen2 functions run on Cloud Run: traffic can be moved between revisions without a "
                "redeploy (gcloud run services update-traffic)."]

    def status(self) -> list[Command]:
        return [cmd(f"State and revision of {self.fn}",
                    f"gcloud functions describe {q(self.fn)} {self.r} "
                    "--format='value(state,serviceConfig.revision,updateTime)'",
                    "state ACTIVE and the revision you expect")]

    def log_tail(self, since: str) -> str:
        return f"gcloud functions logs read {q(self.fn)} --gen2 {self.r} --limit 200"

    def events(self) -> Command:
        return cmd("Recent configuration changes (audit log)",
                   f"gcloud logging read 'resource.type=\"cloud_function\" AND "
                   f"resource.labels.function_name=\"{self.fn}\" AND severity>=WARNING' --limit 20 "
                   "--freshness=1h", "No unexpected changes or warnings")

    def resources(self) -> Command:
        return cmd("Memory, timeout and instance limits",
                   f"gcloud functions describe {q(self.fn)} {self.r} "
                   "--format='yaml(serviceConfig.availableMemory,serviceConfig.timeoutSeconds,"
                   "serviceConfig.maxInstanceCount)'", "Limits as expected for the load")

    def version(self) -> Command:
        return self.status()[0]

    def history(self) -> Command:
        return cmd("Revisions of the underlying Cloud Run service",
                   f"gcloud run revisions list --service {q(self.fn)} {self.r} --limit 5",
                   "The previous revision is the rollback target")

    def local_health_check(self) -> Command:
        return cmd("Invoke the function once with a harmless payload",
                   f"gcloud functions call {q(self.fn)} {self.r} --data '{{\"healthcheck\": true}}'",
                   "A normal response, no error")

    def deploy(self) -> list[Command]:
        return [cmd(f"Deploy a new revision of {self.fn}",
                    "SOURCE_DIR=\"${SOURCE_DIR:?set SOURCE_DIR to the function source directory}\"\n"
                    f"gcloud functions deploy {q(self.fn)} --gen2 {self.r} --source \"$SOURCE_DIR\"",
                    "Deploy finishes with state ACTIVE")]

    def rollback(self) -> list[Command]:
        return [self.history(),
                cmd("Send all traffic back to the previous revision",
                    "REVISION=\"${REVISION:?set REVISION to the last good revision}\"\n"
                    f"gcloud run services update-traffic {q(self.fn)} {self.r} --to-revisions=\"$REVISION=100\"",
                    "100% of traffic on the chosen revision"),
                self.status()[0]]

    def restart_all(self) -> Command:
        return cmd("Force new instances by redeploying the current revision's traffic split",
                   f"gcloud run services update {q(self.fn)} {self.r} --update-labels=restarted-at=\"$(date +%s)\"",
                   "A new revision becomes ready and takes traffic",
                   "Creates a new revision: all warm instances are replaced (cold starts).")

    def scale(self, replicas: str, purpose: str) -> Command:
        if replicas == "0":  # the maximum instance count is at least 1: stop it at its ingress instead
            return self.stop()
        return cmd(purpose, f"gcloud functions deploy {q(self.fn)} --gen2 {self.r} --max-instances={replicas}",
                   "New max instances applied")

    def stop(self) -> Command:
        return self.stop_workload(self.fn, "full stop")

    @property
    def zero_stop(self) -> bool:
        # internal-only ingress turns away outside callers; an event trigger (Pub/Sub, Eventarc) still delivers
        model = self.ctx.model
        return model is None or not any(r.kind in ("triggered_by", "consumes_from") for r in model.relationships)

    def set_flag(self, name: str, value: str, purpose: str) -> Command:
        return cmd(purpose, f"gcloud functions deploy {q(self.fn)} --gen2 {self.r} "
                   f"--update-env-vars {name}={q(value)}", f"New revision with {name}={value}",
                   f"Redeploys the function. Only useful if it honours {name}.")

    def rerun(self) -> Command:
        return cmd("Trigger one run now", f"gcloud functions call {q(self.fn)} {self.r} --data '{{}}'",
                   "A normal response", "Runs the job for real: make sure it is idempotent.")

    def redeploy_elsewhere(self) -> list[Command]:
        return [cmd("Deploy the function into the recovery region",
                    f"{self.dr_region_var()}\n"
                    "SOURCE_DIR=\"${SOURCE_DIR:?set SOURCE_DIR to the function source directory}\"\n"
                    f"gcloud functions deploy {q(self.fn)} --gen2 --region \"$DR_REGION\" --source \"$SOURCE_DIR\"",
                    "State ACTIVE in the recovery region; switch the trigger / endpoint")]

    def log_stream(self, workload: str) -> str:
        function = self.function_of(workload)
        return f"gcloud functions logs read {q(function)} --gen2 {self.r} --limit 500"

    def control(self, workload: str, action: Action, replicas: int | None = None) -> str:
        # Stop: internal-only ingress turns away outside callers (event triggers still deliver); restart: a
        # new revision replaces every instance.
        change = {"stop": "--ingress=internal", "start": "--ingress=all",
                  "restart": "--update-labels=restarted-at=\"$(date +%s)\""}[action]
        return f"gcloud run services update {q(self.function_of(workload))} {self.r} {change}"


class CloudRun(CloudFunctions):
    """A Cloud Run service (a container image, revisions and a traffic split): `gcloud run`, not
    `gcloud functions` — the two share revisions, not their CLI."""

    function_key = "gcf.function"

    def location(self) -> str:
        return f"Cloud Run service {self.fn} in {self.region}"

    def diagram_node(self) -> str:
        return f"{self.fn} (Cloud Run)"

    def tools(self) -> list[str]:
        return [f"gcloud CLI with run.services.* and logging.logEntries.list in {self.region}"]

    def config_files(self) -> list[str]:
        return [f"Service configuration (gcloud run services describe {self.fn})",
                "Deploy definition in the repo (fill in: service.yaml / Terraform / cloudbuild.yaml)"]

    def caveats(self) -> list[str]:
        return ["Traffic can be moved between revisions without a redeploy (gcloud run services update-traffic); "
                "a new revision keeps the previous image and settings unless you change them."]

    def status(self) -> list[Command]:
        return [cmd(f"Ready state, latest revision and traffic split of {self.fn}",
                    f"gcloud run services describe {q(self.fn)} {self.r} "
                    "--format='value(status.conditions[0].status,status.latestReadyRevisionName,status.traffic)'",
                    "True, the revision you expect, and 100% of traffic where you expect it")]

    def _read(self, extra: str = "") -> str:
        return (f"gcloud logging read 'resource.type=\"cloud_run_revision\" AND "
                f"resource.labels.service_name=\"{self.fn}\"{extra}' --freshness=30m --limit 500 "
                "--format='value(textPayload,jsonPayload.message)'")

    def log_tail(self, since: str) -> str:
        return self._read().replace("--freshness=30m", f"--freshness={since}")

    def events(self) -> Command:
        return cmd("Warnings of the last hour (failed revisions, container start-up, scaling limits)",
                   self._read(" AND severity>=WARNING").replace("--freshness=30m", "--freshness=1h")
                   .replace("--limit 500", "--limit 20"), "No failed revisions or start-up errors")

    def resources(self) -> Command:
        return cmd("CPU, memory, concurrency and instance limits",
                   f"gcloud run services describe {q(self.fn)} {self.r} --format='yaml(spec.template.spec."
                   "containers[0].resources,spec.template.spec.containerConcurrency,spec.template.metadata."
                   "annotations)'", "Limits as expected for the load; autoscaling.knative.dev/maxScale above the peak")

    @property
    def _run_health(self) -> str:
        # no path in the model: asked for, not invented
        return ("${HEALTH_PATH:?set HEALTH_PATH to the health path of the service (the service model names none)}"
                if self.health_unknown else self.health)

    def local_health_check(self) -> Command:
        path = "the health path" if self.health_unknown else self.health
        return cmd(f"Call {path} on the service URL (with an identity token if it is not public)",
                   f"URL=\"$(gcloud run services describe {q(self.fn)} {self.r} --format='value(status.url)')\"\n"
                   "curl -fsS -o /dev/null -w 'HTTP %{http_code} in %{time_total}s\\n' --max-time 10 "
                   f"-H \"Authorization: Bearer $(gcloud auth print-identity-token)\" \"$URL{self._run_health}\"",
                   "HTTP 200; 403 means the caller lacks run.invoker")

    def deploy(self) -> list[Command]:
        return [cmd(f"Deploy a new revision of {self.fn} without traffic, then move traffic to it",
                    "IMAGE=\"${IMAGE:?set IMAGE to the image to deploy}\"\n"
                    f"gcloud run deploy {q(self.fn)} {self.r} --image \"$IMAGE\" --no-traffic --tag candidate\n"
                    f"gcloud run services update-traffic {q(self.fn)} {self.r} --to-tags candidate=10",
                    "The revision is Ready with 10% of traffic; raise to 100 with --to-latest once healthy")]

    def scale(self, replicas: str, purpose: str) -> Command:
        if replicas == "0":
            return self.stop()
        return cmd(purpose, f"gcloud run services update {q(self.fn)} {self.r} --min-instances={replicas}",
                   "A new revision with the minimum instances; they start warm",
                   "Minimum instances are billed while idle; set it back once the incident is over. Instances "
                   "x concurrency x connections per instance must stay below what the database accepts.")

    def set_flag(self, name: str, value: str, purpose: str) -> Command:
        return cmd(purpose, f"gcloud run services update {q(self.fn)} {self.r} --update-env-vars {name}={q(value)}",
                   f"A new revision with {name}={value} takes the traffic",
                   f"Creates a new revision (instances replaced). Only useful if the service honours {name}.")

    def stop(self) -> Command:
        return self.stop_workload(self.fn, "full stop")

    def rerun(self) -> Command:
        return cmd("Send one request to the service", self.local_health_check().code,
                   "HTTP 200", "Runs the request for real: make sure it is idempotent.")

    def redeploy_elsewhere(self) -> list[Command]:
        return [cmd("Deploy the same image into the recovery region",
                    f"{self.dr_region_var()}\n"
                    f"IMAGE=\"$(gcloud run services describe {q(self.fn)} {self.r} "
                    "--format='value(spec.template.spec.containers[0].image)')\"\n"
                    f"gcloud run deploy {q(self.fn)} --region \"$DR_REGION\" --image \"$IMAGE\"",
                    "The service is Ready in the recovery region; move traffic (load balancer / DNS)")]

    def log_stream(self, workload: str) -> str:
        return self._read().replace(f'"{self.fn}"', f'"{self.function_of(workload)}"')
