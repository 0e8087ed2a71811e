"""Amazon ECS (Fargate or EC2): stopped-task reasons, deployment circuit breaker, rollback by revision."""

from __future__ import annotations

from agent.knowledge.base import Context, Contribution
from agent.knowledge.packs._base import KeywordPack, cmd, q, region, workload_platform
from agent.knowledge.platforms import owners_of
from agent.knowledge.signals import Signal, Threshold, limit
from agent.runbook import Component, Issue, KeyMetric, Procedure, Step


class EcsPack(KeywordPack):
    name = "ecs"
    summary = ("Amazon ECS/Fargate: why tasks stop (OOM 137, health checks, image pull, secrets), deployment "
               "circuit breaker, rollback to a task definition revision")
    keywords = ("ecs", "fargate", "elastic container service")
    order = 55
    own_workload = True
    examples = ("Orders API runs on ECS Fargate (cluster prod, service orders-api) behind an ALB",)
    negatives = ("Runs on EKS", "Deployed to Lambda")

    def build(self, ctx: Context) -> Contribution:
        f = ctx.facts
        cluster = ctx.facts.name("ecs.cluster", f.cluster or f.service)
        service = ctx.facts.name("ecs.service", f.service)
        reg = q(region(ctx))
        ecs = "aws ecs"
        where = f"--region {reg} --cluster {q(cluster)}"
        describe = cmd("Desired vs running tasks and deployments",
                       f"{ecs} describe-services {where} --services {q(service)} --query "
                       "'services[0].{desired: desiredCount, running: runningCount, pending: pendingCount, "
                       "deployments: deployments[].{status: status, rollout: rolloutState, running: runningCount, "
                       "taskDef: taskDefinition}}'",
                       "running = desired; one PRIMARY deployment with rollout COMPLETED")
        events = cmd("Latest service events", f"{ecs} describe-services {where} --services {q(service)} "
                                              "--query 'services[0].events[:10].[createdAt, message]' --output text",
                     "'has reached a steady state'; 'unable to place a task' or 'failed health checks' name the "
                     "cause")
        stopped = cmd("Why recent tasks stopped",
                      f"TASKS=$({ecs} list-tasks {where} --service-name {q(service)} --desired-status STOPPED "
                      "--query 'taskArns[:5]' --output text)\n"
                      "# shellcheck disable=SC2086  # $TASKS holds one task ARN per word\n"
                      f"[ -n \"$TASKS\" ] && {ecs} describe-tasks {where} --tasks $TASKS --query "
                      "'tasks[].{stopped: stoppedReason, code: stopCode, containers: containers[].{name: name, "
                      "exit: exitCode, reason: reason}}'",
                      "exit 137 + OutOfMemory: memory limit; 'Task failed ELB health checks': the app's health "
                      "endpoint; CannotPullContainerError: image tag or ECR access; ResourceInitializationError: "
                      "secrets or network")

        labels = {"cluster": cluster, "service": service}
        signals = [
            Signal(key="ecs.running_below_desired", name="ECS running tasks below desired",
                   measure="running minus desired tasks", threshold=Threshold(0, op="<"), minutes=5,
                   severity="Critical", response="Follow 'ECS: tasks keep stopping or deployment stuck'.",
                   entry="ECS: tasks keep stopping or deployment stuck", labels=labels, probe=describe,
                   covers=("down",)),
            Signal(key="ecs.cpu", name="ECS service CPU high", measure="CPU", threshold=limit(f, ("cpu",), 80, "%"),
                   minutes=10, severity="Warning", response="Scale out the service (desired count) or raise task CPU.",
                   labels=labels, probe=describe, covers=("cpu",)),
        ]

        rollback = cmd("Roll back to the previous task definition revision",
                       "TASK_DEF=\"${TASK_DEF:?"
                       "set TASK_DEF: family:revision that last worked (from the deployments list)}\"\n"
                       f"{ecs} update-service {where} --service {q(service)} --task-definition \"$TASK_DEF\"\n"
                       f"{ecs} wait services-stable {where} --services {q(service)}",
                       "the wait returns (up to 10 minutes) and running = desired on the old revision",
                       warning="Rolls every task to the old image and config; database migrations are not undone. "
                               "If the task definition is managed by Terraform/CDK, update it there too or the "
                               "next apply redeploys the bad revision.")

        owners = owners_of(ctx)
        # a release owner (CodeDeploy, a stack) ships and rolls back: its own steps, never update-service
        owned = next((o for o in (owners.rollout, owners.deploy)
                      if o is not None and (o.by == "codedeploy" or o.stack)), None)
        breaker = Step(action="Turn on the deployment circuit breaker with rollback so a failing deploy rolls "
                              "back by itself.",
                       command=cmd("Enable the deployment circuit breaker",
                                   f"{ecs} update-service {where} --service {q(service)} --deployment-configuration "
                                   "'deploymentCircuitBreaker={enable=true,rollback=true},maximumPercent=200,"
                                   "minimumHealthyPercent=100'",
                                   "deploymentConfiguration shows the circuit breaker enabled"))
        replace_all = cmd("Replace all tasks with fresh ones (same task definition)",
                          f"{ecs} update-service {where} --service {q(service)} --force-new-deployment",
                          "a new deployment that reaches steady state")
        undo: list[Step] = []
        caveat = ("Without the deployment circuit breaker, a failing deployment retries forever; with it "
                  "(rollback=true) ECS returns to the last completed deployment.")
        if owned is not None:
            platform = workload_platform(ctx)
            steps = [c for c in platform.rollback() if c.warning] or platform.rollback()[:1]
            rollback = steps[-1]  # the previous release redeployed through the owner
            undo = [Step(action="Stop the release still running (its owner rolls it back).", command=c)
                    for c in steps[:-1]]
            replace_all = platform.restart_all()
            caveat = owned.change("the task definition") + "." if owned.stack else ""  # the platform says it
        issues = [Issue(
            title="ECS: tasks keep stopping or deployment stuck",
            symptoms="Running count below desired; deployment IN_PROGRESS for long; tasks cycling.",
            alert="ECS running tasks below desired",
            check=[describe, events, stopped],
            fix=[Step(action="Fix the cause in stoppedReason (memory limit, health check path or grace period, "
                             "image tag, secret ARN or IAM).", command=None),
                 *undo, Step(action="Roll back to the last good task definition.", command=rollback),
                 *([breaker] if owned is None else [])],
            verify="running = desired, rollout COMPLETED, and no task stopped for 15 minutes.",
            escalate="If tasks still stop after the rollback, page the service owner.",
        )]

        return Contribution(
            components=[Component(name="Compute", technology="Amazon ECS", version="fill in: platform version",
                                  location=f"cluster {cluster}, service {service}, {region(ctx)}",
                                  purpose="Runs the service's tasks")],
            key_metrics=[KeyMetric(metric="ECS running tasks", normal_range="= desired",
                                   alert_threshold="< desired for 5 min", dashboard="fill in: ECS dashboard")],
            prerequisites=[f"aws CLI v2 with ecs:Describe*, UpdateService, ExecuteCommand on {cluster}; the "
                           "Session Manager plugin for execute-command"],
            deploy_caveats=[caveat] if caveat else [],
            signals=signals,
            issues=issues,
            daily=["Check running = desired for the service"],
            weekly=["Review stopped task reasons"],
            monthly=["Deregister task definition revisions you will never roll back to"],
            maintenance_commands=[replace_all],
            dr_procedures=[Procedure(title="ECS: restore the service", commands=[rollback])],
            cheatsheet=[describe, events, stopped],
            vendors=[("AWS", "ECS")],
        )


PACK = EcsPack()
