"""Amazon ECS (Fargate or EC2): stopped-task reasons, deployment circuit breaker, rollback by revision."""

from __future__ import annotations

from agent.knowledge.base import Context, Contribution
from agent.knowledge.packs._base import CloudWatchMetric, KeywordPack, alert_query, cmd, described, q, region
from agent.runbook import Alert, Component, Issue, KeyMetric, Procedure, Step


class EcsPack(KeywordPack):
    name = "ecs"
    summary = ("Amazon ECS/Fargate: why tasks stop (OOM 137, health checks, image pull, secrets), deployment "
               "circuit breaker, rollback to a task definition revision")
    keywords = ("ecs", "fargate", "elastic container service")
    order = 55
    examples = ("Orders API runs on ECS Fargate (cluster prod, service orders-api) behind an ALB",)
    negatives = ("Runs on EKS", "Deployed to Lambda")

    def build(self, ctx: Context) -> Contribution:
        f = ctx.facts
        cluster = described(ctx, "ecs.cluster", ("ecs cluster", "fargate cluster"), f.cluster or f.service)
        service = described(ctx, "ecs.service", ("ecs service", "fargate service"), f.service)
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

        alerts = [
            Alert(name="ECS running tasks below desired", condition="running < desired for 5 min",
                  query=alert_query(
                      ctx, probe=describe,
                      prometheus=(f'min(aws_ecs_containerinsights_running_task_count_average{{dimension_ClusterName='
                                  f'"{cluster}",dimension_ServiceName="{service}"}}) < '
                                  f'min(aws_ecs_containerinsights_desired_task_count_average{{dimension_ClusterName='
                                  f'"{cluster}",dimension_ServiceName="{service}"}})'),
                      datadog=(f"min(last_5m):min:aws.ecs.service.running{{servicename:{service}}} - "
                               f"min:aws.ecs.service.desired{{servicename:{service}}} < 0"),
                      cloudwatch=CloudWatchMetric("ECS/ContainerInsights", "RunningTaskCount",
                                                  {"ClusterName": cluster, "ServiceName": service}, "Minimum"),
                      newrelic=(f"SELECT min(aws.ecs.containerinsights.RunningTaskCount) FROM Metric WHERE "
                                f"aws.ecs.ServiceName = '{service}' SINCE 15 minutes ago"),
                      expect="running equals desired (Container Insights must be on)"),
                  severity="Critical", response="Follow 'ECS: tasks keep stopping or deployment stuck'."),
            Alert(name="ECS service CPU high", condition="CPU > 80% for 10 min",
                  query=alert_query(
                      ctx, probe=describe,
                      prometheus=(f'max(aws_ecs_cpuutilization_average{{dimension_ClusterName="{cluster}",'
                                  f'dimension_ServiceName="{service}"}}) > 80'),
                      datadog=f"avg(last_10m):avg:aws.ecs.service.cpuutilization{{servicename:{service}}} > 80",
                      cloudwatch=CloudWatchMetric("AWS/ECS", "CPUUtilization",
                                                  {"ClusterName": cluster, "ServiceName": service}, "Average"),
                      newrelic=(f"SELECT average(aws.ecs.CPUUtilization) FROM Metric WHERE "
                                f"aws.ecs.ServiceName = '{service}' SINCE 15 minutes ago"),
                      expect="under 80%"),
                  severity="Warning", response="Scale out the service (desired count) or raise task CPU."),
        ]

        rollback = cmd("Roll back to the previous task definition revision",
                       "TASK_DEF=orders-api:41  # family:revision that last worked (from the deployments list)\n"
                       f"{ecs} update-service {where} --service {q(service)} --task-definition \"$TASK_DEF\"\n"
                       f"{ecs} wait services-stable {where} --services {q(service)}",
                       "the wait returns (up to 10 minutes) and running = desired on the old revision",
                       warning="Rolls every task to the old image and config; database migrations are not undone. "
                               "If the task definition is managed by Terraform/CDK, update it there too or the "
                               "next apply redeploys the bad revision.")

        issues = [Issue(
            title="ECS: tasks keep stopping or deployment stuck",
            symptoms="Running count below desired; deployment IN_PROGRESS for long; tasks cycling.",
            alert="ECS running tasks below desired",
            check=[describe, events, stopped],
            fix=[Step(action="Fix the cause in stoppedReason (memory limit, health check path or grace period, "
                             "image tag, secret ARN or IAM).", command=None),
                 Step(action="Roll back to the last good task definition.", command=rollback),
                 Step(action="Turn on the deployment circuit breaker with rollback so a failing deploy rolls "
                             "back by itself.",
                      command=cmd("Enable the deployment circuit breaker",
                                  f"{ecs} update-service {where} --service {q(service)} --deployment-configuration "
                                  "'deploymentCircuitBreaker={enable=true,rollback=true},maximumPercent=200,"
                                  "minimumHealthyPercent=100'",
                                  "deploymentConfiguration shows the circuit breaker enabled"))],
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
            deploy_caveats=["Without the deployment circuit breaker, a failing deployment retries forever; "
                            "with it (rollback=true) ECS returns to the last completed deployment."],
            alerts=alerts,
            issues=issues,
            daily=["Check running = desired for the service"],
            weekly=["Review stopped task reasons"],
            monthly=["Deregister task definition revisions you will never roll back to"],
            maintenance_commands=[cmd("Replace all tasks with fresh ones (same task definition)",
                                      f"{ecs} update-service {where} --service {q(service)} --force-new-deployment",
                                      "a new deployment that reaches steady state")],
            dr_procedures=[Procedure(title="ECS: restore the service", commands=[rollback])],
            cheatsheet=[describe, events, stopped],
            vendors=[("AWS", "ECS")],
        )


PACK = EcsPack()
