"""Releases and capacity go through the controller that owns them: CodeDeploy (ECS blue/green, EC2 in
place, Lambda traffic shifting), stacks (SAM, CloudFormation, CDK, Terraform), Ansible playbooks, Argo
Rollouts and Flagger ship and roll back with their own commands, never with a platform command they
reject or revert; and a scale-out never leaves the replica range the user gave."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.answers import from_mapping
from agent.checks import check_markdown
from agent.knowledge.base import Context
from agent.knowledge.facts import facts_from_model
from agent.knowledge.platforms import owners_of, platform_for
from agent.models.base import GenerationRequest
from agent.models.offline import OfflineModel
from agent.render import render_markdown
from agent.rule import Rule, default_rule_path, load_rule
from agent.runbook import Runbook
from agent.service.text import parse

NOW = datetime(2026, 1, 15, 9, 30)
ENV = {"ecs": "docker", "lambda": "serverless", "eks": "kubernetes", "vm": "vm"}


@pytest.fixture(scope="module")
def rule() -> Rule:
    return load_rule(default_rule_path())


def generate(rule: Rule, description: str, **given: str) -> Runbook:
    answers = from_mapping(rule, given, "test")
    return OfflineModel().generate(GenerationRequest(rule=rule, description=description, answers=answers,
                                                     now=NOW)).runbook


def code(runbook: Runbook) -> str:
    text = "\n".join(c.code for c in runbook.commands())
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))


def context(rule: Rule, description: str, **given: str) -> Context:
    return Context(from_mapping(rule, given, "test"), facts_from_model(parse(description), description))


# random names: lowercase words joined by hyphens, never a word the vocabulary knows
_WORD = st.sampled_from(["quorn", "velt", "brisk", "tamsin", "oxlip", "mardle", "pellow", "ruddock", "skerry",
                         "wicken", "yarrow", "fallow", "gorse", "hollin", "lintel", "sorrel", "thrift"])
NAME = st.lists(_WORD, min_size=2, max_size=3, unique=True).map("-".join)
FAST = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --- who owns the release ------------------------------------------------------------------------------

@FAST
@given(svc=NAME, app=NAME, group=NAME, phrase=st.sampled_from([
    "Releases go out through AWS CodeDeploy blue/green: CodeDeploy application {app}, deployment group {group}.",
    "It is deployed by CodeDeploy (blue/green, application {app}, deployment group {group}).",
    "Deploys use a CodeDeploy deployment group named {group} in the application {app}.",
]))
def test_codedeploy_owns_the_ecs_release_and_its_names_are_read(rule: Rule, svc: str, app: str, group: str,
                                                                 phrase: str) -> None:
    ctx = context(rule, f"{svc} runs on ECS Fargate (cluster {svc}-prod, service {svc}) in eu-west-1. "
                        + phrase.format(app=app, group=group), env="docker")
    owners = owners_of(ctx)
    assert owners.deploy is not None and owners.deploy.by == "codedeploy"
    assert owners.rollout is not None and owners.rollout.by == "codedeploy"
    assert owners.deploy.obj("group") == group
    assert owners.deploy.obj("application") == app
    p = platform_for(ctx)
    release = "\n".join(c.code for c in [*p.deploy(), *p.rollback(), p.restart_all()])
    assert "aws ecs deploy" in release and "--codedeploy-deployment-group" in release
    assert "stop-deployment" in release and "--auto-rollback-enabled" in release
    assert "--task-definition \"$PREVIOUS\"" not in release and "--force-new-deployment" not in release
    assert f"CD_GROUP={group}" in release


def test_a_codedeploy_ecs_runbook_never_updates_the_task_definition_beside_it(rule: Rule) -> None:
    runbook = generate(rule, "ledger-api runs on Amazon ECS Fargate (cluster money-prod, service ledger-api), "
                             "us-east-2. AWS CodeDeploy does blue/green releases (application ledger-cd, "
                             "deployment group ledger-dg). ECS service auto scaling keeps 3 to 9 tasks.",
                       type="B", env="B")
    commands = code(runbook)
    assert not re.search(r"update-service[^\n]*--(?:task-definition|force-new-deployment)", commands)
    assert "deploymentCircuitBreaker" not in commands  # not a thing under CodeDeploy
    assert "aws deploy stop-deployment" in commands
    # stopping under service auto scaling suspends it first: a bare desired count 0 is raised back
    for line in commands.splitlines():
        if "--desired-count 0" in line:
            assert "--suspended-state" in commands


@FAST
@given(fn=NAME, stack=NAME, tool=st.sampled_from([("AWS SAM", "sam deploy"), ("the AWS CDK", "cdk deploy"),
                                                  ("CloudFormation", "aws cloudformation deploy")]),
       shift=st.booleans())
def test_a_stack_owns_the_function_release(rule: Rule, fn: str, stack: str, tool: tuple[str, str],
                                           shift: bool) -> None:
    words, deploy = tool
    text = (f"{fn} is an AWS Lambda function (function {fn}-handler) in us-west-2. It is deployed with {words}, "
            f"stack {stack}.")
    if shift:
        text += " CodeDeploy shifts traffic on the alias live (canary)."
    ctx = context(rule, text, env="serverless")
    owners = owners_of(ctx)
    assert owners.deploy is not None and owners.deploy.stack
    assert owners.deploy.obj("stack") == stack
    p = platform_for(ctx)
    release = "\n".join(c.code for c in [*p.deploy(), *p.rollback(), *p.redeploy_elsewhere()])
    assert deploy in release and f"STACK={stack}" in release
    assert "update-alias" not in release and "update-function-code" not in release
    assert ("--auto-rollback-enabled" in release) == shift


def test_a_sam_function_runbook_moves_no_alias_by_hand(rule: Rule) -> None:
    runbook = generate(rule, "pelt-sync is an AWS Lambda function pelt-sync-fn in eu-central-1 triggered by the "
                             "SQS queue pelt-jobs. Deployed with AWS SAM (stack pelt-sync-prod); SAM's "
                             "DeploymentPreference shifts traffic with CodeDeploy.", type="D", env="D")
    commands = code(runbook)
    assert not re.search(r"aws lambda (?:update-alias|update-function-code)\b", commands)
    assert "sam deploy --stack-name" in commands and "aws deploy stop-deployment" in commands


@FAST
@given(svc=NAME, ns=NAME, gitops=st.booleans())
def test_argo_rollouts_owns_the_rollout(rule: Rule, svc: str, ns: str, gitops: bool) -> None:
    text = f"{svc} runs on Kubernetes in namespace {ns}. It is released with Argo Rollouts (canary, Rollout {svc})."
    if gitops:
        text += f" Argo CD (application {svc}) syncs the manifests."
    ctx = context(rule, text, env="kubernetes")
    p = platform_for(ctx)
    release = "\n".join(c.code for c in [*p.deploy(), *p.post_deploy(), *p.rollback(), p.restart_all()])
    assert "kubectl argo rollouts abort" in release and "kubectl argo rollouts status" in release
    assert not re.search(r"kubectl rollout (?:undo|status|restart|history)", release)
    assert ("kubectl argo rollouts undo" in release) != gitops  # under GitOps the durable undo is a Git revert


def test_flagger_canaries_never_edit_the_primary(rule: Rule) -> None:
    ctx = context(rule, "stoat-web runs on Kubernetes in namespace web; Flagger runs a canary analysis for every "
                        "release of the Deployment stoat-web.", env="kubernetes")
    p = platform_for(ctx)
    release = "\n".join(c.code for c in [*p.deploy(), *p.post_deploy(), *p.rollback()])
    assert "kubectl get canary" in release and "--for=condition=Promoted" in release
    assert "kubectl set image deployment/stoat-web " in release
    assert not re.search(r"(?:set image|rollout undo|edit)\s+deployment/stoat-web-primary", release)


@FAST
@given(svc=NAME, playbook=NAME)
def test_an_ansible_release_rolls_back_through_the_playbook(rule: Rule, svc: str, playbook: str) -> None:
    ctx = context(rule, f"{svc} runs as the systemd unit {svc} on three VMs; releases are deployed by the Ansible "
                        f"playbook {playbook}.yml.", env="vm")
    p = platform_for(ctx)
    rollback = "\n".join(c.code for c in p.rollback())
    assert f"PLAYBOOK={playbook}.yml" in rollback
    check, run = rollback.index("--check --diff"), rollback.rindex("ansible-playbook")
    assert check < run and "$PREVIOUS" in rollback[check - 200:]
    assert "ln -sfn" not in rollback  # never a host pointed back by hand


def test_codedeploy_in_place_on_ec2(rule: Rule) -> None:
    ctx = context(rule, "gantry-api runs as the systemd unit gantry-api on EC2 VMs in us-east-1; AWS CodeDeploy "
                        "deploys it in place (application gantry, deployment group gantry-prod).", env="vm")
    p = platform_for(ctx)
    release = "\n".join(c.code for c in [*p.deploy(), *p.rollback()])
    assert "aws deploy create-deployment" in release and "--s3-location" in release
    assert "aws deploy wait deployment-successful" in release and "list-application-revisions" in release
    assert "ln -sfn" not in release


def test_a_negated_owner_is_no_owner(rule: Rule) -> None:
    ctx = context(rule, "ferret-api runs on ECS Fargate (service ferret-api); deployed without CodeDeploy, by "
                        "update-service from CI.", env="docker")
    assert owners_of(ctx).rollout is None


# --- the range the user gave --------------------------------------------------------------------------

_NUMBERS = re.compile(r"(?:\"min(?:Replicas|ReplicaCount)\\?\":|--min-capacity |--min-size |--desired-capacity "
                      r"|--replicas=|replicas (?:to |of \S+ \(to ))(\d+)")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(svc=NAME, low=st.integers(1, 20), span=st.integers(0, 40), pool=st.none() | st.integers(2, 40),
       limit=st.integers(20, 600), where=st.sampled_from(["keda", "hpa", "ecs"]),
       phrase=st.sampled_from(["between {lo} and {hi} replicas", "{lo} to {hi} replicas", "{lo}-{hi} replicas"]))
def test_a_scale_out_stays_inside_the_given_range(rule: Rule, svc: str, low: int, span: int, pool: int | None,
                                                  limit: int, where: str, phrase: str) -> None:
    high = low + span
    rng = phrase.format(lo=low, hi=high)
    pools = f" Each replica keeps a pool of {pool} connections to PostgreSQL (max_connections {limit})." \
        if pool else ""
    text = {"keda": f"{svc} runs on Kubernetes in namespace {svc}; a KEDA ScaledObject scales it {rng}.",
            "hpa": f"{svc} runs on Kubernetes in namespace {svc}; an HPA scales it {rng}.",
            "ecs": f"{svc} runs on ECS Fargate (service {svc}); service auto scaling keeps it {rng}."}[where]
    ctx = context(rule, text + pools, env=ENV["eks" if where != "ecs" else "ecs"])
    cap = platform_for(ctx).capacity
    assert (cap.low, cap.high) == (low, high)
    scale = platform_for(ctx).scale_out()
    values = [int(v) for v in _NUMBERS.findall(scale.code)]
    assert values, scale.code
    for value in values:
        assert low <= value <= high, (value, scale.code)
        if pool and limit // pool >= low:
            assert value * pool <= limit  # the connection ceiling is a given value too


@pytest.mark.parametrize("where", ["keda", "ecs", "asg"])
def test_every_scale_command_in_a_runbook_keeps_min_at_or_below_max(rule: Rule, where: str) -> None:
    text = {"keda": "wren-worker consumes a Kafka topic on Kubernetes in namespace wren; a KEDA ScaledObject "
                    "scales it between 3 and 24 replicas. Each replica keeps a pool of 5 connections to "
                    "PostgreSQL (max_connections 100).",
            "ecs": "wren-api runs on ECS Fargate (cluster wren, service wren-api); service auto scaling keeps 2 to 5 "
                   "tasks.",
            "asg": "wren-gw runs as the systemd unit wren-gw on EC2 VMs in the Auto Scaling group wren-asg; it "
                   "is autoscaled between 2 and 6 instances."}[where]
    runbook = generate(rule, text, type="D" if where == "keda" else "B",
                       env={"keda": "A", "ecs": "B", "asg": "C"}[where])
    low, high = {"keda": (3, 24), "ecs": (2, 5), "asg": (2, 6)}[where]
    values = [int(v) for v in _NUMBERS.findall(code(runbook))]
    assert values
    assert all(low <= v <= high for v in values), values
    if where == "keda":
        assert all(v * 5 <= 100 for v in values)


# --- the generated runbooks pass the real tools' parsers ---------------------------------------------

@pytest.mark.parametrize("description,env", [
    ("ledger-api runs on Amazon ECS Fargate (cluster money-prod, service ledger-api), us-east-2. AWS CodeDeploy "
     "does blue/green releases (application ledger-cd, deployment group ledger-dg).", "docker"),
    ("pelt-sync is an AWS Lambda function pelt-sync-fn in eu-central-1 triggered by the SQS queue pelt-jobs. "
     "Deployed with AWS SAM (stack pelt-sync-prod); SAM's DeploymentPreference shifts traffic with CodeDeploy.",
     "serverless"),
    ("wren-worker runs on Kubernetes in namespace wren, released with Argo Rollouts (Rollout wren-worker); a KEDA "
     "ScaledObject scales it between 3 and 24 replicas.", "kubernetes"),
    ("gantry-api runs as the systemd unit gantry-api on EC2 VMs; AWS CodeDeploy deploys it in place (application "
     "gantry, deployment group gantry-prod); the Ansible playbook site.yml manages the hosts.", "vm"),
])
def test_owner_runbooks_pass_the_cli_checks(rule: Rule, description: str, env: str) -> None:
    answers = from_mapping(rule, {"type": "api", "env": env, "criticality": "critical", "monitoring": "prometheus",
                                  "oncall": "24x7"}, "test")
    runbook = OfflineModel().generate(GenerationRequest(rule=rule, description=description, answers=answers,
                                                        now=NOW)).runbook
    report = check_markdown(render_markdown(runbook), "owners.md")
    assert report.findings == [], report.findings


@FAST
@given(svc=NAME, asg=NAME)
def test_terraform_defined_capacity_is_changed_in_terraform(rule: Rule, svc: str, asg: str) -> None:
    ctx = context(rule, f"{svc} runs as the systemd unit {svc} on EC2 VMs in the Auto Scaling group {asg}; the "
                        "infrastructure is managed by Terraform and releases are deployed by the Ansible playbook "
                        "deploy.yml.", env="vm")
    owners = owners_of(ctx)
    assert owners.infra is not None and owners.infra.by == "terraform"
    assert owners.deploy is not None and owners.deploy.by == "ansible"
    scale = platform_for(ctx).scale_out()
    assert "Terraform code" in (scale.warning or "")


def test_terraform_ships_an_ecs_service_it_defines(rule: Rule) -> None:
    ctx = context(rule, "dunlin-api runs on ECS Fargate (cluster dunlin, service dunlin-api); the task definition "
                        "and the service are managed by Terraform.", env="docker")
    p = platform_for(ctx)
    release = "\n".join(c.code for c in [*p.deploy(), *p.rollback()])
    assert "terraform -chdir=\"$TF_DIR\" apply" in release and "plan -input=false -out=" in release
    assert "update-service" not in release


def test_a_word_the_runbook_uses_is_not_listed_as_unused(rule: Rule) -> None:
    from agent.loop import with_model_assumptions

    text = ("tern-api runs on ECS Fargate (cluster tern, service tern-api). Releases go through AWS CodeDeploy "
            "blue/green: CodeDeploy application tern-cd, deployment group tern-dg. Runbook owner: Zyxwvut.")
    model = parse(text)
    runbook = with_model_assumptions(generate(rule, text, type="B", env="B"), model)
    unused = [line for line in runbook.assumptions if "is not used" in line]
    assert not any("'tern-cd'" in line or "'CodeDeploy'" in line for line in unused), unused
    placed = {u.text for u in model.unbound}
    used = "\n".join(f"{c.purpose}\n{c.code}" for c in runbook.commands())
    assert all(f"'{word}'" in " ".join(unused) for word in placed if word not in used)  # the others still listed


def test_a_kubectl_plugin_is_unchecked_not_unknown() -> None:
    text = ("# Runbook: x\n\n```bash\nkubectl argo rollouts abort wren -n wren\n```\n\n"
            "```bash\nkubectl argoo rollouts abort wren -n wren\n```\n")
    report = check_markdown(text, "plugin.md")
    rules = [(f.rule, f.line) for f in report.findings if f.rule == "kubectl.command"]
    assert [line for _, line in rules] == [8]  # the misspelt one only
    assert any("kubectl argo rollouts" in s for s in report.skipped)


@settings(max_examples=10, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(release=st.from_regex(r"\A[a-z]{3,8}\Z", fullmatch=True), ns=st.from_regex(r"\A[a-z]{4,8}\Z", fullmatch=True),
       cluster=st.from_regex(r"\A[a-z]{3,6}-eks-prod\Z", fullmatch=True))
def test_a_flux_helmrelease_is_rolled_back_in_git_never_with_helm(rule: Rule, release: str, ns: str,
                                                                 cluster: str) -> None:
    """Batch j: a Flux HelmRelease got `helm rollback`, `helm upgrade --install` and 'prefer helm rollback'."""
    text = (f"{release} runs from the grafana/{release} Helm chart, installed as a Flux HelmRelease named `{release}` "
            f"in namespace `{ns}` on the EKS cluster {cluster}.")
    runbook = generate(rule, text, type="B", env="kubernetes", criticality="high", monitoring="prometheus",
                       oncall="24x7")
    commands = code(runbook)
    assert not re.search(r"\bhelm\s+(?:rollback|upgrade|install)\b", commands), commands
    assert "flux reconcile" in commands
    assert "prefer 'helm rollback'" not in render_markdown(runbook)
