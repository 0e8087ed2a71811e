"""A service on machines whose description names no cloud gets no cloud provider's pieces.

Blind m09 (SRE review): Kartotek, bare metal in the team's own rack, and labsync, Debian VMs in a data centre,
listed "Cloud compute (AWS)" and "AWS Secrets Manager / SSM Parameter Store" as their dependencies. Property-based:
random names, VM and bare-metal answers.
"""

from __future__ import annotations

from datetime import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from agent.answers import from_mapping
from agent.loop import generate
from agent.models.base import GenerationRequest
from agent.models.offline import OfflineModel
from agent.render import render_markdown
from agent.rule import default_rule_path, load_rule

RULE = load_rule(default_rule_path())


@settings(max_examples=4, deadline=None)
@given(name=st.from_regex(r"\A[a-z]{4,8}\Z", fullmatch=True), env=st.sampled_from(["vm", "baremetal"]))
def test_no_cloud_named_no_cloud_provider(name: str, env: str) -> None:
    text = f"{name} is a PHP app on four Debian 12 machines web01-web04.{name}.lan, with MariaDB on db1.{name}.lan."
    answers = from_mapping(RULE, {"type": "web", "env": env, "criticality": "high", "oncall": "business-hours"}, "t")
    markdown = render_markdown(generate(OfflineModel(), GenerationRequest(
        rule=RULE, description=text, answers=answers, now=datetime(2026, 1, 15))).runbook)
    assert "Cloud compute (AWS)" not in markdown and "AWS Secrets Manager" not in markdown
    aws = [line for line in markdown.splitlines() if line.lstrip().startswith("aws ")]
    assert not aws, aws
