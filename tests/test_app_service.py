"""Azure App Service as its own platform, and components the text only mentions in an aside.

Property-based: random app, group and database names. A web app on App Service gets `az webapp` commands
(its slot swap as the rollback), never Kubernetes, AWS or systemd, even when no --env is given (the
model's platform answers it); another cloud's product named only in an aside ("(S3, 100 DTU)") is no
component and brings no pack.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.answers import from_mapping, infer
from agent.models.base import GenerationRequest
from agent.models.offline import OfflineModel
from agent.render import render_markdown
from agent.rule import default_rule_path, load_rule
from agent.runbook import iter_commands
from agent.service.text import parse

_name = st.from_regex(r"\A[a-z]{3,8}\Z", fullmatch=True)


def _description(app: str, group: str, db: str, tier: str) -> str:
    return (f"hey, need a runbook for {app}-api. quick facts:\n"
            f"- .NET 8 API on Azure App Service `app-{app}-prod` (plan P2v3, autoscale 3–6 instances), resource "
            f"group rg-{group}-prod, West Europe.\n- Releases go to the `staging` slot, then swap.\n"
            f"- DB: Azure SQL server sql-{db}-prod, database {db}db ({tier}, 100 DTU). Pages if DTU > 90% for 10 min.")


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(app=_name, group=_name, db=_name, tier=st.sampled_from(["S3", "S2", "P1"]))
def test_a_web_app_on_app_service_is_operated_with_az_webapp(app: str, group: str, db: str, tier: str) -> None:
    rule = load_rule(default_rule_path())
    description = _description(app, group, db, tier)
    model = parse(description)
    assert [c.technology for c in model.components if c.technology == "s3"] == []  # a tier, not a bucket
    known = from_mapping(rule, {"type": "api", "criticality": "high", "monitoring": "custom", "oncall": "B"}, "t")
    answers = known.merged(infer(rule, description, known, ["env"], model))
    env = answers.get("env")
    assert env is not None and env.assumed and "platform" in env.reason  # from the model, not a default
    request = GenerationRequest(rule=rule, description=description, answers=answers,
                                now=datetime(2026, 1, 1, tzinfo=UTC), service=model)
    runbook = OfflineModel().generate(request).runbook
    code = "\n".join(c.code for c in iter_commands(runbook))
    assert f"az webapp deployment slot swap -g rg-{group}-prod -n app-{app}-prod --slot staging" in code
    assert not re.search(r"\bkubectl\b|\baws\s+\w|\bsystemctl\b|\baz functionapp\b", code)
    assert "S3" not in render_markdown(runbook).split("## Table of Contents")[0]
