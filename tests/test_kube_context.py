"""Which cluster kubectl talks to: EKS only when the description says EKS, the team's context when given.

Blind g05/g06 (kubeadm on vSphere with an S3 bucket, kubeadm on Hetzner) got `aws eks update-kubeconfig
--region us-east-1`, and the kube context the team named was never used. Property-based: random names,
self-managed distributions and clouds.
"""

from __future__ import annotations

from datetime import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from agent.answers import from_mapping
from agent.models.base import GenerationRequest
from agent.models.offline import OfflineModel
from agent.render import render_markdown
from agent.rule import default_rule_path, load_rule

RULE = load_rule(default_rule_path())
LABEL = st.from_regex(r"\A[a-z]{3,7}-[a-z]{3,6}\Z", fullmatch=True)
SELF_MANAGED = st.sampled_from(["kubeadm on vSphere", "kubeadm on Hetzner bare metal", "k3s on our own hosts",
                                "RKE2 in the data centre"])


def markdown(text: str) -> str:
    answers = from_mapping(RULE, {"type": "worker", "env": "kubernetes", "criticality": "high", "oncall": "24x7"}, "t")
    return render_markdown(OfflineModel().generate(GenerationRequest(
        rule=RULE, description=text, answers=answers, now=datetime(2026, 1, 15))).runbook)


@settings(max_examples=6, deadline=None)
@given(svc=LABEL, cluster=LABEL, dist=SELF_MANAGED, bucket=LABEL)
def test_a_self_managed_cluster_is_not_fetched_from_eks(svc: str, cluster: str, dist: str, bucket: str) -> None:
    md = markdown(f"{svc} is a Python worker, Deployment {svc} in namespace jobs on cluster `{cluster}` "
                  f"({dist}). It writes reports to s3://{bucket}-reports (AWS, eu-central-1).")
    assert "aws eks" not in md and "EKS access" not in md
    assert "kubectl config current-context" in md


@settings(max_examples=4, deadline=None)
@given(svc=LABEL, cluster=LABEL, context=LABEL)
def test_the_teams_context_is_the_one_checked(svc: str, cluster: str, context: str) -> None:
    if context == cluster:
        return
    md = markdown(f"{svc} is a Python worker, Deployment {svc} in namespace jobs on EKS cluster `{cluster}` "
                  f"in eu-west-1 (kube context `{context}`).")
    assert f"kubectl --context {context} cluster-info" in md and f"use-context {context}" in md


@settings(max_examples=3, deadline=None)
@given(svc=LABEL, cluster=LABEL)
def test_an_eks_cluster_is_still_fetched_from_eks(svc: str, cluster: str) -> None:
    md = markdown(f"{svc} is a Python worker, Deployment {svc} in namespace jobs on EKS cluster `{cluster}` "
                  f"in eu-west-1.")
    assert f"aws eks update-kubeconfig --name {cluster} --region eu-west-1" in md
