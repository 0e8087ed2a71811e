"""A platform the description says is gone is not the service's: 'the old page "Checkout on ECS" is dead, we
moved to EKS' (blind batch j: an ECS entry with `aws ecs … --cluster <the EKS cluster>` in an EKS runbook).
Property-based: random names, old platforms and the words that retire them.
"""

from __future__ import annotations

from datetime import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from agent.answers import from_mapping
from agent.models.base import GenerationRequest
from agent.models.offline import OfflineModel
from agent.render import render_markdown
from agent.rule import load_rule
from agent.service.text import parse

RULE = load_rule()

NAME = st.from_regex(r"\A[a-z]{4,8}-[a-z]{3,6}\Z", fullmatch=True)


@settings(max_examples=50, deadline=None)
@given(name=NAME, cluster=NAME, old=st.sampled_from(["ECS", "Nomad", "Heroku", "docker compose"]),
       dead=st.sampled_from(["is dead", "is now obsolete", "was retired", "is outdated", "is gone"]),
       quote=st.sampled_from(['"', "`", "'"]))
def test_what_is_said_dead_after_a_mention_denies_it(name: str, cluster: str, old: str, dead: str, quote: str) -> None:
    text = (f"> Heads up: the old page {quote}{name} on {old}{quote} {dead}, we moved to EKS in January.\n\n"
            f"{name} runs on the EKS cluster {cluster}, namespace shop.")
    model = parse(text)
    assert model.platform.environment == "kubernetes"
    assert [c.id for c in model.components] == ["app"], [c.id for c in model.components]


@settings(max_examples=8, deadline=None)
@given(name=NAME, cluster=NAME, dead=st.sampled_from(["is dead", "was retired", "is outdated"]))
def test_a_retired_platform_gets_no_commands(name: str, cluster: str, dead: str) -> None:
    """The runbook of that description has no `aws ecs` command and no ECS entry."""
    text = (f'> Heads up: the old page "{name} on ECS" {dead}, we moved to EKS in January.\n\n'
            f"{name} is a Node 20 API on the EKS cluster {cluster}, namespace shop.")
    answers = from_mapping(RULE, {"type": "B", "env": "kubernetes", "criticality": "high",
                                  "monitoring": "prometheus", "oncall": "24x7"}, "test")
    request = GenerationRequest(rule=RULE, description=text, answers=answers, now=datetime(2026, 1, 1))
    markdown = render_markdown(OfflineModel().generate(request).runbook)
    assert "aws ecs" not in markdown and "ECS:" not in markdown


@settings(max_examples=8, deadline=None)
@given(name=NAME, cluster=NAME, said=st.sampled_from(["why we left the ELK stack", "since we got rid of Elasticsearch",
                                                     "after we phased out Elasticsearch"]))
def test_a_stack_the_team_left_gets_no_component_and_no_commands(name: str, cluster: str, said: str) -> None:
    """Batch j: '(§1–6 omitted: why we left the ELK stack, …)' gave a Loki runbook Elasticsearch commands."""
    text = (f"{name} is our Loki log store on the EKS cluster {cluster}, namespace logs.\n\n"
            f"(§1–6 omitted: {said}, cost model, tenancy model.)")
    assert [c.id for c in parse(text).components] == ["app"]
    answers = from_mapping(RULE, {"type": "B", "env": "kubernetes", "criticality": "high",
                                  "monitoring": "prometheus", "oncall": "24x7"}, "test")
    request = GenerationRequest(rule=RULE, description=text, answers=answers, now=datetime(2026, 1, 1))
    assert "elasticsearch" not in render_markdown(OfflineModel().generate(request).runbook).lower()
