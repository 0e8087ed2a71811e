"""An Azure function app gets Azure Functions operations (az functionapp, slots, Application Insights), never
Lambda's or Kubernetes'. Random names; the generated runbook passes its own checks."""

from __future__ import annotations

import string
from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.answers import from_mapping
from agent.models.base import GenerationRequest
from agent.models.offline import OfflineModel
from agent.rule import Rule, default_rule_path, load_rule
from agent.runbook import iter_commands

NOW = datetime(2026, 12, 1, 9, 0)
_word = st.text(alphabet=string.ascii_lowercase, min_size=3, max_size=7)


@pytest.fixture(scope="module")
def rule() -> Rule:
    return load_rule(default_rule_path())


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(app=_word, group=_word, lead=st.sampled_from(["Function app `fa-{a}-weu`", "Azure Functions app fa-{a}-weu"]))
def test_an_azure_function_app_is_operated_with_az(rule: Rule, app: str, group: str, lead: str) -> None:
    name = f"fa-{app}-weu"
    description = (f"claims-{app} (Azure): {lead.format(a=app)} (.NET 8, Premium plan), resource group "
                   f"`rg-{group}-prod`, region westeurope. Trigger: Service Bus queue `{app}-inbound`.")
    answers = from_mapping(rule, {"type": "worker", "env": "serverless", "criticality": "high",
                                  "oncall": "24x7", "monitoring": "custom"}, "test")
    runbook = OfflineModel().generate(GenerationRequest(rule=rule, description=description, answers=answers,
                                                        now=NOW)).runbook
    code = "\n".join(c.code for c in iter_commands(runbook))
    assert "aws lambda" not in code and "kubectl " not in code
    assert f"az functionapp show -g rg-{group}-prod -n {name}" in code
    assert "az functionapp deployment slot swap" in code
