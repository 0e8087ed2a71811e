"""A Cloudflare Worker is operated with wrangler: never a cloud's function CLI.

Blind h10 (a Worker with KV, a Durable Object and D1, deploys from CI only) got a whole AWS Lambda runbook:
`aws lambda update-function-code`, CloudWatch log groups, us-east-1. Property-based: random Worker names,
wrangler environments and phrasings.
"""

from __future__ import annotations

import re
from datetime import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from agent.answers import from_mapping
from agent.loop import generate
from agent.models.base import GenerationRequest
from agent.models.offline import OfflineModel
from agent.render import render_markdown
from agent.rule import default_rule_path, load_rule
from agent.runbook import iter_commands

RULE = load_rule(default_rule_path())
NAME = st.from_regex(r"\A[a-z]{3,7}-[a-z]{3,6}-prod\Z", fullmatch=True)
ENV = st.sampled_from(["production", "prod", "live"])
FORM = st.sampled_from([
    "worker_name: {w}\nruntime: Cloudflare Workers\nlogs: `npx wrangler tail {w} --env {e}`\n",
    "{w} is a Cloudflare Worker (wrangler env \"{e}\"), KV namespace SESSIONS, D1 database users-db.\n",
])


@settings(max_examples=4, deadline=None)
@given(worker=NAME, env=ENV, form=FORM)
def test_a_worker_is_operated_with_wrangler(worker: str, env: str, form: str) -> None:
    text = ("edge-auth: auth at the edge.\n\n" + form.format(w=worker, e=env) +
            "deploy: GitHub Actions on merge -> `npx wrangler deploy --env " + env + "`  # CI ONLY\n"
            "forbidden:\n  - wrangler deploy / publish from a laptop (CI only)\n")
    answers = from_mapping(RULE, {"type": "api", "env": "serverless", "criticality": "high", "oncall": "24x7"}, "t")
    runbook = generate(OfflineModel(), GenerationRequest(rule=RULE, description=text, answers=answers,
                                                         now=datetime(2026, 1, 15))).runbook
    code = "\n".join(line for c in iter_commands(runbook) for line in c.code.splitlines()
                     if not line.lstrip().startswith("#"))
    assert "aws " not in code and "gcloud " not in code and "az " not in code
    assert f"npx wrangler rollback --name {worker} --env {env}" in code
    assert f"wrangler tail {worker} --env {env}" in code
    assert not re.search(r"wrangler deploy(?!ments)", code)  # the team's CI-only deploy is not run by hand
    assert "us-east-1" not in render_markdown(runbook)
