"""AWS Application Load Balancer: 5xx from the targets vs from the load balancer itself, unhealthy targets."""

from __future__ import annotations

from agent.knowledge.base import Context, Contribution
from agent.knowledge.packs._base import KeywordPack, cmd, mention, on_aws, q, region
from agent.knowledge.signals import Signal, limit
from agent.runbook import Command, Issue, KeyMetric, Step


class AlbPack(KeywordPack):
    name = "alb"
    summary = "AWS ALB: target 5xx vs load-balancer 502/503/504 (what each means), unhealthy targets"
    keywords = ("alb", "application load balancer")
    order = 58
    examples = ("Web app on EC2 behind an Application Load Balancer (orders-alb)",
                "API on ECS Fargate behind an ALB")
    negatives = ("Runs on GKE behind a Google Cloud load balancer", "Albumin levels service")

    def detect(self, ctx: Context) -> str | None:
        word = mention(ctx, self.keywords)
        return f"description mentions {word!r}" if word and on_aws(ctx) else None

    def build(self, ctx: Context) -> Contribution:
        f = ctx.facts
        lb = ctx.facts.name("alb.name", f"{f.service}-alb")
        rg = f"--region {q(region(ctx))}"
        # CloudWatch's LoadBalancer dimension is the tail of the ARN: app/<name>/<id>.
        dim = (f"LB=\"$(aws elbv2 describe-load-balancers {rg} --names {q(lb)} --query "
               "'LoadBalancers[0].LoadBalancerArn' --output text | cut -d/ -f2-4)\"\n")

        def metric(name: str) -> str:
            return (f"aws cloudwatch get-metric-statistics {rg} --namespace AWS/ApplicationELB --metric-name {name} "
                    "--dimensions Name=LoadBalancer,Value=\"$LB\" --statistics Sum --period 300 "
                    "--start-time \"$(date -u -d '-30 min' +%Y-%m-%dT%H:%M:%SZ)\" "
                    "--end-time \"$(date -u +%Y-%m-%dT%H:%M:%SZ)\" "
                    "--query 'sort_by(Datapoints, &Timestamp)[-6:].[Timestamp,Sum]' --output text")

        five_xx = cmd(f"5xx from the targets vs from {lb} itself, per 5 minutes",
                      dim + f"echo target; {metric('HTTPCode_Target_5XX_Count')}\n"
                      f"echo load-balancer; {metric('HTTPCode_ELB_5XX_Count')}",
                      "both near 0. Target 5xx = the app answered 5xx; ELB 5xx = the ALB could not get an "
                      "answer (502 bad/closed connection, 503 no healthy target, 504 target slower than the "
                      "idle timeout, 60 s by default)")
        tg = f.names.get("alb.target_group")
        health: Command = cmd(
            "Target health in every target group of the load balancer",
            f"LB_ARN=\"$(aws elbv2 describe-load-balancers {rg} --names {q(lb)} --query "
            "'LoadBalancers[0].LoadBalancerArn' --output text)\"\n"
            f"for TG in $(aws elbv2 describe-target-groups {rg} --load-balancer-arn \"$LB_ARN\" --query "
            "'TargetGroups[].TargetGroupArn' --output text); do\n"
            f"  aws elbv2 describe-target-health {rg} --target-group-arn \"$TG\" --query "
            "'TargetHealthDescriptions[].[Target.Id,TargetHealth.State,TargetHealth.Reason]' --output text\n"
            "done",
            "every target healthy" + (f" in {tg}" if tg else "") + "; Target.FailedHealthChecks or "
            "Target.Timeout points at the health check path/port or a slow start")

        signal = Signal(key="alb.5xx", name="Load balancer 5xx", measure="target + ELB 5xx",
                        threshold=limit(f, ("5xx",), 50), minutes=5, window="in", severity="Critical",
                        response="Follow 'ALB: 502, 503 or 504 from the load balancer'.",
                        entry="ALB: 502, 503 or 504 from the load balancer", labels={"lb": lb}, probe=five_xx)
        issue = Issue(
            title="ALB: 502, 503 or 504 from the load balancer",
            symptoms="Clients get 502/503/504 with an 'awselb' server header; the app's own logs may show nothing.",
            alert=signal.name,
            check=[five_xx, health],
            fix=[Step(action="503 (no healthy targets): every target fails its health check — fix the app or the "
                             "health check path/port; do not widen the check to hide a broken app.", command=None),
                 Step(action="502: targets close connections or answer garbage — crashes, or an app keep-alive "
                             "timeout shorter than the ALB idle timeout (set the app's longer).", command=None),
                 Step(action="504: targets answer slower than the idle timeout — find the slow dependency; raise "
                             "the idle timeout only for endpoints slow by design.", command=None)],
            verify="ELB 5xx at 0 and target 5xx under 1% of requests for 15 minutes.",
            escalate="If every target stays unhealthy for 10 minutes, page the service owner.",
        )
        return Contribution(
            key_metrics=[KeyMetric(metric=f"{lb} 5xx (target + ELB)", normal_range="near 0",
                                   alert_threshold="> 50 per 5 min for 10 min", dashboard="fill in: ALB dashboard")],
            prerequisites=[f"aws CLI with elasticloadbalancing:Describe* and cloudwatch:GetMetricStatistics in "
                           f"{region(ctx)}"],
            signals=[signal],
            issues=[issue],
            cheatsheet=[five_xx, health],
        )


PACK = AlbPack()
