"""Amazon ECS services (Fargate or EC2 capacity)."""

from __future__ import annotations

from collections.abc import Sequence

from agent.knowledge.platforms.base import Action, Hostless, aws_log_events, cmd, double_quoted, q, recent_log_events
from agent.knowledge.platforms.releases import CodeDeploy, Stack
from agent.runbook import Command

# The EC2 launch type: tasks placed on container instances the team runs (an ASG behind a capacity provider).
_EC2_WORDS = r"\bec2 launch type\b|\blaunch type:? ?ec2\b|\becs on ec2\b|\bon ec2\b|\bcontainer instances?\b|" \
             r"\bcapacity providers?\b|\bauto ?scaling group\b|\basg\b"
_EC2_STRICT = r"\bec2 launch type\b|\blaunch type:? ?ec2\b|\becs on ec2\b|\bcontainer instances?\b"


class ECS(Hostless):
    """Containers on Amazon ECS (Fargate or EC2 launch type)."""

    form = "container"

    def __post_init__(self) -> None:
        f = self.ctx.facts
        self.key, self.label = "docker", "Amazon ECS"
        self.cluster = f.names.get("ecs.cluster") or f.cluster or f.service
        self.service = f.names.get("ecs.service") or f.service
        if "ecs.cluster" not in f.names and not f.cluster:
            self.assumptions.append(f"ECS cluster '{self.cluster}'")
        if "ecs.service" not in f.names:
            self.assumptions.append(f"ECS service '{self.service}', logs in /ecs/{self.service}")

    @property
    def on_ec2(self) -> bool:
        """EC2 launch type / capacity providers backed by instances: tasks need free instance CPU and memory,
        so the container instances and their Auto Scaling group are part of every diagnosis. Fargate has none."""
        from agent.knowledge.platforms.select import said_in  # late: select imports this module

        text = self.ctx.facts.description
        ec2 = said_in(text, _EC2_WORDS)
        return ec2 and (not said_in(text, r"\bfargate\b") or said_in(text, _EC2_STRICT))

    @property
    def asg(self) -> tuple[str, str]:
        """(declaration, shell word) of the Auto Scaling group behind the cluster's capacity provider."""
        app = self.ctx.model.app if self.ctx.model is not None else None
        name = (app.name("asg") if app is not None else None) or self.ctx.facts.names.get("asg")
        if name:
            return "", q(name)
        return ("ASG=\"${ASG:?set ASG to the Auto Scaling group behind the capacity provider of the cluster}\"\n",
                "\"$ASG\"")

    def container_instances(self) -> Command:
        return cmd(f"Container instances of {self.cluster}: agent connected, tasks, free CPU and memory",
                   f"INSTANCES=\"$(aws ecs list-container-instances {self.scope} --query 'containerInstanceArns' "
                   "--output text)\"\n"
                   "# shellcheck disable=SC2086  # $INSTANCES holds one ARN per word\n"
                   f"aws ecs describe-container-instances {self.scope} --container-instances $INSTANCES --query "
                   "'containerInstances[].[ec2InstanceId,status,agentConnected,runningTasksCount,"
                   "remainingResources[?name==`CPU`].integerValue|[0],remainingResources[?name==`MEMORY`]"
                   ".integerValue|[0]]' --output table",
                   "every instance ACTIVE with agentConnected True; enough free CPU/MEMORY for one more task "
                   "(DRAINING instances take no new tasks)")

    def instance_capacity(self) -> Command:
        declare, asg = self.asg
        return cmd("Capacity providers and the Auto Scaling group behind them",
                   f"{declare}aws ecs describe-clusters {self.scope.replace('--cluster', '--clusters')} --query "
                   "'clusters[0].[capacityProviders,defaultCapacityProviderStrategy]' --output json\n"
                   f"aws autoscaling describe-auto-scaling-groups --region {q(self.region)} "
                   f"--auto-scaling-group-names {asg} --query 'AutoScalingGroups[0].[MinSize,DesiredCapacity,"
                   "MaxSize,length(Instances)]' --output text",
                   "DesiredCapacity below MaxSize; at MaxSize new tasks stay PENDING ('unable to place a task')")

    @property
    def scope(self) -> str:
        return f"--region {q(self.region)} --cluster {q(self.cluster)}"

    @property
    def codedeploy(self) -> CodeDeploy | None:
        """The CodeDeploy deployment group when CodeDeploy is the service's deployment controller (blue/green):
        ECS then refuses a new task definition through update-service."""
        owner = next((o for o in (self.owners.rollout, self.owners.deploy) if o is not None and o.by == "codedeploy"),
                     None)
        return CodeDeploy(owner, self.region, self.service) if owner is not None else None

    @property
    def stack(self) -> Stack | None:
        """The stack (Terraform, CloudFormation, CDK) that defines the task definition and the service."""
        owner = self.owners.deploy
        return Stack(owner, self.region, self.service) if owner is not None and owner.stack else None

    def location(self) -> str:
        return f"Amazon ECS cluster {self.cluster}, service {self.service} ({self.region})"

    def diagram_node(self) -> str:
        return f"{self.service} (ECS tasks)"

    def tools(self) -> list[str]:
        return [f"aws CLI with ecs:Describe*/UpdateService and logs:FilterLogEvents in {self.region}",
                "Session Manager plugin (for aws ecs execute-command)"]

    def config_files(self) -> list[str]:
        return [f"ECS task definition of {self.service} (aws ecs describe-task-definition)"]

    def caveats(self) -> list[str]:
        if self.codedeploy is not None:
            return [*self.owners.caveats(), "On a CodeDeploy service ECS rejects update-service with a new task "
                    "definition, and the deployment circuit breaker does not apply (the deployment group's "
                    "automatic rollback does)."]
        if self.stack is not None:
            return self.owners.caveats()
        return ["Rolling back = updating the service to the previous task definition revision; the deployment "
                "circuit breaker (if enabled) rolls back automatically on failed deployments.", *self.owners.caveats()]

    def status(self) -> list[Command]:
        return [cmd(f"Desired vs running tasks and the current deployment of {self.service}",
                    f"aws ecs describe-services {self.scope} --services {q(self.service)} --query "
                    "'services[0].[desiredCount,runningCount,pendingCount,taskDefinition,deployments[0].rolloutState]' "
                    "--output text", "running = desired, rolloutState COMPLETED"),
                cmd("Recent service events (placement failures, unhealthy targets)",
                    f"aws ecs describe-services {self.scope} --services {q(self.service)} --query "
                    "'services[0].events[:10].[createdAt,message]' --output text",
                    "No 'unable to place' or 'failed health checks' messages"),
                *([self.container_instances(), self.instance_capacity()] if self.on_ec2 else [])]

    def log_tail(self, since: str) -> str:
        return aws_log_events(f"/ecs/{self.service}", since, self.region)

    def logs(self, since: str = "15m", grep: str | None = None) -> Command:
        return self.cloudwatch_logs(f"/ecs/{self.service}", since, grep, "a stopped task's last lines name the cause")

    def events(self) -> Command:
        return cmd("Why tasks stopped (exit codes, OOM, health checks)",
                   f"TASKS=\"$(aws ecs list-tasks {self.scope} --service-name {q(self.service)} --desired-status "
                   "STOPPED --query 'taskArns[:5]' --output text)\"\n"
                   "# shellcheck disable=SC2086  # $TASKS holds one task ARN per word\n"
                   f"aws ecs describe-tasks {self.scope} --tasks $TASKS --query "
                   "'tasks[].[stoppedReason,containers[0].exitCode]' --output text",
                   "No 'OutOfMemoryError' or 'Essential container exited' in the reasons")

    def resources(self) -> Command:
        return cmd("Service CPU and memory utilisation (last 30 min)",
                   "START=\"$(date -u -d '-30 min' +%Y-%m-%dT%H:%M:%SZ)\"\nEND=\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\"\n"
                   f"aws cloudwatch get-metric-statistics --region {q(self.region)} --namespace AWS/ECS "
                   f"--metric-name MemoryUtilization --dimensions Name=ClusterName,Value={self.cluster} "
                   f"Name=ServiceName,Value={self.service} --start-time \"$START\" --end-time \"$END\" "
                   "--period 300 --statistics Maximum --output table", "Below 80%")

    def version(self) -> Command:
        return cmd("Task definition revision in service",
                   f"aws ecs describe-services {self.scope} --services {q(self.service)} --query "
                   "'services[0].taskDefinition' --output text", "The revision you expect; note it before a change")

    def history(self) -> Command:
        return cmd("Recent task definition revisions (rollback targets)",
                   f"aws ecs list-task-definitions --region {q(self.region)} --family-prefix {q(self.service)} "
                   "--sort DESC --max-items 5", "The previous revision is the rollback target")

    def local_health_check(self) -> Command:
        return self.status()[0]

    def pre_deploy(self) -> list[Command]:
        owned = [c.status() for c in (self.codedeploy, self.stack) if c is not None]
        return [*super().pre_deploy(), *owned[:1]]

    def deploy(self) -> list[Command]:
        if self.codedeploy is not None:
            return [self.codedeploy.deploy_ecs(self.cluster, self.service)]
        if self.stack is not None:
            return [self.stack.deploy()]
        return [cmd(f"Deploy a new task definition revision to {self.service}",
                    "TASK_DEF=\"${TASK_DEF:?set TASK_DEF to the new task definition family:revision}\"\n"
                    f"aws ecs update-service {self.scope} --service {q(self.service)} --task-definition "
                    "\"$TASK_DEF\"\n"
                    f"aws ecs wait services-stable {self.scope} --services {q(self.service)}",
                    "The wait returns once the new tasks are healthy")]

    def post_deploy(self) -> list[Command]:
        owned = [self.codedeploy.status()] if self.codedeploy is not None else []
        return [*owned, *self.status(), self.logs("10m", "error|exception|fatal"), self.health_check()]

    def rollback(self) -> list[Command]:
        if self.codedeploy is not None:
            return [self.codedeploy.stop(), self.history(),
                    self.codedeploy.redeploy_ecs(self.service, self.ctx.facts.names.get("k8s.container"),
                                                 self.ctx.facts.port),
                    self.version()]
        if self.stack is not None:
            cancel = self.stack.cancel()
            return [self.stack.status(), *([cancel] if cancel else []), self.stack.redeploy_previous(),
                    self.version()]
        return [self.history(),
                cmd(f"Put {self.service} back on the previous task definition",
                    "PREVIOUS=\"${PREVIOUS:?set PREVIOUS to the last good family:revision}\"\n"
                    f"aws ecs update-service {self.scope} --service {q(self.service)} --task-definition "
                    "\"$PREVIOUS\"\n"
                    f"aws ecs wait services-stable {self.scope} --services {q(self.service)}",
                    "Service stable on the previous revision"),
                self.version()]

    def restart_one(self) -> Command:
        return cmd("Stop one unhealthy task; the service starts a replacement",
                   "TASK=\"${TASK:?set TASK to the task ARN from aws ecs list-tasks}\"\n"
                   f"aws ecs stop-task {self.scope} --task \"$TASK\" --reason 'runbook: replace unhealthy task'",
                   "A new task reaches RUNNING", "Drops that task's in-flight requests.")

    def restart_all(self) -> Command:
        if self.codedeploy is not None:
            # a CodeDeploy-controlled service takes no forced deployment: replace the tasks one at a time
            return cmd(f"Replace every task of {self.service}, one at a time (the service starts each replacement)",
                       f"for TASK in $(aws ecs list-tasks {self.scope} --service-name {q(self.service)} --query "
                       "'taskArns[]' --output text); do\n"
                       f"  aws ecs stop-task {self.scope} --task \"$TASK\" --reason 'runbook: rolling replace' "
                       "--query 'task.lastStatus' --output text\n"
                       f"  aws ecs wait services-stable {self.scope} --services {q(self.service)}\n"
                       "done",
                       "Each replacement RUNNING and healthy before the next task stops",
                       "Replaces ALL tasks, one by one: each stop drops that task's in-flight requests. Safer: stop "
                       "only the one bad task.")
        return cmd(f"Replace every task of {self.service} (rolling)",
                   f"aws ecs update-service {self.scope} --service {q(self.service)} --force-new-deployment\n"
                   f"aws ecs wait services-stable {self.scope} --services {q(self.service)}",
                   "New tasks healthy, old ones drained",
                   "Replaces ALL tasks (rolling, honours minimumHealthyPercent). Safer: stop the one bad task.")

    def scalable_target(self) -> str:
        resource = f"service/{self.cluster}/{self.service}"
        return (f"--region {q(self.region)} --service-namespace ecs --resource-id {q(resource)} "
                "--scalable-dimension ecs:service:DesiredCount")

    def scale(self, replicas: str, purpose: str) -> Command:
        cap = self.capacity
        if replicas.isdigit() and replicas != "0":
            replicas = str(cap.bounded(int(replicas)))
        resource = f"service/{self.cluster}/{self.service}"
        describe = (f"aws application-autoscaling describe-scalable-targets --region {q(self.region)} "
                    f"--service-namespace ecs --resource-ids {q(resource)} --query "
                    "'ScalableTargets[0].[MinCapacity,MaxCapacity]' --output text")
        if self.owners.autoscaler is not None and replicas == "0":
            # a desired count of 0 under service auto scaling is raised back to its minimum: suspend it first
            return cmd(purpose + ": suspend service auto scaling, then set the desired count to 0",
                       f"{describe}\n"
                       f"aws application-autoscaling register-scalable-target {self.scalable_target()} "
                       "--suspended-state DynamicScalingInSuspended=true,DynamicScalingOutSuspended=true,"
                       "ScheduledScalingSuspended=true\n"
                       f"aws ecs update-service {self.scope} --service {q(self.service)} --desired-count 0",
                       "runningCount reaches 0 and stays there",
                       "Stops the service entirely. To start it again: set the desired count back"
                       + (f" to {cap.low}" if cap.low is not None else "") + " and register the scalable target "
                       "with every --suspended-state flag false, or auto scaling stays off.")
        if self.owners.autoscaler is not None:
            # Service auto scaling owns the desired count: raise the scalable target's minimum instead.
            register = (f"aws application-autoscaling register-scalable-target {self.scalable_target()} "
                        f"--min-capacity {replicas}")
            code = (f"{describe}\n{register}" if cap.high is not None else
                    f"MAX=\"$(aws application-autoscaling describe-scalable-targets --region {q(self.region)} "
                    f"--service-namespace ecs --resource-ids {q(resource)} --query 'ScalableTargets[0].MaxCapacity' "
                    "--output text)\"\n"
                    f"if [ \"$MAX\" -ge {replicas} ]; then\n  {register}\nelse\n"
                    f"  echo \"MaxCapacity is $MAX, below {replicas}: raise it first (a capacity decision)\"\nfi")
            back = f" (to {cap.low})" if cap.low is not None else ""
            return cmd(purpose + " through service auto scaling", code,
                       "MinCapacity is the new value; runningCount follows within minutes",
                       "An update-service --desired-count is changed back by the scaling policy. The new minimum "
                       f"stays at or below MaxCapacity; lower it again{back} once the incident is over."
                       + self.bounds_note())
        if self.on_ec2 and replicas != "0":
            purpose += " (check the container instances have room first)"
        return cmd(purpose, f"aws ecs update-service {self.scope} --service {q(self.service)} --desired-count "
                   f"{replicas}", "runningCount reaches the new desired count",
                   "Desired count 0 stops the service." if replicas == "0" else
                   "Service auto scaling may change it back: adjust its min/max instead." + self.bounds_note())

    def set_flag(self, name: str, value: str, purpose: str) -> Command:
        how = ("the stack's code and deploy it (see Deployment)" if self.stack is not None else
               "a new task definition revision and deploy it through CodeDeploy (see Deployment)"
               if self.codedeploy is not None else "a new task definition revision and deploy it")
        return cmd(purpose, f"aws ecs describe-task-definition --region {q(self.region)} --task-definition "
                   f"{q(self.service)} --query 'taskDefinition.containerDefinitions[0].environment'",
                   f"Current environment; put {name}={value} in {how}",
                   f"Needs a new task definition revision and a deployment. Only useful if the service honours {name}.")

    def stop(self) -> Command:
        return self.scale("0", f"Stop {self.service} (desired count 0)")

    def stop_workload(self, workload: str, why: str) -> Command:
        if self.owners.autoscaler is not None and self.names_of(self.resolve(workload))[1] == self.service:
            return self.scale("0", f"Stop {self.service} ({why})")  # through its auto scaling, or it comes back
        return super().stop_workload(workload, why)

    def redeploy_elsewhere(self) -> list[Command]:
        return [cmd("Run the service in the recovery region (cluster and task definition via IaC)",
                    f"{self.dr_region_var()}\n"
                    "DR_CLUSTER=\"${DR_CLUSTER:?set DR_CLUSTER}\"\n"
                    "COUNT=\"${COUNT:?set COUNT to the normal desired count}\"\n"
                    f"aws ecs update-service --region \"$DR_REGION\" --cluster \"$DR_CLUSTER\" --service "
                    f"{q(self.service)} --desired-count \"$COUNT\"",
                    "Tasks RUNNING in the recovery region; then move traffic")]

    def cheatsheet(self) -> list[Command]:
        return [*self.status(), self.logs("1h"), self.events(),
                cmd("Shell into a running task (ECS Exec)",
                    f"TASK=\"$(aws ecs list-tasks {self.scope} --service-name {q(self.service)} --query "
                    "'taskArns[0]' --output text)\"\n"
                    f"aws ecs execute-command {self.scope} --task \"$TASK\" --interactive --command sh")]

    # --- named workloads ------------------------------------------------------------------------
    def names_of(self, workload: str) -> tuple[str, str]:
        """(cluster, service) of a named workload."""
        f = self.ctx.facts
        return f.name("ecs.cluster", f.cluster or f.service), f.name("ecs.service", workload)

    def update_service(self, workload: str, change: str) -> str:
        cluster, service = self.names_of(workload)
        return (f"aws ecs update-service --region {q(self.region)} --cluster {q(cluster)} "
                f"--service {q(service)} {change}")

    def exec_in(self, workload: str, command: str, env: Sequence[str] = ()) -> str:
        # execute-command takes no environment: the task's own secrets are there already
        cluster, service = self.names_of(workload)
        return (f"TASK=$(aws ecs list-tasks --region {q(self.region)} --cluster {q(cluster)} "
                f"--service-name {q(service)} --query 'taskArns[0]' --output text)\n"
                f"aws ecs execute-command --region {q(self.region)} --cluster {q(cluster)} --task \"$TASK\" "
                f"--interactive --command {double_quoted(command)}")

    def log_stream(self, workload: str) -> str:
        return recent_log_events("/ecs/" + workload, self.region)

    def edit_config(self, workload: str, path: str, what: str) -> str:
        return (f"# {what}: {path} is baked into the image or the task definition of {workload}; change it there, "
                "register a new task definition revision and deploy it (see Deployment)")

    def control(self, workload: str, action: Action, replicas: int | None = None) -> str:
        change = {"stop": "--desired-count 0", "start": f"--desired-count {replicas or 2}",
                  "restart": "--force-new-deployment"}[action]
        return self.update_service(workload, change)

    def crash_issue_parts(self) -> tuple[str, str, list[Command], list[tuple[str, Command | None]]]:
        fixes: list[tuple[str, Command | None]] = [
            ("If it started with a deployment, go back to the previous task definition", self.rollback()[1]),
            ("If tasks stop with OutOfMemoryError, raise the task memory in a new revision", None),
            ("If tasks fail ALB health checks, check the health check path/port and the start-up time", None),
        ]
        if self.on_ec2:  # EC2 capacity: a task with nowhere to go stays PENDING
            declare, asg = self.asg
            fixes.append(("If events say 'unable to place a task' (no container instance has the CPU/memory), "
                          "add instances: raise the Auto Scaling group (the capacity provider's managed scaling "
                          "does it when enabled)", cmd(
                              "Raise the Auto Scaling group's desired capacity (within its maximum)",
                              f"{declare}DESIRED=\"${{DESIRED:?set DESIRED to the new instance count, at most "
                              "MaxSize}\"\n"
                              f"aws autoscaling set-desired-capacity --region {q(self.region)} "
                              f"--auto-scaling-group-name {asg} --desired-capacity \"$DESIRED\"",
                              "new container instances register ACTIVE within minutes; PENDING tasks start",
                              "Under managed scaling the capacity provider sets the desired capacity itself: "
                              "raise the group's MaxSize instead.")))
        return ("Tasks stopping or failing health checks",
                "runningCount below desired, service events show stopped or unhealthy tasks",
                [*self.status(), self.events(), self.logs("30m", "error|exception|fatal")], fixes)
